//! Limits against abuse: each bad input gets a clear error, and other clients never notice.

mod common;

use common::*;
use nido_shared::{ErrorCode, Presence, Role, ServerMessage, UserRole};

#[tokio::test]
async fn an_account_has_at_most_twelve_sockets_open() {
    let server = TestServer::start().await;
    let family = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let mut open = Vec::new();
    for _ in 0..12 {
        let mut client = server.connect_as(&family).await;
        client.join("sala-1", Role::Viewer, None).await;
        open.push(client);
    }
    let mut one_too_many = server.connect_as(&family).await;
    one_too_many
        .expect_error(ErrorCode::TooManyConnections, Some(1008))
        .await;
    // Someone else is not affected, and closing one makes room again.
    let mut other = server.join("sala-1", Role::Viewer, "Padre").await;
    other.chat("sigo aquí").await;
    other.next_chat().await;
    open.pop().unwrap().socket.close(None).await.unwrap();
    let mut again = server.connect_as(&family).await;
    let mut joined = false;
    for _ in 0..50 {
        again.send_join("sala-1", Role::Viewer, None).await;
        match again.next().await {
            Received::Json(ServerMessage::Welcome { .. }) => {
                joined = true;
                break;
            }
            // The closed socket may not be gone yet: try again on a new one.
            _ => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                again = server.connect_as(&family).await;
            }
        }
    }
    assert!(joined, "a place opened up");
}

#[tokio::test]
async fn three_hundred_joins_cost_staff_a_few_presence_messages() {
    let server = TestServer::start().await;
    let mut staff = server.join("sala-1", Role::Camera, "Seño").await;
    let initial = staff.next_presence().await;
    assert_eq!(initial.viewer_count, 0);
    let mut families = Vec::new();
    for n in 0..30 {
        let name = format!("Familia {n}");
        families.push(server.person(UserRole::Family, &name, &["sala-1"]).await);
    }
    let server = &server;
    let joining = families.iter().flat_map(|family| {
        (0..10).map(move |_| async move {
            let mut client = server.connect_as(family).await;
            client.join("sala-1", Role::Viewer, None).await;
            client
        })
    });
    let viewers = futures_util::future::join_all(joining).await;
    assert_eq!(viewers.len(), 300);

    let mut presences: Vec<Presence> = Vec::new();
    while presences.last().is_none_or(|p| p.viewer_count < 300) {
        presences.push(staff.next_presence().await);
    }
    assert!(
        presences.len() < 60,
        "{} presence messages for 300 joins",
        presences.len()
    );
    assert_eq!(presences.last().unwrap().viewers.len(), 300);
    // Still alive and current: the camera's chat gets through.
    staff.chat("bienvenidas").await;
    staff.next_chat().await;
}

#[tokio::test]
async fn a_display_name_that_flips_text_is_refused() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    server.room("sala-1").await;
    let link: nido_shared::api::CreatedInvite =
        create_invite(&server, &admin, &invite(UserRole::Family, &["sala-1"], 1))
            .await
            .json()
            .await
            .unwrap();
    let spoof = server
        .http
        .post(server.url(&format!("/api{}/register", link.path)))
        .json(&nido_shared::api::Registration {
            username: "mama".into(),
            display_name: "Directora\u{202E}\u{2066}".into(),
            password: PASSWORD.into(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(spoof.status(), 422);
}
