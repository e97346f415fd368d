//! The JSON API under `/api` that the app's pages use (described in `docs/api.md`).

mod account;
mod audit;
mod children;
mod invites;
mod login;
mod people;
mod rooms;
mod second_factor;
mod settings;
mod threads;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};

use crate::auth::Peer;
use crate::http::error::AppError;
use crate::state::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/login", post(login::log_in))
        .route("/logout", post(login::log_out))
        .route("/me", get(account::me))
        .route("/me/password", post(account::change_password))
        .route("/me/second-factor/setup", post(second_factor::begin_setup))
        .route(
            "/me/second-factor/confirm",
            post(second_factor::confirm_setup),
        )
        .route("/me/second-factor/off", post(second_factor::turn_off))
        .route(
            "/people/{id}/reset-second-factor",
            post(second_factor::reset),
        )
        .route("/rooms", get(rooms::list_rooms).post(rooms::create_room))
        .route(
            "/rooms/{id}",
            patch(rooms::update_room).delete(rooms::delete_room),
        )
        .route("/rooms/{room}/families", get(threads::list_families))
        .route(
            "/rooms/{room}/threads/{thread}/guests/{guest}",
            put(threads::add_thread_guest).delete(threads::remove_thread_guest),
        )
        .route(
            "/children",
            get(children::list_children).post(children::create_child),
        )
        .route(
            "/children/{id}",
            patch(children::update_child).delete(children::delete_child),
        )
        .route("/children/{id}/attendance", post(children::mark_attendance))
        .route(
            "/children/{id}/stays",
            get(children::list_stays).post(children::add_stay),
        )
        .route(
            "/children/{id}/stays/{stay}",
            put(children::correct_stay).delete(children::delete_stay),
        )
        .route("/people", get(people::list_people))
        .route("/people/{id}", patch(people::update_person))
        .route("/people/{id}/revoke", post(people::revoke_person))
        .route("/people/{id}/unlock", post(people::unlock_person))
        .route(
            "/invites",
            get(invites::list_invites).post(invites::create_invite),
        )
        .route("/invites/{id}", delete(invites::revoke_invite))
        .route("/invite/{token}", get(invites::preview_invite))
        .route("/invite/{token}/register", post(invites::register))
        .route("/audit", get(audit::list_audit))
        .route("/audit.csv", get(audit::export_audit_csv))
        .route("/audit/events", get(audit::list_security_events))
        .route("/audit/events.csv", get(audit::export_security_events_csv))
        .route(
            "/settings",
            get(settings::get_settings).patch(settings::update_settings),
        )
        .fallback(|| async { AppError::NotFound })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            same_origin_only,
        ))
}

/// Refuses requests that change something when they come from another site's page, on top
/// of the SameSite=Strict cookie.
async fn same_origin_only(
    State(state): State<AppState>,
    peer: Peer,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe && !state.origins.permits(request.headers(), peer.https) {
        return AppError::ForeignOrigin.into_response();
    }
    next.run(request).await
}
