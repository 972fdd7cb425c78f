//! The world model: every drone and sensor node the links have heard, what they last said, and
//! how recently. Owned by the pipeline's world thread, updated one envelope at a time, and read
//! by everyone else through immutable [`Snapshot`]s. Knows nothing of threads or the UI.
//!
//! Entities are discovered from HEARTBEAT: a component with an autopilot is a vehicle (keyed by
//! system id); a `MAV_TYPE_GENERIC` component without one, or anything that sends
//! VIGIL_SENSOR_STATUS, is a sensor node (keyed by system and component id); other ground
//! stations and a vehicle's own gimbal or camera components are not entities of their own.

pub mod entities;
pub mod integrity;
pub mod notices;

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

pub use entities::*;
pub use notices::{Notice, NoticeLog, Severity, Source};

use crate::fusion::footprint::YawFrame;
use crate::link::{LinkEvent, LinkEventKind};
use crate::pipeline::Envelope;
use crate::protocol::modes::{Firmware, mode_name};
use crate::protocol::{MavMessage, deg_from_e7, mav, text_from_chars};
use crate::time::TimeUs;

/// A vehicle or node not heard for this long is shown as stale.
pub const STALE_AFTER: Duration = Duration::from_secs(3);
/// ... and for this long as lost.
pub const LOST_AFTER: Duration = Duration::from_secs(10);
/// Detections kept for readers (trackers keep their own state).
pub const DETECTION_LOG_CAPACITY: usize = 2000;

/// Recent detections, oldest first, with a running sequence number.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DetectionLog {
    entries: VecDeque<Detection>,
    total: u64,
}

impl DetectionLog {
    fn push(&mut self, detection: Detection) {
        if self.entries.len() == DETECTION_LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(detection);
        self.total += 1;
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Detection> {
        self.entries.iter()
    }

    /// Detections received since the start.
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// The model. Cloning a snapshot of it is cheap: entities are shared until changed.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub time: TimeUs,
    pub vehicles: BTreeMap<u8, Arc<Vehicle>>,
    pub sensors: BTreeMap<(u8, u8), Arc<SensorNode>>,
    pub notices: Arc<NoticeLog>,
    pub detections: Arc<DetectionLog>,
    /// Frames applied since the start.
    pub frames_applied: u64,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    fn notify(&mut self, severity: Severity, source: Source, text: String) {
        Arc::make_mut(&mut self.notices).push(self.time, severity, source, text);
    }

    /// Adds a notice from outside the model (the pipeline, fusion) at the model's time.
    pub fn notify_now(&mut self, severity: Severity, source: Source, text: String) {
        self.notify(severity, source, text);
    }

    /// Tells the operator what the integrity checks found about a vehicle.
    fn report(&mut self, sysid: u8, finding: Option<integrity::Finding>) {
        use integrity::Finding;
        let Some(finding) = finding else { return };
        let text = match finding {
            Finding::GpsJump { jump_m } => {
                format!("vehicle {sysid}: GPS JUMP of {jump_m:.0} m (jamming or spoofing?)")
            }
            Finding::VelocityMismatch {
                reported_mps,
                observed_mps,
            } => format!(
                "vehicle {sysid}: positions move at {observed_mps:.1} m/s but the vehicle reports {reported_mps:.1} m/s (spoofing?)"
            ),
            Finding::DuplicateSysid { reason } => {
                format!("vehicle {sysid}: TWO SENDERS may be using system id {sysid}: {reason}")
            }
            Finding::ClockJump { jump_s } => {
                let text = format!(
                    "vehicle {sysid}: its clock jumped {} by {:.0} s (GPS time spoofed, or reset?)",
                    if jump_s > 0.0 { "ahead" } else { "back" },
                    jump_s.abs()
                );
                self.notify(Severity::Warning, Source::Vehicle(sysid), text);
                return;
            }
        };
        self.notify(Severity::Critical, Source::Vehicle(sysid), text);
    }

    /// Advances the model's clock; never goes backwards.
    fn advance(&mut self, now: TimeUs) {
        self.time = self.time.max(now);
    }

    /// Applies one received frame.
    pub fn apply(&mut self, envelope: &Envelope) {
        self.advance(envelope.rx.time);
        self.frames_applied += 1;
        let (sysid, compid) = (envelope.frame.sysid(), envelope.frame.compid());
        let time = self.time;
        // On the vehicle's current link only: a vehicle heard over two radios repeats every
        // frame, which is not a second sender.
        if let Some(vehicle) = self.vehicles.get_mut(&sysid)
            && vehicle.compid == compid
            && vehicle.link == envelope.link
        {
            let finding = Arc::make_mut(vehicle)
                .integrity
                .check_sequence(time, envelope.frame.seq());
            self.report(sysid, finding);
        }
        match &envelope.message {
            MavMessage::HEARTBEAT(hb) => self.on_heartbeat(envelope, hb),
            MavMessage::VIGIL_SENSOR_STATUS(status) => self.on_sensor_status(envelope, status),
            MavMessage::VIGIL_DETECTION(detection) => self.on_detection(sysid, compid, detection),
            MavMessage::STATUSTEXT(text)
                if self.vehicles.contains_key(&sysid)
                    || self.sensors.contains_key(&(sysid, compid)) =>
            {
                let source = if self.vehicles.contains_key(&sysid) {
                    Source::Vehicle(sysid)
                } else {
                    Source::Sensor(sysid, compid)
                };
                self.notify(
                    severity_of(text.severity),
                    source,
                    text_from_chars(text.text.as_slice()),
                );
            }
            message => {
                if let Some(vehicle) = self.vehicles.get_mut(&sysid) {
                    let finding = update_vehicle(Arc::make_mut(vehicle), message, compid, time);
                    self.report(sysid, finding);
                }
            }
        }
    }

    fn on_heartbeat(&mut self, envelope: &Envelope, hb: &mav::HEARTBEAT_DATA) {
        let (sysid, compid) = (envelope.frame.sysid(), envelope.frame.compid());
        let time = self.time;
        if hb.mavtype == mav::MavType::MAV_TYPE_GCS {
            return;
        }
        if hb.autopilot != mav::MavAutopilot::MAV_AUTOPILOT_INVALID {
            let firmware = Firmware::from_heartbeat(hb.autopilot, hb.mavtype);
            let armed = hb
                .base_mode
                .contains(mav::MavModeFlag::MAV_MODE_FLAG_SAFETY_ARMED);
            let mode = mode_name(firmware, hb.custom_mode);
            let system_status = state_name(hb.system_status);
            let is_new = !self.vehicles.contains_key(&sysid);
            let vehicle = self
                .vehicles
                .entry(sysid)
                .or_insert_with(|| Arc::new(new_vehicle(sysid, compid, envelope, firmware, time)));
            let vehicle = Arc::make_mut(vehicle);
            let previous = (vehicle.health, vehicle.armed, vehicle.mode.clone());
            vehicle.compid = compid;
            vehicle.link = envelope.link;
            vehicle.mavlink_version = envelope.frame.version();
            vehicle.firmware = firmware;
            vehicle.airframe = airframe_of(hb.mavtype);
            vehicle.mav_type = hb.mavtype as u32;
            vehicle.armed = armed;
            vehicle.custom_mode = hb.custom_mode;
            vehicle.mode = mode.clone();
            vehicle.system_status = system_status;
            vehicle.last_heartbeat = time;
            vehicle.health = Health::Fresh;
            let identity =
                vehicle
                    .integrity
                    .check_identity(time, hb.mavtype as u32, hb.autopilot as u32);
            self.report(sysid, identity);
            let source = Source::Vehicle(sysid);
            if is_new {
                self.notify(
                    Severity::Notice,
                    source,
                    format!(
                        "vehicle {sysid}: found, {}, {mode}, {}",
                        firmware.label(),
                        envelope.link
                    ),
                );
            } else {
                if previous.0 != Health::Fresh {
                    self.notify(
                        Severity::Notice,
                        source,
                        format!("vehicle {sysid}: link back"),
                    );
                }
                if previous.1 != armed {
                    self.notify(
                        Severity::Notice,
                        source,
                        format!(
                            "vehicle {sysid}: {}",
                            if armed { "ARMED" } else { "disarmed" }
                        ),
                    );
                }
                if previous.2 != mode {
                    self.notify(
                        Severity::Info,
                        source,
                        format!("vehicle {sysid}: mode {mode}"),
                    );
                }
            }
            return;
        }
        if let Some(vehicle) = self.vehicles.get(&sysid) {
            // A gimbal or camera of a known vehicle: it keeps the vehicle's link alive only
            // through the vehicle's own heartbeat, so nothing to do here.
            let _ = vehicle;
            return;
        }
        let sensor_key = (sysid, compid);
        if hb.mavtype == mav::MavType::MAV_TYPE_GENERIC || self.sensors.contains_key(&sensor_key) {
            self.touch_sensor(envelope);
        }
    }

    /// Finds or creates the sensor node that sent `envelope` and marks it heard.
    fn touch_sensor(&mut self, envelope: &Envelope) -> &mut SensorNode {
        let key = (envelope.frame.sysid(), envelope.frame.compid());
        let time = self.time;
        let (sysid, compid) = key;
        let news = match self.sensors.get(&key) {
            None => Some((
                Severity::Info,
                format!("sensor {sysid}/{compid}: found on {}", envelope.link),
            )),
            Some(node) if node.health != Health::Fresh => Some((
                Severity::Notice,
                format!("sensor {sysid}/{compid}: heard again"),
            )),
            Some(_) => None,
        };
        if let Some((severity, text)) = news {
            self.notify(severity, Source::Sensor(sysid, compid), text);
        }
        let node = Arc::make_mut(
            self.sensors
                .entry(key)
                .or_insert_with(|| Arc::new(new_sensor(key, envelope, time))),
        );
        node.link = envelope.link;
        node.last_heard = time;
        node.health = Health::Fresh;
        node
    }

    fn on_sensor_status(&mut self, envelope: &Envelope, status: &mav::VIGIL_SENSOR_STATUS_DATA) {
        let key = (envelope.frame.sysid(), envelope.frame.compid());
        let before = self.sensors.get(&key).map(|s| s.flags);
        let node = self.touch_sensor(envelope);
        node.kind = sensor_kind(status.sensor_kind);
        // INT32_MAX marks a position the node does not know (no GPS and no survey).
        node.position = (status.lat != i32::MAX && status.lon != i32::MAX).then(|| GeoPoint {
            lat_deg: deg_from_e7(status.lat),
            lon_deg: deg_from_e7(status.lon),
            alt_msl_m: if status.alt == i32::MAX {
                f64::NAN
            } else {
                f64::from(status.alt) * 1e-3
            },
        });
        node.sensing_radius_m = finite(status.sensing_radius_m);
        node.boresight_rad = finite(status.boresight_deg).map(f64::to_radians);
        node.fov_rad = finite(status.fov_deg).map(f64::to_radians);
        node.voltage_v =
            (status.voltage_mv != u16::MAX).then(|| f64::from(status.voltage_mv) * 1e-3);
        node.battery_pct =
            (status.battery_remaining >= 0).then(|| f64::from(status.battery_remaining));
        let bits = status.flags;
        use mav::VigilSensorFlags as F;
        node.flags = SensorFlags {
            tamper: bits.contains(F::VIGIL_SENSOR_FLAGS_TAMPER),
            sensor_fault: bits.contains(F::VIGIL_SENSOR_FLAGS_FAULT_SENSOR),
            gps_fault: bits.contains(F::VIGIL_SENSOR_FLAGS_FAULT_GPS),
            low_battery: bits.contains(F::VIGIL_SENSOR_FLAGS_LOW_BATTERY),
            radio_fault: bits.contains(F::VIGIL_SENSOR_FLAGS_FAULT_RADIO),
        };
        let flags = node.flags;
        let source = Source::Sensor(key.0, key.1);
        let was = before.unwrap_or_default();
        if flags.tamper && !was.tamper {
            self.notify(
                Severity::Critical,
                source,
                format!("sensor {}/{}: TAMPER", key.0, key.1),
            );
        }
        if flags.sensor_fault && !was.sensor_fault {
            self.notify(
                Severity::Error,
                source,
                format!("sensor {}/{}: sensor fault", key.0, key.1),
            );
        }
        if flags.low_battery && !was.low_battery {
            self.notify(
                Severity::Warning,
                source,
                format!("sensor {}/{}: low battery", key.0, key.1),
            );
        }
    }

    fn on_detection(&mut self, sysid: u8, compid: u8, data: &mav::VIGIL_DETECTION_DATA) {
        let time = self.time;
        let (sensor_position, sensor_radius_m) =
            if let Some(vehicle) = self.vehicles.get_mut(&sysid) {
                let vehicle = Arc::make_mut(vehicle);
                vehicle.detections += 1;
                let position = vehicle.position.map(|p| GeoPoint {
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                    alt_msl_m: p.alt_msl_m,
                });
                (position, None)
            } else if let Some(node) = self.sensors.get_mut(&(sysid, compid)) {
                let node = Arc::make_mut(node);
                if let Some(last) = node.last_detection_id {
                    let gap = data.detection_id.wrapping_sub(last.wrapping_add(1));
                    if gap < u32::MAX / 2 {
                        node.detections_missed += u64::from(gap);
                    }
                }
                node.last_detection_id = Some(data.detection_id);
                node.detections += 1;
                node.last_detection = Some(time);
                node.last_heard = time;
                (node.position, node.sensing_radius_m)
            } else {
                (None, None)
            };
        let Some(measurement) = measurement_of(data) else {
            return;
        };
        Arc::make_mut(&mut self.detections).push(Detection {
            sysid,
            compid,
            received: time,
            sensor_time_us: data.time_usec,
            detection_id: data.detection_id,
            sensor_kind: sensor_kind(data.sensor_kind),
            measurement,
            confidence: f64::from(data.confidence.min(100)) / 100.0,
            class: class_hint(data.class_hint),
            count: data.count,
            sensor_position,
            sensor_radius_m,
        });
    }

    /// Records a link event as a notice.
    pub fn on_link_event(&mut self, event: &LinkEvent, address: &str) {
        self.advance(event.time);
        let source = Source::Link(event.link);
        match &event.kind {
            LinkEventKind::Up(detail) => self.notify(
                Severity::Notice,
                source,
                format!("{address}: up ({detail})"),
            ),
            LinkEventKind::Retrying(reason) => {
                self.notify(Severity::Warning, source, format!("link down: {reason}"))
            }
            LinkEventKind::Failed(reason) => self.notify(
                Severity::Error,
                source,
                format!("{address}: failed: {reason}"),
            ),
            LinkEventKind::Finished => self.notify(
                Severity::Info,
                source,
                format!("{address}: replay finished"),
            ),
            LinkEventKind::Warning(text) => self.notify(Severity::Warning, source, text.clone()),
        }
    }

    /// Ages every entity's health to `now` and notes each change.
    pub fn tick(&mut self, now: TimeUs) {
        self.advance(now);
        let now = self.time;
        let mut changes = Vec::new();
        for (sysid, vehicle) in &mut self.vehicles {
            let health = health_at(now, vehicle.last_heartbeat);
            if health != vehicle.health {
                Arc::make_mut(vehicle).health = health;
                changes.push((Source::Vehicle(*sysid), format!("vehicle {sysid}"), health));
            }
        }
        for ((sysid, compid), node) in &mut self.sensors {
            let health = health_at(now, node.last_heard);
            if health != node.health {
                Arc::make_mut(node).health = health;
                changes.push((
                    Source::Sensor(*sysid, *compid),
                    format!("sensor {sysid}/{compid}"),
                    health,
                ));
            }
        }
        for (source, name, health) in changes {
            let (severity, text) = match health {
                Health::Stale => (
                    Severity::Warning,
                    format!("{name}: no heartbeat for {} s", STALE_AFTER.as_secs()),
                ),
                Health::Lost => (
                    Severity::Critical,
                    format!("{name}: LINK LOST (silent for {} s)", LOST_AFTER.as_secs()),
                ),
                Health::Fresh => continue,
            };
            self.notify(severity, source, text);
        }
    }
}

fn health_at(now: TimeUs, last: TimeUs) -> Health {
    let silent = now.since(last);
    if silent >= LOST_AFTER {
        Health::Lost
    } else if silent >= STALE_AFTER {
        Health::Stale
    } else {
        Health::Fresh
    }
}

fn new_vehicle(
    sysid: u8,
    compid: u8,
    envelope: &Envelope,
    firmware: Firmware,
    time: TimeUs,
) -> Vehicle {
    Vehicle {
        sysid,
        compid,
        link: envelope.link,
        mavlink_version: envelope.frame.version(),
        firmware,
        airframe: Airframe::Other,
        mav_type: 0,
        armed: false,
        system_status: Cow::Borrowed("UNINIT"),
        custom_mode: 0,
        mode: Cow::Borrowed(""),
        health: Health::Fresh,
        first_heard: time,
        last_heartbeat: time,
        position: None,
        attitude: None,
        hud: None,
        battery: Battery::default(),
        gps: Gps::default(),
        home: None,
        gimbal: None,
        camera: None,
        unhealthy_sensors: 0,
        mission_current_seq: None,
        mission_last_reached_seq: None,
        detections: 0,
        prearm_ok: None,
        integrity: integrity::Integrity::default(),
        link_latency: None,
    }
}

fn new_sensor(key: (u8, u8), envelope: &Envelope, time: TimeUs) -> SensorNode {
    SensorNode {
        sysid: key.0,
        compid: key.1,
        link: envelope.link,
        kind: SensorKind::Unknown,
        position: None,
        sensing_radius_m: None,
        boresight_rad: None,
        fov_rad: None,
        voltage_v: None,
        battery_pct: None,
        flags: SensorFlags::default(),
        health: Health::Fresh,
        first_heard: time,
        last_heard: time,
        detections: 0,
        detections_missed: 0,
        last_detection_id: None,
        last_detection: None,
    }
}

/// Applies a vehicle's telemetry message. `compid` tells the autopilot from its gimbal.
/// Applies a vehicle's telemetry message; returns what the integrity checks found.
fn update_vehicle(
    vehicle: &mut Vehicle,
    message: &MavMessage,
    compid: u8,
    time: TimeUs,
) -> Option<integrity::Finding> {
    match message {
        // ArduPilot reports 0°, 0° until it has a position: that is no position, not a
        // place in the Gulf of Guinea (and not a GPS jump when the real one comes).
        MavMessage::GLOBAL_POSITION_INT(p) if p.lat == 0 && p.lon == 0 => {}
        MavMessage::HOME_POSITION(h) if h.latitude == 0 && h.longitude == 0 => {}
        MavMessage::GLOBAL_POSITION_INT(p) if compid == vehicle.compid => {
            let (lat_deg, lon_deg) = (deg_from_e7(p.lat), deg_from_e7(p.lon));
            let vel_ne_mps = [f64::from(p.vx) * 0.01, f64::from(p.vy) * 0.01];
            // The vehicle's own boot clock times its fixes: the receive time would turn a
            // batch of queued frames (or a simulation run faster than real time) into speed.
            let fix_time = if p.time_boot_ms > 0 {
                TimeUs(u64::from(p.time_boot_ms) * 1000)
            } else {
                time
            };
            let finding = vehicle
                .integrity
                .check_position(fix_time, lat_deg, lon_deg, vel_ne_mps);
            vehicle.position = Some(Position {
                lat_deg: deg_from_e7(p.lat),
                lon_deg: deg_from_e7(p.lon),
                alt_msl_m: f64::from(p.alt) * 1e-3,
                alt_rel_home_m: f64::from(p.relative_alt) * 1e-3,
                vel_ned_mps: [
                    f64::from(p.vx) * 0.01,
                    f64::from(p.vy) * 0.01,
                    f64::from(p.vz) * 0.01,
                ],
                heading_rad: (p.hdg != u16::MAX).then(|| (f64::from(p.hdg) * 0.01).to_radians()),
                time,
            });
            return finding;
        }
        MavMessage::ATTITUDE(a) if compid == vehicle.compid => {
            vehicle.attitude = Some(Attitude {
                roll_rad: f64::from(a.roll),
                pitch_rad: f64::from(a.pitch),
                yaw_rad: f64::from(a.yaw),
                time,
            });
        }
        MavMessage::VFR_HUD(h) => {
            vehicle.hud = Some(Hud {
                airspeed_mps: f64::from(h.airspeed),
                groundspeed_mps: f64::from(h.groundspeed),
                climb_mps: f64::from(h.climb),
                throttle_pct: f64::from(h.throttle),
                time,
            });
        }
        MavMessage::SYS_STATUS(s) => {
            vehicle.battery.voltage_v =
                (s.voltage_battery != u16::MAX).then(|| f64::from(s.voltage_battery) * 1e-3);
            vehicle.battery.current_a =
                (s.current_battery >= 0).then(|| f64::from(s.current_battery) * 0.01);
            vehicle.battery.remaining_pct =
                (s.battery_remaining >= 0).then(|| f64::from(s.battery_remaining));
            let present = s.onboard_control_sensors_present.bits();
            let enabled = s.onboard_control_sensors_enabled.bits();
            let healthy = s.onboard_control_sensors_health.bits();
            vehicle.unhealthy_sensors = present & enabled & !healthy;
            vehicle.battery.time = Some(time);
            let prearm = mav::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK.bits();
            vehicle.prearm_ok = (present & prearm != 0).then_some(healthy & prearm != 0);
        }
        MavMessage::BATTERY_STATUS(b) if b.id == 0 => {
            if b.battery_remaining >= 0 {
                vehicle.battery.remaining_pct = Some(f64::from(b.battery_remaining));
            }
            if b.current_battery >= 0 {
                vehicle.battery.current_a = Some(f64::from(b.current_battery) * 0.01);
            }
            vehicle.battery.time = Some(time);
        }
        MavMessage::GPS_RAW_INT(g) => {
            vehicle.gps = Gps {
                fix_type: g.fix_type as u8,
                satellites: (g.satellites_visible != u8::MAX).then_some(g.satellites_visible),
                hdop: (g.eph != u16::MAX).then(|| f64::from(g.eph) * 0.01),
                time: Some(time),
            };
        }
        MavMessage::HOME_POSITION(h) => {
            vehicle.home = Some(GeoPoint {
                lat_deg: deg_from_e7(h.latitude),
                lon_deg: deg_from_e7(h.longitude),
                alt_msl_m: f64::from(h.altitude) * 1e-3,
            });
        }
        MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(g) => {
            // A quaternion with both frame flags set is malformed: keep the last good one.
            if let Some(yaw_frame) = YawFrame::from_gimbal_device_flags(g.flags.bits()) {
                let [w, x, y, z] = g.q.map(f64::from);
                let (roll_rad, pitch_rad, yaw_rad) = euler_from_quaternion(w, x, y, z);
                vehicle.gimbal = Some(Gimbal {
                    roll_rad,
                    pitch_rad,
                    yaw_rad,
                    yaw_frame,
                });
            }
        }
        MavMessage::MOUNT_STATUS(m) => {
            vehicle.gimbal = Some(Gimbal {
                pitch_rad: (f64::from(m.pointing_a) * 0.01).to_radians(),
                roll_rad: (f64::from(m.pointing_b) * 0.01).to_radians(),
                yaw_rad: (f64::from(m.pointing_c) * 0.01).to_radians(),
                // ArduPilot's MOUNT_STATUS: stabilised pitch and roll, yaw from the nose.
                yaw_frame: YawFrame::Vehicle,
            });
        }
        MavMessage::CAMERA_FOV_STATUS(c) => {
            let centre = (c.lat_image != i32::MAX && c.lon_image != i32::MAX)
                .then(|| (deg_from_e7(c.lat_image), deg_from_e7(c.lon_image)));
            vehicle.camera = Some(CameraFov {
                hfov_rad: f64::from(c.hfov).to_radians(),
                vfov_rad: f64::from(c.vfov).to_radians(),
                image_centre: centre,
            });
        }
        MavMessage::SYSTEM_TIME(t) if t.time_unix_usec > 0 && compid == vehicle.compid => {
            return vehicle
                .integrity
                .check_clock(t.time_unix_usec, t.time_boot_ms);
        }
        MavMessage::MISSION_CURRENT(m) => vehicle.mission_current_seq = Some(m.seq),
        MavMessage::MISSION_ITEM_REACHED(m) => vehicle.mission_last_reached_seq = Some(m.seq),
        // An answer to our TIMESYNC: ts1 is our send time in ns, so the round trip is known.
        MavMessage::TIMESYNC(t) if t.tc1 != 0 && t.ts1 > 0 => {
            let sent_us = u64::try_from(t.ts1 / 1000).unwrap_or(u64::MAX);
            let round_trip = time.since(TimeUs(sent_us));
            if round_trip < std::time::Duration::from_secs(10) {
                let one_way = round_trip / 2;
                vehicle.link_latency = Some(
                    vehicle
                        .link_latency
                        .map_or(one_way, |old| (old * 3 + one_way) / 4),
                );
            }
        }
        _ => {}
    }
    None
}

/// Roll, pitch, yaw (ZYX Tait-Bryan) of a unit quaternion.
fn euler_from_quaternion(w: f64, x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let roll = (2.0 * (w * x + y * z)).atan2(1.0 - 2.0 * (x * x + y * y));
    let pitch = (2.0 * (w * y - z * x)).clamp(-1.0, 1.0).asin();
    let yaw = (2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z));
    (roll, pitch, yaw)
}

fn finite(value: f32) -> Option<f64> {
    value.is_finite().then_some(f64::from(value))
}

fn measurement_of(d: &mav::VIGIL_DETECTION_DATA) -> Option<Measurement> {
    use mav::VigilMeasurementKind as K;
    let rad = |deg: f32| finite(deg).map(f64::to_radians);
    Some(match d.measurement_kind {
        K::VIGIL_MEASUREMENT_PRESENCE => Measurement::Presence { zone_id: d.zone_id },
        K::VIGIL_MEASUREMENT_BEARING => Measurement::Bearing {
            bearing_rad: rad(d.bearing_deg)?,
            bearing_std_rad: rad(d.bearing_std_deg).unwrap_or(f64::NAN),
        },
        K::VIGIL_MEASUREMENT_RANGE_BEARING => Measurement::RangeBearing {
            range_m: finite(d.range_m)?,
            range_std_m: finite(d.range_std_m).unwrap_or(f64::NAN),
            bearing_rad: rad(d.bearing_deg)?,
            bearing_std_rad: rad(d.bearing_std_deg).unwrap_or(f64::NAN),
        },
        K::VIGIL_MEASUREMENT_POSITION => {
            if d.lat == i32::MAX || d.lon == i32::MAX {
                return None;
            }
            Measurement::Position {
                lat_deg: deg_from_e7(d.lat),
                lon_deg: deg_from_e7(d.lon),
                horiz_std_m: finite(d.horiz_std_m).unwrap_or(f64::NAN),
            }
        }
    })
}

fn sensor_kind(kind: mav::VigilSensorKind) -> SensorKind {
    use mav::VigilSensorKind as K;
    match kind {
        K::VIGIL_SENSOR_KIND_UNKNOWN => SensorKind::Unknown,
        K::VIGIL_SENSOR_KIND_SEISMIC => SensorKind::Seismic,
        K::VIGIL_SENSOR_KIND_PIR => SensorKind::Pir,
        K::VIGIL_SENSOR_KIND_RADAR => SensorKind::Radar,
        K::VIGIL_SENSOR_KIND_ACOUSTIC => SensorKind::Acoustic,
        K::VIGIL_SENSOR_KIND_CAMERA => SensorKind::Camera,
    }
}

fn class_hint(hint: mav::VigilClassHint) -> ClassHint {
    use mav::VigilClassHint as C;
    match hint {
        C::VIGIL_CLASS_UNKNOWN => ClassHint::Unknown,
        C::VIGIL_CLASS_PERSON => ClassHint::Person,
        C::VIGIL_CLASS_VEHICLE => ClassHint::Vehicle,
        C::VIGIL_CLASS_ANIMAL => ClassHint::Animal,
    }
}

pub fn severity_of(severity: mav::MavSeverity) -> Severity {
    use mav::MavSeverity::*;
    match severity {
        MAV_SEVERITY_EMERGENCY => Severity::Emergency,
        MAV_SEVERITY_ALERT => Severity::Alert,
        MAV_SEVERITY_CRITICAL => Severity::Critical,
        MAV_SEVERITY_ERROR => Severity::Error,
        MAV_SEVERITY_WARNING => Severity::Warning,
        MAV_SEVERITY_NOTICE => Severity::Notice,
        MAV_SEVERITY_INFO => Severity::Info,
        MAV_SEVERITY_DEBUG => Severity::Debug,
    }
}

fn state_name(state: mav::MavState) -> Cow<'static, str> {
    use mav::MavState::*;
    Cow::Borrowed(match state {
        MAV_STATE_UNINIT => "UNINIT",
        MAV_STATE_BOOT => "BOOT",
        MAV_STATE_CALIBRATING => "CALIBRATING",
        MAV_STATE_STANDBY => "STANDBY",
        MAV_STATE_ACTIVE => "ACTIVE",
        MAV_STATE_CRITICAL => "CRITICAL",
        MAV_STATE_EMERGENCY => "EMERGENCY",
        MAV_STATE_POWEROFF => "POWEROFF",
        MAV_STATE_FLIGHT_TERMINATION => "TERMINATION",
    })
}

fn airframe_of(mav_type: mav::MavType) -> Airframe {
    use mav::MavType::*;
    match mav_type {
        MAV_TYPE_QUADROTOR | MAV_TYPE_HEXAROTOR | MAV_TYPE_OCTOROTOR | MAV_TYPE_TRICOPTER
        | MAV_TYPE_COAXIAL | MAV_TYPE_DODECAROTOR | MAV_TYPE_DECAROTOR => Airframe::Multirotor,
        MAV_TYPE_HELICOPTER => Airframe::Helicopter,
        MAV_TYPE_FIXED_WING => Airframe::FixedWing,
        MAV_TYPE_VTOL_TAILSITTER_DUOROTOR
        | MAV_TYPE_VTOL_TAILSITTER_QUADROTOR
        | MAV_TYPE_VTOL_TILTROTOR
        | MAV_TYPE_VTOL_FIXEDROTOR
        | MAV_TYPE_VTOL_TAILSITTER
        | MAV_TYPE_VTOL_TILTWING => Airframe::Vtol,
        MAV_TYPE_GROUND_ROVER | MAV_TYPE_SURFACE_BOAT => Airframe::Ground,
        _ => Airframe::Other,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::pipeline::{LinkId, RxStamp};
    use crate::protocol::{FrameEncoder, MavVersion, e7_from_deg};

    fn envelope(encoder: &mut FrameEncoder, message: MavMessage, seconds: f64) -> Envelope {
        let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
        Envelope {
            link: LinkId(0),
            rx: RxStamp {
                time: TimeUs::from_secs_f64(1.7e9 + seconds),
                mono: Instant::now(),
            },
            frame,
            message,
        }
    }

    fn heartbeat(mavtype: mav::MavType) -> MavMessage {
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            mavtype,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            mavlink_version: 3,
            ..Default::default()
        })
    }

    fn position(lat_deg: f64, lon_deg: f64) -> MavMessage {
        MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
            lat: e7_from_deg(lat_deg),
            lon: e7_from_deg(lon_deg),
            hdg: u16::MAX,
            ..Default::default()
        })
    }

    fn critical(world: &World) -> Vec<String> {
        world
            .notices
            .iter()
            .filter(|n| n.severity == Severity::Critical)
            .map(|n| n.text.clone())
            .collect()
    }

    #[test]
    fn a_gps_jump_is_raised_to_the_operator_once() {
        let mut world = World::new();
        let mut encoder = FrameEncoder::new(4, 1);
        world.apply(&envelope(
            &mut encoder,
            heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
            0.0,
        ));
        for i in 0..10 {
            world.apply(&envelope(
                &mut encoder,
                position(9.0, 31.0),
                f64::from(i) * 0.2,
            ));
        }
        assert!(critical(&world).is_empty());
        world.apply(&envelope(&mut encoder, position(9.01, 31.0), 2.2));
        world.apply(&envelope(&mut encoder, position(9.01, 31.0), 2.4));
        let raised = critical(&world);
        assert_eq!(raised.len(), 1, "{raised:?}");
        assert!(raised[0].contains("GPS JUMP of 1113 m"), "{raised:?}");
        assert!(world.vehicles[&4].integrity.flags.gps_jump.is_some());
    }

    #[test]
    fn two_vehicles_claiming_one_system_id_are_raised() {
        let mut world = World::new();
        let (mut first, mut second) = (FrameEncoder::new(6, 1), FrameEncoder::new(6, 1));
        for _ in 0..100 {
            second
                .encode(
                    &heartbeat(mav::MavType::MAV_TYPE_FIXED_WING),
                    MavVersion::V2,
                )
                .expect("advance its sequence");
        }
        for i in 0..8 {
            world.apply(&envelope(
                &mut first,
                heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
                f64::from(i),
            ));
            world.apply(&envelope(
                &mut second,
                heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
                f64::from(i) + 0.5,
            ));
        }
        let raised = critical(&world);
        assert_eq!(raised.len(), 1, "raised once: {raised:?}");
        assert!(
            raised[0].contains("TWO SENDERS may be using system id 6"),
            "{raised:?}"
        );
    }

    #[test]
    fn a_timesync_answer_measures_the_links_latency() {
        let mut world = World::new();
        let mut encoder = FrameEncoder::new(4, 1);
        world.apply(&envelope(
            &mut encoder,
            heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
            0.0,
        ));
        // We sent at 1.0 s (ts1 in ns); the answer arrives at 1.08 s: 40 ms each way.
        let sent_ns = (1.7e9 + 1.0) as i64 * 1_000_000_000;
        let answer = MavMessage::TIMESYNC(mav::TIMESYNC_DATA {
            tc1: 5,
            ts1: sent_ns,
            target_system: 255,
            target_component: 190,
        });
        world.apply(&envelope(&mut encoder, answer, 1.08));
        let latency = world.vehicles[&4].link_latency.expect("measured");
        assert!((latency.as_secs_f64() - 0.04).abs() < 1e-4, "{latency:?}");
    }

    #[test]
    fn a_position_is_brought_to_the_present_by_its_velocity() {
        let mut world = World::new();
        let mut encoder = FrameEncoder::new(4, 1);
        world.apply(&envelope(
            &mut encoder,
            heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
            0.0,
        ));
        let moving = MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
            lat: e7_from_deg(9.0),
            lon: e7_from_deg(31.0),
            vx: 1000, // 10 m/s north
            hdg: u16::MAX,
            ..Default::default()
        });
        world.apply(&envelope(&mut encoder, moving, 1.0));
        let vehicle = &world.vehicles[&4];
        let now = TimeUs::from_secs_f64(1.7e9 + 2.5);
        let present = vehicle.position_at(now).expect("a position");
        assert!(
            ((present.lat_deg - 9.0) * 111_320.0 - 15.0).abs() < 1e-6,
            "1.5 s at 10 m/s north"
        );
        let later = vehicle
            .position_at(TimeUs::from_secs_f64(1.7e9 + 60.0))
            .expect("a position");
        assert!(
            ((later.lat_deg - 9.0) * 111_320.0 - 30.0).abs() < 1e-6,
            "extrapolated 3 s at most"
        );
    }
}
