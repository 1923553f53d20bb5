//! How long a retry waits: exponential ceilings with random jitter, so retries from many
//! runs spread out instead of arriving together. Written without the `Duration` methods
//! that panic on odd floats (`mul_f64`, `from_secs_f64`).

use std::time::Duration;

/// A uniformly random fraction in [0, 1) from the system's random source.
pub fn rand_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    if aws_lc_rs::rand::fill(&mut bytes).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}

/// `base × 2^doublings`, at most `cap`.
pub fn exponential(base: Duration, doublings: u32, cap: Duration) -> Duration {
    base.saturating_mul(2u32.saturating_pow(doublings)).min(cap)
}

/// Anywhere in [0, ceiling): full jitter.
pub fn full_jitter(ceiling: Duration) -> Duration {
    scaled(ceiling, rand_fraction())
}

/// Anywhere in [ceiling / 2, ceiling): retries spread out but never come at once.
pub fn half_jitter(ceiling: Duration) -> Duration {
    scaled(ceiling, 0.5 + rand_fraction() / 2.0)
}

/// `duration × factor` for a factor in [0, 1]; anything else leaves `duration` as it is.
fn scaled(duration: Duration, factor: f64) -> Duration {
    if !(0.0..=1.0).contains(&factor) {
        return duration;
    }
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(duration)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn jitter_stays_within_its_ceiling(millis in 0u64..=u64::MAX / 2) {
            let ceiling = Duration::from_millis(millis);
            prop_assert!(full_jitter(ceiling) <= ceiling);
            let half = half_jitter(ceiling);
            prop_assert!(half <= ceiling && half >= ceiling / 2 - Duration::from_nanos(1).min(ceiling / 2));
        }

        #[test]
        fn exponential_never_overflows_and_respects_its_cap(base in 0u64..=u64::MAX, doublings in 0u32..=u32::MAX) {
            let cap = Duration::from_secs(300);
            prop_assert!(exponential(Duration::from_millis(base), doublings, cap) <= cap);
        }
    }
}
