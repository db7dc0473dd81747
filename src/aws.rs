//! What the AWS adapters share: loading the SDK configuration and mapping
//! SDK errors into [`Error`] with a retry classification.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
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
    "ProvisionedThroughputExceededException",
];

/// Attempts per call, the first included. IAM throttles per account and
/// SES per second: a few attempts with jittered back-off ride out a burst;
/// beyond that the event is better retried by the platform minutes later.
pub const MAX_ATTEMPTS: u32 = 4;
/// Back-off before the second attempt (it grows exponentially, with jitter).
pub const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Time to open a connection to an AWS endpoint.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of one call.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// One call with all its attempts and back-off: the function's timeout is
/// 30 s, so one stuck call gives up with a retryable error while the
/// invocation can still report it.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// The default credential chain and region, with the retry and time-out
/// settings above; `AWS_ENDPOINT_URL` (and the per-service
/// `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_SESV2`,
/// `AWS_ENDPOINT_URL_DYNAMODB`) is honoured, which is how the emulator
/// stands in for AWS.
pub async fn load_sdk_config() -> SdkConfig {
    with_retries_and_timeouts(aws_config::defaults(BehaviorVersion::latest()))
        .load()
        .await
}

/// Applies the retry and time-out settings above to a loader.
pub fn with_retries_and_timeouts(loader: ConfigLoader) -> ConfigLoader {
    loader
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(MAX_ATTEMPTS)
                .with_initial_backoff(INITIAL_BACKOFF)
                .with_max_backoff(MAX_BACKOFF),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                .operation_timeout(CALL_TIMEOUT)
                .build(),
        )
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
