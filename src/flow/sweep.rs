//! The daily sweep: every user of the account, every key, once a day.
//!
//! Config speaks only when a user's result changes, and only best effort,
//! so the sweep reconciles: keys past a tier before the rules existed,
//! events lost or decided while the function was off, a second key of a
//! user already NON_COMPLIANT, and every overdue key's reminders. It makes
//! the same decision and sends through the same ledger-guarded code as the
//! Config path (the notice pipeline, `notice`), so whichever path gets to
//! a stage first sends it, and the other finds it `already_notified`.
//!
//! How it reads IAM (the users to read come from `targets`):
//!
//! 1. the credential report once (GenerateCredentialReport until COMPLETE,
//!    GetCredentialReport), and only the users whose row shows an active
//!    due key; when it cannot be had, ListUsers at IAM's largest page;
//! 2. per user, at most `SWEEP_CONCURRENCY` users at once: ListAccessKeys
//!    (ids and status are not in the report and may have changed), then,
//!    only with a due key (`decision::due_keys`), GetUser (tags, UserId);
//! 3. last use from the report's row; for a listed user, when a notice goes
//!    out, GetAccessKeyLastUsed of its keys.
//!
//! Throttling is met twice: each call retries with jittered exponential
//! back-off (`aws`), and a user whose reading still failed with a retryable
//! error is tried again after the pass, after a pause and with half the
//! concurrency, twice at most (the pause doubling). Only then is it counted
//! as failed, with its typed error.
//!
//! Time: every call of a sweep is inside the invocation's budget. The
//! listing (the account's id, ListUsers, the resume point, the exemption
//! list) must end before the users' share of it does, or the sweep stops
//! with `Retryable.OutOfTime` having mailed no one; the sweep admits no new
//! user once less than [`stop_margin`] of its budget is left, and cuts what
//! is under way [`finish_reserve`] before the end, which is kept for
//! recording where it stopped, the chat channel and the digest: the first
//! two end [`digest_reserve`] before the end (a chat message not published
//! by then is reported failed), the digest by the end (one that cannot be
//! sent in it is reported `failed`, out of time). Every
//! listed user ends as exactly one of checked, notified, skipped (with a
//! reason), failed or not reached. Where the first pass stopped (the first
//! user, in this run's order, that it did not finish) is kept in the ledger
//! (`NoticeLedger::sweep_resume`) and the next sweep starts there, so a
//! sweep that cannot finish in one invocation moves on by as many users as
//! its first pass finished, and reaches everyone within ⌈users / reached
//! per run⌉ runs, nobody always last. A user whose retry round never came
//! (time ran out) is counted not reached and read at its place in the next
//! cycle.
//!
//! With `read_only` (`scan`) the same pass only reads: no ledger, no mail,
//! no resume point.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::json;
use tokio::time::Instant;

use super::digest::account_digest;
use super::scope::Scope;
use super::targets::{Target, targets};
use super::{Deps, Invocation};
use crate::chat;
use crate::clock::Clock;
use crate::decision::{self, SkipReason};
use crate::enforcement::EnforceMode;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::mail::notice::Via;
use crate::notice::{Account, Cap, Pipeline, Subject, UserResult, with_last_use};
use crate::outcome::report::{Report, UserReport};
use crate::outcome::sweep::{Fate, SweepOutcome};
use crate::outcome::{KeyOutcome, Status};
use crate::ports::accounts::Accounts;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::NoticeLedger;
use crate::ports::{Dir, Ports};

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
    /// `scan`: reads only; `full`: every listed user, not the credential
    /// report's candidates (`scan --full`).
    ReadOnly { full: bool },
}

/// Time kept back for the users under way once no new user is admitted:
/// a fifth of the budget, between 3 and 30 seconds (a user costs a few
/// calls of at most `aws::CALL_TIMEOUT` each; most take milliseconds).
pub fn stop_margin(budget: Duration) -> Duration {
    (budget / 5).clamp(Duration::from_secs(3), Duration::from_secs(30))
}

/// Time kept at the end of the budget for what follows the users: the
/// resume point and the digest, one call each. A twentieth of the budget,
/// between 1 and 5 seconds: always less than [`stop_margin`], so a user
/// admitted last still has time.
pub fn finish_reserve(budget: Duration) -> Duration {
    (budget / 20).clamp(Duration::from_secs(1), Duration::from_secs(5))
}

/// Time kept at the very end for the digest: half of [`finish_reserve`].
/// The resume point and the chat channel must be done before it, so a
/// slow SNS never takes the digest's time.
pub fn digest_reserve(budget: Duration) -> Duration {
    finish_reserve(budget) / 2
}

/// `work`, unless `end` comes first: then `Retryable.OutOfTime` for a
/// sweep of `budget`.
async fn by<T>(
    end: Option<Instant>,
    budget: Duration,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let Some(end) = end else {
        return work.await;
    };
    tokio::time::timeout_at(end, work)
        .await
        .unwrap_or_else(|_| Err(super::deps::out_of_time(budget)))
}

/// One user's result, and what the report learned about it.
struct Swept {
    user: Target,
    keys: usize,
    fate: Fate,
    report: Option<UserReport>,
    /// What enforcement did about the user's keys.
    enforced: Option<crate::enforcement::UserEnforcement>,
}

/// What every user of one sweep shares: the notice pipeline over the
/// account, and how the sweep runs.
struct Shared<'a, P: Ports> {
    pipeline: Pipeline<'a, P>,
    run: Run,
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
    let before_end = |d: Duration| end.map(|e| e.checked_sub(d).unwrap_or(started).max(started));
    // The users' share of the budget, and the moment no new one is
    // admitted; the resume point and chat end before the digest's reserve.
    let users_end = before_end(finish_reserve(budget));
    let admit_until = before_end(stop_margin(budget));
    let chat_end = before_end(digest_reserve(budget));

    let directory = &*scope.directory;
    let now = deps.clock.now();
    let ledger = deps.ledger.as_ref().filter(|_| run == Run::Sweep);
    let listed = by(users_end, budget, async {
        let account = match scope.account {
            Some(a) => a,
            None => directory.account_id().await?,
        };
        let report_by = end.map(|_| started + budget / 4);
        let full = matches!(run, Run::ReadOnly { full: true });
        let targets = targets(directory, &deps.config.policy, full, report_by, now).await?;
        let resumed_from = match ledger {
            Some(l) => l.sweep_resume(&account).await?,
            None => None,
        };
        let listing = deps.exemptions.listing(now).await;
        Ok((account, targets, resumed_from, listing))
    });
    let (account, targets, resumed_from, listing) = listed.await?;
    let mut users = targets.users.clone();
    let label = scope.label.unwrap_or_else(|| account.clone());
    if let Some(first) = &resumed_from {
        // Start where the last sweep stopped; the users before it follow.
        let at = users.partition_point(|u| u.name < *first);
        users.rotate_left(at);
    }

    let config = &deps.config;
    let cap = Cap::today(config, now);
    let claim = invocation.claim(now);
    let shared: Shared<'_, P> = Shared {
        pipeline: Pipeline {
            config,
            ledger,
            mailer: &deps.mailer,
            account: Account {
                id: Some(&account),
                label: Some(&label),
                directory,
            },
            listing: &listing,
            cap: &cap,
            claim: &claim,
            now,
        },
        run,
    };
    let sweeping = run == Run::Sweep;
    let enforcement = (sweeping && config.enforcement.strongest() != EnforceMode::Off).then(|| {
        if config.enforcement_acts() {
            EnforceMode::On
        } else {
            EnforceMode::DryRun
        }
    });
    let mut outcome = SweepOutcome::new(
        &account,
        config.policy.date_of(now),
        !sweeping,
        sweeping && config.dry_run,
        enforcement,
        targets.listed,
    );
    outcome.resumed_from = resumed_from.clone();
    outcome.source(
        targets.source,
        targets.report_unavailable.clone(),
        targets.settled,
        targets.settled_keys,
    );
    outcome.root_access_key_active = targets.root_key_active;
    let mut report = Report::new(&account, now, &deps.config.policy);

    let mut pending = users;
    let mut concurrency = deps.config.sweep_concurrency;
    let mut not_reached: Vec<Target> = Vec::new();
    let mut done: Vec<Swept> = Vec::new();
    let mut resume_at: Option<String> = None;
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
        let (swept, left) = pass(&shared, pending, concurrency, admit_until, users_end).await;
        // The first pass goes through the users in this run's order (from
        // where the last run stopped): the first one it did not finish is
        // where the next run starts, so every run moves on by as many
        // users as its first pass finished.
        if round == 0 {
            resume_at = left.first().map(|u| u.name.clone());
        }
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
        outcome.count(&swept.user.name, swept.keys, &swept.fate);
        if let Some(enforced) = &swept.enforced {
            outcome.enforced(&swept.user.name, enforced);
        }
        if let Some(mut r) = swept.report {
            if let Fate::Failed(e) = &swept.fate {
                r.notice_failed = Some(e.error_type());
            }
            report.add(r);
        }
    }
    not_reached.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = not_reached.iter().map(|u| u.name.clone()).collect();
    outcome.not_reached(&names);

    if let Some(ledger) = ledger
        && !deps.config.dry_run
    {
        let kept = by(
            chat_end,
            budget,
            ledger.set_sweep_resume(&account, resume_at.as_deref(), now),
        );
        if let Err(e) = kept.await {
            logging::log(
                Level::Error,
                "where the sweep stopped could not be recorded; the next sweep starts from the first user",
                json!({"error": e.safe_message()}),
            );
        }
    }

    report.finish();
    // The chat channel first, so the digest can say if it failed.
    if sweeping {
        let mut messages = vec![chat::summary(&report, &outcome)];
        messages.extend(chat::alerts(&report, &outcome));
        outcome.chat = super::chat::publish(config, deps.chat.as_ref(), messages, chat_end).await;
    }
    // In Organizations mode the Organization's digest replaces the
    // account's own (`flow::digest`).
    if sweeping && config.organization.is_none() && !config.digest_recipients.is_empty() {
        let digest = account_digest(config, &deps.mailer, &report, &outcome, end);
        outcome.digest = Some(digest.await);
    }
    outcome.report = Some(report);
    outcome.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(outcome)
}

/// One pass over `users` with at most `concurrency` at once. Returns the
/// users it finished and those it did not reach (never admitted, or cut off
/// at `end`).
async fn pass<P: Ports>(
    shared: &Shared<'_, P>,
    users: Vec<Target>,
    concurrency: usize,
    admit_until: Option<Instant>,
    end: Option<Instant>,
) -> (Vec<Swept>, Vec<Target>) {
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
                async move { (i, one_user(shared, &users[i]).await) }
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

/// Reads one user and hands it to the notice pipeline (a scan only
/// decides).
async fn one_user<P: Ports>(shared: &Shared<'_, P>, user: &Target) -> Swept {
    let pipeline = &shared.pipeline;
    let directory = pipeline.account.directory;
    let mut swept = Swept {
        user: user.clone(),
        keys: 0,
        fate: Fate::Checked,
        report: None,
        enforced: None,
    };
    let keys = match directory
        .access_keys(&user.name)
        .await
        .and_then(decision::checked_keys)
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
    let keys = user.with_report_last_use(keys);
    let keys = match with_last_use(directory, &pipeline.config.policy, &keys).await {
        Ok(keys) => keys,
        Err(e) => {
            swept.fate = Fate::Failed(e);
            return swept;
        }
    };
    if decision::due_keys(&pipeline.config.policy, &keys, pipeline.now).is_empty() {
        return swept;
    }
    // A listed user's id must still be the name's; a user the report
    // named is known by the id GetUser gives.
    let (user_id, tags) = match directory.user(&user.name).await {
        Ok(Some(u)) if user.id.as_ref().is_none_or(|id| *id == u.id) => (u.id, u.tags),
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
    let subject = Subject {
        via: Via::Sweep,
        event_id: None,
        user_id: &user_id,
        name: &user.name,
        tags: &tags,
        keys: &keys,
    };
    if matches!(shared.run, Run::ReadOnly { .. }) {
        let decided = pipeline.decide(&subject);
        swept.fate = match decided.verdict.result {
            Err(reason) => Fate::Skipped(reason),
            Ok(_) => Fate::Checked,
        };
        swept.report = Some(UserReport::new(&user.name, &decided.due, &decided.verdict));
        return swept;
    }
    let UserResult {
        decided,
        enforced,
        notice,
    } = pipeline.run(&subject).await;
    let mut r = UserReport::new(&user.name, &decided.due, &decided.verdict);
    r.enforcement(&enforced);
    swept.enforced = Some(enforced);
    swept.fate = match notice {
        Ok(handled) => match handled.outcome.reason {
            Some(reason) => Fate::Skipped(reason),
            None => {
                log_notice(&user.name, &handled.outcome.keys, handled.outcome.status);
                Fate::Notified {
                    status: handled.outcome.status,
                    reminder: handled
                        .outcome
                        .keys
                        .first()
                        .is_some_and(|k| k.stage.is_reminder()),
                }
            }
        },
        Err(e) => Fate::Failed(e),
    };
    r.notice = match &swept.fate {
        Fate::Notified { status, .. } => Some(*status),
        Fate::Skipped(SkipReason::AlreadyNotified) => Some(Status::Skipped),
        _ => None,
    };
    swept.report = Some(r);
    swept
}

fn log_notice(user: &str, keys: &[KeyOutcome], status: Status) {
    let keys: Vec<_> = keys
        .iter()
        .map(|k| json!({"access_key_id": k.access_key_id, "stage": k.stage.code(), "deadline": k.deadline}))
        .collect();
    logging::log(
        Level::Info,
        "sweep notice",
        json!({"user": user, "status": status, "keys": keys}),
    );
}
