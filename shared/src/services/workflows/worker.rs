//! The workflow worker: the one place step messages are taken off the queue, run and
//! settled. In AWS the `workflow-worker` function gets SQS batches from its event source
//! mapping ([`WorkflowWorker::process_batch`]); locally `agora serve` runs the same loop
//! over the in-process queue, or over SQS when `QUEUE_URL` is set ([`WorkflowWorker::run`]).

use std::{sync::Arc, time::Duration};

use futures::{StreamExt, stream};
use tokio::sync::Semaphore;

use super::WorkflowService;
use crate::{
    Result,
    ports::{Delivery, QueueConsumer, Verdict},
};

/// Steps one worker runs at once: few enough that their agent runs (a map step runs up to
/// 10 at once) never starve the database pool the API shares.
const CONCURRENCY: usize = 4;
/// How long one receive waits for a message (SQS's longest long poll).
const RECEIVE_WAIT: Duration = Duration::from_secs(20);

pub struct WorkflowWorker {
    service: Arc<WorkflowService>,
    consumer: Arc<dyn QueueConsumer>,
}

impl WorkflowWorker {
    pub fn new(service: Arc<WorkflowService>, consumer: Arc<dyn QueueConsumer>) -> Self {
        Self { service, consumer }
    }

    /// Runs one batch as SQS hands it to the worker function, its steps a few at a time
    /// (they share one database pool), and returns the message ids that failed — exactly
    /// those, for `batchItemFailures` — each made visible again after its backoff.
    pub async fn process_batch(&self, deliveries: &[Delivery]) -> Vec<String> {
        // Boxed, as in a map step: the futures borrow the batch.
        let steps: Vec<futures::future::BoxFuture<'_, _>> = deliveries
            .iter()
            .map(|delivery| -> futures::future::BoxFuture<'_, _> {
                Box::pin(async move { (delivery, self.retry_delay(delivery).await) })
            })
            .collect();
        let outcomes = stream::iter(steps)
            .buffer_unordered(CONCURRENCY)
            .collect::<Vec<_>>()
            .await;
        let mut failed = Vec::new();
        for (delivery, retry) in outcomes {
            let Some(delay) = retry else {
                continue;
            };
            // Best effort: without it, the message returns after the visibility timeout.
            if let Err(error) = self.consumer.retry_later(delivery, delay).await {
                tracing::warn!(message_id = %delivery.message_id, %error, "could not delay a failed step message");
            }
            failed.push(delivery.message_id.clone());
        }
        failed
    }

    /// Takes messages off the queue and runs them, a few at a time, until the process
    /// ends: each is acknowledged when done, or retried after its backoff.
    pub async fn run(self: Arc<Self>) {
        let slots = Arc::new(Semaphore::new(CONCURRENCY));
        loop {
            let Ok(first) = slots.clone().acquire_owned().await else {
                return;
            };
            let batch = match self
                .consumer
                .receive(1 + slots.available_permits(), RECEIVE_WAIT)
                .await
            {
                Ok(batch) => batch,
                Err(error) => {
                    tracing::warn!(%error, "cannot receive workflow steps; retrying in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let mut slot = Some(first);
            for delivery in batch {
                let taken = match slot.take() {
                    Some(taken) => taken,
                    None => match slots.clone().acquire_owned().await {
                        Ok(taken) => taken,
                        Err(_) => return,
                    },
                };
                let worker = self.clone();
                #[expect(
                    clippy::disallowed_methods,
                    reason = "the long-running worker loop (agora serve) runs deliveries side by side"
                )]
                tokio::spawn(async move {
                    worker.settle(&delivery).await;
                    drop(taken);
                });
            }
        }
    }

    /// Runs one delivery and acknowledges it, or has it retried after its backoff.
    async fn settle(&self, delivery: &Delivery) {
        let settled = match self.retry_delay(delivery).await {
            None => self.consumer.acknowledge(delivery).await,
            Some(delay) => self.consumer.retry_later(delivery, delay).await,
        };
        if let Err(error) = settled {
            tracing::warn!(message_id = %delivery.message_id, %error, "cannot settle a workflow step message");
        }
    }

    /// Runs one delivery: `None` when done with it, else how long until it is tried again.
    async fn retry_delay(&self, delivery: &Delivery) -> Option<Duration> {
        match self.service.process(delivery).await {
            Ok(Verdict::Done) => None,
            Ok(Verdict::Retry(delay)) => Some(delay),
            Err(error) => {
                tracing::warn!(message_id = %delivery.message_id, receive_count = delivery.receive_count, %error, "workflow step message failed");
                Some(self.service.backoff(delivery.receive_count))
            }
        }
    }

    /// Sends again the ready steps of every running run: what a restarted local worker
    /// does, as its queue lived in memory.
    pub async fn resume(&self) -> Result<usize> {
        self.service.resume_runs().await
    }
}
