//! The audit log (admins): viewing sessions (`/api/audit`, `/api/audit.csv`) and security
//! events (`/api/audit/events`, `/api/audit/events.csv`), filtered. The CSV files open
//! as they should in a spreadsheet set to Spanish or English: UTF-8 with a byte-order mark,
//! headers and words in the language asked for, names never read as formulas.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use nido_shared::api::{
    AuditEntry, AuditFilter, ExportLanguage, ExportOptions, SecurityEvent, SecurityEventFilter,
};
use nido_shared::{Role, Timestamp, UserRole};

use crate::auth::Admin;
use crate::http::error::{AppError, QueryParams};
use crate::relay::hours::ViewingHours;
use crate::state::AppState;

/// Most rows one answer holds; narrow the filter for older ones.
const MAX_ROWS: u32 = 5_000;
/// Tells spreadsheets the file is UTF-8 (without it, Excel reads "Álvaro" as "Ã\u{81}lvaro").
const BYTE_ORDER_MARK: &[u8] = "\u{feff}".as_bytes();

pub async fn list_audit(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<AuditFilter>,
) -> Result<Json<Vec<AuditEntry>>, AppError> {
    Ok(Json(state.store.audit(&filter, MAX_ROWS).await?))
}

pub async fn export_audit_csv(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<AuditFilter>,
    QueryParams(options): QueryParams<ExportOptions>,
) -> Result<Response, AppError> {
    let rows = state.store.audit(&filter, MAX_ROWS).await?;
    let lang = options.lang;
    let header = match lang {
        ExportLanguage::Es => [
            "usuario",
            "nombre",
            "sala",
            "papel",
            "dirección",
            "inicio",
            "fin",
        ],
        ExportLanguage::En => [
            "username", "name", "room", "role", "address", "started", "ended",
        ],
    };
    let time = |at| local_time(&state.hours, at);
    let records = rows.iter().map(|row| {
        [
            inert(row.username.as_str()),
            inert(row.display_name.as_str()),
            row.room.to_string(),
            role_word(lang, row.role).to_owned(),
            row.client_addr.clone(),
            time(row.started_at_us),
            row.ended_at_us.map(time).unwrap_or_default(),
        ]
    });
    csv_file("nido-audit.csv", header, records)
}

pub async fn list_security_events(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<SecurityEventFilter>,
) -> Result<Json<Vec<SecurityEvent>>, AppError> {
    Ok(Json(state.store.security_events(&filter, MAX_ROWS).await?))
}

pub async fn export_security_events_csv(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(filter): QueryParams<SecurityEventFilter>,
    QueryParams(options): QueryParams<ExportOptions>,
) -> Result<Response, AppError> {
    let rows = state.store.security_events(&filter, MAX_ROWS).await?;
    let lang = options.lang;
    let header = match lang {
        ExportLanguage::Es => [
            "fecha",
            "evento",
            "por",
            "cuenta",
            "sala",
            "papel",
            "salas",
            "cantidad",
            "dirección",
        ],
        ExportLanguage::En => [
            "time", "event", "by", "account", "room", "role", "rooms", "amount", "address",
        ],
    };
    let records = rows.iter().map(|row| {
        let rooms: Vec<&str> = row.rooms.iter().map(|room| room.as_str()).collect();
        [
            local_time(&state.hours, row.at_us),
            row.kind.label(lang).to_owned(),
            row.actor
                .as_ref()
                .map(|a| inert(a.as_str()))
                .unwrap_or_default(),
            row.account.as_deref().map(inert).unwrap_or_default(),
            row.room
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            row.role
                .map(|role| user_role_word(lang, role).to_owned())
                .unwrap_or_default(),
            rooms.join(" "),
            row.amount.map(|n| n.to_string()).unwrap_or_default(),
            row.client_addr.clone(),
        ]
    });
    csv_file("nido-security.csv", header, records)
}

/// A CSV download: the byte-order mark, the header, the records.
fn csv_file<const N: usize>(
    name: &str,
    header: [&str; N],
    records: impl Iterator<Item = [String; N]>,
) -> Result<Response, AppError> {
    let fail = |error: csv::Error| AppError::Internal(error.to_string());
    let mut writer = csv::Writer::from_writer(BYTE_ORDER_MARK.to_vec());
    writer.write_record(header).map_err(fail)?;
    for record in records {
        writer.write_record(&record).map_err(fail)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|error| fail(error.into_error().into()))?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// A time in the daycare's zone, as spreadsheets read it.
fn local_time(hours: &ViewingHours, at: Timestamp) -> String {
    jiff::Timestamp::from_microsecond(at.as_micros())
        .map(|at| {
            at.to_zoned_datetime(hours.zone().clone())
                .strftime("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_default()
}

fn role_word(lang: ExportLanguage, role: Role) -> &'static str {
    match (lang, role) {
        (ExportLanguage::Es, Role::Camera) => "cámara",
        (ExportLanguage::Es, Role::Viewer) => "espectador",
        (ExportLanguage::En, Role::Camera) => "camera",
        (ExportLanguage::En, Role::Viewer) => "viewer",
    }
}

fn user_role_word(lang: ExportLanguage, role: UserRole) -> &'static str {
    match (lang, role) {
        (ExportLanguage::Es, UserRole::Admin) => "dirección",
        (ExportLanguage::Es, UserRole::Caregiver) => "educadora",
        (ExportLanguage::Es, UserRole::Family) => "familia",
        (ExportLanguage::En, role) => role.as_str(),
    }
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
