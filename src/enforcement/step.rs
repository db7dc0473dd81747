//! Enforcement's calls for one user, the same for a Config event and the
//! sweep: read each due key's first warning from the ledger, judge it
//! ([`judge`](super::judge)), and for a key to deactivate:
//!
//! 1. claim the key's `deactivated` stage in the ledger (found sent: the key
//!    was deactivated before and someone reactivated it; it is left alone);
//! 2. list the user's keys again and find the key by id, still active and
//!    with the CreateDate that was judged (otherwise: left alone);
//! 3. `UpdateAccessKey Status=Inactive` of that key id, naming the user;
//! 4. mail the owner the "deactivated" notice (CC as usual);
//! 5. record the stage as sent, with the mail's id.
//!
//! A failure before step 3 releases the claim; after it, the key stays
//! deactivated whatever happens to the mail, which is then reported. In a
//! dry run (`DRY_RUN=true` or `ENFORCE=dry_run`) only the ledger is read.
//!
//! The user's notice is then shaped by the verdicts ([`UserEnforcement::shape`]):
//! a deactivated key leaves it (its own mail says so), a key without a
//! recorded warning is listed at stage `final_warning`, and every key is
//! given the earliest date it may be deactivated.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::json;

use super::mail::{DeactivatedContext, DeactivatedView};
use super::{Cap, EnforceMode, KeyVerdict, judge};
use crate::decision::{self, AccessKey, DueKey, Notice, Stage, Verdict};
use crate::directory::UserDirectory;
use crate::error::Error;
use crate::exemption::Listing;
use crate::handler::{self, Deps, Invocation, Source};
use crate::ledger::{self, Claim, NoticeKey, NoticeLedger, SentRecord};
use crate::logging::{self, Level};
use crate::mail;
use crate::mailer::{Mail, Mailer};
use crate::mask::mask_key_id;
use crate::ports::{Dir, Ports};

/// What happened to a key enforcement would deactivate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Deactivated,
    /// A dry run: it would have been deactivated.
    DryRun,
    /// Past the run's cap: the next run takes it.
    HeldByCap,
    /// Read again, it was gone, inactive or another key: not touched.
    LeftAlone,
    /// Deactivated once before, and active again since: not touched again.
    Reactivated,
}

/// One key enforcement acted on (or would have, or held), for outcomes,
/// the log and the digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyAction {
    pub user: String,
    /// `AKIA…WXYZ`
    pub access_key_id: String,
    pub action: Action,
    pub deadline: String,
    pub days_overdue: u32,
    pub age_days: u32,
    /// The date of the first recorded warning the action relied on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warned: Option<String>,
    /// The deactivated mail: `sent`, `dry_run`, `no_recipient` or `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
}

/// What enforcement made of one user.
#[derive(Debug, Default)]
pub struct UserEnforcement {
    /// Each judged key's id and verdict, in the order of the due keys.
    pub verdicts: Vec<(String, KeyVerdict)>,
    pub actions: Vec<KeyAction>,
    /// What kept enforcement from finishing (an unreadable exemption list,
    /// the ledger, IAM): the keys not yet acted on wait for the next run.
    pub error: Option<Error>,
    /// Shape the notice (`ENFORCE=true` only: a dry run's notices promise
    /// nothing).
    shapes_notice: bool,
    /// Each action's key id (the outcome's is masked).
    acted: Vec<(String, Action)>,
}

impl UserEnforcement {
    /// What was done about the key `key_id`, if anything.
    pub fn action_of(&self, key_id: &str) -> Option<Action> {
        self.acted
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, a)| *a)
    }

    /// The notice as enforcement leaves it (`None`: no key is left to
    /// announce). A key deactivated (or, in a dry run, about to be) or
    /// found changed leaves it; a key whose warning is the final one is at
    /// stage `final_warning`; every other key carries the earliest date it
    /// may be deactivated (today for one held by the cap or whose action
    /// failed; none for a reactivated one).
    pub fn shape(&self, mut notice: Notice) -> Option<Notice> {
        if !self.shapes_notice {
            return Some(notice);
        }
        let today = notice.today;
        notice.keys.retain_mut(|key| {
            let Some((_, verdict)) = self.verdicts.iter().find(|(id, _)| *id == key.id) else {
                return true;
            };
            match (verdict, self.action_of(&key.id)) {
                (KeyVerdict::FinalWarning { from }, _) => {
                    key.stage = Stage::FinalWarning;
                    key.deactivation_from = Some(*from);
                    true
                }
                (KeyVerdict::Wait { from }, _) => {
                    key.deactivation_from = Some(*from);
                    true
                }
                (_, Some(Action::Deactivated | Action::DryRun | Action::LeftAlone)) => false,
                (_, Some(Action::Reactivated)) => true,
                // Held by the cap, or its action failed: the next run.
                _ => {
                    key.deactivation_from = Some(today);
                    true
                }
            }
        });
        (!notice.keys.is_empty()).then_some(notice)
    }
}

/// Judges and (when enforcement acts) deactivates the due keys of `user`,
/// whose decision is `verdict`. `listing`: the exemption list as this run
/// read it. Never fails: what stopped it is in [`UserEnforcement::error`].
#[allow(clippy::too_many_arguments)]
pub(crate) async fn run<P: Ports>(
    deps: &Deps<P>,
    invocation: &Invocation,
    source: &Source<'_, Dir<P>>,
    user: &str,
    keys: &[AccessKey],
    verdict: &Verdict,
    listing: &Listing,
    cap: &Cap,
    now: DateTime<Utc>,
) -> UserEnforcement {
    let (config, policy) = (&deps.config, &deps.config.policy);
    let settings = config.enforcement;
    let today = policy.date_of(now);
    let mut out = UserEnforcement {
        shapes_notice: settings.mode == EnforceMode::On,
        ..UserEnforcement::default()
    };
    let Some(ledger) = deps.ledger.as_ref() else {
        return out;
    };
    if settings.mode == EnforceMode::Off || verdict.exemption.is_some() {
        return out;
    }
    let due = decision::due_keys(policy, keys, now);
    // Whom the list exempts is unknown: no verdict at all, so the notice
    // goes out as without enforcement; an error only where a key could be
    // deactivated today.
    if let Err(e) = listing.known() {
        if due.iter().any(|k| settings.enforcement_date(k) <= today) {
            out.error = Some(e);
        }
        return out;
    }
    let account = source.account.unwrap_or_default();
    for key in &due {
        let warned = match ledger.first_notice(account, &key.id, now).await {
            Ok(warned) => warned.map(|t| policy.date_of(t)),
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        let judged = judge(&settings, key, warned, today, cap);
        out.verdicts.push((key.id.clone(), judged));
        let act = Act {
            source,
            user,
            key,
            warned,
            verdict,
        };
        let action = match judged {
            KeyVerdict::Deactivate => {
                let done = act.deactivate(deps, ledger, invocation, now).await;
                // The cap counts keys deactivated (or, in a dry run, that
                // would be); any other end gives the place back.
                if !matches!(&done, Ok(a) if matches!(a.action, Action::Deactivated | Action::DryRun))
                {
                    cap.give_back();
                }
                done
            }
            KeyVerdict::HeldByCap => Ok(act.report(Action::HeldByCap)),
            KeyVerdict::FinalWarning { .. } | KeyVerdict::Wait { .. } => continue,
        };
        match action {
            Ok(action) => {
                if action.action != Action::Deactivated {
                    log_action(&action);
                }
                out.acted.push((key.id.clone(), action.action));
                out.actions.push(action);
            }
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        }
    }
    out
}

/// Deactivating one key.
struct Act<'a, D> {
    source: &'a Source<'a, D>,
    user: &'a str,
    key: &'a DueKey,
    warned: Option<NaiveDate>,
    verdict: &'a Verdict,
}

impl<D: UserDirectory> Act<'_, D> {
    fn report(&self, action: Action) -> KeyAction {
        KeyAction {
            user: self.user.to_string(),
            access_key_id: mask_key_id(&self.key.id),
            action,
            deadline: mail::iso(self.key.deadline_date),
            days_overdue: self.key.days.overdue(),
            age_days: self.key.age_days,
            warned: self.warned.map(mail::iso),
            mail: None,
            message_id: None,
        }
    }

    fn stage(&self) -> NoticeKey {
        NoticeKey {
            account: self.source.account.unwrap_or_default().to_string(),
            access_key_id: self.key.id.clone(),
            stage: Stage::Deactivated,
        }
    }

    /// Steps 1 to 5 of the module's list.
    async fn deactivate<P: Ports>(
        &self,
        deps: &Deps<P>,
        ledger: &P::Ledger,
        invocation: &Invocation,
        now: DateTime<Utc>,
    ) -> Result<KeyAction, Error> {
        let stage = self.stage();
        if !deps.config.enforcement_acts() {
            let reactivated = ledger.is_sent(&stage, now).await?;
            let mut action = self.report(if reactivated {
                Action::Reactivated
            } else {
                Action::DryRun
            });
            action.mail = (!reactivated).then_some("dry_run");
            return Ok(action);
        }

        let request = handler::claim_request(invocation, now);
        match ledger.claim(&stage, &request).await? {
            Claim::Acquired => {}
            Claim::AlreadySent => return Ok(self.report(Action::Reactivated)),
            Claim::HeldElsewhere => {
                return Err(Error::NoticeInProgress {
                    key: mask_key_id(&self.key.id),
                    stage: stage.stage.code(),
                });
            }
        }
        let held = [&stage];
        let release = || handler::release(ledger, &held, &request.owner);
        let reread = self
            .source
            .directory
            .access_keys(self.user)
            .await
            .and_then(handler::bounded_keys);
        let unchanged = match reread {
            Ok(keys) => keys
                .unwrap_or_default()
                .iter()
                .any(|k| k.id == self.key.id && k.active && k.created == self.key.created),
            Err(e) => {
                release().await;
                return Err(e);
            }
        };
        if !unchanged {
            release().await;
            return Ok(self.report(Action::LeftAlone));
        }
        if let Err(e) = self
            .source
            .directory
            .deactivate_key(self.user, &self.key.id)
            .await
        {
            release().await;
            return Err(e);
        }
        let mut action = self.report(Action::Deactivated);
        log_action(&action);

        let (status, message_id) = self.tell(deps, now).await;
        action.mail = Some(status);
        action.message_id = message_id.clone();
        let record = SentRecord {
            user: self.user.to_string(),
            source: self.source.name(),
            message_id,
            sent_at: now,
            expires_at: ledger::record_expiry(self.key.deadline, now),
        };
        if let Err(e) = ledger.record_sent(&stage, &record).await {
            logging::log(
                Level::Error,
                "a deactivation could not be recorded; the key stays deactivated",
                json!({"user": self.user, "access_key_id": action.access_key_id, "error": e.safe_message()}),
            );
        }
        Ok(action)
    }

    /// Mails the "deactivated" notice; its status and message id. A
    /// failure is logged and reported, never raised: the key is
    /// deactivated either way.
    async fn tell<P: Ports>(
        &self,
        deps: &Deps<P>,
        now: DateTime<Utc>,
    ) -> (&'static str, Option<String>) {
        let config = &deps.config;
        let Some(recipients) = &self.verdict.recipients else {
            return ("no_recipient", None);
        };
        let view = DeactivatedView::new(
            self.key,
            &DeactivatedContext {
                user: self.user,
                account: self.source.account_label(),
                at: now,
                warned: self.warned,
                enforcement: &config.enforcement,
                policy: &config.policy,
            },
            self.verdict.locale,
        );
        let sent = match super::mail::render(&view, self.verdict.locale) {
            Ok(rendered) => {
                let message = Mail::new(
                    config,
                    &recipients.to,
                    &recipients.cc,
                    &rendered,
                    vec![
                        ("notice_source".into(), self.source.name()),
                        ("notice_stage".into(), Stage::Deactivated.code()),
                    ],
                );
                deps.mailer.send(&message).await
            }
            Err(e) => Err(Error::Render(e)),
        };
        match sent {
            Ok(id) => ("sent", Some(id)),
            Err(e) => {
                logging::log(
                    Level::Error,
                    "the deactivated notice could not be sent; the key stays deactivated",
                    json!({"user": self.user, "access_key_id": mask_key_id(&self.key.id), "errorType": e.error_type(), "error": e.safe_message()}),
                );
                ("failed", None)
            }
        }
    }
}

/// One structured line per key enforcement acted on or held.
fn log_action(action: &KeyAction) {
    let level = match action.action {
        Action::Deactivated | Action::HeldByCap => Level::Warn,
        _ => Level::Info,
    };
    logging::log(
        level,
        match action.action {
            Action::Deactivated => "access key deactivated",
            Action::DryRun => "access key would be deactivated (dry run)",
            Action::HeldByCap => "access key held by ENFORCE_MAX_PER_RUN",
            Action::LeftAlone => "access key changed since it was read; left alone",
            Action::Reactivated => "access key reactivated after its deactivation; left alone",
        },
        json!({
            "enforcement": action.action,
            "user": action.user,
            "access_key_id": action.access_key_id,
            "age_days": action.age_days,
            "deadline": action.deadline,
            "days_overdue": action.days_overdue,
            "warned": action.warned,
        }),
    );
}
