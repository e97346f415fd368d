//! The chat's messages and mutes, read and moderated: a room's chat and its private threads
//! alike (each a [`Conversation`], numbered on its own). Messages are written by one task
//! (`chat_writer`, which stores each batch with `chat_batch`; this module depends on
//! neither), so that an acknowledged message survives a crash of the machine and each
//! conversation's numbers come out in order with no gaps.

use nido_shared::{ChatId, ChatLine, DisplayName, MutedMember, Role, RoomId, Timestamp, UserId};

use super::{Store, StoreError, parse};

/// A room's chat, or one of its private threads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conversation<'a> {
    pub room: &'a RoomId,
    /// The family account the private thread is with; `None` for the room's chat.
    pub thread: Option<UserId>,
}

impl Conversation<'_> {
    /// The thread as the database stores it: 0 for the room's chat.
    pub(super) fn thread_key(&self) -> i64 {
        thread_key(self.thread)
    }
}

/// A room stands for its chat.
impl<'a> From<&'a RoomId> for Conversation<'a> {
    fn from(room: &'a RoomId) -> Self {
        Self { room, thread: None }
    }
}

/// A thread as the database stores it: 0 for the room's chat.
pub(super) fn thread_key(thread: Option<UserId>) -> i64 {
    thread.map_or(0, UserId::get)
}

/// A message as the writer owns it.
pub(super) struct OwnedChat {
    pub room: RoomId,
    pub thread: Option<UserId>,
    pub user_id: UserId,
    pub client_id: ChatId,
    pub name: DisplayName,
    pub role: Role,
    pub staff: bool,
    pub text: String,
    pub now: Timestamp,
}

/// A message to store.
pub struct NewChat<'a> {
    pub room: &'a RoomId,
    /// The private thread it is for; `None` for the room's chat.
    pub thread: Option<UserId>,
    pub user_id: UserId,
    pub client_id: &'a ChatId,
    pub name: &'a DisplayName,
    pub role: Role,
    /// The sender is an admin or caregiver.
    pub staff: bool,
    pub text: &'a str,
}

/// Whether storing made a new message or found the one sent before with the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    New(ChatLine),
    Existing(ChatLine),
}

#[derive(sqlx::FromRow)]
pub(super) struct ChatRecord {
    pub thread: i64,
    pub seq: i64,
    pub client_id: String,
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    pub sender_name: String,
    pub sender_role: String,
    pub sender_is_staff: bool,
    pub text: String,
    #[sqlx(try_from = "i64")]
    pub sent_at_us: Timestamp,
}

impl TryFrom<ChatRecord> for ChatLine {
    type Error = StoreError;

    fn try_from(record: ChatRecord) -> Result<Self, StoreError> {
        Ok(Self {
            thread: (record.thread != 0).then(|| UserId::new(record.thread)),
            seq: u64::try_from(record.seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            id: parse(record.client_id, ChatId::try_from)?,
            user_id: record.user_id,
            sent_at_us: record.sent_at_us,
            from: parse(record.sender_name, DisplayName::try_from)?,
            role: Role::from_name(&record.sender_role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", record.sender_role)))?,
            staff: record.sender_is_staff,
            text: record.text,
        })
    }
}

pub(super) const CHAT_COLUMNS: &str =
    "thread, seq, client_id, user_id, sender_name, sender_role, sender_is_staff, text, sent_at_us";

fn lines(records: Vec<ChatRecord>) -> Result<Vec<ChatLine>, StoreError> {
    records.into_iter().map(ChatLine::try_from).collect()
}

fn seq(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Up to `limit` messages before `before` (or the latest), oldest first, deleted ones
    /// and those sent before `visible_from` left out; and whether there are older ones.
    pub async fn chat_page<'a>(
        &self,
        conversation: impl Into<Conversation<'a>>,
        visible_from: Option<Timestamp>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<ChatLine>, bool), StoreError> {
        let conversation = conversation.into();
        with_pool!(self, |pool| {
            let mut records = sqlx::query_as::<_, ChatRecord>(&format!(
                "SELECT {CHAT_COLUMNS} FROM chat_messages
                 WHERE room_slug = $1 AND thread = $5 AND sent_at_us >= $2 AND seq < $3
                   AND deleted_at_us IS NULL
                 ORDER BY seq DESC LIMIT $4"
            ))
            .bind(conversation.room.as_str())
            .bind(visible_from.map_or(i64::MIN, Timestamp::as_micros))
            .bind(before.map_or(i64::MAX, seq))
            .bind(i64::from(limit) + 1)
            .bind(conversation.thread_key())
            .fetch_all(pool)
            .await?;
            let has_older = records.len() > usize::try_from(limit).unwrap_or(usize::MAX);
            records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            records.reverse();
            Ok((lines(records)?, has_older))
        })
    }

    /// Every message after `after` (and not before `visible_from`), oldest first, at
    /// most `limit`; `None` when there are more than that (the client is too far behind and
    /// should start afresh).
    pub async fn chat_after<'a>(
        &self,
        conversation: impl Into<Conversation<'a>>,
        visible_from: Option<Timestamp>,
        after: u64,
        limit: u32,
    ) -> Result<Option<Vec<ChatLine>>, StoreError> {
        let conversation = conversation.into();
        with_pool!(self, |pool| {
            let records = sqlx::query_as::<_, ChatRecord>(&format!(
                "SELECT {CHAT_COLUMNS} FROM chat_messages
                 WHERE room_slug = $1 AND thread = $5 AND sent_at_us >= $2 AND seq > $3
                   AND deleted_at_us IS NULL
                 ORDER BY seq LIMIT $4"
            ))
            .bind(conversation.room.as_str())
            .bind(visible_from.map_or(i64::MIN, Timestamp::as_micros))
            .bind(seq(after))
            .bind(i64::from(limit) + 1)
            .bind(conversation.thread_key())
            .fetch_all(pool)
            .await?;
            if records.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
                return Ok(None);
            }
            lines(records).map(Some)
        })
    }

    /// Numbers of deleted messages from `from` on.
    pub async fn deleted_chat_since<'a>(
        &self,
        conversation: impl Into<Conversation<'a>>,
        from: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let conversation = conversation.into();
        with_pool!(self, |pool| {
            let seqs: Vec<i64> = sqlx::query_scalar(
                "SELECT seq FROM chat_messages
                 WHERE room_slug = $1 AND thread = $3 AND seq >= $2 AND deleted_at_us IS NOT NULL
                 ORDER BY seq",
            )
            .bind(conversation.room.as_str())
            .bind(seq(from))
            .bind(conversation.thread_key())
            .fetch_all(pool)
            .await?;
            Ok(seqs
                .into_iter()
                .filter_map(|s| u64::try_from(s).ok())
                .collect())
        })
    }

    /// Deletes a message (its text is erased); whether it existed and was not deleted yet.
    pub async fn delete_chat<'a>(
        &self,
        conversation: impl Into<Conversation<'a>>,
        message: u64,
        by: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let conversation = conversation.into();
        with_chat_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE chat_messages SET text = '', deleted_at_us = $1, deleted_by = $2
                 WHERE room_slug = $3 AND thread = $5 AND seq = $4 AND deleted_at_us IS NULL",
            )
            .bind(now.as_micros())
            .bind(by.get())
            .bind(conversation.room.as_str())
            .bind(seq(message))
            .bind(conversation.thread_key())
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    pub async fn mute(
        &self,
        room: &RoomId,
        user_id: UserId,
        until: Timestamp,
        by: UserId,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO chat_mutes (room_slug, user_id, until_us, muted_by) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (room_slug, user_id)
                 DO UPDATE SET until_us = excluded.until_us, muted_by = excluded.muted_by",
            )
            .bind(room.as_str())
            .bind(user_id.get())
            .bind(until.as_micros())
            .bind(by.get())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Lets someone chat in a room again; false when they were not muted.
    pub async fn unmute(&self, room: &RoomId, user_id: UserId) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM chat_mutes WHERE room_slug = $1 AND user_id = $2")
                .bind(room.as_str())
                .bind(user_id.get())
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Who is muted in a room now, and until when, soonest free first.
    pub async fn mutes_in(
        &self,
        room: &RoomId,
        now: Timestamp,
    ) -> Result<Vec<MutedMember>, StoreError> {
        with_pool!(self, |pool| {
            let rows: Vec<(i64, String, i64)> = sqlx::query_as(
                "SELECT m.user_id, u.display_name, m.until_us FROM chat_mutes m
                 JOIN users u ON u.id = m.user_id
                 WHERE m.room_slug = $1 AND m.until_us > $2 ORDER BY m.until_us",
            )
            .bind(room.as_str())
            .bind(now.as_micros())
            .fetch_all(pool)
            .await?;
            rows.into_iter()
                .map(|(user_id, name, until_us)| {
                    Ok(MutedMember {
                        user_id: UserId::new(user_id),
                        name: parse(name, DisplayName::try_from)?,
                        until_us: Timestamp::from_micros(until_us),
                    })
                })
                .collect()
        })
    }

    /// Until when someone is muted in a room, if they are now.
    pub async fn muted_until(
        &self,
        room: &RoomId,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        with_pool!(self, |pool| {
            let until: Option<i64> = sqlx::query_scalar(
                "SELECT until_us FROM chat_mutes WHERE room_slug = $1 AND user_id = $2 AND until_us > $3",
            )
            .bind(room.as_str())
            .bind(user_id.get())
            .bind(now.as_micros())
            .fetch_optional(pool)
            .await?;
            Ok(until.map(Timestamp::from_micros))
        })
    }

    /// Removes messages sent before `before` (the retention period), of the rooms' chats and
    /// their private threads alike; returns how many.
    pub async fn forget_chat_before(&self, before: Timestamp) -> Result<u64, StoreError> {
        with_chat_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM chat_messages WHERE sent_at_us < $1")
                .bind(before.as_micros())
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}
