//! All of Nido's SQL: one embedded SQLite database in the data directory, migrated at start.
//!
//! Handlers never write SQL; they call these methods, so that another backend (PostgreSQL)
//! can be added here without touching them. Times are microseconds since the UNIX epoch,
//! always passed in by the caller (whose clock decides).

mod audit;
mod backup;
mod chat;
mod chat_writer;
mod ids;
mod invites;
mod login_failures;
mod rooms;
mod second_factor;
mod security_events;
mod sessions;
mod settings;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;

use crate::infra::private_files::make_private;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use audit::NewViewing;
pub use chat::{Appended, NewChat};
use chat_writer::ChatWriter;
pub use ids::{SessionId, ViewingId};
pub use invites::{InviteClaim, InviteRow, Inviter, NewInviteRow, NewRegistration};
pub use login_failures::{DeviceRecord, FailureCount};
pub use rooms::{NewRoomRow, RoomRow};
pub use second_factor::SecondFactorRecord;
pub use security_events::EventDetails;
pub use sessions::SessionRow;
pub use users::{NewUser, User};

/// The database file's name inside `--data-dir`.
pub const DATABASE_FILE: &str = "nido.db";

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique value (username, room id) is already taken.
    #[error("already exists")]
    Conflict,
    #[error("not found")]
    NotFound,
    /// The change would leave no admin who can log in; nothing was changed.
    #[error("Nido needs at least one admin")]
    LastAdmin,
    /// The household's invite places are all taken; nothing was created.
    #[error("no invite places left")]
    LimitReached,
    /// A stored value no longer passes validation: a bug or a hand-edited database.
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The transaction holding this chat message failed; it was not stored.
    #[error("the chat message was not stored")]
    ChatNotStored,
    /// The chat writer task is gone: the server is stopping.
    #[error("the chat writer has stopped")]
    ChatWriterStopped,
    #[error("{} already exists; choose a new file for the backup", .0.display())]
    BackupExists(std::path::PathBuf),
    #[error("the backup failed its integrity check: {0}")]
    BackupDamaged(String),
}

/// The database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    /// One connection with `synchronous=FULL`, for chat writes.
    chat_pool: SqlitePool,
    chat_writer: ChatWriter,
}

impl Store {
    /// Opens (creating it if needed) `nido.db` in `data_dir` and applies the migrations.
    pub async fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(sqlx::Error::Io)?;
        for path in [data_dir.to_owned()]
            .into_iter()
            .chain(["", "-wal", "-shm"].map(|end| data_dir.join(format!("{DATABASE_FILE}{end}"))))
        {
            make_private(&path).map_err(sqlx::Error::Io)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        let chat_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.synchronous(SqliteSynchronous::Full))
            .await?;
        let chat_writer = ChatWriter::start(chat_pool.clone());
        Ok(Self {
            pool,
            chat_pool,
            chat_writer,
        })
    }

    /// Closes every connection, letting pending writes finish.
    pub async fn close(&self) {
        self.chat_writer.stop().await;
        self.chat_pool.close().await;
        self.pool.close().await;
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// `PRAGMA integrity_check`'s verdict: `ok` when the database is sound.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?)
    }
}

/// Maps a unique-constraint violation to [`StoreError::Conflict`].
fn conflict_or(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Database(error),
    }
}

/// Parses a stored value with its validating type.
fn parse<T, E: std::fmt::Display>(
    value: String,
    parse: impl FnOnce(String) -> Result<T, E>,
) -> Result<T, StoreError> {
    let shown = value.clone();
    parse(value).map_err(|error| StoreError::Corrupt(format!("{shown:?}: {error}")))
}

/// [`StoreError::NotFound`] when an update or delete touched no row.
fn found(rows_affected: u64) -> Result<(), StoreError> {
    if rows_affected == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}
