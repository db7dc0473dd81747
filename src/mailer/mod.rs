//! The mailer port: sends one rendered notice. The SES v2 adapter is in
//! [`ses`].

use std::future::Future;

use crate::address::Address;
use crate::error::Error;

pub mod memory;
pub mod ses;

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

pub trait Mailer: Send + Sync {
    /// Sends the mail and returns the provider's message id.
    fn send(&self, mail: &Mail) -> impl Future<Output = Result<String, Error>> + Send;
}
