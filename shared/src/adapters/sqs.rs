//! The workflow queue on Amazon SQS: step messages sent in batches of ten; in AWS the
//! `workflow-worker` function receives them through its event source mapping, and tests
//! and `agora workflows redrive` receive, delay and move them here.

use std::time::Duration;

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_sdk_sqs::types::{MessageSystemAttributeName, SendMessageBatchRequestEntry};

use crate::{
    Error, Result,
    ports::{Delivery, MAX_SEND_DELAY, Queue, QueueConsumer, StepMessage},
};

/// SQS's largest batch.
const BATCH: usize = 10;

#[derive(Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

fn failed(action: &str, error: impl std::error::Error) -> Error {
    Error::Unavailable {
        dependency: "sqs",
        cause: format!("{action}: {}", crate::error::describe_chain(&error)),
    }
}

impl SqsQueue {
    pub fn new(sdk: &SdkConfig, url: &str) -> Self {
        Self {
            client: aws_sdk_sqs::Client::new(sdk),
            url: url.to_owned(),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Up to ten messages, waiting at most `wait` for the first.
    pub async fn receive(&self, max: i32, wait: Duration) -> Result<Vec<Delivery>> {
        let output = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(max.clamp(1, 10))
            .wait_time_seconds(i32::try_from(wait.as_secs()).unwrap_or(20).min(20))
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .send()
            .await
            .map_err(|error| failed("ReceiveMessage", error))?;
        Ok(output
            .messages
            .unwrap_or_default()
            .into_iter()
            .map(|message| Delivery {
                receive_count: message
                    .attributes
                    .as_ref()
                    .and_then(|attributes| {
                        attributes.get(&MessageSystemAttributeName::ApproximateReceiveCount)
                    })
                    .and_then(|count| count.parse().ok())
                    .unwrap_or(1),
                message_id: message.message_id.unwrap_or_default(),
                body: message.body.unwrap_or_default(),
                receipt: message.receipt_handle,
            })
            .collect())
    }

    pub async fn delete(&self, receipt: &str) -> Result<()> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|error| failed("DeleteMessage", error))?;
        Ok(())
    }

    /// Makes a received message visible again after `delay` (a retry's backoff).
    pub async fn delay(&self, receipt: &str, delay: Duration) -> Result<()> {
        self.client
            .change_message_visibility()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .visibility_timeout(i32::try_from(delay.as_secs()).unwrap_or(43_200).min(43_200))
            .send()
            .await
            .map_err(|error| failed("ChangeMessageVisibility", error))?;
        Ok(())
    }

    /// Sends raw bodies (redrive keeps them as they were), visible after `delay`.
    pub async fn send_bodies(&self, bodies: &[String], delay: Duration) -> Result<()> {
        let delay_seconds = i32::try_from(delay.min(MAX_SEND_DELAY).as_secs()).unwrap_or(900);
        for chunk in bodies.chunks(BATCH) {
            let entries = chunk
                .iter()
                .enumerate()
                .map(|(index, body)| {
                    SendMessageBatchRequestEntry::builder()
                        .id(index.to_string())
                        .message_body(body)
                        .delay_seconds(delay_seconds)
                        .build()
                        .map_err(|error| failed("SendMessageBatch", error))
                })
                .collect::<Result<Vec<_>>>()?;
            let output = self
                .client
                .send_message_batch()
                .queue_url(&self.url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|error| failed("SendMessageBatch", error))?;
            if let Some(first) = output.failed.first() {
                return Err(Error::Unavailable {
                    dependency: "sqs",
                    cause: format!(
                        "SendMessageBatch refused {} of {} messages: {}",
                        output.failed.len(),
                        chunk.len(),
                        first.message.clone().unwrap_or_else(|| first.code.clone())
                    ),
                });
            }
        }
        Ok(())
    }

    /// Moves every message of this queue (a DLQ) back to `target`, each sent before it is
    /// deleted here (a crash in between duplicates a message; the worker is idempotent).
    /// Returns how many moved; `on_moved` hears of each.
    pub async fn redrive_to(
        &self,
        target: &SqsQueue,
        mut on_moved: impl FnMut(usize),
    ) -> Result<usize> {
        let mut moved = 0;
        loop {
            let batch = self.receive(10, Duration::from_secs(1)).await?;
            if batch.is_empty() {
                return Ok(moved);
            }
            let bodies: Vec<String> = batch
                .iter()
                .map(|delivery| redriven(&delivery.body))
                .collect();
            target.send_bodies(&bodies, Duration::ZERO).await?;
            for delivery in &batch {
                if let Some(receipt) = &delivery.receipt {
                    self.delete(receipt).await?;
                }
            }
            moved += batch.len();
            on_moved(moved);
        }
    }
}

/// The body of a message moved back from the dead-letter queue: marked, so its run opens
/// again. A body that is not a step message goes back as it was (and dead-letters again).
fn redriven(body: &str) -> String {
    match serde_json::from_str::<StepMessage>(body) {
        Ok(message) => serde_json::to_string(&StepMessage {
            redriven: true,
            ..message
        })
        .unwrap_or_else(|_| body.to_owned()),
        Err(_) => body.to_owned(),
    }
}

#[async_trait]
impl Queue for SqsQueue {
    async fn send_after(&self, messages: &[StepMessage], delay: Duration) -> Result<()> {
        let bodies = messages
            .iter()
            .map(|message| {
                serde_json::to_string(message)
                    .map_err(|error| Error::Internal(format!("a step message: {error}")))
            })
            .collect::<Result<Vec<_>>>()?;
        self.send_bodies(&bodies, delay).await
    }
}

#[async_trait]
impl QueueConsumer for SqsQueue {
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        SqsQueue::receive(self, i32::try_from(max).unwrap_or(10), wait).await
    }

    async fn acknowledge(&self, delivery: &Delivery) -> Result<()> {
        match &delivery.receipt {
            Some(receipt) => self.delete(receipt).await,
            None => Ok(()),
        }
    }

    /// SQS's redrive policy dead-letters a message received `maxReceiveCount` times.
    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        match &delivery.receipt {
            Some(receipt) => self.delay(receipt, delay).await,
            None => Ok(()),
        }
    }
}
