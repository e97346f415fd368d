//! A page's live link to one room: the socket, and signals for its status, presence, chat
//! (the room's, and the private thread open beside it) and the server-clock estimate that
//! both pages show.

use std::cell::Cell;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use js_sys::ArrayBuffer;
use leptos::prelude::*;
use nido_shared::attendance::ChildToday;
use nido_shared::{
    ClientMessage, MutedMember, Presence, Role, ServerMessage, ThreadState, Timestamp, UserId,
    VideoCodec,
};

use crate::browser::{random_token, remember, remembered, websocket_url};
use crate::chat_log::ChatLog;
use crate::clock::{self, ClockOffset, RoundTrip};
use crate::socket::{LinkStatus, RoomSocket, SocketEvents};

/// Where this browser remembers the viewer's data-saver choice.
const DATA_SAVER_KEY: &str = "nido.data_saver";

/// How often the clock estimate is refreshed.
const TIME_SYNC_EVERY_MS: u32 = 5_000;

/// What a page shows about its room; cheap to copy into views.
#[derive(Debug, Clone, Copy)]
pub struct RoomSignals {
    pub status: RwSignal<LinkStatus>,
    pub presence: RwSignal<Option<Presence>>,
    pub chat: RwSignal<ChatLog>,
    pub clock: RwSignal<ClockOffset>,
    /// Until when this person may not chat here (server time), if staff muted them.
    pub muted_until: RwSignal<Option<Timestamp>>,
    /// For staff: who is muted here.
    pub mutes: RwSignal<Vec<MutedMember>>,
    /// For a camera sending chunks: whether a viewer needs JPEG frames as well.
    pub jpeg_wanted: RwSignal<bool>,
    /// For a camera sending chunks: how many keyframes the server asked for.
    pub keyframes_asked: RwSignal<u64>,
    /// For a viewer: only the base layer of a layered stream (remembered in this browser).
    pub data_saver: RwSignal<bool>,
    /// For a family in a room that ties viewing to attendance: its children there today.
    pub children: RwSignal<Vec<ChildToday>>,
    /// The private threads this person reads here, newest message first.
    pub threads: RwSignal<Vec<ThreadState>>,
    /// The private thread open beside the room's chat (named by its family account).
    pub thread: RwSignal<Option<UserId>>,
    /// The open thread's messages.
    pub thread_chat: RwSignal<ChatLog>,
}

impl RoomSignals {
    pub fn new() -> Self {
        Self {
            status: RwSignal::new(LinkStatus::Connecting),
            presence: RwSignal::new(None),
            chat: RwSignal::new(ChatLog::default()),
            clock: RwSignal::new(ClockOffset::default()),
            muted_until: RwSignal::new(None),
            mutes: RwSignal::new(Vec::new()),
            jpeg_wanted: RwSignal::new(false),
            keyframes_asked: RwSignal::new(0),
            data_saver: RwSignal::new(remembered(DATA_SAVER_KEY).is_some_and(|on| on == "on")),
            children: RwSignal::new(Vec::new()),
            threads: RwSignal::new(Vec::new()),
            thread: RwSignal::new(None),
            thread_chat: RwSignal::new(ChatLog::default()),
        }
    }

    /// The log of a conversation: the room's chat, the open thread, or none (a thread not
    /// open here, whose state the server tells apart).
    fn log_of(self, thread: Option<UserId>) -> Option<RwSignal<ChatLog>> {
        match thread {
            None => Some(self.chat),
            Some(thread) => {
                (self.thread.get_untracked() == Some(thread)).then_some(self.thread_chat)
            }
        }
    }

    /// The open thread's state, if one is open.
    pub fn open_thread_state(self) -> Option<ThreadState> {
        let open = self.thread.get()?;
        self.threads
            .with(|threads| threads.iter().find(|state| state.thread == open).cloned())
    }
}

/// Who joins, and how.
pub struct JoinAs {
    pub room: String,
    pub role: Role,
    pub camera_key: Option<String>,
    /// A viewer for the chat and presence only, without video.
    pub chat_only: bool,
    /// A viewer's codecs beside JPEG.
    pub decodes: Vec<VideoCodec>,
    /// A camera's codec for chunks.
    pub encodes: Option<VideoCodec>,
}

/// The open link; dropping it leaves the room.
pub struct RoomLink {
    socket: Rc<RoomSocket>,
    signals: RoomSignals,
    /// A camera's codec for chunks, as every join (also after a reconnect) says it.
    encodes: Rc<Cell<Option<VideoCodec>>>,
    _time_sync: Interval,
}

impl RoomLink {
    pub fn open(join: JoinAs, signals: RoomSignals, on_frame: Box<dyn Fn(ArrayBuffer)>) -> Self {
        let encodes = Rc::new(Cell::new(join.encodes));
        let joins_encoding = Rc::clone(&encodes);
        let join = Box::new(move || ClientMessage::Join {
            room: join.room.clone(),
            role: join.role,
            camera_key: join.camera_key.clone(),
            after_seq: signals.chat.with_untracked(ChatLog::last_seq),
            chat_only: join.chat_only,
            decodes: join.decodes.clone(),
            encodes: joins_encoding.get(),
        });
        // The socket is created before the handlers that answer through it, so they reach it
        // through this slot.
        let slot: Rc<std::cell::OnceCell<std::rc::Weak<RoomSocket>>> = Rc::default();
        let send = {
            let slot = Rc::clone(&slot);
            move |message: &ClientMessage| {
                if let Some(socket) = slot.get().and_then(std::rc::Weak::upgrade) {
                    socket.send(message);
                }
            }
        };
        let send_time_sync = {
            let send = send.clone();
            move || {
                send(&ClientMessage::TimeSync {
                    client_time_us: clock::now(),
                })
            }
        };
        let events = SocketEvents {
            on_message: Box::new(move |message| handle(message, signals, &send)),
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
            signals,
            encodes,
            _time_sync: time_sync,
        }
    }

    pub fn socket(&self) -> &RoomSocket {
        &self.socket
    }

    /// Carries out what the chat panel asks, in the conversation it shows: a message is kept
    /// as pending until the server acknowledges it, and sent again after a reconnect.
    pub fn chat(&self, request: ChatRequest) {
        let signals = self.signals;
        let thread = signals.thread.get_untracked();
        let log = signals.log_of(thread).unwrap_or(signals.chat);
        let message = match request {
            ChatRequest::Send(text) => {
                let id = random_token();
                log.update(|log| log.queue(id.clone(), text.clone()));
                ClientMessage::Chat { id, text, thread }
            }
            ChatRequest::Retry(id) => {
                let Some(pending) = log.try_update(|log| log.retry(&id)).flatten() else {
                    return;
                };
                ClientMessage::Chat {
                    id: pending.id,
                    text: pending.text,
                    thread,
                }
            }
            ChatRequest::Older => {
                let Some(before_seq) = log.try_update(ChatLog::ask_for_older).flatten() else {
                    return;
                };
                ClientMessage::OlderChat { before_seq, thread }
            }
            ChatRequest::Delete(seq) => ClientMessage::DeleteChat { seq, thread },
            ChatRequest::Mute { user_id, minutes } => ClientMessage::Mute { user_id, minutes },
            ChatRequest::Unmute(user_id) => ClientMessage::Unmute { user_id },
            ChatRequest::Open(open) => {
                if open == thread {
                    return;
                }
                signals.thread.set(open);
                signals.thread_chat.set(ChatLog::default());
                let Some(open) = open else {
                    return;
                };
                self.socket.send(&ClientMessage::OpenThread {
                    thread: open,
                    after_seq: None,
                });
                read_if_unread(signals, &|message| self.socket.send(message));
                return;
            }
        };
        self.socket.send(&message);
    }

    /// A camera whose encoder failed for good: from now on it sends JPEG only, and says so
    /// (now, and in its joins after a reconnect).
    pub fn send_jpeg_only(&self) {
        self.encodes.set(None);
        self.socket.send(&ClientMessage::JpegOnly {});
    }

    /// A viewer's choice of the base layer only, remembered in this browser.
    pub fn set_data_saver(&self, on: bool) {
        self.signals.data_saver.set(on);
        remember(DATA_SAVER_KEY, if on { "on" } else { "off" });
        self.socket.send(&ClientMessage::SetDataSaver { on });
    }
}

/// What the chat panel can ask of the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatRequest {
    Send(String),
    /// Send a failed message again.
    Retry(String),
    /// Load the page before the oldest message shown.
    Older,
    /// Staff: delete a message for everyone.
    Delete(u64),
    /// Staff: mute a family member in this room.
    Mute {
        user_id: UserId,
        minutes: u32,
    },
    /// Staff: let a muted family member chat again.
    Unmute(UserId),
    /// Show a private thread beside the room's chat (`None`: the room's chat only).
    Open(Option<UserId>),
}

fn handle(message: ServerMessage, signals: RoomSignals, send: &impl Fn(&ClientMessage)) {
    match message {
        ServerMessage::Welcome { server_time_us, .. } => {
            signals.clock.update(|clock| clock.guess(server_time_us));
            // A camera's new connection starts its stream from a keyframe: the server
            // drops the chunks that depend on what the old one sent.
            signals.keyframes_asked.update(|asked| *asked += 1);
            // Each connection starts without the data saver.
            if signals.data_saver.get_untracked() {
                send(&ClientMessage::SetDataSaver { on: true });
            }
            send(&ClientMessage::TimeSync {
                client_time_us: clock::now(),
            });
            // What was not acknowledged before the connection dropped goes again; the
            // server keeps only one copy of each.
            let open = signals.thread.get_untracked();
            let mut conversations = vec![(None, signals.chat)];
            if open.is_some() {
                conversations.push((open, signals.thread_chat));
            }
            for (thread, log) in conversations {
                for pending in log.with_untracked(ChatLog::unacknowledged) {
                    send(&ClientMessage::Chat {
                        id: pending.id,
                        text: pending.text,
                        thread,
                    });
                }
            }
            // The open thread continues where it was.
            if let Some(thread) = open {
                send(&ClientMessage::OpenThread {
                    thread,
                    after_seq: signals.thread_chat.with_untracked(ChatLog::last_seq),
                });
            }
        }
        ServerMessage::Presence(presence) => signals.presence.set(Some(presence)),
        ServerMessage::Chat(line) => {
            if let Some(log) = signals.log_of(line.thread) {
                log.update(|log| log.add(line));
            }
        }
        ServerMessage::ChatBacklog {
            lines,
            has_older,
            replace,
            deleted,
            thread,
        } => {
            if let Some(log) = signals.log_of(thread) {
                log.update(|log| log.apply_backlog(lines, has_older, replace, &deleted));
            }
        }
        ServerMessage::OlderChat {
            lines,
            has_older,
            thread,
        } => {
            if let Some(log) = signals.log_of(thread) {
                log.update(|log| log.add_older(lines, has_older));
            }
        }
        ServerMessage::ChatDeleted { seq, thread } => {
            if let Some(log) = signals.log_of(thread) {
                log.update(|log| log.remove(seq));
            }
        }
        ServerMessage::Threads { threads, replace } => {
            signals.threads.update(|known| {
                if replace {
                    known.clear();
                }
                // Newest message first, as the server lists them.
                for state in threads {
                    known.retain(|old| old.thread != state.thread);
                    let place = known
                        .iter()
                        .position(|other| other.last_at_us <= state.last_at_us)
                        .unwrap_or(known.len());
                    known.insert(place, state);
                }
            });
            read_if_unread(signals, send);
        }
        ServerMessage::MuteState { until_us } => signals.muted_until.set(until_us),
        ServerMessage::Mutes { muted } => signals.mutes.set(muted),
        ServerMessage::VideoDemand { jpeg } => signals.jpeg_wanted.set(jpeg),
        ServerMessage::KeyframeRequest {} => signals.keyframes_asked.update(|asked| *asked += 1),
        ServerMessage::Attendance(children) => signals.children.set(children),
        ServerMessage::TimeSync {
            client_time_us,
            server_time_us,
        } => {
            let trip = RoundTrip {
                sent: client_time_us,
                server: server_time_us,
                received: clock::now(),
            };
            signals.clock.update(|clock| clock.record(trip));
        }
        ServerMessage::Error(error) => {
            if let Some(id) = &error.chat_id {
                for log in [signals.chat, signals.thread_chat] {
                    log.update(|log| log.fail(id));
                }
            }
            leptos::logging::warn!("server refused: {error}");
        }
    }
}

/// While a thread is open here, what arrives in it is read: the server hears so when it
/// counts messages this person has not read.
fn read_if_unread(signals: RoomSignals, send: &impl Fn(&ClientMessage)) {
    let unread = signals.thread.with_untracked(|open| {
        let open = (*open)?;
        signals.threads.with_untracked(|threads| {
            threads
                .iter()
                .find(|state| state.thread == open && state.unread > 0)
                .map(|state| (open, state.last_seq))
        })
    });
    if let Some((thread, seq)) = unread {
        send(&ClientMessage::ReadThread { thread, seq });
    }
}
