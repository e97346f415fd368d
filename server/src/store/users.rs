//! People's accounts: creating, finding, changing role and rooms, revoking.

use std::collections::HashMap;

use nido_shared::{DisplayName, RoomId, Timestamp, UserId, UserRole, Username};

use super::backend::Connection;
use super::sessions::session_ids;
use super::{SessionId, Store, StoreError, conflict_or, found, parse};

/// Someone with an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: UserId,
    pub username: Username,
    pub display_name: DisplayName,
    pub role: UserRole,
    pub password_hash: String,
    pub created_at_us: Timestamp,
    pub revoked: bool,
    /// Who made the invite this person registered with.
    pub invited_by: Option<UserId>,
    /// A relative's household head: the family member who invited them.
    pub household_head: Option<UserId>,
    /// Whether logging in asks for a two-step code.
    pub second_factor: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct UserRecord {
    id: i64,
    username: String,
    display_name: String,
    role: String,
    password_hash: String,
    #[sqlx(try_from = "i64")]
    created_at_us: Timestamp,
    revoked_at_us: Option<i64>,
    invited_by: Option<i64>,
    household_head: Option<i64>,
    second_factor: bool,
}

impl TryFrom<UserRecord> for User {
    type Error = StoreError;

    fn try_from(record: UserRecord) -> Result<Self, StoreError> {
        Ok(Self {
            id: UserId::new(record.id),
            username: parse(record.username, Username::try_from)?,
            display_name: parse(record.display_name, DisplayName::try_from)?,
            role: parse(record.role, |role| role.parse::<UserRole>())?,
            password_hash: record.password_hash,
            created_at_us: record.created_at_us,
            revoked: record.revoked_at_us.is_some(),
            invited_by: record.invited_by.map(UserId::new),
            household_head: record.household_head.map(UserId::new),
            second_factor: record.second_factor,
        })
    }
}

const USER_COLUMNS: &str = "id, username, display_name, role, password_hash, created_at_us, \
    revoked_at_us, invited_by, household_head, totp_secret IS NOT NULL AS second_factor";
/// The same columns from a query that calls `users` "u".
pub(super) const USER_COLUMNS_OF_U: &str = "u.id, u.username, u.display_name, u.role, \
    u.password_hash, u.created_at_us, u.revoked_at_us, u.invited_by, u.household_head, \
    u.totp_secret IS NOT NULL AS second_factor";

/// A new account.
pub struct NewUser<'a> {
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub password_hash: &'a str,
    pub role: UserRole,
    pub invited_by: Option<UserId>,
    pub household_head: Option<UserId>,
}

impl Store {
    /// Creates an account; [`StoreError::Conflict`] when the username is taken.
    pub async fn create_user(
        &self,
        user: &NewUser<'_>,
        now: Timestamp,
    ) -> Result<UserId, StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            insert_user((&mut *connection).into(), user, now).await
        })
    }

    pub async fn user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, UserRecord>(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
            ))
            .bind(username.as_str())
            .fetch_optional(pool)
            .await?
            .map(User::try_from)
            .transpose()
        })
    }

    pub async fn user_by_id(&self, id: UserId) -> Result<Option<User>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, UserRecord>(&format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
            ))
            .bind(id.get())
            .fetch_optional(pool)
            .await?
            .map(User::try_from)
            .transpose()
        })
    }

    /// Everyone, by username.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, UserRecord>(&format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY username"
            ))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(User::try_from)
            .collect()
        })
    }

    /// Each person's rooms, by user id.
    pub async fn rooms_by_user(&self) -> Result<HashMap<UserId, Vec<RoomId>>, StoreError> {
        with_pool!(self, |pool| {
            let pairs: Vec<(i64, String)> = sqlx::query_as(
                "SELECT m.user_id, r.slug FROM room_members m JOIN rooms r ON r.id = m.room_id
                 ORDER BY r.slug",
            )
            .fetch_all(pool)
            .await?;
            let mut rooms: HashMap<UserId, Vec<RoomId>> = HashMap::new();
            for (user_id, slug) in pairs {
                rooms
                    .entry(UserId::new(user_id))
                    .or_default()
                    .push(parse(slug, RoomId::try_from)?);
            }
            Ok(rooms)
        })
    }

    /// Changes a person's role; [`StoreError::LastAdmin`] (and no change) when that would
    /// leave no admin who can log in.
    pub async fn set_role(&self, user_id: UserId, role: UserRole) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            lock_admins((&mut *transaction).into()).await?;
            let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(user_id.get())
                .execute(&mut *transaction)
                .await?;
            found(done.rows_affected())?;
            keep_an_admin((&mut *transaction).into()).await?;
            transaction.commit().await?;
            Ok(())
        })
    }

    /// Replaces a person's rooms, keeping when they were given the ones they keep;
    /// [`StoreError::NotFound`] if a room does not exist.
    pub async fn set_user_rooms(
        &self,
        user_id: UserId,
        rooms: &[RoomId],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            // Writing first takes SQLite's write lock at once, so no other writer can slip in.
            let mut transaction = pool.begin().await?;
            let mut leave = sqlx::QueryBuilder::new("DELETE FROM room_members WHERE user_id = ");
            leave.push_bind(user_id.get());
            if !rooms.is_empty() {
                leave.push(" AND room_id NOT IN (SELECT id FROM rooms WHERE slug IN (");
                let mut kept = leave.separated(", ");
                for room in rooms {
                    kept.push_bind(room.as_str());
                }
                kept.push_unseparated("))");
            }
            leave.build().execute(&mut *transaction).await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                .bind(user_id.get())
                .fetch_optional(&mut *transaction)
                .await?;
            exists.ok_or(StoreError::NotFound)?;
            add_rooms((&mut *transaction).into(), user_id, rooms, now).await?;
            transaction.commit().await?;
            Ok(())
        })
    }

    /// Revokes an account: it can no longer log in, and its sessions and trusted devices
    /// are deleted. Returns the ids of the deleted sessions; [`StoreError::LastAdmin`]
    /// (and no change) when it is the last admin who can log in.
    pub async fn revoke_user(
        &self,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<Vec<SessionId>, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            lock_admins((&mut *transaction).into()).await?;
            let done = sqlx::query(
                "UPDATE users SET revoked_at_us = $1 WHERE id = $2 AND revoked_at_us IS NULL",
            )
            .bind(now.as_micros())
            .bind(user_id.get())
            .execute(&mut *transaction)
            .await?;
            if done.rows_affected() == 0 {
                let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE id = $1")
                    .bind(user_id.get())
                    .fetch_optional(&mut *transaction)
                    .await?;
                exists.ok_or(StoreError::NotFound)?;
            }
            keep_an_admin((&mut *transaction).into()).await?;
            let sessions: Vec<i64> =
                sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING id")
                    .bind(user_id.get())
                    .fetch_all(&mut *transaction)
                    .await?;
            sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1")
                .bind(user_id.get())
                .execute(&mut *transaction)
                .await?;
            transaction.commit().await?;
            Ok(session_ids(sessions))
        })
    }

    pub async fn set_password_hash(&self, user_id: UserId, hash: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user_id.get())
                .execute(pool)
                .await?;
            found(done.rows_affected())
        })
    }

    /// How many admins can still log in.
    pub async fn active_admin_count(&self) -> Result<i64, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'admin' AND revoked_at_us IS NULL",
            )
            .fetch_one(pool)
            .await?)
        })
    }
}

/// Makes the transactions that may remove an admin run one after another, so that each
/// counts the admins the others left. SQLite's one writer lock already does; PostgreSQL's
/// transactions run side by side, so there they lock the settings row first.
async fn lock_admins(connection: Connection<'_>) -> Result<(), StoreError> {
    if let Connection::Postgres(connection) = connection {
        sqlx::query("SELECT id FROM settings WHERE id = 1 FOR UPDATE")
            .execute(connection)
            .await?;
    }
    Ok(())
}

/// [`StoreError::LastAdmin`] when, in this transaction, no admin can log in any more.
async fn keep_an_admin(connection: Connection<'_>) -> Result<(), StoreError> {
    with_connection!(connection, |connection| {
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE role = 'admin' AND revoked_at_us IS NULL",
        )
        .fetch_one(connection)
        .await?;
        if admins == 0 {
            Err(StoreError::LastAdmin)
        } else {
            Ok(())
        }
    })
}

pub(super) async fn insert_user(
    connection: Connection<'_>,
    user: &NewUser<'_>,
    now: Timestamp,
) -> Result<UserId, StoreError> {
    with_connection!(connection, |connection| {
        sqlx::query_scalar(
            "INSERT INTO users
                (username, display_name, password_hash, role, invited_by, household_head,
                 created_at_us)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(user.username.as_str())
        .bind(user.display_name.as_str())
        .bind(user.password_hash)
        .bind(user.role.as_str())
        .bind(user.invited_by.map(UserId::get))
        .bind(user.household_head.map(UserId::get))
        .bind(now.as_micros())
        .fetch_one(connection)
        .await
        .map(UserId::new)
        .map_err(conflict_or)
    })
}

/// Gives a person rooms, by slug, from `now` on (rooms they have already keep their
/// date); [`StoreError::NotFound`] if one does not exist.
pub(super) async fn add_rooms(
    connection: Connection<'_>,
    user_id: UserId,
    rooms: &[RoomId],
    now: Timestamp,
) -> Result<(), StoreError> {
    with_connection!(connection, |connection| {
        for room in rooms {
            let added = sqlx::query(
                "INSERT INTO room_members (room_id, user_id, added_at_us)
                 SELECT id, $1, $2 FROM rooms WHERE slug = $3
                 ON CONFLICT DO NOTHING",
            )
            .bind(user_id.get())
            .bind(now.as_micros())
            .bind(room.as_str())
            .execute(&mut *connection)
            .await?;
            if added.rows_affected() == 0 {
                let exists: Option<i64> =
                    sqlx::query_scalar("SELECT id FROM rooms WHERE slug = $1")
                        .bind(room.as_str())
                        .fetch_optional(&mut *connection)
                        .await?;
                exists.ok_or(StoreError::NotFound)?;
            }
        }
        Ok(())
    })
}
