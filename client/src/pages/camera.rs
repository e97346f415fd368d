//! The classroom camera page: preview, camera settings, start/stop, privacy pause, what is
//! actually being sent, who is watching, and the chat.

use leptos::prelude::*;
use leptos::task::spawn_local;
use nido_shared::api::Me;
use nido_shared::{CameraStatus, ClientMessage, ErrorCode, Role};

use super::{log_in_again_when_session_ends, route_room, with_present};
use crate::browser::{is_secure_context, tab_secret};
use crate::components::{
    CameraSettings, FamiliesSeeBadge, RESOLUTIONS, RoomSidebar, RoomStateBadges, TopBar, signed_in,
};
use crate::i18n::{Text, use_i18n, whole_number};
use crate::media::{CameraDevice, CameraError, CameraRequest, list_cameras};
use crate::room::{ChatRequest, JoinAs, RoomLink, RoomSignals};
use crate::socket::LinkStatus;
use crate::streamer::{Broadcast, LiveSettings, SendStats, StreamPlan};

const DEFAULT_RESOLUTION: usize = 1;
const DEFAULT_FPS: u32 = 10;
const DEFAULT_QUALITY: f64 = 0.7;

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Idle,
    Starting,
    Streaming,
    Failed(CameraError),
}

#[component]
pub fn CameraPage() -> impl IntoView {
    signed_in(camera_page)
}

fn camera_page(me: Me) -> AnyView {
    let room = route_room();
    let i18n = use_i18n();
    let signals = RoomSignals::new();
    log_in_again_when_session_ends(signals);
    // The room as the caregiver finds it, streaming or not: its chat, and who is already
    // waiting for the picture (a chat-only join, so it neither gets video nor counts).
    let room_signals = RoomSignals::new();
    log_in_again_when_session_ends(room_signals);
    let room_link = StoredValue::new_local(Some(RoomLink::open(
        JoinAs {
            room: room.clone(),
            role: Role::Viewer,
            camera_key: None,
            chat_only: true,
            decodes: Vec::new(),
            encodes: None,
        },
        room_signals,
        Box::new(|_| {}),
    )));
    let phase = RwSignal::new(if is_secure_context() {
        Phase::Idle
    } else {
        Phase::Failed(CameraError::InsecureContext)
    });
    let cameras = RwSignal::new(Vec::<CameraDevice>::new());
    let device = RwSignal::new(None::<String>);
    let resolution = RwSignal::new(DEFAULT_RESOLUTION);
    let fps = RwSignal::new(DEFAULT_FPS);
    let quality = RwSignal::new(DEFAULT_QUALITY);
    let paused = RwSignal::new(false);
    let stats = RwSignal::new(SendStats::default());
    let video = NodeRef::<leptos::html::Video>::new();
    // Owned by this page: the camera, its loop and the room link stop when it unmounts.
    let broadcast = StoredValue::new_local(None::<Broadcast>);
    let camera_key = tab_secret(&format!("nido.camera-key.{room}"));

    spawn_local(async move { cameras.set(list_cameras().await) });

    let stop = move || {
        broadcast.set_value(None);
        stats.set(SendStats::default());
        signals.presence.set(None);
        if !matches!(phase.get_untracked(), Phase::Failed(_)) {
            phase.set(Phase::Idle);
        }
    };

    let join_room = room.clone();
    let start = move || {
        let Some(video) = video.get_untracked() else {
            return;
        };
        let (width, height) = RESOLUTIONS[resolution.get_untracked()];
        let plan = StreamPlan {
            request: CameraRequest {
                device_id: device.get_untracked(),
                width,
                height,
            },
            fps: fps.get_untracked(),
            settings: LiveSettings {
                quality: quality.get_untracked(),
                paused: paused.get_untracked(),
            },
        };
        let (room, camera_key) = (join_room.clone(), camera_key.clone());
        phase.set(Phase::Starting);
        spawn_local(async move {
            let join_room = move |encodes| {
                let join = JoinAs {
                    room,
                    role: Role::Camera,
                    camera_key: Some(camera_key),
                    chat_only: false,
                    decodes: Vec::new(),
                    encodes,
                };
                RoomLink::open(join, signals, Box::new(|_| {}))
            };
            match Broadcast::start(video, plan, join_room, signals, stats).await {
                Ok(started) => {
                    broadcast.set_value(Some(started));
                    phase.set(Phase::Streaming);
                    cameras.set(list_cameras().await);
                }
                Err(error) => phase.set(Phase::Failed(error)),
            }
        });
    };

    // The frame settings only apply to a fresh stream: restart when they change.
    let restart = start.clone();
    Effect::new(move |previous: Option<()>| {
        device.track();
        resolution.track();
        fps.track();
        if previous.is_some() && phase.get_untracked() == Phase::Streaming {
            stop();
            restart();
        }
    });
    Effect::new(move |_| {
        let settings = LiveSettings {
            quality: quality.get(),
            paused: paused.get(),
        };
        with_present(broadcast, |b| b.update(settings));
    });
    // The pause belongs to the room, not to this page: the server's word sets it, so a
    // page that reconnects or reloads during a pause stays paused.
    Effect::new(move |_| {
        let camera = signals.presence.get().map(|presence| presence.camera);
        match camera {
            Some(CameraStatus::Paused) => paused.set(true),
            Some(CameraStatus::Live) => paused.set(false),
            _ => {}
        }
    });
    // Pausing stops this page's frames at once, before the server confirms.
    let toggle_pause = move |_| {
        let pause = !paused.get_untracked();
        paused.set(pause);
        with_present(broadcast, |b| {
            b.link()
                .socket()
                .send(&ClientMessage::SetPaused { paused: pause })
        });
    };
    // Another camera holds the room, or this one was opened elsewhere: stop streaming.
    Effect::new(move |_| {
        if let LinkStatus::Refused(_) = signals.status.get()
            && phase.get_untracked() == Phase::Streaming
        {
            broadcast.set_value(None);
            phase.set(Phase::Idle);
        }
    });

    let streaming = move || phase.get() == Phase::Streaming;
    // The room's options, as whichever of the page's two links heard them.
    let room_asks = move |option: fn(&nido_shared::Presence) -> bool| {
        [signals.presence, room_signals.presence]
            .iter()
            .any(|presence| presence.with(|p| p.as_ref().is_some_and(option)))
    };
    let problem = move || match (phase.get(), signals.status.get()) {
        (Phase::Failed(error), _) => Some(i18n.t(error.text())),
        (_, LinkStatus::Refused(Some(ErrorCode::CameraBusy))) => {
            Some(i18n.t(Text::CameraBusyElsewhere))
        }
        (_, LinkStatus::Refused(Some(ErrorCode::CameraReplaced))) => {
            Some(i18n.t(Text::CameraReplaced))
        }
        (_, LinkStatus::Refused(Some(ErrorCode::RoomForbidden | ErrorCode::AccessRevoked))) => {
            Some(i18n.t(Text::NoAccess))
        }
        (_, LinkStatus::Refused(_)) => Some(i18n.t(Text::Refused)),
        _ => None,
    };
    let chat = move |request: ChatRequest| with_present(room_link, |l| l.chat(request));
    let may_stream = me.role.is_staff();
    let secure_here = me
        .secure_address
        .as_ref()
        .map(|origin| format!("{origin}/camera/{room}"));
    let start_button = start.clone();

    view! {
        <TopBar room=room.clone()/>
        <main class="room-layout camera-page">
            <section class="stage-column">
                <div class="stage">
                    <video node_ref=video class="picture" data-testid="preview" autoplay muted playsinline
                        class:hidden=move || !streaming()></video>
                    <Show when=move || !streaming()>
                        <div class="stage-overlay">
                            <p class="overlay-hint">{move || problem().unwrap_or(i18n.t(Text::PreviewIdle))}</p>
                            // The camera needs a secure page: offer this one at Nido's https address.
                            {secure_here.clone().map(|href| view! {
                                <Show when=move || phase.get() == Phase::Failed(CameraError::InsecureContext)>
                                    <a class="button primary" href=href.clone() data-testid="open-secure">
                                        {move || i18n.t(Text::OpenSecurely)}
                                    </a>
                                </Show>
                            })}
                        </div>
                    </Show>
                    <Show when=move || streaming() && paused.get()>
                        <div class="stage-overlay paused">
                            <p class="overlay-title">{move || i18n.t(Text::CameraPaused)}</p>
                        </div>
                    </Show>
                </div>
                <div class="stats-row">
                    <Show when=streaming fallback=move || view! {
                        <span class="badge off">{move || i18n.t(Text::CameraOff)}</span>
                        <FamiliesSeeBadge presence=room_signals.presence/>
                    }>
                        <RoomStateBadges status=signals.status presence=signals.presence/>
                    </Show>
                    <span class="stat" data-testid="sent-fps">
                        {move || format!("{} {}", whole_number(stats.get().frames_per_second), i18n.t(Text::FramesPerSecond))}
                    </span>
                    <span class="stat" data-testid="sent-kbps">
                        {move || format!("{} kbit/s {}", whole_number(stats.get().kilobits_per_second), i18n.t(Text::Sent))}
                    </span>
                    <Show when=streaming>
                        <span class="stat" data-testid="sent-codec">
                            {move || match stats.get().vp8 {
                                Some(layers) => format!("VP8 {layers}"),
                                None => "JPEG".to_owned(),
                            }}
                        </span>
                    </Show>
                </div>
                <Show when=move || streaming() && stats.get().vp8.is_some() && stats.get().jpeg>
                    <p class="note" data-testid="also-jpeg">{move || i18n.t(Text::AlsoJpeg)}</p>
                </Show>
                <Show when=move || room_asks(|p| p.watermark)>
                    <p class="note" data-testid="watermarked">{move || i18n.pick(
                        "Las familias ven la imagen con su nombre y la hora encima (marca de agua).",
                        "Families see the picture with their name and the time over it (watermark).",
                    )}</p>
                </Show>
                <Show when=move || room_asks(|p| p.attendance_required)>
                    <p class="note" data-testid="attendance-rule">{move || i18n.pick(
                        "Cada familia ve la imagen solo mientras su peque está registrado en la sala.",
                        "Each family sees the picture only while their child is checked in here.",
                    )}</p>
                </Show>
                <div class="controls card">
                    <div class="buttons">
                        <Show
                            when=move || streaming() || phase.get() == Phase::Starting
                            fallback=move || {
                                let start = start_button.clone();
                                // Families watch; only the room's staff may stream.
                                if !may_stream {
                                    return view! {
                                        <p class="muted" data-testid="staff-only">{move || i18n.t(Text::OnlyStaffStream)}</p>
                                    }.into_any();
                                }
                                view! {
                                    <button type="button" class="primary" data-testid="start"
                                        prop:disabled=move || phase.get() == Phase::Failed(CameraError::InsecureContext)
                                        on:click=move |_| start()>
                                        {move || i18n.t(Text::Start)}
                                    </button>
                                }.into_any()
                            }
                        >
                            <button type="button" class="danger" data-testid="stop" on:click=move |_| stop()>
                                {move || i18n.t(Text::Stop)}
                            </button>
                            <button type="button" class="secondary" data-testid="pause"
                                on:click=toggle_pause>
                                {move || i18n.t(if paused.get() { Text::Resume } else { Text::Pause })}
                            </button>
                        </Show>
                    </div>
                    <Show when=streaming>
                        <p class="control-hint">{move || i18n.t(Text::ControlHint)}</p>
                    </Show>
                    <CameraSettings cameras=cameras device=device resolution=resolution fps=fps quality=quality/>
                </div>
            </section>
            <RoomSidebar
                room=room.clone()
                signals=room_signals
                me=me.clone()
                can_chat=Signal::derive(move || !matches!(room_signals.status.get(), LinkStatus::Refused(_)))
                on_chat=Callback::new(chat)
            />
        </main>
    }
    .into_any()
}
