//! Unused keys: the second policy, beside the age policy of
//! [`decision`](crate::decision), on the same notices, ledger and
//! enforcement.
//!
//! Pure, like the decision: the caller passes the key, what IAM says of its
//! last use, the setting and today's date.
//!
//! The rules, in the order they are applied:
//!
//! 1. **Off unless asked.** With `UNUSED_KEY_DAYS=0` (the default) no key is
//!    ever unused.
//! 2. **Only active keys.** An inactive key can't be used, and is never
//!    unused.
//! 3. **The period's start.** A key's unused period starts on the date (in
//!    `TIME_ZONE`) of its last use, or of its creation when IAM says it was
//!    never used. When IAM does not say (`no_information` in the report, or
//!    the last use was not read), the key is never unused: no notice, and
//!    never a deactivation, rests on a guess.
//! 4. **Unused.** An active key is unused when its period started
//!    `UNUSED_KEY_DAYS` or more calendar days before today; it became
//!    unused on the start plus `UNUSED_KEY_DAYS`. A last use that IAM dates
//!    after today (clock skew) starts no period.
//! 5. **One notice per period.** The ledger stage of an unused key is
//!    `unused_since_<start>`: a key used again has a later start, so when it
//!    falls unused again, that is a new stage with its own notice, and a
//!    warning about the earlier period is not a warning about this one
//!    ([`Unused::start`]). A period is named by the UTC date of its start
//!    ([`Unused::period`]), never by its date in `TIME_ZONE`: the zone only
//!    prints it, so changing `TIME_ZONE` neither tells a period again nor
//!    forgets the warning about it.
//! 6. **One listing per key.** A key due for rotation that is also unused is
//!    listed once, at its rotation stage, saying it is unused too; its
//!    notice records the unused stage with it (decision rule 9), so it is
//!    not told again as unused in the same period.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar::add_days;
use crate::model::{LastUsed, Unused};

/// Whether a key judged unused for `period` still is, by a fresh read of
/// its last use: unused now, and in the same period (a use since would
/// start a later one). Enforcement's identity check asks this before it
/// deactivates an unused key.
pub(crate) fn still_in(
    period: &Unused,
    unused_key_days: u32,
    created: DateTime<Utc>,
    fresh: &LastUsed,
    today: NaiveDate,
    tz: Tz,
) -> bool {
    unused(unused_key_days, true, created, Some(fresh), today, tz)
        .is_some_and(|now| now.period == period.period)
}

/// Rules 1 to 4 for one key: its unused period at `today`, if it is unused.
/// `last_used`: what IAM says, `None` when it does not say.
pub(crate) fn unused(
    unused_key_days: u32,
    active: bool,
    created: DateTime<Utc>,
    last_used: Option<&LastUsed>,
    today: NaiveDate,
    tz: Tz,
) -> Option<Unused> {
    if unused_key_days == 0 || !active {
        return None;
    }
    let last_used = last_used?;
    let start = last_used.time.unwrap_or(created);
    let since = start.with_timezone(&tz).date_naive();
    let days = (today - since).num_days();
    if days < i64::from(unused_key_days) {
        return None;
    }
    Some(Unused {
        since,
        period: start.date_naive(),
        days: u32::try_from(days).unwrap_or(u32::MAX),
        from: add_days(since, u64::from(unused_key_days)),
        last_used: last_used.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn used(days_ago: i64) -> LastUsed {
        LastUsed {
            time: Some(now() - Duration::days(days_ago)),
            service: Some("s3".into()),
            region: Some("us-east-1".into()),
        }
    }

    const NEVER: LastUsed = LastUsed {
        time: None,
        service: None,
        region: None,
    };

    fn of(
        days: u32,
        active: bool,
        created_days_ago: i64,
        last: Option<&LastUsed>,
    ) -> Option<Unused> {
        unused(
            days,
            active,
            now() - Duration::days(created_days_ago),
            last,
            today(),
            Tz::UTC,
        )
    }

    #[test]
    fn a_key_last_used_the_setting_or_more_days_ago_is_unused_from_that_date() {
        let u = of(90, true, 400, Some(&used(120))).unwrap();
        assert_eq!(u.since, NaiveDate::from_ymd_opt(2026, 7, 26).unwrap());
        assert_eq!(u.days, 120);
        assert_eq!(u.from, NaiveDate::from_ymd_opt(2026, 10, 24).unwrap());
        assert!(!u.never_used());
        assert_eq!(of(90, true, 400, Some(&used(90))).unwrap().days, 90);
        assert_eq!(of(90, true, 400, Some(&used(89))), None);
    }

    #[test]
    fn a_key_never_used_counts_from_its_creation() {
        let u = of(90, true, 100, Some(&NEVER)).unwrap();
        assert_eq!(u.days, 100);
        assert!(u.never_used());
        assert_eq!(of(90, true, 30, Some(&NEVER)), None);
    }

    #[test]
    fn off_inactive_or_unknown_last_use_is_never_unused() {
        assert_eq!(of(0, true, 400, Some(&NEVER)), None);
        assert_eq!(of(90, false, 400, Some(&NEVER)), None);
        assert_eq!(of(90, true, 400, None), None);
    }

    #[test]
    fn the_period_follows_the_time_zone() {
        // 20:00 UTC on 25 August is 05:00 on the 26th in Tokyo.
        let last = LastUsed {
            time: Some(Utc.with_ymd_and_hms(2026, 8, 25, 20, 0, 0).unwrap()),
            ..NEVER
        };
        let in_zone = |tz| {
            unused(
                89,
                true,
                now() - Duration::days(400),
                Some(&last),
                today(),
                tz,
            )
        };
        let tokyo = in_zone(chrono_tz::Asia::Tokyo).unwrap();
        assert_eq!(tokyo.since, NaiveDate::from_ymd_opt(2026, 8, 26).unwrap());
        assert_eq!(tokyo.days, 89);
        let utc = in_zone(Tz::UTC).unwrap();
        assert_eq!(utc.days, 90);
        // The zone prints the period; it does not name it.
        assert_eq!(tokyo.period, utc.period);
        assert_eq!(tokyo.start(), utc.start());
    }

    #[test]
    fn a_period_keeps_its_name_and_warning_subject_whatever_the_zone() {
        // Used at 23:30 UTC: already the next day in Tokyo, still the
        // same day in New York. Six zones, one period.
        let last = LastUsed {
            time: Some(Utc.with_ymd_and_hms(2026, 7, 1, 23, 30, 0).unwrap()),
            ..NEVER
        };
        let zones = [
            Tz::UTC,
            chrono_tz::Asia::Tokyo,
            chrono_tz::America::New_York,
            chrono_tz::Pacific::Kiritimati,
            chrono_tz::Pacific::Pago_Pago,
            chrono_tz::Asia::Kolkata,
        ];
        let periods: Vec<(NaiveDate, DateTime<Utc>)> = zones
            .iter()
            .map(|&tz| {
                let u = unused(
                    90,
                    true,
                    now() - Duration::days(400),
                    Some(&last),
                    today(),
                    tz,
                )
                .unwrap();
                (u.period, u.start())
            })
            .collect();
        assert!(periods.iter().all(|p| *p == periods[0]), "{periods:?}");
        assert_eq!(periods[0].0, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap());
        // And a use read again in another zone is still in the period.
        let period = unused(
            90,
            true,
            now() - Duration::days(400),
            Some(&last),
            today(),
            Tz::UTC,
        )
        .unwrap();
        assert!(still_in(
            &period,
            90,
            now() - Duration::days(400),
            &last,
            today(),
            chrono_tz::Asia::Tokyo
        ));
    }

    #[test]
    fn a_key_used_since_its_period_began_is_not_still_in_it() {
        let period = of(90, true, 400, Some(&used(120))).unwrap();
        let created = now() - Duration::days(400);
        let still = |fresh: &LastUsed| still_in(&period, 90, created, fresh, today(), Tz::UTC);
        assert!(still(&used(120)));
        assert!(!still(&used(2)), "used two days ago");
        assert!(
            !still(&used(100)),
            "used since, and unused again: another period"
        );
    }

    #[test]
    fn a_new_period_is_a_new_warning_subject() {
        let first = of(90, true, 400, Some(&used(120))).unwrap();
        let later = of(90, true, 400, Some(&used(95))).unwrap();
        assert_ne!(first.start(), later.start());
        assert_eq!(
            first.start(),
            of(90, true, 400, Some(&used(120))).unwrap().start()
        );
    }
}
