//! Publishing to the team's chat channel (`CHAT_TOPIC_ARN`): the messages
//! [`chat`](crate::chat) builds, one Publish each. A failed publish is
//! reported (the outcome, the `ChatPublishFailed` metric and the digest),
//! never raised: the sweep's notices and records stand, and nothing is
//! mailed again. `DRY_RUN` renders the messages and publishes none.

use serde_json::{Value, json};

use crate::config::Config;
use crate::logging::{self, Level};
use crate::outcome::ChatOutcome;
use crate::ports::chat::ChatChannel;

/// Publishes `messages` to `chat`, in order; `None` when chat is off or
/// there is nothing to say.
pub async fn publish<C: ChatChannel>(
    config: &Config,
    chat: Option<&C>,
    messages: Vec<Value>,
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
            status: "dry_run",
            messages: texts,
            ..ChatOutcome::default()
        });
    }
    let mut out = ChatOutcome {
        status: "published",
        ..ChatOutcome::default()
    };
    for text in &texts {
        match chat.publish(text).await {
            Ok(_) => out.published += 1,
            Err(e) => {
                logging::log(
                    Level::Error,
                    "a chat message could not be published; the sweep's notices stand",
                    json!({"errorType": e.error_type(), "error": e.safe_message()}),
                );
                out.failed += 1;
                out.status = "failed";
                out.error.get_or_insert(e.safe_message());
            }
        }
    }
    out.messages = texts;
    Some(out)
}
