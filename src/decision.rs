//! The decision: given what IAM says about one user and which Config rule
//! fired, decide whether a notice goes out, about which keys, with which
//! deadline, to whom, and in which language, or why nothing is sent.
//!
//! Everything here is pure: no SDK, no Lambda, no clock. The caller passes
//! `now` (the event's time), so the same inputs always give the same answer.
//!
//! The rules, in the order they are applied:
//!
//! 1. A user carrying the exemption tag (`EXEMPT_TAG` = `true`) gets nothing.
//! 2. A key's deadline is its creation instant plus `MAX_KEY_AGE_DAYS`. Days
//!    remaining are counted from `now` to that instant and rounded up, so a
//!    key with 6 days and 1 hour left has 7 days; a key past its deadline is
//!    overdue and counts days overdue instead, never a negative number.
//! 3. The rule that fired notifies a tier: N days before the deadline. An
//!    *active* key is due for that tier when it has at most N days left, plus
//!    one day of tolerance because Config evaluates on its own schedule and
//!    counts age in whole days. Inactive keys can't break anything and are
//!    never due. No active key due: the owner rotated already.
//! 4. The deadline of the notice is the earliest deadline among the due keys.
//!    When a configured tier closer to the deadline also covers that many
//!    days, this rule's notice is superseded: the closer rule's event is the
//!    one that mails. So when rules are created after keys are already old,
//!    every rule fires at once but exactly one mail goes out, and it states
//!    the real number of days.
//! 5. Recipients: the owner's address from the owner tag (tag key matched
//!    case-insensitively) if it is one valid plain address within the
//!    allowed domains; otherwise the fallback list. The CC list is always
//!    added, without repeating an address already in To. No one at all: skip.
//! 6. Language: the user's locale tag when it names a supported language,
//!    otherwise the configured default.

use chrono::{DateTime, Duration, Utc};

use crate::address::{self, Address, Rejection};

/// Config can evaluate a rule up to a day "late" relative to the exact age.
pub const TOLERANCE_DAYS: u32 = 1;

const SECONDS_PER_DAY: i64 = 86_400;

/// One Config rule and the tier it notifies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRule {
    pub name: String,
    pub days_before_deadline: u32,
}

/// Languages the mail is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    Ja,
}

impl Locale {
    /// Reads `en`, `ja`, `en-US`, `ja_JP` and the like, case-insensitively.
    pub fn from_tag(value: &str) -> Option<Locale> {
        let primary = value.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "ja" => Some(Locale::Ja),
            _ => None,
        }
    }
}

/// What the operator decided, from the configuration.
#[derive(Debug, Clone)]
pub struct Policy {
    pub max_key_age_days: u32,
    pub notice_rules: Vec<NoticeRule>,
    pub owner_email_tag: String,
    pub owner_locale_tag: String,
    pub exempt_tag: Option<String>,
    pub fallback_recipients: Vec<Address>,
    pub cc_recipients: Vec<Address>,
    pub allowed_domains: Vec<String>,
    pub default_locale: Locale,
}

impl Policy {
    /// The tier (days before the deadline) a Config rule notifies.
    pub fn tier_for_rule(&self, rule_name: &str) -> Option<u32> {
        self.notice_rules
            .iter()
            .find(|r| r.name == rule_name)
            .map(|r| r.days_before_deadline)
    }

    fn max_key_age(&self) -> Duration {
        Duration::days(i64::from(self.max_key_age_days))
    }
}

/// An IAM user tag, as written by whoever could tag the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// An access key as IAM lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    pub id: String,
    pub active: bool,
    pub created: DateTime<Utc>,
}

/// How far a deadline is from `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Remaining {
    /// Whole days left, rounded up; 0 once the deadline has passed.
    pub days_remaining: u32,
    /// Whole days past the deadline, rounded down; 0 before it.
    pub days_overdue: u32,
    pub overdue: bool,
}

impl Remaining {
    pub fn until(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Remaining {
        let seconds = (deadline - now).num_seconds();
        if seconds > 0 {
            Remaining {
                days_remaining: clamp_days((seconds + SECONDS_PER_DAY - 1) / SECONDS_PER_DAY),
                days_overdue: 0,
                overdue: false,
            }
        } else {
            Remaining {
                days_remaining: 0,
                days_overdue: clamp_days(-seconds / SECONDS_PER_DAY),
                overdue: true,
            }
        }
    }
}

fn clamp_days(days: i64) -> u32 {
    u32::try_from(days).unwrap_or(u32::MAX)
}

/// A key the notice is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueKey {
    pub id: String,
    pub created: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub remaining: Remaining,
    /// Whole days since creation, rounded down.
    pub age_days: u32,
}

/// Who receives the notice.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Recipients {
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
}

/// A notice to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub tier_days: u32,
    /// Due keys, earliest deadline first.
    pub keys: Vec<DueKey>,
    /// The earliest deadline among `keys`.
    pub deadline: DateTime<Utc>,
    pub remaining: Remaining,
    pub recipients: Recipients,
    pub locale: Locale,
}

/// Why nothing is sent. A skip is a success: there is nothing to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    NotComplianceChange,
    NotNonCompliant,
    NotIamUser,
    UnknownRule,
    UserNotFound,
    NoActiveKeyDue,
    SupersededByCloserNotice,
    Exempt,
    NoRecipient,
}

impl SkipReason {
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::NotComplianceChange => "not_compliance_change",
            SkipReason::NotNonCompliant => "not_non_compliant",
            SkipReason::NotIamUser => "not_iam_user",
            SkipReason::UnknownRule => "unknown_rule",
            SkipReason::UserNotFound => "user_not_found",
            SkipReason::NoActiveKeyDue => "no_active_key_due",
            SkipReason::SupersededByCloserNotice => "superseded_by_closer_notice",
            SkipReason::Exempt => "exempt",
            SkipReason::NoRecipient => "no_recipient",
        }
    }
}

/// The decision, with what was noticed on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub result: Result<Notice, SkipReason>,
    /// The owner tag was present but not used, and why. Logged as a code,
    /// never with the raw value.
    pub owner_tag_rejected: Option<Rejection>,
    /// The locale tag was present but names no supported language.
    pub locale_tag_ignored: bool,
}

/// Decides the notice for one user, for the rule whose tier is `tier_days`.
pub fn decide(
    policy: &Policy,
    tier_days: u32,
    tags: &[Tag],
    keys: &[AccessKey],
    now: DateTime<Utc>,
) -> Verdict {
    let (owner, owner_tag_rejected) = owner_address(policy, tags);
    let (locale, locale_tag_ignored) = locale(policy, tags);
    let result = notice(policy, tier_days, tags, keys, owner, locale, now);
    Verdict {
        result,
        owner_tag_rejected,
        locale_tag_ignored,
    }
}

fn notice(
    policy: &Policy,
    tier_days: u32,
    tags: &[Tag],
    keys: &[AccessKey],
    owner: Option<Address>,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<Notice, SkipReason> {
    if is_exempt(policy, tags) {
        return Err(SkipReason::Exempt);
    }

    let mut due: Vec<DueKey> = keys
        .iter()
        .filter(|k| k.active)
        .map(|k| due_key(policy, k, now))
        .filter(|k| k.remaining.days_remaining <= tier_days.saturating_add(TOLERANCE_DAYS))
        .collect();
    due.sort_by(|a, b| a.deadline.cmp(&b.deadline).then_with(|| a.id.cmp(&b.id)));
    let Some(first) = due.first() else {
        return Err(SkipReason::NoActiveKeyDue);
    };
    let (deadline, remaining) = (first.deadline, first.remaining);

    let closer_tier_applies = policy.notice_rules.iter().any(|r| {
        r.days_before_deadline < tier_days && remaining.days_remaining <= r.days_before_deadline
    });
    if closer_tier_applies {
        return Err(SkipReason::SupersededByCloserNotice);
    }

    let recipients = recipients(policy, owner).ok_or(SkipReason::NoRecipient)?;
    Ok(Notice {
        tier_days,
        keys: due,
        deadline,
        remaining,
        recipients,
        locale,
    })
}

fn due_key(policy: &Policy, key: &AccessKey, now: DateTime<Utc>) -> DueKey {
    let deadline = key.created + policy.max_key_age();
    DueKey {
        id: key.id.clone(),
        created: key.created,
        deadline,
        remaining: Remaining::until(deadline, now),
        age_days: clamp_days((now - key.created).num_seconds().max(0) / SECONDS_PER_DAY),
    }
}

/// The value of the first tag whose key matches `key` case-insensitively.
fn tag_value<'a>(tags: &'a [Tag], key: &str) -> Option<&'a str> {
    tags.iter()
        .find(|t| t.key.eq_ignore_ascii_case(key))
        .map(|t| t.value.as_str())
}

fn is_exempt(policy: &Policy, tags: &[Tag]) -> bool {
    policy
        .exempt_tag
        .as_deref()
        .and_then(|key| tag_value(tags, key))
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
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
    use chrono::TimeZone;

    /// The fixtures' event time.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 7, 2, 3, 23, 19).unwrap()
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
        }
    }

    fn key_aged(id: &str, age: Duration, active: bool) -> AccessKey {
        AccessKey {
            id: id.into(),
            active,
            created: now() - age,
        }
    }

    fn days(d: i64) -> Duration {
        Duration::days(d)
    }

    fn owner_tags() -> Vec<Tag> {
        vec![Tag {
            key: "Email".into(),
            value: "alice@example.com".into(),
        }]
    }

    fn decide_one(tier: u32, keys: &[AccessKey]) -> Result<Notice, SkipReason> {
        decide(&policy(), tier, &owner_tags(), keys, now()).result
    }

    #[test]
    fn remaining_days_round_up_and_overdue_rounds_down() {
        let deadline = now();
        let cases = [
            (days(7), 7, 0, false),
            (days(6) + Duration::hours(1), 7, 0, false),
            (Duration::seconds(1), 1, 0, false),
            (Duration::zero(), 0, 0, true),
            (-Duration::hours(23), 0, 0, true),
            (-days(5), 0, 5, true),
            (-(days(5) + Duration::hours(12)), 0, 5, true),
        ];
        for (left, remaining, overdue_days, overdue) in cases {
            let r = Remaining::until(deadline, now() - left);
            assert_eq!(
                (r.days_remaining, r.days_overdue, r.overdue),
                (remaining, overdue_days, overdue),
                "left {left:?}"
            );
        }
    }

    #[test]
    fn a_76_day_old_key_gets_the_14_day_notice() {
        let n = decide_one(14, &[key_aged("AKIAAAAAAAAAAAAA0076", days(76), true)]).unwrap();
        assert_eq!(n.tier_days, 14);
        assert_eq!(n.remaining.days_remaining, 14);
        assert_eq!(n.deadline, now() + days(14));
        assert_eq!(n.keys.len(), 1);
        assert_eq!(n.keys[0].age_days, 76);
        assert_eq!(n.recipients.to, vec![addr("alice@example.com")]);
        assert_eq!(n.recipients.cc, vec![addr("security@example.com")]);
        assert_eq!(n.locale, Locale::En);
    }

    #[test]
    fn an_83_day_old_key_gets_the_7_day_notice() {
        let n = decide_one(7, &[key_aged("AKIAAAAAAAAAAAAA0083", days(83), true)]).unwrap();
        assert_eq!(n.remaining.days_remaining, 7);
    }

    #[test]
    fn an_88_day_old_key_mails_once_from_the_closest_tier_saying_2_days() {
        let keys = [key_aged("AKIAAAAAAAAAAAAA0088", days(88), true)];
        assert_eq!(
            decide_one(14, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
        let n = decide_one(7, &keys).unwrap();
        assert_eq!(n.remaining.days_remaining, 2);
    }

    #[test]
    fn an_overdue_key_gets_an_overdue_notice_from_the_closest_tier_only() {
        let keys = [key_aged("AKIAAAAAAAAAAAAA0095", days(95), true)];
        let n = decide_one(7, &keys).unwrap();
        assert!(n.remaining.overdue);
        assert_eq!(n.remaining.days_remaining, 0);
        assert_eq!(n.remaining.days_overdue, 5);
        assert_eq!(
            decide_one(14, &keys),
            Err(SkipReason::SupersededByCloserNotice)
        );
    }

    #[test]
    fn tier_boundary_allows_one_day_of_tolerance_and_no_more() {
        // 15 days left: within 14 + 1 day of tolerance.
        let n = decide_one(14, &[key_aged("K15", days(75), true)]).unwrap();
        assert_eq!(n.remaining.days_remaining, 15);
        // 15 days and one second left round up to 16: not due yet.
        let early = key_aged("K16", days(75) - Duration::seconds(1), true);
        assert_eq!(decide_one(14, &[early]), Err(SkipReason::NoActiveKeyDue));
    }

    #[test]
    fn the_closer_tier_supersedes_only_when_it_covers_the_days_left() {
        // 8 days left: inside the 14-day tier, outside the 7-day one.
        let n = decide_one(14, &[key_aged("K", days(82), true)]).unwrap();
        assert_eq!(n.remaining.days_remaining, 8);
        // 7 days left: the 7-day rule mails instead.
        assert_eq!(
            decide_one(14, &[key_aged("K", days(83), true)]),
            Err(SkipReason::SupersededByCloserNotice)
        );
    }

    #[test]
    fn a_rotated_key_means_nothing_is_due() {
        assert_eq!(
            decide_one(7, &[key_aged("NEW", days(3), true)]),
            Err(SkipReason::NoActiveKeyDue)
        );
        assert_eq!(decide_one(7, &[]), Err(SkipReason::NoActiveKeyDue));
    }

    #[test]
    fn an_inactive_old_key_is_never_due() {
        let keys = [
            key_aged("OLD_INACTIVE", days(120), false),
            key_aged("NEW_ACTIVE", days(10), true),
        ];
        assert_eq!(decide_one(7, &keys), Err(SkipReason::NoActiveKeyDue));
    }

    #[test]
    fn two_active_due_keys_are_both_listed_earliest_deadline_first() {
        let keys = [
            key_aged("SECOND", days(84), true),
            key_aged("FIRST", days(86), true),
            key_aged("NOT_DUE", days(20), true),
        ];
        let n = decide_one(7, &keys).unwrap();
        let ids: Vec<&str> = n.keys.iter().map(|k| k.id.as_str()).collect();
        assert_eq!(ids, vec!["FIRST", "SECOND"]);
        assert_eq!(n.remaining.days_remaining, 4);
        assert_eq!(n.deadline, keys[1].created + days(90));
    }

    #[test]
    fn exempt_users_get_nothing() {
        let mut tags = owner_tags();
        tags.push(Tag {
            key: "keyrotationexempt".into(),
            value: " TRUE ".into(),
        });
        let keys = [key_aged("K", days(88), true)];
        let v = decide(&policy(), 7, &tags, &keys, now());
        assert_eq!(v.result, Err(SkipReason::Exempt));
        tags[1].value = "no".into();
        assert!(decide(&policy(), 7, &tags, &keys, now()).result.is_ok());
        let no_exemption = Policy {
            exempt_tag: None,
            ..policy()
        };
        tags[1].value = "true".into();
        assert!(decide(&no_exemption, 7, &tags, &keys, now()).result.is_ok());
    }

    #[test]
    fn owner_tag_key_matches_case_insensitively() {
        let tags = [Tag {
            key: "EMAIL".into(),
            value: "bob@example.com".into(),
        }];
        let v = decide(&policy(), 7, &tags, &[key_aged("K", days(85), true)], now());
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
        let v = decide(&p, 7, &tags, &[key_aged("K", days(85), true)], now());
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
        let v = decide(&p, 7, &tags, &[key_aged("K", days(85), true)], now());
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
        let v = decide(&nobody, 7, &[], &keys, now());
        assert_eq!(v.result, Err(SkipReason::NoRecipient));
        assert_eq!(
            v.owner_tag_rejected, None,
            "a missing tag is not a rejection"
        );

        let cc_only = decide(&policy(), 7, &[], &keys, now()).result.unwrap();
        assert!(cc_only.recipients.to.is_empty());
        assert_eq!(cc_only.recipients.cc, vec![addr("security@example.com")]);
    }

    #[test]
    fn an_owner_also_on_the_cc_list_is_mailed_once() {
        let tags = [Tag {
            key: "Email".into(),
            value: "Security@Example.com".into(),
        }];
        let n = decide(&policy(), 7, &tags, &[key_aged("K", days(85), true)], now())
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
        let v = decide(&policy(), 7, &tags, &keys, now());
        assert_eq!(v.result.unwrap().locale, Locale::Ja);
        tags[1].value = "klingon".into();
        let v = decide(&policy(), 7, &tags, &keys, now());
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
            SkipReason::Exempt,
            SkipReason::NoRecipient,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }
}
