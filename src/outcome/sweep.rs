//! The sweep's outcome: one JSON object, returned by the sweep, printed by
//! `sweep`, logged as one line and turned into metrics.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::{MailStatus, Status};
use crate::calendar;
use crate::enforcement::EnforceMode;
use crate::error::Error;
use crate::model::{
    Action, CredentialKind, KeyAction, KeyRotation, KeyVerdict, NoticeState, SkipReason, UserResult,
};

/// What happened to one user of a sweep.
#[derive(Debug)]
pub enum Fate {
    /// No active key is due.
    Checked,
    /// A notice went out (or, in a dry run, would have).
    Notified {
        status: Status,
        reminder: bool,
    },
    Skipped(SkipReason),
    Failed(Failure),
}

/// Why a user failed: the error, as outcomes report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// A later run may get through (the sweep's retry rounds try again).
    pub retryable: bool,
    pub error_type: String,
    /// The message, key ids masked.
    pub message: String,
}

impl From<&Error> for Failure {
    fn from(e: &Error) -> Failure {
        Failure {
            retryable: e.is_retryable(),
            error_type: e.error_type(),
            message: e.safe_message(),
        }
    }
}

impl Fate {
    /// The fate of a user the notice service handled.
    pub fn of(result: &UserResult) -> Fate {
        let reminder = || {
            result
                .listed()
                .next()
                .is_some_and(|(_, l)| l.stage.is_reminder())
        };
        match &result.notice {
            Ok(noticed) => match &noticed.state {
                NoticeState::Sent(_) => Fate::Notified {
                    status: Status::Sent,
                    reminder: reminder(),
                },
                NoticeState::DryRun => Fate::Notified {
                    status: Status::DryRun,
                    reminder: reminder(),
                },
                NoticeState::Skipped(reason) => Fate::Skipped(*reason),
                NoticeState::Due => Fate::Checked,
            },
            Err(e) => Fate::Failed(e.into()),
        }
    }
}

/// The most user names an outcome lists (not reached, failed); the counts
/// are always complete.
pub(crate) const MAX_LISTED: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    /// Every user of the account: the credential report's rows (its root
    /// row aside), or what ListUsers returned when the sweep listed every
    /// user; the sum of the five below.
    pub listed: usize,
    /// Read, and no active key is due.
    pub checked: usize,
    /// A notice went out (or, in a dry run, would have).
    pub notified: usize,
    /// A key is due, and nothing was sent, for the reason counted in `skipped`.
    pub skipped: usize,
    /// Reading or notifying failed (after the retry rounds); see `errors`.
    pub failed: usize,
    /// The time budget ended first; the next sweep starts with them.
    pub not_reached: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NoticeCounts {
    pub sent: usize,
    pub dry_run: usize,
    /// Of those sent or dry_run, how many were overdue reminders.
    pub reminders: usize,
}

/// One user's failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UserError {
    pub user: String,
    #[serde(rename = "errorType")]
    pub error_type: String,
    pub error: String,
}

/// What enforcement did in this sweep (present when `ENFORCE` is not
/// false).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnforcementOutcome {
    /// `on`, or `dry_run` (`ENFORCE=dry_run`, or `DRY_RUN=true`).
    pub mode: EnforceMode,
    /// Access keys deactivated.
    pub deactivated: usize,
    /// Keys a real run would have deactivated.
    pub dry_run: usize,
    /// Console passwords removed (their login profile deleted).
    pub passwords_removed: usize,
    /// Console passwords a real run would have removed.
    pub passwords_would_remove: usize,
    /// Keys past the cap (`ENFORCE_MAX_PER_DAY`): the next day's runs take them.
    pub held_by_cap: usize,
    /// Keys held because no warning counts and the user's notice reaches no
    /// owner (`CC_RECIPIENTS` alone, or nobody).
    pub no_one_to_warn: usize,
    /// Keys that changed between the decision and the action.
    pub left_alone: usize,
    /// Keys deactivated before and reactivated since.
    pub reactivated: usize,
    /// Keys whose notice was a final warning (no warning counted yet).
    pub final_warnings: usize,
    /// Users whose keys enforcement could not finish with; see `errors`.
    pub failed: usize,
    /// The first [`MAX_LISTED`] actions.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<KeyAction>,
    /// The first [`MAX_LISTED`] failures, one per user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<UserError>,
    /// Enforcement stopped: the exemption list could not be used, so no
    /// key was deactivated (notices went on). Told to the team's channel.
    #[serde(skip)]
    pub stopped: bool,
}

/// What rotation did in this sweep or scan (present when `ROTATE` is not
/// false).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RotationOutcome {
    /// `on`, or `dry_run` (`ROTATE=dry_run`, `DRY_RUN=true`, or `scan`).
    pub mode: EnforceMode,
    /// Keys replaced by this run.
    pub rotated: usize,
    /// Keys a real run would replace now.
    pub would_rotate: usize,
    /// Keys not replaced: the user holds two keys.
    pub blocked: usize,
    /// Keys whose replacement failed (the new key deactivated).
    pub failed: usize,
    /// Keys replaced before whose new key has not been used: the old key
    /// stays active.
    pub awaiting_new_key_use: usize,
    /// Keys replaced before whose new key is in use.
    pub replaced: usize,
    /// Keys replaced before whose new key was deleted or deactivated.
    pub new_key_gone: usize,
    /// Keys another run was replacing, or that changed since they were read.
    pub left_alone: usize,
    /// The first [`MAX_LISTED`] keys, every state but a replacement in use.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<super::RotatedKey>,
    /// The first [`MAX_LISTED`] failures, one per user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<UserError>,
}

impl RotationOutcome {
    /// Takes in what rotation made of one user's keys.
    pub fn add(&mut self, result: &UserResult) {
        for key in super::RotatedKey::all(result) {
            *match &key.rotation {
                KeyRotation::Rotated(_) => &mut self.rotated,
                KeyRotation::WouldRotate => &mut self.would_rotate,
                KeyRotation::Blocked { .. } => &mut self.blocked,
                KeyRotation::Failed => &mut self.failed,
                KeyRotation::Replaced {
                    new_key_used: false,
                    ..
                } => &mut self.awaiting_new_key_use,
                KeyRotation::Replaced { .. } => &mut self.replaced,
                KeyRotation::NewKeyGone(_) => &mut self.new_key_gone,
                KeyRotation::LeftAlone => &mut self.left_alone,
            } += 1;
            if !key.rotation.new_key_used() && self.keys.len() < MAX_LISTED {
                self.keys.push(key);
            }
        }
        if let Some(error) = &result.rotation_error
            && self.errors.len() < MAX_LISTED
        {
            self.errors.push(UserError {
                user: result.name.clone(),
                error_type: error.error_type(),
                error: error.safe_message(),
            });
        }
    }
}

/// The console passwords a sweep or scan listed (present when
/// `PASSWORD_NOTICE_DAYS` or `UNUSED_PASSWORD_DAYS` is set); what
/// enforcement removed is in `enforcement`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PasswordCounts {
    /// Within an expiry tier, of users who are not exempt.
    pub expiring: usize,
    /// Listed for their unused period, of users who are not exempt.
    pub unused: usize,
    /// Of exempt users.
    pub exempt: usize,
}

/// What the sweep did with Security Hub (`SECURITY_HUB`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SecurityHubOutcome {
    /// `imported`, `dry_run` (nothing imported: `DRY_RUN=true`), or
    /// `failed` (a call was refused or the time ran out; `error` says).
    pub status: SecurityHubStatus,
    /// Findings this sweep imported (or, in a dry run, would have).
    pub imported: usize,
    /// Findings archived: their credential is rotated, deleted,
    /// deactivated or exempt.
    pub archived: usize,
    /// Findings Security Hub refused (`FailedFindings`), in all.
    pub failed: usize,
    /// The same, by Security Hub's `ErrorCode`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub failures: BTreeMap<String, usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecurityHubStatus {
    #[default]
    Imported,
    DryRun,
    Failed,
}

/// A sweep, or a read-only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Sweep,
    /// `scan`: read only.
    Scan,
}

/// Where a sweep learned of its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The credential report: only the users with a due key read afresh.
    CredentialReport,
    /// ListUsers: every user read.
    Listing,
}

/// What the digest did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DigestOutcome {
    pub status: MailStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The rendered digest (for `sweep --show-digest`); not part of the JSON.
    #[serde(skip)]
    pub rendered: Option<crate::rendered::Rendered>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SweepOutcome {
    pub kind: RunKind,
    pub account: String,
    /// The date the days are counted from, in the configured time zone.
    pub today: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Where this sweep started: the first user the last one did not reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resumed_from: Option<String>,
    pub users: UserCounts,
    /// Where the users came from.
    pub source: Source,
    /// Why the credential report was not used, when the sweep wanted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_unavailable: Option<String>,
    /// The credential report shows an active access key of the root user:
    /// a finding of its own (never mailed, never enforced).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub root_access_key_active: bool,
    /// Access keys listed, active or not.
    pub keys: usize,
    pub notices: NoticeCounts,
    /// Users skipped, by reason.
    pub skipped: BTreeMap<&'static str, usize>,
    /// Users tried again after a retryable failure (each retry counted).
    pub retried: usize,
    /// The first [`MAX_LISTED`] users not reached, by name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_reached_users: Vec<String>,
    /// The first [`MAX_LISTED`] failures, one per user.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<UserError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enforcement: Option<EnforcementOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rotation: Option<RotationOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passwords: Option<PasswordCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_hub: Option<SecurityHubOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<DigestOutcome>,
    /// What the team's chat channel was sent (`CHAT_TOPIC_ARN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<super::ChatOutcome>,
    pub duration_ms: u64,
    /// The report the digest and `scan` print; not part of the JSON.
    #[serde(skip)]
    pub report: Option<super::report::Report>,
}

impl SweepOutcome {
    /// An outcome with nothing counted yet: `read_only` for `scan`;
    /// `enforcement` the mode of an enforcing sweep (`None`: `ENFORCE` is
    /// false, or a scan).
    pub fn new(
        account: &str,
        today: NaiveDate,
        read_only: bool,
        dry_run: bool,
        enforcement: Option<EnforceMode>,
        listed: usize,
    ) -> SweepOutcome {
        SweepOutcome {
            kind: if read_only {
                RunKind::Scan
            } else {
                RunKind::Sweep
            },
            account: account.to_string(),
            today: calendar::iso(today),
            dry_run,
            resumed_from: None,
            users: UserCounts {
                listed,
                ..UserCounts::default()
            },
            source: Source::Listing,
            report_unavailable: None,
            root_access_key_active: false,
            keys: 0,
            notices: NoticeCounts::default(),
            skipped: BTreeMap::new(),
            retried: 0,
            not_reached_users: Vec::new(),
            errors: Vec::new(),
            enforcement: enforcement.map(|mode| EnforcementOutcome {
                mode,
                deactivated: 0,
                dry_run: 0,
                passwords_removed: 0,
                passwords_would_remove: 0,
                held_by_cap: 0,
                no_one_to_warn: 0,
                left_alone: 0,
                reactivated: 0,
                final_warnings: 0,
                failed: 0,
                actions: Vec::new(),
                errors: Vec::new(),
                stopped: false,
            }),
            rotation: None,
            passwords: None,
            security_hub: None,
            digest: None,
            chat: None,
            duration_ms: 0,
            report: None,
        }
    }

    /// Takes in where the users came from (`source`, and why the report
    /// was not used): `users` the credential report settled without a
    /// read count as checked, with their `keys`.
    pub fn source(
        &mut self,
        source: Source,
        unavailable: Option<String>,
        users: usize,
        keys: usize,
    ) {
        self.source = source;
        self.report_unavailable = unavailable;
        self.users.checked += users;
        self.keys += keys;
    }

    pub fn count(&mut self, user: &str, keys: usize, fate: &Fate) {
        self.keys += keys;
        match fate {
            Fate::Checked => self.users.checked += 1,
            Fate::Notified { status, reminder } => {
                self.users.notified += 1;
                match status {
                    Status::DryRun => self.notices.dry_run += 1,
                    _ => self.notices.sent += 1,
                }
                if *reminder {
                    self.notices.reminders += 1;
                }
            }
            Fate::Skipped(reason) => {
                self.users.skipped += 1;
                *self.skipped.entry(reason.code()).or_default() += 1;
            }
            Fate::Failed(f) => {
                self.users.failed += 1;
                if self.errors.len() < MAX_LISTED {
                    self.errors.push(UserError {
                        user: user.to_string(),
                        error_type: f.error_type.clone(),
                        error: f.message.clone(),
                    });
                }
            }
        }
    }

    /// Takes in what enforcement made of one user's keys.
    pub fn enforced(&mut self, result: &UserResult) {
        let Some(e) = self.enforcement.as_mut() else {
            return;
        };
        for action in result.actions() {
            let password = action.credential == CredentialKind::ConsolePassword;
            *match action.action {
                Action::Deactivated if password => &mut e.passwords_removed,
                Action::DryRun if password => &mut e.passwords_would_remove,
                Action::Deactivated => &mut e.deactivated,
                Action::DryRun => &mut e.dry_run,
                Action::HeldByCap => &mut e.held_by_cap,
                Action::NoOneToWarn => &mut e.no_one_to_warn,
                Action::LeftAlone => &mut e.left_alone,
                Action::Reactivated => &mut e.reactivated,
            } += 1;
            if e.actions.len() < MAX_LISTED {
                e.actions.push(action.clone());
            }
        }
        e.final_warnings += result
            .keys
            .iter()
            .filter_map(|k| k.enforcement.as_ref())
            .filter(|k| matches!(k.verdict, KeyVerdict::FinalWarning { .. }))
            .count();
        if let Some(error) = &result.enforcement_error {
            e.failed += 1;
            e.stopped |= matches!(error, Error::ExemptionsUnavailable(_));
            if e.errors.len() < MAX_LISTED {
                e.errors.push(UserError {
                    user: result.name.clone(),
                    error_type: error.error_type(),
                    error: error.safe_message(),
                });
            }
        }
    }

    pub fn not_reached(&mut self, users: &[String]) {
        self.users.not_reached = users.len();
        self.not_reached_users = users.iter().take(MAX_LISTED).cloned().collect();
    }
}
