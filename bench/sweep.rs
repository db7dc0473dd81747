//! `make bench`, part two: the daily sweep of a 5,000-user account (IAM's
//! per-account user quota) by the release binary's `sweep` command, against
//! the emulator with a fixed added latency per IAM call (standing in for the
//! real service) and an IAM request-rate cap that throttles.
//!
//! Measured, each on a fresh ledger: the sweep from the credential report
//! (the default), the same sweep when the report is refused (the full
//! listing it falls back to), and that full listing one user at a time
//! (SWEEP_CONCURRENCY=1, the sequential per-user listing); and, as the
//! baseline, a sequential boto3 sweep over the credential report
//! (`bench/boto3_report_sweep.py`, the shape of Prowler's check). For each:
//! wall time, IAM calls by operation (and throttled answers), users lost,
//! peak RSS (GNU time's maximum resident set size). Prints a Markdown table
//! for docs/benchmarks.md and the goals, each met or not.
//!
//! IAM (and STS) run in one emulator process, SES and DynamoDB in another,
//! as they are separate services in AWS: one Python process serves about
//! 200 requests a second in all, and the sweep's ledger writes and mails
//! would otherwise queue behind the IAM calls the cap is meant to pace.

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
/// A second cap, below what the emulator (one Python process) serves, so
/// that here the cap, not the emulator, sets the pace, as IAM's rate does
/// against AWS.
const BINDING_RATE: u64 = 60;
/// Users with a due key.
const DUE: u64 = (USERS / AGES.len()) as u64;

fn binary() -> std::path::PathBuf {
    common::release_binary()
}

struct Run {
    wall: Duration,
    outcome: Value,
    requests: Value,
    peak_kib: u64,
}

/// The two emulator processes: IAM and STS; SES and DynamoDB.
struct Services {
    iam: Emulator,
    mail: Emulator,
}

fn sweep(emu: &mut Services, table: &str, concurrency: usize) -> Run {
    let mut command = Command::new(binary());
    command.arg("sweep");
    timed(emu, command, |c| {
        c.env("LEDGER_TABLE", table)
            .env("SWEEP_CONCURRENCY", concurrency.to_string());
    })
}

/// The boto3 baseline over the credential report.
fn boto3_sweep(emu: &mut Services) -> Run {
    let mut command = Command::new(common::python());
    command
        .arg(common::manifest_dir().join("bench/boto3_report_sweep.py"))
        .arg(&emu.iam.endpoint)
        .args(["--mail-endpoint", &emu.mail.endpoint])
        .args(["--due-days", "76", "--sender", SENDER]);
    timed(emu, command, |_| {})
}

/// `command` under GNU time, with the notifier's hermetic environment and
/// `env`, its stdout one JSON object.
fn timed(emu: &mut Services, command: Command, env: impl Fn(&mut Command)) -> Run {
    emu.iam.reset_requests();
    emu.mail.reset_requests();
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("peak_kib=%M")
        .arg(command.get_program())
        .args(command.get_args())
        .env_clear()
        .envs(
            notifier(binary(), Some(&emu.iam.endpoint))
                .get_envs()
                .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned()))),
        )
        .env("AWS_ENDPOINT_URL_SESV2", &emu.mail.endpoint)
        .env("AWS_ENDPOINT_URL_DYNAMODB", &emu.mail.endpoint);
    env(&mut timed);
    let started = Instant::now();
    let out = timed.output().expect("GNU time and the program run");
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the sweep failed: {stderr}");
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak_kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let outcome: Value = serde_json::from_slice(&out.stdout).expect("one JSON outcome");
    let mut requests = emu.iam.requests();
    if let (Some(all), Value::Object(mail)) = (requests.as_object_mut(), emu.mail.requests()) {
        for (op, count) in mail {
            let sum =
                all.get(&op).and_then(Value::as_u64).unwrap_or(0) + count.as_u64().unwrap_or(0);
            all.insert(op, sum.into());
        }
    }
    Run {
        wall,
        outcome,
        requests,
        peak_kib,
    }
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or(0)
}

/// IAM calls answered (throttled answers apart).
fn iam_calls(r: &Run) -> u64 {
    r.requests
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with("iam:") && *k != "iam:Throttled")
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}

fn secs(r: &Run) -> f64 {
    r.wall.as_secs_f64()
}

fn main() {
    // A missing release binary fails now, not after the seeding.
    binary();
    let mut emu = Services {
        iam: Emulator::start(),
        mail: Emulator::start(),
    };
    emu.mail.verify_sender(SENDER);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tables = [
        "akn-ledger-report",
        "akn-ledger-listing",
        "akn-ledger-sequential",
        "akn-ledger-capped",
    ];
    rt.block_on(async {
        let sdk = emu.mail.sdk_config().await;
        for table in tables {
            create_ledger_table(&sdk, table).await;
        }
    });
    eprintln!("seeding {USERS} users…");
    emu.iam
        .call(json!({"op": "create_users", "prefix": "u", "count": USERS,
                    "ages": AGES, "owner_tags": true}));
    emu.iam
        .call(json!({"op": "limit_iam", "latency_ms": LATENCY_MS, "rate": RATE}));

    eprintln!("sweeping from the credential report…");
    let report = sweep(&mut emu, tables[0], 8);
    eprintln!("the boto3 baseline over the credential report…");
    let boto3 = boto3_sweep(&mut emu);
    // From here on the report is refused: the sweep lists every user.
    emu.iam
        .call(json!({"op": "credential_report", "refuse": true}));
    eprintln!("sweeping by the full listing…");
    let listing = sweep(&mut emu, tables[1], 8);
    eprintln!("sweeping by the full listing, one user at a time…");
    let sequential = sweep(&mut emu, tables[2], 1);
    eprintln!("sweeping from the credential report, IAM capped at {BINDING_RATE}/s…");
    emu.iam
        .call(json!({"op": "credential_report", "refuse": false}));
    emu.iam
        .call(json!({"op": "limit_iam", "latency_ms": LATENCY_MS, "rate": BINDING_RATE}));
    let capped = sweep(&mut emu, tables[3], 8);
    assert_eq!(
        capped.outcome["source"], "credential_report",
        "{}",
        capped.outcome
    );
    assert_eq!(
        report.outcome["source"], "credential_report",
        "{}",
        report.outcome
    );
    assert_eq!(listing.outcome["source"], "listing", "{}", listing.outcome);

    println!(
        "\n### Sweep of {USERS} users ({DUE} with a due key), {LATENCY_MS} ms added per IAM call, IAM capped at {RATE} requests/s\n"
    );
    println!(
        "| measure | report (default, concurrency 8) | full listing (report refused) | full listing, concurrency 1 | boto3, sequential, over the report |"
    );
    println!("| --- | --- | --- | --- | --- |");
    let runs = [&report, &listing, &sequential];
    let row = |name: &str, f: &dyn Fn(&Run) -> String, baseline: String| {
        let cells: Vec<String> = runs.iter().map(|r| f(r)).collect();
        println!("| {name} | {} | {baseline} |", cells.join(" | "));
    };
    row(
        "wall time",
        &|r| format!("{:.1} s", secs(r)),
        format!("{:.1} s", secs(&boto3)),
    );
    row(
        "IAM calls",
        &|r| iam_calls(r).to_string(),
        iam_calls(&boto3).to_string(),
    );
    for op in common::SWEEP_IAM_OPERATIONS {
        let key = format!("iam:{op}");
        row(
            &format!("… {op}"),
            &|r| n(&r.requests, &key).to_string(),
            n(&boto3.requests, &key).to_string(),
        );
    }
    row(
        "IAM answers throttled",
        &|r| n(&r.requests, "iam:Throttled").to_string(),
        n(&boto3.requests, "iam:Throttled").to_string(),
    );
    row(
        "mails sent",
        &|r| n(&r.requests, "sesv2:SendEmail").to_string(),
        n(&boto3.requests, "sesv2:SendEmail").to_string(),
    );
    row(
        "users notified / failed / not reached",
        &|r| {
            let u = &r.outcome["users"];
            format!(
                "{} / {} / {}",
                n(u, "notified"),
                n(u, "failed"),
                n(u, "not_reached")
            )
        },
        format!("{} / – / –", n(&boto3.outcome, "mailed")),
    );
    row(
        "peak RSS",
        &|r| format!("{:.1} MiB", r.peak_kib as f64 / 1024.0),
        format!("{:.1} MiB", boto3.peak_kib as f64 / 1024.0),
    );

    let floor = iam_calls(&report) as f64 / RATE as f64;
    let capped_floor = iam_calls(&capped) as f64 / BINDING_RATE as f64;
    let goals = [
        (
            format!("IAM calls ≤ 5 + 3 per due user ({})", 5 + 3 * DUE),
            format!("{}", iam_calls(&report)),
            iam_calls(&report) <= 5 + 3 * DUE,
        ),
        (
            "≥ 3× faster than the boto3 report baseline".into(),
            format!("{:.1}×", secs(&boto3) / secs(&report)),
            secs(&boto3) / secs(&report) >= 3.0,
        ),
        (
            "≥ 15× faster than the sequential per-user listing".into(),
            format!("{:.1}×", secs(&sequential) / secs(&report)),
            secs(&sequential) / secs(&report) >= 15.0,
        ),
        (
            format!("within 2× of the cap's floor (IAM calls ÷ {RATE}/s = {floor:.1} s)"),
            format!("{:.2}×", secs(&report) / floor),
            secs(&report) <= 2.0 * floor,
        ),
        (
            format!(
                "the same at {BINDING_RATE}/s, where the cap binds (IAM calls ÷ {BINDING_RATE}/s = {capped_floor:.1} s; {:.1} s, {} throttled)",
                secs(&capped),
                n(&capped.requests, "iam:Throttled")
            ),
            format!("{:.2}×", secs(&capped) / capped_floor),
            secs(&capped) <= 2.0 * capped_floor,
        ),
        (
            "peak RSS ≤ 64 MiB".into(),
            format!("{:.1} MiB", report.peak_kib as f64 / 1024.0),
            report.peak_kib <= 64 * 1024,
        ),
    ];
    println!("\n| goal (the report path) | measured | met |");
    println!("| --- | --- | --- |");
    for (goal, measured, met) in goals {
        println!(
            "| {goal} | {measured} | {} |",
            if met { "yes" } else { "**no**" }
        );
    }
}
