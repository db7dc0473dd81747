//! The one error type, and how it is reported to Lambda.
//!
//! Each error knows whether a retry can help. Lambda's asynchronous
//! invocation retries either way and finally routes the event to the
//! on-failure destination; the classification is carried in the error type
//! (`Retryable.*` or `Permanent.*`) so operators and alarms can tell a
//! throttled IAM call from a message SES will never accept.

use lambda_runtime::Diagnostic;

use crate::mask::mask_key_ids;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A payload the function cannot take: a malformed Config event, SQS
    /// event or sweep message, an event naming no account where one is
    /// needed, a schedule the deployment does not run.
    #[error("invalid event: {0}")]
    InvalidEvent(String),

    /// An AWS call failed after the SDK's own retries.
    #[error("{service} {operation} failed{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Aws {
        service: &'static str,
        operation: &'static str,
        code: Option<String>,
        message: String,
        retryable: bool,
    },

    /// Another invocation holds the ledger's claim on a stage this notice
    /// would announce (a concurrent delivery is mailing it right now);
    /// retried later, this one finds it recorded.
    #[error("the {stage} notice of key {key} is being sent by another invocation")]
    NoticeInProgress { key: String, stage: String },

    /// A rotation that stopped left a new key whose secret was never
    /// stored: nobody has it, so it was deactivated.
    #[error(
        "a rotation that stopped left the new key {new_key} without its secret stored; the key is deactivated, and the owner deletes it"
    )]
    RotationIncomplete { new_key: String },

    /// The user's name and id disagreed again after the name was looked up
    /// afresh: the user is being renamed right now.
    #[error("user {0} was renamed while it was read")]
    UserChanged(String),

    /// The invocation's time budget ran out before the event was handled:
    /// slow answers added up. Retried later, AWS may answer in time.
    #[error(
        "the event was not handled within its time budget of {budget_ms} ms (Lambda's deadline less {reserve_ms} ms to report this)"
    )]
    OutOfTime { budget_ms: u64, reserve_ms: u64 },

    /// A sweep was asked for without the notice ledger.
    #[error(
        "the sweep needs the notice ledger (LEDGER_TABLE): without it every daily sweep would mail every due key again; set LEDGER_TABLE, or run `scan` to only read"
    )]
    NoLedger,

    /// The exemption list could not be read, or holds an entry that is not
    /// a user, so whom it lists is unknown: no key is deactivated until it
    /// can be used (notices go on).
    #[error(
        "the exemption list (EXEMPT_USERS_PARAMETER) could not be used, so no key is deactivated: {0}"
    )]
    ExemptionsUnavailable(String),

    /// The member role could not be assumed in an account (Organizations
    /// mode): its IAM cannot be read, so the account's events wait for a
    /// retry rather than being skipped.
    #[error("the member role could not be assumed in account {account}: {message}")]
    MemberRole { account: String, message: String },

    /// The sweep's fan-out could not list the accounts, or could not send
    /// a message for every account.
    #[error("the sweep's fan-out failed: {0}")]
    FanOut(String),

    /// A mail's template could not be rendered (a notice, a deactivated
    /// mail, a digest): a defect, never the input's fault.
    #[error("rendering a mail failed: {0}")]
    Render(#[from] askama::Error),
}

impl Error {
    /// An answer missing a part the service always sends (a field, a row,
    /// an id): damaged on the way, never a default such as "never used"
    /// or "nobody". Retryable, like every answer that could not be read
    /// (`docs/reliability.md`, how each failure is classified).
    pub fn damaged(
        service: &'static str,
        operation: &'static str,
        message: impl Into<String>,
    ) -> Error {
        Error::Aws {
            service,
            operation,
            code: None,
            message: message.into(),
            retryable: true,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Aws {
                retryable: true,
                ..
            } | Error::NoticeInProgress { .. }
                | Error::UserChanged(_)
                | Error::OutOfTime { .. }
                | Error::ExemptionsUnavailable(_)
                | Error::MemberRole { .. }
                | Error::FanOut(_)
        )
    }

    /// `Retryable.<Kind>` or `Permanent.<Kind>`.
    pub fn error_type(&self) -> String {
        let kind = match self {
            Error::InvalidEvent(_) => "InvalidEvent",
            Error::Aws { service, .. } => match *service {
                "IAM" => "IamError",
                "SES" => "SesError",
                "DynamoDB" => "DynamoDbError",
                "STS" => "StsError",
                "SSM" => "SsmError",
                "Organizations" => "OrganizationsError",
                "SQS" => "SqsError",
                "SNS" => "SnsError",
                "SecretsManager" => "SecretsManagerError",
                _ => "AwsError",
            },
            Error::NoticeInProgress { .. } => "NoticeInProgress",
            Error::RotationIncomplete { .. } => "RotationIncomplete",
            Error::UserChanged(_) => "UserChanged",
            Error::OutOfTime { .. } => "OutOfTime",
            Error::Render(_) => "RenderError",
            Error::NoLedger => "NoLedger",
            Error::ExemptionsUnavailable(_) => "ExemptionsUnavailable",
            Error::MemberRole { .. } => "MemberRoleUnavailable",
            Error::FanOut(_) => "FanOutFailed",
        };
        let class = if self.is_retryable() {
            "Retryable"
        } else {
            "Permanent"
        };
        format!("{class}.{kind}")
    }

    /// The message with any access key id masked; AWS error messages can
    /// quote the key they are about.
    pub fn safe_message(&self) -> String {
        mask_key_ids(&self.to_string())
    }
}

impl From<Error> for Diagnostic {
    fn from(e: Error) -> Diagnostic {
        Diagnostic {
            error_type: e.error_type(),
            error_message: e.safe_message(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(retryable: bool) -> Error {
        Error::Aws {
            service: "SES",
            operation: "SendEmail",
            code: Some("MessageRejected".into()),
            message: "Email address not verified AKIAIOSFODNN7EXAMPLE".into(),
            retryable,
        }
    }

    #[test]
    fn the_error_type_carries_the_retry_class() {
        assert_eq!(aws(true).error_type(), "Retryable.SesError");
        assert_eq!(aws(false).error_type(), "Permanent.SesError");
        assert_eq!(
            Error::InvalidEvent("x".into()).error_type(),
            "Permanent.InvalidEvent"
        );
        assert_eq!(
            Error::NoticeInProgress {
                key: "AKIA…MPLE".into(),
                stage: "tier_7".into()
            }
            .error_type(),
            "Retryable.NoticeInProgress"
        );
    }

    #[test]
    fn the_diagnostic_masks_key_ids() {
        let d: Diagnostic = aws(false).into();
        assert_eq!(
            d.error_message,
            "SES SendEmail failed (MessageRejected): Email address not verified AKIA…MPLE"
        );
    }
}
