//! Persistence over sqlx: embedded SQLite by default, PostgreSQL for bigger deployments.
//!
//! One schema (`migrations/`) and one set of runtime queries serve both backends through
//! sqlx's `Any` driver: only portable SQL and portable types (BIGINT, TEXT) are used. Exact
//! amounts are stored as the raw fixed-point integer of [`aetherion_model::Amount`], times
//! as microseconds since the epoch.
//!
//! Architecture invariant: this crate knows the database and the domain model, nothing of
//! gRPC, HTTP or the clock (every time is an argument).

mod accounts;
mod backtests;
mod bots;
mod datasets;
mod error;
mod orders;
mod symbols;
mod tokens;
mod users;

pub mod testing;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use accounts::{Balance, NewAccount};
pub use backtests::BacktestRecord;
pub use bots::{BotRecord, BotRun};
pub use datasets::DatasetInfo;
pub use error::StoreError;
pub use orders::{CommitBatch, EquityPoint, FillRecord, OrderFilter, OrderRecord, PositionRecord};
pub use symbols::{SymbolRecord, SymbolStatus};
pub use tokens::{NewRefreshToken, RotateOutcome};
pub use users::{NewUser, UserRecord};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle to the database: a connection pool with the schema migrated.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// The default database: `aetherion.db` in `data_dir`, created when missing.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!("sqlite://{}?mode=rwc", data_dir.join("aetherion.db").display())
    }

    /// Connects to `url` (`sqlite://...` or `postgres://...`) and applies pending migrations.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: a transaction that has committed is in
    /// the write-ahead log on disk, so an acknowledged write survives a crash of the process
    /// (and of the machine).
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url)?
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        // Connections are checked when they fail, not with a round trip before every use.
        let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10)).test_before_acquire(false);
        pool = match backend {
            Backend::Sqlite => pool.max_connections(8).after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                    Ok(())
                })
            }),
            Backend::Postgres => pool.max_connections(16),
        };
        let pool = pool.connect_with(options).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Store { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; waits for running queries to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
