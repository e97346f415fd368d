//! The real `nido-server` binary: `admin create` makes the first admin, who logs in, and
//! SIGTERM closes every client with 1001 and exits 0.

mod common;

use std::process::Stdio;

use common::*;
use nido_shared::Role;
use nido_shared::api::NewRoom;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

fn nido(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nido-server"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    command
}

#[tokio::test]
async fn the_first_admin_logs_in_and_sigterm_closes_everyone_with_1001() {
    let data = tempfile::tempdir().unwrap();
    let mut create = nido(data.path())
        .args(["admin", "create", "directora"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = create.stdin.take().unwrap();
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    assert!(create.wait().await.unwrap().success(), "admin create");

    let mut server = nido(data.path())
        .args(["--listen", "127.0.0.1:0", "--dist", "no-such-dist"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = tokio::time::timeout(PATIENCE, log.next_line())
            .await
            .expect("the server logs its address")
            .unwrap()
            .expect("the server is still running");
        if let Some((_, addr)) = line.split_once("Nido is running at http://") {
            break addr.trim().to_owned();
        }
    };

    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{addr}/api/login"))
        .json(&serde_json::json!({"username": "directora", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 204);
    let cookie = session_cookie(&login).unwrap();
    let created = http
        .post(format!("http://{addr}/api/rooms"))
        .header("cookie", &cookie)
        .json(&NewRoom {
            id: "sala-1".to_owned().try_into().unwrap(),
            name: "Sala 1".into(),
            schedule: Default::default(),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let url = format!("ws://{addr}/ws");
    let mut camera = TestClient::connect(&url, Some(&cookie)).await;
    camera.join("sala-1", Role::Camera, None).await;
    let mut viewer = TestClient::connect(&url, Some(&cookie)).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    viewer.next_frame().await;

    let pid = server.id().unwrap().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(killed.success());
    camera.expect_close(1001).await;
    viewer.expect_close(1001).await;
    let status = tokio::time::timeout(PATIENCE, server.wait())
        .await
        .expect("the server exits in time")
        .unwrap();
    assert!(status.success(), "exit status {status:?}");
}
