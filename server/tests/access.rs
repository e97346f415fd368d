//! Access control: who may upgrade, join, watch, chat, stream and call each admin API, and
//! how revocation, logout, expiry, viewing hours and pause take effect live.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nido_shared::api::{NewInvite, NewRoom, PersonChanges, RoomChanges};
use nido_shared::{
    CameraStatus, ErrorCode, OpenHours, Role, ServerMessage, SocketError, TimeOfDay, UserRole,
    Weekday, WeeklySchedule,
};
use reqwest::Method;

/// The admin revokes `person` through the API.
async fn revoke(server: &TestServer, admin: &Account, person: &Account) {
    let path = format!("/api/people/{}/revoke", person.id);
    let done = server.api(Method::POST, &path, admin).send().await.unwrap();
    assert_eq!(done.status(), 204);
}

/// Everyone the matrix is about, with a live camera streaming in room 1.
struct Cast {
    family_1: Account,
    family_2: Account,
    caregiver_1: Account,
    admin: Account,
    expired: Account,
    logged_out: Account,
    revoked: Account,
    anonymous: Account,
}

async fn cast(server: &TestServer) -> Cast {
    let family_1 = server
        .person(UserRole::Family, "Madre 1", &["sala-1"])
        .await;
    let family_2 = server
        .person(UserRole::Family, "Madre 2", &["sala-2"])
        .await;
    let caregiver_1 = server
        .person(UserRole::Caregiver, "Seño 1", &["sala-1"])
        .await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    // A session that started a whole lifetime ago has expired.
    let lifetime = server.state.config.session_lifetime();
    let now = server.state.clock.now();
    server
        .state
        .clock
        .set_now(now - lifetime - Duration::from_secs(1));
    let expired = server
        .person(UserRole::Family, "Caducada", &["sala-1"])
        .await;
    server.state.clock.set_now(now);
    let logged_out = server.person(UserRole::Family, "Salida", &["sala-1"]).await;
    let response = server
        .api(Method::POST, "/api/logout", &logged_out)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let revoked = server
        .person(UserRole::Family, "Revocada", &["sala-1"])
        .await;
    revoke(server, &admin, &revoked).await;
    let anonymous = Account {
        id: UserId::new(0),
        username: String::new(),
        cookie: "nido_session=not-a-session".into(),
    };
    Cast {
        family_1,
        family_2,
        caregiver_1,
        admin,
        expired,
        logged_out,
        revoked,
        anonymous,
    }
}

/// Whether `account` may join room `room` as `role`: welcomed, or refused with 1008.
async fn may_join(server: &TestServer, account: &Account, room: &str, role: Role) -> bool {
    let mut client = server.connect_as(account).await;
    client.send_join(room, role, None).await;
    match client.next().await {
        Received::Json(ServerMessage::Welcome { .. }) => true,
        Received::Json(ServerMessage::Error(SocketError { code, .. })) => {
            assert_eq!(code, ErrorCode::RoomForbidden);
            client.expect_close(1008).await;
            false
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn the_access_matrix_holds_for_the_relay() {
    let server = TestServer::start().await;
    let cast = cast(&server).await;
    let mut camera = server.connect_as(&cast.caregiver_1).await;
    camera.join("sala-1", Role::Camera, None).await;

    for (who, account) in [
        ("anonymous", &cast.anonymous),
        ("expired", &cast.expired),
        ("logged out", &cast.logged_out),
        ("revoked", &cast.revoked),
    ] {
        assert_eq!(upgrade_status(&server, account).await, 401, "{who}");
    }
    let no_cookie = tokio_tungstenite::connect_async(server.ws_url()).await;
    assert!(is_http_status(&no_cookie.unwrap_err(), 401));

    let cases = [
        (&cast.family_1, "sala-1", Role::Viewer, true),
        (&cast.family_1, "sala-1", Role::Camera, false),
        (&cast.family_1, "sala-2", Role::Viewer, false),
        (&cast.family_2, "sala-1", Role::Viewer, false),
        (&cast.family_2, "sala-1", Role::Camera, false),
        (&cast.family_2, "sala-2", Role::Viewer, true),
        (&cast.caregiver_1, "sala-1", Role::Viewer, true),
        (&cast.caregiver_1, "sala-2", Role::Viewer, false),
        (&cast.caregiver_1, "sala-2", Role::Camera, false),
        (&cast.admin, "sala-1", Role::Viewer, true),
        (&cast.admin, "sala-2", Role::Camera, true),
    ];
    for (account, room, role, allowed) in cases {
        assert_eq!(
            may_join(&server, account, room, role).await,
            allowed,
            "{} joining {room} as {role:?}",
            account.username
        );
    }

    // Chat: a member's line reaches the room; family of room 2 hears nothing of room 1.
    let mut outsider = server.connect_as(&cast.family_2).await;
    outsider.join("sala-2", Role::Viewer, None).await;
    let mut parent = server.connect_as(&cast.family_1).await;
    parent.join("sala-1", Role::Viewer, None).await;
    parent.chat("¿cómo está?").await;
    assert_eq!(camera.next_chat().await.text, "¿cómo está?");

    // Room 1 streams; the family of room 2 receives zero bytes of it.
    for sequence in 1..=5 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 2_000)))
            .await;
        assert_eq!(sequence_of(&parent.next_frame().await), sequence);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    outsider.chat("sala 2 aquí").await;
    let heard = outsider.next_chat().await;
    assert_eq!(
        heard.text, "sala 2 aquí",
        "nothing of room 1 came before it"
    );
}

#[tokio::test]
async fn the_access_matrix_holds_for_the_api() {
    let server = TestServer::start().await;
    let cast = cast(&server).await;
    let room = || NewRoom {
        id: "nueva".to_owned().try_into().unwrap(),
        name: "Nueva".into(),
        schedule: WeeklySchedule::default(),
    };
    let invite = NewInvite {
        role: UserRole::Caregiver,
        rooms: vec!["sala-1".to_owned().try_into().unwrap()],
        expires_in_hours: 24,
        max_uses: 1,
    };
    let target = cast.family_1.id;
    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, "/api/people".into(), None),
        (
            Method::PATCH,
            format!("/api/people/{target}"),
            Some(serde_json::to_value(PersonChanges::default()).unwrap()),
        ),
        (Method::POST, format!("/api/people/{target}/unlock"), None),
        (
            Method::POST,
            "/api/rooms".into(),
            Some(serde_json::to_value(room()).unwrap()),
        ),
        (
            Method::PATCH,
            "/api/rooms/sala-1".into(),
            Some(serde_json::to_value(RoomChanges::default()).unwrap()),
        ),
        (Method::GET, "/api/audit".into(), None),
        (Method::GET, "/api/audit.csv".into(), None),
        (Method::GET, "/api/settings".into(), None),
        (
            Method::PATCH,
            "/api/settings".into(),
            Some(serde_json::json!({"family_invite_limit": 2})),
        ),
        (
            Method::POST,
            "/api/invites".into(),
            Some(serde_json::to_value(&invite).unwrap()),
        ),
        (Method::DELETE, "/api/rooms/sala-2".into(), None),
        (Method::POST, format!("/api/people/{target}/revoke"), None),
    ];
    let status =
        |method: Method, path: &str, body: &Option<serde_json::Value>, account: &Account| {
            let mut request = server.api(method, path, account);
            if let Some(body) = body {
                request = request.json(body);
            }
            async move { request.send().await.unwrap().status().as_u16() }
        };
    for (method, path, body) in &calls {
        for (who, account, want) in [
            ("anonymous", &cast.anonymous, 401),
            ("expired", &cast.expired, 401),
            ("logged out", &cast.logged_out, 401),
            ("revoked", &cast.revoked, 401),
            ("family 1", &cast.family_1, 403),
            ("family 2", &cast.family_2, 403),
            ("caregiver 1", &cast.caregiver_1, 403),
        ] {
            assert_eq!(
                status(method.clone(), path, body, account).await,
                want,
                "{who}: {method} {path}"
            );
        }
    }
    // The admin may do all of it, in this order.
    for (method, path, body) in &calls {
        let got = status(method.clone(), path, body, &cast.admin).await;
        assert!((200..300).contains(&got), "admin: {method} {path}: {got}");
    }
    // Everyone logged in may read their own account; nobody else.
    for account in [&cast.family_2, &cast.caregiver_1, &cast.admin] {
        assert_eq!(status(Method::GET, "/api/me", &None, account).await, 200);
    }
    for account in [
        &cast.anonymous,
        &cast.expired,
        &cast.logged_out,
        &cast.revoked,
    ] {
        assert_eq!(status(Method::GET, "/api/me", &None, account).await, 401);
    }
}

/// Waits for the error and close that end a socket, returning how long it took.
async fn closed_within(client: &mut TestClient, code: ErrorCode, started: Instant) -> Duration {
    client.expect_error(code, Some(1008)).await;
    started.elapsed()
}

#[tokio::test]
async fn revocation_removal_logout_and_expiry_close_sockets_within_a_second() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let revoked = server.person(UserRole::Family, "Uno", &["sala-1"]).await;
    let removed = server
        .person(UserRole::Family, "Dos", &["sala-1", "sala-2"])
        .await;
    let leaving = server.person(UserRole::Family, "Tres", &["sala-1"]).await;
    let expiring = server.person(UserRole::Family, "Cuatro", &["sala-1"]).await;
    let mut sockets = Vec::new();
    for account in [&revoked, &removed, &leaving, &expiring] {
        let mut client = server.connect_as(account).await;
        client.join("sala-1", Role::Viewer, None).await;
        sockets.push(client);
    }
    let mut removed_elsewhere = server.connect_as(&removed).await;
    removed_elsewhere.join("sala-2", Role::Viewer, None).await;
    let [
        revoked_socket,
        removed_socket,
        leaving_socket,
        expiring_socket,
    ] = &mut sockets[..]
    else {
        unreachable!()
    };
    let second = Duration::from_secs(1);

    let started = Instant::now();
    revoke(&server, &admin, &revoked).await;
    assert!(closed_within(revoked_socket, ErrorCode::AccessRevoked, started).await < second);

    let started = Instant::now();
    let done = server
        .api(
            Method::PATCH,
            &format!("/api/people/{}", removed.id),
            &admin,
        )
        .json(&PersonChanges {
            role: None,
            rooms: Some(vec!["sala-2".to_owned().try_into().unwrap()]),
        })
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    assert!(closed_within(removed_socket, ErrorCode::AccessRevoked, started).await < second);
    removed_elsewhere.chat("sigo en sala 2").await;
    assert_eq!(removed_elsewhere.next_chat().await.text, "sigo en sala 2");

    let started = Instant::now();
    let done = server
        .api(Method::POST, "/api/logout", &leaving)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
    assert!(closed_within(leaving_socket, ErrorCode::SessionEnded, started).await < second);

    let lifetime = server.state.config.session_lifetime();
    let started = Instant::now();
    server
        .state
        .clock
        .set_now(server.state.clock.now() + lifetime + Duration::from_micros(1));
    assert!(closed_within(expiring_socket, ErrorCode::SessionEnded, started).await < second);
}

/// A schedule open on Mondays from 07:00 to 17:00 only.
fn mondays() -> WeeklySchedule {
    let mut days = [None; 7];
    days[Weekday::Monday.index()] = Some(
        OpenHours::new(
            TimeOfDay::from_hm(7, 0).unwrap(),
            TimeOfDay::from_hm(17, 0).unwrap(),
        )
        .unwrap(),
    );
    WeeklySchedule { days }
}

/// A local time in Madrid, the tests' time zone.
fn madrid(text: &str) -> Timestamp {
    let zoned = format!("{text}[Europe/Madrid]").parse::<jiff::ZonedDateTime>();
    Timestamp::from_micros(zoned.unwrap().timestamp().as_microsecond())
}

#[tokio::test]
async fn viewing_hours_stop_and_restart_family_frames_live() {
    let server = TestServer::start().await;
    server.room_with("sala-1", mondays()).await;
    server
        .state
        .clock
        .set_now(madrid("2026-11-23T16:59:58+01:00"));
    let mut camera = server.join("sala-1", Role::Camera, "Seño").await;
    let mut parent = server.join("sala-1", Role::Viewer, "Madre").await;
    let staff = server
        .person(UserRole::Caregiver, "Otra seño", &["sala-1"])
        .await;
    let mut colleague = server.connect_as(&staff).await;
    colleague.join("sala-1", Role::Viewer, None).await;

    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    assert_eq!(sequence_of(&parent.next_frame().await), 1);
    assert_eq!(sequence_of(&colleague.next_frame().await), 1);

    // 17:00: closed for families within a second, without reconnecting; staff carry on.
    server
        .state
        .clock
        .set_now(madrid("2026-11-23T17:00:00+01:00"));
    let started = Instant::now();
    let closed = parent
        .presence_where(|p| p.camera == CameraStatus::Closed)
        .await;
    assert!(started.elapsed() < Duration::from_secs(1));
    let opens = closed.opens_at.expect("when it opens");
    assert_eq!(opens.weekday, Weekday::Monday);
    assert_eq!(opens.at.to_string(), "07:00");
    assert_eq!(
        closed.families_watching_allowed, None,
        "families are not told staff's view"
    );
    // The caregiver at the camera sees it live, and that families see it closed until when.
    let at_camera = camera
        .presence_where(|p| p.families_watching_allowed == Some(false))
        .await;
    assert_eq!(at_camera.camera, CameraStatus::Live);
    assert_eq!(at_camera.opens_at, Some(opens));
    for sequence in 2..=4 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 500)))
            .await;
        assert_eq!(sequence_of(&colleague.next_frame().await), sequence);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    parent.chat("¿ya cerró?").await;
    match parent
        .wait_for(|r| match r {
            Received::Frame(_) => Some(None),
            Received::Json(ServerMessage::Chat(line)) => Some(Some(line.text.clone())),
            _ => None,
        })
        .await
    {
        Some(text) => assert_eq!(text, "¿ya cerró?", "no frame while closed"),
        None => panic!("a family member got a frame outside viewing hours"),
    }

    // Next Monday 07:00: open again, live.
    server
        .state
        .clock
        .set_now(madrid("2026-11-30T07:00:00+01:00"));
    parent
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    camera.send_binary(frame(5, &jpeg(5, 500))).await;
    assert_eq!(sequence_of(&parent.next_frame().await), 5);
}

#[tokio::test]
async fn a_caregiver_pauses_from_any_page_and_viewers_get_nothing_until_resumed() {
    let server = TestServer::start().await;
    let mut camera = server.join("sala-1", Role::Camera, "Cámara").await;
    let mut parent = server.join("sala-1", Role::Viewer, "Madre").await;
    let staff = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let mut caregiver = server.connect_as(&staff).await;
    caregiver.join("sala-1", Role::Viewer, None).await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    parent.next_frame().await;

    caregiver
        .send(&nido_shared::ClientMessage::SetPaused { paused: true })
        .await;
    parent
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    for sequence in 2..=3 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 500)))
            .await;
    }
    // The camera's messages are handled in order: once its chat is back, the server has
    // had frames 2 and 3, during the pause.
    camera.chat("en pausa").await;
    camera.next_chat().await;
    // A late viewer does not get the last frame either.
    let mut late = server.join("sala-1", Role::Viewer, "Tarde").await;
    caregiver
        .send(&nido_shared::ClientMessage::SetPaused { paused: false })
        .await;
    parent
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    camera.send_binary(frame(4, &jpeg(4, 500))).await;
    assert_eq!(
        sequence_of(&parent.next_frame().await),
        4,
        "nothing sent while paused"
    );
    assert_eq!(sequence_of(&late.next_frame().await), 4);
}
