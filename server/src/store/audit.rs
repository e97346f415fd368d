//! The audit log: every viewing session, who, which room, from where, from when to when.

use nido_shared::api::{AuditEntry, AuditFilter};
use nido_shared::{DisplayName, Role, RoomId, Timestamp, UserId, Username};

use super::{Store, StoreError, ViewingId, parse};

/// Someone starting to watch or stream a room.
pub struct NewViewing<'a> {
    pub user_id: UserId,
    pub room: &'a RoomId,
    pub role: Role,
    pub client_addr: &'a str,
    /// The node recording it, in a deployment of many (see `cluster::end_dead_nodes`).
    pub node_id: Option<&'a str>,
}

#[derive(sqlx::FromRow)]
struct AuditRecord {
    id: i64,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    username: String,
    display_name: String,
    room_slug: String,
    role: String,
    client_addr: String,
    #[sqlx(try_from = "i64")]
    started_at_us: Timestamp,
    ended_at_us: Option<i64>,
}

impl TryFrom<AuditRecord> for AuditEntry {
    type Error = StoreError;

    fn try_from(record: AuditRecord) -> Result<Self, StoreError> {
        Ok(Self {
            id: record.id,
            user_id: record.user_id,
            username: parse(record.username, Username::try_from)?,
            display_name: parse(record.display_name, DisplayName::try_from)?,
            room: parse(record.room_slug, RoomId::try_from)?,
            role: Role::from_name(&record.role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", record.role)))?,
            client_addr: record.client_addr,
            started_at_us: record.started_at_us,
            ended_at_us: record.ended_at_us.map(Timestamp::from_micros),
        })
    }
}

impl Store {
    pub async fn start_viewing(
        &self,
        viewing: &NewViewing<'_>,
        now: Timestamp,
    ) -> Result<ViewingId, StoreError> {
        with_pool!(self, |pool| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO viewing_sessions
                     (user_id, room_slug, role, client_addr, started_at_us, node_id)
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(viewing.user_id.get())
            .bind(viewing.room.as_str())
            .bind(viewing.role.as_str())
            .bind(viewing.client_addr)
            .bind(now.as_micros())
            .bind(viewing.node_id)
            .fetch_one(pool)
            .await?;
            Ok(ViewingId::new(id))
        })
    }

    pub async fn end_viewing(&self, id: ViewingId, now: Timestamp) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE viewing_sessions SET ended_at_us = $1 WHERE id = $2 AND ended_at_us IS NULL",
            )
            .bind(now.as_micros())
            .bind(id.get())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// At start: sessions a previous run could not end (a crash) end now.
    pub async fn end_unfinished_viewings(&self, now: Timestamp) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE viewing_sessions SET ended_at_us = $1 WHERE ended_at_us IS NULL",
            )
            .bind(now.as_micros())
            .execute(pool)
            .await?;
            Ok(done.rows_affected())
        })
    }

    /// Viewing sessions matching the filter, newest first, at most `limit`.
    pub async fn audit(
        &self,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, AuditRecord>(
                "SELECT v.id, v.user_id, u.username, u.display_name, v.room_slug, v.role,
                        v.client_addr, v.started_at_us, v.ended_at_us
                 FROM viewing_sessions v JOIN users u ON u.id = v.user_id
                 WHERE ($1 IS NULL OR v.room_slug = $1)
                   AND ($2 IS NULL OR u.username = $2)
                   AND ($3 IS NULL OR v.ended_at_us IS NULL OR v.ended_at_us >= $3)
                   AND ($4 IS NULL OR v.started_at_us < $4)
                 ORDER BY v.started_at_us DESC, v.id DESC
                 LIMIT $5",
            )
            .bind(filter.room.as_ref().map(RoomId::as_str))
            .bind(filter.user.as_ref().map(Username::as_str))
            .bind(filter.from_us.map(Timestamp::as_micros))
            .bind(filter.to_us.map(Timestamp::as_micros))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(AuditEntry::try_from)
            .collect()
        })
    }
}
