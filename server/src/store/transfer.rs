//! `migrate-to-postgres`: copies everything of a single Nido's SQLite database (accounts,
//! rooms and their hours, children and their attendance, invites, sessions, chat with its
//! numbers, mutes, second factors, the audit and security logs) into an empty PostgreSQL
//! database, in one transaction on each side, so the copy is either whole and consistent or
//! not made at all.
//!
//! Tables are copied column by column as PostgreSQL's schema names them, with every id kept
//! (so chat numbers, invite links and sessions stay valid), and the identity counters are
//! moved past the copied ids. PostgreSQL's own cluster tables (nodes, camera seats, the
//! access epoch) start empty: no node runs yet.

use futures_util::TryStreamExt;
use sqlx::postgres::PgArguments;
use sqlx::sqlite::SqliteRow;
use sqlx::{Arguments, Row};

use super::backend::Backend;
use super::{Store, StoreError};

/// Every table of SQLite's schema, parents before children (foreign keys), and each table's
/// rows in id order, so that people invited by people come after them.
const TABLES: &[(&str, &str)] = &[
    ("users", "id"),
    ("rooms", "id"),
    ("room_members", "room_id, user_id"),
    ("children", "id"),
    ("child_families", "child_id, user_id"),
    ("stays", "id"),
    ("sessions", "id"),
    ("invites", "id"),
    ("invite_rooms", "invite_id, room_id"),
    ("login_failures", "username"),
    ("trusted_devices", "token_hash"),
    ("viewing_sessions", "id"),
    ("settings", "id"),
    ("room_policy_counter", "id"),
    ("chat_threads", "room_slug, thread"),
    ("chat_messages", "room_slug, thread, seq"),
    ("chat_reads", "room_slug, thread, reader"),
    ("thread_guests", "room_slug, thread, user_id"),
    ("chat_mutes", "room_slug, user_id"),
    ("security_events", "id"),
    ("recovery_codes", "user_id, code_hash"),
];

/// Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table.
const ROWS_PER_INSERT: usize = 500;

/// How many rows of each table were copied.
pub type TransferReport = Vec<(&'static str, u64)>;

/// Why the copy was not made.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("the source must be the embedded SQLite database and the target PostgreSQL")]
    WrongDirection,
    #[error(
        "the PostgreSQL database already has people or rooms: migrate into a new, empty \
         database (nothing was changed)"
    )]
    TargetNotEmpty,
    /// A table this version of the copy does not know: copying without it would lose data.
    #[error("the SQLite database has tables the copy does not know: {0} (nothing was changed)")]
    UnknownTables(String),
    #[error("column {table}.{column} has a type the copy does not know: {kind}")]
    UnknownType {
        table: &'static str,
        column: String,
        kind: String,
    },
    #[error("{table} has {source_rows} rows in SQLite but {copied} were copied (nothing was kept)")]
    Incomplete {
        table: &'static str,
        source_rows: i64,
        copied: i64,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for TransferError {
    fn from(error: sqlx::Error) -> Self {
        Self::Store(StoreError::Database(error))
    }
}

/// The kinds of column Nido's PostgreSQL schema has.
#[derive(Clone, Copy)]
enum ColumnKind {
    Integer,
    Text,
    Bytes,
    /// A BOOLEAN in PostgreSQL, an integer 0 or 1 in SQLite.
    Boolean,
}

struct Column {
    name: String,
    kind: ColumnKind,
}

impl Store {
    /// Copies this SQLite store into `target`, an empty PostgreSQL store (both migrated).
    pub async fn copy_into_postgres(
        &self,
        target: &Store,
    ) -> Result<TransferReport, TransferError> {
        let (Backend::Sqlite(source), Backend::Postgres(destination)) =
            (&self.backend, &target.backend)
        else {
            return Err(TransferError::WrongDirection);
        };
        // One read transaction: a consistent snapshot even if something still writes.
        let mut reading = source.main.begin().await?;
        let mut writing = destination.main.begin().await?;
        let taken: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM users) + (SELECT COUNT(*) FROM rooms)",
        )
        .fetch_one(&mut *writing)
        .await?;
        if taken > 0 {
            return Err(TransferError::TargetNotEmpty);
        }
        let unknown: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut *reading)
        .await?
        .into_iter()
        .filter(|name: &String| !TABLES.iter().any(|(table, _)| table == name))
        .collect();
        if !unknown.is_empty() {
            return Err(TransferError::UnknownTables(unknown.join(", ")));
        }
        let mut report = TransferReport::new();
        for &(table, order) in TABLES {
            let columns = columns_of(&mut writing, table).await?;
            // The migrations made these one-row tables with their defaults.
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut *writing)
                .await?;
            let copied = copy_table(&mut reading, &mut writing, table, order, &columns).await?;
            let source_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut *reading)
                .await?;
            let target_rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&mut *writing)
                .await?;
            if source_rows != target_rows || target_rows != copied {
                return Err(TransferError::Incomplete {
                    table,
                    source_rows,
                    copied: target_rows,
                });
            }
            report.push((table, copied as u64));
        }
        move_identities_past_copied_ids(&mut writing).await?;
        writing.commit().await?;
        reading.rollback().await?;
        Ok(report)
    }
}

/// The columns of one PostgreSQL table, in order.
async fn columns_of(
    connection: &mut sqlx::PgConnection,
    table: &'static str,
) -> Result<Vec<Column>, TransferError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(connection)
    .await?;
    rows.into_iter()
        .map(|(name, kind)| {
            let kind = match kind.as_str() {
                "bigint" | "integer" => ColumnKind::Integer,
                "text" => ColumnKind::Text,
                "bytea" => ColumnKind::Bytes,
                "boolean" => ColumnKind::Boolean,
                _ => {
                    return Err(TransferError::UnknownType {
                        table,
                        column: name,
                        kind,
                    });
                }
            };
            Ok(Column { name, kind })
        })
        .collect()
}

/// Copies one table's rows, a batch per INSERT; how many.
async fn copy_table(
    reading: &mut sqlx::SqliteConnection,
    writing: &mut sqlx::PgConnection,
    table: &'static str,
    order: &str,
    columns: &[Column],
) -> Result<i64, TransferError> {
    let names = columns
        .iter()
        .map(|column| column.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!("SELECT {names} FROM {table} ORDER BY {order}");
    let mut rows = sqlx::query(&select).fetch(reading);
    let mut batch = Vec::with_capacity(ROWS_PER_INSERT);
    let mut copied = 0;
    loop {
        let row = rows.try_next().await?;
        let end = row.is_none();
        batch.extend(row);
        if batch.len() == ROWS_PER_INSERT || (end && !batch.is_empty()) {
            insert_batch(writing, table, &names, columns, &batch).await?;
            copied += batch.len() as i64;
            batch.clear();
        }
        if end {
            return Ok(copied);
        }
    }
}

async fn insert_batch(
    writing: &mut sqlx::PgConnection,
    table: &str,
    names: &str,
    columns: &[Column],
    rows: &[SqliteRow],
) -> Result<(), TransferError> {
    let mut arguments = PgArguments::default();
    let mut tuples = Vec::with_capacity(rows.len());
    for row in rows {
        let mut placeholders = Vec::with_capacity(columns.len());
        for (index, column) in columns.iter().enumerate() {
            add_value(&mut arguments, row, index, column.kind)?;
            placeholders.push(format!("${}", arguments.len()));
        }
        tuples.push(format!("({})", placeholders.join(", ")));
    }
    let insert = format!("INSERT INTO {table} ({names}) VALUES {}", tuples.join(", "));
    sqlx::query_with(&insert, arguments)
        .execute(writing)
        .await?;
    Ok(())
}

/// Reads one SQLite value as the PostgreSQL column's type and adds it to the arguments.
fn add_value(
    arguments: &mut PgArguments,
    row: &SqliteRow,
    index: usize,
    kind: ColumnKind,
) -> Result<(), TransferError> {
    let added = match kind {
        ColumnKind::Integer => arguments.add(row.try_get::<Option<i64>, _>(index)?),
        ColumnKind::Text => arguments.add(row.try_get::<Option<String>, _>(index)?),
        ColumnKind::Bytes => arguments.add(row.try_get::<Option<Vec<u8>>, _>(index)?),
        ColumnKind::Boolean => arguments.add(
            row.try_get::<Option<i64>, _>(index)?
                .map(|value| value != 0),
        ),
    };
    added.map_err(|error| TransferError::from(sqlx::Error::Encode(error)))
}

/// New rows take ids after the copied ones.
async fn move_identities_past_copied_ids(
    writing: &mut sqlx::PgConnection,
) -> Result<(), TransferError> {
    let identities: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
    )
    .fetch_all(&mut *writing)
    .await?;
    for (table, column) in identities {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                           COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        ))
        .execute(&mut *writing)
        .await?;
    }
    Ok(())
}
