//! Organizations mode against the emulator: STS AssumeRole into three
//! member accounts, Organizations ListAccounts through the management
//! account's role, the sweep's fan-out through a real SQS queue, and the
//! Organization's digest. Which account each call reached is read back
//! from the emulator's per-account request counts, never from the
//! notifier's own outcome.

mod common;

use std::collections::HashMap;

use access_key_notifier::app::{AwsDeps, deps_from_sdk};
use access_key_notifier::aws;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::handle;
use access_key_notifier::outcome::{FanOutOutcome, OrganizationDigestOutcome};
use access_key_notifier::outcome::{MailStatus, Status};
use access_key_notifier::route::{Answer, answer as dispatch};
use common::{Emulator, SENDER, create_ledger_table, fixture_event, key_aged, to_of};
use serde_json::{Value, json};

const TABLE: &str = "akn-ledger";
const QUEUE: &str = "akn-sweep";
const MANAGEMENT: &str = "999999999999";
const PAYMENTS: &str = "111111111111";
const DATA: &str = "222222222222";
const SANDBOX: &str = "333333333333";
const OUTSIDER: &str = "444444444444";
const LEAD: &str = "security-lead@example.com";

struct Org {
    emu: Emulator,
    sdk: aws_config::SdkConfig,
    queue_url: String,
    /// (account, user, user id)
    users: Vec<(&'static str, &'static str, String)>,
}

async fn organization() -> Org {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let sdk = emu.sdk_config().await;
    create_ledger_table(&sdk, TABLE).await;
    let queue_url = aws::sqs_client(&sdk)
        .create_queue()
        .queue_name(QUEUE)
        .send()
        .await
        .expect("the emulator creates the queue")
        .queue_url()
        .unwrap()
        .to_string();
    emu.call(
        json!({"op": "create_organization", "management": MANAGEMENT,
                    "accounts": [PAYMENTS, DATA, SANDBOX]}),
    );
    emu.call(json!({"op": "set_alias", "account": PAYMENTS, "alias": "prod-payments"}));
    let mut users = Vec::new();
    // The same user name in two accounts: two different users.
    for (account, name, age) in [
        (PAYMENTS, "pat", 95),
        (DATA, "dana", 83),
        (SANDBOX, "sam", 83),
        (SANDBOX, "pat", 20),
        (OUTSIDER, "olga", 95),
    ] {
        let id = format!("AIDA{account}{:0>5}", name.to_uppercase());
        emu.create_user(json!({"account": account, "name": name, "user_id": id,
                               "tags": {"Email": format!("{name}@{account}.example.com")},
                               "keys": [key_aged(age)]}));
        users.push((account, name, id));
    }
    Org {
        emu,
        sdk,
        queue_url,
        users,
    }
}

fn config(org: &Org, vars: &[(&str, &str)]) -> Config {
    let role = format!("arn:aws:iam::{MANAGEMENT}:role/akn-accounts");
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("SENDER_ADDRESS", SENDER),
        ("LEDGER_TABLE", TABLE),
        ("MEMBER_ROLE_NAME", "akn-member"),
        ("ORGANIZATION_ROLE_ARN", role.as_str()),
        ("SWEEP_QUEUE_URL", org.queue_url.as_str()),
        ("EXEMPT_ACCOUNTS", MANAGEMENT),
        ("DIGEST_RECIPIENTS", LEAD),
    ]);
    env.extend(vars.iter().copied());
    Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap()
}

fn event(org: &Org, account: &str, name: &str) -> Value {
    let (_, _, id) = org
        .users
        .iter()
        .find(|(a, n, _)| *a == account && *n == name)
        .unwrap();
    let mut e = fixture_event("noncompliant-7-days.json");
    e["id"] = json!(format!("{account}-{name}"));
    e["account"] = json!(account);
    e["detail"]["awsAccountId"] = json!(account);
    e["detail"]["resourceId"] = json!(id);
    e
}

/// The sweep schedule's event: the fan-out, one sweep message per served
/// account on the queue.
async fn fan_out(deps: &AwsDeps) -> FanOutOutcome {
    let invocation = Invocation::local();
    let answer = dispatch(fixture_event("scheduled-event.json"), deps, &invocation);
    let Answer::FanOut(f) = answer.await.unwrap() else {
        panic!("a scheduled event fans out")
    };
    *f
}

/// The digest schedule's event: the Organization's digest.
async fn organization_digest(deps: &AwsDeps) -> OrganizationDigestOutcome {
    let mut digest = fixture_event("scheduled-event.json");
    digest["detail"] = json!({"run": "digest"});
    let Answer::OrganizationDigest(o) = dispatch(digest, deps, &Invocation::local()).await.unwrap()
    else {
        panic!("the digest schedule sends the digest")
    };
    *o
}

fn iam_calls(emu: &mut Emulator, account: &str) -> u64 {
    emu.iam_by_account()[account].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn events_of_each_member_account_are_read_from_that_accounts_iam() {
    let mut org = organization().await;
    let deps = deps_from_sdk(config(&org, &[]), &org.sdk);
    for (account, name) in [(PAYMENTS, "pat"), (DATA, "dana"), (SANDBOX, "sam")] {
        let handled = handle(event(&org, account, name), &deps, &Invocation::local())
            .await
            .unwrap();
        assert_eq!(handled.outcome.status, Status::Sent, "{account}");
    }
    let messages = org.emu.messages();
    let to: Vec<String> = messages.iter().map(to_of).collect();
    assert_eq!(
        to,
        [
            "pat@111111111111.example.com",
            "dana@222222222222.example.com",
            "sam@333333333333.example.com"
        ]
    );
    let html = messages[0]["body"].as_str().unwrap_or_default();
    assert!(html.contains("111111111111 (prod-payments)"), "{html}");
    // Each account's IAM answered its own event; the central one none.
    for account in [PAYMENTS, DATA, SANDBOX] {
        assert!(iam_calls(&mut org.emu, account) > 0, "{account}");
    }
    assert_eq!(iam_calls(&mut org.emu, common::ACCOUNT), 0);
    // Clients only for the calls made: no own-account IAM, no SQS.
    assert_eq!(
        access_key_notifier::app::clients_built(&deps),
        ["STS", "Organizations", "member IAM", "SES", "DynamoDB"]
    );

    // An account outside the Organization is skipped, and read nowhere.
    let outsider = handle(event(&org, OUTSIDER, "olga"), &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(
        outsider.outcome.reason.map(|r| r.code()),
        Some("account_not_served")
    );
    assert_eq!(iam_calls(&mut org.emu, OUTSIDER), 0);

    // A member role that cannot be assumed is retryable, naming the account.
    org.emu
        .call(json!({"op": "refuse_assume_role", "account": DATA}));
    let fresh = deps_from_sdk(config(&org, &[]), &org.sdk);
    let e = handle(event(&org, DATA, "dana"), &fresh, &Invocation::local())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "Retryable.MemberRoleUnavailable");
    assert!(e.to_string().contains(DATA), "{e}");
}

#[tokio::test]
async fn the_sweep_fans_out_through_sqs_and_sweeps_every_account_once() {
    let mut org = organization().await;
    let deps = deps_from_sdk(config(&org, &[]), &org.sdk);
    let f = fan_out(&deps).await;
    assert_eq!((f.accounts, f.queued), (3, 3), "{f:?}");
    assert_eq!(f.exempt, [MANAGEMENT]);

    // Lambda's event source mapping would deliver these; read them as it does.
    let records = common::sqs_records(&org.sdk, &org.queue_url, f.queued).await;
    assert_eq!(records.len(), 3);
    org.emu.reset_requests();
    let answer = dispatch(json!({"Records": records}), &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(answer.response(), json!({"batchItemFailures": []}));
    let requests = org.emu.requests();
    let by_account = org.emu.iam_by_account();
    for account in [PAYMENTS, DATA, SANDBOX] {
        assert!(
            by_account[account].as_u64().unwrap_or(0) > 0,
            "{account} swept"
        );
    }
    assert_eq!(
        requests["iam:GetCredentialReport"], 3,
        "one credential report per account: {requests}"
    );
    // One listing per account, to tell a whole report from a cut one.
    assert_eq!(requests["iam:ListUsers"], 3, "{requests}");
    assert!(by_account.get(OUTSIDER).is_none());

    // pat (95 days) and dana (83) are due; sam (83) too; pat of the
    // sandbox (20) is not. The two pats are different users.
    let to: Vec<String> = org.emu.messages().iter().map(to_of).collect();
    assert_eq!(
        to,
        [
            "pat@111111111111.example.com",
            "dana@222222222222.example.com",
            "sam@333333333333.example.com"
        ]
    );

    // The ledger keeps each notice under its own account.
    let items = aws::dynamodb_client(&org.sdk)
        .scan()
        .table_name(TABLE)
        .send()
        .await
        .unwrap();
    let mut notice_accounts: Vec<String> = items
        .items()
        .iter()
        .filter_map(|i| i.get("pk")?.as_s().ok().cloned())
        .filter(|pk| pk.starts_with("notice#"))
        .map(|pk| pk.split('#').nth(1).unwrap().to_string())
        .collect();
    notice_accounts.sort();
    assert_eq!(notice_accounts, [PAYMENTS, DATA, SANDBOX]);

    // The Organization's digest: every account, worst first.
    let o = organization_digest(&deps).await;
    assert_eq!((o.status, o.accounts), (MailStatus::Sent, 3));
    assert!(o.not_swept.is_empty(), "{:?}", o.not_swept);
    let messages = org.emu.messages();
    let last = messages.last().unwrap();
    assert_eq!(to_of(last), LEAD);
    let html = last["body"].as_str().unwrap_or_default();
    let payments = html.find("111111111111 (prod-payments)").unwrap();
    let data = html.find("<strong>222222222222</strong>").unwrap();
    assert!(payments < data, "the overdue account first");
}

#[tokio::test]
async fn the_sweep_command_does_what_the_schedule_does_and_fans_out() {
    // Given the Organization, with users in the central account too
    // (which ACCOUNTS-less Organizations mode serves only as a member).
    let mut org = organization().await;
    org.emu
        .create_user(json!({"name": "carl", "user_id": "AIDACENTRAL000000001",
                               "tags": {"Email": "carl@example.com"},
                               "keys": [key_aged(95)]}));
    org.emu.reset_requests();
    // When `sweep` runs with the central deployment's settings.
    let role = format!("arn:aws:iam::{MANAGEMENT}:role/akn-accounts");
    let out = common::notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&org.emu.endpoint),
    )
    .env("LEDGER_TABLE", TABLE)
    .env("MEMBER_ROLE_NAME", "akn-member")
    .env("ORGANIZATION_ROLE_ARN", &role)
    .env("SWEEP_QUEUE_URL", &org.queue_url)
    .env("EXEMPT_ACCOUNTS", MANAGEMENT)
    .arg("sweep")
    .output()
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Then it fans out, one message per served account, as the schedule's
    // event does; nothing is mailed and the central account is not read.
    let outcome: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(outcome["kind"], "fan_out", "{outcome}");
    assert_eq!(
        (outcome["accounts"].as_u64(), outcome["queued"].as_u64()),
        (Some(3), Some(3))
    );
    assert!(org.emu.messages().is_empty());
    assert_eq!(iam_calls(&mut org.emu, common::ACCOUNT), 0);
    let records = common::sqs_records(&org.sdk, &org.queue_url, 3).await;
    assert_eq!(records.len(), 3);
}

/// Five sweep messages for one account in one SQS invocation (a duplicate
/// delivery, a hand-sent message) deactivate no more than the account's
/// daily cap between them.
#[tokio::test]
async fn five_sweep_messages_of_one_account_in_one_batch_keep_the_daily_cap() {
    let mut org = organization().await;
    for name in ["ann", "ben", "cat"] {
        org.emu
            .create_user(json!({"account": PAYMENTS, "name": name,
            "user_id": format!("AIDA{PAYMENTS}{:0>5}", name.to_uppercase()),
            "tags": {"Email": format!("{name}@{PAYMENTS}.example.com")},
            "keys": [key_aged(120)]}));
    }
    let deps = deps_from_sdk(
        config(
            &org,
            &[
                ("ENFORCE", "true"),
                ("ENFORCE_MIN_WARNING_DAYS", "0"),
                ("ENFORCE_MAX_PER_DAY", "1"),
            ],
        ),
        &org.sdk,
    );
    let run = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let record = |i: usize| {
        json!({"messageId": format!("m-{i}"), "receiptHandle": format!("r-{i}"),
               "body": json!({"sweep_account": PAYMENTS, "run": run}).to_string(),
               "eventSource": "aws:sqs",
               "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:akn-sweep"})
    };
    // The first message's sweep gives the four overdue users their final
    // warning; the batch of five then finds them all due.
    let first = dispatch(json!({"Records": [record(0)]}), &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(first.response(), json!({"batchItemFailures": []}));
    org.emu.reset_requests();
    let batch: Vec<Value> = (1..=5).map(record).collect();
    let answer = dispatch(json!({"Records": batch}), &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(answer.response(), json!({"batchItemFailures": []}));
    assert_eq!(
        org.emu.requests()["iam:UpdateAccessKey"],
        1,
        "{}",
        org.emu.requests()
    );
}

#[tokio::test]
async fn a_refused_organization_role_is_named_for_what_it_is_in_plain_words() {
    let mut org = organization().await;
    org.emu
        .call(json!({"op": "refuse_assume_role", "account": MANAGEMENT}));
    let deps = deps_from_sdk(config(&org, &[]), &org.sdk);
    let e = dispatch(
        fixture_event("scheduled-event.json"),
        &deps,
        &Invocation::local(),
    )
    .await
    .unwrap_err();
    let message = e.safe_message();
    assert_eq!(e.error_type(), "Retryable.FanOutFailed", "{message}");
    assert!(
        message.contains("the role that lists the Organization (ORGANIZATION_ROLE_ARN, arn:aws:iam::999999999999:role/akn-accounts) could not be assumed"),
        "{message}"
    );
    assert!(!message.contains("member role"), "{message}");
    for debug in ["Some(", "DispatchFailure", "ConnectorError", "{ "] {
        assert!(!message.contains(debug), "{debug:?} in {message}");
    }
    assert_eq!(org.emu.requests().get("organizations:ListAccounts"), None);
}

#[tokio::test]
async fn the_organization_s_digest_and_chat_count_unused_keys_and_name_an_active_root_key() {
    // Given the Organization, an idle key in the data account (70 days,
    // never used) and an active root access key in the sandbox.
    let mut org = organization().await;
    org.emu.create_user(
        json!({"account": DATA, "name": "idle", "user_id": "AIDA222222222222IDLE",
                               "tags": {"Email": "idle@222222222222.example.com"},
                               "keys": [key_aged(70)]}),
    );
    org.emu
        .call(json!({"op": "credential_report", "root_key_active": true, "account": SANDBOX}));
    let (topic, queue) = common::topic_with_queue(&org.emu, "akn-org-chat").await;
    let deps = deps_from_sdk(
        config(
            &org,
            &[
                ("UNUSED_KEY_DAYS", "60"),
                ("CHAT_TOPIC_ARN", topic.as_str()),
            ],
        ),
        &org.sdk,
    );

    // Every account swept through the queue, then the digest run.
    let f = fan_out(&deps).await;
    let records = common::sqs_records(&org.sdk, &org.queue_url, f.queued).await;
    dispatch(json!({"Records": records}), &deps, &Invocation::local())
        .await
        .unwrap();
    let o = organization_digest(&deps).await;
    assert_eq!((o.status, o.accounts), (MailStatus::Sent, 3));

    // The digest: the unused key in its account's row and in the totals,
    // the root key a line of its own.
    let messages = org.emu.messages();
    let mail = messages.iter().rev().find(|m| to_of(m) == LEAD).unwrap();
    let html = mail["body"].as_str().unwrap();
    assert!(html.contains(" · 1 unused · "), "{html}");
    let data_row = &html[html.find("<strong>222222222222</strong>").unwrap()..];
    let data_row = &data_row[..data_row.find("</tr>").unwrap()];
    assert!(data_row.contains("1 unused"), "{data_row}");
    assert!(
        html.contains("The root user of 333333333333 has an active access key."),
        "{html}"
    );

    // One Organization-wide chat summary with the same counts and the
    // root key's line.
    let published = common::published(&org.emu, &queue).await;
    let summaries: Vec<&Value> = published
        .iter()
        .filter(|m| m["metadata"]["eventType"] == "OrganizationSummary")
        .collect();
    assert_eq!(summaries.len(), 1, "{published:?}");
    let s = summaries[0];
    assert_eq!(s["metadata"]["additionalContext"]["unused"], "1");
    assert_eq!(s["metadata"]["additionalContext"]["rootKeys"], "1");
    assert!(
        s["content"]["title"]
            .as_str()
            .unwrap()
            .ends_with(", 1 unused"),
        "{s}"
    );
    let d = s["content"]["description"].as_str().unwrap();
    assert!(
        d.contains(":rotating_light: The root user of `333333333333` has an active access key"),
        "{d}"
    );
    assert!(
        d.contains("• `222222222222` 0 overdue, 1 due soon, 1 unused"),
        "{d}"
    );
}
