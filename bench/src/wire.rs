//! The load generator's connections, one interface over the two wire formats: WebSocket
//! (Nido and the Node relay) and the raw fan-out's length-prefixed TCP stream.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use anyhow::{Context as _, bail};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use nido_shared::{ClientMessage, Role, ServerMessage, SocketError, VideoCodec};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::peer::{PeerKind, Target};

/// Small buffers, so that thousands of idle viewers fit in the load generator.
const READ_BUFFER_BYTES: usize = 16 * 1024;
/// Largest message a viewer accepts.
const MAX_MESSAGE_BYTES: usize = 1024 * 1024;
/// A join that is not welcomed within this long failed.
const JOIN_PATIENCE: Duration = Duration::from_secs(20);

/// What a viewer's connection delivered.
#[derive(Debug)]
pub enum Incoming {
    Frame(Bytes),
    Chat(nido_shared::ChatLine),
    /// Any other JSON message.
    Other,
    /// An `error` message from Nido.
    Error(String),
    Closed(String),
}

/// One open connection to a relay.
pub enum Connection {
    WebSocket(Box<WebSocketStream<Throttled>>),
    Raw(BufReader<Throttled>),
}

/// Who a connection joins as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Joiner {
    Camera,
    Viewer,
    /// A viewer with its own account, for chat.
    Chatter(usize),
    /// A camera that sends VP8 chunks.
    Vp8Camera,
    /// A viewer that decodes VP8.
    Vp8Viewer,
}

impl Joiner {
    fn is_camera(self) -> bool {
        matches!(self, Self::Camera | Self::Vp8Camera)
    }
}

impl Connection {
    /// Connects and, for Nido, joins the room and waits for the welcome. `read_limit`
    /// throttles how fast this connection reads, in bytes a second.
    pub async fn open(
        peer: &Target,
        joiner: Joiner,
        read_limit: Option<u64>,
    ) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(peer.addr).await?;
        Self::open_over(tcp, peer, joiner, read_limit).await
    }

    /// As [`open`](Self::open), over a TCP connection made otherwise: through a proxy, or
    /// with a receive buffer of its own.
    pub async fn open_over(
        tcp: TcpStream,
        peer: &Target,
        joiner: Joiner,
        read_limit: Option<u64>,
    ) -> anyhow::Result<Self> {
        tcp.set_nodelay(true)?;
        let stream = Throttled::new(tcp, read_limit);
        match peer.kind {
            PeerKind::RawTcp => {
                let mut stream = BufReader::with_capacity(READ_BUFFER_BYTES, stream);
                let role = if joiner.is_camera() { b'c' } else { b'v' };
                stream.get_mut().write_all(&[role]).await?;
                Ok(Self::Raw(stream))
            }
            PeerKind::NodeWs => Ok(Self::WebSocket(Box::new(
                handshake(peer, stream, None).await?,
            ))),
            PeerKind::Nido => {
                let access = peer.nido.as_ref().context("Nido accounts")?;
                let cookie = match joiner {
                    Joiner::Camera | Joiner::Vp8Camera => &access.camera_cookie,
                    Joiner::Viewer | Joiner::Vp8Viewer => &access.viewer_cookie,
                    Joiner::Chatter(n) => access
                        .chat_cookies
                        .get(n)
                        .context("too many chat clients")?,
                };
                let mut socket = handshake(peer, stream, Some(cookie)).await?;
                let join = ClientMessage::Join {
                    room: access.room.to_string(),
                    role: if joiner.is_camera() {
                        Role::Camera
                    } else {
                        Role::Viewer
                    },
                    camera_key: joiner.is_camera().then(|| "bench-camera-0001".to_owned()),
                    after_seq: None,
                    chat_only: false,
                    decodes: match joiner {
                        Joiner::Vp8Viewer => vec![VideoCodec::Vp8],
                        _ => Vec::new(),
                    },
                    encodes: (joiner == Joiner::Vp8Camera).then_some(VideoCodec::Vp8),
                };
                socket
                    .send(Message::text(serde_json::to_string(&join)?))
                    .await?;
                let mut connection = Self::WebSocket(Box::new(socket));
                tokio::time::timeout(JOIN_PATIENCE, connection.welcomed())
                    .await
                    .context("no welcome")??;
                Ok(connection)
            }
        }
    }

    async fn welcomed(&mut self) -> anyhow::Result<()> {
        let Self::WebSocket(socket) = self else {
            return Ok(());
        };
        while let Some(message) = socket.next().await {
            if let Message::Text(text) = message? {
                match serde_json::from_str(&text)? {
                    ServerMessage::Welcome { .. } => return Ok(()),
                    ServerMessage::Error(SocketError { code, message, .. }) => {
                        bail!("refused: {code:?}: {message}")
                    }
                    _ => {}
                }
            }
        }
        bail!("closed before the welcome")
    }

    /// The next thing the relay sent.
    pub async fn next(&mut self) -> Incoming {
        match self {
            Self::WebSocket(socket) => loop {
                let message = match socket.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(error)) => return Incoming::Closed(error.to_string()),
                    None => return Incoming::Closed("the stream ended".to_owned()),
                };
                match message {
                    Message::Binary(frame) => return Incoming::Frame(frame),
                    Message::Text(text) => {
                        return match serde_json::from_str(&text) {
                            Ok(ServerMessage::Chat(line)) => Incoming::Chat(line),
                            Ok(ServerMessage::Error(SocketError { code, message, .. })) => {
                                Incoming::Error(format!("{code:?}: {message}"))
                            }
                            _ => Incoming::Other,
                        };
                    }
                    Message::Close(frame) => {
                        return Incoming::Closed(format!("closed: {frame:?}"));
                    }
                    Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
                }
            },
            Self::Raw(stream) => match read_raw_frame(stream).await {
                Ok(frame) => Incoming::Frame(frame),
                Err(error) => Incoming::Closed(error.to_string()),
            },
        }
    }

    pub async fn send_frame(&mut self, frame: Bytes) -> anyhow::Result<()> {
        match self {
            Self::WebSocket(socket) => socket.send(Message::Binary(frame)).await?,
            Self::Raw(stream) => {
                let length = u32::try_from(frame.len())?;
                let stream = stream.get_mut();
                stream.write_all(&length.to_be_bytes()).await?;
                stream.write_all(&frame).await?;
            }
        }
        Ok(())
    }

    pub async fn send_json(&mut self, message: &ClientMessage) -> anyhow::Result<()> {
        match self {
            Self::WebSocket(socket) => {
                socket
                    .send(Message::text(serde_json::to_string(message)?))
                    .await?
            }
            Self::Raw(_) => bail!("the raw fan-out carries no chat"),
        }
        Ok(())
    }

    /// Says goodbye properly where the protocol has a way to.
    pub async fn close(self) {
        if let Self::WebSocket(mut socket) = self {
            let _ = socket.close().await;
        }
    }
}

async fn handshake(
    peer: &Target,
    stream: Throttled,
    cookie: Option<&str>,
) -> anyhow::Result<WebSocketStream<Throttled>> {
    let request = nido_testkit::upgrade_request(&format!("ws://{}/ws", peer.addr), cookie)?;
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let (socket, _) =
        tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await?;
    Ok(socket)
}

async fn read_raw_frame(stream: &mut BufReader<Throttled>) -> std::io::Result<Bytes> {
    let length = stream.read_u32().await? as usize;
    if length > MAX_MESSAGE_BYTES {
        return Err(std::io::Error::other("frame too large"));
    }
    let mut frame = BytesMut::zeroed(length);
    stream.read_exact(&mut frame).await?;
    Ok(frame.freeze())
}

/// A TCP stream whose reading can be held to a rate, like a viewer on a slow network.
pub struct Throttled {
    tcp: TcpStream,
    limit: Option<Bucket>,
}

/// A token bucket: `rate` bytes a second, at most a tenth of a second's worth at once.
struct Bucket {
    rate: u64,
    tokens: u64,
    refilled_at: Instant,
    wait: Option<Pin<Box<Sleep>>>,
}

impl Throttled {
    fn new(tcp: TcpStream, rate: Option<u64>) -> Self {
        Self {
            tcp,
            // Full at first: the handshake's response is read in one piece, as a slow
            // phone's kernel would hand it over, not in bytes trickling in (tungstenite
            // takes a response in many tiny reads for an attack and refuses it).
            limit: rate.map(|rate| Bucket {
                rate,
                tokens: burst(rate),
                refilled_at: Instant::now(),
                wait: None,
            }),
        }
    }
}

/// The most a bucket of `rate` bytes a second holds: a tenth of a second's worth.
fn burst(rate: u64) -> u64 {
    (rate / 10).max(1)
}

impl Bucket {
    /// Ready with how many bytes may be read now.
    fn poll_allowance(&mut self, cx: &mut Context<'_>) -> Poll<u64> {
        loop {
            if let Some(wait) = &mut self.wait {
                ready!(wait.as_mut().poll(cx));
                self.wait = None;
            }
            let now = Instant::now();
            let earned = u64::try_from(
                now.duration_since(self.refilled_at).as_micros() * u128::from(self.rate)
                    / 1_000_000,
            )
            .unwrap_or(u64::MAX);
            if earned > 0 {
                self.tokens = (self.tokens + earned).min(burst(self.rate));
                self.refilled_at = now;
            }
            if self.tokens > 0 {
                return Poll::Ready(self.tokens);
            }
            let until_burst = Duration::from_micros(burst(self.rate) * 1_000_000 / self.rate);
            self.wait = Some(Box::pin(tokio::time::sleep(until_burst)));
        }
    }
}

impl AsyncRead for Throttled {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        let Some(bucket) = &mut this.limit else {
            return Pin::new(&mut this.tcp).poll_read(cx, buf);
        };
        let allowance = ready!(bucket.poll_allowance(cx));
        let wanted = usize::try_from(allowance)
            .unwrap_or(usize::MAX)
            .min(buf.remaining());
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(wanted));
        ready!(Pin::new(&mut this.tcp).poll_read(cx, &mut limited))?;
        let read = limited.filled().len();
        buf.advance(read);
        bucket.tokens -= read as u64;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Throttled {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }
}
