//! The HTTP surface: Origin checks on the upgrade, health, and the app with its routes.

mod common;

use base64::Engine;
use common::*;
use sha2::Digest;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Upgrades as a logged-in person, from a page of `origin`.
async fn upgrade_with_origin(
    server: &TestServer,
    origin: &str,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    let account = server
        .person(nido_shared::UserRole::Family, "Ana", &["sala-1"])
        .await;
    let mut request = upgrade_request(&server.ws_url(), Some(&account.cookie));
    request
        .headers_mut()
        .insert("origin", HeaderValue::from_str(origin).unwrap());
    tokio_tungstenite::connect_async(request).await.map(|_| ())
}

#[tokio::test]
async fn a_foreign_origin_is_refused_with_403() {
    let server = TestServer::start().await;
    for origin in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        let error = upgrade_with_origin(&server, origin).await.unwrap_err();
        assert!(is_http_status(&error, 403), "{origin}: {error:?}");
    }
    upgrade_with_origin(&server, &format!("http://{}", server.addr))
        .await
        .expect("same origin");
}

#[tokio::test]
async fn configured_origins_are_allowed() {
    let server =
        TestServer::start_with(|c| c.allowed_origin = vec!["http://127.0.0.1:8081".into()]).await;
    upgrade_with_origin(&server, "http://127.0.0.1:8081")
        .await
        .expect("allowed origin");
    let error = upgrade_with_origin(&server, "http://127.0.0.1:8082")
        .await
        .unwrap_err();
    assert!(is_http_status(&error, 403));
}

/// A raw HTTP/1.1 GET, so the test sees exactly what a browser would.
async fn get(server: &TestServer, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response)
}

#[tokio::test]
async fn health_and_the_app_with_its_routes_are_served() {
    let dist = std::env::temp_dir().join(format!("nido-dist-{}", std::process::id()));
    std::fs::create_dir_all(&dist).unwrap();
    std::fs::write(dist.join("index.html"), "<title>Nido app</title>").unwrap();
    std::fs::write(dist.join("app.js"), "console.log('nido')").unwrap();
    let server = TestServer::start_with(|c| c.dist = Some(dist.clone())).await;

    let (status, body) = get(&server, "/healthz").await;
    assert_eq!(status, 200);
    assert!(body.ends_with("ok"));

    for route in ["/", "/watch/sala-1", "/camera/sala-1"] {
        let (status, body) = get(&server, route).await;
        assert_eq!(status, 200, "{route}");
        assert!(body.contains("<title>Nido app</title>"), "{route}");
        assert!(
            body.to_ascii_lowercase()
                .contains("x-content-type-options: nosniff")
        );
    }
    let (status, body) = get(&server, "/app.js").await;
    assert_eq!(status, 200);
    assert!(body.contains("console.log"));
    assert_eq!(get(&server, "/missing.js").await.0, 404);
    std::fs::remove_dir_all(dist).unwrap();
}

#[tokio::test]
async fn families_get_the_families_build_and_staff_pages_and_making_invites_the_whole_app() {
    let dist = tempfile::tempdir().unwrap();
    let families = dist.path().join("families");
    std::fs::create_dir_all(&families).unwrap();
    let page = |name: &str| {
        format!("<title>{name}</title><script type=\"module\">start('{name}')</script>")
    };
    std::fs::write(dist.path().join("index.html"), page("whole app")).unwrap();
    std::fs::write(families.join("index.html"), page("families")).unwrap();
    std::fs::write(families.join("app.js"), "families()").unwrap();
    let server = TestServer::start_with(|c| c.dist = Some(dist.path().to_owned())).await;

    for route in ["/", "/login", "/watch/sala-1", "/invite/abc", "/nowhere"] {
        let (status, body) = get(&server, route).await;
        assert_eq!(status, 200, "{route}");
        assert!(body.contains("<title>families</title>"), "{route}: {body}");
    }
    for route in [
        "/camera/sala-1",
        "/attendance/sala-1",
        "/inbox/sala-1",
        "/admin/rooms",
        "/admin/audit",
        "/invites",
    ] {
        let (status, body) = get(&server, route).await;
        assert_eq!(status, 200, "{route}");
        assert!(body.contains("<title>whole app</title>"), "{route}: {body}");
    }
    let (status, body) = get(&server, "/families/app.js").await;
    assert!(status == 200 && body.ends_with("families()"), "{body}");
    assert!(
        body.contains("x-content-type-options: nosniff")
            && !body.contains("content-security-policy"),
        "a script gets nosniff, not the policies browsers apply to pages: {body}"
    );
    // Each page's inline start-up script is allowed by its hash.
    let (_, body) = get(&server, "/").await;
    let policy = body
        .lines()
        .find_map(|line| line.strip_prefix("content-security-policy: "))
        .expect("a policy");
    for name in ["whole app", "families"] {
        let digest = sha2::Sha256::digest(format!("start('{name}')"));
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(
            policy.contains(&format!("'sha256-{hash}'")),
            "{name}: {policy}"
        );
    }
}

#[tokio::test]
async fn requests_to_the_websocket_that_are_not_upgrades_are_refused() {
    let server = TestServer::start().await;
    let account = server
        .person(nido_shared::UserRole::Family, "Ana", &["sala-1"])
        .await;
    let http = reqwest::Client::new();
    let upgrade_headers = [
        ("connection", "Upgrade"),
        ("upgrade", "websocket"),
        ("sec-websocket-version", "13"),
        ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ];
    let send = |method: reqwest::Method, skip: Option<&str>, version: &str| {
        let mut request = http
            .request(method, server.ws_url().replace("ws://", "http://"))
            .header("cookie", &account.cookie);
        for (name, value) in upgrade_headers {
            if Some(name) != skip {
                let value = if name == "sec-websocket-version" {
                    version
                } else {
                    value
                };
                request = request.header(name, value);
            }
        }
        request.send()
    };
    let status = |response: reqwest::Response| response.status().as_u16();
    assert_eq!(
        status(send(reqwest::Method::POST, None, "13").await.unwrap()),
        405
    );
    for missing in ["connection", "upgrade", "sec-websocket-key"] {
        let response = send(reqwest::Method::GET, Some(missing), "13")
            .await
            .unwrap();
        assert_eq!(status(response), 400, "without {missing}");
    }
    assert_eq!(
        status(send(reqwest::Method::GET, None, "8").await.unwrap()),
        400
    );
    // The same headers with version 13 upgrade: the refusals above were about the request.
    let response = send(reqwest::Method::GET, None, "13").await.unwrap();
    assert_eq!(status(response), 101);
}
