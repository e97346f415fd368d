//! The command line: the server's options (each also read from an environment variable)
//! and the `admin` commands.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use nido_shared::limits::DEFAULT_MAX_FRAME_BYTES;

/// Nido: a live classroom camera and chat for a daycare.
#[derive(Debug, Clone, Parser)]
#[command(name = "nido-server", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Manage administrator accounts (without the server running).
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Creates an administrator named NAME; reads the password from standard input.
    Create {
        /// The login name: 3 to 32 letters, digits, '.', '_' or '-'.
        name: String,
    },
}

/// The server's options.
#[derive(Debug, Clone, Args)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "NIDO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory with the built browser app (trunk's output).
    #[arg(long, env = "NIDO_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Directory for Nido's data: the database `nido.db`.
    #[arg(long, env = "NIDO_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Time zone that rooms' viewing hours are read in, as an IANA name such as
    /// `Europe/Madrid`; the system's own by default.
    #[arg(long, env = "NIDO_TIME_ZONE")]
    pub time_zone: Option<String>,

    /// Days a login lasts without being used; each use extends it.
    #[arg(long, env = "NIDO_SESSION_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_days: u32,

    /// Chat messages one person may send in 10 seconds.
    #[arg(long, env = "NIDO_CHAT_PER_10S", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub chat_per_10s: u32,

    /// Days chat messages are kept; without it, they are kept until deleted.
    #[arg(long, env = "NIDO_CHAT_RETENTION_DAYS",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub chat_retention_days: Option<u32>,

    /// Addresses of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto`
    /// headers are believed. Repeat the option or separate them with commas.
    #[arg(long, env = "NIDO_TRUSTED_PROXY", value_delimiter = ',')]
    pub trusted_proxy: Vec<IpAddr>,

    /// Largest JPEG a camera may send, in bytes (the 24-byte frame header not counted).
    #[arg(long, env = "NIDO_MAX_FRAME_BYTES", default_value_t = DEFAULT_MAX_FRAME_BYTES,
          value_parser = clap::value_parser!(usize))]
    pub max_frame_bytes: usize,

    /// Extra page origins allowed to open the WebSocket, besides the server's own
    /// (for example `http://127.0.0.1:8081` for `trunk serve`). Repeat the option or
    /// separate them with commas.
    #[arg(long, env = "NIDO_ALLOWED_ORIGIN", value_delimiter = ',')]
    pub allowed_origin: Vec<String>,

    /// Seconds between the server's WebSocket pings.
    #[arg(long, env = "NIDO_PING_INTERVAL_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ping_interval_secs: u64,

    /// Seconds without any message (pongs included) after which a connection is closed.
    #[arg(long, env = "NIDO_IDLE_TIMEOUT_SECS", default_value_t = 45,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
}

impl Config {
    /// The defaults, as if started with no options: for tests and embedding.
    pub fn with_defaults() -> Self {
        Cli::parse_from(["nido-server"]).config
    }

    pub fn session_lifetime_us(&self) -> i64 {
        i64::from(self.session_days) * 24 * 60 * 60 * 1_000_000
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documentation() {
        let config = Config::with_defaults();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.max_frame_bytes, 512 * 1024);
        assert!(config.allowed_origin.is_empty());
        assert_eq!(config.session_days, 14);
        assert!(config.trusted_proxy.is_empty());
    }

    #[test]
    fn admin_create_takes_a_name() {
        let cli = Cli::parse_from(["nido-server", "--data-dir", "d", "admin", "create", "ana"]);
        assert_eq!(cli.config.data_dir, PathBuf::from("d"));
        assert!(matches!(
            cli.command,
            Some(Command::Admin(AdminCommand::Create { name })) if name == "ana"
        ));
    }

    #[test]
    fn origins_can_be_comma_separated() {
        let config = Cli::parse_from([
            "nido-server",
            "--allowed-origin",
            "http://a.test,https://b.test",
        ])
        .config;
        assert_eq!(config.allowed_origin, ["http://a.test", "https://b.test"]);
    }
}
