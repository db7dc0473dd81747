//! Rotation through the sweep and the Config path, over the in-memory
//! adapters and a clock moved by hand: one new key and one secret per old
//! key however many runs; who is never rotated; the old key retired only
//! once the new one is used and the date has come; a secret that cannot be
//! stored; a run that stopped half way; dry runs. `tests/rotation.rs`
//! proves the wire (IAM and Secrets Manager in the emulator).

use chrono::{DateTime, Duration, Utc};

use crate::error::Error;
use crate::flow::Invocation;
use crate::flow::sweep::{self, Run};
use crate::model::{KeyRotation, Stage};
use crate::outcome::sweep::SweepOutcome;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::{NoticeKey, NoticeLedger, rotation_key};
use crate::ports::memory::ledger::Entry;
use crate::ports::memory::secrets::Stored;
use crate::ports::secrets::SecretStore;
use crate::route::Answer;
use crate::testkit::{TestDeps, deps_with, key, key_id, now, user_id};

const ACCOUNT: &str = "123456789012";
const SECRET: &str = "access-key-notifier/123456789012/deployer";

fn rotating(vars: &[(&str, &str)]) -> TestDeps {
    let mut all = vec![
        ("ROTATE", "true"),
        ("LEDGER_TABLE", "akn-ledger"),
        ("EXEMPT_TAG", "KeyRotationExempt"),
        (
            "CHAT_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:akn-chat",
        ),
        ("DIGEST_RECIPIENTS", "security@example.com"),
    ];
    all.extend_from_slice(vars);
    let d = deps_with(true, &all);
    d.accounts.set_now(now());
    d
}

/// A machine user opted in to rotation, with keys of these ages.
fn add_machine(d: &TestDeps, name: &str, ages: &[i64], more: &[(&str, &str)]) {
    let keys = ages.iter().map(|a| key(&key_id(name, *a), *a)).collect();
    let email = format!("{name}@example.com");
    let mut tags = vec![
        ("Email", email.as_str()),
        ("KeyRotation", "secrets-manager"),
    ];
    tags.extend_from_slice(more);
    d.accounts.add_user(&user_id(name), name, &tags, keys);
}

/// A Config event of `rule` about `user`.
fn event(rule: &str, user: &str) -> serde_json::Value {
    let mut e = crate::fixtures::event("noncompliant-7-days.json");
    e["id"] = serde_json::json!(format!("{rule}-{user}"));
    e["detail"]["configRuleName"] = serde_json::json!(rule);
    e["detail"]["resourceId"] = serde_json::json!(user_id(user));
    e
}

async fn sweep(d: &TestDeps) -> SweepOutcome {
    sweep::run(d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap()
}

/// The clock, and the time IAM and Secrets Manager stamp what they create.
fn at(d: &TestDeps, t: DateTime<Utc>) {
    d.clock.set(t);
    d.accounts.set_now(t);
}

/// The mails to `user`'s owner, in order.
fn owner_mails(d: &TestDeps, user: &str) -> Vec<crate::ports::mailer::Mail> {
    let to = format!("{user}@example.com");
    d.mailer
        .sent()
        .into_iter()
        .filter(|m| m.to[0].as_str() == to)
        .collect()
}

fn keys(d: &TestDeps, user: &str) -> Vec<(String, bool)> {
    d.accounts
        .keys_of(user)
        .into_iter()
        .map(|k| (k.id, k.active))
        .collect()
}

fn secret(d: &TestDeps) -> Stored {
    d.accounts
        .secrets()
        .secrets()
        .get(SECRET)
        .cloned()
        .expect("the user's secret")
}

/// The new key's id and its secret access key, as the store holds them.
fn stored_key(d: &TestDeps) -> (String, String) {
    let value: serde_json::Value =
        serde_json::from_str(&secret(d).values.last().unwrap().1).unwrap();
    let fields: Vec<&String> = value.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["AccessKeyId", "SecretAccessKey"]);
    (
        value["AccessKeyId"].as_str().unwrap().to_string(),
        value["SecretAccessKey"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn a_tagged_key_at_the_first_tier_gets_one_new_key_and_one_secret_however_many_runs() {
    let d = rotating(&[]);
    // 76 days old: 14 days before its deadline, the first (farthest) tier.
    add_machine(&d, "deployer", &[76], &[]);
    let old = key_id("deployer", 76);

    let first = sweep(&d).await;
    let r = first.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.blocked, r.failed), (1, 0, 0), "{r:?}");
    let (new_id, secret_access_key) = stored_key(&d);
    assert_eq!(
        keys(&d, "deployer"),
        vec![(old.clone(), true), (new_id.clone(), true)]
    );
    let stored = secret(&d);
    assert_eq!(stored.values.len(), 1);
    assert_eq!(stored.kms_key_id, None, "the store's default key");
    assert_eq!(
        stored.tags,
        vec![
            (
                "access-key-notifier:user".to_string(),
                "deployer".to_string()
            ),
            (
                "access-key-notifier:replaces".to_string(),
                crate::mask::mask_key_id(&old)
            ),
        ]
    );
    assert_eq!(
        r.keys[0].new_access_key_id.as_deref(),
        Some(crate::mask::mask_key_id(&new_id).as_str())
    );

    // The owner's mail: which key, the new key masked, the secret's name,
    // ARN and the command; never the secret.
    let mails = owner_mails(&d, "deployer");
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(
        mail.subject,
        "[Rotated] The IAM access key of deployer was replaced; the new key is in Secrets Manager"
    );
    let arn = format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{SECRET}-AbCdEf");
    for needle in [
        crate::mask::mask_key_id(&old),
        format!("by {}", crate::mask::mask_key_id(&new_id)),
        format!("secret: {SECRET} ({arn})"),
        format!(
            "aws secretsmanager get-secret-value --secret-id {arn} --region us-east-1 --query SecretString --output text"
        ),
        "the new key has not been used yet, and this key stays active until it is".into(),
        "deactivated on or after 2026-12-08 once the new key is in use".into(),
    ] {
        assert!(mail.text.contains(&needle), "{needle:?} in:\n{}", mail.text);
    }
    assert!(mail.html.contains(&arn), "{}", mail.html);
    assert!(
        mail.tags
            .contains(&("notice_stage".into(), "rotated".into()))
    );
    for part in [&mail.subject, &mail.text, &mail.html] {
        assert!(!part.contains(&secret_access_key));
    }

    // Later runs, a Config event and three overlapping sweeps replace
    // nothing more and mail nothing more.
    sweep(&d).await;
    let event = event("access-keys-rotated-2", "deployer");
    let answer = crate::route::answer(event, &d, &Invocation::local())
        .await
        .unwrap();
    let Answer::Event(handled) = answer else {
        panic!("an event")
    };
    assert_eq!(
        handled.outcome.rotation[0].rotation.code(),
        "awaiting_new_key_use"
    );
    let (a, b, c) = tokio::join!(sweep(&d), sweep(&d), sweep(&d));
    for o in [a, b, c] {
        assert_eq!(o.rotation.unwrap().rotated, 0);
    }
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 1);
    assert_eq!(secret(&d).values.len(), 1);
    assert_eq!(owner_mails(&d, "deployer").len(), 1);
}

#[tokio::test]
async fn overlapping_runs_on_a_fresh_key_make_one_new_key() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[80], &[]);
    let invocation = Invocation::local();
    let (a, b, c, e) = tokio::join!(
        sweep(&d),
        sweep(&d),
        sweep(&d),
        crate::route::answer(event("access-keys-rotated-1", "deployer"), &d, &invocation,)
    );
    let rotated: usize = [a, b, c]
        .iter()
        .map(|o| o.rotation.as_ref().unwrap().rotated)
        .sum();
    let by_event = match e {
        Ok(Answer::Event(h)) => h
            .outcome
            .rotation
            .iter()
            .filter(|k| matches!(k.rotation, KeyRotation::Rotated(_)))
            .count(),
        other => panic!("{other:?}"),
    };
    assert_eq!(rotated + by_event, 1);
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 1);
    assert_eq!(secret(&d).values.len(), 1);
    assert_eq!(d.accounts.keys_of("deployer").len(), 2);
}

#[tokio::test]
async fn untagged_exempt_and_two_key_users_get_no_new_key() {
    let d = rotating(&[]);
    crate::testkit::add(&d, "person", &[76]);
    add_machine(&d, "exempt-ci", &[76], &[("KeyRotationExempt", "true")]);
    add_machine(&d, "deployer", &[76, 10], &[]);
    d.accounts.add_user(
        &user_id("other-tag"),
        "other-tag",
        &[("Email", "o@example.com"), ("KeyRotation", "s3")],
        vec![key(&key_id("other-tag", 76), 76)],
    );
    let o = sweep(&d).await;
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 0);
    assert!(d.accounts.secrets().secrets().is_empty());
    let r = o.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.blocked), (0, 1), "{r:?}");
    assert_eq!(r.keys[0].user, "deployer");

    let blocked = d
        .mailer
        .sent()
        .into_iter()
        .find(|m| m.to[0].as_str() == "deployer@example.com")
        .unwrap();
    assert_eq!(
        blocked.subject,
        "[Action required] The IAM access key of deployer could not be rotated: the user holds two keys"
    );
    let other = crate::mask::mask_key_id(&key_id("deployer", 10));
    assert!(
        blocked.text.contains(&format!(
            "not replaced: the user holds two keys, this one and {other}"
        )),
        "{}",
        blocked.text
    );
    // The others got their usual notices.
    let subjects: Vec<String> = d.mailer.sent().iter().map(|m| m.subject.clone()).collect();
    assert!(
        subjects.contains(
            &"[Action required] Rotate the IAM access key of person within 14 days (deadline 2026-12-07)"
                .to_string()
        ),
        "{subjects:?}"
    );
    let report = o.report.unwrap();
    let listed: Vec<(&str, &str)> = report
        .rotation
        .iter()
        .map(|k| (k.user.as_str(), k.rotation.as_ref().unwrap().code()))
        .collect();
    assert_eq!(listed, vec![("deployer", "rotation_blocked")]);

    // Blocked again the next day, and told once.
    at(&d, now() + Duration::days(1));
    let again = sweep(&d).await;
    assert_eq!(again.rotation.unwrap().blocked, 1);
    assert_eq!(again.notices.sent, 0);
    // Once the owner deletes the key not in use, the next run replaces.
    d.accounts
        .set_keys("deployer", vec![key(&key_id("deployer", 76), 77)]);
    at(&d, now() + Duration::days(2));
    let after = sweep(&d).await;
    assert_eq!(after.rotation.unwrap().rotated, 1);
}

#[tokio::test]
async fn the_old_key_is_retired_only_once_the_new_key_is_used_and_the_date_has_come() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let old = key_id("deployer", 76);
    sweep(&d).await;
    let (new_id, _) = stored_key(&d);

    // Used early: still nothing before the date announced (the 8th).
    d.accounts.use_key(&new_id, now() + Duration::days(3));
    at(&d, now() + Duration::days(14));
    let before = sweep(&d).await;
    assert!(d.accounts.deactivated().is_empty(), "{before:?}");

    // Unused on the date: the old key stays, the reminder says so, and the
    // digest and chat list it.
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    sweep(&d).await;
    let (new_id, _) = stored_key(&d);
    at(&d, now() + Duration::days(15));
    let waiting = sweep(&d).await;
    assert!(d.accounts.deactivated().is_empty());
    assert_eq!(keys(&d, "deployer")[0], (old.clone(), true));
    assert_eq!(waiting.rotation.as_ref().unwrap().awaiting_new_key_use, 1);
    let reminder = owner_mails(&d, "deployer").pop().unwrap();
    assert!(
        reminder
            .subject
            .starts_with("[Overdue] The replaced IAM access key of deployer"),
        "{}",
        reminder.subject
    );
    assert!(
        reminder
            .text
            .contains("the new key has not been used yet, and this key stays active until it is"),
        "{}",
        reminder.text
    );
    let digest = waiting.digest.as_ref().unwrap().rendered.clone().unwrap();
    assert!(
        digest.text.contains(&format!(
            "deployer  {}  deadline 2026-12-07, 1 day overdue  [replaced 2026-11-23 by {}, which is not used yet: this key stays active] [awaiting_new_key_use]",
            crate::mask::mask_key_id(&old),
            crate::mask::mask_key_id(&new_id)
        )),
        "{}",
        digest.text
    );
    let chat = waiting.chat.as_ref().unwrap().messages[0].clone();
    assert!(chat.contains("*Awaiting the new key's use* 1"), "{chat}");
    assert!(chat.contains("awaiting new key use"), "{chat}");

    // Once the new key is used, the next run retires the old key.
    d.accounts.use_key(&new_id, now() + Duration::days(16));
    at(&d, now() + Duration::days(16));
    let retired = sweep(&d).await;
    assert_eq!(
        d.accounts.deactivated(),
        vec![("deployer".into(), old.clone())]
    );
    assert_eq!(
        keys(&d, "deployer"),
        vec![(old, false), (new_id.clone(), true)]
    );
    assert_eq!(retired.enforcement.as_ref().unwrap().deactivated, 1);
    let mail = owner_mails(&d, "deployer").pop().unwrap();
    assert!(
        mail.subject
            .ends_with("(replaced, and the new key is in use)"),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains(&format!(
            "replaced on 2026-11-23 by {}, which is in use",
            crate::mask::mask_key_id(&new_id)
        )),
        "{}",
        mail.text
    );
    assert!(mail.text.contains(SECRET), "{}", mail.text);
}

#[tokio::test]
async fn enforcement_still_judges_a_replaced_key_whose_new_key_is_unused() {
    let d = rotating(&[("ENFORCE", "true")]);
    add_machine(&d, "deployer", &[76], &[]);
    sweep(&d).await;
    at(&d, now() + Duration::days(15));
    sweep(&d).await;
    assert_eq!(
        d.accounts.deactivated(),
        vec![("deployer".into(), key_id("deployer", 76))],
        "ENFORCE=true deactivates an overdue key, replaced or not"
    );
}

#[tokio::test]
async fn a_secret_that_cannot_be_stored_leaves_the_new_key_inactive() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    d.accounts.secrets().script.fail_next(
        "PutSecretValue",
        Error::Aws {
            service: "SecretsManager",
            operation: "PutSecretValue",
            code: Some("InternalServiceError".into()),
            message: "try again".into(),
            retryable: true,
        },
    );
    let o = sweep(&d).await;
    let r = o.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.failed), (0, 1), "{r:?}");
    assert_eq!(r.errors[0].error_type, "Retryable.SecretsManagerError");
    let created = d.accounts.keys_of("deployer")[1].id.clone();
    assert_eq!(
        keys(&d, "deployer"),
        vec![(key_id("deployer", 76), true), (created.clone(), false)],
        "the new key nobody has is deactivated, never deleted"
    );
    assert!(secret(&d).values.is_empty());
    let chat = o.chat.as_ref().unwrap().messages.join("\n");
    assert!(chat.contains("RotationsFailed"), "{chat}");
    assert!(o.report.as_ref().unwrap().rotation[0].rotation == Some(KeyRotation::Failed));

    // The next run finds two keys: blocked until the owner deletes the
    // inactive one; nothing more is created.
    at(&d, now() + Duration::days(1));
    let next = sweep(&d).await;
    assert_eq!(next.rotation.unwrap().blocked, 1);
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 1);
}

/// The state a run that stopped right after CreateAccessKey leaves: the
/// rotation stage claimed (the claim since expired) and marked begun ten
/// minutes ago, and a second key created then.
async fn stopped_half_way(d: &TestDeps) -> String {
    let ledger = d.ledger.as_ref().unwrap();
    let old = key_id("deployer", 76);
    let began = now() - Duration::minutes(10);
    ledger.put(
        rotation_key(ACCOUNT, &old),
        Entry::Claimed {
            owner: "stopped".into(),
            until: now() - Duration::minutes(1),
        },
    );
    ledger
        .start_rotation(ACCOUNT, &old, "stopped", began)
        .await
        .unwrap();
    d.accounts.set_now(began + Duration::seconds(2));
    let created = d.accounts.create_access_key("deployer").await.unwrap();
    d.accounts.set_now(now());
    created.id
}

#[tokio::test]
async fn a_run_that_stopped_after_creating_a_key_whose_secret_was_not_stored_leaves_it_inactive() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let orphan = stopped_half_way(&d).await;
    let o = sweep(&d).await;
    let r = o.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.failed), (0, 1), "{r:?}");
    assert_eq!(r.errors[0].error_type, "Permanent.RotationIncomplete");
    assert_eq!(
        keys(&d, "deployer"),
        vec![(key_id("deployer", 76), true), (orphan, false)]
    );
    assert_eq!(
        d.accounts.script.count("CreateAccessKey"),
        1,
        "only the stopped run's"
    );
}

#[tokio::test]
async fn a_run_that_stopped_after_storing_the_secret_is_recorded_not_repeated() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let new_id = stopped_half_way(&d).await;
    let store = d.accounts.secrets();
    store.set_now(now() - Duration::minutes(9));
    let secret_ref = store.ensure(SECRET, None, &[]).await.unwrap();
    store
        .put(
            &secret_ref,
            &new_id,
            &"stored-before-the-stop".to_string().into(),
        )
        .await
        .unwrap();
    store.set_now(now());
    let o = sweep(&d).await;
    assert_eq!(o.rotation.as_ref().unwrap().rotated, 1);
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 1);
    let recorded = d
        .ledger
        .as_ref()
        .unwrap()
        .rotation(ACCOUNT, &key_id("deployer", 76), now())
        .await
        .unwrap();
    match recorded {
        crate::ports::ledger::RotationRecord::Replaced(r) => assert_eq!(r.new_key_id, new_id),
        other => panic!("{other:?}"),
    }
    assert!(
        owner_mails(&d, "deployer")[0]
            .subject
            .starts_with("[Rotated]")
    );
}

#[tokio::test]
async fn a_dry_run_and_a_scan_create_nothing_and_say_what_would_be_rotated() {
    let d = rotating(&[("ROTATE", "dry_run")]);
    add_machine(&d, "deployer", &[76], &[]);
    let o = sweep(&d).await;
    let r = o.rotation.as_ref().unwrap();
    assert_eq!(
        (r.mode, r.would_rotate, r.rotated),
        (crate::enforcement::EnforceMode::DryRun, 1, 0)
    );
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 0);
    assert!(d.accounts.secrets().secrets().is_empty());
    // The owner gets the usual notice: a dry run promises nothing.
    let mail = owner_mails(&d, "deployer").pop().unwrap();
    assert!(
        mail.subject.starts_with("[Action required] Rotate"),
        "{}",
        mail.subject
    );
    let digest = o.digest.unwrap().rendered.unwrap();
    assert!(
        digest.text.contains("[would be replaced (dry run)]"),
        "{}",
        digest.text
    );

    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let scan = sweep::run(
        &d,
        &Invocation::local(),
        Some(ACCOUNT.into()),
        Run::ReadOnly { full: false },
    )
    .await
    .unwrap();
    let table = crate::views::report::table(scan.report.as_ref().unwrap());
    assert!(
        table.lines().next().unwrap().contains("rotation"),
        "{table}"
    );
    assert!(table.contains("would_rotate"), "{table}");
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 0);
    assert!(d.accounts.secrets().secrets().is_empty());
    assert!(d.ledger.as_ref().unwrap().entries().is_empty());
}

#[tokio::test]
async fn no_secret_value_reaches_a_mail_an_outcome_a_chat_message_or_the_ledger() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let mut outcomes = vec![serde_json::to_string(&sweep(&d).await).unwrap()];
    let (new_id, secret_access_key) = stored_key(&d);
    d.accounts.use_key(&new_id, now() + Duration::days(2));
    for day in [15, 16] {
        at(&d, now() + Duration::days(day));
        let o = sweep(&d).await;
        outcomes.push(serde_json::to_string(&o).unwrap());
        outcomes.push(serde_json::to_string(o.report.as_ref().unwrap()).unwrap());
    }
    assert_eq!(d.accounts.deactivated().len(), 1, "the run went to the end");
    let mut seen = Vec::new();
    for m in d.mailer.sent() {
        seen.extend([m.subject, m.text, m.html]);
    }
    seen.extend(outcomes);
    seen.extend(d.chat.as_ref().unwrap().published());
    seen.push(format!("{:?}", d.ledger.as_ref().unwrap().entries()));
    assert!(seen.len() > 8);
    for text in &seen {
        assert!(!text.contains(&secret_access_key), "the secret in: {text}");
    }
    // What the store holds is the one copy.
    assert!(secret(&d).values[0].1.contains(&secret_access_key) && !secret_access_key.is_empty());
}

#[tokio::test]
async fn the_blocked_notice_is_told_once_and_the_rotated_notice_is_retold_until_it_goes_out() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    d.mailer.script.fail_next(
        "SendEmail",
        Error::Aws {
            service: "SES",
            operation: "SendEmail",
            code: Some("MessageRejected".into()),
            message: "rejected".into(),
            retryable: false,
        },
    );
    let first = sweep(&d).await;
    assert_eq!(first.rotation.as_ref().unwrap().rotated, 1);
    assert_eq!(first.users.failed, 1, "the mail failed");
    // The next run does not replace again, and tells the owner now.
    let second = sweep(&d).await;
    assert_eq!(second.rotation.as_ref().unwrap().awaiting_new_key_use, 1);
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 1);
    let mail = owner_mails(&d, "deployer").pop().unwrap();
    assert!(mail.subject.starts_with("[Rotated]"), "{}", mail.subject);
    let ledger = d.ledger.as_ref().unwrap();
    let rotated = NoticeKey {
        account: ACCOUNT.into(),
        access_key_id: key_id("deployer", 76),
        stage: Stage::Rotated,
    };
    assert!(ledger.is_sent(&rotated, now()).await.unwrap());
}

#[tokio::test]
async fn a_secret_scheduled_for_deletion_is_refused_before_any_key_is_created() {
    let d = rotating(&[]);
    add_machine(&d, "deployer", &[76], &[]);
    let store = d.accounts.secrets();
    store.ensure(SECRET, None, &[]).await.unwrap();
    store.schedule_deletion(SECRET);
    let o = sweep(&d).await;
    let r = o.rotation.as_ref().unwrap();
    assert_eq!((r.rotated, r.failed), (0, 0), "{r:?}");
    assert_eq!(r.errors[0].error_type, "Permanent.SecretsManagerError");
    assert!(
        r.errors[0].error.contains("restore-secret --secret-id"),
        "{}",
        r.errors[0].error
    );
    assert_eq!(d.accounts.script.count("CreateAccessKey"), 0);
    assert_eq!(d.accounts.keys_of("deployer").len(), 1);
    // The claim went back: once the secret is restored, the next run
    // rotates.
    assert!(
        d.ledger
            .as_ref()
            .unwrap()
            .entry(&rotation_key(ACCOUNT, &key_id("deployer", 76)))
            .is_none()
    );
}
