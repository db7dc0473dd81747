//! [`NoticeLedger`] in memory, with the DynamoDB adapter's semantics (a
//! claim succeeds where nothing live is recorded; release drops only the
//! owner's claim; expired entries count as absent), for the flow tests,
//! the bench and the demo. Failures are scripted per operation
//! (`Claim`, `RecordSent`, `Release`, `IsSent`, `FirstNotice`,
//! `SweepResume`, `SetSweepResume`).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};

use super::script::Script;
use crate::error::Error;
use crate::ports::ledger::{Claim, ClaimRequest, NoticeKey, NoticeLedger, SentRecord, warns};
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

#[derive(Default)]
pub struct MemoryLedger {
    entries: Mutex<HashMap<NoticeKey, Entry>>,
    /// Per (account, key id), the first notice's record.
    first: Mutex<HashMap<(String, String), SentRecord>>,
    /// Per account, where the last sweep stopped.
    resume: Mutex<HashMap<String, String>>,
    /// Sweep summaries by (run, account).
    summaries: Mutex<HashMap<(NaiveDate, String), String>>,
    /// Deactivations taken, by (account, day).
    deactivations: Mutex<HashMap<(String, NaiveDate), u32>>,
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

    /// Stores `entry` for `key` as another invocation would have (a sent
    /// one also as the key's first notice, unless one is kept).
    pub fn put(&self, key: NoticeKey, entry: Entry) {
        if let Entry::Sent(record) = &entry {
            self.keep_first(&key, record);
        }
        lock(&self.entries).insert(key, entry);
    }

    fn keep_first(&self, key: &NoticeKey, record: &SentRecord) {
        if !warns(key) {
            return;
        }
        let mut first = lock(&self.first);
        let slot = (key.account.clone(), key.access_key_id.clone());
        match first.get(&slot) {
            Some(kept) if kept.expires_at >= record.sent_at => {}
            _ => {
                first.insert(slot, record.clone());
            }
        }
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
                Ok(Claim::Acquired)
            }
        }
    }

    async fn record_sent(&self, key: &NoticeKey, record: &SentRecord) -> Result<(), Error> {
        self.script.call("RecordSent")?;
        lock(&self.entries).insert(key.clone(), Entry::Sent(record.clone()));
        self.keep_first(key, record);
        Ok(())
    }

    async fn release(&self, key: &NoticeKey, owner: &str) -> Result<(), Error> {
        self.script.call("Release")?;
        let mut entries = lock(&self.entries);
        if matches!(entries.get(key), Some(Entry::Claimed { owner: o, .. }) if o == owner) {
            entries.remove(key);
        }
        Ok(())
    }

    async fn is_sent(&self, key: &NoticeKey, now: DateTime<Utc>) -> Result<bool, Error> {
        self.script.call("IsSent")?;
        Ok(
            matches!(lock(&self.entries).get(key), Some(e @ Entry::Sent(_)) if e.expires_at() >= now),
        )
    }

    async fn first_notice(
        &self,
        account: &str,
        access_key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, Error> {
        self.script.call("FirstNotice")?;
        let first = lock(&self.first);
        Ok(first
            .get(&(account.to_string(), access_key_id.to_string()))
            .filter(|r| r.expires_at >= now)
            .map(|r| r.sent_at))
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
