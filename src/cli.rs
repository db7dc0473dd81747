//! `access-key-notifier invoke`: one event through the very same handler,
//! with real SDK clients, from a file or stdin.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use crate::app::aws_deps;
use crate::config::Config;
use crate::handler::Invocation;
use crate::logging;

/// Exit code for an error a retry may cure (EX_TEMPFAIL).
pub const EXIT_RETRYABLE: u8 = 75;

/// Runs one event; prints the outcome as one JSON line on stdout, and with
/// `dry_run` the rendered subject and text on stderr. Exit codes: 0 for
/// sent, skipped and dry_run; 1 for a permanent error; 75 for a retryable
/// one.
pub async fn invoke(event: &Path, dry_run: bool) -> ExitCode {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::FAILURE
    };
    let text = match read_event(event) {
        Ok(text) => text,
        Err(e) => {
            return fail(format!(
                "cannot read the event from {}: {e}",
                event.display()
            ));
        }
    };
    let payload: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => return fail(format!("{} is not JSON: {e}", event.display())),
    };
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return fail(format!("invalid configuration: {e}")),
    };
    config.dry_run |= dry_run;
    let deps = aws_deps(config).await;
    let invocation = Invocation::local();
    let handled = logging::in_request(
        invocation.request_id.clone(),
        crate::handler::handle(payload, &deps, &invocation),
    )
    .await;
    match handled {
        Ok(handled) => {
            match serde_json::to_string(&handled.outcome) {
                Ok(line) => println!("{line}"),
                Err(e) => return fail(format!("cannot print the outcome: {e}")),
            }
            if deps.config.dry_run
                && let Some(mail) = handled.rendered
            {
                eprintln!("Subject: {}\n\n{}", mail.subject, mail.text);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let class = if e.is_retryable() {
                "retryable"
            } else {
                "permanent"
            };
            eprintln!("error ({class}, {}): {}", e.error_type(), e.safe_message());
            if e.is_retryable() {
                ExitCode::from(EXIT_RETRYABLE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

fn read_event(path: &Path) -> std::io::Result<String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text)?;
        Ok(text)
    } else {
        std::fs::read_to_string(path)
    }
}
