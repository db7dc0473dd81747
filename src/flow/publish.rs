//! Publishing to the team's chat channel (`CHAT_TOPIC_ARN`): the messages
//! [`chat`](crate::views::chat) builds, one Publish each. A failed publish is
//! reported (the outcome, the `ChatPublishFailed` metric and the digest),
//! never raised: the sweep's notices and records stand, and nothing is
//! mailed again. `DRY_RUN` renders the messages and publishes none.
//!
//! Publishing ends by the moment the caller gives, whatever SNS does (an
//! answer that never comes, as from a VPC without an SNS endpoint, would
//! otherwise hold each publish for the SDK's 15 s call time-out): a
//! message not published by then, and every one after it, is reported
//! failed, [`OUT_OF_TIME`].

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::config::Config;
use crate::logging::{self, Level};
use crate::outcome::{ChatOutcome, ChatStatus};
use crate::ports::channel::ChatChannel;

/// A message not published by the caller's moment.
pub(crate) const OUT_OF_TIME: &str = "not published within the time budget";

/// Publishes `messages` to `chat`, in order, each by `by` (`None`: no
/// bound but the SDK's time-outs); `None` when chat is off or there is
/// nothing to say.
pub(crate) async fn publish<C: ChatChannel>(
    config: &Config,
    chat: Option<&C>,
    messages: Vec<Value>,
    by: Option<Instant>,
) -> Option<ChatOutcome> {
    let chat = chat?;
    if messages.is_empty() {
        return None;
    }
    let texts: Vec<String> = messages.iter().map(Value::to_string).collect();
    if config.dry_run {
        for text in &texts {
            logging::log(
                Level::Info,
                "chat message (dry run: not published)",
                json!({"chat": text}),
            );
        }
        return Some(ChatOutcome {
            status: ChatStatus::DryRun,
            messages: texts,
            ..ChatOutcome::default()
        });
    }
    let mut out = ChatOutcome {
        status: ChatStatus::Published,
        ..ChatOutcome::default()
    };
    for (i, text) in texts.iter().enumerate() {
        let published = match by {
            Some(by) => tokio::time::timeout_at(by, chat.publish(text)).await.ok(),
            None => Some(chat.publish(text).await),
        };
        let Some(published) = published else {
            let left = texts.len() - i;
            logging::log(
                Level::Error,
                "chat messages not published within the time budget; the sweep's notices stand",
                json!({"errorType": "Retryable.OutOfTime", "messages": left}),
            );
            out.failed += left;
            out.status = ChatStatus::Failed;
            out.error.get_or_insert(OUT_OF_TIME.to_string());
            break;
        };
        match published {
            Ok(_) => out.published += 1,
            Err(e) => {
                logging::log(
                    Level::Error,
                    "a chat message could not be published; the sweep's notices stand",
                    json!({"errorType": e.error_type(), "error": e.safe_message()}),
                );
                out.failed += 1;
                out.status = ChatStatus::Failed;
                out.error.get_or_insert(e.safe_message());
            }
        }
    }
    out.messages = texts;
    Some(out)
}
