//! Security Hub findings against the emulator: moto's BatchImportFindings
//! and GetFindings through the real SDK client, with the emulator holding
//! them to Security Hub's rules moto lacks (the `UpdatedAt` rule, ASFF's
//! required attributes, 1 to 100 findings a call, GetFindings' filters).
//! Every finding is read back from the hub, never from the outcome.

mod common;

use access_key_notifier::aws;
use chrono::{Duration, Utc};
use common::{Emulator, deps_at_now, later, sweep};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const VARS: [(&str, &str); 2] = [
    ("SECURITY_HUB", "true"),
    ("EXEMPT_TAG", "KeyRotationExempt"),
];

/// Every finding in the hub, by its title's user, as JSON-ish text and
/// (id, severity, record state, updated at).
async fn hub(emu: &Emulator) -> Vec<(String, String, String, String, String)> {
    let client = aws::securityhub_client(&emu.sdk_config().await);
    let out = client.get_findings().max_results(100).send().await.unwrap();
    let mut all: Vec<_> = out
        .findings()
        .iter()
        .map(|f| {
            (
                f.id().unwrap().to_string(),
                f.severity().unwrap().label().unwrap().as_str().to_string(),
                f.record_state().unwrap().as_str().to_string(),
                f.updated_at().unwrap().to_string(),
                format!("{f:?}"),
            )
        })
        .collect();
    all.sort();
    all
}

fn find<'a>(
    all: &'a [(String, String, String, String, String)],
    masked_key: &str,
) -> &'a (String, String, String, String, String) {
    let part = masked_key.replace('…', "-");
    let found: Vec<_> = all.iter().filter(|f| f.0.contains(&part)).collect();
    assert_eq!(found.len(), 1, "{masked_key}: {all:?}");
    found[0]
}

fn seed(emu: &mut Emulator) -> Value {
    let mut keys = json!({});
    for (name, age) in [
        ("alice", 95),
        ("bob", 80),
        ("carol", 85),
        ("dave", 130),
        ("erin", 10),
    ] {
        keys[name] = json!(emu.create_user(common::owned_user(name, &[age]))[0]);
    }
    let mut frank = common::owned_user("frank", &[120]);
    frank["tags"]["KeyRotationExempt"] = json!("true");
    keys["frank"] = json!(emu.create_user(frank)[0]);
    keys
}

fn key(keys: &Value, name: &str) -> String {
    keys[name].as_str().unwrap().to_string()
}

#[tokio::test]
async fn one_finding_per_due_key_updated_in_place_and_archived_once_rotated() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let keys = seed(&mut emu);
    let deps = deps_at_now(&emu, TABLE, &VARS).await;
    let start = Utc::now();

    // The first sweep: one finding per due key, with its severity.
    let first = sweep(&deps).await;
    let h = first.security_hub.as_ref().unwrap();
    assert_eq!((h.imported, h.archived, h.failed), (4, 0, 0), "{h:?}");
    let all = hub(&emu).await;
    assert_eq!(all.len(), 4, "{all:?}");
    let masked = |name: &str| common::masked(&key(&keys, name));
    assert_eq!(find(&all, &masked("alice")).1, "HIGH");
    assert_eq!(find(&all, &masked("bob")).1, "LOW");
    assert_eq!(find(&all, &masked("carol")).1, "MEDIUM");
    assert_eq!(find(&all, &masked("dave")).1, "CRITICAL");
    assert!(all.iter().all(|f| f.2 == "ACTIVE"));
    // No full key id and no address in any finding.
    let text: String = all.iter().map(|f| f.4.clone()).collect();
    for name in ["alice", "bob", "carol", "dave", "erin", "frank"] {
        assert!(
            !text.contains(&key(&keys, name)),
            "{name}'s key id in {text}"
        );
    }
    assert!(!text.contains("@example.com"), "{text}");
    assert!(
        text.contains("arn:aws:iam::123456789012:user/alice"),
        "{text}"
    );

    // A second sweep later: the same findings, updated in place.
    later(&deps, start, 1);
    sweep(&deps).await;
    let again = hub(&emu).await;
    assert_eq!(again.len(), 4);
    let (before, after) = (find(&all, &masked("alice")), find(&again, &masked("alice")));
    assert_eq!(before.0, after.0);
    assert!(
        after.3 > before.3,
        "UpdatedAt moved: {} then {}",
        before.3,
        after.3
    );

    // alice rotates her key: the next sweep archives its finding.
    let iam = aws::iam_client(&emu.sdk_config().await);
    iam.delete_access_key()
        .user_name("alice")
        .access_key_id(key(&keys, "alice"))
        .send()
        .await
        .unwrap();
    emu.create_user(json!({"name": "alice-new", "keys": []}));
    emu.call(json!({"op": "credential_report", "forget": true}));
    later(&deps, start, 2);
    let third = sweep(&deps).await;
    assert_eq!(third.security_hub.as_ref().unwrap().archived, 1);
    let closed = hub(&emu).await;
    assert_eq!(closed.len(), 4, "archived, not deleted");
    let alice = find(&closed, &masked("alice"));
    assert_eq!(alice.2, "ARCHIVED");
    assert!(alice.4.contains("Passed"), "{}", alice.4);
    assert!(!alice.4.contains("workflow: Some"), "{}", alice.4);
    assert_eq!(closed.iter().filter(|f| f.2 == "ACTIVE").count(), 3);
}

#[tokio::test]
async fn refused_findings_and_a_refused_import_are_reported_while_the_mail_goes_on() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let keys = seed(&mut emu);
    let carol = common::masked(&key(&keys, "carol")).replace('…', "-");
    emu.call(json!({"op": "hub_refuse", "id_containing": carol, "code": "InvalidInput"}));
    let deps = deps_at_now(&emu, TABLE, &VARS).await;
    let start = Utc::now();

    let out = sweep(&deps).await;
    let h = out.security_hub.as_ref().unwrap();
    assert_eq!((h.imported, h.failed), (3, 1), "{h:?}");
    assert_eq!(h.failures.get("InvalidInput"), Some(&1));
    assert_eq!(out.notices.sent, 4, "every owner mailed");
    assert_eq!(hub(&emu).await.len(), 3);

    // The whole import refused: the outcome says so, the mail goes on.
    emu.call(json!({"op": "fail_next", "action": "securityhub:BatchImportFindings",
                    "status": 403, "code": "AccessDeniedException", "message": "not authorized", "times": 5}));
    emu.create_user(common::owned_user("gina", &[80]));
    emu.call(json!({"op": "credential_report", "forget": true}));
    later(&deps, start + Duration::hours(1), 0);
    let refused = sweep(&deps).await;
    let h = refused.security_hub.as_ref().unwrap();
    assert_eq!(
        serde_json::to_value(h).unwrap()["status"],
        "failed",
        "{h:?}"
    );
    assert!(
        h.error.as_deref().unwrap().contains("AccessDenied"),
        "{h:?}"
    );
    assert_eq!(refused.notices.sent, 1, "gina was mailed");
}
