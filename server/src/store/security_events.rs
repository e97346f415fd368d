//! Security events: failed logins, refused joins and every staff action, with who did it,
//! from where and when.

use nido_shared::api::{SecurityEvent, SecurityEventFilter, SecurityEventKind};
use nido_shared::{DisplayName, RoomId, Timestamp, UserId, UserRole, Username};

use super::{Store, StoreError, parse};

/// What an event is about, beyond its kind; whatever does not apply stays empty.
#[derive(Debug, Default)]
pub struct EventDetails<'a> {
    /// Who did it: `None` when nobody was logged in.
    pub actor_id: Option<UserId>,
    /// The account it concerns, by username.
    pub account: Option<&'a str>,
    pub room: Option<&'a RoomId>,
    pub role: Option<UserRole>,
    pub rooms: &'a [RoomId],
    pub amount: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct EventRecord {
    id: i64,
    #[sqlx(try_from = "i64")]
    at_us: Timestamp,
    kind: String,
    actor: Option<String>,
    actor_name: Option<String>,
    account: Option<String>,
    room_slug: Option<String>,
    role: Option<String>,
    rooms: String,
    amount: Option<i64>,
    client_addr: String,
}

impl TryFrom<EventRecord> for SecurityEvent {
    type Error = StoreError;

    fn try_from(record: EventRecord) -> Result<Self, StoreError> {
        let kind = SecurityEventKind::from_name(&record.kind)
            .ok_or_else(|| StoreError::Corrupt(format!("event kind {:?}", record.kind)))?;
        Ok(Self {
            id: record.id,
            at_us: record.at_us,
            kind,
            actor: record
                .actor
                .map(|u| parse(u, Username::try_from))
                .transpose()?,
            actor_name: record
                .actor_name
                .map(|n| parse(n, DisplayName::try_from))
                .transpose()?,
            account: record.account,
            room: record
                .room_slug
                .map(|r| parse(r, RoomId::try_from))
                .transpose()?,
            role: record
                .role
                .map(|r| parse(r, |r| r.parse::<UserRole>()))
                .transpose()?,
            rooms: record
                .rooms
                .split_whitespace()
                .map(|r| parse(r.to_owned(), RoomId::try_from))
                .collect::<Result<_, _>>()?,
            amount: record.amount,
            client_addr: record.client_addr,
        })
    }
}

impl Store {
    pub async fn record_security_event(
        &self,
        kind: SecurityEventKind,
        details: &EventDetails<'_>,
        client_addr: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let rooms: Vec<&str> = details.rooms.iter().map(RoomId::as_str).collect();
            sqlx::query(
                "INSERT INTO security_events
                    (at_us, kind, actor_id, account, room_slug, role, rooms, amount, client_addr)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(now.as_micros())
            .bind(kind.as_str())
            .bind(details.actor_id.map(UserId::get))
            .bind(details.account)
            .bind(details.room.map(RoomId::as_str))
            .bind(details.role.map(UserRole::as_str))
            .bind(rooms.join(" "))
            .bind(details.amount)
            .bind(client_addr)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Events matching the filter, newest first, at most `limit`.
    pub async fn security_events(
        &self,
        filter: &SecurityEventFilter,
        limit: u32,
    ) -> Result<Vec<SecurityEvent>, StoreError> {
        with_pool!(self, |pool| {
            sqlx::query_as::<_, EventRecord>(
                "SELECT e.id, e.at_us, e.kind, u.username AS actor, u.display_name AS actor_name,
                        e.account, e.room_slug, e.role, e.rooms, e.amount, e.client_addr
                 FROM security_events e LEFT JOIN users u ON u.id = e.actor_id
                 WHERE ($1 IS NULL OR e.kind = $1)
                   AND ($2 IS NULL OR u.username = $2 OR e.account = $2)
                   AND ($3 IS NULL OR e.room_slug = $3 OR ' ' || e.rooms || ' ' LIKE '% ' || $3 || ' %')
                   AND ($4 IS NULL OR e.at_us >= $4)
                   AND ($5 IS NULL OR e.at_us < $5)
                 ORDER BY e.at_us DESC, e.id DESC
                 LIMIT $6",
            )
            .bind(filter.kind.map(SecurityEventKind::as_str))
            .bind(filter.user.as_deref())
            .bind(filter.room.as_ref().map(RoomId::as_str))
            .bind(filter.from_us.map(Timestamp::as_micros))
            .bind(filter.to_us.map(Timestamp::as_micros))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?
            .into_iter()
            .map(SecurityEvent::try_from)
            .collect()
        })
    }
}
