//! The world thread's side of the journal: after each frame and each scan it turns what
//! changed in the world (a drone's state, once a second; new detections; new notices; the
//! confirmed tracks) into records. Times are the frames' receive times, so a replay of the
//! tlog writes the same detections and tracks.

use std::collections::BTreeMap;

use super::JournalSender;
use super::record::*;
use crate::fusion::{TrackView, camera_footprint};
use crate::geo::{Geodetic, LocalFrame};
use crate::time::TimeUs;
use crate::world::{ClassHint, Detection, Measurement, SensorKind, Source, Vehicle, World};

/// A drone's state is written at most this often.
pub const VEHICLE_STATE_PERIOD_US: u64 = 1_000_000;
/// The footprint is cut at this slant range (metres).
pub const FOOTPRINT_MAX_RANGE_M: f64 = 2_000.0;

/// Feeds the journal from the world thread.
#[derive(Debug)]
pub struct JournalFeed {
    sender: JournalSender,
    last_state_us: BTreeMap<u8, u64>,
    detections_seen: u64,
    next_notice: u64,
}

impl JournalFeed {
    pub fn new(sender: JournalSender) -> Self {
        Self {
            sender,
            last_state_us: BTreeMap::new(),
            detections_seen: 0,
            next_notice: 0,
        }
    }

    /// A handle for others (the console, the protection module) to write records.
    pub fn sender(&self) -> JournalSender {
        self.sender.clone()
    }

    /// After the world applied a frame from `sysid` received at `rx_time`.
    pub fn after_frame(&mut self, world: &World, sysid: u8, rx_time: TimeUs) {
        let total = world.detections.total();
        if total > self.detections_seen {
            let new = usize::try_from(total - self.detections_seen).unwrap_or(usize::MAX);
            let fresh: Vec<&Detection> = world.detections.iter().rev().take(new).collect();
            for detection in fresh.into_iter().rev() {
                self.sender.send(JournalRecord::Detection(detection_record(
                    detection, rx_time,
                )));
            }
            self.detections_seen = total;
        }
        if let Some(vehicle) = world.vehicles.get(&sysid) {
            let due = self
                .last_state_us
                .get(&sysid)
                .is_none_or(|last| rx_time.0 >= last.saturating_add(VEHICLE_STATE_PERIOD_US));
            if due && let Some(state) = vehicle_state(vehicle, rx_time) {
                self.last_state_us.insert(sysid, rx_time.0);
                self.sender.send(JournalRecord::VehicleState(state));
            }
        }
        self.notices(world);
    }

    /// Writes notices given since the last call.
    pub fn notices(&mut self, world: &World) {
        for notice in world.notices.since(self.next_notice) {
            self.sender.send(JournalRecord::Notice(NoticeRecord {
                time_us: notice.time.0,
                severity: notice.severity.label().to_owned(),
                source: source_name(&notice.source),
                text: notice.text.clone(),
            }));
        }
        self.next_notice = world.notices.next_seq();
    }

    /// After a scan at `time` (messages' clock): the confirmed tracks.
    pub fn tracks(&mut self, time: TimeUs, tracks: &[TrackView]) {
        for track in tracks {
            self.sender.send(JournalRecord::Track(TrackRecord {
                time_us: time.0,
                track_id: track.id,
                lat_deg: track.lat_deg,
                lon_deg: track.lon_deg,
                vel_e_mps: track.vel_en_mps[0],
                vel_n_mps: track.vel_en_mps[1],
                std_e_m: track.std_en_m[0],
                std_n_m: track.std_en_m[1],
                class: class_name(track.class).to_owned(),
                count: track.count,
            }));
        }
    }
}

fn source_name(source: &Source) -> String {
    match source {
        Source::Vehicle(sysid) => format!("vehicle {sysid}"),
        Source::Sensor(sysid, compid) => format!("sensor {sysid}/{compid}"),
        Source::Link(link) => link.to_string(),
        Source::GroundStation => "ground station".to_owned(),
    }
}

pub fn class_name(class: ClassHint) -> &'static str {
    match class {
        ClassHint::Unknown => "unknown",
        ClassHint::Person => "person",
        ClassHint::Vehicle => "vehicle",
        ClassHint::Animal => "animal",
    }
}

fn vehicle_state(vehicle: &Vehicle, time: TimeUs) -> Option<VehicleState> {
    let position = vehicle.position?;
    finite(position.lat_deg)?;
    finite(position.lon_deg)?;
    let footprint = camera_footprint(vehicle, FOOTPRINT_MAX_RANGE_M);
    Some(VehicleState {
        time_us: time.0,
        sysid: vehicle.sysid,
        airframe: format!("{:?}", vehicle.airframe),
        lat_deg: position.lat_deg,
        lon_deg: position.lon_deg,
        alt_msl_m: finite(position.alt_msl_m),
        alt_rel_home_m: finite(position.alt_rel_home_m),
        heading_deg: position.heading_rad.and_then(|h| finite(h.to_degrees())),
        groundspeed_mps: finite(position.vel_ned_mps[0].hypot(position.vel_ned_mps[1])),
        mode: vehicle.mode.to_string(),
        armed: vehicle.armed,
        footprint_area_m2: footprint.as_ref().and_then(|f| finite(f.area_m2)),
        footprint: footprint.map(|f| {
            f.outline()
                .iter()
                .map(|p| [p.lon_deg(), p.lat_deg()])
                .collect()
        }),
    })
}

fn sensor_kind_name(kind: SensorKind) -> String {
    kind.label().to_lowercase()
}

/// The detection as a record; the target's point from its measurement when it gives one.
pub fn detection_record(d: &Detection, time: TimeUs) -> DetectionRecord {
    let sensor = d
        .sensor_position
        .filter(|p| p.lat_deg.is_finite() && p.lon_deg.is_finite());
    let (measurement, point, range_m, bearing_deg) = match d.measurement {
        Measurement::Position {
            lat_deg, lon_deg, ..
        } => ("position", Some((lat_deg, lon_deg)), None, None),
        Measurement::RangeBearing {
            range_m,
            bearing_rad,
            ..
        } => {
            let point = sensor.map(|s| {
                let frame = LocalFrame::new(Geodetic::from_deg(s.lat_deg, s.lon_deg, 0.0));
                let p = frame.geodetic_from_enu(&nalgebra::Vector3::new(
                    range_m * bearing_rad.sin(),
                    range_m * bearing_rad.cos(),
                    0.0,
                ));
                (p.lat_deg(), p.lon_deg())
            });
            (
                "range_bearing",
                point,
                finite(range_m),
                finite(bearing_rad.to_degrees()),
            )
        }
        Measurement::Bearing { bearing_rad, .. } => (
            "bearing",
            sensor.map(|s| (s.lat_deg, s.lon_deg)),
            None,
            finite(bearing_rad.to_degrees()),
        ),
        Measurement::Presence { .. } => (
            "presence",
            sensor.map(|s| (s.lat_deg, s.lon_deg)),
            None,
            None,
        ),
    };
    let point = point.filter(|(lat, lon)| lat.is_finite() && lon.is_finite());
    DetectionRecord {
        time_us: time.0,
        sensor_time_us: d.sensor_time_us,
        sysid: d.sysid,
        compid: d.compid,
        detection_id: d.detection_id,
        sensor_kind: sensor_kind_name(d.sensor_kind),
        measurement: measurement.to_owned(),
        lat_deg: point.map(|p| p.0),
        lon_deg: point.map(|p| p.1),
        range_m,
        bearing_deg,
        sensor_lat_deg: sensor.map(|s| s.lat_deg),
        sensor_lon_deg: sensor.map(|s| s.lon_deg),
        class: class_name(d.class).to_owned(),
        count: d.count,
        confidence: finite(d.confidence).unwrap_or(0.0),
    }
}
