//! Organizations: one deployment serving every account of an AWS
//! Organization. Member accounts forward their Config events to a central
//! event bus; the central function reads each account's IAM through a
//! member role assumed in that account, sends every mail from the central
//! account, and fans the daily sweep out, one SQS message per account.
//!
//! # Rules
//!
//! 1. Without `MEMBER_ROLE_NAME` the function serves its own account only
//!    (its id from STS GetCallerIdentity, once per container): an event or
//!    schedule naming any other account is skipped (`account_not_served`)
//!    with no IAM call, whoever wrote it.
//! 2. With it, an event is read from the account that sent it (the event's
//!    `account`), through the member role assumed in that account.
//! 3. An account on `EXEMPT_ACCOUNTS` is never served: its events are
//!    skipped (`account_exempt`) and the sweep sends it no message.
//! 4. The accounts served are those on `ACCOUNTS` when it is set, otherwise
//!    the ACTIVE accounts of the Organization (ListAccounts); an event from
//!    any other account is skipped (`account_not_served`).
//! 5. A member role that cannot be assumed, or an Organization that cannot
//!    be listed, is a retryable error naming the account, never a skip.
//! 6. Mails name an account by id and alias, "123456789012 (prod-payments)",
//!    or by id alone when it has no alias.
//! 7. The ledger keeps every record under its account's id, so notices of
//!    different accounts never share a record.
//!
//! This module holds the rules only. The accounts are reached through
//! `ports::accounts`, the sweep fans out through `ports::queue`
//! (`flow::fanout`), and the Organization's digest is `flow::digest`.

use crate::model::SkipReason;

/// The Organizations settings (`MEMBER_ROLE_NAME` and the variables that
/// go with it), validated by [`config`](crate::config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// The role assumed in each member account.
    pub member_role: String,
    /// `ACCOUNTS`: the accounts served; `None`: the Organization's active
    /// accounts.
    pub accounts: Option<Vec<String>>,
    /// `EXEMPT_ACCOUNTS`: never served.
    pub exempt_accounts: Vec<String>,
    /// `ORGANIZATION_ROLE_ARN`: assumed to call ListAccounts (a role in the
    /// management or delegated-administrator account); `None`: the
    /// function's own credentials call it (the function's account is the
    /// delegated administrator).
    pub organization_role_arn: Option<String>,
    /// `SWEEP_QUEUE_URL`: the queue of per-account sweep messages.
    pub sweep_queue_url: String,
}

/// Rules 3 and 4: whether an event of `account` is served, given the
/// accounts `served`.
pub(crate) fn admit(
    org: &Organization,
    served: &[String],
    account: &str,
) -> Result<(), SkipReason> {
    if org.exempt_accounts.iter().any(|a| a == account) {
        return Err(SkipReason::AccountExempt);
    }
    if !served.iter().any(|a| a == account) {
        return Err(SkipReason::AccountNotServed);
    }
    Ok(())
}

/// Rules 3 and 4 for the sweep: the accounts that get a sweep message
/// (sorted, each once) and the exempt ones left out.
pub(crate) fn fan_out_targets(org: &Organization, served: &[String]) -> (Vec<String>, Vec<String>) {
    let mut all = served.to_vec();
    all.sort();
    all.dedup();
    all.into_iter()
        .partition(|a| !org.exempt_accounts.iter().any(|e| e == a))
}

/// Rule 6: how a mail names an account.
pub(crate) fn account_label(account: &str, alias: Option<&str>) -> String {
    match alias {
        Some(alias) if !alias.is_empty() => format!("{account} ({alias})"),
        _ => account.to_string(),
    }
}

/// Whether `v` is an AWS account id: twelve ASCII digits.
pub(crate) fn is_account_id(v: &str) -> bool {
    v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit())
}

/// The AWS partition of `region` (`aws`, `aws-cn`, `aws-us-gov`): for the
/// member role's ARN and Security Hub's product ARN.
pub fn partition(region: Option<&str>) -> &'static str {
    match region {
        Some(r) if r.starts_with("cn-") => "aws-cn",
        Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
        _ => "aws",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(accounts: Option<&[&str]>, exempt: &[&str]) -> Organization {
        Organization {
            member_role: "access-key-notifier-member".into(),
            accounts: accounts.map(|a| a.iter().map(|s| s.to_string()).collect()),
            exempt_accounts: exempt.iter().map(|s| s.to_string()).collect(),
            organization_role_arn: None,
            sweep_queue_url: "https://sqs.us-east-1.amazonaws.com/111111111111/q".into(),
        }
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_exempt_account_is_skipped_before_membership_is_asked() {
        let o = org(None, &["222222222222"]);
        let served = ids(&["111111111111", "222222222222"]);
        assert_eq!(admit(&o, &served, "111111111111"), Ok(()));
        assert_eq!(
            admit(&o, &served, "222222222222"),
            Err(SkipReason::AccountExempt)
        );
        assert_eq!(
            admit(&o, &served, "333333333333"),
            Err(SkipReason::AccountNotServed)
        );
    }

    #[test]
    fn the_fan_out_leaves_exempt_accounts_out_and_lists_each_once() {
        let o = org(None, &["222222222222"]);
        let served = ids(&[
            "333333333333",
            "222222222222",
            "111111111111",
            "333333333333",
        ]);
        let (targets, exempt) = fan_out_targets(&o, &served);
        assert_eq!(targets, ids(&["111111111111", "333333333333"]));
        assert_eq!(exempt, ids(&["222222222222"]));
    }

    #[test]
    fn an_account_is_named_with_its_alias_when_it_has_one() {
        assert_eq!(
            account_label("123456789012", Some("prod-payments")),
            "123456789012 (prod-payments)"
        );
        assert_eq!(account_label("123456789012", None), "123456789012");
        assert_eq!(account_label("123456789012", Some("")), "123456789012");
    }

    #[test]
    fn account_ids_are_twelve_digits() {
        assert!(is_account_id("012345678901"));
        assert!(!is_account_id("12345678901"));
        assert!(!is_account_id("1234567890123"));
        assert!(!is_account_id("12345678901a"));
        assert!(!is_account_id("１２３４５６７８９０１２"));
    }
}
