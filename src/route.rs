//! The edge's router: one incoming payload to the flow that handles it, and
//! the answer Lambda gets.
//!
//! A payload is read once into an [`Incoming`] ([`Incoming::of`]): a
//! schedule's event (sweep, fan-out, or the Organization's digest), an SQS
//! event of sweep messages, or anything else, which the Config flow parses
//! and answers (a skip for what is not a compliance change).

use serde_json::{Value, json};

use crate::clock::Clock;
use crate::error::Error;
use crate::event::envelope::{self, SqsEvent};
use crate::event::{self, Parsed, ScheduledRun};
use crate::flow::config_event::Handled;
use crate::flow::{Deps, Invocation, config_event, digest, fanout, scope, sweep};
use crate::outcome::Outcome;
use crate::outcome::fanout::{BatchOutcome, FanOutOutcome, OrganizationDigestOutcome};
use crate::outcome::sweep::SweepOutcome;
use crate::ports::Ports;

/// What one invocation answers with.
#[derive(Debug)]
pub enum Answer {
    /// A Config event's (or any other event's) outcome.
    Event(Box<Handled>),
    /// A scheduled event's sweep.
    Sweep(Box<SweepOutcome>),
    /// A scheduled event's fan-out (Organizations mode).
    FanOut(Box<FanOutOutcome>),
    /// SQS sweep messages, one account each (Organizations mode).
    Batch(Box<BatchOutcome>),
    /// The Organization's digest.
    OrganizationDigest(Box<OrganizationDigestOutcome>),
}

impl Answer {
    /// The outcome object, for the log line (and Lambda's answer, except
    /// for a batch).
    pub fn to_json(&self) -> Value {
        let value = match self {
            Answer::Event(h) => serde_json::to_value(&h.outcome),
            Answer::Sweep(s) => serde_json::to_value(s),
            Answer::FanOut(f) => serde_json::to_value(f),
            Answer::Batch(b) => serde_json::to_value(b),
            Answer::OrganizationDigest(d) => serde_json::to_value(d),
        };
        value.unwrap_or_else(|e| json!({"error": format!("the outcome could not be written: {e}")}))
    }

    /// Lambda's answer: the outcome, or for an SQS batch the
    /// `batchItemFailures` the event source mapping reads.
    pub fn response(&self) -> Value {
        match self {
            Answer::Batch(b) => b.response(),
            other => other.to_json(),
        }
    }
}

/// A payload, by the flow it goes to, read once.
pub enum Incoming {
    /// A schedule's event ("Scheduled Event" from EventBridge or
    /// EventBridge Scheduler), parsed and checked.
    Scheduled {
        account: Option<String>,
        run: ScheduledRun,
    },
    /// An SQS event (Lambda's event source mapping): sweep messages.
    Sqs(SqsEvent),
    /// Any other event, parsed: the Config flow's.
    Event(Parsed),
}

impl Incoming {
    /// Reads what a payload is; an event that does not parse is an error
    /// here, before any flow runs.
    pub fn of(payload: Value) -> Result<Incoming, Error> {
        if !event::is_scheduled(&payload) && is_sqs(&payload) {
            let sqs = envelope::read(&payload)
                .map_err(|e| Error::InvalidEvent(format!("not an SQS event: {e}")))?;
            return Ok(Incoming::Sqs(sqs));
        }
        Ok(match event::parse(payload)? {
            Parsed::Scheduled { account, run, .. } => Incoming::Scheduled { account, run },
            parsed => Incoming::Event(parsed),
        })
    }
}

/// Whether `payload` is an SQS event (Lambda's event source mapping).
fn is_sqs(payload: &Value) -> bool {
    payload
        .get("Records")
        .and_then(Value::as_array)
        .and_then(|r| r.first())
        .and_then(|r| r.get("eventSource"))
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

/// Answers any payload: a scheduled event sweeps the account (in
/// Organizations mode: fans the sweep out, or sends the Organization's
/// digest); an SQS event sweeps the account of each message; anything
/// else is handled as a Config event.
pub async fn dispatch<P: Ports>(
    incoming: Incoming,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Answer, Error> {
    match incoming {
        Incoming::Scheduled { account, run } => {
            let organization = deps.config.organization.is_some();
            match (run, organization) {
                (ScheduledRun::Sweep, false) => {
                    // A schedule naming another account than the
                    // function's own is not swept (organization rule 1).
                    match scope::scope(None, &deps.accounts, account.as_deref()).await? {
                        Ok(scope) => {
                            let service = deps.service(invocation);
                            let run = sweep::Run::Sweep;
                            let outcome =
                                sweep::run_in(deps, &service, invocation, scope, run).await?;
                            Ok(Answer::Sweep(Box::new(outcome)))
                        }
                        Err(reason) => Ok(Answer::Event(Box::new(Handled::of(Outcome {
                            account,
                            ..Outcome::skipped(reason)
                        })))),
                    }
                }
                (ScheduledRun::Sweep, true) => {
                    let fanned = invocation.within(deps.clock.now(), fanout::fan_out(deps));
                    Ok(Answer::FanOut(Box::new(fanned.await?)))
                }
                (ScheduledRun::Digest, true) => {
                    let digest = digest::organization_digest(deps);
                    let digest = invocation.within(deps.clock.now(), digest).await?;
                    Ok(Answer::OrganizationDigest(Box::new(digest)))
                }
                (ScheduledRun::Digest, false) => Err(Error::InvalidEvent(
                    "a digest schedule (detail.run `digest`) needs an Organizations deployment (MEMBER_ROLE_NAME); a single account's digest comes with its sweep".into(),
                )),
            }
        }
        Incoming::Sqs(sqs) => {
            let batch = fanout::sweep_messages(&sqs, deps, invocation).await?;
            Ok(Answer::Batch(Box::new(batch)))
        }
        Incoming::Event(parsed) => config_event::handle_parsed(parsed, deps, invocation)
            .await
            .map(|h| Answer::Event(Box::new(h))),
    }
}

/// Reads and answers a payload: [`Incoming::of`], then [`dispatch`].
pub async fn answer<P: Ports>(
    payload: Value,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Answer, Error> {
    dispatch(Incoming::of(payload)?, deps, invocation).await
}
