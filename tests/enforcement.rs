//! Enforcement against the emulator, through the real SDK clients (IAM,
//! SES, DynamoDB, SSM) and a clock moved by hand: each key's status is read
//! back from IAM, never from the notifier's own report.

mod common;

use access_key_notifier::app::deps_from_sdk_at;
use access_key_notifier::aws;
use access_key_notifier::aws::AwsAtFixedTime;
use access_key_notifier::clock::FixedClock;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Deps;
use chrono::{Duration, Utc};
use common::{Emulator, later, sweep};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const PARAMETER: &str = "/akn/exempt-users";

type EmuDeps = Deps<AwsAtFixedTime>;

async fn setup(vars: &[(&str, &str)]) -> (Emulator, EmuDeps, aws_sdk_iam::Client) {
    let emu = common::emulator_with_ledger(TABLE).await;
    let deps = common::enforcing_deps(&emu, TABLE, vars).await;
    let iam = aws::iam_client(&emu.sdk_config().await);
    (emu, deps, iam)
}

fn user(name: &str, ages: &[i64], tags: Value) -> Value {
    let mut user = common::owned_user(name, ages);
    user["tags"]
        .as_object_mut()
        .unwrap()
        .extend(tags.as_object().unwrap().clone());
    user
}

#[tokio::test]
async fn a_final_warning_then_a_deactivation_of_the_overdue_key_only() {
    let (mut emu, deps, iam) = setup(&[]).await;
    let keys = emu.create_user(user("judy", &[120, 10], json!({})));
    let start = Utc::now();

    let first = sweep(&deps).await;
    assert_eq!(first.enforcement.as_ref().unwrap().final_warnings, 1);
    let mails = emu.messages();
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]["subject"]
            .as_str()
            .unwrap()
            .starts_with("[Final warning]"),
        "{}",
        mails[0]["subject"]
    );
    let mut both_active: Vec<(String, bool)> = keys.iter().map(|k| (k.clone(), true)).collect();
    both_active.sort();
    assert_eq!(common::key_statuses(&iam, "judy").await, both_active);

    // Three days later (ENFORCE_MIN_WARNING_DAYS), the old key goes; the
    // 10-day key stays active.
    later(&deps, start, 3);
    emu.reset_requests();
    let second = sweep(&deps).await;
    let e = second.enforcement.as_ref().unwrap();
    assert_eq!(e.deactivated, 1, "{e:?}");
    let mut expected = vec![(keys[0].clone(), false), (keys[1].clone(), true)];
    expected.sort();
    assert_eq!(common::key_statuses(&iam, "judy").await, expected);
    let requests = emu.requests();
    assert_eq!(requests["iam:UpdateAccessKey"], 1, "{requests}");
    assert!(requests.get("iam:DeleteAccessKey").is_none(), "{requests}");
    let mails = emu.messages();
    let last = mails.last().unwrap();
    assert!(
        last["subject"]
            .as_str()
            .unwrap()
            .starts_with("[Deactivated]"),
        "{}",
        last["subject"]
    );
}

#[tokio::test]
async fn exemptions_by_tag_expired_date_and_parameter_the_cap_and_a_dry_run() {
    let (mut emu, deps, iam) = setup(&[
        ("EXEMPT_USERS_PARAMETER", PARAMETER),
        ("ENFORCE_MAX_PER_DAY", "1"),
        ("DRY_RUN", "false"),
    ])
    .await;
    let sdk = emu.sdk_config().await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(PARAMETER)
        .r#type(aws_sdk_ssm::types::ParameterType::StringList)
        .value("listed,arn:aws:iam::123456789012:user/someone-else")
        .send()
        .await
        .unwrap();
    let tomorrow = (Utc::now() + Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    emu.create_user(user(
        "tagged",
        &[150],
        json!({"KeyRotationExempt": tomorrow}),
    ));
    emu.create_user(user(
        "expired",
        &[150],
        json!({"KeyRotationExempt": "2020-01-31"}),
    ));
    emu.create_user(user("listed", &[150], json!({})));
    emu.create_user(user("zed", &[150], json!({})));
    let start = Utc::now();

    // A dry run first: nothing changes, and it says what would.
    let dry = Deps {
        config: Config {
            dry_run: true,
            ..deps.config.clone()
        },
        ..deps_clone(&emu, &deps).await
    };
    sweep(&dry).await;
    // The first real sweep warns expired and zed (the exempt get nothing).
    let warned = sweep(&deps).await;
    assert_eq!(warned.enforcement.as_ref().unwrap().final_warnings, 2);
    assert_eq!(warned.skipped.get("exempt"), Some(&2));

    later(&deps, start, 3);
    later(&dry, start, 3);
    let would = sweep(&dry).await;
    assert_eq!(
        would.enforcement.as_ref().unwrap().dry_run,
        1,
        "capped at 1 too"
    );
    for name in ["tagged", "expired", "listed", "zed"] {
        assert!(
            common::key_statuses(&iam, name).await[0].1,
            "{name} untouched by the dry run"
        );
    }

    let capped = sweep(&deps).await;
    let e = capped.enforcement.as_ref().unwrap();
    assert_eq!((e.deactivated, e.held_by_cap), (1, 1), "{e:?}");
    // The cap is the day's, across runs: another sweep the same day holds
    // the key again, the next day's takes it.
    let again = sweep(&deps).await;
    let e = again.enforcement.as_ref().unwrap();
    assert_eq!((e.deactivated, e.held_by_cap), (0, 1), "{e:?}");
    later(&deps, start, 4);
    let next = sweep(&deps).await;
    assert_eq!(next.enforcement.as_ref().unwrap().deactivated, 1);
    for (name, active) in [
        ("tagged", true),
        ("expired", false),
        ("listed", true),
        ("zed", false),
    ] {
        assert_eq!(
            common::key_statuses(&iam, name).await[0].1,
            active,
            "{name}"
        );
    }
}

/// Another set of dependencies on the same emulator.
async fn deps_clone(emu: &Emulator, deps: &EmuDeps) -> EmuDeps {
    let sdk = emu.sdk_config().await;
    deps_from_sdk_at::<AwsAtFixedTime>(deps.config.clone(), &sdk, FixedClock::at(Utc::now()))
}

#[tokio::test]
async fn a_key_rotated_between_the_decision_and_the_action_is_left_alone() {
    let (mut emu, deps, iam) = setup(&[("ENFORCE_MIN_WARNING_DAYS", "0")]).await;
    emu.create_user(user("judy", &[120], json!({})));
    // The final warning, then, on the next sweep, a rotation right after
    // the sweep's listing.
    sweep(&deps).await;
    emu.call(json!({"op": "rotate_after_listing", "user": "judy"}));
    let o = sweep(&deps).await;
    let e = o.enforcement.as_ref().unwrap();
    assert_eq!((e.left_alone, e.deactivated), (1, 0), "{e:?}");
    let keys = common::key_statuses(&iam, "judy").await;
    assert_eq!(keys.len(), 1);
    assert!(keys[0].1, "the new key is active");
    assert_eq!(emu.requests().get("iam:UpdateAccessKey"), None);
}
