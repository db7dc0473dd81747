//! Where every due key of an account stands: what the digest mails and
//! `scan` prints. Built from the decisions the sweep made, user by user; it
//! holds masked key ids only, and an owner tag's problem by reason code,
//! never the tag's value.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Status;
use crate::calendar;
use crate::decision::{DaysLeft, DueKey, Exemption, Policy, SkipReason, Verdict};
use crate::enforcement::KeyVerdict;
use crate::enforcement::{Action, UserEnforcement};
use crate::mask::mask_key_id;

/// What the owner tag gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum OwnerTag {
    /// A valid address within the allowed domains: the owner is mailed.
    Used,
    /// No owner tag: the fallback list (if any) is mailed.
    Missing,
    /// Present but not used, with the rejection's code.
    Rejected(&'static str),
}

impl OwnerTag {
    pub fn code(self) -> &'static str {
        match self {
            OwnerTag::Used => "ok",
            OwnerTag::Missing => "missing",
            OwnerTag::Rejected(code) => code,
        }
    }
}

/// One due key, as the report shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportKey {
    pub user: String,
    /// `AKIA…WXYZ`
    pub access_key_id: String,
    pub created: String,
    pub deadline: String,
    pub age_days: u32,
    /// Days to the deadline's date; 0 once overdue.
    pub days_remaining: u32,
    /// Days past the deadline's date; 0 before it.
    pub days_overdue: u32,
    pub stage: String,
    pub owner: OwnerTag,
    pub exempt: bool,
    /// What this run did about the user's notice: `sent`, `dry_run`,
    /// `already_notified`, a skip reason, `failed`, or `due` in a scan.
    pub notice: String,
    /// What enforcement did or will do: `deactivated`, `would_deactivate`,
    /// `held_by_cap`, `no_one_to_warn`, `left_alone`, `reactivated`, `failed`,
    /// `final_warning, from 2026-11-26`, `from 2026-12-04`; empty when the
    /// account does not enforce.
    pub enforcement: String,
    /// An exempt user's exemption ends after this date (the tag's date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exempt_until: Option<String>,
    /// The date of the key's last use, `never`, or empty where it was not
    /// read (the unused-key policy off, and no credential report).
    pub last_used: String,
    /// Days since the key's last use (or creation, never used), when it is
    /// unused (decision rule 12).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused_days: Option<u32>,
    #[serde(skip)]
    pub days: DaysLeft,
    #[serde(skip)]
    listed_unused: bool,
}

/// What the sweep learned about one user with a due key.
#[derive(Debug, Clone)]
pub struct UserReport {
    name: String,
    keys: Vec<(DueKey, String)>,
    owner: OwnerTag,
    skip: Option<SkipReason>,
    /// Set by the sweep once the notice's fate is known.
    pub notice: Option<Status>,
    /// The error type, when notifying failed.
    pub notice_failed: Option<String>,
    exempt_until: Option<NaiveDate>,
    /// Per due key id: enforcement's code, and when the key may be
    /// deactivated.
    enforcement: HashMap<String, (String, Due)>,
}

/// When enforcement may take a key that is still active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Due {
    /// Acted on, or never again (reactivated).
    #[default]
    Never,
    /// The next run (held by the cap, or its action failed).
    NextRun,
    From(NaiveDate),
}

impl ReportKey {
    /// Listed for its unused period, not for rotation (decision rule 12).
    pub fn listed_unused(&self) -> bool {
        self.listed_unused
    }
}

impl UserReport {
    pub fn new(name: &str, due: &[DueKey], verdict: &Verdict) -> UserReport {
        let owner = match (verdict.owner_tag_present, verdict.owner_tag_rejected) {
            (_, Some(r)) => OwnerTag::Rejected(r.code()),
            (true, None) => OwnerTag::Used,
            (false, None) => OwnerTag::Missing,
        };
        UserReport {
            name: name.to_string(),
            keys: due
                .iter()
                .map(|k| (k.clone(), mask_key_id(&k.id)))
                .collect(),
            owner,
            skip: verdict.result.as_ref().err().copied(),
            notice: None,
            notice_failed: None,
            exempt_until: match verdict.exemption {
                Some(Exemption::TagUntil(until)) => Some(until),
                _ => None,
            },
            enforcement: HashMap::new(),
        }
    }

    /// Takes in what enforcement made of the user's keys.
    pub fn enforcement(&mut self, enforced: &UserEnforcement) {
        for (id, verdict) in &enforced.verdicts {
            let entry = match (enforced.action_of(id), verdict) {
                (Some(action), _) => {
                    let code = match action {
                        Action::Deactivated => "deactivated",
                        Action::DryRun => "would_deactivate",
                        Action::HeldByCap => "held_by_cap",
                        Action::NoOneToWarn => "no_one_to_warn",
                        Action::LeftAlone => "left_alone",
                        Action::Reactivated => "reactivated",
                    };
                    let due = match action {
                        Action::HeldByCap => Due::NextRun,
                        _ => Due::Never,
                    };
                    (code.to_string(), due)
                }
                (None, KeyVerdict::FinalWarning { from }) => (
                    format!("final_warning, from {}", calendar::iso(*from)),
                    Due::From(*from),
                ),
                (None, KeyVerdict::Wait { from }) => {
                    (format!("from {}", calendar::iso(*from)), Due::From(*from))
                }
                (
                    None,
                    KeyVerdict::Deactivate | KeyVerdict::HeldByCap | KeyVerdict::NoOneToWarn,
                ) => ("failed".into(), Due::NextRun),
            };
            self.enforcement.insert(id.clone(), entry);
        }
    }

    fn notice_code(&self) -> String {
        if self.notice_failed.is_some() {
            return "failed".into();
        }
        match (self.notice, self.skip) {
            (Some(Status::Sent), _) => "sent".into(),
            (Some(Status::DryRun), _) => "dry_run".into(),
            (Some(Status::Skipped), _) => "already_notified".into(),
            (Some(Status::Failed), _) => "failed".into(),
            (None, Some(reason)) => reason.code().into(),
            (None, None) => "due".into(),
        }
    }
}

/// A user whose owner tag could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerProblem {
    pub user: String,
    /// `missing`, or the rejection's code (`invalid_address`, …).
    pub reason: &'static str,
}

/// A user whose notice failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedNotice {
    pub user: String,
    #[serde(rename = "errorType")]
    pub error_type: String,
}

/// The account's report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub account: String,
    pub today: String,
    pub time_zone: String,
    pub max_key_age_days: u32,
    /// The unused-key policy's days (0: off).
    pub unused_key_days: u32,
    /// Overdue keys of users who are not exempt, oldest deadline first.
    pub overdue: Vec<ReportKey>,
    /// Keys within a notice tier, of users who are not exempt, earliest
    /// deadline first.
    pub within_tier: Vec<ReportKey>,
    /// Keys listed because they are unused (not due for rotation), of
    /// users who are not exempt, longest unused first.
    pub unused: Vec<ReportKey>,
    /// Due keys of exempt users.
    pub exempt: Vec<ReportKey>,
    /// Users with a due key whose owner tag is missing or was rejected.
    pub owner_problems: Vec<OwnerProblem>,
    /// Users whose notice failed in this run.
    pub failed: Vec<FailedNotice>,
    /// Keys deactivated by this run (or, in a dry run, that would be).
    pub deactivated: Vec<ReportKey>,
    /// Keys the next run will deactivate: held by the cap, failed, or whose
    /// earliest date is tomorrow or sooner.
    pub next_run: Vec<ReportKey>,
    /// Keys deactivated before and active again since: listed until they
    /// are rotated, never deactivated again.
    pub reactivated: Vec<ReportKey>,
    /// Keys held because nobody can be warned: no warning counts and the
    /// user's notice reaches no owner.
    pub no_one_to_warn: Vec<ReportKey>,
    /// Exempt users whose exemption tag ends within
    /// [`EXPIRING_WITHIN_DAYS`] days.
    pub exemptions_expiring: Vec<ReportKey>,
    #[serde(skip)]
    today_date: NaiveDate,
    #[serde(skip)]
    tz: chrono_tz::Tz,
    #[serde(skip)]
    users: Vec<UserReport>,
}

/// How far ahead the report looks for exemptions that end.
pub const EXPIRING_WITHIN_DAYS: i64 = 14;

impl Report {
    pub fn new(account: &str, now: DateTime<Utc>, policy: &Policy) -> Report {
        Report {
            account: account.to_string(),
            today: calendar::iso(policy.date_of(now)),
            time_zone: policy.time_zone.name().to_string(),
            max_key_age_days: policy.max_key_age_days,
            unused_key_days: policy.unused_key_days,
            overdue: Vec::new(),
            within_tier: Vec::new(),
            unused: Vec::new(),
            exempt: Vec::new(),
            owner_problems: Vec::new(),
            failed: Vec::new(),
            deactivated: Vec::new(),
            next_run: Vec::new(),
            reactivated: Vec::new(),
            no_one_to_warn: Vec::new(),
            exemptions_expiring: Vec::new(),
            today_date: policy.date_of(now),
            tz: policy.time_zone,
            users: Vec::new(),
        }
    }

    /// Takes in one user the sweep read.
    pub fn add(&mut self, user: UserReport) {
        self.users.push(user);
    }

    /// Sorts what the users gave into the report's sections.
    pub fn finish(&mut self) {
        let mut users = std::mem::take(&mut self.users);
        users.sort_by(|a, b| a.name.cmp(&b.name));
        for u in &users {
            let exempt = u.skip == Some(SkipReason::Exempt);
            let notice = u.notice_code();
            for (k, masked) in &u.keys {
                let (enforcement, due) = u.enforcement.get(&k.id).cloned().unwrap_or_default();
                let next_run = match due {
                    Due::Never => false,
                    Due::NextRun => true,
                    Due::From(from) => self.today_date.succ_opt().is_some_and(|t| from <= t),
                };
                let row = ReportKey {
                    user: u.name.clone(),
                    access_key_id: masked.clone(),
                    created: calendar::iso(k.created_date),
                    deadline: calendar::iso(k.deadline_date),
                    age_days: k.age_days,
                    days_remaining: k.days.remaining(),
                    days_overdue: k.days.overdue(),
                    stage: k.stage.code(),
                    owner: u.owner,
                    exempt,
                    notice: notice.clone(),
                    enforcement,
                    exempt_until: u.exempt_until.map(calendar::iso),
                    last_used: match &k.last_used {
                        None => String::new(),
                        Some(used) => used
                            .time
                            .map_or_else(|| "never".to_string(), |t| calendar::date_in(self.tz, t)),
                    },
                    unused_days: k.unused.as_ref().map(|u| u.days),
                    days: k.days,
                    listed_unused: k.listed_unused(),
                };
                if matches!(row.enforcement.as_str(), "deactivated" | "would_deactivate") {
                    self.deactivated.push(row.clone());
                }
                if next_run {
                    self.next_run.push(row.clone());
                }
                match row.enforcement.as_str() {
                    "reactivated" => self.reactivated.push(row.clone()),
                    "no_one_to_warn" => self.no_one_to_warn.push(row.clone()),
                    _ => {}
                }
                let expiring = u.exempt_until.is_some_and(|until| {
                    (until - self.today_date).num_days() <= EXPIRING_WITHIN_DAYS
                });
                if exempt && expiring {
                    self.exemptions_expiring.push(row.clone());
                }
                if exempt {
                    self.exempt.push(row);
                } else if row.listed_unused {
                    self.unused.push(row);
                } else if k.days.is_overdue() {
                    self.overdue.push(row);
                } else {
                    self.within_tier.push(row);
                }
            }
            if u.owner != OwnerTag::Used {
                self.owner_problems.push(OwnerProblem {
                    user: u.name.clone(),
                    reason: u.owner.code(),
                });
            }
            if let Some(error_type) = &u.notice_failed {
                self.failed.push(FailedNotice {
                    user: u.name.clone(),
                    error_type: error_type.clone(),
                });
            }
        }
        // `deadline` is an ISO date (`2026-12-01`): its text sorts as the date.
        let by_deadline =
            |a: &ReportKey, b: &ReportKey| a.deadline.cmp(&b.deadline).then(a.user.cmp(&b.user));
        self.overdue.sort_by(by_deadline);
        self.within_tier.sort_by(by_deadline);
        self.exempt.sort_by(by_deadline);
        self.unused
            .sort_by(|a, b| b.unused_days.cmp(&a.unused_days).then(a.user.cmp(&b.user)));
        self.deactivated.sort_by(by_deadline);
        self.next_run.sort_by(by_deadline);
        self.reactivated.sort_by(by_deadline);
        self.no_one_to_warn.sort_by(by_deadline);
        self.exemptions_expiring.sort_by(|a, b| {
            a.exempt_until
                .cmp(&b.exempt_until)
                .then(a.user.cmp(&b.user))
        });
    }

    /// Every due key, in the report's order: overdue, within a tier,
    /// unused, exempt.
    pub fn keys(&self) -> impl Iterator<Item = &ReportKey> {
        self.overdue
            .iter()
            .chain(&self.within_tier)
            .chain(&self.unused)
            .chain(&self.exempt)
    }

    /// The report as an aligned text table (`scan --format table`).
    pub fn table(&self) -> String {
        let header = COLUMNS.map(str::to_string).to_vec();
        let rows: Vec<Vec<String>> = std::iter::once(header)
            .chain(self.keys().map(row))
            .collect();
        let widths: Vec<usize> = (0..COLUMNS.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for r in &rows {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell:<w$}"))
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }

    /// The report as CSV (`scan --format csv`), RFC 4180 quoting. Written
    /// here rather than with the `csv` crate: one header and plain string
    /// cells need only the quoting rule below.
    pub fn csv(&self) -> String {
        let mut out = String::new();
        for r in std::iter::once(COLUMNS.map(str::to_string).to_vec()).chain(self.keys().map(row)) {
            let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

const COLUMNS: [&str; 12] = [
    "user",
    "access_key_id",
    "created",
    "deadline",
    "days",
    "stage",
    "owner_tag",
    "exempt",
    "notice",
    "enforcement",
    "last_used",
    "unused_days",
];

fn row(k: &ReportKey) -> Vec<String> {
    let days = if k.days_overdue > 0 {
        format!("-{}", k.days_overdue)
    } else {
        k.days_remaining.to_string()
    };
    vec![
        k.user.clone(),
        k.access_key_id.clone(),
        k.created.clone(),
        k.deadline.clone(),
        days,
        k.stage.clone(),
        k.owner.code().to_string(),
        k.exempt.to_string(),
        k.notice.clone(),
        k.enforcement.clone(),
        k.last_used.clone(),
        k.unused_days.map(|d| d.to_string()).unwrap_or_default(),
    ]
}

/// A cell, quoted when it holds a comma, a quote or a line break (IAM user
/// names may hold commas), and never starting a spreadsheet formula.
fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@']) && c.parse::<i64>().is_err() {
        format!("'{c}")
    } else {
        c.to_string()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_never_a_formula() {
        assert_eq!(csv_cell("alice"), "alice");
        assert_eq!(csv_cell("ops,team"), "\"ops,team\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_cell("-5"), "-5");
        assert_eq!(csv_cell("@user"), "'@user");
    }
}
