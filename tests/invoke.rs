//! `access-key-notifier invoke` end to end: the real binary, the real SDK,
//! the emulator on loopback, every fixture event.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{
    Emulator, FIXTURE_USER_ID, SENDER, fixture_event, fixture_path as fixture, masked, notifier,
    seed_alice, utc_date,
};
use serde_json::{Value, json};

struct Run {
    code: i32,
    outcome: Value,
    stderr: String,
}

/// Runs the binary with a clean environment: the emulator as endpoint,
/// test credentials, no shared AWS files, and `vars` on top.
fn invoke(
    endpoint: Option<&str>,
    event: &str,
    stdin: Option<&str>,
    args: &[&str],
    vars: &[(&str, &str)],
) -> Run {
    let mut cmd = notifier(env!("CARGO_BIN_EXE_access-key-notifier"), endpoint);
    cmd.env("CC_RECIPIENTS", "security@example.com")
        .args(["invoke", "--event", event])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(text) = stdin {
        // The binary may stop reading early (an oversized event): a broken
        // pipe here is its answer, checked through its exit and stderr.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        stdout.lines().count() <= 1,
        "one outcome line at most:\n{stdout}"
    );
    Run {
        code: out.status.code().unwrap_or(-1),
        outcome: serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    }
}

/// A permanent failure (exit 1) whose stderr says `needle`.
fn assert_permanent(run: &Run, needle: &str) {
    assert_eq!(run.code, 1, "{:.500}", run.stderr);
    assert!(
        run.stderr.contains(needle),
        "{:.500} should say {needle}",
        run.stderr
    );
}

fn invoke_fixture(emu: &Emulator, name: &str, vars: &[(&str, &str)]) -> Run {
    let path = fixture(name);
    invoke(Some(&emu.endpoint), path.to_str().unwrap(), None, &[], vars)
}

#[test]
fn every_fixture_event_end_to_end() {
    // Given alice's only key is 88 days old and her address is tagged; no
    // ledger: each event is decided on its own.
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let keys = seed_alice(&mut emu, 88, json!({"Email": "alice@example.com"}));

    // The 7-day rule mails, with the real number of days, counted from the
    // clock (the fixture's event is from 2025).
    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let o = &run.outcome;
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(o["rule"], "access-keys-rotated-1");
    assert_eq!(o["account"], "123456789012");
    assert_eq!(o["user"], "alice");
    assert_eq!(o["tier_days"], 7);
    assert_eq!(o["today"], utc_date(0));
    assert_eq!(o["days_remaining"], 2);
    assert_eq!(o["deadline"], utc_date(2));
    let masked = masked(&keys[0]);
    assert_eq!(
        o["keys"],
        json!([{"access_key_id": masked, "created": utc_date(-88), "deadline": utc_date(2),
                "days_remaining": 2, "stage": "tier_7"}])
    );
    assert_eq!(
        o["recipients"],
        json!({"to": ["alice@example.com"], "cc": ["security@example.com"]})
    );
    let message_id = o["message_id"].as_str().expect("a message id").to_string();
    // A cold process spends one call of each kind on a notice, and asks
    // its own account's id once (the event names it).
    assert_eq!(
        emu.requests(),
        json!({"iam:ListUsers": 1, "iam:GetUser": 1, "iam:ListAccessKeys": 1,
               "iam:GetAccessKeyLastUsed": 1, "sesv2:SendEmail": 1,
               "sts:GetCallerIdentity": 1})
    );

    // The 14-day rule's event for the same key is superseded.
    let run = invoke_fixture(&emu, "noncompliant-14-days.json", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.outcome["status"], "skipped");
    assert_eq!(run.outcome["reason"], "superseded_by_closer_notice");
    assert_eq!(run.outcome["user"], "alice");

    // The first evaluation of the 7-day rule (no old result) also notifies.
    let run = invoke_fixture(&emu, "first-evaluation.json", &[]);
    assert_eq!(run.outcome["status"], "sent", "{}", run.stderr);

    // Events that are not NON_COMPLIANT, or not from a notice rule, are skipped.
    for (name, reason) in [
        ("back-to-compliant.json", "not_non_compliant"),
        ("user-deleted-not-applicable.json", "not_non_compliant"),
        ("other-rule.json", "unknown_rule"),
    ] {
        let run = invoke_fixture(&emu, name, &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(run.outcome["status"], "skipped", "{name}");
        assert_eq!(run.outcome["reason"], reason, "{name}");
    }

    // Exactly the two notices reached SES, with the right subject and recipients.
    let messages = emu.messages();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let first = &messages[0];
    assert_eq!(first["id"], message_id.as_str());
    assert_eq!(first["source"], SENDER);
    assert_eq!(
        first["subject"],
        format!(
            "[Action required] Rotate the IAM access key of alice within 2 days (deadline {})",
            utc_date(2)
        )
    );
    assert_eq!(
        first["destinations"]["ToAddresses"],
        json!(["alice@example.com"])
    );
    assert_eq!(
        first["destinations"]["CcAddresses"],
        json!(["security@example.com"])
    );
    let body = first["body"].as_str().unwrap();
    assert!(body.contains(&masked), "{body}");
    assert!(
        !body.contains(&keys[0]),
        "the full key id must not be mailed"
    );
}

#[test]
fn a_user_that_no_longer_exists_is_skipped() {
    let emu = Emulator::start();
    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.outcome["status"], "skipped");
    assert_eq!(run.outcome["reason"], "user_not_found");
    assert_eq!(run.outcome["user_id"], FIXTURE_USER_ID);
}

#[test]
fn a_rotated_key_is_skipped_and_an_exempt_user_too() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(
        &mut emu,
        3,
        json!({"Email": "alice@example.com", "KeyRotationExempt": "true"}),
    );
    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[]);
    assert_eq!(run.outcome["reason"], "no_active_key_due", "{}", run.stderr);
    let run = invoke_fixture(
        &emu,
        "noncompliant-7-days.json",
        &[("EXEMPT_TAG", "KeyRotationExempt")],
    );
    assert_eq!(run.outcome["reason"], "exempt", "{}", run.stderr);
    assert!(emu.messages().is_empty());
}

#[test]
fn recipients_fall_back_and_nobody_means_no_recipient() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(&mut emu, 85, json!({"email": "Alice <alice@example.com>"}));

    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[("CC_RECIPIENTS", "")]);
    assert_eq!(run.outcome["status"], "skipped", "{}", run.stderr);
    assert_eq!(run.outcome["reason"], "no_recipient");
    // The rejected tag is logged by reason, not by value.
    assert!(
        run.stderr.contains("\"reason\":\"display_name\""),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("alice@example.com"), "{}", run.stderr);

    let run = invoke_fixture(
        &emu,
        "noncompliant-7-days.json",
        &[("FALLBACK_RECIPIENTS", "platform@example.com")],
    );
    assert_eq!(run.outcome["status"], "sent", "{}", run.stderr);
    assert_eq!(
        run.outcome["recipients"],
        json!({"to": ["platform@example.com"], "cc": ["security@example.com"]})
    );
    assert_eq!(emu.messages().len(), 1);
}

#[test]
fn a_japanese_owner_gets_japanese_mail_with_the_local_deadline() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(
        &mut emu,
        83,
        json!({"Email": "taro@example.co.jp", "Locale": "ja-JP"}),
    );
    let run = invoke_fixture(
        &emu,
        "noncompliant-7-days.json",
        &[("TIME_ZONE", "Asia/Tokyo")],
    );
    let o = &run.outcome;
    assert_eq!(o["status"], "sent", "{}", run.stderr);
    assert_eq!(o["days_remaining"], 7);
    // Dates are Tokyo's: today and the deadline, 7 days apart.
    let tokyo = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .with_timezone(&chrono_tz::Asia::Tokyo)
            .format("%Y-%m-%d")
            .to_string()
    };
    assert_eq!(
        (&o["today"], &o["deadline"]),
        (&json!(tokyo(0)), &json!(tokyo(7)))
    );
    let messages = emu.messages();
    assert_eq!(
        messages[0]["subject"],
        format!(
            "【要対応】IAM ユーザー alice のアクセスキーのローテーション期限まであと 7 日（期限 {}）",
            tokyo(7)
        )
    );
    let body = messages[0]["body"].as_str().unwrap();
    assert!(body.contains(&format!("本日は {}", tokyo(0))), "{body}");
    assert!(body.contains(" JST</strong>"), "{body}");
}

#[test]
fn dry_run_decides_and_renders_without_sending() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    seed_alice(&mut emu, 95, json!({"Email": "alice@example.com"}));
    let path = fixture("noncompliant-7-days.json");
    let run = invoke(
        Some(&emu.endpoint),
        path.to_str().unwrap(),
        None,
        &["--dry-run"],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.outcome["status"], "dry_run");
    assert_eq!(run.outcome["days_remaining"], 0);
    assert_eq!(run.outcome["days_overdue"], 5);
    assert!(run.outcome.get("message_id").is_none());
    assert!(
        run.stderr.contains(&format!(
            "Subject: [Overdue] The IAM access key of alice passed its rotation deadline ({})",
            utc_date(-5)
        )),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("5 days overdue"), "{}", run.stderr);
    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[("DRY_RUN", "true")]);
    assert_eq!(run.outcome["status"], "dry_run");
    assert!(emu.messages().is_empty());
}

#[test]
fn an_unverified_sender_fails_permanently_and_sends_nothing() {
    let mut emu = Emulator::start();
    seed_alice(&mut emu, 88, json!({"Email": "alice@example.com"}));
    let run = invoke_fixture(&emu, "noncompliant-7-days.json", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.outcome, Value::Null, "no outcome on an error");
    assert!(run.stderr.contains("Permanent.SesError"), "{}", run.stderr);
    assert!(run.stderr.contains("MessageRejected"), "{}", run.stderr);
    assert!(emu.messages().is_empty());
}

#[test]
fn an_unreachable_endpoint_is_a_retryable_error() {
    // Nothing listens on port 9 of loopback: the connection is refused.
    let path = fixture("noncompliant-7-days.json");
    let run = invoke(
        Some("http://127.0.0.1:9"),
        path.to_str().unwrap(),
        None,
        &[],
        &[],
    );
    assert_eq!(run.code, 75, "{}", run.stderr);
    // The first call is the own account's id, which the event's account
    // is checked against.
    assert!(run.stderr.contains("Retryable.StsError"), "{}", run.stderr);
}

#[test]
fn bad_input_and_bad_configuration_fail_with_a_clear_message() {
    // Malformed JSON on stdin.
    let run = invoke(None, "-", Some("{not json"), &[], &[]);
    assert_permanent(&run, "- is not JSON");

    // JSON that claims to be a compliance change but lacks the user.
    let mut event = fixture_event("noncompliant-7-days.json");
    event["detail"]
        .as_object_mut()
        .unwrap()
        .remove("resourceId");
    let run = invoke(None, "-", Some(&event.to_string()), &[], &[]);
    assert_permanent(&run, "invalid event: detail.resourceId is missing");

    // A missing file.
    let run = invoke(None, "/nonexistent/event.json", None, &[], &[]);
    assert_permanent(&run, "cannot read the event");

    // Configuration is checked before anything is called.
    let path = fixture("noncompliant-7-days.json");
    let run = invoke(
        None,
        path.to_str().unwrap(),
        None,
        &[],
        &[("NOTICE_RULES", "rule-1=ninety")],
    );
    assert_permanent(&run, "NOTICE_RULES");
    assert_permanent(&run, "example: NOTICE_RULES=");

    // A 100 KB value is quoted in 64 characters, not echoed whole.
    let huge = "Z".repeat(100 << 10);
    let run = invoke(
        None,
        path.to_str().unwrap(),
        None,
        &[],
        &[("TIME_ZONE", &huge)],
    );
    assert_permanent(&run, &format!("TIME_ZONE: `{}…`", "Z".repeat(64)));
    assert!(
        run.stderr.len() < 300,
        "{} bytes on stderr",
        run.stderr.len()
    );
}

#[test]
fn an_endless_or_oversized_event_is_refused_at_lambdas_payload_limit() {
    // /dev/zero never ends: reading stops one byte past the limit.
    let run = invoke(None, "/dev/zero", None, &[], &[]);
    assert_permanent(&run, "larger than 6291456 bytes, Lambda's payload limit");
    // The same from stdin; an event just under the limit is read (and then
    // refused for what it is, not for its size).
    let over = format!("\"{}\"", "x".repeat(6 << 20));
    let run = invoke(None, "-", Some(&over), &[], &[]);
    assert_permanent(&run, "Lambda's payload limit");
    let under = format!("\"{}\"", "x".repeat((6 << 20) - 2));
    let run = invoke(None, "-", Some(&under), &[], &[]);
    assert_permanent(&run, "the event is not a JSON object");
}

#[test]
fn an_endpoint_url_that_is_not_a_url_is_a_permanent_configuration_error() {
    let path = fixture("noncompliant-7-days.json");
    for url in ["not a url", "localhost:5000", "http://"] {
        let run = invoke(Some(url), path.to_str().unwrap(), None, &[], &[]);
        assert_permanent(&run, "error: invalid configuration: AWS_ENDPOINT_URL: ");
        assert_permanent(&run, "(example: AWS_ENDPOINT_URL=http://127.0.0.1:5000)");
    }
}
