//! Every open WebSocket with whose session it is and which room it joined, so that a change
//! in someone's access (revocation, removal from a room, logout, expiry, a password change,
//! a deleted room) closes exactly the sockets it affects, at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use nido_shared::{ErrorCode, RoomId, SocketError, Timestamp, UserId};

use crate::infra::mutex::lock;
use crate::relay::outbox::Outbox;
use crate::store::{SessionId, Store};

/// The account already has as many sockets open as it may (`--max-sockets-per-account`).
#[derive(Debug)]
pub struct TooManySockets;

#[derive(Clone, Default)]
pub struct OpenSockets {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    sockets: Mutex<HashMap<u64, Socket>>,
    next_id: AtomicU64,
}

struct Socket {
    user_id: UserId,
    session_id: SessionId,
    session_expires_at: Timestamp,
    room: Option<RoomId>,
    outbox: Outbox,
}

/// One socket's entry; removed when dropped.
pub struct SocketEntry {
    inner: Arc<Inner>,
    id: u64,
}

impl SocketEntry {
    /// This socket's number, unique while the server runs.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Records the room this socket is joining (before access is checked, so that a
    /// revocation racing with the join still finds it).
    pub fn set_room(&self, room: RoomId) {
        if let Some(socket) = lock(&self.inner.sockets).get_mut(&self.id) {
            socket.room = Some(room);
        }
    }
}

impl Drop for SocketEntry {
    fn drop(&mut self) {
        lock(&self.inner.sockets).remove(&self.id);
    }
}

impl OpenSockets {
    /// Records a new socket, unless its account already has `limit` open.
    pub fn register(
        &self,
        user_id: UserId,
        session_id: SessionId,
        session_expires_at: Timestamp,
        outbox: Outbox,
        limit: usize,
    ) -> Result<SocketEntry, TooManySockets> {
        let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
        let mut sockets = lock(&self.inner.sockets);
        let open = sockets.values().filter(|s| s.user_id == user_id).count();
        if open >= limit {
            return Err(TooManySockets);
        }
        sockets.insert(
            id,
            Socket {
                user_id,
                session_id,
                session_expires_at,
                room: None,
                outbox,
            },
        );
        Ok(SocketEntry {
            inner: Arc::clone(&self.inner),
            id,
        })
    }

    /// Closes the sockets of these sessions (logout, password change, revocation).
    pub fn end_sessions(&self, session_ids: &[SessionId]) {
        self.close_where(
            ErrorCode::SessionEnded,
            "your session ended; log in again",
            |s| session_ids.contains(&s.session_id),
        );
    }

    /// Closes every socket of these people as if their sessions ended (they must log in
    /// again, or set up what is now required).
    pub fn end_users(&self, user_ids: &[UserId]) {
        self.close_where(
            ErrorCode::SessionEnded,
            "your session ended; log in again",
            |s| user_ids.contains(&s.user_id),
        );
    }

    /// Closes all of a person's sockets (revoked, or their role changed).
    pub fn revoke_user(&self, user_id: UserId) {
        self.close_where(ErrorCode::AccessRevoked, "your access changed", |s| {
            s.user_id == user_id
        });
    }

    /// Closes a person's sockets in rooms they no longer have.
    pub fn keep_only_rooms(&self, user_id: UserId, rooms: &[RoomId]) {
        self.close_where(
            ErrorCode::AccessRevoked,
            "you no longer have this room",
            |s| s.user_id == user_id && s.room.as_ref().is_some_and(|room| !rooms.contains(room)),
        );
    }

    /// Closes every socket in a deleted room.
    pub fn close_room(&self, room: &RoomId) {
        self.close_where(ErrorCode::AccessRevoked, "this room was deleted", |s| {
            s.room.as_ref() == Some(room)
        });
    }

    /// Closes sockets whose session has expired, after checking the database in case the
    /// session was extended meanwhile.
    pub async fn close_expired(&self, store: &Store, now: Timestamp) {
        let due: Vec<SessionId> = lock(&self.inner.sockets)
            .values()
            .filter(|s| s.session_expires_at <= now)
            .map(|s| s.session_id)
            .collect();
        for session_id in dedup(due) {
            match store.session_expiry(session_id).await {
                Ok(Some(expires)) if expires > now => {
                    for socket in lock(&self.inner.sockets).values_mut() {
                        if socket.session_id == session_id {
                            socket.session_expires_at = expires;
                        }
                    }
                }
                Ok(_) => self.end_sessions(&[session_id]),
                Err(error) => tracing::warn!(%error, "could not check a session's expiry"),
            }
        }
    }

    fn close_where(&self, code: ErrorCode, message: &str, matches: impl Fn(&Socket) -> bool) {
        for socket in lock(&self.inner.sockets).values().filter(|s| matches(s)) {
            socket.outbox.push_error(SocketError::new(code, message));
        }
    }
}

fn dedup(mut ids: Vec<SessionId>) -> Vec<SessionId> {
    ids.sort_unstable();
    ids.dedup();
    ids
}
