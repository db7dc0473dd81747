//! The notice ledger: which (account, access key id, stage) notices were
//! sent, so that each stage of each key is announced once, whichever path
//! gets there first (a Config event of any tier, or a duplicate delivery of
//! one; the daily sweep later).
//!
//! The notice service uses it in three steps around the mail:
//!
//! - **claim** each listed key's stage before anything is sent: a
//!   conditional write that succeeds only where nothing live is recorded.
//!   A claim lasts until shortly after the invocation's own deadline, so it
//!   cannot expire while its invocation runs, and a crashed invocation's
//!   claim frees itself;
//! - **record** each claimed stage as sent once the mail is out, with the
//!   message id, kept for [`RETENTION_DAYS`] after the later of the key's
//!   deadline and the notice;
//! - **release** the claims when sending failed, so the platform's retry
//!   can go through at once.
//!
//! A claim that finds the stage sent means `already_notified`; one that finds
//! another invocation's live claim means "retry later" (a concurrent
//! delivery is mailing right now). Records expire through DynamoDB TTL,
//! which deletes lazily, so every check compares the expiry itself.
//!
//! A notice that announced a deactivation date to an owner also keeps the
//! key's [`Warning`] ([`NoticeLedger::record_warning`]): when the first such
//! notice was sent, the latest date announced, and the key's CreateDate;
//! enforcement's evidence that the owner was warned, and its promise of
//! when. A deactivation is recorded as the key's `deactivated` stage,
//! claimed before the key is changed, so it happens and is announced once.
//!
//! The same table keeps one more item per account: where the last sweep
//! stopped when it ran out of time ([`NoticeLedger::sweep_resume`]), so the
//! next sweep starts with the users it did not reach.
//!
//! With rotation, a key's `rotation` stage is claimed before its
//! replacement is created and recorded with the new key and its secret's
//! name and ARN ([`NoticeLedger::record_rotation`]), never the secret.
//!
//! With enforcement, it counts each account's deactivations per calendar day
//! ([`NoticeLedger::take_deactivation`]): the cap `ENFORCE_MAX_PER_DAY`
//! holds across every invocation.
//!
//! In Organizations mode it also keeps each account's summary of the day's
//! sweep ([`NoticeLedger::put_summary`]), which the Organization's digest
//! reads.
//!
//! The DynamoDB adapter is `aws::dynamodb`, an in-memory one
//! `ports::memory::ledger`.

use std::future::Future;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::enforcement::Warning;
use crate::error::Error;
use crate::model::{Replacement, Stage};

/// How long a sent record outlives the later of the key's deadline and the
/// notice: past any configured deadline (`MAX_KEY_AGE_DAYS` may be up to a
/// year for most users), so a stage is never announced twice while the key
/// can still be at it. A rotated key has a new id; its old records just age
/// out.
pub(crate) const RETENTION_DAYS: i64 = 400;

/// One stage of one key: the unit the ledger records.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub account: String,
    pub access_key_id: String,
    pub stage: Stage,
}

impl NoticeKey {
    /// The partition key: `notice#ACCOUNT#KEYID#STAGE`. The full key id is
    /// stored (a masked one is ambiguous); an access key id is an
    /// identifier, not a secret, and the table is readable only by the
    /// function's role.
    pub fn pk(&self) -> String {
        format!(
            "notice#{}#{}#{}",
            self.account,
            self.access_key_id,
            self.stage.code()
        )
    }

    /// The error for a stage another invocation holds: it is at work on it
    /// right now, and a retry finds its outcome.
    pub(crate) fn in_progress(&self) -> Error {
        Error::NoticeInProgress {
            key: crate::mask::mask_key_id(&self.access_key_id),
            stage: self.stage.code(),
        }
    }
}

/// Who claims, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimRequest {
    /// The invocation's id: only its holder releases a claim.
    pub owner: String,
    pub now: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// What claiming a stage found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Nothing live was recorded: this invocation holds the stage now.
    Acquired,
    /// The stage was announced already.
    AlreadySent,
    /// Another invocation holds a live claim on it.
    HeldElsewhere,
}

/// What the ledger keeps of one key's rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotationRecord {
    /// Never replaced, and no replacement under way.
    None,
    /// A replacement was begun at this instant and never recorded.
    Started(DateTime<Utc>),
    /// Replaced.
    Replaced(Replacement),
}

/// The `rotation` stage of `old_key_id`: the item that claims, marks and
/// records its replacement.
pub(crate) fn rotation_key(account: &str, old_key_id: &str) -> NoticeKey {
    NoticeKey {
        account: account.to_string(),
        access_key_id: old_key_id.to_string(),
        stage: Stage::Rotation,
    }
}

/// A sent notice, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRecord {
    pub user: String,
    /// The Config rule whose event sent it.
    pub source: String,
    pub message_id: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// When a record of a notice about a key with `deadline`, sent at `now`,
/// may be forgotten.
pub(crate) fn record_expiry(deadline: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    deadline.max(now) + Duration::days(RETENTION_DAYS)
}

pub trait NoticeLedger: Send + Sync {
    /// Claims `key` for `request.owner` until `request.until`, unless it is
    /// sent or held by a live claim.
    fn claim(
        &self,
        key: &NoticeKey,
        request: &ClaimRequest,
    ) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Records `key` as sent (whatever was there).
    fn record_sent(
        &self,
        key: &NoticeKey,
        record: &SentRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Drops `owner`'s claim on `key`; anything else there stays.
    fn release(
        &self,
        key: &NoticeKey,
        owner: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Whether `key` is recorded as sent (and not expired at `now`). Reads
    /// only: a dry run asks this instead of claiming.
    fn is_sent(
        &self,
        key: &NoticeKey,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, Error>> + Send;
    /// The warning kept for `access_key_id` (not expired at `now`), about
    /// whichever key had that id.
    fn warning(
        &self,
        account: &str,
        access_key_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Warning>, Error>> + Send;

    /// Keeps that a notice sent at `warning.first_sent` announced
    /// `warning.announced` for the key created at `warning.key_created`,
    /// until `expires_at`. Where a live warning about the same key is kept,
    /// its first send stays and the later of the two dates is kept
    /// ([`Warning::merged`]), whatever order concurrent writers come in;
    /// otherwise (none, expired, or about another key) this one replaces it.
    fn record_warning(
        &self,
        account: &str,
        access_key_id: &str,
        warning: &Warning,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// What is kept of `old_key_id`'s rotation at `now`: its replacement
    /// (the key's `rotation` stage, sent and not expired), or the instant a
    /// replacement was begun and never recorded (a claim marked by
    /// [`start_rotation`](NoticeLedger::start_rotation), live or expired:
    /// the run that held it stopped between creating the new key and
    /// recording it), or nothing.
    fn rotation(
        &self,
        account: &str,
        old_key_id: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RotationRecord, Error>> + Send;

    /// Marks the `rotation` stage of `old_key_id`, claimed by `owner`, as
    /// begun at `at`, just before the new key is created. A claim that is
    /// not `owner`'s any more is [`Error::NoticeInProgress`].
    fn start_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Records that `old_key_id` was replaced by `replacement`: its
    /// `rotation` stage as sent (`record`), with the new key and its
    /// secret, whatever was there (the claim this run holds).
    fn record_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        replacement: &Replacement,
        record: &SentRecord,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// The first user the account's last sweep did not reach, if it ran out
    /// of time.
    fn sweep_resume(
        &self,
        account: &str,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;
    /// Remembers where this sweep stopped (`None`: it reached everyone).
    fn set_sweep_resume(
        &self,
        account: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Takes one of `max` deactivation places of `account` on `day` (a
    /// calendar day in `TIME_ZONE`), for every invocation at once: one
    /// conditional write, so concurrent runs never take more than `max`
    /// between them. `false` when none is left.
    fn take_deactivation(
        &self,
        account: &str,
        day: NaiveDate,
        max: u32,
    ) -> impl Future<Output = Result<bool, Error>> + Send;

    /// Gives back a place taken for a key that was not deactivated after
    /// all; never below zero.
    fn give_back_deactivation(
        &self,
        account: &str,
        day: NaiveDate,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Keeps `account`'s summary of the sweep of `run` (Organizations mode:
    /// the Organization's digest reads it), replacing an earlier one.
    fn put_summary(
        &self,
        run: NaiveDate,
        account: &str,
        summary: &str,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// `account`'s summary of the sweep of `run`, if one was kept.
    fn summary(
        &self,
        run: NaiveDate,
        account: &str,
    ) -> impl Future<Output = Result<Option<String>, Error>> + Send;
}

/// The partition key of an account's summary of one sweep (Organizations
/// mode): `summary#RUN#ACCOUNT`.
pub(crate) fn summary_pk(run: NaiveDate, account: &str) -> String {
    format!("summary#{run}#{account}")
}

/// A sweep summary is forgotten (DynamoDB TTL) this long after its run;
/// the digest reads it the same day.
pub(crate) const SUMMARY_DAYS: i64 = 14;

/// The partition key of an account's deactivations of one day (the daily
/// cap's counter): `deactivations#ACCOUNT#DAY`.
pub(crate) fn deactivations_pk(account: &str, day: NaiveDate) -> String {
    format!("deactivations#{account}#{day}")
}

/// A day's deactivation counter is forgotten (DynamoDB TTL) this long after
/// the day; only its own day reads it.
pub(crate) const DEACTIVATIONS_DAYS: i64 = 14;

/// The partition key of a key's warning: `warning#ACCOUNT#KEYID`.
pub(crate) fn warning_pk(account: &str, access_key_id: &str) -> String {
    format!("warning#{account}#{access_key_id}")
}

/// The partition key of an account's sweep position: `sweep#ACCOUNT`.
pub(crate) fn sweep_pk(account: &str) -> String {
    format!("sweep#{account}")
}

/// A sweep position older than this is forgotten (DynamoDB TTL): a sweep
/// runs daily, so it is long stale by then.
pub(crate) const SWEEP_RESUME_DAYS: i64 = 30;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_partition_key_names_account_key_and_stage() {
        let key = NoticeKey {
            account: "123456789012".into(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            stage: Stage::Tier(7),
        };
        assert_eq!(key.pk(), "notice#123456789012#AKIAIOSFODNN7EXAMPLE#tier_7");
    }

    #[test]
    fn a_record_outlives_the_later_of_deadline_and_notice() {
        let t = |d| Utc.with_ymd_and_hms(2026, 11, d, 0, 0, 0).unwrap();
        assert_eq!(record_expiry(t(30), t(23)), t(30) + Duration::days(400));
        assert_eq!(record_expiry(t(1), t(23)), t(23) + Duration::days(400));
    }
}
