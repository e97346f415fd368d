//! The server's clock. Time-dependent rules (sessions, invites, viewing hours, the audit
//! log) all ask it, so that tests can move it to a boundary instead of waiting for one.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use nido_shared::Timestamp;

/// Wall-clock time, possibly shifted by a fixed offset (always zero outside tests).
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_us: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> Timestamp {
        Timestamp::from_micros(
            system_now_us().saturating_add(self.offset_us.load(Ordering::Relaxed)),
        )
    }

    /// Makes the clock read `now` now and run on from there.
    pub fn set_now(&self, now: Timestamp) {
        self.offset_us.store(
            now.as_micros().saturating_sub(system_now_us()),
            Ordering::Relaxed,
        );
    }
}

fn system_now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX)
        })
}
