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
