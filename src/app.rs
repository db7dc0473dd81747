//! Wiring: sets up the real dependencies once at cold start (each SDK
//! client is built when a call first needs it, [`crate::aws::lazy`]) and
//! serves the Lambda Runtime API.

use std::future::Future;
use std::pin::Pin;
use std::process::ExitCode;

use lambda_runtime::{Context, Diagnostic, LambdaEvent, service_fn};
use serde_json::{Value, json};

use crate::aws::accounts::IamAccounts;
use crate::aws::dynamodb::DynamoDbLedger;
use crate::aws::lazy::Lazy;
use crate::aws::ses::SesMailer;
use crate::aws::sns::SnsChat;
use crate::aws::sqs::SqsQueue;
use crate::aws::ssm::SsmExemptionSource;
use crate::aws::{self, AwsPorts};
use crate::clock::SystemClock;
use crate::config::{Config, ConfigError};
use crate::flow::{Deps, Invocation};
use crate::logging::{self, Level};
use crate::metrics;
use crate::outcome::fanout::MessageStatus;
use crate::ports::Ports;
use crate::ports::accounts::Accounts;
use crate::ports::exemptions::Exemptions;
use crate::route::{self, Answer};

/// The dependencies of the deployed function.
pub type AwsDeps = Deps<AwsPorts>;

/// The error type every invocation answers with while the configuration
/// cannot be used.
pub(crate) const INVALID_CONFIGURATION: &str = "Permanent.InvalidConfiguration";

/// Real SDK clients from the default chain (`AWS_ENDPOINT_URL` honoured).
pub(crate) async fn aws_deps(config: Config) -> AwsDeps {
    deps_from_sdk(config, &aws::load_sdk_config().await)
}

/// Real SDK clients from a given SDK configuration.
pub fn deps_from_sdk(config: Config, sdk: &aws_config::SdkConfig) -> AwsDeps {
    deps_from_sdk_at::<AwsPorts>(config, sdk, SystemClock)
}

/// Real SDK clients from a given SDK configuration, with `clock`; none is
/// built before its first call.
pub fn deps_from_sdk_at<P>(config: Config, sdk: &aws_config::SdkConfig, clock: P::Clock) -> Deps<P>
where
    P: Ports<
            Accounts = IamAccounts,
            Mailer = SesMailer,
            Ledger = DynamoDbLedger,
            Exemptions = SsmExemptionSource,
            Queue = SqsQueue,
            Chat = SnsChat,
        >,
{
    let chat = config
        .chat_topic_arn
        .as_ref()
        .map(|topic| SnsChat::new(Lazy::new(sdk, aws::sns_client), topic));
    let ledger = config
        .ledger_table
        .as_ref()
        .map(|table| DynamoDbLedger::new(Lazy::new(sdk, aws::dynamodb_client), table));
    let exemptions = Exemptions::new(
        config
            .exempt_users_parameter
            .as_ref()
            .map(|name| SsmExemptionSource::new(Lazy::new(sdk, aws::ssm_client), name)),
    );
    let organization = config.organization.as_ref();
    let accounts = IamAccounts::new(
        sdk,
        organization.map(|o| o.member_role.as_str()),
        organization.is_some_and(|o| o.accounts.is_none()),
        organization.and_then(|o| o.organization_role_arn.as_deref()),
    );
    let queue =
        organization.map(|o| SqsQueue::new(Lazy::new(sdk, aws::sqs_client), &o.sweep_queue_url));
    Deps {
        config,
        exemptions,
        accounts,
        mailer: SesMailer::new(Lazy::new(sdk, aws::ses_client)),
        ledger,
        clock,
        queue,
        chat,
    }
}

/// The names of the SDK clients `deps` has built so far, in a fixed order:
/// what an invocation's path has needed.
pub fn clients_built(deps: &AwsDeps) -> Vec<&'static str> {
    let mut built = deps.accounts.clients_built();
    let others = [
        ("SES", deps.mailer.client_built()),
        (
            "DynamoDB",
            deps.ledger.as_ref().is_some_and(|l| l.client_built()),
        ),
        (
            "SSM",
            deps.exemptions.source().is_some_and(|s| s.client_built()),
        ),
        ("SQS", deps.queue.as_ref().is_some_and(|q| q.client_built())),
        ("SNS", deps.chat.as_ref().is_some_and(|c| c.client_built())),
    ];
    built.extend(others.into_iter().filter_map(|(n, b)| b.then_some(n)));
    built
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
        let invocation = invocation(deps, &event.context);
        // Boxed: the flows' futures nest deeply, and inside the runtime's
        // own service future their layout exceeds the compiler's query
        // depth in release builds. One allocation per event ends the nesting.
        let answered: Pin<Box<dyn Future<Output = Result<Value, Diagnostic>> + Send + '_>> =
            Box::pin(respond(deps, event.payload, &invocation));
        logging::in_request(invocation.log_request(), answered).await
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

/// The invocation as the flows see it. The function's own account is
/// taken from its ARN in `context`, so a first event that names it needs no
/// STS call (and no STS client) to be checked against it.
pub fn invocation(deps: &Result<AwsDeps, ConfigError>, context: &Context) -> Invocation {
    if let (Ok(deps), Some(account)) = (deps, function_account(&context.invoked_function_arn)) {
        deps.accounts.own().know_account(account);
    }
    Invocation {
        request_id: context.request_id.clone(),
        deadline: i64::try_from(context.deadline)
            .ok()
            .and_then(chrono::DateTime::from_timestamp_millis),
        trace_id: context.xray_trace_id.clone(),
        watcher: Default::default(),
    }
}

/// The account of a Lambda function ARN
/// (`arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`).
fn function_account(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.nth(1), parts.nth(1), parts.next()) {
        (Some("arn"), Some("lambda"), Some(account), Some("function")) => Some(account),
        _ => None,
    }
}

/// One invocation's answer: the outcome (logged as one line, with its
/// metrics), or the error Lambda reports, typed `Retryable.*` or
/// `Permanent.*`.
pub async fn respond<P: Ports>(
    deps: &Result<Deps<P>, ConfigError>,
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
    let answer = match route::answer(payload, deps, invocation).await {
        Ok(answer) => answer,
        Err(e) => {
            if scheduled {
                metrics::emit(vec![metrics::sweep_failed()]);
            }
            let retryable = e.is_retryable();
            return Err(failed(e.into(), retryable));
        }
    };
    let value = answer.to_json();
    match answer {
        Answer::Event(mut handled) => {
            logging::log(
                Level::Info,
                "outcome",
                serde_json::to_value(&handled.outcome).unwrap_or(Value::Null),
            );
            metrics::emit(metrics::event(&handled.outcome));
            // Failed after something was done: the outcome above says what,
            // and Lambda gets the error (and retries).
            if let Some(e) = handled.error.take() {
                let retryable = e.is_retryable();
                return Err(failed(e.into(), retryable));
            }
            return Ok(value);
        }
        Answer::Sweep(ref sweep) => {
            logging::log(Level::Info, "sweep outcome", value.clone());
            metrics::emit(metrics::sweep(sweep));
        }
        Answer::FanOut(_) => logging::log(Level::Info, "fan-out outcome", value.clone()),
        Answer::Batch(ref batch) => {
            logging::log(Level::Info, "sweep messages outcome", value.clone());
            for message in &batch.messages {
                match &message.sweep {
                    Some(sweep) => metrics::emit(metrics::sweep(sweep)),
                    None if message.status == MessageStatus::Failed => {
                        metrics::emit(vec![metrics::sweep_failed()])
                    }
                    None => {}
                }
            }
        }
        Answer::OrganizationDigest(_) => {
            logging::log(Level::Info, "organization digest outcome", value.clone())
        }
    }
    Ok(answer.response())
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
    use crate::ports::MemoryPorts;

    type MemoryDeps = Deps<MemoryPorts>;

    #[test]
    fn the_function_arn_names_its_account() {
        let arn = "arn:aws:lambda:eu-west-1:123456789012:function:akn";
        assert_eq!(function_account(arn), Some("123456789012"));
        assert_eq!(
            function_account(&format!("{arn}:live")),
            Some("123456789012")
        );
        assert_eq!(function_account(""), None);
        assert_eq!(function_account("arn:aws:iam::123456789012:role/akn"), None);
    }

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
            let d = respond(&deps, json!({}), &Invocation::local())
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
