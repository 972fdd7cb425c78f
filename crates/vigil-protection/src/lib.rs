//! Protection of civilians: the places to protect (villages, camps, schools, clinics, markets,
//! water points) with their buffers, restricted and no-fly areas, the alert rules that watch
//! the tracks, sensor nodes and drones around them, the operator's alert workflow, coverage
//! (how long each place has gone unseen), "send a drone", incidents and community reports, and
//! redaction before anything is shared. The world thread owns one [`Protection`], steps it
//! once a second on the messages' clock after fusion, and publishes its [`ProtectionView`] in
//! each snapshot; clients act on it with [`ProtectionRequest`]s through the `GroundStation`.
//! No threads and no UI here; time is passed in.

// Long: the protection layer's state and its requests (the alert workflow, dispatch, incidents, reports) with the view it publishes; the rules, coverage, dispatch and reports live in their own modules.

pub mod acled;
pub mod alerts;
pub mod contacts;
pub mod corroborate;
pub mod coverage;
pub mod dispatch;
pub mod engine;
pub mod events;
pub mod history;
pub mod imports;
pub mod patrol;
pub mod predict;
pub mod redact;
pub mod reports;
pub mod rules;
pub mod sites;
pub mod sms;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crossbeam_channel::Sender;

use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_world::command::Request;
use vigil_world::{Health, World};

pub use alerts::{
    Alert, AlertBook, AlertChange, AlertKey, AlertSeverity, AlertState, Annotation, Cause, Finding,
    RuleKind, Subject, Transition,
};
pub use coverage::{CoverageGrid, CoverageView};
pub use dispatch::{DispatchRecord, DispatchState, DispatchTarget, DispatchUpdate};
pub use events::{Note, ProtectionEvent, RecordChange};
pub use redact::RedactionLevel;
pub use reports::{
    Casualties, CommunityReport, Confidence, Incident, NewIncident, NewReport, Verdict,
    Verification,
};
pub use rules::RulesConfig;
pub use sites::{AreaKind, RestrictedArea, Site, SiteCategory, SiteId, SiteSet};

/// How often the rules and the coverage run, on the messages' clock.
pub const STEP_PERIOD_S: f64 = 1.0;
/// A clock jump larger than this (backwards, or forwards) restarts coverage: the source of
/// time changed (the first detection brings the messages' clock).
const CLOCK_JUMP_S: f64 = 3600.0;
/// Without sites, the coverage grid spans this far around the first thing heard, m.
const DEFAULT_HALF_EXTENT_M: f64 = 5000.0;
/// A site with a buffer is observed when each side it can be approached from has been
/// watched: the edge of its buffer (where the patrol planner puts its approach points) in
/// this many bearing sectors round its centre, each watched when any of its cells is. So the
/// time a site has gone unobserved is the longest any approach to it has (issue #18), and a
/// patrol loop's round is what brings it back to zero.
pub const APPROACH_SECTORS: usize = 8;
/// How far apart the buffer's edge is sampled, m (at least one cell).
const APPROACH_SPACING_M: f64 = 100.0;

/// A WGS84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatLon {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

impl LatLon {
    pub fn is_valid(&self) -> bool {
        (-90.0..=90.0).contains(&self.lat_deg) && (-180.0..=180.0).contains(&self.lon_deg)
    }
}

/// Everything that can go wrong in this module; each names its file and place.
#[derive(Debug, thiserror::Error)]
pub enum ProtectionError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{file}: line {line}: not JSON: {reason}")]
    Json {
        file: String,
        line: usize,
        reason: String,
    },
    #[error("{file}: feature {feature}: {field}: {reason}")]
    Feature {
        file: String,
        feature: String,
        field: String,
        reason: String,
    },
    #[error("{file}: {field}{}{reason}", if field.is_empty() { "" } else { ": " })]
    Rules {
        file: String,
        field: String,
        reason: String,
    },
    #[error("{file}: {place}: {field}{}{reason}", if field.is_empty() { "" } else { ": " })]
    Report {
        file: String,
        place: String,
        field: String,
        reason: String,
    },
    #[error("{what}: {field}: {reason}")]
    Invalid {
        what: String,
        field: String,
        reason: String,
    },
    #[error("no alert {0}")]
    NoSuchAlert(u64),
    #[error("no report {0}")]
    NoSuchReport(u64),
    #[error("no incident {0}")]
    NoSuchIncident(u64),
    #[error("no site {0}")]
    NoSuchSite(u32),
    #[error("alert {id}: {reason}")]
    Workflow { id: u64, reason: String },
    #[error("the ground station has shut down")]
    Closed,
}

/// Where alert rules and coverage stand, how long each site has gone unseen.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteUnobserved {
    pub site: SiteId,
    pub name: String,
    /// Seconds since any camera footprint or sensor range covered it (since the start when
    /// never).
    pub unobserved_s: f64,
    pub last_observed: Option<TimeUs>,
}

/// A tripwire as drawn: its name and ends (when both sensor nodes have reported positions).
#[derive(Debug, Clone, PartialEq)]
pub struct TripwireView {
    pub name: String,
    pub from_sensor: u8,
    pub to_sensor: u8,
    pub ends: Option<(LatLon, LatLon)>,
}

/// What the console draws and lists; published in each snapshot, replaced only when it
/// changed, cheap to clone (its lists are shared).
#[derive(Debug, Clone, Default)]
pub struct ProtectionView {
    /// Increases with each change.
    pub revision: u64,
    /// The protection's clock (the messages' clock) at its last step.
    pub time: TimeUs,
    /// Whether it is night by the rules' night setting.
    pub night: bool,
    pub sites: Arc<Vec<Site>>,
    pub areas: Arc<Vec<RestrictedArea>>,
    pub tripwires: Arc<Vec<TripwireView>>,
    /// Every alert kept, oldest first.
    pub alerts: Arc<Vec<Alert>>,
    pub coverage: CoverageView,
    /// The local plane the coverage grid lies in.
    pub frame: Option<LocalFrame>,
    /// Sites, longest unobserved first.
    pub unobserved: Arc<Vec<SiteUnobserved>>,
    pub incidents: Arc<Vec<Incident>>,
    pub reports: Arc<Vec<CommunityReport>>,
    pub dispatches: Arc<Vec<DispatchRecord>>,
    /// Where each mover from outside is heading, soonest arrival first.
    pub approaches: Arc<Vec<ApproachView>>,
    /// Alerts a drone is on whose movers have parted, with the movers no drone is near.
    pub unwatched: Arc<Vec<UnwatchedMovers>>,
    /// The area's roads, tracks and paths (the patrol planner watches the ways in).
    pub ways: Arc<Vec<predict::Way>>,
    /// The rules' flight figures (endurance, reserve), for the planner's battery estimate.
    pub dispatch: Arc<rules::DispatchConfig>,
}

/// Movers of an alert a drone is on that no drone watches: seen within
/// [`dispatch::TRACK_LOST_S`] and more than [`dispatch::UNWATCHED_M`] from where every drone
/// under way looks (the track it follows, else where it is sent). Two groups converging on a
/// village make one intrusion, a gathering breaks up: another drone sent to the alert goes to
/// these (see `Protection::send_drone`).
#[derive(Debug, Clone, PartialEq)]
pub struct UnwatchedMovers {
    pub alert: u64,
    /// The one nearest the alert's position, where and when it was last seen.
    pub track: u64,
    pub position: LatLon,
    pub seen: TimeUs,
}

/// A predicted approach (see `predict.rs`): a mover from outside heading for a site.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproachView {
    pub track: u64,
    pub site: SiteId,
    /// The way it follows there, if any.
    pub way: Option<String>,
    pub speed_mps: f64,
    /// Time to the site's buffer from the protection's step, with its earliest and latest.
    pub arrival_s: f64,
    pub earliest_s: f64,
    pub latest_s: f64,
    /// From the track to where it enters the buffer.
    pub path: Vec<LatLon>,
}

impl ProtectionView {
    /// The centre of coverage cell (`col`, `row`).
    pub fn cell_centre(&self, col: usize, row: usize) -> Option<LatLon> {
        let frame = self.frame.as_ref()?;
        let c = &self.coverage;
        Some(sites::latlon_of(
            frame,
            [
                c.sw_corner_en_m[0] + (col as f64 + 0.5) * c.cell_m,
                c.sw_corner_en_m[1] + (row as f64 + 0.5) * c.cell_m,
            ],
        ))
    }

    /// The south-west and north-east corners of a coverage cell.
    pub fn cell_corners(&self, col: usize, row: usize) -> Option<[LatLon; 2]> {
        let frame = self.frame.as_ref()?;
        let c = &self.coverage;
        let sw_en_m = [
            c.sw_corner_en_m[0] + col as f64 * c.cell_m,
            c.sw_corner_en_m[1] + row as f64 * c.cell_m,
        ];
        Some([
            sites::latlon_of(frame, sw_en_m),
            sites::latlon_of(frame, [sw_en_m[0] + c.cell_m, sw_en_m[1] + c.cell_m]),
        ])
    }

    /// Alerts not resolved, most severe and then newest first.
    pub fn open_alerts(&self) -> Vec<&Alert> {
        let mut open: Vec<&Alert> = self
            .alerts
            .iter()
            .filter(|a| a.state != AlertState::Resolved)
            .collect();
        open.sort_by(|a, b| b.severity.cmp(&a.severity).then(b.id.cmp(&a.id)));
        open
    }
}

/// What a client asks of the protection state, through the world thread.
#[derive(Debug)]
pub enum ProtectionRequest {
    Acknowledge {
        alert: u64,
        by: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    Assign {
        alert: u64,
        by: String,
        to: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    Annotate {
        alert: u64,
        author: String,
        text: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    Resolve {
        alert: u64,
        by: String,
        resolution: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    /// Which drone "send a drone" would take, how long it would take, and why not the
    /// others: for the operator to confirm before anything moves.
    PlanDispatch {
        target: DispatchTarget,
        reply: Sender<Result<dispatch::DispatchPlan, String>>,
    },
    /// End the dispatch under way with `drone`, which is free again (the patrol keeper takes
    /// back a drone it cued once the warning is over); the answer is the dispatch's id.
    ReleaseDrone {
        drone: u8,
        reply: Sender<Result<u64, String>>,
    },
    /// Send a drone to orbit the target and look at it: `drone`, as the operator confirmed
    /// it, or (`None`) the suitable one that gets there first.
    SendDrone {
        target: DispatchTarget,
        by: String,
        drone: Option<u8>,
        reply: Sender<DispatchUpdate>,
    },
    RecordIncident {
        incident: NewIncident,
        by: String,
        reply: Sender<Result<u64, ProtectionError>>,
    },
    VerifyIncident {
        incident: u64,
        by: String,
        verdict: Verdict,
        /// How it was checked, or why it was rejected.
        reason: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    /// Reports already read and checked (the client reads files, not the world thread).
    AddReports {
        reports: Vec<NewReport>,
        reply: Sender<Result<Vec<u64>, ProtectionError>>,
    },
    VerifyReport {
        report: u64,
        by: String,
        verdict: Verdict,
        /// How it was checked, or why it was rejected.
        reason: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
    /// A report's contact, for a call-back; the reveal is recorded, who and when.
    RevealContact {
        report: u64,
        by: String,
        reply: Sender<Result<String, ProtectionError>>,
    },
    /// An operator's note for the record (its time is the protection state's: the messages'
    /// clock, as the alerts' and reports' are).
    AddNote {
        author: String,
        position: Option<LatLon>,
        text: String,
        reply: Sender<Result<(), ProtectionError>>,
    },
}

/// The protection state, owned by the world thread.
#[derive(Debug)]
pub struct Protection {
    rules: RulesConfig,
    frame: Option<LocalFrame>,
    sites: Arc<Vec<Site>>,
    areas: Arc<Vec<RestrictedArea>>,
    shapes: Vec<sites::PlaneShape>,
    area_shapes: Vec<sites::PlaneShape>,
    is_point: Vec<bool>,
    area_outlines: Vec<Vec<Vec<LatLon>>>,
    /// Each site's cells in groups: the site is observed when each group has been (its
    /// approaches, see [`APPROACH_SECTORS`]), when any has for a site without a buffer.
    site_cells: Vec<Vec<Vec<usize>>>,
    coverage: Option<CoverageGrid>,
    started: Option<TimeUs>,
    last_step: Option<TimeUs>,
    now: TimeUs,
    night: bool,
    book: AlertBook,
    history: history::TrackHistory,
    /// The area's roads, tracks and paths, and in the plane once it is fixed.
    ways: Arc<Vec<predict::Way>>,
    plane_ways: Vec<predict::PlaneWay>,
    predictions: Vec<predict::PlanePrediction>,
    /// Where each track from outside was last predicted to enter a site's buffer (the site's
    /// index, the point), and when: a drone sent to an approach goes there even once nothing
    /// predicts the movers' way any more (a camera that passed them lost them).
    entries: std::collections::BTreeMap<u64, (usize, [f64; 2], TimeUs)>,
    incidents: Vec<Incident>,
    reports: Vec<CommunityReport>,
    next_incident: u64,
    next_report: u64,
    dispatcher: dispatch::Dispatcher,
    /// Each tripwire's ends as the sensor nodes last reported them.
    tripwire_ends: Vec<Option<(LatLon, LatLon)>>,
    view: Arc<ProtectionView>,
    changed: bool,
    events: events::EventQueue,
    /// The reporters' contacts, outside the view.
    contacts: contacts::ContactBook,
}

impl Default for Protection {
    fn default() -> Self {
        Self::new(SiteSet::default(), RulesConfig::default())
    }
}

impl Protection {
    /// Sites (their buffers are computed here) and rules.
    pub fn new(set: SiteSet, rules: RulesConfig) -> Self {
        let is_point: Vec<bool> = set
            .sites
            .iter()
            .map(|s| s.outline.len() == 1 && s.outline[0].len() == 1)
            .collect();
        let area_outlines = set.areas.iter().map(|a| a.outline.clone()).collect();
        let mut protection = Self {
            view: Arc::new(ProtectionView {
                dispatch: Arc::new(rules.dispatch.clone()),
                ..ProtectionView::default()
            }),
            rules,
            frame: None,
            sites: Arc::new(set.sites),
            areas: Arc::new(set.areas),
            shapes: Vec::new(),
            area_shapes: Vec::new(),
            is_point,
            area_outlines,
            site_cells: Vec::new(),
            coverage: None,
            started: None,
            last_step: None,
            now: TimeUs::default(),
            night: false,
            book: AlertBook::default(),
            history: history::TrackHistory::default(),
            ways: Arc::default(),
            plane_ways: Vec::new(),
            predictions: Vec::new(),
            entries: std::collections::BTreeMap::new(),
            incidents: Vec::new(),
            reports: Vec::new(),
            next_incident: 0,
            next_report: 0,
            dispatcher: dispatch::Dispatcher::default(),
            tripwire_ends: Vec::new(),
            changed: true,
            events: events::EventQueue::default(),
            contacts: contacts::ContactBook::new(),
        };
        let centre = SiteSet {
            sites: protection.sites.to_vec(),
            areas: protection.areas.to_vec(),
        }
        .centre();
        if let Some(centre) = centre {
            protection.place(centre);
        }
        protection.publish();
        protection
    }

    /// The built-in demo: the demo area's sites and the default rules.
    pub fn demo() -> Self {
        Self::new(SiteSet::demo(), RulesConfig::builtin()).with_ways(predict::demo_ways())
    }

    /// The area's roads, tracks and paths, along which approaches are predicted.
    pub fn with_ways(mut self, ways: Vec<predict::Way>) -> Self {
        self.ways = Arc::new(ways);
        if let Some(frame) = &self.frame {
            self.plane_ways = predict::plane_ways(frame, &self.ways);
        }
        self.publish();
        self
    }

    pub fn rules(&self) -> &RulesConfig {
        &self.rules
    }

    pub fn book(&self) -> &AlertBook {
        &self.book
    }

    /// Fixes the local plane at `origin` and places the sites in it.
    fn place(&mut self, origin: LatLon) {
        let frame = LocalFrame::new(Geodetic::from_deg(origin.lat_deg, origin.lon_deg, 0.0));
        self.shapes = self
            .sites
            .iter()
            .zip(&self.is_point)
            .map(|(s, is_point)| sites::plane_shape(&frame, &s.outline, *is_point))
            .collect();
        self.area_shapes = self
            .area_outlines
            .iter()
            .map(|outline| sites::plane_shape(&frame, outline, false))
            .collect();
        let sites: Vec<Site> = self
            .sites
            .iter()
            .zip(&self.shapes)
            .map(|(site, shape)| {
                let mut site = site.clone();
                site.buffer = sites::buffer_rings(shape, site.buffer_m)
                    .iter()
                    .map(|ring| ring.iter().map(|p| sites::latlon_of(&frame, *p)).collect())
                    .collect();
                site
            })
            .collect();
        self.history
            .set_buffers(sites.iter().map(|site| site.buffer_m).collect());
        self.sites = Arc::new(sites);
        self.plane_ways = predict::plane_ways(&frame, &self.ways);
        self.frame = Some(frame);
    }

    /// The grid over the sites' buffers and the margin (or around the origin without sites).
    fn make_grid(&mut self, epoch: TimeUs) {
        let margin = self.rules.coverage.margin_m;
        let (mut min, mut max) = ([f64::INFINITY; 2], [f64::NEG_INFINITY; 2]);
        for (site, shape) in self.sites.iter().zip(&self.shapes) {
            for p in shape.rings.iter().flatten() {
                for axis in 0..2 {
                    min[axis] = min[axis].min(p[axis] - site.buffer_m);
                    max[axis] = max[axis].max(p[axis] + site.buffer_m);
                }
            }
        }
        for p in self
            .area_shapes
            .iter()
            .flat_map(|s| s.rings.iter().flatten())
        {
            for axis in 0..2 {
                min[axis] = min[axis].min(p[axis]);
                max[axis] = max[axis].max(p[axis]);
            }
        }
        if !min[0].is_finite() {
            min = [-DEFAULT_HALF_EXTENT_M; 2];
            max = [DEFAULT_HALF_EXTENT_M; 2];
        }
        let grid = CoverageGrid::new(
            [min[0] - margin, min[1] - margin],
            [max[0] + margin, max[1] + margin],
            self.rules.coverage.cell_m,
            epoch,
        );
        self.site_cells = self
            .shapes
            .iter()
            .zip(self.sites.iter())
            .map(|(shape, site)| site_cells(&grid, shape, site.buffer_m))
            .collect();
        self.coverage = Some(grid);
    }

    /// Runs a step if [`STEP_PERIOD_S`] has passed on the messages' clock; returns the alerts
    /// raised (or raised again).
    pub fn tick(&mut self, world: &World, tracks: &[TrackView], now: TimeUs) -> Vec<u64> {
        if let Some(last) = self.last_step {
            let ahead_s = now.as_secs_f64() - last.as_secs_f64();
            if (0.0..STEP_PERIOD_S).contains(&ahead_s) {
                return Vec::new();
            }
        }
        self.step(world, tracks, now)
    }

    /// Updates coverage and runs every rule at `now` (the messages' clock).
    pub fn step(&mut self, world: &World, tracks: &[TrackView], now: TimeUs) -> Vec<u64> {
        if self.frame.is_none() {
            let origin = world
                .sensors
                .values()
                .find_map(|s| s.position)
                .or_else(|| world.vehicles.values().find_map(|v| v.home))
                .map(|p| LatLon {
                    lat_deg: p.lat_deg,
                    lon_deg: p.lon_deg,
                })
                .or_else(|| {
                    tracks.first().map(|t| LatLon {
                        lat_deg: t.lat_deg,
                        lon_deg: t.lon_deg,
                    })
                });
            let Some(origin) = origin else {
                return Vec::new();
            };
            self.place(origin);
        }
        let jumped = self.last_step.is_some_and(|last| {
            let ahead_s = now.as_secs_f64() - last.as_secs_f64();
            !(-STEP_PERIOD_S..=CLOCK_JUMP_S).contains(&ahead_s)
        });
        if jumped || self.coverage.is_none() {
            self.started = Some(now);
            self.make_grid(now);
            self.history.clear();
            self.last_step = None;
        }
        if self.last_step.is_some_and(|last| now < last) {
            return Vec::new();
        }
        self.last_step = Some(now);
        self.now = now;
        let Some(frame) = self.frame else {
            return Vec::new();
        };
        self.observe(world, &frame, now);
        let site_observed = self.site_observed();
        self.note_coverage(&site_observed, now);
        let centre = self
            .sites
            .first()
            .map(|s| s.centre)
            .unwrap_or_else(|| LatLon {
                lat_deg: frame.origin().lat_deg(),
                lon_deg: frame.origin().lon_deg(),
            });
        self.night = engine::is_night(&self.rules, now, centre);
        let plane_tracks = engine::plane_tracks(&frame, tracks, &self.rules, now);
        let homes: Vec<bool> = self
            .sites
            .iter()
            .map(|site| !self.night || site.category.is_kept_at_night())
            .collect();
        self.history.update(
            &plane_tracks,
            &self.shapes,
            &homes,
            &self.plane_ways,
            &self.rules.residents,
            now,
        );
        self.predict(&plane_tracks);
        let scene = engine::Scene {
            rules: &self.rules,
            frame: &frame,
            sites: &self.sites,
            shapes: &self.shapes,
            areas: &self.areas,
            area_shapes: &self.area_shapes,
            tracks: &plane_tracks,
            history: &self.history,
            predictions: &self.predictions,
            world,
            now,
            night: self.night,
            site_observed: &site_observed,
            started: self.started.unwrap_or(now),
        };
        let findings = engine::evaluate(&scene, &mut self.book);
        let rules = &self.rules;
        let raised = self.book.update(findings, now, |rule| match rule {
            RuleKind::BufferIntrusion => rules.buffer_intrusion.hysteresis(),
            RuleKind::Approach => rules.approach.hysteresis(),
            RuleKind::Gathering => rules.gathering.hysteresis(),
            RuleKind::Tripwire => rules.tripwire.hysteresis(),
            RuleKind::NightActivity => rules.night_activity.hysteresis(),
            RuleKind::SensorActivity => rules.sensor_activity.hysteresis(),
            RuleKind::Unobserved => rules.unobserved.hysteresis(),
            RuleKind::SensorHealth => rules.sensor_health.hysteresis(),
            RuleKind::DroneCover => rules.drone_cover.hysteresis(),
            RuleKind::Restricted => rules.restricted.hysteresis(),
        });
        self.tripwire_ends = self
            .rules
            .tripwire
            .lines
            .iter()
            .map(|line| engine::tripwire_ends(world, line.from_sensor, line.to_sensor))
            .collect();
        self.changed = true;
        self.collect_events();
        raised
    }

    /// Marks what the cameras and sensors cover now.
    fn observe(&mut self, world: &World, frame: &LocalFrame, now: TimeUs) {
        let Some(grid) = &mut self.coverage else {
            return;
        };
        for vehicle in world.vehicles.values() {
            if vehicle.health != Health::Fresh {
                continue;
            }
            // The footprint the world computed, at the range the station set from these
            // rules (`coverage.camera_range_m`): the same one the map and the journal show.
            let Some(footprint) = &vehicle.footprint else {
                continue;
            };
            let ring: Vec<[f64; 2]> = footprint
                .outline()
                .iter()
                .map(|g| {
                    sites::enu_of(
                        frame,
                        LatLon {
                            lat_deg: g.lat_deg(),
                            lon_deg: g.lon_deg(),
                        },
                    )
                })
                .collect();
            grid.observe_polygon(&ring, now);
        }
        if !self.rules.coverage.sensors_observe {
            return;
        }
        for sensor in world.sensors.values() {
            if sensor.health != Health::Fresh || sensor.flags.tamper || sensor.flags.sensor_fault {
                continue;
            }
            let (Some(position), Some(radius_m)) = (sensor.position, sensor.sensing_radius_m)
            else {
                continue;
            };
            let centre = sites::enu_of(
                frame,
                LatLon {
                    lat_deg: position.lat_deg,
                    lon_deg: position.lon_deg,
                },
            );
            match (sensor.boresight_rad, sensor.fov_rad) {
                (Some(boresight), Some(fov)) if fov < std::f64::consts::TAU - 1e-6 => {
                    grid.observe_polygon(&sector(centre, radius_m, boresight, fov), now);
                }
                _ => grid.observe_disc(centre, radius_m, now),
            }
        }
    }

    fn site_observed(&self) -> Vec<Option<TimeUs>> {
        let Some(grid) = &self.coverage else {
            return vec![None; self.sites.len()];
        };
        self.site_cells
            .iter()
            .map(|groups| {
                let latest = |cells: &Vec<usize>| {
                    cells
                        .iter()
                        .map(|c| grid.last_observed_s(*c))
                        .fold(coverage::NEVER, f32::max)
                };
                // The side watched longest ago.
                let t = groups
                    .iter()
                    .map(latest)
                    .reduce(f32::min)
                    .unwrap_or(coverage::NEVER);
                (t != coverage::NEVER)
                    .then(|| TimeUs::from_secs_f64(grid.epoch.as_secs_f64() + f64::from(t)))
            })
            .collect()
    }

    /// The clock the alerts, dispatches and other records are kept on: the rules' once they
    /// have run (the messages' clock), the world's before.
    fn records_clock(&self, world_now: TimeUs) -> TimeUs {
        if self.last_step.is_some() {
            self.now
        } else {
            world_now
        }
    }

    /// Handles a client's request; `world_now` is the world's clock (for commands).
    pub fn request(&mut self, request: ProtectionRequest, world: &World, world_now: TimeUs) {
        let now = self.records_clock(world_now);
        self.changed = true;
        match request {
            ProtectionRequest::Acknowledge { alert, by, reply } => {
                let _ = reply.try_send(self.book.acknowledge(alert, &by, now));
            }
            ProtectionRequest::Assign {
                alert,
                by,
                to,
                reply,
            } => {
                let _ = reply.try_send(self.book.assign(alert, &by, &to, now));
            }
            ProtectionRequest::Annotate {
                alert,
                author,
                text,
                reply,
            } => {
                let _ = reply.try_send(self.book.annotate(alert, &author, &text, now));
            }
            ProtectionRequest::Resolve {
                alert,
                by,
                resolution,
                reply,
            } => {
                let _ = reply.try_send(self.book.resolve(alert, &by, &resolution, now));
            }
            ProtectionRequest::PlanDispatch { target, reply } => {
                let plan = self.resolve_target(target).and_then(|(position, _, _)| {
                    dispatch::plan(
                        world,
                        position,
                        &self.rules.dispatch,
                        &self.dispatcher.busy(),
                    )
                });
                let _ = reply.try_send(plan);
            }
            ProtectionRequest::SendDrone {
                target,
                by,
                drone,
                reply,
            } => {
                self.send_drone(target, &by, drone, reply, world, now);
            }
            ProtectionRequest::ReleaseDrone { drone, reply } => {
                let _ = reply.try_send(self.dispatcher.release(drone));
            }
            ProtectionRequest::RecordIncident {
                incident,
                by,
                reply,
            } => {
                let _ = reply.try_send(self.record_incident(incident, by, now));
            }
            ProtectionRequest::VerifyIncident {
                incident,
                by,
                verdict,
                reason,
                reply,
            } => {
                let verdict = (verdict, by, reason, now);
                let _ = reply.try_send(self.judge_incident(incident, verdict));
            }
            ProtectionRequest::AddReports { reports, reply } => {
                let _ = reply.try_send(Ok(self.add_reports(reports, now)));
            }
            ProtectionRequest::VerifyReport {
                report,
                by,
                verdict,
                reason,
                reply,
            } => {
                let verdict = (verdict, by, reason, now);
                let _ = reply.try_send(self.judge_report(report, verdict));
            }
            ProtectionRequest::RevealContact { report, by, reply } => {
                let _ = reply.try_send(self.reveal_contact(report, by, now));
            }
            ProtectionRequest::AddNote {
                author,
                position,
                text,
                reply,
            } => {
                // On the clock of the alerts and reports it sits among in the record.
                let note = Note {
                    author,
                    position,
                    text,
                    time: now,
                };
                let _ = reply.try_send(self.add_note(note));
            }
        }
        self.collect_events();
    }

    /// Where a dispatch target is, and the alert and site it is about.
    fn resolve_target(
        &self,
        target: DispatchTarget,
    ) -> Result<(LatLon, Option<u64>, Option<SiteId>), String> {
        match target {
            DispatchTarget::Alert(id) => self
                .book
                .get(id)
                .map(|a| {
                    let look_at = match (a.rule, a.site) {
                        (RuleKind::SensorActivity, Some(site)) => self.way_in(a.position, site),
                        (RuleKind::Approach, Some(site)) => self.entry_ahead(a, site),
                        _ => a.position,
                    };
                    (look_at, Some(id), a.site)
                })
                .ok_or_else(|| format!("no alert {id}")),
            DispatchTarget::Site(id) => self
                .sites
                .get(id as usize)
                .map(|s| (s.centre, None, Some(id)))
                .ok_or_else(|| format!("no site {id}")),
            DispatchTarget::Position(p) if p.is_valid() => Ok((p, None, None)),
            DispatchTarget::Position(p) => Err(format!("{p:?} is not a position")),
        }
    }

    /// Where the movers an approach warning is about are predicted to enter the site's
    /// buffer (the nearest such point of their tracks' latest predicted paths, kept after
    /// the prediction lapses: see `entries`): a drone sent there meets them on their way in,
    /// and still finds them there if the tracker loses them on the way (nothing else watches
    /// the ways in); the alert's position when their way was never predicted.
    fn entry_ahead(&self, alert: &Alert, site: SiteId) -> LatLon {
        let Some(frame) = self.frame.as_ref() else {
            return alert.position;
        };
        let here = sites::enu_of(frame, alert.position);
        (alert.cause.tracks.iter())
            .filter_map(|t| self.entries.get(t))
            .filter(|(index, ..)| self.sites.get(*index).is_some_and(|s| s.id == site))
            .map(|(_, entry, _)| *entry)
            .min_by(|a, b| {
                let d = |q: [f64; 2]| (q[0] - here[0]).hypot(q[1] - here[1]);
                d(*a).total_cmp(&d(*b))
            })
            .map_or(alert.position, |entry| sites::latlon_of(frame, entry))
    }

    /// Where movers felt at `from` (a sensor) would come into a site's buffer: along the road,
    /// track or path that passes within `FELT_WITHIN_M` of it and leads there (see
    /// `predict::way_in_from`), else walking straight for it. A drone sent to movement at a
    /// sensor looks there, on the way in, rather than at the sensor they have walked on from
    /// by the time it arrives. `from` itself when it is in the buffer already (or the site or
    /// the plane is not known).
    fn way_in(&self, from: LatLon, site: SiteId) -> LatLon {
        /// The way is walked in steps this long, m.
        const STEP_M: f64 = 10.0;
        /// How far from a ground sensor a way may pass for movers felt there to be on it:
        /// a seismic node feels footsteps out to some 80 m.
        const FELT_WITHIN_M: f64 = 100.0;
        /// How far along a way movers felt at a sensor are followed to the buffer, m.
        const WAY_REACH_M: f64 = 5000.0;
        let (Some(frame), Some(site), Some(shape)) = (
            self.frame.as_ref(),
            self.sites.get(site as usize),
            self.shapes.get(site as usize),
        ) else {
            return from;
        };
        let start = sites::enu_of(frame, from);
        if shape.distance_m(start) <= site.buffer_m {
            return from;
        }
        let terrain = predict::Terrain {
            ways: &self.plane_ways,
            sites: &self.sites,
            shapes: &self.shapes,
        };
        let index = site.id as usize;
        if let Some(entry) =
            predict::way_in_from(start, index, FELT_WITHIN_M, WAY_REACH_M, &terrain)
        {
            return sites::latlon_of(frame, entry);
        }
        let centre = shape.centre;
        let (dx, dy) = (centre[0] - start[0], centre[1] - start[1]);
        let length_m = dx.hypot(dy);
        let steps = (length_m / STEP_M).ceil() as usize;
        (0..=steps)
            .map(|i| {
                let f = (i as f64 * STEP_M / length_m).min(1.0);
                [start[0] + f * dx, start[1] + f * dy]
            })
            .find(|p| shape.distance_m(*p) <= site.buffer_m)
            .map_or(from, |p| sites::latlon_of(frame, p))
    }

    /// "Send a drone" to an alert, a site or a position: `drone`, or the one the dispatcher
    /// picks.
    fn send_drone(
        &mut self,
        target: DispatchTarget,
        by: &str,
        drone: Option<u8>,
        reply: Sender<DispatchUpdate>,
        world: &World,
        now: TimeUs,
    ) {
        let (position, alert, site) = match self.resolve_target(target) {
            Ok(resolved) => resolved,
            Err(reason) => {
                let _ = reply.try_send(DispatchUpdate::Done(Err(reason)));
                return;
            }
        };
        // Sent to an alert about movers: follow the one nearest its position that no drone
        // is on (a second drone sent to an alert whose movers have parted goes to those the
        // first one's camera does not have, and where they are), else the nearest.
        let (follow, position) = match alert.and_then(|id| self.book.get(id)) {
            Some(a) if a.rule.is_about_tracks() => self.movers_to_follow(a, position),
            _ => (None, position),
        };
        let order = dispatch::DispatchOrder {
            target: position,
            alert,
            site,
            by: by.to_owned(),
            drone,
            follow,
            exclude: None,
        };
        let drone = self
            .dispatcher
            .start(world, &self.rules.dispatch, order, now, reply);
        if let (Some(id), Some(drone)) = (alert, drone) {
            let text = match follow {
                Some(track) => format!("drone {drone} sent to follow track {track}"),
                None => format!("drone {drone} sent to orbit the alert's position"),
            };
            let _ = self.book.annotate(id, by, &text, now);
        }
    }

    /// The track of `alert` a drone sent to it follows, and where it is sent: with a drone on
    /// it already, its unwatched mover ([`UnwatchedMovers`]) and where that one was last
    /// seen; else (the first drone on it, or every mover has a drone near) the one nearest
    /// its position, and `position` (for an approach, where they will enter the buffer).
    fn movers_to_follow(&self, alert: &Alert, position: LatLon) -> (Option<u64>, LatLon) {
        if let Some(unwatched) = self.unwatched_of(alert) {
            return (Some(unwatched.track), unwatched.position);
        }
        let Some(frame) = self.frame.as_ref() else {
            return (None, position);
        };
        let at = sites::enu_of(frame, alert.position);
        let nearest = (alert.cause.tracks.iter())
            .filter_map(|t| Some((*t, self.history.last_seen(*t)?.0)))
            .min_by(|x, y| metres(x.1, at).total_cmp(&metres(y.1, at)))
            .map(|(t, _)| t);
        (nearest, position)
    }

    /// Every active alert about movers with an unwatched mover, in the alerts' order.
    fn unwatched_movers(&self) -> Vec<UnwatchedMovers> {
        (self.book.alerts())
            .filter(|a| a.active && a.rule.is_about_tracks())
            .filter_map(|a| self.unwatched_of(a))
            .collect()
    }

    /// `alert`'s mover no drone watches ([`UnwatchedMovers`]), if a drone is on the alert.
    fn unwatched_of(&self, alert: &Alert) -> Option<UnwatchedMovers> {
        let frame = self.frame.as_ref()?;
        let under_way = || (self.dispatcher.records.iter()).filter(|d| d.state.is_under_way());
        if !under_way().any(|d| d.alert == Some(alert.id)) {
            return None;
        }
        let watched: Vec<[f64; 2]> = under_way()
            .map(
                |d| match d.following.and_then(|t| self.history.last_seen(t)) {
                    Some((p, _)) => p,
                    None => sites::enu_of(frame, d.target),
                },
            )
            .collect();
        let at = sites::enu_of(frame, alert.position);
        // (Of the movers seen lately: a track lost long ago is no one to send a drone to.)
        (alert.cause.tracks.iter())
            .filter_map(|t| {
                let (p, when) = self.history.last_seen(*t)?;
                Some((*t, p, when))
            })
            .filter(|(_, p, when)| {
                self.now.since(*when).as_secs_f64() <= dispatch::TRACK_LOST_S
                    && (watched.iter()).all(|w| metres(*w, *p) > dispatch::UNWATCHED_M)
            })
            .min_by(|x, y| metres(x.1, at).total_cmp(&metres(y.1, at)))
            .map(|(track, p, seen)| UnwatchedMovers {
                alert: alert.id,
                track,
                position: sites::latlon_of(frame, p),
                seen,
            })
    }

    /// Records an incident the operator entered; its id.
    fn record_incident(
        &mut self,
        incident: NewIncident,
        by: String,
        now: TimeUs,
    ) -> Result<u64, ProtectionError> {
        reports::check_incident(&incident)?;
        self.next_incident += 1;
        let incident = Incident {
            id: self.next_incident,
            details: incident,
            recorded_by: by,
            recorded_at: now,
            verification: Verification::Unverified,
        };
        self.events.push(ProtectionEvent::Incident {
            change: RecordChange::Recorded,
            incident: incident.clone(),
            by: incident.recorded_by.clone(),
            time: now,
        });
        self.incidents.push(incident);
        if self.incidents.len() > reports::MAX_INCIDENTS {
            self.incidents.remove(0);
        }
        Ok(self.next_incident)
    }

    /// Adds community reports, unverified; their ids.
    fn add_reports(&mut self, reports: Vec<NewReport>, now: TimeUs) -> Vec<u64> {
        let mut ids = Vec::with_capacity(reports.len());
        for mut report in reports {
            self.next_report += 1;
            ids.push(self.next_report);
            // The contact goes into the contact book; the report keeps a pseudonym.
            let contact = std::mem::take(&mut report.reporter);
            let report = CommunityReport {
                id: self.next_report,
                nearby: self.nearby(&report),
                reporter_ref: self.contacts.keep(self.next_report, &contact),
                report,
                received_at: now,
                verification: Verification::Unverified,
            };
            self.events.push(ProtectionEvent::Report {
                change: RecordChange::Recorded,
                report: report.clone(),
                by: String::new(),
                time: now,
            });
            self.reports.push(report);
        }
        let excess = self.reports.len().saturating_sub(reports::MAX_REPORTS);
        self.reports.drain(..excess);
        if let Some(oldest) = self.reports.first() {
            self.contacts.forget_before(oldest.id);
        }
        ids
    }

    /// Moves "send a drone" tasks on; returns the commands for the command engine.
    pub fn pump(&mut self, world: &World, world_now: TimeUs) -> Vec<Request> {
        let seen = Seen {
            history: &self.history,
            frame: self.frame,
            now: self.now,
            predictions: &self.predictions,
            sites: &self.sites,
            night: self.night,
        };
        // Records on the alerts' clock (as a request's), the steps on the world's.
        let records_now = self.records_clock(world_now);
        let (requests, changed) =
            self.dispatcher
                .pump(world, world_now, records_now, &seen, &self.rules.dispatch);
        for (alert, by, text) in self.dispatcher.take_notes() {
            // The alert may be gone from the book (forgotten): nothing to say it on.
            let _ = self.book.annotate(alert, &by, &text, self.now);
        }
        self.changed |= changed || !requests.is_empty();
        self.collect_events();
        requests
    }

    /// The view, rebuilt if anything changed since the last call.
    pub fn view(&mut self) -> Arc<ProtectionView> {
        if self.changed {
            self.publish();
        }
        self.view.clone()
    }

    fn publish(&mut self) {
        self.changed = false;
        let site_observed = self.site_observed();
        let mut unobserved: Vec<SiteUnobserved> = self
            .sites
            .iter()
            .zip(&site_observed)
            .map(|(site, observed)| SiteUnobserved {
                site: site.id,
                name: site.name.clone(),
                unobserved_s: self
                    .now
                    .since(observed.or(self.started).unwrap_or(self.now))
                    .as_secs_f64(),
                last_observed: *observed,
            })
            .collect();
        unobserved.sort_by(|a, b| b.unobserved_s.total_cmp(&a.unobserved_s));
        let tripwires = self
            .rules
            .tripwire
            .lines
            .iter()
            .enumerate()
            .map(|(index, line)| TripwireView {
                name: line.name.clone(),
                from_sensor: line.from_sensor,
                to_sensor: line.to_sensor,
                ends: self.tripwire_ends.get(index).copied().flatten(),
            })
            .collect();
        self.view = Arc::new(ProtectionView {
            revision: self.view.revision + 1,
            time: self.now,
            night: self.night,
            sites: self.sites.clone(),
            areas: self.areas.clone(),
            tripwires: Arc::new(tripwires),
            alerts: Arc::new(self.book.alerts().cloned().collect()),
            coverage: self
                .coverage
                .as_ref()
                .map(CoverageGrid::view)
                .unwrap_or_default(),
            frame: self.frame,
            unobserved: Arc::new(unobserved),
            incidents: Arc::new(self.incidents.clone()),
            reports: Arc::new(self.reports.clone()),
            dispatches: Arc::new(self.dispatcher.records.clone()),
            approaches: Arc::new(self.approach_views()),
            unwatched: Arc::new(self.unwatched_movers()),
            ways: self.ways.clone(),
            dispatch: self.view.dispatch.clone(),
        });
    }

    /// Predicts where each mover from outside is heading (see `predict.rs`).
    fn predict(&mut self, tracks: &[engine::PlaneTrack]) {
        let terrain = predict::Terrain {
            ways: &self.plane_ways,
            sites: &self.sites,
            shapes: &self.shapes,
        };
        let horizon_s = self.rules.approach.max_time_to_arrival_s;
        self.predictions = tracks
            .iter()
            .filter(|t| self.history.is_from_outside(t.id))
            .filter_map(|t| {
                let (vel_en_mps, speed_spread_mps) = self.history.mean_velocity(t.id, self.now)?;
                let mover = predict::Mover {
                    track: t.id,
                    pos_en_m: t.pos_en_m,
                    vel_en_mps,
                    speed_spread_mps,
                };
                predict::predict(&mover, horizon_s, &terrain)
            })
            .collect();
        self.predictions
            .sort_by(|a, b| a.arrival_s.total_cmp(&b.arrival_s));
        for p in &self.predictions {
            if let Some(entry) = p.path_en_m.last() {
                self.entries.insert(p.track, (p.site, *entry, self.now));
            }
        }
        // Movers predicted no further ahead than the horizon have come in (or turned) since.
        let now = self.now;
        self.entries
            .retain(|_, (.., at)| now.since(*at).as_secs_f64() <= horizon_s);
    }

    fn approach_views(&self) -> Vec<ApproachView> {
        let Some(frame) = &self.frame else {
            return Vec::new();
        };
        self.predictions
            .iter()
            .filter_map(|p| {
                Some(ApproachView {
                    track: p.track,
                    site: self.sites.get(p.site)?.id,
                    way: p.way.clone(),
                    speed_mps: p.speed_mps,
                    arrival_s: p.arrival_s,
                    earliest_s: p.earliest_s,
                    latest_s: p.latest_s,
                    path: p
                        .path_en_m
                        .iter()
                        .map(|q| sites::latlon_of(frame, *q))
                        .collect(),
                })
            })
            .collect()
    }
}

/// Where the tracks were last seen and where the movers from outside are heading, for the
/// dispatcher's follows.
struct Seen<'a> {
    history: &'a history::TrackHistory,
    frame: Option<LocalFrame>,
    now: TimeUs,
    predictions: &'a [predict::PlanePrediction],
    sites: &'a [Site],
    /// Whether it is night (where people sleep weighs more).
    night: bool,
}

impl Seen<'_> {
    fn heading_of(&self, p: &predict::PlanePrediction) -> Option<dispatch::Heading> {
        let site = self.sites.get(p.site)?;
        Some(dispatch::Heading {
            track: p.track,
            place: site.name.clone(),
            arrival_s: p.arrival_s,
            stake: (
                patrol::risk_weight(site, self.night),
                site.population.unwrap_or(0),
            ),
        })
    }
}

impl dispatch::TrackPositions for Seen<'_> {
    fn position(&self, track: u64) -> Option<(LatLon, f64)> {
        let (pos_en_m, seen) = self.history.last_seen(track)?;
        Some((
            sites::latlon_of(self.frame.as_ref()?, pos_en_m),
            self.now.since(seen).as_secs_f64(),
        ))
    }

    fn heading(&self, track: u64) -> Option<dispatch::Heading> {
        let prediction = self.predictions.iter().find(|p| p.track == track)?;
        self.heading_of(prediction)
    }

    fn found_again_as(&self, track: u64) -> Option<u64> {
        self.history.found_again_as(track, self.now)
    }

    fn threat_near(&self, at: LatLon, within_m: f64) -> Option<dispatch::Heading> {
        let here = sites::enu_of(self.frame.as_ref()?, at);
        // The predictions come soonest first: the first of the highest stake.
        (self.predictions.iter())
            .filter(|p| {
                (p.path_en_m.first())
                    .is_some_and(|start| (start[0] - here[0]).hypot(start[1] - here[1]) <= within_m)
            })
            .filter_map(|p| self.heading_of(p))
            .rev()
            .max_by(|a, b| {
                a.stake
                    .0
                    .total_cmp(&b.stake.0)
                    .then(a.stake.1.cmp(&b.stake.1))
            })
    }
}

pub(crate) fn verdict_change(verdict: Verdict) -> RecordChange {
    match verdict {
        Verdict::Verified => RecordChange::Verified,
        Verdict::Rejected => RecordChange::Rejected,
    }
}

pub(crate) fn verified(verdict: Verdict, by: String, at: TimeUs, reason: String) -> Verification {
    match verdict {
        Verdict::Verified => Verification::Verified { by, at, reason },
        Verdict::Rejected => Verification::Rejected { by, at, reason },
    }
}

/// The distance between two points of the local plane, m.
fn metres(a: [f64; 2], b: [f64; 2]) -> f64 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

/// A sensor's field of view as a polygon (apex and an arc every 10° or less).
fn sector(centre: [f64; 2], radius_m: f64, boresight_rad: f64, fov_rad: f64) -> Vec<[f64; 2]> {
    let steps = ((fov_rad.to_degrees() / 10.0).ceil() as usize).max(2);
    let mut ring = Vec::with_capacity(steps + 2);
    ring.push(centre);
    for i in 0..=steps {
        // Bearings clockwise from north: east = sin, north = cos.
        let bearing = boresight_rad - fov_rad / 2.0 + fov_rad * i as f64 / steps as f64;
        ring.push([
            centre[0] + radius_m * bearing.sin(),
            centre[1] + radius_m * bearing.cos(),
        ]);
    }
    ring
}

/// One line for an alert, for logs and the headless notices.
pub fn alert_line(alert: &Alert, sites: &[Site]) -> String {
    let site = alert
        .site
        .and_then(|i| sites.get(i as usize))
        .map(|s| format!(" [{}]", s.name))
        .unwrap_or_default();
    format!(
        "alert {} {} {}{site}: {}",
        alert.id,
        alert.severity.label(),
        alert.rule.label(),
        alert.text
    )
}

/// A site's cells, grouped as [`Protection::site_observed`] reads them: the cells of its
/// buffer's edge in [`APPROACH_SECTORS`] bearing sectors round its centre (sectors the edge
/// does not cross left out); without a buffer, one group of its outline's cells and centre.
fn site_cells(grid: &CoverageGrid, shape: &sites::PlaneShape, buffer_m: f64) -> Vec<Vec<usize>> {
    let mut groups = vec![Vec::new(); APPROACH_SECTORS];
    if buffer_m > 0.0 {
        let spacing_m = APPROACH_SPACING_M.max(grid.cell_m);
        for ring in sites::buffer_rings(shape, buffer_m) {
            for p in sites::along(&ring, spacing_m) {
                let bearing_rad = (p[0] - shape.centre[0]).atan2(p[1] - shape.centre[1]);
                let sector = (bearing_rad.rem_euclid(std::f64::consts::TAU) / std::f64::consts::TAU
                    * APPROACH_SECTORS as f64) as usize;
                if let Some(cell) = grid.cell_of(p) {
                    groups[sector.min(APPROACH_SECTORS - 1)].push(cell);
                }
            }
        }
    } else {
        if !shape.is_point {
            for ring in &shape.rings {
                grid.for_polygon(ring, |c| groups[0].push(c));
            }
        }
        groups[0].extend(grid.cell_of(shape.centre));
    }
    groups.retain(|g| !g.is_empty());
    for g in &mut groups {
        g.sort_unstable();
        g.dedup();
    }
    groups
}
