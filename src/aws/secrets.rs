//! [`SecretStore`] on AWS Secrets Manager: CreateSecret (a secret with no
//! value yet, encrypted with the given KMS key, tagged), DescribeSecret
//! (never GetSecretValue: the function has no permission to read a value,
//! and no code that would), PutSecretValue.
//!
//! Relied on (AWS Secrets Manager API reference): CreateSecret without a
//! `SecretString` makes a secret that holds no value, and answers
//! `ResourceExistsException` for a name in use; DescribeSecret answers
//! `ResourceNotFoundException` for no such secret, and its
//! `VersionIdsToStages` is empty while no value was stored;
//! PutSecretValue stores a new version labelled `AWSCURRENT`;
//! DescribeSecret's `DeletedDate` is set while a secret is scheduled for
//! deletion (and a value cannot be put into it). The SDK's
//! `Debug` of a PutSecretValue request redacts the value.

use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::types::Tag;
use secrecy::{ExposeSecret, SecretString};

use crate::aws::lazy::Lazy;
use crate::aws::{classify, to_chrono};
use crate::error::Error;
use crate::ports::secrets::{SecretRef, SecretState, SecretStore, scheduled_for_deletion, value};

pub struct SecretsManagerStore {
    client: Lazy<Client>,
}

impl SecretsManagerStore {
    pub fn new(client: impl Into<Lazy<Client>>) -> SecretsManagerStore {
        SecretsManagerStore {
            client: client.into(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }
}

fn damaged(operation: &'static str, what: &str) -> Error {
    Error::damaged(
        "SecretsManager",
        operation,
        format!("the answer holds no {what}"),
    )
}

impl SecretStore for SecretsManagerStore {
    async fn ensure(
        &self,
        name: &str,
        kms_key_id: Option<&str>,
        tags: &[(String, String)],
    ) -> Result<SecretRef, Error> {
        let tags = tags
            .iter()
            .map(|(k, v)| Tag::builder().key(k).value(v).build())
            .collect();
        let created = self
            .client
            .create_secret()
            .name(name)
            .description(
                "An IAM access key, replaced by access-key-notifier (rotation for machine users)",
            )
            .set_kms_key_id(kms_key_id.map(str::to_string))
            .set_tags(Some(tags))
            .send()
            .await;
        match created {
            Ok(out) => Ok(SecretRef {
                name: name.to_string(),
                arn: out
                    .arn()
                    .ok_or_else(|| damaged("CreateSecret", "ARN"))?
                    .to_string(),
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_exists_exception()) =>
            {
                match self.describe(name).await? {
                    Some(state) if state.deleted => Err(scheduled_for_deletion(name)),
                    Some(state) => Ok(state.secret),
                    None => Err(Error::damaged(
                        "SecretsManager",
                        "DescribeSecret",
                        "a secret said to exist is not found",
                    )),
                }
            }
            Err(e) => Err(classify("SecretsManager", "CreateSecret", e)),
        }
    }

    async fn describe(&self, name: &str) -> Result<Option<SecretState>, Error> {
        let out = match self.client.describe_secret().secret_id(name).send().await {
            Ok(out) => out,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(classify("SecretsManager", "DescribeSecret", e)),
        };
        let arn = out.arn().ok_or_else(|| damaged("DescribeSecret", "ARN"))?;
        let created = out
            .created_date()
            .and_then(to_chrono)
            .ok_or_else(|| damaged("DescribeSecret", "CreatedDate"))?;
        let holds_value = out.version_ids_to_stages().is_some_and(|versions| {
            versions
                .values()
                .any(|stages| stages.iter().any(|s| s == "AWSCURRENT"))
        });
        let value_stored = if holds_value {
            Some(
                out.last_changed_date()
                    .and_then(to_chrono)
                    .ok_or_else(|| damaged("DescribeSecret", "LastChangedDate"))?,
            )
        } else {
            None
        };
        Ok(Some(SecretState {
            secret: SecretRef {
                name: name.to_string(),
                arn: arn.to_string(),
            },
            created,
            value_stored,
            deleted: out.deleted_date().is_some(),
        }))
    }

    async fn put(
        &self,
        secret: &SecretRef,
        access_key_id: &str,
        secret_access_key: &SecretString,
    ) -> Result<(), Error> {
        let value = value(access_key_id, secret_access_key);
        self.client
            .put_secret_value()
            .secret_id(&secret.arn)
            .secret_string(value.expose_secret())
            .send()
            .await
            .map_err(|e| classify("SecretsManager", "PutSecretValue", e))?;
        Ok(())
    }
}
