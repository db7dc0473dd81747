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
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::accounts;
use super::fan_out_targets;
use super::queue::{MAX_BATCH, SweepQueue};
use super::summary::{self, AccountSummary, SummaryOutcome};
use crate::clock::Clock;
use crate::error::Error;
use crate::handler::{Deps, Invocation};
use crate::logging::{self, Level};
use crate::mask::quote;
use crate::ports::Ports;
use crate::sweep::{self, Run, SweepOutcome};

/// A message body is refused past this size: a real one is about 60 bytes.
pub const MAX_BODY: usize = 1024;

/// What each per-account message says: sweep this account for this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SweepMessage {
    pub account: String,
    /// The fan-out's date in the configured time zone: the summary is kept
    /// under it, so a sweep that runs past midnight still counts for its
    /// run.
    pub run: NaiveDate,
}

impl SweepMessage {
    pub fn body(&self) -> String {
        json!({"sweep_account": self.account, "run": self.run.to_string()}).to_string()
    }

    /// Reads a message body, checking each field.
    pub fn parse(body: &str) -> Result<SweepMessage, String> {
        if body.len() > MAX_BODY {
            return Err(format!(
                "the body is {} bytes, more than {MAX_BODY}",
                body.len()
            ));
        }
        let value: Value =
            serde_json::from_str(body).map_err(|_| "the body is not JSON".to_string())?;
        let field = |name: &str| value.get(name).and_then(Value::as_str);
        let account = field("sweep_account")
            .ok_or("the body has no `sweep_account` string")?
            .to_string();
        if !super::is_account_id(&account) {
            return Err(format!(
                "sweep_account `{}` is not a 12-digit account id",
                quote(&account)
            ));
        }
        let run = field("run")
            .and_then(|r| NaiveDate::parse_from_str(r, "%Y-%m-%d").ok())
            .ok_or("the body has no `run` date (YYYY-MM-DD)")?;
        Ok(SweepMessage { account, run })
    }
}

/// What the fan-out did.
#[derive(Debug, Clone, Serialize)]
pub struct FanOutOutcome {
    pub kind: &'static str,
    pub run: String,
    /// Accounts served, less the exempt ones.
    pub accounts: usize,
    pub queued: usize,
    /// Accounts on `EXEMPT_ACCOUNTS`, which got no message.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exempt: Vec<String>,
    /// Accounts whose message was not queued, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<(String, String)>,
}

/// Lists the accounts served and queues one sweep message per account.
/// An account whose message was not queued makes the whole fan-out a
/// retryable error after the rest are queued: the retry queues every
/// account again, which costs a second sweep of some accounts and mails
/// nobody twice (the ledger).
pub async fn fan_out<P: Ports>(deps: &Deps<P>) -> Result<FanOutOutcome, Error> {
    let (Some(org), Some(queue)) = (&deps.config.organization, &deps.queue) else {
        return Err(Error::FanOut(
            "the fan-out needs MEMBER_ROLE_NAME and SWEEP_QUEUE_URL".into(),
        ));
    };
    let run = deps.config.policy.date_of(deps.clock.now());
    let served = accounts::served(org, &deps.accounts).await?;
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

/// Whether `payload` is an SQS event (Lambda's event source mapping).
pub fn is_sqs(payload: &Value) -> bool {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// One message's result.
#[derive(Debug, Clone, Serialize)]
pub struct MessageOutcome {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// `swept`, `skipped` (the account is not served) or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Box<SweepOutcome>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<SummaryOutcome>,
}

/// A batch of sweep messages' results.
#[derive(Debug, Clone, Serialize)]
pub struct BatchOutcome {
    pub kind: &'static str,
    pub messages: Vec<MessageOutcome>,
}

impl BatchOutcome {
    /// The messages to return to the queue.
    pub fn failures(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter(|m| m.status == "failed")
            .map(|m| m.message_id.as_str())
            .collect()
    }

    /// Lambda's answer to the event source mapping.
    pub fn response(&self) -> Value {
        let failures: Vec<Value> = self
            .failures()
            .into_iter()
            .map(|id| json!({"itemIdentifier": id}))
            .collect();
        json!({ "batchItemFailures": failures })
    }
}

/// Sweeps the account of each SQS message, one after the other. A record
/// without a message id cannot be reported on its own, so it fails the
/// whole batch (every message returns to the queue).
pub async fn sweep_messages<P: Ports>(
    payload: Value,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<BatchOutcome, Error> {
    let records = payload
        .get("Records")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::InvalidEvent("the SQS event has no Records".into()))?;
    let mut messages = Vec::with_capacity(records.len());
    for record in records {
        let message_id = record
            .get("messageId")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty() && id.len() <= 100)
            .ok_or_else(|| Error::InvalidEvent("an SQS record has no messageId".into()))?;
        let body = record.get("body").and_then(Value::as_str).unwrap_or("");
        messages.push(sweep_one(deps, invocation, message_id, body).await);
    }
    Ok(BatchOutcome {
        kind: "sweep_messages",
        messages,
    })
}

async fn sweep_one<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    message_id: &str,
    body: &str,
) -> MessageOutcome {
    let mut out = MessageOutcome {
        message_id: message_id.to_string(),
        account: None,
        status: "failed",
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
    let scope = match accounts::scope::<P>(org, &deps.accounts, Some(&message.account)).await {
        Ok(Ok(scope)) => scope,
        Ok(Err(reason)) => {
            out.status = "skipped";
            out.reason = Some(reason.code());
            return out;
        }
        Err(e) => return failed(out, e),
    };
    let label = scope
        .label
        .clone()
        .unwrap_or_else(|| message.account.clone());
    match sweep::run_in(deps, invocation, scope, Run::Sweep).await {
        Ok(swept) => {
            if let Some(report) = &swept.report {
                let summary = AccountSummary::of(&message.account, &label, report, &swept);
                out.summary = Some(summary::keep(deps, message.run, &summary).await);
            }
            out.status = "swept";
            out.sweep = Some(Box::new(swept));
            out
        }
        Err(e) => failed(out, e),
    }
}

/// The accounts a digest covers: those served, less the exempt.
pub async fn digest_accounts<P: Ports>(deps: &Deps<P>) -> Result<Vec<String>, Error> {
    let Some(org) = &deps.config.organization else {
        return Ok(Vec::new());
    };
    let served = accounts::served(org, &deps.accounts).await?;
    Ok(fan_out_targets(org, &served).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_says_which_account_and_run() {
        let m = SweepMessage {
            account: "111111111111".into(),
            run: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        };
        assert_eq!(
            m.body(),
            r#"{"run":"2026-11-23","sweep_account":"111111111111"}"#
        );
        assert_eq!(SweepMessage::parse(&m.body()), Ok(m));
    }

    #[test]
    fn a_bad_message_is_refused_with_its_problem() {
        for (body, problem) in [
            ("", "not JSON"),
            ("{}", "sweep_account"),
            (r#"{"sweep_account":"12345"}"#, "12-digit"),
            (
                r#"{"sweep_account":"111111111111","run":"23/11/2026"}"#,
                "run",
            ),
            (
                &format!(r#"{{"pad":"{}"}}"#, "x".repeat(2000)),
                "more than 1024",
            ),
        ] {
            let e = SweepMessage::parse(body).unwrap_err();
            assert!(e.contains(problem), "{body}: {e}");
        }
    }
}
