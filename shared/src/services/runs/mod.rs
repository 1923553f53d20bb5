//! The Agent Service's run half, and Agora's one metering chokepoint: every call to a
//! language model, from a conversation, `POST /v1/runs`, `/v1/chat/completions` or a
//! workflow step, goes through [`RunService::start`]. It resolves the agent version,
//! holds the worst-case cost, calls the provider with retries and fallback, and writes the
//! run record and its charge exactly once, on every path: success, provider error,
//! timeout, fallback, stop and client disconnect.

pub(crate) mod execution;
pub mod guard;
mod hold;
mod outcome;
pub mod prompt;
pub mod providers;
pub mod tools;
pub mod views;

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use self::{
    hold::{agent_price, tool_turns_bound, worst_case},
    outcome::replay,
    providers::Providers,
};
use crate::{
    Error, Result,
    domain::{
        AgentAddress, AgentSpec, Caller, Licence, VersionChoice,
        agent_tools::ToolUse,
        llm::{self, FinishReason, LlmRequest, Message, Sampling, ToolCall, ToolChoice, ToolSpec},
        models, pricing,
    },
    ports::{
        AgentDirectory, AgentRecord, Cache, Clock, CreditStore, FinishedRun, McpClient, NewMessage,
        NewRun, PageFetcher, RunError, RunRecord, RunSource, RunStatus, RunStore, StartRules,
        StartRunError,
    },
    services::rate_limit::{Limit, RateLimiter},
};

/// The ports the run path works through.
pub struct RunPorts {
    pub agents: Arc<dyn AgentDirectory>,
    pub runs: Arc<dyn RunStore>,
    pub credits: Arc<dyn CreditStore>,
    pub providers: Arc<Providers>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    /// What agents' built-in tools fetch.
    pub pages: Arc<dyn PageFetcher>,
    /// The MCP servers agents' tools are on.
    pub mcp: Arc<dyn McpClient>,
    /// The creators' MCP servers (their URLs and tokens).
    pub credentials: Arc<crate::services::credentials::CredentialService>,
    /// Runs per minute per caller.
    pub limiter: RateLimiter,
}

/// The run path's limits and budgets (README, "Configuration").
#[derive(Clone, Debug)]
pub struct RunSettings {
    /// The largest `max_tokens` any run may ask for, whatever the model allows.
    pub max_output_tokens: u32,
    /// `max_tokens` when neither the request nor the agent sets it.
    pub default_max_tokens: u32,
    /// Retries of one model after a retryable failure, before falling back.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it, with full jitter.
    pub retry_base: Duration,
    /// A provider asking to wait longer than this is skipped for the next model.
    pub max_retry_wait: Duration,
    /// How long a provider may stay silent: before its answer starts, and between events.
    pub provider_timeout: Duration,
    /// The whole budget for finding a model that answers (below the request timeout).
    pub start_budget: Duration,
    pub max_concurrent_runs: u32,
    pub runs_per_minute: u32,
    /// How long a hold lives; a run still going after it is ended by the maintenance job.
    pub hold_ttl: Duration,
    /// The longest an answer may stream, from the run's start: a provider that trickles
    /// words forever is cut here, and the run settles (billing what was produced) well
    /// before its hold expires.
    pub answer_budget: Duration,
    /// How long an identical deterministic answer is served from the cache.
    pub response_cache_ttl: Duration,
    /// How long one call to an agent's tool may take.
    pub tool_timeout: Duration,
    /// The most model calls one answer makes when the model uses the agent's tools.
    pub max_tool_turns: u32,
}

pub struct RunService {
    shared: Arc<Shared>,
}

/// What the service and its running tasks share.
pub(crate) struct Shared {
    ports: RunPorts,
    settings: RunSettings,
}

/// A run to start.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Chosen by the caller of the service: derived from an `Idempotency-Key` when there is
    /// one, so a retry of a run that finished finds it instead of running it again.
    pub id: Uuid,
    /// The agent and the version to run.
    pub agent: AgentAddress,
    /// The conversation so far, ending with the user's new message.
    pub messages: Vec<Message>,
    pub inputs: BTreeMap<String, serde_json::Value>,
    /// Tools the caller offers the model and runs itself (the OpenAI surface's `tools`):
    /// the model's calls to them end the answer and go back to the caller.
    pub tools: Vec<ToolSpec>,
    pub tool_choice: ToolChoice,
    pub max_tokens: Option<u32>,
    pub temperature: Option<f64>,
    pub top_p: Option<f64>,
    pub stream: bool,
    pub source: RunSource,
    pub conversation: Option<ConversationTurn>,
}

/// The conversation a run answers in.
#[derive(Clone, Debug)]
pub struct ConversationTurn {
    pub id: Uuid,
    /// The user's message, stored with the run (absent when regenerating).
    pub question: Option<NewMessage>,
    pub answer_id: Uuid,
    /// The answer this one replaces (regenerate), superseded when the run is admitted.
    pub supersedes: Option<Uuid>,
}

/// A started run: who answers, and its events.
pub struct ActiveRun {
    pub info: RunInfo,
    pub events: mpsc::Receiver<RunEvent>,
}

/// What is known when a run's answer starts.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RunInfo {
    pub run_id: Uuid,
    /// `handle/slug`.
    pub agent: String,
    /// `None`: the owner's draft.
    pub agent_version: Option<i32>,
    pub provider: String,
    pub model: String,
    pub created_at: DateTime<Utc>,
}

/// One event of a running answer; `Done` is always last.
#[derive(Debug)]
pub enum RunEvent {
    Delta(String),
    /// The model called one of the tools the caller offered.
    ToolCall(ToolCall),
    /// Agora is calling one of the agent's own tools.
    ToolStarted(ToolCall),
    /// A call to one of the agent's own tools ended (or was refused).
    ToolUsed(ToolUse),
    Done(RunOutcome),
}

/// How a run ended, after its record and charge were written.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct RunOutcome {
    pub run_id: Uuid,
    pub status: RunStatus,
    /// The whole answer as the caller received it.
    pub output: String,
    /// The calls the model made to the caller's tools.
    pub tool_calls: Vec<ToolCall>,
    /// The calls Agora made to the agent's own tools.
    pub tool_uses: Vec<ToolUse>,
    pub finish_reason: Option<FinishReason>,
    pub provider: String,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// True when the provider's count was missing or untrustworthy and Agora estimated it.
    pub usage_estimated: bool,
    /// What the caller was charged, in credits (`"0.000123"`).
    #[schema(value_type = String)]
    pub charged: crate::domain::Credits,
    pub cached: bool,
    pub error: Option<RunError>,
    pub ttft_ms: Option<u64>,
    pub latency_ms: u64,
}

impl RunService {
    pub fn new(ports: RunPorts, settings: RunSettings) -> Self {
        Self {
            shared: Arc::new(Shared { ports, settings }),
        }
    }

    pub fn settings(&self) -> &RunSettings {
        &self.shared.settings
    }

    /// Starts a run: checks it, holds its worst-case cost, and returns once a model has
    /// begun to answer. Errors before that (validation, 402, 429, every model failing)
    /// come back here, with the run recorded and its hold released.
    pub async fn start(&self, caller: &Caller, request: RunRequest) -> Result<ActiveRun> {
        let principal = caller.user()?;
        let user_id = principal.user_id;
        prompt::check_messages(&request.messages, "messages")?;
        let target = self.resolve(caller, &request.agent).await?;
        let system = prompt::system_prompt(&target.spec, &request.inputs)?;
        let max_tokens = self.max_tokens(&request, &target.spec)?;
        let plan = self
            .shared
            .ports
            .providers
            .plan(
                &target.spec.model,
                user_id,
                target.record.owner_id,
                max_tokens,
            )
            .await?;
        let parameters = &target.spec.model.parameters;
        let sampling = Sampling {
            temperature: request.temperature.or(parameters.temperature),
            top_p: request.top_p.or(parameters.top_p),
            max_tokens,
        };
        let toolbox = tools::AgentToolbox::new(
            &target.spec.tools,
            target.record.owner_id,
            tools::ToolPorts {
                pages: self.shared.ports.pages.clone(),
                mcp: self.shared.ports.mcp.clone(),
                credentials: self.shared.ports.credentials.clone(),
                clock: self.shared.ports.clock.clone(),
                timeout: self.shared.settings.tool_timeout,
            },
        );
        if !toolbox.is_empty() && !request.tools.is_empty() {
            return Err(Error::invalid(
                "tools",
                format!(
                    "{} runs tools of its own; offer your tools to an agent without tools",
                    target.address
                ),
            ));
        }
        let (offered, tool_choice) = if toolbox.is_empty() {
            (request.tools.clone(), request.tool_choice.clone())
        } else {
            (toolbox.specs(), ToolChoice::Auto)
        };
        let llm_request = LlmRequest {
            model: String::new(),
            system,
            messages: request.messages.clone(),
            tools: offered,
            tool_choice,
            sampling,
            stream: request.stream,
        };
        let input_bound = llm::input_token_bound(&llm_request);
        let is_owner = user_id == target.record.owner_id;
        let agent_price = agent_price(user_id, &target);
        let turns = if toolbox.is_empty() {
            1
        } else {
            self.shared.settings.max_tool_turns
        };
        let hold = worst_case(
            &plan,
            tool_turns_bound(input_bound, turns, max_tokens),
            agent_price,
            turns,
        );
        self.shared
            .ports
            .limiter
            .hit(
                &format!("runs:user:{user_id}"),
                Limit {
                    max: u64::from(self.shared.settings.runs_per_minute),
                    window: Duration::from_secs(60),
                },
            )
            .await
            .map_err(|limited| Error::RateLimited {
                retry_after: limited.retry_after,
                detail: format!(
                    "More than {} runs in a minute.",
                    self.shared.settings.runs_per_minute
                ),
            })?;
        let now = self.shared.ports.clock.now();
        let first = plan
            .first()
            .ok_or_else(|| Error::Internal("a run plan without a model".into()))?;
        let new_run = NewRun {
            id: request.id,
            user_id,
            agent_id: target.record.id,
            agent_version: target.version,
            creator_id: target.record.owner_id,
            source: request.source,
            credential: first.credential,
            provider: first.provider_name.clone(),
            model: first.model.clone(),
            hold_micros: hold,
            hold_expires_at: now
                + chrono::Duration::from_std(self.shared.settings.hold_ttl)
                    .unwrap_or(chrono::Duration::MAX),
            price_table: pricing::CURRENT.version,
            conversation_id: request.conversation.as_ref().map(|turn| turn.id),
            user_message: request
                .conversation
                .as_ref()
                .and_then(|turn| turn.question.clone()),
            supersedes: request
                .conversation
                .as_ref()
                .and_then(|turn| turn.supersedes),
        };
        let rules = StartRules {
            now,
            max_concurrent_runs: self.shared.settings.max_concurrent_runs,
        };
        match self.shared.ports.runs.start_run(&new_run, &rules).await {
            Ok(()) => {}
            Err(StartRunError::Exists(existing)) => return replay(*existing),
            Err(error) => return Err(start_error(error)),
        }
        let guard = (target.spec.licence == Licence::Sealed && !is_owner)
            .then(|| guard::PromptGuard::new(&target.spec.system_prompt))
            .flatten();
        let execution = execution::Execution {
            shared: self.shared.clone(),
            run_id: request.id,
            agent: target.address.clone(),
            agent_version: target.version,
            created_at: now,
            plan,
            request: llm_request,
            input_bound,
            agent_price,
            hold,
            guard,
            toolbox,
            max_tool_turns: turns,
            answer_id: request.conversation.as_ref().map(|turn| turn.answer_id),
            function_deadline: crate::services::deadline::current(),
        };
        execution.start().await
    }

    /// Asks a running run of the caller's to stop; its answer ends with what it has.
    pub async fn stop(&self, caller: &Caller, run_id: Uuid) -> Result<RunRecord> {
        let user_id = caller.user()?.user_id;
        let run = self
            .shared
            .ports
            .runs
            .find_run(user_id, run_id)
            .await?
            .ok_or_else(|| Error::NotFound("You have no run with this id.".into()))?;
        if run.status == RunStatus::Running {
            self.shared
                .ports
                .cache
                .set(&stop_key(run_id), b"1", self.shared.settings.hold_ttl)
                .await?;
        }
        Ok(run)
    }

    pub async fn find_run(&self, caller: &Caller, run_id: Uuid) -> Result<RunRecord> {
        let user_id = caller.user()?.user_id;
        self.shared
            .ports
            .runs
            .find_run(user_id, run_id)
            .await?
            .ok_or_else(|| Error::NotFound("You have no run with this id.".into()))
    }

    /// The caller's runs, newest first.
    pub async fn list_runs(
        &self,
        caller: &Caller,
        agent: Option<&AgentAddress>,
        before: Option<Uuid>,
        limit: usize,
    ) -> Result<Vec<RunRecord>> {
        let user_id = caller.user()?.user_id;
        let agent_id = match agent {
            Some(agent) => Some(
                self.shared
                    .ports
                    .agents
                    .find_agent(&agent.handle, &agent.slug)
                    .await?
                    .map(|record| record.id)
                    .ok_or_else(not_found)?,
            ),
            None => None,
        };
        self.shared
            .ports
            .runs
            .list_runs(user_id, agent_id, before, limit)
            .await
    }

    /// Ends runs whose process died (their hold expired), releasing their holds.
    pub async fn release_stale_runs(&self) -> Result<u64> {
        let now = self.shared.ports.clock.now();
        let ports = &self.shared.ports;
        let mut settled = 0;
        // A run whose settlement could not be written kept it in the journal: it is
        // settled as it ended (billing what was produced), not as abandoned.
        for id in ports.runs.stale_runs(now).await? {
            let journaled = match ports.cache.get(&settlement_key(id)).await {
                Ok(Some(bytes)) => serde_json::from_slice::<FinishedRun>(&bytes).ok(),
                _ => None,
            };
            if let Some(finished) = journaled.filter(|finished| finished.id == id) {
                if ports.runs.finish_run(&finished).await? {
                    settled += 1;
                }
                let _ = ports.cache.delete(&settlement_key(id)).await;
            }
        }
        Ok(settled + ports.runs.release_stale_runs(now).await?)
    }

    /// The agent the caller may run, at the version asked for.
    pub async fn resolve(&self, caller: &Caller, agent: &AgentAddress) -> Result<RunTarget> {
        let record = self
            .shared
            .ports
            .agents
            .find_agent(&agent.handle, &agent.slug)
            .await?
            .ok_or_else(not_found)?;
        let owner = caller.user_id() == Some(record.owner_id);
        if !owner && !record.exposure().is_out() {
            return Err(not_found());
        }
        let address = format!("{}/{}", record.owner_handle, record.slug);
        let (version, spec) = match (agent.version, record.latest_version) {
            (VersionChoice::Draft, _) if owner => (None, record.draft.clone()),
            (VersionChoice::Draft, _) => return Err(not_found()),
            (VersionChoice::Latest, None) if owner => (None, record.draft.clone()),
            (VersionChoice::Latest, None) => return Err(not_found()),
            (VersionChoice::Latest, Some(number)) | (VersionChoice::Number(number), _) => {
                let found = self
                    .shared
                    .ports
                    .agents
                    .find_version(record.id, number)
                    .await?
                    .ok_or_else(|| {
                        Error::NotFound(format!(
                            "{address} has no version {number}; see GET /v1/agents/{address}/versions."
                        ))
                    })?;
                (Some(number), found.spec)
            }
        };
        Ok(RunTarget {
            record,
            address,
            version,
            spec,
        })
    }

    /// The most a run of `target` by `caller` can cost (micro-credits), for a prompt of at
    /// most `prompt_bytes` bytes beside the agent's system prompt, and the output tokens
    /// it may use: what a workflow holds for one of its steps.
    pub async fn worst_case(
        &self,
        caller: &Caller,
        target: &RunTarget,
        prompt_bytes: u64,
    ) -> Result<(i64, u32)> {
        let user_id = caller.user()?.user_id;
        let settings = &self.shared.settings;
        let max_tokens = target
            .spec
            .model
            .parameters
            .max_tokens
            .unwrap_or(settings.default_max_tokens)
            .min(settings.max_output_tokens);
        let plan = self
            .shared
            .ports
            .providers
            .plan(
                &target.spec.model,
                user_id,
                target.record.owner_id,
                max_tokens,
            )
            .await?;
        // The system prompt grows by the input fields' values, which come from the prompt
        // bound too: counting the prompt twice covers both.
        let input_bound =
            target.spec.system_prompt.len() as u64 + prompt_bytes.saturating_mul(2) + 64;
        let turns = if target.spec.tools.is_empty() {
            1
        } else {
            settings.max_tool_turns
        };
        Ok((
            worst_case(
                &plan,
                tool_turns_bound(input_bound, turns, max_tokens),
                agent_price(user_id, target),
                turns,
            ),
            max_tokens,
        ))
    }

    fn max_tokens(&self, request: &RunRequest, spec: &AgentSpec) -> Result<u32> {
        let settings = &self.shared.settings;
        let asked = request
            .max_tokens
            .or(spec.model.parameters.max_tokens)
            .unwrap_or(settings.default_max_tokens);
        let model_limit = models::output_limit(spec.model.provider, &spec.model.name)
            .unwrap_or(settings.max_output_tokens);
        let limit = model_limit.min(settings.max_output_tokens);
        if asked == 0 || asked > limit {
            return Err(Error::invalid(
                "max_tokens",
                format!(
                    "must be 1 to {limit} for {} ({} allows {model_limit}, Agora {})",
                    spec.model.name, spec.model.name, settings.max_output_tokens
                ),
            ));
        }
        Ok(asked.min(limit))
    }
}

/// An agent version a caller may run.
pub struct RunTarget {
    pub record: AgentRecord,
    pub address: String,
    pub version: Option<i32>,
    pub spec: AgentSpec,
}

fn start_error(error: StartRunError) -> Error {
    match error {
        StartRunError::InsufficientCredits { available, needed } => Error::InsufficientCredits {
            available: crate::domain::Credits::from_micros(available.max(0)).unwrap_or_default(),
            needed: crate::domain::Credits::from_micros(needed).unwrap_or_default(),
        },
        StartRunError::SpendingLimit {
            period,
            limit,
            spent,
        } => Error::SpendingLimit {
            period,
            limit: crate::domain::Credits::from_micros(limit).unwrap_or_default(),
            spent: crate::domain::Credits::from_micros(spent.max(0)).unwrap_or_default(),
        },
        StartRunError::TooManyRuns { max } => Error::RateLimited {
            retry_after: Duration::from_secs(1),
            detail: format!("You have {max} runs going already; wait for one to finish."),
        },
        StartRunError::Exists(_) => Error::InFlight {
            retry_after: Duration::from_secs(1),
        },
        StartRunError::Other(error) => error,
    }
}

/// Where a run's settlement waits when the database could not take it.
pub(crate) fn settlement_key(run_id: Uuid) -> String {
    format!("run:settlement:{run_id}")
}

pub(crate) fn stop_key(run_id: Uuid) -> String {
    format!("run:stop:{run_id}")
}

fn not_found() -> Error {
    Error::NotFound("No agent has this address.".into())
}
