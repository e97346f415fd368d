//! Prepares a fresh Nido server for a step through its HTTP API: a room open around the
//! clock, the admin who streams to it, one family account every viewer uses, and one
//! account per chat client (chat is rate-limited per person).

use std::net::SocketAddr;

use anyhow::Context;
use nido_shared::api::{CreatedInvite, NewInvite, NewRoom};
use nido_shared::{OpenHours, RoomId, TimeOfDay, UserRole, WeeklySchedule};
pub use nido_testkit::PASSWORD;
use nido_testkit::api::Api;
use reqwest::StatusCode;

pub const ADMIN: &str = "bench-admin";
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
    let api = Api::new(addr);
    let admin = api.log_in(ADMIN, PASSWORD).await?;
    let room = RoomId::try_from(ROOM.to_owned())?;
    let always = OpenHours::new(TimeOfDay::MIDNIGHT, TimeOfDay::END_OF_DAY)?;
    let new_room = NewRoom {
        id: room.clone(),
        name: "Benchmark".to_owned(),
        schedule: WeeklySchedule {
            days: [Some(always); 7],
        },
    };
    api.post(&admin, "/api/rooms", &new_room, StatusCode::CREATED)
        .await?;
    let invite = NewInvite {
        role: UserRole::Family,
        rooms: vec![room.clone()],
        expires_in_hours: 1,
        max_uses: u32::try_from(CHAT_ACCOUNTS + 1)?,
    };
    let created: CreatedInvite = api
        .post(&admin, "/api/invites", &invite, StatusCode::CREATED)
        .await?
        .json()
        .await
        .context("the new invite")?;
    let viewer_cookie = api
        .register(&created.path, "bench-family", PASSWORD)
        .await?;
    let mut chat_cookies = Vec::with_capacity(CHAT_ACCOUNTS);
    for n in 0..CHAT_ACCOUNTS {
        let username = format!("bench-chat-{n}");
        chat_cookies.push(api.register(&created.path, &username, PASSWORD).await?);
    }
    Ok(NidoAccess {
        room,
        camera_cookie: admin,
        viewer_cookie,
        chat_cookies,
    })
}
