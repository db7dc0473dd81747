//! The exemption list against the emulator, through the real binary: a
//! user listed by UserId stays exempt after a rename, a user listed by
//! name does not, and the digest (and the report) name the entries that
//! match no user any more.

mod common;

use common::{Emulator, emulator_with_ledger, notifier, owned_user, stdout_of, to_of};
use serde_json::{Value, json};

const TABLE: &str = "exemption-ledger";
const PARAMETER: &str = "/akn/exempt-users";
const BOT_ID: &str = "AIDADEPLOYBOT00000001";
const GONE_ID: &str = "AIDAGONE0000000000001";

/// deploy-bot (listed by UserId) and legacy-etl (listed by name), both
/// with a key 95 days old, renamed after the list was written; the list
/// also names a user deleted long ago.
async fn account() -> Emulator {
    let mut emu = emulator_with_ledger(TABLE).await;
    let mut bot = owned_user("deploy-bot", &[95]);
    bot["user_id"] = json!(BOT_ID);
    emu.create_user(bot);
    emu.create_user(owned_user("legacy-etl", &[95]));
    let sdk = emu.sdk_config().await;
    aws_sdk_ssm::Client::new(&sdk)
        .put_parameter()
        .name(PARAMETER)
        .r#type(aws_sdk_ssm::types::ParameterType::StringList)
        .value(format!("{BOT_ID},legacy-etl,{GONE_ID}"))
        .send()
        .await
        .unwrap();
    let iam = access_key_notifier::aws::iam_client(&sdk);
    for (old, new) in [
        ("deploy-bot", "deploy-bot-v2"),
        ("legacy-etl", "legacy-etl-2024"),
    ] {
        iam.update_user()
            .user_name(old)
            .new_user_name(new)
            .send()
            .await
            .unwrap();
    }
    emu
}

fn run(emu: &Emulator, args: &[&str]) -> String {
    let mut cmd = notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    );
    cmd.env("LEDGER_TABLE", TABLE)
        .env("EXEMPT_USERS_PARAMETER", PARAMETER)
        .env("DIGEST_RECIPIENTS", "security@example.com")
        .args(args);
    stdout_of(&mut cmd, &format!("{args:?}"))
}

#[tokio::test]
async fn a_renamed_user_listed_by_user_id_stays_exempt_and_the_digest_names_the_stale_entries() {
    let mut emu = account().await;

    // The report: the renamed bot exempt, legacy-etl due, two stale entries.
    let report: Value = serde_json::from_str(&run(&emu, &["scan", "--format", "json"])).unwrap();
    let users = |section: &str| -> Vec<String> {
        report[section]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["user"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(users("exempt"), ["deploy-bot-v2"]);
    assert_eq!(users("overdue"), ["legacy-etl-2024"]);
    assert_eq!(
        report["exempt_entries_unmatched"],
        json!(["legacy-etl", GONE_ID])
    );

    // The sweep: legacy-etl's owner is mailed, the bot's is not, and the
    // digest names the entries that match no user.
    let outcome: Value = serde_json::from_str(run(&emu, &["sweep"]).trim()).unwrap();
    assert_eq!(outcome["skipped"]["exempt"], 1, "{outcome}");
    let mails = emu.messages();
    let to: Vec<String> = mails.iter().map(to_of).collect();
    assert!(to.contains(&"legacy-etl@example.com".to_string()), "{to:?}");
    assert!(
        !to.contains(&"deploy-bot@example.com".to_string()),
        "{to:?}"
    );
    let digest = mails
        .iter()
        .find(|m| to_of(m) == "security@example.com")
        .expect("the digest went out");
    let body = digest["body"].as_str().unwrap();
    assert!(
        body.contains("Exemption list entries that name no user"),
        "{body}"
    );
    assert!(body.contains("<li><code>legacy-etl</code></li>"), "{body}");
    assert!(
        body.contains(&format!("<li><code>{GONE_ID}</code></li>")),
        "{body}"
    );
    assert!(!body.contains(&format!("<code>{BOT_ID}</code>")), "{body}");
}
