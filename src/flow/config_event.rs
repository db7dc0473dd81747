//! One Config compliance change, top to bottom: parse and re-check the
//! event, map the rule to what it triggers, find the account and read the
//! user (UserId → name, then GetUser and ListAccessKeys, the UserId
//! checked), hand the user to the notice service (`service`), and fold
//! its result into the event's [`Outcome`], telling the team's channel of
//! any deactivation. Within the invocation's time budget (Lambda's deadline
//! less [`DEADLINE_RESERVE`](super::deps::DEADLINE_RESERVE)).

use serde_json::{Value, json};

use super::scope::scope;
use super::{Deps, Invocation};
use crate::clock::Clock;
use crate::error::Error;
use crate::event::{self, ChangeSource, ComplianceChange, Parsed, Subject, access_analyzer};
use crate::logging::{self, Level};
use crate::model::{AccessKey, ConsolePassword, LastUsed, SkipReason, Tag, Trigger};
use crate::outcome::Outcome;
use crate::ports::Ports;
use crate::ports::directory::UserDirectory;
use crate::rendered::Rendered;
use crate::service::{Account, Reading};
use crate::views::chat;

/// An event's answer: its outcome, the mail when one was rendered (for
/// `invoke --dry-run`), and the error the invocation fails with after it
/// did something worth reporting.
#[derive(Debug)]
pub struct Handled {
    pub outcome: Outcome,
    pub rendered: Option<Rendered>,
    /// What stopped the invocation after it had done something (a key
    /// deactivated, then the notice failed): Lambda is answered with this
    /// error, so the platform retries, and the outcome, which says what was
    /// done, is still logged and counted.
    pub error: Option<Error>,
}

impl Handled {
    /// An outcome with nothing rendered and nothing failed.
    pub fn of(outcome: Outcome) -> Handled {
        Handled {
            outcome,
            rendered: None,
            error: None,
        }
    }
}

/// Handles one event payload, within the invocation's time budget. An
/// error after something was done (a notice sent, a key deactivated) is
/// the answer's [`Handled::error`], beside the outcome that says what was
/// done; an error before is `Err`.
///
/// When the budget runs out the event's work is dropped wherever it is:
/// ledger claims it holds expire 10 s after the deadline (they are not
/// released), and a mail whose sending was cut off may still have been
/// accepted by SES (the duplicate `docs/reliability.md` describes).
pub async fn handle<P: Ports>(
    payload: Value,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Handled, Error> {
    handle_parsed(event::parse(payload)?, deps, invocation).await
}

/// [`handle`] for an event already parsed.
pub(crate) async fn handle_parsed<P: Ports>(
    parsed: Parsed,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Handled, Error> {
    invocation
        .within(deps.clock.now(), handle_event(parsed, deps, invocation))
        .await
}

async fn handle_event<P: Ports>(
    parsed: Parsed,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Handled, Error> {
    let change = match parsed {
        Parsed::Change(change) => change,
        Parsed::Scheduled { .. } => {
            return Err(Error::InvalidEvent(
                "a scheduled event starts a sweep, which `route::dispatch` runs; `handle` takes Config events".into(),
            ));
        }
        Parsed::Skip {
            reason,
            event_id,
            account,
            rule,
            user_id,
        } => {
            return Ok(Handled::of(Outcome {
                rule,
                account,
                user_id,
                event_id,
                ..Outcome::skipped(reason)
            }));
        }
    };
    // An event of another rule can't mail: it costs no AWS call.
    let policy = &deps.config.policy;
    let trigger = match (change.source, policy.tier_for_rule(&change.rule)) {
        // A finding of a policy that is off is an unknown rule.
        (ChangeSource::AccessAnalyzer, _) => {
            let on = match change.rule.as_str() {
                access_analyzer::UNUSED_ACCESS_KEY => policy.unused_key_days > 0,
                _ => policy.unused_password_days > 0,
            };
            if !on {
                return Ok(skipped(&change, SkipReason::UnknownRule));
            }
            Trigger::AccessAnalyzer {
                finding_type: &change.rule,
            }
        }
        (ChangeSource::Config, Some(tier_days)) => Trigger::Rule {
            name: &change.rule,
            tier_days,
        },
        (ChangeSource::Config, None) if policy.is_unused_rule(&change.rule) => {
            Trigger::UnusedRule { name: &change.rule }
        }
        (ChangeSource::Config, None) => return Ok(skipped(&change, SkipReason::UnknownRule)),
    };
    // The ledger records notices per account; a real event always names it.
    if deps.ledger.is_some() && change.account.is_none() {
        return Err(Error::InvalidEvent(
            "the event names no account (`account` or `detail.awsAccountId`), which the notice ledger records notices under".into(),
        ));
    }

    // Read the user.
    let scope = match scope(
        deps.config.organization.as_ref(),
        &deps.accounts,
        change.account.as_deref(),
    )
    .await?
    {
        Ok(scope) => scope,
        Err(reason) => return Ok(skipped(&change, reason)),
    };
    let directory = &*scope.directory;
    let found = match &change.user {
        Subject::Id(id) => load_user(directory, id)
            .await?
            .map(|user| (id.clone(), user)),
        Subject::Name(name) => load_user_named(directory, name).await?,
    };
    let Some((user_id, user)) = found else {
        return Ok(skipped(&change, SkipReason::UserNotFound));
    };
    // A console password the event path can date: a used one, with the
    // unused-password policy on. Its expiry, and a password never used
    // (dated by its last change, which only the credential report
    // gives), are the sweep's.
    let password = match user.password_last_used {
        Some(used) if policy.unused_password_days > 0 => directory
            .login_profile(&user.name)
            .await?
            .map(|created| ConsolePassword {
                last_used: LastUsed {
                    time: Some(used),
                    ..LastUsed::default()
                },
                last_changed: Some(created),
                next_rotation: None,
            }),
        _ => None,
    };

    // The notice service: decide, rotate, enforce, notify.
    let service = deps.service(invocation);
    let account = Account {
        id: change.account.as_deref(),
        label: scope.label.as_deref(),
        directory,
        secrets: &*scope.secrets,
        password_policy: None,
    };
    let keys = service
        .judge(&account, Some(&user_id), user.keys, password.as_ref())
        .await?;
    let reading = Reading {
        id: &user_id,
        name: &user.name,
        arn: &user.arn,
        tags: &user.tags,
        keys: &keys,
    };
    let mut result = service.handle(&account, &reading, trigger).await;

    // Fold the result into the event's outcome. A deactivation is told to
    // the team's channel at once, whatever happened to the notice, within
    // the budget less a second kept for the answer.
    let today = crate::calendar::iso(policy.date_of(service.now()));
    let actions: Vec<_> = result.actions().cloned().collect();
    let told = chat::deactivations(
        deps.config.chat_locale,
        account.id.unwrap_or_default(),
        &today,
        &actions,
    );
    let chat_by = invocation
        .ends_at(deps.clock.now())
        .map(|end| end - CHAT_ANSWER_RESERVE);
    let chat = super::publish::publish(
        &deps.config,
        deps.chat.as_ref(),
        told.into_iter().collect(),
        chat_by,
    )
    .await;
    let mut outcome = Outcome::of(&result, trigger, account.id, change.event_id.as_deref());
    outcome.chat = chat;
    let rendered = match &mut result.notice {
        Ok(noticed) => noticed.rendered.take(),
        Err(_) => None,
    };
    // The notice's error first; then enforcement's, then rotation's (the
    // notice is handled and recorded: a retry finds it sent and tries
    // again what did not finish).
    let done_else = !outcome.enforcement.is_empty()
        || outcome
            .rotation
            .iter()
            .any(|k| k.rotation.replacement().is_some())
        || outcome.chat.is_some();
    let error = match (
        result.notice,
        result.enforcement_error,
        result.rotation_error,
    ) {
        (Ok(_), enforcement, rotation) => enforcement.or(rotation),
        // Nothing was done: the error alone answers.
        (Err(e), _, _) if !done_else => return Err(e),
        (Err(e), _, _) => Some(e),
    };
    // The invocation still fails (Lambda retries it), and its outcome says
    // what was done before.
    Ok(Handled {
        outcome,
        rendered,
        error,
    })
}

/// A skip of a parsed change, with what is known of it.
fn skipped(change: &ComplianceChange, reason: SkipReason) -> Handled {
    Handled::of(Outcome {
        rule: Some(change.rule.clone()),
        account: change.account.clone(),
        user_id: change.user.id().map(str::to_string),
        event_id: change.event_id.clone(),
        ..Outcome::skipped(reason)
    })
}

pub(crate) struct User {
    name: String,
    arn: String,
    tags: Vec<Tag>,
    keys: Vec<AccessKey>,
    password_last_used: Option<chrono::DateTime<chrono::Utc>>,
}

impl User {
    /// What GetUser gave, with the user's keys.
    fn read(user: crate::model::User, keys: Vec<AccessKey>) -> User {
        User {
            name: user.name,
            arn: user.arn,
            tags: user.tags,
            keys,
            password_last_used: user.password_last_used,
        }
    }
}

/// Resolves the UserId and reads the user's tags and keys. The name may come
/// from the directory's cache, so GetUser's UserId must match the event's:
/// when it does not (the user was renamed, and maybe another user took the
/// name) or the name no longer exists, the name is forgotten and resolved
/// afresh, once. An id that is gone is `None`.
pub(crate) async fn load_user<D: UserDirectory>(
    directory: &D,
    user_id: &str,
) -> Result<Option<User>, Error> {
    for fresh in [false, true] {
        let Some(name) = directory.user_name(user_id).await? else {
            return Ok(None);
        };
        let (user, keys) = tokio::join!(directory.user(&name), directory.access_keys(&name));
        // A damaged listing is reported first, before GetUser's own error.
        let keys = keys?;
        match (user?, keys) {
            (Some(user), Some(keys)) if user.id == user_id => {
                return Ok(Some(User::read(user, keys)));
            }
            (Some(_), Some(_)) if fresh => return Err(Error::UserChanged(user_id.to_string())),
            _ => {}
        }
        logging::log(
            Level::Info,
            "the remembered user name is stale; resolving the user id again",
            json!({"user_id": user_id}),
        );
        directory.forget(user_id);
    }
    Ok(None)
}

/// Reads the user an Access Analyzer finding names by its name: its
/// UserId (GetUser), tags, keys and password's last use; `None` when no
/// user holds the name now.
async fn load_user_named<D: UserDirectory>(
    directory: &D,
    name: &str,
) -> Result<Option<(String, User)>, Error> {
    let (user, keys) = tokio::join!(directory.user(name), directory.access_keys(name));
    let keys = keys?;
    Ok(match (user?, keys) {
        (Some(user), Some(keys)) => Some((user.id.clone(), User::read(user, keys))),
        _ => None,
    })
}

/// Time kept after the chat channel's publishes for answering the event.
const CHAT_ANSWER_RESERVE: std::time::Duration = std::time::Duration::from_secs(1);
