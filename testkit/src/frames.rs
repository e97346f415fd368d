//! Video as a camera sends it: JPEG frames (Nido's frame header and a JPEG-shaped payload),
//! and VP8-shaped layered streams, with a check of what a viewer received of one.

use bytes::{BufMut, Bytes, BytesMut};
use nido_shared::{DecoderConfig, FRAME_HEADER_LEN, FrameHeader, FrameKind, Timestamp, VideoCodec};

/// A small valid JPEG-shaped payload whose bytes encode `seed`, padded to `len` bytes.
pub fn jpeg(seed: u64, len: usize) -> Vec<u8> {
    assert!(len >= 16, "a JPEG of at least 16 bytes");
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(&seed.to_be_bytes());
    bytes.resize(len - 2, (seed % 200) as u8);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A whole frame message: the header for `sequence` captured at `capture_time`, then
/// `jpeg`.
pub fn frame(sequence: u64, capture_time: Timestamp, jpeg: &[u8]) -> Bytes {
    let header = FrameHeader {
        sequence,
        capture_time,
        kind: FrameKind::Jpeg,
    };
    let mut frame = BytesMut::with_capacity(FRAME_HEADER_LEN + jpeg.len());
    frame.put_slice(&header.encode());
    frame.put_slice(jpeg);
    frame.freeze()
}

/// The sequence number in a frame's header.
pub fn sequence_of(frame: &[u8]) -> Option<u64> {
    FrameHeader::decode(frame)
        .ok()
        .map(|(header, _)| header.sequence)
}

/// A VP8 stream with temporal layers as a camera sends it: its decoder configuration, then
/// chunks numbered 1, 2, 3… whose payloads carry VP8's key bit (and a keyframe's start code)
/// and their own sequence number, a keyframe every `key_every` chunks. Layers follow
/// WebCodecs' patterns: L1T3 is 0, 2, 1, 2; L1T2 is 0, 1; L1T1 is 0.
pub struct LayeredStream {
    layers: u8,
    key_every: u64,
    sequence: u64,
    key_sequence: u64,
}

/// A chunk as sent: its place in the stream and the whole message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentChunk {
    pub sequence: u64,
    pub key_sequence: u64,
    pub layer: u8,
    pub message: Bytes,
}

impl LayeredStream {
    pub fn new(layers: u8, key_every: u64) -> Self {
        assert!((1..=3).contains(&layers) && key_every > 0);
        Self {
            layers,
            key_every,
            sequence: 0,
            key_sequence: 0,
        }
    }

    /// The layer of the chunk `distance` after its keyframe.
    pub fn layer_at(&self, distance: u64) -> u8 {
        let pattern: &[u8] = match self.layers {
            1 => &[0],
            2 => &[0, 1],
            _ => &[0, 2, 1, 2],
        };
        pattern[(distance % pattern.len() as u64) as usize]
    }

    /// The decoder configuration message, captured at `capture_time`.
    pub fn config(&self, capture_time: Timestamp) -> Bytes {
        let header = FrameHeader {
            sequence: self.sequence + 1,
            capture_time,
            kind: FrameKind::DecoderConfig {
                codec: VideoCodec::Vp8,
                temporal_layers: self.layers,
            },
        };
        let config = DecoderConfig {
            codec: "vp8".into(),
            coded_width: 640,
            coded_height: 480,
        };
        [header.encode(), config.encode()].concat().into()
    }

    /// The next chunk, of `len` payload bytes (at least 16), captured at `capture_time`; a
    /// keyframe if `force_key` or its turn came.
    pub fn next_chunk(
        &mut self,
        len: usize,
        capture_time: Timestamp,
        force_key: bool,
    ) -> SentChunk {
        assert!(len >= 16);
        self.sequence += 1;
        if force_key || self.sequence == 1 || self.sequence - self.key_sequence >= self.key_every {
            self.key_sequence = self.sequence;
        }
        let distance = self.sequence - self.key_sequence;
        let key = distance == 0;
        let layer = self.layer_at(distance);
        let header = FrameHeader::vp8_chunk(
            self.sequence,
            self.key_sequence,
            capture_time,
            layer,
            self.layers,
        );
        // A VP8 frame tag (bit 0 clear on a keyframe), then a keyframe's start code.
        let mut payload = vec![if key { 0x10 } else { 0x11 }, 0, 0, 0x9D, 0x01, 0x2A];
        payload.extend_from_slice(&self.sequence.to_be_bytes());
        payload.resize(len, layer);
        SentChunk {
            sequence: self.sequence,
            key_sequence: self.key_sequence,
            layer,
            message: [&header.encode()[..], &payload[..]].concat().into(),
        }
    }
}

/// Checks what a viewer received of a [`LayeredStream`] as its decoder would: the
/// configuration before the first keyframe, and every delta after all it depends on (each
/// chunk of its layer or lower since its keyframe).
#[derive(Default)]
pub struct DecoderCheck {
    configured: bool,
    received: std::collections::HashSet<u64>,
    /// The keyframe the decoder works from.
    key_sequence: Option<u64>,
}

impl DecoderCheck {
    /// Takes a received message; an error says why a decoder could not decode it.
    pub fn take(
        &mut self,
        stream: &LayeredStream,
        message: &[u8],
    ) -> Result<Option<SentChunk>, String> {
        let (header, _) = FrameHeader::decode(message).map_err(|error| error.to_string())?;
        let chunk = match header.kind {
            FrameKind::DecoderConfig { .. } => {
                self.configured = true;
                self.key_sequence = None;
                return Ok(None);
            }
            FrameKind::Jpeg => return Err("a JPEG in a chunk stream".into()),
            FrameKind::Chunk(chunk) => chunk,
        };
        if !self.configured {
            return Err(format!(
                "chunk {} before a decoder configuration",
                header.sequence
            ));
        }
        let key_sequence = header.sequence - u64::from(chunk.key_distance);
        if chunk.key {
            self.key_sequence = Some(header.sequence);
        } else if self.key_sequence != Some(key_sequence) {
            return Err(format!(
                "delta {} without its keyframe {key_sequence}",
                header.sequence
            ));
        } else if let Some(missing) = (key_sequence + 1..header.sequence).find(|&earlier| {
            stream.layer_at(earlier - key_sequence) <= chunk.temporal_layer
                && !self.received.contains(&earlier)
        }) {
            return Err(format!(
                "delta {} (layer {}) without chunk {missing} it depends on",
                header.sequence, chunk.temporal_layer
            ));
        }
        self.received.insert(header.sequence);
        Ok(Some(SentChunk {
            sequence: header.sequence,
            key_sequence,
            layer: chunk.temporal_layer,
            message: Bytes::copy_from_slice(message),
        }))
    }
}
