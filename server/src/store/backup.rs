//! Online backups: a copy of the whole database as of one moment, written while Nido keeps
//! serving, and checked before it is given its name.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::backend::Backend;
use super::{Store, StoreError};
use crate::infra::private_files::make_private;

impl Store {
    /// Writes a consistent copy of the database to `file`, which must not exist yet.
    ///
    /// `VACUUM INTO` reads in one transaction, so the copy holds everything committed
    /// before it started (every acknowledged chat message among it) and nothing half-done;
    /// writers carry on meanwhile. The copy is checked with `PRAGMA integrity_check`
    /// under a temporary name, and renamed to `file` only when sound.
    pub async fn back_up_to(&self, file: &Path) -> Result<(), StoreError> {
        if file.exists() {
            return Err(StoreError::BackupExists(file.to_owned()));
        }
        let partial = partial_name(file);
        let _ = std::fs::remove_file(&partial);
        let result = self.write_and_check(&partial).await;
        if result.is_err() {
            let _ = std::fs::remove_file(&partial);
            return result;
        }
        std::fs::rename(&partial, file).map_err(sqlx::Error::Io)?;
        Ok(())
    }

    async fn write_and_check(&self, partial: &Path) -> Result<(), StoreError> {
        let target = partial
            .to_str()
            .ok_or_else(|| StoreError::Corrupt(format!("{} is not UTF-8", partial.display())))?;
        let Backend::Sqlite(pools) = &self.backend else {
            return Err(StoreError::SqliteOnly("a backup"));
        };
        sqlx::query("VACUUM INTO ?")
            .bind(target)
            .execute(&pools.main)
            .await?;
        make_private(partial).map_err(sqlx::Error::Io)?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(partial)
            .read_only(true);
        let mut copy = SqliteConnection::connect_with(&options).await?;
        let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&mut copy)
            .await?;
        copy.close().await?;
        if verdict != "ok" {
            return Err(StoreError::BackupDamaged(verdict));
        }
        Ok(())
    }
}

/// `FILE.partial`, beside `FILE`.
fn partial_name(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}
