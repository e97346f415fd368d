//! Serves the browser app, with an `index.html` for the app's own routes (`/watch/…`): built
//! into the binary (the `embed-app` feature: compressed with brotli and gzip, with ETags), or
//! from trunk's output directory (`--dist`, for development).
//!
//! The staff's pages and making invites get the whole app (`dist/index.html`), every other
//! page the families' build (`dist/families/index.html`, see `nido_shared::app_build`) where
//! there is one: `trunk serve` builds the whole app only.

use std::convert::Infallible;
use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use nido_shared::app_build::is_whole_app_page;
use tower::{Service, ServiceExt};
use tower_http::services::ServeDir;

/// Whether this binary carries the browser app.
pub const EMBEDDED: bool = cfg!(feature = "embed-app");

/// Where the app is served from without `--dist` when it is not built in: trunk's output.
const DEFAULT_DIST: &str = "dist";
/// The whole app's page.
const WHOLE_APP_INDEX: &str = "/index.html";
/// The families' build's page, under `nido_shared::app_build::FAMILIES_BUILD_PATH`.
const FAMILIES_INDEX: &str = "/families/index.html";
/// The app's pages, each with the inline script that starts its module.
pub const APP_INDEXES: [&str; 2] = [WHOLE_APP_INDEX, FAMILIES_INDEX];

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
    let families = dist.join(FAMILIES_INDEX.trim_start_matches('/')).is_file();
    let files = ServeDir::new(dist).append_index_html_on_directories(false);
    let pages = app_route(files.clone(), families).into_service();
    Router::new().fallback_service(files.fallback(pages))
}

#[cfg(feature = "embed-app")]
fn built_in() -> Router {
    // build.rs makes sure both builds are in.
    let files: Router = memory_serve::load!()
        .index_file(None)
        .html_cache_control(memory_serve::CacheControl::NoCache)
        .into_router();
    files.clone().fallback(app_route(files, true))
}

#[cfg(not(feature = "embed-app"))]
fn built_in() -> Router {
    from_directory(Path::new(DEFAULT_DIST))
}

/// A path the app handles itself gets its build's `index.html` from `files` (the families'
/// build if `families` is there); a missing file is a 404.
fn app_route<S>(
    files: S,
    families: bool,
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
            parts.uri = Uri::from_static(index_for(parts.uri.path(), families));
            match files.oneshot(Request::from_parts(parts, body)).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        })
    }
}

/// The page of the build that has the app's route `path`.
fn index_for(path: &str, families: bool) -> &'static str {
    if families && !is_whole_app_page(path) {
        FAMILIES_INDEX
    } else {
        WHOLE_APP_INDEX
    }
}

/// App routes are words (`/camera/sala-1`); a missing `/app.js` is a real 404.
fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

#[cfg(test)]
mod tests {
    use nido_shared::app_build::FAMILIES_BUILD_PATH;

    use super::*;

    #[test]
    fn the_families_page_is_where_the_families_build_is_published() {
        assert_eq!(FAMILIES_INDEX, format!("{FAMILIES_BUILD_PATH}index.html"));
    }

    #[test]
    fn staff_pages_get_the_whole_app_and_without_a_families_build_everyone_does() {
        assert_eq!(index_for("/watch/sala-1", true), FAMILIES_INDEX);
        assert_eq!(index_for("/invite/abc", true), FAMILIES_INDEX);
        assert_eq!(index_for("/camera/sala-1", true), WHOLE_APP_INDEX);
        assert_eq!(index_for("/invites", true), WHOLE_APP_INDEX);
        assert_eq!(index_for("/admin/people", true), WHOLE_APP_INDEX);
        assert_eq!(index_for("/watch/sala-1", false), WHOLE_APP_INDEX);
    }
}
