//! CloudWatch metrics from the function's own log lines, in the Embedded
//! Metric Format (CloudWatch User Guide, "Specification: Embedded metric
//! format"): a log line whose `_aws.CloudWatchMetrics` names the members of
//! the same line that CloudWatch Logs turns into metrics. No API call, no
//! permission beyond writing logs, and the numbers are the outcome's own.
//!
//! Namespace `AccessKeyNotifier`. Every metric carries the dimension `Path`
//! (`event` or `sweep`); skips also carry `Reason` (the skip reason code).
//!
//! | metric | path | meaning |
//! | --- | --- | --- |
//! | `NoticesSent` | both | mails sent (dry runs count as `NoticesDryRun`) |
//! | `NoticesSkipped` | both, by `Reason` | decided, nothing sent |
//! | `NoticesFailed` | event | a notice that failed after enforcement acted for the same user (the outcome keeps the actions; the event is retried) |
//! | `Reminders` | sweep | overdue reminders among the notices |
//! | `UserErrors` | sweep | users that failed after the retry rounds |
//! | `UsersNotReached` | sweep | users the time budget did not reach |
//! | `SweepDuration` | sweep | milliseconds |
//! | `SweepsCompleted` | sweep | 1 per sweep that returned an outcome |
//! | `SweepsFailed` | sweep | 1 per sweep that ended in an error |
//! | `CredentialReportFallbacks` | sweep | 1 per sweep that listed every user because the credential report could not be used |
//! | `RootAccessKeyActive` | sweep | 1 per sweep whose credential report shows an active root access key |
//! | `KeysDeactivated` | both | keys enforcement deactivated |
//! | `KeysDeactivatedDryRun` | both | keys a dry run would have deactivated |
//! | `PasswordsRemoved` | both | console passwords removed (login profile deleted) by `ENFORCE_UNUSED_PASSWORDS`; the template's alarm watches it |
//! | `PasswordsRemovedDryRun` | both | console passwords a dry run would have removed |
//! | `PasswordsExpiring` | sweep | console passwords within an expiry tier (`PASSWORD_NOTICE_DAYS`) |
//! | `PasswordsUnused` | sweep | console passwords listed as unused (`UNUSED_PASSWORD_DAYS`) |
//! | `KeysHeldByCap` | both | keys past `ENFORCE_MAX_PER_DAY`, left for the next day |
//! | `FinalWarnings` | sweep | keys whose notice was a final warning |
//! | `EnforcementErrors` | sweep | users enforcement could not finish with |
//! | `KeysRotated` | both | keys replaced by rotation (a new key, its secret in Secrets Manager) |
//! | `RotationsBlocked` | both | keys not replaced: the user holds two keys |
//! | `RotationsFailed` | both | keys whose replacement failed (the new key deactivated); the template's alarm watches it |
//! | `FindingsImported` | sweep | Security Hub findings imported (`SECURITY_HUB`) |
//! | `FindingsArchived` | sweep | Security Hub findings archived (the credential rotated, deleted, deactivated or exempt) |
//! | `FindingsFailed` | sweep | findings Security Hub refused (`FailedFindings`), plus 1 when the import itself failed; the template's alarm watches it |
//! | `ChatPublished` | both | messages published to the team's chat channel |
//! | `ChatPublishFailed` | both | messages the chat topic refused or never answered |

use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::model::{Action, CredentialKind, KeyRotation};
use crate::outcome::sweep::{SecurityHubStatus, SweepOutcome};
use crate::outcome::{Outcome, Status};

pub(crate) const NAMESPACE: &str = "AccessKeyNotifier";

/// One EMF document: `metrics` as (name, unit, value), under `dimensions`
/// (name, value).
fn document(dimensions: &[(&str, &str)], metrics: &[(&str, &str, u64)]) -> Value {
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": Utc::now().timestamp_millis(),
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [dimensions.iter().map(|(k, _)| *k).collect::<Vec<_>>()],
                "Metrics": metrics.iter().map(|(name, unit, _)| json!({"Name": name, "Unit": unit})).collect::<Vec<_>>(),
            }],
        }),
    );
    for (k, v) in dimensions {
        doc.insert((*k).into(), (*v).into());
    }
    for (name, _, value) in metrics {
        doc.insert((*name).into(), (*value).into());
    }
    Value::Object(doc)
}

/// The documents of one event's outcome.
pub fn event(outcome: &Outcome) -> Vec<Value> {
    let path = [("Path", "event")];
    let mut docs = notice(outcome);
    let count = |action: Action, credential: CredentialKind| {
        let n = outcome
            .enforcement
            .iter()
            .filter(|a| a.action == action && a.credential == credential)
            .count();
        u64::try_from(n).unwrap_or(u64::MAX)
    };
    let (key, password) = (CredentialKind::AccessKey, CredentialKind::ConsolePassword);
    if !outcome.enforcement.is_empty() {
        let held = count(Action::HeldByCap, key) + count(Action::HeldByCap, password);
        docs.push(document(
            &path,
            &[
                ("KeysDeactivated", "Count", count(Action::Deactivated, key)),
                ("KeysDeactivatedDryRun", "Count", count(Action::DryRun, key)),
                ("KeysHeldByCap", "Count", held),
                (
                    "PasswordsRemoved",
                    "Count",
                    count(Action::Deactivated, password),
                ),
                (
                    "PasswordsRemovedDryRun",
                    "Count",
                    count(Action::DryRun, password),
                ),
            ],
        ));
    }
    if !outcome.rotation.is_empty() {
        let count = |f: fn(&KeyRotation) -> bool| {
            let n = outcome.rotation.iter().filter(|k| f(&k.rotation)).count();
            u64::try_from(n).unwrap_or(u64::MAX)
        };
        docs.push(document(
            &path,
            &[
                (
                    "KeysRotated",
                    "Count",
                    count(|r| matches!(r, KeyRotation::Rotated(_))),
                ),
                (
                    "RotationsBlocked",
                    "Count",
                    count(|r| matches!(r, KeyRotation::Blocked { .. })),
                ),
                (
                    "RotationsFailed",
                    "Count",
                    count(|r| matches!(r, KeyRotation::Failed)),
                ),
            ],
        ));
    }
    docs.extend(chat(outcome.chat.as_ref(), "event"));
    docs
}

fn chat(chat: Option<&crate::outcome::ChatOutcome>, path: &str) -> Option<Value> {
    let c = chat?;
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    Some(document(
        &[("Path", path)],
        &[
            ("ChatPublished", "Count", n(c.published)),
            ("ChatPublishFailed", "Count", n(c.failed)),
        ],
    ))
}

fn notice(outcome: &Outcome) -> Vec<Value> {
    let path = [("Path", "event")];
    match (outcome.status, outcome.reason) {
        (Status::Sent, _) => vec![document(&path, &[("NoticesSent", "Count", 1)])],
        (Status::DryRun, _) => vec![document(&path, &[("NoticesDryRun", "Count", 1)])],
        (Status::Skipped, Some(reason)) => vec![document(
            &[("Path", "event"), ("Reason", reason.code())],
            &[("NoticesSkipped", "Count", 1)],
        )],
        (Status::Failed, _) => vec![document(&path, &[("NoticesFailed", "Count", 1)])],
        (Status::Skipped, None) => Vec::new(),
    }
}

/// The documents of one sweep's outcome.
pub fn sweep(outcome: &SweepOutcome) -> Vec<Value> {
    let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    let mut docs = vec![document(
        &[("Path", "sweep")],
        &[
            ("NoticesSent", "Count", n(outcome.notices.sent)),
            ("NoticesDryRun", "Count", n(outcome.notices.dry_run)),
            ("Reminders", "Count", n(outcome.notices.reminders)),
            ("UserErrors", "Count", n(outcome.users.failed)),
            ("UsersNotReached", "Count", n(outcome.users.not_reached)),
            ("SweepDuration", "Milliseconds", outcome.duration_ms),
            ("SweepsCompleted", "Count", 1),
            (
                "CredentialReportFallbacks",
                "Count",
                u64::from(outcome.report_unavailable.is_some()),
            ),
            (
                "RootAccessKeyActive",
                "Count",
                u64::from(outcome.root_access_key_active),
            ),
        ],
    )];
    if let Some(e) = &outcome.enforcement {
        docs.push(document(
            &[("Path", "sweep")],
            &[
                ("KeysDeactivated", "Count", n(e.deactivated)),
                ("KeysDeactivatedDryRun", "Count", n(e.dry_run)),
                ("PasswordsRemoved", "Count", n(e.passwords_removed)),
                (
                    "PasswordsRemovedDryRun",
                    "Count",
                    n(e.passwords_would_remove),
                ),
                ("KeysHeldByCap", "Count", n(e.held_by_cap)),
                ("FinalWarnings", "Count", n(e.final_warnings)),
                ("EnforcementErrors", "Count", n(e.failed)),
            ],
        ));
    }
    if let Some(r) = &outcome.rotation {
        docs.push(document(
            &[("Path", "sweep")],
            &[
                ("KeysRotated", "Count", n(r.rotated)),
                ("RotationsBlocked", "Count", n(r.blocked)),
                ("RotationsFailed", "Count", n(r.failed)),
            ],
        ));
    }
    if let Some(h) = &outcome.security_hub {
        let failed = h.failed + usize::from(h.status == SecurityHubStatus::Failed);
        docs.push(document(
            &[("Path", "sweep")],
            &[
                ("FindingsImported", "Count", n(h.imported)),
                ("FindingsArchived", "Count", n(h.archived)),
                ("FindingsFailed", "Count", n(failed)),
            ],
        ));
    }
    if let Some(p) = &outcome.passwords {
        docs.push(document(
            &[("Path", "sweep")],
            &[
                ("PasswordsExpiring", "Count", n(p.expiring)),
                ("PasswordsUnused", "Count", n(p.unused)),
            ],
        ));
    }
    docs.extend(chat(outcome.chat.as_ref(), "sweep"));
    for (reason, count) in &outcome.skipped {
        docs.push(document(
            &[("Path", "sweep"), ("Reason", reason)],
            &[("NoticesSkipped", "Count", n(*count))],
        ));
    }
    docs
}

/// The document of a sweep that ended in an error.
pub(crate) fn sweep_failed() -> Value {
    document(&[("Path", "sweep")], &[("SweepsFailed", "Count", 1)])
}

/// Writes each document as its own log line (the log line's own members
/// sit beside `_aws`, which the format allows).
pub(crate) fn emit(docs: Vec<Value>) {
    for doc in docs {
        crate::logging::log(crate::logging::Level::Info, "metrics", doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SkipReason;

    #[test]
    fn a_document_names_its_members_as_metrics_under_its_dimensions() {
        let doc = &event(&Outcome::skipped(SkipReason::AlreadyNotified))[0];
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["Path", "Reason"]]));
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "NoticesSkipped", "Unit": "Count"}])
        );
        assert_eq!(doc["Path"], "event");
        assert_eq!(doc["Reason"], "already_notified");
        assert_eq!(doc["NoticesSkipped"], 1);
        assert!(doc["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    }
}
