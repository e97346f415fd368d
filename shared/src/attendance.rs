//! Children and their attendance, as the API and the socket carry them: who each child is
//! (a name as the staff want it shown, a room, the family accounts linked to them), and
//! today's check-in and check-out.

use serde::{Deserialize, Serialize};

use crate::{ChildId, DisplayName, RoomId, StayId, Timestamp, UserId};

/// A child as the API shows them. `families` is filled for staff only: a family sees its
/// own children, never who else is linked to them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    pub id: ChildId,
    pub name: DisplayName,
    pub room: RoomId,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<UserId>,
    /// Today's last check-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<Timestamp>,
    /// Its check-out, once they left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_out_at: Option<Timestamp>,
}

impl Child {
    pub fn today(&self) -> Attendance {
        Attendance {
            checked_in_at: self.checked_in_at,
            checked_out_at: self.checked_out_at,
        }
    }
}

/// A child's day so far: the last check-in today, and its check-out once they left.
/// Both absent: not arrived yet today. (On the wire its two fields stand in the child's
/// own object: a struct of its own there would cost the parents' app another decoder.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attendance {
    pub checked_in_at: Option<Timestamp>,
    pub checked_out_at: Option<Timestamp>,
}

impl Attendance {
    /// Checked in today and not out since.
    pub fn is_in(&self) -> bool {
        self.checked_in_at.is_some() && self.checked_out_at.is_none()
    }
}

/// A new child (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewChild {
    pub name: DisplayName,
    pub room: RoomId,
    #[serde(default)]
    pub families: Vec<UserId>,
}

/// Changes to a child (admin); absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildChanges {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DisplayName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub room: Option<RoomId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families: Option<Vec<UserId>>,
}

/// What a caregiver's tap does (`POST /api/children/{id}/attendance`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceAction {
    CheckIn,
    CheckOut,
    /// Takes back today's last tap: a check-out is reopened, a check-in removed.
    Undo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttendanceMark {
    pub action: AttendanceAction,
}

/// One stay of a child: a check-in and, once they left, its check-out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    pub id: StayId,
    pub child: ChildId,
    pub checked_in_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_out_at: Option<Timestamp>,
}

/// An admin's correction of a stay (`PUT /api/stays/{id}`), or a stay added to a day
/// (`POST /api/children/{id}/stays`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StayTimes {
    pub checked_in_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_out_at: Option<Timestamp>,
}

/// One of a family's children and their day, as the socket tells that family in a room
/// that ties viewing to attendance ([`crate::ServerMessage::Attendance`]) and `/api/me`
/// on its home page. On the wire it is `[name, checked_in_at, checked_out_at]` (the times
/// or `null`): the parents' app decodes that with less code than an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "ChildTodayWire", into = "ChildTodayWire")]
pub struct ChildToday {
    pub name: DisplayName,
    pub checked_in_at: Option<Timestamp>,
    pub checked_out_at: Option<Timestamp>,
}

type ChildTodayWire = (DisplayName, Option<Timestamp>, Option<Timestamp>);

impl From<ChildTodayWire> for ChildToday {
    fn from((name, checked_in_at, checked_out_at): ChildTodayWire) -> Self {
        Self {
            name,
            checked_in_at,
            checked_out_at,
        }
    }
}

impl From<ChildToday> for ChildTodayWire {
    fn from(child: ChildToday) -> Self {
        (child.name, child.checked_in_at, child.checked_out_at)
    }
}

impl ChildToday {
    pub fn new(name: DisplayName, today: Attendance) -> Self {
        Self {
            name,
            checked_in_at: today.checked_in_at,
            checked_out_at: today.checked_out_at,
        }
    }

    pub fn today(&self) -> Attendance {
        Attendance {
            checked_in_at: self.checked_in_at,
            checked_out_at: self.checked_out_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_reads_back_and_leaves_out_what_is_not_there() {
        let child = Child {
            id: ChildId::new(3),
            name: DisplayName::try_from("Lucía M.".to_owned()).unwrap(),
            room: RoomId::try_from("sala-1".to_owned()).unwrap(),
            families: Vec::new(),
            checked_in_at: Some(Timestamp::from_micros(5)),
            checked_out_at: None,
        };
        let json = serde_json::to_value(&child).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"id": 3, "name": "Lucía M.", "room": "sala-1", "checked_in_at": 5})
        );
        assert_eq!(serde_json::from_value::<Child>(json).unwrap(), child);
        assert!(child.today().is_in());
        let gone = Attendance {
            checked_out_at: Some(Timestamp::from_micros(9)),
            ..child.today()
        };
        assert!(!gone.is_in() && !Attendance::default().is_in());
    }

    #[test]
    fn a_tap_is_named_in_snake_case() {
        let mark: AttendanceMark = serde_json::from_str(r#"{"action":"check_out"}"#).unwrap();
        assert_eq!(mark.action, AttendanceAction::CheckOut);
        assert!(serde_json::from_str::<AttendanceMark>(r#"{"action":"leave"}"#).is_err());
    }

    #[test]
    fn a_childs_day_is_a_compact_triple_on_the_wire() {
        let child = ChildToday {
            name: DisplayName::try_from("Lucía".to_owned()).unwrap(),
            checked_in_at: Some(Timestamp::from_micros(5)),
            checked_out_at: None,
        };
        let json = serde_json::to_value(&child).unwrap();
        assert_eq!(json, serde_json::json!(["Lucía", 5, null]));
        assert_eq!(serde_json::from_value::<ChildToday>(json).unwrap(), child);
    }
}
