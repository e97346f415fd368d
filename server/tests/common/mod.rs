//! Test helpers: a real server on port 0 with its own database, people with accounts,
//! WebSocket clients speaking Nido's protocol, frames.

#![allow(dead_code, unused_imports)] // each test file uses a different subset of these helpers

pub mod deployment;

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nido_server::Config;
use nido_shared::api::NewInvite;
use nido_shared::{
    ChatLine, ClientMessage, ErrorCode, OpenHours, Presence, Role, ServerMessage, SocketError,
    TimeOfDay, UserRole, VideoCodec, WeeklySchedule,
};
pub use nido_shared::{Timestamp, UserId};
pub use nido_testkit::in_process::StoppedServer;
pub use nido_testkit::{Api, InProcessServer, NidoBinary, PASSWORD, RunningNido, session_cookie};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Where every test's requests come from.
pub const LOCALHOST: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// The real server in-process, with the API client tests log in with.
pub struct TestServer {
    server: InProcessServer,
    /// The server's API.
    calls: Api,
    /// The same HTTP client, for requests of the test's own making.
    pub http: reqwest::Client,
}

impl std::ops::Deref for TestServer {
    type Target = InProcessServer;

    fn deref(&self) -> &InProcessServer {
        &self.server
    }
}

/// Someone with an account and a logged-in session.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: UserId,
    pub username: String,
    /// The `Cookie` header value that carries the session.
    pub cookie: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let server = InProcessServer::start_with(None, configure).await;
        let calls = Api::new(server.addr);
        let http = calls.http.clone();
        Self {
            server,
            calls,
            http,
        }
    }

    /// Shuts down as on SIGTERM and waits for the server to return.
    pub async fn stop(self) -> std::io::Result<StoppedServer> {
        self.server.stop().await
    }

    /// Creates a room, open to families at all hours, unless it exists.
    pub async fn room(&self, id: &str) {
        let always = OpenHours::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY).unwrap();
        self.room_with(
            id,
            WeeklySchedule {
                days: [Some(always); 7],
            },
        )
        .await;
    }

    pub async fn room_with(&self, id: &str, schedule: WeeklySchedule) {
        self.server.room(id, &format!("Sala {id}"), schedule).await;
    }

    /// Creates someone with this role, display name and rooms (created if needed), and
    /// logs them in through the API.
    pub async fn person(&self, role: UserRole, name: &str, rooms: &[&str]) -> Account {
        let (id, username) = self.create_person(role, name, rooms).await;
        let cookie = self.log_in(&username, PASSWORD).await.unwrap();
        Account {
            id,
            username,
            cookie,
        }
    }

    /// Creates someone with [`PASSWORD`], without logging in: their id and username.
    pub async fn create_person(
        &self,
        role: UserRole,
        name: &str,
        rooms: &[&str],
    ) -> (UserId, String) {
        let count = self.state.store.users().await.unwrap().len();
        let username = format!("user{count}");
        for room in rooms {
            self.room(room).await;
        }
        let id = self.server.person(role, &username, name, rooms).await;
        (id, username)
    }

    /// Logs in through the API: the session cookie, or the refusal's HTTP status.
    pub async fn log_in(&self, username: &str, password: &str) -> Result<String, u16> {
        let response = self.login_response(username, password, None).await;
        if response.status() != 204 {
            return Err(response.status().as_u16());
        }
        Ok(session_cookie(&response).expect("a session cookie"))
    }

    pub async fn login_response(
        &self,
        username: &str,
        password: &str,
        cookie: Option<&str>,
    ) -> reqwest::Response {
        self.calls
            .login_response(username, password, cookie)
            .await
            .unwrap()
    }

    /// An API request made as `account`.
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        account: &Account,
    ) -> reqwest::RequestBuilder {
        self.calls.request(method, path, Some(&account.cookie))
    }

    /// `GET path` as `account`, expecting a JSON answer.
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, path: &str, account: &Account) -> T {
        self.get_ok(path, account).await.json().await.unwrap()
    }

    /// `GET path` as `account`: the answer's text.
    pub async fn get_text(&self, path: &str, account: &Account) -> String {
        self.get_ok(path, account).await.text().await.unwrap()
    }

    async fn get_ok(&self, path: &str, account: &Account) -> reqwest::Response {
        let response = self
            .api(reqwest::Method::GET, path, account)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response
    }

    pub async fn connect_as(&self, account: &Account) -> TestClient {
        TestClient::connect(&self.ws_url(), Some(&account.cookie)).await
    }

    /// A person made for the occasion joins: a caregiver of the room as its camera, or a
    /// family member of the room as a viewer.
    pub async fn join(&self, room: &str, role: Role, name: &str) -> TestClient {
        let mut client = self.connect_new(room, role, name).await;
        client.join(room, role, None).await;
        client
    }

    /// A new family member of sala-1, connected but not joined.
    pub async fn connect(&self) -> TestClient {
        self.connect_new("sala-1", Role::Viewer, "Recién llegada")
            .await
    }

    /// The same person, connected but not joined yet.
    pub async fn connect_new(&self, room: &str, role: Role, name: &str) -> TestClient {
        let user_role = match role {
            Role::Camera => UserRole::Caregiver,
            Role::Viewer => UserRole::Family,
        };
        let account = self.person(user_role, name, &[room]).await;
        self.connect_as(&account).await
    }
}

/// Checks `done` every 20 ms until it holds, for at most [`PATIENCE`].
pub async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    nido_testkit::eventually(what, PATIENCE, || {
        let check = done();
        async move { check.await.then_some(()) }
    })
    .await;
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
    pub async fn connect(url: &str, cookie: Option<&str>) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(upgrade_request(url, cookie))
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
        self.send(&ClientMessage::Chat {
            id: new_chat_id(),
            text: text.into(),
            thread: None,
        })
        .await;
    }

    pub async fn send_join(&mut self, room: &str, role: Role, camera_key: Option<&str>) {
        self.send_join_with_video(room, role, camera_key, Vec::new(), None)
            .await;
    }

    /// Joins saying which codecs it decodes (a viewer) or sends chunks in (a camera).
    pub async fn send_join_with_video(
        &mut self,
        room: &str,
        role: Role,
        camera_key: Option<&str>,
        decodes: Vec<VideoCodec>,
        encodes: Option<VideoCodec>,
    ) {
        self.send(&ClientMessage::Join {
            room: room.into(),
            role,
            camera_key: camera_key.map(str::to_owned),
            after_seq: None,
            chat_only: false,
            decodes,
            encodes,
        })
        .await;
    }

    pub async fn chat_with_id(&mut self, id: &str, text: &str) {
        self.send(&ClientMessage::Chat {
            id: id.into(),
            text: text.into(),
            thread: None,
        })
        .await;
    }

    /// Joins, continuing after chat message `after_seq`, and waits for the welcome.
    pub async fn rejoin(&mut self, room: &str, role: Role, after_seq: u64) {
        self.send(&ClientMessage::Join {
            room: room.into(),
            role,
            camera_key: None,
            after_seq: Some(after_seq),
            chat_only: false,
            decodes: Vec::new(),
            encodes: None,
        })
        .await;
        match self.next().await {
            Received::Json(ServerMessage::Welcome { .. }) => {}
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// The chat backlog sent after joining: (lines, has_older, replace, deleted).
    pub async fn next_backlog(&mut self) -> (Vec<ChatLine>, bool, bool, Vec<u64>) {
        self.wait_for(|r| match r {
            Received::Json(ServerMessage::ChatBacklog {
                lines,
                has_older,
                replace,
                deleted,
                thread: None,
            }) => Some((lines.clone(), *has_older, *replace, deleted.clone())),
            _ => None,
        })
        .await
    }

    /// Joins and waits for the welcome; panics on anything else.
    pub async fn join(&mut self, room: &str, role: Role, camera_key: Option<&str>) {
        self.send_join(room, role, camera_key).await;
        self.welcome().await;
    }

    /// Waits for the welcome to a join; panics on anything else.
    pub async fn welcome(&mut self) {
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

    /// What it receives within `wait` each, until nothing more comes.
    pub async fn received_within(&mut self, wait: Duration) -> Vec<Received> {
        let mut received = Vec::new();
        while let Ok(Some(Ok(message))) = tokio::time::timeout(wait, self.socket.next()).await {
            match message {
                Message::Text(text) => {
                    received.push(Received::Json(serde_json::from_str(text.as_str()).unwrap()));
                }
                Message::Binary(bytes) => received.push(Received::Frame(bytes)),
                _ => {}
            }
        }
        received
    }

    /// A camera sending chunks: whether the server says a viewer needs JPEG as well.
    pub async fn next_video_demand(&mut self) -> bool {
        self.wait_for(|r| match r {
            Received::Json(ServerMessage::VideoDemand { jpeg }) => Some(*jpeg),
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
                Received::Json(ServerMessage::Error(SocketError { code, .. })) => Some(*code),
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
                Received::Json(
                    ServerMessage::Presence(_)
                    | ServerMessage::Chat(_)
                    | ServerMessage::ChatBacklog { .. }
                    | ServerMessage::Threads { .. },
                )
                | Received::Frame(_) => continue,
                other => panic!("expected close {code}, got {other:?}"),
            }
        }
    }
}

/// The `nido-server` binary cargo built for these tests.
pub fn nido_binary() -> NidoBinary {
    NidoBinary::new(env!("CARGO_BIN_EXE_nido-server"))
}

/// The real `nido-server` binary on a data directory.
pub fn nido_command(data_dir: &std::path::Path) -> tokio::process::Command {
    nido_binary().command(data_dir)
}

/// Runs `nido-server admin create NAME`, giving it [`PASSWORD`] on standard input.
pub async fn create_admin(data_dir: &std::path::Path, name: &str) {
    nido_binary().create_admin(data_dir, name).await.unwrap();
}

/// Starts the real server with these extra options and waits for the address it logs.
pub async fn spawn_server(
    data_dir: &std::path::Path,
    options: &[&str],
) -> (tokio::process::Child, String) {
    let server = spawn_server_logged(data_dir, options).await;
    (server.child, server.addr)
}

/// The same, keeping every line the server logs.
pub async fn spawn_server_logged(data_dir: &std::path::Path, options: &[&str]) -> RunningNido {
    nido_binary()
        .start(data_dir, options, usize::MAX, |_| true)
        .await
        .expect("the server starts")
}

/// Logs the admin in and creates a room through the API; returns the session cookie.
pub async fn admin_with_room(addr: &str, admin: &str, room: &str) -> String {
    let api = Api::new(addr);
    let cookie = api.log_in(admin, PASSWORD).await.unwrap();
    let new_room = serde_json::json!({"id": room, "name": room});
    api.post(
        &cookie,
        "/api/rooms",
        &new_room,
        reqwest::StatusCode::CREATED,
    )
    .await
    .unwrap();
    cookie
}

/// An invite for `role` to `rooms`, for `max_uses` people, valid two days.
pub fn invite(role: UserRole, rooms: &[&str], max_uses: u32) -> NewInvite {
    NewInvite {
        role,
        rooms: rooms
            .iter()
            .map(|r| r.to_string().try_into().unwrap())
            .collect(),
        expires_in_hours: 48,
        max_uses,
    }
}

/// `by` asks for an invite: the response.
pub async fn create_invite(
    server: &TestServer,
    by: &Account,
    new: &NewInvite,
) -> reqwest::Response {
    server
        .api(reqwest::Method::POST, "/api/invites", by)
        .json(new)
        .send()
        .await
        .unwrap()
}

/// Registers `username` through the invite at `path`: the response.
pub async fn register(server: &TestServer, path: &str, username: &str) -> reqwest::Response {
    let display_name = format!("Familia {username}");
    server
        .calls
        .register_response(path, username, &display_name, PASSWORD)
        .await
        .unwrap()
}

/// A chat message id no other message in the test run has.
pub fn new_chat_id() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    format!(
        "test-{:08}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// The HTTP status a WebSocket upgrade as `account` gets (101 when it opens).
pub async fn upgrade_status(server: &TestServer, account: &Account) -> u16 {
    let request = upgrade_request(&server.ws_url(), Some(&account.cookie));
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(error) => panic!("{error}"),
    }
}

/// A WebSocket upgrade request, with a session cookie if given.
pub fn upgrade_request(url: &str, cookie: Option<&str>) -> tungstenite::handshake::client::Request {
    nido_testkit::upgrade_request(url, cookie).unwrap()
}

/// A small valid JPEG-shaped payload whose bytes encode `seed`, padded to `len` bytes.
pub use nido_testkit::frames::jpeg;

/// A whole frame message: header plus `jpeg`.
pub fn frame(sequence: u64, jpeg: &[u8]) -> Vec<u8> {
    let captured = Timestamp::from_micros(1_700_000_000_000_000) + Duration::from_micros(sequence);
    nido_testkit::frames::frame(sequence, captured, jpeg).to_vec()
}

pub fn sequence_of(frame: &[u8]) -> u64 {
    nido_testkit::frames::sequence_of(frame).expect("a frame header")
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
