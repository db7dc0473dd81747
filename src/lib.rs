//! access-key-notifier: warns the owners of IAM access keys before their
//! keys reach the rotation deadline.
//!
//! An AWS Config `access-keys-rotated` rule per notice tier turns NON_COMPLIANT
//! for an IAM user; EventBridge delivers the compliance change to this
//! function; the function finds the user, works out each key's deadline and
//! stage from the keys themselves, and mails the owner about every stage of
//! every key exactly once, recorded in a notice ledger. A daily schedule
//! sweeps every user of the account through the same decision and ledger,
//! for what Config never says (and overdue reminders), and mails the
//! security team a digest. In Organizations mode one central deployment
//! serves every account of an AWS Organization (see [`organization`]).
//!
//! # Layout
//!
//! - [`decision`]: the heart. Pure rules: calendar days to each key's
//!   deadline, its stage, which keys a notice lists, which event mails, who
//!   gets mail, in which language, or why nothing is sent. Read it first.
//! - [`enforcement`]: the opt-in enforcement of the deadline. Pure rules
//!   (the enforcement date, a warning first, the per-run cap) beside
//!   decision's, and `enforcement::step`, which both paths run: re-read,
//!   deactivate (never delete), and tell the owner.
//! - [`exemption`]: the exemption list port (a Parameter Store StringList
//!   of user names or ARNs), its SSM adapter, an in-memory one, and the
//!   few-minute cache.
//! - [`organization`]: one deployment for a whole AWS Organization. Its
//!   rules (which accounts are served), the accounts port (a member role
//!   assumed per account, the Organization's account list), the sweep
//!   queue port (SQS), the fan-out and per-account sweep messages, and the
//!   Organization's digest.
//! - [`ports`]: the `Ports` trait naming one adapter per port, and the
//!   deployed and in-memory sets.
//! - [`event`]: parses and re-checks the EventBridge event.
//! - [`config`]: the environment, typed and validated once at cold start.
//! - [`address`]: validation of email addresses from tags and configuration.
//! - [`directory`]: the user directory port, its IAM adapter (paging,
//!   UserId cache) and an in-memory one.
//! - [`mailer`]: the mailer port, its SES v2 adapter and an in-memory one.
//! - [`ledger`]: the notice ledger port (each stage of each key once, across
//!   events, rules and duplicate deliveries), its DynamoDB adapter and an
//!   in-memory one.
//! - [`clock`]: the clock port; days are counted from it, never from an
//!   event's time.
//! - [`scripted`]: call counts and scripted failures for the in-memory
//!   adapters.
//! - [`mail`]: renders subject, text and HTML from the askama templates in
//!   `templates/` (English and Japanese).
//! - [`handler`]: one event through all of the above to one [`outcome`],
//!   within the invocation's time budget; its tests run over the in-memory
//!   adapters. `dispatch` sends a scheduled event to the sweep.
//! - [`sweep`]: the daily pass over every user (bounded concurrency, retry
//!   rounds, the time budget, where it stopped), its outcome, and the
//!   report the digest and `scan` print.
//! - [`digest`]: renders and sends the sweep's summary (askama, en/ja).
//! - [`metrics`]: CloudWatch metrics as Embedded Metric Format log lines.
//! - [`aws`]: SDK configuration (retries, time-outs), clients whose every
//!   answer is checked (size, complete document), bounded pagination, and
//!   the mapping of SDK errors to retryable or permanent.
//! - [`error`]: the error type and its retryable / permanent classification.
//! - [`logging`], [`mask`]: JSON log lines, each carrying its invocation's
//!   `requestId`; access key ids masked and outside values bounded wherever
//!   text leaves the process.
//! - [`app`], [`cli`]: wiring for the Lambda runtime and the `invoke`,
//!   `sweep` and `scan` commands.
//! - `fixtures` (tests only): the sample events of `tests/fixtures/events/`.

pub mod address;
pub mod app;
pub mod aws;
pub mod cli;
pub mod clock;
pub mod config;
pub mod decision;
pub mod digest;
pub mod directory;
pub mod enforcement;
pub mod error;
pub mod event;
pub mod exemption;
#[cfg(test)]
mod fixtures;
pub mod handler;
pub mod ledger;
pub mod logging;
pub mod mail;
pub mod mailer;
pub mod mask;
pub mod metrics;
pub mod organization;
pub mod outcome;
pub mod ports;
pub mod scripted;
pub mod sweep;
#[cfg(test)]
mod testkit;
