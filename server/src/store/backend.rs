//! The two databases the store runs on, embedded SQLite and PostgreSQL, and the macros that
//! run one piece of code on whichever is open.
//!
//! The SQL is written once where the dialects agree (numbered `$N` parameters, which SQLite
//! also takes, `ON CONFLICT`, `RETURNING`, `TRUE`/`FALSE`, `string_agg`), and the macros
//! compile it once against each driver, so each gets its own native types; only what the
//! dialects do differently (chat's numbering, backups, locks) is written per backend.

use sqlx::{PgConnection, PgPool, Pool, SqliteConnection, SqlitePool};

/// A backend's connection pools.
#[derive(Debug)]
pub(super) struct Pools<DB: sqlx::Database> {
    /// Everything but chat writes.
    pub main: Pool<DB>,
    /// Chat writes: SQLite's has one connection with `synchronous=FULL`; PostgreSQL's is
    /// `main` (every commit there is durable).
    pub chat: Pool<DB>,
}

impl<DB: sqlx::Database> Clone for Pools<DB> {
    fn clone(&self) -> Self {
        Self {
            main: self.main.clone(),
            chat: self.chat.clone(),
        }
    }
}

/// The database this store is open on.
#[derive(Clone, Debug)]
pub(super) enum Backend {
    Sqlite(Pools<sqlx::Sqlite>),
    Postgres(Pools<sqlx::Postgres>),
}

impl Backend {
    pub fn sqlite(main: SqlitePool, chat: SqlitePool) -> Self {
        Self::Sqlite(Pools { main, chat })
    }

    pub fn postgres(main: PgPool) -> Self {
        Self::Postgres(Pools {
            chat: main.clone(),
            main,
        })
    }
}

/// One connection of either backend, for helpers that run inside a caller's transaction.
pub(super) enum Connection<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

impl Connection<'_> {
    /// The same connection for one more call, keeping this one for the calls after it.
    pub fn reborrow(&mut self) -> Connection<'_> {
        match self {
            Self::Sqlite(connection) => Connection::Sqlite(connection),
            Self::Postgres(connection) => Connection::Postgres(connection),
        }
    }
}

impl<'a> From<&'a mut SqliteConnection> for Connection<'a> {
    fn from(connection: &'a mut SqliteConnection) -> Self {
        Self::Sqlite(connection)
    }
}

impl<'a> From<&'a mut PgConnection> for Connection<'a> {
    fn from(connection: &'a mut PgConnection) -> Self {
        Self::Postgres(connection)
    }
}

/// Runs `$body` with `$pool` bound to the open backend's main pool (`&Pool<DB>`).
macro_rules! with_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::backend::Backend::Sqlite(pools) => {
                let $pool = &pools.main;
                $body
            }
            $crate::store::backend::Backend::Postgres(pools) => {
                let $pool = &pools.main;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the open backend's pool for chat writes.
macro_rules! with_chat_pool {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::backend::Backend::Sqlite(pools) => {
                let $pool = &pools.chat;
                $body
            }
            $crate::store::backend::Backend::Postgres(pools) => {
                let $pool = &pools.chat;
                $body
            }
        }
    };
}

/// Runs `$body` with `$connection` bound to the connection's own type (`&mut …Connection`).
macro_rules! with_connection {
    ($from:expr, |$connection:ident| $body:expr) => {
        match $from {
            $crate::store::backend::Connection::Sqlite($connection) => $body,
            $crate::store::backend::Connection::Postgres($connection) => $body,
        }
    };
}
