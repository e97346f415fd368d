//! The TCP connection under a WebSocket, plain or TLS, taken back from hyper after the
//! upgrade and split into a reading and a writing half. The writing half keeps the socket at
//! hand, so the writer can bound the kernel's send buffer to what the video needs; a plain
//! one is shared, so that the room's fan-out can also write frames to it (see
//! `relay::socket_turn`).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use bytes::{Buf, Bytes};
use hyper::upgrade::Upgraded;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio_rustls::server::TlsStream;

type TlsTcp = TlsStream<TcpStream>;

/// What the client sends, starting with what hyper had read past the upgrade request.
pub struct ReadHalf {
    /// Held only until it is read: it shares hyper's whole read buffer.
    already_read: Option<Bytes>,
    read: ReadKind,
}

enum ReadKind {
    Plain(OwnedReadHalf),
    Tls(tokio::io::ReadHalf<TlsTcp>),
}

/// A plain connection's sending half, as the writer task and the fan-out share it.
pub type DirectSocket = Arc<OwnedWriteHalf>;

/// Where the server's bytes go.
pub enum WriteHalf {
    Plain(DirectSocket),
    /// The TLS stream is shared with the reading half behind a lock, so the socket itself is
    /// reached through a duplicate of its descriptor.
    Tls(tokio::io::WriteHalf<TlsTcp>, OwnedFd),
}

/// Takes the connection back from hyper; fails for a kind of stream Nido does not serve.
pub fn split(upgraded: Upgraded) -> io::Result<(ReadHalf, WriteHalf)> {
    let upgraded = match upgraded.downcast::<TokioIo<TcpStream>>() {
        Ok(parts) => {
            let (read, write) = parts.io.into_inner().into_split();
            return Ok((
                ReadHalf {
                    already_read: Some(parts.read_buf).filter(|bytes| !bytes.is_empty()),
                    read: ReadKind::Plain(read),
                },
                WriteHalf::Plain(Arc::new(write)),
            ));
        }
        Err(upgraded) => upgraded,
    };
    match upgraded.downcast::<TokioIo<TlsTcp>>() {
        Ok(parts) => {
            let stream = parts.io.into_inner();
            let socket = stream.get_ref().0.as_fd().try_clone_to_owned()?;
            let (read, write) = tokio::io::split(stream);
            Ok((
                ReadHalf {
                    already_read: Some(parts.read_buf).filter(|bytes| !bytes.is_empty()),
                    read: ReadKind::Tls(read),
                },
                WriteHalf::Tls(write, socket),
            ))
        }
        Err(_) => Err(io::Error::other(
            "an upgraded connection of an unknown kind",
        )),
    }
}

impl WriteHalf {
    /// The TCP socket, for its options.
    pub fn socket(&self) -> socket2::SockRef<'_> {
        match self {
            Self::Plain(write) => socket2::SockRef::from(write.as_ref().as_ref()),
            Self::Tls(_, socket) => socket2::SockRef::from(socket),
        }
    }

    /// The socket others may write to directly: a plain one. What goes through TLS is
    /// encrypted for each connection, so only its writer writes it.
    pub fn direct(&self) -> Option<DirectSocket> {
        match self {
            Self::Plain(write) => Some(Arc::clone(write)),
            Self::Tls(..) => None,
        }
    }
}

/// Writes to a shared plain socket: waits until it is writable, then writes what it takes.
fn poll_write_shared(
    socket: &TcpStream,
    cx: &mut Context<'_>,
    bufs: &[io::IoSlice<'_>],
) -> Poll<io::Result<usize>> {
    loop {
        ready!(socket.poll_write_ready(cx))?;
        let written = match bufs {
            [buf] => socket.try_write(buf),
            _ => socket.try_write_vectored(bufs),
        };
        match written {
            // The readiness was stale; the next poll waits for the socket.
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => continue,
            written => return Poll::Ready(written),
        }
    }
}

impl AsyncRead for ReadHalf {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(already_read) = &mut self.already_read {
            let len = already_read.len().min(buf.remaining());
            buf.put_slice(&already_read.split_to(len));
            if !already_read.has_remaining() {
                self.already_read = None;
            }
            return Poll::Ready(Ok(()));
        }
        match &mut self.read {
            ReadKind::Plain(read) => Pin::new(read).poll_read(cx, buf),
            ReadKind::Tls(read) => Pin::new(read).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for WriteHalf {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(write) => {
                poll_write_shared(write.as_ref().as_ref(), cx, &[io::IoSlice::new(buf)])
            }
            Self::Tls(write, _) => Pin::new(write).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(write) => poll_write_shared(write.as_ref().as_ref(), cx, bufs),
            Self::Tls(write, _) => Pin::new(write).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(_) => true,
            Self::Tls(write, _) => write.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            // A TCP socket keeps nothing back to flush.
            Self::Plain(_) => Poll::Ready(Ok(())),
            Self::Tls(write, _) => Pin::new(write).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(write) => Poll::Ready(
                socket2::SockRef::from(write.as_ref().as_ref()).shutdown(std::net::Shutdown::Write),
            ),
            Self::Tls(write, _) => Pin::new(write).poll_shutdown(cx),
        }
    }
}
