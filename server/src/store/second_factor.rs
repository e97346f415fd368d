//! Two-step sign-in records: the authenticator secret (in force or being set up), the last
//! time step used, and the hashes of the recovery codes.

use nido_shared::{Timestamp, UserId};

use super::{Store, StoreError};

/// A person's two-step sign-in as stored.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SecondFactorRecord {
    pub secret: Option<Vec<u8>>,
    pub pending_secret: Option<Vec<u8>>,
    pub last_step: i64,
    pub recovery_codes_left: i64,
}

impl Store {
    pub async fn second_factor(&self, user_id: UserId) -> Result<SecondFactorRecord, StoreError> {
        with_pool!(self, |pool| {
            let record = sqlx::query_as::<_, SecondFactorRecord>(
                "SELECT totp_secret AS secret, totp_pending_secret AS pending_secret,
                        totp_last_step AS last_step,
                        (SELECT COUNT(*) FROM recovery_codes c
                          WHERE c.user_id = u.id AND c.used_at_us IS NULL) AS recovery_codes_left
                 FROM users u WHERE id = $1",
            )
            .bind(user_id.get())
            .fetch_optional(pool)
            .await?;
            record.ok_or(StoreError::NotFound)
        })
    }

    /// Keeps a new secret until a code from it confirms it; the one in force stays.
    pub async fn set_pending_second_factor(
        &self,
        user_id: UserId,
        secret: &[u8],
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE users SET totp_pending_secret = $1 WHERE id = $2")
                .bind(secret)
                .bind(user_id.get())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Puts the pending secret `secret` in force with a fresh set of recovery codes; false
    /// when another setup replaced it meanwhile.
    pub async fn enable_second_factor(
        &self,
        user_id: UserId,
        secret: &[u8],
        step: u64,
        recovery_hashes: &[[u8; 32]],
    ) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let enabled = sqlx::query(
                "UPDATE users SET totp_secret = totp_pending_secret, totp_pending_secret = NULL,
                        totp_last_step = $1
                 WHERE id = $2 AND totp_pending_secret = $3",
            )
            .bind(step_value(step))
            .bind(user_id.get())
            .bind(secret)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !enabled {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id.get())
                .execute(&mut *tx)
                .await?;
            for hash in recovery_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user_id.get())
                    .bind(hash.as_slice())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that the code of time step `step` logged in; false when that step (or a
    /// later one) already did, so a code works once even when two logins race.
    pub async fn use_totp_step(&self, user_id: UserId, step: u64) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            let step = step_value(step);
            let result = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $3",
            )
            .bind(step)
            .bind(user_id.get())
            .bind(step)
            .execute(pool)
            .await?;
            Ok(result.rows_affected() == 1)
        })
    }

    /// Spends a recovery code: how many are left, or `None` when it is not one of this
    /// person's unused codes.
    pub async fn use_recovery_code(
        &self,
        user_id: UserId,
        hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self, |pool| {
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at_us = $1
                 WHERE user_id = $2 AND code_hash = $3 AND used_at_us IS NULL",
            )
            .bind(now.as_micros())
            .bind(user_id.get())
            .bind(hash.as_slice())
            .execute(pool)
            .await?
            .rows_affected()
                == 1;
            if !used {
                return Ok(None);
            }
            Ok(Some(self.second_factor(user_id).await?.recovery_codes_left))
        })
    }

    /// Turns two-step sign-in off and forgets its secret and recovery codes.
    pub async fn disable_second_factor(&self, user_id: UserId) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE users SET totp_secret = NULL, totp_pending_secret = NULL WHERE id = $1",
            )
            .bind(user_id.get())
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id.get())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }
}

/// A time step as SQLite stores it (steps of 30 s stay far below `i64::MAX`).
fn step_value(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}
