//! A connection's queue of control messages (chat, presence, errors) for its writer task.
//!
//! The queue is bounded: a client that stops reading its chat and state messages is evicted
//! rather than allowed to grow server memory. Video never goes through here (see `hub`).

use nido_shared::{ErrorCode, ServerMessage};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_util::sync::CancellationToken;

use crate::frame_slot::FrameSlot;

/// How many control messages may wait for one slow client before it is evicted.
pub const OUTBOX_CAPACITY: usize = 256;

/// What a connection's writer task is asked to do, in order.
#[derive(Debug)]
pub enum Outgoing {
    /// A JSON message, serialised once and shared by every recipient.
    Text(Utf8Bytes),
    /// Start sending the room's frames, latest first.
    WatchFrames(FrameSlot),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, &'static str),
}

/// The sending side of a connection's queue, held by the hub and by the connection itself.
#[derive(Debug, Clone)]
pub struct Outbox {
    queue: mpsc::Sender<Outgoing>,
    evicted: CancellationToken,
}

impl Outbox {
    pub fn new() -> (Self, mpsc::Receiver<Outgoing>, CancellationToken) {
        let (queue, receiver) = mpsc::channel(OUTBOX_CAPACITY);
        let evicted = CancellationToken::new();
        (
            Self {
                queue,
                evicted: evicted.clone(),
            },
            receiver,
            evicted,
        )
    }

    /// Queues without waiting; a full queue means the client cannot keep up, so it is evicted.
    pub fn push(&self, outgoing: Outgoing) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.queue.try_send(outgoing) {
            self.evicted.cancel();
        }
    }

    pub fn push_text(&self, text: &Utf8Bytes) {
        self.push(Outgoing::Text(text.clone()));
    }

    pub fn push_message(&self, message: &ServerMessage) {
        self.push(Outgoing::Text(serialize(message)));
    }

    /// An error message, followed by a close frame when `close_code` is given.
    pub fn push_error(&self, code: ErrorCode, message: impl Into<String>, close_code: Option<u16>) {
        self.push_message(&ServerMessage::Error {
            code,
            message: message.into(),
            chat_id: None,
        });
        if let Some(close_code) = close_code {
            self.push(Outgoing::Close(close_code, code.as_str()));
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
