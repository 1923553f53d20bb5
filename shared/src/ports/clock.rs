//! The time, injectable so expiry and refresh logic can be tested without waiting.

use chrono::{DateTime, Utc};

/// The time, injectable so expiry and refresh logic can be tested without waiting.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}
