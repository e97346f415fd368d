//! What travels with a frame between nodes, in NATS headers so that the frame's bytes cross
//! unchanged (and are sent on from the received buffer without a copy): the epoch of the
//! camera seat it was sent under, and when its node published it.

use std::time::Duration;

use async_nats::HeaderMap;
use nido_shared::Timestamp;

/// Room kept in each message for these headers, below NATS's `max_payload`.
pub const MAX_ENVELOPE_LEN: usize = 128;

const EPOCH: &str = "Nido-Seat-Epoch";
const SENT_AT: &str = "Nido-Sent-Us";

/// A frame's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoEnvelope {
    /// The camera seat's epoch: frames from an older holder are dropped.
    pub epoch: u64,
    pub sent_at: Timestamp,
}

impl VideoEnvelope {
    pub fn headers(self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(EPOCH, self.epoch.to_string().as_str());
        headers.insert(SENT_AT, self.sent_at.as_micros().to_string().as_str());
        headers
    }

    /// The envelope of a received frame; `None` when it has none (not a Nido frame).
    pub fn read(headers: Option<&HeaderMap>) -> Option<Self> {
        let headers = headers?;
        let number = |name| headers.get(name)?.as_str().parse::<i64>().ok();
        Some(Self {
            epoch: u64::try_from(number(EPOCH)?).ok()?,
            sent_at: Timestamp::from_micros(number(SENT_AT)?),
        })
    }

    /// How long ago the frame was published, by this node's clock.
    pub fn age(self, now: Timestamp) -> Duration {
        Duration::from_micros(
            u64::try_from(now.as_micros() - self.sent_at.as_micros()).unwrap_or(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_envelope_reads_back_and_a_foreign_message_is_refused() {
        let envelope = VideoEnvelope {
            epoch: 7,
            sent_at: Timestamp::from_micros(1_800_000_000_000_000),
        };
        let headers = envelope.headers();
        assert_eq!(VideoEnvelope::read(Some(&headers)), Some(envelope));
        let mut foreign = HeaderMap::new();
        foreign.insert(EPOCH, "-1");
        assert_eq!(VideoEnvelope::read(Some(&foreign)), None);
        assert_eq!(VideoEnvelope::read(None), None);
        // The largest envelope, as NATS writes its headers: a version line, `Name: value`
        // lines and a blank line.
        let largest = format!(
            "NATS/1.0\r\n{EPOCH}: {}\r\n{SENT_AT}: {}\r\n\r\n",
            u64::MAX,
            i64::MIN
        );
        assert!(largest.len() <= MAX_ENVELOPE_LEN);
    }
}
