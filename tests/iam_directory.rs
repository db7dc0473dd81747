//! The IAM adapter through the real SDK against the emulator on loopback.

mod common;

use access_key_notifier::app::deps_from_sdk;
use access_key_notifier::aws::iam::IamDirectory;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::flow::config_event::handle;
use access_key_notifier::model::Tag;
use access_key_notifier::ports::directory::UserDirectory;
use chrono::{Duration, TimeZone, Utc};
use common::{Emulator, RULE_7, SENDER, event_for, key_aged, masked, rfc3339};
use serde_json::json;

const TARGET_ID: &str = "AIDATCKAQT2XHRAS7UPNO";

#[tokio::test]
async fn finds_a_user_listed_after_more_than_a_full_page_and_caches_every_id() {
    // Given 1,050 users and the target listed last, past IAM's largest page.
    let mut emu = Emulator::start();
    emu.create_users("filler", 1050);
    emu.create_user(json!({"name": "zz-target", "user_id": TARGET_ID}));
    let sdk = emu.sdk_config().await;
    let dir = IamDirectory::new(
        access_key_notifier::aws::iam_client(&sdk),
        access_key_notifier::aws::sts_client(&sdk),
    );

    // When the id is resolved, then both pages were read.
    assert_eq!(
        dir.user_name(TARGET_ID).await.unwrap().as_deref(),
        Some("zz-target")
    );
    assert_eq!(dir.list_users_pages(), 2);

    // And a second lookup is served from the cache.
    assert_eq!(
        dir.user_name(TARGET_ID).await.unwrap().as_deref(),
        Some("zz-target")
    );
    assert_eq!(dir.list_users_pages(), 2);

    // And an id nobody has costs one full listing and is reported as absent.
    assert_eq!(dir.user_name("AIDAXXXXXXXXXXXXXXXXX").await.unwrap(), None);
    assert_eq!(dir.list_users_pages(), 4);
}

#[tokio::test]
async fn an_unfinished_listing_is_continued_not_restarted() {
    // Given 350 users with known ids, listed in creation order, 100 a page.
    let mut emu = Emulator::start();
    for i in 0..350 {
        emu.create_user(json!({"name": format!("user-{i:03}"), "user_id": format!("AIDA{i:017}")}));
    }
    let sdk = emu.sdk_config().await;
    let dir = IamDirectory::with_page_size(
        access_key_notifier::aws::iam_client(&sdk),
        access_key_notifier::aws::sts_client(&sdk),
        100,
    );

    let id = |i: usize| format!("AIDA{i:017}");
    let name_of = |i: usize| {
        let dir = &dir;
        async move { dir.user_name(&id(i)).await.unwrap() }
    };

    // user-150 is on page 2: the listing stops there.
    assert_eq!(name_of(150).await.as_deref(), Some("user-150"));
    assert_eq!(dir.list_users_pages(), 2);
    // user-050 was seen on page 1: no call.
    assert_eq!(name_of(50).await.as_deref(), Some("user-050"));
    assert_eq!(dir.list_users_pages(), 2);
    // user-320 is on page 4: the listing continues with pages 3 and 4,
    // the cache hit in between notwithstanding.
    assert_eq!(name_of(320).await.as_deref(), Some("user-320"));
    assert_eq!(dir.list_users_pages(), 4);
    // A stale name is forgotten on request and found again by listing.
    dir.forget(&id(50));
    assert_eq!(name_of(50).await.as_deref(), Some("user-050"));
    assert!(dir.list_users_pages() > 4);
}

#[tokio::test]
async fn reads_tags_keys_and_last_use() {
    let mut emu = Emulator::start();
    let now = Utc.with_ymd_and_hms(2025, 7, 2, 3, 23, 19).unwrap();
    let ids = emu.create_user(json!({
        "name": "alice",
        "user_id": TARGET_ID,
        "tags": {"Email": "alice@example.com", "team": "payments"},
        "keys": [
            {"created": rfc3339(now - Duration::days(83)),
             "last_used": {"time": rfc3339(now - Duration::days(1)), "service": "s3", "region": "ap-northeast-1"}},
            {"created": rfc3339(now - Duration::days(10)), "status": "Inactive"}
        ]
    }));
    let sdk = emu.sdk_config().await;
    let dir = IamDirectory::new(
        access_key_notifier::aws::iam_client(&sdk),
        access_key_notifier::aws::sts_client(&sdk),
    );

    let user = dir.user("alice").await.unwrap().expect("alice exists");
    assert_eq!((user.id.as_str(), user.name.as_str()), (TARGET_ID, "alice"));
    let mut tags = user.tags;
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(
        tags,
        vec![
            Tag {
                key: "Email".into(),
                value: "alice@example.com".into()
            },
            Tag {
                key: "team".into(),
                value: "payments".into()
            },
        ]
    );

    let keys = dir
        .access_keys("alice")
        .await
        .unwrap()
        .expect("alice exists");
    assert_eq!(keys.len(), 2);
    let old = keys
        .iter()
        .find(|k| k.id == ids[0])
        .expect("first key listed");
    assert!(old.active);
    assert_eq!(old.created, now - Duration::days(83));
    let new = keys
        .iter()
        .find(|k| k.id == ids[1])
        .expect("second key listed");
    assert!(!new.active);

    let used = dir.last_used(&ids[0]).await.unwrap();
    assert_eq!(used.time, Some(now - Duration::days(1)));
    assert_eq!(used.service.as_deref(), Some("s3"));
    assert_eq!(used.region.as_deref(), Some("ap-northeast-1"));
    let unused = dir.last_used(&ids[1]).await.unwrap();
    assert_eq!(unused.time, None);
}

#[tokio::test]
async fn a_missing_user_is_none_not_an_error() {
    let emu = Emulator::start();
    let sdk = emu.sdk_config().await;
    let dir = IamDirectory::new(
        access_key_notifier::aws::iam_client(&sdk),
        access_key_notifier::aws::sts_client(&sdk),
    );
    assert_eq!(dir.user("ghost").await.unwrap(), None);
    assert_eq!(dir.access_keys("ghost").await.unwrap(), None);
}

#[tokio::test]
async fn in_a_warm_process_a_renamed_user_is_found_by_its_id_not_its_old_name() {
    // Given a warm process that has resolved alice's id and mailed her once.
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let alice_keys = emu.create_user(json!({"name": "alice", "user_id": TARGET_ID,
        "tags": {"Email": "alice@example.com"}, "keys": [key_aged(83)]}));
    let sdk = emu.sdk_config().await;
    let config =
        Config::from_lookup(|k| (k == "SENDER_ADDRESS").then(|| SENDER.to_string())).unwrap();
    let deps = deps_from_sdk(config, &sdk);
    let event = event_for(RULE_7, TARGET_ID, "e-1");
    let first = handle(event.clone(), &deps, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(first.outcome.user.as_deref(), Some("alice"));

    // When alice is renamed and a new user takes the name with another owner.
    access_key_notifier::aws::iam_client(&sdk)
        .update_user()
        .user_name("alice")
        .new_user_name("alice-old")
        .send()
        .await
        .unwrap();
    emu.create_user(json!({"name": "alice", "user_id": "AIDAMALLORY0000000001",
        "tags": {"Email": "mallory@example.com"}, "keys": [key_aged(83)]}));

    // Then the next event for alice's id is about alice's key, to her owner.
    let again = handle(event, &deps, &Invocation::local()).await.unwrap();
    let o = serde_json::to_value(&again.outcome).unwrap();
    assert_eq!(o["user"], "alice-old", "{o}");
    assert_eq!(o["recipients"]["to"], json!(["alice@example.com"]), "{o}");
    assert_eq!(o["keys"][0]["access_key_id"], masked(&alice_keys[0]));
    let messages = emu.messages();
    assert_eq!(messages.len(), 2);
    for m in &messages {
        assert_eq!(
            m["destinations"]["ToAddresses"],
            json!(["alice@example.com"]),
            "{m}"
        );
    }
}

#[tokio::test]
async fn reads_the_credential_report_as_iam_makes_it_and_refuses_a_stale_one() {
    // Given a user with a used key and an inactive one, a user without
    // keys, a name with a comma, and a root with an active access key.
    let mut emu = Emulator::start();
    let now = Utc::now();
    emu.call(json!({"op": "credential_report", "root_key_active": true}));
    emu.create_user(json!({
        "name": "alice",
        "user_id": TARGET_ID,
        "keys": [
            {"created": rfc3339(now - Duration::days(83)),
             "last_used": {"time": rfc3339(now - Duration::days(1)), "service": "s3", "region": "ap-northeast-1"}},
            {"created": rfc3339(now - Duration::days(10)), "status": "Inactive"}
        ]
    }));
    emu.create_user(json!({"name": "ops,ci", "user_id": "AIDA00000000000OPSCI"}));
    let sdk = emu.sdk_config().await;
    let dir = IamDirectory::new(
        access_key_notifier::aws::iam_client(&sdk),
        access_key_notifier::aws::sts_client(&sdk),
    );
    emu.reset_requests();

    // When the report is read.
    let report = dir.credential_report(Utc::now()).await.unwrap();

    // Then it was generated (STARTED, then COMPLETE) and read once.
    let requests = emu.requests();
    assert_eq!(requests["iam:GenerateCredentialReport"], 2, "{requests}");
    assert_eq!(requests["iam:GetCredentialReport"], 1, "{requests}");
    assert!(report.root_key_active);
    assert!((Utc::now() - report.generated) < Duration::minutes(1));
    let names: Vec<&str> = report.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(names, ["alice", "ops,ci"]);
    let alice = &report.users[0];
    assert_eq!(alice.keys.len(), 2);
    assert!(alice.keys[0].active && !alice.keys[1].active);
    assert_eq!(
        alice.keys[0].last_rotated.timestamp(),
        (now - Duration::days(83)).timestamp()
    );
    let used = alice.keys[0].last_used.as_ref().expect("IAM says");
    assert_eq!(used.service.as_deref(), Some("s3"));
    assert_eq!(used.region.as_deref(), Some("ap-northeast-1"));
    let never = alice.keys[1].last_used.as_ref().expect("IAM says");
    assert_eq!(never.time, None, "never used");

    // And within four hours IAM hands the same report back: a user created
    // since is not in it.
    emu.create_user(json!({"name": "zed", "user_id": "AIDA000000000000000ZED"}));
    let again = dir.credential_report(Utc::now()).await.unwrap();
    assert_eq!(again.users.len(), 2);

    // And a report older than the bound is refused, retryably, in words.
    emu.call(json!({"op": "credential_report", "dated_back_hours": 6}));
    let e = dir.credential_report(Utc::now()).await.unwrap_err();
    assert!(e.is_retryable());
    assert!(e.to_string().contains("more than 5 hours"), "{e}");

    // And a refused report is an error of its own operation.
    emu.call(json!({"op": "credential_report", "refuse": true}));
    let e = dir.credential_report(Utc::now()).await.unwrap_err();
    assert!(
        e.to_string().contains("GenerateCredentialReport")
            && e.to_string().contains("AccessDenied"),
        "{e}"
    );
}
