//! Idempotency records in DynamoDB (`IDEMPOTENCY_TABLE`, partition key `key`, TTL on
//! `ttl`). A claim is one conditional put; when the condition fails, the record that holds
//! the key is returned with the failure (or read back consistently), and a record that
//! vanished in between is claimed again: the path that broke in Powertools' utility.
//! DynamoDB deletes expired records late (moto never does), so expiry is decided here,
//! from `expires_at_ms`, never from the item's presence.

use std::{collections::HashMap, time::Duration};

use async_trait::async_trait;
use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    operation::put_item::PutItemError,
    primitives::Blob,
    types::{AttributeValue, ReturnValuesOnConditionCheckFailure},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{
    Error, Result,
    ports::{IdempotencyClaim, IdempotencyStore},
};

pub struct DynamoIdempotency {
    client: Client,
    table: String,
}

impl DynamoIdempotency {
    pub fn new(sdk: &aws_config::SdkConfig, table: &str) -> Self {
        Self {
            client: Client::new(sdk),
            table: table.to_owned(),
        }
    }

    async fn holder(&self, key: &str) -> Result<Option<HashMap<String, AttributeValue>>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| unavailable(&error))?;
        Ok(output.item)
    }
}

#[async_trait]
impl IdempotencyStore for DynamoIdempotency {
    async fn claim(
        &self,
        key: &str,
        claim_id: Uuid,
        request_hash: &[u8],
        now: DateTime<Utc>,
        in_progress_for: Duration,
        keep_for: Duration,
    ) -> Result<IdempotencyClaim> {
        // Twice at most: a holder that expires and vanishes between the failed put and the
        // read is claimed on the second try.
        for _ in 0..2 {
            let now_ms = now.timestamp_millis();
            let expires_ms = now_ms + millis(keep_for);
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("key", AttributeValue::S(key.to_owned()))
                .item("request_hash", AttributeValue::B(Blob::new(request_hash)))
                .item("status", AttributeValue::S("in_progress".into()))
                .item("claim_id", AttributeValue::S(claim_id.to_string()))
                .item(
                    "in_progress_expires_at_ms",
                    number(now_ms + millis(in_progress_for)),
                )
                .item("expires_at_ms", number(expires_ms))
                .item("ttl", number(expires_ms / 1000))
                .condition_expression(
                    "attribute_not_exists(#key) OR expires_at_ms <= :now \
                     OR (#status = :in_progress AND in_progress_expires_at_ms <= :now)",
                )
                .expression_attribute_names("#key", "key")
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":now", number(now_ms))
                .expression_attribute_values(
                    ":in_progress",
                    AttributeValue::S("in_progress".into()),
                )
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let holder = match put {
                Ok(_) => return Ok(IdempotencyClaim::Started),
                Err(SdkError::ServiceError(service))
                    if matches!(
                        service.err(),
                        PutItemError::ConditionalCheckFailedException(_)
                    ) =>
                {
                    match service.into_err() {
                        PutItemError::ConditionalCheckFailedException(failed) => {
                            match failed.item {
                                Some(item) => Some(item),
                                None => self.holder(key).await?,
                            }
                        }
                        _ => None,
                    }
                }
                Err(error) => return Err(unavailable(&error)),
            };
            let Some(item) = holder else { continue };
            let request_hash = match item.get("request_hash") {
                Some(AttributeValue::B(hash)) => hash.as_ref().to_vec(),
                _ => Vec::new(),
            };
            return Ok(match (item.get("status"), item.get("response")) {
                (Some(AttributeValue::S(status)), Some(AttributeValue::B(response)))
                    if status == "completed" =>
                {
                    IdempotencyClaim::Completed {
                        request_hash,
                        response: response.as_ref().to_vec(),
                    }
                }
                _ => IdempotencyClaim::InProgress { request_hash },
            });
        }
        Err(Error::Unavailable {
            dependency: "dynamodb",
            cause: format!("the idempotency record of {key} kept changing"),
        })
    }

    async fn complete(
        &self,
        key: &str,
        claim_id: Uuid,
        response: &[u8],
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> Result<bool> {
        let expires_ms = now.timestamp_millis() + millis(keep_for);
        let stored = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .update_expression(
                "SET #status = :completed, #response = :response, expires_at_ms = :expires, #ttl = :ttl",
            )
            .condition_expression("claim_id = :claim AND #status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#response", "response")
            .expression_attribute_names("#ttl", "ttl")
            .expression_attribute_values(":completed", AttributeValue::S("completed".into()))
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_string()))
            .expression_attribute_values(":response", AttributeValue::B(Blob::new(response)))
            .expression_attribute_values(":expires", number(expires_ms))
            .expression_attribute_values(":ttl", number(expires_ms / 1000))
            .send()
            .await;
        match stored {
            Ok(_) => Ok(true),
            Err(SdkError::ServiceError(service))
                if service.err().is_conditional_check_failed_exception() =>
            {
                Ok(false)
            }
            Err(error) => Err(unavailable(&error)),
        }
    }

    async fn release(&self, key: &str, claim_id: Uuid) -> Result<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("key", AttributeValue::S(key.to_owned()))
            .condition_expression("claim_id = :claim AND #status = :in_progress")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":in_progress", AttributeValue::S("in_progress".into()))
            .expression_attribute_values(":claim", AttributeValue::S(claim_id.to_string()))
            .send()
            .await
            .map(|_| ())
            .or_else(|error| match &error {
                SdkError::ServiceError(service)
                    if service.err().is_conditional_check_failed_exception() =>
                {
                    Ok(())
                }
                _ => Err(unavailable(&error)),
            })
    }

    /// An item holds at most 400 KB, its key and other attributes included; kept to what
    /// still fits when binary is counted as base64 (as moto measures it).
    fn max_response_bytes(&self) -> usize {
        280 * 1024
    }

    /// DynamoDB's TTL deletes expired records itself (and expired ones count as absent
    /// until it does).
    async fn forget_expired(&self, _: DateTime<Utc>) -> Result<u64> {
        Ok(0)
    }
}

fn number(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX / 2)
}

fn unavailable(error: &(dyn std::error::Error + 'static)) -> Error {
    Error::Unavailable {
        dependency: "dynamodb",
        cause: crate::error::describe_chain(error),
    }
}
