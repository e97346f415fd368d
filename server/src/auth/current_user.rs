//! Who is logged in: a middleware that reads the session cookie, checks the session and
//! slides its expiry, and the [`SignedIn`], [`Authenticated`] and [`Admin`] extractors
//! handlers ask for.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use std::time::Duration;

use nido_shared::{Timestamp, UserRole};

use super::cookies;
use super::peer::Peer;
use super::token::hash_token;
use crate::http::error::AppError;
use crate::state::AppState;
use crate::store::{SessionId, User};

/// How often, at most, a session's expiry is pushed back (one write per hour of use).
const SLIDE_EVERY: Duration = Duration::from_secs(60 * 60);

/// A request with a valid session, fit for anything its person may do: every handler
/// but the person's own account page asks for this. Staff who must still set up two-step
/// sign-in get 403 `second_factor_setup_needed` instead.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub session_id: SessionId,
    pub expires_at: Timestamp,
    pub user: User,
}

/// A request with a valid session that may still owe two-step sign-in's setup: for the
/// handlers that let someone set it up (their account, logging out).
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub auth: Authenticated,
    pub second_factor_setup_needed: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or(AppError::Unauthenticated)
    }
}

/// A request by a logged-in admin. Every admin-only handler takes this instead of
/// [`Authenticated`], so the check is in its signature and cannot be forgotten: anyone
/// else gets 403 (401 without a session) before the handler runs.
#[derive(Debug, Clone)]
pub struct Admin(pub Authenticated);

impl<S: Send + Sync> FromRequestParts<S> for Admin {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let auth = <Authenticated as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        if auth.user.role == UserRole::Admin {
            Ok(Self(auth))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if signed_in.second_factor_setup_needed {
            return Err(AppError::SecondFactorSetupNeeded);
        }
        Ok(signed_in.auth)
    }
}

/// When a session used now expires: its idle lifetime from now, but never later than its
/// absolute lifetime from when it began.
pub fn session_end(state: &AppState, created_at: Timestamp, now: Timestamp) -> Timestamp {
    let idle_end = now + state.config.session_lifetime();
    idle_end.min(created_at + state.config.session_max_lifetime())
}

/// Attaches [`Authenticated`] to requests with a valid session cookie and slides the
/// session's expiry, renewing the cookie, at most once an hour.
pub async fn authenticate(
    State(state): State<AppState>,
    peer: Peer,
    jar: CookieJar,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(token) = cookies::read(&jar, cookies::SESSION, peer.https) else {
        return next.run(request).await;
    };
    let now = state.clock.now();
    let session = match state.store.session(&hash_token(&token), now).await {
        Ok(Some(session)) => session,
        Ok(None) => return next.run(request).await,
        Err(error) => return AppError::from(error).into_response(),
    };
    let lifetime = state.config.session_lifetime();
    let mut expires_at = session.expires_at_us;
    let latest = session_end(&state, session.created_at_us, now);
    let slide = expires_at < latest
        && expires_at.saturating_duration_since(now) < lifetime.saturating_sub(SLIDE_EVERY);
    if slide {
        expires_at = latest;
        if let Err(error) = state.store.extend_session(session.id, expires_at).await {
            return AppError::from(error).into_response();
        }
    }
    // Whose request it is, in every log line of it (the request's span has the field).
    tracing::Span::current().record("user", session.user.username.as_str());
    request.extensions_mut().insert(SignedIn {
        auth: Authenticated {
            session_id: session.id,
            expires_at,
            user: session.user,
        },
        second_factor_setup_needed: session.second_factor_setup_needed,
    });
    let response = next.run(request).await;
    let replaces_session_cookie = response
        .headers()
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .any(|value| value.to_str().is_ok_and(|v| v.contains(cookies::SESSION)));
    if slide && !replaces_session_cookie {
        let max_age = expires_at.saturating_duration_since(now);
        let renewed = cookies::build(cookies::SESSION, token, peer.https, max_age);
        return (jar.add(renewed), response).into_response();
    }
    response
}
