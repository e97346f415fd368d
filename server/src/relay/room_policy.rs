//! A room's policy: what decides whether families see its camera (viewing hours, the
//! privacy pause, and, where the room ties viewing to attendance, which of its children are
//! checked in) and who besides its own family account reads each private thread, stored in
//! the database and versioned so that a stale copy never wins.

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
    /// Family accounts the staff added to another account's private thread.
    pub thread_guests: Arc<[ThreadGuest]>,
}

/// A family account added by the staff to the private thread of another (a relative, the
/// other parent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadGuest {
    /// The account the thread is with.
    pub thread: UserId,
    pub guest: UserId,
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

    /// Whether a family account reads this private thread: its own, or one the staff added
    /// it to.
    pub fn lets_family_read_thread(&self, family: UserId, thread: UserId) -> bool {
        family == thread
            || self.thread_guests.contains(&ThreadGuest {
                thread,
                guest: family,
            })
    }

    /// The family accounts that read the private thread with `thread`: that account first,
    /// then those the staff added to it.
    pub fn thread_family_readers(&self, thread: UserId) -> Vec<UserId> {
        let guests = self
            .thread_guests
            .iter()
            .filter(|guest| guest.thread == thread)
            .map(|guest| guest.guest);
        std::iter::once(thread).chain(guests).collect()
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
            thread_guests: Arc::new([ThreadGuest {
                thread: UserId::new(7),
                guest: UserId::new(9),
            }]),
        }
    }

    #[test]
    fn a_family_reads_its_own_thread_and_those_the_staff_added_it_to() {
        let room = policy(false, Vec::new());
        let reads =
            |family, thread| room.lets_family_read_thread(UserId::new(family), UserId::new(thread));
        assert!(reads(7, 7) && reads(9, 9), "their own");
        assert!(reads(9, 7), "added to 7's");
        assert!(!reads(7, 9), "not the other way round");
        assert!(!reads(8, 7), "nor anyone else");
        assert_eq!(
            room.thread_family_readers(UserId::new(7)),
            [UserId::new(7), UserId::new(9)]
        );
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
