//! Prometheus metrics (served at `GET /metrics`): what the relay is doing, for the daycare's monitoring.
//!
//! Counters and gauges are atomics shared by every connection; the text is made when
//! scraped. Only the addresses in `--metrics-allow` (loopback by default), or a client that
//! sends `--metrics-token` as a bearer token, may read them.

use std::net::IpAddr;
use std::sync::Arc;

use axum::http::{HeaderMap, header};
use ipnet::IpNet;
use nido_shared::{UserRole, VideoCodec};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every metric Nido exports, cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    connections: Family<RoleLabel, Gauge>,
    live_cameras: Gauge,
    frames_received: Counter,
    frames_sent: Counter,
    frames_skipped: Counter,
    bytes_sent: Counter,
    chat_messages: Counter,
    auth_failures: Counter,
    frame_time_in_server: Histogram,
    video: VideoMetrics,
    backplane: BackplaneMetrics,
}

/// The video by codec and temporal layer, and what the layered streams' rules did.
#[derive(Clone)]
struct VideoMetrics {
    frames_received: Family<VideoLabel, Counter>,
    bytes_received: Family<VideoLabel, Counter>,
    frames_sent: Family<VideoLabel, Counter>,
    bytes_sent: Family<VideoLabel, Counter>,
    /// Layers viewers that fell behind were moved off.
    layers_dropped: Counter,
    keyframes_requested: Counter,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VideoLabel {
    codec: CodecValue,
    layer: u8,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
enum CodecValue {
    jpeg,
    vp8,
}

impl VideoLabel {
    fn new(codec: Option<VideoCodec>, layer: u8) -> Self {
        let codec = match codec {
            None => CodecValue::jpeg,
            Some(VideoCodec::Vp8) => CodecValue::vp8,
        };
        Self { codec, layer }
    }
}

/// What crosses the backplane between this node and the others (zero on a single node).
#[derive(Clone)]
struct BackplaneMetrics {
    frames_out: Counter,
    bytes_out: Counter,
    frames_in: Counter,
    bytes_in: Counter,
    /// Frames this node could not publish (NATS disconnected or too slow).
    frames_unsent: Counter,
    reconnects: Counter,
    /// From a frame's publication on its camera's node to its arrival here.
    lag: Histogram,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabel {
    role: RoleValue,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
enum RoleValue {
    admin,
    caregiver,
    family,
}

impl From<UserRole> for RoleValue {
    fn from(role: UserRole) -> Self {
        match role {
            UserRole::Admin => Self::admin,
            UserRole::Caregiver => Self::caregiver,
            UserRole::Family => Self::family,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let metrics = Self {
            registry: Arc::default(),
            connections: Family::default(),
            live_cameras: Gauge::default(),
            frames_received: Counter::default(),
            frames_sent: Counter::default(),
            frames_skipped: Counter::default(),
            bytes_sent: Counter::default(),
            chat_messages: Counter::default(),
            auth_failures: Counter::default(),
            // 0.25 ms to about 4 s.
            frame_time_in_server: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
            video: VideoMetrics {
                frames_received: Family::default(),
                bytes_received: Family::default(),
                frames_sent: Family::default(),
                bytes_sent: Family::default(),
                layers_dropped: Counter::default(),
                keyframes_requested: Counter::default(),
            },
            backplane: BackplaneMetrics {
                frames_out: Counter::default(),
                bytes_out: Counter::default(),
                frames_in: Counter::default(),
                bytes_in: Counter::default(),
                frames_unsent: Counter::default(),
                reconnects: Counter::default(),
                lag: Histogram::new(exponential_buckets(0.000_25, 2.0, 15)),
            },
        };
        let mut registry = Registry::with_prefix("nido");
        registry.register(
            "connections",
            "Open WebSocket connections, by the person's role",
            metrics.connections.clone(),
        );
        registry.register(
            "live_cameras",
            "Rooms with a camera connected and not paused",
            metrics.live_cameras.clone(),
        );
        registry.register(
            "frames_received",
            "Video frames received from cameras and relayed",
            metrics.frames_received.clone(),
        );
        registry.register(
            "frames_sent",
            "Video frames written to viewers",
            metrics.frames_sent.clone(),
        );
        registry.register(
            "frames_skipped",
            "Frames a slow viewer never got because a newer one replaced them",
            metrics.frames_skipped.clone(),
        );
        registry.register(
            "bytes_sent",
            "WebSocket message bytes written to clients (video and text)",
            metrics.bytes_sent.clone(),
        );
        registry.register(
            "chat_messages",
            "Chat messages stored and delivered",
            metrics.chat_messages.clone(),
        );
        registry.register(
            "auth_failures",
            "Failed logins: an unknown or revoked username, or a wrong password",
            metrics.auth_failures.clone(),
        );
        registry.register(
            "frame_time_in_server_seconds",
            "From a frame's arrival from the camera to its write to a viewer's socket",
            metrics.frame_time_in_server.clone(),
        );
        metrics.video.register(&mut registry);
        metrics.backplane.register(&mut registry);
        Self {
            registry: Arc::new(registry),
            ..metrics
        }
    }
}

impl Metrics {
    /// Counts a connection of someone with `role` until the guard is dropped.
    pub fn connection_opened(&self, role: UserRole) -> ConnectionCounted {
        let gauge = self
            .connections
            .get_or_create(&RoleLabel { role: role.into() })
            .clone();
        gauge.inc();
        ConnectionCounted(gauge)
    }

    /// A JPEG frame (`codec` none) or a chunk of `layer` relayed from a camera.
    pub fn frame_received(&self, codec: Option<VideoCodec>, layer: u8, bytes: usize) {
        self.frames_received.inc();
        let label = VideoLabel::new(codec, layer);
        self.video.frames_received.get_or_create(&label).inc();
        self.video
            .bytes_received
            .get_or_create(&label)
            .inc_by(bytes as u64);
    }

    /// A JPEG frame written to a viewer.
    pub fn frame_sent(&self, bytes: usize, received_at: Instant) {
        self.video_sent(None, 0, bytes, received_at);
    }

    /// A chunk of `layer` written to a viewer.
    pub fn chunk_sent(&self, codec: VideoCodec, layer: u8, bytes: usize, received_at: Instant) {
        self.video_sent(Some(codec), layer, bytes, received_at);
    }

    fn video_sent(&self, codec: Option<VideoCodec>, layer: u8, bytes: usize, received_at: Instant) {
        self.frames_sent.inc();
        self.bytes_sent.inc_by(bytes as u64);
        let label = VideoLabel::new(codec, layer);
        self.video.frames_sent.get_or_create(&label).inc();
        self.video
            .bytes_sent
            .get_or_create(&label)
            .inc_by(bytes as u64);
        self.frame_time_in_server
            .observe(received_at.elapsed().as_secs_f64());
    }

    /// Layers viewers of layered streams were moved off because they fell behind.
    pub fn video_layers_dropped(&self, count: u32) {
        self.video.layers_dropped.inc_by(u64::from(count));
    }

    /// A camera was asked for a keyframe.
    pub fn keyframe_requested(&self) {
        self.video.keyframes_requested.inc();
    }

    /// Frames viewers will never get: newer ones replaced them before they were sent.
    pub fn frames_skipped(&self, count: u64) {
        self.frames_skipped.inc_by(count);
    }

    pub fn text_sent(&self, bytes: usize) {
        self.bytes_sent.inc_by(bytes as u64);
    }

    pub fn chat_message(&self) {
        self.chat_messages.inc();
    }

    pub fn auth_failure(&self) {
        self.auth_failures.inc();
    }

    /// A frame published to the other nodes.
    pub fn backplane_frame_out(&self, bytes: usize) {
        self.backplane.frames_out.inc();
        self.backplane.bytes_out.inc_by(bytes as u64);
    }

    /// A frame this node could not publish to the others.
    pub fn backplane_frame_unsent(&self) {
        self.backplane.frames_unsent.inc();
    }

    /// A frame from another node, `lag` after its node published it.
    pub fn backplane_frame_in(&self, bytes: usize, lag: std::time::Duration) {
        self.backplane.frames_in.inc();
        self.backplane.bytes_in.inc_by(bytes as u64);
        self.backplane.lag.observe(lag.as_secs_f64());
    }

    pub fn backplane_reconnected(&self) {
        self.backplane.reconnects.inc();
    }

    pub fn encode(&self, live_cameras: usize) -> String {
        self.live_cameras
            .set(i64::try_from(live_cameras).unwrap_or(i64::MAX));
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

impl VideoMetrics {
    fn register(&self, registry: &mut Registry) {
        let video = registry.sub_registry_with_prefix("video");
        video.register(
            "frames_received",
            "Video frames (JPEG) and chunks received from cameras, by codec and temporal layer",
            self.frames_received.clone(),
        );
        video.register(
            "bytes_received",
            "Bytes of video received from cameras, by codec and temporal layer",
            self.bytes_received.clone(),
        );
        video.register(
            "frames_sent",
            "Video frames and chunks written to viewers, by codec and temporal layer",
            self.frames_sent.clone(),
        );
        video.register(
            "bytes_sent",
            "Bytes of video written to viewers, by codec and temporal layer",
            self.bytes_sent.clone(),
        );
        video.register(
            "layers_dropped",
            "Temporal layers viewers were moved off because they fell behind",
            self.layers_dropped.clone(),
        );
        video.register(
            "keyframes_requested",
            "Keyframes cameras were asked for (a viewer lost the chain, at most one a second)",
            self.keyframes_requested.clone(),
        );
    }
}

impl BackplaneMetrics {
    fn register(&self, registry: &mut Registry) {
        let backplane = registry.sub_registry_with_prefix("backplane");
        backplane.register(
            "frames_out",
            "Video frames this node's cameras published to the other nodes",
            self.frames_out.clone(),
        );
        backplane.register(
            "bytes_out",
            "Bytes of video published to the other nodes",
            self.bytes_out.clone(),
        );
        backplane.register(
            "frames_in",
            "Video frames received from cameras on other nodes",
            self.frames_in.clone(),
        );
        backplane.register(
            "bytes_in",
            "Bytes of video received from other nodes",
            self.bytes_in.clone(),
        );
        backplane.register(
            "frames_unsent",
            "Frames not published because NATS was disconnected or too slow",
            self.frames_unsent.clone(),
        );
        backplane.register(
            "reconnects",
            "Times a connection to NATS was made again after it broke",
            self.reconnects.clone(),
        );
        backplane.register(
            "lag_seconds",
            "From a frame's publication on its camera's node to its arrival on this one",
            self.lag.clone(),
        );
    }
}

/// Decrements the connection gauge it was made from when dropped.
pub struct ConnectionCounted(Gauge);

impl Drop for ConnectionCounted {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Who may read the metrics.
#[derive(Debug, Clone)]
pub struct MetricsAccess {
    allowed: Vec<IpNet>,
    /// SHA-256 of the configured token.
    token_hash: Option<[u8; 32]>,
}

impl MetricsAccess {
    pub fn new(allowed: &[IpNet], token: Option<&str>) -> Self {
        Self {
            allowed: allowed.to_vec(),
            token_hash: token.map(|token| Sha256::digest(token.as_bytes()).into()),
        }
    }

    pub fn permits(&self, ip: IpAddr, headers: &HeaderMap) -> bool {
        let ip = ip.to_canonical();
        if self.allowed.iter().any(|net| net.contains(&ip)) {
            return true;
        }
        let Some(expected) = self.token_hash else {
            return false;
        };
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        // Comparing hashes, the time taken tells nothing about the token itself.
        presented.is_some_and(|token| {
            <[u8; 32]>::from(Sha256::digest(token.trim().as_bytes())) == expected
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn loopback_by_default_and_others_with_the_token() {
        let loopback: Vec<IpNet> = vec!["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()];
        let access = MetricsAccess::new(&loopback, Some("s3cret"));
        let lan: IpAddr = "192.168.1.30".parse().unwrap();
        assert!(access.permits("127.0.0.1".parse().unwrap(), &HeaderMap::new()));
        assert!(access.permits("::ffff:127.0.0.1".parse().unwrap(), &HeaderMap::new()));
        assert!(!access.permits(lan, &HeaderMap::new()));
        assert!(!access.permits(lan, &bearer("wrong")));
        assert!(access.permits(lan, &bearer("s3cret")));
        let without_token = MetricsAccess::new(&loopback, None);
        assert!(!without_token.permits(lan, &bearer("")));
    }

    #[test]
    fn the_text_names_every_metric() {
        let metrics = Metrics::default();
        let _counted = metrics.connection_opened(UserRole::Family);
        metrics.frame_received(None, 0, 1000);
        metrics.frame_sent(1000, Instant::now());
        metrics.chunk_sent(VideoCodec::Vp8, 2, 300, Instant::now());
        metrics.frames_skipped(2);
        metrics.video_layers_dropped(1);
        metrics.keyframe_requested();
        let text = metrics.encode(1);
        for line in [
            "nido_connections{role=\"family\"} 1",
            "nido_live_cameras 1",
            "nido_frames_received_total 1",
            "nido_frames_sent_total 2",
            "nido_frames_skipped_total 2",
            "nido_bytes_sent_total 1300",
            "nido_video_frames_received_total{codec=\"jpeg\",layer=\"0\"} 1",
            "nido_video_bytes_sent_total{codec=\"vp8\",layer=\"2\"} 300",
            "nido_video_frames_sent_total{codec=\"jpeg\",layer=\"0\"} 1",
            "nido_video_layers_dropped_total 1",
            "nido_video_keyframes_requested_total 1",
            "nido_chat_messages_total 0",
            "nido_auth_failures_total 0",
            "nido_frame_time_in_server_seconds_count 2",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        drop(_counted);
        assert!(
            metrics
                .encode(0)
                .contains("nido_connections{role=\"family\"} 0")
        );
    }
}
