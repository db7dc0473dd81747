//! The blast-radius cap (enforcement rule 5): at most
//! `ENFORCE_MAX_PER_DAY` deactivations per account per calendar day (in
//! `TIME_ZONE`), across every invocation. The places are counted in the
//! ledger ([`NoticeLedger::take_deactivation`], one conditional write), so
//! concurrent runs, retries and a batch of sweep messages share one count.
//! A dry run changes nothing, so it counts within its own invocation and
//! writes nothing: what it reports is what one run alone would do. With one
//! policy acting and the other a dry run, the dry run's keys count apart,
//! within the invocation, and never take a real place. Counted within an
//! invocation, places are per account too (a batch of sweep messages
//! sweeps several accounts in one invocation).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;

use crate::config::Config;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::ports::ledger::NoticeLedger;
use crate::sync::lock;

#[derive(Debug)]
pub(crate) struct Cap {
    max: u32,
    /// The day places are counted for.
    day: NaiveDate,
    /// Real places are counted in the ledger (some policy acts).
    counts_in_ledger: bool,
    /// The places taken within this invocation, per account: a dry run's
    /// count, and the real one when the ledger does not count.
    taken_here: Mutex<HashMap<String, u32>>,
}

impl Cap {
    /// `max` places per account on `day`; counted in the ledger when
    /// `counts_in_ledger` (enforcement acts), otherwise within this
    /// invocation.
    pub(crate) fn new(max: u32, day: NaiveDate, counts_in_ledger: bool) -> Cap {
        Cap {
            max,
            day,
            counts_in_ledger,
            taken_here: Mutex::new(HashMap::new()),
        }
    }

    /// The cap of the run at `now`: `ENFORCE_MAX_PER_DAY` places of today
    /// (in `TIME_ZONE`), counted in the ledger when enforcement acts.
    pub(crate) fn today(config: &Config, now: DateTime<Utc>) -> Cap {
        Cap::new(
            config.enforcement.max_per_day,
            config.policy.date_of(now),
            config.enforcement_acts(),
        )
    }

    /// Takes one place for `account`; `false` when none is left today.
    pub(crate) async fn take<L: NoticeLedger>(
        &self,
        ledger: &L,
        account: &str,
    ) -> Result<bool, Error> {
        if self.counts_in_ledger {
            ledger.take_deactivation(account, self.day, self.max).await
        } else {
            Ok(self.take_dry_run(account))
        }
    }

    /// Takes one place of a dry run (a key that would be deactivated) for
    /// `account`: counted within this invocation only, never in the ledger.
    pub(crate) fn take_dry_run(&self, account: &str) -> bool {
        let mut taken = lock(&self.taken_here);
        let n = taken.entry(account.to_string()).or_default();
        if *n >= self.max {
            return false;
        }
        *n += 1;
        true
    }

    /// Returns a place taken for a key that was not deactivated after all.
    /// A place that cannot be given back stays taken until the day ends:
    /// the cap errs on the side of fewer deactivations.
    pub(crate) async fn give_back<L: NoticeLedger>(&self, ledger: &L, account: &str) {
        let Err(e) = (if self.counts_in_ledger {
            ledger.give_back_deactivation(account, self.day).await
        } else {
            if let Some(n) = lock(&self.taken_here).get_mut(account) {
                *n = n.saturating_sub(1);
            }
            Ok(())
        }) else {
            return;
        };
        logging::log(
            Level::Warn,
            "a deactivation place could not be given back; the day's cap counts it",
            json!({"error": e.safe_message()}),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::memory::ledger::MemoryLedger;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[tokio::test]
    async fn past_the_cap_no_place_is_left_until_one_is_given_back() {
        for counts_in_ledger in [true, false] {
            let ledger = MemoryLedger::new();
            let cap = Cap::new(1, day(), counts_in_ledger);
            assert!(cap.take(&ledger, "123456789012").await.unwrap());
            assert!(!cap.take(&ledger, "123456789012").await.unwrap());
            cap.give_back(&ledger, "123456789012").await;
            assert!(cap.take(&ledger, "123456789012").await.unwrap());
            assert_eq!(
                ledger.script.count("TakeDeactivation"),
                if counts_in_ledger { 3 } else { 0 },
                "a dry run writes nothing"
            );
        }
    }

    #[tokio::test]
    async fn two_caps_of_one_day_share_the_ledger_s_count() {
        let ledger = MemoryLedger::new();
        let (a, b) = (Cap::new(1, day(), true), Cap::new(1, day(), true));
        assert!(a.take(&ledger, "123456789012").await.unwrap());
        assert!(!b.take(&ledger, "123456789012").await.unwrap());
        // Another account, or the next day, has its own places.
        assert!(b.take(&ledger, "210987654321").await.unwrap());
        let tomorrow = Cap::new(1, day().succ_opt().unwrap(), true);
        assert!(tomorrow.take(&ledger, "123456789012").await.unwrap());
    }
}
