//! The Organizations section: `MEMBER_ROLE_NAME` and the variables that
//! only mean something with it.

use super::{ConfigError, check_endpoint, err};
use crate::mask::quote;
use crate::organization::{Organization, is_account_id};

const EX_ACCOUNTS: &str = "111111111111,222222222222";
const EX_ORGANIZATION_ROLE: &str = "arn:aws:iam::111111111111:role/access-key-notifier-accounts";
const EX_SWEEP_QUEUE: &str =
    "https://sqs.us-east-1.amazonaws.com/111111111111/access-key-notifier-sweep";

/// `MEMBER_ROLE_NAME` and the variables that only mean something with it.
pub(super) fn organization(
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
