//! The camera preview drawn into a canvas, once per captured picture, and what is made from
//! it: a JPEG frame (canvas `toBlob`, the protocol header in front, assembled by the browser
//! without copying through WASM memory) or a `VideoFrame` for the VP8 encoder.

use std::cell::Cell;

use js_sys::{Array, Promise, Uint8Array};
use nido_shared::{FrameHeader, FrameKind, Timestamp};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Blob, CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, VideoFrame, VideoFrameInit,
};

use crate::browser::window;

/// One canvas reused for every picture.
pub struct Capture {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    next_jpeg_sequence: Cell<u64>,
}

impl Capture {
    pub fn new() -> Option<Self> {
        let canvas: HtmlCanvasElement = window()
            .document()?
            .create_element("canvas")
            .ok()?
            .dyn_into()
            .ok()?;
        let context = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Self {
            canvas,
            context,
            next_jpeg_sequence: Cell::new(1),
        })
    }

    /// Draws the video's current picture; false while the video has no picture yet.
    pub fn draw(&self, video: &HtmlVideoElement) -> bool {
        let (width, height) = (video.video_width(), video.video_height());
        if width == 0 || height == 0 {
            return false;
        }
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        self.context
            .draw_image_with_html_video_element(video, 0.0, 0.0)
            .is_ok()
    }

    /// The picture last drawn as a `VideoFrame` stamped with its capture time; the caller
    /// closes it.
    pub fn video_frame(&self, capture_time: Timestamp) -> Option<VideoFrame> {
        let init = VideoFrameInit::new();
        init.set_timestamp_f64(capture_time.as_micros() as f64);
        VideoFrame::new_with_html_canvas_element_and_video_frame_init(&self.canvas, &init).ok()
    }

    /// The picture last drawn as a whole JPEG frame message (version 1); `None` if the
    /// browser could not encode it.
    pub async fn jpeg_frame(&self, quality: f64, capture_time: Timestamp) -> Option<Blob> {
        let canvas = &self.canvas;
        let encoded = Promise::new(&mut |resolve, _reject| {
            // toBlob calls `resolve` with the JPEG, or with null if encoding failed.
            let _ = canvas.to_blob_with_type_and_encoder_options(
                &resolve,
                "image/jpeg",
                &JsValue::from_f64(quality),
            );
        });
        let jpeg: Blob = JsFuture::from(encoded).await.ok()?.dyn_into().ok()?;

        let sequence = self.next_jpeg_sequence.get();
        self.next_jpeg_sequence.set(sequence + 1);
        let header = FrameHeader {
            sequence,
            capture_time,
            kind: FrameKind::Jpeg,
        };
        let parts = Array::of2(&Uint8Array::from(&header.encode()[..]), &jpeg);
        Blob::new_with_u8_array_sequence(&parts).ok()
    }
}
