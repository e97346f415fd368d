//! A room's latest-frame slot: the newest frame as shared bytes, numbered and stamped with
//! when it arrived and how many bytes a second the room's video is running at, so that each
//! viewer's writer sends the newest one, counts the ones it skipped, and sizes its socket's
//! send buffer to about a second of video.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use crate::infra::mutex::lock;
use crate::relay::websocket::SharedBinary;

/// The span over which the video's byte rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(1);
/// The shortest span a rate is judged over, so that the first frames do not make it huge.
const SHORTEST_SPAN: Duration = Duration::from_millis(100);

/// A frame as relayed: the camera's message, unchanged, framed once and shared by every
/// viewer.
#[derive(Debug, Clone)]
pub struct RelayedFrame {
    pub message: SharedBinary,
    /// When the camera's message was read, for the time frames spend in the server.
    pub received_at: Instant,
    /// The bytes a second this channel has been publishing, up to this frame.
    pub bytes_per_second: usize,
    /// 1, 2, 3… in the order this channel published them.
    number: u64,
}

/// The publishing side: one per room and audience.
#[derive(Debug)]
pub struct FrameChannel {
    sender: watch::Sender<Option<RelayedFrame>>,
    published: AtomicU64,
    rate: Mutex<ByteRate>,
}

impl FrameChannel {
    pub fn new() -> Self {
        Self {
            sender: watch::Sender::new(None),
            published: AtomicU64::new(0),
            rate: Mutex::new(ByteRate::default()),
        }
    }

    /// Replaces the latest frame.
    pub fn publish(&self, message: SharedBinary, received_at: Instant) {
        let number = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes_per_second = lock(&self.rate).add(received_at, message.payload().len());
        self.sender.send_replace(Some(RelayedFrame {
            message,
            received_at,
            bytes_per_second,
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

/// The bytes published over the last [`RATE_WINDOW`]: the frames in it and their sum.
#[derive(Debug, Default)]
struct ByteRate {
    frames: VecDeque<(Instant, usize)>,
    bytes: usize,
}

impl ByteRate {
    /// Counts a frame of `len` bytes that arrived `at`, and returns the bytes a second the
    /// frames in the window make: those that came after the oldest, over the time since it
    /// (at least [`SHORTEST_SPAN`]), so that a young channel's rate is right at once.
    fn add(&mut self, at: Instant, len: usize) -> usize {
        while let Some(&(oldest_at, oldest_len)) = self.frames.front()
            && at.duration_since(oldest_at) >= RATE_WINDOW
        {
            self.frames.pop_front();
            self.bytes -= oldest_len;
        }
        self.frames.push_back((at, len));
        self.bytes += len;
        let (oldest_at, oldest_len) = self.frames[0];
        let (bytes, span) = match self.bytes - oldest_len {
            0 => (len, Duration::ZERO),
            after_oldest => (after_oldest, at.duration_since(oldest_at)),
        };
        let span = span.max(SHORTEST_SPAN);
        (bytes as f64 * RATE_WINDOW.as_secs_f64() / span.as_secs_f64()) as usize
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

    #[test]
    fn the_byte_rate_counts_the_last_second_only() {
        let mut rate = ByteRate::default();
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        // Alone, a frame is judged over the shortest span: 100 bytes in 100 ms.
        assert_eq!(rate.add(at(0), 100), 1_000);
        // Then what came after the first, over the time since it.
        assert_eq!(rate.add(at(500), 200), 400);
        assert_eq!(rate.add(at(800), 300), 625);
        // The first frame is a whole second old now, so it no longer counts.
        assert_eq!(rate.add(at(1_000), 400), 1_400);
        assert_eq!(rate.add(at(3_000), 50), 500);
    }
}
