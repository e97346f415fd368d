//! Login throttling: growing delays after repeated failures, per username (whether the
//! account exists or not, so both answer alike), per client address and per trusted device.
//!
//! A username is locked after [`ACCOUNT_LOCK_AT`] failures in a row, so no account ever
//! sees more than that many guesses. Its owner still gets in from a browser that logged in
//! before (a trusted device, with its own failure count), and an admin can unlock it.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nido_shared::Timestamp;

use crate::infra::mutex::lock;
use crate::store::FailureCount;

/// Growing delays: a few free failures, then a wait that doubles up to a maximum.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    pub free_failures: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
}

impl Backoff {
    /// How much longer to wait before the next attempt, if at all.
    pub fn wait(&self, failures: FailureCount, now: Timestamp) -> Option<Duration> {
        let over = failures.failures.checked_sub(self.free_failures)?;
        let delay = self
            .first_delay
            .saturating_mul(2u32.saturating_pow(over.min(31)))
            .min(self.max_delay);
        let left = (failures.last_failure_us + delay).saturating_duration_since(now);
        (!left.is_zero()).then_some(left)
    }
}

/// Per username: five free failures, then 1 s doubling to 15 minutes.
pub const ACCOUNT: Backoff = Backoff {
    free_failures: 5,
    first_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(15 * 60),
};
/// Failures in a row after which a username takes no more guesses except from a trusted
/// device, until an admin unlocks it.
pub const ACCOUNT_LOCK_AT: u32 = 100;
/// Per client address (a whole IPv6 /64): more free failures, since a school network puts
/// many families behind one address.
pub const ADDRESS: Backoff = Backoff {
    free_failures: 20,
    first_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(15 * 60),
};
/// Per trusted device: like an account.
pub const DEVICE: Backoff = ACCOUNT;
/// A trusted device that fails this often in a row is no longer trusted.
pub const DEVICE_DISTRUST_AT: u32 = 10;
/// Failures older than this are forgotten (locked usernames excepted).
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The in-memory half of throttling: per-address failures and the usernames being tried
/// right now.
#[derive(Clone, Default)]
pub struct LoginThrottle {
    addresses: Arc<Mutex<HashMap<IpAddr, FailureCount>>>,
    in_flight: Arc<Mutex<HashSet<String>>>,
}

/// Held while one login attempt for a username runs; a second concurrent attempt for the
/// same username is refused, so concurrent guesses cannot slip past the counts.
pub struct AttemptGuard {
    in_flight: Arc<Mutex<HashSet<String>>>,
    username: String,
}

impl Drop for AttemptGuard {
    fn drop(&mut self) {
        lock(&self.in_flight).remove(&self.username);
    }
}

impl LoginThrottle {
    pub fn begin(&self, username: &str) -> Option<AttemptGuard> {
        lock(&self.in_flight)
            .insert(username.to_owned())
            .then(|| AttemptGuard {
                in_flight: Arc::clone(&self.in_flight),
                username: username.to_owned(),
            })
    }

    pub fn address_wait(&self, ip: IpAddr, now: Timestamp) -> Option<Duration> {
        let failures = lock(&self.addresses).get(&address_key(ip)).copied()?;
        ADDRESS.wait(failures, now)
    }

    pub fn record_address_failure(&self, ip: IpAddr, now: Timestamp) {
        let mut addresses = lock(&self.addresses);
        let entry = addresses.entry(address_key(ip)).or_default();
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure_us = now;
    }

    /// Forgets addresses whose last failure is older than [`FORGET_AFTER`].
    pub fn forget_old(&self, now: Timestamp) {
        let horizon = now - FORGET_AFTER;
        lock(&self.addresses).retain(|_, failures| failures.last_failure_us >= horizon);
    }
}

/// The throttling key of a username as typed: trimmed, lowercased, bounded.
pub fn username_key(typed: &str) -> String {
    typed.trim().to_lowercase().chars().take(64).collect()
}

/// IPv4 addresses as they are; IPv6 by /64, the block one household or phone gets.
pub fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `secs` seconds after the epoch.
    fn at(secs: u64) -> Timestamp {
        Timestamp::UNIX_EPOCH + Duration::from_secs(secs)
    }

    /// `failures` in a row, the last at the epoch.
    fn failures(failures: u32) -> FailureCount {
        FailureCount {
            failures,
            last_failure_us: Timestamp::UNIX_EPOCH,
        }
    }

    #[test]
    fn delays_start_after_the_free_failures_and_double() {
        assert_eq!(ACCOUNT.wait(failures(4), at(0)), None);
        assert_eq!(
            ACCOUNT.wait(failures(5), at(0)),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            ACCOUNT.wait(failures(6), at(0)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            ACCOUNT.wait(failures(8), at(1)),
            Some(Duration::from_secs(7))
        );
        assert_eq!(ACCOUNT.wait(failures(5), at(1)), None);
        assert_eq!(
            ACCOUNT.wait(failures(99), at(0)),
            Some(Duration::from_secs(15 * 60))
        );
    }

    #[test]
    fn reaching_the_lock_takes_about_a_day_of_guessing() {
        let total: Duration = (0..ACCOUNT_LOCK_AT)
            .filter_map(|n| ACCOUNT.wait(failures(n), at(0)))
            .sum();
        assert!(total > Duration::from_secs(20 * 3600), "{total:?}");
    }

    #[test]
    fn one_attempt_per_username_at_a_time() {
        let throttle = LoginThrottle::default();
        let guard = throttle.begin("ana").unwrap();
        assert!(throttle.begin("ana").is_none());
        assert!(throttle.begin("luis").is_some());
        drop(guard);
        assert!(throttle.begin("ana").is_some());
    }

    #[test]
    fn addresses_are_throttled_by_ipv6_block() {
        let throttle = LoginThrottle::default();
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::99".parse().unwrap();
        for _ in 0..ADDRESS.free_failures {
            throttle.record_address_failure(a, at(0));
        }
        assert!(throttle.address_wait(b, at(0)).is_some());
        assert!(
            throttle
                .address_wait("2001:db8:1:3::1".parse().unwrap(), at(0))
                .is_none()
        );
        throttle.forget_old(at(0) + FORGET_AFTER + Duration::from_micros(1));
        assert!(throttle.address_wait(b, at(0)).is_none());
    }

    #[test]
    fn username_keys_match_how_people_type_them() {
        assert_eq!(username_key("  Ana "), "ana");
        assert_eq!(username_key(&"x".repeat(500)).len(), 64);
    }
}
