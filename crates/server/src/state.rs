//! What every service shares.

use std::sync::Arc;

use aetherion_store::Store;
use tokio::sync::Mutex;

use crate::auth::TokenKeys;
use crate::auth::password::PasswordHasherPool;
use crate::auth::throttle::LoginThrottle;
use crate::config::Config;
use crate::market::MarketHub;

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub market: Arc<MarketHub>,
    pub keys: Arc<TokenKeys>,
    pub passwords: PasswordHasherPool,
    pub throttle: LoginThrottle,
    /// Backtests running now, for their progress and to stop them.
    pub backtests: std::sync::Mutex<std::collections::HashMap<String, Arc<aetherion_backtest::Control>>>,
    /// Held while a registration is stored, so that exactly one first user becomes admin.
    pub register_lock: Mutex<()>,
}
