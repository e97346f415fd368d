//! A room's chat and private threads across nodes: PostgreSQL holds every message; NATS
//! only says that one was stored. This node delivers each conversation's messages to its
//! readers here in number order, whoever stored them: the next number at once, an older one
//! not again, and a gap (a missed or late notification) filled from the database, as is
//! whatever the periodic position check finds this node has not delivered. A private
//! thread's readers are told how it stands (unread, seen) whenever a note says it changed,
//! and whenever the periodic check finds it moved since this node last looked, so a lost
//! note leaves no page stale for longer than a check.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use nido_shared::{ChatLine, UserId};
use serde::{Deserialize, Serialize};

use tokio::sync::{mpsc, watch};

use super::Cluster;
use super::room_link::{publish_json, subscribe};
use crate::relay::hub::RoomHandle;
use crate::relay::thread_states::ThreadStates;
use crate::store::{ChatMark, Conversation};

/// The most messages one gap fill reads; a node further behind than this (only after a
/// long outage) moves its cursor on and its members catch up when they reconnect.
const MAX_FILL: u32 = 1_000;
/// How long to wait before reading the room's position again when the database failed.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// What the room's feed is told by this node.
pub enum ChatInput {
    /// A message this node stored.
    Stored(ChatLine),
    /// A message this node's staff deleted, of the room's chat or a thread.
    Deleted(Option<UserId>, u64),
    /// Where the database holds the room's chat or a thread.
    Position(Option<UserId>, ChatMark),
    /// A private thread changed on this node.
    ThreadChanged(UserId),
}

/// What nodes tell each other of a room's chat.
#[derive(Serialize, Deserialize)]
enum ChatNote {
    Stored(ChatLine),
    Deleted(Option<UserId>, u64),
    ThreadChanged(UserId),
}

/// The last number delivered here, and what to do with the next one offered.
#[derive(Debug, Clone, Copy)]
struct Cursor(u64);

#[derive(Debug, PartialEq, Eq)]
enum Offered {
    /// The next one: deliver it.
    Next,
    /// Delivered already (or an echo): drop it.
    Old,
    /// Numbers are missing before it: read them from the database.
    Gap,
}

impl Cursor {
    fn offer(&mut self, seq: u64) -> Offered {
        if seq <= self.0 {
            Offered::Old
        } else if seq == self.0 + 1 {
            self.0 = seq;
            Offered::Next
        } else {
            Offered::Gap
        }
    }
}

/// The feed's task, for as long as the room has members here. It subscribes, reads the
/// room's position and then says it is `ready`: members joining read their backlog after
/// that, so everything after what they read is delivered to them from here.
pub async fn run(
    cluster: Cluster,
    room: RoomHandle,
    mut inputs: mpsc::UnboundedReceiver<ChatInput>,
    ready: watch::Sender<bool>,
) {
    let backplane = cluster.backplane();
    let subject = backplane.chat_subject(room.id());
    let Some(mut notes) = subscribe(backplane.control(), subject.clone(), &room, "chat").await
    else {
        return;
    };
    let positions = loop {
        match cluster
            .store()
            .chat_positions(std::slice::from_ref(room.id()))
            .await
        {
            Ok(positions) => break positions,
            Err(error) => {
                tracing::warn!(%error, room = %room.id(), "cannot read a room's chat position");
                tokio::time::sleep(RETRY_AFTER).await;
            }
        }
    };
    ready.send_replace(true);
    let mut feed = Feed {
        cluster: &cluster,
        room: &room,
        cursors: positions
            .iter()
            .map(|position| (position.thread, Cursor(position.mark.last_seq)))
            .collect(),
        thread_marks: positions
            .iter()
            .filter_map(|position| Some((position.thread?, position.mark)))
            .collect(),
    };
    loop {
        tokio::select! {
            input = inputs.recv() => match input {
                None => return,
                Some(ChatInput::Stored(line)) => {
                    publish_json(&cluster, subject.clone(), &ChatNote::Stored(line.clone())).await;
                    feed.deliver(line).await;
                }
                Some(ChatInput::Deleted(thread, seq)) => {
                    publish_json(&cluster, subject.clone(), &ChatNote::Deleted(thread, seq)).await;
                }
                Some(ChatInput::Position(thread, mark)) => feed.check(thread, mark).await,
                Some(ChatInput::ThreadChanged(thread)) => {
                    publish_json(&cluster, subject.clone(), &ChatNote::ThreadChanged(thread)).await;
                }
            },
            note = notes.next() => match note.map(|m| serde_json::from_slice::<ChatNote>(&m.payload)) {
                None => return,
                Some(Ok(ChatNote::Stored(line))) => feed.deliver(line).await,
                Some(Ok(ChatNote::Deleted(thread, seq))) => room.deliver_chat_deleted(thread, seq),
                Some(Ok(ChatNote::ThreadChanged(thread))) => feed.tell_thread_states(thread).await,
                Some(Err(error)) => tracing::warn!(%error, "dropped a malformed chat notification"),
            },
        }
    }
}

struct Feed<'a> {
    cluster: &'a Cluster,
    room: &'a RoomHandle,
    /// One per conversation: the room's chat (`None`) and each thread (a new one at 0).
    cursors: HashMap<Option<UserId>, Cursor>,
    /// Where each thread stood when this node last looked at the database.
    thread_marks: HashMap<UserId, ChatMark>,
}

impl Feed<'_> {
    async fn deliver(&mut self, line: ChatLine) {
        let cursor = self.cursors.entry(line.thread).or_insert(Cursor(0));
        match cursor.offer(line.seq) {
            Offered::Next => self.room.deliver_chat(line),
            Offered::Old => {}
            Offered::Gap => self.catch_up(line.thread, line.seq).await,
        }
    }

    /// The periodic check: delivers what this node missed, and tells a thread's readers how
    /// it stands if it moved since the last look (a note about it may have been lost).
    async fn check(&mut self, thread: Option<UserId>, mark: ChatMark) {
        self.catch_up(thread, mark.last_seq).await;
        if let Some(thread) = thread {
            // A thread new since this node started counts as moved.
            if self.thread_marks.insert(thread, mark) != Some(mark) {
                self.tell_thread_states(thread).await;
            }
        }
    }

    /// Tells the readers here of a thread that changed on another node how it stands now.
    async fn tell_thread_states(&self, thread: UserId) {
        let readers = self.room.thread_family_readers(thread);
        let store = self.cluster.store();
        match ThreadStates::read(store, self.room.id(), thread, readers).await {
            Ok(states) => self.room.tell_thread_states(&states),
            Err(error) => {
                tracing::warn!(%error, room = %self.room.id(), "could not read a thread's state; its readers see it at their next change");
            }
        }
    }

    /// Delivers, from the database, every message of a conversation up to `last` not
    /// delivered yet.
    async fn catch_up(&mut self, thread: Option<UserId>, last: u64) {
        let cursor = self.cursors.entry(thread).or_insert(Cursor(0));
        let Cursor(from) = *cursor;
        if last <= from {
            return;
        }
        let room = self.room.id();
        let conversation = Conversation { room, thread };
        match self
            .cluster
            .store()
            .chat_after(conversation, None, from, MAX_FILL)
            .await
        {
            Ok(Some(lines)) => {
                let delivered = lines.last().map_or(from, |line| line.seq);
                for line in lines {
                    self.room.deliver_chat(line);
                }
                // Numbers up to `last` that were not read were deleted.
                *cursor = Cursor(delivered.max(last));
            }
            Ok(None) => {
                tracing::warn!(%room, ?thread, from, last, "this node fell too far behind a room's chat; its members catch up when they reconnect");
                *cursor = Cursor(last);
            }
            Err(error) => {
                tracing::warn!(%error, %room, "could not read missed chat messages; trying again at the next check")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_number_is_delivered_an_old_one_dropped_and_a_gap_filled() {
        let mut cursor = Cursor(4);
        assert_eq!(cursor.offer(5), Offered::Next);
        assert_eq!(cursor.offer(5), Offered::Old);
        assert_eq!(cursor.offer(3), Offered::Old);
        assert_eq!(cursor.offer(7), Offered::Gap);
        assert_eq!(cursor.0, 5, "a gap moves nothing until it is filled");
        assert_eq!(cursor.offer(6), Offered::Next);
    }
}
