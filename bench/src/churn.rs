//! Viewers that come and go: each opens a connection, joins, waits for its first frame,
//! stays a moment and leaves, measuring how long the picture took to appear.

use std::time::Duration;

use hdrhistogram::Histogram;
use tokio::task::JoinSet;

use crate::clock::Clock;
use crate::peer::Target;
use crate::viewer::latency_histogram;
use crate::window::Window;
use crate::wire::{Connection, Incoming, Joiner};

/// How long a coming-and-going viewer stays after its first frame.
const STAY: Duration = Duration::from_secs(1);
/// Longer than this without a frame is a failed join.
const FIRST_FRAME_PATIENCE: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct ChurnReport {
    pub joins: u64,
    /// Microseconds from opening the connection to the first frame.
    pub first_frame: Histogram<u64>,
    pub failures: u64,
    pub problem: Option<String>,
}

/// Starts `per_second` viewers a second, due inside `window`, until it ends.
pub async fn run(target: &Target, clock: Clock, per_second: u32, window: Window) -> ChurnReport {
    let period_us = 1_000_000 / u64::from(per_second);
    let mut visits = JoinSet::new();
    let mut due_us = window.start_us;
    while due_us < window.end_us {
        tokio::time::sleep_until(clock.instant_at(due_us)).await;
        visits.spawn(visit(target.clone(), clock));
        due_us += period_us;
    }
    let mut report = ChurnReport {
        joins: 0,
        first_frame: latency_histogram(),
        failures: 0,
        problem: None,
    };
    while let Some(visit) = visits.join_next().await {
        report.joins += 1;
        match visit {
            Ok(Ok(waited_us)) => report.first_frame.saturating_record(waited_us),
            Ok(Err(error)) => {
                report.failures += 1;
                report.problem.get_or_insert(error.to_string());
            }
            Err(error) => {
                report.failures += 1;
                report.problem.get_or_insert(error.to_string());
            }
        }
    }
    report
}

/// One viewer's visit; the time from opening the connection to the first frame.
async fn visit(target: Target, clock: Clock) -> anyhow::Result<u64> {
    let opened_us = clock.now_us();
    let mut connection = Connection::open(&target, Joiner::Viewer, None).await?;
    let waited_us = tokio::time::timeout(FIRST_FRAME_PATIENCE, async {
        loop {
            match connection.next().await {
                Incoming::Frame(_) => return Ok(clock.now_us() - opened_us),
                Incoming::Closed(reason) | Incoming::Error(reason) => anyhow::bail!(reason),
                Incoming::Chat(_) | Incoming::Other => {}
            }
        }
    })
    .await
    .map_err(|_| anyhow::anyhow!("no frame within {FIRST_FRAME_PATIENCE:?}"))??;
    let stay = tokio::time::sleep(STAY);
    tokio::pin!(stay);
    loop {
        tokio::select! {
            () = &mut stay => break,
            incoming = connection.next() => if let Incoming::Closed(reason) = incoming {
                anyhow::bail!(reason)
            },
        }
    }
    connection.close().await;
    Ok(waited_us)
}
