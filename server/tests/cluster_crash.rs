//! Chat survives nodes dying: clients spread over three nodes send 1,000 messages while a
//! random node is killed (SIGKILL) and started again 20 times. Each client resends what was
//! not acknowledged, to whichever node it reaches next. In the end every acknowledged message
//! is stored exactly once, with the number it was acknowledged with, and the numbers run
//! 1, 2, 3… without a gap.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use common::deployment::{self, Deployment};
use common::*;
use futures_util::{SinkExt, StreamExt};
use nido_shared::{ClientMessage, Role, ServerMessage};
use rand::Rng;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;

const NODES: usize = 3;
const CLIENTS: usize = 10;
const MESSAGES_EACH: usize = 100;
const KILLS: usize = 20;
/// How long a client waits for an acknowledgement before it reconnects and resends.
const ACK_PATIENCE: Duration = Duration::from_secs(2);

/// One client's run: sends its messages one after another, each until acknowledged;
/// returns what was acknowledged (id → number) and how many times it had to resend.
async fn send_all(
    deployment: Arc<Mutex<Deployment>>,
    client: usize,
    cookie: String,
) -> (HashMap<String, u64>, usize) {
    let mut acknowledged = HashMap::new();
    let mut resent = 0;
    let mut socket: Option<TestClient> = None;
    let mut message = 0;
    while message < MESSAGES_EACH {
        let id = format!("client{client:02}-{message:04}");
        let connected = match socket.as_mut() {
            Some(connected) => connected,
            None => {
                let Some(url) = live_node(&deployment).await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let Ok(Ok((stream, _))) = tokio::time::timeout(
                    ACK_PATIENCE,
                    tokio_tungstenite::connect_async(upgrade_request(&url, Some(&cookie))),
                )
                .await
                else {
                    continue;
                };
                let mut fresh = TestClient { socket: stream };
                fresh.send_join("sala-1", Role::Viewer, None).await;
                socket.insert(fresh)
            }
        };
        let chat = ClientMessage::Chat {
            id: id.clone(),
            text: format!("mensaje {message} de {client}"),
            thread: None,
        };
        let text = serde_json::to_string(&chat).unwrap();
        let sent = connected.socket.send(Message::text(text)).await.is_ok();
        let acked = sent
            && wait_for_ack(connected, &id)
                .await
                .map(|seq| acknowledged.insert(id.clone(), seq))
                .is_some();
        if acked {
            message += 1;
            let pause = Duration::from_millis(rand::rng().random_range(50..150));
            tokio::time::sleep(pause).await;
        } else {
            // The node died or did not answer: the same id goes to the next node reached.
            socket = None;
            resent += 1;
        }
    }
    (acknowledged, resent)
}

/// The number the server acknowledged `id` with, or `None` if the connection broke first.
async fn wait_for_ack(client: &mut TestClient, id: &str) -> Option<u64> {
    let deadline = tokio::time::Instant::now() + ACK_PATIENCE;
    loop {
        let next = tokio::time::timeout_at(deadline, client.socket.next())
            .await
            .ok()??;
        let Ok(Message::Text(text)) = next else {
            match next {
                Ok(Message::Binary(_) | Message::Ping(_) | Message::Pong(_)) => continue,
                _ => return None,
            }
        };
        match serde_json::from_str::<ServerMessage>(text.as_str()) {
            Ok(ServerMessage::Chat(line)) if line.id.as_str() == id => return Some(line.seq),
            // Refused (the database was unreachable from that node): resend elsewhere.
            Ok(ServerMessage::Error(error)) if error.chat_id.is_some() => return None,
            _ => {}
        }
    }
}

/// The WebSocket URL of a running node, picked at random.
async fn live_node(deployment: &Mutex<Deployment>) -> Option<String> {
    let deployment = deployment.lock().await;
    let live = deployment.live_nodes();
    let pick = rand::rng().random_range(0..live.len().max(1));
    let node = *live.get(pick)?;
    Some(format!("ws://{}/ws", deployment.addr(node)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_chat_is_stored_once_and_gapless_while_nodes_are_killed_20_times() {
    let deployment = deployment::start(NODES, &["--chat-per-10s", "1000"]).await;
    let mut cookies = Vec::new();
    for client in 0..CLIENTS {
        cookies.push(deployment.family(&format!("familia-{client}")).await);
    }
    let database = deployment.database.clone();
    let deployment = Arc::new(Mutex::new(deployment));
    let clients: Vec<_> = cookies
        .into_iter()
        .enumerate()
        .map(|(client, cookie)| tokio::spawn(send_all(Arc::clone(&deployment), client, cookie)))
        .collect();

    for _ in 0..KILLS {
        let (pause, node) = {
            let mut random = rand::rng();
            (random.random_range(200..600), random.random_range(0..NODES))
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
        let mut deployment = deployment.lock().await;
        deployment.kill_node(node).await;
        deployment.start_node(node).await;
    }

    let (mut acknowledged, mut resent) = (HashMap::new(), 0);
    for client in clients {
        let (acked, resends) = client.await.unwrap();
        acknowledged.extend(acked);
        resent += resends;
    }
    assert_eq!(acknowledged.len(), CLIENTS * MESSAGES_EACH);
    assert!(
        resent >= KILLS,
        "the kills interrupted the clients: {resent} resends"
    );
    eprintln!("{resent} messages resent after a node died");

    let pool = sqlx::PgPool::connect(&database).await.unwrap();
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT client_id, seq FROM chat_messages WHERE room_slug = 'sala-1' ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let seqs: Vec<i64> = stored.iter().map(|(_, seq)| *seq).collect();
    assert_eq!(
        seqs,
        (1..=stored.len() as i64).collect::<Vec<_>>(),
        "numbers without gaps"
    );
    let by_id: HashMap<&str, i64> = stored.iter().map(|(id, seq)| (id.as_str(), *seq)).collect();
    assert_eq!(by_id.len(), stored.len(), "each message stored once");
    for (id, seq) in &acknowledged {
        assert_eq!(
            by_id.get(id.as_str()),
            Some(&(*seq as i64)),
            "{id} kept its number"
        );
    }
    assert_eq!(
        stored.len(),
        acknowledged.len(),
        "nothing stored that was not acknowledged in the end"
    );
}
