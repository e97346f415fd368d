//! The binary video frame: a fixed 24-byte header followed by one complete JPEG.
//!
//! ```text
//! offset size  field
//!      0    4  magic "NIDO"
//!      4    1  protocol version (1)
//!      5    3  reserved, zero
//!      8    8  sequence number, big-endian u64, increasing per camera connection
//!     16    8  capture time, big-endian i64, microseconds since the UNIX epoch
//!     24    …  JPEG: starts with FF D8 FF, ends with FF D9
//! ```

use crate::Timestamp;

/// The four bytes every frame starts with.
pub const FRAME_MAGIC: [u8; 4] = *b"NIDO";
/// The frame format version this code reads and writes.
pub const PROTOCOL_VERSION: u8 = 1;
/// Bytes before the JPEG.
pub const FRAME_HEADER_LEN: usize = 24;

const JPEG_START: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JPEG_END: [u8; 2] = [0xFF, 0xD9];

/// What a frame says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Increases by at least one per frame sent by one camera connection.
    pub sequence: u64,
    /// When the picture was taken, on the server's clock as the camera estimates it (see
    /// `docs/protocol.md`, "Clocks").
    pub capture_time: Timestamp,
}

/// Why a binary message is not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a frame needs a {FRAME_HEADER_LEN}-byte header; got {0} bytes")]
    TooShort(usize),
    #[error("the frame does not start with the NIDO magic")]
    BadMagic,
    #[error("frame protocol version {0} is not supported (expected {PROTOCOL_VERSION})")]
    UnsupportedVersion(u8),
    #[error("reserved header bytes must be zero")]
    ReservedNotZero,
    #[error("the payload is not a JPEG")]
    NotJpeg,
    #[error("the JPEG is truncated: it lacks its end marker")]
    TruncatedJpeg,
    #[error("the JPEG has {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
}

impl FrameHeader {
    /// The header's 24 bytes, to be followed by the JPEG.
    pub fn encode(&self) -> [u8; FRAME_HEADER_LEN] {
        let mut bytes = [0u8; FRAME_HEADER_LEN];
        bytes[0..4].copy_from_slice(&FRAME_MAGIC);
        bytes[4] = PROTOCOL_VERSION;
        bytes[8..16].copy_from_slice(&self.sequence.to_be_bytes());
        bytes[16..24].copy_from_slice(&self.capture_time.as_micros().to_be_bytes());
        bytes
    }

    /// Reads only the header, as a viewer does before handing the JPEG to the decoder.
    pub fn decode(frame: &[u8]) -> Result<Self, FrameError> {
        let header: &[u8; FRAME_HEADER_LEN] = frame
            .get(..FRAME_HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(FrameError::TooShort(frame.len()))?;
        if header[0..4] != FRAME_MAGIC {
            return Err(FrameError::BadMagic);
        }
        if header[4] != PROTOCOL_VERSION {
            return Err(FrameError::UnsupportedVersion(header[4]));
        }
        if header[5..8] != [0, 0, 0] {
            return Err(FrameError::ReservedNotZero);
        }
        let word_at = |at: usize| {
            let mut word = [0u8; 8];
            word.copy_from_slice(&header[at..at + 8]);
            word
        };
        Ok(Self {
            sequence: u64::from_be_bytes(word_at(8)),
            capture_time: Timestamp::from_micros(i64::from_be_bytes(word_at(16))),
        })
    }

    /// Checks a whole frame as the server does before relaying it: the header, a JPEG of
    /// at most `max_jpeg_bytes` with its start and end markers.
    pub fn validate(frame: &[u8], max_jpeg_bytes: usize) -> Result<Self, FrameError> {
        let header = Self::decode(frame)?;
        let jpeg = &frame[FRAME_HEADER_LEN..];
        if jpeg.len() > max_jpeg_bytes {
            return Err(FrameError::TooLarge {
                size: jpeg.len(),
                limit: max_jpeg_bytes,
            });
        }
        if !jpeg.starts_with(&JPEG_START) {
            return Err(FrameError::NotJpeg);
        }
        if !jpeg.ends_with(&JPEG_END) {
            return Err(FrameError::TruncatedJpeg);
        }
        Ok(header)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY_JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0xFF, 0xD9];

    fn frame(header: FrameHeader, jpeg: &[u8]) -> Vec<u8> {
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(jpeg);
        bytes
    }

    #[test]
    fn header_round_trips() {
        let header = FrameHeader {
            sequence: u64::MAX - 1,
            capture_time: Timestamp::from_micros(1_764_000_000_123_456),
        };
        let bytes = frame(header, TINY_JPEG);
        assert_eq!(FrameHeader::decode(&bytes), Ok(header));
        assert_eq!(FrameHeader::validate(&bytes, 1024), Ok(header));
        assert_eq!(&bytes[..4], b"NIDO");
        assert_eq!(bytes[4], 1);
    }

    #[test]
    fn rejects_short_or_foreign_headers() {
        let good = frame(
            FrameHeader {
                sequence: 1,
                capture_time: Timestamp::from_micros(2),
            },
            TINY_JPEG,
        );
        assert_eq!(
            FrameHeader::decode(&good[..23]),
            Err(FrameError::TooShort(23))
        );
        assert_eq!(FrameHeader::decode(&[]), Err(FrameError::TooShort(0)));

        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert_eq!(FrameHeader::decode(&bad_magic), Err(FrameError::BadMagic));

        let mut bad_version = good.clone();
        bad_version[4] = 2;
        assert_eq!(
            FrameHeader::decode(&bad_version),
            Err(FrameError::UnsupportedVersion(2))
        );

        let mut reserved = good;
        reserved[6] = 1;
        assert_eq!(
            FrameHeader::decode(&reserved),
            Err(FrameError::ReservedNotZero)
        );
    }

    #[test]
    fn rejects_bad_or_oversized_jpegs() {
        let header = FrameHeader {
            sequence: 1,
            capture_time: Timestamp::from_micros(2),
        };
        assert_eq!(
            FrameHeader::validate(&frame(header, b"GIF89a...."), 1024),
            Err(FrameError::NotJpeg)
        );
        assert_eq!(
            FrameHeader::validate(&frame(header, &[]), 1024),
            Err(FrameError::NotJpeg)
        );
        assert_eq!(
            FrameHeader::validate(&frame(header, &TINY_JPEG[..6]), 1024),
            Err(FrameError::TruncatedJpeg)
        );
        assert_eq!(
            FrameHeader::validate(&frame(header, TINY_JPEG), 7),
            Err(FrameError::TooLarge { size: 8, limit: 7 })
        );
        assert!(FrameHeader::validate(&frame(header, TINY_JPEG), 8).is_ok());
    }
}
