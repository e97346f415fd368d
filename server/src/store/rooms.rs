//! Classrooms: their ids, names, policies (viewing hours, pause, options and children) and
//! members.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use nido_shared::{RoomId, Timestamp, UserId, WeeklySchedule};
use sqlx::{Encode, Postgres, Sqlite, Type};

use super::backend::Connection;
use super::children::{PolicyChange, children_by_room, children_of_room};
use super::threads::{thread_guests_by_room, thread_guests_of_room};
use super::{Store, StoreError, conflict_or, found, parse};
use crate::relay::room_policy::{ChildStay, RoomPolicy, ThreadGuest};

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

/// What a room's policy lists beside its settings: its children and its thread guests.
#[derive(Default)]
pub(super) struct PolicyLists {
    children: Arc<[ChildStay]>,
    thread_guests: Arc<[ThreadGuest]>,
}

impl PolicyLists {
    /// One room's, in the caller's transaction.
    pub(super) async fn of_room(
        mut connection: Connection<'_>,
        room: &RoomId,
    ) -> Result<Self, StoreError> {
        Ok(Self {
            children: children_of_room(connection.reborrow(), room).await?,
            thread_guests: thread_guests_of_room(connection, room).await?,
        })
    }

    /// Every room's, for policies read together.
    pub(super) async fn by_room(
        mut connection: Connection<'_>,
    ) -> Result<HashMap<RoomId, Self>, StoreError> {
        let mut children = children_by_room(connection.reborrow()).await?;
        let mut guests = thread_guests_by_room(connection).await?;
        let rooms: HashSet<RoomId> = children.keys().chain(guests.keys()).cloned().collect();
        Ok(rooms
            .into_iter()
            .map(|room| {
                let lists = Self {
                    children: children.remove(&room).unwrap_or_default().into(),
                    thread_guests: guests.remove(&room).unwrap_or_default().into(),
                };
                (room, lists)
            })
            .collect())
    }
}

impl PolicyRecord {
    /// The policy, with the room's lists.
    pub(super) fn into_policy(self, lists: PolicyLists) -> Result<RoomPolicy, StoreError> {
        Ok(RoomPolicy {
            version: self.policy_version,
            schedule: parse(self.schedule, |json| serde_json::from_str(&json))?,
            paused: self.paused,
            attendance_required: self.attendance_required,
            watermark: self.watermark,
            children: lists.children,
            thread_guests: lists.thread_guests,
        })
    }
}

impl RoomRecord {
    fn into_row(self, lists: PolicyLists) -> Result<RoomRow, StoreError> {
        Ok(RoomRow {
            slug: parse(self.slug, RoomId::try_from)?,
            name: self.name,
            policy: self.policy.into_policy(lists)?,
        })
    }
}

/// Rooms read together, each with its lists.
async fn with_lists(
    connection: Connection<'_>,
    records: Vec<RoomRecord>,
) -> Result<Vec<RoomRow>, StoreError> {
    let mut lists = PolicyLists::by_room(connection).await?;
    records
        .into_iter()
        .map(|record| {
            let room = parse(record.slug.clone(), RoomId::try_from)?;
            record.into_row(lists.remove(&room).unwrap_or_default())
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
                    thread_guests: Arc::new([]),
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
            let lists = PolicyLists::of_room((&mut *connection).into(), slug).await?;
            record.into_row(lists).map(Some)
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
            with_lists((&mut *connection).into(), records).await
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
            with_lists((&mut *connection).into(), records).await
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
            let lists = PolicyLists::of_room((&mut *transaction).into(), slug).await?;
            transaction.commit().await?;
            record.into_policy(lists)
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

/// Gives the room with this internal id policy `version` (taken first thing in the
/// transaction: on SQLite, a transaction that writes first holds the write lock from its
/// start, so none other can slip in between its reads and its writes), and reads its policy
/// as of then.
pub(super) async fn bump_policy(
    mut connection: Connection<'_>,
    room_id: i64,
    version: i64,
) -> Result<PolicyChange, StoreError> {
    let (slug, record): (String, PolicyRecord) = with_connection!(connection.reborrow(), |c| {
        let slug = sqlx::query_scalar("SELECT slug FROM rooms WHERE id = $1")
            .bind(room_id)
            .fetch_one(&mut *c)
            .await?;
        let record = sqlx::query_as::<_, PolicyRecord>(&format!(
            "UPDATE rooms SET policy_version = $1 WHERE id = $2 RETURNING {POLICY_COLUMNS}"
        ))
        .bind(version)
        .bind(room_id)
        .fetch_one(&mut *c)
        .await?;
        (slug, record)
    });
    let room = parse(slug, RoomId::try_from)?;
    let lists = PolicyLists::of_room(connection, &room).await?;
    Ok((room.clone(), record.into_policy(lists)?))
}
