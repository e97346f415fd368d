//! Private threads between a family account and a room's staff (issue 18): who reads one
//! (the access matrix: the family, another family, the family's invited relative before and
//! after the staff add them, the room's caregiver, another room's caregiver, an admin, a
//! revoked relative, a caregiver taken off the room), read state live on every page and
//! after a reload, catch-up, older pages and idempotent resends in a thread, and staff
//! deletions in the security log.

mod common;

use std::time::Duration;

use common::*;
use nido_server::store::{Appended, NewChat};
use nido_shared::api::{PersonChanges, RoomFamily, SecurityEvent};
use nido_shared::{
    ChatId, ChatLine, ClientMessage, DisplayName, ErrorCode, Role, RoomId, ServerMessage,
    SocketError, ThreadState, UserId, UserRole,
};
use reqwest::{Method, StatusCode};

/// Long enough for a message that was going to come to have come.
const QUIET: Duration = Duration::from_millis(300);

/// Sends message `text` to the thread with `thread`; its id.
async fn write(client: &mut TestClient, thread: UserId, text: &str) -> String {
    let id = new_chat_id();
    client
        .send(&ClientMessage::Chat {
            id: id.clone(),
            text: text.into(),
            thread: Some(thread),
        })
        .await;
    id
}

/// The next message of a thread this client receives.
async fn next_thread_line(client: &mut TestClient) -> ChatLine {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) if line.thread.is_some() => {
                Some(line.clone())
            }
            _ => None,
        })
        .await
}

/// Message `seq` of a thread, once this client receives it (skipping earlier ones).
async fn thread_line(client: &mut TestClient, seq: u64) -> ChatLine {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line))
                if line.thread.is_some() && line.seq == seq =>
            {
                Some(line.clone())
            }
            _ => None,
        })
        .await
}

/// Messages of private threads a client received within a quiet spell.
async fn thread_lines_within(client: &mut TestClient) -> Vec<ChatLine> {
    client
        .received_within(QUIET)
        .await
        .into_iter()
        .filter_map(|received| match received {
            Received::Json(ServerMessage::Chat(line)) if line.thread.is_some() => Some(line),
            Received::Json(ServerMessage::ChatBacklog { lines, thread, .. })
                if thread.is_some() =>
            {
                lines.into_iter().next()
            }
            _ => None,
        })
        .collect()
}

/// A thread's backlog as opening it gives it: its lines, whether there are older ones, and
/// whether they replace what the page had.
struct Opened {
    lines: Vec<ChatLine>,
    has_older: bool,
    replace: bool,
}

/// Opens the thread with `thread` (after `after_seq` on a reconnect) and waits for its
/// backlog.
async fn open(client: &mut TestClient, thread: UserId, after_seq: Option<u64>) -> Opened {
    client
        .send(&ClientMessage::OpenThread { thread, after_seq })
        .await;
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::ChatBacklog {
                lines,
                has_older,
                replace,
                thread: Some(_),
                ..
            }) => Some(Opened {
                lines: lines.clone(),
                has_older: *has_older,
                replace: *replace,
            }),
            _ => None,
        })
        .await
}

/// The next error about something this client asked.
async fn next_error(client: &mut TestClient) -> ErrorCode {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Error(SocketError { code, .. })) => Some(*code),
            _ => None,
        })
        .await
}

/// The next state of thread `thread` this client is told.
async fn next_state(client: &mut TestClient, thread: UserId) -> ThreadState {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Threads { threads, .. }) => {
                threads.iter().find(|s| s.thread == thread).cloned()
            }
            _ => None,
        })
        .await
}

/// The threads a page is listed right after joining.
async fn joined_list(client: &mut TestClient) -> Vec<ThreadState> {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Threads {
                threads,
                replace: true,
            }) => Some(threads.clone()),
            _ => None,
        })
        .await
}

/// Waits for the state of `thread` that `want` accepts.
async fn state_where(
    client: &mut TestClient,
    thread: UserId,
    want: impl Fn(&ThreadState) -> bool,
) -> ThreadState {
    loop {
        let state = next_state(client, thread).await;
        if want(&state) {
            return state;
        }
    }
}

/// `method path` as `who`: the response's status.
async fn call(server: &TestServer, method: Method, path: &str, who: &Account) -> StatusCode {
    server.api(method, path, who).send().await.unwrap().status()
}

/// A viewer of sala-1 as `account`, joined.
async fn viewer(server: &TestServer, account: &Account) -> TestClient {
    let mut client = server.connect_as(account).await;
    client.join("sala-1", Role::Viewer, None).await;
    client
}

struct Daycare {
    server: TestServer,
    admin: Account,
    /// A family of sala-1, and the relative Ana invited.
    ana: Account,
    abuela: Account,
    /// Another family of sala-1.
    luis: Account,
    /// Sala-1's caregiver, and another room's.
    seño: Account,
    otra_seño: Account,
}

impl Daycare {
    async fn start() -> Self {
        let server = TestServer::start().await;
        server.room("sala-1").await;
        server.room("sala-2").await;
        let admin = server.person(UserRole::Admin, "Directora", &[]).await;
        let ana = server.person(UserRole::Family, "Ana", &["sala-1"]).await;
        let luis = server.person(UserRole::Family, "Luis", &["sala-1"]).await;
        let seño = server
            .person(UserRole::Caregiver, "Seño", &["sala-1"])
            .await;
        let otra_seño = server
            .person(UserRole::Caregiver, "Otra seño", &["sala-2"])
            .await;
        // Ana invites her mother, as families do.
        let response =
            create_invite(&server, &ana, &invite(UserRole::Family, &["sala-1"], 1)).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created: nido_shared::api::CreatedInvite = response.json().await.unwrap();
        let registered = register(&server, &created.path, "abuela").await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let mut abuela = Account {
            id: UserId::new(0),
            username: "abuela".into(),
            cookie: session_cookie(&registered).unwrap(),
        };
        let me: nido_shared::api::Me = server.get_as("/api/me", &abuela).await;
        abuela.id = me.id;
        Self {
            server,
            admin,
            ana,
            abuela,
            luis,
            seño,
            otra_seño,
        }
    }

    fn guests_path(&self, thread: &Account, guest: &Account) -> String {
        format!(
            "/api/rooms/sala-1/threads/{}/guests/{}",
            thread.id, guest.id
        )
    }
}

#[tokio::test]
async fn a_private_thread_is_read_by_its_family_the_rooms_staff_and_whom_the_staff_add() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let mut ana = viewer(server, &daycare.ana).await;
    let mut ana_phone = viewer(server, &daycare.ana).await;
    let mut luis = viewer(server, &daycare.luis).await;
    let mut abuela = viewer(server, &daycare.abuela).await;
    let mut seño = viewer(server, &daycare.seño).await;
    let mut directora = viewer(server, &daycare.admin).await;
    let thread = daycare.ana.id;

    // Ana writes to the staff: her pages, the caregiver and the admin hear it; nobody else.
    let id = write(&mut ana, thread, "¿Ha comido bien hoy?").await;
    let line = next_thread_line(&mut ana).await;
    assert_eq!(
        (line.id.as_str(), line.seq, line.thread),
        (id.as_str(), 1, Some(thread))
    );
    assert_eq!(next_thread_line(&mut ana_phone).await, line);
    assert_eq!(next_thread_line(&mut seño).await, line);
    assert_eq!(next_thread_line(&mut directora).await, line);
    assert!(
        thread_lines_within(&mut luis).await.is_empty(),
        "another family"
    );
    assert!(
        thread_lines_within(&mut abuela).await.is_empty(),
        "her relative"
    );

    // The staff answer in it.
    write(&mut seño, thread, "Sí, todo el puré").await;
    let answer = next_thread_line(&mut ana).await;
    assert!(answer.staff && answer.seq == 2);

    // Another family and the relative can neither open nor write to it, nor read a page.
    for other in [&mut luis, &mut abuela] {
        other
            .send(&ClientMessage::OpenThread {
                thread,
                after_seq: None,
            })
            .await;
        assert_eq!(next_error(other).await, ErrorCode::NoSuchThread);
        write(other, thread, "hola").await;
        assert_eq!(next_error(other).await, ErrorCode::NoSuchThread);
        other
            .send(&ClientMessage::OlderChat {
                before_seq: 3,
                thread: Some(thread),
            })
            .await;
        assert_eq!(next_error(other).await, ErrorCode::NoSuchThread);
        assert!(thread_lines_within(other).await.is_empty());
    }
    // A family cannot add anyone; another room's caregiver neither, nor join the room.
    let add_abuela = daycare.guests_path(&daycare.ana, &daycare.abuela);
    for who in [&daycare.ana, &daycare.otra_seño] {
        assert_eq!(
            call(server, Method::PUT, &add_abuela, who).await,
            StatusCode::NOT_FOUND
        );
    }
    let mut otra = server.connect_as(&daycare.otra_seño).await;
    otra.send_join("sala-1", Role::Viewer, None).await;
    otra.expect_error(ErrorCode::RoomForbidden, Some(1008))
        .await;

    // The staff see the room's family accounts to choose from; nobody else does.
    let families_path = "/api/rooms/sala-1/families";
    let families: Vec<RoomFamily> = server.get_as(families_path, &daycare.seño).await;
    let mut names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["Ana", "Familia abuela", "Luis"]);
    for who in [&daycare.ana, &daycare.otra_seño] {
        assert_eq!(
            call(server, Method::GET, families_path, who).await,
            StatusCode::NOT_FOUND
        );
    }

    // The staff add the grandmother: she reads the whole thread and writes in it, live.
    assert_eq!(
        call(server, Method::PUT, &add_abuela, &daycare.seño).await,
        StatusCode::NO_CONTENT
    );
    let families: Vec<RoomFamily> = server.get_as(families_path, &daycare.admin).await;
    let guest_of = |id| {
        families
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.guest_of.clone())
    };
    assert_eq!(guest_of(daycare.abuela.id), Some(vec![thread]));
    assert_eq!(guest_of(daycare.luis.id), Some(vec![]));
    let backlog = open(&mut abuela, thread, None).await.lines;
    assert_eq!(backlog.iter().map(|l| l.seq).collect::<Vec<_>>(), [1, 2]);
    write(&mut abuela, thread, "La recojo yo hoy").await;
    thread_line(&mut abuela, 3).await;
    thread_line(&mut ana, 3).await;
    thread_line(&mut seño, 3).await;
    assert!(thread_lines_within(&mut luis).await.is_empty());

    // Taken off again, she hears nothing more, also after reconnecting.
    assert_eq!(
        call(server, Method::DELETE, &add_abuela, &daycare.admin).await,
        StatusCode::NO_CONTENT
    );
    write(&mut ana, thread, "Gracias").await;
    thread_line(&mut seño, 4).await;
    assert!(thread_lines_within(&mut abuela).await.is_empty());
    let mut abuela = viewer(server, &daycare.abuela).await;
    abuela
        .send(&ClientMessage::OpenThread {
            thread,
            after_seq: Some(0),
        })
        .await;
    assert_eq!(next_error(&mut abuela).await, ErrorCode::NoSuchThread);

    // Added again and then revoked: her connection closes and she cannot come back.
    assert_eq!(
        call(server, Method::PUT, &add_abuela, &daycare.seño).await,
        StatusCode::NO_CONTENT
    );
    let revoke = format!("/api/people/{}/revoke", daycare.abuela.id);
    assert_eq!(
        call(server, Method::POST, &revoke, &daycare.admin).await,
        StatusCode::NO_CONTENT
    );
    abuela
        .expect_error(ErrorCode::AccessRevoked, Some(1008))
        .await;
    assert_eq!(upgrade_status(server, &daycare.abuela).await, 401);
    write(&mut ana, thread, "¿Mañana abren?").await;
    thread_line(&mut seño, 5).await;

    // A caregiver taken off the room loses its threads at once.
    let changes = PersonChanges {
        role: None,
        rooms: Some(vec!["sala-2".to_owned().try_into().unwrap()]),
    };
    let response = server
        .api(
            Method::PATCH,
            &format!("/api/people/{}", daycare.seño.id),
            &daycare.admin,
        )
        .json(&changes)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    seño
        .expect_error(ErrorCode::AccessRevoked, Some(1008))
        .await;
    write(&mut ana, thread, "¿Hola?").await;
    thread_line(&mut directora, 6).await;
}

#[tokio::test]
async fn read_state_reaches_every_page_live_and_survives_a_reload() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let thread = daycare.ana.id;
    let mut ana = viewer(server, &daycare.ana).await;
    let mut ana_phone = viewer(server, &daycare.ana).await;
    let mut seño = viewer(server, &daycare.seño).await;
    let mut camera = server.connect_as(&daycare.admin).await;
    camera.join("sala-1", Role::Camera, None).await;

    write(&mut ana, thread, "Hoy la recoge su padre").await;
    write(&mut ana, thread, "A las cinco").await;
    let staff_state = state_where(&mut seño, thread, |s| s.last_seq == 2).await;
    assert_eq!((staff_state.unread, staff_state.seen_seq), (2, 0));
    assert_eq!(staff_state.family.as_str(), "Ana");
    assert_eq!(
        state_where(&mut camera, thread, |s| s.last_seq == 2)
            .await
            .unread,
        2
    );

    // The caregiver reads: Ana's pages see "seen", the other staff page no unread.
    seño
        .send(&ClientMessage::ReadThread { thread, seq: 2 })
        .await;
    for page in [&mut ana, &mut ana_phone] {
        let state = state_where(page, thread, |s| s.seen_seq == 2).await;
        assert_eq!(state.unread, 0);
    }
    assert_eq!(
        state_where(&mut camera, thread, |s| s.seen_seq == 2)
            .await
            .unread,
        0
    );

    // The staff answer: unread on both of Ana's pages, and after she reloads.
    write(&mut camera, thread, "Anotado").await;
    for page in [&mut ana, &mut ana_phone] {
        assert_eq!(
            state_where(page, thread, |s| s.last_seq == 3).await.unread,
            1
        );
    }
    let mut reloaded = server.connect_as(&daycare.ana).await;
    reloaded.join("sala-1", Role::Viewer, None).await;
    let listed = joined_list(&mut reloaded).await;
    assert_eq!(listed.len(), 1, "her own thread only");
    assert_eq!(
        (listed[0].thread, listed[0].unread, listed[0].seen_seq),
        (thread, 1, 3)
    );
    // Reading on one page clears the other.
    reloaded
        .send(&ClientMessage::ReadThread { thread, seq: 3 })
        .await;
    assert_eq!(
        state_where(&mut ana_phone, thread, |s| s.unread == 0)
            .await
            .last_seq,
        3
    );
    // The staff list, after a reload, newest first, with nothing unread.
    let mut again = server.connect_as(&daycare.seño).await;
    again.join("sala-1", Role::Viewer, None).await;
    let listed = joined_list(&mut again).await;
    assert_eq!(
        listed
            .iter()
            .map(|s| (s.thread, s.unread))
            .collect::<Vec<_>>(),
        [(thread, 0)]
    );
}

#[tokio::test]
async fn a_thread_catches_up_pages_back_and_stores_a_resent_message_once() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let thread = daycare.luis.id;
    let mut luis = viewer(server, &daycare.luis).await;
    let mut seño = viewer(server, &daycare.seño).await;
    // Sixty messages of an earlier day (faster than the rate limit lets a page send them).
    let room = RoomId::try_from("sala-1".to_owned()).unwrap();
    let name = DisplayName::try_from("Luis".to_owned()).unwrap();
    for n in 1..=60 {
        let id = ChatId::try_from(format!("earlier-{n:05}")).unwrap();
        let chat = NewChat {
            room: &room,
            thread: Some(thread),
            user_id: thread,
            client_id: &id,
            name: &name,
            role: Role::Viewer,
            staff: false,
            text: "mensaje",
        };
        let stored = server
            .state
            .store
            .append_chat(&chat, server.state.clock.now())
            .await;
        assert!(matches!(stored, Ok(Appended::New(line)) if line.seq == n));
    }
    // The room's chat numbers on its own.
    luis.chat("hola a todos").await;
    assert_eq!(luis.next_chat().await.seq, 1);
    // A resend of an id is answered with the message stored before.
    luis.send(&ClientMessage::Chat {
        id: "resend-0001".into(),
        text: "¿Me oís?".into(),
        thread: Some(thread),
    })
    .await;
    let first = next_thread_line(&mut luis).await;
    luis.send(&ClientMessage::Chat {
        id: "resend-0001".into(),
        text: "¿Me oís?".into(),
        thread: Some(thread),
    })
    .await;
    assert_eq!(next_thread_line(&mut luis).await, first);
    assert_eq!(first.seq, 61);
    assert_eq!(
        thread_lines_within(&mut seño)
            .await
            .iter()
            .filter(|l| l.seq == 61)
            .count(),
        1,
        "the staff hear it once"
    );

    // Reconnecting after 55: exactly what it missed.
    let mut back = server.connect_as(&daycare.luis).await;
    back.join("sala-1", Role::Viewer, None).await;
    let Opened { lines, replace, .. } = open(&mut back, thread, Some(55)).await;
    assert!(!replace);
    assert_eq!(
        lines.iter().map(|l| l.seq).collect::<Vec<_>>(),
        (56..=61).collect::<Vec<_>>()
    );

    // Opening afresh: the latest fifty, then the page before.
    let Opened {
        lines, has_older, ..
    } = open(&mut seño, thread, None).await;
    assert!(has_older);
    assert_eq!(lines.first().map(|l| l.seq), Some(12));
    seño
        .send(&ClientMessage::OlderChat {
            before_seq: 12,
            thread: Some(thread),
        })
        .await;
    let (older, more) = seño
        .wait_for(|r| match r {
            Received::Json(ServerMessage::OlderChat {
                lines,
                has_older,
                thread: Some(_),
            }) => Some((lines.clone(), *has_older)),
            _ => None,
        })
        .await;
    assert!(!more);
    assert_eq!(
        older.iter().map(|l| l.seq).collect::<Vec<_>>(),
        (1..=11).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_staff_deletion_in_a_thread_reaches_its_readers_only_and_is_in_the_security_log() {
    let daycare = Daycare::start().await;
    let server = &daycare.server;
    let thread = daycare.ana.id;
    let mut ana = viewer(server, &daycare.ana).await;
    let mut luis = viewer(server, &daycare.luis).await;
    let mut seño = viewer(server, &daycare.seño).await;
    write(&mut ana, thread, "Tiene un sarpullido en el brazo").await;
    let line = next_thread_line(&mut seño).await;
    // A family cannot delete, even in its own thread.
    ana.send(&ClientMessage::DeleteChat {
        seq: line.seq,
        thread: Some(thread),
    })
    .await;
    ana.expect_error(ErrorCode::NotStaff, Some(1008)).await;
    let mut ana = viewer(server, &daycare.ana).await;
    seño
        .send(&ClientMessage::DeleteChat {
            seq: line.seq,
            thread: Some(thread),
        })
        .await;
    let deleted = |r: &Received| match r {
        Received::Json(ServerMessage::ChatDeleted { seq, thread }) => Some((*seq, *thread)),
        _ => None,
    };
    assert_eq!(seño.wait_for(deleted).await, (1, Some(thread)));
    assert_eq!(ana.wait_for(deleted).await, (1, Some(thread)));
    assert!(
        luis.received_within(QUIET)
            .await
            .iter()
            .all(|r| deleted(r).is_none()),
        "another family hears nothing of it"
    );
    let lines = open(&mut ana, thread, None).await.lines;
    assert!(lines.is_empty(), "gone after a reload");
    let events: Vec<SecurityEvent> = server
        .get_as("/api/audit/events?kind=chat_deleted", &daycare.admin)
        .await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].actor.as_ref().map(|u| u.as_str()),
        Some(daycare.seño.username.as_str())
    );
    assert_eq!(
        events[0].account.as_deref(),
        Some(daycare.ana.username.as_str())
    );
    assert_eq!(events[0].amount, Some(1));
}
