//! The JWT signing secret: from `AETHERION_JWT_SECRET`, or generated at first start and kept
//! in the data directory, readable by the owner only.

use std::fs::OpenOptions;
use std::io::Write;
#[cfg(unix)]
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

const FILE_NAME: &str = "jwt_secret";
/// Shortest secret accepted: 256 bits, as HS256 wants.
pub const MIN_SECRET_BYTES: usize = 32;

/// The secret given explicitly, or the one in `data_dir` (created when missing).
pub fn load_or_create(explicit: Option<&str>, data_dir: &Path) -> anyhow::Result<Vec<u8>> {
    if let Some(secret) = explicit {
        if secret.len() < MIN_SECRET_BYTES {
            bail!("the JWT secret must be at least {MIN_SECRET_BYTES} bytes long");
        }
        return Ok(secret.as_bytes().to_vec());
    }
    let path = data_dir.join(FILE_NAME);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let secret = STANDARD
                .decode(text.trim())
                .with_context(|| format!("reading {}: not base64", path.display()))?;
            if secret.len() < MIN_SECRET_BYTES {
                bail!("{} holds a secret shorter than {MIN_SECRET_BYTES} bytes", path.display());
            }
            #[cfg(unix)]
            {
                let mode = std::fs::metadata(&path)?.permissions().mode() & 0o777;
                if mode != 0o600 {
                    tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "restricting the JWT secret to 0600");
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
                }
            }
            Ok(secret)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret: [u8; 64] = rand::random();
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            options.mode(0o600);
            let mut file = options
                .open(&path)
                .with_context(|| format!("creating {}", path.display()))?;
            writeln!(file, "{}", STANDARD.encode(secret))?;
            file.sync_all()?;
            tracing::info!(path = %path.display(), "generated a new JWT signing secret");
            Ok(secret.to_vec())
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_once_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create(None, dir.path()).unwrap();
        assert_eq!(first.len(), 64);
        #[cfg(unix)]
        {
            let mode = std::fs::metadata(dir.path().join(FILE_NAME)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(load_or_create(None, dir.path()).unwrap(), first);
    }

    #[test]
    fn explicit_secret_wins_and_must_be_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let s = "x".repeat(40);
        assert_eq!(load_or_create(Some(&s), dir.path()).unwrap(), s.as_bytes());
        assert!(load_or_create(Some("short"), dir.path()).is_err());
        assert!(!dir.path().join(FILE_NAME).exists());
    }
}
