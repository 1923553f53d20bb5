//! When the function serving a request is stopped: a Lambda invocation's deadline. Work
//! that must end before it (a run's answer, which then settles and is billed) reads it
//! here; locally there is none.

use std::{future::Future, time::Duration};

use tokio::time::Instant;

tokio::task_local! {
    static FUNCTION_DEADLINE: Instant;
}

/// The deadline of the function serving the current request, if it has one.
pub fn current() -> Option<Instant> {
    FUNCTION_DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Runs `future` with `deadline` as the function's deadline.
pub async fn within<F: Future>(deadline: Option<Instant>, future: F) -> F::Output {
    match deadline {
        Some(deadline) => FUNCTION_DEADLINE.scope(deadline, future).await,
        None => future.await,
    }
}

/// A Lambda invocation's deadline (milliseconds since the epoch, as the runtime gives
/// it) as an instant of this process; `None` when it is not set (0) or not a time.
pub fn from_epoch_millis(deadline_ms: u64, now_ms: u64) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_ms));
    Instant::now().checked_add(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_deadline_is_none_and_a_past_one_is_now() {
        assert_eq!(from_epoch_millis(0, 1_000), None);
        let past = from_epoch_millis(500, 1_000).unwrap();
        assert!(past <= Instant::now());
        let later = from_epoch_millis(4_000, 1_000).unwrap();
        let left = later - Instant::now();
        assert!(left <= Duration::from_millis(3_000) && left > Duration::from_millis(2_000));
    }
}
