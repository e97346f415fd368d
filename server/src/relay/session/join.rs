//! Joining a room: the request checked against the database as it is now (the session still
//! holds, the person may enter this room in this role), recorded in the viewing log, and the
//! connection entered into the room's membership with its chat backlog.

use nido_shared::api::SecurityEventKind;
use nido_shared::limits::MAX_CHAT_CHARS;
use nido_shared::{
    CameraKey, CloseCode, ErrorCode, Limits, Role, RoomId, ServerMessage, SocketError, Timestamp,
    UserRole, VideoCodec,
};

use std::sync::Arc;

use super::connection::{Connection, Joined};
use crate::cluster::SeatLease;
use crate::relay::access;
use crate::relay::hub::{JoinError, JoinRequest};
use crate::relay::viewing_record::ViewingRecord;
use crate::store::{EventDetails, NewViewing, RoomRow, StoreError};

/// What a join was admitted as, read from the database at that moment.
pub(super) struct Admission {
    pub(super) user_role: UserRole,
    room: RoomRow,
    /// For family: the chat they may read starts when they were given the room.
    pub(super) chat_visible_from: Option<Timestamp>,
}

/// What a joining connection says of the video it reads (a viewer) or sends (a camera).
pub(super) struct VideoAbility {
    pub(super) decodes: Vec<VideoCodec>,
    pub(super) encodes: Option<VideoCodec>,
}

fn camera_busy() -> SocketError {
    SocketError::new(
        ErrorCode::CameraBusy,
        "another camera is already streaming to this room",
    )
}

/// A join that could not be checked goes no further.
fn unchecked(error: StoreError) -> SocketError {
    SocketError::from(error).closing(CloseCode::ServerError)
}

impl Connection {
    /// Checks, against the database as it is now, that the session still holds and that
    /// its person may enter this room in this role. A refusal is recorded in the security
    /// log.
    async fn admit(&self, room: &RoomId, role: Role) -> Result<Admission, SocketError> {
        let store = &self.state.store;
        let now = self.state.clock.now();
        let session_alive = store
            .session_expiry(self.account.session_id)
            .await
            .map_err(unchecked)?
            .is_some_and(|expires| expires > now);
        let user = store
            .user_by_id(self.account.user.id)
            .await
            .map_err(unchecked)?;
        let Some(user) = user.filter(|user| session_alive && !user.revoked) else {
            return Err(SocketError::new(
                ErrorCode::SessionEnded,
                "your session ended; log in again",
            ));
        };
        let stored_room = store.room(room).await.map_err(unchecked)?;
        let member_since = store.member_since(user.id, room).await.map_err(unchecked)?;
        let Some(stored_room) =
            stored_room.filter(|_| access::may_join(user.role, member_since.is_some(), role))
        else {
            let details = EventDetails {
                actor_id: Some(self.account.user.id),
                room: Some(room),
                ..EventDetails::default()
            };
            self.state
                .record_event(SecurityEventKind::JoinRefused, details, &self.client_addr)
                .await;
            return Err(SocketError::new(
                ErrorCode::RoomForbidden,
                "this room does not exist or is not yours to enter this way",
            ));
        };
        Ok(Admission {
            user_role: user.role,
            room: stored_room,
            chat_visible_from: member_since.filter(|_| !user.role.is_staff()),
        })
    }

    pub(super) async fn join(
        &mut self,
        room: String,
        role: Role,
        camera_key: Option<String>,
        after_seq: Option<u64>,
        chat_only: bool,
        video: VideoAbility,
    ) {
        let Ok(room) = RoomId::try_from(room) else {
            return self.refuse(SocketError::new(
                ErrorCode::InvalidRoom,
                "a room id is 1 to 32 lowercase letters, digits or dashes",
            ));
        };
        let camera_key = match camera_key.map(CameraKey::try_from) {
            Some(Err(error)) => {
                return self.refuse(SocketError::new(
                    ErrorCode::MalformedMessage,
                    error.to_string(),
                ));
            }
            Some(Ok(key)) if role == Role::Camera => Some(key),
            _ => None,
        };
        tracing::Span::current().record("room", room.as_str());
        // Recorded before the check, so that a revocation racing with it still finds this.
        self.socket_entry.set_room(room.clone());
        let admitted = match self.admit(&room, role).await {
            Ok(admitted) => admitted,
            Err(refused) => return self.refuse(refused),
        };
        // One camera per room across every node: the seat is taken in the database first.
        let seat = match (&self.state.cluster, role) {
            (Some(cluster), Role::Camera) => {
                let claimed = cluster
                    .claim_camera_seat(&room, camera_key.as_ref(), &self.state.connections)
                    .await;
                match claimed {
                    Ok(Some(lease)) => Some(lease),
                    Ok(None) => return self.refuse(camera_busy()),
                    Err(error) => return self.refuse(unchecked(error)),
                }
            }
            _ => None,
        };
        let name = self.account.user.display_name.clone();
        let welcome = ServerMessage::Welcome {
            room: room.clone(),
            role,
            name: name.clone(),
            server_time_us: self.state.clock.now(),
            limits: Limits {
                max_frame_bytes: self.state.config.max_frame_bytes,
                max_chat_chars: MAX_CHAT_CHARS,
            },
        };
        let request = JoinRequest {
            room: room.clone(),
            user_id: self.account.user.id,
            policy: admitted.room.policy.clone(),
            role,
            audience: access::audience(admitted.user_role),
            name,
            camera_key,
            camera_epoch: seat.as_ref().map_or(0, SeatLease::epoch),
            chat_only,
            decodes: match role {
                Role::Viewer => video.decodes,
                Role::Camera => Vec::new(),
            },
            encodes: video.encodes.filter(|_| role == Role::Camera),
            data_saver: Arc::clone(&self.data_saver),
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
            node_id: self.state.cluster.as_ref().map(|c| c.node().as_str()),
        };
        let state = &self.state;
        let record = if chat_only {
            None
        } else {
            match ViewingRecord::start(&state.store, &state.clock, &state.connections, viewing)
                .await
            {
                Ok(record) => Some(record),
                Err(error) => return self.refuse(unchecked(error)),
            }
        };
        match self.state.hub.join(request) {
            Ok(membership) => {
                self.enter(Joined {
                    membership,
                    admission: admitted,
                    _viewing: record,
                    _seat: seat,
                });
                // Each step may close the connection, after which the next is not taken.
                if let Some(joined) = self.joined() {
                    joined.membership.chat_ready().await;
                    let backlog = self.chatter(joined).send_backlog(after_seq).await;
                    self.chat_outcome(backlog);
                }
                if let Some(joined) = self.joined() {
                    let mutes = self.chatter(joined).send_mute_state().await;
                    self.chat_outcome(mutes);
                }
                if let Some(joined) = self.joined() {
                    let threads = self.chatter(joined).send_threads().await;
                    self.chat_outcome(threads);
                }
            }
            Err(JoinError::CameraBusy) => self.refuse(camera_busy()),
        }
    }
}
