//! A connection's queue of control messages (chat, errors) for its writer task, and its
//! presence slot.
//!
//! The queue is bounded: a client that stops reading its chat and state messages is evicted
//! rather than allowed to grow server memory. Presence is latest-wins, like video: each
//! change replaces the one not sent yet, so 300 viewers joining at once cost each member a
//! few presence messages, not 300, and never fill the queue (the writer sends one at most
//! every so often, but a change of the camera's state at once). Video never goes through
//! here (see `hub`), but whatever goes through here takes the socket's turn back from the
//! room's fan-out first (see `socket_turn`), so it is never overtaken by a later frame.
//!
//! A refusal that a flood of messages provokes, once per message over the limit, is a
//! notice: at most one waits at a time, so that a client that reads everything is never
//! evicted for a burst (each refusal would take a place in the queue).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use nido_shared::{CameraStatus, CloseCode, ServerMessage, SocketError};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

use crate::relay::socket_turn::SocketTurn;
use crate::relay::video_feed::VideoFeed;
use crate::relay::websocket::DirectSocket;

/// How many control messages may wait for one slow client before it is evicted.
pub const OUTBOX_CAPACITY: usize = 256;

/// What a connection's writer task is asked to do, in order.
#[derive(Debug)]
pub enum Outgoing {
    /// A JSON message, serialised once and shared by every recipient.
    Text(Utf8Bytes),
    /// Send the room's video from this feed instead of any before; none: no video at all.
    WatchFrames(Option<VideoFeed>),
    /// A notice, of which at most one waits at a time.
    Notice(Notice),
    /// Send a close frame with this code and reason, then stop.
    Close(CloseCode, &'static str),
}

/// A message of which the queue holds at most one at a time (see [`Outbox::push_notice`]).
#[derive(Debug)]
pub struct Notice {
    text: Utf8Bytes,
    waiting: Arc<AtomicBool>,
}

impl Notice {
    /// The message, to send now; from here on, the next notice may be queued.
    pub fn take(self) -> Utf8Bytes {
        self.waiting.store(false, Ordering::Release);
        self.text
    }
}

/// The sending side of a connection's queue, held by the hub and by the connection itself.
#[derive(Debug, Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Outgoing>,
    presence: Arc<watch::Sender<Option<PresenceUpdate>>>,
    evicted: CancellationToken,
    turn: Arc<SocketTurn>,
    /// Whether a notice is queued and not taken yet.
    notice_waiting: Arc<AtomicBool>,
}

/// A presence message as serialised, and the camera's state it tells.
#[derive(Debug, Clone)]
pub struct PresenceUpdate {
    pub text: Utf8Bytes,
    pub camera: CameraStatus,
}

/// The writer's side: the queue, the newest presence, the eviction signal and the socket's
/// turn.
pub struct OutboxReceiver {
    pub queue: mpsc::Receiver<Outgoing>,
    pub presence: watch::Receiver<Option<PresenceUpdate>>,
    pub evicted: CancellationToken,
    pub turn: Arc<SocketTurn>,
}

impl Outbox {
    /// A connection's outbox; `shutdown` also fires its `evicted` token, so that its writer
    /// waits on one token for both. `direct` is the connection's plain socket, which the
    /// fan-out of the room it watches may write frames to.
    pub fn new(
        shutdown: &CancellationToken,
        direct: Option<DirectSocket>,
    ) -> (Self, OutboxReceiver) {
        let (queue, receiver) = mpsc::channel(OUTBOX_CAPACITY);
        let (presence, presence_receiver) = watch::channel(None);
        let evicted = shutdown.child_token();
        let turn = SocketTurn::new(direct);
        (
            Self {
                queue,
                presence: Arc::new(presence),
                evicted: evicted.clone(),
                turn: Arc::clone(&turn),
                notice_waiting: Arc::default(),
            },
            OutboxReceiver {
                queue: receiver,
                presence: presence_receiver,
                evicted,
                turn,
            },
        )
    }

    /// The connection's turn, for the fan-out of the room it watches.
    pub fn turn(&self) -> Arc<SocketTurn> {
        Arc::clone(&self.turn)
    }

    /// Replaces the presence message not sent yet, if any. A change of the camera's state
    /// takes the socket's turn back, so that no frame goes before the "live" that allows it;
    /// any other change (who is watching) waits for the writer, which sends at most one every
    /// so often, and holds no video back meanwhile.
    pub fn set_presence(&self, update: &PresenceUpdate) {
        let before = self.presence.send_replace(Some(update.clone()));
        if before.is_none_or(|before| before.camera != update.camera) {
            self.turn.claim_for_writer();
        }
    }

    /// Queues without waiting; a full queue means the client cannot keep up, so it is evicted.
    ///
    /// Queued first, then the turn claimed: a writer that parks in between sees the queue
    /// is not empty (see `SocketTurn::park`), and one that parked before loses the turn.
    pub fn push(&self, outgoing: Outgoing) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(outgoing) {
            self.evicted.cancel();
        }
        self.turn.claim_for_writer();
    }

    pub fn push_text(&self, text: &Utf8Bytes) {
        self.push(Outgoing::Text(text.clone()));
    }

    pub fn push_message(&self, message: &ServerMessage) {
        self.push(Outgoing::Text(serialize(message)));
    }

    /// A refusal that stays open, unless one is still waiting to be sent: then this one is
    /// dropped, as the client has yet to hear the same.
    pub fn push_notice(&self, error: &SocketError) {
        debug_assert!(error.close.is_none(), "a notice never closes");
        if self.notice_waiting.swap(true, Ordering::AcqRel) {
            return;
        }
        self.push(Outgoing::Notice(Notice {
            text: serialize(&ServerMessage::Error(error.clone())),
            waiting: Arc::clone(&self.notice_waiting),
        }));
    }

    /// An error message, followed by the close frame it announces, if any.
    pub fn push_error(&self, error: SocketError) {
        let (code, close) = (error.code, error.close);
        self.push_message(&ServerMessage::Error(error));
        if let Some(close) = close {
            self.push(Outgoing::Close(close, code.as_str()));
        }
    }
}

/// Serialises a server message once, to be shared by every recipient.
pub fn serialize(message: &ServerMessage) -> Utf8Bytes {
    // Serialising these plain data types cannot fail: no maps with non-string keys, no
    // custom Serialize impls that error.
    serde_json::to_string(message)
        .expect("server messages always serialise")
        .into()
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;
    use crate::relay::websocket::SharedBinary;
    use nido_shared::ErrorCode;

    fn presence(camera: CameraStatus, text: &'static str) -> PresenceUpdate {
        PresenceUpdate {
            text: Utf8Bytes::from_static(text),
            camera,
        }
    }

    /// Whether the fan-out may still write to the connection: if so, its offer (on a
    /// connection without a plain socket) hands the turn back and wakes the writer.
    fn fan_out_may_write(turn: &SocketTurn) -> bool {
        let _ = turn.offer(1, &SharedBinary::new(b"frame"), 1_000, || true);
        turn.handed_back().now_or_never().is_some()
    }

    #[test]
    fn at_most_one_notice_waits_and_the_next_may_follow_once_it_is_taken() {
        let (outbox, mut received) = Outbox::new(&CancellationToken::new(), None);
        let flood = SocketError::new(ErrorCode::RateLimited, "too many");
        for _ in 0..(2 * OUTBOX_CAPACITY) {
            outbox.push_notice(&flood);
        }
        assert!(!received.evicted.is_cancelled());
        let Ok(Outgoing::Notice(notice)) = received.queue.try_recv() else {
            panic!("a notice is queued");
        };
        assert!(received.queue.try_recv().is_err(), "only one");
        assert!(notice.take().as_str().contains("rate_limited"));
        outbox.push_notice(&flood);
        assert!(matches!(received.queue.try_recv(), Ok(Outgoing::Notice(_))));
    }

    #[test]
    fn only_a_change_of_the_camera_state_takes_the_socket_back_from_the_fan_out() {
        let (outbox, received) = Outbox::new(&CancellationToken::new(), None);
        outbox.set_presence(&presence(CameraStatus::Live, "live, 1 watching"));
        assert!(received.turn.park(None, || false));
        // Viewers coming and going: the writer sends it when its time comes, and video does
        // not wait for that (the quick benchmark lost 5 % of frames when it did).
        outbox.set_presence(&presence(CameraStatus::Live, "live, 2 watching"));
        assert!(fan_out_may_write(&received.turn));
        assert!(received.turn.park(None, || false));
        outbox.set_presence(&presence(CameraStatus::Paused, "paused"));
        assert!(!fan_out_may_write(&received.turn));
        assert!(received.turn.park(None, || false));
        outbox.push_text(&Utf8Bytes::from_static("a chat message"));
        assert!(!fan_out_may_write(&received.turn));
    }
}
