//! Time as the control plane sees it: injected, so tests and the pure core can fix it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch, with millisecond precision (the wire's timestamp form).
    fn now(&self) -> f64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> f64 {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_millis() as f64) / 1000.0
    }
}

/// A clock that stands still until told to move; for tests.
pub struct FixedClock(AtomicU64);

impl FixedClock {
    pub fn new(epoch_millis: u64) -> Self {
        FixedClock(AtomicU64::new(epoch_millis))
    }

    pub fn advance_millis(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> f64 {
        self.0.load(Ordering::SeqCst) as f64 / 1000.0
    }
}
