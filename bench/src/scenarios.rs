//! The scenarios of the comparison (S1 to S6 and the legacy workload), their targets, and
//! the quick correctness check CI runs.

use crate::clock::Clock;
use crate::images::TestImage;
use crate::peer::{PeerKind, Programs};
use crate::step::{self, Load, StepResult};

/// S1 stops doubling past this many viewers.
pub const MAX_VIEWERS: usize = 5120;
const S1_START: usize = 10;
const S1_MAX_P99_MS: f64 = 100.0;
const S1_MIN_DELIVERY: f64 = 0.95;
const S2_VIEWERS: usize = 100;
const S5_JOINS_PER_SECOND: u32 = 20;
/// Viewers watching steadily while others come and go in S5.
const S5_STEADY_VIEWERS: usize = 10;
const S6_VIEWERS: usize = 5000;
/// The 2018 design: a base64 data URL of the picture, as text, every 500 ms.
const LEGACY_MESSAGES_PER_SECOND: f64 = 2.0;
const PEERS: [PeerKind; 3] = [PeerKind::Nido, PeerKind::NodeWs, PeerKind::RawTcp];
/// The quick mode's bar: correctness, not speed.
const QUICK_MIN_DELIVERY: f64 = 0.99;

/// Every measurement of a full run.
#[derive(Debug, serde::Serialize)]
pub struct Comparison {
    /// All S1 steps, in the order they ran.
    pub s1_steps: Vec<StepResult>,
    /// The largest passing N of S1 for each peer, and whether the load generator (rather
    /// than the relay) ended its ramp.
    pub s1_best: Vec<Best>,
    pub s2: Vec<StepResult>,
    pub s3: StepResult,
    pub s4: StepResult,
    pub s5: StepResult,
    pub s6: StepResult,
    pub legacy: Legacy,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Best {
    pub peer: PeerKind,
    pub viewers: usize,
    /// Why the ramp ended.
    pub ended_by: String,
    /// The viewers one core could carry at S1's rate, from the relay's CPU seconds per GB
    /// at its largest passing step: an estimate where the ramp could not find the limit.
    pub projected_viewers: f64,
}

/// The 2018 design's cost per viewer next to Nido's.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Legacy {
    pub legacy_bytes_per_viewer_per_second: f64,
    pub nido_bytes_per_viewer_per_second: f64,
    pub nido_fps: u32,
    /// Server CPU seconds per viewer per second of video, from S2's Nido step scaled to 30 fps.
    pub nido_cpu_ms_per_viewer_second: f64,
}

/// Whether an S1 step passes.
pub fn s1_passes(step: &StepResult) -> bool {
    step.steady.latency_ms.p99 <= S1_MAX_P99_MS
        && step.steady.fraction >= S1_MIN_DELIVERY
        && step.bad_frames == 0
}

pub async fn full(
    programs: &Programs,
    clock: Clock,
    seconds: u64,
    max_viewers: usize,
) -> anyhow::Result<Comparison> {
    let image = TestImage::Medium;
    let (s1_steps, s1_best) = s1(programs, clock, seconds, max_viewers).await?;
    let nido_best = s1_best
        .iter()
        .find(|b| b.peer == PeerKind::Nido)
        .map_or(S1_START, |b| b.viewers.max(S1_START));

    let mut s2 = Vec::new();
    for peer in PEERS {
        eprintln!("S2: {} with {S2_VIEWERS} viewers at 10 fps", peer.label());
        s2.push(
            step::run(
                programs,
                peer,
                &Load::video(S2_VIEWERS, 10, image, seconds),
                clock,
            )
            .await?,
        );
    }
    // Nido with the other picture sizes, for the record.
    for other in TestImage::ALL.into_iter().filter(|&i| i != image) {
        eprintln!("S2: Nido with {} B frames", other.jpeg().len());
        s2.push(
            step::run(
                programs,
                PeerKind::Nido,
                &Load::video(S2_VIEWERS, 10, other, seconds),
                clock,
            )
            .await?,
        );
    }

    eprintln!("S3: Nido with 10 % slow viewers");
    let s3 = step::run(
        programs,
        PeerKind::Nido,
        &s3_load(S2_VIEWERS, seconds),
        clock,
    )
    .await?;

    eprintln!("S4: Nido with chat at {nido_best} viewers");
    let s4_load = Load {
        chatters: crate::nido_setup::CHAT_ACCOUNTS,
        ..Load::video(nido_best, 30, image, seconds)
    };
    let s4 = step::run(programs, PeerKind::Nido, &s4_load, clock).await?;

    eprintln!("S5: Nido with {S5_JOINS_PER_SECOND} joins a second");
    let s5_load = Load {
        churn_per_second: S5_JOINS_PER_SECOND,
        ..Load::video(S5_STEADY_VIEWERS, 30, image, seconds)
    };
    let s5 = step::run(programs, PeerKind::Nido, &s5_load, clock).await?;

    eprintln!("S6: Nido with {S6_VIEWERS} idle viewers");
    let s6_load = Load {
        camera: false,
        ..Load::video(S6_VIEWERS, 30, image, 3)
    };
    let s6 = step::run(programs, PeerKind::Nido, &s6_load, clock).await?;

    let legacy = legacy(&s2[0], image);
    Ok(Comparison {
        s1_steps,
        s1_best,
        s2,
        s3,
        s4,
        s5,
        s6,
        legacy,
    })
}

/// S1: doubles the viewers of each peer, peers taking turns in alternating order, until a
/// step fails or the load generator saturates.
async fn s1(
    programs: &Programs,
    clock: Clock,
    seconds: u64,
    max_viewers: usize,
) -> anyhow::Result<(Vec<StepResult>, Vec<Best>)> {
    let mut steps = Vec::new();
    let mut best: Vec<Best> = PEERS
        .iter()
        .map(|&peer| Best {
            peer,
            viewers: 0,
            ended_by: format!("reached {max_viewers} viewers"),
            projected_viewers: 0.0,
        })
        .collect();
    let mut running: Vec<PeerKind> = PEERS.to_vec();
    let mut viewers = S1_START;
    while viewers <= max_viewers && !running.is_empty() {
        for peer in running.clone() {
            eprintln!("S1: {} with {viewers} viewers", peer.label());
            let load = Load::video(viewers, 30, TestImage::Medium, seconds);
            let step = step::run(programs, peer, &load, clock).await?;
            let record = best
                .iter_mut()
                .find(|b| b.peer == peer)
                .expect("every peer");
            if step.generator.saturated {
                record.ended_by = format!("the load generator saturated at {viewers} viewers");
                running.retain(|&p| p != peer);
            } else if s1_passes(&step) {
                record.viewers = viewers;
                let bytes_per_viewer = step.steady.bytes_per_second / viewers as f64;
                let core_seconds_per_viewer = step.cpu_seconds_per_gb * bytes_per_viewer / 1e9;
                if core_seconds_per_viewer > 0.0 {
                    record.projected_viewers = 1.0 / core_seconds_per_viewer;
                }
            } else {
                record.ended_by = format!(
                    "{viewers} viewers: p99 {:.1} ms, {:.1} % delivered",
                    step.steady.latency_ms.p99,
                    step.steady.fraction * 100.0
                );
                running.retain(|&p| p != peer);
            }
            steps.push(step);
        }
        running.reverse();
        viewers *= 2;
    }
    Ok((steps, best))
}

fn legacy(s2_nido: &StepResult, image: TestImage) -> Legacy {
    let jpeg = image.jpeg().len() as f64;
    let data_url = "data:image/jpeg;base64,".len() as f64 + (jpeg / 3.0).ceil() * 4.0;
    // A WebSocket text frame this size has a 4-byte header from server to client.
    let legacy = LEGACY_MESSAGES_PER_SECOND * (data_url + 4.0);
    let nido_fps = 30;
    let nido = f64::from(nido_fps) * (s2_nido.frame_bytes as f64 + 24.0 + 4.0);
    let scale = f64::from(nido_fps) / f64::from(s2_nido.fps);
    let viewer_seconds = s2_nido.steady.viewers as f64 * s2_nido.seconds;
    Legacy {
        legacy_bytes_per_viewer_per_second: legacy,
        nido_bytes_per_viewer_per_second: nido,
        nido_fps,
        nido_cpu_ms_per_viewer_second: s2_nido.server.cpu_seconds * 1000.0 * scale / viewer_seconds,
    }
}

/// CI's check: each peer carries 10 viewers for a few seconds with every frame whole and
/// almost all delivered, and Nido relays chat, joins and slow viewers without a loss.
pub async fn quick(
    programs: &Programs,
    clock: Clock,
    seconds: u64,
) -> anyhow::Result<Vec<(StepResult, Vec<String>)>> {
    let image = TestImage::Medium;
    let mut checked = Vec::new();
    for peer in PEERS {
        let step = step::run(programs, peer, &Load::video(10, 30, image, seconds), clock).await?;
        let failures = quick_failures(&step);
        checked.push((step, failures));
    }
    let nido_load = Load {
        chatters: 3,
        churn_per_second: 5,
        throttled: 1,
        stalled: 1,
        paused_links: 1,
        // Long enough for the stalled viewers to come back.
        seconds: seconds.max(15),
        ..Load::video(12, 30, image, seconds)
    };
    let step = step::run(programs, PeerKind::Nido, &nido_load, clock).await?;
    let failures = quick_failures(&step);
    checked.push((step, failures));
    Ok(checked)
}

/// S3: S2's video, a twentieth of the viewers reading slowly, as many stopping for 10 s and
/// as many behind a link that pauses for 10 s.
pub fn s3_load(viewers: usize, seconds: u64) -> Load {
    Load {
        throttled: viewers / 20,
        stalled: viewers / 20,
        paused_links: viewers / 20,
        // Long enough to see a stalled viewer stop and start reading again.
        seconds: seconds.max(15),
        ..Load::video(viewers, 10, TestImage::Medium, seconds)
    }
}

fn quick_failures(step: &StepResult) -> Vec<String> {
    let mut failures = Vec::new();
    if step.steady.fraction < QUICK_MIN_DELIVERY {
        failures.push(format!(
            "{:.2} % of frames delivered",
            step.steady.fraction * 100.0
        ));
    }
    if step.bad_frames > 0 {
        failures.push(format!(
            "{} frames were not whole or out of order",
            step.bad_frames
        ));
    }
    if let Some(chat) = step.chat
        && (chat.lost > 0 || chat.sent == 0)
    {
        failures.push(format!(
            "chat: {} sent, {} deliveries lost",
            chat.sent, chat.lost
        ));
    }
    if let Some(joins) = step.joins
        && (joins.failures > 0 || joins.joins == 0)
    {
        failures.push(format!(
            "joins: {} of {} failed",
            joins.failures, joins.joins
        ));
    }
    for stalls in [step.stopped_readers, step.paused_links]
        .into_iter()
        .flatten()
    {
        if stalls.recovered < stalls.viewers {
            failures.push(format!(
                "{} of {} stalled viewers never had a current picture again",
                stalls.viewers - stalls.recovered,
                stalls.viewers
            ));
        }
    }
    failures.extend(step.problems.iter().cloned());
    failures
}
