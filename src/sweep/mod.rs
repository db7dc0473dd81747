//! The daily sweep: every user of the account, every key, once a day.
//!
//! Config speaks only when a user's result changes, and only best effort,
//! so the sweep reconciles: keys past a tier before the rules existed,
//! events lost or decided while the function was off, a second key of a
//! user already NON_COMPLIANT, and every overdue key's reminders. It makes
//! the same decision as the Config path ([`decision`]) and sends through
//! the same ledger-guarded code ([`handler::send`]), so whichever path gets
//! to a stage first sends it, and the other finds it `already_notified`.
//!
//! How it reads IAM:
//!
//! 1. ListUsers, at IAM's largest page, once;
//! 2. per user, ListAccessKeys, at most `SWEEP_CONCURRENCY` users at once;
//! 3. only for a user with a due key ([`decision::due_keys`]): GetUser (tags),
//!    and, when a notice goes out, GetAccessKeyLastUsed of its keys.
//!
//! Throttling is met twice: each call retries with jittered exponential
//! back-off (`aws`), and a user whose reading still failed with a retryable
//! error is tried again after the pass, after a pause and with half the
//! concurrency, twice at most (the pause doubling). Only then is it counted
//! as failed, with its typed error.
//!
//! Time: the sweep admits no new user once less than [`stop_margin`] of its
//! budget is left, and cuts what is under way when the budget ends. Every
//! listed user ends as exactly one of checked, notified, skipped (with a
//! reason), failed or not reached. The first user not reached is kept in
//! the ledger ([`NoticeLedger::sweep_resume`]) and the next sweep starts
//! there, so a sweep that cannot finish in one invocation still covers
//! everyone over a few days, nobody first every time.
//!
//! With `read_only` (`scan`) the same pass only reads: no ledger, no mail,
//! no resume point.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde_json::json;
use tokio::time::Instant;

use crate::clock::Clock;
use crate::decision::{self, DueKey, Mode, SkipReason};
use crate::directory::{ListedUser, UserDirectory};
use crate::enforcement::step::UserEnforcement;
use crate::enforcement::{self, Cap};
use crate::error::Error;
use crate::exemption::Listing;
use crate::handler::{self, Deps, Invocation, Source};
use crate::ledger::NoticeLedger;
use crate::logging::{self, Level};
use crate::mail::{self, Via};
use crate::mask::mask_key_id;
use crate::organization::accounts::{Accounts, Scope};
use crate::outcome::Status;
use crate::ports::{Dir, Ports};

pub mod outcome;
pub mod report;

pub use outcome::{SweepOutcome, UserError};
pub use report::{OwnerTag, Report, ReportKey};

/// Rounds after the first pass in which users that failed with a retryable
/// error are tried again, each with half the concurrency of the one before.
pub const RETRY_ROUNDS: u32 = 2;
/// The pause before a retry round, doubled each round: throttling is an
/// account-wide rate, and it needs a moment to recover.
pub const RETRY_PAUSE: Duration = Duration::from_secs(1);

/// How the sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// The scheduled sweep: notices through the ledger, the digest.
    Sweep,
    /// `scan`: reads only.
    ReadOnly,
}

/// Time kept back for the users under way once no new user is admitted:
/// a fifth of the budget, between 3 and 30 seconds (a user costs a few
/// calls of at most `aws::CALL_TIMEOUT` each; most take milliseconds).
pub fn stop_margin(budget: Duration) -> Duration {
    (budget / 5).clamp(Duration::from_secs(3), Duration::from_secs(30))
}

/// What happened to one user.
#[derive(Debug)]
enum Fate {
    /// No active key is due.
    Checked,
    /// A notice went out (or, in a dry run, would have).
    Notified {
        status: Status,
        reminder: bool,
    },
    Skipped(SkipReason),
    Failed(Error),
}

/// One user's result, and what the report learned about it.
struct Swept {
    user: ListedUser,
    keys: usize,
    fate: Fate,
    report: Option<report::UserReport>,
    /// What enforcement did about the user's keys.
    enforced: Option<UserEnforcement>,
}

/// What every user of one sweep shares.
struct Shared<'a, D> {
    account: &'a str,
    /// How mails name the account.
    label: &'a str,
    directory: &'a D,
    run: Run,
    now: DateTime<Utc>,
    /// The exemption list, read once per sweep.
    listing: &'a Listing,
    /// Enforcement's cap for this invocation.
    cap: &'a Cap,
}

/// Sweeps the function's own account: `account` is the event's, `None`
/// the directory's own (a single-account deployment, `sweep`, `scan`).
pub async fn run<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    account: Option<String>,
    run: Run,
) -> Result<SweepOutcome, Error> {
    let scope = Scope {
        label: account.clone(),
        account,
        directory: deps.accounts.own(),
    };
    run_in(deps, invocation, scope, run).await
}

/// Sweeps the account of `scope`, through its directory. In Organizations
/// mode the sweep keeps the account's summary for the Organization's
/// digest instead of mailing a digest of its own.
pub async fn run_in<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    scope: Scope<Dir<P>>,
    run: Run,
) -> Result<SweepOutcome, Error> {
    let started = Instant::now();
    if run == Run::Sweep && deps.ledger.is_none() {
        return Err(Error::NoLedger);
    }
    let budget = invocation.budget(deps.clock.now()).unwrap_or(Duration::MAX);
    let end = started.checked_add(budget);
    let admit_until = end.map(|e| e - stop_margin(budget).min(budget));

    let directory = &*scope.directory;
    let account = match scope.account {
        Some(a) => a,
        None => directory.account_id().await?,
    };
    let label = scope.label.unwrap_or_else(|| account.clone());
    let now = deps.clock.now();
    let ledger = deps.ledger.as_ref().filter(|_| run == Run::Sweep);

    let mut users = directory.list_users().await?;
    users.sort();
    let resumed_from = match ledger {
        Some(l) => l.sweep_resume(&account).await?,
        None => None,
    };
    if let Some(first) = &resumed_from {
        // Start where the last sweep stopped; the users before it follow.
        let at = users.partition_point(|u| u.name < *first);
        users.rotate_left(at);
    }

    let listing = deps.exemptions.listing(now).await;
    let cap = Cap::new(deps.config.enforcement.max_per_run);
    let shared = Shared {
        account: &account,
        label: &label,
        directory,
        run,
        now,
        listing: &listing,
        cap: &cap,
    };
    let mut outcome = SweepOutcome::new(&account, now, deps, run, users.len());
    outcome.resumed_from = resumed_from.clone();
    let mut report = Report::new(&account, now, &deps.config.policy);

    let mut pending = users;
    let mut concurrency = deps.config.sweep_concurrency;
    let mut not_reached: Vec<ListedUser> = Vec::new();
    let mut done: Vec<Swept> = Vec::new();
    for round in 0..=RETRY_ROUNDS {
        if pending.is_empty() {
            break;
        }
        if round > 0 {
            let pause = RETRY_PAUSE * 2u32.pow(round - 1);
            if admit_until.is_some_and(|t| Instant::now() + pause >= t) {
                break;
            }
            tokio::time::sleep(pause).await;
            concurrency = (concurrency / 2).max(1);
        }
        let (swept, left) = pass(
            deps,
            invocation,
            &shared,
            pending,
            concurrency,
            admit_until,
            end,
        )
        .await;
        not_reached.extend(left);
        let (retry, settled): (Vec<Swept>, Vec<Swept>) = swept.into_iter().partition(|s| {
            round < RETRY_ROUNDS && matches!(&s.fate, Fate::Failed(e) if e.is_retryable())
        });
        done.extend(settled);
        pending = retry.into_iter().map(|s| s.user).collect();
        outcome.retried += pending.len();
    }
    // Users still pending when time ran out before a retry round.
    not_reached.extend(pending);

    for swept in done {
        outcome.count(&swept.user, swept.keys, &swept.fate);
        if let Some(enforced) = &swept.enforced {
            outcome.enforced(&swept.user, enforced);
        }
        if let Some(mut r) = swept.report {
            if let Fate::Failed(e) = &swept.fate {
                r.notice_failed = Some(e.error_type());
            }
            report.users.push(r);
        }
    }
    not_reached.sort();
    outcome.not_reached(&not_reached);

    if let Some(ledger) = ledger
        && !deps.config.dry_run
    {
        let first = not_reached.first().map(|u| u.name.as_str());
        if let Err(e) = ledger.set_sweep_resume(&account, first, now).await {
            logging::log(
                Level::Error,
                "where the sweep stopped could not be recorded; the next sweep starts from the first user",
                json!({"error": e.safe_message()}),
            );
        }
    }

    report.finish();
    // In Organizations mode the Organization's digest replaces the
    // account's own (`organization::digest`).
    if run == Run::Sweep
        && deps.config.organization.is_none()
        && !deps.config.digest_recipients.is_empty()
    {
        outcome.digest = Some(crate::digest::send(deps, &report, &outcome).await);
    }
    outcome.report = Some(report);
    outcome.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(outcome)
}

/// One pass over `users` with at most `concurrency` at once. Returns the
/// users it finished and those it did not reach (never admitted, or cut off
/// at `end`).
async fn pass<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    shared: &Shared<'_, Dir<P>>,
    users: Vec<ListedUser>,
    concurrency: usize,
    admit_until: Option<Instant>,
    end: Option<Instant>,
) -> (Vec<Swept>, Vec<ListedUser>) {
    let total = users.len();
    let mut admitted = vec![false; total];
    let mut finished = vec![false; total];
    let mut swept = Vec::with_capacity(total);
    {
        let admitted = &mut admitted;
        let users = &users;
        let mut stream = futures_util::stream::iter(0..total)
            .take_while(|_| {
                let open = admit_until.is_none_or(|t| Instant::now() < t);
                std::future::ready(open)
            })
            .map(|i| {
                admitted[i] = true;
                async move { (i, one_user(deps, invocation, shared, &users[i]).await) }
            })
            .buffer_unordered(concurrency.max(1));
        loop {
            let next = match end {
                Some(end) => match tokio::time::timeout_at(end, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => break,
                },
                None => stream.next().await,
            };
            let Some((i, s)) = next else { break };
            finished[i] = true;
            swept.push(s);
        }
    }
    let left = users
        .into_iter()
        .zip(finished)
        .filter(|(_, f)| !f)
        .map(|(u, _)| u)
        .collect();
    (swept, left)
}

/// Reads, decides and (in a sweep) notifies one user.
async fn one_user<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    shared: &Shared<'_, Dir<P>>,
    user: &ListedUser,
) -> Swept {
    let (account, run, now) = (shared.account, shared.run, shared.now);
    let mut swept = Swept {
        user: user.clone(),
        keys: 0,
        fate: Fate::Checked,
        report: None,
        enforced: None,
    };
    let keys = match shared
        .directory
        .access_keys(&user.name)
        .await
        .and_then(handler::bounded_keys)
    {
        Ok(Some(keys)) => keys,
        // Deleted since it was listed.
        Ok(None) => {
            swept.fate = Fate::Skipped(SkipReason::UserNotFound);
            return swept;
        }
        Err(e) => {
            swept.fate = Fate::Failed(e);
            return swept;
        }
    };
    swept.keys = keys.len();
    let policy = &deps.config.policy;
    let due = decision::due_keys(policy, &keys, now);
    if due.is_empty() {
        return swept;
    }
    let tags = match shared.directory.user(&user.name).await {
        Ok(Some(u)) if u.id == user.id => u.tags,
        // Deleted, or the name now belongs to another user: that one is
        // read under its own id next time.
        Ok(_) => {
            swept.fate = Fate::Skipped(SkipReason::UserNotFound);
            return swept;
        }
        Err(e) => {
            swept.fate = Fate::Failed(e);
            return swept;
        }
    };
    let listed = shared.listing.lists(account, &user.name);
    let verdict = decision::decide(policy, Mode::Ledger, &tags, listed, &keys, now);
    handler::log_verdict(policy, &user.name, &verdict);
    let mut r = report::UserReport::new(&user.name, &due, &verdict);
    let source = Source {
        via: Via::Sweep,
        account: Some(account),
        label: Some(shared.label),
        directory: shared.directory,
        user_id: &user.id,
        event_id: None,
    };
    let enforced = match run {
        Run::Sweep => Some(
            enforcement::step::run(
                deps,
                invocation,
                &source,
                &user.name,
                &keys,
                &verdict,
                shared.listing,
                shared.cap,
                now,
            )
            .await,
        ),
        Run::ReadOnly => None,
    };
    let shaped = match &enforced {
        Some(e) => verdict.result.clone().map(|n| e.shape(n)),
        None => verdict.result.clone().map(Some),
    };
    if let Some(e) = &enforced {
        r.enforcement(e);
    }
    swept.enforced = enforced;

    swept.fate = match (shaped, run) {
        (Err(reason), _) => Fate::Skipped(reason),
        (Ok(None), _) => Fate::Skipped(SkipReason::Deactivated),
        (Ok(Some(_)), Run::ReadOnly) => Fate::Checked,
        (Ok(Some(notice)), Run::Sweep) => {
            let notice = &notice;
            match handler::send(deps, invocation, &source, &user.name, notice, now).await {
                Ok(handled) => match handled.outcome.reason {
                    Some(reason) => Fate::Skipped(reason),
                    None => {
                        log_notice(&user.name, notice.keys.as_slice(), handled.outcome.status);
                        Fate::Notified {
                            status: handled.outcome.status,
                            reminder: notice.lead().stage.is_reminder(),
                        }
                    }
                },
                Err(e) => Fate::Failed(e),
            }
        }
    };
    r.notice = match &swept.fate {
        Fate::Notified { status, .. } => Some(*status),
        Fate::Skipped(SkipReason::AlreadyNotified) => Some(Status::Skipped),
        _ => None,
    };
    swept.report = Some(r);
    swept
}

fn log_notice(user: &str, keys: &[DueKey], status: Status) {
    let keys: Vec<_> = keys
        .iter()
        .map(|k| json!({"access_key_id": mask_key_id(&k.id), "stage": k.stage.code(), "deadline": mail::iso(k.deadline_date)}))
        .collect();
    logging::log(
        Level::Info,
        "sweep notice",
        json!({"user": user, "status": status, "keys": keys}),
    );
}

#[cfg(test)]
mod tests;
