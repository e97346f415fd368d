//! A real NATS server for the multi-node tests, on a loopback port of its own that it keeps
//! across a restart (as a restarted production server would), with its monitoring port for
//! the tests to read its counters. Killed when dropped.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// How long the server may take to accept connections.
const START_PATIENCE: Duration = Duration::from_secs(10);

pub struct NatsServer {
    program: PathBuf,
    port: u16,
    monitor_port: u16,
    config: tempfile::NamedTempFile,
    child: Option<Child>,
}

impl NatsServer {
    /// Starts `NIDO_TEST_NATS_SERVER` (which `scripts/setup.sh --test` installs), or else
    /// the `nats-server` on PATH.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with_max_payload("1MB").await
    }

    /// The same, carrying at most `max_payload` (`"1MB"`, `"256KB"`) per message.
    pub async fn start_with_max_payload(max_payload: &str) -> anyhow::Result<Self> {
        let program = std::env::var_os("NIDO_TEST_NATS_SERVER")
            .map_or_else(|| PathBuf::from("nats-server"), PathBuf::from);
        let mut config = tempfile::NamedTempFile::new()?;
        // Production-like limits: a stuck node is cut after 2 s.
        let settings =
            format!("max_payload: {max_payload}\nwrite_deadline: \"2s\"\nping_interval: \"5s\"\n");
        std::io::Write::write_all(&mut config, settings.as_bytes())?;
        let mut server = Self {
            program,
            port: free_port()?,
            monitor_port: free_port()?,
            config,
            child: None,
        };
        server.start_again().await?;
        Ok(server)
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }

    /// Starts the server (again) on the same port.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        let mut command = Command::new(&self.program);
        command
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-m", &self.monitor_port.to_string(), "-c"])
            .arg(self.config.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        let child = command.spawn().with_context(|| {
            format!(
                "cannot run {}: run the tests with scripts/test.sh, which installs it",
                self.program.display()
            )
        })?;
        self.child = Some(child);
        let started = tokio::time::Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            if started.elapsed() > START_PATIENCE {
                bail!("nats-server did not start on port {}", self.port);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// One of the server's monitoring pages (`/varz`, `/connz?subs=1`…), as JSON.
    pub async fn monitor(&self, page: &str) -> anyhow::Result<serde_json::Value> {
        let url = format!("http://127.0.0.1:{}{page}", self.monitor_port);
        Ok(reqwest::get(url).await?.json().await?)
    }
}

/// A loopback port free at this moment.
fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
