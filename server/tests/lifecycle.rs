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
    let finished = tokio::time::timeout(PATIENCE, server.stop()).await;
    let stopped = finished.expect("serve returned in time").unwrap();
    assert!(
        tokio::net::TcpStream::connect(stopped.addr).await.is_err(),
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

#[tokio::test]
async fn a_clients_pings_are_answered_between_frames_and_its_close_is_returned() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    camera.send_binary(frame(1, &jpeg(1, 2_000))).await;
    viewer
        .wait_for(|r| matches!(r, Received::Frame(_)).then_some(()))
        .await;

    // Pings go out while frames keep coming (latest first, so some may be skipped); each
    // ping is answered with its own payload.
    for n in 0..3u8 {
        viewer
            .socket
            .send(Message::Ping(vec![n; 4].into()))
            .await
            .unwrap();
        camera
            .send_binary(frame(2 + u64::from(n), &jpeg(2, 2_000)))
            .await;
    }
    let mut pongs = Vec::new();
    let mut frames = 0;
    while pongs.len() < 3 || frames == 0 {
        let message = tokio::time::timeout(PATIENCE, viewer.socket.next())
            .await
            .unwrap();
        match message.unwrap().unwrap() {
            Message::Pong(payload) => pongs.push(payload.to_vec()),
            Message::Binary(_) => frames += 1,
            _ => {}
        }
    }
    assert_eq!(pongs, (0..3u8).map(|n| vec![n; 4]).collect::<Vec<_>>());

    // The client closes; the server returns the close and ends the connection.
    let close = CloseFrame {
        code: CloseCode::Normal,
        reason: "adiós".into(),
    };
    viewer
        .socket
        .send(Message::Close(Some(close)))
        .await
        .unwrap();
    viewer.expect_close(1000).await;
    let after = tokio::time::timeout(PATIENCE, viewer.socket.next())
        .await
        .unwrap();
    assert!(
        matches!(after, None | Some(Err(_))),
        "nothing after the close: {after:?}"
    );
}

#[tokio::test]
async fn a_viewer_cut_off_mid_frame_still_gets_whole_frames_and_then_1001() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    // The viewer stops reading while 20 MB of frames arrive over a second, more than the
    // socket buffers on both sides hold, so its writer ends up waiting mid-frame.
    for sequence in 1..=50 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 400_000)))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // Shutdown interrupts that send; the rest of the frame must still precede the close.
    server.state.shutdown.cancel();
    let mut frames = 0;
    loop {
        match viewer.next().await {
            Received::Frame(bytes) => {
                assert_eq!(
                    bytes.len(),
                    nido_shared::FRAME_HEADER_LEN + 400_000,
                    "a whole frame"
                );
                frames += 1;
            }
            Received::Json(_) => {}
            Received::Closed(code) => {
                assert_eq!(code, Some(1001), "a clean close after {frames} frames");
                break;
            }
        }
    }
    assert!(frames > 0);
}
