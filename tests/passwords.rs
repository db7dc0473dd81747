//! Console passwords against the emulator: moto's login profiles and
//! password policy through the real SDK clients, the credential report's
//! password columns as IAM writes them (`not_supported` on the root row,
//! `N/A` without a password, `no_information` for one never used), the
//! notice ledger in DynamoDB and the mail SES accepted. Whether a password
//! is still there is read back from IAM (GetLoginProfile), never from the
//! notifier's own outcome.

mod common;

use access_key_notifier::aws;
use access_key_notifier::flow::Invocation;
use access_key_notifier::route::{Answer, answer};
use chrono::{Duration, Utc};
use common::{Emulator, count, deps_at_now, fixture_event, later, rfc3339, sweep, to_of};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const UNUSED_RULE: &str = "iam-user-unused-credentials-check";

/// `name` (UserId `AIDA<NAME>`, owner tag `<name>@example.com`) with keys
/// of these ages and a console password set `changed` days ago, last used
/// `used` days ago (`None`: never).
fn user(name: &str, ages: &[i64], changed: i64, used: Option<i64>) -> Value {
    let mut u = common::owned_user(name, ages);
    let mut password = json!({"changed": rfc3339(Utc::now() - Duration::days(changed))});
    if let Some(days) = used {
        password["last_used"] = json!(rfc3339(Utc::now() - Duration::days(days)));
    }
    u["password"] = password;
    u
}

fn policy(emu: &mut Emulator, max_age: u32, hard_expiry: bool) {
    emu.call(json!({"op": "password_policy", "max_age": max_age, "hard_expiry": hard_expiry}));
}

/// Whether IAM has a login profile for `name`.
async fn has_password(emu: &Emulator, name: &str) -> bool {
    let iam = aws::iam_client(&emu.sdk_config().await);
    match iam.get_login_profile().user_name(name).send().await {
        Ok(_) => true,
        Err(e) => {
            let service = e.into_service_error();
            assert!(service.is_no_such_entity_exception(), "{service:?}");
            false
        }
    }
}

/// The subjects SES accepted for `to`, in order.
fn subjects_to(emu: &mut Emulator, to: &str) -> Vec<String> {
    emu.messages()
        .iter()
        .filter(|m| to_of(m) == to)
        .map(|m| m["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_emulators_report_writes_the_password_columns_as_iam_does() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("pat", &[], 30, Some(2)));
    emu.create_user(user("vic", &[], 30, None));
    emu.create_user(common::owned_user("nopass", &[10]));
    policy(&mut emu, 90, true);
    let iam = aws::iam_client(&emu.sdk_config().await);
    iam.generate_credential_report().send().await.unwrap();
    let report = iam.get_credential_report().send().await.unwrap();
    let csv = String::from_utf8(report.content().unwrap().as_ref().to_vec()).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().map(|l| l.split(',').collect()).collect();
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap().clone();
    assert_eq!(
        &row("<root_account>")[3..7],
        [
            "not_supported",
            "no_information",
            "not_supported",
            "not_supported"
        ]
    );
    assert_eq!(&row("nopass")[3..7], ["false", "N/A", "N/A", "N/A"]);
    assert_eq!(row("vic")[3..5], ["true", "no_information"]);
    let changed = Utc::now() - Duration::days(30);
    assert_eq!(row("pat")[5][..10], changed.format("%Y-%m-%d").to_string());
    assert_eq!(
        row("pat")[6][..10],
        (changed + Duration::days(90))
            .format("%Y-%m-%d")
            .to_string()
    );
    // GetLoginProfile dates the profile by the password, as IAM does.
    let profile = iam
        .get_login_profile()
        .user_name("pat")
        .send()
        .await
        .unwrap();
    let created = profile.login_profile().unwrap().create_date().secs();
    assert!((created - changed.timestamp()).abs() < 5);
}

#[tokio::test]
async fn an_expiring_password_is_told_once_per_tier_and_never_without_a_policy() {
    // Given PASSWORD_NOTICE_DAYS=14,7 and pat's password set 80 days ago,
    // and no password policy yet.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("pat", &[], 80, Some(1)));
    emu.create_user(user("quinn", &[], 20, Some(1)));
    let deps = deps_at_now(&emu, TABLE, &[("PASSWORD_NOTICE_DAYS", "14,7")]).await;
    let start = Utc::now();

    // Without a policy nothing expires: nothing is sent, and the report
    // says why.
    let none = sweep(&deps).await;
    assert_eq!(none.notices.sent, 0);
    assert_eq!(
        serde_json::to_value(none.report.as_ref().unwrap().password_expiry).unwrap(),
        json!({"state": "no_password_policy"})
    );
    assert!(emu.messages().is_empty());
    assert_eq!(count(&emu.requests(), "iam:GetAccountPasswordPolicy"), 1);

    // With a 90-day policy that locks out: 10 days left, the 14-day tier,
    // told once however many sweeps; then the 7-day tier, once.
    policy(&mut emu, 90, true);
    emu.reset_requests();
    sweep(&deps).await;
    sweep(&deps).await;
    assert_eq!(
        count(&emu.requests(), "iam:GetAccountPasswordPolicy"),
        2,
        "once per sweep"
    );
    let expires = (start - Duration::days(80) + Duration::days(90))
        .format("%Y-%m-%d")
        .to_string();
    let pat = subjects_to(&mut emu, "pat@example.com");
    assert_eq!(
        pat,
        vec![format!(
            "[Action required] The console password of pat expires within 10 days ({expires})"
        )]
    );
    let body = emu.messages()[0]["body"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(body.contains("aws iam change-password"), "{body}");
    assert!(body.contains("locked out"), "{body}");
    later(&deps, start, 3);
    sweep(&deps).await;
    later(&deps, start, 4);
    sweep(&deps).await;
    let pat = subjects_to(&mut emu, "pat@example.com");
    assert_eq!(pat.len(), 2, "{pat:?}");
    assert!(pat[1].contains("expires within 7 days"), "{pat:?}");
    assert!(subjects_to(&mut emu, "quinn@example.com").is_empty());
    assert_eq!(count(&emu.requests(), "iam:DeleteLoginProfile"), 0);
}

#[tokio::test]
async fn an_unused_password_is_told_once_per_period_and_removed_only_after_its_warning_and_date() {
    // Given UNUSED_PASSWORD_DAYS=90, removal on with a cap of 1, and:
    // uma (unused 100 days) and vic (never used, set 120 days ago) to be
    // removed, ann who signs in after her warning, eve exempt, and wes in
    // use. Each has a young key that nothing may touch.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("uma", &[10], 300, Some(100)));
    emu.create_user(user("vic", &[10], 120, None));
    emu.create_user(user("ann", &[10], 300, Some(100)));
    let mut eve = user("eve", &[10], 300, Some(100));
    eve["tags"]["KeyRotationExempt"] = json!("true");
    emu.create_user(eve);
    emu.create_user(user("wes", &[10], 300, Some(5)));
    let deps = deps_at_now(
        &emu,
        TABLE,
        &[
            ("UNUSED_PASSWORD_DAYS", "90"),
            ("ENFORCE_UNUSED_PASSWORDS", "true"),
            ("ENFORCE_MAX_PER_DAY", "2"),
            ("EXEMPT_TAG", "KeyRotationExempt"),
        ],
    )
    .await;
    let start = Utc::now();

    // The first sweep: a final warning each, nothing removed.
    let first = sweep(&deps).await;
    let e = first.enforcement.as_ref().unwrap();
    assert_eq!((e.final_warnings, e.passwords_removed), (3, 0), "{e:?}");
    for name in ["uma", "vic", "ann"] {
        let got = subjects_to(&mut emu, &format!("{name}@example.com"));
        assert_eq!(got.len(), 1, "{name}: {got:?}");
        assert!(got[0].starts_with("[Final warning] "), "{got:?}");
    }
    assert!(subjects_to(&mut emu, "wes@example.com").is_empty());
    assert_eq!(first.passwords.unwrap().unused, 3);
    assert_eq!(first.passwords.unwrap().exempt, 1);

    // Before the date: nothing removed, nothing mailed again.
    later(&deps, start, 2);
    sweep(&deps).await;
    assert_eq!(count(&emu.requests(), "iam:DeleteLoginProfile"), 0);
    assert_eq!(emu.messages().len(), 3);

    // ann signs in; the credential report made before still shows her
    // unused, and is taken as made an hour before the day-3 sweep: the
    // sweep decides on it, and the removal reads her last use again.
    emu.call(json!({"op": "use_password", "name": "ann", "time": rfc3339(Utc::now())}));
    emu.call(json!({"op": "credential_report", "dated_back_hours": -71}));

    // On the date: two removed (the cap), ann left alone, eve never.
    later(&deps, start, 3);
    let acted = sweep(&deps).await;
    let e = acted.enforcement.as_ref().unwrap();
    assert_eq!((e.passwords_removed, e.left_alone), (2, 1), "{e:?}");
    assert!(!has_password(&emu, "uma").await);
    assert!(!has_password(&emu, "vic").await);
    assert!(has_password(&emu, "ann").await, "used since the warning");
    assert!(has_password(&emu, "eve").await, "exempt");
    assert!(has_password(&emu, "wes").await, "in use");
    let removed = subjects_to(&mut emu, "uma@example.com");
    assert_eq!(
        removed[1],
        "[Removed] The console password of uma was removed (unused for 103 days)"
    );
    let requests = emu.requests();
    assert_eq!(count(&requests, "iam:DeleteLoginProfile"), 2);
    // Nothing else of any user changed.
    for write in [
        "iam:UpdateAccessKey",
        "iam:DeleteAccessKey",
        "iam:DeleteUser",
        "iam:DeactivateMFADevice",
        "iam:UpdateLoginProfile",
    ] {
        assert_eq!(count(&requests, write), 0, "{write}");
    }
    let iam = aws::iam_client(&emu.sdk_config().await);
    for name in ["uma", "vic", "ann", "eve", "wes"] {
        let keys = common::key_statuses(&iam, name).await;
        assert!(keys.len() == 1 && keys[0].1, "{name}: {keys:?}");
    }
}

#[tokio::test]
async fn a_dry_run_removes_no_password_and_says_which_it_would() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    emu.create_user(user("uma", &[], 300, Some(100)));
    let vars = [
        ("UNUSED_PASSWORD_DAYS", "90"),
        ("ENFORCE_UNUSED_PASSWORDS", "true"),
    ];
    let deps = deps_at_now(&emu, TABLE, &vars).await;
    let start = Utc::now();
    sweep(&deps).await;
    // The same ledger, the account switched to a dry run after the warning.
    let dry_vars = [
        ("UNUSED_PASSWORD_DAYS", "90"),
        ("ENFORCE_UNUSED_PASSWORDS", "dry_run"),
    ];
    let dry = deps_at_now(&emu, TABLE, &dry_vars).await;
    later(&dry, start, 5);
    let would = sweep(&dry).await;
    let e = would.enforcement.as_ref().unwrap();
    assert_eq!(
        (e.passwords_would_remove, e.passwords_removed),
        (1, 0),
        "{e:?}"
    );
    assert!(has_password(&emu, "uma").await);
    assert_eq!(count(&emu.requests(), "iam:DeleteLoginProfile"), 0);
}

#[tokio::test]
async fn a_due_key_and_an_expiring_password_come_in_one_mail() {
    let mut emu = common::emulator_with_ledger(TABLE).await;
    policy(&mut emu, 90, false);
    let keys = emu.create_user(user("kim", &[80], 85, Some(1)));
    let deps = deps_at_now(&emu, TABLE, &[("PASSWORD_NOTICE_DAYS", "14,7")]).await;
    let out = sweep(&deps).await;
    assert_eq!(out.notices.sent, 1);
    let mails = emu.messages();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let body = mails[0]["body"].as_str().unwrap_or_default();
    assert!(body.contains(&common::masked(&keys[0])), "{body}");
    assert!(body.contains("Console password"), "{body}");
    assert!(body.contains("aws iam change-password"), "{body}");
    // Neither is told again.
    sweep(&deps).await;
    assert_eq!(emu.messages().len(), 1);
}

#[tokio::test]
async fn an_unused_credentials_rule_event_brings_a_used_password_to_the_sweeps_decision() {
    // Given uma's password unused for 100 days (her key in use) and the
    // unused-credentials rule's event about her.
    let mut emu = common::emulator_with_ledger(TABLE).await;
    let mut uma = user("uma", &[], 300, Some(100));
    uma["keys"] = json!([{"created": rfc3339(Utc::now() - Duration::days(10)),
                          "last_used": {"time": rfc3339(Utc::now()), "service": "s3", "region": "us-east-1"}}]);
    emu.create_user(uma);
    let vars = [
        ("UNUSED_PASSWORD_DAYS", "90"),
        ("UNUSED_KEY_DAYS", "90"),
        ("UNUSED_RULES", UNUSED_RULE),
    ];
    let deps = deps_at_now(&emu, TABLE, &vars).await;
    let mut event = fixture_event("noncompliant-unused-credentials.json");
    let id = format!("AIDA{:0>17}", "UMA");
    event["detail"]["resourceId"] = json!(id.clone());
    event["detail"]["newEvaluationResult"]["evaluationResultIdentifier"]["evaluationResultQualifier"]
        ["resourceId"] = json!(id);

    // When it arrives, and the sweep after it.
    let Answer::Event(handled) = answer(event, &deps, &Invocation::local()).await.unwrap() else {
        panic!("a Config event")
    };
    let swept = sweep(&deps).await;

    // Then the event told the password, once, and the sweep found it told.
    let v = serde_json::to_value(&handled.outcome).unwrap();
    assert_eq!(v["status"], "sent", "{v}");
    assert_eq!(
        subjects_to(&mut emu, "uma@example.com"),
        vec!["[Action required] The console password of uma has not been used for 100 days"]
    );
    assert_eq!(swept.notices.sent, 0);
    assert_eq!(swept.skipped.get("already_notified"), Some(&1));
    let r = emu.requests();
    assert!(count(&r, "iam:GetLoginProfile") >= 1, "{r}");
}
