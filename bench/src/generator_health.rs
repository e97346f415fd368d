//! Whether the load generator kept up: its own CPU use and how late its timers fire. A
//! saturated generator measures itself, not the relay, so its step does not count.

use std::time::Duration;

use hdrhistogram::Histogram;
use tokio_util::sync::CancellationToken;

use nido_testkit::proc_stats;

/// Busier than this share of its core, the generator is saturated.
const MAX_BUSY: f64 = 0.9;
/// Timers firing later than this at the 99th percentile mean a saturated generator.
const MAX_TIMER_LAG_US: u64 = 10_000;
const PROBE_EVERY: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct GeneratorHealth {
    /// Share of one core the generator used during the window.
    pub busy: f64,
    pub timer_lag_p99_ms: f64,
    pub saturated: bool,
}

/// Measures the generator from now until `stop` is cancelled.
pub async fn watch(stop: CancellationToken) -> GeneratorHealth {
    let started = std::time::Instant::now();
    let cpu_before = proc_stats::sample(None).map_or(0.0, |s| s.cpu_seconds);
    let mut lag = Histogram::<u64>::new(3).expect("valid precision");
    while !stop.is_cancelled() {
        let due = tokio::time::Instant::now() + PROBE_EVERY;
        tokio::select! {
            () = tokio::time::sleep_until(due) => {
                let late = tokio::time::Instant::now().duration_since(due);
                lag.saturating_record(u64::try_from(late.as_micros()).unwrap_or(u64::MAX));
            }
            () = stop.cancelled() => {}
        }
    }
    let cpu_after = proc_stats::sample(None).map_or(0.0, |s| s.cpu_seconds);
    let busy = (cpu_after - cpu_before) / started.elapsed().as_secs_f64();
    let lag_p99 = lag.value_at_quantile(0.99);
    GeneratorHealth {
        busy,
        timer_lag_p99_ms: lag_p99 as f64 / 1000.0,
        saturated: busy > MAX_BUSY || lag_p99 > MAX_TIMER_LAG_US,
    }
}
