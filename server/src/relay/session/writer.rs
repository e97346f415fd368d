//! The writer task of a connection: it owns the sending half and sends, in order of
//! priority, close requests, control messages (chat, presence, errors), the newest video
//! frame and pings; a send that cannot finish gives way to shutdown and eviction. With
//! nothing to send it parks, and the room's fan-out writes frames to its socket until
//! something wakes it (see `relay::socket_turn`).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use nido_shared::{CameraStatus, CloseCode, ErrorCode};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior, interval_at, timeout};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::CLOSE_GRACE;
use crate::infra::metrics::Metrics;
use crate::relay::outbox::{OutboxReceiver, Outgoing, PresenceUpdate};
use crate::relay::socket_turn::SocketTurn;
use crate::relay::video_feed::{VideoFeed, VideoItem};
use crate::relay::websocket::{FrameWriter, Outgoing as Frame};

/// At most one presence message per connection in this time: the newest goes, the ones it
/// replaced never do.
const PRESENCE_EVERY: Duration = Duration::from_millis(200);

/// What makes the writer stop whatever it is doing and close: shutdown, or eviction (whose
/// token shutdown also fires). The wait is made once and polled again on every round of the
/// writer, so a round does not register and unregister a waiter.
struct Interrupts {
    fired: Pin<Box<WaitForCancellationFutureOwned>>,
    shutdown: CancellationToken,
}

impl Interrupts {
    fn new(shutdown: CancellationToken, evicted: CancellationToken) -> Self {
        Self {
            fired: Box::pin(evicted.cancelled_owned()),
            shutdown,
        }
    }

    /// Resolves with the close to send once either has fired (and again at once after).
    async fn fired(&mut self) -> (CloseCode, &'static str) {
        (&mut self.fired).await;
        let why = if self.shutdown.is_cancelled() {
            ErrorCode::ShuttingDown
        } else {
            ErrorCode::TooSlow
        };
        (
            why.close_code().unwrap_or(CloseCode::GoingAway),
            why.as_str(),
        )
    }
}

enum WriterStep {
    Send(Frame),
    Watch(Option<VideoFeed>),
    Video(VideoItem),
    /// The fan-out gave the socket back: finish the frame it started, if any.
    Resume,
    /// Nothing to send: the fan-out may write frames until something wakes the writer.
    Park,
    Close(CloseCode, &'static str),
    Stop,
}

/// Lets go of the socket's turn when the writer stops, so that the fan-out never writes to
/// it again and the socket is released with the writer.
struct Retire(Arc<SocketTurn>);

impl Drop for Retire {
    fn drop(&mut self) {
        self.0.retire();
    }
}

pub(super) async fn write_loop(
    mut writer: FrameWriter,
    received: OutboxReceiver,
    shutdown: CancellationToken,
    ping_every: Duration,
    metrics: Metrics,
    done: CancellationToken,
) {
    let _done = done.drop_guard();
    let OutboxReceiver {
        mut queue,
        mut presence,
        evicted,
        turn,
    } = received;
    let mut interrupts = Interrupts::new(shutdown, evicted);
    let turn = Retire(turn);
    let turn = &turn.0;
    let mut parked = false;
    let mut video: Option<VideoFeed> = None;
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
                Some(Outgoing::Notice(notice)) => WriterStep::Send(Frame::Text(notice.take())),
                Some(Outgoing::WatchFrames(slot)) => WriterStep::Watch(slot),
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
            item = next_video(&mut video, &metrics), if !parked => WriterStep::Video(item),
            () = turn.handed_back(), if parked => WriterStep::Resume,
            _ = ping.tick() => WriterStep::Send(Frame::Ping),
            // Polled last: everything above is waiting.
            () = std::future::ready(()), if !parked => WriterStep::Park,
        };
        if parked {
            // Woken: the socket is the writer's again, with what the fan-out left of a frame.
            parked = false;
            if let Some(rest) = turn.take() {
                writer.resume(rest);
            }
        }
        match step {
            WriterStep::Park => {
                let newest = video.as_ref().and_then(VideoFeed::newest_frame);
                parked = turn.park(newest, || {
                    !queue.is_empty()
                        || presence.has_changed().unwrap_or(false)
                        || video.as_ref().is_some_and(VideoFeed::has_undecided)
                });
                if !parked {
                    // Round again, but as a good neighbour: a wake-up that never settles
                    // would otherwise hold a runtime thread, and with it every connection
                    // of the node, for ever.
                    tokio::task::coop::consume_budget().await;
                }
            }
            WriterStep::Resume => {
                if !until_interrupted(writer.finish_unsent(), &mut interrupts).await {
                    return;
                }
            }
            WriterStep::Watch(feed) => video = feed,
            WriterStep::Send(message) => {
                let text_bytes = match &message {
                    Frame::Text(text) => text.len(),
                    _ => 0,
                };
                if !until_interrupted(writer.send(message), &mut interrupts).await {
                    return;
                }
                metrics.text_sent(text_bytes);
            }
            WriterStep::Video(VideoItem::Frame(frame, skipped)) => {
                turn.fit_send_buffer(writer.socket(), frame.bytes_per_second);
                let bytes = frame.message.payload().len();
                let message = Frame::Binary(frame.message);
                if !until_interrupted(writer.send(message), &mut interrupts).await {
                    return;
                }
                metrics.frame_sent(bytes, frame.received_at);
                metrics.frames_skipped(skipped);
            }
            WriterStep::Video(VideoItem::Chunk(next)) => {
                turn.fit_send_buffer(writer.socket(), next.bytes_per_second);
                let chunk = next.chunk;
                let bytes = chunk.message.payload().len();
                for message in next.config.into_iter().chain([chunk.message.clone()]) {
                    if !until_interrupted(writer.send(Frame::Binary(message)), &mut interrupts)
                        .await
                    {
                        return;
                    }
                }
                metrics.chunk_sent(chunk.codec, chunk.layer(), bytes, chunk.received_at);
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
async fn until_interrupted(
    sending: impl Future<Output = std::io::Result<()>>,
    interrupts: &mut Interrupts,
) -> bool {
    tokio::select! {
        biased;
        sent = sending => sent.is_ok(),
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

/// What to send next of the video; never resolves while there is nothing to watch.
async fn next_video(feed: &mut Option<VideoFeed>, metrics: &Metrics) -> VideoItem {
    loop {
        let Some(watching) = feed else {
            return std::future::pending().await;
        };
        match watching.next(metrics).await {
            Some(next) => return next,
            None => *feed = None,
        }
    }
}
