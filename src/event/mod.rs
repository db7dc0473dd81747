//! The EventBridge event, parsed and checked again.
//!
//! The EventBridge rule's pattern already filters events, but the function
//! can be invoked by hand or by another rule, so nothing is trusted: every
//! field the decision uses is checked here. Events that are simply not for
//! this function end in a skip; events that claim to be a Config compliance
//! change but are malformed are an error with a message.

use serde_json::{Map, Value};

use envelope::kind;

pub(crate) mod access_analyzer;
pub(crate) mod envelope;
pub(crate) mod sweep_message;

use envelope::Envelope;

use crate::error::Error;
use crate::mask::quote;
use crate::model::SkipReason;

pub(crate) const CONFIG_SOURCE: &str = "aws.config";
/// A schedule's event: EventBridge scheduled rules send it with source
/// `aws.events`; the template's EventBridge Scheduler schedule sends the same
/// shape as its input with source `aws.scheduler`.
pub(crate) const SCHEDULED_DETAIL_TYPE: &str = "Scheduled Event";
pub(crate) const SCHEDULED_SOURCES: [&str; 2] = ["aws.events", "aws.scheduler"];
pub(crate) const DETAIL_TYPE: &str = "Config Rules Compliance Change";
pub(crate) const MESSAGE_TYPE: &str = "ComplianceChangeNotification";
pub const NON_COMPLIANT: &str = "NON_COMPLIANT";
pub(crate) const IAM_USER: &str = "AWS::IAM::User";
/// The longest event id accepted. EventBridge's ids are UUIDs (36
/// characters); the id is repeated in the outcome and the logs.
pub(crate) const MAX_EVENT_ID_LEN: usize = 64;

/// A NON_COMPLIANT result of a Config rule for an IAM user, or an
/// Access Analyzer unused-access finding about one: a hint, never the
/// evidence (the user is read and decided on afresh).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceChange {
    pub event_id: Option<String>,
    pub account: Option<String>,
    /// The Config rule's name, or the Access Analyzer finding type
    /// (`UnusedIAMUserAccessKey`, `UnusedIAMUserPassword`).
    pub rule: String,
    pub source: ChangeSource,
    /// The user as the event names it.
    pub user: Subject,
}

/// Who sent the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSource {
    Config,
    AccessAnalyzer,
}

/// How an event names its user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The IAM UserId (`AIDA…`), as Config reports the resource.
    Id(String),
    /// The user name from the user's ARN, as Access Analyzer reports it.
    Name(String),
}

impl Subject {
    /// The UserId, when the event gives it.
    pub fn id(&self) -> Option<&str> {
        match self {
            Subject::Id(id) => Some(id),
            Subject::Name(_) => None,
        }
    }
}

/// What the parser made of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Change(ComplianceChange),
    /// The daily schedule: sweep the account.
    Scheduled {
        event_id: Option<String>,
        account: Option<String>,
        /// `detail.run`: what the schedule asks for.
        run: ScheduledRun,
    },
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

type Object = Map<String, Value>;

/// Whether `payload` is a schedule's event (it may still be malformed:
/// [`parse`] says).
pub fn is_scheduled(payload: &Value) -> bool {
    payload.get("detail-type").and_then(Value::as_str) == Some(SCHEDULED_DETAIL_TYPE)
        && payload
            .get("source")
            .and_then(Value::as_str)
            .is_some_and(|s| SCHEDULED_SOURCES.contains(&s))
}

/// What a scheduled event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScheduledRun {
    /// The daily sweep (in Organizations mode, its fan-out).
    Sweep,
    /// The Organization's digest of the day's sweeps.
    Digest,
}

/// Parses and checks one event payload.
///
/// The envelope is the ecosystem's EventBridge event, read through
/// [`envelope::read`]: a field of the wrong type is named by its path, and
/// its value is never echoed whole (serde's own messages quote a
/// wrong-typed string whole, megabytes included). The Config detail is read
/// field by field the same way.
pub fn parse(payload: Value) -> Result<Parsed, Error> {
    if !payload.is_object() {
        return Err(invalid("the event is not a JSON object"));
    }
    let not_eventbridge = |e: String| invalid(format!("not an EventBridge event: {e}"));
    let envelope: Envelope = envelope::read(&payload).map_err(not_eventbridge)?;
    let (source, detail_type) = (envelope.source.as_str(), envelope.detail_type.as_str());
    let event_id = envelope
        .id
        .as_deref()
        .filter(|id| !id.is_empty())
        .map(event_id)
        .transpose()?;
    let envelope_account = envelope.account.as_deref();
    // Only a well-formed account id is repeated in a skip's outcome.
    let valid_account = envelope_account
        .filter(|a| account_id(a).is_ok())
        .map(str::to_string);

    let skip = |reason, rule: Option<String>, user_id: Option<String>, account: Option<String>| {
        Ok(Parsed::Skip {
            reason,
            event_id: event_id.clone(),
            account,
            rule,
            user_id,
        })
    };

    if detail_type == SCHEDULED_DETAIL_TYPE && SCHEDULED_SOURCES.contains(&source) {
        // The sweep keeps its ledger records under this account: a
        // malformed one is an error, not a guess.
        let account = envelope_account.map(account_id).transpose()?;
        let run = match envelope.detail.as_ref().and_then(|d| d.get("run")) {
            None => ScheduledRun::Sweep,
            Some(Value::String(r)) if r == "sweep" => ScheduledRun::Sweep,
            Some(Value::String(r)) if r == "digest" => ScheduledRun::Digest,
            Some(_) => {
                return Err(invalid(
                    "detail.run of a scheduled event is `sweep` (the default) or `digest`",
                ));
            }
        };
        return Ok(Parsed::Scheduled {
            event_id,
            account,
            run,
        });
    }
    if source == access_analyzer::SOURCE && detail_type == access_analyzer::DETAIL_TYPE {
        return access_analyzer::parse(&payload, event_id, envelope_account);
    }
    if source != CONFIG_SOURCE || detail_type != DETAIL_TYPE {
        return skip(SkipReason::NotComplianceChange, None, None, valid_account);
    }
    // The raw value, not the envelope's: a null detail is a detail that is
    // not an object, not a missing one.
    let detail = match payload.get("detail") {
        None => return Err(not_eventbridge("detail is missing".into())),
        Some(Value::Object(detail)) => detail,
        Some(_) => return Err(invalid("detail is not a JSON object")),
    };
    let field = |name: &str| string(detail, name, "detail.").map_err(invalid);

    let detail_account = field("awsAccountId")?.map(account_id).transpose()?;
    let event_account = envelope_account.map(account_id).transpose()?;
    let account = match (detail_account, event_account) {
        (Some(a), Some(b)) if a != b => {
            return Err(invalid(format!(
                "detail.awsAccountId {a} differs from the event's account {b}"
            )));
        }
        (a, b) => a.or(b),
    };
    let rule = field("configRuleName")?.map(rule_name).transpose()?;
    let user_id = field("resourceId")?.map(resource_id).transpose()?;

    let message_type = required(field("messageType")?, "detail.messageType")?;
    if message_type != MESSAGE_TYPE {
        return skip(SkipReason::NotComplianceChange, rule, user_id, account);
    }
    let result = object(detail, "newEvaluationResult", "detail.")
        .map_err(invalid)?
        .ok_or_else(|| invalid("detail.newEvaluationResult is missing"))?;
    let compliance = required(
        string(result, "complianceType", "detail.newEvaluationResult.").map_err(invalid)?,
        "detail.newEvaluationResult.complianceType",
    )?;
    if compliance != NON_COMPLIANT {
        return skip(SkipReason::NotNonCompliant, rule, user_id, account);
    }
    let resource_type = match field("resourceType")? {
        Some(t) => Some(t),
        None => qualifier_resource_type(result)?,
    };
    if required(resource_type, "detail.resourceType")? != IAM_USER {
        return skip(SkipReason::NotIamUser, rule, user_id, account);
    }
    let rule = rule.ok_or_else(|| invalid("detail.configRuleName is missing"))?;
    let user_id = user_id.ok_or_else(|| invalid("detail.resourceId is missing"))?;

    Ok(Parsed::Change(ComplianceChange {
        event_id,
        account,
        rule,
        source: ChangeSource::Config,
        user: Subject::Id(user_id),
    }))
}

/// The resource type inside
/// `newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier`.
fn qualifier_resource_type(result: &Object) -> Result<Option<&str>, Error> {
    const IDENTIFIER: &str = "detail.newEvaluationResult.evaluationResultIdentifier";
    let Some(identifier) = object(
        result,
        "evaluationResultIdentifier",
        "detail.newEvaluationResult.",
    )
    .map_err(invalid)?
    else {
        return Ok(None);
    };
    let Some(qualifier) = object(
        identifier,
        "evaluationResultQualifier",
        &format!("{IDENTIFIER}."),
    )
    .map_err(invalid)?
    else {
        return Ok(None);
    };
    string(
        qualifier,
        "resourceType",
        &format!("{IDENTIFIER}.evaluationResultQualifier."),
    )
    .map_err(invalid)
}

/// A string field of `object`; absent or null is `None`, another type an
/// error naming the field by `path` + `field` and its type, not its value.
pub(crate) fn string<'a>(
    object: &'a Object,
    field: &str,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("{path}{field} is {}, not a string", kind(other))),
    }
}

/// An object field of `object`, like [`string`].
fn object<'a>(object: &'a Object, field: &str, path: &str) -> Result<Option<&'a Object>, String> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(format!("{path}{field} is {}, not an object", kind(other))),
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidEvent(message.into())
}

fn required<'a>(value: Option<&'a str>, field: &str) -> Result<&'a str, Error> {
    value.ok_or_else(|| invalid(format!("{field} is missing")))
}

/// `value` when it is `ok`, else an error that names `field` and quotes
/// at most 64 characters of the value: "{field} `…` is not {what}".
pub(crate) fn checked(value: &str, ok: bool, field: &str, what: &str) -> Result<String, Error> {
    if ok {
        Ok(value.to_string())
    } else {
        Err(invalid(format!("{field} `{}` is not {what}", quote(value))))
    }
}

/// Event ids as EventBridge writes them (UUIDs) and as hand-written events
/// may: 1-64 of letters, digits, `-`, `_`, `.` and `:`.
fn event_id(value: &str) -> Result<String, Error> {
    let ok = value.len() <= MAX_EVENT_ID_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b));
    checked(
        value,
        ok,
        "id",
        &format!("an event id (at most {MAX_EVENT_ID_LEN} of letters, digits, - _ . :)"),
    )
}

pub(crate) fn account_id(value: &str) -> Result<String, Error> {
    let ok = crate::organization::is_account_id(value);
    checked(value, ok, "account", "a 12-digit AWS account id")
}

/// Config rule names as this function accepts them: 1-128 of letters,
/// digits, `-` and `_` (what the managed rules and the template produce).
pub(crate) fn is_config_rule_name(value: &str) -> bool {
    (1..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn rule_name(value: &str) -> Result<String, Error> {
    checked(
        value,
        is_config_rule_name(value),
        "detail.configRuleName",
        "a Config rule name",
    )
}

/// IAM unique ids: 16-128 upper-case letters and digits. The id is then
/// looked up in ListUsers, where an id of another kind finds no user.
fn resource_id(value: &str) -> Result<String, Error> {
    let ok = (16..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    checked(value, ok, "detail.resourceId", "an IAM unique id")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::event as fixture;
    use serde_json::json;

    fn skip_reason(p: Parsed) -> SkipReason {
        match p {
            Parsed::Skip { reason, .. } => reason,
            other => panic!("expected a skip, got {other:?}"),
        }
    }

    #[test]
    fn every_fixture_parses_to_its_expected_result() {
        let change = |rule: &str| {
            Parsed::Change(ComplianceChange {
                event_id: None,
                account: Some("123456789012".into()),
                rule: rule.into(),
                source: ChangeSource::Config,
                user: Subject::Id("AIDATCKAQT2XHRAS7UPNO".into()),
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
        assert_eq!(
            parse_fixture("scheduled-event.json"),
            Parsed::Scheduled {
                event_id: Some("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa".into()),
                account: Some("123456789012".into()),
                run: ScheduledRun::Sweep,
            }
        );
    }

    #[test]
    fn a_scheduled_event_is_recognised_from_either_scheduler_and_its_account_checked() {
        let mut e = fixture("scheduled-event.json");
        assert!(is_scheduled(&e));
        e["source"] = json!("aws.scheduler");
        assert!(is_scheduled(&e));
        e["account"] = json!("12345");
        let err = parse(e.clone()).unwrap_err().to_string();
        assert!(err.contains("12-digit"), "{err}");
        e["source"] = json!("my.app");
        assert!(!is_scheduled(&e));
        assert!(matches!(
            parse(e).unwrap(),
            Parsed::Skip {
                reason: SkipReason::NotComplianceChange,
                ..
            }
        ));
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
                "detail.resourceId is a number, not a string",
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

    #[test]
    fn messages_name_the_field_and_quote_at_most_64_characters_of_it() {
        let base = fixture("noncompliant-7-days.json");
        let huge = "A".repeat(5 << 20);
        let cases = [
            (
                with(base.clone(), "/detail/newEvaluationResult", json!(huge)),
                "detail.newEvaluationResult is a string, not an object",
            ),
            (
                with(base.clone(), "/detail-type", json!([huge])),
                "not an EventBridge event: detail-type is an array, not a string",
            ),
            (
                with(base.clone(), "/time", json!(huge)),
                "not an EventBridge event: time `AAAA",
            ),
            (
                with(base.clone(), "/detail/resourceId", json!(huge)),
                "detail.resourceId `AAAA",
            ),
            (with(base.clone(), "/id", json!(huge)), "id `AAAA"),
            (
                with(base.clone(), "/id", json!("evt\r\nX-Injected: 1")),
                "id `evt\\r\\nX-Injected: 1` is not an event id",
            ),
        ];
        for (event, needle) in cases {
            let err = parse(event).unwrap_err().to_string();
            assert!(err.contains(needle), "{err:.200} should mention {needle}");
            assert!(err.len() < 300, "{} characters: {err:.300}", err.len());
        }
        // A qualifier of the wrong type only matters when resourceType is absent.
        let typed = without(base.clone(), "/detail", "resourceType");
        let event = with(
            typed,
            "/detail/newEvaluationResult/evaluationResultIdentifier/evaluationResultQualifier",
            json!(7),
        );
        let err = parse(event).unwrap_err().to_string();
        assert!(
            err.contains("detail.newEvaluationResult.evaluationResultIdentifier.evaluationResultQualifier is a number, not an object"),
            "{err}"
        );
    }

    #[test]
    fn an_event_id_of_64_characters_is_kept() {
        let id = "e".repeat(MAX_EVENT_ID_LEN);
        let base = fixture("noncompliant-7-days.json");
        match parse(with(base.clone(), "/id", json!(id))).unwrap() {
            Parsed::Change(c) => assert_eq!(c.event_id.as_deref(), Some(id.as_str())),
            other => panic!("{other:?}"),
        }
        let longer = format!("{id}e");
        assert!(parse(with(base, "/id", json!(longer))).is_err());
    }
}
