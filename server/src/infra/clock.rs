//! The server's clock. Time-dependent rules (sessions, invites, viewing hours, the audit
//! log) all ask it, so that tests can move it to a boundary instead of waiting for one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time, possibly shifted by a fixed offset (always zero outside tests).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_us: Arc<AtomicI64>,
}

impl Clock {
    /// Microseconds since the UNIX epoch.
    pub fn now_us(&self) -> i64 {
        system_now_us().saturating_add(self.offset_us.load(Ordering::Relaxed))
    }

    /// The same, as the WebSocket protocol writes it.
    pub fn protocol_now_us(&self) -> u64 {
        u64::try_from(self.now_us()).unwrap_or(0)
    }

    /// Makes the clock read `now_us` now and run on from there.
    pub fn set_now_us(&self, now_us: i64) {
        self.offset_us
            .store(now_us.saturating_sub(system_now_us()), Ordering::Relaxed);
    }
}

fn system_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
        })
}
