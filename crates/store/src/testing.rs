//! Helpers for tests that need a real database of their own.

use sqlx::{AnyConnection, Connection, Executor};

use crate::StoreError;

/// The PostgreSQL server tests use: `AETHERION_TEST_DATABASE_URL`, or the local server that
/// the development and CI machines run.
pub fn postgres_base_url() -> String {
    std::env::var("AETHERION_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A freshly created, empty PostgreSQL database, dropped by [`TestDatabase::drop_database`].
#[derive(Debug)]
pub struct TestDatabase {
    /// URL of the new database.
    pub url: String,
    name: String,
    base_url: String,
}

impl TestDatabase {
    /// Creates a database with a random name on the server of [`postgres_base_url`].
    pub async fn create_postgres() -> Result<TestDatabase, StoreError> {
        sqlx::any::install_default_drivers();
        let base_url = postgres_base_url();
        let name = format!("aetherion_test_{}", random_suffix());
        let mut conn = AnyConnection::connect(&base_url).await?;
        conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
        conn.close().await?;
        let (prefix, _) = base_url
            .rsplit_once('/')
            .ok_or(StoreError::UnsupportedUrl)?;
        let url = format!("{prefix}/{name}");
        Ok(TestDatabase { url, name, base_url })
    }

    /// Drops the database, closing any connection still open to it.
    pub async fn drop_database(self) -> Result<(), StoreError> {
        let mut conn = AnyConnection::connect(&self.base_url).await?;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        conn.execute(sqlx::AssertSqlSafe(sql)).await?;
        conn.close().await?;
        Ok(())
    }
}

fn random_suffix() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.write_u32(std::process::id());
    format!("{:016x}", h.finish())
}
