//! Stable error codes the server sends in `error` messages; clients switch on these.

use serde::{Deserialize, Serialize};

/// Why the server refused something. The JSON form (`snake_case`) never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Text that is not valid JSON or does not fit the message's shape. Closes with 1007.
    MalformedMessage,
    /// A JSON message whose `type` this server does not know. The connection stays open.
    UnknownMessageType,
    /// A message other than `join` before joining a room. Closes with 1008.
    NotJoined,
    /// A second `join` on one connection. The connection stays open.
    AlreadyJoined,
    /// A room id that is not a short lowercase slug. Closes with 1008.
    InvalidRoom,
    /// The room does not exist or this account may not join it in that role. Closes with 1008.
    RoomForbidden,
    /// Another camera is already streaming to this room. Closes with 1008.
    CameraBusy,
    /// This camera was replaced by the same camera reconnecting. Closes with 1008.
    CameraReplaced,
    /// Video frames or camera controls from a connection that is not the room's camera.
    /// Closes with 1008.
    NotCamera,
    /// A binary message whose header or JPEG is malformed or truncated. Closes with 1007.
    InvalidFrame,
    /// A message larger than the server accepts. Closes with 1009.
    MessageTooLarge,
    /// A chat message that is empty after trimming. The connection stays open.
    ChatEmpty,
    /// A chat message over the length limit. The connection stays open.
    ChatTooLong,
    /// Too many messages too fast; the message was dropped. Frame floods close with 1008.
    RateLimited,
    /// The connection could not keep up with the room's chat and state. Closes with 1008.
    TooSlow,
    /// Pausing the camera, deleting messages and muting are for the room's staff.
    /// Closes with 1008.
    NotStaff,
    /// The sender is muted in this room for now; the message was not sent. Stays open.
    ChatMuted,
    /// Only family members of the room can be muted. Stays open.
    CannotMute,
    /// A private thread this account does not read (not its own, nor one the staff added it
    /// to; for staff, not a family account of the room). Stays open.
    NoSuchThread,
    /// The account was revoked, removed from the room, or the room deleted. Closes with 1008.
    AccessRevoked,
    /// The session ended: logout, expiry or a password change elsewhere. Closes with 1008;
    /// log in again.
    SessionEnded,
    /// The server failed to do what was asked; details are in its log. The connection stays
    /// open, except when a join could not be checked: that closes with 1011.
    ServerError,
    /// The server is shutting down. Closes with 1001.
    ShuttingDown,
    /// This account already has as many connections open as it may. Closes with 1008; close
    /// another tab or device first.
    TooManyConnections,
}

impl ErrorCode {
    /// The code as it appears on the wire, for logs and close reasons.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MalformedMessage => "malformed_message",
            Self::UnknownMessageType => "unknown_message_type",
            Self::NotJoined => "not_joined",
            Self::AlreadyJoined => "already_joined",
            Self::InvalidRoom => "invalid_room",
            Self::RoomForbidden => "room_forbidden",
            Self::CameraBusy => "camera_busy",
            Self::CameraReplaced => "camera_replaced",
            Self::NotCamera => "not_camera",
            Self::InvalidFrame => "invalid_frame",
            Self::MessageTooLarge => "message_too_large",
            Self::ChatEmpty => "chat_empty",
            Self::ChatTooLong => "chat_too_long",
            Self::RateLimited => "rate_limited",
            Self::TooSlow => "too_slow",
            Self::NotStaff => "not_staff",
            Self::ChatMuted => "chat_muted",
            Self::CannotMute => "cannot_mute",
            Self::NoSuchThread => "no_such_thread",
            Self::AccessRevoked => "access_revoked",
            Self::SessionEnded => "session_ended",
            Self::ServerError => "server_error",
            Self::ShuttingDown => "shutting_down",
            Self::TooManyConnections => "too_many_connections",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_as_str() {
        let all = [
            ErrorCode::MalformedMessage,
            ErrorCode::UnknownMessageType,
            ErrorCode::NotJoined,
            ErrorCode::AlreadyJoined,
            ErrorCode::InvalidRoom,
            ErrorCode::RoomForbidden,
            ErrorCode::CameraBusy,
            ErrorCode::CameraReplaced,
            ErrorCode::NotCamera,
            ErrorCode::InvalidFrame,
            ErrorCode::MessageTooLarge,
            ErrorCode::ChatEmpty,
            ErrorCode::ChatTooLong,
            ErrorCode::RateLimited,
            ErrorCode::TooSlow,
            ErrorCode::NotStaff,
            ErrorCode::ChatMuted,
            ErrorCode::CannotMute,
            ErrorCode::NoSuchThread,
            ErrorCode::AccessRevoked,
            ErrorCode::SessionEnded,
            ErrorCode::ServerError,
            ErrorCode::ShuttingDown,
            ErrorCode::TooManyConnections,
        ];
        for code in all {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).unwrap(), code);
        }
    }
}
