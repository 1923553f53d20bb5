//! A run's end, written once: its record and charge, retried through a busy database, and
//! kept in the settlement journal when the database will not take it.

use std::time::Duration;

use tokio::time::Instant;

use super::{Execution, Progress, millis};
use crate::{
    Result,
    domain::{Credits, llm::Usage},
    ports::{Attempt, FinishedRun, RunError, RunStatus},
    services::runs::providers::PlannedModel,
};

/// Recording a run's end: tries, and the first wait between them (then × 4).
const SETTLE_TRIES: u32 = 4;
const SETTLE_RETRY_BASE: Duration = Duration::from_millis(50);
/// How long a settlement the database would not take waits in the journal.
const SETTLEMENT_JOURNAL_TTL: Duration = Duration::from_secs(7 * 86_400);

impl Execution {
    pub(super) fn finished(
        &self,
        status: RunStatus,
        model: Option<PlannedModel>,
        attempts: Vec<Attempt>,
        progress: &Progress,
        error: Option<RunError>,
        started: Instant,
    ) -> FinishedRun {
        let usage = attempts
            .iter()
            .fold(Usage::default(), |sum, attempt| Usage {
                input_tokens: sum.input_tokens.saturating_add(attempt.input_tokens),
                output_tokens: sum.output_tokens.saturating_add(attempt.output_tokens),
            });
        let model_cost = attempts.iter().fold(0_i64, |sum, attempt| {
            sum.saturating_add(attempt.cost_micros)
        });
        FinishedRun {
            id: self.run_id,
            status,
            provider: model
                .as_ref()
                .map_or_else(String::new, |model| model.provider_name.clone()),
            model: model.map_or_else(String::new, |model| model.model),
            usage_estimated: attempts.iter().any(|attempt| attempt.usage_estimated),
            attempts,
            usage,
            model_cost_micros: model_cost,
            agent_price_micros: self.agent_price,
            cached: false,
            output: progress.output.clone(),
            tool_calls: progress.tool_calls.clone(),
            tool_uses: progress.tool_uses.clone(),
            finish_reason: progress.finish,
            error,
            ttft_ms: progress.ttft.map(millis),
            latency_ms: millis(started.elapsed()),
            finished_at: self.shared.ports.clock.now(),
            answer_id: self.answer_id,
        }
    }

    /// Records the run's end. Settling is idempotent (only a running run settles), so a
    /// transient failure (a busy pool, a lost connection) is retried a few times before
    /// the run is left to the sweeper, which would fail it only after its hold expires.
    pub(super) async fn settle(&self, finished: &FinishedRun) -> Result<()> {
        let mut wait = SETTLE_RETRY_BASE;
        let mut tries = 1;
        loop {
            match self.shared.ports.runs.finish_run(finished).await {
                Ok(_) => return Ok(()),
                Err(error) if tries < SETTLE_TRIES => {
                    tracing::warn!(run_id = %self.run_id, error = %error, tries, "recording the run's end failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(4);
                    tries = tries.saturating_add(1);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// Keeps a settlement the database would not take in the journal (the cache, for a
    /// week), where the maintenance job finds it when the run's hold expires and settles
    /// the run as it ended, so what was produced is still billed, once.
    pub(super) async fn journal(&self, finished: &FinishedRun, error: &crate::Error) {
        let kept = match serde_json::to_vec(finished) {
            Ok(bytes) => self
                .shared
                .ports
                .cache
                .set(
                    &crate::services::runs::settlement_key(self.run_id),
                    &bytes,
                    SETTLEMENT_JOURNAL_TTL,
                )
                .await
                .map_err(|cause| cause.to_string()),
            Err(cause) => Err(cause.to_string()),
        };
        match kept {
            Ok(()) => {
                tracing::error!(run_id = %self.run_id, error = %error, "cannot record the run's end; it waits in the settlement journal for the maintenance job")
            }
            Err(cause) => {
                tracing::error!(run_id = %self.run_id, error = %error, journal = %cause, model_cost_micros = finished.model_cost_micros, "cannot record the run's end nor journal it; the maintenance job releases its hold unbilled")
            }
        }
    }

    /// What the caller was charged: the cost and price, never more than the hold.
    pub(super) fn charged(&self, finished: &FinishedRun) -> Credits {
        let price = if finished.status == RunStatus::Succeeded {
            finished.agent_price_micros
        } else {
            0
        };
        Credits::from_micros(
            finished
                .model_cost_micros
                .saturating_add(price)
                .min(self.hold)
                .max(0),
        )
        .unwrap_or_default()
    }
}
