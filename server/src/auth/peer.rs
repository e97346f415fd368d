//! Who is on the other end of a request: the client's address and whether it came over
//! https, either to Nido's own https listener or, through a configured trusted proxy, as
//! `X-Forwarded-For` and `X-Forwarded-Proto` say. Those headers are believed from that
//! proxy only; anyone else could write anything there.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderMap;
use axum::http::request::Parts;

use crate::state::AppState;

/// The client as far as the server can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    pub ip: IpAddr,
    pub https: bool,
}

impl FromRequestParts<AppState> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let remote = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::from([0, 0, 0, 0]), |info| info.0.ip());
        Ok(peer(
            remote,
            &parts.headers,
            &state.config.trusted_proxy,
            state.tls.is_some(),
        ))
    }
}

impl Peer {
    /// The client's address as the logs and the audit log write it.
    pub fn addr(&self) -> String {
        self.ip.to_string()
    }
}

/// `direct_https`: the connection itself is https (Nido's own listener).
///
/// Addresses are canonical: an IPv4 client reaching a `[::]` listener arrives as
/// `::ffff:a.b.c.d`, and is counted, throttled and compared as `a.b.c.d`.
fn peer(remote: IpAddr, headers: &HeaderMap, trusted: &[IpAddr], direct_https: bool) -> Peer {
    let remote = remote.to_canonical();
    let trusted: Vec<IpAddr> = trusted.iter().map(IpAddr::to_canonical).collect();
    if !trusted.contains(&remote) {
        return Peer {
            ip: remote,
            https: direct_https,
        };
    }
    // The rightmost address the trusted proxies did not add is the client's.
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .map(|ip| ip.to_canonical())
        .collect::<Vec<_>>();
    let ip = forwarded
        .iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .copied()
        .unwrap_or(remote);
    let https = direct_https
        || headers
            .get("x-forwarded-proto")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    Peer { ip, https }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap()))
            .collect()
    }

    #[test]
    fn ipv4_mapped_addresses_are_plain_ipv4() {
        let mapped: IpAddr = "::ffff:192.168.1.30".parse().unwrap();
        let plain: IpAddr = "192.168.1.30".parse().unwrap();
        assert_eq!(peer(mapped, &HeaderMap::new(), &[], false).ip, plain);
        // A proxy configured as IPv4, reaching a `[::]` listener, is still trusted.
        let proxy_mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let sent = headers(&[("x-forwarded-for", "::ffff:198.51.100.7")]);
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        assert_eq!(
            peer(proxy_mapped, &sent, &[proxy], false).ip,
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn forwarded_headers_are_ignored_without_a_trusted_proxy() {
        let remote: IpAddr = "203.0.113.9".parse().unwrap();
        let sent = headers(&[
            ("x-forwarded-for", "10.0.0.1"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            peer(remote, &sent, &[], false),
            Peer {
                ip: remote,
                https: false
            }
        );
    }

    #[test]
    fn nidos_own_https_is_https_whoever_connects() {
        let remote: IpAddr = "192.168.1.30".parse().unwrap();
        let sent = headers(&[("x-forwarded-proto", "http")]);
        assert_eq!(
            peer(remote, &sent, &[], true),
            Peer {
                ip: remote,
                https: true
            }
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let sent = headers(&[
            ("x-forwarded-for", "6.6.6.6, 198.51.100.7"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            peer(proxy, &sent, &[proxy], false),
            Peer {
                ip: "198.51.100.7".parse().unwrap(),
                https: true
            }
        );
    }
}
