//! Back-off for guessing: failed sign-ins per account and per IP, unknown session ids per IP.
//! After a number of free failures each further one locks the key for twice as long (up to
//! 15 minutes); a quiet quarter of an hour forgives everything. Kept in memory per instance.
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

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

/// The counters.
#[derive(Clone, Debug, Default)]
pub struct Throttle(Arc<Mutex<HashMap<String, Entry>>>);

impl Throttle {
    /// `Err(seconds to wait)` while `key` is locked.
    pub fn check(&self, key: &str, now: i64) -> Result<(), i64> {
        let map = self.0.lock().expect("throttle lock poisoned");
        match map.get(key) {
            Some(e) if e.locked_until > now => Err(e.locked_until - now),
            _ => Ok(()),
        }
    }

    /// Counts a failure for `key`; returns the lock it caused (seconds), if any.
    pub fn fail(&self, key: &str, now: i64, free: u32) -> Option<i64> {
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
        (entry.failures > free).then(|| {
            let lock = 1i64
                .checked_shl(entry.failures - free - 1)
                .unwrap_or(MAX_LOCK_SECS)
                .min(MAX_LOCK_SECS);
            entry.locked_until = now + lock;
            lock
        })
    }

    /// Forgets `key` (after a success).
    pub fn reset(&self, key: &str) {
        self.0.lock().expect("throttle lock poisoned").remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_double_after_the_free_failures_and_are_forgiven() {
        let t = Throttle::default();
        for _ in 0..3 {
            assert_eq!(t.fail("k", 100, 3), None);
        }
        assert_eq!(t.check("k", 100), Ok(()));
        assert_eq!(t.fail("k", 100, 3), Some(1));
        assert_eq!(t.check("k", 100), Err(1));
        assert_eq!(t.fail("k", 101, 3), Some(2));
        assert_eq!(t.fail("k", 101, 3), Some(4));
        assert_eq!(t.check("k", 104), Err(1));
        assert_eq!(t.check("k", 105), Ok(()));
        for _ in 0..40 {
            t.fail("k", 105, 3);
        }
        assert_eq!(t.check("k", 105), Err(MAX_LOCK_SECS));
        assert_eq!(
            t.fail("k", 105 + FORGET_AFTER_SECS, 3),
            None,
            "a quiet quarter hour forgives"
        );
        t.reset("k");
        assert_eq!(t.check("k", 0), Ok(()));
    }
}
