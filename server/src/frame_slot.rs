//! A room's latest-frame slot: the newest frame as shared bytes, numbered and stamped with
//! when it arrived, so that each viewer's writer sends the newest one and can count the
//! ones it skipped.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::websocket::SharedBinary;

/// A frame as relayed: the camera's message, unchanged, framed once and shared by every
/// viewer.
#[derive(Debug, Clone)]
pub struct RelayedFrame {
    pub message: SharedBinary,
    /// When the camera's message was read, for the time frames spend in the server.
    pub received_at: Instant,
    /// 1, 2, 3… in the order this channel published them.
    number: u64,
}

/// The publishing side: one per room and audience.
#[derive(Debug)]
pub struct FrameChannel {
    sender: watch::Sender<Option<RelayedFrame>>,
    published: AtomicU64,
}

impl FrameChannel {
    pub fn new() -> Self {
        Self {
            sender: watch::Sender::new(None),
            published: AtomicU64::new(0),
        }
    }

    /// Replaces the latest frame.
    pub fn publish(&self, message: SharedBinary, received_at: Instant) {
        let number = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        self.sender.send_replace(Some(RelayedFrame {
            message,
            received_at,
            number,
        }));
    }

    /// Empties the slot: the camera is off, paused or closed to this audience.
    pub fn clear(&self) {
        self.sender.send_replace(None);
    }

    /// A new viewer's slot, which yields the current frame first if there is one.
    pub fn watch(&self) -> FrameSlot {
        let mut receiver = self.sender.subscribe();
        receiver.mark_changed();
        FrameSlot {
            receiver,
            last_number: None,
        }
    }
}

/// One viewer's view of a channel.
#[derive(Debug)]
pub struct FrameSlot {
    receiver: watch::Receiver<Option<RelayedFrame>>,
    last_number: Option<u64>,
}

impl FrameSlot {
    /// Waits for a frame newer than the last one taken, and says how many newer ones were
    /// replaced before this viewer was ready; `None` once the room is gone.
    pub async fn next(&mut self) -> Option<(RelayedFrame, u64)> {
        loop {
            self.receiver.changed().await.ok()?;
            let Some(frame) = self.receiver.borrow_and_update().clone() else {
                continue;
            };
            let skipped = self
                .last_number
                .map_or(0, |last| frame.number.saturating_sub(last + 1));
            self.last_number = Some(frame.number);
            return Some((frame, skipped));
        }
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn frame(bytes: &'static [u8]) -> SharedBinary {
        SharedBinary::new(Bytes::from_static(bytes))
    }

    #[tokio::test]
    async fn a_slow_viewer_gets_the_newest_frame_and_counts_the_rest() {
        let channel = FrameChannel::new();
        channel.publish(frame(b"1"), Instant::now());
        let mut slot = channel.watch();
        let (first, skipped) = slot.next().await.unwrap();
        assert_eq!((first.message.payload().as_ref(), skipped), (&b"1"[..], 0));
        for number in [b"2", b"3", b"4"] {
            channel.publish(frame(number), Instant::now());
        }
        let (newest, skipped) = slot.next().await.unwrap();
        assert_eq!((newest.message.payload().as_ref(), skipped), (&b"4"[..], 2));
        channel.clear();
        channel.publish(frame(b"5"), Instant::now());
        let (next, skipped) = slot.next().await.unwrap();
        assert_eq!((next.message.payload().as_ref(), skipped), (&b"5"[..], 0));
    }
}
