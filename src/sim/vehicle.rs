//! A simulated ArduPilot vehicle (Copter or Plane) as a ground station sees it: HEARTBEAT with
//! ArduPilot's custom modes, the telemetry streams, COMMAND_LONG/INT answered with COMMAND_ACK,
//! the mission protocol and mission execution in AUTO (MISSION_CURRENT, MISSION_ITEM_REACHED),
//! the parameter protocol, kinematics with speed, climb and turn limits, battery drain, and the
//! failsafes on low battery and on losing the ground station. Time is passed in.

use std::collections::{BTreeMap, VecDeque};
use std::f64::consts::TAU;
use std::time::Duration;

use crate::protocol::{MavMessage, deg_from_e7, e7_from_deg, mav, text_from_chars};
use crate::time::TimeUs;

use super::scenario::DroneKind;

const METRES_PER_DEG_LAT: f64 = 111_320.0;
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

/// ArduPilot mode numbers for each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Modes {
    manual: u32,
    auto: u32,
    guided: u32,
    loiter: u32,
    rtl: u32,
    land: u32,
    known: &'static [u32],
}

const COPTER_MODES: Modes = Modes {
    manual: 0,
    auto: 3,
    guided: 4,
    loiter: 5,
    rtl: 6,
    land: 9,
    known: &[0, 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 21],
};
const PLANE_MODES: Modes = Modes {
    manual: 0,
    auto: 10,
    guided: 15,
    loiter: 12,
    rtl: 11,
    land: 20,
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
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Target {
    lat_deg: f64,
    lon_deg: f64,
    alt_rel_m: f64,
}

/// A circle around the target (MAV_CMD_DO_ORBIT).
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
}

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
    upload: Option<Upload>,
    params: BTreeMap<String, (f32, mav::MavParamType)>,
    /// The GPS receiver's error, north and east metres: a slow random walk added to what the
    /// vehicle reports, never to where it really is.
    gps_error_ne_m: [f64; 2],
    rng: super::rng::Rng,
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
}

/// The parameters of a small ArduPilot vehicle, with their types.
const DEFAULT_PARAMS: &[(&str, f32, mav::MavParamType)] = {
    use mav::MavParamType::*;
    &[
        ("ARMING_CHECK", 1.0, MAV_PARAM_TYPE_INT32),
        ("BATT_CAPACITY", 5200.0, MAV_PARAM_TYPE_INT32),
        ("BATT_FS_LOW_ACT", 2.0, MAV_PARAM_TYPE_INT8),
        ("BATT_LOW_VOLT", 14.2, MAV_PARAM_TYPE_REAL32),
        ("FENCE_ENABLE", 0.0, MAV_PARAM_TYPE_INT8),
        ("FENCE_RADIUS", 2000.0, MAV_PARAM_TYPE_REAL32),
        ("FS_GCS_ENABLE", 1.0, MAV_PARAM_TYPE_INT8),
        ("FS_GCS_TIMEOUT", 5.0, MAV_PARAM_TYPE_REAL32),
        ("LAND_SPEED", 50.0, MAV_PARAM_TYPE_INT16),
        ("RTL_ALT", 1500.0, MAV_PARAM_TYPE_INT16),
        ("SYSID_MYGCS", 255.0, MAV_PARAM_TYPE_INT16),
        ("SYSID_THISMAV", 1.0, MAV_PARAM_TYPE_INT16),
        ("WPNAV_SPEED", 800.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_UP", 250.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_DN", 150.0, MAV_PARAM_TYPE_REAL32),
        ("WP_YAW_BEHAVIOR", 2.0, MAV_PARAM_TYPE_INT8),
    ]
};

#[allow(
    deprecated,
    reason = "older ground stations still upload MISSION_ITEM and ArduPilot accepts it"
)]
fn item_addressed(item: &mav::MISSION_ITEM_DATA, sysid: u8) -> bool {
    item.target_system == 0 || item.target_system == sysid
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
        let mut params: BTreeMap<String, (f32, mav::MavParamType)> = DEFAULT_PARAMS
            .iter()
            .map(|(name, value, ty)| ((*name).to_owned(), (*value, *ty)))
            .collect();
        params.insert(
            "SYSID_THISMAV".into(),
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
            upload: None,
            params,
            roi: None,
            gps_error_ne_m: [0.0; 2],
            rng: super::rng::Rng::new(0x6770_7300 ^ u64::from(config.sysid)),
            peer: (255, 190),
            homing: false,
            orbit: None,
            ignore_commands: false,
            events: VecDeque::new(),
            last_gcs_heartbeat: None,
            clock: TimeUs(0),
            battery_failsafe_done: false,
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
    pub fn handle(&mut self, message: &MavMessage, from: (u8, u8)) -> Vec<MavMessage> {
        if !matches!(message, MavMessage::HEARTBEAT(_)) {
            self.peer = from;
        }
        match message {
            MavMessage::HEARTBEAT(hb) if hb.mavtype == mav::MavType::MAV_TYPE_GCS => {
                // The failsafe watches only the ground station the vehicle is set up for.
                if f64::from(from.0) == self.param("SYSID_MYGCS") {
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
                vec![self.command(c.command, params, None)]
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
                });
                vec![self.request_item(0, c.mission_type)]
            }
            MavMessage::MISSION_ITEM_INT(item) if self.addressed(item.target_system) => {
                self.on_item(item)
            }
            MavMessage::MISSION_ITEM(item) if item_addressed(item, self.config.sysid) => {
                self.on_item(&crate::command::mission::int_from_float_item(item))
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
                        let index = self.params.keys().position(|k| *k == name).unwrap_or(0);
                        self.param_value(index).into_iter().collect()
                    }
                    None => Vec::new(), // ArduPilot ignores unknown names
                }
            }
            _ => Vec::new(),
        }
    }

    fn param(&self, name: &str) -> f64 {
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

    fn request_item(&self, seq: u16, mission_type: mav::MavMissionType) -> MavMessage {
        let (target_system, target_component) = self.peer;
        MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA {
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
        upload.items.push(item.clone());
        if upload.items.len() < usize::from(upload.count) {
            let next = upload.items.len() as u16;
            return vec![self.request_item(next, mission_type)];
        }
        if let Some(upload) = self.upload.take() {
            *self.list_mut(mission_type) = upload.items;
        }
        vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED, mission_type)]
    }

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
                if self.battery_pct < BATTERY_FAILSAFE_PCT && self.param("ARMING_CHECK") != 0.0 {
                    self.say(
                        mav::MavSeverity::MAV_SEVERITY_CRITICAL,
                        "PreArm: Battery below minimum",
                    );
                    MAV_RESULT_FAILED
                } else {
                    self.armed = true;
                    self.say(mav::MavSeverity::MAV_SEVERITY_INFO, "Arming motors");
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_COMPONENT_ARM_DISARM => {
                if self.flying() && p[1] != 21196.0 {
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
            MAV_CMD_DO_REPOSITION | MAV_CMD_DO_ORBIT => match position {
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
                    if command == MAV_CMD_DO_ORBIT {
                        // param1: radius, its sign the direction (positive clockwise); param2:
                        // tangential speed.
                        let radius_m = if p[0].is_finite() && p[0] != 0.0 {
                            f64::from(p[0])
                        } else {
                            50.0
                        };
                        let speed_mps = if p[1].is_finite() && p[1] > 0.0 {
                            f64::from(p[1])
                        } else {
                            3.0
                        };
                        self.orbit = Some(Orbit {
                            radius_m: radius_m.abs(),
                            speed_mps: speed_mps.min(self.speed_mps),
                            clockwise: radius_m > 0.0,
                        });
                    }
                    MAV_RESULT_ACCEPTED
                }
                Some(_) => MAV_RESULT_DENIED,
                None => MAV_RESULT_UNSUPPORTED,
            },
            MAV_CMD_DO_SET_ROI_LOCATION => match position {
                Some((lat, lon, _)) => {
                    self.roi = Some((lat, lon));
                    MAV_RESULT_ACCEPTED
                }
                None => MAV_RESULT_UNSUPPORTED,
            },
            MAV_CMD_SET_MESSAGE_INTERVAL => MAV_RESULT_ACCEPTED, // streams keep their default rates
            MAV_CMD_REQUEST_MESSAGE if p[0] as u32 == 242 => {
                self.events.push_back(self.home_position());
                MAV_RESULT_ACCEPTED
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
        if custom_mode == self.modes.rtl {
            self.go_home();
        } else if custom_mode == self.modes.loiter || custom_mode == self.modes.guided {
            self.target = Some(Target {
                lat_deg: self.lat_deg,
                lon_deg: self.lon_deg,
                alt_rel_m: self.alt_rel_m,
            });
        } else if custom_mode == self.modes.auto {
            self.progress = Some(MissionProgress {
                seq: 1,
                hold_left_s: None,
            });
            self.announce_current(1);
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
                let radius_m = if self.is_plane() { 30.0 } else { 2.0 };
                self.distance_m(point) < radius_m && (self.alt_rel_m - point.alt_rel_m).abs() < 1.5
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
                self.yaw_rad = east_m.atan2(north_m).rem_euclid(TAU);
            }
            let up_m = target.alt_rel_m - self.alt_rel_m;
            vel[2] = -up_m.clamp(-CLIMB_RATE_MPS * dt_s, CLIMB_RATE_MPS * dt_s) / dt_s.max(1e-6);
        }
        if self.is_plane() && self.flying() {
            // A plane flies through the air: the wind carries it (a multirotor's position
            // controller holds its ground track instead).
            vel[0] += self.config.wind_ne_mps[0];
            vel[1] += self.config.wind_ne_mps[1];
        }
        self.lat_deg += vel[0] * dt_s / METRES_PER_DEG_LAT;
        self.lon_deg += vel[1] * dt_s / (METRES_PER_DEG_LAT * self.lat_deg.to_radians().cos());
        self.alt_rel_m = (self.alt_rel_m - vel[2] * dt_s).max(0.0);
        self.vel_ned_mps = vel;
    }

    /// A plane flies at cruise speed with a limited turn rate: towards the target, then around
    /// it on a loiter circle.
    fn plane_velocity(&mut self, north_m: f64, east_m: f64, dt_s: f64) -> [f64; 3] {
        let distance_m = north_m.hypot(east_m);
        let to_target = east_m.atan2(north_m);
        let desired = if distance_m > PLANE_LOITER_RADIUS_M * 1.5 {
            to_target
        } else {
            // Fly tangent to the circle, correcting towards the radius.
            let correction = ((distance_m - PLANE_LOITER_RADIUS_M) / PLANE_LOITER_RADIUS_M)
                .clamp(-1.0, 1.0)
                * 0.8;
            to_target - std::f64::consts::FRAC_PI_2 + correction
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
        let north_m = (target.lat_deg - self.lat_deg) * METRES_PER_DEG_LAT;
        let east_m =
            (target.lon_deg - self.lon_deg) * METRES_PER_DEG_LAT * self.lat_deg.to_radians().cos();
        (north_m, east_m)
    }

    fn distance_m(&self, target: Target) -> f64 {
        let (north_m, east_m) = self.offset_m(target);
        north_m.hypot(east_m)
    }

    /// Where the GPS says the vehicle is.
    fn reported_lat_lon_deg(&self) -> (f64, f64) {
        let lat_deg = self.lat_deg + self.gps_error_ne_m[0] / METRES_PER_DEG_LAT;
        let lon_deg = self.lon_deg
            + self.gps_error_ne_m[1] / (METRES_PER_DEG_LAT * self.lat_deg.to_radians().cos());
        (lat_deg, lon_deg)
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

    /// The once-a-second messages: HEARTBEAT, SYS_STATUS, GPS_RAW_INT, HOME_POSITION,
    /// SYSTEM_TIME and MISSION_CURRENT, all on the simulated clock `now`.
    pub fn slow_telemetry(&self, now: TimeUs, time_boot_ms: u32) -> Vec<MavMessage> {
        let reported = self.reported_lat_lon_deg();
        let sensors = simulated_sensors();
        let mut base_mode = mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
        if self.armed {
            base_mode |= mav::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED;
        }
        let mavtype = if self.is_plane() {
            mav::MavType::MAV_TYPE_FIXED_WING
        } else {
            mav::MavType::MAV_TYPE_QUADROTOR
        };
        let mut messages = vec![
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
            }),
            MavMessage::SYS_STATUS(mav::SYS_STATUS_DATA {
                onboard_control_sensors_present: sensors,
                onboard_control_sensors_enabled: sensors,
                onboard_control_sensors_health: sensors,
                voltage_battery: (14_000.0 + 2_800.0 * self.battery_pct / 100.0) as u16,
                current_battery: if self.armed { 1_250 } else { 50 },
                battery_remaining: self.battery_pct.round() as i8,
                ..Default::default()
            }),
            MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
                time_usec: now.0,
                lat: e7_from_deg(reported.0),
                lon: e7_from_deg(reported.1),
                alt: ((self.config.home_alt_msl_m + self.alt_rel_m) * 1000.0) as i32,
                eph: 80,
                epv: 120,
                vel: (self.vel_ned_mps[0].hypot(self.vel_ned_mps[1]) * 100.0) as u16,
                cog: (self.yaw_rad.to_degrees().rem_euclid(360.0) * 100.0) as u16,
                fix_type: mav::GpsFixType::GPS_FIX_TYPE_3D_FIX,
                satellites_visible: 14,
                ..Default::default()
            }),
            self.battery_status(),
            self.home_position(),
            MavMessage::SYSTEM_TIME(mav::SYSTEM_TIME_DATA {
                time_unix_usec: now.0,
                time_boot_ms,
            }),
        ];
        if let Some(progress) = self.progress {
            messages.push(MavMessage::MISSION_CURRENT(mav::MISSION_CURRENT_DATA {
                seq: progress.seq,
                ..Default::default()
            }));
        }
        messages
    }

    /// The fast messages (several per second): GLOBAL_POSITION_INT, ATTITUDE, VFR_HUD.
    pub fn fast_telemetry(&self, time_boot_ms: u32) -> Vec<MavMessage> {
        let reported = self.reported_lat_lon_deg();
        let ground_speed = self.vel_ned_mps[0].hypot(self.vel_ned_mps[1]);
        let heading_deg = self.yaw_rad.to_degrees().rem_euclid(360.0);
        let roll_rad = if self.is_plane() && self.flying() {
            0.3
        } else {
            0.0
        };
        vec![
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
            }),
            MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
                time_boot_ms,
                roll: roll_rad,
                yaw: self.yaw_rad as f32,
                ..Default::default()
            }),
            MavMessage::VFR_HUD(mav::VFR_HUD_DATA {
                airspeed: ground_speed as f32,
                groundspeed: ground_speed as f32,
                alt: (self.config.home_alt_msl_m + self.alt_rel_m) as f32,
                climb: -self.vel_ned_mps[2] as f32,
                heading: heading_deg as i16,
                throttle: if self.armed { 45 } else { 0 },
            }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ground station's system and component id.
    const GCS: (u8, u8) = (255, 190);

    fn command_long(command: mav::MavCmd, params: [f32; 7]) -> MavMessage {
        MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
            param1: params[0],
            param2: params[1],
            param7: params[6],
            command,
            target_system: 1,
            target_component: 1,
            ..Default::default()
        })
    }

    fn result_of(replies: &[MavMessage]) -> mav::MavResult {
        match replies {
            [MavMessage::COMMAND_ACK(ack)] => ack.result,
            other => panic!("expected one COMMAND_ACK, got {other:?}"),
        }
    }

    fn run(vehicle: &mut SimVehicle, seconds: f64, now: &mut TimeUs) {
        for _ in 0..(seconds * 10.0).round() as u32 {
            *now = now.plus(Duration::from_millis(100));
            vehicle.step(Duration::from_millis(100), *now);
        }
    }

    fn guided_armed() -> SimVehicle {
        let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
        vehicle.handle(
            &command_long(
                mav::MavCmd::MAV_CMD_DO_SET_MODE,
                [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            GCS,
        );
        vehicle.handle(
            &command_long(
                mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
                [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
            GCS,
        );
        vehicle
    }

    #[test]
    fn takeoff_needs_guided_and_armed_then_climbs_at_the_climb_rate() {
        let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
        let takeoff = command_long(
            mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0],
        );
        assert_eq!(
            result_of(&vehicle.handle(&takeoff, GCS)),
            mav::MavResult::MAV_RESULT_FAILED
        );
        let mut vehicle = guided_armed();
        assert_eq!(
            result_of(&vehicle.handle(&takeoff, GCS)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        let mut now = TimeUs(0);
        run(&mut vehicle, 4.0, &mut now);
        assert!(
            (vehicle.alt_rel_m - 10.0).abs() < 1e-6,
            "after 4 s at 2.5 m/s: {}",
            vehicle.alt_rel_m
        );
        run(&mut vehicle, 10.0, &mut now);
        assert!((vehicle.alt_rel_m - 20.0).abs() < 1e-6);
        let disarm = command_long(mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]);
        assert_eq!(
            result_of(&vehicle.handle(&disarm, GCS)),
            mav::MavResult::MAV_RESULT_FAILED,
            "no disarm in flight"
        );
    }

    fn item(
        seq: u16,
        command: mav::MavCmd,
        lat_deg: f64,
        lon_deg: f64,
        alt_m: f32,
    ) -> mav::MISSION_ITEM_INT_DATA {
        mav::MISSION_ITEM_INT_DATA {
            seq,
            command,
            x: e7_from_deg(lat_deg),
            y: e7_from_deg(lon_deg),
            z: alt_m,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            target_system: 1,
            target_component: 1,
            autocontinue: 1,
            ..Default::default()
        }
    }

    #[test]
    fn auto_flies_the_mission_reports_progress_and_lands_home() {
        use mav::MavCmd::*;
        let mut vehicle = guided_armed();
        vehicle.mission = vec![
            item(0, MAV_CMD_NAV_WAYPOINT, 9.0, 31.0, 0.0),
            item(1, MAV_CMD_NAV_TAKEOFF, 0.0, 0.0, 15.0),
            item(2, MAV_CMD_NAV_WAYPOINT, 9.001, 31.0, 15.0),
            item(3, MAV_CMD_NAV_WAYPOINT, 9.001, 31.001, 15.0),
            item(4, MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0),
        ];
        let auto = command_long(
            mav::MavCmd::MAV_CMD_DO_SET_MODE,
            [1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        );
        assert_eq!(
            result_of(&vehicle.handle(&auto, GCS)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        let mut now = TimeUs(0);
        let mut reached = Vec::new();
        for _ in 0..3000 {
            run(&mut vehicle, 0.1, &mut now);
            for event in vehicle.take_events() {
                if let MavMessage::MISSION_ITEM_REACHED(r) = event {
                    reached.push(r.seq);
                }
            }
            if !vehicle.armed {
                break;
            }
        }
        assert_eq!(reached, vec![1, 2, 3, 4]);
        assert!(!vehicle.armed, "landed and disarmed at home");
        assert_eq!(
            vehicle.custom_mode, 3,
            "the mission's RTL item flies home in AUTO, as ArduCopter"
        );
        assert!((vehicle.lat_deg - 9.0).abs() < 2e-5 && (vehicle.lon_deg - 31.0).abs() < 2e-5);
        assert!(now.as_secs_f64() < 200.0, "took {} s", now.as_secs_f64());
    }

    #[test]
    fn an_orbit_circles_the_centre_at_its_radius_and_speed() {
        let mut vehicle = guided_armed();
        vehicle.alt_rel_m = 50.0;
        let centre = (9.001, 31.0);
        let orbit = MavMessage::COMMAND_INT(mav::COMMAND_INT_DATA {
            param1: -80.0, // counter-clockwise
            param2: 5.0,
            x: e7_from_deg(centre.0),
            y: e7_from_deg(centre.1),
            z: 50.0,
            command: mav::MavCmd::MAV_CMD_DO_ORBIT,
            target_system: 1,
            target_component: 1,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            ..Default::default()
        });
        assert_eq!(
            result_of(&vehicle.handle(&orbit, GCS)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        let mut now = TimeUs(0);
        run(&mut vehicle, 120.0, &mut now);
        let target = Target {
            lat_deg: centre.0,
            lon_deg: centre.1,
            alt_rel_m: 50.0,
        };
        let mut winding = 0.0;
        let mut last = vehicle.offset_m(target);
        for _ in 0..600 {
            run(&mut vehicle, 0.1, &mut now);
            let distance = vehicle.distance_m(target);
            assert!((distance - 80.0).abs() < 5.0, "on the circle: {distance}");
            let now_offset = vehicle.offset_m(target);
            let turn = (now_offset.1.atan2(now_offset.0) - last.1.atan2(last.0)
                + std::f64::consts::PI)
                .rem_euclid(TAU)
                - std::f64::consts::PI;
            winding += turn;
            last = now_offset;
        }
        // 60 s at 5 m/s on an 80 m circle: 300 m, 0.6 of a turn, counter-clockwise.
        assert!(
            (winding.abs() / TAU - 300.0 / (TAU * 80.0)).abs() < 0.05,
            "{}",
            winding / TAU
        );
        // Counter-clockwise seen from above: bearings (clockwise from north) decrease.
        assert!(winding < 0.0, "{winding}");
    }

    #[test]
    fn mavftp_requests_are_refused_at_once() {
        let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
        let mut payload = [0u8; 251];
        payload[0..2].copy_from_slice(&41u16.to_le_bytes());
        payload[2] = 7; // session
        payload[3] = 4; // OpenFileRO
        let request = MavMessage::FILE_TRANSFER_PROTOCOL(mav::FILE_TRANSFER_PROTOCOL_DATA {
            target_network: 0,
            target_system: 1,
            target_component: 1,
            payload,
        });
        let replies = vehicle.handle(&request, (255, 230));
        let [MavMessage::FILE_TRANSFER_PROTOCOL(nak)] = replies.as_slice() else {
            panic!("{replies:?}")
        };
        assert_eq!(
            (nak.target_system, nak.target_component),
            (255, 230),
            "to the sender"
        );
        assert_eq!(u16::from_le_bytes([nak.payload[0], nak.payload[1]]), 42);
        assert_eq!(&nak.payload[2..6], &[7, FTP_NAK, 1, 4]);
        assert_eq!(nak.payload[12], FTP_ERROR_FILE_NOT_FOUND);
    }

    #[test]
    fn losing_the_ground_station_triggers_rtl() {
        let mut vehicle = guided_armed();
        let mut now = TimeUs(0);
        vehicle.handle(
            &MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
                mavtype: mav::MavType::MAV_TYPE_GCS,
                ..Default::default()
            }),
            GCS,
        );
        vehicle.handle(
            &command_long(
                mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
                [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
            ),
            GCS,
        );
        run(&mut vehicle, 4.9, &mut now);
        assert_eq!(vehicle.custom_mode, 4, "still guided within FS_GCS_TIMEOUT");
        run(&mut vehicle, 0.3, &mut now);
        assert_eq!(
            vehicle.custom_mode, 6,
            "RTL after 5 s without the ground station"
        );
        assert!(
            vehicle
                .take_events()
                .iter()
                .any(|m| matches!(m, MavMessage::STATUSTEXT(_)))
        );
    }

    #[test]
    fn gps_reports_wander_near_the_true_position() {
        let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
        let mut now = TimeUs(0);
        let (mut worst_m, mut sum_sq, mut samples) = (0.0f64, 0.0, 0.0);
        for _ in 0..3000 {
            run(&mut vehicle, 0.1, &mut now);
            let (lat, lon) = vehicle.reported_lat_lon_deg();
            let north = (lat - vehicle.lat_deg) * METRES_PER_DEG_LAT;
            let east =
                (lon - vehicle.lon_deg) * METRES_PER_DEG_LAT * vehicle.lat_deg.to_radians().cos();
            let error_m = north.hypot(east);
            worst_m = worst_m.max(error_m);
            sum_sq += error_m * error_m;
            samples += 1.0;
        }
        let rms_m = (sum_sq / samples).sqrt();
        assert!(
            (0.3..2.0).contains(&rms_m),
            "a GPS wanders by a metre or so: {rms_m}"
        );
        assert!(worst_m < 6.0, "{worst_m}");
        assert_eq!(
            (vehicle.lat_deg, vehicle.lon_deg),
            (9.0, 31.0),
            "the vehicle itself did not move"
        );
    }

    #[test]
    fn the_wind_carries_a_plane_but_not_a_multirotor_holding_position() {
        let wind = [0.0, 5.0]; // blowing towards the east
        let mut plane = SimVehicle::new(SimVehicleConfig {
            kind: DroneKind::FixedWing,
            wind_ne_mps: wind,
            ..SimVehicleConfig::default()
        });
        plane.armed = true;
        plane.alt_rel_m = 100.0;
        plane.custom_mode = 15;
        plane.target = Some(Target {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_rel_m: 100.0,
        });
        let mut copter = guided_armed();
        copter.config.wind_ne_mps = wind;
        copter.alt_rel_m = 20.0;
        copter.target = Some(Target {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_rel_m: 20.0,
        });
        let mut now = TimeUs(0);
        let mut max_east_m = 0.0f64;
        for _ in 0..600 {
            run(&mut plane, 0.1, &mut now);
            run(&mut copter, 0.1, &mut now);
            max_east_m = max_east_m.max(
                plane
                    .offset_m(Target {
                        lat_deg: 9.0,
                        lon_deg: 31.0,
                        alt_rel_m: 0.0,
                    })
                    .1
                    .abs(),
            );
        }
        let east_of_centre_m = -plane
            .offset_m(Target {
                lat_deg: 9.0,
                lon_deg: 31.0,
                alt_rel_m: 0.0,
            })
            .1;
        assert!(
            max_east_m > PLANE_LOITER_RADIUS_M,
            "the loiter circle is pushed around: {max_east_m}"
        );
        assert!(east_of_centre_m.is_finite());
        assert!(
            copter.distance_m(Target {
                lat_deg: 9.0,
                lon_deg: 31.0,
                alt_rel_m: 20.0
            }) < 0.01,
            "the copter holds"
        );
    }

    #[test]
    fn a_plane_circles_its_target_at_cruise_speed() {
        let mut vehicle = SimVehicle::new(SimVehicleConfig {
            kind: DroneKind::FixedWing,
            ..SimVehicleConfig::default()
        });
        vehicle.armed = true;
        vehicle.alt_rel_m = 100.0;
        vehicle.custom_mode = 15;
        vehicle.target = Some(Target {
            lat_deg: 9.005,
            lon_deg: 31.0,
            alt_rel_m: 100.0,
        });
        let mut now = TimeUs(0);
        run(&mut vehicle, 240.0, &mut now);
        let distance = vehicle.distance_m(Target {
            lat_deg: 9.005,
            lon_deg: 31.0,
            alt_rel_m: 100.0,
        });
        assert!(
            (distance - PLANE_LOITER_RADIUS_M).abs() < 25.0,
            "loitering at {distance} m"
        );
        let speed = vehicle.vel_ned_mps[0].hypot(vehicle.vel_ned_mps[1]);
        assert!((speed - PLANE_CRUISE_MPS).abs() < 1e-9);
    }
}
