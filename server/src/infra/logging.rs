//! Structured logs with `tracing` on standard error: readable lines, or one JSON object per
//! line (`--log-format json`).
//!
//! What is logged never includes passwords, session or invite tokens, or chat text: events
//! name people by username and rooms by id, and errors by their kind.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::infra::config::LogFormat;

/// Installs the global subscriber; a bad `--log` filter falls back to `info`, with a warning.
pub fn init(format: LogFormat, filter: &str) {
    let (filter, bad_filter) = match EnvFilter::try_new(filter) {
        Ok(filter) => (filter, None),
        Err(error) => (EnvFilter::new("info"), Some(error)),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match format {
        LogFormat::Human => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
    if let Some(error) = bad_filter {
        tracing::warn!(%error, "the --log filter is not valid; logging at info");
    }
}
