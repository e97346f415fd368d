//! Sessions, cookies and what a browser is told: absolute lifetimes, one session per
//! browser, trusted devices that expire, `__Host-` cookies only over https, Origin and Host
//! checked in full, and the security headers of every answer.

mod common;

use std::time::Duration;

use common::*;
use nido_shared::api::PasswordChange;
use nido_shared::{Role, UserRole};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn cookie_named(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

async fn me_status(server: &TestServer, cookie: &str) -> u16 {
    server
        .http
        .get(server.url("/api/me"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_session_ends_thirty_days_after_login_however_often_it_is_used() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let start = server.state.clock.now();
    // Used every ten days, which keeps pushing the idle expiry back.
    for days in [10, 20, 29] {
        server.state.clock.set_now(start + DAY * days);
        assert_eq!(me_status(&server, &account.cookie).await, 200, "day {days}");
    }
    server
        .state
        .clock
        .set_now(start + DAY * 30 + Duration::from_secs(1));
    assert_eq!(me_status(&server, &account.cookie).await, 401, "day 30");
}

#[tokio::test]
async fn logging_in_again_replaces_the_browsers_old_session() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let mut old_socket = server.connect_as(&account).await;
    old_socket.join("sala-1", Role::Viewer, None).await;
    let again = server
        .login_response(&account.username, PASSWORD, Some(&account.cookie))
        .await;
    assert_eq!(again.status(), 204);
    let new_cookie = session_cookie(&again).unwrap();
    assert_ne!(new_cookie, account.cookie);
    assert_eq!(me_status(&server, &account.cookie).await, 401);
    assert_eq!(me_status(&server, &new_cookie).await, 200);
    old_socket
        .expect_error(nido_shared::ErrorCode::SessionEnded, Some(1008))
        .await;
}

/// Locks the account as 100 failed logins in a row would.
async fn lock(server: &TestServer, username: &str) {
    for _ in 0..100 {
        let store = &server.state.store;
        store
            .record_login_failure(username, Timestamp::UNIX_EPOCH)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn a_trusted_browser_is_trusted_for_a_limited_time_and_until_a_password_change() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let first = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    let device = cookie_named(&first, "nido_device").unwrap();
    lock(&server, &account.username).await;
    let trusted = server
        .login_response(&account.username, PASSWORD, Some(&device))
        .await;
    assert_eq!(trusted.status(), 204, "trusted now");

    // Half a year later the browser is no longer trusted.
    let start = server.state.clock.now();
    server.state.clock.set_now(start + DAY * 181);
    lock(&server, &account.username).await;
    let stale = server
        .login_response(&account.username, PASSWORD, Some(&device))
        .await;
    assert_eq!(
        stale.status(),
        429,
        "an old device cookie counts for nothing"
    );
    server.state.clock.set_now(start);

    // A password change forgets every trusted browser of the account.
    server
        .state
        .store
        .clear_login_failures(&account.username)
        .await
        .unwrap();
    let fresh = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    let device = cookie_named(&fresh, "nido_device").unwrap();
    let session = session_cookie(&fresh).unwrap();
    let change = PasswordChange {
        current_password: PASSWORD.into(),
        new_password: "otra contraseña larga".into(),
    };
    let changed = server
        .http
        .post(server.url("/api/me/password"))
        .header("cookie", &session)
        .json(&change)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 204);
    lock(&server, &account.username).await;
    let after_change = server
        .login_response(&account.username, "otra contraseña larga", Some(&device))
        .await;
    assert_eq!(after_change.status(), 429);
}

#[tokio::test]
async fn over_https_only_the_host_prefixed_cookie_counts() {
    let server =
        TestServer::start_with(|c| c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()]).await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let token = account.cookie.split_once('=').unwrap().1;
    let over_https = |cookie: String| {
        server
            .http
            .get(server.url("/api/me"))
            .header("x-forwarded-proto", "https")
            .header("cookie", cookie)
            .send()
    };
    let tossed = over_https(format!("nido_session={token}")).await.unwrap();
    assert_eq!(tossed.status(), 401, "a cookie another site could have set");
    let prefixed = over_https(format!("__Host-nido_session={token}"))
        .await
        .unwrap();
    assert_eq!(prefixed.status(), 200);
}

#[tokio::test]
async fn origin_means_scheme_host_and_port() {
    let server =
        TestServer::start_with(|c| c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()]).await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let host = server.addr.to_string();
    let cookie = format!("__Host-{}", account.cookie);
    // The page is served over https (the proxy says so); an http page is another origin.
    let upgrade = |origin: String| {
        let mut request = upgrade_request(&server.ws_url(), Some(&cookie));
        let headers = request.headers_mut();
        headers.insert("origin", origin.parse().unwrap());
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    let plain = upgrade(format!("http://{host}")).await;
    assert!(is_http_status(&plain.unwrap_err(), 403), "http page");
    let secure = upgrade(format!("https://{host}")).await;
    assert!(secure.is_ok(), "the page's own origin");
    let logout = |origin: String| {
        server
            .http
            .post(server.url("/api/logout"))
            .header("cookie", &cookie)
            .header("origin", origin)
            .header("x-forwarded-proto", "https")
            .send()
    };
    assert_eq!(
        logout(format!("http://{host}")).await.unwrap().status(),
        403
    );
    assert_eq!(
        logout(format!("https://{host}")).await.unwrap().status(),
        204
    );
}

#[tokio::test]
async fn a_host_nido_does_not_serve_is_refused() {
    let server = TestServer::start().await;
    let rebound = server
        .http
        .get(server.url("/api/me"))
        .header("host", format!("evil.example:{}", server.addr.port()))
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 421, "DNS rebinding");
    for host in ["127.0.0.1", "localhost"] {
        let ours = server
            .http
            .get(server.url("/healthz"))
            .header("host", format!("{host}:{}", server.addr.port()))
            .send()
            .await
            .unwrap();
        assert_eq!(ours.status(), 200, "{host}");
    }
}

#[tokio::test]
async fn answers_carry_the_security_headers() {
    let server = TestServer::start().await;
    let page = server.http.get(server.url("/")).send().await.unwrap();
    let headers = page.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    for directive in [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "img-src 'self' blob: data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(csp.contains(directive), "{csp} lacks {directive}");
    }
    assert_eq!(headers["cross-origin-opener-policy"], "same-origin");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "not over http"
    );
    let api = server.http.get(server.url("/api/me")).send().await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    assert_eq!(api.headers()["x-content-type-options"], "nosniff");
    assert!(
        api.headers().get("content-security-policy").is_none(),
        "the page policies are for pages; browsers ignore them elsewhere"
    );

    let proxied =
        TestServer::start_with(|c| c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()]).await;
    let secure = proxied
        .http
        .get(proxied.url("/healthz"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        secure.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
