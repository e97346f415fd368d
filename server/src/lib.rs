//! Nido's server as a library: `app` builds the router, `serve` runs it until shutdown.
//! `main.rs` is a thin command line over this; tests start it on port 0.
//!
//! - `relay/`: the rooms and their fan-out of video, chat and presence, and the WebSocket
//!   connections that join them.
//! - `http/`: the HTTP surface: the JSON API, the browser app's files and what every
//!   response gets (security headers, the hosts and origins served).
//! - `cluster/`: many nodes of one deployment, over PostgreSQL and NATS.
//! - `auth/`: passwords, sessions, second factors and login throttling.
//! - `store/`: the database.
//! - `infra/`: configuration, TLS, the clock, logs and metrics.

pub mod admin_cli;
mod auth;
mod cluster;
mod http;
pub mod infra;
mod relay;
mod security_log;
mod state;
pub mod store;

pub use http::static_files;
pub use infra::{clock, config, logging, private_files, tls};

use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::{Listener, ListenerExt, TapIo};
use nido_shared::limits::MAX_TEXT_MESSAGE_BYTES;
use nido_shared::{FRAME_HEADER_V2_LEN, Timestamp};
use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tower_http::trace::TraceLayer;

pub use config::{Cli, Config};
pub use state::{AppState, StartError};

use crate::auth::{Authenticated, Peer};
use crate::http::{api, error, security_headers, served_hosts};
use crate::infra::metrics;
use crate::infra::tls::TlsTcpListener;
use crate::relay::session;
use crate::relay::websocket::WebSocketHandshake;

/// How long shutdown waits for connections to finish their close handshake.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The first chunk the WebSocket reader allocates; it grows only for larger messages.
const READ_BUFFER_BYTES: usize = 16 * 1024;
/// How often access that depends on time (viewing hours, session expiry) is re-checked.
const POLICY_TICK: Duration = Duration::from_millis(250);
/// How often expired sessions and old login failures are deleted.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60 * 60);

/// The whole HTTP surface: the API, the WebSocket, the health check and the browser app.
pub fn app(state: AppState) -> Router {
    let authenticated = Router::new()
        .nest("/api", api::router(&state))
        .route("/ws", get(open_websocket))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(TraceLayer::new_for_http().make_span_with(request_span));
    let mut router = authenticated
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(export_metrics));
    if let Some(authority) = state.tls.as_ref().and_then(|tls| tls.authority.clone()) {
        router = router.route(
            tls::AUTHORITY_DOWNLOAD_PATH,
            get(move || async move { authority.download() }),
        );
    }
    router
        .with_state(state.clone())
        .merge(static_files::router(state.config.dist.as_deref()))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security_headers::add_security_headers,
        ))
        // Outermost: a request for a name Nido does not serve reaches nothing else.
        .layer(middleware::from_fn_with_state(
            state,
            served_hosts::refuse_foreign_hosts,
        ))
}

/// Serves (https when `state.tls` is set) until `state.shutdown` is cancelled, then closes
/// every WebSocket with 1001 and waits (at most five seconds) for them to finish.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let connections = state.connections.clone();
    let store = state.store.clone();
    let policy = tokio::spawn(enforce_time_rules(state.clone()));
    let duties = state
        .cluster
        .is_some()
        .then(|| tokio::spawn(cluster::run_duties(state.clone())));
    let cluster = state.cluster.clone();
    match state.tls.clone() {
        Some(tls) => {
            let listener = TlsTcpListener::new(listener, tls.server_config)
                .tap_io(|stream| set_nodelay(stream.get_ref().0));
            serve_http(listener, state).await;
        }
        None => serve_http(listener.tap_io(|stream| set_nodelay(stream)), state).await,
    }
    policy.abort();
    if let Some(duties) = duties {
        duties.abort();
    }
    connections.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close in time");
    }
    if let Some(cluster) = cluster
        && let Err(error) = store.leave_cluster(cluster.node().as_str()).await
    {
        tracing::warn!(%error, "could not leave the cluster cleanly; the others will notice");
    }
    store.close().await;
    Ok(())
}

async fn serve_http<L, F>(listener: TapIo<L, F>, state: AppState)
where
    L: Listener<Addr = SocketAddr>,
    F: FnMut(&mut L::Io) + Send + 'static,
{
    let shutdown = state.shutdown.clone();
    let header_timeout = state.config.header_timeout();
    let app = app(state);
    http::server::serve_connections(listener, app, header_timeout, shutdown, SHUTDOWN_GRACE).await;
}

/// A request's span: its method and route (the route's pattern, never the path itself, which
/// may hold an invite's token), and once known whose it is.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        user = tracing::field::Empty,
    )
}

/// Frames go out as soon as they are written, not held back to fill a packet.
fn set_nodelay(stream: &TcpStream) {
    if let Err(error) = stream.set_nodelay(true) {
        tracing::warn!(%error, "could not set TCP_NODELAY");
    }
}

/// Applies the rules that change with time: rooms open and close to families at their
/// viewing hours, and sockets of expired sessions close, each within a tick.
async fn enforce_time_rules(state: AppState) {
    let mut tick = tokio::time::interval(POLICY_TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_housekeeping = tokio::time::Instant::now();
    loop {
        tick.tick().await;
        state.hub.refresh_hours();
        let now = state.clock.now();
        state.sockets.close_expired(&state.store, now).await;
        if last_housekeeping.elapsed() >= HOUSEKEEPING_EVERY {
            last_housekeeping = tokio::time::Instant::now();
            housekeeping(&state, now).await;
        }
    }
}

async fn housekeeping(state: &AppState, now: Timestamp) {
    let forget_before = now - auth::throttle::FORGET_AFTER;
    state.throttle.forget_old(now);
    state.chat_rate.retain_recent();
    let store = &state.store;
    let result = async {
        store.delete_expired_sessions(now).await?;
        if let Some(days) = state.config.chat_retention_days {
            let kept = Duration::from_secs(u64::from(days) * 24 * 60 * 60);
            store.forget_chat_before(now - kept).await?;
        }
        store
            .prune_login_failures(forget_before, auth::throttle::ACCOUNT_LOCK_AT)
            .await
    }
    .await;
    if let Err(error) = result {
        tracing::warn!(%error, "housekeeping failed");
    }
}

/// Alive: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Ready for traffic: the database answers, the backplane (with other nodes) is connected,
/// and the server is not shutting down. The answer names what is missing.
async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutdown.is_cancelled() {
        return (StatusCode::SERVICE_UNAVAILABLE, "shutting down").into_response();
    }
    let database = match state.store.ping().await {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(%error, "the database does not answer");
            false
        }
    };
    let backplane = state
        .cluster
        .as_ref()
        .map(|cluster| cluster.backplane().is_connected());
    let mut report = format!(
        "database: {}\n",
        if database { "ok" } else { "does not answer" }
    );
    if let Some(connected) = backplane {
        let shown = if connected { "ok" } else { "disconnected" };
        report.push_str(&format!("backplane: {shown}\n"));
    }
    if database && backplane != Some(false) {
        (StatusCode::OK, format!("ready\n{report}")).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready\n{report}"),
        )
            .into_response()
    }
}

/// `GET /metrics`, for the addresses and the token the operator allowed.
async fn export_metrics(State(state): State<AppState>, peer: Peer, headers: HeaderMap) -> Response {
    if !state.metrics_access.permits(peer.ip, &headers) {
        return (
            StatusCode::FORBIDDEN,
            "metrics are only for the addresses in --metrics-allow or a client with --metrics-token",
        )
            .into_response();
    }
    (
        [(header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
        state.metrics.encode(state.hub.live_camera_count()),
    )
        .into_response()
}

/// Upgrades to a WebSocket: only for the app's own pages (else 403) and a logged-in
/// person (else 401), checked before the upgrade.
async fn open_websocket(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Result<Authenticated, error::AppError>,
    peer: Peer,
    upgrade: WebSocketHandshake,
) -> Response {
    if !state.origins.permits(&headers, peer.https) {
        tracing::info!(origin = ?headers.get(header::ORIGIN), "refused a WebSocket from a foreign origin");
        return (
            StatusCode::FORBIDDEN,
            "this page's origin may not open Nido's WebSocket",
        )
            .into_response();
    }
    let auth = match auth {
        Ok(auth) => auth,
        Err(refused) => return refused.into_response(),
    };
    if state.shutdown.is_cancelled() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        )
            .into_response();
    }
    let max_message =
        (FRAME_HEADER_V2_LEN + state.config.max_frame_bytes).max(MAX_TEXT_MESSAGE_BYTES);
    // Tungstenite only reads here, and writes the replies to pings and closes.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(0)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message));
    let connections = state.connections.clone();
    upgrade.accept(config, &connections, move |socket| {
        session::run(socket, state, auth, peer)
    })
}
