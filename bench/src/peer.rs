//! The relays under test, each started fresh for every step and pinned to the server core:
//! Nido's server, the Node.js `ws` relay and the raw TCP fan-out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, Command};

use crate::nido_setup::{self, NidoAccess};

/// How long a relay may take to start listening.
const START_PATIENCE: Duration = Duration::from_secs(30);
/// Log lines kept to explain a failed step.
const KEPT_LOG_LINES: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PeerKind {
    Nido,
    NodeWs,
    RawTcp,
}

impl PeerKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Nido => "Nido",
            Self::NodeWs => "Node ws relay",
            Self::RawTcp => "raw TCP fan-out",
        }
    }
}

/// Where the relays' programs are and which core they run on.
#[derive(Debug, Clone)]
pub struct Programs {
    pub nido_server: PathBuf,
    pub raw_fanout: PathBuf,
    pub node_relay: PathBuf,
    /// The core every relay is pinned to with `taskset`; `None` leaves them unpinned.
    pub server_core: Option<usize>,
}

/// Where and how to reach a running relay; cheap to clone.
#[derive(Debug, Clone)]
pub struct Target {
    pub kind: PeerKind,
    pub addr: SocketAddr,
    /// Accounts and room, for Nido.
    pub nido: Option<Arc<NidoAccess>>,
}

/// A relay running for one step; killed when dropped.
pub struct RunningPeer {
    pub target: Target,
    pub pid: u32,
    /// Warnings and errors the relay logged.
    pub problems: Arc<Mutex<Vec<String>>>,
    _child: Child,
    _data_dir: Option<tempfile::TempDir>,
}

impl Programs {
    pub async fn start(&self, kind: PeerKind) -> anyhow::Result<RunningPeer> {
        let peer = self.start_unannounced(kind).await?;
        eprintln!("started the {} (pid {})", kind.label(), peer.pid);
        Ok(peer)
    }

    async fn start_unannounced(&self, kind: PeerKind) -> anyhow::Result<RunningPeer> {
        match kind {
            PeerKind::Nido => self.start_nido().await,
            PeerKind::NodeWs => {
                let mut command = self.pinned("node");
                command.arg(&self.node_relay).arg("0");
                self.start_listening(kind, command).await
            }
            PeerKind::RawTcp => {
                let mut command = self.pinned(&self.raw_fanout);
                command.arg("0");
                self.start_listening(kind, command).await
            }
        }
    }

    fn pinned(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = match self.server_core {
            Some(core) => {
                let mut taskset = Command::new("taskset");
                taskset.args(["-c", &core.to_string()]).arg(program);
                taskset
            }
            None => Command::new(program),
        };
        command.kill_on_drop(true).stdin(Stdio::null());
        command
    }

    /// Starts a peer that prints "listening PORT" on standard output.
    async fn start_listening(
        &self,
        kind: PeerKind,
        mut command: Command,
    ) -> anyhow::Result<RunningPeer> {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start the {}", kind.label()))?;
        let mut stdout = BufReader::new(child.stdout.take().context("stdout")?).lines();
        let port = wait_for_line(&mut stdout, |line| {
            line.strip_prefix("listening ").map(str::to_owned)
        })
        .await
        .with_context(|| format!("the {} did not start", kind.label()))?;
        let problems = collect_problems(child.stderr.take().context("stderr")?, |_| true);
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Ok(RunningPeer {
            target: Target {
                kind,
                addr: SocketAddr::from(([127, 0, 0, 1], port.parse()?)),
                nido: None,
            },
            pid: child.id().context("pid")?,
            problems,
            _child: child,
            _data_dir: None,
        })
    }

    async fn start_nido(&self) -> anyhow::Result<RunningPeer> {
        let data_dir = tempfile::tempdir()?;
        let mut create = Command::new(&self.nido_server);
        create
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(["admin", "create", nido_setup::ADMIN])
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut create = create
            .spawn()
            .context("cannot run nido-server admin create")?;
        let mut stdin = create.stdin.take().context("stdin")?;
        stdin
            .write_all(format!("{}\n", nido_setup::PASSWORD).as_bytes())
            .await?;
        drop(stdin);
        if !create.wait().await?.success() {
            bail!("nido-server admin create failed");
        }

        let mut command = self.pinned(&self.nido_server);
        command
            .arg("--data-dir")
            .arg(data_dir.path())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--dist",
                "no-app-needed",
                "--time-zone",
                "UTC",
                // Every viewer of the benchmark is the same family account.
                "--max-sockets-per-account",
                "1000000",
            ])
            .env("NO_COLOR", "1")
            .stderr(Stdio::piped());
        let mut child = command.spawn().context("cannot start nido-server")?;
        let mut log = BufReader::new(child.stderr.take().context("stderr")?).lines();
        let addr = wait_for_line(&mut log, |line| {
            line.split_once("Nido is running at http://")
                .map(|(_, addr)| addr.trim().to_owned())
        })
        .await
        .context("nido-server did not start")?;
        // The app is not built for the benchmark; any other warning or error counts.
        let problems = collect_problems_from(log, |line| {
            (line.contains("WARN") || line.contains("ERROR"))
                && !line.contains("the browser app is not built")
        });
        let addr: SocketAddr = addr.parse()?;
        let access = nido_setup::prepare(addr).await?;
        Ok(RunningPeer {
            target: Target {
                kind: PeerKind::Nido,
                addr,
                nido: Some(Arc::new(access)),
            },
            pid: child.id().context("pid")?,
            problems,
            _child: child,
            _data_dir: Some(data_dir),
        })
    }
}

async fn wait_for_line<R: AsyncRead + Unpin>(
    lines: &mut Lines<BufReader<R>>,
    wanted: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<String> {
    tokio::time::timeout(START_PATIENCE, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(found) = wanted(&line) {
                return Ok(found);
            }
        }
        bail!("it exited")
    })
    .await
    .context("timed out")?
}

fn collect_problems<R: AsyncRead + Unpin + Send + 'static>(
    stream: R,
    is_problem: impl Fn(&str) -> bool + Send + 'static,
) -> Arc<Mutex<Vec<String>>> {
    collect_problems_from(BufReader::new(stream).lines(), is_problem)
}

/// Keeps reading a relay's log, so it never blocks on a full pipe, and keeps its first
/// warnings and errors.
fn collect_problems_from<R: AsyncRead + Unpin + Send + 'static>(
    mut lines: Lines<BufReader<R>>,
    is_problem: impl Fn(&str) -> bool + Send + 'static,
) -> Arc<Mutex<Vec<String>>> {
    let problems = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&problems);
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if is_problem(&line) {
                let mut kept = kept
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if kept.len() < KEPT_LOG_LINES {
                    kept.push(line);
                }
            }
        }
    });
    problems
}
