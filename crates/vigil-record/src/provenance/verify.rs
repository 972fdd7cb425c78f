//! `vigil verify`: walks the journal's chain row by row and the tlog's chain batch by batch,
//! checks the seal's signature and its chain ends and file hashes, and says where anything
//! was changed, removed or added. An unsealed session (Vigil killed) is reported as intact up
//! to the last record and byte its chains cover.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::chain::{self, ChainEntry, GENESIS, hex, unhex};
use super::file_sha256;
use super::seal::{PUBLIC_KEY_FILE, Seal, read_seal};
use crate::journal::store::row_hash;
use crate::journal::{JOURNAL_FILE, JournalReader};
use crate::session::TLOG_FILE;

/// Problems listed per file at most (a removed tlog record shifts every later batch).
const MAX_PROBLEMS_PER_FILE: usize = 20;

/// Something found changed, removed or added, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// `record 57`, `bytes 1024..2048`, ...
    pub place: String,
    pub what: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.place, self.what)
    }
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Sealed, the signature holds, and everything matches.
    Intact,
    /// Not sealed (Vigil was stopped before closing the session); what the chains cover is intact.
    IntactUnsealed,
    /// Something was changed, removed or added.
    Changed,
}

/// What `verify_session` found.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    pub verdict: Verdict,
    pub problems: Vec<Problem>,
    /// Informational lines (what was checked).
    pub notes: Vec<String>,
    /// Journal rows intact from the start.
    pub journal_intact_records: u64,
    /// Tlog bytes intact from the start (covered by the chain).
    pub tlog_intact_bytes: u64,
    /// The journal chain's end as found (records, head hash hex).
    pub journal_head: Option<(u64, String)>,
    /// The tlog chain's end as found (bytes, head hash hex).
    pub tlog_head: Option<(u64, String)>,
    pub sealed: bool,
}

impl VerifyReport {
    /// The one-line summary.
    pub fn summary(&self) -> String {
        match self.verdict {
            Verdict::Intact => format!(
                "INTACT: {} journal records, {} tlog bytes, sealed and signed",
                self.journal_intact_records, self.tlog_intact_bytes
            ),
            Verdict::IntactUnsealed => format!(
                "intact up to record {} / byte {}, not sealed",
                self.journal_intact_records, self.tlog_intact_bytes
            ),
            Verdict::Changed => format!(
                "NOT INTACT: {} problem(s); intact up to record {} / byte {}",
                self.problems.len(),
                self.journal_intact_records,
                self.tlog_intact_bytes
            ),
        }
    }
}

struct Findings {
    problems: Vec<Problem>,
    notes: Vec<String>,
}

impl Findings {
    fn problem(&mut self, file: &str, place: impl Into<String>, what: impl Into<String>) {
        let count = self.problems.iter().filter(|p| p.file == file).count();
        if count == MAX_PROBLEMS_PER_FILE {
            self.problems.push(Problem {
                file: file.to_owned(),
                place: "…".into(),
                what: "more problems not listed".into(),
            });
        } else if count < MAX_PROBLEMS_PER_FILE {
            self.problems.push(Problem {
                file: file.to_owned(),
                place: place.into(),
                what: what.into(),
            });
        }
    }
}

/// Checks a session folder.
pub fn verify_session(dir: &Path) -> VerifyReport {
    let mut findings = Findings {
        problems: Vec::new(),
        notes: Vec::new(),
    };
    // Hash the files before SQLite opens anything.
    let journal_path = dir.join(JOURNAL_FILE);
    let tlog_path = dir.join(TLOG_FILE);
    let journal_file_hash = journal_path
        .is_file()
        .then(|| file_sha256(&journal_path).ok())
        .flatten();
    let tlog_file_hash = tlog_path
        .is_file()
        .then(|| file_sha256(&tlog_path).ok())
        .flatten();
    let session_json_hash = file_sha256(&dir.join(crate::session::META_FILE)).ok();

    let seal = match read_seal(dir) {
        Ok(seal) => seal,
        Err(err) => {
            findings.problem(super::SEAL_FILE, "file", format!("unreadable: {err}"));
            None
        }
    };
    let (journal_records, journal_head, journal_intact) =
        check_journal(&journal_path, &mut findings);
    let (tlog_end, tlog_head, tlog_intact, tlog_len) = check_tlog(&tlog_path, &mut findings);

    if let Some(seal) = &seal {
        check_seal(
            dir,
            seal,
            &mut findings,
            SealInputs {
                journal_records,
                journal_head: &journal_head,
                journal_file_hash,
                tlog_end,
                tlog_head: &tlog_head,
                tlog_file_hash,
                tlog_len,
                session_json_hash,
            },
        );
    } else if tlog_len > tlog_end {
        findings.notes.push(format!(
            "{TLOG_FILE}: {} bytes after byte {tlog_end} are not in the chain (written as Vigil stopped, or appended)",
            tlog_len - tlog_end
        ));
    }
    let verdict = if !findings.problems.is_empty() {
        Verdict::Changed
    } else if seal.is_some() {
        Verdict::Intact
    } else {
        Verdict::IntactUnsealed
    };
    VerifyReport {
        verdict,
        problems: findings.problems,
        notes: findings.notes,
        journal_intact_records: journal_intact,
        tlog_intact_bytes: tlog_intact,
        journal_head: journal_path
            .is_file()
            .then(|| (journal_records, hex(&journal_head))),
        tlog_head: tlog_path.is_file().then(|| (tlog_end, hex(&tlog_head))),
        sealed: seal.is_some(),
    }
}

/// Walks the journal: (rows, last stored hash, rows intact from the start).
fn check_journal(path: &Path, findings: &mut Findings) -> (u64, [u8; 32], u64) {
    let reader = match JournalReader::open(path) {
        Ok(reader) => reader,
        Err(crate::journal::JournalError::Missing { .. }) => {
            findings.notes.push(format!("{JOURNAL_FILE}: none"));
            return (0, GENESIS, 0);
        }
        Err(err) => {
            findings.problem(JOURNAL_FILE, "file", format!("unreadable: {err}"));
            return (0, GENESIS, 0);
        }
    };
    let mut expected_seq: i64 = 1;
    let mut previous = GENESIS;
    let mut rows = 0u64;
    let mut intact = 0u64;
    let mut broken = false;
    let walked = reader.for_each_raw(|row| {
        rows += 1;
        let mut ok = true;
        if row.seq != expected_seq {
            ok = false;
            if row.seq > expected_seq {
                let place = if row.seq == expected_seq + 1 {
                    format!("record {expected_seq}")
                } else {
                    format!("records {expected_seq}..{}", row.seq - 1)
                };
                findings.problem(JOURNAL_FILE, place, "removed");
            } else {
                findings.problem(
                    JOURNAL_FILE,
                    format!("record {}", row.seq),
                    "out of sequence",
                );
            }
        } else {
            let hash = row_hash(
                &previous,
                row.seq as u64,
                row.time_us as u64,
                &row.kind,
                &row.body,
            );
            if hash.as_slice() != row.hash.as_slice() {
                ok = false;
                findings.problem(
                    JOURNAL_FILE,
                    format!("record {}", row.seq),
                    format!(
                        "changed ({} at {} µs does not match its hash)",
                        row.kind, row.time_us
                    ),
                );
            }
        }
        if ok && !broken {
            intact = row.seq as u64;
        } else {
            broken = true;
        }
        expected_seq = row.seq.saturating_add(1);
        previous = row.hash.as_slice().try_into().unwrap_or(GENESIS);
        true
    });
    if let Err(err) = walked {
        findings.problem(
            JOURNAL_FILE,
            format!("after record {rows}"),
            format!("unreadable: {err}"),
        );
    }
    findings
        .notes
        .push(format!("{JOURNAL_FILE}: {rows} records, chain walked"));
    (rows, previous, intact)
}

/// Walks the tlog's chain: (end covered, last hash, bytes intact from the start, file length).
fn check_tlog(path: &Path, findings: &mut Findings) -> (u64, [u8; 32], u64, u64) {
    let Ok(meta) = std::fs::metadata(path) else {
        findings.notes.push(format!("{TLOG_FILE}: none"));
        return (0, GENESIS, 0, 0);
    };
    let len = meta.len();
    let chain_path = chain::tlog_chain_path(path);
    let chain_name = format!("{TLOG_FILE}{}", chain::TLOG_CHAIN_SUFFIX);
    let entries: Vec<ChainEntry> = match chain::read_tlog_chain(&chain_path) {
        Ok((entries, partial)) => {
            if partial {
                findings.notes.push(format!(
                    "{chain_name}: its last line was cut off (Vigil stopped while writing it)"
                ));
            }
            entries
        }
        Err(err) => {
            findings.problem(&chain_name, "file", format!("unreadable: {err}"));
            return (0, GENESIS, 0, len);
        }
    };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) => {
            findings.problem(TLOG_FILE, "file", format!("unreadable: {err}"));
            return (0, GENESIS, 0, len);
        }
    };
    let mut previous = GENESIS;
    let mut end = 0u64;
    let mut intact = 0u64;
    let mut broken = false;
    let mut buf = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let mut ok = true;
        if entry.offset != end {
            ok = false;
            if entry.offset > end {
                findings.problem(
                    TLOG_FILE,
                    format!("bytes {end}..{}", entry.offset),
                    "not covered by the chain",
                );
            } else {
                findings.problem(
                    &chain_name,
                    format!("line {}", index + 1),
                    format!("batch at byte {} overlaps the one before", entry.offset),
                );
            }
        }
        let range_end = entry.offset.saturating_add(entry.len);
        if range_end > len {
            ok = false;
            findings.problem(
                TLOG_FILE,
                format!(
                    "bytes {}..{range_end}",
                    entry.offset.max(len.min(entry.offset))
                ),
                format!("removed (the file ends at byte {len})"),
            );
        } else {
            buf.resize(usize::try_from(entry.len).unwrap_or(0), 0);
            let read = file
                .seek(SeekFrom::Start(entry.offset))
                .and_then(|_| file.read_exact(&mut buf));
            if read.is_err() || chain::link(&previous, &buf) != entry.hash {
                ok = false;
                findings.problem(
                    TLOG_FILE,
                    format!("bytes {}..{range_end}", entry.offset),
                    format!("changed (batch {} of the chain)", index + 1),
                );
            }
        }
        if ok && !broken {
            intact = range_end;
        } else {
            broken = true;
        }
        previous = entry.hash;
        end = range_end;
    }
    findings.notes.push(format!(
        "{TLOG_FILE}: {len} bytes, {} batches chained up to byte {end}",
        entries.len()
    ));
    (end, previous, intact, len)
}

struct SealInputs<'a> {
    journal_records: u64,
    journal_head: &'a [u8; 32],
    journal_file_hash: Option<[u8; 32]>,
    tlog_end: u64,
    tlog_head: &'a [u8; 32],
    tlog_file_hash: Option<[u8; 32]>,
    tlog_len: u64,
    session_json_hash: Option<[u8; 32]>,
}

fn check_seal(dir: &Path, seal: &Seal, findings: &mut Findings, found: SealInputs<'_>) {
    let file = super::SEAL_FILE;
    match seal.check_signature() {
        Ok(key) => {
            let public = super::keys::public_hex(&key);
            findings
                .notes
                .push(format!("{file}: signature valid, key {public}"));
            if let Ok(text) = std::fs::read_to_string(dir.join(PUBLIC_KEY_FILE))
                && text.trim() != public
            {
                findings.problem(
                    PUBLIC_KEY_FILE,
                    "key",
                    "differs from the key that signed the seal",
                );
            }
        }
        Err(reason) => findings.problem(file, "signature", reason),
    }
    let sealed = &seal.payload;
    // The journal: rows added or removed at the end, and the chain's end.
    if found.journal_records > sealed.journal_records {
        findings.problem(
            JOURNAL_FILE,
            format!(
                "records {}..{}",
                sealed.journal_records + 1,
                found.journal_records
            ),
            "appended after the seal",
        );
    } else if found.journal_records < sealed.journal_records {
        findings.problem(
            JOURNAL_FILE,
            format!(
                "records {}..{}",
                found.journal_records + 1,
                sealed.journal_records
            ),
            "removed (the seal counts them)",
        );
    } else if unhex::<32>(&sealed.journal_head) != Some(*found.journal_head) {
        findings.problem(
            JOURNAL_FILE,
            format!("record {}", found.journal_records),
            "the chain's end differs from the seal's",
        );
    }
    if let (Some(sealed_hash), Some(hash)) = (&sealed.journal_sha256, found.journal_file_hash)
        && unhex::<32>(sealed_hash) != Some(hash)
        && findings.problems.iter().all(|p| p.file != JOURNAL_FILE)
    {
        findings.problem(
            JOURNAL_FILE,
            "file",
            "its bytes differ from the sealed file outside the records (SQLite pages or free space)",
        );
    }
    // The tlog.
    if found.tlog_len > sealed.tlog_bytes {
        findings.problem(
            TLOG_FILE,
            format!("bytes {}..{}", sealed.tlog_bytes, found.tlog_len),
            "appended after the seal",
        );
    } else if found.tlog_len < sealed.tlog_bytes
        && findings.problems.iter().all(|p| p.file != TLOG_FILE)
    {
        findings.problem(
            TLOG_FILE,
            format!("bytes {}..{}", found.tlog_len, sealed.tlog_bytes),
            "removed (the seal covers them)",
        );
    }
    if found.tlog_end == sealed.tlog_bytes
        && unhex::<32>(&sealed.tlog_chain_head) != Some(*found.tlog_head)
    {
        findings.problem(
            TLOG_FILE,
            format!("chain at byte {}", found.tlog_end),
            "the chain's end differs from the seal's",
        );
    }
    if let (Some(sealed_hash), Some(hash)) = (&sealed.tlog_sha256, found.tlog_file_hash)
        && unhex::<32>(sealed_hash) != Some(hash)
        && findings.problems.iter().all(|p| p.file != TLOG_FILE)
    {
        findings.problem(TLOG_FILE, "file", "its bytes differ from the sealed file");
    }
    if let (Some(sealed_hash), Some(hash)) = (&sealed.session_json_sha256, found.session_json_hash)
        && unhex::<32>(sealed_hash) != Some(hash)
    {
        findings.problem(crate::session::META_FILE, "file", "changed after the seal");
    }
    // The inputs the session ran with: as sealed, or the replay would judge otherwise.
    for (name, sealed_hash) in &sealed.inputs_sha256 {
        match file_sha256(&dir.join(name)) {
            Ok(hash) if unhex::<32>(sealed_hash) == Some(hash) => {}
            Ok(_) => findings.problem(name, "file", "changed after the seal"),
            Err(_) => findings.problem(name, "file", "removed after the seal"),
        }
    }
}
