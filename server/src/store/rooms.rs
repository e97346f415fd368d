//! Classrooms: their ids, names, policies (viewing hours, pause, options and children) and
//! members.

use std::sync::Arc;

use nido_shared::{RoomId, Timestamp, UserId, WeeklySchedule};
use sqlx::{Encode, Postgres, Sqlite, Type};

use super::backend::Connection;
use super::children::{children_by_room, children_of_room};
use super::{Store, StoreError, conflict_or, found, parse};
use crate::relay::room_policy::{ChildStay, RoomPolicy};

/// A classroom as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub slug: RoomId,
    pub name: String,
    pub policy: RoomPolicy,
}

/// A classroom to create.
pub struct NewRoomRow<'a> {
    pub slug: &'a RoomId,
    pub name: &'a str,
    pub schedule: WeeklySchedule,
}

#[derive(sqlx::FromRow)]
struct RoomRecord {
    slug: String,
    name: String,
    #[sqlx(flatten)]
    policy: PolicyRecord,
}

#[derive(sqlx::FromRow)]
pub(super) struct PolicyRecord {
    schedule: String,
    paused: bool,
    policy_version: i64,
    attendance_required: bool,
    watermark: bool,
}

impl PolicyRecord {
    /// The policy, with the room's children.
    pub(super) fn into_policy(self, children: Arc<[ChildStay]>) -> Result<RoomPolicy, StoreError> {
        Ok(RoomPolicy {
            version: self.policy_version,
            schedule: parse(self.schedule, |json| serde_json::from_str(&json))?,
            paused: self.paused,
            attendance_required: self.attendance_required,
            watermark: self.watermark,
            children,
        })
    }
}

impl RoomRecord {
    fn into_row(self, children: Arc<[ChildStay]>) -> Result<RoomRow, StoreError> {
        Ok(RoomRow {
            slug: parse(self.slug, RoomId::try_from)?,
            name: self.name,
            policy: self.policy.into_policy(children)?,
        })
    }
}

/// Rooms read together, each with its children.
async fn with_children(
    connection: Connection<'_>,
    records: Vec<RoomRecord>,
) -> Result<Vec<RoomRow>, StoreError> {
    let mut children = children_by_room(connection).await?;
    records
        .into_iter()
        .map(|record| {
            let room = parse(record.slug.clone(), RoomId::try_from)?;
            record.into_row(children.remove(&room).unwrap_or_default().into())
        })
        .collect()
}

const ROOM_COLUMNS: &str =
    "r.slug, r.name, r.schedule, r.paused, r.policy_version, r.attendance_required, r.watermark";
/// A policy as an UPDATE of the room returns it.
pub(super) const POLICY_COLUMNS: &str =
    "schedule, paused, policy_version, attendance_required, watermark";

fn schedule_json(schedule: &WeeklySchedule) -> String {
    serde_json::to_string(schedule).expect("a schedule always serialises")
}

/// The next number of the room policy counter, in the caller's transaction.
pub(super) async fn next_policy_version(connection: Connection<'_>) -> Result<i64, StoreError> {
    Ok(with_connection!(connection, |connection| {
        sqlx::query_scalar(
            "UPDATE room_policy_counter SET last = last + 1 WHERE id = 1 RETURNING last",
        )
        .fetch_one(connection)
        .await?
    }))
}

impl Store {
    /// Creates a room; [`StoreError::Conflict`] when the id is taken.
    pub async fn create_room(
        &self,
        room: &NewRoomRow<'_>,
        now: Timestamp,
    ) -> Result<RoomRow, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            sqlx::query(
                "INSERT INTO rooms (slug, name, schedule, policy_version, created_at_us)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(room.slug.as_str())
            .bind(room.name)
            .bind(schedule_json(&room.schedule))
            .bind(version)
            .bind(now.as_micros())
            .execute(&mut *transaction)
            .await
            .map_err(conflict_or)?;
            transaction.commit().await?;
            Ok(RoomRow {
                slug: room.slug.clone(),
                name: room.name.to_owned(),
                policy: RoomPolicy {
                    version,
                    schedule: room.schedule,
                    paused: false,
                    attendance_required: false,
                    watermark: false,
                    children: Arc::new([]),
                },
            })
        })
    }

    pub async fn room(&self, slug: &RoomId) -> Result<Option<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            let Some(record) = sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.slug = $1"
            ))
            .bind(slug.as_str())
            .fetch_optional(&mut *connection)
            .await?
            else {
                return Ok(None);
            };
            let children = children_of_room((&mut *connection).into(), slug).await?;
            record.into_row(children).map(Some)
        })
    }

    /// Every room, by id.
    pub async fn rooms(&self) -> Result<Vec<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            let records = sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r ORDER BY r.slug"
            ))
            .fetch_all(&mut *connection)
            .await?;
            with_children((&mut *connection).into(), records).await
        })
    }

    /// The rooms a person was given, by id.
    pub async fn rooms_of_user(&self, user_id: UserId) -> Result<Vec<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            let records = sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r JOIN room_members m ON m.room_id = r.id
                 WHERE m.user_id = $1 ORDER BY r.slug"
            ))
            .bind(user_id.get())
            .fetch_all(&mut *connection)
            .await?;
            with_children((&mut *connection).into(), records).await
        })
    }

    /// Whether this person was given this room.
    pub async fn is_member(&self, user_id: UserId, slug: &RoomId) -> Result<bool, StoreError> {
        Ok(self.member_since(user_id, slug).await?.is_some())
    }

    /// When this person was given this room, if they have it.
    pub async fn member_since(
        &self,
        user_id: UserId,
        slug: &RoomId,
    ) -> Result<Option<Timestamp>, StoreError> {
        with_pool!(self, |pool| {
            let since: Option<i64> = sqlx::query_scalar(
                "SELECT m.added_at_us FROM room_members m JOIN rooms r ON r.id = m.room_id
                 WHERE m.user_id = $1 AND r.slug = $2",
            )
            .bind(user_id.get())
            .bind(slug.as_str())
            .fetch_optional(pool)
            .await?;
            Ok(since.map(Timestamp::from_micros))
        })
    }

    pub async fn rename_room(&self, slug: &RoomId, name: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE rooms SET name = $1 WHERE slug = $2")
                .bind(name)
                .bind(slug.as_str())
                .execute(pool)
                .await?;
            found(done.rows_affected())
        })
    }

    /// Sets a room's viewing hours: its policy as of this change.
    pub async fn set_schedule(
        &self,
        slug: &RoomId,
        schedule: &WeeklySchedule,
    ) -> Result<RoomPolicy, StoreError> {
        self.change_policy(slug, "schedule", schedule_json(schedule))
            .await
    }

    /// Pauses or resumes a room's camera: its policy as of this change.
    pub async fn set_paused(&self, slug: &RoomId, paused: bool) -> Result<RoomPolicy, StoreError> {
        self.change_policy(slug, "paused", paused).await
    }

    /// Ties families' viewing of a room to their children's attendance, or unties it.
    pub async fn set_attendance_required(
        &self,
        slug: &RoomId,
        required: bool,
    ) -> Result<RoomPolicy, StoreError> {
        self.change_policy(slug, "attendance_required", required)
            .await
    }

    /// Turns the families' watermark of a room on or off.
    pub async fn set_watermark(&self, slug: &RoomId, on: bool) -> Result<RoomPolicy, StoreError> {
        self.change_policy(slug, "watermark", on).await
    }

    async fn change_policy<T>(
        &self,
        slug: &RoomId,
        column: &'static str,
        value: T,
    ) -> Result<RoomPolicy, StoreError>
    where
        T: for<'q> Encode<'q, Sqlite>
            + Type<Sqlite>
            + for<'q> Encode<'q, Postgres>
            + Type<Postgres>,
        T: Send + 'static,
    {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let record = sqlx::query_as::<_, PolicyRecord>(&format!(
                "UPDATE rooms SET {column} = $1, policy_version = $2 WHERE slug = $3
             RETURNING {POLICY_COLUMNS}"
            ))
            .bind(value)
            .bind(version)
            .bind(slug.as_str())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound)?;
            let children = children_of_room((&mut *transaction).into(), slug).await?;
            transaction.commit().await?;
            record.into_policy(children)
        })
    }

    /// Deletes a room with its memberships, invites' rooms and chat (the foreign keys
    /// cascade); the audit log keeps its sessions.
    pub async fn delete_room(&self, slug: &RoomId) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM rooms WHERE slug = $1")
                .bind(slug.as_str())
                .execute(pool)
                .await?;
            found(done.rows_affected())
        })
    }
}
