//! [`Mailer`] over SES v2 SendEmail: simple content with text and HTML
//! parts, UTF-8, optional configuration set and message tags.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message, MessageTag};

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::error::Error;
use crate::ports::mailer::{Mail, Mailer};

pub struct SesMailer {
    client: Lazy<Client>,
}

impl SesMailer {
    pub fn new(client: impl Into<Lazy<Client>>) -> SesMailer {
        SesMailer {
            client: client.into(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }
}

fn utf8(data: &str) -> Result<Content, Error> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(build_error)
}

fn build_error(e: aws_sdk_sesv2::error::BuildError) -> Error {
    Error::Aws {
        service: "SES",
        operation: "SendEmail",
        code: None,
        message: format!("the request could not be built: {e}"),
        retryable: false,
    }
}

/// SES tag names and values allow letters, digits, `_`, `-`, `.` and `@`.
fn tag_safe(value: &str) -> String {
    value
        .chars()
        .take(256)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.@".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl Mailer for SesMailer {
    async fn send(&self, mail: &Mail) -> Result<String, Error> {
        let list = |a: &[crate::address::Address]| {
            Some(a.iter().map(|a| a.as_str().to_string()).collect::<Vec<_>>())
        };
        let destination = Destination::builder()
            .set_to_addresses(list(&mail.to))
            .set_cc_addresses(list(&mail.cc))
            .build();
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(
                Body::builder()
                    .text(utf8(&mail.text)?)
                    .html(utf8(&mail.html)?)
                    .build(),
            )
            .build();
        let tags = mail
            .tags
            .iter()
            .map(|(name, value)| {
                MessageTag::builder()
                    .name(tag_safe(name))
                    .value(tag_safe(value))
                    .build()
                    .map_err(build_error)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let out = self
            .client
            .send_email()
            .from_email_address(mail.from.as_str())
            .destination(destination)
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(mail.configuration_set.clone())
            .set_email_tags(Some(tags).filter(|t| !t.is_empty()))
            .send()
            .await
            .map_err(|e| classify("SES", "SendEmail", e))?;
        super::message_id("SES", "SendEmail", out.message_id())
    }
}
