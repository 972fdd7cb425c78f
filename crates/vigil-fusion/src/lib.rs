//! Fusion: the world's detections, from drones' cameras and ground sensors, turned into tracks.
//! Each detection's time is checked against its sender's clock first ([`clock`]: a stamp far
//! from what the sender's recent readings, or the other senders, predict is set aside, counted
//! and told once per sender); then it is brought into a local East-North-Up plane (origin: the
//! deployment's, [`Fusion::set_origin`], else the first detection), detections are grouped into
//! scans of [`SCAN_PERIOD`] on the messages' own clock (at most [`MAX_PENDING`] a scan), and each
//! scan goes through the [`Tracker`]; the confirmed tracks come back in latitude and longitude.
//!
//! The plane is kept while tracks live in it: the tracker's states are in its metres. Up to
//! [`FAR_FROM_ORIGIN_M`] from the origin a tangent plane is as good as the sensors (ground
//! distances shrink by d²/2R², 3·10⁻⁵ at 50 km; a bearing measured from true north at the sensor
//! differs from the plane's north by the meridian convergence, Δlon·sin(lat): 0.07° at 50 km at
//! 9° N, 0.8° at 60° N — well inside a bearing sensor's 3°); positions are converted back
//! exactly. Beyond it the operator is told once, and the plane is re-centred on the picture as
//! soon as no track lives in the old one (nothing to convert then).

pub mod clock;
pub mod coverage;

use std::sync::Arc;
use std::time::{Duration, Instant};

use nalgebra::{Vector2, Vector3};

use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::latency::LatencyHistogram;
use vigil_core::time::TimeUs;
use vigil_tracking::{
    self as tracking, Coverage, Measurement, PositionNoise, StepReport, Tracker, TrackerConfig,
};
use vigil_world::{ClassHint, Detection};

/// Detections within this much time of a scan's first one form the scan.
pub const SCAN_PERIOD: Duration = Duration::from_secs(1);
/// Detections a scan holds at most; a full scan is run at once (a flood within one second
/// cannot grow memory without bound).
pub const MAX_PENDING: usize = 4096;
/// Beyond this distance from the local plane's origin the operator is told, and the plane is
/// re-centred once no track lives in it, m.
pub const FAR_FROM_ORIGIN_M: f64 = 50_000.0;
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
    /// Whether a sensor or camera could see the track at the last scan: it was detected, or
    /// it lies inside their known coverage (see [`coverage`]). An unobserved track is only a
    /// prediction, kept for a while with a growing uncertainty: the map draws it apart.
    pub observable: bool,
}

/// A drone's camera footprint as the snapshot carries it: the outline in degrees.
#[derive(Debug, Clone, PartialEq)]
pub struct FootprintView {
    pub sysid: u8,
    /// `(lat_deg, lon_deg)` vertices of the outline, not closed.
    pub outline_deg: Vec<(f64, f64)>,
}

/// Every vehicle's footprint (as the world computed it), for the snapshot.
pub fn footprints_of(world: &vigil_world::World) -> Vec<FootprintView> {
    world
        .vehicles
        .iter()
        .filter_map(|(sysid, v)| {
            let fp = v.footprint.as_ref()?;
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

/// Why a detection did not reach the tracker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skipped {
    /// It needs the sensor's position, which is not known yet.
    NoSensorPosition,
    /// It is older than the last scan (late over the radio).
    Late,
    /// Its time does not fit its sender's clock (see [`clock`]); set aside.
    Clock,
}

/// Something the operator should hear about fusion; the world thread makes it a notice.
#[derive(Debug, Clone, PartialEq)]
pub struct FusionNotice {
    /// The sender it is about, if one.
    pub source: Option<(u8, u8)>,
    pub text: String,
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
    /// Confirmed tracks after the last scan.
    pub confirmed: Arc<Vec<TrackView>>,
    pub skipped: u64,
    pub rejected: u64,
    /// The senders' clocks; `clocks.rejected` counts the times set aside.
    pub clocks: clock::Clocks,
    /// Scans the tracker refused, and detections it rejected (both counted here).
    pub tracker_errors: u64,
    /// Kinds of tracker error already told to the operator.
    told_errors: std::collections::BTreeSet<&'static str>,
    /// The operator was told the picture is far from the plane's origin.
    told_far: bool,
    notices: Vec<FusionNotice>,
    /// Where the sensors and cameras see, for the tracks' life.
    coverage: coverage::SensorCoverage,
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
            confirmed: Arc::new(Vec::new()),
            skipped: 0,
            rejected: 0,
            clocks: clock::Clocks::default(),
            tracker_errors: 0,
            told_errors: std::collections::BTreeSet::new(),
            told_far: false,
            notices: Vec::new(),
            coverage: coverage::SensorCoverage::default(),
        })
    }

    /// The time of the last scan, on the messages' clock.
    pub fn last_scan(&self) -> Option<TimeUs> {
        self.last_scan
    }

    /// `now` (the world's receive clock) on the detections' own clock, which the tracks'
    /// times use: the senders' clocks' robust estimate (see [`clock`]), `now` before any.
    pub fn message_time(&self, now: TimeUs) -> TimeUs {
        self.clocks.message_time(now)
    }

    /// The local frame, once the deployment or a detection has fixed its origin.
    pub fn frame(&self) -> Option<&LocalFrame> {
        self.frame.as_ref()
    }

    /// Fixes the local plane's origin (the deployment's area, the first vehicle's home). Moves
    /// an existing plane only while no track lives in it; returns whether the origin is now
    /// there.
    pub fn set_origin(&mut self, lat_deg: f64, lon_deg: f64) -> bool {
        if !(lat_deg.is_finite() && lon_deg.is_finite()) {
            return false;
        }
        // Tracks and the detections waiting for the scan are in the old plane: move only
        // when there are none.
        if self.frame.is_some() && (!self.tracker.tracks().is_empty() || !self.pending.is_empty()) {
            return false;
        }
        self.frame = Some(LocalFrame::new(Geodetic::from_deg(lat_deg, lon_deg, 0.0)));
        self.told_far = false;
        // What was learned of the sensors is in the old plane's metres: learned again.
        self.coverage = coverage::SensorCoverage::default();
        true
    }

    /// The notices for the operator since the last call.
    pub fn take_notices(&mut self) -> Vec<FusionNotice> {
        std::mem::take(&mut self.notices)
    }

    /// Checks the time a sender stamped on anything else than a detection (a sensor node's
    /// status) against its clock, which it then helps to estimate. `time_usec` below 2001 is
    /// a boot clock and says nothing.
    pub fn observe_time(&mut self, sysid: u8, compid: u8, time_usec: u64, received: TimeUs) {
        let heard_s = self.message_time(received).as_secs_f64();
        self.coverage.heard((sysid, compid), heard_s);
        if time_usec < vigil_world::UNIX_TIME_MIN_US {
            return;
        }
        if let Err((rejection, first)) =
            self.clocks
                .check((sysid, compid), TimeUs(time_usec), true, received)
        {
            self.tell_clock((sysid, compid), "status", rejection, first);
        }
    }

    fn tell_clock(
        &mut self,
        source: clock::SourceId,
        what: &str,
        rejection: clock::Rejection,
        first: bool,
    ) {
        if first {
            self.notices.push(FusionNotice {
                source: Some(source),
                text: format!(
                    "sender {}/{}: {what} time {rejection}; set aside, not tracked (further ones counted)",
                    source.0, source.1
                ),
            });
        }
    }

    fn enu(&mut self, lat_deg: f64, lon_deg: f64) -> Vector2<f64> {
        let point = Geodetic::from_deg(lat_deg, lon_deg, 0.0);
        let frame = self.frame.get_or_insert_with(|| LocalFrame::new(point));
        frame.enu_from_geodetic(&point).xy()
    }

    /// Re-centres the plane on a detection far from its origin when no track lives in it, or
    /// tells the operator once that it stays.
    fn follow_picture(&mut self, detection: &Detection) {
        use vigil_world::Measurement as M;
        let (lat_deg, lon_deg) = match (detection.measurement, detection.sensor_position) {
            (
                M::Position {
                    lat_deg, lon_deg, ..
                },
                _,
            ) => (lat_deg, lon_deg),
            (_, Some(p)) => (p.lat_deg, p.lon_deg),
            _ => return,
        };
        let Some(frame) = &self.frame else { return };
        let distance_m = frame
            .enu_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, 0.0))
            .xy()
            .norm();
        // NaN (a bad position) counts as near: nothing to re-centre on.
        if distance_m.is_nan() || distance_m <= FAR_FROM_ORIGIN_M {
            return;
        }
        if self.set_origin(lat_deg, lon_deg) {
            self.notices.push(FusionNotice {
                source: None,
                text: format!(
                    "tracking plane re-centred on {lat_deg:.4},{lon_deg:.4} ({:.0} km from the last origin)",
                    distance_m / 1000.0
                ),
            });
        } else if !self.told_far {
            self.told_far = true;
            self.notices.push(FusionNotice {
                source: Some((detection.sysid, detection.compid)),
                text: format!(
                    "detections {:.0} km from the tracking plane's origin: tracks there are less accurate until the tracks in the old plane end",
                    distance_m / 1000.0
                ),
            });
        }
    }

    /// Takes one detection that arrived at `arrived` (monotonic). When it starts a new scan
    /// window, the previous scan goes through the tracker first; its report is returned.
    pub fn add(
        &mut self,
        detection: &Detection,
        arrived: Instant,
    ) -> Result<Option<StepReport>, Skipped> {
        let time = detection.time();
        let source = (detection.sysid, detection.compid);
        if let Err((rejection, first)) =
            self.clocks
                .check(source, time, detection.has_unix_time(), detection.received)
        {
            self.tell_clock(source, "detection", rejection, first);
            return Err(Skipped::Clock);
        }
        // Taken exactly at the last scan's time (a coasting scan the tick ran at the moment it
        // was taken, or the scan's last detection's time) it still counts: it goes into the
        // next scan, predicted over no time at all.
        if self.last_scan.is_some_and(|last| time < last) {
            self.skipped += 1;
            return Err(Skipped::Late);
        }
        let report = match self.scan_start {
            Some(start) if time.since(start) >= SCAN_PERIOD => self.run_scan(),
            _ => None,
        };
        self.follow_picture(detection);
        let converted = self.convert(detection).inspect_err(|_| self.skipped += 1)?;
        self.coverage.on_detection(
            source,
            &converted,
            detection.sensor_position.is_some(),
            detection.sensor_radius_m,
        );
        self.scan_start.get_or_insert(time);
        self.pending.push(converted);
        self.pending_arrivals.push(arrived);
        if self.pending.len() >= MAX_PENDING {
            return Ok(self.run_scan().or(report));
        }
        Ok(report)
    }

    /// Runs the scan in progress if its window has passed at `now`, the world's time (so that
    /// tracks coast and are deleted when nothing is detected).
    pub fn tick(&mut self, now: TimeUs) -> Option<StepReport> {
        let now = self.message_time(now);
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
        // The regions are checked as they are built: `new` refuses none of them.
        let coverage = Coverage::new(self.coverage.regions(time.as_secs_f64()))
            .unwrap_or_else(|_| Coverage::unknown());
        self.tracker.set_coverage(coverage);
        let report = match self.tracker.step(time.as_secs_f64(), &detections) {
            Ok(report) => report,
            Err(err) => {
                // The scan is lost (the tracker changed nothing); its detections with it.
                self.pending_arrivals.clear();
                self.tracker_error("a scan", &err);
                return None;
            }
        };
        let done = Instant::now();
        for arrived in self.pending_arrivals.drain(..) {
            self.latency.record(done.saturating_duration_since(arrived));
        }
        self.coverage.on_report(&report, &detections, &self.tracker);
        self.rejected += report.rejected.len() as u64;
        for (_, err) in &report.rejected {
            self.tracker_error("a detection", err);
        }
        self.last_scan = Some(time);
        self.confirmed = Arc::new(self.views());
        Some(report)
    }

    /// Counts a tracker error; the first of its kind is told to the operator.
    fn tracker_error(&mut self, what: &str, err: &tracking::TrackingError) {
        self.tracker_errors += 1;
        if self.told_errors.insert(err.kind()) {
            self.notices.push(FusionNotice {
                source: None,
                text: format!(
                    "the tracker refused {what}: {err} (further errors of this kind counted, not told)"
                ),
            });
        }
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
                    // A group track (see `vigil_tracking::group`) stands for its members.
                    count: if track.members > 1 {
                        Some(track.group_size())
                    } else {
                        track.count
                    },
                    observable: track.observable,
                }
            })
            .collect()
    }

    fn convert(&mut self, detection: &Detection) -> Result<tracking::Detection, Skipped> {
        use vigil_world::Measurement as M;
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

/// The deployment's centre from its protected sites' centres `(lat_deg, lon_deg)`: their mean
/// (a mission's sites lie within tens of kilometres, far from the antimeridian).
pub fn origin_of_sites(centres_deg: impl IntoIterator<Item = (f64, f64)>) -> Option<(f64, f64)> {
    let valid: Vec<_> = centres_deg
        .into_iter()
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite())
        .collect();
    if valid.is_empty() {
        return None;
    }
    let n = valid.len() as f64;
    Some((
        valid.iter().map(|c| c.0).sum::<f64>() / n,
        valid.iter().map(|c| c.1).sum::<f64>() / n,
    ))
}

/// Without sites: the first vehicle's home, else the first sensor node's position.
pub fn origin_of_world(world: &vigil_world::World) -> Option<(f64, f64)> {
    world
        .vehicles
        .values()
        .find_map(|v| v.home.map(|h| (h.lat_deg, h.lon_deg)))
        .or_else(|| {
            world
                .sensors
                .values()
                .find_map(|s| s.position.map(|p| (p.lat_deg, p.lon_deg)))
        })
}

impl Fusion {
    /// Fixes the plane's origin from the world (see [`origin_of_world`]) if nothing has yet.
    pub fn origin_from(&mut self, world: &vigil_world::World) {
        if self.frame.is_none()
            && let Some((lat_deg, lon_deg)) = origin_of_world(world)
        {
            self.set_origin(lat_deg, lon_deg);
        }
    }

    /// Takes a drone's state as the world publishes it (each `VehicleUpdated`): its camera's
    /// footprint is coverage (see [`coverage`]).
    pub fn observe_vehicle(&mut self, vehicle: &vigil_world::Vehicle) {
        let Some(at) = vehicle.footprint_at else {
            return;
        };
        let at_s = self.message_time(at).as_secs_f64();
        if let Some(frame) = &self.frame {
            self.coverage.observe_footprint(
                vehicle.sysid,
                vehicle.footprint.as_deref(),
                at_s,
                frame,
            );
        }
    }

    /// Hands the notices to the world as warnings (from the sender when there is one).
    pub fn notify(&mut self, world: &mut vigil_world::World) {
        use vigil_world::{Severity, Source};
        for notice in self.take_notices() {
            let source = notice
                .source
                .map_or(Source::GroundStation, |(sysid, compid)| {
                    Source::Sensor(sysid, compid)
                });
            world.notify_now(Severity::Warning, source, notice.text);
        }
    }
}

/// Header of the tracks CSV (`vigil replay --tracks-out`); `observable` is 1 or 0 (see
/// [`TrackView::observable`]).
pub const TRACKS_HEADER: &str =
    "time_s,track_id,lat_deg,lon_deg,vel_e_mps,vel_n_mps,std_e_m,std_n_m,class,count,observable";

/// The columns of [`TRACKS_HEADER`].
const TRACKS_COLUMNS: [&str; 11] = [
    "time_s",
    "track_id",
    "lat_deg",
    "lon_deg",
    "vel_e_mps",
    "vel_n_mps",
    "std_e_m",
    "std_n_m",
    "class",
    "count",
    "observable",
];

/// Writes the confirmed tracks after each scan as CSV rows (the `csv` crate), on the
/// messages' own clock. Every cell is a number or a class name: no text from outside.
pub struct TracksWriter {
    out: csv::Writer<std::fs::File>,
}

impl TracksWriter {
    pub fn create(path: &std::path::Path) -> std::io::Result<Self> {
        let file = std::fs::File::create(path)
            .map_err(|err| std::io::Error::new(err.kind(), format!("{}: {err}", path.display())))?;
        let mut out = csv::Writer::from_writer(file);
        out.write_record(TRACKS_COLUMNS)?;
        Ok(Self { out })
    }

    pub fn write(&mut self, time: TimeUs, tracks: &[TrackView]) -> std::io::Result<()> {
        for track in tracks {
            let class = match track.class {
                ClassHint::Unknown => "unknown",
                ClassHint::Person => "person",
                ClassHint::Vehicle => "vehicle",
                ClassHint::Animal => "animal",
            };
            self.out.write_record([
                format!("{:.3}", time.as_secs_f64()),
                track.id.to_string(),
                format!("{:.7}", track.lat_deg),
                format!("{:.7}", track.lon_deg),
                format!("{:.2}", track.vel_en_mps[0]),
                format!("{:.2}", track.vel_en_mps[1]),
                format!("{:.1}", track.std_en_m[0]),
                format!("{:.1}", track.std_en_m[1]),
                class.to_owned(),
                track.count.map(|c| c.to_string()).unwrap_or_default(),
                u8::from(track.observable).to_string(),
            ])?;
        }
        Ok(())
    }

    pub fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests;
