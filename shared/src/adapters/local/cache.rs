//! In-process [`Cache`] (moka): the default when `REDIS_URL` is unset.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use moka::{Expiry, future::Cache as MokaCache, ops::compute::Op};

use crate::ports::{Cache, CacheError};

/// Bounded so a local process cannot grow without limit: least recently used entries go
/// first once the cache holds this many bytes of values.
const CAPACITY_BYTES: u64 = 64 << 20;

#[derive(Clone)]
pub struct InProcessCache {
    entries: MokaCache<String, Arc<Entry>>,
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    ttl: Duration,
}

/// Each entry lives for its own ttl from insertion; updates (counter increments) keep the
/// remaining time, so a rate window does not slide.
struct PerEntryTtl;

impl Expiry<String, Arc<Entry>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        entry: &Arc<Entry>,
        _now: Instant,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }

    fn expire_after_update(
        &self,
        _key: &String,
        entry: &Arc<Entry>,
        _now: Instant,
        remaining: Option<Duration>,
    ) -> Option<Duration> {
        // A plain `set` restarts the clock (ttl differs from the remaining time's origin);
        // a counter update carries ttl = ZERO as "keep the window".
        if entry.ttl.is_zero() {
            remaining
        } else {
            Some(entry.ttl)
        }
    }
}

impl InProcessCache {
    pub fn new() -> Self {
        Self {
            entries: MokaCache::builder()
                .weigher(|key: &String, entry: &Arc<Entry>| {
                    u32::try_from(key.len() + entry.value.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(CAPACITY_BYTES)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

impl Default for InProcessCache {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait]
impl Cache for InProcessCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        Ok(self.entries.get(key).await.map(|entry| entry.value.clone()))
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        if ttl.is_zero() {
            self.entries.invalidate(key).await;
            return Ok(());
        }
        self.entries
            .insert(
                key.to_owned(),
                Arc::new(Entry {
                    value: value.to_vec(),
                    ttl,
                }),
            )
            .await;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        self.entries.invalidate(key).await;
        Ok(())
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<u64, CacheError> {
        let mut not_a_counter = false;
        let result = self
            .entries
            .entry(key.to_owned())
            .and_compute_with(|existing| {
                let next = match existing {
                    None => Some((1, window)),
                    Some(entry) => std::str::from_utf8(&entry.value().value)
                        .ok()
                        .and_then(|s| s.parse::<u64>().ok())
                        .map(|count| (count.saturating_add(1), Duration::ZERO)),
                };
                let op = match next {
                    Some((count, ttl)) => Op::Put(Arc::new(Entry {
                        value: count.to_string().into_bytes(),
                        ttl,
                    })),
                    None => {
                        not_a_counter = true;
                        Op::Nop
                    }
                };
                std::future::ready(op)
            })
            .await;
        if not_a_counter {
            return Err(CacheError::NotACounter {
                key: key.to_owned(),
            });
        }
        let entry = result.into_entry().ok_or_else(|| CacheError::NotACounter {
            key: key.to_owned(),
        })?;
        std::str::from_utf8(&entry.value().value)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| CacheError::NotACounter {
                key: key.to_owned(),
            })
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }
}

#[async_trait]
impl crate::ports::DependencyProbe for InProcessCache {
    fn name(&self) -> &'static str {
        "cache"
    }

    async fn probe(&self) -> Result<(), String> {
        self.ping().await.map_err(|e| e.to_string())
    }
}
