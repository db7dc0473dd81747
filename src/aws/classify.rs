//! SDK errors, after the SDK's own retries, as [`Error`]s that say whether a
//! later retry can help.
//!
//! | what happened | class |
//! | --- | --- |
//! | throttling code, 429, 5xx | retryable |
//! | time-out, connection refused or dropped | retryable |
//! | an answer that could not be read: cut short, too large, not the protocol's format, an HTML page or an empty body with status 2xx | retryable |
//! | the service refused the request (4xx, other codes) | permanent |
//! | the endpoint cannot be used as a URL (`AWS_ENDPOINT_URL…`) | permanent |
//! | the request could not be built | permanent |

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::endpoint::error::ResolveEndpointError;

use super::answers::Damaged;
use crate::error::Error;
use crate::mask::{MESSAGE_LIMIT, bounded};

/// Error codes that mean "slow down": worth a retry later.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "LimitExceededException",
    "ProvisionedThroughputExceededException",
];

/// Maps an SDK error as the table in the module doc says. The message is
/// AWS's own when the service sent one, else the SDK's account of the
/// failure; key ids are masked and it is cut to [`MESSAGE_LIMIT`]
/// characters (an unreadable answer can be megabytes).
pub(crate) fn classify<E>(service: &'static str, operation: &'static str, err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let code = err.code().map(str::to_string);
    let retryable = match &err {
        SdkError::TimeoutError(_) | SdkError::ResponseError(_) => true,
        SdkError::DispatchFailure(failure) => {
            !failure.is_user() && cause::<ResolveEndpointError>(&err).is_none()
        }
        SdkError::ServiceError(se) => {
            let status = se.raw().status();
            // A success status whose body did not deserialise: the answer
            // was damaged on the way, not refused.
            status.is_success()
                || status.as_u16() >= 500
                || status.as_u16() == 429
                || code
                    .as_deref()
                    .is_some_and(|c| THROTTLING_CODES.contains(&c))
        }
        _ => false,
    };
    let message = match (err.message(), cause::<Damaged>(&err)) {
        (Some(m), _) => m.to_string(),
        (None, Some(damaged)) => damaged.0.clone(),
        (None, None) => DisplayErrorContext(&err).to_string(),
    };
    Error::Aws {
        service,
        operation,
        code,
        message: bounded(&message, MESSAGE_LIMIT),
        retryable,
    }
}

/// The first error of type `T` in `err`'s chain of causes.
fn cause<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        next = e.source();
    }
    None
}
