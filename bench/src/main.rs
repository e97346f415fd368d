//! `nido-bench`: runs the relay comparison (or, with `--quick`, CI's correctness check) and
//! writes the results as JSON and markdown.

mod camera;
mod capture_to_screen;
mod churn;
mod client_size;
mod clock;
mod codec_quality;
mod generator_health;
mod images;
mod layered;
mod login_burst;
mod multi_node;
mod nido_setup;
mod pausing_link;
mod peer;
mod relay_cost;
mod report;
mod scenarios;
mod slow_link;
mod slow_viewer;
mod step;
mod viewer;
mod window;
mod wire;

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Parser;

use crate::client_size::ClientSize;
use crate::peer::Programs;
use crate::report::{Machine, Report};

/// Measures Nido's relay against a Node.js `ws` relay and a raw TCP fan-out.
#[derive(Debug, Parser)]
#[command(version)]
struct Options {
    /// CI's check: 10 viewers for 5 seconds per relay, correctness only.
    #[arg(long)]
    quick: bool,
    /// Length of each step's measurement window.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// S1 stops doubling past this many viewers.
    #[arg(long, default_value_t = scenarios::MAX_VIEWERS)]
    max_viewers: usize,
    /// The core the relays are pinned to (run this program pinned to another one).
    #[arg(long)]
    server_core: Option<usize>,
    /// Where results.json and results.md are written.
    #[arg(long, default_value = "docs/bench")]
    out: PathBuf,
    /// The built app, whose size is reported.
    #[arg(long, default_value = "dist")]
    dist: PathBuf,
    /// Runs one S1 step instead, e.g. `nido:640` (peers: nido, node, raw), to profile a
    /// relay under that load; the relay's pid is printed when it starts. `nido:640:chat`
    /// adds S4's chat clients, `nido:100:stalls` S3's slow and stalling viewers.
    #[arg(long, value_name = "PEER:VIEWERS[:chat|:stalls]")]
    step: Option<String>,
    /// Runs the multi-node mode instead: this many nodes on PostgreSQL (`NIDO_TEST_POSTGRES`,
    /// which scripts/bench.sh starts) and NATS, the camera on the first; writes
    /// multi-node.{json,md}.
    #[arg(long, value_name = "N")]
    nodes: Option<usize>,
    /// The multi-node mode's viewers.
    #[arg(long, default_value_t = 150)]
    viewers: usize,
    /// Measures a real login during a burst of 400 wrong ones from one address instead.
    #[arg(long)]
    login_burst: bool,
    /// Measures JPEG's and VP8's quality per byte in headless Chromium instead; writes
    /// codec-quality.{json,md}.
    #[arg(long)]
    codec: bool,
    /// Measures a VP8 stream with temporal layers through Nido instead (late joiners, a
    /// viewer at 150 kbit/s), for at least 20 s; writes layered.{json,md}.
    #[arg(long)]
    layered: bool,
    /// Measures capture to screen with VP8 and with JPEG in headless Chromium instead
    /// (`--seconds` each, at least 30; needs the app built into dist/); writes
    /// capture-to-screen.{json,md}.
    #[arg(long)]
    latency: bool,
    /// Measures a viewer on a 150 kbit/s link beside a full-rate one, VP8 in headless
    /// Chromium, instead (`--seconds`, at least 30; needs the app built into dist/); writes
    /// slow-viewer.{json,md}.
    #[arg(long)]
    slow_viewer: bool,
    /// Defaults to the `nido-server` beside this program.
    #[arg(long)]
    nido_server: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let options = Options::parse();
    // Thousands of connections, each one file descriptor here and one in the relay.
    rlimit::increase_nofile_limit(u64::MAX).context("raising the open-files limit")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(options))
}

async fn run(options: Options) -> anyhow::Result<()> {
    let here = std::env::current_exe()?;
    let programs = Programs {
        nido_server: options
            .nido_server
            .clone()
            .unwrap_or_else(|| here.with_file_name("nido-server")),
        raw_fanout: here.with_file_name("raw-fanout"),
        node_relay: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers/ws-relay.mjs"),
        server_core: options.server_core,
    };
    for program in [&programs.nido_server, &programs.raw_fanout] {
        if !program.is_file() {
            bail!(
                "{} is missing; build it with `cargo build -p nido-server -p nido-bench`",
                program.display()
            );
        }
    }
    let clock = clock::Clock::start();
    if options.quick {
        return quick(&programs, clock, options.seconds).await;
    }
    if options.codec {
        return codec(&options).await;
    }
    if options.latency {
        let report = capture_to_screen::run(options.seconds.max(30)).await?;
        return write_results(&options, "capture-to-screen", &report, |m| {
            report.markdown(m)
        });
    }
    if options.slow_viewer {
        let report = slow_viewer::run(options.seconds.max(30)).await?;
        return write_results(&options, "slow-viewer", &report, |m| report.markdown(m));
    }
    if options.layered {
        let report = layered::run(&programs, options.seconds.max(20)).await?;
        return write_results(&options, "layered", &report, |m| report.markdown(m));
    }
    if options.login_burst {
        println!("{}", login_burst::run(&programs).await?.describe());
        return Ok(());
    }
    if let Some(nodes) = options.nodes {
        return multi_node(&programs, clock, &options, nodes).await;
    }
    if let Some(step) = &options.step {
        return one_step(&programs, clock, step, options.seconds).await;
    }
    let comparison =
        scenarios::full(&programs, clock, options.seconds, options.max_viewers).await?;
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let report = Report::new(
        Machine::describe(command),
        comparison,
        ClientSize::measure(&options.dist)?,
    );
    std::fs::create_dir_all(&options.out)?;
    std::fs::write(
        options.out.join("results.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    let markdown = report.markdown();
    std::fs::write(options.out.join("results.md"), &markdown)?;
    println!("{markdown}");
    Ok(())
}

async fn multi_node(
    programs: &Programs,
    clock: clock::Clock,
    options: &Options,
    nodes: usize,
) -> anyhow::Result<()> {
    if nodes < 2 {
        bail!("the multi-node mode needs at least two nodes");
    }
    let load = multi_node::MultiNodeLoad {
        nodes,
        viewers: options.viewers,
        fps: 30,
        image: images::TestImage::Medium,
        seconds: options.seconds,
    };
    let result = multi_node::run(programs, &load, clock).await?;
    write_results(options, "multi-node", &result, |m| {
        result.markdown(&m.command)
    })
}

async fn codec(options: &Options) -> anyhow::Result<()> {
    let report = codec_quality::run().await?;
    write_results(options, "codec-quality", &report, |m| report.markdown(m))
}

/// Writes a mode's `name.json` (the machine and the result) and `name.md` into the output
/// directory, and prints the markdown.
fn write_results(
    options: &Options,
    name: &str,
    result: &impl serde::Serialize,
    markdown: impl FnOnce(&Machine) -> String,
) -> anyhow::Result<()> {
    let machine = Machine::describe(std::env::args().collect::<Vec<_>>().join(" "));
    let markdown = markdown(&machine);
    std::fs::create_dir_all(&options.out)?;
    std::fs::write(
        options.out.join(format!("{name}.json")),
        serde_json::to_string_pretty(&serde_json::json!({"machine": machine, "result": result}))?,
    )?;
    std::fs::write(options.out.join(format!("{name}.md")), &markdown)?;
    println!("{markdown}");
    Ok(())
}

async fn quick(programs: &Programs, clock: clock::Clock, seconds: u64) -> anyhow::Result<()> {
    let checked = scenarios::quick(programs, clock, seconds).await?;
    let mut failed = false;
    for (step, failures) in &checked {
        let verdict = if failures.is_empty() { "ok" } else { "FAILED" };
        println!(
            "{verdict}: {} with {} viewers: {:.1} % of {} frames delivered, p99 {:.1} ms{}",
            step.peer.label(),
            step.viewers,
            step.steady.fraction * 100.0,
            step.published,
            step.steady.latency_ms.p99,
            step.chat
                .map(|c| format!(", chat {} sent, {} lost", c.sent, c.lost))
                .unwrap_or_default(),
        );
        for failure in failures {
            println!("    {failure}");
        }
        failed |= !failures.is_empty();
    }
    let load = multi_node::MultiNodeLoad {
        nodes: 3,
        viewers: 12,
        fps: 10,
        image: images::TestImage::Medium,
        seconds,
    };
    let nodes = multi_node::run(programs, &load, clock).await?;
    let failures = nodes.quick_failures();
    println!(
        "{}: 3 nodes with 12 viewers spread over them: {:.1} % of {} frames delivered, {:.2} NATS messages per frame in, {:.2} out",
        if failures.is_empty() { "ok" } else { "FAILED" },
        nodes.spread.all.fraction * 100.0,
        nodes.spread.published,
        nodes.spread.nats.messages_in_per_frame,
        nodes.spread.nats.messages_out_per_frame,
    );
    for failure in &failures {
        println!("    {failure}");
    }
    failed |= !failures.is_empty();
    if failed {
        bail!("the quick benchmark found problems");
    }
    Ok(())
}

async fn one_step(
    programs: &Programs,
    clock: clock::Clock,
    step: &str,
    seconds: u64,
) -> anyhow::Result<()> {
    let mut parts = step.split(':');
    let (Some(peer), Some(viewers)) = (parts.next(), parts.next()) else {
        bail!("expected PEER:VIEWERS");
    };
    let viewers = viewers.parse()?;
    let video = step::Load::video(viewers, 30, images::TestImage::Medium, seconds);
    let load = match parts.next() {
        Some("chat") => step::Load {
            chatters: nido_setup::CHAT_ACCOUNTS,
            ..video
        },
        Some("stalls") => scenarios::s3_load(viewers, seconds),
        None => video,
        Some(other) => bail!("unknown step option {other}"),
    };
    let peer = match peer {
        "nido" => peer::PeerKind::Nido,
        "node" => peer::PeerKind::NodeWs,
        "raw" => peer::PeerKind::RawTcp,
        other => bail!("unknown peer {other}; expected nido, node or raw"),
    };
    let result = step::run(programs, peer, &load, clock).await?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    Ok(())
}
