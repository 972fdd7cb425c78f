//! Links: where MAVLink bytes come from and go to. Each live link (serial, UDP, TCP) is a task
//! on the I/O runtime that reopens its device or redials its peer with backoff; a `file:` link
//! replays a tlog on its own thread. Every link parses its bytes into frames, keeps its
//! statistics, records each frame, and hands decoded frames to the pipeline's ingress.

pub mod address;
pub mod replay_control;
pub mod stats;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

pub use address::{AddressError, DEFAULT_BAUD, LinkAddress};
pub use replay_control::ReplayControl;
pub use stats::{LinkState, LinkStats, LinkStatsSnapshot, SenderStats};
pub use transport::spawn_link;

use crate::pipeline::LinkId;
use crate::protocol::Frame;
use crate::time::TimeUs;

/// How a `file:` link replays its log.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplayPace {
    /// At the recorded pace times `speed` (1.0 = as it happened).
    Speed(f64),
    /// As fast as the pipeline takes it, losing nothing.
    Fast,
    /// Paused, paced and fast-forwarded by a [`ReplayControl`] (the console's replay).
    Controlled(ReplayControl),
}

/// Tunables of a link.
#[derive(Debug, Clone)]
pub struct LinkOptions {
    pub replay: ReplayPace,
    /// First wait before reopening a device or redialling a peer.
    pub backoff_min: Duration,
    /// The wait doubles after each failure up to this.
    pub backoff_max: Duration,
}

impl Default for LinkOptions {
    fn default() -> Self {
        Self {
            replay: ReplayPace::Speed(1.0),
            backoff_min: Duration::from_millis(250),
            backoff_max: Duration::from_secs(5),
        }
    }
}

/// Something the operator should know about a link.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkEvent {
    pub link: LinkId,
    pub time: TimeUs,
    pub kind: LinkEventKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LinkEventKind {
    /// The link is open (device opened, socket bound, peer connected); says to what.
    Up(String),
    /// The device or peer went away; reopening after a backoff.
    Retrying(String),
    /// The link cannot work and has stopped.
    Failed(String),
    /// A replay reached the end of its file.
    Finished,
    /// Bad input that was skipped (a corrupted tlog record, say), naming the place.
    Warning(String),
}

/// The pipeline's handle on a running link: its statistics and its send queue.
#[derive(Debug, Clone)]
pub struct LinkHandle {
    pub id: LinkId,
    pub address: LinkAddress,
    pub stats: Arc<LinkStats>,
    outgoing: mpsc::Sender<Frame>,
}

impl LinkHandle {
    /// Queues a frame for sending without waiting; false (and counted) when the queue is full
    /// or the link has stopped.
    pub fn send(&self, frame: Frame) -> bool {
        let sent = self.outgoing.try_send(frame).is_ok();
        if !sent {
            LinkStats::add(&self.stats.tx_dropped, 1);
        }
        sent
    }
}
