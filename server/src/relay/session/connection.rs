//! The reader's view of a connection: whose it is, where it is in its life (connected,
//! joined to a room, closing), how fast it may send, and what each message it sends does.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use nido_shared::limits::{MAX_CAMERA_FPS, MAX_TEXT_MESSAGE_BYTES};
use nido_shared::{
    ClientMessage, CloseCode, ErrorCode, FrameError, FrameHeader, FrameKind, Role, ServerMessage,
    SocketError, VideoCodec,
};
use tokio::time::Instant;

use super::join::{Admission, VideoAbility};
use crate::auth::{Authenticated, Peer};
use crate::cluster::SeatLease;
use crate::relay::access;
use crate::relay::chat::{ChatResult, Chatter};
use crate::relay::hub::Membership;
use crate::relay::open_sockets::SocketEntry;
use crate::relay::outbox::{Outbox, Outgoing};
use crate::relay::viewing_record::ViewingRecord;
use crate::state::AppState;

/// JSON messages: a steady 10 a second with bursts of 20.
const TEXT_RATE: NonZeroU32 = NonZeroU32::new(10).unwrap();
const TEXT_BURST: NonZeroU32 = NonZeroU32::new(20).unwrap();
/// Video frames: twice the fastest camera setting, with a second's burst.
const FRAME_RATE: NonZeroU32 = NonZeroU32::new(2 * MAX_CAMERA_FPS).unwrap();

/// A chunk in a codec the camera did not name in its join: the server could not route it.
fn unannounced(codec: Option<VideoCodec>) -> SocketError {
    let name = codec.map_or("", VideoCodec::codec_string);
    SocketError::new(
        ErrorCode::InvalidFrame,
        format!("this camera did not say in its join that it sends {name} chunks (`encodes`)"),
    )
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

/// Where a connection is in its life.
enum Phase {
    /// Connected, in no room yet.
    Connected,
    Joined(Box<Joined>),
    /// Nothing more is handled: the reader only waits for the client's close.
    Closing,
}

/// A connection in a room, as it was admitted.
pub(super) struct Joined {
    pub(super) membership: Membership,
    pub(super) admission: Admission,
    /// The viewing log's record of it, which ends when this is dropped; none for a
    /// chat-only join.
    pub(super) _viewing: Option<ViewingRecord>,
    /// The room's camera seat across every node, freed when this is dropped; only for a
    /// camera with other nodes.
    pub(super) _seat: Option<SeatLease>,
}

pub(super) struct Connection {
    pub(super) state: AppState,
    pub(super) outbox: Outbox,
    /// The session the upgrade was made with, as it was then.
    pub(super) account: Authenticated,
    pub(super) client_addr: String,
    /// Lets revocation, logout and expiry find and close this socket.
    pub(super) socket_entry: SocketEntry,
    /// A viewer's choice of the base layer only, which its layer gate reads.
    pub(super) data_saver: Arc<AtomicBool>,
    phase: Phase,
    limits: ConnectionLimits,
}

impl Connection {
    pub(super) fn new(
        state: AppState,
        outbox: Outbox,
        account: Authenticated,
        peer: Peer,
        socket_entry: SocketEntry,
    ) -> Self {
        Self {
            state,
            outbox,
            account,
            client_addr: peer.ip.to_string(),
            socket_entry,
            data_saver: Arc::default(),
            phase: Phase::Connected,
            limits: ConnectionLimits::new(),
        }
    }

    pub(super) fn idle_timeout(&self) -> Duration {
        self.state.config.idle_timeout()
    }

    pub(super) fn is_closing(&self) -> bool {
        matches!(self.phase, Phase::Closing)
    }

    pub(super) fn joined(&self) -> Option<&Joined> {
        match &self.phase {
            Phase::Joined(joined) => Some(joined),
            Phase::Connected | Phase::Closing => None,
        }
    }

    pub(super) fn enter(&mut self, joined: Joined) {
        self.phase = Phase::Joined(Box::new(joined));
    }

    /// Leaves the room, if in one, and handles nothing more.
    pub(super) fn leave(&mut self) {
        self.phase = Phase::Closing;
    }

    pub(super) fn close(&mut self, code: CloseCode, reason: &'static str) {
        self.leave();
        self.outbox.push(Outgoing::Close(code, reason));
    }

    /// Refuses what the client sent and tells it why; when the refusal closes, nothing more
    /// is handled.
    pub(super) fn refuse(&mut self, error: SocketError) {
        if error.close.is_some() {
            self.leave();
        }
        self.outbox.push_error(error);
    }

    pub(super) async fn on_text(&mut self, text: &str) {
        if text.len() > MAX_TEXT_MESSAGE_BYTES {
            return self.refuse(SocketError::new(
                ErrorCode::MessageTooLarge,
                format!("text messages are limited to {MAX_TEXT_MESSAGE_BYTES} bytes"),
            ));
        }
        if self.limits.text.check().is_err() {
            return self.outbox.push_notice(&SocketError::new(
                ErrorCode::RateLimited,
                "too many messages; some were dropped",
            ));
        }
        let message = match serde_json::from_str::<ClientMessage>(text) {
            Ok(message) => message,
            Err(error) => {
                return self.refuse(SocketError::new(
                    ErrorCode::MalformedMessage,
                    format!("not a valid message: {error}"),
                ));
            }
        };
        match (message, self.joined()) {
            (ClientMessage::Unknown, _) => self.refuse(SocketError::new(
                ErrorCode::UnknownMessageType,
                "this server does not know that message type",
            )),
            (
                ClientMessage::Join {
                    room,
                    role,
                    camera_key,
                    after_seq,
                    chat_only,
                    decodes,
                    encodes,
                },
                None,
            ) => {
                let chat_only = chat_only && role == Role::Viewer;
                let video = VideoAbility { decodes, encodes };
                self.join(room, role, camera_key, after_seq, chat_only, video)
                    .await;
            }
            (ClientMessage::Join { .. }, Some(_)) => self.refuse(SocketError::new(
                ErrorCode::AlreadyJoined,
                "this connection already joined a room",
            )),
            (_, None) => self.refuse(SocketError::new(ErrorCode::NotJoined, "join a room first")),
            (ClientMessage::Chat { id, text, thread }, Some(joined)) => {
                let result = self.chatter(joined).send(id, text, thread).await;
                self.chat_outcome(result);
            }
            (ClientMessage::OlderChat { before_seq, thread }, Some(joined)) => {
                let result = self.chatter(joined).send_older(before_seq, thread).await;
                self.chat_outcome(result);
            }
            (ClientMessage::DeleteChat { seq, thread }, Some(joined)) => {
                let result = self.chatter(joined).delete(seq, thread).await;
                self.chat_outcome(result);
            }
            (ClientMessage::OpenThread { thread, after_seq }, Some(joined)) => {
                let result = self.chatter(joined).open_thread(thread, after_seq).await;
                self.chat_outcome(result);
            }
            (ClientMessage::ReadThread { thread, seq }, Some(joined)) => {
                let result = self.chatter(joined).read_thread(thread, seq).await;
                self.chat_outcome(result);
            }
            (ClientMessage::Mute { user_id, minutes }, Some(joined)) => {
                let result = self.chatter(joined).mute(user_id, minutes).await;
                self.chat_outcome(result);
            }
            (ClientMessage::Unmute { user_id }, Some(joined)) => {
                let result = self.chatter(joined).unmute(user_id).await;
                self.chat_outcome(result);
            }
            (ClientMessage::SetPaused { paused }, Some(joined)) => {
                if !access::may_pause(joined.admission.user_role) {
                    return self.refuse(SocketError::new(
                        ErrorCode::NotStaff,
                        "only the room's staff can pause its camera",
                    ));
                }
                let room = joined.membership.room().clone();
                match self.state.store.set_paused(&room, paused).await {
                    Ok(policy) => self.state.hub.offer_policy(&room, policy),
                    // The camera carries on as it was; its page may ask again.
                    Err(error) => self.refuse(error.into()),
                }
            }
            (ClientMessage::SetDataSaver { on }, Some(_)) => {
                self.data_saver.store(on, Ordering::Relaxed);
            }
            (ClientMessage::JpegOnly {}, Some(joined)) => {
                if joined.membership.role() != Role::Camera {
                    return self.refuse(SocketError::new(
                        ErrorCode::NotCamera,
                        "only the room's camera says what it sends",
                    ));
                }
                joined.membership.send_jpeg_only();
            }
            (ClientMessage::TimeSync { client_time_us }, Some(_)) => {
                self.outbox.push_message(&ServerMessage::TimeSync {
                    client_time_us,
                    server_time_us: self.state.clock.now(),
                });
            }
        }
    }

    /// This connection's side of its room's chat.
    pub(super) fn chatter<'a>(&'a self, joined: &'a Joined) -> Chatter<'a> {
        Chatter {
            state: &self.state,
            membership: &joined.membership,
            outbox: &self.outbox,
            user_id: self.account.user.id,
            user_role: joined.admission.user_role,
            visible_from: joined.admission.chat_visible_from,
            client_addr: &self.client_addr,
        }
    }

    /// Answers a refused chat request, closing when it showed a broken or hostile client.
    pub(super) fn chat_outcome(&mut self, result: ChatResult) {
        if let Err(error) = result {
            self.refuse(error);
        }
    }

    pub(super) fn on_binary(&mut self, frame: Bytes) {
        let received_at = Instant::now();
        let Some(joined) = self.joined() else {
            return self.refuse(SocketError::new(ErrorCode::NotJoined, "join a room first"));
        };
        if joined.membership.role() != Role::Camera {
            return self.refuse(SocketError::new(
                ErrorCode::NotCamera,
                "only the room's camera sends video",
            ));
        }
        if self.limits.frames.check().is_err() {
            return self.refuse(
                SocketError::new(
                    ErrorCode::RateLimited,
                    format!("more than {FRAME_RATE} frames a second"),
                )
                .closing(CloseCode::PolicyViolation),
            );
        }
        match FrameHeader::validate(&frame, self.state.config.max_frame_bytes) {
            Ok(header) => {
                let (codec, layer) = match header.kind {
                    FrameKind::Jpeg => (None, 0),
                    FrameKind::Chunk(chunk) => (Some(chunk.codec), chunk.temporal_layer),
                    FrameKind::DecoderConfig { codec, .. } => (Some(codec), 0),
                };
                if codec.is_some() && codec != joined.membership.encodes() {
                    return self.refuse(unannounced(codec));
                }
                let size = frame.len();
                let published = joined.membership.publish_frame(
                    &header,
                    frame,
                    received_at,
                    &self.state.metrics,
                );
                if published && !matches!(header.kind, FrameKind::DecoderConfig { .. }) {
                    self.state.metrics.frame_received(codec, layer, size);
                }
            }
            Err(error @ FrameError::TooLarge { .. }) => {
                self.refuse(SocketError::new(
                    ErrorCode::MessageTooLarge,
                    error.to_string(),
                ));
            }
            Err(error) => self.refuse(SocketError::new(ErrorCode::InvalidFrame, error.to_string())),
        }
    }
}
