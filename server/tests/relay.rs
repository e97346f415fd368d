//! Video relay: frames reach viewers whole and in order, latest-frame-wins, camera state.

mod common;

use common::*;
use nido_shared::{CameraStatus, ErrorCode, Role, ServerMessage, UserRole};

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

/// Frames go to a watching viewer's socket straight from the room's fan-out while its
/// writer has nothing else to send, and through its writer when chat and presence come in
/// between: each hand-over must keep frames whole and in order and lose no message.
#[tokio::test]
async fn chat_and_presence_between_streamed_frames_keep_every_frame_whole_and_in_order() {
    let server = TestServer::start().await;
    let mut viewer = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut chatter = server.join("sala-1", Role::Viewer, "Bea").await;
    const FRAMES: u64 = 60;
    const MESSAGES: usize = 8;
    let streaming = tokio::spawn(async move {
        for sequence in 1..=FRAMES {
            camera
                .send_binary(frame(sequence, &jpeg(sequence, 20_000)))
                .await;
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        camera
    });
    let chatting = tokio::spawn(async move {
        for n in 0..MESSAGES {
            chatter.chat(&format!("mensaje {n}")).await;
            tokio::time::sleep(std::time::Duration::from_millis(120)).await;
        }
        chatter
    });
    let (mut last_frame, mut chat) = (0, Vec::new());
    while last_frame < FRAMES || chat.len() < MESSAGES {
        match viewer.next().await {
            Received::Frame(bytes) => {
                let sequence = sequence_of(&bytes);
                assert!(sequence > last_frame, "{sequence} after {last_frame}");
                assert_eq!(bytes, frame(sequence, &jpeg(sequence, 20_000)), "whole");
                last_frame = sequence;
            }
            Received::Json(ServerMessage::Chat(line)) => chat.push(line.text),
            Received::Json(_) => {}
            Received::Closed(code) => panic!("closed ({code:?})"),
        }
    }
    let expected: Vec<String> = (0..MESSAGES).map(|n| format!("mensaje {n}")).collect();
    assert_eq!(chat, expected, "every message, in order");
    let (_camera, _chatter) = (streaming.await.unwrap(), chatting.await.unwrap());
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
            Received::Json(
                nido_shared::ServerMessage::ChatBacklog { .. }
                | nido_shared::ServerMessage::Threads { .. },
            ) => {}
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

/// The camera page before it streams joins for the chat and presence only: it sees who is
/// waiting and chats, gets no video, is not counted as watching, and is not in the viewing
/// log.
#[tokio::test]
async fn a_chat_only_join_chats_and_sees_who_waits_without_video_or_counting() {
    let server = TestServer::start().await;
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let mut parent = server.join("sala-1", Role::Viewer, "Madre").await;
    let mut page = server.connect_as(&caregiver).await;
    page.send_text(r#"{"type":"join","room":"sala-1","role":"viewer","chat_only":true}"#)
        .await;
    // Its first presence already counts it out: the parent alone is watching.
    let waiting = page.next_presence().await;
    assert_eq!(waiting.viewer_count, 1, "the chat-only page is not counted");
    assert_eq!(waiting.viewers.len(), 1, "{waiting:?}");
    assert_eq!(waiting.viewers[0].as_str(), "Madre");
    parent.chat("¿Ya estáis?").await;
    assert_eq!(page.next_chat().await.text, "¿Ya estáis?");
    assert_eq!(
        parent.next_chat().await.text,
        "¿Ya estáis?",
        "its acknowledgement"
    );
    page.chat("Enseguida encendemos").await;
    assert_eq!(parent.next_chat().await.text, "Enseguida encendemos");

    // The camera goes live: the parent gets frames, the chat-only page none.
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    parent.next_frame().await;
    page.chat("ya").await;
    loop {
        match page.next().await {
            Received::Frame(_) => panic!("a chat-only join got video"),
            Received::Json(ServerMessage::Chat(line)) if line.text == "ya" => break,
            _ => {}
        }
    }
    let log: Vec<nido_shared::api::AuditEntry> = server.get_as("/api/audit", &admin).await;
    assert!(
        log.iter().all(|entry| entry.user_id != caregiver.id),
        "a chat-only join is no viewing: {log:?}"
    );
}
