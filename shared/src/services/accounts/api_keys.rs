//! API keys: created (shown once), listed by their visible prefix, revoked; resolved on
//! every request through a short-lived cache that revocation clears.

use super::{AccountService, CreatedApiKey, MAX_API_KEY_NAME_CHARS, field};
use crate::domain::tokens::{API_KEY_PREFIX, random_token, token_hash, visible_prefix};
use crate::{
    Error, Result,
    domain::{Caller, RequestOrigin},
    ports::{ApiKeyRecord, AuditAction, InsertApiKeyError, NewApiKey},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl AccountService {
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
}

pub(super) fn api_key_refused() -> Error {
    Error::Unauthorized("The API key is unknown, revoked or expired.".into())
}

pub(super) fn api_key_cache_key(hash: &[u8]) -> String {
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("api-key:{hex}")
}
