//! `/api/audit` and `/api/audit.csv` (admins): the viewing sessions, filtered.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use nido_shared::api::{AuditEntry, AuditFilter};

use crate::auth::Admin;
use crate::error::{AppError, QueryParams};
use crate::hours::ViewingHours;
use crate::state::AppState;

/// Most rows one answer holds; narrow the filter for older ones.
const MAX_ROWS: u32 = 5_000;

pub async fn list_audit(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<AuditFilter>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    let rows = state.store.audit(&filter, MAX_ROWS).await?;
    Ok(Json(rows))
}

/// The same rows as CSV, times in the daycare's time zone.
pub async fn export_audit_csv(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<AuditFilter>,
) -> Result<Response, AppError> {
    let rows = state.store.audit(&filter, MAX_ROWS).await?;
    let csv = to_csv(&rows, &state.hours).map_err(|error| AppError::Internal(error.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"nido-audit.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

fn to_csv(rows: &[AuditEntry], hours: &ViewingHours) -> Result<Vec<u8>, csv::Error> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record([
        "username", "name", "room", "role", "address", "started", "ended",
    ])?;
    let time = |us: i64| {
        Timestamp::from_microsecond(us)
            .map(|at| {
                at.to_zoned_datetime(hours.zone().clone())
                    .strftime("%Y-%m-%dT%H:%M:%S%:z")
                    .to_string()
            })
            .unwrap_or_default()
    };
    for row in rows {
        writer.write_record([
            &inert(row.username.as_str()),
            &inert(row.display_name.as_str()),
            row.room.as_str(),
            row.role.as_str(),
            &row.client_addr,
            &time(row.started_at_us),
            &row.ended_at_us.map(time).unwrap_or_default(),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|error| error.into_error().into())
}

/// A name as a spreadsheet cell that is never a formula: people choose their display names,
/// and "=HYPERLINK(…)" must stay text when an admin opens the export.
fn inert(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}
