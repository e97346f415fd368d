//! The optional plain-http listener (`--http-redirect`): it serves nothing itself and sends
//! every request to the same path over https, at the name it asked for when that is one
//! Nido serves, and at Nido's main name otherwise: never to a name the request made up.

use axum::Router;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::http::served_hosts::ServedHosts;

/// Redirects until `shutdown` is cancelled; `main_name` is where a request for a name
/// Nido does not serve is sent.
pub async fn serve_redirects(
    listener: TcpListener,
    https_port: u16,
    hosts: Arc<ServedHosts>,
    main_name: String,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new().fallback(move |headers: HeaderMap, uri: Uri| {
        let target = Target {
            https_port,
            hosts: hosts.clone(),
            main_name: main_name.clone(),
        };
        async move { target.redirect(&headers, &uri) }
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

struct Target {
    https_port: u16,
    hosts: Arc<ServedHosts>,
    main_name: String,
}

impl Target {
    fn redirect(&self, headers: &HeaderMap, uri: &Uri) -> Response {
        let asked = headers
            .get(header::HOST)
            .and_then(|value| value.to_str().ok())
            .filter(|host| self.hosts.serves(host))
            .and_then(|value| value.parse::<Authority>().ok());
        let host = asked
            .as_ref()
            .map_or(self.main_name.as_str(), |authority| authority.host());
        let authority = match self.https_port {
            443 => host.to_owned(),
            port => format!("{host}:{port}"),
        };
        let path = uri.path_and_query().map_or("/", |path| path.as_str());
        Redirect::permanent(&format!("https://{authority}{path}")).into_response()
    }
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::infra::config::Config;

    fn location(host: Option<&str>, uri: &str, port: u16) -> (StatusCode, Option<String>) {
        let mut config = Config::with_defaults();
        config.public_url = Some("https://nido.local".parse().unwrap());
        config.listen = "192.168.1.20:443".parse().unwrap();
        let target = Target {
            https_port: port,
            hosts: Arc::new(ServedHosts::new(&config, None)),
            main_name: "nido.local".into(),
        };
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, host.parse().unwrap());
        }
        let response = target.redirect(&headers, &uri.parse().unwrap());
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        (response.status(), location)
    }

    #[test]
    fn a_served_name_keeps_its_name_and_path_over_https() {
        assert_eq!(
            location(Some("nido.local:8080"), "/watch/sala-1?x=1", 8443),
            (
                StatusCode::PERMANENT_REDIRECT,
                Some("https://nido.local:8443/watch/sala-1?x=1".into())
            )
        );
        assert_eq!(
            location(Some("192.168.1.20"), "/", 443).1,
            Some("https://192.168.1.20/".into())
        );
        assert_eq!(
            location(Some("[::1]:80"), "/login", 8443).1,
            Some("https://[::1]:8443/login".into())
        );
    }

    #[test]
    fn any_other_name_goes_to_the_main_one() {
        for host in [Some("evil.example"), None, Some("bad host/x")] {
            assert_eq!(
                location(host, "/login", 443).1,
                Some("https://nido.local/login".into()),
                "{host:?}"
            );
        }
    }
}
