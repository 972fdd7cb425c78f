//! A simulated ArduPilot vehicle (Copter or Plane) as a ground station sees it: HEARTBEAT with
//! ArduPilot's custom modes, the telemetry streams, COMMAND_LONG/INT answered with COMMAND_ACK,
//! the mission protocol and mission execution in AUTO (MISSION_CURRENT, MISSION_ITEM_REACHED),
//! the parameter protocol, kinematics with speed, climb and turn limits, battery drain, and the
//! failsafes on low battery and on losing the ground station. Time is passed in.
//!
//! It is never more lenient than ArduPilot 4.7 (checked against ArduCopter V4.7.0-dev SITL):
//! - **Telemetry only when asked.** HEARTBEAT at 1 Hz, STATUSTEXT, HOME_POSITION once when home
//!   is set, and answers; every other message only at the interval a ground station set with
//!   MAV_CMD_SET_MESSAGE_INTERVAL (µs; -1 off; 0 the default, which is its stream's rate, zero
//!   until asked) or REQUEST_DATA_STREAM (ArduCopter's groups, `STREAMS`; the `MAV1_*` rate
//!   parameters follow, and setting them starts the group), or once with
//!   MAV_CMD_REQUEST_MESSAGE. SET_MESSAGE_INTERVAL of an id it has no message for is DENIED
//!   with ArduPilot's "No ap_message for mavlink id (N)"; REQUEST_MESSAGE of one FAILS.
//! - **Pre-arm.** Arming fails (ACK FAILED, then a critical "Arm: ..." text) until
//!   `prearm_delay_s` after boot; SYS_STATUS has MAV_SYS_STATUS_PREARM_CHECK present and
//!   enabled, healthy once ready; GPS_RAW_INT has no fix until then. Param2 2989 forces it.
//! - **Orbits.** DO_ORBIT is UNSUPPORTED (copter and plane). CIRCLE mode (copter): centre
//!   CIRCLE_RADIUS (cm, 1000) ahead of the nose, CIRCLE_RATE (deg/s, 20, positive clockwise),
//!   nose on the centre. MAV_CMD_CONDITION_YAW turns the nose. A plane's DO_REPOSITION param3
//!   sets its loiter radius and direction (negative counter-clockwise).
//! - **Parameters** of 4.7: MAV_SYSID, MAV_GCS_SYSID, MAV1_*, FENCE_*, RALLY_*, CIRCLE_*.
//! - **Fence and rally** lists by the mission protocol's FENCE and RALLY types, no home item,
//!   items asked for with MISSION_REQUEST, stored and returned as ArduPilot does (fence items in
//!   MAV_FRAME_GLOBAL with no altitude, rally points in MAV_FRAME_GLOBAL_RELATIVE_ALT).
//!
//! Where it still differs from the real firmware:
//! - One MAVLink channel: requested rates are shared by every ground station on the link (the
//!   `MAV1_*` parameters), and rates are quantised to the 100 ms simulation step (10 Hz at
//!   most). There is no reboot command, so rates are never lost to one.
//! - It sends only the messages listed in [`msg`]; ArduPilot's groups hold many more (RAW_IMU,
//!   AHRS, EKF_STATUS_REPORT, ...), and ArduPilot accepts SET_MESSAGE_INTERVAL for those.
//! - The position (GLOBAL_POSITION_INT) is known from boot; a real EKF has none until its
//!   origin is set. Readiness is a fixed delay (SITL: 20-40 s, with varying reasons such as
//!   "Arm: Accels inconsistent"); the sim's reasons are "Arm: AHRS: EKF3 still initialising"
//!   then "Arm: Need Position Estimate". ARMING_CHECK=0 does not skip the readiness check.
//! - No geofence breach or rally-point return is flown: the lists are only stored (FENCE_ENABLE
//!   and FENCE_ACTION exist but do nothing); FENCE_TOTAL is not kept.
//! - CIRCLE keeps the speed `rate × radius` (capped by the copter's speed) from the start, where
//!   ArduCopter accelerates into it; a plane has no CIRCLE_* parameters and its loiter radius
//!   is 80 m until a DO_REPOSITION sets one (ArduPlane: WP_LOITER_RAD).
//! - DO_REPOSITION is refused (DENIED) on the ground, where ArduCopter accepts it in GUIDED.
//! - A mission upload right after boot is taken at once, where ArduCopter answers
//!   MAV_MISSION_NO_SPACE for a few seconds until its storage is ready (callers retry).
//! - MAVFTP is refused at once (no files), so AUTOPILOT_VERSION does not claim it.

// Long: the simulated autopilot is one state machine (modes, commands, the mission and parameter protocols, failsafes) that must behave as ArduPilot does as a whole; its tests are in vehicle/tests.rs.

use std::collections::{BTreeMap, VecDeque};
use std::f64::consts::TAU;
use std::time::Duration;

use vigil_core::geodesy::Geodetic;
use vigil_core::time::TimeUs;
use vigil_protocol::{MavMessage, deg_from_e7, e7_from_deg, mav, text_from_chars};

use super::scenario::DroneKind;

const COPTER_SPEED_MPS: f64 = 8.0;
const PLANE_CRUISE_MPS: f64 = 18.0;
/// A plane's turn rate at 30 degrees of bank and cruise speed: g·tan(30°)/v.
const PLANE_TURN_RATE_RPS: f64 = 9.81 * 0.577 / PLANE_CRUISE_MPS;
const PLANE_LOITER_RADIUS_M: f64 = 80.0;
const CLIMB_RATE_MPS: f64 = 2.5;
/// Battery left (percent) at which the battery failsafe returns the vehicle home.
const BATTERY_FAILSAFE_PCT: f64 = 20.0;
/// Status texts waiting to be sent, at most.
const MAX_PENDING_TEXTS: usize = 16;
/// Seconds from boot to "ready to arm" unless configured otherwise (a real ArduCopter SITL
/// takes 20-40 s; the simulator is quicker so that tests stay short).
pub const DEFAULT_PREARM_DELAY_S: f64 = 6.0;
/// ArduCopter's CIRCLE mode number.
const COPTER_CIRCLE: u32 = 7;
/// ArduCopter's yaw slew rate when MAV_CMD_CONDITION_YAW gives none, degrees per second.
const DEFAULT_YAW_RATE_DPS: f64 = 60.0;
/// MAV_CMD_COMPONENT_ARM_DISARM param2 that forces arming or disarming.
const FORCE_ARM_MAGIC: f32 = 2989.0;
const FORCE_DISARM_MAGIC: f32 = 21196.0;

/// Message ids the simulator can send (MAVLink message numbers).
pub mod msg {
    pub const HEARTBEAT: u32 = 0;
    pub const SYS_STATUS: u32 = 1;
    pub const SYSTEM_TIME: u32 = 2;
    pub const GPS_RAW_INT: u32 = 24;
    pub const ATTITUDE: u32 = 30;
    pub const GLOBAL_POSITION_INT: u32 = 33;
    pub const MISSION_CURRENT: u32 = 42;
    pub const VFR_HUD: u32 = 74;
    pub const BATTERY_STATUS: u32 = 147;
    pub const AUTOPILOT_VERSION: u32 = 148;
    pub const HOME_POSITION: u32 = 242;
    pub const EXTENDED_SYS_STATE: u32 = 245;
    /// Sent by the drone's camera component (the world builds it).
    pub const CAMERA_FOV_STATUS: u32 = 271;
    /// Sent by the drone's gimbal component (the world builds it).
    pub const GIMBAL_DEVICE_ATTITUDE_STATUS: u32 = 285;
}

/// Every message a simulated ArduPilot vehicle can be asked for.
const SENDABLE: &[u32] = &[
    msg::SYS_STATUS,
    msg::SYSTEM_TIME,
    msg::GPS_RAW_INT,
    msg::ATTITUDE,
    msg::GLOBAL_POSITION_INT,
    msg::MISSION_CURRENT,
    msg::VFR_HUD,
    msg::BATTERY_STATUS,
    msg::AUTOPILOT_VERSION,
    msg::HOME_POSITION,
    msg::EXTENDED_SYS_STATE,
    msg::CAMERA_FOV_STATUS,
    msg::GIMBAL_DEVICE_ATTITUDE_STATUS,
];

/// ArduCopter's stream groups (MAV_DATA_STREAM id, the rate parameter of the first MAVLink
/// channel, and the messages of the group the simulator sends), as ArduCopter 4.7 groups them.
const STREAMS: &[(u8, &str, &[u32])] = &[
    (1, "MAV1_RAW_SENS", &[]),
    (
        2,
        "MAV1_EXT_STAT",
        &[msg::SYS_STATUS, msg::GPS_RAW_INT, msg::MISSION_CURRENT],
    ),
    (3, "MAV1_RC_CHAN", &[]),
    (4, "MAV1_RAW_CTRL", &[]),
    (6, "MAV1_POSITION", &[msg::GLOBAL_POSITION_INT]),
    (10, "MAV1_EXTRA1", &[msg::ATTITUDE]),
    (11, "MAV1_EXTRA2", &[msg::VFR_HUD]),
    (
        12,
        "MAV1_EXTRA3",
        &[
            msg::SYSTEM_TIME,
            msg::BATTERY_STATUS,
            msg::GIMBAL_DEVICE_ATTITUDE_STATUS,
        ],
    ),
];

/// A message sent periodically because a ground station asked.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Schedule {
    interval: Duration,
    next: TimeUs,
}

/// ArduPilot mode numbers for each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Modes {
    manual: u32,
    auto: u32,
    guided: u32,
    loiter: u32,
    rtl: u32,
    land: u32,
    /// ArduPlane's TAKEOFF (ArduCopter has none: `u32::MAX`).
    takeoff: u32,
    known: &'static [u32],
}

const COPTER_MODES: Modes = Modes {
    manual: 0,
    auto: 3,
    guided: 4,
    loiter: 5,
    rtl: 6,
    land: 9,
    takeoff: u32::MAX,
    known: &[0, 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 21],
};
const PLANE_MODES: Modes = Modes {
    manual: 0,
    auto: 10,
    guided: 15,
    loiter: 12,
    rtl: 11,
    land: 20,
    takeoff: 13,
    known: &[0, 1, 2, 5, 6, 10, 11, 12, 13, 15, 20, 21],
};

/// How a simulated vehicle starts.
#[derive(Debug, Clone)]
pub struct SimVehicleConfig {
    pub sysid: u8,
    pub compid: u8,
    pub kind: DroneKind,
    pub home_lat_deg: f64,
    pub home_lon_deg: f64,
    pub home_alt_msl_m: f64,
    pub battery_pct: f64,
    /// Minutes of flight from full to empty in still air.
    pub endurance_min: f64,
    /// The wind's velocity (where the air moves to), north and east, m/s.
    pub wind_ne_mps: [f64; 2],
    /// Simulated seconds after boot before the EKF and GPS are ready: until then arming is
    /// refused ("Arm: ...") and SYS_STATUS reports the pre-arm check unhealthy.
    pub prearm_delay_s: f64,
}

impl Default for SimVehicleConfig {
    fn default() -> Self {
        Self {
            sysid: 1,
            compid: 1,
            kind: DroneKind::Multirotor,
            home_lat_deg: 9.0,
            home_lon_deg: 31.0,
            home_alt_msl_m: 420.0,
            battery_pct: 100.0,
            endurance_min: 35.0,
            wind_ne_mps: [0.0; 2],
            prearm_delay_s: DEFAULT_PREARM_DELAY_S,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Target {
    lat_deg: f64,
    lon_deg: f64,
    alt_rel_m: f64,
}

/// A circle around the target (CIRCLE mode, a plane's loiter).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Orbit {
    radius_m: f64,
    speed_mps: f64,
    clockwise: bool,
}

#[derive(Debug, Clone)]
struct Upload {
    count: u16,
    mission_type: mav::MavMissionType,
    items: Vec<mav::MISSION_ITEM_INT_DATA>,
    /// When the last item (or the count) arrived, and when the next item was last asked for.
    received: TimeUs,
    requested: TimeUs,
}

/// As ArduPilot (MissionItemProtocol::update): an item not sent within a second is asked for
/// again, so that one lost request does not stall the upload...
const UPLOAD_REREQUEST_US: u64 = 1_000_000;
/// ...and an upload with nothing received for 8 s (`upload_timeout_ms`) is cancelled.
const UPLOAD_TIMEOUT_US: u64 = 8_000_000;

/// Where AUTO is in the mission.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MissionProgress {
    seq: u16,
    /// Seconds left holding at the current item once reached.
    hold_left_s: Option<f64>,
}

/// The simulated vehicle's state.
#[derive(Debug, Clone)]
pub struct SimVehicle {
    pub config: SimVehicleConfig,
    pub armed: bool,
    pub custom_mode: u32,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_rel_m: f64,
    pub vel_ned_mps: [f64; 3],
    pub yaw_rad: f64,
    pub battery_pct: f64,
    /// Speed over ground in guided and auto flight (DO_CHANGE_SPEED changes it).
    pub speed_mps: f64,
    modes: Modes,
    target: Option<Target>,
    mission: Vec<mav::MISSION_ITEM_INT_DATA>,
    /// Geofence and rally lists, kept apart from the mission as ArduPilot does.
    other_lists: BTreeMap<u8, Vec<mav::MISSION_ITEM_INT_DATA>>,
    progress: Option<MissionProgress>,
    /// DO_JUMP items' jumps so far in this run of the mission, by the item's number.
    jumps: BTreeMap<u16, u32>,
    upload: Option<Upload>,
    params: BTreeMap<String, (f32, mav::MavParamType)>,
    /// The GPS receiver's error, north and east metres: a slow random walk added to what the
    /// vehicle reports, never to where it really is.
    gps_error_ne_m: [f64; 2],
    rng: vigil_core::rng::Rng,
    /// Who asked last: replies go back to that system and component, as ArduPilot's do.
    peer: (u8, u8),
    /// Flying home to land (RTL, or a mission's RTL item, which stays in AUTO).
    homing: bool,
    /// Circling the target instead of holding over it.
    orbit: Option<Orbit>,
    /// Region of interest the camera points at.
    pub roi: Option<(f64, f64)>,
    /// Test hook: when true the vehicle ignores commands (to exercise timeouts).
    pub ignore_commands: bool,
    /// Messages to send outside the periodic streams (status texts, mission progress).
    events: VecDeque<MavMessage>,
    /// The last time a ground station's HEARTBEAT was heard, on the vehicle's clock.
    last_gcs_heartbeat: Option<TimeUs>,
    clock: TimeUs,
    battery_failsafe_done: bool,
    /// When the vehicle booted, on its clock (the first step).
    boot: Option<TimeUs>,
    /// The EKF and GPS are ready (announced once).
    ready: bool,
    /// Messages sent periodically because a ground station asked, by message id.
    schedule: BTreeMap<u32, Schedule>,
    /// Messages asked for once (MAV_CMD_REQUEST_MESSAGE), sent at the next step.
    requested_once: Vec<u32>,
    /// A turn of the nose under way (MAV_CMD_CONDITION_YAW): radians left (signed, positive
    /// clockwise) and the rate, radians per second.
    yaw_turn: Option<(f64, f64)>,
    /// A plane's loiter circle: radius and direction (DO_REPOSITION's param3 sets them).
    plane_loiter: Orbit,
}

/// The parameters of a small ArduPilot vehicle, with their types.
const DEFAULT_PARAMS: &[(&str, f32, mav::MavParamType)] = {
    use mav::MavParamType::*;
    &[
        ("ARMING_CHECK", 1.0, MAV_PARAM_TYPE_INT32),
        ("BATT_CAPACITY", 5200.0, MAV_PARAM_TYPE_INT32),
        ("BATT_FS_LOW_ACT", 2.0, MAV_PARAM_TYPE_INT8),
        ("BATT_LOW_VOLT", 14.2, MAV_PARAM_TYPE_REAL32),
        ("FENCE_ACTION", 1.0, MAV_PARAM_TYPE_INT8),
        ("FENCE_ALT_MAX", 100.0, MAV_PARAM_TYPE_REAL32),
        ("FENCE_ENABLE", 0.0, MAV_PARAM_TYPE_INT8),
        ("FENCE_MARGIN", 2.0, MAV_PARAM_TYPE_REAL32),
        ("FENCE_RADIUS", 150.0, MAV_PARAM_TYPE_REAL32),
        ("FENCE_TYPE", 7.0, MAV_PARAM_TYPE_INT8),
        // ArduCopter 4.7's default: no failsafe on losing the ground station.
        ("FS_GCS_ENABLE", 0.0, MAV_PARAM_TYPE_INT8),
        ("FS_GCS_TIMEOUT", 5.0, MAV_PARAM_TYPE_REAL32),
        ("LAND_SPEED", 50.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_ADSB", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_EXTRA1", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_EXTRA2", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_EXTRA3", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_EXT_STAT", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_PARAMS", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_POSITION", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_RAW_CTRL", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_RAW_SENS", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV1_RC_CHAN", 0.0, MAV_PARAM_TYPE_INT16),
        ("MAV_GCS_SYSID", 255.0, MAV_PARAM_TYPE_INT16),
        ("MAV_SYSID", 1.0, MAV_PARAM_TYPE_INT16),
        ("RALLY_INCL_HOME", 1.0, MAV_PARAM_TYPE_INT8),
        ("RALLY_LIMIT_KM", 0.3, MAV_PARAM_TYPE_REAL32),
        ("RALLY_TOTAL", 0.0, MAV_PARAM_TYPE_INT8),
        ("RTL_ALT", 1500.0, MAV_PARAM_TYPE_INT32),
        ("WPNAV_SPEED", 800.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_UP", 250.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_DN", 150.0, MAV_PARAM_TYPE_REAL32),
        ("WP_YAW_BEHAVIOR", 2.0, MAV_PARAM_TYPE_INT8),
    ]
};

/// ArduCopter's CIRCLE mode parameters (4.7: CIRCLE_RADIUS in centimetres, CIRCLE_RATE in
/// degrees per second, positive clockwise).
const COPTER_PARAMS: &[(&str, f32, mav::MavParamType)] = {
    use mav::MavParamType::*;
    &[
        ("CIRCLE_OPTIONS", 1.0, MAV_PARAM_TYPE_INT16),
        ("CIRCLE_RADIUS", 1000.0, MAV_PARAM_TYPE_REAL32),
        ("CIRCLE_RATE", 20.0, MAV_PARAM_TYPE_REAL32),
    ]
};

/// ArduPlane's TAKEOFF mode parameters (4.x defaults: climb to 50 m, on the heading, within
/// 200 m).
const PLANE_PARAMS: &[(&str, f32, mav::MavParamType)] = {
    use mav::MavParamType::*;
    &[
        ("TKOFF_ALT", 50.0, MAV_PARAM_TYPE_REAL32),
        ("TKOFF_DIST", 200.0, MAV_PARAM_TYPE_REAL32),
        ("WP_RADIUS", 90.0, MAV_PARAM_TYPE_INT16),
    ]
};

#[allow(
    deprecated,
    reason = "older ground stations still upload MISSION_ITEM and ArduPilot accepts it"
)]
fn item_addressed(item: &mav::MISSION_ITEM_DATA, sysid: u8) -> bool {
    item.target_system == 0 || item.target_system == sysid
}

/// The latitude and longitude (degrees) `ne_m` (north, east metres) from `from`, on the WGS84
/// tangent plane there: the vehicle moves as a real one does over the ellipsoid, so the
/// station's local-frame sums see its reported velocity match its positions.
fn offset_deg(from: (f64, f64), ne_m: [f64; 2]) -> (f64, f64) {
    let to = Geodetic::from_deg(from.0, from.1, 0.0).offset_by_ne_m(ne_m);
    (to.lat_deg(), to.lon_deg())
}

/// North and east metres from one latitude and longitude (degrees) to another, on the WGS84
/// tangent plane at the first.
fn ne_m_between(from: (f64, f64), to: (f64, f64)) -> [f64; 2] {
    Geodetic::from_deg(from.0, from.1, 0.0).ne_m_to(&Geodetic::from_deg(to.0, to.1, 0.0))
}

/// The velocity (north, east, 0) that flies an orbit: along the circle, steering back to its
/// radius; `north_m`, `east_m` is the offset from the vehicle to the centre.
fn orbit_velocity(orbit: Orbit, north_m: f64, east_m: f64) -> [f64; 3] {
    let distance_m = north_m.hypot(east_m);
    let to_centre = east_m.atan2(north_m);
    // Off the circle by a whole radius or more: head straight back (60 degrees at most).
    let correction = ((distance_m - orbit.radius_m) / orbit.radius_m.max(1.0)).clamp(-1.0, 1.0)
        * std::f64::consts::FRAC_PI_3;
    let heading = if orbit.clockwise {
        to_centre - std::f64::consts::FRAC_PI_2 + correction
    } else {
        to_centre + std::f64::consts::FRAC_PI_2 - correction
    };
    [
        orbit.speed_mps * heading.cos(),
        orbit.speed_mps * heading.sin(),
        0.0,
    ]
}

/// The onboard sensors a simulated vehicle has, all enabled and healthy (SYS_STATUS): gyro,
/// accelerometer, compass, barometer, GPS, rate, attitude, yaw, altitude and position
/// control, motors and RC receiver.
fn simulated_sensors() -> mav::MavSysStatusSensor {
    use mav::MavSysStatusSensor as S;
    S::MAV_SYS_STATUS_SENSOR_3D_GYRO
        | S::MAV_SYS_STATUS_SENSOR_3D_ACCEL
        | S::MAV_SYS_STATUS_SENSOR_3D_MAG
        | S::MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE
        | S::MAV_SYS_STATUS_SENSOR_GPS
        | S::MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL
        | S::MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
        | S::MAV_SYS_STATUS_SENSOR_YAW_POSITION
        | S::MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
        | S::MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL
        | S::MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
        | S::MAV_SYS_STATUS_SENSOR_RC_RECEIVER
}

/// MAVFTP opcode of a negative acknowledgement, and its "file not found" error.
const FTP_NAK: u8 = 129;
const FTP_ERROR_FILE_NOT_FOUND: u8 = 10;

/// The simulator has no files: every MAVFTP request is refused at once, so that a ground station
/// falls back to the parameter and mission protocols without waiting for a timeout.
fn ftp_nak(request: &mav::FILE_TRANSFER_PROTOCOL_DATA, to: (u8, u8)) -> MavMessage {
    let request_payload = &request.payload;
    let seq = u16::from_le_bytes([request_payload[0], request_payload[1]]).wrapping_add(1);
    let mut payload = [0u8; 251];
    payload[0..2].copy_from_slice(&seq.to_le_bytes());
    payload[2] = request_payload[2]; // session
    payload[3] = FTP_NAK;
    payload[4] = 1; // size of the data: the error code
    payload[5] = request_payload[3]; // the opcode refused
    payload[12] = FTP_ERROR_FILE_NOT_FOUND;
    MavMessage::FILE_TRANSFER_PROTOCOL(mav::FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: to.0,
        target_component: to.1,
        payload,
    })
}

/// COMMAND_ACK addressed to the ground station that sent the command.
fn ack(command: mav::MavCmd, result: mav::MavResult, to: (u8, u8)) -> MavMessage {
    MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
        command,
        result,
        target_system: to.0,
        target_component: to.1,
        ..Default::default()
    })
}

impl SimVehicle {
    pub fn new(config: SimVehicleConfig) -> Self {
        let kind_params = if config.kind == DroneKind::Multirotor {
            COPTER_PARAMS
        } else {
            PLANE_PARAMS
        };
        let mut params: BTreeMap<String, (f32, mav::MavParamType)> = DEFAULT_PARAMS
            .iter()
            .chain(kind_params)
            .map(|(name, value, ty)| ((*name).to_owned(), (*value, *ty)))
            .collect();
        params.insert(
            "MAV_SYSID".into(),
            (
                f32::from(config.sysid),
                mav::MavParamType::MAV_PARAM_TYPE_INT16,
            ),
        );
        let (modes, speed_mps) = match config.kind {
            DroneKind::Multirotor => (COPTER_MODES, COPTER_SPEED_MPS),
            DroneKind::FixedWing => (PLANE_MODES, PLANE_CRUISE_MPS),
        };
        Self {
            armed: false,
            custom_mode: modes.manual,
            lat_deg: config.home_lat_deg,
            lon_deg: config.home_lon_deg,
            alt_rel_m: 0.0,
            vel_ned_mps: [0.0; 3],
            yaw_rad: 0.0,
            battery_pct: config.battery_pct,
            speed_mps,
            modes,
            target: None,
            mission: Vec::new(),
            other_lists: BTreeMap::new(),
            progress: None,
            jumps: BTreeMap::new(),
            upload: None,
            params,
            roi: None,
            gps_error_ne_m: [0.0; 2],
            rng: vigil_core::rng::Rng::new(0x6770_7300 ^ u64::from(config.sysid)),
            peer: (255, 190),
            homing: false,
            orbit: None,
            ignore_commands: false,
            events: VecDeque::new(),
            last_gcs_heartbeat: None,
            clock: TimeUs(0),
            battery_failsafe_done: false,
            boot: None,
            ready: false,
            schedule: BTreeMap::new(),
            requested_once: Vec::new(),
            yaw_turn: None,
            plane_loiter: Orbit {
                radius_m: PLANE_LOITER_RADIUS_M,
                speed_mps: PLANE_CRUISE_MPS,
                clockwise: true,
            },
            config,
        }
    }

    pub fn is_plane(&self) -> bool {
        self.config.kind == DroneKind::FixedWing
    }

    pub fn flying(&self) -> bool {
        self.alt_rel_m > 0.3
    }

    fn addressed(&self, target_system: u8) -> bool {
        target_system == 0 || target_system == self.config.sysid
    }

    fn say(&mut self, severity: mav::MavSeverity, text: &str) {
        if self.events.len() < MAX_PENDING_TEXTS {
            self.events
                .push_back(MavMessage::STATUSTEXT(mav::STATUSTEXT_DATA {
                    severity,
                    text: text.into(),
                    ..Default::default()
                }));
        }
    }

    /// Messages the vehicle wants to send now (status texts, mission progress).
    pub fn take_events(&mut self) -> Vec<MavMessage> {
        self.events.drain(..).collect()
    }

    /// Answers one message from a ground station, system `from.0`, component `from.1`.
    #[allow(
        deprecated,
        reason = "MISSION_ITEM from older ground stations is still answered"
    )]
    // Long: one arm per MAVLink message the autopilot answers, in the order ArduPilot's GCS_MAVLink handles them.
    pub fn handle(&mut self, message: &MavMessage, from: (u8, u8)) -> Vec<MavMessage> {
        if !matches!(message, MavMessage::HEARTBEAT(_)) {
            self.peer = from;
        }
        match message {
            MavMessage::HEARTBEAT(hb) if hb.mavtype == mav::MavType::MAV_TYPE_GCS => {
                // The failsafe watches only the ground station the vehicle is set up for.
                if f64::from(from.0) == self.param("MAV_GCS_SYSID") {
                    self.last_gcs_heartbeat = Some(self.clock);
                }
                Vec::new()
            }
            MavMessage::COMMAND_LONG(c)
                if self.addressed(c.target_system) && !self.ignore_commands =>
            {
                let params = [
                    c.param1, c.param2, c.param3, c.param4, c.param5, c.param6, c.param7,
                ];
                // ArduPilot runs the commands that take a place as COMMAND_INT, latitude and
                // longitude in degrees from param5 and param6.
                let position = matches!(
                    c.command,
                    mav::MavCmd::MAV_CMD_DO_REPOSITION | mav::MavCmd::MAV_CMD_DO_SET_ROI_LOCATION
                )
                .then_some((
                    f64::from(c.param5),
                    f64::from(c.param6),
                    f64::from(c.param7),
                ));
                vec![self.command(c.command, params, position)]
            }
            MavMessage::REQUEST_DATA_STREAM(r) if self.addressed(r.target_system) => {
                let rate_hz = if r.start_stop == 0 {
                    0
                } else {
                    r.req_message_rate
                };
                self.request_stream(r.req_stream_id as u8, rate_hz);
                Vec::new()
            }
            MavMessage::COMMAND_INT(c)
                if self.addressed(c.target_system) && !self.ignore_commands =>
            {
                let position = (deg_from_e7(c.x), deg_from_e7(c.y), f64::from(c.z));
                let params = [c.param1, c.param2, c.param3, c.param4, 0.0, 0.0, 0.0];
                vec![self.command(c.command, params, Some(position))]
            }
            MavMessage::MISSION_COUNT(c) if self.addressed(c.target_system) => {
                if c.count == 0 {
                    self.list_mut(c.mission_type).clear();
                    return vec![
                        self.mission_ack(
                            mav::MavMissionResult::MAV_MISSION_ACCEPTED,
                            c.mission_type,
                        ),
                    ];
                }
                self.upload = Some(Upload {
                    count: c.count,
                    mission_type: c.mission_type,
                    items: Vec::new(),
                    received: self.clock,
                    requested: self.clock,
                });
                vec![self.request_item(0, c.mission_type)]
            }
            MavMessage::MISSION_ITEM_INT(item) if self.addressed(item.target_system) => {
                self.on_item(item)
            }
            MavMessage::MISSION_ITEM(item) if item_addressed(item, self.config.sysid) => {
                self.on_item(&item_int_from_float(item))
            }
            MavMessage::MISSION_REQUEST_LIST(r) if self.addressed(r.target_system) => {
                vec![MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
                    count: self.list(r.mission_type).len() as u16,
                    target_system: self.peer.0,
                    target_component: self.peer.1,
                    mission_type: r.mission_type,
                    ..Default::default()
                })]
            }
            MavMessage::MISSION_REQUEST_INT(r) if self.addressed(r.target_system) => self
                .list(r.mission_type)
                .get(usize::from(r.seq))
                .map(|item| {
                    let mut item = item.clone();
                    item.target_system = self.peer.0;
                    item.target_component = self.peer.1;
                    item.mission_type = r.mission_type;
                    vec![MavMessage::MISSION_ITEM_INT(item)]
                })
                .unwrap_or_default(),
            MavMessage::MISSION_CLEAR_ALL(c) if self.addressed(c.target_system) => {
                if c.mission_type == mav::MavMissionType::MAV_MISSION_TYPE_ALL {
                    self.mission.clear();
                    self.other_lists.clear();
                } else {
                    self.list_mut(c.mission_type).clear();
                }
                if c.mission_type != mav::MavMissionType::MAV_MISSION_TYPE_FENCE
                    && c.mission_type != mav::MavMissionType::MAV_MISSION_TYPE_RALLY
                {
                    self.progress = None;
                }
                vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED, c.mission_type)]
            }
            // Answer a ground station's time sync with our clock, echoing its time.
            MavMessage::TIMESYNC(t) if t.tc1 == 0 => {
                vec![MavMessage::TIMESYNC(mav::TIMESYNC_DATA {
                    tc1: i64::try_from(self.clock.0)
                        .unwrap_or(i64::MAX)
                        .saturating_mul(1000)
                        .max(1),
                    ts1: t.ts1,
                    target_system: from.0,
                    target_component: from.1,
                })]
            }
            MavMessage::FILE_TRANSFER_PROTOCOL(f) if self.addressed(f.target_system) => {
                vec![ftp_nak(f, self.peer)]
            }
            MavMessage::PARAM_REQUEST_LIST(r) if self.addressed(r.target_system) => {
                (0..self.params.len())
                    .filter_map(|i| self.param_value(i))
                    .collect()
            }
            MavMessage::PARAM_REQUEST_READ(r) if self.addressed(r.target_system) => {
                let name = text_from_chars(r.param_id.as_slice());
                let index = if r.param_index >= 0 {
                    Some(r.param_index as usize)
                } else {
                    self.params.keys().position(|k| *k == name)
                };
                index
                    .and_then(|i| self.param_value(i))
                    .into_iter()
                    .collect()
            }
            MavMessage::PARAM_SET(s) if self.addressed(s.target_system) => {
                let name = text_from_chars(s.param_id.as_slice());
                match self.params.get_mut(&name) {
                    Some(entry) => {
                        entry.0 = s.param_value;
                        // A stream-rate parameter takes effect at once.
                        if let Some((id, _, _)) = STREAMS.iter().find(|(_, n, _)| *n == name) {
                            let rate_hz = s.param_value.clamp(0.0, 50.0) as u16;
                            self.request_stream(*id, rate_hz);
                        }
                        let index = self.params.keys().position(|k| *k == name).unwrap_or(0);
                        self.param_value(index).into_iter().collect()
                    }
                    None => Vec::new(), // ArduPilot ignores unknown names
                }
            }
            _ => Vec::new(),
        }
    }

    /// The value of parameter `name` (0 when the vehicle has no such parameter).
    pub fn param(&self, name: &str) -> f64 {
        self.params
            .get(name)
            .map_or(0.0, |(value, _)| f64::from(*value))
    }

    fn param_value(&self, index: usize) -> Option<MavMessage> {
        let (name, (value, ty)) = self.params.iter().nth(index)?;
        Some(MavMessage::PARAM_VALUE(mav::PARAM_VALUE_DATA {
            param_value: *value,
            param_count: self.params.len() as u16,
            param_index: index as u16,
            param_id: name.as_str().into(),
            param_type: *ty,
        }))
    }

    /// The list of a mission type: the mission itself, or the geofence or rally points.
    fn list(&self, mission_type: mav::MavMissionType) -> &[mav::MISSION_ITEM_INT_DATA] {
        if mission_type == mav::MavMissionType::MAV_MISSION_TYPE_MISSION {
            &self.mission
        } else {
            self.other_lists
                .get(&(mission_type as u8))
                .map_or(&[], Vec::as_slice)
        }
    }

    fn list_mut(
        &mut self,
        mission_type: mav::MavMissionType,
    ) -> &mut Vec<mav::MISSION_ITEM_INT_DATA> {
        if mission_type == mav::MavMissionType::MAV_MISSION_TYPE_MISSION {
            self.progress = None;
            &mut self.mission
        } else {
            self.other_lists.entry(mission_type as u8).or_default()
        }
    }

    /// An upload's request sent again, or the upload cancelled, as ArduPilot's timers do.
    fn upload_timers(&mut self, now: TimeUs) {
        let Some(upload) = &mut self.upload else {
            return;
        };
        let mission_type = upload.mission_type;
        if now.0.saturating_sub(upload.received.0) > UPLOAD_TIMEOUT_US {
            self.upload = None;
            let cancelled = self.mission_ack(
                mav::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED,
                mission_type,
            );
            self.events.push_back(cancelled);
        } else if now.0.saturating_sub(upload.requested.0) > UPLOAD_REREQUEST_US {
            upload.requested = now;
            let next = upload.items.len() as u16;
            let request = self.request_item(next, mission_type);
            self.events.push_back(request);
        }
    }

    /// ArduPilot 4.7 asks for each item with MISSION_REQUEST (and takes MISSION_ITEM_INT).
    #[allow(deprecated, reason = "ArduPilot 4.7 still asks with MISSION_REQUEST")]
    fn request_item(&self, seq: u16, mission_type: mav::MavMissionType) -> MavMessage {
        let (target_system, target_component) = self.peer;
        MavMessage::MISSION_REQUEST(mav::MISSION_REQUEST_DATA {
            seq,
            target_system,
            target_component,
            mission_type,
        })
    }

    fn mission_ack(
        &self,
        result: mav::MavMissionResult,
        mission_type: mav::MavMissionType,
    ) -> MavMessage {
        let (target_system, target_component) = self.peer;
        MavMessage::MISSION_ACK(mav::MISSION_ACK_DATA {
            target_system,
            target_component,
            mavtype: result,
            mission_type,
            ..Default::default()
        })
    }

    fn on_item(&mut self, item: &mav::MISSION_ITEM_INT_DATA) -> Vec<MavMessage> {
        let Some(upload) = &mut self.upload else {
            return Vec::new();
        };
        let mission_type = upload.mission_type;
        if item.mission_type != mission_type {
            return vec![self.mission_ack(
                mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE,
                item.mission_type,
            )];
        }
        if usize::from(item.seq) != upload.items.len() {
            // ArduPilot refuses an item out of order and waits for the one it asked for.
            return vec![self.mission_ack(
                mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE,
                mission_type,
            )];
        }
        let item = match stored_item(item) {
            Ok(item) => item,
            Err(result) => {
                // ArduPilot refuses the item and abandons the upload.
                self.upload = None;
                return vec![self.mission_ack(result, mission_type)];
            }
        };
        let now = self.clock;
        let Some(upload) = &mut self.upload else {
            return Vec::new();
        };
        upload.items.push(item);
        upload.received = now;
        upload.requested = now;
        if upload.items.len() < usize::from(upload.count) {
            let next = upload.items.len() as u16;
            return vec![self.request_item(next, mission_type)];
        }
        if let Some(upload) = self.upload.take() {
            if mission_type == mav::MavMissionType::MAV_MISSION_TYPE_RALLY {
                self.set_param("RALLY_TOTAL", upload.items.len() as f32);
            }
            *self.list_mut(mission_type) = upload.items;
        }
        vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED, mission_type)]
    }

    // Long: one arm per MAV_CMD, with the checks ArduCopter makes before accepting each.
    fn command(
        &mut self,
        command: mav::MavCmd,
        p: [f32; 7],
        position: Option<(f64, f64, f64)>,
    ) -> MavMessage {
        use mav::MavCmd::*;
        use mav::MavResult::*;
        let result = match command {
            MAV_CMD_COMPONENT_ARM_DISARM if p[0] >= 0.5 => {
                if self.armed {
                    MAV_RESULT_ACCEPTED
                } else if let Some(reason) = self.arming_refusal(p[1] == FORCE_ARM_MAGIC) {
                    // ArduPilot answers FAILED and says why in a STATUSTEXT just after.
                    self.say(mav::MavSeverity::MAV_SEVERITY_CRITICAL, &reason);
                    MAV_RESULT_FAILED
                } else {
                    self.armed = true;
                    self.say(mav::MavSeverity::MAV_SEVERITY_INFO, "Arming motors");
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_COMPONENT_ARM_DISARM => {
                if self.flying() && p[1] != FORCE_DISARM_MAGIC {
                    MAV_RESULT_FAILED
                } else {
                    self.disarm();
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_DO_SET_MODE if (p[0] as u32) & 1 == 0 => MAV_RESULT_DENIED, // needs MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
            MAV_CMD_DO_SET_MODE => {
                let custom_mode = p[1] as u32;
                if !self.modes.known.contains(&custom_mode)
                    || (custom_mode == self.modes.auto && self.mission.len() < 2)
                {
                    MAV_RESULT_FAILED
                } else {
                    self.set_mode(custom_mode);
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_NAV_TAKEOFF => {
                if !self.armed || self.custom_mode != self.modes.guided || self.flying() {
                    MAV_RESULT_FAILED
                } else {
                    self.target = Some(Target {
                        lat_deg: self.lat_deg,
                        lon_deg: self.lon_deg,
                        alt_rel_m: f64::from(p[6]),
                    });
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_NAV_LAND => {
                self.set_mode(self.modes.land);
                MAV_RESULT_ACCEPTED
            }
            MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                self.set_mode(self.modes.rtl);
                MAV_RESULT_ACCEPTED
            }
            // As ArduCopter: armed, with a mission, in GUIDED or AUTO, it switches to AUTO and
            // flies the mission from item 1 (taking off from the ground).
            MAV_CMD_MISSION_START => {
                let startable =
                    self.custom_mode == self.modes.guided || self.custom_mode == self.modes.auto;
                if !self.armed || self.mission.len() < 2 || !startable {
                    MAV_RESULT_FAILED
                } else {
                    self.custom_mode = self.modes.auto;
                    self.start_mission();
                    MAV_RESULT_ACCEPTED
                }
            }
            // Neither ArduCopter nor ArduPlane implements DO_ORBIT: CIRCLE mode, a loiter
            // turn or (plane) a loiter radius instead.
            MAV_CMD_DO_ORBIT => MAV_RESULT_UNSUPPORTED,
            MAV_CMD_DO_REPOSITION => match position {
                Some((lat_deg, lon_deg, alt_rel_m)) if self.armed && self.flying() => {
                    self.set_mode(self.modes.guided);
                    let alt_rel_m = if alt_rel_m.is_finite() {
                        alt_rel_m
                    } else {
                        self.alt_rel_m
                    };
                    self.target = Some(Target {
                        lat_deg,
                        lon_deg,
                        alt_rel_m,
                    });
                    // ArduPlane: param3, when not zero, is the loiter radius, negative
                    // counter-clockwise.
                    if self.is_plane() && p[2].is_finite() && p[2] != 0.0 {
                        self.plane_loiter.radius_m = f64::from(p[2].abs());
                        self.plane_loiter.clockwise = p[2] > 0.0;
                    }
                    MAV_RESULT_ACCEPTED
                }
                Some(_) => MAV_RESULT_DENIED,
                None => MAV_RESULT_UNSUPPORTED,
            },
            MAV_CMD_CONDITION_YAW if self.is_plane() => MAV_RESULT_UNSUPPORTED,
            MAV_CMD_CONDITION_YAW => {
                // param1 angle (deg), param2 rate (deg/s), param3 direction (-1 ccw, 1 cw, 0
                // shortest), param4 0 absolute / 1 relative; as ArduCopter's auto-yaw.
                let (angle, rate, direction, relative) = (p[0], p[1], p[2], p[3]);
                if !(0.0..=360.0).contains(&angle) || !(relative == 0.0 || relative == 1.0) {
                    MAV_RESULT_FAILED
                } else {
                    let angle = f64::from(angle).to_radians();
                    let offset = if relative == 1.0 {
                        if direction < 0.0 { -angle } else { angle }
                    } else {
                        let mut offset = (angle - self.yaw_rad + std::f64::consts::PI)
                            .rem_euclid(TAU)
                            - std::f64::consts::PI;
                        if direction < 0.0 && offset > 0.0 {
                            offset -= TAU;
                        } else if direction > 0.0 && offset < 0.0 {
                            offset += TAU;
                        }
                        offset
                    };
                    let rate_dps = if rate > 0.0 {
                        f64::from(rate)
                    } else {
                        DEFAULT_YAW_RATE_DPS
                    };
                    self.yaw_turn = Some((offset, rate_dps.to_radians()));
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_DO_SET_ROI_LOCATION => match position {
                Some((lat, lon, _)) => {
                    self.roi = Some((lat, lon));
                    MAV_RESULT_ACCEPTED
                }
                None => MAV_RESULT_UNSUPPORTED,
            },
            MAV_CMD_SET_MESSAGE_INTERVAL => self.set_message_interval(p[0], p[1]),
            MAV_CMD_REQUEST_MESSAGE => {
                let id = p[0] as u32;
                if SENDABLE.contains(&id) {
                    self.requested_once.push(id);
                    MAV_RESULT_ACCEPTED
                } else {
                    MAV_RESULT_FAILED
                }
            }
            MAV_CMD_DO_SET_ROI_NONE => {
                self.roi = None;
                MAV_RESULT_ACCEPTED
            }
            _ => MAV_RESULT_UNSUPPORTED,
        };
        ack(command, result, self.peer)
    }

    fn disarm(&mut self) {
        if self.armed {
            self.say(mav::MavSeverity::MAV_SEVERITY_INFO, "Disarming motors");
        }
        self.armed = false;
        self.target = None;
        self.progress = None;
        self.homing = false;
        self.orbit = None;
    }

    /// Flies home at RTL_ALT (climbing first, as ArduCopter does) and lands there.
    fn go_home(&mut self) {
        let rtl_alt_m = self.param("RTL_ALT") / 100.0;
        let alt_rel_m = self.alt_rel_m.max(rtl_alt_m.min(120.0));
        self.target = Some(Target {
            lat_deg: self.config.home_lat_deg,
            lon_deg: self.config.home_lon_deg,
            alt_rel_m,
        });
        self.homing = true;
    }

    fn set_mode(&mut self, custom_mode: u32) {
        self.custom_mode = custom_mode;
        self.progress = None;
        self.homing = false;
        self.orbit = None;
        self.yaw_turn = None;
        if custom_mode == COPTER_CIRCLE && !self.is_plane() {
            self.enter_circle();
        } else if custom_mode == self.modes.rtl {
            self.go_home();
        } else if custom_mode == self.modes.loiter || custom_mode == self.modes.guided {
            self.target = Some(Target {
                lat_deg: self.lat_deg,
                lon_deg: self.lon_deg,
                alt_rel_m: self.alt_rel_m,
            });
        } else if custom_mode == self.modes.takeoff && !self.flying() {
            // As ArduPlane's TAKEOFF: once armed, straight ahead on the heading, climbing to
            // TKOFF_ALT, then circling there (TKOFF_DIST ahead at most).
            let ahead_m = self.param("TKOFF_DIST").max(PLANE_LOITER_RADIUS_M);
            let (lat_deg, lon_deg) = offset_deg(
                (self.lat_deg, self.lon_deg),
                [ahead_m * self.yaw_rad.cos(), ahead_m * self.yaw_rad.sin()],
            );
            self.target = Some(Target {
                lat_deg,
                lon_deg,
                alt_rel_m: self.param("TKOFF_ALT"),
            });
        } else if custom_mode == self.modes.auto {
            // A copter on the ground (throttle at zero) does not take off on entering AUTO, as
            // ArduCopter: MAV_CMD_MISSION_START does that. One already climbing does fly it.
            let taking_off = self
                .target
                .is_some_and(|t| t.alt_rel_m > self.alt_rel_m + 0.5);
            if self.is_plane() || self.flying() || (self.armed && taking_off) {
                self.start_mission();
            }
        }
    }

    fn start_mission(&mut self) {
        self.jumps.clear();
        self.progress = Some(MissionProgress {
            seq: 1,
            hold_left_s: None,
        });
        self.announce_current(1);
    }

    /// ArduCopter's CIRCLE mode: the centre is CIRCLE_RADIUS (cm) ahead of the nose, the
    /// vehicle goes round it at CIRCLE_RATE (deg/s, positive clockwise) with its nose on the
    /// centre; radius 0 turns on the spot.
    fn enter_circle(&mut self) {
        let radius_m = (self.param("CIRCLE_RADIUS") / 100.0).max(0.0);
        let rate_dps = self.param("CIRCLE_RATE");
        let north_m = radius_m * self.yaw_rad.cos();
        let east_m = radius_m * self.yaw_rad.sin();
        let (lat_deg, lon_deg) = offset_deg((self.lat_deg, self.lon_deg), [north_m, east_m]);
        self.target = Some(Target {
            lat_deg,
            lon_deg,
            alt_rel_m: self.alt_rel_m,
        });
        if radius_m >= 0.5 {
            self.orbit = Some(Orbit {
                radius_m,
                speed_mps: (rate_dps.abs().to_radians() * radius_m).min(self.speed_mps),
                clockwise: rate_dps >= 0.0,
            });
        } else {
            self.yaw_turn = Some((
                f64::INFINITY.copysign(rate_dps),
                rate_dps.abs().to_radians(),
            ));
        }
    }

    fn announce_current(&mut self, seq: u16) {
        self.events
            .push_back(MavMessage::MISSION_CURRENT(mav::MISSION_CURRENT_DATA {
                seq,
                ..Default::default()
            }));
    }

    /// Advances the vehicle to `now` by `dt`: failsafes, mission, kinematics, battery.
    pub fn step(&mut self, dt: Duration, now: TimeUs) {
        self.clock = now;
        if self.boot.is_none() {
            self.boot = Some(TimeUs(now.0.saturating_sub(dt.as_micros() as u64)));
        }
        if !self.ready
            && (self.config.prearm_delay_s <= 0.0 || self.uptime_s() >= self.config.prearm_delay_s)
        {
            // As ArduPilot: the EKF's origin is set, and home with it (HOME_POSITION is sent
            // unasked when home is set).
            self.ready = true;
            self.say(mav::MavSeverity::MAV_SEVERITY_INFO, "EKF3 IMU0 origin set");
            self.events.push_back(self.home_position());
        }
        self.upload_timers(now);
        let dt_s = dt.as_secs_f64();
        self.check_failsafes();
        if self.custom_mode == self.modes.auto && self.armed {
            self.run_mission(dt_s);
        }
        if self.armed {
            let drain_pct_per_s = 100.0 / (self.config.endurance_min * 60.0);
            // Holding against the wind costs power: a third more in a 15 m/s wind.
            let wind_mps = self.config.wind_ne_mps[0].hypot(self.config.wind_ne_mps[1]);
            let load = if self.flying() {
                1.0 + wind_mps / 45.0
            } else {
                0.1
            };
            self.battery_pct = (self.battery_pct - drain_pct_per_s * load * dt_s).max(0.0);
        }
        for axis in 0..2 {
            self.gps_error_ne_m[axis] = 0.98 * self.gps_error_ne_m[axis] + 0.15 * self.rng.normal();
        }
        self.fly(dt_s);
    }

    fn check_failsafes(&mut self) {
        if !(self.armed && self.flying())
            || self.custom_mode == self.modes.rtl
            || self.custom_mode == self.modes.land
        {
            return;
        }
        if !self.battery_failsafe_done && self.battery_pct < BATTERY_FAILSAFE_PCT {
            self.battery_failsafe_done = true;
            self.say(
                mav::MavSeverity::MAV_SEVERITY_CRITICAL,
                "Battery failsafe: returning to launch",
            );
            self.set_mode(self.modes.rtl);
            return;
        }
        let timeout = Duration::from_secs_f64(self.param("FS_GCS_TIMEOUT").clamp(1.0, 120.0));
        if let Some(last) = self.last_gcs_heartbeat
            && self.param("FS_GCS_ENABLE") != 0.0
            && self.clock.since(last) > timeout
        {
            self.say(
                mav::MavSeverity::MAV_SEVERITY_CRITICAL,
                "GCS failsafe: returning to launch",
            );
            self.last_gcs_heartbeat = None; // once per loss, as ArduPilot
            self.set_mode(self.modes.rtl);
        }
    }

    /// Executes the current mission item in AUTO.
    fn run_mission(&mut self, dt_s: f64) {
        let Some(mut progress) = self.progress else {
            return;
        };
        let Some(item) = self.mission.get(usize::from(progress.seq)).cloned() else {
            // Past the last item: hold where we are.
            self.progress = None;
            self.target = Some(Target {
                lat_deg: self.lat_deg,
                lon_deg: self.lon_deg,
                alt_rel_m: self.alt_rel_m,
            });
            return;
        };
        use mav::MavCmd::*;
        let here = Target {
            lat_deg: self.lat_deg,
            lon_deg: self.lon_deg,
            alt_rel_m: self.alt_rel_m,
        };
        let point = Target {
            lat_deg: if item.x == 0 && item.y == 0 {
                here.lat_deg
            } else {
                deg_from_e7(item.x)
            },
            lon_deg: if item.x == 0 && item.y == 0 {
                here.lon_deg
            } else {
                deg_from_e7(item.y)
            },
            alt_rel_m: if item.z > 0.0 {
                f64::from(item.z)
            } else {
                here.alt_rel_m
            },
        };
        if item.command == MAV_CMD_DO_JUMP && self.jump(progress.seq, &item) {
            return;
        }
        let reached = match item.command {
            MAV_CMD_NAV_TAKEOFF => {
                self.target = Some(Target {
                    lat_deg: here.lat_deg,
                    lon_deg: here.lon_deg,
                    alt_rel_m: f64::from(item.z),
                });
                (self.alt_rel_m - f64::from(item.z)).abs() < 0.5
            }
            MAV_CMD_NAV_WAYPOINT | MAV_CMD_NAV_LOITER_TIME | MAV_CMD_NAV_LOITER_UNLIM => {
                self.target = Some(point);
                if self.is_plane() {
                    // ArduPlane takes a waypoint once within WP_RADIUS of it, whatever its
                    // height (a plane cannot hover onto it).
                    self.distance_m(point) < self.param("WP_RADIUS").max(1.0)
                } else {
                    self.distance_m(point) < 2.0 && (self.alt_rel_m - point.alt_rel_m).abs() < 1.5
                }
            }
            MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                // ArduCopter stays in AUTO for this item and reports it reached once landed
                // (the landing code does that).
                if !self.homing {
                    self.go_home();
                }
                false
            }
            MAV_CMD_NAV_LAND => {
                self.target = Some(Target {
                    alt_rel_m: 0.0,
                    ..point
                });
                !self.armed
            }
            MAV_CMD_DO_CHANGE_SPEED => {
                if item.param2 > 0.0 {
                    self.speed_mps = f64::from(item.param2);
                }
                true
            }
            MAV_CMD_DO_SET_ROI_LOCATION => {
                self.roi = Some((point.lat_deg, point.lon_deg));
                true
            }
            _ => true, // commands the simulation does not model complete at once
        };
        if !reached {
            return;
        }
        let hold_s = match item.command {
            MAV_CMD_NAV_WAYPOINT | MAV_CMD_NAV_LOITER_TIME => f64::from(item.param1).max(0.0),
            MAV_CMD_NAV_LOITER_UNLIM => f64::INFINITY,
            _ => 0.0,
        };
        let left = progress.hold_left_s.unwrap_or(hold_s) - dt_s;
        if left > 0.0 {
            progress.hold_left_s = Some(left);
            self.progress = Some(progress);
            return;
        }
        self.events.push_back(MavMessage::MISSION_ITEM_REACHED(
            mav::MISSION_ITEM_REACHED_DATA { seq: progress.seq },
        ));
        let next = progress.seq + 1;
        self.progress = Some(MissionProgress {
            seq: next,
            hold_left_s: None,
        });
        if usize::from(next) < self.mission.len() {
            self.announce_current(next);
        }
    }

    /// As ArduPilot: DO_JUMP (param1 the item to go to, param2 how many times, -1 for ever)
    /// goes to its item while it has jumps left; then the mission goes on past it. True when
    /// it jumped.
    fn jump(&mut self, seq: u16, item: &mav::MISSION_ITEM_INT_DATA) -> bool {
        let to = item.param1.max(0.0) as u16;
        if to == 0 || usize::from(to) >= self.mission.len() {
            return false;
        }
        let done = self.jumps.entry(seq).or_insert(0);
        if item.param2 >= 0.0 && f64::from(*done) >= f64::from(item.param2) {
            return false;
        }
        *done = done.saturating_add(1);
        self.progress = Some(MissionProgress {
            seq: to,
            hold_left_s: None,
        });
        self.announce_current(to);
        true
    }

    fn fly(&mut self, dt_s: f64) {
        let landing = self.custom_mode == self.modes.land
            || (self.homing
                && !self.is_plane()
                && self.target.is_some_and(|t| self.distance_m(t) < 0.5))
            || (self.target.is_some_and(|t| t.alt_rel_m <= 0.0) && self.flying());
        let mut vel = [0.0; 3];
        if landing && self.armed {
            if self.alt_rel_m <= 0.05 {
                self.alt_rel_m = 0.0;
                // A mission's RTL or LAND item is done once on the ground; the vehicle stays
                // in AUTO, disarmed, as ArduCopter does.
                if let Some(progress) = self
                    .progress
                    .filter(|_| self.custom_mode == self.modes.auto)
                {
                    self.events.push_back(MavMessage::MISSION_ITEM_REACHED(
                        mav::MISSION_ITEM_REACHED_DATA { seq: progress.seq },
                    ));
                }
                self.disarm();
            } else {
                let rate = if self.is_plane() {
                    2.0
                } else {
                    (self.param("LAND_SPEED") / 100.0).clamp(0.3, 5.0)
                };
                vel[2] = rate.min(self.alt_rel_m / dt_s.max(1e-6));
                if self.is_plane() {
                    // A plane glides home as it descends.
                    vel[0] = self.speed_mps * self.yaw_rad.cos();
                    vel[1] = self.speed_mps * self.yaw_rad.sin();
                }
            }
        } else if let (true, Some(target)) = (self.armed, self.target) {
            let (north_m, east_m) = self.offset_m(target);
            let horizontal_m = north_m.hypot(east_m);
            if self.is_plane() && self.flying() {
                vel = self.plane_velocity(north_m, east_m, dt_s);
            } else if let Some(orbit) = self.orbit.filter(|_| self.flying()) {
                vel = orbit_velocity(orbit, north_m, east_m);
                // ArduCopter's orbit keeps the nose (and camera) on the centre.
                self.yaw_rad = east_m.atan2(north_m).rem_euclid(TAU);
            } else if horizontal_m > 0.01
                && self.alt_rel_m > 1.0
                && !(self.homing && self.alt_rel_m < target.alt_rel_m - 1.0)
            {
                let speed = self.speed_mps.min(horizontal_m / dt_s.max(1e-6));
                vel[0] = north_m / horizontal_m * speed;
                vel[1] = east_m / horizontal_m * speed;
                if self.yaw_turn.is_none() {
                    self.yaw_rad = east_m.atan2(north_m).rem_euclid(TAU);
                }
            }
            let up_m = target.alt_rel_m - self.alt_rel_m;
            vel[2] = -up_m.clamp(-CLIMB_RATE_MPS * dt_s, CLIMB_RATE_MPS * dt_s) / dt_s.max(1e-6);
        }
        // A turn of the nose (CONDITION_YAW, CIRCLE with no radius): at its rate, then held.
        if let Some((left, rate)) = self.yaw_turn
            && self.armed
            && self.flying()
            && !self.is_plane()
        {
            let turn = left.clamp(-rate * dt_s, rate * dt_s);
            self.yaw_rad = (self.yaw_rad + turn).rem_euclid(TAU);
            self.yaw_turn = Some((left - turn, rate));
        }
        if self.is_plane() && self.flying() {
            // A plane flies through the air: the wind carries it (a multirotor's position
            // controller holds its ground track instead).
            vel[0] += self.config.wind_ne_mps[0];
            vel[1] += self.config.wind_ne_mps[1];
        }
        (self.lat_deg, self.lon_deg) =
            offset_deg((self.lat_deg, self.lon_deg), [vel[0] * dt_s, vel[1] * dt_s]);
        self.alt_rel_m = (self.alt_rel_m - vel[2] * dt_s).max(0.0);
        self.vel_ned_mps = vel;
    }

    /// A plane flies at cruise speed with a limited turn rate: towards the target, then around
    /// it on a loiter circle.
    fn plane_velocity(&mut self, north_m: f64, east_m: f64, dt_s: f64) -> [f64; 3] {
        let distance_m = north_m.hypot(east_m);
        let to_target = east_m.atan2(north_m);
        let loiter = self.plane_loiter;
        let desired = if distance_m > loiter.radius_m * 1.5 {
            to_target
        } else {
            // Fly tangent to the circle, correcting towards the radius.
            let correction =
                ((distance_m - loiter.radius_m) / loiter.radius_m.max(1.0)).clamp(-1.0, 1.0) * 0.8;
            if loiter.clockwise {
                to_target - std::f64::consts::FRAC_PI_2 + correction
            } else {
                to_target + std::f64::consts::FRAC_PI_2 - correction
            }
        };
        let error =
            (desired - self.yaw_rad + std::f64::consts::PI).rem_euclid(TAU) - std::f64::consts::PI;
        let max_turn = PLANE_TURN_RATE_RPS * dt_s;
        self.yaw_rad = (self.yaw_rad + error.clamp(-max_turn, max_turn)).rem_euclid(TAU);
        [
            self.speed_mps * self.yaw_rad.cos(),
            self.speed_mps * self.yaw_rad.sin(),
            0.0,
        ]
    }

    fn offset_m(&self, target: Target) -> (f64, f64) {
        let [north_m, east_m] = ne_m_between(
            (self.lat_deg, self.lon_deg),
            (target.lat_deg, target.lon_deg),
        );
        (north_m, east_m)
    }

    fn distance_m(&self, target: Target) -> f64 {
        let (north_m, east_m) = self.offset_m(target);
        north_m.hypot(east_m)
    }

    /// Where the GPS says the vehicle is.
    fn reported_lat_lon_deg(&self) -> (f64, f64) {
        offset_deg((self.lat_deg, self.lon_deg), self.gps_error_ne_m)
    }

    /// BATTERY_STATUS of the main battery (4S lithium polymer).
    fn battery_status(&self) -> MavMessage {
        let capacity_mah = self.param("BATT_CAPACITY");
        let mut voltages = [u16::MAX; 10];
        voltages[0] = (14_000.0 + 2_800.0 * self.battery_pct / 100.0) as u16;
        MavMessage::BATTERY_STATUS(mav::BATTERY_STATUS_DATA {
            current_consumed: (capacity_mah * (1.0 - self.battery_pct / 100.0)) as i32,
            energy_consumed: -1,
            temperature: i16::MAX,
            voltages,
            current_battery: if self.armed { 1_250 } else { 50 },
            id: 0,
            battery_function: mav::MavBatteryFunction::MAV_BATTERY_FUNCTION_ALL,
            mavtype: mav::MavBatteryType::MAV_BATTERY_TYPE_LIPO,
            battery_remaining: self.battery_pct.round() as i8,
            ..Default::default()
        })
    }

    fn home_position(&self) -> MavMessage {
        MavMessage::HOME_POSITION(mav::HOME_POSITION_DATA {
            latitude: e7_from_deg(self.config.home_lat_deg),
            longitude: e7_from_deg(self.config.home_lon_deg),
            altitude: (self.config.home_alt_msl_m * 1000.0) as i32,
            q: [1.0, 0.0, 0.0, 0.0],
            ..Default::default()
        })
    }

    /// HEARTBEAT, sent once a second whatever was asked.
    pub fn heartbeat(&self) -> MavMessage {
        let mut base_mode = mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
        if self.armed {
            base_mode |= mav::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED;
        }
        let mavtype = if self.is_plane() {
            mav::MavType::MAV_TYPE_FIXED_WING
        } else {
            mav::MavType::MAV_TYPE_QUADROTOR
        };
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: self.custom_mode,
            mavtype,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            base_mode,
            system_status: if self.armed {
                mav::MavState::MAV_STATE_ACTIVE
            } else {
                mav::MavState::MAV_STATE_STANDBY
            },
            mavlink_version: 3,
        })
    }

    /// Message `id` as the vehicle would send it now (`None` for a message it does not build:
    /// the camera's and gimbal's come from the world, MISSION_CURRENT only during a mission).
    pub fn message(&self, id: u32, now: TimeUs, time_boot_ms: u32) -> Option<MavMessage> {
        let ready = self.is_ready();
        let reported = self.reported_lat_lon_deg();
        let ground_speed = self.vel_ned_mps[0].hypot(self.vel_ned_mps[1]);
        let heading_deg = self.yaw_rad.to_degrees().rem_euclid(360.0);
        let message = match id {
            msg::HEARTBEAT => self.heartbeat(),
            msg::SYS_STATUS => {
                let present =
                    simulated_sensors() | mav::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK;
                // ArduPilot reports the pre-arm check healthy only once arming would pass.
                let health = if ready {
                    present
                } else {
                    simulated_sensors() - mav::MavSysStatusSensor::MAV_SYS_STATUS_SENSOR_GPS
                };
                MavMessage::SYS_STATUS(mav::SYS_STATUS_DATA {
                    onboard_control_sensors_present: present,
                    onboard_control_sensors_enabled: present,
                    onboard_control_sensors_health: health,
                    voltage_battery: (14_000.0 + 2_800.0 * self.battery_pct / 100.0) as u16,
                    current_battery: if self.armed { 1_250 } else { 50 },
                    battery_remaining: self.battery_pct.round() as i8,
                    ..Default::default()
                })
            }
            msg::GPS_RAW_INT if !ready => MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
                time_usec: now.0,
                eph: u16::MAX,
                epv: u16::MAX,
                vel: u16::MAX,
                cog: u16::MAX,
                fix_type: mav::GpsFixType::GPS_FIX_TYPE_NO_FIX,
                satellites_visible: 0,
                ..Default::default()
            }),
            msg::GPS_RAW_INT => MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
                time_usec: now.0,
                lat: e7_from_deg(reported.0),
                lon: e7_from_deg(reported.1),
                alt: ((self.config.home_alt_msl_m + self.alt_rel_m) * 1000.0) as i32,
                eph: 80,
                epv: 120,
                vel: (ground_speed * 100.0) as u16,
                cog: (heading_deg * 100.0) as u16,
                fix_type: mav::GpsFixType::GPS_FIX_TYPE_3D_FIX,
                satellites_visible: 14,
                ..Default::default()
            }),
            msg::BATTERY_STATUS => self.battery_status(),
            msg::HOME_POSITION => self.home_position(),
            msg::SYSTEM_TIME => MavMessage::SYSTEM_TIME(mav::SYSTEM_TIME_DATA {
                time_unix_usec: now.0,
                time_boot_ms,
            }),
            msg::EXTENDED_SYS_STATE => {
                MavMessage::EXTENDED_SYS_STATE(mav::EXTENDED_SYS_STATE_DATA {
                    vtol_state: mav::MavVtolState::MAV_VTOL_STATE_UNDEFINED,
                    landed_state: if self.flying() {
                        mav::MavLandedState::MAV_LANDED_STATE_IN_AIR
                    } else {
                        mav::MavLandedState::MAV_LANDED_STATE_ON_GROUND
                    },
                })
            }
            msg::MISSION_CURRENT => {
                let progress = self.progress?;
                MavMessage::MISSION_CURRENT(mav::MISSION_CURRENT_DATA {
                    seq: progress.seq,
                    ..Default::default()
                })
            }
            msg::GLOBAL_POSITION_INT => {
                MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
                    time_boot_ms,
                    lat: e7_from_deg(reported.0),
                    lon: e7_from_deg(reported.1),
                    alt: ((self.config.home_alt_msl_m + self.alt_rel_m) * 1000.0) as i32,
                    relative_alt: (self.alt_rel_m * 1000.0) as i32,
                    vx: (self.vel_ned_mps[0] * 100.0) as i16,
                    vy: (self.vel_ned_mps[1] * 100.0) as i16,
                    vz: (self.vel_ned_mps[2] * 100.0) as i16,
                    hdg: (heading_deg * 100.0) as u16,
                })
            }
            msg::ATTITUDE => MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
                time_boot_ms,
                roll: if self.is_plane() && self.flying() {
                    0.3
                } else {
                    0.0
                },
                yaw: self.yaw_rad as f32,
                ..Default::default()
            }),
            msg::VFR_HUD => MavMessage::VFR_HUD(mav::VFR_HUD_DATA {
                airspeed: ground_speed as f32,
                groundspeed: ground_speed as f32,
                alt: (self.config.home_alt_msl_m + self.alt_rel_m) as f32,
                climb: -self.vel_ned_mps[2] as f32,
                heading: heading_deg as i16,
                throttle: if self.armed { 45 } else { 0 },
            }),
            msg::AUTOPILOT_VERSION => self.autopilot_version(),
            _ => return None,
        };
        Some(message)
    }

    /// AUTOPILOT_VERSION as ArduPilot 4.7.0-dev reports it (MAVFTP left out: the simulator
    /// has no files).
    fn autopilot_version(&self) -> MavMessage {
        use mav::MavProtocolCapability as C;
        MavMessage::AUTOPILOT_VERSION(mav::AUTOPILOT_VERSION_DATA {
            capabilities: C::MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT
                | C::MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST
                | C::MAV_PROTOCOL_CAPABILITY_MISSION_INT
                | C::MAV_PROTOCOL_CAPABILITY_COMMAND_INT
                | C::MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT
                | C::MAV_PROTOCOL_CAPABILITY_MAVLINK2
                | C::MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
                | C::MAV_PROTOCOL_CAPABILITY_MISSION_RALLY,
            // 4.7.0, FIRMWARE_VERSION_TYPE_DEV (0).
            flight_sw_version: 0x0407_0000,
            uid: u64::from(self.config.sysid),
            ..Default::default()
        })
    }

    /// Messages due at `now`: those asked for once, and those whose requested interval has
    /// come round (their schedule advances). The world sends them.
    pub fn due_messages(&mut self, now: TimeUs) -> Vec<u32> {
        let mut due = std::mem::take(&mut self.requested_once);
        for (id, schedule) in &mut self.schedule {
            if now >= schedule.next {
                if !due.contains(id) {
                    due.push(*id);
                }
                // Keep the cadence (on average, between steps); more than an interval behind
                // (an interval shorter than the step), count from now.
                schedule.next = schedule.next.plus(schedule.interval);
                if schedule.next <= now {
                    schedule.next = now.plus(schedule.interval);
                }
            }
        }
        due
    }

    /// The interval at which message `id` is sent, if it is (tests, diagnostics).
    pub fn message_interval(&self, id: u32) -> Option<Duration> {
        self.schedule.get(&id).map(|s| s.interval)
    }

    /// Whether the simulated EKF and GPS are ready (arming allowed).
    pub fn is_ready(&self) -> bool {
        self.ready || self.config.prearm_delay_s <= 0.0
    }

    /// Seconds since boot on the vehicle's clock (0 before the first step).
    pub fn uptime_s(&self) -> f64 {
        self.boot
            .map_or(0.0, |boot| self.clock.since(boot).as_secs_f64())
    }

    /// Why arming is refused now, as ArduPilot says it ("Arm: ..."); `None` when it is not.
    fn arming_refusal(&self, forced: bool) -> Option<String> {
        if forced {
            return None; // ArduPilot's forced arm skips every check
        }
        if !self.is_ready() {
            let text = if self.uptime_s() < self.config.prearm_delay_s / 3.0 {
                "Arm: AHRS: EKF3 still initialising"
            } else {
                "Arm: Need Position Estimate"
            };
            return Some(text.into());
        }
        if self.param("ARMING_CHECK") != 0.0 && self.battery_pct < BATTERY_FAILSAFE_PCT {
            return Some("Arm: Battery below minimum".into());
        }
        None
    }

    /// MAV_CMD_SET_MESSAGE_INTERVAL: interval in µs, -1 off, 0 the default (its stream
    /// group's rate, which starts at zero: off). A message the vehicle cannot send is refused
    /// with DENIED and a status text, as ArduPilot does for an id it has no message for.
    fn set_message_interval(&mut self, id: f32, interval_us: f32) -> mav::MavResult {
        let id = id as u32;
        if id == msg::HEARTBEAT {
            return mav::MavResult::MAV_RESULT_ACCEPTED; // always once a second
        }
        if !SENDABLE.contains(&id) {
            self.say(
                mav::MavSeverity::MAV_SEVERITY_INFO,
                &format!("No ap_message for mavlink id ({id})"),
            );
            return mav::MavResult::MAV_RESULT_DENIED;
        }
        if interval_us < 0.0 || !interval_us.is_finite() {
            self.schedule.remove(&id);
        } else if interval_us == 0.0 {
            let rate_hz = STREAMS
                .iter()
                .find(|(_, _, messages)| messages.contains(&id))
                .map_or(0.0, |(_, name, _)| self.param(name));
            self.schedule_at_rate(id, rate_hz);
        } else {
            self.schedule_every(id, Duration::from_micros(interval_us as u64));
        }
        mav::MavResult::MAV_RESULT_ACCEPTED
    }

    /// REQUEST_DATA_STREAM (or a MAVn_ stream-rate parameter): every message of the group at
    /// `rate_hz` (0 stops them); stream 0 is all of them. The group's rate parameter follows.
    fn request_stream(&mut self, stream: u8, rate_hz: u16) {
        for (id, name, messages) in STREAMS {
            if stream != 0 && *id != stream {
                continue;
            }
            self.set_param(name, f32::from(rate_hz));
            for message in *messages {
                self.schedule_at_rate(*message, f64::from(rate_hz));
            }
        }
    }

    fn schedule_at_rate(&mut self, id: u32, rate_hz: f64) {
        if rate_hz > 0.0 {
            self.schedule_every(id, Duration::from_secs_f64(1.0 / rate_hz));
        } else {
            self.schedule.remove(&id);
        }
    }

    fn schedule_every(&mut self, id: u32, interval: Duration) {
        let next = self.clock.plus(interval);
        self.schedule.insert(id, Schedule { interval, next });
    }

    fn set_param(&mut self, name: &str, value: f32) {
        if let Some(entry) = self.params.get_mut(name) {
            entry.0 = value;
        }
    }

    /// Everything the vehicle can send of its own, at once (benches and tests that feed a
    /// ground station directly): HEARTBEAT first, then SYS_STATUS, GPS_RAW_INT,
    /// BATTERY_STATUS, HOME_POSITION, SYSTEM_TIME and MISSION_CURRENT during a mission. The
    /// simulator itself sends each only as asked (see [`Self::due_messages`]).
    pub fn slow_telemetry(&self, now: TimeUs, time_boot_ms: u32) -> Vec<MavMessage> {
        [
            msg::HEARTBEAT,
            msg::SYS_STATUS,
            msg::GPS_RAW_INT,
            msg::BATTERY_STATUS,
            msg::HOME_POSITION,
            msg::SYSTEM_TIME,
            msg::MISSION_CURRENT,
        ]
        .into_iter()
        .filter_map(|id| self.message(id, now, time_boot_ms))
        .collect()
    }

    /// The fast messages, at once (benches and tests): GLOBAL_POSITION_INT, ATTITUDE, VFR_HUD.
    pub fn fast_telemetry(&self, time_boot_ms: u32) -> Vec<MavMessage> {
        [msg::GLOBAL_POSITION_INT, msg::ATTITUDE, msg::VFR_HUD]
            .into_iter()
            .filter_map(|id| self.message(id, self.clock, time_boot_ms))
            .collect()
    }
}

/// An item as ArduPilot stores and returns it: fence items in MAV_FRAME_GLOBAL without
/// altitude, rally points relative to home; other commands in those lists are refused.
fn stored_item(
    item: &mav::MISSION_ITEM_INT_DATA,
) -> Result<mav::MISSION_ITEM_INT_DATA, mav::MavMissionResult> {
    use mav::MavCmd::*;
    let mut item = item.clone();
    match item.mission_type {
        mav::MavMissionType::MAV_MISSION_TYPE_FENCE => {
            match item.command {
                MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
                | MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
                | MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
                | MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION => item.z = 0.0,
                MAV_CMD_NAV_FENCE_RETURN_POINT => {}
                _ => return Err(mav::MavMissionResult::MAV_MISSION_UNSUPPORTED),
            }
            item.frame = mav::MavFrame::MAV_FRAME_GLOBAL;
            (item.param2, item.param3, item.param4) = (0.0, 0.0, 0.0);
        }
        mav::MavMissionType::MAV_MISSION_TYPE_RALLY => {
            if item.command != MAV_CMD_NAV_RALLY_POINT {
                return Err(mav::MavMissionResult::MAV_MISSION_UNSUPPORTED);
            }
            item.frame = mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT;
            (item.param1, item.param2, item.param3, item.param4) = (0.0, 0.0, 0.0, 0.0);
            item.z = item.z.trunc(); // ArduPilot keeps whole metres
        }
        _ => return Ok(item),
    }
    item.autocontinue = 0;
    item.current = 0;
    Ok(item)
}

/// MISSION_ITEM (float) as the MISSION_ITEM_INT it stands for, as ArduPilot converts it
/// (`AP_Mission::convert_MISSION_ITEM_to_MISSION_ITEM_INT`): degrees × 10⁷ in the global
/// frames and the mission frame, metres × 10⁴ in the local ones. Written here, not borrowed
/// from the station's command code, so that a bug in one cannot hide in the other.
#[allow(
    deprecated,
    reason = "MISSION_ITEM and the *_INT frames are deprecated, but older ground stations still send them"
)]
fn item_int_from_float(item: &mav::MISSION_ITEM_DATA) -> mav::MISSION_ITEM_INT_DATA {
    use mav::MavFrame::*;
    let scale = match item.frame {
        MAV_FRAME_GLOBAL
        | MAV_FRAME_GLOBAL_RELATIVE_ALT
        | MAV_FRAME_GLOBAL_TERRAIN_ALT
        | MAV_FRAME_GLOBAL_INT
        | MAV_FRAME_GLOBAL_RELATIVE_ALT_INT
        | MAV_FRAME_GLOBAL_TERRAIN_ALT_INT
        | MAV_FRAME_MISSION => 1e7,
        _ => 1e4,
    };
    mav::MISSION_ITEM_INT_DATA {
        param1: item.param1,
        param2: item.param2,
        param3: item.param3,
        param4: item.param4,
        x: (f64::from(item.x) * scale).round() as i32,
        y: (f64::from(item.y) * scale).round() as i32,
        z: item.z,
        seq: item.seq,
        command: item.command,
        target_system: item.target_system,
        target_component: item.target_component,
        frame: item.frame,
        current: item.current,
        autocontinue: item.autocontinue,
        mission_type: item.mission_type,
    }
}

#[cfg(test)]
mod mission_tests;
#[cfg(test)]
mod tests;
