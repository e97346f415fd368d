//! The comparison's results as JSON and as the markdown tables of `docs/performance.md`.

use std::fmt::Write as _;

use crate::client_size::ClientSize;
use crate::peer::PeerKind;
use crate::scenarios::Comparison;
use crate::step::StepResult;

/// Where and how the numbers were taken.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Machine {
    pub date: String,
    pub cpu: String,
    pub cores: usize,
    pub kernel: String,
    pub command: String,
}

impl Machine {
    pub fn describe(command: String) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map_or_else(|| "unknown".to_owned(), |(_, name)| name.trim().to_owned());
        Self {
            date: jiff::Timestamp::now()
                .strftime("%Y-%m-%d %H:%M UTC")
                .to_string(),
            cpu,
            // This program runs pinned to one core; the machine has more.
            cores: cpuinfo
                .lines()
                .filter(|line| line.starts_with("processor"))
                .count(),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .unwrap_or_default()
                .trim()
                .to_owned(),
            command,
        }
    }
}

#[derive(Debug, serde::Serialize)]
pub struct Report {
    pub machine: Machine,
    pub comparison: Comparison,
    pub client: Option<ClientSize>,
    pub verdicts: Vec<Verdict>,
}

/// One target of the issue and whether this run met it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    pub met: Met,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Met {
    Yes,
    No,
    /// The load generator saturated before the relays it compares reached their limits.
    Undecided,
}

impl Met {
    fn from(met: bool) -> Self {
        if met { Self::Yes } else { Self::No }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "**no**",
            Self::Undecided => "undecided: the load generator saturated first",
        }
    }
}

impl Report {
    pub fn new(machine: Machine, comparison: Comparison, client: Option<ClientSize>) -> Self {
        let verdicts = verdicts(&comparison, client.as_ref());
        Self {
            machine,
            comparison,
            client,
            verdicts,
        }
    }

    pub fn markdown(&self) -> String {
        let c = &self.comparison;
        let m = &self.machine;
        let mut out = String::new();
        let _ = writeln!(
            out,
            "Measured {} on {} ({} cores, Linux {}), with `{}`.\n",
            m.date, m.cpu, m.cores, m.kernel, m.command
        );
        out.push_str("### Targets\n\n| Target | Measured | Met |\n|---|---|---|\n");
        for v in &self.verdicts {
            let _ = writeln!(out, "| {} | {} | {} |", v.target, v.measured, v.met.label());
        }
        out.push_str("\n### S1: 50 KB frames at 30 fps, viewers doubled until p99 > 100 ms or delivery < 95 %\n\n");
        out.push_str("The verdicts above compare CPU per delivered GB in this run, step by step; where each ramp ended is information (on two cores the load generator, not the relays, ends it).\n\n");
        for best in &c.s1_best {
            let _ = writeln!(
                out,
                "- {}: **{}** viewers; the ramp ended: {}. Its CPU per GB projects about {:.0} viewers on one core.",
                best.peer.label(),
                best.viewers,
                best.ended_by,
                best.projected_viewers
            );
        }
        out.push('\n');
        let limit = raw_limit(c);
        steps_table(&mut out, &c.s1_steps, limit);
        out.push_str("\n### S2: 100 viewers, 50 KB at 10 fps\n\n");
        steps_table(&mut out, &c.s2, limit);
        out.push_str(
            "\n### S3: S2 with 5 viewers reading at 100 KB/s, 5 stopping for 10 s and 5 behind a link that pauses for 10 s (Nido)\n\n",
        );
        steps_table(&mut out, std::slice::from_ref(&c.s3), limit);
        if let Some(slow) = c.s3.slow {
            let _ = writeln!(
                out,
                "\nThe slow viewers: {:.1} % of frames, p99 {:.1} ms. Server RSS {:.1} MiB at the window's start, {:.1} MiB at its end, {:.1} MiB at most.",
                slow.fraction * 100.0,
                slow.latency_ms.p99,
                c.s3.server.rss_window_start_mib,
                c.s3.server.rss_window_end_mib,
                c.s3.server.rss_max_mib
            );
        }
        for (who, stalls) in [
            ("stopped reading", c.s3.stopped_readers),
            ("were behind a link that paused", c.s3.paused_links),
        ] {
            if let Some(stalls) = stalls {
                let _ = writeln!(
                    out,
                    "\nThe {} viewers that {who}: {} of them current again, at most {:.2} s after the stall ended; {} late frames, the newest captured {:.2} s after the stall began.",
                    stalls.viewers,
                    stalls.recovered,
                    stalls.current_after_seconds,
                    stalls.late_frames,
                    stalls.late_video_seconds
                );
            }
        }
        let _ = writeln!(
            out,
            "\n### S4: chat under video at S1's largest passing N ({} viewers, Nido)\n",
            c.s4.viewers
        );
        steps_table(&mut out, std::slice::from_ref(&c.s4), limit);
        if let Some(chat) = c.s4.chat {
            let _ = writeln!(
                out,
                "\nChat: {} messages sent by {} clients, {} deliveries lost; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms.",
                chat.sent,
                crate::nido_setup::CHAT_ACCOUNTS,
                chat.lost,
                chat.latency_ms.p50,
                chat.latency_ms.p99,
                chat.latency_ms.max
            );
        }
        out.push_str("\n### S5: 20 viewers joining and leaving a second (Nido, 10 steady viewers, 30 fps)\n\n");
        if let Some(joins) = c.s5.joins {
            let _ = writeln!(
                out,
                "{} joins, {} failed. From opening the connection to the first frame: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms.",
                joins.joins,
                joins.failures,
                joins.first_frame_ms.p50,
                joins.first_frame_ms.p99,
                joins.first_frame_ms.max
            );
        }
        let s6 = &c.s6;
        let _ = writeln!(
            out,
            "\n### S6: {} idle viewers, camera off (Nido)\n\nServer RSS {:.1} MiB before they connected, {:.1} MiB with them: {:.1} KiB a viewer.",
            s6.viewers,
            s6.server.rss_before_viewers_mib,
            s6.server.rss_with_viewers_mib,
            rss_per_viewer_kib(s6)
        );
        let l = c.legacy;
        let _ = writeln!(
            out,
            "\n### The 2018 design for the record\n\nA base64 data URL every 500 ms cost {:.0} KB/s a viewer. Nido's binary {} fps stream of the same picture costs {:.0} KB/s a viewer ({:.1}× the bytes for {:.0}× the frames), and {:.2} ms of server CPU a viewer a second.",
            l.legacy_bytes_per_viewer_per_second / 1000.0,
            l.nido_fps,
            l.nido_bytes_per_viewer_per_second / 1000.0,
            l.nido_bytes_per_viewer_per_second / l.legacy_bytes_per_viewer_per_second,
            f64::from(l.nido_fps) / 2.0,
            l.nido_cpu_ms_per_viewer_second
        );
        if let Some(client) = &self.client {
            let _ = writeln!(out, "\n### The app\n\n{}", client.describe());
        }
        out
    }
}

/// The most bytes a second the raw fan-out delivered in S1: the machine's limit.
fn raw_limit(c: &Comparison) -> f64 {
    c.s1_steps
        .iter()
        .filter(|s| s.peer == PeerKind::RawTcp && !s.generator.saturated)
        .map(|s| s.steady.bytes_per_second)
        .fold(0.0, f64::max)
}

fn rss_per_viewer_kib(step: &StepResult) -> f64 {
    (step.server.rss_with_viewers_mib - step.server.rss_before_viewers_mib) * 1024.0
        / step.viewers as f64
}

fn steps_table(out: &mut String, steps: &[StepResult], limit: f64) {
    out.push_str("| Relay | Viewers | Delivered | fps/viewer | p50 ms | p99 ms | p99.9 ms | max ms | MB/s | % of limit | CPU s/GB | RSS MiB | Generator | Problems |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
    for s in steps {
        let d = s.steady;
        let generator = if s.generator.saturated {
            format!("**saturated** ({:.0} %)", s.generator.busy * 100.0)
        } else {
            format!("{:.0} % busy", s.generator.busy * 100.0)
        };
        let percent = if limit > 0.0 {
            format!("{:.0} %", d.bytes_per_second / limit * 100.0)
        } else {
            "–".to_owned()
        };
        let _ = writeln!(
            out,
            "| {} | {} | {:.1} % | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} | {} | {:.2} | {:.1} | {} | {} |",
            s.peer.label(),
            s.viewers,
            d.fraction * 100.0,
            d.frames_per_viewer_per_second,
            d.latency_ms.p50,
            d.latency_ms.p99,
            d.latency_ms.p999,
            d.latency_ms.max,
            d.bytes_per_second / 1e6,
            percent,
            s.cpu_seconds_per_gb,
            s.server.rss_max_mib,
            generator,
            if s.problems.is_empty() {
                "none".to_owned()
            } else {
                s.problems.join("; ").replace('|', "/")
            },
        );
    }
}

fn verdicts(c: &Comparison, client: Option<&ClientSize>) -> Vec<Verdict> {
    let s2_nido = &c.s2[0];
    let s3_p99 = c.s3.steady.latency_ms.p99;
    let s2_p99 = s2_nido.steady.latency_ms.p99;
    let s3_growth = c.s3.server.rss_window_end_mib - c.s3.server.rss_window_start_mib;
    let pairs = cpu_per_gb_by_step(c);
    let listed = |other: fn(&StepCpu) -> f64| {
        pairs
            .iter()
            .map(|p| format!("{}: {:.3} vs {:.3}", p.viewers, p.nido, other(p)))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let decided = |holds: &dyn Fn(&StepCpu) -> bool| {
        if pairs.is_empty() {
            Met::Undecided
        } else {
            Met::from(pairs.iter().all(holds))
        }
    };
    let at_640 = |peer| {
        c.s1_steps
            .iter()
            .find(|s| s.peer == peer && s.viewers == 640)
            .map(|s| s.steady.latency_ms.p99)
    };
    let mut verdicts = vec![
        Verdict {
            target: "S1: Nido's CPU per delivered GB at most the Node relay's, every step from 160 viewers".to_owned(),
            measured: format!("CPU s/GB, Nido vs Node: {}", listed(|p| p.node)),
            met: decided(&|p| p.nido <= p.node),
        },
        Verdict {
            target: "S1: Nido's CPU per delivered GB within 10 % of the raw fan-out's, every step from 160 viewers".to_owned(),
            measured: format!("CPU s/GB, Nido vs raw: {}", listed(|p| p.raw)),
            met: decided(&|p| p.nido <= p.raw * 1.1),
        },
        match (at_640(PeerKind::Nido), at_640(PeerKind::NodeWs)) {
            (Some(nido), Some(node)) => Verdict {
                target: "S1: p99 latency at 640 viewers at most the Node relay's".to_owned(),
                measured: format!("Nido {nido:.1} ms, Node {node:.1} ms"),
                met: Met::from(nido <= node),
            },
            _ => Verdict {
                target: "S1: p99 latency at 640 viewers at most the Node relay's".to_owned(),
                measured: "no step at 640 viewers".to_owned(),
                met: Met::Undecided,
            },
        },
        Verdict {
            target: "S2: p99 latency at most 5 ms".to_owned(),
            measured: format!("{s2_p99:.2} ms"),
            met: Met::from(s2_p99 <= 5.0),
        },
        Verdict {
            target: "S3: others' p99 within 20 % of S2's, RSS flat".to_owned(),
            measured: format!(
                "{s3_p99:.2} ms vs {s2_p99:.2} ms; RSS {s3_growth:+.1} MiB over the window"
            ),
            met: Met::from(s3_p99 <= s2_p99 * 1.2 && s3_growth < 5.0),
        },
    ];
    for (who, stalls) in [
        ("stop reading", c.s3.stopped_readers),
        ("are behind a pausing link", c.s3.paused_links),
    ] {
        if let Some(stalls) = stalls {
            verdicts.push(Verdict {
                target: format!(
                    "S3: viewers that {who} for 10 s get no late frame captured over 1 s into it, and are current within 1 s"
                ),
                measured: format!(
                    "newest late frame {:.2} s into the stall; current after {:.2} s; {} of {} current again",
                    stalls.late_video_seconds,
                    stalls.current_after_seconds,
                    stalls.recovered,
                    stalls.viewers
                ),
                met: Met::from(
                    stalls.late_video_seconds <= 1.0
                        && stalls.current_after_seconds <= 1.0
                        && stalls.recovered == stalls.viewers,
                ),
            });
        }
    }
    if let Some(chat) = c.s4.chat {
        verdicts.push(Verdict {
            target: "S4: chat p99 at most 50 ms, none lost".to_owned(),
            measured: format!(
                "p99 {:.1} ms, {} of {} lost",
                chat.latency_ms.p99, chat.lost, chat.sent
            ),
            met: Met::from(chat.latency_ms.p99 <= 50.0 && chat.lost == 0 && chat.sent > 0),
        });
    }
    if let Some(joins) = c.s5.joins {
        verdicts.push(Verdict {
            target: "S5: join to first frame p99 at most 50 ms".to_owned(),
            measured: format!(
                "p99 {:.1} ms, {} of {} joins failed",
                joins.first_frame_ms.p99, joins.failures, joins.joins
            ),
            met: Met::from(joins.first_frame_ms.p99 <= 50.0 && joins.failures == 0),
        });
    }
    let per_viewer = rss_per_viewer_kib(&c.s6);
    verdicts.push(Verdict {
        target: "S6: server RSS at most 64 KiB per idle viewer".to_owned(),
        measured: format!("{per_viewer:.1} KiB"),
        met: Met::from(per_viewer <= 64.0 && c.s6.problems.is_empty()),
    });
    if let Some(client) = client {
        verdicts.push(Verdict {
            target: "The app a parent's phone loads: WASM and JS at most 250 KB (brotli)"
                .to_owned(),
            measured: format!("{:.1} KB", client.total_brotli_bytes() as f64 / 1000.0),
            met: Met::from(client.total_brotli_bytes() <= 250_000),
        });
    }
    verdicts
}

/// The three relays' CPU per delivered GB at one step of S1.
#[derive(Debug, Clone, Copy, PartialEq)]
struct StepCpu {
    viewers: usize,
    nido: f64,
    node: f64,
    raw: f64,
}

/// From 160 viewers up, the steps where every relay ran without the generator saturating.
fn cpu_per_gb_by_step(c: &Comparison) -> Vec<StepCpu> {
    let cpu = |peer, viewers| {
        c.s1_steps
            .iter()
            .find(|s| s.peer == peer && s.viewers == viewers && !s.generator.saturated)
            .map(|s| s.cpu_seconds_per_gb)
    };
    let mut viewers: Vec<usize> = c.s1_steps.iter().map(|s| s.viewers).collect();
    viewers.sort_unstable();
    viewers.dedup();
    viewers
        .into_iter()
        .filter(|&n| n >= 160)
        .filter_map(|n| {
            Some(StepCpu {
                viewers: n,
                nido: cpu(PeerKind::Nido, n)?,
                node: cpu(PeerKind::NodeWs, n)?,
                raw: cpu(PeerKind::RawTcp, n)?,
            })
        })
        .collect()
}

/// The value at fraction `p` (0 to 1) of `sorted`, which is not empty.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> T {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
