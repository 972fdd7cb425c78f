//! The journal's writer thread (`vigil-journal`): takes records off its queue and appends
//! them to `journal.sqlite` in one transaction per batch, at least every
//! [`COMMIT_PERIOD`](super::COMMIT_PERIOD).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, RecvTimeoutError, bounded};
use rusqlite::Connection;

use super::store::{self, JournalHead};
use super::{
    COMMIT_PERIOD, JOURNAL_QUEUE_CAPACITY, JournalError, JournalRecord, JournalSender,
    JournalStats, LostRecord,
};

/// Records in one transaction at most.
const MAX_BATCH: usize = 4096;

/// The running writer.
#[derive(Debug)]
pub struct JournalWriter {
    pub path: PathBuf,
    sender: JournalSender,
    stop: Arc<AtomicBool>,
    head: Arc<Mutex<JournalHead>>,
    thread: Option<JoinHandle<()>>,
}

impl JournalWriter {
    /// Opens (creating, or continuing) the journal at `path` and starts the thread.
    pub fn start(path: &Path) -> Result<Self, JournalError> {
        let (conn, head) = store::open_for_writing(path)?;
        let (tx, rx) = bounded(JOURNAL_QUEUE_CAPACITY);
        let stats = Arc::new(JournalStats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let head = Arc::new(Mutex::new(head));
        let mut state = WriterState {
            conn,
            path: path.to_owned(),
            head: head.clone(),
            stats: stats.clone(),
            failed: 0,
        };
        let thread_stop = stop.clone();
        let thread = std::thread::Builder::new()
            .name("vigil-journal".into())
            .spawn(move || state.run(&rx, &thread_stop))
            .map_err(JournalError::Thread)?;
        Ok(Self {
            path: path.to_owned(),
            sender: JournalSender::new(tx, stats),
            stop,
            head,
            thread: Some(thread),
        })
    }

    /// A handle for writing records.
    pub fn sender(&self) -> JournalSender {
        self.sender.clone()
    }

    pub fn stats(&self) -> Arc<JournalStats> {
        self.sender.stats().clone()
    }

    /// The chain's end as last committed.
    pub fn head(&self) -> JournalHead {
        self.head.lock().map(|h| *h).unwrap_or_default()
    }

    /// Writes what is queued, stops the thread and returns the chain's end.
    pub fn finish(mut self) -> JournalHead {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.head()
    }
}

impl Drop for JournalWriter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct WriterState {
    conn: Connection,
    path: PathBuf,
    head: Arc<Mutex<JournalHead>>,
    stats: Arc<JournalStats>,
    /// Records lost to write errors not yet reported in the journal.
    failed: u64,
}

impl WriterState {
    fn run(&mut self, rx: &Receiver<JournalRecord>, stop: &AtomicBool) {
        let mut head = self.head.lock().map(|h| *h).unwrap_or_default();
        let mut batch = Vec::with_capacity(MAX_BATCH);
        loop {
            let disconnected = match rx.recv_timeout(COMMIT_PERIOD) {
                Ok(record) => {
                    batch.push(record);
                    false
                }
                Err(RecvTimeoutError::Timeout) => false,
                Err(RecvTimeoutError::Disconnected) => true,
            };
            batch.extend(rx.try_iter().take(MAX_BATCH));
            self.commit(&mut head, &mut batch);
            if disconnected || (stop.load(Ordering::SeqCst) && rx.is_empty()) {
                break;
            }
        }
        // Fold the WAL back into the file so that a closed journal is one file.
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
    }

    fn commit(&mut self, head: &mut JournalHead, batch: &mut Vec<JournalRecord>) {
        if batch.is_empty() {
            return;
        }
        if self.failed > 0 {
            let time_us = batch.first().map_or(0, |r| r.time().0);
            batch.insert(
                0,
                JournalRecord::Lost(LostRecord {
                    time_us,
                    count: self.failed,
                    reason: "journal write failed".into(),
                }),
            );
        }
        match store::append(&mut self.conn, &self.path, head, batch) {
            Ok(()) => {
                self.stats
                    .written
                    .fetch_add(batch.len() as u64, Ordering::Relaxed);
                self.stats.commits.fetch_add(1, Ordering::Relaxed);
                self.failed = 0;
                if let Ok(mut shared) = self.head.lock() {
                    *shared = *head;
                }
            }
            Err(_) => {
                // Disk full or I/O error: these records are gone; say so in the next commit.
                let lost = batch
                    .iter()
                    .filter(|r| !matches!(r, JournalRecord::Lost(_)))
                    .count() as u64;
                self.failed += lost;
                self.stats.write_errors.fetch_add(1, Ordering::Relaxed);
                self.stats.lost.fetch_add(lost, Ordering::Relaxed);
            }
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{JournalReader, NoteRecord};

    #[test]
    fn the_writer_commits_everything_sent_before_finish() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("j.sqlite");
        let writer = JournalWriter::start(&path).expect("starts");
        let mut sender = writer.sender();
        for i in 0..1000 {
            assert!(sender.send(JournalRecord::Note(NoteRecord {
                time_us: i,
                author: "op".into(),
                lat_deg: None,
                lon_deg: None,
                text: format!("note {i}"),
            })));
        }
        let head = writer.finish();
        assert_eq!(head.records, 1000);
        let reader = JournalReader::open(&path).expect("opens");
        assert_eq!(reader.count().expect("counts"), 1000);
    }
}
