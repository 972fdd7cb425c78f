//! Provenance: whether a session's files are what Vigil wrote. The journal chains its rows
//! and the recorder chains the batches it appends to the tlog (`chain`); when the session
//! closes, both chain ends and the files' hashes are signed with the user's ed25519 key
//! (`keys`, `seal`); `vigil verify` (`verify`) checks all of it and says where anything was
//! changed, removed or added.

pub mod chain;
pub mod keys;
pub mod seal;
pub mod verify;

use std::path::PathBuf;

pub use seal::{PUBLIC_KEY_FILE, SEAL_FILE, Seal, SealPayload, seal_session};
pub use verify::{Problem, Verdict, VerifyReport, verify_session};

/// Errors of sealing and key handling, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ProvenanceError {
    #[error("signing key {path}: {detail}")]
    Key { path: PathBuf, detail: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Format { path: PathBuf, detail: String },
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error(transparent)]
    Chain(#[from] chain::ChainError),
}

/// SHA-256 of a whole file, streamed.
pub fn file_sha256(path: &std::path::Path) -> Result<[u8; 32], ProvenanceError> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let io = |source| ProvenanceError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(buf.get(..n).unwrap_or_default());
    }
    Ok(hasher.finalize().into())
}
