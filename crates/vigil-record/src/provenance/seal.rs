//! The seal of a closed session (`seal.json`): the journal's chain end, the tlog chain's end,
//! the files' SHA-256, signed with ed25519 over the payload's JSON bytes. The public key is
//! in the payload and in `signing-key.pub` beside it.

use std::collections::BTreeMap;
use std::path::Path;

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::chain::{self, hex, unhex};
use super::{ProvenanceError, file_sha256};
use crate::journal::{JOURNAL_FILE, JournalHead};
use crate::session::{META_FILE, TLOG_FILE};
use vigil_core::time::TimeUs;
use vigil_core::time::utc_string;

/// The seal's file name in a session folder.
pub const SEAL_FILE: &str = "seal.json";
/// The public key's file name in a session folder (hex).
pub const PUBLIC_KEY_FILE: &str = "signing-key.pub";
/// The payload's format name.
pub const SEAL_FORMAT: &str = "vigil-seal-1";

/// What is signed. Field order is the JSON's order, which is what the signature covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SealPayload {
    pub format: String,
    pub sealed_utc: String,
    pub sealed_unix_us: u64,
    pub journal_records: u64,
    pub journal_head: String,
    pub journal_sha256: Option<String>,
    pub tlog_bytes: u64,
    pub tlog_chain_entries: u64,
    pub tlog_chain_head: String,
    pub tlog_sha256: Option<String>,
    pub session_json_sha256: Option<String>,
    pub public_key: String,
    /// The inputs the session ran with (its sites, rules and ways: `session::INPUT_FILES`),
    /// by file name. Absent from seals made before they were kept, which verify as before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub inputs_sha256: BTreeMap<String, String>,
}

/// `seal.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seal {
    pub payload: SealPayload,
    pub signature: String,
}

impl Seal {
    /// Checks the signature against the payload's own public key; returns that key.
    pub fn check_signature(&self) -> Result<VerifyingKey, String> {
        let key_bytes =
            unhex::<32>(&self.payload.public_key).ok_or("the public key is not 64 hex digits")?;
        let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| e.to_string())?;
        let signature_bytes =
            unhex::<64>(&self.signature).ok_or("the signature is not 128 hex digits")?;
        let signature = Signature::from_bytes(&signature_bytes);
        let message = serde_json::to_vec(&self.payload).map_err(|e| e.to_string())?;
        key.verify(&message, &signature)
            .map_err(|_| "the signature does not match the payload".to_owned())?;
        Ok(key)
    }
}

fn optional_hash(path: &Path) -> Option<String> {
    path.is_file()
        .then(|| file_sha256(path).ok().map(|h| hex(&h)))
        .flatten()
}

/// Writes the public key beside the session's files (at the start, so that an unsealed
/// session still names its key).
pub fn write_public_key(dir: &Path, key: &SigningKey) -> Result<(), ProvenanceError> {
    let path = dir.join(PUBLIC_KEY_FILE);
    std::fs::write(
        &path,
        format!("{}\n", super::keys::public_hex(&key.verifying_key())),
    )
    .map_err(|source| ProvenanceError::Io { path, source })
}

/// Seals a closed session: the journal's head (as its writer finished it), the tlog chain's
/// end (read from the chain file), and the files' hashes.
pub fn seal_session(
    dir: &Path,
    key: &SigningKey,
    journal: Option<JournalHead>,
    now: TimeUs,
) -> Result<Seal, ProvenanceError> {
    let tlog = dir.join(TLOG_FILE);
    let chain_path = chain::tlog_chain_path(&tlog);
    let (entries, _) = if chain_path.is_file() {
        chain::read_tlog_chain(&chain_path)?
    } else {
        (Vec::new(), false)
    };
    let journal = journal.unwrap_or_default();
    let payload = SealPayload {
        format: SEAL_FORMAT.to_owned(),
        sealed_utc: utc_string(now),
        sealed_unix_us: now.0,
        journal_records: journal.records,
        journal_head: hex(&journal.hash),
        journal_sha256: optional_hash(&dir.join(JOURNAL_FILE)),
        tlog_bytes: entries.last().map_or(0, |e| e.offset + e.len),
        tlog_chain_entries: entries.len() as u64,
        tlog_chain_head: hex(&entries.last().map_or(chain::GENESIS, |e| e.hash)),
        tlog_sha256: optional_hash(&tlog),
        session_json_sha256: optional_hash(&dir.join(META_FILE)),
        public_key: super::keys::public_hex(&key.verifying_key()),
        inputs_sha256: crate::session::INPUT_FILES
            .iter()
            .filter_map(|name| optional_hash(&dir.join(name)).map(|h| ((*name).to_owned(), h)))
            .collect(),
    };
    let message = serde_json::to_vec(&payload).map_err(|err| ProvenanceError::Format {
        path: dir.join(SEAL_FILE),
        detail: err.to_string(),
    })?;
    let signature = key.sign(&message);
    let seal = Seal {
        payload,
        signature: hex(&signature.to_bytes()),
    };
    write_public_key(dir, key)?;
    let path = dir.join(SEAL_FILE);
    let text = serde_json::to_string_pretty(&seal).map_err(|err| ProvenanceError::Format {
        path: path.clone(),
        detail: err.to_string(),
    })?;
    std::fs::write(&path, text).map_err(|source| ProvenanceError::Io { path, source })?;
    Ok(seal)
}

/// Removes the seal of a session that is opened again for recording (it will be sealed anew
/// when it closes). Returns true if there was one.
pub fn unseal_for_append(dir: &Path) -> bool {
    std::fs::remove_file(dir.join(SEAL_FILE)).is_ok()
}

/// Reads `seal.json` if there is one.
pub fn read_seal(dir: &Path) -> Result<Option<Seal>, ProvenanceError> {
    let path = dir.join(SEAL_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(ProvenanceError::Io { path, source }),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|err| ProvenanceError::Format {
            path,
            detail: err.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seal_verifies_and_a_changed_payload_does_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = SigningKey::from_bytes(&[7; 32]);
        let seal =
            seal_session(dir.path(), &key, None, TimeUs(1_700_000_000_000_000)).expect("sealed");
        let back = read_seal(dir.path()).expect("reads").expect("there");
        assert_eq!(back, seal);
        assert_eq!(back.check_signature(), Ok(key.verifying_key()));
        let mut forged = back.clone();
        forged.payload.journal_records += 1;
        assert!(forged.check_signature().is_err());
    }
}
