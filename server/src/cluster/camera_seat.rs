//! One camera per room across every node: the seat is claimed in the database before the
//! camera enters the room here, and freed when it leaves, unless another node took it over
//! meanwhile (the same camera reconnecting elsewhere, or a camera replacing a dead node's).

use nido_shared::{CameraKey, RoomId};
use tokio_util::task::TaskTracker;

use super::Cluster;
use crate::store::{Store, StoreError};

/// A camera seat this node holds; freed when dropped.
pub struct SeatLease {
    store: Store,
    room: RoomId,
    epoch: u64,
    /// The write that frees the seat outlives the connection; shutdown waits for it.
    writes: TaskTracker,
}

impl Cluster {
    /// Takes the room's seat for a camera here, or `None` when another camera holds it on
    /// a live node.
    pub async fn claim_camera_seat(
        &self,
        room: &RoomId,
        key: Option<&CameraKey>,
        writes: &TaskTracker,
    ) -> Result<Option<SeatLease>, StoreError> {
        let key = key.map(CameraKey::as_str);
        let epoch = self
            .store()
            .claim_camera_seat(room, key, self.node().as_str())
            .await?;
        Ok(epoch.map(|epoch| SeatLease {
            store: self.store().clone(),
            room: room.clone(),
            epoch,
            writes: writes.clone(),
        }))
    }
}

impl SeatLease {
    /// Grows with every new holder: frames of an older one are dropped everywhere.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }
}

impl Drop for SeatLease {
    fn drop(&mut self) {
        let (store, room, epoch) = (self.store.clone(), self.room.clone(), self.epoch);
        self.writes.spawn(async move {
            if let Err(error) = store.release_camera_seat(&room, epoch).await {
                // The seat frees itself once this node stops beating, or when taken over.
                tracing::warn!(%error, %room, "could not free a camera seat");
            }
        });
    }
}
