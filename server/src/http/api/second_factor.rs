//! `/api/me/second-factor`: setting up, confirming and turning off two-step sign-in, the
//! login's code check, and an admin's reset for someone who lost their phone.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::Problem;
use nido_shared::UserId;
use nido_shared::api::{
    PasswordConfirmation, RecoveryCodes, SecondFactorCode, SecondFactorSetup, SecondFactorState,
    SecurityEventKind,
};

use super::account::check_current_password;
use crate::auth::second_factor::{
    enrollment, matching_step, new_recovery_codes, new_secret, recovery_code_hash,
};
use crate::auth::{Admin, Peer, SignedIn};
use crate::http::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::store::{EventDetails, User};

/// The person's two-step sign-in, as `GET /api/me` reports it.
pub async fn second_factor_state(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<SecondFactorState, AppError> {
    let user = &signed_in.auth.user;
    let record = state.store.second_factor(user.id).await?;
    let required = user.role.is_staff() && state.store.staff_second_factor().await?;
    Ok(SecondFactorState {
        enabled: record.secret.is_some(),
        required,
        recovery_codes_left: u32::try_from(record.recovery_codes_left).unwrap_or(0),
    })
}

/// A new secret to scan; two-step sign-in starts only once a code from it is confirmed.
pub async fn begin_setup(
    State(state): State<AppState>,
    SignedIn { auth, .. }: SignedIn,
) -> Result<Json<SecondFactorSetup>, AppError> {
    let user = &auth.user;
    let secret = new_secret();
    state
        .store
        .set_pending_second_factor(user.id, &secret)
        .await?;
    let (secret, otpauth_url, qr_svg) = enrollment(&secret, user.username.as_str());
    Ok(Json(SecondFactorSetup {
        secret,
        otpauth_url,
        qr_svg,
    }))
}

/// Puts the scanned secret in force once a code from it proves the app has it, and
/// answers the recovery codes (shown this once).
pub async fn confirm_setup(
    State(state): State<AppState>,
    SignedIn { auth, .. }: SignedIn,
    peer: Peer,
    JsonBody(confirmation): JsonBody<SecondFactorCode>,
) -> Result<Json<RecoveryCodes>, AppError> {
    let user = &auth.user;
    let record = state.store.second_factor(user.id).await?;
    let pending = record
        .pending_secret
        .ok_or(AppError::Invalid(Problem::WrongCode))?;
    let step = matching_step(&pending, &confirmation.code, now_secs(&state), 0)
        .ok_or(AppError::Invalid(Problem::WrongCode))?;
    let codes = new_recovery_codes();
    let hashes: Vec<[u8; 32]> = codes.iter().map(|code| recovery_code_hash(code)).collect();
    let enabled = state
        .store
        .enable_second_factor(user.id, &pending, step, &hashes)
        .await?;
    if !enabled {
        return Err(AppError::Invalid(Problem::WrongCode));
    }
    state
        .record_event(
            SecurityEventKind::SecondFactorEnabled,
            about(user, user.id),
            &peer.addr(),
        )
        .await;
    tracing::info!(user = %user.username, "two-step sign-in turned on");
    Ok(Json(RecoveryCodes { codes }))
}

/// Turns two-step sign-in off, with the password; not for staff while the admins require it.
pub async fn turn_off(
    State(state): State<AppState>,
    SignedIn { auth, .. }: SignedIn,
    peer: Peer,
    JsonBody(confirmation): JsonBody<PasswordConfirmation>,
) -> Result<StatusCode, AppError> {
    let user = &auth.user;
    if user.role.is_staff() && state.store.staff_second_factor().await? {
        return Err(AppError::Conflict(Problem::SecondFactorRequired));
    }
    check_current_password(&state, user, peer, &confirmation.current_password).await?;
    state.store.disable_second_factor(user.id).await?;
    state
        .record_event(
            SecurityEventKind::SecondFactorDisabled,
            about(user, user.id),
            &peer.addr(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// An admin turns someone's two-step sign-in off (a lost phone and lost recovery codes)
/// and ends their sessions; if the admins require it, they set it up again at next login.
pub async fn reset(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<UserId>,
) -> Result<StatusCode, AppError> {
    let person = state
        .store
        .user_by_id(id)
        .await?
        .ok_or(AppError::NotFound)?;
    state.store.disable_second_factor(person.id).await?;
    let ended = state.store.delete_sessions_of(person.id).await?;
    state.sockets.end_sessions(&ended);
    state
        .record_event(
            SecurityEventKind::SecondFactorDisabled,
            about(&person, auth.user.id),
            &peer.addr(),
        )
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Checks the code given at login: an authenticator code of a time step not used before,
/// or an unused recovery code (which is then spent, and the event recorded).
pub async fn check_login_code(
    state: &AppState,
    user: &User,
    code: &str,
    peer: Peer,
) -> Result<bool, AppError> {
    let record = state.store.second_factor(user.id).await?;
    let Some(secret) = record.secret else {
        return Ok(true);
    };
    let last_step = u64::try_from(record.last_step).unwrap_or(0);
    if let Some(step) = matching_step(&secret, code, now_secs(state), last_step) {
        return Ok(state.store.use_totp_step(user.id, step).await?);
    }
    let hash = recovery_code_hash(code);
    let Some(left) = state
        .store
        .use_recovery_code(user.id, &hash, state.clock.now())
        .await?
    else {
        return Ok(false);
    };
    let details = EventDetails {
        amount: Some(left),
        ..about(user, user.id)
    };
    state
        .record_event(SecurityEventKind::RecoveryCodeUsed, details, &peer.addr())
        .await;
    Ok(true)
}

fn about(person: &User, actor_id: UserId) -> EventDetails<'_> {
    EventDetails {
        actor_id: Some(actor_id),
        account: Some(person.username.as_str()),
        ..EventDetails::default()
    }
}

fn now_secs(state: &AppState) -> u64 {
    state.clock.now().as_secs()
}
