//! A chat batch on SQLite: one request to the database, whatever the batch's size. On a
//! busy server every request waits for the database thread to get the CPU, so there is
//! just one.
//!
//! The batch goes into a temporary table; SQL then marks the messages not stored yet,
//! numbers them per conversation (a room's chat or one of its threads) after its counter, inserts them, moves the counters on,
//! returns each message as stored, in the batch's order, and commits.

use nido_shared::{ChatLine, Timestamp, UserId};
use sqlx::pool::PoolConnection;
use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::store::StoreError;
use crate::store::chat::{Appended, ChatRecord, OwnedChat, thread_key};

/// Stores `batch`; a message whose sender already sent one with its id, in an earlier
/// batch or earlier in this one, gets that one.
pub(super) async fn append_batch(
    pool: &SqlitePool,
    batch: &[&OwnedChat],
) -> Result<Vec<Option<Appended>>, StoreError> {
    let mut connection = pool.acquire().await?;
    let result = run_append_script(&mut connection, batch).await;
    if result.is_err() {
        // The script may have stopped inside its transaction.
        let _ = sqlx::query("ROLLBACK").execute(&mut *connection).await;
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
            thread INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            client_id TEXT NOT NULL,
            sender_name TEXT NOT NULL,
            sender_role TEXT NOT NULL,
            sender_is_staff INTEGER NOT NULL,
            text TEXT NOT NULL,
            sent_at_us INTEGER NOT NULL,
            is_new INTEGER NOT NULL DEFAULT FALSE
        );
        BEGIN IMMEDIATE;
        DELETE FROM temp.chat_incoming;
        INSERT INTO temp.chat_incoming
            (ord, room_slug, thread, user_id, client_id, sender_name, sender_role, sender_is_staff,
             text, sent_at_us) ",
    );
    script.push_values(batch.iter().enumerate(), |mut row, (ord, chat)| {
        row.push_bind(i64::try_from(ord).unwrap_or(i64::MAX))
            .push_bind(chat.room.as_str())
            .push_bind(thread_key(chat.thread))
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
        UPDATE temp.chat_incoming AS i SET is_new = TRUE
         WHERE EXISTS (SELECT 1 FROM main.rooms r WHERE r.slug = i.room_slug)
           AND NOT EXISTS (SELECT 1 FROM main.chat_messages m
                            WHERE m.room_slug = i.room_slug AND m.user_id = i.user_id
                              AND m.client_id = i.client_id)
           AND i.ord = (SELECT MIN(d.ord) FROM temp.chat_incoming d
                         WHERE d.room_slug = i.room_slug AND d.user_id = i.user_id
                           AND d.client_id = i.client_id);
        INSERT INTO main.chat_messages
            (room_slug, thread, seq, user_id, client_id, sender_name, sender_role,
             sender_is_staff, text, sent_at_us)
        SELECT i.room_slug, i.thread,
               COALESCE((SELECT t.last_seq FROM main.chat_threads t
                          WHERE t.room_slug = i.room_slug AND t.thread = i.thread), 0)
                 + ROW_NUMBER() OVER (PARTITION BY i.room_slug, i.thread ORDER BY i.ord),
               i.user_id, i.client_id, i.sender_name, i.sender_role, i.sender_is_staff, i.text,
               i.sent_at_us
          FROM temp.chat_incoming i
         WHERE i.is_new;
        INSERT INTO main.chat_threads (room_slug, thread, last_seq)
        SELECT m.room_slug, m.thread, MAX(m.seq) FROM main.chat_messages m
         WHERE (m.room_slug, m.thread) IN
               (SELECT room_slug, thread FROM temp.chat_incoming WHERE is_new)
         GROUP BY m.room_slug, m.thread
        ON CONFLICT (room_slug, thread) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq);
        SELECT i.is_new, m.thread, m.seq, m.client_id, m.user_id, m.sender_name, m.sender_role,
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
    thread: Option<i64>,
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
            thread: self.thread?,
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
