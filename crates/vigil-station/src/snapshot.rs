//! What the station publishes: an immutable [`Snapshot`] of everything, swapped in after each
//! batch, that any client reads without waiting for anyone.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use vigil_core::address::LinkAddress;
use vigil_fusion::TrackView;
use vigil_link::{LinkId, LinkStatsSnapshot};
use vigil_world::World;

/// A link as the snapshot shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkView {
    pub id: LinkId,
    pub address: LinkAddress,
    pub stats: LinkStatsSnapshot,
    /// Whether the link is authenticated (MAVLink 2 signing); counters are in `stats`.
    pub auth: vigil_link::LinkAuth,
    /// How recently anything valid was heard on the link (stale at 3 s, lost at 10 s).
    pub health: vigil_world::Health,
    /// The link has ended (a replay reached its end, or a link failed for good) and everything
    /// it delivered before has been applied and analysed (the last scan run, the tracks file
    /// flushed). Set by the analysis; never goes back.
    pub ended: bool,
    /// Each system heard on the link: whether it signs, with which key (fingerprint), and how
    /// many of its frames were refused (see `pipeline::signing::vehicle_signing`).
    pub signing: Vec<vigil_protocol::signing::SystemSigning>,
}

/// What the pipeline had to do to keep up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PipelineView {
    pub coalesced: u64,
    pub dropped: u64,
    pub world_waits: u64,
    pub recorder_waits: u64,
    pub queued: usize,
    pub latency_p50: Option<Duration>,
    pub latency_p99: Option<Duration>,
    pub latency_samples: u64,
    /// From a detection's arrival to the update of its track (scans are 1 s long).
    pub track_latency_p50: Option<Duration>,
    pub track_latency_p99: Option<Duration>,
    /// Detection and status times set aside by fusion (far from their sender's clock).
    pub clock_rejected: u64,
    /// Scans and detections the tracker refused.
    pub tracker_errors: u64,
    /// Steps of the world waiting for the analysis thread.
    pub analysis_queued: usize,
    /// Steps the live world thread could not hand to a stalled analysis thread (its queue,
    /// `ANALYSIS_QUEUE_CAPACITY`, was full).
    pub analysis_dropped: u64,
}

/// What the journal has written and lost (see `journal`'s full-queue policy).
#[derive(Debug, Clone, PartialEq)]
pub struct JournalView {
    pub path: PathBuf,
    pub written: u64,
    pub lost: u64,
    pub states_dropped: u64,
    pub write_errors: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RecorderView {
    pub path: PathBuf,
    pub records: u64,
    pub bytes: u64,
    pub write_errors: u64,
    pub dropped: u64,
}

/// An immutable picture of everything, published by the world thread.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases with each publication.
    pub seq: u64,
    pub world: World,
    pub links: Vec<LinkView>,
    pub pipeline: PipelineView,
    pub recorder: Option<RecorderView>,
    pub session_dir: Option<PathBuf>,
    /// Confirmed tracks from fusion.
    pub tracks: Arc<Vec<TrackView>>,
    /// The drones' camera footprints, recomputed at most every [`FOOTPRINT_PERIOD`].
    pub footprints: Arc<Vec<vigil_fusion::FootprintView>>,
    /// The session's journal, when recording.
    pub journal: Option<JournalView>,
    /// The world's time up to which fusion, tracking and protection have handled every step
    /// (they run on their own thread: `world` may be a little ahead of `tracks`).
    pub analysed_to: vigil_core::time::TimeUs,
    /// Protected places, alerts, coverage, incidents and reports (shared until they change).
    pub protection: Arc<vigil_protection::ProtectionView>,
    /// Mission transfers in flight and how far each has gone (the console's progress).
    pub mission_transfers: Vec<vigil_world::command::TransferProgress>,
}

impl Snapshot {
    /// True when every link is a replay that has reached its end and everything it read has
    /// been applied and analysed: the end-of-file event travels behind the last frame to the
    /// world thread, which publishes the world after it and then hands the analysis the
    /// link's end behind that frame's step; the analysis runs the last partial scan, writes
    /// and flushes the tracks file, and only then marks the link ended.
    pub fn replays_finished(&self) -> bool {
        !self.links.is_empty() && self.links.iter().all(|l| l.address.is_replay() && l.ended)
    }
}
