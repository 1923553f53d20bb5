//! Sign-up, sign-in and sessions: an EdDSA access JWT and a rotating refresh token per
//! session (a reused one signs out its whole family), with sign-in failures limited per
//! account and per client address, and the credential of every request resolved to a
//! caller.

use super::{
    API_KEY_CACHE_TTL, AccountService, Registration, Session, SessionUserView, capitalise,
    chrono_duration, collect, field,
};
use crate::domain::tokens::{
    API_KEY_PREFIX, REFRESH_TOKEN_PREFIX, TokenKeys, TokenPolicy, TokenRejection, random_token,
    token_hash,
};
use crate::{
    Error, Result,
    domain::{
        Caller, DisplayName, Email, Handle, Password, RequestOrigin, Role,
        caller::{Credential, Principal},
    },
    ports::{
        ApiKeyOwner, AuditAction, AuditRecord, InsertUserError, NewUser, PasswordCheck,
        PasswordUpdate, Rotation, RotationRequest, SessionUser, UserRecord,
    },
    services::rate_limit::{Limit, Limited},
};
use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

use super::api_keys::{api_key_cache_key, api_key_refused};

impl AccountService {
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
        self.limit_signups(origin).await?;
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
        // The account stands without the mail (the user can ask for another); only the
        // sign-up credits wait for the address to be confirmed.
        if self.ports.mailer.is_some()
            && let Err(error) = self.send_verification(&user).await
        {
            tracing::warn!(%error, "the confirmation email was not sent at sign-up");
        }
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
        self.reserve_login_attempt(&email, origin).await?;
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
                return Err(Error::InvalidCredentials);
            }
        };
        self.remember_login_client(&email, origin).await;
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
        if !keys.can_sign() {
            return Err(Error::Internal(
                "refreshing needs the signing keys, and this function holds verification keys only"
                    .into(),
            ));
        }
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
                self.revoke_access_tokens(user.session_id).await;
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
            self.revoke_access_tokens(user.session_id).await;
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

    /// Resolves an `Authorization: Bearer` credential: an access JWT or an API key.
    /// Unknown API keys count against the client's address, like failed sign-ins: past
    /// the limit its keys are refused before the database is asked.
    pub async fn authenticate(&self, credential: &str, origin: &RequestOrigin) -> Result<Caller> {
        if credential.starts_with(API_KEY_PREFIX) {
            return self.authenticate_api_key(credential, origin).await;
        }
        if credential.starts_with(REFRESH_TOKEN_PREFIX) {
            return Err(Error::Unauthorized(
                "A refresh token is not an access token; exchange it at POST /v1/auth/refresh."
                    .into(),
            ));
        }
        let keys = self.keys().await?;
        let now = self.ports.clock.now();
        let verified = match keys.verify_access_token(&self.policy(), credential, now) {
            Err(TokenRejection::UnknownKey) => match self.reread_keys().await {
                Some(keys) => keys.verify_access_token(&self.policy(), credential, now),
                None => Err(TokenRejection::UnknownKey),
            },
            verified => verified,
        };
        let claims = verified.map_err(|rejection: TokenRejection| {
            Error::Unauthorized(format!("{}.", capitalise(&rejection.to_string())))
        })?;
        if self.access_tokens_revoked(claims.sid).await {
            return Err(Error::Unauthorized(
                "This session was signed out; sign in again.".into(),
            ));
        }
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

    pub(super) async fn authenticate_api_key(
        &self,
        key: &str,
        origin: &RequestOrigin,
    ) -> Result<Caller> {
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
                let failures = format!("key-failures:address:{}", address_of(origin));
                let limit = self.login_limits().1;
                self.ports
                    .limiter
                    .check(&failures, limit)
                    .await
                    .map_err(too_many_unknown_keys)?;
                let Some(owner) = self.ports.api_keys.use_api_key(&hash, now).await? else {
                    let _ = self.ports.limiter.hit(&failures, limit).await;
                    return Err(api_key_refused());
                };
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

    /// Inserts a user under the requested handle (409 when taken) or, without one, the
    /// first free handle made from the email (`ada`, `ada-2`, ...).
    #[expect(
        clippy::too_many_arguments,
        reason = "one row's fields, named at the call"
    )]
    pub(super) async fn insert_user(
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
                // An operator made this administrator and vouches for the address.
                email_verified: role == Role::Admin,
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

    pub(super) async fn start_session(&self, user_id: Uuid, role: Role) -> Result<Session> {
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

    pub(super) fn session_for(
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

    pub(super) fn policy(&self) -> TokenPolicy {
        TokenPolicy {
            issuer: self.settings.issuer.clone(),
            audience: self.settings.audience.clone(),
            access_ttl: self.settings.access_ttl,
            leeway: Duration::from_secs(30),
        }
    }

    /// Sign-ups are limited per client address and per network, counted before the slow
    /// hash. A request without an address (in process, tests) has no network to limit.
    async fn limit_signups(&self, origin: &RequestOrigin) -> Result<()> {
        let Some(address) = origin.client_addr else {
            return Ok(());
        };
        let hour = std::time::Duration::from_secs(3600);
        let network = match address {
            std::net::IpAddr::V4(v4) => {
                let [a, b, c, _] = v4.octets();
                format!("{a}.{b}.{c}.0/24")
            }
            std::net::IpAddr::V6(v6) => {
                let [a, b, c, ..] = v6.segments();
                format!("{a:x}:{b:x}:{c:x}::/48")
            }
        };
        for (key, max) in [
            (
                format!("signups:address:{address}"),
                self.settings.signups_per_address,
            ),
            (
                format!("signups:network:{network}"),
                self.settings.signups_per_network,
            ),
        ] {
            self.ports
                .limiter
                .hit(&key, Limit { max, window: hour })
                .await
                .map_err(|limited| Error::RateLimited {
                    retry_after: limited.retry_after,
                    detail: "Too many accounts were made from your network in the last hour; try again later."
                        .into(),
                })?;
        }
        Ok(())
    }

    /// Counts a sign-in attempt against its limits before the (slow) password check, so
    /// parallel guesses cannot all pass a check made before any of them was counted.
    /// Guesses are limited, not the owner: past the account's limit, a client the account
    /// signed in from before may still try, within a limit of its own.
    async fn reserve_login_attempt(&self, email: &Email, origin: &RequestOrigin) -> Result<()> {
        let (account_limit, address_limit) = self.login_limits();
        let address = address_of(origin);
        let limiter = &self.ports.limiter;
        limiter
            .hit(&format!("login-attempts:address:{address}"), address_limit)
            .await
            .map_err(too_many_logins)?;
        let account = limiter.hit(&login_account_key(email), account_limit).await;
        if let Err(limited) = account {
            if !self.is_known_login_client(email, &address).await {
                return Err(too_many_logins(limited));
            }
            limiter
                .hit(
                    &format!("login-attempts:account:{}:{address}", email.as_str()),
                    account_limit,
                )
                .await
                .map_err(too_many_logins)?;
        }
        Ok(())
    }

    /// After a sign-in that proved the password: the account's count starts again, and
    /// this client is one the account knows.
    async fn remember_login_client(&self, email: &Email, origin: &RequestOrigin) {
        let (account_limit, _) = self.login_limits();
        self.ports
            .limiter
            .forget(&login_account_key(email), account_limit)
            .await;
        let known = known_client_key(email, &address_of(origin));
        if let Err(error) = self.ports.cache.set(&known, b"1", KNOWN_CLIENT_TTL).await {
            tracing::warn!(%error, "the sign-in client could not be remembered");
        }
    }

    async fn is_known_login_client(&self, email: &Email, address: &str) -> bool {
        self.ports
            .cache
            .is_set(&known_client_key(email, address))
            .await
    }

    /// Ends the access tokens of a session now rather than when they expire: a revocation
    /// entry lives as long as an access token does, and every request looks it up.
    pub(super) async fn revoke_access_tokens(&self, session_id: Uuid) {
        let key = revoked_session_key(session_id);
        if let Err(error) = self
            .ports
            .cache
            .set(&key, b"1", self.settings.access_ttl)
            .await
        {
            tracing::warn!(%error, "a signed-out session's access tokens stay valid until they expire");
        }
    }

    /// Whether the session's access tokens were revoked. Without the cache nobody can
    /// say: the token stands (its expiry still bounds it).
    async fn access_tokens_revoked(&self, session_id: Uuid) -> bool {
        self.ports
            .cache
            .is_set(&revoked_session_key(session_id))
            .await
    }

    pub(super) fn login_limits(&self) -> (Limit, Limit) {
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
}

/// How long a client that signed in stays known to the account.
const KNOWN_CLIENT_TTL: std::time::Duration = std::time::Duration::from_secs(90 * 86_400);

fn revoked_session_key(session_id: Uuid) -> String {
    format!("revoked-session:{session_id}")
}

fn login_account_key(email: &Email) -> String {
    format!("login-attempts:account:{}", email.as_str())
}

fn known_client_key(email: &Email, address: &str) -> String {
    format!("login-known:{}:{address}", email.as_str())
}

pub(super) fn too_many_logins(limited: Limited) -> Error {
    tracing::warn!(
        retry_after_s = limited.retry_after.as_secs(),
        "login attempts limited"
    );
    Error::RateLimited {
        retry_after: limited.retry_after,
        detail: "Too many failed sign-in attempts; wait before trying again.".into(),
    }
}

fn too_many_unknown_keys(limited: Limited) -> Error {
    tracing::warn!(
        retry_after_s = limited.retry_after.as_secs(),
        "unknown API keys limited"
    );
    Error::RateLimited {
        retry_after: limited.retry_after,
        detail: "Too many unknown API keys from this address; wait before trying again.".into(),
    }
}

pub(super) fn refresh_refused() -> Error {
    Error::Unauthorized(
        "The refresh token is unknown, expired or signed out; sign in again.".into(),
    )
}

pub(super) fn address_of(origin: &RequestOrigin) -> String {
    origin
        .client_addr
        .map_or_else(|| "unknown".to_owned(), |addr| addr.to_string())
}
