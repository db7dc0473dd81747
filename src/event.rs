//! The EventBridge event, parsed and checked again.
//!
//! The EventBridge rule's pattern already filters events, but the function
//! can be invoked by hand or by another rule, so nothing is trusted: every
//! field the decision uses is checked here. Events that are simply not for
//! this function end in a skip; events that claim to be a Config compliance
//! change but are malformed are an error with a message.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use crate::decision::SkipReason;
use crate::error::Error;

pub const SOURCE: &str = "aws.config";
pub const DETAIL_TYPE: &str = "Config Rules Compliance Change";
pub const MESSAGE_TYPE: &str = "ComplianceChangeNotification";
pub const NON_COMPLIANT: &str = "NON_COMPLIANT";
pub const IAM_USER: &str = "AWS::IAM::User";

/// A NON_COMPLIANT result of a Config rule for an IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceChange {
    pub event_id: Option<String>,
    pub account: Option<String>,
    pub rule: String,
    /// The IAM UserId (`AIDA…`) Config reports as the resource.
    pub user_id: String,
}

/// What the parser made of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Change(ComplianceChange),
    /// Not an event this function acts on; the fields known so far are kept
    /// for the outcome.
    Skip {
        reason: SkipReason,
        event_id: Option<String>,
        account: Option<String>,
        rule: Option<String>,
        user_id: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Detail {
    resource_id: Option<String>,
    resource_type: Option<String>,
    aws_account_id: Option<String>,
    config_rule_name: Option<String>,
    message_type: Option<String>,
    new_evaluation_result: Option<EvaluationResult>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EvaluationResult {
    compliance_type: Option<String>,
    evaluation_result_identifier: Option<EvaluationResultIdentifier>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EvaluationResultIdentifier {
    evaluation_result_qualifier: Option<Qualifier>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Qualifier {
    resource_type: Option<String>,
}

/// Parses and checks one event payload.
pub fn parse(payload: Value) -> Result<Parsed, Error> {
    if !payload.is_object() {
        return Err(invalid("the event is not a JSON object"));
    }
    let envelope: EventBridgeEvent<Value> = serde_json::from_value(payload)
        .map_err(|e| invalid(format!("not an EventBridge event: {e}")))?;
    let event_id = envelope.id.clone().filter(|id| !id.is_empty());
    let envelope_account = envelope.account.clone();
    // Only a well-formed account id is repeated in a skip's outcome.
    let valid_account = envelope_account.clone().filter(|a| account_id(a).is_ok());

    let skip = |reason, rule: Option<String>, user_id: Option<String>, account: Option<String>| {
        Ok(Parsed::Skip {
            reason,
            event_id: event_id.clone(),
            account,
            rule,
            user_id,
        })
    };

    if envelope.source != SOURCE || envelope.detail_type != DETAIL_TYPE {
        return skip(SkipReason::NotComplianceChange, None, None, valid_account);
    }
    if !envelope.detail.is_object() {
        return Err(invalid("detail is not a JSON object"));
    }
    let detail: Detail =
        serde_json::from_value(envelope.detail).map_err(|e| invalid(format!("detail: {e}")))?;

    let detail_account = detail
        .aws_account_id
        .as_deref()
        .map(account_id)
        .transpose()?;
    let event_account = envelope_account.as_deref().map(account_id).transpose()?;
    let account = match (detail_account, event_account) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(format!(
                "detail.awsAccountId {a} differs from the event's account {b}"
            )));
        }
        (a, b) => a.or(b),
    };
    let rule = detail
        .config_rule_name
        .as_deref()
        .map(rule_name)
        .transpose()?;
    let user_id = detail.resource_id.as_deref().map(resource_id).transpose()?;

    let message_type = required(detail.message_type.as_deref(), "detail.messageType")?;
    if message_type != MESSAGE_TYPE {
        return skip(SkipReason::NotComplianceChange, rule, user_id, account);
    }
    let result = detail
        .new_evaluation_result
        .as_ref()
        .ok_or_else(|| invalid("detail.newEvaluationResult is missing"))?;
    let compliance = required(
        result.compliance_type.as_deref(),
        "detail.newEvaluationResult.complianceType",
    )?;
    if compliance != NON_COMPLIANT {
        return skip(SkipReason::NotNonCompliant, rule, user_id, account);
    }
    let resource_type = detail.resource_type.as_deref().or_else(|| {
        result
            .evaluation_result_identifier
            .as_ref()
            .and_then(|i| i.evaluation_result_qualifier.as_ref())
            .and_then(|q| q.resource_type.as_deref())
    });
    if required(resource_type, "detail.resourceType")? != IAM_USER {
        return skip(SkipReason::NotIamUser, rule, user_id, account);
    }
    let rule = rule.ok_or_else(|| invalid("detail.configRuleName is missing"))?;
    let user_id = user_id.ok_or_else(|| invalid("detail.resourceId is missing"))?;

    Ok(Parsed::Change(ComplianceChange {
        event_id,
        account,
        rule,
        user_id,
    }))
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidEvent(message.into())
}

fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, Error> {
    value.ok_or_else(|| invalid(format!("{field} is missing")))
}

/// At most 64 characters of an outside value, for error messages.
fn shorten(value: &str) -> String {
    let mut s: String = value.chars().take(64).collect();
    if value.chars().count() > 64 {
        s.push('…');
    }
    s.escape_debug().to_string()
}

fn account_id(value: &str) -> Result<String, Error> {
    if value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_string())
    } else {
        Err(invalid(format!(
            "account `{}` is not a 12-digit AWS account id",
            shorten(value)
        )))
    }
}

/// Config rule names as this function accepts them: 1-128 of letters,
/// digits, `-` and `_` (what the managed rules and the template produce).
pub fn is_config_rule_name(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn rule_name(value: &str) -> Result<String, Error> {
    if is_config_rule_name(value) {
        Ok(value.to_string())
    } else {
        Err(invalid(format!(
            "detail.configRuleName `{}` is not a Config rule name",
            shorten(value)
        )))
    }
}

/// IAM unique ids: 16-128 upper-case letters and digits. The id is then
/// looked up in ListUsers, where an id of another kind finds no user.
fn resource_id(value: &str) -> Result<String, Error> {
    let ok = (16..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if ok {
        Ok(value.to_string())
    } else {
        Err(invalid(format!(
            "detail.resourceId `{}` is not an IAM unique id",
            shorten(value)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::event as fixture;
    use serde_json::json;

    fn skip_reason(p: Parsed) -> SkipReason {
        match p {
            Parsed::Skip { reason, .. } => reason,
            Parsed::Change(c) => panic!("expected a skip, got {c:?}"),
        }
    }

    #[test]
    fn every_fixture_parses_to_its_expected_result() {
        let change = |rule: &str| {
            Parsed::Change(ComplianceChange {
                event_id: None,
                account: Some("123456789012".into()),
                rule: rule.into(),
                user_id: "AIDATCKAQT2XHRAS7UPNO".into(),
            })
        };
        let strip_id = |p: Parsed| match p {
            Parsed::Change(c) => Parsed::Change(ComplianceChange {
                event_id: None,
                ..c
            }),
            other => other,
        };
        let parse_fixture = |name| parse(fixture(name)).unwrap();
        assert_eq!(
            strip_id(parse_fixture("noncompliant-7-days.json")),
            change("access-keys-rotated-1")
        );
        assert_eq!(
            strip_id(parse_fixture("noncompliant-14-days.json")),
            change("access-keys-rotated-2")
        );
        assert_eq!(
            strip_id(parse_fixture("first-evaluation.json")),
            change("access-keys-rotated-1")
        );
        assert_eq!(
            strip_id(parse_fixture("other-rule.json")),
            change("securityhub-access-keys-rotated-3f1c2e")
        );
        assert_eq!(
            skip_reason(parse_fixture("back-to-compliant.json")),
            SkipReason::NotNonCompliant
        );
        assert_eq!(
            skip_reason(parse_fixture("user-deleted-not-applicable.json")),
            SkipReason::NotNonCompliant
        );
    }

    #[test]
    fn the_event_id_is_kept() {
        match parse(fixture("noncompliant-7-days.json")).unwrap() {
            Parsed::Change(c) => {
                assert_eq!(
                    c.event_id.as_deref(),
                    Some("2c2a2284-0651-1c08-768c-8140299f1f37")
                )
            }
            other => panic!("{other:?}"),
        }
    }

    fn with(mut event: Value, pointer: &str, value: Value) -> Value {
        *event.pointer_mut(pointer).unwrap() = value;
        event
    }

    fn without(mut event: Value, parent: &str, field: &str) -> Value {
        event
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(field);
        event
    }

    #[test]
    fn events_not_for_this_function_are_skipped_with_their_code() {
        let base = fixture("noncompliant-7-days.json");
        let cases = [
            (
                with(base.clone(), "/source", json!("aws.ec2")),
                SkipReason::NotComplianceChange,
            ),
            (
                with(
                    base.clone(),
                    "/detail-type",
                    json!("Config Configuration Item Change"),
                ),
                SkipReason::NotComplianceChange,
            ),
            (
                with(
                    base.clone(),
                    "/detail/messageType",
                    json!("OversizedConfigurationItemChangeNotification"),
                ),
                SkipReason::NotComplianceChange,
            ),
            (
                with(
                    base.clone(),
                    "/detail/newEvaluationResult/complianceType",
                    json!("COMPLIANT"),
                ),
                SkipReason::NotNonCompliant,
            ),
            (
                with(
                    base.clone(),
                    "/detail/resourceType",
                    json!("AWS::IAM::Role"),
                ),
                SkipReason::NotIamUser,
            ),
        ];
        for (event, want) in cases {
            assert_eq!(skip_reason(parse(event).unwrap()), want);
        }
    }

    #[test]
    fn optional_fields_may_be_missing() {
        let base = fixture("noncompliant-7-days.json");
        let e = without(base.clone(), "/detail", "oldEvaluationResult");
        assert!(matches!(parse(e).unwrap(), Parsed::Change(_)));

        // Days are counted from the clock, so the event's times are not needed.
        let e = without(
            without(base.clone(), "", "time"),
            "/detail",
            "notificationCreationTime",
        );
        assert!(matches!(parse(e).unwrap(), Parsed::Change(_)));
        // The resource type may come from the qualifier alone.
        let e = without(base.clone(), "/detail", "resourceType");
        assert!(matches!(parse(e).unwrap(), Parsed::Change(_)));
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut e = fixture("noncompliant-7-days.json");
        e["detail"]["somethingNew"] = json!({"x": [1, 2]});
        e["extra"] = json!("field");
        assert!(matches!(parse(e).unwrap(), Parsed::Change(_)));
    }

    #[test]
    fn malformed_events_are_errors_with_a_message() {
        let base = fixture("noncompliant-7-days.json");
        let cases = [
            (json!([]), "not a JSON object"),
            (json!("event"), "not a JSON object"),
            (without(base.clone(), "", "detail-type"), "detail-type"),
            (without(base.clone(), "", "detail"), "detail"),
            (
                with(base.clone(), "/detail", json!("text")),
                "detail is not a JSON object",
            ),
            (
                with(base.clone(), "/time", json!("yesterday")),
                "not an EventBridge event",
            ),
            (
                with(base.clone(), "/detail/resourceId", json!(42)),
                "detail:",
            ),
            (
                with(base.clone(), "/detail/resourceId", json!("aida-lower")),
                "resourceId",
            ),
            (
                with(base.clone(), "/detail/resourceId", json!("")),
                "resourceId",
            ),
            (
                without(base.clone(), "/detail", "resourceId"),
                "resourceId is missing",
            ),
            (
                without(base.clone(), "/detail", "configRuleName"),
                "configRuleName is missing",
            ),
            (
                with(base.clone(), "/detail/configRuleName", json!("rule\r\nx")),
                "configRuleName",
            ),
            (
                without(base.clone(), "/detail", "messageType"),
                "messageType is missing",
            ),
            (
                without(base.clone(), "/detail", "newEvaluationResult"),
                "newEvaluationResult is missing",
            ),
            (
                with(
                    base.clone(),
                    "/detail/newEvaluationResult/complianceType",
                    Value::Null,
                ),
                "complianceType is missing",
            ),
            (
                with(base.clone(), "/detail/awsAccountId", json!("12345")),
                "12-digit",
            ),
            (
                with(base.clone(), "/account", json!("210987654321")),
                "differs",
            ),
        ];
        for (event, needle) in cases {
            let err = parse(event.clone()).expect_err(&format!("{event}"));
            assert!(matches!(err, Error::InvalidEvent(_)));
            assert!(
                err.to_string().contains(needle),
                "{err} should mention {needle}"
            );
        }
    }
}
