//! Settings an admin changes at run time.

use super::{Store, StoreError};

impl Store {
    /// How many relatives each family member may invite; 0 disables family invites.
    pub async fn family_invite_limit(&self) -> Result<u32, StoreError> {
        let limit: i64 = with_pool!(self, |pool| {
            sqlx::query_scalar("SELECT family_invite_limit FROM settings WHERE id = 1")
                .fetch_one(pool)
                .await?
        });
        u32::try_from(limit).map_err(|error| StoreError::Corrupt(error.to_string()))
    }

    pub async fn set_family_invite_limit(&self, limit: u32) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE settings SET family_invite_limit = $1 WHERE id = 1")
                .bind(i64::from(limit))
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Whether admins and caregivers must use two-step sign-in.
    pub async fn staff_second_factor(&self) -> Result<bool, StoreError> {
        with_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT staff_second_factor FROM settings WHERE id = 1")
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    pub async fn set_staff_second_factor(&self, required: bool) -> Result<(), StoreError> {
        with_pool!(self, |pool| {
            sqlx::query("UPDATE settings SET staff_second_factor = $1 WHERE id = 1")
                .bind(required)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
