//! `AppState`: everything a request handler or a connection needs, cheap to clone.

use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::hub::Hub;
use crate::origin::OriginPolicy;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub hub: Hub,
    pub origins: Arc<OriginPolicy>,
    /// Cancelled when the server starts shutting down.
    pub shutdown: CancellationToken,
    /// Every open WebSocket connection, so that shutdown can wait for them to close.
    pub connections: TaskTracker,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        Self {
            origins: Arc::new(OriginPolicy::new(&config.allowed_origin)),
            config: Arc::new(config),
            hub: Hub::default(),
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
        }
    }
}
