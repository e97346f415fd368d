//! `/api/children`: the children of the daycare and their attendance. Admins add, change
//! and remove children and correct a day's record (each in the security log); caregivers
//! see their rooms' children and check them in and out; a family sees only its own
//! children and their day. Every change is offered to the hub at once, so where a room ties
//! viewing to attendance, a family's picture starts or stops within the moment.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::api::SecurityEventKind;
use nido_shared::attendance::{AttendanceMark, Child, ChildChanges, NewChild, Stay, StayTimes};
use nido_shared::{ChildId, Problem, RoomId, StayId, Timestamp, UserRole};
use serde::Deserialize;

use crate::auth::{Admin, Authenticated, Peer};
use crate::http::error::{AppError, JsonBody, QueryParams};
use crate::relay::room_policy::ChildStay;
use crate::state::AppState;
use crate::store::{ChildScope, EventDetails, PolicyChange};

const CHILD_CHANGED: SecurityEventKind = SecurityEventKind::ChildChanged;
const CORRECTED: SecurityEventKind = SecurityEventKind::AttendanceCorrected;

/// Which day's stays to list: `?day=2026-12-07`, in the daycare's time zone (today if
/// absent).
#[derive(Debug, Default, Deserialize)]
pub struct DayQuery {
    #[serde(default)]
    day: Option<String>,
}

pub async fn list_children(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Vec<Child>>, AppError> {
    let user = &auth.user;
    let scope = match user.role {
        UserRole::Admin => ChildScope::Everyone,
        UserRole::Caregiver => ChildScope::RoomsOf(user.id),
        UserRole::Family => ChildScope::FamilyOf(user.id),
    };
    let day_start = state.hours.day_start(state.clock.now());
    let staff = user.role != UserRole::Family;
    let children = state.store.children(scope).await?;
    Ok(Json(
        children
            .into_iter()
            .map(|(room, child)| shown(room, child, day_start, staff))
            .collect(),
    ))
}

pub async fn create_child(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    JsonBody(new): JsonBody<NewChild>,
) -> Result<(StatusCode, Json<Child>), AppError> {
    let (id, change) = state
        .store
        .create_child(&new.name, &new.room, &new.families, state.clock.now())
        .await?;
    changed(&state, &auth, &peer, CHILD_CHANGED, &change, id.get()).await;
    Ok((StatusCode::CREATED, Json(child(&state, id).await?)))
}

pub async fn update_child(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<ChildId>,
    JsonBody(changes): JsonBody<ChildChanges>,
) -> Result<Json<Child>, AppError> {
    let changes_made = state
        .store
        .update_child(
            id,
            changes.name.as_ref(),
            changes.room.as_ref(),
            changes.families.as_deref(),
        )
        .await?;
    for change in &changes_made {
        changed(&state, &auth, &peer, CHILD_CHANGED, change, id.get()).await;
    }
    Ok(Json(child(&state, id).await?))
}

pub async fn delete_child(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<ChildId>,
) -> Result<StatusCode, AppError> {
    let change = state.store.delete_child(id).await?;
    changed(&state, &auth, &peer, CHILD_CHANGED, &change, id.get()).await;
    Ok(StatusCode::NO_CONTENT)
}

/// A caregiver's (or an admin's) tap: check-in, check-out or undo.
pub async fn mark_attendance(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<ChildId>,
    JsonBody(mark): JsonBody<AttendanceMark>,
) -> Result<Json<Child>, AppError> {
    staff_of_child(&state, &auth, id).await?;
    let now = state.clock.now();
    let change = state
        .store
        .mark_attendance(
            id,
            mark.action,
            auth.user.id,
            now,
            state.hours.day_start(now),
        )
        .await?;
    offer(&state, &change);
    Ok(Json(child(&state, id).await?))
}

/// A child's stays of one day, for the room's staff.
pub async fn list_stays(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<ChildId>,
    QueryParams(query): QueryParams<DayQuery>,
) -> Result<Json<Vec<Stay>>, AppError> {
    staff_of_child(&state, &auth, id).await?;
    let (from, to) = day_bounds(&state, query.day.as_deref())?;
    Ok(Json(state.store.stays(id, from, to).await?))
}

/// An admin adds a stay the caregivers forgot.
pub async fn add_stay(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<ChildId>,
    JsonBody(times): JsonBody<StayTimes>,
) -> Result<(StatusCode, Json<Stay>), AppError> {
    check_times(&state, times)?;
    let (stay, change) = state.store.correct_stay(id, None, Some(times)).await?;
    let stay = stay.ok_or(AppError::NotFound)?;
    changed(&state, &auth, &peer, CORRECTED, &change, stay.id.get()).await;
    Ok((StatusCode::CREATED, Json(stay)))
}

/// An admin corrects a stay's times.
pub async fn correct_stay(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path((id, stay)): Path<(ChildId, StayId)>,
    JsonBody(times): JsonBody<StayTimes>,
) -> Result<Json<Stay>, AppError> {
    check_times(&state, times)?;
    let (corrected_stay, change) = state
        .store
        .correct_stay(id, Some(stay), Some(times))
        .await?;
    changed(&state, &auth, &peer, CORRECTED, &change, stay.get()).await;
    corrected_stay.map(Json).ok_or(AppError::NotFound)
}

/// An admin removes a stay recorded by mistake.
pub async fn delete_stay(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path((id, stay)): Path<(ChildId, StayId)>,
) -> Result<StatusCode, AppError> {
    let (_, change) = state.store.correct_stay(id, Some(stay), None).await?;
    changed(&state, &auth, &peer, CORRECTED, &change, stay.get()).await;
    Ok(StatusCode::NO_CONTENT)
}

/// A child as this person may see them: a family is not shown who else is linked.
fn shown(room: RoomId, child: ChildStay, day_start: Timestamp, staff: bool) -> Child {
    let today = child.today(day_start);
    Child {
        checked_in_at: today.checked_in_at,
        checked_out_at: today.checked_out_at,
        id: child.id,
        name: child.name,
        room,
        families: if staff { child.families } else { Vec::new() },
    }
}

/// A child as staff see them now.
async fn child(state: &AppState, id: ChildId) -> Result<Child, AppError> {
    let (room, child) = state.store.child(id).await?;
    let day_start = state.hours.day_start(state.clock.now());
    Ok(shown(room, child, day_start, true))
}

/// An admin, or a caregiver given the child's room; anyone else is told the child does not
/// exist.
async fn staff_of_child(
    state: &AppState,
    auth: &Authenticated,
    id: ChildId,
) -> Result<(), AppError> {
    let (room, _) = state.store.child(id).await?;
    let allowed = match auth.user.role {
        UserRole::Admin => true,
        UserRole::Caregiver => state.store.is_member(auth.user.id, &room).await?,
        UserRole::Family => false,
    };
    allowed.then_some(()).ok_or(AppError::NotFound)
}

/// The start and end of a day (`2026-12-07`) in the daycare's time zone; today if none.
fn day_bounds(state: &AppState, day: Option<&str>) -> Result<(Timestamp, Timestamp), AppError> {
    let from = match day {
        None => state.hours.day_start(state.clock.now()),
        Some(day) => {
            let malformed = || AppError::Malformed(format!("day {day:?} is not YYYY-MM-DD"));
            let date: jiff::civil::Date = day.parse().map_err(|_| malformed())?;
            state.hours.start_of(date).ok_or_else(malformed)?
        }
    };
    // Past the longest day a clock change makes, then back to its midnight.
    let to = state
        .hours
        .day_start(from + std::time::Duration::from_secs(26 * 3600));
    Ok((from, to))
}

/// A stay's times make sense: the check-out after the check-in, neither in the future.
fn check_times(state: &AppState, times: StayTimes) -> Result<(), AppError> {
    let now = state.clock.now();
    let ordered = times
        .checked_out_at
        .is_none_or(|out| out >= times.checked_in_at);
    let past = times.checked_in_at <= now && times.checked_out_at.is_none_or(|out| out <= now);
    if ordered && past {
        Ok(())
    } else {
        Err(AppError::Invalid(Problem::StayTimes))
    }
}

/// Gives the hub a room's new policy.
fn offer(state: &AppState, (room, policy): &PolicyChange) {
    state.hub.offer_policy(room, policy.clone());
}

/// An admin's change of a room's children or their stays: offered to the hub and recorded
/// (`amount`: the child's or the stay's id).
async fn changed(
    state: &AppState,
    auth: &Authenticated,
    peer: &Peer,
    kind: SecurityEventKind,
    change: &PolicyChange,
    amount: i64,
) {
    offer(state, change);
    let details = EventDetails {
        actor_id: Some(auth.user.id),
        room: Some(&change.0),
        amount: Some(amount),
        ..EventDetails::default()
    };
    state.record_event(kind, details, &peer.addr()).await;
}
