//! A room's layered video stream (WebCodecs chunks, VP8 with temporal layers) for one
//! audience: the decoder configuration and the current keyframe group kept for viewers who
//! join, and the fan-out of each chunk to the viewers, each through its own layer gate.
//!
//! Chunks, unlike JPEG frames, depend on the ones before them, so this is not a latest-
//! frame slot: the channel keeps every chunk since the newest keyframe (the cache), and each
//! viewer is sent what its gate (`layer_gate`) chooses from the chunks it has not been sent
//! yet. A viewer that keeps up is parked and gets each chunk from the fan-out with one write
//! (as with JPEG, see `socket_turn`); one that fell behind is served by its writer, which
//! sees every chunk waiting and drops the highest layer first. A joiner is sent the
//! configuration, the cached keyframe and the base layer since: a picture at once, without
//! asking the camera for a keyframe that every viewer would pay for.
//!
//! A delta is kept only if it continues the stream without a gap and depends on the cached
//! keyframe; anything else (a lost chunk, a camera or node that restarted) waits for the
//! next keyframe, which is then asked for, so no viewer is ever sent a delta it cannot
//! decode.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use nido_shared::{ChunkInfo, VideoCodec};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::infra::metrics::Metrics;
use crate::infra::mutex::lock;
use crate::relay::byte_rate::ByteRate;
use crate::relay::layer_gate::{ChunkMark, LayerGate};
use crate::relay::socket_turn::SocketTurn;
use crate::relay::websocket::SharedBinary;

/// The most chunks a keyframe group may hold (a minute at 10 fps): a camera that sends no
/// keyframe for longer is asked for one, and its chunks wait for it.
const MAX_GROUP_CHUNKS: usize = 600;
/// The most bytes a keyframe group may hold.
const MAX_GROUP_BYTES: usize = 16 * 1024 * 1024;

/// The decoder configuration chunks are sent after, numbered so that each viewer is sent
/// each one once.
#[derive(Debug)]
struct StreamConfig {
    generation: u64,
    message: SharedBinary,
}

/// A chunk as kept and relayed: the camera's message unchanged, framed once.
#[derive(Debug, Clone)]
pub struct RelayedChunk {
    mark: ChunkMark,
    pub codec: VideoCodec,
    pub message: SharedBinary,
    pub received_at: Instant,
    config: Arc<StreamConfig>,
}

impl RelayedChunk {
    pub fn layer(&self) -> u8 {
        self.mark.layer
    }
}

/// What a viewer's writer sends next: the configuration first if the viewer lacks it.
#[derive(Debug)]
pub struct ChunkToSend {
    pub config: Option<SharedBinary>,
    pub chunk: RelayedChunk,
    pub bytes_per_second: usize,
}

#[derive(Debug, Default)]
struct StreamCache {
    config: Option<Arc<StreamConfig>>,
    /// From the newest keyframe on.
    chunks: VecDeque<RelayedChunk>,
    bytes: usize,
    published: u64,
    /// The camera's sequence number of the cached keyframe, while the chunks after it are
    /// whole; `None` until the next keyframe.
    key_sequence: Option<u64>,
    last_sequence: u64,
}

/// One viewer's place in a channel, shared by the fan-out and its writer.
#[derive(Debug)]
struct ChunkViewer {
    state: Mutex<ViewerState>,
    /// The gate's cursor, readable without the lock (by the writer as it parks).
    cursor: AtomicU64,
    turn: Arc<SocketTurn>,
    data_saver: Arc<AtomicBool>,
}

#[derive(Debug)]
struct ViewerState {
    gate: LayerGate,
    config_sent: u64,
}

#[derive(Debug, Default)]
struct Shared {
    cache: Mutex<StreamCache>,
    viewers: Mutex<Arc<[Arc<ChunkViewer>]>>,
    rate: Mutex<ByteRate>,
    /// The byte rate as of the newest chunk.
    bytes_per_second: AtomicUsize,
    /// A viewer waits for a keyframe that is not coming by itself.
    keyframe_wanted: AtomicBool,
    /// Bumped by `clear`: a fan-out of an older chunk writes nothing more.
    clears: AtomicU64,
}

/// The publishing side: one per room and audience.
#[derive(Debug)]
pub struct ChunkChannel {
    shared: Arc<Shared>,
    newest: watch::Sender<u64>,
}

impl ChunkChannel {
    pub fn new() -> Self {
        Self {
            shared: Arc::default(),
            newest: watch::Sender::new(0),
        }
    }

    /// A new decoder configuration: the chunks after it start with a keyframe.
    /// The same configuration again (each keyframe crossing to other nodes brings it) is
    /// no change.
    pub fn publish_config(&self, message: SharedBinary) {
        let mut cache = lock(&self.shared.cache);
        if cache
            .config
            .as_ref()
            .is_some_and(|config| same_config(config.message.payload(), message.payload()))
        {
            return;
        }
        let generation = cache.config.as_ref().map_or(1, |c| c.generation + 1);
        cache.config = Some(Arc::new(StreamConfig {
            generation,
            message,
        }));
        cache.restart();
    }

    /// Keeps a chunk (numbered `sequence` by its camera) and returns its fan-out, to run once
    /// the room's lock is released; `None` if it cannot be decoded after what was kept (then
    /// a keyframe is wanted).
    #[must_use = "the chunk reaches parked viewers only when the fan-out runs"]
    pub fn publish(
        &self,
        message: SharedBinary,
        info: ChunkInfo,
        sequence: u64,
        received_at: Instant,
    ) -> Option<ChunkFanOut<'_>> {
        let mut cache = lock(&self.shared.cache);
        let config = cache.config.clone()?;
        let continues = cache.key_sequence == Some(sequence - u64::from(info.key_distance))
            && sequence == cache.last_sequence + 1;
        let fits = cache.chunks.len() < MAX_GROUP_CHUNKS
            && cache.bytes + message.payload().len() <= MAX_GROUP_BYTES;
        if info.key {
            cache.restart();
            cache.key_sequence = Some(sequence);
        } else if !continues || !fits {
            cache.key_sequence = None;
            drop(cache);
            self.shared.keyframe_wanted.store(true, Ordering::Relaxed);
            return None;
        }
        cache.last_sequence = sequence;
        cache.published += 1;
        let number = cache.published;
        let key_number = cache.chunks.front().map_or(number, |key| key.mark.number);
        let chunk = RelayedChunk {
            mark: ChunkMark {
                number,
                key_number,
                layer: info.temporal_layer,
                top_layer: info.temporal_layers - 1,
            },
            codec: info.codec,
            message,
            received_at,
            config,
        };
        cache.bytes += chunk.message.payload().len();
        cache.chunks.push_back(chunk.clone());
        drop(cache);
        let bytes_per_second =
            lock(&self.shared.rate).add(received_at, chunk.message.payload().len());
        self.shared
            .bytes_per_second
            .store(bytes_per_second, Ordering::Relaxed);
        self.newest.send_replace(number);
        Some(ChunkFanOut {
            shared: &self.shared,
            clears: self.shared.clears.load(Ordering::SeqCst),
            chunk,
            bytes_per_second,
            viewers: Arc::clone(&lock(&self.shared.viewers)),
        })
    }

    /// Forgets the stream: the camera is off, paused or closed to this audience. Viewers
    /// then wait for a keyframe, and a fan-out under way writes nothing more.
    pub fn clear(&self) {
        self.shared.clears.fetch_add(1, Ordering::SeqCst);
        lock(&self.shared.cache).restart();
    }

    /// A viewer elsewhere waits for a keyframe: the next asking says so.
    pub fn want_keyframe(&self) {
        self.shared.keyframe_wanted.store(true, Ordering::Relaxed);
    }

    /// Whether a viewer waits for a keyframe that will not come by itself, since the last
    /// time this was asked.
    pub fn take_keyframe_wanted(&self) -> bool {
        self.shared.keyframe_wanted.swap(false, Ordering::Relaxed)
    }

    /// A new viewer's slot: it is sent the cached keyframe group first. `turn` is its
    /// connection's, `data_saver` its choice of the base layer only.
    pub fn watch(&self, turn: Arc<SocketTurn>, data_saver: Arc<AtomicBool>) -> ChunkSlot {
        let viewer = Arc::new(ChunkViewer {
            state: Mutex::new(ViewerState {
                gate: LayerGate::new(),
                config_sent: 0,
            }),
            cursor: AtomicU64::new(0),
            turn,
            data_saver,
        });
        change_viewers(&self.shared, |viewers| viewers.push(Arc::clone(&viewer)));
        let mut newest = self.newest.subscribe();
        newest.mark_changed();
        ChunkSlot {
            shared: Arc::clone(&self.shared),
            viewer,
            newest,
        }
    }
}

impl StreamCache {
    /// Drops the keyframe group: what follows must start with a keyframe.
    fn restart(&mut self) {
        self.chunks.clear();
        self.bytes = 0;
        self.key_sequence = None;
    }
}

/// Whether two decoder configuration messages say the same, whatever their sequence
/// numbers and capture times (bytes 8 to 24 of the header).
fn same_config(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a[..8] == b[..8] && a[24..] == b[24..]
}

fn change_viewers(shared: &Shared, change: impl FnOnce(&mut Vec<Arc<ChunkViewer>>)) {
    let mut viewers = lock(&shared.viewers);
    let mut changed = viewers.to_vec();
    change(&mut changed);
    *viewers = changed.into();
}

/// A published chunk on its way to the viewers whose writers are parked.
pub struct ChunkFanOut<'a> {
    shared: &'a Shared,
    clears: u64,
    chunk: RelayedChunk,
    bytes_per_second: usize,
    viewers: Arc<[Arc<ChunkViewer>]>,
}

impl ChunkFanOut<'_> {
    /// Offers the chunk to every viewer in turn; none waits for another's socket.
    pub fn run(self, metrics: &Metrics) {
        let still_current = || self.shared.clears.load(Ordering::SeqCst) == self.clears;
        for viewer in self.viewers.iter() {
            viewer.offer(
                self.shared,
                &self.chunk,
                self.bytes_per_second,
                still_current,
                metrics,
            );
        }
    }
}

impl ChunkViewer {
    /// The chunk right after the last one decided: its gate says whether it is sent, and it
    /// is written at once if the writer is parked. Anything else is the writer's: a viewer
    /// that is behind, or one that needs the decoder configuration first.
    fn offer(
        &self,
        shared: &Shared,
        chunk: &RelayedChunk,
        bytes_per_second: usize,
        still_current: impl FnOnce() -> bool,
        metrics: &Metrics,
    ) {
        let mut state = lock(&self.state);
        let cursor = state.gate.cursor();
        if cursor >= chunk.mark.number {
            return;
        }
        if cursor + 1 != chunk.mark.number || state.config_sent != chunk.config.generation {
            self.turn.wake_writer();
            return;
        }
        let decision = state
            .gate
            .decide(&[chunk.mark], self.data_saver.load(Ordering::Relaxed));
        metrics.video_layers_dropped(decision.layers_dropped);
        if decision.wants_key {
            shared.keyframe_wanted.store(true, Ordering::Relaxed);
        }
        let sent = decision.send.is_some();
        if sent
            && !self
                .turn
                .offer_chunk(&chunk.message, bytes_per_second, still_current)
        {
            return;
        }
        state.gate = decision.after;
        self.cursor.store(state.gate.cursor(), Ordering::SeqCst);
        if sent {
            metrics.chunk_sent(
                chunk.codec,
                chunk.layer(),
                chunk.message.payload().len(),
                chunk.received_at,
            );
        }
    }
}

/// One viewer's view of a channel, for its writer; dropping it leaves the fan-out.
#[derive(Debug)]
pub struct ChunkSlot {
    shared: Arc<Shared>,
    viewer: Arc<ChunkViewer>,
    newest: watch::Receiver<u64>,
}

impl ChunkSlot {
    /// Waits until the gate chooses a chunk to send; `None` once the room is gone.
    pub async fn next(&mut self, metrics: &Metrics) -> Option<ChunkToSend> {
        loop {
            self.newest.borrow_and_update();
            if let Some(next) = self.choose(metrics) {
                return Some(next);
            }
            self.newest.changed().await.ok()?;
        }
    }

    /// Whether chunks came that this viewer's gate has not decided about.
    pub fn has_undecided(&self) -> bool {
        *self.newest.borrow() > self.viewer.cursor.load(Ordering::SeqCst)
    }

    fn choose(&self, metrics: &Metrics) -> Option<ChunkToSend> {
        let mut state = lock(&self.viewer.state);
        let cursor = state.gate.cursor();
        let cache = lock(&self.shared.cache);
        let marks: Vec<ChunkMark> = cache
            .chunks
            .iter()
            .map(|chunk| chunk.mark)
            .filter(|mark| mark.number > cursor)
            .collect();
        let published = cache.published;
        drop(cache);
        if marks.is_empty() {
            if published > cursor {
                // Cleared before this viewer was sent them: they are passed over, so that
                // `has_undecided` turns false and the writer parks instead of asking again.
                state.gate = state.gate.lost_up_to(published);
                self.viewer
                    .cursor
                    .store(state.gate.cursor(), Ordering::SeqCst);
                self.shared.keyframe_wanted.store(true, Ordering::Relaxed);
            }
            return None;
        }
        let decision = state
            .gate
            .decide(&marks, self.viewer.data_saver.load(Ordering::Relaxed));
        state.gate = decision.after;
        self.viewer
            .cursor
            .store(state.gate.cursor(), Ordering::SeqCst);
        metrics.video_layers_dropped(decision.layers_dropped);
        if decision.wants_key {
            self.shared.keyframe_wanted.store(true, Ordering::Relaxed);
        }
        let number = marks[decision.send?].number;
        // Gone if the stream was cleared meanwhile: then nothing is sent.
        let chunk = lock(&self.shared.cache)
            .chunks
            .iter()
            .find(|chunk| chunk.mark.number == number)
            .cloned()?;
        let config = (state.config_sent != chunk.config.generation).then(|| {
            state.config_sent = chunk.config.generation;
            chunk.config.message.clone()
        });
        Some(ChunkToSend {
            config,
            chunk,
            bytes_per_second: self.shared.bytes_per_second.load(Ordering::Relaxed),
        })
    }
}

impl Drop for ChunkSlot {
    fn drop(&mut self) {
        change_viewers(&self.shared, |viewers| {
            viewers.retain(|viewer| !Arc::ptr_eq(viewer, &self.viewer));
        });
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use futures_util::FutureExt;
    use nido_shared::{FrameHeader, FrameKind, Timestamp};
    use nido_testkit::frames::LayeredStream;

    use super::*;

    /// Publishes a camera's message as the room does.
    fn publish(channel: &ChunkChannel, bytes: &Bytes) {
        let (header, _) = FrameHeader::decode(bytes).expect("a valid header");
        let message = SharedBinary::new(bytes);
        match header.kind {
            FrameKind::DecoderConfig { .. } => channel.publish_config(message),
            FrameKind::Chunk(info) => {
                if let Some(fan_out) =
                    channel.publish(message, info, header.sequence, Instant::now())
                {
                    fan_out.run(&Metrics::default());
                }
            }
            FrameKind::Jpeg => unreachable!("a layered stream"),
        }
    }

    #[test]
    fn a_viewer_who_joins_a_cleared_stream_waits_for_the_next_keyframe_with_nothing_undecided() {
        let now = Timestamp::UNIX_EPOCH;
        let channel = ChunkChannel::new();
        let mut stream = LayeredStream::new(3, 8);
        publish(&channel, &stream.config(now));
        for _ in 0..4 {
            publish(&channel, &stream.next_chunk(100, now, false).message);
        }
        channel.clear();
        assert!(!channel.take_keyframe_wanted());

        // A connection without a plain socket: its writer sends every chunk itself.
        let mut slot = channel.watch(SocketTurn::new(None), Arc::default());
        assert!(
            slot.next(&Metrics::default()).now_or_never().is_none(),
            "the cleared chunks are not sent"
        );
        assert!(
            !slot.has_undecided(),
            "so the writer parks: were anything left undecided, it would ask again at once, \
             for ever"
        );
        assert!(channel.take_keyframe_wanted(), "the viewer waits for one");

        let key = stream.next_chunk(100, now, true).message;
        publish(&channel, &key);
        let next = slot
            .next(&Metrics::default())
            .now_or_never()
            .flatten()
            .expect("the keyframe");
        assert!(next.config.is_some(), "after the configuration");
        assert_eq!(next.chunk.message.payload(), &key[..]);
        assert!(!slot.has_undecided());
    }
}
