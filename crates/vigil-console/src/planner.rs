//! Mission planning in the console: waypoints by clicking, with altitude and speed; an
//! observation pattern (lawnmower) over a polygon whose line spacing comes from the camera's
//! footprint and the overlap asked for; an orbit of a site as a ring of waypoints any autopilot
//! flies; a geofence polygon; upload, download and clear; QGroundControl `.plan` and
//! `.waypoints` files. The geometry is pure functions in a local metric plane, tested below.

use std::collections::BTreeMap;
use std::path::PathBuf;

use eframe::egui;

use super::map::{Outline, Pick};
use super::{ConsoleApp, Pos};
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
    /// Anything else from a file, kept exactly.
    Other(MissionItem),
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
        }
    }
}

impl Planner {
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
                    self.selected = self.waypoint_item_index(*i);
                    true
                }
                _ => false,
            },
        }
    }

    /// The item index of the `n`th waypoint.
    fn waypoint_item_index(&self, n: usize) -> Option<usize> {
        self.items
            .iter()
            .enumerate()
            .filter(|(_, it)| matches!(it, PlanItem::Waypoint { .. }))
            .nth(n)
            .map(|(i, _)| i)
    }

    /// The plan as the map draws it (waypoints in order), or what is being drawn.
    pub fn outline(&self) -> Option<Outline> {
        let pts: Vec<Pos> = match self.drawing {
            Drawing::SurveyArea if !self.survey_area.is_empty() => {
                return Some(Outline {
                    points_deg: self.survey_area.clone(),
                    closed: true,
                });
            }
            _ => self
                .items
                .iter()
                .filter_map(|it| match it {
                    PlanItem::Waypoint {
                        lat_deg, lon_deg, ..
                    } => Some((*lat_deg, *lon_deg)),
                    PlanItem::Other(item)
                        if mission::is_global_frame(item.frame) && item.x != 0.0 =>
                    {
                        Some((item.x, item.y))
                    }
                    PlanItem::Other(_) => None,
                })
                .collect(),
        };
        (!pts.is_empty()).then_some(Outline {
            points_deg: pts,
            closed: false,
        })
    }

    pub fn fences(&self) -> Vec<Outline> {
        if self.fence.len() > 1 {
            vec![Outline {
                points_deg: self.fence.clone(),
                closed: true,
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
            })
            .filter(|o| !o.points_deg.is_empty())
            .collect()
    }

    pub fn downloaded(&mut self, target: u8, mission: Mission) {
        self.status = format!(
            "downloaded {} items from {target}: Load into the editor to change them",
            mission.items.len()
        );
        self.on_vehicle.insert(target, mission);
    }

    /// The plan as a mission: optional takeoff, speed changes before the waypoints that set one,
    /// the items, optional return to launch.
    pub fn to_mission(&self, home: Option<GeoPoint>) -> Mission {
        let mut items = Vec::new();
        let first_alt = self.items.iter().find_map(|it| match it {
            PlanItem::Waypoint { alt_rel_m, .. } => Some(*alt_rel_m),
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
        let mut speed = None;
        for item in &self.items {
            match item {
                PlanItem::Waypoint {
                    lat_deg,
                    lon_deg,
                    alt_rel_m,
                    speed_mps,
                } => {
                    if let Some(s) = speed_mps
                        && speed != Some(*s)
                    {
                        items.push(MissionItem {
                            frame: MAV_FRAME_GLOBAL_RELATIVE_ALT,
                            command: MAV_CMD_DO_CHANGE_SPEED,
                            autocontinue: true,
                            // Ground speed, this speed, no throttle change.
                            params: [1.0, *s as f32, -1.0, 0.0],
                            x: 0.0,
                            y: 0.0,
                            z: 0.0,
                        });
                        speed = Some(*s);
                    }
                    items.push(nav_item(
                        MAV_CMD_NAV_WAYPOINT,
                        *lat_deg,
                        *lon_deg,
                        *alt_rel_m,
                    ));
                }
                PlanItem::Other(item) => items.push(item.clone()),
            }
        }
        if self.rtl_at_end {
            items.push(nav_item(MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0));
        }
        Mission {
            home,
            items,
            fence: fence_of(&self.fence),
            ..Default::default()
        }
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

    /// Replaces the survey area's waypoints by a lawnmower over it.
    pub fn generate_survey(&mut self) -> Result<usize, String> {
        if self.survey_area.len() < 3 {
            return Err("draw the area first: at least three points".into());
        }
        let pts = lawnmower(
            &self.survey_area,
            self.survey.spacing_m(),
            self.survey.angle_deg,
        );
        if pts.is_empty() {
            return Err("the area is too small for one line at this spacing".into());
        }
        let n = pts.len();
        for (i, p) in pts.into_iter().enumerate() {
            self.items.push(PlanItem::Waypoint {
                lat_deg: p.0,
                lon_deg: p.1,
                alt_rel_m: self.survey.alt_rel_m,
                speed_mps: (i == 0).then_some(self.survey.speed_mps),
            });
        }
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

// Long: immediate-mode drawing of the mission planner: items, patterns, fence, files.
/// The planner tab of the side panel.
pub fn panel(app: &mut ConsoleApp, ui: &mut egui::Ui) {
    let targets: Vec<u8> = app.selected_vehicles.iter().copied().collect();
    let p = &mut app.planner;
    ui.heading("Mission plan");
    ui.horizontal_wrapped(|ui| {
        ui.label("Click on the map to:");
        ui.selectable_value(&mut p.drawing, Drawing::Waypoints, "Add waypoints");
        ui.selectable_value(&mut p.drawing, Drawing::SurveyArea, "Draw survey area");
        ui.selectable_value(&mut p.drawing, Drawing::Geofence, "Draw geofence");
        ui.selectable_value(&mut p.drawing, Drawing::None, "Stop");
    });
    ui.horizontal(|ui| {
        ui.label("New waypoint altitude");
        ui.add(
            egui::DragValue::new(&mut p.default_alt_m)
                .range(2.0..=500.0)
                .suffix(" m"),
        );
    });
    ui.checkbox(&mut p.takeoff, "Start with a takeoff");
    ui.checkbox(&mut p.rtl_at_end, "Return to launch at the end");
    ui.separator();

    let mut remove = None;
    egui::Grid::new("plan-items").striped(true).show(ui, |ui| {
        ui.label("#");
        ui.label("lat / lon");
        ui.label("alt m");
        ui.label("speed m/s");
        ui.end_row();
        let mut n = 0;
        for (i, item) in p.items.iter_mut().enumerate() {
            match item {
                PlanItem::Waypoint {
                    lat_deg,
                    lon_deg,
                    alt_rel_m,
                    speed_mps,
                } => {
                    n += 1;
                    let sel = p.selected == Some(i);
                    if ui.selectable_label(sel, n.to_string()).clicked() {
                        p.selected = Some(i);
                    }
                    ui.label(format!("{lat_deg:.5}, {lon_deg:.5}"));
                    ui.add(egui::DragValue::new(alt_rel_m).range(1.0..=1000.0));
                    let mut has_speed = speed_mps.is_some();
                    ui.horizontal(|ui| {
                        if ui.checkbox(&mut has_speed, "").changed() {
                            *speed_mps = has_speed.then_some(8.0);
                        }
                        if let Some(s) = speed_mps {
                            ui.add(egui::DragValue::new(s).range(0.5..=40.0));
                        }
                        if ui.small_button("Delete").clicked() {
                            remove = Some(i);
                        }
                    });
                }
                PlanItem::Other(item) => {
                    ui.label("·");
                    ui.label(format!("MAV_CMD {}", item.command));
                    ui.label(format!("{:.0}", item.z));
                    if ui.small_button("Delete").clicked() {
                        remove = Some(i);
                    }
                }
            }
            ui.end_row();
        }
    });
    if let Some(i) = remove {
        p.items.remove(i);
        p.selected = None;
    }
    if ui.button("Clear the plan").clicked() {
        p.items.clear();
        p.selected = None;
    }

    ui.separator();
    ui.collapsing("Observation pattern (lawnmower)", |ui| {
        let s = &mut p.survey;
        egui::Grid::new("survey").show(ui, |ui| {
            number_row(ui, "Altitude", &mut s.alt_rel_m, 5.0..=500.0, " m");
            number_row(
                ui,
                "Camera across-track FOV",
                &mut s.hfov_deg,
                5.0..=150.0,
                "°",
            );
            number_row(ui, "Side overlap", &mut s.overlap_pct, 0.0..=90.0, " %");
            number_row(ui, "Line direction", &mut s.angle_deg, 0.0..=179.0, "°");
            number_row(ui, "Speed", &mut s.speed_mps, 1.0..=30.0, " m/s");
        });
        ui.label(format!(
            "Line spacing {:.0} m; area: {} points",
            p.survey.spacing_m(),
            p.survey_area.len()
        ));
        ui.horizontal(|ui| {
            if ui.button("Generate pattern").clicked() {
                p.status = match p.generate_survey() {
                    Ok(n) => format!("pattern of {n} waypoints added"),
                    Err(e) => e,
                };
            }
            if ui.button("Clear area").clicked() {
                p.survey_area.clear();
            }
        });
    });
    ui.collapsing("Orbit a place", |ui| {
        ui.horizontal(|ui| {
            ui.label("Radius");
            ui.add(
                egui::DragValue::new(&mut p.orbit_radius_m)
                    .range(20.0..=2000.0)
                    .suffix(" m"),
            );
            ui.label("points");
            ui.add(egui::DragValue::new(&mut p.orbit_points).range(4..=36));
        });
        ui.label("Around the selected site or waypoint:");
        let centre = match &app.selection {
            Some(Pick::Site(i)) => super::panels::site_centre(&app.snapshot, *i),
            _ => p.selected.and_then(|i| match p.items.get(i) {
                Some(PlanItem::Waypoint {
                    lat_deg, lon_deg, ..
                }) => Some((*lat_deg, *lon_deg)),
                _ => None,
            }),
        };
        if ui
            .add_enabled(centre.is_some(), egui::Button::new("Add orbit"))
            .clicked()
            && let Some(c) = centre
        {
            p.add_orbit(c);
            p.status = format!("orbit of {} points added", p.orbit_points + 1);
        }
    });
    ui.collapsing("Geofence", |ui| {
        ui.label(format!(
            "{} vertices (draw with \"Draw geofence\"); saved in .plan files",
            p.fence.len()
        ));
        if ui.button("Clear geofence").clicked() {
            p.fence.clear();
        }
    });

    ui.separator();
    ui.label(match targets.as_slice() {
        [] => "Select a drone to upload to or download from".to_owned(),
        t => format!(
            "Drones: {}",
            t.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
        ),
    });
    let home = |app: &ConsoleApp, t: u8| {
        app.snapshot
            .world
            .vehicles
            .get(&t)
            .and_then(|v| v.home)
            .map(|h| GeoPoint {
                lat_deg: h.lat_deg,
                lon_deg: h.lon_deg,
                alt_m: h.alt_msl_m,
            })
    };
    ui.horizontal(|ui| {
        let any = !targets.is_empty();
        if ui.add_enabled(any, egui::Button::new("Upload")).clicked() {
            for &t in &targets {
                let mission = app.planner.to_mission(home(app, t));
                app.planner.on_vehicle.insert(t, mission.clone());
                app.actions
                    .mission(&app.station, t, MissionOp::Upload(mission));
            }
        }
        if ui.add_enabled(any, egui::Button::new("Download")).clicked() {
            for &t in &targets {
                app.actions.mission(&app.station, t, MissionOp::Download);
            }
        }
        if ui
            .add_enabled(any, egui::Button::new("Clear on vehicle"))
            .clicked()
        {
            for &t in &targets {
                app.planner.on_vehicle.remove(&t);
                app.actions.mission(&app.station, t, MissionOp::Clear);
            }
        }
    });
    for t in app.actions.log.iter().filter(|t| t.mission).take(4) {
        ui.label(t.line());
    }
    if let Some(&t) = targets.first()
        && let Some(m) = app.planner.on_vehicle.get(&t).cloned()
        && ui
            .button(format!("Load drone {t}'s mission into the editor"))
            .clicked()
    {
        app.planner.load(&m);
    }
    let p = &mut app.planner;
    ui.separator();
    ui.horizontal(|ui| {
        ui.label("File");
        ui.text_edit_singleline(&mut p.file);
    });
    ui.horizontal(|ui| {
        if ui.button("Open").clicked() {
            let path = PathBuf::from(p.file.trim());
            p.status = match mission::load_mission(&path) {
                Ok(m) => {
                    p.load(&m);
                    p.fence = first_inclusion_polygon(&m.fence);
                    format!("opened {} ({} items)", path.display(), m.items.len())
                }
                Err(e) => format!("not opened: {e}"),
            };
        }
        if ui.button("Save").clicked() {
            let path = PathBuf::from(p.file.trim());
            let m = p.to_mission(None);
            p.status = match mission::save_mission(&path, &m) {
                Ok(()) => format!("saved {}", path.display()),
                Err(e) => format!("not saved: {e}"),
            };
        }
    });
    if !p.status.is_empty() {
        ui.label(&p.status);
    }
}

/// A grid row: a label and a number dragged within `range`.
fn number_row(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    suffix: &str,
) {
    ui.label(label);
    ui.add(egui::DragValue::new(value).range(range).suffix(suffix));
    ui.end_row();
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

#[cfg(test)]
mod tests;
