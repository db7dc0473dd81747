//! The emulator harness: starts `tests/emulator/server.py` (moto on
//! loopback) and talks to it over its stdin/stdout command channel.
//!
//! Python comes from `AKN_PYTHON`, else the project's `.venv`, which
//! `make test` creates. A missing emulator fails the test with the command
//! that installs it; nothing is skipped.

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod http;
pub mod standin;

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

pub const ACCOUNT: &str = "123456789012";
pub const SENDER: &str = "key-notices@example.com";

const INSTALL_HINT: &str = "the AWS emulator (moto) is not installed: run `make test`, \
     or `python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt`, \
     or point AKN_PYTHON at a Python that has moto[server] installed";

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("AKN_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = manifest_dir().join(".venv/bin/python");
    if !venv.exists() {
        panic!("{INSTALL_HINT} (no {} found)", venv.display());
    }
    venv
}

pub struct Emulator {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    pub endpoint: String,
}

impl Emulator {
    pub fn start() -> Emulator {
        let python = python();
        let mut child = Command::new(&python)
            .arg(manifest_dir().join("tests/emulator/server.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{INSTALL_HINT} ({}: {e})", python.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        let endpoint = serde_json::from_str::<Value>(&first)
            .ok()
            .and_then(|v| v["endpoint"].as_str().map(str::to_string));
        let Some(endpoint) = endpoint else {
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            panic!("{INSTALL_HINT}\nthe emulator did not start:\n{err}");
        };
        Emulator {
            child,
            stdin,
            stdout,
            endpoint,
        }
    }

    /// Sends one command and returns the reply; a failed command fails the test.
    pub fn call(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("emulator stdin");
        self.stdin.flush().expect("emulator stdin");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("emulator stdout");
        let reply: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("emulator reply {line:?}: {e}"));
        assert_eq!(
            reply["ok"], true,
            "emulator command {command} failed: {reply}"
        );
        reply
    }

    pub fn verify_sender(&mut self, address: &str) {
        self.call(json!({"op": "verify_sender", "address": address}));
    }

    /// Creates a user; returns the ids of its keys in the order given.
    pub fn create_user(&mut self, user: Value) -> Vec<String> {
        let mut command = user;
        command["op"] = json!("create_user");
        let reply = self.call(command);
        reply["keys"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|k| k.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn create_users(&mut self, prefix: &str, count: usize) {
        self.call(json!({"op": "create_users", "prefix": prefix, "count": count}));
    }

    /// The messages SES accepted, from GET /moto-api/data.json.
    pub fn messages(&mut self) -> Vec<Value> {
        self.call(json!({"op": "messages"}))["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// API requests served so far, as `service:Action` → count.
    pub fn requests(&mut self) -> Value {
        self.call(json!({"op": "requests"}))["requests"].clone()
    }

    /// IAM calls per account since the last reset (Organizations).
    pub fn iam_by_account(&mut self) -> Value {
        self.call(json!({"op": "iam_by_account"}))["accounts"].clone()
    }

    pub fn reset_requests(&mut self) {
        self.call(json!({"op": "reset_requests"}));
    }

    /// SDK clients' configuration for this emulator: static test
    /// credentials, us-east-1, the emulator as endpoint.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(aws_sdk_iam::config::Credentials::new(
                "testing", "testing", None, None, "emulator",
            ))
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Receives `count` messages from the queue (at most a few rounds beyond
/// what `count` needs) as the SQS event records Lambda's event source
/// mapping delivers.
pub async fn sqs_records(sdk: &aws_config::SdkConfig, queue_url: &str, count: usize) -> Vec<Value> {
    let sqs = access_key_notifier::aws::sqs_client(sdk);
    let mut records = Vec::new();
    for _ in 0..count / 10 + 5 {
        if records.len() >= count {
            break;
        }
        let got = sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("the emulator answers ReceiveMessage");
        records.extend(got.messages().iter().map(|m| {
            json!({"messageId": m.message_id(), "receiptHandle": m.receipt_handle(),
                   "body": m.body(), "eventSource": "aws:sqs",
                   "eventSourceARN": format!("arn:aws:sqs:us-east-1:{ACCOUNT}:queue")})
        }));
    }
    records
}

/// Creates the notice ledger's table (partition key `pk`) in the emulator.
pub async fn create_ledger_table(sdk: &aws_config::SdkConfig, name: &str) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    };
    access_key_notifier::aws::dynamodb_client(sdk)
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("the emulator creates the table");
}

/// The release binary the benches run, which `make bench` builds first.
pub fn release_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"));
    let binary = target.join("release/access-key-notifier");
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --release`",
        binary.display()
    );
    binary
}

/// The notifier binary with a hermetic environment: nothing inherited, test
/// credentials, us-east-1, no shared AWS files, the sender set, and the
/// emulator as endpoint when given.
pub fn notifier(binary: impl AsRef<std::ffi::OsStr>, endpoint: Option<&str>) -> Command {
    let mut cmd = Command::new(binary);
    cmd.env_clear()
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("SENDER_ADDRESS", SENDER);
    if let Some(endpoint) = endpoint {
        cmd.env("AWS_ENDPOINT_URL", endpoint);
    }
    cmd
}

/// Runs `cmd`, which must succeed (its stderr shown under `what` if
/// not); its stdout.
pub fn stdout_of(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The notifier as Lambda starts it: [`notifier`] plus the variables the
/// Lambda environment sets, the Runtime API at `api` (host:port).
pub fn lambda_function(binary: impl AsRef<std::ffi::OsStr>, api: &str, endpoint: &str) -> Command {
    let mut cmd = notifier(binary, Some(endpoint));
    cmd.env("AWS_LAMBDA_RUNTIME_API", api)
        .env("AWS_LAMBDA_FUNCTION_NAME", "access-key-notifier")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST");
    cmd
}

/// The fixture events' user, `AIDATCKAQT2XHRAS7UPNO`.
pub const FIXTURE_USER_ID: &str = "AIDATCKAQT2XHRAS7UPNO";

/// The fixture user, named alice, with one key `age_days` old now.
pub fn seed_alice(emu: &mut Emulator, age_days: i64, tags: Value) -> Vec<String> {
    emu.create_user(json!({
        "name": "alice",
        "user_id": FIXTURE_USER_ID,
        "tags": tags,
        "keys": [key_aged(age_days)],
    }))
}

/// The path of a fixture event in `tests/fixtures/events/`.
pub fn fixture_path(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures/events").join(name)
}

/// A fixture event from `tests/fixtures/events/`.
pub fn fixture_event(name: &str) -> Value {
    let path = fixture_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The 7-day rule's fixture event for `user_id` under `rule`, with its own
/// event id: what Config would send for another user or tier.
pub fn event_for(rule: &str, user_id: &str, event_id: &str) -> Value {
    let mut e = fixture_event("noncompliant-7-days.json");
    e["id"] = json!(event_id);
    e["detail"]["configRuleName"] = json!(rule);
    e["detail"]["resourceId"] = json!(user_id);
    e
}

/// The fixtures' rules: 7 and 14 days before the deadline, the defaults.
pub const RULE_7: &str = "access-keys-rotated-1";
pub const RULE_14: &str = "access-keys-rotated-2";

/// Masks a key id as the notifier does: `AKIA…WXYZ`.
pub fn masked(id: &str) -> String {
    format!("{}…{}", &id[..4], &id[id.len() - 4..])
}

/// Today in UTC shifted by `days`, as the notifier prints dates.
pub fn utc_date(days: i64) -> String {
    (Utc::now() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

/// RFC 3339 for the emulator's seeding commands.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A key created `age_days` before now: the notifier, counting calendar
/// days from its own clock, sees `90 - age_days` days left.
pub fn key_aged(age_days: i64) -> Value {
    json!({"created": rfc3339(Utc::now() - Duration::days(age_days))})
}

/// A create_user command: `name` with the UserId `AIDA<NAME>`, the owner
/// tag `<name>@example.com`, and one active key per age in days.
pub fn owned_user(name: &str, ages: &[i64]) -> Value {
    json!({"name": name, "user_id": format!("AIDA{:0>17}", name.to_uppercase()),
           "tags": {"Email": format!("{name}@example.com")},
           "keys": ages.iter().map(|a| key_aged(*a)).collect::<Vec<_>>()})
}

/// How many `action` requests (`service:Action`) `requests` counts; 0 when
/// none.
pub fn count(requests: &Value, action: &str) -> u64 {
    requests[action].as_u64().unwrap_or(0)
}

/// An emulator with the sender verified and the ledger's `table`.
pub async fn emulator_with_ledger(table: &str) -> Emulator {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    create_ledger_table(&emu.sdk_config().await, table).await;
    emu
}

/// In-process dependencies on the emulator at a fixed time.
pub type EmuDeps = access_key_notifier::flow::Deps<access_key_notifier::aws::AwsAtFixedTime>;

/// In-process dependencies on the emulator: the ledger `table`,
/// enforcement on with the exemption tag `KeyRotationExempt`, then `vars`,
/// and a clock fixed at now (moved by hand).
pub async fn enforcing_deps(emu: &Emulator, table: &str, vars: &[(&str, &str)]) -> EmuDeps {
    let mut all = vec![("ENFORCE", "true"), ("EXEMPT_TAG", "KeyRotationExempt")];
    all.extend_from_slice(vars);
    deps_at_now(emu, table, &all).await
}

/// In-process dependencies on the emulator: the sender, the ledger
/// `table`, then `vars`, and a clock fixed at now (moved by hand).
pub async fn deps_at_now(emu: &Emulator, table: &str, vars: &[(&str, &str)]) -> EmuDeps {
    let mut env: std::collections::HashMap<&str, &str> =
        std::collections::HashMap::from([("SENDER_ADDRESS", SENDER), ("LEDGER_TABLE", table)]);
    env.extend(vars.iter().copied());
    let config =
        access_key_notifier::config::Config::from_lookup(|k| env.get(k).map(|v| v.to_string()))
            .unwrap();
    let sdk = emu.sdk_config().await;
    access_key_notifier::app::deps_from_sdk_at(
        config,
        &sdk,
        access_key_notifier::clock::FixedClock::at(Utc::now()),
    )
}

/// The first To address of a mail as `GET /moto-api/data.json` shows it;
/// empty when it has none.
pub fn to_of(message: &Value) -> String {
    message["destinations"]["ToAddresses"][0]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Each key of `user` and whether IAM says it is active, sorted by id.
pub async fn key_statuses(iam: &aws_sdk_iam::Client, user: &str) -> Vec<(String, bool)> {
    let out = iam.list_access_keys().user_name(user).send().await.unwrap();
    let mut keys: Vec<(String, bool)> = out
        .access_key_metadata()
        .iter()
        .map(|k| {
            (
                k.access_key_id().unwrap().to_string(),
                k.status().unwrap().as_str() == "Active",
            )
        })
        .collect();
    keys.sort();
    keys
}

/// The IAM operations a sweep makes, in the order the benches print them.
pub const SWEEP_IAM_OPERATIONS: [&str; 7] = [
    "GenerateCredentialReport",
    "GetCredentialReport",
    "ListUsers",
    "ListAccessKeys",
    "GetUser",
    "GetAccessKeyLastUsed",
    "ListAccountAliases",
];

/// A topic with an SQS queue subscribed to it; returns (topic ARN, queue URL).
pub async fn topic_with_queue(emu: &Emulator, name: &str) -> (String, String) {
    let sdk = emu.sdk_config().await;
    let sns = aws_sdk_sns::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let topic = sns.create_topic().name(name).send().await.unwrap();
    let topic = topic.topic_arn().unwrap().to_string();
    let queue = sqs.create_queue().queue_name(name).send().await.unwrap();
    let url = queue.queue_url().unwrap().to_string();
    let attrs = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap();
    let arn =
        attrs.attributes().unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn].clone();
    // RawMessageDelivery left unset: the queue gets SNS's envelope.
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(arn)
        .send()
        .await
        .unwrap();
    (topic, url)
}

/// Every message published so far: the `Message` of each SNS envelope on
/// the queue, parsed.
pub async fn published(emu: &Emulator, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(&emu.sdk_config().await);
    let mut out = Vec::new();
    loop {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = got.messages();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            let envelope: Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(envelope["Type"], "Notification", "{envelope}");
            let text = envelope["Message"].as_str().unwrap();
            assert!(text.len() <= 256 * 1024, "within SNS's 256 KB");
            out.push(serde_json::from_str(text).unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// The scheduled sweep through the router, answered (or its error's type).
pub async fn sweep_with(
    deps: &EmuDeps,
    invocation: &access_key_notifier::flow::Invocation,
) -> Result<access_key_notifier::outcome::sweep::SweepOutcome, String> {
    use access_key_notifier::route::{Answer, answer};
    match answer(fixture_event("scheduled-event.json"), deps, invocation).await {
        Ok(Answer::Sweep(o)) => Ok(*o),
        Ok(_) => panic!("a sweep"),
        Err(e) => Err(e.error_type()),
    }
}

/// The scheduled sweep, which must succeed.
pub async fn sweep(deps: &EmuDeps) -> access_key_notifier::outcome::sweep::SweepOutcome {
    sweep_with(deps, &access_key_notifier::flow::Invocation::local())
        .await
        .unwrap_or_else(|e| panic!("a sweep: {e}"))
}

/// The deps' clock `days` after `start`.
pub fn later(deps: &EmuDeps, start: DateTime<Utc>, days: i64) {
    deps.clock.set(start + Duration::days(days));
}
