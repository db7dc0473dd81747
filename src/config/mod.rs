//! Typed configuration, read once at cold start from the environment.
//!
//! Every variable of the design's table is parsed and validated here, so a
//! bad deployment fails at start with a message naming the variable and an
//! accepted example instead of failing later inside one event. An empty
//! value means "not set" (CloudFormation passes empty strings for optional
//! parameters).
//!
//! Each section is parsed and validated by its own function: [`notices`]
//! (the sender, tiers, recipients, language, time, reminders, digest),
//! [`ledger`] (the ledger and the sweep), [`enforcement`] (enforcement and
//! exemptions) and [`organization`] (Organizations mode); this module
//! composes them and checks the endpoint overrides.

use std::fmt;

use crate::address::Address;
use crate::decision::Policy;
use crate::enforcement::{EnforceMode, Enforcement};
use crate::mask::quote;
use crate::organization::Organization;
use crate::rotation::RotationSettings;

mod channel;
mod enforcement;
mod ledger;
mod notices;
mod organization;
mod passwords;
mod rotation;

use notices::parse_tag_key;

/// SES accepts at most 50 recipients per message.
pub(crate) const MAX_RECIPIENTS: usize = 50;

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
    /// `CHAT_TOPIC_ARN`: the SNS topic of the team's chat channel; `None`:
    /// chat is off.
    pub chat_topic_arn: Option<String>,
    /// Rotation for machine users (`ROTATE` and its settings).
    pub rotation: RotationSettings,
    /// `SECURITY_HUB`: each sweep imports its findings into the account's
    /// Security Hub (`findings`).
    pub security_hub: bool,
    /// The chat channel's language: `CHAT_LOCALE`, else `LOCALE`.
    pub chat_locale: crate::model::Locale,
}

impl Config {
    /// The strongest mode anything that deactivates keys runs in:
    /// `ENFORCE`, `ENFORCE_UNUSED`, and `ROTATE` (which retires replaced
    /// keys under enforcement's rules); `dry_run` for `DRY_RUN=true`
    /// whatever they say, unless all are off.
    pub fn deactivation_mode(&self) -> EnforceMode {
        match self.enforcement.strongest().max(self.rotation.mode) {
            EnforceMode::On if self.dry_run => EnforceMode::DryRun,
            mode => mode,
        }
    }

    /// Whether keys are deactivated in this run (enforcement, or rotation
    /// retiring a replaced key): one of `ENFORCE`, `ENFORCE_UNUSED` and
    /// `ROTATE` is `true`, and not a dry run.
    pub fn enforcement_acts(&self) -> bool {
        self.deactivation_mode() == EnforceMode::On
    }
}

/// The sender `scan` is configured with when `SENDER_ADDRESS` is unset: scan
/// sends nothing, so it needs none, and a reserved `.invalid` name can never
/// be mailed from.
pub(crate) const SCAN_SENDER: &str = "scan-sends-nothing@example.invalid";

impl Config {
    /// Reads the process environment.
    pub(crate) fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the process environment for `scan`, which sends nothing and so
    /// needs no `SENDER_ADDRESS` (every other variable is checked as usual).
    pub(crate) fn for_scan() -> Result<Config, ConfigError> {
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

        let notices::Notices {
            sender,
            mut policy,
            ses_configuration_set,
            dry_run,
            digest_recipients,
        } = notices::notices(&get)?;
        let ledger_table = ledger::ledger_table(&get)?;
        let sweep_concurrency = ledger::sweep_concurrency(&get)?;
        if policy.unused_key_days > 0 && ledger_table.is_none() {
            return Err(err(
                "UNUSED_KEY_DAYS",
                "needs the notice ledger (LEDGER_TABLE): each unused period of a key is told once, which only the ledger remembers",
                "0",
            ));
        }
        let enforcement::Enforcing {
            mut enforcement,
            exempt_tag,
            exempt_users_parameter,
        } = enforcement::enforcing(&get, ledger_table.as_deref(), policy.unused_key_days)?;
        let passwords = passwords::passwords(&get, ledger_table.as_deref())?;
        policy.password_notice_days = passwords.notice_days;
        policy.unused_password_days = passwords.unused_days;
        enforcement.password_mode = passwords.mode;
        policy.exempt_tag = exempt_tag;
        policy.unused_listed_first = enforcement.unused_mode > enforcement.mode;
        let organization = organization::organization(&get)?;
        if organization.is_some() && ledger_table.is_none() {
            return Err(err(
                "LEDGER_TABLE",
                "is required with MEMBER_ROLE_NAME: the per-account sweeps and the Organization's digest keep their records in it",
                "access-key-notifier-ledger",
            ));
        }

        let chat_topic_arn = channel::chat_topic(&get)?;
        let rotation = rotation::rotation(&get, ledger_table.as_deref())?;
        let security_hub = flag(&get, "SECURITY_HUB")?;
        let chat_locale = channel::chat_locale(&get, policy.default_locale)?;

        for variable in ENDPOINT_VARIABLES {
            if let Some(v) = get(variable) {
                check_endpoint(variable, &v)?;
            }
        }

        Ok(Config {
            sender,
            policy,
            ses_configuration_set,
            dry_run,
            ledger_table,
            digest_recipients,
            sweep_concurrency,
            enforcement,
            exempt_users_parameter,
            organization,
            chat_topic_arn,
            rotation,
            security_hub,
            chat_locale,
        })
    }
}

/// The endpoint overrides the SDK reads (aws-config's
/// `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, how the emulator
/// stands in for AWS). The SDK reads them itself; they are checked here
/// because a value that is not a URL fails every call the same way, and
/// should say so once, at start, as a configuration error.
const ENDPOINT_VARIABLES: [&str; 10] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_SESV2",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SSM",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_ENDPOINT_URL_SQS",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
];

/// An endpoint URL: `http` or `https`, a host, nothing else required.
pub(crate) fn check_endpoint(variable: &'static str, v: &str) -> Result<(), ConfigError> {
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

/// `variable`: `true`, `false` (the default) or `dry_run`; any but
/// `false` needs the ledger, for the reason `why`.
pub(crate) fn mode_with_ledger(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    ledger_table: Option<&str>,
    why: &str,
) -> Result<EnforceMode, ConfigError> {
    let mode = match get(variable).map(|v| v.trim().to_ascii_lowercase()) {
        None => EnforceMode::Off,
        Some(v) if v == "true" => EnforceMode::On,
        Some(v) if v == "false" => EnforceMode::Off,
        Some(v) if v == "dry_run" => EnforceMode::DryRun,
        Some(v) => {
            return Err(err(
                variable,
                format!("`{}` is not true, false or dry_run", quote(&v)),
                "dry_run",
            ));
        }
    };
    if mode != EnforceMode::Off && ledger_table.is_none() {
        return Err(err(
            variable,
            format!("needs the notice ledger (LEDGER_TABLE): {why}"),
            "dry_run",
        ));
    }
    Ok(mode)
}

pub(crate) fn err(
    variable: &'static str,
    problem: impl Into<String>,
    example: &'static str,
) -> ConfigError {
    ConfigError {
        variable,
        problem: problem.into(),
        example,
    }
}

/// A switch: `true`/`1` or `false`/`0` (any case), `false` when unset.
pub(super) fn flag(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
) -> Result<bool, ConfigError> {
    match get(variable).map(|v| v.trim().to_ascii_lowercase()) {
        None => Ok(false),
        Some(v) if v == "true" || v == "1" => Ok(true),
        Some(v) if v == "false" || v == "0" => Ok(false),
        Some(v) => Err(err(
            variable,
            format!("`{}` is not true or false", crate::mask::quote(&v)),
            "true",
        )),
    }
}

pub(crate) fn parse_days(v: &str) -> Option<u32> {
    v.trim().parse::<u32>().ok()
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
            "notice rules {}, max key age {} days, overdue reminders every {} days, unused keys {}, time zone {}, dry run {}, ledger table {}, digest recipients {}, sweep concurrency {}, rotation {:?}, {}",
            rules.join(","),
            self.policy.max_key_age_days,
            self.policy.overdue_reminder_days,
            match self.policy.unused_key_days {
                0 => "off".to_string(),
                days => format!(
                    "after {days} days (rules {})",
                    if self.policy.unused_rules.is_empty() {
                        "none".to_string()
                    } else {
                        self.policy.unused_rules.join(",")
                    }
                ),
            },
            self.policy.time_zone,
            self.dry_run,
            self.ledger_table.as_deref().unwrap_or("none (stateless)"),
            self.digest_recipients.len(),
            self.sweep_concurrency,
            self.rotation.mode,
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
    use crate::model::Locale;
    use chrono_tz::Tz;
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
        assert_eq!(c.enforcement.max_per_day, 10);
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
            ("ENFORCE_MAX_PER_DAY", "25"),
            ("EXEMPT_USERS_PARAMETER", "/akn/exempt-users"),
        ])
        .unwrap();
        assert_eq!(
            c.enforcement,
            Enforcement {
                mode: EnforceMode::DryRun,
                unused_mode: EnforceMode::Off,
                password_mode: EnforceMode::Off,
                grace_days: 7,
                min_warning_days: 5,
                max_per_day: 25,
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
            (&[sender, ("CHAT_LOCALE", "fr")], "CHAT_LOCALE"),
            (&[sender, ("SECURITY_HUB", "yes")], "SECURITY_HUB"),
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
            (&[sender, ("UNUSED_KEY_DAYS", "ninety")], "UNUSED_KEY_DAYS"),
            (&[sender, ("UNUSED_KEY_DAYS", "4000")], "UNUSED_KEY_DAYS"),
            // Each unused period is told once: only the ledger remembers.
            (&[sender, ("UNUSED_KEY_DAYS", "90")], "UNUSED_KEY_DAYS"),
            (
                &[
                    sender,
                    ("LEDGER_TABLE", "t"),
                    ("UNUSED_RULES", "unused-check"),
                ],
                "UNUSED_RULES",
            ),
            (
                &[
                    sender,
                    ("LEDGER_TABLE", "t"),
                    ("UNUSED_KEY_DAYS", "90"),
                    ("UNUSED_RULES", "bad name"),
                ],
                "UNUSED_RULES",
            ),
            (
                &[
                    sender,
                    ("LEDGER_TABLE", "t"),
                    ("UNUSED_KEY_DAYS", "90"),
                    ("UNUSED_RULES", "access-keys-rotated-1"),
                ],
                "UNUSED_RULES",
            ),
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
                &[sender, ("ENFORCE_MAX_PER_DAY", "0")],
                "ENFORCE_MAX_PER_DAY",
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
                &[
                    sender,
                    ("CHAT_TOPIC_ARN", "arn:aws:sns:us-east-1:111111111111"),
                ],
                "CHAT_TOPIC_ARN",
            ),
            // A FIFO topic would refuse every publish (no message group).
            (
                &[
                    sender,
                    (
                        "CHAT_TOPIC_ARN",
                        "arn:aws:sns:us-east-1:111111111111:akn-chat.fifo",
                    ),
                ],
                "CHAT_TOPIC_ARN",
            ),
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
    fn the_old_per_run_cap_is_refused_with_its_new_name() {
        let e = config(&[
            ("SENDER_ADDRESS", "noreply@example.com"),
            ("ENFORCE_MAX_PER_RUN", "5"),
        ])
        .unwrap_err();
        assert_eq!(e.variable, "ENFORCE_MAX_PER_DAY");
        assert!(e.to_string().contains("ENFORCE_MAX_PER_RUN"), "{e}");
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
