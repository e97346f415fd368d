//! The machine's limit for the benchmark: a raw TCP fan-out with no WebSocket framing, no
//! accounts and no logic beyond latest-frame-wins. Each frame travels as a 4-byte big-endian
//! length and the frame; the bytes read from the camera are written, as one shared buffer,
//! to every viewer's socket.
//!
//! A client's first byte says what it is: `c` for the camera, `v` for a viewer.
//! Usage: raw-fanout PORT   (0 picks a free port; prints "listening PORT" when ready)

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Larger frames than this end the camera's connection.
const MAX_FRAME_BYTES: usize = 8 * 1024 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("listening {}", listener.local_addr()?.port());
    let (frames, _) = watch::channel(Bytes::new());
    loop {
        let (socket, _) = listener.accept().await?;
        socket.set_nodelay(true)?;
        let frames = frames.clone();
        tokio::spawn(async move {
            let _ = serve(socket, frames).await;
        });
    }
}

async fn serve(mut socket: TcpStream, frames: watch::Sender<Bytes>) -> std::io::Result<()> {
    match socket.read_u8().await? {
        b'c' => relay_camera(socket, &frames).await,
        b'v' => feed_viewer(socket, frames.subscribe()).await,
        _ => Ok(()),
    }
}

/// Reads length-prefixed frames and publishes each, prefix included, as it arrived.
async fn relay_camera(mut socket: TcpStream, frames: &watch::Sender<Bytes>) -> std::io::Result<()> {
    loop {
        let length = socket.read_u32().await? as usize;
        if length > MAX_FRAME_BYTES {
            return Ok(());
        }
        let mut frame = BytesMut::with_capacity(4 + length);
        frame.extend_from_slice(&(length as u32).to_be_bytes());
        frame.resize(4 + length, 0);
        socket.read_exact(&mut frame[4..]).await?;
        frames.send_replace(frame.freeze());
    }
}

/// Writes the newest frame whenever the socket has taken the previous one.
async fn feed_viewer(
    mut socket: TcpStream,
    mut frames: watch::Receiver<Bytes>,
) -> std::io::Result<()> {
    while frames.changed().await.is_ok() {
        let frame = frames.borrow_and_update().clone();
        socket.write_all(&frame).await?;
    }
    Ok(())
}
