//! [`IdempotencyStore`] on a DynamoDB table with a string partition key `pk`
//! and TTL on `expires_at`. Items: `pk` (the event id), `status`
//! (`IN_PROGRESS` or `COMPLETED`), `expires_at` (epoch seconds), `outcome`
//! (JSON). TTL deletes lazily, so every check compares `expires_at` itself.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Claim, IdempotencyStore};
use crate::aws::classify;
use crate::error::Error;

const IN_PROGRESS: &str = "IN_PROGRESS";
const COMPLETED: &str = "COMPLETED";

pub struct DynamoDbStore {
    client: Client,
    table: String,
}

impl DynamoDbStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoDbStore {
        DynamoDbStore {
            client,
            table: table.into(),
        }
    }
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}

fn n(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(t.timestamp().to_string())
}

impl IdempotencyStore for DynamoDbStore {
    async fn claim(
        &self,
        event_id: &str,
        now: DateTime<Utc>,
        in_progress_until: DateTime<Utc>,
    ) -> Result<Claim, Error> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(event_id))
            .item("status", s(IN_PROGRESS))
            .item("expires_at", n(in_progress_until))
            .condition_expression(
                "attribute_not_exists(pk) OR (#status = :in_progress AND expires_at < :now)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .expression_attribute_values(":now", n(now))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let err = match put {
            Ok(_) => return Ok(Claim::Acquired),
            Err(err) => err,
        };
        let Some(existing) = (match err.as_service_error() {
            Some(PutItemError::ConditionalCheckFailedException(e)) => {
                Some(e.item().cloned().unwrap_or_default())
            }
            _ => None,
        }) else {
            return Err(classify("DynamoDB", "PutItem", err));
        };
        let status = existing.get("status").and_then(|v| v.as_s().ok());
        if status.map(String::as_str) != Some(COMPLETED) {
            return Ok(Claim::InProgress);
        }
        let outcome = existing
            .get("outcome")
            .and_then(|v| v.as_s().ok())
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(Value::Null);
        Ok(Claim::Completed(outcome))
    }

    async fn complete(
        &self,
        event_id: &str,
        outcome: &Value,
        expires: DateTime<Utc>,
    ) -> Result<(), Error> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(event_id))
            .item("status", s(COMPLETED))
            .item("expires_at", n(expires))
            .item("outcome", s(&outcome.to_string()))
            .send()
            .await
            .map_err(|e| classify("DynamoDB", "PutItem", e))?;
        Ok(())
    }

    async fn release(&self, event_id: &str) -> Result<(), Error> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(event_id))
            .condition_expression("#status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", s(IN_PROGRESS))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Already completed or gone: nothing to release.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(classify("DynamoDB", "DeleteItem", e)),
        }
    }
}
