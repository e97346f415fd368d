//! HTTPS: the rustls configuration, from a certificate on disk (`--tls-cert`, `--tls-key`) or
//! from Nido's own local authority (`--tls-self-signed`).
//!
//! Browsers give a page the camera only in a secure context, so a tablet on the daycare's
//! network needs https to be a camera at all.

mod listener;
mod name_constraints;
mod redirect;
mod self_signed;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use x509_parser::prelude::{FromDer, X509Certificate};

pub use listener::TlsTcpListener;
pub use redirect::serve_redirects;
pub use self_signed::{AUTHORITY_DOWNLOAD_PATH, LocalAuthority, SelfSigned, machine_names};

use crate::infra::config::Config;

/// How the server speaks https, decided once at start.
#[derive(Clone)]
pub struct Tls {
    pub server_config: Arc<ServerConfig>,
    /// With `--tls-self-signed`: the authority devices are asked to trust.
    pub authority: Option<Arc<LocalAuthority>>,
    /// The names and addresses the certificate covers, for the addresses printed at start.
    pub names: Vec<String>,
}

/// Why https could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{0} holds no certificate")]
    NoCertificate(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot make the self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("{path} is not a certificate Nido can read")]
    Unreadable { path: String },
    #[error("the certificate and key do not work together: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("--tls-cert and --tls-key go together: give both")]
    HalfAPair,
    #[error("choose --tls-cert and --tls-key, or --tls-self-signed, not both")]
    TwoSources,
}

impl Tls {
    /// The https setup the configuration asks for, or `None` for plain http.
    ///
    /// The combinations are checked here, not only by clap: settings from the config file
    /// reach clap as defaults, which its `requires` and `conflicts_with` do not look at.
    pub fn from_config(config: &Config) -> Result<Option<Self>, TlsError> {
        let files = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => return Err(TlsError::HalfAPair),
        };
        if files.is_some() && config.tls_self_signed {
            return Err(TlsError::TwoSources);
        }
        if let Some((cert, key)) = files {
            let chain = read_chain(cert)?;
            let key = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Read {
                path: key.display().to_string(),
                source,
            })?;
            let names = chain
                .first()
                .and_then(|leaf| X509Certificate::from_der(leaf).ok())
                .map(|(_, leaf)| self_signed::covered_names(&leaf))
                .unwrap_or_default();
            return Ok(Some(Self {
                server_config: server_config(chain, key)?,
                authority: None,
                names,
            }));
        }
        if !config.tls_self_signed {
            return Ok(None);
        }
        let SelfSigned {
            chain,
            key,
            authority,
            names,
        } = SelfSigned::load_or_create(&config.data_dir, &config.tls_host)?;
        Ok(Some(Self {
            server_config: server_config(chain, key)?,
            authority: Some(Arc::new(authority)),
            names,
        }))
    }
}

impl Tls {
    /// The addresses to open Nido at, for the message at start: each name the certificate
    /// covers other than loopback when listening on every interface, else the address
    /// listened on.
    pub fn addresses(&self, bound: SocketAddr) -> Vec<String> {
        let port = match bound.port() {
            443 => String::new(),
            port => format!(":{port}"),
        };
        let remote = |name: &&String| match name.parse::<IpAddr>() {
            Ok(ip) => !ip.is_loopback(),
            Err(_) => name.as_str() != "localhost",
        };
        let addresses: Vec<String> = if bound.ip().is_unspecified() {
            self.names
                .iter()
                .filter(remote)
                .map(|name| match name.parse::<IpAddr>() {
                    Ok(IpAddr::V6(ip)) => format!("https://[{ip}]{port}"),
                    _ => format!("https://{name}{port}"),
                })
                .collect()
        } else {
            Vec::new()
        };
        if addresses.is_empty() {
            return vec![format!("https://{bound}")];
        }
        addresses
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let display = || path.display().to_string();
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|source| TlsError::Read {
            path: display(),
            source,
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCertificate(display()));
    }
    Ok(chain)
}

/// TLS 1.2 and 1.3 with rustls's safe defaults. Only HTTP/1.1 is offered: the WebSocket
/// upgrade is an HTTP/1.1 mechanism.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with_files(cert: &Path, key: &Path) -> Config {
        let mut config = Config::with_defaults();
        config.tls_cert = Some(cert.to_owned());
        config.tls_key = Some(key.to_owned());
        config
    }

    #[test]
    fn a_certificate_and_key_from_files_make_an_https_setup() {
        let data = tempfile::tempdir().unwrap();
        SelfSigned::load_or_create(data.path(), &[]).unwrap();
        let (cert, key) = (
            data.path().join("tls/server.pem"),
            data.path().join("tls/server-key.pem"),
        );
        let tls = Tls::from_config(&config_with_files(&cert, &key))
            .unwrap()
            .expect("https");
        assert!(
            tls.authority.is_none(),
            "nothing to install: the certificate is the daycare's"
        );
        assert_eq!(tls.server_config.alpn_protocols, [b"http/1.1".to_vec()]);
    }

    #[test]
    fn unusable_files_are_clear_errors() {
        let data = tempfile::tempdir().unwrap();
        SelfSigned::load_or_create(data.path(), &[]).unwrap();
        let tls = data.path().join("tls");
        let empty = data.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        let missing = data.path().join("missing.pem");

        let error = Tls::from_config(&config_with_files(&missing, &tls.join("server-key.pem")))
            .err()
            .unwrap();
        assert!(error.to_string().contains("missing.pem"), "{error}");
        let error = Tls::from_config(&config_with_files(&empty, &tls.join("server-key.pem")))
            .err()
            .unwrap();
        assert!(
            error.to_string().contains("holds no certificate"),
            "{error}"
        );
        let mismatched = Tls::from_config(&config_with_files(
            &tls.join("server.pem"),
            &tls.join("authority-key.pem"),
        ));
        assert!(mismatched.is_err(), "a key that is not the certificate's");
    }

    #[test]
    fn half_a_pair_or_two_sources_are_refused() {
        let mut config = Config::with_defaults();
        config.tls_cert = Some("cert.pem".into());
        assert!(matches!(
            Tls::from_config(&config),
            Err(TlsError::HalfAPair)
        ));
        config.tls_key = Some("key.pem".into());
        config.tls_self_signed = true;
        assert!(matches!(
            Tls::from_config(&config),
            Err(TlsError::TwoSources)
        ));
    }

    #[test]
    fn plain_http_without_tls_options() {
        assert!(
            Tls::from_config(&Config::with_defaults())
                .unwrap()
                .is_none()
        );
    }
}
