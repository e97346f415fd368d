//! The writing half of a connection. Each message goes out as a WebSocket header, made by
//! tungstenite's own `FrameHeader`, followed by the payload, in one vectored write: a
//! frame shared by every viewer is never copied per connection in user space.
//!
//! Sending may be interrupted (shutdown, eviction) while a frame is half written; the rest
//! is kept and goes out before anything else, so the client never sees a torn frame. The
//! same holds for a frame the room's fan-out started on a plain socket and handed over
//! (`resume`).
//!
//! A viewer's socket gets a send buffer of about a second of its room's video: left to the
//! kernel it grows to megabytes, and a viewer that stalls would get seconds-old pictures
//! from it when it resumes.

use std::io::IoSlice;
use std::time::Duration;

use bytes::buf::Chain;
use bytes::{Buf, Bytes, BytesMut};
use nido_shared::CloseCode;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Utf8Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::FrameHeader;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Control, Data, OpCode};

use super::transport::{DirectSocket, WriteHalf};

/// The longest WebSocket header a server sends: 2 bytes plus a 64-bit length, no mask.
const MAX_HEADER_LEN: usize = 10;
/// How much video may wait in a viewer's socket for a viewer that stopped reading. With the
/// frame the writer holds and the part of a write the kernel lets overshoot the buffer, about
/// a second of video waits on the server's side.
const VIDEO_IN_SEND_BUFFER: Duration = Duration::from_millis(750);
/// The smallest send buffer a viewer gets, however slow the video.
const MIN_SEND_BUFFER: usize = 32 * 1024;
/// The buffer is set again only when the video's rate has moved this far from it, in either
/// direction, so that a steady stream costs no system call per frame.
const SEND_BUFFER_SLACK: f64 = 1.25;

/// A message for the client.
#[derive(Debug, Clone)]
pub enum Outgoing {
    Text(Utf8Bytes),
    Binary(SharedBinary),
    Ping,
    Close(CloseCode, &'static str),
    /// A frame tungstenite already made: its answer to the client's ping or close.
    Reply(Bytes),
}

/// A binary message framed once for every connection that sends it: a video frame's
/// WebSocket header is the same for all its viewers, so it is made when the frame arrives,
/// and the payload copied behind it, once. Each viewer's socket then gets one contiguous
/// buffer with one `send`, which is less of the kernel's work than a `writev` of two.
#[derive(Debug, Clone)]
pub struct SharedBinary {
    wire: Bytes,
    header_len: usize,
}

impl SharedBinary {
    pub fn new(payload: &[u8]) -> Self {
        let header = header(OpCode::Data(Data::Binary), payload.len());
        let mut wire = BytesMut::with_capacity(header.len() + payload.len());
        wire.extend_from_slice(&header);
        wire.extend_from_slice(payload);
        Self {
            wire: wire.freeze(),
            header_len: header.len(),
        }
    }

    pub fn payload(&self) -> &[u8] {
        &self.wire[self.header_len..]
    }

    /// The whole frame as it goes on the wire.
    pub fn wire(&self) -> WireFrame {
        self.wire.clone().chain(Bytes::new())
    }
}

/// Writes as much of `frame` as a plain socket takes now, without waiting, and advances it
/// past what was written; `WouldBlock` when the socket takes nothing.
pub fn write_now(socket: &DirectSocket, frame: &mut WireFrame) -> std::io::Result<()> {
    let mut slices = [IoSlice::new(&[]); 2];
    let written = match frame.chunks_vectored(&mut slices) {
        1 => socket.try_write(&slices[0])?,
        count => socket.try_write_vectored(&slices[..count])?,
    };
    frame.advance(written);
    Ok(())
}

/// A message of the server's making: its header, then `payload`.
fn framed(opcode: OpCode, payload: Bytes) -> WireFrame {
    header(opcode, payload.len()).chain(payload)
}

/// A server's frame header (no mask) for a payload of `len` bytes.
fn header(opcode: OpCode, len: usize) -> Bytes {
    let mut header = Vec::with_capacity(MAX_HEADER_LEN);
    FrameHeader {
        opcode,
        ..FrameHeader::default()
    }
    .format(len as u64, &mut header)
    .expect("writing to a Vec cannot fail");
    Bytes::from(header)
}

/// The send buffer for video at `bytes_per_second`.
fn send_buffer_for(bytes_per_second: usize) -> usize {
    let second = bytes_per_second as f64 * VIDEO_IN_SEND_BUFFER.as_secs_f64();
    (second as usize).max(MIN_SEND_BUFFER)
}

fn within_slack(current: usize, wanted: usize) -> bool {
    let ratio = wanted as f64 / current as f64;
    (1.0 / SEND_BUFFER_SLACK..=SEND_BUFFER_SLACK).contains(&ratio)
}

/// A whole frame on the wire: its header, then its payload.
pub type WireFrame = Chain<Bytes, Bytes>;

/// A viewer socket's send buffer, as asked of the kernel once the video's rate is known.
#[derive(Debug, Default)]
pub struct SendBuffer {
    asked: Option<usize>,
}

impl SendBuffer {
    /// Bounds `socket`'s send buffer to [`VIDEO_IN_SEND_BUFFER`] of video running at
    /// `bytes_per_second`.
    pub fn fit(&mut self, socket: socket2::SockRef<'_>, bytes_per_second: usize) {
        let wanted = send_buffer_for(bytes_per_second);
        if self
            .asked
            .is_some_and(|current| within_slack(current, wanted))
        {
            return;
        }
        // Linux doubles the value asked for, the extra half being its own bookkeeping.
        match socket.set_send_buffer_size(wanted / 2) {
            Ok(()) => self.asked = Some(wanted),
            Err(error) => tracing::warn!(%error, "could not bound a viewer's send buffer"),
        }
    }
}

pub struct FrameWriter {
    write: WriteHalf,
    /// Tungstenite's answers to the client's pings and close frames, already framed.
    replies: mpsc::Receiver<Bytes>,
    /// What an interrupted send had not written yet.
    unsent: Option<WireFrame>,
    closed: bool,
}

impl FrameWriter {
    pub(super) fn new(write: WriteHalf, replies: mpsc::Receiver<Bytes>) -> Self {
        Self {
            write,
            replies,
            unsent: None,
            closed: false,
        }
    }

    /// The TCP socket, for its options.
    pub fn socket(&self) -> socket2::SockRef<'_> {
        self.write.socket()
    }

    /// The socket the room's fan-out may write to directly, if it is a plain one.
    pub fn direct_socket(&self) -> Option<DirectSocket> {
        self.write.direct()
    }

    /// Takes over the rest of a frame someone else started on this socket; it goes out
    /// before anything else.
    pub fn resume(&mut self, rest: WireFrame) {
        debug_assert!(self.unsent.is_none(), "one writer at a time");
        self.unsent = Some(rest);
    }

    /// Writes what was left unsent, if anything. Cancelling this loses nothing.
    pub async fn finish_unsent(&mut self) -> std::io::Result<()> {
        self.write_unsent().await?;
        self.write.flush().await
    }

    /// Sends one message; after a close (ours or tungstenite's reply to the client's), nothing
    /// more is sent, as the protocol allows nothing after it.
    pub async fn send(&mut self, message: Outgoing) -> std::io::Result<()> {
        if self.closed {
            return Ok(());
        }
        let wire = match message {
            Outgoing::Text(text) => framed(
                OpCode::Data(Data::Text),
                AsRef::<Bytes>::as_ref(&text).clone(),
            ),
            Outgoing::Binary(message) => message.wire(),
            Outgoing::Ping => framed(OpCode::Control(Control::Ping), Bytes::new()),
            Outgoing::Close(code, reason) => {
                self.closed = true;
                let mut body = code.as_u16().to_be_bytes().to_vec();
                body.extend_from_slice(reason.as_bytes());
                framed(OpCode::Control(Control::Close), Bytes::from(body))
            }
            Outgoing::Reply(frame) => {
                // Its first byte's low bits are the opcode; 0x8 is a close.
                self.closed = frame.first().is_some_and(|byte| byte & 0x0F == 0x8);
                frame.chain(Bytes::new())
            }
        };
        self.write_frame(wire).await?;
        if self.closed {
            // Nothing may follow a close: the client hears the end of the stream right after
            // it, while the reader goes on reading until the client closes too.
            self.write.shutdown().await?;
        }
        Ok(())
    }

    /// The next reply tungstenite made to the client; never resolves while there is none.
    pub async fn next_reply(&mut self) -> Bytes {
        match self.replies.recv().await {
            Some(reply) => reply,
            None => std::future::pending().await,
        }
    }

    /// Writes what an interrupted send left, then `frame`. Cancelling this loses nothing:
    /// the bytes not yet written stay in `unsent`.
    async fn write_frame(&mut self, frame: WireFrame) -> std::io::Result<()> {
        self.write_unsent().await?;
        self.unsent = Some(frame);
        self.write_unsent().await?;
        self.write.flush().await
    }

    async fn write_unsent(&mut self) -> std::io::Result<()> {
        while let Some(frame) = &mut self.unsent {
            if !frame.has_remaining() {
                self.unsent = None;
                break;
            }
            // The chain's two parts go out together with `writev`.
            if self.write.write_buf(frame).await? == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn a_shared_binary_is_framed_once_with_the_length_of_its_payload() {
        // Each length is at or around a boundary where the header's length field grows.
        for len in [0, 125, 126, 65_535, 65_536, 200_000] {
            let message = SharedBinary::new(&vec![7; len]);
            let wire = message.wire().copy_to_bytes(len + message.header_len);
            assert_eq!(&wire[message.header_len..], message.payload());
            let mut cursor = Cursor::new(wire.as_ref());
            let (header, payload_len) = FrameHeader::parse(&mut cursor)
                .expect("a valid header")
                .expect("a whole header");
            assert_eq!(header.opcode, OpCode::Data(Data::Binary));
            assert!(header.is_final && header.mask.is_none());
            assert_eq!(payload_len, len as u64);
            assert_eq!(cursor.position() as usize + len, wire.len());
        }
    }

    #[test]
    fn the_send_buffer_holds_three_quarters_of_a_second_of_video_and_moves_only_with_the_rate() {
        assert_eq!(send_buffer_for(1_500_000), 1_125_000);
        assert_eq!(send_buffer_for(1_000), MIN_SEND_BUFFER);
        assert!(within_slack(1_500_000, 1_600_000));
        assert!(within_slack(1_500_000, 1_300_000));
        assert!(!within_slack(1_500_000, 2_000_000));
        assert!(!within_slack(1_500_000, 1_000_000));
    }
}
