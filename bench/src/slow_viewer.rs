//! `--slow-viewer`: the slow viewer, in headless Chromium. The camera page streams
//! VP8 of the classroom clip (`codec_quality.js`), stamped as in `--latency`; a family's
//! viewer page on a phone watches over a 150 kbit/s link (`slow_link`), another on a laptop
//! at full rate, both at once (the pages load at full speed; then the link slows). For
//! `seconds`, each page counts the pictures it drew, their delay from capture and the decoder
//! failures it logged. Writes slow-viewer.{json,md}.

use std::fmt::Write as _;
use std::time::Duration;

use nido_e2e::{Browser, Driver, LAPTOP, PHONE, Reached, classroom};
use serde::Serialize;

use crate::capture_to_screen::{self, Taken};
use crate::codec_quality;
use crate::report::percentile;
use crate::slow_link::SlowLink;

const ROOM: &str = "pollitos";
/// The slow viewer: 150 kbit/s.
const SLOW_LINK_BYTES_PER_SECOND: u64 = 150_000 / 8;
/// The target for it: a moving picture of at least this many a second.
const SLOW_TARGET_PICTURES_PER_SECOND: f64 = 2.0;
/// How long the slowed link runs before the measured seconds.
const SETTLING: Duration = Duration::from_secs(5);
/// The camera's rate, which the full-rate viewer should keep.
const CAMERA_PICTURES_PER_SECOND: f64 = 10.0;

/// What one viewer page saw.
#[derive(Debug, Serialize)]
pub struct Watched {
    pub pictures_per_second: f64,
    pub delay_p50_ms: u32,
    pub delay_p99_ms: u32,
    pub delay_max_ms: u32,
    pub unreadable: u32,
    pub decoder_failures: u32,
    /// The page's own line about what it receives (codec and rate).
    pub page_says: String,
}

#[derive(Debug, Serialize)]
pub struct SlowViewerReport {
    pub seconds: u64,
    pub slow: Watched,
    pub full: Watched,
}

pub async fn run(seconds: u64) -> anyhow::Result<SlowViewerReport> {
    let server = classroom(ROOM).await;
    let driver = Driver::start().await;
    let camera_script = format!(
        "{}\n{}\nnidoLatency.stampCamera(nidoCodec);",
        codec_quality::SCRIPT,
        capture_to_screen::SCRIPT
    );
    let _camera = driver.camera_page(&server, ROOM, &camera_script).await;
    let link = SlowLink::start(server.addr).await?;
    let full = driver
        .viewer_page(&server, ROOM, LAPTOP, Reached::Locally, "ana")
        .await;
    let slow = driver
        .viewer_page(&server, ROOM, PHONE, Reached::Through(link.addr), "bea")
        .await;
    for viewer in [&full, &slow] {
        viewer
            .js(&format!(
                "{}\nnidoLatency.watchViewer();",
                capture_to_screen::SCRIPT
            ))
            .await;
        viewer.wait_for_moving_picture().await;
        viewer.wait_for_text("received", "VP8").await;
    }
    // The pages are loaded and watching: the link slows, and settles for a few seconds
    // before the measured ones.
    link.slow_down(SLOW_LINK_BYTES_PER_SECOND);
    tokio::time::sleep(SETTLING).await;
    for viewer in [&full, &slow] {
        capture_to_screen::take(viewer).await?;
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    Ok(SlowViewerReport {
        seconds,
        slow: watched(&slow, seconds).await?,
        full: watched(&full, seconds).await?,
    })
}

async fn watched(viewer: &Browser, seconds: u64) -> anyhow::Result<Watched> {
    let Taken {
        mut delays_ms,
        unreadable,
        decoder_failures,
    } = capture_to_screen::take(viewer).await?;
    anyhow::ensure!(!delays_ms.is_empty(), "a viewer drew no picture");
    delays_ms.sort_unstable();
    Ok(Watched {
        pictures_per_second: delays_ms.len() as f64 / seconds as f64,
        delay_p50_ms: percentile(&delays_ms, 0.50),
        delay_p99_ms: percentile(&delays_ms, 0.99),
        delay_max_ms: delays_ms[delays_ms.len() - 1],
        unreadable,
        decoder_failures,
        page_says: viewer.text_of("received").await,
    })
}

impl SlowViewerReport {
    pub fn markdown(&self, machine: &crate::report::Machine) -> String {
        let mut md = format!(
            "### A viewer on a 150 kbit/s link, in Chromium\n\n{} · {} · `{}`\n\n\
             The camera page streams VP8 (L1T3) of the classroom clip, time-stamped; two \
             family viewer pages watch it at once for {} s, one through a 150 kbit/s link, \
             one at full rate; Nido in the benchmark's process, all on this machine.\n\n\
             | viewer | pictures a second | delay p50 ms | p99 ms | max ms | unreadable stamps | decoder failures | the page says |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n",
            machine.date, machine.cpu, machine.command, self.seconds
        );
        for (name, row) in [("150 kbit/s", &self.slow), ("full rate", &self.full)] {
            let _ = writeln!(
                md,
                "| {name} | {:.1} | {} | {} | {} | {} | {} | {} |",
                row.pictures_per_second,
                row.delay_p50_ms,
                row.delay_p99_ms,
                row.delay_max_ms,
                row.unreadable,
                row.decoder_failures,
                row.page_says.replace('\n', " "),
            );
        }
        let slow_met = self.slow.pictures_per_second >= SLOW_TARGET_PICTURES_PER_SECOND
            && self.slow.decoder_failures == 0;
        let full_met = self.full.pictures_per_second >= CAMERA_PICTURES_PER_SECOND * 0.9
            && self.full.decoder_failures == 0;
        let _ = writeln!(
            md,
            "\nTarget: the 150 kbit/s viewer keeps a moving picture of at least \
             {SLOW_TARGET_PICTURES_PER_SECOND:.0} a second with no decoder failure, while the \
             other keeps the camera's {CAMERA_PICTURES_PER_SECOND:.0} a second (at least 90 % \
             of it): **{}**.",
            if slow_met && full_met {
                "met"
            } else {
                "not met"
            }
        );
        md
    }
}
