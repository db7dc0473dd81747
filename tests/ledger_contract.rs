//! The notice ledger's contract, checked against both adapters: the
//! DynamoDB one through the real SDK on the emulator, and the in-memory one
//! the handler's tests rely on. If they ever disagree, this fails.

mod common;

use access_key_notifier::aws::dynamodb::DynamoDbLedger;
use access_key_notifier::enforcement::Warning;
use access_key_notifier::model::Stage;
use access_key_notifier::ports::ledger::{
    Claim, ClaimRequest, NoticeKey, NoticeLedger, SentRecord,
};
use access_key_notifier::ports::memory::ledger::MemoryLedger;
use chrono::{DateTime, Duration, TimeZone, Utc};
use common::{ACCOUNT, Emulator, create_ledger_table};

fn key(stage: Stage) -> NoticeKey {
    NoticeKey {
        account: ACCOUNT.into(),
        access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
        stage,
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap() + Duration::seconds(seconds)
}

fn request(owner: &str, now: i64, until: i64) -> ClaimRequest {
    ClaimRequest {
        owner: owner.into(),
        now: at(now),
        until: at(until),
    }
}

fn sent(expires: i64) -> SentRecord {
    SentRecord {
        user: "alice".into(),
        source: "access-keys-rotated-1".into(),
        message_id: Some("m-1".into()),
        sent_at: at(0),
        expires_at: at(expires),
    }
}

async fn contract(ledger: &impl NoticeLedger) {
    let tier = key(Stage::Tier(7));

    // A free stage is claimed; a second claimant finds it held.
    assert_eq!(
        ledger.claim(&tier, &request("a", 0, 70)).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        ledger.claim(&tier, &request("b", 1, 71)).await.unwrap(),
        Claim::HeldElsewhere
    );
    assert!(
        !ledger.is_sent(&tier, at(1)).await.unwrap(),
        "a claim is not a notice"
    );

    // Only the holder releases it.
    ledger.release(&tier, "b").await.unwrap();
    assert_eq!(
        ledger.claim(&tier, &request("b", 2, 72)).await.unwrap(),
        Claim::HeldElsewhere
    );
    ledger.release(&tier, "a").await.unwrap();
    assert_eq!(
        ledger.claim(&tier, &request("b", 3, 73)).await.unwrap(),
        Claim::Acquired
    );

    // Once sent, it stays sent: no claim, no release takes it.
    ledger.record_sent(&tier, &sent(1000)).await.unwrap();
    assert!(ledger.is_sent(&tier, at(4)).await.unwrap());
    assert_eq!(
        ledger.claim(&tier, &request("c", 4, 74)).await.unwrap(),
        Claim::AlreadySent
    );
    ledger.release(&tier, "b").await.unwrap();
    assert!(ledger.is_sent(&tier, at(5)).await.unwrap());

    // An expired claim, and an expired record, count as absent.
    let overdue = key(Stage::Overdue);
    assert_eq!(
        ledger.claim(&overdue, &request("a", 0, 10)).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        ledger.claim(&overdue, &request("b", 11, 81)).await.unwrap(),
        Claim::Acquired
    );
    ledger.record_sent(&overdue, &sent(100)).await.unwrap();
    assert!(!ledger.is_sent(&overdue, at(101)).await.unwrap());
    assert_eq!(
        ledger
            .claim(&overdue, &request("c", 101, 171))
            .await
            .unwrap(),
        Claim::Acquired
    );

    // Stages of one key are separate.
    assert!(!ledger.is_sent(&key(Stage::Tier(14)), at(5)).await.unwrap());

    // A sent notice alone is no warning.
    let id = "AKIAIOSFODNN7EXAMPLE";
    assert_eq!(ledger.warning(ACCOUNT, id, at(5)).await.unwrap(), None);

    // A warning keeps its first send and the latest date announced, in
    // whatever order the dates come; it expires; a warning about another
    // key with the same id is replaced; accounts and ids are separate.
    let date = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    let created = at(-90 * 86_400);
    let warning = |sent: i64, announced: u32| Warning {
        key_created: created,
        first_sent: at(sent),
        announced: date(announced),
    };
    ledger
        .record_warning(ACCOUNT, id, &warning(0, 26), at(1000))
        .await
        .unwrap();
    ledger
        .record_warning(ACCOUNT, id, &warning(300, 24), at(1300))
        .await
        .unwrap();
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(400)).await.unwrap(),
        Some(warning(0, 26)),
        "an earlier date never replaces a later one"
    );
    ledger
        .record_warning(ACCOUNT, id, &warning(500, 30), at(1500))
        .await
        .unwrap();
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(600)).await.unwrap(),
        Some(warning(0, 30))
    );
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(1400)).await.unwrap(),
        Some(warning(0, 30)),
        "each warning keeps the record as long as its own expiry"
    );
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(1501)).await.unwrap(),
        None,
        "expired"
    );
    ledger
        .record_warning(ACCOUNT, id, &warning(1600, 28), at(3000))
        .await
        .unwrap();
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(1700)).await.unwrap(),
        Some(warning(1600, 28)),
        "an expired warning is replaced, not merged"
    );
    let another = Warning {
        key_created: created + Duration::days(1),
        ..warning(1800, 27)
    };
    ledger
        .record_warning(ACCOUNT, id, &another, at(3000))
        .await
        .unwrap();
    assert_eq!(
        ledger.warning(ACCOUNT, id, at(1900)).await.unwrap(),
        Some(another)
    );
    assert_eq!(
        ledger
            .warning(ACCOUNT, "AKIAI44QH8DHBEXAMPLE", at(5))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        ledger.warning("210987654321", id, at(1900)).await.unwrap(),
        None
    );

    // The day's deactivation places: at most `max` between every taker,
    // given back at most down to zero, per account and day.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let next = day.succ_opt().unwrap();
    for _ in 0..2 {
        assert!(ledger.take_deactivation(ACCOUNT, day, 2).await.unwrap());
    }
    assert!(!ledger.take_deactivation(ACCOUNT, day, 2).await.unwrap());
    ledger.give_back_deactivation(ACCOUNT, day).await.unwrap();
    assert!(ledger.take_deactivation(ACCOUNT, day, 2).await.unwrap());
    assert!(!ledger.take_deactivation(ACCOUNT, day, 2).await.unwrap());
    assert!(ledger.take_deactivation(ACCOUNT, next, 2).await.unwrap());
    assert!(
        ledger
            .take_deactivation("210987654321", day, 2)
            .await
            .unwrap()
    );
    for _ in 0..3 {
        ledger
            .give_back_deactivation("210987654321", next)
            .await
            .unwrap();
    }
    assert!(
        ledger
            .take_deactivation("210987654321", next, 1)
            .await
            .unwrap()
    );
    assert!(
        !ledger
            .take_deactivation("210987654321", next, 1)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_dynamodb_ledger_keeps_the_contract() {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    create_ledger_table(&sdk, "akn-ledger").await;
    contract(&DynamoDbLedger::new(
        access_key_notifier::aws::dynamodb_client(&sdk),
        "akn-ledger",
    ))
    .await;
}

#[tokio::test]
async fn the_in_memory_ledger_keeps_the_same_contract() {
    contract(&MemoryLedger::new()).await;
}
