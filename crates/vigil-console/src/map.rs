//! The map: walkers does the slippy-map part (pan, zoom, tiles); everything Vigil knows is painted
//! on top from the snapshot, layer by layer. Drawing is split from the widget so the frame
//! benchmark can paint a large picture without a window: [`paint_overlays`] takes a
//! [`MapProjection`] (walkers' projector in the console, a fixed one in the bench).

// Long: every overlay painted on the map (drones, tracks, sites, alerts, coverage, plans) in one painter pass. Each panel becomes a part with its own state in the next step of issue 13 (see ARCHITECTURE.md).

mod grid;
mod labels;
mod view;

pub use labels::{Labels, Priority};
use std::collections::{BTreeSet, HashMap, VecDeque};
pub use view::MapView;

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
    pub goals: &'a [crate::actions::Goal],
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

/// Alerts, those at one place as one mark with their count and the most severe one's colour
/// and label (see `labels.rs`).
fn paint_alerts(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    input: &OverlayInput,
    clip: egui::Rect,
    labels: &mut Labels,
) {
    let p = input.palette;
    // Most important first: the selected one, critical, open.
    let mut shown: Vec<(&AlertMark, Pos2)> = input
        .alerts
        .iter()
        .map(|a| (a, proj.to_screen(a.lat_deg, a.lon_deg)))
        .filter(|(_, c)| clip.contains(*c))
        .collect();
    let rank = |a: &AlertMark| {
        (
            input.selection == Some(&Pick::Alert(a.id)),
            a.critical,
            a.open,
        )
    };
    shown.sort_by_key(|x| std::cmp::Reverse(rank(x.0)));
    let points: Vec<Pos2> = shown.iter().map(|(_, c)| *c).collect();
    for members in labels::clusters(&points) {
        let (alert, c) = shown[members[0]];
        let colour = if alert.critical {
            p.critical
        } else {
            p.warning
        };
        let selected = members
            .iter()
            .any(|i| input.selection == Some(&Pick::Alert(shown[*i].0.id)));
        let r = if alert.open { 11.0 } else { 8.0 };
        painter.circle_stroke(c, r, Stroke::new(if selected { 3.0 } else { 2.0 }, colour));
        let count = members.len();
        painter.text(
            c,
            Align2::CENTER_CENTER,
            if count > 1 {
                count.to_string()
            } else {
                "!".to_owned()
            },
            FontId::proportional(13.0),
            colour,
        );
        if alert.open || selected {
            let more = if count > 1 {
                format!(" (+{} here)", count - 1)
            } else {
                String::new()
            };
            let priority = if selected {
                Priority::Selected
            } else if alert.critical {
                Priority::Critical
            } else {
                Priority::Alert
            };
            labels.add(
                priority,
                c + vec2(r + 3.0, -r),
                Align2::LEFT_BOTTOM,
                format!("{}{more}", alert.label),
                FontId::proportional(11.0),
                colour,
            );
        }
    }
}

fn closed(mut pts: Vec<Pos2>) -> Vec<Pos2> {
    if let Some(first) = pts.first().copied() {
        pts.push(first);
    }
    pts
}

fn screen_points(proj: &dyn MapProjection, pts: &[(f64, f64)]) -> Vec<Pos2> {
    pts.iter()
        .map(|&(lat, lon)| proj.to_screen(lat, lon))
        .collect()
}

fn paint_basemap(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    map: &VectorBasemap,
    p: &Palette,
    clip: egui::Rect,
    names: bool,
    labels: &mut Labels,
) {
    // Areas first, then lines, then points and names, so roads are never hidden by fields.
    for pass in 0..3 {
        for f in &map.features {
            let pts = screen_points(proj, &f.points_deg);
            let bbox = egui::Rect::from_points(&pts);
            if !clip.intersects(bbox) {
                continue;
            }
            match (pass, f.closed, pts.len()) {
                (0, true, 3..) => {
                    let fill = match f.kind {
                        FeatureKind::Water => p.water,
                        FeatureKind::Settlement => p.settlement,
                        FeatureKind::Field => p.field,
                        FeatureKind::Forest => p.forest,
                        _ => p.other,
                    };
                    // Rings are drawn as fans from their first vertex: exact for the convex
                    // outlines of the demo area, and an outline is always stroked on top.
                    painter.add(Shape::convex_polygon(
                        pts.clone(),
                        fill,
                        Stroke::new(1.0, fill.gamma_multiply(1.6)),
                    ));
                }
                (1, false, 2..) => {
                    let stroke = match f.kind {
                        FeatureKind::Road => Stroke::new(3.0, p.road),
                        FeatureKind::River => Stroke::new(2.5, p.river),
                        FeatureKind::Track => Stroke::new(1.2, p.track),
                        _ => Stroke::new(1.0, p.other),
                    };
                    painter.add(Shape::line(pts, stroke));
                }
                (2, _, _) => {
                    if !f.closed && pts.len() == 1 {
                        painter.circle_filled(pts[0], 2.5, p.label);
                    }
                    let show_name =
                        f.closed && matches!(f.kind, FeatureKind::Settlement) || pts.len() == 1;
                    if show_name
                        && names
                        && let Some(name) = &f.name
                    {
                        let anchor = if pts.len() == 1 {
                            pts[0] + vec2(5.0, 0.0)
                        } else {
                            bbox.center()
                        };
                        let align = if pts.len() == 1 {
                            Align2::LEFT_CENTER
                        } else {
                            Align2::CENTER_CENTER
                        };
                        labels.add(
                            Priority::Basemap,
                            anchor,
                            align,
                            name,
                            FontId::proportional(11.0),
                            p.label,
                        );
                    }
                }
                _ => {}
            }
        }
    }
}

fn paint_path(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    path: &Outline,
    stroke: Stroke,
    font: &FontId,
    p: &Palette,
) {
    let pts = screen_points(proj, &path.points_deg);
    if pts.len() >= 2 {
        let line = if path.closed {
            closed(pts.clone())
        } else {
            pts.clone()
        };
        painter.add(Shape::line(line, stroke));
    }
    for (i, pt) in pts.iter().enumerate() {
        let label = match &path.labels {
            None => Some((i + 1).to_string()),
            Some(labels) => labels.get(i).cloned().flatten(),
        };
        match label {
            Some(label) => {
                painter.circle_filled(*pt, 6.0, stroke.color);
                painter.text(
                    *pt,
                    Align2::CENTER_CENTER,
                    label,
                    font.clone(),
                    p.background,
                );
            }
            // A pattern's turn: a dot, so that 60 turns do not pile up 60 numbers.
            None if path.labels.as_ref().is_some_and(|l| i < l.len()) => {
                painter.circle_filled(*pt, 2.5, stroke.color);
            }
            None => {}
        }
    }
}

/// Each mover from outside heading for a protected place: its predicted path (dashed, along
/// the ways it follows) to the place's buffer, and there the place and the time of arrival
/// with its earliest and latest.
fn paint_approaches(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    input: &OverlayInput,
    clip: egui::Rect,
    labels: &mut Labels,
) {
    let p = input.palette;
    let protection = &input.snapshot.protection;
    // One label per place, the soonest arrival's (the approaches come soonest first): a
    // group walking together draws one path per walker but one time.
    let mut labelled: BTreeSet<u32> = BTreeSet::new();
    for approach in protection.approaches.iter() {
        let pts: Vec<Pos2> = approach
            .path
            .iter()
            .map(|q| proj.to_screen(q.lat_deg, q.lon_deg))
            .collect();
        let Some(end) = pts.last().copied() else {
            continue;
        };
        if !clip.intersects(egui::Rect::from_points(&pts)) {
            continue;
        }
        let selected = input.selection == Some(&Pick::Track(approach.track));
        let width = if selected { 2.5 } else { 1.5 };
        painter.add(Shape::dashed_line(
            &pts,
            Stroke::new(width, p.warning),
            6.0,
            4.0,
        ));
        painter.circle_stroke(end, 4.0, Stroke::new(width, p.warning));
        if !labelled.insert(approach.site) && !selected {
            continue;
        }
        let site = protection
            .sites
            .iter()
            .find(|s| s.id == approach.site)
            .map_or("?", |s| s.name.as_str());
        labels.add(
            if selected {
                Priority::Selected
            } else {
                Priority::Approach
            },
            end + vec2(6.0, 0.0),
            Align2::LEFT_CENTER,
            format!(
                "{site} {}",
                vigil_protection::engine::arrival_text(
                    approach.arrival_s,
                    approach.earliest_s,
                    approach.latest_s
                )
            ),
            FontId::proportional(11.0),
            p.warning,
        );
    }
}

fn paint_track(
    painter: &egui::Painter,
    batch: &mut Batch,
    proj: &dyn MapProjection,
    track: &TrackView,
    input: &OverlayInput,
    clip: egui::Rect,
) {
    let p = input.palette;
    let c = proj.to_screen(track.lat_deg, track.lon_deg);
    if !clip.contains(c) {
        return;
    }
    let colour = p.class(track.class);
    let px_per_m = proj.px_per_m(track.lat_deg);
    if input.layers.track_uncertainty {
        // Two-sigma ellipse, axis-aligned east/north as the tracker publishes it.
        let (rx, ry) = (
            (2.0 * track.std_en_m[0]) as f32 * px_per_m,
            (2.0 * track.std_en_m[1]) as f32 * px_per_m,
        );
        if rx > 2.0 || ry > 2.0 {
            batch.ellipse(c, rx, ry, 1.0, colour.gamma_multiply(0.6));
        }
    }
    // Velocity vector: where it will be in 30 s.
    let v = vec2(track.vel_en_mps[0] as f32, -(track.vel_en_mps[1] as f32)) * 30.0 * px_per_m;
    if v.length() > 2.0 {
        batch.arrow(c, v, 1.5, colour);
    }
    let selected = input.selection == Some(&Pick::Track(track.id));
    let half = if selected { 6.0 } else { 4.0 };
    if selected {
        batch.rect(
            egui::Rect::from_center_size(c, Vec2::splat(half * 2.0 + 6.0)),
            p.selected,
        );
    }
    batch.rect(
        egui::Rect::from_center_size(c, Vec2::splat(half * 2.0)),
        colour,
    );
    if let Some(n) = track.count.filter(|n| *n > 1) {
        painter.text(
            c + vec2(half + 2.0, -half),
            Align2::LEFT_BOTTOM,
            format!("×{n}"),
            FontId::proportional(10.0),
            colour,
        );
    }
}

// Long: a drone's mark, heading, trail, footprint, mission and labels, in painting order.
fn paint_vehicle(
    painter: &egui::Painter,
    proj: &dyn MapProjection,
    sysid: u8,
    vehicle: &Vehicle,
    now: TimeUs,
    input: &OverlayInput,
    labels: &mut Labels,
) {
    let font = &FontId::proportional(11.0);
    let p = input.palette;
    // Never a position: not on the map (the list says "no position"). A stale one: drawn
    // hollow and grey where it was last, with its age, never as where the drone is.
    let (pos, stale_age) = match telemetry::position(vehicle, now) {
        Reading::Fresh(pos) => (*pos, None),
        Reading::Stale(age) => match vehicle.position {
            Some(pos) => (pos, Some(age)),
            None => return,
        },
        Reading::Never => return,
    };
    if input.layers.trails {
        let trail: Vec<Pos2> = input
            .trails
            .of(sysid)
            .map(|(lat, lon)| proj.to_screen(lat, lon))
            .collect();
        if trail.len() > 1 {
            painter.add(Shape::line(
                trail,
                Stroke::new(1.2, p.drone.gamma_multiply(0.5)),
            ));
        }
    }
    if let Some(home) = vehicle.home {
        let h = proj.to_screen(home.lat_deg, home.lon_deg);
        painter.circle_stroke(h, 6.0, Stroke::new(1.5, p.drone));
        painter.text(
            h,
            Align2::CENTER_CENTER,
            "H",
            FontId::proportional(9.0),
            p.drone,
        );
    }
    let c = proj.to_screen(pos.lat_deg, pos.lon_deg);
    // No fresh heading: a round mark rather than an arrow pointing north.
    let heading = telemetry::heading_rad(vehicle, now)
        .fresh()
        .map(|h| h as f32);
    let selected =
        input.selected_vehicles.contains(&sysid) || input.selection == Some(&Pick::Vehicle(sysid));
    let health = p.health(vehicle.health);
    let size = if selected { 14.0 } else { 11.0 };
    let outline = if selected { p.selected } else { health };
    if let Some(age) = stale_age {
        let grey = p.label.gamma_multiply(0.8);
        painter.add(Shape::dashed_line(
            &closed(circle_points(c, size)),
            Stroke::new(1.5, grey),
            3.0,
            3.0,
        ));
        painter.text(
            c,
            Align2::CENTER_CENTER,
            "?",
            FontId::proportional(12.0),
            grey,
        );
        if selected {
            painter.circle_stroke(c, 16.0, Stroke::new(2.0, p.selected));
        }
        labels.add(
            if selected {
                Priority::Selected
            } else {
                Priority::Vehicle
            },
            c + vec2(18.0, -4.0),
            Align2::LEFT_BOTTOM,
            format!(
                "{} {} · position {}",
                input.snapshot.world.names.drone_short(sysid),
                vehicle.mode,
                telemetry::age_text(age)
            ),
            font.clone(),
            grey,
        );
        return;
    }
    // While the link is silent: a hollow "ghost" where the drone should be by now.
    if vehicle.health != Health::Fresh
        && let Some(ghost) = vehicle.position_at(now)
    {
        let g = proj.to_screen(ghost.lat_deg, ghost.lon_deg);
        if (g - c).length() > 2.0 {
            painter.add(Shape::dashed_line(
                &[c, g],
                Stroke::new(1.0, health),
                4.0,
                3.0,
            ));
        }
        let ghost_shape = match heading {
            Some(h) => icon(vehicle.airframe, g, h, 11.0),
            None => circle_points(g, 11.0 * 0.7),
        };
        painter.add(Shape::closed_line(ghost_shape, Stroke::new(1.2, health)));
    }
    let fill = if vehicle.health == Health::Lost {
        p.background
    } else {
        p.drone
    };
    match heading {
        Some(h) => {
            painter.add(Shape::convex_polygon(
                icon(vehicle.airframe, c, h, size),
                fill,
                Stroke::new(2.0, outline),
            ));
        }
        None => {
            painter.circle(c, size * 0.7, fill, Stroke::new(2.0, outline));
        }
    }
    // Link health ring.
    painter.circle_stroke(c, 16.0, Stroke::new(2.0, health));
    labels.keep_clear(egui::Rect::from_center_size(c, vec2(32.0, 32.0)));
    let label = format!(
        "{} {} {:.0} m{}{}",
        input.snapshot.world.names.drone_short(sysid),
        vehicle.mode,
        pos.alt_rel_home_m,
        if heading.is_none() {
            " · heading: no data"
        } else {
            ""
        },
        if vehicle.health == Health::Fresh {
            String::new()
        } else {
            format!(" {}", vehicle.health.label())
        }
    );
    labels.add(
        if selected {
            Priority::Selected
        } else {
            Priority::Vehicle
        },
        c + vec2(18.0, -4.0),
        Align2::LEFT_BOTTOM,
        label,
        font.clone(),
        if selected { p.selected } else { p.label },
    );
}

/// A polygon close to a circle of radius `r` around `c`.
fn circle_points(c: Pos2, r: f32) -> Vec<Pos2> {
    (0..16)
        .map(|k| {
            let a = k as f32 / 16.0 * std::f32::consts::TAU;
            c + vec2(a.cos(), a.sin()) * r
        })
        .collect()
}

/// An icon around `c` pointing along `heading_rad` (clockwise from north, screen up).
fn icon(airframe: Airframe, c: Pos2, heading_rad: f32, size: f32) -> Vec<Pos2> {
    let local: &[(f32, f32)] = match airframe {
        Airframe::FixedWing | Airframe::Vtol => &[
            (0.0, -1.0),
            (0.25, -0.2),
            (1.0, 0.15),
            (0.25, 0.3),
            (0.15, 0.85),
            (-0.15, 0.85),
            (-0.25, 0.3),
            (-1.0, 0.15),
            (-0.25, -0.2),
        ],
        Airframe::Ground => &[(0.0, -1.0), (0.7, 0.8), (-0.7, 0.8)],
        _ => &[(0.0, -1.0), (0.75, 0.75), (0.0, 0.35), (-0.75, 0.75)],
    };
    let (s, co) = heading_rad.sin_cos();
    local
        .iter()
        .map(|&(x, y)| c + vec2(x * co - y * s, x * s + y * co) * size)
        .collect()
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

/// A scale bar of a round length, at most `max_px` long, at the bottom left of `rect`.
pub fn paint_scale_bar(painter: &egui::Painter, rect: egui::Rect, px_per_m: f32, colour: Color32) {
    if !(px_per_m.is_finite() && px_per_m > 0.0) {
        return;
    }
    let max_px = 140.0;
    let max_m = f64::from(max_px / px_per_m);
    let pow = 10f64.powf(max_m.log10().floor());
    let len_m = [5.0, 2.0, 1.0]
        .iter()
        .map(|k| k * pow)
        .find(|l| *l <= max_m)
        .unwrap_or(pow);
    let len_px = (len_m as f32) * px_per_m;
    let origin = rect.left_bottom() + vec2(14.0, -30.0);
    let stroke = Stroke::new(2.0, colour);
    painter.line_segment([origin, origin + vec2(len_px, 0.0)], stroke);
    painter.line_segment([origin, origin + vec2(0.0, -6.0)], stroke);
    painter.line_segment(
        [origin + vec2(len_px, 0.0), origin + vec2(len_px, -6.0)],
        stroke,
    );
    painter.text(
        origin + vec2(len_px / 2.0, -4.0),
        Align2::CENTER_BOTTOM,
        format_distance(len_m),
        FontId::proportional(11.0),
        colour,
    );
}

/// A north arrow at the top right of `rect` (the map is north-up Web Mercator).
/// A coverage cell's colour: never observed, solid; observed, fading in as the time since
/// grows to an hour; `None` (clear) when observed in the last couple of minutes.
pub fn coverage_colour(unobserved_s: Option<f64>) -> Option<Color32> {
    let alpha = match unobserved_s {
        None => 90.0,
        Some(s) => (s / 3600.0).clamp(0.0, 1.0) * 80.0,
    };
    (alpha >= 4.0).then(|| Color32::from_rgba_unmultiplied(200, 60, 160, alpha as u8))
}

/// The coverage layer's legend, in the map's bottom-right corner.
pub fn coverage_legend(ctx: &egui::Context, map: egui::Rect, background: Color32) {
    egui::Area::new(egui::Id::unique("coverage-legend"))
        .fixed_pos(map.right_bottom() + vec2(-230.0, -112.0))
        .order(egui::Order::Foreground)
        .interactable(false)
        .show(ctx, |ui| {
            egui::Frame::new()
                .fill(background.gamma_multiply(0.9))
                .inner_margin(6.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    ui.label(egui::RichText::new("Coverage: time since observed").strong());
                    for (text, since_s) in [
                        ("never observed", None),
                        ("an hour or more", Some(3600.0)),
                        ("half an hour", Some(1800.0)),
                        ("within minutes (clear)", Some(0.0)),
                    ] {
                        ui.horizontal(|ui| {
                            let (swatch, _) =
                                ui.allocate_exact_size(vec2(14.0, 10.0), egui::Sense::hover());
                            if let Some(colour) = coverage_colour(since_s) {
                                ui.painter().rect_filled(swatch, 0.0, colour);
                            }
                            ui.painter().rect_stroke(
                                swatch,
                                0.0,
                                Stroke::new(1.0, Color32::GRAY),
                                egui::StrokeKind::Inside,
                            );
                            ui.label(text);
                        });
                    }
                });
        });
}

pub fn paint_north_arrow(painter: &egui::Painter, rect: egui::Rect, colour: Color32) {
    let c = rect.right_top() + vec2(-28.0, 40.0);
    painter.add(Shape::convex_polygon(
        vec![c + vec2(0.0, -14.0), c + vec2(7.0, 8.0), c + vec2(0.0, 3.0)],
        colour,
        Stroke::NONE,
    ));
    painter.add(Shape::closed_line(
        vec![
            c + vec2(0.0, -14.0),
            c + vec2(7.0, 8.0),
            c + vec2(0.0, 3.0),
            c + vec2(-7.0, 8.0),
        ],
        Stroke::new(1.2, colour),
    ));
    painter.text(
        c + vec2(0.0, -16.0),
        Align2::CENTER_BOTTOM,
        "N",
        FontId::proportional(13.0),
        colour,
    );
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
