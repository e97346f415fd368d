//! What the server runs on: its configuration, TLS, the clock, logs, metrics, files only its
//! own user may read, and the one way it locks a mutex.

pub mod clock;
pub mod config;
pub mod logging;
pub(crate) mod metrics;
pub(crate) mod mutex;
pub mod private_files;
pub mod tls;
