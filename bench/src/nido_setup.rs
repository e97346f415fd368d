//! Prepares a fresh Nido server for a step through its HTTP API: a room open around the
//! clock, the admin who streams to it, one family account every viewer uses, and one
//! account per chat client (chat is rate-limited per person).

use std::net::SocketAddr;

use nido_shared::{RoomId, UserRole};
pub use nido_testkit::PASSWORD;
use nido_testkit::api::Api;

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
    api.create_open_room(&admin, &room, "Benchmark").await?;
    let uses = u32::try_from(CHAT_ACCOUNTS + 1)?;
    let invite = api
        .invite(&admin, UserRole::Family, std::slice::from_ref(&room), uses)
        .await?;
    let viewer_cookie = api.register(&invite, "bench-family", PASSWORD).await?;
    let mut chat_cookies = Vec::with_capacity(CHAT_ACCOUNTS);
    for n in 0..CHAT_ACCOUNTS {
        let username = format!("bench-chat-{n}");
        chat_cookies.push(api.register(&invite, &username, PASSWORD).await?);
    }
    Ok(NidoAccess {
        room,
        camera_cookie: admin,
        viewer_cookie,
        chat_cookies,
    })
}
