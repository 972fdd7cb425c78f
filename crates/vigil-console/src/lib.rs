//! The mission console: the operator's window onto the ground station, built with egui.
//!
//! The console is a client of the pipeline like any other: each frame it takes the latest
//! `Arc<Snapshot>` (a lock-free load, never a wait) and draws it; commands go out through
//! [`GroundStation`]'s bounded request queue and their outcomes come back on channels polled with
//! `try_recv`. Nothing here reads a socket or a file on the UI thread once the window is up: map
//! tiles are read by their own thread, sounds are played by theirs, plan files are read and
//! written on `vigil-plan-file`, reports imported on `vigil-import`, sessions exported on
//! `vigil-export`, seeks run on `vigil-seek`, and settings are written on `vigil-settings` once a
//! minute (and when the window closes).
//!
//! The app is a layout of parts. Each part keeps its own state and draws with one `ui` method
//! handed a `desk::Shared` (the snapshot, the station, the settings, what the operator has
//! picked, the requests in flight): the drone list (`vehicles`), the details panel (`details`),
//! the alerts (`worklist`), the reports (`inbox`), the messages, links and plots, the planner
//! and its patrol desk, the map (`mapview::MapView`), the replay bar (`replay`). The logic step
//! (`ConsoleApp::logic`) takes the snapshot, polls the answers and sounds the cues (`cues`), and
//! eframe runs it even while the window is hidden.
//!
//! [`ConsoleApp::show`] draws everything into a `Ui`, so the GUI tests drive it with egui_kittest
//! and the frame benchmark measures it without a window; [`run`] puts it in an eframe window.

pub mod actions;
pub mod audio;
pub mod basemap;
mod cues;
mod desk;
pub mod details;
pub mod dispatch;
mod help;
pub mod inbox;
pub mod instruments;
pub mod links;
pub mod map;
pub mod mapview;
pub mod messages;
pub mod panels;
pub mod patrol;
pub mod planner;
pub mod plots;
pub mod quit;
mod replay;
pub mod session;
pub mod settings;
pub mod telemetry;
pub mod vehicles;
pub mod worklist;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;

use actions::ActionCenter;
use audio::Cue;
use map::Pick;
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
    last_saved: Instant,
    /// The map, its view, tools, trails and marks.
    map: mapview::MapView,
    /// What the operator has picked, and the side panel's tab.
    pub(crate) focus: desk::Focus,
    pub actions: ActionCenter,
    pub planner: Planner,
    pub(crate) plots: plots::PlotState,
    pub(crate) messages: messages::MessageFilter,
    pub(crate) bottom_tab: BottomTab,
    /// The audible cues, sounded from the logic step.
    cues: cues::Cues,
    show_help: bool,
    applied_scale: f32,
    applied_theme: Option<Theme>,
    frame_times: panels::FrameTimes,
    /// The details panel (its alert form).
    pub details: details::DetailsPanel,
    pub inbox: inbox::Inbox,
    pub worklist: worklist::Worklist,
    pub dispatch_desk: dispatch::DispatchDesk,
    pub quit: quit::QuitGuard,
    /// The replay bar, when the console was opened on a recording.
    replay: replay::ReplayDesk,
    /// eframe ran the logic step for the frame about to be drawn (it runs it before drawing,
    /// and alone while the window is hidden).
    logic_done: bool,
    pub exporter: session::Exporter,
    /// Patrols that close the sensors' gaps (the Plan tab).
    pub patrol: patrol::PatrolDesk,
    /// Failures of background settings saves (bounded 1: one is enough to show).
    settings_errors: (
        crossbeam_channel::Sender<String>,
        crossbeam_channel::Receiver<String>,
    ),
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
        let map = mapview::MapView::new(
            &mut settings,
            options.basemap.as_deref(),
            options.tile_cache_dir,
            ctx,
        );
        let snapshot = station.snapshot();
        Self {
            station,
            snapshot,
            settings,
            settings_path: options.settings_path,
            last_saved: Instant::now(),
            map,
            focus: desk::Focus::default(),
            actions: ActionCenter::default(),
            planner: Planner::default(),
            plots: plots::PlotState::default(),
            messages: messages::MessageFilter::default(),
            bottom_tab: BottomTab::Alerts,
            cues: cues::Cues::new(options.audio),
            show_help: false,
            applied_scale: 0.0,
            applied_theme: None,
            frame_times: panels::FrameTimes::default(),
            details: details::DetailsPanel::default(),
            inbox: inbox::Inbox::default(),
            worklist: worklist::Worklist::default(),
            dispatch_desk: dispatch::DispatchDesk::default(),
            quit: quit::QuitGuard::new(options.quit.clone()),
            replay: replay::ReplayDesk::default(),
            logic_done: false,
            exporter: session::Exporter::default(),
            patrol: patrol::PatrolDesk::kept_by(options.patrol_keeper.clone()),
            settings_errors: crossbeam_channel::bounded(1),
        }
    }

    /// Puts the replay bar on the console; the station follows the replay's pipeline.
    pub fn with_replay(mut self, replay: vigil_station::replay::ReplayController) -> Self {
        self.replay = replay::ReplayDesk::new(replay);
        self
    }

    /// The recording being replayed, if any (`None` while a seek runs).
    pub fn replay(&self) -> Option<&vigil_station::replay::ReplayController> {
        self.replay.controller()
    }

    /// Moves the replay to `secs` from the start of the recording, on the `vigil-seek` thread
    /// (what the replay bar's slider does); one seek at a time.
    pub fn seek_replay_secs(&mut self, secs: f64) {
        self.replay.seek_secs(secs);
    }

    /// A seek is running.
    pub fn is_seeking(&self) -> bool {
        self.replay.is_seeking()
    }

    /// Why the last seek failed, if it did.
    pub fn replay_error(&self) -> Option<&str> {
        self.replay.error()
    }

    /// After a seek backward the replay runs a new pipeline: take its station and forget what
    /// was derived from the old one.
    fn follow_replay(&mut self) {
        if let Some(station) = self.replay.station() {
            self.station = station;
        }
        self.map.forget_derived();
        self.plots = plots::PlotState::default();
        self.snapshot = self.station.snapshot();
    }

    /// What runs whether or not the window is drawn (eframe calls it alone while the window
    /// is hidden or minimised): the latest snapshot, the commands' answers, the cues, seeks,
    /// the periodic settings save.
    pub fn logic(&mut self, ctx: &egui::Context) {
        self.quit.check_signal(ctx);
        if self.replay.finish_seek() {
            self.follow_replay();
        }
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
        self.cues.heard()
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
            self.focus.vehicles.insert(*first);
        }
    }

    /// The drones actions go to.
    /// Where the telemetry plot was last drawn.
    pub fn plot_rect(&self) -> Option<egui::Rect> {
        self.plots.drawn
    }

    /// Whether the measuring tool is on.
    pub fn measuring(&self) -> bool {
        self.map.measuring()
    }

    pub fn selected_vehicles(&self) -> &BTreeSet<u8> {
        &self.focus.vehicles
    }

    /// Where the map was drawn last (inside the panels).
    pub fn map_rect(&self) -> egui::Rect {
        self.map.rect()
    }

    /// The map's centre `(lat_deg, lon_deg)` and zoom level, as drawn last.
    pub fn map_view(&self) -> (Pos, f64) {
        self.map.view()
    }

    /// Centres the map on `at` (the operator asked: the console stops moving the map itself).
    fn centre_on(&mut self, at: Pos) {
        self.map.centre_on(at);
    }

    /// Takes the latest snapshot and updates what the console derives from it.
    fn refresh(&mut self) {
        let snapshot = self.station.snapshot();
        let new_seq = snapshot.seq != self.snapshot.seq;
        if new_seq {
            self.plots.record(&snapshot);
        }
        self.map.follow(&snapshot, new_seq, &mut self.settings);
        self.snapshot = snapshot;
        for answer in self.actions.poll() {
            match answer {
                actions::Answer::Downloaded(sysid, mission) => {
                    self.planner.downloaded(sysid, mission);
                }
                actions::Answer::Failed(text) => self.messages.local(text),
            }
        }
        self.planner.poll_file();
        self.actions.drop_reached_goals(&self.snapshot);
        self.cues.follow(&self.snapshot, &mut self.messages);
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
        worklist::critical_banner(ui, &mut desk::shared!(self));
        self.replay.ui(ui);
        if self.settings.panels.vehicles {
            egui::Panel::left("vigil-vehicles")
                .resizable(true)
                .default_size(230.0)
                .show(ui, |ui| vehicles::ui(ui, &mut desk::shared!(self)));
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
        self.planner.dialogs(ui.ctx(), &mut desk::shared!(self));
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
            let session = self
                .snapshot
                .session_dir
                .clone()
                .or_else(|| self.replay.folder());
            session::export_window(&ctx, &mut self.exporter, session.as_deref());
        }
        help::window(&ctx, &mut self.show_help);

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
        let (centre, zoom) = self.map.view();
        self.settings.map_view = Some((centre.0, centre.1, zoom));
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
            self.map.set_measuring(false);
            self.focus.pick = None;
            self.planner.stop_drawing();
        }
        if pressed(egui::Key::M) {
            self.map.set_measuring(true);
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
            self.focus.side_tab = SideTab::Plan;
            self.settings.panels.details = true;
        }
        if pressed(egui::Key::C) {
            self.centre_on_selection();
        }
        if pressed(egui::Key::A) && ctx.input(|i| i.modifiers.shift) {
            self.focus.vehicles = self.snapshot.world.vehicles.keys().copied().collect();
        }
        let targets: Vec<u8> = self.focus.vehicles.iter().copied().collect();
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
            .focus
            .vehicles
            .iter()
            .next()
            .and_then(|s| world.vehicles.get(s))
            .and_then(|v| v.position)
            .map(|p| (p.lat_deg, p.lon_deg));
        if let Some(at) = target {
            self.centre_on(at);
        }
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
            ui.menu_button("Map", |ui| self.map.menu(ui, &mut self.settings));
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
                .selectable_label(self.map.measuring(), "Measure")
                .on_hover_text("Click two points on the map (M; Esc ends)")
                .clicked()
            {
                let on = !self.map.measuring();
                self.map.set_measuring(on);
            }
            if ui.button("Help").clicked() {
                self.show_help = !self.show_help;
            }
            ui.separator();
            let palette = map::Palette::of(self.settings.theme);
            panels::status_strip(ui, &self.snapshot, &palette, &self.frame_times);
        });
        self.cues.set_enabled(self.settings.audio);
    }

    fn side_panel(&mut self, ui: &mut egui::Ui) {
        // The panel keeps the width it has (the operator's to change): what is selected wraps
        // inside it rather than widening it and moving the map under the pointer.
        let width = ui.available_width();
        ui.set_max_width(width);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.focus.side_tab, SideTab::Details, "Details");
            ui.selectable_value(&mut self.focus.side_tab, SideTab::Plan, "Plan");
        });
        ui.separator();
        // Both ways: a table wider than the panel (the plan's items) scrolls sideways
        // instead of widening the panel.
        egui::ScrollArea::both()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.set_max_width(width);
                match (self.focus.side_tab, &self.focus.pick) {
                    (SideTab::Details, Some(Pick::Report(id))) => {
                        let id = *id;
                        self.inbox.details(ui, id, &mut desk::shared!(self));
                    }
                    (SideTab::Details, _) => {
                        self.details.ui(ui, &mut desk::shared!(self));
                        // The plots follow the drone shown, until the operator picks one.
                        if self.plots.vehicle.is_none() {
                            self.plots.vehicle = self.details.shown_vehicle;
                        }
                    }
                    (SideTab::Plan, _) => {
                        self.planner
                            .ui(ui, &mut desk::shared!(self), &mut self.patrol);
                    }
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
            BottomTab::Alerts => self.worklist.tab(ui, &mut desk::shared!(self)),
            BottomTab::Reports => self.inbox.ui(ui, &mut desk::shared!(self)),
            BottomTab::Messages => {
                let decisions = self
                    .replay
                    .controller()
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

    fn map_panel(&mut self, ui: &mut egui::Ui) {
        let patrols = self.patrol.outlines();
        self.map
            .ui(ui, &mut desk::shared!(self), &mut self.planner, patrols);
    }
}

/// A map position as `(lat_deg, lon_deg)`.
pub type Pos = (f64, f64);

/// A measurement: its start, and its end once clicked.
pub type Measure = (Pos, Option<Pos>);

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
