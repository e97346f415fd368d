//! The chat's messages and mutes. Messages are written by one task through their own
//! connection with `synchronous=FULL` (`chat_writer`, which stores them with this module's
//! `append_batch`; this module does not depend on it), so that an acknowledged message
//! survives a crash of the machine and each room's numbers come out in order with no gaps.

use nido_shared::{ChatId, ChatLine, DisplayName, MutedMember, Role, RoomId, Timestamp, UserId};
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Sqlite};

use super::{Store, StoreError, parse};

/// A message as the writer owns it.
pub(super) struct OwnedChat {
    pub room: RoomId,
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
struct ChatRecord {
    seq: i64,
    client_id: String,
    #[sqlx(try_from = "i64")]
    user_id: UserId,
    sender_name: String,
    sender_role: String,
    sender_is_staff: bool,
    text: String,
    #[sqlx(try_from = "i64")]
    sent_at_us: Timestamp,
}

impl TryFrom<ChatRecord> for ChatLine {
    type Error = StoreError;

    fn try_from(record: ChatRecord) -> Result<Self, StoreError> {
        Ok(Self {
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

const CHAT_COLUMNS: &str =
    "seq, client_id, user_id, sender_name, sender_role, sender_is_staff, text, sent_at_us";

fn lines(records: Vec<ChatRecord>) -> Result<Vec<ChatLine>, StoreError> {
    records.into_iter().map(ChatLine::try_from).collect()
}

fn seq(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl Store {
    /// Up to `limit` messages before `before` (or the latest), oldest first, deleted ones
    /// and those sent before `visible_from` left out; and whether there are older ones.
    pub async fn chat_page(
        &self,
        room: &RoomId,
        visible_from: Option<Timestamp>,
        before: Option<u64>,
        limit: u32,
    ) -> Result<(Vec<ChatLine>, bool), StoreError> {
        let mut records = sqlx::query_as::<_, ChatRecord>(&format!(
            "SELECT {CHAT_COLUMNS} FROM chat_messages
             WHERE room_slug = ? AND sent_at_us >= ? AND seq < ? AND deleted_at_us IS NULL
             ORDER BY seq DESC LIMIT ?"
        ))
        .bind(room.as_str())
        .bind(visible_from.map_or(i64::MIN, Timestamp::as_micros))
        .bind(before.map_or(i64::MAX, seq))
        .bind(i64::from(limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        let has_older = records.len() > usize::try_from(limit).unwrap_or(usize::MAX);
        records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        records.reverse();
        Ok((lines(records)?, has_older))
    }

    /// Every message after `after` (and not before `visible_from`), oldest first, at
    /// most `limit`; `None` when there are more than that (the client is too far behind and
    /// should start afresh).
    pub async fn chat_after(
        &self,
        room: &RoomId,
        visible_from: Option<Timestamp>,
        after: u64,
        limit: u32,
    ) -> Result<Option<Vec<ChatLine>>, StoreError> {
        let records = sqlx::query_as::<_, ChatRecord>(&format!(
            "SELECT {CHAT_COLUMNS} FROM chat_messages
             WHERE room_slug = ? AND sent_at_us >= ? AND seq > ? AND deleted_at_us IS NULL
             ORDER BY seq LIMIT ?"
        ))
        .bind(room.as_str())
        .bind(visible_from.map_or(i64::MIN, Timestamp::as_micros))
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
        by: UserId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE chat_messages SET text = '', deleted_at_us = ?, deleted_by = ?
             WHERE room_slug = ? AND seq = ? AND deleted_at_us IS NULL",
        )
        .bind(now.as_micros())
        .bind(by.get())
        .bind(room.as_str())
        .bind(seq(message))
        .execute(&self.chat_pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn mute(
        &self,
        room: &RoomId,
        user_id: UserId,
        until: Timestamp,
        by: UserId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_mutes (room_slug, user_id, until_us, muted_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (room_slug, user_id)
             DO UPDATE SET until_us = excluded.until_us, muted_by = excluded.muted_by",
        )
        .bind(room.as_str())
        .bind(user_id.get())
        .bind(until.as_micros())
        .bind(by.get())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Lets someone chat in a room again; false when they were not muted.
    pub async fn unmute(&self, room: &RoomId, user_id: UserId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM chat_mutes WHERE room_slug = ? AND user_id = ?")
            .bind(room.as_str())
            .bind(user_id.get())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Who is muted in a room now, and until when, soonest free first.
    pub async fn mutes_in(
        &self,
        room: &RoomId,
        now: Timestamp,
    ) -> Result<Vec<MutedMember>, StoreError> {
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT m.user_id, u.display_name, m.until_us FROM chat_mutes m
             JOIN users u ON u.id = m.user_id
             WHERE m.room_slug = ? AND m.until_us > ? ORDER BY m.until_us",
        )
        .bind(room.as_str())
        .bind(now.as_micros())
        .fetch_all(&self.pool)
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
    }

    /// Until when someone is muted in a room, if they are now.
    pub async fn muted_until(
        &self,
        room: &RoomId,
        user_id: UserId,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        let until: Option<i64> = sqlx::query_scalar(
            "SELECT until_us FROM chat_mutes WHERE room_slug = ? AND user_id = ? AND until_us > ?",
        )
        .bind(room.as_str())
        .bind(user_id.get())
        .bind(now.as_micros())
        .fetch_optional(&self.pool)
        .await?;
        Ok(until.map(Timestamp::from_micros))
    }

    /// Removes messages sent before `before` (the retention period); returns how many.
    pub async fn forget_chat_before(&self, before: Timestamp) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM chat_messages WHERE sent_at_us < ?")
            .bind(before.as_micros())
            .execute(&self.chat_pool)
            .await?;
        Ok(done.rows_affected())
    }
}

/// Stores a batch of messages in one transaction and one request to the database,
/// whatever the batch's size (see [`Store::append_chat`]): on a busy server every request
/// waits for the database thread to get the CPU, so there is just one. A message whose
/// sender already sent one with its id, in an earlier batch or earlier in this one, gets
/// that one.
///
/// The batch goes into a temporary table; SQL then marks the messages not stored yet,
/// numbers them per room after the room's counter, inserts them, moves the counters on,
/// returns each message as stored, in the batch's order, and commits. If anything fails
/// the transaction is rolled back and nothing of the batch is stored.
pub(super) async fn append_batch(
    connection: &mut PoolConnection<Sqlite>,
    batch: &[&OwnedChat],
) -> Result<Vec<Option<Appended>>, StoreError> {
    let result = run_append_script(connection, batch).await;
    if result.is_err() {
        // The script may have stopped inside its transaction.
        let _ = sqlx::query("ROLLBACK").execute(&mut **connection).await;
    }
    result
}

async fn run_append_script(
    connection: &mut PoolConnection<Sqlite>,
    batch: &[&OwnedChat],
) -> Result<Vec<Option<Appended>>, StoreError> {
    let mut script = QueryBuilder::<Sqlite>::new(
        "CREATE TEMP TABLE IF NOT EXISTS chat_incoming (
            ord INTEGER PRIMARY KEY,
            room_slug TEXT NOT NULL,
            user_id INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            sender_name TEXT NOT NULL,
            sender_role TEXT NOT NULL,
            sender_is_staff INTEGER NOT NULL,
            text TEXT NOT NULL,
            sent_at_us INTEGER NOT NULL,
            is_new INTEGER NOT NULL DEFAULT 0
        );
        BEGIN IMMEDIATE;
        DELETE FROM temp.chat_incoming;
        INSERT INTO temp.chat_incoming
            (ord, room_slug, user_id, client_id, sender_name, sender_role, sender_is_staff, text,
             sent_at_us) ",
    );
    script.push_values(batch.iter().enumerate(), |mut row, (ord, chat)| {
        row.push_bind(i64::try_from(ord).unwrap_or(i64::MAX))
            .push_bind(chat.room.as_str())
            .push_bind(chat.user_id.get())
            .push_bind(chat.client_id.as_str())
            .push_bind(chat.name.as_str())
            .push_bind(chat.role.as_str())
            .push_bind(chat.staff)
            .push_bind(chat.text.as_str())
            .push_bind(chat.now.as_micros());
    });
    script.push(
        ";
        UPDATE temp.chat_incoming AS i SET is_new = 1
         WHERE EXISTS (SELECT 1 FROM main.rooms r WHERE r.slug = i.room_slug)
           AND NOT EXISTS (SELECT 1 FROM main.chat_messages m
                            WHERE m.room_slug = i.room_slug AND m.user_id = i.user_id
                              AND m.client_id = i.client_id)
           AND i.ord = (SELECT MIN(d.ord) FROM temp.chat_incoming d
                         WHERE d.room_slug = i.room_slug AND d.user_id = i.user_id
                           AND d.client_id = i.client_id);
        INSERT INTO main.chat_messages
            (room_slug, seq, user_id, client_id, sender_name, sender_role, sender_is_staff, text,
             sent_at_us)
        SELECT i.room_slug,
               COALESCE((SELECT r.last_seq FROM main.chat_rooms r WHERE r.room_slug = i.room_slug), 0)
                 + ROW_NUMBER() OVER (PARTITION BY i.room_slug ORDER BY i.ord),
               i.user_id, i.client_id, i.sender_name, i.sender_role, i.sender_is_staff, i.text,
               i.sent_at_us
          FROM temp.chat_incoming i
         WHERE i.is_new;
        INSERT INTO main.chat_rooms (room_slug, last_seq)
        SELECT m.room_slug, MAX(m.seq) FROM main.chat_messages m
         WHERE m.room_slug IN (SELECT room_slug FROM temp.chat_incoming WHERE is_new)
         GROUP BY m.room_slug
        ON CONFLICT (room_slug) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq);
        SELECT i.is_new, m.seq, m.client_id, m.user_id, m.sender_name, m.sender_role,
               m.sender_is_staff, m.text, m.sent_at_us
          FROM temp.chat_incoming i
          LEFT JOIN main.chat_messages m
            ON m.room_slug = i.room_slug AND m.user_id = i.user_id AND m.client_id = i.client_id
         ORDER BY i.ord;
        COMMIT",
    );
    let stored: Vec<StoredChat> = script.build_query_as().fetch_all(&mut **connection).await?;
    if stored.len() != batch.len() {
        return Err(StoreError::Corrupt(format!(
            "{} of {} chat messages found after storing them",
            stored.len(),
            batch.len()
        )));
    }
    stored
        .into_iter()
        .map(|row| {
            // Not found: its room was deleted, so it was not stored.
            let Some(record) = row.record.complete() else {
                return Ok(None);
            };
            let line = ChatLine::try_from(record)?;
            Ok(Some(if row.is_new {
                Appended::New(line)
            } else {
                Appended::Existing(line)
            }))
        })
        .collect()
}

/// One message of a batch as it is stored (all `None` if it was not), and whether this
/// batch stored it.
#[derive(sqlx::FromRow)]
struct StoredChat {
    is_new: bool,
    #[sqlx(flatten)]
    record: MaybeChatRecord,
}

#[derive(sqlx::FromRow)]
struct MaybeChatRecord {
    seq: Option<i64>,
    client_id: Option<String>,
    user_id: Option<i64>,
    sender_name: Option<String>,
    sender_role: Option<String>,
    sender_is_staff: Option<bool>,
    text: Option<String>,
    sent_at_us: Option<i64>,
}

impl MaybeChatRecord {
    fn complete(self) -> Option<ChatRecord> {
        Some(ChatRecord {
            seq: self.seq?,
            client_id: self.client_id?,
            user_id: UserId::new(self.user_id?),
            sender_name: self.sender_name?,
            sender_role: self.sender_role?,
            sender_is_staff: self.sender_is_staff?,
            text: self.text?,
            sent_at_us: Timestamp::from_micros(self.sent_at_us?),
        })
    }
}
