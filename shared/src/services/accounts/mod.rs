//! The Authentication Service: sign-up, sign-in, sessions (access JWT + rotating refresh
//! token), the caller's profile, API keys, admin grants and the audit trail.
//!
//! Every function takes the [`Caller`] (or, for the sign-in routes, only what was sent) and
//! the request's [`RequestOrigin`]; authorization is decided here, not in the routes.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use uuid::Uuid;

use crate::domain::tokens::{
    API_KEY_PREFIX, REFRESH_TOKEN_PREFIX, TokenKeys, TokenPolicy, TokenRejection, random_token,
    token_hash, visible_prefix,
};
use crate::{
    Error, Result,
    domain::FieldError,
    domain::{
        Caller, DisplayName, Email, Handle, Password, RequestOrigin, Role,
        caller::{Credential, Principal},
    },
    ports::{
        ApiKeyOwner, ApiKeyRecord, ApiKeyStore, AuditAction, AuditEntry, AuditLog, AuditRecord,
        Cache, Clock, InsertApiKeyError, InsertUserError, NewApiKey, NewUser, PasswordCheck,
        PasswordHasher, PasswordUpdate, ProfileChange, Rotation, RotationRequest, SecretSource,
        SessionStore, SessionUser, UserRecord, UserStore,
    },
    services::rate_limit::{Limit, Limited, RateLimiter},
};

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
    /// Live API keys one user may hold.
    pub max_api_keys: usize,
}

/// The ports the service works through.
pub struct AccountPorts {
    pub users: Arc<dyn UserStore>,
    pub sessions: Arc<dyn SessionStore>,
    pub api_keys: Arc<dyn ApiKeyStore>,
    pub audit: Arc<dyn AuditLog>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub secret: Arc<dyn SecretSource>,
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
    /// Loaded on first use (a network call in AWS), then kept for the process.
    keys: OnceCell<Arc<TokenKeys>>,
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
            keys: OnceCell::new(),
        }
    }

    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    pub fn limiter(&self) -> &RateLimiter {
        &self.ports.limiter
    }

    /// Creates an account and signs it in.
    pub async fn register(
        &self,
        registration: Registration,
        origin: &RequestOrigin,
    ) -> Result<Session> {
        let mut errors = Vec::new();
        let email = collect(&mut errors, "email", Email::parse(&registration.email));
        let password = collect(
            &mut errors,
            "password",
            Password::parse(&registration.password),
        );
        let display_name = match &registration.display_name {
            Some(name) => collect(&mut errors, "display_name", DisplayName::parse(name)),
            None => email.as_ref().map(DisplayName::from_email),
        };
        let handle = match &registration.handle {
            Some(handle) => collect(&mut errors, "handle", Handle::parse(handle)).map(Some),
            None => Some(None),
        };
        if let (Some(email), Some(password)) = (&email, &password)
            && password.expose().eq_ignore_ascii_case(email.as_str())
        {
            errors.push(field("password", "must not be your email address"));
        }
        let (Some(email), Some(password), Some(display_name), Some(handle), true) =
            (email, password, display_name, handle, errors.is_empty())
        else {
            return Err(Error::Validation(errors));
        };
        let password_hash = self.ports.hasher.hash(&password).await?;
        let id = Uuid::now_v7();
        let audit = self.audit_record(Some(id), AuditAction::UserRegistered, None, origin);
        let user = self
            .insert_user(
                id,
                email,
                handle,
                display_name,
                Role::User,
                password_hash,
                &audit,
            )
            .await?;
        self.start_session(user.id, user.role).await
    }

    /// Signs in with email and password. Failures are limited per account and per client
    /// address; an unknown email costs one (dummy) verification like a known one.
    pub async fn login(
        &self,
        email: &str,
        password: &str,
        origin: &RequestOrigin,
    ) -> Result<Session> {
        let mut errors = Vec::new();
        let email = collect(&mut errors, "email", Email::parse(email));
        let password = collect(&mut errors, "password", Password::for_login(password));
        let (Some(email), Some(password), true) = (email, password, errors.is_empty()) else {
            return Err(Error::Validation(errors));
        };
        let account_key = format!("login-failures:account:{}", email.as_str());
        let address_key = format!("login-failures:address:{}", address_of(origin));
        let (account_limit, address_limit) = self.login_limits();
        self.ports
            .limiter
            .check(&account_key, account_limit)
            .await
            .map_err(too_many_logins)?;
        self.ports
            .limiter
            .check(&address_key, address_limit)
            .await
            .map_err(too_many_logins)?;

        let user = self.ports.users.find_user_by_email(&email).await?;
        let (check, user) = match user {
            Some(user) => (
                self.ports
                    .hasher
                    .verify(&password, &user.password_hash)
                    .await?,
                Some(user),
            ),
            None => {
                let dummy = self.ports.hasher.dummy_hash().await?;
                self.ports.hasher.verify(&password, &dummy).await?;
                (PasswordCheck::Mismatch, None)
            }
        };
        let user = match (check, user) {
            (PasswordCheck::Match { needs_rehash }, Some(user)) => {
                if needs_rehash {
                    let rehashed = self.ports.hasher.hash(&password).await?;
                    self.ports
                        .users
                        .update_password_hash(user.id, &rehashed, PasswordUpdate::Rehash)
                        .await?;
                }
                user
            }
            (_, user) => {
                let failed = self.audit_record(
                    user.as_ref().map(|u| u.id),
                    AuditAction::LoginFailed,
                    Some(email.to_string()),
                    origin,
                );
                self.ports.audit.record(&failed).await?;
                // Count the failure; the attempt that crosses a limit is still only a 401,
                // the next one is refused before any hashing.
                let _ = self.ports.limiter.hit(&account_key, account_limit).await;
                let _ = self.ports.limiter.hit(&address_key, address_limit).await;
                return Err(Error::InvalidCredentials);
            }
        };
        let session = self.start_session(user.id, user.role).await?;
        let audit = self.audit_record(Some(user.id), AuditAction::LoginSucceeded, None, origin);
        self.ports.audit.record(&audit).await?;
        Ok(session)
    }

    /// Exchanges a refresh token for a new access token and a new refresh token. The old
    /// one is used up; presenting it again after the grace period signs out its family.
    pub async fn refresh(&self, refresh_token: &str, origin: &RequestOrigin) -> Result<Session> {
        if !refresh_token.starts_with(REFRESH_TOKEN_PREFIX) {
            return Err(refresh_refused());
        }
        let keys = self.keys().await?;
        let successors = keys.refresh_successors(refresh_token);
        let successor_hashes: Vec<Vec<u8>> = successors.iter().map(|s| token_hash(s)).collect();
        let now = self.ports.clock.now();
        let rotation = self
            .ports
            .sessions
            .rotate(RotationRequest {
                presented_hash: &token_hash(refresh_token),
                successor_hashes: &successor_hashes,
                now,
                successor_expires_at: now + chrono_duration(self.settings.refresh_ttl),
                grace: self.settings.refresh_grace,
                reuse_audit: self.audit_record(None, AuditAction::RefreshTokenReused, None, origin),
            })
            .await?;
        let (user, successor) = match rotation {
            Rotation::Rotated { user, successor } | Rotation::Replayed { user, successor } => {
                (user, successor)
            }
            Rotation::Reused { user } => {
                tracing::warn!(user_id = %user.user_id, session_id = %user.session_id, "refresh token reused: session family revoked");
                return Err(Error::Unauthorized(
                    "This refresh token was already used, so its session has been signed out everywhere. Sign in again.".into(),
                ));
            }
            Rotation::Refused => return Err(refresh_refused()),
        };
        let refresh_token = successors
            .get(successor)
            .cloned()
            .ok_or_else(|| Error::Internal("successor index out of range".into()))?;
        self.session_for(&keys, user, refresh_token, now)
    }

    /// Signs out the session (refresh-token family) the token belongs to. Unknown tokens
    /// are ignored: logging out twice is not an error.
    pub async fn logout(&self, refresh_token: &str, origin: &RequestOrigin) -> Result<()> {
        if !refresh_token.starts_with(REFRESH_TOKEN_PREFIX) {
            return Ok(());
        }
        if let Some(user) = self
            .ports
            .sessions
            .end_session(&token_hash(refresh_token))
            .await?
        {
            let audit = self.audit_record(
                Some(user.user_id),
                AuditAction::SessionEnded,
                Some(user.session_id.to_string()),
                origin,
            );
            self.ports.audit.record(&audit).await?;
        }
        Ok(())
    }

    /// The caller's own account.
    pub async fn me(&self, caller: &Caller) -> Result<UserRecord> {
        let principal = caller.user()?;
        self.ports
            .users
            .find_user(principal.user_id)
            .await?
            .ok_or_else(account_gone)
    }

    /// Changes the caller's display name and/or password. A password change needs the
    /// current password and signs out every session of the account.
    pub async fn update_me(
        &self,
        caller: &Caller,
        update: ProfileUpdate,
        origin: &RequestOrigin,
    ) -> Result<UserRecord> {
        let principal = caller.user()?;
        let mut errors = Vec::new();
        let display_name = update
            .display_name
            .as_deref()
            .and_then(|name| collect(&mut errors, "display_name", DisplayName::parse(name)));
        let handle = update
            .handle
            .as_deref()
            .and_then(|handle| collect(&mut errors, "handle", Handle::parse(handle)));
        let bio = update.bio.as_deref().and_then(|bio| {
            let bio = bio.trim();
            let valid = bio.chars().count() <= MAX_BIO_CHARS
                && !bio.chars().any(|c| c.is_control() && c != '\n');
            if valid {
                Some(bio.to_owned())
            } else {
                errors.push(field(
                    "bio",
                    &format!(
                        "must be at most {MAX_BIO_CHARS} characters, without control characters"
                    ),
                ));
                None
            }
        });
        let new_password = update
            .new_password
            .as_deref()
            .and_then(|password| collect(&mut errors, "new_password", Password::parse(password)));
        let current_password = match (&update.new_password, &update.current_password) {
            (Some(_), None) => {
                errors.push(field(
                    "current_password",
                    "is required to change the password",
                ));
                None
            }
            (_, Some(current)) => collect(
                &mut errors,
                "current_password",
                Password::for_login(current),
            ),
            (None, None) => None,
        };
        if let Some(avatar) = &update.avatar
            && let Err(error) = self
                .ports
                .uploads
                .claim(
                    caller,
                    avatar,
                    crate::ports::UploadPurpose::Avatar,
                    "avatar",
                )
                .await
        {
            match error {
                Error::Validation(mut avatar_errors) => errors.append(&mut avatar_errors),
                other => return Err(other),
            }
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let mut user = self.me(caller).await?;
        if let (Some(new_password), Some(current_password)) = (new_password, current_password) {
            let limit_key = format!("login-failures:account:{}", user.email);
            let (limit, _) = self.login_limits();
            self.ports
                .limiter
                .check(&limit_key, limit)
                .await
                .map_err(too_many_logins)?;
            let check = self
                .ports
                .hasher
                .verify(&current_password, &user.password_hash)
                .await?;
            if check == PasswordCheck::Mismatch {
                let _ = self.ports.limiter.hit(&limit_key, limit).await;
                return Err(Error::invalid(
                    "current_password",
                    "is not your current password",
                ));
            }
            if new_password.expose().eq_ignore_ascii_case(&user.email) {
                return Err(Error::invalid(
                    "new_password",
                    "must not be your email address",
                ));
            }
            let hash = self.ports.hasher.hash(&new_password).await?;
            let audit =
                self.audit_record(Some(user.id), AuditAction::PasswordChanged, None, origin);
            self.ports
                .users
                .update_password_hash(user.id, &hash, PasswordUpdate::Change { audit })
                .await?;
        }
        let change = ProfileChange {
            display_name,
            handle,
            bio,
            avatar: update.avatar,
        };
        if change.display_name.is_some()
            || change.handle.is_some()
            || change.bio.is_some()
            || change.avatar.is_some()
        {
            user = match self
                .ports
                .users
                .update_profile(principal.user_id, &change)
                .await
            {
                Ok(user) => user.ok_or_else(account_gone)?,
                Err(InsertUserError::HandleTaken) => {
                    return Err(Error::Conflict(
                        "This handle is taken; choose another.".into(),
                    ));
                }
                Err(InsertUserError::EmailTaken) => {
                    return Err(Error::Internal("a profile change touched the email".into()));
                }
                Err(InsertUserError::Other(error)) => return Err(error),
            };
        }
        Ok(user)
    }

    pub async fn list_api_keys(&self, caller: &Caller) -> Result<Vec<ApiKeyRecord>> {
        let principal = caller.user()?;
        self.ports.api_keys.list_api_keys(principal.user_id).await
    }

    /// Creates an API key for the caller; the key is in the result and nowhere else.
    pub async fn create_api_key(
        &self,
        caller: &Caller,
        name: &str,
        expires_at: Option<DateTime<Utc>>,
        origin: &RequestOrigin,
    ) -> Result<CreatedApiKey> {
        let principal = caller.user()?;
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_API_KEY_NAME_CHARS {
            errors.push(field(
                "name",
                &format!("must be 1 to {MAX_API_KEY_NAME_CHARS} characters"),
            ));
        } else if name.chars().any(char::is_control) {
            errors.push(field("name", "must not contain control characters"));
        }
        if expires_at.is_some_and(|at| at <= self.ports.clock.now()) {
            errors.push(field("expires_at", "must be in the future"));
        }
        if !errors.is_empty() {
            return Err(Error::Validation(errors));
        }
        let key =
            random_token(API_KEY_PREFIX).map_err(|error| Error::Internal(error.to_string()))?;
        let id = Uuid::now_v7();
        let new_key = NewApiKey {
            id,
            user_id: principal.user_id,
            name: name.to_owned(),
            prefix: visible_prefix(&key),
            key_hash: token_hash(&key),
            expires_at,
        };
        let audit = self.audit_record(
            Some(principal.user_id),
            AuditAction::ApiKeyCreated,
            Some(id.to_string()),
            origin,
        );
        let record = match self
            .ports
            .api_keys
            .insert_api_key(&new_key, self.settings.max_api_keys, &audit)
            .await
        {
            Ok(record) => record,
            Err(InsertApiKeyError::TooMany(max)) => {
                return Err(Error::Conflict(format!(
                    "You have {max} live API keys, the most allowed; revoke one first."
                )));
            }
            Err(InsertApiKeyError::Other(error)) => return Err(error),
        };
        Ok(CreatedApiKey { record, key })
    }

    /// Revokes one of the caller's keys; it stops working at once. Another user's key is
    /// "not found", exactly like a missing one.
    pub async fn revoke_api_key(
        &self,
        caller: &Caller,
        key_id: Uuid,
        origin: &RequestOrigin,
    ) -> Result<()> {
        let principal = caller.user()?;
        let audit = self.audit_record(
            Some(principal.user_id),
            AuditAction::ApiKeyRevoked,
            Some(key_id.to_string()),
            origin,
        );
        let now = self.ports.clock.now();
        let Some((_, key_hash)) = self
            .ports
            .api_keys
            .revoke_api_key(principal.user_id, key_id, now, &audit)
            .await?
        else {
            return Err(Error::NotFound("No API key has this id.".into()));
        };
        // A failed eviction would let a cached lookup outlive the revocation: report it, so
        // the client retries the (idempotent) revocation.
        self.ports
            .cache
            .delete(&api_key_cache_key(&key_hash))
            .await?;
        Ok(())
    }

    /// Resolves an `Authorization: Bearer` credential: an access JWT or an API key.
    pub async fn authenticate(&self, credential: &str) -> Result<Caller> {
        if credential.starts_with(API_KEY_PREFIX) {
            return self.authenticate_api_key(credential).await;
        }
        if credential.starts_with(REFRESH_TOKEN_PREFIX) {
            return Err(Error::Unauthorized(
                "A refresh token is not an access token; exchange it at POST /v1/auth/refresh."
                    .into(),
            ));
        }
        let keys = self.keys().await?;
        let claims = keys
            .verify_access_token(&self.policy(), credential, self.ports.clock.now())
            .map_err(|rejection: TokenRejection| {
                Error::Unauthorized(format!("{}.", capitalise(&rejection.to_string())))
            })?;
        let user_id = Uuid::parse_str(&claims.sub)
            .map_err(|_| Error::Unauthorized("The access token's subject is invalid.".into()))?;
        Ok(Caller::User(Principal {
            user_id,
            role: claims.role,
            credential: Credential::Session {
                session_id: claims.sid,
            },
        }))
    }

    async fn authenticate_api_key(&self, key: &str) -> Result<Caller> {
        let hash = token_hash(key);
        let cache_key = api_key_cache_key(&hash);
        let now = self.ports.clock.now();
        let cached = match self.ports.cache.get(&cache_key).await {
            Ok(value) => value.and_then(|bytes| serde_json::from_slice::<ApiKeyOwner>(&bytes).ok()),
            Err(error) => {
                tracing::warn!(%error, "API key cache unavailable; asking the database");
                None
            }
        };
        let owner = match cached {
            Some(owner) => owner,
            None => {
                let owner = self
                    .ports
                    .api_keys
                    .use_api_key(&hash, now)
                    .await?
                    .ok_or_else(api_key_refused)?;
                if let Ok(value) = serde_json::to_vec(&owner) {
                    let ttl = owner
                        .expires_at
                        .and_then(|at| at.signed_duration_since(now).to_std().ok())
                        .map_or(API_KEY_CACHE_TTL, |left| left.min(API_KEY_CACHE_TTL));
                    if let Err(error) = self.ports.cache.set(&cache_key, &value, ttl).await {
                        tracing::warn!(%error, "cannot cache an API key lookup");
                    }
                }
                owner
            }
        };
        if owner.expires_at.is_some_and(|at| at <= now) {
            return Err(api_key_refused());
        }
        Ok(Caller::User(Principal {
            user_id: owner.user_id,
            role: owner.role,
            credential: Credential::ApiKey {
                key_id: owner.key_id,
            },
        }))
    }

    /// The audit log, newest first: administrators only.
    pub async fn list_audit(
        &self,
        caller: &Caller,
        actor_id: Option<Uuid>,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<AuditEntry>> {
        caller.admin()?;
        self.ports.audit.list_audit(actor_id, before, limit).await
    }

    /// The account with this email, for operators' tools (`agora credits grant`).
    pub async fn find_by_email(&self, email: &Email) -> Result<Option<UserRecord>> {
        self.ports.users.find_user_by_email(email).await
    }

    /// Makes `email` an administrator, creating the account with `password` when it does
    /// not exist. Only the `agora admin create` command calls this; no HTTP route does.
    pub async fn create_admin(
        &self,
        email: &str,
        password: Option<&str>,
        origin: &RequestOrigin,
    ) -> Result<AdminGrant> {
        let email = Email::parse(email).map_err(|message| Error::invalid("email", message))?;
        if let Some(user) = self.ports.users.find_user_by_email(&email).await? {
            if user.role == Role::Admin {
                return Ok(AdminGrant::AlreadyAdmin { user_id: user.id });
            }
            let audit = self.audit_record(
                None,
                AuditAction::AdminGranted,
                Some(user.id.to_string()),
                origin,
            );
            self.ports.users.promote_to_admin(user.id, &audit).await?;
            return Ok(AdminGrant::Promoted { user_id: user.id });
        }
        let password = password
            .ok_or_else(|| Error::invalid("password", "is required to create a new account"))?;
        let password =
            Password::parse(password).map_err(|message| Error::invalid("password", message))?;
        let id = Uuid::now_v7();
        let audit = self.audit_record(
            None,
            AuditAction::AdminGranted,
            Some(id.to_string()),
            origin,
        );
        let password_hash = self.ports.hasher.hash(&password).await?;
        let display_name = DisplayName::from_email(&email);
        let user = self
            .insert_user(
                id,
                email,
                None,
                display_name,
                Role::Admin,
                password_hash,
                &audit,
            )
            .await?;
        Ok(AdminGrant::Created { user_id: user.id })
    }

    /// The account that owns seeded content (`agora seed`): found by email, or created with
    /// a random password nobody knows, so it cannot sign in. Returns its id.
    pub async fn ensure_content_account(
        &self,
        email: &str,
        handle: &str,
        display_name: &str,
        bio: &str,
    ) -> Result<Uuid> {
        let email = Email::parse(email).map_err(Error::Internal)?;
        if let Some(user) = self.ports.users.find_user_by_email(&email).await? {
            return Ok(user.id);
        }
        let handle = Handle::parse(handle).map_err(Error::Internal)?;
        let display_name = DisplayName::parse(display_name).map_err(Error::Internal)?;
        let unusable = random_token("").map_err(|error| Error::Internal(error.to_string()))?;
        let password_hash = self
            .ports
            .hasher
            .hash(&Password::for_login(&unusable).map_err(Error::Internal)?)
            .await?;
        let id = Uuid::now_v7();
        let mut audit = self.audit_record(
            Some(id),
            AuditAction::UserRegistered,
            None,
            &RequestOrigin::default(),
        );
        audit.details = serde_json::json!({ "content_account": true });
        let user = self
            .insert_user(
                id,
                email,
                Some(handle),
                display_name,
                Role::User,
                password_hash,
                &audit,
            )
            .await?;
        let change = ProfileChange {
            bio: Some(bio.to_owned()),
            ..ProfileChange::default()
        };
        self.ports
            .users
            .update_profile(user.id, &change)
            .await
            .map_err(|error| Error::Internal(error.to_string()))?;
        Ok(user.id)
    }

    /// Inserts a user under the requested handle (409 when taken) or, without one, the
    /// first free handle made from the email (`ada`, `ada-2`, ...).
    #[expect(
        clippy::too_many_arguments,
        reason = "one row's fields, named at the call"
    )]
    async fn insert_user(
        &self,
        id: Uuid,
        email: Email,
        requested: Option<Handle>,
        display_name: DisplayName,
        role: Role,
        password_hash: String,
        audit: &AuditRecord,
    ) -> Result<UserRecord> {
        let base = Handle::from_email(&email);
        let candidates: Vec<Handle> =
            match requested.clone() {
                Some(handle) => vec![handle],
                None => std::iter::once(base.clone())
                    .chain((2..=9).map(|n| base.with_suffix(n)))
                    .chain((0..5).map(|_| {
                        base.with_suffix(1000 + (Uuid::new_v4().as_u128() % 900_000) as u32)
                    }))
                    .collect(),
            };
        for handle in candidates {
            let user = NewUser {
                id,
                email: email.clone(),
                handle,
                display_name: display_name.clone(),
                role,
                password_hash: password_hash.clone(),
            };
            match self.ports.users.insert_user(&user, audit).await {
                Ok(user) => return Ok(user),
                Err(InsertUserError::EmailTaken) => {
                    return Err(Error::Conflict(
                        "An account with this email already exists; sign in instead.".into(),
                    ));
                }
                Err(InsertUserError::HandleTaken) if requested.is_some() => {
                    return Err(Error::Conflict(
                        "This handle is taken; choose another.".into(),
                    ));
                }
                Err(InsertUserError::HandleTaken) => {}
                Err(InsertUserError::Other(error)) => return Err(error),
            }
        }
        Err(Error::Conflict(
            "No free handle could be made from this email; send a `handle`.".into(),
        ))
    }

    async fn start_session(&self, user_id: Uuid, role: Role) -> Result<Session> {
        let keys = self.keys().await?;
        let refresh_token = random_token(REFRESH_TOKEN_PREFIX)
            .map_err(|error| Error::Internal(error.to_string()))?;
        let now = self.ports.clock.now();
        let session_id = self
            .ports
            .sessions
            .start_session(
                user_id,
                &token_hash(&refresh_token),
                now + chrono_duration(self.settings.refresh_ttl),
            )
            .await?;
        let user = SessionUser {
            user_id,
            role,
            session_id,
        };
        self.session_for(&keys, user, refresh_token, now)
    }

    fn session_for(
        &self,
        keys: &TokenKeys,
        user: SessionUser,
        refresh_token: String,
        now: DateTime<Utc>,
    ) -> Result<Session> {
        let (access_token, _) = keys
            .issue_access_token(
                &self.policy(),
                user.user_id,
                user.role,
                user.session_id,
                now,
            )
            .map_err(|error| Error::Internal(error.to_string()))?;
        Ok(Session {
            access_token,
            expires_in: self.settings.access_ttl,
            refresh_token,
            user: SessionUserView {
                id: user.user_id,
                role: user.role,
            },
        })
    }

    /// The signing keys, read from the secret on first use.
    async fn keys(&self) -> Result<Arc<TokenKeys>> {
        self.keys
            .get_or_try_init(|| async {
                let secret =
                    self.ports
                        .secret
                        .read()
                        .await
                        .map_err(|error| Error::Unavailable {
                            dependency: "secrets",
                            cause: error.to_string(),
                        })?;
                TokenKeys::parse(&secret, self.settings.allow_example_keys)
                    .map(Arc::new)
                    .map_err(|error| {
                        Error::Internal(format!(
                            "the signing keys in {} are unusable: {error}",
                            self.ports.secret.describe()
                        ))
                    })
            })
            .await
            .cloned()
    }

    fn policy(&self) -> TokenPolicy {
        TokenPolicy {
            issuer: self.settings.issuer.clone(),
            audience: self.settings.audience.clone(),
            access_ttl: self.settings.access_ttl,
            leeway: Duration::from_secs(30),
        }
    }

    fn login_limits(&self) -> (Limit, Limit) {
        let window = self.settings.login_failure_window;
        (
            Limit {
                max: self.settings.login_failures_per_account,
                window,
            },
            Limit {
                max: self.settings.login_failures_per_address,
                window,
            },
        )
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

fn collect<T>(errors: &mut Vec<FieldError>, name: &str, parsed: Result<T, String>) -> Option<T> {
    match parsed {
        Ok(value) => Some(value),
        Err(message) => {
            errors.push(field(name, &message));
            None
        }
    }
}

fn field(name: &str, message: &str) -> FieldError {
    FieldError {
        field: name.to_owned(),
        message: message.to_owned(),
    }
}

fn address_of(origin: &RequestOrigin) -> String {
    origin
        .client_addr
        .map_or_else(|| "unknown".to_owned(), |addr| addr.to_string())
}

fn too_many_logins(limited: Limited) -> Error {
    tracing::warn!(
        retry_after_s = limited.retry_after.as_secs(),
        "login attempts limited"
    );
    Error::RateLimited {
        retry_after: limited.retry_after,
        detail: "Too many failed sign-in attempts; wait before trying again.".into(),
    }
}

fn refresh_refused() -> Error {
    Error::Unauthorized(
        "The refresh token is unknown, expired or signed out; sign in again.".into(),
    )
}

fn api_key_refused() -> Error {
    Error::Unauthorized("The API key is unknown, revoked or expired.".into())
}

fn account_gone() -> Error {
    Error::Unauthorized("The account no longer exists.".into())
}

fn api_key_cache_key(hash: &[u8]) -> String {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("api-key:{hex}")
}

fn chrono_duration(duration: Duration) -> chrono::Duration {
    chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::days(30))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
