//! The workflow queue in process (the local default): an unbounded channel and a consumer
//! task with SQS's contract — at-least-once delivery, a receive count, retries after the
//! worker's backoff, and a dead-letter list after `max_receive_count` failures.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use tokio::sync::{Semaphore, mpsc};
use uuid::Uuid;

use crate::{
    Result,
    ports::{Delivery, Queue, StepMessage, Verdict},
    services::workflows::WorkflowService,
};

/// Steps the consumer runs at once: few enough that their agent runs (a map step runs up
/// to 10 at once) never starve the database pool the API shares.
const CONCURRENCY: usize = 4;

#[derive(Clone)]
pub struct InProcessQueue {
    sender: mpsc::UnboundedSender<Delivery>,
    dead_letters: Arc<Mutex<Vec<Delivery>>>,
}

/// The consuming end, handed to [`InProcessQueue::consume`] once the service exists.
pub struct InProcessReceiver(mpsc::UnboundedReceiver<Delivery>);

impl InProcessQueue {
    pub fn new() -> (Self, InProcessReceiver) {
        let (sender, receiver) = mpsc::unbounded_channel();
        (
            Self {
                sender,
                dead_letters: Arc::default(),
            },
            InProcessReceiver(receiver),
        )
    }

    /// Messages that failed `max_receive_count` times (their runs are failed).
    pub fn dead_letters(&self) -> Vec<Delivery> {
        self.dead_letters
            .lock()
            .map(|letters| letters.clone())
            .unwrap_or_default()
    }

    /// Runs the worker over this queue until the process ends (spawned by the state).
    pub async fn consume(self, receiver: InProcessReceiver, service: Arc<WorkflowService>) {
        let InProcessReceiver(mut receiver) = receiver;
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        while let Some(mut delivery) = receiver.recv().await {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let service = service.clone();
            let queue = self.clone();
            tokio::spawn(async move {
                delivery.receive_count += 1;
                let verdict = service.process(&delivery).await;
                drop(slot);
                let delay = match verdict {
                    Ok(Verdict::Done) => return,
                    Ok(Verdict::Retry(delay)) => delay,
                    Err(error) => {
                        tracing::warn!(message_id = %delivery.message_id, receive_count = delivery.receive_count, error = %error, "workflow step message failed");
                        service.settings().retry_base
                    }
                };
                if delivery.receive_count >= service.settings().max_receive_count {
                    if let Ok(mut letters) = queue.dead_letters.lock() {
                        letters.push(delivery);
                    }
                    return;
                }
                tokio::time::sleep(delay).await;
                let _ = queue.sender.send(delivery);
            });
        }
    }
}

#[async_trait]
impl Queue for InProcessQueue {
    async fn send_after(&self, messages: &[StepMessage], delay: Duration) -> Result<()> {
        let mut deliveries = Vec::with_capacity(messages.len());
        for message in messages {
            let body = serde_json::to_string(message)
                .map_err(|error| crate::Error::Internal(format!("a step message: {error}")))?;
            deliveries.push(Delivery {
                message_id: Uuid::now_v7().to_string(),
                body,
                receive_count: 0,
                receipt: None,
            });
        }
        if self.sender.is_closed() {
            return Err(crate::Error::Unavailable {
                dependency: "queue",
                cause: "the in-process workflow worker has stopped".into(),
            });
        }
        let sender = self.sender.clone();
        let deliver = move || {
            for delivery in deliveries {
                // Closed only when the process is stopping, with the messages of the rest.
                let _ = sender.send(delivery);
            }
        };
        if delay.is_zero() {
            deliver();
        } else {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                deliver();
            });
        }
        Ok(())
    }
}
