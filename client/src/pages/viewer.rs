//! The family's page: the live picture, its state and delay, who is watching, and the chat;
//! where the room asks for it, the family's watermark over the picture, and while the room
//! ties viewing to attendance and no child of theirs is in, why there is no picture.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use leptos::prelude::*;
use nido_shared::api::Me;
use nido_shared::attendance::ChildToday;
use nido_shared::{CameraStatus, ErrorCode, Role, UserRole};
use wasm_bindgen_futures::spawn_local;

use super::{format_time, log_in_again_when_session_ends, route_room, with_present};
use crate::components::{
    RoomSidebar, RoomStateBadges, TopBar, away_text, camera_status, reconnecting_text, signed_in,
    ticking_clock,
};
use crate::i18n::{Text, use_i18n, whole_number};
use crate::room::{ChatRequest, JoinAs, RoomLink, RoomSignals};
use crate::socket::LinkStatus;
use crate::video::frame_painter::{FramePainter, PaintStats, VideoForm};
use crate::video::support::decodable_codecs;

const STATS_EVERY_MS: u32 = 500;

#[component]
pub fn ViewerPage() -> impl IntoView {
    signed_in(viewer_page)
}

fn viewer_page(me: Me) -> AnyView {
    let room = route_room();
    let i18n = use_i18n();
    let signals = RoomSignals::new();
    log_in_again_when_session_ends(signals);
    let stats = RwSignal::new(PaintStats::default());
    let showing = RwSignal::new(false);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let stage = NodeRef::<leptos::html::Div>::new();
    // Owned by this page: dropped, and so closed and stopped, when it unmounts.
    let painter = StoredValue::new_local(None::<Rc<FramePainter>>);
    let link = StoredValue::new_local(None::<RoomLink>);
    let stats_timer = StoredValue::new_local(None::<Interval>);

    let family = me.role == UserRole::Family;
    let name = me.display_name.to_string();
    let join_room = room.clone();
    Effect::new(move |_| {
        let Some(canvas) = canvas.get() else { return };
        if painter.with_value(Option::is_some) {
            return;
        }
        let Some(new_painter) = FramePainter::new(canvas, signals.clock, showing) else {
            return;
        };
        let receiver = Rc::clone(&new_painter);
        painter.set_value(Some(new_painter));
        let room = join_room.clone();
        // The browser is asked what it decodes first: the join tells the server.
        spawn_local(async move {
            let join = JoinAs {
                room,
                role: Role::Viewer,
                camera_key: None,
                chat_only: false,
                decodes: decodable_codecs().await,
                encodes: None,
            };
            let opened = RoomLink::open(
                join,
                signals,
                Box::new(move |frame| receiver.receive(&frame)),
            );
            // Gone if the page was left meanwhile: the link is dropped, and closes, here.
            let _ = link.try_set_value(Some(opened));
        });
        stats_timer.set_value(Some(Interval::new(STATS_EVERY_MS, move || {
            with_present(painter, |p| stats.set(p.stats()));
        })));
    });

    let room_asks = move |option: fn(&nido_shared::Presence) -> bool| {
        family && signals.presence.with(|p| p.as_ref().is_some_and(option))
    };
    // The room ties viewing to attendance and no child of this family is in: their day.
    let away = move || -> Option<Vec<ChildToday>> {
        let children = signals.children.get();
        let in_now = children.iter().any(|child| child.today().is_in());
        (room_asks(|p| p.attendance_required) && !in_now).then_some(children)
    };
    let watermarked = move || room_asks(|p| p.watermark);

    // Not live, not connected, or not this family's time: blank the picture at once rather
    // than freeze it.
    Effect::new(move |_| {
        let live = camera_status(signals.presence.get()) == CameraStatus::Live
            && signals.status.get() == LinkStatus::Joined
            && away().is_none();
        if !live {
            with_present(painter, |p| p.clear());
            stats.set(PaintStats::default());
        }
    });

    let now = ticking_clock();
    // Set before the first picture is drawn, and its time kept current.
    Effect::new(move |_| {
        let text = watermarked().then(|| format!("{name} · {}", format_time(i18n, now.get())));
        with_present(painter, |p| p.set_watermark(text));
    });
    let overlay = move || {
        let presence = signals.presence.get();
        let opens_at = presence.as_ref().and_then(|p| p.opens_at);
        let text = |text: Text| i18n.t(text).to_owned();
        let (title, hint) = match (signals.status.get(), camera_status(presence)) {
            (LinkStatus::Refused(Some(ErrorCode::RoomForbidden | ErrorCode::AccessRevoked)), _) => {
                (text(Text::NoAccess), None)
            }
            (LinkStatus::Refused(_), _) => (text(Text::Refused), None),
            (LinkStatus::Connecting, _) => (text(Text::Connecting), None),
            (LinkStatus::Reconnecting { retry_at }, _) => {
                return Some(
                    view! {
                        <div class="stage-overlay" data-testid="stage-overlay">
                            <p class="overlay-title">{move || reconnecting_text(i18n, retry_at, now.get())}</p>
                        </div>
                    }
                    .into_any(),
                );
            }
            (_, CameraStatus::Off) => (text(Text::CameraOff), Some(text(Text::CameraOffHint))),
            (_, CameraStatus::Paused) => {
                (text(Text::CameraPaused), Some(text(Text::CameraPausedHint)))
            }
            (_, CameraStatus::Closed) => (text(Text::CameraClosed), Some(i18n.opening(opens_at))),
            (_, CameraStatus::Live) => match away() {
                Some(children) => (away_text(i18n, &children), Some(text(Text::AttendanceHint))),
                None if !showing.get() => (text(Text::WaitingForPicture), None),
                None => return None,
            },
        };
        Some(
            view! {
                <div class="stage-overlay" data-testid="stage-overlay">
                    <p class="overlay-title">{title}</p>
                    {hint.map(|hint| view! { <p class="overlay-hint">{hint}</p> })}
                </div>
            }
            .into_any(),
        )
    };

    let fullscreen = move |_| {
        if let Some(stage) = stage.get() {
            crate::browser::toggle_fullscreen(&stage);
        }
    };

    let chat = move |request: ChatRequest| with_present(link, |l| l.chat(request));

    view! {
        <TopBar room=room.clone()/>
        <main class="room-layout">
            <section class="stage-column">
                <div class="stage" node_ref=stage>
                    <canvas node_ref=canvas data-testid="picture" class="picture"></canvas>
                    {overlay}
                    <button type="button" class="fullscreen" on:click=fullscreen
                        title=move || i18n.t(Text::Fullscreen) aria-label=move || i18n.t(Text::Fullscreen)>
                        <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" fill="none"
                            stroke="currentColor" stroke-width="2" stroke-linecap="round">
                            <path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5"/>
                        </svg>
                    </button>
                </div>
                <div class="stats-row">
                    <RoomStateBadges status=signals.status presence=signals.presence/>
                    <span class="stat" data-testid="fps">
                        {move || format!("{} {}", whole_number(stats.get().frames_per_second), i18n.t(Text::FramesPerSecond))}
                    </span>
                    <span class="stat" data-testid="latency">
                        {move || match stats.get().latency_ms {
                            Some(ms) => format!("{} {} ms", i18n.t(Text::Delay), whole_number(ms)),
                            None => format!("{} –", i18n.t(Text::Delay)),
                        }}
                    </span>
                    <span class="stat" data-testid="received">
                        {move || {
                            let stats = stats.get();
                            let form = match stats.form {
                                Some(VideoForm::Vp8) => "VP8",
                                Some(VideoForm::Jpeg) => "JPEG",
                                None => "–",
                            };
                            format!("{form} · {} kbit/s", whole_number(stats.kilobits_per_second))
                        }}
                    </span>
                    // Only a layered stream has layers to leave out.
                    <label class="stat toggle" title=move || i18n.t(Text::DataSaverHint)
                        hidden=move || stats.get().form != Some(VideoForm::Vp8)>
                        <input type="checkbox" data-testid="data-saver"
                            prop:checked=move || signals.data_saver.get()
                            on:change=move |event| {
                                let on = event_target_checked(&event);
                                with_present(link, |l| l.set_data_saver(on));
                            }/>
                        {move || i18n.t(Text::DataSaver)}
                    </label>
                </div>
                <p class="watermark-note" data-testid="watermark-note" hidden=move || !watermarked()>
                    {move || i18n.t(Text::WatermarkNote)}
                </p>
            </section>
            <RoomSidebar
                room=room.clone()
                signals=signals
                me=me.clone()
                can_chat=Signal::derive(move || !matches!(signals.status.get(), LinkStatus::Refused(_)))
                on_chat=Callback::new(chat)
            />
        </main>
    }
    .into_any()
}
