//! The report's words for a terminal and a spreadsheet: `scan --format
//! table` and `scan --format csv`, one row per due key in the report's
//! order (overdue, within a tier, unused, the console passwords, exempt),
//! the same fifteen columns. A console password's row names it
//! `console-password` and fills `password_last_used` and
//! `password_expires` where a key's fills `last_used`.

use crate::outcome::report::{PasswordExpiry, Report, ReportKey};

const COLUMNS: [&str; 15] = [
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
    "rotation",
    "last_used",
    "unused_days",
    "password_last_used",
    "password_expires",
];

/// The report as an aligned text table.
pub(crate) fn table(report: &Report) -> String {
    let header = COLUMNS.map(str::to_string).to_vec();
    let rows: Vec<Vec<String>> = std::iter::once(header)
        .chain(report.keys().map(row))
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
    if let Some(why) = password_expiry_note(report.password_expiry) {
        out.push_str(&format!("\nconsole password expiry: {why}\n"));
    }
    out
}

/// Why console passwords' expiry is not told, when it was asked for and
/// cannot be.
fn password_expiry_note(expiry: PasswordExpiry) -> Option<&'static str> {
    match expiry {
        PasswordExpiry::Off | PasswordExpiry::Told { .. } => None,
        PasswordExpiry::NoPasswordPolicy => {
            Some("not told: the account has no password policy, so no console password expires")
        }
        PasswordExpiry::NoMaxPasswordAge => Some(
            "not told: the account's password policy sets no MaxPasswordAge, so no console password expires",
        ),
    }
}

/// The report as CSV, RFC 4180 (the `csv` crate's writer: quotes where a
/// cell needs them, lines ended by CRLF), no cell starting a spreadsheet
/// formula ([`not_a_formula`]).
pub(crate) fn csv(report: &Report) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let rows = std::iter::once(COLUMNS.map(str::to_string).to_vec()).chain(report.keys().map(row));
    for r in rows {
        let cells = r.iter().map(|c| not_a_formula(c));
        // Writing to memory fails only on a defect of the writer itself.
        if writer.write_record(cells).is_err() {
            break;
        }
    }
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}

fn row(k: &ReportKey) -> Vec<String> {
    let days = if k.days_overdue > 0 {
        format!("-{}", k.days_overdue)
    } else {
        k.days_remaining.to_string()
    };
    // A console password's deadline is its expiry, when its policy has
    // one; otherwise it has none.
    let (deadline, days) = match (k.password, k.password_expires) {
        (false, _) => (crate::calendar::iso(k.deadline), days),
        (true, Some(expires)) => (crate::calendar::iso(expires), days),
        (true, None) => (String::new(), String::new()),
    };
    vec![
        k.user.clone(),
        k.access_key_id.clone(),
        k.created.to_string(),
        deadline,
        days,
        k.stage.code(),
        k.owner.code().to_string(),
        k.exempt.to_string(),
        k.notice.code().to_string(),
        k.enforcement.map(|e| e.code()).unwrap_or_default(),
        k.rotation
            .as_ref()
            .map(|r| r.code().to_string())
            .unwrap_or_default(),
        if k.password {
            String::new()
        } else {
            k.last_used.code()
        },
        k.unused_days.map(|d| d.to_string()).unwrap_or_default(),
        if k.password {
            k.last_used.code()
        } else {
            String::new()
        },
        k.password_expires
            .map(crate::calendar::iso)
            .unwrap_or_default(),
    ]
}

/// A cell that would start a spreadsheet formula (`=`, `+`, `-`, `@`; IAM
/// user names may start with `=`, `+`, `-` or `@`) is prefixed with `'`;
/// a negative number (the days column) is left as it is.
fn not_a_formula(c: &str) -> String {
    if c.starts_with(['=', '+', '-', '@']) && c.parse::<i64>().is_err() {
        format!("'{c}")
    } else {
        c.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_cell_starts_a_formula_and_numbers_stay_numbers() {
        assert_eq!(not_a_formula("alice"), "alice");
        assert_eq!(not_a_formula("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(not_a_formula("+1"), "+1");
        assert_eq!(not_a_formula("-5"), "-5");
        assert_eq!(not_a_formula("@user"), "'@user");
        assert_eq!(not_a_formula("-x"), "'-x");
    }
}
