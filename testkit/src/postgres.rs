//! Fresh databases on the tests' PostgreSQL server (`NIDO_TEST_POSTGRES`, an admin URL to
//! the server that `scripts/test.sh` starts): each test makes one of its own; and a server
//! of a test's own, for the test that restarts it.

use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

/// A new, empty database named after `purpose` on the tests' server; its URL.
pub async fn fresh_database(purpose: &str) -> String {
    let url = std::env::var("NIDO_TEST_POSTGRES").expect(
        "NIDO_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL",
    );
    fresh_database_on(&url, purpose).await
}

/// A new, empty database named after `purpose` on the server of this admin URL; its URL.
pub async fn fresh_database_on(url: &str, purpose: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = PgConnectOptions::from_str(url).expect("a postgres:// URL");
    let name = format!(
        "nido_{purpose}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut connection = PgConnection::connect_with(&admin)
        .await
        .expect("PostgreSQL answers");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .expect("a test database");
    let (base, _) = url.rsplit_once('/').expect("the URL names a database");
    format!("{base}/{name}")
}

/// A PostgreSQL server of one test's own, on a loopback port it keeps across a restart, so
/// that the test can stop and start it as an outage would; stopped and deleted when dropped.
/// Run as the `postgres` user when the tests run as root (PostgreSQL refuses root).
pub struct PrivateServer {
    bin: std::path::PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateServer {
    /// Makes a fresh cluster and starts it.
    pub async fn start() -> anyhow::Result<Self> {
        use anyhow::Context;
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .context("PostgreSQL is installed (scripts/setup.sh --test)")?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("postgres").is_file())
            .max()
            .context("a PostgreSQL server binary")?;
        let dir = tempfile::Builder::new()
            .prefix("nido-private-postgres")
            .tempdir()?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = Self { bin, dir, port };
        if rustix::process::geteuid().is_root() {
            let owner = tokio::process::Command::new("chown")
                .arg("postgres")
                .arg(server.dir.path())
                .status()
                .await?;
            anyhow::ensure!(owner.success(), "chown postgres failed");
        }
        let data = server.data().display().to_string();
        server
            .run("initdb", &["-D", &data, "-A", "trust", "-U", "postgres"])
            .await?;
        server.start_again().await?;
        Ok(server)
    }

    /// The admin URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once (`pg_ctl stop -m immediate`), as a crash would.
    pub async fn stop(&self) -> anyhow::Result<()> {
        let data = self.data().display().to_string();
        self.run(
            "pg_ctl",
            &["-D", &data, "-m", "immediate", "-w", "-s", "stop"],
        )
        .await
    }

    /// Starts the server (again) on its port, and waits until it accepts connections.
    pub async fn start_again(&self) -> anyhow::Result<()> {
        let data = self.data().display().to_string();
        let log = self.dir.path().join("server.log").display().to_string();
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &["-D", &data, "-l", &log, "-o", &options, "-w", "-s", "start"],
        )
        .await
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    /// One of PostgreSQL's programs, as its own user when this is root.
    fn command(&self, program: &str) -> std::process::Command {
        let program = self.bin.join(program);
        if rustix::process::geteuid().is_root() {
            let mut command = std::process::Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            std::process::Command::new(program)
        }
    }

    async fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let mut command = tokio::process::Command::from(self.command(program));
        let output = command.args(args).output().await?;
        anyhow::ensure!(
            output.status.success(),
            "{program} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Ok(())
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        let _ = self
            .command("pg_ctl")
            .args(["-D", &data, "-m", "immediate", "-s", "stop"])
            .output();
    }
}
