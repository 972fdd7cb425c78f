//! The world thread's side of the journal: it turns the world's events (new detections, new
//! notices, a drone's state once a second) and each scan's confirmed tracks into records. Times are the frames' receive times, so a replay of the
//! tlog writes the same detections and tracks.

use std::collections::BTreeMap;

use super::JournalSender;
use super::record::*;
use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_world::{ClassHint, Detection, Measurement, SensorKind, Source, Vehicle, WorldEvent};

/// A drone's state is written at most this often.
pub const VEHICLE_STATE_PERIOD_US: u64 = 1_000_000;

/// Feeds the journal from the world thread.
#[derive(Debug)]
pub struct JournalFeed {
    sender: JournalSender,
    last_state_us: BTreeMap<u8, u64>,
}

impl JournalFeed {
    pub fn new(sender: JournalSender) -> Self {
        Self {
            sender,
            last_state_us: BTreeMap::new(),
        }
    }

    /// A handle for others (the console, the protection module) to write records.
    pub fn sender(&self) -> JournalSender {
        self.sender.clone()
    }

    /// Writes what the world said changed, at `time` (a frame's receive time, or the tick's):
    /// each detection and notice, and a drone's state (as the event carries it) at most every
    /// [`VEHICLE_STATE_PERIOD_US`].
    pub fn on_events(&mut self, events: &[WorldEvent], time: TimeUs) {
        for event in events {
            match event {
                WorldEvent::Detection(detection) => {
                    self.sender
                        .send(JournalRecord::Detection(detection_record(detection, time)));
                }
                WorldEvent::Notice(notice) => {
                    self.sender.send(JournalRecord::Notice(NoticeRecord {
                        time_us: notice.time.0,
                        severity: notice.severity.label().to_owned(),
                        source: source_name(&notice.source),
                        text: notice.text.clone(),
                    }));
                }
                WorldEvent::VehicleUpdated(vehicle) => self.vehicle_state(vehicle, time),
                _ => {}
            }
        }
    }

    fn vehicle_state(&mut self, vehicle: &Vehicle, time: TimeUs) {
        let sysid = vehicle.sysid;
        let due = self
            .last_state_us
            .get(&sysid)
            .is_none_or(|last| time.0 >= last.saturating_add(VEHICLE_STATE_PERIOD_US));
        if due && let Some(state) = vehicle_state(vehicle, time) {
            self.last_state_us.insert(sysid, time.0);
            self.sender.send(JournalRecord::VehicleState(state));
        }
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
    let footprint = vehicle.footprint.as_deref();
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
