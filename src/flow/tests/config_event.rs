//! The Config event flow over the in-memory adapters and a fixed clock: every rule of
//! the notice ledger, the counting, the stale-name path and the failure
//! paths, in milliseconds. The emulator tests in `tests/` prove the wire.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::error::Error;
use crate::fixtures;
use crate::flow::Invocation;
use crate::flow::config_event::Handled;
use crate::flow::config_event::{handle, load_user};
use crate::model::LastUsed;
use crate::model::{AccessKey, Stage};
use crate::outcome::Status;
use crate::ports::directory::MAX_ACCESS_KEYS;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::{self, NoticeKey, SentRecord};
use crate::ports::memory::directory::MemoryDirectory;
use crate::ports::memory::ledger::Entry;
use crate::testkit::{TestDeps, deps, deps_with, key, now};

const ACCOUNT: &str = "123456789012";
const ALICE: &str = "AIDATCKAQT2XHRAS7UPNO";
const RULE_7: &str = "access-keys-rotated-1";
const RULE_14: &str = "access-keys-rotated-2";

fn add(d: &TestDeps, id: &str, name: &str, email: &str, keys: Vec<(AccessKey, LastUsed)>) {
    d.accounts.add_user(id, name, &[("Email", email)], keys);
}

/// alice, under the fixtures' user id, with one key `age_days` old; its id
/// ends in the age (`AKIAALICE00000000083`).
fn add_alice(d: &TestDeps, age_days: i64) {
    add(
        d,
        ALICE,
        "alice",
        "alice@example.com",
        vec![key(&format!("AKIAALICE{age_days:011}"), age_days)],
    );
}

/// carol, under the fixtures' user id, with one key 88 days old (2 days left).
fn add_carol(d: &TestDeps) {
    add(
        d,
        ALICE,
        "carol",
        "carol@example.com",
        vec![key("AKIACAROL00000000088", 88)],
    );
}

/// frank, under the fixtures' user id, with keys 85 and 78 days old.
fn add_frank(d: &TestDeps) {
    add(
        d,
        ALICE,
        "frank",
        "frank@example.com",
        vec![
            key("AKIAFRANK00000000085", 85),
            key("AKIAFRANK00000000078", 78),
        ],
    );
}

/// The fixture event of `rule` for `user_id`, with its own event id.
fn event(rule: &str, user_id: &str) -> Value {
    let mut e = fixtures::event("noncompliant-7-days.json");
    e["id"] = json!(format!("{rule}-{user_id}"));
    e["detail"]["configRuleName"] = json!(rule);
    e["detail"]["resourceId"] = json!(user_id);
    e
}

async fn run(d: &TestDeps, event: Value) -> Result<Handled, Error> {
    handle(event, d, &Invocation::local()).await
}

/// The outcome of a run that must succeed, as JSON.
async fn outcome(d: &TestDeps, event: Value) -> Value {
    let handled = run(d, event).await.expect("the event is handled");
    serde_json::to_value(&handled.outcome).unwrap()
}

fn stage_key(id: &str, stage: Stage) -> NoticeKey {
    NoticeKey {
        account: ACCOUNT.into(),
        access_key_id: id.into(),
        stage,
    }
}

fn retryable_ses_error() -> Error {
    Error::Aws {
        service: "SES",
        operation: "SendEmail",
        code: Some("Throttling".into()),
        message: "Rate exceeded".into(),
        retryable: true,
    }
}

#[tokio::test]
async fn an_88_day_key_is_mailed_once_by_whichever_rule_fires_first() {
    for (first, second) in [(RULE_14, RULE_7), (RULE_7, RULE_14)] {
        // Given carol's only key is 88 days old (2 days left).
        let d = deps();
        add_carol(&d);

        // The first event sends the 7-day stage's notice, whichever rule it is.
        let o = outcome(&d, event(first, ALICE)).await;
        assert_eq!(o["status"], "sent", "{first}: {o}");
        assert_eq!(o["days_remaining"], 2);
        assert_eq!(o["keys"][0]["stage"], "tier_7");
        let message_id = o["message_id"].as_str().unwrap().to_string();

        // The other rule's event, and a duplicate of the first, send nothing.
        for e in [event(second, ALICE), event(first, ALICE)] {
            let o = outcome(&d, e).await;
            assert_eq!(o["status"], "skipped", "{o}");
            assert_eq!(o["reason"], "already_notified");
            assert_eq!(o["user"], "carol");
        }
        assert_eq!(d.mailer.sent().len(), 1);
        match d
            .ledger
            .as_ref()
            .unwrap()
            .entry(&stage_key("AKIACAROL00000000088", Stage::Tier(7)))
        {
            Some(Entry::Sent(r)) => {
                assert_eq!(r.message_id.as_deref(), Some(message_id.as_str()));
                assert_eq!((r.user.as_str(), r.source.as_str()), ("carol", first));
                assert_eq!(r.sent_at, now());
                assert_eq!(
                    r.expires_at,
                    now() + Duration::days(2 + ledger::RETENTION_DAYS)
                );
            }
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn both_tiers_firing_with_8_days_left_mail_once_with_or_without_the_ledger() {
    for ledger in [true, false] {
        let d = deps_with(ledger, &[]);
        add_alice(&d, 82);
        let fourteen = outcome(&d, event(RULE_14, ALICE)).await;
        let seven = outcome(&d, event(RULE_7, ALICE)).await;
        let statuses = [&fourteen["status"], &seven["status"]];
        let mails = d.mailer.sent();
        assert_eq!(mails.len(), 1, "ledger {ledger}: {fourteen} {seven}");
        assert!(
            mails[0].subject.contains("within 8 days"),
            "{}",
            mails[0].subject
        );
        if ledger {
            assert_eq!(statuses, ["sent", "skipped"]);
            assert_eq!(seven["reason"], "already_notified");
        } else {
            assert_eq!(statuses, ["skipped", "sent"]);
            assert_eq!(fourteen["reason"], "superseded_by_closer_notice");
        }
    }
}

#[tokio::test]
async fn a_second_key_is_announced_with_the_first_and_each_later_stage_once() {
    // Given frank's keys are 85 and 78 days old.
    let d = deps();
    add_frank(&d);

    // One mail lists both, each with its own deadline and stage.
    let o = outcome(&d, event(RULE_7, ALICE)).await;
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(
        o["keys"],
        json!([
            {"access_key_id": "AKIA…0085", "created": "2026-08-30", "deadline": "2026-11-28",
             "days_remaining": 5, "stage": "tier_7"},
            {"access_key_id": "AKIA…0078", "created": "2026-09-06", "deadline": "2026-12-05",
             "days_remaining": 12, "stage": "tier_14"}
        ])
    );
    let mail = &d.mailer.sent()[0];
    assert!(mail.text.contains("AKIA…0085") && mail.text.contains("AKIA…0078"));
    assert_eq!(
        d.ledger.as_ref().unwrap().entries().len(),
        2,
        "both stages recorded"
    );
    assert_eq!(
        outcome(&d, event(RULE_14, ALICE)).await["reason"],
        "already_notified"
    );

    // Six days later the 78-day key reaches the 7-day stage and the 85-day
    // key is overdue: both stages are new, so the next event mails again.
    d.clock.advance(Duration::days(6));
    let o = outcome(&d, event(RULE_7, ALICE)).await;
    assert_eq!(o["status"], "sent", "{o}");
    let stages: Vec<&Value> = o["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["stage"])
        .collect();
    assert_eq!(stages, [&json!("overdue"), &json!("tier_7")]);
    assert_eq!(o["days_overdue"], 1);
    assert_eq!(d.mailer.sent().len(), 2);

    // Three days on, both keys are still at those stages: nothing new.
    d.clock.advance(Duration::days(3));
    let o = outcome(&d, event(RULE_7, ALICE)).await;
    assert_eq!(o["reason"], "already_notified", "{o}");
    assert_eq!(d.mailer.sent().len(), 2);
}

#[tokio::test]
async fn a_listed_key_whose_stage_was_sent_is_marked_and_the_new_one_sends() {
    let d = deps();
    add_frank(&d);
    // The 85-day key's 7-day stage went out in an earlier notice.
    d.ledger.as_ref().unwrap().put(
        stage_key("AKIAFRANK00000000085", Stage::Tier(7)),
        Entry::Sent(SentRecord {
            user: "frank".into(),
            source: RULE_7.into(),
            message_id: Some("earlier".into()),
            sent_at: now() - Duration::days(2),
            expires_at: now() + Duration::days(400),
        }),
    );
    let o = outcome(&d, event(RULE_14, ALICE)).await;
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(o["keys"][0]["already_notified"], true);
    assert!(o["keys"][1].get("already_notified").is_none());
    assert_eq!(d.ledger.as_ref().unwrap().script.count("RecordSent"), 1);
}

#[tokio::test]
async fn days_are_counted_from_the_clock_never_from_the_events_time() {
    let d = deps();
    add_alice(&d, 86);
    // Delivered three days late: the key has 4 days left, not 7.
    let mut late = event(RULE_7, ALICE);
    late["time"] = json!("2026-11-20T09:00:00Z");
    let o = outcome(&d, late).await;
    assert_eq!(
        (&o["today"], &o["days_remaining"]),
        (&json!("2026-11-23"), &json!(4))
    );

    // Stamped a month in the future: the key is not overdue.
    let d = deps_with(false, &[]);
    add_alice(&d, 86);
    let mut future = event(RULE_7, ALICE);
    future["time"] = json!("2026-12-23T09:00:00Z");
    let o = outcome(&d, future).await;
    assert_eq!(o["days_remaining"], 4, "{o}");
    assert!(o.get("days_overdue").is_none());
}

#[tokio::test]
async fn the_count_always_equals_the_difference_between_the_printed_dates() {
    // 20:00 UTC on the 23rd; the deadline's instant is 22:00 UTC on the 30th.
    // Rounding instants up said "within 8 days (deadline 2026-11-30)".
    async fn notice_in(vars: &[(&str, &str)]) -> (TestDeps, Value) {
        let d = deps_with(true, vars);
        d.clock
            .set(Utc.with_ymd_and_hms(2026, 11, 23, 20, 0, 0).unwrap());
        let (mut k, used) = key("AKIAALICE0000000CNT1", 0);
        k.created = Utc.with_ymd_and_hms(2026, 11, 30, 22, 0, 0).unwrap() - Duration::days(90);
        add(&d, ALICE, "alice", "alice@example.com", vec![(k, used)]);
        let o = outcome(&d, event(RULE_7, ALICE)).await;
        (d, o)
    }

    let (d, o) = notice_in(&[]).await;
    assert_eq!(
        (&o["today"], &o["deadline"], &o["days_remaining"]),
        (&json!("2026-11-23"), &json!("2026-11-30"), &json!(7))
    );
    let mail = &d.mailer.sent()[0];
    assert_eq!(
        mail.subject,
        "[Action required] Rotate the IAM access key of alice within 7 days (deadline 2026-11-30)"
    );
    assert!(
        mail.text.contains("(2026-11-30; today is 2026-11-23)"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("deadline 2026-11-30, 7 days left"),
        "{}",
        mail.text
    );

    // In Tokyo it is already the 24th, and the deadline is 07:00 on 1 December.
    let (_, o) = notice_in(&[("TIME_ZONE", "Asia/Tokyo")]).await;
    assert_eq!(
        (&o["today"], &o["deadline"], &o["days_remaining"]),
        (&json!("2026-11-24"), &json!("2026-12-01"), &json!(7))
    );
}

#[tokio::test]
async fn a_stale_cached_name_is_resolved_again_by_the_user_id() {
    // Given a warm container that resolved alice's id to the name "alice".
    let d = deps();
    add_alice(&d, 83);
    assert_eq!(
        d.accounts.user_name(ALICE).await.unwrap().as_deref(),
        Some("alice")
    );
    let listings = d.accounts.script.count("ListUsers");

    // When alice is renamed and a new user takes the name with another owner.
    d.accounts.rename("alice", "alice-old");
    add(
        &d,
        "AIDAMALLORY000000001",
        "alice",
        "mallory@example.com",
        vec![key("AKIAMALLORY000000083", 83)],
    );

    // Then the event for alice's id mails alice's owner about alice's key.
    let o = outcome(&d, event(RULE_7, ALICE)).await;
    assert_eq!(o["status"], "sent", "{o}");
    assert_eq!(o["user"], "alice-old");
    assert_eq!(o["recipients"]["to"], json!(["alice@example.com"]));
    assert_eq!(o["keys"][0]["access_key_id"], "AKIA…0083");
    assert!(d.mailer.sent()[0].text.contains("AKIA…0083"));
    assert!(!d.mailer.sent()[0].text.contains("mallory"));
    assert_eq!(
        d.accounts.script.count("ListUsers"),
        listings + 1,
        "listed once more"
    );

    // And an id that is gone, once the stale name is forgotten, is user_not_found.
    d.accounts.remove("alice-old");
    let o = outcome(&d, event(RULE_14, ALICE)).await;
    assert_eq!(o["reason"], "user_not_found", "{o}");
    assert_eq!(d.mailer.sent().len(), 1);
}

#[tokio::test]
async fn a_name_that_keeps_pointing_at_another_user_is_a_retryable_error() {
    // The cache says "alice" and so does a fresh listing, yet GetUser
    // answers with another id: a rename is under way.
    struct Renaming(MemoryDirectory);
    impl UserDirectory for Renaming {
        async fn user_name(&self, _: &str) -> Result<Option<String>, Error> {
            Ok(Some("alice".into()))
        }
        fn forget(&self, id: &str) {
            self.0.forget(id)
        }
        async fn user(&self, name: &str) -> Result<Option<crate::model::User>, Error> {
            self.0.user(name).await
        }
        async fn access_keys(&self, name: &str) -> Result<Option<Vec<AccessKey>>, Error> {
            self.0.access_keys(name).await
        }
        async fn last_used(&self, id: &str) -> Result<LastUsed, Error> {
            self.0.last_used(id).await
        }
        async fn credential_report(
            &self,
            now: chrono::DateTime<chrono::Utc>,
        ) -> Result<crate::credential_report::CredentialReport, Error> {
            self.0.credential_report(now).await
        }
        async fn list_users(&self) -> Result<Vec<crate::ports::directory::ListedUser>, Error> {
            self.0.list_users().await
        }
        async fn account_id(&self) -> Result<String, Error> {
            self.0.account_id().await
        }
        async fn account_alias(&self) -> Result<Option<String>, Error> {
            self.0.account_alias().await
        }
        async fn create_access_key(
            &self,
            name: &str,
        ) -> Result<crate::ports::directory::NewAccessKey, Error> {
            self.0.create_access_key(name).await
        }
        async fn deactivate_key(&self, name: &str, id: &str) -> Result<(), Error> {
            self.0.deactivate_key(name, id).await
        }
        async fn login_profile(
            &self,
            name: &str,
        ) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
            self.0.login_profile(name).await
        }
        async fn password_policy(&self) -> Result<Option<crate::model::PasswordPolicy>, Error> {
            self.0.password_policy().await
        }
        async fn delete_login_profile(&self, name: &str) -> Result<(), Error> {
            self.0.delete_login_profile(name).await
        }
    }
    let directory = Renaming(MemoryDirectory::new());
    directory.0.add_user(
        "AIDAMALLORY000000001",
        "alice",
        &[],
        vec![key("AKIAMALLORY000000083", 83)],
    );
    let e = load_user(&directory, ALICE).await.err().unwrap();
    assert_eq!(e.error_type(), "Retryable.UserChanged");
}

#[tokio::test]
async fn an_answer_lost_after_ses_accepted_is_the_one_path_to_a_second_mail() {
    let d = deps();
    add_alice(&d, 83);
    d.mailer.lose_next_answer();
    let e = run(&d, event(RULE_7, ALICE)).await.unwrap_err();
    assert_eq!(e.error_type(), "Retryable.SesError");
    // The claim was released, so the platform's retry sends at once: SES
    // has no idempotency token, and the mail goes out a second time.
    assert!(d.ledger.as_ref().unwrap().entries().is_empty());
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    assert_eq!(d.mailer.sent().len(), 2);
    assert_eq!(
        outcome(&d, event(RULE_7, ALICE)).await["reason"],
        "already_notified"
    );
}

#[tokio::test]
async fn a_failed_send_releases_the_claims_so_the_retry_goes_through() {
    let d = deps();
    add_frank(&d);
    d.mailer
        .script
        .fail_next("SendEmail", retryable_ses_error());
    assert!(run(&d, event(RULE_7, ALICE)).await.is_err());
    let ledger = d.ledger.as_ref().unwrap();
    assert!(ledger.entries().is_empty(), "{:?}", ledger.entries());
    assert_eq!(ledger.script.count("Release"), 2);
    assert!(d.mailer.sent().is_empty());
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
}

#[tokio::test]
async fn a_failed_ledger_write_after_sending_still_reports_the_notice() {
    let d = deps();
    add_alice(&d, 83);
    let ledger = d.ledger.as_ref().unwrap();
    ledger.script.fail_next(
        "RecordSent",
        Error::Aws {
            service: "DynamoDB",
            operation: "PutItem",
            code: Some("InternalServerError".into()),
            message: "boom".into(),
            retryable: true,
        },
    );
    // The mail is out, so the outcome says sent: a retry would mail again.
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    // The claim stays until it expires: meanwhile a delivery is told to retry.
    let held = stage_key("AKIAALICE00000000083", Stage::Tier(7));
    assert!(matches!(ledger.entry(&held), Some(Entry::Claimed { .. })));
    let e = run(&d, event(RULE_14, ALICE)).await.unwrap_err();
    assert_eq!(e.error_type(), "Retryable.NoticeInProgress");
    assert!(e.to_string().contains("AKIA…0083"), "{e}");
    // Where the guarantee ends: after the claim expires, the stage can be sent again.
    d.clock.advance(Duration::minutes(5));
    assert_eq!(outcome(&d, event(RULE_14, ALICE)).await["status"], "sent");
    assert_eq!(d.mailer.sent().len(), 2);
}

#[tokio::test]
async fn a_failed_claim_sends_nothing_and_drops_the_claims_already_taken() {
    let d = deps();
    add_frank(&d);
    let ledger = d.ledger.as_ref().unwrap();
    // The first key's claim succeeds, the second's fails.
    ledger.script.fail_after(
        "Claim",
        1,
        Error::Aws {
            service: "DynamoDB",
            operation: "PutItem",
            code: Some("ProvisionedThroughputExceededException".into()),
            message: "slow down".into(),
            retryable: true,
        },
    );
    let e = run(&d, event(RULE_7, ALICE)).await.unwrap_err();
    assert_eq!(e.error_type(), "Retryable.DynamoDbError");
    assert!(d.mailer.sent().is_empty());
    assert!(ledger.entries().is_empty(), "the first claim was dropped");
    assert_eq!(ledger.script.count("Release"), 1);
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 0);
}

#[tokio::test]
async fn a_claim_held_by_a_concurrent_delivery_asks_for_a_retry_and_holds_nothing() {
    let d = deps();
    add_frank(&d);
    let ledger = d.ledger.as_ref().unwrap();
    let other = Entry::Claimed {
        owner: "another-invocation".into(),
        until: now() + Duration::seconds(30),
    };
    // The second key's stage is being sent by another invocation.
    ledger.put(
        stage_key("AKIAFRANK00000000078", Stage::Tier(14)),
        other.clone(),
    );
    let e = run(&d, event(RULE_7, ALICE)).await.unwrap_err();
    assert_eq!(e.error_type(), "Retryable.NoticeInProgress");
    assert!(d.mailer.sent().is_empty());
    // This invocation's own claim on the first key was dropped; the other's stays.
    let entries = ledger.entries();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(
        entries.get(&stage_key("AKIAFRANK00000000078", Stage::Tier(14))),
        Some(&other)
    );
}

#[tokio::test]
async fn calls_for_a_sent_notice_and_for_an_already_sent_one() {
    let d = deps();
    add_alice(&d, 83);
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    let ledger = d.ledger.as_ref().unwrap();
    assert_eq!(
        d.accounts.script.calls(),
        [
            ("GetAccessKeyLastUsed", 1),
            ("GetCallerIdentity", 1),
            ("GetUser", 1),
            ("ListAccessKeys", 1),
            ("ListUsers", 1)
        ]
        .into()
    );
    assert_eq!(
        ledger.script.calls(),
        [("Claim", 1), ("RecordSent", 1)].into()
    );
    assert_eq!(d.mailer.script.calls(), [("SendEmail", 1)].into());

    // Already sent: the claim finds the record; no last-use lookup, no mail.
    assert_eq!(
        outcome(&d, event(RULE_14, ALICE)).await["reason"],
        "already_notified"
    );
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 1);
    assert_eq!(
        ledger.script.calls(),
        [("Claim", 2), ("RecordSent", 1)].into()
    );
    assert_eq!(d.mailer.script.count("SendEmail"), 1);
}

#[tokio::test]
async fn a_dry_run_reads_the_ledger_and_changes_nothing() {
    let d = deps_with(true, &[("DRY_RUN", "true")]);
    add_alice(&d, 83);
    let o = outcome(&d, event(RULE_7, ALICE)).await;
    assert_eq!(o["status"], "dry_run", "{o}");
    let ledger = d.ledger.as_ref().unwrap();
    assert!(ledger.entries().is_empty());
    assert_eq!(ledger.script.calls(), [("IsSent", 1)].into());
    assert!(d.mailer.sent().is_empty());

    // A stage that was sent is reported as such.
    ledger.put(
        stage_key("AKIAALICE00000000083", Stage::Tier(7)),
        Entry::Sent(SentRecord {
            user: "alice".into(),
            source: RULE_7.into(),
            message_id: None,
            sent_at: now(),
            expires_at: now() + Duration::days(400),
        }),
    );
    assert_eq!(
        outcome(&d, event(RULE_7, ALICE)).await["reason"],
        "already_notified"
    );
}

#[tokio::test]
async fn without_the_ledger_every_delivery_decides_alone() {
    let d = deps_with(false, &[]);
    add_carol(&d);
    assert_eq!(
        outcome(&d, event(RULE_14, ALICE)).await["reason"],
        "superseded_by_closer_notice"
    );
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    // A duplicate delivery mails again: that is what the ledger is for.
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    assert_eq!(d.mailer.sent().len(), 2);
}

#[tokio::test]
async fn the_ledger_needs_the_events_account() {
    let d = deps();
    add_alice(&d, 83);
    let mut e = event(RULE_7, ALICE);
    e.as_object_mut().unwrap().remove("account");
    e["detail"].as_object_mut().unwrap().remove("awsAccountId");
    let err = run(&d, e).await.unwrap_err();
    assert_eq!(err.error_type(), "Permanent.InvalidEvent");
    assert!(err.to_string().contains("account"), "{err}");
    assert!(
        d.accounts.script.calls().is_empty(),
        "checked before any call"
    );
}

#[tokio::test]
async fn other_rules_events_cost_no_call() {
    let d = deps();
    let o = outcome(&d, fixtures::event("other-rule.json")).await;
    assert_eq!(o["reason"], "unknown_rule");
    assert!(d.accounts.script.calls().is_empty());
    assert!(d.ledger.as_ref().unwrap().script.calls().is_empty());
}

/// An invocation whose deadline is `seconds` after the fixed clock's now.
fn invocation_with(seconds: i64) -> Invocation {
    Invocation {
        deadline: Some(now() + Duration::seconds(seconds)),
        trace_id: None,
        ..Invocation::local()
    }
}

/// frank, whose every IAM call takes 4 s: each within any per-call
/// time-out; a notice needs three rounds of them (ListUsers, then GetUser
/// with ListAccessKeys, then the keys' last uses).
fn slow_frank() -> TestDeps {
    let d = deps();
    add_frank(&d);
    for op in [
        "ListUsers",
        "GetUser",
        "ListAccessKeys",
        "GetAccessKeyLastUsed",
    ] {
        d.accounts
            .script
            .slow(op, std::time::Duration::from_secs(4));
    }
    d
}

#[tokio::test(start_paused = true)]
async fn slow_answers_that_outlast_the_budget_end_in_a_retryable_error_in_time() {
    let d = slow_frank();
    let started = tokio::time::Instant::now();
    let err = handle(event(RULE_7, ALICE), &d, &invocation_with(10))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.OutOfTime");
    assert!(err.to_string().contains("8000 ms"), "{err}");
    // It stopped at the budget: the deadline less the reserve.
    assert_eq!(started.elapsed(), std::time::Duration::from_secs(8));
    assert!(d.mailer.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn slow_answers_within_the_budget_still_send() {
    let d = slow_frank();
    let handled = handle(event(RULE_7, ALICE), &d, &invocation_with(20))
        .await
        .unwrap();
    assert_eq!(handled.outcome.status, Status::Sent);
    // Both keys' last use at once: three rounds, not four.
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 2);
    assert_eq!(d.accounts.script.most_at_once(), 2);
}

#[tokio::test]
async fn a_budget_already_spent_stops_before_any_call() {
    let d = deps();
    add_alice(&d, 83);
    let err = handle(event(RULE_7, ALICE), &d, &invocation_with(1))
        .await
        .unwrap_err();
    assert_eq!(err.error_type(), "Retryable.OutOfTime");
    assert_eq!(d.accounts.script.count("GetUser"), 0);
}

#[tokio::test]
async fn a_user_with_more_keys_than_iam_allows_is_a_damaged_answer() {
    let d = deps();
    let keys = (0..=MAX_ACCESS_KEYS)
        .map(|i| key(&format!("AKIAMANY{i:012}"), 85))
        .collect();
    add(&d, ALICE, "many", "many@example.com", keys);
    let err = run(&d, event(RULE_7, ALICE)).await.unwrap_err();
    assert_eq!(err.error_type(), "Retryable.IamError");
    assert!(
        err.to_string().contains("11 keys listed for one user"),
        "{err}"
    );
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 0);
    assert!(d.mailer.sent().is_empty());
    assert!(d.ledger.as_ref().unwrap().entries().is_empty());

    // Ten are still a notice (IAM allows two, but nothing here is lost).
    let d = deps();
    let keys = (0..MAX_ACCESS_KEYS)
        .map(|i| key(&format!("AKIAMANY{i:012}"), 85))
        .collect();
    add(&d, ALICE, "many", "many@example.com", keys);
    assert_eq!(
        outcome(&d, event(RULE_7, ALICE)).await["keys"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
}

#[tokio::test]
async fn outside_organizations_an_event_naming_another_account_is_not_served() {
    // Given an exempt-by-nobody alice with a key 83 days old in the
    // function's own account (123456789012).
    let d = deps();
    add_alice(&d, 83);
    // When a hand-written event names another account.
    let mut e = event(RULE_7, ALICE);
    e["account"] = json!("999999999999");
    e["detail"]["awsAccountId"] = json!("999999999999");
    let o = outcome(&d, e).await;
    // Then it is not served: only the own account's id was asked, no IAM
    // read, no ledger record, no mail.
    assert_eq!(o["reason"], "account_not_served", "{o}");
    assert_eq!(o["account"], "999999999999");
    assert_eq!(d.accounts.script.calls(), [("GetCallerIdentity", 1)].into());
    assert!(d.ledger.as_ref().unwrap().script.calls().is_empty());
    assert!(d.mailer.sent().is_empty());
    // The own account's events are served, and its id is not asked again.
    assert_eq!(outcome(&d, event(RULE_7, ALICE)).await["status"], "sent");
    assert_eq!(d.accounts.script.count("GetCallerIdentity"), 1);
}

#[tokio::test]
async fn outside_organizations_a_schedule_naming_another_account_sweeps_nothing() {
    let d = deps();
    add_alice(&d, 83);
    let mut e = fixtures::event("scheduled-event.json");
    e["account"] = json!("999999999999");
    let answer = crate::route::answer(e, &d, &Invocation::local())
        .await
        .unwrap();
    let o = answer.to_json();
    assert_eq!(o["status"], "skipped", "{o}");
    assert_eq!(o["reason"], "account_not_served");
    assert_eq!(d.accounts.script.calls(), [("GetCallerIdentity", 1)].into());
    assert!(d.ledger.as_ref().unwrap().script.calls().is_empty());
    assert!(d.mailer.sent().is_empty());
}
