//! The device's cameras: listing them, opening one at a chosen size, and why that failed.

use js_sys::Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MediaDeviceInfo, MediaDeviceKind, MediaDevices, MediaStream, MediaStreamConstraints,
    MediaTrackConstraints,
};

use crate::browser::{is_secure_context, window};
use crate::i18n::Text;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraError {
    /// Not https nor localhost: the browser hides the camera API.
    InsecureContext,
    PermissionDenied,
    NoCamera,
    /// Another application holds the camera.
    InUse,
    Failed,
}

impl CameraError {
    pub fn text(&self) -> Text {
        match self {
            Self::InsecureContext => Text::InsecureContext,
            Self::PermissionDenied => Text::PermissionDenied,
            Self::NoCamera => Text::NoCamera,
            Self::InUse => Text::CameraInUse,
            Self::Failed => Text::CameraFailed,
        }
    }

    fn from_dom_error(error: &wasm_bindgen::JsValue) -> Self {
        let name = error
            .dyn_ref::<web_sys::DomException>()
            .map(web_sys::DomException::name)
            .unwrap_or_default();
        match name.as_str() {
            "NotAllowedError" | "SecurityError" => Self::PermissionDenied,
            "NotFoundError" | "OverconstrainedError" => Self::NoCamera,
            "NotReadableError" | "AbortError" => Self::InUse,
            _ => Self::Failed,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraDevice {
    pub id: String,
    pub label: String,
}

/// What to ask the camera for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraRequest {
    pub device_id: Option<String>,
    pub width: u32,
    pub height: u32,
}

fn media_devices() -> Result<MediaDevices, CameraError> {
    if !is_secure_context() {
        return Err(CameraError::InsecureContext);
    }
    window()
        .navigator()
        .media_devices()
        .map_err(|_| CameraError::InsecureContext)
}

/// Opens a camera, video only: Nido never captures sound.
pub async fn open_camera(request: &CameraRequest) -> Result<MediaStream, CameraError> {
    let devices = media_devices()?;
    let video = MediaTrackConstraints::new();
    video.set_width_i32(request.width as i32);
    video.set_height_i32(request.height as i32);
    if let Some(id) = &request.device_id {
        video.set_device_id_str(id);
    }
    let constraints = MediaStreamConstraints::new();
    constraints.set_video_media_track_constraints(&video);
    constraints.set_audio_bool(false);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| CameraError::from_dom_error(&e))?;
    let stream = JsFuture::from(promise)
        .await
        .map_err(|e| CameraError::from_dom_error(&e))?;
    stream.dyn_into().map_err(|_| CameraError::Failed)
}

/// The cameras the browser lets this page see (labels appear once permission is given).
pub async fn list_cameras() -> Vec<CameraDevice> {
    let Ok(devices) = media_devices() else {
        return Vec::new();
    };
    let Ok(promise) = devices.enumerate_devices() else {
        return Vec::new();
    };
    let Ok(list) = JsFuture::from(promise).await else {
        return Vec::new();
    };
    Array::from(&list)
        .iter()
        .filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok())
        .filter(|d| d.kind() == MediaDeviceKind::Videoinput)
        .enumerate()
        .map(|(n, d)| CameraDevice {
            label: if d.label().is_empty() {
                format!("#{}", n + 1)
            } else {
                d.label()
            },
            id: d.device_id(),
        })
        .collect()
}

/// Turns the camera off (its light goes out).
pub fn stop_camera(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<web_sys::MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Whether the camera stopped on its own (unplugged, taken by the system, page frozen).
pub fn camera_ended(stream: &MediaStream) -> bool {
    stream.get_video_tracks().iter().any(|track| {
        track
            .dyn_into::<web_sys::MediaStreamTrack>()
            .is_ok_and(|t| t.ready_state() == web_sys::MediaStreamTrackState::Ended)
    })
}
