//! Connection lifetimes: shutdown closes everyone with 1001, dead connections are reaped.

mod common;

use common::*;
use nido_shared::Role;

#[tokio::test]
async fn shutdown_closes_every_client_with_1001_and_the_server_returns() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut other = server.join("sala-2", Role::Viewer, "Eva").await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    viewer.next_frame().await;

    server.state.shutdown.cancel();
    for client in [&mut camera, &mut viewer, &mut other] {
        client.expect_close(1001).await;
    }
    let finished = tokio::time::timeout(PATIENCE, server.task).await;
    finished.expect("serve returned in time").unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(server.addr).await.is_err(),
        "no longer accepting connections"
    );
}

#[tokio::test]
async fn a_connection_that_never_answers_pings_is_reaped() {
    let server = TestServer::start_with(|c| {
        c.ping_interval_secs = 1;
        c.idle_timeout_secs = 2;
    })
    .await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    // Joined, then silent: it never reads, so it never answers a ping.
    let _dead = server.join("sala-1", Role::Viewer, "Fantasma").await;
    camera.presence_where(|p| p.viewer_count == 1).await;

    // The camera reads (and so answers pings) the whole time; it must outlive the dead one.
    camera.presence_where(|p| p.viewer_count == 0).await;
    assert_eq!(
        server.state.hub.room_count(),
        1,
        "the camera's room is still there"
    );
}
