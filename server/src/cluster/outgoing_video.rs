//! This node's camera video waiting to be published to the other nodes: JPEG frames are
//! latest-frame-wins (a newer one replaces one not yet sent), chunks of a layered stream wait
//! in order, since each depends on the ones before it, until a newer keyframe makes them
//! useless. Nothing waits without bound: when
//! chunks pile up or one could not be published, the rest of its keyframe group is dropped
//! and publishing resumes at the next keyframe, which goes out with the decoder
//! configuration so that a node that missed it can decode from there.

use std::collections::VecDeque;

use bytes::Bytes;
use nido_shared::{FrameHeader, FrameKind};

/// The most messages waiting for NATS (about 1.5 s of a 10 fps camera's chunks and JPEG).
const MAX_WAITING: usize = 32;

/// A frame of this node's camera, waiting for the uplink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingFrame {
    pub epoch: u64,
    pub bytes: Bytes,
    is_jpeg: bool,
}

#[derive(Debug, Default)]
pub struct OutgoingVideo {
    waiting: VecDeque<OutgoingFrame>,
    /// The camera's newest decoder configuration, sent again before each keyframe.
    config: Option<Bytes>,
    /// Chunks are dropped until the next keyframe.
    broken: bool,
}

impl OutgoingVideo {
    /// Queues a validated frame (`header` read from `bytes`) of the camera's seat `epoch`.
    pub fn push(&mut self, epoch: u64, header: &FrameHeader, bytes: Bytes) {
        let frame = |bytes, is_jpeg| OutgoingFrame {
            epoch,
            bytes,
            is_jpeg,
        };
        match header.kind {
            FrameKind::Jpeg => {
                self.waiting.retain(|waiting| !waiting.is_jpeg);
                self.waiting.push_back(frame(bytes, true));
            }
            FrameKind::DecoderConfig { .. } => self.config = Some(bytes),
            FrameKind::Chunk(chunk) if chunk.key => {
                self.waiting.retain(|waiting| waiting.is_jpeg);
                self.broken = false;
                if let Some(config) = self.config.clone() {
                    self.waiting.push_back(frame(config, false));
                }
                self.waiting.push_back(frame(bytes, false));
            }
            FrameKind::Chunk(_) if self.broken => {}
            FrameKind::Chunk(_) => self.waiting.push_back(frame(bytes, false)),
        }
        if self.waiting.len() > MAX_WAITING {
            self.break_chain();
        }
    }

    /// The next frame to publish.
    pub fn pop(&mut self) -> Option<OutgoingFrame> {
        self.waiting.pop_front()
    }

    /// A chunk could not be published: the rest of its keyframe group is dropped.
    pub fn lost(&mut self, frame: &OutgoingFrame) {
        if !frame.is_jpeg {
            self.break_chain();
        }
    }

    fn break_chain(&mut self) {
        self.waiting.retain(|waiting| waiting.is_jpeg);
        self.broken = true;
    }
}

#[cfg(test)]
mod tests {
    use nido_shared::Timestamp;
    use nido_testkit::frames::{LayeredStream, frame, jpeg};

    use super::*;

    fn header(bytes: &[u8]) -> FrameHeader {
        FrameHeader::decode(bytes).unwrap().0
    }

    fn push(video: &mut OutgoingVideo, bytes: Bytes) {
        let header = header(&bytes);
        video.push(1, &header, bytes);
    }

    fn drain(video: &mut OutgoingVideo) -> Vec<Bytes> {
        std::iter::from_fn(|| video.pop())
            .map(|f| f.bytes)
            .collect()
    }

    #[test]
    fn jpeg_is_latest_wins_and_chunks_wait_in_order_with_the_config_before_each_key() {
        let now = Timestamp::UNIX_EPOCH;
        let mut video = OutgoingVideo::default();
        let mut stream = LayeredStream::new(3, 4);
        let config = stream.config(now);
        push(&mut video, config.clone());
        let chunks: Vec<Bytes> = (0..5)
            .map(|_| stream.next_chunk(100, now, false).message)
            .collect();
        push(&mut video, frame(1, now, &jpeg(1, 100)));
        for chunk in &chunks[..4] {
            push(&mut video, chunk.clone());
        }
        let newest_jpeg = frame(2, now, &jpeg(2, 100));
        push(&mut video, newest_jpeg.clone());
        let mut expected = vec![config.clone()];
        expected.extend(chunks[..4].iter().cloned());
        expected.push(newest_jpeg);
        assert_eq!(drain(&mut video), expected, "JPEG 1 was replaced by 2");

        push(&mut video, chunks[4].clone());
        assert_eq!(drain(&mut video), [config, chunks[4].clone()]);
    }

    #[test]
    fn a_keyframe_supersedes_the_chunks_still_waiting() {
        let now = Timestamp::UNIX_EPOCH;
        let mut video = OutgoingVideo::default();
        let mut stream = LayeredStream::new(3, 1_000);
        let config = stream.config(now);
        push(&mut video, config.clone());
        for _ in 0..3 {
            push(&mut video, stream.next_chunk(100, now, false).message);
        }
        let key = stream.next_chunk(100, now, true).message;
        push(&mut video, key.clone());
        assert_eq!(drain(&mut video), [config, key]);
    }

    #[test]
    fn a_lost_or_piled_up_chunk_drops_its_group_until_the_next_keyframe() {
        let now = Timestamp::UNIX_EPOCH;
        let mut video = OutgoingVideo::default();
        let mut stream = LayeredStream::new(1, 1_000);
        push(&mut video, stream.config(now));
        push(&mut video, stream.next_chunk(100, now, false).message);
        let lost = video.pop().unwrap();
        video.lost(&lost);
        assert!(video.pop().is_none(), "the keyframe went with it");
        push(&mut video, stream.next_chunk(100, now, false).message);
        assert!(
            video.pop().is_none(),
            "a delta of a broken group is not queued"
        );
        let key = stream.next_chunk(100, now, true).message;
        push(&mut video, key.clone());
        assert_eq!(drain(&mut video)[1..], [key], "after its configuration");

        for _ in 0..=MAX_WAITING {
            push(&mut video, stream.next_chunk(100, now, false).message);
        }
        assert!(
            video.pop().is_none(),
            "too many waited: the group was dropped"
        );
    }
}
