//! One WebSocket connection: a reader loop that checks and handles what the client sends,
//! and one writer task that owns the sending half and sends, in order of priority, close
//! requests, control messages (chat, presence, errors), the newest video frame and pings.

mod connection;
mod join;
mod reader;
mod writer;

use std::pin::pin;
use std::time::Duration;

use nido_shared::{ErrorCode, SocketError};
use tokio::time::timeout;
use tokio_util::sync::CancellationToken;
use tokio_util::task::AbortOnDropHandle;
use tracing::Instrument;

use crate::auth::{Authenticated, Peer};
use crate::relay::outbox::Outbox;
use crate::relay::websocket::Socket;
use crate::state::AppState;
use connection::Connection;
use reader::read_loop;
use writer::write_loop;

/// How long a closing connection may take to deliver its close frame and hear the reply.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs one connection of a logged-in person until it closes, in a span that names the
/// person, the connection and, once joined, the room.
pub async fn run(socket: Socket, state: AppState, auth: Authenticated, peer: Peer) {
    let span = tracing::info_span!(
        "connection",
        user = auth.user.username.as_str(),
        id = tracing::field::Empty,
        room = tracing::field::Empty,
    );
    serve(socket, state, auth, peer).instrument(span).await;
}

async fn serve(socket: Socket, state: AppState, auth: Authenticated, peer: Peer) {
    let Socket { messages, writer } = socket;
    let _counted = state.metrics.connection_opened(auth.user.role);
    let (outbox, received) = Outbox::new(&state.shutdown, writer.direct_socket());
    let limit = state.config.max_sockets_per_account;
    let registered = state.sockets.register(
        auth.user.id,
        auth.user.role,
        auth.session_id,
        auth.expires_at,
        outbox.clone(),
        usize::try_from(limit).unwrap_or(usize::MAX),
    );
    // Cancelled when the writer stops: nothing more will be sent, so the reader only
    // waits for the client's close reply.
    let writer_done = CancellationToken::new();
    let writing = write_loop(
        writer,
        received,
        state.shutdown.clone(),
        state.config.ping_interval(),
        state.metrics.clone(),
        writer_done.clone(),
    );
    let Ok(socket_entry) = registered else {
        outbox.push_error(SocketError::new(
            ErrorCode::TooManyConnections,
            format!("at most {limit} connections per account; close another tab or device"),
        ));
        let _ = timeout(CLOSE_GRACE, writing).await;
        return;
    };
    // The writer is a task of its own: polled together with the reader, every frame sent
    // would also poll the reader, and tungstenite prepares its read buffer on each poll.
    tracing::Span::current().record("id", socket_entry.id());
    // The writer runs outside the span: entering it on each of its polls, once per frame,
    // costs more than its rare log lines are worth.
    let mut writer = AbortOnDropHandle::new(tokio::spawn(writing));
    let connection = Connection::new(state, outbox, auth, peer, socket_entry);
    let mut reader = pin!(read_loop(messages, connection, writer_done));

    tokio::select! {
        () = &mut reader => { let _ = timeout(CLOSE_GRACE, &mut writer).await; }
        _ = &mut writer => { let _ = timeout(CLOSE_GRACE, &mut reader).await; }
    }
}
