//! Progress where a person waits, through the real binary against the
//! emulator: `scan` and `sweep` with stderr on a terminal (a pseudo-terminal
//! from `tests/emulator/on_terminal.py`) draw the users read of how many;
//! with stderr in a pipe they write nothing extra, and stdout is the same
//! either way.

mod common;

use std::process::Command;

use common::{
    Emulator, emulator_with_ledger, manifest_dir, notifier, owned_user, python, stdout_of,
};
use serde_json::Value;

const TABLE: &str = "progress-ledger";

/// `args` of the notifier against `emu`, with stderr on a terminal: its
/// status, stdout and what it drew.
fn on_terminal(emu: &Emulator, args: &[&str]) -> (i64, String, String) {
    let mut cmd = scan_env(notifier(python(), Some(&emu.endpoint)));
    cmd.arg(manifest_dir().join("tests/emulator/on_terminal.py"))
        .arg(env!("CARGO_BIN_EXE_access-key-notifier"))
        .args(args);
    let v: Value = serde_json::from_str(&stdout_of(&mut cmd, "on_terminal.py")).unwrap();
    (
        v["status"].as_i64().unwrap(),
        v["stdout"].as_str().unwrap().to_string(),
        v["terminal"].as_str().unwrap().to_string(),
    )
}

/// `args` of the notifier against `emu`, stderr in a pipe.
fn in_a_pipe(emu: &Emulator, args: &[&str]) -> std::process::Output {
    scan_env(notifier(
        env!("CARGO_BIN_EXE_access-key-notifier"),
        Some(&emu.endpoint),
    ))
    .args(args)
    .output()
    .unwrap()
}

fn scan_env(mut cmd: Command) -> Command {
    cmd.env("TERM", "xterm-256color").env("LEDGER_TABLE", TABLE);
    cmd
}

async fn account() -> Emulator {
    let mut emu = emulator_with_ledger(TABLE).await;
    for (name, ages) in [("alice", &[100][..]), ("bob", &[80]), ("carol", &[10])] {
        emu.create_user(owned_user(name, ages));
    }
    emu
}

#[tokio::test]
async fn scan_on_a_terminal_draws_the_users_read_and_in_a_pipe_nothing_extra() {
    let emu = account().await;
    let args = ["scan", "--full", "--format", "csv"];
    let (status, stdout, drawn) = on_terminal(&emu, &args);
    assert_eq!(status, 0, "{drawn}");
    // Every listed user planned and read, the line left drawn in full.
    assert!(drawn.contains("3/3 users read"), "{drawn:?}");

    let piped = in_a_pipe(&emu, &args);
    assert!(piped.status.success());
    let stderr = String::from_utf8(piped.stderr).unwrap();
    assert!(!stderr.contains("users read"), "{stderr}");
    assert!(
        !stderr.contains('\r') && !stderr.contains('\x1b'),
        "{stderr:?}"
    );
    // stdout, the report itself, is the same either way.
    assert_eq!(stdout, String::from_utf8(piped.stdout).unwrap());
    assert!(stdout.starts_with("user,access_key_id,"));
}

#[tokio::test]
async fn a_sweep_by_hand_on_a_terminal_draws_the_users_read() {
    let emu = account().await;
    let (status, stdout, drawn) = on_terminal(&emu, &["sweep", "--dry-run"]);
    assert_eq!(status, 0, "{drawn}");
    // The credential report names the users with a due key (alice and
    // bob): those two are read, carol is settled from the report.
    assert!(drawn.contains("2/2 users read"), "{drawn:?}");
    let outcome: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(outcome["users"]["notified"], 2, "{outcome}");
    assert_eq!(outcome["users"]["checked"], 1, "{outcome}");
}
