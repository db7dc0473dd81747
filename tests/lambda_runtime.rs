//! The binary as Lambda runs it: no command, `AWS_LAMBDA_RUNTIME_API` set.
//! A minimal Runtime API on loopback hands out two events and records what
//! the function posts back; IAM and SES are the emulator.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{TimeZone, Utc};
use common::{Emulator, SENDER, key_aged, manifest_dir};
use serde_json::{Value, json};

struct Request {
    method: String,
    path: String,
    body: String,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut length = 0;
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        if header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        method,
        path,
        body: String::from_utf8_lossy(&body).into(),
    })
}

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
    let event_time = Utc.with_ymd_and_hms(2025, 7, 2, 3, 23, 19).unwrap();
    emu.create_user(json!({"name": "alice", "user_id": "AIDATCKAQT2XHRAS7UPNO",
        "tags": {"Email": "alice@example.com"}, "keys": [key_aged(event_time, 88)]}));

    let good: Value = serde_json::from_str(
        &std::fs::read_to_string(
            manifest_dir().join("tests/fixtures/events/noncompliant-7-days.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let mut bad = good.clone();
    bad["detail"]["newEvaluationResult"] = json!("not an object");
    let mut events = vec![("req-1", good), ("req-2", bad)].into_iter();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let api = listener.local_addr().unwrap().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_access-key-notifier"))
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "access-key-notifier")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_ENDPOINT_URL", &emu.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("SENDER_ADDRESS", SENDER)
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
        let Some(req) = read_request(&mut reader) else {
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
                serde_json::from_str(&req.body).unwrap_or(Value::Null),
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
