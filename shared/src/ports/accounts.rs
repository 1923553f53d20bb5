//! Accounts: users, sign-in sessions, API keys, the password hasher and the secret holding
//! Agora's own keys.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::audit::AuditRecord;
use crate::domain::{DisplayName, Email, Handle, Password, Role};

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

/// Where the functions that sign people in publish the public half of the signing keys,
/// for the functions that only verify tokens (which may not read the signing keys).
#[async_trait]
pub trait PublicKeyDirectory: Send + Sync {
    /// Makes `public_keys` what verifiers read, writing only when it differs.
    async fn publish(&self, public_keys: &str) -> Result<(), SecretError>;
}

/// Writes the signing keys: the rotation schedule alone does.
#[async_trait]
pub trait SecretWriter: Send + Sync {
    async fn write(&self, value: &str) -> Result<(), SecretError>;
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
    /// When the user followed a confirmation link (or an operator made the account).
    pub email_verified_at: Option<DateTime<Utc>>,
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
    /// Made by an operator (`agora admin create`), who vouches for the address.
    pub email_verified: bool,
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
    /// Stores a new hash; a change (not a rehash) also revokes every session of the user
    /// and returns their ids, so their access tokens can be revoked too.
    async fn update_password_hash(
        &self,
        id: Uuid,
        hash: &str,
        update: PasswordUpdate,
    ) -> crate::Result<Vec<Uuid>>;
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

/// A confirmation link to record, by the hash of its token.
#[derive(Clone, Debug)]
pub struct NewEmailVerification {
    pub user_id: Uuid,
    /// The address the link goes to.
    pub email: String,
    pub token_hash: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// What following a confirmation link did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EmailVerified {
    /// The address is now verified and the sign-up credits were added.
    Verified { user_id: Uuid, granted_micros: i64 },
    /// It already was (a second click, an older link): nothing changed.
    AlreadyVerified { user_id: Uuid },
    /// The link is past its expiry and was never followed.
    Expired,
    /// No such link (mistyped, or its user is gone).
    Unknown,
}

/// Confirmation links and the grant they unlock.
#[async_trait]
pub trait EmailVerificationStore: Send + Sync {
    async fn add_verification(&self, verification: &NewEmailVerification) -> crate::Result<()>;
    /// Follows a link: marks the user verified and adds `grant_micros` sign-up credits
    /// with their ledger row and `audit` (its actor set to the user), in one transaction,
    /// at most once per user however often or concurrently links are followed.
    async fn verify_email(
        &self,
        token_hash: &[u8],
        now: DateTime<Utc>,
        grant_micros: i64,
        audit: &AuditRecord,
    ) -> crate::Result<EmailVerified>;
    /// Deletes links that expired before `before`; returns how many.
    async fn forget_verifications(&self, before: DateTime<Utc>) -> crate::Result<u64>;
}
