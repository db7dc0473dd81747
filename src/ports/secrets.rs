//! The secret store port: where a rotated key's new secret goes (Secrets
//! Manager in `aws::secrets`, in memory in `ports::memory::secrets`). The
//! one way a secret access key leaves the process is [`SecretStore::put`];
//! nothing reads a secret's value back.

use std::future::Future;

use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::error::Error;

/// A secret, as the store names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub arn: String,
}

/// What the store says of a secret, never its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretState {
    pub secret: SecretRef,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When a value was last stored in it; `None`: it holds no value.
    pub value_stored: Option<DateTime<Utc>>,
    /// It is scheduled for deletion (DescribeSecret's `DeletedDate`): no
    /// new value goes into it.
    pub deleted: bool,
}

pub trait SecretStore: Send + Sync {
    /// The secret `name`: created (encrypted with `kms_key_id`, or the
    /// store's default key; tagged with `tags`), or, when it exists
    /// already, as it is (a user's secret serves every rotation of theirs).
    /// A secret scheduled for deletion is refused (a permanent error that
    /// says how to restore it): a key stored there would be lost.
    fn ensure(
        &self,
        name: &str,
        kms_key_id: Option<&str>,
        tags: &[(String, String)],
    ) -> impl Future<Output = Result<SecretRef, Error>> + Send;

    /// What the store says of `name`; `None` when there is no such secret.
    fn describe(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<SecretState>, Error>> + Send;

    /// Stores a new value in `secret`: the key `access_key_id` and its
    /// `secret_access_key`, as JSON `{"AccessKeyId", "SecretAccessKey"}`,
    /// the value consumers read (the AWS CLI's and SDKs' field names).
    fn put(
        &self,
        secret: &SecretRef,
        access_key_id: &str,
        secret_access_key: &SecretString,
    ) -> impl Future<Output = Result<(), Error>> + Send;
}

/// The error for a secret scheduled for deletion.
pub(crate) fn scheduled_for_deletion(name: &str) -> Error {
    Error::Aws {
        service: "SecretsManager",
        operation: "CreateSecret",
        code: Some("SecretScheduledForDeletion".into()),
        message: format!(
            "the secret {name} is scheduled for deletion: restore it (aws secretsmanager restore-secret --secret-id {name}) for the next run to use it"
        ),
        retryable: false,
    }
}

/// The value stored for a key: `{"AccessKeyId": …, "SecretAccessKey": …}`.
/// Built only where it is handed to the store.
pub(crate) fn value(access_key_id: &str, secret_access_key: &SecretString) -> SecretString {
    use secrecy::ExposeSecret;
    let value = serde_json::json!({
        "AccessKeyId": access_key_id,
        "SecretAccessKey": secret_access_key.expose_secret(),
    });
    SecretString::from(value.to_string())
}
