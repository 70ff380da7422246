//! Balances per account and asset, with funds held for open orders.

use std::collections::BTreeMap;

use aetherion_model::Amount;

/// Who owns funds and orders. The same number is the order book's owner id, so self-trade
/// prevention works per account. Numbers below [`FIRST_ACCOUNT`] belong to the simulated market.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(pub u64);

/// The first account number given to a user.
pub const FIRST_ACCOUNT: u64 = 1000;

/// One asset's balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Balance {
    /// Available for new orders.
    pub free: Amount,
    /// Held by open orders.
    pub reserved: Amount,
}

impl Balance {
    pub fn total(&self) -> Amount {
        self.free.checked_add(self.reserved).unwrap_or(Amount::MAX)
    }
}

/// A move of funds that would make a balance negative or overflow. Callers check funds first,
/// so this is a bug if it happens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("balance of {asset} for account {account} would become invalid")]
pub struct BalanceError {
    pub account: u64,
    pub asset: String,
}

#[derive(Clone, Debug, Default)]
pub struct Accounts {
    balances: BTreeMap<(AccountId, String), Balance>,
}

impl Accounts {
    pub fn balance(&self, account: AccountId, asset: &str) -> Balance {
        self.balances.get(&(account, asset.to_owned())).copied().unwrap_or_default()
    }

    /// Every balance of `account`, by asset.
    pub fn of(&self, account: AccountId) -> impl Iterator<Item = (&str, Balance)> + '_ {
        self.balances
            .range((account, String::new())..)
            .take_while(move |((a, _), _)| *a == account)
            .map(|((_, asset), b)| (asset.as_str(), *b))
    }

    /// Sets a balance, as loaded from storage.
    pub fn set(&mut self, account: AccountId, asset: &str, balance: Balance) {
        self.balances.insert((account, asset.to_owned()), balance);
    }

    fn update(&mut self, account: AccountId, asset: &str, f: impl FnOnce(Balance) -> Option<Balance>) -> Result<(), BalanceError> {
        let key = (account, asset.to_owned());
        let current = self.balances.get(&key).copied().unwrap_or_default();
        let next = f(current)
            .filter(|b| !b.free.is_negative() && !b.reserved.is_negative())
            .ok_or_else(|| BalanceError { account: account.0, asset: asset.to_owned() })?;
        self.balances.insert(key, next);
        Ok(())
    }

    /// Moves `amount` from free to reserved.
    pub fn reserve(&mut self, account: AccountId, asset: &str, amount: Amount) -> Result<(), BalanceError> {
        self.update(account, asset, |b| {
            Some(Balance { free: b.free.checked_sub(amount)?, reserved: b.reserved.checked_add(amount)? })
        })
    }

    /// Moves `amount` from reserved back to free.
    pub fn release(&mut self, account: AccountId, asset: &str, amount: Amount) -> Result<(), BalanceError> {
        self.update(account, asset, |b| {
            Some(Balance { free: b.free.checked_add(amount)?, reserved: b.reserved.checked_sub(amount)? })
        })
    }

    /// Takes `amount` out of reserved funds (paid away in a trade or as a fee).
    pub fn spend_reserved(&mut self, account: AccountId, asset: &str, amount: Amount) -> Result<(), BalanceError> {
        self.update(account, asset, |b| Some(Balance { reserved: b.reserved.checked_sub(amount)?, ..b }))
    }

    /// Adds `amount` to free funds (received in a trade, or deposited).
    pub fn credit(&mut self, account: AccountId, asset: &str, amount: Amount) -> Result<(), BalanceError> {
        self.update(account, asset, |b| Some(Balance { free: b.free.checked_add(amount)?, ..b }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Amount {
        s.parse().unwrap()
    }

    #[test]
    fn reserve_release_spend_and_credit_keep_balances_exact() {
        let mut acc = Accounts::default();
        let me = AccountId(FIRST_ACCOUNT);
        acc.credit(me, "USD", a("100")).unwrap();
        acc.reserve(me, "USD", a("30.5")).unwrap();
        assert_eq!(acc.balance(me, "USD"), Balance { free: a("69.5"), reserved: a("30.5") });
        acc.spend_reserved(me, "USD", a("10")).unwrap();
        acc.release(me, "USD", a("20.5")).unwrap();
        assert_eq!(acc.balance(me, "USD"), Balance { free: a("90"), reserved: a("0") });
        assert!(acc.reserve(me, "USD", a("90.00000001")).is_err(), "never negative");
        assert_eq!(acc.balance(me, "USD").total(), a("90"), "a refused move changes nothing");
        acc.credit(me, "BTC", a("1")).unwrap();
        let assets: Vec<_> = acc.of(me).map(|(asset, _)| asset.to_owned()).collect();
        assert_eq!(assets, ["BTC", "USD"]);
        assert_eq!(acc.of(AccountId(FIRST_ACCOUNT + 1)).count(), 0);
    }
}
