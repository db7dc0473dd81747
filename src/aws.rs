//! What the AWS adapters share: loading the SDK configuration and mapping
//! SDK errors into [`Error`] with a retry classification.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::mask::mask_key_ids;

/// Error codes that mean "slow down": worth a retry later.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
];

/// The default credential chain and region; `AWS_ENDPOINT_URL` (and the
/// per-service `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_SESV2`) are
/// honoured, which is how the emulator stands in for AWS.
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// Maps an SDK error after the SDK's own retries: throttling, 5xx, time-outs
/// and connection failures are retryable; anything the service rejected for
/// what was asked (4xx) is permanent.
pub(crate) fn classify<E>(service: &'static str, operation: &'static str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            status >= 500
                || status == 429
                || code
                    .as_deref()
                    .is_some_and(|c| THROTTLING_CODES.contains(&c))
        }
        _ => false,
    };
    let message = match err.message() {
        Some(m) => m.to_string(),
        None => DisplayErrorContext(&err).to_string(),
    };
    Error::Aws {
        service,
        operation,
        code,
        message: mask_key_ids(&message),
        retryable,
    }
}

/// An SDK timestamp as a chrono instant.
pub(crate) fn to_chrono(t: &aws_sdk_iam::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}
