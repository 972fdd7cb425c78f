//! The mission console: the operator's window onto the ground station, built with egui.
//!
//! The console is a client of the pipeline like any other: each frame it takes the latest
//! `Arc<Snapshot>` (a lock-free load, never a wait) and draws it; commands go out through
//! [`GroundStation`]'s bounded request queue and their outcomes come back on channels polled with
//! `try_recv`. Nothing here reads a socket or a file on the UI thread: map tiles are read by their
//! own thread, sounds are played by theirs, and settings are written only when the window closes
//! or once a minute.
//!
//! [`ConsoleApp::show`] draws everything into a `Ui`, so the GUI tests drive it with egui_kittest
//! and the frame benchmark measures it without a window; [`run`] puts it in an eframe window.

// Long: the console's app: layout, shortcuts, the map panel and the logic step. Each panel becomes a part with its own state in the next step of issue 13 (see ARCHITECTURE.md).

pub mod actions;
pub mod audio;
pub mod basemap;
pub mod dispatch;
pub mod inbox;
pub mod instruments;
pub mod links;
pub mod map;
pub mod messages;
pub mod panels;
pub mod patrol;
pub mod planner;
pub mod plots;
pub mod quit;
pub mod session;
pub mod settings;
pub mod telemetry;
pub mod worklist;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use actions::ActionCenter;
use audio::{Audio, Cue};
use basemap::{BasemapFile, VectorBasemap};
use map::{Pick, Trails};
use planner::Planner;
use settings::{Settings, SettingsFile, Theme, TileChoice};
use vigil_station::{GroundStation, Snapshot};

/// Why the console could not do something. Each names the file or thing involved.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: line {line}: {message}", path.display())]
    Settings {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{origin}: {at}: {problem}")]
    Basemap {
        origin: String,
        at: String,
        problem: String,
    },
    #[error("the console window failed: {0}")]
    Window(String),
}

/// How the console starts.
#[derive(Debug, Clone, Default)]
pub struct ConsoleOptions {
    /// Where settings are remembered; `None` keeps them in memory only (tests).
    pub settings_path: Option<PathBuf>,
    /// Where tiles from a server are cached; `None` keeps them in memory only (tests).
    pub tile_cache_dir: Option<PathBuf>,
    /// A GeoJSON basemap instead of the built-in demo area.
    pub basemap: Option<PathBuf>,
    /// Overrides the remembered tile source.
    pub tiles: Option<TileChoice>,
    /// Play audible cues (also needs `aplay` or `paplay`).
    pub audio: bool,
    /// Window title suffix, e.g. "demo" or the link.
    pub title: String,
    /// Set from outside (SIGTERM, Ctrl-C): the console closes, without asking, so that the
    /// session is sealed.
    pub quit: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The station's patrol keeper (`vigil run --patrol`): the Plan tab shows what it flies
    /// instead of planning by hand.
    pub patrol_keeper: Option<vigil_station::patrol::PatrolWatch>,
}

/// How often the window redraws without input: the snapshot changes continuously.
const REPAINT_EVERY: Duration = Duration::from_millis(100);
/// How often settings are written while running.
const SAVE_EVERY: Duration = Duration::from_secs(60);
/// Battery level that sounds a cue, percent.
const LOW_BATTERY_PCT: f64 = 25.0;

/// Tabs of the right-hand panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideTab {
    Details,
    Plan,
}

/// Tabs of the bottom panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BottomTab {
    Alerts,
    Reports,
    Messages,
    Links,
    Plots,
}

/// What a left click on the map does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapTool {
    Select,
    Measure,
}

/// The console's state between frames.
pub struct ConsoleApp {
    pub(crate) station: GroundStation,
    pub(crate) snapshot: Arc<Snapshot>,
    pub(crate) settings: Settings,
    settings_path: Option<PathBuf>,
    tile_cache_dir: Option<PathBuf>,
    last_saved: Instant,
    pub(crate) basemap: VectorBasemap,
    tiles: Option<Box<dyn walkers::Tiles>>,
    tile_status: String,
    map_memory: walkers::MapMemory,
    home_deg: (f64, f64),
    /// The operator panned, zoomed or centred the map in this session: the console no longer
    /// moves it by itself.
    view_touched: bool,
    /// The one look at the first known positions is done (fitted, or they were in view).
    view_settled: bool,
    /// The operator asked to see everything known (Map menu).
    fit_request: bool,
    pub(crate) trails: Trails,
    pub(crate) selected_vehicles: BTreeSet<u8>,
    pub(crate) selection: Option<Pick>,
    pub actions: ActionCenter,
    pub planner: Planner,
    pub(crate) plots: plots::PlotState,
    pub(crate) messages: messages::MessageFilter,
    pub(crate) side_tab: SideTab,
    pub(crate) bottom_tab: BottomTab,
    tool: MapTool,
    measure: Option<Measure>,
    cursor_deg: Option<(f64, f64)>,
    context_deg: Option<(f64, f64)>,
    audio: Audio,
    cue_state: CueState,
    show_help: bool,
    tile_input: String,
    applied_scale: f32,
    applied_theme: Option<Theme>,
    frame_times: panels::FrameTimes,
    pub alert_form: panels::AlertForm,
    pub inbox: inbox::Inbox,
    pub worklist: worklist::Worklist,
    pub dispatch_desk: dispatch::DispatchDesk,
    pub quit: quit::QuitGuard,
    /// The protection layer's marks for this view revision, with or without coverage cells.
    marks: ((u64, bool), panels::Marks),
    /// The recording being replayed, when the console was opened on one (`None` while a
    /// seek holds it on the `vigil-seek` thread).
    replay: Option<vigil_station::replay::ReplayController>,
    replay_slider_s: f64,
    /// A seek running on its own thread.
    seek: Option<Seek>,
    /// Why the last seek failed, shown on the replay bar until the next one.
    replay_error: Option<String>,
    /// eframe ran the logic step for the frame about to be drawn (it runs it before drawing,
    /// and alone while the window is hidden).
    logic_done: bool,
    pub exporter: session::Exporter,
    /// Patrols that close the sensors' gaps (the Plan tab).
    pub patrol: patrol::PatrolDesk,
    /// Where the map was drawn last frame.
    map_rect: egui::Rect,
    /// Failures of background settings saves (bounded 1: one is enough to show).
    settings_errors: (
        crossbeam_channel::Sender<String>,
        crossbeam_channel::Receiver<String>,
    ),
}

/// A seek on the `vigil-seek` thread: a seek backward restarts the replay's pipeline, which
/// takes up to seconds; the console keeps drawing the last picture meanwhile.
struct Seek {
    target_s: f64,
    done: crossbeam_channel::Receiver<(
        vigil_station::replay::ReplayController,
        Result<(), vigil_station::replay::ReplayError>,
    )>,
}

/// What has already been sounded, so each event gives one cue.
#[derive(Debug, Default)]
struct CueState {
    lost: BTreeSet<u8>,
    low_battery: BTreeSet<u8>,
    notice_seq: u64,
    /// "No player for the cues" has been said.
    no_player_said: bool,
}

impl ConsoleApp {
    pub fn new(station: GroundStation, options: ConsoleOptions, ctx: &egui::Context) -> Self {
        let mut settings = match &options.settings_path {
            Some(path) => Settings::load(path).unwrap_or_else(|err| {
                eprintln!("vigil: {err}; starting with default settings");
                Settings::default()
            }),
            None => Settings::default(),
        };
        if let Some(tiles) = options.tiles {
            settings.tiles = tiles;
        }
        let mut basemap_status = String::new();
        let basemap = match &options.basemap {
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
        let snapshot = station.snapshot();
        let mut app = Self {
            station,
            snapshot,
            tile_input: match &settings.tiles {
                TileChoice::Folder(p) => p.display().to_string(),
                TileChoice::Server(url) => url.clone(),
                TileChoice::None => String::new(),
            },
            settings,
            settings_path: options.settings_path,
            tile_cache_dir: options.tile_cache_dir,
            last_saved: Instant::now(),
            basemap,
            tiles: None,
            tile_status: basemap_status,
            map_memory,
            home_deg,
            view_touched: false,
            view_settled: false,
            fit_request: false,
            trails: Trails::default(),
            selected_vehicles: BTreeSet::new(),
            selection: None,
            actions: ActionCenter::default(),
            planner: Planner::default(),
            plots: plots::PlotState::default(),
            messages: messages::MessageFilter::default(),
            side_tab: SideTab::Details,
            bottom_tab: BottomTab::Alerts,
            tool: MapTool::Select,
            measure: None,
            cursor_deg: None,
            context_deg: None,
            audio: Audio::new(options.audio),
            cue_state: CueState::default(),
            show_help: false,
            applied_scale: 0.0,
            applied_theme: None,
            frame_times: panels::FrameTimes::default(),
            alert_form: panels::AlertForm::default(),
            inbox: inbox::Inbox::default(),
            worklist: worklist::Worklist::default(),
            dispatch_desk: dispatch::DispatchDesk::default(),
            quit: quit::QuitGuard::new(options.quit.clone()),
            marks: ((u64::MAX, false), panels::Marks::default()),
            replay: None,
            replay_slider_s: 0.0,
            seek: None,
            replay_error: None,
            logic_done: false,
            exporter: session::Exporter::default(),
            patrol: patrol::PatrolDesk::kept_by(options.patrol_keeper.clone()),
            map_rect: egui::Rect::NOTHING,
            settings_errors: crossbeam_channel::bounded(1),
        };
        app.open_tiles(ctx);
        app
    }

    /// Puts the replay bar on the console; the station follows the replay's pipeline.
    pub fn with_replay(mut self, replay: vigil_station::replay::ReplayController) -> Self {
        self.replay = Some(replay);
        self
    }

    /// After a seek backward the replay runs a new pipeline: take its station and forget what
    /// was derived from the old one.
    fn follow_replay(&mut self) {
        if let Some(station) = self.replay.as_ref().and_then(|r| r.station()) {
            self.station = station;
        }
        self.trails = Trails::default();
        self.plots = plots::PlotState::default();
        self.marks = ((u64::MAX, false), panels::Marks::default());
        self.snapshot = self.station.snapshot();
    }

    /// The recording being replayed, if any (`None` while a seek runs).
    pub fn replay(&self) -> Option<&vigil_station::replay::ReplayController> {
        self.replay.as_ref()
    }

    /// Moves the replay to `secs` from the start of the recording, on the `vigil-seek` thread
    /// (what the replay bar's slider does); one seek at a time.
    pub fn seek_replay_secs(&mut self, secs: f64) {
        if self.seek.is_some() {
            return;
        }
        let Some(mut replay) = self.replay.take() else {
            return;
        };
        let (done_tx, done) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-seek".into())
            .spawn(move || {
                let result = replay.seek_secs(secs);
                let _ = done_tx.send((replay, result));
            });
        match spawned {
            Ok(_) => {
                self.replay_error = None;
                self.seek = Some(Seek {
                    target_s: secs,
                    done,
                });
            }
            Err(err) => {
                self.replay_error = Some(format!(
                    "the replay stopped: cannot start the seek's thread: {err}"
                ));
            }
        }
    }

    /// A seek is running.
    pub fn is_seeking(&self) -> bool {
        self.seek.is_some()
    }

    /// Why the last seek failed, if it did.
    pub fn replay_error(&self) -> Option<&str> {
        self.replay_error.as_deref()
    }

    /// Takes back the replay when its seek is done, and follows its pipeline.
    fn finish_seek(&mut self) {
        let Some(seek) = &self.seek else {
            return;
        };
        let Ok((replay, result)) = seek.done.try_recv() else {
            return;
        };
        if let Err(err) = result {
            self.replay_error = Some(format!("seek to {:.0} s failed: {err}", seek.target_s));
        }
        self.seek = None;
        self.replay = Some(replay);
        self.follow_replay();
    }

    /// What runs whether or not the window is drawn (eframe calls it alone while the window
    /// is hidden or minimised): the latest snapshot, the commands' answers, the cues, seeks,
    /// the periodic settings save.
    pub fn logic(&mut self, ctx: &egui::Context) {
        self.quit.check_signal(ctx);
        self.finish_seek();
        self.refresh();
        if self.last_saved.elapsed() >= SAVE_EVERY {
            self.save_settings_in_background();
        }
        // Keeps the logic running while hidden: eframe calls it on each repaint request.
        ctx.request_repaint_after(REPAINT_EVERY);
    }

    /// Cues asked for since the start (played when audio is on), and the latest ones, oldest
    /// first.
    pub fn cues(&self) -> (u64, Vec<Cue>) {
        (self.audio.cues, self.audio.recent.iter().copied().collect())
    }

    /// The latest snapshot the console drew.
    pub fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Every layer and panel on and the first drone selected: the heaviest frame (benchmarks).
    pub fn show_everything(&mut self) {
        for (_, on) in self.settings.layers.entries() {
            *on = true;
        }
        let p = &mut self.settings.panels;
        (p.vehicles, p.details, p.messages) = (true, true, true);
        if let Some(first) = self.snapshot.world.vehicles.keys().next() {
            self.selected_vehicles.insert(*first);
        }
    }

    /// The drones actions go to.
    /// Where the telemetry plot was last drawn.
    pub fn plot_rect(&self) -> Option<egui::Rect> {
        self.plots.drawn
    }

    /// Whether the measuring tool is on.
    pub fn measuring(&self) -> bool {
        self.tool == MapTool::Measure
    }

    pub fn selected_vehicles(&self) -> &BTreeSet<u8> {
        &self.selected_vehicles
    }

    /// Where the map was drawn last (inside the panels).
    pub fn map_rect(&self) -> egui::Rect {
        self.map_rect
    }

    /// The map's centre `(lat_deg, lon_deg)` and zoom level, as drawn last.
    pub fn map_view(&self) -> (Pos, f64) {
        let centre = self
            .map_memory
            .detached()
            .map_or(self.home_deg, |p| (p.y(), p.x()));
        (centre, self.map_memory.zoom())
    }

    /// Centres the map on `at` (the operator asked: the console stops moving the map itself).
    pub(crate) fn centre_on(&mut self, at: Pos) {
        self.map_memory.center_at(walkers::lat_lon(at.0, at.1));
        self.view_touched = true;
    }

    /// Where everything known is: the vehicles' last positions and the sensor nodes.
    fn known_positions(&self) -> Vec<Pos> {
        let world = &self.snapshot.world;
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

    fn open_tiles(&mut self, ctx: &egui::Context) {
        self.tiles = None;
        let result: Result<Option<Box<dyn walkers::Tiles>>, ConsoleError> =
            match &self.settings.tiles {
                TileChoice::None => Ok(None),
                TileChoice::Folder(path) => basemap::FolderTiles::open(path, ctx.clone())
                    .map(|t| Some(Box::new(t) as Box<dyn walkers::Tiles>)),
                TileChoice::Server(url) => {
                    basemap::server_tiles(url, self.tile_cache_dir.as_deref(), ctx.clone())
                        .map(|t| Some(Box::new(t) as Box<dyn walkers::Tiles>))
                }
            };
        match result {
            Ok(tiles) => {
                self.tile_status = match &self.settings.tiles {
                    TileChoice::None => "vector basemap (offline)".into(),
                    TileChoice::Folder(p) => format!("tiles from {}", p.display()),
                    TileChoice::Server(url) => format!("tiles from {url} (cached)"),
                };
                self.tiles = tiles;
            }
            Err(err) => {
                self.tile_status = format!("tiles not loaded: {err}");
                self.settings.tiles = TileChoice::None;
            }
        }
    }

    /// Takes the latest snapshot and updates what the console derives from it.
    fn refresh(&mut self) {
        let snapshot = self.station.snapshot();
        if snapshot.seq != self.snapshot.seq {
            self.trails.update(&snapshot, self.settings.trail_s);
            self.plots.record(&snapshot);
        }
        self.snapshot = snapshot;
        // The coverage cells (thousands of conversions) are only made while they are shown.
        let key = (
            self.snapshot.protection.revision,
            self.settings.layers.coverage,
        );
        if self.marks.0 != key {
            self.marks = (key, panels::protection_marks(&self.snapshot, key.1));
        }
        self.actions.poll(&mut self.planner, &mut self.messages);
        self.actions.drop_reached_goals(&self.snapshot);
        self.sound_cues();
        if !self.cue_state.no_player_said
            && self
                .audio
                .no_player
                .load(std::sync::atomic::Ordering::Relaxed)
        {
            self.cue_state.no_player_said = true;
            self.messages.local(
                "audible cues are on, but neither aplay nor paplay can be run: alerts and lost \
                 links are shown, not sounded"
                    .into(),
            );
        }
    }

    /// One cue per event: a drone's link lost, a battery going low, a warning or worse notice.
    fn sound_cues(&mut self) {
        let world = &self.snapshot.world;
        for (sysid, v) in &world.vehicles {
            if v.health == vigil_world::Health::Lost {
                if self.cue_state.lost.insert(*sysid) {
                    self.audio.play(Cue::LinkLost);
                }
            } else {
                self.cue_state.lost.remove(sysid);
            }
            let low = telemetry::battery_pct(v, world.time).is_some_and(|p| p < LOW_BATTERY_PCT);
            if low {
                if self.cue_state.low_battery.insert(*sysid) {
                    self.audio.play(Cue::LowBattery);
                }
            } else {
                self.cue_state.low_battery.remove(sysid);
            }
        }
        let mut worst = None;
        for notice in world.notices.since(self.cue_state.notice_seq) {
            if notice.severity <= vigil_world::Severity::Warning {
                worst = Some(worst.map_or(notice.severity, |w: vigil_world::Severity| {
                    w.min(notice.severity)
                }));
            }
        }
        self.cue_state.notice_seq = world.notices.next_seq();
        match worst {
            Some(s) if s <= vigil_world::Severity::Critical => self.audio.play(Cue::Critical),
            Some(_) => self.audio.play(Cue::Warning),
            None => {}
        }
    }

    fn apply_look(&mut self, ctx: &egui::Context) {
        if self.applied_theme != Some(self.settings.theme) {
            ctx.set_visuals(match self.settings.theme {
                Theme::Night => night_visuals(),
                Theme::Day => egui::Visuals::light(),
            });
            self.applied_theme = Some(self.settings.theme);
        }
        // Ctrl +/- (egui's own shortcut) changes the zoom factor: keep the setting in step.
        let current = ctx.zoom_factor();
        if (current - self.applied_scale).abs() > 1e-3 && self.applied_scale != 0.0 {
            self.settings.ui_scale = current;
        }
        if (self.settings.ui_scale - current).abs() > 1e-3 {
            ctx.set_zoom_factor(self.settings.ui_scale);
        }
        self.applied_scale = self.settings.ui_scale;
    }

    /// Draws the whole console into `ui`. Called once per frame.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        let started = Instant::now();
        let ctx = ui.ctx().clone();
        if !std::mem::take(&mut self.logic_done) {
            self.logic(&ctx);
        }
        self.apply_look(&ctx);
        self.shortcuts(&ctx);
        self.quit.ui(&ctx, &self.snapshot);

        egui::Panel::top("vigil-top").show(ui, |ui| self.top_bar(ui));
        self.critical_banner(ui);
        if let Some(replay) = &mut self.replay {
            let mut seek_to = None;
            let error = self.replay_error.clone();
            egui::Panel::top("vigil-replay").show(ui, |ui| {
                seek_to =
                    session::replay_bar(ui, replay, &mut self.replay_slider_s, error.as_deref());
            });
            if let Some(secs) = seek_to {
                self.seek_replay_secs(secs);
            }
        } else if let Some(seek) = &self.seek {
            let target_s = seek.target_s;
            egui::Panel::top("vigil-replay").show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Replay");
                    ui.spinner();
                    ui.label(format!("seeking to {target_s:.0} s…"));
                });
            });
        }
        if self.settings.panels.vehicles {
            egui::Panel::left("vigil-vehicles")
                .resizable(true)
                .default_size(230.0)
                .show(ui, |ui| panels::vehicle_list(self, ui));
        }
        if self.settings.panels.details {
            egui::Panel::right("vigil-side")
                .resizable(true)
                .default_size(340.0)
                .show(ui, |ui| self.side_panel(ui));
        }
        if self.settings.panels.messages || self.settings.panels.links || self.settings.panels.plots
        {
            egui::Panel::bottom("vigil-bottom")
                .resizable(true)
                .default_size(230.0)
                .min_size(190.0)
                .show(ui, |ui| self.bottom_panel(ui));
        }
        egui::CentralPanel::default_margins()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| self.map_panel(ui));

        self.actions.dialogs(ui, &self.station, &self.snapshot);
        planner::dialogs(self, ui.ctx());
        self.patrol
            .dialogs(ui.ctx(), &self.station, &self.snapshot, &mut self.actions);
        self.dispatch_desk.dialog(
            ui,
            &self.station,
            &self.settings.operator,
            &mut self.actions,
        );
        if self.exporter.open || self.exporter.is_running() {
            // A live session's folder, or the folder of the recording being replayed.
            let session = self.snapshot.session_dir.clone().or_else(|| {
                self.replay
                    .as_ref()
                    .and_then(|r| r.tlog().parent().map(std::path::Path::to_owned))
            });
            session::export_window(&ctx, &mut self.exporter, session.as_deref());
        }
        if self.show_help {
            egui::Window::new("Keyboard shortcuts")
                .open(&mut self.show_help)
                .collapsible(false)
                .show(&ctx, |ui| {
                    egui::Grid::new("help").striped(true).show(ui, |ui| {
                        for (key, what) in SHORTCUTS {
                            ui.monospace(*key);
                            ui.label(*what);
                            ui.end_row();
                        }
                    });
                });
        }

        self.frame_times.push(started.elapsed());
    }

    /// Writes the settings now (when the window closes).
    pub fn save_settings(&mut self) {
        self.last_saved = Instant::now();
        self.remember_map_view();
        if let Some(path) = &self.settings_path
            && let Err(err) = self.settings.save(path)
        {
            self.messages.local(format!("settings not saved: {err}"));
        }
    }

    /// The periodic save: the file is written on a short-lived `vigil-settings` thread so the
    /// frame never waits on the disk; a failure comes back through `settings_errors`.
    fn save_settings_in_background(&mut self) {
        self.last_saved = Instant::now();
        while let Ok(err) = self.settings_errors.1.try_recv() {
            self.messages.local(format!("settings not saved: {err}"));
        }
        let Some(path) = self.settings_path.clone() else {
            return;
        };
        self.remember_map_view();
        let settings = self.settings.clone();
        let errors = self.settings_errors.0.clone();
        let _ = std::thread::Builder::new()
            .name("vigil-settings".into())
            .spawn(move || {
                if let Err(err) = settings.save(&path) {
                    // Full: an earlier failure is still waiting to be shown.
                    let _ = errors.try_send(err.to_string());
                }
            });
    }

    fn remember_map_view(&mut self) {
        let centre = self
            .map_memory
            .detached()
            .map(|p| (p.y(), p.x()))
            .unwrap_or(self.home_deg);
        self.settings.map_view = Some((centre.0, centre.1, self.map_memory.zoom()));
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let pressed = |key| ctx.input(|i| i.key_pressed(key) && !i.modifiers.command);
        // Esc closes the window on top first (egui closes its own menus and popups), then
        // leaves a tool, a drawing and the selection.
        if pressed(egui::Key::Escape) && self.show_help {
            self.show_help = false;
        } else if pressed(egui::Key::Escape) && self.exporter.open && !self.exporter.is_running() {
            self.exporter.open = false;
        } else if pressed(egui::Key::Escape) {
            self.tool = MapTool::Select;
            self.measure = None;
            self.selection = None;
            self.planner.stop_drawing();
        }
        if pressed(egui::Key::M) {
            self.tool = MapTool::Measure;
            self.measure = None;
        }
        if pressed(egui::Key::F1) {
            self.show_help = !self.show_help;
        }
        if pressed(egui::Key::N) {
            self.settings.theme = match self.settings.theme {
                Theme::Night => Theme::Day,
                Theme::Day => Theme::Night,
            };
        }
        if pressed(egui::Key::P) {
            self.side_tab = SideTab::Plan;
            self.settings.panels.details = true;
        }
        if pressed(egui::Key::C) {
            self.centre_on_selection();
        }
        if pressed(egui::Key::A) && ctx.input(|i| i.modifiers.shift) {
            self.selected_vehicles = self.snapshot.world.vehicles.keys().copied().collect();
        }
        let targets: Vec<u8> = self.selected_vehicles.iter().copied().collect();
        if !targets.is_empty() {
            if pressed(egui::Key::T) {
                self.actions.request(
                    actions::takeoff(self.actions.takeoff_alt_m),
                    targets.clone(),
                );
            }
            if pressed(egui::Key::R) {
                self.actions.request(
                    vigil_world::command::Action::ReturnToLaunch,
                    targets.clone(),
                );
            }
            if pressed(egui::Key::L) {
                self.actions
                    .request(vigil_world::command::Action::Land, targets);
            }
        }
        if pressed(egui::Key::Delete) {
            self.planner.delete_selected();
        }
    }

    fn centre_on_selection(&mut self) {
        let world = &self.snapshot.world;
        let target = self
            .selected_vehicles
            .iter()
            .next()
            .and_then(|s| world.vehicles.get(s))
            .and_then(|v| v.position)
            .map(|p| (p.lat_deg, p.lon_deg));
        if let Some(at) = target {
            self.centre_on(at);
        }
    }

    /// A red band under the menu while a critical alert is open (not yet acknowledged): seen
    /// whether or not the cues sound; a click opens the alert.
    fn critical_banner(&mut self, ui: &mut egui::Ui) {
        let open: Vec<(u64, String)> = self
            .snapshot
            .protection
            .open_alerts()
            .into_iter()
            .filter(|a| {
                a.severity == vigil_protection::AlertSeverity::Critical
                    && a.state == vigil_protection::AlertState::Open
            })
            .map(|a| {
                (
                    a.id,
                    vigil_protection::alert_line(a, &self.snapshot.protection.sites),
                )
            })
            .collect();
        let Some((id, line)) = open.first().cloned() else {
            return;
        };
        let palette = map::Palette::of(self.settings.theme);
        egui::Panel::top("vigil-critical")
            .frame(egui::Frame::NONE.fill(palette.critical).inner_margin(4.0))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    let more = if open.len() > 1 {
                        format!(" (+{} more critical)", open.len() - 1)
                    } else {
                        String::new()
                    };
                    ui.label(
                        egui::RichText::new(format!("{line}{more}"))
                            .strong()
                            .color(egui::Color32::WHITE),
                    );
                    if ui.button("Open the alert").clicked() {
                        self.selection = Some(Pick::Alert(id));
                        self.side_tab = SideTab::Details;
                        self.settings.panels.details = true;
                    }
                });
            });
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            let stay_open = egui::containers::menu::MenuConfig::default()
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
            egui::containers::menu::MenuButton::new("View")
                .config(stay_open.clone())
                .ui(ui, |ui| {
                    ui.label("Theme");
                    ui.radio_value(&mut self.settings.theme, Theme::Night, "Night");
                    ui.radio_value(&mut self.settings.theme, Theme::Day, "Day");
                    ui.separator();
                    ui.add(
                        egui::Slider::new(&mut self.settings.ui_scale, 0.6..=2.5)
                            .text("Interface scale"),
                    );
                    ui.separator();
                    ui.checkbox(&mut self.settings.panels.vehicles, "Vehicle list");
                    ui.checkbox(&mut self.settings.panels.details, "Side panel");
                    ui.checkbox(&mut self.settings.panels.messages, "Messages");
                    ui.checkbox(&mut self.settings.panels.links, "Link statistics");
                    ui.checkbox(&mut self.settings.panels.plots, "Plots");
                    ui.checkbox(&mut self.settings.audio, "Audible cues");
                    ui.add(
                        egui::Slider::new(&mut self.settings.trail_s, 0.0..=1800.0)
                            .text("Trail (s)"),
                    );
                    ui.horizontal(|ui| {
                        ui.label("Operator");
                        ui.text_edit_singleline(&mut self.settings.operator);
                    });
                });
            egui::containers::menu::MenuButton::new("Layers")
                .config(stay_open)
                .ui(ui, |ui| {
                    for (label, on) in self.settings.layers.entries() {
                        ui.checkbox(on, label);
                    }
                });
            ui.menu_button("Map", |ui| self.map_menu(ui));
            ui.menu_button("Session", |ui| {
                match &self.snapshot.session_dir {
                    Some(dir) => ui.label(format!("Recording to {}", dir.display())),
                    None => ui.label("Not recording"),
                };
                if ui.button("Export...").clicked() {
                    self.exporter.open = true;
                    ui.close();
                }
            });
            if ui
                .selectable_label(self.tool == MapTool::Measure, "Measure")
                .on_hover_text("Click two points on the map (M; Esc ends)")
                .clicked()
            {
                self.tool = match self.tool {
                    MapTool::Measure => MapTool::Select,
                    MapTool::Select => MapTool::Measure,
                };
                self.measure = None;
            }
            if ui.button("Help").clicked() {
                self.show_help = !self.show_help;
            }
            ui.separator();
            panels::status_strip(self, ui);
        });
        self.audio.set_enabled(self.settings.audio);
    }

    fn map_menu(&mut self, ui: &mut egui::Ui) {
        ui.label(&self.tile_status);
        ui.label("Tiles: a z/x/y folder or an XYZ URL with {z}/{x}/{y}");
        ui.text_edit_singleline(&mut self.tile_input);
        ui.horizontal(|ui| {
            if ui.button("Use folder").clicked() {
                self.settings.tiles = TileChoice::Folder(PathBuf::from(self.tile_input.trim()));
                self.open_tiles(ui.ctx());
            }
            if ui.button("Use server").clicked() {
                self.settings.tiles = TileChoice::Server(self.tile_input.trim().to_owned());
                self.open_tiles(ui.ctx());
            }
            if ui.button("Vector only").clicked() {
                self.settings.tiles = TileChoice::None;
                self.open_tiles(ui.ctx());
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

    fn side_panel(&mut self, ui: &mut egui::Ui) {
        // The panel keeps the width it has (the operator's to change): what is selected wraps
        // inside it rather than widening it and moving the map under the pointer.
        let width = ui.available_width();
        ui.set_max_width(width);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.side_tab, SideTab::Details, "Details");
            ui.selectable_value(&mut self.side_tab, SideTab::Plan, "Plan");
        });
        ui.separator();
        // Both ways: a table wider than the panel (the plan's items) scrolls sideways
        // instead of widening the panel.
        egui::ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.set_max_width(width);
                match self.side_tab {
                    SideTab::Details => panels::details(self, ui),
                    SideTab::Plan => planner::panel(self, ui),
                }
            });
    }

    fn bottom_panel(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            let open = self.snapshot.protection.open_alerts().len();
            ui.selectable_value(
                &mut self.bottom_tab,
                BottomTab::Alerts,
                format!("Alerts ({open})"),
            );
            let unread = inbox::Inbox::unread(&self.snapshot);
            ui.selectable_value(
                &mut self.bottom_tab,
                BottomTab::Reports,
                format!("Reports ({unread} new)"),
            );
            ui.selectable_value(&mut self.bottom_tab, BottomTab::Messages, "Messages");
            ui.selectable_value(&mut self.bottom_tab, BottomTab::Links, "Links");
            ui.selectable_value(&mut self.bottom_tab, BottomTab::Plots, "Plots");
        });
        ui.separator();
        // Each tab draws within the panel's own height (clipped, never enlarging it), so the
        // panel does not jump as the operator goes from tab to tab.
        let area = ui.available_rect_before_wrap();
        ui.allocate_rect(area, egui::Sense::hover());
        let mut tab_ui = ui.new_child(egui::UiBuilder::new().max_rect(area));
        tab_ui.set_clip_rect(area.intersect(ui.clip_rect()));
        let ui = &mut tab_ui;
        match self.bottom_tab {
            BottomTab::Alerts => panels::alerts(self, ui),
            BottomTab::Reports => {
                let before = self.selection.clone();
                self.inbox.ui(
                    ui,
                    inbox::InboxContext {
                        snapshot: &self.snapshot,
                        station: &self.station,
                        operator: &self.settings.operator,
                        actions: &mut self.actions,
                        desk: &mut self.dispatch_desk,
                        selection: &mut self.selection,
                    },
                );
                if self.selection != before {
                    // A report chosen opens in the side panel, as an alert does.
                    self.side_tab = SideTab::Details;
                    self.settings.panels.details = true;
                }
            }
            BottomTab::Messages => {
                let decisions = self
                    .replay
                    .as_ref()
                    .map(|r| r.decisions_until(self.snapshot.world.time));
                let palette = map::Palette::of(self.settings.theme);
                self.messages.ui(ui, &self.snapshot, decisions, &palette);
            }
            BottomTab::Links => {
                links::ui(ui, &self.snapshot, &map::Palette::of(self.settings.theme));
            }
            BottomTab::Plots => self.plots.ui(ui, &self.snapshot),
        }
    }

    // Long: immediate-mode drawing of the map, its tools and its context menu, in painting order.
    fn map_panel(&mut self, ui: &mut egui::Ui) {
        let palette = map::Palette::of(self.settings.theme);
        ui.painter()
            .rect_filled(ui.max_rect(), 0.0, palette.background);
        let measure = self
            .measure
            .and_then(|(a, b)| b.or(self.cursor_deg).map(|b| (a, b)));
        // Until the view is settled (or when asked), where the known positions are against it.
        let known = if (!self.view_settled && !self.view_touched) || self.fit_request {
            self.known_positions()
        } else {
            Vec::new()
        };
        let plan_outline = self.planner.outline();
        let fences = self.planner.fences();
        // The vehicles' missions, and the areas of the plan's patterns under their lines.
        let mut missions = self.planner.vehicle_missions();
        missions.extend(self.planner.survey_areas());
        missions.extend(self.patrol.outlines());
        let tiles: Option<&mut dyn walkers::Tiles> = if self.settings.layers.tiles {
            self.tiles
                .as_deref_mut()
                .map(|t| t as &mut dyn walkers::Tiles)
        } else {
            None
        };
        let home = walkers::lat_lon(self.home_deg.0, self.home_deg.1);
        let goals = self.actions.goals.clone();
        let input = map::OverlayInput {
            snapshot: &self.snapshot,
            basemap: &self.basemap,
            layers: &self.settings.layers,
            palette: &palette,
            trails: &self.trails,
            footprints: &self.snapshot.footprints,
            selected_vehicles: &self.selected_vehicles,
            selection: self.selection.as_ref(),
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
                        view.contains(map::MapProjection::to_screen(projector, lat, lon))
                    });
                    refit = fit_view(projector, view, memory.zoom(), &known);
                }
                let painter = ui.painter().with_clip_rect(response.rect);
                map::paint_overlays(&painter, projector, &input);
                let scale = map::MapProjection::px_per_m(projector, self.home_deg.0);
                map::paint_scale_bar(&painter, response.rect, scale, palette.label);
                map::paint_north_arrow(&painter, response.rect, palette.label);
                if let Some(at) = response.hover_pos() {
                    hover = Some(map::MapProjection::to_geo(projector, at));
                }
                if response.clicked()
                    && let Some(at) = response.interact_pointer_pos()
                {
                    let shift = ui.input(|i| i.modifiers.shift || i.modifiers.command);
                    clicked = Some((map::MapProjection::to_geo(projector, at), shift));
                    picked = map::pick(projector, at, 14.0, &input);
                }
                if response.secondary_clicked()
                    && let Some(at) = response.interact_pointer_pos()
                {
                    context = Some(map::MapProjection::to_geo(projector, at));
                }
                response.context_menu(|ui| {
                    if let Some(at) = self.context_deg {
                        map_context_menu(
                            ui,
                            at,
                            &self.selected_vehicles,
                            &mut self.actions,
                            &mut self.planner,
                            &mut self.measure,
                            &mut self.tool,
                        );
                    }
                });
            });
        self.map_rect = map_response.response.rect;
        if self.settings.layers.coverage {
            map::coverage_legend(ui.ctx(), map_response.response.rect, palette.background);
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
            self.on_map_click(at, additive, picked);
        }
        // The strip under the map: cursor position in lat/lon and MGRS.
        let strip = egui::Rect::from_min_max(
            ui.max_rect().left_bottom() - egui::vec2(0.0, 22.0),
            ui.max_rect().right_bottom(),
        );
        let text = match self.cursor_deg {
            Some((lat, lon)) => map::position_text(lat, lon),
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

    fn on_map_click(&mut self, at: Pos, additive: bool, picked: Option<Pick>) {
        if self.tool == MapTool::Measure {
            self.measure = match self.measure {
                Some((a, None)) => Some((a, Some(at))),
                _ => Some((at, None)),
            };
            return;
        }
        if self.planner.on_map_click(at, picked.as_ref()) {
            return;
        }
        match picked {
            Some(Pick::Vehicle(sysid)) => {
                if !additive {
                    self.selected_vehicles.clear();
                }
                if !self.selected_vehicles.insert(sysid) {
                    self.selected_vehicles.remove(&sysid);
                }
                self.selection = Some(Pick::Vehicle(sysid));
                self.side_tab = SideTab::Details;
            }
            Some(pick) => {
                self.selection = Some(pick);
                self.side_tab = SideTab::Details;
            }
            None => self.selection = None,
        }
    }
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
        .map(|&(lat, lon)| map::MapProjection::to_screen(projector, lat, lon))
        .collect();
    let bounds = egui::Rect::from_points(&screen);
    if !bounds.is_finite() {
        return None;
    }
    let centre = map::MapProjection::to_geo(projector, bounds.center());
    let usable = view.size() * 0.7;
    let scale = (f64::from(usable.x) / f64::from(bounds.width().max(1e-3)))
        .min(f64::from(usable.y) / f64::from(bounds.height().max(1e-3)));
    let target = (zoom + scale.log2()).clamp(FIT_ZOOM.0, FIT_ZOOM.1);
    Some((centre, target))
}

/// A map position as `(lat_deg, lon_deg)`.
pub type Pos = (f64, f64);

/// A measurement: its start, and its end once clicked.
pub type Measure = (Pos, Option<Pos>);

fn map_context_menu(
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
    ui.label(map::position_text(at.0, at.1));
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

/// The map's context menu's width, points.
const CONTEXT_MENU_WIDTH: f32 = 300.0;

const SHORTCUTS: &[(&str, &str)] = &[
    ("F1", "this help"),
    ("Esc", "end the tool, clear the selection, stop drawing"),
    ("M", "measure distance and bearing (two clicks)"),
    ("C", "centre the map on the selected drone"),
    ("Shift+A", "select every drone"),
    ("T", "take off the selected drones (asks to confirm)"),
    ("L", "land the selected drones (asks to confirm)"),
    (
        "R",
        "return the selected drones to launch (asks to confirm)",
    ),
    ("P", "open the mission planner"),
    ("Del", "delete the selected waypoint"),
    ("N", "switch night / day theme"),
    ("Ctrl + / Ctrl -", "interface scale"),
    (
        "Right click",
        "map actions: go here, orbit, point camera, waypoint",
    ),
    ("Shift+click", "add a drone to the selection"),
    (
        "Double click in a list",
        "select the drone or sensor and centre the map on it",
    ),
];

/// A dark theme with warm, dim accents for night work.
fn night_visuals() -> egui::Visuals {
    let mut v = egui::Visuals::dark();
    v.panel_fill = egui::Color32::from_rgb(16, 18, 22);
    v.window_fill = egui::Color32::from_rgb(20, 22, 27);
    v.extreme_bg_color = egui::Color32::from_rgb(8, 9, 12);
    v.override_text_color = Some(egui::Color32::from_rgb(196, 192, 180));
    v.selection.bg_fill = egui::Color32::from_rgb(90, 60, 30);
    v.hyperlink_color = egui::Color32::from_rgb(200, 150, 90);
    v
}

impl eframe::App for ConsoleApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        ConsoleApp::logic(self, ctx);
        self.logic_done = true;
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.save_settings();
    }
}

/// Opens the console on a recording, with the replay bar; returns when the window is closed.
pub fn run_replay(
    replay: vigil_station::replay::ReplayController,
    options: ConsoleOptions,
) -> Result<(), ConsoleError> {
    let station = replay
        .station()
        .ok_or_else(|| ConsoleError::Window("the replay did not start".into()))?;
    run_with(station, options, Some(replay))
}

/// Opens the console window on a running ground station and returns when it is closed.
pub fn run(station: GroundStation, options: ConsoleOptions) -> Result<(), ConsoleError> {
    run_with(station, options, None)
}

fn run_with(
    station: GroundStation,
    options: ConsoleOptions,
    replay: Option<vigil_station::replay::ReplayController>,
) -> Result<(), ConsoleError> {
    let title = if options.title.is_empty() {
        "Vigil".to_owned()
    } else {
        format!("Vigil — {}", options.title)
    };
    let native = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(&title)
            .with_app_id("vigil")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([800.0, 500.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        &title,
        native,
        Box::new(move |cc| {
            let app = ConsoleApp::new(station, options, &cc.egui_ctx);
            Ok(Box::new(match replay {
                Some(replay) => app.with_replay(replay),
                None => app,
            }))
        }),
    )
    .map_err(|e| ConsoleError::Window(e.to_string()))
}
