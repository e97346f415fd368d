//! A room's chat and its private threads for one connection: every message is stored
//! before anyone hears of it, a resent id gets the original back, the backlog and older
//! pages come from the database, and the room's staff delete messages and mute family
//! members. A private thread is read by its family account, the accounts the staff added to
//! it and the room's staff; whether this connection is one of them is decided here for
//! every request, and by the hub for every message it sends out.

use std::time::Duration;

use nido_shared::api::SecurityEventKind;
use nido_shared::limits::MAX_CHAT_CHARS;
use nido_shared::{ChatId, ErrorCode, ServerMessage, SocketError, Timestamp, UserId, UserRole};

use crate::relay::hub::Membership;
use crate::relay::outbox::Outbox;
use crate::relay::thread_states::ThreadStates;
use crate::state::AppState;
use crate::store::{Appended, Conversation, EventDetails, NewChat, ThreadReader, ThreadsShown};

/// Messages a joining page is shown, and each older page.
pub const PAGE: u32 = 50;
/// A reconnecting page is sent at most this many missed messages; further behind, it
/// starts afresh from the latest page.
const MAX_CATCH_UP: u32 = 1_000;
/// How far back a catch-up reports deletions.
const DELETIONS_REPORTED: u64 = 200;
/// How many times a joining page's thread list is read while threads keep changing.
const THREAD_LIST_READS: u32 = 3;
/// The longest mute, a week.
const MAX_MUTE_MINUTES: u32 = 7 * 24 * 60;

/// A refused chat request is told to its sender; only a broken or hostile client's closes.
pub type ChatResult = Result<(), SocketError>;

/// One connection's side of its room's chat.
pub struct Chatter<'a> {
    pub state: &'a AppState,
    pub membership: &'a Membership,
    pub outbox: &'a Outbox,
    pub user_id: UserId,
    pub user_role: UserRole,
    /// Messages sent before this are not this person's to read (a family member sees the
    /// chat from when they were given the room); `None` for staff.
    pub visible_from: Option<Timestamp>,
    /// Where the connection comes from, for the security log.
    pub client_addr: &'a str,
}

impl Chatter<'_> {
    /// Stores and relays a message to the room's chat or a private thread, or answers a
    /// resent id with the original.
    pub async fn send(&self, id: String, text: String, thread: Option<UserId>) -> ChatResult {
        let Ok(id) = ChatId::try_from(id) else {
            return Err(SocketError::new(
                ErrorCode::MalformedMessage,
                "a chat message id is 8 to 64 letters, digits, '-' or '_'",
            ));
        };
        let text = text.trim();
        if text.is_empty() {
            return Err(
                SocketError::new(ErrorCode::ChatEmpty, "the message is empty").about_chat(&id),
            );
        }
        if text.chars().count() > MAX_CHAT_CHARS {
            return Err(SocketError::new(
                ErrorCode::ChatTooLong,
                format!("messages are limited to {MAX_CHAT_CHARS} characters"),
            )
            .about_chat(&id));
        }
        self.check_thread(thread)
            .await
            .map_err(|e| e.about_chat(&id))?;
        let room = self.membership.room();
        let store = &self.state.store;
        let now = self.state.clock.now();
        // A mute keeps someone out of the room's chat, not from writing to the staff.
        let muted = match thread {
            None => store
                .muted_until(room, self.user_id, now)
                .await
                .map_err(|e| SocketError::from(e).about_chat(&id))?,
            Some(_) => None,
        };
        if muted.is_some() {
            return Err(SocketError::new(
                ErrorCode::ChatMuted,
                "the room's staff muted you for a while",
            )
            .about_chat(&id));
        }
        if self.state.chat_rate.check_key(&self.user_id).is_err() {
            return Err(SocketError::new(
                ErrorCode::RateLimited,
                format!(
                    "at most {} messages in 10 seconds; send it again in a moment",
                    self.state.config.chat_per_10s
                ),
            )
            .about_chat(&id));
        }
        let chat = NewChat {
            room,
            thread,
            user_id: self.user_id,
            client_id: &id,
            name: self.membership.name(),
            role: self.membership.role(),
            staff: self.user_role.is_staff(),
            text,
        };
        match store.append_chat(&chat, now).await {
            Ok(Appended::New(line)) => {
                self.state.metrics.chat_message();
                let seq = line.seq;
                self.membership.announce_chat(line);
                if let Some(thread) = thread {
                    // Writing answers what came before: the writer's side has read it.
                    self.state
                        .store
                        .mark_thread_read(room, thread, self.reader(), seq)
                        .await?;
                    self.announce_thread(thread).await?;
                }
            }
            Ok(Appended::Existing(line)) => self.outbox.push_message(&ServerMessage::Chat(line)),
            Err(error) => return Err(SocketError::from(error).about_chat(&id)),
        }
        Ok(())
    }

    /// Opens a private thread: its latest page, or what a reconnecting page missed.
    pub async fn open_thread(&self, thread: UserId, after_seq: Option<u64>) -> ChatResult {
        self.check_thread(Some(thread)).await?;
        self.send_conversation_backlog(Some(thread), None, after_seq)
            .await
    }

    /// The reader has seen a private thread up to `seq`: their side's mark moves on, and
    /// everyone who reads the thread hears how it stands now.
    pub async fn read_thread(&self, thread: UserId, seq: u64) -> ChatResult {
        self.check_thread(Some(thread)).await?;
        let room = self.membership.room();
        let store = &self.state.store;
        if store
            .mark_thread_read(room, thread, self.reader(), seq)
            .await?
        {
            self.announce_thread(thread).await?;
        }
        Ok(())
    }

    /// Right after joining: the private threads this person reads, as they stand for them;
    /// read again if a thread changed meanwhile, so the list never undoes a newer state.
    pub async fn send_threads(&self) -> ChatResult {
        let room = self.membership.room();
        for attempt in 1..=THREAD_LIST_READS {
            let told_before = self.membership.thread_states_told();
            let threads = self
                .state
                .store
                .thread_states(room, self.reader(), ThreadsShown::All)
                .await?;
            let list = ServerMessage::Threads {
                threads,
                replace: true,
            };
            if attempt == THREAD_LIST_READS {
                // Changes keep coming: this list goes, and the next change corrects it.
                self.outbox.push_message(&list);
            } else if self
                .membership
                .tell_own_threads(self.outbox, told_before, &list)
            {
                break;
            }
        }
        Ok(())
    }

    /// This person's side of a thread.
    fn reader(&self) -> ThreadReader {
        if self.user_role.is_staff() {
            ThreadReader::Staff
        } else {
            ThreadReader::Family(self.user_id)
        }
    }

    /// Tells everyone who reads a thread how it stands for them now.
    async fn announce_thread(&self, thread: UserId) -> ChatResult {
        let readers = self.membership.thread_family_readers(thread);
        let room = self.membership.room();
        let states = ThreadStates::read(&self.state.store, room, thread, readers).await?;
        self.membership.announce_thread_states(&states);
        Ok(())
    }

    /// Whether this person reads a conversation: everyone here the room's chat; a family
    /// account its own thread and those the staff added it to; the staff the thread of any
    /// family account of the room, and any thread the room has had.
    async fn check_thread(&self, thread: Option<UserId>) -> ChatResult {
        let Some(thread) = thread else {
            return Ok(());
        };
        let reads = if self.user_role.is_staff() {
            let store = &self.state.store;
            let room = self.membership.room();
            let family = store
                .user_by_id(thread)
                .await?
                .is_some_and(|user| user.role == UserRole::Family);
            family
                && (store.is_member(thread, room).await?
                    || store.thread_exists(room, thread).await?)
        } else {
            self.membership
                .lets_family_read_thread(self.user_id, thread)
        };
        if reads {
            Ok(())
        } else {
            Err(SocketError::new(
                ErrorCode::NoSuchThread,
                "there is no such conversation for you in this room",
            ))
        }
    }

    /// Right after joining: the room chat's latest page, or what a reconnecting page missed.
    pub async fn send_backlog(&self, after_seq: Option<u64>) -> ChatResult {
        self.send_conversation_backlog(None, self.visible_from, after_seq)
            .await
    }

    /// A conversation's latest page, or every message after `after_seq` (and the recent
    /// deletions) when that is not too many.
    async fn send_conversation_backlog(
        &self,
        thread: Option<UserId>,
        visible_from: Option<Timestamp>,
        after_seq: Option<u64>,
    ) -> ChatResult {
        let conversation = Conversation {
            room: self.membership.room(),
            thread,
        };
        let store = &self.state.store;
        let missed = match after_seq {
            Some(after) => {
                store
                    .chat_after(conversation, visible_from, after, MAX_CATCH_UP)
                    .await?
            }
            None => None,
        };
        let backlog = match (missed, after_seq) {
            (Some(lines), Some(after)) => ServerMessage::ChatBacklog {
                lines,
                has_older: false,
                replace: false,
                deleted: store
                    .deleted_chat_since(conversation, after.saturating_sub(DELETIONS_REPORTED))
                    .await?,
                thread,
            },
            _ => {
                let (lines, has_older) = store
                    .chat_page(conversation, visible_from, None, PAGE)
                    .await?;
                ServerMessage::ChatBacklog {
                    lines,
                    has_older,
                    replace: true,
                    deleted: Vec::new(),
                    thread,
                }
            }
        };
        self.outbox.push_message(&backlog);
        Ok(())
    }

    /// The page before `before_seq` of the room's chat or a private thread.
    pub async fn send_older(&self, before_seq: u64, thread: Option<UserId>) -> ChatResult {
        self.check_thread(thread).await?;
        let conversation = Conversation {
            room: self.membership.room(),
            thread,
        };
        // A family member reads the room's chat from when they were given the room, and the
        // whole of a thread they read.
        let visible_from = self.visible_from.filter(|_| thread.is_none());
        let (lines, has_older) = self
            .state
            .store
            .chat_page(conversation, visible_from, Some(before_seq), PAGE)
            .await?;
        self.outbox.push_message(&ServerMessage::OlderChat {
            lines,
            has_older,
            thread,
        });
        Ok(())
    }

    /// Staff: deletes a message for everyone who reads it, now and after a reload.
    pub async fn delete(&self, seq: u64, thread: Option<UserId>) -> ChatResult {
        self.require_staff()?;
        self.check_thread(thread).await?;
        let now = self.state.clock.now();
        let conversation = Conversation {
            room: self.membership.room(),
            thread,
        };
        let deleted = self
            .state
            .store
            .delete_chat(conversation, seq, self.user_id, now)
            .await?;
        if deleted {
            self.membership.announce_chat_deleted(thread, seq);
            // The log names the family a private thread is with.
            let family = match thread {
                Some(thread) => self.state.store.user_by_id(thread).await?,
                None => None,
            };
            let details = EventDetails {
                amount: i64::try_from(seq).ok(),
                account: family.as_ref().map(|user| user.username.as_str()),
                ..self.event()
            };
            self.state
                .record_event(SecurityEventKind::ChatDeleted, details, self.client_addr)
                .await;
            if let Some(thread) = thread {
                self.announce_thread(thread).await?;
            }
        }
        Ok(())
    }

    /// Staff: mutes a family member of this room for a while.
    pub async fn mute(&self, user_id: UserId, minutes: u32) -> ChatResult {
        self.require_staff()?;
        if !(1..=MAX_MUTE_MINUTES).contains(&minutes) {
            return Err(SocketError::new(
                ErrorCode::CannotMute,
                format!("a mute lasts 1 to {MAX_MUTE_MINUTES} minutes"),
            ));
        }
        let store = &self.state.store;
        let room = self.membership.room();
        let target = store.user_by_id(user_id).await?;
        let family_here = match &target {
            Some(user) if user.role == UserRole::Family => store.is_member(user.id, room).await?,
            _ => false,
        };
        let (Some(target), true) = (target, family_here) else {
            return Err(SocketError::new(
                ErrorCode::CannotMute,
                "only family members of this room can be muted",
            ));
        };
        let until = self.state.clock.now() + Duration::from_secs(u64::from(minutes) * 60);
        store.mute(room, user_id, until, self.user_id).await?;
        // The people concerned hear it first; the security log can take its time.
        let announced = self.announce_mutes(user_id, Some(until)).await;
        let details = EventDetails {
            account: Some(target.username.as_str()),
            amount: Some(i64::from(minutes)),
            ..self.event()
        };
        self.state
            .record_event(SecurityEventKind::Muted, details, self.client_addr)
            .await;
        announced
    }

    /// Staff: lets a muted family member of this room chat again.
    pub async fn unmute(&self, user_id: UserId) -> ChatResult {
        self.require_staff()?;
        let room = self.membership.room();
        let unmuted = self.state.store.unmute(room, user_id).await?;
        if unmuted {
            self.announce_mutes(user_id, None).await?;
        }
        Ok(())
    }

    /// Right after joining: a muted family member hears until when; staff hear who is muted.
    pub async fn send_mute_state(&self) -> ChatResult {
        let room = self.membership.room();
        let store = &self.state.store;
        let now = self.state.clock.now();
        let found = if self.user_role.is_staff() {
            let muted = store.mutes_in(room, now).await?;
            (!muted.is_empty()).then_some(ServerMessage::Mutes { muted })
        } else {
            let until = store.muted_until(room, self.user_id, now).await?;
            until.map(|until| ServerMessage::MuteState {
                until_us: Some(until),
            })
        };
        if let Some(found) = found {
            self.membership.tell_own_mutes(self.outbox, &found);
        }
        Ok(())
    }

    /// Tells the person (un)muted, and the room's staff the new list.
    async fn announce_mutes(&self, user_id: UserId, until: Option<Timestamp>) -> ChatResult {
        let room = self.membership.room();
        let now = self.state.clock.now();
        let muted = self.state.store.mutes_in(room, now).await?;
        self.membership.announce_mutes(
            user_id,
            &ServerMessage::MuteState { until_us: until },
            &ServerMessage::Mutes { muted },
        );
        Ok(())
    }

    /// An event by this person in this room.
    fn event(&self) -> EventDetails<'_> {
        EventDetails {
            actor_id: Some(self.user_id),
            room: Some(self.membership.room()),
            ..EventDetails::default()
        }
    }

    fn require_staff(&self) -> ChatResult {
        if self.user_role.is_staff() {
            Ok(())
        } else {
            Err(SocketError::new(
                ErrorCode::NotStaff,
                "only the room's staff can do this",
            ))
        }
    }
}
