//! `/api/people` (admins): everyone with an account, their role and rooms, and who invited
//! them; revoking and unlocking. Every change closes the sockets it affects and revokes the
//! person's open invites for what they lost.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::api::{Person, PersonChanges, SecurityEventKind};
use nido_shared::{Problem, UserId};

use crate::auth::throttle::ACCOUNT_LOCK_AT;
use crate::auth::{Admin, Authenticated, Peer};
use crate::http::error::AppError;
use crate::http::error::JsonBody;
use crate::relay::access;
use crate::state::AppState;
use crate::store::{EventDetails, StoreError, User};

pub async fn list_people(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<Person>>, AppError> {
    let mut rooms = state.store.rooms_by_user().await?;
    let locked = state.store.locked_usernames(ACCOUNT_LOCK_AT).await?;
    let users = state.store.users().await?;
    let names: HashMap<UserId, _> = users
        .iter()
        .map(|user| (user.id, user.display_name.clone()))
        .collect();
    let people = users
        .into_iter()
        .map(|user| Person {
            rooms: rooms.remove(&user.id).unwrap_or_default(),
            locked: locked.contains(user.username.as_str()),
            invited_by: user.invited_by.and_then(|id| names.get(&id).cloned()),
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            revoked: user.revoked,
            created_at_us: user.created_at_us,
            second_factor: user.second_factor,
        })
        .collect();
    Ok(Json(people))
}

pub async fn update_person(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<UserId>,
    JsonBody(changes): JsonBody<PersonChanges>,
) -> Result<StatusCode, AppError> {
    let user = person(&state, id).await?;
    let new_role = changes.role.filter(|role| *role != user.role);
    if let Some(role) = new_role {
        state.store.set_role(id, role).await.map_err(last_admin)?;
        // What they may do changed: they reconnect under the new rules.
        state.sockets.revoke_user(id);
    }
    if let Some(rooms) = &changes.rooms {
        let now = state.clock.now();
        state.store.set_user_rooms(id, rooms, now).await?;
        state.sockets.keep_only_rooms(id, rooms);
    }
    revoke_lost_invites(&state, id).await?;
    let details = EventDetails {
        role: new_role,
        rooms: changes.rooms.as_deref().unwrap_or_default(),
        ..about(&auth, &user)
    };
    state
        .record_event(SecurityEventKind::PersonChanged, details, &peer.addr())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes an account: no more logins, every session ended, every socket closed, every
/// open invite revoked.
pub async fn revoke_person(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<UserId>,
) -> Result<StatusCode, AppError> {
    let user = person(&state, id).await?;
    state
        .store
        .revoke_user(id, state.clock.now())
        .await
        .map_err(last_admin)?;
    state.sockets.revoke_user(id);
    revoke_lost_invites(&state, id).await?;
    tracing::info!(user = %user.username, by = %auth.user.username, "access revoked");
    let details = about(&auth, &user);
    state
        .record_event(SecurityEventKind::PersonRevoked, details, &peer.addr())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Lifts the lock that repeated failed logins put on an account.
pub async fn unlock_person(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<UserId>,
) -> Result<StatusCode, AppError> {
    let user = person(&state, id).await?;
    state
        .store
        .clear_login_failures(user.username.as_str())
        .await?;
    let details = about(&auth, &user);
    state
        .record_event(SecurityEventKind::PersonUnlocked, details, &peer.addr())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// An event by this admin about this person.
fn about<'a>(auth: &Authenticated, user: &'a User) -> EventDetails<'a> {
    EventDetails {
        actor_id: Some(auth.user.id),
        account: Some(user.username.as_str()),
        ..EventDetails::default()
    }
}

async fn person(state: &AppState, id: UserId) -> Result<User, AppError> {
    state.store.user_by_id(id).await?.ok_or(AppError::NotFound)
}

/// Revokes the person's open invites that offer more than they have now. Registering
/// checks the same again, so an invite used in between is refused all the same.
async fn revoke_lost_invites(state: &AppState, id: UserId) -> Result<(), AppError> {
    let now = state.clock.now();
    Ok(state
        .store
        .revoke_lost_invites(id, now, access::invite_still_valid)
        .await?)
}

fn last_admin(error: StoreError) -> AppError {
    match error {
        StoreError::LastAdmin => AppError::Conflict(Problem::LastAdmin),
        other => other.into(),
    }
}
