//! Rotation against the emulator: moto's IAM and Secrets Manager through
//! the real SDK clients. Each key's status is read back from IAM and each
//! secret from Secrets Manager, never from the notifier's own report; the
//! secret a rotation stored is then searched for in everything the
//! notifier wrote (its log lines and outcomes, the mails SES accepted, the
//! chat messages, the ledger's items).

mod common;

use std::process::{Child, Command, Output, Stdio};

use access_key_notifier::aws;
use chrono::{Duration, Utc};
use common::{
    Emulator, RULE_14, event_for, key_aged, key_statuses, later, notifier, published, rfc3339,
    sweep, topic_with_queue,
};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const SECRET: &str = "access-key-notifier/123456789012/deployer";

fn user_id(name: &str) -> String {
    format!(
        "AIDA{:0>17}",
        name.replace('-', "")
            .to_uppercase()
            .chars()
            .take(17)
            .collect::<String>()
    )
}

/// A user with an owner address, opted in to rotation unless `tags` says
/// otherwise, with keys of these ages.
fn machine_user(name: &str, ages: &[i64], tags: Value) -> Value {
    let mut all = json!({"Email": format!("{name}@example.com"), "KeyRotation": "secrets-manager"});
    all.as_object_mut()
        .unwrap()
        .extend(tags.as_object().unwrap().clone());
    all.as_object_mut().unwrap().retain(|_, v| !v.is_null());
    json!({
        "name": name,
        "user_id": user_id(name),
        "tags": all,
        "keys": ages.iter().map(|a| key_aged(*a)).collect::<Vec<_>>(),
    })
}

/// The secret's value as Secrets Manager holds it: (key id, secret key),
/// and how many versions it has.
async fn stored(emu: &Emulator) -> (String, String, usize) {
    let sm = aws::secretsmanager_client(&emu.sdk_config().await);
    let value = sm
        .get_secret_value()
        .secret_id(SECRET)
        .send()
        .await
        .unwrap();
    let value: Value = serde_json::from_str(value.secret_string().unwrap()).unwrap();
    let versions = sm
        .list_secret_version_ids()
        .secret_id(SECRET)
        .send()
        .await
        .unwrap();
    (
        value["AccessKeyId"].as_str().unwrap().to_string(),
        value["SecretAccessKey"].as_str().unwrap().to_string(),
        versions.versions().len(),
    )
}

async fn secret_names(emu: &Emulator) -> Vec<String> {
    let sm = aws::secretsmanager_client(&emu.sdk_config().await);
    let out = sm.list_secrets().send().await.unwrap();
    out.secret_list()
        .iter()
        .map(|s| s.name().unwrap().to_string())
        .collect()
}

/// Every item of the ledger, as text.
async fn ledger_items(emu: &Emulator) -> String {
    let dynamodb = aws::dynamodb_client(&emu.sdk_config().await);
    let out = dynamodb.scan().table_name(TABLE).send().await.unwrap();
    format!("{:?}", out.items())
}

/// The binary, for the emulator, with rotation on and `vars`.
fn command(emu: &Emulator, topic: &str, vars: &[(&str, &str)]) -> Command {
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    cmd.env("LEDGER_TABLE", TABLE)
        .env("ROTATE", "true")
        .env("EXEMPT_TAG", "KeyRotationExempt")
        .env("CHAT_TOPIC_ARN", topic)
        .env("DIGEST_RECIPIENTS", "security-lead@example.com")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn spawn_sweep(emu: &Emulator, topic: &str) -> Child {
    command(emu, topic, &[]).arg("sweep").spawn().unwrap()
}

fn spawn_event(emu: &Emulator, topic: &str, event: &Value) -> Child {
    let path = std::env::temp_dir().join(format!(
        "akn-rotation-event-{}-{}.json",
        std::process::id(),
        event["id"].as_str().unwrap()
    ));
    std::fs::write(&path, event.to_string()).unwrap();
    command(emu, topic, &[])
        .args(["invoke", "--event"])
        .arg(&path)
        .spawn()
        .unwrap()
}

fn finished(child: Child) -> Output {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test]
async fn a_tagged_key_gets_one_new_key_and_one_secret_and_the_secret_is_nowhere_else() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let (topic, queue) = topic_with_queue(&emu, "akn-chat").await;
    let old = emu.create_user(machine_user("deployer", &[76], json!({})))[0].clone();
    emu.create_user(machine_user("person", &[76], json!({"KeyRotation": null})));
    emu.create_user(machine_user(
        "exempt-ci",
        &[76],
        json!({"KeyRotationExempt": "true"}),
    ));
    let two = emu.create_user(machine_user("two-keys", &[76, 10], json!({})));
    let iam = aws::iam_client(&emu.sdk_config().await);

    // A sweep, then three overlapping sweeps and a Config event, then one
    // more sweep: every path the key can be reached by, at once.
    let mut outputs = vec![finished(spawn_sweep(&emu, &topic))];
    let event = event_for(RULE_14, &user_id("deployer"), "rotation-event-1");
    let overlapping = vec![
        spawn_sweep(&emu, &topic),
        spawn_sweep(&emu, &topic),
        spawn_event(&emu, &topic, &event),
        spawn_sweep(&emu, &topic),
    ];
    outputs.extend(overlapping.into_iter().map(finished));
    outputs.push(finished(spawn_sweep(&emu, &topic)));

    // One new key, active, beside the old one; one secret, one version,
    // holding the new key.
    let requests = emu.requests();
    assert_eq!(common::count(&requests, "iam:CreateAccessKey"), 1);
    assert_eq!(common::count(&requests, "secretsmanager:PutSecretValue"), 1);
    let keys = key_statuses(&iam, "deployer").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys.iter().all(|(_, active)| *active));
    let (new_key, secret_access_key, versions) = stored(&emu).await;
    assert_ne!(new_key, old);
    assert!(keys.iter().any(|(id, _)| *id == new_key));
    assert_eq!(versions, 1);
    assert_eq!(secret_names(&emu).await, vec![SECRET.to_string()]);

    // Untagged, exempt and two-key users: nothing created.
    assert_eq!(key_statuses(&iam, "person").await.len(), 1);
    assert_eq!(key_statuses(&iam, "exempt-ci").await.len(), 1);
    let mut two_sorted = two.clone();
    two_sorted.sort();
    assert_eq!(
        key_statuses(&iam, "two-keys")
            .await
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>(),
        two_sorted
    );

    // The mails: the owner's rotation notice names the secret, and the
    // two-key user is asked to delete one.
    let mails = emu.messages();
    let subject = |to: &str| -> Vec<String> {
        mails
            .iter()
            .filter(|m| common::to_of(m) == to)
            .map(|m| m["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        subject("deployer@example.com"),
        vec![
            "[Rotated] The IAM access key of deployer was replaced; the new key is in Secrets Manager"
        ]
    );
    assert_eq!(
        subject("two-keys@example.com"),
        vec![
            "[Action required] The IAM access key of two-keys could not be rotated: the user holds two keys"
        ]
    );
    let rotated = mails
        .iter()
        .find(|m| common::to_of(m) == "deployer@example.com")
        .unwrap();
    let body = rotated["body"].as_str().unwrap();
    assert!(body.contains(SECRET), "{body}");
    assert!(
        body.contains("aws secretsmanager get-secret-value --secret-id arn:aws:secretsmanager:us-east-1:123456789012:secret:access-key-notifier/123456789012/deployer-"),
        "{body}"
    );

    // The first sweep's outcome counted it; the chat summary too.
    let first: Value = serde_json::from_slice(&outputs[0].stdout).unwrap();
    assert_eq!(first["rotation"]["rotated"], 1, "{first}");
    assert_eq!(first["rotation"]["blocked"], 1, "{first}");
    let chat = published(&emu, &queue).await;
    assert!(
        chat.iter()
            .any(|m| m["metadata"]["additionalContext"]["rotated"] == "1"),
        "{chat:?}"
    );

    // The secret is in Secrets Manager and nowhere else.
    let mut everything: Vec<String> = outputs
        .iter()
        .flat_map(|o| {
            [
                String::from_utf8_lossy(&o.stdout).to_string(),
                String::from_utf8_lossy(&o.stderr).to_string(),
            ]
        })
        .collect();
    everything.push(serde_json::to_string(&mails).unwrap());
    everything.push(serde_json::to_string(&chat).unwrap());
    everything.push(ledger_items(&emu).await);
    let logs = everything.join("\n");
    assert!(
        logs.contains("access key replaced; its secret is in Secrets Manager"),
        "the search covers the log"
    );
    assert!(logs.contains("\"stage\":\"rotated\""), "and the outcomes");
    assert!(secret_access_key.len() >= 16);
    for (i, text) in everything.iter().enumerate() {
        assert!(
            !text.contains(&secret_access_key),
            "the secret access key appears in output {i}"
        );
    }
}

#[tokio::test]
async fn the_old_key_is_retired_only_after_the_new_key_is_used_and_the_date_has_come() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let deps = common::deps_at_now(&emu, TABLE, &[("ROTATE", "true")]).await;
    let old = emu.create_user(machine_user("deployer", &[76], json!({})))[0].clone();
    let iam = aws::iam_client(&emu.sdk_config().await);
    let start = Utc::now();

    let first = sweep(&deps).await;
    assert_eq!(first.rotation.as_ref().unwrap().rotated, 1);
    let (new_key, _, _) = stored(&emu).await;
    let both_active = |mut keys: Vec<(String, bool)>| {
        keys.sort();
        keys
    };

    // The deadline is 14 days away; 15 days on, the date has come, but
    // the new key is unused: the old key stays, and the reminder says so.
    later(&deps, start, 15);
    let waiting = sweep(&deps).await;
    assert_eq!(
        waiting.rotation.as_ref().unwrap().awaiting_new_key_use,
        1,
        "{:?}",
        waiting.rotation
    );
    assert_eq!(
        key_statuses(&iam, "deployer").await,
        both_active(vec![(old.clone(), true), (new_key.clone(), true)])
    );
    let reminder = emu.messages().pop().unwrap();
    assert!(
        reminder["subject"]
            .as_str()
            .unwrap()
            .starts_with("[Overdue] The replaced IAM access key of deployer"),
        "{reminder}"
    );
    assert!(
        reminder["body"]
            .as_str()
            .unwrap()
            .contains("<strong>the new key has not been used yet</strong>"),
        "{reminder}"
    );

    // Something uses the new key; the next run retires the old one, and
    // only it.
    emu.call(json!({"op": "use_key", "key": new_key, "time": rfc3339(Utc::now() + Duration::minutes(5)), "service": "s3", "region": "us-east-1"}));
    later(&deps, start, 16);
    let retired = sweep(&deps).await;
    assert_eq!(retired.enforcement.as_ref().unwrap().deactivated, 1);
    assert_eq!(
        key_statuses(&iam, "deployer").await,
        both_active(vec![(old, false), (new_key, true)])
    );
    let mail = emu.messages().pop().unwrap();
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .ends_with("(replaced, and the new key is in use)"),
        "{mail}"
    );
}

#[tokio::test]
async fn a_failed_secret_write_leaves_the_new_key_inactive_and_a_dry_run_creates_nothing() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let old = emu.create_user(machine_user("deployer", &[76], json!({})))[0].clone();
    let iam = aws::iam_client(&emu.sdk_config().await);

    // A dry run: would_rotate, and nothing in IAM or Secrets Manager.
    let dry = common::deps_at_now(&emu, TABLE, &[("ROTATE", "dry_run")]).await;
    let o = sweep(&dry).await;
    assert_eq!(o.rotation.as_ref().unwrap().would_rotate, 1);
    assert_eq!(common::count(&emu.requests(), "iam:CreateAccessKey"), 0);
    assert!(secret_names(&emu).await.is_empty());

    // Secrets Manager refuses the value (each of the SDK's three attempts).
    emu.call(json!({"op": "fail_next", "action": "secretsmanager:PutSecretValue", "status": 500, "code": "InternalServiceError", "message": "try again", "times": 3}));
    let deps = common::deps_at_now(&emu, TABLE, &[("ROTATE", "true")]).await;
    let o = sweep(&deps).await;
    let r = o.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.failed), (0, 1), "{r:?}");
    assert_eq!(r.errors[0].error_type, "Retryable.SecretsManagerError");
    let keys = key_statuses(&iam, "deployer").await;
    assert_eq!(keys.len(), 2);
    for (id, active) in &keys {
        assert_eq!(*active, *id == old, "only the old key is active: {keys:?}");
    }
    let sm = aws::secretsmanager_client(&emu.sdk_config().await);
    let described = sm.describe_secret().secret_id(SECRET).send().await.unwrap();
    assert!(
        described
            .version_ids_to_stages()
            .is_none_or(|v| v.is_empty()),
        "no value stored"
    );
}
