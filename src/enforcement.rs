//! Enforcement: which overdue keys are deactivated now, and what every other
//! due key of an enforcing account is told about it.
//!
//! Like [`decision`](crate::decision), everything in this module is pure:
//! the caller passes the key, the date of its first recorded warning (from
//! the notice ledger) and today. The calls it leads to (the re-read, the
//! deactivation, the mail) and the run's cap on deactivations are the notice
//! pipeline's (`notice::enforce`, `notice::cap`). It runs for a Config event
//! and for the sweep alike.
//!
//! The rules, for one active, due key of a user who is not exempt (decision
//! rule 1 comes first: an exempt user's keys are never judged):
//!
//! 1. **Off unless asked.** With `ENFORCE=false` nothing here runs and no key
//!    is ever changed. With `ENFORCE=dry_run` (or `DRY_RUN=true`) every
//!    verdict is reached and reported, and nothing is changed.
//! 2. **The enforcement date.** A key may be deactivated from the day after
//!    its deadline's date plus `ENFORCE_GRACE_DAYS` (grace 0: the first
//!    overdue day). Before that date the key waits.
//! 3. **A warning first.** A key is deactivated only when the ledger
//!    records a notice about that key sent at least
//!    `ENFORCE_MIN_WARNING_DAYS` × 24 hours before now: elapsed time, not
//!    dates (a warning sent at 23:59 on the 1st is three dates old at 00:01
//!    on the 4th, but only 48 hours). A key whose enforcement date has come
//!    and that has no recorded warning gets a final warning now (its notice
//!    is of stage `final_warning`) and waits that long from now. A key
//!    warned too recently waits until the warning is old enough.
//! 4. **The earliest date.** Every key that waits is told the earliest date
//!    it may be deactivated: the later of its enforcement date and the date
//!    its first warning (this notice, if none is recorded) is
//!    `ENFORCE_MIN_WARNING_DAYS` × 24 hours old. It acts on the first run (the sweep, or a
//!    Config event of the user) on or after that date.
//! 5. **The cap.** At most `ENFORCE_MAX_PER_DAY` keys of an account are
//!    deactivated per calendar day (in `TIME_ZONE`), across every
//!    invocation; a key that would be deactivated past it is `held_by_cap`
//!    ([`KeyVerdict::HeldByCap`], set by the pipeline, whose `notice::cap`
//!    keeps the count in the ledger) and waits for the next day's runs.
//! 6. **Deactivation only, of that key.** The one change enforcement makes
//!    is `UpdateAccessKey Status=Inactive` of the judged key id, after
//!    reading the key and then the user again: if the key is gone, inactive
//!    or not the key that was judged (another CreateDate), or the name now
//!    belongs to another user (another UserId), it is left alone. There is no delete
//!    anywhere in this program. A key that was deactivated once and has
//!    been reactivated since (by someone allowed to) is not deactivated
//!    again; the digest reports it.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::calendar::add_days;
use crate::decision::{DueKey, Notice, Stage};
use crate::error::Error;

/// Whether the account's deadline is enforced (rule 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforceMode {
    Off,
    /// Every verdict is reached and reported; nothing is changed.
    DryRun,
    On,
}

/// Enforcement's settings, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enforcement {
    pub mode: EnforceMode,
    /// Days after the deadline's date a key keeps working.
    pub grace_days: u32,
    /// How old the first recorded warning must be, in calendar days.
    pub min_warning_days: u32,
    /// Deactivations per account per calendar day, across invocations.
    pub max_per_day: u32,
}

impl Enforcement {
    pub const DEFAULT_GRACE_DAYS: u32 = 0;
    pub const DEFAULT_MIN_WARNING_DAYS: u32 = 3;
    pub const DEFAULT_MAX_PER_DAY: u32 = 10;

    /// Enforcement off, with the default settings.
    pub fn off() -> Enforcement {
        Enforcement {
            mode: EnforceMode::Off,
            grace_days: Self::DEFAULT_GRACE_DAYS,
            min_warning_days: Self::DEFAULT_MIN_WARNING_DAYS,
            max_per_day: Self::DEFAULT_MAX_PER_DAY,
        }
    }

    /// Rule 2: the first date `key` may be deactivated on.
    pub fn enforcement_date(&self, key: &DueKey) -> NaiveDate {
        add_days(key.deadline_date, u64::from(self.grace_days) + 1)
    }
}

/// What enforcement decided about one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Deactivate it now (rules 2 and 3 allow it; rule 5 may still hold it).
    Deactivate,
    /// It would be deactivated now, but the run's cap is spent (rule 5).
    HeldByCap,
    /// Its enforcement date has come and no warning is recorded: its notice
    /// is the final warning, and it may be deactivated from `from` (rule 3).
    FinalWarning { from: NaiveDate },
    /// Not yet: it may be deactivated from `from` (rule 4).
    Wait { from: NaiveDate },
}

/// Rules 2 to 4 for one active, due key at `now` (dates in `tz`).
/// `warned`: when the first notice the ledger records for the key was sent.
/// The warning's age is elapsed time: `ENFORCE_MIN_WARNING_DAYS` × 24 hours.
/// A [`KeyVerdict::Deactivate`] is still subject to the cap (rule 5).
pub fn judge(
    settings: &Enforcement,
    key: &DueKey,
    warned: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    tz: Tz,
) -> KeyVerdict {
    let today = now.with_timezone(&tz).date_naive();
    let enforcement_date = settings.enforcement_date(key);
    let min_age = Duration::hours(24 * i64::from(settings.min_warning_days));
    let ripe = |warned: DateTime<Utc>| {
        warned
            .checked_add_signed(min_age)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    // The notice states the date the warning comes of age: never earlier
    // than the key can go, and a run on that date before the hour waits.
    let from = enforcement_date.max(ripe(warned.unwrap_or(now)).with_timezone(&tz).date_naive());
    match warned {
        _ if today < enforcement_date => KeyVerdict::Wait { from },
        None => KeyVerdict::FinalWarning { from },
        Some(w) if now < ripe(w) => KeyVerdict::Wait { from },
        Some(_) => KeyVerdict::Deactivate,
    }
}

/// What happened to a key enforcement would deactivate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Deactivated,
    /// A dry run: it would have been deactivated.
    DryRun,
    /// Past the run's cap: the next run takes it.
    HeldByCap,
    /// Read again, it was gone, inactive or another key: not touched.
    LeftAlone,
    /// Deactivated once before, and active again since: not touched again.
    Reactivated,
}

/// One key enforcement acted on (or would have, or held), for outcomes,
/// the log and the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAction {
    pub user: String,
    /// `AKIA…WXYZ`
    pub access_key_id: String,
    pub action: Action,
    pub deadline: String,
    pub days_overdue: u32,
    pub age_days: u32,
    /// The date of the first recorded warning the action relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warned: Option<String>,
    /// The deactivated mail: `sent`, `dry_run`, `no_recipient` or `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// What enforcement made of one user.
#[derive(Debug, Default)]
pub struct UserEnforcement {
    /// Each judged key's id and verdict, in the order of the due keys.
    pub verdicts: Vec<(String, KeyVerdict)>,
    pub actions: Vec<KeyAction>,
    /// What kept enforcement from finishing (an unreadable exemption list,
    /// the ledger, IAM): the keys not yet acted on wait for the next run.
    pub error: Option<Error>,
    /// Shape the notice (`ENFORCE=true` only: a dry run's notices promise
    /// nothing).
    pub shapes_notice: bool,
    /// Each action's key id (the outcome's is masked).
    pub acted: Vec<(String, Action)>,
}

impl UserEnforcement {
    /// What was done about the key `key_id`, if anything.
    pub fn action_of(&self, key_id: &str) -> Option<Action> {
        self.acted
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, a)| *a)
    }

    /// The notice as enforcement leaves it (`None`: no key is left to
    /// announce). A key deactivated (or, in a dry run, about to be) or
    /// found changed leaves it; a key whose warning is the final one is at
    /// stage `final_warning`; every other key carries the earliest date it
    /// may be deactivated (today for one held by the cap or whose action
    /// failed; none for a reactivated one).
    pub fn shape(&self, mut notice: Notice) -> Option<Notice> {
        if !self.shapes_notice {
            return Some(notice);
        }
        let today = notice.today;
        notice.keys.retain_mut(|key| {
            let Some((_, verdict)) = self.verdicts.iter().find(|(id, _)| *id == key.id) else {
                return true;
            };
            match (verdict, self.action_of(&key.id)) {
                (KeyVerdict::FinalWarning { from }, _) => {
                    key.stage = Stage::FinalWarning;
                    key.deactivation_from = Some(*from);
                    true
                }
                (KeyVerdict::Wait { from }, _) => {
                    key.deactivation_from = Some(*from);
                    true
                }
                (_, Some(Action::Deactivated | Action::DryRun | Action::LeftAlone)) => false,
                (_, Some(Action::Reactivated)) => true,
                // Held by the cap, or its action failed: the next run.
                _ => {
                    key.deactivation_from = Some(today);
                    true
                }
            }
        });
        (!notice.keys.is_empty()).then_some(notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::DaysLeft;
    use chrono::{TimeZone, Utc};

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    /// A key whose deadline's date is `deadline`, seen on `today`.
    fn key(deadline: NaiveDate, today: NaiveDate) -> DueKey {
        let at = |d: NaiveDate| Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap());
        DueKey {
            id: "AKIAIOSFODNN7EXAMPLE".into(),
            created: at(deadline) - chrono::Duration::days(90),
            deadline: at(deadline),
            created_date: deadline - chrono::Duration::days(90),
            deadline_date: deadline,
            days: DaysLeft::between(today, deadline),
            age_days: 0,
            stage: Stage::Overdue,
            deactivation_from: None,
        }
    }

    fn nine(d: NaiveDate) -> DateTime<Utc> {
        Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
    }

    /// `judge` at 09:00 UTC of `today`, warned at 09:00 of `warned`.
    fn judge_on(
        s: &Enforcement,
        key: &DueKey,
        warned: Option<NaiveDate>,
        today: NaiveDate,
    ) -> KeyVerdict {
        judge(s, key, warned.map(nine), nine(today), Tz::UTC)
    }

    fn settings(grace: u32, min: u32) -> Enforcement {
        Enforcement {
            mode: EnforceMode::On,
            grace_days: grace,
            min_warning_days: min,
            max_per_day: 10,
        }
    }

    #[test]
    fn grace_zero_enforces_from_the_first_overdue_day() {
        let s = settings(0, 3);
        let deadline = date(11, 20);
        let warned = Some(date(11, 13));
        assert_eq!(
            judge_on(&s, &key(deadline, date(11, 20)), warned, date(11, 20)),
            KeyVerdict::Wait { from: date(11, 21) }
        );
        assert_eq!(
            judge_on(&s, &key(deadline, date(11, 21)), warned, date(11, 21)),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn grace_days_keep_the_key_working_that_many_days_past_the_deadline() {
        let s = settings(5, 3);
        let (deadline, warned) = (date(11, 10), Some(date(11, 1)));
        assert_eq!(
            judge_on(&s, &key(deadline, date(11, 15)), warned, date(11, 15)),
            KeyVerdict::Wait { from: date(11, 16) }
        );
        assert_eq!(
            judge_on(&s, &key(deadline, date(11, 16)), warned, date(11, 16)),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn no_recorded_warning_means_a_final_warning_and_min_days_of_waiting() {
        let s = settings(0, 3);
        let today = date(11, 23);
        let old = key(date(8, 1), today);
        assert_eq!(
            judge_on(&s, &old, None, today),
            KeyVerdict::FinalWarning { from: date(11, 26) }
        );
        // The final warning, recorded today, is too young until the 26th.
        assert_eq!(
            judge_on(&s, &old, Some(today), date(11, 25)),
            KeyVerdict::Wait { from: date(11, 26) }
        );
        assert_eq!(
            judge_on(&s, &old, Some(today), date(11, 26)),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn a_key_not_yet_overdue_is_told_its_earliest_date() {
        let s = settings(2, 3);
        let today = date(11, 23);
        // Deadline in 7 days; the first notice is this one.
        let k = key(date(11, 30), today);
        assert_eq!(
            judge_on(&s, &k, None, today),
            KeyVerdict::Wait { from: date(12, 3) }
        );
        // Deadline tomorrow, first warned today: the warning decides.
        let k = key(date(11, 24), today);
        assert_eq!(
            judge_on(&s, &k, None, today),
            KeyVerdict::Wait { from: date(11, 27) }
        );
    }

    #[test]
    fn a_warning_s_age_is_elapsed_hours_not_dates() {
        // Warned at 23:59 on the 1st: three dates later, at 00:01 on the
        // 4th, only 48 hours have passed.
        let s = settings(0, 3);
        let old = key(date(8, 1), date(11, 4));
        let warned = Utc.with_ymd_and_hms(2026, 11, 1, 23, 59, 0).unwrap();
        let early = Utc.with_ymd_and_hms(2026, 11, 4, 0, 1, 0).unwrap();
        assert_eq!(
            judge(&s, &old, Some(warned), early, Tz::UTC),
            KeyVerdict::Wait { from: date(11, 4) }
        );
        let late = Utc.with_ymd_and_hms(2026, 11, 4, 23, 59, 0).unwrap();
        assert_eq!(
            judge(&s, &old, Some(warned), late, Tz::UTC),
            KeyVerdict::Deactivate
        );
    }
}
