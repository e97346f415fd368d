//! `/api/settings` (admins): the family invite limit, and the time zone for reference.

use axum::Json;
use axum::extract::State;
use nido_shared::api::{SecurityEventKind, Settings};
use nido_shared::limits::MAX_FAMILY_INVITE_LIMIT;
use nido_shared::{Problem, UserId};

use crate::auth::{Admin, Peer};
use crate::http::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::store::EventDetails;

pub async fn get_settings(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Settings>, AppError> {
    Ok(Json(current(&state).await?))
}

pub async fn update_settings(
    State(state): State<AppState>,
    Admin(auth): Admin,
    peer: Peer,
    JsonBody(settings): JsonBody<Settings>,
) -> Result<Json<Settings>, AppError> {
    if settings.family_invite_limit > MAX_FAMILY_INVITE_LIMIT {
        return Err(AppError::Invalid(Problem::InviteLimitTooHigh {
            max: MAX_FAMILY_INVITE_LIMIT,
        }));
    }
    // An admin who required it without having it would lock themselves out of the admin pages.
    if settings.staff_second_factor && !auth.user.second_factor {
        return Err(AppError::Invalid(Problem::OwnSecondFactorFirst));
    }
    let store = &state.store;
    store
        .set_family_invite_limit(settings.family_invite_limit)
        .await?;
    if settings.staff_second_factor != store.staff_second_factor().await? {
        store
            .set_staff_second_factor(settings.staff_second_factor)
            .await?;
        if settings.staff_second_factor {
            // Staff streaming or chatting without it stop now, and set it up at their next page.
            let owing: Vec<UserId> = store
                .users()
                .await?
                .into_iter()
                .filter(|user| user.role.is_staff() && !user.second_factor)
                .map(|user| user.id)
                .collect();
            state.sockets.end_users(&owing);
        }
        let details = EventDetails {
            actor_id: Some(auth.user.id),
            amount: Some(i64::from(settings.staff_second_factor)),
            ..EventDetails::default()
        };
        state
            .record_event(SecurityEventKind::SettingsChanged, details, &peer.addr())
            .await;
    }
    Ok(Json(current(&state).await?))
}

async fn current(state: &AppState) -> Result<Settings, AppError> {
    Ok(Settings {
        family_invite_limit: state.store.family_invite_limit().await?,
        staff_second_factor: state.store.staff_second_factor().await?,
        time_zone: state.hours.zone_name(),
    })
}
