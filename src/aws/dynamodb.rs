//! [`NoticeLedger`] on a DynamoDB table with a string partition key `pk` and
//! TTL on `expires_at`. Items: `pk` ([`NoticeKey::pk`]), `status`
//! (`CLAIMED` or `SENT`), `expires_at` (epoch seconds: the claim's end, or
//! the record's), `owner` (the claiming invocation), and on a sent record
//! `account`, `stage`, `user`, `source`, `sent_at`, `message_id`.
//!
//! A key's warning is the item `warning#ACCOUNT#KEYID` ([`warning_pk`]) with
//! `key_created`, `first_sent` (epoch seconds), `announced` (an ISO date),
//! `expires_at` and `version`. It is written by optimistic concurrency: a
//! consistent read, [`Warning::merged`] with what was read, and a PutItem
//! on the condition that `version` is still the one read (retried a few
//! times), so the merge rule lives in one pure function and concurrent
//! writers never lose the later date.
//!
//! A key's rotation is its `rotation` stage's item, claimed like any stage,
//! marked with `started_at` (epoch seconds) just before the new key is
//! created, and then recorded with `new_key_id`, `new_key_created` (epoch
//! seconds), `secret_name` and `secret_arn`: where the new key's secret
//! is, never the secret.
//!
//! An account's sweep position is the item `sweep#ACCOUNT` with
//! `resume_from` (a user name) and `expires_at`.
//!
//! A claim is one conditional PutItem that returns the old item when the
//! condition fails (`ReturnValuesOnConditionCheckFailure`), so telling
//! "sent" from "held" costs no second request.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, NaiveDate, Utc};

use crate::aws::classify;
use crate::aws::lazy::Lazy;
use crate::enforcement::Warning;
use crate::error::Error;
use crate::model::Replacement;
use crate::ports::ledger::{
    Claim, ClaimRequest, DEACTIVATIONS_DAYS, NoticeKey, NoticeLedger, RotationRecord, SUMMARY_DAYS,
    SWEEP_RESUME_DAYS, SentRecord, deactivations_pk, rotation_key, summary_pk, sweep_pk,
    warning_pk,
};

const CLAIMED: &str = "CLAIMED";
const SENT: &str = "SENT";

pub struct DynamoDbLedger {
    client: Lazy<Client>,
    table: String,
}

impl DynamoDbLedger {
    pub fn new(client: impl Into<Lazy<Client>>, table: impl Into<String>) -> DynamoDbLedger {
        DynamoDbLedger {
            client: client.into(),
            table: table.into(),
        }
    }

    /// Whether the client has been built (it is, at its first call).
    pub(crate) fn client_built(&self) -> bool {
        self.client.is_built()
    }

    /// The item `pk` (a consistent read), `None` when it is missing.
    async fn item(&self, pk: &str) -> Result<Option<HashMap<String, AttributeValue>>, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "GetItem", e))?;
        Ok(out.item)
    }

    /// The string attribute `name` of the item `pk`, `None` when the item
    /// or the attribute is missing.
    async fn string_attribute(&self, pk: &str, name: &str) -> Result<Option<String>, Error> {
        let item = self.item(pk).await?;
        Ok(item
            .as_ref()
            .and_then(|item| item.get(name))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }

    /// The warning item `pk` (a consistent read); `None` when it is missing
    /// or unreadable as one.
    async fn stored_warning(&self, pk: &str) -> Result<Option<StoredWarning>, Error> {
        let Some(item) = self.item(pk).await? else {
            return Ok(None);
        };
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        let time = |name: &str| number(name).and_then(|t| DateTime::from_timestamp(t, 0));
        let announced = item
            .get("announced")
            .and_then(|v| v.as_s().ok())
            .and_then(|v| v.parse::<NaiveDate>().ok());
        let version = number("version")
            .and_then(|v| u64::try_from(v).ok())
            .unwrap_or(0);
        // An item missing a field is unreadable: no warning counts, and
        // the next write replaces it (on its version).
        let warning = match (time("key_created"), time("first_sent"), announced) {
            (Some(key_created), Some(first_sent), Some(announced)) => Some(Warning {
                key_created,
                first_sent,
                announced,
            }),
            _ => None,
        };
        Ok(Some(StoredWarning {
            warning,
            expires_at: number("expires_at").unwrap_or(i64::MIN),
            version,
        }))
    }
}

/// How many read-merge-write rounds a warning gets before the write is
/// reported as failed (each round loses only to a writer that succeeded).
const WARNING_ATTEMPTS: usize = 4;

/// A warning item as read.
struct StoredWarning {
    warning: Option<Warning>,
    expires_at: i64,
    version: u64,
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(t.timestamp().to_string())
}

impl NoticeLedger for DynamoDbLedger {
    async fn claim(&self, key: &NoticeKey, request: &ClaimRequest) -> Result<Claim, Error> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&key.pk()))
            .item("status", s(CLAIMED))
            .item("owner", s(&request.owner))
            .item("expires_at", n(request.until))
            .condition_expression("attribute_not_exists(pk) OR expires_at < :now")
            .expression_attribute_values(":now", n(request.now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match put {
            Ok(_) => return Ok(Claim::Acquired),
            Err(err) => err,
        };
        // The claim asks for the old item on a failed condition
        // (ReturnValuesOnConditionCheckFailure=ALL_OLD), and a condition
        // can only fail on an item that exists: an answer without it is
        // damaged.
        let existing = match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(e)) => match e.item() {
                Some(item) => item.clone(),
                None => {
                    return Err(Error::damaged(
                        "DynamoDB",
                        "PutItem",
                        "a failed claim was answered without the item that holds it",
                    ));
                }
            },
            _ => return Err(classify("DynamoDB", "PutItem", err)),
        };
        match existing.get("status").and_then(|v| v.as_s().ok()) {
            Some(status) if status == SENT => Ok(Claim::AlreadySent),
            _ => Ok(Claim::HeldElsewhere),
        }
    }

    async fn record_sent(&self, key: &NoticeKey, record: &SentRecord) -> Result<(), Error> {
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&key.pk()))
            .item("status", s(SENT))
            .item("account", s(&key.account))
            .item("stage", s(&key.stage.code()))
            .item("user", s(&record.user))
            .item("source", s(&record.source))
            .item("sent_at", n(record.sent_at))
            .item("expires_at", n(record.expires_at));
        if let Some(id) = &record.message_id {
            put = put.item("message_id", s(id));
        }
        put.send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DynamoDB", "PutItem", e))
    }

    async fn release(&self, key: &NoticeKey, owner: &str) -> Result<(), Error> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(&key.pk()))
            .condition_expression("#status = :claimed AND #owner = :owner")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":claimed", s(CLAIMED))
            .expression_attribute_values(":owner", s(owner))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Sent, gone, or claimed by someone else since: not ours to drop.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("DynamoDB", "DeleteItem", e)),
        }
    }

    async fn is_sent(&self, key: &NoticeKey, now: DateTime<Utc>) -> Result<bool, Error> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(&key.pk()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "GetItem", e))?;
        let Some(item) = out.item() else {
            return Ok(false);
        };
        let sent = item
            .get("status")
            .and_then(|v| v.as_s().ok())
            .is_some_and(|status| status == SENT);
        let live = item
            .get("expires_at")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|t| t >= now.timestamp());
        Ok(sent && live)
    }

    async fn warning(
        &self,
        account: &str,
        access_key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Warning>, Error> {
        let stored = self
            .stored_warning(&warning_pk(account, access_key_id))
            .await?;
        Ok(stored
            .filter(|w| w.expires_at >= now.timestamp())
            .and_then(|w| w.warning))
    }

    async fn record_warning(
        &self,
        account: &str,
        access_key_id: &str,
        warning: &Warning,
        expires_at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let pk = warning_pk(account, access_key_id);
        for _ in 0..WARNING_ATTEMPTS {
            let stored = self.stored_warning(&pk).await?;
            let live = stored
                .as_ref()
                .filter(|w| w.warning.is_some() && w.expires_at >= warning.first_sent.timestamp());
            let merged = Warning::merged(live.and_then(|w| w.warning), *warning);
            let expires = live.map_or(expires_at.timestamp(), |w| {
                w.expires_at.max(expires_at.timestamp())
            });
            let version = stored.as_ref().map_or(0, |w| w.version);
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(&pk))
                .item("key_created", n(merged.key_created))
                .item("first_sent", n(merged.first_sent))
                .item("announced", s(&merged.announced.to_string()))
                .item("expires_at", AttributeValue::N(expires.to_string()))
                .item("version", AttributeValue::N((version + 1).to_string()));
            put = match stored {
                None => put.condition_expression("attribute_not_exists(pk)"),
                Some(_) => put
                    .condition_expression("version = :read")
                    .expression_attribute_values(":read", AttributeValue::N(version.to_string())),
            };
            match put.send().await {
                Ok(_) => return Ok(()),
                // Another writer came between the read and the write: read
                // again and merge with what it wrote.
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
                Err(e) => return Err(classify("DynamoDB", "PutItem", e)),
            }
        }
        Err(Error::Aws {
            service: "DynamoDB",
            operation: "PutItem",
            code: Some("WarningContended".into()),
            message: format!("the warning changed under {WARNING_ATTEMPTS} writes in a row"),
            retryable: true,
        })
    }

    async fn rotation(
        &self,
        account: &str,
        old_key_id: &str,
        now: DateTime<Utc>,
    ) -> Result<RotationRecord, Error> {
        let pk = rotation_key(account, old_key_id).pk();
        let Some(item) = self.item(&pk).await? else {
            return Ok(RotationRecord::None);
        };
        let string = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let number = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse::<i64>().ok())
        };
        let time = |name: &str| number(name).and_then(|t| DateTime::from_timestamp(t, 0));
        match string("status").as_deref() {
            Some(CLAIMED) => {
                return Ok(time("started_at").map_or(RotationRecord::None, RotationRecord::Started));
            }
            Some(SENT) if number("expires_at").is_some_and(|t| t >= now.timestamp()) => {}
            _ => return Ok(RotationRecord::None),
        }
        // A sent rotation without its replacement is a damaged record: the
        // new key would be lost from sight, never retired on its evidence.
        match (
            string("new_key_id"),
            time("new_key_created"),
            string("secret_name"),
            string("secret_arn"),
        ) {
            (Some(new_key_id), Some(new_key_created), Some(secret_name), Some(secret_arn)) => {
                Ok(RotationRecord::Replaced(Replacement {
                    new_key_id,
                    new_key_created,
                    secret_name,
                    secret_arn,
                }))
            }
            _ => Err(Error::damaged(
                "DynamoDB",
                "GetItem",
                "a rotation record holds no replacement",
            )),
        }
    }

    async fn start_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> Result<(), Error> {
        let key = rotation_key(account, old_key_id);
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&key.pk()))
            .update_expression("SET started_at = :at")
            .condition_expression("#status = :claimed AND #owner = :owner")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":claimed", s(CLAIMED))
            .expression_attribute_values(":owner", s(owner))
            .expression_attribute_values(":at", n(at))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(key.in_progress())
            }
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }

    async fn record_rotation(
        &self,
        account: &str,
        old_key_id: &str,
        replacement: &Replacement,
        record: &SentRecord,
    ) -> Result<(), Error> {
        let key = rotation_key(account, old_key_id);
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&key.pk()))
            .item("status", s(SENT))
            .item("account", s(account))
            .item("stage", s(&key.stage.code()))
            .item("user", s(&record.user))
            .item("source", s(&record.source))
            .item("sent_at", n(record.sent_at))
            .item("expires_at", n(record.expires_at))
            .item("new_key_id", s(&replacement.new_key_id))
            .item("new_key_created", n(replacement.new_key_created))
            .item("secret_name", s(&replacement.secret_name))
            .item("secret_arn", s(&replacement.secret_arn))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DynamoDB", "PutItem", e))
    }

    async fn sweep_resume(&self, account: &str) -> Result<Option<String>, Error> {
        self.string_attribute(&sweep_pk(account), "resume_from")
            .await
    }

    async fn set_sweep_resume(
        &self,
        account: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), Error> {
        let pk = s(&sweep_pk(account));
        match user {
            Some(user) => self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", pk)
                .item("resume_from", s(user))
                .item(
                    "expires_at",
                    n(now + chrono::Duration::days(SWEEP_RESUME_DAYS)),
                )
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("DynamoDB", "PutItem", e)),
            None => self
                .client
                .delete_item()
                .table_name(&self.table)
                .key("pk", pk)
                .send()
                .await
                .map(|_| ())
                .map_err(|e| classify("DynamoDB", "DeleteItem", e)),
        }
    }

    async fn put_summary(&self, run: NaiveDate, account: &str, summary: &str) -> Result<(), Error> {
        let expires = run
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() + chrono::Duration::days(SUMMARY_DAYS))
            .unwrap_or_else(Utc::now);
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&summary_pk(run, account)))
            .item("summary", s(summary))
            .item("expires_at", n(expires))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| classify("DynamoDB", "PutItem", e))
    }

    async fn summary(&self, run: NaiveDate, account: &str) -> Result<Option<String>, Error> {
        self.string_attribute(&summary_pk(run, account), "summary")
            .await
    }

    async fn take_deactivation(
        &self,
        account: &str,
        day: NaiveDate,
        max: u32,
    ) -> Result<bool, Error> {
        let expires = day
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc() + chrono::Duration::days(DEACTIVATIONS_DAYS))
            .unwrap_or_else(Utc::now);
        // One conditional UpdateItem: the count goes up only while it is
        // below the cap, whoever else is counting at the same moment.
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&deactivations_pk(account, day)))
            .update_expression(
                "SET #count = if_not_exists(#count, :zero) + :one, expires_at = :expires",
            )
            .condition_expression("attribute_not_exists(#count) OR #count < :max")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":max", AttributeValue::N(max.to_string()))
            .expression_attribute_values(":expires", n(expires))
            .send()
            .await;
        match taken {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }

    async fn give_back_deactivation(&self, account: &str, day: NaiveDate) -> Result<(), Error> {
        let given = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&deactivations_pk(account, day)))
            .update_expression("SET #count = #count - :one")
            .condition_expression("#count > :zero")
            .expression_attribute_names("#count", "count")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match given {
            Ok(_) => Ok(()),
            // Nothing to give back: the count is already zero.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(UpdateItemError::ConditionalCheckFailedException(_))
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("DynamoDB", "UpdateItem", e)),
        }
    }
}
