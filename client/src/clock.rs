//! Time in microseconds since the UNIX epoch, and the estimated offset to the server's clock.
//!
//! Latency is capture time (on the server's clock, as the camera estimates it) against the
//! viewer's own clock corrected by its estimated offset, so that neither device needs an
//! accurate clock of its own.

use crate::browser::window;

/// This device's clock, with sub-millisecond resolution where the browser allows.
pub fn now_us() -> u64 {
    let performance = window().performance().expect("browsers have performance");
    ((performance.time_origin() + performance.now()) * 1000.0) as u64
}

/// How far ahead of this device the server's clock is, estimated from time-sync round trips.
/// The round trip with the smallest delay gives the best estimate, so that one is kept.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClockOffset {
    best: Option<Sample>,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    offset_us: i64,
    round_trip_us: u64,
}

impl ClockOffset {
    /// A round trip: sent at `sent_us`, answered with `server_us`, received at `received_us`.
    pub fn record(&mut self, sent_us: u64, server_us: u64, received_us: u64) {
        let round_trip_us = received_us.saturating_sub(sent_us);
        let midpoint = sent_us + round_trip_us / 2;
        let offset_us = server_us as i64 - midpoint as i64;
        if self.best.is_none_or(|b| round_trip_us <= b.round_trip_us) {
            self.best = Some(Sample {
                offset_us,
                round_trip_us,
            });
        }
    }

    /// A first guess from a single server timestamp, until round trips come in.
    pub fn guess(&mut self, server_us: u64) {
        if self.best.is_none() {
            self.best = Some(Sample {
                offset_us: server_us as i64 - now_us() as i64,
                // Unknown delay: any real round trip replaces this guess.
                round_trip_us: u64::MAX,
            });
        }
    }

    pub fn offset_us(&self) -> i64 {
        self.best.map_or(0, |b| b.offset_us)
    }

    /// The server's clock now, as estimated here.
    pub fn server_now_us(&self) -> u64 {
        now_us().saturating_add_signed(self.offset_us())
    }
}
