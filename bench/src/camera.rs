//! The camera: sends the test picture as Nido frames on a fixed schedule that waits for
//! nobody, stamping each with the time it was due.

use bytes::Bytes;

use crate::clock::Clock;
use crate::window::Window;
use crate::wire::{Connection, Incoming};

/// What the camera did during a step.
#[derive(Debug, Default)]
pub struct CameraReport {
    /// Frames due inside the window that were sent.
    pub published_in_window: u64,
    /// The most any send started after it was due, in microseconds.
    pub max_lateness_us: u64,
    pub problem: Option<String>,
}

/// Sends frames due from `first_us` at `fps` until `until_us`.
pub async fn stream(
    mut connection: Connection,
    clock: Clock,
    jpeg: Bytes,
    fps: u32,
    first_us: u64,
    window: Window,
    until_us: u64,
) -> CameraReport {
    let period_us = 1_000_000 / u64::from(fps);
    let mut report = CameraReport::default();
    for sequence in 1.. {
        let due_us = first_us + (sequence - 1) * period_us;
        if due_us >= until_us {
            break;
        }
        // Whatever the relay sends the camera (presence, chat) is read while waiting.
        let due = clock.instant_at(due_us);
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(due) => break,
                incoming = connection.next() => {
                    if let Incoming::Closed(reason) | Incoming::Error(reason) = incoming {
                        report.problem = Some(format!("camera: {reason}"));
                        return report;
                    }
                }
            }
        }
        report.max_lateness_us = report
            .max_lateness_us
            .max(clock.now_us().saturating_sub(due_us));
        let frame = nido_testkit::frames::frame(sequence, Clock::capture_time(due_us), &jpeg);
        if let Err(error) = connection.send_frame(frame).await {
            report.problem = Some(format!("camera: {error}"));
            return report;
        }
        if window.contains(due_us) {
            report.published_in_window += 1;
        }
    }
    connection.close().await;
    report
}
