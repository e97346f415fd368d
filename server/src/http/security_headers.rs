//! The headers answers carry: on every one `nosniff`, no referrer, HSTS over https, and
//! `Cache-Control: no-store` on the API (its answers are personal); on pages, also a
//! Content-Security-Policy that allows only what the app needs, COOP, no framing and the
//! permissions policy. Browsers apply those four to documents only, so a script or the WASM
//! module is sent without them: about 600 bytes less of each on a parent's first visit.

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::auth::Peer;
use crate::http::static_files::APP_INDEXES;
use crate::state::AppState;

/// Browsers remember for a year that this server speaks only https.
const HSTS: &str = "max-age=31536000";

/// The policy for the app served by `files`: its own scripts, plus the hash of each inline
/// script of its builds' `index.html` (trunk writes the one that starts the WASM module
/// there), WASM compilation, and connections (the API and the WebSocket) to the same origin
/// only.
pub async fn content_security_policy(files: Router) -> String {
    let mut pages = String::new();
    for index in APP_INDEXES {
        pages.push_str(&page(&files, index).await);
    }
    let hashes: String = inline_scripts(&pages)
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            let hash = base64::engine::general_purpose::STANDARD.encode(digest);
            format!(" 'sha256-{hash}'")
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self'; \
         img-src 'self' blob: data:; media-src 'self' blob: mediastream:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// The page at `path`, or nothing if there is none.
async fn page(files: &Router, path: &str) -> String {
    let request = Request::get(path)
        .body(Body::empty())
        .expect("a valid request");
    match files.clone().oneshot(request).await {
        Ok(response) if response.status().is_success() => {
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await;
            String::from_utf8_lossy(&body.unwrap_or_default()).into_owned()
        }
        _ => String::new(),
    }
}

/// The text of each `<script>` without a `src` in a page.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        (!attributes.contains("src=")).then_some(body)
    })
}

/// Adds the headers to every answer (those a handler set itself are kept).
pub async fn add_security_headers(
    State(state): State<AppState>,
    peer: Peer,
    request: Request,
    next: Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // A page, or an answer that does not say what it is: given the page policies too.
    let document = headers
        .get(header::CONTENT_TYPE)
        .is_none_or(|kind| kind.as_bytes().starts_with(b"text/html"));
    let mut set = |name: HeaderName, value: HeaderValue| {
        headers.entry(name).or_insert(value);
    };
    let everywhere = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
    ];
    for (name, value) in everywhere {
        set(name, HeaderValue::from_static(value));
    }
    if document {
        if let Ok(policy) = HeaderValue::from_str(&state.content_security_policy) {
            set(header::CONTENT_SECURITY_POLICY, policy);
        }
        let on_pages = [
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                "same-origin",
            ),
            (
                HeaderName::from_static("permissions-policy"),
                "camera=(self), microphone=(), geolocation=()",
            ),
        ];
        for (name, value) in on_pages {
            set(name, HeaderValue::from_static(value));
        }
    }
    if peer.https {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let page = r#"<head><script type="module">import init from '/a.js';</script>
            <script src="/b.js"></script><script>one()</script></head>"#;
        let found: Vec<&str> = inline_scripts(page).collect();
        assert_eq!(found, ["import init from '/a.js';", "one()"]);
    }

    #[tokio::test]
    async fn the_policy_allows_the_inline_script_by_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            "<script type=\"module\">start()</script>",
        )
        .unwrap();
        let policy =
            content_security_policy(crate::http::static_files::router(Some(dir.path()))).await;
        let digest = Sha256::digest(b"start()");
        let hash = base64::engine::general_purpose::STANDARD.encode(digest);
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
    }
}
