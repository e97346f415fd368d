//! Login sessions, kept as hashes of their tokens.

use nido_shared::{Timestamp, UserId};

use super::users::{USER_COLUMNS_OF_U, UserRecord};
use super::{SessionId, Store, StoreError, User};

/// A live session and whose it is.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: SessionId,
    pub created_at_us: Timestamp,
    pub expires_at_us: Timestamp,
    pub user: User,
    /// Staff without two-step sign-in while the admins require it: the session reaches
    /// only the person's own account until they set it up.
    pub second_factor_setup_needed: bool,
}

#[derive(sqlx::FromRow)]
struct SessionRecord {
    #[sqlx(try_from = "i64")]
    session_id: SessionId,
    #[sqlx(try_from = "i64")]
    session_created_at_us: Timestamp,
    #[sqlx(try_from = "i64")]
    expires_at_us: Timestamp,
    second_factor_setup_needed: bool,
    #[sqlx(flatten)]
    user: UserRecord,
}

impl Store {
    pub async fn create_session(
        &self,
        token_hash: &[u8],
        user_id: UserId,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<SessionId, StoreError> {
        with_pool!(self, |pool| {
            let id = sqlx::query_scalar(
                "INSERT INTO sessions (token_hash, user_id, created_at_us, expires_at_us)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(token_hash)
            .bind(user_id.get())
            .bind(now.as_micros())
            .bind(expires_at.as_micros())
            .fetch_one(pool)
            .await?;
            Ok(SessionId::new(id))
        })
    }

    /// The session with this token hash, if it has not expired and its account is not revoked.
    pub async fn session(
        &self,
        token_hash: &[u8],
        now: Timestamp,
    ) -> Result<Option<SessionRow>, StoreError> {
        with_pool!(self, |pool| {
            let record = sqlx::query_as::<_, SessionRecord>(&format!(
                "SELECT s.id AS session_id, s.created_at_us AS session_created_at_us, s.expires_at_us,
                        (u.role IN ('admin', 'caregiver') AND u.totp_secret IS NULL
                         AND (SELECT staff_second_factor FROM settings WHERE id = 1))
                            AS second_factor_setup_needed,
                        {USER_COLUMNS_OF_U}
                 FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_at_us > $2 AND u.revoked_at_us IS NULL"
            ))
            .bind(token_hash)
            .bind(now.as_micros())
            .fetch_optional(pool)
            .await?;
            record
                .map(|record| {
                    Ok(SessionRow {
                        id: record.session_id,
                        created_at_us: record.session_created_at_us,
                        expires_at_us: record.expires_at_us,
                        second_factor_setup_needed: record.second_factor_setup_needed,
                        user: User::try_from(record.user)?,
                    })
                })
                .transpose()
        })
    }

    /// When a session expires, or `None` if it no longer exists.
    pub async fn session_expiry(
        &self,
        session_id: SessionId,
    ) -> Result<Option<Timestamp>, StoreError> {
        with_pool!(self, |pool| {
            let expiry: Option<i64> =
                sqlx::query_scalar("SELECT expires_at_us FROM sessions WHERE id = $1")
                    .bind(session_id.get())
                    .fetch_optional(pool)
                    .await?;
            Ok(expiry.map(Timestamp::from_micros))
        })
    }

    pub async fn extend_session(
        &self,
        session_id: SessionId,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET expires_at_us = $1 WHERE id = $2")
                .bind(expires_at.as_micros())
                .bind(session_id.get())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends the session with this token hash, if there is one; returns its id.
    pub async fn delete_session_by_token(
        &self,
        token_hash: &[u8],
    ) -> Result<Option<SessionId>, StoreError> {
        with_pool!(self, |pool| {
            let id: Option<i64> =
                sqlx::query_scalar("DELETE FROM sessions WHERE token_hash = $1 RETURNING id")
                    .bind(token_hash)
                    .fetch_optional(pool)
                    .await?;
            Ok(id.map(SessionId::new))
        })
    }

    pub async fn delete_session(&self, session_id: SessionId) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("DELETE FROM sessions WHERE id = $1")
                .bind(session_id.get())
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends all of a person's sessions but one; returns the ids of those ended.
    pub async fn delete_other_sessions(
        &self,
        user_id: UserId,
        keep: SessionId,
    ) -> Result<Vec<SessionId>, StoreError> {
        with_pool!(self, |pool| {
            let ids = sqlx::query_scalar(
                "DELETE FROM sessions WHERE user_id = $1 AND id != $2 RETURNING id",
            )
            .bind(user_id.get())
            .bind(keep.get())
            .fetch_all(pool)
            .await?;
            Ok(session_ids(ids))
        })
    }

    /// Ends every session of a person; returns their ids.
    pub async fn delete_sessions_of(&self, user_id: UserId) -> Result<Vec<SessionId>, StoreError> {
        with_pool!(self, |pool| {
            let ids = sqlx::query_scalar("DELETE FROM sessions WHERE user_id = $1 RETURNING id")
                .bind(user_id.get())
                .fetch_all(pool)
                .await?;
            Ok(session_ids(ids))
        })
    }

    /// Forgets sessions that expired; returns how many.
    pub async fn delete_expired_sessions(&self, now: Timestamp) -> Result<u64, StoreError> {
        with_pool!(self, |pool| {
            let done = sqlx::query("DELETE FROM sessions WHERE expires_at_us <= $1")
                .bind(now.as_micros())
                .execute(pool)
                .await?;
            Ok(done.rows_affected())
        })
    }
}

/// Session ids as the database returned them.
pub(super) fn session_ids(ids: Vec<i64>) -> Vec<SessionId> {
    ids.into_iter().map(SessionId::new).collect()
}
