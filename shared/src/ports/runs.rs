//! Run records: who ran what, how it ended, what it cost, and the hold it started with.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::{
    agent_tools::ToolUse,
    llm::{FinishReason, RunFailure, ToolCall, Usage},
};

/// Where a run was asked for.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RunSource {
    /// A conversation in the web UI or the conversations API.
    Chat,
    /// `POST /v1/runs`.
    Api,
    /// `POST /v1/chat/completions`.
    Openai,
    /// A workflow step.
    Workflow,
}

impl RunSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Api => "api",
            Self::Openai => "openai",
            Self::Workflow => "workflow",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "chat" => Self::Chat,
            "openai" => Self::Openai,
            "workflow" => Self::Workflow,
            _ => Self::Api,
        }
    }
}

/// Whose credential paid the provider.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// Agora's key: the caller pays the model's tokens.
    Platform,
    /// The caller's own key: the provider bills them directly, Agora charges no tokens.
    OwnKey,
    /// The creator's own endpoint and key: the creator pays, the caller pays the price.
    CreatorEndpoint,
    /// The offline model.
    Offline,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::OwnKey => "own_key",
            Self::CreatorEndpoint => "creator_endpoint",
            Self::Offline => "offline",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "own_key" => Self::OwnKey,
            "creator_endpoint" => Self::CreatorEndpoint,
            "offline" => Self::Offline,
            _ => Self::Platform,
        }
    }
}

/// How a run ended.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    /// Every model failed, or the answer was invalid; the error says why.
    Failed,
    /// The user stopped the answer.
    Stopped,
    /// The client went away mid-answer; billed for what was produced.
    Disconnected,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Disconnected => "disconnected",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "running" => Self::Running,
            "succeeded" => Self::Succeeded,
            "stopped" => Self::Stopped,
            "disconnected" => Self::Disconnected,
            _ => Self::Failed,
        }
    }
}

/// One provider call of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// `ok`, or the failure: `rate_limited`, `unavailable`, `timeout`, `invalid`, `refused`.
    pub outcome: String,
    pub detail: Option<String>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub usage_estimated: bool,
    pub cost_micros: i64,
    pub latency_ms: u64,
}

/// The user's message that starts a run in a conversation, stored with the run.
#[derive(Clone, Debug)]
pub struct NewMessage {
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub content: String,
}

/// A run about to call a provider, with the hold that covers its worst case.
#[derive(Clone, Debug)]
pub struct NewRun {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    pub agent_version: Option<i32>,
    pub creator_id: Uuid,
    pub source: RunSource,
    pub credential: CredentialKind,
    pub provider: String,
    pub model: String,
    pub hold_micros: i64,
    pub hold_expires_at: DateTime<Utc>,
    pub price_table: &'static str,
    pub conversation_id: Option<Uuid>,
    pub user_message: Option<NewMessage>,
    /// The conversation's answer this run replaces: superseded in the transaction that
    /// admits the run, or the start fails with `Conflict` when it already was.
    pub supersedes: Option<Uuid>,
}

/// The rules a run start checks, all under the user's account lock.
#[derive(Clone, Copy, Debug)]
pub struct StartRules {
    pub now: DateTime<Utc>,
    /// Live runs a user may have at once.
    pub max_concurrent_runs: u32,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartRunError {
    #[error("the balance cannot cover the hold")]
    InsufficientCredits { available: i64, needed: i64 },
    #[error("the {period} spending limit would be exceeded")]
    SpendingLimit {
        period: &'static str,
        limit: i64,
        spent: i64,
    },
    #[error("too many runs at once")]
    TooManyRuns { max: u32 },
    /// A run with this id exists (an idempotent retry).
    #[error("the run exists")]
    Exists(Box<RunRecord>),
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// A run as it ended, to record exactly once (kept in the settlement journal as JSON when
/// the database cannot take it).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FinishedRun {
    pub id: Uuid,
    pub status: RunStatus,
    pub provider: String,
    pub model: String,
    pub attempts: Vec<Attempt>,
    pub usage: Usage,
    pub usage_estimated: bool,
    pub model_cost_micros: i64,
    /// Charged only when the run succeeded; credited to the creator.
    pub agent_price_micros: i64,
    pub cached: bool,
    pub output: String,
    /// The tools the model called (offered by the caller), in order.
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
    /// The calls Agora made to the agent's own tools, in order.
    #[serde(default)]
    pub tool_uses: Vec<ToolUse>,
    pub finish_reason: Option<FinishReason>,
    pub error: Option<RunError>,
    pub ttft_ms: Option<u64>,
    pub latency_ms: u64,
    pub finished_at: DateTime<Utc>,
    /// The answer's message id in the run's conversation, if it has one.
    pub answer_id: Option<Uuid>,
}

/// Why a run failed, as its record and its problem say.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RunError {
    /// The problem type's last segment.
    pub kind: RunFailure,
    pub detail: String,
}

/// A run as stored.
#[derive(Clone, Debug)]
pub struct RunRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    /// `handle/slug` of the agent.
    pub agent: String,
    /// `None`: the owner's draft.
    pub agent_version: Option<i32>,
    pub conversation_id: Option<Uuid>,
    pub source: RunSource,
    pub status: RunStatus,
    pub credential: CredentialKind,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub attempts: Vec<Attempt>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub usage_estimated: bool,
    pub model_cost_micros: i64,
    pub agent_price_micros: i64,
    pub charged_micros: i64,
    pub hold_micros: i64,
    pub price_table: String,
    pub cached: bool,
    pub output: String,
    pub tool_calls: Vec<ToolCall>,
    pub tool_uses: Vec<ToolUse>,
    pub finish_reason: Option<String>,
    pub error: Option<RunError>,
    pub ttft_ms: Option<i32>,
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Per-version figures of an agent, for its creator.
#[derive(Clone, Debug, PartialEq)]
pub struct VersionStats {
    /// `None`: runs of the draft.
    pub version: Option<i32>,
    pub runs: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub distinct_users: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Credits earned from the agent's price, in micro-credits.
    pub revenue_micros: i64,
}

/// One day of an agent's runs.
#[derive(Clone, Debug, PartialEq)]
pub struct DailyRuns {
    pub day: NaiveDate,
    pub runs: i64,
    pub distinct_users: i64,
    pub revenue_micros: i64,
}

/// Run records and the credits they move.
#[async_trait]
pub trait RunStore: Send + Sync {
    /// Records the run and takes its hold, in one transaction under the user's account
    /// lock: the balance never goes below zero, whatever runs race.
    async fn start_run(&self, run: &NewRun, rules: &StartRules) -> Result<(), StartRunError>;
    /// Ends a running run: status, usage, the charge, the creator's earning and the answer,
    /// in one transaction. `false` when the run had already ended (nothing changes).
    async fn finish_run(&self, run: &FinishedRun) -> crate::Result<bool>;
    async fn find_run(&self, user_id: Uuid, id: Uuid) -> crate::Result<Option<RunRecord>>;
    /// The user's runs, newest first, before `before` (a run id of the previous page).
    async fn list_runs(
        &self,
        user_id: Uuid,
        agent_id: Option<Uuid>,
        before: Option<Uuid>,
        limit: usize,
    ) -> crate::Result<Vec<RunRecord>>;
    /// The runs whose hold expired while they were running.
    async fn stale_runs(&self, now: DateTime<Utc>) -> crate::Result<Vec<Uuid>>;
    /// Ends runs whose hold expired while they were running (their process died), as
    /// failed and unbilled; returns how many.
    async fn release_stale_runs(&self, now: DateTime<Utc>) -> crate::Result<u64>;
    async fn version_stats(&self, agent_id: Uuid) -> crate::Result<Vec<VersionStats>>;
    async fn daily_runs(&self, agent_id: Uuid, since: NaiveDate) -> crate::Result<Vec<DailyRuns>>;
}
