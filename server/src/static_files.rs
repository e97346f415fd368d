//! Serves the built browser app, with `index.html` for the app's own routes (`/watch/…`).

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::handler::HandlerWithoutStateExt;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

pub fn router(dist: &Path) -> Router {
    let index = dist.join("index.html");
    let app_route = move |request: Request| {
        let index = index.clone();
        async move {
            if looks_like_a_file(request.uri().path()) {
                return StatusCode::NOT_FOUND.into_response();
            }
            match ServeFile::new(index).oneshot(request).await {
                Ok(response) => response.into_response(),
                Err(never) => match never {},
            }
        }
    };
    Router::new().fallback_service(ServeDir::new(dist).fallback(app_route.into_service()))
}

/// App routes are words (`/camera/sala-1`); a missing `/app.js` is a real 404.
fn looks_like_a_file(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}
