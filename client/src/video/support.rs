//! What this browser's WebCodecs can do with VP8, asked once before joining a room: a
//! browser without WebCodecs (Firefox on Android, older Safari) or outside a secure context
//! has no `VideoEncoder`/`VideoDecoder` at all, and is sent JPEG.

use js_sys::Reflect;
use nido_shared::VideoCodec;
use wasm_bindgen::JsValue;
use web_sys::{
    HardwareAcceleration, LatencyMode, VideoDecoder, VideoDecoderConfig, VideoEncoder,
    VideoEncoderConfig,
};

use crate::browser::window;

/// The temporal layering modes tried, best first.
const SCALABILITY_MODES: [(&str, u8); 3] = [("L1T3", 3), ("L1T2", 2), ("L1T1", 1)];

/// How the camera encodes VP8.
#[derive(Debug, Clone, PartialEq)]
pub struct EncoderPlan {
    pub width: u32,
    pub height: u32,
    pub frames_per_second: u32,
    pub bits_per_second: u32,
    pub scalability_mode: &'static str,
    pub temporal_layers: u8,
}

impl EncoderPlan {
    /// The WebCodecs configuration: real-time VP8 at this size, rate and bitrate.
    pub fn config(&self) -> VideoEncoderConfig {
        let config =
            VideoEncoderConfig::new(VideoCodec::Vp8.codec_string(), self.height, self.width);
        config.set_bitrate(self.bits_per_second);
        config.set_framerate(f64::from(self.frames_per_second));
        config.set_latency_mode(LatencyMode::Realtime);
        config.set_hardware_acceleration(HardwareAcceleration::NoPreference);
        config.set_scalability_mode(self.scalability_mode);
        config
    }
}

fn has(name: &str) -> bool {
    Reflect::has(&window(), &JsValue::from_str(name)).unwrap_or(false)
}

/// The first layering mode this browser encodes VP8 in at this size, rate and bitrate.
pub async fn vp8_encoding(
    width: u32,
    height: u32,
    frames_per_second: u32,
    bits_per_second: u32,
) -> Option<EncoderPlan> {
    if !has("VideoEncoder") {
        return None;
    }
    for (scalability_mode, temporal_layers) in SCALABILITY_MODES {
        let plan = EncoderPlan {
            width,
            height,
            frames_per_second,
            bits_per_second,
            scalability_mode,
            temporal_layers,
        };
        let supported = VideoEncoder::is_config_supported(&plan.config()).await;
        if supported.is_ok_and(|support| support.get_supported() == Some(true)) {
            return Some(plan);
        }
    }
    None
}

/// The decoder configuration a viewer uses for a stream of this size.
pub fn decoder_config(codec: &str, width: u32, height: u32) -> VideoDecoderConfig {
    let config = VideoDecoderConfig::new(codec);
    config.set_coded_width(width);
    config.set_coded_height(height);
    config.set_optimize_for_latency(true);
    config.set_hardware_acceleration(HardwareAcceleration::NoPreference);
    config
}

/// The codecs whose chunks this browser decodes, to tell the server on joining; logged, so
/// that whoever looks at the console knows which video it gets.
pub async fn decodable_codecs() -> Vec<VideoCodec> {
    let vp8 = has("VideoDecoder")
        && VideoDecoder::is_config_supported(&decoder_config("vp8", 640, 480))
            .await
            .is_ok_and(|support| support.get_supported() == Some(true));
    leptos::logging::log!(
        "Nido video: VP8 decoding {}",
        if vp8 {
            "supported"
        } else {
            "not supported: JPEG"
        }
    );
    if vp8 {
        vec![VideoCodec::Vp8]
    } else {
        Vec::new()
    }
}
