//! Malformed and hostile input, table-driven, through the real handler with
//! real SDK clients on the emulator: every case ends in its expected outcome
//! or error, never a panic, and no mail goes to an address that did not pass
//! validation.

mod common;

use std::collections::HashMap;

use access_key_notifier::address;
use access_key_notifier::app::{AwsDeps, deps_from_sdk};
use access_key_notifier::config::Config;
use access_key_notifier::error::Error;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::handle;
use common::{Emulator, SENDER, fixture_event, key_aged};
use serde_json::{Value, json};

const FALLBACK: &str = "fallback@example.com";

fn fixture() -> Value {
    fixture_event("noncompliant-7-days.json")
}

/// Sets (or adds) the field at `pointer`.
fn set(mut event: Value, pointer: &str, value: Value) -> Value {
    let (parent, field) = pointer.rsplit_once('/').unwrap();
    let parent = if parent.is_empty() {
        Some(&mut event)
    } else {
        event.pointer_mut(parent)
    };
    match parent.unwrap_or_else(|| panic!("{pointer}")) {
        Value::Object(map) => {
            map.insert(field.to_string(), value);
        }
        other => panic!("{pointer}: parent is {other}"),
    }
    event
}

fn deps(sdk: &aws_config::SdkConfig) -> AwsDeps {
    let vars: HashMap<&str, &str> = HashMap::from([
        ("SENDER_ADDRESS", SENDER),
        ("FALLBACK_RECIPIENTS", FALLBACK),
        ("ALLOWED_RECIPIENT_DOMAINS", "example.com"),
    ]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    deps_from_sdk(config, sdk)
}

enum Want {
    Skip(&'static str),
    Invalid(&'static str),
}

#[tokio::test]
async fn malformed_and_hostile_events() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let sdk = emu.sdk_config().await;
    let deps = deps(&sdk);
    let base = fixture();
    let big = "A".repeat(1 << 20);

    let cases: Vec<(&str, Value, Want)> = vec![
        (
            "null payload",
            Value::Null,
            Want::Invalid("not a JSON object"),
        ),
        (
            "number payload",
            json!(42),
            Want::Invalid("not a JSON object"),
        ),
        (
            "array payload",
            json!([base.clone()]),
            Want::Invalid("not a JSON object"),
        ),
        (
            "detail-type a number",
            set(base.clone(), "/detail-type", json!(7)),
            Want::Invalid("not an EventBridge event"),
        ),
        (
            "source null",
            set(base.clone(), "/source", Value::Null),
            Want::Invalid("not an EventBridge event"),
        ),
        (
            "detail null",
            set(base.clone(), "/detail", Value::Null),
            Want::Invalid("detail is not a JSON object"),
        ),
        (
            "detail an array",
            set(base.clone(), "/detail", json!([1])),
            Want::Invalid("detail is not a JSON object"),
        ),
        (
            "time not a time",
            set(base.clone(), "/time", json!("yesterday")),
            Want::Invalid("not an EventBridge event"),
        ),
        (
            "resourceId null",
            set(base.clone(), "/detail/resourceId", Value::Null),
            Want::Invalid("resourceId is missing"),
        ),
        (
            "resourceId empty",
            set(base.clone(), "/detail/resourceId", json!("")),
            Want::Invalid("resourceId"),
        ),
        (
            "resourceId 1 MiB",
            set(base.clone(), "/detail/resourceId", json!(big)),
            Want::Invalid("resourceId"),
        ),
        (
            "resourceId with NUL",
            set(
                base.clone(),
                "/detail/resourceId",
                json!("AIDA\u{0}TCKAQT2XHRAS7UPNO"),
            ),
            Want::Invalid("resourceId"),
        ),
        (
            "resourceId an object",
            set(base.clone(), "/detail/resourceId", json!({"id": 1})),
            Want::Invalid("detail.resourceId is an object, not a string"),
        ),
        (
            "rule name empty",
            set(base.clone(), "/detail/configRuleName", json!("")),
            Want::Invalid("configRuleName"),
        ),
        (
            "rule name in Japanese",
            set(base.clone(), "/detail/configRuleName", json!("キー規則")),
            Want::Invalid("configRuleName"),
        ),
        (
            "rule name with CR/LF",
            set(
                base.clone(),
                "/detail/configRuleName",
                json!("access-keys-rotated-1\r\nX: y"),
            ),
            Want::Invalid("configRuleName"),
        ),
        (
            "complianceType a number",
            set(
                base.clone(),
                "/detail/newEvaluationResult/complianceType",
                json!(1),
            ),
            Want::Invalid("detail.newEvaluationResult.complianceType is a number, not a string"),
        ),
        (
            "newEvaluationResult a string",
            set(
                base.clone(),
                "/detail/newEvaluationResult",
                json!("NON_COMPLIANT"),
            ),
            Want::Invalid("detail.newEvaluationResult is a string, not an object"),
        ),
        (
            "newEvaluationResult a 5 MB string",
            set(
                base.clone(),
                "/detail/newEvaluationResult",
                json!("N".repeat(5 << 20)),
            ),
            Want::Invalid("detail.newEvaluationResult is a string, not an object"),
        ),
        (
            "event id of 5 MB",
            set(base.clone(), "/id", json!("e".repeat(5 << 20))),
            Want::Invalid("is not an event id"),
        ),
        (
            "event id a number",
            set(base.clone(), "/id", json!(7)),
            Want::Invalid("not an EventBridge event: id is a number, not a string"),
        ),
        (
            "account not digits",
            set(base.clone(), "/detail/awsAccountId", json!("12345678901x")),
            Want::Invalid("12-digit"),
        ),
        (
            "other event source",
            set(base.clone(), "/source", json!("aws.iam")),
            Want::Skip("not_compliance_change"),
        ),
        (
            "other detail-type",
            set(
                base.clone(),
                "/detail-type",
                json!("Config Configuration Item Change"),
            ),
            Want::Skip("not_compliance_change"),
        ),
        (
            "other message type",
            set(
                base.clone(),
                "/detail/messageType",
                json!("ScheduledNotification"),
            ),
            Want::Skip("not_compliance_change"),
        ),
        (
            "insufficient data",
            set(
                base.clone(),
                "/detail/newEvaluationResult/complianceType",
                json!("INSUFFICIENT_DATA"),
            ),
            Want::Skip("not_non_compliant"),
        ),
        (
            "other resource type",
            set(
                base.clone(),
                "/detail/resourceType",
                json!("AWS::S3::Bucket"),
            ),
            Want::Skip("not_iam_user"),
        ),
        (
            "other rule",
            set(
                base.clone(),
                "/detail/configRuleName",
                json!("s3-bucket-public-read-prohibited"),
            ),
            Want::Skip("unknown_rule"),
        ),
        (
            "unknown 1 MiB field, no such user",
            set(base.clone(), "/detail/padding", json!("x".repeat(1 << 20))),
            Want::Skip("user_not_found"),
        ),
        (
            "a role's id, not a user's",
            set(
                base.clone(),
                "/detail/resourceId",
                json!("AROATCKAQT2XHRAS7UPNO"),
            ),
            Want::Skip("user_not_found"),
        ),
    ];
    assert!(cases.len() >= 25);
    for (name, event, want) in cases {
        let got = handle(event, &deps, &Invocation::local()).await;
        match (want, got) {
            (Want::Skip(reason), Ok(h)) => {
                let o = serde_json::to_value(&h.outcome).unwrap();
                assert_eq!(o["status"], "skipped", "{name}: {o}");
                assert_eq!(o["reason"], reason, "{name}: {o}");
            }
            (Want::Invalid(needle), Err(e @ Error::InvalidEvent(_))) => {
                assert!(e.to_string().contains(needle), "{name}: {e}");
                assert!(!e.is_retryable(), "{name}");
                assert!(
                    e.to_string().len() < 1000,
                    "{name}: the message quotes at most a bounded part of the input"
                );
            }
            (_, got) => panic!("{name}: unexpected {got:?}"),
        }
    }
    assert!(emu.messages().is_empty());
}

#[tokio::test]
async fn hostile_owner_tags_never_receive_mail() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let sdk = emu.sdk_config().await;
    let deps = deps(&sdk);

    // (tag value, who must receive the notice)
    let long = format!("{}@example.com", "a".repeat(300));
    let cases: Vec<(String, &str)> = vec![
        ("alice@example.com\r\nBcc: eve@evil.test".into(), FALLBACK),
        ("alice@example.com\nCc: eve@evil.test".into(), FALLBACK),
        ("alice@example.com, eve@evil.test".into(), FALLBACK),
        ("alice@example.com;eve@example.com".into(), FALLBACK),
        ("Alice <alice@example.com>".into(), FALLBACK),
        ("\"eve@evil.test\" <alice@example.com>".into(), FALLBACK),
        ("=?utf-8?b?ZXZl?=@example.com".into(), FALLBACK),
        ("eve@evil.test".into(), FALLBACK),
        ("eve@example.com.evil.test".into(), FALLBACK),
        ("alice@example.com%0d%0abcc:eve@evil.test".into(), FALLBACK),
        ("ålice@example.com".into(), FALLBACK),
        ("alice@ｅxample.com".into(), FALLBACK),
        ("".into(), FALLBACK),
        (long, FALLBACK),
        ("alice@127.0.0.1".into(), FALLBACK),
        ("alice@example.123".into(), FALLBACK),
        ("alice@ex_ample.com".into(), FALLBACK),
        ("alice@example.c-m".into(), FALLBACK),
        // Old relay routes to evil.example, inside an allowed domain.
        ("alice%evil.example@example.com".into(), FALLBACK),
        ("evil.example!alice@example.com".into(), FALLBACK),
        ("  bob@example.com  ".into(), "bob@example.com"),
    ];
    for (i, (tag, expected)) in cases.iter().enumerate() {
        let user_id = format!("AIDAHOSTILE{i:010}");
        emu.create_user(json!({"name": format!("user-{i}"), "user_id": user_id,
            "tags": {"Email": tag, "Locale": "ja\r\nX-Injected: 1"}, "keys": [key_aged(85)]}));
        let event = set(fixture(), "/detail/resourceId", json!(user_id));
        let handled = handle(event, &deps, &Invocation::local())
            .await
            .unwrap_or_else(|e| panic!("tag {tag:?}: {e}"));
        let o = serde_json::to_value(&handled.outcome).unwrap();
        assert_eq!(o["status"], "sent", "tag {tag:?}: {o}");
        assert_eq!(o["recipients"]["to"], json!([expected]), "tag {tag:?}");
        let subject = handled.rendered.expect("rendered").subject;
        assert!(
            subject.starts_with("[Action required]"),
            "the bad locale tag falls back to English: {subject}"
        );
    }

    // Every address SES was given passes validation; none came from a bad tag.
    let allowed = vec!["example.com".to_string()];
    let messages = emu.messages();
    assert_eq!(messages.len(), cases.len());
    for m in &messages {
        for list in ["ToAddresses", "CcAddresses", "BccAddresses"] {
            for a in m["destinations"][list].as_array().into_iter().flatten() {
                let a = a.as_str().unwrap();
                assert!(
                    address::parse_within(a, &allowed).is_ok(),
                    "{a:?} was mailed"
                );
                assert!(a == FALLBACK || a == "bob@example.com", "{a:?} was mailed");
            }
        }
    }
}
