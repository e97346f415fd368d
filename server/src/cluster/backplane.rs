//! The two connections to NATS every node keeps: one for video, with a small buffer so that
//! a slow node loses frames and nothing else, and one for everything else (presence, chat
//! notifications), which video can never hold up. Both reconnect by themselves, within a
//! second of NATS being back, and resubscribe.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, ConnectOptions, Event};
use nido_shared::{FRAME_HEADER_V2_LEN, RoomId};
use tokio::sync::watch;

use super::node::NodeId;
use super::video_envelope::MAX_ENVELOPE_LEN;
use crate::infra::config::BackplaneUrl;
use crate::infra::metrics::Metrics;

/// Frames a node's video subscription holds for a room before NATS's client drops the
/// newest: the receiving task takes each at once, so a few cover a burst.
const VIDEO_BUFFER: usize = 16;
/// How long the first connection may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// NATS notices a vanished peer after two missed pings.
const PING_INTERVAL: Duration = Duration::from_secs(5);
/// The longest wait between reconnection attempts.
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(1);

/// Why a node could not join the backplane.
#[derive(Debug, thiserror::Error)]
pub enum BackplaneError {
    #[error("cannot connect to NATS at {url}")]
    Connect {
        url: String,
        #[source]
        source: async_nats::ConnectError,
    },
    #[error(
        "NATS carries at most {max_payload} bytes per message, and a camera frame may take \
         {needed}: raise max_payload in the NATS server's configuration, or lower \
         --max-frame-bytes"
    )]
    PayloadTooSmall { max_payload: usize, needed: usize },
}

/// This node's connections to NATS, cheap to clone.
#[derive(Clone)]
pub struct Backplane {
    control: Client,
    video: Client,
    subjects: Arc<Subjects>,
    /// Counts the times a connection was made again after breaking: what may have been
    /// missed meanwhile is then read from the database.
    reconnects: watch::Sender<u64>,
}

/// The subjects of one deployment, versioned so that nodes of another version never
/// cross-talk.
struct Subjects {
    prefix: String,
}

impl Backplane {
    /// Connects both connections; `deployment` keeps deployments that share a NATS apart.
    pub async fn connect(
        url: &BackplaneUrl,
        deployment: &str,
        node: &NodeId,
        max_frame_bytes: usize,
        metrics: &Metrics,
    ) -> Result<Self, BackplaneError> {
        let reconnects = watch::Sender::new(0);
        let connect = |purpose: &'static str, capacity: Option<usize>| {
            let mut options = options(node, purpose, metrics, &reconnects);
            if let Some(capacity) = capacity {
                options = options.subscription_capacity(capacity);
            }
            async move {
                options
                    .connect(url.servers())
                    .await
                    .map_err(|source| BackplaneError::Connect {
                        url: url.to_string(),
                        source,
                    })
            }
        };
        let control = connect("control", None).await?;
        let video = connect("video", Some(VIDEO_BUFFER)).await?;
        let needed = MAX_ENVELOPE_LEN + FRAME_HEADER_V2_LEN + max_frame_bytes;
        let max_payload = video.server_info().max_payload;
        if max_payload < needed {
            return Err(BackplaneError::PayloadTooSmall {
                max_payload,
                needed,
            });
        }
        Ok(Self {
            control,
            video,
            subjects: Arc::new(Subjects {
                prefix: format!("nido.v1.{}", subject_token(deployment)),
            }),
            reconnects,
        })
    }

    /// Whether both connections are up (for `/readyz`).
    pub fn is_connected(&self) -> bool {
        [&self.control, &self.video]
            .iter()
            .all(|client| client.connection_state() == State::Connected)
    }

    pub fn video_is_connected(&self) -> bool {
        self.video.connection_state() == State::Connected
    }

    pub fn control(&self) -> &Client {
        &self.control
    }

    pub fn video(&self) -> &Client {
        &self.video
    }

    /// Changes each time a connection is made again after breaking.
    pub fn reconnects(&self) -> watch::Receiver<u64> {
        self.reconnects.subscribe()
    }

    /// Where a room's camera frames go.
    pub fn video_subject(&self, room: &RoomId) -> String {
        format!("{}.room.{room}.video", self.subjects.prefix)
    }

    /// Where each node says who of a room is on it.
    pub fn presence_subject(&self, room: &RoomId) -> String {
        format!("{}.room.{room}.presence", self.subjects.prefix)
    }

    /// Where a node whose viewer waits for a keyframe asks the camera's node for one.
    pub fn keyframe_subject(&self, room: &RoomId) -> String {
        format!("{}.room.{room}.keyframe", self.subjects.prefix)
    }

    /// Where a room's stored chat messages and deletions are announced.
    pub fn chat_subject(&self, room: &RoomId) -> String {
        format!("{}.room.{room}.chat", self.subjects.prefix)
    }
}

fn options(
    node: &NodeId,
    purpose: &'static str,
    metrics: &Metrics,
    reconnects: &watch::Sender<u64>,
) -> ConnectOptions {
    let (metrics, reconnects) = (metrics.clone(), reconnects.clone());
    let connected_before = Arc::new(AtomicBool::new(false));
    ConnectOptions::new()
        .name(format!("nido {node} {purpose}"))
        // A node hears its own messages from its own rooms already.
        .no_echo()
        .connection_timeout(CONNECT_TIMEOUT)
        .ping_interval(PING_INTERVAL)
        .reconnect_delay_callback(|attempts| {
            let attempts = u32::try_from(attempts).unwrap_or(u32::MAX);
            (Duration::from_millis(100) * attempts).min(MAX_RECONNECT_DELAY)
        })
        .event_callback(move |event| {
            let (metrics, reconnects) = (metrics.clone(), reconnects.clone());
            let connected_before = Arc::clone(&connected_before);
            async move {
                match event {
                    Event::Connected => {
                        if connected_before.swap(true, Ordering::Relaxed) {
                            tracing::info!(purpose, "reconnected to NATS");
                            metrics.backplane_reconnected();
                            reconnects.send_modify(|count| *count += 1);
                        }
                    }
                    Event::Disconnected => tracing::warn!(purpose, "lost the connection to NATS"),
                    Event::SlowConsumer(_) => {
                        tracing::debug!(
                            purpose,
                            "NATS dropped messages this node was slow to take"
                        );
                    }
                    other => tracing::info!(purpose, event = %other, "NATS"),
                }
            }
        })
}

/// A deployment's name as one NATS subject token: letters, digits, `-` and `_` kept, the
/// rest `_`.
fn subject_token(name: &str) -> String {
    let token: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if token.is_empty() {
        "nido".to_owned()
    } else {
        token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_name_makes_one_subject_token() {
        assert_eq!(subject_token("nido_prod"), "nido_prod");
        assert_eq!(subject_token("my db.name*>"), "my_db_name__");
        assert_eq!(subject_token(""), "nido");
    }
}
