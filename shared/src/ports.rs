//! The narrow traits services need from the outside world, one capability each.
//!
//! Adapters in [`crate::adapters`] implement them; each port has one contract suite that
//! every adapter of it passes (see `shared/tests/it/`).

pub mod reviews;
pub mod runs;
pub mod workflows;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{AgentSpec, DisplayName, Email, Handle, Password, RequestOrigin, Role, Slug};

/// A shared key-value cache with per-entry time to live: Redis in production, in-process
/// (moka) locally. Keys are namespaced by the adapter; callers pass bare keys.
#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError>;
    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError>;
    async fn delete(&self, key: &str) -> Result<(), CacheError>;
    /// Adds one to the counter at `key` and returns the new count. The first increment
    /// starts the window: the counter expires `window` after it, later increments keep
    /// that expiry (a fixed-window rate counter).
    async fn increment(&self, key: &str, window: Duration) -> Result<u64, CacheError>;
    /// A cheap round trip, for health checks.
    async fn ping(&self) -> Result<(), CacheError>;
}

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache unavailable: {0}")]
    Unavailable(String),
    #[error("cache value at `{key}` is not a counter")]
    NotACounter { key: String },
}

impl From<CacheError> for crate::Error {
    fn from(error: CacheError) -> Self {
        match error {
            CacheError::Unavailable(cause) => Self::Unavailable {
                dependency: "cache",
                cause,
            },
            CacheError::NotACounter { .. } => Self::Internal(error.to_string()),
        }
    }
}

/// One backend the health report checks: a round trip that proves it answers.
#[async_trait]
pub trait DependencyProbe: Send + Sync {
    /// Stable name shown in the health report: `database`, `cache`, `s3`, ...
    fn name(&self) -> &'static str;
    /// Succeeds when the dependency answered; the error says why not, without secrets.
    async fn probe(&self) -> Result<(), String>;
}

/// The time, injectable so expiry and refresh logic can be tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Hashes and verifies passwords.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for `password` with the current parameters.
    async fn hash(&self, password: &Password) -> crate::Result<String>;
    /// Checks `password` against a stored PHC string.
    async fn verify(&self, password: &Password, phc: &str) -> crate::Result<PasswordCheck>;
    /// A hash no password matches, with the current parameters: verifying against it costs
    /// what a real verification costs, so an unknown email takes as long as a known one.
    async fn dummy_hash(&self) -> crate::Result<String>;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordCheck {
    Mismatch,
    /// The password is right; `needs_rehash` when the stored hash is weaker than the
    /// current parameters.
    Match {
        needs_rehash: bool,
    },
}

/// The secret holding Agora's own keys (signing keys now, provider keys later).
#[async_trait]
pub trait SecretSource: Send + Sync {
    async fn read(&self) -> Result<String, SecretError>;
    /// Where the secret lives, for error messages (never its value).
    fn describe(&self) -> String;
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret unavailable: {0}")]
    Unavailable(String),
    #[error("secret invalid: {0}")]
    Invalid(String),
}

/// A user as stored, password hash included: never serialised to a client.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar: Option<String>,
    pub role: Role,
    pub password_hash: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: Uuid,
    pub email: Email,
    pub handle: Handle,
    pub display_name: DisplayName,
    pub role: Role,
    pub password_hash: String,
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("an account with this email exists")]
    EmailTaken,
    #[error("another account has this handle")]
    HandleTaken,
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// Public profile fields to change; `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct ProfileChange {
    pub display_name: Option<DisplayName>,
    pub handle: Option<Handle>,
    pub bio: Option<String>,
    /// A verified upload key.
    pub avatar: Option<String>,
}

/// What a password update is for.
#[derive(Clone, Debug)]
pub enum PasswordUpdate {
    /// Same password, stronger hash (on login); sessions stay.
    Rehash,
    /// A new password: every session of the user is revoked, and the change audited.
    Change { audit: AuditRecord },
}

/// Users: the accounts table.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts the user and its audit row in one transaction.
    async fn insert_user(
        &self,
        user: &NewUser,
        audit: &AuditRecord,
    ) -> Result<UserRecord, InsertUserError>;
    async fn find_user_by_email(&self, email: &Email) -> crate::Result<Option<UserRecord>>;
    async fn find_user(&self, id: Uuid) -> crate::Result<Option<UserRecord>>;
    /// Changes the public profile fields given; `Err(HandleTaken)` when the handle is.
    async fn update_profile(
        &self,
        id: Uuid,
        profile: &ProfileChange,
    ) -> Result<Option<UserRecord>, InsertUserError>;
    async fn update_password_hash(
        &self,
        id: Uuid,
        hash: &str,
        update: PasswordUpdate,
    ) -> crate::Result<()>;
    /// Makes an existing user an admin (the CLI only).
    async fn promote_to_admin(&self, id: Uuid, audit: &AuditRecord) -> crate::Result<()>;
}

/// A signed-in user, as a session store sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: Uuid,
    pub role: Role,
    pub session_id: Uuid,
}

/// What presenting a refresh token did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now used up and `successors[index]` replaced it.
    Rotated { user: SessionUser, successor: usize },
    /// The token was rotated moments ago (within the grace period) and its successor is
    /// still unused: the same successor again, for a client retrying a lost response.
    Replayed { user: SessionUser, successor: usize },
    /// The token was rotated earlier: a replay by someone else. Its whole family is now
    /// revoked and the reuse audited.
    Reused { user: SessionUser },
    /// Unknown, expired or revoked.
    Refused,
}

/// What a refresh needs to decide, all in one transaction.
#[derive(Clone, Debug)]
pub struct RotationRequest<'a> {
    pub presented_hash: &'a [u8],
    /// Hashes of the presented token's successors under each signing key, the active key
    /// first; the first is inserted on rotation.
    pub successor_hashes: &'a [Vec<u8>],
    pub now: DateTime<Utc>,
    pub successor_expires_at: DateTime<Utc>,
    /// How long after a rotation the same token still gets the same successor.
    pub grace: Duration,
    /// Written when the presentation is a reuse.
    pub reuse_audit: AuditRecord,
}

/// Refresh-token families (sign-in sessions).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a family with its first token; returns the family id.
    async fn start_session(
        &self,
        user_id: Uuid,
        token_hash: &[u8],
        expires_at: DateTime<Utc>,
    ) -> crate::Result<Uuid>;
    async fn rotate(&self, request: RotationRequest<'_>) -> crate::Result<Rotation>;
    /// Revokes the family of the token (logout); `None` when the token is unknown.
    async fn end_session(&self, token_hash: &[u8]) -> crate::Result<Option<SessionUser>>;
}

/// An API key as listed to its owner: never the key, only its visible prefix.
#[derive(Clone, Debug)]
pub struct ApiKeyRecord {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct NewApiKey {
    pub id: Uuid,
    pub user_id: Uuid,
    pub name: String,
    pub prefix: String,
    pub key_hash: Vec<u8>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The owner of a live API key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiKeyOwner {
    pub key_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum InsertApiKeyError {
    #[error("the user has {0} live API keys, the most allowed")]
    TooMany(usize),
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// API keys.
#[async_trait]
pub trait ApiKeyStore: Send + Sync {
    /// Inserts the key and its audit row, unless the user already has `max_live` live keys.
    async fn insert_api_key(
        &self,
        key: &NewApiKey,
        max_live: usize,
        audit: &AuditRecord,
    ) -> Result<ApiKeyRecord, InsertApiKeyError>;
    async fn list_api_keys(&self, user_id: Uuid) -> crate::Result<Vec<ApiKeyRecord>>;
    /// Revokes the caller's key; `None` when the user has no such key.
    async fn revoke_api_key(
        &self,
        user_id: Uuid,
        key_id: Uuid,
        now: DateTime<Utc>,
        audit: &AuditRecord,
    ) -> crate::Result<Option<(ApiKeyRecord, Vec<u8>)>>;
    /// The owner of the live, unexpired key with this hash, noting its use.
    async fn use_api_key(
        &self,
        key_hash: &[u8],
        now: DateTime<Utc>,
    ) -> crate::Result<Option<ApiKeyOwner>>;
}

/// Security-relevant actions, as the audit log records them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub enum AuditAction {
    #[serde(rename = "user.registered")]
    UserRegistered,
    #[serde(rename = "login.succeeded")]
    LoginSucceeded,
    #[serde(rename = "login.failed")]
    LoginFailed,
    #[serde(rename = "login.limited")]
    LoginLimited,
    #[serde(rename = "session.ended")]
    SessionEnded,
    #[serde(rename = "refresh_token.reused")]
    RefreshTokenReused,
    #[serde(rename = "password.changed")]
    PasswordChanged,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    #[serde(rename = "admin.granted")]
    AdminGranted,
    #[serde(rename = "agent.delisted")]
    AgentDelisted,
    #[serde(rename = "agent.relisted")]
    AgentRelisted,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user.registered",
            Self::LoginSucceeded => "login.succeeded",
            Self::LoginFailed => "login.failed",
            Self::LoginLimited => "login.limited",
            Self::SessionEnded => "session.ended",
            Self::RefreshTokenReused => "refresh_token.reused",
            Self::PasswordChanged => "password.changed",
            Self::ApiKeyCreated => "api_key.created",
            Self::ApiKeyRevoked => "api_key.revoked",
            Self::AdminGranted => "admin.granted",
            Self::AgentDelisted => "agent.delisted",
            Self::AgentRelisted => "agent.relisted",
        }
    }
}

/// One audit row to write. Never holds a secret.
#[derive(Clone, Debug)]
pub struct AuditRecord {
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    /// What the action was about: a key id, a session id, an email for failed logins.
    pub subject: Option<String>,
    pub origin: RequestOrigin,
    pub details: serde_json::Value,
}

/// One audit row as read back.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub subject: Option<String>,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// The audit log.
#[async_trait]
pub trait AuditLog: Send + Sync {
    async fn record(&self, entry: &AuditRecord) -> crate::Result<()>;
    /// Newest first, rows with ids below `before` (a cursor), at most `limit`.
    async fn list_audit(
        &self,
        actor_id: Option<Uuid>,
        before: Option<i64>,
        limit: usize,
    ) -> crate::Result<Vec<AuditEntry>>;
}

/// Who may see an agent beyond its owner.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The owner only.
    Private,
    /// Anyone with the address; absent from listings and search.
    Unlisted,
    /// Everyone; listed once published.
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "private",
            Self::Unlisted => "unlisted",
            Self::Public => "public",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "public" => Self::Public,
            "unlisted" => Self::Unlisted,
            _ => Self::Private,
        }
    }
}

/// Where an agent is in its life.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Never published.
    Draft,
    Published,
    /// Taken off the marketplace by an administrator; the owner sees the reason.
    Delisted,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
            Self::Delisted => "delisted",
        }
    }

    pub fn from_stored(stored: &str) -> Self {
        match stored {
            "published" => Self::Published,
            "delisted" => Self::Delisted,
            _ => Self::Draft,
        }
    }
}

/// An agent as stored (its draft included): services decide what a caller may see of it.
#[derive(Clone, Debug)]
pub struct AgentRecord {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub owner_handle: String,
    pub owner_name: String,
    pub slug: String,
    pub visibility: Visibility,
    pub status: AgentStatus,
    pub delist_reason: Option<String>,
    pub draft: AgentSpec,
    pub draft_updated_at: DateTime<Utc>,
    pub latest_version: Option<i32>,
    /// `handle/slug` of the agent this one was forked from, and the version.
    pub forked_from: Option<(String, i32)>,
    pub fork_count: i32,
    pub save_count: i32,
    pub view_count: i64,
    pub run_count: i64,
    pub is_demo: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// One immutable published version.
#[derive(Clone, Debug)]
pub struct VersionRecord {
    pub version: i32,
    pub spec: AgentSpec,
    pub changelog: String,
    pub created_at: DateTime<Utc>,
    pub deprecated_at: Option<DateTime<Utc>>,
    pub deprecation_note: Option<String>,
}

/// A new agent (a draft).
#[derive(Clone, Debug)]
pub struct NewAgent {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub slug: Slug,
    pub visibility: Visibility,
    pub draft: AgentSpec,
    /// The agent and version this draft was forked from.
    pub forked_from: Option<(Uuid, i32)>,
    pub is_demo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateAgentError {
    #[error("the owner already has an agent with this slug")]
    SlugTaken,
    #[error(transparent)]
    Other(#[from] crate::Error),
}

/// A category of the marketplace.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Category {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
    /// Listed agents in it.
    pub agent_count: i64,
}

/// A creator's public profile and totals.
#[derive(Clone, Debug)]
pub struct CreatorRecord {
    pub user_id: Uuid,
    pub handle: String,
    pub display_name: String,
    pub bio: String,
    pub avatar: Option<String>,
    pub joined_at: DateTime<Utc>,
    pub public_agents: i64,
    pub total_saves: i64,
    pub total_forks: i64,
    pub total_runs: i64,
}

/// An agent in a user's library.
#[derive(Clone, Debug)]
pub struct SavedRecord {
    pub agent: AgentRecord,
    pub pinned_version: Option<i32>,
    pub saved_at: DateTime<Utc>,
}

/// Agents, their versions, categories, profiles, libraries and forks.
#[async_trait]
pub trait AgentStore: Send + Sync {
    async fn create_agent(&self, agent: &NewAgent) -> Result<AgentRecord, CreateAgentError>;
    async fn find_agent(&self, handle: &str, slug: &str) -> crate::Result<Option<AgentRecord>>;
    async fn find_agent_by_id(&self, id: Uuid) -> crate::Result<Option<AgentRecord>>;
    /// Replaces the draft and/or the visibility.
    async fn update_agent(
        &self,
        id: Uuid,
        draft: Option<&AgentSpec>,
        visibility: Option<Visibility>,
    ) -> crate::Result<AgentRecord>;
    /// Copies the draft into the next version and points `latest` at it.
    async fn publish_version(&self, id: Uuid, changelog: &str) -> crate::Result<VersionRecord>;
    async fn list_versions(&self, id: Uuid) -> crate::Result<Vec<VersionRecord>>;
    async fn find_version(&self, id: Uuid, version: i32) -> crate::Result<Option<VersionRecord>>;
    async fn set_latest_version(&self, id: Uuid, version: i32) -> crate::Result<AgentRecord>;
    async fn deprecate_version(
        &self,
        id: Uuid,
        version: i32,
        note: &str,
    ) -> crate::Result<Option<VersionRecord>>;
    /// Delists (with the reason) or relists an agent, audited.
    async fn set_delisted(
        &self,
        id: Uuid,
        reason: Option<&str>,
        audit: &AuditRecord,
    ) -> crate::Result<AgentRecord>;
    /// Creates the fork and counts it on the original, in one transaction.
    async fn create_fork(&self, fork: &NewAgent) -> Result<AgentRecord, CreateAgentError>;
    async fn list_owned_agents(&self, owner_id: Uuid) -> crate::Result<Vec<AgentRecord>>;
    async fn save_agent(
        &self,
        user_id: Uuid,
        agent_id: Uuid,
        pinned: Option<i32>,
    ) -> crate::Result<()>;
    /// `false` when it was not saved.
    async fn unsave_agent(&self, user_id: Uuid, agent_id: Uuid) -> crate::Result<bool>;
    async fn list_saved_agents(&self, user_id: Uuid) -> crate::Result<Vec<SavedRecord>>;
    /// Notes one view; `true` when it is the viewer's first of the day (trending moved).
    async fn record_view(
        &self,
        agent_id: Uuid,
        viewer: &str,
        day: chrono::NaiveDate,
    ) -> crate::Result<bool>;
    async fn list_categories(&self) -> crate::Result<Vec<Category>>;
    async fn upsert_category(&self, category: &Category) -> crate::Result<Category>;
    async fn find_creator(&self, handle: &str) -> crate::Result<Option<CreatorRecord>>;
    /// Listing cards of these agents' latest versions, in the order given; agents without a
    /// published version are skipped.
    async fn agent_cards(&self, ids: &[Uuid]) -> crate::Result<Vec<AgentCard>>;
    /// Inserts agents already published as version 1 and public (demo and benchmark
    /// content), in one transaction; agents whose slug the owner has are skipped. Returns
    /// the ids inserted.
    async fn insert_published_agents(
        &self,
        owner_id: Uuid,
        agents: &[SeedAgent],
    ) -> crate::Result<Vec<Uuid>>;
}

/// An agent `agora seed` creates, published at once.
#[derive(Clone, Debug)]
pub struct SeedAgent {
    pub id: Uuid,
    pub slug: Slug,
    pub spec: AgentSpec,
    pub is_demo: bool,
}

/// What a listing shows of an agent: its latest version's listing fields and counters.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AgentCard {
    pub id: Uuid,
    /// `handle/slug`, the agent's address.
    pub address: String,
    pub handle: String,
    pub slug: String,
    pub creator_name: String,
    pub name: String,
    pub summary: String,
    pub category: String,
    pub tags: Vec<String>,
    pub icon: Option<String>,
    pub licence: crate::domain::Licence,
    #[schema(value_type = String)]
    pub price_per_run: crate::domain::Credits,
    pub provider: String,
    pub model: String,
    pub latest_version: i32,
    pub save_count: i32,
    pub fork_count: i32,
    pub run_count: i64,
    pub view_count: i64,
    pub is_demo: bool,
    pub published_at: DateTime<Utc>,
}

/// What the catalog indexes of a listed agent's latest version.
#[derive(Clone, Debug)]
pub struct CatalogEntry {
    pub agent_id: Uuid,
    pub owner_id: Uuid,
    pub spec: AgentSpec,
    pub published_at: DateTime<Utc>,
    pub embedding: Vec<f32>,
}

/// How results are ordered.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum CatalogSort {
    /// Best match first (the default with a query).
    Relevance,
    /// Most distinct viewers over the last 7 days (the default without a query).
    Trending,
    Newest,
    MostUsed,
    /// Highest Bayesian rating first.
    TopRated,
}

/// How a text query matches.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Words in the name, summary, tags and description, tolerant of typos.
    Keyword,
    /// Meaning: the query is embedded and compared with each agent's embedding.
    Semantic,
    /// Both, ranks fused (the default).
    #[default]
    Hybrid,
}

/// Filters every catalog query may carry.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CatalogFilters {
    /// Only this creator's agents.
    pub owner_id: Option<Uuid>,
    pub category: Option<String>,
    /// Every listed tag must be present.
    pub tags: Vec<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub min_price_micros: Option<i64>,
    pub max_price_micros: Option<i64>,
    pub language: Option<String>,
    pub licence: Option<String>,
}

/// Where a page starts.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum PageStart {
    First,
    /// After the row with this sort value and id (browse).
    After {
        key: i64,
        id: Uuid,
    },
    /// After this many results (ranked search).
    Offset(usize),
}

#[derive(Clone, Debug)]
pub struct CatalogQuery {
    pub text: Option<String>,
    pub mode: SearchMode,
    /// The query's embedding, for semantic and hybrid search.
    pub embedding: Option<Vec<f32>>,
    pub filters: CatalogFilters,
    pub sort: CatalogSort,
    pub start: PageStart,
    pub limit: usize,
    /// Count facets (first page only): over the matching ranked results when there are
    /// words, over the filtered listing otherwise.
    pub facets: bool,
}

/// One page of agent ids in order, where the next page starts, and facet counts.
#[derive(Clone, Debug, Default)]
pub struct CatalogPage {
    pub agent_ids: Vec<Uuid>,
    pub next: Option<PageStart>,
    pub facets: Facets,
}

/// Counts of the agents matching the query, per value of each facet.
#[derive(
    Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Facets {
    pub category: Vec<FacetCount>,
    pub tags: Vec<FacetCount>,
    pub provider: Vec<FacetCount>,
    pub language: Vec<FacetCount>,
    pub licence: Vec<FacetCount>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FacetCount {
    pub value: String,
    pub count: i64,
}

/// The catalog's search index: what is listed, found by filters, words and meaning.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Lists (or re-lists) agents with these entries, in one batch.
    async fn index_agents(&self, entries: &[CatalogEntry]) -> crate::Result<()>;
    /// Takes an agent out of listings and search.
    async fn remove_agent(&self, agent_id: Uuid) -> crate::Result<()>;
    async fn search(&self, query: &CatalogQuery) -> crate::Result<CatalogPage>;
}

/// Turns text into a vector for semantic search; every vector has [`EMBEDDING_DIMENSIONS`].
#[async_trait]
pub trait Embedder: Send + Sync {
    /// The model's name, shown to users (`agora/offline-hash-256` is the labelled default).
    fn model(&self) -> &str;
    async fn embed(&self, texts: &[String]) -> crate::Result<Vec<Vec<f32>>>;
}

/// The dimensions of every embedding Agora stores.
pub const EMBEDDING_DIMENSIONS: usize = 256;

/// What an upload is for; each has its own size limit and types.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UploadPurpose {
    AgentIcon,
    Avatar,
}

impl UploadPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AgentIcon => "agent_icon",
            Self::Avatar => "avatar",
        }
    }

    pub fn from_stored(stored: &str) -> Option<Self> {
        match stored {
            "agent_icon" => Some(Self::AgentIcon),
            "avatar" => Some(Self::Avatar),
            _ => None,
        }
    }
}

/// A form the browser posts the file with: `url`, then `fields` in order, then `file`.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct UploadForm {
    pub url: String,
    /// Form fields to send before the file, in this order.
    pub fields: Vec<FormField>,
}

#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FormField {
    pub name: String,
    pub value: String,
}

/// What the blob store knows of a stored object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    pub size: u64,
    pub content_type: Option<String>,
}

/// Where uploaded files live: S3 (presigned POST) or a local folder.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// A form that lets a browser store one file of `content_type`, at most `max_bytes`,
    /// at `key`, until `expires_at`.
    async fn upload_form(
        &self,
        key: &str,
        content_type: &str,
        max_bytes: u64,
        expires_at: DateTime<Utc>,
    ) -> crate::Result<UploadForm>;
    async fn head(&self, key: &str) -> crate::Result<Option<BlobInfo>>;
    /// The object's bytes, refusing objects over `max_bytes`.
    async fn read(&self, key: &str, max_bytes: u64) -> crate::Result<Option<Vec<u8>>>;
    async fn delete(&self, key: &str) -> crate::Result<()>;
}

/// An upload as recorded.
#[derive(Clone, Debug)]
pub struct UploadRecord {
    pub key: String,
    pub owner_id: Uuid,
    pub purpose: UploadPurpose,
    pub content_type: String,
    pub max_bytes: i64,
    pub verified: bool,
}

/// The record of who may put what at which key.
#[async_trait]
pub trait UploadStore: Send + Sync {
    async fn insert_upload(&self, upload: &UploadRecord) -> crate::Result<()>;
    async fn find_upload(&self, key: &str) -> crate::Result<Option<UploadRecord>>;
    async fn mark_verified(&self, key: &str, size: i64) -> crate::Result<()>;
    async fn delete_upload(&self, key: &str) -> crate::Result<()>;
}
