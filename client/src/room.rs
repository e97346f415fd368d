//! A page's live link to one room: the socket, and signals for its status, presence, chat
//! and the server-clock estimate that both pages show.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use js_sys::ArrayBuffer;
use leptos::prelude::*;
use nido_shared::{ChatLine, ClientMessage, Presence, Role, ServerMessage};

use crate::browser::websocket_url;
use crate::clock::{ClockOffset, now_us};
use crate::socket::{LinkStatus, RoomSocket, SocketEvents};

/// How many chat lines a page keeps on screen.
const CHAT_LINES_KEPT: usize = 200;
/// How often the clock estimate is refreshed.
const TIME_SYNC_EVERY_MS: u32 = 5_000;

/// What a page shows about its room; cheap to copy into views.
#[derive(Debug, Clone, Copy)]
pub struct RoomSignals {
    pub status: RwSignal<LinkStatus>,
    pub presence: RwSignal<Option<Presence>>,
    pub chat: RwSignal<Vec<ChatLine>>,
    pub clock: RwSignal<ClockOffset>,
}

impl RoomSignals {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(LinkStatus::Connecting),
            presence: RwSignal::new(None),
            chat: RwSignal::new(Vec::new()),
            clock: RwSignal::new(ClockOffset::default()),
        }
    }
}

/// Who joins, and how.
pub struct JoinAs {
    pub room: String,
    pub role: Role,
    pub camera_key: Option<String>,
}

/// The open link; dropping it leaves the room.
pub struct RoomLink {
    socket: Rc<RoomSocket>,
    _time_sync: Interval,
}

impl RoomLink {
    pub fn open(join: JoinAs, signals: RoomSignals, on_frame: Box<dyn Fn(ArrayBuffer)>) -> Self {
        let join = ClientMessage::Join {
            room: join.room,
            role: join.role,
            camera_key: join.camera_key,
        };
        // The socket is created before the handlers that answer through it, so they reach it
        // through this slot.
        let slot: Rc<std::cell::OnceCell<std::rc::Weak<RoomSocket>>> = Rc::default();
        let send_time_sync = {
            let slot = Rc::clone(&slot);
            move || {
                if let Some(socket) = slot.get().and_then(std::rc::Weak::upgrade) {
                    socket.send(&ClientMessage::TimeSync {
                        client_time_us: now_us(),
                    });
                }
            }
        };
        let events = SocketEvents {
            on_message: Box::new({
                let send_time_sync = send_time_sync.clone();
                move |message| handle(message, signals, &send_time_sync)
            }),
            on_frame,
            on_status: Box::new(move |status| {
                // Who is watching and whether the camera is live are only known while joined:
                // never show a stale "live" while reconnecting.
                if status != LinkStatus::Joined {
                    signals.presence.set(None);
                }
                signals.status.set(status);
            }),
        };
        let socket = Rc::new(RoomSocket::open(websocket_url(), join, events));
        let _ = slot.set(Rc::downgrade(&socket));
        let time_sync = Interval::new(TIME_SYNC_EVERY_MS, send_time_sync);
        Self {
            socket,
            _time_sync: time_sync,
        }
    }

    pub fn socket(&self) -> &RoomSocket {
        &self.socket
    }

    pub fn send_chat(&self, text: String) {
        self.socket.send(&ClientMessage::Chat { text });
    }
}

fn handle(message: ServerMessage, signals: RoomSignals, send_time_sync: &impl Fn()) {
    match message {
        ServerMessage::Welcome { server_time_us, .. } => {
            signals.clock.update(|clock| clock.guess(server_time_us));
            send_time_sync();
        }
        ServerMessage::Presence(presence) => signals.presence.set(Some(presence)),
        ServerMessage::Chat(line) => signals.chat.update(|lines| {
            if lines.len() == CHAT_LINES_KEPT {
                lines.remove(0);
            }
            lines.push(line);
        }),
        ServerMessage::TimeSync {
            client_time_us,
            server_time_us,
        } => {
            let received = now_us();
            signals
                .clock
                .update(|clock| clock.record(client_time_us, server_time_us, received));
        }
        ServerMessage::Error { code, message } => {
            leptos::logging::warn!("server refused: {code:?}: {message}");
        }
    }
}
