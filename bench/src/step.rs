//! One step of a scenario: a fresh relay, its viewers, chat clients and camera, and what
//! was measured while they ran.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use futures_util::{StreamExt, stream};
use hdrhistogram::Histogram;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::camera::{self, CameraReport};
use crate::churn::{self, ChurnReport};
use crate::clock::Clock;
use crate::generator_health::{self, GeneratorHealth};
use crate::images::TestImage;
use crate::pausing_link::{self, LINK_BUFFER_BYTES, Pause};
use crate::peer::{PeerKind, Programs, RunningPeer, Target};
use crate::viewer::{self, Chatting, Expected, Reading, Recovery, ViewerReport, latency_histogram};
use crate::window::Window;
use crate::wire::{Connection, Joiner};
use nido_testkit::proc_stats;

/// Frames before the window are not counted: the relay and the viewers settle.
const WARM_UP: Duration = Duration::from_secs(1);
/// After the window, time for frames still on their way.
pub(crate) const DRAIN: Duration = Duration::from_secs(1);
/// Viewers connecting at once.
const CONNECTING_AT_ONCE: usize = 32;
/// A throttled viewer's reading speed.
const SLOW_READ_BYTES_PER_SECOND: u64 = 100_000;
/// A stalling viewer (or a pausing link) carries on normally, then stops for this long.
const STALL_AFTER: Duration = Duration::from_secs(2);
const STALL_FOR: Duration = Duration::from_secs(10);
const CHAT_EVERY: Duration = Duration::from_secs(1);
const SERVER_SAMPLE_EVERY: Duration = Duration::from_millis(500);

/// What a step puts on the relay.
#[derive(Debug, Clone)]
pub struct Load {
    pub viewers: usize,
    pub fps: u32,
    pub image: TestImage,
    pub seconds: u64,
    /// Of the viewers, how many read at 100 KB/s, how many stop reading for 10 s, and how
    /// many read steadily behind a link that pauses for 10 s.
    pub throttled: usize,
    pub stalled: usize,
    pub paused_links: usize,
    /// Chat clients, besides the viewers, each sending a message a second.
    pub chatters: usize,
    /// Viewers that come and go, per second.
    pub churn_per_second: u32,
    /// Off for the idle-connections scenario.
    pub camera: bool,
}

impl Load {
    pub fn video(viewers: usize, fps: u32, image: TestImage, seconds: u64) -> Self {
        Self {
            viewers,
            fps,
            image,
            seconds,
            throttled: 0,
            stalled: 0,
            paused_links: 0,
            chatters: 0,
            churn_per_second: 0,
            camera: true,
        }
    }
}

/// Latency percentiles, in milliseconds.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Percentiles {
    fn of(histogram: &Histogram<u64>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        Self {
            p50: ms(histogram.value_at_quantile(0.5)),
            p99: ms(histogram.value_at_quantile(0.99)),
            p999: ms(histogram.value_at_quantile(0.999)),
            max: ms(histogram.max()),
        }
    }
}

/// The relay's process during the step.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct ServerUsage {
    /// CPU seconds used inside the window.
    pub cpu_seconds: f64,
    pub rss_before_viewers_mib: f64,
    pub rss_with_viewers_mib: f64,
    pub rss_window_start_mib: f64,
    pub rss_window_end_mib: f64,
    pub rss_max_mib: f64,
}

/// Frames as the steady viewers (or the slow ones) got them.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Delivery {
    pub viewers: usize,
    /// Delivered frames over published frames times viewers.
    pub fraction: f64,
    pub frames_per_viewer_per_second: f64,
    pub bytes_per_second: f64,
    pub latency_ms: Percentiles,
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct ChatResult {
    pub sent: u64,
    /// Messages some connection never received.
    pub lost: u64,
    pub latency_ms: Percentiles,
}

/// How the viewers of one kind came back after their 10 s stall; the worst of them.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct StallResult {
    pub viewers: usize,
    /// Viewers that had a stall and then a current picture again.
    pub recovered: usize,
    /// Late frames after the stall, all viewers together.
    pub late_frames: u64,
    /// The newest late frame's capture, in seconds after the stall began.
    pub late_video_seconds: f64,
    /// From the end of the stall to a current picture, in seconds.
    pub current_after_seconds: f64,
}

impl StallResult {
    fn of<'a>(recoveries: impl Iterator<Item = Option<&'a Recovery>>) -> Option<Self> {
        let mut result = Self::default();
        for recovery in recoveries {
            result.viewers += 1;
            let Some(recovery) = recovery else { continue };
            result.late_frames += recovery.late_frames;
            result.late_video_seconds =
                result.late_video_seconds.max(recovery.late_video_seconds());
            if let Some(after) = recovery.current_after_seconds() {
                result.recovered += 1;
                result.current_after_seconds = result.current_after_seconds.max(after);
            }
        }
        (result.viewers > 0).then_some(result)
    }
}

#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct JoinResult {
    pub joins: u64,
    pub failures: u64,
    pub first_frame_ms: Percentiles,
}

/// Everything measured in one step.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StepResult {
    pub peer: PeerKind,
    pub viewers: usize,
    pub fps: u32,
    pub frame_bytes: usize,
    pub seconds: f64,
    pub published: u64,
    pub steady: Delivery,
    pub slow: Option<Delivery>,
    /// Viewers that stopped reading, and viewers behind a link that paused.
    pub stopped_readers: Option<StallResult>,
    pub paused_links: Option<StallResult>,
    pub server: ServerUsage,
    /// Server CPU seconds per GB delivered to the steady viewers.
    pub cpu_seconds_per_gb: f64,
    pub bad_frames: u64,
    pub chat: Option<ChatResult>,
    pub joins: Option<JoinResult>,
    pub generator: GeneratorHealth,
    /// Disconnections, refusals and relay warnings; empty when all went well.
    pub problems: Vec<String>,
}

/// Runs one step against a freshly started relay.
pub async fn run(
    programs: &Programs,
    kind: PeerKind,
    load: &Load,
    clock: Clock,
) -> anyhow::Result<StepResult> {
    let peer = programs.start(kind).await?;
    let before_viewers = proc_stats::sample(Some(peer.pid))?;
    let stop = CancellationToken::new();
    let expected = Expected {
        jpeg: load.image.jpeg(),
        window: Arc::new(OnceLock::new()),
        clock,
    };
    let viewers = connect_viewers(&peer, load, &expected, &stop).await?;
    let with_viewers = proc_stats::sample(Some(peer.pid))?;

    let chat_connections = connect_chatters(&peer, load.chatters).await?;
    let first_us = clock.now_us();
    let window = window_after_warm_up(first_us, load.seconds);
    expected.window.set(window).expect("set once");
    let chatters: Vec<_> = chat_connections
        .into_iter()
        .enumerate()
        .map(|(client, connection)| {
            // People do not all press Enter at once: the clients take turns.
            let turn = micros(CHAT_EVERY) * client as u64 / load.chatters as u64;
            let chatting = Chatting {
                client,
                every: CHAT_EVERY,
                first_us: window.start_us + turn,
                window,
            };
            let task = viewer::watch(
                connection,
                expected.clone(),
                Reading::Steady,
                Some(chatting),
                stop.clone(),
            );
            tokio::spawn(task)
        })
        .collect();
    let camera = if load.camera {
        Some(start_camera(&peer.target, &expected, load.fps, first_us, window).await?)
    } else {
        None
    };
    let churn = (load.churn_per_second > 0).then(|| {
        let target = peer.target.clone();
        let per_second = load.churn_per_second;
        tokio::spawn(async move { churn::run(&target, clock, per_second, window).await })
    });

    tokio::time::sleep_until(clock.instant_at(window.start_us)).await;
    let health_stop = CancellationToken::new();
    let health = tokio::spawn(generator_health::watch(health_stop.clone()));
    let mut server = watch_server(peer.pid, clock, window).await?;
    server.rss_before_viewers_mib = mib(before_viewers.rss_bytes);
    server.rss_with_viewers_mib = mib(with_viewers.rss_bytes);
    health_stop.cancel();
    let generator = health.await?;

    let camera = match camera {
        Some(task) => task.await?,
        None => CameraReport::default(),
    };
    let churn = match churn {
        Some(task) => Some(task.await?),
        None => None,
    };
    tokio::time::sleep(DRAIN).await;
    stop.cancel();
    let mut reports = Vec::with_capacity(viewers.len());
    for (kind, task) in viewers {
        reports.push((kind, task.await?));
    }
    let mut chat_reports = Vec::with_capacity(chatters.len());
    for task in chatters {
        chat_reports.push(task.await?);
    }
    let reports = Reports {
        camera,
        viewers: reports,
        chatters: chat_reports,
        churn,
        server,
        generator,
    };
    let result = summarise(&peer, load, window, reports);
    peer.stop().await;
    Ok(result)
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// The measurement window of a step whose first frame is due at `first_us`: after the
/// warm-up, `seconds` long.
pub(crate) fn window_after_warm_up(first_us: u64, seconds: u64) -> Window {
    let start_us = first_us + micros(WARM_UP);
    Window {
        start_us,
        end_us: start_us + seconds * 1_000_000,
    }
}

/// Connects the camera to `target` and streams frames due from `first_us` at `fps`.
pub(crate) async fn start_camera(
    target: &Target,
    expected: &Expected,
    fps: u32,
    first_us: u64,
    window: Window,
) -> anyhow::Result<JoinHandle<CameraReport>> {
    let connection = Connection::open(target, Joiner::Camera, None).await?;
    // The camera goes on past the window, so that its last frames are not cut short by the
    // camera leaving.
    let until_us = window.end_us + micros(DRAIN) / 2;
    let task = camera::stream(
        connection,
        expected.clock,
        expected.jpeg.clone(),
        fps,
        first_us,
        window,
        until_us,
    );
    Ok(tokio::spawn(task))
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// How a viewer reads, and through what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ViewerKind {
    Steady,
    Throttled,
    StopsReading,
    BehindPausingLink,
}

impl ViewerKind {
    fn is_slow(self) -> bool {
        self != Self::Steady
    }
}

/// A viewer's task, and its kind.
type ViewerTask = (ViewerKind, JoinHandle<ViewerReport>);

async fn connect_viewers(
    peer: &RunningPeer,
    load: &Load,
    expected: &Expected,
    stop: &CancellationToken,
) -> anyhow::Result<Vec<ViewerTask>> {
    let kinds = [
        (ViewerKind::Throttled, load.throttled),
        (ViewerKind::StopsReading, load.stalled),
        (ViewerKind::BehindPausingLink, load.paused_links),
    ];
    let slow = kinds.iter().map(|(_, count)| count).sum::<usize>();
    let plans = kinds
        .into_iter()
        .flat_map(|(kind, count)| std::iter::repeat_n(kind, count))
        .chain(std::iter::repeat_n(
            ViewerKind::Steady,
            load.viewers.saturating_sub(slow),
        ));
    let connections = stream::iter(plans)
        .map(|kind| async move {
            let connection = connect_viewer(peer, kind).await;
            connection.map(|c| (kind, c))
        })
        .buffer_unordered(CONNECTING_AT_ONCE);
    let mut tasks = Vec::with_capacity(load.viewers);
    let mut connections = std::pin::pin!(connections);
    while let Some(connected) = connections.next().await {
        let (kind, connection) = connected.context("a viewer could not connect")?;
        let reading = match kind {
            ViewerKind::StopsReading => Reading::Stalls {
                after: STALL_AFTER,
                pause: STALL_FOR,
            },
            _ => Reading::Steady,
        };
        let task = viewer::watch(connection, expected.clone(), reading, None, stop.clone());
        tasks.push((kind, tokio::spawn(task)));
    }
    Ok(tasks)
}

async fn connect_viewer(peer: &RunningPeer, kind: ViewerKind) -> anyhow::Result<Connection> {
    let target = &peer.target;
    match kind {
        ViewerKind::Steady => Connection::open(target, Joiner::Viewer, None).await,
        ViewerKind::Throttled => {
            let limit = Some(SLOW_READ_BYTES_PER_SECOND);
            Connection::open(target, Joiner::Viewer, limit).await
        }
        // Its own receive buffer is held small: what it finds after the stall is then what
        // waited on the relay's side (a page draws only the newest frame its buffer holds).
        ViewerKind::StopsReading => {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(LINK_BUFFER_BYTES)?;
            let tcp = socket.connect(target.addr).await?;
            Connection::open_over(tcp, target, Joiner::Viewer, None).await
        }
        ViewerKind::BehindPausingLink => {
            let pause = Pause {
                after: STALL_AFTER,
                lasting: STALL_FOR,
            };
            let tcp = pausing_link::connect(target.addr, pause).await?;
            Connection::open_over(tcp, target, Joiner::Viewer, None).await
        }
    }
}

async fn connect_chatters(peer: &RunningPeer, count: usize) -> anyhow::Result<Vec<Connection>> {
    let mut connections = Vec::with_capacity(count);
    for client in 0..count {
        let connection = Connection::open(&peer.target, Joiner::Chatter(client), None).await;
        connections.push(connection.context("a chat client could not connect")?);
    }
    Ok(connections)
}

/// Samples the relay's CPU time and memory from the window's start to its end.
pub(crate) async fn watch_server(
    pid: u32,
    clock: Clock,
    window: Window,
) -> anyhow::Result<ServerUsage> {
    let start = proc_stats::sample(Some(pid))?;
    let mut rss_max = start.rss_bytes;
    let end = clock.instant_at(window.end_us);
    let mut last = start;
    while tokio::time::Instant::now() < end {
        tokio::time::sleep(SERVER_SAMPLE_EVERY.min(end - tokio::time::Instant::now())).await;
        last = proc_stats::sample(Some(pid))?;
        rss_max = rss_max.max(last.rss_bytes);
    }
    Ok(ServerUsage {
        cpu_seconds: last.cpu_seconds - start.cpu_seconds,
        rss_window_start_mib: mib(start.rss_bytes),
        rss_window_end_mib: mib(last.rss_bytes),
        rss_max_mib: mib(rss_max),
        ..ServerUsage::default()
    })
}

/// How a group of viewers got the frames.
pub(crate) fn delivery<'a>(
    reports: impl Iterator<Item = &'a ViewerReport>,
    published: u64,
    seconds: f64,
) -> (Delivery, u64) {
    let mut latency = latency_histogram();
    let (mut viewers, mut frames, mut bytes) = (0, 0, 0);
    for report in reports {
        viewers += 1;
        frames += report.frames;
        bytes += report.bytes;
        latency.add(&report.latency).expect("same bounds");
    }
    let expected = (published * viewers as u64).max(1);
    let delivery = Delivery {
        viewers,
        fraction: frames as f64 / expected as f64,
        frames_per_viewer_per_second: frames as f64 / viewers.max(1) as f64 / seconds,
        bytes_per_second: bytes as f64 / seconds,
        latency_ms: Percentiles::of(&latency),
    };
    (delivery, bytes)
}

fn chat_result(receivers: &[&ViewerReport], senders: &[ViewerReport]) -> ChatResult {
    let sent: u64 = senders.iter().map(|s| s.chat_sent).sum();
    let mut latency = latency_histogram();
    let mut lost = 0;
    for receiver in receivers {
        lost += sent.saturating_sub(receiver.chat_seen.len() as u64);
        latency.add(&receiver.chat_latency).expect("same bounds");
    }
    ChatResult {
        sent,
        lost,
        latency_ms: Percentiles::of(&latency),
    }
}

/// Problems worth reporting, each kind once with how often it happened.
fn problems(
    peer: &RunningPeer,
    camera: &CameraReport,
    viewers: &[&ViewerReport],
    churn: Option<&ChurnReport>,
) -> Vec<String> {
    let mut counted: Vec<(String, usize)> = Vec::new();
    let logged = peer.problems.snapshot();
    let found = viewers
        .iter()
        .filter_map(|r| r.problem.clone())
        .chain(camera.problem.clone())
        .chain(churn.and_then(|c| c.problem.clone()))
        .chain(logged);
    for problem in found {
        match counted.iter_mut().find(|(known, _)| *known == problem) {
            Some((_, count)) => *count += 1,
            None => counted.push((problem, 1)),
        }
    }
    counted
        .into_iter()
        .map(|(problem, count)| {
            if count > 1 {
                format!("{problem} (×{count})")
            } else {
                problem
            }
        })
        .collect()
}

/// Everything the step's tasks reported.
struct Reports {
    camera: CameraReport,
    /// Each viewer's report, and its kind.
    viewers: Vec<(ViewerKind, ViewerReport)>,
    chatters: Vec<ViewerReport>,
    churn: Option<ChurnReport>,
    server: ServerUsage,
    generator: GeneratorHealth,
}

fn summarise(peer: &RunningPeer, load: &Load, window: Window, reports: Reports) -> StepResult {
    let Reports {
        camera,
        viewers,
        chatters,
        churn,
        server,
        generator,
    } = reports;
    let seconds = window.seconds();
    let published = camera.published_in_window;
    let (slow_reports, steady_reports): (Vec<_>, Vec<_>) =
        viewers.iter().partition(|(kind, _)| kind.is_slow());
    let stalls = |wanted: ViewerKind| {
        let recoveries = viewers
            .iter()
            .filter(|(kind, _)| *kind == wanted)
            .map(|(_, report)| report.recovery.as_ref());
        StallResult::of(recoveries)
    };
    let slow_reports: Vec<&ViewerReport> = slow_reports.into_iter().map(|(_, r)| r).collect();
    let steady_reports: Vec<&ViewerReport> = steady_reports.into_iter().map(|(_, r)| r).collect();
    let (steady, steady_bytes) = delivery(steady_reports.iter().copied(), published, seconds);
    let (slow, slow_bytes) = delivery(slow_reports.iter().copied(), published, seconds);
    let everyone: Vec<&ViewerReport> = viewers.iter().map(|(_, r)| r).chain(&chatters).collect();
    // Slow viewers may still be catching up on chat when the step ends.
    let steady_receivers: Vec<&ViewerReport> =
        steady_reports.iter().copied().chain(&chatters).collect();
    let delivered_gb = (steady_bytes + slow_bytes) as f64 / 1e9;
    StepResult {
        peer: peer.target.kind,
        viewers: load.viewers,
        fps: load.fps,
        frame_bytes: load.image.jpeg().len(),
        seconds,
        published,
        steady,
        slow: (!slow_reports.is_empty()).then_some(slow),
        stopped_readers: stalls(ViewerKind::StopsReading),
        paused_links: stalls(ViewerKind::BehindPausingLink),
        server,
        cpu_seconds_per_gb: if delivered_gb > 0.0 {
            server.cpu_seconds / delivered_gb
        } else {
            0.0
        },
        bad_frames: everyone.iter().map(|r| r.bad_frames).sum(),
        chat: (!chatters.is_empty()).then(|| chat_result(&steady_receivers, &chatters)),
        joins: churn.as_ref().map(|c| JoinResult {
            joins: c.joins,
            failures: c.failures,
            first_frame_ms: Percentiles::of(&c.first_frame),
        }),
        generator,
        problems: problems(peer, &camera, &everyone, churn.as_ref()),
    }
}
