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

/// The longest a Lambda invocation runs (15 minutes), with a little slack for clocks.
const LONGEST_INVOCATION: Duration = Duration::from_secs(15 * 60 + 60);

/// A Lambda invocation's deadline (milliseconds since the epoch, as the runtime gives
/// it) as an instant of this process; `None` when it cannot be one: unset (0), already
/// past when the request arrives, or further than any invocation runs (an emulator's
/// placeholder, a clock in other units).
pub fn from_epoch_millis(deadline_ms: u64, now_ms: u64) -> Option<Instant> {
    let left = Duration::from_millis(deadline_ms.checked_sub(now_ms)?);
    if left.is_zero() || left > LONGEST_INVOCATION {
        return None;
    }
    Instant::now().checked_add(left)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_deadline_an_invocation_could_have_is_one() {
        assert_eq!(from_epoch_millis(0, 1_000), None, "unset");
        assert_eq!(from_epoch_millis(500, 1_000), None, "already past");
        assert_eq!(from_epoch_millis(1_000, 1_000), None, "now");
        assert_eq!(
            from_epoch_millis(1_000 + 3_600_000, 1_000),
            None,
            "an hour away"
        );
        let later = from_epoch_millis(4_000, 1_000).unwrap();
        let left = later - Instant::now();
        assert!(left <= Duration::from_millis(3_000) && left > Duration::from_millis(2_000));
    }
}
