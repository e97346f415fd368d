//! The one clock the camera stamps frames with and the viewers measure them by.

use std::time::{Duration, Instant};

use nido_shared::Timestamp;

/// Microseconds since a fixed start, shared by every task of the load generator.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    epoch: Instant,
}

impl Clock {
    pub fn start() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    pub fn now_us(self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A frame's capture time for the moment `us` of this clock: the relay passes it through
    /// untouched, so the viewers read this clock's microseconds back.
    pub fn capture_time(us: u64) -> Timestamp {
        Timestamp::from_micros(i64::try_from(us).unwrap_or(i64::MAX))
    }

    /// The moment of this clock a frame's capture time stands for.
    pub fn moment_of(capture_time: Timestamp) -> u64 {
        u64::try_from(capture_time.as_micros()).unwrap_or(0)
    }

    /// The instant `us` microseconds after the start.
    pub fn instant_at(self, us: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch + Duration::from_micros(us))
    }
}
