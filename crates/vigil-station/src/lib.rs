//! The pipeline: link tasks hand decoded frames, each stamped with its link and receive time,
//! through bounded channels to one owner thread (`vigil-world`) that updates the world model
//! and publishes immutable snapshots; commands flow back to the right link. Every received and
//! sent frame also goes to the recorder (`vigil-recorder`).
//!
//! # When a queue is full
//! - **World queue** ([`vigil_link::WORLD_QUEUE_CAPACITY`]): *telemetry* (state messages where only the
//!   latest value matters, see [`vigil_link::Class`]) is coalesced per sender and message id in the link
//!   task until there is room; each replaced frame is counted in `coalesced`. *Events*
//!   (acknowledgements, mission and parameter traffic, status texts, detections, link events)
//!   are never dropped: the link task waits, which pushes back on the socket or serial buffer.
//! - **Recorder queue** ([`vigil_link::RECORDER_QUEUE_CAPACITY`]): never drops; the link task waits.
//! - **A link's send queue** ([`vigil_link::LINK_SEND_QUEUE_CAPACITY`]): the world thread never waits;
//!   a frame that does not fit is dropped and counted in the link's `tx_dropped` (commands are
//!   retried by the command engine).
//! - **Replays** are lossless end to end: the file reader waits instead of coalescing.

mod analysis;
mod client;
mod config;
pub mod cot_live;
mod owner;
pub mod patrol;
mod pipeline;
mod protection;
pub mod replay;
pub mod reports_http;
pub mod signing;
pub mod sms;
mod snapshot;
pub mod status;

pub use analysis::{ANALYSIS_QUEUE_CAPACITY, FROM_ANALYSIS_CAPACITY, PROTECTION_REQUEST_CAPACITY};
pub use client::{GroundStation, SigningSetupError};
pub use config::{Folders, PipelineConfig, PipelineError};
pub use owner::{GCS_HEARTBEAT_PERIOD, TICK_PERIOD};
pub use pipeline::{Pipeline, session_tracker, with_session_inputs};
pub use sms::{SmsError, SmsGateway, SmsStats};
pub use snapshot::{JournalView, LinkView, PipelineView, RecorderView, Snapshot};

/// A request from a client (console, command line) to the world thread. Protection's
/// requests (alerts, "send a drone", incidents, reports) go to the analysis thread instead
/// (`GroundStation`'s protection methods).
#[derive(Debug)]
pub enum Request {
    /// A command, mission or parameter transfer, for the command engine.
    Engine(vigil_world::command::Request),
    /// Give a vehicle a new signing key over its link (handled by [`signing`]); the answer
    /// names the key's fingerprint.
    SetupSigning {
        target: u8,
        reply: crossbeam_channel::Sender<Result<String, SigningSetupError>>,
    },
    /// What a link with a key does with unsigned frames.
    SetUnsignedPolicy {
        link: vigil_link::LinkId,
        policy: vigil_protocol::UnsignedPolicy,
    },
    Shutdown,
}

/// Requests from clients (console, CLI) waiting for the world thread.
pub const REQUEST_QUEUE_CAPACITY: usize = 256;
