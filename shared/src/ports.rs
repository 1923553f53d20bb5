//! The narrow traits services need from the outside world, one capability each.
//!
//! Adapters in [`crate::adapters`] implement them; each port has one contract suite that
//! every adapter of it passes (see `shared/tests/it/`).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{DisplayName, Email, Password, RequestOrigin, Role};

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
    pub display_name: String,
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
    pub display_name: DisplayName,
    pub role: Role,
    pub password_hash: String,
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum InsertUserError {
    #[error("an account with this email exists")]
    EmailTaken,
    #[error(transparent)]
    Other(#[from] crate::Error),
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
    async fn update_display_name(
        &self,
        id: Uuid,
        name: &DisplayName,
    ) -> crate::Result<Option<UserRecord>>;
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
