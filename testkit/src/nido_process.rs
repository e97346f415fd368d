//! The real `nido-server` binary as a child process: `admin create`, then the server on a
//! loopback port, found by the address it logs, and killed when its handle is dropped.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

use crate::PASSWORD;
use crate::log_lines::{LogLines, wait_for_line};

/// How long the server may take to say where it listens.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Where the binary is, and the CPU core it runs on if pinned.
#[derive(Debug, Clone)]
pub struct NidoBinary {
    program: PathBuf,
    core: Option<usize>,
}

/// A started server: the child, the `host:port` it listens on and the log lines kept.
pub struct RunningNido {
    pub child: Child,
    pub addr: String,
    pub log: LogLines,
}

impl NidoBinary {
    pub fn new(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            core: None,
        }
    }

    /// Runs the server on this CPU core only (`taskset`), if one is given.
    pub fn pinned_to(mut self, core: Option<usize>) -> Self {
        self.core = core;
        self
    }

    /// `nido-server --data-dir DATA_DIR`, killed when dropped.
    pub fn command(&self, data_dir: &Path) -> Command {
        let mut command = pinned(&self.program, self.core);
        command.arg("--data-dir").arg(data_dir).env("NO_COLOR", "1");
        command
    }

    /// Runs `nido-server admin create NAME`, giving it [`PASSWORD`] on standard input.
    pub async fn create_admin(&self, data_dir: &Path, name: &str) -> anyhow::Result<()> {
        self.create_admin_with(data_dir, &[], name).await
    }

    /// The same, with these options before the command (`--database URL`).
    pub async fn create_admin_with(
        &self,
        data_dir: &Path,
        options: &[&str],
        name: &str,
    ) -> anyhow::Result<()> {
        let mut create = self
            .command(data_dir)
            .args(options)
            .args(["admin", "create", name])
            .stdin(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot run nido-server admin create")?;
        let mut stdin = create.stdin.take().context("stdin")?;
        stdin.write_all(format!("{PASSWORD}\n").as_bytes()).await?;
        drop(stdin);
        if !create.wait().await?.success() {
            bail!("nido-server admin create failed");
        }
        Ok(())
    }

    /// Starts the server with these extra `options`, and waits for the address it logs; of
    /// its log, keeps up to `limit` lines that `keep` accepts.
    pub async fn start(
        &self,
        data_dir: &Path,
        options: &[&str],
        limit: usize,
        keep: impl Fn(&str) -> bool + Send + 'static,
    ) -> anyhow::Result<RunningNido> {
        let mut child = self
            .command(data_dir)
            .args(options)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start nido-server")?;
        let mut lines = BufReader::new(child.stderr.take().context("stderr")?).lines();
        let log = LogLines::default();
        let addr = wait_for_line(&mut lines, START_PATIENCE, |line| {
            if keep(line) {
                log.push_within(line.to_owned(), limit);
            }
            listening_address(line)
        })
        .await
        .context("nido-server did not start")?;
        log.keep_reading(lines, limit, keep);
        Ok(RunningNido { child, addr, log })
    }
}

/// The `host:port` in the line that says where the server listens (over http or https),
/// plain or JSON.
fn listening_address(line: &str) -> Option<String> {
    let (_, after) = line.split_once("Nido is running at ")?;
    let after = after
        .strip_prefix("http://")
        .or_else(|| after.strip_prefix("https://"))?;
    let end = after
        .find(|c: char| !(c.is_ascii_alphanumeric() || ".:[]".contains(c)))
        .unwrap_or(after.len());
    Some(after[..end].to_owned())
}

/// `program`, on CPU `core` only if one is given, killed when dropped.
pub fn pinned(program: impl AsRef<OsStr>, core: Option<usize>) -> Command {
    let mut command = match core {
        Some(core) => {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", &core.to_string()]).arg(program);
            taskset
        }
        None => Command::new(program),
    };
    command.kill_on_drop(true);
    command
}
