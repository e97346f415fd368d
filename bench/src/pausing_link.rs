//! A network link that goes quiet, as a phone's does when it loses signal: a proxy between
//! one viewer and the relay that, after a while, holds the relay's bytes for a time and then
//! lets them through. The viewer goes on reading; only the link stops.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};

/// What the link itself holds while it is quiet: the proxy's receive buffer, about what a
/// mobile link has in flight. Linux doubles what is asked for.
pub const LINK_BUFFER_BYTES: u32 = 32 * 1024;
const COPY_CHUNK: usize = 16 * 1024;

/// When the link goes quiet and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Pause {
    pub after: Duration,
    pub lasting: Duration,
}

/// Connects to `relay` through a new link that pauses as `pause` says; the returned stream
/// is the viewer's end. The link lasts until either end closes.
pub async fn connect(relay: SocketAddr, pause: Pause) -> anyhow::Result<TcpStream> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let viewer_end = TcpStream::connect(listener.local_addr()?).await?;
    let (proxy_end, _) = listener.accept().await?;
    let upstream = link_end(relay, LINK_BUFFER_BYTES).await?;
    proxy_end.set_nodelay(true)?;
    tokio::spawn(carry(proxy_end, upstream, pause));
    Ok(viewer_end)
}

/// A link's connection to `relay`, taking in at most `buffer_bytes` that it has not passed on.
pub async fn link_end(relay: SocketAddr, buffer_bytes: u32) -> anyhow::Result<TcpStream> {
    let upstream = TcpSocket::new_v4()?;
    upstream.set_recv_buffer_size(buffer_bytes)?;
    let upstream = upstream
        .connect(relay)
        .await
        .context("the link could not reach the relay")?;
    upstream.set_nodelay(true)?;
    Ok(upstream)
}

/// Carries bytes both ways until either side closes; the relay's bytes stop for a while.
async fn carry(viewer: TcpStream, relay: TcpStream, pause: Pause) {
    let (mut from_viewer, mut to_viewer) = viewer.into_split();
    let (mut from_relay, mut to_relay) = relay.into_split();
    let upstream = async {
        let _ = tokio::io::copy(&mut from_viewer, &mut to_relay).await;
    };
    let downstream = async {
        let quiet_at = tokio::time::Instant::now() + pause.after;
        let mut paused = false;
        let mut chunk = vec![0; COPY_CHUNK];
        loop {
            if !paused && tokio::time::Instant::now() >= quiet_at {
                paused = true;
                tokio::time::sleep(pause.lasting).await;
            }
            match from_relay.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(read) => {
                    if to_viewer.write_all(&chunk[..read]).await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    tokio::select! {
        () = upstream => {}
        () = downstream => {}
    }
}
