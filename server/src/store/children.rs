//! Children, the family accounts linked to them, and their stays (check-in to check-out).
//!
//! Every change here is also a change of the room's policy (its children and their stays
//! decide who sees the picture where the room ties viewing to attendance), so it takes the
//! next policy version in the same transaction and returns the room's new policy, which the
//! caller offers to the hub; other nodes see the version move (PostgreSQL's trigger moves the
//! access epoch) and read it too.

use std::collections::HashMap;
use std::sync::Arc;

use nido_shared::attendance::{AttendanceAction, Stay, StayTimes};
use nido_shared::{ChildId, DisplayName, Problem, RoomId, StayId, Timestamp, UserId};

use super::backend::Connection;
use super::rooms::{bump_policy, next_policy_version};
use super::{Store, StoreError, found, parse};
use crate::relay::room_policy::{ChildStay, RoomPolicy};

/// Whose children a list holds.
#[derive(Debug, Clone, Copy)]
pub enum ChildScope {
    Everyone,
    /// The children of the rooms this staff member was given.
    RoomsOf(UserId),
    /// The children linked to this family account.
    FamilyOf(UserId),
}

/// A room's new policy after a change of its children or their stays.
pub type PolicyChange = (RoomId, RoomPolicy);

#[derive(sqlx::FromRow)]
struct ChildRecord {
    id: i64,
    slug: String,
    name: String,
    checked_in_at_us: Option<i64>,
    checked_out_at_us: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct StayRecord {
    id: i64,
    child_id: i64,
    checked_in_at_us: i64,
    checked_out_at_us: Option<i64>,
}

impl From<StayRecord> for Stay {
    fn from(record: StayRecord) -> Self {
        Self {
            id: StayId::new(record.id),
            child: ChildId::new(record.child_id),
            checked_in_at: Timestamp::from_micros(record.checked_in_at_us),
            checked_out_at: record.checked_out_at_us.map(Timestamp::from_micros),
        }
    }
}

/// Each child with its latest stay, and its room's id (`r.slug`) and internal id.
const CHILDREN: &str = "SELECT c.id, r.slug, c.name, s.checked_in_at_us, s.checked_out_at_us
     FROM children c JOIN rooms r ON r.id = c.room_id
     LEFT JOIN stays s ON s.id = (SELECT l.id FROM stays l WHERE l.child_id = c.id
                                  ORDER BY l.checked_in_at_us DESC, l.id DESC LIMIT 1)";

/// What `$1` of a filter of children is.
#[derive(Clone, Copy)]
enum Bound<'a> {
    /// Nothing: the filter is `$1 IS NULL`.
    Nothing,
    Id(i64),
    Room(&'a RoomId),
}

/// Binds `$1` of a filter of children.
macro_rules! bind_filter {
    ($query:expr, $bound:expr) => {
        match $bound {
            Bound::Nothing => $query.bind(None::<i64>),
            Bound::Id(id) => $query.bind(id),
            Bound::Room(room) => $query.bind(room.as_str()),
        }
    };
}

/// The children `filter` (a condition on `c` and `r`, with `$1`) selects, each with its
/// room, its family accounts and its latest stay, by name.
async fn load_children(
    connection: Connection<'_>,
    filter: &str,
    bound: Bound<'_>,
) -> Result<Vec<(RoomId, ChildStay)>, StoreError> {
    let (records, links): (Vec<ChildRecord>, Vec<(i64, i64)>) =
        with_connection!(connection, |connection| {
            let sql = format!("{CHILDREN} WHERE {filter} ORDER BY c.name, c.id");
            let records = bind_filter!(sqlx::query_as::<_, ChildRecord>(&sql), bound)
                .fetch_all(&mut *connection)
                .await?;
            let sql = format!(
                "SELECT f.child_id, f.user_id FROM child_families f
                 JOIN children c ON c.id = f.child_id JOIN rooms r ON r.id = c.room_id
                 WHERE {filter} ORDER BY f.user_id"
            );
            let links = bind_filter!(sqlx::query_as(&sql), bound)
                .fetch_all(&mut *connection)
                .await?;
            (records, links)
        });
    let mut families: HashMap<i64, Vec<UserId>> = HashMap::new();
    for (child, user) in links {
        families.entry(child).or_default().push(UserId::new(user));
    }
    records
        .into_iter()
        .map(|record| {
            let child = ChildStay {
                id: ChildId::new(record.id),
                name: parse(record.name, DisplayName::try_from)?,
                families: families.remove(&record.id).unwrap_or_default(),
                latest: record.checked_in_at_us.map(|checked_in| StayTimes {
                    checked_in_at: Timestamp::from_micros(checked_in),
                    checked_out_at: record.checked_out_at_us.map(Timestamp::from_micros),
                }),
            };
            Ok((parse(record.slug, RoomId::try_from)?, child))
        })
        .collect()
}

/// Every room's children, for policies read together.
pub(super) async fn children_by_room(
    connection: Connection<'_>,
) -> Result<HashMap<RoomId, Vec<ChildStay>>, StoreError> {
    let mut by_room: HashMap<RoomId, Vec<ChildStay>> = HashMap::new();
    for (room, child) in load_children(connection, "$1 IS NULL", Bound::Nothing).await? {
        by_room.entry(room).or_default().push(child);
    }
    Ok(by_room)
}

/// One room's children.
pub(super) async fn children_of_room(
    connection: Connection<'_>,
    room: &RoomId,
) -> Result<Arc<[ChildStay]>, StoreError> {
    Ok(load_children(connection, "r.slug = $1", Bound::Room(room))
        .await?
        .into_iter()
        .map(|(_, child)| child)
        .collect())
}

/// The internal id of a child's room, if the child exists.
async fn room_of_child(connection: Connection<'_>, child: ChildId) -> Result<i64, StoreError> {
    let room: Option<i64> = with_connection!(connection, |c| {
        sqlx::query_scalar("SELECT room_id FROM children WHERE id = $1")
            .bind(child.get())
            .fetch_optional(&mut *c)
            .await?
    });
    room.ok_or(StoreError::NotFound)
}

/// Replaces a child's family accounts, each of which must be a family account.
async fn link_families(
    connection: Connection<'_>,
    child: ChildId,
    families: &[UserId],
) -> Result<(), StoreError> {
    with_connection!(connection, |c| {
        sqlx::query("DELETE FROM child_families WHERE child_id = $1")
            .bind(child.get())
            .execute(&mut *c)
            .await?;
        for family in families {
            let linked = sqlx::query(
                "INSERT INTO child_families (child_id, user_id)
                 SELECT $1, id FROM users WHERE id = $2 AND role = 'family'
                 ON CONFLICT DO NOTHING",
            )
            .bind(child.get())
            .bind(family.get())
            .execute(&mut *c)
            .await?;
            if linked.rows_affected() == 0
                && !sqlx::query_scalar::<_, bool>(
                    "SELECT EXISTS (SELECT 1 FROM child_families
                                    WHERE child_id = $1 AND user_id = $2)",
                )
                .bind(child.get())
                .bind(family.get())
                .fetch_one(&mut *c)
                .await?
            {
                return Err(StoreError::Refused(Problem::NotAFamily));
            }
        }
    });
    Ok(())
}

/// The internal id of a room, if it exists.
async fn room_id(connection: Connection<'_>, room: &RoomId) -> Result<i64, StoreError> {
    let id: Option<i64> = with_connection!(connection, |c| {
        sqlx::query_scalar("SELECT id FROM rooms WHERE slug = $1")
            .bind(room.as_str())
            .fetch_optional(&mut *c)
            .await?
    });
    id.ok_or(StoreError::Refused(Problem::NoSuchRoom))
}

impl Store {
    /// The children of `scope`, each with its room, by name.
    pub async fn children(
        &self,
        scope: ChildScope,
    ) -> Result<Vec<(RoomId, ChildStay)>, StoreError> {
        let (filter, bound) = match scope {
            ChildScope::Everyone => ("$1 IS NULL", Bound::Nothing),
            ChildScope::RoomsOf(user) => (
                "c.room_id IN (SELECT room_id FROM room_members WHERE user_id = $1)",
                Bound::Id(user.get()),
            ),
            ChildScope::FamilyOf(user) => (
                "c.id IN (SELECT child_id FROM child_families WHERE user_id = $1)",
                Bound::Id(user.get()),
            ),
        };
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            load_children((&mut *connection).into(), filter, bound).await
        })
    }

    /// One child with its room.
    pub async fn child(&self, id: ChildId) -> Result<(RoomId, ChildStay), StoreError> {
        with_pool!(self, |pool| {
            let mut connection = pool.acquire().await?;
            load_children((&mut *connection).into(), "c.id = $1", Bound::Id(id.get()))
                .await?
                .pop()
                .ok_or(StoreError::NotFound)
        })
    }

    /// Adds a child to a room, linked to these family accounts.
    pub async fn create_child(
        &self,
        name: &DisplayName,
        room: &RoomId,
        families: &[UserId],
        now: Timestamp,
    ) -> Result<(ChildId, PolicyChange), StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_id((&mut *transaction).into(), room).await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO children (room_id, name, created_at_us) VALUES ($1, $2, $3)
                 RETURNING id",
            )
            .bind(room_id)
            .bind(name.as_str())
            .bind(now.as_micros())
            .fetch_one(&mut *transaction)
            .await?;
            let id = ChildId::new(id);
            link_families((&mut *transaction).into(), id, families).await?;
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok((id, change))
        })
    }

    /// Renames a child, moves them to another room and/or replaces their family accounts;
    /// the policies of the rooms concerned (two when the child moved).
    pub async fn update_child(
        &self,
        id: ChildId,
        name: Option<&DisplayName>,
        room: Option<&RoomId>,
        families: Option<&[UserId]>,
    ) -> Result<Vec<PolicyChange>, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let was_in = room_of_child((&mut *transaction).into(), id).await?;
            let now_in = match room {
                Some(room) => room_id((&mut *transaction).into(), room).await?,
                None => was_in,
            };
            sqlx::query(
                "UPDATE children SET name = COALESCE($1, name), room_id = $2 WHERE id = $3",
            )
            .bind(name.map(DisplayName::as_str))
            .bind(now_in)
            .bind(id.get())
            .execute(&mut *transaction)
            .await?;
            if let Some(families) = families {
                link_families((&mut *transaction).into(), id, families).await?;
            }
            let mut changes = vec![bump_policy((&mut *transaction).into(), now_in, version).await?];
            if was_in != now_in {
                changes.push(bump_policy((&mut *transaction).into(), was_in, version).await?);
            }
            transaction.commit().await?;
            Ok(changes)
        })
    }

    /// Removes a child with their stays.
    pub async fn delete_child(&self, id: ChildId) -> Result<PolicyChange, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_of_child((&mut *transaction).into(), id).await?;
            sqlx::query("DELETE FROM children WHERE id = $1")
                .bind(id.get())
                .execute(&mut *transaction)
                .await?;
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok(change)
        })
    }

    /// A caregiver's tap for a child at `now`, in a day that began at `day_start`: a
    /// check-in, a check-out of today's open stay, or the undoing of today's last tap.
    pub async fn mark_attendance(
        &self,
        child: ChildId,
        action: AttendanceAction,
        by: UserId,
        now: Timestamp,
        day_start: Timestamp,
    ) -> Result<PolicyChange, StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_of_child((&mut *transaction).into(), child).await?;
            let today = sqlx::query_as::<_, StayRecord>(
                "SELECT id, child_id, checked_in_at_us, checked_out_at_us FROM stays
                 WHERE child_id = $1 AND checked_in_at_us >= $2
                 ORDER BY checked_in_at_us DESC, id DESC LIMIT 1",
            )
            .bind(child.get())
            .bind(day_start.as_micros())
            .fetch_optional(&mut *transaction)
            .await?;
            let today_id = today.as_ref().map(|stay| stay.id);
            let open = today.filter(|stay| stay.checked_out_at_us.is_none());
            match (action, today_id, open) {
                (AttendanceAction::CheckIn, _, Some(_)) => {
                    return Err(StoreError::Refused(Problem::AlreadyCheckedIn));
                }
                (AttendanceAction::CheckIn, _, None) => {
                    sqlx::query(
                        "INSERT INTO stays (child_id, checked_in_at_us, checked_in_by)
                         VALUES ($1, $2, $3)",
                    )
                    .bind(child.get())
                    .bind(now.as_micros())
                    .bind(by.get())
                    .execute(&mut *transaction)
                    .await?;
                }
                (AttendanceAction::CheckOut, _, Some(stay)) => {
                    sqlx::query(
                        "UPDATE stays SET checked_out_at_us = $2, checked_out_by = $3
                         WHERE id = $1",
                    )
                    .bind(stay.id)
                    .bind(now.as_micros())
                    .bind(by.get())
                    .execute(&mut *transaction)
                    .await?;
                }
                (AttendanceAction::CheckOut, _, None) => {
                    return Err(StoreError::Refused(Problem::NotCheckedIn));
                }
                (AttendanceAction::Undo, _, Some(stay)) => {
                    sqlx::query("DELETE FROM stays WHERE id = $1")
                        .bind(stay.id)
                        .execute(&mut *transaction)
                        .await?;
                }
                (AttendanceAction::Undo, Some(stay_id), None) => {
                    sqlx::query(
                        "UPDATE stays SET checked_out_at_us = NULL, checked_out_by = NULL
                         WHERE id = $1",
                    )
                    .bind(stay_id)
                    .execute(&mut *transaction)
                    .await?;
                }
                (AttendanceAction::Undo, None, None) => {
                    return Err(StoreError::Refused(Problem::NothingToUndo));
                }
            }
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok(change)
        })
    }

    /// A child's stays that began in `[from, to)`, oldest first.
    pub async fn stays(
        &self,
        child: ChildId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Stay>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, StayRecord>(
                "SELECT id, child_id, checked_in_at_us, checked_out_at_us FROM stays
                 WHERE child_id = $1 AND checked_in_at_us >= $2 AND checked_in_at_us < $3
                 ORDER BY checked_in_at_us, id",
            )
            .bind(child.get())
            .bind(from.as_micros())
            .bind(to.as_micros())
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(Stay::from)
            .collect())
        })
    }

    /// An admin's correction: a stay's times set, a stay added (`stay` none) or removed
    /// (`times` none). The stay as it is now, if any, and its room's new policy.
    pub async fn correct_stay(
        &self,
        child: ChildId,
        stay: Option<StayId>,
        times: Option<StayTimes>,
    ) -> Result<(Option<Stay>, PolicyChange), StoreError> {
        with_pool!(self, |pool| {
            let mut transaction = pool.begin().await?;
            let version = next_policy_version((&mut *transaction).into()).await?;
            let room_id = room_of_child((&mut *transaction).into(), child).await?;
            let (checked_in, checked_out) = times.map_or((None, None), |times| {
                (
                    Some(times.checked_in_at.as_micros()),
                    times.checked_out_at.map(Timestamp::as_micros),
                )
            });
            let corrected = match (stay, checked_in) {
                (None, None) => return Err(StoreError::NotFound),
                (None, Some(checked_in)) => Some(
                    sqlx::query_as::<_, StayRecord>(
                        "INSERT INTO stays (child_id, checked_in_at_us, checked_out_at_us)
                         VALUES ($1, $2, $3)
                         RETURNING id, child_id, checked_in_at_us, checked_out_at_us",
                    )
                    .bind(child.get())
                    .bind(checked_in)
                    .bind(checked_out)
                    .fetch_one(&mut *transaction)
                    .await?,
                ),
                (Some(stay), Some(checked_in)) => Some(
                    sqlx::query_as::<_, StayRecord>(
                        "UPDATE stays SET checked_in_at_us = $3, checked_out_at_us = $4
                         WHERE id = $1 AND child_id = $2
                         RETURNING id, child_id, checked_in_at_us, checked_out_at_us",
                    )
                    .bind(stay.get())
                    .bind(child.get())
                    .bind(checked_in)
                    .bind(checked_out)
                    .fetch_optional(&mut *transaction)
                    .await?
                    .ok_or(StoreError::NotFound)?,
                ),
                (Some(stay), None) => {
                    let removed = sqlx::query("DELETE FROM stays WHERE id = $1 AND child_id = $2")
                        .bind(stay.get())
                        .bind(child.get())
                        .execute(&mut *transaction)
                        .await?;
                    found(removed.rows_affected())?;
                    None
                }
            };
            let change = bump_policy((&mut *transaction).into(), room_id, version).await?;
            transaction.commit().await?;
            Ok((corrected.map(Stay::from), change))
        })
    }
}
