//! Test helpers: a real server on port 0 with its own database, people with accounts,
//! WebSocket clients speaking Nido's protocol, frames.

#![allow(dead_code)] // each test file uses a different subset of these helpers

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use nido_server::store::{NewRoomRow, NewUser};
use nido_server::{AppState, Config};
use nido_shared::api::{LoginRequest, NewInvite, Registration};
use nido_shared::{
    ChatLine, ClientMessage, DisplayName, ErrorCode, FrameHeader, OpenHours, Presence, Role,
    RoomId, ServerMessage, TimeOfDay, UserRole, Username, WeeklySchedule,
};
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single expected event may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Where every test's requests come from.
pub const LOCALHOST: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

/// Every test account's password.
pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub addr: SocketAddr,
    pub state: AppState,
    pub task: JoinHandle<std::io::Result<()>>,
    pub http: reqwest::Client,
    pub data: TempDir,
}

/// Someone with an account and a logged-in session.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: i64,
    pub username: String,
    /// The `Cookie` header value that carries the session.
    pub cookie: String,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(configure: impl FnOnce(&mut Config)) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut config = Config::with_defaults();
        config.dist = Some(std::env::temp_dir().join("nido-test-no-dist"));
        config.data_dir = data.path().to_owned();
        config.time_zone = Some("Europe/Madrid".into());
        configure(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = AppState::open(config).await.unwrap();
        let task = tokio::spawn(nido_server::serve(listener, state.clone()));
        Self {
            addr,
            state,
            task,
            http: reqwest::Client::new(),
            data,
        }
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self.data.path()
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/ws", self.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
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
        let room = NewRoomRow {
            slug: &RoomId::try_from(id.to_owned()).unwrap(),
            name: &format!("Sala {id}"),
            schedule,
        };
        match self.state.store.create_room(&room, 0).await {
            Ok(_) | Err(nido_server::store::StoreError::Conflict) => {}
            Err(error) => panic!("{error}"),
        }
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
    pub async fn create_person(&self, role: UserRole, name: &str, rooms: &[&str]) -> (i64, String) {
        let count = self.state.store.users().await.unwrap().len();
        let username = Username::try_from(format!("user{count}")).unwrap();
        let hash = self
            .state
            .passwords
            .hash(PASSWORD, LOCALHOST)
            .await
            .unwrap();
        let user = NewUser {
            username: &username,
            display_name: &DisplayName::try_from(name.to_owned()).unwrap(),
            password_hash: &hash,
            role,
            invited_by: None,
            household_head: None,
        };
        let id = self.state.store.create_user(&user, 0).await.unwrap();
        let mut room_ids = Vec::new();
        for room in rooms {
            self.room(room).await;
            room_ids.push(RoomId::try_from((*room).to_owned()).unwrap());
        }
        let now_us = self.state.clock.now_us();
        self.state
            .store
            .set_user_rooms(id, &room_ids, now_us)
            .await
            .unwrap();
        (id, username.to_string())
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
        let mut request = self.http.post(self.url("/api/login")).json(&LoginRequest {
            username: username.into(),
            password: password.into(),
            code: None,
        });
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }

    /// An API request made as `account`.
    pub fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        account: &Account,
    ) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("cookie", &account.cookie)
    }

    /// `GET path` as `account`, expecting a JSON answer.
    pub async fn get_as<T: serde::de::DeserializeOwned>(&self, path: &str, account: &Account) -> T {
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
        response.json().await.unwrap()
    }

    /// `GET path` as `account`: the answer's text.
    pub async fn get_text(&self, path: &str, account: &Account) -> String {
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
        response.text().await.unwrap()
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
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !done().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.contains("nido_session="))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
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
        })
        .await;
    }

    pub async fn send_join(&mut self, room: &str, role: Role, camera_key: Option<&str>) {
        self.send(&ClientMessage::Join {
            room: room.into(),
            role,
            camera_key: camera_key.map(str::to_owned),
            after_seq: None,
            chat_only: false,
        })
        .await;
    }

    pub async fn chat_with_id(&mut self, id: &str, text: &str) {
        self.send(&ClientMessage::Chat {
            id: id.into(),
            text: text.into(),
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
            }) => Some((lines.clone(), *has_older, *replace, deleted.clone())),
            _ => None,
        })
        .await
    }

    /// Joins and waits for the welcome; panics on anything else.
    pub async fn join(&mut self, room: &str, role: Role, camera_key: Option<&str>) {
        self.send_join(room, role, camera_key).await;
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
                Received::Json(
                    ServerMessage::Presence(_)
                    | ServerMessage::Chat(_)
                    | ServerMessage::ChatBacklog { .. },
                )
                | Received::Frame(_) => continue,
                other => panic!("expected close {code}, got {other:?}"),
            }
        }
    }
}

/// The real `nido-server` binary on a data directory.
pub fn nido_command(data_dir: &std::path::Path) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_nido-server"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env("NO_COLOR", "1")
        .kill_on_drop(true);
    command
}

/// Runs `nido-server admin create NAME`, giving it [`PASSWORD`] on standard input.
pub async fn create_admin(data_dir: &std::path::Path, name: &str) {
    use tokio::io::AsyncWriteExt;
    let mut create = nido_command(data_dir)
        .args(["admin", "create", name])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = create.stdin.take().unwrap();
    stdin
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    assert!(create.wait().await.unwrap().success(), "admin create");
}

/// Starts the real server with these extra options and waits for the address it logs.
pub async fn spawn_server(
    data_dir: &std::path::Path,
    options: &[&str],
) -> (tokio::process::Child, String) {
    let (server, addr, _) = spawn_server_logged(data_dir, options).await;
    (server, addr)
}

/// The lines a server wrote to standard error, collected as it runs.
pub type LogLines = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// The same, keeping every line the server logs.
pub async fn spawn_server_logged(
    data_dir: &std::path::Path,
    options: &[&str],
) -> (tokio::process::Child, String, LogLines) {
    use tokio::io::AsyncBufReadExt;
    let mut server = nido_command(data_dir)
        .args(["--dist", "no-such-dist"])
        .args(options)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut log = tokio::io::BufReader::new(server.stderr.take().unwrap()).lines();
    let lines = LogLines::default();
    let addr = loop {
        let line = tokio::time::timeout(PATIENCE, log.next_line())
            .await
            .expect("the server logs its address")
            .unwrap()
            .expect("the server is still running");
        lines.lock().unwrap().push(line.clone());
        if let Some((_, after)) = line.split_once("Nido is running at http://") {
            // Up to the end of the address, in a plain or a JSON line.
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || ".:[]".contains(c)))
                .unwrap_or(after.len());
            break after[..end].to_owned();
        }
    };
    // Keep reading the log so that the server never blocks on a full pipe.
    let collected = lines.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = log.next_line().await {
            collected.lock().unwrap().push(line);
        }
    });
    (server, addr, lines)
}

/// Logs the admin in and creates a room through the API; returns the session cookie.
pub async fn admin_with_room(addr: &str, admin: &str, room: &str) -> String {
    let http = reqwest::Client::new();
    let login = http
        .post(format!("http://{addr}/api/login"))
        .json(&serde_json::json!({"username": admin, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 204);
    let cookie = session_cookie(&login).unwrap();
    let created = http
        .post(format!("http://{addr}/api/rooms"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"id": room, "name": room}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
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
    server
        .http
        .post(server.url(&format!("/api{path}/register")))
        .json(&Registration {
            username: username.into(),
            display_name: format!("Familia {username}"),
            password: PASSWORD.into(),
        })
        .send()
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

/// A WebSocket upgrade request, with a session cookie if given.
/// The HTTP status a WebSocket upgrade as `account` gets (101 when it opens).
pub async fn upgrade_status(server: &TestServer, account: &Account) -> u16 {
    let request = upgrade_request(&server.ws_url(), Some(&account.cookie));
    match tokio_tungstenite::connect_async(request).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(error) => panic!("{error}"),
    }
}

pub fn upgrade_request(url: &str, cookie: Option<&str>) -> tungstenite::handshake::client::Request {
    let mut request = url.into_client_request().unwrap();
    if let Some(cookie) = cookie {
        request
            .headers_mut()
            .insert("cookie", cookie.parse().unwrap());
    }
    request
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
