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
    render_file("infra/template.yaml", params)
}

/// The member StackSet's template (Organizations).
fn render_member(params: Value) -> Value {
    render_file("infra/member.yaml", params)
}

fn render_file(template: &str, params: Value) -> Value {
    let out = Command::new(python())
        .arg(manifest_dir().join("tests/infra/render_template.py"))
        .arg(manifest_dir().join(template))
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

    let (unused, rules): (Vec<&Value>, Vec<&Value>) = t["config_rules"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|r| r["source"] == "IAM_USER_UNUSED_CREDENTIALS_CHECK");
    assert_eq!(
        rules.len(),
        config.policy.notice_rules.len(),
        "one Config rule per tier"
    );
    let unused_names = unused_rules_agree(&config, &unused);
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
    let mut named: BTreeSet<String> = seen.iter().map(|(n, _, _)| n.clone()).collect();
    named.extend(unused_names);
    assert_eq!(
        pattern, named,
        "the EventBridge pattern names exactly the notice rules"
    );
    seen
}

/// The unused-credentials rules (at most one) count by the function's
/// UNUSED_KEY_DAYS and are its UNUSED_RULES; returns their names.
fn unused_rules_agree(config: &Config, unused: &[&Value]) -> Vec<String> {
    let names: Vec<String> = unused
        .iter()
        .map(|r| {
            assert_eq!(
                r["max_credential_usage_age"].as_u64().unwrap() as u32,
                config.policy.unused_key_days,
                "{r}"
            );
            r["name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(
        names, config.policy.unused_rules,
        "UNUSED_RULES names the rule"
    );
    assert!(names.len() <= 1);
    names
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

#[test]
fn the_schedule_sends_a_scheduled_event_for_this_account_and_may_invoke_this_function_only() {
    let t = render(required());
    let input: Value = serde_json::from_str(t["schedule_input"].as_str().unwrap()).unwrap();
    assert!(
        access_key_notifier::event::is_scheduled(&input),
        "the function sweeps on it: {input}"
    );
    assert_eq!(input["account"], "123456789012");
    match access_key_notifier::event::parse(input).unwrap() {
        access_key_notifier::event::Parsed::Scheduled { account, .. } => {
            assert_eq!(account.as_deref(), Some("123456789012"))
        }
        other => panic!("{other:?}"),
    }

    let r = &t["resources"];
    let schedule = &r["SweepSchedule"]["Properties"];
    assert_eq!(
        schedule["Target"]["Arn"],
        json!({"Fn::GetAtt": ["Function", "Arn"]})
    );
    assert_eq!(
        schedule["ScheduleExpression"],
        json!({"Fn::Sub": "cron(${SweepMinute} ${SweepHour} * * ? *)"})
    );
    let role = &r["SweepScheduleRole"]["Properties"];
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
        "scheduler.amazonaws.com"
    );
    let policies = role["Policies"].as_array().unwrap();
    assert_eq!(policies.len(), 1);
    let statements = policies[0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap();
    assert_eq!(
        statements,
        &vec![json!({"Effect": "Allow", "Action": "lambda:InvokeFunction",
                      "Resource": {"Fn::GetAtt": ["Function", "Arn"]}})]
    );
}

#[test]
fn the_function_reserves_no_concurrency_unless_asked_and_widens_ses_only_in_the_sandbox() {
    let t = render(required());
    let f = &t["resources"]["Function"]["Properties"];
    assert_eq!(
        f["ReservedConcurrentExecutions"],
        json!({"Fn::If": ["HasReservedConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]})
    );
    let env: HashMap<String, String> = serde_json::from_value(t["function_env"].clone()).unwrap();
    assert_eq!(env["OVERDUE_REMINDER_DAYS"], "7");
    assert_eq!(env["SWEEP_CONCURRENCY"], "8");
    assert_eq!(env["DIGEST_RECIPIENTS"], "");

    let policies = t["resources"]["FunctionRole"]["Properties"]["Policies"]
        .as_array()
        .unwrap();
    let send = policies
        .iter()
        .find(|p| p["PolicyName"] == "send-notices")
        .unwrap();
    let statement = &send["PolicyDocument"]["Statement"][0];
    assert_eq!(statement["Action"], "ses:SendEmail");
    assert_eq!(
        statement["Condition"]["StringEquals"]["ses:FromAddress"],
        json!({"Ref": "SenderAddress"})
    );
    let conditions: Vec<&Value> = statement["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r.get("Fn::If").map(|i| &i[0]))
        .collect();
    assert_eq!(
        conditions,
        [&json!("HasConfigurationSet"), &json!("InSesSandbox")]
    );
}

/// Every (action, resources) the function's role allows.
fn allowed(t: &Value) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    for policy in t["role_policies"].as_array().unwrap() {
        for statement in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            assert_eq!(statement["Effect"], "Allow");
            let as_list = |v: &Value| -> Vec<String> {
                match v {
                    Value::String(s) => vec![s.clone()],
                    Value::Array(a) => a.iter().map(|s| s.as_str().unwrap().to_string()).collect(),
                    other => panic!("unexpected {other}"),
                }
            };
            for action in as_list(&statement["Action"]) {
                out.push((action, as_list(&statement["Resource"])));
            }
        }
    }
    out
}

fn with(extra: Value) -> Value {
    let mut params = required();
    params
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    params
}

#[test]
fn update_access_key_exists_only_when_enforcement_acts_and_the_parameter_is_the_only_one_readable()
{
    let never = ["iam:DeleteAccessKey", "iam:CreateAccessKey", "iam:*", "*"];
    for (enforce, enforce_unused, parameter) in [
        ("false", "false", ""),
        ("dry_run", "false", "/akn/exempt-users"),
        ("true", "false", ""),
        ("false", "dry_run", ""),
        ("dry_run", "true", ""),
    ] {
        let t = render(with(json!({
            "EnforceDeadline": enforce,
            "EnforceUnused": enforce_unused,
            "UnusedKeyDays": if enforce_unused == "false" { "0" } else { "90" },
            "ExemptUsersParameter": parameter,
        })));
        let acts = enforce == "true" || enforce_unused == "true";
        let allowed = allowed(&t);
        let update: Vec<&(String, Vec<String>)> = allowed
            .iter()
            .filter(|(a, _)| a == "iam:UpdateAccessKey")
            .collect();
        let counter: Vec<&(String, Vec<String>)> = allowed
            .iter()
            .filter(|(a, _)| a == "dynamodb:UpdateItem")
            .collect();
        if acts {
            assert_eq!(
                update,
                vec![&(
                    "iam:UpdateAccessKey".to_string(),
                    vec!["arn:aws:iam::123456789012:user/*".to_string()]
                )]
            );
            assert_eq!(counter.len(), 1, "the daily cap's counter: {counter:?}");
        } else {
            assert!(update.is_empty(), "{enforce}: {update:?}");
            assert!(counter.is_empty(), "{enforce}: {counter:?}");
        }
        let ssm: Vec<&(String, Vec<String>)> = allowed
            .iter()
            .filter(|(a, _)| a.starts_with("ssm:"))
            .collect();
        if parameter.is_empty() {
            assert!(ssm.is_empty(), "{ssm:?}");
        } else {
            assert_eq!(
                ssm,
                vec![&(
                    "ssm:GetParameter".to_string(),
                    vec![
                        "arn:aws:ssm:ap-northeast-1:123456789012:parameter/akn/exempt-users"
                            .to_string()
                    ]
                )]
            );
        }
        for (action, _) in &allowed {
            assert!(!never.contains(&action.as_str()), "{enforce}: {action}");
        }
        // The function starts with what the template gives it.
        let env: HashMap<String, String> =
            serde_json::from_value(t["function_env"].clone()).unwrap();
        let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        assert_eq!(config.enforcement_acts(), acts);
        assert_eq!(
            config.exempt_users_parameter.as_deref(),
            Some(parameter).filter(|p| !p.is_empty())
        );
    }
}

/// The central stack (`central` parameters) and the member StackSet
/// (`member`) agree: rule names and thresholds, the bus, the role names and
/// the one principal the member role trusts. Returns the member's rules.
fn organization_agrees(central: Value, member: Value) -> Vec<(String, u32, u32)> {
    let c = render(central.clone());
    let m = render_member(member.clone());
    // The central function starts, in Organizations mode.
    let env: HashMap<String, String> = serde_json::from_value(c["function_env"].clone()).unwrap();
    let config = Config::from_lookup(|k| env.get(k).cloned())
        .unwrap_or_else(|e| panic!("the function would not start: {e}"));
    let org = config.organization.as_ref().expect("Organizations mode");
    assert!(
        c["config_rules"].as_array().unwrap().is_empty(),
        "rules live in member accounts"
    );

    // Rules: every member rule is one of NOTICE_RULES, at its threshold.
    let (unused, member_rules): (Vec<&Value>, Vec<&Value>) = m["config_rules"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|r| r["source"] == "IAM_USER_UNUSED_CREDENTIALS_CHECK");
    let unused_names = unused_rules_agree(&config, &unused);
    let mut rules = Vec::new();
    for rule in member_rules {
        let name = rule["name"].as_str().unwrap().to_string();
        let age = rule["max_access_key_age"].as_u64().unwrap() as u32;
        let tier = config
            .policy
            .tier_for_rule(&name)
            .unwrap_or_else(|| panic!("member rule {name} is not in the central NOTICE_RULES"));
        assert_eq!(age + tier, config.policy.max_key_age_days, "{name}");
        rules.push((name, age, tier));
    }
    assert_eq!(rules.len(), config.policy.notice_rules.len());
    assert_eq!(c["rule_age"], m["rule_age"], "one RuleAge mapping");

    // Events: the member forwards exactly those rules to the central bus,
    // where the central rule listens for exactly those rules.
    let mut names: BTreeSet<String> = rules.iter().map(|(n, _, _)| n.clone()).collect();
    names.extend(unused_names);
    let forward = &m["event_rules"][0];
    let central_rule = &c["event_rules"][0];
    let as_set = |v: &Value| -> BTreeSet<String> { serde_json::from_value(v.clone()).unwrap() };
    assert_eq!(as_set(&forward["pattern_rules"]), names);
    assert_eq!(as_set(&central_rule["pattern_rules"]), names);
    let bus = central_rule["bus"]
        .as_str()
        .expect("the central rule is on the custom bus");
    assert_eq!(
        forward["targets"],
        json!([format!(
            "arn:aws:events:ap-northeast-1:123456789012:event-bus/{bus}"
        )])
    );
    assert_eq!(
        c["bus_policy"]["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        central["OrganizationId"]
    );

    // Roles: the member role is the one the function assumes, and trusts
    // the function's role and nothing else.
    let member_role = &m["roles"]["MemberRole"];
    assert_eq!(member_role["name"].as_str(), Some(org.member_role.as_str()));
    let function_role = c["roles"]["FunctionRole"]["name"].as_str().unwrap();
    assert_eq!(
        member_role["trusted"],
        json!([{"AWS": format!("arn:aws:iam::123456789012:role/{function_role}")}])
    );
    let central_may = allowed(&c);
    // The central role reads and changes no IAM of its own: every account,
    // its own included, is read through a member role.
    let own_iam: Vec<&(String, Vec<String>)> = central_may
        .iter()
        .filter(|(a, _)| a.starts_with("iam:"))
        .collect();
    assert!(own_iam.is_empty(), "{own_iam:?}");
    assert!(central_may.contains(&(
        "sts:AssumeRole".to_string(),
        vec![format!("arn:aws:iam::*:role/{}", org.member_role)]
    )));
    // The member role reads, and deactivates only with enforcement on.
    let member_may: Vec<String> = allowed(&json!({"role_policies": member_role["policies"]}))
        .into_iter()
        .map(|(action, _)| action)
        .collect();
    let mut expected = vec![
        "iam:ListUsers",
        "iam:ListAccountAliases",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetUser",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
    ];
    let member_rotates = member["RotateKeys"] == "true";
    let member_acts =
        member["EnforceDeadline"] == "true" || member["EnforceUnused"] == "true" || member_rotates;
    let member_watches_passwords = member["PasswordNoticeDays"]
        .as_str()
        .is_some_and(|d| !d.is_empty())
        || member["UnusedPasswordDays"]
            .as_str()
            .is_some_and(|d| d != "0");
    if member_watches_passwords {
        expected.extend(["iam:GetAccountPasswordPolicy", "iam:GetLoginProfile"]);
    }
    let member_removes_passwords = member["EnforceUnusedPasswords"] == "true";
    if member_removes_passwords {
        expected.push("iam:DeleteLoginProfile");
    }
    let member_imports = member["SecurityHub"] == "true";
    if member_imports {
        expected.extend(["securityhub:BatchImportFindings", "securityhub:GetFindings"]);
    }
    assert_eq!(
        config.security_hub, member_imports,
        "central and member agree on Security Hub"
    );
    if member_acts {
        expected.push("iam:UpdateAccessKey");
    }
    if member_rotates {
        expected.extend(ROTATION_ACTIONS);
    }
    assert_eq!(
        config.policy.password_notice_days.is_empty() && config.policy.unused_password_days == 0,
        !member_watches_passwords,
        "central and member agree on console passwords"
    );
    assert_eq!(
        config.enforcement.password_mode == access_key_notifier::enforcement::EnforceMode::On,
        member_removes_passwords,
        "central and member agree on removing passwords"
    );
    assert_eq!(
        config.rotation.mode == access_key_notifier::enforcement::EnforceMode::On,
        member_rotates,
        "central and member agree on rotation"
    );
    if member_rotates {
        // Each member account's own key, by the alias the central function
        // names, used by the member role through Secrets Manager only.
        assert_eq!(
            config.rotation.kms_key_id.as_deref(),
            Some(format!("alias/{}", org.member_role).as_str())
        );
        assert!(
            m["existing"]
                .as_array()
                .unwrap()
                .contains(&json!("RotationKeyAlias"))
        );
        let policy = &m["kms_keys"]["RotationKey"]["Statement"][1];
        assert_eq!(policy["Principal"]["AWS"], "GETATT:MemberRole");
        assert!(
            c["kms_keys"].as_object().unwrap().is_empty(),
            "no central key"
        );
    }
    assert_eq!(member_may, expected);
    assert_eq!(
        config.enforcement_acts(),
        member_acts || member_removes_passwords,
        "central and member agree on enforcement"
    );
    rules
}

/// What rotation adds to a role, beside iam:UpdateAccessKey.
const ROTATION_ACTIONS: [&str; 5] = [
    "iam:CreateAccessKey",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:DescribeSecret",
    "secretsmanager:TagResource",
];

#[test]
fn rotation_writes_exist_only_with_rotate_true_and_only_for_tagged_users_and_the_prefix() {
    for (rotate, kms) in [
        ("false", ""),
        ("dry_run", ""),
        ("true", ""),
        ("true", "alias/team-secrets"),
    ] {
        let t = render(with(json!({"RotateKeys": rotate, "RotateKmsKeyId": kms})));
        let may = allowed(&t);
        let acts = rotate == "true";
        let rotation: Vec<&(String, Vec<String>)> = may
            .iter()
            .filter(|(a, _)| ROTATION_ACTIONS.contains(&a.as_str()))
            .collect();
        assert!(
            !may.iter().any(|(a, _)| a == "secretsmanager:GetSecretValue"
                || a == "iam:DeleteAccessKey"
                || a.starts_with("kms:")),
            "{rotate}: {may:?}"
        );
        let env: HashMap<String, String> =
            serde_json::from_value(t["function_env"].clone()).unwrap();
        let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
        let existing = t["existing"].as_array().unwrap();
        if !acts {
            assert!(rotation.is_empty(), "{rotate}: {rotation:?}");
            assert!(!existing.contains(&json!("RotationKey")));
            assert!(!existing.contains(&json!("RotationsFailedAlarm")));
            assert!(!config.enforcement_acts(), "{rotate}");
            continue;
        }
        assert_eq!(
            rotation
                .iter()
                .map(|(a, r)| (a.as_str(), r.clone()))
                .collect::<Vec<_>>(),
            vec![
                ("iam:CreateAccessKey", vec!["arn:aws:iam::123456789012:user/*".to_string()]),
                ("secretsmanager:CreateSecret", vec!["arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/*".to_string()]),
                ("secretsmanager:PutSecretValue", vec!["arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/*".to_string()]),
                ("secretsmanager:DescribeSecret", vec!["arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/*".to_string()]),
                ("secretsmanager:TagResource", vec!["arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:access-key-notifier/*".to_string()]),
            ]
        );
        // CreateAccessKey only for users tagged as the function's default
        // ROTATE_TAG says.
        let statement = t["role_policies"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["PolicyDocument"]["Statement"].as_array().unwrap())
            .find(|s| s["Action"] == "iam:CreateAccessKey")
            .unwrap();
        assert_eq!(
            statement["Condition"],
            json!({"StringEqualsIgnoreCase": {
                format!("iam:ResourceTag/{}", config.rotation.tag): access_key_notifier::rotation::TAG_VALUE
            }})
        );
        // Rotation retires old keys: the cap's counter and UpdateAccessKey.
        assert!(config.enforcement_acts());
        assert!(may.iter().any(|(a, _)| a == "iam:UpdateAccessKey"));
        assert!(existing.contains(&json!("RotationsFailedAlarm")));
        if kms.is_empty() {
            assert!(existing.contains(&json!("RotationKey")));
            assert_eq!(
                config.rotation.kms_key_id.as_deref(),
                Some("GETATT:RotationKey")
            );
            let policy = &t["kms_keys"]["RotationKey"]["Statement"];
            assert_eq!(policy[1]["Principal"]["AWS"], "GETATT:FunctionRole");
            assert_eq!(
                policy[1]["Action"],
                json!(["kms:GenerateDataKey", "kms:Decrypt"])
            );
            assert_eq!(
                policy[1]["Condition"]["StringEquals"]["kms:ViaService"],
                "secretsmanager.ap-northeast-1.amazonaws.com"
            );
        } else {
            assert!(!existing.contains(&json!("RotationKey")));
            assert_eq!(config.rotation.kms_key_id.as_deref(), Some(kms));
        }
    }
}

#[test]
fn central_and_member_templates_agree_on_console_passwords() {
    let (mut central, mut member) = organization_params();
    for (name, value) in [
        ("PasswordNoticeDays", "14,7"),
        ("UnusedPasswordDays", "90"),
        ("EnforceUnusedPasswords", "true"),
    ] {
        central[name] = json!(value);
        member[name] = json!(value);
    }
    organization_agrees(central, member);
}

/// Console passwords: their policy and login profiles readable with either
/// setting on, DeleteLoginProfile only with EnforceUnusedPasswords=true, and
/// the daily cap's counter with it; no other password or user write ever.
#[test]
fn password_reads_exist_with_either_setting_and_delete_login_profile_only_when_removal_acts() {
    let never = [
        "iam:UpdateLoginProfile",
        "iam:CreateLoginProfile",
        "iam:DeleteUser",
        "iam:DeactivateMFADevice",
        "iam:DeleteAccessKey",
    ];
    for (notice, unused, enforce) in [
        ("", "0", "false"),
        ("14,7", "0", "false"),
        ("", "90", "false"),
        ("", "90", "dry_run"),
        ("14,7", "90", "true"),
    ] {
        let t = render(with(json!({
            "PasswordNoticeDays": notice,
            "UnusedPasswordDays": unused,
            "EnforceUnusedPasswords": enforce,
        })));
        let allowed = allowed(&t);
        let of = |action: &str| -> Vec<Vec<String>> {
            allowed
                .iter()
                .filter(|(a, _)| a == action)
                .map(|(_, r)| r.clone())
                .collect()
        };
        let watches = !notice.is_empty() || unused != "0";
        let users = vec![vec!["arn:aws:iam::123456789012:user/*".to_string()]];
        if watches {
            assert_eq!(
                of("iam:GetAccountPasswordPolicy"),
                vec![vec!["*".to_string()]]
            );
            assert_eq!(of("iam:GetLoginProfile"), users);
        } else {
            assert!(
                of("iam:GetAccountPasswordPolicy").is_empty(),
                "{notice}/{unused}"
            );
            assert!(of("iam:GetLoginProfile").is_empty(), "{notice}/{unused}");
        }
        if enforce == "true" {
            assert_eq!(of("iam:DeleteLoginProfile"), users);
            assert_eq!(
                of("dynamodb:UpdateItem").len(),
                1,
                "the daily cap's counter"
            );
        } else {
            assert!(of("iam:DeleteLoginProfile").is_empty(), "{enforce}");
            assert!(of("dynamodb:UpdateItem").is_empty(), "{enforce}");
        }
        for action in never {
            assert!(of(action).is_empty(), "{action} with {enforce}");
        }
        // And the function starts with what the template gives it.
        let env: HashMap<String, String> =
            serde_json::from_value(t["function_env"].clone()).unwrap();
        let config = Config::from_lookup(|k| env.get(k).cloned())
            .unwrap_or_else(|e| panic!("the function would not start: {e}"));
        assert_eq!(
            config.policy.password_notice_days.is_empty(),
            notice.is_empty()
        );
        assert_eq!(config.policy.unused_password_days.to_string(), unused);
    }
}

#[test]
fn central_and_member_templates_agree_on_rotation() {
    let (mut central, mut member) = organization_params();
    central["RotateKeys"] = json!("true");
    member["RotateKeys"] = json!("true");
    organization_agrees(central, member);
}

fn organization_params() -> (Value, Value) {
    let central = with(json!({"OrganizationId": "o-abcdef1234"}));
    let member = json!({"CentralAccountId": "123456789012", "CentralRegion": "ap-northeast-1"});
    (central, member)
}

#[test]
fn central_and_member_templates_agree_with_default_parameters() {
    let (central, member) = organization_params();
    let rules = organization_agrees(central, member);
    assert_eq!(
        rules,
        vec![
            (
                "access-key-notifier-access-keys-rotated-14d".to_string(),
                76,
                14
            ),
            (
                "access-key-notifier-access-keys-rotated-7d".to_string(),
                83,
                7
            ),
        ]
    );
}

#[test]
fn central_and_member_templates_agree_with_other_parameters() {
    let (mut central, mut member) = organization_params();
    for (name, value) in [
        ("MaxKeyAgeDays", "60"),
        ("FirstNoticeDays", "10"),
        ("SecondNoticeDays", "3"),
        ("RuleNamePrefix", "keys"),
        ("EventBusName", "keys-bus"),
        ("MemberRoleName", "keys-reader"),
        ("EnforceDeadline", "true"),
    ] {
        central[name] = json!(value);
        member[name] = json!(value);
    }
    central["FunctionRoleName"] = json!("keys-central");
    member["CentralFunctionRoleName"] = json!("keys-central");
    member["CentralEventBusName"] = json!("keys-bus");
    let rules = organization_agrees(central, member);
    assert_eq!(
        rules,
        vec![
            ("keys-access-keys-rotated-10d".to_string(), 50, 10),
            ("keys-access-keys-rotated-3d".to_string(), 57, 3),
        ]
    );
}

#[test]
fn a_single_account_stack_has_no_organization_part() {
    let t = render(required());
    let may = allowed(&t);
    // The sweep reads the account's credential report ("*": neither
    // action has resource-level permissions).
    for action in ["iam:GenerateCredentialReport", "iam:GetCredentialReport"] {
        assert!(
            may.contains(&(action.to_string(), vec!["*".to_string()])),
            "{action}: {may:?}"
        );
    }
    assert!(
        !may.iter().any(|(a, _)| a.starts_with("sts:")
            || a.starts_with("sqs:Receive")
            || a.starts_with("organizations:")),
        "{may:?}"
    );
    assert_eq!(t["function_env"]["MEMBER_ROLE_NAME"], "");
    assert_eq!(t["event_rules"][0]["bus"], Value::Null);
    assert!(t["bus_policy"].is_null());
    assert_eq!(t["roles"]["FunctionRole"]["name"], Value::Null);
}

#[test]
fn the_unused_key_policy_and_its_rule_come_from_one_parameter() {
    // Off by default: no rule, and the function counts no key unused.
    let off = render(required());
    assert_eq!(off["function_env"]["UNUSED_KEY_DAYS"], "0");
    assert_eq!(off["function_env"]["UNUSED_RULES"], "");

    // On: one iam-user-unused-credentials-check rule at the same days,
    // named in UNUSED_RULES and in the pattern (check() asserts both).
    let mut params = required();
    params["UnusedKeyDays"] = json!("120");
    check(params.clone());
    let on = render(params.clone());
    assert_eq!(on["function_env"]["UNUSED_KEY_DAYS"], "120");
    assert_eq!(
        on["function_env"]["UNUSED_RULES"],
        "akn-unused-credentials-120d"
    );

    // The sweep alone: the policy without the rule.
    params["UnusedKeyRule"] = json!("false");
    let sweep_only = render(params.clone());
    check(params);
    assert_eq!(sweep_only["function_env"]["UNUSED_RULES"], "");
    assert!(
        sweep_only["config_rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["source"] == "ACCESS_KEYS_ROTATED")
    );

    // Organizations: the member template carries the rule, the central
    // function names it, and both buses' patterns pass its events.
    let (mut central, mut member) = organization_params();
    for (name, value) in [("UnusedKeyDays", "90"), ("EnforceUnused", "true")] {
        central[name] = json!(value);
        member[name] = json!(value);
    }
    organization_agrees(central.clone(), member);
    assert_eq!(
        render(central)["function_env"]["UNUSED_RULES"],
        "access-key-notifier-unused-credentials-90d"
    );
}

#[test]
fn sns_publish_exists_only_with_chat_on_and_names_the_one_topic() {
    let publish = |t: &Value| -> Vec<(String, Vec<String>)> {
        allowed(t)
            .into_iter()
            .filter(|(a, _)| a.starts_with("sns:"))
            .collect()
    };
    let starts = |t: &Value| {
        let env: HashMap<String, String> =
            serde_json::from_value(t["function_env"].clone()).unwrap();
        Config::from_lookup(|k| env.get(k).cloned())
            .unwrap_or_else(|e| panic!("the function would not start: {e}"))
    };
    // Off: no topic, no permission, no variable.
    let off = render(required());
    assert!(publish(&off).is_empty(), "{:?}", publish(&off));
    assert_eq!(starts(&off).chat_topic_arn, None);
    assert!(
        off["roles"].get("ChatChannelRole").is_none(),
        "no channel made"
    );

    // An existing topic: Publish on it alone.
    let topic = "arn:aws:sns:ap-northeast-1:123456789012:security-chat";
    let existing = render(with(json!({"ChatTopicArn": topic})));
    assert_eq!(
        publish(&existing),
        vec![("sns:Publish".to_string(), vec![topic.to_string()])]
    );
    assert_eq!(starts(&existing).chat_topic_arn.as_deref(), Some(topic));

    // A Slack channel: the stack's encrypted topic, the channel's
    // configuration on it with the read-only guardrail, Publish on it alone.
    let slack = render(with(
        json!({"SlackWorkspaceId": "T0123ABCD", "SlackChannelId": "C0456EFGH"}),
    ));
    let made = "arn:aws:sns:ap-northeast-1:123456789012:akn-ChatTopic-GENERATED";
    assert_eq!(
        publish(&slack),
        vec![("sns:Publish".to_string(), vec![made.to_string()])]
    );
    assert_eq!(starts(&slack).chat_topic_arn.as_deref(), Some(made));
    let res = &slack["resources"];
    assert_eq!(
        res["ChatTopic"]["Properties"]["KmsMasterKeyId"],
        "alias/aws/sns"
    );
    let channel = &res["SlackChannel"]["Properties"];
    assert_eq!(channel["SlackChannelId"]["Ref"], "SlackChannelId");
    assert_eq!(channel["SnsTopicArns"], json!([{"Ref": "ChatTopic"}]));
    assert!(
        channel["GuardrailPolicies"]
            .to_string()
            .contains("ReadOnlyAccess")
    );
    assert!(
        slack["roles"]["ChatChannelRole"]["policies"]
            .as_array()
            .is_none_or(|p| p.is_empty()),
        "the channel's role may do nothing"
    );
    assert_eq!(res["SlackChannel"]["Condition"], "CreatesSlackChannel");

    // Teams the same way.
    let teams = render(with(json!({
        "TeamsTenantId": "01234567-89ab-cdef-0123-456789abcdef",
        "TeamsTeamId": "fedcba98-7654-3210-fedc-ba9876543210",
        "TeamsChannelId": "19:abc@thread.tacv2",
    })));
    assert_eq!(publish(&teams).len(), 1);
    assert_eq!(starts(&teams).chat_topic_arn.as_deref(), Some(made));
}

/// Access Analyzer's findings reach the function only with
/// UnusedAccessAnalyzer=true, in one account, for the policies that are on;
/// the pattern is what the function accepts (ACTIVE findings about users).
#[test]
fn the_access_analyzer_rule_exists_only_when_asked_and_names_the_policies_that_are_on() {
    let rule_of = |t: &Value| -> Option<Value> {
        t["event_rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["logical_id"] == "UnusedAccessFindingRule")
            .cloned()
    };
    assert!(rule_of(&render(with(json!({"UnusedKeyDays": "90"})))).is_none());
    assert!(
        rule_of(&render(with(json!({"UnusedAccessAnalyzer": "true"})))).is_none(),
        "no unused policy on"
    );
    for (keys, passwords, types) in [
        ("90", "0", json!(["UnusedIAMUserAccessKey"])),
        ("0", "90", json!(["UnusedIAMUserPassword"])),
        (
            "90",
            "90",
            json!(["UnusedIAMUserAccessKey", "UnusedIAMUserPassword"]),
        ),
    ] {
        let t = render(with(json!({
            "UnusedAccessAnalyzer": "true",
            "UnusedKeyDays": keys,
            "UnusedPasswordDays": passwords,
        })));
        let rule = rule_of(&t).expect("the Access Analyzer rule");
        assert_eq!(rule["pattern"]["source"], json!(["aws.access-analyzer"]));
        assert_eq!(
            rule["pattern"]["detail-type"],
            json!(["Unused Access Finding for IAM entities"])
        );
        assert_eq!(rule["pattern"]["detail"]["findingType"], types);
        assert_eq!(rule["pattern"]["detail"]["status"], json!(["ACTIVE"]));
        assert_eq!(rule["targets"], json!(["GETATT:Function"]));
    }
    let (mut central, _) = organization_params();
    central["UnusedAccessAnalyzer"] = json!("true");
    central["UnusedKeyDays"] = json!("90");
    assert!(rule_of(&render(central)).is_none(), "one account only");
}

/// Security Hub's calls exist only with SecurityHub=true: the import on the
/// account's default product alone; in Organizations mode in the member
/// roles only.
#[test]
fn security_hub_calls_exist_only_when_asked_and_import_into_the_default_product_only() {
    let of = |t: &Value, action: &str| -> Vec<Vec<String>> {
        allowed(t)
            .into_iter()
            .filter(|(a, _)| a == action)
            .map(|(_, r)| r)
            .collect()
    };
    let off = render(with(json!({})));
    assert!(
        allowed(&off)
            .iter()
            .all(|(a, _)| !a.starts_with("securityhub:"))
    );
    let on = render(with(json!({"SecurityHub": "true"})));
    assert_eq!(
        of(&on, "securityhub:BatchImportFindings"),
        vec![vec![
            "arn:aws:securityhub:ap-northeast-1:123456789012:product/123456789012/default"
                .to_string()
        ]]
    );
    assert_eq!(
        of(&on, "securityhub:GetFindings"),
        vec![vec!["*".to_string()]]
    );
    let env: HashMap<String, String> = serde_json::from_value(on["function_env"].clone()).unwrap();
    let config = Config::from_lookup(|k| env.get(k).cloned()).unwrap();
    assert!(config.security_hub);

    let (mut central, mut member) = organization_params();
    central["SecurityHub"] = json!("true");
    member["SecurityHub"] = json!("true");
    organization_agrees(central, member);
}
