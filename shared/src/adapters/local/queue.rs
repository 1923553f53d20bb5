//! The workflow queue in process (the local default): an unbounded channel with SQS's
//! contract — at-least-once delivery, a receive count, retries after the worker's
//! backoff, and a dead-letter list after `max_receive_count` receives.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use async_trait::async_trait;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    Result,
    ports::{Delivery, Queue, QueueConsumer, StepMessage},
};

#[derive(Clone)]
pub struct InProcessQueue {
    sender: mpsc::UnboundedSender<Delivery>,
    receiver: Arc<tokio::sync::Mutex<mpsc::UnboundedReceiver<Delivery>>>,
    dead_letters: Arc<Mutex<Vec<Delivery>>>,
    /// Receives after which a failing message is dead-lettered (SQS's `maxReceiveCount`).
    max_receive_count: u32,
}

impl InProcessQueue {
    pub fn new(max_receive_count: u32) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        Self {
            sender,
            receiver: Arc::new(tokio::sync::Mutex::new(receiver)),
            dead_letters: Arc::default(),
            max_receive_count,
        }
    }

    /// Messages that failed `max_receive_count` times (their runs are failed).
    pub fn dead_letters(&self) -> Vec<Delivery> {
        self.dead_letters
            .lock()
            .map(|letters| letters.clone())
            .unwrap_or_default()
    }

    /// Sends `deliveries` after `delay` (at once when it is zero).
    fn deliver_after(&self, deliveries: Vec<Delivery>, delay: Duration) {
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
            #[expect(
                clippy::disallowed_methods,
                reason = "a delayed message is the in-process queue's own timer, as SQS's DelaySeconds is SQS's"
            )]
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                deliver();
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
        self.deliver_after(deliveries, delay);
        Ok(())
    }
}

#[async_trait]
impl QueueConsumer for InProcessQueue {
    async fn receive(&self, max: usize, wait: Duration) -> Result<Vec<Delivery>> {
        let mut receiver = self.receiver.lock().await;
        let Ok(Some(first)) = tokio::time::timeout(wait, receiver.recv()).await else {
            return Ok(Vec::new());
        };
        let mut batch = vec![first];
        while batch.len() < max.max(1) {
            match receiver.try_recv() {
                Ok(delivery) => batch.push(delivery),
                Err(_) => break,
            }
        }
        for delivery in &mut batch {
            delivery.receive_count += 1;
        }
        Ok(batch)
    }

    async fn acknowledge(&self, _: &Delivery) -> Result<()> {
        Ok(())
    }

    async fn retry_later(&self, delivery: &Delivery, delay: Duration) -> Result<()> {
        if delivery.receive_count >= self.max_receive_count {
            if let Ok(mut letters) = self.dead_letters.lock() {
                letters.push(delivery.clone());
            }
            return Ok(());
        }
        self.deliver_after(vec![delivery.clone()], delay);
        Ok(())
    }
}
