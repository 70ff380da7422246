use aetherion_model::UnixMicros;
use sqlx::Row;

use crate::{Store, StoreError};

/// A refresh token as stored: only its SHA-256 hash, never the token itself.
#[derive(Clone, Debug)]
pub struct NewRefreshToken {
    pub token_hash: String,
    pub family_id: String,
    pub user_id: String,
    pub issued_at: UnixMicros,
    pub expires_at: UnixMicros,
}

/// What presenting a refresh token led to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The token was valid; it is now used and its successor is stored.
    Rotated { user_id: String },
    /// No such token.
    Unknown,
    /// The token has expired or its family was revoked.
    Expired,
    /// The token had been used before: the whole family is now revoked.
    Reused,
}

impl Store {
    /// Stores the first token of a new family (at login or registration).
    pub async fn insert_refresh_token(&self, token: &NewRefreshToken) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        insert_token(&mut conn, token).await
    }

    /// Uses `old_hash` once and stores `next` (same family) in its place, atomically.
    ///
    /// Presenting a token that was already used revokes its whole family: whoever holds any
    /// token of that family, legitimate client or thief, has to log in again.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        next: impl FnOnce(&str, &str) -> NewRefreshToken,
        now: UnixMicros,
    ) -> Result<RotateOutcome, StoreError> {
        let mut tx = self.pool.begin().await?;
        // Write first: the conditional update both checks and claims the token, and takes
        // SQLite's write lock before anything is read.
        let claimed = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 \
             AND used_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now.0)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let row = sqlx::query(
            "SELECT family_id, user_id, used_at, revoked_at FROM refresh_tokens \
             WHERE token_hash = $1",
        )
        .bind(old_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RotateOutcome::Unknown);
        };
        let family_id: String = row.try_get("family_id")?;
        let user_id: String = row.try_get("user_id")?;
        if claimed == 1 {
            let token = next(&family_id, &user_id);
            insert_token(&mut tx, &token).await?;
            tx.commit().await?;
            return Ok(RotateOutcome::Rotated { user_id });
        }
        let used_at: Option<i64> = row.try_get("used_at")?;
        let revoked_at: Option<i64> = row.try_get("revoked_at")?;
        if used_at.is_some() {
            if revoked_at.is_none() {
                revoke(&mut tx, &family_id, now).await?;
            }
            tx.commit().await?;
            return Ok(RotateOutcome::Reused);
        }
        Ok(RotateOutcome::Expired)
    }

    /// Revokes the family of the token with `token_hash`. Returns false for an unknown token.
    pub async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        now: UnixMicros,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = \
             (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)",
        )
        .bind(now.0)
        .bind(token_hash)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let known: Option<String> =
            sqlx::query_scalar("SELECT family_id FROM refresh_tokens WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        tx.commit().await?;
        Ok(revoked > 0 || known.is_some())
    }
}

async fn insert_token(
    conn: &mut sqlx::AnyConnection,
    token: &NewRefreshToken,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&token.token_hash)
    .bind(&token.family_id)
    .bind(&token.user_id)
    .bind(token.issued_at.0)
    .bind(token.expires_at.0)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn revoke(
    conn: &mut sqlx::AnyConnection,
    family_id: &str,
    now: UnixMicros,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
        .bind(now.0)
        .bind(family_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
