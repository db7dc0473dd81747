//! `access-key-notifier invoke`: one event through the very same handler,
//! with real SDK clients, from a file or stdin.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use crate::app::aws_deps;
use crate::config::Config;
use crate::handler::Invocation;
use crate::logging;
use crate::mask::mask_key_ids;

/// Exit code for an error a retry may cure (EX_TEMPFAIL).
pub const EXIT_RETRYABLE: u8 = 75;

/// The largest event read: Lambda's own payload limit for a synchronous
/// invocation, 6 MB (Lambda API reference, Invoke: "For synchronous
/// invocations, the maximum payload size is 6 MB. For asynchronous
/// invocations, the maximum payload size is 1 MB."). No event Lambda can
/// deliver is larger, so a larger input is refused before it is read whole.
pub const MAX_EVENT_BYTES: u64 = 6 * 1024 * 1024;

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
                Ok(line) => println!("{}", mask_key_ids(&line)),
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

/// Reads at most [`MAX_EVENT_BYTES`] (and one byte more, to tell).
fn read_event(path: &Path) -> std::io::Result<String> {
    let source: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(path)?)
    };
    let mut bytes = Vec::new();
    source.take(MAX_EVENT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_EVENT_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the event is larger than {MAX_EVENT_BYTES} bytes, Lambda's payload limit for an invocation"
            ),
        ));
    }
    String::from_utf8(bytes)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "the event is not UTF-8"))
}
