//! A viewer that stops reading for a while (a phone whose network drops) is current again as
//! soon as it reads: the server holds about a second of video for it, not the megabytes the
//! kernel's send buffer grows to by itself.

mod common;

use std::time::Duration;

use common::*;
use nido_shared::{Role, UserRole};
use tokio::net::TcpSocket;
use tokio_tungstenite::MaybeTlsStream;

/// 40 kB frames at 25 a second: a megabyte of video a second.
const FRAME_BYTES: usize = 40_000;
const FRAME_EVERY: Duration = Duration::from_millis(40);
const BYTES_PER_SECOND: usize = 1_000_000;
/// Longer than it takes the kernel's own buffers (up to 4 MB) to fill at that rate.
const STALL: Duration = Duration::from_secs(6);

#[tokio::test]
async fn a_viewer_that_resumes_after_a_stall_gets_at_most_a_second_of_old_video() {
    let server = TestServer::start().await;
    let family = server
        .person(UserRole::Family, "Dormida", &["sala-1"])
        .await;
    let mut stalled = connect_with_tiny_receive_buffer(&server, &family).await;
    stalled.join("sala-1", Role::Viewer, None).await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;

    // The camera streams the whole time; the viewer reads nothing while it does.
    let mut schedule = tokio::time::interval(FRAME_EVERY);
    let mut sequence = 0;
    let stall_ends = tokio::time::Instant::now() + STALL;
    while tokio::time::Instant::now() < stall_ends {
        schedule.tick().await;
        sequence += 1;
        camera
            .send_binary(frame(sequence, &jpeg(sequence, FRAME_BYTES)))
            .await;
    }
    let last_before_resuming = sequence;

    // Reading again, while the camera goes on: what was sent before it resumed is old.
    let mut old_bytes = 0;
    let first_fresh = loop {
        tokio::select! {
            received = stalled.next_frame() => {
                if sequence_of(&received) > last_before_resuming {
                    break sequence_of(&received);
                }
                old_bytes += received.len();
            }
            _ = schedule.tick() => {
                sequence += 1;
                camera.send_binary(frame(sequence, &jpeg(sequence, FRAME_BYTES))).await;
            }
        }
    };
    // A second of video in the socket, the frame the server was writing when the viewer
    // stopped, and the little its own receive buffer took.
    let allowed = BYTES_PER_SECOND + 2 * FRAME_BYTES + 64 * 1024;
    assert!(
        old_bytes <= allowed,
        "{old_bytes} bytes of old video arrived after resuming (at most {allowed})"
    );
    assert!(first_fresh > last_before_resuming);
}

/// A connection whose own receive buffer is as small as the kernel allows, so what arrives
/// after a stall is what the server held back, not what this side had already taken in.
async fn connect_with_tiny_receive_buffer(server: &TestServer, account: &Account) -> TestClient {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(server.addr).await.unwrap();
    let request = upgrade_request(&server.ws_url(), Some(&account.cookie));
    let (socket, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(stream))
        .await
        .expect("WebSocket connects");
    TestClient { socket }
}
