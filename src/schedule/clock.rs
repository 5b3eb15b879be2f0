//! The scheduler's clock, injectable: the daemon reads the system's, tests a simulated one that
//! they move by hand, so a week of schedules, a DST change and a downtime run in a second.

use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    /// Milliseconds since the epoch, UTC.
    fn now_ms(&self) -> i64;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        chrono::Utc::now().timestamp_millis()
    }
}

/// A clock that stands still until told to move.
pub struct SimulatedClock {
    now: AtomicI64,
}

impl SimulatedClock {
    pub fn at(ms: i64) -> Self {
        Self {
            now: AtomicI64::new(ms),
        }
    }

    pub fn set(&self, ms: i64) {
        self.now.store(ms, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for SimulatedClock {
    fn now_ms(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}
