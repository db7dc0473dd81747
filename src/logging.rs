//! Structured log lines: one JSON object per line on stderr, in the shape of
//! Lambda's JSON log format (`timestamp`, `level`, `message`, then fields),
//! so CloudWatch Logs Insights can filter on any field. stderr keeps the
//! `invoke` command's stdout for the outcome alone; Lambda captures both.
//!
//! Every line written while an invocation runs carries its `requestId`:
//! [`in_request`] sets it for the invocation's task (a tokio task-local,
//! what the runtime's tracing span does for tracing users), and [`line`]
//! adds it, so a grep for one id finds the whole thread of an invocation.

use std::future::Future;
use std::io::Write;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::mask::mask_key_ids;
use crate::outcome::Outcome;

#[derive(Debug, Clone, Copy)]
pub enum Level {
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO",
            Level::Warn => "WARN",
            Level::Error => "ERROR",
        }
    }
}

tokio::task_local! {
    static REQUEST_ID: String;
}

/// Runs `f` with `request_id` on every line it logs.
pub async fn in_request<F: Future>(request_id: String, f: F) -> F::Output {
    REQUEST_ID.scope(request_id, f).await
}

/// Builds one log line; `fields` must be a JSON object (anything else is
/// logged under `fields`). Within [`in_request`], the line carries the
/// `requestId`.
pub fn line(level: Level, message: &str, fields: Value) -> String {
    let mut obj = Map::new();
    obj.insert(
        "timestamp".into(),
        Utc::now()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
            .into(),
    );
    obj.insert("level".into(), level.as_str().into());
    obj.insert("message".into(), message.into());
    let _ = REQUEST_ID.try_with(|id| obj.insert("requestId".into(), id.as_str().into()));
    match fields {
        Value::Object(map) => obj.extend(map),
        Value::Null => {}
        other => {
            obj.insert("fields".into(), other);
        }
    }
    // Whatever a field carries, no key id is written unmasked.
    mask_key_ids(&Value::Object(obj).to_string())
}

/// Writes one log line to stderr in a single write.
pub fn log(level: Level, message: &str, fields: Value) {
    let mut text = line(level, message, fields);
    text.push('\n');
    // A log line that cannot be written is not worth failing the event for.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The outcome line: the outcome's fields at the top level.
pub fn outcome(outcome: &Outcome) {
    log(
        Level::Info,
        "outcome",
        serde_json::to_value(outcome).unwrap_or(Value::Null),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::SkipReason;

    #[test]
    fn a_line_is_one_json_object_with_fields_at_the_top() {
        let o = Outcome::skipped(SkipReason::Exempt);
        let text = line(Level::Info, "outcome", serde_json::to_value(&o).unwrap());
        assert!(!text.contains('\n'));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["level"], "INFO");
        assert_eq!(v["message"], "outcome");
        assert_eq!(v["status"], "skipped");
        assert_eq!(v["reason"], "exempt");
        assert!(v["timestamp"].as_str().unwrap().ends_with('Z'));
        assert!(v.get("requestId").is_none(), "outside an invocation");
    }

    #[tokio::test]
    async fn every_line_of_an_invocation_carries_its_request_id() {
        let (a, b) = in_request("req-1".into(), async {
            let a = line(Level::Warn, "one", serde_json::json!({"x": 1}));
            let b = async { line(Level::Info, "two", Value::Null) }.await;
            (a, b)
        })
        .await;
        for text in [a, b] {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["requestId"], "req-1", "{text}");
        }
    }

    #[test]
    fn no_field_writes_a_key_id_unmasked() {
        let text = line(
            Level::Error,
            "event failed",
            serde_json::json!({"error": "Key 1AKIAIOSFODNN7EXAMPLE: AccessKeyId%3DASIAY34FZKBOKMUTVV7A"}),
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["error"], "Key 1AKIA…MPLE: AccessKeyId%3DASIA…VV7A");
    }
}
