//! How the WebSocket path refuses: the close codes Nido uses (RFC 6455 §7.4.1) and the
//! error a client is sent, with the close that follows it, if any.

use serde::{Deserialize, Serialize};

use crate::{ChatId, ErrorCode};

/// A WebSocket close code Nido sends, or a client may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "u16", try_from = "u16")]
pub enum CloseCode {
    /// The page left, or the client closed.
    Normal,
    /// The server is shutting down, or the connection was idle too long.
    GoingAway,
    /// The client broke the WebSocket framing rules.
    ProtocolError,
    /// A message whose content is invalid: bad JSON, a bad frame, invalid UTF-8.
    InvalidData,
    /// The client may not do what it did here (access, rate, role, too slow).
    PolicyViolation,
    /// A message larger than the server accepts.
    TooBig,
    /// The server failed; details are in its log.
    ServerError,
}

impl CloseCode {
    pub const fn as_u16(self) -> u16 {
        match self {
            Self::Normal => 1000,
            Self::GoingAway => 1001,
            Self::ProtocolError => 1002,
            Self::InvalidData => 1007,
            Self::PolicyViolation => 1008,
            Self::TooBig => 1009,
            Self::ServerError => 1011,
        }
    }

    /// The code a close frame or a browser's close event carried, if it is one of these.
    pub const fn from_u16(code: u16) -> Option<Self> {
        Some(match code {
            1000 => Self::Normal,
            1001 => Self::GoingAway,
            1002 => Self::ProtocolError,
            1007 => Self::InvalidData,
            1008 => Self::PolicyViolation,
            1009 => Self::TooBig,
            1011 => Self::ServerError,
            _ => return None,
        })
    }

    /// Whether connecting again would only be refused again: the client sent something the
    /// server will refuse every time, or may not be here at all. After any other close (a
    /// restart, a lost network, a server failure) a client reconnects.
    pub const fn refuses_for_good(self) -> bool {
        matches!(
            self,
            Self::ProtocolError | Self::InvalidData | Self::PolicyViolation | Self::TooBig
        )
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.as_u16()
    }
}

impl TryFrom<u16> for CloseCode {
    type Error = String;

    fn try_from(code: u16) -> Result<Self, Self::Error> {
        Self::from_u16(code).ok_or_else(|| format!("{code} is not a close code Nido uses"))
    }
}

impl ErrorCode {
    /// How the server closes after refusing with this code: `None` where the connection
    /// stays open. (A flood of video frames is the one refusal that closes where its code
    /// usually does not; see [`SocketError::closing`].)
    pub const fn close_code(self) -> Option<CloseCode> {
        match self {
            Self::UnknownMessageType
            | Self::AlreadyJoined
            | Self::ChatEmpty
            | Self::ChatTooLong
            | Self::RateLimited
            | Self::ChatMuted
            | Self::CannotMute
            | Self::NoSuchThread
            | Self::ServerError => None,
            Self::MalformedMessage | Self::InvalidFrame => Some(CloseCode::InvalidData),
            Self::MessageTooLarge => Some(CloseCode::TooBig),
            Self::ShuttingDown => Some(CloseCode::GoingAway),
            Self::NotJoined
            | Self::InvalidRoom
            | Self::RoomForbidden
            | Self::CameraBusy
            | Self::CameraReplaced
            | Self::NotCamera
            | Self::TooSlow
            | Self::NotStaff
            | Self::AccessRevoked
            | Self::SessionEnded
            | Self::TooManyConnections => Some(CloseCode::PolicyViolation),
        }
    }
}

/// Something the server refused on a WebSocket, as the client is told in an `error`
/// message. With `close`, the server closes with that code right after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct SocketError {
    pub code: ErrorCode,
    pub message: String,
    /// The chat message refused, if it was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub close: Option<CloseCode>,
}

impl SocketError {
    /// A refusal that closes as its code says ([`ErrorCode::close_code`]).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            chat_id: None,
            close: code.close_code(),
        }
    }

    /// The same refusal, about this chat message.
    #[must_use]
    pub fn about_chat(self, chat_id: &ChatId) -> Self {
        Self {
            chat_id: Some(chat_id.clone()),
            ..self
        }
    }

    /// The same refusal, closing with `close` even where its code usually stays open.
    #[must_use]
    pub fn closing(self, close: CloseCode) -> Self {
        Self {
            close: Some(close),
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_codes_round_trip_through_their_numbers() {
        for code in [
            CloseCode::Normal,
            CloseCode::GoingAway,
            CloseCode::ProtocolError,
            CloseCode::InvalidData,
            CloseCode::PolicyViolation,
            CloseCode::TooBig,
            CloseCode::ServerError,
        ] {
            assert_eq!(CloseCode::from_u16(code.as_u16()), Some(code));
        }
        assert_eq!(CloseCode::from_u16(1006), None);
    }

    #[test]
    fn only_what_would_be_refused_again_stops_a_client_reconnecting() {
        assert!(CloseCode::PolicyViolation.refuses_for_good());
        assert!(CloseCode::TooBig.refuses_for_good());
        assert!(!CloseCode::GoingAway.refuses_for_good());
        assert!(!CloseCode::ServerError.refuses_for_good());
    }

    #[test]
    fn an_error_tells_the_client_its_close_code_as_a_number() {
        let error = SocketError::new(ErrorCode::RoomForbidden, "not yours");
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["close"], 1008);
        assert_eq!(serde_json::from_value::<SocketError>(json).unwrap(), error);
        let open = serde_json::to_value(SocketError::new(ErrorCode::ChatEmpty, "empty")).unwrap();
        assert!(open.get("close").is_none());
    }

    #[test]
    fn a_frame_flood_closes_though_a_rate_limit_usually_does_not() {
        let chat = SocketError::new(ErrorCode::RateLimited, "slow down");
        assert_eq!(chat.close, None);
        let frames = chat.closing(CloseCode::PolicyViolation);
        assert_eq!(frames.close, Some(CloseCode::PolicyViolation));
    }
}
