//! Classrooms: their ids, names, viewing hours and members.

use nido_shared::{RoomId, WeeklySchedule};

use super::{Store, StoreError, conflict_or, found, parse};

/// A classroom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomRow {
    pub slug: RoomId,
    pub name: String,
    pub schedule: WeeklySchedule,
}

#[derive(sqlx::FromRow)]
struct RoomRecord {
    slug: String,
    name: String,
    schedule: String,
}

impl TryFrom<RoomRecord> for RoomRow {
    type Error = StoreError;

    fn try_from(record: RoomRecord) -> Result<Self, StoreError> {
        Ok(Self {
            slug: parse(record.slug, RoomId::try_from)?,
            name: record.name,
            schedule: parse(record.schedule, |json| serde_json::from_str(&json))?,
        })
    }
}

fn schedule_json(schedule: &WeeklySchedule) -> String {
    serde_json::to_string(schedule).expect("a schedule always serialises")
}

impl Store {
    /// Creates a room; [`StoreError::Conflict`] when the id is taken.
    pub async fn create_room(&self, room: &RoomRow, now_us: i64) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO rooms (slug, name, schedule, created_at_us) VALUES (?, ?, ?, ?)")
            .bind(room.slug.as_str())
            .bind(&room.name)
            .bind(schedule_json(&room.schedule))
            .bind(now_us)
            .execute(&self.pool)
            .await
            .map_err(conflict_or)?;
        Ok(())
    }

    pub async fn room(&self, slug: &RoomId) -> Result<Option<RoomRow>, StoreError> {
        sqlx::query_as::<_, RoomRecord>("SELECT slug, name, schedule FROM rooms WHERE slug = ?")
            .bind(slug.as_str())
            .fetch_optional(&self.pool)
            .await?
            .map(RoomRow::try_from)
            .transpose()
    }

    /// Every room, by id.
    pub async fn rooms(&self) -> Result<Vec<RoomRow>, StoreError> {
        sqlx::query_as::<_, RoomRecord>("SELECT slug, name, schedule FROM rooms ORDER BY slug")
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(RoomRow::try_from)
            .collect()
    }

    /// The rooms a person was given, by id.
    pub async fn rooms_of_user(&self, user_id: i64) -> Result<Vec<RoomRow>, StoreError> {
        sqlx::query_as::<_, RoomRecord>(
            "SELECT r.slug, r.name, r.schedule FROM rooms r
             JOIN room_members m ON m.room_id = r.id
             WHERE m.user_id = ? ORDER BY r.slug",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(RoomRow::try_from)
        .collect()
    }

    /// Whether this person was given this room.
    pub async fn is_member(&self, user_id: i64, slug: &RoomId) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM room_members m JOIN rooms r ON r.id = m.room_id
             WHERE m.user_id = ? AND r.slug = ?",
        )
        .bind(user_id)
        .bind(slug.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some())
    }

    pub async fn rename_room(&self, slug: &RoomId, name: &str) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE rooms SET name = ? WHERE slug = ?")
            .bind(name)
            .bind(slug.as_str())
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    pub async fn set_schedule(
        &self,
        slug: &RoomId,
        schedule: &WeeklySchedule,
    ) -> Result<(), StoreError> {
        let done = sqlx::query("UPDATE rooms SET schedule = ? WHERE slug = ?")
            .bind(schedule_json(schedule))
            .bind(slug.as_str())
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }

    /// Deletes a room and its memberships; the audit log keeps its sessions.
    pub async fn delete_room(&self, slug: &RoomId) -> Result<(), StoreError> {
        let done = sqlx::query("DELETE FROM rooms WHERE slug = ?")
            .bind(slug.as_str())
            .execute(&self.pool)
            .await?;
        found(done.rows_affected())
    }
}
