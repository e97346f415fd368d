//! Children and attendance (issue 17): who manages and sees which children, check-in,
//! check-out and undo, an admin's corrections in the security log, and a room that ties
//! viewing to attendance: a family gets frame bytes only while a child of theirs is checked
//! in (and within the viewing hours), live, across reconnects and a check-out racing a join;
//! staff are not affected.

mod common;

use std::time::Duration;

use common::*;
use nido_shared::api::{RoomChanges, SecurityEvent};
use nido_shared::attendance::{AttendanceAction, AttendanceMark, Child, ChildToday, Stay};
use nido_shared::{CameraStatus, Problem, Role, ServerMessage, UserRole};
use reqwest::{Method, StatusCode};

/// Long enough for a frame that was going to come to have come.
const QUIET: Duration = Duration::from_millis(400);

struct Daycare {
    server: TestServer,
    admin: Account,
    camera: TestClient,
    /// A caregiver watching: staff see the picture whatever the attendance.
    staff_viewer: TestClient,
    next_frame: u64,
}

impl Daycare {
    /// `sala-1` with a camera on and a caregiver watching, viewing tied to attendance.
    async fn start() -> Self {
        let server = TestServer::start().await;
        server.room("sala-1").await;
        let admin = server.person(UserRole::Admin, "Directora", &[]).await;
        let camera = server.join("sala-1", Role::Camera, "Cámara").await;
        let staff = server
            .person(UserRole::Caregiver, "Seño", &["sala-1"])
            .await;
        let mut staff_viewer = server.connect_as(&staff).await;
        staff_viewer.join("sala-1", Role::Viewer, None).await;
        let daycare = Self {
            server,
            admin,
            camera,
            staff_viewer,
            next_frame: 1,
        };
        daycare.options(Some(true), None).await;
        daycare
    }

    async fn options(&self, attendance_required: Option<bool>, watermark: Option<bool>) {
        let changes = RoomChanges {
            attendance_required,
            watermark,
            ..RoomChanges::default()
        };
        let response = request(
            &self.server,
            Method::PATCH,
            "/api/rooms/sala-1",
            &self.admin,
            Some(&changes),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    async fn family(&self, name: &str) -> Account {
        self.server
            .person(UserRole::Family, name, &["sala-1"])
            .await
    }

    async fn child(&self, name: &str, families: &[&Account]) -> Child {
        let new = serde_json::json!({
            "name": name,
            "room": "sala-1",
            "families": families.iter().map(|f| f.id).collect::<Vec<_>>(),
        });
        let response = request(
            &self.server,
            Method::POST,
            "/api/children",
            &self.admin,
            Some(&new),
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    /// `by` taps `action` for `child`: the response.
    async fn tap(
        &self,
        by: &Account,
        child: &Child,
        action: AttendanceAction,
    ) -> reqwest::Response {
        request(
            &self.server,
            Method::POST,
            &format!("/api/children/{}/attendance", child.id),
            by,
            Some(&AttendanceMark { action }),
        )
        .await
    }

    async fn check(&self, child: &Child, action: AttendanceAction) {
        let response = self.tap(&self.admin, child, action).await;
        assert_eq!(response.status(), StatusCode::OK, "{action:?}");
    }

    /// A family member's viewer, joined.
    async fn viewer(&self, family: &Account) -> TestClient {
        let mut viewer = self.server.connect_as(family).await;
        viewer.join("sala-1", Role::Viewer, None).await;
        viewer
    }

    /// The camera sends a frame, which the watching caregiver receives: its number.
    async fn frame(&mut self) -> u64 {
        let number = self.next_frame;
        self.next_frame += 1;
        self.camera
            .send_binary(frame(number, &jpeg(number, 400)))
            .await;
        let got = self.staff_viewer.next_frame().await;
        assert_eq!(sequence_of(&got), number, "staff always see the picture");
        number
    }

    /// Sends a frame and says whether `viewer` received it (after any it had not read).
    async fn frame_reaches(&mut self, viewer: &mut TestClient) -> bool {
        let number = self.frame().await;
        let frames: Vec<u64> = viewer
            .received_within(QUIET)
            .await
            .iter()
            .filter_map(|received| match received {
                Received::Frame(bytes) => Some(sequence_of(bytes)),
                _ => None,
            })
            .collect();
        frames.last() == Some(&number)
    }
}

/// `method path` as `who`, with a JSON body if given: the response.
async fn request(
    server: &TestServer,
    method: Method,
    path: &str,
    who: &Account,
    body: Option<&impl serde::Serialize>,
) -> reqwest::Response {
    let builder = server.api(method, path, who);
    let builder = match body {
        Some(body) => builder.json(body),
        None => builder,
    };
    builder.send().await.unwrap()
}

/// The newest attendance message among what the viewer received.
async fn told(viewer: &mut TestClient) -> Vec<ChildToday> {
    viewer
        .wait_for(|received| match received {
            Received::Json(ServerMessage::Attendance(children)) => Some(children.clone()),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn admins_manage_children_caregivers_see_their_rooms_and_families_only_their_own() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let ana = daycare.family("Ana").await;
    let luis = daycare.family("Luis").await;
    let lucia = daycare.child("Lucía M.", &[&ana, &luis]).await;
    let pablo = daycare.child("Pablo R.", &[&luis]).await;
    assert_eq!(lucia.families, [ana.id, luis.id]);

    let other_room = server
        .person(UserRole::Caregiver, "Otra", &["sala-2"])
        .await;
    let seen: Vec<Child> = server.get_as("/api/children", &other_room).await;
    assert!(seen.is_empty(), "a caregiver of another room sees none");
    let caregiver = server
        .person(UserRole::Caregiver, "Marta", &["sala-1"])
        .await;
    let seen: Vec<Child> = server.get_as("/api/children", &caregiver).await;
    assert_eq!(seen, [lucia.clone(), pablo.clone()]);

    let seen: Vec<Child> = server.get_as("/api/children", &ana).await;
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, lucia.name);
    assert!(seen[0].families.is_empty(), "not who else is linked");
    let seen: Vec<Child> = server.get_as("/api/children", &luis).await;
    assert_eq!(seen.len(), 2, "separated parents and siblings alike");

    let by_caregiver = request(
        server,
        Method::POST,
        "/api/children",
        &caregiver,
        Some(&serde_json::json!({"name": "X", "room": "sala-1"})),
    )
    .await;
    assert_eq!(by_caregiver.status(), StatusCode::FORBIDDEN);
    let staff_linked = request(
        server,
        Method::POST,
        "/api/children",
        &daycare.admin,
        Some(&serde_json::json!({"name": "X", "room": "sala-1", "families": [caregiver.id]})),
    )
    .await;
    assert_eq!(staff_linked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = staff_linked.json().await.unwrap();
    assert_eq!(body["problem"]["reason"], "not_a_family");

    let renamed = request(
        server,
        Method::PATCH,
        &format!("/api/children/{}", pablo.id),
        &daycare.admin,
        Some(&serde_json::json!({"name": "Pablo", "families": [ana.id]})),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let seen: Vec<Child> = server.get_as("/api/children", &luis).await;
    assert_eq!(seen.len(), 1, "Pablo is Ana's now");
    let removed = request(
        server,
        Method::DELETE,
        &format!("/api/children/{}", pablo.id),
        &daycare.admin,
        None::<&()>,
    )
    .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let seen: Vec<Child> = server.get_as("/api/children", &ana).await;
    assert_eq!(seen.len(), 1);
}

#[tokio::test]
async fn caregivers_check_in_check_out_and_undo_and_only_their_rooms_staff_may() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let ana = daycare.family("Ana").await;
    let lucia = daycare.child("Lucía", &[&ana]).await;
    let caregiver = server
        .person(UserRole::Caregiver, "Marta", &["sala-1"])
        .await;
    let outsider = server
        .person(UserRole::Caregiver, "Otra", &["sala-2"])
        .await;

    let tap = |by, action| daycare.tap(by, &lucia, action);
    let problem = |response: reqwest::Response| async move {
        assert_eq!(response.status(), StatusCode::CONFLICT);
        let body: serde_json::Value = response.json().await.unwrap();
        serde_json::from_value::<Problem>(body["problem"].clone()).unwrap()
    };
    for (who, status) in [
        (&ana, StatusCode::NOT_FOUND),
        (&outsider, StatusCode::NOT_FOUND),
    ] {
        assert_eq!(tap(who, AttendanceAction::CheckIn).await.status(), status);
    }
    let checked_in: Child = tap(&caregiver, AttendanceAction::CheckIn)
        .await
        .json()
        .await
        .unwrap();
    assert!(checked_in.today().is_in());
    assert_eq!(
        problem(tap(&caregiver, AttendanceAction::CheckIn).await).await,
        Problem::AlreadyCheckedIn
    );
    let out: Child = tap(&caregiver, AttendanceAction::CheckOut)
        .await
        .json()
        .await
        .unwrap();
    assert!(!out.today().is_in() && out.today().checked_out_at.is_some());
    assert_eq!(
        problem(tap(&caregiver, AttendanceAction::CheckOut).await).await,
        Problem::NotCheckedIn
    );
    let undone: Child = tap(&caregiver, AttendanceAction::Undo)
        .await
        .json()
        .await
        .unwrap();
    assert!(undone.today().is_in(), "the check-out was a mistake");
    let undone: Child = tap(&caregiver, AttendanceAction::Undo)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        undone.today(),
        Default::default(),
        "and so was the check-in"
    );
    assert_eq!(
        problem(tap(&caregiver, AttendanceAction::Undo).await).await,
        Problem::NothingToUndo
    );

    // The times are kept: the day's record.
    tap(&caregiver, AttendanceAction::CheckIn).await;
    tap(&caregiver, AttendanceAction::CheckOut).await;
    tap(&caregiver, AttendanceAction::CheckIn).await;
    let stays: Vec<Stay> = server
        .get_as(&format!("/api/children/{}/stays", lucia.id), &caregiver)
        .await;
    assert_eq!(stays.len(), 2);
    assert!(stays[0].checked_out_at.is_some() && stays[1].checked_out_at.is_none());
    let family_look = request(
        server,
        Method::GET,
        &format!("/api/children/{}/stays", lucia.id),
        &ana,
        None::<&()>,
    )
    .await;
    assert_eq!(family_look.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_admin_corrects_a_day_and_the_correction_is_in_the_security_log() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let ana = daycare.family("Ana").await;
    let lucia = daycare.child("Lucía", &[&ana]).await;
    daycare.check(&lucia, AttendanceAction::CheckIn).await;
    let stays: Vec<Stay> = server
        .get_as(&format!("/api/children/{}/stays", lucia.id), &daycare.admin)
        .await;
    let stay = stays[0];
    let now = server.state.clock.now();
    let earlier = now - Duration::from_secs(3600);
    let path = format!("/api/children/{}/stays/{}", lucia.id, stay.id);
    let times = |checked_in_at, checked_out_at| serde_json::json!({"checked_in_at": checked_in_at, "checked_out_at": checked_out_at});
    let backwards = request(
        server,
        Method::PUT,
        &path,
        &daycare.admin,
        Some(&times(now, Some(earlier))),
    )
    .await;
    assert_eq!(backwards.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let by_caregiver = server
        .person(UserRole::Caregiver, "Marta", &["sala-1"])
        .await;
    let refused = request(
        server,
        Method::PUT,
        &path,
        &by_caregiver,
        Some(&times(earlier, Some(now))),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let corrected: Stay = request(
        server,
        Method::PUT,
        &path,
        &daycare.admin,
        Some(&times(earlier, Some(now))),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(corrected.checked_in_at, earlier);
    let seen: Vec<Child> = server.get_as("/api/children", &ana).await;
    assert!(!seen[0].today().is_in(), "the correction counts at once");

    let events: Vec<SecurityEvent> = server
        .get_as(
            "/api/audit/events?kind=attendance_corrected",
            &daycare.admin,
        )
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].amount, Some(stay.id.get()));
    assert_eq!(events[0].room.as_ref().map(|r| r.as_str()), Some("sala-1"));
}

#[tokio::test]
async fn a_family_receives_frames_only_while_its_child_is_checked_in() {
    let mut daycare = Daycare::start().await;
    let ana = daycare.family("Ana").await;
    let lucia = daycare.child("Lucía", &[&ana]).await;
    let mut viewer = daycare.viewer(&ana).await;
    let day = told(&mut viewer).await;
    assert_eq!(day.len(), 1);
    assert!(!day[0].today().is_in(), "Lucía has not arrived yet");
    assert!(!daycare.frame_reaches(&mut viewer).await);

    daycare.check(&lucia, AttendanceAction::CheckIn).await;
    assert!(told(&mut viewer).await[0].today().is_in());
    assert!(
        daycare.frame_reaches(&mut viewer).await,
        "within the moment"
    );

    daycare.check(&lucia, AttendanceAction::CheckOut).await;
    let day = told(&mut viewer).await;
    assert!(day[0].today().checked_out_at.is_some(), "Lucía went home");
    assert!(!daycare.frame_reaches(&mut viewer).await);

    // A reconnect changes nothing.
    drop(viewer);
    let mut again = daycare.viewer(&ana).await;
    assert!(!told(&mut again).await[0].today().is_in());
    assert!(!daycare.frame_reaches(&mut again).await);

    // With the option off, attendance does not count.
    daycare.options(Some(false), None).await;
    again.presence_where(|p| !p.attendance_required).await;
    assert!(daycare.frame_reaches(&mut again).await);
}

#[tokio::test]
async fn several_children_and_several_accounts_each_family_watches_while_one_of_its_own_is_in() {
    let mut daycare = Daycare::start().await;
    let mother = daycare.family("Madre").await;
    let father = daycare.family("Padre").await;
    let neighbour = daycare.family("Vecina").await;
    let lucia = daycare.child("Lucía", &[&mother, &father]).await;
    let pablo = daycare.child("Pablo", &[&father]).await;
    daycare.child("Sara", &[&neighbour]).await;
    let mut mother_viewer = daycare.viewer(&mother).await;
    let mut father_viewer = daycare.viewer(&father).await;
    let mut neighbour_viewer = daycare.viewer(&neighbour).await;
    assert_eq!(told(&mut father_viewer).await.len(), 2);

    daycare.check(&pablo, AttendanceAction::CheckIn).await;
    assert!(daycare.frame_reaches(&mut father_viewer).await);
    assert!(
        !daycare.frame_reaches(&mut mother_viewer).await,
        "Pablo is not hers"
    );
    daycare.check(&lucia, AttendanceAction::CheckIn).await;
    assert!(daycare.frame_reaches(&mut mother_viewer).await);
    daycare.check(&pablo, AttendanceAction::CheckOut).await;
    assert!(
        daycare.frame_reaches(&mut father_viewer).await,
        "Lucía is still in"
    );
    assert!(!daycare.frame_reaches(&mut neighbour_viewer).await);
}

#[tokio::test]
async fn hours_and_attendance_both_hold_and_a_check_in_of_yesterday_does_not_count() {
    let mut daycare = Daycare::start().await;
    let server = &daycare.server;
    // Weekdays 07:00–17:00 in the daycare's zone.
    let response = request(
        server,
        Method::PATCH,
        "/api/rooms/sala-1",
        &daycare.admin,
        Some(&RoomChanges {
            schedule: Some(nido_shared::WeeklySchedule::default()),
            ..RoomChanges::default()
        }),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let at = |text: &str| {
        nido_shared::Timestamp::from_micros(
            text.parse::<jiff::ZonedDateTime>()
                .unwrap()
                .timestamp()
                .as_microsecond(),
        )
    };
    let clock = server.state.clock.clone();
    clock.set_now(at("2026-12-09T12:00:00+01:00[Europe/Madrid]"));
    let ana = daycare.family("Ana").await;
    let lucia = daycare.child("Lucía", &[&ana]).await;
    daycare.check(&lucia, AttendanceAction::CheckIn).await;
    let mut viewer = daycare.viewer(&ana).await;
    viewer
        .presence_where(|p| p.camera == CameraStatus::Live)
        .await;
    assert!(daycare.frame_reaches(&mut viewer).await, "open and in");

    clock.set_now(at("2026-12-09T18:00:00+01:00[Europe/Madrid]"));
    viewer
        .presence_where(|p| p.camera == CameraStatus::Closed)
        .await;
    assert!(!daycare.frame_reaches(&mut viewer).await, "in, but closed");

    // Nobody checked Lucía out yesterday: today she has not arrived.
    clock.set_now(at("2026-12-10T09:00:00+01:00[Europe/Madrid]"));
    let (mut day, mut live) = (None, false);
    while day.is_none() || !live {
        match viewer.next().await {
            Received::Json(ServerMessage::Attendance(children)) => day = Some(children),
            Received::Json(ServerMessage::Presence(p)) => live = p.camera == CameraStatus::Live,
            _ => {}
        }
    }
    assert!(!day.unwrap()[0].today().is_in());
    assert!(
        !daycare.frame_reaches(&mut viewer).await,
        "open, but not in"
    );
    daycare.check(&lucia, AttendanceAction::CheckIn).await;
    assert!(daycare.frame_reaches(&mut viewer).await);
}

#[tokio::test]
async fn a_check_out_racing_a_join_never_lets_a_frame_through() {
    let mut daycare = Daycare::start().await;
    let ana = daycare.family("Ana").await;
    let lucia = daycare.child("Lucía", &[&ana]).await;
    for _ in 0..10 {
        daycare.check(&lucia, AttendanceAction::CheckIn).await;
        let (viewer, checked_out) = tokio::join!(
            daycare.viewer(&ana),
            daycare.tap(&daycare.admin, &lucia, AttendanceAction::CheckOut)
        );
        assert_eq!(
            checked_out.status(),
            StatusCode::OK,
            "{}",
            checked_out.text().await.unwrap()
        );
        let mut viewer = viewer;
        assert!(
            !daycare.frame_reaches(&mut viewer).await,
            "after the check-out, whichever came first"
        );
    }
}
