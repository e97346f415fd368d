//! Badges for the connection and the camera state: one at a time, since the camera's state
//! is unknown while the connection is down.

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use nido_shared::{CameraStatus, Presence, Timestamp};

use crate::i18n::{I18n, Text, use_i18n};
use crate::socket::LinkStatus;

/// "Connection lost, retrying in 7 s", counting down to the next attempt at `retry_at`.
pub fn reconnecting_text(i18n: I18n, retry_at: Timestamp, now: Timestamp) -> String {
    let left = retry_at.saturating_duration_since(now);
    let seconds = left.as_micros().div_ceil(1_000_000);
    format!("{} ({seconds} s)", i18n.t(Text::Reconnecting))
}

/// This device's clock, ticking twice a second for as long as the calling view lives.
pub fn ticking_clock() -> ReadSignal<Timestamp> {
    let (now, set_now) = signal(crate::clock::now());
    let ticker = Interval::new(500, move || set_now.set(crate::clock::now()));
    let ticker = StoredValue::new_local(Some(ticker));
    on_cleanup(move || ticker.update_value(|t| drop(t.take())));
    now
}

/// The connection, and once joined the camera: the state people need, never both kinds
/// at once.
#[component]
pub fn RoomStateBadges(
    status: RwSignal<LinkStatus>,
    presence: RwSignal<Option<Presence>>,
) -> impl IntoView {
    let joined = move || status.get() == LinkStatus::Joined;
    view! {
        <Show when=joined fallback=move || view! { <ConnectionBadge status=status/> }>
            <CameraBadge presence=presence/>
            <FamiliesSeeBadge presence=presence/>
            <ConnectionBadge status=status/>
        </Show>
    }
}

#[component]
pub fn ConnectionBadge(status: RwSignal<LinkStatus>) -> impl IntoView {
    let i18n = use_i18n();
    let now = ticking_clock();
    let class = move || match status.get() {
        LinkStatus::Joined => "badge ok",
        LinkStatus::Connecting => "badge wait",
        LinkStatus::Reconnecting { .. } => "badge warn",
        LinkStatus::Refused(_) => "badge bad",
    };
    let label = move || match status.get() {
        LinkStatus::Joined => i18n.t(Text::Connected).to_owned(),
        LinkStatus::Connecting => i18n.t(Text::Connecting).to_owned(),
        LinkStatus::Reconnecting { retry_at } => reconnecting_text(i18n, retry_at, now.get()),
        LinkStatus::Refused(_) => i18n.t(Text::Offline).to_owned(),
    };
    view! { <span class=class role="status" data-testid="connection">{label}</span> }
}

/// The camera's state as the room's presence says.
pub fn camera_status(presence: Option<Presence>) -> CameraStatus {
    presence.map_or(CameraStatus::Off, |p| p.camera)
}

/// For staff outside viewing hours: that families see the room closed, and until when.
#[component]
pub fn FamiliesSeeBadge(presence: RwSignal<Option<Presence>>) -> impl IntoView {
    let i18n = use_i18n();
    let closed = move || {
        presence
            .get()
            .filter(|p| p.families_watching_allowed == Some(false))
    };
    move || {
        closed().map(|p| {
            view! {
                <span class="badge warn" data-testid="families-see">
                    {move || format!("{} · {}", i18n.t(Text::FamiliesSeeClosed), i18n.opening(p.opens_at))}
                </span>
            }
        })
    }
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
