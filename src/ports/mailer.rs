//! The mailer port: sends one rendered mail. The SES v2 adapter is
//! `aws::ses`, an in-memory one `ports::memory::mailer`.

use std::future::Future;

use crate::address::Address;
use crate::config::Config;
use crate::error::Error;
use crate::rendered::Rendered;

/// One message, ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub from: Address,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub configuration_set: Option<String>,
    /// Message tags (name, value) for SES event publishing.
    pub tags: Vec<(String, String)>,
}

impl Mail {
    /// A rendered mail from the configured sender, through the configured
    /// SES configuration set: the notice, the digest and the deactivated
    /// mail are all sent this way.
    pub fn new(
        config: &Config,
        to: &[Address],
        cc: &[Address],
        rendered: &Rendered,
        tags: Vec<(String, String)>,
    ) -> Mail {
        Mail {
            from: config.sender.clone(),
            to: to.to_vec(),
            cc: cc.to_vec(),
            subject: rendered.subject.clone(),
            text: rendered.text.clone(),
            html: rendered.html.clone(),
            configuration_set: config.ses_configuration_set.clone(),
            tags,
        }
    }
}

pub trait Mailer: Send + Sync {
    /// Sends the mail and returns the provider's message id.
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<String, Error>> + Send;
}
