//! Wiring: builds the real dependencies once at cold start and serves the
//! Lambda Runtime API.

use std::process::ExitCode;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::aws;
use crate::config::Config;
use crate::directory::iam::IamDirectory;
use crate::error::Error;
use crate::handler::{Deps, handle};
use crate::logging::{self, Level};
use crate::mailer::ses::SesMailer;
use crate::outcome::Outcome;

/// The dependencies of the deployed function.
pub type AwsDeps = Deps<IamDirectory, SesMailer>;

/// Real SDK clients from the default chain (`AWS_ENDPOINT_URL` honoured).
pub async fn aws_deps(config: Config) -> AwsDeps {
    let sdk = aws::load_sdk_config().await;
    Deps {
        config,
        directory: IamDirectory::new(aws_sdk_iam::Client::new(&sdk)),
        mailer: SesMailer::new(aws_sdk_sesv2::Client::new(&sdk)),
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
        match handle(event.payload, deps).await {
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
