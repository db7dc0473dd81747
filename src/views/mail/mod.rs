//! The mail views: each kind of mail is a view (a struct of values already
//! masked, bounded and formatted for the locale) and six askama templates
//! in `templates/` (subject, text and HTML, in English and Japanese),
//! compiled into the binary. HTML templates escape every value; text
//! templates don't need to. The templates only lay the values out.
//!
//! - [`notice`]: the owner's notice of due keys;
//! - [`deactivated`]: the owner's mail about a key enforcement deactivated;
//! - [`digest`]: an account's digest, the security team's page;
//! - [`org_digest`]: the Organization's digest, every account on one page.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use crate::calendar::date_in;
use crate::mask::{bounded, mask_key_id};
use crate::model::{DaysLeft, KeyRotation, Locale};

pub(crate) mod deactivated;
pub(crate) mod digest;
pub(crate) mod notice;
pub(crate) mod org_digest;

pub(crate) use crate::rendered::Rendered;

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
pub(crate) fn when(locale: Locale, d: DaysLeft) -> String {
    match (locale, d.remaining()) {
        (Locale::En, 0) => "today".to_string(),
        (Locale::En, n) => format!("within {}", days_en(n)),
        (Locale::Ja, 0) => "は本日".to_string(),
        (Locale::Ja, n) => format!("まであと {n} 日"),
    }
}

pub(crate) fn overdue_by(locale: Locale, d: DaysLeft) -> String {
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

/// How long a key has gone unused: `120 days` (`120 日`).
pub(crate) fn unused_for(locale: Locale, days: u32) -> String {
    match locale {
        Locale::En => days_en(days),
        Locale::Ja => format!("{days} 日"),
    }
}

/// A key's replacement, as the card shows it: never the secret.
#[derive(Debug, Clone)]
pub(crate) struct ReplacedView {
    /// `AKIA…WXYZ`
    pub new_key: String,
    /// The date the new key was created.
    pub on: String,
    pub secret_name: String,
    pub secret_arn: String,
    /// `aws secretsmanager get-secret-value --secret-id …`
    pub command: String,
    /// The new key has been used since it was created.
    pub in_use: bool,
    /// The new key was deleted or deactivated since.
    pub gone: bool,
}

/// The card's view of a replaced key; `None` for a key not replaced.
pub(crate) fn replaced(rotation: &KeyRotation, tz: Tz) -> Option<ReplacedView> {
    let r = rotation.replacement()?;
    Some(ReplacedView {
        new_key: mask_key_id(&r.new_key_id),
        on: date_in(tz, r.new_key_created),
        // Names this program made and Secrets Manager answered: bounded
        // all the same.
        secret_name: bounded(&r.secret_name, 600),
        secret_arn: bounded(&r.secret_arn, 700),
        command: secret_command(&bounded(&r.secret_arn, 700)),
        in_use: rotation.new_key_used(),
        gone: matches!(rotation, KeyRotation::NewKeyGone(_)),
    })
}

/// The one command that reads a rotated key's secret (the secret's region
/// is in its ARN: `arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME`).
pub(crate) fn secret_command(arn: &str) -> String {
    let region = arn.split(':').nth(3).filter(|r| !r.is_empty());
    let region = region.map(|r| format!(" --region {r}")).unwrap_or_default();
    format!(
        "aws secretsmanager get-secret-value --secret-id {arn}{region} --query SecretString --output text"
    )
}

pub(crate) fn age(locale: Locale, days: u32) -> String {
    match locale {
        Locale::En => format!("{} old", days_en(days)),
        Locale::Ja => format!("作成から {days} 日"),
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
            pub(super) struct EnSubject<'a> {
                pub(super) $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $en_text)]
            pub(super) struct EnText<'a> {
                pub(super) $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $en_html)]
            pub(super) struct EnHtml<'a> {
                pub(super) $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_subject)]
            pub(super) struct JaSubject<'a> {
                pub(super) $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_text)]
            pub(super) struct JaText<'a> {
                pub(super) $var: &'a $view,
            }
            #[derive(Template)]
            #[template(path = $ja_html)]
            pub(super) struct JaHtml<'a> {
                pub(super) $var: &'a $view,
            }
        }

        /// Renders subject, text and HTML in `locale`.
        pub(crate) fn render(
            view: &$view,
            locale: $crate::model::Locale,
        ) -> Result<$crate::rendered::Rendered, askama::Error> {
            use askama::Template;
            use parts::*;
            let $var = view;
            let (subject, text, html) = match locale {
                $crate::model::Locale::En => (
                    EnSubject { $var }.render()?,
                    EnText { $var }.render()?,
                    EnHtml { $var }.render()?,
                ),
                $crate::model::Locale::Ja => (
                    JaSubject { $var }.render()?,
                    JaText { $var }.render()?,
                    JaHtml { $var }.render()?,
                ),
            };
            Ok($crate::rendered::Rendered::finish(&subject, &text, &html))
        }
    };
}
pub(crate) use localized_mail;
