//! Rendering a notice into a subject, a text body and an HTML body.
//!
//! The templates live in `templates/<locale>/`, one file per part, compiled
//! into the binary by askama. HTML templates escape every value; text
//! templates don't need to. All values are prepared here, already masked and
//! formatted for the locale, so the templates only lay them out.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::decision::{DaysLeft, Locale, Notice, Stage};
use crate::directory::LastUsed;
use crate::mask::{QUOTE_LIMIT, bounded, mask_key_id, mask_key_ids};

/// What a notice says, ready to lay out.
#[derive(Debug, Clone)]
pub struct NoticeView {
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
    pub time_zone: String,
    pub keys: Vec<KeyView>,
    /// A key is at enforcement's `final_warning` stage.
    pub final_warning: bool,
    /// The account enforces the deadline: each key says from when it may
    /// be deactivated.
    pub enforced: bool,
}

#[derive(Debug, Clone)]
pub struct KeyView {
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
}

#[derive(Debug, Clone)]
pub struct LastUsedView {
    pub date: String,
    pub service: String,
    pub region: String,
}

/// A rendered notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// What sent a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via<'a> {
    /// The Config event of this rule, of this tier.
    Rule { name: &'a str, tier_days: u32 },
    /// The daily sweep.
    Sweep,
}

/// Everything the view needs that is not in the [`Notice`].
pub struct Context<'a> {
    pub user: &'a str,
    pub account: &'a str,
    pub via: Via<'a>,
    pub max_age_days: u32,
    /// Days between overdue reminders (0: none).
    pub reminder_every: u32,
    pub time_zone: Tz,
    /// Last use of each due key, in the order of `notice.keys`.
    pub last_used: &'a [LastUsed],
}

/// An instant as a date in `tz`, the form outcomes and mail print.
pub fn date_in(tz: Tz, t: DateTime<Utc>) -> String {
    iso(t.with_timezone(&tz).date_naive())
}

/// `2026-12-01`.
pub fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn long_date(locale: Locale, tz: Tz, t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&tz);
    match locale {
        Locale::En => local.format("%A %-d %B %Y, %H:%M %Z").to_string(),
        Locale::Ja => {
            const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
            let weekday = WEEKDAYS[local.weekday().num_days_from_monday() as usize];
            format!(
                "{}年{}月{}日（{}）{}",
                local.year(),
                local.month(),
                local.day(),
                weekday,
                local.format("%H:%M %Z")
            )
        }
    }
}

/// `1 day`, `7 days`.
fn days_en(n: u32) -> String {
    if n == 1 {
        "1 day".to_string()
    } else {
        format!("{n} days")
    }
}

/// How soon a key that is not overdue must be rotated.
fn when(locale: Locale, d: DaysLeft) -> String {
    match (locale, d.remaining()) {
        (Locale::En, 0) => "today".to_string(),
        (Locale::En, n) => format!("within {}", days_en(n)),
        (Locale::Ja, 0) => "は本日".to_string(),
        (Locale::Ja, n) => format!("まであと {n} 日"),
    }
}

fn overdue_by(locale: Locale, d: DaysLeft) -> String {
    match locale {
        Locale::En => format!("{} overdue", days_en(d.overdue())),
        Locale::Ja => format!("{} 日超過", d.overdue()),
    }
}

/// One key's days, for its row.
pub(crate) fn key_status(locale: Locale, d: DaysLeft) -> String {
    if d.is_overdue() {
        return overdue_by(locale, d);
    }
    match (locale, d.remaining()) {
        (Locale::En, 0) => "due today".to_string(),
        (Locale::En, n) => format!("{} left", days_en(n)),
        (Locale::Ja, 0) => "本日期限".to_string(),
        (Locale::Ja, n) => format!("あと {n} 日"),
    }
}

pub(crate) fn age(locale: Locale, days: u32) -> String {
    match locale {
        Locale::En => format!("{} old", days_en(days)),
        Locale::Ja => format!("作成から {days} 日"),
    }
}

/// A value IAM reports, as the mail shows it: `-` when unknown.
fn outside(value: Option<&str>) -> String {
    value.map_or_else(|| "-".into(), |v| bounded(v, QUOTE_LIMIT))
}

impl NoticeView {
    pub fn new(notice: &Notice, ctx: &Context<'_>) -> NoticeView {
        let (tz, locale) = (ctx.time_zone, notice.locale);
        let keys = notice
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyView {
                masked_id: mask_key_id(&k.id),
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
            })
            .collect();
        let lead = notice.lead();
        let (rule, tier_days) = match ctx.via {
            Via::Rule { name, tier_days } => (Some(name.to_string()), tier_days),
            Via::Sweep => (None, 0),
        };
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
            time_zone: tz.name().to_string(),
            final_warning: notice.keys.iter().any(|k| k.stage == Stage::FinalWarning),
            enforced: notice.keys.iter().any(|k| k.deactivation_from.is_some()),
            keys,
        }
    }
}

/// The six askama templates of one kind of mail (subject, text and HTML,
/// in English and Japanese) over one view, bound to the template variable
/// `$var`, and `render`, which lays the view out in a locale and finishes
/// the parts ([`Rendered::finish`]). The notice, the digest and the
/// deactivated mail are all written this way.
macro_rules! localized_mail {
    (
        $view:ty, $var:ident,
        en: [$en_subject:literal, $en_text:literal, $en_html:literal $(,)?],
        ja: [$ja_subject:literal, $ja_text:literal, $ja_html:literal $(,)?] $(,)?
    ) => {
        mod parts {
            use super::*;
            use askama::Template;

            #[derive(Template)]
            #[template(path = $en_subject)]
            pub struct EnSubject<'a> {
                pub $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $en_text)]
            pub struct EnText<'a> {
                pub $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $en_html)]
            pub struct EnHtml<'a> {
                pub $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_subject)]
            pub struct JaSubject<'a> {
                pub $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_text)]
            pub struct JaText<'a> {
                pub $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_html)]
            pub struct JaHtml<'a> {
                pub $var: &'a $view,
            }
        }

        /// Renders subject, text and HTML in `locale`.
        pub fn render(
            view: &$view,
            locale: $crate::decision::Locale,
        ) -> Result<$crate::mail::Rendered, askama::Error> {
            use askama::Template;
            use parts::*;
            let $var = view;
            let (subject, text, html) = match locale {
                $crate::decision::Locale::En => (
                    EnSubject { $var }.render()?,
                    EnText { $var }.render()?,
                    EnHtml { $var }.render()?,
                ),
                $crate::decision::Locale::Ja => (
                    JaSubject { $var }.render()?,
                    JaText { $var }.render()?,
                    JaHtml { $var }.render()?,
                ),
            };
            Ok($crate::mail::Rendered::finish(&subject, &text, &html))
        }
    };
}
pub(crate) use localized_mail;

localized_mail!(
    NoticeView,
    n,
    en: ["en/subject.txt", "en/body.txt", "en/body.html"],
    ja: ["ja/subject.txt", "ja/body.txt", "ja/body.html"],
);

impl Rendered {
    /// The three rendered parts as they leave the process, for notices and
    /// the digest alike: a subject is one line, whatever a template or a
    /// value contains, and no key id leaves unmasked, whichever value from
    /// outside carried it.
    pub(crate) fn finish(subject: &str, text: &str, html: &str) -> Rendered {
        let subject = subject.split_whitespace().collect::<Vec<_>>().join(" ");
        Rendered {
            subject: mask_key_ids(&subject),
            text: mask_key_ids(text),
            html: mask_key_ids(html),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::{AccessKey, Mode, Policy, Tag, decide};
    use chrono::{Duration, TimeZone};

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
            })
            .collect();
        let tags = [Tag {
            key: "Email".into(),
            value: "alice@example.com".into(),
        }];
        decide(&policy, Mode::Ledger, &tags, false, &keys, now())
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
                via: Via::Rule {
                    name: "access-keys-rotated-1",
                    tier_days: 7,
                },
                max_age_days: 90,
                reminder_every: 7,
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
            via: Via::Rule {
                name: "access-keys-rotated-1",
                tier_days: 7,
            },
            max_age_days: 90,
            reminder_every: 7,
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
