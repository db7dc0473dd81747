//! Structured log lines: one JSON object per line on stderr, in the shape of
//! Lambda's JSON log format (`timestamp`, `level`, `message`, then fields),
//! so CloudWatch Logs Insights can filter on any field. stderr keeps the
//! `invoke` command's stdout for the outcome alone; Lambda captures both.
//!
//! Every line written while an invocation runs carries its `requestId` (and
//! `xrayTraceId`, when Lambda gives one): [`in_request`] sets them for the
//! invocation's task (a tokio task-local, what the runtime's tracing span
//! does for tracing users), and [`line`] adds them, so a grep for one id
//! finds the whole thread of an invocation.
//!
//! A task-local does not follow work into a new task, so work is never
//! spawned with `tokio::spawn` (clippy refuses it, `clippy.toml`): the
//! crate's concurrency is futures polled within the invocation's own task,
//! which keep its ids.
//!
//! A command on a terminal may draw progress on stderr too: it sets
//! [`write_around`] once, and each line is written around it.

use std::future::Future;
use std::io::Write;

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value};

use crate::mask::mask_key_ids;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Level {
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

/// The ids an invocation's lines carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub request_id: String,
    /// Lambda's X-Ray trace id (`Root=1-…;Parent=…;Sampled=…`).
    pub trace_id: Option<String>,
}

impl Request {
    pub fn new(request_id: impl Into<String>, trace_id: Option<String>) -> Request {
        Request {
            request_id: request_id.into(),
            trace_id,
        }
    }
}

tokio::task_local! {
    static REQUEST: Request;
}

/// Runs `f` with the request's ids on every line it logs.
pub(crate) async fn in_request<F: Future>(request: Request, f: F) -> F::Output {
    REQUEST.scope(request, f).await
}

/// Builds one log line; `fields` must be a JSON object (anything else is
/// logged under `fields`). Within [`in_request`], the line carries the
/// `requestId`.
pub(crate) fn line(level: Level, message: &str, fields: Value) -> String {
    let mut obj = Map::new();
    obj.insert(
        "timestamp".into(),
        Utc::now()
            .to_rfc3339_opts(SecondsFormat::Millis, true)
            .into(),
    );
    obj.insert("level".into(), level.as_str().into());
    obj.insert("message".into(), message.into());
    let _ = REQUEST.try_with(|r| {
        obj.insert("requestId".into(), r.request_id.as_str().into());
        if let Some(trace) = &r.trace_id {
            obj.insert("xrayTraceId".into(), trace.as_str().into());
        }
    });
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

/// What each line's write is wrapped in: set once by a command that draws
/// on stderr (a progress bar moves out of the way while a line is written).
type Around = Box<dyn Fn(&mut dyn FnMut()) + Send + Sync>;
static AROUND: std::sync::OnceLock<Around> = std::sync::OnceLock::new();

/// Has every later log line written inside `around` (once per process; a
/// second call is ignored).
pub(crate) fn write_around(around: Around) {
    let _ = AROUND.set(around);
}

/// Writes one log line to stderr in a single write.
pub(crate) fn log(level: Level, message: &str, fields: Value) {
    let mut text = line(level, message, fields);
    text.push('\n');
    // A log line that cannot be written is not worth failing the event for.
    let mut write = || {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    };
    match AROUND.get() {
        Some(around) => around(&mut write),
        None => write(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_one_json_object_with_fields_at_the_top() {
        let o = serde_json::json!({"status": "skipped", "reason": "exempt"});
        let text = line(Level::Info, "outcome", o);
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
        let (a, b, c) = in_request(Request::new("req-1", Some("Root=1-abc".into())), async {
            let a = line(Level::Warn, "one", serde_json::json!({"x": 1}));
            let b = async { line(Level::Info, "two", Value::Null) }.await;
            let c = async { line(Level::Info, "three", Value::Null) }.await;
            (a, b, c)
        })
        .await;
        for text in [a, b, c] {
            let v: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(v["requestId"], "req-1", "{text}");
            assert_eq!(v["xrayTraceId"], "Root=1-abc", "{text}");
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
