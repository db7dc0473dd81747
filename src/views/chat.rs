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

use serde_json::{Value, json};

use crate::model::{Action, EnforcementState, KeyAction, KeyRotation};
use crate::outcome::report::{Report, ReportKey};
use crate::outcome::sweep::SweepOutcome;

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

/// The summary after a sweep: the counts, the worst keys by name, and what
/// to do.
pub(crate) fn summary(report: &Report, outcome: &SweepOutcome) -> Value {
    let c = Counts::of(report);
    let today = report.today.to_string();
    let dry = if outcome.dry_run { " (dry run)" } else { "" };
    let title = format!(
        ":key: Access keys in {} on {}{dry}: {} overdue, {} due soon, {} unused",
        report.account, report.today, c.overdue, c.due_soon, c.unused
    );
    let mut lines = vec![format!(
        "*Overdue* {} · *Due soon* {} · *Unused* {} · *Deactivated* {} · *Held by the daily cap* {}",
        c.overdue, c.due_soon, c.unused, c.deactivated, c.held_by_cap
    )];
    lines.push(format!(
        "*Exemptions ending within 14 days* {} · *Owners without an address* {} · *Notices failed* {}",
        c.exemptions_ending, c.owners_without_address, c.notices_failed
    ));
    if let Some(r) = &outcome.rotation {
        lines.push(format!(
            "*Rotated*{dry} {} · *Rotations blocked* {} · *Rotations failed* {} · *Awaiting the new key's use* {}",
            r.rotated + r.would_rotate,
            r.blocked,
            r.failed,
            r.awaiting_new_key_use
        ));
    }
    if let Some(p) = &outcome.passwords {
        let removed = outcome
            .enforcement
            .as_ref()
            .map_or(0, |e| e.passwords_removed + e.passwords_would_remove);
        lines.push(format!(
            "*Console passwords expiring* {} · *Unused console passwords* {} · *Removed*{dry} {}",
            p.expiring, p.unused, removed
        ));
    }
    if outcome.users.not_reached > 0 || outcome.users.failed > 0 {
        lines.push(format!(
            ":warning: {} users not reached, {} failed: the next sweep starts with them",
            outcome.users.not_reached, outcome.users.failed
        ));
    }
    section(&mut lines, "Overdue, oldest first", &report.overdue, |k| {
        format!("{} days overdue", k.days_overdue)
    });
    section(&mut lines, "Due soon", &report.within_tier, |k| {
        format!("{} days left", k.days_remaining)
    });
    section(&mut lines, "Unused, longest first", &report.unused, |k| {
        format!("unused for {} days", k.unused_days.unwrap_or(0))
    });
    section(
        &mut lines,
        "Console passwords expiring",
        &report.passwords_expiring,
        |k| format!("{} days left", k.days_remaining),
    );
    section(
        &mut lines,
        "Unused console passwords",
        &report.passwords_unused,
        |k| format!("unused for {} days", k.unused_days.unwrap_or(0)),
    );
    section(&mut lines, "Rotation", &report.rotation, |k| {
        k.rotation
            .as_ref()
            .map_or("", |r| r.code())
            .replace('_', " ")
    });
    let mut next = Vec::new();
    if c.overdue + c.due_soon > 0 {
        next.push(
            "Each owner was mailed with the key's deadline; `scan` lists every key".to_string(),
        );
    }
    if c.owners_without_address > 0 {
        next.push("Tag the users without an owner address (`scan` shows them)".to_string());
    }
    if c.unused > 0 {
        next.push("Ask the owners of unused keys to delete them".to_string());
    }
    let rotation = outcome.rotation.as_ref();
    if rotation.is_some_and(|r| r.blocked > 0) {
        next.push(
            "Ask the owners of blocked rotations to delete the key they do not use".to_string(),
        );
    }
    if !report.passwords_unused.is_empty() {
        next.push(
            "Ask the owners of unused console passwords whether they still need them".to_string(),
        );
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
        &report.account,
        &today,
        "AccessKeySweepSummary",
        &title,
        &lines,
        &next,
        &context,
    )
}

/// What the team must act on after a sweep, each its own message: keys
/// deactivated, keys held by the daily cap, enforcement stopped because the
/// exemption list is unusable, users the sweep could not reach.
pub(crate) fn alerts(report: &Report, outcome: &SweepOutcome) -> Vec<Value> {
    let (account, today) = (&report.account, &report.today.to_string());
    let mut out = Vec::new();
    let deactivated: Vec<&ReportKey> = report
        .deactivated
        .iter()
        .filter(|k| k.enforcement == Some(EnforcementState::Acted(Action::Deactivated)))
        .collect();
    if !deactivated.is_empty() {
        out.push(deactivated_alert(
            account,
            today,
            &deactivated,
            report_key_line,
        ));
    }
    let held = held(report);
    if !held.is_empty() {
        let mut lines = Vec::new();
        listed(&mut lines, &held, report_key_line);
        out.push(notification(
            account,
            today,
            "AccessKeysHeldByCap",
            &format!(
                ":hourglass: {} access keys held by the daily cap in {account}",
                held.len()
            ),
            &lines,
            &[
                "The next day's runs take them; raise ENFORCE_MAX_PER_DAY only if that is intended"
                    .to_string(),
            ],
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
        listed(&mut lines, &failed, |k| {
            format!("• `{}` `{}` rotation failed", k.user, k.access_key_id)
        });
        out.push(notification(
            account,
            today,
            "RotationsFailed",
            &format!(":x: {} access key rotations failed in {account}", r.failed),
            &lines,
            &["The new keys were deactivated (nobody has their secret); the old keys are untouched. See the function's outcome log line for the errors".to_string()],
            &[("account", account.clone()), ("date", today.clone())],
        ));
    }
    let stopped = outcome.enforcement.as_ref().is_some_and(|e| e.stopped);
    if stopped {
        out.push(notification(
            account,
            today,
            "EnforcementStopped",
            &format!(":octagonal_sign: Enforcement stopped in {account}: the exemption list is unusable"),
            &["No key is deactivated until the exemption list can be read and every entry is a user name or ARN. Notices go on.".to_string()],
            &["Fix the Parameter Store list named by EXEMPT_USERS_PARAMETER".to_string()],
            &[("account", account.clone()), ("date", today.clone())],
        ));
    }
    let (not_reached, failed) = (outcome.users.not_reached, outcome.users.failed);
    if not_reached + failed > 0 {
        out.push(notification(
            account,
            today,
            "SweepIncomplete",
            &format!(":warning: The sweep of {account} did not reach {} users", not_reached + failed),
            &[format!("{not_reached} users not reached before the time ran out, {failed} users failed; the next sweep starts with them.")],
            &["See the function's outcome log line for the reasons".to_string()],
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
pub(crate) fn deactivations(account: &str, today: &str, actions: &[KeyAction]) -> Option<Value> {
    let done: Vec<&KeyAction> = actions
        .iter()
        .filter(|a| a.action == Action::Deactivated)
        .collect();
    (!done.is_empty()).then(|| {
        deactivated_alert(account, today, &done, |a| {
            key_line(&a.user, &a.access_key_id, a.unused_days, a.days_overdue)
        })
    })
}

/// The message about deactivated keys, a sweep's or a Config event's.
fn deactivated_alert<T>(
    account: &str,
    today: &str,
    keys: &[T],
    line: impl Fn(&T) -> String,
) -> Value {
    let mut lines = Vec::new();
    listed(&mut lines, keys, line);
    notification(
        account,
        today,
        "AccessKeysDeactivated",
        &format!(
            ":no_entry: {} access keys deactivated in {account}",
            keys.len()
        ),
        &lines,
        &["Owners were mailed how to restore service; nothing was deleted".to_string()],
        &[
            ("account", account.to_string()),
            ("date", today.to_string()),
        ],
    )
}

/// One key's line: the user and the masked id in code spans, and why the
/// key is listed (unused, for a key listed for its unused period; else
/// its days overdue).
fn key_line(user: &str, key: &str, unused_days: Option<u32>, days_overdue: u32) -> String {
    let why = match unused_days {
        Some(days) => format!("unused for {days} days"),
        None => format!("{days_overdue} days overdue"),
    };
    format!("• `{user}` `{key}` {why}")
}

fn report_key_line(k: &&ReportKey) -> String {
    let unused = k.unused_days.filter(|_| k.listed_unused);
    key_line(&k.user, &k.access_key_id, unused, k.days_overdue)
}

/// A section of the summary: its heading and its keys, when it has any.
fn section(
    lines: &mut Vec<String>,
    heading: &str,
    keys: &[ReportKey],
    status: impl Fn(&ReportKey) -> String,
) {
    if keys.is_empty() {
        return;
    }
    lines.push(format!("*{heading}*"));
    listed(lines, keys, |k| {
        format!("• `{}` `{}` {}", k.user, k.access_key_id, status(k))
    });
}

/// One line per item, at most [`ITEMS_SHOWN`], then "…and N more".
fn listed<T>(lines: &mut Vec<String>, items: &[T], line: impl Fn(&T) -> String) {
    lines.extend(items.iter().take(ITEMS_SHOWN).map(line));
    if items.len() > ITEMS_SHOWN {
        lines.push(format!("…and {} more", items.len() - ITEMS_SHOWN));
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
fn description(lines: &[String]) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let rest = lines.len() - i;
        let tail = format!("\n…and {rest} more lines");
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
    account: &str,
    today: &str,
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
            "description": description(lines),
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
        let d = description(&lines);
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
