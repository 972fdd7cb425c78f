//! Fusion: the world's detections, from drones' cameras and ground sensors, turned into tracks.
//! Each detection is brought into a local East-North-Up plane (origin: the first sensor heard),
//! detections are grouped into scans of [`SCAN_PERIOD`] on the messages' own clock, and each scan
//! goes through the [`Tracker`]; the confirmed tracks come back in latitude and longitude.

pub mod footprint;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nalgebra::{Vector2, Vector3};

use crate::geo::{Geodetic, LocalFrame};
use crate::pipeline::latency::LatencyHistogram;
use crate::time::TimeUs;
use crate::tracking::{self, Measurement, PositionNoise, StepReport, Tracker, TrackerConfig};
use crate::world::{ClassHint, Detection, Vehicle};

/// Detections within this much time of a scan's first one form the scan.
pub const SCAN_PERIOD: Duration = Duration::from_secs(1);
/// Standard deviations assumed when a sensor reports none.
const DEFAULT_POSITION_STD_M: f64 = 10.0;
const DEFAULT_RANGE_STD_M: f64 = 10.0;
const DEFAULT_BEARING_STD_RAD: f64 = 0.05;
const DEFAULT_ZONE_RADIUS_M: f64 = 50.0;

/// A track as readers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackView {
    pub id: u64,
    /// Time of the last update, on the messages' clock.
    pub updated: TimeUs,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub vel_en_mps: [f64; 2],
    /// One-sigma position uncertainty east and north.
    pub std_en_m: [f64; 2],
    pub class: ClassHint,
    pub count: Option<u32>,
}

/// A drone's camera footprint as the snapshot carries it: the outline in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct FootprintView {
    pub sysid: u8,
    /// `(lat_deg, lon_deg)` vertices of the outline, not closed.
    pub outline_deg: Vec<(f64, f64)>,
}

/// How far a footprint shown to the operator reaches along a ray (a camera at the horizon
/// would otherwise see to infinity).
pub const SHOWN_FOOTPRINT_RANGE_M: f64 = 1500.0;

/// Every vehicle's footprint, for the snapshot.
pub fn footprints_of(world: &crate::world::World) -> Vec<FootprintView> {
    world
        .vehicles
        .iter()
        .filter_map(|(sysid, v)| {
            let fp = camera_footprint(v, SHOWN_FOOTPRINT_RANGE_M)?;
            Some(FootprintView {
                sysid: *sysid,
                outline_deg: fp
                    .outline()
                    .iter()
                    .map(|g| (g.lat_rad.to_degrees(), g.lon_rad.to_degrees()))
                    .collect(),
            })
        })
        .collect()
}

/// The ground a vehicle's camera sees now, from its reported position, attitude, gimbal and
/// field of view, over flat ground at its home's altitude. `None` until all of those are known.
pub fn camera_footprint(vehicle: &Vehicle, max_range_m: f64) -> Option<footprint::Footprint> {
    let position = vehicle.position?;
    let attitude = vehicle.attitude?;
    let gimbal = vehicle.gimbal?;
    let camera = vehicle.camera?;
    // Heights only need one datum: the drone's and the ground's above mean sea level.
    let ground_alt_m = vehicle
        .home
        .map_or(position.alt_msl_m - position.alt_rel_home_m, |h| {
            h.alt_msl_m
        });
    let pose = footprint::CameraPose {
        position: Geodetic::from_deg(position.lat_deg, position.lon_deg, position.alt_msl_m),
        vehicle_attitude: footprint::VehicleAttitude {
            roll_rad: attitude.roll_rad,
            pitch_rad: attitude.pitch_rad,
            yaw_rad: attitude.yaw_rad,
        },
        gimbal: footprint::GimbalAttitude {
            roll_rad: gimbal.roll_rad,
            pitch_rad: gimbal.pitch_rad,
            yaw_rad: gimbal.yaw_rad,
            yaw_frame: gimbal.yaw_frame,
        },
        hfov_rad: camera.hfov_rad,
        vfov_rad: camera.vfov_rad,
    };
    footprint::footprint(
        &pose,
        &footprint::FlatTerrain {
            alt_m: ground_alt_m,
        },
        max_range_m,
    )
    .ok()
}

/// Why a detection did not reach the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// It needs the sensor's position, which is not known yet.
    NoSensorPosition,
    /// It is older than the last scan (late over the radio).
    Late,
}

/// The fusion stage; owned by the world thread.
#[derive(Debug)]
pub struct Fusion {
    frame: Option<LocalFrame>,
    tracker: Tracker,
    pending: Vec<tracking::Detection>,
    /// When each pending detection arrived (monotonic), for the latency to its track update.
    pending_arrivals: Vec<Instant>,
    /// From a detection's arrival to the end of the scan that took it into the tracks.
    pub latency: LatencyHistogram,
    scan_start: Option<TimeUs>,
    last_scan: Option<TimeUs>,
    /// Detection clock minus receive clock, µs, from the last detection: the detections' clock
    /// (a sensor's GPS time, the simulator's clock) may differ from the world's.
    clock_offset_us: i64,
    /// Confirmed tracks after the last scan.
    pub confirmed: Arc<Vec<TrackView>>,
    pub skipped: u64,
    pub rejected: u64,
}

impl Default for Fusion {
    fn default() -> Self {
        // The default configuration is a constant that the tracker's tests validate.
        Self::new(TrackerConfig::default())
            .unwrap_or_else(|err| panic!("the default tracker configuration is invalid: {err}"))
    }
}

fn class_of(class: ClassHint) -> tracking::ClassHint {
    match class {
        ClassHint::Unknown => tracking::ClassHint::Unknown,
        ClassHint::Person => tracking::ClassHint::Person,
        ClassHint::Vehicle => tracking::ClassHint::Vehicle,
        ClassHint::Animal => tracking::ClassHint::Animal,
    }
}

fn class_from(class: tracking::ClassHint) -> ClassHint {
    match class {
        tracking::ClassHint::Unknown => ClassHint::Unknown,
        tracking::ClassHint::Person => ClassHint::Person,
        tracking::ClassHint::Vehicle => ClassHint::Vehicle,
        tracking::ClassHint::Animal => ClassHint::Animal,
    }
}

fn or_default(value: f64, default: f64) -> f64 {
    if value.is_finite() && value > 0.0 {
        value
    } else {
        default
    }
}

impl Fusion {
    pub fn new(config: TrackerConfig) -> Result<Self, tracking::TrackingError> {
        Ok(Self {
            frame: None,
            tracker: Tracker::new(config)?,
            pending: Vec::new(),
            pending_arrivals: Vec::new(),
            latency: LatencyHistogram::default(),
            scan_start: None,
            last_scan: None,
            clock_offset_us: 0,
            confirmed: Arc::new(Vec::new()),
            skipped: 0,
            rejected: 0,
        })
    }

    /// The time of the last scan, on the messages' clock.
    pub fn last_scan(&self) -> Option<TimeUs> {
        self.last_scan
    }

    /// `now` (the world's clock) on the detections' own clock, which the tracks' times use.
    pub fn message_time(&self, now: TimeUs) -> TimeUs {
        TimeUs(now.0.saturating_add_signed(self.clock_offset_us))
    }

    /// The local frame, once a detection has fixed its origin.
    pub fn frame(&self) -> Option<&LocalFrame> {
        self.frame.as_ref()
    }

    fn enu(&mut self, lat_deg: f64, lon_deg: f64) -> Vector2<f64> {
        let point = Geodetic::from_deg(lat_deg, lon_deg, 0.0);
        let frame = self.frame.get_or_insert_with(|| LocalFrame::new(point));
        frame.enu_from_geodetic(&point).xy()
    }

    /// Takes one detection that arrived at `arrived` (monotonic). When it starts a new scan
    /// window, the previous scan goes through the tracker first; its report is returned.
    pub fn add(
        &mut self,
        detection: &Detection,
        arrived: Instant,
    ) -> Result<Option<StepReport>, Skipped> {
        let time = detection.time();
        if self.last_scan.is_some_and(|last| time <= last) {
            self.skipped += 1;
            return Err(Skipped::Late);
        }
        let report = match self.scan_start {
            Some(start) if time.since(start) >= SCAN_PERIOD => self.run_scan(),
            _ => None,
        };
        let converted = self.convert(detection).inspect_err(|_| self.skipped += 1)?;
        self.clock_offset_us = time.0 as i64 - detection.received.0 as i64;
        self.scan_start.get_or_insert(time);
        self.pending.push(converted);
        self.pending_arrivals.push(arrived);
        Ok(report)
    }

    /// Runs the scan in progress if its window has passed at `now`, the world's time (so that
    /// tracks coast and are deleted when nothing is detected).
    pub fn tick(&mut self, now: TimeUs) -> Option<StepReport> {
        let now = TimeUs(now.0.saturating_add_signed(self.clock_offset_us));
        match self.scan_start {
            Some(start) if now.since(start) >= SCAN_PERIOD => self.run_scan(),
            None if self
                .last_scan
                .is_some_and(|last| now.since(last) >= SCAN_PERIOD)
                && !self.tracker.tracks().is_empty() =>
            {
                self.step(now, Vec::new())
            }
            _ => None,
        }
    }

    /// Runs the scan in progress now (at the end of a replay).
    pub fn flush(&mut self) -> Option<StepReport> {
        self.run_scan()
    }

    fn run_scan(&mut self) -> Option<StepReport> {
        let detections = std::mem::take(&mut self.pending);
        let start = self.scan_start.take()?;
        let time = detections
            .iter()
            .map(|d| d.time_s)
            .fold(start.as_secs_f64(), f64::max);
        self.step(TimeUs::from_secs_f64(time), detections)
    }

    fn step(&mut self, time: TimeUs, detections: Vec<tracking::Detection>) -> Option<StepReport> {
        let report = self.tracker.step(time.as_secs_f64(), &detections).ok()?;
        let done = Instant::now();
        for arrived in self.pending_arrivals.drain(..) {
            self.latency.record(done.saturating_duration_since(arrived));
        }
        self.rejected += report.rejected.len() as u64;
        self.last_scan = Some(time);
        self.confirmed = Arc::new(self.views());
        Some(report)
    }

    fn views(&self) -> Vec<TrackView> {
        let Some(frame) = &self.frame else {
            return Vec::new();
        };
        self.tracker
            .confirmed_tracks()
            .map(|track| {
                let mean = &track.state.mean;
                let position = frame.geodetic_from_enu(&Vector3::new(mean[0], mean[1], 0.0));
                let covar = &track.state.covar;
                TrackView {
                    id: track.id,
                    updated: TimeUs::from_secs_f64(track.last_update_s),
                    lat_deg: position.lat_deg(),
                    lon_deg: position.lon_deg(),
                    vel_en_mps: [mean[2], mean[3]],
                    std_en_m: [covar[(0, 0)].max(0.0).sqrt(), covar[(1, 1)].max(0.0).sqrt()],
                    class: class_from(track.class),
                    count: track.count,
                }
            })
            .collect()
    }

    fn convert(&mut self, detection: &Detection) -> Result<tracking::Detection, Skipped> {
        use crate::world::Measurement as M;
        let sensor = detection
            .sensor_position
            .map(|p| self.enu(p.lat_deg, p.lon_deg));
        let needs_sensor = !matches!(detection.measurement, M::Position { .. });
        if needs_sensor && sensor.is_none() {
            return Err(Skipped::NoSensorPosition);
        }
        let measurement = match detection.measurement {
            M::Position {
                lat_deg,
                lon_deg,
                horiz_std_m,
            } => Measurement::Position {
                pos_enu_m: self.enu(lat_deg, lon_deg),
                noise: PositionNoise::Isotropic {
                    std_m: or_default(horiz_std_m, DEFAULT_POSITION_STD_M),
                },
            },
            M::RangeBearing {
                range_m,
                range_std_m,
                bearing_rad,
                bearing_std_rad,
            } => Measurement::RangeBearing {
                range_m,
                range_std_m: or_default(range_std_m, DEFAULT_RANGE_STD_M),
                bearing_rad,
                bearing_std_rad: or_default(bearing_std_rad, DEFAULT_BEARING_STD_RAD),
            },
            M::Bearing {
                bearing_rad,
                bearing_std_rad,
            } => Measurement::Bearing {
                bearing_rad,
                bearing_std_rad: or_default(bearing_std_rad, DEFAULT_BEARING_STD_RAD),
            },
            M::Presence { .. } => Measurement::Presence {
                zone_radius_m: or_default(
                    detection.sensor_radius_m.unwrap_or(f64::NAN),
                    DEFAULT_ZONE_RADIUS_M,
                ),
            },
        };
        Ok(tracking::Detection {
            time_s: detection.time().as_secs_f64(),
            sensor_pos_enu_m: sensor.unwrap_or_else(Vector2::zeros),
            measurement,
            class_hint: class_of(detection.class),
            count: (detection.count > 0).then_some(u32::from(detection.count)),
            confidence: detection.confidence,
            source_id: u32::from(detection.sysid) << 8 | u32::from(detection.compid),
        })
    }
}

/// Header of the tracks CSV (`vigil replay --tracks-out`).
pub const TRACKS_HEADER: &str =
    "time_s,track_id,lat_deg,lon_deg,vel_e_mps,vel_n_mps,std_e_m,std_n_m,class,count";

/// Writes the confirmed tracks after each scan as CSV rows, on the messages' own clock.
pub struct TracksWriter {
    out: std::io::BufWriter<std::fs::File>,
}

impl TracksWriter {
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        use std::io::Write;
        let file = std::fs::File::create(path)
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        let mut out = std::io::BufWriter::new(file);
        writeln!(out, "{TRACKS_HEADER}")?;
        Ok(Self { out })
    }

    pub fn write(&mut self, time: TimeUs, tracks: &[TrackView]) -> std::io::Result<()> {
        use std::io::Write;
        for track in tracks {
            let class = match track.class {
                ClassHint::Unknown => "unknown",
                ClassHint::Person => "person",
                ClassHint::Vehicle => "vehicle",
                ClassHint::Animal => "animal",
            };
            writeln!(
                self.out,
                "{:.3},{},{:.7},{:.7},{:.2},{:.2},{:.1},{:.1},{class},{}",
                time.as_secs_f64(),
                track.id,
                track.lat_deg,
                track.lon_deg,
                track.vel_en_mps[0],
                track.vel_en_mps[1],
                track.std_en_m[0],
                track.std_en_m[1],
                track.count.map(|c| c.to_string()).unwrap_or_default()
            )?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        use std::io::Write;
        self.out.flush()
    }
}
