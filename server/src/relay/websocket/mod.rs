//! Nido's WebSocket transport: the handshake, tungstenite to read what clients send, and a
//! write path of our own that sends each shared frame with one vectored write instead of
//! copying it into a per-connection buffer first (see `docs/performance.md`).

mod frame_writer;
mod reader_io;
mod transport;
mod upgrade;

pub use frame_writer::{FrameWriter, Outgoing, SendBuffer, SharedBinary, WireFrame, write_now};
pub use reader_io::MessageStream;
pub use transport::DirectSocket;
pub use upgrade::{Socket, WebSocketHandshake};
