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
#[serde(tag = "reason", rename_all = "snake_case")]
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
    /// The body or the query could not be read at all; `message` says where.
    #[error("the request is malformed")]
    MalformedRequest,
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
}
