//! Logging in and out, cookies, throttling, password changes, invites and the audit log,
//! through the HTTP API.

mod common;

use std::time::Duration;

use common::*;
use nido_shared::api::{
    ApiError, ApiErrorCode, AuditEntry, CreatedInvite, InvitePreview, Me, PasswordChange,
};
use nido_shared::{Role, UserRole};
use reqwest::Method;

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_me_answers() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let response = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    assert_eq!(response.status(), 204);
    let cookies = set_cookies(&response);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("nido_session="))
        .unwrap();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(session.contains(attribute), "{session} lacks {attribute}");
    }
    assert!(
        !session.contains("Secure"),
        "plain http cannot keep a Secure cookie"
    );
    let token = session
        .split(';')
        .next()
        .unwrap()
        .split('=')
        .nth(1)
        .unwrap();
    assert!(token.len() >= 22, "at least 128 random bits");

    let me: Me = server
        .api(Method::GET, "/api/me", &account)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.role, UserRole::Family);
    assert_eq!(me.display_name.as_str(), "Madre");
    assert_eq!(me.rooms.len(), 1);
    assert_eq!(me.rooms[0].id.as_str(), "sala-1");
}

#[tokio::test]
async fn behind_a_trusted_https_proxy_cookies_use_the_host_prefix() {
    let server =
        TestServer::start_with(|c| c.trusted_proxy = vec!["127.0.0.1".parse().unwrap()]).await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let response = server
        .http
        .post(server.url("/api/login"))
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-for", "198.51.100.4")
        .json(&serde_json::json!({"username": account.username, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    for cookie in set_cookies(&response) {
        assert!(cookie.starts_with("__Host-nido_"), "{cookie}");
        assert!(
            cookie.contains("Secure") && cookie.contains("Path=/"),
            "{cookie}"
        );
    }
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_answer_identically() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let wrong = server
        .login_response(&account.username, "not the password", None)
        .await;
    let unknown = server
        .login_response("nadie-existe", "not the password", None)
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(set_cookies(&wrong).is_empty() && set_cookies(&unknown).is_empty());
    let wrong: ApiError = wrong.json().await.unwrap();
    let unknown: ApiError = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong.code, ApiErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn repeated_failures_are_throttled_and_the_right_password_still_gets_in() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    for attempt in 1..=5 {
        let response = server
            .login_response(&account.username, "guess", None)
            .await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
    }
    let throttled = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    assert_eq!(throttled.status(), 429);
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: ApiError = throttled.json().await.unwrap();
    assert_eq!(body.code, ApiErrorCode::TooManyAttempts);
    // An unknown name is throttled exactly alike.
    for _ in 1..=5 {
        server.login_response("nadie-existe", "guess", None).await;
    }
    assert_eq!(
        server
            .login_response("nadie-existe", "guess", None)
            .await
            .status(),
        429
    );

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    assert!(server.log_in(&account.username, PASSWORD).await.is_ok());
    // Success resets the count.
    assert_eq!(
        server
            .login_response(&account.username, "guess", None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_locked_account_still_lets_its_owner_in_from_a_trusted_browser() {
    let server = TestServer::start().await;
    let account = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    // The owner's browser logged in before: it holds a device cookie.
    let owner = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    let device = set_cookies(&owner)
        .into_iter()
        .find(|c| c.starts_with("nido_device="))
        .unwrap();
    let device = device.split(';').next().unwrap().to_owned();

    // An attacker reaches the lock: 100 failures in a row, as the store records them.
    for _ in 0..100 {
        server
            .state
            .store
            .record_login_failure(&account.username, Timestamp::UNIX_EPOCH)
            .await
            .unwrap();
    }
    let attacker = server
        .login_response(&account.username, PASSWORD, None)
        .await;
    assert_eq!(
        attacker.status(),
        429,
        "even the right password, without the device"
    );
    let people: Vec<nido_shared::api::Person> = server
        .api(Method::GET, "/api/people", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(people.iter().any(|p| p.id == account.id && p.locked));

    let trusted = server
        .login_response(&account.username, PASSWORD, Some(&device))
        .await;
    assert_eq!(trusted.status(), 204, "the owner's own browser gets in");
    assert!(
        set_cookies(&trusted)
            .iter()
            .any(|c| c.starts_with("nido_session="))
    );
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let server = TestServer::start().await;
    let phone = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let laptop = Account {
        cookie: server.log_in(&phone.username, PASSWORD).await.unwrap(),
        ..phone.clone()
    };
    let mut watching = server.connect_as(&laptop).await;
    watching.join("sala-1", Role::Viewer, None).await;

    let change = |current: &str, new: &str| PasswordChange {
        current_password: current.into(),
        new_password: new.into(),
    };
    let short = server
        .api(Method::POST, "/api/me/password", &phone)
        .json(&change(PASSWORD, "corta"))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let wrong = server
        .api(Method::POST, "/api/me/password", &phone)
        .json(&change("no es", "una nueva contraseña"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 422);
    let done = server
        .api(Method::POST, "/api/me/password", &phone)
        .json(&change(PASSWORD, "una nueva contraseña"))
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 204);

    watching
        .expect_error(nido_shared::ErrorCode::SessionEnded, Some(1008))
        .await;
    let me = |account: &Account| server.api(Method::GET, "/api/me", account).send();
    assert_eq!(me(&laptop).await.unwrap().status(), 401);
    assert_eq!(me(&phone).await.unwrap().status(), 200);
    assert!(
        server
            .log_in(&phone.username, "una nueva contraseña")
            .await
            .is_ok()
    );
    assert_eq!(server.log_in(&phone.username, PASSWORD).await, Err(401));
}

/// The HTTP status of creating this invite as `by`.
async fn invite_status(
    server: &TestServer,
    by: &Account,
    role: UserRole,
    rooms: &[&str],
    max_uses: u32,
) -> u16 {
    create_invite(server, by, &invite(role, rooms, max_uses))
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn invites_register_people_in_their_role_and_rooms_until_used_up_or_revoked() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    server.room("sala-1").await;
    server.room("sala-2").await;
    let created = create_invite(&server, &admin, &invite(UserRole::Family, &["sala-1"], 1)).await;
    assert_eq!(created.status(), 201);
    let created: CreatedInvite = created.json().await.unwrap();
    assert!(created.path.starts_with("/invite/"));

    let preview: InvitePreview = server
        .http
        .get(server.url(&format!("/api{}", created.path)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(preview.role, UserRole::Family);
    assert_eq!(preview.room_names, ["Sala sala-1"]);

    let registered = register(&server, &created.path, "abuela").await;
    assert_eq!(registered.status(), 201);
    let parent = Account {
        id: UserId::new(0),
        username: "abuela".into(),
        cookie: session_cookie(&registered).unwrap(),
    };
    let mut viewer = server.connect_as(&parent).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let mut refused = server.connect_as(&parent).await;
    refused.send_join("sala-2", Role::Viewer, None).await;
    refused
        .expect_error(nido_shared::ErrorCode::RoomForbidden, Some(1008))
        .await;

    // Used up: 410 for the next person; an unknown token is 404.
    assert_eq!(
        register(&server, &created.path, "abuelo").await.status(),
        410
    );
    assert_eq!(
        register(&server, "/invite/nope", "abuelo").await.status(),
        404
    );

    // Revoked before use: 410.
    let second: CreatedInvite = create_invite(
        &server,
        &admin,
        &invite(UserRole::Caregiver, &["sala-2"], 5),
    )
    .await
    .json()
    .await
    .unwrap();
    let revoked = server
        .api(
            Method::DELETE,
            &format!("/api/invites/{}", second.invite.id),
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 204);
    assert_eq!(
        register(&server, &second.path, "maestra").await.status(),
        410
    );
}

#[tokio::test]
async fn caregivers_and_families_invite_only_families_to_their_own_rooms_within_limits() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let family = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    server.room("sala-2").await;

    // In order: the family's default limit is 3 relatives, used up by the last two.
    let cases: [(&Account, UserRole, &[&str], u32, u16); 7] = [
        (&caregiver, UserRole::Family, &["sala-1"], 3, 201),
        (&caregiver, UserRole::Family, &["sala-2"], 1, 403),
        (&caregiver, UserRole::Caregiver, &["sala-1"], 1, 403),
        (&family, UserRole::Admin, &[], 1, 403),
        (&family, UserRole::Family, &["sala-1"], 2, 201),
        (&family, UserRole::Family, &["sala-1"], 2, 403),
        (&family, UserRole::Family, &["sala-1"], 1, 201),
    ];
    for (by, role, rooms, uses, want) in cases {
        let got = invite_status(&server, by, role, rooms, uses).await;
        assert_eq!(
            got, want,
            "{} inviting {role:?} to {rooms:?} x{uses}",
            by.username
        );
    }
    let zero = server
        .api(Method::PATCH, "/api/settings", &admin)
        .json(&serde_json::json!({"family_invite_limit": 0}))
        .send()
        .await
        .unwrap();
    assert_eq!(zero.status(), 200);
    let me: Me = server
        .api(Method::GET, "/api/me", &family)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me.invites_left, Some(0));
    let other = server.person(UserRole::Family, "Padre", &["sala-1"]).await;
    assert_eq!(
        invite_status(&server, &other, UserRole::Family, &["sala-1"], 1).await,
        403
    );
    // Each sees only their own invites; the admin sees all.
    let list = |account: &Account| server.api(Method::GET, "/api/invites", account).send();
    let mine: Vec<nido_shared::api::Invite> = list(&family).await.unwrap().json().await.unwrap();
    assert_eq!(mine.len(), 2);
    let all: Vec<nido_shared::api::Invite> = list(&admin).await.unwrap().json().await.unwrap();
    assert_eq!(all.len(), 3);
}

#[tokio::test]
async fn the_audit_log_records_viewing_sessions_and_exports_csv() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let mut camera = server.join("sala-1", Role::Camera, "Seño").await;
    let parent = server
        .person(UserRole::Family, "Madre, \"la de Lucía\"", &["sala-1"])
        .await;
    let sly = server
        .person(UserRole::Family, "=HYPERLINK(\"x\")", &["sala-1"])
        .await;
    let mut sly_viewer = server.connect_as(&sly).await;
    sly_viewer.join("sala-1", Role::Viewer, None).await;
    camera.presence_where(|p| p.viewer_count == 1).await;
    let mut viewer = server.connect_as(&parent).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    camera.presence_where(|p| p.viewer_count == 2).await;
    drop(viewer);
    camera.presence_where(|p| p.viewer_count == 1).await;

    let entries = || async {
        let list: Vec<AuditEntry> = server
            .api(
                Method::GET,
                &format!("/api/audit?user={}", parent.username),
                &admin,
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list
    };
    let mut list = entries().await;
    for _ in 0..50 {
        if list.first().is_some_and(|e| e.ended_at_us.is_some()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        list = entries().await;
    }
    assert_eq!(list.len(), 1);
    let entry = &list[0];
    assert_eq!(entry.room.as_str(), "sala-1");
    assert_eq!(entry.role, Role::Viewer);
    assert_eq!(entry.client_addr, "127.0.0.1");
    assert!(entry.ended_at_us.unwrap() >= entry.started_at_us);

    let everyone: Vec<AuditEntry> = server
        .api(Method::GET, "/api/audit?room=sala-1", &admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        everyone.len(),
        3,
        "the camera's session and the other viewer's too"
    );
    let bad = server
        .api(Method::GET, "/api/audit?room=Not%20A%20Room", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    let csv = server
        .api(Method::GET, "/api/audit.csv?room=sala-1&lang=en", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark, so spreadsheets read UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "username,name,room,role,address,started,ended"
    );
    assert!(
        text.contains("\"Madre, \"\"la de Lucía\"\"\",sala-1,viewer,127.0.0.1,"),
        "{text}"
    );
    // Spanish unless asked otherwise: headers and words.
    let spanish = server.get_text("/api/audit.csv?room=sala-1", &admin).await;
    assert!(
        spanish.starts_with("\u{feff}usuario,nombre,sala,papel,dirección,inicio,fin\n"),
        "{spanish}"
    );
    assert!(spanish.contains(",sala-1,espectador,"), "{spanish}");
    assert_eq!(text.lines().count(), 4);
    assert!(
        text.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "a name is never a spreadsheet formula: {text}"
    );
}
