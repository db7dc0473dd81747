//! The "deactivated" mail: which key (masked), when, why, and how to
//! restore service. Rendered like the notices (askama, text and HTML, in
//! the owner's language) from `templates/deactivated/<locale>/`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::calendar;
use crate::decision::Policy;
use crate::enforcement::Enforcement;
use crate::model::{DueKey, Locale};

/// What the mail says, ready to lay out.
#[derive(Debug, Clone)]
pub(crate) struct DeactivatedView {
    pub user: String,
    pub account: String,
    /// `AKIA…WXYZ`
    pub masked_id: String,
    pub created_date: String,
    /// `120 days old` (`作成から 120 日`).
    pub age: String,
    pub deadline_date: String,
    /// `30 days overdue` (`30 日超過`).
    pub status: String,
    /// When it was deactivated, in the configured time zone, long form.
    pub at: String,
    /// The date of the first warning the deactivation relied on.
    pub warned: String,
    pub grace_days: u32,
    pub min_warning_days: u32,
    /// The exemption tag's key, when one is configured.
    pub exempt_tag: Option<String>,
    /// Deactivated as unused: for how long (`120 days`).
    pub unused_for: Option<String>,
    /// The unused key was never used.
    pub never_used: bool,
    /// The date of the unused key's last use, or empty.
    pub last_used: String,
    pub unused_key_days: u32,
    /// Retired by rotation: its replacement, whose new key is in use.
    pub replaced: Option<super::ReplacedView>,
    /// The user's console password was removed (not a key).
    pub password: bool,
    pub unused_password_days: u32,
}

/// Everything the view needs beside the key.
pub(crate) struct DeactivatedContext<'a> {
    pub user: &'a str,
    pub account: &'a str,
    pub at: DateTime<Utc>,
    pub warned: Option<NaiveDate>,
    pub enforcement: &'a Enforcement,
    pub policy: &'a Policy,
}

impl DeactivatedView {
    pub(crate) fn new(
        key: &DueKey,
        ctx: &DeactivatedContext<'_>,
        locale: Locale,
    ) -> DeactivatedView {
        DeactivatedView {
            user: ctx.user.to_string(),
            account: ctx.account.to_string(),
            masked_id: key.shown_id(),
            created_date: calendar::iso(key.created_date),
            age: super::age(locale, key.age_days),
            deadline_date: calendar::iso(key.deadline_date),
            status: super::key_status(locale, key.days),
            at: super::long_date(locale, ctx.policy.time_zone, ctx.at),
            warned: ctx.warned.map(calendar::iso).unwrap_or_else(|| "-".into()),
            grace_days: ctx.enforcement.grace_days,
            min_warning_days: ctx.enforcement.min_warning_days,
            exempt_tag: ctx.policy.exempt_tag.clone(),
            unused_for: key
                .unused_period()
                .map(|u| super::unused_for(locale, u.days)),
            never_used: key.unused_period().is_some_and(|u| u.never_used()),
            last_used: key
                .unused_period()
                .and_then(|u| u.last_used.time)
                .map(|t| calendar::date_in(ctx.policy.time_zone, t))
                .unwrap_or_default(),
            unused_key_days: ctx.policy.unused_key_days,
            replaced: key
                .rotation
                .as_ref()
                .filter(|r| r.new_key_used())
                .and_then(|r| super::replaced(r, ctx.policy.time_zone)),
            password: key.is_password(),
            unused_password_days: ctx.policy.unused_password_days,
        }
    }
}

super::localized_mail!(
    DeactivatedView,
    d,
    en: [
        "deactivated/en/subject.txt",
        "deactivated/en/body.txt",
        "deactivated/en/body.html",
    ],
    ja: [
        "deactivated/ja/subject.txt",
        "deactivated/ja/body.txt",
        "deactivated/ja/body.html",
    ],
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::due_keys;
    use crate::enforcement::EnforceMode;
    use crate::model::AccessKey;
    use crate::rendered::Rendered;
    use crate::testkit;
    use chrono::Duration;

    fn rendered(locale: Locale) -> Rendered {
        let deps = testkit::deps_with(true, &[("EXEMPT_TAG", "KeyRotationExempt")]);
        let policy = &deps.config.policy;
        let now = testkit::now();
        let key = AccessKey {
            id: "AKIAIOSFODNN7EXAMPLE".into(),
            active: true,
            created: now - Duration::days(120),
            last_used: None,
        };
        let due = due_keys(policy, &[key], now);
        let enforcement = Enforcement {
            mode: EnforceMode::On,
            grace_days: 7,
            ..Enforcement::off()
        };
        let view = DeactivatedView::new(
            &due[0],
            &DeactivatedContext {
                user: "judy",
                account: "123456789012",
                at: now,
                warned: NaiveDate::from_ymd_opt(2026, 11, 16),
                enforcement: &enforcement,
                policy,
            },
            locale,
        );
        render(&view, locale).unwrap()
    }

    #[test]
    fn the_deactivated_mail_says_which_key_when_why_and_how_to_restore_service() {
        let r = rendered(Locale::En);
        assert_eq!(
            r.subject,
            "[Deactivated] The IAM access key AKIA…MPLE of judy was deactivated (30 days overdue, deadline 2026-10-24)"
        );
        for part in [&r.text, &r.html] {
            for needle in [
                "AKIA…MPLE",
                "123456789012",
                "Monday 23 November 2026, 09:00 UTC",
                "30 days overdue",
                "2026-10-24",
                "2026-11-16",
                "was not deleted",
                "aws iam create-access-key --user-name judy",
                "--status Active",
                "KeyRotationExempt",
                "7 days",
            ] {
                assert!(part.contains(needle), "{needle:?} missing from:\n{part}");
            }
            assert!(!part.contains("AKIAIOSFODNN7EXAMPLE"));
        }
    }

    #[test]
    fn the_japanese_deactivated_mail_reads_in_japanese() {
        let r = rendered(Locale::Ja);
        assert_eq!(
            r.subject,
            "【無効化】IAM ユーザー judy のアクセスキー AKIA…MPLE を無効化しました（期限 2026-10-24、30 日超過）"
        );
        for needle in [
            "2026年11月23日（月）09:00 UTC",
            "削除はしていません",
            "--status Active",
        ] {
            assert!(r.text.contains(needle), "{needle:?}:\n{}", r.text);
            assert!(r.html.contains(needle), "{needle:?}:\n{}", r.html);
        }
    }
}
