//! How often each person may send to the chat: a burst of `--chat-per-10s` messages, refilled
//! over ten seconds, per account across all its connections.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use nido_shared::UserId;

/// How fast each person may chat, across all their connections.
pub type ChatRate = Arc<DefaultKeyedRateLimiter<UserId>>;

pub fn chat_rate(per_10s: u32) -> ChatRate {
    let burst = NonZeroU32::new(per_10s).unwrap_or(NonZeroU32::MIN);
    let period = Duration::from_secs(10) / burst.get();
    let quota = Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(burst))
        .allow_burst(burst);
    Arc::new(RateLimiter::keyed(quota))
}
