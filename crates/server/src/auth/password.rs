//! Password hashing with argon2id at OWASP's recommended cost (19 MiB, 2 passes, 1 lane).
//!
//! Hashing is deliberately slow (about 25 ms in a release build), so it runs on the blocking
//! pool, and a semaphore keeps a burst of logins from taking every core and much memory.

use std::sync::{Arc, LazyLock};

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::ServiceError;

/// OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified on a login for an unknown email so that an
/// unknown email takes as long as a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    argon2().hash_password(b"no such user: timing equaliser").expect("hashing works").to_string()
});

/// Hashes and verifies passwords off the async runtime, a few at a time.
#[derive(Clone, Debug)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
}

impl PasswordHasherPool {
    pub fn new(concurrency: usize) -> Self {
        PasswordHasherPool { permits: Arc::new(Semaphore::new(concurrency.max(1))) }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) with a fresh random salt.
    pub async fn hash(&self, password: String) -> Result<String, ServiceError> {
        let _permit = self.permits.acquire().await.map_err(ServiceError::internal)?;
        tokio::task::spawn_blocking(move || {
            argon2()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| ServiceError::internal(anyhow::anyhow!("hashing a password: {e}")))
        })
        .await
        .map_err(ServiceError::internal)?
    }

    /// True when `password` matches `stored`. With `stored = None` (unknown user) a dummy hash
    /// is checked and the answer is false, in the same time.
    pub async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, ServiceError> {
        let _permit = self.permits.acquire().await.map_err(ServiceError::internal)?;
        tokio::task::spawn_blocking(move || {
            let known = stored.is_some();
            let phc = stored.unwrap_or_else(|| DUMMY_HASH.clone());
            let parsed = PasswordHash::new(&phc)
                .map_err(|e| ServiceError::internal(anyhow::anyhow!("stored hash: {e}")))?;
            let matches = argon2().verify_password(password.as_bytes(), &parsed).is_ok();
            Ok(known && matches)
        })
        .await
        .map_err(ServiceError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_with_argon2id_owasp_parameters_and_verifies() {
        let pool = PasswordHasherPool::new(2);
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(pool.verify("correct horse".into(), Some(hash.clone())).await.unwrap());
        assert!(!pool.verify("wrong horse".into(), Some(hash.clone())).await.unwrap());
        // Same password, new salt, different hash.
        assert_ne!(pool.hash("correct horse".into()).await.unwrap(), hash);
        // Unknown user: never matches, even the dummy's own password.
        assert!(!pool.verify("no such user: timing equaliser".into(), None).await.unwrap());
    }
}
