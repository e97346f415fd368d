//! Chat and presence: everyone in a room hears chat and who is watching.

mod common;

use common::*;
use nido_shared::{CameraStatus, ErrorCode, Role, ServerMessage, SocketError};

#[tokio::test]
async fn chat_reaches_everyone_in_the_room_and_nobody_else() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Seño Marta").await;
    let mut ana = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut luis = server.join("sala-1", Role::Viewer, "Luis").await;
    let mut other_room = server.join("sala-2", Role::Viewer, "Eva").await;

    ana.chat("  <b>hola</b> a todos  ").await;
    for client in [&mut camera, &mut ana, &mut luis] {
        let line = client.next_chat().await;
        assert_eq!(line.text, "<b>hola</b> a todos");
        assert_eq!(line.from.as_str(), "Ana");
        assert_eq!(line.role, Role::Viewer);
        assert!(line.seq > 0 && line.sent_at_us > Timestamp::from_micros(1_700_000_000_000_000));
    }

    other_room.chat("solo sala 2").await;
    let line = other_room.next_chat().await.text;
    assert_eq!(line, "solo sala 2");
    camera.chat("la seño responde").await;
    let first_seen = ana.next_chat().await.text;
    assert_eq!(
        first_seen, "la seño responde",
        "sala 2's chat never reached sala 1"
    );
}

#[tokio::test]
async fn presence_counts_and_names_viewers_as_they_come_and_go() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let presence = camera.next_presence().await;
    assert_eq!(
        (presence.camera, presence.viewer_count),
        (CameraStatus::Live, 0)
    );

    let ana = server.join("sala-1", Role::Viewer, "Ana").await;
    let presence = camera.presence_where(|p| p.viewer_count == 1).await;
    assert_eq!(presence.viewers[0].as_str(), "Ana");
    let mut luis = server.join("sala-1", Role::Viewer, "Luis").await;
    let presence = camera.presence_where(|p| p.viewer_count == 2).await;
    let names: Vec<_> = presence.viewers.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["Ana", "Luis"], "staff see who is watching");
    let presence = luis.next_presence().await;
    assert_eq!(presence.viewer_count, 2);
    assert!(
        presence.viewers.is_empty(),
        "families see how many, not who"
    );
    assert_eq!(presence.camera_name.unwrap().as_str(), "Cámara");

    drop(ana);
    camera.presence_where(|p| p.viewer_count == 1).await;
    let presence = luis.presence_where(|p| p.viewer_count == 1).await;
    assert!(presence.viewers.is_empty());
}

#[tokio::test]
async fn chat_limits_answer_with_errors_and_keep_the_connection() {
    let server = TestServer::start().await;
    let mut ana = server.join("sala-1", Role::Viewer, "Ana").await;
    ana.chat(&"a".repeat(1_001)).await;
    ana.expect_error(ErrorCode::ChatTooLong, None).await;
    ana.chat("   ").await;
    ana.expect_error(ErrorCode::ChatEmpty, None).await;
    ana.chat(&"ñ".repeat(1_000)).await;
    let text = ana.next_chat().await.text;
    assert_eq!(text.chars().count(), 1_000);
}

#[tokio::test]
async fn a_chat_flood_is_rate_limited_without_closing() {
    let server = TestServer::start().await;
    let mut ana = server.join("sala-1", Role::Viewer, "Ana").await;
    let mut luis = server.join("sala-1", Role::Viewer, "Luis").await;
    for n in 0..40 {
        ana.chat(&format!("spam {n}")).await;
    }
    // The connection's burst (20, the join among them) is each answered by its id, in
    // order: stored and echoed, or over the person's 10 in 10 seconds and refused. The
    // rest are dropped, with a notice that comes after those answers.
    let mut refused = 0;
    let mut echoed = 0;
    let mut dropped_notices = 0;
    while dropped_notices == 0 {
        match ana.next().await {
            Received::Json(ServerMessage::Error(SocketError {
                code: ErrorCode::RateLimited,
                chat_id,
                ..
            })) => match chat_id {
                Some(_) => refused += 1,
                None => dropped_notices += 1,
            },
            Received::Json(ServerMessage::Chat(_)) => echoed += 1,
            Received::Closed(code) => panic!("closed {code:?}"),
            _ => {}
        }
    }
    assert_eq!(echoed, 10, "the person's limit");
    assert!(refused >= 9, "only {refused} refused by id");

    luis.chat("fin").await;
    let mut delivered = 0;
    loop {
        match luis.next().await {
            Received::Json(ServerMessage::Chat(line)) if line.text == "fin" => break,
            Received::Json(ServerMessage::Chat(_)) => delivered += 1,
            Received::Closed(code) => panic!("closed {code:?}"),
            _ => {}
        }
    }
    assert_eq!(delivered, echoed, "everyone saw the same accepted lines");
}

#[tokio::test]
async fn staff_messages_are_marked_as_staff_from_any_page() {
    let server = TestServer::start().await;
    let caregiver = server
        .person(nido_shared::UserRole::Caregiver, "Seño Marta", &["sala-1"])
        .await;
    let mut watching_staff = server.connect_as(&caregiver).await;
    watching_staff.join("sala-1", Role::Viewer, None).await;
    let mut parent = server.join("sala-1", Role::Viewer, "Ana").await;
    watching_staff.chat("desde el visor").await;
    let line = parent.next_chat().await;
    assert_eq!((line.role, line.staff), (Role::Viewer, true));
    parent.chat("gracias").await;
    let line = watching_staff
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) if line.text == "gracias" => {
                Some(line.clone())
            }
            _ => None,
        })
        .await;
    assert!(!line.staff);
}
