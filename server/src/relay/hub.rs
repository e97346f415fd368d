//! The rooms: who is in each, its camera seat, its latest frame, its policy (viewing hours
//! and privacy pause), and the fan-out of chat and presence to every member, and of each
//! private thread to those who read it (decided per message from the policy applied now).
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
//! With other nodes (`cluster`), each room with members here has a link to them: this
//! node's camera frames go out through it, frames of a camera on another node come in
//! through it into the same slots (never older than the seat's newest epoch), and presence
//! counts the members every node reports.
//!
//! Each room's policy has one authoritative copy here, kept whether or not the room has
//! members: joins and changes offer the copy they read from the database, and the newer
//! version wins, so a join that read the policy just before a change can never put the old
//! one back. Where a room ties viewing to attendance, the policy's children decide per
//! family member whether it is given a video feed at all: without one, not a byte of video
//! reaches its socket, and it is told about its children's day instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use nido_shared::attendance::ChildToday;
use nido_shared::{
    CameraKey, CameraStatus, ChatLine, DisplayName, ErrorCode, FrameHeader, Presence, Role, RoomId,
    ServerMessage, SocketError, Timestamp, UserId, VideoCodec,
};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::cluster::{Cluster, NodeId, RoomLink};
use crate::infra::clock::Clock;
use crate::infra::metrics::Metrics;
use crate::infra::mutex::lock;
use crate::relay::hours::{HoursNow, ViewingHours};
use crate::relay::outbox::{Outbox, Outgoing, PresenceUpdate, serialize};
use crate::relay::room_policy::RoomPolicy;
use crate::relay::room_video::{Feed, RoomVideo};
use crate::relay::thread_states::ThreadStates;
use crate::store::ChatPosition;

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
    /// The other nodes, when there are any.
    cluster: Option<Cluster>,
}

struct Room {
    id: RoomId,
    members: Mutex<Members>,
    video: RoomVideo,
    /// Its traffic with the other nodes; set once, right after the room is made.
    link: OnceLock<RoomLink>,
}

/// How long a join waits for the room's chat feed (see `Membership::chat_ready`).
const CHAT_READY_WAIT: Duration = Duration::from_secs(3);
/// How long another node's report of its members of a room holds (it sends one a second).
const REMOTE_PRESENCE_TTL: Duration = Duration::from_millis(2_500);
/// A camera is asked for a keyframe at most this often: each one costs every viewer.
const KEYFRAME_REQUEST_EVERY: Duration = Duration::from_secs(1);

struct Members {
    camera: Option<CameraSeat>,
    /// The policy's pause and hours as last applied (see `HubInner::apply_policy`).
    paused: bool,
    hours: HoursNow,
    /// The policy as last applied: its options and children decide each family's view.
    policy: RoomPolicy,
    /// The start of the daycare's day when it was last applied: attendance counts by day.
    day_start: Timestamp,
    /// In the order they joined.
    viewers: Vec<Member>,
    /// Joined for the chat and presence only (the camera page before it streams): no
    /// video, not counted among the viewers.
    listeners: Vec<Member>,
    /// How many changes of the room's mutes have been announced (see
    /// `Membership::tell_own_mutes`).
    mutes_announced: u64,
    /// How many thread states have been told here (see `Membership::tell_own_threads`).
    thread_states_told: u64,
    /// What the other nodes last reported of their members of this room, until it expires.
    remote: HashMap<NodeId, (NodePresence, Instant)>,
    /// The newest camera seat epoch a frame was accepted under: frames of older seats (a
    /// camera taken over elsewhere) are dropped.
    video_epoch: u64,
    /// When the camera (or, for a camera on another node, its node) was last asked for a
    /// keyframe.
    keyframe_asked_at: Option<Instant>,
}

impl Members {
    /// Whether the last ask for a keyframe was long enough ago.
    fn keyframe_ask_due(&self) -> bool {
        self.keyframe_asked_at
            .is_none_or(|at| at.elapsed() >= KEYFRAME_REQUEST_EVERY)
    }
}

/// One node's members of a room, as it reports them to the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodePresence {
    /// The camera streaming from that node, with its seat's epoch.
    pub camera: Option<(DisplayName, u64)>,
    /// Who watches there, in the order they joined.
    pub viewers: Vec<DisplayName>,
    /// The codec that camera sends chunks in, if it does.
    #[serde(default)]
    pub camera_encodes: Option<VideoCodec>,
    /// Whether a viewer there reads JPEG only.
    #[serde(default)]
    pub jpeg_only_viewers: bool,
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
    video: MemberVideo,
    /// What a family member was last told of its children's day (see `tell_attendance`).
    attendance_told: Option<Vec<ChildToday>>,
}

/// What a member reads of the video, and for a viewer, what it watches now.
struct MemberVideo {
    decodes: Vec<VideoCodec>,
    data_saver: Arc<AtomicBool>,
    feed: Option<Feed>,
}

struct CameraSeat {
    member: Member,
    key: Option<CameraKey>,
    /// The cluster-wide seat's epoch (0 on a single node).
    epoch: u64,
    /// The codec it sends chunks in, if it does.
    encodes: Option<VideoCodec>,
    /// What it was last told of the viewers' need for JPEG.
    jpeg_demand_told: Option<bool>,
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
    /// The epoch of the cluster-wide camera seat it claimed (0 on a single node).
    pub camera_epoch: u64,
    /// A viewer that takes no video (see `Members::listeners`).
    pub chat_only: bool,
    /// A viewer's codecs beside JPEG.
    pub decodes: Vec<VideoCodec>,
    /// A camera's codec for chunks.
    pub encodes: Option<VideoCodec>,
    /// A viewer's choice of the base layer only.
    pub data_saver: Arc<AtomicBool>,
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
    /// A camera's codec for chunks.
    encodes: Option<VideoCodec>,
    /// The camera said it sends JPEG only from now on (see [`Membership::send_jpeg_only`]).
    jpeg_only: AtomicBool,
    name: DisplayName,
    /// `Members::mutes_announced` when it joined.
    mutes_announced_at_join: u64,
}

impl Hub {
    pub fn new(clock: Clock, hours: ViewingHours, cluster: Option<Cluster>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                rooms: Mutex::default(),
                policies: Mutex::default(),
                next_member_id: AtomicU64::default(),
                clock,
                hours,
                cluster,
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
            video: MemberVideo {
                decodes: request.decodes,
                data_saver: request.data_saver,
                feed: None,
            },
            attendance_told: None,
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
                    epoch: request.camera_epoch,
                    encodes: request.encodes,
                    jpeg_demand_told: None,
                });
                members.video_epoch = members.video_epoch.max(request.camera_epoch);
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
        room.members_changed();
        let mutes_announced_at_join = members.mutes_announced;
        tell_attendance(&mut members);
        // A viewer that joins while the camera is live gets a picture at once (if it may).
        room.route_video(&mut members);
        drop(members);

        Ok(Membership {
            hub: Arc::clone(&self.inner),
            room,
            id,
            role: request.role,
            encodes: request.encodes,
            jpeg_only: AtomicBool::new(false),
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

    /// The rooms with members here.
    pub fn room_ids(&self) -> Vec<RoomId> {
        lock(&self.inner.rooms).keys().cloned().collect()
    }

    /// Forgets what other nodes reported of their members when they stopped reporting (a
    /// node that died); rooms whose camera was on one of them turn off.
    pub fn expire_remote_presence(&self) {
        let now = Instant::now();
        for room in self.rooms() {
            let mut members = lock(&room.members);
            let before = members.remote.len();
            members.remote.retain(|_, (_, expires)| *expires > now);
            if members.remote.len() != before {
                room.after_remote_change(&mut members);
            }
        }
    }

    /// The cluster-wide camera seats this node's cameras hold: each room with its epoch.
    pub fn local_camera_seats(&self) -> Vec<(RoomId, u64)> {
        self.rooms()
            .iter()
            .filter_map(|room| {
                let members = lock(&room.members);
                let seat = members.camera.as_ref()?;
                (seat.epoch > 0).then(|| (room.id.clone(), seat.epoch))
            })
            .collect()
    }

    /// Closes this node's camera of a room whose seat (of `epoch`) was taken on another node.
    pub fn evict_camera(&self, id: &RoomId, epoch: u64) {
        let room = lock(&self.inner.rooms).get(id).cloned();
        if let Some(room) = room {
            let members = lock(&room.members);
            if let Some(seat) = members.camera.as_ref().filter(|seat| seat.epoch == epoch) {
                seat.member.outbox.push_error(SocketError::new(
                    ErrorCode::CameraReplaced,
                    "this camera reconnected elsewhere",
                ));
            }
        }
    }

    /// Where the database holds a room's chat or one of its threads, to its link with the
    /// others.
    pub fn offer_chat_position(&self, position: ChatPosition) {
        let room = lock(&self.inner.rooms).get(&position.room).cloned();
        if let Some(link) = room.as_ref().and_then(|room| room.link.get()) {
            link.chat_position(position.thread, position.mark);
        }
    }

    fn rooms(&self) -> Vec<Arc<Room>> {
        lock(&self.inner.rooms).values().cloned().collect()
    }

    fn room(&self, id: &RoomId) -> Arc<Room> {
        let policy = self.inner.policy(id);
        let mut rooms = lock(&self.inner.rooms);
        let mut made = false;
        let now = self.inner.clock.now();
        let room = rooms.entry(id.clone()).or_insert_with(|| {
            made = true;
            Arc::new(Room {
                id: id.clone(),
                members: Mutex::new(Members {
                    camera: None,
                    paused: policy.paused,
                    hours: self.inner.hours.at(&policy.schedule, now),
                    day_start: self.inner.hours.day_start(now),
                    policy,
                    viewers: Vec::new(),
                    listeners: Vec::new(),
                    mutes_announced: 0,
                    thread_states_told: 0,
                    remote: HashMap::new(),
                    video_epoch: 0,
                    keyframe_asked_at: None,
                }),
                video: RoomVideo::new(),
                link: OnceLock::new(),
            })
        });
        let room = Arc::clone(room);
        drop(rooms);
        if let (true, Some(cluster)) = (made, &self.inner.cluster) {
            let handle = RoomHandle {
                id: id.clone(),
                room: Arc::downgrade(&room),
            };
            // Only this call made the room, so only it sets the link.
            let _ = room.link.set(cluster.link_room(handle));
        }
        room
    }
}

impl HubInner {
    fn merge_policy(&self, id: &RoomId, offered: RoomPolicy) {
        let mut policies = lock(&self.policies);
        let newest = match policies.get(id) {
            Some(known) => known.clone().newer(offered),
            None => offered,
        };
        policies.insert(id.clone(), newest);
    }

    /// The newest policy seen for a room; every caller merged one in first.
    fn policy(&self, id: &RoomId) -> RoomPolicy {
        lock(&self.policies)
            .get(id)
            .cloned()
            .expect("a room's policy is merged before it is read")
    }

    /// Applies the room's newest policy at this moment: if that paused it or closed it to
    /// families, their frame slots are emptied first; a change of its options or children,
    /// or a new day, gives or takes each family member's video feed; any change is told to
    /// everyone.
    fn apply_policy(&self, room: &Room, members: &mut Members) {
        let policy = self.policy(&room.id);
        let now = self.clock.now();
        let hours = self.hours.at(&policy.schedule, now);
        let day_start = self.hours.day_start(now);
        let same_families =
            policy.version == members.policy.version && day_start == members.day_start;
        if hours == members.hours && policy.paused == members.paused && same_families {
            return;
        }
        if policy.paused {
            room.video.clear();
        } else if !hours.open {
            room.video.clear_families();
        }
        members.hours = hours;
        members.paused = policy.paused;
        members.policy = policy;
        members.day_start = day_start;
        if !same_families {
            // Feeds first: a family that may no longer watch loses its feed before it is
            // told why.
            room.route_video(members);
            tell_attendance(members);
        }
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

    /// The codec this camera sends chunks in, if it still does.
    pub fn encodes(&self) -> Option<VideoCodec> {
        self.encodes
            .filter(|_| !self.jpeg_only.load(Ordering::Relaxed))
    }

    /// The camera's encoder failed for good: from now on it sends JPEG only, so every viewer
    /// of the room, here and on the other nodes, is moved to JPEG. Nothing changes for a
    /// camera that lost its seat.
    pub fn send_jpeg_only(&self) {
        self.jpeg_only.store(true, Ordering::Relaxed);
        let mut members = lock(&self.room.members);
        let Some(seat) = members
            .camera
            .as_mut()
            .filter(|seat| seat.member.id == self.id)
        else {
            return;
        };
        seat.encodes = None;
        seat.jpeg_demand_told = None;
        self.room.route_video(&mut members);
        self.room.members_changed();
    }

    /// Relays a validated frame (`header` read from `frame`), read at `received_at`, to
    /// every viewer allowed to see it now; ignored (returning false) while paused or if this
    /// connection lost the camera seat. Asks the camera for a keyframe first if a viewer
    /// waits for one.
    pub fn publish_frame(
        &self,
        header: &FrameHeader,
        frame: Bytes,
        received_at: Instant,
        metrics: &Metrics,
    ) -> bool {
        let mut members = lock(&self.room.members);
        let Some(epoch) = self.camera_epoch(&members) else {
            return false;
        };
        if members.paused || epoch < members.video_epoch {
            return false;
        }
        self.room.ask_for_keyframe_if_wanted(&mut members, metrics);
        // Whether families may see it is decided under the lock that pausing and closing
        // take, and the fan-outs run after it.
        let publication = self
            .room
            .video
            .publish(header, &frame, received_at, members.hours.open);
        drop(members);
        // The other nodes first: their fan-outs then run beside this one's, instead of
        // after it.
        if let Some(link) = self.room.link.get() {
            link.offer_frame(epoch, header, frame);
        }
        publication.run(metrics);
        true
    }

    pub fn room(&self) -> &RoomId {
        &self.room.id
    }

    pub fn name(&self) -> &DisplayName {
        &self.name
    }

    /// Waits (a moment at most) until the room's chat feed from the other nodes knows where
    /// the chat stands, so that a backlog read after this misses nothing the feed delivers.
    pub async fn chat_ready(&self) {
        if let Some(link) = self.room.link.get() {
            let waited = tokio::time::timeout(CHAT_READY_WAIT, link.chat_ready()).await;
            if waited.is_err() {
                tracing::warn!(room = %self.room.id, "the chat feed is not ready; reading the backlog anyway");
            }
        }
    }

    /// Tells everyone who reads its conversation, on every node, about a newly stored
    /// message.
    pub fn announce_chat(&self, line: ChatLine) {
        match self.room.link.get() {
            // In number order with what the other nodes stored.
            Some(link) => link.chat_stored(line),
            None => self.room.deliver_chat(line),
        }
    }

    /// Tells everyone who reads its conversation, on every node, that a message was deleted.
    pub fn announce_chat_deleted(&self, thread: Option<UserId>, seq: u64) {
        self.room.deliver_chat_deleted(thread, seq);
        if let Some(link) = self.room.link.get() {
            link.chat_deleted(thread, seq);
        }
    }

    /// Whether the room's policy, as applied now, lets this family account read the private
    /// thread with `thread`.
    pub fn lets_family_read_thread(&self, family: UserId, thread: UserId) -> bool {
        lock(&self.room.members)
            .policy
            .lets_family_read_thread(family, thread)
    }

    /// The family accounts that read the private thread with `thread`, as the policy
    /// applied now says.
    pub fn thread_family_readers(&self, thread: UserId) -> Vec<UserId> {
        lock(&self.room.members)
            .policy
            .thread_family_readers(thread)
    }

    /// How many thread states have been told in the room here: read it before reading the
    /// threads a member is first shown (see [`Membership::tell_own_threads`]).
    pub fn thread_states_told(&self) -> u64 {
        lock(&self.room.members).thread_states_told
    }

    /// Queues the threads this member is first shown, read after `told_before` was, unless
    /// a thread's state was told since (the list may then be older than that): whether it
    /// was queued, or must be read again.
    pub fn tell_own_threads(
        &self,
        outbox: &Outbox,
        told_before: u64,
        message: &ServerMessage,
    ) -> bool {
        let members = lock(&self.room.members);
        let unchanged = members.thread_states_told == told_before;
        if unchanged {
            outbox.push_message(message);
        }
        unchanged
    }

    /// Tells those who read a private thread, on every node, how it stands for them now.
    pub fn announce_thread_states(&self, states: &ThreadStates) {
        self.room.tell_thread_states(states);
        if let Some(link) = self.room.link.get() {
            link.thread_changed(states.thread);
        }
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
        self.camera_epoch(members).is_some()
    }

    /// The seat's epoch, when this connection holds the room's camera seat.
    fn camera_epoch(&self, members: &Members) -> Option<u64> {
        members
            .camera
            .as_ref()
            .filter(|seat| seat.member.id == self.id)
            .map(|seat| seat.epoch)
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let mut members = lock(&self.room.members);
        let changed = match self.role {
            // The pause stays: it belongs to the room until staff resume it.
            Role::Camera if self.holds_camera_seat(&members) => {
                members.camera = None;
                self.room.video.clear();
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
            self.room.members_changed();
            self.room.route_video(&mut members);
        }
        drop(members);
        self.hub.forget_if_empty(&self.room);
    }
}

impl Room {
    /// Gives each viewer the feed it reads of the room's stream (chunks if it decodes the
    /// camera's codec, else JPEG), changing it where the camera changed, and tells a camera
    /// that sends chunks whether a viewer needs JPEG as well.
    fn route_video(&self, members: &mut Members) {
        let codec = stream_codec(members);
        let reads_chunks = |video: &MemberVideo| codec.is_some_and(|c| video.decodes.contains(&c));
        let (policy, day_start) = (&members.policy, members.day_start);
        for viewer in &mut members.viewers {
            let may_watch = viewer.audience == Audience::Staff
                || policy.lets_family_watch(viewer.user_id, day_start);
            let feed = may_watch.then(|| {
                if reads_chunks(&viewer.video) {
                    Feed::Chunks
                } else {
                    Feed::Jpeg
                }
            });
            if viewer.video.feed != feed {
                viewer.video.feed = feed;
                let watching = feed.map(|feed| {
                    self.video.watch(
                        viewer.audience == Audience::Family,
                        feed,
                        viewer.outbox.turn(),
                        Arc::clone(&viewer.video.data_saver),
                    )
                });
                viewer.outbox.push(Outgoing::WatchFrames(watching));
            }
        }
        let jpeg_wanted = members
            .viewers
            .iter()
            .any(|v| v.video.feed == Some(Feed::Jpeg))
            || members
                .remote
                .values()
                .any(|(presence, _)| presence.jpeg_only_viewers);
        if let Some(seat) = members
            .camera
            .as_mut()
            .filter(|seat| seat.encodes.is_some())
            && seat.jpeg_demand_told != Some(jpeg_wanted)
        {
            seat.jpeg_demand_told = Some(jpeg_wanted);
            seat.member
                .outbox
                .push_message(&ServerMessage::VideoDemand { jpeg: jpeg_wanted });
        }
    }

    /// Asks this node's camera for a keyframe if a viewer waits for one and the last ask was
    /// long enough ago.
    fn ask_for_keyframe_if_wanted(&self, members: &mut Members, metrics: &Metrics) {
        let sends_chunks = members
            .camera
            .as_ref()
            .is_some_and(|seat| seat.encodes.is_some());
        if sends_chunks
            && self.take_keyframe_ask(members)
            && let Some(seat) = &members.camera
        {
            seat.member
                .outbox
                .push_message(&ServerMessage::KeyframeRequest {});
            metrics.keyframe_requested();
        }
    }

    /// Whether a viewer waits for a keyframe and the last ask for one was long enough ago;
    /// if so, the ask is counted as made now.
    fn take_keyframe_ask(&self, members: &mut Members) -> bool {
        let ask = members.keyframe_ask_due() && self.video.take_keyframe_wanted();
        if ask {
            members.keyframe_asked_at = Some(Instant::now());
        }
        ask
    }

    /// Delivers a stored message to those here who read its conversation.
    fn deliver_chat(&self, line: ChatLine) {
        let thread = line.thread;
        self.send_to_readers(thread, &ServerMessage::Chat(line));
    }

    fn deliver_chat_deleted(&self, thread: Option<UserId>, seq: u64) {
        self.send_to_readers(thread, &ServerMessage::ChatDeleted { seq, thread });
    }

    /// Sends to those here who read a conversation: everyone its room's chat, the staff and
    /// the thread's family accounts (as the policy applied now says) a private thread.
    fn send_to_readers(&self, thread: Option<UserId>, message: &ServerMessage) {
        let members = lock(&self.members);
        let text = serialize(message);
        for member in everyone(&members) {
            let reads = match thread {
                None => true,
                Some(thread) => {
                    member.audience == Audience::Staff
                        || members
                            .policy
                            .lets_family_read_thread(member.user_id, thread)
                }
            };
            if reads {
                member.outbox.push_text(&text);
            }
        }
    }

    /// Tells each member here who reads a private thread how it stands for them.
    fn tell_thread_states(&self, states: &ThreadStates) {
        let mut members = lock(&self.members);
        members.thread_states_told += 1;
        for member in everyone(&members) {
            let staff = member.audience == Audience::Staff;
            let reads = staff
                || members
                    .policy
                    .lets_family_read_thread(member.user_id, states.thread);
            if let Some(state) = states.for_reader(staff, member.user_id).filter(|_| reads) {
                member.outbox.push_message(&ServerMessage::Threads {
                    threads: vec![state.clone()],
                    replace: false,
                });
            }
        }
    }

    /// This node's members changed: the other nodes are told.
    fn members_changed(&self) {
        if let Some(link) = self.link.get() {
            link.presence_changed();
        }
    }

    /// After another node's report changed or expired: with no camera left anywhere the
    /// picture goes (never a frozen frame shown as live), and everyone hears the change.
    fn after_remote_change(&self, members: &mut Members) {
        if members.camera.is_none() && remote_camera(members).is_none() {
            self.video.clear();
        }
        broadcast_presence(members);
        self.route_video(members);
    }
}

/// What became of a frame from the room's camera on another node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemoteFrame {
    /// Paused, or from an older camera seat.
    Dropped,
    /// Relayed. `keyframe_wanted`: a viewer here waits for a keyframe, so the camera's node is
    /// to be asked for one (at most once per [`KEYFRAME_REQUEST_EVERY`]).
    Relayed { keyframe_wanted: bool },
}

/// A room as its link with the other nodes sees it: held weakly, so that the link never
/// keeps a room (or the hub) alive.
#[derive(Clone)]
pub struct RoomHandle {
    id: RoomId,
    room: Weak<Room>,
}

impl RoomHandle {
    pub fn id(&self) -> &RoomId {
        &self.id
    }

    /// A frame from this room's camera on another node, sent under seat `epoch`: relayed as
    /// a local camera's would be (families only during this node's viewing hours), unless
    /// the room is paused or the frame comes from an older seat than the newest seen.
    pub fn publish_remote_frame(
        &self,
        epoch: u64,
        header: &FrameHeader,
        frame: &Bytes,
        received_at: Instant,
        metrics: &Metrics,
    ) -> RemoteFrame {
        let Some(room) = self.room.upgrade() else {
            return RemoteFrame::Dropped;
        };
        let mut members = lock(&room.members);
        let local_seat = members.camera.as_ref().map_or(0, |seat| seat.epoch);
        if members.paused || epoch < members.video_epoch || epoch <= local_seat {
            return RemoteFrame::Dropped;
        }
        members.video_epoch = epoch;
        let keyframe_wanted = members.camera.is_none() && room.take_keyframe_ask(&mut members);
        let publication = room
            .video
            .publish(header, frame, received_at, members.hours.open);
        drop(members);
        publication.run(metrics);
        RemoteFrame::Relayed { keyframe_wanted }
    }

    /// A viewer on another node waits for a keyframe: this node's camera, if it is here, is
    /// asked for one with its next frame, as for a viewer here (at most once a second).
    pub fn keyframe_wanted_elsewhere(&self) {
        if let Some(room) = self.room.upgrade()
            && lock(&room.members).camera.is_some()
        {
            room.video.want_keyframe();
        }
    }

    /// Another node's report of its members of this room.
    pub fn set_remote_presence(&self, node: NodeId, presence: NodePresence) {
        let Some(room) = self.room.upgrade() else {
            return;
        };
        let mut members = lock(&room.members);
        let expires = Instant::now() + REMOTE_PRESENCE_TTL;
        let unchanged = members
            .remote
            .get(&node)
            .is_some_and(|(known, _)| *known == presence);
        if presence == NodePresence::default() {
            members.remote.remove(&node);
        } else {
            members.remote.insert(node, (presence, expires));
        }
        if !unchanged {
            room.after_remote_change(&mut members);
        }
    }

    /// This node's members of the room, to report to the others; `None` once it is gone.
    pub fn local_presence(&self) -> Option<NodePresence> {
        let room = self.room.upgrade()?;
        let members = lock(&room.members);
        Some(NodePresence {
            camera: members
                .camera
                .as_ref()
                .map(|seat| (seat.member.name.clone(), seat.epoch)),
            viewers: members.viewers.iter().map(|v| v.name.clone()).collect(),
            camera_encodes: members.camera.as_ref().and_then(|seat| seat.encodes),
            jpeg_only_viewers: members
                .viewers
                .iter()
                .any(|viewer| viewer.video.feed.is_some() && viewer.video.decodes.is_empty()),
        })
    }

    /// Delivers a stored message to those on this node who read its conversation.
    pub fn deliver_chat(&self, line: ChatLine) {
        if let Some(room) = self.room.upgrade() {
            room.deliver_chat(line);
        }
    }

    pub fn deliver_chat_deleted(&self, thread: Option<UserId>, seq: u64) {
        if let Some(room) = self.room.upgrade() {
            room.deliver_chat_deleted(thread, seq);
        }
    }

    /// The family accounts that read the private thread with `thread` here.
    pub fn thread_family_readers(&self, thread: UserId) -> Vec<UserId> {
        self.room.upgrade().map_or_else(Vec::new, |room| {
            lock(&room.members).policy.thread_family_readers(thread)
        })
    }

    /// Tells those on this node who read a private thread how it stands for them.
    pub fn tell_thread_states(&self, states: &ThreadStates) {
        if let Some(room) = self.room.upgrade() {
            room.tell_thread_states(states);
        }
    }
}

/// The camera another node reports for the room, the newest seat's if several do.
fn remote_camera(members: &Members) -> Option<&(DisplayName, u64)> {
    remote_camera_report(members).and_then(|presence| presence.camera.as_ref())
}

fn remote_camera_report(members: &Members) -> Option<&NodePresence> {
    members
        .remote
        .values()
        .map(|(presence, _)| presence)
        .filter(|presence| presence.camera.is_some())
        .max_by_key(|presence| presence.camera.as_ref().map(|(_, epoch)| *epoch))
}

/// The codec the room's camera, here or on another node, sends chunks in.
fn stream_codec(members: &Members) -> Option<VideoCodec> {
    match &members.camera {
        Some(seat) => seat.encodes,
        None => remote_camera_report(members).and_then(|presence| presence.camera_encodes),
    }
}

fn presence(members: &Members, audience: Audience) -> Presence {
    let camera_name = match (&members.camera, remote_camera(members)) {
        (Some(seat), _) => Some(seat.member.name.clone()),
        (None, Some((name, _))) => Some(name.clone()),
        (None, None) => None,
    };
    let camera = match (&camera_name, members.paused) {
        _ if audience == Audience::Family && !members.hours.open => CameraStatus::Closed,
        (None, _) => CameraStatus::Off,
        (Some(_), true) => CameraStatus::Paused,
        (Some(_), false) => CameraStatus::Live,
    };
    let remote_viewers = members
        .remote
        .values()
        .flat_map(|(presence, _)| &presence.viewers);
    let viewer_count = members.viewers.len() + remote_viewers.clone().count();
    let viewers = match audience {
        Audience::Staff => members
            .viewers
            .iter()
            .map(|v| &v.name)
            .chain(remote_viewers)
            .cloned()
            .collect(),
        Audience::Family => Vec::new(),
    };
    Presence {
        camera,
        camera_name,
        opens_at: if members.hours.open {
            None
        } else {
            members.hours.opens_at
        },
        families_watching_allowed: (audience == Audience::Staff).then_some(members.hours.open),
        attendance_required: members.policy.attendance_required,
        watermark: members.policy.watermark,
        viewer_count,
        viewers,
    }
}

/// Tells each family member of a room that ties viewing to attendance about its children's
/// day there, when that changed since it was last told.
fn tell_attendance(members: &mut Members) {
    let (policy, day_start) = (&members.policy, members.day_start);
    let family = members
        .viewers
        .iter_mut()
        .chain(&mut members.listeners)
        .filter(|member| member.audience == Audience::Family);
    for member in family {
        let days = policy
            .attendance_required
            .then(|| policy.days_of(member.user_id, day_start));
        if member.attendance_told != days {
            if let Some(children) = &days {
                member
                    .outbox
                    .push_message(&ServerMessage::Attendance(children.clone()));
            }
            member.attendance_told = days;
        }
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

fn everyone(members: &Members) -> impl Iterator<Item = &Member> {
    let camera = members.camera.iter().map(|seat| &seat.member);
    camera.chain(&members.viewers).chain(&members.listeners)
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;
    use jiff::tz::TimeZone;
    use nido_shared::{FrameKind, ThreadState, Timestamp, WeeklySchedule};

    use tokio_util::sync::CancellationToken;

    use super::*;
    use crate::relay::outbox::OutboxReceiver;
    use crate::relay::video_feed::{VideoFeed, VideoItem};

    /// A Wednesday at noon, UTC: inside the default hours (weekdays 07:00–17:00).
    const WEDNESDAY_NOON: Timestamp = Timestamp::from_micros(1_796_212_800_000_000);

    fn hub() -> Hub {
        let clock = Clock::default();
        clock.set_now(WEDNESDAY_NOON);
        Hub::new(clock, ViewingHours::new(TimeZone::UTC), None)
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
        decodes: Vec<VideoCodec>,
        encodes: Option<VideoCodec>,
    }

    impl Joiner {
        fn viewer(audience: Audience) -> Self {
            Self {
                role: Role::Viewer,
                audience,
                schedule: WeeklySchedule::default(),
                camera_key: None,
                chat_only: false,
                decodes: Vec::new(),
                encodes: None,
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
                    attendance_required: false,
                    watermark: false,
                    children: Arc::new([]),
                    thread_guests: Arc::new([]),
                },
                role: self.role,
                audience: self.audience,
                name: DisplayName::try_from("Marta".to_owned()).unwrap(),
                camera_key: self
                    .camera_key
                    .map(|k| CameraKey::try_from(k.to_owned()).unwrap()),
                camera_epoch: 0,
                chat_only: self.chat_only,
                decodes: self.decodes,
                encodes: self.encodes,
                data_saver: Arc::default(),
                outbox: outbox.clone(),
                welcome: ServerMessage::TimeSync {
                    client_time_us: Timestamp::UNIX_EPOCH,
                    server_time_us: Timestamp::UNIX_EPOCH,
                },
            };
            (hub.join(request), received, outbox)
        }
    }

    /// Everything queued for a member so far: its texts and its newest video feed, if any.
    fn drain(received: &mut OutboxReceiver) -> (Vec<String>, Option<VideoFeed>) {
        let (mut texts, mut slot) = (Vec::new(), None);
        while let Ok(outgoing) = received.queue.try_recv() {
            match outgoing {
                Outgoing::Text(text) => texts.push(text.as_str().to_owned()),
                Outgoing::Notice(notice) => texts.push(notice.take().as_str().to_owned()),
                Outgoing::WatchFrames(frames) => slot = frames,
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
        let header = FrameHeader {
            sequence: 1,
            capture_time: Timestamp::UNIX_EPOCH,
            kind: FrameKind::Jpeg,
        };
        let frame = Bytes::from([&header.encode()[..], &[0xFF, 0xD8, 0xFF, 0xFF, 0xD9]].concat());
        let metrics = Metrics::default();
        assert!(camera.publish_frame(&header, frame.clone(), Instant::now(), &metrics));
        let Some(Some(VideoItem::Frame(staff_got, _))) = staff_frames.next(&metrics).now_or_never()
        else {
            panic!("staff get the frame at once");
        };
        assert_eq!(staff_got.message.payload(), frame);
        assert!(
            family_frames.next(&metrics).now_or_never().is_none(),
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
    fn a_joins_thread_list_is_read_again_when_a_thread_changed_while_it_was_read() {
        let hub = hub();
        let (member, mut received, outbox) =
            Joiner::viewer(Audience::Family).join_keeping_outbox(&hub);
        let member = member.unwrap();
        let _ = drain(&mut received);
        let state = |unread| ThreadState {
            thread: UserId::new(1),
            family: DisplayName::try_from("Ana".to_owned()).unwrap(),
            last_seq: 2,
            last_at_us: Some(WEDNESDAY_NOON),
            unread,
            seen_seq: 0,
        };
        let list = |unread| ServerMessage::Threads {
            threads: vec![state(unread)],
            replace: true,
        };
        // A staff answer is told while the join reads its list: that list is not sent.
        let told_before = member.thread_states_told();
        member.announce_thread_states(&ThreadStates {
            thread: UserId::new(1),
            staff: None,
            families: vec![(UserId::new(1), state(1))],
        });
        assert!(!member.tell_own_threads(&outbox, told_before, &list(0)));
        let (texts, _) = drain(&mut received);
        assert_eq!(texts.len(), 1, "only the newer state: {texts:?}");
        // Read again with nothing told meanwhile, the list goes.
        let told_before = member.thread_states_told();
        assert!(member.tell_own_threads(&outbox, told_before, &list(1)));
        assert_eq!(drain(&mut received).0.len(), 1);
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
