//! The multi-node mode (`--nodes N`): one deployment of N `nido-server` processes on one
//! PostgreSQL, joined over one NATS, with the camera on the first node. The same viewers
//! watch twice: first all on the camera's node (one node at this load), then spread evenly
//! over every node. Reported: the video messages and bytes NATS carries per published frame
//! (from its monitoring endpoint), the latency that crossing nodes adds, and each node's CPU
//! per delivered GB.

use std::sync::{Arc, OnceLock};

use anyhow::Context;
use futures_util::future::try_join_all;
use nido_testkit::NidoBinary;
use nido_testkit::deployment::{self, Deployment};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::images::TestImage;
use crate::nido_setup::NidoAccess;
use crate::peer::{NIDO_OPTIONS, PeerKind, Programs, Target, is_nido_problem};
use crate::step::{DRAIN, Delivery, delivery, start_camera, watch_server, window_after_warm_up};
use crate::viewer::{self, Expected, Reading, ViewerReport};
use crate::wire::{Connection, Joiner};

/// What the deployment carries.
#[derive(Debug, Clone, Copy)]
pub struct MultiNodeLoad {
    pub nodes: usize,
    pub viewers: usize,
    pub fps: u32,
    pub image: TestImage,
    pub seconds: u64,
}

/// Both placements of the viewers, and what crossing nodes cost.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MultiNodeResult {
    pub nodes: usize,
    pub viewers: usize,
    pub fps: u32,
    pub frame_bytes: usize,
    /// Every viewer on the camera's node.
    pub one_node: Placement,
    /// The viewers spread evenly over the nodes.
    pub spread: Placement,
    /// The spread viewers' p99 on the other nodes minus the one-node p99, in ms: the worst
    /// of the other nodes (the same viewers and frames, on one node or on all).
    pub added_p99_ms: f64,
    /// The spread viewers' p99 on the other nodes minus the p99 of those on the camera's
    /// node in the same run, in ms: the worst of the other nodes (each node as loaded as
    /// the others; only the hop through NATS differs).
    pub added_p99_vs_camera_node_ms: f64,
}

/// One placement of the viewers: how they got the frames, node by node, and NATS's part.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Placement {
    pub published: u64,
    pub all: Delivery,
    pub per_node: Vec<NodeFigures>,
    pub nats: NatsFigures,
    pub bad_frames: u64,
    /// Disconnections and the nodes' warnings; empty when all went well.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeFigures {
    pub node: usize,
    pub delivery: Delivery,
    pub cpu_seconds: f64,
    /// This node's CPU seconds per GB its viewers received.
    pub cpu_seconds_per_gb: f64,
}

/// What the nodes' video connections sent through NATS in the window, per published frame.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct NatsFigures {
    /// Messages the camera's node published.
    pub messages_in_per_frame: f64,
    /// Messages NATS delivered to other nodes.
    pub messages_out_per_frame: f64,
    pub bytes_in_per_frame: f64,
    pub bytes_out_per_frame: f64,
}

/// Starts the deployment and measures both placements.
pub async fn run(
    programs: &Programs,
    load: &MultiNodeLoad,
    clock: Clock,
) -> anyhow::Result<MultiNodeResult> {
    let binary = NidoBinary::new(&programs.nido_server).pinned_to(programs.server_core);
    let deployment = Deployment::start(binary, load.nodes, &NIDO_OPTIONS).await;
    let access = Arc::new(NidoAccess {
        room: deployment::room(),
        camera_cookie: deployment.admin.clone(),
        viewer_cookie: deployment.family("bench-family").await,
        chat_cookies: Vec::new(),
    });
    let targets = (0..load.nodes)
        .map(|node| {
            Ok(Target {
                kind: PeerKind::Nido,
                addr: deployment.addr(node).parse()?,
                nido: Some(Arc::clone(&access)),
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let one_node = measure(&deployment, &targets, load, clock, |_| 0).await?;
    let spread = measure(&deployment, &targets, load, clock, |viewer| {
        viewer % load.nodes
    })
    .await?;
    let worst_remote_p99 = spread
        .per_node
        .iter()
        .skip(1)
        .map(|node| node.delivery.latency_ms.p99)
        .fold(f64::NEG_INFINITY, f64::max);
    let added_p99_ms = worst_remote_p99 - one_node.all.latency_ms.p99;
    let added_p99_vs_camera_node_ms = worst_remote_p99 - spread.per_node[0].delivery.latency_ms.p99;
    Ok(MultiNodeResult {
        nodes: load.nodes,
        viewers: load.viewers,
        fps: load.fps,
        frame_bytes: load.image.jpeg().len(),
        one_node,
        spread,
        added_p99_ms,
        added_p99_vs_camera_node_ms,
    })
}

/// Places each viewer on `node_of(viewer)`, streams through the window, and reports.
async fn measure(
    deployment: &Deployment,
    targets: &[Target],
    load: &MultiNodeLoad,
    clock: Clock,
    node_of: impl Fn(usize) -> usize,
) -> anyhow::Result<Placement> {
    let logged_before: Vec<usize> = (0..targets.len())
        .map(|node| deployment.problems(node).len())
        .collect();
    let stop = CancellationToken::new();
    let expected = Expected {
        jpeg: load.image.jpeg(),
        window: Arc::new(OnceLock::new()),
        clock,
    };
    let mut viewers: Vec<(usize, JoinHandle<ViewerReport>)> = Vec::with_capacity(load.viewers);
    for viewer in 0..load.viewers {
        let node = node_of(viewer);
        let connection = Connection::open(&targets[node], Joiner::Viewer, None)
            .await
            .with_context(|| format!("a viewer could not join node {node}"))?;
        let task = viewer::watch(
            connection,
            expected.clone(),
            Reading::Steady,
            None,
            stop.clone(),
        );
        viewers.push((node, tokio::spawn(task)));
    }
    let first_us = clock.now_us();
    let window = window_after_warm_up(first_us, load.seconds);
    expected.window.set(window).expect("set once");
    let camera = start_camera(&targets[0], &expected, load.fps, first_us, window).await?;

    tokio::time::sleep_until(clock.instant_at(window.start_us)).await;
    let before = video_counts(deployment).await?;
    let pids = (0..targets.len())
        .map(|node| deployment.pid(node).context("a node stopped"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let usage = try_join_all(pids.iter().map(|pid| watch_server(*pid, clock, window))).await?;
    let after = video_counts(deployment).await?;
    let camera = camera.await?;
    tokio::time::sleep(DRAIN).await;
    stop.cancel();
    let mut reports = Vec::with_capacity(viewers.len());
    for (node, task) in viewers {
        reports.push((node, task.await?));
    }

    let published = camera.published_in_window;
    let seconds = window.seconds();
    let (all, _) = delivery(reports.iter().map(|(_, r)| r), published, seconds);
    let per_node = usage
        .iter()
        .enumerate()
        .map(|(node, usage)| {
            let on_node = reports.iter().filter(|(n, _)| *n == node).map(|(_, r)| r);
            let (delivery, bytes) = delivery(on_node, published, seconds);
            NodeFigures {
                node,
                delivery,
                cpu_seconds: usage.cpu_seconds,
                cpu_seconds_per_gb: if bytes > 0 {
                    usage.cpu_seconds / (bytes as f64 / 1e9)
                } else {
                    0.0
                },
            }
        })
        .collect();
    let per_frame = |count: u64| count as f64 / published.max(1) as f64;
    let sent = after.minus(before);
    let logged = logged_before
        .iter()
        .enumerate()
        .flat_map(|(node, before)| deployment.problems(node).into_iter().skip(*before));
    let problems = reports
        .iter()
        .filter_map(|(_, r)| r.problem.clone())
        .chain(camera.problem.clone())
        .chain(logged.filter(|line| is_nido_problem(line)))
        .collect();
    Ok(Placement {
        published,
        all,
        per_node,
        nats: NatsFigures {
            messages_in_per_frame: per_frame(sent.messages_in),
            messages_out_per_frame: per_frame(sent.messages_out),
            bytes_in_per_frame: per_frame(sent.bytes_in),
            bytes_out_per_frame: per_frame(sent.bytes_out),
        },
        bad_frames: reports.iter().map(|(_, r)| r.bad_frames).sum(),
        problems,
    })
}

/// The nodes' video connections' counters, as NATS reports them.
#[derive(Debug, Clone, Copy, Default)]
struct VideoCounts {
    messages_in: u64,
    messages_out: u64,
    bytes_in: u64,
    bytes_out: u64,
}

impl VideoCounts {
    fn minus(self, earlier: Self) -> Self {
        Self {
            messages_in: self.messages_in.saturating_sub(earlier.messages_in),
            messages_out: self.messages_out.saturating_sub(earlier.messages_out),
            bytes_in: self.bytes_in.saturating_sub(earlier.bytes_in),
            bytes_out: self.bytes_out.saturating_sub(earlier.bytes_out),
        }
    }
}

async fn video_counts(deployment: &Deployment) -> anyhow::Result<VideoCounts> {
    let mut counts = VideoCounts::default();
    for connection in deployment.nats_video_connections().await? {
        let count = |field: &str| connection[field].as_u64().unwrap_or(0);
        counts.messages_in += count("in_msgs");
        counts.messages_out += count("out_msgs");
        counts.bytes_in += count("in_bytes");
        counts.bytes_out += count("out_bytes");
    }
    Ok(counts)
}

impl MultiNodeResult {
    /// CI's quick check of the multi-node mode: correctness only, no timing. Every frame
    /// whole and 99 % delivered on every node; each frame published once and delivered once
    /// to each other node while the viewers are spread, and to none while they are all on
    /// the camera's node; no node warned.
    pub fn quick_failures(&self) -> Vec<String> {
        let mut failures = Vec::new();
        let other_nodes = (self.nodes - 1) as f64;
        for (name, placement, expected_out) in [
            ("one node", &self.one_node, 0.0),
            ("spread", &self.spread, other_nodes),
        ] {
            if placement.all.fraction < 0.99 {
                failures.push(format!(
                    "{name}: {:.2} % of frames delivered",
                    placement.all.fraction * 100.0
                ));
            }
            if placement.bad_frames > 0 {
                failures.push(format!(
                    "{name}: {} frames not whole or out of order",
                    placement.bad_frames
                ));
            }
            let nats = placement.nats;
            // The counters are read at the window's edges, a frame or two apart from the
            // camera's count.
            if !(0.9..=1.1).contains(&nats.messages_in_per_frame) {
                failures.push(format!(
                    "{name}: {:.2} NATS messages published per frame, not 1",
                    nats.messages_in_per_frame
                ));
            }
            let out = nats.messages_out_per_frame;
            if (out - expected_out).abs() > 0.1 * other_nodes {
                failures.push(format!(
                    "{name}: {out:.2} NATS messages delivered per frame, not {expected_out}"
                ));
            }
            failures.extend(placement.problems.iter().map(|p| format!("{name}: {p}")));
        }
        failures
    }

    /// The tables of docs/bench/multi-node.md.
    pub fn markdown(&self, command: &str) -> String {
        let mut out = format!(
            "# Multi-node benchmark\n\n`{command}`: {} nodes on one PostgreSQL and one NATS, the camera on node 0 \
             sending {} KB frames at {} fps, {} viewers.\n\n",
            self.nodes,
            self.frame_bytes / 1000,
            self.fps,
            self.viewers
        );
        out.push_str(&format!(
            "Latency added by crossing nodes, p99 of the viewers on the other nodes (the worst node) minus:\n\n\
             - p99 with every viewer on the camera's node (one node at the same load): **{:.1} ms**;\n\
             - p99 of the viewers on the camera's node in the same run (each node equally loaded): **{:.1} ms**.\n\n",
            self.added_p99_ms, self.added_p99_vs_camera_node_ms
        ));
        out.push_str("| Placement | Node | Viewers | Delivered | p50 ms | p99 ms | max ms | MB/s | CPU s | CPU s/GB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (name, placement) in [("one node", &self.one_node), ("spread", &self.spread)] {
            for node in &placement.per_node {
                let d = node.delivery;
                out.push_str(&format!(
                    "| {name} | {} | {} | {:.1} % | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} |\n",
                    node.node,
                    d.viewers,
                    d.fraction * 100.0,
                    d.latency_ms.p50,
                    d.latency_ms.p99,
                    d.latency_ms.max,
                    d.bytes_per_second / 1e6,
                    node.cpu_seconds,
                    node.cpu_seconds_per_gb,
                ));
            }
        }
        out.push_str("\n| Placement | NATS messages in / frame | out / frame | bytes in / frame | bytes out / frame | problems |\n|---|---:|---:|---:|---:|---|\n");
        for (name, placement) in [("one node", &self.one_node), ("spread", &self.spread)] {
            let n = placement.nats;
            out.push_str(&format!(
                "| {name} | {:.2} | {:.2} | {:.0} | {:.0} | {} |\n",
                n.messages_in_per_frame,
                n.messages_out_per_frame,
                n.bytes_in_per_frame,
                n.bytes_out_per_frame,
                if placement.problems.is_empty() {
                    "none".to_owned()
                } else {
                    placement.problems.join("; ")
                }
            ));
        }
        out
    }
}
