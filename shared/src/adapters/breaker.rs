//! A circuit breaker for a dependency that can hang rather than refuse: after `threshold`
//! outages in a row, calls fail at once for `cooldown` instead of each waiting out its
//! timeout, then one call at a time is let through to see whether it is back.

use std::{
    sync::atomic::{AtomicU32, AtomicU64, Ordering},
    time::{Duration, Instant},
};

/// Outages in a row that open a dependency's breaker, and how long it stays open.
const OUTAGES_TO_OPEN: u32 = 3;
const OPEN_FOR: Duration = Duration::from_secs(5);

pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    /// Outages in a row.
    failures: AtomicU32,
    /// Until when (milliseconds since `epoch`) calls fail at once; 0 when closed.
    open_until: AtomicU64,
    epoch: Instant,
}

impl Breaker {
    /// The breaker every dependency that can hang sits behind (Redis, the database).
    pub fn for_outages() -> Self {
        Self::new(OUTAGES_TO_OPEN, OPEN_FOR)
    }

    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            failures: AtomicU32::new(0),
            open_until: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Whether a call may go out now. While open, no; once the cooldown is over, exactly
    /// one caller gets through (it moves the deadline on for the others).
    pub fn allows(&self) -> bool {
        let open_until = self.open_until.load(Ordering::Acquire);
        if open_until == 0 {
            return true;
        }
        let now = self.now_ms();
        now >= open_until
            && self
                .open_until
                .compare_exchange(
                    open_until,
                    now.saturating_add(self.cooldown_ms()),
                    Ordering::AcqRel,
                    Ordering::Acquire,
                )
                .is_ok()
    }

    /// The dependency answered (even with an error of its own): the breaker closes.
    pub fn succeeded(&self) {
        self.failures.store(0, Ordering::Release);
        self.open_until.store(0, Ordering::Release);
    }

    /// The dependency did not answer in time, or the connection failed.
    pub fn failed(&self) {
        let failures = self
            .failures
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if failures >= self.threshold {
            let until = self.now_ms().saturating_add(self.cooldown_ms()).max(1);
            self.open_until.store(until, Ordering::Release);
        }
    }

    /// Why a call was not made while the breaker is open, naming `what` failed.
    pub fn refusal(&self, what: &str) -> String {
        format!(
            "{what} failed {} times in a row; not tried again for up to {} s",
            self.threshold,
            self.cooldown.as_secs()
        )
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn cooldown_ms(&self) -> u64 {
        u64::try_from(self.cooldown.as_millis()).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_the_threshold_and_lets_one_trial_through_after_the_cooldown() {
        let breaker = Breaker::new(3, Duration::from_millis(50));
        for _ in 0..2 {
            breaker.failed();
            assert!(breaker.allows(), "below the threshold");
        }
        breaker.failed();
        assert!(!breaker.allows(), "open");
        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.allows(), "one trial after the cooldown");
        assert!(!breaker.allows(), "only one");
        breaker.failed();
        assert!(!breaker.allows(), "the trial failed: open again");
        std::thread::sleep(Duration::from_millis(60));
        assert!(breaker.allows());
        breaker.succeeded();
        assert!(breaker.allows() && breaker.allows(), "closed");
    }
}
