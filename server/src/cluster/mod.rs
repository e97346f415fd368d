//! One deployment, many nodes: each node is stateless, PostgreSQL is the one source of
//! truth and NATS the backplane between nodes (`--database` and `--backplane`).
//!
//! - `backplane`: the NATS connections and subjects; `video_envelope`: what a frame carries
//!   between nodes.
//! - `room_link`: one room's traffic with the other nodes (video out and in, presence);
//!   `outgoing_video`: its camera's video waiting for NATS; `chat_feed`: its chat in number
//!   order, gaps filled from the database.
//! - `camera_seat`: one camera per room across every node.
//! - `duties`: what every node does on its own clock: its heartbeat and the clean-up after
//!   dead nodes, the check of its camera seats, of everyone's access and of chat positions.
//!
//! Any NATS message may be lost: a lost one costs latency, never correctness. Access is
//! re-read from the database whenever its epoch moves, whatever NATS does.

mod backplane;
mod camera_seat;
mod chat_feed;
mod duties;
mod node;
mod outgoing_video;
mod room_link;
mod video_envelope;

use std::sync::Arc;

use nido_shared::Timestamp;

pub use backplane::{Backplane, BackplaneError};
pub use camera_seat::SeatLease;
pub use duties::run_duties;
pub use node::NodeId;
pub use room_link::RoomLink;

use crate::infra::clock::Clock;
use crate::infra::metrics::Metrics;
use crate::relay::hub::RoomHandle;
use crate::store::Store;

/// This node's place in the deployment, cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    node: NodeId,
    /// Where this node runs, for the nodes table.
    description: String,
    backplane: Backplane,
    store: Store,
    clock: Clock,
    metrics: Metrics,
    max_frame_bytes: usize,
}

/// What a node needs to join its deployment.
pub struct ClusterSettings<'a> {
    pub backplane: &'a crate::infra::config::BackplaneUrl,
    /// Keeps deployments sharing one NATS apart: the database's name.
    pub deployment: &'a str,
    pub listen: std::net::SocketAddr,
    pub max_frame_bytes: usize,
}

impl Cluster {
    /// Connects to NATS as a new node.
    pub async fn join(
        settings: ClusterSettings<'_>,
        store: Store,
        clock: Clock,
        metrics: Metrics,
    ) -> Result<Self, BackplaneError> {
        let node = NodeId::random();
        let backplane = Backplane::connect(
            settings.backplane,
            settings.deployment,
            &node,
            settings.max_frame_bytes,
            &metrics,
        )
        .await?;
        tracing::info!(%node, backplane = %settings.backplane, "joined the deployment's backplane");
        Ok(Self {
            inner: Arc::new(Inner {
                node,
                description: node::describe(settings.listen),
                backplane,
                store,
                clock,
                metrics,
                max_frame_bytes: settings.max_frame_bytes,
            }),
        })
    }

    pub fn node(&self) -> &NodeId {
        &self.inner.node
    }

    pub fn backplane(&self) -> &Backplane {
        &self.inner.backplane
    }

    /// Links a room that just got its first member here to the other nodes.
    pub fn link_room(&self, room: RoomHandle) -> RoomLink {
        RoomLink::start(self, room)
    }

    fn store(&self) -> &Store {
        &self.inner.store
    }

    fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    fn max_frame_bytes(&self) -> usize {
        self.inner.max_frame_bytes
    }

    fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }
}
