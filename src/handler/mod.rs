//! The handler: one event in, one outcome out. It reads IAM through the
//! [`UserDirectory`], lets [`decision`](crate::decision) decide, asks the
//! [`NoticeLedger`] which stages are new, renders, and sends through the
//! [`Mailer`]. It never reads the environment, never builds a client and
//! never reads the system time: all of that comes in [`Deps`], built once at
//! cold start.
//!
//! Its work is bounded: the whole event runs within the invocation's time
//! budget (Lambda's deadline less [`DEADLINE_RESERVE`]), a user with more
//! than [`MAX_ACCESS_KEYS`] keys is a damaged answer, and the last-use
//! lookups of one notice run concurrently.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::try_join_all;
use serde_json::{Value, json};

use crate::clock::Clock;
use crate::config::Config;
use crate::decision::{self, AccessKey, Mode, Notice, SkipReason, Stage, Tag};
use crate::directory::{MAX_ACCESS_KEYS, UserDirectory};
use crate::enforcement::{self, Cap};
use crate::error::Error;
use crate::event::{self, ComplianceChange, Parsed, ScheduledRun};
use crate::exemption::Exemptions;
use crate::ledger::{self, Claim, ClaimRequest, NoticeKey, NoticeLedger, SentRecord};
use crate::logging::{self, Level};
use crate::mail::{self, Context, NoticeView, Rendered, Via};
use crate::mailer::{Mail, Mailer};
use crate::mask::mask_key_id;
use crate::organization::digest::OrganizationDigestOutcome;
use crate::organization::fanout::{self, BatchOutcome, FanOutOutcome};
use crate::organization::{self, accounts};
use crate::outcome::{KeyOutcome, Outcome, Status};
use crate::ports::{Dir, Ports};
use crate::sweep::{self, SweepOutcome};

#[cfg(test)]
mod tests;

/// What the handler works with.
pub struct Deps<P: Ports> {
    pub config: Config,
    /// The function's own account, and in Organizations mode the member
    /// accounts, each with its user directory.
    pub accounts: P::Accounts,
    pub mailer: P::Mailer,
    /// Present when `LEDGER_TABLE` is set.
    pub ledger: Option<P::Ledger>,
    pub clock: P::Clock,
    /// The exemption list (`EXEMPT_USERS_PARAMETER`), cached.
    pub exemptions: Exemptions<P::Exemptions>,
    /// The per-account sweep queue; present in Organizations mode.
    pub queue: Option<P::Queue>,
}

/// What the platform says about this invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// Lambda's request id; ledger claims are held in its name.
    pub request_id: String,
    /// When the platform stops the invocation; `None` outside Lambda.
    pub deadline: Option<DateTime<Utc>>,
}

impl Invocation {
    /// The time this invocation may work: Lambda's deadline, as seen at
    /// `now`, less [`DEADLINE_RESERVE`]; `None` without a deadline.
    pub fn budget(&self, now: DateTime<Utc>) -> Option<std::time::Duration> {
        self.deadline.map(|deadline| {
            (deadline - now)
                .to_std()
                .unwrap_or_default()
                .saturating_sub(DEADLINE_RESERVE)
        })
    }

    /// An invocation outside Lambda (`invoke`, tests): a process-unique id
    /// and no deadline.
    pub fn local() -> Invocation {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Invocation {
            request_id: format!(
                "local-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
            deadline: None,
        }
    }
}

/// A claim outlives the invocation's deadline by this much, so it cannot
/// expire while the invocation that holds it still runs.
const CLAIM_MARGIN_SECONDS: i64 = 10;
/// Outside Lambda there is no deadline; claims last this long.
const CLAIM_WITHOUT_DEADLINE_SECONDS: i64 = 60;

/// Time kept back from Lambda's deadline: an event that has not finished
/// by then stops with `Retryable.OutOfTime`, leaving the invocation this
/// long to report the error before Lambda would kill it. Each AWS call has
/// its own time-outs (`aws`); this bounds their sum.
pub const DEADLINE_RESERVE: std::time::Duration = std::time::Duration::from_secs(2);

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

/// What one invocation answers with.
#[derive(Debug)]
pub enum Answer {
    /// A Config event's (or any other event's) outcome.
    Event(Box<Handled>),
    /// A scheduled event's sweep.
    Sweep(Box<SweepOutcome>),
    /// A scheduled event's fan-out (Organizations mode).
    FanOut(Box<FanOutOutcome>),
    /// SQS sweep messages, one account each (Organizations mode).
    Batch(Box<BatchOutcome>),
    /// The Organization's digest.
    OrganizationDigest(Box<OrganizationDigestOutcome>),
}

impl Answer {
    /// The outcome object, for the log line (and Lambda's answer, except
    /// for a batch).
    pub fn to_json(&self) -> Value {
        let value = match self {
            Answer::Event(h) => serde_json::to_value(&h.outcome),
            Answer::Sweep(s) => serde_json::to_value(s),
            Answer::FanOut(f) => serde_json::to_value(f),
            Answer::Batch(b) => serde_json::to_value(b),
            Answer::OrganizationDigest(d) => serde_json::to_value(d),
        };
        value.unwrap_or_else(|e| json!({"error": format!("the outcome could not be written: {e}")}))
    }

    /// Lambda's answer: the outcome, or for an SQS batch the
    /// `batchItemFailures` the event source mapping reads.
    pub fn response(&self) -> Value {
        match self {
            Answer::Batch(b) => b.response(),
            other => other.to_json(),
        }
    }
}

/// Answers any payload: a scheduled event ("Scheduled Event" from
/// EventBridge or EventBridge Scheduler) sweeps the account (in
/// Organizations mode: fans the sweep out, or sends the Organization's
/// digest); an SQS event sweeps the account of each message; anything
/// else is handled as an event.
pub async fn dispatch<P: Ports>(
    payload: Value,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Answer, Error> {
    if event::is_scheduled(&payload) {
        let Parsed::Scheduled { account, run, .. } = event::parse(payload)? else {
            unreachable!("is_scheduled and parse agree on a scheduled event")
        };
        let organization = deps.config.organization.is_some();
        return match (run, organization) {
            (ScheduledRun::Sweep, false) => {
                let outcome = sweep::run(deps, invocation, account, sweep::Run::Sweep).await?;
                Ok(Answer::Sweep(Box::new(outcome)))
            }
            (ScheduledRun::Sweep, true) => {
                Ok(Answer::FanOut(Box::new(fanout::fan_out(deps).await?)))
            }
            (ScheduledRun::Digest, true) => Ok(Answer::OrganizationDigest(Box::new(
                organization::digest::send(deps).await?,
            ))),
            (ScheduledRun::Digest, false) => Err(Error::InvalidEvent(
                "a digest schedule (detail.run `digest`) needs an Organizations deployment (MEMBER_ROLE_NAME); a single account's digest comes with its sweep".into(),
            )),
        };
    }
    if fanout::is_sqs(&payload) {
        let batch = fanout::sweep_messages(payload, deps, invocation).await?;
        return Ok(Answer::Batch(Box::new(batch)));
    }
    handle(payload, deps, invocation)
        .await
        .map(|h| Answer::Event(Box::new(h)))
}

/// Handles one event payload, within the invocation's time budget.
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
    let Some(budget) = invocation.budget(deps.clock.now()) else {
        return handle_event(payload, deps, invocation).await;
    };
    let out_of_time = || Error::OutOfTime {
        budget_ms: u64::try_from(budget.as_millis()).unwrap_or(u64::MAX),
        reserve_ms: u64::try_from(DEADLINE_RESERVE.as_millis()).unwrap_or(u64::MAX),
    };
    // An event that arrives with its budget spent makes no call at all.
    if budget.is_zero() {
        return Err(out_of_time());
    }
    tokio::time::timeout(budget, handle_event(payload, deps, invocation))
        .await
        .unwrap_or_else(|_| Err(out_of_time()))
}

async fn handle_event<P: Ports>(
    payload: Value,
    deps: &Deps<P>,
    invocation: &Invocation,
) -> Result<Handled, Error> {
    let change = match event::parse(payload)? {
        Parsed::Change(change) => change,
        Parsed::Scheduled { .. } => {
            return Err(Error::InvalidEvent(
                "a scheduled event starts a sweep, which `dispatch` runs; `handle` takes Config events".into(),
            ));
        }
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
    // An event of another rule can't mail: it costs no AWS call.
    let policy = &deps.config.policy;
    let Some(tier_days) = policy.tier_for_rule(&change.rule) else {
        return Ok(skipped(&change, SkipReason::UnknownRule, None));
    };
    let mode = match &deps.ledger {
        Some(_) => Mode::Ledger,
        None => Mode::Stateless {
            rule_tier: tier_days,
        },
    };
    // The ledger records notices per account; a real event always names it.
    if deps.ledger.is_some() && change.account.is_none() {
        return Err(Error::InvalidEvent(
            "the event names no account (`account` or `detail.awsAccountId`), which the notice ledger records notices under".into(),
        ));
    }

    let scope = match accounts::scope::<P>(
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
    let account = change.account.as_deref();
    let listed = listing.lists(account.unwrap_or_default(), &user.name);
    let verdict = decision::decide(policy, mode, &user.tags, listed, &user.keys, now);
    log_verdict(policy, &user.name, &verdict);
    let source = Source {
        via: Via::Rule {
            name: &change.rule,
            tier_days,
        },
        account,
        label: scope.label.as_deref(),
        directory: &*scope.directory,
        user_id: &change.user_id,
        event_id: change.event_id.as_deref(),
    };
    let cap = Cap::new(deps.config.enforcement.max_per_run);
    let enforced = enforcement::step::run(
        deps, invocation, &source, &user.name, &user.keys, &verdict, &listing, &cap, now,
    )
    .await;
    let mut handled = match verdict.result.clone().map(|n| enforced.shape(n)) {
        Ok(Some(notice)) => send(deps, invocation, &source, &user.name, &notice, now).await?,
        Ok(None) => skipped(&change, SkipReason::Deactivated, Some(&user.name)),
        Err(reason) => skipped(&change, reason, Some(&user.name)),
    };
    handled.outcome.enforcement = enforced.actions;
    // The notice is handled (and recorded); a retry finds it sent and
    // tries enforcement again.
    match enforced.error {
        Some(e) => Err(e),
        None => Ok(handled),
    }
}

/// Logs what the decision noticed about the user's tags, by reason code,
/// never with the raw value.
pub(crate) fn log_verdict(policy: &decision::Policy, user: &str, verdict: &decision::Verdict) {
    if let Some(rejection) = verdict.owner_tag_rejected {
        logging::log(
            Level::Warn,
            "owner email tag not used",
            json!({"user": user, "tag": policy.owner_email_tag, "reason": rejection.code()}),
        );
    }
    if let Some(problem) = verdict.exempt_tag_problem {
        logging::log(
            Level::Warn,
            "exemption tag exempts no one",
            json!({"user": user, "tag": policy.exempt_tag, "reason": problem.code()}),
        );
    }
    if verdict.locale_tag_ignored {
        logging::log(
            Level::Warn,
            "locale tag names no supported language; using the default",
            json!({"user": user, "tag": policy.owner_locale_tag}),
        );
    }
}

/// Where a notice comes from (a Config event, or the sweep), and the
/// directory of its account.
pub(crate) struct Source<'a, D> {
    pub via: Via<'a>,
    /// Present whenever there is a ledger (the handler checks).
    pub account: Option<&'a str>,
    /// How mails name the account: id, and alias in Organizations mode.
    pub label: Option<&'a str>,
    pub directory: &'a D,
    pub user_id: &'a str,
    pub event_id: Option<&'a str>,
}

impl<D> Source<'_, D> {
    /// The account as mails name it.
    pub(crate) fn account_label(&self) -> &str {
        self.label.or(self.account).unwrap_or("-")
    }

    fn rule(&self) -> Option<String> {
        match self.via {
            Via::Rule { name, .. } => Some(name.to_string()),
            Via::Sweep => None,
        }
    }

    fn tier_days(&self) -> Option<u32> {
        match self.via {
            Via::Rule { tier_days, .. } => Some(tier_days),
            Via::Sweep => None,
        }
    }

    /// What the ledger records as the notice's source, and SES's message tag.
    pub(crate) fn name(&self) -> String {
        self.rule().unwrap_or_else(|| SWEEP_SOURCE.to_string())
    }

    /// A skip, with what is known of the source.
    fn skipped(&self, reason: SkipReason, user: &str) -> Handled {
        Handled::without_mail(Outcome {
            rule: self.rule(),
            account: self.account.map(str::to_string),
            user: Some(user.to_string()),
            user_id: Some(self.user_id.to_string()),
            event_id: self.event_id.map(str::to_string),
            ..Outcome::skipped(reason)
        })
    }
}

/// The source the ledger records for a notice the sweep sent.
pub const SWEEP_SOURCE: &str = "sweep";

/// Sends a decided notice: once per stage with the ledger (rule 8),
/// otherwise at once.
pub(crate) async fn send<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    source: &Source<'_, Dir<P>>,
    user: &str,
    notice: &Notice,
    now: DateTime<Utc>,
) -> Result<Handled, Error> {
    let send = Sending {
        source,
        user,
        notice,
    };
    match &deps.ledger {
        None => send.deliver(deps, &vec![false; notice.keys.len()]).await,
        Some(ledger) => send.once_per_stage(deps, ledger, invocation, now).await,
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

/// A decided notice on its way out.
struct Sending<'a, D> {
    source: &'a Source<'a, D>,
    user: &'a str,
    notice: &'a Notice,
}

impl<D: UserDirectory> Sending<'_, D> {
    /// The ledger's stages of the listed keys, in the notice's order. (The
    /// handler has checked that a ledger's event names its account.)
    fn stages(&self) -> Vec<NoticeKey> {
        let account = self.source.account.unwrap_or_default().to_string();
        self.notice
            .keys
            .iter()
            .map(|k| NoticeKey {
                account: account.clone(),
                access_key_id: k.id.clone(),
                stage: k.stage,
            })
            .collect()
    }

    /// Decision rule 8 against the ledger: claim each listed key's stage,
    /// send when at least one is new, record the new ones as sent, release
    /// them if sending failed. A dry run only reads.
    async fn once_per_stage<P: Ports>(
        &self,
        deps: &Deps<P>,
        ledger: &P::Ledger,
        invocation: &Invocation,
        now: DateTime<Utc>,
    ) -> Result<Handled, Error> {
        let stages = self.stages();
        if deps.config.dry_run {
            let mut recorded = Vec::with_capacity(stages.len());
            for key in &stages {
                recorded.push(ledger.is_sent(key, now).await?);
            }
            if let Err(reason) = decision::ledger_verdict(&recorded) {
                return Ok(self.skip(reason));
            }
            return self.deliver(deps, &recorded).await;
        }

        let request = claim_request(invocation, now);
        // Indices into `stages` (and the notice's keys) claimed here.
        let mut acquired: Vec<usize> = Vec::new();
        let mut recorded = Vec::with_capacity(stages.len());
        let held = |acquired: &[usize]| acquired.iter().map(|&i| &stages[i]).collect::<Vec<_>>();
        for (i, key) in stages.iter().enumerate() {
            let claim = match ledger.claim(key, &request).await {
                Ok(claim) => claim,
                Err(e) => {
                    release(ledger, &held(&acquired), &request.owner).await;
                    return Err(e);
                }
            };
            match claim {
                Claim::Acquired => {
                    acquired.push(i);
                    recorded.push(false);
                }
                Claim::AlreadySent => recorded.push(true),
                Claim::HeldElsewhere => {
                    release(ledger, &held(&acquired), &request.owner).await;
                    return Err(Error::NoticeInProgress {
                        key: mask_key_id(&key.access_key_id),
                        stage: key.stage.code(),
                    });
                }
            }
        }
        if let Err(reason) = decision::ledger_verdict(&recorded) {
            return Ok(self.skip(reason));
        }

        let handled = match self.deliver(deps, &recorded).await {
            Ok(handled) => handled,
            Err(e) => {
                release(ledger, &held(&acquired), &request.owner).await;
                return Err(e);
            }
        };
        // A final warning stands in for the key's stage of the day too, so
        // the same key is not reminded again before its next stage.
        let standing_in = acquired
            .iter()
            .filter(|&&i| stages[i].stage == Stage::FinalWarning)
            .filter_map(|&i| {
                let stage = deps.config.policy.stage(self.notice.keys[i].days)?;
                Some((
                    i,
                    NoticeKey {
                        stage,
                        ..stages[i].clone()
                    },
                ))
            });
        let to_record: Vec<(usize, NoticeKey)> = acquired
            .iter()
            .map(|&i| (i, stages[i].clone()))
            .chain(standing_in)
            .collect();
        for (i, key) in &to_record {
            let (i, key) = (*i, key);
            let record = SentRecord {
                user: self.user.to_string(),
                source: self.source.name(),
                message_id: handled.outcome.message_id.clone(),
                sent_at: now,
                expires_at: ledger::record_expiry(self.notice.keys[i].deadline, now),
            };
            // The mail is out: failing now would invite a retry that mails
            // again once the claim expires. Log and go on.
            if let Err(e) = ledger.record_sent(key, &record).await {
                logging::log(
                    Level::Error,
                    "a sent notice could not be recorded; once its claim expires, it may be sent again",
                    json!({"access_key_id": mask_key_id(&key.access_key_id), "stage": key.stage.code(), "error": e.safe_message()}),
                );
            }
        }
        Ok(handled)
    }

    fn skip(&self, reason: SkipReason) -> Handled {
        self.source.skipped(reason, self.user)
    }

    /// Looks up last use, renders, and sends (or, in a dry run, does not).
    /// `recorded[i]`: the stage of the notice's key `i` was sent before.
    async fn deliver<P: Ports>(&self, deps: &Deps<P>, recorded: &[bool]) -> Result<Handled, Error> {
        let (notice, config) = (self.notice, &deps.config);
        // At most MAX_ACCESS_KEYS lookups, all at once.
        let last_used = try_join_all(
            notice
                .keys
                .iter()
                .map(|key| self.source.directory.last_used(&key.id)),
        )
        .await?;
        let view = NoticeView::new(
            notice,
            &Context {
                user: self.user,
                account: self.source.account_label(),
                via: self.source.via,
                max_age_days: config.policy.max_key_age_days,
                reminder_every: config.policy.overdue_reminder_days,
                time_zone: config.policy.time_zone,
                last_used: &last_used,
            },
        );
        let rendered = mail::render(&view, notice.locale)?;

        let mut outcome = self.outcome(recorded);
        if config.dry_run {
            outcome.status = Status::DryRun;
        } else {
            let message = Mail::new(
                config,
                &notice.recipients.to,
                &notice.recipients.cc,
                &rendered,
                [
                    Some(("notice_source".into(), self.source.name())),
                    self.source
                        .tier_days()
                        .map(|t| ("notice_tier_days".into(), t.to_string())),
                    Some(("notice_stage".into(), notice.lead().stage.code())),
                ]
                .into_iter()
                .flatten()
                .collect(),
            );
            outcome.message_id = Some(deps.mailer.send(&message).await?);
        }
        Ok(Handled {
            outcome,
            rendered: Some(rendered),
        })
    }

    fn outcome(&self, recorded: &[bool]) -> Outcome {
        let notice = self.notice;
        let lead = notice.lead();
        let overdue = |d: decision::DaysLeft| d.is_overdue().then_some(d.overdue());
        Outcome {
            status: Status::Sent,
            reason: None,
            rule: self.source.rule(),
            account: self.source.account.map(str::to_string),
            user: Some(self.user.to_string()),
            user_id: Some(self.source.user_id.to_string()),
            tier_days: self.source.tier_days(),
            today: Some(mail::iso(notice.today)),
            deadline: Some(mail::iso(lead.deadline_date)),
            days_remaining: Some(lead.days.remaining()),
            days_overdue: overdue(lead.days),
            keys: notice
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| KeyOutcome {
                    access_key_id: mask_key_id(&k.id),
                    created: mail::iso(k.created_date),
                    deadline: mail::iso(k.deadline_date),
                    days_remaining: k.days.remaining(),
                    days_overdue: overdue(k.days),
                    stage: k.stage,
                    already_notified: recorded.get(i).copied().unwrap_or(false),
                })
                .collect(),
            recipients: Some(notice.recipients.clone()),
            message_id: None,
            event_id: self.source.event_id.map(str::to_string),
            enforcement: Vec::new(),
        }
    }
}

/// A claim in this invocation's name, lasting until shortly after its
/// deadline.
pub(crate) fn claim_request(invocation: &Invocation, now: DateTime<Utc>) -> ClaimRequest {
    ClaimRequest {
        owner: invocation.request_id.clone(),
        now,
        until: invocation
            .deadline
            .unwrap_or(now + Duration::seconds(CLAIM_WITHOUT_DEADLINE_SECONDS))
            + Duration::seconds(CLAIM_MARGIN_SECONDS),
    }
}

/// Drops this invocation's claims after a failure, so the platform's retry
/// can go through at once; a claim that can't be dropped expires by itself.
pub(crate) async fn release<L: NoticeLedger>(ledger: &L, keys: &[&NoticeKey], owner: &str) {
    for key in keys {
        if let Err(e) = ledger.release(key, owner).await {
            logging::log(
                Level::Warn,
                "a claim could not be released; a retry waits for it to expire",
                json!({"access_key_id": mask_key_id(&key.access_key_id), "stage": key.stage.code(), "error": e.safe_message()}),
            );
        }
    }
}

/// A user's key listing, refused as damaged (a retryable error) when it
/// holds more than [`MAX_ACCESS_KEYS`] keys. The Config path and the sweep
/// both read keys through this.
pub(crate) fn bounded_keys(keys: Option<Vec<AccessKey>>) -> Result<Option<Vec<AccessKey>>, Error> {
    match keys {
        Some(keys) if keys.len() > MAX_ACCESS_KEYS => Err(Error::Aws {
            service: "IAM",
            operation: "ListAccessKeys",
            code: None,
            message: format!(
                "{} keys listed for one user, where IAM allows 2 (at most {MAX_ACCESS_KEYS} are taken as real): the answer is damaged",
                keys.len()
            ),
            retryable: true,
        }),
        keys => Ok(keys),
    }
}

struct User {
    name: String,
    tags: Vec<Tag>,
    keys: Vec<AccessKey>,
}

/// Resolves the UserId and reads the user's tags and keys. The name may come
/// from the directory's cache, so GetUser's UserId must match the event's:
/// when it does not (the user was renamed, and maybe another user took the
/// name) or the name no longer exists, the name is forgotten and resolved
/// afresh, once. An id that is gone is `None`.
async fn load_user<D: UserDirectory>(directory: &D, user_id: &str) -> Result<Option<User>, Error> {
    for fresh in [false, true] {
        let Some(name) = directory.user_name(user_id).await? else {
            return Ok(None);
        };
        let (user, keys) = tokio::join!(directory.user(&name), directory.access_keys(&name));
        // A damaged listing is reported first, before either call's own error.
        let keys = match keys {
            Ok(keys) => Ok(bounded_keys(keys)?),
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
