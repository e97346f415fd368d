//! Paints received video on the viewer's canvas without blocking the page. A JPEG is decoded
//! off the main thread by createImageBitmap, one at a time, frames arriving meanwhile
//! replacing each other, so the picture is always the newest and nothing piles up. VP8 chunks
//! go to the decoder (`chunk_decoder`) in order, and each picture it makes is drawn and closed
//! at once. Either way the page learns how many pictures a second it shows, their delay and
//! the bitrate received; where the room asks for it, each picture gets the family's
//! watermark.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use std::time::Duration;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use leptos::prelude::*;
use nido_shared::{DecoderConfig, FRAME_HEADER_V2_LEN, FrameHeader, FrameKind, Timestamp};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap, VideoFrame,
};

use super::chunk_decoder::ChunkDecoder;
use super::watermark;
use crate::browser::window;
use crate::clock::{self, ClockOffset};

/// The form of the video being received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoForm {
    Jpeg,
    Vp8,
}

/// What the viewer page shows about the picture.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PaintStats {
    pub frames_per_second: f64,
    /// Median capture-to-screen delay over the last second, in milliseconds.
    pub latency_ms: Option<f64>,
    /// The video received over the last second.
    pub kilobits_per_second: f64,
    pub form: Option<VideoForm>,
}

pub struct FramePainter {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    clock: RwSignal<ClockOffset>,
    decoding: Cell<bool>,
    waiting: RefCell<Option<(FrameHeader, Blob)>>,
    chunks: ChunkDecoder,
    /// Bumped by `clear`, so a JPEG decode that was under way is not drawn afterwards.
    generation: Cell<u64>,
    /// When each frame of the last second was painted, and its latency in milliseconds.
    painted: RefCell<VecDeque<(Timestamp, f64)>>,
    /// When each video message of the last second arrived, and its size.
    received: RefCell<VecDeque<(Timestamp, usize)>>,
    form: Cell<Option<VideoForm>>,
    /// Whether a picture is on the canvas: set the moment the first one is painted, so the
    /// page drops its "waiting" notice at once.
    showing: RwSignal<bool>,
    /// The watermark's text, drawn into every picture while set.
    watermark: RefCell<Option<String>>,
}

impl FramePainter {
    pub fn new(
        canvas: HtmlCanvasElement,
        clock: RwSignal<ClockOffset>,
        showing: RwSignal<bool>,
    ) -> Option<Rc<Self>> {
        let context: CanvasRenderingContext2d = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Rc::new_cyclic(|this: &Weak<Self>| {
            let (paint, broke) = (this.clone(), this.clone());
            let chunks = ChunkDecoder::new(
                move |frame: VideoFrame| {
                    if let Some(painter) = paint.upgrade() {
                        painter.paint_video_frame(&frame);
                    }
                    frame.close();
                },
                move || {
                    if let Some(painter) = broke.upgrade() {
                        painter.blank();
                    }
                },
            );
            Self {
                canvas,
                context,
                clock,
                decoding: Cell::new(false),
                waiting: RefCell::new(None),
                chunks,
                generation: Cell::new(0),
                painted: RefCell::new(VecDeque::new()),
                received: RefCell::new(VecDeque::new()),
                form: Cell::new(None),
                showing,
                watermark: RefCell::new(None),
            }
        }))
    }

    /// Takes a frame message as received; malformed ones are dropped.
    pub fn receive(self: &Rc<Self>, buffer: &ArrayBuffer) {
        let bytes = Uint8Array::new(buffer);
        let mut header = [0u8; FRAME_HEADER_V2_LEN];
        let header_len = header.len().min(bytes.length() as usize);
        bytes
            .subarray(0, header_len as u32)
            .copy_to(&mut header[..header_len]);
        let Ok((header, payload_at)) = FrameHeader::decode(&header[..header_len]) else {
            return;
        };
        self.received
            .borrow_mut()
            .push_back((clock::now(), bytes.length() as usize));
        let payload = bytes.subarray(payload_at as u32, bytes.length());
        match header.kind {
            FrameKind::Jpeg => self.receive_jpeg(header, &payload),
            FrameKind::DecoderConfig { codec, .. } => {
                if let Ok(config) = DecoderConfig::parse(&payload.to_vec(), codec) {
                    self.chunks.configure(config);
                }
            }
            FrameKind::Chunk(chunk) => {
                self.form.set(Some(VideoForm::Vp8));
                self.chunks.decode(&header, chunk, &payload);
            }
        }
    }

    fn receive_jpeg(self: &Rc<Self>, header: FrameHeader, jpeg: &Uint8Array) {
        self.form.set(Some(VideoForm::Jpeg));
        let options = BlobPropertyBag::new();
        options.set_type("image/jpeg");
        let Ok(blob) = Blob::new_with_u8_array_sequence_and_options(&Array::of1(jpeg), &options)
        else {
            return;
        };
        *self.waiting.borrow_mut() = Some((header, blob));
        if !self.decoding.get() {
            self.decode_next();
        }
    }

    /// Blanks the picture at once (camera off or paused): never a frozen last frame.
    pub fn clear(&self) {
        self.generation.set(self.generation.get() + 1);
        self.waiting.borrow_mut().take();
        self.chunks.reset();
        self.blank();
        self.painted.borrow_mut().clear();
        self.received.borrow_mut().clear();
    }

    /// Takes the picture down until the next one is painted.
    fn blank(&self) {
        self.context.clear_rect(
            0.0,
            0.0,
            f64::from(self.canvas.width()),
            f64::from(self.canvas.height()),
        );
        if self.showing.get_untracked() {
            self.showing.set(false);
        }
    }

    pub fn stats(&self) -> PaintStats {
        let now = clock::now();
        let recent = |at: &Timestamp| now.saturating_duration_since(*at) <= Duration::from_secs(1);
        let mut painted = self.painted.borrow_mut();
        while painted.front().is_some_and(|(at, _)| !recent(at)) {
            painted.pop_front();
        }
        let mut received = self.received.borrow_mut();
        while received.front().is_some_and(|(at, _)| !recent(at)) {
            received.pop_front();
        }
        let mut latencies: Vec<f64> = painted.iter().map(|(_, latency)| *latency).collect();
        latencies.sort_by(f64::total_cmp);
        let bytes: usize = received.iter().map(|(_, len)| len).sum();
        PaintStats {
            frames_per_second: painted.len() as f64,
            latency_ms: latencies.get(latencies.len() / 2).copied(),
            kilobits_per_second: bytes as f64 * 8.0 / 1000.0,
            form: self.form.get(),
        }
    }

    fn decode_next(self: &Rc<Self>) {
        let Some((header, blob)) = self.waiting.borrow_mut().take() else {
            self.decoding.set(false);
            return;
        };
        self.decoding.set(true);
        let generation = self.generation.get();
        let this = Rc::clone(self);
        spawn_local(async move {
            if let Ok(promise) = window().create_image_bitmap_with_blob(&blob)
                && let Ok(bitmap) = JsFuture::from(promise).await
                && let Ok(bitmap) = bitmap.dyn_into::<ImageBitmap>()
            {
                if generation == this.generation.get() {
                    this.fit(bitmap.width(), bitmap.height());
                    if this
                        .context
                        .draw_image_with_image_bitmap(&bitmap, 0.0, 0.0)
                        .is_ok()
                    {
                        this.painted_one(header.capture_time);
                    }
                }
                bitmap.close();
            }
            this.decode_next();
        });
    }

    fn paint_video_frame(&self, frame: &VideoFrame) {
        self.fit(frame.display_width(), frame.display_height());
        if self
            .context
            .draw_image_with_video_frame(frame, 0.0, 0.0)
            .is_ok()
        {
            self.painted_one(Timestamp::from_micros(frame.timestamp() as i64));
        }
    }

    fn fit(&self, width: u32, height: u32) {
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
    }

    /// Draws `text` into every picture from now on; none: no watermark.
    pub fn set_watermark(&self, text: Option<String>) {
        self.watermark.replace(text);
    }

    fn painted_one(&self, capture_time: Timestamp) {
        if let Some(text) = self.watermark.borrow().as_deref() {
            let (width, height) = (self.canvas.width(), self.canvas.height());
            watermark::draw(
                &self.context,
                text,
                width.into(),
                height.into(),
                clock::now(),
            );
        }
        if !self.showing.get_untracked() {
            self.showing.set(true);
        }
        let server_now = self.clock.get_untracked().server_now();
        let latency = server_now.saturating_duration_since(capture_time);
        self.painted
            .borrow_mut()
            .push_back((clock::now(), latency.as_secs_f64() * 1000.0));
    }
}
