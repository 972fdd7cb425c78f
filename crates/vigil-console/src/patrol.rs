//! Patrols that close the ground sensors' gaps, in the console (issue #18): the operator asks
//! for a plan over the protected sites with the drones and sensors the station sees now
//! (`vigil_protection::patrol`, computed on a `vigil-patrol` thread so the frame never
//! waits), sees each drone's loop on the map with each site's expected revisit interval
//! beside how long it has been unobserved, uploads the loops as the drones' AUTO missions
//! (confirmed, naming each drone) and starts them (confirmed: each drone flies its mission in
//! one step, `Action::FlyMission`). When the plan no longer holds — a drone's battery below the
//! hand-over level, its link lost, a drone sent to an alert, a sensor gone silent — the desk
//! says why and re-plans without them when asked, so that another drone takes the loop; a
//! drone of the old plan that has no loop in the new one is sent home (RTL) only once every
//! drone of the new plan is flying its loop: the hand-over leaves no gap. Or the operator
//! lets the station keep them ("Let the station keep them", confirmed, with or without a
//! drone cued to each warning: the `vigil run --patrol [--cue]` keeper, started from here and
//! stopped from here), and the desk shows what the keeper flies.

use std::collections::BTreeSet;
use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError};
use eframe::egui;

use super::actions::ActionCenter;
use super::map::Outline;
use vigil_protection::patrol::{PatrolPlan, plan};
use vigil_station::patrol::{
    KeeperConfig, PatrolKeeper, PatrolStatus, PatrolWatch, counted_sensors, patrol_input,
    stale_reasons,
};
use vigil_station::{GroundStation, Snapshot};
use vigil_world::Names;
use vigil_world::command::{Action, MissionOp};

/// The keeper's last lines shown in the Plan tab.
const KEEPER_LINES: usize = 5;

/// What the operator is being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asking {
    Upload,
    Fly,
}

/// The patrol desk: its settings, the plan being made or made, and the questions.
pub struct PatrolDesk {
    pub alt_rel_m: f64,
    planning: Option<Receiver<Result<PatrolPlan, String>>>,
    pub plan: Option<PatrolPlan>,
    pub status: String,
    asking: Option<Asking>,
    /// Whether the operator is asked to let the station's keeper fly the patrols.
    asking_keep: bool,
    /// The sensors the plan counted on.
    sensors: Vec<(u8, u8)>,
    /// The drones sent on the loops of the plan flown last.
    flying: BTreeSet<u8>,
    /// Drones of an earlier plan to send home once every drone of the new one flies its loop.
    relieving: BTreeSet<u8>,
    /// The station's keeper, when it flies the patrols (`vigil run --patrol`, or started
    /// here).
    keeper: Option<PatrolWatch>,
    /// The keeper started from this desk ("Let the station keep them"), which the desk stops.
    own: Option<PatrolKeeper>,
    /// Whether a keeper started here cues a drone to each warning about movers.
    pub cue: bool,
}

impl Default for PatrolDesk {
    fn default() -> Self {
        Self {
            alt_rel_m: 120.0,
            planning: None,
            plan: None,
            status: String::new(),
            asking: None,
            asking_keep: false,
            sensors: Vec::new(),
            flying: BTreeSet::new(),
            relieving: BTreeSet::new(),
            keeper: None,
            own: None,
            cue: true,
        }
    }
}

fn minutes(s: f64) -> String {
    vigil_protection::dispatch::minutes_text(s)
}

impl PatrolDesk {
    /// A desk that shows what the station's keeper flies (`keeper`), or plans by hand.
    pub fn kept_by(keeper: Option<PatrolWatch>) -> Self {
        Self {
            keeper,
            ..Self::default()
        }
    }

    /// The loops of the plan, as the map draws them (closed): the keeper's when it flies them.
    pub fn outlines(&self) -> Vec<Outline> {
        let kept = self.keeper.as_ref().and_then(|k| k.status().plan.clone());
        kept.as_ref()
            .or(self.plan.as_ref())
            .into_iter()
            .flat_map(|p| &p.loops)
            .map(|l| Outline {
                points_deg: l.waypoints.iter().map(|p| (p.lat_deg, p.lon_deg)).collect(),
                closed: true,
                labels: Some(Vec::new()),
            })
            .collect()
    }

    /// Why the plan no longer holds: each drone of it that can no longer fly its loop, each
    /// sensor it counted on that went silent.
    pub fn stale_reasons(&self, snapshot: &Snapshot) -> Vec<String> {
        self.plan.as_ref().map_or_else(Vec::new, |plan| {
            stale_reasons(plan, &self.sensors, snapshot)
        })
    }

    /// Starts planning on the `vigil-patrol` thread.
    fn start(&mut self, snapshot: &Snapshot) {
        let input = patrol_input(&snapshot.world, &snapshot.protection, self.alt_rel_m);
        self.sensors = counted_sensors(&snapshot.world);
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-patrol".into())
            .spawn(move || {
                let _ = tx.send(plan(&input).map_err(|e| e.to_string()));
            });
        match spawned {
            Ok(_) => {
                self.planning = Some(rx);
                self.status = "planning...".into();
            }
            Err(err) => self.status = format!("cannot plan: {err}"),
        }
    }

    fn poll(&mut self) {
        let Some(rx) = &self.planning else {
            return;
        };
        match rx.try_recv() {
            Ok(Ok(plan)) => {
                self.status = match plan.loops.len() {
                    0 => "no drone can fly a patrol".into(),
                    n => format!("{n} loops planned: check them, then upload"),
                };
                self.plan = Some(plan);
                self.planning = None;
            }
            Ok(Err(err)) => {
                self.status = format!("no plan: {err}");
                self.planning = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.status = "the planner stopped without a plan".into();
                self.planning = None;
            }
        }
    }

    /// The section of the Plan tab.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Arc<Snapshot>) {
        if let Some(keeper) = &self.keeper {
            if kept_ui(ui, &keeper.status(), snapshot, self.own.is_some()) {
                self.stop_keeping();
            }
            return;
        }
        self.poll();
        let stale = self.stale_reasons(snapshot);
        ui.horizontal(|ui| {
            ui.label("Patrol height");
            ui.add(
                egui::DragValue::new(&mut self.alt_rel_m)
                    .range(30.0..=400.0)
                    .suffix(" m"),
            );
            let label = if stale.is_empty() {
                "Plan patrols"
            } else {
                "Re-plan"
            };
            if ui
                .add_enabled(self.planning.is_none(), egui::Button::new(label))
                .clicked()
            {
                self.start(snapshot);
            }
        });
        if !stale.is_empty() {
            ui.label(
                egui::RichText::new(format!(
                    "The plan no longer holds: {}. Re-plan: the others take their loops.",
                    stale.join("; ")
                ))
                .color(egui::Color32::from_rgb(0xe0, 0x60, 0x40)),
            );
        }
        if !self.status.is_empty() {
            ui.label(&self.status);
        }
        let Some(plan) = &self.plan else {
            self.keep_ui(ui);
            return;
        };
        plan_table(ui, plan, snapshot);
        ui.horizontal(|ui| {
            let any = !plan.loops.is_empty();
            if ui
                .add_enabled(any, egui::Button::new("Upload the patrols"))
                .clicked()
            {
                self.asking = Some(Asking::Upload);
            }
            if ui
                .add_enabled(any, egui::Button::new("Fly the patrols"))
                .clicked()
            {
                self.asking = Some(Asking::Fly);
            }
        });
        self.keep_ui(ui);
    }

    /// The offer to let the station keep the patrols (below the plan's own buttons).
    fn keep_ui(&mut self, ui: &mut egui::Ui) {
        let keep = ui.button("Let the station keep them").on_hover_text(
            "The station plans, uploads and flies the patrols, and plans again by itself when \
             a drone or sensor drops out (as vigil run --patrol)",
        );
        if keep.clicked() {
            self.asking_keep = true;
        }
        ui.checkbox(&mut self.cue, "and cue a drone to each warning");
    }

    /// The hand-over: once every drone of the plan flown last has taken its loop (its "fly
    /// the mission" accepted, in AUTO), the drones it relieves go home.
    fn hand_over(
        &mut self,
        station: &GroundStation,
        snapshot: &Snapshot,
        actions: &mut ActionCenter,
    ) {
        if self.relieving.is_empty() {
            return;
        }
        let taken = self.flying.iter().all(|id| {
            actions.latest_accepted(*id, &Action::FlyMission)
                && snapshot
                    .world
                    .vehicles
                    .get(id)
                    .is_some_and(|v| v.mode == "AUTO")
        });
        if !taken {
            return;
        }
        let relieved: Vec<u8> = std::mem::take(&mut self.relieving).into_iter().collect();
        actions.send(station, &Action::ReturnToLaunch, &relieved);
        let names: Vec<String> = relieved
            .iter()
            .map(|id| snapshot.world.names.drone(*id))
            .collect();
        self.status = format!(
            "handed over: {} returning home, the others on their loops",
            names.join(", ")
        );
    }

    /// Stops the keeper started here (on a thread of its own: it may be waiting for a
    /// drone's answer, and the frame never waits); the drones fly on the loops they have.
    fn stop_keeping(&mut self) {
        self.keeper = None;
        if let Some(keeper) = self.own.take() {
            let _ = std::thread::Builder::new()
                .name("vigil-patrol-stop".into())
                .spawn(move || drop(keeper));
        }
        self.status =
            "the station no longer keeps the patrols: the drones fly the loops they have".into();
    }

    /// Asks before the station's keeper takes the patrols over; starts it.
    fn keep_dialog(&mut self, ctx: &egui::Context, station: &GroundStation) {
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("vigil-patrol-keep")).show(ctx, |ui| {
            ui.heading("Let the station keep the patrols");
            ui.label(format!(
                "The station plans patrols at {:.0} m with the drones and sensors it hears, \
                 uploads and flies them, and plans again by itself when a drone's battery \
                 runs low, a link or a sensor is lost, or a drone is sent to an alert.",
                self.alt_rel_m
            ));
            if self.cue {
                ui.label(
                    "It also sends a drone to each warning about movers at once, which \
                     follows them and comes back to the patrols when the alert is over.",
                );
            }
            ui.horizontal(|ui| {
                if ui.button("Keep them flying").clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        let Some(answer) = answer else {
            return;
        };
        self.asking_keep = false;
        if !answer {
            return;
        }
        let config = KeeperConfig {
            alt_rel_m: self.alt_rel_m,
            cue: self.cue,
        };
        match PatrolKeeper::start(station.clone(), config) {
            Ok(keeper) => {
                self.keeper = Some(keeper.watch());
                self.own = Some(keeper);
                // The keeper hands over from here on: none of the desk's own.
                self.plan = None;
                self.flying.clear();
                self.relieving.clear();
                self.status.clear();
            }
            Err(err) => self.status = format!("cannot start the station's patrols: {err}"),
        }
    }

    /// The confirmations of an upload and of the start; each goes to every drone of the plan.
    /// Also moves a hand-over on.
    pub fn dialogs(
        &mut self,
        ctx: &egui::Context,
        station: &GroundStation,
        snapshot: &Snapshot,
        actions: &mut ActionCenter,
    ) {
        self.hand_over(station, snapshot, actions);
        if self.asking_keep {
            self.keep_dialog(ctx, station);
            return;
        }
        let (Some(asking), Some(plan)) = (self.asking, &self.plan) else {
            return;
        };
        let names = &snapshot.world.names;
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("vigil-patrol")).show(ctx, |ui| {
            ui.heading(match asking {
                Asking::Upload => "Upload the patrols",
                Asking::Fly => "Fly the patrols",
            });
            for l in &plan.loops {
                ui.label(loop_line(names, snapshot, l, asking));
            }
            ui.horizontal(|ui| {
                let go = match asking {
                    Asking::Upload => "Upload the loops",
                    Asking::Fly => "Take off on the loops",
                };
                if ui.button(go).clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        if answer == Some(true) {
            for l in &plan.loops {
                match asking {
                    Asking::Upload => {
                        let Some(home) = snapshot.world.vehicles.get(&l.sysid).and_then(|v| v.home)
                        else {
                            continue;
                        };
                        let mission = l.mission(vigil_mission::GeoPoint {
                            lat_deg: home.lat_deg,
                            lon_deg: home.lon_deg,
                            alt_m: home.alt_msl_m,
                        });
                        actions.mission(station, l.sysid, MissionOp::Upload(mission));
                    }
                    Asking::Fly => actions.send(station, &Action::FlyMission, &[l.sysid]),
                }
            }
            if asking == Asking::Fly {
                let new: BTreeSet<u8> = plan.loops.iter().map(|l| l.sysid).collect();
                self.relieving.extend(self.flying.difference(&new).copied());
                self.relieving.retain(|id| !new.contains(id));
                self.flying = new;
            }
            self.status = match asking {
                Asking::Upload => "uploading the patrols: see each drone's answer below".into(),
                Asking::Fly if self.relieving.is_empty() => {
                    "the drones are sent on their patrols".into()
                }
                Asking::Fly => {
                    "the drones are sent on their patrols; the others go home once they fly them"
                        .into()
                }
            };
        }
        if answer.is_some() {
            self.asking = None;
        }
    }
}

/// What the station's keeper flies: its plan, as the desk shows one, and what it did last.
/// The keeper's section; whether the operator asked to stop it (`own`: started here).
fn kept_ui(ui: &mut egui::Ui, status: &PatrolStatus, snapshot: &Snapshot, own: bool) -> bool {
    ui.label("The station flies the patrols on its own (as vigil run --patrol): it plans again when a drone or sensor drops out and hands the loop over.");
    if status.cue {
        ui.label("It sends a drone to each warning about movers (--cue), which follows them.");
    }
    let stop = own && ui.button("Stop keeping them").clicked();
    for (_, time, text) in status.log.iter().rev().take(KEEPER_LINES).rev() {
        // The revisits are in the table below (the journal keeps the whole line).
        let text = text.split("; revisits:").next().unwrap_or(text);
        ui.label(format!("{} {text}", vigil_core::time::utc_string(*time)));
    }
    match &status.plan {
        Some(plan) => plan_table(ui, plan, snapshot),
        None => {
            ui.label("waiting for the drones and sensors to be heard...");
        }
    }
    stop
}

/// Each loop, each drone left out, and each site's planned revisit beside how long its ways
/// in have gone unwatched now.
fn plan_table(ui: &mut egui::Ui, plan: &PatrolPlan, snapshot: &Snapshot) {
    let names = &snapshot.world.names;
    for l in &plan.loops {
        ui.label(format!(
            "{}: loop {:.1} km, round in {}",
            names.drone(l.sysid),
            l.length_m / 1000.0,
            minutes(l.period_s)
        ));
    }
    for (sysid, why) in &plan.left_out {
        ui.label(format!("{} left out: {why}", names.drone(*sysid)));
    }
    if plan.unpatrolled_points > 0 {
        ui.label(format!(
            "{} approach points beyond the batteries (the least weighted)",
            plan.unpatrolled_points
        ));
    }
    // Each site's planned revisit beside how long it has gone unobserved now.
    egui::Grid::new("patrol-sites")
        .striped(true)
        .show(ui, |ui| {
            ui.label("site");
            ui.label("seen every");
            ui.label("unseen now");
            ui.end_row();
            for site in &plan.sites {
                ui.label(&site.site);
                ui.label(match site.revisit_s {
                    Some(s) => minutes(s),
                    None => "sensors".to_owned(),
                });
                let unseen = snapshot
                    .protection
                    .unobserved
                    .iter()
                    .find(|u| u.name == site.site)
                    .map_or("—".to_owned(), |u| minutes(u.unobserved_s));
                ui.label(unseen);
                ui.end_row();
            }
        });
}

/// "Kite 1 (multirotor STABILIZE, 100 %): 6.2 km loop, round in 10 min".
fn loop_line(
    names: &Names,
    snapshot: &Snapshot,
    l: &vigil_protection::patrol::PatrolLoop,
    asking: Asking,
) -> String {
    let state = snapshot
        .world
        .vehicles
        .get(&l.sysid)
        .map_or("not heard".to_owned(), |v| {
            format!(
                "{} {}{}",
                super::telemetry::airframe_text(v.airframe),
                v.mode,
                v.battery
                    .remaining_pct
                    .map_or(String::new(), |b| format!(", {b:.0} %"))
            )
        });
    let what = match asking {
        Asking::Upload => "its mission replaced by",
        Asking::Fly => "takes off and flies",
    };
    format!(
        "{} ({state}): {what} a {:.1} km loop at {:.0} m, round in {}",
        names.drone(l.sysid),
        l.length_m / 1000.0,
        l.alt_rel_m,
        minutes(l.period_s)
    )
}
