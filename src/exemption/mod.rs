//! The exemption list: IAM users exempt from notices and enforcement, named
//! in one Parameter Store parameter (`EXEMPT_USERS_PARAMETER`, a StringList
//! of user names or user ARNs), beside the per-user exemption tag that
//! [`decision`](crate::decision) reads (rule 1).
//!
//! The parameter is read through the [`ExemptionSource`] port (Parameter
//! Store in [`ssm`], in memory for tests in [`memory`]) and kept for
//! [`CACHE_FOR`] by [`Exemptions`], so a warm function reads it at most
//! every few minutes. A read that fails is not cached and is never taken
//! as "nobody is exempt": it is [`Listing::Unavailable`], which keeps
//! enforcement from acting (a retryable error) and does not stop notices.
//!
//! Entries are validated like any value from outside: an entry that is
//! neither a user name nor a user ARN is ignored and logged with its
//! position and a reason, never its text.

use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::error::Error;
use crate::logging::{self, Level};
use crate::scripted::lock;

pub mod memory;
pub mod ssm;

/// How long a list read from the parameter is used before it is read again.
pub const CACHE_FOR: Duration = Duration::minutes(5);

/// Reads the exemption parameter's raw value.
pub trait ExemptionSource: Send + Sync {
    /// The parameter's value: entries separated by commas (a StringList, or
    /// a String written the same way).
    fn read(&self) -> impl Future<Output = Result<String, Error>> + Send;
}

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
}

/// The users the parameter names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExemptList {
    entries: Vec<Entry>,
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

fn parse_entry(raw: &str) -> Result<Entry, EntryProblem> {
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
                Ok(entry) => entries.push(entry),
                Err(problem) => problems.push((i + 1, problem)),
            }
        }
        (ExemptList { entries }, problems)
    }

    /// Whether the user `user_name` of `account` is on the list. IAM user
    /// names are unique regardless of case (IAM User Guide, "IAM
    /// identifiers"), so they are compared that way.
    pub fn contains(&self, account: &str, user_name: &str) -> bool {
        self.entries.iter().any(|e| match e {
            Entry::Name(name) => name.eq_ignore_ascii_case(user_name),
            Entry::Arn { account: a, name } => a == account && name.eq_ignore_ascii_case(user_name),
        })
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
pub enum Listing {
    /// No parameter is configured: nobody is listed.
    NotConfigured,
    Known(Arc<ExemptList>),
    /// The parameter could not be read: who is listed is unknown. Holds
    /// the read's error, masked.
    Unavailable(String),
}

impl Listing {
    /// Whether the user is listed, for notices: an unknown list lists
    /// nobody (notices go on; enforcement asks [`Listing::known`]).
    pub fn lists(&self, account: &str, user_name: &str) -> bool {
        match self {
            Listing::Known(list) => list.contains(account, user_name),
            Listing::NotConfigured | Listing::Unavailable(_) => false,
        }
    }

    /// `Ok` when the list is known (or there is none); the read's error
    /// otherwise, for enforcement to stop on.
    pub fn known(&self) -> Result<(), Error> {
        match self {
            Listing::Unavailable(why) => Err(Error::ExemptionsUnavailable(why.clone())),
            _ => Ok(()),
        }
    }
}

/// The exemption list with its cache: what the function holds.
pub struct Exemptions<S> {
    source: Option<S>,
    cached: Mutex<Option<(DateTime<Utc>, Arc<ExemptList>)>>,
}

impl<S: ExemptionSource> Exemptions<S> {
    /// The list read through `source`; `None`: no parameter is configured.
    pub fn new(source: Option<S>) -> Exemptions<S> {
        Exemptions {
            source,
            cached: Mutex::new(None),
        }
    }

    pub fn source(&self) -> Option<&S> {
        self.source.as_ref()
    }

    /// The list at `now`: from the cache when it was read less than
    /// [`CACHE_FOR`] ago, otherwise read again.
    pub async fn listing(&self, now: DateTime<Utc>) -> Listing {
        let Some(source) = &self.source else {
            return Listing::NotConfigured;
        };
        if let Some((read_at, list)) = lock(&self.cached).as_ref()
            && now >= *read_at
            && now - *read_at < CACHE_FOR
        {
            return Listing::Known(list.clone());
        }
        let value = match source.read().await {
            Ok(value) => value,
            Err(e) => {
                logging::log(
                    Level::Error,
                    "the exemption list could not be read; no key is deactivated until it can be",
                    json!({"errorType": e.error_type(), "error": e.safe_message()}),
                );
                return Listing::Unavailable(e.safe_message());
            }
        };
        let (list, problems) = ExemptList::parse(&value);
        for (position, problem) in problems {
            logging::log(
                Level::Warn,
                "an exemption list entry is ignored",
                json!({"position": position, "reason": problem.code()}),
            );
        }
        let list = Arc::new(list);
        *lock(&self.cached) = Some((now, list.clone()));
        Listing::Known(list)
    }
}

#[cfg(test)]
mod tests {
    use super::memory::MemoryExemptionSource;
    use super::*;
    use chrono::TimeZone;

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
        assert!(list.contains("123456789012", "BUILD-BOT"));
        assert!(
            list.contains("999999999999", "build-bot"),
            "a name is any account's"
        );
        assert!(list.contains("123456789012", "deployer"));
        assert!(
            !list.contains("999999999999", "deployer"),
            "an ARN names one account"
        );
        assert!(list.contains("210987654321", "ops"));
        assert!(!list.contains("123456789012", "admin"));
    }

    fn at(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::minutes(minute)
    }

    #[tokio::test]
    async fn the_list_is_read_at_most_every_five_minutes_and_a_failure_is_not_cached() {
        let source = MemoryExemptionSource::new("alice");
        let exemptions = Exemptions::new(Some(source));
        let src = exemptions.source().unwrap();
        assert!(
            exemptions
                .listing(at(0))
                .await
                .lists("123456789012", "alice")
        );
        src.set("bob");
        assert!(
            exemptions
                .listing(at(4))
                .await
                .lists("123456789012", "alice")
        );
        assert_eq!(src.script.count("GetParameter"), 1);
        assert!(exemptions.listing(at(5)).await.lists("123456789012", "bob"));
        assert_eq!(src.script.count("GetParameter"), 2);

        src.script.fail_next(
            "GetParameter",
            Error::Aws {
                service: "SSM",
                operation: "GetParameter",
                code: Some("AccessDeniedException".into()),
                message: "denied".into(),
                retryable: false,
            },
        );
        let listing = exemptions.listing(at(11)).await;
        assert!(matches!(listing, Listing::Unavailable(_)));
        assert!(listing.known().is_err());
        assert!(!listing.lists("123456789012", "bob"));
        // The next run reads again.
        assert!(exemptions.listing(at(11)).await.known().is_ok());
        assert_eq!(src.script.count("GetParameter"), 4);
    }

    #[tokio::test]
    async fn without_a_parameter_nobody_is_listed_and_nothing_is_read() {
        let exemptions: Exemptions<MemoryExemptionSource> = Exemptions::new(None);
        let listing = exemptions.listing(at(0)).await;
        assert!(matches!(listing, Listing::NotConfigured));
        assert!(listing.known().is_ok());
    }
}
