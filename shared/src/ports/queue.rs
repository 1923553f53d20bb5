//! The queue that carries "run this step" messages to the workflow workers: SQS, or in
//! process.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// "Run this step of this run": the body of every queue message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepMessage {
    pub run_id: Uuid,
    pub step: String,
    /// Moved back from the dead-letter queue by an operator: only such a message opens
    /// its dead-lettered run again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub redriven: bool,
}

/// Where step messages go. Delivery is at least once and in no particular order: the
/// worker is idempotent per (run, step).
#[async_trait]
pub trait Queue: Send + Sync {
    async fn send(&self, messages: &[StepMessage]) -> crate::Result<()> {
        self.send_after(messages, Duration::ZERO).await
    }
    /// Sends messages that become visible after `delay` (SQS allows at most 15 minutes).
    async fn send_after(&self, messages: &[StepMessage], delay: Duration) -> crate::Result<()>;
}

/// The longest delay a message may be sent with (SQS's `DelaySeconds` limit).
pub const MAX_SEND_DELAY: Duration = Duration::from_secs(900);

/// One received message, as a worker sees it.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message_id: String,
    pub body: String,
    /// How many times it has been received, this time included.
    pub receive_count: u32,
    /// What the queue needs to delay or delete it (SQS's receipt handle).
    pub receipt: Option<String>,
}

/// What the worker decided about one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Done with it (the step finished, or there is nothing left to do): delete.
    Done,
    /// Try it again after this long (a retry with backoff, or a step still in flight).
    Retry(Duration),
}

/// The receiving end of the step queue: what a worker loop takes messages from and
/// settles them with. At least once: a message neither acknowledged nor retried comes
/// back (SQS: after its visibility timeout).
#[async_trait]
pub trait QueueConsumer: Send + Sync {
    /// Up to `max` messages, waiting at most `wait` for the first (none when none came).
    async fn receive(&self, max: usize, wait: Duration) -> crate::Result<Vec<Delivery>>;
    /// Done with a delivery: it is not delivered again.
    async fn acknowledge(&self, delivery: &Delivery) -> crate::Result<()>;
    /// Delivers it again after `delay`; a message received the queue's maximum number of
    /// times goes to the dead-letter queue instead.
    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> crate::Result<()>;
}
