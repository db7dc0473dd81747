//! Rotation for machine users: which keys are replaced, where their new
//! secret goes, and when the old key may be retired.
//!
//! Pure, like [`decision`](crate::decision): the caller passes the user's
//! tags, keys and what the ledger keeps. The calls (the claim, the re-read,
//! the secret, the new key) are the notice service's (`service::rotate`),
//! and retiring the old key is enforcement's machinery
//! (`service::enforce`) under the promises of
//! [`enforcement`](crate::enforcement).
//!
//! The rules, in the order they are applied:
//!
//! 1. **Opt-in twice.** Rotation is off unless `ROTATE` is `true` or
//!    `dry_run` and the user carries the tag `ROTATE_TAG` (default
//!    `KeyRotation`) with the value `secrets-manager`, both matched
//!    case-insensitively and nothing else (no trimming): exactly what the
//!    template's IAM condition on CreateAccessKey admits
//!    (`StringEqualsIgnoreCase` on `iam:ResourceTag/KeyRotation`; IAM matches
//!    condition key names, the tag key among them, case-insensitively). An
//!    exempt user (decision rule 1) is never rotated.
//! 2. **When.** An active key is replaced when it is due for rotation by
//!    its age (it has reached the first notice tier, the farthest from the
//!    deadline, or any stage after it) and was not replaced before: the
//!    owner has every remaining day to switch. A key due only for being
//!    unused is not rotated (nothing uses it).
//! 3. **Two keys.** IAM allows two keys per user: a user who has two
//!    already (active or not) gets no new one; the notice asks the owner
//!    to delete the unused one first (`rotation_blocked`).
//! 4. **Where the secret goes.** One secret per user, named
//!    `ROTATE_SECRET_PREFIX` + the account + `/` + the user name
//!    ([`secret_name`]); each rotation stores a new version of it, so a
//!    consumer reading it by name always gets the newest key.
//! 5. **Retiring the old key.** The old key is deactivated (never deleted)
//!    only when both hold: the new key has been used since it was created
//!    ([`new_key_in_use`]), and enforcement's rules allow it (the date
//!    announced, a counted warning old enough, the daily cap, the identity
//!    re-read), the rotation's mode standing in for `ENFORCE`. Until the new
//!    key is used the old key stays active and every notice says so;
//!    `ENFORCE`, when on, still judges the old key as any overdue key.

use chrono::{DateTime, Utc};

use crate::decision::Policy;
use crate::enforcement::{EnforceMode, Enforcement};
#[cfg(test)]
use crate::model::Replacement;
use crate::model::{AccessKey, DueKey, KeyRotation, KeyVerdict, LastUsed, Tag};

/// The tag value that asks for rotation into Secrets Manager.
pub const TAG_VALUE: &str = "secrets-manager";

/// Rotation's settings, from the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSettings {
    /// `ROTATE`.
    pub mode: EnforceMode,
    /// `ROTATE_TAG`: the user tag that opts a user in.
    pub tag: String,
    /// `ROTATE_SECRET_PREFIX`: the secrets' names start with it.
    pub secret_prefix: String,
    /// `ROTATE_KMS_KEY_ID`: the KMS key the secrets are encrypted with;
    /// `None`: Secrets Manager's default key of the account.
    pub kms_key_id: Option<String>,
}

impl RotationSettings {
    pub const DEFAULT_TAG: &'static str = "KeyRotation";
    pub const DEFAULT_SECRET_PREFIX: &'static str = "access-key-notifier/";

    /// Rotation off, with the default settings.
    pub fn off() -> RotationSettings {
        RotationSettings {
            mode: EnforceMode::Off,
            tag: Self::DEFAULT_TAG.to_string(),
            secret_prefix: Self::DEFAULT_SECRET_PREFIX.to_string(),
            kms_key_id: None,
        }
    }

    /// Rule 1: rotation is on and the user (with `tags`, exempt or not) is
    /// opted in.
    pub fn opted_in(&self, tags: &[Tag], exempt: bool) -> bool {
        self.mode != EnforceMode::Off
            && !exempt
            && tags.iter().any(|t| {
                t.key.eq_ignore_ascii_case(&self.tag) && t.value.eq_ignore_ascii_case(TAG_VALUE)
            })
    }
}

/// Rule 2: `key` is due for rotation by its age (it has a stage by the
/// age policy: a notice tier, or overdue), not only for being unused.
pub fn due_for_rotation(policy: &Policy, key: &DueKey) -> bool {
    !key.is_password() && policy.stage(key.days).is_some()
}

/// Rule 3: the user already has the two keys IAM allows; the one that is
/// not `key_id`.
pub fn blocked<'a>(keys: &'a [AccessKey], key_id: &str) -> Option<&'a AccessKey> {
    if keys.len() < 2 {
        return None;
    }
    keys.iter().find(|k| k.id != key_id)
}

/// Rule 4: the secret of `user` in `account`. Secrets Manager names allow
/// letters, digits and `/_+=.@-`; an IAM user name may also hold `,`, so
/// `+` and `,` are written `+2B` and `+2C`, which keeps every name apart.
pub fn secret_name(prefix: &str, account: &str, user: &str) -> String {
    let user = user.replace('+', "+2B").replace(',', "+2C");
    format!("{prefix}{account}/{user}")
}

/// Rule 5: the mode `key` is judged under by enforcement's rules: its own
/// policy's ([`Enforcement::mode_for`]), or, for a key whose replacement
/// is there ([`KeyRotation::retires`]), rotation's `mode` where that is
/// stronger. A key whose new key is gone is judged as any key.
pub fn retirement_mode(enforcement: &Enforcement, mode: EnforceMode, key: &DueKey) -> EnforceMode {
    let own = enforcement.mode_for(key);
    if key.rotation.as_ref().is_some_and(KeyRotation::retires) {
        own.max(mode)
    } else {
        own
    }
}

/// Rule 5: enforcement's `verdict` on `key`, as rotation leaves it: a key
/// whose deactivation only rotation's mode allows (its own policy is not
/// `true`) stays active while its new key has not been used.
pub fn retirement(verdict: KeyVerdict, enforcement: &Enforcement, key: &DueKey) -> KeyVerdict {
    let replaced = key.rotation.as_ref().is_some_and(KeyRotation::retires);
    let new_key_used = key.rotation.as_ref().is_some_and(KeyRotation::new_key_used);
    match verdict {
        KeyVerdict::Deactivate
            if replaced && !new_key_used && enforcement.mode_for(key) != EnforceMode::On =>
        {
            KeyVerdict::AwaitingNewKeyUse
        }
        other => other,
    }
}

/// Rule 5: the new key, created at `created`, has been used since, by what
/// IAM says of its last use (never used, or IAM does not say: not yet).
pub fn new_key_in_use(created: DateTime<Utc>, last_used: Option<&LastUsed>) -> bool {
    last_used
        .and_then(|u| u.time)
        .is_some_and(|t| t.timestamp() >= created.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }

    fn on() -> RotationSettings {
        RotationSettings {
            mode: EnforceMode::On,
            ..RotationSettings::off()
        }
    }

    #[test]
    fn only_a_tagged_user_of_an_account_that_rotates_is_opted_in() {
        let tagged = [tag("keyrotation", "Secrets-Manager")];
        assert!(on().opted_in(&tagged, false));
        assert!(!on().opted_in(&tagged, true), "exempt");
        assert!(
            !RotationSettings::off().opted_in(&tagged, false),
            "ROTATE=false"
        );
        assert!(!on().opted_in(&[tag("KeyRotation", "s3")], false));
        assert!(
            !on().opted_in(&[tag("KeyRotation", " secrets-manager")], false),
            "IAM's condition would refuse it"
        );
        assert!(!on().opted_in(&[tag("Owner", "secrets-manager")], false));
        let dry = RotationSettings {
            mode: EnforceMode::DryRun,
            ..on()
        };
        assert!(dry.opted_in(&tagged, false));
    }

    #[test]
    fn every_secret_name_is_one_secrets_manager_takes_and_no_two_users_share_one() {
        let names = ["ci", "ops,ci", "ops+ci", "ops+2Cci", "a.b@c=d_e-f"];
        let secrets: Vec<String> = names
            .iter()
            .map(|u| secret_name("access-key-notifier/", "123456789012", u))
            .collect();
        for s in &secrets {
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c)),
                "{s}"
            );
        }
        let mut unique = secrets.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{secrets:?}");
        assert_eq!(secrets[1], "access-key-notifier/123456789012/ops+2Cci");
    }

    #[test]
    fn a_new_key_is_in_use_once_iam_dates_a_use_after_its_creation() {
        let created = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap();
        let used = |t| LastUsed {
            time: Some(t),
            service: Some("s3".into()),
            region: None,
        };
        assert!(new_key_in_use(
            created,
            Some(&used(created + Duration::hours(2)))
        ));
        assert!(new_key_in_use(created, Some(&used(created))));
        assert!(
            !new_key_in_use(created, Some(&LastUsed::default())),
            "never used"
        );
        assert!(!new_key_in_use(created, None), "IAM does not say");
        assert!(!new_key_in_use(
            created,
            Some(&used(created - Duration::days(1)))
        ));
    }

    /// An overdue key, with `rotation`.
    fn overdue(rotation: Option<KeyRotation>) -> DueKey {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let policy = crate::config::Config::from_lookup(|k| {
            (k == "SENDER_ADDRESS").then(|| "n@example.com".to_string())
        })
        .unwrap()
        .policy;
        let key = AccessKey {
            id: "AKIAIOSFODNN7EXAMPLE".into(),
            active: true,
            created: now - Duration::days(100),
            last_used: None,
        };
        let mut due = crate::decision::due_keys(&policy, &[key], now).remove(0);
        due.rotation = rotation;
        due
    }

    #[test]
    fn a_replaced_key_is_retired_under_rotations_mode_only_once_its_new_key_is_used() {
        let replacement = Replacement {
            new_key_id: "AKIANEWKEYEXAMPLE001".into(),
            new_key_created: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            secret_name: "access-key-notifier/123456789012/ci".into(),
            secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:x".into(),
        };
        let replaced = |used| KeyRotation::Replaced {
            replacement: replacement.clone(),
            new_key_used: used,
        };
        let off = Enforcement::off();
        let enforcing = Enforcement {
            mode: EnforceMode::On,
            ..Enforcement::off()
        };
        let from = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        // (rotation, enforcement, the mode judged, what Deactivate becomes)
        let cases = [
            (None, off, EnforceMode::Off, KeyVerdict::Deactivate),
            (
                Some(KeyRotation::WouldRotate),
                off,
                EnforceMode::Off,
                KeyVerdict::Deactivate,
            ),
            (
                Some(replaced(false)),
                off,
                EnforceMode::On,
                KeyVerdict::AwaitingNewKeyUse,
            ),
            (
                Some(replaced(true)),
                off,
                EnforceMode::On,
                KeyVerdict::Deactivate,
            ),
            (
                Some(KeyRotation::Rotated(replacement.clone())),
                off,
                EnforceMode::On,
                KeyVerdict::AwaitingNewKeyUse,
            ),
            // ENFORCE's own rules still apply to an overdue key.
            (
                Some(replaced(false)),
                enforcing,
                EnforceMode::On,
                KeyVerdict::Deactivate,
            ),
            // The new key gone: rotation stands aside.
            (
                Some(KeyRotation::NewKeyGone(replacement.clone())),
                off,
                EnforceMode::Off,
                KeyVerdict::Deactivate,
            ),
        ];
        for (rotation, enforcement, mode, deactivate) in cases {
            let key = overdue(rotation.clone());
            assert_eq!(
                retirement_mode(&enforcement, EnforceMode::On, &key),
                mode,
                "{rotation:?}"
            );
            assert_eq!(
                retirement(KeyVerdict::Deactivate, &enforcement, &key),
                deactivate,
                "{rotation:?}"
            );
            // Every other verdict passes as it is: the dates, the warning
            // and the cap are enforcement's.
            for other in [
                KeyVerdict::Wait { from },
                KeyVerdict::FinalWarning { from },
                KeyVerdict::NoOneToWarn,
                KeyVerdict::HeldByCap,
            ] {
                assert_eq!(retirement(other, &enforcement, &key), other);
            }
        }
        // ROTATE=dry_run after a rotation: judged, never acted on.
        let key = overdue(Some(replaced(true)));
        assert_eq!(
            retirement_mode(&off, EnforceMode::DryRun, &key),
            EnforceMode::DryRun
        );
    }
}
