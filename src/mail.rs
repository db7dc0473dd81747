//! Rendering a notice into a subject, a text body and an HTML body.
//!
//! The templates live in `templates/<locale>/`, one file per part, compiled
//! into the binary by askama. HTML templates escape every value; text
//! templates don't need to. All values are prepared here, already masked and
//! formatted for the locale, so the templates only lay them out.

use askama::Template;
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::decision::{Locale, Notice};
use crate::directory::LastUsed;
use crate::mask::mask_key_id;

/// What a notice says, ready to lay out.
#[derive(Debug, Clone)]
pub struct NoticeView {
    pub user: String,
    pub account: String,
    pub rule: String,
    pub tier_days: u32,
    pub max_age_days: u32,
    pub overdue: bool,
    pub days_remaining: u32,
    pub days_overdue: u32,
    /// `2026-12-01`, in the configured time zone.
    pub deadline_date: String,
    /// `2026-12-01 12:34 JST` or `2026年12月1日（火）12:34 JST`.
    pub deadline_long: String,
    pub time_zone: String,
    pub keys: Vec<KeyView>,
}

#[derive(Debug, Clone)]
pub struct KeyView {
    /// `AKIA…WXYZ`
    pub masked_id: String,
    pub created_date: String,
    pub age_days: u32,
    pub deadline_date: String,
    pub overdue: bool,
    pub days_remaining: u32,
    pub days_overdue: u32,
    /// `None` when the key has never been used.
    pub last_used: Option<LastUsedView>,
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

/// Everything the view needs that is not in the [`Notice`].
pub struct Context<'a> {
    pub user: &'a str,
    pub account: &'a str,
    pub rule: &'a str,
    pub max_age_days: u32,
    pub time_zone: Tz,
    /// Last use of each due key, in the order of `notice.keys`.
    pub last_used: &'a [LastUsed],
}

/// The deadline as a date in `tz`, the form the outcome carries.
pub fn date_in(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

fn long_date(locale: Locale, tz: Tz, t: DateTime<Utc>) -> String {
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

impl NoticeView {
    pub fn new(notice: &Notice, ctx: &Context<'_>) -> NoticeView {
        let tz = ctx.time_zone;
        let keys = notice
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| KeyView {
                masked_id: mask_key_id(&k.id),
                created_date: date_in(tz, k.created),
                age_days: k.age_days,
                deadline_date: date_in(tz, k.deadline),
                overdue: k.remaining.overdue,
                days_remaining: k.remaining.days_remaining,
                days_overdue: k.remaining.days_overdue,
                last_used: ctx.last_used.get(i).and_then(|u| {
                    u.time.map(|t| LastUsedView {
                        date: date_in(tz, t),
                        service: u.service.clone().unwrap_or_else(|| "-".into()),
                        region: u.region.clone().unwrap_or_else(|| "-".into()),
                    })
                }),
            })
            .collect();
        NoticeView {
            user: ctx.user.to_string(),
            account: ctx.account.to_string(),
            rule: ctx.rule.to_string(),
            tier_days: notice.tier_days,
            max_age_days: ctx.max_age_days,
            overdue: notice.remaining.overdue,
            days_remaining: notice.remaining.days_remaining,
            days_overdue: notice.remaining.days_overdue,
            deadline_date: date_in(tz, notice.deadline),
            deadline_long: long_date(notice.locale, tz, notice.deadline),
            time_zone: tz.name().to_string(),
            keys,
        }
    }
}

macro_rules! part {
    ($name:ident, $path:literal) => {
        #[derive(Template)]
        #[template(path = $path)]
        struct $name<'a> {
            n: &'a NoticeView,
        }
    };
}

part!(EnSubject, "en/subject.txt");
part!(EnText, "en/body.txt");
part!(EnHtml, "en/body.html");
part!(JaSubject, "ja/subject.txt");
part!(JaText, "ja/body.txt");
part!(JaHtml, "ja/body.html");

/// Renders the three parts in `locale`.
pub fn render(view: &NoticeView, locale: Locale) -> Result<Rendered, askama::Error> {
    let n = view;
    let (subject, text, html) = match locale {
        Locale::En => (
            EnSubject { n }.render()?,
            EnText { n }.render()?,
            EnHtml { n }.render()?,
        ),
        Locale::Ja => (
            JaSubject { n }.render()?,
            JaText { n }.render()?,
            JaHtml { n }.render()?,
        ),
    };
    Ok(Rendered {
        // A subject is one line, whatever a template or a value contains.
        subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
        text,
        html,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address;
    use crate::decision::{DueKey, Recipients, Remaining};
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 3, 0, 0).unwrap()
    }

    fn notice(age_days: i64, locale: Locale) -> Notice {
        let created = now() - Duration::days(age_days);
        let deadline = created + Duration::days(90);
        let remaining = Remaining::until(deadline, now());
        Notice {
            tier_days: 7,
            keys: vec![DueKey {
                id: "AKIAIOSFODNN7EXAMPLE".into(),
                created,
                deadline,
                remaining,
                age_days: age_days as u32,
            }],
            deadline,
            remaining,
            recipients: Recipients {
                to: vec![address::parse("alice@example.com").unwrap()],
                cc: vec![],
            },
            locale,
        }
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
                rule: "access-keys-rotated-1",
                max_age_days: 90,
                time_zone: tz,
                last_used: &used,
            },
        )
    }

    #[test]
    fn english_notice_carries_every_fact_and_the_rotation_steps() {
        let n = notice(83, Locale::En);
        let r = render(&view(&n, "alice", Tz::UTC), Locale::En).unwrap();
        assert_eq!(
            r.subject,
            "[Action required] Rotate the IAM access key of alice within 7 days (deadline 2026-12-01)"
        );
        for needle in [
            "alice",
            "123456789012",
            "AKIA…MPLE",
            "7 days",
            "2026-12-01",
            "Tuesday 1 December 2026, 03:00 UTC",
            "83 days old",
            "90 days",
            "access-keys-rotated-1",
            "2026-11-23 by s3 in ap-northeast-1",
            "create-access-key",
            "update-access-key",
            "delete-access-key",
        ] {
            assert_both_contain(&r, needle);
        }
        assert!(!r.text.contains("AKIAIOSFODNN7EXAMPLE"));
        assert!(!r.html.contains("AKIAIOSFODNN7EXAMPLE"));
    }

    #[test]
    fn japanese_notice_reads_in_japanese_with_the_local_date() {
        let n = notice(88, Locale::Ja);
        let r = render(&view(&n, "taro", chrono_tz::Asia::Tokyo), Locale::Ja).unwrap();
        assert_eq!(
            r.subject,
            "【要対応】IAM ユーザー taro のアクセスキーのローテーション期限まであと 2 日（期限 2026-11-26）"
        );
        for needle in [
            "あと 2 日",
            "2026年11月26日（木）12:00 JST",
            "AKIA…MPLE",
            "作成から 88 日",
            "90 日",
            "最終使用",
            "aws iam create-access-key --user-name taro",
        ] {
            assert_both_contain(&r, needle);
        }
    }

    #[test]
    fn an_overdue_notice_never_counts_negative_days() {
        for locale in [Locale::En, Locale::Ja] {
            let n = notice(95, locale);
            let r = render(&view(&n, "dave", Tz::UTC), locale).unwrap();
            assert!(!r.text.contains("-5"), "{}", r.text);
            assert!(!r.subject.contains("-5"), "{}", r.subject);
            let overdue = match locale {
                Locale::En => "5 days overdue",
                Locale::Ja => "5 日超過",
            };
            assert_both_contain(&r, overdue);
        }
        let r = render(&view(&notice(95, Locale::En), "dave", Tz::UTC), Locale::En).unwrap();
        assert_eq!(
            r.subject,
            "[Overdue] The IAM access key of dave passed its rotation deadline (2026-11-19)"
        );
    }

    #[test]
    fn html_escapes_values() {
        let n = notice(83, Locale::En);
        let mut v = view(&n, "a<b>&\"c", Tz::UTC);
        v.rule = "<script>".into();
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
        let n = notice(83, Locale::En);
        let mut v = view(&n, "alice", Tz::UTC);
        v.keys[0].last_used = None;
        let r = render(&v, Locale::En).unwrap();
        assert!(r.text.contains("never used"), "{}", r.text);
        let r = render(&v, Locale::Ja).unwrap();
        assert!(r.text.contains("使用履歴なし"), "{}", r.text);
    }
}
