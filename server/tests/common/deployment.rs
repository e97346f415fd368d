//! The multi-node deployment of the shared harness (`nido_testkit::deployment`), started
//! from this crate's `nido-server`, and the WebSockets of these tests to its nodes.

pub use nido_testkit::deployment::{Deployment, room};

use super::{TestClient, nido_binary};

/// Starts `count` nodes of this crate's binary, each with these extra options.
pub async fn start(count: usize, options: &[&str]) -> Deployment {
    Deployment::start(nido_binary(), count, options).await
}

/// A WebSocket to node `index` with `cookie`'s session.
pub async fn connect(deployment: &Deployment, index: usize, cookie: &str) -> TestClient {
    TestClient::connect(&format!("ws://{}/ws", deployment.addr(index)), Some(cookie)).await
}

/// Waits until the viewer's node knows that the room's camera (on any node) is live: the
/// node then has the room's subscriptions, and frames sent from now on reach the viewer.
pub async fn sees_camera_live(viewer: &mut TestClient) {
    viewer
        .presence_where(|p| p.camera == nido_shared::CameraStatus::Live)
        .await;
}
