//! `Problem`: exactly what was wrong with a request, with the numbers an app needs to say
//! it in the person's own language. The API's English `message` is for developers only.

use serde::{Deserialize, Serialize};

use crate::account::AccountError;
use crate::ids::IdError;
use crate::limits::{
    MAX_NAME_CHARS, MAX_PASSWORD_CHARS, MAX_ROOM_ID_LEN, MAX_USERNAME_LEN, MIN_PASSWORD_CHARS,
    MIN_USERNAME_LEN,
};

/// What the person has to change. JSON: `{"reason": "username_shape", "min": 3, "max": 32}`;
/// a reason never changes meaning, and new ones may be added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "snake_case", try_from = "ProblemFields")]
pub enum Problem {
    #[error("a username is {min} to {max} letters, digits, '.', '_' or '-'")]
    UsernameShape { min: usize, max: usize },
    #[error("a name is 1 to {max} characters, without control characters")]
    DisplayNameShape { max: usize },
    #[error("a password is {min} to {max} characters")]
    PasswordLength { min: usize, max: usize },
    #[error("a role is admin, caregiver or family")]
    UnknownRole,
    #[error("a room id is 1 to {max} lowercase letters, digits or dashes")]
    RoomIdShape { max: usize },
    #[error("a room name is 1 to {max} characters")]
    RoomNameLength { max: usize },
    #[error("an invite lasts 1 to {max_hours} hours")]
    InviteExpiry { max_hours: u32 },
    #[error("an invite is for 1 to {max} people")]
    InviteUses { max: u32 },
    #[error("choose the family's rooms")]
    FamilyNeedsRooms,
    #[error("no such room")]
    NoSuchRoom,
    #[error("families may invite at most {max} people each")]
    InviteLimitTooHigh { max: u32 },
    #[error("the current password is not right")]
    WrongCurrentPassword,
    #[error("this username is taken")]
    UsernameTaken,
    #[error("a room with this id exists")]
    RoomIdTaken,
    #[error("Nido needs at least one admin")]
    LastAdmin,
    #[error("the code is not right or was already used")]
    WrongCode,
    #[error("set up two-step sign-in for your own account first")]
    OwnSecondFactorFirst,
    #[error("two-step sign-in is required for staff and cannot be turned off")]
    SecondFactorRequired,
    #[error("a child's people are family accounts")]
    NotAFamily,
    #[error("the child is checked in already")]
    AlreadyCheckedIn,
    #[error("the child is not checked in")]
    NotCheckedIn,
    #[error("there is nothing of today to undo")]
    NothingToUndo,
    #[error("a check-out comes after its check-in, and neither is in the future")]
    StayTimes,
    /// The body or the query could not be read at all; `message` says where.
    #[error("the request is malformed")]
    MalformedRequest,
}

/// A problem's wire form read flat: its reason and whichever numbers it has. Deserializing
/// the internally tagged enum itself buffers the whole object first (serde's `Content`),
/// which took 18 KB of the parents' app; this takes a fraction of it.
#[derive(Deserialize)]
struct ProblemFields {
    reason: Reason,
    #[serde(default)]
    min: u64,
    #[serde(default)]
    max: u64,
    #[serde(default)]
    max_hours: u64,
}

/// [`Problem`]'s variants without their numbers, named as on the wire.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Reason {
    UsernameShape,
    DisplayNameShape,
    PasswordLength,
    UnknownRole,
    RoomIdShape,
    RoomNameLength,
    InviteExpiry,
    InviteUses,
    FamilyNeedsRooms,
    NoSuchRoom,
    InviteLimitTooHigh,
    WrongCurrentPassword,
    UsernameTaken,
    RoomIdTaken,
    LastAdmin,
    WrongCode,
    OwnSecondFactorFirst,
    SecondFactorRequired,
    NotAFamily,
    AlreadyCheckedIn,
    NotCheckedIn,
    NothingToUndo,
    StayTimes,
    MalformedRequest,
}

impl TryFrom<ProblemFields> for Problem {
    type Error = std::num::TryFromIntError;

    fn try_from(fields: ProblemFields) -> Result<Self, Self::Error> {
        let (min, max) = (usize::try_from(fields.min)?, usize::try_from(fields.max)?);
        let max_u32 = u32::try_from(fields.max)?;
        Ok(match fields.reason {
            Reason::UsernameShape => Self::UsernameShape { min, max },
            Reason::DisplayNameShape => Self::DisplayNameShape { max },
            Reason::PasswordLength => Self::PasswordLength { min, max },
            Reason::UnknownRole => Self::UnknownRole,
            Reason::RoomIdShape => Self::RoomIdShape { max },
            Reason::RoomNameLength => Self::RoomNameLength { max },
            Reason::InviteExpiry => Self::InviteExpiry {
                max_hours: u32::try_from(fields.max_hours)?,
            },
            Reason::InviteUses => Self::InviteUses { max: max_u32 },
            Reason::FamilyNeedsRooms => Self::FamilyNeedsRooms,
            Reason::NoSuchRoom => Self::NoSuchRoom,
            Reason::InviteLimitTooHigh => Self::InviteLimitTooHigh { max: max_u32 },
            Reason::WrongCurrentPassword => Self::WrongCurrentPassword,
            Reason::UsernameTaken => Self::UsernameTaken,
            Reason::RoomIdTaken => Self::RoomIdTaken,
            Reason::LastAdmin => Self::LastAdmin,
            Reason::WrongCode => Self::WrongCode,
            Reason::OwnSecondFactorFirst => Self::OwnSecondFactorFirst,
            Reason::SecondFactorRequired => Self::SecondFactorRequired,
            Reason::NotAFamily => Self::NotAFamily,
            Reason::AlreadyCheckedIn => Self::AlreadyCheckedIn,
            Reason::NotCheckedIn => Self::NotCheckedIn,
            Reason::NothingToUndo => Self::NothingToUndo,
            Reason::StayTimes => Self::StayTimes,
            Reason::MalformedRequest => Self::MalformedRequest,
        })
    }
}

impl From<AccountError> for Problem {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::InvalidUsername => Self::UsernameShape {
                min: MIN_USERNAME_LEN,
                max: MAX_USERNAME_LEN,
            },
            AccountError::InvalidPassword => Self::PasswordLength {
                min: MIN_PASSWORD_CHARS,
                max: MAX_PASSWORD_CHARS,
            },
            AccountError::InvalidRole => Self::UnknownRole,
        }
    }
}

impl From<IdError> for Problem {
    fn from(error: IdError) -> Self {
        match error {
            IdError::InvalidRoomId => Self::RoomIdShape {
                max: MAX_ROOM_ID_LEN,
            },
            IdError::InvalidDisplayName => Self::DisplayNameShape {
                max: MAX_NAME_CHARS,
            },
            IdError::InvalidCameraKey | IdError::InvalidChatId => Self::MalformedRequest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_is_its_reason_and_numbers() {
        let problem = Problem::from(AccountError::InvalidUsername);
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"reason": "username_shape", "min": 3, "max": 32})
        );
        assert_eq!(serde_json::from_value::<Problem>(json).unwrap(), problem);
        let json = serde_json::to_value(Problem::LastAdmin).unwrap();
        assert_eq!(json, serde_json::json!({"reason": "last_admin"}));
    }

    #[test]
    fn every_problem_reads_back_as_it_was_written() {
        let every = [
            Problem::UsernameShape { min: 3, max: 32 },
            Problem::DisplayNameShape { max: 60 },
            Problem::PasswordLength { min: 10, max: 128 },
            Problem::UnknownRole,
            Problem::RoomIdShape { max: 32 },
            Problem::RoomNameLength { max: 60 },
            Problem::InviteExpiry { max_hours: 720 },
            Problem::InviteUses { max: 50 },
            Problem::FamilyNeedsRooms,
            Problem::NoSuchRoom,
            Problem::InviteLimitTooHigh { max: 10 },
            Problem::WrongCurrentPassword,
            Problem::UsernameTaken,
            Problem::RoomIdTaken,
            Problem::LastAdmin,
            Problem::WrongCode,
            Problem::OwnSecondFactorFirst,
            Problem::SecondFactorRequired,
            Problem::NotAFamily,
            Problem::AlreadyCheckedIn,
            Problem::NotCheckedIn,
            Problem::NothingToUndo,
            Problem::StayTimes,
            Problem::MalformedRequest,
        ];
        for problem in every {
            // Exhaustive: a new variant does not compile until it is in `every` too.
            match problem {
                Problem::UsernameShape { .. }
                | Problem::DisplayNameShape { .. }
                | Problem::PasswordLength { .. }
                | Problem::UnknownRole
                | Problem::RoomIdShape { .. }
                | Problem::RoomNameLength { .. }
                | Problem::InviteExpiry { .. }
                | Problem::InviteUses { .. }
                | Problem::FamilyNeedsRooms
                | Problem::NoSuchRoom
                | Problem::InviteLimitTooHigh { .. }
                | Problem::WrongCurrentPassword
                | Problem::UsernameTaken
                | Problem::RoomIdTaken
                | Problem::LastAdmin
                | Problem::WrongCode
                | Problem::OwnSecondFactorFirst
                | Problem::SecondFactorRequired
                | Problem::NotAFamily
                | Problem::AlreadyCheckedIn
                | Problem::NotCheckedIn
                | Problem::NothingToUndo
                | Problem::StayTimes
                | Problem::MalformedRequest => {}
            }
            let json = serde_json::to_string(&problem).unwrap();
            assert_eq!(
                serde_json::from_str::<Problem>(&json).unwrap(),
                problem,
                "{json}"
            );
        }
        assert!(serde_json::from_str::<Problem>(r#"{"reason":"no_idea"}"#).is_err());
    }
}
