//! Polling until a condition holds.

use std::time::{Duration, Instant};

use crate::error::{Result, TestkitError};

/// Calls `done` every 100 ms until it returns true; a timeout error naming `what` after
/// `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return Err(TestkitError::Timeout {
                what: what.to_owned(),
                timeout,
            });
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_for_the_condition_or_times_out() {
        let mut calls = 0;
        wait_until("three calls", Duration::from_secs(10), || {
            calls += 1;
            calls == 3
        })
        .unwrap();
        assert_eq!(calls, 3);
        let err = wait_until("never", Duration::from_millis(150), || false).unwrap_err();
        assert!(matches!(err, TestkitError::Timeout { ref what, .. } if what == "never"));
    }
}
