//! An account's digest: one mail to `DIGEST_RECIPIENTS` with where every due
//! key of the account stands, the page a security lead reads on Monday.
//!
//! Rendered like the notices (askama, `templates/digest/<locale>/`, text and
//! HTML, in the configured `LOCALE`), from the [`Report`] only: masked key
//! ids, owner-tag problems by reason code.

use crate::calendar::{date_in, iso};
use crate::mask::mask_key_id;
use crate::model::SkipReason;
use crate::model::{KeyRotation, Locale};
use crate::outcome::report::{LastUse, NoticeCode, OwnerTag, PasswordExpiry, Report, ReportKey};
use crate::outcome::sweep::SweepOutcome;

/// A key's row, ready to lay out.
#[derive(Debug, Clone)]
pub(crate) struct RowView {
    pub user: String,
    pub key: String,
    pub deadline: String,
    /// `12 days overdue`, `5 days left` (localised).
    pub status: String,
    /// What this run did: `sent`, `already_notified`, … (localised).
    pub notice: String,
    /// The owner tag's state, when it is not a usable address.
    pub owner_problem: Option<String>,
    /// Enforcement's code for the key (`deactivated`, `held_by_cap`,
    /// `from 2026-12-04`, …); empty when the account does not enforce.
    pub enforcement: String,
    /// The last day of an exempt user's dated exemption, or empty.
    pub exempt_until: String,
    /// The date of the key's last use, `never` (`なし`), or `-` unread.
    pub last_used: String,
    /// Days since the last use, for an unused key (else 0).
    pub unused_days: u32,
    /// IAM says the key was never used.
    pub never_used: bool,
    /// Where rotation stands, in words; empty when the user is not rotated.
    pub rotation: String,
}

/// What the digest says.
#[derive(Debug, Clone)]
pub(crate) struct DigestView {
    pub account: String,
    pub today: String,
    pub time_zone: String,
    pub max_age_days: u32,
    pub dry_run: bool,
    pub users_listed: usize,
    pub keys_listed: usize,
    pub notices_sent: usize,
    pub reminders: usize,
    pub users_failed: usize,
    pub users_not_reached: usize,
    /// The credential report shows an active access key of the root user.
    pub root_key_active: bool,
    /// Messages the team's chat channel did not get (`CHAT_TOPIC_ARN`).
    pub chat_failed: usize,
    /// Security Hub (`SECURITY_HUB`): (findings imported, archived,
    /// refused, why: `ErrorCode ×count`, or the import's error).
    pub security_hub: Option<(usize, usize, usize, String)>,
    pub overdue: Vec<RowView>,
    pub within_tier: Vec<RowView>,
    /// Keys listed as unused, longest unused first.
    pub unused: Vec<RowView>,
    /// The unused-key policy's days (0: off, no section).
    pub unused_key_days: u32,
    pub exempt: Vec<RowView>,
    /// (user, reason code)
    pub owner_problems: Vec<(String, String)>,
    /// (user, error type)
    pub failed: Vec<(String, String)>,
    /// The account enforces the deadline (or a dry run of it).
    pub enforced: bool,
    /// Keys this sweep deactivated (or, in a dry run, would have).
    pub deactivated: Vec<RowView>,
    /// Keys the next run will deactivate.
    pub next_run: Vec<RowView>,
    /// Keys reactivated after their deactivation (until rotated).
    pub reactivated: Vec<RowView>,
    /// Keys held because nobody can be warned.
    pub no_one_to_warn: Vec<RowView>,
    /// Exemptions that end within 14 days.
    pub expiring: Vec<RowView>,
    /// Exemption list entries that name no user of the account, as
    /// written (the section is shown only when there are some).
    pub unmatched_entries: Vec<String>,
    /// The account rotates machine users' keys (`ROTATE`, or a dry run).
    pub rotates: bool,
    /// Keys replaced, blocked, failed in this run.
    pub rotated: usize,
    pub rotations_blocked: usize,
    pub rotations_failed: usize,
    /// Rotation's keys in every state but a replacement in use.
    pub rotation: Vec<RowView>,
    /// Console passwords' expiry is told (`PASSWORD_NOTICE_DAYS`): the
    /// section is shown, or why it cannot be.
    pub password_expiry: PasswordExpiry,
    /// Console passwords within an expiry tier, earliest first.
    pub passwords_expiring: Vec<RowView>,
    /// The unused-password policy's days (0: off, no section).
    pub unused_password_days: u32,
    /// Console passwords listed as unused, longest unused first.
    pub passwords_unused: Vec<RowView>,
}

impl DigestView {
    pub(crate) fn new(report: &Report, outcome: &SweepOutcome, locale: Locale) -> DigestView {
        let tz = report.tz();
        let rows = |keys: &[ReportKey]| keys.iter().map(|k| row(k, locale, tz)).collect();
        let rotation = outcome.rotation.as_ref();
        DigestView {
            account: report.account.clone(),
            today: iso(report.today),
            time_zone: report.time_zone.clone(),
            max_age_days: report.max_key_age_days,
            dry_run: outcome.dry_run,
            users_listed: outcome.users.listed,
            keys_listed: outcome.keys,
            notices_sent: outcome.notices.sent + outcome.notices.dry_run,
            reminders: outcome.notices.reminders,
            users_failed: outcome.users.failed,
            users_not_reached: outcome.users.not_reached,
            root_key_active: outcome.root_access_key_active,
            chat_failed: outcome.chat.as_ref().map_or(0, |c| c.failed),
            security_hub: outcome.security_hub.as_ref().map(|h| {
                let mut why: Vec<String> = h
                    .failures
                    .iter()
                    .map(|(code, n)| format!("{code} ×{n}"))
                    .collect();
                why.extend(h.error.clone());
                (h.imported, h.archived, h.failed, why.join(", "))
            }),
            overdue: rows(&report.overdue),
            within_tier: rows(&report.within_tier),
            unused: rows(&report.unused),
            unused_key_days: report.unused_key_days,
            exempt: rows(&report.exempt),
            owner_problems: report
                .owner_problems
                .iter()
                .map(|p| (p.user.clone(), p.reason.to_string()))
                .collect(),
            failed: report
                .failed
                .iter()
                .map(|f| (f.user.clone(), f.error_type.clone()))
                .collect(),
            enforced: outcome.enforcement.is_some(),
            deactivated: rows(&report.deactivated),
            next_run: rows(&report.next_run),
            reactivated: rows(&report.reactivated),
            no_one_to_warn: rows(&report.no_one_to_warn),
            expiring: rows(&report.exemptions_expiring),
            unmatched_entries: report.exempt_entries_unmatched.clone(),
            rotates: rotation.is_some(),
            rotated: rotation.map_or(0, |r| r.rotated + r.would_rotate),
            rotations_blocked: rotation.map_or(0, |r| r.blocked),
            rotations_failed: rotation.map_or(0, |r| r.failed),
            rotation: rows(&report.rotation),
            password_expiry: report.password_expiry,
            passwords_expiring: rows(&report.passwords_expiring),
            unused_password_days: report.unused_password_days,
            passwords_unused: rows(&report.passwords_unused),
        }
    }
}

impl DigestView {
    /// The users the sweep read: listed, less those it did not reach.
    pub(crate) fn users_reached(&self) -> usize {
        self.users_listed.saturating_sub(self.users_not_reached)
    }

    /// Console passwords' expiry was asked for (`PASSWORD_NOTICE_DAYS`).
    pub(crate) fn tells_password_expiry(&self) -> bool {
        self.password_expiry != PasswordExpiry::Off
    }

    /// The account's policy lets no console password expire.
    pub(crate) fn no_password_expiry(&self) -> bool {
        matches!(
            self.password_expiry,
            PasswordExpiry::NoPasswordPolicy | PasswordExpiry::NoMaxPasswordAge
        )
    }

    /// The account's policy locks an expired password until an
    /// administrator resets it (`HardExpiry`).
    pub(crate) fn hard_expiry(&self) -> bool {
        matches!(
            self.password_expiry,
            PasswordExpiry::Told {
                hard_expiry: true,
                ..
            }
        )
    }
}

fn row(k: &ReportKey, locale: Locale, tz: chrono_tz::Tz) -> RowView {
    RowView {
        user: k.user.clone(),
        key: k.access_key_id.clone(),
        deadline: iso(k.deadline),
        status: super::key_status(locale, k.days),
        notice: notice_words(locale, k.notice),
        owner_problem: (k.owner != OwnerTag::Used).then(|| k.owner.code().to_string()),
        enforcement: k.enforcement.map(|e| e.code()).unwrap_or_default(),
        exempt_until: k.exempt_until.map(iso).unwrap_or_default(),
        last_used: match (locale, k.last_used) {
            (_, LastUse::Unread) => "-".to_string(),
            (Locale::Ja, LastUse::Never) => "なし".to_string(),
            (_, used) => used.code(),
        },
        unused_days: k.unused_days.unwrap_or(0),
        never_used: k.last_used == LastUse::Never,
        rotation: k
            .rotation
            .as_ref()
            .map(|r| rotation_words(locale, r, tz))
            .unwrap_or_default(),
    }
}

/// Where a key stands with rotation, in words: the new key masked, the
/// secret by name, never its value.
fn rotation_words(locale: Locale, rotation: &KeyRotation, tz: chrono_tz::Tz) -> String {
    let by = rotation.replacement().map(|r| {
        (
            mask_key_id(&r.new_key_id),
            date_in(tz, r.new_key_created),
            r.secret_name.clone(),
        )
    });
    let (new_key, on, secret) = by.unwrap_or_default();
    match (locale, rotation) {
        (Locale::En, KeyRotation::Rotated(_)) => {
            format!("replaced today by {new_key} (secret {secret})")
        }
        (Locale::En, KeyRotation::WouldRotate) => "would be replaced (dry run)".into(),
        (Locale::En, KeyRotation::Blocked { .. }) => "not replaced: the user holds two keys".into(),
        (Locale::En, KeyRotation::Failed) => {
            "replacement failed: the new key was deactivated".into()
        }
        (Locale::En, KeyRotation::Replaced { .. }) => {
            format!("replaced {on} by {new_key}, which is not used yet: this key stays active")
        }
        (Locale::En, KeyRotation::NewKeyGone(_)) => {
            format!("replaced {on}, but {new_key} was deleted or deactivated since")
        }
        (Locale::En, KeyRotation::LeftAlone) => "being replaced by another run".into(),
        (Locale::Ja, KeyRotation::Rotated(_)) => {
            format!("本日 {new_key} に置き換え（シークレット {secret}）")
        }
        (Locale::Ja, KeyRotation::WouldRotate) => "置き換え予定（ドライラン）".into(),
        (Locale::Ja, KeyRotation::Blocked { .. }) => {
            "置き換えなし：キーがすでに 2 つあります".into()
        }
        (Locale::Ja, KeyRotation::Failed) => "置き換え失敗：新しいキーは無効化しました".into(),
        (Locale::Ja, KeyRotation::Replaced { .. }) => {
            format!("{on} に {new_key} に置き換え済み、新しいキーは未使用：このキーは有効のまま")
        }
        (Locale::Ja, KeyRotation::NewKeyGone(_)) => {
            format!("{on} に置き換え済み、ただし {new_key} はその後削除または無効化")
        }
        (Locale::Ja, KeyRotation::LeftAlone) => "別の実行が置き換え中".into(),
    }
}

/// The notice column in words.
fn notice_words(locale: Locale, notice: NoticeCode) -> String {
    let words = match (locale, notice) {
        (Locale::En, NoticeCode::Sent) => "mailed today",
        (Locale::En, NoticeCode::DryRun) => "would be mailed (dry run)",
        (Locale::En, NoticeCode::Skipped(SkipReason::AlreadyNotified)) => "owner already told",
        (Locale::En, NoticeCode::Skipped(SkipReason::NoRecipient)) => "nobody to mail",
        (Locale::En, NoticeCode::Skipped(SkipReason::Exempt)) => "exempt",
        (Locale::En, NoticeCode::Failed) => "mail failed",
        (Locale::Ja, NoticeCode::Sent) => "本日通知",
        (Locale::Ja, NoticeCode::DryRun) => "通知予定（ドライラン）",
        (Locale::Ja, NoticeCode::Skipped(SkipReason::AlreadyNotified)) => "通知済み",
        (Locale::Ja, NoticeCode::Skipped(SkipReason::NoRecipient)) => "宛先なし",
        (Locale::Ja, NoticeCode::Skipped(SkipReason::Exempt)) => "適用除外",
        (Locale::Ja, NoticeCode::Failed) => "送信失敗",
        (_, other) => other.code(),
    };
    words.to_string()
}

super::localized_mail!(
    DigestView,
    d,
    en: ["digest/en/subject.txt", "digest/en/body.txt", "digest/en/body.html"],
    ja: ["digest/ja/subject.txt", "digest/ja/body.txt", "digest/ja/body.html"],
);
