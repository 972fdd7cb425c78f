//! The recorder thread (`vigil-recorder`): appends every frame received and sent to the
//! session's `telemetry.tlog`. Each batch is handed to the operating system as soon as it is
//! taken off the queue, so a crash or `kill -9` of Vigil loses at most the frames still in the
//! queue; the file is synced to disk every [`SYNC_PERIOD`] against power loss.
//!
//! When the disk refuses a write (full), the recorder keeps what it could not write in memory
//! (up to [`MAX_UNWRITTEN_BYTES`]), says so in its stats (`failing`, read by the world thread,
//! which tells the operator), retries at least every second, and writes the backlog as soon as
//! the disk takes it again. It writes through [`LogSink`], so tests can inject a failing disk.
//!
//! Beside the tlog it keeps `telemetry.tlog.chain` (see `provenance::chain`): the bytes that
//! reached the file, hashed in a chain as they are written, so `vigil verify` can say later
//! whether anything was changed, removed or added.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::provenance::chain::TlogChainWriter;
use vigil_protocol::tlog::TlogRecord;

/// How often the log is synced to the disk.
pub const SYNC_PERIOD: Duration = Duration::from_secs(1);
/// Records written in one system call at most.
const MAX_BATCH: usize = 512;
/// Bytes kept in memory while the disk refuses writes; beyond this records are dropped and
/// counted (the operator is already warned by `write_errors`).
pub const MAX_UNWRITTEN_BYTES: usize = 64 * 1024 * 1024;

/// Where the recorder writes: the tlog file, or in tests a disk that fills up.
pub trait LogSink: Write + Send + 'static {
    /// Makes what was written durable (`fsync`).
    fn sync(&mut self) -> std::io::Result<()>;
}

impl LogSink for Box<dyn LogSink> {
    fn sync(&mut self) -> std::io::Result<()> {
        (**self).sync()
    }
}

/// Opens the recorder's sink in place of the tlog file (tests inject a disk that fills up).
pub type SinkOpener = dyn Fn(&Path) -> std::io::Result<Box<dyn LogSink>> + Send + Sync;

/// A [`SinkOpener`] that a configuration can carry.
#[derive(Clone)]
pub struct SinkFactory(pub Arc<SinkOpener>);

impl std::fmt::Debug for SinkFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SinkFactory")
    }
}

impl LogSink for File {
    fn sync(&mut self) -> std::io::Result<()> {
        self.sync_data()
    }
}

/// What the recorder has done, for the status line and the console.
#[derive(Debug, Default)]
pub struct RecorderStats {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub write_errors: AtomicU64,
    pub dropped: AtomicU64,
    /// The last write failed and records wait in memory.
    pub failing: AtomicBool,
    last_error: Mutex<String>,
}

impl RecorderStats {
    /// Why the last failed write failed.
    pub fn last_error(&self) -> String {
        self.last_error
            .lock()
            .map(|e| e.clone())
            .unwrap_or_default()
    }
}

/// Errors opening the log.
#[derive(Debug, thiserror::Error)]
#[error("cannot open telemetry log {path}: {source}")]
pub struct RecorderError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// The running recorder.
#[derive(Debug)]
pub struct Recorder {
    pub path: PathBuf,
    pub stats: Arc<RecorderStats>,
    thread: Option<JoinHandle<()>>,
}

impl Recorder {
    /// Opens (appending) the log and starts the thread, which runs until every sender of
    /// `records` is dropped, then writes what is left and syncs.
    pub fn start(path: &Path, records: Receiver<TlogRecord>) -> Result<Self, RecorderError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| RecorderError {
                path: path.to_owned(),
                source,
            })?;
        let chain = file
            .metadata()
            .and_then(|meta| TlogChainWriter::open(path, meta.len()))
            .map_err(|source| RecorderError {
                path: crate::provenance::chain::tlog_chain_path(path),
                source,
            })?;
        Self::spawn(path, file, Some(chain), records)
    }

    /// Starts the thread writing to `sink` (`path` names it for the operator), without a hash
    /// chain: for tests that inject a failing disk.
    pub fn start_with(
        path: &Path,
        sink: impl LogSink,
        records: Receiver<TlogRecord>,
    ) -> Result<Self, RecorderError> {
        Self::spawn(path, sink, None, records)
    }

    fn spawn(
        path: &Path,
        sink: impl LogSink,
        chain: Option<TlogChainWriter>,
        records: Receiver<TlogRecord>,
    ) -> Result<Self, RecorderError> {
        let stats = Arc::new(RecorderStats::default());
        let thread_stats = stats.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-recorder".into())
            .spawn(move || run(sink, chain, &records, &thread_stats))
            .map_err(|source| RecorderError {
                path: path.to_owned(),
                source,
            })?;
        Ok(Self {
            path: path.to_owned(),
            stats,
            thread: Some(thread),
        })
    }

    /// Waits for the thread to write everything (the senders must be dropped first).
    pub fn join(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run(
    mut file: impl LogSink,
    mut chain: Option<TlogChainWriter>,
    records: &Receiver<TlogRecord>,
    stats: &RecorderStats,
) {
    let mut unwritten: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut last_sync = Instant::now();
    let mut dirty = false;
    loop {
        let first = match records.recv_timeout(SYNC_PERIOD) {
            Ok(record) => Some(record),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut count = 0u64;
        for record in first.into_iter().chain(records.try_iter().take(MAX_BATCH)) {
            if unwritten.len() >= MAX_UNWRITTEN_BYTES {
                stats.dropped.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            record.write_to(&mut unwritten);
            count += 1;
        }
        stats.records.fetch_add(count, Ordering::Relaxed);
        dirty |= write_out(&mut file, chain.as_mut(), &mut unwritten, stats);
        if dirty && last_sync.elapsed() >= SYNC_PERIOD {
            let _ = file.sync();
            if let Some(chain) = &mut chain {
                let _ = chain.sync();
            }
            last_sync = Instant::now();
            dirty = false;
        }
    }
    for record in records.try_iter() {
        record.write_to(&mut unwritten);
        stats.records.fetch_add(1, Ordering::Relaxed);
    }
    write_out(&mut file, chain.as_mut(), &mut unwritten, stats);
    let _ = file.sync();
    if let Some(chain) = &mut chain {
        let _ = chain.sync();
    }
}

/// Writes what is buffered; on failure (disk full) keeps what was not written for the next
/// attempt, so no record is lost or written twice. Returns true when something was written.
fn write_out(
    file: &mut impl LogSink,
    chain: Option<&mut TlogChainWriter>,
    unwritten: &mut Vec<u8>,
    stats: &RecorderStats,
) -> bool {
    let mut written = 0;
    let mut error = None;
    while written < unwritten.len() {
        match file.write(&unwritten[written..]) {
            Ok(0) => {
                error = Some(std::io::Error::from(std::io::ErrorKind::WriteZero));
                break;
            }
            Ok(n) => written += n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => {
                error = Some(err);
                break;
            }
        }
    }
    // Exactly the bytes that reached the file are chained, so the chain matches the file even
    // after a partial write.
    if written > 0
        && let Some(chain) = chain
        && chain.append(&unwritten[..written]).is_err()
    {
        stats.write_errors.fetch_add(1, Ordering::Relaxed);
    }
    unwritten.drain(..written);
    stats.bytes.fetch_add(written as u64, Ordering::Relaxed);
    match error {
        None => stats.failing.store(false, Ordering::Relaxed),
        Some(err) => {
            stats.write_errors.fetch_add(1, Ordering::Relaxed);
            if let Ok(mut last) = stats.last_error.lock() {
                *last = err.to_string();
            }
            stats.failing.store(true, Ordering::Relaxed);
        }
    }
    written > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes `room` bytes, then refuses with ENOSPC until given more room.
    struct Disk {
        bytes: Vec<u8>,
        room: usize,
    }

    impl Write for Disk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.room - self.bytes.len());
            if n == 0 {
                return Err(std::io::Error::from_raw_os_error(28));
            }
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl LogSink for Disk {
        fn sync(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_full_disk_keeps_the_rest_and_writes_it_once_space_returns() {
        let stats = RecorderStats::default();
        let mut disk = Disk {
            bytes: Vec::new(),
            room: 5,
        };
        let mut unwritten = b"0123456789".to_vec();
        assert!(write_out(&mut disk, None, &mut unwritten, &stats));
        assert_eq!(unwritten, b"56789");
        assert!(stats.failing.load(Ordering::Relaxed));
        assert_eq!(stats.write_errors.load(Ordering::Relaxed), 1);
        assert!(
            stats.last_error().contains("No space left"),
            "{}",
            stats.last_error()
        );
        disk.room = 100;
        assert!(write_out(&mut disk, None, &mut unwritten, &stats));
        assert!(unwritten.is_empty());
        assert!(!stats.failing.load(Ordering::Relaxed));
        assert_eq!(
            disk.bytes, b"0123456789",
            "nothing lost, nothing written twice"
        );
        assert_eq!(stats.bytes.load(Ordering::Relaxed), 10);
    }
}
