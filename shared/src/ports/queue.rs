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
