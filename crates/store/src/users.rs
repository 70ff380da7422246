use aetherion_model::{Role, UnixMicros};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accounts::{NewAccount, insert_account};
use crate::{Store, StoreError};

/// A user as stored. `email` is kept lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRecord {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: UnixMicros,
}

/// What registration stores. The role is decided by the store: the first user is an admin.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub user_id: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub created_at: UnixMicros,
}

/// A `SELECT` of every user column followed by `$tail` (a string literal).
macro_rules! select_users {
    ($tail:literal) => {
        concat!("SELECT user_id, email, display_name, password_hash, role, created_at FROM users ", $tail)
    };
}

fn user_from_row(row: &AnyRow) -> Result<UserRecord, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(UserRecord {
        user_id: row.try_get("user_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: role.parse().map_err(|e| StoreError::Corrupt(format!("users.role: {e}")))?,
        created_at: UnixMicros(row.try_get("created_at")?),
    })
}

impl Store {
    /// Stores a new user with a paper trading account funded by `account.starting_cash`, all
    /// in one transaction. The first user ever stored becomes [`Role::Admin`].
    ///
    /// Callers in one process must serialise registrations (the server holds a lock), so that
    /// two first registrations cannot both see an empty table.
    pub async fn register_user(
        &self,
        user: &NewUser,
        account: &NewAccount,
    ) -> Result<UserRecord, StoreError> {
        let mut tx = self.pool.begin().await?;
        // The write comes first so that SQLite takes its write lock before any read.
        let inserted = sqlx::query(
            "INSERT INTO users (user_id, email, display_name, password_hash, role, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&user.user_id)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(Role::User.as_str())
        .bind(user.created_at.0)
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(e) if StoreError::is_unique_violation(&e) => return Err(StoreError::DuplicateEmail),
            other => other?,
        };
        sqlx::query(
            "UPDATE users SET role = $1 WHERE user_id = $2 \
             AND NOT EXISTS (SELECT 1 FROM users WHERE user_id <> $2)",
        )
        .bind(Role::Admin.as_str())
        .bind(&user.user_id)
        .execute(&mut *tx)
        .await?;
        insert_account(&mut tx, &user.user_id, account, user.created_at).await?;
        let row = sqlx::query(select_users!("WHERE user_id = $1"))
            .bind(&user.user_id)
            .fetch_one(&mut *tx)
            .await?;
        let record = user_from_row(&row)?;
        tx.commit().await?;
        Ok(record)
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(select_users!("WHERE email = $1"))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn user_by_id(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(select_users!("WHERE user_id = $1"))
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&self.pool).await?;
        Ok(n)
    }
}
