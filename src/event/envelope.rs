//! The envelopes Lambda delivers, as `aws_lambda_events` defines them (the
//! EventBridge event, the SQS event and its partial-batch response), read
//! through [`serde_path_to_error`] so a field of the wrong shape is named
//! by its path.
//!
//! serde's own messages quote a wrong-typed value whole ("invalid type:
//! string \"…5 MB…\""), so they never leave this module: [`read`] writes
//! its own, from the path, the kind of value found there and what was
//! expected ("detail-type is an array, not a string"); a string that fails
//! its format is quoted by [`quote`] (escaped, at most 64 characters).

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_path_to_error::Segment;

use crate::mask::quote;

pub(crate) use aws_lambda_events::event::eventbridge::EventBridgeEvent;
pub(crate) use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

/// An EventBridge event whose `detail` is read by the caller (the Config
/// detail is this crate's own checked type), and may be absent.
pub(crate) type Envelope = EventBridgeEvent<Option<Value>>;

/// Reads `T` from `payload`; on failure, a message naming the field by its
/// path, never serde's.
pub(crate) fn read<T: DeserializeOwned>(payload: &Value) -> Result<T, String> {
    serde_path_to_error::deserialize(payload).map_err(|e| {
        let segments: Vec<&Segment> = e.path().iter().collect();
        describe(payload, &segments, &e.inner().to_string())
    })
}

/// `field.path[0].name`, as a message names it.
fn dotted(segments: &[&Segment]) -> String {
    let mut out = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(&quote(key));
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    out
}

/// The value at `segments` in `payload`, when the path leads to one.
fn at<'a>(payload: &'a Value, segments: &[&Segment]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(payload, |v, segment| match segment {
            Segment::Seq { index } => v.get(*index),
            Segment::Map { key } => v.get(key.as_str()),
            _ => None,
        })
}

/// What kind of JSON value `v` is, for a message.
pub(crate) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The message for serde's `message` at `segments`. Only two pieces of
/// serde's text are kept, both written by the types, not the input: the
/// name in "missing field `name`" and what follows ", expected ".
fn describe(payload: &Value, segments: &[&Segment], message: &str) -> String {
    let path = dotted(segments);
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        return match path.is_empty() {
            true => format!("{field} is missing"),
            false => format!("{path}.{field} is missing"),
        };
    }
    let expected = message
        .rsplit_once(", expected ")
        .map_or("of the expected form", |(_, expected)| expected);
    let path = if path.is_empty() { "the event" } else { &path };
    match at(payload, segments) {
        // A value of the right type that fails its own format.
        Some(Value::String(s)) if !message.starts_with("invalid type") => {
            format!("{path} `{}` is not {expected}", quote(s))
        }
        Some(v) => format!("{path} is {}, not {expected}", kind(v)),
        None => format!("{path} is not {expected}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_wrong_field_is_named_by_its_path_and_kind_never_its_value() {
        let huge = "V".repeat(1 << 20);
        let e =
            read::<Envelope>(&json!({"source": "aws.config", "detail-type": [huge]})).unwrap_err();
        assert_eq!(e, "detail-type is an array, not a string");
        let e = read::<Envelope>(&json!({"source": "x", "detail-type": "y", "id": 7})).unwrap_err();
        assert_eq!(e, "id is a number, not a string");
        let e = read::<Envelope>(&json!({"detail-type": "y"})).unwrap_err();
        assert_eq!(e, "source is missing");
        let e = read::<Envelope>(&json!({"source": "x", "detail-type": "y", "time": huge}))
            .unwrap_err();
        assert!(
            e.starts_with(&format!("time `{}…` is not ", "V".repeat(64))),
            "{e}"
        );
        assert!(e.len() < 200, "{e}");
    }

    #[test]
    fn an_sqs_record_is_named_by_its_index() {
        let e = read::<SqsEvent>(&json!({"Records": [{"messageId": "a"}, {"messageId": 5}]}))
            .unwrap_err();
        assert_eq!(e, "Records[1].messageId is a number, not a string");
        let e = read::<SqsEvent>(&json!({"Records": "none"})).unwrap_err();
        assert!(e.starts_with("Records is a string, not "), "{e}");
    }
}
