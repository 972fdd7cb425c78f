//! Where MAVLink signing keys live on disk: one file per vehicle (system id) under the user's
//! data folder, readable by the user alone (folder 0700, files 0600), holding the key as 64
//! hexadecimal digits. Keys are read and written here and nowhere else; no error or log line
//! ever contains one.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::protocol::SecretKey;
use crate::protocol::signing::KeyError;

/// Errors reading or writing a key file; they name the file, never the key.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    #[error("cannot read signing key {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signing key {path} is not valid: {source}")]
    Invalid { path: PathBuf, source: KeyError },
    #[error("signing key {path} can be read by others (mode {mode:o}); make it 0600")]
    Exposed { path: PathBuf, mode: u32 },
    #[error("cannot write signing key {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The folder of key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStore {
    dir: PathBuf,
}

/// `$XDG_DATA_HOME/vigil/keys`, else `~/.local/share/vigil/keys`, else `./vigil-keys`.
pub fn default_keys_dir() -> PathBuf {
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(data).join("vigil/keys");
    }
    if let Some(home) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(home).join(".local/share/vigil/keys");
    }
    PathBuf::from("vigil-keys")
}

impl KeyStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key file of a vehicle.
    pub fn path_for(&self, sysid: u8) -> PathBuf {
        self.dir.join(format!("system-{sysid}.key"))
    }

    /// The key of a vehicle, `None` when it has none. A file others can read is refused.
    pub fn load(&self, sysid: u8) -> Result<Option<SecretKey>, KeyStoreError> {
        let path = self.path_for(sysid);
        let metadata = match std::fs::metadata(&path) {
            Ok(metadata) => metadata,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(KeyStoreError::Read { path, source }),
        };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyStoreError::Exposed { path, mode });
        }
        let text = std::fs::read_to_string(&path).map_err(|source| KeyStoreError::Read {
            path: path.clone(),
            source,
        })?;
        SecretKey::from_hex(&text)
            .map(Some)
            .map_err(|source| KeyStoreError::Invalid { path, source })
    }

    /// Stores a vehicle's key (replacing any), created 0600 in a 0700 folder and renamed into
    /// place so that a crash never leaves half a key.
    pub fn store(&self, sysid: u8, key: &SecretKey) -> Result<PathBuf, KeyStoreError> {
        let path = self.path_for(sysid);
        let write_error = |source| KeyStoreError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(&self.dir).map_err(write_error)?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
            .map_err(write_error)?;
        let temporary = self.dir.join(format!(".system-{sysid}.key.new"));
        let _ = std::fs::remove_file(&temporary);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(write_error)?;
        file.write_all(format!("{}\n", key.to_hex()).as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(write_error)?;
        std::fs::rename(&temporary, &path).map_err(write_error)?;
        Ok(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_key_reads_back_and_is_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::new(dir.path().join("keys"));
        assert!(store.load(7).expect("no file is no key").is_none());
        let key = SecretKey::from_bytes([9; 32]).expect("non-zero");
        let path = store.store(7, &key).expect("stored");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir_mode = std::fs::metadata(store.dir())
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(dir_mode & 0o777, 0o700);
        assert_eq!(store.load(7).expect("reads"), Some(key));
    }

    #[test]
    fn a_key_file_others_can_read_is_refused_and_errors_never_show_the_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::new(dir.path());
        let key = SecretKey::from_bytes([0x5c; 32]).expect("non-zero");
        let path = store.store(3, &key).expect("stored");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = store.load(3).expect_err("exposed");
        assert!(matches!(err, KeyStoreError::Exposed { .. }));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        std::fs::write(&path, "5c5c5c").expect("write");
        let err = store.load(3).expect_err("short");
        assert!(!format!("{err} {err:?}").contains("5c5c"), "{err}");
    }
}
