//! The binary video message: a fixed header, then the picture. Version 1 carries a JPEG;
//! version 2 carries a JPEG, a WebCodecs chunk or a decoder configuration.
//!
//! ```text
//! version 1 (24 bytes)                        version 2 (32 bytes)
//! offset size  field                          offset size  field
//!      0    4  magic "NIDO"                        0    4  magic "NIDO"
//!      4    1  version (1)                         4    1  version (2)
//!      5    3  reserved, zero                      5    1  kind: 0 JPEG, 1 chunk, 2 decoder config
//!      8    8  sequence number, u64                6    1  codec: 0 none (JPEG), 1 VP8
//!     16    8  capture time, i64 µs                7    1  flags: bit 0 key, bit 1 discardable
//!     24    …  JPEG (FF D8 FF … FF D9)             8    8  sequence number, u64
//!                                                 16    8  capture time, i64 µs
//!                                                 24    1  temporal layer of this chunk
//!                                                 25    1  temporal layers of the stream (1–3)
//!                                                 26    2  reserved, zero
//!                                                 28    4  key distance: sequence − its keyframe's
//!                                                 32    …  payload
//! ```
//!
//! A decoder configuration's payload is the coded width and height (u16 each) and then the
//! WebCodecs codec string: small, and read without a JSON parser in the parents' app.
//!
//! Everything is big-endian. `docs/protocol.md` says what each field means to a client.

use serde::{Deserialize, Serialize};

use crate::Timestamp;

/// The longest codec string a decoder configuration may carry.
const MAX_CODEC_STRING: usize = 64;

/// The four bytes every frame starts with.
pub const FRAME_MAGIC: [u8; 4] = *b"NIDO";
/// Bytes before a version-1 frame's JPEG.
pub const FRAME_HEADER_LEN: usize = 24;
/// Bytes before a version-2 frame's payload.
pub const FRAME_HEADER_V2_LEN: usize = 32;
/// The most temporal layers a stream may have (WebCodecs' L1T3).
pub const MAX_TEMPORAL_LAYERS: u8 = 3;
/// The largest decoder configuration a camera may send.
pub const MAX_DECODER_CONFIG_BYTES: usize = 4 + MAX_CODEC_STRING;
/// The largest picture side a decoder configuration may announce.
pub const MAX_CODED_SIDE: u32 = 4096;

const JPEG_START: [u8; 3] = [0xFF, 0xD8, 0xFF];
const JPEG_END: [u8; 2] = [0xFF, 0xD9];
/// Every VP8 keyframe has this start code after its 3-byte frame tag (RFC 6386, 9.1).
const VP8_START_CODE: [u8; 3] = [0x9D, 0x01, 0x2A];

const KIND_JPEG: u8 = 0;
const KIND_CHUNK: u8 = 1;
const KIND_DECODER_CONFIG: u8 = 2;
const FLAG_KEY: u8 = 1;
const FLAG_DISCARDABLE: u8 = 2;

/// A codec whose chunks Nido relays (JPEG is not one: it has frames of its own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VideoCodec {
    Vp8,
}

impl VideoCodec {
    /// Its number in the frame header.
    pub fn wire_id(self) -> u8 {
        match self {
            Self::Vp8 => 1,
        }
    }

    fn from_wire_id(id: u8) -> Option<Self> {
        (id == 1).then_some(Self::Vp8)
    }

    /// The WebCodecs codec string.
    pub fn codec_string(self) -> &'static str {
        match self {
            Self::Vp8 => "vp8",
        }
    }
}

/// What a version-2 chunk says about where it stands in its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkInfo {
    pub codec: VideoCodec,
    /// A keyframe: decodable on its own, and every later chunk up to the next one depends
    /// on it.
    pub key: bool,
    /// 0 is the base layer; a chunk depends only on chunks of its layer or lower.
    pub temporal_layer: u8,
    /// How many temporal layers the stream has (1 to [`MAX_TEMPORAL_LAYERS`]).
    pub temporal_layers: u8,
    /// This chunk's sequence number minus its keyframe's: 0 for a keyframe.
    pub key_distance: u32,
}

impl ChunkInfo {
    /// No later chunk depends on it: the stream's top layer, when it has more than one.
    pub fn discardable(&self) -> bool {
        self.temporal_layer > 0 && self.temporal_layer + 1 == self.temporal_layers
    }
}

/// What a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    Jpeg,
    Chunk(ChunkInfo),
    /// A decoder configuration ([`DecoderConfig`]) for the chunks that follow.
    DecoderConfig {
        codec: VideoCodec,
        temporal_layers: u8,
    },
}

/// What a frame says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Increases by at least one per frame sent by one camera connection, whatever its kind.
    pub sequence: u64,
    /// When the picture was taken, on the server's clock as the camera estimates it (see
    /// `docs/protocol.md`, "Clocks").
    pub capture_time: Timestamp,
    pub kind: FrameKind,
}

/// A version-2 decoder configuration's payload: what a viewer passes to
/// `VideoDecoder.configure`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// The WebCodecs codec string, `vp8`.
    pub codec: String,
    pub coded_width: u32,
    pub coded_height: u32,
}

/// Why a binary message is not a valid frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error(
        "a frame needs a {FRAME_HEADER_LEN}-byte header (version 1) or a {FRAME_HEADER_V2_LEN}-byte one (version 2); got {0} bytes"
    )]
    TooShort(usize),
    #[error("the frame does not start with the NIDO magic")]
    BadMagic,
    #[error("frame protocol version {0} is not supported (1 and 2 are)")]
    UnsupportedVersion(u8),
    #[error("reserved header bytes must be zero")]
    ReservedNotZero,
    #[error("frame kind {0} is not known (0 JPEG, 1 chunk, 2 decoder config)")]
    UnknownKind(u8),
    #[error("codec {0} is not known (1 is VP8)")]
    UnknownCodec(u8),
    #[error("inconsistent header: {0}")]
    Inconsistent(&'static str),
    #[error("the payload is not a JPEG")]
    NotJpeg,
    #[error("the JPEG is truncated: it lacks its end marker")]
    TruncatedJpeg,
    #[error("the chunk is empty")]
    EmptyChunk,
    #[error("the chunk's bitstream contradicts its header: {0}")]
    ChunkMismatch(&'static str),
    #[error("the decoder configuration is not valid: {0}")]
    BadDecoderConfig(String),
    #[error("the payload has {size} bytes; the limit is {limit}")]
    TooLarge { size: usize, limit: usize },
}

impl FrameHeader {
    /// A VP8 chunk's header: chunk `sequence` of a stream with `temporal_layers`, in `layer`,
    /// depending on the keyframe numbered `key_sequence` (itself, for a keyframe).
    pub fn vp8_chunk(
        sequence: u64,
        key_sequence: u64,
        capture_time: Timestamp,
        layer: u8,
        temporal_layers: u8,
    ) -> Self {
        let key_distance = sequence.saturating_sub(key_sequence);
        Self {
            sequence,
            capture_time,
            kind: FrameKind::Chunk(ChunkInfo {
                codec: VideoCodec::Vp8,
                key: key_distance == 0,
                temporal_layer: layer,
                temporal_layers,
                key_distance: u32::try_from(key_distance).unwrap_or(u32::MAX),
            }),
        }
    }

    /// The header's bytes, to be followed by the payload: version 1 for a JPEG (which every
    /// viewer reads), version 2 for the rest.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = match self.kind {
            FrameKind::Jpeg => vec![0u8; FRAME_HEADER_LEN],
            _ => vec![0u8; FRAME_HEADER_V2_LEN],
        };
        bytes[0..4].copy_from_slice(&FRAME_MAGIC);
        bytes[8..16].copy_from_slice(&self.sequence.to_be_bytes());
        bytes[16..24].copy_from_slice(&self.capture_time.as_micros().to_be_bytes());
        match self.kind {
            FrameKind::Jpeg => bytes[4] = 1,
            FrameKind::Chunk(chunk) => {
                bytes[4] = 2;
                bytes[5] = KIND_CHUNK;
                bytes[6] = chunk.codec.wire_id();
                bytes[7] = if chunk.key { FLAG_KEY } else { 0 }
                    | if chunk.discardable() {
                        FLAG_DISCARDABLE
                    } else {
                        0
                    };
                bytes[24] = chunk.temporal_layer;
                bytes[25] = chunk.temporal_layers;
                bytes[28..32].copy_from_slice(&chunk.key_distance.to_be_bytes());
            }
            FrameKind::DecoderConfig {
                codec,
                temporal_layers,
            } => {
                bytes[4] = 2;
                bytes[5] = KIND_DECODER_CONFIG;
                bytes[6] = codec.wire_id();
                bytes[25] = temporal_layers;
            }
        }
        bytes
    }

    /// Reads and checks only the header, as a viewer does before decoding the payload: the
    /// header and where the payload starts.
    pub fn decode(frame: &[u8]) -> Result<(Self, usize), FrameError> {
        let too_short = || FrameError::TooShort(frame.len());
        let start = frame.get(..FRAME_HEADER_LEN).ok_or_else(too_short)?;
        if start[0..4] != FRAME_MAGIC {
            return Err(FrameError::BadMagic);
        }
        let sequence = u64::from_be_bytes(word(&start[8..16]));
        let capture_time = Timestamp::from_micros(i64::from_be_bytes(word(&start[16..24])));
        match start[4] {
            1 => {
                if start[5..8] != [0, 0, 0] {
                    return Err(FrameError::ReservedNotZero);
                }
                let header = Self {
                    sequence,
                    capture_time,
                    kind: FrameKind::Jpeg,
                };
                Ok((header, FRAME_HEADER_LEN))
            }
            2 => {
                let header = frame.get(..FRAME_HEADER_V2_LEN).ok_or_else(too_short)?;
                let kind = decode_kind(header)?;
                let header = Self {
                    sequence,
                    capture_time,
                    kind,
                };
                if let FrameKind::Chunk(chunk) = kind
                    && u64::from(chunk.key_distance) > sequence
                {
                    return Err(FrameError::Inconsistent(
                        "the key distance reaches before the first sequence number",
                    ));
                }
                Ok((header, FRAME_HEADER_V2_LEN))
            }
            version => Err(FrameError::UnsupportedVersion(version)),
        }
    }

    /// Checks a whole frame as the server does before relaying it: the header, and a payload
    /// of at most `max_payload_bytes` that fits it (a JPEG's markers, a VP8 chunk's key bit,
    /// a decoder configuration's JSON).
    pub fn validate(frame: &[u8], max_payload_bytes: usize) -> Result<Self, FrameError> {
        let (header, payload_at) = Self::decode(frame)?;
        let payload = &frame[payload_at..];
        let limit = match header.kind {
            FrameKind::DecoderConfig { .. } => MAX_DECODER_CONFIG_BYTES,
            _ => max_payload_bytes,
        };
        if payload.len() > limit {
            return Err(FrameError::TooLarge {
                size: payload.len(),
                limit,
            });
        }
        match header.kind {
            FrameKind::Jpeg => check_jpeg(payload)?,
            FrameKind::Chunk(chunk) => check_chunk(chunk, payload)?,
            FrameKind::DecoderConfig { codec, .. } => {
                DecoderConfig::parse(payload, codec)?;
            }
        }
        Ok(header)
    }
}

impl DecoderConfig {
    /// The payload: width and height (u16, big-endian), then the codec string.
    pub fn encode(&self) -> Vec<u8> {
        let side = |side: u32| u16::try_from(side).unwrap_or(u16::MAX).to_be_bytes();
        [
            &side(self.coded_width)[..],
            &side(self.coded_height),
            self.codec.as_bytes(),
        ]
        .concat()
    }

    /// Reads a decoder configuration's payload and checks it names `codec` and a sane size.
    pub fn parse(payload: &[u8], codec: VideoCodec) -> Result<Self, FrameError> {
        let bad = |why: String| Err(FrameError::BadDecoderConfig(why));
        let (Some(sides), Some(name)) = (payload.get(..4), payload.get(4..)) else {
            return bad(format!("{} bytes are too few", payload.len()));
        };
        let Ok(name) = std::str::from_utf8(name) else {
            return bad("the codec string is not UTF-8".into());
        };
        let config = Self {
            codec: name.to_owned(),
            coded_width: u32::from(u16::from_be_bytes([sides[0], sides[1]])),
            coded_height: u32::from(u16::from_be_bytes([sides[2], sides[3]])),
        };
        if config.codec != codec.codec_string() {
            return Err(FrameError::BadDecoderConfig(format!(
                "codec {:?} does not match the header's {}",
                config.codec,
                codec.codec_string()
            )));
        }
        let sides = [config.coded_width, config.coded_height];
        if sides
            .iter()
            .any(|side| !(1..=MAX_CODED_SIDE).contains(side))
        {
            return Err(FrameError::BadDecoderConfig(format!(
                "a coded size of {}×{} is outside 1–{MAX_CODED_SIDE}",
                config.coded_width, config.coded_height
            )));
        }
        Ok(config)
    }
}

fn word(bytes: &[u8]) -> [u8; 8] {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    word
}

fn decode_kind(header: &[u8]) -> Result<FrameKind, FrameError> {
    let (kind, codec, flags) = (header[5], header[6], header[7]);
    let (temporal_layer, temporal_layers) = (header[24], header[25]);
    let key_distance = u32::from_be_bytes([header[28], header[29], header[30], header[31]]);
    if header[26..28] != [0, 0] || flags & !(FLAG_KEY | FLAG_DISCARDABLE) != 0 {
        return Err(FrameError::ReservedNotZero);
    }
    let inconsistent = |why| Err(FrameError::Inconsistent(why));
    if kind == KIND_JPEG {
        if header[6..8] != [0, 0] || header[24..32].iter().any(|&byte| byte != 0) {
            return inconsistent("a JPEG has no codec, flags, layers or key distance");
        }
        return Ok(FrameKind::Jpeg);
    }
    if kind != KIND_CHUNK && kind != KIND_DECODER_CONFIG {
        return Err(FrameError::UnknownKind(kind));
    }
    let codec = VideoCodec::from_wire_id(codec).ok_or(FrameError::UnknownCodec(codec))?;
    if !(1..=MAX_TEMPORAL_LAYERS).contains(&temporal_layers) {
        return inconsistent("a stream has 1 to 3 temporal layers");
    }
    if kind == KIND_DECODER_CONFIG {
        if flags != 0 || temporal_layer != 0 || key_distance != 0 {
            return inconsistent("a decoder configuration has no flags, layer or key distance");
        }
        return Ok(FrameKind::DecoderConfig {
            codec,
            temporal_layers,
        });
    }
    let chunk = ChunkInfo {
        codec,
        key: flags & FLAG_KEY != 0,
        temporal_layer,
        temporal_layers,
        key_distance,
    };
    if temporal_layer >= temporal_layers {
        return inconsistent("the chunk's layer is not one of the stream's");
    }
    if chunk.key != (key_distance == 0) {
        return inconsistent("a keyframe, and only a keyframe, has key distance 0");
    }
    if chunk.key && temporal_layer != 0 {
        return inconsistent("a keyframe is in the base layer");
    }
    if (flags & FLAG_DISCARDABLE != 0) != chunk.discardable() {
        return inconsistent("discardable is the top layer of a layered stream, and only it");
    }
    Ok(FrameKind::Chunk(chunk))
}

fn check_jpeg(jpeg: &[u8]) -> Result<(), FrameError> {
    if !jpeg.starts_with(&JPEG_START) {
        return Err(FrameError::NotJpeg);
    }
    if !jpeg.ends_with(&JPEG_END) {
        return Err(FrameError::TruncatedJpeg);
    }
    Ok(())
}

/// A VP8 frame tag's lowest bit is 0 for a keyframe, which then has the start code.
fn check_chunk(chunk: ChunkInfo, payload: &[u8]) -> Result<(), FrameError> {
    let Some(&tag) = payload.first() else {
        return Err(FrameError::EmptyChunk);
    };
    match chunk.codec {
        VideoCodec::Vp8 => {
            let key_in_bitstream = tag & 1 == 0;
            if key_in_bitstream != chunk.key {
                return Err(FrameError::ChunkMismatch(
                    "the VP8 frame tag's key bit differs from the header's",
                ));
            }
            if chunk.key && payload.get(3..6) != Some(&VP8_START_CODE[..]) {
                return Err(FrameError::ChunkMismatch(
                    "a VP8 keyframe lacks its start code",
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY_JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0xFF, 0xD9];
    /// A VP8 keyframe's first bytes: tag (key), start code, 640×480.
    const VP8_KEY: &[u8] = &[0x50, 0x42, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01];
    const VP8_DELTA: &[u8] = &[0x31, 0x07, 0x00, 0x11];

    fn frame(header: FrameHeader, payload: &[u8]) -> Vec<u8> {
        let mut bytes = header.encode();
        bytes.extend_from_slice(payload);
        bytes
    }

    fn jpeg_header() -> FrameHeader {
        FrameHeader {
            sequence: 1,
            capture_time: Timestamp::from_micros(2),
            kind: FrameKind::Jpeg,
        }
    }

    fn chunk(key_distance: u32, temporal_layer: u8) -> FrameHeader {
        FrameHeader {
            sequence: 100 + u64::from(key_distance),
            capture_time: Timestamp::from_micros(1_764_000_000_123_456),
            kind: FrameKind::Chunk(ChunkInfo {
                codec: VideoCodec::Vp8,
                key: key_distance == 0,
                temporal_layer,
                temporal_layers: 3,
                key_distance,
            }),
        }
    }

    fn config_header() -> FrameHeader {
        FrameHeader {
            sequence: 99,
            capture_time: Timestamp::from_micros(5),
            kind: FrameKind::DecoderConfig {
                codec: VideoCodec::Vp8,
                temporal_layers: 3,
            },
        }
    }

    /// 640×480, VP8.
    const CONFIG: &[u8] = &[0x02, 0x80, 0x01, 0xE0, b'v', b'p', b'8'];

    #[test]
    fn version_1_jpeg_headers_round_trip() {
        let header = FrameHeader {
            sequence: u64::MAX - 1,
            ..jpeg_header()
        };
        let bytes = frame(header, TINY_JPEG);
        assert_eq!(FrameHeader::decode(&bytes), Ok((header, FRAME_HEADER_LEN)));
        assert_eq!(FrameHeader::validate(&bytes, 1024), Ok(header));
        assert_eq!((&bytes[..4], bytes[4]), (&b"NIDO"[..], 1));
    }

    #[test]
    fn version_2_chunks_and_configurations_round_trip() {
        for (header, payload) in [
            (chunk(0, 0), VP8_KEY),
            (chunk(1, 2), VP8_DELTA),
            (chunk(2, 1), VP8_DELTA),
            (config_header(), CONFIG),
        ] {
            let bytes = frame(header, payload);
            assert_eq!(bytes[4], 2);
            assert_eq!(
                FrameHeader::decode(&bytes),
                Ok((header, FRAME_HEADER_V2_LEN))
            );
            assert_eq!(FrameHeader::validate(&bytes, 1024), Ok(header));
        }
        let top = frame(chunk(1, 2), VP8_DELTA);
        assert_eq!(top[7], FLAG_DISCARDABLE, "the top layer is discardable");
        let middle = frame(chunk(2, 1), VP8_DELTA);
        assert_eq!(middle[7], 0, "the middle layer is not");
        let mut v2_jpeg = [&FRAME_MAGIC[..], &[2, KIND_JPEG, 0, 0]].concat();
        v2_jpeg.extend(1u64.to_be_bytes());
        v2_jpeg.extend(2i64.to_be_bytes());
        v2_jpeg.extend([0; 8]);
        v2_jpeg.extend(TINY_JPEG);
        assert_eq!(
            FrameHeader::validate(&v2_jpeg, 1024),
            Ok(jpeg_header()),
            "version 2 carries JPEG too"
        );
    }

    #[test]
    fn a_decoder_configuration_round_trips() {
        let config = DecoderConfig {
            codec: "vp8".into(),
            coded_width: 640,
            coded_height: 480,
        };
        assert_eq!(config.encode(), CONFIG);
        assert_eq!(DecoderConfig::parse(CONFIG, VideoCodec::Vp8), Ok(config));
    }

    #[test]
    fn rejects_short_or_foreign_headers() {
        let good = frame(jpeg_header(), TINY_JPEG);
        assert_eq!(
            FrameHeader::decode(&good[..23]),
            Err(FrameError::TooShort(23))
        );
        assert_eq!(FrameHeader::decode(&[]), Err(FrameError::TooShort(0)));
        let v2 = frame(chunk(0, 0), VP8_KEY);
        assert_eq!(
            FrameHeader::decode(&v2[..30]),
            Err(FrameError::TooShort(30))
        );

        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert_eq!(FrameHeader::decode(&bad_magic), Err(FrameError::BadMagic));

        let mut bad_version = good.clone();
        bad_version[4] = 3;
        assert_eq!(
            FrameHeader::decode(&bad_version),
            Err(FrameError::UnsupportedVersion(3))
        );

        let mut reserved = good;
        reserved[6] = 1;
        assert_eq!(
            FrameHeader::decode(&reserved),
            Err(FrameError::ReservedNotZero)
        );
        let mut reserved_v2 = v2.clone();
        reserved_v2[27] = 1;
        assert_eq!(
            FrameHeader::decode(&reserved_v2),
            Err(FrameError::ReservedNotZero)
        );
        let mut unknown_flag = v2;
        unknown_flag[7] |= 4;
        assert_eq!(
            FrameHeader::decode(&unknown_flag),
            Err(FrameError::ReservedNotZero)
        );
    }

    #[test]
    fn rejects_unknown_kinds_codecs_and_inconsistent_headers() {
        let key = frame(chunk(0, 0), VP8_KEY);
        let changed = |at: usize, value: u8| {
            let mut bytes = key.clone();
            bytes[at] = value;
            FrameHeader::decode(&bytes).map(|(header, _)| header)
        };
        assert_eq!(changed(5, 7), Err(FrameError::UnknownKind(7)));
        assert_eq!(changed(6, 0), Err(FrameError::UnknownCodec(0)));
        assert_eq!(changed(6, 9), Err(FrameError::UnknownCodec(9)));
        for (at, value, why) in [
            (25, 0, "no layers"),
            (25, 4, "four layers"),
            (24, 3, "a layer the stream does not have"),
            (24, 1, "a keyframe above the base layer"),
            (7, 0, "a keyframe flag missing at key distance 0"),
            (7, FLAG_KEY | FLAG_DISCARDABLE, "a discardable keyframe"),
        ] {
            assert!(
                matches!(changed(at, value), Err(FrameError::Inconsistent(_))),
                "{why}"
            );
        }
        let delta = frame(chunk(3, 1), VP8_DELTA);
        let mut marked_discardable = delta.clone();
        marked_discardable[7] = FLAG_DISCARDABLE;
        assert!(matches!(
            FrameHeader::decode(&marked_discardable),
            Err(FrameError::Inconsistent(_))
        ));
        let mut before_the_start = delta;
        before_the_start[8..16].copy_from_slice(&2u64.to_be_bytes());
        assert!(
            matches!(
                FrameHeader::decode(&before_the_start),
                Err(FrameError::Inconsistent(_))
            ),
            "a keyframe 3 chunks before sequence 2"
        );
        let mut config = frame(config_header(), CONFIG);
        config[7] = FLAG_KEY;
        assert!(matches!(
            FrameHeader::decode(&config),
            Err(FrameError::Inconsistent(_))
        ));
        let mut jpeg_with_codec = frame(config_header(), TINY_JPEG);
        jpeg_with_codec[5] = KIND_JPEG;
        assert!(matches!(
            FrameHeader::decode(&jpeg_with_codec),
            Err(FrameError::Inconsistent(_))
        ));
    }

    #[test]
    fn rejects_payloads_that_contradict_their_header() {
        let check = |header, payload: &[u8]| FrameHeader::validate(&frame(header, payload), 1024);
        assert_eq!(
            check(jpeg_header(), b"GIF89a...."),
            Err(FrameError::NotJpeg)
        );
        assert_eq!(check(jpeg_header(), &[]), Err(FrameError::NotJpeg));
        assert_eq!(
            check(jpeg_header(), &TINY_JPEG[..6]),
            Err(FrameError::TruncatedJpeg)
        );
        assert_eq!(check(chunk(0, 0), &[]), Err(FrameError::EmptyChunk));
        assert!(matches!(
            check(chunk(0, 0), VP8_DELTA),
            Err(FrameError::ChunkMismatch(_))
        ));
        assert!(matches!(
            check(chunk(1, 2), VP8_KEY),
            Err(FrameError::ChunkMismatch(_))
        ));
        assert!(matches!(
            check(chunk(0, 0), &VP8_KEY[..4]),
            Err(FrameError::ChunkMismatch(_))
        ));
        for bad in [
            &b""[..],
            b"\x02\x80",
            b"\x02\x80\x01\xE0vp9",
            b"\x02\x80\x01\xE0\xFF\xFE",
            b"\x00\x00\x01\xE0vp8",
            b"\x02\x80\x13\x88vp8",
        ] {
            assert!(
                matches!(
                    check(config_header(), bad),
                    Err(FrameError::BadDecoderConfig(_))
                ),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn rejects_oversized_payloads() {
        assert_eq!(
            FrameHeader::validate(&frame(jpeg_header(), TINY_JPEG), 7),
            Err(FrameError::TooLarge { size: 8, limit: 7 })
        );
        assert!(FrameHeader::validate(&frame(jpeg_header(), TINY_JPEG), 8).is_ok());
        assert_eq!(
            FrameHeader::validate(&frame(chunk(1, 2), VP8_DELTA), 3),
            Err(FrameError::TooLarge { size: 4, limit: 3 })
        );
        let mut padded = CONFIG.to_vec();
        padded.resize(MAX_DECODER_CONFIG_BYTES + 1, b'8');
        assert_eq!(
            FrameHeader::validate(&frame(config_header(), &padded), 1 << 20),
            Err(FrameError::TooLarge {
                size: MAX_DECODER_CONFIG_BYTES + 1,
                limit: MAX_DECODER_CONFIG_BYTES
            }),
            "a configuration is small whatever the frame limit"
        );
    }
}
