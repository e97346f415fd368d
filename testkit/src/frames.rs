//! Video frames as a camera sends them: Nido's frame header and a JPEG-shaped payload.

use bytes::{BufMut, Bytes, BytesMut};
use nido_shared::{FRAME_HEADER_LEN, FrameHeader, FrameKind, Timestamp};

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
