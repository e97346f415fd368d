//! `/api/rooms`: everyone lists their rooms; admins create, rename, reschedule and delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use nido_shared::api::{NewRoom, RoomChanges, RoomSummary, SecurityEventKind};
use nido_shared::limits::MAX_ROOM_NAME_CHARS;
use nido_shared::{Problem, RoomId, UserRole};

use super::account::room_summary;
use crate::auth::{Admin, Authenticated, Peer};
use crate::http::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::store::{EventDetails, NewRoomRow, StoreError};

pub async fn list_rooms(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Json<Vec<RoomSummary>>, AppError> {
    let rooms = match auth.user.role {
        UserRole::Admin => state.store.rooms().await?,
        _ => state.store.rooms_of_user(auth.user.id).await?,
    };
    Ok(Json(
        rooms
            .into_iter()
            .map(|room| room_summary(&state, room))
            .collect(),
    ))
}

pub async fn create_room(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    JsonBody(room): JsonBody<NewRoom>,
) -> Result<(StatusCode, Json<RoomSummary>), AppError> {
    let name = room_name(&room.name)?;
    let new = NewRoomRow {
        slug: &room.id,
        name: &name,
        schedule: room.schedule,
    };
    let created = match state.store.create_room(&new, state.clock.now()).await {
        Err(StoreError::Conflict) => Err(AppError::Conflict(Problem::RoomIdTaken)),
        other => other.map_err(AppError::from),
    }?;
    state
        .hub
        .offer_policy(&created.slug, created.policy.clone());
    let details = in_room(&auth, &created.slug);
    state
        .record_event(SecurityEventKind::RoomCreated, details, &peer.addr())
        .await;
    Ok((StatusCode::CREATED, Json(room_summary(&state, created))))
}

pub async fn update_room(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<String>,
    JsonBody(changes): JsonBody<RoomChanges>,
) -> Result<Json<RoomSummary>, AppError> {
    let id = room_id(id)?;
    if let Some(name) = &changes.name {
        state.store.rename_room(&id, &room_name(name)?).await?;
        let details = in_room(&auth, &id);
        state
            .record_event(SecurityEventKind::RoomRenamed, details, &peer.addr())
            .await;
    }
    if let Some(schedule) = &changes.schedule {
        let policy = state.store.set_schedule(&id, schedule).await?;
        state.hub.offer_policy(&id, policy);
        let details = in_room(&auth, &id);
        state
            .record_event(SecurityEventKind::HoursChanged, details, &peer.addr())
            .await;
    }
    let options = [
        (changes.attendance_required, RoomOption::Attendance),
        (changes.watermark, RoomOption::Watermark),
    ];
    for (on, option) in options {
        let Some(on) = on else { continue };
        let policy = match option {
            RoomOption::Attendance => state.store.set_attendance_required(&id, on).await?,
            RoomOption::Watermark => state.store.set_watermark(&id, on).await?,
        };
        state.hub.offer_policy(&id, policy);
        let details = EventDetails {
            amount: Some(i64::from(on)),
            ..in_room(&auth, &id)
        };
        state
            .record_event(option.event(), details, &peer.addr())
            .await;
    }
    let room = state.store.room(&id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(room_summary(&state, room)))
}

pub async fn delete_room(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = room_id(id)?;
    state.store.delete_room(&id).await?;
    state.sockets.close_room(&id);
    let details = in_room(&auth, &id);
    state
        .record_event(SecurityEventKind::RoomDeleted, details, &peer.addr())
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The options a room's policy has beside its hours and pause.
#[derive(Clone, Copy)]
enum RoomOption {
    Attendance,
    Watermark,
}

impl RoomOption {
    fn event(self) -> SecurityEventKind {
        match self {
            Self::Attendance => SecurityEventKind::AttendanceRuleChanged,
            Self::Watermark => SecurityEventKind::WatermarkChanged,
        }
    }
}

/// An event by this admin about this room.
fn in_room<'a>(auth: &Authenticated, room: &'a RoomId) -> EventDetails<'a> {
    EventDetails {
        actor_id: Some(auth.user.id),
        room: Some(room),
        ..EventDetails::default()
    }
}

/// A room id from a path, or 404 (a malformed id names no room).
pub fn room_id(id: String) -> Result<RoomId, AppError> {
    RoomId::try_from(id).map_err(|_| AppError::NotFound)
}

fn room_name(name: &str) -> Result<String, AppError> {
    let name = name.trim();
    let chars = name.chars().count();
    if (1..=MAX_ROOM_NAME_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
        Ok(name.to_owned())
    } else {
        Err(AppError::Invalid(Problem::RoomNameLength {
            max: MAX_ROOM_NAME_CHARS,
        }))
    }
}
