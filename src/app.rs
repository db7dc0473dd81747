//! Wiring: builds the real dependencies once at cold start and serves the
//! Lambda Runtime API.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::aws;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ConfigError};
use crate::directory::UserDirectory;
use crate::directory::iam::IamDirectory;
use crate::exemption::ExemptionSource;
use crate::exemption::Exemptions;
use crate::exemption::ssm::SsmExemptionSource;
use crate::handler::{Answer, Deps, Invocation, dispatch};
use crate::ledger::NoticeLedger;
use crate::ledger::dynamodb::DynamoDbLedger;
use crate::logging::{self, Level};
use crate::mailer::Mailer;
use crate::mailer::ses::SesMailer;
use crate::metrics;

/// The dependencies of the deployed function.
pub type AwsDeps = Deps<IamDirectory, SesMailer, DynamoDbLedger, SystemClock, SsmExemptionSource>;

/// The error type every invocation answers with while the configuration
/// cannot be used.
pub const INVALID_CONFIGURATION: &str = "Permanent.InvalidConfiguration";

/// Real SDK clients from the default chain (`AWS_ENDPOINT_URL` honoured).
pub async fn aws_deps(config: Config) -> AwsDeps {
    deps_from_sdk(config, &aws::load_sdk_config().await)
}

/// Real SDK clients from a given SDK configuration.
pub fn deps_from_sdk(config: Config, sdk: &aws_config::SdkConfig) -> AwsDeps {
    let ledger = config
        .ledger_table
        .as_ref()
        .map(|table| DynamoDbLedger::new(aws::dynamodb_client(sdk), table));
    let exemptions = Exemptions::new(
        config
            .exempt_users_parameter
            .as_ref()
            .map(|name| SsmExemptionSource::new(aws::ssm_client(sdk), name)),
    );
    Deps {
        config,
        exemptions,
        directory: IamDirectory::new(aws::iam_client(sdk), aws::sts_client(sdk)),
        mailer: SesMailer::new(aws::ses_client(sdk)),
        ledger,
        clock: SystemClock,
    }
}

/// Serves Lambda invocations until the runtime stops the process.
///
/// A configuration that cannot be used does not stop the process (Lambda
/// would report a bare `Runtime.ExitError` and retry the cold start): every
/// invocation is answered with [`INVALID_CONFIGURATION`] and the reason, so
/// the events land in the failure queue with a readable error.
pub async fn run_lambda() -> ExitCode {
    let deps = match Config::from_env() {
        Ok(config) => {
            logging::log(
                Level::Info,
                "starting",
                json!({"config": config.to_string()}),
            );
            Ok(aws_deps(config).await)
        }
        Err(e) => {
            logging::log(
                Level::Error,
                "invalid configuration: every invocation fails until it is fixed",
                json!({"errorType": INVALID_CONFIGURATION, "error": e.to_string()}),
            );
            Err(e)
        }
    };
    let deps = &deps;
    let served = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let invocation = Invocation {
            request_id: event.context.request_id.clone(),
            deadline: i64::try_from(event.context.deadline)
                .ok()
                .and_then(chrono::DateTime::from_timestamp_millis),
        };
        // Boxed: the handler's futures nest deeply, and inside the runtime's
        // own service future their layout exceeds the compiler's query
        // depth in release builds. One allocation per event ends the nesting.
        let answered: Pin<Box<dyn Future<Output = Result<Value, Diagnostic>> + Send + '_>> =
            Box::pin(answer(deps, event.payload, &invocation));
        logging::in_request(invocation.request_id.clone(), answered).await
    }))
    .await;
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            logging::log(
                Level::Error,
                "the Lambda runtime stopped",
                json!({"error": e.to_string()}),
            );
            ExitCode::FAILURE
        }
    }
}

/// One invocation's answer: the outcome (logged as one line, with its
/// metrics), or the error Lambda reports, typed `Retryable.*` or
/// `Permanent.*`.
pub async fn answer<D: UserDirectory, M: Mailer, L: NoticeLedger, C: Clock, X: ExemptionSource>(
    deps: &Result<Deps<D, M, L, C, X>, ConfigError>,
    payload: Value,
    invocation: &Invocation,
) -> Result<Value, Diagnostic> {
    let deps = match deps {
        Ok(deps) => deps,
        Err(e) => {
            let diagnostic = Diagnostic {
                error_type: INVALID_CONFIGURATION.to_string(),
                error_message: e.to_string(),
            };
            return Err(failed(diagnostic, false));
        }
    };
    let scheduled = crate::event::is_scheduled(&payload);
    match dispatch(payload, deps, invocation).await {
        Ok(answer) => {
            let value = answer.to_json();
            match &answer {
                Answer::Event(handled) => {
                    logging::outcome(&handled.outcome);
                    metrics::emit(metrics::event(&handled.outcome));
                }
                Answer::Sweep(sweep) => {
                    logging::log(Level::Info, "sweep outcome", value.clone());
                    metrics::emit(metrics::sweep(sweep));
                }
            }
            Ok(value)
        }
        Err(e) => {
            if scheduled {
                metrics::emit(vec![metrics::sweep_failed()]);
            }
            let retryable = e.is_retryable();
            Err(failed(e.into(), retryable))
        }
    }
}

/// Logs a failed event as one line and hands Lambda its error.
fn failed(diagnostic: Diagnostic, retryable: bool) -> Diagnostic {
    logging::log(
        Level::Error,
        "event failed",
        json!({
            "errorType": diagnostic.error_type,
            "error": diagnostic.error_message,
            "retryable": retryable,
        }),
    );
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::directory::memory::MemoryDirectory;
    use crate::exemption::memory::MemoryExemptionSource;
    use crate::ledger::memory::MemoryLedger;
    use crate::mailer::memory::MemoryMailer;

    type MemoryDeps =
        Deps<MemoryDirectory, MemoryMailer, MemoryLedger, FixedClock, MemoryExemptionSource>;

    #[tokio::test]
    async fn bad_configuration_answers_every_invocation_with_a_readable_permanent_error() {
        // Given a cold start with an unusable NOTICE_RULES.
        let config = Config::from_lookup(|k| match k {
            "SENDER_ADDRESS" => Some("key-notices@example.com".into()),
            "NOTICE_RULES" => Some("rule-1=ninety".into()),
            _ => None,
        });
        let deps: Result<MemoryDeps, ConfigError> = Err(config.unwrap_err());
        // Then each event is answered with the reason, not a crash.
        for _ in 0..2 {
            let d = answer(&deps, json!({}), &Invocation::local())
                .await
                .unwrap_err();
            assert_eq!(d.error_type, "Permanent.InvalidConfiguration");
            assert!(
                d.error_message.starts_with("NOTICE_RULES: "),
                "{}",
                d.error_message
            );
            assert!(
                d.error_message.contains("(example: NOTICE_RULES="),
                "{}",
                d.error_message
            );
        }
    }
}
