//! What the nodes of one deployment keep in their shared PostgreSQL: their heartbeats (and
//! the clean-up after a node that died), the cluster-wide camera seats, the access epoch and
//! the re-read of access it triggers, and the rooms' chat positions. PostgreSQL only: one
//! Nido on SQLite is its own cluster.

use std::collections::{HashMap, HashSet};

use nido_shared::{RoomId, UserId, UserRole};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::backend::Backend;
use super::rooms::{POLICY_COLUMNS, PolicyLists, PolicyRecord};

/// Where one conversation of a room stands in the database, for the nodes to compare with
/// what they delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatPosition {
    pub room: RoomId,
    /// `None` for the room's chat.
    pub thread: Option<UserId>,
    pub mark: ChatMark,
}

/// A conversation's last number and, for a private thread, the sum of its read marks: either
/// moving means its readers' states changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChatMark {
    pub last_seq: u64,
    pub reads: u64,
}
use super::{SessionId, Store, StoreError, parse};
use crate::relay::room_policy::RoomPolicy;

/// The database clock, in microseconds: every liveness comparison uses it, so the nodes'
/// own clocks do not matter.
const NOW_US: &str = "(extract(epoch FROM clock_timestamp()) * 1000000)::BIGINT";

/// A node whose heartbeat is older than this is dead (it beats every second).
const NODE_DEAD_AFTER_US: i64 = 5_000_000;

/// Access as the database has it now, for the sockets open on a node (see
/// [`Store::access_now`]).
#[derive(Debug, Default)]
pub struct AccessNow {
    /// The asked-about sessions that are still there, with their expiry.
    pub sessions: HashMap<SessionId, i64>,
    /// The asked-about people.
    pub people: HashMap<UserId, PersonAccess>,
    /// The rooms each asked-about person has.
    pub rooms_of: HashMap<UserId, HashSet<RoomId>>,
    /// The asked-about rooms that exist, with their policy.
    pub rooms: HashMap<RoomId, RoomPolicy>,
    /// Whether staff must have a second factor.
    pub staff_second_factor: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct PersonAccess {
    pub role: UserRole,
    pub revoked: bool,
    pub second_factor: bool,
}

#[derive(sqlx::FromRow)]
struct PersonRecord {
    id: i64,
    role: String,
    revoked: bool,
    second_factor: bool,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    slug: String,
    #[sqlx(flatten)]
    policy: PolicyRecord,
}

impl Store {
    fn postgres(&self, what: &'static str) -> Result<&PgPool, StoreError> {
        match &self.backend {
            Backend::Postgres(pools) => Ok(&pools.main),
            Backend::Sqlite(_) => Err(StoreError::PostgresOnly(what)),
        }
    }

    /// Records that this node is alive. `true` when its row had to be made: at its first
    /// beat, or because the others took it for dead meanwhile (then they ended its viewings
    /// and freed its seats, and it must not carry on as if they had not).
    pub async fn heartbeat(&self, node_id: &str, description: &str) -> Result<bool, StoreError> {
        let pool = self.postgres("heartbeats")?;
        let made: bool = sqlx::query_scalar(&format!(
            "INSERT INTO cluster_nodes (node_id, description, started_at_us, last_seen_us)
             VALUES ($1, $2, {NOW_US}, {NOW_US})
             ON CONFLICT (node_id) DO UPDATE SET last_seen_us = {NOW_US}
             RETURNING xmax = 0"
        ))
        .bind(node_id)
        .bind(description)
        .fetch_one(pool)
        .await?;
        Ok(made)
    }

    /// Ends what nodes that stopped beating left behind: their open viewings end at their
    /// last heartbeat, their camera seats are freed and their rows go. Idempotent; every
    /// node runs it. Returns how many viewings it ended.
    pub async fn end_dead_nodes(&self) -> Result<u64, StoreError> {
        let pool = self.postgres("heartbeats")?;
        let mut transaction = pool.begin().await?;
        let dead: Vec<(String, i64)> = sqlx::query_as(&format!(
            "DELETE FROM cluster_nodes WHERE last_seen_us < {NOW_US} - $1
             RETURNING node_id, last_seen_us"
        ))
        .bind(NODE_DEAD_AFTER_US)
        .fetch_all(&mut *transaction)
        .await?;
        if dead.is_empty() {
            return Ok(0);
        }
        let (nodes, last_seen): (Vec<String>, Vec<i64>) = dead.into_iter().unzip();
        let ended = sqlx::query(
            "UPDATE viewing_sessions v SET ended_at_us = GREATEST(d.last_seen_us, v.started_at_us)
             FROM UNNEST($1::TEXT[], $2::BIGINT[]) AS d (node_id, last_seen_us)
             WHERE v.node_id = d.node_id AND v.ended_at_us IS NULL",
        )
        .bind(&nodes)
        .bind(&last_seen)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
        sqlx::query("UPDATE camera_seats SET node_id = NULL WHERE node_id = ANY($1)")
            .bind(&nodes)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(ended)
    }

    /// Ends this node's open viewings and frees its seats: it is stopping, or it was taken
    /// for dead.
    pub async fn leave_cluster(&self, node_id: &str) -> Result<(), StoreError> {
        let pool = self.postgres("heartbeats")?;
        let mut transaction = pool.begin().await?;
        sqlx::query(&format!(
            "UPDATE viewing_sessions SET ended_at_us = GREATEST({NOW_US}, started_at_us)
             WHERE node_id = $1 AND ended_at_us IS NULL"
        ))
        .bind(node_id)
        .execute(&mut *transaction)
        .await?;
        sqlx::query("UPDATE camera_seats SET node_id = NULL WHERE node_id = $1")
            .bind(node_id)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("DELETE FROM cluster_nodes WHERE node_id = $1")
            .bind(node_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Takes a room's camera seat for this node: free, held by the same camera (its key)
    /// anywhere, or held by a dead node. The new epoch, or `None` when another camera holds
    /// it.
    pub async fn claim_camera_seat(
        &self,
        room: &RoomId,
        camera_key: Option<&str>,
        node_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let pool = self.postgres("camera seats")?;
        let epoch: Option<i64> = sqlx::query_scalar(&format!(
            "INSERT INTO camera_seats AS seat (room_slug, camera_key_hash, node_id, epoch)
             VALUES ($1, $2, $3, 1)
             ON CONFLICT (room_slug) DO UPDATE
             SET camera_key_hash = EXCLUDED.camera_key_hash, node_id = EXCLUDED.node_id,
                 epoch = seat.epoch + 1
             WHERE seat.node_id IS NULL
                OR seat.camera_key_hash = EXCLUDED.camera_key_hash
                OR NOT EXISTS (SELECT 1 FROM cluster_nodes n
                               WHERE n.node_id = seat.node_id
                                 AND n.last_seen_us >= {NOW_US} - $4)
             RETURNING epoch"
        ))
        .bind(room.as_str())
        .bind(camera_key.map(|key| Sha256::digest(key.as_bytes()).to_vec()))
        .bind(node_id)
        .bind(NODE_DEAD_AFTER_US)
        .fetch_optional(pool)
        .await?;
        Ok(epoch.map(|epoch| epoch.unsigned_abs()))
    }

    /// Frees a seat this node took with `epoch`, unless it was taken over since.
    pub async fn release_camera_seat(&self, room: &RoomId, epoch: u64) -> Result<(), StoreError> {
        let pool = self.postgres("camera seats")?;
        sqlx::query("UPDATE camera_seats SET node_id = NULL WHERE room_slug = $1 AND epoch = $2")
            .bind(room.as_str())
            .bind(i64::try_from(epoch).unwrap_or(i64::MAX))
            .execute(pool)
            .await?;
        Ok(())
    }

    /// The seats this node holds, each with its epoch.
    pub async fn camera_seats_of(&self, node_id: &str) -> Result<Vec<(RoomId, u64)>, StoreError> {
        let pool = self.postgres("camera seats")?;
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT room_slug, epoch FROM camera_seats WHERE node_id = $1")
                .bind(node_id)
                .fetch_all(pool)
                .await?;
        rows.into_iter()
            .map(|(slug, epoch)| Ok((parse(slug, RoomId::try_from)?, epoch.unsigned_abs())))
            .collect()
    }

    /// The access epoch: it moves on with every change that can close or silence a socket.
    pub async fn access_epoch(&self) -> Result<i64, StoreError> {
        let pool = self.postgres("the access epoch")?;
        Ok(
            sqlx::query_scalar("SELECT epoch FROM access_epoch WHERE id = 1")
                .fetch_one(pool)
                .await?,
        )
    }

    /// Everything that decides the access of these sessions, people and rooms, read in one
    /// snapshot.
    pub async fn access_now(
        &self,
        sessions: &[SessionId],
        users: &[UserId],
        rooms: &[RoomId],
    ) -> Result<AccessNow, StoreError> {
        let pool = self.postgres("access checks")?;
        let mut transaction = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *transaction)
            .await?;
        let session_ids: Vec<i64> = sessions.iter().map(|id| id.get()).collect();
        let user_ids: Vec<i64> = users.iter().map(|id| id.get()).collect();
        let slugs: Vec<&str> = rooms.iter().map(RoomId::as_str).collect();
        let session_rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, expires_at_us FROM sessions WHERE id = ANY($1)")
                .bind(&session_ids)
                .fetch_all(&mut *transaction)
                .await?;
        let people: Vec<PersonRecord> = sqlx::query_as(
            "SELECT id, role, revoked_at_us IS NOT NULL AS revoked,
                    totp_secret IS NOT NULL AS second_factor
             FROM users WHERE id = ANY($1)",
        )
        .bind(&user_ids)
        .fetch_all(&mut *transaction)
        .await?;
        let memberships: Vec<(i64, String)> = sqlx::query_as(
            "SELECT m.user_id, r.slug FROM room_members m JOIN rooms r ON r.id = m.room_id
             WHERE m.user_id = ANY($1)",
        )
        .bind(&user_ids)
        .fetch_all(&mut *transaction)
        .await?;
        let policies: Vec<PolicyRow> = sqlx::query_as(&format!(
            "SELECT slug, {POLICY_COLUMNS} FROM rooms WHERE slug = ANY($1)"
        ))
        .bind(&slugs)
        .fetch_all(&mut *transaction)
        .await?;
        let mut lists = PolicyLists::by_room((&mut *transaction).into()).await?;
        let staff_second_factor =
            sqlx::query_scalar("SELECT staff_second_factor FROM settings WHERE id = 1")
                .fetch_one(&mut *transaction)
                .await?;
        transaction.commit().await?;

        let mut access = AccessNow {
            staff_second_factor,
            ..AccessNow::default()
        };
        access.sessions = session_rows
            .into_iter()
            .map(|(id, expires_at_us)| (SessionId::new(id), expires_at_us))
            .collect();
        for person in people {
            access.people.insert(
                UserId::new(person.id),
                PersonAccess {
                    role: parse(person.role, |role| role.parse::<UserRole>())?,
                    revoked: person.revoked,
                    second_factor: person.second_factor,
                },
            );
        }
        for (user_id, slug) in memberships {
            access
                .rooms_of
                .entry(UserId::new(user_id))
                .or_default()
                .insert(parse(slug, RoomId::try_from)?);
        }
        for row in policies {
            let room = parse(row.slug, RoomId::try_from)?;
            let policy = row
                .policy
                .into_policy(lists.remove(&room).unwrap_or_default())?;
            access.rooms.insert(room, policy);
        }
        Ok(access)
    }

    /// Where each of these rooms' conversations stands: its chat (last number 0 before its
    /// first message) and each of its private threads.
    pub async fn chat_positions(&self, rooms: &[RoomId]) -> Result<Vec<ChatPosition>, StoreError> {
        let pool = self.postgres("chat positions")?;
        let slugs: Vec<&str> = rooms.iter().map(RoomId::as_str).collect();
        let rows: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT r.slug, 0, COALESCE(c.last_seq, 0), 0 FROM rooms r
               LEFT JOIN chat_threads c ON c.room_slug = r.slug AND c.thread = 0
              WHERE r.slug = ANY($1)
             UNION ALL
             SELECT t.room_slug, t.thread, t.last_seq,
                    COALESCE((SELECT SUM(m.read_seq) FROM chat_reads m
                               WHERE m.room_slug = t.room_slug AND m.thread = t.thread), 0)::BIGINT
               FROM chat_threads t
              WHERE t.room_slug = ANY($1) AND t.thread <> 0",
        )
        .bind(&slugs)
        .fetch_all(pool)
        .await?;
        rows.into_iter()
            .map(|(slug, thread, last_seq, reads)| {
                Ok(ChatPosition {
                    room: parse(slug, RoomId::try_from)?,
                    thread: (thread != 0).then(|| UserId::new(thread)),
                    mark: ChatMark {
                        last_seq: last_seq.unsigned_abs(),
                        reads: reads.unsigned_abs(),
                    },
                })
            })
            .collect()
    }
}
