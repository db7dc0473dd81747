//! [`SecretStore`] in memory, for the flow tests, the bench and the demo:
//! each secret with its ARN, tags and every value stored (a test may look
//! at them; the program never does). Failures are scripted per operation
//! (`CreateSecret`, `DescribeSecret`, `PutSecretValue`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::script::Script;
use crate::error::Error;
use crate::ports::secrets::{SecretRef, SecretState, SecretStore, scheduled_for_deletion, value};
use crate::sync::lock;

/// One secret as stored.
#[derive(Debug, Clone)]
pub struct Stored {
    pub arn: String,
    pub created: DateTime<Utc>,
    pub kms_key_id: Option<String>,
    pub tags: Vec<(String, String)>,
    /// Every value stored, oldest first, with when.
    pub values: Vec<(DateTime<Utc>, String)>,
    /// Scheduled for deletion.
    pub deleted: bool,
}

pub struct MemorySecrets {
    account: String,
    secrets: Mutex<BTreeMap<String, Stored>>,
    /// The time stored values are stamped with (the flows' clock is the
    /// tests' own; the store takes what it is told).
    now: Mutex<DateTime<Utc>>,
    pub script: Script,
}

impl MemorySecrets {
    /// The store of `account`, stamping what it stores with
    /// [`set_now`](MemorySecrets::set_now)'s time (the epoch until then).
    pub fn new(account: &str) -> MemorySecrets {
        MemorySecrets {
            account: account.to_string(),
            secrets: Mutex::new(BTreeMap::new()),
            now: Mutex::new(DateTime::UNIX_EPOCH),
            script: Script::default(),
        }
    }

    /// The time the store stamps what it is given with from now on.
    pub fn set_now(&self, now: DateTime<Utc>) {
        *lock(&self.now) = now;
    }

    /// Schedules the secret `name` for deletion, as DeleteSecret with a
    /// recovery window does.
    #[cfg(test)]
    pub(crate) fn schedule_deletion(&self, name: &str) {
        if let Some(s) = lock(&self.secrets).get_mut(name) {
            s.deleted = true;
        }
    }

    /// Every secret, by name.
    pub fn secrets(&self) -> BTreeMap<String, Stored> {
        lock(&self.secrets).clone()
    }
}

impl SecretStore for MemorySecrets {
    async fn ensure(
        &self,
        name: &str,
        kms_key_id: Option<&str>,
        tags: &[(String, String)],
    ) -> Result<SecretRef, Error> {
        self.script.answer("CreateSecret").await?;
        let now = *lock(&self.now);
        let mut secrets = lock(&self.secrets);
        let stored = secrets.entry(name.to_string()).or_insert_with(|| Stored {
            arn: format!(
                "arn:aws:secretsmanager:us-east-1:{}:secret:{name}-AbCdEf",
                self.account
            ),
            created: now,
            kms_key_id: kms_key_id.map(str::to_string),
            tags: tags.to_vec(),
            values: Vec::new(),
            deleted: false,
        });
        if stored.deleted {
            return Err(scheduled_for_deletion(name));
        }
        Ok(SecretRef {
            name: name.to_string(),
            arn: stored.arn.clone(),
        })
    }

    async fn describe(&self, name: &str) -> Result<Option<SecretState>, Error> {
        self.script.answer("DescribeSecret").await?;
        Ok(lock(&self.secrets).get(name).map(|s| SecretState {
            secret: SecretRef {
                name: name.to_string(),
                arn: s.arn.clone(),
            },
            created: s.created,
            value_stored: s.values.last().map(|(t, _)| *t),
            deleted: s.deleted,
        }))
    }

    async fn put(
        &self,
        secret: &SecretRef,
        access_key_id: &str,
        secret_access_key: &SecretString,
    ) -> Result<(), Error> {
        self.script.answer("PutSecretValue").await?;
        let now = *lock(&self.now);
        let mut secrets = lock(&self.secrets);
        let Some(stored) = secrets.get_mut(&secret.name) else {
            return Err(Error::Aws {
                service: "SecretsManager",
                operation: "PutSecretValue",
                code: Some("ResourceNotFoundException".into()),
                message: "no such secret".into(),
                retryable: false,
            });
        };
        let value = value(access_key_id, secret_access_key);
        stored.values.push((now, value.expose_secret().to_string()));
        Ok(())
    }
}
