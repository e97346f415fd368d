//! How a failure of the store is told on a WebSocket: logged in full here, in the span of
//! the connection it happened to, and sent to the client only as "try again".

use nido_shared::{ErrorCode, SocketError};

use crate::store::StoreError;

impl From<StoreError> for SocketError {
    /// Leaves the connection open: the next request may well succeed. Where nothing can go
    /// on without what failed (a join), the caller closes ([`SocketError::closing`]).
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "a request on a WebSocket failed in the store");
        Self::new(
            ErrorCode::ServerError,
            "the server could not do this; try again",
        )
    }
}
