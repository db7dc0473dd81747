//! [`SweepQueue`] over SQS SendMessageBatch.
//!
//! Relied on (Amazon SQS API reference, SendMessageBatch): up to ten
//! entries, each with an id unique in the batch; the answer lists each
//! entry as `Successful` or `Failed`, and a batch can succeed as a call
//! while some of its entries fail.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::error::Error;
use crate::ports::queue::{MAX_BATCH, Refused, SweepQueue};

pub struct SqsQueue {
    client: Lazy<Client>,
    queue_url: String,
}

impl SqsQueue {
    pub fn new(client: impl Into<Lazy<Client>>, queue_url: &str) -> SqsQueue {
        SqsQueue {
            client: client.into(),
            queue_url: queue_url.to_string(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }
}

impl SweepQueue for SqsQueue {
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<Refused>, Error> {
        if bodies.is_empty() {
            return Ok(Vec::new());
        }
        let entries = bodies
            .iter()
            .take(MAX_BATCH)
            .enumerate()
            .map(|(i, body)| {
                SendMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .message_body(body)
                    .build()
                    .map_err(|e| Error::FanOut(format!("a message could not be built: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| classify("SQS", "SendMessageBatch", e))?;
        let mut refused: Vec<Refused> = out
            .failed()
            .iter()
            .map(|f| Refused {
                index: f.id().parse().unwrap_or(usize::MAX),
                reason: f.code().to_string(),
            })
            .collect();
        // An entry the answer names neither way was not confirmed queued.
        let answered = |i: usize| {
            out.successful().iter().any(|s| s.id() == i.to_string())
                || refused.iter().any(|r| r.index == i)
        };
        let unconfirmed: Vec<usize> = (0..bodies.len().min(MAX_BATCH))
            .filter(|&i| !answered(i))
            .collect();
        refused.extend(unconfirmed.into_iter().map(|index| Refused {
            index,
            reason: "not confirmed by the answer".into(),
        }));
        Ok(refused)
    }
}
