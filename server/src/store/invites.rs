//! Invite links: who may register, in which role and rooms, until when and how many times.

use super::backend::Connection;
use nido_shared::{DisplayName, InviteId, RoomId, Timestamp, UserId, UserRole, Username};

use super::users::{NewUser, add_rooms, insert_user};
use super::{Store, StoreError, found, parse};

/// A new invite; only the hash of its token is stored.
pub struct NewInviteRow<'a> {
    pub token_hash: &'a [u8],
    pub role: UserRole,
    pub rooms: &'a [RoomId],
    pub created_by: UserId,
    /// The creator's role now, which registering checks they still have.
    pub creator_role: UserRole,
    pub expires_at_us: Timestamp,
    pub max_uses: u32,
    /// For a household's head: how many places their household may have in all.
    pub place_limit: Option<u32>,
}

/// Someone who invites, as they are at the moment of the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inviter {
    pub role: UserRole,
    pub revoked: bool,
    /// Invited by a family member: part of that member's household.
    pub relative: bool,
    pub rooms: Vec<RoomId>,
}

/// An open invite, and its creator as they are now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteClaim {
    pub role: UserRole,
    pub rooms: Vec<RoomId>,
    /// The role the creator had when making it.
    pub creator_role_then: Option<UserRole>,
    pub creator: Inviter,
}

/// An invite as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteRow {
    pub id: InviteId,
    pub role: UserRole,
    pub rooms: Vec<RoomId>,
    pub room_names: Vec<String>,
    pub created_by: UserId,
    pub created_by_name: DisplayName,
    pub created_at_us: Timestamp,
    pub expires_at_us: Timestamp,
    pub max_uses: u32,
    pub uses: u32,
    pub revoked: bool,
}

impl InviteRow {
    /// Whether someone can still register with it.
    pub fn usable(&self, now: Timestamp) -> bool {
        !self.revoked && self.uses < self.max_uses && now < self.expires_at_us
    }
}

#[derive(sqlx::FromRow)]
struct InviteRecord {
    #[sqlx(try_from = "i64")]
    id: InviteId,
    role: String,
    /// Space-separated slugs (slugs have no spaces).
    room_slugs: Option<String>,
    /// Names separated by a unit separator, in the same order.
    room_names: Option<String>,
    #[sqlx(try_from = "i64")]
    created_by: UserId,
    created_by_name: String,
    #[sqlx(try_from = "i64")]
    created_at_us: Timestamp,
    #[sqlx(try_from = "i64")]
    expires_at_us: Timestamp,
    #[sqlx(try_from = "i64")]
    max_uses: u32,
    #[sqlx(try_from = "i64")]
    uses: u32,
    revoked_at_us: Option<i64>,
}

/// Between room names in `room_names` (the same character as in `INVITE_QUERY`).
const NAME_SEPARATOR: char = '\u{1f}';

const INVITE_QUERY: &str = "SELECT i.id, i.role, i.created_by, u.display_name AS created_by_name,
        i.created_at_us, i.expires_at_us, i.max_uses, i.uses, i.revoked_at_us,
        (SELECT string_agg(r.slug, ' ' ORDER BY r.slug) FROM invite_rooms ir
            JOIN rooms r ON r.id = ir.room_id WHERE ir.invite_id = i.id) AS room_slugs,
        (SELECT string_agg(r.name, '\u{1f}' ORDER BY r.slug) FROM invite_rooms ir
            JOIN rooms r ON r.id = ir.room_id WHERE ir.invite_id = i.id)
            AS room_names
    FROM invites i JOIN users u ON u.id = i.created_by";

impl TryFrom<InviteRecord> for InviteRow {
    type Error = StoreError;

    fn try_from(record: InviteRecord) -> Result<Self, StoreError> {
        let rooms = record
            .room_slugs
            .unwrap_or_default()
            .split_whitespace()
            .map(|slug| parse(slug.to_owned(), RoomId::try_from))
            .collect::<Result<_, _>>()?;
        let room_names = record
            .room_names
            .map(|names| names.split(NAME_SEPARATOR).map(str::to_owned).collect())
            .unwrap_or_default();
        Ok(Self {
            id: record.id,
            role: parse(record.role, |role| role.parse::<UserRole>())?,
            rooms,
            room_names,
            created_by: record.created_by,
            created_by_name: parse(record.created_by_name, DisplayName::try_from)?,
            created_at_us: record.created_at_us,
            expires_at_us: record.expires_at_us,
            max_uses: record.max_uses,
            uses: record.uses,
            revoked: record.revoked_at_us.is_some(),
        })
    }
}

impl Store {
    /// Creates an invite; [`StoreError::NotFound`] if one of its rooms does not exist,
    /// [`StoreError::LimitReached`] if it would take the household past its places.
    pub async fn create_invite(
        &self,
        invite: &NewInviteRow<'_>,
        now: Timestamp,
    ) -> Result<InviteId, StoreError> {
        with_pool!(self, |pool| {
            // Inserting first takes SQLite's write lock, and PostgreSQL's lock on the
            // inviter is taken before the insert (whose foreign key would otherwise share it
            // with every other insert, and deadlock them), so the places counted below
            // include every invite made at the same moment: the check and the insert are one.
            let mut transaction = pool.begin().await?;
            if invite.place_limit.is_some() {
                lock_inviter((&mut *transaction).into(), invite.created_by).await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO invites
                    (token_hash, role, created_by, creator_role, created_at_us, expires_at_us,
                     max_uses)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(invite.token_hash)
            .bind(invite.role.as_str())
            .bind(invite.created_by.get())
            .bind(invite.creator_role.as_str())
            .bind(now.as_micros())
            .bind(invite.expires_at_us.as_micros())
            .bind(i64::from(invite.max_uses))
            .fetch_one(&mut *transaction)
            .await?;
            for room in invite.rooms {
                let added = sqlx::query(
                    "INSERT INTO invite_rooms (invite_id, room_id)
                     SELECT $1, id FROM rooms WHERE slug = $2
                     ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(room.as_str())
                .execute(&mut *transaction)
                .await?;
                found(added.rows_affected())?;
            }
            if let Some(limit) = invite.place_limit {
                let used = places_used((&mut *transaction).into(), invite.created_by, now).await?;
                if used > limit {
                    return Err(StoreError::LimitReached);
                }
            }
            transaction.commit().await?;
            Ok(InviteId::new(id))
        })
    }

    pub async fn invite(&self, id: InviteId) -> Result<Option<InviteRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, InviteRecord>(&format!("{INVITE_QUERY} WHERE i.id = $1"))
                .bind(id.get())
                .fetch_optional(pool)
                .await?
                .map(InviteRow::try_from)
                .transpose()
        })
    }

    pub async fn invite_by_token_hash(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<InviteRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, InviteRecord>(&format!("{INVITE_QUERY} WHERE i.token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
                .map(InviteRow::try_from)
                .transpose()
        })
    }

    /// Invites, newest first: everyone's, or only those one person created.
    pub async fn invites(&self, created_by: Option<UserId>) -> Result<Vec<InviteRow>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, InviteRecord>(&format!(
                "{INVITE_QUERY} WHERE $1 IS NULL OR i.created_by = $1 ORDER BY i.id DESC"
            ))
            .bind(created_by.map(UserId::get))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(InviteRow::try_from)
            .collect()
        })
    }

    pub async fn revoke_invite(&self, id: InviteId, now: Timestamp) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE invites SET revoked_at_us = COALESCE(revoked_at_us, $1) WHERE id = $2",
            )
            .bind(now.as_micros())
            .bind(id.get())
            .execute(pool)
            .await?;
            found(done.rows_affected())
        })
    }

    /// How many people a person has invited or may still invite with their open links:
    /// open invites count every use they allow, closed ones the uses they had.
    pub async fn invite_places_used(
        &self,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<u32, StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            places_used((&mut *connection).into(), user_id, now).await
        })
    }

    /// Revokes the open invites of `user_id` that `still_valid` refuses, judged by the
    /// person as they are now: after they were revoked, or lost a role or rooms.
    pub async fn revoke_lost_invites(
        &self,
        user_id: UserId,
        now: Timestamp,
        still_valid: impl Fn(&InviteClaim) -> bool,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let open: Vec<i64> = sqlx::query_scalar(
                "SELECT id FROM invites
                 WHERE created_by = $1 AND revoked_at_us IS NULL AND expires_at_us > $2
                   AND uses < max_uses",
            )
            .bind(user_id.get())
            .bind(now.as_micros())
            .fetch_all(&mut *transaction)
            .await?;
            for invite_id in open.into_iter().map(InviteId::new) {
                if !still_valid(&claim((&mut *transaction).into(), invite_id).await?) {
                    sqlx::query("UPDATE invites SET revoked_at_us = $1 WHERE id = $2")
                        .bind(now.as_micros())
                        .bind(invite_id.get())
                        .execute(&mut *transaction)
                        .await?;
                }
            }
            transaction.commit().await?;
            Ok(())
        })
    }

    /// Uses an invite to create an account with its role and rooms, all or nothing,
    /// if `still_valid` accepts the invite and its creator as they are at that moment.
    /// [`StoreError::NotFound`] when the invite is unknown or no longer usable,
    /// [`StoreError::Conflict`] when the username is taken.
    pub async fn register_with_invite(
        &self,
        registration: &NewRegistration<'_>,
        now: Timestamp,
        still_valid: impl FnOnce(&InviteClaim) -> bool,
    ) -> Result<UserId, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            // Counting the use first takes the write lock, so two registrations cannot both
            // take an invite's last use, and nothing the checks below read can change.
            let claimed: Option<(i64, i64)> = sqlx::query_as(
                "UPDATE invites SET uses = uses + 1
                 WHERE token_hash = $1 AND revoked_at_us IS NULL AND expires_at_us > $2
                   AND uses < max_uses
                 RETURNING id, created_by",
            )
            .bind(registration.token_hash)
            .bind(now.as_micros())
            .fetch_optional(&mut *transaction)
            .await?;
            let (invite_id, created_by) = claimed.ok_or(StoreError::NotFound)?;
            let (invite_id, created_by) = (InviteId::new(invite_id), UserId::new(created_by));
            let claim = claim((&mut *transaction).into(), invite_id).await?;
            if !still_valid(&claim) {
                return Err(StoreError::NotFound);
            }
            let user = NewUser {
                username: registration.username,
                display_name: registration.display_name,
                password_hash: registration.password_hash,
                role: claim.role,
                invited_by: Some(created_by),
                household_head: (claim.creator.role == UserRole::Family).then_some(created_by),
            };
            let user_id = insert_user((&mut *transaction).into(), &user, now).await?;
            add_rooms((&mut *transaction).into(), user_id, &claim.rooms, now).await?;
            transaction.commit().await?;
            Ok(user_id)
        })
    }
}

/// Someone registering through an invite.
pub struct NewRegistration<'a> {
    pub token_hash: &'a [u8],
    pub username: &'a Username,
    pub display_name: &'a DisplayName,
    pub password_hash: &'a str,
}

/// Makes one person's invites that count places wait for each other, so that each counts
/// the others' (on SQLite the insert's writer lock already does; PostgreSQL's transactions
/// run side by side, so there the inviter's row is locked).
async fn lock_inviter(connection: Connection<'_>, user_id: UserId) -> Result<(), StoreError> {
    if let Connection::Postgres(connection) = connection {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user_id.get())
            .execute(connection)
            .await?;
    }
    Ok(())
}

async fn places_used(
    connection: Connection<'_>,
    user_id: UserId,
    now: Timestamp,
) -> Result<u32, StoreError> {
    with_connection!(connection, |connection| {
        let used: i64 = sqlx::query_scalar(
            // PostgreSQL sums BIGINTs as NUMERIC.
            "SELECT CAST(COALESCE(SUM(CASE WHEN revoked_at_us IS NULL AND expires_at_us > $1
                                           THEN max_uses ELSE uses END), 0) AS BIGINT)
             FROM invites WHERE created_by = $2",
        )
        .bind(now.as_micros())
        .bind(user_id.get())
        .fetch_one(connection)
        .await?;
        Ok(u32::try_from(used).unwrap_or(u32::MAX))
    })
}

/// An invite and its creator as they are now, read in the caller's transaction.
async fn claim(connection: Connection<'_>, invite_id: InviteId) -> Result<InviteClaim, StoreError> {
    with_connection!(connection, |connection| {
        let (role, creator_role_then, creator_role, revoked, relative): (
            String,
            Option<String>,
            String,
            bool,
            bool,
        ) = sqlx::query_as(
            "SELECT i.role, i.creator_role, u.role, u.revoked_at_us IS NOT NULL,
                    u.household_head IS NOT NULL
             FROM invites i JOIN users u ON u.id = i.created_by WHERE i.id = $1",
        )
        .bind(invite_id.get())
        .fetch_one(&mut *connection)
        .await?;
        let rooms = slugs(
            sqlx::query_scalar(
                "SELECT r.slug FROM invite_rooms ir JOIN rooms r ON r.id = ir.room_id
                 WHERE ir.invite_id = $1 ORDER BY r.slug",
            )
            .bind(invite_id.get())
            .fetch_all(&mut *connection)
            .await?,
        )?;
        let creator_rooms = slugs(
            sqlx::query_scalar(
                "SELECT r.slug FROM room_members m
                 JOIN rooms r ON r.id = m.room_id
                 JOIN invites i ON i.created_by = m.user_id
                 WHERE i.id = $1 ORDER BY r.slug",
            )
            .bind(invite_id.get())
            .fetch_all(&mut *connection)
            .await?,
        )?;
        Ok(InviteClaim {
            role: parse(role, |role| role.parse::<UserRole>())?,
            rooms,
            creator_role_then: creator_role_then
                .map(|role| parse(role, |role| role.parse::<UserRole>()))
                .transpose()?,
            creator: Inviter {
                role: parse(creator_role, |role| role.parse::<UserRole>())?,
                revoked,
                relative,
                rooms: creator_rooms,
            },
        })
    })
}

fn slugs(slugs: Vec<String>) -> Result<Vec<RoomId>, StoreError> {
    slugs
        .into_iter()
        .map(|slug| parse(slug, RoomId::try_from))
        .collect()
}
