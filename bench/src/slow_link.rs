//! A slow network link for browsers: a proxy on loopback that, once slowed down, carries
//! only so many bytes a second towards the browser on each connection, like a parent's phone
//! on a poor mobile network (the page loads at full speed first, then the link slows, so
//! that only watching is measured). What the server sends waits in the server's socket,
//! unacknowledged, as it would before a real bottleneck.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::task::AbortOnDropHandle;

use crate::pausing_link;

/// What the link takes in beyond what it has carried: the least Linux allows. A real
/// bottleneck's queue holds bytes the server has not had acknowledged yet, so they count in
/// the server's send buffer, which Nido bounds; a large buffer here would hide them from it.
const BUFFER_BYTES: u32 = 4 * 1024;
const FAST_READ_BYTES: usize = 16 * 1024;
/// The most carried at once towards the browser once slowed down.
const SLOW_PIECE_BYTES: usize = 1024;

/// The link, open while this lives.
pub struct SlowLink {
    /// Where browsers connect instead of the server.
    pub addr: SocketAddr,
    /// Bytes a second towards the browser; `None` while at full speed.
    rate: watch::Sender<Option<u64>>,
    _accepting: AbortOnDropHandle<()>,
}

impl SlowLink {
    /// A link to `server`, at full speed until [`slow_down`](Self::slow_down).
    pub async fn start(server: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let rate = watch::Sender::new(None);
        let rates = rate.clone();
        let accepting = tokio::spawn(async move {
            while let Ok((browser, _)) = listener.accept().await {
                let rate = rates.subscribe();
                tokio::spawn(async move {
                    if let Err(error) = carry(browser, server, rate).await {
                        eprintln!("the slow link dropped a connection: {error:#}");
                    }
                });
            }
        });
        Ok(Self {
            addr,
            rate,
            _accepting: AbortOnDropHandle::new(accepting),
        })
    }

    /// From now on, every connection carries `bytes_per_second` towards the browser.
    pub fn slow_down(&self, bytes_per_second: u64) {
        self.rate.send_replace(Some(bytes_per_second));
    }
}

/// Carries one connection both ways until either side closes.
async fn carry(
    browser: TcpStream,
    server: SocketAddr,
    rate: watch::Receiver<Option<u64>>,
) -> anyhow::Result<()> {
    let upstream = pausing_link::link_end(server, BUFFER_BYTES).await?;
    browser.set_nodelay(true)?;
    let (mut from_server, mut to_server) = upstream.into_split();
    let (mut from_browser, mut to_browser) = browser.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut from_browser, &mut to_server).await;
    };
    let down = async {
        let mut chunk = vec![0; FAST_READ_BYTES];
        loop {
            // Once slowed, the link takes a small piece only when it can carry it: what
            // waits, waits in the server's socket.
            let most = if rate.borrow().is_some() {
                SLOW_PIECE_BYTES
            } else {
                FAST_READ_BYTES
            };
            let read = match from_server.read(&mut chunk[..most]).await {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            for piece in chunk[..read].chunks(SLOW_PIECE_BYTES) {
                // Each piece arrives after the time the link needs to carry it (a read
                // taken at full speed just before the link slowed is carried slowly too).
                let limit = *rate.borrow();
                if let Some(bytes_per_second) = limit {
                    let carrying = piece.len() as f64 / bytes_per_second as f64;
                    tokio::time::sleep(Duration::from_secs_f64(carrying)).await;
                }
                if to_browser.write_all(piece).await.is_err() {
                    return;
                }
            }
        }
    };
    // A side that closes or resets ends the connection, as on a real link.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn carries_both_ways_at_full_speed_then_at_the_rate_set() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let server_addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = server.accept().await.unwrap();
            let mut asked = [0; 4];
            socket.read_exact(&mut asked).await.unwrap();
            socket.write_all(&vec![7; 100_000]).await.unwrap();
            socket.read_exact(&mut asked).await.unwrap();
            socket.write_all(&vec![8; 5_000]).await.unwrap();
        });
        let link = SlowLink::start(server_addr).await.unwrap();
        let mut browser = TcpStream::connect(link.addr).await.unwrap();
        browser.write_all(b"GET ").await.unwrap();
        let mut answer = vec![0; 100_000];
        browser.read_exact(&mut answer).await.unwrap();
        assert!(answer.iter().all(|byte| *byte == 7));
        link.slow_down(10_000);
        let slowed = tokio::time::Instant::now();
        browser.write_all(b"MORE").await.unwrap();
        let mut rest = Vec::new();
        browser.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest.len(), 5_000);
        assert!(
            slowed.elapsed() >= Duration::from_millis(400),
            "{:?}",
            slowed.elapsed()
        );
    }
}
