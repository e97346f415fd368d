//! `nido-server migrate-to-postgres` on a database that the real binary made on SQLite
//! (people, a room with its hours, an unused invite, chat with a deleted message and a
//! mute, viewing and security logs): a node on the PostgreSQL copy shows everything as it
//! was, people log in with their passwords, chat numbers and resends go on where they
//! stopped, a mute holds, the unused invite still works, and a second migration into it is refused.

mod common;

use common::*;
use nido_shared::{ClientMessage, ErrorCode, Role, RoomId, ServerMessage, UserRole};
use tokio::process::Command;

/// Everything an admin can read of the deployment, as the API gives it.
async fn admin_view(addr: &str, cookie: &str) -> Vec<String> {
    let api = Api::new(addr);
    let mut view = Vec::new();
    for path in [
        "/api/rooms",
        "/api/me",
        "/api/people",
        "/api/invites",
        "/api/settings",
        "/api/audit.csv",
        "/api/audit/events.csv",
    ] {
        view.push(api.get_text(cookie, path).await.unwrap());
    }
    view
}

async fn migrate(data: &std::path::Path, database: &str) -> std::process::Output {
    nido_command(data)
        .args(["--database", database, "migrate-to-postgres"])
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_single_nidos_database_moves_to_postgresql_with_nothing_lost() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let (mut sqlite_node, addr) = spawn_server(data.path(), &["--listen", "127.0.0.1:0"]).await;
    let admin = admin_with_room(&addr, "directora", "sala-1").await;
    let api = Api::new(&addr);
    let sala_1 = RoomId::try_from("sala-1".to_owned()).unwrap();
    let madre_invite = api
        .invite(&admin, UserRole::Family, std::slice::from_ref(&sala_1), 1)
        .await
        .unwrap();
    let madre = api
        .register(&madre_invite, "madre", PASSWORD)
        .await
        .unwrap();
    let unused_invite = api
        .invite(&admin, UserRole::Family, std::slice::from_ref(&sala_1), 1)
        .await
        .unwrap();
    assert_eq!(api.log_in("madre", "not her password").await.ok(), None);

    let url = format!("ws://{addr}/ws");
    let mut camera = TestClient::connect(&url, Some(&admin)).await;
    camera.join("sala-1", Role::Camera, None).await;
    let mut parent = TestClient::connect(&url, Some(&madre)).await;
    parent.join("sala-1", Role::Viewer, None).await;
    for (id, text) in [
        ("m-0000001", "hola"),
        ("m-0000002", "¿comió?"),
        ("m-0000003", "gracias"),
    ] {
        parent.chat_with_id(id, text).await;
        assert_eq!(parent.next_chat().await.id.as_str(), id);
    }
    camera
        .send(&ClientMessage::DeleteChat {
            seq: 2,
            thread: None,
        })
        .await;
    let me: nido_shared::api::Me = api.get_json(&madre, "/api/me").await.unwrap();
    let madre_id = me.id;
    // A private message to the staff, which they read.
    parent
        .send(&ClientMessage::Chat {
            id: "m-0000004".into(),
            text: "solo para el equipo".into(),
            thread: Some(madre_id),
        })
        .await;
    assert_eq!(parent.next_chat().await.seq, 1);
    camera
        .send(&ClientMessage::ReadThread {
            thread: madre_id,
            seq: 1,
        })
        .await;
    camera
        .send(&ClientMessage::Mute {
            user_id: madre_id,
            minutes: 60,
        })
        .await;
    // Staff messages are handled in order: once the parent is told of the mute, the
    // deletion before it is stored too.
    parent
        .wait_for(|received| {
            matches!(received, Received::Json(ServerMessage::MuteState { .. })).then_some(())
        })
        .await;
    drop((camera, parent));
    let pid = sqlite_node.id().unwrap().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(sqlite_node.wait().await.unwrap().success());

    // The same views, read from the SQLite node once everything in it ended.
    let (mut sqlite_node, addr) = spawn_server(data.path(), &["--listen", "127.0.0.1:0"]).await;
    let admin = Api::new(&addr).log_in("directora", PASSWORD).await.unwrap();
    let before = admin_view(&addr, &admin).await;
    sqlite_node.kill().await.unwrap();

    let database = nido_testkit::postgres::fresh_database("migrated").await;
    let migrated = migrate(data.path(), &database).await;
    let report = String::from_utf8_lossy(&migrated.stderr);
    assert!(migrated.status.success(), "{report}");
    assert!(report.contains("users: 2 rows"), "{report}");
    assert!(report.contains("chat_messages: 4 rows"), "{report}");
    assert!(report.contains("chat_threads: 2 rows"), "{report}");
    assert!(report.contains("chat_reads: 2 rows"), "{report}");

    let postgres_node = nido_binary()
        .start(
            data.path(),
            &["--listen", "127.0.0.1:0", "--database", &database],
            0,
            |_| false,
        )
        .await
        .unwrap();
    let api = Api::new(&postgres_node.addr);
    let admin = api.log_in("directora", PASSWORD).await.unwrap();
    let after = admin_view(&postgres_node.addr, &admin).await;
    // Logging in again adds nothing to the security log: a success is no event.
    assert_eq!(after, before, "every record as it was");

    let madre = api.log_in("madre", PASSWORD).await.unwrap();
    let url = format!("ws://{}/ws", postgres_node.addr);
    let mut parent = TestClient::connect(&url, Some(&madre)).await;
    parent.join("sala-1", Role::Viewer, None).await;
    let (lines, _, _, _) = parent.next_backlog().await;
    let numbered: Vec<_> = lines
        .iter()
        .map(|line| (line.seq, line.id.as_str(), line.text.as_str()))
        .collect();
    assert_eq!(
        numbered,
        [(1, "m-0000001", "hola"), (3, "m-0000003", "gracias")],
        "the deleted message stays deleted"
    );
    let mut staff = TestClient::connect(&url, Some(&admin)).await;
    staff.join("sala-1", Role::Viewer, None).await;
    staff.chat_with_id("m-0000001", "hola").await;
    assert_eq!(
        staff.next_chat().await.seq,
        4,
        "numbers go on after the copied ones"
    );
    parent.chat_with_id("m-0000004", "¿puedo?").await;
    parent.expect_error(ErrorCode::ChatMuted, None).await;

    let abuela = api.register(&unused_invite, "abuela", PASSWORD).await;
    assert!(abuela.is_ok(), "an invite made before the move still works");
    let people: Vec<nido_shared::api::Person> = api.get_json(&admin, "/api/people").await.unwrap();
    let ids: Vec<_> = people.iter().map(|person| person.id.get()).collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.contains(&3),
        "the new person takes the next id: {ids:?}"
    );

    let again = migrate(data.path(), &database).await;
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("already has people or rooms"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
