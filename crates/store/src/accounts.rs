use aetherion_model::{Amount, UnixMicros};
use sqlx::{Any, Row, Transaction};

use crate::{Store, StoreError};

/// The paper trading account every new user gets.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// The asset cash is held in, e.g. `USD`.
    pub quote_asset: String,
    /// Deposited into the account when it is opened.
    pub starting_cash: Amount,
    /// Id of the deposit record of the starting cash.
    pub deposit_id: String,
}

/// One asset's balance in an account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub asset: String,
    /// Available for new orders.
    pub free: Amount,
    /// Held by open orders.
    pub reserved: Amount,
}

pub(crate) async fn insert_account(
    tx: &mut Transaction<'_, Any>,
    user_id: &str,
    account: &NewAccount,
    now: UnixMicros,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO accounts (user_id, quote_asset, created_at, account_no) \
         VALUES ($1, $2, $3, (SELECT COALESCE(MAX(account_no), 999) + 1 FROM accounts))",
    )
    .bind(user_id)
    .bind(&account.quote_asset)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    sqlx::query("INSERT INTO balances (user_id, asset, free, reserved) VALUES ($1, $2, $3, 0)")
        .bind(user_id)
        .bind(&account.quote_asset)
        .bind(account.starting_cash.raw())
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO deposits (deposit_id, user_id, asset, amount, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&account.deposit_id)
    .bind(user_id)
    .bind(&account.quote_asset)
    .bind(account.starting_cash.raw())
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The account's number in the exchange, or `None` when the user has no account.
    pub async fn account_no(&self, user_id: &str) -> Result<Option<u64>, StoreError> {
        let no: Option<Option<i64>> = sqlx::query_scalar("SELECT account_no FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(no.flatten().map(|n| n as u64))
    }

    /// The account's quote asset, or `None` when the user has no account.
    pub async fn account_quote_asset(&self, user_id: &str) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar("SELECT quote_asset FROM accounts WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Every balance of a user, ordered by asset.
    pub async fn balances(&self, user_id: &str) -> Result<Vec<Balance>, StoreError> {
        let rows = sqlx::query(
            "SELECT asset, free, reserved FROM balances WHERE user_id = $1 ORDER BY asset",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Balance {
                    asset: row.try_get("asset")?,
                    free: Amount::from_raw(row.try_get("free")?),
                    reserved: Amount::from_raw(row.try_get("reserved")?),
                })
            })
            .collect()
    }

    /// The sum of a user's deposits in one asset.
    pub async fn total_deposits(&self, user_id: &str, asset: &str) -> Result<Amount, StoreError> {
        let rows = sqlx::query("SELECT amount FROM deposits WHERE user_id = $1 AND asset = $2")
            .bind(user_id)
            .bind(asset)
            .fetch_all(&self.pool)
            .await?;
        let mut total = Amount::ZERO;
        for row in &rows {
            let amount = Amount::from_raw(row.try_get("amount")?);
            total = total
                .checked_add(amount)
                .ok_or_else(|| StoreError::Corrupt("deposits overflow".into()))?;
        }
        Ok(total)
    }
}
