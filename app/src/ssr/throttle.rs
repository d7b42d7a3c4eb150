//! Back-off for guessing: failed sign-ins per account and per IP, unknown session ids per IP.
//! After a number of free failures each further one locks the key for twice as long (up to
//! 15 minutes); a quiet quarter of an hour forgives everything.
//!
//! The counters sit behind [`Throttle`]: [`LocalThrottle`] keeps them in this process (the
//! embedded single-server setup); the server's Redis throttle shares them between instances,
//! so a load balancer spreading guesses over several servers does not multiply the allowance.
use async_trait::async_trait;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Longest lock.
pub const MAX_LOCK_SECS: i64 = 900;
/// Failures are forgotten after this long without one.
pub const FORGET_AFTER_SECS: i64 = 900;
/// Failed sign-ins allowed per account before locking.
pub const FREE_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins allowed per IP before locking.
pub const FREE_PER_IP: u32 = 20;
/// Unknown session ids allowed per IP before locking.
pub const FREE_GUESSES_PER_IP: u32 = 50;
const MAX_KEYS: usize = 100_000;

/// The counters could not be read or written (the shared store is away).
#[derive(Debug, thiserror::Error)]
#[error("throttle: {0}")]
pub struct ThrottleError(pub String);

/// The lock (seconds) that failure number `failures` earns when `free` are allowed: none for
/// the free ones, then 1 s, doubling per failure, at most [`MAX_LOCK_SECS`].
pub fn lock_secs(failures: u32, free: u32) -> Option<i64> {
    (failures > free).then(|| {
        1i64.checked_shl(failures - free - 1)
            .unwrap_or(MAX_LOCK_SECS)
            .min(MAX_LOCK_SECS)
    })
}

/// Failure counters with exponential locks, named by key (`account:…`, `login-ip:…`,
/// `session-guess:…`). Time is passed in, so the server's test clock drives it.
#[async_trait]
pub trait Throttle: Send + Sync + std::fmt::Debug {
    /// Seconds left on `key`'s lock, or `None` when it is not locked.
    async fn locked_for(&self, key: &str, now: i64) -> Result<Option<i64>, ThrottleError>;

    /// Counts a failure for `key`; returns the lock it caused (seconds), if any.
    async fn fail(&self, key: &str, now: i64, free: u32) -> Result<Option<i64>, ThrottleError>;

    /// Forgets `key` (after a success).
    async fn reset(&self, key: &str) -> Result<(), ThrottleError>;
}

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

/// The counters in this process's memory (at most 100,000 keys; quiet ones go first).
#[derive(Clone, Debug, Default)]
pub struct LocalThrottle(Arc<Mutex<HashMap<String, Entry>>>);

#[async_trait]
impl Throttle for LocalThrottle {
    async fn locked_for(&self, key: &str, now: i64) -> Result<Option<i64>, ThrottleError> {
        let map = self.0.lock().expect("throttle lock poisoned");
        Ok(map
            .get(key)
            .filter(|e| e.locked_until > now)
            .map(|e| e.locked_until - now))
    }

    async fn fail(&self, key: &str, now: i64, free: u32) -> Result<Option<i64>, ThrottleError> {
        let mut map = self.0.lock().expect("throttle lock poisoned");
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| now - e.last_failure < FORGET_AFTER_SECS);
        }
        let entry = map.entry(key.to_owned()).or_default();
        if now - entry.last_failure >= FORGET_AFTER_SECS {
            *entry = Entry::default();
        }
        entry.failures += 1;
        entry.last_failure = now;
        let lock = lock_secs(entry.failures, free);
        if let Some(lock) = lock {
            entry.locked_until = now + lock;
        }
        Ok(lock)
    }

    async fn reset(&self, key: &str) -> Result<(), ThrottleError> {
        self.0.lock().expect("throttle lock poisoned").remove(key);
        Ok(())
    }
}

/// The behaviour every [`Throttle`] must show, for each implementation's tests: free failures,
/// doubling locks, the cap, forgiveness after a quiet quarter hour, and reset.
pub async fn check_throttle_behaviour(t: &dyn Throttle) {
    let ok = |r: Result<Option<i64>, ThrottleError>| r.expect("throttle store answers");
    for _ in 0..3 {
        assert_eq!(ok(t.fail("k", 100, 3).await), None);
    }
    assert_eq!(ok(t.locked_for("k", 100).await), None);
    assert_eq!(ok(t.fail("k", 100, 3).await), Some(1));
    assert_eq!(ok(t.locked_for("k", 100).await), Some(1));
    assert_eq!(ok(t.fail("k", 101, 3).await), Some(2));
    assert_eq!(ok(t.fail("k", 101, 3).await), Some(4));
    assert_eq!(ok(t.locked_for("k", 104).await), Some(1));
    assert_eq!(ok(t.locked_for("k", 105).await), None);
    assert_eq!(
        ok(t.locked_for("other", 105).await),
        None,
        "keys are separate"
    );
    for _ in 0..40 {
        ok(t.fail("k", 105, 3).await);
    }
    assert_eq!(ok(t.locked_for("k", 105).await), Some(MAX_LOCK_SECS));
    assert_eq!(
        ok(t.fail("k", 105 + FORGET_AFTER_SECS, 3).await),
        None,
        "a quiet quarter hour forgives"
    );
    for _ in 0..5 {
        ok(t.fail("k", 2000, 3).await);
    }
    assert!(ok(t.locked_for("k", 2000).await).is_some());
    t.reset("k").await.expect("throttle store answers");
    assert_eq!(ok(t.locked_for("k", 2000).await), None);
    assert_eq!(
        ok(t.fail("k", 2000, 3).await),
        None,
        "reset starts the count again"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_counters_lock_double_and_are_forgiven() {
        check_throttle_behaviour(&LocalThrottle::default()).await;
    }

    #[test]
    fn locks_start_after_the_free_failures_and_are_capped() {
        assert_eq!(lock_secs(5, 5), None);
        assert_eq!(lock_secs(6, 5), Some(1));
        assert_eq!(lock_secs(9, 5), Some(8));
        assert_eq!(lock_secs(200, 5), Some(MAX_LOCK_SECS));
    }
}
