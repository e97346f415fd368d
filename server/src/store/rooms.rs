//! Classrooms: their ids, names, policies (viewing hours and pause) and members.

use nido_shared::{RoomId, Timestamp, UserId, WeeklySchedule};
use sqlx::{Encode, Postgres, Sqlite, Type};

use super::backend::Connection;
use super::{Store, StoreError, conflict_or, found, parse};
use crate::relay::room_policy::RoomPolicy;

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
struct PolicyRecord {
    schedule: String,
    paused: bool,
    policy_version: i64,
}

impl TryFrom<PolicyRecord> for RoomPolicy {
    type Error = StoreError;

    fn try_from(record: PolicyRecord) -> Result<Self, StoreError> {
        Ok(Self {
            version: record.policy_version,
            schedule: parse(record.schedule, |json| serde_json::from_str(&json))?,
            paused: record.paused,
        })
    }
}

impl TryFrom<RoomRecord> for RoomRow {
    type Error = StoreError;

    fn try_from(record: RoomRecord) -> Result<Self, StoreError> {
        Ok(Self {
            slug: parse(record.slug, RoomId::try_from)?,
            name: record.name,
            policy: RoomPolicy::try_from(record.policy)?,
        })
    }
}

const ROOM_COLUMNS: &str = "r.slug, r.name, r.schedule, r.paused, r.policy_version";

fn schedule_json(schedule: &WeeklySchedule) -> String {
    serde_json::to_string(schedule).expect("a schedule always serialises")
}

/// The next number of the room policy counter, in the caller's transaction.
async fn next_policy_version(connection: Connection<'_>) -> Result<i64, StoreError> {
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
                },
            })
        })
    }

    pub async fn room(&self, slug: &RoomId) -> Result<Option<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r WHERE r.slug = $1"
            ))
            .bind(slug.as_str())
            .fetch_optional(pool)
            .await?
            .map(RoomRow::try_from)
            .transpose()
        })
    }

    /// Every room, by id.
    pub async fn rooms(&self) -> Result<Vec<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r ORDER BY r.slug"
            ))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(RoomRow::try_from)
            .collect()
        })
    }

    /// The rooms a person was given, by id.
    pub async fn rooms_of_user(&self, user_id: UserId) -> Result<Vec<RoomRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, RoomRecord>(&format!(
                "SELECT {ROOM_COLUMNS} FROM rooms r JOIN room_members m ON m.room_id = r.id
                 WHERE m.user_id = $1 ORDER BY r.slug"
            ))
            .bind(user_id.get())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(RoomRow::try_from)
            .collect()
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
             RETURNING schedule, paused, policy_version"
            ))
            .bind(value)
            .bind(version)
            .bind(slug.as_str())
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound)?;
            transaction.commit().await?;
            RoomPolicy::try_from(record)
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
