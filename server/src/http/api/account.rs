//! `GET /api/me` and `POST /api/me/password`: the logged-in person's own account.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use nido_shared::api::{Me, PasswordChange, RoomSummary};
use nido_shared::{Problem, UserRole, check_new_password};

use super::second_factor::second_factor_state;
use crate::auth::throttle::ACCOUNT;
use crate::auth::{Peer, SignedIn};
use crate::http::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::store::{RoomRow, User};

pub async fn me(State(state): State<AppState>, signed_in: SignedIn) -> Result<Json<Me>, AppError> {
    let second_factor = second_factor_state(&state, &signed_in).await?;
    let user = signed_in.auth.user;
    // Until staff set up two-step sign-in the admins require, no room is theirs to open.
    let rooms = match user.role {
        _ if signed_in.second_factor_setup_needed => Vec::new(),
        UserRole::Admin => state.store.rooms().await?,
        _ => state.store.rooms_of_user(user.id).await?,
    };
    let invites_left = match user.role {
        // A relative invites no one: only the household's head does.
        UserRole::Family if user.household_head.is_some() => Some(0),
        UserRole::Family => {
            let limit = state.store.family_invite_limit().await?;
            let used = state
                .store
                .invite_places_used(user.id, state.clock.now())
                .await?;
            Some(limit.saturating_sub(used))
        }
        _ => None,
    };
    let day_start = state.hours.day_start(state.clock.now());
    let children = match user.role {
        UserRole::Family => rooms
            .iter()
            .flat_map(|room| room.policy.days_of(user.id, day_start))
            .collect(),
        _ => Vec::new(),
    };
    Ok(Json(Me {
        id: user.id,
        children,
        rooms: rooms
            .into_iter()
            .map(|room| room_summary(&state, room))
            .collect(),
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        invites_left,
        second_factor,
        secure_address: state
            .config
            .public_url
            .as_ref()
            .map(|url| url.origin.clone())
            .filter(|origin| origin.starts_with("https://")),
    }))
}

/// A room with whether it is open to families right now.
pub fn room_summary(state: &AppState, room: RoomRow) -> RoomSummary {
    let schedule = room.policy.schedule;
    let hours = state.hours.at(&schedule, state.clock.now());
    RoomSummary {
        id: room.slug,
        name: room.name,
        schedule,
        open_now: hours.open,
        opens_at: hours.opens_at,
        attendance_required: room.policy.attendance_required,
        watermark: room.policy.watermark,
    }
}

/// Checks the logged-in person's password again before a change that needs it; guessing
/// it with a stolen session is throttled like a login.
pub async fn check_current_password(
    state: &AppState,
    user: &User,
    peer: Peer,
    password: &str,
) -> Result<(), AppError> {
    let key = user.username.as_str();
    let now = state.clock.now();
    if let Some(retry_after) = ACCOUNT.wait(state.store.login_failures(key).await?, now) {
        return Err(AppError::TooManyAttempts { retry_after });
    }
    let place = state.passwords.reserve(peer.ip)?;
    let correct = state
        .passwords
        .verify(place, password, Some(&user.password_hash))
        .await?;
    if !correct {
        state.store.record_login_failure(key, now).await?;
        return Err(AppError::Invalid(Problem::WrongCurrentPassword));
    }
    Ok(())
}

/// Changes the password after checking the current one, and ends every other session.
pub async fn change_password(
    State(state): State<AppState>,
    SignedIn { auth, .. }: SignedIn,
    peer: Peer,
    JsonBody(change): JsonBody<PasswordChange>,
) -> Result<StatusCode, AppError> {
    check_new_password(&change.new_password).map_err(Problem::from)?;
    let user = &auth.user;
    check_current_password(&state, user, peer, &change.current_password).await?;
    let hash = state.passwords.hash(&change.new_password, peer.ip).await?;
    state.store.set_password_hash(user.id, &hash).await?;
    let ended = state
        .store
        .delete_other_sessions(user.id, auth.session_id)
        .await?;
    state.sockets.end_sessions(&ended);
    // A thief who knew the old password may have made their browser a trusted one.
    state.store.forget_trusted_devices(user.id).await?;
    tracing::info!(user = %user.username, ended = ended.len(), "password changed");
    Ok(StatusCode::NO_CONTENT)
}
