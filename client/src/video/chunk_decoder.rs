//! The viewer's VP8 decoder (WebCodecs `VideoDecoder`, optimised for latency). It decodes
//! every chunk the server sends (the server never sends one it could not decode) and hands
//! each picture to the painter. After an error the browser closes the decoder: the next
//! chunk finds that out, and a fresh decoder waits for the next keyframe, so a broken chain
//! is never shown as a live picture. A decoder that falls behind (a busy phone: the browser
//! takes chunks in at once and turns them out as the CPU allows) is given no chunk of the top
//! layer, which nothing depends on, until it has caught up, so that its pictures stay
//! current rather than queue.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::Uint8Array;
use nido_shared::{ChunkInfo, DecoderConfig, FrameHeader};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    CodecState, EncodedVideoChunk, EncodedVideoChunkInit, EncodedVideoChunkType, VideoDecoder,
    VideoDecoderInit, VideoFrame,
};

use super::support::decoder_config;

/// With this many chunks inside the decoder, chunks of the top layer are skipped.
const BEHIND_CHUNKS: usize = 2;

pub struct ChunkDecoder {
    decoder: RefCell<Option<VideoDecoder>>,
    /// The stream's configuration as the server last sent it, for every fresh decoder.
    config: RefCell<Option<DecoderConfig>>,
    /// Deltas are skipped until a keyframe: at first, and after a reset or an error.
    waiting_for_key: Cell<bool>,
    /// Set by the error callback; the decoder is replaced before the next chunk.
    failed: Rc<Cell<bool>>,
    /// The timestamps of the chunks given to the decoder whose pictures are not out yet.
    in_decoder: Rc<RefCell<VecDeque<f64>>>,
    on_output: Closure<dyn FnMut(VideoFrame)>,
    on_error: Closure<dyn FnMut(JsValue)>,
}

impl ChunkDecoder {
    /// `paint` gets each decoded picture (and must close it); `broke` is called when the
    /// decoder fails, to take the picture down until a fresh one decodes.
    pub fn new(paint: impl Fn(VideoFrame) + 'static, broke: impl Fn() + 'static) -> Self {
        let failed = Rc::new(Cell::new(false));
        let on_error = Closure::<dyn FnMut(JsValue)>::new({
            let failed = Rc::clone(&failed);
            move |error: JsValue| {
                leptos::logging::warn!(
                    "Nido video: the decoder failed ({error:?}); waiting for a keyframe"
                );
                failed.set(true);
                broke();
            }
        });
        let in_decoder = Rc::new(RefCell::new(VecDeque::new()));
        let on_output = Closure::<dyn FnMut(VideoFrame)>::new({
            let in_decoder = Rc::clone(&in_decoder);
            move |frame: VideoFrame| {
                // Pictures come out in order: this one and any the decoder dropped are out.
                let timestamp = frame.timestamp();
                let mut waiting = in_decoder.borrow_mut();
                while waiting.front().is_some_and(|given| *given <= timestamp) {
                    waiting.pop_front();
                }
                drop(waiting);
                paint(frame);
            }
        });
        Self {
            decoder: RefCell::new(None),
            config: RefCell::new(None),
            waiting_for_key: Cell::new(true),
            failed,
            in_decoder,
            on_output,
            on_error,
        }
    }

    /// A configuration from the server: used from the next keyframe on.
    pub fn configure(&self, config: DecoderConfig) {
        self.config.replace(Some(config));
        self.drop_decoder();
    }

    /// Decodes a chunk whose payload is `payload`, unless it is a delta the decoder cannot
    /// use (it waits for a keyframe).
    pub fn decode(&self, header: &FrameHeader, chunk: ChunkInfo, payload: &Uint8Array) {
        if self.failed.replace(false) {
            self.drop_decoder();
        }
        if !chunk.key && self.waiting_for_key.get() {
            return;
        }
        if chunk.discardable() && self.in_decoder.borrow().len() >= BEHIND_CHUNKS {
            return;
        }
        let Some(decoder) = self.ready_decoder() else {
            return;
        };
        let kind = if chunk.key {
            EncodedVideoChunkType::Key
        } else {
            EncodedVideoChunkType::Delta
        };
        let init = EncodedVideoChunkInit::new(payload, 0, kind);
        let timestamp = header.capture_time.as_micros() as f64;
        init.set_timestamp_f64(timestamp);
        let decoded = EncodedVideoChunk::new(&init).and_then(|encoded| decoder.decode(&encoded));
        if decoded.is_err() {
            self.drop_decoder();
            return;
        }
        self.in_decoder.borrow_mut().push_back(timestamp);
        if chunk.key {
            self.waiting_for_key.set(false);
        }
    }

    /// Drops what is being decoded (the camera went off or paused): the next picture starts
    /// from a keyframe.
    pub fn reset(&self) {
        self.drop_decoder();
    }

    fn ready_decoder(&self) -> Option<VideoDecoder> {
        if let Some(decoder) = self.decoder.borrow().as_ref()
            && decoder.state() == CodecState::Configured
        {
            return Some(decoder.clone());
        }
        let config = self.config.borrow().clone()?;
        let init = VideoDecoderInit::new(
            self.on_error.as_ref().unchecked_ref(),
            self.on_output.as_ref().unchecked_ref(),
        );
        let decoder = VideoDecoder::new(&init).ok()?;
        let configured = decoder.configure(&decoder_config(
            &config.codec,
            config.coded_width,
            config.coded_height,
        ));
        if configured.is_err() {
            let _ = decoder.close();
            return None;
        }
        self.decoder.replace(Some(decoder.clone()));
        Some(decoder)
    }

    fn drop_decoder(&self) {
        if let Some(decoder) = self.decoder.take()
            && decoder.state() != CodecState::Closed
        {
            let _ = decoder.close();
        }
        self.in_decoder.borrow_mut().clear();
        self.waiting_for_key.set(true);
    }
}

impl Drop for ChunkDecoder {
    fn drop(&mut self) {
        self.drop_decoder();
    }
}
