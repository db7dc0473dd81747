//! What the Organizations flows answer with: the fan-out's outcome, a batch
//! of sweep messages' (with the partial-batch response Lambda's event
//! source mapping reads), and the Organization's digest's.

use serde::Serialize;
use serde_json::{Value, json};

use super::MailStatus;
use super::summary::SummaryOutcome;
use super::sweep::SweepOutcome;
use crate::event::envelope::SqsBatchResponse;
use crate::rendered::Rendered;

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

/// What became of one sweep message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    Swept,
    /// The account is not served.
    Skipped,
    /// Returned to the queue (`batchItemFailures`).
    Failed,
}

/// One message's result.
#[derive(Debug, Clone, Serialize)]
pub struct MessageOutcome {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub status: MessageStatus,
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
    pub(crate) fn failures(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter(|m| m.status == MessageStatus::Failed)
            .map(|m| m.message_id.as_str())
            .collect()
    }

    /// Lambda's answer to the event source mapping.
    pub fn response(&self) -> Value {
        let mut response = SqsBatchResponse::default();
        for id in self.failures() {
            response.add_failure(id);
        }
        serde_json::to_value(response).unwrap_or_else(|_| json!({"batchItemFailures": []}))
    }
}

/// What the digest event did.
#[derive(Debug, Clone, Serialize)]
pub struct OrganizationDigestOutcome {
    pub kind: &'static str,
    pub run: String,
    pub accounts: usize,
    pub not_swept: Vec<String>,
    pub status: MailStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The Organization-wide chat summary (`CHAT_TOPIC_ARN`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<super::ChatOutcome>,
    /// The rendered digest; not part of the JSON.
    #[serde(skip)]
    pub rendered: Option<Rendered>,
}
