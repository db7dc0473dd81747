//! The enforcement and exemptions section: `ENFORCE` and its settings, the
//! exemption tag and the exemption list's parameter.

use super::{ConfigError, err, parse_days, parse_tag_key};
use crate::enforcement::{EnforceMode, Enforcement};
use crate::mask::quote;

/// `variable` (`ENFORCE` or `ENFORCE_UNUSED`): `true`, `false` or
/// `dry_run`; any but `false` needs the ledger.
fn enforce_mode(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    ledger_table: Option<&str>,
) -> Result<EnforceMode, ConfigError> {
    super::mode_with_ledger(
        get,
        variable,
        ledger_table,
        "a key is deactivated only after a recorded warning",
    )
}

/// What the enforcement and exemption variables say.
pub(super) struct Enforcing {
    pub enforcement: Enforcement,
    pub exempt_tag: Option<String>,
    pub exempt_users_parameter: Option<String>,
}

/// `EXEMPT_TAG`, `ENFORCE` and `ENFORCE_UNUSED` (which need the ledger;
/// the latter also `UNUSED_KEY_DAYS`), `ENFORCE_GRACE_DAYS`,
/// `ENFORCE_MIN_WARNING_DAYS`, `ENFORCE_MAX_PER_DAY` (refusing the old
/// `ENFORCE_MAX_PER_RUN`) and
/// `EXEMPT_USERS_PARAMETER`.
pub(super) fn enforcing(
    get: &impl Fn(&str) -> Option<String>,
    ledger_table: Option<&str>,
    unused_key_days: u32,
) -> Result<Enforcing, ConfigError> {
    let exempt_tag = match get("EXEMPT_TAG") {
        None => None,
        Some(v) => Some(parse_tag_key("EXEMPT_TAG", Some(v), "")?),
    };
    // The per-invocation cap of earlier versions did not hold across
    // invocations; ignoring its name would silently drop the operator's
    // number for the default.
    if get("ENFORCE_MAX_PER_RUN").is_some() {
        return Err(err(
            "ENFORCE_MAX_PER_DAY",
            "replaces ENFORCE_MAX_PER_RUN, which is still set: unset it and give the most deactivations per account per calendar day here",
            "10",
        ));
    }
    let mode = enforce_mode(get, "ENFORCE", ledger_table)?;
    let unused_mode = enforce_mode(get, "ENFORCE_UNUSED", ledger_table)?;
    if unused_mode != EnforceMode::Off && unused_key_days == 0 {
        return Err(err(
            "ENFORCE_UNUSED",
            "needs UNUSED_KEY_DAYS: no key is unused while the unused-key policy is off",
            "dry_run",
        ));
    }
    let bounded = |variable: &'static str,
                   default: u32,
                   range: std::ops::RangeInclusive<u32>,
                   example: &'static str| {
        match get(variable) {
            None => Ok(default),
            Some(v) => parse_days(&v).filter(|n| range.contains(n)).ok_or_else(|| {
                err(
                    variable,
                    format!(
                        "`{}` is not a whole number from {} to {}",
                        quote(&v),
                        range.start(),
                        range.end()
                    ),
                    example,
                )
            }),
        }
    };
    let enforcement = Enforcement {
        mode,
        unused_mode,
        // Set with the password settings (config/passwords.rs).
        password_mode: EnforceMode::Off,
        grace_days: bounded(
            "ENFORCE_GRACE_DAYS",
            Enforcement::DEFAULT_GRACE_DAYS,
            0..=365,
            "7",
        )?,
        min_warning_days: bounded(
            "ENFORCE_MIN_WARNING_DAYS",
            Enforcement::DEFAULT_MIN_WARNING_DAYS,
            0..=90,
            "3",
        )?,
        max_per_day: bounded(
            "ENFORCE_MAX_PER_DAY",
            Enforcement::DEFAULT_MAX_PER_DAY,
            1..=1000,
            "10",
        )?,
    };
    let exempt_users_parameter = match get("EXEMPT_USERS_PARAMETER") {
        None => None,
        Some(v) => {
            let v = v.trim().to_string();
            // A full path, so the template's ARN for it is exact:
            // `arn:…:parameter/path/name` (SSM: names of letters,
            // digits and `_.-/`, at most 2048 characters).
            let ok = v.starts_with('/')
                && (2..=2048).contains(&v.len())
                && !v.contains("//")
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-/".contains(c));
            if !ok {
                return Err(err(
                    "EXEMPT_USERS_PARAMETER",
                    format!(
                        "`{}` is not a Parameter Store name with its full path (/, letters, digits, _ . -)",
                        quote(&v)
                    ),
                    "/access-key-notifier/exempt-users",
                ));
            }
            Some(v)
        }
    };
    Ok(Enforcing {
        enforcement,
        exempt_tag,
        exempt_users_parameter,
    })
}
