//! How Nido meets the network: never plain http beyond this machine unless the operator
//! says so, and its data readable by its own user only.

mod common;

use common::*;

#[tokio::test]
async fn plain_http_on_the_network_is_refused_at_start_with_the_reason() {
    let data = tempfile::tempdir().unwrap();
    let refused = nido_command(data.path())
        .args(["--listen", "0.0.0.0:0", "--dist", "no-such-dist"])
        .output()
        .await
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("refusing plain http on 0.0.0.0:0"), "{said}");
    assert!(said.contains("--insecure-http"), "{said}");

    // Said explicitly, or with an https proxy in front, it starts.
    for options in [
        &["--insecure-http"][..],
        &["--trusted-proxy", "127.0.0.1"][..],
    ] {
        let mut all = vec!["--listen", "0.0.0.0:0"];
        all.extend_from_slice(options);
        let (mut server, _) = spawn_server(data.path(), &all).await;
        server.kill().await.unwrap();
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_is_readable_by_nidos_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let data = tempfile::tempdir().unwrap();
    // A database an older Nido left readable to everyone.
    let dir = data.path().join("nido");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    {
        let store = nido_server::store::Store::open(nido_server::store::Location::Sqlite(&dir))
            .await
            .unwrap();
        store.close().await;
    }
    std::fs::set_permissions(dir.join("nido.db"), std::fs::Permissions::from_mode(0o644)).unwrap();

    // (The keys of `--tls-self-signed` are checked in `tls::self_signed`'s tests.)
    let (mut server, _) = spawn_server(&dir, &["--listen", "127.0.0.1:0"]).await;
    assert_eq!(mode(&dir), 0o700, "the data directory");
    for file in ["nido.db", "nido.db-wal", "nido.db-shm"] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    let backup = data.path().join("copia.db");
    let done = nido_command(&dir)
        .arg("backup")
        .arg(&backup)
        .output()
        .await
        .unwrap();
    assert!(
        done.status.success(),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert_eq!(mode(&backup), 0o600, "the backup");
    server.kill().await.unwrap();
}

#[tokio::test]
async fn a_half_sent_request_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start_with(|config| config.header_timeout_secs = 1).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(PATIENCE, slow.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "the connection is still open");
    // Others are served all along.
    let ok = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn invite_links_point_at_the_public_address() {
    let server = TestServer::start_with(|config| {
        config.public_url = Some("https://nido.example.org".parse().unwrap());
    })
    .await;
    let admin = server
        .person(nido_shared::UserRole::Admin, "Directora", &[])
        .await;
    server.room("sala-1").await;
    let made = create_invite(
        &server,
        &admin,
        &invite(nido_shared::UserRole::Family, &["sala-1"], 1),
    )
    .await;
    let made: nido_shared::api::CreatedInvite = made.json().await.unwrap();
    assert_eq!(
        made.url,
        Some(format!("https://nido.example.org{}", made.path))
    );
}
