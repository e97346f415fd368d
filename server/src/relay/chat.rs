//! A room's chat for one connection: every message is stored before anyone hears of it,
//! a resent id gets the original back, the backlog and older pages come from the database,
//! and the room's staff delete messages and mute family members.

use std::time::Duration;

use nido_shared::api::SecurityEventKind;
use nido_shared::limits::MAX_CHAT_CHARS;
use nido_shared::{ChatId, ErrorCode, ServerMessage, SocketError, Timestamp, UserId, UserRole};

use crate::relay::hub::Membership;
use crate::relay::outbox::Outbox;
use crate::state::AppState;
use crate::store::{Appended, EventDetails, NewChat};

/// Messages a joining page is shown, and each older page.
pub const PAGE: u32 = 50;
/// A reconnecting page is sent at most this many missed messages; further behind, it
/// starts afresh from the latest page.
const MAX_CATCH_UP: u32 = 1_000;
/// How far back a catch-up reports deletions.
const DELETIONS_REPORTED: u64 = 200;
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
    /// Stores and relays a message, or answers a resent id with the original.
    pub async fn send(&self, id: String, text: String) -> ChatResult {
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
        let room = self.membership.room();
        let store = &self.state.store;
        let now = self.state.clock.now();
        let muted = store
            .muted_until(room, self.user_id, now)
            .await
            .map_err(|e| SocketError::from(e).about_chat(&id))?;
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
                self.membership.announce_chat(line);
            }
            Ok(Appended::Existing(line)) => self.outbox.push_message(&ServerMessage::Chat(line)),
            Err(error) => return Err(SocketError::from(error).about_chat(&id)),
        }
        Ok(())
    }

    /// Right after joining: the latest page, or what a reconnecting page missed.
    pub async fn send_backlog(&self, after_seq: Option<u64>) -> ChatResult {
        let room = self.membership.room();
        let store = &self.state.store;
        let missed = match after_seq {
            Some(after) => {
                store
                    .chat_after(room, self.visible_from, after, MAX_CATCH_UP)
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
                    .deleted_chat_since(room, after.saturating_sub(DELETIONS_REPORTED))
                    .await?,
            },
            _ => {
                let (lines, has_older) =
                    store.chat_page(room, self.visible_from, None, PAGE).await?;
                ServerMessage::ChatBacklog {
                    lines,
                    has_older,
                    replace: true,
                    deleted: Vec::new(),
                }
            }
        };
        self.outbox.push_message(&backlog);
        Ok(())
    }

    /// The page before `before_seq`.
    pub async fn send_older(&self, before_seq: u64) -> ChatResult {
        let (lines, has_older) = self
            .state
            .store
            .chat_page(
                self.membership.room(),
                self.visible_from,
                Some(before_seq),
                PAGE,
            )
            .await?;
        self.outbox
            .push_message(&ServerMessage::OlderChat { lines, has_older });
        Ok(())
    }

    /// Staff: deletes a message for everyone, now and after a reload.
    pub async fn delete(&self, seq: u64) -> ChatResult {
        self.require_staff()?;
        let now = self.state.clock.now();
        let deleted = self
            .state
            .store
            .delete_chat(self.membership.room(), seq, self.user_id, now)
            .await?;
        if deleted {
            self.membership.announce_chat_deleted(seq);
            let details = EventDetails {
                amount: i64::try_from(seq).ok(),
                ..self.event()
            };
            self.state
                .record_event(SecurityEventKind::ChatDeleted, details, self.client_addr)
                .await;
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
