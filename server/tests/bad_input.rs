//! Bad input of every kind gets its error code and close code, and nobody else notices.

mod common;

use common::*;
use nido_shared::{ClientMessage, ErrorCode, FRAME_HEADER_LEN, Role, ServerMessage, SocketError};

/// A room with a live camera and a viewer that must carry on undisturbed.
struct Bystanders {
    camera: TestClient,
    viewer: TestClient,
    sequence: u64,
}

impl Bystanders {
    async fn new(server: &TestServer) -> Self {
        let camera = server.join("sala-1", Role::Camera, "Cámara").await;
        let viewer = server.join("sala-1", Role::Viewer, "Ana").await;
        Self {
            camera,
            viewer,
            sequence: 0,
        }
    }

    /// A frame and a chat line still go through.
    async fn still_fine(&mut self) {
        self.sequence += 1;
        let sent = frame(self.sequence, &jpeg(self.sequence, 1_000));
        self.camera.send_binary(sent.clone()).await;
        assert_eq!(self.viewer.next_frame().await, sent);
        let text = format!("todo bien {}", self.sequence);
        self.viewer.chat(&text).await;
        let heard = self
            .camera
            .wait_for(|r| match r {
                Received::Json(ServerMessage::Chat(line)) if line.text == text => Some(()),
                _ => None,
            })
            .await;
        assert_eq!(heard, ());
    }
}

async fn viewer_in(server: &TestServer, room: &str) -> TestClient {
    server.join(room, Role::Viewer, "Mala").await
}

#[tokio::test]
async fn malformed_json_closes_with_1007() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    for bad in [
        "{not json",
        "[1,2]",
        r#"{"type":"chat","text":42}"#,
        r#"{"type":"join"}"#,
    ] {
        let mut client = viewer_in(&server, "sala-1").await;
        client.send_text(bad).await;
        client
            .expect_error(ErrorCode::MalformedMessage, Some(1007))
            .await;
        room.still_fine().await;
    }
}

#[tokio::test]
async fn an_unknown_message_type_is_refused_but_the_connection_stays() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    let mut client = viewer_in(&server, "sala-1").await;
    client.send_text(r#"{"type":"self_destruct"}"#).await;
    client
        .expect_error(ErrorCode::UnknownMessageType, None)
        .await;
    client.chat("sigo aquí").await;
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) if line.text == "sigo aquí" => Some(()),
            _ => None,
        })
        .await;
    room.still_fine().await;
}

#[tokio::test]
async fn anything_before_join_closes_with_1008() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;

    let mut client = server.connect().await;
    client.chat("hola").await;
    client.expect_error(ErrorCode::NotJoined, Some(1008)).await;

    let mut client = server.connect().await;
    client.send_binary(frame(1, &jpeg(1, 100))).await;
    client.expect_error(ErrorCode::NotJoined, Some(1008)).await;

    let mut client = server.connect().await;
    client
        .send(&ClientMessage::TimeSync {
            client_time_us: Timestamp::from_micros(1),
        })
        .await;
    client.expect_error(ErrorCode::NotJoined, Some(1008)).await;
    room.still_fine().await;
}

#[tokio::test]
async fn invalid_or_unknown_rooms_close_with_1008() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    for (room_id, code) in [
        ("Sala 1", ErrorCode::InvalidRoom),
        ("../etc", ErrorCode::InvalidRoom),
        ("no-such-room", ErrorCode::RoomForbidden),
    ] {
        let mut client = server.connect().await;
        client.send_join(room_id, Role::Viewer, None).await;
        client.expect_error(code, Some(1008)).await;
    }
    room.still_fine().await;
}

#[tokio::test]
async fn a_second_join_is_refused() {
    let server = TestServer::start().await;
    let mut client = viewer_in(&server, "sala-1").await;
    client
        .send(&ClientMessage::Join {
            room: "sala-2".into(),
            role: Role::Viewer,
            camera_key: None,
            after_seq: None,
            chat_only: false,
            decodes: Vec::new(),
            encodes: None,
        })
        .await;
    client.expect_error(ErrorCode::AlreadyJoined, None).await;
}

#[tokio::test]
async fn frames_or_pauses_from_a_family_viewer_close_with_1008() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    let mut client = viewer_in(&server, "sala-1").await;
    client.send_binary(frame(99, &jpeg(99, 500))).await;
    client.expect_error(ErrorCode::NotCamera, Some(1008)).await;

    let mut client = viewer_in(&server, "sala-1").await;
    client
        .send(&ClientMessage::SetPaused { paused: true })
        .await;
    client.expect_error(ErrorCode::NotStaff, Some(1008)).await;
    room.still_fine().await;
}

#[tokio::test]
async fn malformed_or_truncated_frames_close_with_1007_and_are_not_relayed() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    let good = jpeg(5, 500);
    let mut wrong_magic = frame(1, &good);
    wrong_magic[0] = b'X';
    let cases = [
        frame(1, b"\x89PNG\r\n\x1a\n0000000000"),
        frame(1, &good[..good.len() - 2]),
        frame(1, &[]),
        frame(1, &good)[..FRAME_HEADER_LEN - 4].to_vec(),
        wrong_magic,
    ];
    for (n, bad) in cases.into_iter().enumerate() {
        let mut camera = server
            .join(&format!("rota-{n}"), Role::Camera, "Rota")
            .await;
        camera.send_binary(bad).await;
        camera
            .expect_error(ErrorCode::InvalidFrame, Some(1007))
            .await;
    }
    // The room's own camera sending a bad frame is closed too; its viewer sees the camera off.
    room.camera.send_binary(frame(1, &good[..100])).await;
    room.camera
        .expect_error(ErrorCode::InvalidFrame, Some(1007))
        .await;
    room.viewer
        .presence_where(|p| p.camera == nido_shared::CameraStatus::Off)
        .await;
    room.camera = server.join("sala-1", Role::Camera, "Cámara").await;
    room.still_fine().await;
}

#[tokio::test]
async fn oversized_messages_close_with_1009() {
    let server = TestServer::start_with(|c| c.max_frame_bytes = 10_000).await;
    let mut room = Bystanders::new(&server).await;

    // Over the configured JPEG limit but under the WebSocket message limit.
    let mut camera = server.join("grande-1", Role::Camera, "Grande").await;
    camera.send_binary(frame(1, &jpeg(1, 10_001))).await;
    camera
        .expect_error(ErrorCode::MessageTooLarge, Some(1009))
        .await;

    // Over the WebSocket message limit itself: refused before it is buffered whole.
    let mut camera = server.join("grande-2", Role::Camera, "Grande").await;
    camera.send_binary(frame(1, &jpeg(1, 2_000_000))).await;
    camera
        .expect_error(ErrorCode::MessageTooLarge, Some(1009))
        .await;

    // A text message larger than any valid one.
    let mut viewer = viewer_in(&server, "sala-1").await;
    viewer.chat(&"x".repeat(9_000)).await;
    viewer
        .expect_error(ErrorCode::MessageTooLarge, Some(1009))
        .await;

    room.still_fine().await;
}

#[tokio::test]
async fn a_frame_flood_closes_the_flooding_camera_only() {
    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    let mut flood = server.join("inundada", Role::Camera, "Flood").await;
    for sequence in 1..=200 {
        flood
            .send_binary(frame(sequence, &jpeg(sequence, 100)))
            .await;
    }
    flood.expect_error(ErrorCode::RateLimited, Some(1008)).await;
    room.still_fine().await;
}

#[tokio::test]
async fn a_burst_from_a_viewer_that_reads_everything_is_refused_but_never_evicts_it() {
    use futures_util::SinkExt;
    use tokio_tungstenite::tungstenite::Message;

    let server = TestServer::start().await;
    let mut room = Bystanders::new(&server).await;
    let mut camera = server.join("sala-2", Role::Camera, "Cámara 2").await;
    let mut bursty = viewer_in(&server, "sala-2").await;
    // During video, a thousand clock checks and a hundred chat messages at once.
    camera.send_binary(frame(1, &jpeg(1, 20_000))).await;
    let time_sync = serde_json::to_string(&ClientMessage::TimeSync {
        client_time_us: Timestamp::from_micros(1),
    })
    .unwrap();
    for _ in 0..1_000 {
        bursty.socket.feed(Message::text(&time_sync)).await.unwrap();
    }
    for n in 0..100 {
        let chat = ClientMessage::Chat {
            id: new_chat_id(),
            text: format!("ráfaga {n}"),
            thread: None,
        };
        let chat = serde_json::to_string(&chat).unwrap();
        bursty.socket.feed(Message::text(chat)).await.unwrap();
    }
    bursty.socket.flush().await.unwrap();

    // It reads everything: some answers, some refusals, and the video goes on.
    let mut refused = 0;
    let mut frames = 0;
    while frames < 3 {
        match bursty.next().await {
            Received::Json(ServerMessage::Error(SocketError {
                code: ErrorCode::RateLimited,
                ..
            })) => refused += 1,
            Received::Frame(_) => {
                frames += 1;
                camera
                    .send_binary(frame(1 + frames, &jpeg(frames, 20_000)))
                    .await;
            }
            Received::Closed(code) => panic!("evicted ({code:?}) after {refused} refusals"),
            _ => {}
        }
    }
    assert!(refused >= 1, "the burst was refused");
    room.still_fine().await;
}
