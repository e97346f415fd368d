//! `--latency`: capture to screen with VP8 and with JPEG, in headless Chromium on loopback.
//! Nido's real pages on a Nido in this process: a camera page whose camera is the fake one
//! with a time stamp drawn over it (`bench/browser/capture_to_screen.js`), and a family's
//! viewer page that reads the stamp back from each picture as Nido draws it. JPEG runs first
//! (the camera page without WebCodecs, the viewer on an address where browsers offer none),
//! then VP8 (both pages with WebCodecs), each in fresh browsers. Writes
//! capture-to-screen.{json,md}.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{Context, bail};
use nido_e2e::{Browser, Driver, InProcessServer, LAPTOP, Reached, classroom};
use serde::{Deserialize, Serialize};

use crate::report::percentile;

pub const SCRIPT: &str = include_str!("../browser/capture_to_screen.js");
const ROOM: &str = "pollitos";
/// The target: VP8's p99 at most this much above JPEG's.
const TARGET_EXTRA_P99_MS: f64 = 30.0;

/// The two ways a picture travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Path {
    Jpeg,
    Vp8,
}

impl Path {
    /// The codec the viewer page says it receives.
    fn received(self) -> &'static str {
        match self {
            Self::Jpeg => "JPEG",
            Self::Vp8 => "VP8",
        }
    }
}

/// What a viewer page measured.
#[derive(Debug, Deserialize)]
pub struct Taken {
    /// From capture to screen, each picture's.
    pub delays_ms: Vec<u32>,
    pub unreadable: u32,
    /// The decoder failures the page logged.
    pub decoder_failures: u32,
}

/// One path's delays.
#[derive(Debug, Serialize)]
pub struct PathLatency {
    pub path: Path,
    pub pictures: usize,
    /// Pictures whose stamp could not be read (torn or misdecoded).
    pub unreadable: u32,
    pub p50_ms: u32,
    pub p95_ms: u32,
    pub p99_ms: u32,
    pub max_ms: u32,
}

#[derive(Debug, Serialize)]
pub struct CaptureToScreenReport {
    pub seconds: u64,
    pub jpeg: PathLatency,
    pub vp8: PathLatency,
}

/// Measures both paths for `seconds` each.
pub async fn run(seconds: u64) -> anyhow::Result<CaptureToScreenReport> {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;
    let jpeg = measure(&driver, &server, Path::Jpeg, seconds).await?;
    let vp8 = measure(&driver, &server, Path::Vp8, seconds).await?;
    Ok(CaptureToScreenReport { seconds, jpeg, vp8 })
}

async fn measure(
    driver: &Driver,
    server: &InProcessServer,
    path: Path,
    seconds: u64,
) -> anyhow::Result<PathLatency> {
    let without_encoder = if path == Path::Jpeg {
        "delete window.VideoEncoder;"
    } else {
        ""
    };
    let prepare = format!("{SCRIPT}\n{without_encoder}\nnidoLatency.stampCamera();");
    let camera = driver.camera_page(server, ROOM, &prepare).await;

    // A family member of the room each, made as the page is opened.
    let (reached, viewer_name) = match path {
        Path::Jpeg => (Reached::WithoutWebCodecs, "ana"),
        Path::Vp8 => (Reached::Locally, "bea"),
    };
    let viewer = driver
        .viewer_page(server, ROOM, LAPTOP, reached, viewer_name)
        .await;
    viewer
        .js(&format!("{SCRIPT}\nnidoLatency.watchViewer();"))
        .await;
    viewer.wait_for_moving_picture().await;
    viewer.wait_for_text("received", path.received()).await;
    take(&viewer).await?;
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let taken = take(&viewer).await?;
    if taken.delays_ms.len() < seconds as usize {
        bail!(
            "{path:?}: only {} pictures in {seconds} s",
            taken.delays_ms.len()
        );
    }
    // The room's camera seat and the browsers are free for the next path.
    for browser in [camera, viewer] {
        browser.client.close().await.context("closing a browser")?;
    }
    let mut delays = taken.delays_ms;
    delays.sort_unstable();
    let percentile = |p: f64| percentile(&delays, p);
    Ok(PathLatency {
        path,
        pictures: delays.len(),
        unreadable: taken.unreadable,
        p50_ms: percentile(0.50),
        p95_ms: percentile(0.95),
        p99_ms: percentile(0.99),
        max_ms: delays[delays.len() - 1],
    })
}

/// What `viewer` (with the script's `watchViewer` running) measured since the last call.
pub async fn take(viewer: &Browser) -> anyhow::Result<Taken> {
    let taken = viewer.js("return nidoLatency.take();").await;
    serde_json::from_value(taken).context("the viewer page's delays")
}

impl CaptureToScreenReport {
    pub fn markdown(&self, machine: &crate::report::Machine) -> String {
        let mut md = format!(
            "### Capture to screen: VP8 and JPEG in Chromium\n\n{} · {} · `{}`\n\n\
             From the camera's picture (time-stamped as the fake camera draws it) to the same \
             picture drawn on a family's viewer page, {} s each, the camera page and the viewer \
             in two headless Chromiums on this machine, Nido in the benchmark's process.\n\n\
             | path | pictures | unreadable stamps | p50 ms | p95 ms | p99 ms | max ms |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            machine.date, machine.cpu, machine.command, self.seconds
        );
        for row in [&self.jpeg, &self.vp8] {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {} | {} | {} | {} |",
                row.path.received(),
                row.pictures,
                row.unreadable,
                row.p50_ms,
                row.p95_ms,
                row.p99_ms,
                row.max_ms
            );
        }
        let extra = f64::from(self.vp8.p99_ms) - f64::from(self.jpeg.p99_ms);
        let _ = writeln!(
            md,
            "\nVP8's p99 is {extra:+.0} ms against JPEG's. Target: at most +{TARGET_EXTRA_P99_MS:.0} ms: **{}**.",
            if extra <= TARGET_EXTRA_P99_MS {
                "met"
            } else {
                "not met"
            }
        );
        md
    }
}
