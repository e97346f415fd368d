//! This device's clock, and the estimated offset to the server's clock.
//!
//! Latency is capture time (on the server's clock, as the camera estimates it) against the
//! viewer's own clock corrected by its estimated offset, so that neither device needs an
//! accurate clock of its own.

use nido_shared::Timestamp;

use crate::browser::window;

/// This device's clock, with sub-millisecond resolution where the browser allows.
pub fn now() -> Timestamp {
    let performance = window().performance().expect("browsers have performance");
    from_js_millis(performance.time_origin() + performance.now())
}

/// How far ahead of this device the server's clock is, estimated from time-sync round trips.
/// The round trip with the smallest delay gives the best estimate, so that one is kept.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClockOffset {
    best: Option<Sample>,
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    /// Microseconds the server's clock is ahead of this device's (negative: behind).
    offset_us: i64,
    round_trip_us: u64,
}

/// One time-sync round trip: sent and received on this device's clock, answered on the
/// server's.
#[derive(Debug, Clone, Copy)]
pub struct RoundTrip {
    pub sent: Timestamp,
    pub server: Timestamp,
    pub received: Timestamp,
}

impl ClockOffset {
    pub fn record(&mut self, trip: RoundTrip) {
        let round_trip_us = micros(trip.received.saturating_duration_since(trip.sent));
        let midpoint_us = trip
            .sent
            .as_micros()
            .saturating_add_unsigned(round_trip_us / 2);
        let offset_us = trip.server.as_micros().saturating_sub(midpoint_us);
        if self.best.is_none_or(|b| round_trip_us <= b.round_trip_us) {
            self.best = Some(Sample {
                offset_us,
                round_trip_us,
            });
        }
    }

    /// A first guess from a single server timestamp, until round trips come in.
    pub fn guess(&mut self, server: Timestamp) {
        if self.best.is_none() {
            self.best = Some(Sample {
                offset_us: server.as_micros().saturating_sub(now().as_micros()),
                // Unknown delay: any real round trip replaces this guess.
                round_trip_us: u64::MAX,
            });
        }
    }

    /// The server's clock now, as estimated here.
    pub fn server_now(&self) -> Timestamp {
        let offset_us = self.best.map_or(0, |b| b.offset_us);
        Timestamp::from_micros(now().as_micros().saturating_add(offset_us))
    }
}

fn micros(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A moment as the browser's `Date` (to the millisecond).
pub fn js_date(at: Timestamp) -> js_sys::Date {
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
        at.as_micros() as f64 / 1000.0,
    ))
}

/// The moment a browser's `Date` or `Date.now()` gives in milliseconds.
pub fn from_js_millis(millis: f64) -> Timestamp {
    Timestamp::from_micros((millis * 1000.0) as i64)
}
