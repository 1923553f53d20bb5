//! How a run ended, as callers get it: from the record of a finished run (an idempotent
//! retry replays it) or from the settlement just written.

use std::time::Duration;

use tokio::sync::mpsc;

use super::{ActiveRun, RunEvent, RunInfo, RunOutcome};
use crate::{
    Error, Result,
    domain::llm::FinishReason,
    ports::{FinishedRun, RunRecord, RunStatus},
};

/// An idempotent retry of a run that exists: its result again, or 409 while it runs.
pub(super) fn replay(existing: RunRecord) -> Result<ActiveRun> {
    if existing.status == RunStatus::Running {
        return Err(Error::InFlight {
            retry_after: Duration::from_secs(1),
        });
    }
    let info = RunInfo {
        run_id: existing.id,
        agent: existing.agent.clone(),
        agent_version: existing.agent_version,
        provider: existing.provider.clone().unwrap_or_default(),
        model: existing.model.clone().unwrap_or_default(),
        created_at: existing.created_at,
    };
    let outcome = RunOutcome::from_record(&existing);
    let (sender, events) = mpsc::channel(existing.tool_calls.len().saturating_add(2));
    if !existing.output.is_empty() {
        let _ = sender.try_send(RunEvent::Delta(existing.output));
    }
    for call in existing.tool_calls {
        let _ = sender.try_send(RunEvent::ToolCall(call));
    }
    let _ = sender.try_send(RunEvent::Done(outcome));
    Ok(ActiveRun { info, events })
}

impl RunOutcome {
    fn from_record(run: &RunRecord) -> Self {
        Self {
            run_id: run.id,
            status: run.status,
            output: run.output.clone(),
            tool_calls: run.tool_calls.clone(),
            tool_uses: run.tool_uses.clone(),
            finish_reason: run.finish_reason.as_deref().and_then(finish_reason_from),
            provider: run.provider.clone().unwrap_or_default(),
            model: run.model.clone().unwrap_or_default(),
            input_tokens: u64::try_from(run.input_tokens).unwrap_or(0),
            output_tokens: u64::try_from(run.output_tokens).unwrap_or(0),
            usage_estimated: run.usage_estimated,
            charged: crate::domain::Credits::from_micros(run.charged_micros).unwrap_or_default(),
            cached: run.cached,
            error: run.error.clone(),
            ttft_ms: run.ttft_ms.and_then(|ms| u64::try_from(ms).ok()),
            latency_ms: run
                .latency_ms
                .and_then(|ms| u64::try_from(ms).ok())
                .unwrap_or(0),
        }
    }

    /// The error the caller gets for a run that did not succeed.
    pub fn problem(&self) -> Option<Error> {
        let error = self.error.as_ref()?;
        Some(Error::RunFailed {
            failure: error.kind,
            detail: error.detail.clone(),
        })
    }
}

fn finish_reason_from(stored: &str) -> Option<FinishReason> {
    match stored {
        "stop" => Some(FinishReason::Stop),
        "length" => Some(FinishReason::Length),
        "tool_calls" => Some(FinishReason::ToolCalls),
        "content_filter" => Some(FinishReason::ContentFilter),
        _ => None,
    }
}

impl From<&FinishedRun> for RunOutcome {
    /// The outcome of a run just settled; `charged` is filled in by who knows the hold.
    fn from(run: &FinishedRun) -> Self {
        Self {
            run_id: run.id,
            status: run.status,
            output: run.output.clone(),
            tool_calls: run.tool_calls.clone(),
            tool_uses: run.tool_uses.clone(),
            finish_reason: run.finish_reason,
            provider: run.provider.clone(),
            model: run.model.clone(),
            input_tokens: run.usage.input_tokens,
            output_tokens: run.usage.output_tokens,
            usage_estimated: run.usage_estimated,
            charged: crate::domain::Credits::ZERO,
            cached: run.cached,
            error: run.error.clone(),
            ttft_ms: run.ttft_ms,
            latency_ms: run.latency_ms,
        }
    }
}
