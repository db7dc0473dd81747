//! The team's chat channel: custom notifications for Amazon Q Developer in
//! chat applications, which delivers an SNS topic's messages to the Slack
//! or Microsoft Teams channels mapped to it, with no webhook secret.
//!
//! Pure: built from the sweep's [`Report`] and [`SweepOutcome`] (the same
//! records the mail digest is built from, so the counts are the digest's),
//! or from the actions of one Config event.
//!
//! The format, as the Amazon Q Developer administrator guide documents it
//! ("Custom notifications", event schema and parameter details):
//! `version` must be `1.0` and `source` must be `custom` (both required);
//! `content.textType` is `client-markdown` (the only one supported), with
//! `title`, `description`, `nextSteps` and `keywords`; `metadata` carries
//! `threadId` (messages with one id are threaded together, where the
//! channel's preferences allow), `summary`, `eventType`,
//! `relatedResources` and `additionalContext` (string values). SNS takes at
//! most 256 KB per message (Amazon SNS quotas).
//!
//! Bounds this module keeps, since the guide's page names no per-field
//! length: a title of at most [`TITLE_MAX`] characters, a description of
//! at most [`DESCRIPTION_MAX`] (Slack's documented limit for one section
//! of text is 3,000), at most [`ITEMS_SHOWN`] keys listed per section with
//! "…and N more" for the rest, at most [`NEXT_STEPS_MAX`] next steps and
//! [`KEYWORDS_MAX`] keywords. A message that would still be over a bound is
//! cut with a visible "…", never sent invalid. Within these bounds a
//! message is a few kilobytes, far below SNS's 256 KB.
//!
//! What it shows: user names and masked key ids, counts, dates; never an
//! owner's address, a tag's value, or anything the digest would not show.
//! User names are set in code spans (IAM names cannot hold a backtick), so
//! no name is read as markdown.
//!
//! In the team's language (`CHAT_LOCALE`, else `LOCALE`: English or
//! Japanese); the bounds count characters, not bytes, and a cut never
//! splits a character.

use serde_json::{Value, json};

use crate::model::{Action, EnforcementState, KeyAction, KeyRotation, Locale};
use crate::outcome::report::{Report, ReportKey};
use crate::outcome::sweep::SweepOutcome;
use crate::views::mail::org_digest::OrganizationView;

pub(crate) const VERSION: &str = "1.0";
/// The `source` every custom notification carries.
pub(crate) const CUSTOM_SOURCE: &str = "custom";
pub(crate) const TEXT_TYPE: &str = "client-markdown";
pub(crate) const TITLE_MAX: usize = 250;
pub(crate) const DESCRIPTION_MAX: usize = 3000;
pub(crate) const SUMMARY_MAX: usize = 250;
pub(crate) const ITEMS_SHOWN: usize = 10;
pub(crate) const NEXT_STEPS_MAX: usize = 5;
pub(crate) const KEYWORDS_MAX: usize = 10;

/// The thread of one account and day: every message of a day's runs for an
/// account shares it, so a channel shows one thread per account and day.
pub(crate) fn thread_id(account: &str, today: &str) -> String {
    format!("access-key-notifier-{account}-{today}")
}

/// The counts of a sweep, as the mail digest shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Counts {
    pub overdue: usize,
    pub due_soon: usize,
    pub unused: usize,
    pub deactivated: usize,
    pub held_by_cap: usize,
    pub exemptions_ending: usize,
    pub owners_without_address: usize,
    pub notices_failed: usize,
}

impl Counts {
    pub(crate) fn of(report: &Report) -> Counts {
        Counts {
            overdue: report.overdue.len(),
            due_soon: report.within_tier.len(),
            unused: report.unused.len(),
            deactivated: report.deactivated.len(),
            held_by_cap: held(report).len(),
            exemptions_ending: report.exemptions_expiring.len(),
            owners_without_address: report.owner_problems.len(),
            notices_failed: report.failed.len(),
        }
    }
}

fn held(report: &Report) -> Vec<&ReportKey> {
    report
        .next_run
        .iter()
        .filter(|k| k.enforcement == Some(EnforcementState::Acted(Action::HeldByCap)))
        .collect()
}

/// The words of `l`: `en` or `ja`.
fn t(l: Locale, en: String, ja: String) -> String {
    match l {
        Locale::En => en,
        Locale::Ja => ja,
    }
}

/// Days overdue, left or unused, in words.
fn days(l: Locale, what: &str, n: u32) -> String {
    match (l, what) {
        (Locale::En, "overdue") => format!("{n} days overdue"),
        (Locale::En, "left") => format!("{n} days left"),
        (Locale::En, _) => format!("unused for {n} days"),
        (Locale::Ja, "overdue") => format!("期限超過 {n} 日"),
        (Locale::Ja, "left") => format!("残り {n} 日"),
        (Locale::Ja, _) => format!("{n} 日間未使用"),
    }
}

/// The summary after a sweep: the counts, the worst keys by name, and what
/// to do, in `l`.
pub(crate) fn summary(report: &Report, outcome: &SweepOutcome, l: Locale) -> Value {
    let c = Counts::of(report);
    let today = report.today.to_string();
    let dry = match (outcome.dry_run, l) {
        (false, _) => "",
        (true, Locale::En) => " (dry run)",
        (true, Locale::Ja) => "（ドライラン）",
    };
    let title = t(
        l,
        format!(
            ":key: Access keys in {} on {}{dry}: {} overdue, {} due soon, {} unused",
            report.account, report.today, c.overdue, c.due_soon, c.unused
        ),
        format!(
            ":key: {} のアクセスキー（{}）{dry}：期限超過 {}、期限間近 {}、未使用 {}",
            report.account, report.today, c.overdue, c.due_soon, c.unused
        ),
    );
    let mut lines = vec![t(
        l,
        format!(
            "*Overdue* {} · *Due soon* {} · *Unused* {} · *Deactivated* {} · *Held by the daily cap* {}",
            c.overdue, c.due_soon, c.unused, c.deactivated, c.held_by_cap
        ),
        format!(
            "*期限超過* {} · *期限間近* {} · *未使用* {} · *無効化* {} · *日次上限で保留* {}",
            c.overdue, c.due_soon, c.unused, c.deactivated, c.held_by_cap
        ),
    )];
    lines.push(t(
        l,
        format!(
            "*Exemptions ending within 14 days* {} · *Owners without an address* {} · *Notices failed* {}",
            c.exemptions_ending, c.owners_without_address, c.notices_failed
        ),
        format!(
            "*14 日以内に終わる適用除外* {} · *宛先のない所有者* {} · *送信失敗* {}",
            c.exemptions_ending, c.owners_without_address, c.notices_failed
        ),
    ));
    if let Some(r) = &outcome.rotation {
        let (rotated, blocked, failed, waiting) = (
            r.rotated + r.would_rotate,
            r.blocked,
            r.failed,
            r.awaiting_new_key_use,
        );
        lines.push(t(
            l,
            format!(
                "*Rotated*{dry} {rotated} · *Rotations blocked* {blocked} · *Rotations failed* {failed} · *Awaiting the new key's use* {waiting}"
            ),
            format!(
                "*置き換え*{dry} {rotated} · *置き換え不可* {blocked} · *置き換え失敗* {failed} · *新しいキーの使用待ち* {waiting}"
            ),
        ));
    }
    if let Some(p) = &outcome.passwords {
        let removed = outcome
            .enforcement
            .as_ref()
            .map_or(0, |e| e.passwords_removed + e.passwords_would_remove);
        lines.push(t(
            l,
            format!(
                "*Console passwords expiring* {} · *Unused console passwords* {} · *Removed*{dry} {removed}",
                p.expiring, p.unused
            ),
            format!(
                "*期限が近いコンソールパスワード* {} · *未使用のコンソールパスワード* {} · *削除*{dry} {removed}",
                p.expiring, p.unused
            ),
        ));
    }
    let (not_reached, failed) = (outcome.users.not_reached, outcome.users.failed);
    if not_reached > 0 || failed > 0 {
        lines.push(t(
            l,
            format!(":warning: {not_reached} users not reached, {failed} failed: the next sweep starts with them"),
            format!(":warning: 未到達のユーザー {not_reached}、失敗 {failed}：次の点検はここから始めます"),
        ));
    }
    let heading = |en: &str, ja: &str| t(l, en.to_string(), ja.to_string());
    // Each section with its keys' days: overdue, left, or unused.
    let sections: [(&str, &str, &[ReportKey], &str); 5] = [
        (
            "Overdue, oldest first",
            "期限超過（古い順）",
            &report.overdue,
            "overdue",
        ),
        ("Due soon", "期限間近", &report.within_tier, "left"),
        (
            "Unused, longest first",
            "未使用（長い順）",
            &report.unused,
            "unused",
        ),
        (
            "Console passwords expiring",
            "期限が近いコンソールパスワード",
            &report.passwords_expiring,
            "left",
        ),
        (
            "Unused console passwords",
            "未使用のコンソールパスワード",
            &report.passwords_unused,
            "unused",
        ),
    ];
    for (en, ja, keys, what) in sections {
        section(l, &mut lines, &heading(en, ja), keys, |k| {
            let n = match what {
                "overdue" => k.days_overdue,
                "left" => k.days_remaining,
                _ => k.unused_days.unwrap_or(0),
            };
            days(l, what, n)
        });
    }
    section(
        l,
        &mut lines,
        &heading("Rotation", "置き換え"),
        &report.rotation,
        |k| {
            k.rotation
                .as_ref()
                .map_or("", |r| r.code())
                .replace('_', " ")
        },
    );
    let mut next = Vec::new();
    let step = |en: &str, ja: &str| t(l, en.to_string(), ja.to_string());
    if c.overdue + c.due_soon > 0 {
        next.push(step(
            "Each owner was mailed with the key's deadline; `scan` lists every key",
            "各所有者にキーの期限をメールしました。`scan` ですべてのキーを一覧できます",
        ));
    }
    if c.owners_without_address > 0 {
        next.push(step(
            "Tag the users without an owner address (`scan` shows them)",
            "所有者のアドレスがないユーザーにタグを付けてください（`scan` で表示されます）",
        ));
    }
    if c.unused > 0 {
        next.push(step(
            "Ask the owners of unused keys to delete them",
            "未使用のキーの所有者に削除を依頼してください",
        ));
    }
    let rotation = outcome.rotation.as_ref();
    if rotation.is_some_and(|r| r.blocked > 0) {
        next.push(step(
            "Ask the owners of blocked rotations to delete the key they do not use",
            "置き換えできないキーの所有者に、使っていないキーの削除を依頼してください",
        ));
    }
    if !report.passwords_unused.is_empty() {
        next.push(step(
            "Ask the owners of unused console passwords whether they still need them",
            "未使用のコンソールパスワードの所有者に、まだ必要か確認してください",
        ));
    }
    let mut context = vec![
        ("account", report.account.clone()),
        ("date", today.clone()),
        ("overdue", c.overdue.to_string()),
        ("dueSoon", c.due_soon.to_string()),
        ("unused", c.unused.to_string()),
        ("deactivated", c.deactivated.to_string()),
        ("heldByCap", c.held_by_cap.to_string()),
        ("exemptionsEnding", c.exemptions_ending.to_string()),
        ("ownersWithoutAddress", c.owners_without_address.to_string()),
        ("noticesFailed", c.notices_failed.to_string()),
    ];
    if let Some(r) = rotation {
        context.extend([
            ("rotated", (r.rotated + r.would_rotate).to_string()),
            ("rotationsBlocked", r.blocked.to_string()),
            ("rotationsFailed", r.failed.to_string()),
            ("awaitingNewKeyUse", r.awaiting_new_key_use.to_string()),
        ]);
    }
    if let Some(p) = &outcome.passwords {
        context.extend([
            ("passwordsExpiring", p.expiring.to_string()),
            ("passwordsUnused", p.unused.to_string()),
        ]);
    }
    notification(
        l,
        (&report.account, &today),
        "AccessKeySweepSummary",
        &title,
        &lines,
        &next,
        &context,
    )
}

/// The Organization-wide summary after the Organization's digest: the
/// totals, then the accounts worst first (those not swept at the top), and
/// a line of its own for each account whose root user has an active key.
pub(crate) fn organization(view: &OrganizationView, l: Locale) -> Value {
    let today = view.today.as_str();
    let title = t(
        l,
        format!(
            ":key: Access keys in {} accounts on {today}: {} overdue, {} due soon, {} unused",
            view.accounts, view.overdue, view.within_tier, view.unused
        ),
        format!(
            ":key: {} アカウントのアクセスキー（{today}）：期限超過 {}、期限間近 {}、未使用 {}",
            view.accounts, view.overdue, view.within_tier, view.unused
        ),
    );
    let mut lines = Vec::new();
    for account in &view.root_keys {
        lines.push(t(
            l,
            format!(":rotating_light: The root user of `{account}` has an active access key"),
            format!(":rotating_light: `{account}` のルートユーザーに有効なアクセスキーがあります"),
        ));
    }
    for account in &view.not_swept {
        lines.push(t(
            l,
            format!(":warning: `{account}` was not swept today"),
            format!(":warning: `{account}` は本日未確認です"),
        ));
    }
    listed(l, &mut lines, &view.swept, |s| {
        t(
            l,
            format!(
                "• `{}` {} overdue, {} due soon, {} unused",
                s.label, s.overdue, s.within_tier, s.unused
            ),
            format!(
                "• `{}` 期限超過 {}、期限間近 {}、未使用 {}",
                s.label, s.overdue, s.within_tier, s.unused
            ),
        )
    });
    let context = [
        ("date", view.today.clone()),
        ("accounts", view.accounts.to_string()),
        ("overdue", view.overdue.to_string()),
        ("dueSoon", view.within_tier.to_string()),
        ("unused", view.unused.to_string()),
        ("rootKeys", view.root_keys.len().to_string()),
    ];
    notification(
        l,
        ("organization", today),
        "OrganizationSummary",
        &title,
        &lines,
        &[],
        &context,
    )
}

/// What the team must act on after a sweep, each its own message: keys
/// deactivated, keys held by the daily cap, enforcement stopped because the
/// exemption list is unusable, users the sweep could not reach.
pub(crate) fn alerts(report: &Report, outcome: &SweepOutcome, l: Locale) -> Vec<Value> {
    let (account, today) = (&report.account, &report.today.to_string());
    let mut out = Vec::new();
    let deactivated: Vec<&ReportKey> = report
        .deactivated
        .iter()
        .filter(|k| k.enforcement == Some(EnforcementState::Acted(Action::Deactivated)))
        .collect();
    if !deactivated.is_empty() {
        out.push(deactivated_alert(l, account, today, &deactivated, |k| {
            report_key_line(l, k)
        }));
    }
    let held = held(report);
    if !held.is_empty() {
        let mut lines = Vec::new();
        listed(l, &mut lines, &held, |k| report_key_line(l, k));
        let n = held.len();
        out.push(notification(
            l,
            (account, today),
            "AccessKeysHeldByCap",
            &t(
                l,
                format!(":hourglass: {n} access keys held by the daily cap in {account}"),
                format!(
                    ":hourglass: {account} で {n} 個のアクセスキーを日次上限により保留しました"
                ),
            ),
            &lines,
            &[t(
                l,
                "The next day's runs take them; raise ENFORCE_MAX_PER_DAY only if that is intended"
                    .into(),
                "翌日の実行で処理されます。意図する場合のみ ENFORCE_MAX_PER_DAY を上げてください"
                    .into(),
            )],
            &[("account", account.clone()), ("date", today.clone())],
        ));
    }
    if let Some(r) = outcome.rotation.as_ref().filter(|r| r.failed > 0) {
        let failed: Vec<_> = r
            .keys
            .iter()
            .filter(|k| k.rotation == KeyRotation::Failed)
            .collect();
        let mut lines = Vec::new();
        listed(l, &mut lines, &failed, |k| {
            let why = t(l, "rotation failed".into(), "置き換え失敗".into());
            format!("• `{}` `{}` {why}", k.user, k.access_key_id)
        });
        let n = r.failed;
        out.push(notification(
            l,
            (account, today),
            "RotationsFailed",
            &t(
                l,
                format!(":x: {n} access key rotations failed in {account}"),
                format!(":x: {account} で {n} 個のアクセスキーの置き換えに失敗しました"),
            ),
            &lines,
            &[t(
                l,
                "The new keys were deactivated (nobody has their secret); the old keys are untouched. See the function's outcome log line for the errors".into(),
                "新しいキーは無効化しました（そのシークレットは誰も持っていません）。古いキーはそのままです。エラーは関数の outcome ログ行を参照してください".into(),
            )],
            &[("account", account.clone()), ("date", today.clone())],
        ));
    }
    let stopped = outcome.enforcement.as_ref().is_some_and(|e| e.stopped);
    if stopped {
        out.push(notification(
            l,
            (account, today),
            "EnforcementStopped",
            &t(
                l,
                format!(":octagonal_sign: Enforcement stopped in {account}: the exemption list is unusable"),
                format!(":octagonal_sign: {account} の強制を停止しました：適用除外リストが使えません"),
            ),
            &[t(
                l,
                "No key is deactivated until the exemption list can be read and every entry is a user name, ARN or UserId. Notices go on.".into(),
                "適用除外リストが読めて、すべての項目がユーザー名・ARN・UserId になるまで、キーは無効化しません。通知は続けます。".into(),
            )],
            &[t(
                l,
                "Fix the Parameter Store list named by EXEMPT_USERS_PARAMETER".into(),
                "EXEMPT_USERS_PARAMETER が指す Parameter Store のリストを直してください".into(),
            )],
            &[("account", account.clone()), ("date", today.clone())],
        ));
    }
    let (not_reached, failed) = (outcome.users.not_reached, outcome.users.failed);
    if not_reached + failed > 0 {
        out.push(notification(
            l,
            (account, today),
            "SweepIncomplete",
            &t(
                l,
                format!(":warning: The sweep of {account} did not reach {} users", not_reached + failed),
                format!(":warning: {account} の点検は {} 人のユーザーに届きませんでした", not_reached + failed),
            ),
            &[t(
                l,
                format!("{not_reached} users not reached before the time ran out, {failed} users failed; the next sweep starts with them."),
                format!("時間切れで未到達 {not_reached} 人、失敗 {failed} 人。次の点検はここから始めます。"),
            )],
            &[t(
                l,
                "See the function's outcome log line for the reasons".into(),
                "理由は関数の outcome ログ行を参照してください".into(),
            )],
            &[
                ("account", account.clone()),
                ("date", today.clone()),
                ("notReached", not_reached.to_string()),
                ("failed", failed.to_string()),
            ],
        ));
    }
    out
}

/// The deactivations of one Config event, as one message (`None`: none).
pub(crate) fn deactivations(
    l: Locale,
    account: &str,
    today: &str,
    actions: &[KeyAction],
) -> Option<Value> {
    let done: Vec<&KeyAction> = actions
        .iter()
        .filter(|a| a.action == Action::Deactivated)
        .collect();
    (!done.is_empty()).then(|| {
        deactivated_alert(l, account, today, &done, |a| {
            key_line(l, &a.user, &a.access_key_id, a.unused_days, a.days_overdue)
        })
    })
}

/// The message about deactivated keys, a sweep's or a Config event's.
fn deactivated_alert<T>(
    l: Locale,
    account: &str,
    today: &str,
    keys: &[T],
    line: impl Fn(&T) -> String,
) -> Value {
    let mut lines = Vec::new();
    listed(l, &mut lines, keys, line);
    let n = keys.len();
    notification(
        l,
        (account, today),
        "AccessKeysDeactivated",
        &t(
            l,
            format!(":no_entry: {n} access keys deactivated in {account}"),
            format!(":no_entry: {account} で {n} 個のアクセスキーを無効化しました"),
        ),
        &lines,
        &[t(
            l,
            "Owners were mailed how to restore service; nothing was deleted".into(),
            "所有者には復旧の手順をメールしました。削除したものはありません".into(),
        )],
        &[
            ("account", account.to_string()),
            ("date", today.to_string()),
        ],
    )
}

/// One key's line: the user and the masked id in code spans, and why the
/// key is listed (unused, for a key listed for its unused period; else
/// its days overdue).
fn key_line(
    l: Locale,
    user: &str,
    key: &str,
    unused_days: Option<u32>,
    days_overdue: u32,
) -> String {
    let why = match unused_days {
        Some(n) => days(l, "unused", n),
        None => days(l, "overdue", days_overdue),
    };
    format!("• `{user}` `{key}` {why}")
}

fn report_key_line(l: Locale, k: &&ReportKey) -> String {
    let unused = k.unused_days.filter(|_| k.listed_unused);
    key_line(l, &k.user, &k.access_key_id, unused, k.days_overdue)
}

/// A section of the summary: its heading and its keys, when it has any.
fn section(
    l: Locale,
    lines: &mut Vec<String>,
    heading: &str,
    keys: &[ReportKey],
    status: impl Fn(&ReportKey) -> String,
) {
    if keys.is_empty() {
        return;
    }
    lines.push(format!("*{heading}*"));
    listed(l, lines, keys, |k| {
        format!("• `{}` `{}` {}", k.user, k.access_key_id, status(k))
    });
}

/// One line per item, at most [`ITEMS_SHOWN`], then "…and N more".
fn listed<T>(l: Locale, lines: &mut Vec<String>, items: &[T], line: impl Fn(&T) -> String) {
    lines.extend(items.iter().take(ITEMS_SHOWN).map(line));
    if items.len() > ITEMS_SHOWN {
        let more = items.len() - ITEMS_SHOWN;
        lines.push(t(
            l,
            format!("…and {more} more"),
            format!("…ほか {more} 件"),
        ));
    }
}

/// At most `max` characters of `text`, the last one `…` when cut.
fn bounded(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// The lines joined, within [`DESCRIPTION_MAX`]: whole lines while they
/// fit, then "…and N more lines".
fn description(l: Locale, lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let rest = lines.len() - i;
        let tail = t(
            l,
            format!("\n…and {rest} more lines"),
            format!("\n…ほか {rest} 行"),
        );
        let needed = out.chars().count() + 1 + line.chars().count();
        if needed + tail.chars().count() > DESCRIPTION_MAX && rest > 1 {
            out.push_str(&tail);
            return out;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    bounded(&out, DESCRIPTION_MAX)
}

fn notification(
    l: Locale,
    (account, today): (&str, &str),
    event_type: &str,
    title: &str,
    lines: &[String],
    next_steps: &[String],
    context: &[(&str, String)],
) -> Value {
    let title = bounded(title, TITLE_MAX);
    let additional: serde_json::Map<String, Value> = context
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String(v.clone())))
        .collect();
    let keywords: Vec<String> = ["access-keys", "access-key-notifier", account]
        .iter()
        .map(|k| (*k).to_string())
        .take(KEYWORDS_MAX)
        .collect();
    json!({
        "version": VERSION,
        "source": CUSTOM_SOURCE,
        "id": format!("{}-{event_type}", thread_id(account, today)),
        "content": {
            "textType": TEXT_TYPE,
            "title": title,
            "description": description(l, lines),
            "nextSteps": next_steps
                .iter()
                .take(NEXT_STEPS_MAX)
                .map(|s| bounded(s, TITLE_MAX))
                .collect::<Vec<_>>(),
            "keywords": keywords,
        },
        "metadata": {
            "threadId": thread_id(account, today),
            "summary": bounded(&title, SUMMARY_MAX),
            "eventType": event_type,
            "relatedResources": [],
            "additionalContext": additional,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_description_is_cut_at_whole_lines_with_a_count() {
        let lines: Vec<String> = (0..500)
            .map(|i| format!("• `user-{i:04}` `AKIA…WXYZ` 10 days overdue"))
            .collect();
        let d = description(Locale::En, &lines);
        assert!(
            d.chars().count() <= DESCRIPTION_MAX,
            "{}",
            d.chars().count()
        );
        let shown = d.lines().filter(|l| l.starts_with('•')).count();
        assert!(
            d.ends_with(&format!("…and {} more lines", 500 - shown)),
            "{d}"
        );
    }

    #[test]
    fn a_japanese_description_is_bounded_in_characters_and_stays_whole() {
        // Each line 3 bytes a character for most of it: bytes would cut
        // three times too early, or mid-character.
        let lines: Vec<String> = (0..500)
            .map(|i| format!("• `利用者-{i:04}` `AKIA…WXYZ` 期限超過 10 日"))
            .collect();
        let d = description(Locale::Ja, &lines);
        assert!(d.chars().count() <= DESCRIPTION_MAX);
        assert!(
            d.len() > DESCRIPTION_MAX,
            "counted in characters, not bytes"
        );
        let shown = d.lines().filter(|l| l.starts_with('•')).count();
        assert!(d.ends_with(&format!("…ほか {} 行", 500 - shown)), "{d}");
        let title = bounded(&"期".repeat(400), TITLE_MAX);
        assert_eq!(title.chars().count(), TITLE_MAX);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn a_title_over_the_bound_ends_in_an_ellipsis() {
        let t = bounded(&"x".repeat(400), TITLE_MAX);
        assert_eq!(t.chars().count(), TITLE_MAX);
        assert!(t.ends_with('…'));
        assert_eq!(bounded("short", TITLE_MAX), "short");
    }

    #[test]
    fn one_account_and_day_share_a_thread() {
        assert_eq!(
            thread_id("123456789012", "2026-12-01"),
            "access-key-notifier-123456789012-2026-12-01"
        );
        assert_ne!(
            thread_id("123456789012", "2026-12-01"),
            thread_id("123456789012", "2026-12-02")
        );
    }
}
