//! The reader loop of a connection: it hands each message the client sends to the
//! connection, closes an idle one, answers a broken one with the close code RFC 6455 asks
//! for, and once the connection is closing only reads on until the client closes too, so
//! that the close frame reaches it.

use futures_util::StreamExt;
use nido_shared::{CloseCode, ErrorCode, SocketError};
use tokio::io::AsyncReadExt;
use tokio::time::{Instant, timeout_at};
use tokio_tungstenite::tungstenite::error::ProtocolError;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

use super::CLOSE_GRACE;
use super::connection::Connection;
use crate::relay::websocket::MessageStream;

/// What one read of a draining connection may take; what it reads is discarded.
const DRAIN_CHUNK: usize = 16 * 1024;

pub(super) async fn read_loop(
    mut stream: MessageStream,
    mut connection: Connection,
    writer_done: CancellationToken,
) {
    let idle_timeout = connection.idle_timeout();
    // Set once the connection starts closing: the client has this long to close too.
    let mut close_by = None;
    loop {
        let closing = connection.is_closing();
        if closing && close_by.is_none() {
            close_by = Some(Instant::now() + CLOSE_GRACE);
        }
        let wait_until = close_by.unwrap_or_else(|| Instant::now() + idle_timeout);
        let next = tokio::select! {
            biased;
            () = writer_done.cancelled(), if !closing => {
                connection.leave();
                continue;
            }
            next = timeout_at(wait_until, stream.next()) => next,
        };
        let message = match next {
            Ok(Some(Ok(message))) => message,
            Err(_idle) if !closing => {
                connection.close(CloseCode::GoingAway, "idle_timeout");
                continue;
            }
            Ok(Some(Err(error))) => {
                if !closing {
                    refuse_broken(&mut connection, &error);
                }
                // Tungstenite reads nothing more after an error; the rest is discarded.
                if connection.is_closing() {
                    let deadline = close_by.unwrap_or_else(|| Instant::now() + CLOSE_GRACE);
                    drain(&mut stream, deadline).await;
                }
                return;
            }
            Err(_) | Ok(None) => return,
        };
        if closing {
            if matches!(message, Message::Close(_)) {
                return;
            }
            continue;
        }
        match message {
            Message::Text(text) => connection.on_text(text.as_str()).await,
            Message::Binary(bytes) => connection.on_binary(bytes),
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            Message::Close(_) => {
                // Tungstenite has queued the reply the protocol asks for; flushing hands
                // it to the writer.
                let _ = futures_util::SinkExt::flush(&mut stream).await;
                return;
            }
        }
    }
}

/// Answers what tungstenite could not read with its close code: 1009 for a message over
/// the limit, 1007 for text that is not UTF-8, 1002 for broken framing. A connection that
/// is simply gone (reset, closed without a close frame) gets nothing.
fn refuse_broken(connection: &mut Connection, error: &tungstenite::Error) {
    match error {
        tungstenite::Error::Capacity(_) => connection.refuse(SocketError::new(
            ErrorCode::MessageTooLarge,
            "the message is larger than the server accepts",
        )),
        tungstenite::Error::Utf8(_) => connection.refuse(SocketError::new(
            ErrorCode::MalformedMessage,
            "a text message that is not valid UTF-8",
        )),
        tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => {}
        tungstenite::Error::Protocol(violation) => {
            tracing::debug!(%violation, "the client broke the WebSocket framing");
            connection.close(CloseCode::ProtocolError, "protocol_error");
        }
        _ => {}
    }
}

/// Reads and discards what the client still sends until it closes its side or `deadline`
/// passes. Closing a socket with unread data resets the connection, and the reset throws
/// away what the server had not delivered yet, the close frame with it.
async fn drain(stream: &mut MessageStream, deadline: Instant) {
    let mut discarded = vec![0; DRAIN_CHUNK];
    let reading = async {
        while let Ok(read) = stream.get_mut().read(&mut discarded).await {
            if read == 0 {
                return;
            }
        }
    };
    let _ = timeout_at(deadline, reading).await;
}
