//! The reader loop of a connection: it hands each message the client sends to the
//! connection, closes an idle one, and once the connection is closing only waits for the
//! client's close.

use futures_util::StreamExt;
use nido_shared::{CloseCode, ErrorCode, SocketError};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_util::sync::CancellationToken;

use super::CLOSE_GRACE;
use super::connection::Connection;
use crate::relay::websocket::MessageStream;

pub(super) async fn read_loop(
    mut stream: MessageStream,
    mut connection: Connection,
    writer_done: CancellationToken,
) {
    let idle_timeout = connection.idle_timeout();
    loop {
        let closing = connection.is_closing();
        let wait = if closing { CLOSE_GRACE } else { idle_timeout };
        let next = tokio::select! {
            biased;
            () = writer_done.cancelled(), if !closing => {
                connection.leave();
                continue;
            }
            next = timeout(wait, stream.next()) => next,
        };
        let message = match next {
            Ok(Some(Ok(message))) => message,
            Err(_idle) if !closing => {
                connection.close(CloseCode::GoingAway, "idle_timeout");
                continue;
            }
            Ok(Some(Err(error))) if !closing && is_over_capacity(&error) => {
                connection.refuse(SocketError::new(
                    ErrorCode::MessageTooLarge,
                    "the message is larger than the server accepts",
                ));
                return;
            }
            Err(_) | Ok(None | Some(Err(_))) => return,
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

fn is_over_capacity(error: &tungstenite::Error) -> bool {
    matches!(error, tungstenite::Error::Capacity(_))
}
