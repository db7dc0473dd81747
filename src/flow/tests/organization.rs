//! Organizations mode over the in-memory adapters: events of three member
//! accounts, accounts outside the set, an unassumable role, the fan-out,
//! the per-account sweep messages and the Organization's digest.
//! `tests/organization.rs` proves the wire (STS, SQS, Organizations).

use serde_json::{Value, json};

use crate::fixtures;
use crate::flow::Invocation;
use crate::flow::config_event::handle;
use crate::model::Stage;
use crate::outcome::MailStatus;
use crate::ports::ledger::NoticeKey;
use crate::route::{Answer, answer as dispatch};
use crate::testkit::{TestDeps, deps_with, key, user_id};

const PAYMENTS: &str = "111111111111";
const DATA: &str = "222222222222";
const SANDBOX: &str = "333333333333";
const OUTSIDER: &str = "444444444444";
const RULE: &str = "access-keys-rotated-1";

fn organization(vars: &[(&str, &str)]) -> TestDeps {
    let mut all = vec![
        ("MEMBER_ROLE_NAME", "akn-member"),
        (
            "SWEEP_QUEUE_URL",
            "https://sqs.us-east-1.amazonaws.com/999999999999/akn-sweep",
        ),
        ("LEDGER_TABLE", "akn-ledger"),
        ("DIGEST_RECIPIENTS", "security-lead@example.com"),
    ];
    all.extend_from_slice(vars);
    let d = deps_with(true, &all);
    d.accounts.add_member(PAYMENTS, Some("prod-payments"));
    d.accounts.add_member(DATA, None);
    d.accounts.add_member(SANDBOX, Some("sandbox"));
    d
}

/// `name` in `account`, owner `name@example.com`, one key of `age` days
/// whose id is the same in every account (ids never meet across accounts).
fn add(d: &TestDeps, account: &str, name: &str, age: i64) {
    let email = format!("{name}@example.com");
    d.accounts.directory_of(account).add_user(
        &user_id(name),
        name,
        &[("Email", email.as_str())],
        vec![key("AKIASHAREDKEYID00001", age)],
    );
}

fn event(account: &str, name: &str) -> Value {
    let mut e = fixtures::event("noncompliant-7-days.json");
    e["id"] = json!(format!("{account}-{name}"));
    e["account"] = json!(account);
    e["detail"]["awsAccountId"] = json!(account);
    e["detail"]["configRuleName"] = json!(RULE);
    e["detail"]["resourceId"] = json!(user_id(name));
    e
}

async fn outcome(d: &TestDeps, e: Value) -> Value {
    let handled = handle(e, d, &Invocation::local()).await.unwrap();
    serde_json::to_value(&handled.outcome).unwrap()
}

fn scheduled(run: Option<&str>) -> Value {
    let mut e = fixtures::event("scheduled-event.json");
    if let Some(run) = run {
        e["detail"] = json!({ "run": run });
    }
    e
}

/// The queued messages as one SQS event, as Lambda's event source
/// mapping delivers them.
fn sqs_event(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            json!({"messageId": format!("m-{i}"), "receiptHandle": "r", "body": body,
                   "attributes": {"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs",
                   "eventSourceARN": "arn:aws:sqs:us-east-1:999999999999:akn-sweep", "awsRegion": "us-east-1"})
        })
        .collect();
    json!({ "Records": records })
}

#[tokio::test]
async fn events_of_each_account_mail_that_accounts_owner_from_that_accounts_iam() {
    let d = organization(&[]);
    add(&d, PAYMENTS, "pat", 83);
    add(&d, DATA, "dana", 83);
    add(&d, SANDBOX, "sam", 83);

    for (account, name) in [(PAYMENTS, "pat"), (DATA, "dana"), (SANDBOX, "sam")] {
        let o = outcome(&d, event(account, name)).await;
        assert_eq!(o["status"], "sent", "{o}");
        assert_eq!(o["account"], account);
        assert_eq!(
            o["recipients"]["to"],
            json!([format!("{name}@example.com")])
        );
    }
    let sent = d.mailer.sent();
    assert!(
        sent[0].text.contains("111111111111 (prod-payments)"),
        "{}",
        sent[0].text
    );
    assert!(sent[1].text.contains("222222222222"));
    assert!(
        !sent[1].text.contains("222222222222 ("),
        "no alias, no brackets"
    );
    assert!(sent[2].html.contains("333333333333 (sandbox)"));
    // Each account's own directory was read, and the function's own never.
    for account in [PAYMENTS, DATA, SANDBOX] {
        assert_eq!(d.accounts.directory_of(account).script.count("GetUser"), 1);
    }
    assert_eq!(d.accounts.script.count("GetUser"), 0);
    // The same key id in three accounts: three records, no collision.
    let ledger = d.ledger.as_ref().unwrap();
    for account in [PAYMENTS, DATA, SANDBOX] {
        let key = NoticeKey {
            account: account.into(),
            access_key_id: "AKIASHAREDKEYID00001".into(),
            stage: Stage::Tier(7),
        };
        assert!(ledger.entry(&key).is_some(), "{account}");
    }
    // And a second delivery of each is already notified.
    let again = outcome(&d, event(DATA, "dana")).await;
    assert_eq!(again["reason"], "already_notified");
}

#[tokio::test]
async fn an_account_outside_the_set_or_exempt_is_skipped_without_assuming_a_role() {
    let d = organization(&[("EXEMPT_ACCOUNTS", SANDBOX)]);
    add(&d, SANDBOX, "sam", 83);
    let o = outcome(&d, event(OUTSIDER, "olga")).await;
    assert_eq!(
        (o["status"].as_str(), o["reason"].as_str()),
        (Some("skipped"), Some("account_not_served"))
    );
    let o = outcome(&d, event(SANDBOX, "sam")).await;
    assert_eq!(o["reason"], "account_exempt");
    assert_eq!(d.accounts.calls.count("AssumeRole"), 0);
    assert!(d.mailer.sent().is_empty());

    // With ACCOUNTS, the list is the set and the Organization is not asked.
    let listed = organization(&[("ACCOUNTS", &format!("{PAYMENTS},{DATA}"))]);
    add(&listed, SANDBOX, "sam", 83);
    let o = outcome(&listed, event(SANDBOX, "sam")).await;
    assert_eq!(o["reason"], "account_not_served");
    assert_eq!(listed.accounts.calls.count("ListAccounts"), 0);
}

#[tokio::test]
async fn a_role_that_cannot_be_assumed_is_a_retryable_error_naming_the_account() {
    let d = organization(&[]);
    add(&d, DATA, "dana", 83);
    d.accounts.refuse_role(DATA);
    let e = handle(event(DATA, "dana"), &d, &Invocation::local())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "Retryable.MemberRoleUnavailable");
    assert!(e.to_string().contains(DATA), "{e}");
    assert!(d.mailer.sent().is_empty());
}

#[tokio::test]
async fn the_sweep_fans_out_one_message_per_account_and_each_is_swept_once() {
    let d = organization(&[("EXEMPT_ACCOUNTS", SANDBOX)]);
    add(&d, PAYMENTS, "pat", 95);
    add(&d, DATA, "dana", 83);
    add(&d, SANDBOX, "sam", 120);

    // The schedule's event queues one message per served account.
    let Answer::FanOut(f) = dispatch(scheduled(None), &d, &Invocation::local())
        .await
        .unwrap()
    else {
        panic!("a scheduled event fans out")
    };
    assert_eq!((f.accounts, f.queued), (2, 2));
    assert_eq!(f.exempt, [SANDBOX]);
    let queue = d.queue.as_ref().unwrap();
    let bodies = queue.drain();
    assert_eq!(
        bodies,
        [
            json!({"sweep_account": PAYMENTS, "run": "2026-11-23"}).to_string(),
            json!({"sweep_account": DATA, "run": "2026-11-23"}).to_string(),
        ]
    );
    assert!(d.mailer.sent().is_empty(), "the fan-out mails nobody");

    // Each message sweeps its account: its owner is mailed, once.
    let answer = dispatch(sqs_event(&bodies), &d, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(answer.response(), json!({"batchItemFailures": []}));
    let to: Vec<String> = d
        .mailer
        .sent()
        .iter()
        .map(|m| m.to[0].to_string())
        .collect();
    assert_eq!(to, ["pat@example.com", "dana@example.com"]);
    for account in [PAYMENTS, DATA] {
        assert_eq!(
            d.accounts
                .directory_of(account)
                .script
                .count("GetCredentialReport"),
            1
        );
    }
    assert_eq!(
        d.accounts
            .directory_of(SANDBOX)
            .script
            .count("GetCredentialReport"),
        0
    );
    // No per-account digest: the Organization's digest replaces it.
    assert_eq!(d.mailer.sent().len(), 2);

    // The Organization's digest lists both, worst (overdue) first.
    let Answer::OrganizationDigest(o) =
        dispatch(scheduled(Some("digest")), &d, &Invocation::local())
            .await
            .unwrap()
    else {
        panic!("the digest schedule sends the digest")
    };
    assert_eq!((o.status, o.accounts), (MailStatus::Sent, 2));
    assert!(o.not_swept.is_empty());
    let digest = d.mailer.sent().pop().unwrap();
    assert_eq!(digest.to[0].to_string(), "security-lead@example.com");
    assert_eq!(
        digest.subject,
        "Access keys in 2 accounts on 2026-11-23: 1 overdue, 1 due soon"
    );
    let pat = digest
        .text
        .find("111111111111 (prod-payments): 1 overdue")
        .unwrap();
    let dana = digest.text.find("222222222222: 0 overdue").unwrap();
    assert!(pat < dana, "worst first:\n{}", digest.text);
    assert!(
        digest.text.contains("pat  AKIA…0001  5 days overdue"),
        "{}",
        digest.text
    );
}

#[tokio::test]
async fn a_broken_account_fails_only_its_own_message_and_the_digest_names_it() {
    let d = organization(&[]);
    add(&d, PAYMENTS, "pat", 95);
    add(&d, DATA, "dana", 83);
    d.accounts.refuse_role(DATA);
    dispatch(scheduled(None), &d, &Invocation::local())
        .await
        .unwrap();
    let bodies = d.queue.as_ref().unwrap().drain();
    assert_eq!(bodies.len(), 3);
    let answer = dispatch(sqs_event(&bodies), &d, &Invocation::local())
        .await
        .unwrap();
    // Only the broken account's message returns to the queue.
    assert_eq!(
        answer.response(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]})
    );
    let Answer::Batch(batch) = &answer else {
        panic!()
    };
    assert_eq!(
        batch.messages[1].error_type.as_deref(),
        Some("Retryable.MemberRoleUnavailable")
    );
    assert_eq!(
        batch.messages[2].status,
        crate::outcome::fanout::MessageStatus::Swept,
        "the one after it is swept"
    );

    let Answer::OrganizationDigest(o) =
        dispatch(scheduled(Some("digest")), &d, &Invocation::local())
            .await
            .unwrap()
    else {
        panic!()
    };
    assert_eq!(o.not_swept, [DATA]);
    let digest = d.mailer.sent().pop().unwrap();
    assert!(
        digest.subject.ends_with(", 1 accounts not swept"),
        "{}",
        digest.subject
    );
    let missing = digest.text.find("NOT SWEPT TODAY").unwrap();
    let first = digest.text.find("111111111111 (prod-payments)").unwrap();
    assert!(missing < first, "{}", digest.text);
}

#[tokio::test]
async fn a_bad_sweep_message_fails_alone_and_a_message_without_an_id_fails_the_batch() {
    let d = organization(&[]);
    add(&d, PAYMENTS, "pat", 95);
    let good = json!({"sweep_account": PAYMENTS, "run": "2026-11-23"}).to_string();
    let answer = dispatch(
        sqs_event(&["not json".to_string(), good]),
        &d,
        &Invocation::local(),
    )
    .await
    .unwrap();
    assert_eq!(
        answer.response(),
        json!({"batchItemFailures": [{"itemIdentifier": "m-0"}]})
    );
    let mut event = sqs_event(&["{}".to_string()]);
    event["Records"][0]
        .as_object_mut()
        .unwrap()
        .remove("messageId");
    let e = dispatch(event, &d, &Invocation::local()).await.unwrap_err();
    assert_eq!(e.error_type(), "Permanent.InvalidEvent");
}

#[tokio::test]
async fn a_queue_that_refuses_a_message_makes_the_fan_out_retryable_naming_it() {
    let d = organization(&[]);
    d.queue.as_ref().unwrap().refuse_containing(DATA);
    let e = dispatch(scheduled(None), &d, &Invocation::local())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "Retryable.FanOutFailed");
    assert!(
        e.to_string()
            .contains("1 of 3 accounts were not queued: 222222222222"),
        "{e}"
    );
    assert_eq!(
        d.queue.as_ref().unwrap().sent().len(),
        2,
        "the others are queued"
    );
}

#[tokio::test]
async fn without_organization_settings_the_function_reads_its_own_account() {
    let d = deps_with(true, &[("LEDGER_TABLE", "akn-ledger")]);
    crate::testkit::add(&d, "alice", &[83]);
    let mut e = fixtures::event("noncompliant-7-days.json");
    e["detail"]["resourceId"] = json!(user_id("alice"));
    let o = outcome(&d, e).await;
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(d.accounts.calls.count("AssumeRole"), 0);
    assert!(d.queue.is_none());
    let e = dispatch(scheduled(Some("digest")), &d, &Invocation::local())
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "Permanent.InvalidEvent");
}

#[tokio::test]
async fn a_member_accounts_key_is_rotated_into_that_accounts_secret_store() {
    let d = organization(&[("ROTATE", "true")]);
    d.accounts.set_now(crate::testkit::now());
    d.accounts.directory_of(PAYMENTS).add_user(
        &user_id("deployer"),
        "deployer",
        &[
            ("Email", "deployer@example.com"),
            ("KeyRotation", "secrets-manager"),
        ],
        vec![key("AKIASHAREDKEYID00076", 76)],
    );
    let o = outcome(&d, event(PAYMENTS, "deployer")).await;
    assert_eq!(o["rotation"][0]["rotation"], "rotated", "{o}");
    let member = d.accounts.secrets_of(PAYMENTS).secrets();
    let names: Vec<&String> = member.keys().collect();
    assert_eq!(names, ["access-key-notifier/111111111111/deployer"]);
    assert!(
        member
            .values()
            .next()
            .unwrap()
            .arn
            .contains(":111111111111:"),
        "the member account's secret"
    );
    assert!(d.accounts.secrets().secrets().is_empty(), "nothing central");
    assert!(d.accounts.secrets_of(DATA).secrets().is_empty());
    assert_eq!(
        d.accounts.directory_of(PAYMENTS).keys_of("deployer").len(),
        2
    );
}
