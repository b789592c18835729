//! Signing secrets (search cursors, OAI-PMH resumption tokens) and random bytes: drawn from the
//! operating system's generator, created once and kept in the data directory readable by its
//! owner alone.

use std::io::Write as _;
use std::path::Path;

/// Bytes of a new secret.
const SECRET_BYTES: usize = 32;

/// Why a secret could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot keep the secret {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("the system's random generator failed: {0}")]
    Random(String),
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Result<Vec<u8>, SecretError> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| SecretError::Random(e.to_string()))?;
    Ok(bytes)
}

/// The secret kept at `path`, made (and written `0600`) when there is none yet.
pub fn load_or_create(path: &Path) -> Result<Vec<u8>, SecretError> {
    let io = |source| SecretError::Io {
        path: path.display().to_string(),
        source,
    };
    if let Ok(bytes) = std::fs::read(path)
        && bytes.len() >= SECRET_BYTES
    {
        return Ok(bytes);
    }
    let secret = random_bytes(SECRET_BYTES)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        options.mode(0o600);
        // A file left by an older version keeps its mode on open: narrow it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    let mut f = options.open(path).map_err(io)?;
    f.write_all(&secret).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_random_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.key"), dir.path().join("b.key"));
        let first = load_or_create(&a).unwrap();
        assert_eq!(first.len(), SECRET_BYTES);
        assert_eq!(load_or_create(&a).unwrap(), first, "kept");
        assert_ne!(load_or_create(&b).unwrap(), first, "random");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_short_secret_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.key");
        std::fs::write(&p, b"short").unwrap();
        assert_eq!(load_or_create(&p).unwrap().len(), SECRET_BYTES);
    }
}
