//! All of Nido's SQL, on one of two databases migrated at start: the embedded SQLite in the
//! data directory (one Nido), or a PostgreSQL server (any number of Nido nodes).
//!
//! Handlers never write SQL; they call these methods, whichever the backend. Times are
//! microseconds since the UNIX epoch, always passed in by the caller (whose clock decides).

#[macro_use]
mod backend;
mod audit;
mod backup;
mod chat;
mod chat_batch;
mod chat_writer;
mod children;
mod cluster;
mod ids;
mod invites;
mod login_failures;
mod rooms;
mod second_factor;
mod security_events;
mod sessions;
mod settings;
mod threads;
mod transfer;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::infra::private_files::make_private;
use backend::Backend;

/// Who besides its own account reads a private thread, as the store keeps it.
pub use crate::relay::room_policy::ThreadGuest;
pub use audit::NewViewing;
pub use chat::{Appended, Conversation, NewChat};
use chat_writer::ChatWriter;
pub use children::{ChildScope, PolicyChange};
pub use cluster::{AccessNow, ChatMark, ChatPosition, PersonAccess};
pub use ids::{SessionId, ViewingId};
pub use invites::{InviteClaim, InviteRow, Inviter, NewInviteRow, NewRegistration};
pub use login_failures::{DeviceRecord, FailureCount};
pub use rooms::{NewRoomRow, RoomRow};
pub use second_factor::SecondFactorRecord;
pub use security_events::EventDetails;
pub use sessions::SessionRow;
pub use threads::{ThreadReader, ThreadsShown};
pub use transfer::{TransferError, TransferReport};
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
    /// The change breaks a rule the person can put right (a child checked in twice, a
    /// child linked to a staff account); nothing was changed.
    #[error("{0}")]
    Refused(nido_shared::Problem),
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
    /// Asked of PostgreSQL what only the embedded database does (PostgreSQL has its own
    /// tools for it, such as `pg_dump`).
    #[error("{0} is for the embedded SQLite database; PostgreSQL has its own tools for it")]
    SqliteOnly(&'static str),
    /// Asked of SQLite what only a deployment of many nodes on PostgreSQL has.
    #[error("{0} exist only on PostgreSQL, with many nodes")]
    PostgresOnly(&'static str),
}

/// Where the data lives.
#[derive(Clone, Debug)]
pub enum Location<'a> {
    /// `nido.db` in this directory, made if missing.
    Sqlite(&'a Path),
    /// A PostgreSQL database, shared by every node of a deployment.
    Postgres(&'a PgConnectOptions),
}

/// Connections to one PostgreSQL server that one node keeps open.
const POSTGRES_CONNECTIONS: u32 = 16;
/// How long a query waits for a free connection (or for a PostgreSQL that does not answer)
/// before it fails, so that an outage refuses requests instead of holding them.
const POSTGRES_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The database, cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    backend: Backend,
    chat_writer: ChatWriter,
}

impl Store {
    /// Opens the database and applies the migrations it does not have yet.
    pub async fn open(location: Location<'_>) -> Result<Self, StoreError> {
        match location {
            Location::Sqlite(data_dir) => Self::open_sqlite(data_dir).await,
            Location::Postgres(options) => Self::open_postgres(options).await,
        }
    }

    /// Opens (creating it if needed) `nido.db` in `data_dir`.
    async fn open_sqlite(data_dir: &Path) -> Result<Self, StoreError> {
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
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let chat_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.synchronous(SqliteSynchronous::Full))
            .await?;
        let backend = Backend::sqlite(pool, chat_pool);
        let chat_writer = ChatWriter::start(backend.clone());
        Ok(Self {
            backend,
            chat_writer,
        })
    }

    /// Connects to PostgreSQL; nodes starting together migrate one at a time (sqlx holds
    /// an advisory lock while it migrates).
    async fn open_postgres(options: &PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POSTGRES_CONNECTIONS)
            .acquire_timeout(POSTGRES_ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        let backend = Backend::postgres(pool);
        let chat_writer = ChatWriter::start(backend.clone());
        Ok(Self {
            backend,
            chat_writer,
        })
    }

    /// Whether this store is on PostgreSQL (shared by many nodes) rather than SQLite.
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// Closes every connection, letting pending writes finish.
    pub async fn close(&self) {
        self.chat_writer.stop().await;
        with_chat_pool!(self, |pool| pool.close().await);
        with_pool!(self, |pool| pool.close().await);
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// `PRAGMA integrity_check`'s verdict on the SQLite file: `ok` when it is sound.
    pub async fn integrity_check(&self) -> Result<String, StoreError> {
        match &self.backend {
            Backend::Sqlite(pools) => Ok(sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(&pools.main)
                .await?),
            Backend::Postgres(_) => Err(StoreError::SqliteOnly("an integrity check")),
        }
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
