//! The binary as Lambda runs it: no command, `AWS_LAMBDA_RUNTIME_API` set.
//! A minimal Runtime API on loopback hands out two events and records what
//! the function posts back; IAM and SES are the emulator.

mod common;

use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Emulator, SENDER, fixture_event, lambda_function, read_http_request, seed_alice};
use serde_json::{Value, json};

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &str) {
    let mut text = format!("HTTP/1.1 {status}\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
}

#[test]
fn serves_the_runtime_api_with_outcomes_and_classified_errors() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(&mut emu, 88, json!({"Email": "alice@example.com"}));

    let good = fixture_event("noncompliant-7-days.json");
    let mut bad = good.clone();
    bad["detail"]["newEvaluationResult"] = json!("not an object");
    let mut events = vec![("req-1", good), ("req-2", bad)].into_iter();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let mut child = lambda_function(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        &api,
        &emu.endpoint,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();

    // Serve until both answers are in, then stop the function. The runtime
    // client keeps one connection open.
    let mut posted: Vec<(String, Value)> = Vec::new();
    let (stream, _) = listener.accept().unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    while posted.len() < 2 {
        let Some(req) = read_http_request(&mut reader) else {
            break;
        };
        if req.method == "GET" && req.path.ends_with("/runtime/invocation/next") {
            let Some((id, event)) = events.next() else {
                break;
            };
            let deadline = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_millis()
                + 60_000;
            respond(
                &mut writer,
                "200 OK",
                &[
                    ("lambda-runtime-aws-request-id", id.to_string()),
                    ("lambda-runtime-deadline-ms", deadline.to_string()),
                    (
                        "lambda-runtime-invoked-function-arn",
                        "arn:aws:lambda:us-east-1:123456789012:function:akn".into(),
                    ),
                    ("content-type", "application/json".into()),
                ],
                &event.to_string(),
            );
        } else {
            respond(&mut writer, "202 Accepted", &[], "{}");
            posted.push((
                req.path,
                serde_json::from_slice(&req.body).unwrap_or(Value::Null),
            ));
        }
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);

    assert_eq!(posted.len(), 2, "answers: {posted:?}\nlogs:\n{logs}");
    assert_eq!(posted[0].0, "/2018-06-01/runtime/invocation/req-1/response");
    assert_eq!(posted[0].1["status"], "sent");
    assert_eq!(posted[0].1["days_remaining"], 2);
    assert_eq!(posted[1].0, "/2018-06-01/runtime/invocation/req-2/error");
    assert_eq!(posted[1].1["errorType"], "Permanent.InvalidEvent");
    assert_eq!(emu.messages().len(), 1);

    // One outcome line per handled event, with the request id.
    let outcome_lines: Vec<Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "outcome")
        .collect();
    assert_eq!(outcome_lines.len(), 1, "{logs}");
    assert_eq!(outcome_lines[0]["requestId"], "req-1");
    assert_eq!(outcome_lines[0]["status"], "sent");
    assert!(
        logs.contains("\"errorType\":\"Permanent.InvalidEvent\""),
        "{logs}"
    );
}
