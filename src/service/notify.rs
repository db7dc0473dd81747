//! The notice service's step 4, for a notice enforcement has shaped: with
//! the ledger, each stage once (decision rule 8): claim each listed key's
//! stage ([`claims`](super::claims)), list a reminder with no overdue
//! notice before it as the first overdue notice (rule 11), render and send
//! when a stage is new, then record each claimed stage as sent (and the
//! stages it stands in for, rule 9) and the dates it announced (enforcement
//! rule 3); release the claims if sending failed. A dry run only reads the
//! ledger. Without the ledger, at once.

use futures_util::future::try_join_all;
use serde_json::json;

use super::claims::{self, Claimed};
use super::{Account, NoticeService, Reading};
use crate::calendar::iso;
use crate::decision;
use crate::enforcement::Warning;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::mask::mask_key_id;
use crate::model::{Listed, Notice, NoticeState, Noticed, SkipReason, Stage, Trigger};
use crate::ports::directory::UserDirectory;
use crate::ports::exemptions::ExemptionSource;
use crate::ports::ledger::{self, NoticeKey, NoticeLedger, SentRecord};
use crate::ports::mailer::{Mail, Mailer};
use crate::views::mail::notice::{self as view, Context, NoticeView};

/// How a notice ended, and how it listed each key (by key id).
pub(super) struct Sent {
    pub noticed: Noticed,
    pub listed: Vec<(String, Listed)>,
}

impl Sent {
    /// Nothing sent, for `reason`.
    pub(super) fn skipped(reason: SkipReason) -> Sent {
        Sent {
            noticed: Noticed {
                state: NoticeState::Skipped(reason),
                rendered: None,
            },
            listed: Vec::new(),
        }
    }
}

/// Sends `notice` once per stage (the module doc's steps).
pub(super) async fn notify<L, M, X, D, S>(
    s: &NoticeService<'_, L, M, X>,
    account: &Account<'_, D, S>,
    user: &Reading<'_>,
    trigger: Trigger<'_>,
    notice: &Notice,
) -> Result<Sent, Error>
where
    L: NoticeLedger,
    M: Mailer,
    X: ExemptionSource,
    D: UserDirectory,
{
    let Some(ledger) = s.ledger else {
        let recorded = vec![false; notice.keys.len()];
        return deliver(s, account, user, trigger, notice, &recorded).await;
    };
    let account_id = account.id.unwrap_or_default();
    let stages: Vec<NoticeKey> = notice
        .keys
        .iter()
        .map(|k| NoticeKey {
            account: account_id.to_string(),
            access_key_id: k.id.clone(),
            stage: k.stage,
        })
        .collect();
    if s.config.dry_run {
        let mut recorded = Vec::with_capacity(stages.len());
        for key in &stages {
            recorded.push(ledger.is_sent(key, s.now).await?);
        }
        if let Err(reason) = decision::ledger_verdict(&recorded) {
            return Ok(Sent::skipped(reason));
        }
        let notice = &first_overdue(s, ledger, account_id, notice, &recorded).await?;
        return deliver(s, account, user, trigger, notice, &recorded).await;
    }

    let owner = &s.claim.owner;
    let Claimed { acquired, recorded } = claims::claim_all(ledger, &stages, &s.claim).await?;
    if let Err(reason) = decision::ledger_verdict(&recorded) {
        return Ok(Sent::skipped(reason));
    }
    let sent = async {
        let notice = first_overdue(s, ledger, account_id, notice, &recorded).await?;
        let sent = deliver(s, account, user, trigger, &notice, &recorded).await?;
        Ok::<_, Error>((notice, sent))
    };
    let (notice, sent) = match sent.await {
        Ok(sent) => sent,
        Err(e) => {
            claims::release(ledger, &stages, &acquired, owner).await;
            return Err(e);
        }
    };
    record_warnings(s, ledger, account_id, &notice).await;
    let message_id = match &sent.noticed.state {
        NoticeState::Sent(id) => Some(id.clone()),
        _ => None,
    };
    for &i in &acquired {
        let key = &notice.keys[i];
        let record = SentRecord {
            user: user.name.to_string(),
            source: trigger.source().to_string(),
            message_id: message_id.clone(),
            sent_at: s.now,
            expires_at: ledger::record_expiry(key.deadline, s.now),
        };
        for stage in decision::recorded_stages(&s.config.policy, key) {
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
    Ok(sent)
}

/// Decision rule 11: each key whose reminder stage this notice is about
/// to announce (`recorded[i]` false), with no overdue notice recorded
/// before (`overdue`, or a final warning, which stands in for it), is
/// listed as the first overdue notice. One or two reads per reminder
/// actually sent; the claim stays on the reminder stage, and recording
/// writes both (rule 9).
async fn first_overdue<L, M, X>(
    s: &NoticeService<'_, L, M, X>,
    ledger: &L,
    account: &str,
    notice: &Notice,
    recorded: &[bool],
) -> Result<Notice, Error>
where
    L: NoticeLedger,
{
    let mut notice = notice.clone();
    for (key, _) in notice.keys.iter_mut().zip(recorded).filter(|(_, r)| !**r) {
        if !key.stage.is_reminder() {
            continue;
        }
        let mut before = false;
        for stage in [Stage::Overdue, Stage::FinalWarning] {
            let earlier = NoticeKey {
                account: account.to_string(),
                access_key_id: key.id.clone(),
                stage,
            };
            if ledger.is_sent(&earlier, s.now).await? {
                before = true;
                break;
            }
        }
        *key = decision::first_overdue(key.clone(), before);
    }
    Ok(notice)
}

/// For enforcement: a sent notice that announced a key's deactivation date
/// To an owner is that key's warning (enforcement rule 3), kept with the
/// date. Like the stages, a failure is logged: the key then waits for a
/// warning that is recorded.
async fn record_warnings<L, M, X>(
    s: &NoticeService<'_, L, M, X>,
    ledger: &L,
    account: &str,
    notice: &Notice,
) where
    L: NoticeLedger,
{
    if account.is_empty() || !notice.recipients.reach_owner() {
        return;
    }
    for key in &notice.keys {
        let Some(announced) = key.deactivation_from else {
            continue;
        };
        let warning = Warning {
            key_created: key.warning_subject(),
            first_sent: s.now,
            announced,
        };
        let expires_at = ledger::record_expiry(key.deadline, s.now);
        if let Err(e) = ledger
            .record_warning(account, &key.warning_slot(), &warning, expires_at)
            .await
        {
            logging::log(
                Level::Error,
                "a warning could not be recorded; the key is not deactivated on it",
                json!({"access_key_id": key.shown_id(), "announced": iso(announced), "error": e.safe_message()}),
            );
        }
    }
}

/// Looks up last use, renders, and sends (or, in a dry run, does not).
/// `recorded[i]`: the stage of the notice's key `i` was sent before.
async fn deliver<L, M, X, D, S>(
    s: &NoticeService<'_, L, M, X>,
    account: &Account<'_, D, S>,
    user: &Reading<'_>,
    trigger: Trigger<'_>,
    notice: &Notice,
    recorded: &[bool],
) -> Result<Sent, Error>
where
    M: Mailer,
    D: UserDirectory,
{
    let config = s.config;
    // Known (the credential report, or read for the decision), or at most
    // MAX_ACCESS_KEYS lookups, all at once.
    let last_used = try_join_all(notice.keys.iter().map(|key| async {
        match &key.last_used {
            Some(known) => Ok(known.clone()),
            None => account.directory.last_used(&key.id).await,
        }
    }))
    .await?;
    let view = NoticeView::new(
        notice,
        &Context {
            user: user.name,
            account: account.label(),
            trigger,
            max_age_days: config.policy.max_key_age_days,
            reminder_every: config.policy.overdue_reminder_days,
            unused_key_days: config.policy.unused_key_days,
            time_zone: config.policy.time_zone,
            last_used: &last_used,
        },
    );
    let rendered = view::render(&view, notice.locale)?;
    let state = if config.dry_run {
        NoticeState::DryRun
    } else {
        let message = Mail::new(
            config,
            &notice.recipients.to,
            &notice.recipients.cc,
            &rendered,
            [
                Some(("notice_source".into(), trigger.source().to_string())),
                trigger
                    .tier_days()
                    .map(|t| ("notice_tier_days".into(), t.to_string())),
                Some(("notice_stage".into(), notice.lead().stage.code())),
            ]
            .into_iter()
            .flatten()
            .collect(),
        );
        NoticeState::Sent(s.mailer.send(&message).await?)
    };
    let listed = notice
        .keys
        .iter()
        .zip(recorded)
        .map(|(k, &already_notified)| {
            (
                k.id.clone(),
                Listed {
                    stage: k.stage,
                    already_notified,
                },
            )
        })
        .collect();
    Ok(Sent {
        noticed: Noticed {
            state,
            rendered: Some(rendered),
        },
        listed,
    })
}
