//! Rotation's calls for one user opted in ([`rotation`](crate::rotation)
//! rule 1), the notice service's step between the decision and
//! enforcement, the same for a Config event and the sweep. For each due
//! key that is due for rotation (rule 2), the ledger's record of its
//! rotation is read first:
//!
//! - **replaced before**: the new key is looked up among the user's keys,
//!   and its last use read again (GetAccessKeyLastUsed) unless what is
//!   known already shows a use since its creation: `replaced` (in use),
//!   `awaiting_new_key_use`, or `new_key_gone`;
//! - **not replaced**, in a dry run (`ROTATE=dry_run`, `DRY_RUN=true`,
//!   `scan`): `would_rotate`, or `rotation_blocked` for a user with two
//!   keys, and nothing is written;
//! - **not replaced**, for real:
//!   1. claim the key's `rotation` stage in the ledger: held by another
//!      run, that run is replacing it and this one leaves it alone; found
//!      recorded, the replacement is read again;
//!   2. list the user's keys again and find the key, still active with the
//!      CreateDate that was judged, then read the user (GetUser) and find
//!      the UserId the decision was made for (otherwise: left alone);
//!   3. with two keys: when the ledger says a replacement was begun and
//!      never recorded (a run that stopped), and the other key was created
//!      in that run's time, the other key is that run's: its secret stored
//!      since its creation means the replacement is recorded now
//!      (`rotated`); not stored, nobody has the key's secret, so the key
//!      is deactivated (`rotation_failed`). Any other second key blocks the
//!      rotation (`rotation_blocked`, rule 3);
//!   4. mark the claim as begun, create the secret (or find it: one per
//!      user, rule 4), create the new key, and store its secret at once;
//!   5. a secret that could not be stored deactivates the new key (nobody
//!      has its secret; never deleted), releases the claim and reports
//!      `rotation_failed`;
//!   6. record the rotation (the new key's id and creation, the secret's
//!      name and ARN, never the secret): `rotated`.
//!
//! A failure before the new key exists releases the claim, and the key is
//! tried again by the next run. The new key's secret lives in this process
//! only between CreateAccessKey and PutSecretValue, as a
//! [`SecretString`](secrecy::SecretString): never logged, never in a
//! result, zeroed when dropped.
//!
//! The notice lists a key at the stage of rotation's own notice while that
//! notice has not gone out: `rotated` for a replaced key, and
//! `rotation_blocked` for a blocked one; afterwards at its stage by the
//! clock, the card still saying where the key stands.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use super::claims::{self, Claimed};
use super::{Account, NoticeService, Reading};
use crate::enforcement::EnforceMode;
use crate::error::Error;
use crate::logging::{self, Level};
use crate::mask::mask_key_id;
use crate::model::{AccessKey, DueKey, KeyRotation, Replacement, Stage, Trigger, Verdict};
use crate::ports::directory::UserDirectory;
use crate::ports::exemptions::ExemptionSource;
use crate::ports::ledger::{
    self, NoticeKey, NoticeLedger, RotationRecord, SentRecord, rotation_key,
};
use crate::ports::mailer::Mailer;
use crate::ports::secrets::{SecretRef, SecretStore};
use crate::rotation::{self, RotationSettings};

/// How long before the mark a key created by the run that set it may be
/// dated (IAM's clock against the function's).
const CLOCK_SKEW: Duration = Duration::seconds(60);
/// How long after the mark the run that set it may have created its key:
/// Lambda's longest invocation (15 minutes), and a minute more.
const RUN_SPAN: Duration = Duration::minutes(16);

/// What rotation made of one user.
#[derive(Debug, Default)]
pub(crate) struct UserRotation {
    /// Each key due for rotation: its id, what rotation made of it, and
    /// the stage its notice lists it at while rotation's own notice about
    /// it has not gone out.
    pub keys: Vec<(String, KeyRotation, Option<Stage>)>,
    /// What stopped a rotation: the keys after it wait for the next run.
    pub error: Option<Error>,
}

impl UserRotation {
    /// `verdict` with each key's rotation, and the stage its notice lists
    /// it at.
    pub(crate) fn apply(&self, verdict: &mut Verdict) {
        let find = |id: &str| self.keys.iter().find(|(k, ..)| k == id);
        for key in &mut verdict.due {
            if let Some((_, rotation, _)) = find(&key.id) {
                key.rotation = Some(rotation.clone());
            }
        }
        if let Ok(notice) = &mut verdict.result {
            for key in &mut notice.keys {
                if let Some((_, rotation, stage)) = find(&key.id) {
                    key.rotation = Some(rotation.clone());
                    if let Some(stage) = stage {
                        key.stage = *stage;
                    }
                }
            }
        }
    }
}

/// Whether the run may change the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Writes {
    /// `ROTATE=true` and not `DRY_RUN`: keys and secrets are created.
    Yes,
    /// A dry run or `scan`: only the ledger and IAM are read.
    No,
}

/// Rotation for `user`, whose decision is `verdict` (the module's steps).
/// Never fails: what stopped it is in [`UserRotation::error`].
pub(super) async fn run<L, M, X, D, S>(
    s: &NoticeService<'_, L, M, X>,
    account: &Account<'_, D, S>,
    user: &Reading<'_>,
    trigger: Trigger<'_>,
    verdict: &Verdict,
    writes: Writes,
) -> UserRotation
where
    L: NoticeLedger,
    M: Mailer,
    X: ExemptionSource,
    D: UserDirectory,
    S: SecretStore,
{
    let settings = &s.config.rotation;
    let mut out = UserRotation::default();
    if !settings.opted_in(user.tags, verdict.exemption.is_some()) {
        return out;
    }
    let writes = if settings.mode == EnforceMode::On && !s.config.dry_run {
        writes
    } else {
        Writes::No
    };
    let policy = &s.config.policy;
    for key in verdict
        .due
        .iter()
        .filter(|k| rotation::due_for_rotation(policy, k))
    {
        let rotate = Rotate {
            s,
            account,
            user,
            trigger,
            key,
            settings,
        };
        match rotate.key(writes).await {
            Ok(done) => {
                if matches!(done.rotation, KeyRotation::Rotated(_) | KeyRotation::Failed) {
                    log_rotation(user.name, key, &done.rotation);
                }
                out.keys.push((key.id.clone(), done.rotation, done.stage));
                if let Some(e) = done.error {
                    out.error = Some(e);
                    return out;
                }
            }
            Err(e) => {
                logging::log(
                    Level::Error,
                    "access key rotation stopped; the next run tries again",
                    json!({"user": user.name, "access_key_id": mask_key_id(&key.id), "errorType": e.error_type(), "error": e.safe_message()}),
                );
                out.error = Some(e);
                return out;
            }
        }
    }
    out
}

/// What became of one key: what rotation made of it, the stage its notice
/// lists it at, and the error of a rotation that failed after a new key
/// was created.
struct Done {
    rotation: KeyRotation,
    stage: Option<Stage>,
    error: Option<Error>,
}

/// What became of a key under a held claim.
struct Held {
    rotation: KeyRotation,
    error: Option<Error>,
    /// The claim goes back (nothing was created, or what was is
    /// deactivated); otherwise it stays, recorded or marked for the next
    /// run.
    release: bool,
}

impl Held {
    fn release(rotation: KeyRotation) -> Held {
        Held {
            rotation,
            error: None,
            release: true,
        }
    }
}

/// Rotating one key.
struct Rotate<'a, 'b, L, M, X, D, S> {
    s: &'a NoticeService<'b, L, M, X>,
    account: &'a Account<'a, D, S>,
    user: &'a Reading<'a>,
    trigger: Trigger<'a>,
    key: &'a DueKey,
    settings: &'a RotationSettings,
}

impl<L, M, X, D, S> Rotate<'_, '_, L, M, X, D, S>
where
    L: NoticeLedger,
    M: Mailer,
    X: ExemptionSource,
    D: UserDirectory,
    S: SecretStore,
{
    fn account_id(&self) -> &str {
        self.account.id.unwrap_or_default()
    }

    /// What rotation makes of the key, and the stage its notice lists it at.
    async fn key(&self, writes: Writes) -> Result<Done, Error> {
        let s = self.s;
        let record = match s.ledger {
            Some(ledger) => {
                ledger
                    .rotation(self.account_id(), &self.key.id, s.now)
                    .await?
            }
            None => RotationRecord::None,
        };
        let (rotation, error) = match (record, writes) {
            (RotationRecord::Replaced(r), _) => (self.replaced(r).await?, None),
            (_, Writes::No) => {
                let rotation = match rotation::blocked(&self.user.keys.keys, &self.key.id) {
                    Some(other) => KeyRotation::Blocked {
                        other_key_id: other.id.clone(),
                    },
                    None => KeyRotation::WouldRotate,
                };
                (rotation, None)
            }
            (RotationRecord::Started(at), Writes::Yes) => self.replace(Some(at)).await?,
            (RotationRecord::None, Writes::Yes) => self.replace(None).await?,
        };
        let stage = match (&rotation, writes) {
            (_, Writes::No) => None,
            (KeyRotation::Rotated(_), _) => Some(Stage::Rotated),
            (KeyRotation::Replaced { .. } | KeyRotation::NewKeyGone(_), _) => {
                self.unannounced(Stage::Rotated).await?
            }
            (KeyRotation::Blocked { .. }, _) => self.unannounced(Stage::RotationBlocked).await?,
            _ => None,
        };
        Ok(Done {
            rotation,
            stage,
            error,
        })
    }

    /// `stage`, if rotation's notice at it has not gone out about the key.
    async fn unannounced(&self, stage: Stage) -> Result<Option<Stage>, Error> {
        let Some(ledger) = self.s.ledger else {
            return Ok(None);
        };
        let key = NoticeKey {
            stage,
            ..rotation_key(self.account_id(), &self.key.id)
        };
        Ok((!ledger.is_sent(&key, self.s.now).await?).then_some(stage))
    }

    /// A key replaced before: where its new key stands.
    async fn replaced(&self, replacement: Replacement) -> Result<KeyRotation, Error> {
        let new_key = self
            .user
            .keys
            .keys
            .iter()
            .find(|k| k.id == replacement.new_key_id && k.active);
        let Some(new_key) = new_key else {
            return Ok(KeyRotation::NewKeyGone(replacement));
        };
        let created = replacement.new_key_created;
        let mut used = rotation::new_key_in_use(created, new_key.last_used.as_ref());
        if !used {
            // What is known may be the credential report's, hours old.
            let fresh = self.account.directory.last_used(&new_key.id).await?;
            used = rotation::new_key_in_use(created, Some(&fresh));
        }
        Ok(KeyRotation::Replaced {
            replacement,
            new_key_used: used,
        })
    }

    /// Steps 1 to 6 of the module's list; `started`: when the ledger says
    /// a replacement was begun and never recorded.
    async fn replace(
        &self,
        started: Option<DateTime<Utc>>,
    ) -> Result<(KeyRotation, Option<Error>), Error> {
        let s = self.s;
        let Some(ledger) = s.ledger else {
            // The configuration requires the ledger for rotation.
            return Ok((KeyRotation::LeftAlone, None));
        };
        let held = [rotation_key(self.account_id(), &self.key.id)];
        let Claimed { acquired, .. } = match claims::claim_all(ledger, &held, &s.claim).await {
            Ok(claimed) => claimed,
            Err(Error::NoticeInProgress { .. }) => return Ok((KeyRotation::LeftAlone, None)),
            Err(e) => return Err(e),
        };
        if acquired.is_empty() {
            // Recorded since this run read the ledger: another run did it.
            let again = ledger
                .rotation(self.account_id(), &self.key.id, s.now)
                .await?;
            return Ok(match again {
                RotationRecord::Replaced(r) => (self.replaced(r).await?, None),
                _ => (KeyRotation::LeftAlone, None),
            });
        }
        let release = || claims::release(ledger, &held, &acquired, &s.claim.owner);
        match self.claimed(ledger, started).await {
            Ok(held) => {
                if held.release {
                    release().await;
                }
                Ok((held.rotation, held.error))
            }
            Err(e) => {
                release().await;
                Err(e)
            }
        }
    }

    /// Steps 2 to 6, with the claim held.
    async fn claimed(&self, ledger: &L, started: Option<DateTime<Utc>>) -> Result<Held, Error> {
        let s = self.s;
        let (account, owner) = (self.account_id(), &s.claim.owner);
        let directory = self.account.directory;
        let name = self.user.name;
        if let Some(at) = started {
            // The claim just taken replaced the stopped run's: its mark
            // carries over until what that run left is settled.
            ledger
                .start_rotation(account, &self.key.id, owner, at)
                .await?;
        }
        let keys = directory.access_keys(name).await?.unwrap_or_default();
        let unchanged = keys
            .iter()
            .any(|k| k.id == self.key.id && k.active && k.created == self.key.created);
        if !unchanged {
            return Ok(Held::release(KeyRotation::LeftAlone));
        }
        let user = directory.user(name).await?;
        if user.is_none_or(|u| u.id != self.user.id) {
            return Ok(Held::release(KeyRotation::LeftAlone));
        }
        let secret_name = rotation::secret_name(&self.settings.secret_prefix, account, name);
        if let Some(other) = keys.iter().find(|k| k.id != self.key.id) {
            let ours = started.is_some_and(|at| {
                other.created >= at - CLOCK_SKEW && other.created <= at + RUN_SPAN
            });
            if !ours || !other.active {
                return Ok(Held::release(KeyRotation::Blocked {
                    other_key_id: other.id.clone(),
                }));
            }
            return self.resume(ledger, other, &secret_name).await;
        }

        ledger
            .start_rotation(account, &self.key.id, owner, s.now)
            .await?;
        let tags = [
            ("access-key-notifier:user".to_string(), name.to_string()),
            (
                "access-key-notifier:replaces".to_string(),
                mask_key_id(&self.key.id),
            ),
        ];
        let secrets = self.account.secrets;
        let kms_key_id = self.settings.kms_key_id.as_deref();
        let secret = secrets.ensure(&secret_name, kms_key_id, &tags).await?;
        let new_key = directory.create_access_key(name).await?;
        let stored = secrets.put(&secret, &new_key.id, &new_key.secret).await;
        let (new_key_id, new_key_created) = (new_key.id.clone(), new_key.created);
        // The secret is in the store, or lost: either way it goes now.
        drop(new_key);
        if let Err(e) = stored {
            return Ok(self.retire_orphan(&new_key_id, e).await);
        }
        Ok(self
            .record(ledger, new_key_id, new_key_created, secret)
            .await)
    }

    /// Step 3 for an active second key created by a run that stopped:
    /// recorded if its secret was stored since, deactivated if not.
    async fn resume(
        &self,
        ledger: &L,
        other: &AccessKey,
        secret_name: &str,
    ) -> Result<Held, Error> {
        let state = self.account.secrets.describe(secret_name).await?;
        let stored = state.and_then(|st| {
            st.value_stored
                .is_some_and(|t| t.timestamp() >= other.created.timestamp())
                .then_some(st.secret)
        });
        let Some(secret) = stored else {
            let why = Error::RotationIncomplete {
                new_key: mask_key_id(&other.id),
            };
            return Ok(self.retire_orphan(&other.id, why).await);
        };
        Ok(self
            .record(ledger, other.id.clone(), other.created, secret)
            .await)
    }

    /// Deactivates (never deletes) a new key whose secret nobody has, after
    /// `why`. Deactivated, the claim goes back (the user now has two keys,
    /// and the next run finds the rotation blocked until the owner deletes
    /// the inactive one); still active, the claim stays marked, so the
    /// next run finds the key and tries again.
    async fn retire_orphan(&self, new_key_id: &str, why: Error) -> Held {
        let (user, masked) = (self.user.name, mask_key_id(new_key_id));
        let deactivated = self
            .account
            .directory
            .deactivate_key(user, new_key_id)
            .await;
        match &deactivated {
            Ok(()) => logging::log(
                Level::Warn,
                "a new access key whose secret was never stored was deactivated",
                json!({"user": user, "access_key_id": masked, "error": why.safe_message()}),
            ),
            Err(e) => logging::log(
                Level::Error,
                "a new access key whose secret was never stored could not be deactivated; the next run tries again",
                json!({"user": user, "access_key_id": masked, "error": e.safe_message()}),
            ),
        }
        Held {
            rotation: KeyRotation::Failed,
            error: Some(why),
            release: deactivated.is_ok(),
        }
    }

    /// Step 6. The new key exists and its secret is stored: the
    /// replacement is recorded, and the claim kept. A failure to record is
    /// logged, and the next run, finding the claim marked and the secret
    /// stored, records it.
    async fn record(
        &self,
        ledger: &L,
        new_key_id: String,
        new_key_created: DateTime<Utc>,
        secret: SecretRef,
    ) -> Held {
        let replacement = Replacement {
            new_key_id,
            new_key_created,
            secret_name: secret.name,
            secret_arn: secret.arn,
        };
        let s = self.s;
        let record = SentRecord {
            user: self.user.name.to_string(),
            source: self.trigger.source().to_string(),
            message_id: None,
            sent_at: s.now,
            expires_at: ledger::record_expiry(self.key.deadline, s.now),
        };
        if let Err(e) = ledger
            .record_rotation(self.account_id(), &self.key.id, &replacement, &record)
            .await
        {
            logging::log(
                Level::Error,
                "a rotation could not be recorded; the next run records it",
                json!({"user": self.user.name, "access_key_id": mask_key_id(&self.key.id), "error": e.safe_message()}),
            );
        }
        Held {
            rotation: KeyRotation::Rotated(replacement),
            error: None,
            release: false,
        }
    }
}

/// One structured line per key replaced or failed.
fn log_rotation(user: &str, key: &DueKey, rotation: &KeyRotation) {
    let (level, message) = match rotation {
        KeyRotation::Rotated(_) => (
            Level::Warn,
            "access key replaced; its secret is in Secrets Manager",
        ),
        _ => (Level::Error, "access key rotation failed"),
    };
    logging::log(
        level,
        message,
        json!({
            "rotation": rotation.code(),
            "user": user,
            "access_key_id": mask_key_id(&key.id),
            "new_access_key_id": rotation.replacement().map(|r| mask_key_id(&r.new_key_id)),
            "secret_arn": rotation.replacement().map(|r| r.secret_arn.clone()),
        }),
    );
}
