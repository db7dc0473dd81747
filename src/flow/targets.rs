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
//! When the report cannot be had within a quarter of the sweep's budget
//! (refused, a service failure, too slow, stale), the sweep lists every
//! user (ListUsers) and reads each, as `--full` asks; the outcome says so
//! (`source`, `report_unavailable`). Nothing is skipped either way.

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::time::Instant;

use crate::credential_report;
use crate::decision::{AccessKey, LastUsed, Policy};
use crate::error::Error;
use crate::logging::{self, Level};
use crate::ports::directory::UserDirectory;

/// A user the sweep reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    /// The UserId ListUsers gave, which GetUser must confirm; `None` for a
    /// user the report named (GetUser gives the id).
    pub id: Option<String>,
    /// The report's last use of each key slot, by the key's creation (the
    /// report has no key ids): a key listed afresh with that CreateDate is
    /// that slot's key (`None`: the report does not say). Empty for a
    /// listed user.
    pub last_used: Vec<(DateTime<Utc>, Option<LastUsed>)>,
}

impl Target {
    /// `keys` with the report's last use of each key the report knows.
    pub fn with_report_last_use(&self, mut keys: Vec<AccessKey>) -> Vec<AccessKey> {
        for k in &mut keys {
            if let Some((_, used)) = self
                .last_used
                .iter()
                .find(|(created, _)| created.timestamp() == k.created.timestamp())
            {
                k.last_used = used.clone();
            }
        }
        keys
    }
}

/// The users to read, and what the sweep's outcome says about them.
#[derive(Debug)]
pub struct Targets {
    /// Sorted by name.
    pub users: Vec<Target>,
    /// `credential_report` or `listing`.
    pub source: &'static str,
    /// Why the report was not used, when the sweep wanted it.
    pub report_unavailable: Option<String>,
    /// Users in the account (the report's rows, or ListUsers').
    pub listed: usize,
    /// Users the report settled without a read, and their keys.
    pub settled: usize,
    pub settled_keys: usize,
    /// The report shows an active access key of the root user.
    pub root_key_active: bool,
}

/// The users to read at `now`: from the credential report (by `report_by`),
/// or every listed user when `full` or when the report cannot be had.
pub async fn targets<D: UserDirectory>(
    directory: &D,
    policy: &Policy,
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
        match report {
            Ok(report) => {
                let candidates = credential_report::candidates(policy, &report, now);
                let mut users: Vec<Target> = candidates
                    .iter()
                    .map(|u| Target {
                        name: u.name.clone(),
                        id: None,
                        last_used: u
                            .keys
                            .iter()
                            .map(|k| (k.last_rotated, k.last_used.clone()))
                            .collect(),
                    })
                    .collect();
                users.sort_by(|a, b| a.name.cmp(&b.name));
                let keys = |u: &credential_report::ReportUser| u.keys.len();
                let settled_keys = report.users.iter().map(keys).sum::<usize>()
                    - candidates.iter().map(|u| keys(u)).sum::<usize>();
                return Ok(Targets {
                    listed: report.users.len(),
                    settled: report.users.len() - users.len(),
                    settled_keys,
                    users,
                    source: "credential_report",
                    report_unavailable: None,
                    root_key_active: report.root_key_active,
                });
            }
            Err(e) => {
                logging::log(
                    Level::Warn,
                    "the credential report could not be used; the sweep lists every user",
                    json!({"errorType": e.error_type(), "error": e.safe_message()}),
                );
                report_unavailable = Some(e.safe_message());
            }
        }
    }
    let mut users: Vec<Target> = directory
        .list_users()
        .await?
        .into_iter()
        .map(|u| Target {
            name: u.name,
            id: Some(u.id),
            last_used: Vec::new(),
        })
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Targets {
        listed: users.len(),
        settled: 0,
        settled_keys: 0,
        users,
        source: "listing",
        report_unavailable,
        root_key_active: false,
    })
}
