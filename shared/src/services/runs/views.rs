//! What callers see of runs: a run record, and an agent's figures for its creator.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::{agent_tools::ToolUse, llm::ToolCall};

use crate::ports::{
    Attempt, CredentialKind, DailyRuns, RunError, RunRecord, RunSource, RunStatus, VersionStats,
};

/// A run as stored.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = RunRecord)]
pub struct RunView {
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
    /// The calls the model made to the caller's tools.
    pub tool_calls: Vec<ToolCall>,
    /// The calls Agora made to the agent's own tools.
    pub tool_uses: Vec<ToolUse>,
    pub finish_reason: Option<String>,
    pub error: Option<RunError>,
    pub ttft_ms: Option<i32>,
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<RunRecord> for RunView {
    fn from(record: RunRecord) -> Self {
        Self {
            id: record.id,
            user_id: record.user_id,
            agent_id: record.agent_id,
            agent: record.agent,
            agent_version: record.agent_version,
            conversation_id: record.conversation_id,
            source: record.source,
            status: record.status,
            credential: record.credential,
            provider: record.provider,
            model: record.model,
            attempts: record.attempts,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            usage_estimated: record.usage_estimated,
            model_cost_micros: record.model_cost_micros,
            agent_price_micros: record.agent_price_micros,
            charged_micros: record.charged_micros,
            hold_micros: record.hold_micros,
            price_table: record.price_table,
            cached: record.cached,
            output: record.output,
            tool_calls: record.tool_calls,
            tool_uses: record.tool_uses,
            finish_reason: record.finish_reason,
            error: record.error,
            ttft_ms: record.ttft_ms,
            latency_ms: record.latency_ms,
            created_at: record.created_at,
            finished_at: record.finished_at,
        }
    }
}

/// Per-version figures of an agent, for its creator.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = VersionStats)]
pub struct VersionStatsView {
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

impl From<VersionStats> for VersionStatsView {
    fn from(record: VersionStats) -> Self {
        Self {
            version: record.version,
            runs: record.runs,
            succeeded: record.succeeded,
            failed: record.failed,
            distinct_users: record.distinct_users,
            input_tokens: record.input_tokens,
            output_tokens: record.output_tokens,
            revenue_micros: record.revenue_micros,
        }
    }
}

/// One day of an agent's runs.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = DailyRuns)]
pub struct DailyRunsView {
    pub day: NaiveDate,
    pub runs: i64,
    pub distinct_users: i64,
    pub revenue_micros: i64,
}

impl From<DailyRuns> for DailyRunsView {
    fn from(record: DailyRuns) -> Self {
        Self {
            day: record.day,
            runs: record.runs,
            distinct_users: record.distinct_users,
            revenue_micros: record.revenue_micros,
        }
    }
}
