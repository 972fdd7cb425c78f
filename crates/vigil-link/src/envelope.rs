//! What links hand to the station: decoded frames stamped with their link and receive time
//! ([`Envelope`]), link events, and how each message is treated when a queue is full.

use std::time::Instant;

use crate::LinkEvent;
use vigil_core::time::TimeUs;
use vigil_protocol::{Frame, MavMessage};

/// Frames and link events waiting for the world thread.
pub const WORLD_QUEUE_CAPACITY: usize = 8192;
/// Frames waiting to be written to the tlog.
pub const RECORDER_QUEUE_CAPACITY: usize = 16_384;
/// Frames waiting to be written to one link.
pub const LINK_SEND_QUEUE_CAPACITY: usize = 256;
/// Distinct (sender, message) keys one link may hold while coalescing telemetry; beyond this
/// a frame is dropped and counted (only reachable when hundreds of senders flood at once).
pub const COALESCE_MAX_KEYS: usize = 4096;

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
    use mavlink_core::MessageData;
    use vigil_protocol::mav::*;
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
