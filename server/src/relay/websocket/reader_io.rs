//! The reading half of a connection as tungstenite sees it. Tungstenite answers pings and
//! close frames by writing to its stream; those replies are handed to the connection's
//! [`FrameWriter`](super::FrameWriter), which owns the socket's writing half.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;

use super::transport::ReadHalf;

/// Replies tungstenite may have waiting for the writer before the client is cut off:
/// a client that sends pings faster than it reads the pongs gets no more.
pub(super) const MAX_WAITING_REPLIES: usize = 16;

/// The messages a client sends, read and checked by tungstenite.
pub type MessageStream = WebSocketStream<ReaderIo>;

pub struct ReaderIo {
    read: ReadHalf,
    replies: mpsc::Sender<Bytes>,
}

impl ReaderIo {
    pub(super) fn new(read: ReadHalf, replies: mpsc::Sender<Bytes>) -> Self {
        Self { read, replies }
    }
}

impl AsyncRead for ReaderIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.read).poll_read(cx, buf)
    }
}

impl AsyncWrite for ReaderIo {
    /// Tungstenite writes whole frames (its write buffer is flushed after each), so each
    /// write is handed over as one reply.
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.replies.try_send(Bytes::copy_from_slice(buf)) {
            Ok(()) => Poll::Ready(Ok(buf.len())),
            Err(mpsc::error::TrySendError::Full(_)) => Poll::Ready(Err(std::io::Error::other(
                "the client sends control frames faster than it reads the replies",
            ))),
            Err(mpsc::error::TrySendError::Closed(_)) => {
                Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()))
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
