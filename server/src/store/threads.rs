//! Private threads between a family account and a room's staff, beside the messages (which
//! `chat` keeps for every thread alike): how far each side has read, each thread's state for
//! one reader, and the family accounts the staff add to another's thread.

use std::collections::HashMap;
use std::sync::Arc;

use nido_shared::{DisplayName, RoomId, ThreadState, Timestamp, UserId};

use super::backend::Connection;
use super::children::PolicyChange;
use super::rooms::{bump_policy, next_policy_version};
use super::{Store, StoreError, parse};
use crate::relay::room_policy::ThreadGuest;

/// Whose side of a thread reads it: the room's staff together, or one family account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadReader {
    Staff,
    Family(UserId),
}

impl ThreadReader {
    /// The reader as `chat_reads` stores it (0 for the staff).
    fn key(self) -> i64 {
        match self {
            Self::Staff => 0,
            Self::Family(user) => user.get(),
        }
    }
}

/// Which threads a reader is shown.
#[derive(Debug, Clone, Copy)]
pub enum ThreadsShown {
    /// Every thread of the room with a message in it (the staff's list), or a family
    /// account's own thread and those it was added to.
    All,
    /// Just this one.
    One(UserId),
}

/// A thread as a reader sees it, as the database returns it.
#[derive(sqlx::FromRow)]
struct ThreadRecord {
    thread: i64,
    family: String,
    last_seq: i64,
    last_at_us: Option<i64>,
    unread: i64,
    seen_seq: i64,
}

impl TryFrom<ThreadRecord> for ThreadState {
    type Error = StoreError;

    fn try_from(record: ThreadRecord) -> Result<Self, StoreError> {
        Ok(Self {
            thread: UserId::new(record.thread),
            family: parse(record.family, DisplayName::try_from)?,
            last_seq: record.last_seq.unsigned_abs(),
            last_at_us: record.last_at_us.map(Timestamp::from_micros),
            unread: record.unread.unsigned_abs(),
            seen_seq: record.seen_seq.unsigned_abs(),
        })
    }
}

/// A thread's state for reader `$2` in room `$1`, of the threads `{candidates}` selects:
/// unread are the other side's messages after the reader's mark (for the staff, the
/// family's; for a family account, everyone else's), not deleted.
const THREAD_STATES: &str = "
    SELECT u.id AS thread, u.display_name AS family, COALESCE(t.last_seq, 0) AS last_seq,
           (SELECT MAX(m.sent_at_us) FROM chat_messages m
             WHERE m.room_slug = $1 AND m.thread = u.id) AS last_at_us,
           (SELECT COUNT(*) FROM chat_messages m
             WHERE m.room_slug = $1 AND m.thread = u.id AND m.deleted_at_us IS NULL
               AND m.seq > COALESCE((SELECT r.read_seq FROM chat_reads r
                                      WHERE r.room_slug = $1 AND r.thread = u.id
                                        AND r.reader = $2), 0)
               AND CASE WHEN $2 = 0 THEN m.sender_is_staff = FALSE
                        ELSE m.user_id <> $2 END) AS unread,
           COALESCE((SELECT r.read_seq FROM chat_reads r
                      WHERE r.room_slug = $1 AND r.thread = u.id AND r.reader = 0), 0) AS seen_seq
      FROM users u
      LEFT JOIN chat_threads t ON t.room_slug = $1 AND t.thread = u.id
     WHERE u.id IN ({candidates})";

impl Store {
    /// The private threads of a room `reader` is shown, newest message first.
    pub async fn thread_states(
        &self,
        room: &RoomId,
        reader: ThreadReader,
        shown: ThreadsShown,
    ) -> Result<Vec<ThreadState>, StoreError> {
        // `$3` is bound whichever list it is (PostgreSQL types every parameter by its use).
        let candidates = match (shown, reader) {
            (ThreadsShown::One(_), _) => "$3",
            (ThreadsShown::All, ThreadReader::Staff) => {
                "SELECT thread FROM chat_threads WHERE room_slug = $1 AND thread <> 0 AND $3 = 0"
            }
            (ThreadsShown::All, ThreadReader::Family(_)) => {
                "SELECT $3 UNION SELECT thread FROM thread_guests WHERE room_slug = $1 AND user_id = $3"
            }
        };
        let one = match shown {
            ThreadsShown::One(thread) => thread.get(),
            ThreadsShown::All => reader.key(),
        };
        let sql = THREAD_STATES.replace("{candidates}", candidates);
        let records: Vec<ThreadRecord> = with_pool!(self, |pool| {
            sqlx::query_as(&sql)
                .bind(room.as_str())
                .bind(reader.key())
                .bind(one)
                .fetch_all(pool)
                .await?
        });
        let mut states = records
            .into_iter()
            .map(ThreadState::try_from)
            .collect::<Result<Vec<_>, _>>()?;
        states.sort_by_key(|state| std::cmp::Reverse(state.last_at_us));
        Ok(states)
    }

    /// The family accounts of a room that are not revoked, by name.
    pub async fn families_of_room(
        &self,
        room: &RoomId,
    ) -> Result<Vec<(UserId, DisplayName)>, StoreError> {
        let rows: Vec<(i64, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT u.id, u.display_name FROM users u
                   JOIN room_members m ON m.user_id = u.id JOIN rooms r ON r.id = m.room_id
                  WHERE r.slug = $1 AND u.role = 'family' AND u.revoked_at_us IS NULL
                  ORDER BY u.display_name, u.id",
            )
            .bind(room.as_str())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name)| Ok((UserId::new(id), parse(name, DisplayName::try_from)?)))
            .collect()
    }

    /// Whether this thread has had a message in this room.
    pub async fn thread_exists(&self, room: &RoomId, thread: UserId) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT last_seq FROM chat_threads WHERE room_slug = $1 AND thread = $2",
            )
            .bind(room.as_str())
            .bind(thread.get())
            .fetch_optional(pool)
            .await?;
            Ok(found.is_some())
        })
    }

    /// Moves `reader`'s mark in a thread on to `seq` (never past its last message, never
    /// back); whether it moved.
    pub async fn mark_thread_read(
        &self,
        room: &RoomId,
        thread: UserId,
        reader: ThreadReader,
        seq: u64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "INSERT INTO chat_reads (room_slug, thread, reader, read_seq)
                 SELECT room_slug, thread, $3, CASE WHEN $4 < last_seq THEN $4 ELSE last_seq END
                   FROM chat_threads WHERE room_slug = $1 AND thread = $2
                 ON CONFLICT (room_slug, thread, reader) DO UPDATE SET read_seq = excluded.read_seq
                 WHERE excluded.read_seq > chat_reads.read_seq",
            )
            .bind(room.as_str())
            .bind(thread.get())
            .bind(reader.key())
            .bind(i64::try_from(seq).unwrap_or(i64::MAX))
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Adds a family account to another's thread in a room (nothing if it was already), as
    /// a change of the room's policy.
    pub async fn add_thread_guest(
        &self,
        room: &RoomId,
        guest: ThreadGuest,
        by: UserId,
        now: Timestamp,
    ) -> Result<PolicyChange, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_id((&mut *transaction).into(), room).await?;
            sqlx::query(
                "INSERT INTO thread_guests (room_slug, thread, user_id, added_by, added_at_us)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(room.as_str())
            .bind(guest.thread.get())
            .bind(guest.guest.get())
            .bind(by.get())
            .bind(now.as_micros())
            .execute(&mut *transaction)
            .await?;
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok(change)
        })
    }

    /// Takes a family account off another's thread in a room, as a change of the room's
    /// policy; `NotFound` if it was not on it.
    pub async fn remove_thread_guest(
        &self,
        room: &RoomId,
        guest: ThreadGuest,
    ) -> Result<PolicyChange, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_id((&mut *transaction).into(), room).await?;
            let done = sqlx::query(
                "DELETE FROM thread_guests WHERE room_slug = $1 AND thread = $2 AND user_id = $3",
            )
            .bind(room.as_str())
            .bind(guest.thread.get())
            .bind(guest.guest.get())
            .execute(&mut *transaction)
            .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok(change)
        })
    }
}

/// A room's internal id, in the caller's transaction.
async fn room_id(connection: Connection<'_>, room: &RoomId) -> Result<i64, StoreError> {
    let id: Option<i64> = with_connection!(connection, |c| {
        sqlx::query_scalar("SELECT id FROM rooms WHERE slug = $1")
            .bind(room.as_str())
            .fetch_optional(&mut *c)
            .await?
    });
    id.ok_or(StoreError::NotFound)
}

/// The guests of the threads of the rooms `filter` (a condition on `room_slug`, with `$1`)
/// selects.
async fn load_guests(
    connection: Connection<'_>,
    filter: &str,
    room: Option<&RoomId>,
) -> Result<Vec<(RoomId, ThreadGuest)>, StoreError> {
    let sql = format!(
        "SELECT room_slug, thread, user_id FROM thread_guests WHERE {filter}
         ORDER BY room_slug, thread, user_id"
    );
    let rows: Vec<(String, i64, i64)> = with_connection!(connection, |c| {
        sqlx::query_as(&sql)
            .bind(room.map(RoomId::as_str))
            .fetch_all(&mut *c)
            .await?
    });
    rows.into_iter()
        .map(|(slug, thread, guest)| {
            let guest = ThreadGuest {
                thread: UserId::new(thread),
                guest: UserId::new(guest),
            };
            Ok((parse(slug, RoomId::try_from)?, guest))
        })
        .collect()
}

/// One room's thread guests, for its policy.
pub(super) async fn thread_guests_of_room(
    connection: Connection<'_>,
    room: &RoomId,
) -> Result<Arc<[ThreadGuest]>, StoreError> {
    Ok(load_guests(connection, "room_slug = $1", Some(room))
        .await?
        .into_iter()
        .map(|(_, guest)| guest)
        .collect())
}

/// Every room's thread guests, for policies read together.
pub(super) async fn thread_guests_by_room(
    connection: Connection<'_>,
) -> Result<HashMap<RoomId, Vec<ThreadGuest>>, StoreError> {
    let mut by_room: HashMap<RoomId, Vec<ThreadGuest>> = HashMap::new();
    for (room, guest) in load_guests(connection, "$1 IS NULL", None).await? {
        by_room.entry(room).or_default().push(guest);
    }
    Ok(by_room)
}
