//! A viewer: reads what the relay sends (steadily, throttled or with a stall), checks that
//! every frame arrives whole and in order, and records how late frames and chat arrive.
//! A chat client is a viewer that also sends a message now and then.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;
use nido_shared::{ClientMessage, FrameHeader};
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::window::Window;
use crate::wire::{Connection, Incoming};

/// How a viewer reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading {
    Steady,
    /// Stops reading for `pause` once it has read for `after`.
    Stalls {
        after: Duration,
        pause: Duration,
    },
}

/// A chat client's sending: one message every `every` from `first_us`, while inside
/// `window`.
#[derive(Debug, Clone, Copy)]
pub struct Chatting {
    pub client: usize,
    pub every: Duration,
    pub first_us: u64,
    pub window: Window,
}

/// What one viewer saw.
#[derive(Debug)]
pub struct ViewerReport {
    /// Frames due inside the window that arrived, and their bytes.
    pub frames: u64,
    pub bytes: u64,
    /// Frames that were not the picture sent, or came out of order.
    pub bad_frames: u64,
    /// Microseconds from a frame's due time to its arrival, for frames in the window.
    pub latency: Histogram<u64>,
    /// The first frame's arrival, on the generator's clock.
    pub first_frame_us: Option<u64>,
    /// Sequence numbers of the chat messages that arrived.
    pub chat_seen: HashSet<u64>,
    /// Microseconds from a chat message's sending to its arrival.
    pub chat_latency: Histogram<u64>,
    /// Chat messages this client sent.
    pub chat_sent: u64,
    /// How it came back after its first long quiet, if it had one.
    pub recovery: Option<Recovery>,
    pub problem: Option<String>,
}

/// No frame for this long is a stall (the camera sends at least 10 a second).
const QUIET: Duration = Duration::from_secs(2);
/// A frame this much older than when it arrived is late.
const LATE_US: u64 = 250_000;

/// How a viewer came back after a stall: its own (it stopped reading) or its link's.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Recovery {
    /// When the last frame before the quiet and the first after it arrived.
    pub quiet_from_us: u64,
    pub quiet_until_us: u64,
    /// Late frames after the quiet, and how long after the quiet began the newest of them
    /// was captured: the video that had waited on the way.
    pub late_frames: u64,
    pub late_captured_until_us: Option<u64>,
    /// When the first frame that was not late arrived.
    pub current_at_us: Option<u64>,
}

impl Recovery {
    /// Counts a frame arriving after the quiet.
    fn frame(&mut self, captured_us: u64, arrived_us: u64) {
        if arrived_us.saturating_sub(captured_us) > LATE_US {
            self.late_frames += 1;
            self.late_captured_until_us = self.late_captured_until_us.max(Some(captured_us));
        } else {
            self.current_at_us.get_or_insert(arrived_us);
        }
    }

    /// Seconds of video captured after the quiet began that still arrived late.
    pub fn late_video_seconds(&self) -> f64 {
        self.late_captured_until_us.map_or(0.0, |until| {
            until.saturating_sub(self.quiet_from_us) as f64 / 1e6
        })
    }

    /// Seconds from the link coming back to a current picture (`None`: it never came).
    pub fn current_after_seconds(&self) -> Option<f64> {
        self.current_at_us
            .map(|at| at.saturating_sub(self.quiet_until_us) as f64 / 1e6)
    }
}

impl ViewerReport {
    fn new() -> Self {
        Self {
            frames: 0,
            bytes: 0,
            bad_frames: 0,
            latency: latency_histogram(),
            first_frame_us: None,
            chat_seen: HashSet::new(),
            chat_latency: latency_histogram(),
            chat_sent: 0,
            recovery: None,
            problem: None,
        }
    }
}

/// Microseconds, from 1 µs to an hour, at three significant digits.
pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid bounds")
}

/// What a viewer checks frames against. The window is decided once every viewer has
/// connected, before the camera starts.
#[derive(Debug, Clone)]
pub struct Expected {
    pub jpeg: Bytes,
    pub window: Arc<OnceLock<Window>>,
    pub clock: Clock,
}

/// Reads until `stop` is cancelled or the connection ends.
pub async fn watch(
    mut connection: Connection,
    expected: Expected,
    reading: Reading,
    chatting: Option<Chatting>,
    stop: CancellationToken,
) -> ViewerReport {
    let clock = expected.clock;
    let mut report = ViewerReport::new();
    let mut last_sequence = 0;
    let mut last_frame_us = None;
    let started = tokio::time::Instant::now();
    let mut stall = match reading {
        Reading::Steady => None,
        Reading::Stalls { after, pause } => Some((started + after, pause)),
    };
    let mut next_chat = chatting.map(|c| (c, c.first_us));
    loop {
        if let Some((at, pause)) = stall
            && tokio::time::Instant::now() >= at
        {
            stall = None;
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = stop.cancelled() => break,
            }
        }
        let chat_due = next_chat.map(|(_, due_us)| clock.instant_at(due_us));
        let incoming = tokio::select! {
            () = stop.cancelled() => break,
            () = sleep_until_some(chat_due) => {
                let (chatting, due_us) = next_chat.as_mut().expect("a chat was due");
                let sent = send_chat(&mut connection, chatting.client, report.chat_sent, clock).await;
                if let Err(error) = sent {
                    report.problem = Some(format!("chat: {error}"));
                    break;
                }
                report.chat_sent += 1;
                *due_us += u64::try_from(chatting.every.as_micros()).unwrap_or(u64::MAX);
                if *due_us >= chatting.window.end_us {
                    next_chat = None;
                }
                continue;
            }
            incoming = connection.next() => incoming,
        };
        let now_us = clock.now_us();
        match incoming {
            Incoming::Frame(frame) => {
                report.first_frame_us.get_or_insert(now_us);
                if let Some(last_us) = last_frame_us.replace(now_us)
                    && report.recovery.is_none()
                    && now_us.saturating_sub(last_us) >= micros(QUIET)
                {
                    report.recovery = Some(Recovery {
                        quiet_from_us: last_us,
                        quiet_until_us: now_us,
                        late_frames: 0,
                        late_captured_until_us: None,
                        current_at_us: None,
                    });
                }
                match FrameHeader::decode(&frame) {
                    Ok((header, payload_at))
                        if header.sequence > last_sequence
                            && frame[payload_at..] == expected.jpeg[..] =>
                    {
                        last_sequence = header.sequence;
                        let captured_us = Clock::moment_of(header.capture_time);
                        if let Some(recovery) = &mut report.recovery {
                            recovery.frame(captured_us, now_us);
                        }
                        let window = expected.window.get();
                        if window.is_some_and(|w| w.contains(captured_us)) {
                            report.frames += 1;
                            report.bytes += frame.len() as u64;
                            report
                                .latency
                                .saturating_record(now_us.saturating_sub(captured_us));
                        }
                    }
                    _ => report.bad_frames += 1,
                }
            }
            Incoming::Chat(line) => {
                report.chat_seen.insert(line.seq);
                if let Some(sent_us) = line
                    .text
                    .strip_prefix("sent ")
                    .and_then(|t| t.parse::<u64>().ok())
                {
                    report
                        .chat_latency
                        .saturating_record(now_us.saturating_sub(sent_us));
                }
            }
            Incoming::Other => {}
            Incoming::Error(error) => {
                report.problem.get_or_insert(error);
            }
            Incoming::Closed(reason) => {
                report.problem.get_or_insert(reason);
                return report;
            }
        }
    }
    connection.close().await;
    report
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

async fn sleep_until_some(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn send_chat(
    connection: &mut Connection,
    client: usize,
    number: u64,
    clock: Clock,
) -> anyhow::Result<()> {
    let message = ClientMessage::Chat {
        id: format!("bench-{client}-{number:06}"),
        text: format!("sent {}", clock.now_us()),
        thread: None,
    };
    connection.send_json(&message).await
}
