//! Recording security events (see `store::security_events`). A failure to record one is
//! logged as an error; it never changes the answer to the action it describes, which has
//! already happened.

use nido_shared::api::SecurityEventKind;

use crate::state::AppState;
use crate::store::EventDetails;

impl AppState {
    pub async fn record_event(
        &self,
        kind: SecurityEventKind,
        details: EventDetails<'_>,
        client_addr: &str,
    ) {
        let now = self.clock.now();
        let recorded = self
            .store
            .record_security_event(kind, &details, client_addr, now)
            .await;
        if let Err(error) = recorded {
            tracing::error!(%error, kind = kind.as_str(), "could not record a security event");
        }
    }
}
