//! The optional plain-http listener (`--http-redirect`): it serves nothing itself and sends
//! every request to the same host and path over https.

use axum::Router;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Redirects until `shutdown` is cancelled.
pub async fn serve_redirects(
    listener: TcpListener,
    https_port: u16,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let app = Router::new().fallback(move |headers: HeaderMap, uri: Uri| async move {
        to_https(&headers, &uri, https_port)
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown.cancelled_owned())
        .await
}

fn to_https(headers: &HeaderMap, uri: &Uri, https_port: u16) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<Authority>().ok());
    let Some(host) = host else {
        return (
            StatusCode::BAD_REQUEST,
            "this address only redirects to https, which needs the request's Host header",
        )
            .into_response();
    };
    let host = host.host();
    let authority = match https_port {
        443 => host.to_owned(),
        port => format!("{host}:{port}"),
    };
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    Redirect::permanent(&format!("https://{authority}{path}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn location(host: Option<&str>, uri: &str, port: u16) -> (StatusCode, Option<String>) {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(header::HOST, host.parse().unwrap());
        }
        let response = to_https(&headers, &uri.parse().unwrap(), port);
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        (response.status(), location)
    }

    #[test]
    fn the_same_host_and_path_over_https() {
        assert_eq!(
            location(Some("nido.local:8080"), "/watch/sala-1?x=1", 8443),
            (
                StatusCode::PERMANENT_REDIRECT,
                Some("https://nido.local:8443/watch/sala-1?x=1".into())
            )
        );
        assert_eq!(
            location(Some("192.168.1.20"), "/", 443),
            (
                StatusCode::PERMANENT_REDIRECT,
                Some("https://192.168.1.20/".into())
            )
        );
        assert_eq!(
            location(Some("[fe80::1]:80"), "/login", 8443).1,
            Some("https://[fe80::1]:8443/login".into())
        );
    }

    #[test]
    fn no_usable_host_is_a_bad_request() {
        assert_eq!(location(None, "/", 443), (StatusCode::BAD_REQUEST, None));
        assert_eq!(
            location(Some("bad host/x"), "/", 443),
            (StatusCode::BAD_REQUEST, None)
        );
    }
}
