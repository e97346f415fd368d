//! A room's weekly viewing hours: when family members may see its camera.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A day of the week, Monday first (the week as a daycare lives it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weekday {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl Weekday {
    pub const ALL: [Self; 7] = [
        Self::Monday,
        Self::Tuesday,
        Self::Wednesday,
        Self::Thursday,
        Self::Friday,
        Self::Saturday,
        Self::Sunday,
    ];

    /// 0 for Monday to 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn from_index(index: usize) -> Self {
        Self::ALL[index % 7]
    }
}

/// A time of day to the minute, from 00:00 to 24:00 (the end of the day). Written "HH:MM".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u16);

/// Minutes in a day: `TimeOfDay` 24:00.
const DAY_MINUTES: u16 = 24 * 60;

impl TimeOfDay {
    pub const MIDNIGHT: Self = Self(0);
    pub const END_OF_DAY: Self = Self(DAY_MINUTES);

    pub fn from_hm(hours: u16, minutes: u16) -> Option<Self> {
        let total = hours.checked_mul(60)?.checked_add(minutes)?;
        (minutes < 60 && total <= DAY_MINUTES).then_some(Self(total))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }
}

/// Why a time or opening hours were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("a time is written HH:MM, from 00:00 to 24:00")]
    InvalidTime,
    #[error("a day's hours must open before they close")]
    ClosesBeforeOpening,
}

impl TryFrom<String> for TimeOfDay {
    type Error = ScheduleError;

    fn try_from(value: String) -> Result<Self, ScheduleError> {
        let (hours, minutes) = value.split_once(':').ok_or(ScheduleError::InvalidTime)?;
        let two_digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(hours) || !two_digits(minutes) {
            return Err(ScheduleError::InvalidTime);
        }
        let parse = |part: &str| part.parse::<u16>().map_err(|_| ScheduleError::InvalidTime);
        Self::from_hm(parse(hours)?, parse(minutes)?).ok_or(ScheduleError::InvalidTime)
    }
}

impl From<TimeOfDay> for String {
    fn from(time: TimeOfDay) -> Self {
        time.to_string()
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// One day's opening hours: open from `open` (included) until `close` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UncheckedHours")]
pub struct OpenHours {
    open: TimeOfDay,
    close: TimeOfDay,
}

#[derive(Deserialize)]
struct UncheckedHours {
    open: TimeOfDay,
    close: TimeOfDay,
}

impl TryFrom<UncheckedHours> for OpenHours {
    type Error = ScheduleError;

    fn try_from(hours: UncheckedHours) -> Result<Self, ScheduleError> {
        Self::new(hours.open, hours.close)
    }
}

impl OpenHours {
    pub fn new(open: TimeOfDay, close: TimeOfDay) -> Result<Self, ScheduleError> {
        if open < close {
            Ok(Self { open, close })
        } else {
            Err(ScheduleError::ClosesBeforeOpening)
        }
    }

    pub fn open(self) -> TimeOfDay {
        self.open
    }

    pub fn close(self) -> TimeOfDay {
        self.close
    }

    fn contains(self, time: TimeOfDay) -> bool {
        self.open <= time && time < self.close
    }
}

/// When the camera next opens to families: a weekday and a time in the daycare's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub weekday: Weekday,
    pub at: TimeOfDay,
}

/// The weekly viewing hours of a room: at most one opening per day, Monday first; a day
/// without hours is closed all day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklySchedule {
    pub days: [Option<OpenHours>; 7],
}

impl Default for WeeklySchedule {
    /// Monday to Friday, 07:00 to 17:00.
    fn default() -> Self {
        let weekday = OpenHours {
            open: TimeOfDay(7 * 60),
            close: TimeOfDay(17 * 60),
        };
        let mut days = [None; 7];
        days[..5].fill(Some(weekday));
        Self { days }
    }
}

impl WeeklySchedule {
    /// Whether families may watch at this local time.
    pub fn is_open(&self, weekday: Weekday, time: TimeOfDay) -> bool {
        self.days[weekday.index()].is_some_and(|hours| hours.contains(time))
    }

    /// The next time the room opens after this local time, within a week; `None` when the
    /// schedule has no hours at all.
    pub fn next_opening(&self, weekday: Weekday, time: TimeOfDay) -> Option<Opening> {
        (0..=7).find_map(|ahead| {
            let day = Weekday::from_index(weekday.index() + ahead);
            let hours = self.days[day.index()]?;
            let later = ahead > 0 || time < hours.open;
            later.then_some(Opening {
                weekday: day,
                at: hours.open,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn time(text: &str) -> TimeOfDay {
        TimeOfDay::try_from(text.to_owned()).unwrap()
    }

    #[test]
    fn times_parse_and_print_as_hh_mm() {
        assert_eq!(time("07:05").minutes(), 425);
        assert_eq!(time("24:00"), TimeOfDay::END_OF_DAY);
        assert_eq!(time("07:05").to_string(), "07:05");
        for bad in ["7:05", "07:60", "24:01", "ab:cd", "0705", "-1:00"] {
            assert!(TimeOfDay::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }

    #[test]
    fn default_is_weekdays_seven_to_five() {
        let schedule = WeeklySchedule::default();
        assert!(!schedule.is_open(Weekday::Monday, time("06:59")));
        assert!(schedule.is_open(Weekday::Monday, time("07:00")));
        assert!(schedule.is_open(Weekday::Friday, time("16:59")));
        assert!(!schedule.is_open(Weekday::Friday, time("17:00")));
        assert!(!schedule.is_open(Weekday::Saturday, time("12:00")));
    }

    #[test]
    fn next_opening_skips_closed_days() {
        let schedule = WeeklySchedule::default();
        let opening = |weekday, at: &str| Opening {
            weekday,
            at: time(at),
        };
        assert_eq!(
            schedule.next_opening(Weekday::Monday, time("06:00")),
            Some(opening(Weekday::Monday, "07:00"))
        );
        assert_eq!(
            schedule.next_opening(Weekday::Friday, time("17:00")),
            Some(opening(Weekday::Monday, "07:00"))
        );
        assert_eq!(
            schedule.next_opening(Weekday::Saturday, time("09:00")),
            Some(opening(Weekday::Monday, "07:00"))
        );
        let closed = WeeklySchedule { days: [None; 7] };
        assert_eq!(closed.next_opening(Weekday::Monday, time("06:00")), None);
    }

    #[test]
    fn a_single_day_schedule_reopens_a_week_later() {
        let mut days = [None; 7];
        days[2] = Some(OpenHours::new(time("09:00"), time("10:00")).unwrap());
        let schedule = WeeklySchedule { days };
        assert_eq!(
            schedule.next_opening(Weekday::Wednesday, time("09:30")),
            Some(Opening {
                weekday: Weekday::Wednesday,
                at: time("09:00")
            })
        );
    }

    #[test]
    fn hours_must_open_before_closing() {
        let json = r#"{"open":"17:00","close":"07:00"}"#;
        assert!(serde_json::from_str::<OpenHours>(json).is_err());
        let json = r#"{"days":[{"open":"07:00","close":"17:00"},null,null,null,null,null,null]}"#;
        let schedule: WeeklySchedule = serde_json::from_str(json).unwrap();
        assert!(schedule.is_open(Weekday::Monday, time("12:00")));
        assert_eq!(serde_json::to_string(&schedule).unwrap(), json);
    }
}
