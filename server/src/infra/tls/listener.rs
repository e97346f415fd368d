//! Accepts https connections for axum: handshakes run side by side with a deadline, so a
//! slow or broken client never holds up the others.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::server::TlsStream;

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait before accepting again after the system refused (out of file handles).
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

pub struct TlsTcpListener {
    inner: tls_listener::TlsListener<TcpListener, TlsAcceptor>,
}

impl TlsTcpListener {
    pub fn new(listener: TcpListener, config: Arc<ServerConfig>) -> Self {
        let inner = tls_listener::builder(TlsAcceptor::from(config))
            .handshake_timeout(HANDSHAKE_TIMEOUT)
            .listen(listener);
        Self { inner }
    }
}

impl axum::serve::Listener for TlsTcpListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok(accepted) => return accepted,
                Err(tls_listener::Error::ListenerError(error)) => {
                    if !is_per_connection(&error) {
                        tracing::error!(%error, "cannot accept connections");
                        tokio::time::sleep(ACCEPT_RETRY).await;
                    }
                }
                // A device that does not trust the certificate yet ends up here: normal.
                Err(error) => tracing::debug!(%error, "a TLS handshake failed"),
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// Errors about one connection, which the next accept does not share.
fn is_per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
