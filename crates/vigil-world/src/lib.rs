//! The world model: every drone and sensor node the links have heard, what they last said, and
//! how recently. Owned by the pipeline's world thread, updated one envelope at a time, and read
//! by everyone else through immutable [`Snapshot`]s. Knows nothing of threads or the UI.
//!
//! Entities are discovered from HEARTBEAT: a component with an autopilot is a vehicle (keyed by
//! system id); a `MAV_TYPE_GENERIC` component without one, or anything that sends
//! VIGIL_SENSOR_STATUS, is a sensor node (keyed by system and component id); other ground
//! stations and a vehicle's own gimbal or camera components are not entities of their own.

pub mod command;
mod decode;
pub mod entities;
pub mod events;
pub mod footprint;
pub mod integrity;
pub mod names;
pub mod notices;

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

pub use decode::severity_of;
use decode::{airframe_of, class_hint, finite, measurement_of, sensor_kind, state_name};
pub use entities::*;
pub use events::WorldEvent;
pub use names::Names;
pub use notices::{Notice, NoticeLog, Severity, Source};

use vigil_core::time::TimeUs;
use vigil_link::Envelope;
use vigil_link::{LinkEvent, LinkEventKind};
use vigil_protocol::modes::{Firmware, mode_name};
use vigil_protocol::{MavMessage, deg_from_e7, mav, text_from_chars};

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
    /// What the operator calls each drone and sensor.
    pub names: Arc<Names>,
    /// What changed since the last step returned its events (empty in every snapshot).
    events: Vec<WorldEvent>,
    /// How far cameras' footprints reach (see [`footprint::DEFAULT_CAMERA_RANGE_M`]); zero
    /// means the default.
    camera_range_m: f64,
}

impl World {
    pub fn new() -> Self {
        Self::default()
    }

    fn notify(&mut self, severity: Severity, source: Source, text: String) {
        let notices = Arc::make_mut(&mut self.notices);
        notices.push(self.time, severity, source, text);
        if let Some(notice) = notices.iter().next_back() {
            self.events
                .push(WorldEvent::Notice(Arc::new(notice.clone())));
        }
    }

    /// Adds a notice from outside the model (the station, fusion) at the model's time; its
    /// event comes with the next step's events, or from [`World::take_events`].
    pub fn notify_now(&mut self, severity: Severity, source: Source, text: String) {
        self.notify(severity, source, text);
    }

    /// Sets how far cameras' footprints reach (the alert rules' `coverage.camera_range_m`).
    pub fn set_camera_range_m(&mut self, range_m: f64) {
        self.camera_range_m = range_m;
    }

    /// How far cameras' footprints reach.
    pub fn camera_range_m(&self) -> f64 {
        if self.camera_range_m > 0.0 {
            self.camera_range_m
        } else {
            footprint::DEFAULT_CAMERA_RANGE_M
        }
    }

    /// The events not yet returned by a step (notices added with [`World::notify_now`]).
    pub fn take_events(&mut self) -> Vec<WorldEvent> {
        std::mem::take(&mut self.events)
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

    /// Applies one received frame and says what it changed.
    pub fn apply(&mut self, envelope: &Envelope) -> Vec<WorldEvent> {
        self.apply_frame(envelope);
        self.take_events()
    }

    fn apply_frame(&mut self, envelope: &Envelope) {
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
                let range_m = self.camera_range_m();
                if let Some(entry) = self.vehicles.get_mut(&sysid) {
                    let vehicle = Arc::make_mut(entry);
                    let applied = decode::update_vehicle(vehicle, message, compid, time);
                    if !applied.changed {
                        return;
                    }
                    let due = vehicle
                        .footprint_at
                        .is_none_or(|at| time.since(at) >= footprint::FOOTPRINT_PERIOD);
                    if due {
                        vehicle.footprint =
                            footprint::camera_footprint(vehicle, range_m).map(Arc::new);
                        vehicle.footprint_at = Some(time);
                    }
                    let updated = Arc::clone(entry);
                    self.events.push(WorldEvent::VehicleUpdated(updated));
                    self.report(sysid, applied.finding);
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
                self.events.push(WorldEvent::VehicleFound { sysid });
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
                    self.events.push(WorldEvent::VehicleHealth {
                        sysid,
                        health: Health::Fresh,
                    });
                    self.notify(
                        Severity::Notice,
                        source,
                        format!("vehicle {sysid}: link back"),
                    );
                }
                if previous.1 != armed {
                    self.events.push(WorldEvent::ArmedChanged { sysid, armed });
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
                    self.events.push(WorldEvent::ModeChanged {
                        sysid,
                        mode: mode.to_string(),
                    });
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
            None => {
                self.events.push(WorldEvent::SensorFound { sysid, compid });
                Some((
                    Severity::Info,
                    format!("sensor {sysid}/{compid}: found on {}", envelope.link),
                ))
            }
            Some(node) if node.health != Health::Fresh => {
                self.events.push(WorldEvent::SensorHealth {
                    sysid,
                    compid,
                    health: Health::Fresh,
                });
                Some((
                    Severity::Notice,
                    format!("sensor {sysid}/{compid}: heard again"),
                ))
            }
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
        self.events.push(WorldEvent::SensorStatus {
            sysid: key.0,
            compid: key.1,
            sensor_time_us: status.time_usec,
        });
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
                if node.recent_detections.len() >= RECENT_DETECTIONS {
                    node.recent_detections.pop_front();
                }
                node.recent_detections
                    .push_back((time, class_hint(data.class_hint)));
                (node.position, node.sensing_radius_m)
            } else {
                (None, None)
            };
        let Some(measurement) = measurement_of(data) else {
            return;
        };
        let detection = Detection {
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
        };
        self.events
            .push(WorldEvent::Detection(Arc::new(detection.clone())));
        Arc::make_mut(&mut self.detections).push(detection);
    }

    /// Records a link event as a notice.
    pub fn on_link_event(&mut self, event: &LinkEvent, address: &str) -> Vec<WorldEvent> {
        self.link_event(event, address);
        self.take_events()
    }

    fn link_event(&mut self, event: &LinkEvent, address: &str) {
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

    /// Ages every entity's health to `now` and says what changed.
    pub fn tick(&mut self, now: TimeUs) -> Vec<WorldEvent> {
        self.age(now);
        self.take_events()
    }

    fn age(&mut self, now: TimeUs) {
        self.advance(now);
        let now = self.time;
        let mut changes = Vec::new();
        for (sysid, vehicle) in &mut self.vehicles {
            let health = health_at(now, vehicle.last_heartbeat);
            if health != vehicle.health {
                Arc::make_mut(vehicle).health = health;
                self.events.push(WorldEvent::VehicleHealth {
                    sysid: *sysid,
                    health,
                });
                changes.push((Source::Vehicle(*sysid), format!("vehicle {sysid}"), health));
            }
        }
        for ((sysid, compid), node) in &mut self.sensors {
            let health = health_at(now, node.last_heard);
            if health != node.health {
                Arc::make_mut(node).health = health;
                self.events.push(WorldEvent::SensorHealth {
                    sysid: *sysid,
                    compid: *compid,
                    health,
                });
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
        footprint: None,
        footprint_at: None,
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
        recent_detections: VecDeque::new(),
    }
}

#[cfg(test)]
mod tests;
