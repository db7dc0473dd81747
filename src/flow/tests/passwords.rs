//! Console passwords through the sweep, over the in-memory adapters and a
//! clock moved by hand: expiry told once per tier (and not without a
//! password policy), an unused password once per period, removal only
//! after a counted warning and its date, and never for an exempt user, a
//! password used since, past the cap, or in a dry run; one mail for a
//! user's key and password. `tests/passwords.rs` proves the wire.

use chrono::{DateTime, Duration, Utc};

use crate::flow::Invocation;
use crate::flow::sweep::{self, Run};
use crate::model::{ConsolePassword, LastUsed, PasswordPolicy};
use crate::outcome::report::PasswordExpiry;
use crate::outcome::sweep::SweepOutcome;
use crate::testkit::{TestDeps, add, deps_with, now};

const ACCOUNT: &str = "123456789012";

async fn sweep(d: &TestDeps) -> SweepOutcome {
    sweep::run(d, &Invocation::local(), Some(ACCOUNT.into()), Run::Sweep)
        .await
        .unwrap()
}

fn clock(d: &TestDeps, days: i64) {
    d.clock.set(now() + Duration::days(days));
}

/// `name`, without access keys, with a console password set `changed`
/// days before [`now`], last used `used` days before it (never: `None`).
fn with_password(d: &TestDeps, name: &str, changed: i64, used: Option<i64>) {
    add(d, name, &[]);
    set_password(d, name, changed, used.map(|u| now() - Duration::days(u)));
}

fn set_password(d: &TestDeps, name: &str, changed: i64, used: Option<DateTime<Utc>>) {
    let set = now() - Duration::days(changed);
    d.accounts.set_password(
        name,
        set,
        ConsolePassword {
            last_used: LastUsed {
                time: used,
                service: None,
                region: None,
            },
            last_changed: Some(set),
            next_rotation: None,
        },
    );
}

fn policy(max_age_days: u32, hard_expiry: bool) -> Option<PasswordPolicy> {
    Some(PasswordPolicy {
        max_age_days: Some(max_age_days),
        hard_expiry,
    })
}

fn subjects(d: &TestDeps) -> Vec<String> {
    d.mailer.sent().iter().map(|m| m.subject.clone()).collect()
}

fn removing(vars: &[(&str, &str)]) -> TestDeps {
    let mut all = vec![
        ("UNUSED_PASSWORD_DAYS", "90"),
        ("ENFORCE_UNUSED_PASSWORDS", "true"),
        ("EXEMPT_TAG", "KeyRotationExempt"),
        ("LEDGER_TABLE", "akn-ledger"),
    ];
    all.extend_from_slice(vars);
    deps_with(true, &all)
}

#[tokio::test]
async fn an_expiring_password_is_told_once_per_tier_with_its_date_and_the_lock_out() {
    let d = deps_with(
        true,
        &[
            ("PASSWORD_NOTICE_DAYS", "14,7"),
            ("LEDGER_TABLE", "akn-ledger"),
        ],
    );
    d.accounts.set_password_policy(policy(90, true));
    // Set 80 days ago under a 90-day policy: expires 2026-12-03, 10 days on.
    with_password(&d, "pat", 80, Some(1));
    // Set 30 days ago: 60 days left, no tier.
    with_password(&d, "quinn", 30, Some(1));

    let first = sweep(&d).await;
    assert_eq!(first.notices.sent, 1);
    assert_eq!(
        subjects(&d),
        vec!["[Action required] The console password of pat expires within 10 days (2026-12-03)"]
    );
    let mail = &d.mailer.sent()[0];
    assert_eq!(mail.to.len(), 1);
    assert_eq!(mail.to[0].as_str(), "pat@example.com");
    assert!(
        mail.text
            .contains("expires 2026-12-03 (10 days left), locked out after that"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains("aws iam change-password"),
        "{}",
        mail.text
    );
    let p = first.passwords.unwrap();
    assert_eq!((p.expiring, p.unused), (1, 0));
    let report = first.report.as_ref().unwrap();
    assert_eq!(
        report.password_expiry,
        PasswordExpiry::Told {
            max_password_age_days: 90,
            hard_expiry: true
        }
    );
    assert_eq!(report.passwords_expiring.len(), 1);
    assert_eq!(
        report.passwords_expiring[0].access_key_id,
        "console-password"
    );

    // The same tier is not told again; the next one is, once.
    sweep(&d).await;
    clock(&d, 2);
    sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 1);
    clock(&d, 3);
    sweep(&d).await;
    sweep(&d).await;
    assert_eq!(
        subjects(&d)[1],
        "[Action required] The console password of pat expires within 7 days (2026-12-03)"
    );
    assert_eq!(d.mailer.sent().len(), 2);
    // Expired: no tier left, nothing more (the sign-in page tells).
    clock(&d, 11);
    sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 2);
    assert!(d.accounts.passwords_removed().is_empty());
}

#[tokio::test]
async fn without_a_password_policy_or_its_maximum_age_no_expiry_is_told_and_the_report_says_why() {
    let d = deps_with(
        true,
        &[
            ("PASSWORD_NOTICE_DAYS", "14,7"),
            ("LEDGER_TABLE", "akn-ledger"),
        ],
    );
    with_password(&d, "pat", 85, Some(1));
    let none = sweep(&d).await;
    assert_eq!(none.notices.sent, 0);
    assert_eq!(
        none.report.as_ref().unwrap().password_expiry,
        PasswordExpiry::NoPasswordPolicy
    );
    let table = crate::views::report::table(none.report.as_ref().unwrap());
    assert!(
        table.contains("console password expiry: not told: the account has no password policy"),
        "{table}"
    );

    d.accounts.set_password_policy(Some(PasswordPolicy {
        max_age_days: None,
        hard_expiry: false,
    }));
    let no_age = sweep(&d).await;
    assert_eq!(no_age.notices.sent, 0);
    assert_eq!(
        no_age.report.as_ref().unwrap().password_expiry,
        PasswordExpiry::NoMaxPasswordAge
    );
    assert!(d.mailer.sent().is_empty());
}

#[tokio::test]
async fn an_unused_password_is_told_once_per_unused_period() {
    let d = deps_with(
        true,
        &[
            ("UNUSED_PASSWORD_DAYS", "90"),
            ("LEDGER_TABLE", "akn-ledger"),
        ],
    );
    with_password(&d, "uma", 300, Some(100));
    // Never used, set 120 days ago: unused since it was set.
    with_password(&d, "vic", 120, None);
    // Used 30 days ago: in use.
    with_password(&d, "wes", 300, Some(30));

    let first = sweep(&d).await;
    assert_eq!(first.notices.sent, 2);
    let mut got = subjects(&d);
    got.sort();
    assert_eq!(
        got,
        vec![
            "[Action required] The console password of uma has not been used for 100 days",
            "[Action required] The console password of vic was never used in 120 days",
        ]
    );
    let report = first.report.as_ref().unwrap();
    let unused: Vec<(&str, Option<u32>)> = report
        .passwords_unused
        .iter()
        .map(|k| (k.user.as_str(), k.unused_days))
        .collect();
    assert_eq!(unused, vec![("vic", Some(120)), ("uma", Some(100))]);

    // The same period is told once, however many sweeps.
    clock(&d, 1);
    sweep(&d).await;
    clock(&d, 30);
    sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 2);

    // uma signs in, then stays away for another 90 days: a new period.
    set_password(&d, "uma", 300, Some(now() + Duration::days(31)));
    clock(&d, 40);
    sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 2);
    clock(&d, 31 + 91);
    sweep(&d).await;
    let uma: Vec<String> = subjects(&d)
        .into_iter()
        .filter(|s| s.contains(" uma "))
        .collect();
    assert_eq!(
        uma,
        vec![
            "[Action required] The console password of uma has not been used for 100 days",
            "[Action required] The console password of uma has not been used for 91 days",
        ]
    );
}

#[tokio::test]
async fn an_unused_password_is_removed_only_after_a_counted_warning_and_its_date_and_nothing_else_changes()
 {
    let d = removing(&[]);
    add(&d, "uma", &[10]);
    set_password(&d, "uma", 300, Some(now() - Duration::days(100)));

    // First: a final warning that names the date; nothing removed.
    let first = sweep(&d).await;
    let e = first.enforcement.as_ref().unwrap();
    assert_eq!(
        (e.final_warnings, e.passwords_removed, e.deactivated),
        (1, 0, 0)
    );
    let mail = &d.mailer.sent()[0];
    assert!(
        mail.subject.starts_with("[Final warning] "),
        "{}",
        mail.subject
    );
    assert!(
        mail.text.contains("removed on or after 2026-11-26"),
        "{}",
        mail.text
    );
    assert!(d.accounts.has_password("uma"));

    // Before the announced date: still there.
    clock(&d, 2);
    let waiting = sweep(&d).await;
    assert_eq!(waiting.enforcement.as_ref().unwrap().passwords_removed, 0);
    assert!(d.accounts.has_password("uma"));

    // On it: removed, and the owner told how to get console access back.
    clock(&d, 3);
    let acted = sweep(&d).await;
    let e = acted.enforcement.as_ref().unwrap();
    assert_eq!((e.passwords_removed, e.deactivated), (1, 0));
    assert!(!d.accounts.has_password("uma"));
    assert_eq!(d.accounts.passwords_removed(), vec!["uma".to_string()]);
    let removed = d.mailer.sent().last().unwrap().clone();
    assert_eq!(
        removed.subject,
        "[Removed] The console password of uma was removed (unused for 103 days)"
    );
    assert!(
        removed.text.contains("aws iam create-login-profile"),
        "{}",
        removed.text
    );
    // Nothing else of the user changed: the key is active, as it was.
    assert!(d.accounts.keys_of("uma").iter().all(|k| k.active));
    assert!(d.accounts.deactivated().is_empty());

    // And it is done once.
    clock(&d, 4);
    sweep(&d).await;
    assert_eq!(d.accounts.passwords_removed(), vec!["uma".to_string()]);
}

#[tokio::test]
async fn no_password_is_removed_for_an_exempt_user_a_use_since_the_warning_past_the_cap_or_in_a_dry_run()
 {
    let d = removing(&[("ENFORCE_MAX_PER_DAY", "1")]);
    for name in ["ann", "bob", "cat"] {
        with_password(&d, name, 300, Some(100));
    }
    add(&d, "dee", &[10]);
    d.accounts.add_user(
        &crate::testkit::user_id("eve"),
        "eve",
        &[("Email", "eve@example.com"), ("KeyRotationExempt", "true")],
        Vec::new(),
    );
    set_password(&d, "eve", 300, Some(now() - Duration::days(100)));
    sweep(&d).await;
    // ann signs in after her warning.
    set_password(&d, "ann", 300, Some(now() + Duration::days(1)));
    clock(&d, 3);
    let acted = sweep(&d).await;
    let e = acted.enforcement.as_ref().unwrap();
    assert_eq!((e.passwords_removed, e.held_by_cap), (1, 1), "{e:?}");
    assert_eq!(d.accounts.passwords_removed(), vec!["bob".to_string()]);
    assert!(d.accounts.has_password("ann"), "used since the warning");
    assert!(d.accounts.has_password("cat"), "held by the cap");
    assert!(d.accounts.has_password("eve"), "exempt");
    // The next day takes the one the cap held.
    clock(&d, 4);
    sweep(&d).await;
    assert_eq!(
        d.accounts.passwords_removed(),
        vec!["bob".to_string(), "cat".to_string()]
    );
    assert!(d.accounts.has_password("eve") && d.accounts.has_password("ann"));

    // A dry run says what it would remove and removes nothing: the account
    // warned under `true`, then switched to `dry_run` (a dry run announces
    // no date, so it never warns by itself).
    let mut dry = removing(&[]);
    with_password(&dry, "fay", 300, Some(100));
    sweep(&dry).await;
    dry.config.enforcement.password_mode = crate::enforcement::EnforceMode::DryRun;
    clock(&dry, 3);
    let would = sweep(&dry).await;
    let e = would.enforcement.as_ref().unwrap();
    assert_eq!((e.passwords_would_remove, e.passwords_removed), (1, 0));
    assert!(dry.accounts.has_password("fay"));
    assert!(dry.accounts.passwords_removed().is_empty());
}

#[tokio::test]
async fn a_user_with_a_due_key_and_an_expiring_password_gets_one_mail_that_lists_both() {
    let d = deps_with(
        true,
        &[
            ("PASSWORD_NOTICE_DAYS", "14,7"),
            ("LEDGER_TABLE", "akn-ledger"),
        ],
    );
    d.accounts.set_password_policy(policy(90, false));
    add(&d, "kim", &[80]);
    set_password(&d, "kim", 85, Some(now() - Duration::days(1)));
    let out = sweep(&d).await;
    assert_eq!(out.notices.sent, 1);
    let sent = d.mailer.sent();
    assert_eq!(sent.len(), 1);
    let mail = &sent[0];
    assert!(mail.text.contains("AKIA…M080"), "{}", mail.text);
    assert!(
        mail.text
            .contains("Console password: set 2026-08-30, expires 2026-11-28 (5 days left)"),
        "{}",
        mail.text
    );
    assert!(!mail.text.contains("locked out"), "{}", mail.text);
    assert!(mail.html.contains("console-password") || mail.html.contains("Console password"));
    // Both are recorded: neither is told again.
    sweep(&d).await;
    assert_eq!(d.mailer.sent().len(), 1);
}
