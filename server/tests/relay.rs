//! Video relay: frames reach viewers whole and in order, latest-frame-wins, camera state.

mod common;

use common::*;
use nido_shared::{CameraStatus, ErrorCode, Role, UserRole};

#[tokio::test]
async fn frames_reach_three_viewers_byte_identical_and_in_order() {
    let server = TestServer::start().await;
    let mut viewers = Vec::new();
    for name in ["Ana", "Bea", "Caro"] {
        viewers.push(server.join("sala-1", Role::Viewer, name).await);
    }
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;

    // In lock-step, so that latest-frame-wins never has a reason to skip one.
    for sequence in 1..=30 {
        let sent = frame(sequence, &jpeg(sequence, 2_000 + sequence as usize * 97));
        camera.send_binary(sent.clone()).await;
        for viewer in &mut viewers {
            assert_eq!(viewer.next_frame().await, sent);
        }
    }
}

#[tokio::test]
async fn a_burst_arrives_in_order_and_ends_with_the_newest_frame() {
    let server = TestServer::start().await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let sent: Vec<_> = (1..=50).map(|s| frame(s, &jpeg(s, 20_000))).collect();
    for bytes in &sent {
        camera.send_binary(bytes.clone()).await;
    }
    let mut last = 0;
    while last < 50 {
        let received = viewer.next_frame().await;
        let sequence = sequence_of(&received);
        assert!(sequence > last, "frame {sequence} after {last}");
        assert_eq!(received, sent[sequence as usize - 1]);
        last = sequence;
    }
}

#[tokio::test]
async fn a_late_viewer_gets_the_latest_frame_at_once() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut early = server.join("sala-1", Role::Viewer, "Ana").await;
    for sequence in 1..=3 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 500)))
            .await;
    }
    while sequence_of(&early.next_frame().await) < 3 {}

    let mut late = server.join("sala-1", Role::Viewer, "Luis").await;
    let first = late.next_frame().await;
    assert_eq!(first, frame(3, &jpeg(3, 500)));
}

#[tokio::test]
async fn camera_leaving_turns_into_camera_off_and_frames_stop() {
    let server = TestServer::start().await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    viewer.next_frame().await;

    drop(camera);
    let presence = viewer
        .presence_where(|p| p.camera == CameraStatus::Off)
        .await;
    assert_eq!(presence.camera_name, None);

    // A viewer joining now gets no stale frame: the room's slot was emptied.
    let mut late = server.join("sala-1", Role::Viewer, "Luis").await;
    let presence = late.next_presence().await;
    assert_eq!(presence.camera, CameraStatus::Off);
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    camera.send_binary(frame(7, &jpeg(7, 500))).await;
    assert_eq!(
        sequence_of(&late.next_frame().await),
        7,
        "no older frame came first"
    );
}

#[tokio::test]
async fn pause_stops_frames_until_resumed() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    viewer.next_frame().await;

    camera
        .send(&nido_shared::ClientMessage::SetPaused { paused: true })
        .await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    camera.send_binary(frame(2, &jpeg(2, 500))).await;
    let mut late = server.join("sala-1", Role::Viewer, "Luis").await;
    assert_eq!(late.next_presence().await.camera, CameraStatus::Paused);

    camera
        .send(&nido_shared::ClientMessage::SetPaused { paused: false })
        .await;
    camera.send_binary(frame(3, &jpeg(3, 500))).await;
    for viewer in [&mut viewer, &mut late] {
        viewer
            .presence_where(|p| p.camera == CameraStatus::Live)
            .await;
        assert_eq!(
            sequence_of(&viewer.next_frame().await),
            3,
            "nothing sent while paused"
        );
    }
}

#[tokio::test]
async fn a_second_camera_is_refused_but_a_reconnecting_one_takes_its_place() {
    let server = TestServer::start().await;
    let key = "camera-key-0123456789";
    let caregiver = server
        .person(UserRole::Caregiver, "Cámara", &["sala-1"])
        .await;
    let mut first = server.connect_as(&caregiver).await;
    first.join("sala-1", Role::Camera, Some(key)).await;

    let mut intruder = server.connect_new("sala-1", Role::Camera, "Otra").await;
    intruder
        .send_join("sala-1", Role::Camera, Some("another-key-0123456789"))
        .await;
    intruder
        .expect_error(ErrorCode::CameraBusy, Some(1008))
        .await;

    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut again = server.connect_as(&caregiver).await;
    again.join("sala-1", Role::Camera, Some(key)).await;
    first
        .expect_error(ErrorCode::CameraReplaced, Some(1008))
        .await;

    again.send_binary(frame(1, &jpeg(1, 500))).await;
    loop {
        match viewer.next().await {
            Received::Frame(bytes) => {
                assert_eq!(sequence_of(&bytes), 1);
                break;
            }
            Received::Json(nido_shared::ServerMessage::ChatBacklog { .. }) => {}
            Received::Json(nido_shared::ServerMessage::Presence(p)) => {
                assert_eq!(
                    p.camera,
                    CameraStatus::Live,
                    "the old camera leaving changed nothing"
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
