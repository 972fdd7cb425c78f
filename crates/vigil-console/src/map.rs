//! The map: walkers does the slippy-map part (pan, zoom, tiles); everything Vigil knows is painted
//! on top from the snapshot, layer by layer. Drawing is split from the widget so the frame
//! benchmark can paint a large picture without a window: [`paint_overlays`] takes a
//! [`MapProjection`] (walkers' projector in the console, a fixed one in the bench).

mod areas;
mod chrome;
mod grid;
mod labels;
mod movers;

use areas::{closed, paint_alerts, paint_basemap, paint_path, screen_points};
pub use chrome::{coverage_colour, coverage_legend, paint_north_arrow, paint_scale_bar};
pub use labels::{Labels, Priority};
use movers::{paint_approaches, paint_track, paint_vehicle};
use std::collections::{BTreeSet, HashMap, VecDeque};

use eframe::egui::{self, Align2, Color32, FontId, Pos2, Shape, Stroke, Vec2, vec2};

use super::basemap::{FeatureKind, VectorBasemap};
use super::settings::{Layers, Theme};
use super::telemetry::{self, Reading};
use vigil_core::geodesy::{
    Geodetic, LocalFrame, distance_m, initial_bearing_rad, mgrs_from_geodetic,
};
use vigil_core::time::TimeUs;
use vigil_fusion::TrackView;
use vigil_station::Snapshot;
use vigil_world::{Airframe, ClassHint, Health, Vehicle};

/// Latitude/longitude to screen and back. The console uses walkers' projector; tests and the
/// frame benchmark use [`FixedProjection`].
pub trait MapProjection {
    fn to_screen(&self, lat_deg: f64, lon_deg: f64) -> Pos2;
    fn to_geo(&self, screen: Pos2) -> (f64, f64);
    /// Screen pixels per metre on the ground near the given latitude.
    fn px_per_m(&self, lat_deg: f64) -> f32;
    fn clip(&self) -> egui::Rect;
}

impl MapProjection for walkers::Projector<'_> {
    fn to_screen(&self, lat_deg: f64, lon_deg: f64) -> Pos2 {
        self.project(walkers::lat_lon(lat_deg, lon_deg)).to_pos2()
    }
    fn to_geo(&self, screen: Pos2) -> (f64, f64) {
        let p = self.unproject(screen.to_vec2());
        (p.y(), p.x())
    }
    fn px_per_m(&self, lat_deg: f64) -> f32 {
        self.scale_pixel_per_meter(walkers::lat_lon(lat_deg, 0.0))
    }
    fn clip(&self) -> egui::Rect {
        self.clip_rect()
    }
}

/// The tangent plane at a centre, drawn north-up at a fixed scale: for tests and fixed views
/// of a few kilometres.
#[derive(Debug, Clone, Copy)]
pub struct FixedProjection {
    pub centre_deg: (f64, f64),
    pub px_per_m: f32,
    pub rect: egui::Rect,
}

impl FixedProjection {
    fn plane(&self) -> LocalFrame {
        LocalFrame::new(Geodetic::from_deg(
            self.centre_deg.0,
            self.centre_deg.1,
            0.0,
        ))
    }
}

impl MapProjection for FixedProjection {
    fn to_screen(&self, lat_deg: f64, lon_deg: f64) -> Pos2 {
        let [east_m, north_m] = self
            .plane()
            .en_m(&Geodetic::from_deg(lat_deg, lon_deg, 0.0));
        self.rect.center() + vec2(east_m as f32, -(north_m as f32)) * self.px_per_m
    }
    fn to_geo(&self, screen: Pos2) -> (f64, f64) {
        let d = (screen - self.rect.center()) / self.px_per_m;
        let p = self
            .plane()
            .surface_at_en_m([f64::from(d.x), -f64::from(d.y)]);
        (p.lat_deg(), p.lon_deg())
    }
    fn px_per_m(&self, _lat_deg: f64) -> f32 {
        self.px_per_m
    }
    fn clip(&self) -> egui::Rect {
        self.rect
    }
}

/// Colours for one theme. Night keeps luminance low so the operator's eyes stay dark-adapted.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    pub background: Color32,
    pub road: Color32,
    pub track: Color32,
    pub river: Color32,
    pub water: Color32,
    pub settlement: Color32,
    pub field: Color32,
    pub forest: Color32,
    pub other: Color32,
    pub label: Color32,
    pub ok: Color32,
    pub stale: Color32,
    pub lost: Color32,
    pub drone: Color32,
    pub selected: Color32,
    pub footprint: Color32,
    pub mission: Color32,
    pub fence: Color32,
    pub sensor: Color32,
    pub flash: Color32,
    pub person: Color32,
    pub vehicle: Color32,
    pub unknown: Color32,
    pub site: Color32,
    pub buffer: Color32,
    pub critical: Color32,
    pub warning: Color32,
    pub measure: Color32,
}

impl Palette {
    pub fn of(theme: Theme) -> Self {
        match theme {
            Theme::Night => Self {
                background: Color32::from_rgb(14, 18, 24),
                road: Color32::from_rgb(92, 84, 70),
                track: Color32::from_rgb(66, 60, 52),
                river: Color32::from_rgb(38, 70, 110),
                water: Color32::from_rgb(24, 46, 74),
                settlement: Color32::from_rgb(44, 40, 36),
                field: Color32::from_rgb(26, 34, 24),
                forest: Color32::from_rgb(20, 40, 26),
                other: Color32::from_rgb(40, 40, 48),
                label: Color32::from_rgb(150, 150, 140),
                ok: Color32::from_rgb(70, 190, 110),
                stale: Color32::from_rgb(230, 170, 40),
                lost: Color32::from_rgb(235, 60, 50),
                drone: Color32::from_rgb(120, 190, 255),
                selected: Color32::from_rgb(255, 255, 255),
                footprint: Color32::from_rgba_unmultiplied(120, 190, 255, 40),
                mission: Color32::from_rgb(210, 160, 255),
                fence: Color32::from_rgb(255, 120, 40),
                sensor: Color32::from_rgb(100, 200, 200),
                flash: Color32::from_rgb(255, 240, 120),
                person: Color32::from_rgb(255, 110, 90),
                vehicle: Color32::from_rgb(255, 170, 60),
                unknown: Color32::from_rgb(230, 230, 90),
                site: Color32::from_rgb(120, 230, 160),
                buffer: Color32::from_rgba_unmultiplied(120, 230, 160, 22),
                critical: Color32::from_rgb(255, 50, 50),
                warning: Color32::from_rgb(255, 190, 40),
                measure: Color32::from_rgb(255, 255, 255),
            },
            Theme::Day => Self {
                background: Color32::from_rgb(236, 232, 222),
                road: Color32::from_rgb(200, 150, 90),
                track: Color32::from_rgb(170, 140, 110),
                river: Color32::from_rgb(90, 150, 220),
                water: Color32::from_rgb(170, 205, 240),
                settlement: Color32::from_rgb(215, 200, 185),
                field: Color32::from_rgb(220, 232, 190),
                forest: Color32::from_rgb(180, 215, 170),
                other: Color32::from_rgb(210, 210, 215),
                label: Color32::from_rgb(60, 60, 60),
                ok: Color32::from_rgb(20, 140, 60),
                stale: Color32::from_rgb(200, 130, 0),
                lost: Color32::from_rgb(210, 20, 20),
                drone: Color32::from_rgb(20, 90, 200),
                selected: Color32::from_rgb(0, 0, 0),
                footprint: Color32::from_rgba_unmultiplied(20, 90, 200, 40),
                mission: Color32::from_rgb(130, 40, 180),
                fence: Color32::from_rgb(220, 80, 0),
                sensor: Color32::from_rgb(0, 130, 130),
                flash: Color32::from_rgb(230, 120, 0),
                person: Color32::from_rgb(210, 40, 30),
                vehicle: Color32::from_rgb(200, 100, 0),
                unknown: Color32::from_rgb(150, 140, 0),
                site: Color32::from_rgb(0, 130, 60),
                buffer: Color32::from_rgba_unmultiplied(0, 130, 60, 26),
                critical: Color32::from_rgb(220, 0, 0),
                warning: Color32::from_rgb(220, 140, 0),
                measure: Color32::from_rgb(0, 0, 0),
            },
        }
    }

    pub fn health(&self, health: Health) -> Color32 {
        match health {
            Health::Fresh => self.ok,
            Health::Stale => self.stale,
            Health::Lost => self.lost,
        }
    }

    pub fn class(&self, class: ClassHint) -> Color32 {
        match class {
            ClassHint::Person => self.person,
            ClassHint::Vehicle => self.vehicle,
            ClassHint::Animal | ClassHint::Unknown => self.unknown,
        }
    }
}

/// Each drone's recent path, kept by the console from successive snapshots.
#[derive(Debug, Default)]
pub struct Trails {
    by_vehicle: HashMap<u8, VecDeque<(TimeUs, f64, f64)>>,
}

impl Trails {
    /// Adds the latest positions and forgets points older than `keep_s` before `now`.
    pub fn update(&mut self, snapshot: &Snapshot, keep_s: f64) {
        let now = snapshot.world.time;
        for (sysid, vehicle) in &snapshot.world.vehicles {
            let Some(p) = vehicle.position else { continue };
            let trail = self.by_vehicle.entry(*sysid).or_default();
            if trail.back().is_none_or(|&(t, ..)| p.time > t) {
                trail.push_back((p.time, p.lat_deg, p.lon_deg));
            }
            let keep = std::time::Duration::from_secs_f64(keep_s.max(0.0));
            while trail.front().is_some_and(|&(t, ..)| now.since(t) > keep) {
                trail.pop_front();
            }
        }
    }

    pub fn of(&self, sysid: u8) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.by_vehicle
            .get(&sysid)
            .into_iter()
            .flat_map(|t| t.iter().map(|&(_, lat, lon)| (lat, lon)))
    }
}

/// Something on the map that can be selected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pick {
    Vehicle(u8),
    Sensor(u8, u8),
    Track(u64),
    Site(usize),
    Alert(u64),
    Waypoint(usize),
    /// A community report (chosen in the inbox).
    Report(u64),
}

/// A polygon or line in degrees with how to draw it, for mission paths, fences and sites.
#[derive(Debug, Clone)]
pub struct Outline {
    pub points_deg: Vec<(f64, f64)>,
    pub closed: bool,
    /// The label at each point (`None` there: a small dot); `None`: points numbered 1, 2...
    pub labels: Option<Vec<Option<String>>>,
}

/// A protected place as the map draws it.
#[derive(Debug, Clone)]
pub struct SiteShape {
    pub name: String,
    pub category: String,
    pub outline: Vec<(f64, f64)>,
    pub buffer: Vec<(f64, f64)>,
    pub centre_deg: (f64, f64),
    pub sensitive: bool,
    /// Seconds since any drone or sensor last saw it, if known.
    pub unobserved_s: Option<f64>,
}

/// An alert as the map draws it.
#[derive(Debug, Clone)]
pub struct AlertMark {
    pub id: u64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub critical: bool,
    pub open: bool,
    pub label: String,
}

/// A cell of the coverage layer: how long since it was last observed.
#[derive(Debug, Clone, Copy)]
pub struct CoverageCell {
    pub south_west_deg: (f64, f64),
    pub north_east_deg: (f64, f64),
    pub unobserved_s: Option<f64>,
}

/// An incident or community report as the map draws it.
#[derive(Debug, Clone)]
pub struct IncidentMark {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub label: String,
    pub verified: bool,
}

/// A place a drone was sent to (go here, orbit here), marked on the map until it arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct Goal {
    pub drone: u8,
    pub at: (f64, f64),
    /// `go here` or `orbit`.
    pub what: &'static str,
}

/// Everything the overlay painter needs for one frame, borrowed from the console's state.
pub struct OverlayInput<'a> {
    pub snapshot: &'a Snapshot,
    pub basemap: &'a VectorBasemap,
    pub layers: &'a Layers,
    pub palette: &'a Palette,
    pub trails: &'a Trails,
    pub footprints: &'a [vigil_fusion::FootprintView],
    pub selected_vehicles: &'a BTreeSet<u8>,
    pub selection: Option<&'a Pick>,
    /// Mission paths to draw: per vehicle (downloaded or uploaded) and the plan being edited.
    pub missions: &'a [Outline],
    pub plan: Option<&'a Outline>,
    pub fences: &'a [Outline],
    pub sites: &'a [SiteShape],
    pub alerts: &'a [AlertMark],
    pub coverage: &'a [CoverageCell],
    pub incidents: &'a [IncidentMark],
    pub measure: Option<((f64, f64), (f64, f64))>,
    /// Where drones were sent (go here, orbit here).
    pub goals: &'a [Goal],
}

/// Many small marks (sensor rings and diamonds, tracks, their ellipses and vectors) gathered into
/// one mesh of plain triangles: epaint's feathered strokes cost ~200 triangles a circle, which at
/// 500 sensors and 2,000 tracks made tessellation the largest part of a frame.
#[derive(Default)]
pub struct Batch {
    mesh: egui::Mesh,
}

impl Batch {
    fn quad(&mut self, a: Pos2, b: Pos2, c: Pos2, d: Pos2, colour: Color32) {
        let i = self.mesh.vertices.len() as u32;
        for p in [a, b, c, d] {
            self.mesh.colored_vertex(p, colour);
        }
        self.mesh.add_triangle(i, i + 1, i + 2);
        self.mesh.add_triangle(i, i + 2, i + 3);
    }

    /// A straight segment `width` wide.
    pub fn line(&mut self, a: Pos2, b: Pos2, width: f32, colour: Color32) {
        let d = b - a;
        let len = d.length();
        if len < 1e-3 {
            return;
        }
        let n = d.rot90() / len * (width / 2.0);
        self.quad(a + n, b + n, b - n, a - n, colour);
    }

    pub fn rect(&mut self, r: egui::Rect, colour: Color32) {
        self.quad(
            r.left_top(),
            r.right_top(),
            r.right_bottom(),
            r.left_bottom(),
            colour,
        );
    }

    pub fn convex(&mut self, pts: &[Pos2], colour: Color32) {
        let i = self.mesh.vertices.len() as u32;
        for p in pts {
            self.mesh.colored_vertex(*p, colour);
        }
        for k in 1..pts.len().saturating_sub(1) as u32 {
            self.mesh.add_triangle(i, i + k, i + k + 1);
        }
    }

    /// An ellipse outline with radii `rx`, `ry`; fewer segments when it is small on screen.
    pub fn ellipse(&mut self, c: Pos2, rx: f32, ry: f32, width: f32, colour: Color32) {
        let segments = ((rx.max(ry) / 2.0) as usize).clamp(8, 48);
        let point = |k: usize| {
            let a = k as f32 / segments as f32 * std::f32::consts::TAU;
            c + vec2(rx * a.cos(), ry * a.sin())
        };
        let mut prev = point(0);
        for k in 1..=segments {
            let next = point(k);
            self.line(prev, next, width, colour);
            prev = next;
        }
    }

    /// A closed outline through `pts`.
    pub fn polyline(&mut self, pts: &[Pos2], width: f32, colour: Color32) {
        for (i, a) in pts.iter().enumerate() {
            let b = pts[(i + 1) % pts.len()];
            self.line(*a, b, width, colour);
        }
    }

    pub fn arrow(&mut self, from: Pos2, v: Vec2, width: f32, colour: Color32) {
        let tip = from + v;
        self.line(from, tip, width, colour);
        let back = -v.normalized() * 5.0;
        self.line(tip, tip + back + back.rot90() * 0.6, width, colour);
        self.line(tip, tip + back - back.rot90() * 0.6, width, colour);
    }

    pub fn finish(self, painter: &egui::Painter) {
        if !self.mesh.is_empty() {
            painter.add(Shape::mesh(self.mesh));
        }
    }
}

/// How long a sensor node flashes after a detection.
const FLASH_S: f64 = 1.5;

// Long: every overlay in painting order (what is drawn later is on top).
/// Paints every switched-on layer in order, bottom to top.
pub fn paint_overlays(painter: &egui::Painter, proj: &dyn MapProjection, input: &OverlayInput) {
    let p = input.palette;
    let layers = input.layers;
    let clip = proj.clip().expand(40.0);
    let font = FontId::proportional(11.0);
    let now = input.snapshot.world.time;
    let mut labels = Labels::default();

    if layers.basemap {
        // Protected sites carry their own names: the basemap's would print them twice.
        let names = !layers.sites || input.sites.is_empty();
        paint_basemap(painter, proj, input.basemap, p, clip, names, &mut labels);
    }

    if layers.grid_labels {
        grid::paint_grid(painter, proj, p.label);
    }

    if layers.coverage {
        let mut batch = Batch::default();
        for cell in input.coverage {
            let a = proj.to_screen(cell.south_west_deg.0, cell.south_west_deg.1);
            let b = proj.to_screen(cell.north_east_deg.0, cell.north_east_deg.1);
            let rect = egui::Rect::from_two_pos(a, b);
            if !clip.intersects(rect) {
                continue;
            }
            if let Some(colour) = coverage_colour(cell.unobserved_s) {
                // Whole pixels: neighbouring cells meet edge to edge, with no seam between.
                batch.rect(
                    egui::Rect::from_min_max(rect.min.round(), rect.max.round()),
                    colour,
                );
            }
        }
        batch.finish(painter);
    }

    if layers.sites {
        let mut batch = Batch::default();
        for site in input.sites {
            if layers.site_buffers && site.buffer.len() > 2 {
                let pts = screen_points(proj, &site.buffer);
                if clip.intersects(egui::Rect::from_points(&pts)) {
                    // Buffers are rounded, convex rings: a fan fills them.
                    batch.convex(&pts, p.buffer);
                    batch.polyline(&pts, 1.0, p.site.gamma_multiply(0.5));
                }
            }
            let pts = screen_points(proj, &site.outline);
            if pts.len() > 2 && clip.intersects(egui::Rect::from_points(&pts)) {
                batch.polyline(&pts, 2.0, p.site);
            }
            let c = proj.to_screen(site.centre_deg.0, site.centre_deg.1);
            if clip.contains(c) {
                let mut text = site.name.clone();
                if site.sensitive {
                    text.push_str(" (sensitive)");
                }
                if let Some(s) = site.unobserved_s.filter(|s| *s > 600.0) {
                    text.push_str(&format!(" · unseen {:.0} min", s / 60.0));
                }
                labels.add(
                    Priority::Site,
                    c,
                    Align2::CENTER_CENTER,
                    text,
                    font.clone(),
                    p.site,
                );
            }
        }
        batch.finish(painter);
    }

    if layers.geofence {
        for fence in input.fences {
            let pts = screen_points(proj, &fence.points_deg);
            if pts.len() > 2 {
                painter.add(Shape::dashed_line(
                    &closed(pts),
                    Stroke::new(2.0, p.fence),
                    8.0,
                    5.0,
                ));
            }
        }
    }

    if layers.missions {
        for mission in input.missions {
            paint_path(
                painter,
                proj,
                mission,
                Stroke::new(1.5, p.mission),
                &font,
                p,
            );
        }
        if let Some(plan) = input.plan {
            paint_path(painter, proj, plan, Stroke::new(2.5, p.mission), &font, p);
        }
    }

    if layers.footprints {
        for footprint in input.footprints {
            let (sysid, outline) = (&footprint.sysid, &footprint.outline_deg);
            let pts = screen_points(proj, outline);
            if pts.len() > 2 {
                let selected = input.selected_vehicles.contains(sysid);
                painter.add(Shape::convex_polygon(
                    pts,
                    p.footprint,
                    Stroke::new(if selected { 1.5 } else { 0.8 }, p.drone),
                ));
            }
        }
    }

    if layers.sensors {
        let mut batch = Batch::default();
        for ((sysid, compid), node) in &input.snapshot.world.sensors {
            let Some(pos) = node.position else { continue };
            let c = proj.to_screen(pos.lat_deg, pos.lon_deg);
            if !clip.contains(c) {
                continue;
            }
            let colour = if node.flags.tamper || node.health == Health::Lost {
                p.lost
            } else if node.health == Health::Stale || node.flags.sensor_fault {
                p.stale
            } else {
                p.sensor
            };
            if layers.sensor_ranges
                && let Some(r) = node.sensing_radius_m
            {
                let r_px = r as f32 * proj.px_per_m(pos.lat_deg);
                if r_px > 3.0 {
                    batch.ellipse(c, r_px, r_px, 1.0, colour.gamma_multiply(0.45));
                }
            }
            let flashing = node
                .last_detection
                .is_some_and(|t| now.since(t).as_secs_f64() < FLASH_S && t <= now);
            if flashing {
                painter.circle_filled(c, 9.0, p.flash.gamma_multiply(0.6));
            }
            let selected = input.selection == Some(&Pick::Sensor(*sysid, *compid));
            let diamond = |half: f32| {
                [
                    c + vec2(0.0, -half),
                    c + vec2(half, 0.0),
                    c + vec2(0.0, half),
                    c + vec2(-half, 0.0),
                ]
            };
            if selected {
                batch.convex(&diamond(8.0), p.selected);
            }
            batch.convex(&diamond(5.5), p.background);
            batch.convex(&diamond(4.5), colour);
        }
        batch.finish(painter);
    }

    if layers.tracks && layers.approaches {
        paint_approaches(painter, proj, input, clip, &mut labels);
    }

    if layers.tracks {
        let mut batch = Batch::default();
        for track in input.snapshot.tracks.iter() {
            paint_track(painter, &mut batch, proj, track, input, clip);
        }
        batch.finish(painter);
    }

    if layers.incidents {
        for mark in input.incidents {
            let c = proj.to_screen(mark.lat_deg, mark.lon_deg);
            if !clip.contains(c) {
                continue;
            }
            let colour = if mark.verified { p.critical } else { p.warning };
            painter.add(Shape::convex_polygon(
                vec![c + vec2(0.0, -7.0), c + vec2(6.0, 5.0), c + vec2(-6.0, 5.0)],
                Color32::TRANSPARENT,
                Stroke::new(1.5, colour),
            ));
            labels.add(
                Priority::Incident,
                c + vec2(8.0, 0.0),
                Align2::LEFT_CENTER,
                &mark.label,
                font.clone(),
                colour,
            );
        }
    }

    if layers.drones {
        for (sysid, vehicle) in &input.snapshot.world.vehicles {
            paint_vehicle(painter, proj, *sysid, vehicle, now, input, &mut labels);
        }
    }

    if layers.drones {
        for goal in input.goals {
            let c = proj.to_screen(goal.at.0, goal.at.1);
            if !clip.contains(c) {
                continue;
            }
            // A target mark: a ring with a cross, and which drone is going there.
            let stroke = Stroke::new(2.0, p.drone);
            painter.circle_stroke(c, 8.0, stroke);
            painter.line_segment([c - vec2(12.0, 0.0), c + vec2(12.0, 0.0)], stroke);
            painter.line_segment([c - vec2(0.0, 12.0), c + vec2(0.0, 12.0)], stroke);
            labels.add(
                Priority::Vehicle,
                c + vec2(12.0, 4.0),
                Align2::LEFT_TOP,
                format!("{} {}", goal.drone, goal.what),
                FontId::proportional(11.0),
                p.drone,
            );
        }
    }

    if layers.alerts {
        paint_alerts(painter, proj, input, clip, &mut labels);
    }

    if let Some((a, b)) = input.measure {
        let (sa, sb) = (proj.to_screen(a.0, a.1), proj.to_screen(b.0, b.1));
        painter.add(Shape::dashed_line(
            &[sa, sb],
            Stroke::new(2.0, p.measure),
            6.0,
            4.0,
        ));
        let (dist, bearing) = distance_and_bearing(a, b);
        painter.text(
            sb + vec2(8.0, 8.0),
            Align2::LEFT_TOP,
            format!("{} · {:05.1}°", format_distance(dist), bearing),
            FontId::proportional(13.0),
            p.measure,
        );
    }
    labels.paint(painter);
}

/// Geodesic distance (m) and initial bearing (degrees true, 0–360) from `a` to `b`.
pub fn distance_and_bearing(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (ga, gb) = (
        Geodetic::from_deg(a.0, a.1, 0.0),
        Geodetic::from_deg(b.0, b.1, 0.0),
    );
    let bearing = initial_bearing_rad(&ga, &gb).to_degrees().rem_euclid(360.0);
    (distance_m(&ga, &gb), bearing)
}

pub fn format_distance(m: f64) -> String {
    if m >= 10_000.0 {
        format!("{:.1} km", m / 1000.0)
    } else if m >= 1000.0 {
        format!("{:.2} km", m / 1000.0)
    } else {
        format!("{m:.0} m")
    }
}

/// Latitude/longitude and MGRS for the status strip.
pub fn position_text(lat_deg: f64, lon_deg: f64) -> String {
    let mgrs = mgrs_from_geodetic(&Geodetic::from_deg(lat_deg, lon_deg, 0.0), 5)
        .unwrap_or_else(|_| "—".to_owned());
    format!(
        "{:.6}°{} {:.6}°{}  ·  MGRS {mgrs}",
        lat_deg.abs(),
        if lat_deg >= 0.0 { 'N' } else { 'S' },
        lon_deg.abs(),
        if lon_deg >= 0.0 { 'E' } else { 'W' }
    )
}

/// The nearest pickable thing within `radius_px` of `at`.
pub fn pick(
    proj: &dyn MapProjection,
    at: Pos2,
    radius_px: f32,
    input: &OverlayInput,
) -> Option<Pick> {
    let mut best: Option<(f32, Pick)> = None;
    let mut consider = |pos: Pos2, pick: Pick| {
        let d = (pos - at).length();
        if d <= radius_px && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
            best = Some((d, pick));
        }
    };
    let layers = input.layers;
    if layers.drones {
        for (sysid, v) in &input.snapshot.world.vehicles {
            if let Some(p) = v.position {
                consider(proj.to_screen(p.lat_deg, p.lon_deg), Pick::Vehicle(*sysid));
            }
        }
    }
    if layers.alerts {
        for a in input.alerts {
            consider(proj.to_screen(a.lat_deg, a.lon_deg), Pick::Alert(a.id));
        }
    }
    if layers.tracks {
        for t in input.snapshot.tracks.iter() {
            consider(proj.to_screen(t.lat_deg, t.lon_deg), Pick::Track(t.id));
        }
    }
    if layers.sensors {
        for ((s, c), n) in &input.snapshot.world.sensors {
            if let Some(p) = n.position {
                consider(proj.to_screen(p.lat_deg, p.lon_deg), Pick::Sensor(*s, *c));
            }
        }
    }
    if let Some(plan) = input.plan {
        for (i, &(lat, lon)) in plan.points_deg.iter().enumerate() {
            consider(proj.to_screen(lat, lon), Pick::Waypoint(i));
        }
    }
    if layers.sites {
        for (i, s) in input.sites.iter().enumerate() {
            consider(
                proj.to_screen(s.centre_deg.0, s.centre_deg.1),
                Pick::Site(i),
            );
        }
    }
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests;
