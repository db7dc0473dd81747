//! Typed configuration, read once at cold start from the environment.
//!
//! Every variable of the design's table is parsed and validated here, so a
//! bad deployment fails at start with a message naming the variable and an
//! accepted example instead of failing later inside one event. An empty
//! value means "not set" (CloudFormation passes empty strings for optional
//! parameters).

use std::collections::BTreeSet;
use std::fmt;

use chrono_tz::Tz;

use crate::address::{self, Address};
use crate::decision::{Locale, NoticeRule, Policy};
use crate::enforcement::{EnforceMode, Enforcement};
use crate::mask::quote;
use crate::organization::{Organization, is_account_id};

/// SES accepts at most 50 recipients per message.
const MAX_RECIPIENTS: usize = 50;

/// A configuration value that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{variable}: {problem} (example: {variable}={example})")]
pub struct ConfigError {
    pub variable: &'static str,
    pub problem: String,
    pub example: &'static str,
}

/// Everything the function is told by its environment.
#[derive(Debug, Clone)]
pub struct Config {
    pub sender: Address,
    pub policy: Policy,
    pub ses_configuration_set: Option<String>,
    pub dry_run: bool,
    /// The notice ledger's DynamoDB table; `None`: the Config path runs
    /// statelessly (see `decision`, rule 5).
    pub ledger_table: Option<String>,
    /// Who receives each sweep's digest; empty: no digest.
    pub digest_recipients: Vec<Address>,
    /// How many users the sweep reads from IAM at once.
    pub sweep_concurrency: usize,
    /// Whether and how the deadline is enforced (`enforcement`).
    pub enforcement: Enforcement,
    /// The Parameter Store parameter listing exempt users.
    pub exempt_users_parameter: Option<String>,
    /// Organizations mode (`MEMBER_ROLE_NAME` set): the accounts served
    /// and how they are reached; `None`: a single-account deployment.
    pub organization: Option<Organization>,
}

impl Config {
    /// Whether enforcement changes keys in this run: `ENFORCE=true` and not
    /// a dry run.
    pub fn enforcement_acts(&self) -> bool {
        self.enforcement.mode == EnforceMode::On && !self.dry_run
    }
}

/// The sweep's default concurrency: IAM's request quota is shared by the
/// whole account (IAM and AWS STS quotas, IAM User Guide: request rates are
/// throttled per account, not published as a number), so the sweep keeps a
/// few calls in flight rather than as many as it could.
pub const DEFAULT_SWEEP_CONCURRENCY: usize = 8;
/// The most users read at once: past this, IAM throttles and the sweep gets
/// slower, not faster.
pub const MAX_SWEEP_CONCURRENCY: usize = 32;
/// The sender `scan` is configured with when `SENDER_ADDRESS` is unset: scan
/// sends nothing, so it needs none, and a reserved `.invalid` name can never
/// be mailed from.
pub const SCAN_SENDER: &str = "scan-sends-nothing@example.invalid";

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the process environment for `scan`, which sends nothing and so
    /// needs no `SENDER_ADDRESS` (every other variable is checked as usual).
    pub fn for_scan() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| match (name, std::env::var(name).ok()) {
            ("SENDER_ADDRESS", None) => Some(SCAN_SENDER.to_string()),
            ("SENDER_ADDRESS", Some(v)) if v.trim().is_empty() => Some(SCAN_SENDER.to_string()),
            (_, v) => v,
        })
    }

    /// Reads configuration through `lookup`, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

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
        let fallback_recipients =
            parse_addresses("FALLBACK_RECIPIENTS", get("FALLBACK_RECIPIENTS"))?;
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
        let owner_locale_tag =
            parse_tag_key("OWNER_LOCALE_TAG", get("OWNER_LOCALE_TAG"), "Locale")?;
        let exempt_tag = match get("EXEMPT_TAG") {
            None => None,
            Some(v) => Some(parse_tag_key("EXEMPT_TAG", Some(v), "")?),
        };
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
        let dry_run = match get("DRY_RUN").map(|v| v.trim().to_ascii_lowercase()) {
            None => false,
            Some(v) if v == "true" || v == "1" => true,
            Some(v) if v == "false" || v == "0" => false,
            Some(v) => {
                return Err(err(
                    "DRY_RUN",
                    format!("`{}` is not true or false", quote(&v)),
                    "true",
                ));
            }
        };

        // The event-id table of earlier versions is now the notice ledger.
        // Ignoring the old name would silently turn the ledger off.
        if get("IDEMPOTENCY_TABLE").is_some() {
            return Err(err(
                "LEDGER_TABLE",
                "replaces IDEMPOTENCY_TABLE, which is still set: unset it and name the ledger's table here (same table shape)",
                "access-key-notifier-ledger",
            ));
        }
        let ledger_table = match get("LEDGER_TABLE") {
            None => None,
            Some(v) => {
                let v = v.trim().to_string();
                let ok = (3..=255).contains(&v.len())
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
                if !ok {
                    return Err(err(
                        "LEDGER_TABLE",
                        format!(
                            "`{}` is not a DynamoDB table name (3-255 of letters, digits, _ . -)",
                            quote(&v)
                        ),
                        "access-key-notifier-ledger",
                    ));
                }
                Some(v)
            }
        };

        let overdue_reminder_days = match get("OVERDUE_REMINDER_DAYS") {
            None => 7,
            Some(v) => parse_days(&v).filter(|d| *d <= 365).ok_or_else(|| {
                err(
                    "OVERDUE_REMINDER_DAYS",
                    format!(
                        "`{}` is not a whole number of days from 0 (no reminders) to 365",
                        quote(&v)
                    ),
                    "7",
                )
            })?,
        };
        let digest_recipients = parse_addresses("DIGEST_RECIPIENTS", get("DIGEST_RECIPIENTS"))?;
        if digest_recipients.len() > MAX_RECIPIENTS {
            return Err(err(
                "DIGEST_RECIPIENTS",
                format!("more than SES's {MAX_RECIPIENTS} recipients of one message"),
                EX_ADDRESSES,
            ));
        }
        let sweep_concurrency = match get("SWEEP_CONCURRENCY") {
            None => DEFAULT_SWEEP_CONCURRENCY,
            Some(v) => v
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_SWEEP_CONCURRENCY).contains(n))
                .ok_or_else(|| {
                    err(
                        "SWEEP_CONCURRENCY",
                        format!(
                            "`{}` is not a whole number from 1 to {MAX_SWEEP_CONCURRENCY}",
                            quote(&v)
                        ),
                        "8",
                    )
                })?,
        };

        let mode = match get("ENFORCE").map(|v| v.trim().to_ascii_lowercase()) {
            None => EnforceMode::Off,
            Some(v) if v == "true" => EnforceMode::On,
            Some(v) if v == "false" => EnforceMode::Off,
            Some(v) if v == "dry_run" => EnforceMode::DryRun,
            Some(v) => {
                return Err(err(
                    "ENFORCE",
                    format!("`{}` is not true, false or dry_run", quote(&v)),
                    "dry_run",
                ));
            }
        };
        if mode != EnforceMode::Off && ledger_table.is_none() {
            return Err(err(
                "ENFORCE",
                "needs the notice ledger (LEDGER_TABLE): a key is deactivated only after a recorded warning",
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
            max_per_run: bounded(
                "ENFORCE_MAX_PER_RUN",
                Enforcement::DEFAULT_MAX_PER_RUN,
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

        let organization = parse_organization(&get)?;
        if organization.is_some() && ledger_table.is_none() {
            return Err(err(
                "LEDGER_TABLE",
                "is required with MEMBER_ROLE_NAME: the per-account sweeps and the Organization's digest keep their records in it",
                "access-key-notifier-ledger",
            ));
        }

        for variable in ENDPOINT_VARIABLES {
            if let Some(v) = get(variable) {
                check_endpoint(variable, &v)?;
            }
        }

        Ok(Config {
            sender,
            policy: Policy {
                max_key_age_days,
                notice_rules,
                owner_email_tag,
                owner_locale_tag,
                exempt_tag,
                fallback_recipients,
                cc_recipients,
                allowed_domains,
                default_locale,
                time_zone,
                overdue_reminder_days,
            },
            ses_configuration_set,
            dry_run,
            ledger_table,
            digest_recipients,
            sweep_concurrency,
            enforcement,
            exempt_users_parameter,
            organization,
        })
    }
}

const EX_ACCOUNTS: &str = "111111111111,222222222222";
const EX_ORGANIZATION_ROLE: &str = "arn:aws:iam::111111111111:role/access-key-notifier-accounts";
const EX_SWEEP_QUEUE: &str =
    "https://sqs.us-east-1.amazonaws.com/111111111111/access-key-notifier-sweep";

/// `MEMBER_ROLE_NAME` and the variables that only mean something with it.
fn parse_organization(
    get: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Organization>, ConfigError> {
    let Some(member_role) = get("MEMBER_ROLE_NAME") else {
        for (variable, example) in [
            ("ACCOUNTS", EX_ACCOUNTS),
            ("EXEMPT_ACCOUNTS", EX_ACCOUNTS),
            ("ORGANIZATION_ROLE_ARN", EX_ORGANIZATION_ROLE),
            ("SWEEP_QUEUE_URL", EX_SWEEP_QUEUE),
        ] {
            if get(variable).is_some() {
                return Err(err(
                    variable,
                    "only applies to an Organizations deployment: set MEMBER_ROLE_NAME too, or leave it empty",
                    example,
                ));
            }
        }
        return Ok(None);
    };
    let member_role = member_role.trim().to_string();
    // IAM role names: letters, digits and `+=,.@_-`, at most 64.
    if member_role.len() > 64
        || !member_role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(err(
            "MEMBER_ROLE_NAME",
            format!(
                "`{}` is not an IAM role name (letters, digits, +=,.@_-, at most 64)",
                quote(&member_role)
            ),
            "access-key-notifier-member",
        ));
    }
    let accounts = get("ACCOUNTS")
        .map(|v| parse_accounts("ACCOUNTS", &v))
        .transpose()?;
    let exempt_accounts = get("EXEMPT_ACCOUNTS")
        .map(|v| parse_accounts("EXEMPT_ACCOUNTS", &v))
        .transpose()?
        .unwrap_or_default();
    let organization_role_arn = match get("ORGANIZATION_ROLE_ARN") {
        None => None,
        Some(v) => {
            let v = v.trim().to_string();
            let parts: Vec<&str> = v.split(':').collect();
            let ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[1].starts_with("aws")
                && parts[2] == "iam"
                && parts[3].is_empty()
                && is_account_id(parts[4])
                && parts[5].starts_with("role/")
                && parts[5].len() > 5;
            if !ok {
                return Err(err(
                    "ORGANIZATION_ROLE_ARN",
                    format!("`{}` is not an IAM role ARN", quote(&v)),
                    EX_ORGANIZATION_ROLE,
                ));
            }
            Some(v)
        }
    };
    let Some(sweep_queue_url) = get("SWEEP_QUEUE_URL") else {
        return Err(err(
            "SWEEP_QUEUE_URL",
            "is required with MEMBER_ROLE_NAME: the sweep sends one message per account to it",
            EX_SWEEP_QUEUE,
        ));
    };
    check_endpoint("SWEEP_QUEUE_URL", &sweep_queue_url)?;
    Ok(Some(Organization {
        member_role,
        accounts,
        exempt_accounts,
        organization_role_arn,
        sweep_queue_url: sweep_queue_url.trim().to_string(),
    }))
}

/// A comma-separated list of account ids, each once.
fn parse_accounts(variable: &'static str, v: &str) -> Result<Vec<String>, ConfigError> {
    let mut ids: Vec<String> = Vec::new();
    for (i, entry) in v.split(',').map(str::trim).enumerate() {
        if !is_account_id(entry) {
            return Err(err(
                variable,
                format!(
                    "entry {} (`{}`) is not a 12-digit account id",
                    i + 1,
                    quote(entry)
                ),
                EX_ACCOUNTS,
            ));
        }
        if !ids.iter().any(|a| a == entry) {
            ids.push(entry.to_string());
        }
    }
    Ok(ids)
}

pub const DEFAULT_NOTICE_RULES: &str = "access-keys-rotated-1=7,access-keys-rotated-2=14";
const EX_SENDER: &str = "key-notices@example.com";
const EX_ADDRESSES: &str = "security@example.com,platform@example.com";
const EX_NOTICE_RULES: &str = "access-keys-rotated-1=7,access-keys-rotated-2=14";

/// The endpoint overrides the SDK reads (aws-config's
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, how the emulator
/// stands in for AWS). The SDK reads them itself; they are checked here
/// because a value that is not a URL fails every call the same way, and
/// should say so once, at start, as a configuration error.
const ENDPOINT_VARIABLES: [&str; 8] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_ENDPOINT_URL_SQS",
];

/// An endpoint URL: `http` or `https`, a host, nothing else required.
fn check_endpoint(variable: &'static str, v: &str) -> Result<(), ConfigError> {
    let uri = v.trim().parse::<http::Uri>().ok();
    let ok = uri.as_ref().is_some_and(|u| {
        matches!(u.scheme_str(), Some("http" | "https")) && u.host().is_some_and(|h| !h.is_empty())
    });
    if ok {
        Ok(())
    } else {
        Err(err(
            variable,
            format!("`{}` is not an http(s) URL with a host", quote(v)),
            "http://127.0.0.1:5000",
        ))
    }
}

fn err(variable: &'static str, problem: impl Into<String>, example: &'static str) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
        example,
    }
}

fn parse_days(v: &str) -> Option<u32> {
    v.trim().parse::<u32>().ok()
}

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
fn parse_tag_key(
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

impl fmt::Display for Config {
    /// A one-line summary for the start-up log; holds no secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rules: Vec<String> = self
            .policy
            .notice_rules
            .iter()
            .map(|r| format!("{}={}", r.name, r.days_before_deadline))
            .collect();
        write!(
            f,
            "notice rules {}, max key age {} days, overdue reminders every {} days, time zone {}, dry run {}, ledger table {}, digest recipients {}, sweep concurrency {}, {}",
            rules.join(","),
            self.policy.max_key_age_days,
            self.policy.overdue_reminder_days,
            self.policy.time_zone,
            self.dry_run,
            self.ledger_table.as_deref().unwrap_or("none (stateless)"),
            self.digest_recipients.len(),
            self.sweep_concurrency,
            match &self.organization {
                None => "one account".to_string(),
                Some(o) => format!(
                    "Organizations mode (member role {}, {} accounts, {} exempt)",
                    o.member_role,
                    o.accounts
                        .as_ref()
                        .map_or("the Organization's".to_string(), |a| a.len().to_string()),
                    o.exempt_accounts.len()
                ),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_design_table() {
        let c = config(&[("SENDER_ADDRESS", "noreply@example.com")]).unwrap();
        assert_eq!(c.sender.as_str(), "noreply@example.com");
        assert_eq!(c.policy.max_key_age_days, 90);
        let rules: Vec<(&str, u32)> = c
            .policy
            .notice_rules
            .iter()
            .map(|r| (r.name.as_str(), r.days_before_deadline))
            .collect();
        assert_eq!(
            rules,
            vec![("access-keys-rotated-1", 7), ("access-keys-rotated-2", 14)]
        );
        assert_eq!(c.policy.owner_email_tag, "Email");
        assert_eq!(c.policy.owner_locale_tag, "Locale");
        assert_eq!(c.policy.exempt_tag, None);
        assert!(c.policy.fallback_recipients.is_empty());
        assert!(c.policy.allowed_domains.is_empty());
        assert_eq!(c.policy.default_locale, Locale::En);
        assert_eq!(c.policy.time_zone, Tz::UTC);
        assert_eq!(c.ses_configuration_set, None);
        assert!(!c.dry_run);
        assert_eq!(c.ledger_table, None);
        assert_eq!(c.policy.overdue_reminder_days, 7);
        assert!(c.digest_recipients.is_empty());
        assert_eq!(c.sweep_concurrency, 8);
        assert_eq!(c.enforcement, Enforcement::off());
        assert_eq!(c.enforcement.min_warning_days, 3);
        assert_eq!(c.enforcement.max_per_run, 10);
        assert_eq!(c.exempt_users_parameter, None);
        assert!(!c.enforcement_acts());
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("SENDER_ADDRESS", "noreply@example.com"),
            ("NOTICE_RULES", "r30=30, r5=5"),
            ("MAX_KEY_AGE_DAYS", "60"),
            ("OWNER_EMAIL_TAG", "owner-email"),
            ("OWNER_LOCALE_TAG", "lang"),
            ("EXEMPT_TAG", "KeyRotationExempt"),
            (
                "FALLBACK_RECIPIENTS",
                "a@example.com, b@example.com,A@example.com",
            ),
            ("CC_RECIPIENTS", "sec@example.com"),
            ("ALLOWED_RECIPIENT_DOMAINS", "Example.com,example.co.jp"),
            ("SES_CONFIGURATION_SET", "notices"),
            ("LOCALE", "ja"),
            ("TIME_ZONE", "Asia/Tokyo"),
            ("DRY_RUN", "TRUE"),
            ("LEDGER_TABLE", "akn-ledger"),
            ("OVERDUE_REMINDER_DAYS", "0"),
            ("DIGEST_RECIPIENTS", "sec-lead@example.com"),
            ("SWEEP_CONCURRENCY", "16"),
            ("ENFORCE", "Dry_Run"),
            ("ENFORCE_GRACE_DAYS", "7"),
            ("ENFORCE_MIN_WARNING_DAYS", "5"),
            ("ENFORCE_MAX_PER_RUN", "25"),
            ("EXEMPT_USERS_PARAMETER", "/akn/exempt-users"),
        ])
        .unwrap();
        assert_eq!(
            c.enforcement,
            Enforcement {
                mode: EnforceMode::DryRun,
                grace_days: 7,
                min_warning_days: 5,
                max_per_run: 25,
            }
        );
        assert_eq!(
            c.exempt_users_parameter.as_deref(),
            Some("/akn/exempt-users")
        );
        assert_eq!(c.policy.overdue_reminder_days, 0);
        assert_eq!(c.digest_recipients[0].as_str(), "sec-lead@example.com");
        assert_eq!(c.sweep_concurrency, 16);
        assert_eq!(c.policy.max_key_age_days, 60);
        assert_eq!(c.policy.notice_rules[1].name, "r5");
        assert_eq!(c.policy.owner_email_tag, "owner-email");
        assert_eq!(c.policy.owner_locale_tag, "lang");
        assert_eq!(c.policy.exempt_tag.as_deref(), Some("KeyRotationExempt"));
        assert_eq!(c.policy.fallback_recipients.len(), 2, "duplicates dropped");
        assert_eq!(c.policy.cc_recipients[0].as_str(), "sec@example.com");
        assert_eq!(
            c.policy.allowed_domains,
            vec!["example.com", "example.co.jp"]
        );
        assert_eq!(c.ses_configuration_set.as_deref(), Some("notices"));
        assert_eq!(c.policy.default_locale, Locale::Ja);
        assert_eq!(c.policy.time_zone, chrono_tz::Asia::Tokyo);
        assert!(c.dry_run);
        assert_eq!(c.ledger_table.as_deref(), Some("akn-ledger"));
    }

    #[test]
    fn each_bad_value_names_its_variable_and_an_example() {
        let sender = ("SENDER_ADDRESS", "noreply@example.com");
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "SENDER_ADDRESS"),
            (
                &[("SENDER_ADDRESS", "Key Bot <bot@example.com>")],
                "SENDER_ADDRESS",
            ),
            (&[sender, ("NOTICE_RULES", "rule-1")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", "rule-1=seven")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", "rule-1=90")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", "a=7,a=14")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", "a=7,b=7")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", "bad name=7")], "NOTICE_RULES"),
            (&[sender, ("NOTICE_RULES", " , ")], "NOTICE_RULES"),
            (&[sender, ("MAX_KEY_AGE_DAYS", "0")], "MAX_KEY_AGE_DAYS"),
            (&[sender, ("MAX_KEY_AGE_DAYS", "-5")], "MAX_KEY_AGE_DAYS"),
            (
                &[sender, ("FALLBACK_RECIPIENTS", "ops team")],
                "FALLBACK_RECIPIENTS",
            ),
            (
                &[sender, ("CC_RECIPIENTS", "Sec <s@example.com>")],
                "CC_RECIPIENTS",
            ),
            (
                &[sender, ("ALLOWED_RECIPIENT_DOMAINS", "@example.com")],
                "ALLOWED_RECIPIENT_DOMAINS",
            ),
            (
                &[sender, ("SES_CONFIGURATION_SET", "a b")],
                "SES_CONFIGURATION_SET",
            ),
            (&[sender, ("LOCALE", "fr")], "LOCALE"),
            (&[sender, ("TIME_ZONE", "Mars/Olympus")], "TIME_ZONE"),
            (&[sender, ("DRY_RUN", "yes please")], "DRY_RUN"),
            (&[sender, ("LEDGER_TABLE", "a b")], "LEDGER_TABLE"),
            (
                &[sender, ("OVERDUE_REMINDER_DAYS", "weekly")],
                "OVERDUE_REMINDER_DAYS",
            ),
            (
                &[sender, ("OVERDUE_REMINDER_DAYS", "366")],
                "OVERDUE_REMINDER_DAYS",
            ),
            (
                &[sender, ("DIGEST_RECIPIENTS", "the team")],
                "DIGEST_RECIPIENTS",
            ),
            (&[sender, ("SWEEP_CONCURRENCY", "0")], "SWEEP_CONCURRENCY"),
            (&[sender, ("SWEEP_CONCURRENCY", "33")], "SWEEP_CONCURRENCY"),
            (&[sender, ("OWNER_EMAIL_TAG", "a\nb")], "OWNER_EMAIL_TAG"),
            (&[sender, ("ENFORCE", "yes")], "ENFORCE"),
            (&[sender, ("ENFORCE", "true")], "ENFORCE"),
            (
                &[
                    sender,
                    ("LEDGER_TABLE", "t-1"),
                    ("ENFORCE_GRACE_DAYS", "-1"),
                ],
                "ENFORCE_GRACE_DAYS",
            ),
            (
                &[sender, ("ENFORCE_MIN_WARNING_DAYS", "91")],
                "ENFORCE_MIN_WARNING_DAYS",
            ),
            (
                &[sender, ("ENFORCE_MAX_PER_RUN", "0")],
                "ENFORCE_MAX_PER_RUN",
            ),
            (
                &[sender, ("EXEMPT_USERS_PARAMETER", "exempt-users")],
                "EXEMPT_USERS_PARAMETER",
            ),
            (
                &[sender, ("EXEMPT_USERS_PARAMETER", "/a b")],
                "EXEMPT_USERS_PARAMETER",
            ),
            (
                &[sender, ("AWS_ENDPOINT_URL", "not a url")],
                "AWS_ENDPOINT_URL",
            ),
            (
                &[sender, ("AWS_ENDPOINT_URL", "http://")],
                "AWS_ENDPOINT_URL",
            ),
            (
                &[sender, ("AWS_ENDPOINT_URL", "localhost:5000")],
                "AWS_ENDPOINT_URL",
            ),
            (
                &[sender, ("AWS_ENDPOINT_URL_IAM", "ftp://127.0.0.1")],
                "AWS_ENDPOINT_URL_IAM",
            ),
            (&[sender, ("ACCOUNTS", "111111111111")], "ACCOUNTS"),
            (
                &[sender, ("SWEEP_QUEUE_URL", "https://q")],
                "SWEEP_QUEUE_URL",
            ),
            (
                &[sender, ("MEMBER_ROLE_NAME", "a role")],
                "MEMBER_ROLE_NAME",
            ),
            (
                &[
                    sender,
                    ("MEMBER_ROLE_NAME", "akn-member"),
                    ("LEDGER_TABLE", "akn-ledger"),
                ],
                "SWEEP_QUEUE_URL",
            ),
            (
                &[
                    sender,
                    ("MEMBER_ROLE_NAME", "akn-member"),
                    ("SWEEP_QUEUE_URL", "https://q"),
                ],
                "LEDGER_TABLE",
            ),
            (
                &[
                    sender,
                    ("MEMBER_ROLE_NAME", "akn-member"),
                    ("LEDGER_TABLE", "akn-ledger"),
                    ("SWEEP_QUEUE_URL", "https://q"),
                    ("ACCOUNTS", "111111111111,12345"),
                ],
                "ACCOUNTS",
            ),
            (
                &[
                    sender,
                    ("MEMBER_ROLE_NAME", "akn-member"),
                    ("LEDGER_TABLE", "akn-ledger"),
                    ("SWEEP_QUEUE_URL", "https://q"),
                    ("ORGANIZATION_ROLE_ARN", "arn:aws:iam::1:role/x"),
                ],
                "ORGANIZATION_ROLE_ARN",
            ),
        ];
        for (vars, variable) in cases {
            let e = config(vars).expect_err(&format!("{vars:?} should be rejected"));
            assert_eq!(e.variable, *variable, "{vars:?}");
            let msg = e.to_string();
            assert!(msg.starts_with(variable), "{msg}");
            assert!(msg.contains("(example: "), "{msg}");
        }
    }

    #[test]
    fn the_old_idempotency_table_setting_is_refused_with_its_new_name() {
        let e = config(&[
            ("SENDER_ADDRESS", "noreply@example.com"),
            ("IDEMPOTENCY_TABLE", "akn-events"),
        ])
        .unwrap_err();
        assert_eq!(e.variable, "LEDGER_TABLE");
        assert!(e.to_string().contains("IDEMPOTENCY_TABLE"), "{e}");
    }

    #[test]
    fn endpoint_urls_the_emulator_and_aws_use_are_accepted() {
        for url in [
            "http://127.0.0.1:5000",
            "https://iam.amazonaws.com",
            "http://localhost:4566/",
        ] {
            let c = config(&[
                ("SENDER_ADDRESS", "noreply@example.com"),
                ("AWS_ENDPOINT_URL", url),
            ]);
            assert!(c.is_ok(), "{url}: {c:?}");
        }
    }

    #[test]
    fn a_huge_value_is_quoted_in_64_characters() {
        let huge = "Z".repeat(100 << 10);
        for variable in [
            "TIME_ZONE",
            "LOCALE",
            "MAX_KEY_AGE_DAYS",
            "AWS_ENDPOINT_URL",
        ] {
            let e = config(&[("SENDER_ADDRESS", "noreply@example.com"), (variable, &huge)])
                .unwrap_err();
            assert_eq!(e.variable, variable);
            let msg = e.to_string();
            assert!(
                msg.contains(&format!("`{}…`", "Z".repeat(64))),
                "{msg:.200}"
            );
            assert!(msg.len() < 250, "{variable}: {} characters", msg.len());
        }
    }
}
