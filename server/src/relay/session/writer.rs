//! The writer task of a connection: it owns the sending half and sends, in order of
//! priority, close requests, control messages (chat, presence, errors), the newest video
//! frame and pings; a send that cannot finish gives way to shutdown and eviction.

use std::pin::Pin;
use std::time::Duration;

use nido_shared::{CameraStatus, ErrorCode};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at, timeout};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::{CLOSE_GOING_AWAY, CLOSE_GRACE, CLOSE_POLICY};
use crate::infra::metrics::Metrics;
use crate::relay::frame_slot::{FrameSlot, RelayedFrame};
use crate::relay::outbox::{Outgoing, PresenceUpdate};
use crate::relay::websocket::{FrameWriter, Outgoing as Frame};

/// At most one presence message per connection in this time: the newest goes, the ones it
/// replaced never do.
const PRESENCE_EVERY: Duration = Duration::from_millis(200);

/// What makes the writer stop whatever it is doing and close: shutdown, or eviction (whose
/// token shutdown also fires). The wait is made once and polled again on every round of the
/// writer, so a round does not register and unregister a waiter.
pub(super) struct Interrupts {
    fired: Pin<Box<WaitForCancellationFutureOwned>>,
    shutdown: CancellationToken,
}

impl Interrupts {
    pub(super) fn new(shutdown: &CancellationToken, evicted: CancellationToken) -> Self {
        Self {
            fired: Box::pin(evicted.cancelled_owned()),
            shutdown: shutdown.clone(),
        }
    }

    /// Resolves with the close to send once either has fired (and again at once after).
    async fn fired(&mut self) -> (u16, &'static str) {
        (&mut self.fired).await;
        if self.shutdown.is_cancelled() {
            (CLOSE_GOING_AWAY, ErrorCode::ShuttingDown.as_str())
        } else {
            (CLOSE_POLICY, ErrorCode::TooSlow.as_str())
        }
    }
}

enum WriterStep {
    Send(Frame),
    /// A video frame, and how many newer ones replaced others before this viewer was ready.
    Video(RelayedFrame, u64),
    Close(u16, &'static str),
    Stop,
}

pub(super) async fn write_loop(
    mut writer: FrameWriter,
    mut queue: mpsc::Receiver<Outgoing>,
    mut presence: watch::Receiver<Option<PresenceUpdate>>,
    mut interrupts: Interrupts,
    ping_every: Duration,
    metrics: Metrics,
    done: CancellationToken,
) {
    let _done = done.drop_guard();
    let mut frames: Option<FrameSlot> = None;
    let mut ping = interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_presence_at = Instant::now();
    let mut presence_pending = false;
    let mut camera_told = None;

    loop {
        let step = tokio::select! {
            biased;
            (code, reason) = interrupts.fired() => WriterStep::Close(code, reason),
            reply = writer.next_reply() => WriterStep::Send(Frame::Reply(reply)),
            outgoing = queue.recv() => match outgoing {
                Some(Outgoing::Text(text)) => WriterStep::Send(Frame::Text(text)),
                Some(Outgoing::WatchFrames(slot)) => {
                    frames = Some(slot);
                    continue;
                }
                Some(Outgoing::Close(code, reason)) => WriterStep::Close(code, reason),
                None => WriterStep::Stop,
            },
            update = newest_presence(
                &mut presence,
                &mut presence_pending,
                next_presence_at,
                camera_told,
            ) => {
                next_presence_at = Instant::now() + PRESENCE_EVERY;
                camera_told = Some(update.camera);
                WriterStep::Send(Frame::Text(update.text))
            }
            (frame, skipped) = next_frame(&mut frames) => WriterStep::Video(frame, skipped),
            _ = ping.tick() => WriterStep::Send(Frame::Ping),
        };
        match step {
            WriterStep::Send(message) => {
                let text_bytes = match &message {
                    Frame::Text(text) => text.len(),
                    _ => 0,
                };
                if !send_unless_interrupted(&mut writer, message, &mut interrupts).await {
                    return;
                }
                metrics.text_sent(text_bytes);
            }
            WriterStep::Video(frame, skipped) => {
                writer.fit_send_buffer(frame.bytes_per_second);
                let bytes = frame.message.payload().len();
                let message = Frame::Binary(frame.message);
                if !send_unless_interrupted(&mut writer, message, &mut interrupts).await {
                    return;
                }
                metrics.frame_sent(bytes, frame.received_at, skipped);
            }
            WriterStep::Close(code, reason) => {
                let _ = timeout(CLOSE_GRACE, writer.send(Frame::Close(code, reason))).await;
                return;
            }
            WriterStep::Stop => return,
        }
    }
}

/// Sends, unless shutdown or eviction comes first: a send to a client that stopped reading
/// can wait forever, and those must still get through. False when the connection is gone.
async fn send_unless_interrupted(
    writer: &mut FrameWriter,
    message: Frame,
    interrupts: &mut Interrupts,
) -> bool {
    tokio::select! {
        biased;
        sent = writer.send(message) => sent.is_ok(),
        _ = interrupts.fired() => true,
    }
}

/// The newest presence not sent yet: at once when it tells a camera state other than
/// `camera_told` (so no frame ever arrives before the "live" that allows it), else no sooner
/// than `not_before`; never resolves while there is none. `pending` remembers, across
/// cancellations, that a change was seen and not sent yet.
async fn newest_presence(
    presence: &mut watch::Receiver<Option<PresenceUpdate>>,
    pending: &mut bool,
    not_before: Instant,
    camera_told: Option<CameraStatus>,
) -> PresenceUpdate {
    loop {
        if !*pending {
            if presence.changed().await.is_err() {
                return std::future::pending().await;
            }
            *pending = true;
        }
        let camera_changed = presence
            .borrow()
            .as_ref()
            .is_some_and(|update| Some(update.camera) != camera_told);
        if camera_changed || Instant::now() >= not_before {
            *pending = false;
            if let Some(update) = presence.borrow_and_update().clone() {
                return update;
            }
            continue;
        }
        // Held: wake when it is time, or when a newer one may tell another camera state.
        tokio::select! {
            () = tokio::time::sleep_until(not_before) => {}
            changed = presence.changed() => {
                if changed.is_err() {
                    return std::future::pending().await;
                }
            }
        }
    }
}

/// The newest frame not yet sent; never resolves while there is nothing to watch.
async fn next_frame(slot: &mut Option<FrameSlot>) -> (RelayedFrame, u64) {
    loop {
        let Some(watching) = slot else {
            return std::future::pending().await;
        };
        match watching.next().await {
            Some(next) => return next,
            None => *slot = None,
        }
    }
}
