//! Hash chains: each link is `sha256(previous || bytes)`, so changing, removing or inserting
//! anything changes every later link. The journal chains its rows; the recorder chains the
//! batches it appends to `telemetry.tlog` in a side file, one line per batch:
//! `OFFSET LEN HASH` (decimal byte offset and length in the tlog, hex SHA-256 of the chain).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The link before the first: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0; 32];
/// Name of the tlog's chain file beside it (`telemetry.tlog` → `telemetry.tlog.chain`).
pub const TLOG_CHAIN_SUFFIX: &str = ".chain";

/// The next link of a chain.
pub fn link(previous: &[u8; 32], bytes: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    hasher.update(bytes);
    hasher.finalize().into()
}

/// The next link over several byte slices, as if they were concatenated.
pub fn link_parts(previous: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(previous);
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Parses hex into exactly `N` bytes.
pub fn unhex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != 2 * N || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The chain file of a tlog.
pub fn tlog_chain_path(tlog: &Path) -> PathBuf {
    let mut name = tlog.as_os_str().to_owned();
    name.push(TLOG_CHAIN_SUFFIX);
    PathBuf::from(name)
}

/// One line of a tlog chain file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainEntry {
    pub offset: u64,
    pub len: u64,
    pub hash: [u8; 32],
}

/// A problem reading a chain file, with its line.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: expected `OFFSET LEN SHA256HEX`")]
    Line { path: PathBuf, line: usize },
}

/// Reads a chain file. A last line cut off by a crash (no newline) is left out and reported
/// as `partial_tail = true`.
pub fn read_tlog_chain(path: &Path) -> Result<(Vec<ChainEntry>, bool), ChainError> {
    let io = |source| ChainError::Io {
        path: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut reader = BufReader::new(file);
    let mut entries = Vec::new();
    let mut line = String::new();
    let mut number = 0;
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(io)?;
        if read == 0 {
            return Ok((entries, false));
        }
        number += 1;
        if !line.ends_with('\n') {
            return Ok((entries, true));
        }
        let mut fields = line.split_ascii_whitespace();
        let entry = (|| {
            Some(ChainEntry {
                offset: fields.next()?.parse().ok()?,
                len: fields.next()?.parse().ok()?,
                hash: unhex(fields.next()?)?,
            })
        })()
        .ok_or_else(|| ChainError::Line {
            path: path.to_owned(),
            line: number,
        })?;
        entries.push(entry);
    }
}

/// A chain line covers the writes of at most this long (a crash leaves at most this much of
/// the tlog's tail outside the chain; one line per write would make the chain as big as the tlog).
pub const CHAIN_PERIOD: std::time::Duration = std::time::Duration::from_millis(200);

/// Appends the chain of a tlog as the recorder writes it.
pub struct TlogChainWriter {
    file: File,
    previous: [u8; 32],
    /// Where the next batch starts in the tlog.
    end: u64,
    /// The batch being hashed: its offset, length and hasher (already fed `previous`).
    pending: Option<(u64, u64, Sha256)>,
    opened: std::time::Instant,
}

impl std::fmt::Debug for TlogChainWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlogChainWriter")
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl TlogChainWriter {
    /// Opens (appending) the chain of `tlog`, continuing an existing chain; the next batch
    /// starts at `tlog_len` (bytes the chain does not cover before it show up in `vigil verify`).
    pub fn open(tlog: &Path, tlog_len: u64) -> std::io::Result<Self> {
        let path = tlog_chain_path(tlog);
        let previous = match read_tlog_chain(&path) {
            Ok((entries, _)) => entries.last().map_or(GENESIS, |e| e.hash),
            Err(ChainError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                GENESIS
            }
            Err(err) => return Err(std::io::Error::other(err.to_string())),
        };
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self {
            file,
            previous,
            end: tlog_len,
            pending: None,
            opened: std::time::Instant::now(),
        })
    }

    /// Chains `bytes`, just appended to the tlog at its current end.
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.append_at(self.end, bytes)
    }

    /// Chains `bytes`, appended to the tlog at `offset` (after a failed write the file's end
    /// may have moved).
    pub fn append_at(&mut self, offset: u64, bytes: &[u8]) -> std::io::Result<()> {
        if self
            .pending
            .as_ref()
            .is_some_and(|(start, len, _)| start + len != offset)
        {
            self.flush()?;
        }
        let previous = self.previous;
        let (_, len, hasher) = self.pending.get_or_insert_with(|| {
            let mut hasher = Sha256::new();
            hasher.update(previous);
            (offset, 0, hasher)
        });
        hasher.update(bytes);
        *len += bytes.len() as u64;
        self.end = offset + bytes.len() as u64;
        if self.opened.elapsed() >= CHAIN_PERIOD {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes the line of the batch being hashed.
    pub fn flush(&mut self) -> std::io::Result<()> {
        let Some((offset, len, hasher)) = self.pending.take() else {
            return Ok(());
        };
        let hash: [u8; 32] = hasher.finalize().into();
        self.file
            .write_all(format!("{offset} {len} {}\n", hex(&hash)).as_bytes())?;
        self.previous = hash;
        self.opened = std::time::Instant::now();
        Ok(())
    }

    /// After a failed write: the next batch starts at the file's end `end` (the bytes in
    /// between show up in `vigil verify` as not covered by the chain).
    pub fn skip_to(&mut self, end: u64) {
        let _ = self.flush();
        self.end = end;
    }

    /// Writes the pending line and syncs the chain file.
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.flush()?;
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes = link(&GENESIS, b"vigil");
        assert_eq!(unhex::<32>(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex::<32>("zz"), None);
    }

    #[test]
    fn a_chain_file_is_written_and_read_back_and_resumed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let tlog = dir.path().join("t.tlog");
        let mut writer = TlogChainWriter::open(&tlog, 0).expect("opens");
        writer.append(b"abc").expect("appends");
        writer.flush().expect("flushes");
        writer.append(b"defg").expect("appends");
        writer.sync().expect("syncs");
        drop(writer);
        let mut writer = TlogChainWriter::open(&tlog, 7).expect("reopens");
        writer.append(b"h").expect("appends");
        writer.sync().expect("syncs");
        let (entries, partial) = read_tlog_chain(&tlog_chain_path(&tlog)).expect("reads");
        assert!(!partial);
        let offsets: Vec<(u64, u64)> = entries.iter().map(|e| (e.offset, e.len)).collect();
        assert_eq!(offsets, [(0, 3), (3, 4), (7, 1)]);
        let expected = link(&link(&link(&GENESIS, b"abc"), b"defg"), b"h");
        assert_eq!(entries[2].hash, expected);
    }
}
