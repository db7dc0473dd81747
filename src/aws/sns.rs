//! [`ChatChannel`] over SNS Publish to the chat topic.
//!
//! Relied on (Amazon SNS API reference, Publish; Amazon Q Developer in chat
//! applications, "Custom notifications"): the message is the custom
//! notification's JSON as the message body, no subject and no message
//! structure; a message is at most 256 KB.

use aws_sdk_sns::Client;

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::error::Error;
use crate::ports::channel::ChatChannel;

pub struct SnsChat {
    client: Lazy<Client>,
    topic_arn: String,
}

impl SnsChat {
    pub fn new(client: impl Into<Lazy<Client>>, topic_arn: &str) -> SnsChat {
        SnsChat {
            client: client.into(),
            topic_arn: topic_arn.to_string(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }
}

impl ChatChannel for SnsChat {
    async fn publish(&self, message: &str) -> Result<String, Error> {
        let out = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .message(message)
            .send()
            .await
            .map_err(|e| classify("SNS", "Publish", e))?;
        super::message_id("SNS", "Publish", out.message_id())
    }
}
