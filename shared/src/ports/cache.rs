//! A shared key-value cache with time to live: Redis in production, in-process locally.

use std::time::Duration;

use async_trait::async_trait;

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
    /// Whether a flag is set at `key`; a cache that does not answer says no.
    async fn is_set(&self, key: &str) -> bool {
        matches!(self.get(key).await, Ok(Some(_)))
    }
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
