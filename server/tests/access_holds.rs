//! Access decisions that must hold against stale copies and races: invites carry no more
//! than their creator still has, households cannot chain invites, viewing hours and the
//! privacy pause have one authoritative copy, a deleted room leaves nothing behind, a new
//! family member sees only the chat from when they were given the room, and Nido always
//! keeps an admin.

mod common;

use std::time::{Duration, Instant};

use common::*;
use nido_shared::api::{CreatedInvite, NewInvite, PersonChanges, RoomChanges};
use nido_shared::{CameraStatus, ClientMessage, Role, ServerMessage, UserRole, WeeklySchedule};
use reqwest::Method;

/// `by` creates an invite; panics unless it is created.
async fn created_invite(server: &TestServer, by: &Account, new: &NewInvite) -> CreatedInvite {
    let response = create_invite(server, by, new).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

/// The account a successful registration made, logged in.
async fn registered(server: &TestServer, path: &str, username: &str) -> Account {
    let response = register(server, path, username).await;
    assert_eq!(response.status(), 201, "registering {username}");
    let cookie = session_cookie(&response).unwrap();
    let mut account = Account {
        id: UserId::new(0),
        username: username.into(),
        cookie,
    };
    let me: nido_shared::api::Me = server.get_as("/api/me", &account).await;
    account.id = me.id;
    account
}

async fn change_person(server: &TestServer, admin: &Account, id: UserId, changes: &PersonChanges) {
    let done = server
        .api(Method::PATCH, &format!("/api/people/{id}"), admin)
        .json(changes)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 204);
}

async fn revoke(server: &TestServer, admin: &Account, id: UserId) -> u16 {
    let path = format!("/api/people/{id}/revoke");
    let done = server.api(Method::POST, &path, admin).send().await.unwrap();
    done.status().as_u16()
}

fn rooms(ids: &[&str]) -> Vec<nido_shared::RoomId> {
    ids.iter()
        .map(|r| r.to_string().try_into().unwrap())
        .collect()
}

#[tokio::test]
async fn an_invite_dies_with_its_creators_access() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    server.room("sala-2").await;

    // Revoked (a custody order): the relative's link made before no longer registers.
    let revoked = server.person(UserRole::Family, "Padre", &["sala-1"]).await;
    let link = created_invite(&server, &revoked, &invite(UserRole::Family, &["sala-1"], 1)).await;
    assert_eq!(revoke(&server, &admin, revoked.id).await, 204);
    assert_eq!(register(&server, &link.path, "tio").await.status(), 410);

    // Moved to another room: the old room's link is dead.
    let moved = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let link = created_invite(&server, &moved, &invite(UserRole::Family, &["sala-1"], 1)).await;
    let to_sala_2 = PersonChanges {
        rooms: Some(rooms(&["sala-2"])),
        ..PersonChanges::default()
    };
    change_person(&server, &admin, moved.id, &to_sala_2).await;
    assert_eq!(register(&server, &link.path, "abuela").await.status(), 410);

    // A caregiver made family, and an admin made caregiver: the links they made in their
    // old role are dead.
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let second_admin = server.person(UserRole::Admin, "Jefa", &["sala-1"]).await;
    let demotions = [
        (&caregiver, UserRole::Family, 10, UserRole::Family, "vecina"),
        (
            &second_admin,
            UserRole::Caregiver,
            1,
            UserRole::Caregiver,
            "maestra",
        ),
    ];
    for (creator, invited_as, uses, demoted_to, username) in demotions {
        let link = created_invite(&server, creator, &invite(invited_as, &["sala-1"], uses)).await;
        let demoted = PersonChanges {
            role: Some(demoted_to),
            ..PersonChanges::default()
        };
        change_person(&server, &admin, creator.id, &demoted).await;
        assert_eq!(register(&server, &link.path, username).await.status(), 410);
    }

    // The lost links show as revoked, and nobody got an account through them.
    let invites: Vec<nido_shared::api::Invite> = server.get_as("/api/invites", &admin).await;
    assert_eq!(invites.len(), 4);
    assert!(
        invites
            .iter()
            .all(|invite| invite.revoked && invite.uses == 0)
    );
    for username in ["tio", "abuela", "vecina", "maestra"] {
        assert_eq!(server.log_in(username, PASSWORD).await, Err(401));
    }
}

#[tokio::test]
async fn the_people_page_says_who_invited_whom() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let mother = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let link = created_invite(&server, &mother, &invite(UserRole::Family, &["sala-1"], 1)).await;
    let grandma = registered(&server, &link.path, "abuela").await;
    let people: Vec<nido_shared::api::Person> = server.get_as("/api/people", &admin).await;
    let grandma = people.iter().find(|p| p.id == grandma.id).unwrap();
    assert_eq!(
        grandma.invited_by.as_ref().map(|by| by.as_str()),
        Some("Madre")
    );
    let mother = people.iter().find(|p| p.id == mother.id).unwrap();
    assert_eq!(mother.invited_by, None);
}

#[tokio::test]
async fn only_the_family_member_staff_invited_invites_relatives_and_the_limit_holds_under_load() {
    let server = TestServer::start().await;
    let mother = server.person(UserRole::Family, "Madre", &["sala-1"]).await;

    // 30 requests at once for one place each, against the household's limit of 3.
    let attempts = (0..30).map(|_| {
        server
            .api(Method::POST, "/api/invites", &mother)
            .json(&invite(UserRole::Family, &["sala-1"], 1))
            .send()
    });
    let answers = futures_util::future::join_all(attempts).await;
    let statuses: Vec<u16> = answers
        .into_iter()
        .map(|answer| answer.unwrap().status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        3,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 403),
        "{statuses:?}"
    );

    // A relative the mother invited cannot invite in turn: no chains.
    let invites: Vec<nido_shared::api::Invite> = server.get_as("/api/invites", &mother).await;
    assert_eq!(invites.len(), 3);
    let revoke_one = server
        .api(
            Method::DELETE,
            &format!("/api/invites/{}", invites[0].id),
            &mother,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoke_one.status(), 204);
    let link = created_invite(&server, &mother, &invite(UserRole::Family, &["sala-1"], 1)).await;
    let grandma = registered(&server, &link.path, "abuela").await;
    let chained = server
        .api(Method::POST, "/api/invites", &grandma)
        .json(&invite(UserRole::Family, &["sala-1"], 1))
        .send()
        .await
        .unwrap();
    assert_eq!(chained.status(), 403);
    let me: nido_shared::api::Me = server.get_as("/api/me", &grandma).await;
    assert_eq!(me.invites_left, Some(0));
}

/// A camera that sends a frame every 20 ms until dropped.
fn stream_forever(mut camera: TestClient) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        for sequence in 1.. {
            camera
                .send_binary(frame(sequence, &jpeg(sequence, 500)))
                .await;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
}

fn open_all_day() -> WeeklySchedule {
    let always = nido_shared::OpenHours::new(
        nido_shared::TimeOfDay::MIDNIGHT,
        nido_shared::TimeOfDay::END_OF_DAY,
    )
    .unwrap();
    WeeklySchedule {
        days: [Some(always); 7],
    }
}

async fn set_schedule(server: &TestServer, admin: &Account, schedule: WeeklySchedule) {
    let changes = RoomChanges {
        schedule: Some(schedule),
        ..RoomChanges::default()
    };
    let done = server
        .api(Method::PATCH, "/api/rooms/sala-1", admin)
        .json(&changes)
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
}

#[tokio::test]
async fn a_join_racing_a_closing_never_reopens_the_room() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let mut families = Vec::new();
    for n in 0..20 {
        families.push(
            server
                .person(UserRole::Family, &format!("Familia {n}"), &["sala-1"])
                .await,
        );
    }
    let mut camera = server.connect_as(&caregiver).await;
    camera.join("sala-1", Role::Camera, None).await;
    let streaming = stream_forever(camera);
    let closed = WeeklySchedule { days: [None; 7] };

    let mut late_frames = Vec::new();
    for round in 0..20 {
        set_schedule(&server, &admin, open_all_day()).await;
        let mut viewers = Vec::new();
        for family in &families {
            viewers.push(server.connect_as(family).await);
        }
        let joins = viewers
            .iter_mut()
            .map(|viewer| viewer.send_join("sala-1", Role::Viewer, None));
        // The closing lands at a different point of the joins' checks each round.
        let close = async {
            tokio::time::sleep(Duration::from_millis(round % 10)).await;
            set_schedule(&server, &admin, closed).await;
        };
        let (_, ()) = tokio::join!(futures_util::future::join_all(joins), close);
        let acknowledged = Instant::now();
        let deadline = acknowledged + Duration::from_millis(1_000);
        let watching = viewers.into_iter().map(|mut viewer| async move {
            let mut late = 0;
            while let Ok(received) = tokio::time::timeout_at(
                (deadline + Duration::from_millis(300)).into(),
                viewer.next(),
            )
            .await
            {
                match received {
                    Received::Frame(_) if Instant::now() > deadline => late += 1,
                    Received::Closed(_) => break,
                    _ => {}
                }
            }
            late
        });
        let late: usize = futures_util::future::join_all(watching)
            .await
            .into_iter()
            .sum();
        if late > 0 {
            late_frames.push((round, late));
        }
    }
    streaming.abort();
    assert!(
        late_frames.is_empty(),
        "families got frames more than 1 s after the room closed: (round, frames) {late_frames:?}"
    );
}

#[tokio::test]
async fn a_deleted_room_leaves_no_chat_behind() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let before = server
        .person(UserRole::Family, "Madre de antes", &["sala-1"])
        .await;
    let mut parent = server.connect_as(&before).await;
    parent.join("sala-1", Role::Viewer, None).await;
    parent.chat("un mensaje del año pasado").await;
    parent.next_chat().await;
    // And one to the staff alone, which they read.
    parent
        .send(&ClientMessage::Chat {
            id: new_chat_id(),
            text: "solo para el equipo".into(),
            thread: Some(before.id),
        })
        .await;
    parent.next_chat().await;
    let mut staff = server.connect_as(&admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    staff
        .send(&ClientMessage::ReadThread {
            thread: before.id,
            seq: 1,
        })
        .await;
    staff
        .send(&ClientMessage::Mute {
            user_id: before.id,
            minutes: 60,
        })
        .await;
    // Handled in order: once this is heard, the mute is stored.
    staff.chat("silenciada un rato").await;
    staff.next_chat().await;

    let deleted = server
        .api(Method::DELETE, "/api/rooms/sala-1", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let left: i64 = count_rows(&server, "chat_messages").await
        + count_rows(&server, "chat_threads").await
        + count_rows(&server, "chat_reads").await
        + count_rows(&server, "thread_guests").await
        + count_rows(&server, "chat_mutes").await;
    assert_eq!(left, 0, "chat rows outlived their room");

    // The same id again is a new room with an empty chat.
    let mut newcomer = server.join("sala-1", Role::Viewer, "Madre nueva").await;
    let (lines, has_older, _, _) = newcomer.next_backlog().await;
    assert!(lines.is_empty() && !has_older, "{lines:?}");
}

/// Rows in a table of the server's database (SQLite's file, or its PostgreSQL database),
/// read through a connection of its own.
async fn count_rows(server: &TestServer, table: &str) -> i64 {
    let query = format!("SELECT COUNT(*) FROM {table}");
    match &server.state.config.database {
        Some(url) => {
            let pool = sqlx::PgPool::connect_with(url.options().clone())
                .await
                .unwrap();
            let count = sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap();
            pool.close().await;
            count
        }
        None => {
            let url = format!("sqlite:{}", server.data_dir().join("nido.db").display());
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            let count = sqlx::query_scalar(&query).fetch_one(&pool).await.unwrap();
            pool.close().await;
            count
        }
    }
}

#[tokio::test]
async fn the_privacy_pause_survives_the_camera_reconnecting() {
    let server = TestServer::start().await;
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let family = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let mut camera = server.connect_as(&caregiver).await;
    camera
        .join("sala-1", Role::Camera, Some("tableta-de-la-sala-1"))
        .await;
    camera.send_binary(frame(1, &jpeg(1, 500))).await;
    let mut parent = server.connect_as(&family).await;
    parent.join("sala-1", Role::Viewer, None).await;
    assert_eq!(sequence_of(&parent.next_frame().await), 1);

    camera
        .send(&ClientMessage::SetPaused { paused: true })
        .await;
    parent
        .presence_where(|p| p.camera == CameraStatus::Paused)
        .await;
    // Flaky Wi-Fi: the camera page's socket drops and it joins again.
    drop(camera);
    parent
        .presence_where(|p| p.camera == CameraStatus::Off)
        .await;
    let mut camera = server.connect_as(&caregiver).await;
    camera
        .join("sala-1", Role::Camera, Some("tableta-de-la-sala-1"))
        .await;
    let presence = camera.next_presence().await;
    assert_eq!(
        presence.camera,
        CameraStatus::Paused,
        "the camera hears it is paused"
    );
    for sequence in 2..=6 {
        camera
            .send_binary(frame(sequence, &jpeg(sequence, 500)))
            .await;
    }
    let seen = parent
        .presence_where(|p| p.camera != CameraStatus::Off)
        .await;
    assert_eq!(seen.camera, CameraStatus::Paused);
    let nothing = tokio::time::timeout(Duration::from_millis(500), parent.next_frame()).await;
    assert!(nothing.is_err(), "a frame went out during the pause");

    // Only staff resuming it ends the pause.
    camera
        .send(&ClientMessage::SetPaused { paused: false })
        .await;
    camera.send_binary(frame(7, &jpeg(7, 500))).await;
    assert_eq!(sequence_of(&parent.next_frame().await), 7);
}

#[tokio::test]
async fn a_new_family_member_sees_the_chat_from_when_they_got_the_room() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let mut earlier = server.join("sala-1", Role::Viewer, "Madre de antes").await;
    for n in 0..3 {
        earlier.chat(&format!("antes {n}")).await;
        earlier.next_chat().await;
    }
    let newcomer = server
        .person(UserRole::Family, "Madre nueva", &["sala-2"])
        .await;
    server
        .state
        .clock
        .set_now(server.state.clock.now() + Duration::from_secs(1));
    let add = PersonChanges {
        rooms: Some(rooms(&["sala-1", "sala-2"])),
        ..PersonChanges::default()
    };
    change_person(&server, &admin, newcomer.id, &add).await;
    earlier.chat("después").await;
    earlier.next_chat().await;

    let mut viewer = server.connect_as(&newcomer).await;
    viewer.join("sala-1", Role::Viewer, None).await;
    let (lines, has_older, _, _) = viewer.next_backlog().await;
    let texts: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
    assert_eq!(texts, ["después"]);
    assert!(!has_older);
    viewer
        .send(&ClientMessage::OlderChat {
            before_seq: lines[0].seq,
            thread: None,
        })
        .await;
    let older = viewer
        .wait_for(|r| match r {
            Received::Json(ServerMessage::OlderChat { lines, .. }) => Some(lines.clone()),
            _ => None,
        })
        .await;
    assert!(older.is_empty(), "{older:?}");
    // A reconnect that asks from the start gets no more.
    let mut again = server.connect_as(&newcomer).await;
    again.rejoin("sala-1", Role::Viewer, 0).await;
    let (lines, ..) = again.next_backlog().await;
    assert_eq!(lines.len(), 1);

    // Staff see the whole history.
    let mut staff = server.connect_as(&admin).await;
    staff.join("sala-1", Role::Viewer, None).await;
    let (lines, ..) = staff.next_backlog().await;
    assert_eq!(lines.len(), 4);
}

#[tokio::test]
async fn two_admins_removing_each_other_at_once_leave_one() {
    let server = TestServer::start().await;
    for round in 0..10 {
        let first = server
            .person(UserRole::Admin, &format!("A{round}"), &[])
            .await;
        let second = server
            .person(UserRole::Admin, &format!("B{round}"), &[])
            .await;
        let demote = PersonChanges {
            role: Some(UserRole::Family),
            ..PersonChanges::default()
        };
        // The one left from the round before steps down, so these two are the last.
        for person in server.state.store.users().await.unwrap() {
            if person.role == UserRole::Admin && ![first.id, second.id].contains(&person.id) {
                change_person(&server, &first, person.id, &demote).await;
            }
        }
        let (a, b) = if round % 2 == 0 {
            let demote_second = server
                .api(Method::PATCH, &format!("/api/people/{}", second.id), &first)
                .json(&demote)
                .send();
            let demote_first = server
                .api(Method::PATCH, &format!("/api/people/{}", first.id), &second)
                .json(&demote)
                .send();
            let (a, b) = tokio::join!(demote_second, demote_first);
            (a.unwrap().status(), b.unwrap().status())
        } else {
            let (a, b) = tokio::join!(
                revoke(&server, &first, second.id),
                revoke(&server, &second, first.id)
            );
            (
                reqwest::StatusCode::from_u16(a).unwrap(),
                reqwest::StatusCode::from_u16(b).unwrap(),
            )
        };
        let admins = server.state.store.active_admin_count().await.unwrap();
        assert_eq!(admins, 1, "round {round}: {a} and {b}");
    }
}
