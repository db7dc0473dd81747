//! Enforcement: which overdue or unused keys are deactivated now, and what
//! every other due key of an enforcing account is told about it.
//!
//! Like [`decision`](crate::decision), everything in this module is pure:
//! the caller passes the key, the [`Warning`] the notice ledger keeps for
//! it, whether the user's notice reaches an owner, and now. The calls it
//! leads to (the re-reads, the deactivation, the mail) and the daily cap's
//! counter are the notice service's (`service::enforce`, `service::Cap`). It
//! runs for a Config event and for the sweep alike.
//!
//! The rules, for one active, due key of a user who is not exempt (decision
//! rule 1 comes first: an exempt user's keys are never judged), in the
//! order they are applied:
//!
//! 1. **Off unless asked, per policy.** Two policies, each with its own
//!    mode: `ENFORCE` for keys past their rotation deadline, `ENFORCE_UNUSED`
//!    for keys listed for their unused period (decision rule 12). A key is
//!    judged by the policy it is listed for. With that policy `false`
//!    nothing here runs for the key and it is never changed. With `dry_run`
//!    (or `DRY_RUN=true`) every verdict is reached and reported, and nothing
//!    is changed; a dry run's notices announce no date, so they are no
//!    warning (rule 3). Everything below applies to both policies alike.
//! 2. **The enforcement date.** By the settings, a key may be deactivated
//!    from the day after its deadline's date plus `ENFORCE_GRACE_DAYS`
//!    (grace 0: the first overdue day); an unused key from the date it
//!    became unused plus `ENFORCE_GRACE_DAYS`.
//! 3. **The warning that counts.** A notice is a warning only if it
//!    announced a deactivation date for the key and went **To** the owner's
//!    address, or, for a user with no usable owner address, To
//!    `FALLBACK_RECIPIENTS` (the owner by configuration). A copy
//!    (`CC_RECIPIENTS` alone) never counts, nor does a notice sent while
//!    enforcement was off or a dry run (it announced nothing). The ledger
//!    keeps one [`Warning`] per key: when the first such notice was sent,
//!    the latest date any of them announced, and the key's CreateDate (a
//!    warning about another key with the same id is not this key's,
//!    [`Warning::about`]). An unused key's warning is kept apart from its
//!    rotation warning and is about its unused period: once the key is used
//!    again, a warning about the earlier period counts for nothing.
//! 4. **The announced date is a promise.** A key is never deactivated
//!    before the latest date announced to its owner, whatever the settings
//!    say now: lowering `MAX_KEY_AGE_DAYS` or `ENFORCE_GRACE_DAYS` after a
//!    notice moves no date earlier. A later date (the settings raised)
//!    applies, and the next notice announces it.
//! 5. **The warning's age is elapsed time.** The first counted warning must
//!    be at least `ENFORCE_MIN_WARNING_DAYS` × 24 hours old: a warning sent
//!    at 23:59 on the 1st is three dates old at 00:01 on the 4th, but only
//!    48 hours.
//! 6. **The verdict.** Before the enforcement date the key waits. From it,
//!    a key with no counted warning gets one now: its notice is the final
//!    warning (stage `final_warning`), announcing a date at least
//!    `ENFORCE_MIN_WARNING_DAYS` ahead; so switching enforcement on after
//!    weeks of plain notices deactivates nothing at once. A user whose
//!    notice reaches no owner (CC alone, or nobody) cannot be warned: the
//!    key is held, `no_one_to_warn`, and listed in the digest. A key whose
//!    warning is too young or whose announced date has not come waits. Only
//!    then is it deactivated. Every key that waits is told the earliest date
//!    it may go: the latest of its enforcement date, the date its first
//!    warning (this notice, if none is recorded) is old enough, and the date
//!    announced before ([`judge`]); it acts on the first run on or after it.
//! 7. **The daily cap.** At most `ENFORCE_MAX_PER_DAY` keys of an account
//!    are deactivated per calendar day (in `TIME_ZONE`), by both policies
//!    together, across every invocation: the service takes a place from a
//!    conditional counter in the ledger before acting, and a key past it is
//!    `held_by_cap` ([`KeyVerdict::HeldByCap`]) until the next day's runs.
//! 8. **The identity check.** Before acting, the service lists the user's
//!    keys again and then reads the user: the key must still be active,
//!    have the CreateDate that was judged, and the name must still belong
//!    to the UserId the decision was made for; an unused key's last use is
//!    read again (GetAccessKeyLastUsed) and must still be the one its
//!    period began with, so a key used since its warning is never
//!    deactivated for being unused. Otherwise it is left alone.
//! 9. **Deactivation only, of that key.** The one change enforcement makes
//!    is `UpdateAccessKey Status=Inactive` of the judged key id. There is
//!    no delete anywhere in this program. A key that was deactivated once
//!    and has been reactivated since (by someone allowed to) is not
//!    deactivated again; the digest lists it until it is rotated.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::calendar::add_days;
use crate::error::Error;
use crate::model::{Action, DueKey, KeyEnforcement, KeyVerdict, Notice};

/// Whether the account's deadline is enforced (rule 1).
/// Ordered weakest first: `Off < DryRun < On`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnforceMode {
    #[default]
    Off,
    /// Every verdict is reached and reported; nothing is changed.
    DryRun,
    On,
}

/// Enforcement's settings, from the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enforcement {
    /// `ENFORCE`: keys past their rotation deadline.
    pub mode: EnforceMode,
    /// `ENFORCE_UNUSED`: keys listed for their unused period
    /// ([`unused`](crate::unused)).
    pub unused_mode: EnforceMode,
    /// `ENFORCE_UNUSED_PASSWORDS`: console passwords listed for their
    /// unused period, removed (DeleteLoginProfile) under the same rules
    /// ([`password`](crate::password)).
    pub password_mode: EnforceMode,
    /// Days after the deadline's date a key keeps working.
    pub grace_days: u32,
    /// How old the first counted warning must be, in days of 24 hours.
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
            unused_mode: EnforceMode::Off,
            password_mode: EnforceMode::Off,
            grace_days: Self::DEFAULT_GRACE_DAYS,
            min_warning_days: Self::DEFAULT_MIN_WARNING_DAYS,
            max_per_day: Self::DEFAULT_MAX_PER_DAY,
        }
    }

    /// Rule 2: the first date `key` may be deactivated on: for rotation,
    /// the day after its deadline's date plus the grace days; for an
    /// unused key, the date it became unused plus the grace days.
    pub fn enforcement_date(&self, key: &DueKey) -> NaiveDate {
        match key.unused_period() {
            Some(u) => add_days(u.from, u64::from(self.grace_days)),
            None => add_days(key.deadline_date, u64::from(self.grace_days) + 1),
        }
    }

    /// Rule 1: the mode of the policy `key` is listed for: a console
    /// password's (only for its unused period), an unused key's, or the
    /// deadline's.
    pub(crate) fn mode_for(&self, key: &DueKey) -> EnforceMode {
        match (key.is_password(), key.listed_unused()) {
            (true, true) => self.password_mode,
            (true, false) => EnforceMode::Off,
            (false, true) => self.unused_mode,
            (false, false) => self.mode,
        }
    }

    /// The strongest of the policies' modes (`On` over `DryRun` over
    /// `Off`).
    pub(crate) fn strongest(&self) -> EnforceMode {
        self.mode.max(self.unused_mode).max(self.password_mode)
    }
}

/// The warning the notice ledger keeps for one key (rule 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning {
    /// The CreateDate of the key the warning was about.
    pub key_created: DateTime<Utc>,
    /// When the first counted warning was sent.
    pub first_sent: DateTime<Utc>,
    /// The latest deactivation date announced to the owner.
    pub announced: NaiveDate,
}

impl Warning {
    /// The warning, if it is about `key`'s listing (the same CreateDate,
    /// to the second: IAM's precision; for an unused key, the same unused
    /// period, [`DueKey::warning_subject`]).
    pub fn about(warning: Option<Warning>, key: &DueKey) -> Option<Warning> {
        warning.filter(|w| w.key_created.timestamp() == key.warning_subject().timestamp())
    }

    /// The warning kept once `new` is recorded over `kept`: about the same
    /// key, the first send stays and the later date stays (rule 4);
    /// otherwise `new` replaces it.
    pub fn merged(kept: Option<Warning>, new: Warning) -> Warning {
        match kept {
            Some(w) if w.key_created.timestamp() == new.key_created.timestamp() => Warning {
                announced: w.announced.max(new.announced),
                first_sent: w.first_sent.min(new.first_sent),
                ..w
            },
            _ => new,
        }
    }
}

/// Rules 2 to 6 for one active, due key at `now` (dates in `tz`).
/// `warning`: what the ledger keeps for the key's id (a warning about
/// another key is ignored). `reaches_owner`: the user's notice goes To the
/// owner's address or the fallback list. A [`KeyVerdict::Deactivate`] is
/// still subject to the cap (rule 7).
pub fn judge(
    settings: &Enforcement,
    key: &DueKey,
    warning: Option<Warning>,
    reaches_owner: bool,
    now: DateTime<Utc>,
    tz: Tz,
) -> KeyVerdict {
    let today = now.with_timezone(&tz).date_naive();
    let enforcement_date = settings.enforcement_date(key);
    let warning = Warning::about(warning, key);
    let min_age = Duration::hours(24 * i64::from(settings.min_warning_days));
    let ripe = |sent: DateTime<Utc>| {
        sent.checked_add_signed(min_age)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    let first_sent = warning.map_or(now, |w| w.first_sent);
    // The date a notice states: never earlier than the key can go by the
    // settings, than the warning comes of age (a run on that date before
    // the hour waits), or than a date announced before.
    let from = enforcement_date
        .max(ripe(first_sent).with_timezone(&tz).date_naive())
        .max(warning.map_or(NaiveDate::MIN, |w| w.announced));
    match warning {
        _ if today < enforcement_date => KeyVerdict::Wait { from },
        None if reaches_owner => KeyVerdict::FinalWarning { from },
        None => KeyVerdict::NoOneToWarn,
        Some(w) if now < ripe(w.first_sent) || today < w.announced => KeyVerdict::Wait { from },
        Some(_) => KeyVerdict::Deactivate,
    }
}

/// What enforcement made of one user.
#[derive(Debug, Default)]
pub struct UserEnforcement {
    /// Each judged key's id and what enforcement made of it, in the order
    /// of the due keys.
    pub keys: Vec<(String, KeyEnforcement)>,
    /// What kept enforcement from finishing (an unreadable exemption list,
    /// the ledger, IAM): the keys not yet acted on wait for the next run.
    pub error: Option<Error>,
    /// The ids of the keys whose policy is `true`: only their lines are
    /// shaped (a dry run's notices promise nothing).
    pub shaping: Vec<String>,
    /// The notice reaches an owner, so its dates are announced (rule 3); a
    /// notice to CC alone states none.
    pub announces: bool,
}

impl UserEnforcement {
    /// What enforcement made of the key `key_id`, if it was judged.
    pub fn of(&self, key_id: &str) -> Option<&KeyEnforcement> {
        self.keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, k)| k)
    }

    /// The notice as enforcement leaves it (`None`: no key is left to
    /// announce). A key deactivated (or, in a dry run, about to be) or
    /// found changed leaves it; a key whose warning is the final one is at
    /// stage `final_warning` (unless listed at one of rotation's stages); a
    /// replaced key awaiting its new key's use states no date; when the notice reaches an owner, every other
    /// key carries the earliest date it may be deactivated (today for one
    /// held by the cap or whose action failed; none for a reactivated one
    /// or one nobody can be warned about).
    pub fn shape(&self, mut notice: Notice) -> Option<Notice> {
        let (today, announces) = (notice.today, self.announces);
        notice.keys.retain_mut(|key| {
            if !self.shaping.contains(&key.id) {
                return true;
            }
            let Some(judged) = self.of(&key.id) else {
                return true;
            };
            match (&judged.verdict, judged.action.as_ref().map(|a| a.action)) {
                (KeyVerdict::FinalWarning { from }, _) => {
                    // Rotation's own notice keeps its stage, and warns all
                    // the same.
                    if !key.stage.is_rotation() {
                        key.stage = key.final_warning_stage();
                    }
                    key.deactivation_from = Some(*from);
                    true
                }
                // The old key stays until its replacement is used: no date.
                (KeyVerdict::AwaitingNewKeyUse, _) => true,
                (KeyVerdict::Wait { from }, _) => {
                    key.deactivation_from = announces.then_some(*from);
                    true
                }
                (_, Some(Action::Deactivated | Action::DryRun | Action::LeftAlone)) => false,
                (KeyVerdict::NoOneToWarn, _) | (_, Some(Action::Reactivated)) => true,
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
    use crate::model::DaysLeft;
    use crate::model::Stage;
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
            unused: None,
            for_unused: false,
            last_used: None,
            rotation: None,
            credential: crate::model::Credential::AccessKey,
        }
    }

    fn nine(d: NaiveDate) -> DateTime<Utc> {
        Utc.from_utc_datetime(&d.and_hms_opt(9, 0, 0).unwrap())
    }

    /// A warning about `key` first sent at 09:00 of `sent`, announcing
    /// `announced`.
    fn warning(key: &DueKey, sent: NaiveDate, announced: NaiveDate) -> Warning {
        Warning {
            key_created: key.warning_subject(),
            first_sent: nine(sent),
            announced,
        }
    }

    /// `judge` at 09:00 UTC of `today` for a user the notice reaches,
    /// warned at 09:00 of `warned` (announcing that same date: no promise
    /// beyond the settings').
    fn judge_on(
        s: &Enforcement,
        key: &DueKey,
        warned: Option<NaiveDate>,
        today: NaiveDate,
    ) -> KeyVerdict {
        let warning = warned.map(|w| warning(key, w, w));
        judge(s, key, warning, true, nine(today), Tz::UTC)
    }

    fn settings(grace: u32, min: u32) -> Enforcement {
        Enforcement {
            mode: EnforceMode::On,
            unused_mode: EnforceMode::On,
            password_mode: EnforceMode::Off,
            grace_days: grace,
            min_warning_days: min,
            max_per_day: 10,
        }
    }

    /// A key not due for rotation, listed for an unused period that began
    /// on `since` and made it unused on `from`.
    fn unused_key(since: NaiveDate, from: NaiveDate, today: NaiveDate) -> DueKey {
        let mut k = key(today + chrono::Duration::days(60), today);
        k.stage = Stage::Unused(since);
        k.for_unused = true;
        k.unused = Some(crate::model::Unused {
            since,
            period: since,
            days: u32::try_from((today - since).num_days()).unwrap(),
            from,
            last_used: crate::model::LastUsed::default(),
        });
        k
    }

    #[test]
    fn an_unused_key_is_judged_from_the_date_it_became_unused_under_its_own_mode() {
        let (since, from) = (date(8, 1), date(10, 30));
        let k = unused_key(since, from, date(11, 23));
        let s = Enforcement {
            mode: EnforceMode::Off,
            ..settings(2, 3)
        };
        assert_eq!(s.enforcement_date(&k), date(11, 1), "became unused + grace");
        assert_eq!(
            s.mode_for(&k),
            EnforceMode::On,
            "ENFORCE_UNUSED, not ENFORCE"
        );
        assert_eq!(
            s.mode_for(&key(date(11, 20), date(11, 23))),
            EnforceMode::Off
        );
        // No warning yet: the first notice is the final warning, 3 days out.
        assert_eq!(
            judge_on(&s, &k, None, date(11, 23)),
            KeyVerdict::FinalWarning { from: date(11, 26) }
        );
        assert_eq!(
            judge_on(&s, &k, Some(date(11, 20)), date(11, 23)),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn a_warning_about_an_earlier_unused_period_or_the_rotation_counts_for_nothing() {
        let today = date(11, 23);
        let k = unused_key(date(8, 1), date(10, 30), today);
        let earlier = unused_key(date(6, 1), date(8, 30), today);
        let about_earlier = warning(&earlier, date(9, 1), date(9, 4));
        let about_rotation = Warning {
            key_created: k.created,
            ..about_earlier
        };
        let s = settings(0, 3);
        for w in [about_earlier, about_rotation] {
            assert_eq!(Warning::about(Some(w), &k), None);
            assert_eq!(
                judge(&s, &k, Some(w), true, nine(today), Tz::UTC),
                KeyVerdict::FinalWarning { from: date(11, 26) }
            );
        }
        assert_eq!(k.warning_slot(), "AKIAIOSFODNN7EXAMPLE#unused");
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
        let warned = Some(Warning {
            first_sent: warned,
            ..warning(&old, date(11, 1), date(11, 4))
        });
        assert_eq!(
            judge(&s, &old, warned, true, early, Tz::UTC),
            KeyVerdict::Wait { from: date(11, 4) }
        );
        let late = Utc.with_ymd_and_hms(2026, 11, 4, 23, 59, 0).unwrap();
        assert_eq!(
            judge(&s, &old, warned, true, late, Tz::UTC),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn the_announced_date_holds_when_the_settings_move_the_key_earlier() {
        // Told on the 1st "on or after the 20th"; the settings now allow
        // the 5th (a lower MAX_KEY_AGE_DAYS or grace).
        let s = settings(0, 3);
        let k = key(date(11, 4), date(11, 10));
        let told = Some(warning(&k, date(11, 1), date(11, 20)));
        for today in [date(11, 5), date(11, 10), date(11, 19)] {
            assert_eq!(
                judge(&s, &k, told, true, nine(today), Tz::UTC),
                KeyVerdict::Wait { from: date(11, 20) },
                "{today}"
            );
        }
        assert_eq!(
            judge(&s, &k, told, true, nine(date(11, 20)), Tz::UTC),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn a_later_date_from_the_settings_applies_and_is_told() {
        // Told "on or after the 5th"; a grace raised to 10 days moves it to
        // the 15th.
        let s = settings(10, 3);
        let k = key(date(11, 4), date(11, 6));
        let told = Some(warning(&k, date(11, 1), date(11, 5)));
        assert_eq!(
            judge(&s, &k, told, true, nine(date(11, 6)), Tz::UTC),
            KeyVerdict::Wait { from: date(11, 15) }
        );
    }

    #[test]
    fn a_user_the_notice_cannot_reach_is_held_not_warned() {
        let s = settings(0, 3);
        let today = date(11, 23);
        let old = key(date(8, 1), today);
        assert_eq!(
            judge(&s, &old, None, false, nine(today), Tz::UTC),
            KeyVerdict::NoOneToWarn
        );
        // Before the enforcement date it only waits.
        let soon = key(date(11, 30), today);
        assert_eq!(
            judge(&s, &soon, None, false, nine(today), Tz::UTC),
            KeyVerdict::Wait { from: date(12, 1) }
        );
        // A warning counted before (the owner was reachable then) stands.
        let told = Some(warning(&old, date(11, 1), date(11, 5)));
        assert_eq!(
            judge(&s, &old, told, false, nine(today), Tz::UTC),
            KeyVerdict::Deactivate
        );
    }

    #[test]
    fn a_warning_about_another_key_with_the_same_id_is_not_this_key_s() {
        let s = settings(0, 3);
        let today = date(11, 23);
        let old = key(date(8, 1), today);
        let other = Warning {
            key_created: old.created - Duration::seconds(1),
            ..warning(&old, date(11, 1), date(11, 5))
        };
        assert_eq!(
            judge(&s, &old, Some(other), true, nine(today), Tz::UTC),
            KeyVerdict::FinalWarning { from: date(11, 26) }
        );
    }

    #[test]
    fn a_warning_keeps_its_first_send_and_its_latest_date() {
        let k = key(date(11, 4), date(11, 6));
        let first = warning(&k, date(11, 1), date(11, 20));
        assert_eq!(Warning::merged(None, first), first);
        let earlier = Warning::merged(Some(first), warning(&k, date(11, 3), date(11, 8)));
        assert_eq!(earlier, first);
        let later = Warning::merged(Some(first), warning(&k, date(11, 3), date(11, 25)));
        assert_eq!(later, warning(&k, date(11, 1), date(11, 25)));
        // About another key: this one starts afresh.
        let stale = Warning {
            key_created: k.created + Duration::days(1),
            ..first
        };
        let fresh = warning(&k, date(11, 3), date(11, 8));
        assert_eq!(Warning::merged(Some(stale), fresh), fresh);
    }
}
