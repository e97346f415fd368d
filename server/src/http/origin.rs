//! Which page origins may open the WebSocket and call the API: the server's own (scheme,
//! host and port, as the request reached it), plus a configured allow-list.
//!
//! Browsers always send `Origin` on a WebSocket upgrade, so checking it stops another site's
//! page from joining a room with the visitor's browser (cross-site WebSocket hijacking).
//! Clients that are not browsers send no `Origin` and are not affected by this check.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    allowed: Vec<String>,
}

impl OriginPolicy {
    pub fn new(allowed: &[String]) -> Self {
        Self {
            allowed: allowed.iter().map(|o| normalize(o)).collect(),
        }
    }

    /// Whether a request with these headers, which reached Nido over https or not, may
    /// proceed.
    pub fn permits(&self, headers: &HeaderMap, https: bool) -> bool {
        let Some(origin) = headers.get(ORIGIN) else {
            return true;
        };
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = normalize(origin);
        if self.allowed.contains(&origin) {
            return true;
        }
        let scheme = if https { "https://" } else { "http://" };
        let host = headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_ascii_lowercase);
        matches!((origin.strip_prefix(scheme), host), (Some(a), Some(h)) if a == h)
    }
}

fn normalize(origin: &str) -> String {
    origin.trim().trim_end_matches('/').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(origin: Option<&str>, host: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn same_origin_is_allowed() {
        let policy = OriginPolicy::new(&[]);
        assert!(policy.permits(
            &headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"),
            false
        ));
        assert!(policy.permits(&headers(Some("https://Nido.Local"), "nido.local"), true));
    }

    #[test]
    fn foreign_origins_are_refused() {
        let policy = OriginPolicy::new(&[]);
        for origin in [
            "http://evil.test",
            "null",
            "http://127.0.0.1:9999",
            "ftp://127.0.0.1:8080",
        ] {
            assert!(
                !policy.permits(&headers(Some(origin), "127.0.0.1:8080"), false),
                "{origin}"
            );
        }
    }

    #[test]
    fn the_scheme_is_part_of_the_origin() {
        let policy = OriginPolicy::new(&[]);
        let plain_page = headers(Some("http://nido.local"), "nido.local");
        assert!(!policy.permits(&plain_page, true));
        let secure_page = headers(Some("https://nido.local"), "nido.local");
        assert!(!policy.permits(&secure_page, false));
    }

    #[test]
    fn allow_list_admits_configured_origins() {
        let policy = OriginPolicy::new(&["http://127.0.0.1:8081/".to_owned()]);
        assert!(policy.permits(
            &headers(Some("http://127.0.0.1:8081"), "127.0.0.1:8080"),
            false
        ));
        assert!(!policy.permits(
            &headers(Some("http://127.0.0.1:8082"), "127.0.0.1:8080"),
            false
        ));
    }

    #[test]
    fn requests_without_origin_are_not_from_browsers() {
        assert!(OriginPolicy::new(&[]).permits(&headers(None, "127.0.0.1:8080"), false));
    }
}
