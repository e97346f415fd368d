//! A room's policy: what decides whether families see its camera (viewing hours, the
//! privacy pause, and, where the room ties viewing to attendance, which of its children are
//! checked in), stored in the database and versioned so that a stale copy never wins.

use std::sync::Arc;

use nido_shared::attendance::{Attendance, ChildToday, StayTimes};
use nido_shared::{ChildId, DisplayName, Timestamp, UserId, WeeklySchedule};

/// A room's hours, pause, options and children as of one change. Every change takes the
/// next number of one counter in the database, so of two copies the one with the higher
/// version is the newer, whichever reached the hub first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomPolicy {
    pub version: i64,
    pub schedule: WeeklySchedule,
    /// Staff paused the camera: no frame goes out until staff resume it.
    pub paused: bool,
    /// A family sees the picture only while one of its children is checked in here.
    pub attendance_required: bool,
    /// Each family viewer draws its own name and the time over the picture.
    pub watermark: bool,
    pub children: Arc<[ChildStay]>,
}

/// One child of the room: who may see them, and their latest stay (of any day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildStay {
    pub id: ChildId,
    pub name: DisplayName,
    pub families: Vec<UserId>,
    pub latest: Option<StayTimes>,
}

impl ChildStay {
    /// The child's day, for a day that began at `day_start`: a stay begun before then (a
    /// check-out forgotten yesterday) is not today's.
    pub fn today(&self, day_start: Timestamp) -> Attendance {
        match self.latest {
            Some(stay) if stay.checked_in_at >= day_start => Attendance {
                checked_in_at: Some(stay.checked_in_at),
                checked_out_at: stay.checked_out_at,
            },
            _ => Attendance::default(),
        }
    }
}

impl RoomPolicy {
    /// The newer of two copies.
    pub fn newer(self, other: Self) -> Self {
        if other.version > self.version {
            other
        } else {
            self
        }
    }

    /// Whether this family account may see the picture as far as attendance goes: always
    /// where the room does not tie viewing to it, else while one of its children is in.
    pub fn lets_family_watch(&self, family: UserId, day_start: Timestamp) -> bool {
        !self.attendance_required
            || self
                .children_of(family)
                .any(|child| child.today(day_start).is_in())
    }

    /// This family account's children here and their day, as the socket tells it.
    pub fn days_of(&self, family: UserId, day_start: Timestamp) -> Vec<ChildToday> {
        self.children_of(family)
            .map(|child| ChildToday::new(child.name.clone(), child.today(day_start)))
            .collect()
    }

    fn children_of(&self, family: UserId) -> impl Iterator<Item = &ChildStay> {
        self.children
            .iter()
            .filter(move |child| child.families.contains(&family))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY_START: Timestamp = Timestamp::from_micros(1_000_000_000);

    fn child(id: i64, families: &[i64], latest: Option<(i64, Option<i64>)>) -> ChildStay {
        ChildStay {
            id: ChildId::new(id),
            name: DisplayName::try_from(format!("Niño {id}")).unwrap(),
            families: families.iter().copied().map(UserId::new).collect(),
            latest: latest.map(|(checked_in, checked_out)| StayTimes {
                checked_in_at: Timestamp::from_micros(checked_in),
                checked_out_at: checked_out.map(Timestamp::from_micros),
            }),
        }
    }

    fn policy(attendance_required: bool, children: Vec<ChildStay>) -> RoomPolicy {
        RoomPolicy {
            version: 1,
            schedule: WeeklySchedule::default(),
            paused: false,
            attendance_required,
            watermark: false,
            children: children.into(),
        }
    }

    #[test]
    fn a_family_watches_while_one_of_its_children_is_in_today() {
        let today = DAY_START.as_micros() + 10;
        let room = policy(
            true,
            vec![
                child(1, &[7, 8], Some((today, None))),
                child(2, &[8, 9], Some((today, Some(today + 5)))),
                child(3, &[10], Some((DAY_START.as_micros() - 1, None))),
            ],
        );
        let watches = |user| room.lets_family_watch(UserId::new(user), DAY_START);
        assert!(watches(7) && watches(8), "child 1 is in: both its accounts");
        assert!(!watches(9), "child 2 went home");
        assert!(!watches(10), "child 3's check-in is yesterday's");
        assert!(!watches(11), "no child here");
        let days = room.days_of(UserId::new(8), DAY_START);
        assert_eq!(days.len(), 2);
        assert!(days[0].today().is_in() && !days[1].today().is_in());
        assert_eq!(
            room.days_of(UserId::new(10), DAY_START)[0].today(),
            Attendance::default(),
            "not arrived yet today"
        );
        assert!(
            policy(false, Vec::new()).lets_family_watch(UserId::new(11), DAY_START),
            "the option off: attendance does not count"
        );
    }
}
