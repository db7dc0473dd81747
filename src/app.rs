//! Wiring: builds the real dependencies once at cold start and serves the
//! Lambda Runtime API.

use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::aws;
use crate::config::Config;
use crate::directory::iam::IamDirectory;
use crate::error::Error;
use crate::handler::{Deps, Invocation, handle};
use crate::idempotency::dynamodb::DynamoDbStore;
use crate::logging::{self, Level};
use crate::mailer::ses::SesMailer;
use crate::outcome::Outcome;

/// The dependencies of the deployed function.
pub type AwsDeps = Deps<IamDirectory, SesMailer, DynamoDbStore>;

/// Real SDK clients from the default chain (`AWS_ENDPOINT_URL` honoured).
pub async fn aws_deps(config: Config) -> AwsDeps {
    deps_from_sdk(config, &aws::load_sdk_config().await)
}

/// Real SDK clients from a given SDK configuration.
pub fn deps_from_sdk(config: Config, sdk: &aws_config::SdkConfig) -> AwsDeps {
    let idempotency = config
        .idempotency_table
        .as_ref()
        .map(|table| DynamoDbStore::new(aws_sdk_dynamodb::Client::new(sdk), table));
    Deps {
        config,
        directory: IamDirectory::new(aws_sdk_iam::Client::new(sdk)),
        mailer: SesMailer::new(aws_sdk_sesv2::Client::new(sdk)),
        idempotency,
    }
}

/// Serves Lambda invocations until the runtime stops the process.
pub async fn run_lambda() -> ExitCode {
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            logging::log(
                Level::Error,
                "invalid configuration",
                json!({"errorType": "Permanent.InvalidConfiguration", "error": e.to_string()}),
            );
            return ExitCode::FAILURE;
        }
    };
    logging::log(
        Level::Info,
        "starting",
        json!({"config": config.to_string()}),
    );
    let deps = aws_deps(config).await;
    let deps = &deps;
    let served = lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let request_id = event.context.request_id;
        let invocation = Invocation {
            deadline: i64::try_from(event.context.deadline)
                .ok()
                .and_then(chrono::DateTime::from_timestamp_millis),
        };
        match handle(event.payload, deps, invocation).await {
            Ok(handled) => {
                logging::outcome(&handled.outcome, Some(&request_id));
                Ok::<Outcome, Error>(handled.outcome)
            }
            Err(e) => {
                logging::log(
                    Level::Error,
                    "event failed",
                    json!({
                        "requestId": request_id,
                        "errorType": e.error_type(),
                        "error": e.safe_message(),
                        "retryable": e.is_retryable(),
                    }),
                );
                Err(e)
            }
        }
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
