//! Paints received frames on the viewer's canvas without blocking the page: each JPEG is
//! decoded off the main thread by createImageBitmap, drawn, and its bitmap closed at once.
//! Only one decode runs at a time; frames arriving meanwhile replace each other, so the
//! picture is always the newest and nothing piles up.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use leptos::prelude::*;
use nido_shared::{FRAME_HEADER_V2_LEN, FrameHeader, FrameKind, Timestamp};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{Blob, BlobPropertyBag, CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap};

use crate::browser::window;
use crate::clock::{self, ClockOffset};

/// What the viewer page shows about the picture.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PaintStats {
    pub frames_per_second: f64,
    /// Median capture-to-screen delay over the last second, in milliseconds.
    pub latency_ms: Option<f64>,
}

pub struct FramePainter {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    clock: RwSignal<ClockOffset>,
    decoding: Cell<bool>,
    waiting: RefCell<Option<(FrameHeader, Blob)>>,
    /// Bumped by `clear`, so a decode that was under way is not drawn afterwards.
    generation: Cell<u64>,
    /// When each frame of the last second was painted, and its latency in milliseconds.
    painted: RefCell<VecDeque<(Timestamp, f64)>>,
    /// Whether a picture is on the canvas: set the moment the first one is painted, so the
    /// page drops its "waiting" notice at once.
    showing: RwSignal<bool>,
}

impl FramePainter {
    pub fn new(
        canvas: HtmlCanvasElement,
        clock: RwSignal<ClockOffset>,
        showing: RwSignal<bool>,
    ) -> Option<Rc<Self>> {
        let context = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Rc::new(Self {
            canvas,
            context,
            clock,
            decoding: Cell::new(false),
            waiting: RefCell::new(None),
            generation: Cell::new(0),
            painted: RefCell::new(VecDeque::new()),
            showing,
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
        if header.kind != FrameKind::Jpeg {
            return;
        }
        let jpeg = bytes.subarray(payload_at as u32, bytes.length());
        let options = BlobPropertyBag::new();
        options.set_type("image/jpeg");
        let Ok(blob) = Blob::new_with_u8_array_sequence_and_options(&Array::of1(&jpeg), &options)
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
        self.context.clear_rect(
            0.0,
            0.0,
            f64::from(self.canvas.width()),
            f64::from(self.canvas.height()),
        );
        if self.showing.get_untracked() {
            self.showing.set(false);
        }
        self.painted.borrow_mut().clear();
    }

    pub fn stats(&self) -> PaintStats {
        let now = clock::now();
        let mut painted = self.painted.borrow_mut();
        while painted
            .front()
            .is_some_and(|(at, _)| now.saturating_duration_since(*at) > Duration::from_secs(1))
        {
            painted.pop_front();
        }
        let mut latencies: Vec<f64> = painted.iter().map(|(_, latency)| *latency).collect();
        latencies.sort_by(f64::total_cmp);
        PaintStats {
            frames_per_second: painted.len() as f64,
            latency_ms: latencies.get(latencies.len() / 2).copied(),
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
                    this.paint(&bitmap, header);
                }
                bitmap.close();
            }
            this.decode_next();
        });
    }

    fn paint(&self, bitmap: &ImageBitmap, header: FrameHeader) {
        if self.canvas.width() != bitmap.width() || self.canvas.height() != bitmap.height() {
            self.canvas.set_width(bitmap.width());
            self.canvas.set_height(bitmap.height());
        }
        if self
            .context
            .draw_image_with_image_bitmap(bitmap, 0.0, 0.0)
            .is_err()
        {
            return;
        }
        if !self.showing.get_untracked() {
            self.showing.set(true);
        }
        let server_now = self.clock.get_untracked().server_now();
        let latency = server_now.saturating_duration_since(header.capture_time);
        self.painted
            .borrow_mut()
            .push_back((clock::now(), latency.as_secs_f64() * 1000.0));
    }
}
