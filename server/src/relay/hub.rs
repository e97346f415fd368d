//! The rooms: who is in each, its camera seat, its latest frame, its policy (viewing hours
//! and privacy pause), and the fan-out of chat and presence to every member.
//!
//! Video is latest-frame-wins: each room keeps a frame slot (a `watch` channel holding the
//! newest frame as shared `Bytes`). Publishing writes the frame to the viewers whose writers
//! are idle, and every other viewer's writer sends whatever is newest when it is ready for
//! more, so a slow viewer skips frames and nothing queues (`frame_slot`). There are two slots
//! holding the same bytes: staff watch one, families the other, which is only filled during
//! viewing hours. A slot is emptied *before* viewers are told the camera is paused, off or
//! closed, and a fan-out under way stops at once, so no viewer is sent a frame after hearing
//! that.
//!
//! Each room's policy has one authoritative copy here, kept whether or not the room has
//! members: joins and changes offer the copy they read from the database, and the newer
//! version wins, so a join that read the policy just before a change can never put the old
//! one back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use nido_shared::{
    CameraKey, CameraStatus, DisplayName, ErrorCode, Presence, Role, RoomId, ServerMessage,
    SocketError, UserId,
};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::infra::clock::Clock;
use crate::infra::metrics::Metrics;
use crate::infra::mutex::lock;
use crate::relay::frame_slot::FrameChannel;
use crate::relay::hours::{HoursNow, ViewingHours};
use crate::relay::outbox::{Outbox, Outgoing, PresenceUpdate, serialize};
use crate::relay::room_policy::RoomPolicy;
use crate::relay::websocket::SharedBinary;

/// Identifies one connection's membership of a room.
type MemberId = u64;

/// All rooms with at least one member. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    rooms: Mutex<HashMap<RoomId, Arc<Room>>>,
    /// The newest policy seen for each room, members or not. Locked after a room's members
    /// when both are.
    policies: Mutex<HashMap<RoomId, RoomPolicy>>,
    next_member_id: AtomicU64,
    clock: Clock,
    hours: ViewingHours,
}

struct Room {
    id: RoomId,
    members: Mutex<Members>,
    staff_frames: FrameChannel,
    /// Filled only during viewing hours.
    family_frames: FrameChannel,
}

struct Members {
    camera: Option<CameraSeat>,
    /// The policy's pause and hours as last applied (see `HubInner::apply_policy`).
    paused: bool,
    hours: HoursNow,
    /// In the order they joined.
    viewers: Vec<Member>,
    /// Joined for the chat and presence only (the camera page before it streams): no
    /// video, not counted among the viewers.
    listeners: Vec<Member>,
    /// How many changes of the room's mutes have been announced (see
    /// `Membership::tell_own_mutes`).
    mutes_announced: u64,
}

/// Whose rules a member sees the room by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Admins and caregivers: the camera as it is, at any hour, and who is watching.
    Staff,
    /// Family: only during viewing hours, and not the names of other viewers.
    Family,
}

struct Member {
    id: MemberId,
    user_id: UserId,
    name: DisplayName,
    audience: Audience,
    outbox: Outbox,
}

struct CameraSeat {
    member: Member,
    key: Option<CameraKey>,
}

/// Why a join was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinError {
    CameraBusy,
}

/// Someone asking to join a room, already allowed to.
pub struct JoinRequest {
    pub room: RoomId,
    /// The member's account.
    pub user_id: UserId,
    /// The room's policy as the join read it from the database.
    pub policy: RoomPolicy,
    pub role: Role,
    pub audience: Audience,
    pub name: DisplayName,
    pub camera_key: Option<CameraKey>,
    /// A viewer that takes no video (see `Members::listeners`).
    pub chat_only: bool,
    pub outbox: Outbox,
    /// Queued before anything else the room sends this member.
    pub welcome: ServerMessage,
}

/// One connection's place in a room; leaving happens when it is dropped.
pub struct Membership {
    hub: Arc<HubInner>,
    room: Arc<Room>,
    id: MemberId,
    role: Role,
    name: DisplayName,
    /// `Members::mutes_announced` when it joined.
    mutes_announced_at_join: u64,
}

impl Hub {
    pub fn new(clock: Clock, hours: ViewingHours) -> Self {
        Self {
            inner: Arc::new(HubInner {
                rooms: Mutex::default(),
                policies: Mutex::default(),
                next_member_id: AtomicU64::default(),
                clock,
                hours,
            }),
        }
    }

    pub fn join(&self, request: JoinRequest) -> Result<Membership, JoinError> {
        self.inner.merge_policy(&request.room, request.policy);
        let room = self.room(&request.room);
        let id = self.inner.next_member_id.fetch_add(1, Ordering::Relaxed);
        let mut members = lock(&room.members);
        self.inner.apply_policy(&room, &mut members);

        let member = Member {
            id,
            user_id: request.user_id,
            name: request.name.clone(),
            audience: request.audience,
            outbox: request.outbox.clone(),
        };
        match request.role {
            Role::Camera => {
                if let Some(seat) = &members.camera {
                    let same_camera = seat.key.is_some() && seat.key == request.camera_key;
                    if !same_camera {
                        return Err(JoinError::CameraBusy);
                    }
                    seat.member.outbox.push_error(SocketError::new(
                        ErrorCode::CameraReplaced,
                        "this camera reconnected elsewhere",
                    ));
                }
                request.outbox.push_message(&request.welcome);
                members.camera = Some(CameraSeat {
                    member,
                    key: request.camera_key,
                });
            }
            Role::Viewer if request.chat_only => {
                request.outbox.push_message(&request.welcome);
                members.listeners.push(member);
            }
            Role::Viewer => {
                request.outbox.push_message(&request.welcome);
                members.viewers.push(member);
            }
        }
        broadcast_presence(&members);
        let mutes_announced_at_join = members.mutes_announced;
        if request.role == Role::Viewer && !request.chat_only {
            let frames = match request.audience {
                Audience::Staff => &room.staff_frames,
                Audience::Family => &room.family_frames,
            };
            // A viewer that joins while the camera is live gets the latest frame at once.
            let slot = frames.watch(request.outbox.turn());
            request.outbox.push(Outgoing::WatchFrames(slot));
        }
        drop(members);

        Ok(Membership {
            hub: Arc::clone(&self.inner),
            room,
            id,
            role: request.role,
            name: request.name,
            mutes_announced_at_join,
        })
    }

    /// How many rooms have a camera connected and not paused.
    pub fn live_camera_count(&self) -> usize {
        let rooms: Vec<Arc<Room>> = lock(&self.inner.rooms).values().cloned().collect();
        rooms
            .iter()
            .filter(|room| {
                let members = lock(&room.members);
                members.camera.is_some() && !members.paused
            })
            .count()
    }

    /// How many rooms have members; for tests and diagnostics.
    pub fn room_count(&self) -> usize {
        lock(&self.inner.rooms).len()
    }

    /// Re-reads every room's viewing hours against the clock; rooms that opened or closed
    /// since the last call tell their members. Called several times a second.
    pub fn refresh_hours(&self) {
        let rooms: Vec<Arc<Room>> = lock(&self.inner.rooms).values().cloned().collect();
        for room in rooms {
            let mut members = lock(&room.members);
            self.inner.apply_policy(&room, &mut members);
        }
    }

    /// A room's policy as just stored: applied at once if it is the newest seen.
    pub fn offer_policy(&self, id: &RoomId, policy: RoomPolicy) {
        self.inner.merge_policy(id, policy);
        let room = lock(&self.inner.rooms).get(id).cloned();
        if let Some(room) = room {
            let mut members = lock(&room.members);
            self.inner.apply_policy(&room, &mut members);
        }
    }

    fn room(&self, id: &RoomId) -> Arc<Room> {
        let policy = self.inner.policy(id);
        let mut rooms = lock(&self.inner.rooms);
        let room = rooms.entry(id.clone()).or_insert_with(|| {
            Arc::new(Room {
                id: id.clone(),
                members: Mutex::new(Members {
                    camera: None,
                    paused: policy.paused,
                    hours: self
                        .inner
                        .hours
                        .at(&policy.schedule, self.inner.clock.now()),
                    viewers: Vec::new(),
                    listeners: Vec::new(),
                    mutes_announced: 0,
                }),
                staff_frames: FrameChannel::new(),
                family_frames: FrameChannel::new(),
            })
        });
        Arc::clone(room)
    }
}

impl HubInner {
    fn merge_policy(&self, id: &RoomId, offered: RoomPolicy) {
        let mut policies = lock(&self.policies);
        let newest = match policies.get(id) {
            Some(known) => known.newer(offered),
            None => offered,
        };
        policies.insert(id.clone(), newest);
    }

    /// The newest policy seen for a room; every caller merged one in first.
    fn policy(&self, id: &RoomId) -> RoomPolicy {
        lock(&self.policies)
            .get(id)
            .copied()
            .expect("a room's policy is merged before it is read")
    }

    /// Applies the room's newest policy at this moment: if that paused it or closed it to
    /// families, their frame slots are emptied first; any change is told to everyone.
    fn apply_policy(&self, room: &Room, members: &mut Members) {
        let policy = self.policy(&room.id);
        let hours = self.hours.at(&policy.schedule, self.clock.now());
        if hours == members.hours && policy.paused == members.paused {
            return;
        }
        if policy.paused {
            room.clear_frames();
        } else if !hours.open {
            room.family_frames.clear();
        }
        members.hours = hours;
        members.paused = policy.paused;
        broadcast_presence(members);
    }

    fn forget_if_empty(&self, room: &Arc<Room>) {
        let mut rooms = lock(&self.rooms);
        let members = lock(&room.members);
        // Another connection may have looked the room up but not joined yet: it holds a
        // reference, so the room stays.
        let unused = members.camera.is_none()
            && members.viewers.is_empty()
            && members.listeners.is_empty()
            && Arc::strong_count(room) <= 2;
        if unused && rooms.get(&room.id).is_some_and(|r| Arc::ptr_eq(r, room)) {
            rooms.remove(&room.id);
        }
    }
}

impl Membership {
    pub fn role(&self) -> Role {
        self.role
    }

    /// Relays a validated frame, read at `received_at`, to every viewer allowed to see it
    /// now; ignored (returning false) while paused or if this connection lost the camera
    /// seat.
    pub fn publish_frame(&self, frame: Bytes, received_at: Instant, metrics: &Metrics) -> bool {
        let members = lock(&self.room.members);
        if !self.holds_camera_seat(&members) || members.paused {
            return false;
        }
        // Framed once for both audiences; whether families may see it is decided under the
        // lock that pausing and closing take, and the fan-outs run after it.
        let message = SharedBinary::new(&frame);
        let to_families = members.hours.open.then(|| {
            self.room
                .family_frames
                .publish(message.clone(), received_at)
        });
        let to_staff = self.room.staff_frames.publish(message, received_at);
        drop(members);
        to_staff.run(metrics);
        if let Some(to_families) = to_families {
            to_families.run(metrics);
        }
        true
    }

    pub fn room(&self) -> &RoomId {
        &self.room.id
    }

    pub fn name(&self) -> &DisplayName {
        &self.name
    }

    /// Tells everyone in the room, the sender included, about a stored message or a
    /// deletion.
    pub fn broadcast(&self, message: &ServerMessage) {
        let members = lock(&self.room.members);
        broadcast(&members, &serialize(message));
    }

    /// Announces a change of the room's mutes: every connection of the person (un)muted
    /// hears `to_person`, the room's staff hear `to_staff`.
    pub fn announce_mutes(
        &self,
        user_id: UserId,
        to_person: &ServerMessage,
        to_staff: &ServerMessage,
    ) {
        let mut members = lock(&self.room.members);
        members.mutes_announced += 1;
        let (to_person, to_staff) = (serialize(to_person), serialize(to_staff));
        for member in everyone(&members) {
            if member.user_id == user_id {
                member.outbox.push_text(&to_person);
            }
            if member.audience == Audience::Staff {
                member.outbox.push_text(&to_staff);
            }
        }
    }

    /// Queues what this member found of the mutes on joining, unless a change was announced
    /// since it joined (being a member, it heard that newer one). A look that raced with a
    /// mute is then not told twice, nor one that raced with an unmute told last.
    pub fn tell_own_mutes(&self, outbox: &Outbox, message: &ServerMessage) {
        let members = lock(&self.room.members);
        if members.mutes_announced == self.mutes_announced_at_join {
            outbox.push_message(message);
        }
    }

    fn holds_camera_seat(&self, members: &Members) -> bool {
        members
            .camera
            .as_ref()
            .is_some_and(|seat| seat.member.id == self.id)
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut members = lock(&self.room.members);
        let changed = match self.role {
            // The pause stays: it belongs to the room until staff resume it.
            Role::Camera if self.holds_camera_seat(&members) => {
                members.camera = None;
                self.room.clear_frames();
                true
            }
            Role::Camera => false,
            Role::Viewer => {
                members.listeners.retain(|listener| listener.id != self.id);
                let before = members.viewers.len();
                members.viewers.retain(|viewer| viewer.id != self.id);
                members.viewers.len() != before
            }
        };
        if changed {
            broadcast_presence(&members);
        }
        drop(members);
        self.hub.forget_if_empty(&self.room);
    }
}

impl Room {
    fn clear_frames(&self) {
        self.family_frames.clear();
        self.staff_frames.clear();
    }
}

fn presence(members: &Members, audience: Audience) -> Presence {
    let camera = match (&members.camera, members.paused) {
        _ if audience == Audience::Family && !members.hours.open => CameraStatus::Closed,
        (None, _) => CameraStatus::Off,
        (Some(_), true) => CameraStatus::Paused,
        (Some(_), false) => CameraStatus::Live,
    };
    let viewers = match audience {
        Audience::Staff => members.viewers.iter().map(|v| v.name.clone()).collect(),
        Audience::Family => Vec::new(),
    };
    Presence {
        camera,
        camera_name: members.camera.as_ref().map(|seat| seat.member.name.clone()),
        opens_at: if members.hours.open {
            None
        } else {
            members.hours.opens_at
        },
        families_watching_allowed: (audience == Audience::Staff).then_some(members.hours.open),
        viewer_count: members.viewers.len(),
        viewers,
    }
}

/// Tells every member who is in the room, each as their audience may see it.
fn broadcast_presence(members: &Members) {
    let update = |audience| {
        let presence = presence(members, audience);
        PresenceUpdate {
            camera: presence.camera,
            text: serialize(&ServerMessage::Presence(presence)),
        }
    };
    let staff = update(Audience::Staff);
    let family = update(Audience::Family);
    for member in everyone(members) {
        member.outbox.set_presence(match member.audience {
            Audience::Staff => &staff,
            Audience::Family => &family,
        });
    }
}

fn broadcast(members: &Members, text: &Utf8Bytes) {
    for member in everyone(members) {
        member.outbox.push_text(text);
    }
}

fn everyone(members: &Members) -> impl Iterator<Item = &Member> {
    let camera = members.camera.iter().map(|seat| &seat.member);
    camera.chain(&members.viewers).chain(&members.listeners)
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use jiff::tz::TimeZone;
    use nido_shared::{Timestamp, WeeklySchedule};

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::relay::frame_slot::FrameSlot;
    use crate::relay::outbox::OutboxReceiver;

    /// A Wednesday at noon, UTC: inside the default hours (weekdays 07:00–17:00).
    const WEDNESDAY_NOON: Timestamp = Timestamp::from_micros(1_796_212_800_000_000);

    fn hub() -> Hub {
        let clock = Clock::default();
        clock.set_now(WEDNESDAY_NOON);
        Hub::new(clock, ViewingHours::new(TimeZone::UTC))
    }

    fn room() -> RoomId {
        RoomId::try_from("pollitos".to_owned()).unwrap()
    }

    /// Someone joining `pollitos` as `role`, for `audience`; a listener when `chat_only`.
    struct Joiner {
        role: Role,
        audience: Audience,
        schedule: WeeklySchedule,
        camera_key: Option<&'static str>,
        chat_only: bool,
    }

    impl Joiner {
        fn viewer(audience: Audience) -> Self {
            Self {
                role: Role::Viewer,
                audience,
                schedule: WeeklySchedule::default(),
                camera_key: None,
                chat_only: false,
            }
        }

        fn camera(key: &'static str) -> Self {
            Self {
                role: Role::Camera,
                camera_key: Some(key),
                ..Self::viewer(Audience::Staff)
            }
        }

        fn join(self, hub: &Hub) -> (Result<Membership, JoinError>, OutboxReceiver) {
            let (membership, received, _) = self.join_keeping_outbox(hub);
            (membership, received)
        }

        /// The same, keeping the member's outbox for the test to queue on.
        fn join_keeping_outbox(
            self,
            hub: &Hub,
        ) -> (Result<Membership, JoinError>, OutboxReceiver, Outbox) {
            let (outbox, received) = Outbox::new(&CancellationToken::new(), None);
            let request = JoinRequest {
                room: room(),
                user_id: UserId::new(1),
                policy: RoomPolicy {
                    version: 1,
                    schedule: self.schedule,
                    paused: false,
                },
                role: self.role,
                audience: self.audience,
                name: DisplayName::try_from("Marta".to_owned()).unwrap(),
                camera_key: self
                    .camera_key
                    .map(|k| CameraKey::try_from(k.to_owned()).unwrap()),
                chat_only: self.chat_only,
                outbox: outbox.clone(),
                welcome: ServerMessage::TimeSync {
                    client_time_us: Timestamp::UNIX_EPOCH,
                    server_time_us: Timestamp::UNIX_EPOCH,
                },
            };
            (hub.join(request), received, outbox)
        }
    }

    /// Everything queued for a member so far: its texts and its frame slot, if it got one.
    fn drain(received: &mut OutboxReceiver) -> (Vec<String>, Option<FrameSlot>) {
        let (mut texts, mut slot) = (Vec::new(), None);
        while let Ok(outgoing) = received.queue.try_recv() {
            match outgoing {
                Outgoing::Text(text) => texts.push(text.as_str().to_owned()),
                Outgoing::Notice(notice) => texts.push(notice.take().as_str().to_owned()),
                Outgoing::WatchFrames(frames) => slot = Some(frames),
                Outgoing::Close(..) => {}
            }
        }
        (texts, slot)
    }

    fn latest_presence(received: &OutboxReceiver) -> Presence {
        let update = received.presence.borrow().clone().expect("a presence");
        match serde_json::from_str(update.text.as_str()).unwrap() {
            ServerMessage::Presence(presence) => presence,
            other => panic!("not a presence: {other:?}"),
        }
    }

    #[test]
    fn a_second_camera_is_refused_and_the_same_camera_takes_its_seat_back() {
        let hub = hub();
        let (first, mut first_received) = Joiner::camera("camera-key-aaaa-0001").join(&hub);
        let _first = first.expect("the seat is free");
        let (other, _) = Joiner::camera("camera-key-bbbb-0002").join(&hub);
        assert_eq!(other.err(), Some(JoinError::CameraBusy));
        let (again, _) = Joiner::camera("camera-key-aaaa-0001").join(&hub);
        assert!(again.is_ok(), "the same camera reconnecting takes its seat");
        let (texts, _) = drain(&mut first_received);
        assert!(
            texts.iter().any(|t| t.contains("camera_replaced")),
            "the replaced camera is told: {texts:?}"
        );
    }

    #[test]
    fn outside_viewing_hours_staff_get_frames_and_families_do_not() {
        let hub = hub();
        let closed = WeeklySchedule { days: [None; 7] };
        let join = |audience| {
            let (membership, mut received) = Joiner {
                schedule: closed,
                ..Joiner::viewer(audience)
            }
            .join(&hub);
            let (_, slot) = drain(&mut received);
            (
                membership.expect("viewers always join"),
                slot.expect("a frame slot"),
            )
        };
        let (_staff, mut staff_frames) = join(Audience::Staff);
        let (_family, mut family_frames) = join(Audience::Family);
        let (camera, _) = Joiner {
            schedule: closed,
            ..Joiner::camera("camera-key-aaaa-0001")
        }
        .join(&hub);
        let camera = camera.unwrap();
        assert!(camera.publish_frame(
            Bytes::from_static(b"frame"),
            Instant::now(),
            &Metrics::default()
        ));
        let (staff_got, _) = staff_frames
            .next()
            .now_or_never()
            .flatten()
            .expect("staff get the frame at once");
        assert_eq!(staff_got.message.payload(), b"frame");
        assert!(
            family_frames.next().now_or_never().is_none(),
            "families get nothing outside viewing hours"
        );
    }

    #[test]
    fn a_joins_look_at_the_mutes_is_dropped_when_a_change_was_announced_since_it_joined() {
        let hub = hub();
        let found = ServerMessage::MuteState {
            until_us: Some(WEDNESDAY_NOON),
        };
        // Nothing announced since it joined: what its look found goes out.
        let (quiet, mut quiet_received, quiet_outbox) =
            Joiner::viewer(Audience::Family).join_keeping_outbox(&hub);
        let quiet = quiet.unwrap();
        let _ = drain(&mut quiet_received);
        quiet.tell_own_mutes(&quiet_outbox, &found);
        assert_eq!(drain(&mut quiet_received).0.len(), 1);
        // An unmute announced after it joined: the member heard it, and its older look is
        // dropped instead of arriving last.
        let (raced, mut raced_received, raced_outbox) =
            Joiner::viewer(Audience::Family).join_keeping_outbox(&hub);
        let raced = raced.unwrap();
        let _ = drain(&mut raced_received);
        let unmuted = ServerMessage::MuteState { until_us: None };
        let list = ServerMessage::Mutes { muted: Vec::new() };
        raced.announce_mutes(UserId::new(1), &unmuted, &list);
        raced.tell_own_mutes(&raced_outbox, &found);
        let (texts, _) = drain(&mut raced_received);
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(
            !texts[0].contains("until_us"),
            "it hears the unmute: {texts:?}"
        );
    }

    #[test]
    fn presence_counts_viewers_but_not_chat_only_listeners_and_leaving_is_told() {
        let hub = hub();
        let (staff, staff_received) = Joiner::viewer(Audience::Staff).join(&hub);
        let (listener, _) = Joiner {
            chat_only: true,
            ..Joiner::viewer(Audience::Staff)
        }
        .join(&hub);
        let _listener = listener.unwrap();
        let (family, family_received) = Joiner::viewer(Audience::Family).join(&hub);
        let presence = latest_presence(&staff_received);
        assert_eq!(presence.viewer_count, 2);
        assert_eq!(presence.viewers.len(), 2, "staff see who watches");
        assert!(
            latest_presence(&family_received).viewers.is_empty(),
            "families do not see other viewers' names"
        );
        drop(family);
        assert_eq!(latest_presence(&staff_received).viewer_count, 1);
        drop(staff);
        assert_eq!(hub.room_count(), 1, "the listener keeps the room");
    }
}
