//! The recorder thread (`vigil-recorder`): appends every frame received and sent to the
//! session's `telemetry.tlog`. Each batch is handed to the operating system as soon as it is
//! taken off the queue, so a crash or `kill -9` of Vigil loses at most the frames still in the
//! queue; the file is synced to disk every [`SYNC_PERIOD`] against power loss.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::tlog::TlogRecord;
use crate::provenance::chain::TlogChainWriter;

/// How often the log is synced to the disk.
pub const SYNC_PERIOD: Duration = Duration::from_secs(1);
/// Records written in one system call at most.
const MAX_BATCH: usize = 512;
/// Bytes kept in memory while the disk refuses writes; beyond this records are dropped and
/// counted (the operator is already warned by `write_errors`).
const MAX_UNWRITTEN_BYTES: usize = 64 * 1024 * 1024;

/// What the recorder has done, for the status line and the console.
#[derive(Debug, Default)]
pub struct RecorderStats {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub write_errors: AtomicU64,
    pub dropped: AtomicU64,
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
        let stats = Arc::new(RecorderStats::default());
        let thread_stats = stats.clone();
        let chain = file
            .metadata()
            .and_then(|meta| TlogChainWriter::open(path, meta.len()))
            .map_err(|source| RecorderError {
                path: crate::provenance::chain::tlog_chain_path(path),
                source,
            })?;
        let thread = std::thread::Builder::new()
            .name("vigil-recorder".into())
            .spawn(move || run(file, chain, &records, &thread_stats))
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
    mut file: File,
    mut chain: TlogChainWriter,
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
        dirty |= write_out(&mut file, &mut chain, &mut unwritten, stats);
        if dirty && last_sync.elapsed() >= SYNC_PERIOD {
            let _ = file.sync_data();
            let _ = chain.sync();
            last_sync = Instant::now();
            dirty = false;
        }
    }
    for record in records.try_iter() {
        record.write_to(&mut unwritten);
        stats.records.fetch_add(1, Ordering::Relaxed);
    }
    write_out(&mut file, &mut chain, &mut unwritten, stats);
    let _ = file.sync_all();
    let _ = chain.sync();
}

/// Writes what is buffered; on failure (disk full) keeps it for the next attempt. Returns
/// true when something was written.
fn write_out(
    file: &mut File,
    chain: &mut TlogChainWriter,
    unwritten: &mut Vec<u8>,
    stats: &RecorderStats,
) -> bool {
    if unwritten.is_empty() {
        return false;
    }
    match file.write_all(unwritten) {
        Ok(()) => {
            if chain.append(unwritten).is_err() {
                stats.write_errors.fetch_add(1, Ordering::Relaxed);
            }
            stats
                .bytes
                .fetch_add(unwritten.len() as u64, Ordering::Relaxed);
            unwritten.clear();
            true
        }
        Err(_) => {
            // A partial write may have landed: the reader resynchronises on the next record.
            stats.write_errors.fetch_add(1, Ordering::Relaxed);
            if let Ok(meta) = file.metadata() {
                chain.skip_to(meta.len());
            }
            false
        }
    }
}
