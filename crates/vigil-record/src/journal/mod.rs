//! The journal: what was observed and decided during a session, kept beside its
//! `telemetry.tlog` in an SQLite file (`journal.sqlite`, write-ahead logging) so that
//! "we watched this village at 14:00 and saw nothing" can be shown later. Drone paths and
//! camera footprints (once a second per drone), every detection, the confirmed tracks after
//! each scan, the operator's notices, and alerts, incidents, community reports and notes
//! written by whoever owns them. Each row is chained to the one before by a SHA-256 hash.
//!
//! # Threads and the full-queue policy
//! The world thread hands records to the writer thread (`vigil-journal`) through a bounded
//! queue of [`JOURNAL_QUEUE_CAPACITY`]; it never waits. When the queue is full, a vehicle
//! state is dropped (the next comes a second later) and counted in `states_dropped`; any
//! other record is counted in `lost`, and the next record that fits is preceded by a
//! [`LostRecord`] saying how many were lost, so the journal itself shows the gap. The writer
//! commits at least every [`COMMIT_PERIOD`], so a crash loses at most that much.

pub mod decisions;
pub mod feed;
pub mod record;
pub mod store;
pub mod writer;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};

pub use feed::JournalFeed;
pub use record::*;
pub use store::{JournalHead, JournalReader};
pub use writer::JournalWriter;

/// Name of the journal inside a session folder.
pub const JOURNAL_FILE: &str = "journal.sqlite";
/// Records waiting for the writer (about a minute of a busy session).
pub const JOURNAL_QUEUE_CAPACITY: usize = 65_536;
/// The writer commits what it has at least this often.
pub const COMMIT_PERIOD: Duration = Duration::from_millis(250);

/// Errors of the journal, naming the file (and the row when there is one).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{path}: record {seq}: {source}")]
    Json {
        path: PathBuf,
        seq: u64,
        source: serde_json::Error,
    },
    #[error("{path}: {detail}")]
    Format { path: PathBuf, detail: String },
    #[error("{path}: no journal here")]
    Missing { path: PathBuf },
    #[error("cannot start the journal thread: {0}")]
    Thread(std::io::Error),
}

/// What the journal has done, for the status line and the console.
#[derive(Debug, Default)]
pub struct JournalStats {
    pub written: AtomicU64,
    pub commits: AtomicU64,
    /// Records that could not be queued or written (each gap is also written as a `lost` row).
    pub lost: AtomicU64,
    /// Vehicle states dropped because the queue was full.
    pub states_dropped: AtomicU64,
    pub write_errors: AtomicU64,
}

impl JournalStats {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// A handle for writing records; never blocks. Each clone keeps its own count of records it
/// could not queue and reports it with its next record that fits.
#[derive(Debug)]
pub struct JournalSender {
    tx: Sender<JournalRecord>,
    stats: Arc<JournalStats>,
    unreported_lost: u64,
}

impl Clone for JournalSender {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
            stats: self.stats.clone(),
            unreported_lost: 0,
        }
    }
}

impl JournalSender {
    pub(crate) fn new(tx: Sender<JournalRecord>, stats: Arc<JournalStats>) -> Self {
        Self {
            tx,
            stats,
            unreported_lost: 0,
        }
    }

    /// Queues a record (see the module's full-queue policy). Returns false if it was not
    /// queued.
    pub fn send(&mut self, record: JournalRecord) -> bool {
        if self.unreported_lost > 0 {
            let lost = JournalRecord::Lost(LostRecord {
                time_us: record.time().0,
                count: self.unreported_lost,
                reason: "journal queue full".into(),
            });
            if self.tx.try_send(lost).is_err() {
                return self.refuse(&record);
            }
            self.unreported_lost = 0;
        }
        match self.tx.try_send(record) {
            Ok(()) => true,
            Err(TrySendError::Full(record) | TrySendError::Disconnected(record)) => {
                self.refuse(&record)
            }
        }
    }

    fn refuse(&mut self, record: &JournalRecord) -> bool {
        if record.is_coalescible() {
            self.stats.states_dropped.fetch_add(1, Ordering::Relaxed);
        } else {
            self.stats.lost.fetch_add(1, Ordering::Relaxed);
            self.unreported_lost += 1;
        }
        false
    }

    pub fn stats(&self) -> &Arc<JournalStats> {
        &self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(time_us: u64) -> JournalRecord {
        JournalRecord::Note(NoteRecord {
            time_us,
            author: String::new(),
            lat_deg: None,
            lon_deg: None,
            text: String::new(),
        })
    }

    #[test]
    fn a_full_queue_counts_the_loss_and_reports_it_in_the_journal() {
        let (tx, rx) = crossbeam_channel::bounded(2);
        let mut sender = JournalSender::new(tx, Arc::default());
        assert!(sender.send(note(1)));
        assert!(sender.send(note(2)));
        assert!(!sender.send(note(3)));
        assert!(!sender.send(note(4)));
        assert_eq!(JournalStats::get(&sender.stats().lost), 2);
        let _ = rx.try_recv();
        let _ = rx.try_recv();
        assert!(sender.send(note(5)));
        let queued: Vec<JournalRecord> = rx.try_iter().collect();
        assert!(
            matches!(
                queued.as_slice(),
                [
                    JournalRecord::Lost(LostRecord { count: 2, .. }),
                    JournalRecord::Note(_)
                ]
            ),
            "{queued:?}"
        );
    }
}
