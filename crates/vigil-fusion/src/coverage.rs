//! Where fusion believes its sensors see, handed to the tracker before each scan so that a
//! track's life follows what is observable (`vigil_tracking::delete`): a track inside some
//! coverage that is not detected ends within a few of the sensor's periods, one outside every
//! coverage is kept, marked unobserved, for longer.
//!
//! What counts, and where it comes from (all of it on the messages' own clock, from what
//! fusion is handed in order, so that a replay rebuilds the same tracks):
//! - **Ground sensors that tell targets apart** (ranges and bearings, or bearings: radars,
//!   acoustic arrays): their position and sensing radius come with each of their detections
//!   (the world attaches the node's last status); their field of view is learned from where
//!   they actually see: the bearings of their detections that updated confirmed tracks, in
//!   sectors of 5°, each run of sectors narrowed by one sector at both ends (a bearing error
//!   of a few degrees must not claim the sector beyond the edge). Without a sensing radius,
//!   the farthest such detection's range. A sensor not heard (status or detection) for
//!   [`SILENT_AFTER_S`] covers nothing.
//! - **Drones' cameras**: the footprint the world computes for each drone
//!   ([`SensorCoverage::observe_vehicle`], with each `VehicleUpdated`), for
//!   [`FOOTPRINT_VALID_S`] after it was computed.
//! - **Presence sensors** (PIR, seismic) are left out: one detection stands for everything in
//!   the zone, so a track among several there that gets none was not missed.
//!
//! How often a sensor has a chance to detect a target is its smallest gap between two of its
//! detections, at least one scan ([`crate::SCAN_PERIOD`]) and at most [`MAX_PERIOD_S`]; before
//! any gap, one second. The probability that it does is not known to fusion: it assumes
//! [`RANGED_PD`] for ground sensors and [`CAMERA_PD`] for cameras (a camera's falls with the
//! range and at night), low enough that a target really there is rarely given up on.
//! Coverage that fusion does not know of is not claimed: a track there counts as unobserved and
//! is kept the longer time, never ended early.

use std::collections::BTreeMap;

use nalgebra::Vector2;
use vigil_core::geodesy::LocalFrame;
use vigil_tracking::{self as tracking, CoverageRegion, Region, StepReport, Tracker};

/// A sensor not heard from for this long covers nothing, seconds.
pub const SILENT_AFTER_S: f64 = 30.0;
/// A camera footprint this old no longer counts, seconds (the world computes one at most
/// every 250 ms while the drone's telemetry flows).
pub const FOOTPRINT_VALID_S: f64 = 2.0;
/// The longest period assumed between a sensor's chances to detect, seconds.
pub const MAX_PERIOD_S: f64 = 30.0;
/// The probability of detection assumed for ground sensors that locate targets.
pub const RANGED_PD: f64 = 0.7;
/// The probability of detection assumed for drones' cameras.
pub const CAMERA_PD: f64 = 0.5;
/// Width of a learned field-of-view sector, degrees (72 in a circle).
const SECTOR_DEG: f64 = 5.0;
const SECTORS: u32 = 72;
/// Period assumed before a sensor has shown one, seconds.
const DEFAULT_PERIOD_S: f64 = 1.0;

/// One ground sensor (or camera, by its detections' period only) as fusion has seen it.
#[derive(Debug, Clone, PartialEq)]
struct Seen {
    pos_enu_m: Option<Vector2<f64>>,
    /// The sensing radius its status declares, metres.
    radius_m: Option<f64>,
    /// The farthest range of its detections that updated confirmed tracks, metres.
    max_range_m: f64,
    /// Bit i: a detection at bearings [5i°, 5(i+1)°) updated a confirmed track.
    sectors: u128,
    /// Whether its detections tell targets apart (ranges and bearings, bearings).
    ranged: bool,
    last_heard_s: f64,
    last_detection_s: Option<f64>,
    period_s: Option<f64>,
}

/// A drone's camera footprint in the plane.
#[derive(Debug, Clone, PartialEq)]
struct Footprint {
    outline_enu_m: Vec<Vector2<f64>>,
    at_s: f64,
}

/// What fusion knows of its sensors' and cameras' coverage.
#[derive(Debug, Clone, Default)]
pub struct SensorCoverage {
    sensors: BTreeMap<(u8, u8), Seen>,
    footprints: BTreeMap<u8, Footprint>,
}

fn sector_of(bearing_rad: f64) -> Option<u32> {
    let deg = bearing_rad.to_degrees().rem_euclid(360.0);
    deg.is_finite()
        .then(|| ((deg / SECTOR_DEG) as u32).min(SECTORS - 1))
}

impl SensorCoverage {
    /// Takes a detection of `source` at `time_s` (the messages' clock) as the tracker will
    /// see it; `radius_m` is the sensing radius the sensor declared, if any.
    pub fn on_detection(
        &mut self,
        source: (u8, u8),
        detection: &tracking::Detection,
        sensor_known: bool,
        radius_m: Option<f64>,
    ) {
        let seen = self.sensors.entry(source).or_insert(Seen {
            pos_enu_m: None,
            radius_m: None,
            max_range_m: 0.0,
            sectors: 0,
            ranged: false,
            last_heard_s: detection.time_s,
            last_detection_s: None,
            period_s: None,
        });
        if sensor_known {
            seen.pos_enu_m = Some(detection.sensor_pos_enu_m);
        }
        if let Some(radius_m) = radius_m.filter(|r| r.is_finite() && *r > 0.0) {
            seen.radius_m = Some(radius_m);
        }
        seen.ranged = matches!(
            detection.measurement,
            tracking::Measurement::RangeBearing { .. } | tracking::Measurement::Bearing { .. }
        );
        let time_s = detection.time_s;
        if let Some(last_s) = seen.last_detection_s {
            let gap_s = time_s - last_s;
            // Several detections of one report come at one time: only gaps between reports.
            if gap_s > 0.2 {
                let gap_s = gap_s.clamp(crate::SCAN_PERIOD.as_secs_f64(), MAX_PERIOD_S);
                seen.period_s = Some(seen.period_s.map_or(gap_s, |p| p.min(gap_s)));
            }
        }
        seen.last_detection_s = Some(seen.last_detection_s.map_or(time_s, |l| l.max(time_s)));
        seen.last_heard_s = seen.last_heard_s.max(time_s);
    }

    /// A status (or anything else) from `source` at `time_s`: it is alive.
    pub fn heard(&mut self, source: (u8, u8), time_s: f64) {
        if let Some(seen) = self.sensors.get_mut(&source) {
            seen.last_heard_s = seen.last_heard_s.max(time_s);
        }
    }

    /// Learns where the sensors see from the step's updates of confirmed tracks:
    /// `detections` are the step's input, `tracker` the tracker after it.
    pub fn on_report(
        &mut self,
        report: &StepReport,
        detections: &[tracking::Detection],
        tracker: &Tracker,
    ) {
        let tracks = tracker.tracks();
        for update in &report.updates {
            // Tracks are in creation order, so by id.
            let confirmed = tracks
                .binary_search_by_key(&update.track_id, |t| t.id)
                .is_ok_and(|i| tracks[i].confirmed);
            let Some(detection) = detections.get(update.detection_index) else {
                continue;
            };
            let source = ((detection.source_id >> 8) as u8, detection.source_id as u8);
            let (Some(seen), true) = (self.sensors.get_mut(&source), confirmed) else {
                continue;
            };
            let (bearing_rad, range_m) = match detection.measurement {
                tracking::Measurement::RangeBearing {
                    range_m,
                    bearing_rad,
                    ..
                } => (bearing_rad, range_m),
                tracking::Measurement::Bearing { bearing_rad, .. } => (bearing_rad, 0.0),
                _ => continue,
            };
            if let Some(sector) = sector_of(bearing_rad) {
                seen.sectors |= 1u128 << sector;
            }
            if range_m.is_finite() {
                seen.max_range_m = seen.max_range_m.max(range_m);
            }
        }
    }

    /// A drone's camera footprint (`None`: it sees no ground) computed at `at_s` on the
    /// messages' clock, put in the plane of `frame`.
    pub fn observe_footprint(
        &mut self,
        sysid: u8,
        footprint: Option<&vigil_world::footprint::Footprint>,
        at_s: f64,
        frame: &LocalFrame,
    ) {
        let Some(footprint) = footprint else {
            self.footprints.remove(&sysid);
            return;
        };
        if self.footprints.get(&sysid).is_some_and(|f| f.at_s == at_s) {
            return;
        }
        let outline_enu_m: Vec<Vector2<f64>> = footprint
            .outline()
            .iter()
            .map(|g| frame.enu_from_geodetic(g).xy())
            .collect();
        if outline_enu_m.len() < 3
            || outline_enu_m
                .iter()
                .any(|v| !v.iter().all(|c| c.is_finite()))
        {
            self.footprints.remove(&sysid);
            return;
        }
        self.footprints.insert(
            sysid,
            Footprint {
                outline_enu_m,
                at_s,
            },
        );
    }

    /// The coverage regions that hold at `now_s`, in a fixed order.
    pub fn regions(&self, now_s: f64) -> Vec<CoverageRegion> {
        let mut regions = Vec::new();
        for seen in self.sensors.values() {
            if !seen.ranged || now_s - seen.last_heard_s > SILENT_AFTER_S {
                continue;
            }
            let Some(centre_enu_m) = seen.pos_enu_m else {
                continue;
            };
            let radius_m = seen.radius_m.unwrap_or(seen.max_range_m);
            if radius_m.is_nan() || radius_m <= 0.0 {
                continue;
            }
            let period_s = seen.period_s.unwrap_or(DEFAULT_PERIOD_S);
            for (bearing_rad, half_width_rad) in fields_of_view(seen.sectors) {
                regions.push(CoverageRegion {
                    region: Region::Sector {
                        centre_enu_m,
                        radius_m,
                        bearing_rad,
                        half_width_rad,
                    },
                    period_s,
                    pd: RANGED_PD,
                });
            }
        }
        for (sysid, footprint) in &self.footprints {
            let age_s = now_s - footprint.at_s;
            if age_s.is_nan() || age_s > FOOTPRINT_VALID_S {
                continue;
            }
            // The camera's period is that of the drone's own detections.
            let period_s = self
                .sensors
                .range((*sysid, 0)..=(*sysid, u8::MAX))
                .filter_map(|(_, seen)| seen.period_s)
                .fold(None, |best: Option<f64>, p| {
                    Some(best.map_or(p, |b| b.min(p)))
                })
                .unwrap_or(DEFAULT_PERIOD_S);
            regions.push(CoverageRegion {
                region: Region::Polygon(footprint.outline_enu_m.clone()),
                period_s,
                pd: CAMERA_PD,
            });
        }
        regions.retain(|r| r.validate().is_ok());
        regions
    }
}

/// The fields of view learned in `sectors`: each run of set sectors, narrowed by one sector
/// at both ends, as (middle bearing, half width) in radians; the whole circle as one.
fn fields_of_view(sectors: u128) -> Vec<(f64, f64)> {
    let full = (1u128 << SECTORS) - 1;
    let sectors = sectors & full;
    if sectors == full {
        return vec![(0.0, std::f64::consts::PI)];
    }
    if sectors == 0 {
        return Vec::new();
    }
    // Start the walk at a clear sector, so that no run is split at 0°.
    let start = (0..SECTORS).find(|&i| sectors & (1 << i) == 0).unwrap_or(0);
    let mut fields = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for step in 1..=SECTORS {
        let i = (start + step) % SECTORS;
        let set = sectors & (1 << i) != 0;
        match (&mut run, set) {
            (Some((_, len)), true) => *len += 1,
            (None, true) => run = Some((step, 1)),
            (Some((first, len)), false) => {
                // Narrowed by one sector at each end: runs of one or two sectors claim nothing.
                if *len > 2 {
                    let first_deg = f64::from((start + *first + 1) % SECTORS) * SECTOR_DEG;
                    let width_deg = f64::from(*len - 2) * SECTOR_DEG;
                    fields.push((
                        (first_deg + width_deg / 2.0).to_radians(),
                        (width_deg / 2.0).to_radians(),
                    ));
                }
                run = None;
            }
            (None, false) => {}
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(sectors: impl IntoIterator<Item = u32>) -> u128 {
        sectors.into_iter().fold(0, |acc, s| acc | 1 << s)
    }

    #[test]
    fn learned_fields_of_view_are_runs_narrowed_at_both_ends() {
        assert!(fields_of_view(0).is_empty());
        assert_eq!(
            fields_of_view((1u128 << 72) - 1),
            vec![(0.0, std::f64::consts::PI)]
        );
        // Sectors 10..=19 (50° to 100°): claimed 55° to 95°.
        let fields = fields_of_view(bits(10..=19));
        assert_eq!(fields.len(), 1);
        assert!((fields[0].0.to_degrees() - 75.0).abs() < 1e-9, "{fields:?}");
        assert!((fields[0].1.to_degrees() - 20.0).abs() < 1e-9, "{fields:?}");
        // Across north: 350° to 15° (sectors 70, 71, 0, 1, 2): claimed 355° to 10°.
        let fields = fields_of_view(bits([70, 71, 0, 1, 2]));
        assert_eq!(fields.len(), 1, "{fields:?}");
        let middle = fields[0].0.to_degrees().rem_euclid(360.0);
        assert!((middle - 2.5).abs() < 1e-9, "{fields:?}");
        assert!((fields[0].1.to_degrees() - 7.5).abs() < 1e-9, "{fields:?}");
        // Two runs, and a lone sector that claims nothing.
        assert_eq!(fields_of_view(bits([1, 2, 3, 4, 30, 50, 51, 52])).len(), 2);
    }

    #[test]
    fn a_cameras_footprint_covers_while_fresh_and_a_silent_radar_stops_covering() {
        use vigil_core::geodesy::Geodetic;
        use vigil_world::footprint::{
            CameraPose, FlatTerrain, GimbalAttitude, VehicleAttitude, YawFrame, footprint,
        };
        let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
        // 100 m up, 200 m north of the origin, looking straight down: about 115 m × 83 m.
        let above = frame.geodetic_from_enu(&nalgebra::Vector3::new(0.0, 200.0, 100.0));
        let pose = CameraPose {
            position: above,
            vehicle_attitude: VehicleAttitude::default(),
            gimbal: GimbalAttitude {
                roll_rad: 0.0,
                pitch_rad: -std::f64::consts::FRAC_PI_2,
                yaw_rad: 0.0,
                yaw_frame: YawFrame::Earth,
            },
            hfov_rad: 60f64.to_radians(),
            vfov_rad: 45f64.to_radians(),
        };
        let seen = footprint(&pose, &FlatTerrain { alt_m: 0.0 }, 1000.0).expect("a footprint");
        let mut coverage = SensorCoverage::default();
        coverage.observe_footprint(1, Some(&seen), 10.0, &frame);
        let regions = coverage.regions(11.0);
        assert_eq!(regions.len(), 1);
        assert_eq!((regions[0].period_s, regions[0].pd), (1.0, CAMERA_PD));
        assert!(regions[0].region.contains(Vector2::new(0.0, 200.0), 20.0));
        assert!(!regions[0].region.contains(Vector2::new(0.0, 300.0), 0.0));
        assert!(coverage.regions(12.5).is_empty(), "a stale footprint");
        coverage.observe_footprint(1, None, 13.0, &frame);
        assert!(coverage.regions(13.0).is_empty());

        // A radar heard once, its detections updating confirmed tracks all round.
        let radar = tracking::Detection {
            time_s: 10.0,
            sensor_pos_enu_m: Vector2::new(500.0, 0.0),
            measurement: tracking::Measurement::RangeBearing {
                range_m: 100.0,
                range_std_m: 5.0,
                bearing_rad: 0.0,
                bearing_std_rad: 0.01,
            },
            class_hint: tracking::ClassHint::Unknown,
            count: None,
            confidence: 1.0,
            source_id: (7 << 8) | 1,
        };
        coverage.on_detection((7, 1), &radar, true, Some(250.0));
        coverage.sensors.get_mut(&(7, 1)).expect("known").sectors = (1u128 << SECTORS) - 1;
        let regions = coverage.regions(20.0);
        assert_eq!(regions.len(), 1);
        assert!(regions[0].region.contains(Vector2::new(500.0, 200.0), 10.0));
        assert_eq!(regions[0].pd, RANGED_PD);
        coverage.heard((7, 1), 35.0);
        assert_eq!(coverage.regions(64.0).len(), 1);
        assert!(
            coverage.regions(66.0).is_empty(),
            "silent for more than 30 s"
        );
    }
}
