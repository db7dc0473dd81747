//! Each stage of each key mailed once, across rules, duplicate and
//! concurrent deliveries: the real binary, the ledger's table in the
//! emulator's DynamoDB.

mod common;

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{Duration, Utc};
use common::{
    ACCOUNT, Emulator, FIXTURE_USER_ID, RULE_7, RULE_14, SENDER, create_ledger_table, event_for,
    key_aged, masked, notifier, seed_alice,
};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";

/// One delivery of an event to `invoke --event -`, with the ledger.
struct Delivery {
    command: Command,
    event: String,
}

impl Delivery {
    fn env(mut self, key: &str, value: &str) -> Delivery {
        self.command.env(key, value);
        self
    }

    fn spawn(mut self) -> Child {
        let mut child = self.command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(self.event.as_bytes())
            .unwrap();
        child
    }

    fn run(self) -> Output {
        self.spawn().wait_with_output().unwrap()
    }
}

/// A delivery of `rule`'s event for the fixture user.
fn deliver(emu: &Emulator, rule: &str, event_id: &str) -> Delivery {
    let mut command = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    command
        .env("LEDGER_TABLE", TABLE)
        .args(["invoke", "--event", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Delivery {
        command,
        event: event_for(rule, FIXTURE_USER_ID, event_id).to_string(),
    }
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

async fn setup() -> (Emulator, aws_sdk_dynamodb::Client) {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let sdk = emu.sdk_config().await;
    create_ledger_table(&sdk, TABLE).await;
    (emu, access_key_notifier::aws::dynamodb_client(&sdk))
}

fn pk(key_id: &str, stage: &str) -> String {
    format!("notice#{ACCOUNT}#{key_id}#{stage}")
}

async fn item(
    dynamodb: &aws_sdk_dynamodb::Client,
    pk: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    dynamodb
        .get_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S(pk.into()))
        .send()
        .await
        .unwrap()
        .item
}

#[tokio::test]
async fn an_88_day_key_is_mailed_once_whichever_rule_comes_first_and_however_often() {
    let (mut emu, dynamodb) = setup().await;
    let keys = seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    emu.reset_requests();

    // The 14-day rule's event comes first: it sends the 7-day stage's notice.
    let first = succeeded(&deliver(&emu, RULE_14, "e-14").run());
    assert_eq!(first["status"], "sent", "{first}");
    assert_eq!(first["days_remaining"], 2);
    assert_eq!(first["keys"][0]["stage"], "tier_7");
    // Per sent notice: the IAM reads, one SendEmail, the claim and the
    // record (without enforcement, no date is announced, so no warning is
    // kept); and, once per process, the own account's id (the event names
    // it).
    assert_eq!(
        emu.requests(),
        json!({"iam:ListUsers": 1, "iam:GetUser": 1, "iam:ListAccessKeys": 1,
               "iam:GetAccessKeyLastUsed": 1, "sesv2:SendEmail": 1, "dynamodb:PutItem": 2,
               "sts:GetCallerIdentity": 1})
    );

    // The 7-day rule's event, and a duplicate delivery of the first.
    for (rule, id) in [(RULE_7, "e-7"), (RULE_14, "e-14")] {
        let o = succeeded(&deliver(&emu, rule, id).run());
        assert_eq!(o["status"], "skipped", "{o}");
        assert_eq!(o["reason"], "already_notified");
    }
    assert_eq!(emu.messages().len(), 1);

    // The record: sent, with the message id, kept 400 days past the deadline.
    let record = item(&dynamodb, &pk(&keys[0], "tier_7"))
        .await
        .expect("recorded");
    assert_eq!(record["status"].as_s().unwrap(), "SENT");
    assert_eq!(
        record["message_id"].as_s().unwrap(),
        first["message_id"].as_str().unwrap()
    );
    assert_eq!(record["user"].as_s().unwrap(), "alice");
    assert_eq!(record["source"].as_s().unwrap(), RULE_14);
    let expires: i64 = record["expires_at"].as_n().unwrap().parse().unwrap();
    let want = (Utc::now() + Duration::days(402)).timestamp();
    assert!(
        (want - 120..=want + 120).contains(&expires),
        "{expires} vs {want}"
    );
}

#[tokio::test]
async fn two_due_keys_get_one_mail_that_lists_both_and_records_both_stages() {
    let (mut emu, dynamodb) = setup().await;
    let keys = emu.create_user(json!({
        "name": "frank", "user_id": FIXTURE_USER_ID, "tags": {"Email": "frank@example.com"},
        "keys": [key_aged(85), key_aged(78)],
    }));
    let o = succeeded(&deliver(&emu, RULE_7, "e-7").run());
    assert_eq!(o["status"], "sent", "{o}");
    let listed: Vec<(String, String, u64)> = o["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["access_key_id"].as_str().unwrap().to_string(),
                k["stage"].as_str().unwrap().to_string(),
                k["days_remaining"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            (masked(&keys[0]), "tier_7".to_string(), 5),
            (masked(&keys[1]), "tier_14".to_string(), 12)
        ]
    );
    let messages = emu.messages();
    assert_eq!(messages.len(), 1);
    let body = messages[0]["body"].as_str().unwrap();
    assert!(
        body.contains(&masked(&keys[0])) && body.contains(&masked(&keys[1])),
        "{body}"
    );
    assert!(item(&dynamodb, &pk(&keys[0], "tier_7")).await.is_some());
    assert!(item(&dynamodb, &pk(&keys[1], "tier_14")).await.is_some());

    // The 14-day rule's event finds both stages recorded.
    let o = succeeded(&deliver(&emu, RULE_14, "e-14").run());
    assert_eq!(o["reason"], "already_notified");
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn concurrent_deliveries_of_both_rules_mail_once() {
    let (mut emu, _) = setup().await;
    seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));

    let mut children: Vec<_> = (0..4)
        .map(|i| {
            let rule = if i % 2 == 0 { RULE_7 } else { RULE_14 };
            deliver(&emu, rule, &format!("e-{i}")).spawn()
        })
        .collect();
    let outputs: Vec<Output> = children
        .drain(..)
        .map(|c| c.wait_with_output().unwrap())
        .collect();

    // Each one sent, found the notice sent, or found it being sent and asked
    // to be retried (exit 75); never a second mail.
    let mut sent = 0;
    for out in &outputs {
        let o = outcome(out);
        let stderr = String::from_utf8_lossy(&out.stderr);
        match out.status.code() {
            Some(0) if o["status"] == "sent" => sent += 1,
            Some(0) => assert_eq!(o["reason"], "already_notified", "{o}"),
            Some(75) => assert!(stderr.contains("Retryable.NoticeInProgress"), "{stderr}"),
            other => panic!("unexpected exit {other:?}: {stderr}"),
        }
    }
    assert_eq!(sent, 1);
    assert_eq!(emu.messages().len(), 1);

    // Retried, every delivery finds it sent.
    let retried = deliver(&emu, RULE_7, "e-0").run();
    assert_eq!(succeeded(&retried)["reason"], "already_notified");
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn a_live_claim_asks_for_a_retry_and_an_expired_one_lets_it_send() {
    let (mut emu, dynamodb) = setup().await;
    let keys = seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    let claim = |expires: chrono::DateTime<Utc>| {
        dynamodb
            .put_item()
            .table_name(TABLE)
            .item("pk", AttributeValue::S(pk(&keys[0], "tier_7")))
            .item("status", AttributeValue::S("CLAIMED".into()))
            .item("owner", AttributeValue::S("another-invocation".into()))
            .item(
                "expires_at",
                AttributeValue::N(expires.timestamp().to_string()),
            )
            .send()
    };

    // Another invocation holds the stage: retry later, nothing sent.
    claim(Utc::now() + Duration::minutes(5)).await.unwrap();
    let held = deliver(&emu, RULE_7, "e-7").run();
    assert_eq!(
        held.status.code(),
        Some(75),
        "{}",
        String::from_utf8_lossy(&held.stderr)
    );
    let stderr = String::from_utf8_lossy(&held.stderr);
    assert!(stderr.contains("Retryable.NoticeInProgress"), "{stderr}");
    assert!(
        stderr.contains(&masked(&keys[0])) && !stderr.contains(&keys[0]),
        "{stderr}"
    );
    assert!(emu.messages().is_empty());

    // That invocation crashed and its claim expired: the retry sends.
    claim(Utc::now() - Duration::seconds(1)).await.unwrap();
    assert_eq!(
        succeeded(&deliver(&emu, RULE_7, "e-7").run())["status"],
        "sent"
    );
    assert_eq!(emu.messages().len(), 1);
    let record = item(&dynamodb, &pk(&keys[0], "tier_7")).await.unwrap();
    assert_eq!(record["status"].as_s().unwrap(), "SENT");
}

#[tokio::test]
async fn a_failed_invocation_releases_its_claims() {
    // Given the sender is not verified, the first delivery fails permanently.
    let mut emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    create_ledger_table(&sdk, TABLE).await;
    let dynamodb = access_key_notifier::aws::dynamodb_client(&sdk);
    let keys = seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    let failed = deliver(&emu, RULE_7, "e-7").run();
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        item(&dynamodb, &pk(&keys[0], "tier_7")).await.is_none(),
        "claim released"
    );

    // When the operator fixes SES, the platform's retry goes through at once.
    emu.verify_sender(SENDER);
    assert_eq!(
        succeeded(&deliver(&emu, RULE_7, "e-7").run())["status"],
        "sent"
    );
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn a_dry_run_reads_the_ledger_and_writes_nothing() {
    let (mut emu, _) = setup().await;
    seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    emu.reset_requests();
    let dry = deliver(&emu, RULE_7, "e-7").env("DRY_RUN", "true").run();
    assert_eq!(succeeded(&dry)["status"], "dry_run");
    let requests = emu.requests();
    assert_eq!(requests["dynamodb:GetItem"], 1, "{requests}");
    assert!(requests.get("dynamodb:PutItem").is_none(), "{requests}");
    assert!(requests.get("sesv2:SendEmail").is_none(), "{requests}");
}

#[tokio::test]
async fn an_event_of_another_rule_costs_no_call() {
    let (mut emu, _) = setup().await;
    emu.reset_requests();
    let other = deliver(&emu, "securityhub-access-keys-rotated-3f1c2e", "e-x").run();
    assert_eq!(succeeded(&other)["reason"], "unknown_rule");
    assert_eq!(emu.requests(), json!({}), "no AWS call at all");
}
