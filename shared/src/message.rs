//! The JSON text messages: what clients send ([`ClientMessage`]) and what the server sends
//! ([`ServerMessage`]). Each is an object whose `type` field names the variant.

use serde::{Deserialize, Serialize};

use crate::attendance::ChildToday;
use crate::{ChatId, DisplayName, Opening, RoomId, SocketError, Timestamp, UserId, VideoCodec};

/// Whether a connection sends the room's video or watches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Camera,
    Viewer,
}

impl Role {
    /// The role as the wire and the database write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Camera => "camera",
            Self::Viewer => "viewer",
        }
    }

    /// The inverse of [`Role::as_str`].
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::Camera, Self::Viewer]
            .into_iter()
            .find(|role| role.as_str() == name)
    }
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
        /// On a reconnect: the last chat sequence number this client has. The server sends
        /// every message after it before anything live. Without it, the latest messages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<u64>,
        /// Viewer only: join for the chat and presence, without video, not counted among
        /// the viewers and not in the viewing log (the camera page before it streams).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        chat_only: bool,
        /// Viewer only: the codecs whose chunks it decodes, beside JPEG, which every viewer
        /// reads. Without any, it is sent JPEG frames (version 1) only.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        decodes: Vec<VideoCodec>,
        /// Camera only: the codec it sends chunks in; it then sends JPEG as well only while
        /// the server asks for it (`video_demand`). Without it, it sends JPEG only.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encodes: Option<VideoCodec>,
    },
    /// A chat line for everyone in the room, or with `thread`, for that private thread. `id`
    /// is the client's own id for it: sending the same id again never makes a second message.
    Chat {
        id: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// Asks for the page of messages before `before_seq` (scrolling up) of the room's chat,
    /// or of a private thread.
    OlderChat {
        before_seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// Staff: removes a message for everyone who reads its chat or thread.
    DeleteChat {
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// Opens a private thread this person may read: its latest page comes back as a
    /// `chat_backlog` of that thread, or on a reconnect, every message after `after_seq`.
    OpenThread {
        thread: UserId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after_seq: Option<u64>,
    },
    /// The reader has seen a private thread up to message `seq`.
    ReadThread { thread: UserId, seq: u64 },
    /// Staff: keeps a family member from chatting in this room for `minutes`.
    Mute { user_id: UserId, minutes: u32 },
    /// Staff: lets a muted family member chat again now.
    Unmute { user_id: UserId },
    /// Staff only: pause the room's camera (nothing is relayed, viewers see "paused") or
    /// resume it.
    SetPaused { paused: bool },
    /// Asks for the server's clock; the answer echoes `client_time_us`.
    TimeSync { client_time_us: Timestamp },
    /// Viewer: with `on`, only the base layer of a layered stream is sent (fewer frames a
    /// second, fewer bytes); without, every layer the connection keeps up with.
    SetDataSaver { on: bool },
    /// Camera that joined with `encodes`: its encoder failed for good, and from now on it
    /// sends JPEG only; every viewer is then sent JPEG.
    JpegOnly {},
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
    /// Outside viewing hours: when the room opens again (in the daycare's time zone).
    #[serde(default)]
    pub opens_at: Option<Opening>,
    /// Staff only: whether families may watch now. Outside viewing hours staff see the
    /// camera as it is (`live`) while families see `closed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub families_watching_allowed: Option<bool>,
    /// The room shows a family its picture only while one of their children is checked
    /// in there ([`ServerMessage::Attendance`] tells each family about theirs).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attendance_required: bool,
    /// Each family viewer draws its own name and the time over the picture.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub watermark: bool,
    pub viewer_count: usize,
    /// Names of everyone watching, in the order they joined; sent to staff only, families
    /// get an empty list.
    pub viewers: Vec<DisplayName>,
}

/// One chat message as everyone who reads its chat sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatLine {
    /// The private thread it belongs to (named by the family account the thread is with);
    /// left out for the room's chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread: Option<UserId>,
    /// Its number in the room's chat or in its thread: 1, 2, 3… with no gaps, stored before
    /// anyone is told about the message.
    pub seq: u64,
    /// The sending client's id for it (its acknowledgement to the sender).
    pub id: ChatId,
    /// The sender's account, for moderation.
    pub user_id: UserId,
    /// When the server received it, in microseconds since the UNIX epoch.
    pub sent_at_us: Timestamp,
    pub from: DisplayName,
    pub role: Role,
    /// The sender is the room's staff (an admin or caregiver), from whichever page.
    #[serde(default)]
    pub staff: bool,
    /// Plain text: clients must show it as text, never interpret markup.
    pub text: String,
}

/// A message from the server to a client: one JSON object whose only key is the message's
/// kind (`{"chat": {…}}`). Externally tagged, unlike [`ClientMessage`], because the browser
/// reads these: an internally tagged enum is deserialized through serde's buffered
/// `Content`, which made the families' app 7.8 KB larger (brotli, docs/performance.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerMessage {
    /// The join was accepted.
    Welcome {
        room: RoomId,
        role: Role,
        name: DisplayName,
        server_time_us: Timestamp,
        limits: Limits,
    },
    /// Sent on joining and whenever the camera state or the viewers change.
    Presence(Presence),
    /// A new message, to everyone in the room; to its sender it is also the acknowledgement.
    Chat(ChatLine),
    /// Right after `welcome` (or `open_thread`, with its `thread`): the chat so far. With
    /// `replace`, the latest messages (the client shows exactly these); without it, every
    /// message after the join's `after_seq` (the client adds them). `deleted`: recent
    /// messages removed since, to hide.
    ChatBacklog {
        lines: Vec<ChatLine>,
        has_older: bool,
        replace: bool,
        deleted: Vec<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// The answer to `older_chat`: the page before it, oldest first.
    OlderChat {
        lines: Vec<ChatLine>,
        has_older: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// A message was removed by the room's staff.
    ChatDeleted {
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thread: Option<UserId>,
    },
    /// The private threads of the room this member reads, as they stand for them: every one
    /// on joining (`replace`), then each one again whenever it changes.
    Threads {
        threads: Vec<ThreadState>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        replace: bool,
    },
    /// Something the client sent was refused; with `close`, the server closes right after.
    Error(SocketError),
    /// The answer to [`ClientMessage::TimeSync`].
    TimeSync {
        client_time_us: Timestamp,
        server_time_us: Timestamp,
    },
    /// To a family member, on joining while muted and whenever staff mute or unmute them:
    /// until when they cannot chat here (`None`: they can).
    MuteState {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until_us: Option<Timestamp>,
    },
    /// To the room's staff, on joining and after every mute or unmute: who is muted here.
    Mutes { muted: Vec<MutedMember> },
    /// To a camera that encodes chunks, on joining and whenever it changes: whether a viewer
    /// that reads only JPEG is watching, so that it must send JPEG frames as well.
    VideoDemand { jpeg: bool },
    /// To a family member in a room that ties viewing to attendance: their children there
    /// and their day, on joining and at every change. The picture comes only while one of
    /// them is checked in.
    Attendance(Vec<ChildToday>),
    /// To a camera that encodes chunks: a viewer lost the chain and waits for a keyframe;
    /// send one soon. At most one a second.
    KeyframeRequest {},
}

/// A private thread between a family account and the room's staff, as one reader sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadState {
    /// The family account the thread is with; its id names the thread.
    pub thread: UserId,
    /// That account's display name.
    pub family: DisplayName,
    /// The number of its newest message (0 while it has none).
    pub last_seq: u64,
    /// When its newest message was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at_us: Option<Timestamp>,
    /// Messages from the other side this reader has not read yet.
    pub unread: u64,
    /// How far the room's staff have read it: the family's messages up to this number are
    /// "seen by the room".
    pub seen_seq: u64,
}

/// A family member muted in a room, as its staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MutedMember {
    pub user_id: UserId,
    pub name: DisplayName,
    pub until_us: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

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
                after_seq: None,
                chat_only: false,
                decodes: Vec::new(),
                encodes: Some(VideoCodec::Vp8),
            },
            ClientMessage::Join {
                room: "sala-1".into(),
                role: Role::Viewer,
                camera_key: None,
                after_seq: Some(41),
                chat_only: false,
                decodes: vec![VideoCodec::Vp8],
                encodes: None,
            },
            ClientMessage::Chat {
                id: "msg-0001".into(),
                text: "<b>hola</b>".into(),
                thread: None,
            },
            ClientMessage::Chat {
                id: "msg-0002".into(),
                text: "¿Ha comido bien?".into(),
                thread: Some(UserId::new(12)),
            },
            ClientMessage::OlderChat {
                before_seq: 7,
                thread: None,
            },
            ClientMessage::DeleteChat {
                seq: 3,
                thread: Some(UserId::new(12)),
            },
            ClientMessage::OpenThread {
                thread: UserId::new(12),
                after_seq: Some(4),
            },
            ClientMessage::ReadThread {
                thread: UserId::new(12),
                seq: 5,
            },
            ClientMessage::Mute {
                user_id: UserId::new(4),
                minutes: 30,
            },
            ClientMessage::Unmute {
                user_id: UserId::new(4),
            },
            ClientMessage::SetPaused { paused: true },
            ClientMessage::TimeSync {
                client_time_us: Timestamp::from_micros(42),
            },
            ClientMessage::SetDataSaver { on: true },
            ClientMessage::JpegOnly {},
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
                camera_key: None,
                after_seq: None,
                chat_only: false,
                decodes: Vec::new(),
                encodes: None,
            }
        );
        let json = r#"{"type":"join","room":"sala-1","role":"viewer","decodes":["vp8"]}"#;
        assert!(matches!(
            serde_json::from_str::<ClientMessage>(json).unwrap(),
            ClientMessage::Join { decodes, .. } if decodes == [VideoCodec::Vp8]
        ));
    }

    #[test]
    fn the_room_chat_leaves_the_thread_out_of_the_wire() {
        let json = r#"{"type":"chat","id":"msg-0001","text":"hola"}"#;
        assert!(matches!(
            serde_json::from_str::<ClientMessage>(json).unwrap(),
            ClientMessage::Chat { thread: None, .. }
        ));
        let deleted = ServerMessage::ChatDeleted {
            seq: 3,
            thread: None,
        };
        assert_eq!(
            serde_json::to_string(&deleted).unwrap(),
            r#"{"chat_deleted":{"seq":3}}"#
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
            r#"{"type":"join","room":"a","role":"viewer","decodes":["h265"]}"#,
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
                server_time_us: Timestamp::from_micros(7),
                limits: Limits {
                    max_frame_bytes: 10,
                    max_chat_chars: 20,
                },
            },
            ServerMessage::Presence(Presence {
                camera: CameraStatus::Paused,
                camera_name: Some(name.clone()),
                opens_at: None,
                families_watching_allowed: Some(true),
                attendance_required: true,
                watermark: true,
                viewer_count: 1,
                viewers: vec![name.clone()],
            }),
            ServerMessage::Chat(ChatLine {
                thread: Some(UserId::new(12)),
                seq: 3,
                id: ChatId::try_from("msg-0001".to_owned()).unwrap(),
                user_id: UserId::new(9),
                sent_at_us: Timestamp::from_micros(4),
                from: name,
                role: Role::Camera,
                staff: true,
                text: "hola".into(),
            }),
            ServerMessage::ChatDeleted {
                seq: 3,
                thread: None,
            },
            ServerMessage::Threads {
                threads: vec![ThreadState {
                    thread: UserId::new(12),
                    family: DisplayName::try_from("Ana".to_owned()).unwrap(),
                    last_seq: 4,
                    last_at_us: Some(Timestamp::from_micros(9)),
                    unread: 1,
                    seen_seq: 3,
                }],
                replace: true,
            },
            ServerMessage::Error(SocketError::new(ErrorCode::ChatTooLong, "too long")),
            ServerMessage::TimeSync {
                client_time_us: Timestamp::from_micros(1),
                server_time_us: Timestamp::from_micros(2),
            },
            ServerMessage::VideoDemand { jpeg: true },
            ServerMessage::KeyframeRequest {},
            ServerMessage::Attendance(vec![ChildToday {
                name: DisplayName::try_from("Lucía".to_owned()).unwrap(),
                checked_in_at: Some(Timestamp::from_micros(5)),
                checked_out_at: None,
            }]),
        ];
        for message in messages {
            assert_eq!(round_trip(&message), message);
        }
    }

    #[test]
    fn a_server_message_is_an_object_named_by_its_kind() {
        let json = serde_json::to_value(ServerMessage::Presence(Presence {
            camera: CameraStatus::Off,
            camera_name: None,
            opens_at: None,
            families_watching_allowed: None,
            attendance_required: false,
            watermark: false,
            viewer_count: 0,
            viewers: vec![],
        }))
        .unwrap();
        assert_eq!(json.as_object().map(|object| object.len()), Some(1));
        assert_eq!(json["presence"]["camera"], "off");
        assert_eq!(
            serde_json::to_string(&ServerMessage::KeyframeRequest {}).unwrap(),
            r#"{"keyframe_request":{}}"#
        );
    }
}
