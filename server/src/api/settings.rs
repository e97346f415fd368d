//! `/api/settings` (admins): the family invite limit, and the time zone for reference.

use axum::Json;
use axum::extract::State;
use nido_shared::api::Settings;

use crate::auth::Admin;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;

pub async fn get_settings(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Settings>, AppError> {
    Ok(Json(current(&state).await?))
}

pub async fn update_settings(
    State(state): State<AppState>,
    _: Admin,
    JsonBody(settings): JsonBody<Settings>,
) -> Result<Json<Settings>, AppError> {
    if settings.family_invite_limit > 100 {
        return Err(AppError::InvalidInput(
            "families may invite at most 100 people each".into(),
        ));
    }
    state
        .store
        .set_family_invite_limit(settings.family_invite_limit)
        .await?;
    Ok(Json(current(&state).await?))
}

async fn current(state: &AppState) -> Result<Settings, AppError> {
    Ok(Settings {
        family_invite_limit: state.store.family_invite_limit().await?,
        time_zone: state.hours.zone_name(),
    })
}
