//! [`SweepQueue`] in memory: keeps every message sent, in order; a body can
//! be made refused, and calls are counted and failures scripted
//! (`SendMessageBatch`).

use std::sync::Mutex;

use super::script::Script;
use crate::error::Error;
use crate::ports::queue::{MAX_BATCH, Refused, SweepQueue};
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryQueue {
    sent: Mutex<Vec<String>>,
    /// Bodies containing this text are refused.
    refuse: Mutex<Option<String>>,
    pub script: Script,
}

impl MemoryQueue {
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    /// Every message body queued so far.
    pub fn sent(&self) -> Vec<String> {
        lock(&self.sent).clone()
    }

    /// Empties the queue, as the consumer would; returns what was in it.
    pub fn drain(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.sent))
    }

    /// Refuses the messages whose body contains `text`.
    #[cfg(test)]
    pub(crate) fn refuse_containing(&self, text: &str) {
        *lock(&self.refuse) = Some(text.to_string());
    }
}

impl SweepQueue for MemoryQueue {
    async fn send_batch(&self, bodies: &[String]) -> Result<Vec<Refused>, Error> {
        self.script.answer("SendMessageBatch").await?;
        assert!(bodies.len() <= MAX_BATCH, "SQS takes at most ten per batch");
        let refuse = lock(&self.refuse).clone();
        let mut refused = Vec::new();
        let mut sent = lock(&self.sent);
        for (index, body) in bodies.iter().enumerate() {
            if refuse.as_deref().is_some_and(|r| body.contains(r)) {
                refused.push(Refused {
                    index,
                    reason: "InternalError".into(),
                });
            } else {
                sent.push(body.clone());
            }
        }
        Ok(refused)
    }
}
