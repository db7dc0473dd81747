//! The unused-key policy against the emulator: the real SDK clients, the
//! credential report's last-use columns, the notice ledger in DynamoDB, the
//! mail SES accepted, and `scan` from the real binary.

mod common;

use std::collections::HashMap;

use access_key_notifier::app::deps_from_sdk;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::route::{Answer, answer as dispatch};
use chrono::{Duration, Utc};
use common::{Emulator, SENDER, count, fixture_event, notifier, rfc3339, utc_date};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const UNUSED_RULE: &str = "iam-user-unused-credentials-check";

fn config(vars: &[(&str, &str)]) -> Config {
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("SENDER_ADDRESS", SENDER),
        ("LEDGER_TABLE", TABLE),
        ("UNUSED_KEY_DAYS", "90"),
        ("UNUSED_RULES", UNUSED_RULE),
    ]);
    env.extend(vars.iter().copied());
    Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap()
}

/// A key `age` days old, last used `used` days ago (`None`: never).
fn key(age: i64, used: Option<i64>) -> Value {
    let mut k = json!({"created": rfc3339(Utc::now() - Duration::days(age))});
    if let Some(days) = used {
        k["last_used"] = json!({"time": rfc3339(Utc::now() - Duration::days(days)),
                                "service": "s3", "region": "eu-west-1"});
    }
    k
}

fn user(name: &str, keys: Vec<Value>) -> Value {
    json!({"name": name, "user_id": format!("AIDA{:0>17}", name.to_uppercase()),
           "tags": {"Email": format!("{name}@example.com")}, "keys": keys})
}

/// The daily sweep through `deps`, its outcome as JSON.
async fn sweep<P: access_key_notifier::ports::Ports>(
    deps: &access_key_notifier::flow::Deps<P>,
) -> Value {
    let Answer::Sweep(o) = dispatch(
        fixture_event("scheduled-event.json"),
        deps,
        &Invocation::local(),
    )
    .await
    .unwrap() else {
        panic!("a scheduled event sweeps")
    };
    serde_json::to_value(&*o).unwrap()
}

fn subjects_by_recipient(emu: &mut Emulator) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = emu
        .messages()
        .iter()
        .filter(|m| !common::to_of(m).starts_with("security"))
        .map(|m| {
            (
                common::to_of(m),
                m["subject"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_never_used_key_and_one_idle_for_120_days_are_told_once_each_and_a_second_sweep_is_silent()
 {
    // Given a year's deadline (so no key is due by age), nora's key never
    // used in 100 days, ivy's last used 120 days ago, and keys in use.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("nora", vec![key(100, None)]));
    emu.create_user(user("ivy", vec![key(200, Some(120))]));
    emu.create_user(user("busy", vec![key(200, Some(1))]));
    emu.create_user(user("new", vec![key(10, None)]));
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[("MAX_KEY_AGE_DAYS", "365")]), &sdk);

    // When the daily sweep runs.
    let o = sweep(&deps).await;

    // Then each idle key's owner is told, in words that say why.
    let mails = subjects_by_recipient(&mut emu);
    assert_eq!(
        mails,
        [
            (
                "ivy@example.com".to_string(),
                "[Action required] The IAM access key of ivy has not been used for 120 days"
                    .to_string()
            ),
            (
                "nora@example.com".to_string(),
                "[Action required] The IAM access key of nora was never used in 100 days"
                    .to_string()
            ),
        ]
    );
    assert_eq!(o["notices"]["sent"], 2, "{o}");
    assert_eq!(o["source"], "credential_report", "{o}");
    // Last use came from the report: only the two idle users were read.
    let r = emu.requests();
    assert_eq!(count(&r, "iam:ListAccessKeys"), 2, "{r}");
    assert_eq!(count(&r, "iam:GetAccessKeyLastUsed"), 0, "{r}");
    let nora = emu
        .messages()
        .into_iter()
        .find(|m| common::to_of(m) == "nora@example.com")
        .unwrap();
    let html = nora["body"].as_str().unwrap_or_default();
    assert!(html.contains("never used"), "{html}");
    assert!(
        html.contains("aws iam delete-access-key --user-name nora"),
        "{html}"
    );
    assert!(
        html.contains("white-space: nowrap"),
        "key ids never wrap: {html}"
    );

    // And a second sweep tells no one again.
    let again = sweep(&deps).await;
    assert_eq!(again["notices"]["sent"], 0, "{again}");
    assert_eq!(subjects_by_recipient(&mut emu).len(), 2);
}

#[tokio::test]
async fn a_user_with_a_key_due_and_an_unused_key_gets_one_mail_listing_both() {
    // Given dora's key 80 days old and in use (due within 14 days), and her
    // second key never used in 95 days (also past the 90-day age: listed
    // for rotation, and said to be unused).
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let ids = emu.create_user(user("dora", vec![key(80, Some(1)), key(95, None)]));
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[("UNUSED_KEY_DAYS", "30")]), &sdk);

    let o = sweep(&deps).await;

    let messages = emu.messages();
    assert_eq!(messages.len(), 1, "{messages:?}");
    let html = messages[0]["body"].as_str().unwrap_or_default();
    for id in &ids {
        assert!(html.contains(&common::masked(id)), "{id} listed: {html}");
    }
    assert!(html.contains("also unused for 95 days"), "{html}");
    assert!(
        html.contains(&format!("deadline {}", utc_date(10))),
        "{html}"
    );
    assert_eq!(o["notices"]["sent"], 1, "{o}");
}

#[tokio::test]
async fn an_unused_credentials_rule_event_mails_through_the_same_ledger() {
    // Given nora's key never used in 100 days and the unused rule's event.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("nora", vec![key(100, None)]));
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[("MAX_KEY_AGE_DAYS", "365")]), &sdk);
    let mut event = fixture_event("noncompliant-unused-credentials.json");
    event["detail"]["resourceId"] = json!("AIDA0000000000000NORA");
    event["detail"]["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
        ["resourceId"] = json!("AIDA0000000000000NORA");

    // When it arrives, and the sweep after it.
    let answer = dispatch(event, &deps, &Invocation::local()).await.unwrap();
    let o = sweep(&deps).await;

    // Then the event mailed, once; the sweep found it told.
    let Answer::Event(handled) = answer else {
        panic!("a Config event")
    };
    let v = serde_json::to_value(&handled.outcome).unwrap();
    assert_eq!(v["status"], "sent", "{v}");
    assert_eq!(v["rule"], UNUSED_RULE, "{v}");
    let mails = subjects_by_recipient(&mut emu);
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(o["notices"]["sent"], 0, "{o}");
    assert_eq!(o["skipped"]["already_notified"], 1, "{o}");
    let body = &emu.messages()[0]["body"];
    assert!(
        body.as_str().unwrap_or_default().contains(&format!(
            "AWS Config rule {UNUSED_RULE} (access keys unused for 90 days)"
        )),
        "{body}"
    );
    // The Config path read the key's last use itself.
    assert!(count(&emu.requests(), "iam:GetAccessKeyLastUsed") >= 1);
}

#[tokio::test]
async fn scan_prints_each_keys_last_use_and_its_unused_days() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("nora", vec![key(100, None)]));
    emu.create_user(user("ivy", vec![key(200, Some(120))]));
    emu.create_user(user("busy", vec![key(200, Some(1))]));
    emu.reset_requests();
    let out = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    )
    .env_remove("SENDER_ADDRESS")
    .env("MAX_KEY_AGE_DAYS", "365")
    .env("UNUSED_KEY_DAYS", "90")
    .env("LEDGER_TABLE", TABLE)
    .args(["scan", "--format", "csv"])
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].ends_with(",last_used,unused_days,password_last_used,password_expires"),
        "{}",
        lines[0]
    );
    // Longest unused first; busy's key is in use, and not listed.
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[1].starts_with("ivy,"), "{stdout}");
    assert!(
        lines[1].ends_with(&format!(",{},120,,", utc_date(-120))),
        "{stdout}"
    );
    assert!(lines[2].starts_with("nora,"), "{stdout}");
    assert!(lines[2].ends_with(",never,100,,"), "{stdout}");
    let r = emu.requests();
    assert_eq!(count(&r, "ses:SendEmail") + count(&r, "sesv2:SendEmail"), 0);
    assert_eq!(
        count(&r, "dynamodb:PutItem"),
        0,
        "a scan writes nothing: {r}"
    );
}

/// In-process dependencies on the emulator: age enforcement off, a year's
/// deadline (no key is due by age), keys unused after 90 days, then `vars`.
async fn unused_enforcing(emu: &Emulator, vars: &[(&str, &str)]) -> common::EmuDeps {
    let mut all = vec![
        ("ENFORCE", "false"),
        ("MAX_KEY_AGE_DAYS", "365"),
        ("UNUSED_KEY_DAYS", "90"),
    ];
    all.extend_from_slice(vars);
    common::enforcing_deps(emu, TABLE, &all).await
}

/// Whether IAM says `user`'s one key is active.
async fn key_active(emu: &Emulator, user: &str) -> bool {
    let iam = aws_sdk_iam::Client::new(&emu.sdk_config().await);
    let keys = common::key_statuses(&iam, user).await;
    assert_eq!(keys.len(), 1, "{keys:?}");
    keys[0].1
}

#[tokio::test]
async fn an_unused_key_is_warned_first_then_deactivated_unless_it_was_used_since() {
    // Given ENFORCE_UNUSED=true (ENFORCE off), a warning that counts at once
    // (ENFORCE_MIN_WARNING_DAYS=0), and two users whose only key was never
    // used in 100 days.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let idle = emu.create_user(user("nora", vec![key(100, None)]));
    let used = emu.create_user(user("ivy", vec![key(100, None)]));
    let deps = unused_enforcing(
        &emu,
        &[
            ("ENFORCE_UNUSED", "true"),
            ("ENFORCE_MIN_WARNING_DAYS", "0"),
        ],
    )
    .await;

    // When the first sweep runs: each owner gets a final warning naming
    // today, and nothing is changed.
    let first = sweep(&deps).await;
    assert_eq!(first["notices"]["sent"], 2, "{first}");
    let subjects = subjects_by_recipient(&mut emu);
    assert!(
        subjects
            .iter()
            .all(|(_, s)| s.starts_with("[Final warning] ")),
        "{subjects:?}"
    );
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 0);

    // And ivy's key is used after the warning; the credential report, made
    // before, still shows it unused.
    emu.call(
        json!({"op": "use_key", "key": used[0], "time": rfc3339(Utc::now()),
                    "service": "s3", "region": "eu-west-1"}),
    );
    emu.reset_requests();
    let second = sweep(&deps).await;

    // Then nora's key is deactivated, by id, and ivy's is left alone: its
    // last use, read again right before acting, is newer than its period.
    let actions = second["enforcement"]["actions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let of = |user: &str| {
        actions
            .iter()
            .find(|a| a["user"] == user)
            .map(|a| a["action"].as_str().unwrap_or_default().to_string())
    };
    assert_eq!(of("nora").as_deref(), Some("deactivated"), "{second}");
    assert_eq!(of("ivy").as_deref(), Some("left_alone"), "{second}");
    assert!(!key_active(&emu, "nora").await, "{idle:?} deactivated");
    assert!(key_active(&emu, "ivy").await);
    let r = emu.requests();
    assert_eq!(count(&r, "iam:UpdateAccessKey"), 1, "{r}");
    let deactivated = emu
        .messages()
        .into_iter()
        .find(|m| {
            m["subject"]
                .as_str()
                .unwrap_or_default()
                .starts_with("[Deactivated]")
        })
        .expect("nora is told");
    assert_eq!(common::to_of(&deactivated), "nora@example.com");
    assert!(
        deactivated["subject"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(unused for 100 days)"),
        "{deactivated}"
    );
}

#[tokio::test]
async fn enforce_unused_dry_run_changes_nothing_and_the_digest_shows_what_would_happen() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let ids = emu.create_user(user("nora", vec![key(100, None)]));
    let deps = unused_enforcing(
        &emu,
        &[
            ("ENFORCE_UNUSED", "dry_run"),
            ("DIGEST_RECIPIENTS", "security-lead@example.com"),
        ],
    )
    .await;

    let o = sweep(&deps).await;

    // Nothing changed, nothing promised: the notice names no date, and the
    // digest says what a real run would do.
    assert!(key_active(&emu, "nora").await, "{ids:?}");
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 0);
    assert_eq!(o["enforcement"]["mode"], "dry_run", "{o}");
    let messages = emu.messages();
    let notice = messages
        .iter()
        .find(|m| common::to_of(m) == "nora@example.com")
        .expect("nora's notice");
    let subject = notice["subject"].as_str().unwrap_or_default();
    assert!(!subject.contains("Final warning"), "{subject}");
    assert!(
        !notice["body"]
            .as_str()
            .unwrap_or_default()
            .contains("deactivated on or after"),
        "a dry run announces no date"
    );
    let digest = messages
        .iter()
        .find(|m| common::to_of(m) == "security-lead@example.com")
        .expect("the digest");
    let body = digest["body"].as_str().unwrap_or_default();
    let section = &body[body.find("Unused keys").expect("the section")..];
    assert!(section.contains("nora"), "{section}");
    assert!(
        section.contains(&format!("final_warning, from {}", utc_date(3))),
        "{section}"
    );
}
