//! Security Hub's findings in words: each [`Facts`] as an ASFF
//! [`Finding`] with its title, description and remediation (in English,
//! Security Hub's console language), the user's ARN and the masked key id
//! as resources. No owner address and no full key id is ever in one.

use chrono::{DateTime, Utc};

use crate::calendar::iso;
use crate::findings::{
    Compliance, Concern, Facts, Finding, FindingSeverity, GENERATOR_ID, Recommendation,
    Remediation, Resource, product_arn, timestamp,
};
use crate::organization::partition;

/// ASFF's schema version.
const SCHEMA_VERSION: &str = "2018-10-08";
/// Where the steps are: the IAM User Guide's pages (the README's rotation
/// steps follow the same ones).
const KEY_STEPS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html";
const PASSWORD_STEPS: &str = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_user-change-own.html";
const ROOT_STEPS: &str =
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_root-user_manage_delete-key.html";

/// The findings of `facts` in `account` and `region`, updated at `now`.
pub(crate) fn asff(
    facts: &[Facts],
    account: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    facts
        .iter()
        .map(|f| finding(f, account, region, now))
        .collect()
}

fn finding(f: &Facts, account: &str, region: &str, now: DateTime<Utc>) -> Finding {
    let partition = partition(Some(region)).to_string();
    let (title, description, recommendation, url, kind) = words(f, account);
    let mut resources = Vec::new();
    match &f.user {
        Some((_, arn)) => resources.push(Resource {
            kind: "AwsIamUser",
            id: arn.clone(),
            partition: partition.clone(),
            region: region.to_string(),
        }),
        None => resources.push(Resource {
            kind: "AwsAccount",
            id: format!("AWS::::Account:{account}"),
            partition: partition.clone(),
            region: region.to_string(),
        }),
    }
    if let Some(key) = &f.key {
        resources.push(Resource {
            kind: "AwsIamAccessKey",
            id: key.clone(),
            partition,
            region: region.to_string(),
        });
    }
    Finding {
        schema_version: SCHEMA_VERSION,
        id: f.id.clone(),
        product_arn: product_arn(region, account),
        generator_id: GENERATOR_ID,
        aws_account_id: account.to_string(),
        types: vec![format!(
            "Software and Configuration Checks/AWS Security Best Practices/{kind}"
        )],
        created_at: timestamp(f.created.and_time(chrono::NaiveTime::MIN).and_utc()),
        updated_at: timestamp(now),
        severity: FindingSeverity { label: f.severity },
        title,
        description,
        remediation: Remediation {
            recommendation: Recommendation {
                text: recommendation,
                url: url.to_string(),
            },
        },
        resources,
        compliance: Compliance { status: "FAILED" },
        record_state: "ACTIVE",
    }
}

/// (title, description, recommendation, its URL, the type's classifier).
fn words(f: &Facts, account: &str) -> (String, String, String, &'static str, &'static str) {
    let user = f
        .user
        .as_ref()
        .map_or("the root user", |(name, _)| name.as_str());
    let key = f.key.as_deref().unwrap_or("-");
    let deadline = f.deadline.map(iso).unwrap_or_default();
    let left = if f.days_overdue > 0 {
        format!("{} days overdue", f.days_overdue)
    } else {
        format!("{} days left", f.days_remaining)
    };
    match f.concern {
        Concern::Rotation => {
            let mut description = format!(
                "The IAM access key {key} of user {user} in account {account} was created {} and must be rotated by {deadline} ({left}).",
                iso(f.created)
            );
            if f.blocked {
                description.push_str(" Its rotation is blocked: the user holds two keys.");
            }
            if f.held {
                description.push_str(
                    " Enforcement is holding it (the daily cap, or no owner to warn).",
                );
            }
            (
                format!("IAM access key {key} of {user} is due for rotation by {deadline} ({left})"),
                description,
                "Create a second key, switch every use to it, deactivate the old key, then delete it once nothing fails.".into(),
                KEY_STEPS,
                "Access Key Rotation",
            )
        }
        Concern::Unused => (
            format!(
                "IAM access key {key} of {user} has not been used for {} days",
                f.unused_days.unwrap_or(0)
            ),
            format!(
                "The IAM access key {key} of user {user} in account {account} is active and has not been used for {} days.",
                f.unused_days.unwrap_or(0)
            ),
            "Delete the key if nothing needs it; deactivate it first to be sure.".into(),
            KEY_STEPS,
            "Unused Access Key",
        ),
        Concern::PasswordExpiry => (
            format!("Console password of {user} expires {deadline} ({left})"),
            format!(
                "The console password of IAM user {user} in account {account} expires {deadline} ({left}) under the account's password policy."
            ),
            "Change the password before it expires: the console's Security credentials page, or aws iam change-password.".into(),
            PASSWORD_STEPS,
            "Console Password Expiry",
        ),
        Concern::PasswordUnused => (
            format!(
                "Console password of {user} has not been used for {} days",
                f.unused_days.unwrap_or(0)
            ),
            format!(
                "The console password of IAM user {user} in account {account} has not been used to sign in for {} days.",
                f.unused_days.unwrap_or(0)
            ),
            "Remove the console password if nobody signs in with it (aws iam delete-login-profile); the user and its keys stay.".into(),
            PASSWORD_STEPS,
            "Unused Console Password",
        ),
        Concern::RootKey => (
            format!("The root user of account {account} has an active access key"),
            format!(
                "The credential report of account {account} shows an active access key of the root user. Root access keys are never needed for daily work."
            ),
            "Delete the root user's access keys (signed in as the root user: Security credentials, Access keys).".into(),
            ROOT_STEPS,
            "Root Access Key",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Severity, select};
    use crate::outcome::report::tests_support::row;

    #[test]
    fn a_finding_has_every_required_asff_attribute_and_no_full_key_id() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 11, 23, 9, 0, 0).unwrap();
        let policy = crate::config::Config::from_lookup(|k| {
            (k == "SENDER_ADDRESS").then(|| "n@example.com".to_string())
        })
        .unwrap()
        .policy;
        let mut report = crate::outcome::report::Report::new("123456789012", now, &policy);
        report.overdue.push(row("alice", 0, 3));
        let facts = select(&report, &[14, 7], &[], true);
        let findings = asff(&facts, "123456789012", "us-east-1", now);
        assert_eq!(findings.len(), 2);
        let json = serde_json::to_value(&findings).unwrap();
        for f in json.as_array().unwrap() {
            for required in [
                "AwsAccountId",
                "CreatedAt",
                "Description",
                "GeneratorId",
                "Id",
                "ProductArn",
                "Resources",
                "SchemaVersion",
                "Severity",
                "Title",
                "Types",
                "UpdatedAt",
            ] {
                assert!(f.get(required).is_some(), "{required} in {f}");
            }
            assert!(f.get("Workflow").is_none());
        }
        assert_eq!(findings[0].severity.label, Severity::High);
        assert_eq!(
            findings[0].resources[0].id,
            "arn:aws:iam::123456789012:user/alice"
        );
        assert_eq!(findings[0].resources[1].id, "AKIA…WXYZ");
        assert!(
            findings[0].title.contains("3 days overdue"),
            "{}",
            findings[0].title
        );
        assert_eq!(findings[1].severity.label, Severity::Critical);
        assert_eq!(findings[1].updated_at, "2026-11-23T09:00:00.000Z");
    }
}
