//! The first event of a process builds only the SDK clients its path
//! calls, and a Config event of the function's own account asks STS
//! nothing: the account comes from the function's ARN. Real clients on the
//! emulator; which calls were made is read back from the emulator.

mod common;

use std::collections::HashMap;

use access_key_notifier::app::{self, AwsDeps, deps_from_sdk};
use access_key_notifier::config::{Config, ConfigError};
use common::{
    ACCOUNT, Emulator, FIXTURE_USER_ID, RULE_7, SENDER, count, emulator_with_ledger, event_for,
    seed_alice,
};
use lambda_runtime::Context;
use serde_json::json;

const TABLE: &str = "akn-ledger";

fn context(arn: &str) -> Context {
    let mut context = Context::default();
    context.request_id = "first".into();
    context.invoked_function_arn = arn.into();
    // A minute from now, in milliseconds since the epoch, as Lambda sets it.
    context.deadline = (chrono::Utc::now().timestamp_millis() + 60_000) as u64;
    context
}

/// Dependencies on the emulator with the ledger, as a cold process has them.
async fn deps(emu: &Emulator) -> Result<AwsDeps, ConfigError> {
    let vars: HashMap<&str, &str> =
        HashMap::from([("SENDER_ADDRESS", SENDER), ("LEDGER_TABLE", TABLE)]);
    let config = Config::from_lookup(|k| vars.get(k).map(|v| v.to_string())).unwrap();
    Ok(deps_from_sdk(config, &emu.sdk_config().await))
}

#[tokio::test]
async fn a_config_event_builds_iam_ses_and_the_ledger_only_and_asks_sts_nothing() {
    let mut emu = emulator_with_ledger(TABLE).await;
    seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    // No EXEMPT_USERS_PARAMETER: with one, SSM is read too (a listed
    // user gets no notice).
    let deps = deps(&emu).await;
    assert_eq!(
        app::clients_built(deps.as_ref().unwrap()),
        Vec::<&str>::new(),
        "nothing is built before the first event"
    );
    emu.reset_requests();

    let function = format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:akn");
    let invocation = app::invocation(&deps, &context(&function));
    let event = event_for(RULE_7, FIXTURE_USER_ID, "first");
    let answer = app::respond(&deps, event, &invocation).await.unwrap();

    assert_eq!(answer["status"], "sent", "{answer}");
    assert_eq!(
        app::clients_built(deps.as_ref().unwrap()),
        ["IAM", "SES", "DynamoDB"]
    );
    let requests = emu.requests();
    assert_eq!(count(&requests, "sts:GetCallerIdentity"), 0, "{requests}");
}

#[tokio::test]
async fn without_the_functions_arn_the_account_is_asked_of_sts_once() {
    let mut emu = emulator_with_ledger(TABLE).await;
    seed_alice(&mut emu, 88, json!({"Email": "carol@example.com"}));
    let deps = deps(&emu).await;
    emu.reset_requests();

    // A context without a usable ARN, then another event in the same process.
    for (arn, id) in [("", "one"), ("not-an-arn", "two")] {
        let invocation = app::invocation(&deps, &context(arn));
        let event = event_for(RULE_7, FIXTURE_USER_ID, id);
        app::respond(&deps, event, &invocation).await.unwrap();
    }

    assert_eq!(
        app::clients_built(deps.as_ref().unwrap()),
        ["IAM", "STS", "SES", "DynamoDB"]
    );
    assert_eq!(count(&emu.requests(), "sts:GetCallerIdentity"), 1);
}
