//! One Config compliance change: parse and re-check the event, map the
//! rule to its tier, find the account and the user (UserId → name, then
//! GetUser and ListAccessKeys, the UserId checked), and hand the user to
//! the notice pipeline. Within the invocation's time budget (Lambda's
//! deadline less [`DEADLINE_RESERVE`]).

use serde_json::{Value, json};

use super::scope::scope;
use super::{Deps, Invocation};
use crate::chat;
use crate::clock::Clock;
use crate::decision::{self, AccessKey, SkipReason, Tag};
use crate::error::Error;
use crate::event::{self, ComplianceChange, Parsed};
use crate::logging::{self, Level};
use crate::mail::notice::Via;
use crate::notice::{Account, Cap, Handled, Pipeline, Subject};
use crate::outcome::{Outcome, Status};
use crate::ports::Ports;
use crate::ports::directory::UserDirectory;

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
pub async fn handle_parsed<P: Ports>(
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
    let via = match policy.tier_for_rule(&change.rule) {
        Some(tier_days) => Via::Rule {
            name: &change.rule,
            tier_days,
        },
        None if policy.is_unused_rule(&change.rule) => Via::UnusedRule { name: &change.rule },
        None => return Ok(skipped(&change, SkipReason::UnknownRule, None)),
    };
    // The ledger records notices per account; a real event always names it.
    if deps.ledger.is_some() && change.account.is_none() {
        return Err(Error::InvalidEvent(
            "the event names no account (`account` or `detail.awsAccountId`), which the notice ledger records notices under".into(),
        ));
    }

    let scope = match scope(
        deps.config.organization.as_ref(),
        &deps.accounts,
        change.account.as_deref(),
    )
    .await?
    {
        Ok(scope) => scope,
        Err(reason) => return Ok(skipped(&change, reason, None)),
    };
    let Some(user) = load_user(&*scope.directory, &change.user_id).await? else {
        return Ok(skipped(&change, SkipReason::UserNotFound, None));
    };

    let now = deps.clock.now();
    let listing = deps.exemptions.listing(now).await;
    let cap = Cap::today(&deps.config, now);
    let claim = invocation.claim(now);
    let pipeline: Pipeline<'_, P> = Pipeline {
        config: &deps.config,
        ledger: deps.ledger.as_ref(),
        mailer: &deps.mailer,
        account: Account {
            id: change.account.as_deref(),
            label: scope.label.as_deref(),
            directory: &*scope.directory,
        },
        listing: &listing,
        cap: &cap,
        claim: &claim,
        now,
    };
    let result = pipeline
        .run(&Subject {
            via,
            event_id: change.event_id.as_deref(),
            user_id: &change.user_id,
            name: &user.name,
            tags: &user.tags,
            keys: &user.keys,
        })
        .await;
    // A deactivation is told to the team's channel at once, whatever
    // happened to the notice, within the budget less a second kept for
    // the answer.
    let account = change.account.as_deref().unwrap_or_default();
    let today = crate::calendar::iso(deps.config.policy.date_of(now));
    let told = chat::deactivations(account, &today, &result.enforced.actions);
    let chat_by = invocation
        .ends_at(deps.clock.now())
        .map(|end| end - CHAT_ANSWER_RESERVE);
    let chat = super::chat::publish(
        &deps.config,
        deps.chat.as_ref(),
        told.into_iter().collect(),
        chat_by,
    )
    .await;
    let actions = result.enforced.actions;
    // The notice's error first; then enforcement's (the notice is handled
    // and recorded: a retry finds it sent and tries enforcement again).
    let (mut handled, error) = match (result.notice, result.enforced.error) {
        (Ok(handled), error) => (handled, error),
        // Nothing was done: the error alone answers.
        (Err(e), _) if actions.is_empty() && chat.is_none() => return Err(e),
        // What enforcement did is reported whatever happened to the mail.
        (Err(e), _) => (
            Handled::of(Outcome {
                status: Status::Failed,
                reason: None,
                rule: Some(change.rule.clone()),
                account: change.account.clone(),
                user: Some(user.name.clone()),
                user_id: Some(change.user_id.clone()),
                event_id: change.event_id.clone(),
                ..Outcome::skipped(SkipReason::Deactivated)
            }),
            Some(e),
        ),
    };
    handled.outcome.enforcement = actions;
    handled.outcome.chat = chat;
    // The invocation still fails (Lambda retries it), and its outcome
    // says what was done before.
    if let Some(e) = error {
        handled.outcome.error = Some((&e).into());
        handled.error = Some(e);
    }
    Ok(handled)
}

/// Time kept after the chat channel's publishes for answering the event.
const CHAT_ANSWER_RESERVE: std::time::Duration = std::time::Duration::from_secs(1);

/// A skip of a parsed change, with what is known of it.
fn skipped(change: &ComplianceChange, reason: SkipReason, user: Option<&str>) -> Handled {
    Handled::of(Outcome {
        rule: Some(change.rule.clone()),
        account: change.account.clone(),
        user: user.map(str::to_string),
        user_id: Some(change.user_id.clone()),
        event_id: change.event_id.clone(),
        ..Outcome::skipped(reason)
    })
}

pub(crate) struct User {
    name: String,
    tags: Vec<Tag>,
    keys: Vec<AccessKey>,
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
        // A damaged listing is reported first, before either call's own error.
        let keys = match keys {
            Ok(keys) => Ok(decision::checked_keys(keys)?),
            Err(e) => Err(e),
        };
        match (user?, keys?) {
            (Some(user), Some(keys)) if user.id == user_id => {
                return Ok(Some(User {
                    name: user.name,
                    tags: user.tags,
                    keys,
                }));
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
