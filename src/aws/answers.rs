//! Checks on every AWS answer before the SDK trusts it: a bounded size, and
//! a successful body that is a complete document (IAM's XML, or the JSON of
//! SES and DynamoDB).
//!
//! The SDK reads a non-streaming body whole into memory and has no size
//! limit of its own; its XML reader accepts a document cut after any closing
//! tag, so a ListAccessKeys answer cut short reads as a shorter list of
//! keys; and its JSON reader takes an empty or HTML body with status 200 as
//! an answer with every field missing. These are checked here as an SDK interceptor (the SDK's hook for
//! exactly this: `modify_before_deserialization` runs before the body is
//! read, `read_after_deserialization` sees the bytes that were read). A
//! failed check is an SDK response error, which [`classify`] maps to
//! retryable: the answer was damaged on the way, and asking again may get a
//! whole one.
//!
//! [`classify`]: super::classify

use std::fmt;

use aws_sdk_iam::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeDeserializationInterceptorContextMut,
};
use aws_sdk_iam::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::body::SdkBody;

use crate::credential_report;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The largest answer read from AWS: ten times the largest real one (a
/// ListUsers page of 1,000 users is about 400 KB). The one exception is
/// GetCredentialReport, the whole account in one answer, whose bound
/// follows from the report's own ([`answer_bound`]).
pub const MAX_RESPONSE_BYTES: usize = 4 << 20;

/// The largest answer read for `operation`: [`MAX_RESPONSE_BYTES`], and
/// for GetCredentialReport the bound derived from the report's rows
/// ([`credential_report::MAX_ANSWER_BYTES`]).
pub(super) fn answer_bound(operation: Option<&str>) -> usize {
    match operation {
        Some("GetCredentialReport") => credential_report::MAX_ANSWER_BYTES,
        _ => MAX_RESPONSE_BYTES,
    }
}

/// The SDK interceptor; see the module doc.
#[derive(Debug, Clone, Copy)]
pub struct ResponseCheck {
    /// Successful bodies are XML (IAM's query protocol), else JSON.
    xml: bool,
}

impl ResponseCheck {
    pub fn xml() -> ResponseCheck {
        ResponseCheck { xml: true }
    }

    pub fn json() -> ResponseCheck {
        ResponseCheck { xml: false }
    }
}

/// Why an answer was not used; [`classify`](super::classify) reports this
/// message rather than the SDK's account of the interceptor.
#[derive(Debug)]
pub(crate) struct Damaged(pub(crate) String);

impl fmt::Display for Damaged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Damaged {}

fn too_large(bound: usize) -> BoxError {
    Box::new(Damaged(format!(
        "the answer is larger than {bound} bytes, far beyond any real one; it was not read"
    )))
}

impl Intercept for ResponseCheck {
    fn name(&self) -> &'static str {
        "ResponseCheck"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // The operation's name is in the config bag of every request
        // (aws-smithy-runtime-api, `orchestrator::Metadata`).
        let bound = answer_bound(cfg.load::<Metadata>().map(Metadata::name));
        let response = context.response_mut();
        let declared = response
            .headers()
            .get("content-length")
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > bound as u64) {
            return Err(too_large(bound));
        }
        // A body without a length (chunked) is cut off while it is read.
        let body = std::mem::replace(response.body_mut(), SdkBody::taken());
        *response.body_mut() = SdkBody::from_body_1_x(http_body_util::Limited::new(body, bound));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let response = context.response();
        if !response.status().is_success() {
            return Ok(());
        }
        let Some(body) = response.body().bytes() else {
            return Ok(());
        };
        if self.xml && !xml_complete(body) {
            return Err(Box::new(Damaged(
                "the answer is not a complete XML document (cut short, empty, or not XML)".into(),
            )));
        }
        if !self.xml && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
            return Err(Box::new(Damaged(
                "the answer is not a JSON document (cut short, empty, or not JSON)".into(),
            )));
        }
        Ok(())
    }
}

/// Whether `body` is an XML document that ends with the closing tag of its
/// root element (`<ListUsersResponse …>…</ListUsersResponse>`), after an
/// optional declaration. Not a validator: the SDK's reader parses the rest;
/// this catches what that reader lets through, a document cut short.
fn xml_complete(body: &[u8]) -> bool {
    let mut doc = body.trim_ascii();
    if doc.starts_with(b"<?") {
        match doc.windows(2).position(|w| w == b"?>") {
            Some(end) => doc = doc[end + 2..].trim_ascii_start(),
            None => return false,
        }
    }
    let Some(rest) = doc.strip_prefix(b"<") else {
        return false;
    };
    let name_len = rest
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if name.is_empty() {
        return false;
    }
    doc.strip_suffix(b">")
        .and_then(|d| d.strip_suffix(name))
        .is_some_and(|d| d.ends_with(b"</"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_complete_when_its_root_element_closes() {
        let whole = br#"<?xml version="1.0"?>
<ListAccessKeysResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListAccessKeysResult><IsTruncated>false</IsTruncated></ListAccessKeysResult>
</ListAccessKeysResponse>
"#;
        assert!(xml_complete(whole));
        assert!(xml_complete(b"<A><B/></A>"));
        let cut = &whole[..whole.len() - 30];
        for damaged in [
            cut,
            b"".as_slice(),
            b"   ",
            b"<html><body>Service Unavailable</body></html>x",
            b"<?xml version=\"1.0\"?>",
            b"<A>text</B>",
            b"<A></AA>",
            b"{\"json\": true}",
        ] {
            assert!(
                !xml_complete(damaged),
                "{:?}",
                String::from_utf8_lossy(damaged)
            );
        }
    }
}
