//! The pipeline's steps for one user, top to bottom: [`Pipeline::run`]
//! decides, lets enforcement act, shapes the notice, and sends it once
//! per stage; [`Pipeline::decide`] alone serves `scan`, which only reads.

use futures_util::future::try_join_all;
use serde_json::json;

use super::{Pipeline, Subject, enforce};
use crate::calendar::iso;
use crate::decision::{self, DaysLeft, DueKey, Mode, Notice, SkipReason, Verdict};
use crate::enforcement::{UserEnforcement, Warning};
use crate::error::Error;
use crate::logging::{self, Level};
use crate::mail::notice::{self as view, Context, NoticeView};
use crate::mask::mask_key_id;
use crate::outcome::{KeyOutcome, Outcome, Status};
use crate::ports::Ports;
use crate::ports::directory::UserDirectory;
use crate::ports::ledger::{self, NoticeKey, NoticeLedger, SentRecord};
use crate::ports::mailer::{Mail, Mailer};
use crate::rendered::Rendered;

use super::claims::{self, Claimed};

/// The decision about one user.
#[derive(Debug)]
pub struct Decided {
    pub verdict: Verdict,
    /// Every due key, earliest deadline first (what the report lists).
    pub due: Vec<DueKey>,
}

/// A notice's outcome, and the mail when one was rendered (for `invoke
/// --dry-run` and the sweep's log).
#[derive(Debug)]
pub struct Handled {
    pub outcome: Outcome,
    pub rendered: Option<Rendered>,
    /// What stopped the invocation after it had done something worth
    /// reporting (a key deactivated, then the notice failed): Lambda is
    /// answered with this error, so the platform retries, and the outcome,
    /// which says what was done, is still logged and counted.
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

    /// `Ok` when nothing failed, otherwise the error that did.
    pub fn into_result(self) -> Result<Handled, Error> {
        match self.error {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }
}

/// What the whole pipeline made of one user.
#[derive(Debug)]
pub struct UserResult {
    pub decided: Decided,
    pub enforced: UserEnforcement,
    /// The notice: sent, a dry run, or skipped with a reason (`Ok`); or
    /// the error that stopped it.
    pub notice: Result<Handled, Error>,
}

impl<P: Ports> Pipeline<'_, P> {
    /// Step 1: the decision (decision rules 1 to 7 and 12), its findings
    /// logged. `subject.keys` carry the last use the decision needs
    /// ([`super::with_last_use`]).
    pub fn decide(&self, subject: &Subject<'_>) -> Decided {
        let policy = &self.config.policy;
        let mode = match (self.ledger, subject.via) {
            (None, view::Via::Rule { tier_days, .. }) => Mode::Stateless {
                rule_tier: tier_days,
            },
            _ => Mode::Ledger,
        };
        let listed = self
            .listing
            .lists(self.account.id.unwrap_or_default(), subject.name);
        let verdict = decision::decide(policy, mode, subject.tags, listed, subject.keys, self.now);
        log_verdict(policy, subject.name, &verdict);
        Decided {
            due: decision::due_keys(policy, subject.keys, self.now),
            verdict,
        }
    }

    /// Every step: the keys' last use where the decision needs it, decide,
    /// the enforcement step, shape the notice, and send it once per stage.
    pub async fn run(&self, subject: &Subject<'_>) -> UserResult {
        let keys =
            match super::with_last_use(self.account.directory, &self.config.policy, subject.keys)
                .await
            {
                Ok(keys) => keys,
                Err(e) => {
                    // What the age policy alone decides, for the report; the
                    // error stops the notice (the caller retries).
                    let decided = self.decide(subject);
                    return UserResult {
                        decided,
                        enforced: UserEnforcement::default(),
                        notice: Err(e),
                    };
                }
            };
        let subject = &Subject {
            keys: &keys,
            ..*subject
        };
        let decided = self.decide(subject);
        let enforced = enforce::run(self, subject, &decided).await;
        let notice = match decided.verdict.result.clone().map(|n| enforced.shape(n)) {
            Ok(Some(notice)) => self.notify(subject, &notice).await,
            Ok(None) => Ok(self.skipped(subject, SkipReason::Deactivated)),
            Err(reason) => Ok(self.skipped(subject, reason)),
        };
        UserResult {
            decided,
            enforced,
            notice,
        }
    }

    /// A skip, with what is known of the subject.
    fn skipped(&self, subject: &Subject<'_>, reason: SkipReason) -> Handled {
        Handled::of(Outcome {
            rule: subject.rule(),
            account: self.account.id.map(str::to_string),
            user: Some(subject.name.to_string()),
            user_id: Some(subject.user_id.to_string()),
            event_id: subject.event_id.map(str::to_string),
            ..Outcome::skipped(reason)
        })
    }

    /// Steps 4 to 6: with the ledger, each stage once (decision rule 8):
    /// claim each listed key's stage, send when one is new, record the new
    /// ones (and the stages a final warning stands in for, rule 9), release
    /// them if sending failed; a dry run only reads. Without the ledger, at
    /// once.
    async fn notify(&self, subject: &Subject<'_>, notice: &Notice) -> Result<Handled, Error> {
        let Some(ledger) = self.ledger else {
            return self
                .deliver(subject, notice, &vec![false; notice.keys.len()])
                .await;
        };
        let account = self.account.id.unwrap_or_default();
        let stages: Vec<NoticeKey> = notice
            .keys
            .iter()
            .map(|k| NoticeKey {
                account: account.to_string(),
                access_key_id: k.id.clone(),
                stage: k.stage,
            })
            .collect();
        if self.config.dry_run {
            let mut recorded = Vec::with_capacity(stages.len());
            for key in &stages {
                recorded.push(ledger.is_sent(key, self.now).await?);
            }
            if let Err(reason) = decision::ledger_verdict(&recorded) {
                return Ok(self.skipped(subject, reason));
            }
            let notice = &self.first_overdue(ledger, notice, &recorded).await?;
            return self.deliver(subject, notice, &recorded).await;
        }

        let owner = &self.claim.owner;
        let Claimed { acquired, recorded } = claims::claim_all(ledger, &stages, self.claim).await?;
        if let Err(reason) = decision::ledger_verdict(&recorded) {
            return Ok(self.skipped(subject, reason));
        }
        let sent = async {
            let notice = self.first_overdue(ledger, notice, &recorded).await?;
            let handled = self.deliver(subject, &notice, &recorded).await?;
            Ok::<_, Error>((notice, handled))
        };
        let (notice, handled) = match sent.await {
            Ok(sent) => sent,
            Err(e) => {
                claims::release(ledger, &stages, &acquired, owner).await;
                return Err(e);
            }
        };
        let notice = &notice;
        self.record_warnings(notice).await;
        for &i in &acquired {
            let key = &notice.keys[i];
            let record = SentRecord {
                user: subject.name.to_string(),
                source: subject.source(),
                message_id: handled.outcome.message_id.clone(),
                sent_at: self.now,
                expires_at: ledger::record_expiry(key.deadline, self.now),
            };
            for stage in decision::recorded_stages(&self.config.policy, key) {
                let stage = NoticeKey {
                    stage,
                    ..stages[i].clone()
                };
                // The mail is out: failing now would invite a retry that
                // mails again once the claim expires. Log and go on.
                if let Err(e) = ledger.record_sent(&stage, &record).await {
                    logging::log(
                        Level::Error,
                        "a sent notice could not be recorded; once its claim expires, it may be sent again",
                        json!({"access_key_id": mask_key_id(&stage.access_key_id), "stage": stage.stage.code(), "error": e.safe_message()}),
                    );
                }
            }
        }
        Ok(handled)
    }

    /// Decision rule 11: each key whose reminder stage this notice is about
    /// to announce (`recorded[i]` false), with no overdue notice recorded
    /// before (`overdue`, or a final warning, which stands in for it), is
    /// listed as the first overdue notice. One or two reads per reminder
    /// actually sent; the claim stays on the reminder stage, and recording
    /// writes both (rule 9).
    async fn first_overdue(
        &self,
        ledger: &P::Ledger,
        notice: &Notice,
        recorded: &[bool],
    ) -> Result<Notice, Error> {
        let account = self.account.id.unwrap_or_default();
        let mut notice = notice.clone();
        for (key, _) in notice.keys.iter_mut().zip(recorded).filter(|(_, r)| !**r) {
            if !key.stage.is_reminder() {
                continue;
            }
            let mut before = false;
            for stage in [decision::Stage::Overdue, decision::Stage::FinalWarning] {
                let earlier = NoticeKey {
                    account: account.to_string(),
                    access_key_id: key.id.clone(),
                    stage,
                };
                if ledger.is_sent(&earlier, self.now).await? {
                    before = true;
                    break;
                }
            }
            *key = decision::first_overdue(key.clone(), before);
        }
        Ok(notice)
    }

    /// Step 6, for enforcement: a sent notice that announced a key's
    /// deactivation date To an owner is that key's warning (enforcement
    /// rule 3), kept with the date. Like the stages, a failure is logged:
    /// the key then waits for a warning that is recorded.
    async fn record_warnings(&self, notice: &Notice) {
        let (Some(ledger), Some(account)) = (self.ledger, self.account.id) else {
            return;
        };
        if !notice.recipients.reach_owner() {
            return;
        }
        for key in &notice.keys {
            let Some(announced) = key.deactivation_from else {
                continue;
            };
            let warning = Warning {
                key_created: key.warning_subject(),
                first_sent: self.now,
                announced,
            };
            let expires_at = ledger::record_expiry(key.deadline, self.now);
            if let Err(e) = ledger
                .record_warning(account, &key.warning_slot(), &warning, expires_at)
                .await
            {
                logging::log(
                    Level::Error,
                    "a warning could not be recorded; the key is not deactivated on it",
                    json!({"access_key_id": mask_key_id(&key.id), "announced": iso(announced), "error": e.safe_message()}),
                );
            }
        }
    }

    /// Step 5: looks up last use, renders, and sends (or, in a dry run,
    /// does not). `recorded[i]`: the stage of the notice's key `i` was sent
    /// before.
    async fn deliver(
        &self,
        subject: &Subject<'_>,
        notice: &Notice,
        recorded: &[bool],
    ) -> Result<Handled, Error> {
        let config = self.config;
        // Known (the credential report, or read for the decision), or at
        // most MAX_ACCESS_KEYS lookups, all at once.
        let last_used = try_join_all(notice.keys.iter().map(|key| async {
            match &key.last_used {
                Some(known) => Ok(known.clone()),
                None => self.account.directory.last_used(&key.id).await,
            }
        }))
        .await?;
        let view = NoticeView::new(
            notice,
            &Context {
                user: subject.name,
                account: self.account.label(),
                via: subject.via,
                max_age_days: config.policy.max_key_age_days,
                reminder_every: config.policy.overdue_reminder_days,
                unused_key_days: config.policy.unused_key_days,
                time_zone: config.policy.time_zone,
                last_used: &last_used,
            },
        );
        let rendered = view::render(&view, notice.locale)?;

        let mut outcome = self.outcome(subject, notice, recorded);
        if config.dry_run {
            outcome.status = Status::DryRun;
        } else {
            let message = Mail::new(
                config,
                &notice.recipients.to,
                &notice.recipients.cc,
                &rendered,
                [
                    Some(("notice_source".into(), subject.source())),
                    subject
                        .tier_days()
                        .map(|t| ("notice_tier_days".into(), t.to_string())),
                    Some(("notice_stage".into(), notice.lead().stage.code())),
                ]
                .into_iter()
                .flatten()
                .collect(),
            );
            outcome.message_id = Some(self.mailer.send(&message).await?);
        }
        Ok(Handled {
            outcome,
            rendered: Some(rendered),
            error: None,
        })
    }

    fn outcome(&self, subject: &Subject<'_>, notice: &Notice, recorded: &[bool]) -> Outcome {
        let lead = notice.lead();
        let overdue = |d: DaysLeft| d.is_overdue().then_some(d.overdue());
        Outcome {
            status: Status::Sent,
            reason: None,
            rule: subject.rule(),
            account: self.account.id.map(str::to_string),
            user: Some(subject.name.to_string()),
            user_id: Some(subject.user_id.to_string()),
            tier_days: subject.tier_days(),
            today: Some(iso(notice.today)),
            deadline: Some(iso(lead.deadline_date)),
            days_remaining: Some(lead.days.remaining()),
            days_overdue: overdue(lead.days),
            keys: notice
                .keys
                .iter()
                .enumerate()
                .map(|(i, k)| KeyOutcome {
                    access_key_id: mask_key_id(&k.id),
                    created: iso(k.created_date),
                    deadline: iso(k.deadline_date),
                    days_remaining: k.days.remaining(),
                    days_overdue: overdue(k.days),
                    stage: k.stage,
                    already_notified: recorded.get(i).copied().unwrap_or(false),
                })
                .collect(),
            recipients: Some(notice.recipients.clone()),
            message_id: None,
            event_id: subject.event_id.map(str::to_string),
            enforcement: Vec::new(),
            chat: None,
            error: None,
        }
    }
}

/// Logs what the decision noticed about the user's tags, by reason code,
/// never with the raw value.
fn log_verdict(policy: &decision::Policy, user: &str, verdict: &Verdict) {
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
