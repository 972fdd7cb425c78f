//! Ground motion-sensor nodes as their kind reports: seismic and PIR sensors say that something
//! is in their zone (and how many), radars give range and bearing, acoustic arrays a bearing;
//! each with a probability of detection, noise, false alarms, a draining battery, and a tamper
//! flag when someone comes within arm's reach.

use super::flat::{FlatFrame, bearing_rad, distance_m};
use super::movers::Mover;
use super::scenario::{MoverKind, SensorKindSpec, SensorSpec};
use vigil_core::rng::Rng;
use vigil_core::time::TimeUs;
use vigil_protocol::{MavMessage, e7_from_deg, mav};

/// A mover closer than this to a node sets its tamper flag.
const TAMPER_DISTANCE_M: f64 = 2.0;
/// Battery drain of a node, percent per hour.
const DRAIN_PCT_PER_HOUR: f64 = 0.5;
/// Range noise of a ground radar (1 sigma).
const RADAR_RANGE_STD_M: f64 = 5.0;
const RADAR_BEARING_STD_DEG: f64 = 1.5;
const ACOUSTIC_BEARING_STD_DEG: f64 = 6.0;

/// A simulated sensor node.
#[derive(Debug, Clone)]
pub struct SensorNode {
    pub spec: SensorSpec,
    pub pos_en_m: [f64; 2],
    pub battery_pct: f64,
    pub tamper: bool,
    /// The sensing element has failed: no more detections.
    pub fault: bool,
    detection_id: u32,
    rng: Rng,
}

impl SensorNode {
    pub fn new(spec: &SensorSpec, frame: &FlatFrame, rng: Rng) -> Self {
        Self {
            pos_en_m: frame.to_en_m(spec.position.lat_deg, spec.position.lon_deg),
            battery_pct: spec.battery_pct,
            tamper: false,
            fault: false,
            detection_id: 0,
            rng,
            spec: spec.clone(),
        }
    }

    fn kind(&self) -> mav::VigilSensorKind {
        match self.spec.kind {
            SensorKindSpec::Seismic => mav::VigilSensorKind::VIGIL_SENSOR_KIND_SEISMIC,
            SensorKindSpec::Pir => mav::VigilSensorKind::VIGIL_SENSOR_KIND_PIR,
            SensorKindSpec::Radar => mav::VigilSensorKind::VIGIL_SENSOR_KIND_RADAR,
            SensorKindSpec::Acoustic => mav::VigilSensorKind::VIGIL_SENSOR_KIND_ACOUSTIC,
        }
    }

    /// Range at which this sensor detects a mover of this kind: vehicles shake the ground and
    /// reflect radar further; animals are smaller.
    fn range_for(&self, kind: MoverKind) -> f64 {
        let factor = match (self.spec.kind, kind) {
            (
                SensorKindSpec::Seismic | SensorKindSpec::Radar | SensorKindSpec::Acoustic,
                MoverKind::Vehicle,
            ) => 2.0,
            (_, MoverKind::Animal) => 0.8,
            _ => 1.0,
        };
        self.spec.radius_m * factor
    }

    /// True when the mover is inside the sensor's range and field of view.
    pub fn covers(&self, mover: &Mover) -> bool {
        if distance_m(self.pos_en_m, mover.pos_en_m) > self.range_for(mover.kind) {
            return false;
        }
        match self.spec.boresight_deg {
            Some(boresight) if self.spec.fov_deg < 360.0 => {
                let off = (bearing_rad(self.pos_en_m, mover.pos_en_m).to_degrees() - boresight
                    + 540.0)
                    .rem_euclid(360.0)
                    - 180.0;
                off.abs() <= self.spec.fov_deg / 2.0
            }
            _ => true,
        }
    }

    /// One report period: the detections of movers in range, and false alarms.
    pub fn report(&mut self, now: TimeUs, movers: &[Mover]) -> Vec<MavMessage> {
        if self.fault {
            return Vec::new();
        }
        let in_view: Vec<&Mover> = movers
            .iter()
            .filter(|m| m.active && self.covers(m))
            .collect();
        self.tamper |= movers
            .iter()
            .any(|m| m.active && distance_m(self.pos_en_m, m.pos_en_m) < TAMPER_DISTANCE_M);
        let mut detected: Vec<&Mover> = Vec::new();
        for mover in in_view {
            if self.rng.chance(self.spec.pd) {
                detected.push(mover);
            }
        }
        let false_alarms = self
            .rng
            .poisson(self.spec.false_alarms_per_hour * self.spec.report_period_s / 3600.0);
        let mut out = Vec::new();
        match self.spec.kind {
            SensorKindSpec::Seismic | SensorKindSpec::Pir => {
                let count = detected.len() as u32 + false_alarms;
                if count > 0 {
                    let class = if detected.iter().any(|m| m.kind == MoverKind::Vehicle) {
                        mav::VigilClassHint::VIGIL_CLASS_VEHICLE
                    } else {
                        mav::VigilClassHint::VIGIL_CLASS_UNKNOWN
                    };
                    out.push(self.detection(
                        now,
                        mav::VigilMeasurementKind::VIGIL_MEASUREMENT_PRESENCE,
                        None,
                        class,
                        count.min(255) as u8,
                    ));
                }
            }
            SensorKindSpec::Radar | SensorKindSpec::Acoustic => {
                for mover in &detected {
                    let range_m = distance_m(self.pos_en_m, mover.pos_en_m);
                    let bearing_deg = bearing_rad(self.pos_en_m, mover.pos_en_m).to_degrees();
                    let class = classify_by_speed(mover);
                    out.push(self.ranged(now, range_m, bearing_deg, class));
                }
                for _ in 0..false_alarms {
                    let range_m = self.rng.range(0.1, 1.0) * self.spec.radius_m;
                    let half = self.spec.fov_deg / 2.0;
                    let bearing_deg =
                        self.spec.boresight_deg.unwrap_or(180.0) + self.rng.range(-half, half);
                    out.push(self.ranged(
                        now,
                        range_m,
                        bearing_deg,
                        mav::VigilClassHint::VIGIL_CLASS_UNKNOWN,
                    ));
                }
            }
        }
        out
    }

    fn ranged(
        &mut self,
        now: TimeUs,
        range_m: f64,
        bearing_deg: f64,
        class: mav::VigilClassHint,
    ) -> MavMessage {
        if self.spec.kind == SensorKindSpec::Radar {
            let range = range_m + self.rng.normal() * RADAR_RANGE_STD_M;
            let bearing = bearing_deg + self.rng.normal() * RADAR_BEARING_STD_DEG;
            self.detection(
                now,
                mav::VigilMeasurementKind::VIGIL_MEASUREMENT_RANGE_BEARING,
                Some((range.max(0.0), bearing)),
                class,
                1,
            )
        } else {
            let bearing = bearing_deg + self.rng.normal() * ACOUSTIC_BEARING_STD_DEG;
            self.detection(
                now,
                mav::VigilMeasurementKind::VIGIL_MEASUREMENT_BEARING,
                Some((f64::NAN, bearing)),
                class,
                1,
            )
        }
    }

    fn detection(
        &mut self,
        now: TimeUs,
        measurement_kind: mav::VigilMeasurementKind,
        range_bearing: Option<(f64, f64)>,
        class_hint: mav::VigilClassHint,
        count: u8,
    ) -> MavMessage {
        let (range_m, bearing_deg) = range_bearing.unwrap_or((f64::NAN, f64::NAN));
        let ranged = range_m.is_finite();
        let (bearing_std, range_std) = match self.spec.kind {
            SensorKindSpec::Radar => (RADAR_BEARING_STD_DEG, RADAR_RANGE_STD_M),
            SensorKindSpec::Acoustic => (ACOUSTIC_BEARING_STD_DEG, f64::NAN),
            _ => (f64::NAN, f64::NAN),
        };
        let id = self.detection_id;
        self.detection_id = self.detection_id.wrapping_add(1);
        MavMessage::VIGIL_DETECTION(mav::VIGIL_DETECTION_DATA {
            time_usec: now.0,
            detection_id: id,
            sensor_kind: self.kind(),
            measurement_kind,
            zone_id: 0,
            range_m: range_m as f32,
            range_std_m: if ranged { range_std as f32 } else { f32::NAN },
            bearing_deg: bearing_deg.rem_euclid(360.0) as f32,
            bearing_std_deg: if bearing_deg.is_finite() {
                bearing_std as f32
            } else {
                f32::NAN
            },
            lat: i32::MAX,
            lon: i32::MAX,
            horiz_std_m: f32::NAN,
            confidence: 70,
            class_hint,
            count,
        })
    }

    /// VIGIL_SENSOR_STATUS, and the battery drained over `elapsed_s`.
    pub fn status(&mut self, now: TimeUs, frame: &FlatFrame, elapsed_s: f64) -> MavMessage {
        self.battery_pct = (self.battery_pct - DRAIN_PCT_PER_HOUR * elapsed_s / 3600.0).max(0.0);
        if self.spec.faults_per_hour > 0.0 {
            self.fault |= self
                .rng
                .chance(self.spec.faults_per_hour * elapsed_s / 3600.0);
        }
        let (lat_deg, lon_deg) = frame.to_lat_lon_deg(self.pos_en_m);
        let mut flags = mav::VigilSensorFlags::empty();
        if self.fault {
            flags |= mav::VigilSensorFlags::VIGIL_SENSOR_FLAGS_FAULT_SENSOR;
        }
        if self.tamper {
            flags |= mav::VigilSensorFlags::VIGIL_SENSOR_FLAGS_TAMPER;
        }
        if self.battery_pct < 15.0 {
            flags |= mav::VigilSensorFlags::VIGIL_SENSOR_FLAGS_LOW_BATTERY;
        }
        MavMessage::VIGIL_SENSOR_STATUS(mav::VIGIL_SENSOR_STATUS_DATA {
            time_usec: now.0,
            sensor_kind: self.kind(),
            lat: e7_from_deg(lat_deg),
            lon: e7_from_deg(lon_deg),
            alt: i32::MAX,
            sensing_radius_m: self.spec.radius_m as f32,
            boresight_deg: self.spec.boresight_deg.map_or(f32::NAN, |b| b as f32),
            fov_deg: self.spec.fov_deg as f32,
            voltage_mv: (3_300.0 + 900.0 * self.battery_pct / 100.0) as u16,
            battery_remaining: self.battery_pct.round() as i8,
            flags,
            detections_total: self.detection_id,
        })
    }

    pub fn heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: mav::MavType::MAV_TYPE_GENERIC,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_INVALID,
            base_mode: mav::MavModeFlag::empty(),
            system_status: mav::MavState::MAV_STATE_ACTIVE,
            mavlink_version: 3,
        })
    }
}

fn classify_by_speed(mover: &Mover) -> mav::VigilClassHint {
    let speed = mover.vel_en_mps[0].hypot(mover.vel_en_mps[1]);
    if speed > 4.0 {
        mav::VigilClassHint::VIGIL_CLASS_VEHICLE
    } else if speed > 0.3 {
        mav::VigilClassHint::VIGIL_CLASS_PERSON
    } else {
        mav::VigilClassHint::VIGIL_CLASS_UNKNOWN
    }
}
