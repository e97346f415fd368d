//! Test helpers: a real server on port 0, WebSocket clients speaking Nido's protocol, frames.

#![allow(dead_code)] // each test file uses a different subset of these helpers

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nido_server::{AppState, Config};
use nido_shared::{ChatLine, ClientMessage, ErrorCode, FrameHeader, Presence, Role, ServerMessage};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::with_defaults();
        config.dist = std::env::temp_dir().join("nido-test-no-dist");
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::new(config);
        let task = tokio::spawn(nido_server::serve(listener, state.clone()));
        Self { addr, state, task }
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub async fn connect(&self) -> TestClient {
        TestClient::connect(&self.ws_url()).await
    }

    pub async fn join(&self, room: &str, role: Role, name: &str) -> TestClient {
        let mut client = self.connect().await;
        client.join(room, role, name, None).await;
        client
    }
}

/// Something the server sent, with pings and pongs left out.
#[derive(Debug)]
pub enum Received {
    Json(ServerMessage),
    Frame(Bytes),
    Closed(Option<u16>),
}

pub struct TestClient {
    pub socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestClient {
    pub async fn connect(url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(url.into_client_request().unwrap())
            .await
            .expect("WebSocket connects");
        Self { socket }
    }

    pub async fn send(&mut self, message: &ClientMessage) {
        self.send_text(&serde_json::to_string(message).unwrap())
            .await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    pub async fn send_binary(&mut self, bytes: Vec<u8>) {
        self.socket.send(Message::binary(bytes)).await.unwrap();
    }

    pub async fn chat(&mut self, text: &str) {
        self.send(&ClientMessage::Chat { text: text.into() }).await;
    }

    /// Joins and waits for the welcome; panics on anything else.
    pub async fn join(&mut self, room: &str, role: Role, name: &str, camera_key: Option<&str>) {
        self.send(&ClientMessage::Join {
            room: room.into(),
            role,
            name: name.into(),
            camera_key: camera_key.map(str::to_owned),
        })
        .await;
        match self.next().await {
            Received::Json(ServerMessage::Welcome { .. }) => {}
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// The next thing the server sends, within `PATIENCE`.
    pub async fn next(&mut self) -> Received {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.socket.next())
                .await
                .expect("the server answered in time");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Received::Json(serde_json::from_str(text.as_str()).unwrap());
                }
                Some(Ok(Message::Binary(bytes))) => return Received::Frame(bytes),
                Some(Ok(Message::Close(frame))) => {
                    return Received::Closed(frame.map(|f: CloseFrame| u16::from(f.code)));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Received::Closed(None),
            }
        }
    }

    /// Skips messages until `pick` returns something, within `PATIENCE` each.
    pub async fn wait_for<T>(&mut self, mut pick: impl FnMut(&Received) -> Option<T>) -> T {
        loop {
            let received = self.next().await;
            if let Some(found) = pick(&received) {
                return found;
            }
            if let Received::Closed(code) = received {
                panic!("closed ({code:?}) while waiting");
            }
        }
    }

    pub async fn next_frame(&mut self) -> Bytes {
        self.wait_for(|r| match r {
            Received::Frame(bytes) => Some(bytes.clone()),
            _ => None,
        })
        .await
    }

    pub async fn next_chat(&mut self) -> ChatLine {
        self.wait_for(|r| match r {
            Received::Json(ServerMessage::Chat(line)) => Some(line.clone()),
            _ => None,
        })
        .await
    }

    pub async fn next_presence(&mut self) -> Presence {
        self.wait_for(|r| match r {
            Received::Json(ServerMessage::Presence(p)) => Some(p.clone()),
            _ => None,
        })
        .await
    }

    /// Waits for a presence message that satisfies `want`.
    pub async fn presence_where(&mut self, want: impl Fn(&Presence) -> bool) -> Presence {
        loop {
            let presence = self.next_presence().await;
            if want(&presence) {
                return presence;
            }
        }
    }

    /// Expects an error with `code`, then (if `close` is given) a close frame with that code.
    pub async fn expect_error(&mut self, code: ErrorCode, close: Option<u16>) {
        let got = self
            .wait_for(|r| match r {
                Received::Json(ServerMessage::Error { code, .. }) => Some(*code),
                _ => None,
            })
            .await;
        assert_eq!(got, code);
        if let Some(close) = close {
            self.expect_close(close).await;
        }
    }

    pub async fn expect_close(&mut self, code: u16) {
        loop {
            match self.next().await {
                Received::Closed(got) => {
                    assert_eq!(got, Some(code), "close code");
                    return;
                }
                Received::Json(ServerMessage::Presence(_) | ServerMessage::Chat(_))
                | Received::Frame(_) => continue,
                other => panic!("expected close {code}, got {other:?}"),
            }
        }
    }
}

/// A small valid JPEG-shaped payload whose bytes encode `seed`, padded to `len` bytes.
pub fn jpeg(seed: u64, len: usize) -> Vec<u8> {
    assert!(len >= 16);
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(&seed.to_be_bytes());
    bytes.resize(len - 2, (seed % 200) as u8);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// A whole frame message: header plus `jpeg`.
pub fn frame(sequence: u64, jpeg: &[u8]) -> Vec<u8> {
    let header = FrameHeader {
        sequence,
        capture_time_us: 1_700_000_000_000_000 + sequence,
    };
    let mut bytes = header.encode().to_vec();
    bytes.extend_from_slice(jpeg);
    bytes
}

pub fn sequence_of(frame: &[u8]) -> u64 {
    FrameHeader::decode(frame).unwrap().sequence
}

/// Resident memory of this test process, in bytes (Linux).
pub fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

pub fn is_http_status(error: &tungstenite::Error, status: u16) -> bool {
    matches!(error, tungstenite::Error::Http(response) if response.status().as_u16() == status)
}
