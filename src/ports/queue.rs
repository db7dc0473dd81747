//! The sweep queue port: where the fan-out sends one message per account.
//! The SQS adapter is `aws::sqs`, an in-memory one `ports::memory::queue`.

use std::future::Future;

use crate::error::Error;

/// SQS takes at most ten messages per SendMessageBatch.
pub(crate) const MAX_BATCH: usize = 10;

/// A message the queue did not take.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Its index in the batch.
    pub index: usize,
    /// The queue's code or message.
    pub reason: String,
}

pub trait SweepQueue: Send + Sync {
    /// Sends at most [`MAX_BATCH`] message bodies as one batch; the ones
    /// the queue refused (the others are queued). `Err`: the batch as a
    /// whole failed.
    fn send_batch(
        &self,
        bodies: &[String],
    ) -> impl Future<Output = Result<Vec<Refused>, Error>> + Send;
}
