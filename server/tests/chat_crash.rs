//! Chat survives crashes: clients send 1,000 messages, each with its own id, to the room's
//! chat (staff) and to a family's private thread (the family), while the real server is
//! killed with SIGKILL at random moments and restarted, 20 times; the clients resend
//! whatever was not acknowledged. Afterwards every acknowledged message is stored exactly
//! once, with the number it was acknowledged with, each conversation's numbers have no
//! gaps, and the database passes `PRAGMA integrity_check`.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use futures_util::{SinkExt, StreamExt};
use nido_server::store::{Conversation, Location, Store};
use nido_shared::api::Me;
use nido_shared::{ClientMessage, Role, RoomId, ServerMessage, SocketError, UserId, UserRole};
use rand::Rng;
use tokio_tungstenite::tungstenite::Message;

const MESSAGES: usize = 1_000;
const WRITERS: usize = 5;
/// Writers from this one on are the family, writing to its private thread.
const FIRST_FAMILY_WRITER: usize = 3;
const KILLS: usize = 20;
/// Under the server's limit of 10 JSON messages a second per connection.
const PACE: Duration = Duration::from_millis(110);

/// Message id → the conversation and number the server acknowledged it with.
type Acks = Arc<Mutex<HashMap<String, (Option<UserId>, u64)>>>;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_messages_survive_sigkill_exactly_once_without_gaps() {
    let data = tempfile::tempdir().unwrap();
    create_admin(data.path(), "directora").await;
    let options = ["--chat-per-10s", "1000"];
    let (mut server, addr) = spawn_server(
        data.path(),
        &[&["--listen", "127.0.0.1:0"][..], &options].concat(),
    )
    .await;
    let cookie = admin_with_room(&addr, "directora", "sala-1").await;
    let api = Api::new(&addr);
    let room = RoomId::try_from("sala-1".to_owned()).unwrap();
    let invite = api
        .invite(&cookie, UserRole::Family, std::slice::from_ref(&room), 1)
        .await
        .unwrap();
    let family_cookie = api.register(&invite, "mama", PASSWORD).await.unwrap();
    let family: Me = api.get_json(&family_cookie, "/api/me").await.unwrap();

    let acks: Acks = Arc::default();
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let ids = (0..MESSAGES)
                .filter(|n| n % WRITERS == writer)
                .map(|n| format!("crash-{n:05}"))
                .collect();
            let (cookie, thread) = if writer >= FIRST_FAMILY_WRITER {
                (family_cookie.clone(), Some(family.id))
            } else {
                (cookie.clone(), None)
            };
            tokio::spawn(write_until_acknowledged(
                ids,
                thread,
                format!("ws://{addr}/ws"),
                cookie,
                Arc::clone(&acks),
            ))
        })
        .collect();

    for _ in 0..KILLS {
        let wait = rand::rng().random_range(200..900);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        server.start_kill().unwrap();
        server.wait().await.unwrap();
        let listen = ["--listen", addr.as_str()];
        server = spawn_server(data.path(), &[&listen[..], &options].concat())
            .await
            .0;
    }
    for writer in writers {
        tokio::time::timeout(Duration::from_secs(240), writer)
            .await
            .expect("every message acknowledged in time")
            .unwrap();
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let acks = acks.lock().unwrap().clone();
    assert_eq!(acks.len(), MESSAGES);
    let store = Store::open(Location::Sqlite(data.path())).await.unwrap();
    let mut stored_in_all = 0;
    for thread in [None, Some(family.id)] {
        let conversation = Conversation {
            room: &room,
            thread,
        };
        let stored = store
            .chat_after(conversation, None, 0, 2 * MESSAGES as u32)
            .await
            .unwrap()
            .unwrap();
        for (n, line) in stored.iter().enumerate() {
            assert_eq!(line.seq, n as u64 + 1, "{thread:?}: numbers without gaps");
            assert_eq!(
                acks[line.id.as_str()],
                (thread, line.seq),
                "stored as acknowledged"
            );
        }
        stored_in_all += stored.len();
    }
    assert_eq!(stored_in_all, MESSAGES, "each message exactly once");
    assert_eq!(store.integrity_check().await.unwrap(), "ok");
    store.close().await;
}

/// Sends its messages in order, one per `PACE`, and after every lost connection sends again
/// whatever was not acknowledged, until all are.
async fn write_until_acknowledged(
    ids: Vec<String>,
    thread: Option<UserId>,
    url: String,
    cookie: String,
    acks: Acks,
) {
    loop {
        let unacknowledged: Vec<String> = {
            let acks = acks.lock().unwrap();
            ids.iter()
                .filter(|id| !acks.contains_key(*id))
                .cloned()
                .collect()
        };
        if unacknowledged.is_empty() {
            return;
        }
        let Ok((socket, _)) =
            tokio_tungstenite::connect_async(upgrade_request(&url, Some(&cookie))).await
        else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let (mut sink, mut stream) = socket.split();
        let join = ClientMessage::Join {
            room: "sala-1".into(),
            role: Role::Viewer,
            camera_key: None,
            after_seq: None,
            chat_only: false,
            decodes: Vec::new(),
            encodes: None,
        };
        if sink
            .send(Message::text(serde_json::to_string(&join).unwrap()))
            .await
            .is_err()
        {
            continue;
        }
        let mut to_send = unacknowledged.into_iter();
        let mut pace = tokio::time::interval(PACE);
        loop {
            tokio::select! {
                _ = pace.tick() => {
                    let Some(id) = to_send.next() else { continue };
                    let chat = ClientMessage::Chat { text: format!("mensaje {id}"), id, thread };
                    if sink.send(Message::text(serde_json::to_string(&chat).unwrap())).await.is_err() {
                        break;
                    }
                }
                received = stream.next() => match received {
                    Some(Ok(Message::Text(text))) => {
                        match serde_json::from_str::<ServerMessage>(text.as_str()) {
                            Ok(ServerMessage::Chat(line)) => {
                                let acked = (line.thread, line.seq);
                                let previous = acks.lock().unwrap().insert(line.id.as_str().to_owned(), acked);
                                assert!(previous.is_none_or(|before| before == acked), "acknowledged twice with different numbers");
                                if ids.iter().all(|id| acks.lock().unwrap().contains_key(id)) {
                                    return;
                                }
                            }
                            Ok(ServerMessage::Error(SocketError { code, chat_id, .. })) => {
                                panic!("refused {chat_id:?}: {code:?}");
                            }
                            _ => {}
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break,
                }
            }
        }
    }
}
