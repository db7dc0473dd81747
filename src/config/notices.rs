//! The notices' section: the sender, the deadline and its tiers, who is
//! mailed in which language and time zone, reminders, the digest, dry runs.

use std::collections::BTreeSet;

use chrono_tz::Tz;

use super::{ConfigError, MAX_RECIPIENTS, err, parse_days};
use crate::address::{self, Address};
use crate::decision::{NoticeRule, Policy};
use crate::mask::quote;
use crate::model::Locale;

/// What the notices' variables say.
pub(super) struct Notices {
    pub sender: Address,
    /// Without the exemption tag, which the exemptions' section reads.
    pub policy: Policy,
    pub ses_configuration_set: Option<String>,
    pub dry_run: bool,
    pub digest_recipients: Vec<Address>,
}

/// `SENDER_ADDRESS`, `MAX_KEY_AGE_DAYS`, `NOTICE_RULES`, the recipients and
/// tags, `LOCALE`, `TIME_ZONE`, `SES_CONFIGURATION_SET`, `DRY_RUN`,
/// `OVERDUE_REMINDER_DAYS`, `UNUSED_KEY_DAYS`, `UNUSED_RULES` and
/// `DIGEST_RECIPIENTS`.
pub(super) fn notices(get: &impl Fn(&str) -> Option<String>) -> Result<Notices, ConfigError> {
    let sender = match get("SENDER_ADDRESS") {
        None => return Err(err("SENDER_ADDRESS", "is required", EX_SENDER)),
        Some(v) => address::parse(&v).map_err(|r| {
            err(
                "SENDER_ADDRESS",
                format!("is not one plain address ({r})"),
                EX_SENDER,
            )
        })?,
    };
    let max_key_age_days = match get("MAX_KEY_AGE_DAYS") {
        None => 90,
        Some(v) => parse_days(&v)
            .filter(|d| (1..=3650).contains(d))
            .ok_or_else(|| {
                err(
                    "MAX_KEY_AGE_DAYS",
                    format!(
                        "`{}` is not a whole number of days from 1 to 3650",
                        quote(&v)
                    ),
                    "90",
                )
            })?,
    };
    let notice_rules = parse_notice_rules(
        get("NOTICE_RULES")
            .as_deref()
            .unwrap_or(DEFAULT_NOTICE_RULES),
        max_key_age_days,
    )?;
    let allowed_domains = parse_domains(get("ALLOWED_RECIPIENT_DOMAINS"))?;
    let fallback_recipients = parse_addresses("FALLBACK_RECIPIENTS", get("FALLBACK_RECIPIENTS"))?;
    let cc_recipients = parse_addresses("CC_RECIPIENTS", get("CC_RECIPIENTS"))?;
    if fallback_recipients.len() + cc_recipients.len() >= MAX_RECIPIENTS {
        return Err(err(
            "CC_RECIPIENTS",
            format!(
                "fallback and CC lists together leave no room for the owner within SES's {MAX_RECIPIENTS} recipients"
            ),
            EX_ADDRESSES,
        ));
    }
    let owner_email_tag = parse_tag_key("OWNER_EMAIL_TAG", get("OWNER_EMAIL_TAG"), "Email")?;
    let owner_locale_tag = parse_tag_key("OWNER_LOCALE_TAG", get("OWNER_LOCALE_TAG"), "Locale")?;
    let default_locale = match get("LOCALE") {
        None => Locale::En,
        Some(v) => Locale::from_tag(&v).ok_or_else(|| {
            err(
                "LOCALE",
                format!("`{}` is not `en` or `ja`", quote(&v)),
                "ja",
            )
        })?,
    };
    let time_zone = match get("TIME_ZONE") {
        None => Tz::UTC,
        Some(v) => v.trim().parse::<Tz>().map_err(|_| {
            err(
                "TIME_ZONE",
                format!("`{}` is not an IANA time zone name", quote(&v)),
                "Asia/Tokyo",
            )
        })?,
    };
    let ses_configuration_set = match get("SES_CONFIGURATION_SET") {
        None => None,
        Some(v) => {
            let v = v.trim().to_string();
            let ok = v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                return Err(err(
                    "SES_CONFIGURATION_SET",
                    format!(
                        "`{}` is not a configuration set name (letters, digits, - and _, at most 64)",
                        quote(&v)
                    ),
                    "key-notices",
                ));
            }
            Some(v)
        }
    };
    let dry_run = super::flag(get, "DRY_RUN")?;

    let overdue_reminder_days =
        days_from_zero(get, "OVERDUE_REMINDER_DAYS", (7, 365), "no reminders", "7")?;
    let unused_key_days = days_from_zero(get, "UNUSED_KEY_DAYS", (0, 3650), "off", "90")?;
    let unused_rules = unused_rules(get("UNUSED_RULES"), &notice_rules)?;
    if unused_key_days == 0 && !unused_rules.is_empty() {
        return Err(err(
            "UNUSED_RULES",
            "names rules while UNUSED_KEY_DAYS is 0 (off): set UNUSED_KEY_DAYS to the rules' maxCredentialUsageAge",
            "iam-user-unused-credentials-check",
        ));
    }
    let digest_recipients = parse_addresses("DIGEST_RECIPIENTS", get("DIGEST_RECIPIENTS"))?;
    if digest_recipients.len() > MAX_RECIPIENTS {
        return Err(err(
            "DIGEST_RECIPIENTS",
            format!("more than SES's {MAX_RECIPIENTS} recipients of one message"),
            EX_ADDRESSES,
        ));
    }
    Ok(Notices {
        sender,
        policy: Policy {
            max_key_age_days,
            notice_rules,
            owner_email_tag,
            owner_locale_tag,
            exempt_tag: None,
            fallback_recipients,
            cc_recipients,
            allowed_domains,
            default_locale,
            time_zone,
            overdue_reminder_days,
            unused_key_days,
            // Set with the password settings (config/passwords.rs).
            password_notice_days: Vec::new(),
            unused_password_days: 0,
            unused_rules,
            // Set with the enforcement settings (config/enforcement.rs).
            unused_listed_first: false,
        },
        ses_configuration_set,
        dry_run,
        digest_recipients,
    })
}

/// A whole number of days from 0 (`zero` says what 0 means) to `max`, or
/// `default` when unset.
fn days_from_zero(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    (default, max): (u32, u32),
    zero: &str,
    example: &'static str,
) -> Result<u32, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(v) => parse_days(&v).filter(|d| *d <= max).ok_or_else(|| {
            err(
                variable,
                format!(
                    "`{}` is not a whole number of days from 0 ({zero}) to {max}",
                    quote(&v)
                ),
                example,
            )
        }),
    }
}

/// `UNUSED_RULES`: the names of `iam-user-unused-credentials-check` rules,
/// comma-separated, each a Config rule name (1 to 128 of letters, digits,
/// `-` and `_`) and none an age rule of `NOTICE_RULES`.
fn unused_rules(
    value: Option<String>,
    notice_rules: &[NoticeRule],
) -> Result<Vec<String>, ConfigError> {
    const EX: &str = "iam-user-unused-credentials-check";
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut names: Vec<String> = Vec::new();
    for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let valid = name.len() <= 128
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !valid {
            return Err(err(
                "UNUSED_RULES",
                format!("`{}` is not a Config rule name", quote(name)),
                EX,
            ));
        }
        if notice_rules.iter().any(|r| r.name == name) {
            return Err(err(
                "UNUSED_RULES",
                format!("`{name}` is also an age rule of NOTICE_RULES"),
                EX,
            ));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(names)
}

pub(crate) const DEFAULT_NOTICE_RULES: &str = "access-keys-rotated-1=7,access-keys-rotated-2=14";
const EX_SENDER: &str = "key-notices@example.com";
const EX_ADDRESSES: &str = "security@example.com,platform@example.com";
const EX_NOTICE_RULES: &str = "access-keys-rotated-1=7,access-keys-rotated-2=14";

/// `name=days,name=days`: Config rule names (1-128 of letters, digits, `-`
/// and `_`), each tier strictly before the deadline, no name or tier twice.
fn parse_notice_rules(v: &str, max_key_age_days: u32) -> Result<Vec<NoticeRule>, ConfigError> {
    let bad = |problem: String| err("NOTICE_RULES", problem, EX_NOTICE_RULES);
    let mut rules: Vec<NoticeRule> = Vec::new();
    let mut names = BTreeSet::new();
    let mut tiers = BTreeSet::new();
    for entry in v.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, days) = entry
            .split_once('=')
            .ok_or_else(|| bad(format!("`{}` is not `rule-name=days`", quote(entry))))?;
        let name = name.trim();
        if !crate::event::is_config_rule_name(name) {
            return Err(bad(format!(
                "`{}` is not a Config rule name (letters, digits, - and _, at most 128)",
                quote(name)
            )));
        }
        let days = parse_days(days).ok_or_else(|| {
            bad(format!(
                "`{}` in `{}` is not a whole number of days",
                quote(days),
                quote(entry)
            ))
        })?;
        if days >= max_key_age_days {
            return Err(bad(format!(
                "{days} days before the deadline is not less than MAX_KEY_AGE_DAYS ({max_key_age_days})"
            )));
        }
        if !names.insert(name.to_string()) {
            return Err(bad(format!("rule `{name}` is listed twice")));
        }
        if !tiers.insert(days) {
            return Err(bad(format!(
                "two rules notify {days} days before the deadline; each tier needs its own number of days"
            )));
        }
        rules.push(NoticeRule {
            name: name.to_string(),
            days_before_deadline: days,
        });
    }
    if rules.is_empty() {
        return Err(bad("names no rule".to_string()));
    }
    Ok(rules)
}

fn parse_addresses(variable: &'static str, v: Option<String>) -> Result<Vec<Address>, ConfigError> {
    let mut out: Vec<Address> = Vec::new();
    for raw in v.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if raw.is_empty() {
            continue;
        }
        let a = address::parse(raw).map_err(|r| {
            err(
                variable,
                format!("`{}` is not one plain address ({r})", quote(raw)),
                EX_ADDRESSES,
            )
        })?;
        if !out.iter().any(|o| o.same_mailbox(&a)) {
            out.push(a);
        }
    }
    Ok(out)
}

fn parse_domains(v: Option<String>) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    for d in v.iter().flat_map(|v| v.split(',')).map(str::trim) {
        if d.is_empty() {
            continue;
        }
        if !address::is_hostname(d) {
            return Err(err(
                "ALLOWED_RECIPIENT_DOMAINS",
                format!("`{}` is not a domain name", quote(d)),
                "example.com,example.co.jp",
            ));
        }
        out.push(d.to_ascii_lowercase());
    }
    Ok(out)
}

/// IAM tag keys: 1-128 characters of letters, digits, spaces and `_.:/=+-@`.
pub(super) fn parse_tag_key(
    variable: &'static str,
    v: Option<String>,
    default: &str,
) -> Result<String, ConfigError> {
    let v = v.unwrap_or_else(|| default.to_string()).trim().to_string();
    let ok = (1..=128).contains(&v.chars().count())
        && v.chars()
            .all(|c| c.is_alphanumeric() || " _.:/=+-@".contains(c));
    if ok {
        Ok(v)
    } else {
        Err(err(
            variable,
            format!("`{}` is not an IAM tag key", quote(&v)),
            "Email",
        ))
    }
}
