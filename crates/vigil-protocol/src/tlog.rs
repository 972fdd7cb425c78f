//! Telemetry logs in the format QGroundControl and MAVProxy write: no file header; each frame
//! preceded by its receive time as an 8-byte big-endian count of microseconds since the UNIX
//! epoch. A log cut off mid-record (a crash, `kill -9`) reads up to the last whole record.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use crate::Frame;
use crate::frame::{FrameAt, frame_at};
use vigil_core::time::TimeUs;

const TIMESTAMP_LEN: usize = 8;
const READ_CHUNK: usize = 64 * 1024;

/// One record of a tlog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlogRecord {
    pub time: TimeUs,
    pub frame: Frame,
}

impl TlogRecord {
    /// Appends the record's bytes to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.time.0.to_be_bytes());
        out.extend_from_slice(self.frame.raw());
    }
}

/// A problem in a tlog, with the file and the byte offset of the record.
#[derive(Debug, thiserror::Error)]
pub enum TlogError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: byte {offset}: no valid MAVLink frame after the timestamp{}; skipped {skipped} bytes to the next record",
        detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        skipped: u64,
        detail: Option<String>,
    },
    #[error(
        "{path}: byte {offset}: the log ends in the middle of a record ({len} bytes); the records before it are intact"
    )]
    Truncated {
        path: PathBuf,
        offset: u64,
        len: usize,
    },
}

/// Reads a tlog record by record from any reader.
#[derive(Debug)]
pub struct TlogReader<R> {
    reader: R,
    path: PathBuf,
    buf: Vec<u8>,
    start: usize,
    /// File offset of `buf[start]`.
    offset: u64,
    eof: bool,
}

impl TlogReader<std::fs::File> {
    pub fn open(path: &Path) -> Result<Self, TlogError> {
        let file = std::fs::File::open(path).map_err(|source| TlogError::Io {
            path: path.to_owned(),
            source,
        })?;
        Ok(Self::new(file, path))
    }
}

impl<R: Read> TlogReader<R> {
    /// `path` names the source in errors.
    pub fn new(reader: R, path: &Path) -> Self {
        Self {
            reader,
            path: path.to_owned(),
            buf: Vec::with_capacity(2 * READ_CHUNK),
            start: 0,
            offset: 0,
            eof: false,
        }
    }

    /// Reads more bytes; false at the end of the input.
    fn fill(&mut self) -> Result<bool, TlogError> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        let old_len = self.buf.len();
        self.buf.resize(old_len + READ_CHUNK, 0);
        let read = loop {
            match self.reader.read(&mut self.buf[old_len..]) {
                Ok(n) => break n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    self.buf.truncate(old_len);
                    return Err(TlogError::Io {
                        path: self.path.clone(),
                        source,
                    });
                }
            }
        };
        self.buf.truncate(old_len + read);
        if read == 0 {
            self.eof = true;
        }
        Ok(read > 0)
    }

    fn advance(&mut self, count: usize) {
        self.start += count;
        self.offset += count as u64;
    }

    /// The next record; `None` at the end. After an error, reading goes on with the next
    /// readable record, so one bad record never hides the rest of the log.
    pub fn next_record(&mut self) -> Option<Result<TlogRecord, TlogError>> {
        loop {
            let pending = &self.buf[self.start..];
            if pending.len() > TIMESTAMP_LEN {
                let mut stamp = [0u8; TIMESTAMP_LEN];
                stamp.copy_from_slice(&pending[..TIMESTAMP_LEN]);
                match frame_at(&pending[TIMESTAMP_LEN..]) {
                    FrameAt::Frame(frame, len) => {
                        self.advance(TIMESTAMP_LEN + len);
                        return Some(Ok(TlogRecord {
                            time: TimeUs(u64::from_be_bytes(stamp)),
                            frame,
                        }));
                    }
                    FrameAt::Invalid(detail) => {
                        return Some(Err(self.resync(detail.map(|d| d.to_string()))));
                    }
                    FrameAt::Truncated => {}
                }
            }
            match self.fill() {
                Ok(true) => {}
                Ok(false) => {
                    let len = self.buf.len() - self.start;
                    if len == 0 {
                        return None;
                    }
                    let offset = self.offset;
                    self.advance(len);
                    return Some(Err(TlogError::Truncated {
                        path: self.path.clone(),
                        offset,
                        len,
                    }));
                }
                Err(err) => return Some(Err(err)),
            }
        }
    }

    /// Skips to the next place where a timestamp is followed by a valid frame.
    fn resync(&mut self, detail: Option<String>) -> TlogError {
        let offset = self.offset;
        let mut skipped = 0u64;
        loop {
            self.advance(1);
            skipped += 1;
            let pending = &self.buf[self.start..];
            if pending.len() > TIMESTAMP_LEN + 1 {
                if matches!(frame_at(&pending[TIMESTAMP_LEN..]), FrameAt::Frame(..)) {
                    break;
                }
                continue;
            }
            match self.fill() {
                Ok(true) => {}
                _ => break,
            }
        }
        TlogError::Corrupt {
            path: self.path.clone(),
            offset,
            skipped,
            detail,
        }
    }
}

impl<R: Read> Iterator for TlogReader<R> {
    type Item = Result<TlogRecord, TlogError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_record()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FrameEncoder, MavMessage, MavVersion, mav};

    fn records(count: usize) -> Vec<TlogRecord> {
        let mut encoder = FrameEncoder::new(1, 1);
        (0..count)
            .map(|i| {
                let message = MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
                    time_boot_ms: i as u32,
                    roll: 0.25,
                    ..Default::default()
                });
                let version = if i % 2 == 0 {
                    MavVersion::V2
                } else {
                    MavVersion::V1
                };
                TlogRecord {
                    time: TimeUs(1_700_000_000_000_000 + i as u64 * 100_000),
                    frame: encoder.encode(&message, version).expect("encodes"),
                }
            })
            .collect()
    }

    fn bytes_of(records: &[TlogRecord]) -> Vec<u8> {
        let mut out = Vec::new();
        for record in records {
            record.write_to(&mut out);
        }
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<TlogRecord>, Vec<TlogError>) {
        let mut ok = Vec::new();
        let mut errors = Vec::new();
        for item in TlogReader::new(bytes, Path::new("test.tlog")) {
            match item {
                Ok(record) => ok.push(record),
                Err(err) => errors.push(err),
            }
        }
        (ok, errors)
    }

    #[test]
    fn records_round_trip() {
        let written = records(5000);
        let (read, errors) = read_all(&bytes_of(&written));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(read, written);
    }

    #[test]
    fn a_log_cut_mid_record_reads_up_to_the_cut() {
        let written = records(10);
        let mut bytes = bytes_of(&written);
        bytes.truncate(bytes.len() - 5);
        let (read, errors) = read_all(&bytes);
        assert_eq!(read, written[..9]);
        assert!(
            matches!(errors.as_slice(), [TlogError::Truncated { .. }]),
            "{errors:?}"
        );
    }

    #[test]
    fn a_corrupted_record_is_reported_with_its_offset_and_the_rest_is_read() {
        let written = records(10);
        let mut bytes = bytes_of(&written);
        let record_len = bytes.len() / 10; // v1 and v2 alternate, so not exact; find record 3
        let _ = record_len;
        let mut offset = 0;
        for record in &written[..3] {
            offset += 8 + record.frame.raw().len();
        }
        bytes[offset + 8 + 12] ^= 0x55; // a payload byte of record 3: CRC fails
        let (read, errors) = read_all(&bytes);
        assert_eq!(read.len(), 9);
        assert_eq!(read[3], written[4]);
        let [TlogError::Corrupt { offset: at, .. }] = errors.as_slice() else {
            panic!("{errors:?}");
        };
        assert_eq!(*at, offset as u64);
        assert!(errors[0].to_string().contains(&format!("byte {offset}")));
    }
}
