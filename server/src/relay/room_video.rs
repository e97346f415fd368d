//! A room's video on this node: for each audience (staff see the camera at any hour,
//! families only during viewing hours) a JPEG frame slot and a layered stream of chunks, the
//! publication of each validated frame into them, and the feed each viewer watches.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use bytes::Bytes;
use nido_shared::{FrameHeader, FrameKind};
use tokio::time::Instant;

use crate::infra::metrics::Metrics;
use crate::relay::chunk_channel::{ChunkChannel, ChunkFanOut};
use crate::relay::frame_slot::{FanOut, FrameChannel};
use crate::relay::socket_turn::SocketTurn;
use crate::relay::video_feed::VideoFeed;
use crate::relay::websocket::SharedBinary;

/// Which of the room's two forms of video a viewer watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    Jpeg,
    Chunks,
}

#[derive(Debug)]
struct AudienceVideo {
    frames: FrameChannel,
    chunks: ChunkChannel,
}

/// Staff's and families' video of one room.
#[derive(Debug)]
pub struct RoomVideo {
    staff: AudienceVideo,
    /// Filled only during viewing hours.
    families: AudienceVideo,
}

/// The fan-outs of one published frame, to run once the room's lock is released.
#[must_use = "the frame reaches parked viewers only when the fan-outs run"]
pub struct Publication<'a> {
    fan_outs: Vec<AnyFanOut<'a>>,
}

enum AnyFanOut<'a> {
    Frame(FanOut<'a>),
    Chunk(ChunkFanOut<'a>),
}

impl AudienceVideo {
    fn new() -> Self {
        Self {
            frames: FrameChannel::new(),
            chunks: ChunkChannel::new(),
        }
    }

    fn publish(
        &self,
        header: &FrameHeader,
        message: SharedBinary,
        received_at: Instant,
    ) -> Option<AnyFanOut<'_>> {
        match header.kind {
            FrameKind::Jpeg => Some(AnyFanOut::Frame(self.frames.publish(message, received_at))),
            FrameKind::Chunk(info) => self
                .chunks
                .publish(message, info, header.sequence, received_at)
                .map(AnyFanOut::Chunk),
            FrameKind::DecoderConfig { .. } => {
                self.chunks.publish_config(message);
                None
            }
        }
    }

    fn clear(&self) {
        self.frames.clear();
        self.chunks.clear();
    }
}

impl RoomVideo {
    pub fn new() -> Self {
        Self {
            staff: AudienceVideo::new(),
            families: AudienceVideo::new(),
        }
    }

    /// Publishes a validated frame (`header` read from `frame`) to staff and, when
    /// `to_families`, to families; framed once for both. A decoder configuration is kept for
    /// families at any hour, so that their stream can start the moment the room opens.
    pub fn publish(
        &self,
        header: &FrameHeader,
        frame: &Bytes,
        received_at: Instant,
        to_families: bool,
    ) -> Publication<'_> {
        let message = SharedBinary::new(frame);
        let is_config = matches!(header.kind, FrameKind::DecoderConfig { .. });
        let families = (to_families || is_config)
            .then(|| self.families.publish(header, message.clone(), received_at))
            .flatten();
        let staff = self.staff.publish(header, message, received_at);
        Publication {
            fan_outs: staff.into_iter().chain(families).collect(),
        }
    }

    /// Everyone's picture goes: the camera is off or paused.
    pub fn clear(&self) {
        self.staff.clear();
        self.families.clear();
    }

    /// Families' picture goes: the room closed to them.
    pub fn clear_families(&self) {
        self.families.clear();
    }

    /// A viewer's feed of the room's video, in the form it reads.
    pub fn watch(
        &self,
        families: bool,
        feed: Feed,
        turn: Arc<SocketTurn>,
        data_saver: Arc<AtomicBool>,
    ) -> VideoFeed {
        let audience = if families {
            &self.families
        } else {
            &self.staff
        };
        match feed {
            Feed::Jpeg => VideoFeed::Jpeg(audience.frames.watch(turn)),
            Feed::Chunks => VideoFeed::Chunks(audience.chunks.watch(turn, data_saver)),
        }
    }

    /// A viewer on another node waits for a keyframe from this node's camera.
    pub fn want_keyframe(&self) {
        self.families.chunks.want_keyframe();
    }

    /// Whether a viewer waits for a keyframe that will not come by itself.
    pub fn take_keyframe_wanted(&self) -> bool {
        // Both asked: each flag is cleared by the asking.
        let staff = self.staff.chunks.take_keyframe_wanted();
        self.families.chunks.take_keyframe_wanted() || staff
    }
}

impl Publication<'_> {
    pub fn run(self, metrics: &Metrics) {
        for fan_out in self.fan_outs {
            match fan_out {
                AnyFanOut::Frame(fan_out) => fan_out.run(metrics),
                AnyFanOut::Chunk(fan_out) => fan_out.run(metrics),
            }
        }
    }
}
