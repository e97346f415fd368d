//! The one source of configuration: command-line options, each also read from an
//! environment variable, over an optional TOML file (`--config`); and the commands.
//!
//! A setting on the command line wins over its environment variable, which wins over the
//! file, which wins over the default.

mod backplane;
mod database;
mod file;

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use ipnet::IpNet;
use nido_shared::limits::DEFAULT_MAX_FRAME_BYTES;

use crate::store::Location;

pub use backplane::BackplaneUrl;
pub use database::DatabaseUrl;

/// Nido: a live classroom camera and chat for a daycare.
///
/// Every option can also be set by its environment variable or in a TOML file given with
/// `--config` (keys are the options' long names: `listen = "0.0.0.0:8443"`,
/// `tls-self-signed = true`, `allowed-origin = ["https://a.example"]`).
#[derive(Debug, Clone, Parser)]
#[command(name = "nido-server", version = version(), about)]
pub struct Cli {
    /// A TOML file of settings; the command line and environment variables override it.
    #[arg(long = "config", env = "NIDO_CONFIG", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Reads the process's command line, environment and config file; exits with clap's
    /// message (or the help) when they are not valid.
    pub fn load() -> Self {
        Self::try_load_from(std::env::args_os()).unwrap_or_else(|error| error.exit())
    }

    pub fn try_load_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
        let mut command = Self::command();
        // A first look only for the file; every problem is reported by the real parse.
        let file = Self::command()
            .ignore_errors(true)
            .try_get_matches_from(&args)
            .ok()
            .and_then(|found| found.get_one::<PathBuf>("config_file").cloned());
        if let Some(file) = file {
            command = file::apply_as_defaults(command, &file)?;
        }
        let mut matches = command.try_get_matches_from(args)?;
        Self::from_arg_matches_mut(&mut matches)
    }
}

/// `--version`: the version, and whether the browser app is built in.
fn version() -> &'static str {
    if crate::http::static_files::EMBEDDED {
        concat!(env!("CARGO_PKG_VERSION"), " (browser app built in)")
    } else {
        concat!(
            env!("CARGO_PKG_VERSION"),
            " (browser app served from --dist)"
        )
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Manage administrator accounts (without the server running).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Writes a consistent copy of the database to FILE, also while Nido is running.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: PathBuf,
    },
    /// Copies everything in `--data-dir`'s SQLite database (accounts, rooms, invites,
    /// chat with its numbers, the audit log) into the new, empty PostgreSQL database named
    /// by `--database`. Stop Nido first.
    MigrateToPostgres,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
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

    /// Serve the browser app from this directory (trunk's output), for development.
    /// Without it: the app built into this binary, or else `./dist`.
    #[arg(long, env = "NIDO_DIST")]
    pub dist: Option<PathBuf>,

    /// Directory for Nido's data: the database `nido.db` (unless `--database` is given)
    /// and the self-signed certificate's files.
    #[arg(long, env = "NIDO_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Keep the data in this PostgreSQL database instead of the embedded SQLite, as
    /// `postgres://USER:PASSWORD@HOST/DATABASE` (migrated at start, like SQLite): the
    /// database that several Nido nodes of one deployment share.
    #[arg(long, env = "NIDO_DATABASE", hide_env_values = true)]
    pub database: Option<DatabaseUrl>,

    /// Join the other nodes of this deployment through this NATS server, as
    /// `nats://[USER:PASSWORD@]HOST:PORT` (several separated by commas): video, chat and
    /// presence then cross nodes, and any node takes any connection. Needs `--database`.
    #[arg(long, env = "NIDO_BACKPLANE", hide_env_values = true)]
    pub backplane: Option<BackplaneUrl>,

    /// Time zone that rooms' viewing hours are read in, as an IANA name such as
    /// `Europe/Madrid`; the system's own by default.
    #[arg(long, env = "NIDO_TIME_ZONE")]
    pub time_zone: Option<String>,

    /// Days a login lasts without being used; each use extends it.
    #[arg(long, env = "NIDO_SESSION_DAYS", default_value_t = 14,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_days: u32,

    /// Days a login lasts at most, however often it is used; then its person logs in again.
    #[arg(long, env = "NIDO_SESSION_MAX_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u32).range(1..=365))]
    pub session_max_days: u32,

    /// The address families and staff open Nido at, as `https://nido.example.org` (or with
    /// a port): invite links point there, and its host name is one Nido answers to. Without
    /// it, links use the address the admin's browser used.
    #[arg(long, env = "NIDO_PUBLIC_URL")]
    pub public_url: Option<PublicUrl>,

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

    /// Serve https with this certificate chain (PEM), for example one the daycare's
    /// network already trusts. Needs `--tls-key`.
    #[arg(
        long,
        env = "NIDO_TLS_CERT",
        requires = "tls_key",
        conflicts_with = "tls_self_signed"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of `--tls-cert`.
    #[arg(long, env = "NIDO_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve https with a certificate Nido makes for this machine's names and addresses,
    /// signed by a local authority it keeps in the data directory. It prints how to make a
    /// tablet or phone trust it, once.
    #[arg(long, env = "NIDO_TLS_SELF_SIGNED")]
    pub tls_self_signed: bool,

    /// More host names or addresses the self-signed certificate should cover, besides the
    /// ones found on this machine. Repeat the option or separate them with commas.
    #[arg(
        long,
        env = "NIDO_TLS_HOST",
        value_delimiter = ',',
        requires = "tls_self_signed"
    )]
    pub tls_host: Vec<String>,

    /// Allow plain http on an address other than loopback. Passwords, chat and the
    /// children's video then cross the network unencrypted: use it only on a network you
    /// control for a test, or when something else encrypts the link.
    #[arg(long, env = "NIDO_INSECURE_HTTP")]
    pub insecure_http: bool,

    /// Also listen on this address for plain http, only to redirect every request to https
    /// (for example `0.0.0.0:80`). Needs `--tls-cert` or `--tls-self-signed`.
    #[arg(long, env = "NIDO_HTTP_REDIRECT")]
    pub http_redirect: Option<SocketAddr>,

    /// Addresses (or networks, as `10.0.0.0/8`) allowed to read `/metrics`. Repeat the
    /// option or separate them with commas.
    #[arg(long, env = "NIDO_METRICS_ALLOW", value_delimiter = ',',
          default_value = "127.0.0.0/8,::1/128", value_parser = parse_network)]
    pub metrics_allow: Vec<IpNet>,

    /// A secret that also lets a client read `/metrics` from anywhere, sent as
    /// `Authorization: Bearer TOKEN`.
    #[arg(long, env = "NIDO_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,

    /// How log lines are written to standard error.
    #[arg(long, env = "NIDO_LOG_FORMAT", value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,

    /// Which events are logged: a level (`info`, `debug`) or `tracing` directives such as
    /// `info,nido_server::session=debug`.
    #[arg(long, env = "NIDO_LOG", default_value = "info,memory_serve=warn")]
    pub log: String,

    /// WebSockets one account may have open at once (a family's phones, tablets and
    /// laptops, a caregiver's camera and viewer tabs); past it a new one is refused with
    /// `too_many_connections`.
    #[arg(long, env = "NIDO_MAX_SOCKETS_PER_ACCOUNT", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_sockets_per_account: u32,

    /// Seconds a client may take to send a request's headers before its connection is
    /// closed.
    #[arg(long, env = "NIDO_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,

    /// Seconds without any message (pongs included) after which a connection is closed.
    #[arg(long, env = "NIDO_IDLE_TIMEOUT_SECS", default_value_t = 45,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,
}

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// `--public-url`: an http or https address without a path, kept without a final `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    /// `https://nido.example.org` or `https://nido.example.org:8443`.
    pub origin: String,
    /// The host name (or address) alone, lowercase.
    pub host: String,
}

impl std::str::FromStr for PublicUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let wrong = || format!("{text:?} is not an address such as https://nido.example.org");
        let uri: axum::http::Uri = text.trim_end_matches('/').parse().map_err(|_| wrong())?;
        let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
        let no_path = uri.path_and_query().is_none_or(|p| p.as_str() == "/");
        let authority = uri
            .authority()
            .filter(|_| scheme_ok && no_path)
            .ok_or_else(wrong)?;
        Ok(Self {
            origin: format!("{}://{}", uri.scheme_str().unwrap_or("https"), authority)
                .to_ascii_lowercase(),
            host: authority
                .host()
                .trim_matches(['[', ']'])
                .to_ascii_lowercase(),
        })
    }
}

/// A network (`10.0.0.0/8`) or a single address (`192.168.1.5`).
fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("{text:?} is not an address or a network such as 10.0.0.0/8"))
}

impl Config {
    /// The defaults, as if started with no options: for tests and embedding.
    pub fn with_defaults() -> Self {
        Cli::parse_from(["nido-server"]).config
    }

    /// Where the store keeps the data: `--database`, or else SQLite in `--data-dir`.
    pub fn store_location(&self) -> Location<'_> {
        match &self.database {
            Some(url) => Location::Postgres(url.options()),
            None => Location::Sqlite(&self.data_dir),
        }
    }

    /// How long a login lasts without being used.
    pub fn session_lifetime(&self) -> Duration {
        DAY * self.session_days
    }

    /// How long a login lasts at most, from when it began.
    pub fn session_max_lifetime(&self) -> Duration {
        DAY * self.session_max_days
    }

    pub fn ping_interval(&self) -> Duration {
        Duration::from_secs(self.ping_interval_secs)
    }

    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
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
        assert_eq!(config.dist, None);
        assert!(!config.tls_self_signed);
        assert_eq!(
            config.metrics_allow,
            [
                "127.0.0.0/8".parse::<IpNet>().unwrap(),
                "::1/128".parse().unwrap()
            ]
        );
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

    fn with_file(toml: &str, args: &[&str]) -> Result<Cli, clap::Error> {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("nido.toml");
        std::fs::write(&file, toml).unwrap();
        let file = file.to_str().unwrap().to_owned();
        let mut all = vec!["nido-server", "--config", &file];
        all.extend_from_slice(args);
        Cli::try_load_from(all)
    }

    #[test]
    fn the_file_sets_what_the_command_line_does_not() {
        let cli = with_file(
            "listen = \"0.0.0.0:8443\"\nsession-days = 30\ntls-self-signed = true\n\
             tls-host = [\"nido.test\", \"192.168.1.20\"]\nlog-format = \"json\"\n",
            &["--session-days", "7"],
        )
        .unwrap();
        let config = cli.config;
        assert_eq!(config.listen, "0.0.0.0:8443".parse().unwrap());
        assert_eq!(config.session_days, 7, "the command line wins");
        assert!(config.tls_self_signed);
        assert_eq!(config.tls_host, ["nido.test", "192.168.1.20"]);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(
            config.ping_interval_secs, 15,
            "untouched settings keep their defaults"
        );
    }

    #[test]
    fn the_file_is_checked_like_the_command_line() {
        let unknown = with_file("lisen = \"0.0.0.0:80\"\n", &[]).unwrap_err();
        assert!(
            unknown.to_string().contains("unknown setting \"lisen\""),
            "{unknown}"
        );
        let out_of_range = with_file("session-days = 0\n", &[]).unwrap_err();
        assert!(
            out_of_range.to_string().contains("session-days"),
            "{out_of_range}"
        );
        let not_toml = with_file("listen = \n", &[]).unwrap_err();
        assert!(
            not_toml.to_string().contains("not valid TOML"),
            "{not_toml}"
        );
        let table = with_file("[listen]\nport = 1\n", &[]).unwrap_err();
        assert!(table.to_string().contains("must be a string"), "{table}");
    }

    #[test]
    fn a_missing_file_is_an_error() {
        let error =
            Cli::try_load_from(["nido-server", "--config", "/no/such/nido.toml"]).unwrap_err();
        assert!(error.to_string().contains("cannot read it"), "{error}");
    }

    #[test]
    fn metrics_addresses_take_networks_and_single_addresses() {
        let config =
            Cli::parse_from(["nido-server", "--metrics-allow", "10.0.0.0/8,192.168.1.5"]).config;
        assert_eq!(
            config.metrics_allow,
            [
                "10.0.0.0/8".parse::<IpNet>().unwrap(),
                "192.168.1.5/32".parse().unwrap()
            ]
        );
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
