//! The binary as Lambda runs it: no command, `AWS_LAMBDA_RUNTIME_API` set.
//! A minimal Runtime API on loopback hands out events and records what the
//! function posts back; IAM and SES are the emulator.

mod common;

use std::process::{Child, Stdio};

use common::http::{RuntimeApi, RuntimeCall};
use common::{Emulator, SENDER, fixture_event, lambda_function, seed_alice};
use serde_json::{Value, json};

/// Hands out `events` one by one and collects the answers; then stops the
/// function and returns the answers and its log lines.
fn serve(
    api: &RuntimeApi,
    mut child: Child,
    events: Vec<(&str, Value)>,
) -> (Vec<(String, bool, Value)>, Vec<Value>) {
    let expected = events.len();
    let mut answers = Vec::new();
    let mut conn = api.accept();
    let mut pending = events.into_iter();
    while answers.len() < expected {
        match conn.next_call() {
            Some(RuntimeCall::Next) => match pending.next() {
                Some((id, event)) => conn.hand_out(id, &event),
                None => break,
            },
            Some(RuntimeCall::Answer {
                request_id,
                error,
                body,
            }) => {
                conn.acknowledge();
                answers.push((request_id, error, body));
            }
            None => break,
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line {l:?}: {e}")))
        .collect();
    (answers, logs)
}

#[test]
fn serves_the_runtime_api_with_outcomes_and_classified_errors() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(
        &mut emu,
        88,
        json!({"Email": "alice@example.com", "Locale": "klingon"}),
    );

    let good = fixture_event("noncompliant-7-days.json");
    let mut bad = good.clone();
    bad["detail"]["newEvaluationResult"] = json!("not an object");

    let api = RuntimeApi::bind();
    let child = lambda_function(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        &api.address(),
        &emu.endpoint,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let (answers, logs) = serve(&api, child, vec![("req-1", good), ("req-2", bad)]);

    assert_eq!(answers.len(), 2, "answers: {answers:?}\nlogs: {logs:?}");
    let (id, error, body) = &answers[0];
    assert_eq!((id.as_str(), *error), ("req-1", false));
    assert_eq!(body["status"], "sent");
    assert_eq!(body["days_remaining"], 2);
    let (id, error, body) = &answers[1];
    assert_eq!((id.as_str(), *error), ("req-2", true));
    assert_eq!(body["errorType"], "Permanent.InvalidEvent");
    assert_eq!(emu.messages().len(), 1);

    // One outcome line per handled event.
    let outcomes: Vec<&Value> = logs.iter().filter(|v| v["message"] == "outcome").collect();
    assert_eq!(outcomes.len(), 1, "{logs:?}");
    assert_eq!(outcomes[0]["status"], "sent");
    // Every line of an invocation carries its request id: the locale tag's
    // warning, the outcome, the error.
    let of = |id: &str| -> Vec<&str> {
        logs.iter()
            .filter(|v| v["requestId"] == id)
            .map(|v| v["message"].as_str().unwrap_or_default())
            .collect()
    };
    assert_eq!(
        of("req-1"),
        [
            "locale tag names no supported language; using the default",
            "outcome",
            "metrics"
        ]
    );
    // The metrics line is an Embedded Metric Format document.
    let metrics = logs.iter().find(|v| v["message"] == "metrics").unwrap();
    assert_eq!(metrics["NoticesSent"], 1, "{metrics}");
    assert_eq!(metrics["Path"], "event");
    assert_eq!(
        metrics["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"],
        "NoticesSent"
    );
    assert_eq!(of("req-2"), ["event failed"]);
    let outside: Vec<&Value> = logs
        .iter()
        .filter(|v| v.get("requestId").is_none())
        .collect();
    assert_eq!(
        outside.len(),
        1,
        "only the start-up line is outside an invocation: {outside:?}"
    );
    assert_eq!(outside[0]["message"], "starting");
}

#[test]
fn bad_configuration_answers_every_event_with_a_permanent_error() {
    let mut emu = Emulator::start();
    let api = RuntimeApi::bind();
    let child = lambda_function(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        &api.address(),
        &emu.endpoint,
    )
    .env("NOTICE_RULES", "access-keys-rotated-1=seven")
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let event = fixture_event("noncompliant-7-days.json");
    let (answers, logs) = serve(
        &api,
        child,
        vec![("req-1", event.clone()), ("req-2", event)],
    );

    // The process stays up and answers each event with the reason.
    assert_eq!(answers.len(), 2, "{logs:?}");
    for (id, (request_id, error, body)) in ["req-1", "req-2"].iter().zip(&answers) {
        assert_eq!((request_id.as_str(), *error), (*id, true));
        assert_eq!(body["errorType"], "Permanent.InvalidConfiguration");
        let message = body["errorMessage"].as_str().unwrap();
        assert!(message.starts_with("NOTICE_RULES: "), "{message}");
        assert!(message.contains("(example: NOTICE_RULES="), "{message}");
    }
    assert_eq!(emu.requests(), json!({}), "no AWS call");
    assert!(
        logs.iter().any(
            |v| v["requestId"] == "req-2" && v["errorType"] == "Permanent.InvalidConfiguration"
        )
    );
}
