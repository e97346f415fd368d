//! The real `nido-server` binary: `admin create` makes the first admin, who logs in; SIGTERM
//! during live video and chat closes every client with 1001 within 5 seconds and exits 0
//! within 10, losing no acknowledged message; and what it logs, as JSON, holds no secret.

mod common;

use std::time::Duration;

use common::*;
use nido_server::store::{Location, Store};
use nido_shared::{Role, RoomId};
use tokio::process::Command;
use tokio::time::{Instant, timeout};

const CLOSE_WITHIN: Duration = Duration::from_secs(5);
const EXIT_WITHIN: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sigterm_during_video_and_chat_closes_everyone_with_1001_and_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let RunningNido {
        child: mut server,
        addr,
        log,
    } = spawn_server_logged(
        data.path(),
        &["--listen", "127.0.0.1:0", "--log-format", "json"],
    )
    .await;
    let cookie = admin_with_room(&addr, "directora", "sala-1").await;
    let invite_path = create_invite(&addr, &cookie).await;
    let url = format!("ws://{addr}/ws");
    let mut camera = TestClient::connect(&url, Some(&cookie)).await;
    camera.join("sala-1", Role::Camera, None).await;
    let mut viewer = TestClient::connect(&url, Some(&cookie)).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    viewer.next_frame().await;
    const SECRET_CHAT: &str = "Leo tiene fiebre, llamad a su padre";
    viewer.chat(SECRET_CHAT).await;
    assert_eq!(viewer.next_chat().await.text, SECRET_CHAT);
    camera.send_binary(frame(2, &jpeg(2, 500))).await;

    let pid = server.id().unwrap().to_string();
    let signalled = Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    for client in [&mut camera, &mut viewer] {
        timeout(CLOSE_WITHIN, client.expect_close(1001))
            .await
            .expect("closed with 1001 within 5 s");
    }
    let status = timeout(
        EXIT_WITHIN.saturating_sub(signalled.elapsed()),
        server.wait(),
    )
    .await
    .expect("the server exits within 10 s")
    .unwrap();
    assert!(status.success(), "exit status {status:?}");

    // The acknowledged message is in the database the server left.
    let store = Store::open(Location::Sqlite(data.path())).await.unwrap();
    let room = RoomId::try_from("sala-1".to_owned()).unwrap();
    let (stored, _) = store.chat_page(&room, None, None, 10).await.unwrap();
    assert!(stored.iter().any(|line| line.text == SECRET_CHAT));
    store.close().await;

    // Every log line is a JSON object, and none carries a password, a session or invite
    // token, or chat text.
    let log = log.snapshot();
    assert!(log.iter().any(|line| line.contains("shutting down")));
    let session_token = cookie.split_once('=').unwrap().1;
    let invite_token = invite_path.rsplit('/').next().unwrap();
    for line in &log {
        let parsed: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: not JSON: {line}"));
        assert!(parsed.is_object(), "{line}");
        for secret in [PASSWORD, session_token, invite_token, SECRET_CHAT] {
            assert!(!line.contains(secret), "{line} reveals {secret:?}");
        }
    }
}

/// Creates a family invite through the API; returns its `/invite/<token>` path.
async fn create_invite(addr: &str, cookie: &str) -> String {
    let created: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/api/invites"))
        .header("cookie", cookie)
        .json(&serde_json::json!({
            "role": "family", "rooms": ["sala-1"], "expires_in_hours": 24, "max_uses": 1
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    created["path"].as_str().expect("an invite path").to_owned()
}
