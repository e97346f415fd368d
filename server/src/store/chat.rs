//! The chat's messages and mutes. Messages are written through their own connection with
//! `synchronous=FULL`, so that an acknowledged message survives a crash of the machine, and
//! one at a time, so that each room's numbers come out in order with no gaps.

use nido_shared::{ChatId, ChatLine, DisplayName, Role, RoomId};

use super::{Store, StoreError, parse};

/// A message to store.
pub struct NewChat<'a> {
    pub room: &'a RoomId,
    pub user_id: i64,
    pub client_id: &'a ChatId,
    pub name: &'a DisplayName,
    pub role: Role,
    pub text: &'a str,
}

/// Whether storing made a new message or found the one sent before with the same id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    New(ChatLine),
    Existing(ChatLine),
}

#[derive(sqlx::FromRow)]
struct ChatRecord {
    seq: i64,
    client_id: String,
    user_id: i64,
    sender_name: String,
    sender_role: String,
    text: String,
    sent_at_us: i64,
}

impl TryFrom<ChatRecord> for ChatLine {
    type Error = StoreError;

    fn try_from(record: ChatRecord) -> Result<Self, StoreError> {
        Ok(Self {
            seq: u64::try_from(record.seq).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            id: parse(record.client_id, ChatId::try_from)?,
            user_id: record.user_id,
            sent_at_us: u64::try_from(record.sent_at_us).unwrap_or(0),
            from: parse(record.sender_name, DisplayName::try_from)?,
            role: Role::from_name(&record.sender_role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {:?}", record.sender_role)))?,
            text: record.text,
        })
    }
}

const CHAT_COLUMNS: &str = "seq, client_id, user_id, sender_name, sender_role, text, sent_at_us";

fn lines(records: Vec<ChatRecord>) -> Result<Vec<ChatLine>, StoreError> {
    records.into_iter().map(ChatLine::try_from).collect()
}

fn seq(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Stores a message with the room's next number, unless this sender already sent one
    /// with this id, which is returned instead.
    pub async fn append_chat(
        &self,
        chat: &NewChat<'_>,
        now_us: i64,
    ) -> Result<Appended, StoreError> {
        let mut transaction = self.chat_pool.begin_with("BEGIN IMMEDIATE").await?;
        let existing = sqlx::query_as::<_, ChatRecord>(&format!(
            "SELECT {CHAT_COLUMNS} FROM chat_messages
             WHERE room_slug = ? AND user_id = ? AND client_id = ?"
        ))
        .bind(chat.room.as_str())
        .bind(chat.user_id)
        .bind(chat.client_id.as_str())
        .fetch_optional(&mut *transaction)
        .await?;
        if let Some(existing) = existing {
            return Ok(Appended::Existing(existing.try_into()?));
        }
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO chat_rooms (room_slug, last_seq) VALUES (?, 1)
             ON CONFLICT (room_slug) DO UPDATE SET last_seq = last_seq + 1
             RETURNING last_seq",
        )
        .bind(chat.room.as_str())
        .fetch_one(&mut *transaction)
        .await?;
        let record = sqlx::query_as::<_, ChatRecord>(&format!(
            "INSERT INTO chat_messages
                (room_slug, seq, user_id, client_id, sender_name, sender_role, text, sent_at_us)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING {CHAT_COLUMNS}"
        ))
        .bind(chat.room.as_str())
        .bind(seq)
        .bind(chat.user_id)
        .bind(chat.client_id.as_str())
        .bind(chat.name.as_str())
        .bind(chat.role.as_str())
        .bind(chat.text)
        .bind(now_us)
        .fetch_one(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(Appended::New(record.try_into()?))
    }

    /// Up to `limit` messages before `before` (or the latest), oldest first, deleted ones
    /// left out; and whether there are older ones.
    pub async fn chat_page(
        &self,
        room: &RoomId,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<ChatLine>, bool), StoreError> {
        let mut records = sqlx::query_as::<_, ChatRecord>(&format!(
            "SELECT {CHAT_COLUMNS} FROM chat_messages
             WHERE room_slug = ? AND seq < ? AND deleted_at_us IS NULL
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(room.as_str())
        .bind(before.map_or(i64::MAX, seq))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_older = records.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        records.reverse();
        Ok((lines(records)?, has_older))
    }

    /// Every message after `after`, oldest first, at most `limit`; `None` when there are
    /// more than that (the client is too far behind and should start afresh).
    pub async fn chat_after(
        &self,
        room: &RoomId,
        after: u64,
        limit: u32,
    ) -> Result<Option<Vec<ChatLine>>, StoreError> {
        let records = sqlx::query_as::<_, ChatRecord>(&format!(
            "SELECT {CHAT_COLUMNS} FROM chat_messages
             WHERE room_slug = ? AND seq > ? AND deleted_at_us IS NULL
             ORDER BY seq LIMIT ?"
        ))
        .bind(room.as_str())
        .bind(seq(after))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        if records.len() > usize::try_from(limit).unwrap_or(usize::MAX) {
            return Ok(None);
        }
        lines(records).map(Some)
    }

    /// Numbers of deleted messages from `from` on.
    pub async fn deleted_chat_since(
        &self,
        room: &RoomId,
        from: u64,
    ) -> Result<Vec<u64>, StoreError> {
        let seqs: Vec<i64> = sqlx::query_scalar(
            "SELECT seq FROM chat_messages
             WHERE room_slug = ? AND seq >= ? AND deleted_at_us IS NOT NULL ORDER BY seq",
        )
        .bind(room.as_str())
        .bind(seq(from))
        .fetch_all(&self.pool)
        .await?;
        Ok(seqs
            .into_iter()
            .filter_map(|s| u64::try_from(s).ok())
            .collect())
    }

    /// Deletes a message (its text is erased); whether it existed and was not deleted yet.
    pub async fn delete_chat(
        &self,
        room: &RoomId,
        message: u64,
        by: i64,
        now_us: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chat_messages SET text = '', deleted_at_us = ?, deleted_by = ?
             WHERE room_slug = ? AND seq = ? AND deleted_at_us IS NULL",
        )
        .bind(now_us)
        .bind(by)
        .bind(room.as_str())
        .bind(seq(message))
        .execute(&self.chat_pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mute(
        &self,
        room: &RoomId,
        user_id: i64,
        until_us: i64,
        by: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_mutes (room_slug, user_id, until_us, muted_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (room_slug, user_id)
             DO UPDATE SET until_us = excluded.until_us, muted_by = excluded.muted_by",
        )
        .bind(room.as_str())
        .bind(user_id)
        .bind(until_us)
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Until when someone is muted in a room, if they are now.
    pub async fn muted_until(
        &self,
        room: &RoomId,
        user_id: i64,
        now_us: i64,
    ) -> Result<Option<i64>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT until_us FROM chat_mutes WHERE room_slug = ? AND user_id = ? AND until_us > ?",
        )
        .bind(room.as_str())
        .bind(user_id)
        .bind(now_us)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Removes messages sent before `before_us` (the retention period); returns how many.
    pub async fn forget_chat_before(&self, before_us: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM chat_messages WHERE sent_at_us < ?")
            .bind(before_us)
            .execute(&self.chat_pool)
            .await?;
        Ok(done.rows_affected())
    }
}
