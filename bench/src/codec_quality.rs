//! `--codec`: the quality per byte of Nido's two video paths, measured in headless Chromium.
//! `bench/browser/codec_quality.js` encodes a reproducible classroom-like clip (640×480,
//! 10 fps, 10 s, sensor noise on every frame) as the camera page does, JPEG through the canvas
//! and VP8 through WebCodecs in real time, decodes what a viewer receives and scores every
//! picture against its source by SSIM, on luma and on red, green and blue. VP8 is tried over
//! a range of bitrates, to find the cheapest that looks at least as good as JPEG by each.
//! Writes codec-quality.{json,md}.

use std::fmt::Write as _;

use anyhow::{Context, anyhow};
use nido_e2e::Driver;
use nido_testkit::InProcessServer;
use serde::{Deserialize, Serialize};

pub const SCRIPT: &str = include_str!("../browser/codec_quality.js");
/// The JPEG quality the camera page starts with.
const JPEG_QUALITY: f64 = 0.7;
/// The VP8 bitrates tried; 250 kbit/s is what the camera page sends at this size and rate.
/// The highest show where real-time VP8's quality levels off on the clip.
const VP8_BITRATES: [u32; 11] = [
    150_000, 200_000, 250_000, 300_000, 400_000, 500_000, 650_000, 800_000, 1_000_000, 1_500_000,
    2_500_000,
];
const CAMERA_PAGE_BITRATE: u32 = 250_000;
/// The target: VP8 at most this share of JPEG's bytes at equal or better SSIM.
const TARGET_SHARE: f64 = 0.40;

/// One way of sending the clip, as a viewer receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Encoding {
    pub name: String,
    pub bytes_per_second: u64,
    pub frames_decoded: u32,
    /// On luma as JPEG defines it (BT.601): the plane JPEG keeps whole, so it favours JPEG.
    pub luma_ssim: Ssim,
    /// The mean of red's, green's and blue's: what the viewer sees, whatever colour matrix a
    /// codec uses inside.
    pub rgb_ssim: Ssim,
}

/// SSIM over the pictures decoded.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Ssim {
    pub mean: f64,
    pub p5: f64,
}

/// Which SSIM a verdict is on.
#[derive(Debug, Clone, Copy)]
pub enum Measure {
    Luma,
    Rgb,
}

impl Measure {
    fn of(self, encoding: &Encoding) -> Ssim {
        match self {
            Measure::Luma => encoding.luma_ssim,
            Measure::Rgb => encoding.rgb_ssim,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Measure::Luma => "SSIM on luma (BT.601)",
            Measure::Rgb => "SSIM on R, G and B",
        }
    }
}

#[derive(Debug, Serialize)]
pub struct CodecReport {
    pub jpeg: Encoding,
    /// L1T3 at each bitrate tried.
    pub vp8: Vec<Encoding>,
    /// At the camera page's bitrate: without temporal layers, and the base layer alone.
    pub vp8_l1t1: Encoding,
    pub vp8_base_layer: Encoding,
}

/// Runs every encoding in one fresh Chromium, on a page of a throwaway Nido (a secure
/// context, which WebCodecs needs).
pub async fn run() -> anyhow::Result<CodecReport> {
    let server = InProcessServer::start(None).await;
    let driver = Driver::start().await;
    let browser = driver.browser((800, 600)).await;
    browser.goto(&server.url("/healthz")).await;
    let measure = async |call: String| -> anyhow::Result<Encoding> {
        let script = format!("{SCRIPT}\nreturn await {call};");
        let value = browser
            .client
            .execute(&script, Vec::new())
            .await
            .map_err(|error| anyhow!("{call} failed in Chromium: {error}"))?;
        serde_json::from_value(value).with_context(|| format!("the result of {call}"))
    };
    let jpeg = measure(format!("nidoCodec.jpeg({JPEG_QUALITY})")).await?;
    let mut vp8 = Vec::new();
    for bitrate in VP8_BITRATES {
        vp8.push(measure(format!("nidoCodec.vp8({bitrate}, 'L1T3', false)")).await?);
    }
    let vp8_l1t1 = measure(format!(
        "nidoCodec.vp8({CAMERA_PAGE_BITRATE}, 'L1T1', false)"
    ))
    .await?;
    let vp8_base_layer = measure(format!(
        "nidoCodec.vp8({CAMERA_PAGE_BITRATE}, 'L1T3', true)"
    ))
    .await?;
    Ok(CodecReport {
        jpeg,
        vp8,
        vp8_l1t1,
        vp8_base_layer,
    })
}

impl CodecReport {
    /// The cheapest L1T3 encoding that looks at least as good as JPEG by `measure`, if any.
    pub fn cheapest_as_good(&self, measure: Measure) -> Option<&Encoding> {
        let jpeg = measure.of(&self.jpeg).mean;
        self.vp8
            .iter()
            .filter(|vp8| measure.of(vp8).mean >= jpeg)
            .min_by_key(|vp8| vp8.bytes_per_second)
    }

    pub fn markdown(&self, machine: &crate::report::Machine) -> String {
        let mut md = format!(
            "### Quality per byte: JPEG and VP8 in Chromium\n\n{} · {} · `{}`\n\n\
             | encoding | kbit/s | share of JPEG's bytes | pictures decoded | luma SSIM mean | luma SSIM 5th percentile | RGB SSIM mean | RGB SSIM 5th percentile |\n\
             | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            machine.date, machine.cpu, machine.command
        );
        let jpeg_bytes = self.jpeg.bytes_per_second as f64;
        let rows = std::iter::once(&self.jpeg)
            .chain(&self.vp8)
            .chain([&self.vp8_l1t1, &self.vp8_base_layer]);
        for row in rows {
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.0} % | {} | {:.4} | {:.4} | {:.4} | {:.4} |",
                row.name,
                row.bytes_per_second as f64 * 8.0 / 1000.0,
                row.bytes_per_second as f64 / jpeg_bytes * 100.0,
                row.frames_decoded,
                row.luma_ssim.mean,
                row.luma_ssim.p5,
                row.rgb_ssim.mean,
                row.rgb_ssim.p5,
            );
        }
        for measure in [Measure::Rgb, Measure::Luma] {
            let _ = writeln!(md, "\n{}", self.verdict(measure));
        }
        md
    }

    fn verdict(&self, measure: Measure) -> String {
        let jpeg = measure.of(&self.jpeg).mean;
        let Some(vp8) = self.cheapest_as_good(measure) else {
            return format!(
                "By {}: no VP8 bitrate tried reached JPEG q{JPEG_QUALITY}'s ({jpeg:.4}): **target not met**.",
                measure.name()
            );
        };
        let share = vp8.bytes_per_second as f64 / self.jpeg.bytes_per_second as f64;
        format!(
            "By {}: the cheapest VP8 L1T3 at least as good as JPEG q{JPEG_QUALITY} ({:.4} ≥ {jpeg:.4}) is {}: {:.0} % of JPEG's bytes. Target: at most {:.0} %: **{}**.",
            measure.name(),
            measure.of(vp8).mean,
            vp8.name,
            share * 100.0,
            TARGET_SHARE * 100.0,
            if share <= TARGET_SHARE {
                "met"
            } else {
                "not met"
            }
        )
    }
}
