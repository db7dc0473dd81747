//! Exactly one mail per event across duplicate deliveries, with the
//! idempotency table in the emulator's DynamoDB.

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};
use common::{Emulator, SENDER, create_idempotency_table, manifest_dir, notifier, seed_alice};
use serde_json::{Value, json};

const TABLE: &str = "akn-events";
const EVENT_ID: &str = "2c2a2284-0651-1c08-768c-8140299f1f37";

fn event() -> PathBuf {
    manifest_dir().join("tests/fixtures/events/noncompliant-7-days.json")
}

fn invoke(emu: &Emulator) -> Command {
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    cmd.env("IDEMPOTENCY_TABLE", TABLE)
        .arg("invoke")
        .arg("--event")
        .arg(event());
    cmd
}

/// The outcome of a run that must have exited 0.
fn succeeded(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    outcome(out)
}

fn outcome(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

async fn setup() -> Emulator {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(&mut emu, 88, json!({"Email": "alice@example.com"}));
    create_idempotency_table(&emu.sdk_config().await, TABLE).await;
    emu
}

#[tokio::test]
async fn the_same_event_twice_mails_once_and_returns_the_stored_outcome() {
    let mut emu = setup().await;

    let first = invoke(&emu).output().unwrap();
    let first = succeeded(&first);
    assert_eq!(first["status"], "sent");
    assert!(first.get("replayed").is_none());

    let second = invoke(&emu).output().unwrap();
    let second = succeeded(&second);
    assert_eq!(second["replayed"], true);
    assert_eq!(second["message_id"], first["message_id"]);
    assert_eq!(second["days_remaining"], 2);

    assert_eq!(emu.messages().len(), 1);
    let requests = emu.requests();
    assert_eq!(requests["sesv2:SendEmail"], 1);
    assert_eq!(
        requests["iam:ListUsers"], 1,
        "the duplicate made no IAM call: {requests}"
    );
}

#[tokio::test]
async fn concurrent_deliveries_of_one_event_mail_once() {
    let mut emu = setup().await;

    let children: Vec<_> = (0..4)
        .map(|_| {
            invoke(&emu)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    // Each one either sent, replayed the stored outcome, or found the event in
    // progress and asked to be retried (exit 75); never a second mail.
    let mut sent = 0;
    for out in &outputs {
        let o = outcome(out);
        match out.status.code() {
            Some(0) if o["status"] == "sent" && o.get("replayed").is_none() => sent += 1,
            Some(0) => assert_eq!(o["replayed"], true, "{o}"),
            Some(75) => assert!(
                String::from_utf8_lossy(&out.stderr).contains("Retryable.DuplicateInProgress"),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            other => panic!(
                "unexpected exit {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(emu.messages().len(), 1);

    // Retried, every delivery now gets the stored outcome.
    let retried = invoke(&emu).output().unwrap();
    assert_eq!(outcome(&retried)["replayed"], true);
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn an_expired_claim_lets_the_retry_send_and_a_live_one_does_not() {
    let mut emu = setup().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&emu.sdk_config().await);
    let claim = |expires: chrono::DateTime<Utc>| {
        dynamodb
            .put_item()
            .table_name(TABLE)
            .item("pk", AttributeValue::S(EVENT_ID.into()))
            .item("status", AttributeValue::S("IN_PROGRESS".into()))
            .item(
                "expires_at",
                AttributeValue::N(expires.timestamp().to_string()),
            )
            .send()
    };

    // A claim still held (an invocation that may still be running): retry later.
    claim(Utc::now() + Duration::minutes(5)).await.unwrap();
    let held = invoke(&emu).output().unwrap();
    assert_eq!(
        held.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    assert!(emu.messages().is_empty());

    // The claim of an invocation that crashed has expired: the retry sends.
    claim(Utc::now() - Duration::seconds(1)).await.unwrap();
    let retry = invoke(&emu).output().unwrap();
    assert_eq!(succeeded(&retry)["status"], "sent");
    assert_eq!(emu.messages().len(), 1);

    // And the record is now completed, with the outcome and a TTL a week out.
    let item = dynamodb
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S(EVENT_ID.into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the record");
    assert_eq!(item["status"].as_s().unwrap(), "COMPLETED");
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    let week = (Utc::now() + Duration::days(7)).timestamp();
    assert!(
        (week - 60..=week + 60).contains(&expires),
        "{expires} vs {week}"
    );
    let stored: Value = serde_json::from_str(item["outcome"].as_s().unwrap()).unwrap();
    assert_eq!(stored["status"], "sent");
}

#[tokio::test]
async fn a_failed_invocation_releases_its_claim() {
    // Given the sender is not verified, the first delivery fails permanently.
    let mut emu = Emulator::start();
    seed_alice(&mut emu, 88, json!({"Email": "alice@example.com"}));
    create_idempotency_table(&emu.sdk_config().await, TABLE).await;
    let failed = invoke(&emu).output().unwrap();
    assert_eq!(failed.status.code(), Some(1));

    // When the operator fixes SES, the platform's retry goes through at once.
    emu.verify_sender(SENDER);
    let retry = invoke(&emu).output().unwrap();
    assert_eq!(succeeded(&retry)["status"], "sent");
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn an_event_of_another_rule_writes_no_record() {
    let mut emu = setup().await;
    emu.reset_requests();
    let other = manifest_dir().join("tests/fixtures/events/other-rule.json");
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    let out = cmd
        .env("IDEMPOTENCY_TABLE", TABLE)
        .args(["invoke", "--event"])
        .arg(other)
        .output()
        .unwrap();
    assert_eq!(succeeded(&out)["reason"], "unknown_rule");
    assert_eq!(emu.requests(), json!({}), "no AWS call at all");
}
