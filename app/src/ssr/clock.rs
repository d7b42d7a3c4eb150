//! The time every rule is checked against. Tests move it forward instead of sleeping.
use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

/// Wall-clock time plus an offset that only tests change.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// Seconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.now_ms() / 1000
    }

    /// Milliseconds since the Unix epoch.
    pub fn now_ms(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or_default();
        real + self.offset_secs.load(Ordering::Relaxed) * 1000
    }

    /// Moves this clock (and every clone of it) forward (tests only).
    #[cfg(any(test, feature = "test-support"))]
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }
}
