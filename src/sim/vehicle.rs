//! A simulated ArduCopter as a ground station sees it: HEARTBEAT with ArduPilot's custom modes,
//! the telemetry streams, COMMAND_LONG/INT answered with COMMAND_ACK, the mission and parameter
//! protocols, and kinematics with speed and climb limits. Time is passed in.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::protocol::{MavMessage, deg_from_e7, e7_from_deg, mav, text_from_chars};
use crate::time::TimeUs;

/// ArduCopter mode numbers used by the simulation.
mod mode {
    pub const STABILIZE: u32 = 0;
    pub const GUIDED: u32 = 4;
    pub const LOITER: u32 = 5;
    pub const RTL: u32 = 6;
    pub const LAND: u32 = 9;
    pub const KNOWN: &[u32] = &[0, 1, 2, 3, 4, 5, 6, 7, 9, 16, 17, 21];
}

const METRES_PER_DEG_LAT: f64 = 111_320.0;
const HORIZONTAL_SPEED_MPS: f64 = 8.0;
const CLIMB_RATE_MPS: f64 = 2.5;
const LAND_RATE_MPS: f64 = 1.0;
/// Battery drain per second while armed, in percent.
const DRAIN_PCT_PER_S: f64 = 0.05;

/// How a simulated vehicle starts.
#[derive(Debug, Clone)]
pub struct SimVehicleConfig {
    pub sysid: u8,
    pub compid: u8,
    pub home_lat_deg: f64,
    pub home_lon_deg: f64,
    pub home_alt_msl_m: f64,
    pub battery_pct: f64,
}

impl Default for SimVehicleConfig {
    fn default() -> Self {
        Self {
            sysid: 1,
            compid: 1,
            home_lat_deg: 9.0,
            home_lon_deg: 31.0,
            home_alt_msl_m: 420.0,
            battery_pct: 100.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Target {
    lat_deg: f64,
    lon_deg: f64,
    alt_rel_m: f64,
}

/// A mission upload in progress, from the vehicle's side.
#[derive(Debug, Clone)]
struct Upload {
    count: u16,
    items: Vec<mav::MISSION_ITEM_INT_DATA>,
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
    target: Option<Target>,
    mission: Vec<mav::MISSION_ITEM_INT_DATA>,
    upload: Option<Upload>,
    params: BTreeMap<String, (f32, mav::MavParamType)>,
    /// Test hook: when true the vehicle ignores commands (to exercise timeouts).
    pub ignore_commands: bool,
    pub roi: Option<(f64, f64)>,
}

/// The parameters of a small ArduCopter, with their types.
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
        ("RTL_ALT", 3000.0, MAV_PARAM_TYPE_INT16),
        ("SYSID_MYGCS", 255.0, MAV_PARAM_TYPE_INT16),
        ("SYSID_THISMAV", 1.0, MAV_PARAM_TYPE_INT16),
        ("WPNAV_SPEED", 800.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_UP", 250.0, MAV_PARAM_TYPE_REAL32),
        ("WPNAV_SPEED_DN", 150.0, MAV_PARAM_TYPE_REAL32),
        ("WP_YAW_BEHAVIOR", 2.0, MAV_PARAM_TYPE_INT8),
    ]
};

fn ack(command: mav::MavCmd, result: mav::MavResult) -> MavMessage {
    MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA { command, result })
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
        Self {
            armed: false,
            custom_mode: mode::STABILIZE,
            lat_deg: config.home_lat_deg,
            lon_deg: config.home_lon_deg,
            alt_rel_m: 0.0,
            vel_ned_mps: [0.0; 3],
            yaw_rad: 0.0,
            battery_pct: config.battery_pct,
            target: None,
            mission: Vec::new(),
            upload: None,
            params,
            ignore_commands: false,
            roi: None,
            config,
        }
    }

    fn flying(&self) -> bool {
        self.alt_rel_m > 0.3
    }

    fn addressed(&self, target_system: u8) -> bool {
        target_system == 0 || target_system == self.config.sysid
    }

    /// Answers one message from a ground station.
    pub fn handle(&mut self, message: &MavMessage) -> Vec<MavMessage> {
        match message {
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
                    self.mission.clear();
                    return vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED)];
                }
                self.upload = Some(Upload {
                    count: c.count,
                    items: Vec::new(),
                });
                vec![Self::request_item(0)]
            }
            MavMessage::MISSION_ITEM_INT(item) if self.addressed(item.target_system) => {
                self.on_item(item)
            }
            MavMessage::MISSION_REQUEST_LIST(r) if self.addressed(r.target_system) => {
                vec![MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
                    count: self.mission.len() as u16,
                    target_system: 255,
                    target_component: 190,
                })]
            }
            MavMessage::MISSION_REQUEST_INT(r) if self.addressed(r.target_system) => self
                .mission
                .get(usize::from(r.seq))
                .map(|item| {
                    let mut item = item.clone();
                    item.target_system = 255;
                    item.target_component = 190;
                    vec![MavMessage::MISSION_ITEM_INT(item)]
                })
                .unwrap_or_default(),
            MavMessage::MISSION_CLEAR_ALL(c) if self.addressed(c.target_system) => {
                self.mission.clear();
                vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED)]
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

    fn request_item(seq: u16) -> MavMessage {
        MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA {
            seq,
            target_system: 255,
            target_component: 190,
        })
    }

    fn mission_ack(&self, result: mav::MavMissionResult) -> MavMessage {
        MavMessage::MISSION_ACK(mav::MISSION_ACK_DATA {
            target_system: 255,
            target_component: 190,
            mavtype: result,
        })
    }

    fn on_item(&mut self, item: &mav::MISSION_ITEM_INT_DATA) -> Vec<MavMessage> {
        let Some(upload) = &mut self.upload else {
            return Vec::new();
        };
        if usize::from(item.seq) != upload.items.len() {
            return vec![Self::request_item(upload.items.len() as u16)];
        }
        upload.items.push(item.clone());
        if upload.items.len() < usize::from(upload.count) {
            let next = upload.items.len() as u16;
            return vec![Self::request_item(next)];
        }
        if let Some(upload) = self.upload.take() {
            self.mission = upload.items;
        }
        vec![self.mission_ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED)]
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
                if self.battery_pct < 20.0
                    && self.params.get("ARMING_CHECK").is_some_and(|v| v.0 != 0.0)
                {
                    MAV_RESULT_FAILED
                } else {
                    self.armed = true;
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_COMPONENT_ARM_DISARM => {
                if self.flying() && p[1] != 21196.0 {
                    MAV_RESULT_FAILED
                } else {
                    self.armed = false;
                    MAV_RESULT_ACCEPTED
                }
            }
            MAV_CMD_DO_SET_MODE => {
                let custom_mode = p[1] as u32;
                if mode::KNOWN.contains(&custom_mode) {
                    self.set_mode(custom_mode);
                    MAV_RESULT_ACCEPTED
                } else {
                    MAV_RESULT_FAILED
                }
            }
            MAV_CMD_NAV_TAKEOFF => {
                if !self.armed || self.custom_mode != mode::GUIDED || self.flying() {
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
                self.set_mode(mode::LAND);
                MAV_RESULT_ACCEPTED
            }
            MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                self.set_mode(mode::RTL);
                MAV_RESULT_ACCEPTED
            }
            MAV_CMD_DO_REPOSITION | MAV_CMD_DO_ORBIT => match position {
                Some((lat_deg, lon_deg, alt_rel_m)) if self.armed && self.flying() => {
                    self.custom_mode = mode::GUIDED;
                    self.target = Some(Target {
                        lat_deg,
                        lon_deg,
                        alt_rel_m,
                    });
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
            _ => MAV_RESULT_UNSUPPORTED,
        };
        ack(command, result)
    }

    fn set_mode(&mut self, custom_mode: u32) {
        self.custom_mode = custom_mode;
        match custom_mode {
            mode::RTL => {
                let alt_rel_m = self.alt_rel_m.max(15.0);
                self.target = Some(Target {
                    lat_deg: self.config.home_lat_deg,
                    lon_deg: self.config.home_lon_deg,
                    alt_rel_m,
                });
            }
            mode::LOITER | mode::GUIDED => {
                self.target = Some(Target {
                    lat_deg: self.lat_deg,
                    lon_deg: self.lon_deg,
                    alt_rel_m: self.alt_rel_m,
                });
            }
            _ => {}
        }
    }

    /// Advances the kinematics by `dt`.
    pub fn step(&mut self, dt: Duration) {
        let dt_s = dt.as_secs_f64();
        if self.armed {
            self.battery_pct = (self.battery_pct - DRAIN_PCT_PER_S * dt_s).max(0.0);
        }
        let descending = matches!(self.custom_mode, mode::LAND)
            || (self.custom_mode == mode::RTL
                && self.target.is_some_and(|t| self.distance_m(t) < 1.0));
        let mut vel = [0.0; 3];
        if descending {
            vel[2] = LAND_RATE_MPS.min(self.alt_rel_m / dt_s.max(1e-6));
            if self.alt_rel_m <= 0.05 {
                self.alt_rel_m = 0.0;
                self.armed = false;
                self.target = None;
                vel[2] = 0.0;
            }
        } else if let (true, Some(target)) = (self.armed, self.target) {
            let (north_m, east_m) = self.offset_m(target);
            let horizontal_m = north_m.hypot(east_m);
            if horizontal_m > 0.01 {
                let speed = HORIZONTAL_SPEED_MPS.min(horizontal_m / dt_s.max(1e-6));
                vel[0] = north_m / horizontal_m * speed;
                vel[1] = east_m / horizontal_m * speed;
                self.yaw_rad = east_m.atan2(north_m);
            }
            let up_m = target.alt_rel_m - self.alt_rel_m;
            vel[2] = -up_m.clamp(-CLIMB_RATE_MPS * dt_s, CLIMB_RATE_MPS * dt_s) / dt_s.max(1e-6);
        }
        self.lat_deg += vel[0] * dt_s / METRES_PER_DEG_LAT;
        self.lon_deg += vel[1] * dt_s / (METRES_PER_DEG_LAT * self.lat_deg.to_radians().cos());
        self.alt_rel_m = (self.alt_rel_m - vel[2] * dt_s).max(0.0);
        self.vel_ned_mps = vel;
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

    /// The once-a-second messages: HEARTBEAT, SYS_STATUS, GPS_RAW_INT, HOME_POSITION.
    pub fn slow_telemetry(&self, now: TimeUs) -> Vec<MavMessage> {
        let mut base_mode = mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED;
        if self.armed {
            base_mode |= mav::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED;
        }
        vec![
            MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
                custom_mode: self.custom_mode,
                mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
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
                voltage_battery: (14_000.0 + 2_800.0 * self.battery_pct / 100.0) as u16,
                current_battery: if self.armed { 1_250 } else { 50 },
                battery_remaining: self.battery_pct.round() as i8,
                ..Default::default()
            }),
            MavMessage::GPS_RAW_INT(mav::GPS_RAW_INT_DATA {
                time_usec: now.0,
                lat: e7_from_deg(self.lat_deg),
                lon: e7_from_deg(self.lon_deg),
                alt: ((self.config.home_alt_msl_m + self.alt_rel_m) * 1000.0) as i32,
                eph: 80,
                epv: 120,
                vel: (self.vel_ned_mps[0].hypot(self.vel_ned_mps[1]) * 100.0) as u16,
                cog: 0,
                fix_type: mav::GpsFixType::GPS_FIX_TYPE_3D_FIX,
                satellites_visible: 14,
            }),
            MavMessage::HOME_POSITION(mav::HOME_POSITION_DATA {
                latitude: e7_from_deg(self.config.home_lat_deg),
                longitude: e7_from_deg(self.config.home_lon_deg),
                altitude: (self.config.home_alt_msl_m * 1000.0) as i32,
                q: [1.0, 0.0, 0.0, 0.0],
                ..Default::default()
            }),
        ]
    }

    /// The fast messages (several per second): GLOBAL_POSITION_INT, ATTITUDE, VFR_HUD.
    pub fn fast_telemetry(&self, time_boot_ms: u32) -> Vec<MavMessage> {
        let ground_speed = self.vel_ned_mps[0].hypot(self.vel_ned_mps[1]);
        let heading_deg = self.yaw_rad.to_degrees().rem_euclid(360.0);
        vec![
            MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
                time_boot_ms,
                lat: e7_from_deg(self.lat_deg),
                lon: e7_from_deg(self.lon_deg),
                alt: ((self.config.home_alt_msl_m + self.alt_rel_m) * 1000.0) as i32,
                relative_alt: (self.alt_rel_m * 1000.0) as i32,
                vx: (self.vel_ned_mps[0] * 100.0) as i16,
                vy: (self.vel_ned_mps[1] * 100.0) as i16,
                vz: (self.vel_ned_mps[2] * 100.0) as i16,
                hdg: (heading_deg * 100.0) as u16,
            }),
            MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
                time_boot_ms,
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

    #[test]
    fn takeoff_needs_guided_and_armed_then_climbs_at_the_climb_rate() {
        let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
        let takeoff = command_long(
            mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0],
        );
        assert_eq!(
            result_of(&vehicle.handle(&takeoff)),
            mav::MavResult::MAV_RESULT_FAILED
        );
        vehicle.handle(&command_long(
            mav::MavCmd::MAV_CMD_DO_SET_MODE,
            [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ));
        vehicle.handle(&command_long(
            mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ));
        assert_eq!(
            result_of(&vehicle.handle(&takeoff)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        for _ in 0..40 {
            vehicle.step(Duration::from_millis(100));
        }
        assert!(
            (vehicle.alt_rel_m - 10.0).abs() < 1e-6,
            "after 4 s at 2.5 m/s: {}",
            vehicle.alt_rel_m
        );
        for _ in 0..100 {
            vehicle.step(Duration::from_millis(100));
        }
        assert!((vehicle.alt_rel_m - 20.0).abs() < 1e-6);
        let disarm = command_long(mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]);
        assert_eq!(
            result_of(&vehicle.handle(&disarm)),
            mav::MavResult::MAV_RESULT_FAILED,
            "no disarm in flight"
        );
    }
}
