//! Badges for the connection and the camera state.

use leptos::prelude::*;
use nido_shared::{CameraStatus, Presence};

use crate::i18n::{Text, use_i18n};
use crate::socket::LinkStatus;

#[component]
pub fn ConnectionBadge(status: RwSignal<LinkStatus>) -> impl IntoView {
    let i18n = use_i18n();
    let class = move || match status.get() {
        LinkStatus::Joined => "badge ok",
        LinkStatus::Connecting => "badge wait",
        LinkStatus::Reconnecting { .. } => "badge warn",
        LinkStatus::Refused(_) => "badge bad",
    };
    let label = move || match status.get() {
        LinkStatus::Joined => i18n.t(Text::Connected).to_owned(),
        LinkStatus::Connecting => i18n.t(Text::Connecting).to_owned(),
        LinkStatus::Reconnecting { retry_ms } => {
            format!(
                "{} ({} s)",
                i18n.t(Text::Reconnecting),
                retry_ms.div_ceil(1000)
            )
        }
        LinkStatus::Refused(_) => i18n.t(Text::Offline).to_owned(),
    };
    view! { <span class=class role="status" data-testid="connection">{label}</span> }
}

/// The camera's state as the room's presence says.
pub fn camera_status(presence: Option<Presence>) -> CameraStatus {
    presence.map_or(CameraStatus::Off, |p| p.camera)
}

#[component]
pub fn CameraBadge(presence: RwSignal<Option<Presence>>) -> impl IntoView {
    let i18n = use_i18n();
    let state = move || camera_status(presence.get());
    let class = move || match state() {
        CameraStatus::Live => "badge live",
        CameraStatus::Paused => "badge warn",
        CameraStatus::Off | CameraStatus::Closed => "badge off",
    };
    let label = move || match state() {
        CameraStatus::Live => i18n.t(Text::CameraLive),
        CameraStatus::Paused => i18n.t(Text::CameraPaused),
        CameraStatus::Off => i18n.t(Text::CameraOff),
        CameraStatus::Closed => i18n.t(Text::CameraClosed),
    };
    view! { <span class=class data-testid="camera-state">{label}</span> }
}
