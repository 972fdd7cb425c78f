//! Where MAVLink signing keys live on disk: one file per vehicle (system id) in the folder the
//! caller names (the `vigil` binary: the user's data folder, or `--keys-dir`), readable by the
//! user alone (folder 0700, files 0600), holding the key as 64 hexadecimal digits. Keys are
//! read and written here and nowhere else; no error or log line ever contains one.
//!
//! Beside the keys, `signing-timestamp` keeps the station's signing timestamp across restarts
//! (see [`TimestampFile`]), and [`KeyRing`] is what every link's verifier asks for the key of a
//! system it hears for the first time: keys given on the command line, then the key files.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use vigil_protocol::SecretKey;
use vigil_protocol::signing::{KeyError, KeySource};

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
    #[error("cannot remove signing key {path}: {source}")]
    Remove {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read signing timestamp {path}: {source}")]
    TimestampRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("signing timestamp {path} does not hold a number")]
    TimestampInvalid { path: PathBuf },
    #[error("cannot write signing timestamp {path}: {source}")]
    TimestampWrite {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The folder of key files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyStore {
    dir: PathBuf,
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
        match std::fs::metadata(&path) {
            Ok(_) => read_key_file(&path).map(Some),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyStoreError::Read { path, source }),
        }
    }

    /// The file keeping the station's signing timestamp.
    pub fn timestamp_file(&self) -> TimestampFile {
        TimestampFile {
            path: self.dir.join(TIMESTAMP_FILE),
        }
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

/// Reads a key file as `vigil cmd signing-setup` writes it (64 hexadecimal digits); a file
/// others can read is refused.
pub fn read_key_file(path: &Path) -> Result<SecretKey, KeyStoreError> {
    let path = path.to_owned();
    let metadata = std::fs::metadata(&path).map_err(|source| KeyStoreError::Read {
        path: path.clone(),
        source,
    })?;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyStoreError::Exposed { path, mode });
    }
    let text = std::fs::read_to_string(&path).map_err(|source| KeyStoreError::Read {
        path: path.clone(),
        source,
    })?;
    SecretKey::from_hex(&text).map_err(|source| KeyStoreError::Invalid { path, source })
}

/// The name of the timestamp file in the keys folder.
pub const TIMESTAMP_FILE: &str = "signing-timestamp";

/// The station's signing timestamp on disk (decimal, 10 µs units since 2015), so that a
/// restart never signs with a timestamp it already used: a vehicle would take such frames as
/// replays, and anyone who recorded them could replay them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampFile {
    path: PathBuf,
}

impl TimestampFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The timestamp stored (`None`: no file yet). A file that does not hold a number is an
    /// error, not zero.
    pub fn load(&self) -> Result<Option<u64>, KeyStoreError> {
        match std::fs::read_to_string(&self.path) {
            Ok(text) => {
                text.trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| KeyStoreError::TimestampInvalid {
                        path: self.path.clone(),
                    })
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyStoreError::TimestampRead {
                path: self.path.clone(),
                source,
            }),
        }
    }

    /// Stores `timestamp`, renamed into place so that a crash leaves the old or the new one.
    pub fn store(&self, timestamp: u64) -> Result<(), KeyStoreError> {
        let fail = |source: std::io::Error| KeyStoreError::TimestampWrite {
            path: self.path.clone(),
            source,
        };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.exists()
        {
            std::fs::create_dir_all(dir).map_err(fail)?;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)?;
        }
        let mut temporary = self.path.clone().into_os_string();
        temporary.push(".new");
        let temporary = PathBuf::from(temporary);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&temporary)
            .map_err(fail)?;
        file.write_all(format!("{timestamp}\n").as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(fail)?;
        std::fs::rename(&temporary, &self.path).map_err(fail)
    }
}

/// Where the links' verifiers and the station's signer find keys, and what they know together
/// (which systems sign). A system's key is, in this order: the one given for it alone (`--key
/// SYSID=FILE`, or set up during the session), its key file in the store, the key given for
/// every system (`--key FILE`).
#[derive(Debug)]
pub struct KeyRing {
    store: KeyStore,
    /// `--key FILE`: the key of every system without one of its own.
    default: Option<SecretKey>,
    /// `--key SYSID=FILE`, and keys set up during the session.
    given: Mutex<BTreeMap<u8, SecretKey>>,
    /// Systems that sent a validly signed frame on some link (a bit per system id).
    signing: [AtomicU64; 4],
}

impl KeyRing {
    pub fn new(
        store: KeyStore,
        default: Option<SecretKey>,
        given: BTreeMap<u8, SecretKey>,
    ) -> Self {
        Self {
            store,
            default,
            given: Mutex::new(given),
            signing: Default::default(),
        }
    }

    pub fn store(&self) -> &KeyStore {
        &self.store
    }

    /// Stores a new key for `sysid` (as `signing-setup` does) and uses it from now on. What it
    /// replaced is returned, for [`KeyRing::restore`]. The key is used for this session even
    /// when it cannot be stored (the vehicle may have it already): the error says so.
    pub fn install(&self, sysid: u8, key: &SecretKey) -> Result<Installed, KeyStoreError> {
        // An unreadable old file is replaced all the same (its system's frames were refused).
        let previous_file = self.store.load(sysid).ok().flatten();
        let previous_given = self.given().insert(sysid, key.clone());
        let path = self.store.store(sysid, key)?;
        Ok(Installed {
            sysid,
            path,
            previous_file,
            previous_given,
        })
    }

    /// Puts back what [`KeyRing::install`] replaced (the vehicle never took the new key).
    pub fn restore(&self, installed: &Installed) -> Result<(), KeyStoreError> {
        let sysid = installed.sysid;
        match &installed.previous_given {
            Some(key) => self.given().insert(sysid, key.clone()),
            None => self.given().remove(&sysid),
        };
        match &installed.previous_file {
            Some(key) => self.store.store(sysid, key).map(drop),
            None => match std::fs::remove_file(&installed.path) {
                Ok(()) => Ok(()),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(source) => Err(KeyStoreError::Remove {
                    path: installed.path.clone(),
                    source,
                }),
            },
        }
    }

    /// The keys given or set up. A panic while the lock was held cannot leave the map
    /// half-changed (each use is one insert, remove or get), so a poisoned lock is taken over.
    fn given(&self) -> std::sync::MutexGuard<'_, BTreeMap<u8, SecretKey>> {
        self.given
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A key installed by [`KeyRing::install`], and what it replaced.
#[derive(Debug, Clone)]
pub struct Installed {
    pub sysid: u8,
    /// The key file written.
    pub path: PathBuf,
    /// The key file's key before (`None`: there was no readable file).
    previous_file: Option<SecretKey>,
    /// The key given for the system before (`--key SYSID=FILE`, or an earlier setup).
    previous_given: Option<SecretKey>,
}

impl KeySource for KeyRing {
    fn lookup(&self, sysid: u8) -> Result<Option<SecretKey>, KeyError> {
        let given = self.given().get(&sysid).cloned();
        if given.is_some() {
            return Ok(given);
        }
        match self.store.load(sysid) {
            Ok(Some(key)) => Ok(Some(key)),
            Ok(None) => Ok(self.default.clone()),
            Err(err) => Err(KeyError::Unavailable {
                sysid,
                reason: err.to_string(),
            }),
        }
    }

    fn mark_signing(&self, sysid: u8) {
        let (word, bit) = (usize::from(sysid / 64), sysid % 64);
        self.signing[word].fetch_or(1 << bit, Ordering::Relaxed);
    }

    fn is_signing(&self, sysid: u8) -> bool {
        let (word, bit) = (usize::from(sysid / 64), sysid % 64);
        self.signing[word].load(Ordering::Relaxed) & (1 << bit) != 0
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

    #[test]
    fn the_ring_prefers_a_given_key_then_the_store_then_the_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::new(dir.path());
        let stored = SecretKey::from_bytes([1; 32]).expect("non-zero");
        let given = SecretKey::from_bytes([2; 32]).expect("non-zero");
        let default = SecretKey::from_bytes([3; 32]).expect("non-zero");
        store.store(1, &stored).expect("stored");
        store.store(2, &stored).expect("stored");
        let ring = KeyRing::new(
            store,
            Some(default.clone()),
            BTreeMap::from([(2, given.clone())]),
        );
        assert_eq!(ring.lookup(1), Ok(Some(stored.clone())));
        assert_eq!(ring.lookup(2), Ok(Some(given.clone())));
        assert_eq!(ring.lookup(3), Ok(Some(default.clone())));
        let fresh = SecretKey::from_bytes([4; 32]).expect("non-zero");
        let installed = ring.install(3, &fresh).expect("installed");
        assert_eq!(ring.lookup(3), Ok(Some(fresh.clone())));
        // Undone: back to the default, and no file left.
        ring.restore(&installed).expect("restored");
        assert_eq!(ring.lookup(3), Ok(Some(default.clone())));
        assert!(!installed.path.exists());
        // Over a stored and a given key: both come back.
        let installed = ring.install(2, &fresh).expect("installed");
        assert_eq!(ring.store().load(2).expect("reads"), Some(fresh.clone()));
        ring.restore(&installed).expect("restored");
        assert_eq!(ring.lookup(2), Ok(Some(given.clone())));
        assert_eq!(ring.store().load(2).expect("reads"), Some(stored.clone()));
        assert!(!ring.is_signing(200));
        ring.mark_signing(200);
        assert!(ring.is_signing(200) && !ring.is_signing(199) && !ring.is_signing(8));
    }

    #[test]
    fn an_exposed_key_file_is_a_lookup_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = KeyStore::new(dir.path());
        let path = store
            .store(5, &SecretKey::from_bytes([5; 32]).expect("non-zero"))
            .expect("stored");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let ring = KeyRing::new(store, None, BTreeMap::new());
        let err = ring.lookup(5).expect_err("exposed");
        assert!(err.to_string().contains("system-5.key"), "{err}");
    }

    #[test]
    fn the_timestamp_file_round_trips_and_refuses_garbage() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = KeyStore::new(dir.path().join("keys")).timestamp_file();
        assert_eq!(file.load().expect("no file"), None);
        file.store(123_456_789).expect("stored");
        assert_eq!(file.load().expect("reads"), Some(123_456_789));
        let mode = std::fs::metadata(file.path())
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(file.path(), "soon").expect("write");
        let err = file.load().expect_err("not a number");
        assert!(
            matches!(err, KeyStoreError::TimestampInvalid { .. }),
            "{err}"
        );
    }
}
