//! People: their role in the daycare and the validated login name.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_PASSWORD_CHARS, MAX_USERNAME_LEN, MIN_PASSWORD_CHARS, MIN_USERNAME_LEN};

/// What a person may do. Rooms are classrooms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserRole {
    /// Manages rooms, people and invites, and reads the audit log; may do anything.
    Admin,
    /// Streams the camera and moderates the chat of the rooms assigned to them.
    Caregiver,
    /// Watches and chats in the rooms they were given.
    Family,
}

impl UserRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Caregiver => "caregiver",
            Self::Family => "family",
        }
    }

    /// Admins and caregivers: the staff, who are not bound by viewing hours.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Admin | Self::Caregiver)
    }
}

impl std::str::FromStr for UserRole {
    type Err = AccountError;

    fn from_str(value: &str) -> Result<Self, AccountError> {
        match value {
            "admin" => Ok(Self::Admin),
            "caregiver" => Ok(Self::Caregiver),
            "family" => Ok(Self::Family),
            _ => Err(AccountError::InvalidRole),
        }
    }
}

/// Why a login name, password or role was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    #[error(
        "a username is {MIN_USERNAME_LEN} to {MAX_USERNAME_LEN} letters, digits, '.', '_' or '-'"
    )]
    InvalidUsername,
    #[error("a password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters")]
    InvalidPassword,
    #[error("a role is admin, caregiver or family")]
    InvalidRole,
}

/// A login name: 3 to 32 ASCII letters, digits, '.', '_' or '-', stored in lowercase so
/// that "Ana" and "ana" are the same person.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Username(String);

impl Username {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Username {
    type Error = AccountError;

    fn try_from(value: String) -> Result<Self, AccountError> {
        let value = value.trim().to_ascii_lowercase();
        let well_formed = (MIN_USERNAME_LEN..=MAX_USERNAME_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if well_formed {
            Ok(Self(value))
        } else {
            Err(AccountError::InvalidUsername)
        }
    }
}

impl From<Username> for String {
    fn from(name: Username) -> Self {
        name.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password against the policy: 8 to 256 characters, nothing else imposed
/// (length is what makes a password strong; composition rules only make it predictable).
pub fn check_new_password(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(AccountError::InvalidPassword)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        let name = Username::try_from(" Ana.Perez ".to_owned()).unwrap();
        assert_eq!(name.as_str(), "ana.perez");
        for bad in [
            "ab",
            "ana perez",
            "añá",
            "a/b",
            &"a".repeat(MAX_USERNAME_LEN + 1),
        ] {
            assert_eq!(
                Username::try_from(bad.to_owned()),
                Err(AccountError::InvalidUsername),
                "{bad}"
            );
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(check_new_password("ñandú123").is_ok());
        assert!(check_new_password("1234567").is_err());
        assert!(check_new_password(&"x".repeat(MAX_PASSWORD_CHARS + 1)).is_err());
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [UserRole::Admin, UserRole::Caregiver, UserRole::Family] {
            assert_eq!(role.as_str().parse::<UserRole>(), Ok(role));
        }
        assert!("director".parse::<UserRole>().is_err());
    }
}
