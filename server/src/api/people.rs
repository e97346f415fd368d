//! `/api/people` (admins): everyone with an account, their role and rooms; revoking and
//! unlocking. Every change closes the sockets it affects.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::UserRole;
use nido_shared::api::{Person, PersonChanges};

use crate::auth::Authenticated;
use crate::auth::throttle::ACCOUNT_LOCK_AT;
use crate::error::AppError;
use crate::error::JsonBody;
use crate::state::AppState;
use crate::store::User;

pub async fn list_people(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Vec<Person>>, AppError> {
    auth.require_admin()?;
    let mut rooms = state.store.rooms_by_user().await?;
    let locked = state.store.locked_usernames(ACCOUNT_LOCK_AT).await?;
    let people = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|user| Person {
            rooms: rooms.remove(&user.id).unwrap_or_default(),
            locked: locked.contains(user.username.as_str()),
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            revoked: user.revoked,
            created_at_us: user.created_at_us,
        })
        .collect();
    Ok(Json(people))
}

pub async fn update_person(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<i64>,
    JsonBody(changes): JsonBody<PersonChanges>,
) -> Result<StatusCode, AppError> {
    auth.require_admin()?;
    let user = person(&state, id).await?;
    if let Some(role) = changes.role.filter(|role| *role != user.role) {
        if user.role == UserRole::Admin {
            keep_an_admin(&state, &user).await?;
        }
        state.store.set_role(id, role).await?;
        // What they may do changed: they reconnect under the new rules.
        state.sockets.revoke_user(id);
    }
    if let Some(rooms) = changes.rooms {
        state.store.set_user_rooms(id, &rooms).await?;
        state.sockets.keep_only_rooms(id, &rooms);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes an account: no more logins, every session ended, every socket closed.
pub async fn revoke_person(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    auth.require_admin()?;
    let user = person(&state, id).await?;
    if user.role == UserRole::Admin {
        keep_an_admin(&state, &user).await?;
    }
    state.store.revoke_user(id, state.clock.now_us()).await?;
    state.sockets.revoke_user(id);
    tracing::info!(user = %user.username, by = %auth.user.username, "access revoked");
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts the lock that repeated failed logins put on an account.
pub async fn unlock_person(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    auth.require_admin()?;
    let user = person(&state, id).await?;
    state
        .store
        .clear_login_failures(user.username.as_str())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn person(state: &AppState, id: i64) -> Result<User, AppError> {
    state.store.user_by_id(id).await?.ok_or(AppError::NotFound)
}

/// Refuses to demote or revoke the last admin who can still log in.
async fn keep_an_admin(state: &AppState, user: &User) -> Result<(), AppError> {
    if !user.revoked && state.store.active_admin_count().await? <= 1 {
        return Err(AppError::Conflict("Nido needs at least one admin"));
    }
    Ok(())
}
