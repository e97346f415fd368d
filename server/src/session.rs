//! One WebSocket connection: a reader loop that checks and handles what the client sends,
//! and one writer task that owns the sending half and sends, in order of priority, close
//! requests, control messages (chat, presence, errors), the newest video frame and pings.

use std::num::NonZeroU32;
use std::pin::{Pin, pin};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use nido_shared::api::SecurityEventKind;
use nido_shared::limits::{MAX_CHAT_CHARS, MAX_TEXT_MESSAGE_BYTES};
use nido_shared::{
    CameraKey, CameraStatus, ClientMessage, ErrorCode, FrameError, FrameHeader, Limits, Role,
    RoomId, ServerMessage, UserRole,
};
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, interval_at, timeout};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tokio_util::task::AbortOnDropHandle;

use crate::access;
use crate::auth::{Authenticated, Peer};
use crate::chat::{ChatResult, Chatter};
use crate::frame_slot::{FrameSlot, RelayedFrame};
use crate::hub::{JoinError, JoinRequest, Membership};
use crate::metrics::Metrics;
use crate::open_sockets::SocketEntry;
use crate::outbox::{Outbox, Outgoing, PresenceUpdate};
use crate::state::AppState;
use crate::store::{EventDetails, NewViewing, RoomRow, StoreError};
use crate::viewing_record::ViewingRecord;
use crate::websocket::{FrameWriter, MessageStream, Outgoing as Frame, Socket};

/// How long a closing connection may take to deliver its close frame and hear the reply.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// JSON messages: a steady 10 a second with bursts of 20.
const TEXT_RATE: NonZeroU32 = NonZeroU32::new(10).unwrap();
const TEXT_BURST: NonZeroU32 = NonZeroU32::new(20).unwrap();
/// At most one presence message per connection in this time: the newest goes, the ones it
/// replaced never do.
const PRESENCE_EVERY: Duration = Duration::from_millis(200);
/// Video frames: twice the fastest camera setting (30 fps), with a second's burst.
const FRAME_RATE: NonZeroU32 = NonZeroU32::new(60).unwrap();

const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_INVALID_DATA: u16 = 1007;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;
const CLOSE_SERVER_ERROR: u16 = 1011;

/// Runs one connection of a logged-in person until it closes.
pub async fn run(socket: Socket, state: AppState, auth: Authenticated, peer: Peer) {
    let Socket { messages, writer } = socket;
    let _counted = state.metrics.connection_opened(auth.user.role);
    let (outbox, received) = Outbox::new();
    let limit = state.config.max_sockets_per_account;
    let registered = state.sockets.register(
        auth.user.id,
        auth.session_id,
        auth.expires_at_us,
        outbox.clone(),
        usize::try_from(limit).unwrap_or(usize::MAX),
    );
    // Cancelled when the writer stops: nothing more will be sent, so the reader only
    // waits for the client's close reply.
    let writer_done = CancellationToken::new();
    let writing = write_loop(
        writer,
        received.queue,
        received.presence,
        Interrupts::new(&state.shutdown, received.evicted),
        state.config.ping_interval(),
        state.metrics.clone(),
        writer_done.clone(),
    );
    let Ok(socket_entry) = registered else {
        outbox.push_error(
            ErrorCode::TooManyConnections,
            format!("at most {limit} connections per account; close another tab or device"),
            Some(CLOSE_POLICY),
        );
        let _ = timeout(CLOSE_GRACE, writing).await;
        return;
    };
    // The writer is a task of its own: polled together with the reader, every frame sent
    // would also poll the reader, and tungstenite prepares its read buffer on each poll.
    let mut writer = AbortOnDropHandle::new(tokio::spawn(writing));
    let connection = Connection {
        limits: ConnectionLimits::new(),
        state,
        outbox,
        account: auth,
        client_addr: peer.ip.to_string(),
        socket_entry,
        membership: None,
        viewing: None,
    };
    let mut reader = pin!(read_loop(messages, connection, writer_done));

    tokio::select! {
        () = &mut reader => { let _ = timeout(CLOSE_GRACE, &mut writer).await; }
        _ = &mut writer => { let _ = timeout(CLOSE_GRACE, &mut reader).await; }
    }
}

/// What makes the writer stop whatever it is doing and close. The waits are made once and
/// polled again on every round of the writer, so a round does not register and unregister
/// two waiters.
struct Interrupts {
    shutdown: Pin<Box<WaitForCancellationFutureOwned>>,
    evicted: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl Interrupts {
    fn new(shutdown: &CancellationToken, evicted: CancellationToken) -> Self {
        Self {
            shutdown: Box::pin(shutdown.clone().cancelled_owned()),
            evicted: Box::pin(evicted.cancelled_owned()),
        }
    }

    /// Resolves with the close to send once either has fired (and again at once after).
    async fn fired(&mut self) -> (u16, &'static str) {
        tokio::select! {
            biased;
            () = &mut self.shutdown => (CLOSE_GOING_AWAY, ErrorCode::ShuttingDown.as_str()),
            () = &mut self.evicted => (CLOSE_POLICY, ErrorCode::TooSlow.as_str()),
        }
    }
}

enum WriterStep {
    Send(Frame),
    /// A video frame, and how many newer ones replaced others before this viewer was ready.
    Video(RelayedFrame, u64),
    Close(u16, &'static str),
    Stop,
}

async fn write_loop(
    mut writer: FrameWriter,
    mut queue: mpsc::Receiver<Outgoing>,
    mut presence: watch::Receiver<Option<PresenceUpdate>>,
    mut interrupts: Interrupts,
    ping_every: Duration,
    metrics: Metrics,
    done: CancellationToken,
) {
    let _done = done.drop_guard();
    let mut frames: Option<FrameSlot> = None;
    let mut ping = interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut next_presence_at = Instant::now();
    let mut presence_pending = false;
    let mut camera_told = None;

    loop {
        let step = tokio::select! {
            biased;
            (code, reason) = interrupts.fired() => WriterStep::Close(code, reason),
            reply = writer.next_reply() => WriterStep::Send(Frame::Reply(reply)),
            outgoing = queue.recv() => match outgoing {
                Some(Outgoing::Text(text)) => WriterStep::Send(Frame::Text(text)),
                Some(Outgoing::WatchFrames(slot)) => {
                    frames = Some(slot);
                    continue;
                }
                Some(Outgoing::Close(code, reason)) => WriterStep::Close(code, reason),
                None => WriterStep::Stop,
            },
            update = newest_presence(
                &mut presence,
                &mut presence_pending,
                next_presence_at,
                camera_told,
            ) => {
                next_presence_at = Instant::now() + PRESENCE_EVERY;
                camera_told = Some(update.camera);
                WriterStep::Send(Frame::Text(update.text))
            }
            (frame, skipped) = next_frame(&mut frames) => WriterStep::Video(frame, skipped),
            _ = ping.tick() => WriterStep::Send(Frame::Ping),
        };
        match step {
            WriterStep::Send(message) => {
                let text_bytes = match &message {
                    Frame::Text(text) => text.len(),
                    _ => 0,
                };
                if !send_unless_interrupted(&mut writer, message, &mut interrupts).await {
                    return;
                }
                metrics.text_sent(text_bytes);
            }
            WriterStep::Video(frame, skipped) => {
                writer.fit_send_buffer(frame.bytes_per_second);
                let bytes = frame.message.payload().len();
                let message = Frame::Binary(frame.message);
                if !send_unless_interrupted(&mut writer, message, &mut interrupts).await {
                    return;
                }
                metrics.frame_sent(bytes, frame.received_at, skipped);
            }
            WriterStep::Close(code, reason) => {
                let _ = timeout(CLOSE_GRACE, writer.send(Frame::Close(code, reason))).await;
                return;
            }
            WriterStep::Stop => return,
        }
    }
}

/// Sends, unless shutdown or eviction comes first: a send to a client that stopped reading
/// can wait forever, and those must still get through. False when the connection is gone.
async fn send_unless_interrupted(
    writer: &mut FrameWriter,
    message: Frame,
    interrupts: &mut Interrupts,
) -> bool {
    tokio::select! {
        biased;
        sent = writer.send(message) => sent.is_ok(),
        _ = interrupts.fired() => true,
    }
}

/// The newest presence not sent yet: at once when it tells a camera state other than
/// `camera_told` (so no frame ever arrives before the "live" that allows it), else no sooner
/// than `not_before`; never resolves while there is none. `pending` remembers, across
/// cancellations, that a change was seen and not sent yet.
async fn newest_presence(
    presence: &mut watch::Receiver<Option<PresenceUpdate>>,
    pending: &mut bool,
    not_before: Instant,
    camera_told: Option<CameraStatus>,
) -> PresenceUpdate {
    loop {
        if !*pending {
            if presence.changed().await.is_err() {
                return std::future::pending().await;
            }
            *pending = true;
        }
        let camera_changed = presence
            .borrow()
            .as_ref()
            .is_some_and(|update| Some(update.camera) != camera_told);
        if camera_changed || Instant::now() >= not_before {
            *pending = false;
            if let Some(update) = presence.borrow_and_update().clone() {
                return update;
            }
            continue;
        }
        // Held: wake when it is time, or when a newer one may tell another camera state.
        tokio::select! {
            () = tokio::time::sleep_until(not_before) => {}
            changed = presence.changed() => {
                if changed.is_err() {
                    return std::future::pending().await;
                }
            }
        }
    }
}

/// The newest frame not yet sent; never resolves while there is nothing to watch.
async fn next_frame(slot: &mut Option<FrameSlot>) -> (RelayedFrame, u64) {
    loop {
        let Some(watching) = slot else {
            return std::future::pending().await;
        };
        match watching.next().await {
            Some(next) => return next,
            None => *slot = None,
        }
    }
}

async fn read_loop(
    mut stream: MessageStream,
    mut connection: Connection,
    writer_done: CancellationToken,
) {
    let idle_timeout = connection.state.config.idle_timeout();
    let mut closing = false;
    loop {
        let wait = if closing { CLOSE_GRACE } else { idle_timeout };
        let next = tokio::select! {
            biased;
            () = writer_done.cancelled(), if !closing => {
                closing = true;
                connection.leave();
                continue;
            }
            next = timeout(wait, stream.next()) => next,
        };
        let message = match next {
            Ok(Some(Ok(message))) => message,
            Err(_idle) if !closing => {
                connection.close(CLOSE_GOING_AWAY, "idle_timeout");
                closing = true;
                continue;
            }
            Ok(Some(Err(error))) if !closing && is_over_capacity(&error) => {
                connection.fail(
                    ErrorCode::MessageTooLarge,
                    "the message is larger than the server accepts",
                    CLOSE_TOO_BIG,
                );
                return;
            }
            Err(_) | Ok(None | Some(Err(_))) => return,
        };
        if closing {
            if matches!(message, Message::Close(_)) {
                return;
            }
            continue;
        }
        let flow = match message {
            Message::Text(text) => connection.on_text(text.as_str()).await,
            Message::Binary(bytes) => connection.on_binary(bytes),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => Flow::Continue,
            Message::Close(_) => {
                // Tungstenite has queued the reply the protocol asks for; flushing hands
                // it to the writer.
                let _ = futures_util::SinkExt::flush(&mut stream).await;
                return;
            }
        };
        if flow == Flow::Closing {
            closing = true;
        }
    }
}

fn is_over_capacity(error: &tungstenite::Error) -> bool {
    matches!(error, tungstenite::Error::Capacity(_))
}

/// Whether to keep handling the client's messages after one.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Closing,
}

/// How fast a connection may send.
struct ConnectionLimits {
    text: DefaultDirectRateLimiter,
    frames: DefaultDirectRateLimiter,
}

impl ConnectionLimits {
    fn new() -> Self {
        Self {
            text: RateLimiter::direct(Quota::per_second(TEXT_RATE).allow_burst(TEXT_BURST)),
            frames: RateLimiter::direct(Quota::per_second(FRAME_RATE)),
        }
    }
}

/// The reader's view of the connection: whose it is, its room membership and its limits.
struct Connection {
    state: AppState,
    outbox: Outbox,
    /// The session the upgrade was made with, as it was then.
    account: Authenticated,
    client_addr: String,
    /// Lets revocation, logout and expiry find and close this socket.
    socket_entry: SocketEntry,
    membership: Option<Membership>,
    /// What the account was admitted as when it joined.
    /// The admission, and the viewing log's record of it (none for a chat-only join).
    viewing: Option<(Admission, Option<ViewingRecord>)>,
    limits: ConnectionLimits,
}

/// What a join was admitted as, read from the database at that moment.
struct Admission {
    user_role: UserRole,
    room: RoomRow,
    /// For family: the chat they may read starts when they were given the room.
    chat_visible_from_us: Option<i64>,
}

/// Why a join was not admitted.
enum Refusal {
    Forbidden,
    SessionEnded,
    Store(StoreError),
}

impl From<StoreError> for Refusal {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

impl Connection {
    fn leave(&mut self) {
        self.membership = None;
        self.viewing = None;
    }

    fn close(&mut self, code: u16, reason: &'static str) {
        self.leave();
        self.outbox.push(Outgoing::Close(code, reason));
    }

    /// Refuses what the client sent, tells it why and closes: continuing makes no sense.
    fn fail(&mut self, code: ErrorCode, message: impl Into<String>, close_code: u16) -> Flow {
        self.leave();
        self.outbox.push_error(code, message, Some(close_code));
        Flow::Closing
    }

    /// Refuses what the client sent and carries on.
    fn refuse(&self, code: ErrorCode, message: impl Into<String>) -> Flow {
        self.outbox.push_error(code, message, None);
        Flow::Continue
    }

    async fn on_text(&mut self, text: &str) -> Flow {
        if text.len() > MAX_TEXT_MESSAGE_BYTES {
            return self.fail(
                ErrorCode::MessageTooLarge,
                format!("text messages are limited to {MAX_TEXT_MESSAGE_BYTES} bytes"),
                CLOSE_TOO_BIG,
            );
        }
        if self.limits.text.check().is_err() {
            return self.refuse(
                ErrorCode::RateLimited,
                "too many messages; this one was dropped",
            );
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                return self.fail(
                    ErrorCode::MalformedMessage,
                    format!("not a valid message: {error}"),
                    CLOSE_INVALID_DATA,
                );
            }
        };
        match (message, &self.membership) {
            (ClientMessage::Unknown, _) => self.refuse(
                ErrorCode::UnknownMessageType,
                "this server does not know that message type",
            ),
            (
                ClientMessage::Join {
                    room,
                    role,
                    camera_key,
                    after_seq,
                    chat_only,
                },
                None,
            ) => {
                let chat_only = chat_only && role == Role::Viewer;
                self.join(room, role, camera_key, after_seq, chat_only)
                    .await
            }
            (ClientMessage::Join { .. }, Some(_)) => self.refuse(
                ErrorCode::AlreadyJoined,
                "this connection already joined a room",
            ),
            (_, None) => self.fail(ErrorCode::NotJoined, "join a room first", CLOSE_POLICY),
            (ClientMessage::Chat { id, text }, Some(_)) => {
                let result = self.chatter().send(id, text).await;
                self.chat_outcome(result)
            }
            (ClientMessage::OlderChat { before_seq }, Some(_)) => {
                let result = self.chatter().send_older(before_seq).await;
                self.chat_outcome(result)
            }
            (ClientMessage::DeleteChat { seq }, Some(_)) => {
                let result = self.chatter().delete(seq).await;
                self.chat_outcome(result)
            }
            (ClientMessage::Mute { user_id, minutes }, Some(_)) => {
                let result = self.chatter().mute(user_id, minutes).await;
                self.chat_outcome(result)
            }
            (ClientMessage::Unmute { user_id }, Some(_)) => {
                let result = self.chatter().unmute(user_id).await;
                self.chat_outcome(result)
            }
            (ClientMessage::SetPaused { paused }, Some(membership)) => {
                let staff = self
                    .viewing
                    .as_ref()
                    .is_some_and(|(admitted, _)| access::may_pause(admitted.user_role));
                if !staff {
                    return self.fail(
                        ErrorCode::NotStaff,
                        "only the room's staff can pause its camera",
                        CLOSE_POLICY,
                    );
                }
                let room = membership.room().clone();
                match self.state.store.set_paused(&room, paused).await {
                    Ok(policy) => {
                        self.state.hub.offer_policy(&room, policy);
                        Flow::Continue
                    }
                    Err(error) => self.server_error(&error),
                }
            }
            (ClientMessage::TimeSync { client_time_us }, Some(_)) => {
                self.outbox.push_message(&ServerMessage::TimeSync {
                    client_time_us,
                    server_time_us: self.state.clock.protocol_now_us(),
                });
                Flow::Continue
            }
        }
    }

    /// This connection's side of its room's chat; only called once joined.
    fn chatter(&self) -> Chatter<'_> {
        let membership = self.membership.as_ref().expect("joined");
        Chatter {
            state: &self.state,
            membership,
            outbox: &self.outbox,
            user_id: self.account.user.id,
            user_role: self
                .viewing
                .as_ref()
                .map_or(self.account.user.role, |(admitted, _)| admitted.user_role),
            visible_from_us: self
                .viewing
                .as_ref()
                .and_then(|(admitted, _)| admitted.chat_visible_from_us),
            client_addr: &self.client_addr,
        }
    }

    /// Answers a refused chat request, closing when it showed a broken or hostile client.
    fn chat_outcome(&mut self, result: ChatResult) -> Flow {
        let Err(refusal) = result else {
            return Flow::Continue;
        };
        self.outbox.push_message(&ServerMessage::Error {
            code: refusal.code,
            message: refusal.message,
            chat_id: refusal.chat_id,
        });
        match refusal.close {
            Some(close) => {
                self.leave();
                self.outbox
                    .push(Outgoing::Close(close, refusal.code.as_str()));
                Flow::Closing
            }
            None => Flow::Continue,
        }
    }

    /// Checks, against the database as it is now, that the session still holds and that
    /// its person may enter this room in this role.
    async fn admit(&self, room: &RoomId, role: Role) -> Result<Admission, Refusal> {
        let store = &self.state.store;
        let now_us = self.state.clock.now_us();
        let session_alive = store
            .session_expiry(self.account.session_id)
            .await?
            .is_some_and(|expires| expires > now_us);
        let user = store.user_by_id(self.account.user.id).await?;
        let Some(user) = user.filter(|user| session_alive && !user.revoked) else {
            return Err(Refusal::SessionEnded);
        };
        let Some(stored_room) = store.room(room).await? else {
            return Err(Refusal::Forbidden);
        };
        let member_since = store.member_since(user.id, room).await?;
        if !access::may_join(user.role, member_since.is_some(), role) {
            return Err(Refusal::Forbidden);
        }
        Ok(Admission {
            user_role: user.role,
            room: stored_room,
            chat_visible_from_us: member_since.filter(|_| !user.role.is_staff()),
        })
    }

    async fn join(
        &mut self,
        room: String,
        role: Role,
        camera_key: Option<String>,
        after_seq: Option<u64>,
        chat_only: bool,
    ) -> Flow {
        let Ok(room) = RoomId::try_from(room) else {
            return self.fail(
                ErrorCode::InvalidRoom,
                "a room id is 1 to 32 lowercase letters, digits or dashes",
                CLOSE_POLICY,
            );
        };
        let camera_key = match camera_key.map(CameraKey::try_from) {
            Some(Err(error)) => {
                return self.fail(
                    ErrorCode::MalformedMessage,
                    error.to_string(),
                    CLOSE_INVALID_DATA,
                );
            }
            Some(Ok(key)) if role == Role::Camera => Some(key),
            _ => None,
        };
        // Recorded before the check, so that a revocation racing with it still finds this.
        self.socket_entry.set_room(room.clone());
        let admitted = match self.admit(&room, role).await {
            Ok(admitted) => admitted,
            Err(Refusal::Forbidden) => {
                let details = EventDetails {
                    actor_id: Some(self.account.user.id),
                    room: Some(&room),
                    ..EventDetails::default()
                };
                self.state
                    .record_event(SecurityEventKind::JoinRefused, details, &self.client_addr)
                    .await;
                return self.fail(
                    ErrorCode::RoomForbidden,
                    "this room does not exist or is not yours to enter this way",
                    CLOSE_POLICY,
                );
            }
            Err(Refusal::SessionEnded) => {
                return self.fail(
                    ErrorCode::SessionEnded,
                    "your session ended; log in again",
                    CLOSE_POLICY,
                );
            }
            Err(Refusal::Store(error)) => return self.server_error(&error),
        };
        let name = self.account.user.display_name.clone();
        let welcome = ServerMessage::Welcome {
            room: room.clone(),
            role,
            name: name.clone(),
            server_time_us: self.state.clock.protocol_now_us(),
            limits: Limits {
                max_frame_bytes: self.state.config.max_frame_bytes,
                max_chat_chars: MAX_CHAT_CHARS,
            },
        };
        let request = JoinRequest {
            room: room.clone(),
            user_id: self.account.user.id,
            policy: admitted.room.policy,
            role,
            audience: access::audience(admitted.user_role),
            name,
            camera_key,
            chat_only,
            outbox: self.outbox.clone(),
            welcome,
        };
        // Recorded before the first frame can go out: nobody watches unrecorded. A refused
        // camera's attempt stays in the log as a session that ended at once. A chat-only
        // join gets no video, so it is no viewing.
        let viewing = NewViewing {
            user_id: self.account.user.id,
            room: &room,
            role,
            client_addr: &self.client_addr,
        };
        let state = &self.state;
        let record = if chat_only {
            None
        } else {
            match ViewingRecord::start(&state.store, &state.clock, &state.connections, viewing)
                .await
            {
                Ok(record) => Some(record),
                Err(error) => return self.server_error(&error),
            }
        };
        match self.state.hub.join(request) {
            Ok(membership) => {
                self.membership = Some(membership);
                self.viewing = Some((admitted, record));
                let backlog = self.chatter().send_backlog(after_seq).await;
                match self.chat_outcome(backlog) {
                    Flow::Continue => {
                        let mutes = self.chatter().send_mute_state().await;
                        self.chat_outcome(mutes)
                    }
                    Flow::Closing => Flow::Closing,
                }
            }
            Err(JoinError::CameraBusy) => self.fail(
                ErrorCode::CameraBusy,
                "another camera is already streaming to this room",
                CLOSE_POLICY,
            ),
        }
    }

    fn server_error(&mut self, error: &StoreError) -> Flow {
        tracing::error!(%error, "a join could not be checked or recorded");
        self.fail(
            ErrorCode::ServerError,
            "the server could not complete this; try again",
            CLOSE_SERVER_ERROR,
        )
    }

    fn on_binary(&mut self, frame: Bytes) -> Flow {
        let received_at = Instant::now();
        let Some(membership) = &self.membership else {
            return self.fail(ErrorCode::NotJoined, "join a room first", CLOSE_POLICY);
        };
        if membership.role() != Role::Camera {
            return self.fail(
                ErrorCode::NotCamera,
                "only the room's camera sends video",
                CLOSE_POLICY,
            );
        }
        if self.limits.frames.check().is_err() {
            return self.fail(
                ErrorCode::RateLimited,
                format!("more than {FRAME_RATE} frames a second"),
                CLOSE_POLICY,
            );
        }
        match FrameHeader::validate(&frame, self.state.config.max_frame_bytes) {
            Ok(_) => {
                if membership.publish_frame(frame, received_at) {
                    self.state.metrics.frame_received();
                }
                Flow::Continue
            }
            Err(error @ FrameError::TooLarge { .. }) => {
                self.fail(ErrorCode::MessageTooLarge, error.to_string(), CLOSE_TOO_BIG)
            }
            Err(error) => self.fail(
                ErrorCode::InvalidFrame,
                error.to_string(),
                CLOSE_INVALID_DATA,
            ),
        }
    }
}
