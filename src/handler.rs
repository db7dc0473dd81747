//! The handler: one event in, one outcome out. It reads IAM through the
//! [`UserDirectory`], lets [`decision`](crate::decision) decide, renders,
//! and sends through the [`Mailer`]. It never reads the environment and
//! never builds a client: both come in [`Deps`], built once at cold start.

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

use crate::config::Config;
use crate::decision::{self, AccessKey, Notice, SkipReason, Tag};
use crate::directory::UserDirectory;
use crate::error::Error;
use crate::event::{self, ComplianceChange, Parsed};
use crate::idempotency::{self, Claim, IdempotencyStore};
use crate::logging::{self, Level};
use crate::mail::{self, Context, NoticeView, Rendered};
use crate::mailer::{Mail, Mailer};
use crate::mask::mask_key_id;
use crate::outcome::{KeyOutcome, Outcome, Status};

/// What the handler works with.
pub struct Deps<D, M, S> {
    pub config: Config,
    pub directory: D,
    pub mailer: M,
    /// Present when `IDEMPOTENCY_TABLE` is set.
    pub idempotency: Option<S>,
}

/// What the platform says about this invocation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation {
    /// When the platform stops the invocation; `None` outside Lambda.
    pub deadline: Option<DateTime<Utc>>,
}

/// An in-progress claim outlives the invocation's deadline by this much, so
/// it cannot expire while the invocation that holds it still runs.
const CLAIM_MARGIN_SECONDS: i64 = 10;
/// Outside Lambda there is no deadline; claims last this long.
const CLAIM_WITHOUT_DEADLINE_SECONDS: i64 = 60;

/// The outcome, and the mail when one was rendered (for `invoke --dry-run`).
#[derive(Debug, Clone)]
pub struct Handled {
    pub outcome: Outcome,
    pub rendered: Option<Rendered>,
}

impl Handled {
    fn without_mail(outcome: Outcome) -> Handled {
        Handled {
            outcome,
            rendered: None,
        }
    }
}

/// Handles one event payload.
pub async fn handle<D: UserDirectory, M: Mailer, S: IdempotencyStore>(
    payload: Value,
    deps: &Deps<D, M, S>,
    invocation: Invocation,
) -> Result<Handled, Error> {
    let change = match event::parse(payload)? {
        Parsed::Change(change) => change,
        Parsed::Skip {
            reason,
            event_id,
            account,
            rule,
            user_id,
        } => {
            return Ok(Handled::without_mail(Outcome {
                rule,
                account,
                user_id,
                event_id,
                ..Outcome::skipped(reason)
            }));
        }
    };
    // An event of another rule can't mail: it needs no record.
    let Some(tier_days) = deps.config.policy.tier_for_rule(&change.rule) else {
        return Ok(skipped(&change, SkipReason::UnknownRule, None));
    };
    match (&deps.idempotency, change.event_id.clone()) {
        (Some(store), Some(event_id)) => {
            once(&change, tier_days, deps, store, event_id, invocation).await
        }
        _ => notify(&change, tier_days, deps).await,
    }
}

/// A skip of a parsed change, with what is known of it.
fn skipped(change: &ComplianceChange, reason: SkipReason, user: Option<&str>) -> Handled {
    Handled::without_mail(Outcome {
        rule: Some(change.rule.clone()),
        account: change.account.clone(),
        user: user.map(str::to_string),
        user_id: Some(change.user_id.clone()),
        event_id: change.event_id.clone(),
        ..Outcome::skipped(reason)
    })
}

/// [`notify`] at most once per event id (see [`crate::idempotency`]).
async fn once<D: UserDirectory, M: Mailer, S: IdempotencyStore>(
    change: &ComplianceChange,
    tier_days: u32,
    deps: &Deps<D, M, S>,
    store: &S,
    event_id: String,
    invocation: Invocation,
) -> Result<Handled, Error> {
    let now = Utc::now();
    let claim_until = invocation
        .deadline
        .unwrap_or(now + Duration::seconds(CLAIM_WITHOUT_DEADLINE_SECONDS))
        + Duration::seconds(CLAIM_MARGIN_SECONDS);
    match store.claim(&event_id, now, claim_until).await? {
        Claim::Acquired => {}
        Claim::InProgress => return Err(Error::InProgress(event_id)),
        Claim::Completed(stored) => {
            let outcome: Outcome = serde_json::from_value(stored).map_err(|e| Error::Aws {
                service: "DynamoDB",
                operation: "PutItem",
                code: None,
                message: format!("the stored outcome of event {event_id} is unreadable: {e}"),
                retryable: false,
            })?;
            return Ok(Handled::without_mail(Outcome {
                replayed: true,
                ..outcome
            }));
        }
    }
    let result = notify(change, tier_days, deps).await;
    match &result {
        Ok(handled) => {
            let stored = serde_json::to_value(&handled.outcome).unwrap_or(Value::Null);
            let expires = Utc::now() + Duration::days(idempotency::RECORD_DAYS);
            // The mail may be out already: failing now would invite a retry
            // that mails again once the claim expires. Log and go on.
            if let Err(e) = store.complete(&event_id, &stored, expires).await {
                logging::log(
                    Level::Error,
                    "the outcome could not be recorded; a duplicate delivery after the claim expires may notify again",
                    json!({"event_id": event_id, "error": e.safe_message()}),
                );
            }
        }
        Err(_) => {
            if let Err(e) = store.release(&event_id).await {
                logging::log(
                    Level::Warn,
                    "the claim could not be released; the retry waits for it to expire",
                    json!({"event_id": event_id, "error": e.safe_message()}),
                );
            }
        }
    }
    result
}

/// Everything after parsing, for the rule's tier: look up, decide,
/// render, send.
async fn notify<D: UserDirectory, M: Mailer, S>(
    change: &ComplianceChange,
    tier_days: u32,
    deps: &Deps<D, M, S>,
) -> Result<Handled, Error> {
    let policy = &deps.config.policy;
    let now = change.time.unwrap_or_else(Utc::now);

    let Some(user) = load_user(&deps.directory, &change.user_id).await? else {
        return Ok(skipped(change, SkipReason::UserNotFound, None));
    };

    let verdict = decision::decide(policy, tier_days, &user.tags, &user.keys, now);
    if let Some(rejection) = verdict.owner_tag_rejected {
        logging::log(
            Level::Warn,
            "owner email tag not used",
            json!({"user": user.name, "tag": policy.owner_email_tag, "reason": rejection.code()}),
        );
    }
    if verdict.locale_tag_ignored {
        logging::log(
            Level::Warn,
            "locale tag names no supported language; using the default",
            json!({"user": user.name, "tag": policy.owner_locale_tag}),
        );
    }
    let notice = match verdict.result {
        Ok(notice) => notice,
        Err(reason) => return Ok(skipped(change, reason, Some(&user.name))),
    };

    let mut last_used = Vec::with_capacity(notice.keys.len());
    for key in &notice.keys {
        last_used.push(deps.directory.last_used(&key.id).await?);
    }
    let account = change.account.as_deref().unwrap_or("-");
    let view = NoticeView::new(
        &notice,
        &Context {
            user: &user.name,
            account,
            rule: &change.rule,
            max_age_days: policy.max_key_age_days,
            time_zone: deps.config.time_zone,
            last_used: &last_used,
        },
    );
    let rendered = mail::render(&view, notice.locale)?;

    let mut outcome = notice_outcome(change, &user.name, &notice, deps.config.time_zone);
    if deps.config.dry_run {
        outcome.status = Status::DryRun;
    } else {
        let message = Mail {
            from: deps.config.sender.clone(),
            to: notice.recipients.to.clone(),
            cc: notice.recipients.cc.clone(),
            subject: rendered.subject.clone(),
            text: rendered.text.clone(),
            html: rendered.html.clone(),
            configuration_set: deps.config.ses_configuration_set.clone(),
            tags: vec![
                ("notice_rule".into(), change.rule.clone()),
                ("notice_tier_days".into(), tier_days.to_string()),
            ],
        };
        outcome.message_id = Some(deps.mailer.send(&message).await?);
    }
    Ok(Handled {
        outcome,
        rendered: Some(rendered),
    })
}

struct User {
    name: String,
    tags: Vec<Tag>,
    keys: Vec<AccessKey>,
}

/// Resolves the UserId and reads the user's tags and keys. A name that no
/// longer exists (renamed or deleted since it was cached) is forgotten and
/// resolved once more.
async fn load_user<D: UserDirectory>(directory: &D, user_id: &str) -> Result<Option<User>, Error> {
    for _ in 0..2 {
        let Some(name) = directory.user_name(user_id).await? else {
            return Ok(None);
        };
        let (tags, keys) = tokio::join!(directory.user_tags(&name), directory.access_keys(&name));
        if let (Some(tags), Some(keys)) = (tags?, keys?) {
            return Ok(Some(User { name, tags, keys }));
        }
        directory.forget(user_id);
    }
    Ok(None)
}

fn notice_outcome(
    change: &ComplianceChange,
    user: &str,
    notice: &Notice,
    tz: chrono_tz::Tz,
) -> Outcome {
    let overdue = |r: &decision::Remaining| r.overdue.then_some(r.days_overdue);
    Outcome {
        status: Status::Sent,
        reason: None,
        rule: Some(change.rule.clone()),
        account: change.account.clone(),
        user: Some(user.to_string()),
        user_id: Some(change.user_id.clone()),
        tier_days: Some(notice.tier_days),
        days_remaining: Some(notice.remaining.days_remaining),
        days_overdue: overdue(&notice.remaining),
        deadline: Some(mail::date_in(tz, notice.deadline)),
        keys: notice
            .keys
            .iter()
            .map(|k| KeyOutcome {
                access_key_id: mask_key_id(&k.id),
                created: mail::date_in(tz, k.created),
                days_remaining: k.remaining.days_remaining,
                days_overdue: overdue(&k.remaining),
            })
            .collect(),
        recipients: Some(notice.recipients.clone()),
        message_id: None,
        event_id: change.event_id.clone(),
        replayed: false,
    }
}
