//! Security Hub findings before the deadline (`SECURITY_HUB`): which due
//! credentials get a finding, what identifies it, and how severe it is.
//! Pure; the words are `views::findings`, the calls `ports::findings`.
//!
//! 1. **One finding per credential and concern**: a key due for rotation,
//!    overdue, held by the cap or whose rotation is blocked (`rotation`); a
//!    key listed as unused (`unused`); a console password expiring
//!    (`password-expiry`) or unused (`password-unused`); an active root
//!    access key (`root-access-key`). Exempt users' credentials, and a key
//!    this run deactivated, have none: their finding is archived.
//! 2. **A stable `Id`** per account, credential and concern, so each sweep
//!    updates the finding in place: `access-key-notifier/ACCOUNT/CONCERN/…`
//!    with the masked key id and its creation date (never the full id), the
//!    unused period's start, the password's user and expiry date. A key
//!    that becomes due again under a new period or date gets a new `Id`.
//! 3. **Severity from the facts** ([`Severity`]): CRITICAL an active root
//!    key, or a key overdue by more than 30 days; HIGH overdue; MEDIUM
//!    within the last notice tier, an unused key or password, a password
//!    within its last tier; LOW within the first tier, or a password
//!    expiring within a tier; INFORMATIONAL beyond the first tier (held or
//!    blocked keys listed early).
//! 4. **Closing**: a finding of this generator that the sweep no longer
//!    produces is archived (`RecordState` ARCHIVED, `Compliance` PASSED);
//!    `Workflow` belongs to the analyst and is never set.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::calendar::iso;
use crate::model::{Action, EnforcementState};
use crate::outcome::report::{LastUse, Report, ReportKey};

/// The `GeneratorId` of every finding this tool imports.
pub const GENERATOR_ID: &str = "access-key-notifier";
/// BatchImportFindings takes at most this many findings per call.
pub const MAX_PER_CALL: usize = 100;
/// Overdue by more than this many days is CRITICAL.
pub const CRITICAL_AFTER_DAYS: u32 = 30;

/// ASFF's severity labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Informational => "INFORMATIONAL",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Concern {
    Rotation,
    Unused,
    PasswordExpiry,
    PasswordUnused,
    RootKey,
}

impl Concern {
    pub fn code(self) -> &'static str {
        match self {
            Concern::Rotation => "rotation",
            Concern::Unused => "unused",
            Concern::PasswordExpiry => "password-expiry",
            Concern::PasswordUnused => "password-unused",
            Concern::RootKey => "root-access-key",
        }
    }
}

/// One finding's facts, before words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub id: String,
    pub concern: Concern,
    pub severity: Severity,
    /// The user's name and ARN; `None` for the root.
    pub user: Option<(String, String)>,
    /// The masked key id (`AKIA…WXYZ`), for a key.
    pub key: Option<String>,
    /// When the credential was created (a password: last set).
    pub created: NaiveDate,
    /// The deadline (a password: its expiry), where there is one.
    pub deadline: Option<NaiveDate>,
    pub days_remaining: u32,
    pub days_overdue: u32,
    pub unused_days: Option<u32>,
    /// The rotation of this key is blocked (the user holds two keys).
    pub blocked: bool,
    /// Enforcement held this key (the daily cap, no one to warn).
    pub held: bool,
}

/// Rules 1 to 3: the findings of an account's report. `tiers`: the notice
/// tiers, `password_tiers` the password expiry tiers (any order).
pub fn select(
    report: &Report,
    tiers: &[u32],
    password_tiers: &[u32],
    root_key_active: bool,
) -> Vec<Facts> {
    let account = &report.account;
    let mut out: Vec<Facts> = Vec::new();
    let not_exempt = report
        .overdue
        .iter()
        .chain(&report.within_tier)
        .chain(&report.unused)
        .chain(&report.passwords_expiring)
        .chain(&report.passwords_unused);
    for row in not_exempt {
        if row.enforcement == Some(EnforcementState::Acted(Action::Deactivated)) {
            continue;
        }
        out.push(facts(account, row, tiers, password_tiers));
    }
    if root_key_active {
        out.push(Facts {
            id: format!("{GENERATOR_ID}/{account}/{}", Concern::RootKey.code()),
            concern: Concern::RootKey,
            severity: Severity::Critical,
            user: None,
            key: None,
            created: report.today,
            deadline: None,
            days_remaining: 0,
            days_overdue: 0,
            unused_days: None,
            blocked: false,
            held: false,
        });
    }
    out
}

fn facts(account: &str, row: &ReportKey, tiers: &[u32], password_tiers: &[u32]) -> Facts {
    let concern = match (row.password, row.listed_unused) {
        (true, true) => Concern::PasswordUnused,
        (true, false) => Concern::PasswordExpiry,
        (false, true) => Concern::Unused,
        (false, false) => Concern::Rotation,
    };
    let last = |days: &[u32]| days.iter().copied().min().unwrap_or(0);
    let first = |days: &[u32]| days.iter().copied().max().unwrap_or(0);
    let severity = match concern {
        Concern::Rotation if row.days_overdue > CRITICAL_AFTER_DAYS => Severity::Critical,
        Concern::Rotation if row.days_overdue > 0 => Severity::High,
        Concern::Rotation if row.days_remaining <= last(tiers) => Severity::Medium,
        Concern::Rotation if row.days_remaining <= first(tiers) => Severity::Low,
        Concern::Rotation => Severity::Informational,
        Concern::PasswordExpiry if row.days_remaining <= last(password_tiers) => Severity::Medium,
        Concern::PasswordExpiry => Severity::Low,
        Concern::Unused | Concern::PasswordUnused | Concern::RootKey => Severity::Medium,
    };
    let used = match row.last_used {
        LastUse::On(date) => iso(date),
        LastUse::Never | LastUse::Unread => "never".to_string(),
    };
    // The masked id, in ASCII (`AKIA-WXYZ`), with the creation date: a
    // masked id alone could name two keys.
    let key = row.access_key_id.replace('…', "-");
    let subject = match concern {
        Concern::Rotation => format!("{key}/{}", iso(row.created)),
        Concern::Unused => format!("{key}/{}/last-used-{used}", iso(row.created)),
        Concern::PasswordExpiry => format!(
            "{}/{}",
            row.user,
            row.password_expires.map(iso).unwrap_or_default()
        ),
        Concern::PasswordUnused => {
            format!("{}/{}/last-used-{used}", row.user, iso(row.created))
        }
        Concern::RootKey => String::new(),
    };
    let held = matches!(
        row.enforcement,
        Some(EnforcementState::Acted(
            Action::HeldByCap | Action::NoOneToWarn
        ))
    );
    Facts {
        id: format!("{GENERATOR_ID}/{account}/{}/{subject}", concern.code()),
        concern,
        severity,
        user: Some((row.user.clone(), row.user_arn.clone())),
        key: (!row.password).then(|| row.access_key_id.clone()),
        created: row.created,
        deadline: match concern {
            Concern::PasswordExpiry | Concern::PasswordUnused => row.password_expires,
            _ => Some(row.deadline),
        },
        days_remaining: row.days_remaining,
        days_overdue: row.days_overdue,
        unused_days: row.unused_days,
        blocked: row
            .rotation
            .as_ref()
            .is_some_and(|r| matches!(r, crate::model::KeyRotation::Blocked { .. })),
        held,
    }
}

/// The default product's ARN of `account` in `region`: where an account
/// imports its own findings.
pub fn product_arn(region: &str, account: &str) -> String {
    let partition = crate::organization::partition(Some(region));
    format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default")
}

/// A finding as ASFF has it (the AWS Security Finding Format): what
/// `scan --format asff` prints and BatchImportFindings takes. Only the
/// attributes this tool sets; `Workflow` never.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Finding {
    pub schema_version: &'static str,
    pub id: String,
    pub product_arn: String,
    pub generator_id: &'static str,
    pub aws_account_id: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub severity: FindingSeverity,
    pub title: String,
    pub description: String,
    pub remediation: Remediation,
    pub resources: Vec<Resource>,
    pub compliance: Compliance,
    pub record_state: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingSeverity {
    pub label: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource {
    #[serde(rename = "Type")]
    pub kind: &'static str,
    pub id: String,
    pub partition: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    pub status: &'static str,
}

/// ASFF's timestamp form.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_rises_with_the_deadline() {
        let tiers = [14, 7];
        let sev = |remaining: u32, overdue: u32| {
            let row = crate::outcome::report::tests_support::row("alice", remaining, overdue);
            facts("123456789012", &row, &tiers, &[]).severity
        };
        assert_eq!(sev(20, 0), Severity::Informational);
        assert_eq!(sev(14, 0), Severity::Low);
        assert_eq!(sev(8, 0), Severity::Low);
        assert_eq!(sev(7, 0), Severity::Medium);
        assert_eq!(sev(0, 0), Severity::Medium);
        assert_eq!(sev(0, 1), Severity::High);
        assert_eq!(sev(0, 30), Severity::High);
        assert_eq!(sev(0, 31), Severity::Critical);
    }

    #[test]
    fn the_id_is_stable_and_holds_no_full_key_id() {
        let row = crate::outcome::report::tests_support::row("alice", 5, 0);
        let f = facts("123456789012", &row, &[14, 7], &[]);
        assert_eq!(
            f.id,
            format!(
                "access-key-notifier/123456789012/rotation/AKIA-WXYZ/{}",
                iso(row.created)
            )
        );
        assert_eq!(f, facts("123456789012", &row, &[14, 7], &[]));
        assert_eq!(
            product_arn("ap-northeast-1", "123456789012"),
            "arn:aws:securityhub:ap-northeast-1:123456789012:product/123456789012/default"
        );
        assert!(product_arn("cn-north-1", "1").starts_with("arn:aws-cn:"));
    }
}
