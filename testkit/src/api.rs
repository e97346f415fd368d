//! Nido's HTTP API as the harness uses it: logging in, rooms, invites and registering
//! through one, requests with a session cookie, and WebSocket upgrade requests that carry one.

use anyhow::{Context, bail};
use nido_shared::api::{CreatedInvite, LoginRequest, NewInvite, NewRoom, Registration};
use nido_shared::{OpenHours, RoomId, TimeOfDay, UserRole, WeeklySchedule};
use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

/// A client of one server's API.
#[derive(Debug, Clone)]
pub struct Api {
    pub http: reqwest::Client,
    /// `http://host:port`
    pub base: String,
}

impl Api {
    /// The API of the server at `addr` (`127.0.0.1:8080`), over plain HTTP.
    pub fn new(addr: impl std::fmt::Display) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
        }
    }

    /// A request to `path`, with the session `cookie` if given.
    pub fn request(&self, method: Method, path: &str, cookie: Option<&str>) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base));
        match cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        }
    }

    /// `GET path` as the holder of `cookie`: the JSON it answers with.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        cookie: &str,
        path: &str,
    ) -> anyhow::Result<T> {
        Ok(self.get_ok(cookie, path).await?.json().await?)
    }

    /// `GET path` as the holder of `cookie`: the text it answers with.
    pub async fn get_text(&self, cookie: &str, path: &str) -> anyhow::Result<String> {
        Ok(self.get_ok(cookie, path).await?.text().await?)
    }

    async fn get_ok(&self, cookie: &str, path: &str) -> anyhow::Result<Response> {
        let response = self.request(Method::GET, path, Some(cookie)).send().await?;
        if !response.status().is_success() {
            bail!("GET {path}: {}", response.status());
        }
        Ok(response)
    }

    /// `POST /api/login`, sent as someone holding `cookie` if given: the response.
    pub async fn login_response(
        &self,
        username: &str,
        password: &str,
        cookie: Option<&str>,
    ) -> anyhow::Result<Response> {
        let login = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            code: None,
        };
        let request = self.request(Method::POST, "/api/login", cookie);
        Ok(request.json(&login).send().await?)
    }

    /// Logs in: the session cookie.
    pub async fn log_in(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let response = self.login_response(username, password, None).await?;
        cookie_of(response, StatusCode::NO_CONTENT)
    }

    /// `POST /api{invite}/register` for `invite` (the `path` an invite was created with):
    /// the response.
    pub async fn register_response(
        &self,
        invite: &str,
        username: &str,
        display_name: &str,
        password: &str,
    ) -> anyhow::Result<Response> {
        let registration = Registration {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            password: password.to_owned(),
        };
        let path = format!("/api{invite}/register");
        let request = self.request(Method::POST, &path, None);
        Ok(request.json(&registration).send().await?)
    }

    /// Registers through `invite`: the new account's session cookie.
    pub async fn register(
        &self,
        invite: &str,
        username: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let response = self
            .register_response(invite, username, username, password)
            .await?;
        cookie_of(response, StatusCode::CREATED)
    }

    /// Creates a room open around the clock, as the admin holding `cookie`.
    pub async fn create_open_room(
        &self,
        cookie: &str,
        id: &RoomId,
        name: &str,
    ) -> anyhow::Result<()> {
        let always = OpenHours::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY)?;
        let room = NewRoom {
            id: id.clone(),
            name: name.to_owned(),
            schedule: WeeklySchedule {
                days: [Some(always); 7],
            },
        };
        self.post(cookie, "/api/rooms", &room, StatusCode::CREATED)
            .await?;
        Ok(())
    }

    /// The path of a new invitation, valid for an hour, for `uses` people of `role` to
    /// `rooms`, made by the admin holding `cookie`.
    pub async fn invite(
        &self,
        cookie: &str,
        role: UserRole,
        rooms: &[RoomId],
        uses: u32,
    ) -> anyhow::Result<String> {
        let invite = NewInvite {
            role,
            rooms: rooms.to_vec(),
            expires_in_hours: 1,
            max_uses: uses,
        };
        let created: CreatedInvite = self
            .post(cookie, "/api/invites", &invite, StatusCode::CREATED)
            .await?
            .json()
            .await
            .context("the new invite")?;
        Ok(created.path)
    }

    /// `POST path` with a JSON body as the holder of `cookie`, expecting `expected`.
    pub async fn post(
        &self,
        cookie: &str,
        path: &str,
        body: &impl serde::Serialize,
        expected: StatusCode,
    ) -> anyhow::Result<Response> {
        let response = self
            .request(Method::POST, path, Some(cookie))
            .json(body)
            .send()
            .await?;
        if response.status() != expected {
            bail!("POST {path}: {}", response.status());
        }
        Ok(response)
    }
}

/// The session cookie of a response that must have `expected` status.
fn cookie_of(response: Response, expected: StatusCode) -> anyhow::Result<String> {
    if response.status() != expected {
        bail!("{}: {}", response.url().path(), response.status());
    }
    session_cookie(&response).context("no session cookie")
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(response: &Response) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.contains("nido_session="))
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// A WebSocket upgrade request for `url`, carrying the session `cookie` if given.
pub fn upgrade_request(url: &str, cookie: Option<&str>) -> anyhow::Result<Request> {
    let mut request = url.into_client_request()?;
    if let Some(cookie) = cookie {
        request.headers_mut().insert(COOKIE, cookie.parse()?);
    }
    Ok(request)
}
