//! The deployment template gives the Config rules and the function the same
//! rules and thresholds: one source of truth, checked by evaluating the
//! template and feeding the function's environment to its own parser.

mod common;

use std::collections::BTreeSet;
use std::collections::HashMap;
use std::process::Command;

use access_key_notifier::config::Config;
use common::{manifest_dir, python};
use serde_json::{Value, json};

fn render(params: Value) -> Value {
    let out = Command::new(python())
        .arg(manifest_dir().join("tests/infra/render_template.py"))
        .arg(manifest_dir().join("infra/template.yaml"))
        .arg(params.to_string())
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

/// Checks one parameter set; returns (rule name, maxAccessKeyAge, tier days).
fn check(params: Value) -> Vec<(String, u32, u32)> {
    let t = render(params);
    let env: HashMap<String, String> = serde_json::from_value(t["function_env"].clone()).unwrap();
    let config = Config::from_lookup(|k| env.get(k).cloned())
        .unwrap_or_else(|e| panic!("the function would not start: {e}"));
    let max_age = config.policy.max_key_age_days;
    assert!(
        config.ledger_table.is_some(),
        "the deployed function keeps the notice ledger"
    );

    let rules = t["config_rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        config.policy.notice_rules.len(),
        "one Config rule per tier"
    );
    let mut seen = Vec::new();
    for rule in rules {
        assert_eq!(rule["source"], "ACCESS_KEYS_ROTATED");
        let name = rule["name"].as_str().unwrap().to_string();
        let age = rule["max_access_key_age"].as_u64().unwrap() as u32;
        let tier = config
            .policy
            .tier_for_rule(&name)
            .unwrap_or_else(|| panic!("Config rule {name} is not in NOTICE_RULES"));
        assert_eq!(
            age + tier,
            max_age,
            "{name}: maxAccessKeyAge {age} + tier {tier} != {max_age}"
        );
        seen.push((name, age, tier));
    }
    let pattern: BTreeSet<String> = serde_json::from_value(t["pattern_rules"].clone()).unwrap();
    let named: BTreeSet<String> = seen.iter().map(|(n, _, _)| n.clone()).collect();
    assert_eq!(
        pattern, named,
        "the EventBridge pattern names exactly the notice rules"
    );
    seen
}

fn required() -> Value {
    json!({"SenderAddress": "key-notices@example.com", "SesIdentityName": "example.com"})
}

#[test]
fn default_parameters_agree() {
    let rules = check(required());
    assert_eq!(
        rules,
        vec![
            ("akn-access-keys-rotated-14d".to_string(), 76, 14),
            ("akn-access-keys-rotated-7d".to_string(), 83, 7),
        ]
    );
}

#[test]
fn other_parameters_agree() {
    let mut params = required();
    params["MaxKeyAgeDays"] = json!("180");
    params["FirstNoticeDays"] = json!("30");
    params["SecondNoticeDays"] = json!("3");
    let rules = check(params);
    assert_eq!(
        rules,
        vec![
            ("akn-access-keys-rotated-30d".to_string(), 150, 30),
            ("akn-access-keys-rotated-3d".to_string(), 177, 3),
        ]
    );
}

#[test]
fn every_rule_age_entry_is_the_deadline_minus_the_notice() {
    let t = render(required());
    let table = t["rule_age"].as_object().unwrap();
    let mut entries = 0;
    for (max, row) in table {
        let max: u32 = max.parse().unwrap();
        let row = row.as_object().unwrap();
        assert_eq!(row.len(), 30, "notice days 1 to 30 for {max}");
        for (days, age) in row {
            let days: u32 = days.parse().unwrap();
            let age: u32 = age.as_str().unwrap().parse().unwrap();
            assert_eq!(age, max - days, "RuleAge[{max}][{days}]");
            entries += 1;
        }
    }
    assert_eq!(entries, 6 * 30);
}
