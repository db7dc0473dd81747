//! `make bench`, part two: the daily sweep of a 5,000-user account (IAM's
//! per-account user quota) by the release binary's `sweep` command, against
//! the emulator with a fixed added latency per IAM call (standing in for the
//! real service) and an IAM request-rate cap that throttles.
//!
//! Measured, for the sweep at its default concurrency and for the same sweep
//! with SWEEP_CONCURRENCY=1 (the sequential baseline), each on a fresh
//! ledger: wall time, IAM calls by operation (and throttled ones), users
//! lost, peak RSS (GNU time's maximum resident set size). Prints a Markdown
//! table for docs/benchmarks.md.

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Emulator, SENDER, create_ledger_table, notifier};
use serde_json::{Value, json};

const USERS: usize = 5000;
/// One user in ten has a key due (80 days old); the rest are 20 days old.
const AGES: [i64; 10] = [80, 20, 20, 20, 20, 20, 20, 20, 20, 20];
const LATENCY_MS: u64 = 20;
/// IAM requests a second before the emulator throttles.
const RATE: u64 = 250;

fn binary() -> std::path::PathBuf {
    common::release_binary()
}

struct Run {
    wall: Duration,
    outcome: Value,
    requests: Value,
    peak_kib: u64,
}

fn sweep(emu: &mut Emulator, table: &str, concurrency: usize) -> Run {
    emu.reset_requests();
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("peak_kib=%M")
        .arg(binary())
        .args(["sweep"])
        .env_clear()
        .envs(
            notifier(binary(), Some(&emu.endpoint))
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("LEDGER_TABLE", table)
        .env("SWEEP_CONCURRENCY", concurrency.to_string())
        .output()
        .expect("GNU time and the release binary run");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sweep failed: {stderr}");
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let outcome: Value = serde_json::from_slice(&out.stdout).expect("one JSON outcome");
    Run {
        wall,
        outcome,
        requests: emu.requests(),
        peak_kib,
    }
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

fn main() {
    // A missing release binary fails now, not after the seeding.
    binary();
    let mut emu = Emulator::start();
    emu.verify_sender(SENDER);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sdk = emu.sdk_config().await;
        create_ledger_table(&sdk, "akn-ledger-concurrent").await;
        create_ledger_table(&sdk, "akn-ledger-sequential").await;
    });
    eprintln!("seeding {USERS} users…");
    emu.call(json!({"op": "create_users", "prefix": "u", "count": USERS,
                    "ages": AGES, "owner_tags": true}));
    emu.call(json!({"op": "limit_iam", "latency_ms": LATENCY_MS, "rate": RATE}));

    eprintln!("sweeping at the default concurrency…");
    let fast = sweep(&mut emu, "akn-ledger-concurrent", 8);
    eprintln!("sweeping sequentially…");
    let slow = sweep(&mut emu, "akn-ledger-sequential", 1);

    let due = USERS / AGES.len();
    println!(
        "\n### Sweep of {USERS} users ({due} with a due key), {LATENCY_MS} ms added per IAM call, IAM capped at {RATE} requests/s\n"
    );
    println!("| measure | concurrency 8 (default) | concurrency 1 (sequential baseline) |");
    println!("| --- | --- | --- |");
    let row = |name: &str, f: &dyn Fn(&Run) -> String| {
        println!("| {name} | {} | {} |", f(&fast), f(&slow));
    };
    row("wall time", &|r| format!("{:.1} s", r.wall.as_secs_f64()));
    row("ListUsers pages", &|r| {
        n(&r.requests, "iam:ListUsers").to_string()
    });
    row("ListAccessKeys", &|r| {
        n(&r.requests, "iam:ListAccessKeys").to_string()
    });
    row("GetUser", &|r| n(&r.requests, "iam:GetUser").to_string());
    row("GetAccessKeyLastUsed", &|r| {
        n(&r.requests, "iam:GetAccessKeyLastUsed").to_string()
    });
    row("IAM answers throttled", &|r| {
        n(&r.requests, "iam:Throttled").to_string()
    });
    row("users notified / checked", &|r| {
        format!(
            "{} / {}",
            n(&r.outcome["users"], "notified"),
            n(&r.outcome["users"], "checked")
        )
    });
    row("users failed / not reached", &|r| {
        format!(
            "{} / {}",
            n(&r.outcome["users"], "failed"),
            n(&r.outcome["users"], "not_reached")
        )
    });
    row("users retried", &|r| n(&r.outcome, "retried").to_string());
    row("peak RSS", &|r| {
        format!("{:.1} MiB", r.peak_kib as f64 / 1024.0)
    });
    println!(
        "\nspeed-up over the sequential baseline: {:.1}×",
        slow.wall.as_secs_f64() / fast.wall.as_secs_f64()
    );
}
