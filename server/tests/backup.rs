//! `nido-server backup FILE` while the real server streams video and stores chat: the copy
//! passes `PRAGMA integrity_check` and, restored as a data directory, holds every chat
//! message acknowledged before the backup began.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use nido_server::store::{Location, Store};
use nido_shared::{Role, RoomId};
use tokio::process::Command;

#[tokio::test]
async fn a_backup_under_load_restores_with_every_acknowledged_message() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let options = ["--listen", "127.0.0.1:0", "--chat-per-10s", "100"];
    let (mut server, addr) = spawn_server(data.path(), &options).await;
    let cookie = admin_with_room(&addr, "directora", "sala-1").await;
    let url = format!("ws://{addr}/ws");

    let mut camera = TestClient::connect(&url, Some(&cookie)).await;
    camera.join("sala-1", Role::Camera, None).await;
    let streaming = tokio::spawn(async move {
        for sequence in 1.. {
            camera
                .send_binary(frame(sequence, &jpeg(sequence, 20_000)))
                .await;
            tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        }
    });

    // Chat goes on throughout (faster than the default limit per person allows); a message
    // counts once the server has sent it back.
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let mut chatter = TestClient::connect(&url, Some(&cookie)).await;
    chatter.join("sala-1", Role::Viewer, None).await;
    let chatting = tokio::spawn({
        let acknowledged = Arc::clone(&acknowledged);
        async move {
            for number in 1.. {
                let text = format!("mensaje {number}");
                chatter.chat(&text).await;
                let line = chatter.next_chat().await;
                assert_eq!(line.text, text);
                acknowledged.lock().unwrap().push(text);
                // Within a connection's limit of 10 messages a second.
                tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            }
        }
    });
    let count = || acknowledged.lock().unwrap().len();
    eventually("ten acknowledged messages", || {
        let enough = count() >= 10;
        async move { enough }
    })
    .await;

    let before_backup = acknowledged.lock().unwrap().clone();
    let copy = data.path().join("copia.db");
    let backup = back_up(data.path(), &copy).await;
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    let during_backup = count();
    eventually("more messages after the backup", || {
        let more = count() > during_backup + 3;
        async move { more }
    })
    .await;
    chatting.abort();
    streaming.abort();

    // A second backup to the same file is refused rather than overwriting it.
    let again = back_up(data.path(), &copy).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    // Restoring is putting the copy in a data directory as nido.db.
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&copy, restored.path().join("nido.db")).unwrap();
    let store = Store::open(Location::Sqlite(restored.path()))
        .await
        .unwrap();
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    let room = RoomId::try_from("sala-1".to_owned()).unwrap();
    let stored: Vec<String> = store
        .chat_after(&room, None, 0, 100_000)
        .await
        .unwrap()
        .unwrap()
        .into_iter()
        .map(|line| line.text)
        .collect();
    for text in &before_backup {
        assert!(stored.contains(text), "{text} is in the backup");
    }
    store.close().await;

    let pid = server.id().unwrap().to_string();
    Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(server.wait().await.unwrap().success());
}

/// Runs `nido-server backup FILE` on the data directory.
async fn back_up(data_dir: &std::path::Path, file: &std::path::Path) -> std::process::Output {
    nido_command(data_dir)
        .arg("backup")
        .arg(file)
        .output()
        .await
        .unwrap()
}
