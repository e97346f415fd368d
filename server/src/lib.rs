//! Nido's server as a library: `app` builds the router, `serve` runs it until shutdown.
//! `main.rs` is a thin command line over this; tests start it on port 0.

mod clock;
pub mod config;
mod hub;
mod origin;
mod outbox;
mod session;
mod state;
mod static_files;

use std::time::Duration;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use nido_shared::FRAME_HEADER_LEN;
use nido_shared::limits::MAX_TEXT_MESSAGE_BYTES;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;

pub use config::Config;
pub use state::AppState;

/// How long shutdown waits for connections to finish their close handshake.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The first chunk the WebSocket reader allocates; it grows only for larger messages.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// The whole HTTP surface: the WebSocket, the health check and the browser app.
pub fn app(state: AppState) -> Router {
    let security_headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(self), microphone=(), geolocation=()",
        ),
    ];
    let mut router = Router::new()
        .route("/ws", get(open_websocket))
        .route("/healthz", get(healthz))
        .with_state(state.clone())
        .merge(static_files::router(&state.config.dist));
    for (name, value) in security_headers {
        router = router.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
}

/// Serves until `state.shutdown` is cancelled, then closes every WebSocket with 1001 and
/// waits (at most five seconds) for them to finish.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let shutdown = state.shutdown.clone();
    let connections = state.connections.clone();
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::warn!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await?;
    connections.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close in time");
    }
    Ok(())
}

async fn healthz() -> &'static str {
    "ok"
}

async fn open_websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !state.origins.permits(&headers) {
        tracing::info!(origin = ?headers.get(header::ORIGIN), "refused a WebSocket from a foreign origin");
        return (
            StatusCode::FORBIDDEN,
            "this page's origin may not open Nido's WebSocket",
        )
            .into_response();
    }
    if state.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
            .into_response();
    }
    let max_message = (FRAME_HEADER_LEN + state.config.max_frame_bytes).max(MAX_TEXT_MESSAGE_BYTES);
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_write_buffer_size(max_message + READ_BUFFER_BYTES)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let connections = state.connections.clone();
            connections.track_future(session::run(socket, state))
        })
}
