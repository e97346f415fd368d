//! A chat batch on PostgreSQL, where several nodes write the same rooms: the transaction
//! locks the counter row of each conversation in the batch (a room's chat or one of its
//! threads, in one order, so two nodes never wait on each other), and holding those locks
//! it finds the messages sent before, numbers the new ones after the counters, inserts them
//! and moves the counters on. A rollback undoes the rows and the counters together, so
//! numbers never have gaps, and the lock orders one conversation's commits, so a node that
//! sees number N+1 can read every number up to N.

use std::collections::HashMap;

use nido_shared::ChatLine;
use sqlx::PgPool;

use crate::store::StoreError;
use crate::store::chat::{Appended, CHAT_COLUMNS, ChatRecord, OwnedChat, thread_key};

/// A conversation with a counter: its room and its thread as stored.
type Counted = (String, i64);

fn counted(chat: &OwnedChat) -> Counted {
    (chat.room.as_str().to_owned(), thread_key(chat.thread))
}

/// A message's identity for resends: its room, its sender and the sender's id for it.
type ResendKey = (String, i64, String);

fn resend_key(chat: &OwnedChat) -> ResendKey {
    (
        chat.room.as_str().to_owned(),
        chat.user_id.get(),
        chat.client_id.as_str().to_owned(),
    )
}

/// Stores `batch`; a message whose sender already sent one with its id, on any node, in an
/// earlier batch or earlier in this one, gets that one.
pub(super) async fn append_batch(
    pool: &PgPool,
    batch: &[&OwnedChat],
) -> Result<Vec<Option<Appended>>, StoreError> {
    let mut conversations: Vec<Counted> = batch.iter().map(|chat| counted(chat)).collect();
    conversations.sort_unstable();
    conversations.dedup();
    let (rooms, threads): (Vec<String>, Vec<i64>) = conversations.into_iter().unzip();
    let mut transaction = pool.begin().await?;
    sqlx::query(
        "INSERT INTO chat_threads (room_slug, thread, last_seq)
         SELECT r.slug, c.thread, 0
           FROM UNNEST($1::TEXT[], $2::BIGINT[]) AS c (room_slug, thread)
           JOIN rooms r ON r.slug = c.room_slug
          ORDER BY r.slug, c.thread
         ON CONFLICT (room_slug, thread) DO NOTHING",
    )
    .bind(&rooms)
    .bind(&threads)
    .execute(&mut *transaction)
    .await?;
    let mut last_seq: HashMap<Counted, i64> = sqlx::query_as::<_, (String, i64, i64)>(
        "SELECT t.room_slug, t.thread, t.last_seq FROM chat_threads t
           JOIN UNNEST($1::TEXT[], $2::BIGINT[]) AS c (room_slug, thread)
             ON t.room_slug = c.room_slug AND t.thread = c.thread
          ORDER BY t.room_slug, t.thread FOR UPDATE OF t",
    )
    .bind(&rooms)
    .bind(&threads)
    .fetch_all(&mut *transaction)
    .await?
    .into_iter()
    .map(|(room, thread, last)| ((room, thread), last))
    .collect();

    let (key_rooms, (key_users, key_ids)): (Vec<String>, (Vec<i64>, Vec<String>)) = batch
        .iter()
        .map(|chat| {
            let (room, user, id) = resend_key(chat);
            (room, (user, id))
        })
        .unzip();
    let mut stored: HashMap<ResendKey, ChatLine> = sqlx::query_as::<_, KeyedRecord>(&format!(
        "SELECT room_slug, {CHAT_COLUMNS} FROM chat_messages
         WHERE (room_slug, user_id, client_id) IN
               (SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::TEXT[]))"
    ))
    .bind(&key_rooms)
    .bind(&key_users)
    .bind(&key_ids)
    .fetch_all(&mut *transaction)
    .await?
    .into_iter()
    .map(|keyed| {
        let key = (
            keyed.room_slug,
            keyed.record.user_id.get(),
            keyed.record.client_id.clone(),
        );
        Ok((key, ChatLine::try_from(keyed.record)?))
    })
    .collect::<Result<_, StoreError>>()?;

    let mut answers = Vec::with_capacity(batch.len());
    let mut new_rows = NewRows::default();
    for chat in batch {
        let key = resend_key(chat);
        if let Some(line) = stored.get(&key) {
            answers.push(Some(Appended::Existing(line.clone())));
            continue;
        }
        let Some(last) = last_seq.get_mut(&counted(chat)) else {
            answers.push(None);
            continue;
        };
        *last += 1;
        let line = new_line(chat, *last)?;
        new_rows.push(chat, *last);
        stored.insert(key, line.clone());
        answers.push(Some(Appended::New(line)));
    }
    if !new_rows.seq.is_empty() {
        new_rows.insert(&mut transaction).await?;
        let ((counter_rooms, counter_threads), counters): ((Vec<String>, Vec<i64>), Vec<i64>) =
            last_seq.into_iter().unzip();
        sqlx::query(
            "UPDATE chat_threads SET last_seq = c.last_seq
             FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[]) AS c (room_slug, thread, last_seq)
             WHERE chat_threads.room_slug = c.room_slug AND chat_threads.thread = c.thread",
        )
        .bind(&counter_rooms)
        .bind(&counter_threads)
        .bind(&counters)
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(answers)
}

fn new_line(chat: &OwnedChat, seq: i64) -> Result<ChatLine, StoreError> {
    Ok(ChatLine {
        thread: chat.thread,
        seq: u64::try_from(seq).map_err(|error| StoreError::Corrupt(error.to_string()))?,
        id: chat.client_id.clone(),
        user_id: chat.user_id,
        sent_at_us: chat.now,
        from: chat.name.clone(),
        role: chat.role,
        staff: chat.staff,
        text: chat.text.clone(),
    })
}

#[derive(sqlx::FromRow)]
struct KeyedRecord {
    room_slug: String,
    #[sqlx(flatten)]
    record: ChatRecord,
}

/// The batch's new messages, column by column, for one `INSERT … UNNEST`.
#[derive(Default)]
struct NewRows<'a> {
    room: Vec<&'a str>,
    thread: Vec<i64>,
    seq: Vec<i64>,
    user_id: Vec<i64>,
    client_id: Vec<&'a str>,
    name: Vec<&'a str>,
    role: Vec<&'a str>,
    staff: Vec<bool>,
    text: Vec<&'a str>,
    sent_at_us: Vec<i64>,
}

impl<'a> NewRows<'a> {
    fn push(&mut self, chat: &'a OwnedChat, seq: i64) {
        self.room.push(chat.room.as_str());
        self.thread.push(thread_key(chat.thread));
        self.seq.push(seq);
        self.user_id.push(chat.user_id.get());
        self.client_id.push(chat.client_id.as_str());
        self.name.push(chat.name.as_str());
        self.role.push(chat.role.as_str());
        self.staff.push(chat.staff);
        self.text.push(&chat.text);
        self.sent_at_us.push(chat.now.as_micros());
    }

    async fn insert(self, connection: &mut sqlx::PgConnection) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO chat_messages
                (room_slug, seq, user_id, client_id, sender_name, sender_role, sender_is_staff,
                 text, sent_at_us, thread)
             SELECT * FROM UNNEST($1::TEXT[], $2::BIGINT[], $3::BIGINT[], $4::TEXT[], $5::TEXT[],
                                  $6::TEXT[], $7::BOOLEAN[], $8::TEXT[], $9::BIGINT[],
                                  $10::BIGINT[])",
        )
        .bind(&self.room)
        .bind(&self.seq)
        .bind(&self.user_id)
        .bind(&self.client_id)
        .bind(&self.name)
        .bind(&self.role)
        .bind(&self.staff)
        .bind(&self.text)
        .bind(&self.sent_at_us)
        .bind(&self.thread)
        .execute(connection)
        .await?;
        Ok(())
    }
}
