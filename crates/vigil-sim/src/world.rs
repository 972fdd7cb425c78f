//! The simulated world: drones, sensor nodes and movers stepped together on the simulated
//! clock, deterministic for a given scenario and seed. `step` advances it by [`STEP`] and says
//! what every simulated system sends; `handle` gives it what a ground station sent; `truth`
//! says where every mover really is and whether anything was watching it.

// Long: the simulated world's step (drones, cameras, sensor nodes, movers and their detections on one clock), and tests that carry their scenario files inline.

use std::time::Duration;

use super::flat::FlatFrame;
use super::movers::Mover;
use super::scenario::{CameraSpec, MoverKind, Night, Scenario};
use super::sensors::SensorNode;
use super::vehicle::{SimVehicle, SimVehicleConfig, msg};
use vigil_core::geodesy::point_in_ring;
use vigil_core::rng::Rng;
use vigil_core::time::TimeUs;
use vigil_protocol::{MavMessage, e7_from_deg, mav};

/// The simulation's time step.
pub const STEP: Duration = Duration::from_millis(100);
const STEPS_PER_SECOND: u64 = 10;
/// Steps between sensor status reports (5 s).
const STATUS_EVERY: u64 = 50;
/// MAV_COMP_ID_CAMERA: drones' detections come from their camera component.
pub const CAMERA_COMPID: u8 = 100;
/// MAV_COMP_ID_GIMBAL: the camera's gimbal reports its attitude.
pub const GIMBAL_COMPID: u8 = 154;
/// Camera false alarms per second of looking.
const CAMERA_FALSE_ALARMS_PER_S: f64 = 0.01;
/// The camera sees this fraction of what it sees by day at night.
const NIGHT_FACTOR: f64 = 0.45;

/// A message from one simulated system.
#[derive(Debug, Clone, PartialEq)]
pub struct Emission {
    pub sysid: u8,
    pub compid: u8,
    pub message: MavMessage,
}

/// A drone and its camera.
#[derive(Debug, Clone)]
pub struct Drone {
    pub vehicle: SimVehicle,
    pub camera: Option<CameraSpec>,
    /// Where the camera's view meets the ground, corners in east/north metres.
    pub footprint_en_m: Option<[[f64; 2]; 4]>,
    detection_id: u32,
    rng: Rng,
}

/// One row of the ground truth.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthRow {
    pub time: TimeUs,
    pub id: String,
    pub kind: MoverKind,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Held by a sensor's range or a camera's footprint at that moment.
    pub covered: bool,
    pub armed: bool,
}

/// Everything the simulator simulates.
#[derive(Debug, Clone)]
pub struct SimWorld {
    pub start: TimeUs,
    pub now: TimeUs,
    pub frame: FlatFrame,
    pub drones: Vec<Drone>,
    pub sensors: Vec<SensorNode>,
    pub movers: Vec<Mover>,
    night: Option<Night>,
    steps: u64,
}

impl SimWorld {
    /// The world of a scenario, its randomness fixed by `seed`.
    pub fn from_scenario(scenario: &Scenario, seed: u64) -> Self {
        let origin = scenario.origin();
        let frame = FlatFrame::new(origin.lat_deg, origin.lon_deg);
        let mut rng = Rng::new(seed);
        let drones = scenario
            .drones
            .iter()
            .map(|spec| Drone {
                vehicle: SimVehicle::new(SimVehicleConfig {
                    sysid: spec.sysid,
                    compid: 1,
                    kind: spec.kind,
                    home_lat_deg: spec.home.lat_deg,
                    home_lon_deg: spec.home.lon_deg,
                    home_alt_msl_m: spec.home.alt_msl_m,
                    battery_pct: spec.battery_pct,
                    endurance_min: spec.endurance_min,
                    wind_ne_mps: wind_ne_mps(&scenario.wind),
                    prearm_delay_s: spec.prearm_delay_s,
                }),
                camera: spec.camera,
                footprint_en_m: None,
                detection_id: 0,
                rng: rng.fork(u64::from(spec.sysid)),
            })
            .collect();
        let sensors = scenario
            .sensors
            .iter()
            .map(|spec| SensorNode::new(spec, &frame, rng.fork(1000 + u64::from(spec.sysid))))
            .collect();
        let mut movers_rng = rng.fork(0x4d4f_5645);
        let movers = scenario
            .movers
            .iter()
            .flat_map(|spec| Mover::from_spec(spec, &frame, &mut movers_rng))
            .collect();
        let start = scenario.start_time();
        Self {
            start,
            now: start,
            frame,
            drones,
            sensors,
            movers,
            night: scenario.scenario.night,
            steps: 0,
        }
    }

    /// A world of one vehicle and nothing else, starting at `start` (for tests and for serving
    /// a single simulated drone).
    pub fn single(vehicle: SimVehicle, start: TimeUs) -> Self {
        let frame = FlatFrame::new(vehicle.config.home_lat_deg, vehicle.config.home_lon_deg);
        let rng = Rng::new(u64::from(vehicle.config.sysid));
        let drone = Drone {
            vehicle,
            camera: None,
            footprint_en_m: None,
            detection_id: 0,
            rng,
        };
        Self {
            start,
            now: start,
            frame,
            drones: vec![drone],
            sensors: Vec::new(),
            movers: Vec::new(),
            night: None,
            steps: 0,
        }
    }

    pub fn elapsed_s(&self) -> f64 {
        self.now.since(self.start).as_secs_f64()
    }

    fn time_boot_ms(&self) -> u32 {
        u32::try_from(self.now.since(self.start).as_millis()).unwrap_or(u32::MAX)
    }

    /// Whether it is night at the simulated time.
    pub fn is_night(&self) -> bool {
        let Some(night) = self.night else {
            return false;
        };
        let hour = (self.now.as_secs_f64() / 3600.0).rem_euclid(24.0);
        if night.from_utc_hour <= night.to_utc_hour {
            (night.from_utc_hour..night.to_utc_hour).contains(&hour)
        } else {
            hour >= night.from_utc_hour || hour < night.to_utc_hour
        }
    }

    /// Gives the world a message from a ground station (system `from.0`, component `from.1`);
    /// returns the answers.
    pub fn handle(&mut self, message: &MavMessage, from: (u8, u8)) -> Vec<Emission> {
        self.handle_for(message, from, |_| true)
    }

    /// As [`Self::handle`], for the drones whose system id `admit` accepts (the others do not
    /// hear the message: they refused its signature).
    pub fn handle_for(
        &mut self,
        message: &MavMessage,
        from: (u8, u8),
        admit: impl Fn(u8) -> bool,
    ) -> Vec<Emission> {
        let mut out = Vec::new();
        for drone in &mut self.drones {
            let (sysid, compid) = (drone.vehicle.config.sysid, drone.vehicle.config.compid);
            if !admit(sysid) {
                continue;
            }
            out.extend(
                drone
                    .vehicle
                    .handle(message, from)
                    .into_iter()
                    .map(|message| Emission {
                        sysid,
                        compid,
                        message,
                    }),
            );
        }
        out
    }

    /// Advances the world by one [`STEP`]; returns what every system sends during it.
    pub fn step(&mut self) -> Vec<Emission> {
        self.steps += 1;
        self.now = self.now.plus(STEP);
        let dt_s = STEP.as_secs_f64();
        let elapsed_s = self.elapsed_s();
        for mover in &mut self.movers {
            mover.step(elapsed_s, dt_s);
        }
        let mut out = Vec::new();
        let (now, time_boot_ms, steps) = (self.now, self.time_boot_ms(), self.steps);
        let every_second = steps % STEPS_PER_SECOND == 0;
        let night = self.is_night();
        for drone in &mut self.drones {
            drone.vehicle.step(STEP, now);
            let (sysid, compid) = (drone.vehicle.config.sysid, drone.vehicle.config.compid);
            let mut send = |compid: u8, messages: Vec<MavMessage>| {
                out.extend(messages.into_iter().map(|message| Emission {
                    sysid,
                    compid,
                    message,
                }));
            };
            send(compid, drone.vehicle.take_events());
            // As ArduPilot: a heartbeat a second, and telemetry only as a ground station asked
            // (SET_MESSAGE_INTERVAL, REQUEST_DATA_STREAM, REQUEST_MESSAGE).
            if every_second {
                send(compid, vec![drone.vehicle.heartbeat()]);
            }
            let due = drone.vehicle.due_messages(now);
            let own = due
                .iter()
                .filter_map(|id| drone.vehicle.message(*id, now, time_boot_ms))
                .collect();
            send(compid, own);
            drone.footprint_en_m = drone
                .camera
                .and_then(|camera| footprint(&drone.vehicle, &camera, &self.frame));
            if let Some(camera) = drone.camera {
                // Vigil's camera detections are not ArduPilot's: sent unasked.
                if every_second {
                    let detections = drone.look(&camera, &self.movers, &self.frame, now, night);
                    send(CAMERA_COMPID, detections);
                }
                if due.contains(&msg::CAMERA_FOV_STATUS) {
                    send(
                        CAMERA_COMPID,
                        vec![camera_fov_status(drone, &camera, &self.frame, time_boot_ms)],
                    );
                }
                if due.contains(&msg::GIMBAL_DEVICE_ATTITUDE_STATUS) {
                    send(
                        GIMBAL_COMPID,
                        vec![gimbal_status(
                            &drone.vehicle,
                            &camera,
                            &self.frame,
                            time_boot_ms,
                        )],
                    );
                }
            }
        }
        for node in &mut self.sensors {
            let (sysid, compid) = (node.spec.sysid, node.spec.compid);
            let mut messages = Vec::new();
            if every_second {
                messages.push(SensorNode::heartbeat());
            }
            let report_every =
                ((node.spec.report_period_s * STEPS_PER_SECOND as f64).round() as u64).max(1);
            if steps % report_every == 0 {
                messages.extend(node.report(now, &self.movers));
            }
            if steps % STATUS_EVERY == 0 {
                messages.push(node.status(now, &self.frame, STATUS_EVERY as f64 * dt_s));
            }
            out.extend(messages.into_iter().map(|message| Emission {
                sysid,
                compid,
                message,
            }));
        }
        out
    }

    /// Where every mover present is, and whether a sensor or a camera held it.
    pub fn truth(&self) -> Vec<TruthRow> {
        self.movers
            .iter()
            .filter(|m| m.active)
            .map(|mover| {
                let (lat_deg, lon_deg) = self.frame.to_lat_lon_deg(mover.pos_en_m);
                let covered = self.sensors.iter().any(|s| s.covers(mover))
                    || self
                        .drones
                        .iter()
                        .filter_map(|d| d.footprint_en_m)
                        .any(|quad| point_in_ring(&quad, mover.pos_en_m));
                TruthRow {
                    time: self.now,
                    id: mover.id.clone(),
                    kind: mover.kind,
                    lat_deg,
                    lon_deg,
                    covered,
                    armed: mover.armed,
                }
            })
            .collect()
    }
}

impl Drone {
    /// What the camera detects this second: movers in the footprint, with a probability that
    /// falls with range and at night, position noise growing with range, and false alarms.
    fn look(
        &mut self,
        camera: &CameraSpec,
        movers: &[Mover],
        frame: &FlatFrame,
        now: TimeUs,
        night: bool,
    ) -> Vec<MavMessage> {
        let Some(quad) = self.footprint_en_m else {
            return Vec::new();
        };
        let drone_en = frame.to_en_m(self.vehicle.lat_deg, self.vehicle.lon_deg);
        let alt_m = self.vehicle.alt_rel_m;
        let mut out = Vec::new();
        for mover in movers
            .iter()
            .filter(|m| m.active && point_in_ring(&quad, m.pos_en_m))
        {
            let ground_m = super::flat::distance_m(drone_en, mover.pos_en_m);
            let slant_m = ground_m.hypot(alt_m);
            if slant_m > camera.range_m {
                continue;
            }
            let base = match mover.kind {
                MoverKind::Person => 0.85,
                MoverKind::Vehicle => 0.95,
                MoverKind::Animal => 0.6,
            };
            let pd = base
                * (1.0 - 0.5 * slant_m / camera.range_m)
                * if night { NIGHT_FACTOR } else { 1.0 };
            if !self.rng.chance(pd) {
                continue;
            }
            let std_m = 1.5 + 0.01 * slant_m;
            let noisy = [
                mover.pos_en_m[0] + self.rng.normal() * std_m,
                mover.pos_en_m[1] + self.rng.normal() * std_m,
            ];
            let class = match mover.kind {
                MoverKind::Person => mav::VigilClassHint::VIGIL_CLASS_PERSON,
                MoverKind::Vehicle => mav::VigilClassHint::VIGIL_CLASS_VEHICLE,
                MoverKind::Animal => mav::VigilClassHint::VIGIL_CLASS_ANIMAL,
            };
            out.push(self.detection(now, frame, noisy, std_m, class, (pd * 100.0) as u8));
        }
        for _ in 0..self.rng.poisson(CAMERA_FALSE_ALARMS_PER_S) {
            let (a, b) = (self.rng.uniform(), self.rng.uniform());
            let near = lerp(quad[0], quad[1], a);
            let far = lerp(quad[3], quad[2], a);
            out.push(self.detection(
                now,
                frame,
                lerp(near, far, b),
                5.0,
                mav::VigilClassHint::VIGIL_CLASS_UNKNOWN,
                30,
            ));
        }
        out
    }

    fn detection(
        &mut self,
        now: TimeUs,
        frame: &FlatFrame,
        en_m: [f64; 2],
        std_m: f64,
        class_hint: mav::VigilClassHint,
        confidence: u8,
    ) -> MavMessage {
        let (lat_deg, lon_deg) = frame.to_lat_lon_deg(en_m);
        let id = self.detection_id;
        self.detection_id = self.detection_id.wrapping_add(1);
        MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
            time_usec: now.0,
            detection_id: id,
            sensor_kind: mav::VigilSensorKind::VIGIL_SENSOR_KIND_CAMERA,
            measurement_kind: mav::VigilMeasurementKind::VIGIL_MEASUREMENT_POSITION,
            zone_id: 0,
            range_m: f32::NAN,
            range_std_m: f32::NAN,
            bearing_deg: f32::NAN,
            bearing_std_deg: f32::NAN,
            lat: e7_from_deg(lat_deg),
            lon: e7_from_deg(lon_deg),
            horiz_std_m: std_m as f32,
            confidence,
            class_hint,
            count: 1,
        })
    }
}

/// Where the air moves to, north and east: wind "from" 60 degrees blows towards 240.
fn wind_ne_mps(wind: &super::scenario::Wind) -> [f64; 2] {
    let towards = (wind.from_deg + 180.0).to_radians();
    [
        wind.speed_mps * towards.cos(),
        wind.speed_mps * towards.sin(),
    ]
}

fn lerp(a: [f64; 2], b: [f64; 2], t: f64) -> [f64; 2] {
    [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]
}

/// Where the camera looks: at the region of interest if one is set, else ahead at the mount's
/// pitch. Returns azimuth (clockwise from north) and elevation (negative below the horizon).
fn camera_pointing(vehicle: &SimVehicle, camera: &CameraSpec, frame: &FlatFrame) -> (f64, f64) {
    if let Some((lat, lon)) = vehicle.roi {
        let from = frame.to_en_m(vehicle.lat_deg, vehicle.lon_deg);
        let to = frame.to_en_m(lat, lon);
        let ground_m = super::flat::distance_m(from, to).max(1.0);
        let elevation = -(vehicle.alt_rel_m.max(1.0) / ground_m).atan();
        return (
            super::flat::bearing_rad(from, to),
            elevation.max(-std::f64::consts::FRAC_PI_2),
        );
    }
    (vehicle.yaw_rad, camera.pitch_deg.to_radians())
}

/// The four corners where the camera's view meets flat ground at home altitude: near left,
/// near right, far right, far left. Each corner's ray is the camera's forward vector tilted by
/// half the field of view along its right and up vectors; rays that do not reach the ground
/// within `range_m` (a slant range) are cut there, the corner on the ground below the cut.
/// `None` when the drone is on the ground.
fn footprint(
    vehicle: &SimVehicle,
    camera: &CameraSpec,
    frame: &FlatFrame,
) -> Option<[[f64; 2]; 4]> {
    if vehicle.alt_rel_m < 5.0 {
        return None;
    }
    let (azimuth, elevation) = camera_pointing(vehicle, camera, frame);
    let forward = [
        azimuth.sin() * elevation.cos(),
        azimuth.cos() * elevation.cos(),
        elevation.sin(),
    ];
    let right = [azimuth.cos(), -azimuth.sin(), 0.0];
    // up = right x forward
    let up = [
        right[1] * forward[2] - right[2] * forward[1],
        right[2] * forward[0] - right[0] * forward[2],
        right[0] * forward[1] - right[1] * forward[0],
    ];
    let (tan_h, tan_v) = (
        (camera.hfov_deg.to_radians() / 2.0).tan(),
        (camera.vfov_deg.to_radians() / 2.0).tan(),
    );
    let origin = frame.to_en_m(vehicle.lat_deg, vehicle.lon_deg);
    let alt_m = vehicle.alt_rel_m;
    let corner = |sx: f64, sy: f64| {
        let ray: Vec<f64> = (0..3)
            .map(|i| forward[i] + sx * tan_h * right[i] + sy * tan_v * up[i])
            .collect();
        let horizontal = ray[0].hypot(ray[1]);
        let ground_m = if ray[2] < -1e-9 {
            alt_m * horizontal / -ray[2]
        } else {
            f64::INFINITY
        };
        // The camera's range is a slant range along the ray: cut there, the corner is on the
        // ground below the cut point.
        let length = (horizontal * horizontal + ray[2] * ray[2]).sqrt();
        let reach_m = ground_m.min(camera.range_m * horizontal / length);
        if horizontal < 1e-12 {
            return origin;
        }
        [
            origin[0] + ray[0] / horizontal * reach_m,
            origin[1] + ray[1] / horizontal * reach_m,
        ]
    };
    Some([
        corner(-1.0, -1.0),
        corner(1.0, -1.0),
        corner(1.0, 1.0),
        corner(-1.0, 1.0),
    ])
}

/// The camera's orientation as a quaternion (w, x, y, z) in the NED frame: yaw from the
/// azimuth, pitch from the elevation, no roll.
fn camera_quaternion(azimuth_rad: f64, elevation_rad: f64) -> [f32; 4] {
    let (cy, sy) = ((azimuth_rad / 2.0).cos(), (azimuth_rad / 2.0).sin());
    let (cp, sp) = ((elevation_rad / 2.0).cos(), (elevation_rad / 2.0).sin());
    [
        (cy * cp) as f32,
        (-sy * sp) as f32,
        (cy * sp) as f32,
        (sy * cp) as f32,
    ]
}

/// GIMBAL_DEVICE_ATTITUDE_STATUS with the yaw in the earth frame.
fn gimbal_status(
    vehicle: &SimVehicle,
    camera: &CameraSpec,
    frame: &FlatFrame,
    time_boot_ms: u32,
) -> MavMessage {
    let (azimuth, elevation) = camera_pointing(vehicle, camera, frame);
    MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(mav::GIMBAL_DEVICE_ATTITUDE_STATUS_DATA {
        time_boot_ms,
        q: camera_quaternion(azimuth, elevation),
        angular_velocity_x: f32::NAN,
        angular_velocity_y: f32::NAN,
        angular_velocity_z: f32::NAN,
        failure_flags: mav::GimbalDeviceErrorFlags::empty(),
        flags: mav::GimbalDeviceFlags::GIMBAL_DEVICE_FLAGS_YAW_IN_EARTH_FRAME,
        target_system: 0,
        target_component: 0,
        ..Default::default()
    })
}

fn camera_fov_status(
    drone: &Drone,
    camera: &CameraSpec,
    frame: &FlatFrame,
    time_boot_ms: u32,
) -> MavMessage {
    let vehicle = &drone.vehicle;
    let centre = drone
        .footprint_en_m
        .map(|q| frame.to_lat_lon_deg(lerp(lerp(q[0], q[1], 0.5), lerp(q[3], q[2], 0.5), 0.5)));
    let (azimuth, elevation) = camera_pointing(vehicle, camera, frame);
    MavMessage::CAMERA_FOV_STATUS(mav::CAMERA_FOV_STATUS_DATA {
        time_boot_ms,
        lat_camera: e7_from_deg(vehicle.lat_deg),
        lon_camera: e7_from_deg(vehicle.lon_deg),
        alt_camera: ((vehicle.config.home_alt_msl_m + vehicle.alt_rel_m) * 1000.0) as i32,
        lat_image: centre.map_or(i32::MAX, |(lat, _)| e7_from_deg(lat)),
        lon_image: centre.map_or(i32::MAX, |(_, lon)| e7_from_deg(lon)),
        alt_image: (vehicle.config.home_alt_msl_m * 1000.0) as i32,
        q: camera_quaternion(azimuth, elevation),
        hfov: camera.hfov_deg as f32,
        vfov: camera.vfov_deg as f32,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const SCENARIO: &str = r#"
[scenario]
name = "unit"
start_utc = "2026-03-14T12:00:00Z"

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 9.0, lon_deg = 31.0, alt_msl_m = 420.0 }
camera = { hfov_deg = 60.0, vfov_deg = 45.0, pitch_deg = -90.0, range_m = 500.0 }

[[sensor]]
sysid = 101
kind = "radar"
position = { lat_deg = 9.0, lon_deg = 31.001 }
radius_m = 300.0
pd = 1.0
report_period_s = 1.0

[[sensor]]
sysid = 102
kind = "seismic"
position = { lat_deg = 9.003, lon_deg = 31.0 }
radius_m = 30.0
pd = 1.0

[[mover]]
id = "walker"
kind = "person"
speed_mps = 1.5
route = [{ lat_deg = 9.0005, lon_deg = 31.0 }, { lat_deg = 9.0030, lon_deg = 31.0 }]
"#;

    const GCS: (u8, u8) = (255, 190);

    fn set_interval(id: u32, interval_us: f32) -> MavMessage {
        MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
            param1: id as f32,
            param2: interval_us,
            command: mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            target_system: 1,
            target_component: 1,
            ..Default::default()
        })
    }

    fn ack_result(answers: &[Emission]) -> mav::MavResult {
        match answers {
            [
                Emission {
                    message: MavMessage::COMMAND_ACK(ack),
                    ..
                },
            ] => ack.result,
            other => panic!("{other:?}"),
        }
    }

    /// How many of each message drone 1 sent.
    fn census(emissions: &[Emission]) -> std::collections::BTreeMap<&'static str, usize> {
        let mut counts = std::collections::BTreeMap::new();
        for e in emissions.iter().filter(|e| e.sysid == 1) {
            *counts
                .entry(mavlink_core::Message::message_name(&e.message))
                .or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn a_drone_sends_only_heartbeats_and_texts_until_asked_then_at_the_asked_rate() {
        let mut world = world(1);
        let quiet = census(&run(&mut world, 10));
        let unasked: Vec<_> = quiet.keys().copied().collect();
        assert_eq!(
            unasked,
            [
                "HEARTBEAT",
                "HOME_POSITION",
                "STATUSTEXT",
                "VIGIL_DETECTION"
            ]
            .into_iter()
            .filter(|name| quiet.contains_key(name))
            .collect::<Vec<_>>()
        );
        assert!(
            !quiet.contains_key("GLOBAL_POSITION_INT") && !quiet.contains_key("SYS_STATUS"),
            "{quiet:?}"
        );
        assert_eq!(quiet["HEARTBEAT"], 10);
        assert_eq!(quiet["HOME_POSITION"], 1, "once, when home is set");

        assert_eq!(
            ack_result(&world.handle(&set_interval(msg::GLOBAL_POSITION_INT, 200_000.0), GCS)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        let asked = census(&run(&mut world, 10));
        assert_eq!(asked["GLOBAL_POSITION_INT"], 50, "5 Hz");
        assert!(!asked.contains_key("ATTITUDE"));
        // 0 is the default rate, which is that of its stream: zero until one is asked.
        world.handle(&set_interval(msg::GLOBAL_POSITION_INT, 0.0), GCS);
        assert!(!census(&run(&mut world, 3)).contains_key("GLOBAL_POSITION_INT"));
        world.handle(&set_interval(msg::ATTITUDE, 100_000.0), GCS);
        world.handle(&set_interval(msg::ATTITUDE, -1.0), GCS);
        assert!(!census(&run(&mut world, 3)).contains_key("ATTITUDE"));
        // A message the vehicle has not got: DENIED, and ArduPilot's text.
        assert_eq!(
            ack_result(&world.handle(&set_interval(158, 1_000_000.0), GCS)),
            mav::MavResult::MAV_RESULT_DENIED
        );
        let texts: Vec<String> = run(&mut world, 1)
            .into_iter()
            .filter_map(|e| match e.message {
                MavMessage::STATUSTEXT(t) => Some(t.text.to_str().unwrap_or("").to_owned()),
                _ => None,
            })
            .collect();
        assert_eq!(texts, ["No ap_message for mavlink id (158)"]);
        // The gimbal's attitude is in EXTRA3 and comes from the gimbal.
        world.handle(
            &set_interval(msg::GIMBAL_DEVICE_ATTITUDE_STATUS, 500_000.0),
            GCS,
        );
        let gimbal = run(&mut world, 2);
        assert_eq!(
            gimbal
                .iter()
                .filter(|e| e.compid == GIMBAL_COMPID
                    && matches!(e.message, MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(_)))
                .count(),
            4
        );
    }

    #[test]
    #[allow(deprecated, reason = "ArduPilot still takes REQUEST_DATA_STREAM")]
    fn request_data_stream_starts_and_stops_arducopters_groups() {
        let mut world = world(1);
        let request = |stream: mav::MavDataStream, rate: u16, start: u8| {
            MavMessage::REQUEST_DATA_STREAM(mav::REQUEST_DATA_STREAM_DATA {
                req_message_rate: rate,
                target_system: 1,
                target_component: 1,
                req_stream_id: stream,
                start_stop: start,
            })
        };
        run(&mut world, 10); // ready: GPS fixed
        assert!(
            world
                .handle(
                    &request(mav::MavDataStream::MAV_DATA_STREAM_EXTENDED_STATUS, 2, 1),
                    GCS
                )
                .is_empty(),
            "no answer but the stream"
        );
        let counts = census(&run(&mut world, 5));
        assert_eq!(counts["SYS_STATUS"], 10);
        assert_eq!(counts["GPS_RAW_INT"], 10);
        assert!(!counts.contains_key("GLOBAL_POSITION_INT") && !counts.contains_key("VFR_HUD"));
        assert_eq!(world.drones[0].vehicle.param("MAV1_EXT_STAT"), 2.0);

        world.handle(&request(mav::MavDataStream::MAV_DATA_STREAM_ALL, 4, 1), GCS);
        let counts = census(&run(&mut world, 5));
        for (name, n) in [
            ("SYS_STATUS", 20),
            ("GLOBAL_POSITION_INT", 20),
            ("ATTITUDE", 20),
            ("VFR_HUD", 20),
            ("BATTERY_STATUS", 20),
            ("SYSTEM_TIME", 20),
        ] {
            assert_eq!(counts.get(name), Some(&n), "{name}: {counts:?}");
        }
        world.handle(&request(mav::MavDataStream::MAV_DATA_STREAM_ALL, 4, 0), GCS);
        run(&mut world, 1);
        let after: Vec<_> = census(&run(&mut world, 5)).into_keys().collect();
        assert!(
            after
                .iter()
                .all(|n| ["HEARTBEAT", "VIGIL_DETECTION", "STATUSTEXT"].contains(n)),
            "{after:?}"
        );
    }

    #[test]
    fn request_message_sends_one_copy_or_fails_for_an_unknown_id() {
        let mut world = world(1);
        let request = |id: f32| {
            MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
                param1: id,
                command: mav::MavCmd::MAV_CMD_REQUEST_MESSAGE,
                target_system: 1,
                target_component: 1,
                ..Default::default()
            })
        };
        assert_eq!(
            ack_result(&world.handle(&request(148.0), GCS)),
            mav::MavResult::MAV_RESULT_ACCEPTED
        );
        let sent = run(&mut world, 2);
        let versions: Vec<_> = sent
            .iter()
            .filter_map(|e| match &e.message {
                MavMessage::AUTOPILOT_VERSION(v) => Some(v.flight_sw_version),
                _ => None,
            })
            .collect();
        assert_eq!(versions, [0x0407_0000], "once: 4.7.0");
        assert_eq!(
            ack_result(&world.handle(&request(12345.0), GCS)),
            mav::MavResult::MAV_RESULT_FAILED
        );
    }

    fn world(seed: u64) -> SimWorld {
        SimWorld::from_scenario(
            &Scenario::parse(SCENARIO, Path::new("unit.toml")).expect("valid"),
            seed,
        )
    }

    fn run(world: &mut SimWorld, seconds: u64) -> Vec<Emission> {
        (0..seconds * STEPS_PER_SECOND)
            .flat_map(|_| world.step())
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_world_and_messages() {
        // Compared as text: NaN fields (unused measurements) never compare equal as numbers.
        let text = |emissions: Vec<Emission>| format!("{emissions:?}");
        let (mut a, mut b) = (world(5), world(5));
        assert_eq!(text(run(&mut a, 60)), text(run(&mut b, 60)));
        assert_eq!(a.truth(), b.truth());
        let mut c = world(6);
        assert_ne!(
            text(run(&mut a, 60)),
            text(run(&mut c, 60)),
            "another seed, other noise"
        );
    }

    #[test]
    fn sensors_report_as_their_kind_and_the_radar_measures_the_walker() {
        let mut world = world(1);
        let emissions = run(&mut world, 10);
        let from = |sysid: u8| {
            emissions
                .iter()
                .filter(move |e| e.sysid == sysid)
                .map(|e| &e.message)
        };
        let radar: Vec<_> = from(101)
            .filter_map(|m| {
                if let MavMessage::VIGIL_DETECTION(d) = m {
                    Some(d)
                } else {
                    None
                }
            })
            .collect();
        assert!(
            radar.len() >= 9,
            "one per second with pd 1: {}",
            radar.len()
        );
        let truth = world.truth();
        let walker = world.frame.to_en_m(truth[0].lat_deg, truth[0].lon_deg);
        let radar_en = world.frame.to_en_m(9.0, 31.001);
        let last = radar.last().expect("a detection");
        let true_range = super::super::flat::distance_m(radar_en, walker);
        assert!(
            (f64::from(last.range_m) - true_range).abs() < 25.0,
            "{} vs {true_range}",
            last.range_m
        );
        assert_eq!(
            last.measurement_kind,
            mav::VigilMeasurementKind::VIGIL_MEASUREMENT_RANGE_BEARING
        );
        assert!(
            from(102).all(|m| !matches!(m, MavMessage::VIGIL_DETECTION(_))),
            "the seismic node is 280 m away"
        );
        assert!(from(102).any(|m| matches!(m, MavMessage::VIGIL_SENSOR_STATUS(_))));
        assert!(truth[0].covered, "the radar holds the walker");
    }

    #[test]
    fn a_failed_sensor_says_so_and_detects_nothing_more() {
        let text = SCENARIO.replace(
            "report_period_s = 1.0",
            "report_period_s = 1.0\nfaults_per_hour = 3600.0",
        );
        let mut world = SimWorld::from_scenario(
            &Scenario::parse(&text, Path::new("unit.toml")).expect("valid"),
            1,
        );
        let emissions = run(&mut world, 30);
        let radar = |e: &&Emission| e.sysid == 101;
        let status: Vec<_> = emissions
            .iter()
            .filter(radar)
            .filter_map(|e| {
                if let MavMessage::VIGIL_SENSOR_STATUS(s) = &e.message {
                    Some(s.flags)
                } else {
                    None
                }
            })
            .collect();
        assert!(
            status
                .iter()
                .skip(1)
                .all(|f| f.contains(mav::VigilSensorFlags::VIGIL_SENSOR_FLAGS_FAULT_SENSOR)),
            "{status:?}"
        );
        let after_fault = emissions
            .iter()
            .filter(radar)
            .skip_while(|e| !matches!(e.message, MavMessage::VIGIL_SENSOR_STATUS(_)));
        assert_eq!(
            after_fault
                .filter(|e| matches!(e.message, MavMessage::VIGIL_DETECTION(_)))
                .count(),
            0
        );
    }

    #[test]
    fn a_camera_looking_down_sees_the_mover_below() {
        let mut world = world(2);
        let vehicle = &mut world.drones[0].vehicle;
        vehicle.armed = true;
        vehicle.alt_rel_m = 100.0;
        vehicle.lat_deg = 9.0005;
        // CAMERA_FOV_STATUS only once a ground station asks for it.
        world.handle(&set_interval(msg::CAMERA_FOV_STATUS, 1_000_000.0), GCS);
        let emissions = run(&mut world, 1);
        let footprint = world.drones[0].footprint_en_m.expect("in the air");
        // Straight down from 100 m with 60x45 degrees: about 115 m by 83 m.
        let width = super::super::flat::distance_m(footprint[0], footprint[1]);
        assert!((width - 115.5).abs() < 2.0, "{width}");
        assert!(world.truth()[0].covered);
        let seen = emissions.iter().any(|e| {
            e.compid == CAMERA_COMPID && matches!(e.message, MavMessage::VIGIL_DETECTION(_))
        });
        let fov = emissions
            .iter()
            .any(|e| matches!(e.message, MavMessage::CAMERA_FOV_STATUS(_)));
        assert!(
            fov && seen,
            "with pd 0.85*0.9 per second, seen in the first second with this seed"
        );
    }
}
