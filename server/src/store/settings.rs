//! Settings an admin changes at run time.

use super::{Store, StoreError};

impl Store {
    /// How many relatives each family member may invite; 0 disables family invites.
    pub async fn family_invite_limit(&self) -> Result<u32, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT family_invite_limit FROM settings WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn set_family_invite_limit(&self, limit: u32) -> Result<(), StoreError> {
        sqlx::query("UPDATE settings SET family_invite_limit = ? WHERE id = 1")
            .bind(limit)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether admins and caregivers must use two-step sign-in.
    pub async fn staff_second_factor(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT staff_second_factor FROM settings WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn set_staff_second_factor(&self, required: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE settings SET staff_second_factor = ? WHERE id = 1")
            .bind(required)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
