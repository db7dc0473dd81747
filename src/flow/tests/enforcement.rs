//! Enforcement through the sweep and the Config path, over the in-memory
//! adapters and a clock moved by hand: warn, wait, deactivate; which keys
//! are never touched; the cap; dry runs; a key that changes under the
//! decision. `tests/enforcement.rs` proves the wire.

use chrono::Duration;

use crate::enforcement::Warning;
use crate::flow::Invocation;
use crate::flow::sweep::{self, Run};
use crate::model::EnforcementState;
use crate::model::Stage;
use crate::outcome::sweep::SweepOutcome;
use crate::ports::exemptions::Exemptions;
use crate::ports::ledger::{NoticeKey, SentRecord};
use crate::ports::memory::exemptions::MemoryExemptionSource;
use crate::ports::memory::ledger::Entry;
use crate::route::Answer;
use crate::testkit::{TestDeps, add, created_of, deps_with, key, key_id, now, user_id};

const ACCOUNT: &str = "123456789012";

fn enforcing(vars: &[(&str, &str)]) -> TestDeps {
    let mut all = vec![
        ("ENFORCE", "true"),
        ("EXEMPT_TAG", "KeyRotationExempt"),
        ("LEDGER_TABLE", "akn-ledger"),
    ];
    all.extend_from_slice(vars);
    deps_with(true, &all)
}

async fn sweep(d: &TestDeps) -> SweepOutcome {
    sweep::run(d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap()
}

/// Records a warning about `key` sent To its owner `days_ago` (its 7-day
/// tier's notice), announcing the date it was sent on: no promise beyond
/// the settings'.
fn warned(d: &TestDeps, key: &str, days_ago: i64) {
    let sent_at = d.clock_now() - Duration::days(days_ago);
    let ledger = d.ledger.as_ref().unwrap();
    ledger.put_warning(
        ACCOUNT,
        key,
        Warning {
            key_created: created_of(key),
            first_sent: sent_at,
            announced: sent_at.date_naive(),
        },
        sent_at + Duration::days(400),
    );
    ledger.put(
        NoticeKey {
            account: ACCOUNT.into(),
            access_key_id: key.into(),
            stage: Stage::Tier(7),
        },
        Entry::Sent(SentRecord {
            user: "-".into(),
            source: "sweep".into(),
            message_id: None,
            sent_at,
            expires_at: sent_at + Duration::days(400),
        }),
    );
}

trait ClockNow {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc>;
}

impl ClockNow for TestDeps {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use crate::clock::Clock;
        self.clock.now()
    }
}

fn subjects(d: &TestDeps) -> Vec<String> {
    d.mailer.sent().iter().map(|m| m.subject.clone()).collect()
}

fn active(d: &TestDeps, user: &str) -> Vec<(String, bool)> {
    d.accounts
        .keys_of(user)
        .into_iter()
        .map(|k| (k.id, k.active))
        .collect()
}

#[tokio::test]
async fn a_key_without_a_recorded_warning_gets_a_final_warning_and_is_deactivated_days_later() {
    let d = enforcing(&[]);
    add(&d, "judy", &[120, 10]);
    let (old, new) = (key_id("judy", 120), key_id("judy", 10));

    let first = sweep(&d).await;
    let e = first.enforcement.as_ref().unwrap();
    assert_eq!((e.final_warnings, e.deactivated), (1, 0));
    assert_eq!(
        subjects(&d),
        vec![
            "[Final warning] [Overdue] The IAM access key of judy passed its rotation deadline (2026-10-24)"
        ]
    );
    let mail = &d.mailer.sent()[0];
    assert!(mail.text.contains("FINAL WARNING."), "{}", mail.text);
    assert!(
        mail.text.contains("deactivated on or after 2026-11-26"),
        "{}",
        mail.text
    );
    assert_eq!(
        active(&d, "judy"),
        vec![(old.clone(), true), (new.clone(), true)]
    );

    // The same day and two days later the warning is too young, and the
    // final warning stood in for the key's reminder: no other mail.
    let same_day = sweep(&d).await;
    assert_eq!(same_day.notices.sent, 0);
    d.clock.set(now() + Duration::days(2));
    let waiting = sweep(&d).await;
    assert_eq!(waiting.enforcement.as_ref().unwrap().deactivated, 0);
    assert_eq!(waiting.notices.sent, 0);
    assert_eq!(d.accounts.deactivated(), vec![]);

    d.clock.set(now() + Duration::days(3));
    let acted = sweep(&d).await;
    let e = acted.enforcement.as_ref().unwrap();
    assert_eq!(e.deactivated, 1, "{e:?}");
    assert_eq!(
        e.actions[0].warned.map(|d| d.to_string()).as_deref(),
        Some("2026-11-23")
    );
    assert_eq!(e.actions[0].mail, Some(crate::model::MailState::Sent));
    // Only the overdue key, by its id; the 10-day key is untouched.
    assert_eq!(d.accounts.deactivated(), vec![("judy".into(), old.clone())]);
    assert_eq!(active(&d, "judy"), vec![(old, false), (new, true)]);
    let last = d.mailer.sent().last().cloned().unwrap();
    assert!(
        last.subject
            .starts_with("[Deactivated] The IAM access key AKIA…"),
        "{}",
        last.subject
    );
    assert_eq!(last.to[0].as_str(), "judy@example.com");
    assert_eq!(last.cc[0].as_str(), "security@example.com");
    assert!(
        last.tags
            .contains(&("notice_stage".into(), "deactivated".into()))
    );
    // The deactivated key left the reminder the same sweep would send.
    assert_eq!(acted.skipped.get("deactivated"), Some(&1));
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 1);

    // The next sweep finds nothing to do.
    d.clock.set(now() + Duration::days(4));
    let after = sweep(&d).await;
    assert_eq!(after.enforcement.as_ref().unwrap().deactivated, 0);
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 1);
}

#[tokio::test]
async fn grace_days_and_an_old_warning_decide_the_day_and_the_notice_says_it() {
    let d = enforcing(&[("ENFORCE_GRACE_DAYS", "5")]);
    // Deadline 2026-11-20 (93 days old): enforced from the 26th.
    add(&d, "kim", &[93]);
    warned(&d, &key_id("kim", 93), 10);
    let o = sweep(&d).await;
    assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 0);
    let mail = d.mailer.sent().pop().unwrap();
    assert!(
        mail.text.contains("deactivated on or after 2026-11-26"),
        "{}",
        mail.text
    );
    assert!(!mail.subject.contains("Final warning"), "{}", mail.subject);
    d.clock.set(now() + Duration::days(3));
    assert_eq!(sweep(&d).await.enforcement.unwrap().deactivated, 1);
}

#[tokio::test]
async fn exempt_users_by_tag_date_or_list_are_neither_mailed_nor_deactivated() {
    let mut d = enforcing(&[("EXEMPT_USERS_PARAMETER", "/akn/exempt")]);
    d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new(
        "listed-user, arn:aws:iam::123456789012:user/ops/arn-user",
    )));
    let old = |name: &str, tag: Option<&str>| {
        let email = format!("{name}@example.com");
        let mut tags = vec![("Email", email.as_str())];
        if let Some(t) = tag {
            tags.push(("KeyRotationExempt", t));
        }
        d.accounts.add_user(
            &user_id(name),
            name,
            &tags,
            vec![key(&key_id(name, 200), 200)],
        );
        warned(&d, &key_id(name, 200), 30);
    };
    old("until-next-year", Some("2027-01-31"));
    old("expired", Some("2026-11-22"));
    old("unreadable", Some("soon"));
    old("listed-user", None);
    old("arn-user", None);

    let o = sweep(&d).await;
    let deactivated: Vec<String> = d
        .accounts
        .deactivated()
        .into_iter()
        .map(|(u, _)| u)
        .collect();
    assert_eq!(deactivated, vec!["expired", "unreadable"]);
    assert_eq!(o.skipped.get("exempt"), Some(&3));
    let to: Vec<String> = d
        .mailer
        .sent()
        .iter()
        .map(|m| m.to[0].as_str().to_string())
        .collect();
    assert_eq!(to, vec!["expired@example.com", "unreadable@example.com"]);
    let report = o.report.unwrap();
    let expiring: Vec<&str> = report
        .exemptions_expiring
        .iter()
        .map(|k| k.user.as_str())
        .collect();
    assert!(
        expiring.is_empty(),
        "2027-01-31 is more than 14 days away: {expiring:?}"
    );
    assert_eq!(report.deactivated.len(), 2);
}

#[tokio::test]
async fn an_unreadable_exemption_list_stops_enforcement_not_notices() {
    let mut d = enforcing(&[("EXEMPT_USERS_PARAMETER", "/akn/exempt")]);
    d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new("someone")));
    d.exemptions.source().unwrap().script.fail_next(
        "GetParameter",
        crate::error::Error::Aws {
            service: "SSM",
            operation: "GetParameter",
            code: Some("AccessDeniedException".into()),
            message: "not authorized".into(),
            retryable: false,
        },
    );
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    let o = sweep(&d).await;
    let e = o.enforcement.unwrap();
    assert_eq!((e.deactivated, e.failed), (0, 1));
    assert_eq!(e.errors[0].error_type, "Retryable.ExemptionsUnavailable");
    assert_eq!(o.notices.sent, 1, "the reminder still goes out");
    assert!(d.accounts.deactivated().is_empty());
}

#[tokio::test]
async fn an_exemption_list_with_an_entry_that_is_not_a_user_stops_enforcement_not_notices() {
    // A String parameter written one name per line: no entry is a user name,
    // so nobody's exemption is known, judy's included.
    for value in ["judy\nbob", "bob;judy", "bob judy", "bob,judy,not a user"] {
        let mut d = enforcing(&[("EXEMPT_USERS_PARAMETER", "/akn/exempt")]);
        d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new(value)));
        add(&d, "judy", &[120]);
        warned(&d, &key_id("judy", 120), 30);
        let o = sweep(&d).await;
        let e = o.enforcement.unwrap();
        assert_eq!((e.deactivated, e.failed), (0, 1), "{value:?}");
        assert_eq!(e.errors[0].error_type, "Retryable.ExemptionsUnavailable");
        let position = if value.contains(',') { 3 } else { 1 };
        assert!(
            e.errors[0].error.contains(&format!(
                "parameter /memory/exempt-users: entry {position} is not an IAM user name or user ARN"
            )),
            "{value:?}: {}",
            e.errors[0].error
        );
        assert_eq!(o.notices.sent, 1, "{value:?}: the reminder still goes out");
        assert!(d.accounts.deactivated().is_empty(), "{value:?}");
    }
}

#[tokio::test]
async fn past_the_cap_keys_are_held_and_nothing_more_is_deactivated() {
    let d = enforcing(&[("ENFORCE_MAX_PER_DAY", "2")]);
    for name in ["ann", "ben", "cat", "dan"] {
        add(&d, name, &[150]);
        warned(&d, &key_id(name, 150), 40);
    }
    let o = sweep(&d).await;
    let e = o.enforcement.as_ref().unwrap();
    assert_eq!((e.deactivated, e.held_by_cap), (2, 2), "{e:?}");
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 2);
    assert_eq!(o.report.as_ref().unwrap().next_run.len(), 2);
    // Another run the same day deactivates nothing more: the cap is the
    // day's, across invocations.
    let again = sweep(&d).await;
    let e = again.enforcement.unwrap();
    assert_eq!((e.deactivated, e.held_by_cap), (0, 2), "{e:?}");
    // The next day's run takes the rest.
    d.clock.advance(Duration::days(1));
    let next_day = sweep(&d).await;
    assert_eq!(next_day.enforcement.unwrap().deactivated, 2);
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 4);
}

/// The `deactivated` stage of judy's 120-day key, as an overlapping run
/// left it in the ledger.
fn deactivation_by_another_run(d: &TestDeps, entry: Entry) {
    d.ledger.as_ref().unwrap().put(
        NoticeKey {
            account: ACCOUNT.into(),
            access_key_id: key_id("judy", 120),
            stage: Stage::Deactivated,
        },
        entry,
    );
}

#[tokio::test]
async fn a_run_overlapping_one_that_is_deactivating_the_key_sends_nothing_about_it() {
    // Given judy's overdue, warned key, which another invocation is
    // deactivating right now (its claim is live).
    let d = enforcing(&[]);
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    deactivation_by_another_run(
        &d,
        Entry::Claimed {
            owner: "the-other-run".into(),
            until: d.clock_now() + Duration::minutes(5),
        },
    );
    let o = sweep(&d).await;
    // Then this run leaves the key to it: no reminder ("deactivated on or
    // after today"), no deactivation of its own, no error.
    let e = o.enforcement.unwrap();
    assert_eq!((e.deactivated, e.reactivated, e.failed), (0, 0, 0), "{e:?}");
    assert!(subjects(&d).is_empty(), "{:?}", subjects(&d));
    assert!(d.accounts.deactivated().is_empty());
}

#[tokio::test]
async fn a_run_that_read_the_key_before_an_overlapping_run_deactivated_it_does_not_call_it_reactivated()
 {
    // Given judy's overdue, warned key, listed active by this run, and
    // deactivated (and recorded) by an overlapping run right after.
    let d = enforcing(&[]);
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    let mut inactive = key(&key_id("judy", 120), 120);
    inactive.0.active = false;
    d.accounts.change_keys_after_listing("judy", vec![inactive]);
    let at = d.clock_now();
    deactivation_by_another_run(
        &d,
        Entry::Sent(SentRecord {
            user: "judy".into(),
            source: "sweep".into(),
            message_id: Some("the-other-run's mail".into()),
            sent_at: at,
            expires_at: at + Duration::days(400),
        }),
    );
    let o = sweep(&d).await;
    // Then it is not reported reactivated, and no reminder follows the
    // other run's "deactivated" mail.
    let e = o.enforcement.unwrap();
    assert_eq!((e.deactivated, e.reactivated), (0, 0), "{e:?}");
    assert_eq!(e.left_alone, 1);
    assert!(subjects(&d).is_empty(), "{:?}", subjects(&d));
}

#[tokio::test]
async fn concurrent_sweeps_share_one_daily_cap() {
    // Given four warned, overdue users under a cap of one a day.
    let d = enforcing(&[("ENFORCE_MAX_PER_DAY", "1")]);
    for name in ["ann", "ben", "cat", "dan"] {
        add(&d, name, &[150]);
        warned(&d, &key_id(name, 150), 40);
    }
    // When two sweeps (a Scheduler retry and a hand-started one, say) run
    // at once, with a Config event for one of the users beside them.
    let mut event = crate::fixtures::event("noncompliant-7-days.json");
    event["detail"]["resourceId"] = user_id("dan").into();
    let invocation = Invocation::local();
    let (a, b, c) = tokio::join!(
        sweep(&d),
        sweep(&d),
        crate::route::answer(event, &d, &invocation)
    );
    c.unwrap();
    // Then one key is deactivated between them, not one each.
    let deactivated = |o: &SweepOutcome| o.enforcement.as_ref().unwrap().deactivated;
    assert!(deactivated(&a) + deactivated(&b) <= 1);
    assert_eq!(
        d.accounts.deactivated().len(),
        1,
        "{:?}",
        d.accounts.deactivated()
    );
}

#[tokio::test]
async fn dry_runs_change_nothing_and_say_what_would_have_been_deactivated() {
    for vars in [vec![("DRY_RUN", "true")], vec![("ENFORCE", "dry_run")]] {
        let d = enforcing(&vars);
        add(&d, "judy", &[120]);
        warned(&d, &key_id("judy", 120), 30);
        let o = sweep(&d).await;
        let e = o.enforcement.as_ref().unwrap();
        assert_eq!((e.dry_run, e.deactivated), (1, 0), "{vars:?}");
        assert_eq!(e.actions[0].mail, Some(crate::model::MailState::DryRun));
        assert!(d.accounts.deactivated().is_empty());
        assert_eq!(d.accounts.script.count("UpdateAccessKey"), 0);
        let ledger = d.ledger.as_ref().unwrap();
        assert!(
            ledger
                .entries()
                .keys()
                .all(|k| k.stage != Stage::Deactivated),
            "{vars:?}"
        );
        assert_eq!(
            o.report.unwrap().deactivated[0].enforcement,
            Some(EnforcementState::Acted(crate::model::Action::DryRun))
        );
    }
}

#[tokio::test]
async fn a_key_rotated_between_the_decision_and_the_action_is_left_alone() {
    let d = enforcing(&[]);
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    // Right after the sweep's listing, judy rotates: a new key, the old one
    // deleted.
    d.accounts
        .change_keys_after_listing("judy", vec![key(&key_id("judy", 0), 0)]);
    let o = sweep(&d).await;
    let e = o.enforcement.unwrap();
    assert_eq!((e.left_alone, e.deactivated), (1, 0));
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 0);
    // The place under the cap was given back, and the claim released.
    let ledger = d.ledger.as_ref().unwrap();
    assert!(
        ledger
            .entries()
            .keys()
            .all(|k| k.stage != Stage::Deactivated)
    );
}

#[tokio::test]
async fn a_key_reactivated_after_its_deactivation_is_not_deactivated_again() {
    let d = enforcing(&[("DIGEST_RECIPIENTS", "lead@example.com")]);
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    assert_eq!(sweep(&d).await.enforcement.unwrap().deactivated, 1);
    // Someone allowed to reactivates it.
    d.accounts
        .set_keys("judy", vec![key(&key_id("judy", 120), 120)]);
    d.clock.set(now() + Duration::days(1));
    let o = sweep(&d).await;
    let e = o.enforcement.as_ref().unwrap();
    assert_eq!((e.reactivated, e.deactivated), (1, 0));
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 1);
    // The digest gives it its own section, not only an overdue row.
    let text = o.digest.unwrap().rendered.unwrap().text;
    let section = "Reactivated after their deactivation (listed until rotated; never deactivated again)\n  - judy  AKIA…Y120";
    assert!(text.contains(section), "{text}");
}

/// alice, with a key 120 days old warned about 30 days ago, and her 7-day
/// rule's event, answered.
async fn alice_overdue_and_warned_event(d: &TestDeps) -> Box<crate::flow::config_event::Handled> {
    d.accounts.add_user(
        "AIDAMALLORY000000001",
        "alice",
        &[("Email", "alice@example.com")],
        vec![key("AKIAMALLORY000000120", 120)],
    );
    warned(d, "AKIAMALLORY000000120", 30);
    let Answer::Event(h) = config_event_for(d, "AIDAMALLORY000000001").await.unwrap() else {
        panic!("an event's answer");
    };
    h
}

/// The 7-day rule's fixture event for the user `user_id`, answered.
async fn config_event_for(d: &TestDeps, user_id: &str) -> Result<Answer, crate::error::Error> {
    let mut event = crate::fixtures::event("noncompliant-7-days.json");
    event["detail"]["resourceId"] = user_id.into();
    crate::route::answer(event, d, &Invocation::local()).await
}

#[tokio::test]
async fn a_config_event_for_an_overdue_warned_key_deactivates_it_and_says_so_in_its_outcome() {
    let d = enforcing(&[]);
    let h = alice_overdue_and_warned_event(&d).await;
    assert_eq!(h.outcome.reason.map(|r| r.code()), Some("deactivated"));
    assert_eq!(h.outcome.enforcement.len(), 1);
    assert_eq!(h.outcome.enforcement[0].access_key_id, "AKIA…0120");
    assert_eq!(d.accounts.deactivated().len(), 1);
}

/// alice with a warned overdue key and a second key due in 5 days, and
/// SES failing on the second mail (her notice, after the deactivated mail).
fn alice_deactivated_then_ses_fails() -> TestDeps {
    let d = enforcing(&[]);
    d.accounts.add_user(
        "AIDAMALLORY000000001",
        "alice",
        &[("Email", "alice@example.com")],
        vec![
            key("AKIAMALLORY000000120", 120),
            key("AKIAMALLORY000000085", 85),
        ],
    );
    warned(&d, "AKIAMALLORY000000120", 30);
    d.mailer.script.fail_after(
        "SendEmail",
        1,
        crate::error::Error::Aws {
            service: "SES",
            operation: "SendEmail",
            code: Some("Throttling".into()),
            message: "slow down".into(),
            retryable: true,
        },
    );
    d
}

#[tokio::test]
async fn a_deactivation_stays_in_the_outcome_and_its_metric_when_the_notice_after_it_fails() {
    // When alice's event is answered.
    let d = alice_deactivated_then_ses_fails();
    let Answer::Event(h) = config_event_for(&d, "AIDAMALLORY000000001").await.unwrap() else {
        panic!("an event's answer");
    };
    // Then the key is deactivated, the outcome says so beside the notice's
    // error, and the metric counts it.
    assert_eq!(d.accounts.deactivated().len(), 1);
    assert_eq!(h.outcome.status, crate::outcome::Status::Failed);
    assert_eq!(h.outcome.enforcement.len(), 1);
    assert_eq!(h.outcome.enforcement[0].access_key_id, "AKIA…0120");
    let e = h.error.as_ref().expect("the notice's error");
    assert_eq!(e.error_type(), "Retryable.SesError");
    let json = serde_json::to_value(&h.outcome).unwrap();
    assert_eq!(json["status"], "failed");
    assert_eq!(json["error"]["errorType"], "Retryable.SesError");
    assert_eq!(json["enforcement"][0]["action"], "deactivated");
    let metrics = serde_json::to_string(&crate::metrics::event(&h.outcome)).unwrap();
    assert!(metrics.contains(r#""KeysDeactivated":1"#), "{metrics}");

    // And through the Lambda handler, the invocation still fails with the
    // notice's error, so the platform retries the notice.
    let d = alice_deactivated_then_ses_fails();
    let mut event = crate::fixtures::event("noncompliant-7-days.json");
    event["detail"]["resourceId"] = "AIDAMALLORY000000001".into();
    let deps = Ok(d);
    let answered = crate::app::respond(&deps, event, &Invocation::local()).await;
    assert_eq!(answered.unwrap_err().error_type, "Retryable.SesError");
    assert_eq!(deps.as_ref().unwrap().accounts.deactivated().len(), 1);
}

#[tokio::test]
async fn a_name_handed_to_another_user_while_it_is_read_never_costs_that_user_a_key() {
    // Given alice (AIDAMALLORY…) and, between GetUser and ListAccessKeys, a
    // rename: alice becomes alice-old and a newcomer, exempt by tag, takes
    // the name with an overdue key that the ledger records as warned.
    let d = enforcing(&[]);
    d.accounts.add_user(
        "AIDAMALLORY000000001",
        "alice",
        &[("Email", "alice@example.com")],
        vec![key("AKIAMALLORY000000010", 10)],
    );
    d.accounts.hand_name_over_after_get(
        "alice",
        "alice-old",
        "AIDANEWCOMER00000001",
        &[("Email", "new@example.com"), ("KeyRotationExempt", "true")],
        vec![key("AKIANEWCOMER00000120", 120)],
    );
    warned(&d, "AKIANEWCOMER00000120", 30);
    let answered = config_event_for(&d, "AIDAMALLORY000000001").await;
    // Then the newcomer's key is left alone: the listing is shown to
    // belong to another user before anything is changed.
    assert!(d.accounts.deactivated().is_empty(), "{answered:?}");
    assert_eq!(d.accounts.script.count("UpdateAccessKey"), 0);
    let Ok(Answer::Event(h)) = answered else {
        panic!("an event's answer: {answered:?}");
    };
    assert!(
        h.outcome
            .enforcement
            .iter()
            .all(|a| a.action == crate::model::Action::LeftAlone),
        "{:?}",
        h.outcome.enforcement
    );
}

#[tokio::test]
async fn the_digest_lists_deactivations_the_next_run_and_exemptions_ending_soon() {
    let d = enforcing(&[
        ("DIGEST_RECIPIENTS", "lead@example.com"),
        ("ENFORCE_MAX_PER_DAY", "1"),
    ]);
    for name in ["ann", "ben"] {
        add(&d, name, &[150]);
        warned(&d, &key_id(name, 150), 40);
    }
    d.accounts.add_user(
        &user_id("eve"),
        "eve",
        &[
            ("Email", "eve@example.com"),
            ("KeyRotationExempt", "2026-11-30"),
        ],
        vec![key(&key_id("eve", 150), 150)],
    );
    let o = sweep(&d).await;
    let text = o.digest.unwrap().rendered.unwrap().text;
    for needle in [
        "Deactivated by this sweep\n  - ann",
        "To be deactivated by the next run\n  - ben",
        "[held_by_cap]",
        "Exemptions ending within 14 days\n  - eve  exempt through 2026-11-30",
    ] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
}

#[tokio::test]
async fn a_key_is_never_deactivated_before_the_date_its_owner_was_given() {
    // 85 days old under MAX_KEY_AGE_DAYS=90: the 7-day notice says
    // "deactivated on or after 2026-11-29" (the deadline is the 28th).
    let mut d = enforcing(&[]);
    add(&d, "kai", &[85]);
    sweep(&d).await;
    let told = d.mailer.sent().pop().unwrap();
    assert!(
        told.text.contains("deactivated on or after 2026-11-29"),
        "{}",
        told.text
    );
    let id = key_id("kai", 85);
    let kept = d.ledger.as_ref().unwrap().warning_of(ACCOUNT, &id).unwrap();
    assert_eq!(kept.announced.to_string(), "2026-11-29");

    // The maximum age is lowered to 60: by the settings the key is 25 days
    // overdue and its warning three days old on the 26th. The date given
    // stands: nothing happens before the 29th, and the reminders repeat it.
    d.config.policy.max_key_age_days = 60;
    for day in [3, 4, 5] {
        d.clock.set(now() + Duration::days(day));
        let o = sweep(&d).await;
        assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 0, "day {day}");
    }
    assert!(d.accounts.deactivated().is_empty());
    for mail in &d.mailer.sent()[1..] {
        assert!(
            mail.text.contains("deactivated on or after 2026-11-29"),
            "{}",
            mail.text
        );
    }
    d.clock.set(now() + Duration::days(6));
    let o = sweep(&d).await;
    assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 1);
    assert_eq!(d.accounts.deactivated(), vec![("kai".into(), id)]);
}

#[tokio::test]
async fn a_later_date_from_a_raised_grace_applies_and_the_next_notice_says_so() {
    let mut d = enforcing(&[]);
    add(&d, "kai", &[85]);
    sweep(&d).await;
    d.config.enforcement.grace_days = 10;
    // The deadline's day: the overdue notice is due the day after.
    d.clock.set(now() + Duration::days(6));
    let o = sweep(&d).await;
    assert_eq!(o.enforcement.as_ref().unwrap().deactivated, 0);
    let mail = d.mailer.sent().pop().unwrap();
    assert!(
        mail.text.contains("deactivated on or after 2026-12-09"),
        "{}",
        mail.text
    );
    let kept = d
        .ledger
        .as_ref()
        .unwrap()
        .warning_of(ACCOUNT, &key_id("kai", 85))
        .unwrap();
    assert_eq!(kept.announced.to_string(), "2026-12-09");
}

#[tokio::test]
async fn a_copy_is_no_warning_and_a_user_nobody_can_warn_is_held() {
    // No owner tag, no fallback list: every notice goes to CC alone.
    let d = enforcing(&[("DIGEST_RECIPIENTS", "lead@example.com")]);
    d.accounts.add_user(
        &user_id("nobody"),
        "nobody",
        &[],
        vec![key(&key_id("nobody", 120), 120)],
    );
    for day in [0, 3, 10, 40] {
        d.clock.set(now() + Duration::days(day));
        let o = sweep(&d).await;
        let e = o.enforcement.as_ref().unwrap();
        assert_eq!(
            (e.deactivated, e.final_warnings, e.no_one_to_warn),
            (0, 0, 1),
            "day {day}: {e:?}"
        );
        let report = o.report.unwrap();
        assert_eq!(
            report.overdue[0].enforcement,
            Some(EnforcementState::Acted(crate::model::Action::NoOneToWarn))
        );
        let text = o.digest.unwrap().rendered.unwrap().text;
        assert!(
            text.contains("Held: no one to warn (no owner address and no fallback list; a copy is no warning)\n  - nobody  AKIA…Y120"),
            "{text}"
        );
    }
    assert!(d.accounts.deactivated().is_empty());
    let mails: Vec<_> = d
        .mailer
        .sent()
        .into_iter()
        .filter(|m| !m.to.iter().any(|a| a.as_str() == "lead@example.com"))
        .collect();
    assert!(!mails.is_empty());
    for mail in &mails {
        assert!(mail.to.is_empty(), "{:?}", mail.to);
        assert!(!mail.subject.contains("Final warning"), "{}", mail.subject);
        assert!(
            !mail.text.contains("deactivated on or after"),
            "{}",
            mail.text
        );
    }
    let ledger = d.ledger.as_ref().unwrap();
    assert_eq!(ledger.warning_of(ACCOUNT, &key_id("nobody", 120)), None);
}

#[tokio::test]
async fn the_fallback_list_is_the_owner_by_configuration_and_its_warning_counts() {
    let d = enforcing(&[("FALLBACK_RECIPIENTS", "platform@example.com")]);
    d.accounts.add_user(
        &user_id("nobody"),
        "nobody",
        &[],
        vec![key(&key_id("nobody", 120), 120)],
    );
    let first = sweep(&d).await;
    assert_eq!(first.enforcement.as_ref().unwrap().final_warnings, 1);
    let mail = d.mailer.sent().pop().unwrap();
    assert_eq!(mail.to[0].as_str(), "platform@example.com");
    assert!(
        mail.subject.starts_with("[Final warning]"),
        "{}",
        mail.subject
    );
    d.clock.set(now() + Duration::days(3));
    assert_eq!(sweep(&d).await.enforcement.unwrap().deactivated, 1);
}

#[tokio::test]
async fn switching_enforcement_on_after_weeks_of_plain_notices_sends_final_warnings_first() {
    let mut d = enforcing(&[("ENFORCE", "false")]);
    add(&d, "olga", &[80]);
    // Five weeks without enforcement: the tier notices, overdue, reminders.
    for day in 0..35 {
        d.clock.set(now() + Duration::days(day));
        sweep(&d).await;
    }
    let plain = d.mailer.sent();
    assert!(plain.len() >= 3, "{}", plain.len());
    assert!(
        plain
            .iter()
            .all(|m| !m.text.contains("deactivated on or after"))
    );

    d.config.enforcement.mode = crate::enforcement::EnforceMode::On;
    let switched = sweep(&d).await;
    let e = switched.enforcement.as_ref().unwrap();
    assert_eq!((e.deactivated, e.final_warnings), (0, 1), "{e:?}");
    let mail = d.mailer.sent().pop().unwrap();
    assert!(
        mail.subject.starts_with("[Final warning]"),
        "{}",
        mail.subject
    );
    // 2026-11-23 + 34 days = 2026-12-27; three days' warning: the 30th.
    assert!(
        mail.text.contains("deactivated on or after 2026-12-30"),
        "{}",
        mail.text
    );
    d.clock.set(now() + Duration::days(36));
    assert_eq!(sweep(&d).await.enforcement.unwrap().deactivated, 0);
    d.clock.set(now() + Duration::days(37));
    assert_eq!(sweep(&d).await.enforcement.unwrap().deactivated, 1);
}

const CHAT: &str = "arn:aws:sns:us-east-1:123456789012:access-key-notifier-chat";

/// The chat messages published so far, parsed.
fn chat(d: &TestDeps) -> Vec<serde_json::Value> {
    d.chat
        .as_ref()
        .expect("chat is on")
        .published()
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect()
}

fn event_types(messages: &[serde_json::Value]) -> Vec<String> {
    messages
        .iter()
        .map(|m| m["metadata"]["eventType"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_config_events_deactivation_is_told_to_the_chat_channel_at_once() {
    let d = enforcing(&[("CHAT_TOPIC_ARN", CHAT)]);
    let h = alice_overdue_and_warned_event(&d).await;
    let messages = chat(&d);
    assert_eq!(event_types(&messages), ["AccessKeysDeactivated"]);
    let description = messages[0]["content"]["description"].as_str().unwrap();
    assert_eq!(description, "• `alice` `AKIA…0120` 30 days overdue");
    assert_eq!(
        messages[0]["metadata"]["threadId"],
        "access-key-notifier-123456789012-2026-11-23"
    );
    assert_eq!(h.outcome.chat.as_ref().map(|c| c.published), Some(1));
}

#[tokio::test]
async fn keys_held_by_the_cap_and_a_stopped_enforcement_are_each_told_at_once() {
    let d = enforcing(&[("ENFORCE_MAX_PER_DAY", "1"), ("CHAT_TOPIC_ARN", CHAT)]);
    for name in ["ann", "ben"] {
        add(&d, name, &[150]);
        warned(&d, &key_id(name, 150), 40);
    }
    sweep(&d).await;
    let messages = chat(&d);
    assert_eq!(
        event_types(&messages),
        [
            "AccessKeySweepSummary",
            "AccessKeysDeactivated",
            "AccessKeysHeldByCap"
        ]
    );
    // One of the two was deactivated, the other held (which one is the
    // order the concurrent reads finish in).
    let named = |m: &serde_json::Value, name: &str| {
        m["content"]["description"]
            .as_str()
            .unwrap()
            .contains(&format!("`{name}`"))
    };
    for name in ["ann", "ben"] {
        assert!(
            named(&messages[1], name) != named(&messages[2], name),
            "{messages:?}"
        );
    }

    let mut d = enforcing(&[
        ("EXEMPT_USERS_PARAMETER", "/akn/exempt"),
        ("CHAT_TOPIC_ARN", CHAT),
    ]);
    d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new("not a user name")));
    add(&d, "judy", &[120]);
    warned(&d, &key_id("judy", 120), 30);
    sweep(&d).await;
    assert_eq!(
        event_types(&chat(&d)),
        ["AccessKeySweepSummary", "EnforcementStopped"]
    );
}

#[tokio::test]
async fn a_user_listed_by_its_user_id_stays_exempt_when_renamed_and_a_name_entry_does_not() {
    let mut d = enforcing(&[("EXEMPT_USERS_PARAMETER", "/akn/exempt")]);
    d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new(&format!(
        "{}, legacy-etl",
        user_id("deploybot")
    ))));
    add(&d, "deploybot", &[120]);
    add(&d, "legacy-etl", &[120]);
    d.accounts.rename("deploybot", "deploybot-v2");
    d.accounts.rename("legacy-etl", "etl-v2");
    let out = sweep(&d).await;
    assert_eq!(out.skipped.get("exempt"), Some(&1), "{:?}", out.skipped);
    let to: Vec<String> = d.mailer.sent().iter().map(|m| m.subject.clone()).collect();
    assert_eq!(to.len(), 1, "{to:?}");
    assert!(to[0].contains("etl-v2"), "{to:?}");
    assert!(
        d.accounts
            .deactivated()
            .iter()
            .all(|(u, _)| u != "deploybot-v2")
    );
}
