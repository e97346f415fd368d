//! `POST /api/login` and `POST /api/logout`.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum_extra::extract::cookie::CookieJar;
use nido_shared::api::{LoginRequest, SecurityEventKind};
use nido_shared::{Timestamp, Username};

use super::second_factor::check_login_code;
use crate::auth::current_user::session_end;
use crate::auth::throttle::{self, ACCOUNT, ACCOUNT_LOCK_AT, DEVICE, DEVICE_DISTRUST_AT};
use crate::auth::token::{hash_token, new_token};
use crate::auth::{Peer, SignedIn, cookies};
use crate::http::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::store::{DeviceRecord, EventDetails, FailureCount, User};

/// How long a browser stays trusted after a successful login (see `throttle`).
const DEVICE_TRUST: Duration = Duration::from_secs(180 * 24 * 60 * 60);

/// Checks the password, within the throttling limits, and starts a session.
pub async fn log_in(
    State(state): State<AppState>,
    peer: Peer,
    jar: CookieJar,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<(StatusCode, CookieJar), AppError> {
    // First of all: a place in the password queue, so that a flood costs nothing more.
    let place = state.passwords.reserve(peer.ip)?;
    let key = throttle::username_key(&request.username);
    let Some(_attempt) = state.throttle.begin(&key) else {
        return Err(AppError::TooManyAttempts {
            retry_after: Duration::from_secs(1),
        });
    };
    let now = state.clock.now();
    let store = &state.store;
    let user = match Username::try_from(key.clone()) {
        Ok(username) => store.user_by_username(&username).await?,
        Err(_) => None,
    };
    let device_token = cookies::read(&jar, cookies::DEVICE, peer.https);
    let device_hash = device_token.as_deref().map(hash_token);
    let trusted_since = now - DEVICE_TRUST;
    let device = match (&device_hash, &user) {
        (Some(hash), Some(user)) => store
            .trusted_device(hash, trusted_since)
            .await?
            .filter(|device| device.user_id == user.id),
        _ => None,
    };

    // A trusted device has its own count; everyone else is counted per username and address.
    if let Some(device) = device {
        wait_for(DEVICE.wait(device_failures(device), now))?;
    } else {
        wait_for(state.throttle.address_wait(peer.ip, now))?;
        let failures = store.login_failures(&key).await?;
        if failures.failures >= ACCOUNT_LOCK_AT {
            wait_for(Some(ACCOUNT.max_delay))?;
        }
        wait_for(ACCOUNT.wait(failures, now))?;
    }

    let usable = user.as_ref().filter(|user| !user.revoked);
    let hash = usable.map(|user| user.password_hash.as_str());
    let correct = state
        .passwords
        .verify(place, &request.password, hash)
        .await?;
    let failed = Failure {
        key: &key,
        device,
        device_hash: device_hash.as_ref(),
        peer,
        now,
    };
    let (Some(user), true) = (usable, correct) else {
        failed.record(&state).await?;
        return Err(AppError::InvalidCredentials);
    };
    // The password is right; an account with two-step sign-in also needs its code, and a
    // wrong code counts as a failed login.
    if user.second_factor {
        let Some(code) = request.code.as_deref() else {
            return Err(AppError::SecondFactorNeeded);
        };
        if !check_login_code(&state, user, code, peer).await? {
            failed.record(&state).await?;
            return Err(AppError::WrongSecondFactor);
        }
    }

    store.clear_login_failures(&key).await?;
    let mut jar = start_session(&state, user, peer, jar).await?;
    match (device, device_hash) {
        (Some(_), Some(hash)) => store.clear_device_failures(&hash).await?,
        _ => {
            let (token, hash) = new_token();
            store.add_trusted_device(&hash, user.id, now).await?;
            jar = jar.add(cookies::build(
                cookies::DEVICE,
                token,
                peer.https,
                DEVICE_TRUST,
            ));
        }
    }
    tracing::info!(user = %user.username, "logged in");
    Ok((StatusCode::NO_CONTENT, jar))
}

/// Creates a session for someone whose password was just checked and sets its cookie,
/// ending the session this browser had before (whoever's it was) and its sockets.
pub async fn start_session(
    state: &AppState,
    user: &User,
    peer: Peer,
    jar: CookieJar,
) -> Result<CookieJar, AppError> {
    if let Some(old) = cookies::read(&jar, cookies::SESSION, peer.https) {
        let ended = state
            .store
            .delete_session_by_token(&hash_token(&old))
            .await?;
        state.sockets.end_sessions(ended.as_slice());
    }
    let now = state.clock.now();
    let expires_at = session_end(state, now, now);
    let (token, hash) = new_token();
    state
        .store
        .create_session(&hash, user.id, now, expires_at)
        .await?;
    Ok(jar.add(cookies::build(
        cookies::SESSION,
        token,
        peer.https,
        expires_at.saturating_duration_since(now),
    )))
}

/// Ends this session and closes its sockets.
pub async fn log_out(
    State(state): State<AppState>,
    peer: Peer,
    SignedIn { auth, .. }: SignedIn,
    jar: CookieJar,
) -> Result<(StatusCode, CookieJar), AppError> {
    state.store.delete_session(auth.session_id).await?;
    state.sockets.end_sessions(&[auth.session_id]);
    Ok((
        StatusCode::NO_CONTENT,
        cookies::remove(jar, cookies::SESSION, peer.https),
    ))
}

/// A failed login, counted where its throttle counts it and recorded as a security event.
struct Failure<'a> {
    key: &'a str,
    device: Option<DeviceRecord>,
    device_hash: Option<&'a [u8; 32]>,
    peer: Peer,
    now: Timestamp,
}

impl Failure<'_> {
    async fn record(&self, state: &AppState) -> Result<(), AppError> {
        let store = &state.store;
        state.metrics.auth_failure();
        match (self.device, self.device_hash) {
            (Some(device), Some(hash)) if device.failures + 1 >= DEVICE_DISTRUST_AT => {
                store.delete_trusted_device(hash).await?;
            }
            (Some(_), Some(hash)) => store.record_device_failure(hash, self.now).await?,
            _ => {
                store.record_login_failure(self.key, self.now).await?;
                state
                    .throttle
                    .record_address_failure(self.peer.ip, self.now);
            }
        }
        let tried = EventDetails {
            account: Some(self.key),
            ..EventDetails::default()
        };
        state
            .record_event(SecurityEventKind::LoginFailed, tried, &self.peer.addr())
            .await;
        Ok(())
    }
}

fn wait_for(wait: Option<Duration>) -> Result<(), AppError> {
    match wait {
        Some(retry_after) => Err(AppError::TooManyAttempts { retry_after }),
        None => Ok(()),
    }
}

fn device_failures(device: DeviceRecord) -> FailureCount {
    FailureCount {
        failures: device.failures,
        last_failure_us: device.last_failure_us,
    }
}
