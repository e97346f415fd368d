//! Turns the camera preview into frames: canvas drawImage, JPEG through toBlob, and the
//! protocol header in front, assembled by the browser without copying through WASM memory.

use js_sys::{Array, Promise, Uint8Array};
use nido_shared::{FrameHeader, FrameKind, Timestamp};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Blob, CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement};

use crate::browser::window;

/// One canvas reused for every frame.
pub struct FrameEncoder {
    canvas: HtmlCanvasElement,
    context: CanvasRenderingContext2d,
    next_sequence: u64,
}

impl FrameEncoder {
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
            next_sequence: 1,
        })
    }

    /// Draws the video's current picture and encodes a whole frame message. `None` while the
    /// video has no picture yet or the browser could not encode it.
    pub async fn encode(
        &mut self,
        video: &HtmlVideoElement,
        quality: f64,
        capture_time: Timestamp,
    ) -> Option<Blob> {
        let (width, height) = (video.video_width(), video.video_height());
        if width == 0 || height == 0 {
            return None;
        }
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        self.context
            .draw_image_with_html_video_element(video, 0.0, 0.0)
            .ok()?;
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

        let header = FrameHeader {
            sequence: self.next_sequence,
            capture_time,
            kind: FrameKind::Jpeg,
        };
        self.next_sequence += 1;
        let parts = Array::of2(&Uint8Array::from(&header.encode()[..]), &jpeg);
        Blob::new_with_u8_array_sequence(&parts).ok()
    }
}
