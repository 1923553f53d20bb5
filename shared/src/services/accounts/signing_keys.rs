//! This process's copy of the signing keys: read on first use, read again when older than
//! the refresh interval or when a token names a key it has not seen, and published (their
//! public half) before a process that signs uses them.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use super::AccountService;
use crate::{Error, Result, domain::tokens::TokenKeys};

/// How often a process may read the signing keys again for a token naming a key it does
/// not know.
const KEY_RELOAD_INTERVAL: Duration = Duration::from_secs(30);

impl AccountService {
    /// Reads the signing keys (or their public half) now, so the first request does not
    /// wait for Secrets Manager: a function's init.
    pub async fn preload_keys(&self) -> Result<()> {
        self.keys().await.map(|_| ())
    }

    /// The signing keys, read from the secret on first use and again once older than
    /// `key_refresh` (a rotation's new key, or its switch, reaches this process). When a
    /// reading fails, the keys already read go on serving.
    pub(super) async fn keys(&self) -> Result<Arc<TokenKeys>> {
        let fresh = |read_at: &Instant| read_at.elapsed() < self.settings.key_refresh;
        if let Some((keys, read_at)) = self.keys.read().await.as_ref()
            && fresh(read_at)
        {
            return Ok(keys.clone());
        }
        let mut slot = self.keys.write().await;
        match slot.as_ref() {
            Some((keys, read_at)) if fresh(read_at) => Ok(keys.clone()),
            Some((stale, _)) => match self.read_keys().await {
                Ok(keys) => {
                    *slot = Some((keys.clone(), Instant::now()));
                    Ok(keys)
                }
                Err(error) => {
                    tracing::warn!(%error, "the signing keys could not be read again");
                    let stale = stale.clone();
                    // Try again after another interval, not on every request.
                    *slot = Some((stale.clone(), Instant::now()));
                    Ok(stale)
                }
            },
            None => {
                let keys = self.read_keys().await?;
                *slot = Some((keys.clone(), Instant::now()));
                Ok(keys)
            }
        }
    }

    /// The keys read again, when the last reading is older than [`KEY_RELOAD_INTERVAL`]:
    /// a token signed with a key added since this process read them (a rotation that
    /// adds key 2 and signs with it at once) verifies here too.
    pub(super) async fn reread_keys(&self) -> Option<Arc<TokenKeys>> {
        {
            let mut last = self
                .keys_reloaded_at
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < KEY_RELOAD_INTERVAL) {
                return None;
            }
            *last = Some(std::time::Instant::now());
        }
        match self.read_keys().await {
            Ok(keys) => {
                *self.keys.write().await = Some((keys.clone(), Instant::now()));
                Some(keys)
            }
            Err(error) => {
                tracing::warn!(%error, "the signing keys could not be read again");
                None
            }
        }
    }

    async fn read_keys(&self) -> Result<Arc<TokenKeys>> {
        let secret = self
            .ports
            .secret
            .read()
            .await
            .map_err(|error| Error::Unavailable {
                dependency: "secrets",
                cause: error.to_string(),
            })?;
        let keys =
            TokenKeys::parse(&secret, self.settings.allow_example_keys).map_err(|error| {
                Error::Internal(format!(
                    "the signing keys in {} are unusable: {error}",
                    self.ports.secret.describe()
                ))
            })?;
        // Published before this process signs anything, so a token of a new key never
        // reaches a verifier that could not read that key.
        if let (Some(directory), true) = (&self.ports.key_directory, keys.can_sign()) {
            directory
                .publish(&keys.public_keys())
                .await
                .map_err(|error| Error::Unavailable {
                    dependency: "secrets",
                    cause: error.to_string(),
                })?;
        }
        Ok(Arc::new(keys))
    }
}
