//! The security log: failed logins, refused joins and every staff action are recorded with
//! who, what, where and from which address; admins read, filter and export them.

mod common;

use common::*;
use nido_shared::api::{NewRoom, PersonChanges, RoomChanges, SecurityEvent, SecurityEventKind};
use nido_shared::{ClientMessage, Role, UserRole, WeeklySchedule};
use reqwest::Method;

async fn events(server: &TestServer, admin: &Account, query: &str) -> Vec<SecurityEvent> {
    server
        .get_as(&format!("/api/audit/events?{query}"), admin)
        .await
}

async fn expect_status(request: reqwest::RequestBuilder, status: u16) {
    let response = request.send().await.unwrap();
    assert_eq!(
        response.status(),
        status,
        "{}",
        response.text().await.unwrap()
    );
}

#[tokio::test]
async fn every_security_event_is_recorded_with_who_what_and_where() {
    let server = TestServer::start().await;
    let admin = server.person(UserRole::Admin, "Directora", &[]).await;
    let caregiver = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let family = server.person(UserRole::Family, "Madre", &["sala-1"]).await;

    // Someone tries a password; a family member knocks on another room's door.
    assert_eq!(
        server.log_in(&family.username, "no es esta").await,
        Err(401)
    );
    let mut knocking = server.connect_as(&family).await;
    knocking.send_join("sala-2", Role::Viewer, None).await;
    knocking
        .expect_error(nido_shared::ErrorCode::RoomForbidden, Some(1008))
        .await;

    // The staff's day.
    let room = NewRoom {
        id: "sala-2".to_owned().try_into().unwrap(),
        name: "Sala 2".into(),
        schedule: WeeklySchedule::default(),
    };
    expect_status(
        server.api(Method::POST, "/api/rooms", &admin).json(&room),
        201,
    )
    .await;
    let rename = RoomChanges {
        name: Some("Los pollitos".into()),
        ..RoomChanges::default()
    };
    let hours = RoomChanges {
        schedule: Some(WeeklySchedule { days: [None; 7] }),
        ..RoomChanges::default()
    };
    for changes in [rename, hours] {
        let change = server.api(Method::PATCH, "/api/rooms/sala-2", &admin);
        expect_status(change.json(&changes), 200).await;
    }
    let link: nido_shared::api::CreatedInvite = create_invite(
        &server,
        &caregiver,
        &invite(UserRole::Family, &["sala-1"], 2),
    )
    .await
    .json()
    .await
    .unwrap();
    let revoke_link = format!("/api/invites/{}", link.invite.id);
    expect_status(server.api(Method::DELETE, &revoke_link, &caregiver), 204).await;
    let change = PersonChanges {
        rooms: Some(vec![
            "sala-1".to_owned().try_into().unwrap(),
            "sala-2".to_owned().try_into().unwrap(),
        ]),
        ..PersonChanges::default()
    };
    let person = format!("/api/people/{}", family.id);
    expect_status(
        server.api(Method::PATCH, &person, &admin).json(&change),
        204,
    )
    .await;
    let unlock = format!("/api/people/{}/unlock", family.id);
    expect_status(server.api(Method::POST, &unlock, &admin), 204).await;

    let mut parent = server.connect_as(&family).await;
    parent.join("sala-1", Role::Viewer, None).await;
    parent.chat("un mensaje de más").await;
    let line = parent.next_chat().await;
    let mut staff = server.connect_as(&caregiver).await;
    staff.join("sala-1", Role::Camera, None).await;
    staff
        .send(&ClientMessage::DeleteChat {
            seq: line.seq,
            thread: None,
        })
        .await;
    staff
        .send(&ClientMessage::Mute {
            user_id: family.id,
            minutes: 15,
        })
        .await;
    staff.chat("hecho").await;
    staff.next_chat().await;

    let revoke = format!("/api/people/{}/revoke", family.id);
    expect_status(server.api(Method::POST, &revoke, &admin), 204).await;
    expect_status(server.api(Method::DELETE, "/api/rooms/sala-2", &admin), 204).await;

    let all = events(&server, &admin, "").await;
    let kinds: Vec<SecurityEventKind> = all.iter().rev().map(|event| event.kind).collect();
    use SecurityEventKind::*;
    assert_eq!(
        kinds,
        [
            LoginFailed,
            JoinRefused,
            RoomCreated,
            RoomRenamed,
            HoursChanged,
            InviteCreated,
            InviteRevoked,
            PersonChanged,
            PersonUnlocked,
            ChatDeleted,
            Muted,
            PersonRevoked,
            RoomDeleted,
        ]
    );
    let find = |kind| all.iter().find(|event| event.kind == kind).unwrap();
    let failed = find(LoginFailed);
    assert_eq!(failed.account.as_deref(), Some(family.username.as_str()));
    assert_eq!(
        (failed.actor.as_ref(), failed.client_addr.as_str()),
        (None, "127.0.0.1")
    );
    let refused = find(JoinRefused);
    assert_eq!(
        refused.actor.as_ref().map(|a| a.as_str()),
        Some(family.username.as_str())
    );
    assert_eq!(refused.room.as_ref().map(|r| r.as_str()), Some("sala-2"));
    let created = find(InviteCreated);
    assert_eq!(
        created.actor_name.as_ref().map(|n| n.as_str()),
        Some("Seño")
    );
    assert_eq!(
        (created.role, created.amount),
        (Some(UserRole::Family), Some(2))
    );
    assert_eq!(find(InviteRevoked).amount, Some(link.invite.id.get()));
    assert_eq!(find(PersonChanged).rooms.len(), 2);
    assert_eq!(find(ChatDeleted).amount, Some(line.seq as i64));
    let muted = find(Muted);
    assert_eq!(
        (muted.account.as_deref(), muted.amount),
        (Some(family.username.as_str()), Some(15))
    );
    assert!(all.iter().all(|event| event.client_addr == "127.0.0.1"));

    // Filters: by kind, by person (as actor or subject), by room, by time.
    let by_kind = events(&server, &admin, "kind=muted").await;
    assert_eq!(by_kind.len(), 1);
    let about_family = events(&server, &admin, &format!("user={}", family.username)).await;
    let about: Vec<_> = about_family.iter().rev().map(|e| e.kind).collect();
    assert_eq!(
        about,
        [
            LoginFailed,
            JoinRefused,
            PersonChanged,
            PersonUnlocked,
            Muted,
            PersonRevoked
        ]
    );
    let sala_2 = events(&server, &admin, "room=sala-2").await;
    assert!(
        sala_2.iter().any(|e| e.kind == PersonChanged),
        "listed in its rooms"
    );
    assert_eq!(sala_2.len(), 6, "{sala_2:?}");
    let first = all.last().unwrap().at_us.as_micros();
    let before_first = events(&server, &admin, &format!("to_us={first}")).await;
    assert!(before_first.is_empty());

    // Only admins read it; the CSV is in the language asked for.
    let forbidden = server.api(Method::GET, "/api/audit/events", &caregiver);
    expect_status(forbidden, 403).await;
    let csv = server
        .get_text("/api/audit/events.csv?kind=muted", &admin)
        .await;
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("\u{feff}fecha,evento,por,cuenta,sala,papel,salas,cantidad,dirección")
    );
    let row = lines.next().unwrap();
    assert!(row.contains(",Familiar silenciado,"), "{row}");
    assert!(
        row.ends_with(&format!(",{},sala-1,,,15,127.0.0.1", family.username)),
        "{row}"
    );
    let english = server
        .get_text("/api/audit/events.csv?kind=room_deleted&lang=en", &admin)
        .await;
    assert!(english.contains(",Room deleted,"), "{english}");
}
