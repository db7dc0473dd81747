//! The exemption list's rules: IAM users exempt from notices and
//! enforcement, named in one Parameter Store parameter
//! (`EXEMPT_USERS_PARAMETER`, a StringList of user names, user ARNs or
//! UserIds),
//! beside the per-user exemption tag that [`decision`](crate::decision)
//! reads (rule 1). Pure: what a value lists, and what a run may do with a
//! list it could not read ([`ExemptionListing`]). The parameter is read, and kept a
//! few minutes, through `ports::exemptions`.
//!
//! Which entry follows a rename: a UserId (`AIDA…`) names the user
//! whatever it is called later; a name or an ARN names whoever holds that
//! name, so a renamed user leaves it (and a newcomer taking the name gets
//! it).
//!
//! Entries are validated like any value from outside: an entry that is
//! neither a user name, a user ARN nor a UserId is reported with its position and a
//! reason, never its text, and makes the whole list unusable
//! (`ports::exemptions`).

use std::sync::Arc;

use crate::error::Error;

/// One valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Name(String),
    /// `arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`: the user `NAME` of
    /// `ACCOUNT` (a user name is unique in its account, whatever its path).
    Arn {
        account: String,
        name: String,
    },
    /// A user's UserId (`AIDA…`): the same user across renames.
    UserId(String),
}

impl Entry {
    /// Whether the entry names the user `user_name` (UserId `user_id`) of
    /// `account`. IAM user names are unique regardless of case (IAM User
    /// Guide, "IAM identifiers"), so they are compared that way; UserIds
    /// exactly.
    fn names(&self, account: &str, user_name: &str, user_id: &str) -> bool {
        match self {
            Entry::Name(name) => name.eq_ignore_ascii_case(user_name),
            Entry::Arn { account: a, name } => a == account && name.eq_ignore_ascii_case(user_name),
            Entry::UserId(id) => id == user_id,
        }
    }
}

/// The users the parameter names: each entry as written, and read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExemptList {
    entries: Vec<(String, Entry)>,
}

/// Why an entry was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryProblem {
    NotAUserName,
    NotAUserArn,
}

impl EntryProblem {
    pub fn code(self) -> &'static str {
        match self {
            EntryProblem::NotAUserName => "not_a_user_name",
            EntryProblem::NotAUserArn => "not_a_user_arn",
        }
    }
}

/// An IAM user name: 1 to 64 of letters, digits and `+=,.@_-` (IAM API
/// reference, CreateUser `UserName`).
fn is_user_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
}

/// An IAM user's unique id: `AIDA` and upper-case letters and digits, 16
/// to 128 characters in all (IAM User Guide, "Unique identifiers").
fn is_user_id(s: &str) -> bool {
    s.starts_with("AIDA")
        && (16..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn parse_entry(raw: &str) -> Result<Entry, EntryProblem> {
    if is_user_id(raw) {
        return Ok(Entry::UserId(raw.to_string()));
    }
    if !raw.starts_with("arn:") {
        return if is_user_name(raw) {
            Ok(Entry::Name(raw.to_string()))
        } else {
            Err(EntryProblem::NotAUserName)
        };
    }
    // arn:aws:iam::123456789012:user/path/name
    let parts: Vec<&str> = raw.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts[..] else {
        return Err(EntryProblem::NotAUserArn);
    };
    let name = resource
        .strip_prefix("user/")
        .and_then(|path_and_name| path_and_name.rsplit('/').next())
        .filter(|name| is_user_name(name));
    match name {
        Some(name)
            if partition.starts_with("aws")
                && service == "iam"
                && region.is_empty()
                && account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Entry::Arn {
                account: account.to_string(),
                name: name.to_string(),
            })
        }
        _ => Err(EntryProblem::NotAUserArn),
    }
}

impl ExemptList {
    /// Reads a comma-separated value; returns the list and, per ignored
    /// entry, its position (from 1) and why.
    pub fn parse(value: &str) -> (ExemptList, Vec<(usize, EntryProblem)>) {
        let mut entries = Vec::new();
        let mut problems = Vec::new();
        for (i, raw) in value
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            match parse_entry(raw) {
                Ok(entry) => entries.push((raw.to_string(), entry)),
                Err(problem) => problems.push((i + 1, problem)),
            }
        }
        (ExemptList { entries }, problems)
    }

    /// Whether the user `user_name` (UserId `user_id`) of `account` is on
    /// the list.
    pub fn contains(&self, account: &str, user_name: &str, user_id: &str) -> bool {
        self.entries
            .iter()
            .any(|(_, e)| e.names(account, user_name, user_id))
    }

    /// The entries, as written, that name none of `users` (name, UserId),
    /// which are every user of `account`: a user renamed (its name or ARN
    /// entry) or deleted, or a typing error. An ARN of another account is
    /// that account's, and never counted here.
    pub fn unmatched(&self, account: &str, users: &[(&str, &str)]) -> Vec<String> {
        self.entries
            .iter()
            .filter(|(_, e)| !matches!(e, Entry::Arn { account: a, .. } if a != account))
            .filter(|(_, e)| !users.iter().any(|(name, id)| e.names(account, name, id)))
            .map(|(raw, _)| raw.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The exemption list as one run sees it.
#[derive(Debug, Clone)]
pub enum ExemptionListing {
    /// No parameter is configured: nobody is listed.
    NotConfigured,
    Known(Arc<ExemptList>),
    /// The parameter could not be read: who is listed is unknown. Holds
    /// the read's error, masked.
    Unavailable(String),
}

impl ExemptionListing {
    /// Whether the user is listed, for notices: an unknown list lists
    /// nobody (notices go on; enforcement asks [`ExemptionListing::known`]).
    pub fn lists(&self, account: &str, user_name: &str, user_id: &str) -> bool {
        match self {
            ExemptionListing::Known(list) => list.contains(account, user_name, user_id),
            ExemptionListing::NotConfigured | ExemptionListing::Unavailable(_) => false,
        }
    }

    /// The entries that name no user of `account` ([`ExemptList::unmatched`]);
    /// none when there is no list or it could not be read.
    pub fn unmatched(&self, account: &str, users: &[(&str, &str)]) -> Vec<String> {
        match self {
            ExemptionListing::Known(list) => list.unmatched(account, users),
            ExemptionListing::NotConfigured | ExemptionListing::Unavailable(_) => Vec::new(),
        }
    }

    /// `Ok` when the list is known (or there is none); the read's error
    /// otherwise, for enforcement to stop on.
    pub fn known(&self) -> Result<(), Error> {
        match self {
            ExemptionListing::Unavailable(why) => Err(Error::ExemptionsUnavailable(why.clone())),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UserId no entry below names.
    const ID: &str = "AIDAOTHER000000000001";

    #[test]
    fn names_and_user_arns_are_read_and_anything_else_is_ignored_by_position() {
        let (list, problems) = ExemptList::parse(
            " build-bot ,arn:aws:iam::123456789012:user/ci/Deployer,, arn:aws:iam::123456789012:role/admin,\
             arn:aws-cn:iam::210987654321:user/ops,bad name,arn:aws:iam::12345:user/x",
        );
        assert_eq!(list.len(), 3);
        assert_eq!(
            problems,
            vec![
                (3, EntryProblem::NotAUserArn),
                (5, EntryProblem::NotAUserName),
                (6, EntryProblem::NotAUserArn),
            ]
        );
        assert!(list.contains("123456789012", "BUILD-BOT", ID));
        assert!(
            list.contains("999999999999", "build-bot", ID),
            "a name is any account's"
        );
        assert!(list.contains("123456789012", "deployer", ID));
        assert!(
            !list.contains("999999999999", "deployer", ID),
            "an ARN names one account"
        );
        assert!(list.contains("210987654321", "ops", ID));
        assert!(!list.contains("123456789012", "admin", ID));
    }

    #[test]
    fn a_user_id_entry_follows_its_user_through_a_rename_and_a_name_does_not() {
        let (list, problems) = ExemptList::parse("AIDADEPLOYBOT0000001, legacy-etl");
        assert_eq!(list.len(), 2);
        assert!(problems.is_empty());
        // The deploy bot renamed: still exempt by its id.
        assert!(list.contains("123456789012", "deploy-bot-v2", "AIDADEPLOYBOT0000001"));
        assert!(!list.contains("123456789012", "deploy-bot-v2", ID));
        // legacy-etl renamed: its name entry no longer names it, and a
        // newcomer called legacy-etl is exempt instead.
        assert!(!list.contains("123456789012", "legacy-etl-old", "AIDALEGACY0000000001"));
        assert!(list.contains("123456789012", "legacy-etl", ID));
    }

    #[test]
    fn entries_naming_no_user_of_the_account_are_named_as_written() {
        let (list, _) = ExemptList::parse(
            "AIDADEPLOYBOT0000001, Legacy-ETL, AIDAGONE000000000001, \
             arn:aws:iam::123456789012:user/ops/old-admin, \
             arn:aws:iam::210987654321:user/elsewhere, arn:aws:iam::123456789012:user/ci",
        );
        // The deploy bot renamed (its id still names it), legacy-etl renamed
        // away from its name, a deleted user's id, and old-admin gone.
        let users = [
            ("deploy-bot-v2", "AIDADEPLOYBOT0000001"),
            ("legacy-etl-old", "AIDALEGACY0000000001"),
            ("CI", "AIDACI00000000000001"),
        ];
        assert_eq!(
            list.unmatched("123456789012", &users),
            [
                "Legacy-ETL",
                "AIDAGONE000000000001",
                "arn:aws:iam::123456789012:user/ops/old-admin"
            ]
        );
        // Another account's ARN is judged in that account alone.
        assert_eq!(
            list.unmatched("210987654321", &[("elsewhere", ID)]),
            ["AIDADEPLOYBOT0000001", "Legacy-ETL", "AIDAGONE000000000001"]
        );
    }
}
