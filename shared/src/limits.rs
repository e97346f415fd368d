//! Limits both sides agree on; the server enforces them, the app uses them to validate early.

/// Largest chat message, counted in Unicode scalar values after trimming.
pub const MAX_CHAT_CHARS: usize = 1_000;
/// Largest display name, in Unicode scalar values after trimming.
pub const MAX_NAME_CHARS: usize = 40;
/// Largest room id, in ASCII characters.
pub const MAX_ROOM_ID_LEN: usize = 32;
/// Default largest JPEG frame (header excluded) the server accepts: 512 KiB.
pub const DEFAULT_MAX_FRAME_BYTES: usize = 512 * 1024;
/// The camera's frame rate, in frames a second: the camera page's setting stays within it,
/// and the server refuses a camera that sends more than twice the fastest.
pub const MIN_CAMERA_FPS: u32 = 1;
pub const MAX_CAMERA_FPS: u32 = 30;
/// Largest JSON text message: a full-length chat line in the worst UTF-8 case plus envelope.
pub const MAX_TEXT_MESSAGE_BYTES: usize = 8 * 1024;
/// Shortest and longest login name, in ASCII characters.
pub const MIN_USERNAME_LEN: usize = 3;
pub const MAX_USERNAME_LEN: usize = 32;
/// Shortest and longest password, in Unicode scalar values.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// The most relatives one family member may invite (`family_invite_limit`).
pub const MAX_FAMILY_INVITE_LIMIT: u32 = 100;
/// Longest room name (the classroom's name as people read it), in Unicode scalar values.
pub const MAX_ROOM_NAME_CHARS: usize = 60;
