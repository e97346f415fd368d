//! Stores one batch of chat messages in one transaction: the new ones numbered after their
//! room's counter, the ones sent before with the same id found, nothing stored if anything
//! fails. SQLite and PostgreSQL each do it their own way (`sqlite`, `postgres`), with the
//! same answer.

mod postgres;
mod sqlite;

use super::StoreError;
use super::backend::Backend;
use super::chat::{Appended, OwnedChat};

/// Each message of `batch` as stored, in the batch's order: `None` when its room does not
/// exist (it was deleted meanwhile), so it was not stored.
pub(super) async fn append_batch(
    backend: &Backend,
    batch: &[&OwnedChat],
) -> Result<Vec<Option<Appended>>, StoreError> {
    match backend {
        Backend::Sqlite(pools) => sqlite::append_batch(&pools.chat, batch).await,
        Backend::Postgres(pools) => postgres::append_batch(&pools.chat, batch).await,
    }
}
