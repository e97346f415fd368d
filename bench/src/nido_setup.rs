//! Prepares a fresh Nido server for a step through its HTTP API: a room open around the
//! clock, the admin who streams to it, one family account every viewer uses, and one
//! account per chat client (chat is rate-limited per person).

use std::net::SocketAddr;

use anyhow::{Context, bail};
use nido_shared::api::{CreatedInvite, LoginRequest, NewInvite, NewRoom, Registration};
use nido_shared::{OpenHours, RoomId, TimeOfDay, UserRole, WeeklySchedule};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, SET_COOKIE};

pub const ADMIN: &str = "bench-admin";
pub const PASSWORD: &str = "benchmark-password";
pub const ROOM: &str = "bench";
/// Chat clients a step may ask for.
pub const CHAT_ACCOUNTS: usize = 10;

/// What the load generator needs to connect to a prepared Nido.
#[derive(Debug, Clone)]
pub struct NidoAccess {
    pub room: RoomId,
    /// `Cookie` header values.
    pub camera_cookie: String,
    pub viewer_cookie: String,
    pub chat_cookies: Vec<String>,
}

pub async fn prepare(addr: SocketAddr) -> anyhow::Result<NidoAccess> {
    let api = Api {
        http: reqwest::Client::new(),
        base: format!("http://{addr}/api"),
    };
    let admin = api.log_in(ADMIN).await?;
    let room = RoomId::try_from(ROOM.to_owned())?;
    let always = OpenHours::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY)?;
    let new_room = NewRoom {
        id: room.clone(),
        name: "Benchmark".to_owned(),
        schedule: WeeklySchedule {
            days: [Some(always); 7],
        },
    };
    api.post(&admin, "/rooms", &new_room, StatusCode::CREATED)
        .await?;
    let invite = NewInvite {
        role: UserRole::Family,
        rooms: vec![room.clone()],
        expires_in_hours: 1,
        max_uses: u32::try_from(CHAT_ACCOUNTS + 1)?,
    };
    let created: CreatedInvite = api
        .post(&admin, "/invites", &invite, StatusCode::CREATED)
        .await?
        .json()
        .await?;
    let token = created
        .path
        .rsplit('/')
        .next()
        .context("invite path")?
        .to_owned();
    let viewer_cookie = api.register(&token, "bench-family").await?;
    let mut chat_cookies = Vec::with_capacity(CHAT_ACCOUNTS);
    for n in 0..CHAT_ACCOUNTS {
        chat_cookies.push(api.register(&token, &format!("bench-chat-{n}")).await?);
    }
    Ok(NidoAccess {
        room,
        camera_cookie: admin,
        viewer_cookie,
        chat_cookies,
    })
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn log_in(&self, username: &str) -> anyhow::Result<String> {
        let login = LoginRequest {
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            code: None,
        };
        let response = self
            .http
            .post(format!("{}/login", self.base))
            .json(&login)
            .send()
            .await?;
        session_cookie(response, StatusCode::NO_CONTENT)
    }

    async fn register(&self, token: &str, username: &str) -> anyhow::Result<String> {
        let registration = Registration {
            username: username.to_owned(),
            display_name: username.to_owned(),
            password: PASSWORD.to_owned(),
        };
        let response = self
            .http
            .post(format!("{}/invite/{token}/register", self.base))
            .json(&registration)
            .send()
            .await?;
        session_cookie(response, StatusCode::CREATED)
    }

    async fn post(
        &self,
        cookie: &str,
        path: &str,
        body: &impl serde::Serialize,
        expected: StatusCode,
    ) -> anyhow::Result<reqwest::Response> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, cookie)
            .json(body)
            .send()
            .await?;
        if response.status() != expected {
            bail!("POST {path}: {}", response.status());
        }
        Ok(response)
    }
}

/// The `name=value` of the session cookie a response sets.
fn session_cookie(response: reqwest::Response, expected: StatusCode) -> anyhow::Result<String> {
    if response.status() != expected {
        bail!("{}: {}", response.url().path(), response.status());
    }
    let cookie = response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.contains("nido_session="))
        .context("no session cookie")?;
    Ok(cookie.split(';').next().unwrap_or_default().to_owned())
}
