//! The `access-key-notifier` binary: the Lambda function (the deployed
//! `bootstrap`) and the `invoke`, `sweep` and `scan` commands that run it
//! locally.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Warns IAM access key owners before the rotation deadline.
///
/// With no command inside AWS Lambda (AWS_LAMBDA_RUNTIME_API set) it serves
/// the Lambda runtime. Configuration comes from the environment; see the
/// README's configuration table.
#[derive(Parser)]
#[command(name = "access-key-notifier", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run one EventBridge event through the router and its flow and print the outcome as JSON.
    ///
    /// Uses the default AWS credential chain; AWS_ENDPOINT_URL points it at
    /// an emulator. Exit status: 0 sent/skipped/dry_run, 1 permanent error,
    /// 75 retryable error.
    Invoke {
        /// The event file, or - for stdin.
        #[arg(long, value_name = "FILE")]
        event: PathBuf,
        /// Decide and render, do not send; also prints the subject and text on stderr.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run what the daily schedule runs, and print the outcome as JSON.
    ///
    /// A sweep of the caller's account; in Organizations mode
    /// (MEMBER_ROLE_NAME) the fan-out: one sweep message per served account
    /// on SWEEP_QUEUE_URL, which the deployed function then sweeps. Needs
    /// LEDGER_TABLE (each stage of each key is mailed once). Exit status as
    /// for invoke.
    Sweep {
        /// Decide and render, send and record nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the digest's subject and text on stderr.
        #[arg(long)]
        show_digest: bool,
        /// Print each chat message (CHAT_TOPIC_ARN) on stderr, one JSON
        /// line each, as published or as a dry run would publish it.
        #[arg(long)]
        show_chat: bool,
    },
    /// Print where every due key of the caller's account stands. Read-only:
    /// nothing is mailed, recorded or changed.
    ///
    /// Finds the users with a due key from the IAM credential report and
    /// reads only those; needs IAM read access (GenerateCredentialReport,
    /// GetCredentialReport, ListAccessKeys, GetUser; ListUsers with --full
    /// or when the report cannot be had) and STS GetCallerIdentity;
    /// SENDER_ADDRESS is not needed. Exit status 75 when some users could
    /// not be read.
    Scan {
        #[arg(long, value_enum, default_value = "table")]
        format: access_key_notifier::cli::Format,
        /// Read every user (ListUsers), not the credential report's
        /// candidates.
        #[arg(long)]
        full: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Invoke { event, dry_run }) => {
            access_key_notifier::cli::invoke(&event, dry_run).await
        }
        Some(Command::Sweep {
            dry_run,
            show_digest,
            show_chat,
        }) => access_key_notifier::cli::sweep(dry_run, show_digest, show_chat).await,
        Some(Command::Scan { format, full }) => access_key_notifier::cli::scan(format, full).await,
        None if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => {
            access_key_notifier::app::run_lambda().await
        }
        None => {
            let _ = Cli::command().print_help();
            eprintln!("\nerror: no command given and AWS_LAMBDA_RUNTIME_API is not set");
            ExitCode::from(2)
        }
    }
}
