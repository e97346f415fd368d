//! Points in time as Nido passes them around: microseconds since the UNIX epoch, as a type of
//! their own, so that a time is never passed where a duration, a count or an id is meant.

use std::ops::{Add, Sub};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// A moment, in microseconds since the UNIX epoch (UTC). On the wire and in the database it
/// is the bare number, in fields whose names end in `_us`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const UNIX_EPOCH: Self = Self(0);

    pub const fn from_micros(micros: i64) -> Self {
        Self(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// Whole seconds since the UNIX epoch (none before it).
    pub fn as_secs(self) -> u64 {
        u64::try_from(self.0.div_euclid(1_000_000)).unwrap_or(0)
    }

    /// How long after `earlier` this is; zero if it is not after it.
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_micros(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}

/// The microseconds of a duration, as far as a [`Timestamp`] can count them.
fn micros_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

/// Later by a duration; saturates at the end of time instead of overflowing.
impl Add<Duration> for Timestamp {
    type Output = Self;

    fn add(self, duration: Duration) -> Self {
        Self(self.0.saturating_add(micros_of(duration)))
    }
}

/// Earlier by a duration; saturates instead of overflowing.
impl Sub<Duration> for Timestamp {
    type Output = Self;

    fn sub(self, duration: Duration) -> Self {
        Self(self.0.saturating_sub(micros_of(duration)))
    }
}

/// For reading a stored number (`#[sqlx(try_from = "i64")]`).
impl From<i64> for Timestamp {
    fn from(micros: i64) -> Self {
        Self(micros)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_the_bare_number_on_the_wire() {
        let at = Timestamp::from_micros(1_764_000_000_123_456);
        assert_eq!(serde_json::to_string(&at).unwrap(), "1764000000123456");
        assert_eq!(
            serde_json::from_str::<Timestamp>("42").unwrap(),
            Timestamp::from_micros(42)
        );
    }

    #[test]
    fn adding_and_subtracting_durations_saturates_instead_of_overflowing() {
        let at = Timestamp::from_micros(10);
        assert_eq!(at + Duration::from_micros(5), Timestamp::from_micros(15));
        assert_eq!(at - Duration::from_micros(15), Timestamp::from_micros(-5));
        assert_eq!(at + Duration::MAX, Timestamp::from_micros(i64::MAX));
        assert_eq!(
            Timestamp::from_micros(i64::MIN) - Duration::from_secs(1),
            Timestamp::from_micros(i64::MIN)
        );
    }

    #[test]
    fn a_duration_since_a_later_moment_is_zero() {
        let (early, late) = (Timestamp::from_micros(1_000), Timestamp::from_micros(3_500));
        assert_eq!(
            late.saturating_duration_since(early),
            Duration::from_micros(2_500)
        );
        assert_eq!(early.saturating_duration_since(late), Duration::ZERO);
    }

    #[test]
    fn seconds_round_down_and_stop_at_the_epoch() {
        assert_eq!(Timestamp::from_micros(2_999_999).as_secs(), 2);
        assert_eq!(Timestamp::from_micros(-1).as_secs(), 0);
    }
}
