//! Invite links: creating, listing and revoking them (`/api/invites`), and registering
//! through one (`/api/invite/{token}`, no login needed: the token is the credential).

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum_extra::extract::cookie::CookieJar;
use nido_shared::api::{
    CreatedInvite, Invite, InvitePreview, NewInvite, Registration, SecurityEventKind,
};
use nido_shared::{DisplayName, InviteId, Problem, UserRole, Username, check_new_password};

use super::login::start_session;
use crate::auth::token::{hash_token, new_token};
use crate::auth::{Authenticated, Peer};
use crate::http::error::{AppError, JsonBody};
use crate::relay::access;
use crate::state::AppState;
use crate::store::{EventDetails, InviteRow, Inviter, NewInviteRow, NewRegistration, StoreError};

const MAX_EXPIRY_HOURS: u32 = 30 * 24;
const MAX_USES: u32 = 100;

pub async fn list_invites(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Vec<Invite>>, AppError> {
    let created_by = (auth.user.role != UserRole::Admin).then_some(auth.user.id);
    let invites = state.store.invites(created_by).await?;
    Ok(Json(invites.into_iter().map(invite).collect()))
}

pub async fn create_invite(
    State(state): State<AppState>,
    auth: Authenticated,
    peer: Peer,
    JsonBody(request): JsonBody<NewInvite>,
) -> Result<(StatusCode, Json<CreatedInvite>), AppError> {
    if !(1..=MAX_EXPIRY_HOURS).contains(&request.expires_in_hours) {
        return Err(AppError::Invalid(Problem::InviteExpiry {
            max_hours: MAX_EXPIRY_HOURS,
        }));
    }
    if !(1..=MAX_USES).contains(&request.max_uses) {
        return Err(AppError::Invalid(Problem::InviteUses { max: MAX_USES }));
    }
    if request.role == UserRole::Family && request.rooms.is_empty() {
        return Err(AppError::Invalid(Problem::FamilyNeedsRooms));
    }
    let inviter = &auth.user;
    let own_rooms = state.store.rooms_of_user(inviter.id).await?;
    let offering = Inviter {
        role: inviter.role,
        revoked: inviter.revoked,
        relative: inviter.household_head.is_some(),
        rooms: own_rooms.into_iter().map(|room| room.slug).collect(),
    };
    if !access::may_offer_invite(&offering, request.role, &request.rooms) {
        return Err(AppError::Forbidden);
    }
    let now = state.clock.now();
    let place_limit = match inviter.role {
        UserRole::Family => Some(state.store.family_invite_limit().await?),
        _ => None,
    };
    let (token, token_hash) = new_token();
    let row = NewInviteRow {
        token_hash: &token_hash,
        role: request.role,
        rooms: &request.rooms,
        created_by: inviter.id,
        creator_role: inviter.role,
        expires_at_us: now + Duration::from_secs(u64::from(request.expires_in_hours) * 60 * 60),
        max_uses: request.max_uses,
        place_limit,
    };
    let id = match state.store.create_invite(&row, now).await {
        Err(StoreError::NotFound) => Err(AppError::Invalid(Problem::NoSuchRoom)),
        Err(StoreError::LimitReached) => Err(AppError::Forbidden),
        other => other.map_err(AppError::from),
    }?;
    let created = state.store.invite(id).await?.ok_or(AppError::NotFound)?;
    let details = EventDetails {
        actor_id: Some(inviter.id),
        role: Some(created.role),
        rooms: &created.rooms,
        amount: Some(i64::from(created.max_uses)),
        ..EventDetails::default()
    };
    state
        .record_event(SecurityEventKind::InviteCreated, details, &peer.addr())
        .await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            invite: invite(created),
            url: state
                .config
                .public_url
                .as_ref()
                .map(|public| format!("{}/invite/{token}", public.origin)),
            path: format!("/invite/{token}"),
        }),
    ))
}

/// Revokes an invite: its creator or an admin.
pub async fn revoke_invite(
    State(state): State<AppState>,
    auth: Authenticated,
    peer: Peer,
    Path(id): Path<InviteId>,
) -> Result<StatusCode, AppError> {
    let found = state.store.invite(id).await?.ok_or(AppError::NotFound)?;
    if auth.user.role != UserRole::Admin && found.created_by != auth.user.id {
        return Err(AppError::NotFound);
    }
    state.store.revoke_invite(id, state.clock.now()).await?;
    let details = EventDetails {
        actor_id: Some(auth.user.id),
        amount: Some(id.get()),
        ..EventDetails::default()
    };
    state
        .record_event(SecurityEventKind::InviteRevoked, details, &peer.addr())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// What the invite page shows: the role, rooms and who invited.
pub async fn preview_invite(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InvitePreview>, AppError> {
    let found = usable_invite(&state, &token).await?;
    Ok(Json(InvitePreview {
        role: found.role,
        room_names: found.room_names,
        invited_by: found.created_by_name,
        expires_at_us: found.expires_at_us,
    }))
}

/// Creates the account the invite offers and logs it in.
pub async fn register(
    State(state): State<AppState>,
    peer: Peer,
    jar: CookieJar,
    Path(token): Path<String>,
    JsonBody(registration): JsonBody<Registration>,
) -> Result<(StatusCode, CookieJar), AppError> {
    let username = Username::try_from(registration.username).map_err(Problem::from)?;
    let display_name = DisplayName::try_from(registration.display_name).map_err(Problem::from)?;
    check_new_password(&registration.password).map_err(Problem::from)?;
    usable_invite(&state, &token).await?;
    let password_hash = state
        .passwords
        .hash(&registration.password, peer.ip)
        .await?;
    let token_hash = hash_token(&token);
    let new = NewRegistration {
        token_hash: &token_hash,
        username: &username,
        display_name: &display_name,
        password_hash: &password_hash,
    };
    let now = state.clock.now();
    let user_id = match state
        .store
        .register_with_invite(&new, now, access::invite_still_valid)
        .await
    {
        Err(StoreError::NotFound) => Err(AppError::InviteUnavailable),
        Err(StoreError::Conflict) => Err(AppError::Conflict(Problem::UsernameTaken)),
        other => other.map_err(AppError::from),
    }?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tracing::info!(user = %user.username, "registered with an invite");
    let jar = start_session(&state, &user, peer, jar).await?;
    Ok((StatusCode::CREATED, jar))
}

/// The invite with this token: 404 if there is none, 410 if it can no longer be used.
async fn usable_invite(state: &AppState, token: &str) -> Result<InviteRow, AppError> {
    let found = state
        .store
        .invite_by_token_hash(&hash_token(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if found.usable(state.clock.now()) {
        Ok(found)
    } else {
        Err(AppError::InviteUnavailable)
    }
}

fn invite(row: InviteRow) -> Invite {
    Invite {
        id: row.id,
        role: row.role,
        rooms: row.rooms,
        created_by: row.created_by_name,
        created_at_us: row.created_at_us,
        expires_at_us: row.expires_at_us,
        max_uses: row.max_uses,
        uses: row.uses,
        revoked: row.revoked,
    }
}
