//! Each account's summary of its sweep (Organizations mode), kept in the
//! ledger under the run's date, and the order the Organization's digest
//! lists accounts in: worst first.
//!
//! A summary holds counts and the few most overdue keys (masked), nothing
//! the per-account digest would not show; it is at most a few kilobytes
//! however large the account.

use std::cmp::Reverse;

use serde::{Deserialize, Serialize};

use super::report::{Report, ReportKey};
use super::sweep::SweepOutcome;

/// The most overdue keys a summary names.
pub(crate) const WORST_KEYS: usize = 5;

/// One account's sweep, as the Organization's digest shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccountSummary {
    pub account: String,
    /// "123456789012 (alias)".
    pub label: String,
    pub users: usize,
    pub keys: usize,
    pub overdue: usize,
    /// Days past the deadline of the most overdue key; 0 when none is.
    pub most_days_overdue: u32,
    pub within_tier: usize,
    pub notices_sent: usize,
    pub deactivated: usize,
    pub owner_problems: usize,
    /// Users whose reading or notice failed, or who were not reached.
    pub users_failed: usize,
    /// Keys replaced by rotation (or that would be, in a dry run), blocked
    /// (two keys), and failed; 0 where the account does not rotate (and in
    /// summaries kept before rotation existed).
    #[serde(default)]
    pub rotated: usize,
    #[serde(default)]
    pub rotations_blocked: usize,
    #[serde(default)]
    pub rotations_failed: usize,
    /// Keys listed as unused (0 in summaries kept before they were counted).
    #[serde(default)]
    pub unused: usize,
    /// The credential report shows an active root access key.
    #[serde(default)]
    pub root_key_active: bool,
    /// The most overdue keys, most overdue first.
    pub worst: Vec<WorstKey>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WorstKey {
    pub user: String,
    /// `AKIA…WXYZ`
    pub key: String,
    pub days_overdue: u32,
}

impl AccountSummary {
    pub(crate) fn of(account: &str, label: &str, report: &Report, outcome: &SweepOutcome) -> Self {
        let mut overdue: Vec<&ReportKey> = report.overdue.iter().collect();
        overdue.sort_by_key(|k| Reverse(k.days_overdue));
        AccountSummary {
            account: account.to_string(),
            label: label.to_string(),
            users: outcome.users.listed,
            keys: outcome.keys,
            overdue: report.overdue.len(),
            most_days_overdue: overdue.first().map_or(0, |k| k.days_overdue),
            within_tier: report.within_tier.len(),
            notices_sent: outcome.notices.sent + outcome.notices.dry_run,
            deactivated: report.deactivated.len(),
            owner_problems: report.owner_problems.len(),
            users_failed: outcome.users.failed + outcome.users.not_reached,
            rotated: outcome
                .rotation
                .as_ref()
                .map_or(0, |r| r.rotated + r.would_rotate),
            rotations_blocked: outcome.rotation.as_ref().map_or(0, |r| r.blocked),
            rotations_failed: outcome.rotation.as_ref().map_or(0, |r| r.failed),
            unused: report.unused.len(),
            root_key_active: outcome.root_access_key_active,
            worst: overdue
                .iter()
                .take(WORST_KEYS)
                .map(|k| WorstKey {
                    user: k.user.clone(),
                    key: k.access_key_id.clone(),
                    days_overdue: k.days_overdue,
                })
                .collect(),
        }
    }
}

/// What became of an account's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryStatus {
    Kept,
    /// Not written (`DRY_RUN`).
    DryRun,
    Failed,
}

/// Whether keeping the summary worked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SummaryOutcome {
    pub status: SummaryStatus,
    /// The run the summary is kept under.
    pub run: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One account as the Organization's digest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountState {
    Swept(AccountSummary),
    /// No summary of the run: the sweep failed, is still queued, or sits in
    /// the dead-letter queue.
    NotSwept {
        account: String,
    },
}

impl AccountState {
    pub(crate) fn account(&self) -> &str {
        match self {
            AccountState::Swept(s) => &s.account,
            AccountState::NotSwept { account } => account,
        }
    }
}

/// The digest's order, worst first: accounts not swept; then the most
/// overdue keys; then the longest overdue; then the most users failed or
/// not reached; then the most keys due soon; then by id.
pub(crate) fn worst_first(accounts: &mut [AccountState]) {
    accounts.sort_by(|a, b| {
        let rank = |s: &AccountState| match s {
            AccountState::NotSwept { .. } => (0, Reverse((0, 0, 0, 0))),
            AccountState::Swept(s) => (
                1,
                Reverse((
                    s.overdue,
                    s.most_days_overdue,
                    s.users_failed,
                    s.within_tier,
                )),
            ),
        };
        rank(a)
            .cmp(&rank(b))
            .then_with(|| a.account().cmp(b.account()))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn swept(account: &str, overdue: usize, most: u32, failed: usize, soon: usize) -> AccountState {
        AccountState::Swept(AccountSummary {
            account: account.into(),
            label: account.into(),
            users: 10,
            keys: 10,
            overdue,
            most_days_overdue: most,
            within_tier: soon,
            notices_sent: 0,
            deactivated: 0,
            owner_problems: 0,
            users_failed: failed,
            rotated: 0,
            rotations_blocked: 0,
            rotations_failed: 0,
            unused: 0,
            root_key_active: false,
            worst: Vec::new(),
        })
    }

    #[test]
    fn accounts_not_swept_come_first_then_the_most_overdue() {
        let mut accounts = vec![
            swept("111111111111", 0, 0, 0, 3),
            swept("222222222222", 2, 10, 0, 0),
            AccountState::NotSwept {
                account: "999999999999".into(),
            },
            swept("333333333333", 2, 40, 0, 0),
            swept("444444444444", 0, 0, 1, 0),
            swept("555555555555", 5, 1, 0, 0),
            swept("000000000000", 0, 0, 0, 3),
        ];
        worst_first(&mut accounts);
        let order: Vec<&str> = accounts.iter().map(AccountState::account).collect();
        assert_eq!(
            order,
            [
                "999999999999",
                "555555555555",
                "333333333333",
                "222222222222",
                "444444444444",
                "000000000000",
                "111111111111",
            ]
        );
    }
}
