//! The JSON text messages: what clients send ([`ClientMessage`]) and what the server sends
//! ([`ServerMessage`]). Each is an object whose `type` field names the variant.

use serde::{Deserialize, Serialize};

use crate::{DisplayName, ErrorCode, Opening, RoomId};

/// Whether a connection sends the room's video or watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Camera,
    Viewer,
}

/// What viewers of a room can see right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CameraStatus {
    /// A camera is connected and sending frames.
    Live,
    /// The caregiver paused the camera: no frames are relayed until it resumes.
    Paused,
    /// No camera is connected.
    Off,
    /// Outside the room's viewing hours: families receive nothing until it opens.
    /// Only family members are ever told this; staff see the camera as it is.
    Closed,
}

/// A message from a browser (or any client) to the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// The first message on every connection. `room` is a plain string here so that the
    /// server can answer a malformed one with its own precise error code. The name shown to
    /// the room is the account's display name.
    Join {
        room: String,
        role: Role,
        /// Camera only: a secret the camera page keeps, so that it can take its own place
        /// back after a dropped connection.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        camera_key: Option<String>,
    },
    /// A chat line for everyone in the room.
    Chat { text: String },
    /// Staff only: pause the room's camera (nothing is relayed, viewers see "paused") or
    /// resume it.
    SetPaused { paused: bool },
    /// Asks for the server's clock; the answer echoes `client_time_us`.
    TimeSync { client_time_us: u64 },
    /// Any `type` this version does not know; the server answers `unknown_message_type`.
    #[serde(other)]
    Unknown,
}

/// The limits the server enforces on this connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub max_frame_bytes: usize,
    pub max_chat_chars: usize,
}

/// Who is in a room and whether its camera is live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Presence {
    pub camera: CameraStatus,
    /// The name the camera joined with, while one is connected.
    pub camera_name: Option<DisplayName>,
    /// While `camera` is `closed`: when the room opens again (in the daycare's time zone).
    #[serde(default)]
    pub opens_at: Option<Opening>,
    pub viewer_count: usize,
    /// Names of everyone watching, in the order they joined; sent to staff only, families
    /// get an empty list.
    pub viewers: Vec<DisplayName>,
}

/// One chat message as everyone in the room sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    /// Assigned by the server; increases within a server run.
    pub id: u64,
    /// When the server received it, in microseconds since the UNIX epoch.
    pub sent_at_us: u64,
    pub from: DisplayName,
    pub role: Role,
    /// Plain text: clients must show it as text, never interpret markup.
    pub text: String,
}

/// A message from the server to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The join was accepted.
    Welcome {
        room: RoomId,
        role: Role,
        name: DisplayName,
        server_time_us: u64,
        limits: Limits,
    },
    /// Sent on joining and whenever the camera state or the viewers change.
    Presence(Presence),
    Chat(ChatLine),
    /// Something the client sent was refused; see [`ErrorCode`] for which ones also close.
    Error {
        code: ErrorCode,
        message: String,
    },
    /// The answer to [`ClientMessage::TimeSync`].
    TimeSync {
        client_time_us: u64,
        server_time_us: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: &T) -> T
    where
        T: Serialize + for<'de> Deserialize<'de>,
    {
        serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
    }

    #[test]
    fn client_messages_round_trip() {
        let messages = [
            ClientMessage::Join {
                room: "sala-1".into(),
                role: Role::Camera,
                camera_key: Some("k".repeat(20)),
            },
            ClientMessage::Join {
                room: "sala-1".into(),
                role: Role::Viewer,
                camera_key: None,
            },
            ClientMessage::Chat {
                text: "<b>hola</b>".into(),
            },
            ClientMessage::SetPaused { paused: true },
            ClientMessage::TimeSync { client_time_us: 42 },
        ];
        for message in messages {
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn client_wire_form_is_stable() {
        let json = r#"{"type":"join","room":"sala-1","role":"viewer"}"#;
        assert_eq!(
            serde_json::from_str::<ClientMessage>(json).unwrap(),
            ClientMessage::Join {
                room: "sala-1".into(),
                role: Role::Viewer,
                camera_key: None
            }
        );
    }

    #[test]
    fn unknown_types_are_recognised_as_such() {
        let json = r#"{"type":"launch_rocket","speed":3}"#;
        assert_eq!(
            serde_json::from_str::<ClientMessage>(json).unwrap(),
            ClientMessage::Unknown
        );
    }

    #[test]
    fn malformed_client_messages_are_rejected() {
        for bad in [
            "",
            "not json",
            "[]",
            r#"{"room":"a"}"#,
            r#"{"type":"chat"}"#,
            r#"{"type":"chat","text":5}"#,
            r#"{"type":"join","room":"a","role":"director"}"#,
            r#"{"type":"set_paused","paused":"yes"}"#,
        ] {
            assert!(serde_json::from_str::<ClientMessage>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn server_messages_round_trip() {
        let name = DisplayName::try_from("Ana".to_owned()).unwrap();
        let messages = [
            ServerMessage::Welcome {
                room: RoomId::try_from("sala-1".to_owned()).unwrap(),
                role: Role::Viewer,
                name: name.clone(),
                server_time_us: 7,
                limits: Limits {
                    max_frame_bytes: 10,
                    max_chat_chars: 20,
                },
            },
            ServerMessage::Presence(Presence {
                camera: CameraStatus::Paused,
                camera_name: Some(name.clone()),
                opens_at: None,
                viewer_count: 1,
                viewers: vec![name.clone()],
            }),
            ServerMessage::Chat(ChatLine {
                id: 3,
                sent_at_us: 4,
                from: name,
                role: Role::Camera,
                text: "hola".into(),
            }),
            ServerMessage::Error {
                code: ErrorCode::ChatTooLong,
                message: "too long".into(),
            },
            ServerMessage::TimeSync {
                client_time_us: 1,
                server_time_us: 2,
            },
        ];
        for message in messages {
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn presence_wire_form_is_flat() {
        let json = serde_json::to_value(ServerMessage::Presence(Presence {
            camera: CameraStatus::Off,
            camera_name: None,
            opens_at: None,
            viewer_count: 0,
            viewers: vec![],
        }))
        .unwrap();
        assert_eq!(json["type"], "presence");
        assert_eq!(json["camera"], "off");
    }
}
