//! access-key-notifier: warns the owners of IAM access keys before their
//! keys reach the rotation deadline.
//!
//! An AWS Config `access-keys-rotated` rule per notice tier turns NON_COMPLIANT
//! for an IAM user; EventBridge delivers the compliance change to this
//! function; the function finds the user, works out each key's deadline and
//! stage from the keys themselves, and mails the owner about every stage of
//! every key exactly once, recorded in a notice ledger. A daily schedule
//! sweeps every user of the account through the same pipeline, for what
//! Config never says (and overdue reminders), and mails the security team
//! a digest. In Organizations mode one central deployment serves every
//! account of an AWS Organization (see [`organization`]).
//!
//! # Layout
//!
//! Imports go one way, down this list (`docs/architecture.md` draws it and
//! gives the file-by-file path of one Config event and one sweep;
//! `tests/layering.rs` fails on an import circle or two top-level modules
//! that import each other):
//!
//! - **The edge.** `main.rs`, [`cli`] (the `invoke`, `sweep` and `scan`
//!   commands; `terminal`, their progress on stderr), [`app`] (Lambda wiring: the deployed dependencies, one
//!   invocation's response, its log line and metrics), [`route`] (one
//!   payload to the flow that handles it) and [`metrics`] (CloudWatch EMF
//!   lines from outcomes).
//! - **The flows** ([`flow`]): the only code that sees the whole
//!   dependency set. Each reads the users its trigger names, hands them to
//!   the notice service, and folds the results into its outcome: one
//!   Config event, the sweep (plan, run, settle, publish), the
//!   Organizations fan-out, both digests, the chat channel's publishes.
//! - **The notice service** (`service`): built once per invocation
//!   ([`flow::Deps::service`]) over the ledger, mailer and exemption list;
//!   one user in, one typed result out: judge the keys, decide, rotate (a
//!   machine user's key into the account's secret store), enforce, notify
//!   (claim, render, send, record).
//! - **The ports** ([`ports`]): one trait per outside system, and the
//!   in-memory adapters beside them. The SDK adapters that implement them
//!   are [`aws`] (IAM, STS, Organizations, SES v2, DynamoDB, SSM, SQS, SNS,
//!   Secrets Manager, Security Hub), named only by the edge.
//! - **Records and views**: [`outcome`] (an event's outcome folded from
//!   its result, the sweep's, its report and its key ages, the account
//!   summaries, the Organizations flows'); `views`, the only code that makes words: the
//!   mails (askama: the notice, the deactivated mail, both digests), the
//!   chat messages (custom notifications for Amazon Q Developer in chat
//!   applications) and `scan`'s table, CSV and self-contained HTML
//!   report.
//! - **Pure rules and the shared model**: [`model`] (the words every layer
//!   speaks: user, key, tag, stage, locale, verdicts, one result per key),
//!   [`decision`] (the heart: read it first), `unused` (the unused-key
//!   policy), [`password`] (console passwords: expiry tiers and the unused
//!   period), [`findings`] (Security Hub findings: which, their `Id`,
//!   their severity), [`enforcement`], [`rotation`] (rotation for machine users),
//!   [`exemption`], `organization` (which
//!   accounts are served), [`event`] (parsing and re-checking every
//!   payload), [`config`] (the environment, typed and validated once at
//!   cold start), [`address`], [`credential_report`] (IAM's credential
//!   report, read).
//! - **Leaves**: [`error`], `logging` (JSON lines carrying the invocation's
//!   `requestId`), [`mask`] (key ids masked, outside values bounded),
//!   [`clock`], `calendar` (dates as printed), `rendered` (a finished
//!   mail), `sync` (a poison-tolerant lock).
//! - `fixtures`, `testkit` (tests only): the sample events of
//!   `tests/fixtures/events/`, and the in-memory dependencies the flow
//!   tests share.
//!
//! # The public surface
//!
//! Public is what the binary, the tests, the benches and the example name;
//! everything else is `pub(crate)`. The binary: [`cli`] and
//! [`app::run_lambda`]. The tests and benches, beside them: the flows'
//! entry points ([`route::answer`], [`flow::config_event::handle`],
//! [`flow::sweep::run`], [`flow::Deps`], [`flow::Invocation`]) and the
//! wiring that builds them ([`app::deps_from_sdk`], [`config::Config`],
//! [`clock`]); the SDK adapters and their clients ([`aws`]), the ports and
//! their in-memory adapters ([`ports`]), and the records they read
//! ([`outcome`], [`model`], [`error`]); the pure rules the property tests
//! drive ([`decision`], [`enforcement`], [`rotation`], [`address`], [`event`],
//! [`exemption`], [`credential_report`], [`mask`]) and [`metrics`].

// The docs link the crate-private modules they explain: read them with
// `cargo doc --document-private-items`.
#![allow(rustdoc::private_intra_doc_links)]

pub mod address;
pub mod app;
pub mod aws;
pub(crate) mod calendar;
pub mod cli;
pub mod clock;
pub mod config;
pub mod credential_report;
pub mod decision;
pub mod enforcement;
pub mod error;
pub mod event;
pub mod exemption;
pub mod findings;
#[cfg(test)]
mod fixtures;
pub mod flow;
pub(crate) mod logging;
pub mod mask;
pub mod metrics;
pub mod model;
pub(crate) mod organization;
pub mod outcome;
pub mod password;
pub mod ports;
pub(crate) mod rendered;
pub mod rotation;
pub mod route;
pub(crate) mod service;
pub(crate) mod sync;
pub(crate) mod terminal;
#[cfg(test)]
mod testkit;
pub(crate) mod unused;
pub(crate) mod views;
