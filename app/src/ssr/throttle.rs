//! Back-off for guessing: failed sign-ins per account and per IP, unknown session ids per IP.
//! After a number of free failures each further one locks the key for twice as long (up to
//! 15 minutes); a quiet hour forgives everything (longer than the longest lock, so the count
//! is not forgiven at the moment the longest lock ends).
//!
//! Password attempts are *reserved* before the password is checked: [`Throttle::reserve`]
//! refuses while the key is locked, and otherwise counts the attempt as a failure and sets
//! the lock it would earn, in one atomic step. However many guesses arrive at once, no more
//! than the free ones (and one more, like one at a time) are ever checked. A success gives
//! the reservation back ([`Throttle::refund`]) or forgets the key ([`Throttle::reset`]).
//!
//! The counters sit behind [`Throttle`]: [`LocalThrottle`] keeps them in this process (the
//! embedded single-server setup); the server's Redis throttle shares them between instances,
//! so a load balancer spreading guesses over several servers does not multiply the allowance.
use super::store_error::StoreResult;
use async_trait::async_trait;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// Longest lock.
pub const MAX_LOCK_SECS: i64 = 900;
/// Failures are forgotten after this long without one.
pub const FORGET_AFTER_SECS: i64 = 3600;
/// Failed sign-ins allowed per account before locking.
pub const FREE_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins allowed per IP before locking.
pub const FREE_PER_IP: u32 = 20;
/// Failed re-authentications allowed per session before locking (that session only).
pub const FREE_PER_SESSION: u32 = 5;
/// Failed re-authentications allowed per user, over all their sessions, before locking
/// re-authentication for that user (never their sign-in).
pub const FREE_REAUTH_PER_USER: u32 = 20;
/// Unknown session ids allowed per IP before locking.
pub const FREE_GUESSES_PER_IP: u32 = 50;
const MAX_KEYS: usize = 100_000;

/// The seconds a lock that runs `until` (a lock of L seconds earned during second T runs
/// until T + L) has left at `now`, if any. Clocks tick in whole seconds, so a lock holds
/// through the whole of its last second: it lasts at least L seconds wherever in second T it
/// began (counting it out at T + L would make a 1 s lock earned at T.999 last a millisecond).
pub fn time_left(until: i64, now: i64) -> Option<i64> {
    (until >= now && until > 0).then(|| until - now + 1)
}

/// The lock (seconds) that failure number `failures` earns when `free` are allowed: none for
/// the free ones, then 1 s, doubling per failure, at most [`MAX_LOCK_SECS`].
pub fn lock_secs(failures: u32, free: u32) -> Option<i64> {
    (failures > free).then(|| match failures - free - 1 {
        // 2^62 is already far past the cap; a larger shift would wrap.
        doublings @ 0..=61 => (1i64 << doublings).min(MAX_LOCK_SECS),
        _ => MAX_LOCK_SECS,
    })
}

/// Failure counters with exponential locks, named by key (`account:…`, `login-ip:…`,
/// `session-guess:…`). Time is passed in, so the server's test clock drives it.
#[async_trait]
pub trait Throttle: Send + Sync + std::fmt::Debug {
    /// Seconds left on `key`'s lock, or `None` when it is not locked.
    async fn locked_for(&self, key: &str, now: i64) -> StoreResult<Option<i64>>;

    /// Counts a failure for `key`; returns the lock it caused (seconds), if any.
    async fn fail(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>>;

    /// Forgets `key` (after a success).
    async fn reset(&self, key: &str) -> StoreResult<()>;

    /// Atomically: while `key` is locked, refuses (the seconds left); otherwise counts an
    /// attempt as a failure and sets the lock that failure earns, and lets it through (None).
    async fn reserve(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>>;

    /// Gives back a reservation that turned out a success: one failure less, and no lock
    /// unless the remaining failures earn one.
    async fn refund(&self, key: &str, free: u32) -> StoreResult<()>;

    /// A reserved attempt failed at `now`: the lock its failure earned runs from now (not from
    /// the reservation, a password check earlier). The lock in seconds, if any.
    async fn confirm_failure(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>>;
}

#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    failures: u32,
    last_failure: i64,
    locked_until: i64,
}

/// Counts a failure of `key` at `now`; the lock it earns.
fn count(map: &mut HashMap<String, Entry>, key: &str, now: i64, free: u32) -> Option<i64> {
    if map.len() >= MAX_KEYS {
        map.retain(|_, e| now - e.last_failure < FORGET_AFTER_SECS);
    }
    let entry = map.entry(key.to_owned()).or_default();
    if now - entry.last_failure >= FORGET_AFTER_SECS {
        *entry = Entry::default();
    }
    entry.failures = entry.failures.saturating_add(1);
    entry.last_failure = now;
    let lock = lock_secs(entry.failures, free);
    if let Some(lock) = lock {
        entry.locked_until = now + lock;
    }
    lock
}

/// The counters in this process's memory (at most 100,000 keys; quiet ones go first).
#[derive(Clone, Debug, Default)]
pub struct LocalThrottle(Arc<Mutex<HashMap<String, Entry>>>);

#[async_trait]
impl Throttle for LocalThrottle {
    async fn locked_for(&self, key: &str, now: i64) -> StoreResult<Option<i64>> {
        let map = self.0.lock().expect("throttle lock poisoned");
        Ok(map.get(key).and_then(|e| time_left(e.locked_until, now)))
    }

    async fn fail(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        let mut map = self.0.lock().expect("throttle lock poisoned");
        Ok(count(&mut map, key, now, free))
    }

    async fn reset(&self, key: &str) -> StoreResult<()> {
        self.0.lock().expect("throttle lock poisoned").remove(key);
        Ok(())
    }

    async fn reserve(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        // Checked and counted under one lock: parallel reservations see each other.
        let mut map = self.0.lock().expect("throttle lock poisoned");
        if let Some(entry) = map.get(key) {
            if now - entry.last_failure < FORGET_AFTER_SECS {
                if let Some(left) = time_left(entry.locked_until, now) {
                    return Ok(Some(left));
                }
            }
        }
        count(&mut map, key, now, free);
        Ok(None)
    }

    async fn confirm_failure(&self, key: &str, now: i64, free: u32) -> StoreResult<Option<i64>> {
        let mut map = self.0.lock().expect("throttle lock poisoned");
        let Some(entry) = map.get_mut(key) else {
            return Ok(None);
        };
        let lock = lock_secs(entry.failures, free);
        if let Some(lock) = lock {
            entry.locked_until = entry.locked_until.max(now + lock);
        }
        Ok(lock)
    }

    async fn refund(&self, key: &str, free: u32) -> StoreResult<()> {
        let mut map = self.0.lock().expect("throttle lock poisoned");
        if let Some(entry) = map.get_mut(key) {
            entry.failures = entry.failures.saturating_sub(1);
            if entry.failures == 0 {
                map.remove(key);
            } else if entry.failures <= free {
                entry.locked_until = 0;
            }
        }
        Ok(())
    }
}

/// The behaviour every [`Throttle`] must show, for each implementation's tests: free failures,
/// doubling locks, the cap, forgiveness after a quiet quarter hour, and reset.
#[cfg(any(test, feature = "test-support"))]
pub async fn check_throttle_behaviour(t: &dyn Throttle) {
    let ok = |r: StoreResult<Option<i64>>| r.expect("throttle store answers");
    for _ in 0..3 {
        assert_eq!(ok(t.fail("k", 100, 3).await), None);
    }
    assert_eq!(ok(t.locked_for("k", 100).await), None);
    assert_eq!(ok(t.fail("k", 100, 3).await), Some(1));
    // A lock holds through its last whole second: at least as long as it says.
    assert_eq!(ok(t.locked_for("k", 100).await), Some(2));
    assert_eq!(ok(t.locked_for("k", 101).await), Some(1));
    assert_eq!(ok(t.fail("k", 101, 3).await), Some(2));
    assert_eq!(ok(t.fail("k", 101, 3).await), Some(4));
    assert_eq!(ok(t.locked_for("k", 104).await), Some(2));
    assert_eq!(ok(t.locked_for("k", 105).await), Some(1));
    assert_eq!(ok(t.locked_for("k", 106).await), None);
    assert_eq!(
        ok(t.locked_for("other", 105).await),
        None,
        "keys are separate"
    );
    for _ in 0..40 {
        ok(t.fail("k", 105, 3).await);
    }
    assert_eq!(ok(t.locked_for("k", 105).await), Some(MAX_LOCK_SECS + 1));
    assert_eq!(
        ok(t.fail("k", 105 + MAX_LOCK_SECS, 3).await),
        Some(MAX_LOCK_SECS),
        "not forgiven the moment the longest lock ends"
    );
    assert_eq!(
        ok(t.fail("k", 105 + MAX_LOCK_SECS * 2 + FORGET_AFTER_SECS, 3)
            .await),
        None,
        "a quiet hour forgives"
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

    // Reservations: counted before the check, refused while locked, refunded on success.
    let t0 = 100_000;
    for _ in 0..4 {
        assert_eq!(ok(t.reserve("r", t0, 3).await), None);
    }
    assert_eq!(
        ok(t.reserve("r", t0, 3).await),
        Some(2),
        "the fourth reservation earned a lock at once"
    );
    assert_eq!(
        ok(t.reserve("r", t0 + 1, 3).await),
        Some(1),
        "which holds through its last second"
    );
    t.refund("r", 3).await.expect("throttle store answers");
    assert_eq!(
        ok(t.locked_for("r", t0).await),
        None,
        "a success gives it back"
    );
    assert_eq!(ok(t.reserve("r", t0, 3).await), None);
    // Parallel reservations: only the free ones and one more get through.
    let results = futures::future::join_all((0..30).map(|_| t.reserve("p", t0, 5))).await;
    let through = results
        .into_iter()
        .filter(|r| matches!(r, Ok(None)))
        .count();
    assert_eq!(through, 6, "5 free and the one that earned the first lock");
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
        for failures in 60..80 {
            assert_eq!(
                lock_secs(failures, 5),
                Some(MAX_LOCK_SECS),
                "failure {failures}"
            );
        }
        assert_eq!(lock_secs(u32::MAX, 5), Some(MAX_LOCK_SECS));
    }
}
