//! The real `nido-server` binary: `admin create` makes the first admin, who logs in, and
//! SIGTERM closes every client with 1001 and exits 0.

mod common;

use common::*;
use nido_shared::Role;
use tokio::process::Command;

#[tokio::test]
async fn the_first_admin_logs_in_and_sigterm_closes_everyone_with_1001() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let (mut server, addr) = spawn_server(data.path(), &["--listen", "127.0.0.1:0"]).await;
    let cookie = admin_with_room(&addr, "directora", "sala-1").await;

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
