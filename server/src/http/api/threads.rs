//! The private threads' side of `/api/rooms/{room}`: its family accounts, for the staff to
//! write to one or add one to another's thread (`families`), and adding a family account to
//! another's thread (a relative, the other parent) or taking it off
//! (`threads/{thread}/guests/{guest}`). Each such change is a change of the room's policy, so
//! every node's hub lets the guest read the thread, or stops sending it the thread, at once;
//! each is in the security log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::api::{RoomFamily, SecurityEventKind};
use nido_shared::{RoomId, UserId, UserRole};

use crate::auth::{Authenticated, Peer};
use crate::http::error::AppError;
use crate::relay::room_policy::ThreadGuest;
use crate::state::AppState;
use crate::store::{EventDetails, PolicyChange};

/// The room's family accounts, each with the threads the staff added it to.
pub async fn list_families(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(room): Path<RoomId>,
) -> Result<Json<Vec<RoomFamily>>, AppError> {
    staff_of_room(&state, &auth, &room).await?;
    let guests = state
        .store
        .room(&room)
        .await?
        .map(|row| row.policy.thread_guests)
        .unwrap_or_default();
    let families = state.store.families_of_room(&room).await?;
    Ok(Json(
        families
            .into_iter()
            .map(|(id, name)| RoomFamily {
                id,
                name,
                guest_of: guests
                    .iter()
                    .filter(|guest| guest.guest == id)
                    .map(|guest| guest.thread)
                    .collect(),
            })
            .collect(),
    ))
}

pub async fn add_thread_guest(
    State(state): State<AppState>,
    auth: Authenticated,
    peer: Peer,
    Path((room, thread, guest)): Path<(RoomId, UserId, UserId)>,
) -> Result<StatusCode, AppError> {
    let guest = checked_guest(&state, &auth, &room, thread, guest).await?;
    let change = state
        .store
        .add_thread_guest(&room, guest, auth.user.id, state.clock.now())
        .await?;
    changed(&state, &auth, &peer, &change, guest, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove_thread_guest(
    State(state): State<AppState>,
    auth: Authenticated,
    peer: Peer,
    Path((room, thread, guest)): Path<(RoomId, UserId, UserId)>,
) -> Result<StatusCode, AppError> {
    let guest = checked_guest(&state, &auth, &room, thread, guest).await?;
    let change = state.store.remove_thread_guest(&room, guest).await?;
    changed(&state, &auth, &peer, &change, guest, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The guest, once the asker is the room's staff and the thread's account and the guest
/// are two family accounts of the room; anything else is a 404 (nothing to learn from it).
async fn checked_guest(
    state: &AppState,
    auth: &Authenticated,
    room: &RoomId,
    thread: UserId,
    guest: UserId,
) -> Result<ThreadGuest, AppError> {
    staff_of_room(state, auth, room).await?;
    if thread == guest {
        return Err(AppError::NotFound);
    }
    let store = &state.store;
    for account in [thread, guest] {
        let family = store
            .user_by_id(account)
            .await?
            .is_some_and(|user| user.role == UserRole::Family);
        if !family || !store.is_member(account, room).await? {
            return Err(AppError::NotFound);
        }
    }
    Ok(ThreadGuest { thread, guest })
}

/// An admin, or a caregiver given the room; anyone else is told the room does not exist.
async fn staff_of_room(
    state: &AppState,
    auth: &Authenticated,
    room: &RoomId,
) -> Result<(), AppError> {
    let store = &state.store;
    let staff = match auth.user.role {
        UserRole::Admin => store.room(room).await?.is_some(),
        UserRole::Caregiver => store.is_member(auth.user.id, room).await?,
        UserRole::Family => false,
    };
    staff.then_some(()).ok_or(AppError::NotFound)
}

/// Offers the room's new policy to the hub, and records who was added or taken off.
async fn changed(
    state: &AppState,
    auth: &Authenticated,
    peer: &Peer,
    (room, policy): &PolicyChange,
    guest: ThreadGuest,
    added: bool,
) -> Result<(), AppError> {
    state.hub.offer_policy(room, policy.clone());
    let guest_account = state.store.user_by_id(guest.guest).await?;
    let details = EventDetails {
        actor_id: Some(auth.user.id),
        account: guest_account.as_ref().map(|user| user.username.as_str()),
        room: Some(room),
        amount: Some(i64::from(added)),
        ..EventDetails::default()
    };
    state
        .record_event(SecurityEventKind::ThreadGuestChanged, details, &peer.addr())
        .await;
    Ok(())
}
