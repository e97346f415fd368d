//! The relay's CPU for VP8 against JPEG, in `--layered`: the same viewers watch, in turn, a
//! VP8 L1T3 stream (each chunk through the per-viewer layer gate), JPEG frames of exactly the
//! VP8 stream's sizes (the same bytes and messages without the layer rule: what the rule
//! costs), and JPEG as the camera page sent it before VP8 (about 600 kbit/s at 640×480,
//! 10 fps, quality 0.7). Each stream gets a fresh relay; its CPU time is read from `/proc`
//! over a window after a warm-up, against the bytes its viewers read in that window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::bail;
use bytes::Bytes;
use nido_shared::Timestamp;
use nido_testkit::frames::{LayeredStream, frame, jpeg};
use tokio::time::{Instant, MissedTickBehavior};

use crate::layered::{FPS, KEYFRAME_EVERY, chunk_len};
use crate::peer::{PeerKind, Programs};
use crate::wire::{Connection, Incoming, Joiner};
use nido_testkit::proc_stats;

/// Viewers of each stream.
pub const VIEWERS: usize = 1_000;
const WARM_UP: Duration = Duration::from_secs(2);
/// A JPEG frame at 600 kbit/s and 10 fps.
const JPEG_FRAME_BYTES: usize = 600_000 / 8 / FPS as usize;

/// The streams compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stream {
    Vp8L1t3,
    JpegOfVp8Sizes,
    Jpeg600Kbit,
}

impl Stream {
    pub const ALL: [Self; 3] = [Self::Vp8L1t3, Self::JpegOfVp8Sizes, Self::Jpeg600Kbit];

    pub fn describe(self) -> &'static str {
        match self {
            Self::Vp8L1t3 => "VP8 L1T3 chunks",
            Self::JpegOfVp8Sizes => "JPEG frames of the VP8 chunks' sizes",
            Self::Jpeg600Kbit => "JPEG at 600 kbit/s (7.5 KB frames)",
        }
    }

    fn joiners(self) -> (Joiner, Joiner) {
        match self {
            Self::Vp8L1t3 => (Joiner::Vp8Camera, Joiner::Vp8Viewer),
            Self::JpegOfVp8Sizes | Self::Jpeg600Kbit => (Joiner::Camera, Joiner::Viewer),
        }
    }
}

/// One stream's cost at the relay.
#[derive(Debug, serde::Serialize)]
pub struct RelayCost {
    pub stream: Stream,
    pub viewers: usize,
    pub seconds: u64,
    /// What each viewer read, kbit/s.
    pub kbit_per_viewer: f64,
    pub cpu_seconds: f64,
    pub cpu_seconds_per_gb: f64,
    /// The relay's CPU per viewer: milliseconds of CPU per viewer per minute of watching.
    pub cpu_ms_per_viewer_minute: f64,
}

/// The camera's messages for `stream`, one per tick, made as it goes.
struct Messages {
    stream: Stream,
    layered: LayeredStream,
    jpeg: Bytes,
    sequence: u64,
}

impl Messages {
    fn new(stream: Stream) -> Self {
        Self {
            stream,
            layered: LayeredStream::new(3, KEYFRAME_EVERY),
            jpeg: jpeg(1, JPEG_FRAME_BYTES).into(),
            sequence: 0,
        }
    }

    /// What the camera sends before its first picture.
    fn opening(&self) -> Option<Bytes> {
        (self.stream == Stream::Vp8L1t3).then(|| self.layered.config(Timestamp::from_micros(0)))
    }

    fn next(&mut self) -> Bytes {
        let vp8_len = chunk_len(&self.layered, self.sequence % KEYFRAME_EVERY);
        self.sequence += 1;
        let now = Timestamp::from_micros(0);
        match self.stream {
            Stream::Vp8L1t3 => self.layered.next_chunk(vp8_len, now, false).message,
            Stream::JpegOfVp8Sizes => frame(self.sequence, now, &jpeg(self.sequence, vp8_len)),
            Stream::Jpeg600Kbit => frame(self.sequence, now, &self.jpeg),
        }
    }
}

/// Streams `stream` to [`VIEWERS`] viewers on a fresh relay and measures its CPU over
/// `seconds` after the warm-up.
pub async fn measure(
    programs: &Programs,
    stream: Stream,
    seconds: u64,
) -> anyhow::Result<RelayCost> {
    let nido = programs.start(PeerKind::Nido).await?;
    let (camera_joiner, viewer_joiner) = stream.joiners();
    let mut camera = Connection::open(&nido.target, camera_joiner, None).await?;
    let read = Arc::new(AtomicU64::new(0));
    let streaming_for = WARM_UP + Duration::from_secs(seconds + 1);
    let mut viewers = Vec::with_capacity(VIEWERS);
    for _ in 0..VIEWERS {
        let mut viewer = Connection::open(&nido.target, viewer_joiner, None).await?;
        let read = Arc::clone(&read);
        viewers.push(tokio::spawn(async move {
            let until = Instant::now() + streaming_for + Duration::from_secs(1);
            loop {
                match tokio::time::timeout_at(until, viewer.next()).await {
                    Err(_) => break,
                    Ok(Incoming::Frame(frame)) => {
                        read.fetch_add(frame.len() as u64, Ordering::Relaxed);
                    }
                    Ok(Incoming::Closed(why)) => bail!("a viewer was closed: {why}"),
                    Ok(_) => {}
                }
            }
            viewer.close().await;
            anyhow::Ok(())
        }));
    }
    let streaming = tokio::spawn(async move {
        let mut messages = Messages::new(stream);
        if let Some(opening) = messages.opening() {
            camera.send_frame(opening).await?;
        }
        let mut tick = tokio::time::interval(Duration::from_millis(1_000 / FPS));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let until = Instant::now() + streaming_for;
        while tick.tick().await < until {
            camera.send_frame(messages.next()).await?;
        }
        anyhow::Ok(camera)
    });

    tokio::time::sleep(WARM_UP).await;
    let (cpu_before, read_before) = (
        proc_stats::sample(Some(nido.pid))?,
        read.load(Ordering::Relaxed),
    );
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let (cpu_after, read_after) = (
        proc_stats::sample(Some(nido.pid))?,
        read.load(Ordering::Relaxed),
    );

    streaming.await??.close().await;
    for viewer in viewers {
        viewer.await??;
    }
    nido.stop().await;
    let cpu_seconds = cpu_after.cpu_seconds - cpu_before.cpu_seconds;
    let bytes = (read_after - read_before) as f64;
    Ok(RelayCost {
        stream,
        viewers: VIEWERS,
        seconds,
        kbit_per_viewer: bytes * 8.0 / 1000.0 / VIEWERS as f64 / seconds as f64,
        cpu_seconds,
        cpu_seconds_per_gb: cpu_seconds / (bytes / 1e9),
        cpu_ms_per_viewer_minute: cpu_seconds * 1000.0 / VIEWERS as f64 / (seconds as f64 / 60.0),
    })
}
