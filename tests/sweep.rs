//! The daily sweep against the emulator: the real SDK clients (IAM, STS,
//! SES, DynamoDB), the real binary for `sweep` and `scan`.

mod common;

use std::collections::HashMap;

use access_key_notifier::app::{deps_from_sdk, deps_from_sdk_at};
use access_key_notifier::aws::AwsAtFixedTime;
use access_key_notifier::clock::FixedClock;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::handle;
use access_key_notifier::route::{Answer, answer as dispatch};
use chrono::{Duration, Utc};
use common::{
    ACCOUNT, Emulator, RULE_14, SENDER, count, event_for, fixture_event, key_aged, notifier,
};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";

fn config(vars: &[(&str, &str)]) -> Config {
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("SENDER_ADDRESS", SENDER),
        ("LEDGER_TABLE", TABLE),
        ("CC_RECIPIENTS", "security@example.com"),
    ]);
    env.extend(vars.iter().copied());
    Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap()
}

/// An emulator with the sender verified and the ledger's table.
async fn emulator() -> Emulator {
    common::emulator_with_ledger(TABLE).await
}

fn user(name: &str, ages: &[i64]) -> Value {
    common::owned_user(name, ages)
}

fn scheduled() -> Value {
    fixture_event("scheduled-event.json")
}

/// The To address of each mail, sorted: a sweep mails its users
/// concurrently, so the order they were sent in is not theirs.
fn to_addresses(messages: &[Value]) -> Vec<String> {
    let mut to: Vec<String> = messages.iter().map(common::to_of).collect();
    to.sort();
    to
}

/// `scan --format csv` of the binary against `emu`, without SENDER_ADDRESS.
fn scan_csv(emu: &Emulator) -> std::process::Output {
    notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    )
    .env_remove("SENDER_ADDRESS")
    .args(["scan", "--format", "csv"])
    .output()
    .unwrap()
}

#[tokio::test]
async fn a_sweep_after_config_events_mails_only_what_they_missed_and_a_second_sweep_nothing() {
    // Given alice told by her Config event, grace and ivan whose events
    // never came, and 20 users with young keys.
    let mut emu = emulator().await;
    for (name, ages) in [("alice", &[76][..]), ("grace", &[79]), ("ivan", &[86, 77])] {
        emu.create_user(user(name, ages));
    }
    for i in 0..20 {
        emu.create_user(user(&format!("young-{i:02}"), &[20]));
    }
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[]), &sdk);
    let event = event_for(RULE_14, "AIDA000000000000ALICE", "e-alice");
    handle(event, &deps, &Invocation::local()).await.unwrap();
    emu.reset_requests();

    // When the schedule's event arrives.
    let Answer::Sweep(o) = dispatch(scheduled(), &deps, &Invocation::local())
        .await
        .unwrap()
    else {
        panic!("a scheduled event sweeps")
    };

    // Then only grace and ivan are mailed, and every user is counted.
    assert_eq!(
        to_addresses(&emu.messages()),
        ["alice@example.com", "grace@example.com", "ivan@example.com"]
    );
    let v = serde_json::to_value(&*o).unwrap();
    assert_eq!(v["kind"], "sweep");
    assert_eq!(v["account"], ACCOUNT);
    assert_eq!(
        v["users"],
        json!({"listed": 23, "checked": 20, "notified": 2, "skipped": 1, "failed": 0, "not_reached": 0})
    );
    assert_eq!(v["skipped"], json!({"already_notified": 1}));
    assert_eq!(v["keys"], 24);
    // The credential report (GenerateCredentialReport until COMPLETE, one
    // GetCredentialReport) and one ListUsers page (every user must have its
    // row: a report cut short is told apart), then ListAccessKeys and
    // GetUser only for the three users with a due key, each key's last use
    // from the report; no GetAccessKeyLastUsed.
    let r = emu.requests();
    assert_eq!(count(&r, "iam:GetCredentialReport"), 1, "{r}");
    assert_eq!(count(&r, "iam:ListUsers"), 1, "{r}");
    assert_eq!(count(&r, "iam:ListAccessKeys"), 3, "{r}");
    assert_eq!(count(&r, "iam:GetUser"), 3, "{r}");
    assert_eq!(count(&r, "iam:GetAccessKeyLastUsed"), 0, "{r}");

    // And a second sweep mails nothing.
    let Answer::Sweep(again) = dispatch(scheduled(), &deps, &Invocation::local())
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(emu.messages().len(), 3);
    assert_eq!(again.notices.sent, 0);
    assert_eq!(again.skipped.get("already_notified"), Some(&3));
}

#[tokio::test]
async fn overdue_reminders_follow_the_cadence_through_the_real_ledger() {
    // Given dave's key at its deadline's date today, and a clock that
    // moves a day at a time.
    let mut emu = emulator().await;
    emu.create_user(user("dave", &[90]));
    let sdk = emu.sdk_config().await;
    let config = config(&[("OVERDUE_REMINDER_DAYS", "3")]);
    let start = Utc::now();
    let deps = deps_from_sdk_at::<AwsAtFixedTime>(config, &sdk, FixedClock::at(start));
    let mut mailed_on = Vec::new();
    for day in 0..=11 {
        deps.clock.set(start + Duration::days(day));
        let Answer::Sweep(o) = dispatch(scheduled(), &deps, &Invocation::local())
            .await
            .unwrap()
        else {
            panic!()
        };
        if o.notices.sent > 0 {
            mailed_on.push((day, o.notices.reminders));
        }
    }
    // Then: the 7-day tier on day 0, overdue on day 1, then every 3 days.
    assert_eq!(mailed_on, [(0, 0), (1, 0), (4, 1), (7, 1), (10, 1)]);
    let subjects: Vec<String> = emu
        .messages()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect();
    assert!(
        subjects[2].starts_with("[Reminder] [Overdue]"),
        "{subjects:?}"
    );
}

#[tokio::test]
async fn under_throttling_no_user_is_lost() {
    // Given 120 users (a third with a due key) and IAM capped at 20
    // requests a second, which the sweep's 8 readers of the 40 candidates
    // exceed.
    let mut emu = emulator().await;
    for i in 0..120 {
        let age = if i % 3 == 0 { 80 } else { 10 };
        emu.create_user(user(&format!("user-{i:03}"), &[age]));
    }
    emu.call(json!({"op": "limit_iam", "latency_ms": 5, "rate": 20}));
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[]), &sdk);

    let Answer::Sweep(o) = dispatch(scheduled(), &deps, &Invocation::local())
        .await
        .unwrap()
    else {
        panic!()
    };

    // Then IAM did throttle, and still every user was read and every due
    // owner mailed once.
    let r = emu.requests();
    assert!(count(&r, "iam:Throttled") > 0, "{r}");
    assert_eq!(o.users.failed, 0, "{:?}", o.errors);
    assert_eq!(o.users.not_reached, 0);
    assert_eq!((o.users.notified, o.users.checked), (40, 80));
    assert_eq!(emu.messages().len(), 40);
}

#[test]
fn scan_reads_the_account_and_changes_nothing() {
    // Given users with overdue, due and young keys, and no ledger at all.
    let mut emu = Emulator::start();
    emu.create_user(user("dave", &[95]));
    emu.create_user(user("grace", &[79]));
    emu.create_user(
        json!({"name": "erin, ci", "user_id": "AIDA00000000000ERINCI",
        "tags": {}, "keys": [key_aged(84)]}),
    );
    emu.create_user(user("young", &[3]));
    emu.reset_requests();

    // When scan runs with only the emulator's endpoint (no SENDER_ADDRESS).
    let out = scan_csv(&emu);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{stderr}");

    // Then it printed the three due keys, read-only.
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "user,access_key_id,created,deadline,days,stage,owner_tag,exempt,notice,enforcement,rotation,last_used,unused_days,password_last_used,password_expires"
    );
    assert!(lines[1].starts_with("dave,AKIA…"), "{stdout}");
    // Not enforcing; never used, as the report says; not counted unused
    // (UNUSED_KEY_DAYS is off).
    assert!(
        lines[1].ends_with(",-5,overdue,ok,false,due,,,never,,,"),
        "{stdout}"
    );
    assert!(lines[2].starts_with("\"erin, ci\",AKIA…"), "{stdout}");
    assert!(lines[2].contains(",missing,"), "{stdout}");
    assert!(lines[3].starts_with("grace,"), "{stdout}");
    assert_eq!(lines.len(), 4);
    assert!(
        stderr.contains("read-only: nothing was mailed, recorded or changed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("users with a due key found from the credential report"),
        "{stderr}"
    );

    // And it made read calls only: no mail, no table, no IAM write.
    let r = emu.requests();
    let actions: Vec<&String> = r.as_object().unwrap().keys().collect();
    // The credential report is asked for and read, the users listed (one
    // page) to check it is whole, and only the three due users read.
    let reads = [
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:ListUsers",
        "iam:ListAccessKeys",
        "iam:GetUser",
        "sts:GetCallerIdentity",
    ];
    assert!(
        actions.iter().all(|a| reads.contains(&a.as_str())),
        "{actions:?}"
    );
    assert!(emu.messages().is_empty());
}

#[test]
fn the_sweep_command_refuses_to_run_without_the_ledger() {
    let emu = Emulator::start();
    let out = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    )
    .arg("sweep")
    .output()
    .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("Permanent.NoLedger") && stderr.contains("LEDGER_TABLE"),
        "{stderr}"
    );
}

/// A mix of users: due, overdue, inactive only, two keys with the second
/// due, two keys neither due, fresh, and without keys.
fn seed_mix(emu: &mut Emulator) {
    for (name, ages) in [
        ("due", &[80][..]),
        ("overdue", &[120]),
        ("two-keys", &[10, 85]),
        ("two-fresh", &[10, 20]),
        ("fresh", &[3]),
        ("nokey", &[]),
    ] {
        emu.create_user(user(name, ages));
    }
    emu.create_user(json!({"name": "inactive", "user_id": "AIDA0000000000INACTIVE",
        "tags": {"Email": "inactive@example.com"},
        "keys": [{"created": common::rfc3339(Utc::now() - Duration::days(120)), "status": "Inactive"}]}));
}

/// The sweep's outcome, and what was mailed (recipient, subject) and
/// recorded (ledger stages), in order.
async fn swept(emu: &mut Emulator) -> (Value, Vec<(String, String)>, Vec<String>) {
    let sdk = emu.sdk_config().await;
    let deps = deps_from_sdk(config(&[]), &sdk);
    let Answer::Sweep(o) = dispatch(scheduled(), &deps, &Invocation::local())
        .await
        .unwrap()
    else {
        panic!("a scheduled event sweeps")
    };
    let mut mails: Vec<(String, String)> = emu
        .messages()
        .iter()
        .map(|m| (common::to_of(m), m["subject"].as_str().unwrap().to_string()))
        .collect();
    mails.sort();
    let items = access_key_notifier::aws::dynamodb_client(&sdk)
        .scan()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    let mut stages: Vec<String> = items
        .items()
        .iter()
        .filter_map(|i| {
            Some(format!(
                "{}:{}",
                i.get("user")?.as_s().ok()?,
                i.get("stage")?.as_s().ok()?
            ))
        })
        .collect();
    stages.sort();
    (serde_json::to_value(&*o).unwrap(), mails, stages)
}

#[tokio::test]
async fn a_sweep_from_the_credential_report_mails_exactly_what_a_full_listing_does() {
    // Given the same mix of users in two accounts' worth of emulators, one
    // of which refuses the credential report.
    let mut by_report = emulator().await;
    seed_mix(&mut by_report);
    let mut by_listing = emulator().await;
    seed_mix(&mut by_listing);
    by_listing.call(json!({"op": "credential_report", "refuse": true}));
    by_report.reset_requests();

    let (report_outcome, report_mails, report_stages) = swept(&mut by_report).await;
    let requests = by_report.requests();
    let (listing_outcome, listing_mails, listing_stages) = swept(&mut by_listing).await;

    // Then the same users were mailed about the same keys and stages.
    assert_eq!(report_outcome["source"], "credential_report");
    assert_eq!(listing_outcome["source"], "listing");
    assert!(
        listing_outcome["report_unavailable"]
            .as_str()
            .unwrap()
            .contains("AccessDenied"),
        "{listing_outcome}"
    );
    assert_eq!(report_mails, listing_mails);
    assert_eq!(report_mails.len(), 3, "{report_mails:?}");
    assert_eq!(report_stages, listing_stages);
    assert_eq!(report_outcome["users"], listing_outcome["users"]);
    assert_eq!(report_outcome["keys"], listing_outcome["keys"]);
    // And the report path read only the three due users afresh (and
    // listed the users once, one page, to check the report is whole).
    assert_eq!(count(&requests, "iam:ListUsers"), 1, "{requests}");
    assert_eq!(count(&requests, "iam:ListAccessKeys"), 3, "{requests}");
    assert_eq!(count(&requests, "iam:GetUser"), 3, "{requests}");
    assert_eq!(count(&requests, "iam:GetCredentialReport"), 1, "{requests}");
    assert_eq!(
        count(&requests, "iam:GetAccessKeyLastUsed"),
        0,
        "{requests}"
    );
}

#[tokio::test]
async fn a_key_rotated_after_the_report_was_made_is_not_mailed_as_due() {
    // Given a report made while rita's key was due (a scan makes it).
    let mut emu = emulator().await;
    emu.create_user(user("rita", &[120]));
    let scan = scan_csv(&emu);
    assert!(String::from_utf8_lossy(&scan.stdout).contains("rita,"));
    // When she rotates: the old key deleted, a new one made.
    let iam = access_key_notifier::aws::iam_client(&emu.sdk_config().await);
    let old = iam
        .list_access_keys()
        .user_name("rita")
        .send()
        .await
        .unwrap();
    let old = old.access_key_metadata()[0]
        .access_key_id()
        .unwrap()
        .to_string();
    iam.delete_access_key()
        .user_name("rita")
        .access_key_id(&old)
        .send()
        .await
        .unwrap();
    iam.create_access_key()
        .user_name("rita")
        .send()
        .await
        .unwrap();

    // Then the sweep, on the same report (IAM reuses it for four hours),
    // reads her afresh and mails nothing.
    let (o, mails, _) = swept(&mut emu).await;
    assert_eq!(o["source"], "credential_report");
    assert!(mails.is_empty(), "{mails:?}");
    assert_eq!(o["users"]["checked"], 1, "{o}");
}
