//! The team's chat channel against the emulator: the real SNS client
//! publishes to a topic with an SQS subscription, and the test reads what
//! was published from the queue (parsing SNS's envelope), checking each
//! message against the custom-notification schema of Amazon Q Developer in
//! chat applications.

mod common;

use access_key_notifier::outcome::ChatStatus;

use std::collections::HashMap;

use chrono::{Duration, Utc};
use common::{ACCOUNT, Emulator, published, rfc3339, sweep, topic_with_queue, utc_date};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const DIGEST_TO: &str = "security-lead@example.com";

/// The custom-notification schema, as the Amazon Q Developer guide states
/// it: required fields and their fixed values, the allowed members and
/// their types, and the bounds this tool promises for each field.
fn assert_custom_notification(m: &Value) {
    let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
    let subset = |v: &Value, allowed: &[&str]| {
        for k in keys(v) {
            assert!(
                allowed.contains(&k.as_str()),
                "unexpected member {k} in {v}"
            );
        }
    };
    subset(m, &["version", "source", "id", "content", "metadata"]);
    assert_eq!(m["version"], "1.0", "required");
    assert_eq!(m["source"], "custom", "required");
    assert!(m["id"].is_string());
    let c = &m["content"];
    subset(
        c,
        &["textType", "title", "description", "nextSteps", "keywords"],
    );
    assert_eq!(c["textType"], "client-markdown");
    let title = c["title"].as_str().unwrap();
    assert!(!title.is_empty() && title.chars().count() <= 250, "{title}");
    let description = c["description"].as_str().unwrap();
    assert!(!description.is_empty() && description.chars().count() <= 3000);
    let strings = |v: &Value, max: usize| {
        let a = v.as_array().unwrap();
        assert!(a.len() <= max, "{v}");
        assert!(a.iter().all(Value::is_string), "{v}");
    };
    strings(&c["nextSteps"], 5);
    strings(&c["keywords"], 10);
    let md = &m["metadata"];
    subset(
        md,
        &[
            "threadId",
            "summary",
            "eventType",
            "relatedResources",
            "additionalContext",
        ],
    );
    assert!(md["threadId"].is_string() && md["summary"].is_string() && md["eventType"].is_string());
    strings(&md["relatedResources"], 100);
    assert!(
        md["additionalContext"]
            .as_object()
            .unwrap()
            .values()
            .all(Value::is_string),
        "additionalContext holds strings"
    );
    // Read by more people than the owner's mail: no address, no tag value.
    let text = m.to_string();
    assert!(!text.contains("@example.com"), "{text}");
}

fn user(name: &str, keys: Vec<Value>, tags: Value) -> Value {
    json!({"name": name, "user_id": format!("AIDA{:0>17}", name.to_uppercase()),
           "tags": tags, "keys": keys})
}

fn key(age: i64, used_days_ago: Option<i64>) -> Value {
    let mut k = json!({"created": rfc3339(Utc::now() - Duration::days(age))});
    if let Some(d) = used_days_ago {
        k["last_used"] = json!({"time": rfc3339(Utc::now() - Duration::days(d)),
                                "service": "s3", "region": "eu-west-1"});
    }
    k
}

fn owner(name: &str) -> Value {
    json!({"Email": format!("{name}@example.com")})
}

/// An emulator with the ledger, and an account of: two overdue keys, one
/// due soon, one unused, one user without an owner address.
async fn seeded() -> Emulator {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("heidi", vec![key(100, Some(1))], owner("heidi")));
    emu.create_user(user("dave", vec![key(95, Some(1))], owner("dave")));
    emu.create_user(user("grace", vec![key(80, Some(1))], owner("grace")));
    emu.create_user(user("kate", vec![key(70, None)], owner("kate")));
    emu.create_user(user("erin-ci", vec![key(84, Some(1))], json!({})));
    emu.create_user(user("busy", vec![key(10, Some(1))], owner("busy")));
    emu
}

async fn deps(emu: &Emulator, vars: &[(&str, &str)]) -> common::EmuDeps {
    let mut all: Vec<(&str, &str)> = vec![
        ("ENFORCE", "false"),
        ("UNUSED_KEY_DAYS", "60"),
        ("DIGEST_RECIPIENTS", DIGEST_TO),
        ("FALLBACK_RECIPIENTS", "cloud-team@example.com"),
    ];
    all.extend_from_slice(vars);
    common::enforcing_deps(emu, TABLE, &all).await
}

/// The number on one of the digest's summary cards, by its label.
fn card(digest_html: &str, label: &str) -> String {
    let at = digest_html
        .find(&format!(">{label}</div>"))
        .unwrap_or_else(|| panic!("a {label} card"));
    let before = &digest_html[..at];
    let open = before.rfind("bold; color: ").unwrap();
    let number = &before[open..];
    let start = number.find('>').unwrap() + 1;
    let end = number[start..].find('<').unwrap() + start;
    number[start..end].to_string()
}

#[tokio::test]
async fn a_sweeps_summary_arrives_as_a_valid_custom_notification_with_the_digests_counts() {
    let mut emu = seeded().await;
    let (topic, queue) = topic_with_queue(&emu, "akn-chat").await;
    let deps = deps(&emu, &[("CHAT_TOPIC_ARN", &topic)]).await;

    let o = sweep(&deps).await;

    let messages = published(&emu, &queue).await;
    assert_eq!(messages.len(), 1, "one summary, no alert: {messages:?}");
    let m = &messages[0];
    assert_custom_notification(m);
    assert_eq!(m["metadata"]["eventType"], "AccessKeySweepSummary");
    assert_eq!(
        m["metadata"]["threadId"],
        format!("access-key-notifier-{ACCOUNT}-{}", utc_date(0))
    );
    // The digest's own numbers, read from the digest mail.
    let mails = emu.messages();
    let digest = mails
        .iter()
        .find(|m| common::to_of(m) == DIGEST_TO)
        .expect("the digest");
    let html = digest["body"].as_str().unwrap();
    let ctx = &m["metadata"]["additionalContext"];
    assert_eq!(ctx["overdue"], card(html, "overdue"));
    assert_eq!(ctx["dueSoon"], card(html, "due soon"));
    assert_eq!(ctx["overdue"], "2");
    assert_eq!(ctx["dueSoon"], "2", "grace and erin-ci");
    assert_eq!(ctx["unused"], "1", "kate");
    assert_eq!(ctx["ownersWithoutAddress"], "1", "erin-ci");
    let report = o.report.as_ref().unwrap();
    assert_eq!(ctx["unused"], report.unused.len().to_string());
    let d = m["content"]["description"].as_str().unwrap();
    assert!(
        d.contains("• `heidi` `AKIA…"),
        "users by name, keys masked: {d}"
    );
    assert!(d.contains("unused for 70 days"), "{d}");
    let chat = o.chat.as_ref().unwrap();
    assert_eq!(
        (chat.status, chat.published, chat.failed),
        (ChatStatus::Published, 1, 0)
    );
}

#[tokio::test]
async fn a_deactivation_is_told_at_once_in_the_same_days_thread() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("judy", vec![key(120, Some(1))], owner("judy")));
    let (topic, queue) = topic_with_queue(&emu, "akn-chat-enforce").await;
    let deps = deps(
        &emu,
        &[
            ("CHAT_TOPIC_ARN", &topic),
            ("ENFORCE", "true"),
            ("ENFORCE_MIN_WARNING_DAYS", "0"),
        ],
    )
    .await;

    sweep(&deps).await; // the final warning
    let second = sweep(&deps).await; // the deactivation

    assert_eq!(second.enforcement.as_ref().unwrap().deactivated, 1);
    let messages = published(&emu, &queue).await;
    for m in &messages {
        assert_custom_notification(m);
    }
    let threads: Vec<&Value> = messages
        .iter()
        .map(|m| &m["metadata"]["threadId"])
        .collect();
    assert!(
        threads.windows(2).all(|w| w[0] == w[1]),
        "one thread: {threads:?}"
    );
    let alert = messages
        .iter()
        .find(|m| m["metadata"]["eventType"] == "AccessKeysDeactivated")
        .expect("the deactivation, told");
    let d = alert["content"]["description"].as_str().unwrap();
    assert!(d.contains("• `judy` `AKIA…"), "{d}");
    assert!(d.contains("30 days overdue"), "{d}");
    assert_eq!(
        messages
            .iter()
            .filter(|m| m["metadata"]["eventType"] == "AccessKeySweepSummary")
            .count(),
        2,
        "each sweep's summary"
    );
}

#[tokio::test]
async fn a_refused_publish_leaves_the_sweep_intact_and_the_digest_says_so() {
    let mut emu = seeded().await;
    // A topic that does not exist: SNS answers NotFound.
    let missing = format!("arn:aws:sns:us-east-1:{ACCOUNT}:no-such-topic");
    let deps = deps(&emu, &[("CHAT_TOPIC_ARN", &missing)]).await;

    let o = sweep(&deps).await;

    // Every notice went out and was recorded as without chat.
    assert_eq!(o.notices.sent, 5, "{:?}", o.notices);
    let chat = o.chat.as_ref().unwrap();
    assert_eq!(
        (chat.status, chat.published, chat.failed),
        (ChatStatus::Failed, 0, 1)
    );
    let json = serde_json::to_value(&o).unwrap();
    assert_eq!(json["chat"]["status"], "failed");
    let docs = access_key_notifier::metrics::sweep(&o);
    assert!(docs.iter().any(|d| d["ChatPublishFailed"] == 1), "{docs:?}");
    let mails = emu.messages();
    let digest = mails
        .iter()
        .find(|m| common::to_of(m) == DIGEST_TO)
        .unwrap();
    assert!(
        digest["body"]
            .as_str()
            .unwrap()
            .contains("1 messages to the team's chat channel could not be published")
    );
    // A second sweep mails no one again.
    let again = sweep(&deps).await;
    assert_eq!(again.notices.sent, 0);
}

#[tokio::test]
async fn a_dry_run_renders_the_messages_and_publishes_nothing() {
    let mut emu = seeded().await;
    let (topic, queue) = topic_with_queue(&emu, "akn-chat-dry").await;
    let deps = deps(&emu, &[("CHAT_TOPIC_ARN", &topic), ("DRY_RUN", "true")]).await;

    let o = sweep(&deps).await;

    assert!(published(&emu, &queue).await.is_empty());
    let chat = o.chat.as_ref().unwrap();
    assert_eq!((chat.status, chat.published), (ChatStatus::DryRun, 0));
    assert_eq!(chat.messages.len(), 1);
    let rendered: Value = serde_json::from_str(&chat.messages[0]).unwrap();
    assert_custom_notification(&rendered);
    let r: HashMap<String, Value> =
        serde_json::from_value(rendered["metadata"]["additionalContext"].clone()).unwrap();
    assert_eq!(r["overdue"], "2");
    assert_eq!(
        emu.requests()["sns:Publish"].as_u64().unwrap_or(0),
        0,
        "no Publish at all"
    );
}

#[tokio::test]
async fn a_japanese_sweep_publishes_its_summary_in_japanese_within_the_bounds() {
    // Given LOCALE=ja and more overdue, due and unused keys than a message
    // holds, their users' names as long as IAM allows (64 characters).
    let mut emu = common::emulator_with_ledger(TABLE).await;
    for (i, (kind, age, used)) in [
        ("overdue", 120, Some(1)),
        ("due", 80, Some(1)),
        ("idle", 70, None),
    ]
    .into_iter()
    .flat_map(|k| std::iter::repeat_n(k, 15))
    .enumerate()
    {
        let name = format!("{:-<64}", format!("svc-{kind}-{i:02}"));
        emu.create_user(json!({"name": name, "user_id": format!("AIDA{i:0>17}"),
                               "tags": owner(&format!("svc{i}")), "keys": [key(age, used)]}));
    }
    let (topic, queue) = topic_with_queue(&emu, "akn-chat-ja").await;
    let deps = deps(&emu, &[("CHAT_TOPIC_ARN", &topic), ("LOCALE", "ja")]).await;

    let o = sweep(&deps).await;
    assert_eq!(o.report.as_ref().unwrap().overdue.len(), 15);

    let messages = published(&emu, &queue).await;
    assert_eq!(messages.len(), 1, "{messages:?}");
    let m = &messages[0];
    // The schema's bounds hold, counted in characters.
    assert_custom_notification(m);
    let c = &m["content"];
    let title = c["title"].as_str().unwrap();
    assert!(
        title.contains("のアクセスキー") && title.contains("期限超過 15"),
        "{title}"
    );
    let d = c["description"].as_str().unwrap();
    assert!(d.contains("期限超過（古い順）"), "{d}");
    assert!(d.contains("期限超過 30 日"), "{d}");
    // The lists are cut, each with its Japanese tail, and the text, cut
    // by characters, is whole (SNS and the queue carried valid UTF-8).
    assert!(d.contains("…ほか "), "{d}");
    assert!(d.chars().count() > 1000, "the lists fill the message: {d}");
    assert!(!d.contains('\u{FFFD}'), "{d}");
    let steps = c["nextSteps"].as_array().unwrap();
    assert!(
        steps.iter().all(|s| s
            .as_str()
            .unwrap()
            .chars()
            .any(|ch| ('\u{3040}'..='\u{30ff}').contains(&ch))),
        "{steps:?}"
    );
}
