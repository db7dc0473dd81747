//! The console passwords section: `PASSWORD_NOTICE_DAYS`,
//! `UNUSED_PASSWORD_DAYS`, `ENFORCE_UNUSED_PASSWORDS` (console passwords
//! on the keys' path, `password`).

use super::{ConfigError, err, parse_days};
use crate::enforcement::EnforceMode;
use crate::mask::quote;

/// What the password variables say.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Passwords {
    /// The expiry tiers, largest first; empty: off.
    pub notice_days: Vec<u32>,
    pub unused_days: u32,
    pub mode: EnforceMode,
}

/// The password variables, checked. Either policy needs the ledger: each
/// tier and each unused period is told once, which only the ledger
/// remembers.
pub(super) fn passwords(
    get: &impl Fn(&str) -> Option<String>,
    ledger_table: Option<&str>,
) -> Result<Passwords, ConfigError> {
    const EX_TIERS: &str = "14,7";
    let mut notice_days = Vec::new();
    if let Some(v) = get("PASSWORD_NOTICE_DAYS") {
        for part in v.split(',') {
            let days = parse_days(part).filter(|d| (1..=90).contains(d));
            match days {
                Some(d) if !notice_days.contains(&d) => notice_days.push(d),
                Some(d) => {
                    return Err(err(
                        "PASSWORD_NOTICE_DAYS",
                        format!("{d} days is given twice"),
                        EX_TIERS,
                    ));
                }
                None => {
                    return Err(err(
                        "PASSWORD_NOTICE_DAYS",
                        format!(
                            "`{}` is not a whole number of days from 1 to 90",
                            quote(part.trim())
                        ),
                        EX_TIERS,
                    ));
                }
            }
        }
        notice_days.sort_unstable_by(|a, b| b.cmp(a));
    }
    let unused_days = match get("UNUSED_PASSWORD_DAYS") {
        None => 0,
        Some(v) => parse_days(&v).filter(|d| *d <= 3650).ok_or_else(|| {
            err(
                "UNUSED_PASSWORD_DAYS",
                format!(
                    "`{}` is not a whole number of days from 0 (off) to 3650",
                    quote(&v)
                ),
                "90",
            )
        })?,
    };
    for (on, variable, example) in [
        (!notice_days.is_empty(), "PASSWORD_NOTICE_DAYS", EX_TIERS),
        (unused_days > 0, "UNUSED_PASSWORD_DAYS", "90"),
    ] {
        if on && ledger_table.is_none() {
            return Err(err(
                variable,
                "needs the notice ledger (LEDGER_TABLE): each tier and each unused period of a password is told once, which only the ledger remembers",
                example,
            ));
        }
    }
    let mode = super::mode_with_ledger(
        get,
        "ENFORCE_UNUSED_PASSWORDS",
        ledger_table,
        "a password is removed only after a recorded warning",
    )?;
    if mode != EnforceMode::Off && unused_days == 0 {
        return Err(err(
            "ENFORCE_UNUSED_PASSWORDS",
            "needs UNUSED_PASSWORD_DAYS: no password is unused while the unused-password policy is off",
            "dry_run",
        ));
    }
    Ok(Passwords {
        notice_days,
        unused_days,
        mode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Passwords, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        let ledger = map.get("LEDGER_TABLE").map(|s| s.to_string());
        passwords(&|k| map.get(k).map(|v| v.to_string()), ledger.as_deref())
    }

    #[test]
    fn off_by_default_and_every_variable_read() {
        assert_eq!(
            read(&[]).unwrap(),
            Passwords {
                notice_days: Vec::new(),
                unused_days: 0,
                mode: EnforceMode::Off
            }
        );
        let p = read(&[
            ("PASSWORD_NOTICE_DAYS", "7, 14,1"),
            ("UNUSED_PASSWORD_DAYS", "90"),
            ("ENFORCE_UNUSED_PASSWORDS", "dry_run"),
            ("LEDGER_TABLE", "akn-ledger"),
        ])
        .unwrap();
        assert_eq!(p.notice_days, vec![14, 7, 1]);
        assert_eq!((p.unused_days, p.mode), (90, EnforceMode::DryRun));
    }

    #[test]
    fn each_bad_value_is_refused_naming_its_variable() {
        for (vars, variable) in [
            (
                vec![("PASSWORD_NOTICE_DAYS", "14,x")],
                "PASSWORD_NOTICE_DAYS",
            ),
            (vec![("PASSWORD_NOTICE_DAYS", "0")], "PASSWORD_NOTICE_DAYS"),
            (
                vec![("PASSWORD_NOTICE_DAYS", "7,7")],
                "PASSWORD_NOTICE_DAYS",
            ),
            (vec![("PASSWORD_NOTICE_DAYS", "14")], "PASSWORD_NOTICE_DAYS"),
            (vec![("UNUSED_PASSWORD_DAYS", "-1")], "UNUSED_PASSWORD_DAYS"),
            (vec![("UNUSED_PASSWORD_DAYS", "30")], "UNUSED_PASSWORD_DAYS"),
            (
                vec![
                    ("ENFORCE_UNUSED_PASSWORDS", "true"),
                    ("LEDGER_TABLE", "t-1"),
                ],
                "ENFORCE_UNUSED_PASSWORDS",
            ),
            (
                vec![("ENFORCE_UNUSED_PASSWORDS", "yes"), ("LEDGER_TABLE", "t-1")],
                "ENFORCE_UNUSED_PASSWORDS",
            ),
        ] {
            assert_eq!(read(&vars).unwrap_err().variable, variable, "{vars:?}");
        }
    }
}
