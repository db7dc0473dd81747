//! The notice service: one user in, one typed result out. Built once per
//! invocation ([`Deps::service`](crate::flow::Deps::service)) over just
//! the ports it calls (the notice ledger, the mailer, the exemption list),
//! it owns what the run shares: the configuration, the exemption list as
//! this run reads it (once, when a user first needs it), the day's cap on
//! deactivations, the ledger claims' owner and the instant days are
//! counted from. A flow reads a user and hands it over; it gets back a
//! [`UserResult`]: the decision, one [`KeyResult`] per due key, and the
//! notice. In order:
//!
//! 1. **judge the keys** ([`NoticeService::judge`]): each active key's last
//!    use where the unused-key policy needs it, then the due keys, once
//!    ([`decision::due_keys`]);
//! 2. **decide** ([`NoticeService::decide`], pure: [`decision::decide`]):
//!    exemption, stage, recipients, language;
//! 3. **rotate** ([`rotate`]): for a user opted in to rotation
//!    ([`rotation`](crate::rotation)), replace each key due for it (a new
//!    key, its secret into the account's secret store), or read where an
//!    earlier replacement stands;
//! 4. **enforce** ([`enforce`]): judge each due key
//!    ([`enforcement`](crate::enforcement); a replaced key retired under
//!    rotation's mode once its new key is used) and deactivate what is due
//!    now, within the day's [`cap`];
//! 5. **notify** ([`notify`]): shape the notice by enforcement's verdicts,
//!    claim each listed key's stage in the ledger ([`claims`]), render,
//!    send, record.
//!
//! It never reads the environment, builds a client or reads the clock:
//! the flow that makes it passes `now`.

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::OnceCell;

use crate::config::Config;
use crate::decision::{self, Mode};
use crate::error::Error;
use crate::exemption::ExemptionListing;
use crate::logging::{self, Level};
use crate::model::{
    AccessKey, ConsolePassword, DueKey, KeyResult, Listed, NoticeState, Noticed, PasswordPolicy,
    SkipReason, Tag, Trigger, UserResult, Verdict,
};
use crate::ports::directory::UserDirectory;
use crate::ports::exemptions::{ExemptionSource, Exemptions};
use crate::ports::ledger::{ClaimRequest, NoticeLedger};
use crate::ports::mailer::Mailer;
use crate::ports::secrets::SecretStore;
use rotate::Writes;

mod cap;
mod claims;
mod enforce;
mod notify;
mod rotate;

pub(crate) use cap::Cap;

/// The notice service of one invocation; see the module doc.
pub struct NoticeService<'a, L, M, X> {
    config: &'a Config,
    /// Present when `LEDGER_TABLE` is set.
    ledger: Option<&'a L>,
    mailer: &'a M,
    exemptions: &'a Exemptions<X>,
    /// The exemption list as this run reads it, at most once.
    listing: OnceCell<ExemptionListing>,
    /// Enforcement's cap for this invocation.
    cap: Cap,
    /// Ledger claims are taken in this invocation's name, until this.
    claim: ClaimRequest,
    /// The instant days are counted from.
    now: DateTime<Utc>,
}

/// The account a user is read from.
pub struct Account<'a, D, S> {
    /// Its id; present whenever there is a ledger (the flows check).
    pub id: Option<&'a str>,
    /// How mails name it: the id, and the alias in Organizations mode.
    pub label: Option<&'a str>,
    pub directory: &'a D,
    /// Where its rotated keys' secrets go.
    pub secrets: &'a S,
    /// Its password policy, where the flow read it (expiry notices on).
    pub password_policy: Option<PasswordPolicy>,
}

impl<D, S> Account<'_, D, S> {
    /// The account as mails name it.
    pub fn label(&self) -> &str {
        self.label.or(self.id).unwrap_or("-")
    }
}

/// A user's keys, judged ([`NoticeService::judge`]): each with the last
/// use the decision needs, and the due ones, computed once.
#[derive(Debug, Clone)]
pub struct Judged {
    pub keys: Vec<AccessKey>,
    /// Every due key, earliest deadline first ([`decision::due_keys`]).
    pub due: Vec<DueKey>,
}

/// One user as a flow read it.
pub struct Reading<'a> {
    /// The UserId the reading was checked against.
    pub id: &'a str,
    pub name: &'a str,
    pub arn: &'a str,
    pub tags: &'a [Tag],
    pub keys: &'a Judged,
}

impl<'a, L: NoticeLedger, M: Mailer, X: ExemptionSource> NoticeService<'a, L, M, X> {
    /// The service of one invocation at `now`, its ledger claims held as
    /// `claim` says.
    pub fn new(
        config: &'a Config,
        ledger: Option<&'a L>,
        mailer: &'a M,
        exemptions: &'a Exemptions<X>,
        now: DateTime<Utc>,
        claim: ClaimRequest,
    ) -> Self {
        NoticeService {
            config,
            ledger,
            mailer,
            exemptions,
            listing: OnceCell::new(),
            cap: Cap::today(config, now),
            claim,
            now,
        }
    }

    /// The instant days are counted from.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// The configuration it runs under.
    pub fn config(&self) -> &Config {
        self.config
    }

    /// The exemption list, read the first time a user (or the sweep's
    /// report) needs it.
    pub(crate) async fn listing(&self) -> &ExemptionListing {
        self.listing
            .get_or_init(|| self.exemptions.listing(self.now))
            .await
    }

    /// Step 1: `keys` with the last use the decision needs (with the
    /// unused-key policy on, decision rule 12: every active key's, read
    /// with GetAccessKeyLastUsed, all at once, where the caller did not
    /// know it already), and the due keys among them, computed once; then
    /// the console password of the user `user_id`, where the password
    /// rules list it ([`password`](crate::password)).
    pub async fn judge<D: UserDirectory, S>(
        &self,
        account: &Account<'_, D, S>,
        user_id: Option<&str>,
        keys: Vec<AccessKey>,
        password: Option<&ConsolePassword>,
    ) -> Result<Judged, Error> {
        let directory = account.directory;
        let policy = &self.config.policy;
        let keys = futures_util::future::try_join_all(keys.into_iter().map(|mut key| async {
            if policy.unused_key_days > 0 && key.active && key.last_used.is_none() {
                key.last_used = Some(directory.last_used(&key.id).await?);
            }
            Ok::<_, Error>(key)
        }))
        .await?;
        let mut due = decision::due_keys(policy, &keys, self.now);
        if let (Some(user_id), Some(password)) = (user_id, password) {
            let account = account.password_policy.as_ref();
            due.extend(crate::password::due_password(
                policy, account, user_id, password, self.now,
            ));
        }
        Ok(Judged { keys, due })
    }

    /// Step 2: the decision about `user` (decision rules 1 to 7 and 12),
    /// what it noticed about the user's tags logged. Without a ledger, the
    /// event of a notice rule speaks only for its own tier (rule 5).
    pub async fn decide(
        &self,
        account: Option<&str>,
        user: &Reading<'_>,
        trigger: Trigger<'_>,
    ) -> Verdict {
        let policy = &self.config.policy;
        let mode = match (self.ledger, trigger) {
            (None, Trigger::Rule { tier_days, .. }) => Mode::Stateless {
                rule_tier: tier_days,
            },
            _ => Mode::Ledger,
        };
        let listed = self
            .listing()
            .await
            .lists(account.unwrap_or_default(), user.name, user.id);
        let verdict = decision::decide(
            policy,
            mode,
            user.tags,
            listed,
            user.keys.due.clone(),
            self.now,
        );
        log_verdict(policy, user.name, &verdict);
        verdict
    }

    /// Every step for one user, whose keys the flow judged: decide,
    /// rotate, enforce, and notify once per stage. Never fails: what
    /// stopped the notice, rotation or enforcement is in the result.
    pub async fn handle<D: UserDirectory, S: SecretStore>(
        &self,
        account: &Account<'_, D, S>,
        user: &Reading<'_>,
        trigger: Trigger<'_>,
    ) -> UserResult {
        let mut verdict = self.decide(account.id, user, trigger).await;
        let rotated = rotate::run(self, account, user, trigger, &verdict, Writes::Yes).await;
        rotated.apply(&mut verdict);
        let enforced = enforce::run(self, account, user, trigger, &verdict).await;
        let notified = match verdict.result.clone().map(|n| enforced.shape(n)) {
            Ok(Some(notice)) => notify::notify(self, account, user, trigger, &notice).await,
            Ok(None) => Ok(notify::Sent::skipped(SkipReason::Deactivated)),
            Err(reason) => Ok(notify::Sent::skipped(reason)),
        };
        let listed = |id: &str| -> Option<Listed> {
            let sent = notified.as_ref().ok()?;
            sent.listed
                .iter()
                .find(|(listed, _)| listed == id)
                .map(|(_, l)| *l)
        };
        let keys = verdict
            .due
            .iter()
            .map(|key| KeyResult {
                listed: listed(&key.id),
                enforcement: enforced.of(&key.id).cloned(),
                rotation: key.rotation.clone(),
                key: key.clone(),
            })
            .collect();
        UserResult {
            name: user.name.to_string(),
            arn: user.arn.to_string(),
            id: user.id.to_string(),
            verdict,
            keys,
            notice: notified.map(|sent| sent.noticed),
            enforcement_error: enforced.error,
            rotation_error: rotated.error,
        }
    }

    /// The decision alone, as a result (for `scan`, which only reads):
    /// each due key unlisted and unjudged by enforcement, what rotation
    /// would make of it (read, never written), the notice `due` or its
    /// reason.
    pub async fn decide_only<D: UserDirectory, S: SecretStore>(
        &self,
        account: &Account<'_, D, S>,
        user: &Reading<'_>,
    ) -> UserResult {
        let mut verdict = self.decide(account.id, user, Trigger::Sweep).await;
        let rotated = rotate::run(self, account, user, Trigger::Sweep, &verdict, Writes::No).await;
        rotated.apply(&mut verdict);
        let state = match &verdict.result {
            Ok(_) => NoticeState::Due,
            Err(reason) => NoticeState::Skipped(*reason),
        };
        UserResult {
            name: user.name.to_string(),
            arn: user.arn.to_string(),
            id: user.id.to_string(),
            keys: verdict
                .due
                .iter()
                .map(|key| KeyResult {
                    key: key.clone(),
                    listed: None,
                    enforcement: None,
                    rotation: key.rotation.clone(),
                })
                .collect(),
            verdict,
            notice: Ok(Noticed {
                state,
                rendered: None,
            }),
            enforcement_error: None,
            rotation_error: rotated.error,
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
