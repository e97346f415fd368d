//! One room's traffic with the other nodes, while this node has members of it: its camera
//! frames out (JPEG the newest only, chunks in order up to a bound: `outgoing_video`), other
//! nodes' frames in, asks for a keyframe from the camera's node, each node's report of
//! who is there, and the chat feed. Each is a task of its own, so that none waits for
//! another; all stop, and their subscriptions end, when the room's last member leaves.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use nido_shared::{ChatLine, FrameHeader, UserId};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::{Instant, MissedTickBehavior, timeout};
use tokio_util::task::AbortOnDropHandle;

use super::chat_feed::{self, ChatInput};
use super::outgoing_video::OutgoingVideo;
use super::video_envelope::VideoEnvelope;
use super::{Cluster, NodeId};
use crate::infra::mutex::lock;
use crate::relay::hub::{NodePresence, RemoteFrame, RoomHandle};
use crate::store::ChatMark;

/// How often a node reports its members of a room even when nothing changed, so that the
/// others can tell a node that died (their copy expires) from one that is quiet.
const PRESENCE_EVERY: Duration = Duration::from_secs(1);
/// The longest a publication may wait for NATS; after that the message is given up (a frame
/// is replaced by the next; presence and chat are sent again or read from the database).
const PUBLISH_TIMEOUT: Duration = Duration::from_millis(200);

/// A node's ask for a keyframe from the room's camera on another node: a viewer there lost
/// its chain.
#[derive(Serialize, Deserialize)]
struct KeyframeWanted {
    node: NodeId,
}

/// A node's report of its members of a room, as sent on NATS.
#[derive(Serialize, Deserialize)]
struct PresenceReport {
    node: NodeId,
    presence: NodePresence,
}

/// The room's link; dropping it stops its tasks and tells the others this node left.
pub struct RoomLink {
    cluster: Cluster,
    room: RoomHandle,
    frames: Arc<Outgoing>,
    presence_changed: Arc<Notify>,
    chat: mpsc::UnboundedSender<ChatInput>,
    chat_ready: watch::Receiver<bool>,
    _tasks: [AbortOnDropHandle<()>; 5],
}

impl RoomLink {
    pub(super) fn start(cluster: &Cluster, room: RoomHandle) -> Self {
        let frames = Arc::new(Outgoing::default());
        let presence_changed = Arc::new(Notify::new());
        let (chat, chat_inputs) = mpsc::unbounded_channel();
        let (ready, chat_ready) = watch::channel(false);
        let tasks = [
            spawn(send_frames(
                cluster.clone(),
                room.clone(),
                Arc::clone(&frames),
            )),
            spawn(receive_frames(cluster.clone(), room.clone())),
            spawn(hear_keyframe_wishes(cluster.clone(), room.clone())),
            spawn(exchange_presence(
                cluster.clone(),
                room.clone(),
                Arc::clone(&presence_changed),
            )),
            spawn(chat_feed::run(
                cluster.clone(),
                room.clone(),
                chat_inputs,
                ready,
            )),
        ];
        Self {
            cluster: cluster.clone(),
            room,
            frames,
            presence_changed,
            chat,
            chat_ready,
            _tasks: tasks,
        }
    }

    /// This node's camera sent a frame (`header` read from `bytes`), to publish.
    pub fn offer_frame(&self, epoch: u64, header: &FrameHeader, bytes: Bytes) {
        lock(&self.frames.video).push(epoch, header, bytes);
        self.frames.added.notify_one();
    }

    /// This node's members of the room changed: the others are told now.
    pub fn presence_changed(&self) {
        self.presence_changed.notify_one();
    }

    /// Resolves once the chat feed knows where the room's chat stands: a member reads its
    /// backlog after this, and the feed delivers everything after it.
    pub async fn chat_ready(&self) {
        let mut ready = self.chat_ready.clone();
        let _ = ready.wait_for(|ready| *ready).await;
    }

    /// A message this node stored: delivered here in number order and announced.
    pub fn chat_stored(&self, line: ChatLine) {
        let _ = self.chat.send(ChatInput::Stored(line));
    }

    pub fn chat_deleted(&self, thread: Option<UserId>, seq: u64) {
        let _ = self.chat.send(ChatInput::Deleted(thread, seq));
    }

    /// A private thread changed here (a message, a read, a deletion): the other nodes tell
    /// their readers how it stands now.
    pub fn thread_changed(&self, thread: UserId) {
        let _ = self.chat.send(ChatInput::ThreadChanged(thread));
    }

    /// Where the database holds the room's chat or a thread, from the periodic check.
    pub fn chat_position(&self, thread: Option<UserId>, mark: ChatMark) {
        let _ = self.chat.send(ChatInput::Position(thread, mark));
    }
}

impl Drop for RoomLink {
    fn drop(&mut self) {
        // The others forget this node's members of the room now rather than at expiry.
        let report = PresenceReport {
            node: self.cluster.node().clone(),
            presence: NodePresence::default(),
        };
        let (cluster, room) = (self.cluster.clone(), self.room.id().clone());
        tokio::spawn(async move {
            let subject = cluster.backplane().presence_subject(&room);
            publish_json(&cluster, subject, &report).await;
        });
    }
}

/// The camera's video waiting to be published, and the publisher's wake-up.
#[derive(Default)]
struct Outgoing {
    video: Mutex<OutgoingVideo>,
    added: Notify,
}

fn spawn(task: impl Future<Output = ()> + Send + 'static) -> AbortOnDropHandle<()> {
    AbortOnDropHandle::new(tokio::spawn(task))
}

/// Publishes this node's camera video as it comes; while NATS is away or slow, JPEG frames
/// are replaced by newer ones and chunks wait for the next keyframe, never queued long.
async fn send_frames(cluster: Cluster, room: RoomHandle, frames: Arc<Outgoing>) {
    let backplane = cluster.backplane();
    let subject = backplane.video_subject(room.id());
    let metrics = cluster.metrics();
    loop {
        let Some(frame) = lock(&frames.video).pop() else {
            frames.added.notified().await;
            continue;
        };
        if !backplane.video_is_connected() {
            lock(&frames.video).lost(&frame);
            metrics.backplane_frame_unsent();
            continue;
        }
        let envelope = VideoEnvelope {
            epoch: frame.epoch,
            sent_at: cluster.now(),
        };
        let size = frame.bytes.len();
        let published = backplane.video().publish_with_headers(
            subject.clone(),
            envelope.headers(),
            frame.bytes.clone(),
        );
        match timeout(PUBLISH_TIMEOUT, published).await {
            Ok(Ok(())) => metrics.backplane_frame_out(size),
            _ => {
                lock(&frames.video).lost(&frame);
                metrics.backplane_frame_unsent();
            }
        }
    }
}

/// Takes every frame other nodes publish for the room into its frame slots at once: the
/// slots keep only the newest, so a slow viewer here skips frames as with a local camera.
async fn receive_frames(cluster: Cluster, room: RoomHandle) {
    let backplane = cluster.backplane();
    let subject = backplane.video_subject(room.id());
    let Some(mut frames) = subscribe(backplane.video(), subject, &room, "video").await else {
        return;
    };
    let metrics = cluster.metrics();
    while let Some(message) = frames.next().await {
        let received_at = Instant::now();
        let Some(envelope) = VideoEnvelope::read(message.headers.as_ref()) else {
            tracing::warn!(room = %room.id(), "dropped a video message without Nido's envelope");
            continue;
        };
        let header = match FrameHeader::validate(&message.payload, cluster.max_frame_bytes()) {
            Ok(header) => header,
            Err(error) => {
                tracing::warn!(%error, room = %room.id(), "dropped an invalid frame from another node");
                continue;
            }
        };
        let size = message.payload.len();
        let relayed = room.publish_remote_frame(
            envelope.epoch,
            &header,
            &message.payload,
            received_at,
            metrics,
        );
        let RemoteFrame::Relayed { keyframe_wanted } = relayed else {
            continue;
        };
        metrics.backplane_frame_in(size, envelope.age(cluster.now()));
        if keyframe_wanted {
            let subject = backplane.keyframe_subject(room.id());
            let wish = KeyframeWanted {
                node: cluster.node().clone(),
            };
            let cluster = cluster.clone();
            tokio::spawn(async move { publish_json(&cluster, subject, &wish).await });
        }
    }
}

/// Takes other nodes' asks for a keyframe to this node's camera, if it is here. A lost ask
/// costs its viewer the wait for the camera's next regular keyframe.
async fn hear_keyframe_wishes(cluster: Cluster, room: RoomHandle) {
    let backplane = cluster.backplane();
    let subject = backplane.keyframe_subject(room.id());
    let Some(mut wishes) = subscribe(backplane.control(), subject, &room, "keyframe asks").await
    else {
        return;
    };
    while let Some(message) = wishes.next().await {
        match serde_json::from_slice::<KeyframeWanted>(&message.payload) {
            Ok(wish) if wish.node != *cluster.node() => room.keyframe_wanted_elsewhere(),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "dropped a malformed keyframe ask"),
        }
    }
}

/// Reports this node's members of the room to the others (at once on a change, and every
/// second) and takes in theirs.
async fn exchange_presence(cluster: Cluster, room: RoomHandle, changed: Arc<Notify>) {
    let backplane = cluster.backplane();
    let subject = backplane.presence_subject(room.id());
    let Some(mut reports) =
        subscribe(backplane.control(), subject.clone(), &room, "presence").await
    else {
        return;
    };
    let mut every = tokio::time::interval(PRESENCE_EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut reconnects = backplane.reconnects();
    loop {
        tokio::select! {
            () = changed.notified() => {}
            _ = every.tick() => {}
            // Reported again at once, as the others may have forgotten this node meanwhile.
            Ok(()) = reconnects.changed() => {}
            report = reports.next() => {
                let Some(message) = report else { return };
                match serde_json::from_slice::<PresenceReport>(&message.payload) {
                    Ok(report) if report.node != *cluster.node() => {
                        room.set_remote_presence(report.node, report.presence);
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "dropped a malformed presence report"),
                }
                continue;
            }
        }
        let Some(presence) = room.local_presence() else {
            return;
        };
        let report = PresenceReport {
            node: cluster.node().clone(),
            presence,
        };
        publish_json(&cluster, subject.clone(), &report).await;
    }
}

/// Subscribes to one of the room's subjects; `None`, logged, when NATS refuses (the task
/// asking then ends).
pub(super) async fn subscribe(
    client: &async_nats::Client,
    subject: String,
    room: &RoomHandle,
    what: &str,
) -> Option<async_nats::Subscriber> {
    match client.subscribe(subject).await {
        Ok(subscriber) => Some(subscriber),
        Err(error) => {
            tracing::error!(%error, room = %room.id(), "cannot subscribe to a room's {what}");
            None
        }
    }
}

/// Publishes a small JSON message on the control connection, giving up after a while (the
/// caller sends it again, or the others read the truth from the database).
pub(super) async fn publish_json(cluster: &Cluster, subject: String, message: &impl Serialize) {
    let payload = Bytes::from(serde_json::to_vec(message).expect("our messages serialise"));
    let published = cluster.backplane().control().publish(subject, payload);
    match timeout(PUBLISH_TIMEOUT, published).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::debug!(%error, "could not publish to NATS"),
        Err(_) => tracing::debug!("NATS took too long to take a message"),
    }
}
