//! Writes an owner notice and a digest, rendered by the real templates, as
//! HTML files for `make pictures` (which screenshots them with headless
//! Chromium for the README).
//!
//! A sweep over the in-memory adapters at a fixed date: the same code path
//! the deployed function runs, with made-up users.
//!
//! Usage: cargo run --example render_samples -- OUTPUT_DIR

use access_key_notifier::clock::FixedClock;
use access_key_notifier::config::Config;
use access_key_notifier::decision::AccessKey;
use access_key_notifier::decision::LastUsed;
use access_key_notifier::flow::sweep::{Run, run};
use access_key_notifier::flow::{Deps, Invocation};
use access_key_notifier::ports::MemoryPorts;
use access_key_notifier::ports::exemptions::Exemptions;
use access_key_notifier::ports::memory::accounts::MemoryAccounts;
use access_key_notifier::ports::memory::ledger::MemoryLedger;
use access_key_notifier::ports::memory::mailer::MemoryMailer;
use chrono::{Duration, TimeZone, Utc};

/// A sample user: name, tags, keys.
type Sample = (
    &'static str,
    &'static [(&'static str, &'static str)],
    Vec<(AccessKey, LastUsed)>,
);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let out = std::env::args()
        .nth(1)
        .expect("usage: render_samples OUTPUT_DIR");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 30, 0).unwrap();
    let vars = [
        ("SENDER_ADDRESS", "key-notices@example.com"),
        ("CC_RECIPIENTS", "security@example.com"),
        ("DIGEST_RECIPIENTS", "security-lead@example.com"),
        ("EXEMPT_TAG", "KeyRotationExempt"),
        ("TIME_ZONE", "Asia/Tokyo"),
        ("UNUSED_KEY_DAYS", "45"),
        ("LEDGER_TABLE", "samples"),
    ];
    let config = Config::from_lookup(|k| {
        vars.iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
    })
    .expect("a valid configuration");
    let deps: Deps<MemoryPorts> = Deps {
        config,
        accounts: MemoryAccounts::new(),
        mailer: MemoryMailer::new(),
        ledger: Some(MemoryLedger::new()),
        clock: FixedClock::at(now),
        exemptions: Exemptions::new(None),
        queue: None,
    };
    // A key `age` days old, last used `idle` days ago by `service`.
    let used = |id: &str, age: i64, idle: i64, service: &str| {
        (
            AccessKey {
                id: id.into(),
                active: true,
                created: now - Duration::days(age) - Duration::hours(5),
                last_used: None,
            },
            LastUsed {
                time: Some(now - Duration::days(idle)),
                service: Some(service.into()),
                region: Some("ap-northeast-1".into()),
            },
        )
    };
    let key = |id: &str, age: i64, service: &str| used(id, age, 1, service);
    let users: [Sample; 7] = [
        (
            "deploy-bot",
            &[("Email", "platform@example.com")],
            vec![
                key("AKIA2DEPLOYBOT0KEY85", 85, "s3"),
                used("AKIA2DEPLOYBOT0KEY78", 78, 52, "ecr"),
            ],
        ),
        (
            "frank",
            &[("Email", "frank@example.com")],
            vec![used("AKIA2FRANK0000KEY060", 60, 48, "sts")],
        ),
        (
            "heidi",
            &[("Email", "heidi@example.com")],
            vec![key("AKIA2HEIDI00000K100", 100, "sqs")],
        ),
        (
            "dave",
            &[("Email", "dave@example.com")],
            vec![key("AKIA2DAVE000000KEY95", 95, "dynamodb")],
        ),
        (
            "erin-ci",
            &[],
            vec![key("AKIA2ERINCI0000KEY80", 80, "codebuild")],
        ),
        (
            "legacy-etl",
            &[("KeyRotationExempt", "true")],
            vec![key("AKIA2LEGACYETL0K0400", 400, "glue")],
        ),
        (
            "grace",
            &[("Email", "grace@example.com")],
            vec![key("AKIA2GRACE0000KEY079", 79, "lambda")],
        ),
    ];
    for (i, (name, tags, keys)) in users.into_iter().enumerate() {
        let id = format!("AIDA2SAMPLE{i:010}");
        deps.accounts.add_user(&id, name, tags, keys);
    }
    let outcome = run(
        &deps,
        &Invocation::local(),
        Some("123456789012".into()),
        Run::Sweep,
    )
    .await
    .expect("the sample sweep runs");
    assert_eq!(outcome.digest.as_ref().map(|d| d.status), Some("sent"));
    let sent = deps.mailer.sent();
    let notice = sent
        .iter()
        .find(|m| {
            m.to.first()
                .is_some_and(|a| a.as_str() == "platform@example.com")
        })
        .expect("deploy-bot's notice");
    let digest = sent.last().expect("the digest");
    std::fs::write(format!("{out}/notice.html"), &notice.html).expect("writable");
    std::fs::write(format!("{out}/digest.html"), &digest.html).expect("writable");
    println!("wrote {out}/notice.html and {out}/digest.html");
}
