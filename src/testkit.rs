//! What the flow tests share: in-memory
//! dependencies at a fixed Monday morning.

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use crate::clock::FixedClock;
use crate::config::Config;
use crate::flow::Deps;
use crate::model::AccessKey;
use crate::model::LastUsed;
use crate::ports::MemoryPorts;
use crate::ports::exemptions::Exemptions;
use crate::ports::memory::accounts::MemoryAccounts;
use crate::ports::memory::channel::MemoryChat;
use crate::ports::memory::ledger::MemoryLedger;
use crate::ports::memory::mailer::MemoryMailer;
use crate::ports::memory::queue::MemoryQueue;

pub type TestDeps = Deps<MemoryPorts>;

/// Monday 2026-11-23, 09:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

/// Deps with the notice ledger (or without), CC to security, and `vars`.
pub fn deps_with(ledger: bool, vars: &[(&str, &str)]) -> TestDeps {
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("SENDER_ADDRESS", "key-notices@example.com"),
        ("CC_RECIPIENTS", "security@example.com"),
    ]);
    env.extend(vars.iter().copied());
    let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
    Deps {
        queue: config.organization.is_some().then(MemoryQueue::new),
        chat: config.chat_topic_arn.is_some().then(MemoryChat::new),
        config,
        accounts: MemoryAccounts::new(),
        mailer: MemoryMailer::new(),
        ledger: ledger.then(MemoryLedger::new),
        clock: FixedClock::at(now()),
        exemptions: Exemptions::new(None),
    }
}

/// Deps with the notice ledger and no other setting.
pub fn deps() -> TestDeps {
    deps_with(true, &[])
}

/// An active key `age_days` old, last used yesterday.
pub fn key(id: &str, age_days: i64) -> (AccessKey, LastUsed) {
    (
        AccessKey {
            id: id.into(),
            active: true,
            created: now() - Duration::days(age_days),
            last_used: None,
        },
        LastUsed {
            time: Some(now() - Duration::days(1)),
            service: Some("s3".into()),
            region: Some("us-east-1".into()),
        },
    )
}

/// A user `name` (id `AIDA` + name) with an owner tag and keys of these ages;
/// key ids are `AKIA` + name + age.
pub fn add(d: &TestDeps, name: &str, ages: &[i64]) {
    let keys = ages
        .iter()
        .map(|age| key(&key_id(name, *age), *age))
        .collect();
    let email = format!("{name}@example.com");
    d.accounts
        .add_user(&user_id(name), name, &[("Email", email.as_str())], keys);
}

pub fn user_id(name: &str) -> String {
    format!("AIDA{:0>17}", name.to_uppercase())
}

/// The CreateDate of the key [`key_id`] named: its last three digits are
/// its age in days at [`now`].
pub fn created_of(key_id: &str) -> DateTime<Utc> {
    let age: i64 = key_id[key_id.len() - 3..]
        .parse()
        .expect("a key id of key_id()");
    now() - Duration::days(age)
}

pub fn key_id(name: &str, age: i64) -> String {
    format!("AKIA{:0>13}{age:03}", name.to_uppercase())
}
