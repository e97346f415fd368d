//! Viewing hours in the daycare's time zone: whether a room is open to families now, and
//! when it opens next.

use jiff::tz::TimeZone;
use nido_shared::{Opening, TimeOfDay, Timestamp, Weekday, WeeklySchedule};

/// Reads weekly schedules in one time zone.
#[derive(Clone, Debug)]
pub struct ViewingHours {
    zone: TimeZone,
}

/// A room's hours at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoursNow {
    pub open: bool,
    /// While closed, when it opens next (`None` if the schedule never opens).
    pub opens_at: Option<Opening>,
}

impl ViewingHours {
    pub fn new(zone: TimeZone) -> Self {
        Self { zone }
    }

    /// The zone's IANA name, for people.
    pub fn zone_name(&self) -> String {
        self.zone.iana_name().unwrap_or("UTC").to_owned()
    }

    pub fn zone(&self) -> &TimeZone {
        &self.zone
    }

    pub fn at(&self, schedule: &WeeklySchedule, now: Timestamp) -> HoursNow {
        let (weekday, time) = self.local(now);
        let open = schedule.is_open(weekday, time);
        HoursNow {
            open,
            opens_at: if open {
                None
            } else {
                schedule.next_opening(weekday, time)
            },
        }
    }

    /// When the local day holding `now` began: attendance counts by the daycare's day.
    pub fn day_start(&self, now: Timestamp) -> Timestamp {
        let midnight = jiff::Timestamp::from_microsecond(now.as_micros())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone())
            .start_of_day();
        match midnight {
            Ok(midnight) => Timestamp::from_micros(midnight.timestamp().as_microsecond()),
            // Only at the edges of jiff's range, where no daycare is.
            Err(_) => now,
        }
    }

    /// When this local date began, or `None` for a date jiff cannot place in the zone.
    pub fn start_of(&self, date: jiff::civil::Date) -> Option<Timestamp> {
        let midnight = date
            .to_zoned_datetime(self.zone.clone())
            .and_then(|day| day.start_of_day())
            .ok()?;
        Some(Timestamp::from_micros(
            midnight.timestamp().as_microsecond(),
        ))
    }

    fn local(&self, now: Timestamp) -> (Weekday, TimeOfDay) {
        let now = jiff::Timestamp::from_microsecond(now.as_micros())
            .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone());
        let weekday = Weekday::from_index(usize::from(
            now.weekday().to_monday_zero_offset().unsigned_abs(),
        ));
        let part = |value: i8| u16::from(value.unsigned_abs());
        let time =
            TimeOfDay::from_hm(part(now.hour()), part(now.minute())).unwrap_or(TimeOfDay::MIDNIGHT);
        (weekday, time)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp::from_micros(
            text.parse::<jiff::ZonedDateTime>()
                .unwrap()
                .timestamp()
                .as_microsecond(),
        )
    }

    #[test]
    fn schedules_are_read_in_the_configured_zone() {
        let hours = ViewingHours::new(TimeZone::get("Europe/Madrid").unwrap());
        let schedule = WeeklySchedule::default();
        // Monday 2026-11-23 16:59:59 in Madrid is 15:59:59 UTC.
        let before_close = at("2026-11-23T16:59:59+01:00[Europe/Madrid]");
        assert!(hours.at(&schedule, before_close).open);
        let closed = hours.at(&schedule, before_close + Duration::from_secs(1));
        assert!(!closed.open);
        assert_eq!(
            closed.opens_at,
            Some(Opening {
                weekday: Weekday::Tuesday,
                at: TimeOfDay::from_hm(7, 0).unwrap()
            })
        );
        assert_eq!(hours.zone_name(), "Europe/Madrid");
    }

    #[test]
    fn a_day_starts_at_local_midnight() {
        let hours = ViewingHours::new(TimeZone::get("Europe/Madrid").unwrap());
        assert_eq!(
            hours.day_start(at("2026-11-23T00:30:00+01:00[Europe/Madrid]")),
            at("2026-11-23T00:00:00+01:00[Europe/Madrid]"),
            "23:30 UTC the day before"
        );
        assert_eq!(
            hours.day_start(at("2026-11-23T23:59:59+01:00[Europe/Madrid]")),
            at("2026-11-23T00:00:00+01:00[Europe/Madrid]")
        );
        assert_eq!(
            hours.start_of("2026-11-23".parse().unwrap()),
            Some(at("2026-11-23T00:00:00+01:00[Europe/Madrid]"))
        );
    }
}
