//! What login throttling remembers: failed attempts per username and trusted devices.

use nido_shared::{Timestamp, UserId};

use super::{Store, StoreError};

/// Consecutive failed logins and when the last one was (the epoch if none was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct FailureCount {
    #[sqlx(try_from = "i64")]
    pub failures: u32,
    #[sqlx(try_from = "i64")]
    pub last_failure_us: Timestamp,
}

/// A browser that logged in to an account before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRecord {
    #[sqlx(try_from = "i64")]
    pub user_id: UserId,
    #[sqlx(try_from = "i64")]
    pub failures: u32,
    /// The epoch if it has had no failure since its last success.
    #[sqlx(try_from = "i64")]
    pub last_failure_us: Timestamp,
}

impl Store {
    /// Failed logins for a username (existing or not) since its last success.
    pub async fn login_failures(&self, username: &str) -> Result<FailureCount, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, FailureCount>(
                "SELECT failures, last_failure_us FROM login_failures WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(pool)
            .await?
            .unwrap_or_default())
        })
    }

    /// Usernames with at least `lock_at` failures in a row: locked.
    pub async fn locked_usernames(
        &self,
        lock_at: u32,
    ) -> Result<std::collections::HashSet<String>, StoreError> {
        with_pool!(self, |pool| {
            let names: Vec<String> =
                sqlx::query_scalar("SELECT username FROM login_failures WHERE failures >= $1")
                    .bind(i64::from(lock_at))
                    .fetch_all(pool)
                    .await?;
            Ok(names.into_iter().collect())
        })
    }

    pub async fn record_login_failure(
        &self,
        username: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO login_failures (username, failures, last_failure_us) VALUES ($1, 1, $2)
                 ON CONFLICT (username) DO UPDATE
                 SET failures = login_failures.failures + 1,
                     last_failure_us = excluded.last_failure_us",
            )
            .bind(username)
            .bind(now.as_micros())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE username = $1")
                .bind(username)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Forgets failures older than `before` that did not lock their username.
    pub async fn prune_login_failures(
        &self,
        before: Timestamp,
        lock_at: u32,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM login_failures WHERE last_failure_us < $1 AND failures < $2")
                .bind(before.as_micros())
                .bind(i64::from(lock_at))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The browser with this device token, if it was trusted after `trusted_since`.
    pub async fn trusted_device(
        &self,
        token_hash: &[u8],
        trusted_since: Timestamp,
    ) -> Result<Option<DeviceRecord>, StoreError> {
        with_pool!(self, |pool| {
            Ok(sqlx::query_as::<_, DeviceRecord>(
                "SELECT user_id, failures, COALESCE(last_failure_us, 0) AS last_failure_us
                 FROM trusted_devices WHERE token_hash = $1 AND created_at_us > $2",
            )
            .bind(token_hash)
            .bind(trusted_since.as_micros())
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Forgets every browser a person's account trusted (their password changed).
    pub async fn forget_trusted_devices(&self, user_id: UserId) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM trusted_devices WHERE user_id = $1")
                .bind(user_id.get())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn add_trusted_device(
        &self,
        token_hash: &[u8],
        user_id: UserId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO trusted_devices (token_hash, user_id, created_at_us) VALUES ($1, $2, $3)",
            )
            .bind(token_hash)
            .bind(user_id.get())
            .bind(now.as_micros())
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn record_device_failure(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE trusted_devices SET failures = failures + 1, last_failure_us = $1
                 WHERE token_hash = $2",
            )
            .bind(now.as_micros())
            .bind(token_hash)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn clear_device_failures(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE trusted_devices SET failures = 0, last_failure_us = NULL WHERE token_hash = $1",
            )
            .bind(token_hash)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn delete_trusted_device(&self, token_hash: &[u8]) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM trusted_devices WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
