//! Mission planning in the console: waypoints by clicking, with altitude and speed; an
//! observation pattern (lawnmower) over a polygon whose line spacing comes from the camera's
//! footprint and the overlap asked for; an orbit of a site as a ring of waypoints any autopilot
//! flies; a geofence polygon; upload, download and clear; QGroundControl `.plan` and
//! `.waypoints` files. The geometry is pure functions in a local metric plane, tested below.

use std::collections::BTreeMap;

use super::map::{Outline, Pick};
use std::path::PathBuf;

use super::Pos;
use super::desk::Shared;
use super::patrol::PatrolDesk;
use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_mission::{self as mission, GeoPoint, Mission, MissionItem};
use vigil_world::command::MissionOp;

const MAV_FRAME_GLOBAL_RELATIVE_ALT: u8 = 3;
const MAV_CMD_NAV_WAYPOINT: u16 = 16;
const MAV_CMD_NAV_RETURN_TO_LAUNCH: u16 = 20;
const MAV_CMD_NAV_TAKEOFF: u16 = 22;
const MAV_CMD_DO_CHANGE_SPEED: u16 = 178;

/// One item of the plan being edited.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanItem {
    Waypoint {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f64,
        /// Ground speed from this waypoint on, if set.
        speed_mps: Option<f64>,
    },
    /// An observation pattern (lawnmower) over an area: flown as its waypoints, planned and
    /// shown as one item (its area and lines, not a number on every turn).
    Survey {
        area: Vec<Pos>,
        settings: SurveySettings,
        /// The turn points, in flight order.
        points: Vec<Pos>,
    },
    /// Anything else from a file, kept exactly.
    Other(MissionItem),
}

impl PlanItem {
    /// Where the item takes the vehicle, in order (none for a command without a place).
    pub fn points(&self) -> Vec<Pos> {
        match self {
            Self::Waypoint {
                lat_deg, lon_deg, ..
            } => vec![(*lat_deg, *lon_deg)],
            Self::Survey { points, .. } => points.clone(),
            Self::Other(item) if mission::is_global_frame(item.frame) && item.x != 0.0 => {
                vec![(item.x, item.y)]
            }
            Self::Other(_) => Vec::new(),
        }
    }
}

/// What clicks on the map add to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Drawing {
    None,
    Waypoints,
    SurveyArea,
    Geofence,
}

/// Observation pattern settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurveySettings {
    pub alt_rel_m: f64,
    /// Across-track field of view of the camera, degrees (on screen).
    pub hfov_deg: f64,
    /// Side overlap between neighbouring lines, percent.
    pub overlap_pct: f64,
    /// Direction of the lines, degrees clockwise from north.
    pub angle_deg: f64,
    pub speed_mps: f64,
}

impl Default for SurveySettings {
    fn default() -> Self {
        Self {
            alt_rel_m: 60.0,
            hfov_deg: 60.0,
            overlap_pct: 30.0,
            angle_deg: 0.0,
            speed_mps: 8.0,
        }
    }
}

impl SurveySettings {
    /// Line spacing: the footprint's width at this height, less the overlap.
    pub fn spacing_m(&self) -> f64 {
        let width = 2.0 * self.alt_rel_m * (self.hfov_deg.to_radians() / 2.0).tan();
        (width * (1.0 - self.overlap_pct.clamp(0.0, 95.0) / 100.0)).max(1.0)
    }
}

pub struct Planner {
    pub items: Vec<PlanItem>,
    pub takeoff: bool,
    pub rtl_at_end: bool,
    pub default_alt_m: f64,
    pub default_speed_mps: Option<f64>,
    pub drawing: Drawing,
    pub survey_area: Vec<Pos>,
    pub survey: SurveySettings,
    pub fence: Vec<Pos>,
    pub orbit_radius_m: f64,
    pub orbit_points: usize,
    pub selected: Option<usize>,
    pub file: String,
    pub status: String,
    /// Missions known to be on each vehicle (downloaded or uploaded by this console).
    pub on_vehicle: BTreeMap<u8, Mission>,
    /// An upload waiting for the operator to confirm it, to these drones.
    pub pending_upload: Option<Vec<u8>>,
    /// A pattern waiting for the operator to say whether it goes after the plan's items or
    /// replaces them.
    pub pending_pattern: bool,
    /// A plan file being read or written on `vigil-plan-file` (one at a time): the UI thread
    /// never waits on the disk.
    file_job: Option<crossbeam_channel::Receiver<FileDone>>,
}

/// What a plan file's thread did.
enum FileDone {
    Opened(PathBuf, Result<Mission, mission::MissionFileError>),
    /// Saved, with whose home is the planned home.
    Saved(PathBuf, String, Result<(), mission::MissionFileError>),
}

impl Default for Planner {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            takeoff: true,
            rtl_at_end: true,
            default_alt_m: 60.0,
            default_speed_mps: None,
            drawing: Drawing::None,
            survey_area: Vec::new(),
            survey: SurveySettings::default(),
            fence: Vec::new(),
            orbit_radius_m: 150.0,
            orbit_points: 12,
            selected: None,
            file: "mission.plan".into(),
            status: String::new(),
            on_vehicle: BTreeMap::new(),
            pending_upload: None,
            pending_pattern: false,
            file_job: None,
        }
    }
}

impl Planner {
    /// A plan file is being read or written.
    pub fn file_busy(&self) -> bool {
        self.file_job.is_some()
    }

    /// Reads the plan file at `path` on `vigil-plan-file`; the plan is replaced when it is read
    /// ([`Planner::poll_file`]).
    pub fn open_file(&mut self, path: PathBuf) {
        self.file_job(format!("opening {}…", path.display()), move || {
            let read = mission::load_mission(&path);
            FileDone::Opened(path, read)
        });
    }

    /// Writes `plan` to `path` on `vigil-plan-file`; `whose` says whose home it starts from.
    pub fn save_file(&mut self, path: PathBuf, plan: Mission, whose: String) {
        self.file_job(format!("saving {}…", path.display()), move || {
            let written = mission::save_mission(&path, &plan);
            FileDone::Saved(path, whose, written)
        });
    }

    fn file_job(&mut self, status: String, job: impl FnOnce() -> FileDone + Send + 'static) {
        if self.file_job.is_some() {
            return;
        }
        // Bounded 1: the one answer of the one job.
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-plan-file".into())
            .spawn(move || {
                let _ = done_tx.send(job());
            });
        match spawned {
            Ok(_) => {
                self.status = status;
                self.file_job = Some(done);
            }
            Err(err) => self.status = format!("cannot start the file's thread: {err}"),
        }
    }

    /// Takes a finished open or save (never waits): an opened plan replaces the editor's.
    pub fn poll_file(&mut self) {
        let Some(job) = &self.file_job else {
            return;
        };
        let done = match job.try_recv() {
            Ok(done) => done,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                self.file_job = None;
                self.status = "the file's thread stopped".into();
                return;
            }
        };
        self.file_job = None;
        self.status = match done {
            FileDone::Opened(path, Ok(m)) => {
                self.load(&m);
                self.fence = first_inclusion_polygon(&m.fence);
                format!("opened {} ({} items)", path.display(), m.items.len())
            }
            FileDone::Opened(_, Err(e)) => format!("not opened: {e}"),
            FileDone::Saved(path, whose, Ok(())) => {
                format!("saved {}; planned home: {whose}", path.display())
            }
            FileDone::Saved(_, _, Err(e)) => format!("not saved: {e}"),
        };
    }

    pub fn stop_drawing(&mut self) {
        self.drawing = Drawing::None;
    }

    pub fn add_waypoint(&mut self, at: Pos) {
        self.items.push(PlanItem::Waypoint {
            lat_deg: at.0,
            lon_deg: at.1,
            alt_rel_m: self.default_alt_m,
            speed_mps: self.default_speed_mps,
        });
        self.selected = Some(self.items.len() - 1);
    }

    pub fn delete_selected(&mut self) {
        if let Some(i) = self.selected.take()
            && i < self.items.len()
        {
            self.items.remove(i);
        }
    }

    /// Handles a click on the map; true if the planner used it.
    pub fn on_map_click(&mut self, at: Pos, picked: Option<&Pick>) -> bool {
        match self.drawing {
            Drawing::Waypoints => {
                self.add_waypoint(at);
                true
            }
            Drawing::SurveyArea => {
                self.survey_area.push(at);
                true
            }
            Drawing::Geofence => {
                self.fence.push(at);
                true
            }
            Drawing::None => match picked {
                Some(Pick::Waypoint(i)) => {
                    self.selected = self.item_of_point(*i);
                    true
                }
                _ => false,
            },
        }
    }

    /// The item the `n`th point of [`Self::outline`] belongs to.
    fn item_of_point(&self, n: usize) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| std::iter::repeat_n(i, item.points().len()))
            .nth(n)
    }

    /// The plan as the map draws it (its points in order, each labelled with its item's
    /// number in the list; a pattern's turns unlabelled after the first), or what is being
    /// drawn.
    pub fn outline(&self) -> Option<Outline> {
        if self.drawing == Drawing::SurveyArea && !self.survey_area.is_empty() {
            return Some(Outline {
                points_deg: self.survey_area.clone(),
                closed: true,
                labels: None,
            });
        }
        let mut points_deg = Vec::new();
        let mut labels = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            for (k, point) in item.points().into_iter().enumerate() {
                points_deg.push(point);
                labels.push((k == 0).then(|| (i + 1).to_string()));
            }
        }
        (!points_deg.is_empty()).then_some(Outline {
            points_deg,
            closed: false,
            labels: Some(labels),
        })
    }

    /// The areas of the plan's patterns (drawn as outlines under their lines).
    pub fn survey_areas(&self) -> Vec<Outline> {
        self.items
            .iter()
            .filter_map(|item| match item {
                PlanItem::Survey { area, .. } => Some(Outline {
                    points_deg: area.clone(),
                    closed: true,
                    labels: Some(Vec::new()),
                }),
                _ => None,
            })
            .collect()
    }

    pub fn fences(&self) -> Vec<Outline> {
        if self.fence.len() > 1 {
            vec![Outline {
                points_deg: self.fence.clone(),
                closed: true,
                labels: None,
            }]
        } else {
            Vec::new()
        }
    }

    /// The missions on the vehicles, as paths.
    pub fn vehicle_missions(&self) -> Vec<Outline> {
        self.on_vehicle
            .values()
            .map(|m| Outline {
                points_deg: m
                    .items
                    .iter()
                    .filter(|it| mission::is_global_frame(it.frame) && it.x != 0.0)
                    .map(|it| (it.x, it.y))
                    .collect(),
                closed: false,
                labels: None,
            })
            .filter(|o| !o.points_deg.is_empty())
            .collect()
    }

    /// A mission downloaded from a drone: drawn on the map, and in the editor at once when
    /// the editor is empty (otherwise "Load" puts it there).
    pub fn downloaded(&mut self, target: u8, mission: Mission) {
        let n = mission::count(mission.items.len(), "mission item", "mission items");
        self.status = if self.items.is_empty() {
            self.load(&mission);
            format!("downloaded {n} from drone {target}: in the editor")
        } else {
            format!(
                "downloaded {n} from drone {target}: drawn on the map; \"Load drone {target}'s mission\" puts it in the editor"
            )
        };
        self.on_vehicle.insert(target, mission);
    }

    /// The plan as a mission: optional takeoff, speed changes before the waypoints that set one,
    /// the items, optional return to launch.
    pub fn to_mission(&self, home: Option<GeoPoint>) -> Mission {
        self.mission_with_owners(home).0
    }

    /// The plan as a mission, and for each mission item the plan item it comes from (`None`
    /// for the take-off and the return added around them).
    fn mission_with_owners(&self, home: Option<GeoPoint>) -> (Mission, Vec<Option<usize>>) {
        let mut items = Vec::new();
        let mut owners = Vec::new();
        let first_alt = self.items.iter().find_map(|it| match it {
            PlanItem::Waypoint { alt_rel_m, .. } => Some(*alt_rel_m),
            PlanItem::Survey { settings, .. } => Some(settings.alt_rel_m),
            PlanItem::Other(_) => None,
        });
        if self.takeoff {
            items.push(nav_item(
                MAV_CMD_NAV_TAKEOFF,
                0.0,
                0.0,
                first_alt.unwrap_or(self.default_alt_m),
            ));
        }
        owners.resize(items.len(), None);
        let mut speed = None;
        for (i, item) in self.items.iter().enumerate() {
            let (points, alt_rel_m, item_speed) = match item {
                PlanItem::Waypoint {
                    lat_deg,
                    lon_deg,
                    alt_rel_m,
                    speed_mps,
                } => (vec![(*lat_deg, *lon_deg)], *alt_rel_m, *speed_mps),
                PlanItem::Survey {
                    settings, points, ..
                } => (points.clone(), settings.alt_rel_m, Some(settings.speed_mps)),
                PlanItem::Other(item) => {
                    items.push(item.clone());
                    owners.push(Some(i));
                    continue;
                }
            };
            if let Some(s) = item_speed
                && speed != Some(s)
            {
                items.push(MissionItem {
                    frame: MAV_FRAME_GLOBAL_RELATIVE_ALT,
                    command: MAV_CMD_DO_CHANGE_SPEED,
                    autocontinue: true,
                    // Ground speed, this speed, no throttle change.
                    params: [1.0, s as f32, -1.0, 0.0],
                    x: 0.0,
                    y: 0.0,
                    z: 0.0,
                });
                owners.push(Some(i));
                speed = Some(s);
            }
            for (lat_deg, lon_deg) in points {
                items.push(nav_item(MAV_CMD_NAV_WAYPOINT, lat_deg, lon_deg, alt_rel_m));
                owners.push(Some(i));
            }
        }
        if self.rtl_at_end {
            items.push(nav_item(MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0));
            owners.push(None);
        }
        let mission = Mission {
            home,
            items,
            fence: fence_of(&self.fence),
            ..Default::default()
        };
        (mission, owners)
    }

    /// The plan's legs, distance and time from `home` as `model` flies it: each plan item's
    /// leg (the way to it, and along a pattern's lines), and the whole flight.
    pub fn estimate(
        &self,
        home: Option<GeoPoint>,
        model: mission::FlightModel,
    ) -> (Vec<Option<f64>>, mission::FlightEstimate) {
        let (mission, owners) = self.mission_with_owners(home);
        let estimate = mission::estimate(&mission, home, model);
        let mut legs = vec![None; self.items.len()];
        for (owner, leg) in owners.iter().zip(&estimate.legs_m) {
            if let (Some(i), Some(leg)) = (owner, leg) {
                *legs[*i].get_or_insert(0.0) += leg;
            }
        }
        (legs, estimate)
    }

    /// Loads a mission into the editor: the reverse of [`Self::to_mission`].
    pub fn load(&mut self, mission: &Mission) {
        let mut items: Vec<MissionItem> = mission.items.clone();
        self.takeoff = items
            .first()
            .is_some_and(|i| i.command == MAV_CMD_NAV_TAKEOFF);
        if self.takeoff {
            items.remove(0);
        }
        self.rtl_at_end = items
            .last()
            .is_some_and(|i| i.command == MAV_CMD_NAV_RETURN_TO_LAUNCH);
        if self.rtl_at_end {
            items.pop();
        }
        let mut speed = None;
        self.items = Vec::new();
        for item in items {
            if item.command == MAV_CMD_DO_CHANGE_SPEED && item.params[1] > 0.0 {
                speed = Some(f64::from(item.params[1]));
                continue;
            }
            if item.command == MAV_CMD_NAV_WAYPOINT && item.frame == MAV_FRAME_GLOBAL_RELATIVE_ALT {
                self.items.push(PlanItem::Waypoint {
                    lat_deg: item.x,
                    lon_deg: item.y,
                    alt_rel_m: f64::from(item.z),
                    speed_mps: speed.take(),
                });
            } else {
                self.items.push(PlanItem::Other(item));
            }
        }
        self.selected = None;
    }

    /// A lawnmower over the survey area as one item, after the plan's items or (`append`
    /// false) instead of them; returns its number of waypoints.
    pub fn generate_survey(&mut self, append: bool) -> Result<usize, String> {
        if self.survey_area.len() < 3 {
            return Err("draw the area first: at least three points".into());
        }
        let points = lawnmower(
            &self.survey_area,
            self.survey.spacing_m(),
            self.survey.angle_deg,
        );
        if points.is_empty() {
            return Err("the area is too small for one line at this spacing".into());
        }
        let n = points.len();
        if !append {
            self.items.clear();
        }
        self.items.push(PlanItem::Survey {
            area: std::mem::take(&mut self.survey_area),
            settings: self.survey,
            points,
        });
        self.selected = Some(self.items.len() - 1);
        self.drawing = Drawing::None;
        Ok(n)
    }

    /// Adds a ring of waypoints around `centre`.
    pub fn add_orbit(&mut self, centre: Pos) {
        for p in ring(centre, self.orbit_radius_m, self.orbit_points.max(3)) {
            self.items.push(PlanItem::Waypoint {
                lat_deg: p.0,
                lon_deg: p.1,
                alt_rel_m: self.default_alt_m,
                speed_mps: None,
            });
        }
    }
}

fn nav_item(command: u16, lat_deg: f64, lon_deg: f64, alt_rel_m: f64) -> MissionItem {
    MissionItem {
        frame: MAV_FRAME_GLOBAL_RELATIVE_ALT,
        command,
        autocontinue: true,
        params: [0.0; 4],
        x: lat_deg,
        y: lon_deg,
        z: alt_rel_m as f32,
    }
}

/// Points on a circle of `radius_m` around `centre`, clockwise from north, closing on the first.
pub fn ring(centre: Pos, radius_m: f64, n: usize) -> Vec<Pos> {
    let plane = LocalFrame::new(Geodetic::from_deg(centre.0, centre.1, 0.0));
    (0..=n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU;
            let p = plane.surface_at_en_m([radius_m * a.sin(), radius_m * a.cos()]);
            (p.lat_deg(), p.lon_deg())
        })
        .collect()
}

/// A lawnmower over a polygon: parallel lines `spacing_m` apart at `angle_deg` (clockwise from
/// north), each cut to the polygon, flown in alternate directions. Returns the turn points.
pub fn lawnmower(polygon: &[Pos], spacing_m: f64, angle_deg: f64) -> Vec<Pos> {
    if polygon.len() < 3 || spacing_m.is_nan() || spacing_m <= 0.0 {
        return Vec::new();
    }
    let plane = LocalFrame::new(Geodetic::from_deg(polygon[0].0, polygon[0].1, 0.0));
    let to_xy = |p: &Pos| {
        let [east_m, north_m] = plane.en_m(&Geodetic::from_deg(p.0, p.1, 0.0));
        (east_m, north_m)
    };
    let to_geo = |x: f64, y: f64| {
        let p = plane.surface_at_en_m([x, y]);
        (p.lat_deg(), p.lon_deg())
    };
    // Rotate so the lines run along the v axis; sweep across u.
    let a = angle_deg.to_radians();
    let (s, c) = a.sin_cos();
    // Along-line unit (east, north) = (sin a, cos a); across = (cos a, -sin a).
    let rot = |(x, y): (f64, f64)| (x * c - y * s, x * s + y * c);
    let unrot = |(u, v): (f64, f64)| (u * c + v * s, -u * s + v * c);
    let poly: Vec<(f64, f64)> = polygon.iter().map(|p| rot(to_xy(p))).collect();
    let (umin, umax) = poly.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let mut out = Vec::new();
    let mut u = umin + spacing_m / 2.0;
    let mut forward = true;
    while u < umax {
        let mut hits: Vec<f64> = Vec::new();
        for i in 0..poly.len() {
            let (p, q) = (poly[i], poly[(i + 1) % poly.len()]);
            if (p.0 <= u && q.0 > u) || (q.0 <= u && p.0 > u) {
                let t = (u - p.0) / (q.0 - p.0);
                hits.push(p.1 + t * (q.1 - p.1));
            }
        }
        hits.sort_by(f64::total_cmp);
        if hits.len() >= 2 {
            // The outermost crossings: a concave area is covered, not skipped.
            let (lo, hi) = (hits[0], hits[hits.len() - 1]);
            let (v0, v1) = if forward { (lo, hi) } else { (hi, lo) };
            for v in [v0, v1] {
                let (x, y) = unrot((u, v));
                out.push(to_geo(x, y));
            }
            forward = !forward;
        }
        u += spacing_m;
    }
    out
}

/// The drawn geofence polygon as the mission's fence (none until it has three vertices).
fn fence_of(polygon: &[Pos]) -> mission::Fence {
    let mut fence = mission::Fence::default();
    if polygon.len() >= 3 {
        fence.polygons.push(mission::FencePolygon {
            inclusion: true,
            vertices: polygon.to_vec(),
        });
    }
    fence
}

/// The first inclusion polygon of a fence, if any.
fn first_inclusion_polygon(fence: &mission::Fence) -> Vec<Pos> {
    fence
        .polygons
        .iter()
        .find(|p| p.inclusion)
        .map(|p| p.vertices.clone())
        .unwrap_or_default()
}

mod panel;

#[cfg(test)]
mod tests;
