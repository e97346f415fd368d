//! Nido's wire format, shared by the server and the browser app: the single source of truth.
//!
//! A WebSocket connection carries JSON text messages ([`ClientMessage`], [`ServerMessage`])
//! for control, presence and chat, and binary messages for video: a [`FrameHeader`]
//! followed by a JPEG, a VP8 chunk or a decoder configuration. `docs/protocol.md` describes the same for people writing
//! other clients. The HTTP API's bodies are in [`api`] (`docs/api.md`).

mod account;
pub mod api;
pub mod app_build;
pub mod attendance;
mod error_code;
mod frame;
mod ids;
pub mod limits;
mod message;
mod problem;
mod schedule;
mod socket_error;
mod time;

pub use account::{AccountError, UserRole, Username, check_new_password};
pub use error_code::ErrorCode;
pub use frame::{
    ChunkInfo, DecoderConfig, FRAME_HEADER_LEN, FRAME_HEADER_V2_LEN, FRAME_MAGIC, FrameError,
    FrameHeader, FrameKind, MAX_TEMPORAL_LAYERS, VideoCodec,
};
pub use ids::{CameraKey, ChatId, ChildId, DisplayName, IdError, InviteId, RoomId, StayId, UserId};
pub use message::{
    CameraStatus, ChatLine, ClientMessage, Limits, MutedMember, Presence, Role, ServerMessage,
    ThreadState,
};
pub use problem::Problem;
pub use schedule::{OpenHours, Opening, ScheduleError, TimeOfDay, Weekday, WeeklySchedule};
pub use socket_error::{CloseCode, SocketError};
pub use time::Timestamp;
