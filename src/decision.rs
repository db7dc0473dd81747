//! The decision: given what IAM says about one user, decide whether a notice
//! goes out, about which keys, at which stage, to whom, and in which
//! language, or why nothing is sent.
//!
//! Everything here is pure: no SDK, no Lambda, no clock. The caller passes
//! `now` (from its clock, never the event's time), so the same inputs always
//! give the same answer.
//!
//! The rules, in the order they are applied:
//!
//! 1. **Exemption.** An exempt user gets nothing (and enforcement leaves
//!    the user's keys alone): one whose exemption tag (`EXEMPT_TAG`) says
//!    `true`, or names a date (`2027-01-31`) that is today or later in
//!    `TIME_ZONE`, or who is on the exemption list (`EXEMPT_USERS_PARAMETER`,
//!    read by the caller). A date that has passed, or a value that is
//!    neither, exempts no one and is reported by a reason code.
//! 2. **Counting.** Days are calendar days in `TIME_ZONE`. Today is the date
//!    of `now` there. A key's deadline is its creation instant plus
//!    `MAX_KEY_AGE_DAYS`; its days left are the deadline's date minus today
//!    (0 on the deadline's own date); after that date it is overdue by today
//!    minus the deadline's date. Its age is today minus its creation date.
//!    So every number a mail prints is the difference between two dates it
//!    prints, never a rounding of hours.
//! 3. **Stage.** An active key's stage is the latest one it has reached:
//!    before its deadline's date, the closest tier N with at most N + 1 days
//!    left (one day of tolerance, because Config evaluates on its own
//!    schedule and counts age in whole days), and with no such tier the key
//!    is not due; after it, `overdue` on the first day overdue, then a
//!    reminder every `OVERDUE_REMINDER_DAYS` (R): the stage of a key D days
//!    overdue is `reminder_{1 + kR}` for the largest k ≥ 1 with 1 + kR ≤ D
//!    (R = 0: no reminders, it stays `overdue`). A reminder is named by the
//!    day it falls due, so a missed day sends it the day after, once.
//!    Inactive keys can't break anything and are never due.
//! 4. **What a notice lists.** Every due key of the user, earliest deadline
//!    first, each with its own deadline, days and stage: a second key is
//!    announced with the first, whichever made the rule fire. No key due:
//!    `no_active_key_due` (the owner rotated already).
//! 5. **Which event mails.** With the notice ledger, the event of any notice
//!    rule may: the ledger decides (rule 8), so whichever event comes first
//!    sends, and a lost event of another rule loses nothing. Without it
//!    (stateless), the notice belongs to the stage of its first key, and only
//!    the event of that stage's tier mails (for an overdue key, the closest
//!    tier's): a farther tier's event is `superseded_by_closer_notice`; a
//!    closer tier's event finds `no_active_key_due`, since by the clock no
//!    key has reached that tier yet.
//! 6. **Recipients.** The owner's address from the owner tag (tag key matched
//!    case-insensitively) if it is one valid plain address within the
//!    allowed domains; otherwise the fallback list. The CC list is always
//!    added, without repeating an address already in To. No one at all:
//!    `no_recipient`.
//! 7. **Language.** The user's locale tag when it names a supported
//!    language, otherwise the configured default.
//! 8. **Each stage once.** With the ledger, a notice goes out only when at
//!    least one listed key's stage is not yet recorded as sent; otherwise it
//!    is `already_notified`. A rotated key is a new key id, so its stages
//!    start fresh. The notice service asks the ledger and applies
//!    [`ledger_verdict`].
//! 9. **What a sent notice records.** Each listed key's stage; a key listed
//!    at another stage than the clock's (enforcement's `final_warning`, a
//!    first overdue notice of rule 11) also records the stage it is at by
//!    the clock, so the notice stands in for the day's notice and no
//!    reminder follows it the same day ([`recorded_stages`]).
//! 10. **A bounded listing.** At most
//!     [`MAX_ACCESS_KEYS`](crate::ports::directory::MAX_ACCESS_KEYS) keys
//!     are judged for one user (IAM allows 2): the user directory's
//!     contract, which refuses a longer listing as a damaged answer.
//! 12. **Unused keys.** With `UNUSED_KEY_DAYS` set, an active key nobody
//!     has used for that long is listed too, at its own stage
//!     `unused_since_<date>`, by the rules of [`unused`](crate::unused):
//!     after the keys due for rotation, longest unused first. A key due for
//!     rotation that is also unused is listed once: for rotation, saying it
//!     is unused too, unless unused-key enforcement is stronger than age
//!     enforcement (`ENFORCE_UNUSED=true` with `ENFORCE` not `true`, or
//!     `dry_run` with `ENFORCE=false`), when it is listed for its unused
//!     period, so that the policy that enforces judges it. Its notice
//!     records both stages (rule 9).
//! 11. **A first notice is no reminder.** With the ledger, a key at a
//!     reminder stage with no overdue notice recorded before (neither
//!     `overdue` nor a final warning: a key found long overdue, never
//!     mailed) is listed at `overdue`: the first notice
//!     after the deadline, recording the reminder stage it stands in for
//!     (rule 9, [`first_overdue`]).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::address::{self, Address, Rejection};
use crate::model::{
    AccessKey, DaysLeft, DueKey, ExemptTagProblem, Exemption, Locale, Notice, Recipients,
    SkipReason, Stage, Tag, Verdict, clamp_days,
};
use crate::unused;

/// Config can evaluate a rule up to a day "late" relative to the exact age.
pub(crate) const TOLERANCE_DAYS: i64 = 1;

/// One Config rule and the tier it notifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRule {
    pub name: String,
    pub days_before_deadline: u32,
}

/// What the operator decided, from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub max_key_age_days: u32,
    /// At least one rule (the configuration guarantees it).
    pub notice_rules: Vec<NoticeRule>,
    pub owner_email_tag: String,
    pub owner_locale_tag: String,
    pub exempt_tag: Option<String>,
    pub fallback_recipients: Vec<Address>,
    pub cc_recipients: Vec<Address>,
    pub allowed_domains: Vec<String>,
    pub default_locale: Locale,
    /// Where days are counted and dates printed.
    pub time_zone: Tz,
    /// Days between reminders once a key is overdue; 0: no reminders.
    pub overdue_reminder_days: u32,
    /// Days without use after which an active key is unused (rule 12); 0:
    /// the unused-key policy is off.
    pub unused_key_days: u32,
    /// `PASSWORD_NOTICE_DAYS`: days before a console password expires at
    /// which its owner is told (empty: off; [`password`](crate::password)).
    pub password_notice_days: Vec<u32>,
    /// `UNUSED_PASSWORD_DAYS`: days without use after which a console
    /// password is unused (0: off).
    pub unused_password_days: u32,
    /// The `iam-user-unused-credentials-check` rules whose events enter the
    /// notice service (`UNUSED_RULES`).
    pub unused_rules: Vec<String>,
    /// A key both due for rotation and unused is listed for its unused
    /// period (rule 12): unused-key enforcement is stronger than age
    /// enforcement (`ENFORCE_UNUSED` above `ENFORCE`).
    pub unused_listed_first: bool,
}

impl Policy {
    /// The tier (days before the deadline) a Config rule notifies.
    pub fn tier_for_rule(&self, rule_name: &str) -> Option<u32> {
        self.notice_rules
            .iter()
            .find(|r| r.name == rule_name)
            .map(|r| r.days_before_deadline)
    }

    /// `rule_name` is one of the unused-credentials rules.
    pub(crate) fn is_unused_rule(&self, rule_name: &str) -> bool {
        self.unused_rules.iter().any(|r| r == rule_name)
    }

    /// The date of `t` in the policy's time zone.
    pub fn date_of(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.time_zone).date_naive()
    }

    /// Rule 3: the stage of an active key with `days` to its deadline.
    pub fn stage(&self, days: DaysLeft) -> Option<Stage> {
        if days.is_overdue() {
            let (overdue, every) = (days.overdue(), self.overdue_reminder_days);
            if every == 0 || overdue < 1 + every {
                return Some(Stage::Overdue);
            }
            return Some(Stage::Reminder(1 + (overdue - 1) / every * every));
        }
        self.notice_rules
            .iter()
            .map(|r| r.days_before_deadline)
            .filter(|&tier| days.0 <= i64::from(tier) + TOLERANCE_DAYS)
            .min()
            .map(Stage::Tier)
    }

    /// The tier whose event speaks for a stage when there is no ledger.
    fn tier_of(&self, stage: Stage) -> Option<u32> {
        match stage {
            Stage::Tier(days) => Some(days),
            // Unused keys and rotation need the ledger (the configuration
            // requires it), so no stateless event speaks for them.
            Stage::Unused(_)
            | Stage::Rotation
            | Stage::Rotated
            | Stage::RotationBlocked
            | Stage::PasswordExpiry { .. }
            | Stage::PasswordUnused(_)
            | Stage::PasswordFinalWarning(_)
            | Stage::PasswordRemoved(_) => None,
            Stage::Overdue | Stage::Reminder(_) | Stage::FinalWarning | Stage::Deactivated => self
                .notice_rules
                .iter()
                .map(|r| r.days_before_deadline)
                .min(),
        }
    }

    fn max_key_age(&self) -> Duration {
        Duration::days(i64::from(self.max_key_age_days))
    }
}

/// Which events may mail (rule 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The notice ledger records each key's stages; the notice service asks it.
    Ledger,
    /// No ledger: only the event of the rule with this tier may mail.
    Stateless { rule_tier: u32 },
}

/// Decides the notice for one user (rules 1 to 7 and 12) whose due keys
/// are `due` ([`due_keys`], computed once per user). `listed`: the user is
/// on the exemption list.
pub(crate) fn decide(
    policy: &Policy,
    mode: Mode,
    tags: &[Tag],
    listed: bool,
    due: Vec<DueKey>,
    now: DateTime<Utc>,
) -> Verdict {
    let owner_tag_present = tag_value(tags, &policy.owner_email_tag).is_some();
    let (owner, owner_tag_rejected) = owner_address(policy, tags);
    let (locale, locale_tag_ignored) = locale(policy, tags);
    let (exemption, exempt_tag_problem) = exemption(policy, tags, listed, policy.date_of(now));
    let recipients = recipients(policy, owner);
    let result = match exemption {
        Some(_) => Err(SkipReason::Exempt),
        None => notice(policy, mode, &due, recipients.clone(), locale, now),
    };
    Verdict {
        due,
        result,
        owner_tag_present,
        owner_tag_rejected,
        locale_tag_ignored,
        exemption,
        exempt_tag_problem,
        recipients,
        locale,
    }
}

/// Rule 8: given whether each listed key's stage is already recorded as
/// sent, the notice goes out, or is `already_notified`.
pub(crate) fn ledger_verdict(recorded: &[bool]) -> Result<(), SkipReason> {
    if recorded.iter().all(|&r| r) {
        Err(SkipReason::AlreadyNotified)
    } else {
        Ok(())
    }
}

/// Rule 9: the stages a sent notice records for one of its keys: the
/// key's listed stage, and when it is listed at another stage than the
/// clock's (a final warning, a first overdue notice) also the stage by the
/// clock, which the notice stands in for.
pub(crate) fn recorded_stages(policy: &Policy, key: &DueKey) -> Vec<Stage> {
    let mut stages = vec![key.stage];
    let by_the_clock = if key.is_password() {
        [key.password_clock_stage(), None]
    } else {
        [
            policy.stage(key.days),
            key.unused.as_ref().map(|u| Stage::Unused(u.period)),
        ]
    };
    for stage in by_the_clock.into_iter().flatten() {
        if !stages.contains(&stage) {
            stages.push(stage);
        }
    }
    stages
}

/// Rule 11: `key` as the notice lists it, given whether its `overdue`
/// stage was ever recorded: a reminder with no overdue notice before it is
/// the first overdue notice.
pub(crate) fn first_overdue(mut key: DueKey, overdue_recorded: bool) -> DueKey {
    if key.stage.is_reminder() && !overdue_recorded {
        key.stage = Stage::Overdue;
    }
    key
}

fn notice(
    policy: &Policy,
    mode: Mode,
    due: &[DueKey],
    recipients: Option<Recipients>,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<Notice, SkipReason> {
    let Some(lead) = due.first() else {
        return Err(SkipReason::NoActiveKeyDue);
    };

    if let Mode::Stateless { rule_tier } = mode {
        match policy.tier_of(lead.stage) {
            Some(tier) if rule_tier > tier => return Err(SkipReason::SupersededByCloserNotice),
            Some(tier) if rule_tier < tier => return Err(SkipReason::NoActiveKeyDue),
            _ => {}
        }
    }

    let recipients = recipients.ok_or(SkipReason::NoRecipient)?;
    Ok(Notice {
        today: policy.date_of(now),
        keys: due.to_vec(),
        recipients,
        locale,
    })
}

/// Rules 2 to 4 and 12 without the user: every due key, earliest deadline
/// first. Computed once per user: the sweep asks it before it reads the
/// user's tags, and [`decide`] takes what it gave.
pub fn due_keys(policy: &Policy, keys: &[AccessKey], now: DateTime<Utc>) -> Vec<DueKey> {
    let today = policy.date_of(now);
    let mut due: Vec<DueKey> = keys
        .iter()
        .filter(|k| k.active)
        .filter_map(|k| due_key(policy, k, today))
        .collect();
    // Rotation first, earliest deadline first; then unused, longest first.
    due.sort_by(|a, b| {
        let order = |k: &DueKey| match k.unused_period() {
            Some(u) => (1, u.start()),
            None => (0, k.deadline),
        };
        order(a).cmp(&order(b)).then_with(|| a.id.cmp(&b.id))
    });
    due
}

/// Rules 2, 3 and 12 for one active key; `None` when it is neither due
/// nor unused.
fn due_key(policy: &Policy, key: &AccessKey, today: NaiveDate) -> Option<DueKey> {
    let deadline = key.created + policy.max_key_age();
    let deadline_date = policy.date_of(deadline);
    let created_date = policy.date_of(key.created);
    let days = DaysLeft::between(today, deadline_date);
    let unused = unused::unused(
        policy.unused_key_days,
        key.active,
        key.created,
        key.last_used.as_ref(),
        today,
        policy.time_zone,
    );
    let by_age = policy.stage(days);
    let for_unused = unused.is_some() && (by_age.is_none() || policy.unused_listed_first);
    let stage = match &unused {
        Some(u) if for_unused => Stage::Unused(u.period),
        _ => by_age?,
    };
    Some(DueKey {
        id: key.id.clone(),
        created: key.created,
        deadline,
        created_date,
        deadline_date,
        days,
        age_days: clamp_days((today - created_date).num_days()),
        stage,
        deactivation_from: None,
        unused,
        for_unused,
        last_used: key.last_used.clone(),
        rotation: None,
        credential: crate::model::Credential::AccessKey,
    })
}

/// The value of the first tag whose key matches `key` case-insensitively.
fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key.eq_ignore_ascii_case(key))
        .map(|t| t.value.as_str())
}

/// Rule 1: the exemption, and what was wrong with an exemption tag that
/// exempts no one. The list is asked after the tag, so a listed user with
/// a dated tag is reported with the date.
fn exemption(
    policy: &Policy,
    tags: &[Tag],
    listed: bool,
    today: NaiveDate,
) -> (Option<Exemption>, Option<ExemptTagProblem>) {
    let value = policy
        .exempt_tag
        .as_deref()
        .and_then(|key| tag_value(tags, key))
        .map(str::trim);
    let (by_tag, problem) = match value {
        None => (None, None),
        Some(v) if v.eq_ignore_ascii_case("true") => (Some(Exemption::Tag), None),
        Some(v) if v.eq_ignore_ascii_case("false") || v.is_empty() => (None, None),
        Some(v) => match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(until) if until >= today => (Some(Exemption::TagUntil(until)), None),
            Ok(until) => (None, Some(ExemptTagProblem::Expired(until))),
            Err(_) => (None, Some(ExemptTagProblem::Unreadable)),
        },
    };
    let exemption = by_tag.or(listed.then_some(Exemption::Listed));
    (exemption, problem)
}

fn owner_address(policy: &Policy, tags: &[Tag]) -> (Option<Address>, Option<Rejection>) {
    match tag_value(tags, &policy.owner_email_tag) {
        None => (None, None),
        Some(raw) => match address::parse_within(raw, &policy.allowed_domains) {
            Ok(a) => (Some(a), None),
            Err(r) => (None, Some(r)),
        },
    }
}

fn recipients(policy: &Policy, owner: Option<Address>) -> Option<Recipients> {
    let to = match owner {
        Some(owner) => vec![owner],
        None => policy.fallback_recipients.clone(),
    };
    let cc: Vec<Address> = policy
        .cc_recipients
        .iter()
        .filter(|c| !to.iter().any(|t| t.same_mailbox(c)))
        .cloned()
        .collect();
    (!to.is_empty() || !cc.is_empty()).then_some(Recipients { to, cc })
}

fn locale(policy: &Policy, tags: &[Tag]) -> (Locale, bool) {
    match tag_value(tags, &policy.owner_locale_tag) {
        None => (policy.default_locale, false),
        Some(v) => match Locale::from_tag(v) {
            Some(l) => (l, false),
            None => (policy.default_locale, true),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`decide`] over the due keys of `keys`, as the service computes them.
    fn decide_keys(
        policy: &Policy,
        mode: Mode,
        tags: &[Tag],
        listed: bool,
        keys: &[AccessKey],
        now: DateTime<Utc>,
    ) -> Verdict {
        decide(policy, mode, tags, listed, due_keys(policy, keys, now), now)
    }
    use chrono::TimeZone;

    /// Monday 2026-11-23, 09:00 UTC.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn addr(s: &str) -> Address {
        address::parse(s).unwrap()
    }

    fn policy() -> Policy {
        Policy {
            max_key_age_days: 90,
            notice_rules: vec![
                NoticeRule {
                    name: "access-keys-rotated-1".into(),
                    days_before_deadline: 7,
                },
                NoticeRule {
                    name: "access-keys-rotated-2".into(),
                    days_before_deadline: 14,
                },
            ],
            owner_email_tag: "Email".into(),
            owner_locale_tag: "Locale".into(),
            exempt_tag: Some("KeyRotationExempt".into()),
            fallback_recipients: vec![],
            cc_recipients: vec![addr("security@example.com")],
            allowed_domains: vec![],
            default_locale: Locale::En,
            time_zone: Tz::UTC,
            overdue_reminder_days: 7,
            unused_key_days: 0,
            password_notice_days: vec![],
            unused_password_days: 0,
            unused_rules: vec![],
            unused_listed_first: false,
        }
    }

    fn days(d: i64) -> Duration {
        Duration::days(d)
    }

    fn key_aged(id: &str, age: Duration, active: bool) -> AccessKey {
        AccessKey {
            id: id.into(),
            active,
            created: now() - age,
            last_used: None,
        }
    }

    fn owner_tags() -> Vec<Tag> {
        vec![Tag {
            key: "Email".into(),
            value: "alice@example.com".into(),
        }]
    }

    const SEVEN: Mode = Mode::Stateless { rule_tier: 7 };
    const FOURTEEN: Mode = Mode::Stateless { rule_tier: 14 };

    fn decide_one(mode: Mode, keys: &[AccessKey]) -> Result<Notice, SkipReason> {
        decide_keys(&policy(), mode, &owner_tags(), false, keys, now()).result
    }

    fn ids(n: &Notice) -> Vec<&str> {
        n.keys.iter().map(|k| k.id.as_str()).collect()
    }

    #[test]
    fn days_are_the_difference_between_calendar_dates_not_rounded_hours() {
        // 7 days and 2 hours before the deadline's instant, late in the day:
        // rounding hours up said 8; the dates say 7.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap();
        let key = AccessKey {
            id: "K".into(),
            active: true,
            created: Utc.with_ymd_and_hms(2026, 11, 30, 22, 0, 0).unwrap() - days(90),
            last_used: None,
        };
        let n = decide_keys(&policy(), Mode::Ledger, &owner_tags(), false, &[key], now)
            .result
            .unwrap();
        assert_eq!(n.today, date(2026, 11, 23));
        assert_eq!(n.lead().deadline_date, date(2026, 11, 30));
        assert_eq!(n.lead().days, DaysLeft(7));
    }

    #[test]
    fn dates_and_days_follow_the_time_zone() {
        // 15:30 UTC on the 23rd is 00:30 on the 24th in Tokyo; a deadline of
        // 14:30 UTC on the 30th is 23:30 on the 30th there.
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 15, 30, 0).unwrap();
        let key = AccessKey {
            id: "K".into(),
            active: true,
            created: Utc.with_ymd_and_hms(2026, 11, 30, 14, 30, 0).unwrap() - days(90),
            last_used: None,
        };
        let tokyo = Policy {
            time_zone: chrono_tz::Asia::Tokyo,
            ..policy()
        };
        let n = decide_keys(
            &tokyo,
            Mode::Ledger,
            &owner_tags(),
            false,
            std::slice::from_ref(&key),
            now,
        )
        .result
        .unwrap();
        assert_eq!(
            (n.today, n.lead().deadline_date, n.lead().days),
            (date(2026, 11, 24), date(2026, 11, 30), DaysLeft(6))
        );
        let n = decide_keys(&policy(), Mode::Ledger, &owner_tags(), false, &[key], now)
            .result
            .unwrap();
        assert_eq!(
            (n.today, n.lead().deadline_date, n.lead().days),
            (date(2026, 11, 23), date(2026, 11, 30), DaysLeft(7))
        );
    }

    #[test]
    fn the_deadline_date_is_the_last_day_and_the_next_is_one_day_overdue() {
        let cases = [
            (date(2026, 11, 30), 7, 0, false),
            (date(2026, 11, 24), 1, 0, false),
            (date(2026, 11, 23), 0, 0, false),
            (date(2026, 11, 22), 0, 1, true),
            (date(2026, 11, 18), 0, 5, true),
        ];
        for (deadline, remaining, overdue_days, overdue) in cases {
            let d = DaysLeft::between(date(2026, 11, 23), deadline);
            assert_eq!(
                (d.remaining(), d.overdue(), d.is_overdue()),
                (remaining, overdue_days, overdue),
                "deadline {deadline}"
            );
        }
    }

    #[test]
    fn a_key_reaches_the_closest_tier_with_one_day_of_tolerance_then_overdue() {
        let p = policy();
        let cases = [
            (30, None),
            (16, None),
            (15, Some(Stage::Tier(14))),
            (14, Some(Stage::Tier(14))),
            (9, Some(Stage::Tier(14))),
            (8, Some(Stage::Tier(7))),
            (7, Some(Stage::Tier(7))),
            (0, Some(Stage::Tier(7))),
            (-1, Some(Stage::Overdue)),
            (-7, Some(Stage::Overdue)),
            (-8, Some(Stage::Reminder(8))),
            (-14, Some(Stage::Reminder(8))),
            (-15, Some(Stage::Reminder(15))),
            (-400, Some(Stage::Reminder(400))),
        ];
        for (left, stage) in cases {
            assert_eq!(p.stage(DaysLeft(left)), stage, "{left} days left");
        }
    }

    #[test]
    fn reminders_fall_due_every_n_days_after_the_first_overdue_day_or_never() {
        let every = |n| Policy {
            overdue_reminder_days: n,
            ..policy()
        };
        let stages = |p: &Policy| {
            (1..=12)
                .map(|d| p.stage(DaysLeft(-d)).unwrap().code())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            stages(&every(3)),
            [
                "overdue",
                "overdue",
                "overdue",
                "reminder_4",
                "reminder_4",
                "reminder_4",
                "reminder_7",
                "reminder_7",
                "reminder_7",
                "reminder_10",
                "reminder_10",
                "reminder_10"
            ]
        );
        assert!(stages(&every(0)).iter().all(|s| s == "overdue"));
        assert_eq!(every(1).stage(DaysLeft(-5)), Some(Stage::Reminder(5)));
    }

    #[test]
    fn due_keys_lists_the_due_active_keys_earliest_deadline_first() {
        let keys = [
            key_aged("B", days(80), true),
            key_aged("A", days(95), true),
            key_aged("OFF", days(120), false),
            key_aged("NEW", days(10), true),
        ];
        let due = due_keys(&policy(), &keys, now());
        let got: Vec<(&str, Stage)> = due.iter().map(|k| (k.id.as_str(), k.stage)).collect();
        assert_eq!(got, [("A", Stage::Overdue), ("B", Stage::Tier(14))]);
    }

    #[test]
    fn stage_codes_are_stable() {
        assert_eq!(Stage::Tier(14).code(), "tier_14");
        assert_eq!(Stage::Overdue.code(), "overdue");
        assert_eq!(Stage::Reminder(15).code(), "reminder_15");
        assert_eq!(Stage::FinalWarning.code(), "final_warning");
        assert_eq!(Stage::Deactivated.code(), "deactivated");
        assert_eq!(serde_json::to_value(Stage::Tier(7)).unwrap(), "tier_7");
    }

    #[test]
    fn a_76_day_old_key_is_at_the_14_day_stage() {
        let n = decide_one(FOURTEEN, &[key_aged("K76", days(76), true)]).unwrap();
        let k = n.lead();
        assert_eq!(k.days, DaysLeft(14));
        assert_eq!(k.stage, Stage::Tier(14));
        assert_eq!(k.age_days, 76);
        assert_eq!(k.deadline_date, date(2026, 12, 7));
        assert_eq!(n.recipients.to, vec![addr("alice@example.com")]);
        assert_eq!(n.recipients.cc, vec![addr("security@example.com")]);
        assert_eq!(n.locale, Locale::En);
    }

    #[test]
    fn an_83_day_old_key_is_at_the_7_day_stage() {
        let n = decide_one(SEVEN, &[key_aged("K83", days(83), true)]).unwrap();
        assert_eq!(
            (n.lead().days, n.lead().stage),
            (DaysLeft(7), Stage::Tier(7))
        );
    }

    #[test]
    fn without_a_ledger_an_88_day_old_key_mails_once_from_the_closest_tier_saying_2_days() {
        let keys = [key_aged("K88", days(88), true)];
        assert_eq!(
            decide_one(FOURTEEN, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
        let n = decide_one(SEVEN, &keys).unwrap();
        assert_eq!(n.lead().days, DaysLeft(2));
    }

    #[test]
    fn without_a_ledger_8_days_left_mail_once_both_tiers_firing() {
        // 8 days is within the 7-day tier's tolerance: the 14-day event is
        // superseded, the 7-day event mails. Two events, one mail.
        let keys = [key_aged("K82", days(82), true)];
        assert_eq!(
            decide_one(FOURTEEN, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
        let n = decide_one(SEVEN, &keys).unwrap();
        assert_eq!(
            (n.lead().days, n.lead().stage),
            (DaysLeft(8), Stage::Tier(7))
        );
    }

    #[test]
    fn without_a_ledger_a_closer_tiers_event_finds_nothing_due_yet() {
        // 12 days left: the 14-day stage. The 7-day rule's event (Config and
        // the clock disagree by more than the tolerance) mails nothing.
        let keys = [key_aged("K78", days(78), true)];
        assert_eq!(decide_one(SEVEN, &keys), Err(SkipReason::NoActiveKeyDue));
        assert!(decide_one(FOURTEEN, &keys).is_ok());
    }

    #[test]
    fn with_a_ledger_the_notice_carries_the_keys_current_stage_whichever_rule_fired() {
        let n = decide_one(Mode::Ledger, &[key_aged("K88", days(88), true)]).unwrap();
        assert_eq!(
            (n.lead().days, n.lead().stage),
            (DaysLeft(2), Stage::Tier(7))
        );
    }

    #[test]
    fn a_second_due_key_is_listed_with_its_own_deadline_and_stage() {
        // 85 and 78 days: 5 days left (7-day stage) and 12 (14-day stage).
        let keys = [
            key_aged("SECOND", days(78), true),
            key_aged("FIRST", days(85), true),
            key_aged("NOT_DUE", days(20), true),
        ];
        for mode in [SEVEN, Mode::Ledger] {
            let n = decide_one(mode, &keys).unwrap();
            assert_eq!(ids(&n), vec!["FIRST", "SECOND"], "{mode:?}");
            let stages: Vec<(DaysLeft, Stage)> = n.keys.iter().map(|k| (k.days, k.stage)).collect();
            assert_eq!(
                stages,
                vec![
                    (DaysLeft(5), Stage::Tier(7)),
                    (DaysLeft(12), Stage::Tier(14))
                ]
            );
            assert_eq!(n.lead().deadline, keys[1].created + days(90));
        }
        assert_eq!(
            decide_one(FOURTEEN, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
    }

    #[test]
    fn an_overdue_key_is_overdue_and_only_the_closest_tier_speaks_for_it_without_a_ledger() {
        let keys = [key_aged("K95", days(95), true)];
        let n = decide_one(SEVEN, &keys).unwrap();
        let k = n.lead();
        assert_eq!(k.stage, Stage::Overdue);
        assert_eq!((k.days.remaining(), k.days.overdue()), (0, 5));
        assert_eq!(
            decide_one(FOURTEEN, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
        assert_eq!(
            decide_one(Mode::Ledger, &keys).unwrap().lead().stage,
            Stage::Overdue
        );
    }

    #[test]
    fn a_rotated_key_means_nothing_is_due() {
        assert_eq!(
            decide_one(Mode::Ledger, &[key_aged("NEW", days(3), true)]),
            Err(SkipReason::NoActiveKeyDue)
        );
        assert_eq!(decide_one(SEVEN, &[]), Err(SkipReason::NoActiveKeyDue));
    }

    #[test]
    fn an_inactive_old_key_is_never_due() {
        let keys = [
            key_aged("OLD_INACTIVE", days(120), false),
            key_aged("NEW_ACTIVE", days(10), true),
        ];
        assert_eq!(
            decide_one(Mode::Ledger, &keys),
            Err(SkipReason::NoActiveKeyDue)
        );
    }

    #[test]
    fn the_ledger_sends_while_any_listed_stage_is_unrecorded() {
        assert_eq!(ledger_verdict(&[false]), Ok(()));
        assert_eq!(ledger_verdict(&[true, false]), Ok(()));
        assert_eq!(
            ledger_verdict(&[true, true]),
            Err(SkipReason::AlreadyNotified)
        );
    }

    #[test]
    fn exempt_users_get_nothing() {
        let mut tags = owner_tags();
        tags.push(Tag {
            key: "keyrotationexempt".into(),
            value: " TRUE ".into(),
        });
        let keys = [key_aged("K", days(88), true)];
        let v = decide_keys(&policy(), SEVEN, &tags, false, &keys, now());
        assert_eq!(v.result, Err(SkipReason::Exempt));
        tags[1].value = "no".into();
        assert!(
            decide_keys(&policy(), SEVEN, &tags, false, &keys, now())
                .result
                .is_ok()
        );
        let no_exemption = Policy {
            exempt_tag: None,
            ..policy()
        };
        tags[1].value = "true".into();
        assert!(
            decide_keys(&no_exemption, SEVEN, &tags, false, &keys, now())
                .result
                .is_ok()
        );
    }

    #[test]
    fn an_exemption_tag_date_exempts_through_that_date_and_a_listed_user_is_exempt() {
        let keys = [key_aged("K", days(88), true)];
        let with_tag = |value: &str| {
            let mut tags = owner_tags();
            tags.push(Tag {
                key: "KeyRotationExempt".into(),
                value: value.into(),
            });
            decide_keys(&policy(), SEVEN, &tags, false, &keys, now())
        };
        // Today is 2026-11-23 in UTC.
        let v = with_tag("2026-11-23");
        assert_eq!(v.result, Err(SkipReason::Exempt));
        assert_eq!(v.exemption, Some(Exemption::TagUntil(date(2026, 11, 23))));
        let v = with_tag("2026-11-22");
        assert!(v.result.is_ok());
        assert_eq!(v.exemption, None);
        assert_eq!(
            v.exempt_tag_problem,
            Some(ExemptTagProblem::Expired(date(2026, 11, 22)))
        );
        assert_eq!(v.exempt_tag_problem.unwrap().code(), "exempt_tag_expired");
        for unreadable in ["soon", "2026-13-01", "31/01/2027", "yes"] {
            let v = with_tag(unreadable);
            assert!(v.result.is_ok(), "{unreadable}");
            assert_eq!(v.exempt_tag_problem, Some(ExemptTagProblem::Unreadable));
        }
        let v = with_tag("false");
        assert_eq!((v.exemption, v.exempt_tag_problem), (None, None));

        let listed = decide_keys(&policy(), SEVEN, &owner_tags(), true, &keys, now());
        assert_eq!(listed.result, Err(SkipReason::Exempt));
        assert_eq!(listed.exemption, Some(Exemption::Listed));
        // An expired tag does not undo the list.
        let mut tags = owner_tags();
        tags.push(Tag {
            key: "KeyRotationExempt".into(),
            value: "2026-01-01".into(),
        });
        let v = decide_keys(&policy(), SEVEN, &tags, true, &keys, now());
        assert_eq!(v.exemption, Some(Exemption::Listed));
        assert!(v.exempt_tag_problem.is_some());
    }

    #[test]
    fn owner_tag_key_matches_case_insensitively() {
        let tags = [Tag {
            key: "EMAIL".into(),
            value: "bob@example.com".into(),
        }];
        let v = decide_keys(
            &policy(),
            SEVEN,
            &tags,
            false,
            &[key_aged("K", days(85), true)],
            now(),
        );
        assert_eq!(
            v.result.unwrap().recipients.to,
            vec![addr("bob@example.com")]
        );
    }

    #[test]
    fn a_rejected_owner_tag_falls_back_and_is_reported_by_reason() {
        let tags = [Tag {
            key: "Email".into(),
            value: "alice@example.com\r\nBcc: eve@evil.test".into(),
        }];
        let p = Policy {
            fallback_recipients: vec![addr("platform@example.com")],
            ..policy()
        };
        let v = decide_keys(
            &p,
            SEVEN,
            &tags,
            false,
            &[key_aged("K", days(85), true)],
            now(),
        );
        assert_eq!(v.owner_tag_rejected, Some(Rejection::ControlCharacter));
        let r = v.result.unwrap().recipients;
        assert_eq!(r.to, vec![addr("platform@example.com")]);
        assert_eq!(r.cc, vec![addr("security@example.com")]);
    }

    #[test]
    fn an_owner_outside_the_allowed_domains_is_not_used() {
        let tags = [Tag {
            key: "Email".into(),
            value: "alice@gmail.test".into(),
        }];
        let p = Policy {
            allowed_domains: vec!["example.com".into()],
            cc_recipients: vec![],
            ..policy()
        };
        let v = decide_keys(
            &p,
            SEVEN,
            &tags,
            false,
            &[key_aged("K", days(85), true)],
            now(),
        );
        assert_eq!(v.owner_tag_rejected, Some(Rejection::DomainNotAllowed));
        assert_eq!(v.result, Err(SkipReason::NoRecipient));
    }

    #[test]
    fn nobody_to_mail_is_a_skip_and_cc_alone_still_gets_the_notice() {
        let keys = [key_aged("K", days(85), true)];
        let nobody = Policy {
            cc_recipients: vec![],
            ..policy()
        };
        let v = decide_keys(&nobody, SEVEN, &[], false, &keys, now());
        assert_eq!(v.result, Err(SkipReason::NoRecipient));
        assert_eq!(
            v.owner_tag_rejected, None,
            "a missing tag is not a rejection"
        );
        assert!(!v.owner_tag_present);
        assert!(decide_keys(&nobody, SEVEN, &owner_tags(), false, &keys, now()).owner_tag_present);

        let cc_only = decide_keys(&policy(), SEVEN, &[], false, &keys, now())
            .result
            .unwrap();
        assert!(cc_only.recipients.to.is_empty());
        assert_eq!(cc_only.recipients.cc, vec![addr("security@example.com")]);
    }

    #[test]
    fn an_owner_also_on_the_cc_list_is_mailed_once() {
        let tags = [Tag {
            key: "Email".into(),
            value: "Security@Example.com".into(),
        }];
        let n = decide_keys(
            &policy(),
            SEVEN,
            &tags,
            false,
            &[key_aged("K", days(85), true)],
            now(),
        )
        .result
        .unwrap();
        assert_eq!(n.recipients.to.len(), 1);
        assert!(n.recipients.cc.is_empty());
    }

    #[test]
    fn the_locale_tag_overrides_the_default_when_supported() {
        let keys = [key_aged("K", days(85), true)];
        let mut tags = owner_tags();
        tags.push(Tag {
            key: "locale".into(),
            value: "ja-JP".into(),
        });
        let v = decide_keys(&policy(), SEVEN, &tags, false, &keys, now());
        assert_eq!(v.result.unwrap().locale, Locale::Ja);
        tags[1].value = "klingon".into();
        let v = decide_keys(&policy(), SEVEN, &tags, false, &keys, now());
        assert!(v.locale_tag_ignored);
        assert_eq!(v.result.unwrap().locale, Locale::En);
    }

    #[test]
    fn rules_map_to_tiers() {
        let p = policy();
        assert_eq!(p.tier_for_rule("access-keys-rotated-1"), Some(7));
        assert_eq!(p.tier_for_rule("access-keys-rotated-2"), Some(14));
        assert_eq!(
            p.tier_for_rule("securityhub-access-keys-rotated-3f1c2e"),
            None
        );
    }

    #[test]
    fn skip_reasons_serialize_to_their_stable_codes() {
        for r in [
            SkipReason::NotComplianceChange,
            SkipReason::NotNonCompliant,
            SkipReason::NotIamUser,
            SkipReason::UnknownRule,
            SkipReason::UserNotFound,
            SkipReason::NoActiveKeyDue,
            SkipReason::SupersededByCloserNotice,
            SkipReason::AlreadyNotified,
            SkipReason::Exempt,
            SkipReason::NoRecipient,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }
}
