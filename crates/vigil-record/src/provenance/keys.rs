//! The session signing key: an ed25519 key made on first use and kept in the file the caller
//! names (mode 0600, its folder 0700): for the `vigil` binary, `session-signing.key` in the
//! user's keys folder (`~/.local/share/vigil/keys` on Linux), or where `VIGIL_SIGNING_KEY`
//! points (a key on removable media). The secret is never printed or logged; only the public
//! key leaves this module.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::ProvenanceError;
use super::chain::{hex, unhex};

/// The key file's name in a keys folder.
pub const KEY_FILE: &str = "session-signing.key";

/// Loads the key at `path`, or makes one there if there is none.
pub fn load_or_create(path: &Path) -> Result<SigningKey, ProvenanceError> {
    let key_error = |detail: String| ProvenanceError::Key {
        path: path.to_owned(),
        detail,
    };
    let read = |text: &str| {
        unhex::<32>(text)
            .map(|seed| SigningKey::from_bytes(&seed))
            .ok_or_else(|| key_error("not a 64-digit hex ed25519 seed".into()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => read(&text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|err| key_error(format!("no randomness: {err}")))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                create_private_dir(dir).map_err(|err| key_error(err.to_string()))?;
            }
            match publish_private(path, format!("{}\n", hex(&seed)).as_bytes()) {
                Ok(()) => Ok(SigningKey::from_bytes(&seed)),
                // Another Vigil made it first: its key, whole, is the one.
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text =
                        std::fs::read_to_string(path).map_err(|err| key_error(err.to_string()))?;
                    read(&text)
                }
                Err(err) => Err(key_error(err.to_string())),
            }
        }
        Err(err) => Err(key_error(err.to_string())),
    }
}

/// Writes a private file beside `path` and links it into place, so that `path` appears whole
/// or not at all, and never replaces a key another process made meanwhile (`AlreadyExists`).
fn publish_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static STAGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{}-{n}.tmp", std::process::id()));
    let staging = std::path::PathBuf::from(name);
    let _ = std::fs::remove_file(&staging);
    write_private(&staging, bytes)?;
    let linked = std::fs::hard_link(&staging, path);
    let _ = std::fs::remove_file(&staging);
    linked
}

/// The public key as hex (what `signing-key.pub` holds).
pub fn public_hex(key: &VerifyingKey) -> String {
    hex(key.as_bytes())
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates a file readable by its owner only; fails if it exists (never overwrites a key).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_private_and_loaded_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/k.key");
        let made = load_or_create(&path).expect("made");
        let loaded = load_or_create(&path).expect("loaded");
        assert_eq!(made.verifying_key(), loaded.verifying_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_bad_key_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.key");
        std::fs::write(&path, "not hex").expect("written");
        let err = load_or_create(&path).expect_err("refused");
        assert!(err.to_string().contains("bad.key"), "{err}");
    }

    #[test]
    fn stations_starting_at_once_agree_on_one_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/k.key");
        let keys: Vec<VerifyingKey> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| {
                    let path = path.clone();
                    std::thread::Builder::new()
                        .name(format!("test-key-{i}"))
                        .spawn_scoped(scope, move || {
                            load_or_create(&path).expect("a key").verifying_key()
                        })
                        .expect("a thread")
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("joined"))
                .collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
        let left: Vec<_> = std::fs::read_dir(dir.path().join("keys"))
            .expect("the folder")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no staging file left: {left:?}");
    }
}
