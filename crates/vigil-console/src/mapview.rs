//! The map part: walkers' slippy map (tiles from a folder or a cached server, or none) under
//! the vector basemap and the overlays; its own state is the view (centre, zoom, whether the
//! operator has taken it), the tool (select or measure), the trails and the protection marks
//! derived from the snapshots. It draws from [`Shared`] and the plan being edited.

use std::path::{Path, PathBuf};

use eframe::egui;

use crate::actions::{self, ActionCenter};
use crate::basemap::{self, BasemapFile, VectorBasemap};
use crate::desk::Shared;
use crate::map::{
    MapProjection, Outline, OverlayInput, Pick, Trails, coverage_legend, paint_north_arrow,
    paint_overlays, paint_scale_bar, pick, position_text,
};
use crate::panels::{self, Marks};
use crate::planner::Planner;
use crate::settings::{Settings, TileChoice};
use crate::{ConsoleError, MapTool, Measure, Pos, SideTab};
use std::collections::BTreeSet;
use vigil_station::Snapshot;

/// Tiles, movable to the thread that opens them.
type SendTiles = Box<dyn walkers::Tiles + Send>;

/// A tile source in words: "tiles from /srv/tiles".
fn tiles_text(choice: &TileChoice) -> String {
    match choice {
        TileChoice::None => "vector basemap (offline)".into(),
        TileChoice::Folder(p) => format!("tiles from {}", p.display()),
        TileChoice::Server(url) => format!("tiles from {url}"),
    }
}

/// The map's state between frames.
pub struct MapView {
    basemap: VectorBasemap,
    tiles: Option<SendTiles>,
    /// Tiles being opened on `vigil-tiles-open`: what was chosen, and the answer to come.
    tiles_opening: Option<(
        TileChoice,
        crossbeam_channel::Receiver<Result<SendTiles, ConsoleError>>,
    )>,
    tile_status: String,
    /// What the operator types in the Map menu: a folder or a server's URL.
    tile_input: String,
    tile_cache_dir: Option<PathBuf>,
    map_memory: walkers::MapMemory,
    home_deg: Pos,
    /// The operator panned, zoomed or centred the map in this session: the console no longer
    /// moves it by itself.
    view_touched: bool,
    /// The one look at the first known positions is done (fitted, or they were in view).
    view_settled: bool,
    /// The operator asked to see everything known (Map menu).
    fit_request: bool,
    tool: MapTool,
    measure: Option<Measure>,
    cursor_deg: Option<Pos>,
    context_deg: Option<Pos>,
    /// Where the map was drawn last frame.
    map_rect: egui::Rect,
    /// The protection layer's marks for this view revision, with or without coverage cells.
    marks: ((u64, bool), Marks),
    trails: Trails,
}

impl MapView {
    /// The map at the view the settings remember (or the basemap's centre), with the basemap
    /// of `basemap_file` (the demo's when none or unreadable, saying why) and the tiles the
    /// settings name.
    pub fn new(
        settings: &mut Settings,
        basemap_file: Option<&Path>,
        tile_cache_dir: Option<PathBuf>,
        ctx: &egui::Context,
    ) -> Self {
        let mut basemap_status = String::new();
        let basemap = match basemap_file {
            Some(path) => VectorBasemap::load(path).unwrap_or_else(|err| {
                basemap_status = format!("basemap not loaded: {err}");
                VectorBasemap::demo()
            }),
            None => VectorBasemap::demo(),
        };
        let home_deg = basemap.centre_deg().unwrap_or((0.0, 0.0));
        let mut map_memory = walkers::MapMemory::default();
        match settings.map_view {
            Some((lat, lon, zoom)) => {
                map_memory.center_at(walkers::lat_lon(lat, lon));
                let _ = map_memory.set_zoom(zoom);
            }
            None => {
                let _ = map_memory.set_zoom(14.0);
            }
        }
        let mut view = Self {
            basemap,
            tiles: None,
            tiles_opening: None,
            tile_status: basemap_status,
            tile_input: match &settings.tiles {
                TileChoice::Folder(p) => p.display().to_string(),
                TileChoice::Server(url) => url.clone(),
                TileChoice::None => String::new(),
            },
            tile_cache_dir,
            map_memory,
            home_deg,
            view_touched: false,
            view_settled: false,
            fit_request: false,
            tool: MapTool::Select,
            measure: None,
            cursor_deg: None,
            context_deg: None,
            map_rect: egui::Rect::NOTHING,
            marks: ((u64::MAX, false), Marks::default()),
            trails: Trails::default(),
        };
        view.open_tiles(settings, ctx);
        view
    }

    /// Follows a new snapshot: the trails, and the protection marks when the protection view
    /// or the coverage layer changed (the coverage cells, thousands of conversions, are only
    /// made while they are shown).
    pub fn follow(&mut self, snapshot: &Snapshot, new_seq: bool, settings: &mut Settings) {
        self.poll_tiles(settings);
        if new_seq {
            self.trails.update(snapshot, settings.trail_s);
        }
        let key = (snapshot.protection.revision, settings.layers.coverage);
        if self.marks.0 != key {
            self.marks = (key, panels::protection_marks(snapshot, key.1));
        }
    }

    /// Forgets what was derived from another pipeline's snapshots (after a seek back).
    pub fn forget_derived(&mut self) {
        self.trails = Trails::default();
        self.marks = ((u64::MAX, false), Marks::default());
    }

    /// Whether the measuring tool is on.
    pub fn measuring(&self) -> bool {
        self.tool == MapTool::Measure
    }

    /// Starts measuring (M), or stops when `on` is false (Esc).
    pub fn set_measuring(&mut self, on: bool) {
        self.tool = if on {
            MapTool::Measure
        } else {
            MapTool::Select
        };
        self.measure = None;
    }

    /// Where the map was drawn last.
    pub fn rect(&self) -> egui::Rect {
        self.map_rect
    }

    /// The map's centre and zoom level, as drawn last.
    pub fn view(&self) -> (Pos, f64) {
        let centre = self
            .map_memory
            .detached()
            .map_or(self.home_deg, |p| (p.y(), p.x()));
        (centre, self.map_memory.zoom())
    }

    /// Centres the map on `at` (the operator asked: the console stops moving the map itself).
    pub fn centre_on(&mut self, at: Pos) {
        self.map_memory.center_at(walkers::lat_lon(at.0, at.1));
        self.view_touched = true;
    }

    /// Opens the tiles the settings name, on a thread of its own; the map draws the vector
    /// basemap until they are open ([`MapView::follow`] takes them).
    pub fn open_tiles(&mut self, settings: &Settings, ctx: &egui::Context) {
        self.tiles = None;
        let choice = settings.tiles.clone();
        if choice == TileChoice::None {
            self.tile_status = "vector basemap (offline)".into();
            self.tiles_opening = None;
            return;
        }
        // Opening reads the folder or makes the cache's: on `vigil-tiles-open`, answered once
        // (bounded 1); a newer choice replaces the receiver and the older answer is dropped.
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let cache_dir = self.tile_cache_dir.clone();
        let ctx = ctx.clone();
        let wanted = choice.clone();
        let spawned = std::thread::Builder::new()
            .name("vigil-tiles-open".into())
            .spawn(move || {
                let repaint = ctx.clone();
                let opened: Result<SendTiles, ConsoleError> = match &wanted {
                    // Not started for no tiles; were it, the receiver would say it stopped.
                    TileChoice::None => return,
                    TileChoice::Folder(path) => {
                        basemap::FolderTiles::open(path, ctx).map(|t| Box::new(t) as SendTiles)
                    }
                    TileChoice::Server(url) => {
                        basemap::server_tiles(url, cache_dir.as_deref(), ctx)
                            .map(|t| Box::new(t) as SendTiles)
                    }
                };
                let _ = done_tx.send(opened);
                repaint.request_repaint();
            });
        match spawned {
            Ok(_) => {
                self.tile_status = format!("opening {}…", tiles_text(&choice));
                self.tiles_opening = Some((choice, done));
            }
            Err(err) => {
                self.tile_status = format!("tiles not loaded: cannot start a thread: {err}");
                self.tiles_opening = None;
            }
        }
    }

    /// Takes the tiles once opened (never waits); a failure says why and falls back to the
    /// vector basemap in the settings too.
    fn poll_tiles(&mut self, settings: &mut Settings) {
        let Some((choice, done)) = &self.tiles_opening else {
            return;
        };
        let opened = match done.try_recv() {
            Ok(opened) => opened,
            Err(crossbeam_channel::TryRecvError::Empty) => return,
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err(ConsoleError::Window(
                "the thread opening the tiles stopped".into(),
            )),
        };
        let choice = choice.clone();
        self.tiles_opening = None;
        match opened {
            Ok(tiles) => {
                self.tile_status = format!(
                    "{}{}",
                    tiles_text(&choice),
                    match choice {
                        TileChoice::Server(_) => " (cached)",
                        _ => "",
                    }
                );
                self.tiles = Some(tiles);
            }
            Err(err) => {
                self.tile_status = format!("tiles not loaded: {err}");
                if settings.tiles == choice {
                    settings.tiles = TileChoice::None;
                }
            }
        }
    }

    /// What the map's tiles are, in words.
    pub fn tile_status(&self) -> &str {
        &self.tile_status
    }

    /// The Map menu: tiles, centre on the area, show everything known.
    pub fn menu(&mut self, ui: &mut egui::Ui, settings: &mut Settings) {
        ui.label(&self.tile_status);
        ui.label("Tiles: a z/x/y folder or an XYZ URL with {z}/{x}/{y}");
        ui.text_edit_singleline(&mut self.tile_input);
        ui.horizontal(|ui| {
            if ui.button("Use folder").clicked() {
                settings.tiles = TileChoice::Folder(PathBuf::from(self.tile_input.trim()));
                self.open_tiles(settings, ui.ctx());
            }
            if ui.button("Use server").clicked() {
                settings.tiles = TileChoice::Server(self.tile_input.trim().to_owned());
                self.open_tiles(settings, ui.ctx());
            }
            if ui.button("Vector only").clicked() {
                settings.tiles = TileChoice::None;
                self.open_tiles(settings, ui.ctx());
            }
        });
        if ui.button("Centre on the area").clicked() {
            self.map_memory.follow_my_position();
            self.view_touched = true;
        }
        if ui.button("Show all drones and sensors").clicked() {
            self.fit_request = true;
            ui.close();
        }
    }

    // Long: immediate-mode drawing of the map, its tools and its context menu, in painting order.
    /// The map with its overlays; a click picks (or adds to the plan, or measures), a right
    /// click opens the context menu.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        cx: &mut Shared,
        planner: &mut Planner,
        patrols: Vec<Outline>,
    ) {
        // A part asked for the map to be centred this frame (the panels draw before the map).
        if let Some(at) = cx.focus.centre_request.take() {
            self.centre_on(at);
        }
        let palette = cx.palette();
        ui.painter()
            .rect_filled(ui.max_rect(), 0.0, palette.background);
        let measure = self
            .measure
            .and_then(|(a, b)| b.or(self.cursor_deg).map(|b| (a, b)));
        // Until the view is settled (or when asked), where the known positions are against it.
        let known = if (!self.view_settled && !self.view_touched) || self.fit_request {
            known_positions(cx.snapshot)
        } else {
            Vec::new()
        };
        let plan_outline = planner.outline();
        let fences = planner.fences();
        // The vehicles' missions, and the areas of the plan's patterns under their lines.
        let mut missions = planner.vehicle_missions();
        missions.extend(planner.survey_areas());
        missions.extend(patrols);
        let tiles: Option<&mut dyn walkers::Tiles> = if cx.settings.layers.tiles {
            self.tiles
                .as_deref_mut()
                .map(|t| t as &mut dyn walkers::Tiles)
        } else {
            None
        };
        let home = walkers::lat_lon(self.home_deg.0, self.home_deg.1);
        let goals = cx.actions.goals.clone();
        let input = OverlayInput {
            snapshot: cx.snapshot,
            basemap: &self.basemap,
            layers: &cx.settings.layers,
            palette: &palette,
            trails: &self.trails,
            footprints: &cx.snapshot.footprints,
            selected_vehicles: &cx.focus.vehicles,
            selection: cx.focus.pick.as_ref(),
            missions: &missions,
            plan: plan_outline.as_ref(),
            fences: &fences,
            sites: &self.marks.1.sites,
            alerts: &self.marks.1.alerts,
            coverage: &self.marks.1.coverage,
            incidents: &self.marks.1.incidents,
            measure,
            goals: &goals,
        };
        let mut clicked: Option<(Pos, bool)> = None;
        let mut context: Option<Pos> = None;
        let mut hover: Option<Pos> = None;
        let mut picked: Option<Pick> = None;
        let mut refit: Option<(Pos, f64)> = None;
        let mut in_view = false;
        let map_response = walkers::Map::new(tiles, &mut self.map_memory, home)
            .double_click_to_zoom(true)
            // The wheel zooms about the pointer, as in every map an operator knows; dragging
            // pans.
            .zoom_with_ctrl(false)
            .show(ui, |ui, response, projector, memory| {
                if !known.is_empty() {
                    let view = response.rect;
                    in_view = known.iter().any(|&(lat, lon)| {
                        view.contains(MapProjection::to_screen(projector, lat, lon))
                    });
                    refit = fit_view(projector, view, memory.zoom(), &known);
                }
                let painter = ui.painter().with_clip_rect(response.rect);
                paint_overlays(&painter, projector, &input);
                let scale = MapProjection::px_per_m(projector, self.home_deg.0);
                paint_scale_bar(&painter, response.rect, scale, palette.label);
                paint_north_arrow(&painter, response.rect, palette.label);
                if let Some(at) = response.hover_pos() {
                    hover = Some(MapProjection::to_geo(projector, at));
                }
                if response.clicked()
                    && let Some(at) = response.interact_pointer_pos()
                {
                    let shift = ui.input(|i| i.modifiers.shift || i.modifiers.command);
                    clicked = Some((MapProjection::to_geo(projector, at), shift));
                    picked = pick(projector, at, 14.0, &input);
                }
                if response.secondary_clicked()
                    && let Some(at) = response.interact_pointer_pos()
                {
                    context = Some(MapProjection::to_geo(projector, at));
                }
                response.context_menu(|ui| {
                    if let Some(at) = self.context_deg {
                        context_menu(
                            ui,
                            at,
                            &cx.focus.vehicles,
                            cx.actions,
                            planner,
                            &mut self.measure,
                            &mut self.tool,
                        );
                    }
                });
            });
        self.map_rect = map_response.response.rect;
        if cx.settings.layers.coverage {
            coverage_legend(ui.ctx(), map_response.response.rect, palette.background);
        }
        if map_response.response.changed() {
            // A drag, a wheel, a pinch or a double click: the operator has the map now.
            self.view_touched = true;
        }
        if !known.is_empty() {
            let fit = std::mem::take(&mut self.fit_request) || !(in_view || self.view_touched);
            if fit && let Some((centre, zoom)) = refit {
                self.map_memory
                    .center_at(walkers::lat_lon(centre.0, centre.1));
                let _ = self.map_memory.set_zoom(zoom);
            }
            self.view_settled = true;
        }
        self.cursor_deg = hover;
        if context.is_some() {
            self.context_deg = context;
        }
        if let Some((at, additive)) = clicked {
            self.on_click(cx, planner, at, additive, picked);
        }
        // The strip under the map: cursor position in lat/lon and MGRS.
        let strip = egui::Rect::from_min_max(
            ui.max_rect().left_bottom() - egui::vec2(0.0, 22.0),
            ui.max_rect().right_bottom(),
        );
        let text = match self.cursor_deg {
            Some((lat, lon)) => position_text(lat, lon),
            None => "move the pointer over the map".into(),
        };
        ui.painter()
            .rect_filled(strip, 0.0, palette.background.gamma_multiply(0.85));
        ui.painter().text(
            strip.left_center() + egui::vec2(170.0, 0.0),
            egui::Align2::LEFT_CENTER,
            format!(
                "{text}   ·   {}{}",
                self.tile_status,
                if self.tool == MapTool::Measure {
                    "   ·   measuring: click two points"
                } else {
                    ""
                }
            ),
            egui::FontId::monospace(12.0),
            palette.label,
        );
    }

    fn on_click(
        &mut self,
        cx: &mut Shared,
        planner: &mut Planner,
        at: Pos,
        additive: bool,
        picked: Option<Pick>,
    ) {
        if self.tool == MapTool::Measure {
            self.measure = match self.measure {
                Some((a, None)) => Some((a, Some(at))),
                _ => Some((at, None)),
            };
            return;
        }
        if planner.on_map_click(at, picked.as_ref()) {
            return;
        }
        match picked {
            Some(Pick::Vehicle(sysid)) => {
                if !additive {
                    cx.focus.vehicles.clear();
                }
                if !cx.focus.vehicles.insert(sysid) {
                    cx.focus.vehicles.remove(&sysid);
                }
                cx.focus.pick = Some(Pick::Vehicle(sysid));
                cx.focus.side_tab = SideTab::Details;
            }
            Some(pick) => {
                cx.focus.pick = Some(pick);
                cx.focus.side_tab = SideTab::Details;
            }
            None => cx.focus.pick = None,
        }
    }
}

/// Where everything known is: the vehicles' last positions and the sensor nodes.
fn known_positions(snapshot: &Snapshot) -> Vec<Pos> {
    let world = &snapshot.world;
    world
        .vehicles
        .values()
        .filter_map(|v| v.position.map(|p| (p.lat_deg, p.lon_deg)))
        .chain(
            world
                .sensors
                .values()
                .filter_map(|n| n.position.map(|p| (p.lat_deg, p.lon_deg))),
        )
        .filter(|(lat, lon)| lat.is_finite() && lon.is_finite())
        .collect()
}

/// The smallest zoom the console fits to (the whole world is zoom 0), and the largest (a
/// single drone is shown at this zoom rather than at the tiles' limit).
const FIT_ZOOM: (f64, f64) = (2.0, 16.0);

/// The centre and zoom that show every one of `points` inside `view` with a margin, worked
/// out with the current projection: at zoom `z + dz` distances on screen are `2^dz` times
/// those at `z`.
fn fit_view(
    projector: &walkers::Projector,
    view: egui::Rect,
    zoom: f64,
    points: &[Pos],
) -> Option<(Pos, f64)> {
    let screen: Vec<egui::Pos2> = points
        .iter()
        .map(|&(lat, lon)| MapProjection::to_screen(projector, lat, lon))
        .collect();
    let bounds = egui::Rect::from_points(&screen);
    if !bounds.is_finite() {
        return None;
    }
    let centre = MapProjection::to_geo(projector, bounds.center());
    let usable = view.size() * 0.7;
    let scale = (f64::from(usable.x) / f64::from(bounds.width().max(1e-3)))
        .min(f64::from(usable.y) / f64::from(bounds.height().max(1e-3)));
    let target = (zoom + scale.log2()).clamp(FIT_ZOOM.0, FIT_ZOOM.1);
    Some((centre, target))
}

/// The map's context menu's width, points.
const CONTEXT_MENU_WIDTH: f32 = 300.0;

fn context_menu(
    ui: &mut egui::Ui,
    at: Pos,
    selected: &BTreeSet<u8>,
    actions: &mut ActionCenter,
    planner: &mut Planner,
    measure: &mut Option<Measure>,
    tool: &mut MapTool,
) {
    // Wide enough for its longest line wherever it opens: near the map's right edge egui moves
    // it left rather than squeezing it (which wrapped its labels letter by letter).
    ui.set_min_width(CONTEXT_MENU_WIDTH);
    ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
    ui.label(position_text(at.0, at.1));
    ui.separator();
    let targets: Vec<u8> = selected.iter().copied().collect();
    let any = !targets.is_empty();
    let who = if any {
        format!(
            " ({})",
            targets
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        " (select a drone first)".into()
    };
    if ui
        .add_enabled(any, egui::Button::new(format!("Go here{who}")))
        .clicked()
    {
        actions.request(actions.goto(at), targets.clone());
        ui.close();
    }
    if ui
        .add_enabled(any, egui::Button::new(format!("Orbit here{who}")))
        .clicked()
    {
        actions.request(actions.orbit(at), targets.clone());
        ui.close();
    }
    if ui
        .add_enabled(any, egui::Button::new(format!("Point camera here{who}")))
        .clicked()
    {
        actions.request(actions::point_camera(at), targets);
        ui.close();
    }
    ui.separator();
    if ui.button("Add waypoint here").clicked() {
        planner.add_waypoint(at);
        ui.close();
    }
    if ui.button("Measure from here").clicked() {
        *tool = MapTool::Measure;
        *measure = Some((at, None));
        ui.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Follows empty snapshots until the tiles' thread has answered (bounded).
    fn open(settings: &mut Settings) -> MapView {
        let ctx = egui::Context::default();
        let mut view = MapView::new(settings, None, None, &ctx);
        let snapshot = Snapshot::default();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while view.tiles_opening.is_some() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
            view.follow(&snapshot, false, settings);
        }
        assert!(view.tiles_opening.is_none(), "the tiles never opened");
        view
    }

    #[test]
    fn a_tile_folder_is_opened_off_the_ui_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("0")).expect("zoom folder");
        let mut settings = Settings {
            tiles: TileChoice::Folder(dir.path().to_owned()),
            ..Settings::default()
        };
        let ctx = egui::Context::default();
        let view = MapView::new(&mut settings, None, None, &ctx);
        // Asked, not yet opened: the constructor returned without reading the folder.
        assert!(view.tile_status().starts_with("opening tiles from"));
        let view = open(&mut settings);
        assert_eq!(
            view.tile_status(),
            format!("tiles from {}", dir.path().display())
        );
        assert!(view.tiles.is_some());
    }

    #[test]
    fn a_missing_tile_folder_says_why_and_falls_back_to_the_vector_basemap() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("no-such-tiles");
        let mut settings = Settings {
            tiles: TileChoice::Folder(missing.clone()),
            ..Settings::default()
        };
        let view = open(&mut settings);
        assert!(view.tile_status().starts_with("tiles not loaded: "));
        assert!(
            view.tile_status().contains("no-such-tiles"),
            "{}",
            view.tile_status()
        );
        assert!(view.tiles.is_none());
        assert_eq!(settings.tiles, TileChoice::None);
    }
}
