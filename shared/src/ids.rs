//! Validated identifiers and names: a value of these types is always well-formed.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::{MAX_NAME_CHARS, MAX_ROOM_ID_LEN};

/// Why an id or name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("a room id is 1 to {MAX_ROOM_ID_LEN} lowercase letters, digits or dashes")]
    InvalidRoomId,
    #[error("a name is 1 to {MAX_NAME_CHARS} characters, without control characters")]
    InvalidDisplayName,
    #[error("a camera key is 16 to 64 letters, digits, '-' or '_'")]
    InvalidCameraKey,
    #[error("a chat message id is 8 to 64 letters, digits, '-' or '_'")]
    InvalidChatId,
}

/// Declares a row number the database gives, as its own type so that it is never passed
/// where another number (another kind of id, a time) is meant. On the wire it is the bare
/// number.
#[macro_export]
macro_rules! database_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            pub const fn new(id: i64) -> Self {
                Self(id)
            }

            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

database_id! {
    /// An account's number, given by the database; never reused.
    UserId
}

database_id! {
    /// An invitation's number, given by the database.
    InviteId
}

database_id! {
    /// A child's number, given by the database.
    ChildId
}

database_id! {
    /// The number of one stay of a child (a check-in and its check-out), given by the
    /// database.
    StayId
}

/// A classroom's short id, as it appears in URLs: `[a-z0-9-]{1,32}`, not starting with '-'.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

impl RoomId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomId {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, IdError> {
        let well_formed = (1..=MAX_ROOM_ID_LEN).contains(&value.len())
            && !value.starts_with('-')
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if well_formed {
            Ok(Self(value))
        } else {
            Err(IdError::InvalidRoomId)
        }
    }
}

impl From<RoomId> for String {
    fn from(id: RoomId) -> Self {
        id.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's name as shown to the room: trimmed, 1 to 40 characters, with no control,
/// format (bidirectional overrides, zero-width marks), separator or private-use characters,
/// which could make a name read as another person's or flip the text around it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, IdError> {
        let trimmed = value.trim();
        let chars = trimmed.chars().count();
        if (1..=MAX_NAME_CHARS).contains(&chars) && trimmed.chars().all(shows_as_itself) {
            Ok(Self(trimmed.to_owned()))
        } else {
            Err(IdError::InvalidDisplayName)
        }
    }
}

/// Whether a character in a name shows as what it is. The zero-width joiners are format
/// characters that emoji (👩‍👧) and some scripts (Persian, Hindi) need; they flip nothing.
fn shows_as_itself(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(c, '\u{200C}' | '\u{200D}')
        || !matches!(
            c.general_category(),
            GeneralCategory::Control
                | GeneralCategory::Format
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
                | GeneralCategory::PrivateUse
                | GeneralCategory::Unassigned
        )
}

impl From<DisplayName> for String {
    fn from(name: DisplayName) -> Self {
        name.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A secret a camera page picks once and sends with every join, so that after a dropped
/// connection it can take its own place back while the server still holds the old one.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CameraKey(String);

impl CameraKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CameraKey {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, IdError> {
        if url_safe_token(&value, 16..=64) {
            Ok(Self(value))
        } else {
            Err(IdError::InvalidCameraKey)
        }
    }
}

impl From<CameraKey> for String {
    fn from(key: CameraKey) -> Self {
        key.0
    }
}

/// A chat message's id, chosen by the client that sends it: 8 to 64 URL-safe characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ChatId(String);

impl ChatId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ChatId {
    type Error = IdError;

    fn try_from(value: String) -> Result<Self, IdError> {
        if url_safe_token(&value, 8..=64) {
            Ok(Self(value))
        } else {
            Err(IdError::InvalidChatId)
        }
    }
}

impl From<ChatId> for String {
    fn from(id: ChatId) -> Self {
        id.0
    }
}

fn url_safe_token(value: &str, lengths: std::ops::RangeInclusive<usize>) -> bool {
    lengths.contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Never print the secret itself.
impl fmt::Debug for CameraKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CameraKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_accept_short_lowercase_slugs() {
        for ok in ["a", "sala-1", "pollitos", &"x".repeat(MAX_ROOM_ID_LEN)] {
            assert!(RoomId::try_from(ok.to_owned()).is_ok(), "{ok}");
        }
    }

    #[test]
    fn room_ids_reject_everything_else() {
        for bad in [
            "",
            "-a",
            "Sala",
            "sala 1",
            "sala/1",
            "ñ",
            &"x".repeat(MAX_ROOM_ID_LEN + 1),
        ] {
            assert_eq!(
                RoomId::try_from(bad.to_owned()),
                Err(IdError::InvalidRoomId),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        let name = DisplayName::try_from("  Mamá de Lucía ".to_owned()).unwrap();
        assert_eq!(name.as_str(), "Mamá de Lucía");
        assert!(DisplayName::try_from("ñ".repeat(MAX_NAME_CHARS)).is_ok());
        for bad in ["", "   ", "a\nb", "\u{7}", &"ñ".repeat(MAX_NAME_CHARS + 1)] {
            assert_eq!(
                DisplayName::try_from(bad.to_owned()),
                Err(IdError::InvalidDisplayName),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_cannot_hide_or_flip_text() {
        for fine in ["Zoë O'Brien", "محمد", "李小龙", "Mamá 👩‍👧"] {
            assert!(DisplayName::try_from(fine.to_owned()).is_ok(), "{fine}");
        }
        for bad in [
            "Mamá\u{202E}ofíc",     // right-to-left override
            "Ana\u{2066}x\u{2069}", // isolates
            "Ana\u{200B}",          // zero-width space
            "Ana\u{200F}",          // right-to-left mark
            "Ana\u{FEFF}",          // byte-order mark
            "Ana\u{2028}Beto",      // line separator
            "Ana\u{E000}",          // private use
        ] {
            assert_eq!(
                DisplayName::try_from(bad.to_owned()),
                Err(IdError::InvalidDisplayName),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn camera_keys_are_long_url_safe_tokens() {
        assert!(CameraKey::try_from("0123456789abcdef".to_owned()).is_ok());
        for bad in ["short", "0123456789abcde!", &"a".repeat(65)] {
            assert_eq!(
                CameraKey::try_from(bad.to_owned()),
                Err(IdError::InvalidCameraKey)
            );
        }
        let key = CameraKey::try_from("0123456789abcdef".to_owned()).unwrap();
        assert!(!format!("{key:?}").contains("0123"));
    }

    #[test]
    fn ids_validate_when_deserialized() {
        assert!(serde_json::from_str::<RoomId>("\"Bad Room\"").is_err());
        assert_eq!(
            serde_json::from_str::<RoomId>("\"sala-1\"")
                .unwrap()
                .as_str(),
            "sala-1"
        );
    }
}
