//! `--layered`: a VP8 stream with temporal layers through Nido's relay, as the camera page
//! sends one (10 fps, L1T3, a keyframe every 3 s, chunk sizes as Chromium's encoder made
//! them at 250 kbit/s in `--codec`), measuring what the targets name at the relay.
//! First half: viewers join mid-stream one after another, each timed from its join to a
//! keyframe it can decode (its first picture), and the keyframes asked of the camera are
//! counted. Second half: a viewer whose link carries 150 kbit/s watches (every chunk must be
//! decodable; how many pictures a second, of which layers). A full-rate viewer watches
//! throughout. Then the relay's CPU for VP8 against JPEG (`relay_cost`).

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use nido_shared::{FrameHeader, FrameKind, Timestamp};
use nido_testkit::frames::{DecoderCheck, LayeredStream};
use tokio::time::{Instant, MissedTickBehavior};

use crate::peer::{PeerKind, Programs};
use crate::relay_cost::{self, RelayCost, Stream};
use crate::report::percentile;
use crate::wire::{Connection, Incoming, Joiner};

pub const FPS: u64 = 10;
/// The camera page's keyframe interval: 3 s.
pub const KEYFRAME_EVERY: u64 = 3 * FPS;
/// Chromium's VP8 at 250 kbit/s in `--codec`: keyframes of about 20 KB, deltas by layer.
const KEYFRAME_BYTES: usize = 20_000;
const DELTA_BYTES: [usize; 3] = [3_600, 2_400, 1_700];
/// How long the relay's CPU is measured for each stream.
const RELAY_COST_SECONDS: u64 = 20;
const JOINERS: usize = 100;
/// 150 kbit/s.
const SLOW_LINK_BYTES_PER_SECOND: u64 = 150_000 / 8;

#[derive(Debug, serde::Serialize)]
pub struct LayeredReport {
    pub joiners: usize,
    /// From sending the join to holding a keyframe, milliseconds.
    pub join_to_keyframe_p50_ms: f64,
    pub join_to_keyframe_p99_ms: f64,
    /// Keyframes asked of the camera while the joiners came.
    pub keyframes_requested: u64,
    /// Keyframes asked of the camera while the slow viewer watched.
    pub keyframes_requested_for_the_slow_viewer: u64,
    pub stream_kbit_per_second: f64,
    pub slow_viewer_kbit_per_second: f64,
    pub slow_viewer_pictures_per_second: f64,
    pub slow_viewer_chunks_by_layer: [u64; 3],
    pub full_viewer_pictures_per_second: f64,
    pub seconds: u64,
    /// The relay's CPU for VP8 and for JPEG, the same viewers watching each.
    pub relay_costs: Vec<RelayCost>,
}

/// Streams for `seconds` while joiners come and go and a slow viewer and a full-rate one
/// watch throughout.
pub async fn run(programs: &Programs, seconds: u64) -> anyhow::Result<LayeredReport> {
    let nido = programs.start(PeerKind::Nido).await?;
    let target = nido.target.clone();
    let mut camera = Connection::open(&target, Joiner::Vp8Camera, None).await?;
    let full = Connection::open(&target, Joiner::Vp8Viewer, None).await?;
    let half = seconds / 2;

    let streaming = tokio::spawn(async move {
        let mut stream = LayeredStream::new(3, KEYFRAME_EVERY);
        let now = Timestamp::from_micros(0);
        camera.send_frame(stream.config(now)).await?;
        let mut tick = tokio::time::interval(Duration::from_millis(1_000 / FPS));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut bytes = 0;
        for n in 0..seconds * FPS {
            tick.tick().await;
            let len = chunk_len(&stream, n % KEYFRAME_EVERY);
            let chunk = stream.next_chunk(len, now, false);
            bytes += chunk.message.len();
            camera.send_frame(chunk.message).await?;
        }
        anyhow::Ok((camera, bytes))
    });
    let watch = |mut connection: Connection, seconds: u64| {
        tokio::spawn(async move {
            let stream = LayeredStream::new(3, KEYFRAME_EVERY);
            let mut check = DecoderCheck::default();
            let (mut layers, mut bytes) = ([0u64; 3], 0usize);
            let until = Instant::now() + Duration::from_secs(seconds);
            loop {
                match tokio::time::timeout_at(until, connection.next()).await {
                    Err(_) => break,
                    Ok(Incoming::Frame(frame)) => {
                        bytes += frame.len();
                        match check.take(&stream, &frame) {
                            Ok(Some(chunk)) => layers[usize::from(chunk.layer)] += 1,
                            Ok(None) => {}
                            Err(why) => bail!("a viewer was sent a chunk it cannot decode: {why}"),
                        }
                    }
                    Ok(Incoming::Closed(why)) => bail!("a watching viewer was closed: {why}"),
                    Ok(_) => {}
                }
            }
            anyhow::Ok((layers, bytes))
        })
    };
    let full_watching = watch(full, seconds);

    // Joiners, spread over the first half: each joins, waits for its first keyframe, leaves.
    let mut waits = Vec::with_capacity(JOINERS);
    let gap = Duration::from_millis(half * 1_000 / (JOINERS as u64 + 1));
    for _ in 0..JOINERS {
        tokio::time::sleep(gap).await;
        let started = Instant::now();
        let mut joiner = Connection::open(&target, Joiner::Vp8Viewer, None).await?;
        loop {
            match joiner.next().await {
                Incoming::Frame(frame) => {
                    if let Ok((header, _)) = FrameHeader::decode(&frame)
                        && matches!(header.kind, FrameKind::Chunk(chunk) if chunk.key)
                    {
                        break;
                    }
                }
                Incoming::Closed(why) => bail!("a joiner was closed: {why}"),
                _ => {}
            }
        }
        waits.push(started.elapsed().as_secs_f64() * 1000.0);
        joiner.close().await;
    }
    let keyframes_requested = keyframes_asked(&target).await?;
    let slow_seconds = seconds - half - 1;
    let slow =
        Connection::open(&target, Joiner::Vp8Viewer, Some(SLOW_LINK_BYTES_PER_SECOND)).await?;
    let (slow_layers, slow_bytes) = watch(slow, slow_seconds).await??;
    let keyframes_for_the_slow_viewer = keyframes_asked(&target).await? - keyframes_requested;
    let (camera, stream_bytes) = streaming.await??;
    let (full_layers, _) = full_watching.await??;
    camera.close().await;
    nido.stop().await;
    let mut relay_costs = Vec::new();
    for stream in Stream::ALL {
        relay_costs.push(relay_cost::measure(programs, stream, RELAY_COST_SECONDS).await?);
    }
    waits.sort_by(f64::total_cmp);
    let percentile = |p: f64| percentile(&waits, p);
    let rate = |count: f64, seconds: u64| count / seconds as f64;
    Ok(LayeredReport {
        joiners: JOINERS,
        join_to_keyframe_p50_ms: percentile(0.50),
        join_to_keyframe_p99_ms: percentile(0.99),
        keyframes_requested,
        keyframes_requested_for_the_slow_viewer: keyframes_for_the_slow_viewer,
        stream_kbit_per_second: rate(stream_bytes as f64 * 8.0 / 1000.0, seconds),
        slow_viewer_kbit_per_second: rate(slow_bytes as f64 * 8.0 / 1000.0, slow_seconds),
        slow_viewer_pictures_per_second: rate(slow_layers.iter().sum::<u64>() as f64, slow_seconds),
        slow_viewer_chunks_by_layer: slow_layers,
        full_viewer_pictures_per_second: rate(full_layers.iter().sum::<u64>() as f64, seconds),
        seconds,
        relay_costs,
    })
}

/// The payload size of the chunk `distance` chunks after its keyframe.
pub fn chunk_len(stream: &LayeredStream, distance: u64) -> usize {
    if distance == 0 {
        KEYFRAME_BYTES
    } else {
        DELTA_BYTES[usize::from(stream.layer_at(distance))]
    }
}

/// How many keyframes the relay has asked of cameras, from its metrics.
async fn keyframes_asked(target: &crate::peer::Target) -> anyhow::Result<u64> {
    let metrics = nido_testkit::Api::new(target.addr)
        .request(reqwest::Method::GET, "/metrics", None)
        .send()
        .await?
        .text()
        .await?;
    Ok(metrics
        .lines()
        .find_map(|line| line.strip_prefix("nido_video_keyframes_requested_total "))
        .context("the keyframe requests metric")?
        .trim()
        .parse()?)
}

impl LayeredReport {
    pub fn markdown(&self, machine: &crate::report::Machine) -> String {
        let mut md = format!(
            "### A layered stream through the relay\n\n{} · {} · `{}`\n\n\
             A VP8 L1T3 stream of {:.0} kbit/s, {} s.\n\n\
             | target | measured | met |\n| --- | --- | --- |\n\
             | late joiner: join to first picture p99 at most 500 ms, no keyframe forced | join to a decodable keyframe p50 {:.1} ms, p99 {:.1} ms over {} joins; keyframes asked of the camera: {} | {} |\n\
             | a viewer limited to 150 kbit/s keeps a moving picture (base layer, at least 2 fps), no undecodable chunk | {:.1} kbit/s, {:.1} pictures a second (layers 0/1/2: {}/{}/{}), every chunk decodable; keyframes it made the camera send: {} | {} |\n\
             | the others keep the full rate | {:.1} pictures a second | {} |\n",
            machine.date,
            machine.cpu,
            machine.command,
            self.stream_kbit_per_second,
            self.seconds,
            self.join_to_keyframe_p50_ms,
            self.join_to_keyframe_p99_ms,
            self.joiners,
            self.keyframes_requested,
            yes_no(self.join_to_keyframe_p99_ms <= 500.0 && self.keyframes_requested == 0),
            self.slow_viewer_kbit_per_second,
            self.slow_viewer_pictures_per_second,
            self.slow_viewer_chunks_by_layer[0],
            self.slow_viewer_chunks_by_layer[1],
            self.slow_viewer_chunks_by_layer[2],
            self.keyframes_requested_for_the_slow_viewer,
            yes_no(self.slow_viewer_pictures_per_second >= 2.0),
            self.full_viewer_pictures_per_second,
            yes_no(self.full_viewer_pictures_per_second >= FPS as f64 * 0.95),
        );
        md.push_str(
            "\nThe relay's CPU, the same viewers watching each stream on a fresh relay:\n\n\
             | stream | viewers | kbit/s per viewer | CPU s | CPU s per delivered GB | CPU ms per viewer-minute |\n\
             | --- | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for cost in &self.relay_costs {
            let _ = writeln!(
                md,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {:.2} |",
                cost.stream.describe(),
                cost.viewers,
                cost.kbit_per_viewer,
                cost.cpu_seconds,
                cost.cpu_seconds_per_gb,
                cost.cpu_ms_per_viewer_minute
            );
        }
        md
    }
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}
