//! Property tests of everything that reads outside input: the event parser
//! and the address validator never panic, and an accepted address always
//! meets the validator's stated rules.

mod common;

use access_key_notifier::address;
use access_key_notifier::event;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Arbitrary JSON, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn fixture() -> Value {
    common::fixture_event("noncompliant-7-days.json")
}

/// Every JSON pointer in `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_parser_never_panics_on_any_json(v in json_value()) {
        let _ = event::parse(v);
    }

    #[test]
    fn the_parser_never_panics_on_a_mutated_real_event(index in any::<prop::sample::Index>(), v in json_value()) {
        let mut event = fixture();
        let mut all = Vec::new();
        pointers(&event, String::new(), &mut all);
        let target = index.get(&all).clone();
        *event.pointer_mut(&target).unwrap() = v;
        match event::parse(event) {
            Ok(_) => {}
            Err(e) => prop_assert!(e.to_string().starts_with("invalid event: "), "{}", e),
        }
    }

    #[test]
    fn accepted_addresses_meet_the_stated_rules(raw in ".{0,80}") {
        check_address(&raw)?;
    }

    #[test]
    fn accepted_address_like_strings_meet_the_stated_rules(
        raw in "[ \"<>,;=?%!\\r\\na-zA-Z0-9.+_@-]{0,30}@[a-zA-Z0-9._@-]{0,20}",
    ) {
        check_address(&raw)?;
    }

    #[test]
    fn plain_addresses_are_accepted(local in "[a-z0-9]{1,20}([.+_-][a-z0-9]{1,10})?", domain in "[a-z0-9]{1,20}\\.[a-z]{2,6}") {
        let raw = format!("{local}@{domain}");
        prop_assert_eq!(address::parse(&raw).map(|a| a.as_str().to_string()), Ok(raw));
    }
}

/// The rules of `address::parse`, checked on whatever it accepts.
fn check_address(raw: &str) -> Result<(), TestCaseError> {
    if let Ok(a) = address::parse(raw) {
        let s = a.as_str();
        prop_assert!(s.is_ascii(), "{:?}", s);
        prop_assert!(s.len() <= 254, "{:?}", s);
        prop_assert_eq!(s.matches('@').count(), 1, "{:?}", s);
        let (local, domain) = s.split_once('@').unwrap();
        prop_assert!(!local.is_empty() && local.len() <= 64, "{:?}", s);
        prop_assert!(domain.contains('.'), "{:?}", s);
        prop_assert_eq!(domain, domain.to_ascii_lowercase());
        prop_assert!(
            !s.chars().any(|c| c.is_control() || c.is_whitespace()),
            "{:?}",
            s
        );
        prop_assert!(!s.contains(['<', '>', '"', ',', ';', '[', ']']), "{:?}", s);
        prop_assert!(!s.contains("=?"), "{:?}", s);
        prop_assert!(!local.contains(['%', '!']), "a relay route: {:?}", s);
        // The domain is a hostname: LDH labels, a top-level label of letters.
        for label in domain.split('.') {
            prop_assert!(!label.is_empty() && label.len() <= 63, "{:?}", s);
            prop_assert!(
                label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
                "{:?}",
                s
            );
            prop_assert!(!label.starts_with('-') && !label.ends_with('-'), "{:?}", s);
        }
        let top = domain.rsplit('.').next().unwrap();
        prop_assert!(
            top.bytes().all(|b| b.is_ascii_alphabetic()) || top.starts_with("xn--"),
            "{:?}",
            s
        );
        prop_assert!(
            !raw.chars().any(char::is_control),
            "{:?} had a control character",
            raw
        );
        // Validation is stable: an accepted address is accepted as it is.
        prop_assert_eq!(address::parse(s), Ok(a.clone()));
    }
    Ok(())
}

mod enforcement {
    //! Enforcement, over arbitrary keys, ages, ledgers, exemptions and
    //! settings: the pure verdict and a whole sweep over the in-memory
    //! adapters. Never a deactivation of a key that is not past its
    //! enforcement date, of a key without a warning old enough, of an
    //! exempt user's key, or beyond the cap; never a delete (the directory
    //! has no such call: only UpdateAccessKey to Inactive is counted).

    use std::collections::HashMap;

    use access_key_notifier::clock::FixedClock;
    use access_key_notifier::config::Config;
    use access_key_notifier::decision::due_keys;
    use access_key_notifier::enforcement::{EnforceMode, Enforcement, Warning, judge};
    use access_key_notifier::flow::sweep::{self, Run};
    use access_key_notifier::flow::{Deps, Invocation};
    use access_key_notifier::model::KeyVerdict;
    use access_key_notifier::model::LastUsed;
    use access_key_notifier::model::{AccessKey, Stage};
    use access_key_notifier::ports::MemoryPorts;
    use access_key_notifier::ports::exemptions::Exemptions;
    use access_key_notifier::ports::ledger::{NoticeKey, SentRecord};
    use access_key_notifier::ports::memory::accounts::MemoryAccounts;
    use access_key_notifier::ports::memory::exemptions::MemoryExemptionSource;
    use access_key_notifier::ports::memory::ledger::{Entry, MemoryLedger};
    use access_key_notifier::ports::memory::mailer::MemoryMailer;
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn policy() -> access_key_notifier::decision::Policy {
        Config::from_lookup(|k| (k == "SENDER_ADDRESS").then(|| "n@example.com".into()))
            .unwrap()
            .policy
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Enforcement rules 2 to 6: a key is deactivated only from its
        /// enforcement date, never before the latest date announced to its
        /// owner, never without a warning about this very key that is
        /// ENFORCE_MIN_WARNING_DAYS × 24 hours old; a user the notice
        /// cannot reach is never given a final warning; every date a
        /// notice states is one the key is really safe until.
        #[test]
        fn a_deactivation_keeps_every_promise(
            age in 0i64..400,
            warned_hours_ago in proptest::option::of(0i64..4800),
            announced_in in -60i64..60,
            same_key in any::<bool>(),
            reaches_owner in any::<bool>(),
            grace in 0u32..30,
            min in 0u32..10,
        ) {
            let policy = policy();
            let key = AccessKey { id: "AKIAIOSFODNN7EXAMPLE".into(), active: true, created: now() - Duration::days(age), last_used: None };
            let Some(due) = due_keys(&policy, &[key], now()).pop() else { return Ok(()) };
            let settings = Enforcement { mode: EnforceMode::On, grace_days: grace, min_warning_days: min, max_per_day: 10, ..Enforcement::off() };
            let today = policy.date_of(now());
            let warning = warned_hours_ago.map(|h| Warning {
                key_created: if same_key { due.created } else { due.created - Duration::seconds(1) },
                first_sent: now() - Duration::hours(h),
                announced: today + Duration::days(announced_in),
            });
            let counted = warning.filter(|_| same_key);
            match judge(&settings, &due, warning, reaches_owner, now(), policy.time_zone) {
                KeyVerdict::Deactivate => {
                    prop_assert!(today >= settings.enforcement_date(&due));
                    prop_assert!(due.days.overdue() > grace);
                    let w = counted.expect("a warning about this key");
                    prop_assert!(today >= w.announced, "before the announced {}", w.announced);
                    prop_assert!(now() - w.first_sent >= Duration::hours(24 * i64::from(min)));
                }
                KeyVerdict::FinalWarning { from } => {
                    prop_assert!(reaches_owner, "a final warning nobody receives");
                    prop_assert!(counted.is_none());
                    prop_assert!(from >= settings.enforcement_date(&due));
                    prop_assert!(from >= policy.date_of(now() + Duration::hours(24 * i64::from(min))));
                }
                KeyVerdict::Wait { from } => {
                    prop_assert!(from >= settings.enforcement_date(&due));
                    if let Some(w) = counted {
                        prop_assert!(from >= w.announced, "a date earlier than announced");
                    }
                }
                KeyVerdict::NoOneToWarn => {
                    prop_assert!(!reaches_owner && counted.is_none());
                    prop_assert!(today >= settings.enforcement_date(&due));
                }
                // Only the pipeline's cap holds a key.
                KeyVerdict::HeldByCap => prop_assert!(false, "judge never holds a key"),
                // Only rotation's rule waits for a new key.
                KeyVerdict::AwaitingNewKeyUse => prop_assert!(false, "judge never awaits a new key"),
            }
        }
    }

    /// One generated user: key ages, whether the exemption tag or the list
    /// exempts them, how many days ago their first key was warned, and
    /// whether their name passes to a newcomer (with a key as old as their
    /// first) right after the sweep first reads them.
    #[derive(Debug, Clone)]
    struct Person {
        ages: Vec<i64>,
        tag: Option<i64>,
        listed: bool,
        warned_days_ago: Option<i64>,
        handed_over: bool,
    }

    fn person() -> impl Strategy<Value = Person> {
        (
            prop::collection::vec(0i64..300, 0..3),
            proptest::option::of(-20i64..20),
            any::<bool>(),
            proptest::option::of(0i64..60),
            prop::bool::weighted(0.2),
        )
            .prop_map(|(ages, tag, listed, warned_days_ago, handed_over)| Person {
                ages,
                tag,
                listed,
                warned_days_ago,
                handed_over,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Two sweeps at once, over users exempt or not, warned or not,
        /// some of whose names pass to another user mid-sweep: together
        /// they never deactivate past the day's cap, never an exempt
        /// user's key, never one without a counted warning old enough,
        /// never a key through a name that belongs to another user, and
        /// change nothing but the status of the keys they deactivate.
        #[test]
        fn a_sweep_never_touches_what_it_must_not(
            people in prop::collection::vec(person(), 1..8),
            grace in 0u32..10,
            min in 0u32..6,
            cap in 1u32..4,
        ) {
            let (grace_s, min_s, cap_s) = (grace.to_string(), min.to_string(), cap.to_string());
            let vars: HashMap<&str, &str> = HashMap::from([
                ("SENDER_ADDRESS", "n@example.com"),
                ("LEDGER_TABLE", "t-1"),
                ("ENFORCE", "true"),
                ("ENFORCE_GRACE_DAYS", grace_s.as_str()),
                ("ENFORCE_MIN_WARNING_DAYS", min_s.as_str()),
                ("ENFORCE_MAX_PER_DAY", cap_s.as_str()),
                ("EXEMPT_TAG", "Exempt"),
                ("EXEMPT_USERS_PARAMETER", "/akn/exempt"),
            ]);
            let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
            let policy = config.policy.clone();
            let listed: Vec<String> = people.iter().enumerate().filter(|(_, p)| p.listed).map(|(i, _)| format!("u{i}")).collect();
            let deps: Deps<MemoryPorts> = Deps {
                config,
                accounts: MemoryAccounts::new(),
                mailer: MemoryMailer::new(),
                ledger: Some(MemoryLedger::new()),
                clock: FixedClock::at(now()),
                exemptions: Exemptions::new(Some(MemoryExemptionSource::new(&listed.join(",")))),
                queue: None,
                chat: None,
            };
            let today = policy.date_of(now());
            let mut keys_of = HashMap::new();
            for (i, p) in people.iter().enumerate() {
                let name = format!("u{i}");
                let tag = p.tag.map(|d| (today + Duration::days(d)).format("%Y-%m-%d").to_string());
                let mut tags = vec![("Email", "owner@example.com")];
                if let Some(t) = &tag { tags.push(("Exempt", t.as_str())); }
                let keys: Vec<(AccessKey, LastUsed)> = p.ages.iter().enumerate().map(|(k, age)| (AccessKey {
                    id: format!("AKIA{i:08}{k:08}"),
                    active: true,
                    created: now() - Duration::days(*age),
                    last_used: None,
                }, LastUsed::default())).collect();
                if let (Some(days), Some((first, _))) = (p.warned_days_ago, keys.first()) {
                    let sent_at = now() - Duration::days(days);
                    let ledger = deps.ledger.as_ref().unwrap();
                    ledger.put(
                        NoticeKey { account: "123456789012".into(), access_key_id: first.id.clone(), stage: Stage::Tier(14) },
                        Entry::Sent(SentRecord { user: name.clone(), source: "sweep".into(), message_id: None, sent_at, expires_at: sent_at + Duration::days(400) }),
                    );
                    ledger.put_warning("123456789012", &first.id, Warning { key_created: first.created, first_sent: sent_at, announced: policy.date_of(sent_at) }, sent_at + Duration::days(400));
                }
                keys_of.insert(name.clone(), (p.clone(), keys.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(), tag.is_some() && p.tag.unwrap() >= 0));
                deps.accounts.add_user(&format!("AIDA{i:017}"), &name, &tags, keys.clone());
                if p.handed_over {
                    // IAM's key ids are unique: the newcomer's key is its own,
                    // as old as the first key of the user it replaces.
                    let newcomer: Vec<(AccessKey, LastUsed)> = keys
                        .iter()
                        .take(1)
                        .map(|(k, used)| (AccessKey { id: format!("AKIANEW{i:013}"), ..k.clone() }, used.clone()))
                        .collect();
                    deps.accounts.hand_name_over_after_get(&name, &format!("{name}-renamed"), &format!("AIDANEW{i:014}"), &[("Email", "new@example.com")], newcomer);
                }
            }
            // Every read takes a moment, so the two sweeps interleave.
            deps.accounts.script.slow("ListAccessKeys", std::time::Duration::from_millis(1));
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
            let (one, other) = (Invocation::local(), Invocation::local());
            let (a, b) = rt.block_on(async {
                tokio::join!(
                    sweep::run(&deps, &one, None, Run::Sweep),
                    sweep::run(&deps, &other, None, Run::Sweep),
                )
            });
            let (a, b) = (a.unwrap(), b.unwrap());

            let done = deps.accounts.deactivated();
            prop_assert!(done.len() <= cap as usize, "{} past a cap of {cap}", done.len());
            prop_assert_eq!(deps.accounts.script.count("UpdateAccessKey") as usize, done.len());
            let reported = a.enforcement.as_ref().unwrap().deactivated + b.enforcement.as_ref().unwrap().deactivated;
            prop_assert_eq!(reported, done.len());
            for (user, key_id) in &done {
                let (p, keys, tag_exempt) = &keys_of[user];
                prop_assert!(!p.listed && !tag_exempt, "{user} is exempt");
                prop_assert!(!p.handed_over, "{user}'s name belongs to another user");
                let key = keys.iter().find(|k| &k.id == key_id).expect("one of the user's keys");
                let due = due_keys(&policy, std::slice::from_ref(key), now()).pop().expect("a due key");
                prop_assert!(due.days.overdue() > grace, "{key_id} is not past its grace");
                // The warning it relied on: seeded, or (with no minimum
                // wait) the final warning the other sweep had just sent.
                let warning = deps.ledger.as_ref().unwrap().warning_of("123456789012", key_id);
                let w = warning.expect("a counted warning");
                prop_assert!(now() - w.first_sent >= Duration::hours(24 * i64::from(min)), "warning too young");
                prop_assert!(w.announced <= today, "before the announced {}", w.announced);
                if min > 0 {
                    prop_assert_eq!(&keys[0].id, key_id, "only the warned key has a warning");
                }
            }
            // Every key not deactivated is as it was (a handed-over user's
            // keys are read under the new name).
            for (user, (p, keys, _)) in &keys_of {
                let user = &if p.handed_over { format!("{user}-renamed") } else { user.clone() };
                for (now_key, before) in deps.accounts.keys_of(user).iter().zip(keys) {
                    let touched = done.iter().any(|(u, k)| u == user && *k == before.id);
                    prop_assert_eq!(now_key.active, !touched);
                    prop_assert_eq!(&now_key.id, &before.id);
                }
            }
        }
    }
}

/// The unused-key policy's rules (`src/unused.rs`), over any setting, key
/// age, last use and activity.
mod unused_keys {
    use access_key_notifier::config::Config;
    use access_key_notifier::decision::{Policy, due_keys};
    use access_key_notifier::enforcement::{EnforceMode, Enforcement, Warning, judge};
    use access_key_notifier::model::KeyVerdict;
    use access_key_notifier::model::{AccessKey, LastUsed, Stage};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
    }

    fn policy(unused_key_days: u32) -> Policy {
        let p = Config::from_lookup(|k| (k == "SENDER_ADDRESS").then(|| "n@example.com".into()))
            .unwrap()
            .policy;
        Policy {
            unused_key_days,
            max_key_age_days: 3650,
            ..p
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A key is listed as unused only when it is active, IAM says when
        /// (or that it never) was used, and that is at least the setting's
        /// days ago; its stage names the period's start, and a key used
        /// again has a later start (a new stage).
        #[test]
        fn a_key_is_unused_only_when_active_and_idle_for_the_whole_period(
            days in 0u32..400,
            age in 0i64..800,
            used_days_ago in proptest::option::of(0i64..800),
            known in any::<bool>(),
            active in any::<bool>(),
            used_again_days_ago in 0i64..800,
        ) {
            let used = |ago: Option<i64>| LastUsed { time: ago.map(|d| now() - Duration::days(d.min(age))), service: None, region: None };
            let key = |last: LastUsed| AccessKey {
                id: "AKIAIOSFODNN7EXAMPLE".into(),
                active,
                created: now() - Duration::days(age),
                last_used: known.then_some(last),
            };
            let p = policy(days);
            let listed = due_keys(&p, &[key(used(used_days_ago))], now());
            let idle = used_days_ago.map_or(age, |d| d.min(age));
            let unused = listed.iter().find(|k| k.unused.is_some());
            if days == 0 || !active || !known || idle < i64::from(days) {
                prop_assert!(unused.is_none(), "{listed:?}");
            } else {
                let k = unused.expect("an idle active key is unused");
                let u = k.unused.as_ref().unwrap();
                prop_assert_eq!(i64::from(u.days), idle);
                prop_assert_eq!(k.stage, Stage::Unused(u.since));
                // Used again since: listed no more, or from a later start.
                let again = used_again_days_ago.min(idle);
                if again < idle {
                    let later = due_keys(&p, &[key(used(Some(again)))], now());
                    match later.iter().find_map(|k| k.unused.as_ref()) {
                        None => prop_assert!(again < i64::from(days)),
                        Some(v) => prop_assert!(v.since > u.since),
                    }
                }
            }
        }

        /// Enforcement of unused keys keeps the age policy's promises: a
        /// key is deactivated only from the date it became unused plus the
        /// grace days, never before the latest date announced, never
        /// without a warning about this very unused period that is old
        /// enough; a warning about an earlier period (the key was used
        /// since) never counts.
        #[test]
        fn an_unused_key_is_deactivated_only_as_promised(
            idle in 90i64..400,
            warned_hours_ago in proptest::option::of(0i64..4800),
            announced_in in -60i64..60,
            same_period in any::<bool>(),
            grace in 0u32..30,
            min in 0u32..10,
        ) {
            let p = policy(90);
            let key = AccessKey {
                id: "AKIAIOSFODNN7EXAMPLE".into(),
                active: true,
                created: now() - Duration::days(500),
                last_used: Some(LastUsed { time: Some(now() - Duration::days(idle)), service: None, region: None }),
            };
            let due = due_keys(&p, &[key], now()).pop().expect("an idle key is listed");
            let u = due.unused_period().expect("listed for its unused period").clone();
            let settings = Enforcement { unused_mode: EnforceMode::On, grace_days: grace, min_warning_days: min, ..Enforcement::off() };
            let today = p.date_of(now());
            let subject = if same_period { due.warning_subject() } else { due.warning_subject() - Duration::days(1) };
            let warning = warned_hours_ago.map(|h| Warning {
                key_created: subject,
                first_sent: now() - Duration::hours(h),
                announced: today + Duration::days(announced_in),
            });
            if let KeyVerdict::Deactivate = judge(&settings, &due, warning, true, now(), p.time_zone) {
                prop_assert!(same_period, "a warning about another period counted");
                let w = warning.unwrap();
                prop_assert!(today >= u.from + Duration::days(i64::from(grace)));
                prop_assert!(today >= w.announced);
                prop_assert!(now() - w.first_sent >= Duration::hours(24 * i64::from(min)));
            }
        }
    }
}
