//! The server's configuration: command-line options, each also read from an environment variable.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use nido_shared::limits::DEFAULT_MAX_FRAME_BYTES;

/// Nido: a live classroom camera and chat for a daycare.
#[derive(Debug, Clone, Parser)]
#[command(name = "nido-server", version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "NIDO_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Directory with the built browser app (trunk's output).
    #[arg(long, env = "NIDO_DIST", default_value = "dist")]
    pub dist: PathBuf,

    /// Directory for Nido's data (used by storage in later versions).
    #[arg(long, env = "NIDO_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

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
        Self::parse_from(["nido-server"])
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
    }

    #[test]
    fn origins_can_be_comma_separated() {
        let config = Config::parse_from([
            "nido-server",
            "--allowed-origin",
            "http://a.test,https://b.test",
        ]);
        assert_eq!(config.allowed_origin, ["http://a.test", "https://b.test"]);
    }
}
