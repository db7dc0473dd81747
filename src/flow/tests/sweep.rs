//! The sweep over the in-memory adapters and a fixed clock: what it mails
//! after Config events, each stage once, the reminder cadence, failures and
//! the time budget, in milliseconds. `tests/sweep.rs` proves the wire.

use chrono::Duration;
use serde_json::json;

use crate::error::Error;
use crate::flow::Invocation;
use crate::flow::progress::{Step, Watch, Watcher};
use crate::flow::sweep::{RETRY_ROUNDS, Run, run};
use crate::model::SkipReason;
use crate::outcome::MailStatus;
use crate::outcome::Status;
use crate::outcome::report::{NoticeCode, OwnerTag, ReportKey};
use crate::outcome::sweep::{RunKind, Source, SweepOutcome};
use crate::ports::exemptions::Exemptions;
use crate::ports::memory::exemptions::MemoryExemptionSource;
use crate::testkit::{TestDeps, add, deps, deps_with, key, now, user_id};

const ACCOUNT: &str = "123456789012";

async fn sweep(d: &TestDeps) -> SweepOutcome {
    run(d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap()
}

/// The users the mails went to, sorted: the sweep mails its users
/// concurrently, so the order they are sent in is not the sweep's.
fn mailed(d: &TestDeps) -> Vec<String> {
    let mut to: Vec<String> = d
        .mailer
        .sent()
        .iter()
        .map(|m| {
            m.to.first()
                .map(|a| a.as_str().to_string())
                .unwrap_or_default()
        })
        .collect();
    to.sort();
    to
}

/// The mail sent to `address`.
fn mail_to(d: &TestDeps, address: &str) -> crate::ports::mailer::Mail {
    d.mailer
        .sent()
        .into_iter()
        .find(|m| m.to.iter().any(|a| a.as_str() == address))
        .unwrap_or_else(|| panic!("no mail to {address}"))
}

fn assert_all_counted(o: &SweepOutcome) {
    let u = &o.users;
    assert_eq!(
        u.checked + u.notified + u.skipped + u.failed + u.not_reached,
        u.listed,
        "every listed user ends as exactly one: {u:?}"
    );
    assert_eq!(
        o.skipped.values().sum::<usize>(),
        u.skipped,
        "{:?}",
        o.skipped
    );
}

#[tokio::test]
async fn a_sweep_after_config_events_mails_only_what_they_missed_and_a_second_sweep_nothing() {
    // Given alice (76 days) notified by her Config event, and grace (79
    // days) and ivan (86 and 77 days) whose events never came, and a
    // 20-day-old key nobody needs to hear about.
    let d = deps();
    for (name, ages) in [
        ("alice", &[76][..]),
        ("grace", &[79]),
        ("ivan", &[86, 77]),
        ("young", &[20]),
    ] {
        add(&d, name, ages);
    }
    let mut event = crate::fixtures::event("noncompliant-14-days.json");
    event["detail"]["resourceId"] = json!(user_id("alice"));
    let handled = crate::flow::config_event::handle(event, &d, &Invocation::local())
        .await
        .unwrap();
    assert_eq!(handled.outcome.status, Status::Sent);

    // When the sweep runs.
    let o = sweep(&d).await;

    // Then grace and ivan are mailed; alice was already told; young is checked.
    assert_eq!(
        mailed(&d),
        ["alice@example.com", "grace@example.com", "ivan@example.com"]
    );
    let ivan = mail_to(&d, "ivan@example.com");
    assert!(ivan.text.contains("daily check"), "{}", ivan.text);
    assert_eq!(o.users.listed, 4);
    assert_eq!(o.users.notified, 2);
    assert_eq!(o.users.checked, 1);
    assert_eq!(o.skipped, [("already_notified", 1)].into());
    assert_eq!(o.keys, 5);
    assert_all_counted(&o);
    // GetUser only for the three users with a due key.
    assert_eq!(d.accounts.script.count("GetUser"), 1 + 3);

    // And a second sweep the same day mails nothing.
    let again = sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 3);
    assert_eq!(again.skipped, [("already_notified", 3)].into());
    assert_eq!(again.notices.sent, 0);
}

#[tokio::test]
async fn an_overdue_key_is_reminded_every_n_days_until_rotated() {
    // Given dave's key reaches its deadline's date today (90 days old).
    let d = deps();
    add(&d, "dave", &[90]);
    let mut stages = Vec::new();
    for day in 0..=16 {
        d.clock.set(now() + Duration::days(day));
        let o = sweep(&d).await;
        if o.notices.sent == 1 {
            let subject = d.mailer.sent().last().unwrap().subject.clone();
            stages.push((day, o.notices.reminders, subject));
        }
    }
    // Then: the 7-day tier's notice on day 0, the overdue notice on day 1,
    // reminders on days 8 and 15, each saying how long it is overdue.
    let days: Vec<i64> = stages.iter().map(|s| s.0).collect();
    assert_eq!(days, [0, 1, 8, 15], "{stages:?}");
    assert_eq!(stages[1].1, 0, "the first overdue notice is not a reminder");
    assert_eq!(stages[2].1, 1);
    assert!(
        stages[2].2.starts_with("[Reminder] [Overdue]"),
        "{}",
        stages[2].2
    );
    let reminder = &d.mailer.sent()[2];
    assert!(
        reminder.text.contains("8 days overdue"),
        "{}",
        reminder.text
    );
    assert!(
        reminder.text.contains("A reminder follows every 7 days"),
        "{}",
        reminder.text
    );

    // And once the key is rotated, nothing more.
    d.accounts
        .set_keys("dave", vec![key("AKIADAVENEW000000001", 0)]);
    d.clock.set(now() + Duration::days(22));
    let o = sweep(&d).await;
    assert_eq!((o.notices.sent, o.users.checked), (0, 1));
}

#[tokio::test]
async fn without_reminders_an_overdue_key_is_announced_once() {
    let d = deps_with(true, &[("OVERDUE_REMINDER_DAYS", "0")]);
    add(&d, "dave", &[95]);
    for day in 0..30 {
        d.clock.set(now() + Duration::days(day));
        sweep(&d).await;
    }
    assert_eq!(mailed(&d), ["dave@example.com"]);
}

/// IAM's answer to too many requests: retryable.
fn throttled(operation: &'static str) -> Error {
    Error::Aws {
        service: "IAM",
        operation,
        code: Some("Throttling".into()),
        message: "Rate exceeded".into(),
        retryable: true,
    }
}

#[tokio::test]
async fn a_failing_user_is_retried_then_reported_and_never_stops_the_others() {
    let d = deps();
    for name in ["a", "b", "c", "d"] {
        add(&d, name, &[80]);
    }
    // b is throttled once (a retry round reads it), d fails for good.
    d.accounts
        .script
        .fail_after("ListAccessKeys", 1, throttled("ListAccessKeys"));
    d.accounts.script.fail_after(
        "ListAccessKeys",
        1,
        Error::Aws {
            service: "IAM",
            operation: "ListAccessKeys",
            code: Some("AccessDenied".into()),
            message: "not authorized".into(),
            retryable: false,
        },
    );
    tokio::time::pause();
    let o = sweep(&d).await;
    assert_eq!(o.users.notified, 3, "{o:?}");
    assert_eq!(o.users.failed, 1);
    assert_eq!(o.retried, 1);
    assert_eq!(o.errors.len(), 1);
    assert_eq!(o.errors[0].error_type, "Permanent.IamError");
    assert_all_counted(&o);
}

/// A watcher that keeps every step it is told.
#[derive(Default)]
struct Steps(std::sync::Mutex<Vec<Step>>);

impl Watch for Steps {
    fn step(&self, step: Step) {
        self.0.lock().unwrap().push(step);
    }
}

#[tokio::test]
async fn a_person_watching_is_told_the_users_planned_each_one_read_the_retries_and_the_report() {
    // Given three users, one throttled once.
    let d = deps();
    for name in ["a", "b", "c"] {
        add(&d, name, &[80]);
    }
    d.accounts
        .script
        .fail_after("ListAccessKeys", 1, throttled("ListAccessKeys"));
    tokio::time::pause();
    let steps = std::sync::Arc::new(Steps::default());
    let invocation = Invocation {
        watcher: Watcher::new(steps.clone()),
        ..Invocation::local()
    };
    let o = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    assert_eq!(o.retried, 1);
    let mut want = vec![Step::Planned { users: 3 }];
    want.extend([Step::UserRead; 3]);
    want.extend([
        Step::Retrying { users: 1 },
        Step::UserRead,
        Step::Reporting,
        Step::Publishing,
    ]);
    assert_eq!(*steps.0.lock().unwrap(), want);

    // A scan publishes nothing, and says so.
    let steps = std::sync::Arc::new(Steps::default());
    let invocation = Invocation {
        watcher: Watcher::new(steps.clone()),
        ..Invocation::local()
    };
    run(
        &d,
        &invocation,
        Some(ACCOUNT.into()),
        Run::ReadOnly { full: true },
    )
    .await
    .unwrap();
    let steps = steps.0.lock().unwrap();
    assert_eq!(steps.first(), Some(&Step::Planned { users: 3 }));
    assert_eq!(steps.last(), Some(&Step::Reporting));
    assert_eq!(steps.iter().filter(|s| **s == Step::UserRead).count(), 3);
}

#[tokio::test]
async fn a_user_failing_through_every_round_is_counted_failed_with_its_type() {
    let d = deps();
    add(&d, "a", &[80]);
    for _ in 0..=RETRY_ROUNDS {
        d.accounts.script.fail_next("GetUser", throttled("GetUser"));
    }
    tokio::time::pause();
    let o = sweep(&d).await;
    assert_eq!((o.users.failed, o.retried), (1, 2));
    assert_eq!(o.errors[0].error_type, "Retryable.IamError");
    assert!(d.mailer.sent().is_empty());
}

/// 40 due users u00…u39, each read in 1 s, `concurrency` at a time, and an
/// invocation `seconds` before its deadline.
fn forty_slow_users(concurrency: &str, seconds: i64) -> (TestDeps, Invocation) {
    let d = deps_with(true, &[("SWEEP_CONCURRENCY", concurrency)]);
    for i in 0..40 {
        add(&d, &format!("u{i:02}"), &[80]);
    }
    d.accounts
        .script
        .slow("ListAccessKeys", std::time::Duration::from_secs(1));
    let invocation = Invocation {
        request_id: "sweep-1".into(),
        deadline: Some(now() + Duration::seconds(seconds)),
        trace_id: None,
        watcher: Default::default(),
    };
    (d, invocation)
}

#[tokio::test(start_paused = true)]
async fn out_of_time_the_sweep_stops_reports_who_it_missed_and_starts_there_next_time() {
    // Given 40 users, each read in 1 s, 4 at a time, and 12 s before the
    // deadline: 10 s of budget, of which the last 3 s admit nobody new.
    let (d, invocation) = forty_slow_users("4", 12);
    let o = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();

    // Then 7 rounds of 4 were admitted, the rest not reached, all counted.
    assert_eq!(o.users.notified, 28, "{:?}", o.users);
    assert_eq!(o.users.not_reached, 12);
    assert_eq!(o.not_reached_users.first().map(String::as_str), Some("u28"));
    assert_all_counted(&o);

    // And the next sweep begins with the users it did not reach.
    let o = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    assert_eq!(o.resumed_from.as_deref(), Some("u28"));
    assert_eq!(o.users.notified, 12, "the 12 missed first: {:?}", o.users);
    assert_eq!(o.skipped.get("already_notified"), Some(&16));
}

#[tokio::test(start_paused = true)]
async fn a_sweep_that_reaches_a_quarter_per_run_reaches_everyone_in_four_runs() {
    // Given 40 due users, each read in 1 s, one at a time, and 15 s before
    // the deadline: each run reaches about a quarter of them.
    let (d, invocation) = forty_slow_users("1", 15);
    let first = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    let per_run = first.users.notified;
    assert!((5..20).contains(&per_run), "{:?}", first.users);
    // When sweeps run until everyone was mailed, each resuming where the
    // last stopped.
    let mut runs = 1;
    while mailed(&d).len() < 40 && runs < 40 {
        let o = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
            .await
            .unwrap();
        assert_eq!(o.users.failed, 0, "{:?}", o.users);
        runs += 1;
    }
    // Then nobody waited longer than ⌈users / reached per run⌉ runs.
    let mut owners = mailed(&d);
    owners.sort();
    owners.dedup();
    assert_eq!(owners.len(), 40, "{runs} runs mailed {owners:?}");
    assert!(
        runs <= 40usize.div_ceil(per_run),
        "{runs} runs of {per_run}"
    );
}

#[tokio::test]
async fn the_sweep_refuses_to_run_without_the_ledger() {
    let d = deps_with(false, &[]);
    add(&d, "a", &[80]);
    let e = run(&d, &Invocation::local(), None, Run::Sweep)
        .await
        .unwrap_err();
    assert_eq!(e.error_type(), "Permanent.NoLedger");
    assert!(e.to_string().contains("LEDGER_TABLE"), "{e}");
    assert_eq!(d.accounts.script.count("ListUsers"), 0);
}

#[tokio::test]
async fn scan_reads_only_and_reports_every_due_key() {
    // Given an overdue key, a key within a tier, an exempt user and a
    // user whose owner tag is not an address.
    let d = deps_with(false, &[("EXEMPT_TAG", "KeyRotationExempt")]);
    add(&d, "dave", &[95]);
    add(&d, "grace", &[79]);
    d.accounts.add_user(
        &user_id("svc"),
        "svc",
        &[("KeyRotationExempt", "true")],
        vec![key("AKIASVC0000000000200", 200)],
    );
    d.accounts.add_user(
        &user_id("erin"),
        "erin",
        &[("Email", "erin-at-example")],
        vec![key("AKIAERIN000000000084", 84)],
    );
    let o = run(
        &d,
        &Invocation::local(),
        None,
        Run::ReadOnly { full: false },
    )
    .await
    .unwrap();
    assert_eq!(o.kind, RunKind::Scan);
    assert_eq!(o.account, crate::ports::memory::directory::ACCOUNT_ID);
    assert!(d.mailer.sent().is_empty());
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 0);

    let r = o.report.unwrap();
    let users = |keys: &[ReportKey]| keys.iter().map(|k| k.user.clone()).collect::<Vec<_>>();
    assert_eq!(users(&r.overdue), ["dave"]);
    assert_eq!(users(&r.within_tier), ["erin", "grace"]);
    assert_eq!(users(&r.exempt), ["svc"]);
    assert_eq!(r.overdue[0].access_key_id, "AKIA…E095");
    assert_eq!(r.overdue[0].days_overdue, 5);
    // erin's notice still goes to the CC list: it is due, not skipped.
    assert_eq!(r.within_tier[0].notice, NoticeCode::Due);
    assert_eq!(r.within_tier[0].owner, OwnerTag::Rejected("invalid_syntax"));
    assert_eq!(r.exempt[0].notice, NoticeCode::Skipped(SkipReason::Exempt));
    let problems: Vec<(&str, &str)> = r
        .owner_problems
        .iter()
        .map(|p| (p.user.as_str(), p.reason))
        .collect();
    assert_eq!(problems, [("erin", "invalid_syntax"), ("svc", "missing")]);
    let table = crate::views::report::table(&r);
    assert!(table.starts_with("user "), "{table}");
    assert!(table.contains("dave   AKIA…E095"), "{table}");
    assert!(
        !table.contains("erin-at-example"),
        "the raw tag never shows"
    );
    assert_eq!(crate::views::report::csv(&r).lines().count(), 5);
}

#[tokio::test]
async fn the_digest_goes_to_its_recipients_and_a_dry_run_only_renders_it() {
    let d = deps_with(true, &[("DIGEST_RECIPIENTS", "lead@example.com")]);
    add(&d, "dave", &[95]);
    add(&d, "grace", &[79]);
    let o = sweep(&d).await;
    let digest = o.digest.as_ref().unwrap();
    assert_eq!(digest.status, MailStatus::Sent);
    let mail = d.mailer.sent().pop().unwrap();
    assert_eq!(mail.to[0].as_str(), "lead@example.com");
    assert!(mail.cc.is_empty());
    assert_eq!(
        mail.subject,
        "Access keys in 123456789012 on 2026-11-23: 1 overdue, 1 due soon"
    );
    assert!(
        mail.text
            .contains("dave  AKIA…E095  deadline 2026-11-18, 5 days overdue  [mailed today]"),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("<code>AKIA…E079</code>"),
        "{}",
        mail.html
    );

    let dry = deps_with(
        true,
        &[
            ("DIGEST_RECIPIENTS", "lead@example.com"),
            ("DRY_RUN", "true"),
        ],
    );
    add(&dry, "dave", &[95]);
    let o = sweep(&dry).await;
    assert_eq!(o.digest.as_ref().unwrap().status, MailStatus::DryRun);
    assert_eq!(o.notices.dry_run, 1);
    assert!(dry.mailer.sent().is_empty());
    assert!(
        dry.ledger.as_ref().unwrap().entries().is_empty(),
        "a dry run records nothing"
    );
}

/// The budget of [`ten_seconds_left`] was kept since `started`.
fn assert_within_the_budget(started: tokio::time::Instant) {
    let spent = started.elapsed();
    assert!(spent <= std::time::Duration::from_secs(8), "{spent:?}");
}

/// An invocation 10 s before its deadline: a budget of 8 s.
fn ten_seconds_left() -> Invocation {
    Invocation {
        request_id: "sweep-1".into(),
        deadline: Some(now() + Duration::seconds(10)),
        trace_id: None,
        watcher: Default::default(),
    }
}

#[tokio::test(start_paused = true)]
async fn a_listing_slower_than_the_budget_ends_the_sweep_in_time_having_mailed_no_one() {
    // Given a credential report that takes longer than a quarter of the
    // budget of 8 s (so the sweep lists users instead), and ListUsers
    // pages that take 11 s.
    let d = deps_with(true, &[]);
    add(&d, "a", &[80]);
    d.accounts
        .script
        .slow("GetCredentialReport", std::time::Duration::from_secs(30));
    d.accounts
        .script
        .slow("ListUsers", std::time::Duration::from_secs(11));
    let started = tokio::time::Instant::now();
    let e = run(&d, &ten_seconds_left(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap_err();
    // Then the sweep answers inside its budget, retryably, and no user was
    // read or mailed.
    assert_within_the_budget(started);
    assert_eq!(e.error_type(), "Retryable.OutOfTime");
    assert_eq!(d.accounts.script.count("ListAccessKeys"), 0);
    assert!(d.mailer.sent().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_digest_slower_than_what_is_left_is_reported_failed_and_the_sweep_ends_in_time() {
    // Given a user whose key is not due (no notice) and a SendEmail of 20 s.
    let d = deps_with(true, &[("DIGEST_RECIPIENTS", "lead@example.com")]);
    add(&d, "a", &[10]);
    d.mailer
        .script
        .slow("SendEmail", std::time::Duration::from_secs(20));
    let started = tokio::time::Instant::now();
    let o = run(&d, &ten_seconds_left(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    // Then the outcome comes inside the budget, the user counted, the
    // digest reported failed for want of time.
    assert_within_the_budget(started);
    assert_eq!(o.users.checked, 1, "{:?}", o.users);
    let digest = o.digest.unwrap();
    assert_eq!(digest.status, MailStatus::Failed);
    assert_eq!(
        digest.error.as_deref(),
        Some(crate::flow::digest::OUT_OF_TIME)
    );
}

#[tokio::test(start_paused = true)]
async fn users_under_way_are_cut_before_the_end_so_the_resume_point_is_kept_in_time() {
    // Given users read in 7.5 s each (the budget is 8 s; the last second is
    // kept for what follows the users).
    let d = deps_with(true, &[("DIGEST_RECIPIENTS", "lead@example.com")]);
    for name in ["a", "b"] {
        add(&d, name, &[80]);
    }
    d.accounts
        .script
        .slow("ListAccessKeys", std::time::Duration::from_millis(7_500));
    let started = tokio::time::Instant::now();
    let o = run(&d, &ten_seconds_left(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    assert_within_the_budget(started);
    assert_eq!(o.users.not_reached, 2, "{:?}", o.users);
    // The digest, sent in the time kept for it, says no one was checked.
    let digest = o.digest.as_ref().unwrap();
    assert_eq!(digest.status, MailStatus::Sent);
    let text = &digest.rendered.as_ref().unwrap().text;
    assert!(
        text.contains("no one was checked: none of the 2 users was reached"),
        "{text}"
    );
    assert!(!text.contains("0 keys checked"), "{text}");
    // And the next sweep starts with the first of them.
    let next = run(&d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    assert_eq!(next.resumed_from.as_deref(), Some("a"));
}

#[tokio::test]
async fn the_first_notice_of_a_key_found_long_overdue_is_no_reminder() {
    // Given a key 30 days overdue that was never mailed (by the clock it
    // is at its reminder stage).
    let d = deps();
    add(&d, "ron", &[120]);
    let first = sweep(&d).await;
    let subject = d.mailer.sent()[0].subject.clone();
    assert!(subject.starts_with("[Overdue]"), "{subject}");
    assert_eq!(first.notices.reminders, 0);
    // It stands in for the day's reminder: nothing more that day.
    assert_eq!(sweep(&d).await.notices.sent, 0);
    // The next reminder is one.
    d.clock.set(now() + Duration::days(7));
    let next = sweep(&d).await;
    assert_eq!(next.notices.reminders, 1);
    let subject = d.mailer.sent().last().unwrap().subject.clone();
    assert!(subject.starts_with("[Reminder] [Overdue]"), "{subject}");
}

#[tokio::test]
async fn the_credential_report_picks_the_users_read_and_a_refused_one_falls_back_to_the_listing() {
    // Given 3 users with due keys and 5 without.
    let d = deps();
    for (i, age) in [80, 95, 120, 10, 20, 30, 40, 50].iter().enumerate() {
        add(&d, &format!("u{i}"), &[*age]);
    }
    // When the report is used, only the due users are read afresh.
    let o = sweep(&d).await;
    assert_eq!(o.source, Source::CredentialReport);
    assert_eq!(
        (o.users.listed, o.users.notified, o.users.checked),
        (8, 3, 5)
    );
    assert_eq!(o.keys, 8);
    let calls = d.accounts.script.calls();
    // One listing, to tell a whole report from a cut one.
    assert_eq!(calls.get("ListUsers"), Some(&1), "{calls:?}");
    assert_eq!(calls.get("ListAccessKeys"), Some(&3), "{calls:?}");
    assert_eq!(calls.get("GetUser"), Some(&3), "{calls:?}");
    assert_eq!(
        calls.get("GetAccessKeyLastUsed"),
        None,
        "from the report: {calls:?}"
    );
    assert!(
        d.mailer.sent()[0].text.contains("s3"),
        "the report's last use is in the mail: {}",
        d.mailer.sent()[0].text
    );

    // And when the report is refused, every user is listed and read,
    // and the outcome says why.
    let d = deps();
    for (i, age) in [80, 95, 120, 10, 20, 30, 40, 50].iter().enumerate() {
        add(&d, &format!("u{i}"), &[*age]);
    }
    d.accounts.script.fail_next(
        "GetCredentialReport",
        Error::Aws {
            service: "IAM",
            operation: "GenerateCredentialReport",
            code: Some("AccessDenied".into()),
            message: "not authorized".into(),
            retryable: false,
        },
    );
    let o = sweep(&d).await;
    assert_eq!(o.source, Source::Listing);
    assert!(
        o.report_unavailable
            .as_deref()
            .unwrap()
            .contains("AccessDenied")
    );
    assert_eq!(
        (o.users.listed, o.users.notified, o.users.checked),
        (8, 3, 5)
    );
    assert_eq!(d.accounts.script.count("ListAccessKeys"), 8);
    assert_eq!(d.mailer.sent().len(), 3);
}

#[tokio::test]
async fn a_report_cut_at_a_row_boundary_is_told_by_the_listing_and_nobody_is_missed() {
    // Given 4 users with due keys, and a credential report that holds only
    // the first two users' rows (whole rows: it reads like a whole report).
    let d = deps();
    for name in ["anna", "bert", "cara", "dina"] {
        add(&d, name, &[80]);
    }
    d.accounts.cut_reports_after(2);
    // When the sweep runs.
    let o = sweep(&d).await;
    // Then the listing names users the report has no row for: the sweep
    // reads every listed user, and all four are mailed.
    assert_eq!(o.source, Source::Listing);
    let why = o.report_unavailable.as_deref().unwrap();
    assert!(
        why.contains("no row for 2 users") && why.contains("cut"),
        "{why}"
    );
    assert_eq!(o.users.notified, 4);
    assert_eq!(
        mailed(&d),
        [
            "anna@example.com",
            "bert@example.com",
            "cara@example.com",
            "dina@example.com"
        ]
    );
}

#[tokio::test]
async fn two_keys_created_in_the_same_second_never_take_each_other_s_last_use() {
    // Given kim's two keys, created in the same second (an IaC tool
    // creating them in parallel): one used yesterday, one never, and the
    // unused-key policy at 30 days.
    let d = deps_with(
        true,
        &[("UNUSED_KEY_DAYS", "30"), ("LEDGER_TABLE", "akn-ledger")],
    );
    let created = now() - Duration::days(40);
    let (mut used, yesterday) = key("AKIAKIMUSEDYESTERDAY", 40);
    used.created = created;
    let (mut idle, _) = key("AKIAKIMNEVERUSED0040", 40);
    idle.created = created;
    d.accounts.add_user(
        &user_id("kim"),
        "kim",
        &[("Email", "kim@example.com")],
        vec![(used, yesterday), (idle, crate::model::LastUsed::default())],
    );
    // When the sweep runs.
    let o = sweep(&d).await;
    // Then the report's two slots can't be told apart: both keys' last use
    // is read afresh, and only the key never used is told as unused.
    assert_eq!(d.accounts.script.count("GetAccessKeyLastUsed"), 2);
    assert_eq!(o.users.notified, 1);
    let report = o.report.unwrap();
    let unused: Vec<&str> = report
        .unused
        .iter()
        .map(|k| k.access_key_id.as_str())
        .collect();
    assert_eq!(unused, ["AKIA…0040"], "{report:?}");
}

#[tokio::test]
async fn a_time_zone_changed_between_sweeps_tells_no_unused_period_twice() {
    // Given lea's key, 200 days old, last used at 20:00 UTC 120 days ago:
    // already the next day in Tokyo. Unused keys are enforced, so her
    // notice is also the unused period's warning.
    let mut d = deps_with(
        true,
        &[
            ("UNUSED_KEY_DAYS", "90"),
            ("ENFORCE_UNUSED", "true"),
            ("MAX_KEY_AGE_DAYS", "365"),
            ("LEDGER_TABLE", "akn-ledger"),
        ],
    );
    let (mut k, mut used) = key("AKIALEAIDLESINCE0200", 200);
    k.created = now() - Duration::days(200);
    used.time = Some(now() - Duration::days(120) + Duration::hours(11));
    d.accounts.add_user(
        &user_id("lea"),
        "lea",
        &[("Email", "lea@example.com")],
        vec![(k, used)],
    );
    let first = sweep(&d).await;
    assert_eq!(first.notices.sent, 1);
    let warnings = first.enforcement.as_ref().unwrap().final_warnings;
    assert_eq!(
        warnings, 1,
        "the first notice is the period's final warning"
    );

    // When TIME_ZONE changes to Tokyo, where the last use fell a day later,
    // and the sweep runs again.
    d.config.policy.time_zone = chrono_tz::Asia::Tokyo;
    let second = sweep(&d).await;

    // Then the period is the same one: not told again, and its warning
    // still counts (no second final warning).
    assert_eq!(second.notices.sent, 0, "{:?}", second.skipped);
    assert_eq!(second.skipped, [("already_notified", 1)].into());
    assert_eq!(second.enforcement.as_ref().unwrap().final_warnings, 0);
    assert_eq!(d.mailer.sent().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_chat_topic_that_never_answers_keeps_the_sweep_in_its_budget_and_the_digest_goes_out() {
    // Given a sweep with 30 s left (a budget of 28 s), a due user, a
    // digest, and a chat topic that never answers (as from a VPC without
    // an SNS endpoint).
    let d = deps_with(
        true,
        &[
            ("DIGEST_RECIPIENTS", "lead@example.com"),
            (
                "CHAT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:akn-chat",
            ),
        ],
    );
    add(&d, "grace", &[79]);
    let chat = d.chat.as_ref().unwrap();
    chat.script
        .slow("Publish", std::time::Duration::from_secs(3600));
    let invocation = Invocation {
        deadline: Some(now() + Duration::seconds(30)),
        ..ten_seconds_left()
    };
    let started = tokio::time::Instant::now();
    let o = run(&d, &invocation, Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap();
    // Then the sweep ends inside its budget, the chat channel is reported
    // failed for want of time, and the digest, after it, is sent and says
    // so.
    assert!(started.elapsed() <= std::time::Duration::from_secs(28));
    let chat = o.chat.as_ref().unwrap();
    assert_eq!(chat.status, crate::outcome::ChatStatus::Failed);
    assert_eq!(chat.published, 0);
    assert_eq!(
        chat.error.as_deref(),
        Some(crate::flow::publish::OUT_OF_TIME)
    );
    let digest = o.digest.as_ref().unwrap();
    assert_eq!(digest.status, MailStatus::Sent, "{:?}", digest.error);
    assert_eq!(o.notices.sent, 1);
    let text = &digest.rendered.as_ref().unwrap().text;
    assert!(text.to_lowercase().contains("chat"), "{text}");
}

#[tokio::test]
async fn the_chat_speaks_the_team_s_language_and_chat_locale_overrides_it() {
    for (locale, chat_locale, japanese) in [
        ("ja", None, true),
        ("ja", Some("en"), false),
        ("en", Some("ja"), true),
    ] {
        let mut vars = vec![
            ("LOCALE", locale),
            (
                "CHAT_TOPIC_ARN",
                "arn:aws:sns:us-east-1:123456789012:akn-chat",
            ),
        ];
        if let Some(c) = chat_locale {
            vars.push(("CHAT_LOCALE", c));
        }
        let d = deps_with(true, &vars);
        for i in 0..25 {
            add(&d, &format!("user{i:02}"), &[95]);
        }
        run(&d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
            .await
            .unwrap();
        let published = d.chat.as_ref().unwrap().published();
        let summary: serde_json::Value = serde_json::from_str(&published[0]).unwrap();
        let title = summary["content"]["title"].as_str().unwrap();
        let description = summary["content"]["description"].as_str().unwrap();
        assert_eq!(title.contains("のアクセスキー"), japanese, "{title}");
        assert_eq!(
            description.contains("期限超過 5 日"),
            japanese,
            "{description}"
        );
        assert_eq!(
            description.contains("…ほか 15 件"),
            japanese,
            "{description}"
        );
        assert!(description.chars().count() <= crate::views::chat::DESCRIPTION_MAX);
        assert!(title.chars().count() <= crate::views::chat::TITLE_MAX);
    }
}

#[tokio::test]
async fn the_digest_names_the_exemption_list_s_entries_that_match_no_user_in_its_language() {
    // Given a list naming the deploy bot by its UserId (since renamed),
    // legacy-etl by its old name, and a deleted user by its id.
    for (locale, heading, entry_line) in [
        (
            "en",
            "Exemption list entries that name no user",
            "  - legacy-etl\n",
        ),
        (
            "ja",
            "どのユーザーにも当たらない適用除外リストの項目",
            "  ・legacy-etl\n",
        ),
    ] {
        let mut d = deps_with(
            true,
            &[
                ("DIGEST_RECIPIENTS", "lead@example.com"),
                ("EXEMPT_USERS_PARAMETER", "/akn/exempt"),
                ("LOCALE", locale),
            ],
        );
        d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new(
            "AIDADEPLOYBOT0000001, legacy-etl, AIDAGONE000000000001",
        )));
        d.accounts.add_user(
            "AIDADEPLOYBOT0000001",
            "deploy-bot-v2",
            &[("Email", "bot@example.com")],
            vec![key("AKIABOT0000000000095", 95)],
        );
        add(&d, "legacy-etl-2024", &[95]);
        let o = sweep(&d).await;
        let report = o.report.as_ref().unwrap();
        // The renamed bot is still exempt by its id; legacy-etl is not.
        assert_eq!(
            report
                .exempt
                .iter()
                .map(|k| k.user.as_str())
                .collect::<Vec<_>>(),
            ["deploy-bot-v2"]
        );
        assert_eq!(
            report.exempt_entries_unmatched,
            ["legacy-etl", "AIDAGONE000000000001"]
        );
        let mail = d.mailer.sent().pop().unwrap();
        assert!(mail.text.contains(heading), "{}", mail.text);
        assert!(mail.text.contains(entry_line), "{}", mail.text);
        assert!(mail.html.contains(heading), "{}", mail.html);
        assert!(
            mail.html
                .contains("<li><code>AIDAGONE000000000001</code></li>"),
            "{}",
            mail.html
        );
    }

    // Every entry names a user: no section.
    let mut d = deps_with(
        true,
        &[
            ("DIGEST_RECIPIENTS", "lead@example.com"),
            ("EXEMPT_USERS_PARAMETER", "/akn/exempt"),
        ],
    );
    d.exemptions = Exemptions::new(Some(MemoryExemptionSource::new("dave")));
    add(&d, "dave", &[95]);
    let o = sweep(&d).await;
    assert!(o.report.unwrap().exempt_entries_unmatched.is_empty());
    let mail = d.mailer.sent().pop().unwrap();
    assert!(!mail.text.contains("name no user"), "{}", mail.text);
}
