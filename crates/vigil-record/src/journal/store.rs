//! The journal's SQLite file: one table of rows `(seq, time_us, kind, body, hash)` in
//! write-ahead-logging mode, where `body` is the record's JSON and `hash` chains the row to
//! the one before (see [`row_hash`]). Readers (exports, `vigil verify`, the console) open it
//! while the writer runs.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, params};

use super::JournalError;
use super::record::JournalRecord;
use crate::provenance::chain::{self, GENESIS};

/// `PRAGMA application_id` of a Vigil journal ("VGLJ").
pub const APPLICATION_ID: i32 = 0x5647_4C4A;
/// `PRAGMA user_version`: the schema's version.
pub const SCHEMA_VERSION: i32 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS record (
    seq INTEGER PRIMARY KEY,
    time_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS record_kind_time ON record (kind, time_us);
";

/// The link of row `seq`: `sha256(previous || seq as 8 bytes big-endian || time_us as 8
/// bytes big-endian || kind || 0x00 || body)`. Every column is covered.
pub fn row_hash(previous: &[u8; 32], seq: u64, time_us: u64, kind: &str, body: &str) -> [u8; 32] {
    chain::link_parts(
        previous,
        &[
            &seq.to_be_bytes(),
            &time_us.to_be_bytes(),
            kind.as_bytes(),
            &[0],
            body.as_bytes(),
        ],
    )
}

/// The end of the chain: how many rows and the last row's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalHead {
    pub records: u64,
    pub hash: [u8; 32],
}

impl Default for JournalHead {
    fn default() -> Self {
        Self {
            records: 0,
            hash: GENESIS,
        }
    }
}

fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> JournalError + '_ {
    move |source| JournalError::Sql {
        path: path.to_owned(),
        source,
    }
}

/// Opens (creating) a journal for writing and returns it with the head to continue from.
pub fn open_for_writing(path: &Path) -> Result<(Connection, JournalHead), JournalError> {
    let err = sql_error(path);
    let conn = Connection::open(path).map_err(&err)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))
        .map_err(&err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(JournalError::Format {
            path: path.to_owned(),
            detail: format!("cannot switch to write-ahead logging (mode {mode})"),
        });
    }
    // NORMAL in WAL mode: a commit survives a crash of Vigil; power loss may take the last
    // commits back, which the recorder's own fsync each second bounds for the tlog.
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(&err)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(&err)?;
    conn.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(&err)?;
    conn.execute_batch(SCHEMA).map_err(&err)?;
    let head = last_row(&conn).map_err(&err)?;
    Ok((conn, head))
}

fn last_row(conn: &Connection) -> rusqlite::Result<JournalHead> {
    let mut stmt = conn.prepare("SELECT seq, hash FROM record ORDER BY seq DESC LIMIT 1")?;
    let mut rows = stmt.query([])?;
    let Some(row) = rows.next()? else {
        return Ok(JournalHead::default());
    };
    let seq: i64 = row.get(0)?;
    let hash: Vec<u8> = row.get(1)?;
    Ok(JournalHead {
        records: u64::try_from(seq).unwrap_or(0),
        hash: hash.try_into().unwrap_or(GENESIS),
    })
}

/// Appends records in one transaction, extending `head`.
pub fn append(
    conn: &mut Connection,
    path: &Path,
    head: &mut JournalHead,
    records: &[JournalRecord],
) -> Result<(), JournalError> {
    let err = sql_error(path);
    let tx = conn.transaction().map_err(&err)?;
    let mut next = *head;
    {
        let mut stmt = tx
            .prepare(
                "INSERT INTO record (seq, time_us, kind, body, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(&err)?;
        for record in records {
            let body = serde_json::to_string(record).map_err(|source| JournalError::Json {
                path: path.to_owned(),
                seq: next.records + 1,
                source,
            })?;
            let seq = next.records + 1;
            let time_us = record.time().0;
            let kind = record.kind();
            let hash = row_hash(&next.hash, seq, time_us, kind, &body);
            stmt.execute(params![
                i64::try_from(seq).unwrap_or(i64::MAX),
                i64::try_from(time_us).unwrap_or(i64::MAX),
                kind,
                body,
                &hash[..]
            ])
            .map_err(&err)?;
            next = JournalHead { records: seq, hash };
        }
    }
    tx.commit().map_err(&err)?;
    *head = next;
    Ok(())
}

/// One raw row, as `vigil verify` checks it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    pub seq: i64,
    pub time_us: i64,
    pub kind: String,
    pub body: String,
    pub hash: Vec<u8>,
}

/// A journal opened for reading (works while the writer runs).
pub struct JournalReader {
    conn: Connection,
    path: PathBuf,
}

impl JournalReader {
    pub fn open(path: &Path) -> Result<Self, JournalError> {
        if !path.is_file() {
            return Err(JournalError::Missing {
                path: path.to_owned(),
            });
        }
        // Read-write without create: SQLite needs to write the WAL index even to read a WAL
        // database; nothing here changes a row.
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .or_else(|_| {
            Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
        })
        .map_err(sql_error(path))?;
        let reader = Self {
            conn,
            path: path.to_owned(),
        };
        let app_id: i32 = reader
            .conn
            .pragma_query_value(None, "application_id", |row| row.get(0))
            .map_err(sql_error(path))?;
        if app_id != APPLICATION_ID {
            return Err(JournalError::Format {
                path: path.to_owned(),
                detail: format!("application_id {app_id:#x} is not a Vigil journal's"),
            });
        }
        Ok(reader)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every row in `seq` order, raw, for checking the chain.
    pub fn for_each_raw(&self, mut visit: impl FnMut(RawRow) -> bool) -> Result<(), JournalError> {
        let err = sql_error(&self.path);
        let mut stmt = self
            .conn
            .prepare("SELECT seq, time_us, kind, body, hash FROM record ORDER BY seq")
            .map_err(&err)?;
        let mut rows = stmt.query([]).map_err(&err)?;
        while let Some(row) = rows.next().map_err(&err)? {
            let raw = RawRow {
                seq: row.get(0).map_err(&err)?,
                time_us: row.get(1).map_err(&err)?,
                kind: row.get(2).map_err(&err)?,
                body: row.get(3).map_err(&err)?,
                hash: row.get(4).map_err(&err)?,
            };
            if !visit(raw) {
                break;
            }
        }
        Ok(())
    }

    /// The number of rows.
    pub fn count(&self) -> Result<u64, JournalError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM record", [], |row| row.get(0))
            .map_err(sql_error(&self.path))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The records with `from <= time <= to`, of the given kinds (all when empty), in `seq`
    /// order, each with its `seq`.
    pub fn records(
        &self,
        from: Option<u64>,
        to: Option<u64>,
        kinds: &[&str],
    ) -> Result<Vec<(u64, JournalRecord)>, JournalError> {
        let err = sql_error(&self.path);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT seq, kind, body FROM record WHERE time_us >= ?1 AND time_us <= ?2 ORDER BY seq",
            )
            .map_err(&err)?;
        let from = i64::try_from(from.unwrap_or(0)).unwrap_or(i64::MAX);
        let to = i64::try_from(to.unwrap_or(i64::MAX as u64)).unwrap_or(i64::MAX);
        let mut rows = stmt.query(params![from, to]).map_err(&err)?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(&err)? {
            let seq: i64 = row.get(0).map_err(&err)?;
            let kind: String = row.get(1).map_err(&err)?;
            if !kinds.is_empty() && !kinds.contains(&kind.as_str()) {
                continue;
            }
            let body: String = row.get(2).map_err(&err)?;
            let seq = u64::try_from(seq).unwrap_or(0);
            let record = serde_json::from_str(&body).map_err(|source| JournalError::Json {
                path: self.path.clone(),
                seq,
                source,
            })?;
            out.push((seq, record));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::record::NoteRecord;

    fn note(time_us: u64, text: &str) -> JournalRecord {
        JournalRecord::Note(NoteRecord {
            time_us,
            author: "op".into(),
            lat_deg: None,
            lon_deg: None,
            text: text.into(),
        })
    }

    #[test]
    fn rows_chain_and_a_reopened_journal_continues_the_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j.sqlite");
        let (mut conn, mut head) = open_for_writing(&path).expect("opens");
        append(&mut conn, &path, &mut head, &[note(1, "a"), note(2, "b")]).expect("appends");
        drop(conn);
        let (mut conn, mut reopened) = open_for_writing(&path).expect("reopens");
        assert_eq!(reopened, head);
        append(&mut conn, &path, &mut reopened, &[note(3, "c")]).expect("appends");
        let reader = JournalReader::open(&path).expect("reads");
        let mut previous = GENESIS;
        let mut seqs = Vec::new();
        reader
            .for_each_raw(|row| {
                let hash = row_hash(
                    &previous,
                    row.seq as u64,
                    row.time_us as u64,
                    &row.kind,
                    &row.body,
                );
                assert_eq!(hash.as_slice(), row.hash.as_slice());
                previous = hash;
                seqs.push(row.seq);
                true
            })
            .expect("walks");
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(previous, reopened.hash);
        let notes = reader.records(Some(2), None, &["note"]).expect("reads");
        assert_eq!(notes.len(), 2);
        assert_eq!(notes[0].1, note(2, "b"));
    }
}
