//! [`NoticeLedger`] in memory, with the DynamoDB adapter's semantics (a
//! claim succeeds where nothing live is recorded; release drops only the
//! owner's claim; expired entries count as absent), for the flow tests,
//! the bench and the demo. Failures are scripted per operation
//! (`Claim`, `RecordSent`, `Release`, `IsSent`, `Warning`, `RecordWarning`,
//! `SweepResume`, `SetSweepResume`, `Rotation`, `StartRotation`,
//! `RecordRotation`).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};

use super::script::Script;
use crate::enforcement::Warning;
use crate::error::Error;
use crate::model::Replacement;
use crate::ports::ledger::{
    Claim, ClaimRequest, NoticeKey, NoticeLedger, RotationRecord, SentRecord, rotation_key,
};
use crate::sync::lock;

/// What is stored for one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    Claimed { owner: String, until: DateTime<Utc> },
    Sent(SentRecord),
}

impl Entry {
    fn expires_at(&self) -> DateTime<Utc> {
        match self {
            Entry::Claimed { until, .. } => *until,
            Entry::Sent(r) => r.expires_at,
        }
    }
}

/// A warning as kept: the warning and when it expires.
type Kept = (Warning, DateTime<Utc>);

#[derive(Default)]
pub struct MemoryLedger {
    entries: Mutex<HashMap<NoticeKey, Entry>>,
    /// Per (account, key id), the warning and when it expires.
    warnings: Mutex<HashMap<(String, String), Kept>>,
    /// Per account, where the last sweep stopped.
    resume: Mutex<HashMap<String, String>>,
    /// Sweep summaries by (run, account).
    summaries: Mutex<HashMap<(NaiveDate, String), String>>,
    /// Deactivations taken, by (account, day).
    deactivations: Mutex<HashMap<(String, NaiveDate), u32>>,
    /// Replacements, by (account, old key id).
    rotations: Mutex<HashMap<(String, String), Replacement>>,
    /// When a claimed rotation was begun, by its `rotation` stage; dropped
    /// with the claim (a new claim, a release, the record), as the
    /// DynamoDB item's attribute is.
    started: Mutex<HashMap<NoticeKey, DateTime<Utc>>>,
    pub script: Script,
}

impl MemoryLedger {
    pub fn new() -> MemoryLedger {
        MemoryLedger::default()
    }

    /// What is stored for `key`, expired or not.
    pub fn entry(&self, key: &NoticeKey) -> Option<Entry> {
        lock(&self.entries).get(key).cloned()
    }

    /// Every stored entry.
    pub fn entries(&self) -> HashMap<NoticeKey, Entry> {
        lock(&self.entries).clone()
    }

    /// Stores `entry` for `key` as another invocation would have.
    pub fn put(&self, key: NoticeKey, entry: Entry) {
        lock(&self.entries).insert(key, entry);
    }

    /// Keeps `warning` for `access_key_id` as another invocation would have
    /// (over whatever was kept).
    pub fn put_warning(
        &self,
        account: &str,
        access_key_id: &str,
        warning: Warning,
        expires_at: DateTime<Utc>,
    ) {
        lock(&self.warnings).insert(
            (account.to_string(), access_key_id.to_string()),
            (warning, expires_at),
        );
    }

    /// The warning kept for `access_key_id`, expired or not.
    pub fn warning_of(&self, account: &str, access_key_id: &str) -> Option<Warning> {
        lock(&self.warnings)
            .get(&(account.to_string(), access_key_id.to_string()))
            .map(|(w, _)| *w)
    }
}

impl NoticeLedger for MemoryLedger {
    async fn claim(&self, key: &NoticeKey, request: &ClaimRequest) -> Result<Claim, Error> {
        self.script.call("Claim")?;
        let mut entries = lock(&self.entries);
        match entries.get(key) {
            Some(e) if e.expires_at() >= request.now => Ok(match e {
                Entry::Sent(_) => Claim::AlreadySent,
                Entry::Claimed { .. } => Claim::HeldElsewhere,
            }),
            _ => {
                entries.insert(
                    key.clone(),
                    Entry::Claimed {
                        owner: request.owner.clone(),
                        until: request.until,
                    },
                );
                lock(&self.started).remove(key);
                Ok(Claim::Acquired)
            }
        }
    }

    async fn record_sent(&self, key: &NoticeKey, record: &SentRecord) -> Result<(), Error> {
        self.script.call("RecordSent")?;
        lock(&self.entries).insert(key.clone(), Entry::Sent(record.clone()));
        lock(&self.started).remove(key);
        Ok(())
    }

    async fn release(&self, key: &NoticeKey, owner: &str) -> Result<(), Error> {
        self.script.call("Release")?;
        let mut entries = lock(&self.entries);
        if matches!(entries.get(key), Some(Entry::Claimed { owner: o, .. }) if o == owner) {
            entries.remove(key);
            lock(&self.started).remove(key);
        }
        Ok(())
    }

    async fn is_sent(&self, key: &NoticeKey, now: DateTime<Utc>) -> Result<bool, Error> {
        self.script.call("IsSent")?;
        Ok(
            matches!(lock(&self.entries).get(key), Some(e @ Entry::Sent(_)) if e.expires_at() >= now),
        )
    }

    async fn warning(
        &self,
        account: &str,
        access_key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Warning>, Error> {
        self.script.call("Warning")?;
        Ok(lock(&self.warnings)
            .get(&(account.to_string(), access_key_id.to_string()))
            .filter(|(_, expires_at)| *expires_at >= now)
            .map(|(w, _)| *w))
    }

    async fn record_warning(
        &self,
        account: &str,
        access_key_id: &str,
        warning: &Warning,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.script.call("RecordWarning")?;
        let mut warnings = lock(&self.warnings);
        let slot = (account.to_string(), access_key_id.to_string());
        let live = warnings
            .get(&slot)
            .filter(|(_, until)| *until >= warning.first_sent);
        let kept = (
            Warning::merged(live.map(|(w, _)| *w), *warning),
            live.map_or(expires_at, |(_, until)| (*until).max(expires_at)),
        );
        warnings.insert(slot, kept);
        Ok(())
    }

    async fn rotation(
        &self,
        account: &str,
        old_key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<RotationRecord, Error> {
        self.script.call("Rotation")?;
        let key = rotation_key(account, old_key_id);
        let entry = lock(&self.entries).get(&key).cloned();
        Ok(match entry {
            Some(e @ Entry::Sent(_)) if e.expires_at() >= now => lock(&self.rotations)
                .get(&(account.to_string(), old_key_id.to_string()))
                .cloned()
                .map_or(RotationRecord::None, RotationRecord::Replaced),
            Some(Entry::Claimed { .. }) => lock(&self.started)
                .get(&key)
                .map_or(RotationRecord::None, |at| RotationRecord::Started(*at)),
            _ => RotationRecord::None,
        })
    }

    async fn start_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.script.call("StartRotation")?;
        let key = rotation_key(account, old_key_id);
        let entries = lock(&self.entries);
        if !matches!(entries.get(&key), Some(Entry::Claimed { owner: o, .. }) if o == owner) {
            return Err(key.in_progress());
        }
        lock(&self.started).insert(key, at);
        Ok(())
    }

    async fn record_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        replacement: &Replacement,
        record: &SentRecord,
    ) -> Result<(), Error> {
        self.script.call("RecordRotation")?;
        let key = rotation_key(account, old_key_id);
        lock(&self.rotations).insert(
            (account.to_string(), old_key_id.to_string()),
            replacement.clone(),
        );
        lock(&self.started).remove(&key);
        lock(&self.entries).insert(key, Entry::Sent(record.clone()));
        Ok(())
    }

    async fn sweep_resume(&self, account: &str) -> Result<Option<String>, Error> {
        self.script.call("SweepResume")?;
        Ok(lock(&self.resume).get(account).cloned())
    }

    async fn set_sweep_resume(
        &self,
        account: &str,
        user: Option<&str>,
        _now: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.script.call("SetSweepResume")?;
        let mut resume = lock(&self.resume);
        match user {
            Some(user) => resume.insert(account.to_string(), user.to_string()),
            None => resume.remove(account),
        };
        Ok(())
    }

    async fn put_summary(&self, run: NaiveDate, account: &str, summary: &str) -> Result<(), Error> {
        self.script.call("PutSummary")?;
        lock(&self.summaries).insert((run, account.to_string()), summary.to_string());
        Ok(())
    }

    async fn summary(&self, run: NaiveDate, account: &str) -> Result<Option<String>, Error> {
        self.script.call("GetSummary")?;
        Ok(lock(&self.summaries)
            .get(&(run, account.to_string()))
            .cloned())
    }

    async fn take_deactivation(
        &self,
        account: &str,
        day: NaiveDate,
        max: u32,
    ) -> Result<bool, Error> {
        self.script.call("TakeDeactivation")?;
        let mut taken = lock(&self.deactivations);
        let count = taken.entry((account.to_string(), day)).or_default();
        if *count >= max {
            return Ok(false);
        }
        *count += 1;
        Ok(true)
    }

    async fn give_back_deactivation(&self, account: &str, day: NaiveDate) -> Result<(), Error> {
        self.script.call("GiveBackDeactivation")?;
        if let Some(count) = lock(&self.deactivations).get_mut(&(account.to_string(), day)) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}
