//! `scan --format html`: the report as one self-contained page (askama,
//! `templates/report/report.html`) for an auditor, a ticket or a mail
//! attachment: the account, the date and the settings it was judged by,
//! the counts as the digest's tiles, a chart of the active keys' ages
//! (inline SVG, the deadline and the tiers marked), then the digest's
//! sections as tables, each in the report's order and its sorted column
//! marked.
//!
//! Self-contained: no script, no font, no style sheet, no image and no
//! link is fetched; the style is one `<style>` element and the chart is
//! drawn in the page. Every value goes through askama's HTML escaping
//! (`<`, `>`, `&`, `"`, `'`), key ids are masked as the report holds them,
//! and the page is in English (the report's codes are English too).
//! Each section carries `data-section` (the JSON report's field name) and
//! `data-count`, so a reader (and the tests) can match it to `--format
//! json` of the same run.

use askama::Template;

use super::mail::{key_status, unused_for};
use crate::calendar::iso;
use crate::decision::Policy;
use crate::model::Locale;
use crate::outcome::ages::KeyAges;
use crate::outcome::report::{LastUse, OwnerTag, PasswordExpiry, Report, ReportKey};
use crate::outcome::sweep::{Source, SweepOutcome};

/// One key's (or console password's) row.
#[derive(Debug, Clone)]
struct Row {
    user: String,
    key: String,
    created: String,
    age_days: u32,
    deadline: String,
    /// `12 days overdue`, `5 days left`, `due today`.
    status: String,
    overdue: bool,
    last_used: String,
    unused_days: String,
    owner: String,
    owner_ok: bool,
    notice: String,
    enforcement: String,
    rotation: String,
    exempt_until: String,
}

impl Row {
    fn of(k: &ReportKey) -> Row {
        let deadline = match (k.password, k.password_expires) {
            (false, _) => iso(k.deadline),
            (true, Some(expires)) => iso(expires),
            (true, None) => String::new(),
        };
        Row {
            user: k.user.clone(),
            key: k.access_key_id.clone(),
            created: iso(k.created),
            age_days: k.age_days,
            deadline,
            status: key_status(Locale::En, k.days),
            overdue: k.days_overdue > 0,
            last_used: match k.last_used {
                LastUse::Unread => "not read".to_string(),
                used => used.code(),
            },
            unused_days: k
                .unused_days
                .map(|d| unused_for(Locale::En, d))
                .unwrap_or_default(),
            owner: match k.owner {
                OwnerTag::Used => "ok".to_string(),
                other => other.code().replace('_', " "),
            },
            owner_ok: k.owner == OwnerTag::Used,
            notice: k.notice.code().replace('_', " "),
            enforcement: k.enforcement.map(|e| e.code()).unwrap_or_default(),
            rotation: k
                .rotation
                .as_ref()
                .map(|r| r.code().replace('_', " "))
                .unwrap_or_default(),
            exempt_until: k.exempt_until.map(iso).unwrap_or_default(),
        }
    }
}

/// One count tile.
#[derive(Debug, Clone)]
struct Tile {
    count: usize,
    label: &'static str,
    /// `bad`, `warn`, `info` or `ok`: its colour.
    tone: &'static str,
}

/// One bar of the age chart, laid out.
#[derive(Debug, Clone)]
struct Bar {
    x: u32,
    y: u32,
    width: u32,
    height: u32,
    keys: usize,
    /// `0–14`, `180+`
    label: String,
    /// `fresh`, `tier` (reaches a notice tier) or `late` (past the deadline).
    tone: &'static str,
}

/// A vertical mark of the chart: the deadline or a tier.
#[derive(Debug, Clone)]
struct Mark {
    x: u32,
    /// Where its label stands: the tiers' stagger down, so close tiers
    /// stay legible.
    label_y: u32,
    label: String,
    deadline: bool,
}

/// The chart's geometry, in the SVG's own units.
const CHART_WIDTH: u32 = 760;
const CHART_HEIGHT: u32 = 240;
const PLOT_LEFT: u32 = 44;
const PLOT_TOP: u32 = 28;
const PLOT_BOTTOM: u32 = 200;
const PLOT_RIGHT: u32 = CHART_WIDTH - 8;

#[derive(Template)]
#[template(path = "report/report.html")]
struct Page {
    account: String,
    today: String,
    time_zone: String,
    settings: Vec<(&'static str, String)>,
    source: String,
    tiles: Vec<Tile>,
    root_key_active: bool,
    chart_keys: usize,
    bars: Vec<Bar>,
    marks: Vec<Mark>,
    chart_width: u32,
    chart_height: u32,
    axis_y: u32,
    plot_left: u32,
    plot_right: u32,
    overdue: Vec<Row>,
    within_tier: Vec<Row>,
    unused: Vec<Row>,
    unused_key_days: u32,
    passwords_expiring: Vec<Row>,
    passwords_told: bool,
    passwords_unused: Vec<Row>,
    unused_password_days: u32,
    exempt: Vec<Row>,
    /// Exemption list entries that name no user, as written.
    unmatched_entries: Vec<String>,
    /// (user, reason)
    owner_problems: Vec<(String, String)>,
    /// (user, error type, message)
    failed: Vec<(String, String, String)>,
    users_failed: usize,
}

/// The page for `report`, of the run `outcome` made under `policy`.
pub(crate) fn html(report: &Report, outcome: &SweepOutcome, policy: &Policy) -> String {
    let rows = |keys: &[ReportKey]| keys.iter().map(Row::of).collect::<Vec<_>>();
    let (bars, marks) = chart(&report.key_ages);
    let page = Page {
        account: report.account.clone(),
        today: iso(report.today),
        time_zone: report.time_zone.clone(),
        settings: settings(report, policy),
        source: match (outcome.source, &outcome.report_unavailable) {
            (Source::CredentialReport, _) => {
                "users found in the IAM credential report (those with a due key read afresh)"
                    .to_string()
            }
            (Source::Listing, Some(why)) => {
                format!("every user read (the credential report could not be used: {why})")
            }
            (Source::Listing, None) => "every user read (--full)".to_string(),
        },
        tiles: vec![
            Tile {
                count: report.overdue.len(),
                label: "overdue",
                tone: "bad",
            },
            Tile {
                count: report.within_tier.len(),
                label: "due soon",
                tone: "warn",
            },
            Tile {
                count: report.unused.len(),
                label: "unused",
                tone: "info",
            },
            Tile {
                count: report.exempt.len(),
                label: "exempt",
                tone: "info",
            },
            Tile {
                count: report.owner_problems.len(),
                label: "owner tag problems",
                tone: if report.owner_problems.is_empty() {
                    "ok"
                } else {
                    "warn"
                },
            },
            Tile {
                count: outcome.users.listed,
                label: "users",
                tone: "ok",
            },
            Tile {
                count: report.key_ages.keys,
                label: "active keys",
                tone: "ok",
            },
        ],
        root_key_active: outcome.root_access_key_active,
        chart_keys: report.key_ages.keys,
        bars,
        marks,
        chart_width: CHART_WIDTH,
        chart_height: CHART_HEIGHT,
        axis_y: PLOT_BOTTOM,
        plot_left: PLOT_LEFT,
        plot_right: PLOT_RIGHT,
        overdue: rows(&report.overdue),
        within_tier: rows(&report.within_tier),
        unused: rows(&report.unused),
        unused_key_days: report.unused_key_days,
        passwords_expiring: rows(&report.passwords_expiring),
        passwords_told: matches!(report.password_expiry, PasswordExpiry::Told { .. }),
        passwords_unused: rows(&report.passwords_unused),
        unused_password_days: report.unused_password_days,
        exempt: rows(&report.exempt),
        unmatched_entries: report.exempt_entries_unmatched.clone(),
        owner_problems: report
            .owner_problems
            .iter()
            .map(|p| (p.user.clone(), p.reason.replace('_', " ")))
            .collect(),
        failed: outcome
            .errors
            .iter()
            .map(|e| (e.user.clone(), e.error_type.clone(), e.error.clone()))
            .collect(),
        users_failed: outcome.users.failed,
    };
    // Rendering fails only on a defect of a template's own code (no value
    // can make it fail); the page then says so rather than printing half.
    page.render().unwrap_or_else(|e| {
        format!("<!DOCTYPE html><p>the report could not be rendered: {e}</p>\n")
    })
}

/// The settings the keys were judged by, as label and value.
fn settings(report: &Report, policy: &Policy) -> Vec<(&'static str, String)> {
    let days = |d: u32| format!("{d} days");
    let mut tiers: Vec<u32> = policy
        .notice_rules
        .iter()
        .map(|r| r.days_before_deadline)
        .collect();
    tiers.sort_unstable_by(|a, b| b.cmp(a));
    let tiers: Vec<String> = tiers.iter().map(|d| d.to_string()).collect();
    let off = || "off".to_string();
    vec![
        (
            "Deadline",
            format!("{} days after a key's creation", report.max_key_age_days),
        ),
        (
            "Notices",
            format!("{} days before the deadline", tiers.join(", ")),
        ),
        (
            "Overdue reminders",
            match policy.overdue_reminder_days {
                0 => off(),
                d => format!("every {}", days(d)),
            },
        ),
        (
            "Unused keys",
            match report.unused_key_days {
                0 => off(),
                d => format!("no use for {} or more", days(d)),
            },
        ),
        (
            "Console password expiry",
            match report.password_expiry {
                PasswordExpiry::Off => off(),
                PasswordExpiry::NoPasswordPolicy => {
                    "not told: the account has no password policy".to_string()
                }
                PasswordExpiry::NoMaxPasswordAge => {
                    "not told: the password policy sets no MaxPasswordAge".to_string()
                }
                PasswordExpiry::Told {
                    max_password_age_days,
                    ..
                } => format!(
                    "told {} days before (MaxPasswordAge {max_password_age_days})",
                    policy
                        .password_notice_days
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            },
        ),
        (
            "Unused console passwords",
            match report.unused_password_days {
                0 => off(),
                d => format!("no sign-in for {} or more", days(d)),
            },
        ),
        ("Owner tag", policy.owner_email_tag.clone()),
        (
            "Exemption tag",
            policy.exempt_tag.clone().unwrap_or_else(off),
        ),
        ("Time zone", report.time_zone.clone()),
    ]
}

/// The chart's bars and marks: one bar per band, as tall as its count
/// against the tallest; the deadline and each tier where their age falls.
fn chart(ages: &KeyAges) -> (Vec<Bar>, Vec<Mark>) {
    let plot_width = PLOT_RIGHT - PLOT_LEFT;
    let plot_height = PLOT_BOTTOM - PLOT_TOP;
    let bands = ages.bands.len().max(1) as u32;
    let slot = plot_width / bands;
    let tallest = ages.tallest().max(1);
    let first_tier = ages
        .tier_days
        .first()
        .copied()
        .unwrap_or(ages.deadline_days);
    let bars = ages
        .bands
        .iter()
        .enumerate()
        .map(|(i, band)| {
            let height = (band.keys * plot_height as usize / tallest) as u32;
            let reaches = band.to_days.unwrap_or(u32::MAX);
            Bar {
                x: PLOT_LEFT + i as u32 * slot + 2,
                y: PLOT_BOTTOM - height,
                width: slot - 4,
                height,
                keys: band.keys,
                label: match band.to_days {
                    Some(to) => format!("{}–{to}", band.from_days),
                    None => format!("{}+", band.from_days),
                },
                tone: if band.from_days >= ages.deadline_days {
                    "late"
                } else if reaches >= first_tier {
                    "tier"
                } else {
                    "fresh"
                },
            }
        })
        .collect();
    // The last band is open-ended: the marks are placed on the finite
    // bands' scale, where every tier and the deadline fall.
    let finite_days = ages
        .bands
        .iter()
        .filter_map(|b| b.to_days)
        .max()
        .map_or(1, |d| d + 1);
    let finite_width = slot * (bands - 1);
    let x = |age: u32| {
        PLOT_LEFT + (u64::from(age) * u64::from(finite_width) / u64::from(finite_days)) as u32
    };
    let mut marks: Vec<Mark> = ages
        .tier_days
        .iter()
        .enumerate()
        .map(|(i, &age)| Mark {
            x: x(age),
            label_y: PLOT_TOP + 12 + 13 * (i as u32 % 4),
            label: format!("{} d before", ages.deadline_days - age),
            deadline: false,
        })
        .collect();
    marks.push(Mark {
        x: x(ages.deadline_days),
        label_y: PLOT_TOP - 8,
        label: format!("deadline {} d", ages.deadline_days),
        deadline: true,
    });
    (bars, marks)
}
