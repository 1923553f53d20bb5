//! The ports of the run path: language models, run records with the credits they hold and
//! charge, conversations, users' own provider keys, the keys that wrap them, and HTTP
//! idempotency records.

use std::{pin::Pin, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use futures::Stream;
use uuid::Uuid;

use crate::domain::llm::{FinishReason, LlmEvent, LlmRequest, ProviderError, Usage};

/// A model's answer as normalised events.
pub type LlmStream = Pin<Box<dyn Stream<Item = Result<LlmEvent, ProviderError>> + Send>>;

/// One provider endpoint with its credential: OpenAI, Anthropic, Bedrock, an
/// OpenAI-compatible server, or the offline model.
#[async_trait]
pub trait LlmProvider: Send + Sync {
    /// Sends the request; the answer streams as events, ending with a finish or an error.
    async fn call(&self, request: &LlmRequest) -> Result<LlmStream, ProviderError>;
}

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
}

/// The rules a run start checks, all under the user's account lock.
#[derive(Clone, Copy, Debug)]
pub struct StartRules {
    pub now: DateTime<Utc>,
    /// Credits a first-time account receives.
    pub signup_grant_micros: i64,
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

/// A run as it ended, to record exactly once.
#[derive(Clone, Debug)]
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
    /// The problem type's last segment (`upstream-invalid`, `timeout`, ...).
    pub kind: String,
    pub detail: String,
}

/// A run as stored.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
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
    pub finish_reason: Option<String>,
    pub error: Option<RunError>,
    pub ttft_ms: Option<i32>,
    pub latency_ms: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// Per-version figures of an agent, for its creator.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
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
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
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
    /// Ends runs whose hold expired while they were running (their process died), as
    /// failed and unbilled; returns how many.
    async fn release_stale_runs(&self, now: DateTime<Utc>) -> crate::Result<u64>;
    async fn version_stats(&self, agent_id: Uuid) -> crate::Result<Vec<VersionStats>>;
    async fn daily_runs(&self, agent_id: Uuid, since: NaiveDate) -> crate::Result<Vec<DailyRuns>>;
}

/// A user's credits.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct CreditAccount {
    pub balance_micros: i64,
    pub held_micros: i64,
    pub daily_limit_micros: Option<i64>,
    pub monthly_limit_micros: Option<i64>,
    pub spent_today_micros: i64,
    pub spent_this_month_micros: i64,
}

#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    SignupGrant,
    AdminGrant,
    RunCharge,
    CreatorEarning,
}

impl LedgerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignupGrant => "signup_grant",
            Self::AdminGrant => "admin_grant",
            Self::RunCharge => "run_charge",
            Self::CreatorEarning => "creator_earning",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "signup_grant" => Self::SignupGrant,
            "admin_grant" => Self::AdminGrant,
            "creator_earning" => Self::CreatorEarning,
            _ => Self::RunCharge,
        }
    }
}

/// One ledger row.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: i64,
    pub kind: LedgerKind,
    /// Positive: credits in; negative: credits out.
    pub amount_micros: i64,
    pub balance_after_micros: i64,
    pub run_id: Option<Uuid>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// One day of a user's spending and earning, for charts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct DailyCredits {
    pub day: NaiveDate,
    pub spent_micros: i64,
    pub earned_micros: i64,
    pub runs: i64,
}

/// Balances and the ledger.
#[async_trait]
pub trait CreditStore: Send + Sync {
    /// The user's account, opened with `signup_grant_micros` on first use.
    async fn account(
        &self,
        user_id: Uuid,
        signup_grant_micros: i64,
        now: DateTime<Utc>,
    ) -> crate::Result<CreditAccount>;
    /// Adds credits (an administrator's grant) with a ledger row; returns the row.
    async fn grant(
        &self,
        user_id: Uuid,
        amount_micros: i64,
        note: &str,
        signup_grant_micros: i64,
    ) -> crate::Result<LedgerEntry>;
    async fn ledger(
        &self,
        user_id: Uuid,
        before: Option<i64>,
        limit: usize,
    ) -> crate::Result<Vec<LedgerEntry>>;
    async fn set_limits(
        &self,
        user_id: Uuid,
        daily_micros: Option<i64>,
        monthly_micros: Option<i64>,
    ) -> crate::Result<()>;
    async fn daily_credits(
        &self,
        user_id: Uuid,
        since: NaiveDate,
    ) -> crate::Result<Vec<DailyCredits>>;
}

/// A conversation as listed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ConversationRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub agent_id: Uuid,
    /// `handle/slug`.
    pub agent: String,
    pub agent_name: String,
    pub agent_version: Option<i32>,
    pub title: String,
    /// The agent's input fields, as given when the conversation started.
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub inputs: std::collections::BTreeMap<String, serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct MessageRecord {
    pub id: Uuid,
    pub role: crate::domain::llm::Role,
    pub content: String,
    pub run_id: Option<Uuid>,
    /// `complete`, `stopped`, `failed` or `superseded` (regenerated).
    pub status: String,
    /// Of an answer: the model that wrote it and what it cost, in micro-credits.
    pub model: Option<String>,
    pub charged_micros: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// Conversations and their messages.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn create_conversation(&self, conversation: &ConversationRecord) -> crate::Result<()>;
    /// The user's conversation, `None` when it is not theirs or does not exist.
    async fn find_conversation(
        &self,
        user_id: Uuid,
        id: Uuid,
    ) -> crate::Result<Option<ConversationRecord>>;
    async fn list_conversations(
        &self,
        user_id: Uuid,
        limit: usize,
    ) -> crate::Result<Vec<ConversationRecord>>;
    /// The messages that are not superseded, oldest first.
    async fn messages(&self, conversation_id: Uuid) -> crate::Result<Vec<MessageRecord>>;
    /// Marks the last answer superseded (regenerate); returns the user message before it.
    async fn supersede_last_answer(
        &self,
        conversation_id: Uuid,
    ) -> crate::Result<Option<MessageRecord>>;
    async fn delete_conversation(&self, user_id: Uuid, id: Uuid) -> crate::Result<bool>;
}

/// Wraps and unwraps data keys: KMS in AWS, a local key file locally.
#[async_trait]
pub trait KeyWrapper: Send + Sync {
    /// A fresh 256-bit data key, in plaintext and wrapped.
    async fn generate_data_key(&self) -> crate::Result<DataKey>;
    async fn unwrap_data_key(&self, wrapped: &[u8]) -> crate::Result<Vec<u8>>;
    /// Which master key wraps (stored beside each wrapped key).
    fn key_id(&self) -> &str;
}

/// A data key: use the plaintext, store the wrapped copy.
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub wrapped: Vec<u8>,
}

/// A user's stored provider credential.
#[derive(Clone, Debug)]
pub struct ProviderCredentialRecord {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub provider: String,
    pub base_url: Option<String>,
    pub key_last_four: String,
    pub wrapped_data_key: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// `Err(Conflict)` when the user has a credential of this name.
    async fn insert_credential(&self, credential: &ProviderCredentialRecord) -> crate::Result<()>;
    async fn list_credentials(&self, user_id: Uuid)
    -> crate::Result<Vec<ProviderCredentialRecord>>;
    async fn delete_credential(&self, user_id: Uuid, id: Uuid) -> crate::Result<bool>;
}

/// What an idempotency key has seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use (or the earlier one expired, or died in flight): go ahead.
    Started,
    /// A finished request with this key: replay its response.
    Completed {
        request_hash: Vec<u8>,
        response: Vec<u8>,
    },
    /// Another request with this key is executing.
    InProgress { request_hash: Vec<u8> },
}

/// Idempotency records: DynamoDB in AWS, PostgreSQL otherwise.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request with `request_hash`, unless a live record holds it.
    async fn claim(
        &self,
        key: &str,
        request_hash: &[u8],
        now: DateTime<Utc>,
        in_progress_for: Duration,
        keep_for: Duration,
    ) -> crate::Result<IdempotencyClaim>;
    /// Stores the response of a claimed key.
    async fn complete(
        &self,
        key: &str,
        response: &[u8],
        now: DateTime<Utc>,
        keep_for: Duration,
    ) -> crate::Result<()>;
    /// Forgets a claimed key whose request was refused before it did anything.
    async fn release(&self, key: &str) -> crate::Result<()>;
}
