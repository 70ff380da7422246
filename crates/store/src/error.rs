/// What can go wrong in storage. Business outcomes (a duplicate email, a reused token) are
/// separate variants so that callers can answer them precisely.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("a user with this email already exists")]
    DuplicateEmail,
    #[error("a symbol with this name already exists")]
    DuplicateSymbol,
    #[error("the user already has a bot with this name")]
    DuplicateBotName,
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
        matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
    }
}
