//! Enforcement's calls for one user, the notice service's step 3, the same
//! for a Config event and the sweep: read each due key's warning from the
//! ledger, judge it ([`judge`]), and for a key to deactivate:
//!
//! 1. claim the key's `deactivated` stage in the ledger: held by another
//!    invocation, that overlapping run is deactivating it and this one
//!    leaves it out; found sent, the key was deactivated before, and is
//!    `reactivated` only if the re-read of step 2 finds it active again
//!    (found inactive, an overlapping run just deactivated it);
//! 2. list the user's keys again and find the key by id, still active and
//!    with the CreateDate that was judged, then read the user (GetUser)
//!    and find the UserId the decision was made for (otherwise, either
//!    way: left alone);
//! 3. take a place under the day's cap ([`Cap`](super::Cap)): only the run that
//!    holds the key's claim does, so overlapping runs never both count one
//!    key; none left, the claim is released and the key is `held_by_cap`;
//! 4. `UpdateAccessKey Status=Inactive` of that key id, naming the user (a
//!    failure gives the place back);
//! 5. mail the owner the "deactivated" notice (CC as usual);
//! 6. record the stage as sent, with the mail's id.
//!
//! A failure before step 4 releases the claim; after it, the key stays
//! deactivated whatever happens to the mail, which is then reported. In a
//! dry run (`DRY_RUN=true` or `ENFORCE=dry_run`) only the ledger is read,
//! and the cap is counted within the run.
//!
//! The user's notice is then shaped by the verdicts
//! ([`UserEnforcement::shape`]):
//! a deactivated key leaves it (its own mail says so), a key without a
//! counted warning is listed at stage `final_warning`, and, when the notice
//! reaches an owner, every key is given the earliest date it may be
//! deactivated; the service records that date as the key's warning once
//! the notice is sent (`notify`).

use chrono::NaiveDate;
use serde_json::json;

use super::claims::{self, Claimed};
use super::{Account, NoticeService, Reading};
use crate::enforcement::{EnforceMode, UserEnforcement, Warning, judge};
use crate::error::Error;
use crate::logging::{self, Level};
use crate::mask::mask_key_id;
use crate::model::{
    Action, CredentialKind, DueKey, KeyAction, KeyEnforcement, KeyVerdict, LastUsed, MailState,
    Trigger, Verdict,
};
use crate::ports::directory::UserDirectory;
use crate::ports::exemptions::ExemptionSource;
use crate::ports::ledger::{self, NoticeKey, NoticeLedger, SentRecord};
use crate::ports::mailer::{Mail, Mailer};
use crate::rotation;
use crate::unused;
use crate::views::mail::deactivated::{self, DeactivatedContext, DeactivatedView};

/// Judges and (when enforcement acts) deactivates the due keys of `user`,
/// whose decision is `verdict`. Never fails: what stopped it is in
/// [`UserEnforcement::error`].
pub(super) async fn run<L, M, X, D, S>(
    s: &NoticeService<'_, L, M, X>,
    account: &Account<'_, D, S>,
    user: &Reading<'_>,
    trigger: Trigger<'_>,
    verdict: &Verdict,
) -> UserEnforcement
where
    L: NoticeLedger,
    M: Mailer,
    X: ExemptionSource,
    D: UserDirectory,
{
    let (config, policy) = (s.config, &s.config.policy);
    let settings = config.enforcement;
    let today = policy.date_of(s.now);
    let reaches_owner = verdict.recipients.as_ref().is_some_and(|r| r.reach_owner());
    // Each key by the policy it is listed for (rule 1): a key listed for
    // rotation by ENFORCE, one listed for its unused period by
    // ENFORCE_UNUSED, a replaced key also by ROTATE (rotation rule 5); a
    // policy that is off judges nothing.
    let mode = |k: &DueKey| rotation::retirement_mode(&settings, config.rotation.mode, k);
    let due: Vec<&DueKey> = verdict
        .due
        .iter()
        .filter(|k| mode(k) != EnforceMode::Off)
        .collect();
    let mut out = UserEnforcement {
        shaping: due
            .iter()
            .filter(|k| mode(k) == EnforceMode::On)
            .map(|k| k.id.clone())
            .collect(),
        announces: reaches_owner,
        ..UserEnforcement::default()
    };
    let Some(ledger) = s.ledger else {
        return out;
    };
    if due.is_empty() || verdict.exemption.is_some() {
        return out;
    }
    // Whom the list exempts is unknown: no verdict at all, so the notice
    // goes out as without enforcement; an error only where a key could be
    // deactivated today.
    if let Err(e) = s.listing().await.known() {
        if due.iter().any(|k| settings.enforcement_date(k) <= today) {
            out.error = Some(e);
        }
        return out;
    }
    let account_id = account.id.unwrap_or_default();
    for &key in &due {
        let warning = match ledger.warning(account_id, &key.warning_slot(), s.now).await {
            Ok(warning) => Warning::about(warning, key),
            Err(e) => {
                out.error = Some(e);
                return out;
            }
        };
        let warned = warning.map(|w| policy.date_of(w.first_sent));
        let judged = judge(
            &settings,
            key,
            warning,
            reaches_owner,
            s.now,
            policy.time_zone,
        );
        let mut key_verdict = rotation::retirement(judged, &settings, key);
        let act = Act {
            s,
            account,
            user,
            trigger,
            key,
            warned,
            verdict,
            acts: mode(key) == EnforceMode::On && !config.dry_run,
        };
        let action = match key_verdict {
            KeyVerdict::Deactivate => act.deactivate(ledger).await,
            KeyVerdict::HeldByCap => Ok(act.report(Action::HeldByCap)),
            KeyVerdict::NoOneToWarn => Ok(act.report(Action::NoOneToWarn)),
            KeyVerdict::FinalWarning { .. }
            | KeyVerdict::Wait { .. }
            | KeyVerdict::AwaitingNewKeyUse => {
                out.keys.push((
                    key.id.clone(),
                    KeyEnforcement {
                        verdict: key_verdict,
                        action: None,
                    },
                ));
                continue;
            }
        };
        match action {
            Ok(action) => {
                // The day's cap held a key the rules would deactivate now.
                if action.action == Action::HeldByCap {
                    key_verdict = KeyVerdict::HeldByCap;
                }
                if action.action != Action::Deactivated {
                    log_action(&action);
                }
                out.keys.push((
                    key.id.clone(),
                    KeyEnforcement {
                        verdict: key_verdict,
                        action: Some(action),
                    },
                ));
            }
            Err(e) => {
                out.keys.push((
                    key.id.clone(),
                    KeyEnforcement {
                        verdict: key_verdict,
                        action: None,
                    },
                ));
                out.error = Some(e);
                return out;
            }
        }
    }
    out
}

/// Deactivating one key.
struct Act<'a, 'b, L, M, X, D, S> {
    s: &'a NoticeService<'b, L, M, X>,
    account: &'a Account<'a, D, S>,
    user: &'a Reading<'a>,
    trigger: Trigger<'a>,
    key: &'a DueKey,
    warned: Option<NaiveDate>,
    verdict: &'a Verdict,
    /// Its policy (or rotation's) is `true`, and this is no dry run.
    acts: bool,
}

impl<L, M, X, D, S> Act<'_, '_, L, M, X, D, S>
where
    L: NoticeLedger,
    M: Mailer,
    X: ExemptionSource,
    D: UserDirectory,
{
    fn report(&self, action: Action) -> KeyAction {
        let (access_key_id, credential) = match self.key.is_password() {
            true => ("-".to_string(), CredentialKind::ConsolePassword),
            false => (mask_key_id(&self.key.id), CredentialKind::AccessKey),
        };
        KeyAction {
            user: self.user.name.to_string(),
            access_key_id,
            credential,
            action,
            deadline: self.key.deadline_date,
            days_overdue: self.key.days.overdue(),
            unused_days: self.key.unused_period().map(|u| u.days),
            age_days: self.key.age_days,
            warned: self.warned,
            mail: None,
            message_id: None,
        }
    }

    fn stage(&self) -> NoticeKey {
        NoticeKey {
            account: self.account.id.unwrap_or_default().to_string(),
            access_key_id: self.key.id.clone(),
            stage: self.key.acted_stage(),
        }
    }

    /// Step 2's first read: the key is still there, active, with the
    /// CreateDate that was judged (the directory's listing is bounded, its
    /// contract: a damaged one is an error here too); a password, still
    /// there (GetLoginProfile).
    async fn still_there(&self) -> Result<bool, Error> {
        let (directory, user) = (self.account.directory, self.user.name);
        if self.key.is_password() {
            return Ok(directory.login_profile(user).await?.is_some());
        }
        Ok(directory
            .access_keys(user)
            .await?
            .unwrap_or_default()
            .iter()
            .any(|k| k.id == self.key.id && k.active && k.created == self.key.created))
    }

    /// Steps 1 to 6 of the module's list.
    async fn deactivate(&self, ledger: &L) -> Result<KeyAction, Error> {
        let (s, now) = (self.s, self.s.now);
        let stage = self.stage();
        let account = self.account.id.unwrap_or_default();
        let directory = self.account.directory;
        if !self.acts {
            if ledger.is_sent(&stage, now).await? {
                return Ok(self.report(Action::Reactivated));
            }
            if !s.cap.take_dry_run(account) {
                return Ok(self.report(Action::HeldByCap));
            }
            let mut action = self.report(Action::DryRun);
            action.mail = Some(MailState::DryRun);
            return Ok(action);
        }

        let held = [stage];
        let Claimed { acquired, .. } = match claims::claim_all(ledger, &held, &s.claim).await {
            Ok(claimed) => claimed,
            // An overlapping run is deactivating this key right now: the
            // key, its mail and its notice are that run's; this one leaves
            // it out (a run that fails releases it to the next one).
            Err(Error::NoticeInProgress { .. }) => return Ok(self.report(Action::LeftAlone)),
            Err(e) => return Err(e),
        };
        let release = || claims::release(ledger, &held, &acquired, &s.claim.owner);
        let user = self.user.name;
        let unchanged = match self.still_there().await {
            Ok(unchanged) => unchanged,
            Err(e) => {
                release().await;
                return Err(e);
            }
        };
        if acquired.is_empty() {
            // Deactivated before. Active again (same key) means someone
            // reactivated it; found inactive, an overlapping run has just
            // deactivated it, and it stays so: either way it is not touched.
            return Ok(self.report(if unchanged {
                Action::Reactivated
            } else {
                Action::LeftAlone
            }));
        }
        if !unchanged {
            release().await;
            return Ok(self.report(Action::LeftAlone));
        }
        // The checks after the listing, each of which may hold the key
        // back (its claim then released for the next run).
        let held_back = async {
            // The listing is by name, and a name can pass to another user
            // between two answers: only after the listing, GetUser shows
            // the name still belongs to the UserId the decision was made
            // for.
            let owner = directory.user(user).await?;
            let Some(owner) = owner.filter(|u| u.id == self.user.id) else {
                return Ok(Some(Action::LeftAlone));
            };
            // An unused key (or password) must still be unused, in the
            // same period: its last use read again, since the decision's
            // may be the credential report's, hours old (enforcement rule
            // 8). A password's is GetUser's, just read.
            if let Some(period) = self.key.unused_period() {
                let policy = &s.config.policy;
                let (fresh, days) = match self.key.is_password() {
                    true => (
                        LastUsed {
                            time: owner.password_last_used,
                            ..LastUsed::default()
                        },
                        policy.unused_password_days,
                    ),
                    false => (
                        directory.last_used(&self.key.id).await?,
                        policy.unused_key_days,
                    ),
                };
                let (today, tz) = (policy.date_of(now), policy.time_zone);
                if !unused::still_in(period, days, self.key.created, &fresh, today, tz) {
                    return Ok(Some(Action::LeftAlone));
                }
            }
            // A place under the day's cap, taken only by the run that
            // holds the key's claim: two overlapping runs never both count
            // one key.
            if !s.cap.take(ledger, account).await? {
                return Ok(Some(Action::HeldByCap));
            }
            Ok::<_, Error>(None)
        };
        match held_back.await {
            Ok(None) => {}
            Ok(Some(action)) => {
                release().await;
                return Ok(self.report(action));
            }
            Err(e) => {
                release().await;
                return Err(e);
            }
        }
        let done = match self.key.is_password() {
            true => directory.delete_login_profile(user).await,
            false => directory.deactivate_key(user, &self.key.id).await,
        };
        if let Err(e) = done {
            release().await;
            s.cap.give_back(ledger, account).await;
            return Err(e);
        }
        let mut action = self.report(Action::Deactivated);
        log_action(&action);

        let (status, message_id) = self.tell().await;
        action.mail = Some(status);
        action.message_id = message_id.clone();
        let record = SentRecord {
            user: self.user.name.to_string(),
            source: self.trigger.source().to_string(),
            message_id,
            sent_at: now,
            expires_at: ledger::record_expiry(self.key.deadline, now),
        };
        if let Err(e) = ledger.record_sent(&held[0], &record).await {
            logging::log(
                Level::Error,
                "a deactivation could not be recorded; the key stays deactivated",
                json!({"user": user, "access_key_id": action.access_key_id, "error": e.safe_message()}),
            );
        }
        Ok(action)
    }

    /// Mails the "deactivated" notice; its status and message id. A
    /// failure is logged and reported, never raised: the key is
    /// deactivated either way.
    async fn tell(&self) -> (MailState, Option<String>) {
        let config = self.s.config;
        let Some(recipients) = &self.verdict.recipients else {
            return (MailState::NoRecipient, None);
        };
        let view = DeactivatedView::new(
            self.key,
            &DeactivatedContext {
                user: self.user.name,
                account: self.account.label(),
                at: self.s.now,
                warned: self.warned,
                enforcement: &config.enforcement,
                policy: &config.policy,
            },
            self.verdict.locale,
        );
        let sent = match deactivated::render(&view, self.verdict.locale) {
            Ok(rendered) => {
                let message = Mail::new(
                    config,
                    &recipients.to,
                    &recipients.cc,
                    &rendered,
                    vec![
                        ("notice_source".into(), self.trigger.source().to_string()),
                        ("notice_stage".into(), self.key.acted_stage().code()),
                    ],
                );
                self.s.mailer.send(&message).await
            }
            Err(e) => Err(Error::Render(e)),
        };
        match sent {
            Ok(id) => (MailState::Sent, Some(id)),
            Err(e) => {
                logging::log(
                    Level::Error,
                    "the deactivated notice could not be sent; the key stays deactivated",
                    json!({"user": self.user.name, "access_key_id": self.key.shown_id(), "errorType": e.error_type(), "error": e.safe_message()}),
                );
                (MailState::Failed, None)
            }
        }
    }
}

/// One structured line per key enforcement acted on or held.
fn log_action(action: &KeyAction) {
    let level = match action.action {
        Action::Deactivated | Action::HeldByCap | Action::NoOneToWarn => Level::Warn,
        _ => Level::Info,
    };
    let message = match (action.credential, action.action) {
        (CredentialKind::ConsolePassword, Action::Deactivated) => "console password removed",
        (CredentialKind::ConsolePassword, Action::DryRun) => {
            "console password would be removed (dry run)"
        }
        (CredentialKind::ConsolePassword, Action::HeldByCap) => {
            "console password held by ENFORCE_MAX_PER_DAY"
        }
        (CredentialKind::ConsolePassword, Action::NoOneToWarn) => {
            "console password held: no owner address to warn (a copy is no warning)"
        }
        (CredentialKind::ConsolePassword, Action::LeftAlone) => {
            "console password used or changed since it was read; left alone"
        }
        (CredentialKind::ConsolePassword, Action::Reactivated) => {
            "console password set again after its removal; left alone"
        }
        (_, Action::Deactivated) => "access key deactivated",
        (_, Action::DryRun) => "access key would be deactivated (dry run)",
        (_, Action::HeldByCap) => "access key held by ENFORCE_MAX_PER_DAY",
        (_, Action::NoOneToWarn) => {
            "access key held: no owner address to warn (a copy is no warning)"
        }
        (_, Action::LeftAlone) => "access key changed since it was read; left alone",
        (_, Action::Reactivated) => "access key reactivated after its deactivation; left alone",
    };
    logging::log(
        level,
        message,
        json!({
            "credential": action.credential,
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
