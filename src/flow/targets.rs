//! Which users a sweep reads, and where it learned of them.
//!
//! By default the account's IAM credential report picks them: one
//! GenerateCredentialReport/GetCredentialReport pair for the whole account,
//! and then only the users whose row shows an active key that is due
//! ([`credential_report::candidates`]) are read afresh (ListAccessKeys,
//! GetUser), since key ids and status are not in the report and may have
//! changed since it was made. Everyone else is settled by the report: no
//! key the sweep could mail or enforce about. A notice takes each key's
//! last use from the report too (no GetAccessKeyLastUsed; at most the
//! report's four hours old). So a sweep costs calls per due user, not per
//! user.
//!
//! What the report cannot see, and why it does not matter here:
//!
//! - a user created after it has no key old enough to be due;
//! - a key rotated after it: the fresh listing shows the new key, not due;
//! - a key reactivated after it: not seen until the next report (at most
//!   four hours old), and the Config path sees it as it happens.
//!
//! The users are listed too (ListUsers, one call per 1,000 users): a
//! user created at least [`ROW_EXPECTED_AFTER`] before the report was
//! generated must have its row, so a report cut at a row boundary (which
//! reads like a whole one) is told apart, and each candidate is read
//! under the UserId the listing gave, which GetUser must confirm. A user
//! renamed since the report has no row under its new name: that sweep
//! reads every user, and misses no one.
//!
//! When the report cannot be had within a quarter of the sweep's budget
//! (refused, a service failure, too slow, stale, cut), the sweep reads
//! every listed user, as `--full` asks; the outcome says so (`source`,
//! `report_unavailable`). Nothing is skipped either way.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::time::Instant;

use crate::credential_report::{self, CredentialReport};
use crate::decision::Policy;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::model::{AccessKey, ConsolePassword, LastUsed, PasswordPolicy};
use crate::outcome::sweep::Source;
use crate::ports::directory::{ListedUser, UserDirectory};

/// A user the sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub name: String,
    /// The UserId ListUsers gave, which GetUser must confirm; `None` for a
    /// user the report named and the listing did not (deleted since).
    pub id: Option<String>,
    /// The report's last use of each key slot, by the key's creation (the
    /// report has no key ids): a key listed afresh with that CreateDate is
    /// that slot's key (`None`: the report does not say). Empty for a
    /// listed user.
    pub last_used: Vec<(DateTime<Utc>, Option<LastUsed>)>,
    /// The console password, as the report shows it.
    pub password: PasswordSeen,
}

/// What the sweep knows of a user's console password before reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PasswordSeen {
    /// A listed user: read afresh when the password rules are on
    /// (GetLoginProfile, and GetUser's last use).
    Unread,
    /// The credential report's row: the password, or none.
    Reported(Option<ConsolePassword>),
}

impl Target {
    /// `keys` with the report's last use of each key the report knows.
    /// The report has no key ids, so a slot is matched to a listed key by
    /// the second it was created in, and only where that second names one
    /// slot and one listed key: two keys created in the same second (an
    /// IaC tool creating keys in parallel) can't be told apart, and neither
    /// is given another's last use; theirs is read afresh
    /// (GetAccessKeyLastUsed), like a listed user's.
    pub(crate) fn with_report_last_use(&self, mut keys: Vec<AccessKey>) -> Vec<AccessKey> {
        let second = |t: &DateTime<Utc>| t.timestamp();
        let listed: Vec<i64> = keys.iter().map(|k| second(&k.created)).collect();
        for k in &mut keys {
            let at = second(&k.created);
            let mut slots = self.last_used.iter().filter(|(c, _)| second(c) == at);
            let (Some((_, used)), None) = (slots.next(), slots.next()) else {
                continue;
            };
            if listed.iter().filter(|&&s| s == at).count() == 1 {
                k.last_used = used.clone();
            }
        }
        keys
    }
}

/// The users to read, and what the sweep's outcome says about them.
#[derive(Debug)]
pub(crate) struct Targets {
    /// Sorted by name.
    pub users: Vec<Target>,
    pub source: Source,
    /// Why the report was not used, when the sweep wanted it.
    pub report_unavailable: Option<String>,
    /// Users in the account (the report's rows, or ListUsers').
    pub listed: usize,
    /// Users the report settled without a read, and their keys.
    pub settled: usize,
    pub settled_keys: usize,
    /// When each active key of the settled users was created (the age
    /// chart's; the users read count their own).
    pub settled_active: Vec<DateTime<Utc>>,
    /// Every user of the account (name, UserId), as ListUsers gave them:
    /// what the exemption list's entries are checked against.
    pub everyone: Vec<(String, String)>,
    /// The report shows an active access key of the root user.
    pub root_key_active: bool,
}

/// The users to read at `now`: from the credential report (by `report_by`),
/// or every listed user when `full` or when the report cannot be had.
pub(crate) async fn targets<D: UserDirectory>(
    directory: &D,
    policy: &Policy,
    passwords: Option<&PasswordPolicy>,
    full: bool,
    report_by: Option<Instant>,
    now: DateTime<Utc>,
) -> Result<Targets, Error> {
    let mut report_unavailable = None;
    if !full {
        let report = directory.credential_report(now);
        let report = match report_by {
            Some(by) => tokio::time::timeout_at(by, report).await.unwrap_or_else(|_| {
                Err(Error::Aws {
                    service: "IAM",
                    operation: "GetCredentialReport",
                    code: Some("ReportTooSlow".into()),
                    message: "the credential report was not ready within a quarter of the sweep's budget".into(),
                    retryable: true,
                })
            }),
            None => report.await,
        };
        // The listing names every user: one created well before the report
        // that has no row in it means the report is cut short (at a row
        // boundary it reads like a whole one), and the sweep reads every
        // listed user instead. It costs one ListUsers page per 1,000 users.
        let report = match report {
            Ok(report) => {
                let listed = directory.list_users().await?;
                match missing_rows(&report, &listed) {
                    0 => Ok((report, listed)),
                    missing => {
                        let e = Error::damaged(
                            "IAM",
                            "GetCredentialReport",
                            format!(
                                "the credential report has no row for {missing} users the listing names, created before it was generated: the report is cut"
                            ),
                        );
                        return Ok(listing_targets(listed, Some(unavailable(&e))));
                    }
                }
            }
            Err(e) => Err(e),
        };
        match report {
            Ok((report, listed)) => {
                let everyone = everyone(&listed);
                let ids: HashMap<&str, &str> = listed
                    .iter()
                    .map(|u| (u.name.as_str(), u.id.as_str()))
                    .collect();
                let candidates = credential_report::candidates(policy, passwords, &report, now);
                let mut users: Vec<Target> = candidates
                    .iter()
                    .map(|u| Target {
                        name: u.name.clone(),
                        // A user deleted since the report is read all the
                        // same, and found gone.
                        id: ids.get(u.name.as_str()).map(|id| id.to_string()),
                        last_used: u
                            .keys
                            .iter()
                            .map(|k| (k.last_rotated, k.last_used.clone()))
                            .collect(),
                        password: PasswordSeen::Reported(u.password.clone()),
                    })
                    .collect();
                users.sort_by(|a, b| a.name.cmp(&b.name));
                let read: HashSet<&str> = users.iter().map(|u| u.name.as_str()).collect();
                let settled_active = report
                    .users
                    .iter()
                    .filter(|u| !read.contains(u.name.as_str()))
                    .flat_map(|u| u.keys.iter().filter(|k| k.active).map(|k| k.last_rotated))
                    .collect();
                let keys = |u: &credential_report::ReportUser| u.keys.len();
                let settled_keys = report.users.iter().map(keys).sum::<usize>()
                    - candidates.iter().map(|u| keys(u)).sum::<usize>();
                return Ok(Targets {
                    listed: report.users.len(),
                    settled: report.users.len() - users.len(),
                    settled_keys,
                    settled_active,
                    everyone,
                    users,
                    source: Source::CredentialReport,
                    report_unavailable: None,
                    root_key_active: report.root_key_active,
                });
            }
            Err(e) => report_unavailable = Some(unavailable(&e)),
        }
    }
    let listed = directory.list_users().await?;
    Ok(listing_targets(listed, report_unavailable))
}

/// A user created at least this long before the report was generated must
/// have its row. One made just before may have missed it, but it cannot
/// hold a key old enough to be due or unused (a key is never older than
/// its user), so nothing the sweep acts on is missed either way.
pub(crate) const ROW_EXPECTED_AFTER: chrono::Duration = chrono::Duration::hours(1);

/// How many listed users should have a row in `report` and have none.
fn missing_rows(report: &CredentialReport, listed: &[ListedUser]) -> usize {
    let rows: HashSet<&str> = report.users.iter().map(|u| u.name.as_str()).collect();
    listed
        .iter()
        .filter(|u| u.created + ROW_EXPECTED_AFTER <= report.generated)
        .filter(|u| !rows.contains(u.name.as_str()))
        .count()
}

/// Why the report was not used, logged once, as the outcome says it.
fn unavailable(e: &Error) -> String {
    logging::log(
        Level::Warn,
        "the credential report could not be used; the sweep lists every user",
        json!({"errorType": e.error_type(), "error": e.safe_message()}),
    );
    e.safe_message()
}

/// Each listed user's name and UserId.
fn everyone(listed: &[ListedUser]) -> Vec<(String, String)> {
    listed
        .iter()
        .map(|u| (u.name.clone(), u.id.clone()))
        .collect()
}

/// Every listed user, read afresh.
fn listing_targets(listed: Vec<ListedUser>, report_unavailable: Option<String>) -> Targets {
    let everyone = everyone(&listed);
    let mut users: Vec<Target> = listed
        .into_iter()
        .map(|u| Target {
            name: u.name,
            id: Some(u.id),
            last_used: Vec::new(),
            password: PasswordSeen::Unread,
        })
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Targets {
        listed: users.len(),
        settled: 0,
        settled_keys: 0,
        settled_active: Vec::new(),
        everyone,
        users,
        source: Source::Listing,
        report_unavailable,
        root_key_active: false,
    }
}
