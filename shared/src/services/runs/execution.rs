//! One run from its hold to its charge. [`Execution::start`] tries the agent's models in
//! order, retrying each after retryable failures with jittered backoff (honouring the
//! provider's `retry-after`), until one begins to answer; the answer then streams from a
//! task that ends the run exactly once, whatever happens: the answer finishes, the
//! provider fails mid-answer, the user stops it, or the client goes away.
//!
//! The task is the one piece of a request that outlives its handler: it settles the run
//! before it sends the last event, so a response never ends before the run's record and
//! charge are written.

// A provider's answer (its text, usage and timing) is untrusted: nothing here may panic
// or overflow on it.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::string_slice,
    clippy::unreachable,
    clippy::cast_possible_truncation
)]

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use tokio::{sync::mpsc, time::Instant};
use uuid::Uuid;

use super::{
    ActiveRun, RunEvent, RunInfo, RunOutcome, Shared, guard::PromptGuard, providers::PlannedModel,
    stop_key,
};
use crate::{
    Error, Result,
    domain::llm::RunFailure,
    domain::{
        Credits,
        llm::{self, FinishReason, LlmEvent, LlmRequest, ProviderError, ToolCall, Usage},
    },
    ports::{Attempt, FinishedRun, LlmStream, RunError, RunStatus},
    services::backoff,
};

/// Bytes per token when a count must be estimated (a provider that failed mid-answer, or
/// a client that left before the usage arrived).
const BYTES_PER_TOKEN: u64 = 4;
/// How often a streaming run looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(250);
/// Recording a run's end: tries, and the first wait between them (then × 4).
const SETTLE_TRIES: u32 = 4;
const SETTLE_RETRY_BASE: Duration = Duration::from_millis(50);

pub(super) struct Execution {
    pub shared: Arc<Shared>,
    pub run_id: Uuid,
    pub agent: String,
    pub agent_version: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub plan: Vec<PlannedModel>,
    pub request: LlmRequest,
    pub input_bound: u64,
    pub agent_price: i64,
    pub hold: i64,
    pub guard: Option<PromptGuard>,
    pub answer_id: Option<Uuid>,
    /// When the function serving the request is stopped (in Lambda): the answer ends
    /// [`SETTLE_RESERVE`] before, so the run is settled and billed while it still can be.
    pub function_deadline: Option<Instant>,
}

/// How long a settlement the database would not take waits in the journal.
const SETTLEMENT_JOURNAL_TTL: Duration = Duration::from_secs(7 * 86_400);

/// Time kept before a function's deadline to settle a run (with its retries).
const SETTLE_RESERVE: Duration = Duration::from_secs(4);

/// A model that began to answer.
struct Committed {
    model: PlannedModel,
    stream: LlmStream,
    /// The first event, already read.
    first: LlmEvent,
    attempt_started: Instant,
}

/// What the answer so far amounts to.
struct Progress {
    output: String,
    tool_calls: Vec<ToolCall>,
    /// Raw model text before the prompt guard, for estimates.
    produced_bytes: u64,
    usage: Option<Usage>,
    finish: Option<FinishReason>,
    ttft: Option<Duration>,
}

impl Execution {
    pub async fn start(self) -> Result<ActiveRun> {
        let started = Instant::now();
        if let Some(cached) = self.cached_answer().await {
            return Ok(self.serve_cached(cached, started).await);
        }
        let mut attempts = Vec::new();
        let committed = match self.commit(&mut attempts, started).await {
            Ok(committed) => committed,
            Err(error) => {
                let finished = self.finished(
                    RunStatus::Failed,
                    self.plan.last().cloned(),
                    attempts,
                    &Progress::empty(),
                    Some(error.clone()),
                    started,
                );
                self.settle(&finished).await?;
                return Err(run_failed(&error));
            }
        };
        let info = RunInfo {
            run_id: self.run_id,
            agent: self.agent.clone(),
            agent_version: self.agent_version,
            provider: committed.model.provider_name.clone(),
            model: committed.model.model.clone(),
            created_at: self.created_at,
        };
        let (sender, events) = mpsc::channel(64);
        #[expect(
            clippy::disallowed_methods,
            reason = "the answer streams to the caller while it is produced; it settles before its stream ends, so a Lambda response never outlives it"
        )]
        tokio::spawn(self.answer(committed, attempts, started, sender));
        Ok(ActiveRun { info, events })
    }

    /// `deadline`, or earlier when the function serving the request must have settled
    /// the run by then.
    fn within_function(&self, deadline: Instant) -> Instant {
        match self.function_deadline {
            Some(function_deadline) => deadline.min(
                function_deadline
                    .checked_sub(SETTLE_RESERVE)
                    .unwrap_or(function_deadline),
            ),
            None => deadline,
        }
    }

    /// Tries each model in order, retrying retryable failures, until one yields an event.
    async fn commit(
        &self,
        attempts: &mut Vec<Attempt>,
        started: Instant,
    ) -> Result<Committed, ProviderError> {
        let settings = &self.shared.settings;
        let deadline = self.within_function(later(started, settings.start_budget));
        let mut last_error = ProviderError::Unavailable("no model was tried".into());
        for model in &self.plan {
            let request = LlmRequest {
                model: model.model.clone(),
                sampling: llm::Sampling {
                    max_tokens: model.max_tokens,
                    ..self.request.sampling
                },
                ..self.request.clone()
            };
            let mut retry = 0;
            loop {
                let attempt_started = Instant::now();
                let remaining = deadline.saturating_duration_since(attempt_started);
                if remaining.is_zero() {
                    return Err(ProviderError::Timeout);
                }
                let outcome = tokio::time::timeout(remaining, async {
                    let mut stream = model.adapter.call(&request).await?;
                    match stream.next().await {
                        Some(Ok(first)) => Ok((stream, first)),
                        Some(Err(error)) => Err(error),
                        None => Err(ProviderError::Invalid("the answer was empty".into())),
                    }
                })
                .await
                .unwrap_or(Err(ProviderError::Timeout));
                match outcome {
                    Ok((stream, first)) => {
                        return Ok(Committed {
                            model: model.clone(),
                            stream,
                            first,
                            attempt_started,
                        });
                    }
                    Err(error) => {
                        tracing::warn!(
                            run_id = %self.run_id,
                            provider = model.provider_name,
                            model = model.model,
                            failure = error.kind(),
                            retry,
                            "model call failed"
                        );
                        attempts.push(failed_attempt(model, &error, attempt_started));
                        let wait = backoff(settings.retry_base, retry, &error);
                        let retryable = error.is_retryable()
                            && retry < settings.max_retries
                            && wait <= settings.max_retry_wait
                            && wait < deadline.saturating_duration_since(Instant::now());
                        last_error = error;
                        if !retryable {
                            break;
                        }
                        tokio::time::sleep(wait).await;
                        retry = retry.saturating_add(1);
                    }
                }
            }
        }
        Err(last_error)
    }

    /// Streams the committed answer to `sender`, then settles the run and sends `Done`.
    async fn answer(
        mut self,
        committed: Committed,
        mut attempts: Vec<Attempt>,
        started: Instant,
        sender: mpsc::Sender<RunEvent>,
    ) {
        let Committed {
            model,
            mut stream,
            first,
            attempt_started,
        } = committed;
        let mut progress = Progress::empty();
        let mut pending = Some(Ok(first));
        // The stop flag is polled beside the stream, never in its way: a slow or frozen
        // cache delays the stop, not the answer.
        let stop_watch = watch_for_stop(self.shared.clone(), self.run_id);
        tokio::pin!(stop_watch);
        let ends_at = self.within_function(later(started, self.shared.settings.answer_budget));
        let answer_deadline = tokio::time::sleep_until(ends_at);
        tokio::pin!(answer_deadline);
        let (status, error) = loop {
            let next = match pending.take() {
                Some(event) => Some(event),
                None => tokio::select! {
                    biased;
                    () = sender.closed() => break (RunStatus::Disconnected, None),
                    () = &mut answer_deadline => break (RunStatus::Failed, Some(ProviderError::Timeout)),
                    () = &mut stop_watch => break (RunStatus::Stopped, None),
                    event = stream.next() => event,
                },
            };
            match next {
                Some(Ok(LlmEvent::TextDelta(text))) => {
                    progress.ttft.get_or_insert_with(|| started.elapsed());
                    progress.produced_bytes = progress
                        .produced_bytes
                        .saturating_add(u64::try_from(text.len()).unwrap_or(u64::MAX));
                    let safe = match &mut self.guard {
                        Some(guard) => guard.push(&text),
                        None => text,
                    };
                    if !safe.is_empty() {
                        progress.output.push_str(&safe);
                        if sender.send(RunEvent::Delta(safe)).await.is_err() {
                            break (RunStatus::Disconnected, None);
                        }
                    }
                }
                Some(Ok(LlmEvent::ToolCall {
                    id,
                    name,
                    arguments,
                })) => {
                    progress.ttft.get_or_insert_with(|| started.elapsed());
                    progress.produced_bytes = progress.produced_bytes.saturating_add(
                        u64::try_from(name.len().saturating_add(arguments.len()))
                            .unwrap_or(u64::MAX),
                    );
                    // The provider's answer is untrusted: only a tool the caller offered
                    // may be called, and a sealed prompt leaks no more through arguments
                    // than through text.
                    if !self.request.tools.iter().any(|tool| tool.name == name) {
                        tracing::warn!(run_id = %self.run_id, tool = name, "the model called a tool it was not offered; dropped");
                        continue;
                    }
                    let arguments = match &self.guard {
                        Some(guard) => guard.redacted(&arguments),
                        None => arguments,
                    };
                    let call = ToolCall {
                        id,
                        name,
                        arguments,
                    };
                    progress.tool_calls.push(call.clone());
                    if sender.send(RunEvent::ToolCall(call)).await.is_err() {
                        break (RunStatus::Disconnected, None);
                    }
                }
                Some(Ok(LlmEvent::Usage(usage))) => {
                    if !llm::plausible_usage(&usage, self.input_bound, model.max_tokens) {
                        break (
                            RunStatus::Failed,
                            Some(ProviderError::Invalid(format!(
                                "the provider reported impossible usage ({} input, {} output tokens)",
                                usage.input_tokens, usage.output_tokens
                            ))),
                        );
                    }
                    progress.usage = Some(usage);
                }
                Some(Ok(LlmEvent::Finish(reason))) => {
                    // Calls to tools nobody offered were dropped: the answer is what is left.
                    let reason =
                        if reason == FinishReason::ToolCalls && progress.tool_calls.is_empty() {
                            FinishReason::Stop
                        } else {
                            reason
                        };
                    progress.finish = Some(reason);
                    break (RunStatus::Succeeded, None);
                }
                Some(Err(error)) => break (RunStatus::Failed, Some(error)),
                None => {
                    break (
                        RunStatus::Failed,
                        Some(ProviderError::Invalid("the answer ended early".into())),
                    );
                }
            }
        };
        drop(stream);
        if let Some(guard) = &mut self.guard {
            let rest = guard.finish();
            if !rest.is_empty() {
                progress.output.push_str(&rest);
                if status != RunStatus::Disconnected {
                    let _ = sender.send(RunEvent::Delta(rest)).await;
                }
            }
        }
        // A finished answer without usage from a provider that must report it.
        let (status, error) = if status == RunStatus::Succeeded
            && progress.usage.is_none()
            && model.credential.requires_usage()
        {
            (
                RunStatus::Failed,
                Some(ProviderError::Invalid(
                    "the answer reported no usage".into(),
                )),
            )
        } else {
            (status, error)
        };
        let usage = self.usage(&progress, &model);
        attempts.push(Attempt {
            provider: model.provider_name.clone(),
            model: model.model.clone(),
            outcome: error.as_ref().map_or("ok", ProviderError::kind).to_owned(),
            detail: error.as_ref().map(ToString::to_string),
            input_tokens: usage.0.input_tokens,
            output_tokens: usage.0.output_tokens,
            usage_estimated: usage.1,
            cost_micros: model.cost(&usage.0),
            latency_ms: millis(attempt_started.elapsed()),
        });
        let finished = self.finished(status, Some(model), attempts, &progress, error, started);
        if let Err(error) = self.settle(&finished).await {
            self.journal(&finished, &error).await;
        }
        if finished.status == RunStatus::Succeeded {
            self.remember_answer(&finished).await;
        }
        let mut outcome = RunOutcome::from(&finished);
        outcome.charged = self.charged(&finished);
        let _ = sender.send(RunEvent::Done(outcome)).await;
    }

    /// The usage to bill: the provider's when it reported a plausible one, else an
    /// estimate from the bytes sent and produced.
    fn usage(&self, progress: &Progress, model: &PlannedModel) -> (Usage, bool) {
        match progress.usage {
            Some(usage) => (usage, false),
            None => {
                let estimated = Usage {
                    input_tokens: (self.input_bound).div_ceil(BYTES_PER_TOKEN).max(1),
                    output_tokens: progress
                        .produced_bytes
                        .div_ceil(BYTES_PER_TOKEN)
                        .min(u64::from(model.max_tokens)),
                };
                (estimated, true)
            }
        }
    }

    fn finished(
        &self,
        status: RunStatus,
        model: Option<PlannedModel>,
        attempts: Vec<Attempt>,
        progress: &Progress,
        error: Option<ProviderError>,
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
            finish_reason: progress.finish,
            error: error.as_ref().map(run_error),
            ttft_ms: progress.ttft.map(millis),
            latency_ms: millis(started.elapsed()),
            finished_at: self.shared.ports.clock.now(),
            answer_id: self.answer_id,
        }
    }

    /// Records the run's end. Settling is idempotent (only a running run settles), so a
    /// transient failure (a busy pool, a lost connection) is retried a few times before
    /// the run is left to the sweeper, which would fail it only after its hold expires.
    async fn settle(&self, finished: &FinishedRun) -> Result<()> {
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
    async fn journal(&self, finished: &FinishedRun, error: &crate::Error) {
        let kept = match serde_json::to_vec(finished) {
            Ok(bytes) => self
                .shared
                .ports
                .cache
                .set(
                    &super::settlement_key(self.run_id),
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
    fn charged(&self, finished: &FinishedRun) -> Credits {
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

    // ---- the response cache for deterministic requests ----------------------------------

    /// The cache key of a request whose answer is the same every time (temperature 0, one
    /// model, Agora's own credential), if this one is.
    fn cache_key(&self) -> Option<String> {
        use sha2::{Digest, Sha256};
        let model = self.plan.first()?;
        let deterministic = self.request.sampling.temperature == Some(0.0)
            && self.guard.is_none()
            && matches!(
                model.credential,
                crate::ports::CredentialKind::Platform | crate::ports::CredentialKind::Offline
            );
        if !deterministic {
            return None;
        }
        let identity = serde_json::json!({
            "provider": model.provider_name,
            "model": model.model,
            "system": self.request.system,
            "messages": self.request.messages,
            "tools": self.request.tools,
            "tool_choice": self.request.tool_choice,
            "sampling": self.request.sampling,
        });
        let digest = Sha256::digest(identity.to_string().as_bytes());
        Some(format!("answers:{}", hex(&digest)))
    }

    async fn cached_answer(&self) -> Option<String> {
        let key = self.cache_key()?;
        let bytes = self.shared.ports.cache.get(&key).await.ok()??;
        String::from_utf8(bytes).ok()
    }

    async fn remember_answer(&self, finished: &FinishedRun) {
        if finished.finish_reason != Some(FinishReason::Stop) {
            return;
        }
        if let Some(key) = self.cache_key() {
            let ttl = self.shared.settings.response_cache_ttl;
            let _ = self
                .shared
                .ports
                .cache
                .set(&key, finished.output.as_bytes(), ttl)
                .await;
        }
    }

    /// A cached answer: recorded and charged the agent's price, no tokens.
    async fn serve_cached(self, output: String, started: Instant) -> ActiveRun {
        let model = self.plan.first().cloned();
        let progress = Progress {
            output,
            tool_calls: Vec::new(),
            produced_bytes: 0,
            usage: None,
            finish: Some(FinishReason::Stop),
            ttft: Some(started.elapsed()),
        };
        let mut finished = self.finished(
            RunStatus::Succeeded,
            model,
            Vec::new(),
            &progress,
            None,
            started,
        );
        finished.cached = true;
        let (sender, events) = mpsc::channel(2);
        let info = RunInfo {
            run_id: self.run_id,
            agent: self.agent.clone(),
            agent_version: self.agent_version,
            provider: finished.provider.clone(),
            model: finished.model.clone(),
            created_at: self.created_at,
        };
        if let Err(error) = self.settle(&finished).await {
            tracing::error!(run_id = %self.run_id, %error, "cannot record a cached run");
        }
        let mut outcome = RunOutcome::from(&finished);
        outcome.charged = self.charged(&finished);
        let _ = sender.try_send(RunEvent::Delta(finished.output.clone()));
        let _ = sender.try_send(RunEvent::Done(outcome));
        ActiveRun { info, events }
    }
}

impl Progress {
    fn empty() -> Self {
        Self {
            output: String::new(),
            tool_calls: Vec::new(),
            produced_bytes: 0,
            usage: None,
            finish: None,
            ttft: None,
        }
    }
}

impl crate::ports::CredentialKind {
    /// Agora's own accounts must report usage (it is what the caller pays for).
    fn requires_usage(self) -> bool {
        matches!(self, Self::Platform | Self::Offline)
    }
}

/// Ends when someone asked run `run_id` to stop.
async fn watch_for_stop(shared: Arc<Shared>, run_id: Uuid) {
    let mut poll = tokio::time::interval(STOP_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    poll.tick().await;
    loop {
        poll.tick().await;
        if shared.ports.cache.is_set(&stop_key(run_id)).await {
            return;
        }
    }
}

/// `from + wait`, or as late as an `Instant` goes when that overflows.
fn later(from: Instant, wait: Duration) -> Instant {
    from.checked_add(wait)
        .or_else(|| from.checked_add(Duration::from_secs(100 * 365 * 86_400)))
        .unwrap_or(from)
}

/// Full-jitter exponential backoff, or what the provider asked for when it said.
fn backoff(base: Duration, retry: u32, error: &ProviderError) -> Duration {
    if let ProviderError::RateLimited {
        retry_after: Some(wait),
    } = error
    {
        return *wait;
    }
    backoff::full_jitter(backoff::exponential(base, retry, Duration::MAX))
}

fn failed_attempt(model: &PlannedModel, error: &ProviderError, started: Instant) -> Attempt {
    Attempt {
        provider: model.provider_name.clone(),
        model: model.model.clone(),
        outcome: error.kind().to_owned(),
        detail: Some(error.to_string()),
        input_tokens: 0,
        output_tokens: 0,
        usage_estimated: false,
        cost_micros: 0,
        latency_ms: millis(started.elapsed()),
    }
}

fn run_error(error: &ProviderError) -> RunError {
    RunError {
        kind: RunFailure::from(error),
        detail: error.to_string(),
    }
}

fn run_failed(error: &ProviderError) -> Error {
    Error::RunFailed {
        failure: RunFailure::from(error),
        detail: error.to_string(),
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
