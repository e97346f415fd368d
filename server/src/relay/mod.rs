//! The rooms and what flows through them: who may join (`access`), the hub that fans frames,
//! chat and presence out to a room's members, the WebSocket connections (`session` over
//! `websocket`), and the rules that change what a connection may see (hours, pause).

pub(crate) mod access;
pub(crate) mod byte_rate;
pub(crate) mod chat;
pub(crate) mod chat_rate;
pub(crate) mod chunk_channel;
pub(crate) mod frame_slot;
pub(crate) mod hours;
pub(crate) mod hub;
pub(crate) mod layer_gate;
pub(crate) mod open_sockets;
pub(crate) mod outbox;
pub(crate) mod room_policy;
pub(crate) mod room_video;
pub(crate) mod session;
pub(crate) mod socket_turn;
mod store_failure;
pub(crate) mod thread_states;
pub(crate) mod video_feed;
pub(crate) mod viewing_record;
pub(crate) mod websocket;
