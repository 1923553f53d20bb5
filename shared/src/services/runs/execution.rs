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
    stop_key, tools,
};
use crate::{
    Error, Result,
    domain::llm::RunFailure,
    domain::{
        agent_tools::ToolUse,
        llm::{
            self, FinishReason, LlmEvent, LlmRequest, Message, ProviderError, Role, ToolCall,
            ToolResult, Usage,
        },
    },
    ports::{Attempt, LlmStream, RunError, RunStatus},
    services::backoff,
};

/// Bytes per token when a count must be estimated (a provider that failed mid-answer, or
/// a client that left before the usage arrived).
const BYTES_PER_TOKEN: u64 = 4;
/// How often a streaming run looks for a stop request.
const STOP_POLL: Duration = Duration::from_millis(250);

mod answer_cache;
mod settlement;

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
    /// The agent's own tools (none for most agents).
    pub toolbox: tools::AgentToolbox,
    /// The most model calls one answer makes when the model uses the agent's tools.
    pub max_tool_turns: u32,
    pub answer_id: Option<Uuid>,
    /// When the function serving the request is stopped (in Lambda): the answer ends
    /// [`SETTLE_RESERVE`] before, so the run is settled and billed while it still can be.
    pub function_deadline: Option<Instant>,
}

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

/// What the answer so far amounts to, over all its turns.
struct Progress {
    output: String,
    /// Calls to the caller's tools, which end the answer.
    tool_calls: Vec<ToolCall>,
    /// Calls to the agent's own tools, made by Agora.
    tool_uses: Vec<ToolUse>,
    finish: Option<FinishReason>,
    ttft: Option<Duration>,
}

/// One model call of an answer (an answer has more when the model uses the agent's tools).
#[derive(Default)]
struct Turn {
    /// The model's text before the prompt guard: what the next turn sends back.
    text: String,
    /// Raw model output in bytes, for estimates.
    produced_bytes: u64,
    usage: Option<Usage>,
    agent_calls: Vec<ToolCall>,
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
                    Some(run_error(&error)),
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

    /// The run's request as `model` takes it: its id and its `max_tokens`.
    fn request_for(&self, model: &PlannedModel) -> LlmRequest {
        LlmRequest {
            model: model.model.clone(),
            sampling: llm::Sampling {
                max_tokens: model.max_tokens,
                ..self.request.sampling
            },
            ..self.request.clone()
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
            let request = self.request_for(model);
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

    /// Streams the committed answer to `sender`, turn by turn while the model calls the
    /// agent's own tools, then settles the run and sends `Done`.
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
            mut attempt_started,
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
        // What the next turn sends: the conversation, then each turn's calls and results.
        let mut turn_request = self.request_for(&model);
        let mut turn_input_bound = self.input_bound;
        let mut turns: u32 = 1;
        let (status, error): (RunStatus, Option<RunError>) = 'turns: loop {
            let mut turn = Turn::default();
            let (status, error): (RunStatus, Option<ProviderError>) = loop {
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
                        turn.produced_bytes = turn
                            .produced_bytes
                            .saturating_add(u64::try_from(text.len()).unwrap_or(u64::MAX));
                        turn.text.push_str(&text);
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
                        turn.produced_bytes = turn.produced_bytes.saturating_add(
                            u64::try_from(name.len().saturating_add(arguments.len()))
                                .unwrap_or(u64::MAX),
                        );
                        let call = ToolCall {
                            id,
                            name,
                            arguments,
                        };
                        // The provider's answer is untrusted: only a tool the agent declared
                        // or the caller offered may be called.
                        // An agent with tools of its own is told a call it cannot make
                        // was refused (it may recover); it never runs.
                        if !self.toolbox.is_empty() {
                            turn.agent_calls.push(call);
                            continue;
                        }
                        if !self.request.tools.iter().any(|tool| tool.name == call.name) {
                            tracing::warn!(run_id = %self.run_id, tool = call.name, "the model called a tool it was not offered; dropped");
                            continue;
                        }
                        // A sealed prompt leaks no more through arguments than through text.
                        let call = ToolCall {
                            arguments: match &self.guard {
                                Some(guard) => guard.redacted(&call.arguments),
                                None => call.arguments,
                            },
                            ..call
                        };
                        progress.tool_calls.push(call.clone());
                        if sender.send(RunEvent::ToolCall(call)).await.is_err() {
                            break (RunStatus::Disconnected, None);
                        }
                    }
                    Some(Ok(LlmEvent::Usage(usage))) => {
                        if !llm::plausible_usage(&usage, turn_input_bound, model.max_tokens) {
                            break (
                                RunStatus::Failed,
                                Some(ProviderError::Invalid(format!(
                                    "the provider reported impossible usage ({} input, {} output tokens)",
                                    usage.input_tokens, usage.output_tokens
                                ))),
                            );
                        }
                        turn.usage = Some(usage);
                    }
                    Some(Ok(LlmEvent::Finish(reason))) => {
                        // Calls to tools nobody offered were dropped: the answer is what is left.
                        let called =
                            !progress.tool_calls.is_empty() || !turn.agent_calls.is_empty();
                        let reason = if reason == FinishReason::ToolCalls && !called {
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
            // A finished turn without usage from a provider that must report it.
            let (status, error) = if status == RunStatus::Succeeded
                && turn.usage.is_none()
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
            let usage = Self::usage(&turn, turn_input_bound, &model);
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
            let error = error.as_ref().map(run_error);
            if status != RunStatus::Succeeded || turn.agent_calls.is_empty() {
                break (status, error);
            }
            // The last turn allowed was told to answer in text: calling tools again ends the
            // run at its limit, the calls not made.
            if turns >= self.max_tool_turns {
                break (
                    RunStatus::Failed,
                    Some(tool_call_limit(format!(
                        "{turns} model calls and {} tool calls",
                        progress.tool_uses.len()
                    ))),
                );
            }
            // The agent's tools, then the next turn with their results.
            let results = match self
                .use_tools(&turn.agent_calls, &mut progress, &sender)
                .await
            {
                Some(results) => results,
                None => break (RunStatus::Disconnected, None),
            };
            let mut asked = Message::new(Role::Assistant, turn.text);
            asked.tool_calls = turn.agent_calls;
            let mut answered = Message::new(Role::User, "");
            answered.tool_results = results;
            turn_request.messages.push(asked);
            turn_request.messages.push(answered);
            turns = turns.saturating_add(1);
            // The last turn allowed (or no calls left) must answer in text.
            if turns == self.max_tool_turns || progress.tool_uses.len() >= tools::MAX_TOOL_CALLS {
                turn_request.tool_choice = llm::ToolChoice::None;
            }
            // A turn starts only if its worst case still fits in the run's hold.
            let next_bound = llm::input_token_bound(&turn_request);
            let spent = attempts.iter().fold(0_i64, |sum, attempt| {
                sum.saturating_add(attempt.cost_micros)
            });
            let next_worst = model.cost(&Usage {
                input_tokens: next_bound,
                output_tokens: u64::from(model.max_tokens),
            });
            if spent
                .saturating_add(next_worst)
                .saturating_add(self.agent_price)
                > self.hold
            {
                tracing::info!(run_id = %self.run_id, turns, "the next tool turn would not fit in the run's hold; the answer ends here");
                break (
                    RunStatus::Failed,
                    Some(tool_call_limit(
                        "another turn would cost more than the run's hold".to_owned(),
                    )),
                );
            }
            turn_input_bound = next_bound;
            attempt_started = Instant::now();
            let remaining = ends_at.saturating_duration_since(attempt_started);
            let call = tokio::time::timeout(
                remaining.min(self.shared.settings.provider_timeout),
                async {
                    let mut next = model.adapter.call(&turn_request).await?;
                    match next.next().await {
                        Some(Ok(first)) => Ok((next, first)),
                        Some(Err(error)) => Err(error),
                        None => Err(ProviderError::Invalid("the answer was empty".into())),
                    }
                },
            )
            .await
            .unwrap_or(Err(ProviderError::Timeout));
            match call {
                Ok((next, first)) => {
                    stream = next;
                    pending = Some(Ok(first));
                    progress.finish = None;
                }
                Err(error) => {
                    attempts.push(failed_attempt(&model, &error, attempt_started));
                    break 'turns (RunStatus::Failed, Some(run_error(&error)));
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

    /// Makes the agent's tool calls of one turn, in order, each announced and then shown
    /// with its outcome; calls beyond the run's limit are refused. `None`: the caller left.
    async fn use_tools(
        &self,
        calls: &[ToolCall],
        progress: &mut Progress,
        sender: &mpsc::Sender<RunEvent>,
    ) -> Option<Vec<ToolResult>> {
        let mut results = Vec::with_capacity(calls.len());
        // What users see of a call (its arguments, the start of its result) passes the
        // sealed prompt's guard, whatever became of the call.
        let redact = |text: &str| {
            self.guard
                .as_ref()
                .map_or_else(|| text.to_owned(), |guard| guard.redacted(text))
        };
        for call in calls {
            let (mut tool_use, result) = if !self.toolbox.owns(&call.name) {
                tracing::warn!(run_id = %self.run_id, tool = call.name, "the model called a tool the agent does not have; refused");
                tools::AgentToolbox::refused(
                    call,
                    format!("refused: the agent has no tool named {}", call.name),
                )
            } else if progress.tool_uses.len() >= tools::MAX_TOOL_CALLS {
                tools::AgentToolbox::refused(
                    call,
                    format!(
                        "refused: this run has made its {} tool calls; answer with what you have",
                        tools::MAX_TOOL_CALLS
                    ),
                )
            } else {
                let shown = ToolCall {
                    arguments: redact(&call.arguments),
                    ..call.clone()
                };
                sender.send(RunEvent::ToolStarted(shown)).await.ok()?;
                self.toolbox.call(call, self.guard.as_ref()).await
            };
            tool_use.call.arguments = redact(&tool_use.call.arguments);
            tool_use.result_preview = redact(&tool_use.result_preview);
            progress.tool_uses.push(tool_use.clone());
            sender.send(RunEvent::ToolUsed(tool_use)).await.ok()?;
            results.push(result);
        }
        Some(results)
    }

    /// The usage to bill for a turn: the provider's when it reported a plausible one,
    /// else an estimate from the bytes sent and produced.
    fn usage(turn: &Turn, input_bound: u64, model: &PlannedModel) -> (Usage, bool) {
        match turn.usage {
            Some(usage) => (usage, false),
            None => {
                let estimated = Usage {
                    input_tokens: input_bound.div_ceil(BYTES_PER_TOKEN).max(1),
                    output_tokens: turn
                        .produced_bytes
                        .div_ceil(BYTES_PER_TOKEN)
                        .min(u64::from(model.max_tokens)),
                };
                (estimated, true)
            }
        }
    }
}

impl Progress {
    fn empty() -> Self {
        Self {
            output: String::new(),
            tool_calls: Vec::new(),
            tool_uses: Vec::new(),
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

pub(super) fn run_error(error: &ProviderError) -> RunError {
    RunError {
        kind: RunFailure::from(error),
        detail: error.to_string(),
    }
}

fn tool_call_limit(detail: String) -> RunError {
    RunError {
        kind: RunFailure::ToolCallLimit,
        detail,
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
