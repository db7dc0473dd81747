//! The daily sweep: every user of the account, every key, once a day.
//!
//! Config speaks only when a user's result changes, and only best effort,
//! so the sweep reconciles: keys past a tier before the rules existed,
//! events lost or decided while the function was off, a second key of a
//! user already NON_COMPLIANT, and every overdue key's reminders. It makes
//! the same decision and sends through the same ledger-guarded code as the
//! Config path (the notice service, `service`), so whichever path gets to
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
use super::progress::{Step, Watcher};
use super::scope::Scope;
use super::targets::{PasswordSeen, Target, Targets, targets};
use super::{Deps, Invocation, Service};
use crate::enforcement::EnforceMode;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::model::{ConsolePassword, LastUsed, PasswordPolicy, SkipReason, Trigger, UserResult};
use crate::outcome::Status;
use crate::outcome::report::{PasswordExpiry, Report};
use crate::outcome::sweep::{Fate, PasswordCounts, RotationOutcome, SweepOutcome};
use crate::ports::accounts::Accounts;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::NoticeLedger;
use crate::ports::{Dir, Ports, Sec};
use crate::service::{Account, Reading};
use crate::views::chat;

/// Rounds after the first pass in which users that failed with a retryable
/// error are tried again, each with half the concurrency of the one before.
pub(crate) const RETRY_ROUNDS: u32 = 2;
/// The pause before a retry round, doubled each round: throttling is an
/// account-wide rate, and it needs a moment to recover.
pub(crate) const RETRY_PAUSE: Duration = Duration::from_secs(1);

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
pub(crate) fn stop_margin(budget: Duration) -> Duration {
    (budget / 5).clamp(Duration::from_secs(3), Duration::from_secs(30))
}

/// Time kept at the end of the budget for what follows the users: the
/// resume point and the digest, one call each. A twentieth of the budget,
/// between 1 and 5 seconds: always less than [`stop_margin`], so a user
/// admitted last still has time.
pub(crate) fn finish_reserve(budget: Duration) -> Duration {
    (budget / 20).clamp(Duration::from_secs(1), Duration::from_secs(5))
}

/// Time kept at the very end for the digest: half of [`finish_reserve`].
/// The resume point and the chat channel must be done before it, so a
/// slow SNS never takes the digest's time.
pub(crate) fn digest_reserve(budget: Duration) -> Duration {
    finish_reserve(budget) / 2
}

/// The moments of one sweep, on tokio's clock (`None`: no deadline).
struct Times {
    started: Instant,
    budget: Duration,
    /// The budget's end.
    end: Option<Instant>,
    /// The users' share ends here: [`finish_reserve`] before the end.
    users_end: Option<Instant>,
    /// No user is admitted after this: [`stop_margin`] before the end.
    admit_until: Option<Instant>,
    /// The resume point and the chat channel end here:
    /// [`digest_reserve`] before the end.
    chat_end: Option<Instant>,
}

impl Times {
    fn of(budget: Duration) -> Times {
        let started = Instant::now();
        let end = started.checked_add(budget);
        let before_end =
            |d: Duration| end.map(|e| e.checked_sub(d).unwrap_or(started).max(started));
        Times {
            started,
            budget,
            end,
            users_end: before_end(finish_reserve(budget)),
            admit_until: before_end(stop_margin(budget)),
            chat_end: before_end(digest_reserve(budget)),
        }
    }

    /// `work`, unless `end` comes first: then `Retryable.OutOfTime`.
    async fn by<T>(
        &self,
        end: Option<Instant>,
        work: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        let Some(end) = end else {
            return work.await;
        };
        tokio::time::timeout_at(end, work)
            .await
            .unwrap_or_else(|_| Err(super::deps::out_of_time(self.budget)))
    }
}

/// What a sweep reads (its first step).
struct Plan {
    account: String,
    /// How mails name the account.
    label: String,
    targets: Targets,
    /// The users to read, from where the last sweep stopped.
    users: Vec<Target>,
    resumed_from: Option<String>,
    /// The account's password policy, read once where expiry notices are
    /// on (`PASSWORD_NOTICE_DAYS`).
    password_policy: Option<PasswordPolicy>,
}

/// One user's result.
struct Swept {
    user: Target,
    /// Keys listed for the user.
    keys: usize,
    /// When each of its active keys was created (the age chart's).
    active: Vec<chrono::DateTime<chrono::Utc>>,
    fate: Fate,
    /// What the notice service made of the user (a user with a due key).
    result: Option<UserResult>,
}

/// What the passes over the users gave (the second step).
struct Ran {
    done: Vec<Swept>,
    not_reached: Vec<Target>,
    /// Where the next sweep starts: the first user the first pass did not
    /// finish.
    resume_at: Option<String>,
    /// Users tried again after a retryable failure (each retry counted).
    retried: usize,
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
        secrets: deps.accounts.own_secrets(),
    };
    let service = deps.service(invocation);
    run_in(deps, &service, invocation, scope, run).await
}

/// Sweeps the account of `scope`, through its directory, with the
/// invocation's notice service, in four steps: plan (the account, the
/// users to read and where to start), run (each user read and handed to
/// the service, retried in rounds), settle (the results folded into the
/// outcome and the report, and where the sweep stopped kept), publish (the
/// team's chat channel, then the digest). In Organizations mode the sweep
/// keeps the account's summary for the Organization's digest instead of
/// mailing a digest of its own.
pub(crate) async fn run_in<P: Ports>(
    deps: &Deps<P>,
    service: &Service<'_, P>,
    invocation: &Invocation,
    scope: Scope<Dir<P>, Sec<P>>,
    run: Run,
) -> Result<SweepOutcome, Error> {
    if run == Run::Sweep && deps.ledger.is_none() {
        return Err(Error::NoLedger);
    }
    let budget = invocation.budget(service.now()).unwrap_or(Duration::MAX);
    let times = Times::of(budget);
    let watcher = &invocation.watcher;
    let plan = plan(deps, service, &scope, run, &times).await?;
    watcher.step(Step::Planned {
        users: plan.users.len(),
    });
    let ran = run_users(deps, service, &scope, &plan, run, &times, watcher).await;
    watcher.step(Step::Reporting);
    let (mut outcome, report) = settle(deps, service, &plan, ran, run, &times).await;
    if run == Run::Sweep {
        watcher.step(Step::Publishing);
    }
    publish(deps, &mut outcome, report, run, &times).await;
    outcome.duration_ms = u64::try_from(times.started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(outcome)
}

/// Step 1: the account, the users to read (`targets`) and where the last
/// sweep stopped, all before the users' share of the budget ends.
async fn plan<P: Ports>(
    deps: &Deps<P>,
    service: &Service<'_, P>,
    scope: &Scope<Dir<P>, Sec<P>>,
    run: Run,
    times: &Times,
) -> Result<Plan, Error> {
    let directory = &*scope.directory;
    let ledger = deps.ledger.as_ref().filter(|_| run == Run::Sweep);
    let listed = times.by(times.users_end, async {
        let account = match &scope.account {
            Some(a) => a.clone(),
            None => directory.account_id().await?,
        };
        let report_by = times.end.map(|_| times.started + times.budget / 4);
        let full = matches!(run, Run::ReadOnly { full: true });
        let policy = &deps.config.policy;
        let password_policy = match policy.password_notice_days.is_empty() {
            true => None,
            false => directory.password_policy().await?,
        };
        let passwords = password_policy.as_ref();
        let targets = targets(directory, policy, passwords, full, report_by, service.now()).await?;
        let resumed_from = match ledger {
            Some(l) => l.sweep_resume(&account).await?,
            None => None,
        };
        Ok((account, targets, resumed_from, password_policy))
    });
    let (account, targets, resumed_from, password_policy) = listed.await?;
    let mut users = targets.users.clone();
    if let Some(first) = &resumed_from {
        // Start where the last sweep stopped; the users before it follow.
        let at = users.partition_point(|u| u.name < *first);
        users.rotate_left(at);
    }
    Ok(Plan {
        label: scope.label.clone().unwrap_or_else(|| account.clone()),
        account,
        targets,
        users,
        resumed_from,
        password_policy,
    })
}

/// Step 2: every planned user read and handed to the notice service, at
/// most `SWEEP_CONCURRENCY` at once; users that failed with a retryable
/// error are tried again in up to [`RETRY_ROUNDS`] rounds, after a pause,
/// at half the concurrency.
async fn run_users<P: Ports>(
    deps: &Deps<P>,
    service: &Service<'_, P>,
    scope: &Scope<Dir<P>, Sec<P>>,
    plan: &Plan,
    run: Run,
    times: &Times,
    watcher: &Watcher,
) -> Ran {
    let account = Account {
        id: Some(&plan.account),
        label: Some(&plan.label),
        directory: &*scope.directory,
        secrets: &*scope.secrets,
        password_policy: plan.password_policy,
    };
    let mut pending = plan.users.clone();
    let mut concurrency = deps.config.sweep_concurrency;
    let mut ran = Ran {
        done: Vec::new(),
        not_reached: Vec::new(),
        resume_at: None,
        retried: 0,
    };
    for round in 0..=RETRY_ROUNDS {
        if pending.is_empty() {
            break;
        }
        if round > 0 {
            let pause = RETRY_PAUSE * 2u32.pow(round - 1);
            if times
                .admit_until
                .is_some_and(|t| Instant::now() + pause >= t)
            {
                break;
            }
            tokio::time::sleep(pause).await;
            concurrency = (concurrency / 2).max(1);
            watcher.step(Step::Retrying {
                users: pending.len(),
            });
        }
        let (swept, left) =
            pass::<P>(service, &account, run, pending, concurrency, times, watcher).await;
        // The first pass goes through the users in this run's order (from
        // where the last run stopped): the first one it did not finish is
        // where the next run starts, so every run moves on by as many
        // users as its first pass finished.
        if round == 0 {
            ran.resume_at = left.first().map(|u| u.name.clone());
        }
        ran.not_reached.extend(left);
        let (retry, settled): (Vec<Swept>, Vec<Swept>) = swept.into_iter().partition(|s| {
            round < RETRY_ROUNDS && matches!(&s.fate, Fate::Failed(f) if f.retryable)
        });
        ran.done.extend(settled);
        pending = retry.into_iter().map(|s| s.user).collect();
        ran.retried += pending.len();
    }
    // Users still pending when time ran out before a retry round.
    ran.not_reached.extend(pending);
    ran
}

/// Step 3: the results folded into the sweep's outcome and the account's
/// report, and where the sweep stopped kept for the next one (by the chat
/// channel's moment, so the digest keeps its reserve).
async fn settle<P: Ports>(
    deps: &Deps<P>,
    service: &Service<'_, P>,
    plan: &Plan,
    mut ran: Ran,
    run: Run,
    times: &Times,
) -> (SweepOutcome, Report) {
    let config = &deps.config;
    let now = service.now();
    let sweeping = run == Run::Sweep;
    let mode = config.deactivation_mode();
    let enforcement = (sweeping && mode != EnforceMode::Off).then_some(mode);
    let targets = &plan.targets;
    let mut outcome = SweepOutcome::new(
        &plan.account,
        config.policy.date_of(now),
        !sweeping,
        sweeping && config.dry_run,
        enforcement,
        targets.listed,
    );
    outcome.resumed_from = plan.resumed_from.clone();
    let rotation = match config.rotation.mode {
        EnforceMode::On if config.dry_run || !sweeping => EnforceMode::DryRun,
        mode => mode,
    };
    outcome.rotation = (rotation != EnforceMode::Off).then(|| RotationOutcome {
        mode: rotation,
        ..RotationOutcome::default()
    });
    outcome.source(
        targets.source,
        targets.report_unavailable.clone(),
        targets.settled,
        targets.settled_keys,
    );
    outcome.root_access_key_active = targets.root_key_active;
    let mut report = Report::new(&plan.account, now, &config.policy);
    report.password_expiry = PasswordExpiry::of(&config.policy, plan.password_policy.as_ref());
    outcome.retried = ran.retried;
    let active = ran.done.iter().flat_map(|s| &s.active);
    for created in targets.settled_active.iter().chain(active) {
        report.key_ages.add(config.policy.date_of(*created));
    }
    for swept in &ran.done {
        outcome.count(&swept.user.name, swept.keys, &swept.fate);
        if let Some(result) = &swept.result {
            outcome.enforced(result);
            if let Some(rotation) = outcome.rotation.as_mut() {
                rotation.add(result);
            }
            report.add(result);
        }
    }
    report.finish();
    if config.organization.is_none() {
        // The list is read already when a user needed it; otherwise read
        // here, by the chat channel's moment (a list not read in time
        // names no entry).
        let everyone: Vec<(&str, &str)> = targets
            .everyone
            .iter()
            .map(|(name, id)| (name.as_str(), id.as_str()))
            .collect();
        let listing = times.by(times.chat_end, async { Ok(service.listing().await) });
        if let Ok(listing) = listing.await {
            report.exempt_entries_unmatched = listing.unmatched(&plan.account, &everyone);
        }
    }
    let policy = &config.policy;
    if !policy.password_notice_days.is_empty() || policy.unused_password_days > 0 {
        outcome.passwords = Some(PasswordCounts {
            expiring: report.passwords_expiring.len(),
            unused: report.passwords_unused.len(),
            exempt: report.exempt.iter().filter(|k| k.password).count(),
        });
    }
    ran.not_reached.sort_by(|a, b| a.name.cmp(&b.name));
    let names: Vec<String> = ran.not_reached.iter().map(|u| u.name.clone()).collect();
    outcome.not_reached(&names);

    if let Some(ledger) = deps.ledger.as_ref().filter(|_| sweeping)
        && !config.dry_run
    {
        let kept = times.by(
            times.chat_end,
            ledger.set_sweep_resume(&plan.account, ran.resume_at.as_deref(), now),
        );
        if let Err(e) = kept.await {
            logging::log(
                Level::Error,
                "where the sweep stopped could not be recorded; the next sweep starts from the first user",
                json!({"error": e.safe_message()}),
            );
        }
    }
    (outcome, report)
}

/// Step 4: the team's chat channel first (so the digest can say if it
/// failed), then the digest (in Organizations mode the Organization's
/// digest replaces the account's own, `flow::digest`). A scan publishes
/// nothing.
async fn publish<P: Ports>(
    deps: &Deps<P>,
    outcome: &mut SweepOutcome,
    report: Report,
    run: Run,
    times: &Times,
) {
    let config = &deps.config;
    if run == Run::Sweep && config.security_hub {
        let root_key = outcome.root_access_key_active;
        // Boxed: Security Hub's SDK futures are large, and the sweep's
        // future would carry them inline.
        let hub = super::findings::import(deps, &report, root_key, (times.chat_end, times.budget));
        outcome.security_hub = Some(Box::pin(hub).await);
    }
    if run == Run::Sweep {
        let l = config.chat_locale;
        let mut messages = vec![chat::summary(&report, outcome, l)];
        messages.extend(chat::alerts(&report, outcome, l));
        outcome.chat =
            super::publish::publish(config, deps.chat.as_ref(), messages, times.chat_end).await;
        if config.organization.is_none() && !config.digest_recipients.is_empty() {
            let digest = account_digest(config, &deps.mailer, &report, outcome, times.end);
            outcome.digest = Some(digest.await);
        }
    }
    outcome.report = Some(report);
}

/// One pass over `users` with at most `concurrency` at once. Returns the
/// users it finished and those it did not reach (never admitted, or cut off
/// at the users' end).
async fn pass<P: Ports>(
    service: &Service<'_, P>,
    account: &Account<'_, Dir<P>, Sec<P>>,
    run: Run,
    users: Vec<Target>,
    concurrency: usize,
    times: &Times,
    watcher: &Watcher,
) -> (Vec<Swept>, Vec<Target>) {
    let (admit_until, end) = (times.admit_until, times.users_end);
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
                async move { (i, one_user::<P>(service, account, run, &users[i]).await) }
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
            watcher.step(Step::UserRead);
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

/// Reads one user (its keys, with the report's last use; GetUser only for
/// a user with a due key) and hands it to the notice service (a scan only
/// decides).
async fn one_user<P: Ports>(
    service: &Service<'_, P>,
    account: &Account<'_, Dir<P>, Sec<P>>,
    run: Run,
    user: &Target,
) -> Swept {
    let directory = account.directory;
    let mut swept = Swept {
        user: user.clone(),
        keys: 0,
        active: Vec::new(),
        fate: Fate::Checked,
        result: None,
    };
    let keys = match found(directory.access_keys(&user.name).await) {
        Ok(keys) => keys,
        Err(fate) => {
            swept.fate = fate;
            return swept;
        }
    };
    swept.keys = keys.len();
    swept.active = keys
        .iter()
        .filter(|k| k.active)
        .map(|k| k.created)
        .collect();
    let (password, read) = match found(console_password::<P>(service, directory, user).await) {
        Ok(found) => found,
        Err(fate) => {
            swept.fate = fate;
            return swept;
        }
    };
    let keys = service
        .judge(
            account,
            user.id.as_deref(),
            user.with_report_last_use(keys),
            password.as_ref(),
        )
        .await;
    let keys = match keys {
        Ok(keys) => keys,
        Err(e) => {
            swept.fate = Fate::Failed((&e).into());
            return swept;
        }
    };
    if keys.due.is_empty() {
        return swept;
    }
    // A listed user's id must still be the name's; a user the report
    // named is known by the id GetUser gives.
    let fetched = match read {
        Some(u) => Ok(Some(u)),
        None => directory.user(&user.name).await,
    };
    let (user_id, arn, tags) = match fetched {
        Ok(Some(u)) if user.id.as_ref().is_none_or(|id| *id == u.id) => (u.id, u.arn, u.tags),
        // Deleted, or the name now belongs to another user: that one is
        // read under its own id next time.
        Ok(_) => {
            swept.fate = Fate::Skipped(SkipReason::UserNotFound);
            return swept;
        }
        Err(e) => {
            swept.fate = Fate::Failed((&e).into());
            return swept;
        }
    };
    let reading = Reading {
        id: &user_id,
        name: &user.name,
        arn: &arn,
        tags: &tags,
        keys: &keys,
    };
    let result = match run {
        Run::ReadOnly { .. } => service.decide_only(account, &reading).await,
        Run::Sweep => service.handle(account, &reading, Trigger::Sweep).await,
    };
    swept.fate = Fate::of(&result);
    if let (Fate::Notified { status, .. }, false) =
        (&swept.fate, matches!(run, Run::ReadOnly { .. }))
    {
        log_notice(&user.name, &result, *status);
    }
    swept.result = Some(result);
    swept
}

/// What a read of a listed user gives: the answer, or the user's fate: a
/// user deleted since it was listed is `user_not_found`, a failed read
/// fails it.
fn found<T>(read: Result<Option<T>, Error>) -> Result<T, Fate> {
    match read {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(Fate::Skipped(SkipReason::UserNotFound)),
        Err(e) => Err(Fate::Failed((&e).into())),
    }
}

/// The console password of `user`, where the password rules are on: the
/// report's, or, for a listed user, read afresh (GetLoginProfile, then
/// GetUser for its last use, which the caller reuses). `None`: the user is
/// gone.
async fn console_password<P: Ports>(
    service: &Service<'_, P>,
    directory: &Dir<P>,
    user: &Target,
) -> Result<Option<(Option<ConsolePassword>, Option<crate::model::User>)>, Error> {
    let policy = &service.config().policy;
    let on = !policy.password_notice_days.is_empty() || policy.unused_password_days > 0;
    match &user.password {
        _ if !on => Ok(Some((None, None))),
        PasswordSeen::Reported(password) => Ok(Some((password.clone(), None))),
        PasswordSeen::Unread => {
            let Some(created) = directory.login_profile(&user.name).await? else {
                return Ok(Some((None, None)));
            };
            let Some(read) = directory.user(&user.name).await? else {
                return Ok(None);
            };
            let password = ConsolePassword {
                last_used: LastUsed {
                    time: read.password_last_used,
                    ..LastUsed::default()
                },
                last_changed: Some(created),
                next_rotation: None,
            };
            Ok(Some((Some(password), Some(read))))
        }
    }
}

fn log_notice(user: &str, result: &UserResult, status: Status) {
    let keys: Vec<_> = result
        .listed()
        .map(|(k, l)| json!({"access_key_id": k.shown_id(), "stage": l.stage.code(), "deadline": k.shown_deadline().map(crate::calendar::iso)}))
        .collect();
    logging::log(
        Level::Info,
        "sweep notice",
        json!({"user": user, "status": status, "keys": keys}),
    );
}
