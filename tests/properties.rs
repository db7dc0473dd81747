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
