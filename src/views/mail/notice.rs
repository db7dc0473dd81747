//! The owner's notice: every due or unused key of one user, each with its
//! reason (the deadline and days, or how long it has gone unused), stage
//! and last use, and what to do.

use chrono_tz::Tz;

use super::{ReplacedView, age, key_status, long_date, overdue_by, replaced, unused_for, when};
use crate::calendar::{date_in, iso};
use crate::mask::{QUOTE_LIMIT, bounded, mask_key_id};
use crate::model::{Credential, DueKey, KeyRotation, LastUsed, Notice, Stage, Trigger};

/// What a notice says, ready to lay out.
#[derive(Debug, Clone)]
pub(crate) struct NoticeView {
    pub user: String,
    pub account: String,
    /// The Config rule whose event sent the notice; `None` for the sweep.
    pub rule: Option<String>,
    /// The rule's tier (0 for the sweep).
    pub tier_days: u32,
    pub max_age_days: u32,
    /// The first key is past its deadline.
    pub overdue: bool,
    /// The first key's stage is a reminder after the first overdue notice.
    pub reminder: bool,
    /// Days between overdue reminders (0: none).
    pub reminder_every: u32,
    /// Not overdue: `within 7 days`, `within 1 day`, `today`
    /// (`まであと 7 日`, `は本日`).
    pub when: String,
    /// Overdue: `5 days overdue`, `1 day overdue` (`5 日超過`).
    pub overdue_by: String,
    /// `2026-12-01`, in the configured time zone.
    pub deadline_date: String,
    /// `Tuesday 1 December 2026, 12:34 JST` or `2026年12月1日（火）12:34 JST`.
    pub deadline_long: String,
    /// The date the days are counted from.
    pub today: String,
    pub keys: Vec<KeyView>,
    /// A key is at enforcement's `final_warning` stage.
    pub final_warning: bool,
    /// The account enforces the deadline: each key says from when it may
    /// be deactivated.
    pub enforced: bool,
    /// No key is due for rotation: every listed key is unused.
    pub unused_only: bool,
    /// Keys due for rotation and keys listed as unused, both.
    pub lists_unused: bool,
    /// How long the first unused key has gone unused (`120 days`).
    pub unused_for: String,
    /// The first unused key was never used.
    pub never_used: bool,
    /// Days without use after which a key counts as unused (0: off).
    pub unused_key_days: u32,
    /// The notice was sent for an `iam-user-unused-credentials-check` rule.
    pub unused_rule: bool,
    /// The notice was sent for an IAM Access Analyzer unused-access
    /// finding (its type is `rule`).
    pub access_analyzer: bool,
    /// A key was replaced in this run or before and the owner was not
    /// told yet (stage `rotated`): the notice announces the replacement.
    pub rotated: bool,
    /// A key could not be replaced while the user has two (stage
    /// `rotation_blocked`).
    pub blocked: bool,
    /// Every listed entry is the console password (no key).
    pub password_only: bool,
    /// The console password is listed.
    pub has_password: bool,
    /// The listed password is listed for its unused period (else for its
    /// expiry).
    pub password_unused: bool,
    /// The listed password's expiry: its date, `within 7 days` (`まであと 7
    /// 日`), and whether it locks its owner out.
    pub password_expires: String,
    pub password_when: String,
    pub hard_expiry: bool,
    /// The command that reads the new key of the first replaced key whose
    /// new key is there: the steps say how to switch to it.
    pub secret_command: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyView {
    /// `AKIA…WXYZ`
    pub masked_id: String,
    pub created_date: String,
    /// `83 days old` (`作成から 83 日`).
    pub age: String,
    pub deadline_date: String,
    /// `7 days left`, `due today`, `5 days overdue` (`あと 7 日`, `本日期限`, `5 日超過`).
    pub status: String,
    /// `None` when the key has never been used.
    pub last_used: Option<LastUsedView>,
    /// The earliest date enforcement may deactivate the key (`2026-12-04`).
    pub deactivation_from: Option<String>,
    /// Listed for rotation (its deadline and status apply); otherwise
    /// listed because it is unused.
    pub rotation: bool,
    /// Listed for rotation and past its deadline.
    pub overdue: bool,
    /// How long it has gone unused, when it is unused (`120 days`).
    pub unused_for: Option<String>,
    /// Replaced by rotation: the new key and where its secret is.
    pub replaced: Option<ReplacedView>,
    /// Not replaced, the user having two keys: the other one, masked.
    pub blocked_by: Option<String>,
    /// The user's console password, not a key: what its card says.
    pub password: Option<PasswordView>,
}

/// A console password's card.
#[derive(Debug, Clone)]
pub(crate) struct PasswordView {
    /// When it was last set (`2026-08-20`).
    pub changed: String,
    /// When it expires, where the account's policy dates it.
    pub expires: Option<String>,
    /// `14 days left` (`あと 14 日`), beside `expires`.
    pub expires_status: String,
    /// An expired password locks its owner out (`HardExpiry`).
    pub hard: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct LastUsedView {
    pub date: String,
    pub service: String,
    pub region: String,
}

/// Everything the view needs that is not in the [`Notice`].
pub(crate) struct Context<'a> {
    pub user: &'a str,
    pub account: &'a str,
    pub trigger: Trigger<'a>,
    pub max_age_days: u32,
    /// Days between overdue reminders (0: none).
    pub reminder_every: u32,
    /// Days without use after which a key counts as unused (0: off).
    pub unused_key_days: u32,
    pub time_zone: Tz,
    /// Last use of each due key, in the order of `notice.keys`.
    pub last_used: &'a [LastUsed],
}

/// A value IAM reports, as the mail shows it: `-` when unknown.
fn outside(value: Option<&str>) -> String {
    value.map_or_else(|| "-".into(), |v| bounded(v, QUOTE_LIMIT))
}

impl NoticeView {
    pub(crate) fn new(notice: &Notice, ctx: &Context<'_>) -> NoticeView {
        let (tz, locale) = (ctx.time_zone, notice.locale);
        let keys = notice
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyView {
                masked_id: k.shown_id(),
                created_date: iso(k.created_date),
                age: age(locale, k.age_days),
                deadline_date: iso(k.deadline_date),
                status: key_status(locale, k.days),
                last_used: ctx.last_used.get(i).and_then(|u| {
                    u.time.map(|t| LastUsedView {
                        date: date_in(tz, t),
                        // IAM's words, not ours: bounded and masked too.
                        service: outside(u.service.as_deref()),
                        region: outside(u.region.as_deref()),
                    })
                }),
                deactivation_from: k.deactivation_from.map(iso),
                rotation: !k.listed_unused(),
                overdue: !k.listed_unused() && k.days.is_overdue(),
                unused_for: k.unused.as_ref().map(|u| unused_for(locale, u.days)),
                replaced: k.rotation.as_ref().and_then(|r| replaced(r, tz)),
                blocked_by: match &k.rotation {
                    Some(KeyRotation::Blocked { other_key_id }) => Some(mask_key_id(other_key_id)),
                    _ => None,
                },
                password: match &k.credential {
                    Credential::ConsolePassword(facts) => Some(PasswordView {
                        changed: iso(k.created_date),
                        expires: facts.expiry.map(|e| iso(e.date)),
                        expires_status: facts
                            .expiry
                            .map(|e| key_status(locale, e.days))
                            .unwrap_or_default(),
                        hard: facts.expiry.is_some_and(|e| e.hard),
                    }),
                    Credential::AccessKey => None,
                },
            })
            .collect::<Vec<KeyView>>();
        // The keys' words come from the keys; the password's from its own.
        let access_keys: Vec<&DueKey> = notice.keys.iter().filter(|k| !k.is_password()).collect();
        let password = notice.keys.iter().find(|k| k.is_password());
        let expiry = password.and_then(|p| match &p.credential {
            Credential::ConsolePassword(facts) => facts.expiry,
            Credential::AccessKey => None,
        });
        let lead = access_keys.first().copied().unwrap_or(notice.lead());
        let first_unused = access_keys
            .iter()
            .find_map(|k| k.unused.as_ref())
            .or(password.and_then(|p| p.unused.as_ref()));
        let rule = ctx.trigger.rule().map(str::to_string);
        let tier_days = ctx.trigger.tier_days().unwrap_or(0);
        NoticeView {
            user: ctx.user.to_string(),
            account: ctx.account.to_string(),
            rule,
            tier_days,
            max_age_days: ctx.max_age_days,
            overdue: lead.days.is_overdue(),
            reminder: lead.stage.is_reminder(),
            reminder_every: ctx.reminder_every,
            when: when(locale, lead.days),
            overdue_by: overdue_by(locale, lead.days),
            deadline_date: iso(lead.deadline_date),
            deadline_long: long_date(locale, tz, lead.deadline),
            today: iso(notice.today),
            final_warning: notice.keys.iter().any(|k| {
                matches!(
                    k.stage,
                    Stage::FinalWarning | Stage::PasswordFinalWarning(_)
                )
            }),
            enforced: notice.keys.iter().any(|k| k.deactivation_from.is_some()),
            unused_only: !access_keys.is_empty() && access_keys.iter().all(|k| k.listed_unused()),
            lists_unused: access_keys.iter().any(|k| k.listed_unused())
                && access_keys.iter().any(|k| !k.listed_unused()),
            password_only: access_keys.is_empty(),
            has_password: password.is_some(),
            password_unused: password.is_some_and(|p| p.listed_unused()),
            password_expires: expiry.map(|e| iso(e.date)).unwrap_or_default(),
            password_when: expiry.map(|e| when(locale, e.days)).unwrap_or_default(),
            hard_expiry: expiry.is_some_and(|e| e.hard),
            unused_for: first_unused.map_or_else(String::new, |u| unused_for(locale, u.days)),
            never_used: first_unused.is_some_and(|u| u.never_used()),
            unused_key_days: ctx.unused_key_days,
            unused_rule: ctx.trigger.is_unused(),
            access_analyzer: matches!(ctx.trigger, Trigger::AccessAnalyzer { .. }),
            rotated: notice.keys.iter().any(|k| k.stage == Stage::Rotated),
            blocked: notice
                .keys
                .iter()
                .any(|k| k.stage == Stage::RotationBlocked),
            secret_command: keys
                .iter()
                .filter_map(|k| k.replaced.as_ref())
                .find(|r| !r.gone)
                .map(|r| r.command.clone()),
            keys,
        }
    }
}

super::localized_mail!(
    NoticeView,
    n,
    en: ["en/subject.txt", "en/body.txt", "en/body.html"],
    ja: ["ja/subject.txt", "ja/body.txt", "ja/body.html"],
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{Mode, Policy, decide, due_keys};
    use crate::model::{AccessKey, KeyRotation, Locale, Tag};
    use crate::rendered::Rendered;
    use chrono::{DateTime, Duration, TimeZone, Utc};

    /// Tuesday 2026-11-24, 03:00 UTC (12:00 in Tokyo).
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap()
    }

    /// The notice `decide` gives for keys of these ages, in `tz`.
    fn notice(ages: &[i64], locale: Locale, tz: Tz) -> Notice {
        // The default policy, in this language and time zone.
        let config = crate::config::Config::from_lookup(|k| {
            (k == "SENDER_ADDRESS").then(|| "key-notices@example.com".to_string())
        })
        .unwrap();
        let policy = Policy {
            default_locale: locale,
            time_zone: tz,
            ..config.policy
        };
        let keys: Vec<AccessKey> = ages
            .iter()
            .enumerate()
            .map(|(i, age)| AccessKey {
                id: format!("AKIAIOSFODNN7EXAMPL{i}"),
                active: true,
                created: now() - Duration::days(*age),
                last_used: None,
            })
            .collect();
        let tags = [Tag {
            key: "Email".into(),
            value: "alice@example.com".into(),
        }];
        let due = due_keys(&policy, &keys, now());
        decide(&policy, Mode::Ledger, &tags, false, due, now())
            .result
            .unwrap()
    }

    fn assert_both_contain(r: &Rendered, needle: &str) {
        assert!(
            r.text.contains(needle),
            "text lacks {needle:?}:\n{}",
            r.text
        );
        assert!(
            r.html.contains(needle),
            "html lacks {needle:?}:\n{}",
            r.html
        );
    }

    fn view(n: &Notice, user: &str, tz: Tz) -> NoticeView {
        let used = [LastUsed {
            time: Some(now() - Duration::days(1)),
            service: Some("s3".into()),
            region: Some("ap-northeast-1".into()),
        }];
        NoticeView::new(
            n,
            &Context {
                user,
                account: "123456789012",
                trigger: Trigger::Rule {
                    name: "access-keys-rotated-1",
                    tier_days: 7,
                },
                max_age_days: 90,
                reminder_every: 7,
                unused_key_days: 0,
                time_zone: tz,
                last_used: &used,
            },
        )
    }

    fn render_one(ages: &[i64], locale: Locale, tz: Tz, user: &str) -> Rendered {
        render(&view(&notice(ages, locale, tz), user, tz), locale).unwrap()
    }

    #[test]
    fn english_notice_carries_every_fact_and_the_rotation_steps() {
        let r = render_one(&[83], Locale::En, Tz::UTC, "alice");
        assert_eq!(
            r.subject,
            "[Action required] Rotate the IAM access key of alice within 7 days (deadline 2026-12-01)"
        );
        for needle in [
            "alice",
            "123456789012",
            "AKIA…MPL0",
            "within 7 days",
            "2026-12-01",
            "today is 2026-11-24",
            "Tuesday 1 December 2026, 03:00 UTC",
            "83 days old",
            "7 days left",
            "90 days",
            "access-keys-rotated-1",
            "2026-11-23 by s3 in ap-northeast-1",
            "create-access-key",
            "update-access-key",
            "delete-access-key",
        ] {
            assert_both_contain(&r, needle);
        }
        assert!(!r.text.contains("AKIAIOSFODNN7EXAMPL0"));
        assert!(!r.html.contains("AKIAIOSFODNN7EXAMPL0"));
    }

    /// The notice of a key at 76 days (the 14-day tier) that rotation
    /// replaced now, or that is blocked, in `locale`.
    fn rotation_notice(locale: Locale, rotation: KeyRotation, stage: Stage) -> Rendered {
        let mut n = notice(&[76], locale, Tz::UTC);
        n.keys[0].rotation = Some(rotation);
        n.keys[0].stage = stage;
        n.keys[0].deactivation_from = chrono::NaiveDate::from_ymd_opt(2026, 12, 9);
        render(&view(&n, "deployer", Tz::UTC), locale).unwrap()
    }

    fn replacement() -> crate::model::Replacement {
        crate::model::Replacement {
            new_key_id: "AKIANEWKEYEXAMPLE777".into(),
            new_key_created: now(),
            secret_name: "access-key-notifier/123456789012/deployer".into(),
            secret_arn: "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/123456789012/deployer-AbCdEf".into(),
        }
    }

    #[test]
    fn a_rotated_notice_names_the_new_key_and_its_secret_and_how_to_read_it_in_both_languages() {
        let command = "aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/123456789012/deployer-AbCdEf --region ap-northeast-1 --query SecretString --output text";
        for (locale, subject, words) in [
            (
                Locale::En,
                "[Rotated] The IAM access key of deployer was replaced; the new key is in Secrets Manager",
                [
                    "replaced on 2026-11-24 by",
                    "the new key has not been used yet",
                    "How to switch to the new key",
                ],
            ),
            (
                Locale::Ja,
                "【ローテーション済み】IAM ユーザー deployer のアクセスキーを新しいキーに置き換えました（新しいキーは Secrets Manager にあります）",
                [
                    "2026-11-24 に",
                    "に置き換え済み",
                    "新しいキーに切り替える手順",
                ],
            ),
        ] {
            let r = rotation_notice(locale, KeyRotation::Rotated(replacement()), Stage::Rotated);
            assert_eq!(r.subject, subject);
            for needle in words.iter().copied().chain([
                "AKIA…MPL0",
                "AKIA…E777",
                "access-key-notifier/123456789012/deployer",
                command,
                "2026-12-09",
            ]) {
                assert_both_contain(&r, needle);
            }
            assert!(
                !r.text.contains("create-access-key"),
                "no manual rotation steps"
            );
        }
    }

    #[test]
    fn a_blocked_notice_asks_to_delete_the_key_not_in_use_in_both_languages() {
        let blocked = KeyRotation::Blocked {
            other_key_id: "AKIAOTHERKEYEXAMPL99".into(),
        };
        for (locale, subject, needle) in [
            (
                Locale::En,
                "[Action required] The IAM access key of deployer could not be rotated: the user holds two keys",
                "this one and",
            ),
            (
                Locale::Ja,
                "【要対応】IAM ユーザー deployer のアクセスキーをローテーションできません（キーがすでに 2 つあります）",
                "の 2 つのキーを持っています",
            ),
        ] {
            let r = rotation_notice(locale, blocked.clone(), Stage::RotationBlocked);
            assert_eq!(r.subject, subject);
            assert_both_contain(&r, needle);
            assert_both_contain(&r, "AKIA…PL99");
            assert_both_contain(&r, "delete-access-key");
        }
    }

    #[test]
    fn japanese_notice_reads_in_japanese_with_the_local_date() {
        let tokyo = chrono_tz::Asia::Tokyo;
        let r = render_one(&[88], Locale::Ja, tokyo, "taro");
        assert_eq!(
            r.subject,
            "【要対応】IAM ユーザー taro のアクセスキーのローテーション期限まであと 2 日（期限 2026-11-26）"
        );
        for needle in [
            "期限まであと 2 日",
            "2026年11月26日（木）12:00 JST",
            "本日は 2026-11-24",
            "AKIA…MPL0",
            "作成から 88 日",
            "90 日",
            "最終使用",
            "aws iam create-access-key --user-name taro",
        ] {
            assert_both_contain(&r, needle);
        }
    }

    #[test]
    fn one_day_is_singular_and_the_deadline_day_says_today() {
        let r = render_one(&[89], Locale::En, Tz::UTC, "alice");
        assert_eq!(
            r.subject,
            "[Action required] Rotate the IAM access key of alice within 1 day (deadline 2026-11-25)"
        );
        assert_both_contain(&r, "1 day left");
        assert!(!r.text.contains("1 days"), "{}", r.text);

        let r = render_one(&[90], Locale::En, Tz::UTC, "alice");
        assert_eq!(
            r.subject,
            "[Action required] Rotate the IAM access key of alice today (deadline 2026-11-24)"
        );
        assert!(r.text.contains("must be rotated today."), "{}", r.text);
        assert!(
            r.html.contains("must be rotated <strong>today</strong>."),
            "{}",
            r.html
        );
        assert_both_contain(&r, "due today");
        assert!(!r.text.contains(" 0 days"), "{}", r.text);

        let r = render_one(&[90], Locale::Ja, Tz::UTC, "taro");
        assert!(
            r.subject.contains("ローテーション期限は本日"),
            "{}",
            r.subject
        );
        assert_both_contain(&r, "本日期限");
    }

    #[test]
    fn an_overdue_notice_counts_whole_days_past_the_deadline_date() {
        for locale in [Locale::En, Locale::Ja] {
            let r = render_one(&[95], locale, Tz::UTC, "dave");
            assert!(!r.text.contains("-5"), "{}", r.text);
            assert!(!r.subject.contains("-5"), "{}", r.subject);
            let overdue = match locale {
                Locale::En => "5 days overdue",
                Locale::Ja => "5 日超過",
            };
            assert_both_contain(&r, overdue);
        }
        let r = render_one(&[95], Locale::En, Tz::UTC, "dave");
        assert_eq!(
            r.subject,
            "[Overdue] The IAM access key of dave passed its rotation deadline (2026-11-19)"
        );
        let r = render_one(&[91], Locale::En, Tz::UTC, "dave");
        assert_both_contain(&r, "1 day overdue");
        assert!(!r.text.contains("0 days overdue"), "{}", r.text);
    }

    #[test]
    fn every_listed_key_has_its_own_row() {
        let r = render_one(&[85, 78], Locale::En, Tz::UTC, "frank");
        assert!(r.subject.contains("within 5 days"), "{}", r.subject);
        for needle in ["AKIA…MPL0", "5 days left", "AKIA…MPL1", "12 days left"] {
            assert_both_contain(&r, needle);
        }
    }

    #[test]
    fn html_escapes_values() {
        let n = notice(&[83], Locale::En, Tz::UTC);
        let mut v = view(&n, "a<b>&\"c", Tz::UTC);
        v.rule = Some("<script>".into());
        let r = render(&v, Locale::En).unwrap();
        assert!(!r.html.contains("<script>"));
        assert!(
            r.html.contains("&#60;script&#62;") || r.html.contains("&lt;script&gt;"),
            "{}",
            r.html
        );
        assert!(!r.html.contains("a<b>"));
    }

    #[test]
    fn a_key_never_used_says_so() {
        let n = notice(&[83], Locale::En, Tz::UTC);
        let mut v = view(&n, "alice", Tz::UTC);
        v.keys[0].last_used = None;
        let r = render(&v, Locale::En).unwrap();
        assert!(r.text.contains("never used"), "{}", r.text);
        let r = render(&v, Locale::Ja).unwrap();
        assert!(r.text.contains("使用履歴なし"), "{}", r.text);
    }

    #[test]
    fn values_from_iam_never_carry_a_key_id_or_a_page_of_text() {
        let n = notice(&[83], Locale::En, Tz::UTC);
        let used = [LastUsed {
            time: Some(now() - Duration::days(1)),
            service: Some("s3-AKIAIOSFODNN7EXAMPLE".into()),
            region: Some("r".repeat(10_000)),
        }];
        let ctx = Context {
            user: "svc-ASIAY34FZKBOKMUTVV7A",
            account: "123456789012",
            trigger: Trigger::Rule {
                name: "access-keys-rotated-1",
                tier_days: 7,
            },
            max_age_days: 90,
            reminder_every: 7,
            unused_key_days: 0,
            time_zone: Tz::UTC,
            last_used: &used,
        };
        for locale in [Locale::En, Locale::Ja] {
            let r = render(&NoticeView::new(&n, &ctx), locale).unwrap();
            for part in [&r.subject, &r.text, &r.html] {
                assert!(!part.contains("AKIAIOSFODNN7EXAMPLE"), "{part}");
                assert!(!part.contains("ASIAY34FZKBOKMUTVV7A"), "{part}");
                assert!(!part.contains(&"r".repeat(65)), "the region is bounded");
            }
            assert_both_contain(&r, "s3-AKIA…MPLE");
            assert_both_contain(&r, "svc-ASIA…VV7A");
        }
    }
}
