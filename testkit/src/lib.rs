//! The one harness of Nido's server tests, end-to-end tests and benchmark: each piece is
//! written once here, and everything it starts is stopped when its handle is dropped, also
//! when a test fails or panics.

pub mod api;
pub mod deployment;
pub mod frames;
pub mod in_process;
pub mod log_lines;
pub mod nats;
pub mod nido_process;
pub mod postgres;
pub mod proc_stats;
pub mod process_group;
pub mod wait;

pub use api::{Api, session_cookie, upgrade_request};
pub use in_process::InProcessServer;
pub use nats::NatsServer;
pub use nido_process::{NidoBinary, RunningNido};
pub use process_group::ProcessGroup;
pub use wait::eventually;

/// Every account's password in tests and benchmarks.
pub const PASSWORD: &str = "correct horse battery";

/// The daycare's time zone in tests.
pub const TIME_ZONE: &str = "Europe/Madrid";
