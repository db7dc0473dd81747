//! `make bench`: the release binary as Lambda runs it, against a minimal
//! Lambda Runtime API on loopback and the AWS emulator.
//!
//! Measures, and prints as a Markdown table:
//! 1. cold start: exec of the bootstrap to its first poll of the Runtime API;
//! 2. per-event time over 1,000 events in one warm process (the first
//!    reported apart), from handing out the event to receiving the answer;
//! 3. peak RSS of that process (VmHWM);
//! 4. AWS requests per notice, cold, in a 5,000-user account where the
//!    target is listed last, and for a second event about the same key in the
//!    warm process (the ledger finds it sent);
//! 5. a burst of 1,000 events for different users of that account in one
//!    process: ListUsers pages and wall time;
//! 6. the size of the release binary, and of the Lambda zip when `make
//!    package` has built it.
//!
//! The function runs with the notice ledger, as the template deploys it.
//! Run with `cargo bench --bench lambda` (what `make bench` does); the binary
//! is the release build of this crate.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::http::{RuntimeApi, RuntimeCall};
use common::{
    Emulator, RULE_7, SENDER, create_ledger_table, event_for, key_aged, lambda_function,
    manifest_dir,
};
use serde_json::{Value, json};

const COLD_RUNS: usize = 40;
const EVENTS: usize = 1000;
const ACCOUNT_USERS: usize = 5000;
const TABLE: &str = "akn-ledger";

fn binary() -> std::path::PathBuf {
    common::release_binary()
}

fn spawn_function(api: &str, endpoint: &str) -> Child {
    lambda_function(binary(), api, endpoint)
        .env("LEDGER_TABLE", TABLE)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the release binary runs (cargo build --release)")
}

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Serves `events` to a fresh function process one after another; returns
/// the time of each (event handed out → answer received) and the peak RSS.
fn serve(endpoint: &str, events: &[Value]) -> (Vec<Duration>, Option<u64>) {
    let api = RuntimeApi::bind();
    let mut child = spawn_function(&api.address(), endpoint);
    let mut conn = api.accept();
    let mut times = Vec::with_capacity(events.len());
    let mut next = 0;
    let mut started = Instant::now();
    while times.len() < events.len() {
        match conn.next_call().expect("the function keeps polling") {
            RuntimeCall::Next => {
                started = Instant::now();
                conn.hand_out(&format!("req-{next}"), &events[next]);
                next += 1;
            }
            RuntimeCall::Answer { error, body, .. } => {
                times.push(started.elapsed());
                assert!(!error, "the function failed: {body}");
                conn.acknowledge();
            }
        }
    }
    // Wait for the poll after the last answer, so the process is at rest.
    let _ = conn.next_call();
    let rss = peak_rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (times, rss)
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    // A missing release binary fails now, not after the seeding.
    binary();
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { create_ledger_table(&emu.sdk_config().await, TABLE).await });
    let event = |user_id: &str, n: usize| event_for(RULE_7, user_id, &format!("bench-{n}"));

    // 5,000 users: 1,000 with an 88-day-old key and an owner tag, spread
    // through the listing, and the target of the cold/warm count last.
    eprintln!("seeding {ACCOUNT_USERS} users…");
    let owners: Vec<String> = (0..EVENTS).map(|i| format!("AIDABENCH{i:012}")).collect();
    let per_gap = (ACCOUNT_USERS - EVENTS - 1) / EVENTS;
    for (i, id) in owners.iter().enumerate() {
        emu.create_users(&format!("filler-{i:04}"), per_gap);
        emu.create_user(json!({"name": format!("owner-{i:04}"), "user_id": id,
            "tags": {"Email": format!("owner{i}@example.com")}, "keys": [key_aged(88)]}));
    }
    let rest = ACCOUNT_USERS - 1 - EVENTS * (per_gap + 1);
    emu.create_users("filler-tail", rest);
    emu.create_user(
        json!({"name": "zz-target", "user_id": "AIDABENCHTARGET00000",
        "tags": {"Email": "target@example.com"}, "keys": [key_aged(88)]}),
    );

    // 1. Cold start.
    eprintln!("cold start, {COLD_RUNS} runs…");
    let mut cold = Vec::new();
    for _ in 0..COLD_RUNS {
        let runtime_api = RuntimeApi::bind();
        let api = runtime_api.address();
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let mut conn = runtime_api.accept();
            assert!(matches!(conn.next_call(), Some(RuntimeCall::Next)));
            tx.send(Instant::now()).unwrap();
        });
        let start = Instant::now();
        let mut child = spawn_function(&api, &emu.endpoint);
        let polled = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("the function polls");
        cold.push(polled - start);
        let _ = child.kill();
        let _ = child.wait();
        let _ = waiter.join();
    }
    cold.sort();

    // 4. Requests per notice, cold, the target listed last.
    let target = event("AIDABENCHTARGET00000", 0);
    emu.reset_requests();
    serve(&emu.endpoint, std::slice::from_ref(&target));
    let cold_calls = emu.requests();
    // The same event again, cold, then twice in one process: the difference
    // is what a warm already_notified costs.
    emu.reset_requests();
    serve(&emu.endpoint, std::slice::from_ref(&target));
    let one_calls = emu.requests();
    emu.reset_requests();
    serve(&emu.endpoint, &[target.clone(), target.clone()]);
    let two_calls = emu.requests();

    // 2, 3, 5. 1,000 events for different users, in one process, in an order
    // unrelated to the listing.
    let mut order: Vec<usize> = (0..EVENTS).collect();
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    let events: Vec<Value> = order.iter().map(|&i| event(&owners[i], 10 + i)).collect();
    emu.reset_requests();
    eprintln!("{EVENTS} events in one process…");
    let wall = Instant::now();
    let (times, rss) = serve(&emu.endpoint, &events);
    let wall = wall.elapsed();
    let burst_calls = emu.requests();
    let first = times[0];
    let mut warm: Vec<Duration> = times[1..].to_vec();
    warm.sort();

    let binary_size = std::fs::metadata(binary()).map(|m| m.len()).ok();
    let zip = manifest_dir().join("dist/access-key-notifier.zip");
    let zip_size = std::fs::metadata(&zip).map(|m| m.len()).ok();
    let calls = |v: &Value| {
        let mut parts: Vec<String> = v
            .as_object()
            .map(|m| m.iter().map(|(k, n)| format!("{k} {n}")).collect())
            .unwrap_or_default();
        parts.sort();
        parts.join(", ")
    };
    let warm_only =
        |op: &str| two_calls[op].as_u64().unwrap_or(0) - one_calls[op].as_u64().unwrap_or(0);

    println!("| figure | value |");
    println!("| --- | --- |");
    println!(
        "| cold start, exec to first Runtime API poll ({COLD_RUNS} runs) | median {}, max {} |",
        ms(percentile(&cold, 0.5)),
        ms(*cold.last().unwrap())
    );
    println!(
        "| first event of a process (its SDK clients built, a cold listing of {ACCOUNT_USERS} users) | {} |",
        ms(first)
    );
    println!(
        "| per-event time, events 2-{EVENTS} | p50 {}, p99 {}, max {} |",
        ms(percentile(&warm, 0.5)),
        ms(percentile(&warm, 0.99)),
        ms(*warm.last().unwrap())
    );
    println!(
        "| peak RSS over {EVENTS} events | {} |",
        rss.map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or("n/a".into())
    );
    println!(
        "| AWS requests, one notice, cold process, target listed last of {ACCOUNT_USERS} | {} |",
        calls(&cold_calls)
    );
    println!(
        "| AWS requests, a second event about a notified key, warm process (already_notified) | ListUsers {}, GetUser {}, ListAccessKeys {}, GetAccessKeyLastUsed {}, SendEmail {}, PutItem {} |",
        warm_only("iam:ListUsers"),
        warm_only("iam:GetUser"),
        warm_only("iam:ListAccessKeys"),
        warm_only("iam:GetAccessKeyLastUsed"),
        warm_only("sesv2:SendEmail"),
        warm_only("dynamodb:PutItem")
    );
    println!(
        "| burst: {EVENTS} events for different users, one process | {} ; wall {:.2} s |",
        calls(&burst_calls),
        wall.as_secs_f64()
    );
    println!(
        "| release binary, this machine ({}) | {} |",
        std::env::consts::ARCH,
        binary_size
            .map(|b| format!("{b} bytes"))
            .unwrap_or("n/a".into())
    );
    println!(
        "| Lambda zip ({}) | {} |",
        zip.strip_prefix(manifest_dir()).unwrap().display(),
        zip_size
            .map(|b| format!("{b} bytes ({:.2} MB)", b as f64 / 1e6))
            .unwrap_or("not built: run `make package`".into())
    );
}
