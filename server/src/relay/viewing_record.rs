//! A viewing session's line in the audit log, ended when the record is dropped.

use tokio_util::task::TaskTracker;

use crate::infra::clock::Clock;
use crate::store::{NewViewing, Store, StoreError, ViewingId};

pub struct ViewingRecord {
    id: ViewingId,
    store: Store,
    clock: Clock,
    /// The write that ends the record outlives the connection; shutdown waits for it.
    writes: TaskTracker,
}

impl ViewingRecord {
    pub async fn start(
        store: &Store,
        clock: &Clock,
        writes: &TaskTracker,
        viewing: NewViewing<'_>,
    ) -> Result<Self, StoreError> {
        let id = store.start_viewing(&viewing, clock.now()).await?;
        Ok(Self {
            id,
            store: store.clone(),
            clock: clock.clone(),
            writes: writes.clone(),
        })
    }
}

impl Drop for ViewingRecord {
    fn drop(&mut self) {
        let (id, store, ended_at) = (self.id, self.store.clone(), self.clock.now());
        self.writes.spawn(async move {
            if let Err(error) = store.end_viewing(id, ended_at).await {
                tracing::error!(%error, %id, "could not end a viewing session in the audit log");
            }
        });
    }
}
