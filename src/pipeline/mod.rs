//! The pipeline: link tasks hand decoded frames, each stamped with its link and receive time,
//! through bounded channels to one owner thread (`vigil-world`) that updates the world model
//! and publishes immutable snapshots; commands flow back to the right link. Every received and
//! sent frame also goes to the recorder (`vigil-recorder`).
//!
//! # When a queue is full
//! - **World queue** ([`WORLD_QUEUE_CAPACITY`]): *telemetry* (state messages where only the
//!   latest value matters, see [`Class`]) is coalesced per sender and message id in the link
//!   task until there is room; each replaced frame is counted in `coalesced`. *Events*
//!   (acknowledgements, mission and parameter traffic, status texts, detections, link events)
//!   are never dropped: the link task waits, which pushes back on the socket or serial buffer.
//! - **Recorder queue** ([`RECORDER_QUEUE_CAPACITY`]): never drops; the link task waits.
//! - **A link's send queue** ([`LINK_SEND_QUEUE_CAPACITY`]): the world thread never waits;
//!   a frame that does not fit is dropped and counted in the link's `tx_dropped` (commands are
//!   retried by the command engine).
//! - **Replays** are lossless end to end: the file reader waits instead of coalescing.

pub mod ingress;
pub mod latency;
pub mod owner;
pub mod signing;

use std::time::Instant;

use crate::link::LinkEvent;
use crate::protocol::{Frame, MavMessage};
use crate::time::TimeUs;

pub use ingress::{Ingress, LinkIngress, PipelineCounters};
pub use owner::JournalView;
pub use owner::{
    GroundStation, LinkView, Pipeline, PipelineConfig, PipelineError, PipelineView, RecorderView,
    Snapshot,
};

/// Frames and link events waiting for the world thread.
pub const WORLD_QUEUE_CAPACITY: usize = 8192;
/// Frames waiting to be written to the tlog.
pub const RECORDER_QUEUE_CAPACITY: usize = 16_384;
/// Frames waiting to be written to one link.
pub const LINK_SEND_QUEUE_CAPACITY: usize = 256;
/// Distinct (sender, message) keys one link may hold while coalescing telemetry; beyond this
/// a frame is dropped and counted (only reachable when hundreds of senders flood at once).
pub const COALESCE_MAX_KEYS: usize = 4096;
/// Requests from clients (console, CLI) waiting for the world thread.
pub const REQUEST_QUEUE_CAPACITY: usize = 256;

/// Identifies a link for the life of the process (its index in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub u16);

impl std::fmt::Display for LinkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "link {}", self.0)
    }
}

/// When a frame was received: the mission time (for the model and the tlog) and the monotonic
/// instant (for measuring latency through the pipeline).
#[derive(Debug, Clone, Copy)]
pub struct RxStamp {
    pub time: TimeUs,
    pub mono: Instant,
}

/// A decoded frame with where and when it came from.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub link: LinkId,
    pub rx: RxStamp,
    pub frame: Frame,
    pub message: MavMessage,
}

/// What travels to the world thread.
#[derive(Debug, Clone)]
pub enum Inbound {
    Frame(Box<Envelope>),
    Link(LinkEvent),
}

/// How the pipeline treats a message when its queue is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Periodic state: only the latest value per sender matters; may be coalesced.
    Telemetry,
    /// Everything else: never dropped.
    Event,
}

/// Classifies a message by id. Unknown or rare messages are events: coalescing is an
/// optimisation for the streams that dominate a link, not a default.
pub fn class_of(msgid: u32) -> Class {
    use crate::protocol::mav::*;
    use mavlink_core::MessageData;
    const TELEMETRY: &[u32] = &[
        HEARTBEAT_DATA::ID,
        SYS_STATUS_DATA::ID,
        GPS_RAW_INT_DATA::ID,
        GLOBAL_POSITION_INT_DATA::ID,
        LOCAL_POSITION_NED_DATA::ID,
        ATTITUDE_DATA::ID,
        ATTITUDE_QUATERNION_DATA::ID,
        VFR_HUD_DATA::ID,
        BATTERY_STATUS_DATA::ID,
        RAW_IMU_DATA::ID,
        SCALED_IMU2_DATA::ID,
        SCALED_PRESSURE_DATA::ID,
        SERVO_OUTPUT_RAW_DATA::ID,
        RC_CHANNELS_DATA::ID,
        NAV_CONTROLLER_OUTPUT_DATA::ID,
        GIMBAL_DEVICE_ATTITUDE_STATUS_DATA::ID,
        MOUNT_STATUS_DATA::ID,
        VIBRATION_DATA::ID,
        AHRS_DATA::ID,
        AHRS2_DATA::ID,
        SYSTEM_TIME_DATA::ID,
        POWER_STATUS_DATA::ID,
        MEMINFO_DATA::ID,
        EKF_STATUS_REPORT_DATA::ID,
        TERRAIN_REPORT_DATA::ID,
        ESC_TELEMETRY_1_TO_4_DATA::ID,
        RADIO_STATUS_DATA::ID,
        VIGIL_SENSOR_STATUS_DATA::ID,
    ];
    if TELEMETRY.contains(&msgid) {
        Class::Telemetry
    } else {
        Class::Event
    }
}
