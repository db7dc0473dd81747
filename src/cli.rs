//! The commands: `invoke` (one event through the very same router, from a
//! file or stdin), `sweep` (what the daily schedule starts, through the same
//! router) and `scan`
//! (the sweep's report, read-only), all with real SDK clients.

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use crate::app::aws_deps;
use crate::config::Config;
use crate::flow::Invocation;
use crate::logging;
use crate::mask::mask_key_ids;
use crate::outcome::report::Report;
use crate::outcome::sweep::{Source, SweepOutcome};
use crate::route::{self, Answer};
use crate::terminal::Progress;

/// Exit code for an error a retry may cure (EX_TEMPFAIL).
pub(crate) const EXIT_RETRYABLE: u8 = 75;

/// The largest event read: Lambda's own payload limit for a synchronous
/// invocation, 6 MB (Lambda API reference, Invoke: "For synchronous
/// invocations, the maximum payload size is 6 MB. For asynchronous
/// invocations, the maximum payload size is 1 MB."). No event Lambda can
/// deliver is larger, so a larger input is refused before it is read whole.
pub(crate) const MAX_EVENT_BYTES: u64 = 6 * 1024 * 1024;

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
    let answered = logging::in_request(
        invocation.log_request(),
        route::answer(payload, &deps, &invocation),
    )
    .await;
    match answered {
        Ok(answer) => {
            println!("{}", mask_key_ids(&answer.to_json().to_string()));
            let Answer::Event(handled) = answer else {
                return ExitCode::SUCCESS;
            };
            if deps.config.dry_run
                && let Some(mail) = &handled.rendered
            {
                eprintln!("Subject: {}\n\n{}", mail.subject, mail.text);
            }
            // Failed after something was done: the outcome above says what.
            match &handled.error {
                Some(e) => failed(e),
                None => ExitCode::SUCCESS,
            }
        }
        Err(e) => failed(&e),
    }
}

/// Prints an error with its class; the exit code tells a retry may help.
fn failed(e: &crate::error::Error) -> ExitCode {
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

/// Runs what the daily schedule runs, through the same router: a sweep of
/// the caller's account (STS GetCallerIdentity), or in Organizations mode
/// the fan-out, one sweep message per served account on the sweep queue.
/// Prints the outcome as one JSON line; with `show_digest`, the digest's
/// subject and text on stderr, with `show_chat` each chat message.
pub async fn sweep(dry_run: bool, show_digest: bool, show_chat: bool) -> ExitCode {
    let mut config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    config.dry_run |= dry_run;
    let deps = aws_deps(config).await;
    let progress = Progress::on_stderr();
    let invocation = Invocation {
        watcher: progress.watcher(),
        ..Invocation::local()
    };
    let scheduled = route::Incoming::Scheduled {
        account: None,
        run: crate::event::ScheduledRun::Sweep,
    };
    let run = route::dispatch(scheduled, &deps, &invocation);
    let answer = logging::in_request(invocation.log_request(), run).await;
    progress.done();
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => return failed(&e),
    };
    println!("{}", mask_key_ids(&answer.to_json().to_string()));
    if let Answer::Sweep(outcome) = &answer {
        if show_digest && let Some(mail) = outcome.digest.as_ref().and_then(|d| d.rendered.as_ref())
        {
            eprintln!("Subject: {}\n\n{}", mail.subject, mail.text);
        }
        if show_chat && let Some(chat) = &outcome.chat {
            for message in &chat.messages {
                eprintln!("chat: {}", mask_key_ids(message));
            }
        }
    }
    ExitCode::SUCCESS
}

/// How `scan` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
    /// One self-contained HTML page: the settings, the counts, a chart of
    /// the active keys' ages and the digest's sections.
    Html,
    /// The Security Hub findings a sweep would import (one JSON array of
    /// ASFF findings), imported nowhere.
    Asff,
}

/// The read-only report of the caller's account: every due key, where it
/// stands, and the owner tag problems, on stdout; a summary line on stderr.
/// Reads IAM only (the credential report, then ListAccessKeys and GetUser
/// for users with a due key; with `full`, or when the report cannot be
/// had, ListUsers and every user; STS GetCallerIdentity): nothing is
/// mailed, recorded or changed.
pub async fn scan(format: Format, full: bool) -> ExitCode {
    let config = match Config::for_scan() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: invalid configuration: {e}");
            return ExitCode::FAILURE;
        }
    };
    let deps = aws_deps(config).await;
    let progress = Progress::on_stderr();
    let invocation = Invocation {
        watcher: progress.watcher(),
        ..Invocation::local()
    };
    let run = crate::flow::sweep::run(
        &deps,
        &invocation,
        None,
        crate::flow::sweep::Run::ReadOnly { full },
    );
    let outcome = logging::in_request(invocation.log_request(), run).await;
    progress.done();
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => return failed(&e),
    };
    let Some(report) = &outcome.report else {
        eprintln!("error: the scan produced no report");
        return ExitCode::FAILURE;
    };
    let text = scan_text(format, &outcome, report, &deps.config);
    print!("{text}");
    eprintln!(
        "scan (read-only: nothing was mailed, recorded or changed): account {}, {} users, {} keys; {} overdue, {} due soon, {} exempt, {} owner tag problems; {} users failed",
        outcome.account,
        outcome.users.listed,
        outcome.keys,
        report.overdue.len(),
        report.within_tier.len(),
        report.exempt.len(),
        report.owner_problems.len(),
        outcome.users.failed,
    );
    match &outcome.report_unavailable {
        Some(why) => {
            eprintln!("  every user listed: the credential report could not be used ({why})")
        }
        None if outcome.source == Source::Listing => eprintln!("  every user listed (--full)"),
        None => eprintln!("  users with a due key found from the credential report"),
    }
    if outcome.root_access_key_active {
        eprintln!(
            "  FINDING: the root user has an active access key; delete it (root keys are never needed for daily work)"
        );
    }
    if outcome.users.failed > 0 {
        for e in &outcome.errors {
            eprintln!("  {}: {} {}", e.user, e.error_type, e.error);
        }
        return ExitCode::from(EXIT_RETRYABLE);
    }
    ExitCode::SUCCESS
}

/// What `scan` prints in `format`, every key id masked: the report of
/// `outcome` (a read-only sweep) as a table, JSON, CSV, an HTML page or
/// the Security Hub findings a sweep would import.
pub fn scan_text(
    format: Format,
    outcome: &SweepOutcome,
    report: &Report,
    config: &Config,
) -> String {
    let text = match format {
        Format::Table => crate::views::report::table(report),
        Format::Csv => crate::views::report::csv(report),
        Format::Html => crate::views::report_html::html(report, outcome, &config.policy),
        Format::Asff => {
            // The region the function would import into: the SDK's.
            let region = std::env::var("AWS_REGION")
                .or_else(|_| std::env::var("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|_| "us-east-1".to_string());
            let findings = crate::flow::findings::of(
                config,
                report,
                outcome.root_access_key_active,
                &region,
                chrono::Utc::now(),
            );
            format!(
                "{}\n",
                serde_json::to_string_pretty(&findings).unwrap_or_default()
            )
        }
        Format::Json => {
            let mut v = serde_json::to_value(report).unwrap_or_default();
            v["summary"] = serde_json::to_value(outcome).unwrap_or_default();
            format!("{v}\n")
        }
    };
    mask_key_ids(&text)
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
