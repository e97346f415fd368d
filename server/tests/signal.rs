//! The real `nido-server` binary: SIGTERM closes every client with 1001 and exits 0.

mod common;

use std::process::Stdio;

use common::*;
use nido_shared::Role;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn sigterm_closes_every_client_with_1001_and_exits_zero() {
    let mut server = Command::new(env!("CARGO_BIN_EXE_nido-server"))
        .args(["--listen", "127.0.0.1:0", "--dist", "no-such-dist"])
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
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

    let url = format!("ws://{addr}/ws");
    let mut camera = TestClient::connect(&url).await;
    camera.join("sala-1", Role::Camera, "Cámara", None).await;
    let mut viewer = TestClient::connect(&url).await;
    viewer.join("sala-1", Role::Viewer, "Ana", None).await;
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
