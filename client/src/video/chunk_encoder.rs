//! The camera's VP8 encoder (WebCodecs `VideoEncoder`, real time, temporal layers): each
//! captured picture in, each chunk out as a version-2 frame message written straight into a
//! JavaScript buffer; the decoder configuration before every keyframe; a keyframe every few
//! seconds and when the server asks (at most one a second); and a bitrate that follows the
//! uplink, lowered while the socket's send buffer fills and raised again once it is empty.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use nido_shared::{
    DecoderConfig, FRAME_HEADER_V2_LEN, FrameHeader, FrameKind, Timestamp, VideoCodec,
};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkType, VideoEncoder, VideoEncoderEncodeOptions,
    VideoEncoderInit, VideoFrame,
};

use super::support::EncoderPlan;
use crate::room::RoomLink;

/// A keyframe at least this often, so that a viewer whose chain broke is back soon.
const KEYFRAME_EVERY_MS: f64 = 3_000.0;
/// The server's keyframe requests are honoured at most this often: each costs every viewer.
const KEYFRAME_REQUESTS_EVERY_MS: f64 = 1_000.0;
/// A picture is skipped while the encoder still works on an earlier one: Chromium takes
/// pictures in faster than a starved encoder turns them out (its `encodeQueueSize` stays 0
/// meanwhile), and what it queued would reach viewers seconds late.
const MAX_PICTURES_IN_ENCODER: usize = 1;
/// A picture still in the encoder after this long was dropped by it (its rate control
/// may): it no longer holds the next one back.
const PICTURE_LOST_AFTER_MS: f64 = 1_000.0;
/// The bitrate never goes below this, however slow the uplink.
const MIN_BITS_PER_SECOND: u32 = 60_000;
/// Bitrate changes at most this often, so that each one's effect on the backlog shows.
const ADAPT_EVERY_MS: f64 = 1_000.0;
/// The uplink must have kept up this long before the bitrate goes back up.
const RAISE_AFTER_MS: f64 = 5_000.0;

/// What the output callback needs: the stream's numbering and where chunks go.
struct Stream {
    link: Rc<RoomLink>,
    temporal_layers: u8,
    sequence: u64,
    key_sequence: u64,
    /// The decoder configuration as JSON, sent before every keyframe.
    config: Option<Vec<u8>>,
    chunks_sent: u32,
    bytes_sent: f64,
    /// Pictures given to the encoder and not out yet: their timestamps, and when they went in
    /// (the page's clock, ms).
    in_encoder: VecDeque<(f64, f64)>,
}

pub struct ChunkEncoder {
    encoder: VideoEncoder,
    plan: RefCell<EncoderPlan>,
    /// The bitrate the plan started with, which adapting never exceeds.
    target_bits_per_second: u32,
    stream: Rc<RefCell<Stream>>,
    failed: Rc<Cell<bool>>,
    force_key: Cell<bool>,
    last_key_ms: Cell<f64>,
    last_request_ms: Cell<f64>,
    last_adapt_ms: Cell<f64>,
    /// Since when the uplink has had nothing waiting.
    clear_since_ms: Cell<Option<f64>>,
    _on_output: Closure<dyn FnMut(EncodedVideoChunk, JsValue)>,
    _on_error: Closure<dyn FnMut(JsValue)>,
}

impl ChunkEncoder {
    /// A configured encoder sending its chunks through `link`.
    pub fn start(plan: EncoderPlan, link: Rc<RoomLink>) -> Option<Self> {
        let stream = Rc::new(RefCell::new(Stream {
            link,
            temporal_layers: plan.temporal_layers,
            sequence: 0,
            key_sequence: 0,
            config: None,
            chunks_sent: 0,
            bytes_sent: 0.0,
            in_encoder: VecDeque::new(),
        }));
        let failed = Rc::new(Cell::new(false));
        let on_output = Closure::<dyn FnMut(EncodedVideoChunk, JsValue)>::new({
            let stream = Rc::clone(&stream);
            move |chunk: EncodedVideoChunk, metadata: JsValue| {
                stream.borrow_mut().send(&chunk, &metadata);
            }
        });
        let on_error = Closure::<dyn FnMut(JsValue)>::new({
            let failed = Rc::clone(&failed);
            move |error: JsValue| {
                leptos::logging::warn!("Nido video: the VP8 encoder failed: {error:?}");
                failed.set(true);
            }
        });
        let init = VideoEncoderInit::new(
            on_error.as_ref().unchecked_ref(),
            on_output.as_ref().unchecked_ref(),
        );
        let encoder = VideoEncoder::new(&init).ok()?;
        encoder.configure(&plan.config()).ok()?;
        leptos::logging::log!(
            "Nido video: encoding VP8 {} at {} kbit/s",
            plan.scalability_mode,
            plan.bits_per_second / 1000
        );
        Some(Self {
            encoder,
            target_bits_per_second: plan.bits_per_second,
            plan: RefCell::new(plan),
            stream,
            failed,
            force_key: Cell::new(true),
            last_key_ms: Cell::new(f64::NEG_INFINITY),
            last_request_ms: Cell::new(f64::NEG_INFINITY),
            last_adapt_ms: Cell::new(f64::NEG_INFINITY),
            clear_since_ms: Cell::new(None),
            _on_output: on_output,
            _on_error: on_error,
        })
    }

    /// Whether the encoder failed (the browser closed it): the camera then makes a new one.
    pub fn has_failed(&self) -> bool {
        self.failed.get() || self.encoder.state() == CodecState::Closed
    }

    pub fn plan(&self) -> EncoderPlan {
        self.plan.borrow().clone()
    }

    /// Encodes a picture taken at `now_ms` (the page's clock), unless the encoder is still
    /// busy with an earlier one; a keyframe when one is due or was asked for.
    pub fn encode(&self, frame: &VideoFrame, now_ms: f64) {
        if self.has_failed() || self.stream.borrow_mut().encoder_busy(now_ms) {
            return;
        }
        let key =
            self.force_key.replace(false) || now_ms - self.last_key_ms.get() >= KEYFRAME_EVERY_MS;
        let options = VideoEncoderEncodeOptions::new();
        options.set_key_frame(key);
        if self.encoder.encode_with_options(frame, &options).is_ok() {
            let timestamp = frame.timestamp();
            self.stream
                .borrow_mut()
                .in_encoder
                .push_back((timestamp, now_ms));
            if key {
                self.last_key_ms.set(now_ms);
            }
        }
    }

    /// The server asked for a keyframe (a viewer lost its chain, or this camera reconnected).
    pub fn request_keyframe(&self, now_ms: f64) {
        if now_ms - self.last_request_ms.get() >= KEYFRAME_REQUESTS_EVERY_MS {
            self.last_request_ms.set(now_ms);
            self.force_key.set(true);
        }
    }

    /// Follows the uplink: `backlog` bytes wait in the socket. A backlog lowers the bitrate by
    /// a third; an empty one for a while raises it a little, up to the target.
    pub fn adapt(&self, backlog: u32, backlog_limit: u32, now_ms: f64) {
        if backlog > 0 {
            self.clear_since_ms.set(None);
        } else if self.clear_since_ms.get().is_none() {
            self.clear_since_ms.set(Some(now_ms));
        }
        if now_ms - self.last_adapt_ms.get() < ADAPT_EVERY_MS {
            return;
        }
        let current = self.plan.borrow().bits_per_second;
        let wanted = if backlog > backlog_limit / 2 {
            (current / 3 * 2).max(MIN_BITS_PER_SECOND)
        } else if self
            .clear_since_ms
            .get()
            .is_some_and(|since| now_ms - since >= RAISE_AFTER_MS)
        {
            (current + current / 8).min(self.target_bits_per_second)
        } else {
            current
        };
        if wanted != current {
            self.plan.borrow_mut().bits_per_second = wanted;
            let _ = self.encoder.configure(&self.plan.borrow().config());
            self.last_adapt_ms.set(now_ms);
        }
    }

    /// Chunks and bytes sent since the last call.
    pub fn take_sent(&self) -> (u32, f64) {
        let mut stream = self.stream.borrow_mut();
        let sent = (stream.chunks_sent, stream.bytes_sent);
        stream.chunks_sent = 0;
        stream.bytes_sent = 0.0;
        sent
    }
}

impl Drop for ChunkEncoder {
    fn drop(&mut self) {
        if self.encoder.state() != CodecState::Closed {
            let _ = self.encoder.close();
        }
    }
}

impl Stream {
    /// Whether a picture given to the encoder less than [`PICTURE_LOST_AFTER_MS`] ago is
    /// still in it.
    fn encoder_busy(&mut self, now_ms: f64) -> bool {
        self.in_encoder
            .retain(|(_, given_ms)| now_ms - given_ms < PICTURE_LOST_AFTER_MS);
        self.in_encoder.len() >= MAX_PICTURES_IN_ENCODER
    }

    /// Sends an encoder output: the configuration first if it came with one or this is a
    /// keyframe, then the chunk.
    fn send(&mut self, chunk: &EncodedVideoChunk, metadata: &JsValue) {
        // Outputs come in order: this picture and any the encoder dropped before it are out.
        let timestamp = chunk.timestamp();
        while self
            .in_encoder
            .front()
            .is_some_and(|(given, _)| *given <= timestamp)
        {
            self.in_encoder.pop_front();
        }
        if let Some(config) = decoder_config(metadata) {
            self.config = Some(config.encode());
        }
        let key = chunk.type_() == EncodedVideoChunkType::Key;
        let capture_time = Timestamp::from_micros(chunk.timestamp() as i64);
        self.sequence += 1;
        if key {
            self.key_sequence = self.sequence;
            if let Some(config) = self.config.clone() {
                let header = FrameHeader {
                    sequence: self.sequence,
                    capture_time,
                    kind: FrameKind::DecoderConfig {
                        codec: VideoCodec::Vp8,
                        temporal_layers: self.temporal_layers,
                    },
                };
                let message = Uint8Array::from(&[&header.encode()[..], &config[..]].concat()[..]);
                self.link.socket().send_bytes(&message);
            }
        }
        let header = FrameHeader::vp8_chunk(
            self.sequence,
            self.key_sequence,
            capture_time,
            temporal_layer(metadata).min(self.temporal_layers - 1),
            self.temporal_layers,
        );
        let message = Uint8Array::new_with_length(FRAME_HEADER_V2_LEN as u32 + chunk.byte_length());
        message.set(&Uint8Array::from(&header.encode()[..]), 0);
        let body = message.subarray(FRAME_HEADER_V2_LEN as u32, message.length());
        if chunk.copy_to_with_u8_array(&body).is_ok() && self.link.socket().send_bytes(&message) {
            self.chunks_sent += 1;
            self.bytes_sent += f64::from(message.length());
        }
    }
}

/// The decoder configuration the encoder attaches to its first output and to any that
/// changes it.
fn decoder_config(metadata: &JsValue) -> Option<DecoderConfig> {
    let config = Reflect::get(metadata, &"decoderConfig".into()).ok()?;
    if !config.is_object() {
        return None;
    }
    let field = |name: &str| Reflect::get(&config, &name.into()).ok();
    Some(DecoderConfig {
        codec: field("codec")?.as_string()?,
        coded_width: field("codedWidth")?.as_f64()? as u32,
        coded_height: field("codedHeight")?.as_f64()? as u32,
    })
}

/// The chunk's temporal layer (`svc.temporalLayerId`), 0 without layers.
fn temporal_layer(metadata: &JsValue) -> u8 {
    Reflect::get(metadata, &"svc".into())
        .ok()
        .filter(JsValue::is_object)
        .and_then(|svc| Reflect::get(&svc, &"temporalLayerId".into()).ok())
        .and_then(|id| id.as_f64())
        .map_or(0, |id| id as u8)
}
