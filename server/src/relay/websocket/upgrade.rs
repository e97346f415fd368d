//! The WebSocket handshake (RFC 6455, HTTP/1.1): checks the request, answers 101 and hands
//! the upgraded connection over as a [`Socket`].

use std::future::Future;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper::upgrade::OnUpgrade;
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::task::TaskTracker;

use super::frame_writer::FrameWriter;
use super::reader_io::{MAX_WAITING_REPLIES, MessageStream, ReaderIo};
use super::transport;

/// A valid WebSocket upgrade request, not yet answered.
pub struct WebSocketHandshake {
    accept_key: String,
    on_upgrade: OnUpgrade,
}

/// An upgraded connection: what the client sends, and the way to send it messages.
pub struct Socket {
    pub messages: MessageStream,
    pub writer: FrameWriter,
}

impl<S: Send + Sync> FromRequestParts<S> for WebSocketHandshake {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.method != Method::GET {
            return Err(
                (StatusCode::METHOD_NOT_ALLOWED, "a WebSocket opens with GET").into_response(),
            );
        }
        let headers = &parts.headers;
        if !has_token(headers, header::CONNECTION, "upgrade")
            || !has_token(headers, header::UPGRADE, "websocket")
        {
            return Err((
                StatusCode::BAD_REQUEST,
                "this address only speaks WebSocket",
            )
                .into_response());
        }
        if headers
            .get(header::SEC_WEBSOCKET_VERSION)
            .map(HeaderValue::as_bytes)
            != Some(b"13")
        {
            return Err(
                (StatusCode::BAD_REQUEST, "WebSocket version 13 is required").into_response(),
            );
        }
        let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
            return Err((
                StatusCode::BAD_REQUEST,
                "the Sec-WebSocket-Key header is missing",
            )
                .into_response());
        };
        let accept_key = derive_accept_key(key.as_bytes());
        let Some(on_upgrade) = parts.extensions.remove::<OnUpgrade>() else {
            return Err((
                StatusCode::UPGRADE_REQUIRED,
                "this connection cannot be upgraded",
            )
                .into_response());
        };
        Ok(Self {
            accept_key,
            on_upgrade,
        })
    }
}

impl WebSocketHandshake {
    /// Answers 101 and, once the client has the answer, runs `serve` on the connection, as a
    /// task of `tasks` from the start (so shutdown also waits for an upgrade under way).
    pub fn accept<F, Fut>(self, config: WebSocketConfig, tasks: &TaskTracker, serve: F) -> Response
    where
        F: FnOnce(Socket) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let on_upgrade = self.on_upgrade;
        tasks.spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let (read, write) = match transport::split(upgraded) {
                Ok(halves) => halves,
                Err(error) => {
                    tracing::error!(%error, "cannot take over an upgraded connection");
                    return;
                }
            };
            let (replies, waiting_replies) = mpsc::channel(MAX_WAITING_REPLIES);
            let messages = WebSocketStream::from_raw_socket(
                ReaderIo::new(read, replies),
                Role::Server,
                Some(config),
            )
            .await;
            serve(Socket {
                messages,
                writer: FrameWriter::new(write, waiting_replies),
            })
            .await;
        });
        let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        if let Ok(accept) = HeaderValue::from_str(&self.accept_key) {
            headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        }
        response
    }
}

/// Whether a comma-separated header holds `token`, in any case.
fn has_token(headers: &HeaderMap, name: header::HeaderName, token: &str) -> bool {
    headers
        .get_all(name)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|part| part.trim().eq_ignore_ascii_case(token))
}
