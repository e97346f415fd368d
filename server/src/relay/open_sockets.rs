//! Every open WebSocket with whose session it is and which room it joined, so that a change
//! in someone's access (revocation, removal from a room, logout, expiry, a password change,
//! a deleted room) closes exactly the sockets it affects, at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use nido_shared::{ErrorCode, RoomId, SocketError, Timestamp, UserId, UserRole};

use crate::infra::mutex::lock;
use crate::relay::outbox::Outbox;
use crate::store::{AccessNow, SessionId, Store};

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
    /// The person's role when the socket opened: any change closes it.
    role: UserRole,
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
        role: UserRole,
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
                role,
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

    /// Whose sockets are open, and in which rooms, for a check against the database.
    pub fn summary(&self) -> OpenSummary {
        let sockets = lock(&self.inner.sockets);
        let mut summary = OpenSummary::default();
        for socket in sockets.values() {
            summary.sessions.push(socket.session_id);
            summary.users.push(socket.user_id);
            summary.rooms.extend(socket.room.clone());
        }
        summary.sessions.sort_unstable();
        summary.sessions.dedup();
        summary.users.sort_unstable();
        summary.users.dedup();
        summary.rooms.sort_unstable();
        summary.rooms.dedup();
        summary
    }

    /// Closes every socket the database's access of now no longer allows, as the changes
    /// made on this node close them (on another node, or by hand in the database).
    pub fn apply_access(&self, access: &AccessNow, now: Timestamp) {
        for socket in lock(&self.inner.sockets).values() {
            if let Some((code, message)) = refusal(access, socket, now) {
                socket.outbox.push_error(SocketError::new(code, message));
            }
        }
    }

    /// Closes every socket (this node must start its connections afresh).
    pub fn end_all(&self, code: ErrorCode, message: &str) {
        self.close_where(code, message, |_| true);
    }

    fn close_where(&self, code: ErrorCode, message: &str, matches: impl Fn(&Socket) -> bool) {
        for socket in lock(&self.inner.sockets).values().filter(|s| matches(s)) {
            socket.outbox.push_error(SocketError::new(code, message));
        }
    }
}

/// Who has sockets open where (see `OpenSockets::summary`).
#[derive(Debug, Default)]
pub struct OpenSummary {
    pub sessions: Vec<SessionId>,
    pub users: Vec<UserId>,
    pub rooms: Vec<RoomId>,
}

/// Why the database's access of now closes a socket, if it does.
fn refusal(
    access: &AccessNow,
    socket: &Socket,
    now: Timestamp,
) -> Option<(ErrorCode, &'static str)> {
    const ENDED: (ErrorCode, &str) = (ErrorCode::SessionEnded, "your session ended; log in again");
    let Some(person) = access.people.get(&socket.user_id) else {
        return Some(ENDED);
    };
    if person.revoked || person.role != socket.role {
        return Some((ErrorCode::AccessRevoked, "your access changed"));
    }
    let session_alive = access
        .sessions
        .get(&socket.session_id)
        .is_some_and(|expires_at_us| *expires_at_us > now.as_micros());
    if !session_alive
        || (access.staff_second_factor && person.role.is_staff() && !person.second_factor)
    {
        return Some(ENDED);
    }
    let room = socket.room.as_ref()?;
    if !access.rooms.contains_key(room) {
        return Some((ErrorCode::AccessRevoked, "this room was deleted"));
    }
    let member = access
        .rooms_of
        .get(&socket.user_id)
        .is_some_and(|rooms| rooms.contains(room));
    if person.role != UserRole::Admin && !member {
        return Some((ErrorCode::AccessRevoked, "you no longer have this room"));
    }
    None
}

fn dedup(mut ids: Vec<SessionId>) -> Vec<SessionId> {
    ids.sort_unstable();
    ids.dedup();
    ids
}
