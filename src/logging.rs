//! Structured log lines: one JSON object per line on stderr, in the shape of
//! Lambda's JSON log format (`timestamp`, `level`, `message`, then fields),
//! so CloudWatch Logs Insights can filter on any field. stderr keeps the
//! `invoke` command's stdout for the outcome alone; Lambda captures both.

use std::io::Write;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};

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

/// Builds one log line; `fields` must be a JSON object (anything else is
/// logged under `fields`).
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
    match fields {
        Value::Object(map) => obj.extend(map),
        Value::Null => {}
        other => {
            obj.insert("fields".into(), other);
        }
    }
    Value::Object(obj).to_string()
}

/// Writes one log line to stderr in a single write.
pub fn log(level: Level, message: &str, fields: Value) {
    let mut text = line(level, message, fields);
    text.push('\n');
    // A log line that cannot be written is not worth failing the event for.
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// The outcome line: the outcome's fields at the top level.
pub fn outcome(outcome: &Outcome, request_id: Option<&str>) {
    let mut fields = serde_json::to_value(outcome).unwrap_or(Value::Null);
    if let (Some(id), Value::Object(map)) = (request_id, &mut fields) {
        map.insert("requestId".into(), id.into());
    }
    log(Level::Info, "outcome", fields);
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
    }
}
