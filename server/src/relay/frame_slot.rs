//! A room's latest-frame slot and its fan-out: the newest frame as shared bytes, numbered
//! and stamped with when it arrived and how many bytes a second the room's video is running
//! at, so that each viewer gets the newest one, counts the ones it skipped, and sizes its
//! socket's send buffer to about a second of video.
//!
//! Publishing a frame offers it to every viewer whose writer is parked (see `socket_turn`),
//! which mostly takes it on the spot; the others' writers take the newest frame from the
//! slot when their sockets are ready. The offer is also where a viewer's skips are counted:
//! a frame not sent to it by the time a newer one replaces it is one it will never get,
//! whether or not it ever reads again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::watch;
use tokio::time::Instant;

use crate::infra::metrics::Metrics;
use crate::infra::mutex::lock;
use crate::relay::byte_rate::ByteRate;
use crate::relay::socket_turn::SocketTurn;
use crate::relay::websocket::SharedBinary;

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
    /// The number of the frame in the slot; 0 while it is empty.
    current: AtomicU64,
    rate: Mutex<ByteRate>,
    viewers: Arc<Viewers>,
}

/// The turns of the viewers watching a channel, copied on change so that a fan-out walks
/// them without holding a lock that joins wait on.
#[derive(Debug, Default)]
struct Viewers {
    turns: Mutex<Arc<[Arc<SocketTurn>]>>,
}

impl FrameChannel {
    pub fn new() -> Self {
        Self {
            sender: watch::Sender::new(None),
            published: AtomicU64::new(0),
            current: AtomicU64::new(0),
            rate: Mutex::new(ByteRate::default()),
            viewers: Arc::default(),
        }
    }

    /// Replaces the latest frame. The fan-out it returns is to be run once the room's lock
    /// is released: it writes to many sockets.
    #[must_use = "the frame reaches parked viewers only when the fan-out runs"]
    pub fn publish(&self, message: SharedBinary, received_at: Instant) -> FanOut<'_> {
        let number = self.published.fetch_add(1, Ordering::Relaxed) + 1;
        let bytes_per_second = lock(&self.rate).add(received_at, message.payload().len());
        let frame = RelayedFrame {
            message,
            received_at,
            bytes_per_second,
            number,
        };
        self.sender.send_replace(Some(frame.clone()));
        self.current.store(number, Ordering::SeqCst);
        FanOut {
            channel: self,
            frame,
            viewers: Arc::clone(&lock(&self.viewers.turns)),
        }
    }

    /// Empties the slot: the camera is off, paused or closed to this audience. A fan-out
    /// still under way writes nothing more once this returns.
    pub fn clear(&self) {
        self.current.store(0, Ordering::SeqCst);
        self.sender.send_replace(None);
    }

    /// A new viewer's slot, which yields the current frame first if there is one; `turn` is
    /// that viewer's, for the fan-out.
    pub fn watch(&self, turn: Arc<SocketTurn>) -> FrameSlot {
        let mut receiver = self.sender.subscribe();
        receiver.mark_changed();
        self.viewers.change(|turns| turns.push(Arc::clone(&turn)));
        FrameSlot {
            receiver,
            turn,
            viewers: Arc::clone(&self.viewers),
        }
    }
}

impl Viewers {
    fn change(&self, change: impl FnOnce(&mut Vec<Arc<SocketTurn>>)) {
        let mut turns = lock(&self.turns);
        let mut changed = turns.to_vec();
        change(&mut changed);
        *turns = changed.into();
    }
}

/// A published frame on its way to the viewers whose writers are parked.
pub struct FanOut<'a> {
    channel: &'a FrameChannel,
    frame: RelayedFrame,
    viewers: Arc<[Arc<SocketTurn>]>,
}

impl FanOut<'_> {
    /// Offers the frame to every viewer in turn; none waits for another's socket.
    pub fn run(self, metrics: &Metrics) {
        let frame = &self.frame;
        let bytes = frame.message.payload().len();
        let still_current = || self.channel.current.load(Ordering::SeqCst) == frame.number;
        let mut missed = 0;
        for turn in self.viewers.iter() {
            let offered = turn.offer(
                frame.number,
                &frame.message,
                frame.bytes_per_second,
                still_current,
            );
            missed += offered.missed;
            if offered.written {
                metrics.frame_sent(bytes, frame.received_at);
            }
        }
        metrics.frames_skipped(missed);
    }
}

/// One viewer's view of a channel; dropping it leaves the fan-out.
#[derive(Debug)]
pub struct FrameSlot {
    receiver: watch::Receiver<Option<RelayedFrame>>,
    turn: Arc<SocketTurn>,
    viewers: Arc<Viewers>,
}

impl FrameSlot {
    /// Waits for a frame newer than the last one sent (by the writer or the fan-out), and
    /// says how many were skipped before this viewer was ready; `None` once the room is gone.
    pub async fn next(&mut self) -> Option<(RelayedFrame, u64)> {
        loop {
            self.receiver.changed().await.ok()?;
            let Some(frame) = self.receiver.borrow_and_update().clone() else {
                continue;
            };
            if let Some(skipped) = self.turn.take_frame(frame.number) {
                return Some((frame, skipped));
            }
        }
    }

    /// The number of the frame in the slot, if any.
    pub fn newest(&self) -> Option<u64> {
        self.receiver.borrow().as_ref().map(|frame| frame.number)
    }
}

impl Drop for FrameSlot {
    fn drop(&mut self) {
        self.viewers
            .change(|turns| turns.retain(|turn| !Arc::ptr_eq(turn, &self.turn)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(bytes: &'static [u8]) -> SharedBinary {
        SharedBinary::new(bytes)
    }

    #[tokio::test]
    async fn a_slow_viewer_gets_the_newest_frame_and_counts_the_rest() {
        let channel = FrameChannel::new();
        let _ = channel.publish(frame(b"1"), Instant::now());
        // A connection without a plain socket: its writer sends every frame itself.
        let mut slot = channel.watch(SocketTurn::new(None));
        let (first, skipped) = slot.next().await.unwrap();
        assert_eq!((first.message.payload(), skipped), (&b"1"[..], 0));
        for number in [b"2", b"3", b"4"] {
            let _ = channel.publish(frame(number), Instant::now());
        }
        let (newest, skipped) = slot.next().await.unwrap();
        assert_eq!((newest.message.payload(), skipped), (&b"4"[..], 2));
        channel.clear();
        let _ = channel.publish(frame(b"5"), Instant::now());
        let (next, skipped) = slot.next().await.unwrap();
        assert_eq!((next.message.payload(), skipped), (&b"5"[..], 0));
    }
}
