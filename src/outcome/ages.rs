//! How old the account's active access keys are: a count per age band,
//! with the deadline and the notice tiers, for the HTML report's chart
//! (`scan --format html`) and the JSON report's `key_ages`.
//!
//! Every active key of the account is counted once: a user the sweep read
//! by its listing (ListAccessKeys), every other user by its credential
//! report row. A key's age is counted as the decision counts it, in whole
//! calendar days of `TIME_ZONE` from its creation's date
//! ([`Policy::date_of`]).

use chrono::NaiveDate;
use serde::Serialize;

use crate::decision::Policy;
use crate::model::clamp_days;

/// Bands up to twice the deadline; one more holds every older key.
const BANDS_TO_TWICE_THE_DEADLINE: u32 = 12;

/// One age band: keys whose age in days is in `from_days..=to_days` (the
/// last band has no end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeBand {
    pub from_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_days: Option<u32>,
    pub keys: usize,
}

/// The count of active keys per age band.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAges {
    /// Every active key counted.
    pub keys: usize,
    /// The deadline, as an age (`MAX_KEY_AGE_DAYS`).
    pub deadline_days: u32,
    /// The age at which each notice tier begins (the deadline less the
    /// tier's days), youngest first.
    pub tier_days: Vec<u32>,
    pub bands: Vec<AgeBand>,
    #[serde(skip)]
    today: NaiveDate,
    #[serde(skip)]
    band_days: u32,
}

impl KeyAges {
    /// No key yet: the bands for `policy`'s deadline on `today`. A band is
    /// a sixth of the deadline (rounded up), so the deadline of the usual
    /// 90 days falls between two 15-day bands.
    pub(crate) fn new(policy: &Policy, today: NaiveDate) -> KeyAges {
        let deadline = policy.max_key_age_days;
        let band_days = deadline.div_ceil(6).max(1);
        let bands = (0..=BANDS_TO_TWICE_THE_DEADLINE)
            .map(|i| AgeBand {
                from_days: i * band_days,
                to_days: (i < BANDS_TO_TWICE_THE_DEADLINE).then(|| (i + 1) * band_days - 1),
                keys: 0,
            })
            .collect();
        let mut tier_days: Vec<u32> = policy
            .notice_rules
            .iter()
            .map(|r| deadline.saturating_sub(r.days_before_deadline))
            .collect();
        tier_days.sort_unstable();
        tier_days.dedup();
        KeyAges {
            keys: 0,
            deadline_days: deadline,
            tier_days,
            bands,
            today,
            band_days,
        }
    }

    /// Counts one active key created on `created` (its date in the
    /// policy's time zone).
    pub(crate) fn add(&mut self, created: NaiveDate) {
        let age = clamp_days((self.today - created).num_days());
        let last = self.bands.len() - 1;
        let band = usize::try_from(age / self.band_days).map_or(last, |b| b.min(last));
        self.bands[band].keys += 1;
        self.keys += 1;
    }

    /// The most keys in one band.
    pub fn tallest(&self) -> usize {
        self.bands.iter().map(|b| b.keys).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        crate::config::Config::from_lookup(|k| match k {
            "SENDER_ADDRESS" => Some("n@example.com".into()),
            "MAX_KEY_AGE_DAYS" => Some("90".into()),
            "NOTICE_RULES" => Some("a=14,b=7,c=1".into()),
            _ => None,
        })
        .unwrap()
        .policy
    }

    #[test]
    fn bands_of_a_sixth_of_the_deadline_up_to_twice_it_and_one_for_every_older_key() {
        let policy = policy();
        let today: NaiveDate = "2026-12-04".parse().unwrap();
        let mut ages = KeyAges::new(&policy, today);
        assert_eq!(ages.deadline_days, 90);
        assert_eq!(ages.bands.len(), 13);
        assert_eq!(
            (ages.bands[0].from_days, ages.bands[0].to_days),
            (0, Some(14))
        );
        assert_eq!(
            (ages.bands[12].from_days, ages.bands[12].to_days),
            (180, None)
        );
        for created in [
            "2026-12-04",
            "2026-11-20",
            "2026-11-19",
            "2026-09-05",
            "2025-01-01",
        ] {
            ages.add(created.parse().unwrap());
        }
        let counts: Vec<usize> = ages.bands.iter().map(|b| b.keys).collect();
        // Ages 0, 14 | 15 | 90 (the deadline's own day) | 702.
        assert_eq!(counts, [2, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(ages.keys, 5);
        assert_eq!(ages.tallest(), 2);
    }

    #[test]
    fn the_tiers_are_marked_as_the_age_they_begin_at() {
        let policy = policy();
        let ages = KeyAges::new(&policy, "2026-12-04".parse().unwrap());
        // Tiers 14, 7 and 1 days before a deadline of 90 days.
        assert_eq!(ages.tier_days, [76, 83, 89]);
    }
}
