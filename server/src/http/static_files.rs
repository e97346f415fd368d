//! Serves the browser app, with `index.html` for the app's own routes (`/watch/…`): built
//! into the binary (the `embed-app` feature: compressed with brotli and gzip, with ETags), or
//! from trunk's output directory (`--dist`, for development).

use std::convert::Infallible;
use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use tower::{Service, ServiceExt};
use tower_http::services::{ServeDir, ServeFile};

/// Whether this binary carries the browser app.
pub const EMBEDDED: bool = cfg!(feature = "embed-app");

/// Where the app is served from without `--dist` when it is not built in: trunk's output.
const DEFAULT_DIST: &str = "dist";

/// The app from `dist`, or the built-in one (else `./dist`) when there is no `dist`.
pub fn router(dist: Option<&Path>) -> Router {
    match dist {
        Some(dist) => from_directory(dist),
        None => built_in(),
    }
}

/// Whether the app's `index.html` can be found where it will be served from.
pub fn app_is_present(dist: Option<&Path>) -> bool {
    match dist {
        Some(dist) => dist.join("index.html").is_file(),
        None => EMBEDDED || Path::new(DEFAULT_DIST).join("index.html").is_file(),
    }
}

fn from_directory(dist: &Path) -> Router {
    let index = ServeFile::new(dist.join("index.html"));
    Router::new().fallback_service(ServeDir::new(dist).fallback(app_route(index).into_service()))
}

#[cfg(feature = "embed-app")]
fn built_in() -> Router {
    let files: Router = memory_serve::load!()
        .index_file(Some("/index.html"))
        .html_cache_control(memory_serve::CacheControl::NoCache)
        .into_router();
    files.clone().fallback(app_route(files))
}

#[cfg(not(feature = "embed-app"))]
fn built_in() -> Router {
    from_directory(Path::new(DEFAULT_DIST))
}

/// A path the app handles itself gets `index.html` from `files`; a missing file is a 404.
fn app_route<S>(
    files: S,
) -> impl Fn(Request) -> std::pin::Pin<Box<dyn Future<Output = Response> + Send>> + Clone + Send + 'static
where
    S: Service<Request, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send,
{
    move |request: Request| {
        let files = files.clone();
        Box::pin(async move {
            if looks_like_a_file(request.uri().path()) {
                return StatusCode::NOT_FOUND.into_response();
            }
            let (mut parts, body) = request.into_parts();
            parts.uri = Uri::from_static("/index.html");
            match files.oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        })
    }
}

/// App routes are words (`/camera/sala-1`); a missing `/app.js` is a real 404.
fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}
