//! access-key-notifier: warns the owners of IAM access keys before their
//! keys reach the rotation deadline.
//!
//! An AWS Config `access-keys-rotated` rule per notice tier turns NON_COMPLIANT
//! for an IAM user; EventBridge delivers the compliance change to this
//! function; the function finds the user, works out the exact deadline from
//! the keys themselves, and mails the owner once.
//!
//! # Layout
//!
//! - [`decision`]: the heart. Pure rules: which keys are due, the deadline,
//!   whether a closer notice supersedes this one, who gets mail, in which
//!   language, or why nothing is sent. Read it first.
//! - [`event`]: parses and re-checks the EventBridge event.
//! - [`config`]: the environment, typed and validated once at cold start.
//! - [`address`]: validation of email addresses from tags and configuration.
//! - [`directory`]: the user directory port and its IAM adapter (paging,
//!   UserId cache).
//! - [`mailer`]: the mailer port and its SES v2 adapter.
//! - [`idempotency`]: one notice per event across duplicate deliveries, on
//!   a DynamoDB table.
//! - [`mail`]: renders subject, text and HTML from the askama templates in
//!   `templates/` (English and Japanese).
//! - [`handler`]: one event through all of the above to one [`outcome`].
//! - [`aws`]: SDK configuration (retries, time-outs) and the mapping of SDK
//!   errors to retryable or permanent.
//! - [`error`]: the error type and its retryable / permanent classification.
//! - [`logging`], [`mask`]: JSON log lines; access key ids masked everywhere.
//! - [`app`], [`cli`]: wiring for the Lambda runtime and the `invoke` command.

pub mod address;
pub mod app;
pub mod aws;
pub mod cli;
pub mod config;
pub mod decision;
pub mod directory;
pub mod error;
pub mod event;
pub mod handler;
pub mod idempotency;
pub mod logging;
pub mod mail;
pub mod mailer;
pub mod mask;
pub mod outcome;
