//! The names Nido answers to. A request whose `Host` is not one of them is refused with 421
//! before anything else: a page on another site whose name was made to point at this
//! machine (DNS rebinding) reaches nothing, and nothing is built from a `Host` an attacker
//! chose.

use std::collections::HashSet;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::infra::config::Config;
use crate::infra::tls::{Tls, machine_names};
use crate::state::AppState;

#[derive(Debug, Clone)]
pub struct ServedHosts {
    names: HashSet<String>,
}

impl ServedHosts {
    /// Loopback, this machine's names and addresses, the certificate's names, the public
    /// address and the extra allowed origins.
    pub fn new(config: &Config, tls: Option<&Tls>) -> Self {
        let mut names: HashSet<String> = ["localhost", "127.0.0.1", "::1"]
            .into_iter()
            .map(str::to_owned)
            .collect();
        names.extend(machine_names(&config.tls_host));
        names.extend(tls.iter().flat_map(|tls| tls.names.iter().cloned()));
        names.extend(config.public_url.iter().map(|url| url.host.clone()));
        names.extend(config.allowed_origin.iter().filter_map(|origin| {
            let uri: axum::http::Uri = origin.parse().ok()?;
            Some(uri.host()?.to_ascii_lowercase())
        }));
        names.insert(config.listen.ip().to_string());
        Self { names }
    }

    /// Whether a `Host` header (name or address, with or without a port) is one of ours.
    pub fn serves(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        let name = match host.strip_prefix('[') {
            Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
            None => host
                .rsplit_once(':')
                .map_or(host.as_str(), |(name, _)| name),
        };
        self.names.contains(name.trim_end_matches('.'))
    }
}

/// Refuses requests for a host Nido does not serve.
pub async fn refuse_foreign_hosts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    match host {
        Some(host) if state.served_hosts.serves(host) => next.run(request).await,
        Some(_) => (
            StatusCode::MISDIRECTED_REQUEST,
            "this server does not answer to that name",
        )
            .into_response(),
        None => (StatusCode::BAD_REQUEST, "the request has no Host header").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_with_or_without_a_port() {
        let mut config = Config::with_defaults();
        config.public_url = Some("https://nido.example.org".parse().unwrap());
        let hosts = ServedHosts::new(&config, None);
        for host in [
            "localhost:8080",
            "127.0.0.1",
            "[::1]:8443",
            "NIDO.example.org",
            "nido.example.org.",
        ] {
            assert!(hosts.serves(host), "{host}");
        }
        for host in ["evil.example", "nido.example.org.evil.example", "[::2]", ""] {
            assert!(!hosts.serves(host), "{host}");
        }
    }
}
