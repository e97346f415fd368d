//! What a viewer's writer takes the room's video from: the newest JPEG frame, or the chunks
//! of a layered stream its gate chooses.

use crate::infra::metrics::Metrics;
use crate::relay::chunk_channel::{ChunkSlot, ChunkToSend};
use crate::relay::frame_slot::{FrameSlot, RelayedFrame};

/// A viewer's feed; dropping it leaves the room's fan-out.
#[derive(Debug)]
pub enum VideoFeed {
    Jpeg(FrameSlot),
    Chunks(ChunkSlot),
}

/// The next thing to send.
#[derive(Debug)]
pub enum VideoItem {
    /// A frame, and how many newer ones replaced others before this viewer was ready.
    Frame(RelayedFrame, u64),
    Chunk(ChunkToSend),
}

impl VideoFeed {
    /// Waits for what to send next; `None` once the room is gone.
    pub async fn next(&mut self, metrics: &Metrics) -> Option<VideoItem> {
        match self {
            Self::Jpeg(slot) => slot
                .next()
                .await
                .map(|(frame, skipped)| VideoItem::Frame(frame, skipped)),
            Self::Chunks(slot) => slot.next(metrics).await.map(VideoItem::Chunk),
        }
    }

    /// The number of the JPEG frame in the slot, if any (see `SocketTurn::park`).
    pub fn newest_frame(&self) -> Option<u64> {
        match self {
            Self::Jpeg(slot) => slot.newest(),
            Self::Chunks(_) => None,
        }
    }

    /// Whether chunks came that the writer must decide about before it parks.
    pub fn has_undecided(&self) -> bool {
        match self {
            Self::Jpeg(_) => false,
            Self::Chunks(slot) => slot.has_undecided(),
        }
    }
}
