//! `--tls-self-signed`: a local certificate authority, made once and kept in the data
//! directory, signs a server certificate for this machine's names and addresses.
//!
//! Tablets and phones trust the authority once. The server certificate can then be renewed,
//! or cover a new address, without asking them again.

use std::io::Write;
use std::path::Path;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{TlsError, name_constraints};

/// Where the certificates live, inside the data directory.
const DIRECTORY: &str = "tls";
const AUTHORITY_CERT: &str = "authority.pem";
const AUTHORITY_KEY: &str = "authority-key.pem";
const SERVER_CERT: &str = "server.pem";
const SERVER_KEY: &str = "server-key.pem";
/// The longest validity browsers accept for a server certificate.
const SERVER_VALID_DAYS: i64 = 397;
/// A server certificate closer than this to its end is renewed at start.
const RENEW_BEFORE_DAYS: i64 = 30;
const AUTHORITY_VALID_DAYS: i64 = 10 * 365;
/// Where the server offers the authority's certificate for devices to install.
pub const AUTHORITY_DOWNLOAD_PATH: &str = "/nido-ca.crt";

/// The authority devices are asked to trust.
pub struct LocalAuthority {
    pub der: CertificateDer<'static>,
    /// SHA-256 of the certificate, as phones show it: `AB:CD:…`.
    pub fingerprint: String,
    pub name: String,
}

/// What the https server needs from the self-signed setup.
pub struct SelfSigned {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    pub authority: LocalAuthority,
    pub names: Vec<String>,
}

impl SelfSigned {
    /// Loads the authority and server certificate from `DATA_DIR/tls`, making what is
    /// missing, and issues a new server certificate when the kept one does not cover every
    /// current name or is about to end.
    pub fn load_or_create(data_dir: &Path, extra_names: &[String]) -> Result<Self, TlsError> {
        let directory = data_dir.join(DIRECTORY);
        std::fs::create_dir_all(&directory).map_err(|source| TlsError::Write {
            path: directory.display().to_string(),
            source,
        })?;
        let names = machine_names(extra_names);
        let (authority_pem, authority_key) = load_or_create_authority(&directory, &names)?;
        let authority_der = parse_pem(&authority_pem, &directory.join(AUTHORITY_CERT))?;

        let kept = read_pair(&directory, SERVER_CERT, SERVER_KEY)
            .filter(|(cert, _)| still_good(cert, &authority_der, &names));
        let (server_pem, server_key_pem) = match kept {
            Some(pair) => pair,
            None => {
                let issuer = Issuer::from_ca_cert_pem(&authority_pem, authority_key)?;
                issue_server_certificate(&directory, &issuer, &names)?
            }
        };
        let server_der = parse_pem(&server_pem, &directory.join(SERVER_CERT))?;
        let key = PrivateKeyDer::from_pem_slice(server_key_pem.as_bytes()).map_err(|_| {
            TlsError::Unreadable {
                path: directory.join(SERVER_KEY).display().to_string(),
            }
        })?;
        let authority = LocalAuthority {
            fingerprint: fingerprint(&authority_der),
            name: authority_name(&authority_der),
            der: authority_der,
        };
        Ok(Self {
            chain: vec![server_der],
            key,
            authority,
            names,
        })
    }
}

impl LocalAuthority {
    /// The authority's certificate as a file a device installs (DER, which Android and iOS
    /// both take).
    pub fn download(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, "application/x-x509-ca-cert"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"nido-ca.crt\"",
                ),
            ],
            self.der.to_vec(),
        )
            .into_response()
    }

    /// What the staff read at start: the addresses to open, and how to make a tablet or
    /// phone trust this server once.
    pub fn trust_instructions(&self, addresses: &[String]) -> String {
        let mut text =
            String::from("Nido is serving https with its own certificate. Open it at:\n");
        for address in addresses {
            text.push_str(&format!("    {address}\n"));
        }
        let download = addresses.first().map_or_else(
            || AUTHORITY_DOWNLOAD_PATH.to_owned(),
            |address| format!("{address}{AUTHORITY_DOWNLOAD_PATH}"),
        );
        text.push_str(&format!(
            "\nEach tablet or phone warns about it until it trusts Nido's local authority. Once per device:\n\
             1. Open {download} on the device and go past the warning; the certificate downloads.\n\
             2. Android: Settings > Security > Encryption & credentials > Install a certificate >\n   \
             CA certificate, then pick nido-ca.crt.\n   \
             iPhone or iPad: Settings > Profile Downloaded > Install, then Settings > General >\n   \
             About > Certificate Trust Settings, and turn on \"{name}\".\n\
             3. Check that the fingerprint the device shows is this one:\n   SHA-256 {fingerprint}\n",
            name = self.name,
            fingerprint = self.fingerprint,
        ));
        text
    }
}

/// The kept authority if it may sign for every one of `names`, else a new one constrained
/// to them (devices must then trust the new one, which start-up says).
fn load_or_create_authority(
    directory: &Path,
    names: &[String],
) -> Result<(String, KeyPair), TlsError> {
    if let Some((cert, key)) = read_pair(directory, AUTHORITY_CERT, AUTHORITY_KEY) {
        let key = KeyPair::from_pem(&key).map_err(|_| TlsError::Unreadable {
            path: directory.join(AUTHORITY_KEY).display().to_string(),
        })?;
        let der = parse_pem(&cert, &directory.join(AUTHORITY_CERT))?;
        let permits = X509Certificate::from_der(&der)
            .is_ok_and(|(_, authority)| name_constraints::permit_all(&authority, names));
        if permits {
            return Ok((cert, key));
        }
        tracing::warn!(
            "the local certificate authority may not sign for every current name; making a \
             new one, which every tablet and phone must trust again"
        );
    }
    let host = machine_host_name().unwrap_or_else(|| "this machine".to_owned());
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("Nido on {host}"));
    params
        .distinguished_name
        .push(DnType::OrganizationName, "Nido");
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.name_constraints = Some(name_constraints::permitting(names));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params.not_before, params.not_after) = validity(AUTHORITY_VALID_DAYS);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    write_file(&directory.join(AUTHORITY_KEY), &key.serialize_pem())?;
    write_file(&directory.join(AUTHORITY_CERT), &cert.pem())?;
    tracing::info!(directory = %directory.display(), "made Nido's local certificate authority");
    Ok((cert.pem(), key))
}

fn issue_server_certificate(
    directory: &Path,
    issuer: &Issuer<'_, KeyPair>,
    names: &[String],
) -> Result<(String, String), TlsError> {
    let mut params = CertificateParams::new(names.to_vec())?;
    params.distinguished_name.push(DnType::CommonName, "Nido");
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    (params.not_before, params.not_after) = validity(SERVER_VALID_DAYS);
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    write_file(&directory.join(SERVER_KEY), &key.serialize_pem())?;
    write_file(&directory.join(SERVER_CERT), &cert.pem())?;
    tracing::info!(?names, "issued the https certificate");
    Ok((cert.pem(), key.serialize_pem()))
}

/// From a day ago (clocks on tablets drift) to `days` from now.
fn validity(days: i64) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (now - Duration::days(1), now + Duration::days(days))
}

/// Whether a kept server certificate was signed by this authority, covers every name and
/// is not about to end.
fn still_good(server_pem: &str, authority: &CertificateDer<'_>, names: &[String]) -> bool {
    let Ok(server) = CertificateDer::from_pem_slice(server_pem.as_bytes()) else {
        return false;
    };
    let (Ok((_, server)), Ok((_, authority))) = (
        X509Certificate::from_der(&server),
        X509Certificate::from_der(authority),
    ) else {
        return false;
    };
    let renew_at = OffsetDateTime::now_utc() + Duration::days(RENEW_BEFORE_DAYS);
    let signed_by_authority = server
        .verify_signature(Some(authority.public_key()))
        .is_ok();
    let covered = covered_names(&server);
    signed_by_authority
        && server.validity().not_after.to_datetime() > renew_at
        && names.iter().all(|name| covered.contains(name))
}

/// The names and addresses a certificate is for.
pub fn covered_names(cert: &X509Certificate<'_>) -> Vec<String> {
    let Ok(Some(names)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    names
        .value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => ip_from_bytes(bytes).map(|ip| ip.to_string()),
            _ => None,
        })
        .collect()
}

fn ip_from_bytes(bytes: &[u8]) -> Option<std::net::IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(std::net::IpAddr::from),
        _ => None,
    }
}

/// This machine's names and addresses (`localhost`, its host name and `NAME.local`, every
/// interface address but link-local ones) plus the configured extra ones.
pub fn machine_names(extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_owned()];
    if let Some(host) = machine_host_name() {
        if !host.contains('.') {
            names.push(format!("{host}.local"));
        }
        names.push(host);
    }
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => names.extend(
            interfaces
                .iter()
                .filter(|interface| !interface.is_link_local())
                .map(|interface| interface.ip().to_string()),
        ),
        Err(error) => tracing::warn!(%error, "cannot list this machine's addresses"),
    }
    names.extend(extra.iter().map(|name| name.trim().to_ascii_lowercase()));
    names.sort();
    names.dedup();
    names
}

/// The host name, when it is one a certificate can carry.
fn machine_host_name() -> Option<String> {
    let host = gethostname::gethostname().into_string().ok()?;
    let host = host.trim().to_ascii_lowercase();
    let usable = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    usable.then_some(host)
}

fn authority_name(der: &CertificateDer<'_>) -> String {
    X509Certificate::from_der(der)
        .ok()
        .and_then(|(_, cert)| {
            cert.subject()
                .iter_common_name()
                .next()
                .and_then(|name| name.as_str().ok().map(str::to_owned))
        })
        .unwrap_or_else(|| "Nido".to_owned())
}

fn fingerprint(der: &CertificateDer<'_>) -> String {
    Sha256::digest(der)
        .iter()
        .map(|byte| format!("{byte:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn parse_pem(pem: &str, path: &Path) -> Result<CertificateDer<'static>, TlsError> {
    CertificateDer::from_pem_slice(pem.as_bytes()).map_err(|_| TlsError::Unreadable {
        path: path.display().to_string(),
    })
}

fn read_pair(directory: &Path, cert: &str, key: &str) -> Option<(String, String)> {
    let cert = std::fs::read_to_string(directory.join(cert)).ok()?;
    let key = std::fs::read_to_string(directory.join(key)).ok()?;
    Some((cert, key))
}

/// Writes a certificate or key readable by Nido's user only.
fn write_file(path: &Path, contents: &str) -> Result<(), TlsError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut file| file.write_all(contents.as_bytes()))
        .map_err(|source| TlsError::Write {
            path: path.display().to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio_rustls::rustls::client::WebPkiServerVerifier;
    use tokio_rustls::rustls::client::danger::ServerCertVerifier;
    use tokio_rustls::rustls::pki_types::{ServerName, UnixTime};
    use tokio_rustls::rustls::{RootCertStore, crypto};

    use super::*;

    fn verifies(made: &SelfSigned, name: &str) -> bool {
        let mut roots = RootCertStore::empty();
        roots.add(made.authority.der.clone()).unwrap();
        let provider = Arc::new(crypto::ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        verifier
            .verify_server_cert(
                &made.chain[0],
                &[],
                &ServerName::try_from(name.to_owned()).unwrap(),
                &[],
                UnixTime::now(),
            )
            .is_ok()
    }

    #[test]
    fn the_server_certificate_verifies_against_the_authority_for_every_name() {
        let data = tempfile::tempdir().unwrap();
        let made = SelfSigned::load_or_create(data.path(), &["nido.test".into()]).unwrap();
        for name in ["nido.test", "localhost", "127.0.0.1"] {
            assert!(made.names.iter().any(|n| n == name), "{name} is covered");
            assert!(verifies(&made, name), "{name} verifies");
        }
        assert!(!verifies(&made, "example.com"));
    }

    #[test]
    fn the_authority_is_kept_while_it_may_sign_for_every_name() {
        let data = tempfile::tempdir().unwrap();
        let first = SelfSigned::load_or_create(data.path(), &["nido.test".into()]).unwrap();
        let again = SelfSigned::load_or_create(data.path(), &["nido.test".into()]).unwrap();
        assert_eq!(again.authority.der, first.authority.der);
        assert_eq!(again.chain, first.chain, "a good certificate is kept");

        // A name under a permitted one: the same authority, a new server certificate.
        let names = ["nido.test".into(), "sala.nido.test".into()];
        let wider = SelfSigned::load_or_create(data.path(), &names).unwrap();
        assert_eq!(wider.authority.der, first.authority.der);
        assert_ne!(wider.chain, first.chain);
        assert!(verifies(&wider, "sala.nido.test"));

        // A name outside its constraints needs a new authority.
        let moved = SelfSigned::load_or_create(data.path(), &["otro.test".into()]).unwrap();
        assert_ne!(moved.authority.der, first.authority.der);
        assert!(verifies(&moved, "otro.test"));
    }

    #[test]
    fn a_stolen_authority_key_cannot_vouch_for_another_site() {
        let data = tempfile::tempdir().unwrap();
        let made = SelfSigned::load_or_create(data.path(), &["nido.test".into()]).unwrap();
        let directory = data.path().join(DIRECTORY);
        let (cert, key) = read_pair(&directory, AUTHORITY_CERT, AUTHORITY_KEY).unwrap();
        let issuer = Issuer::from_ca_cert_pem(&cert, KeyPair::from_pem(&key).unwrap()).unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let (forged, _) =
            issue_server_certificate(elsewhere.path(), &issuer, &["bank.example".into()]).unwrap();
        let forged = SelfSigned {
            chain: vec![CertificateDer::from_pem_slice(forged.as_bytes()).unwrap()],
            ..made
        };
        assert!(!verifies(&forged, "bank.example"));
    }

    #[cfg(unix)]
    #[test]
    fn keys_are_readable_by_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let data = tempfile::tempdir().unwrap();
        SelfSigned::load_or_create(data.path(), &[]).unwrap();
        for key in [AUTHORITY_KEY, SERVER_KEY] {
            let mode = std::fs::metadata(data.path().join(DIRECTORY).join(key))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{key}");
        }
    }

    #[test]
    fn the_fingerprint_reads_as_phones_show_it() {
        let der = CertificateDer::from(vec![1, 2, 3]);
        let shown = fingerprint(&der);
        assert_eq!(shown.len(), 32 * 3 - 1);
        assert!(shown.starts_with("03:90:58:C6"));
    }
}
