//! Fixed-window rate limits over the shared cache (Redis), with an in-process fallback so
//! limits still hold, per process, while Redis is unreachable.
//!
//! Windows are aligned to the clock (`key` + window number), so the time until the window
//! ends is known without asking the cache: that is the `Retry-After` a client gets.

use std::{sync::Arc, time::Duration};

use crate::ports::{Cache, Clock};

/// At most `max` events per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub max: u64,
    pub window: Duration,
}

/// Over the limit: try again after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

#[derive(Clone)]
pub struct RateLimiter {
    shared: Arc<dyn Cache>,
    /// This process's own counters, for while the shared cache is unreachable.
    fallback: Arc<dyn Cache>,
    clock: Arc<dyn Clock>,
}

impl RateLimiter {
    pub fn new(shared: Arc<dyn Cache>, fallback: Arc<dyn Cache>, clock: Arc<dyn Clock>) -> Self {
        Self {
            shared,
            fallback,
            clock,
        }
    }

    /// Counts one event under `key`; `Err` when this event is over the limit.
    pub async fn hit(&self, key: &str, limit: Limit) -> Result<(), Limited> {
        let (window_key, retry_after) = self.window(key, limit);
        let count = match self.shared.increment(&window_key, limit.window).await {
            Ok(count) => Some(count),
            Err(error) => {
                tracing::warn!(%error, "rate limit falls back to the in-process counter");
                self.fallback
                    .increment(&window_key, limit.window)
                    .await
                    .ok()
            }
        };
        match count {
            Some(count) if count <= limit.max => Ok(()),
            // Over the limit, or no counter answered at all: fail closed.
            _ => Err(Limited { retry_after }),
        }
    }

    /// `Err` when `key` has already used up its limit in this window; counts nothing.
    pub async fn check(&self, key: &str, limit: Limit) -> Result<(), Limited> {
        let (window_key, retry_after) = self.window(key, limit);
        let stored = match self.shared.get(&window_key).await {
            Ok(stored) => stored,
            Err(_) => self.fallback.get(&window_key).await.unwrap_or_default(),
        };
        let count = stored
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(0);
        if count >= limit.max {
            Err(Limited { retry_after })
        } else {
            Ok(())
        }
    }

    /// Clears the current window's count of `key` (a sign-in that proved the password
    /// forgives the failures before it).
    pub async fn forget(&self, key: &str, limit: Limit) {
        let (window_key, _) = self.window(key, limit);
        if let Err(error) = self.shared.delete(&window_key).await {
            tracing::warn!(%error, "a rate-limit counter could not be cleared");
        }
        let _ = self.fallback.delete(&window_key).await;
    }

    /// The counter key of the current window and the time left in it.
    fn window(&self, key: &str, limit: Limit) -> (String, Duration) {
        let window_ms = u64::try_from(limit.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let now_ms = u64::try_from(self.clock.now().timestamp_millis()).unwrap_or(0);
        let number = now_ms / window_ms;
        let left_ms = (number + 1) * window_ms - now_ms;
        // Whole seconds for Retry-After, never 0.
        let retry_after = Duration::from_secs(left_ms.div_ceil(1000).max(1));
        (format!("rl:{key}:{number}"), retry_after)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use chrono::{DateTime, TimeZone, Utc};

    use crate::adapters::local::cache::InProcessCache;

    use super::*;

    struct FixedClock(Mutex<DateTime<Utc>>);

    impl Clock for FixedClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    #[tokio::test]
    async fn the_event_after_the_limit_is_refused_until_the_window_ends() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap();
        let clock = Arc::new(FixedClock(Mutex::new(start)));
        let limiter = RateLimiter::new(
            Arc::new(InProcessCache::new()),
            Arc::new(InProcessCache::new()),
            clock.clone(),
        );
        let limit = Limit {
            max: 3,
            window: Duration::from_secs(60),
        };
        for _ in 0..3 {
            assert_eq!(limiter.check("login:a", limit).await, Ok(()));
            assert_eq!(limiter.hit("login:a", limit).await, Ok(()));
        }
        let refused = limiter.hit("login:a", limit).await.unwrap_err();
        assert_eq!(refused.retry_after, Duration::from_secs(50));
        assert!(limiter.check("login:a", limit).await.is_err());
        assert!(
            limiter.check("login:b", limit).await.is_ok(),
            "keys are separate"
        );
        *clock.0.lock().unwrap() = start + chrono::Duration::seconds(50);
        assert_eq!(limiter.hit("login:a", limit).await, Ok(()), "a new window");
    }
}
