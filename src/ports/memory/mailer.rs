//! [`Mailer`] in memory: keeps every mail it accepts, for the flow tests, the
//! bench and the demo. Failures are scripted on `SendEmail`; a mail can
//! also be accepted with its answer lost ([`MemoryMailer::lose_next_answer`]),
//! the one fault after which a retry mails twice.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::script::Script;
use crate::error::Error;
use crate::ports::mailer::{Mail, Mailer};
use crate::sync::lock;

#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
    lose_next_answer: AtomicBool,
    ids: AtomicU64,
    pub script: Script,
}

impl MemoryMailer {
    pub fn new() -> MemoryMailer {
        MemoryMailer::default()
    }

    /// Every mail accepted so far, in order.
    pub fn sent(&self) -> Vec<Mail> {
        lock(&self.sent).clone()
    }

    /// The next mail is accepted, but the caller gets a retryable error, as
    /// when the connection breaks after SES accepted the message.
    #[cfg(test)]
    pub(crate) fn lose_next_answer(&self) {
        self.lose_next_answer.store(true, Ordering::SeqCst);
    }
}

impl Mailer for MemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<String, Error> {
        self.script.answer("SendEmail").await?;
        lock(&self.sent).push(mail.clone());
        let id = format!("memory-{}", self.ids.fetch_add(1, Ordering::SeqCst) + 1);
        if self.lose_next_answer.swap(false, Ordering::SeqCst) {
            return Err(Error::Aws {
                service: "SES",
                operation: "SendEmail",
                code: None,
                message: "the connection closed before the response arrived".into(),
                retryable: true,
            });
        }
        Ok(id)
    }
}
