//! Redis [`Cache`] (ElastiCache in AWS): pooled, every command bounded by a timeout, every
//! key under a prefix so several installs or tests can share one server.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use deadpool_redis::{Pool, Runtime, redis::AsyncCommands};

use super::breaker::Breaker;
use crate::ports::{Cache, CacheError, DependencyProbe};

/// How to reach Redis (`REDIS_*`).
#[derive(Clone, Debug)]
pub struct RedisSettings {
    pub url: String,
    pub key_prefix: String,
    pub pool_size: usize,
    /// Budget for one Redis command, connection included.
    pub timeout: Duration,
}

#[derive(Clone)]
pub struct RedisCache {
    pool: Pool,
    prefix: String,
    timeout: Duration,
    breaker: Arc<Breaker>,
}

impl RedisCache {
    /// Builds the pool; no connection is opened until the first command.
    pub fn new(config: &RedisSettings) -> Result<Self, CacheError> {
        let mut pool_config = deadpool_redis::Config::from_url(config.url.clone());
        let mut pool = deadpool_redis::PoolConfig::new(config.pool_size);
        pool.timeouts.wait = Some(config.timeout);
        pool.timeouts.create = Some(config.timeout);
        pool.timeouts.recycle = Some(config.timeout);
        pool_config.pool = Some(pool);
        let pool = pool_config
            .create_pool(Some(Runtime::Tokio1))
            .map_err(|error| {
                CacheError::Unavailable(format!("cannot build the Redis pool: {error}"))
            })?;
        Ok(Self {
            pool,
            prefix: config.key_prefix.clone(),
            timeout: config.timeout,
            // A frozen server then costs each request nothing, not a timeout per command.
            breaker: Arc::new(Breaker::for_outages()),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// Runs one command on a pooled connection within the timeout, unless the breaker is
    /// open. Only outages (no connection, no answer in time) count against the breaker;
    /// an error Redis answers with shows it is there.
    async fn run<T, F>(&self, operation: &'static str, command: F) -> Result<T, CacheError>
    where
        F: AsyncFnOnce(
            &mut deadpool_redis::Connection,
        ) -> Result<T, deadpool_redis::redis::RedisError>,
    {
        if !self.breaker.allows() {
            return Err(CacheError::Unavailable(self.breaker.refusal("Redis")));
        }
        let work = async {
            let mut connection = self
                .pool
                .get()
                .await
                .map_err(|error| (true, error.to_string()))?;
            command(&mut connection).await.map_err(|error| {
                let outage = error.is_io_error()
                    || error.is_timeout()
                    || error.is_connection_dropped()
                    || error.is_connection_refusal();
                (outage, error.to_string())
            })
        };
        let subsegment = crate::adapters::subsegments::cache_span(operation);
        let outcome = tokio::time::timeout(self.timeout, work).await;
        subsegment.record("error", outcome.as_ref().map_or(true, Result::is_err));
        drop(subsegment);
        match outcome {
            Ok(Ok(value)) => {
                self.breaker.succeeded();
                Ok(value)
            }
            Ok(Err((outage, message))) => {
                if outage {
                    self.breaker.failed();
                } else {
                    self.breaker.succeeded();
                }
                Err(CacheError::Unavailable(message))
            }
            Err(_) => {
                self.breaker.failed();
                Err(CacheError::Unavailable(format!(
                    "Redis did not answer within {} ms",
                    self.timeout.as_millis()
                )))
            }
        }
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        let key = self.key(key);
        self.run("get", async |c| c.get::<_, Option<Vec<u8>>>(&key).await)
            .await
    }

    async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        let key = self.key(key);
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 {
            return self.run("set", async |c| c.del::<_, ()>(&key).await).await;
        }
        self.run("set", async |c| {
            c.pset_ex::<_, _, ()>(&key, value, millis).await
        })
        .await
    }

    async fn delete(&self, key: &str) -> Result<(), CacheError> {
        let key = self.key(key);
        self.run("delete", async |c| c.del::<_, ()>(&key).await)
            .await
    }

    async fn increment(&self, key: &str, window: Duration) -> Result<u64, CacheError> {
        let full_key = self.key(key);
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        // INCR and PEXPIRE NX in one transaction: the window starts at the first hit
        // and later hits never extend it.
        let outcome = self
            .run("increment", async |c| {
                deadpool_redis::redis::pipe()
                    .atomic()
                    .incr(&full_key, 1u64)
                    .cmd("PEXPIRE")
                    .arg(&full_key)
                    .arg(millis)
                    .arg("NX")
                    .ignore()
                    .query_async::<(u64,)>(c)
                    .await
            })
            .await;
        match outcome {
            Ok((count,)) => Ok(count),
            Err(CacheError::Unavailable(message)) if message.contains("not an integer") => {
                Err(CacheError::NotACounter {
                    key: key.to_owned(),
                })
            }
            Err(error) => Err(error),
        }
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.run("ping", async |c| {
            deadpool_redis::redis::cmd("PING")
                .query_async::<String>(c)
                .await
        })
        .await
        .map(|_| ())
    }
}

#[async_trait]
impl DependencyProbe for RedisCache {
    fn name(&self) -> &'static str {
        "cache"
    }

    async fn probe(&self) -> Result<(), String> {
        self.ping().await.map_err(|error| error.to_string())
    }
}
