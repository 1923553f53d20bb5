//! The Authentication Service: sign-up, sign-in, sessions (access JWT + rotating refresh
//! token), the caller's profile, API keys, admin grants and the audit trail.
//!
//! Every function takes the [`Caller`] (or, for the sign-in routes, only what was sent) and
//! the request's [`RequestOrigin`]; authorization is decided here, not in the routes.

mod admin;
mod api_keys;
mod profile;
mod sessions;
mod signing_keys;
mod verification;

pub use self::{admin::AuditEntryView, verification::VerificationMail};

use crate::domain::tokens::TokenKeys;
use crate::{
    Error, Result,
    domain::FieldError,
    domain::{RequestOrigin, Role},
    ports::{
        ApiKeyRecord, ApiKeyStore, AuditAction, AuditLog, AuditRecord, Cache, Clock,
        EmailVerificationStore, MailOutbox, Mailer, PasswordHasher, PublicKeyDirectory,
        SecretSource, SessionStore, UserStore,
    },
    services::rate_limit::RateLimiter,
};
use std::time::Instant;
use std::{sync::Arc, time::Duration};
use tokio::sync::RwLock;
use uuid::Uuid;

/// Longest profile bio, in characters.
pub const MAX_BIO_CHARS: usize = 500;

/// Longest API key name, in characters.
pub const MAX_API_KEY_NAME_CHARS: usize = 100;

/// How long a cached API key lookup is trusted; revocation deletes the entry at once.
const API_KEY_CACHE_TTL: Duration = Duration::from_secs(60);

/// Sign-in, tokens, API keys and the limits around them.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// `iss` of access tokens.
    pub issuer: String,
    /// `aud` of access tokens.
    pub audience: String,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// How long a just-rotated refresh token still gets its same successor (a client
    /// retrying a lost response); later presentations count as reuse.
    pub refresh_grace: Duration,
    /// Whether the documentation's example key is accepted (dev profile only).
    pub allow_example_keys: bool,
    /// Failed sign-ins allowed per account, and per client address, in one window.
    pub login_failures_per_account: u64,
    pub login_failures_per_address: u64,
    pub login_failure_window: Duration,
    /// Requests per minute per caller (user, or client address when anonymous).
    pub requests_per_minute: u64,
    /// Sign-ups an hour from one client address, and from one network (an IPv4 /24, an
    /// IPv6 /48): accounts made in bulk are where free credits leak.
    pub signups_per_address: u64,
    pub signups_per_network: u64,
    /// Live API keys one user may hold.
    pub max_api_keys: usize,
    pub verification: VerificationSettings,
    /// How long a process keeps the signing keys before reading them again, so a rotation
    /// reaches every process within this time.
    pub key_refresh: Duration,
    /// The rotation schedule's waits (see [`crate::services::key_rotation`]).
    pub key_rotation: crate::domain::key_rotation::RotationPolicy,
}

/// Confirming email addresses, and the credits it unlocks.
#[derive(Clone, Debug)]
pub struct VerificationSettings {
    /// The web UI's address, which confirmation links point to (`AGORA_PUBLIC_URL`).
    pub public_url: String,
    /// How long a confirmation link works.
    pub link_ttl: Duration,
    /// Confirmation emails one user may ask for in an hour.
    pub mails_per_hour: u64,
    /// Credits (micro) a user receives on confirming their address.
    pub signup_grant_micros: i64,
}

/// The ports the service works through.
pub struct AccountPorts {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    pub verifications: Arc<dyn EmailVerificationStore>,
    /// Where confirmation links are sent; `None` in a deployment that sends no email.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// The dev outbox, when mail is kept in the process instead of sent.
    pub outbox: Option<Arc<dyn MailOutbox>>,
    pub audit: Arc<dyn AuditLog>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub secret: Arc<dyn SecretSource>,
    /// Where the signing keys' public half is published for the functions that only
    /// verify; `None` where every process reads the signing keys (locally).
    pub key_directory: Option<Arc<dyn PublicKeyDirectory>>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
    /// Sign-in failures and requests per caller.
    pub limiter: RateLimiter,
    /// Checks avatars.
    pub uploads: Arc<crate::services::uploads::UploadService>,
}

pub struct AccountService {
    ports: AccountPorts,
    settings: AuthSettings,
    /// Loaded on first use (a network call in AWS), read again once older than
    /// `key_refresh`, and at once when a token names a key this process has not seen.
    keys: RwLock<Option<(Arc<TokenKeys>, Instant)>>,
    /// When the keys were last read again, so forged `kid`s cannot hammer the secret.
    keys_reloaded_at: std::sync::Mutex<Option<Instant>>,
}

/// A signed-in session: what sign-up, sign-in and refresh return.
#[derive(Clone, Debug)]
pub struct Session {
    pub access_token: String,
    pub expires_in: Duration,
    pub refresh_token: String,
    pub user: SessionUserView,
}

/// The user a session belongs to.
#[derive(Clone, Debug)]
pub struct SessionUserView {
    pub id: Uuid,
    pub role: Role,
}

/// What `POST /v1/auth/register` sends.
#[derive(Clone, Debug)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    /// The public handle; made from the email when absent.
    pub handle: Option<String>,
}

/// What `PATCH /v1/me` sends; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub handle: Option<String>,
    pub bio: Option<String>,
    /// The key of an uploaded avatar (`POST /v1/uploads`).
    pub avatar: Option<String>,
    pub current_password: Option<String>,
    pub new_password: Option<String>,
}

/// A new API key: its listing, and the key itself, shown this once.
#[derive(Clone, Debug)]
pub struct CreatedApiKey {
    pub record: ApiKeyRecord,
    pub key: String,
}

/// What `agora admin create` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AdminGrant {
    Created { user_id: Uuid },
    Promoted { user_id: Uuid },
    AlreadyAdmin { user_id: Uuid },
}

impl AccountService {
    pub fn new(ports: AccountPorts, settings: AuthSettings) -> Self {
        Self {
            ports,
            settings,
            keys: RwLock::new(None),
            keys_reloaded_at: std::sync::Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.ports.limiter
    }

    fn audit_record(
        &self,
        actor_id: Option<Uuid>,
        action: AuditAction,
        subject: Option<String>,
        origin: &RequestOrigin,
    ) -> AuditRecord {
        AuditRecord {
            actor_id,
            action,
            subject,
            origin: origin.clone(),
            details: serde_json::Value::Object(serde_json::Map::new()),
        }
    }
}

fn account_gone() -> Error {
    Error::Unauthorized("The account no longer exists.".into())
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(30))
}

pub(super) fn collect<T>(
    errors: &mut Vec<FieldError>,
    name: &str,
    parsed: Result<T, String>,
) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(message) => {
            errors.push(field(name, &message));
            None
        }
    }
}

pub(super) fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}

pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
