//! IAM Access Analyzer's unused-access findings as a trigger, against the
//! emulator (moto has no Access Analyzer: the events are the project's
//! fixtures, shaped after the documented example). An event for a user
//! with an unused key brings exactly the notice an
//! `iam-user-unused-credentials-check` event brings; a resolved finding,
//! or one whose user or account does not match, brings nothing.

mod common;

use access_key_notifier::flow::Invocation;
use access_key_notifier::route::{Answer, answer};
use chrono::{Duration, Utc};
use common::{Emulator, deps_at_now, fixture_event, rfc3339};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const UNUSED_RULE: &str = "iam-user-unused-credentials-check";
const VARS: [(&str, &str); 3] = [
    ("UNUSED_KEY_DAYS", "90"),
    ("UNUSED_RULES", UNUSED_RULE),
    ("MAX_KEY_AGE_DAYS", "365"),
];

/// An emulator with alice (the fixtures' user), whose one key was never
/// used in 100 days.
async fn with_alice() -> Emulator {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(json!({
        "name": "alice", "user_id": common::FIXTURE_USER_ID,
        "tags": {"Email": "alice@example.com"},
        "keys": [{"created": rfc3339(Utc::now() - Duration::days(100)), "id": "AKIAALICE00000000100"}],
    }));
    emu
}

/// The event's outcome, as JSON.
async fn handle(emu: &Emulator, event: Value) -> Value {
    let deps = deps_at_now(emu, TABLE, &VARS).await;
    match answer(event, &deps, &Invocation::local()).await {
        Ok(Answer::Event(handled)) => serde_json::to_value(&handled.outcome).unwrap(),
        Ok(_) => panic!("an event's outcome"),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// The one mail SES accepted: its subject, and its HTML up to the footer
/// (which names what triggered it).
fn the_mail(emu: &mut Emulator) -> (String, String) {
    let mails = emu.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let body = mails[0]["body"].as_str().unwrap_or_default();
    let content = body.split("Sent by access-key-notifier").next().unwrap();
    (
        mails[0]["subject"].as_str().unwrap().to_string(),
        content.to_string(),
    )
}

#[tokio::test]
async fn an_unused_key_finding_brings_exactly_the_notice_of_the_unused_rule() {
    // Given the same user in two accounts' emulators: one gets the Config
    // unused rule's event, the other Access Analyzer's finding.
    let mut by_config = with_alice().await;
    let mut config_event = fixture_event("noncompliant-unused-credentials.json");
    config_event["detail"]["resourceId"] = json!(common::FIXTURE_USER_ID);
    config_event["detail"]["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
        ["resourceId"] = json!(common::FIXTURE_USER_ID);
    let config_outcome = handle(&by_config, config_event).await;
    let mut by_finding = with_alice().await;
    let finding = handle(
        &by_finding,
        fixture_event("access-analyzer-unused-access-key.json"),
    )
    .await;

    // Then both sent, and the mails are the same but for what sent them.
    assert_eq!(config_outcome["status"], "sent", "{config_outcome}");
    assert_eq!(finding["status"], "sent", "{finding}");
    assert_eq!(finding["rule"], "UnusedIAMUserAccessKey");
    assert_eq!(finding["user_id"], common::FIXTURE_USER_ID);
    let (config_subject, config_body) = the_mail(&mut by_config);
    let (finding_subject, finding_body) = the_mail(&mut by_finding);
    assert_eq!(finding_subject, config_subject);
    assert!(
        finding_subject.contains("was never used in 100 days"),
        "{finding_subject}"
    );
    assert_eq!(finding_body, config_body);
    let all = by_finding.messages()[0]["body"].to_string();
    assert!(
        all.contains("IAM Access Analyzer finding (UnusedIAMUserAccessKey)"),
        "{all}"
    );

    // And the same finding again tells nothing new: the same ledger stage.
    let again = handle(
        &by_finding,
        fixture_event("access-analyzer-unused-access-key.json"),
    )
    .await;
    assert_eq!(again["reason"], "already_notified", "{again}");
}

#[tokio::test]
async fn a_resolved_finding_a_missing_user_or_another_account_sends_nothing() {
    let mut emu = with_alice().await;
    let resolved = handle(
        &emu,
        fixture_event("access-analyzer-unused-access-key-resolved.json"),
    )
    .await;
    assert_eq!(resolved["reason"], "finding_not_active", "{resolved}");

    let mut nobody = fixture_event("access-analyzer-unused-access-key.json");
    nobody["detail"]["resource"] = json!("arn:aws:iam::123456789012:user/nobody");
    assert_eq!(handle(&emu, nobody).await["reason"], "user_not_found");

    let mut elsewhere = fixture_event("access-analyzer-unused-access-key.json");
    elsewhere["detail"]["resource"] = json!("arn:aws:iam::210987654321:user/alice");
    let refused = handle(&emu, elsewhere).await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("a user of the event's account 123456789012"),
        "{refused}"
    );
    let mut other_account = fixture_event("access-analyzer-unused-access-key.json");
    other_account["account"] = json!("210987654321");
    let refused = handle(&emu, other_account).await;
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("differs from the event's account"),
        "{refused}"
    );

    // A password finding while the password policy is off: nothing.
    let password = handle(&emu, fixture_event("access-analyzer-unused-password.json")).await;
    assert_eq!(password["reason"], "unknown_rule", "{password}");
    assert!(emu.messages().is_empty());
}
