//! IAM Access Analyzer's unused-access findings as a trigger: the event
//! `Unused Access Finding for IAM entities` (source `aws.access-analyzer`),
//! shaped after the example in the IAM Access Analyzer User Guide
//! ("Monitoring AWS Identity and Access Management Access Analyzer with
//! Amazon EventBridge", unused access finding events): `detail.findingType`
//! `UnusedIAMUserAccessKey` or `UnusedIAMUserPassword`, `detail.status`,
//! `detail.resource` the user's ARN, `detail.accountId`.
//!
//! The finding is a hint, never the evidence: only an `ACTIVE` finding
//! about an IAM user of the event's own account goes on, as the user's
//! name; the user, its keys and its password are then read and decided on
//! exactly as for an `iam-user-unused-credentials-check` event.

use serde_json::Value;

use super::{ChangeSource, ComplianceChange, Parsed, Subject, account_id, invalid, string};
use crate::error::Error;
use crate::model::SkipReason;

pub(crate) const SOURCE: &str = "aws.access-analyzer";
pub(crate) const DETAIL_TYPE: &str = "Unused Access Finding for IAM entities";
/// The finding types that concern a user's credentials.
pub const UNUSED_ACCESS_KEY: &str = "UnusedIAMUserAccessKey";
pub const UNUSED_PASSWORD: &str = "UnusedIAMUserPassword";

/// The event of an unused-access finding, checked.
pub(super) fn parse(
    payload: &Value,
    event_id: Option<String>,
    envelope_account: Option<&str>,
) -> Result<Parsed, Error> {
    let detail = match payload.get("detail") {
        Some(Value::Object(detail)) => detail,
        Some(_) => return Err(invalid("detail is not a JSON object")),
        None => return Err(invalid("detail is missing")),
    };
    let field = |name: &str| string(detail, name, "detail.").map_err(invalid);
    let event_account = envelope_account.map(account_id).transpose()?;
    let detail_account = field("accountId")?.map(account_id).transpose()?;
    let account = match (detail_account, event_account) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(format!(
                "detail.accountId {a} differs from the event's account {b}"
            )));
        }
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => return Err(invalid("the event names no account")),
    };
    let skip = |reason| {
        Ok(Parsed::Skip {
            reason,
            event_id: event_id.clone(),
            account: Some(account.clone()),
            rule: None,
            user_id: None,
        })
    };
    let finding_type =
        field("findingType")?.ok_or_else(|| invalid("detail.findingType is missing"))?;
    let finding_type = match finding_type {
        UNUSED_ACCESS_KEY => UNUSED_ACCESS_KEY,
        UNUSED_PASSWORD => UNUSED_PASSWORD,
        // Unused roles and permissions: not a credential of a user.
        _ => return skip(SkipReason::NotIamUser),
    };
    if field("resourceType")? != Some(super::IAM_USER) {
        return skip(SkipReason::NotIamUser);
    }
    if field("status")? != Some("ACTIVE") {
        return skip(SkipReason::FindingNotActive);
    }
    let arn = field("resource")?.ok_or_else(|| invalid("detail.resource is missing"))?;
    let name = user_name(arn, &account)?;
    Ok(Parsed::Change(ComplianceChange {
        event_id,
        account: Some(account),
        rule: finding_type.to_string(),
        source: ChangeSource::AccessAnalyzer,
        user: Subject::Name(name),
    }))
}

/// The user name of an IAM user ARN of `account`
/// (`arn:PARTITION:iam::ACCOUNT:user/PATH/NAME`); an ARN of another
/// account, or not a user's, is refused: the function reads and changes
/// users of the event's account only.
fn user_name(arn: &str, account: &str) -> Result<String, Error> {
    let refused = |why: &str| {
        invalid(format!(
            "detail.resource `{}` is not {why}",
            crate::mask::quote(arn)
        ))
    };
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, arn_account, resource] = parts[..] else {
        return Err(refused("an ARN"));
    };
    if prefix != "arn" || !partition.starts_with("aws") || service != "iam" || !region.is_empty() {
        return Err(refused("an IAM ARN"));
    }
    if arn_account != account {
        return Err(refused(&format!("a user of the event's account {account}")));
    }
    let name = resource
        .strip_prefix("user/")
        .and_then(|path| path.rsplit('/').next())
        .ok_or_else(|| refused("an IAM user's ARN"))?;
    // IAM user names: 1-64 of letters, digits and `+=,.@_-`.
    let ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b));
    if !ok {
        return Err(refused("an IAM user's ARN"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::parse as parse_event;
    use crate::fixtures::event as fixture;
    use serde_json::json;

    fn change(name: &str) -> ComplianceChange {
        match parse_event(fixture(name)).unwrap() {
            Parsed::Change(c) => c,
            other => panic!("a change: {other:?}"),
        }
    }

    #[test]
    fn both_finding_types_name_the_user_by_its_arn() {
        let key = change("access-analyzer-unused-access-key.json");
        assert_eq!(key.rule, UNUSED_ACCESS_KEY);
        assert_eq!(key.source, ChangeSource::AccessAnalyzer);
        assert_eq!(key.user, Subject::Name("alice".into()));
        assert_eq!(key.account.as_deref(), Some("123456789012"));
        let password = change("access-analyzer-unused-password.json");
        assert_eq!(password.rule, UNUSED_PASSWORD);
    }

    #[test]
    fn a_resolved_finding_or_another_type_is_skipped() {
        let skip = |e| match parse_event(e).unwrap() {
            Parsed::Skip { reason, .. } => reason,
            other => panic!("a skip: {other:?}"),
        };
        assert_eq!(
            skip(fixture("access-analyzer-unused-access-key-resolved.json")),
            SkipReason::FindingNotActive
        );
        let mut role = fixture("access-analyzer-unused-access-key.json");
        role["detail"]["findingType"] = json!("UnusedIAMRole");
        assert_eq!(skip(role), SkipReason::NotIamUser);
    }

    #[test]
    fn a_user_of_another_account_or_a_damaged_arn_is_refused() {
        let with = |field: &str, value: Value| {
            let mut e = fixture("access-analyzer-unused-access-key.json");
            e["detail"][field] = value;
            parse_event(e).unwrap_err().to_string()
        };
        let other = with("resource", json!("arn:aws:iam::210987654321:user/alice"));
        assert!(
            other.contains("a user of the event's account 123456789012"),
            "{other}"
        );
        let account = with("accountId", json!("210987654321"));
        assert!(
            account.contains("differs from the event's account"),
            "{account}"
        );
        for bad in [
            "arn:aws:iam::123456789012:role/alice",
            "arn:aws:s3:::bucket",
            "alice",
            "arn:aws:iam::123456789012:user/<script>",
        ] {
            let e = with("resource", json!(bad));
            assert!(e.contains("detail.resource"), "{bad}: {e}");
        }
        // A path is not part of the name.
        let mut e = fixture("access-analyzer-unused-access-key.json");
        e["detail"]["resource"] = json!("arn:aws:iam::123456789012:user/ci/deploy-bot");
        let Parsed::Change(c) = parse_event(e).unwrap() else {
            panic!("a change")
        };
        assert_eq!(c.user, Subject::Name("deploy-bot".into()));
    }
}
