//! Nido's own https (`--tls-self-signed`), seen by a client that trusts the local authority
//! and nothing else: the login cookie becomes `__Host-` and `Secure`, and the authority's
//! certificate is offered for devices to install. Plain http to the https port gets nothing.

mod common;

use std::sync::Arc;

use common::*;
use nido_shared::UserRole;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore, crypto};

const HOST: &str = "nido.test";

/// One HTTP/1.1 request over TLS to `HOST`, checked against the authority alone: the whole
/// response, head and body.
async fn https_request(server: &TestServer, request: &str) -> Vec<u8> {
    let authority = CertificateDer::from_pem_file(server.data_dir().join("tls/authority.pem"))
        .expect("the authority's certificate");
    let mut roots = RootCertStore::empty();
    roots.add(authority).unwrap();
    let config = ClientConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let tcp = TcpStream::connect(server.addr).await.unwrap();
    let mut tls = TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from(HOST).unwrap(), tcp)
        .await
        .expect("the handshake verifies against the local authority");
    tls.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tls.read_to_end(&mut response).await.unwrap();
    response
}

fn head_and_body(response: &[u8]) -> (String, &[u8]) {
    let split = response
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("a complete head");
    (
        String::from_utf8_lossy(&response[..split]).to_ascii_lowercase(),
        &response[split + 4..],
    )
}

#[tokio::test]
async fn over_its_own_https_the_login_cookie_is_secure_and_the_authority_is_offered() {
    let server = TestServer::start_with(|config| {
        config.tls_self_signed = true;
        config.tls_host = vec![HOST.to_owned()];
    })
    .await;
    let (_, username) = server
        .create_person(UserRole::Family, "Mamá de Leo", &["sala-1"])
        .await;

    let body = format!(r#"{{"username":"{username}","password":"{PASSWORD}"}}"#);
    let login = https_request(
        &server,
        &format!(
            "POST /api/login HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
    .await;
    let (head, _) = head_and_body(&login);
    assert!(head.starts_with("http/1.1 204"), "{head}");
    let cookie = head
        .lines()
        .find(|line| line.starts_with("set-cookie: __host-nido_session="))
        .unwrap_or_else(|| panic!("a __Host- session cookie in {head}"));
    assert!(cookie.contains("; secure"), "{cookie}");

    let download = https_request(
        &server,
        &format!("GET /nido-ca.crt HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"),
    )
    .await;
    let (head, der) = head_and_body(&download);
    assert!(
        head.contains("content-type: application/x-x509-ca-cert"),
        "{head}"
    );
    let pem = std::fs::read(server.data_dir().join("tls/authority.pem")).unwrap();
    assert_eq!(der, CertificateDer::from_pem_slice(&pem).unwrap().as_ref());
}

#[tokio::test]
async fn plain_http_to_the_https_port_gets_no_page() {
    let server = TestServer::start_with(|config| config.tls_self_signed = true).await;
    let answer = reqwest::get(server.url("/healthz")).await;
    assert!(answer.is_err(), "{answer:?}");
}
