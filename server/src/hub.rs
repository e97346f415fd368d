//! The rooms: who is in each, its camera seat, its latest frame, and the fan-out of chat and
//! presence to every member.
//!
//! Video is latest-frame-wins: each room keeps one frame slot (a `watch` channel holding
//! the newest frame as shared `Bytes`). Every viewer's writer sends whatever is newest when
//! it is ready for more, so a slow viewer skips frames and nothing queues. The slot is
//! emptied *before* viewers are told the camera is paused or off, so no viewer is sent a
//! frame after hearing that.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use nido_shared::{
    CameraKey, CameraStatus, ChatLine, DisplayName, ErrorCode, Presence, Role, RoomId,
    ServerMessage,
};
use tokio::sync::watch;

use crate::clock::now_us;
use crate::outbox::{Outbox, Outgoing, serialize};

/// Identifies one connection's membership of a room.
type MemberId = u64;

/// All rooms with at least one member. Cheap to clone.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Default)]
struct HubInner {
    rooms: Mutex<HashMap<RoomId, Arc<Room>>>,
    next_member_id: AtomicU64,
    next_chat_id: AtomicU64,
}

struct Room {
    id: RoomId,
    members: Mutex<Members>,
    frames: watch::Sender<Option<Bytes>>,
}

#[derive(Default)]
struct Members {
    camera: Option<CameraSeat>,
    paused: bool,
    /// In the order they joined.
    viewers: Vec<Member>,
}

struct Member {
    id: MemberId,
    name: DisplayName,
    outbox: Outbox,
}

struct CameraSeat {
    member: Member,
    key: Option<CameraKey>,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinError {
    CameraBusy,
}

/// Someone asking to join a room.
pub struct JoinRequest {
    pub room: RoomId,
    pub role: Role,
    pub name: DisplayName,
    pub camera_key: Option<CameraKey>,
    pub outbox: Outbox,
    /// Queued before anything else the room sends this member.
    pub welcome: ServerMessage,
}

/// One connection's place in a room; leaving happens when it is dropped.
pub struct Membership {
    hub: Arc<HubInner>,
    room: Arc<Room>,
    id: MemberId,
    role: Role,
    name: DisplayName,
}

impl Hub {
    pub fn join(&self, request: JoinRequest) -> Result<Membership, JoinError> {
        let room = self.room(&request.room);
        let id = self.inner.next_member_id.fetch_add(1, Ordering::Relaxed);
        let mut members = lock(&room.members);

        let member = Member {
            id,
            name: request.name.clone(),
            outbox: request.outbox.clone(),
        };
        match request.role {
            Role::Camera => {
                if let Some(seat) = &members.camera {
                    let same_camera = seat.key.is_some() && seat.key == request.camera_key;
                    if !same_camera {
                        return Err(JoinError::CameraBusy);
                    }
                    seat.member.outbox.push_error(
                        ErrorCode::CameraReplaced,
                        "this camera reconnected elsewhere",
                        Some(1008),
                    );
                }
                request.outbox.push_message(&request.welcome);
                members.camera = Some(CameraSeat {
                    member,
                    key: request.camera_key,
                });
            }
            Role::Viewer => {
                request.outbox.push_message(&request.welcome);
                members.viewers.push(member);
            }
        }
        broadcast_presence(&members);
        if request.role == Role::Viewer {
            let mut slot = room.frames.subscribe();
            // A viewer that joins while the camera is live gets the latest frame at once.
            slot.mark_changed();
            request.outbox.push(Outgoing::WatchFrames(slot));
        }
        drop(members);

        Ok(Membership {
            hub: Arc::clone(&self.inner),
            room,
            id,
            role: request.role,
            name: request.name,
        })
    }

    /// How many rooms have members; for tests and diagnostics.
    pub fn room_count(&self) -> usize {
        lock(&self.inner.rooms).len()
    }

    fn room(&self, id: &RoomId) -> Arc<Room> {
        let mut rooms = lock(&self.inner.rooms);
        let room = rooms.entry(id.clone()).or_insert_with(|| {
            Arc::new(Room {
                id: id.clone(),
                members: Mutex::default(),
                frames: watch::Sender::new(None),
            })
        });
        Arc::clone(room)
    }
}

impl HubInner {
    fn forget_if_empty(&self, room: &Arc<Room>) {
        let mut rooms = lock(&self.rooms);
        let members = lock(&room.members);
        // Another connection may have looked the room up but not joined yet: it holds a
        // reference, so the room stays.
        let unused =
            members.camera.is_none() && members.viewers.is_empty() && Arc::strong_count(room) <= 2;
        if unused && rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
        }
    }
}

impl Membership {
    pub fn role(&self) -> Role {
        self.role
    }

    /// Relays a validated frame to every viewer; ignored while paused or if this connection
    /// lost the camera seat.
    pub fn publish_frame(&self, frame: Bytes) {
        let members = lock(&self.room.members);
        if self.holds_camera_seat(&members) && !members.paused {
            self.room.frames.send_replace(Some(frame));
        }
    }

    /// Pauses or resumes the room's video.
    pub fn set_paused(&self, paused: bool) {
        let mut members = lock(&self.room.members);
        if !self.holds_camera_seat(&members) || members.paused == paused {
            return;
        }
        members.paused = paused;
        if paused {
            self.room.frames.send_replace(None);
        }
        broadcast_presence(&members);
    }

    /// Sends a chat line, already checked for length, to everyone in the room.
    pub fn chat(&self, text: String) {
        let line = ServerMessage::Chat(ChatLine {
            id: self.hub.next_chat_id.fetch_add(1, Ordering::Relaxed) + 1,
            sent_at_us: now_us(),
            from: self.name.clone(),
            role: self.role,
            text,
        });
        let members = lock(&self.room.members);
        broadcast(&members, &serialize(&line));
    }

    fn holds_camera_seat(&self, members: &Members) -> bool {
        members
            .camera
            .as_ref()
            .is_some_and(|seat| seat.member.id == self.id)
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut members = lock(&self.room.members);
        let changed = match self.role {
            Role::Camera if self.holds_camera_seat(&members) => {
                members.camera = None;
                members.paused = false;
                self.room.frames.send_replace(None);
                true
            }
            Role::Camera => false,
            Role::Viewer => {
                let before = members.viewers.len();
                members.viewers.retain(|viewer| viewer.id != self.id);
                members.viewers.len() != before
            }
        };
        if changed {
            broadcast_presence(&members);
        }
        drop(members);
        self.hub.forget_if_empty(&self.room);
    }
}

fn presence(members: &Members) -> Presence {
    let camera = match (&members.camera, members.paused) {
        (None, _) => CameraStatus::Off,
        (Some(_), true) => CameraStatus::Paused,
        (Some(_), false) => CameraStatus::Live,
    };
    Presence {
        camera,
        camera_name: members.camera.as_ref().map(|seat| seat.member.name.clone()),
        viewer_count: members.viewers.len(),
        viewers: members.viewers.iter().map(|v| v.name.clone()).collect(),
    }
}

fn broadcast_presence(members: &Members) {
    broadcast(
        members,
        &serialize(&ServerMessage::Presence(presence(members))),
    );
}

fn broadcast(members: &Members, text: &axum::extract::ws::Utf8Bytes) {
    let camera = members.camera.iter().map(|seat| &seat.member);
    for member in camera.chain(&members.viewers) {
        member.outbox.push_text(text);
    }
}

/// Locks a mutex; a poisoned lock (a panic while it was held) still guards consistent data
/// here, because every critical section only swaps whole values.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
