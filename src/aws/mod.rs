//! The SDK adapters, one per port: IAM ([`iam`], the user directory),
//! STS and Organizations ([`accounts`]), SES v2 ([`ses`]), DynamoDB
//! ([`dynamodb`], the notice ledger), SSM ([`ssm`], the exemption list) and
//! SQS ([`sqs`], the sweep queue); [`AwsPorts`] names them as one set. Each
//! is thin: it makes the calls and maps what comes back into the port's
//! types and the project's errors.
//!
//! What they share: the SDK configuration (retries, time-outs), clients
//! that check every answer ([`answers`]), the mapping of SDK errors to
//! retryable or permanent ([`classify`]), and bounded pagination
//! ([`pages`]).

pub mod accounts;
mod answers;
mod classify;
pub mod dynamodb;
pub mod iam;
pub(crate) mod lazy;
pub(crate) mod pages;
pub mod secrets;
pub mod securityhub;
pub mod ses;
pub mod sns;
pub(crate) mod sqs;
pub mod ssm;

pub use answers::{MAX_RESPONSE_BYTES, ResponseCheck};
pub(crate) use classify::classify;

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, ConfigLoader, SdkConfig};
use chrono::{DateTime, Utc};

use crate::clock::{FixedClock, SystemClock};
use crate::ports::Ports;

/// Attempts per call, the first included. IAM throttles per account and
/// SES per second: a few attempts with jittered back-off ride out a burst;
/// beyond that the event is better retried by the platform minutes later.
pub(crate) const MAX_ATTEMPTS: u32 = 4;
/// Back-off before the second attempt (it grows exponentially, with jitter).
pub(crate) const INITIAL_BACKOFF: Duration = Duration::from_millis(200);
pub(crate) const MAX_BACKOFF: Duration = Duration::from_secs(4);
/// Time to open a connection to an AWS endpoint.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of one call.
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);
/// One call with all its attempts and back-off: the function's timeout is
/// 30 s, so one stuck call gives up with a retryable error while the
/// invocation can still report it.
pub(crate) const CALL_TIMEOUT: Duration = Duration::from_secs(15);

/// The default credential chain and region, with the retry and time-out
/// settings above; `AWS_ENDPOINT_URL` (and the per-service
/// `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_SESV2`,
/// `AWS_ENDPOINT_URL_DYNAMODB`) is honoured, which is how the emulator
/// stands in for AWS.
///
/// Credentials in the environment (as Lambda sets them:
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`) are
/// taken from there directly. They are what the default chain would pick
/// first anyway, and building the chain is most of a cold start: it
/// constructs its web-identity link's STS client on the spot, and with it
/// a TLS connector that reads and parses every root certificate of the
/// platform (aws-config 1.8 `web_identity_token::Builder::build`, seen in a
/// profile of the cold start; docs/benchmarks.md). Without them (a local
/// run with a profile or SSO), the default chain is used.
pub(crate) async fn load_sdk_config() -> SdkConfig {
    let loader = with_retries_and_timeouts(aws_config::defaults(BehaviorVersion::latest()));
    let from_env = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]
        .iter()
        .all(|v| std::env::var_os(v).is_some_and(|value| !value.is_empty()));
    let loader = if from_env {
        loader.credentials_provider(
            aws_config::environment::EnvironmentVariableCredentialsProvider::new(),
        )
    } else {
        loader
    };
    loader.load().await
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

/// An IAM client whose answers are checked (size, completeness).
///
/// Standard retry mode, not the SDK's adaptive one: adaptive mode's
/// client-side rate limiter is shared by every IAM call of the process and
/// only recovers slowly, so a burst of throttles starves the Config path's
/// calls into their time-outs (seen under the fault test's random
/// throttling). The sweep backs off itself instead (`sweep`: retry rounds
/// at half the concurrency after a pause).
pub fn iam_client(sdk: &SdkConfig) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::from_conf(
        aws_sdk_iam::config::Builder::from(sdk)
            .interceptor(ResponseCheck::xml())
            .build(),
    )
}

/// An STS client whose answers are checked (size, completeness).
pub fn sts_client(sdk: &SdkConfig) -> aws_sdk_sts::Client {
    aws_sdk_sts::Client::from_conf(
        aws_sdk_sts::config::Builder::from(sdk)
            .interceptor(ResponseCheck::xml())
            .build(),
    )
}

/// An SNS client whose answers are checked (size, completeness).
pub fn sns_client(sdk: &SdkConfig) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::from_conf(
        aws_sdk_sns::config::Builder::from(sdk)
            .interceptor(ResponseCheck::xml())
            .build(),
    )
}

/// An SES v2 client whose answers are checked (size).
pub fn ses_client(sdk: &SdkConfig) -> aws_sdk_sesv2::Client {
    aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// A DynamoDB client whose answers are checked (size).
pub fn dynamodb_client(sdk: &SdkConfig) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// An SSM client whose answers are checked (size).
pub fn ssm_client(sdk: &SdkConfig) -> aws_sdk_ssm::Client {
    aws_sdk_ssm::Client::from_conf(
        aws_sdk_ssm::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// An Organizations client whose answers are checked (size, completeness).
pub(crate) fn organizations_client(sdk: &SdkConfig) -> aws_sdk_organizations::Client {
    aws_sdk_organizations::Client::from_conf(
        aws_sdk_organizations::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// A Secrets Manager client whose answers are checked (size,
/// completeness).
pub fn secretsmanager_client(sdk: &SdkConfig) -> aws_sdk_secretsmanager::Client {
    aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// A Security Hub client whose answers are checked (size, completeness).
pub fn securityhub_client(sdk: &SdkConfig) -> aws_sdk_securityhub::Client {
    aws_sdk_securityhub::Client::from_conf(
        aws_sdk_securityhub::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// An SQS client whose answers are checked (size, completeness).
pub fn sqs_client(sdk: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(sdk)
            .interceptor(ResponseCheck::json())
            .build(),
    )
}

/// The message id a sending service (SES, SNS) names every accepted
/// message by: an answer without one is damaged (retryable; retried, the
/// message may go twice, the bound `docs/reliability.md` states for an
/// answer lost after acceptance).
pub(crate) fn message_id(
    service: &'static str,
    operation: &'static str,
    id: Option<&str>,
) -> Result<String, crate::error::Error> {
    match id.filter(|id| !id.is_empty()) {
        Some(id) => Ok(id.to_string()),
        None => Err(crate::error::Error::damaged(
            service,
            operation,
            "the answer names no message id",
        )),
    }
}

/// An SDK timestamp as a chrono instant.
pub(crate) fn to_chrono(t: &aws_sdk_iam::primitives::DateTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// The deployed function's adapters.
pub enum AwsPorts {}

impl Ports for AwsPorts {
    type Accounts = accounts::IamAccounts;
    type Mailer = ses::SesMailer;
    type Ledger = dynamodb::DynamoDbLedger;
    type Clock = SystemClock;
    type Exemptions = ssm::SsmExemptionSource;
    type Queue = sqs::SqsQueue;
    type Chat = sns::SnsChat;
}

/// The deployed function's adapters with a clock that tests set: the
/// emulator tests step days with it.
pub enum AwsAtFixedTime {}

impl Ports for AwsAtFixedTime {
    type Accounts = accounts::IamAccounts;
    type Mailer = ses::SesMailer;
    type Ledger = dynamodb::DynamoDbLedger;
    type Clock = FixedClock;
    type Exemptions = ssm::SsmExemptionSource;
    type Queue = sqs::SqsQueue;
    type Chat = sns::SnsChat;
}
