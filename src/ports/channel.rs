//! The chat port: publishes one message for the team's chat channel. The
//! SNS adapter is `aws::sns` (Amazon Q Developer in chat applications
//! delivers the topic's messages to the mapped Slack or Teams channels), an
//! in-memory one `ports::memory::chat`.

use std::future::Future;

use crate::error::Error;

pub trait ChatChannel: Send + Sync {
    /// Publishes `message` (a custom notification's JSON) and returns the
    /// provider's message id.
    fn publish(&self, message: &str) -> impl Future<Output = Result<String, Error>> + Send;
}
