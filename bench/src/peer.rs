//! The relays under test, each started fresh for every step and pinned to the server core:
//! Nido's server, the Node.js `ws` relay and the raw TCP fan-out.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use nido_testkit::log_lines::{LogLines, wait_for_line};
use nido_testkit::nido_process::{self, NidoBinary, RunningNido};
use tokio::io::{AsyncBufReadExt, BufReader};
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

/// Every Nido server the benchmark starts runs with these.
pub const NIDO_OPTIONS: [&str; 6] = [
    "--dist",
    "no-app-in-this-test",
    "--time-zone",
    "UTC",
    // Every viewer of the benchmark is the same family account.
    "--max-sockets-per-account",
    "1000000",
];

/// Whether a line Nido logged is a problem: any warning or error but that the app is not
/// built (it is not, for the benchmark).
pub fn is_nido_problem(line: &str) -> bool {
    (line.contains("WARN") || line.contains("ERROR"))
        && !line.contains("the browser app is not built")
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
    pub problems: LogLines,
    child: Child,
    _data_dir: Option<tempfile::TempDir>,
}

impl RunningPeer {
    /// Stops the relay and waits until it has exited: a killed relay's teardown (closing
    /// hundreds of sockets, freeing its memory) runs on the relays' core, and would
    /// otherwise run into the next step's measurement, which is always the same relay's at
    /// some steps of the alternating ramp.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = self.child.wait().await;
    }
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
        let mut command = nido_process::pinned(program, self.server_core);
        command.stdin(Stdio::null());
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
        let port = wait_for_line(&mut stdout, START_PATIENCE, |line| {
            line.strip_prefix("listening ").map(str::to_owned)
        })
        .await
        .with_context(|| format!("the {} did not start", kind.label()))?;
        let stderr = BufReader::new(child.stderr.take().context("stderr")?).lines();
        let problems = LogLines::default();
        problems.keep_reading(stderr, KEPT_LOG_LINES, |_| true);
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        Ok(RunningPeer {
            target: Target {
                kind,
                addr: SocketAddr::from(([127, 0, 0, 1], port.parse()?)),
                nido: None,
            },
            pid: child.id().context("pid")?,
            problems,
            child,
            _data_dir: None,
        })
    }

    async fn start_nido(&self) -> anyhow::Result<RunningPeer> {
        let data_dir = tempfile::tempdir()?;
        let nido = NidoBinary::new(&self.nido_server).pinned_to(self.server_core);
        nido.create_admin(data_dir.path(), nido_setup::ADMIN)
            .await?;
        let options = [&["--listen", "127.0.0.1:0"][..], &NIDO_OPTIONS].concat();
        let RunningNido { child, addr, log } = nido
            .start(data_dir.path(), &options, KEPT_LOG_LINES, is_nido_problem)
            .await?;
        let addr: SocketAddr = addr.parse()?;
        let access = nido_setup::prepare(addr).await?;
        Ok(RunningPeer {
            target: Target {
                kind: PeerKind::Nido,
                addr,
                nido: Some(Arc::new(access)),
            },
            pid: child.id().context("pid")?,
            problems: log,
            child,
            _data_dir: Some(data_dir),
        })
    }
}
