//! Enforcement's and the sweep's promises against the emulator, one test
//! per way they were once broken: through the real SDK clients, and for
//! overlapping runs through two real processes of the binary. Each key's
//! status is read back from IAM, each mail from SES, never from the
//! notifier's own report alone.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Instant;

use access_key_notifier::aws::AwsAtFixedTime;
use access_key_notifier::flow::{Deps, Invocation};
use access_key_notifier::route::{Answer, answer as dispatch};
use chrono::{Duration, Utc};
use common::{Emulator, count, fixture_event, key_aged, notifier, sweep, sweep_with};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const PARAMETER: &str = "/akn/exempt-users";

type EmuDeps = Deps<AwsAtFixedTime>;

async fn emulator() -> Emulator {
    common::emulator_with_ledger(TABLE).await
}

/// In-process dependencies on the emulator, enforcing, with `vars`, and a
/// clock fixed at now (moved by hand).
async fn deps(emu: &Emulator, vars: &[(&str, &str)]) -> EmuDeps {
    common::enforcing_deps(emu, TABLE, vars).await
}

fn user(name: &str, ages: &[i64]) -> Value {
    common::owned_user(name, ages)
}

/// An invocation whose deadline is `seconds` after the deps' clock.
fn ending_in(deps: &EmuDeps, seconds: i64) -> Invocation {
    use access_key_notifier::clock::Clock;
    Invocation {
        request_id: format!("promises-{seconds}"),
        deadline: Some(deps.clock.now() + Duration::seconds(seconds)),
        trace_id: None,
        watcher: Default::default(),
    }
}

fn subjects(emu: &mut Emulator) -> Vec<String> {
    emu.messages()
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Whether IAM says each key of `user` is active, in IAM's order.
async fn statuses(emu: &Emulator, user: &str) -> Vec<bool> {
    let iam = access_key_notifier::aws::iam_client(&emu.sdk_config().await);
    let out = iam.list_access_keys().user_name(user).send().await.unwrap();
    out.access_key_metadata()
        .iter()
        .map(|k| k.status().unwrap().as_str() == "Active")
        .collect()
}

// 1. A resumed sweep reaches everyone.

#[tokio::test]
async fn sweeps_that_each_reach_a_part_reach_everyone_within_the_bound() {
    // Given 15 due users, ListAccessKeys taking 300 ms, one user at a time,
    // and invocations with 5 s of budget: each run reaches a part.
    let mut emu = emulator().await;
    let names: Vec<String> = (0..15).map(|i| format!("u{i:02}")).collect();
    for name in &names {
        emu.create_user(user(name, &[80]));
    }
    emu.call(json!({"op": "slow", "action": "iam:ListAccessKeys", "ms": 300}));
    let deps = deps(&emu, &[("ENFORCE", "false"), ("SWEEP_CONCURRENCY", "1")]).await;

    let first = sweep_with(&deps, &ending_in(&deps, 7)).await.unwrap();
    let per_run = first.users.notified;
    assert!((1..15).contains(&per_run), "{:?}", first.users);
    let mut runs = 1;
    let mailed = |emu: &mut Emulator| {
        let mut to: Vec<String> = emu.messages().iter().map(common::to_of).collect();
        to.sort();
        to.dedup();
        to.len()
    };
    while mailed(&mut emu) < 15 && runs < 15 {
        sweep_with(&deps, &ending_in(&deps, 7)).await.unwrap();
        runs += 1;
    }
    // Then every user was mailed once, within ⌈users / reached per run⌉.
    assert_eq!(mailed(&mut emu), 15, "after {runs} runs");
    assert_eq!(emu.messages().len(), 15, "each once");
    assert!(
        runs <= 15usize.div_ceil(per_run),
        "{runs} runs of {per_run}"
    );
}

// 2 and 5. Overlapping runs: two real processes.

/// `sweep` of the binary, enforcing with `vars`, as its own process.
fn sweep_process(emu: &Emulator, vars: &[(&str, &str)]) -> Command {
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    cmd.env("LEDGER_TABLE", TABLE)
        .env("ENFORCE", "true")
        .env("ENFORCE_MIN_WARNING_DAYS", "0")
        .arg("sweep")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd
}

fn outcome(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(line.lines().last().unwrap_or_default()).unwrap()
}

/// Two sweeps of the binary started together; their outcomes.
fn two_at_once(emu: &Emulator, vars: &[(&str, &str)]) -> [Value; 2] {
    let a = sweep_process(emu, vars).spawn().unwrap();
    let b = sweep_process(emu, vars).spawn().unwrap();
    [
        outcome(&a.wait_with_output().unwrap()),
        outcome(&b.wait_with_output().unwrap()),
    ]
}

fn enforced(o: &Value, what: &str) -> u64 {
    o["enforcement"][what].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn two_sweeps_at_once_deactivate_and_mail_as_one_would() {
    // Given four overdue users already given their final warning (no
    // minimum wait), and IAM slow enough for two runs to overlap.
    let mut emu = emulator().await;
    for name in ["ann", "ben", "cat", "dan"] {
        emu.create_user(user(name, &[120]));
    }
    let first = outcome(&sweep_process(&emu, &[]).output().unwrap());
    assert_eq!(enforced(&first, "final_warnings"), 4, "{first}");
    emu.call(json!({"op": "slow", "action": "iam:ListAccessKeys", "ms": 150}));
    let before = emu.messages().len();
    emu.reset_requests();

    // When two sweeps run at the same moment.
    let [a, b] = two_at_once(&emu, &[]);

    // Then each key was deactivated once, by one of them, and each owner
    // got one "deactivated" mail and nothing else: no reminder after it,
    // and nothing called reactivated.
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 4);
    assert_eq!(
        enforced(&a, "deactivated") + enforced(&b, "deactivated"),
        4,
        "{a}\n{b}"
    );
    assert_eq!(
        enforced(&a, "reactivated") + enforced(&b, "reactivated"),
        0,
        "{a}\n{b}"
    );
    let after: Vec<String> = subjects(&mut emu).split_off(before);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(
        after.iter().all(|s| s.starts_with("[Deactivated]")),
        "{after:?}"
    );
    for name in ["ann", "ben", "cat", "dan"] {
        assert_eq!(statuses(&emu, name).await, [false], "{name}");
    }
}

#[tokio::test]
async fn two_sweeps_at_once_share_one_daily_cap() {
    // Given five overdue users already warned and a cap of two a day.
    let mut emu = emulator().await;
    for name in ["ann", "ben", "cat", "dan", "eve"] {
        emu.create_user(user(name, &[120]));
    }
    let cap = [("ENFORCE_MAX_PER_DAY", "2")];
    outcome(&sweep_process(&emu, &cap).output().unwrap());
    emu.call(json!({"op": "slow", "action": "iam:ListAccessKeys", "ms": 150}));
    emu.reset_requests();

    // When two sweeps run at once: two keys between them, not two each.
    let [a, b] = two_at_once(&emu, &cap);
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 2);
    assert_eq!(
        enforced(&a, "deactivated") + enforced(&b, "deactivated"),
        2,
        "{a}\n{b}"
    );
    let mut inactive = 0;
    for name in ["ann", "ben", "cat", "dan", "eve"] {
        inactive += statuses(&emu, name).await.iter().filter(|a| !**a).count();
    }
    assert_eq!(inactive, 2);
}

// 3. Single-account mode serves its own account only.

#[tokio::test]
async fn an_event_or_schedule_naming_another_account_is_not_served_and_reads_no_iam() {
    let mut emu = emulator().await;
    common::seed_alice(&mut emu, 120, json!({"Email": "alice@example.com"}));
    let deps = deps(&emu, &[]).await;
    emu.reset_requests();

    let mut event = common::event_for(common::RULE_7, common::FIXTURE_USER_ID, "e-1");
    event["account"] = json!("999999999999");
    event["detail"]["awsAccountId"] = json!("999999999999");
    let Answer::Event(handled) = dispatch(event, &deps, &Invocation::local()).await.unwrap() else {
        panic!("an event")
    };
    assert_eq!(
        handled.outcome.reason.map(|r| r.code()),
        Some("account_not_served")
    );
    let mut schedule = fixture_event("scheduled-event.json");
    schedule["account"] = json!("999999999999");
    let answer = dispatch(schedule, &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(
        answer.to_json()["reason"],
        "account_not_served",
        "{}",
        answer.to_json()
    );

    let requests = emu.requests();
    let names: Vec<&String> = requests.as_object().unwrap().keys().collect();
    assert_eq!(names, ["sts:GetCallerIdentity"], "{requests}");
    assert!(emu.messages().is_empty());
}

// 4. An exemption list with an entry that is not a user is unusable.

#[tokio::test]
async fn an_exemption_list_written_with_newlines_stops_enforcement_not_notices() {
    // Given judy overdue, and a list naming her, written one name a line.
    let mut emu = emulator().await;
    emu.create_user(user("judy", &[120]));
    aws_sdk_ssm::Client::new(&emu.sdk_config().await)
        .put_parameter()
        .name(PARAMETER)
        .r#type(aws_sdk_ssm::types::ParameterType::String)
        .value("build-bot\njudy")
        .send()
        .await
        .unwrap();
    let deps = deps(&emu, &[("EXEMPT_USERS_PARAMETER", PARAMETER)]).await;

    // When sweeps run over four days.
    for day in 0..4 {
        deps.clock.set(Utc::now() + Duration::days(day));
        let o = sweep(&deps).await;
        let e = o.enforcement.as_ref().unwrap();
        // Then enforcement stops, naming the parameter and the entry.
        assert_eq!(e.deactivated, 0, "day {day}: {e:?}");
        assert_eq!(e.errors[0].error_type, "Retryable.ExemptionsUnavailable");
        assert!(
            e.errors[0].error.contains(PARAMETER),
            "{}",
            e.errors[0].error
        );
        assert!(
            e.errors[0].error.contains("entry 1"),
            "{}",
            e.errors[0].error
        );
    }
    // And the notice went out (as without enforcement), the key untouched.
    let subjects = subjects(&mut emu);
    assert!(!subjects.is_empty());
    assert!(
        subjects.iter().all(|s| !s.starts_with("[Final warning]")),
        "{subjects:?}"
    );
    assert_eq!(statuses(&emu, "judy").await, [true]);
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 0);
}

// 5, batched: five sweep messages for one account in one SQS invocation
// are in tests/organization.rs.

// 6. A name handed to another user between two reads.

#[tokio::test]
async fn a_name_handed_to_a_newcomer_between_the_reads_costs_nobody_a_key() {
    // Given judy warned and overdue (no minimum wait).
    let mut emu = emulator().await;
    emu.create_user(user("judy", &[120]));
    let deps = deps(&emu, &[("ENFORCE_MIN_WARNING_DAYS", "0")]).await;
    sweep(&deps).await;
    // When, right after enforcement lists her keys again (the sweep's
    // listing is the first), judy is renamed and a newcomer takes the name.
    emu.call(json!({"op": "hand_name_over_after_listing", "user": "judy", "listings": 2,
                    "newcomer": {"name": "judy", "user_id": "AIDANEWCOMER000000001",
                                 "tags": {"Email": "newcomer@example.com", "KeyRotationExempt": "true"},
                                 "keys": [key_aged(120)]}}));
    emu.reset_requests();
    let o = sweep(&deps).await;

    // Then no key was deactivated: the name no longer belongs to the user
    // the decision was made for.
    let e = o.enforcement.as_ref().unwrap();
    assert_eq!((e.deactivated, e.left_alone), (0, 1), "{e:?}");
    assert_eq!(count(&emu.requests(), "iam:UpdateAccessKey"), 0);
    assert_eq!(statuses(&emu, "judy").await, [true], "the newcomer's key");
    assert_eq!(statuses(&emu, "judy-renamed").await, [true], "judy's key");
}

// 7. Every call of a sweep is inside the budget.

#[tokio::test]
async fn a_slow_listing_ends_the_sweep_inside_its_budget() {
    let mut emu = emulator().await;
    emu.create_user(user("judy", &[80]));
    emu.call(json!({"op": "slow", "action": "iam:ListUsers", "ms": 6000}));
    // No credential report: the sweep lists the users.
    emu.call(json!({"op": "credential_report", "refuse": true}));
    let deps = deps(&emu, &[]).await;
    // 5 s before the deadline: a budget of 3 s.
    let started = Instant::now();
    let e = sweep_with(&deps, &ending_in(&deps, 5)).await.unwrap_err();
    // It did not wait for the listing: that alone takes 6 s. (A bound by
    // what the code guarantees, never by how fast this machine is.)
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(e, "Retryable.OutOfTime");
    assert_eq!(count(&emu.requests(), "iam:ListAccessKeys"), 0);
}

#[tokio::test]
async fn a_slow_digest_is_reported_failed_inside_the_budget() {
    let mut emu = emulator().await;
    emu.create_user(user("young", &[10]));
    emu.call(json!({"op": "slow", "action": "sesv2:SendEmail", "ms": 12000}));
    let deps = deps(&emu, &[("DIGEST_RECIPIENTS", "lead@example.com")]).await;
    // 9 s before the deadline: a budget of 7 s.
    let started = Instant::now();
    let o = sweep_with(&deps, &ending_in(&deps, 9)).await.unwrap();
    // It did not wait for the digest's 12 s.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(12),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.users.checked, 1);
    let digest = o.digest.unwrap();
    assert_eq!(
        digest.status,
        access_key_notifier::outcome::MailStatus::Failed
    );
    assert!(digest.error.unwrap().contains("time budget"));
}

// 8. Never before the date the owner was given.

#[tokio::test]
async fn a_lowered_maximum_age_never_brings_the_announced_date_forward() {
    // Given kai's key 85 days old: the 7-day notice announces the day
    // after the deadline.
    let mut emu = emulator().await;
    emu.create_user(user("kai", &[85]));
    let mut deps = deps(&emu, &[]).await;
    sweep(&deps).await;
    let announced = (Utc::now() + Duration::days(6))
        .format("%Y-%m-%d")
        .to_string();
    let told = emu.messages();
    assert_eq!(told.len(), 1);
    let html = told[0]["body"].as_str().unwrap_or_default();
    assert!(html.contains(&announced), "{announced} not in {html}");

    // When MAX_KEY_AGE_DAYS drops to 60 and sweeps run three to five days
    // later (by the new setting long overdue, the warning old enough).
    deps.config.policy.max_key_age_days = 60;
    for day in [3, 4, 5] {
        deps.clock.set(Utc::now() + Duration::days(day));
        let o = sweep(&deps).await;
        assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 0, "day {day}");
        assert_eq!(statuses(&emu, "kai").await, [true], "day {day}");
    }
    // Then only on the announced date does it go.
    deps.clock.set(Utc::now() + Duration::days(6));
    let o = sweep(&deps).await;
    assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 1);
    assert_eq!(statuses(&emu, "kai").await, [false]);
}
