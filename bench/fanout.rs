//! `make bench`, part three: the Organizations fan-out. 50 member accounts
//! of 200 users each (one in ten with a due key) in the emulator, 20 ms
//! added to each IAM call; the schedule's event queues one message per
//! account on a real (emulated) SQS queue, and each message is swept as
//! Lambda's event source mapping would deliver it (batch size 1), by up to
//! `INSTANCES` concurrent invocations of the library's `dispatch`.
//!
//! Measured: total wall time from the fan-out to the last account swept,
//! per-account sweep time (mean, max), IAM calls per account (from the
//! emulator's per-account counts, not the notifier's outcome), STS
//! AssumeRole calls, mails. Prints a Markdown table for docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use access_key_notifier::app::deps_from_sdk;
use access_key_notifier::aws;
use access_key_notifier::config::Config;
use access_key_notifier::flow::Invocation;
use access_key_notifier::route::{Answer, answer as dispatch};
use common::{Emulator, SENDER, create_ledger_table, fixture_event};
use futures_util::StreamExt;
use serde_json::json;

const ACCOUNTS: usize = 50;
const USERS: usize = 200;
const AGES: [i64; 10] = [80, 20, 20, 20, 20, 20, 20, 20, 20, 20];
const LATENCY_MS: u64 = 20;
/// Concurrent invocations the event source mapping runs.
const INSTANCES: usize = 10;

fn account(i: usize) -> String {
    format!("{:012}", 100_000_000_000u64 + i as u64)
}

fn main() {
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let accounts: Vec<String> = (0..ACCOUNTS).map(account).collect();
    eprintln!("seeding {ACCOUNTS} accounts of {USERS} users…");
    for a in &accounts {
        emu.call(
            json!({"op": "create_users", "account": a, "prefix": "u", "count": USERS,
                        "ages": AGES, "owner_tags": true}),
        );
    }
    emu.call(json!({"op": "limit_iam", "latency_ms": LATENCY_MS}));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let (wall, per_account, queued) = rt.block_on(async {
        let sdk = emu.sdk_config().await;
        create_ledger_table(&sdk, "akn-ledger").await;
        let sqs = aws::sqs_client(&sdk);
        let queue_url = sqs
            .create_queue()
            .queue_name("akn-sweep")
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_string();
        let list = accounts.join(",");
        let env: HashMap<&str, &str> = HashMap::from([
            ("SENDER_ADDRESS", SENDER),
            ("LEDGER_TABLE", "akn-ledger"),
            ("MEMBER_ROLE_NAME", "akn-member"),
            ("ACCOUNTS", list.as_str()),
            ("SWEEP_QUEUE_URL", queue_url.as_str()),
        ]);
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let deps = deps_from_sdk(config, &sdk);

        let started = Instant::now();
        let Answer::FanOut(f) = dispatch(
            fixture_event("scheduled-event.json"),
            &deps,
            &Invocation::local(),
        )
        .await
        .unwrap() else {
            panic!("a scheduled event fans out")
        };
        let records = common::sqs_records(&sdk, &queue_url, f.queued).await;
        let deps = &deps;
        let per_account: Vec<Duration> = futures_util::stream::iter(records)
            .map(|record| async move {
                let t = Instant::now();
                let answer = dispatch(json!({"Records": [record]}), deps, &Invocation::local())
                    .await
                    .unwrap();
                assert_eq!(answer.response(), json!({"batchItemFailures": []}));
                t.elapsed()
            })
            .buffer_unordered(INSTANCES)
            .collect()
            .await;
        (started.elapsed(), per_account, f.queued)
    });
    let requests = emu.requests();
    let by_account = emu.iam_by_account();
    let mails = emu.messages().len();
    let iam: Vec<u64> = accounts
        .iter()
        .map(|a| by_account[a.as_str()].as_u64().unwrap_or(0))
        .collect();
    let n = |key: &str| requests[key].as_u64().unwrap_or(0);
    let mean = per_account.iter().sum::<Duration>().as_secs_f64() / per_account.len() as f64;
    let max = per_account.iter().max().unwrap().as_secs_f64();
    let due = ACCOUNTS * USERS / AGES.len();
    println!(
        "\n### Fan-out: {ACCOUNTS} accounts × {USERS} users ({due} due keys), {LATENCY_MS} ms added per IAM call, {INSTANCES} concurrent invocations\n"
    );
    println!("| measure | value |");
    println!("| --- | --- |");
    println!(
        "| accounts queued / swept | {queued} / {} |",
        per_account.len()
    );
    println!(
        "| total wall time (fan-out to last account) | {:.1} s |",
        wall.as_secs_f64()
    );
    println!("| one account's sweep, mean / max | {mean:.2} s / {max:.2} s |");
    println!(
        "| IAM calls per account, min / max | {} / {} |",
        iam.iter().min().unwrap(),
        iam.iter().max().unwrap()
    );
    let ops = common::SWEEP_IAM_OPERATIONS;
    println!(
        "| IAM calls in all: {} | {} |",
        ops.join(", "),
        ops.map(|op| n(&format!("iam:{op}")).to_string()).join(", ")
    );
    println!("| STS AssumeRole calls | {} |", n("sts:AssumeRole"));
    println!(
        "| SQS SendMessageBatch calls | {} |",
        n("sqs:SendMessageBatch")
    );
    println!("| mails sent | {mails} |");
}
