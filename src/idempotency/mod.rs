//! Exactly one notice per event, across duplicate deliveries.
//!
//! EventBridge and Lambda's asynchronous invocation deliver at least once.
//! With a store configured (`IDEMPOTENCY_TABLE`), the handler claims the
//! event id before doing anything that can mail:
//!
//! - the first claim writes an in-progress record that expires shortly after
//!   the invocation's own deadline;
//! - after the handler has an outcome, the record is completed with it and
//!   kept for [`RECORD_DAYS`] days; a later delivery of the same event gets
//!   the stored outcome back and sends nothing;
//! - a delivery that finds the record in progress (a concurrent duplicate)
//!   fails with a retryable error, so the platform tries again later;
//! - when the handler fails, the record is released so the platform's retry
//!   can go through at once; if the process dies instead, the in-progress
//!   record expires and the retry goes through after that.
//!
//! The DynamoDB adapter is in [`dynamodb`].

use std::future::Future;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::Error;

pub mod dynamodb;

/// How long a completed record answers duplicates: longer than EventBridge
/// (24 h) and Lambda (6 h) keep retrying.
pub const RECORD_DAYS: i64 = 7;

/// What claiming an event id found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// No record (or an expired in-progress one): this invocation goes ahead.
    Acquired,
    /// The event was handled already; here is its outcome.
    Completed(Value),
    /// Another invocation is handling the event right now.
    InProgress,
}

pub trait IdempotencyStore: Send + Sync {
    /// Claims `event_id` until `in_progress_until`, unless it is claimed or done.
    fn claim(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        in_progress_until: DateTime<Utc>,
    ) -> impl Future<Output = Result<Claim, Error>> + Send;

    /// Stores the outcome; the record expires at `expires`.
    fn complete(
        &self,
        event_id: &str,
        outcome: &Value,
        expires: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), Error>> + Send;

    /// Drops an in-progress claim after a failure.
    fn release(&self, event_id: &str) -> impl Future<Output = Result<(), Error>> + Send;
}
