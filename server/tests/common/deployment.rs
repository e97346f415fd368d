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

/// The key of the camera these tests stream with.
pub const CAMERA_KEY: &str = "camera-key-sala-1-0001";

/// A camera with this key (a camera page's secret) streaming to `sala-1` from node `node`,
/// as the admin.
pub async fn camera_on(deployment: &Deployment, node: usize, key: &str) -> TestClient {
    let mut camera = connect(deployment, node, &deployment.admin).await;
    camera
        .join("sala-1", nido_shared::Role::Camera, Some(key))
        .await;
    camera
}

/// The admin's camera on `node`, sending VP8 chunks, welcomed.
pub async fn vp8_camera_on(deployment: &Deployment, node: usize) -> TestClient {
    let mut camera = connect(deployment, node, &deployment.admin).await;
    camera
        .send_join_with_video(
            "sala-1",
            nido_shared::Role::Camera,
            Some(CAMERA_KEY),
            Vec::new(),
            Some(nido_shared::VideoCodec::Vp8),
        )
        .await;
    camera.welcome().await;
    camera
}

/// The admin watching on `node` with a browser that decodes VP8, welcomed.
pub async fn vp8_viewer_on(deployment: &Deployment, node: usize) -> TestClient {
    let mut viewer = connect(deployment, node, &deployment.admin).await;
    viewer
        .send_join_with_video(
            "sala-1",
            nido_shared::Role::Viewer,
            None,
            vec![nido_shared::VideoCodec::Vp8],
            None,
        )
        .await;
    viewer.welcome().await;
    viewer
}
