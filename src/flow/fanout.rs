//! The sweep's fan-out (Organizations mode).
//!
//! The daily schedule's event lists the accounts served and sends one
//! [`SweepMessage`] per account to the sweep queue. SQS delivers each to
//! the same function, which sweeps that one account ([`sweep_messages`])
//! and keeps its summary for the Organization's digest. One slow or broken
//! account delays nobody else: each has its own message, invocation and
//! time budget, and a failed one is retried by SQS and finally lands in
//! the dead-letter queue, named in the digest as not swept.
//!
//! Relied on (AWS Lambda developer guide, "Handling errors for an SQS
//! event source in Lambda"): with `ReportBatchItemFailures` the function
//! answers `{"batchItemFailures": [{"itemIdentifier": messageId}]}`, and
//! only those messages return to the queue.

use chrono::NaiveDate;
use serde_json::json;

use super::scope::{self, served};
use super::sweep::{self, Run};
use super::{Deps, Invocation, Service};
use crate::clock::Clock;
use crate::error::Error;
use crate::event::envelope::SqsEvent;
use crate::event::sweep_message::SweepMessage;
use crate::logging::{self, Level};
use crate::organization::fan_out_targets;
use crate::outcome::fanout::{BatchOutcome, FanOutOutcome, MessageOutcome, MessageStatus};
use crate::outcome::summary::{AccountSummary, SummaryOutcome, SummaryStatus};
use crate::ports::Ports;
use crate::ports::ledger::NoticeLedger;
use crate::ports::queue::{MAX_BATCH, SweepQueue};

/// Lists the accounts served and queues one sweep message per account.
/// An account whose message was not queued makes the whole fan-out a
/// retryable error after the rest are queued: the retry queues every
/// account again, which costs a second sweep of some accounts and mails
/// nobody twice (the ledger).
pub(crate) async fn fan_out<P: Ports>(deps: &Deps<P>) -> Result<FanOutOutcome, Error> {
    let (Some(org), Some(queue)) = (&deps.config.organization, &deps.queue) else {
        return Err(Error::FanOut(
            "the fan-out needs MEMBER_ROLE_NAME and SWEEP_QUEUE_URL".into(),
        ));
    };
    let run = deps.config.policy.date_of(deps.clock.now());
    let served = served(org, &deps.accounts).await?;
    let (targets, exempt) = fan_out_targets(org, &served);
    let mut refused: Vec<(String, String)> = Vec::new();
    for (n, chunk) in targets.chunks(MAX_BATCH).enumerate() {
        let bodies: Vec<String> = chunk
            .iter()
            .map(|account| {
                SweepMessage {
                    account: account.clone(),
                    run,
                }
                .body()
            })
            .collect();
        match queue.send_batch(&bodies).await {
            Ok(refusals) => refused.extend(refusals.into_iter().map(|r| {
                let account = targets.get(n * MAX_BATCH + r.index).cloned();
                (account.unwrap_or_else(|| "?".into()), r.reason)
            })),
            Err(e) => refused.extend(chunk.iter().map(|a| (a.clone(), e.safe_message()))),
        }
    }
    let outcome = FanOutOutcome {
        kind: "fan_out",
        run: run.to_string(),
        accounts: targets.len(),
        queued: targets.len() - refused.len().min(targets.len()),
        exempt,
        refused,
    };
    if outcome.refused.is_empty() {
        return Ok(outcome);
    }
    logging::log(
        Level::Error,
        "fan-out outcome",
        serde_json::to_value(&outcome).unwrap_or_default(),
    );
    let names: Vec<&str> = outcome.refused.iter().map(|(a, _)| a.as_str()).collect();
    Err(Error::FanOut(format!(
        "{} of {} accounts were not queued: {}",
        names.len(),
        outcome.accounts,
        names.join(", ")
    )))
}

/// Sweeps the account of each SQS message, one after the other. A record
/// without a message id cannot be reported on its own, so it fails the
/// whole batch (every message returns to the queue).
pub(crate) async fn sweep_messages<P: Ports>(
    event: &SqsEvent,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<BatchOutcome, Error> {
    // One notice service for the whole batch: one invocation.
    let service = deps.service(invocation);
    let mut messages = Vec::with_capacity(event.records.len());
    for record in &event.records {
        let message_id = record
            .message_id
            .as_deref()
            .filter(|id| !id.is_empty() && id.len() <= 100)
            .ok_or_else(|| Error::InvalidEvent("an SQS record has no messageId".into()))?;
        let body = record.body.as_deref().unwrap_or("");
        messages.push(sweep_one(deps, &service, invocation, message_id, body).await);
    }
    Ok(BatchOutcome {
        kind: "sweep_messages",
        messages,
    })
}

async fn sweep_one<P: Ports>(
    deps: &Deps<P>,
    service: &Service<'_, P>,
    invocation: &Invocation,
    message_id: &str,
    body: &str,
) -> MessageOutcome {
    let mut out = MessageOutcome {
        message_id: message_id.to_string(),
        account: None,
        status: MessageStatus::Failed,
        reason: None,
        error: None,
        error_type: None,
        sweep: None,
        summary: None,
    };
    let failed = |mut out: MessageOutcome, e: Error| {
        out.error_type = Some(e.error_type());
        out.error = Some(e.safe_message());
        out
    };
    let message = match SweepMessage::parse(body) {
        Ok(m) => m,
        Err(problem) => {
            return failed(
                out,
                Error::InvalidEvent(format!("not a sweep message: {problem}")),
            );
        }
    };
    out.account = Some(message.account.clone());
    let org = deps.config.organization.as_ref();
    if org.is_none() {
        return failed(
            out,
            Error::InvalidEvent(
                "a sweep message needs an Organizations deployment (MEMBER_ROLE_NAME)".into(),
            ),
        );
    }
    let scope = match scope::scope(org, &deps.accounts, Some(&message.account)).await {
        Ok(Ok(scope)) => scope,
        Ok(Err(reason)) => {
            out.status = MessageStatus::Skipped;
            out.reason = Some(reason.code());
            return out;
        }
        Err(e) => return failed(out, e),
    };
    let label = scope
        .label
        .clone()
        .unwrap_or_else(|| message.account.clone());
    match sweep::run_in(deps, service, invocation, scope, Run::Sweep).await {
        Ok(swept) => {
            if let Some(report) = &swept.report {
                let summary = AccountSummary::of(&message.account, &label, report, &swept);
                out.summary = Some(
                    keep(
                        deps.config.dry_run,
                        deps.ledger.as_ref(),
                        message.run,
                        &summary,
                    )
                    .await,
                );
            }
            out.status = MessageStatus::Swept;
            out.sweep = Some(Box::new(swept));
            out
        }
        Err(e) => failed(out, e),
    }
}

/// Keeps the account's summary under `run` for the Organization's digest.
/// A failure is logged and reported, never raised: the sweep's notices
/// stand, and the digest lists the account as not swept.
async fn keep<L: NoticeLedger>(
    dry_run: bool,
    ledger: Option<&L>,
    run: NaiveDate,
    summary: &AccountSummary,
) -> SummaryOutcome {
    let outcome = |status, error| SummaryOutcome {
        status,
        run: run.to_string(),
        error,
    };
    if dry_run {
        return outcome(SummaryStatus::DryRun, None);
    }
    let Some(ledger) = ledger else {
        return outcome(SummaryStatus::Failed, Some("no ledger".into()));
    };
    let text = serde_json::to_string(summary).unwrap_or_default();
    match ledger.put_summary(run, &summary.account, &text).await {
        Ok(()) => outcome(SummaryStatus::Kept, None),
        Err(e) => {
            logging::log(
                Level::Error,
                "the account's sweep summary could not be kept; the Organization's digest lists it as not swept",
                json!({"account": summary.account, "error": e.safe_message()}),
            );
            outcome(SummaryStatus::Failed, Some(e.safe_message()))
        }
    }
}
