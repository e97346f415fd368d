//! Durable chat: catch-up after a disconnect, idempotent resends, history pages,
//! moderation (deleting, muting) and the chat limits, each with its error to the sender.

mod common;

use std::time::Duration;

use common::*;
use nido_server::store::{Appended, NewChat};
use nido_shared::{
    ChatId, ClientMessage, DisplayName, ErrorCode, Role, RoomId, ServerMessage, SocketError,
    UserRole,
};

/// Stores message `n` of `author` in sala-1 directly, sent at `n` ms; returns its number.
async fn store_message(server: &TestServer, author: &Account, n: u64) -> u64 {
    let id = ChatId::try_from(format!("stored-{n:05}")).unwrap();
    let chat = NewChat {
        room: &RoomId::try_from("sala-1".to_owned()).unwrap(),
        thread: None,
        user_id: author.id,
        client_id: &id,
        name: &DisplayName::try_from("Seño".to_owned()).unwrap(),
        role: Role::Camera,
        staff: true,
        text: &format!("mensaje {n}"),
    };
    match server
        .state
        .store
        .append_chat(&chat, Timestamp::UNIX_EPOCH + Duration::from_millis(n))
        .await
        .unwrap()
    {
        Appended::New(line) => line.seq,
        Appended::Existing(_) => panic!("message {n} is new"),
    }
}

/// Waits for an error about chat message `id`.
async fn expect_chat_error(client: &mut TestClient, id: &str) -> ErrorCode {
    client
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Error(SocketError {
                code,
                chat_id: Some(chat_id),
                ..
            })) if chat_id.as_str() == id => Some(*code),
            _ => None,
        })
        .await
}

#[tokio::test]
async fn a_reconnecting_client_gets_everything_it_missed_in_order() {
    let server = TestServer::start().await;
    let parent = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let mut seño = server.join("sala-1", Role::Camera, "Seño").await;
    let mut away = server.connect_as(&parent).await;
    away.join("sala-1", Role::Viewer, None).await;
    seño.chat("antes").await;
    seño.next_chat().await;
    let before = away.next_chat().await;
    drop(away);

    for text in ["uno", "dos", "tres"] {
        seño.chat(text).await;
        seño.next_chat().await;
    }
    let mut back = server.connect_as(&parent).await;
    back.rejoin("sala-1", Role::Viewer, before.seq).await;
    let (lines, _, replace, _) = back.next_backlog().await;
    assert!(!replace, "a catch-up adds to what the page has");
    let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["uno", "dos", "tres"]);
    let seqs: Vec<_> = lines.iter().map(|l| l.seq).collect();
    assert_eq!(
        seqs,
        [before.seq + 1, before.seq + 2, before.seq + 3],
        "no gaps"
    );
}

#[tokio::test]
async fn resending_an_id_returns_the_original_and_makes_no_second_message() {
    let server = TestServer::start().await;
    let mut sender = server.join("sala-1", Role::Viewer, "Madre").await;
    let mut other = server.join("sala-1", Role::Camera, "Seño").await;
    sender.chat_with_id("mensaje-0001", "¿tiene fiebre?").await;
    let first = sender.next_chat().await;
    assert_eq!(other.next_chat().await, first);

    sender.chat_with_id("mensaje-0001", "¿tiene fiebre?").await;
    let again = sender.next_chat().await;
    assert_eq!(again, first, "the original, same number");
    other.chat("sigue bien").await;
    let next = other.next_chat().await;
    assert_eq!(next.text, "sigue bien", "the resend was not relayed again");
    assert_eq!(next.seq, first.seq + 1, "and took no number");
}

#[tokio::test]
async fn joining_shows_the_latest_fifty_and_older_pages_follow() {
    let server = TestServer::start().await;
    let author = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    // Staff read the whole history (a family member only from when given the room).
    let mother = server
        .person(UserRole::Caregiver, "Seño de apoyo", &["sala-1"])
        .await;
    for n in 1..=120 {
        assert_eq!(store_message(&server, &author, n).await, n);
    }
    let mut reader = server.connect_as(&mother).await;
    reader.join("sala-1", Role::Viewer, None).await;
    let (lines, has_older, replace, _) = reader.next_backlog().await;
    assert!(replace && has_older);
    assert_eq!(lines.len(), 50);
    assert_eq!((lines[0].seq, lines[49].seq), (71, 120));

    let mut before = 71;
    let mut pages = Vec::new();
    loop {
        reader
            .send(&ClientMessage::OlderChat {
                before_seq: before,
                thread: None,
            })
            .await;
        let (lines, has_older) = reader
            .wait_for(|r| match r {
                Received::Json(ServerMessage::OlderChat {
                    lines, has_older, ..
                }) => Some((lines.clone(), *has_older)),
                _ => None,
            })
            .await;
        pages.push(lines.iter().map(|l| l.seq).collect::<Vec<_>>());
        before = lines[0].seq;
        if !has_older {
            break;
        }
    }
    assert_eq!(pages[0], (21..=70).collect::<Vec<_>>());
    assert_eq!(pages[1], (1..=20).collect::<Vec<_>>());
    assert_eq!(pages.len(), 2);
}

#[tokio::test]
async fn staff_delete_messages_for_everyone_and_a_reload_does_not_show_them() {
    let server = TestServer::start().await;
    let mut seño = server.join("sala-1", Role::Camera, "Seño").await;
    let parent = server.person(UserRole::Family, "Madre", &["sala-1"]).await;
    let mut family = server.connect_as(&parent).await;
    family.join("sala-1", Role::Viewer, None).await;
    family.chat("un mensaje equivocado").await;
    let line = seño.next_chat().await;
    family.next_chat().await;

    seño
        .send(&ClientMessage::DeleteChat {
            seq: line.seq,
            thread: None,
        })
        .await;
    for client in [&mut seño, &mut family] {
        let deleted = client
            .wait_for(|r| match r {
                Received::Json(ServerMessage::ChatDeleted { seq, .. }) => Some(*seq),
                _ => None,
            })
            .await;
        assert_eq!(deleted, line.seq);
    }
    let mut reloaded = server.connect_as(&parent).await;
    reloaded.join("sala-1", Role::Viewer, None).await;
    let (lines, _, _, _) = reloaded.next_backlog().await;
    assert!(
        lines.iter().all(|l| l.seq != line.seq),
        "gone after a reload"
    );
    let mut caught_up = server.connect_as(&parent).await;
    caught_up.rejoin("sala-1", Role::Viewer, line.seq).await;
    let (_, _, _, deleted) = caught_up.next_backlog().await;
    assert_eq!(deleted, [line.seq], "a catch-up reports the deletion");

    // A family member may not delete.
    family
        .send(&ClientMessage::DeleteChat {
            seq: 1,
            thread: None,
        })
        .await;
    family.expect_error(ErrorCode::NotStaff, Some(1008)).await;
}

#[tokio::test]
async fn a_muted_family_member_cannot_chat_until_the_mute_ends() {
    let server = TestServer::start().await;
    let mut seño = server.join("sala-1", Role::Camera, "Seño").await;
    let loud = server
        .person(UserRole::Family, "Ruidosa", &["sala-1"])
        .await;
    let mut muted = server.connect_as(&loud).await;
    muted.join("sala-1", Role::Viewer, None).await;
    let mut other = server.join("sala-1", Role::Viewer, "Tranquila").await;

    seño
        .send(&ClientMessage::Mute {
            user_id: loud.id,
            minutes: 30,
        })
        .await;
    // One connection's requests are handled in order: once this is stored, so is the mute.
    seño.chat("silencio, por favor").await;
    seño.next_chat().await;
    muted.chat_with_id("silenciada-0001", "¡hola!").await;
    assert_eq!(
        expect_chat_error(&mut muted, "silenciada-0001").await,
        ErrorCode::ChatMuted
    );
    other.chat("yo sí puedo").await;
    let heard = seño.next_chat().await;
    assert_eq!(
        heard.text, "yo sí puedo",
        "the muted message never reached anyone"
    );

    // Staff cannot be muted, and the mute ends when its time is up.
    seño
        .send(&ClientMessage::Mute {
            user_id: server
                .person(UserRole::Caregiver, "Otra", &["sala-1"])
                .await
                .id,
            minutes: 30,
        })
        .await;
    seño.expect_error(ErrorCode::CannotMute, None).await;
    let later = server.state.clock.now() + Duration::from_secs(31 * 60);
    server.state.clock.set_now(later);
    muted.chat_with_id("despues-0001", "ya puedo").await;
    muted
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) if line.text == "ya puedo" => Some(()),
            _ => None,
        })
        .await;
}

#[tokio::test]
async fn chat_limits_refuse_the_message_by_its_id() {
    let server = TestServer::start().await;
    let mut sender = server.join("sala-1", Role::Viewer, "Madre").await;
    sender.chat_with_id("largo-0001", &"x".repeat(1_001)).await;
    assert_eq!(
        expect_chat_error(&mut sender, "largo-0001").await,
        ErrorCode::ChatTooLong
    );
    sender.chat_with_id("vacio-0001", "   ").await;
    assert_eq!(
        expect_chat_error(&mut sender, "vacio-0001").await,
        ErrorCode::ChatEmpty
    );

    // Ten in ten seconds per person; the eleventh is refused and can be sent later.
    for n in 1..=10 {
        sender
            .chat_with_id(&format!("rafaga-{n:04}"), "rápido")
            .await;
        sender.next_chat().await;
    }
    sender.chat_with_id("rafaga-0011", "uno más").await;
    assert_eq!(
        expect_chat_error(&mut sender, "rafaga-0011").await,
        ErrorCode::RateLimited
    );
    // A malformed id is a broken client.
    sender.chat_with_id("no", "hola").await;
    sender
        .expect_error(ErrorCode::MalformedMessage, Some(1007))
        .await;
}

#[tokio::test]
async fn retention_forgets_old_messages_and_never_reuses_their_numbers() {
    let server = TestServer::start().await;
    let author = server
        .person(UserRole::Caregiver, "Seño", &["sala-1"])
        .await;
    let room = RoomId::try_from("sala-1".to_owned()).unwrap();
    let store = &server.state.store;
    for n in 1..=3 {
        store_message(&server, &author, n).await;
    }
    assert_eq!(
        store
            .forget_chat_before(Timestamp::from_micros(2_500))
            .await
            .unwrap(),
        2
    );
    let (left, _) = store.chat_page(&room, None, None, 50).await.unwrap();
    assert_eq!(left.iter().map(|l| l.seq).collect::<Vec<_>>(), [3]);
    assert_eq!(
        store_message(&server, &author, 4).await,
        4,
        "numbers go on from where they were"
    );
}

#[tokio::test]
async fn messages_stored_together_are_numbered_per_room_without_gaps() {
    let server = TestServer::start().await;
    server.room("sala-2").await;
    let author = server
        .person(UserRole::Caregiver, "Seño", &["sala-1", "sala-2"])
        .await;
    let rooms = ["sala-1", "sala-2"].map(|r| RoomId::try_from(r.to_owned()).unwrap());
    let name = DisplayName::try_from("Seño".to_owned()).unwrap();
    // 150 messages over two rooms, every fifth one sent twice: all handed to the writer at
    // once, so they are stored in the same transactions.
    let sends: Vec<(usize, ChatId)> = (0..150)
        .flat_map(|n| {
            let id = ChatId::try_from(format!("together-{n:05}")).unwrap();
            let times = if n % 5 == 0 { 2 } else { 1 };
            std::iter::repeat_n((n % 2, id), times)
        })
        .collect();
    let store = &server.state.store;
    let appended = futures_util::future::join_all(sends.iter().map(|(room, id)| {
        let chat = NewChat {
            room: &rooms[*room],
            thread: None,
            user_id: author.id,
            client_id: id,
            name: &name,
            role: Role::Viewer,
            staff: false,
            text: "juntos",
        };
        async move {
            store
                .append_chat(&chat, Timestamp::from_micros(1_000))
                .await
                .unwrap()
        }
    }))
    .await;

    // Each id is stored once; every copy of it answers with that message.
    let mut seq_of = std::collections::HashMap::new();
    let mut new_per_room = [Vec::new(), Vec::new()];
    for ((room, id), result) in sends.iter().zip(&appended) {
        if let Appended::New(line) = result {
            assert_eq!(line.id, *id);
            assert!(
                seq_of.insert(id.clone(), line.seq).is_none(),
                "{id:?} stored twice"
            );
            new_per_room[*room].push(line.seq);
        }
    }
    for ((_, id), result) in sends.iter().zip(&appended) {
        let (Appended::New(line) | Appended::Existing(line)) = result;
        assert_eq!(Some(&line.seq), seq_of.get(id), "{id:?}");
    }
    for (room, seqs) in rooms.iter().zip(&mut new_per_room) {
        seqs.sort_unstable();
        assert_eq!(*seqs, (1..=75).collect::<Vec<u64>>(), "{room:?}: no gaps");
        let (stored, _) = store.chat_page(room, None, None, 100).await.unwrap();
        let stored: Vec<u64> = stored.iter().map(|line| line.seq).collect();
        assert_eq!(stored, *seqs, "{room:?} as stored");
    }
}

#[tokio::test]
async fn a_muted_parent_hears_until_when_and_staff_see_who_is_muted_and_unmute() {
    let server = TestServer::start().await;
    let mut seño = server.join("sala-1", Role::Camera, "Seño").await;
    let loud = server
        .person(UserRole::Family, "Ruidosa", &["sala-1"])
        .await;
    let mut muted = server.connect_as(&loud).await;
    muted.join("sala-1", Role::Viewer, None).await;
    let mute_state = |r: &Received| match r {
        Received::Json(ServerMessage::MuteState { until_us }) => Some(*until_us),
        _ => None,
    };
    let mutes = |r: &Received| match r {
        Received::Json(ServerMessage::Mutes { muted }) => Some(muted.clone()),
        _ => None,
    };

    let before = server.state.clock.now();
    seño
        .send(&ClientMessage::Mute {
            user_id: loud.id,
            minutes: 30,
        })
        .await;
    let until = muted.wait_for(mute_state).await.expect("until when");
    let expected = before + Duration::from_secs(30 * 60);
    assert!(
        (expected..expected + Duration::from_secs(5)).contains(&until),
        "muted until {until:?}, expected about {expected:?}"
    );
    let list = seño.wait_for(mutes).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].user_id, list[0].name.as_str()),
        (loud.id, "Ruidosa")
    );

    // Both hear it again on joining later: the parent until when, another staff member who.
    let mut again = server.connect_as(&loud).await;
    again.join("sala-1", Role::Viewer, None).await;
    assert_eq!(again.wait_for(mute_state).await, Some(until));
    let caregiver = server
        .person(UserRole::Caregiver, "Otra", &["sala-1"])
        .await;
    let mut other_staff = server.connect_as(&caregiver).await;
    other_staff.join("sala-1", Role::Viewer, None).await;
    assert_eq!(other_staff.wait_for(mutes).await.len(), 1);

    // Unmuting: the parent hears it and can chat; staff see an empty list. (Its join may
    // have found the mute as it was being announced, and then heard it twice: the same.)
    seño.send(&ClientMessage::Unmute { user_id: loud.id }).await;
    let after_unmute = muted
        .wait_for(|r| mute_state(r).filter(|state| *state != Some(until)))
        .await;
    assert_eq!(after_unmute, None);
    assert!(seño.wait_for(mutes).await.is_empty());
    muted.chat_with_id("de-nuevo-0001", "perdón").await;
    muted
        .wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) if line.text == "perdón" => Some(()),
            _ => None,
        })
        .await;
    // A family member cannot unmute anyone.
    muted
        .send(&ClientMessage::Unmute { user_id: loud.id })
        .await;
    muted.expect_error(ErrorCode::NotStaff, Some(1008)).await;
}
