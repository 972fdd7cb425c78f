//! Commands from the console: what the operator asked for, the confirmation of anything that
//! moves or arms a drone, and each drone's answer (accepted, rejected, timed out) shown until the
//! operator has seen it. Outcomes arrive on channels from the world thread and are polled with
//! `try_recv`, so a drone that never answers never holds up a frame.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use eframe::egui;

use super::Pos;
use vigil_mission::Mission;
use vigil_protection::{DispatchTarget, DispatchUpdate, ProtectionError};
use vigil_station::{GroundStation, PipelineError, Snapshot};
use vigil_world::command::{Action, CommandOutcome, MissionError, MissionOp, MissionOutcome};

/// What an answer brought, for the parts it concerns (the planner, the messages).
#[derive(Debug)]
pub enum Answer {
    /// A drone's mission, downloaded.
    Downloaded(u8, Mission),
    /// A request failed or went unanswered: what and why, in words.
    Failed(String),
}

/// How many finished commands the log keeps.
const LOG_LENGTH: usize = 40;
/// After this long without an answer from the world thread the console stops waiting (the
/// engine's own timeout is far shorter; this only guards against a stopped pipeline).
const GIVE_UP_AFTER: Duration = Duration::from_secs(120);

/// What a command is waiting on.
enum Waiting {
    Command(Receiver<CommandOutcome>),
    Mission(Receiver<Result<MissionOutcome, MissionError>>),
    /// An alert workflow step, a report verdict, a note.
    Protection(Receiver<Result<(), ProtectionError>>),
    /// An incident recorded: its number.
    Recorded(Receiver<Result<u64, ProtectionError>>),
    /// "Send a drone": the choice, each command, the end.
    Dispatch(Receiver<DispatchUpdate>, String),
}

/// One command to one drone, from request to outcome.
pub struct Tracked {
    pub label: String,
    pub target: u8,
    /// A mission transfer (shown in the planner too).
    pub mission: bool,
    /// An alert workflow step or a dispatch (shown with the alert too).
    pub workflow: bool,
    /// What a workflow step is about (`alert 3`, `site 5`): shown with that only.
    pub subject: Option<String>,
    sent: Instant,
    waiting: Option<Waiting>,
    /// `Ok(text)` accepted, `Err(text)` refused, timed out or failed.
    pub outcome: Option<Result<String, String>>,
}

impl Tracked {
    /// The line shown in the log.
    pub fn line(&self) -> String {
        if self.workflow {
            return match &self.outcome {
                // A dispatch shows its progress (drone chosen, each command's answer) as it goes.
                None => match &self.waiting {
                    Some(Waiting::Dispatch(_, progress)) if !progress.is_empty() => {
                        format!("{}: {progress}; under way", self.label)
                    }
                    _ => format!("{}: waiting", self.label),
                },
                Some(Ok(text)) => format!("{}: {text}", self.label),
                Some(Err(text)) => format!("{}: failed: {text}", self.label),
            };
        }
        match &self.outcome {
            None => format!(
                "{}, drone {}: waiting ({:.0} s)",
                self.label,
                self.target,
                self.sent.elapsed().as_secs_f64()
            ),
            Some(Ok(text)) => format!("{}, drone {}: {text}", self.label, self.target),
            Some(Err(text)) => format!("{}, drone {}: {text}", self.label, self.target),
        }
    }
}

/// An action waiting for the operator's confirmation.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub action: Action,
    pub targets: Vec<u8>,
}

/// The console's commands: confirmations, in flight, and done.
pub struct ActionCenter {
    pub confirm: Option<Confirm>,
    pub log: VecDeque<Tracked>,
    pub takeoff_alt_m: f64,
    pub orbit_radius_m: f64,
    pub orbit_speed_mps: f64,
    pub goto_alt_m: f64,
    /// Mode typed or picked in the mode box.
    pub mode: String,
    /// The drones the mode box was last filled for: another selection refills it with
    /// their mode, so that it never shows another drone's.
    pub mode_for: Vec<u8>,
    /// Where each drone was last sent (go here, orbit here), marked on the map until it is
    /// there (go here) or sent elsewhere.
    pub goals: Vec<Goal>,
}

pub use super::map::Goal;

/// A drone this near its "go here" goal is there, m.
const ARRIVED_M: f64 = 30.0;

/// Where an action sends a drone, and what to call it on the map.
pub fn goal_of(action: &Action) -> Option<(Pos, &'static str)> {
    match action {
        Action::Goto {
            lat_deg, lon_deg, ..
        } => Some(((*lat_deg, *lon_deg), "go here")),
        Action::Orbit {
            lat_deg, lon_deg, ..
        } => Some(((*lat_deg, *lon_deg), "orbit")),
        _ => None,
    }
}

/// How far a drone is from a place and about how long it takes to get there, in words:
/// "1.2 km, about 2 min".
pub fn reach_text(vehicle: &vigil_world::Vehicle, at: Pos) -> Option<String> {
    let p = vehicle.position?;
    let (distance_m, _) = super::map::distance_and_bearing((p.lat_deg, p.lon_deg), at);
    let speed_mps = vigil_protection::dispatch::cruise_speed_mps(vehicle.airframe);
    Some(format!(
        "{}, about {}",
        super::map::format_distance(distance_m),
        vigil_protection::dispatch::minutes_text(distance_m / speed_mps)
    ))
}

impl Default for ActionCenter {
    fn default() -> Self {
        Self {
            confirm: None,
            log: VecDeque::new(),
            takeoff_alt_m: 30.0,
            orbit_radius_m: 120.0,
            orbit_speed_mps: 6.0,
            goto_alt_m: 60.0,
            mode: "LOITER".into(),
            mode_for: Vec::new(),
            goals: Vec::new(),
        }
    }
}

/// Take off in one step (mode, arm, take off), as the console's "Take off" button does.
pub fn takeoff(alt_rel_m: f64) -> Action {
    Action::Launch { alt_rel_m }
}

pub fn point_camera(at: Pos) -> Action {
    Action::PointGimbal {
        lat_deg: at.0,
        lon_deg: at.1,
        // Ground level is not known here: 0 m MSL; the demo's and most areas' error is small
        // against the slant range, and the vehicle uses terrain when it has it.
        alt_msl_m: 0.0,
    }
}

/// The words for an action, as the confirmation and the log show it: the command's own plain
/// words ("Take off to 20 m", "Mode GUIDED"), capitalised to start a line.
pub fn describe(action: &Action) -> String {
    let text = action.to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text,
    }
}

/// Whether an action needs the operator to confirm it: anything that arms, disarms or moves.
pub fn is_dangerous(action: &Action) -> bool {
    !matches!(action, Action::PointGimbal { .. })
}

impl ActionCenter {
    pub fn goto(&self, at: Pos) -> Action {
        Action::Goto {
            lat_deg: at.0,
            lon_deg: at.1,
            alt_rel_m: self.goto_alt_m,
        }
    }

    pub fn orbit(&self, at: Pos) -> Action {
        Action::Orbit {
            lat_deg: at.0,
            lon_deg: at.1,
            alt_rel_m: self.goto_alt_m,
            radius_m: self.orbit_radius_m,
            speed_mps: self.orbit_speed_mps,
        }
    }

    /// Asks for an action on drones: dangerous ones wait for confirmation, others go at once
    /// (on the next [`Self::dialogs`], which holds the station).
    pub fn request(&mut self, action: Action, targets: Vec<u8>) {
        if targets.is_empty() {
            return;
        }
        self.confirm = Some(Confirm { action, targets });
    }

    /// Whether `target`'s latest `action` command was accepted.
    pub fn latest_accepted(&self, target: u8, action: &Action) -> bool {
        let label = describe(action);
        self.log
            .iter()
            .find(|t| t.target == target && !t.workflow && t.label == label)
            .is_some_and(|t| matches!(t.outcome, Some(Ok(_))))
    }

    /// Sends an action to each target now.
    pub fn send(&mut self, station: &GroundStation, action: &Action, targets: &[u8]) {
        if let Some((at, what)) = goal_of(action) {
            self.goals.retain(|g| !targets.contains(&g.drone));
            self.goals
                .extend(targets.iter().map(|&drone| Goal { drone, at, what }));
        }
        for &target in targets {
            let label = describe(action);
            let (waiting, outcome) = match station.command(target, action.clone()) {
                Ok(rx) => (Some(Waiting::Command(rx)), None),
                Err(err) => (None, Some(Err(format!("not sent: {err}")))),
            };
            self.push(Tracked {
                label,
                target,
                mission: false,
                workflow: false,
                subject: None,
                sent: Instant::now(),
                waiting,
                outcome,
            });
        }
    }

    /// Starts a mission operation; a download's mission goes to the planner when it arrives.
    pub fn mission(&mut self, station: &GroundStation, target: u8, op: MissionOp) {
        let label = match &op {
            MissionOp::Upload(m) | MissionOp::UploadAllowingClear(m) => {
                format!("Upload mission ({} items)", m.items.len())
            }
            MissionOp::Download => "Download mission".into(),
            MissionOp::Clear => "Clear mission".into(),
        };
        let (waiting, outcome) = match station.mission(target, op) {
            Ok(rx) => (Some(Waiting::Mission(rx)), None),
            Err(err) => (None, Some(Err(format!("not sent: {err}")))),
        };
        self.push(Tracked {
            label,
            target,
            mission: true,
            workflow: false,
            subject: None,
            sent: Instant::now(),
            waiting,
            outcome,
        });
    }

    /// Tracks the answer to an alert workflow request (acknowledge, assign, annotate, resolve).
    pub fn protection_reply(
        &mut self,
        label: String,
        sent: Result<Receiver<Result<(), ProtectionError>>, PipelineError>,
    ) {
        self.push_workflow(label, sent.map(Waiting::Protection));
    }

    /// As [`Self::protection_reply`], for a step about `subject` (`alert 3`): the step is
    /// shown with that alert only.
    pub fn protection_reply_about(
        &mut self,
        subject: String,
        label: String,
        sent: Result<Receiver<Result<(), ProtectionError>>, PipelineError>,
    ) {
        self.push_workflow(label, sent.map(Waiting::Protection));
        if let Some(t) = self.log.front_mut() {
            t.subject = Some(subject);
        }
    }

    /// Tracks the answer to recording an incident (its number).
    pub fn incident_reply(
        &mut self,
        label: String,
        sent: Result<Receiver<Result<u64, ProtectionError>>, PipelineError>,
    ) {
        self.push_workflow(label, sent.map(Waiting::Recorded));
    }

    /// Logs a request that could not even be made (a form's field did not read).
    pub fn note_failure(&mut self, label: String, why: String) {
        self.push(Tracked {
            label,
            target: 0,
            mission: false,
            workflow: true,
            subject: None,
            sent: Instant::now(),
            waiting: None,
            outcome: Some(Err(why)),
        });
    }

    /// "Send a drone" (`drone` as the operator confirmed it): the log follows its commands
    /// and its state to the end, on station or not.
    pub fn dispatch(
        &mut self,
        station: &GroundStation,
        target: DispatchTarget,
        by: &str,
        drone: Option<u8>,
    ) {
        let label = match target {
            DispatchTarget::Alert(id) => format!("Send a drone to alert {id}"),
            DispatchTarget::Site(id) => format!("Send a drone to site {id}"),
            DispatchTarget::Position(p) => {
                format!("Send a drone to {:.5}, {:.5}", p.lat_deg, p.lon_deg)
            }
        };
        let sent = station
            .send_confirmed_drone(target, by, drone)
            .map(|rx| Waiting::Dispatch(rx, String::new()));
        self.push_workflow(label, sent);
        if let Some(t) = self.log.front_mut() {
            t.subject = match target {
                DispatchTarget::Alert(id) => Some(format!("alert {id}")),
                DispatchTarget::Site(id) => Some(format!("site {id}")),
                DispatchTarget::Position(_) => None,
            };
        }
    }

    /// Logs a workflow request: waiting for its answer, or failed if it could not be sent.
    fn push_workflow(&mut self, label: String, sent: Result<Waiting, PipelineError>) {
        let (waiting, outcome) = match sent {
            Ok(waiting) => (Some(waiting), None),
            Err(err) => (None, Some(Err(format!("not sent: {err}")))),
        };
        self.push(Tracked {
            label,
            target: 0,
            mission: false,
            workflow: true,
            subject: None,
            sent: Instant::now(),
            waiting,
            outcome,
        });
    }

    fn push(&mut self, tracked: Tracked) {
        self.log.push_front(tracked);
        while self.log.len() > LOG_LENGTH {
            // Drop the oldest finished entry; never one still waiting.
            match self.log.iter().rposition(|t| t.outcome.is_some()) {
                Some(i) => {
                    self.log.remove(i);
                }
                None => break,
            }
        }
    }

    /// Collects outcomes that have arrived and says what they brought. Never blocks.
    pub fn poll(&mut self) -> Vec<Answer> {
        let mut answers = Vec::new();
        for tracked in &mut self.log {
            let Some(waiting) = &mut tracked.waiting else {
                continue;
            };
            let result = match waiting {
                Waiting::Command(rx) => match rx.try_recv() {
                    Ok(outcome) => Some(command_text(&outcome)),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => {
                        Some(Err("the ground station stopped".into()))
                    }
                },
                Waiting::Mission(rx) => match rx.try_recv() {
                    Ok(Ok(outcome)) => Some(Ok(match outcome {
                        MissionOutcome::Uploaded { items } => format!("{items} items uploaded"),
                        MissionOutcome::Downloaded(m) => {
                            let text = format!("{} items downloaded", m.items.len());
                            answers.push(Answer::Downloaded(tracked.target, m));
                            text
                        }
                        MissionOutcome::Cleared => "cleared".into(),
                    })),
                    Ok(Err(error)) => Some(Err(error.to_string())),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => {
                        Some(Err("the ground station stopped".into()))
                    }
                },
                Waiting::Protection(rx) => match rx.try_recv() {
                    Ok(Ok(())) => Some(Ok("done".into())),
                    Ok(Err(reason)) => Some(Err(reason.to_string())),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => {
                        Some(Err("the ground station stopped".into()))
                    }
                },
                Waiting::Recorded(rx) => match rx.try_recv() {
                    Ok(Ok(id)) => Some(Ok(format!("incident {id} recorded"))),
                    Ok(Err(reason)) => Some(Err(reason.to_string())),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => {
                        Some(Err("the ground station stopped".into()))
                    }
                },
                Waiting::Dispatch(rx, progress) => {
                    let mut ended = None;
                    while let Ok(update) = rx.try_recv() {
                        match update {
                            DispatchUpdate::Chosen {
                                drone,
                                distance_m,
                                takes_off,
                            } => {
                                tracked.target = drone;
                                progress.push_str(&format!(
                                    "drone {drone} chosen ({:.0} m away{})",
                                    distance_m,
                                    if takes_off { ", taking off" } else { "" }
                                ));
                            }
                            DispatchUpdate::Step { action, outcome } => {
                                progress.push_str(&format!("; {}: {outcome}", describe(&action)));
                            }
                            DispatchUpdate::EnRoute { distance_m } => {
                                progress.push_str(&format!(
                                    "; en route, {:.1} km to go",
                                    distance_m / 1000.0
                                ));
                            }
                            DispatchUpdate::Done(result) => {
                                ended = Some(match result {
                                    Ok(drone) => {
                                        Ok(format!("{progress}; drone {drone} on station"))
                                    }
                                    Err(reason) => Err(format!("{progress}; {reason}")),
                                });
                            }
                        }
                    }
                    ended
                }
            };
            let result = result.or_else(|| {
                (tracked.sent.elapsed() > GIVE_UP_AFTER)
                    .then(|| Err("no answer from the ground station".into()))
            });
            if let Some(result) = result {
                if let Err(reason) = &result {
                    answers.push(Answer::Failed(format!(
                        "{}, drone {}: {reason}",
                        tracked.label, tracked.target
                    )));
                }
                tracked.outcome = Some(result);
                tracked.waiting = None;
            }
        }
        answers
    }

    /// The confirmation dialog.
    pub fn dialogs(
        &mut self,
        ui: &mut egui::Ui,
        station: &GroundStation,
        snapshot: &Arc<Snapshot>,
    ) {
        let Some(confirm) = self.confirm.clone() else {
            return;
        };
        if !is_dangerous(&confirm.action) {
            self.confirm = None;
            self.send(station, &confirm.action, &confirm.targets);
            return;
        }
        let mut decided = None;
        egui::Modal::new(egui::Id::unique("vigil-confirm")).show(ui.ctx(), |ui| {
            ui.heading(describe(&confirm.action));
            let names: Vec<String> = confirm
                .targets
                .iter()
                .map(|t| match snapshot.world.vehicles.get(t) {
                    Some(v) => format!(
                        "{t} ({} {}{})",
                        super::telemetry::airframe_text(v.airframe),
                        v.mode,
                        if v.armed { ", armed" } else { "" }
                    ),
                    None => format!("{t} (not heard)"),
                })
                .collect();
            ui.label(format!("Drones: {}", names.join(", ")));
            if let Action::Launch { alt_rel_m } = confirm.action {
                for t in &confirm.targets {
                    if let Some(v) = snapshot.world.vehicles.get(t) {
                        ui.label(format!(
                            "{}: {}",
                            snapshot.world.names.drone(*t),
                            vigil_world::command::launch_steps(v.firmware, alt_rel_m)
                        ));
                    }
                }
            }
            if let Some((at, _)) = goal_of(&confirm.action) {
                ui.label(super::map::position_text(at.0, at.1));
                for t in &confirm.targets {
                    if let Some(text) = snapshot
                        .world
                        .vehicles
                        .get(t)
                        .and_then(|v| reach_text(v, at))
                    {
                        ui.label(format!("{}: {text}", snapshot.world.names.drone(*t)));
                    }
                }
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button("Confirm").clicked() {
                    decided = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    decided = Some(false);
                }
            });
        });
        match decided {
            Some(true) => {
                self.confirm = None;
                self.send(station, &confirm.action, &confirm.targets);
            }
            Some(false) => self.confirm = None,
            None => {}
        }
    }
}

impl ActionCenter {
    /// Forgets the "go here" goals reached.
    pub fn drop_reached_goals(&mut self, snapshot: &Snapshot) {
        self.goals.retain(|g| {
            g.what != "go here"
                || snapshot
                    .world
                    .vehicles
                    .get(&g.drone)
                    .and_then(|v| v.position)
                    .is_none_or(|p| {
                        super::map::distance_and_bearing((p.lat_deg, p.lon_deg), g.at).0 > ARRIVED_M
                    })
        });
    }
}

/// A command's outcome in the operator's words, with the vehicle's reason for a refusal
/// ("refused (failed): PreArm: Need Position Estimate") and the hint for a timeout.
fn command_text(outcome: &CommandOutcome) -> Result<String, String> {
    match outcome {
        CommandOutcome::Accepted => Ok(outcome.to_string()),
        other => Err(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_outcomes_read_in_plain_words() {
        assert_eq!(describe(&Action::SetMode("GUIDED".into())), "Mode GUIDED");
        assert_eq!(
            describe(&Action::Launch { alt_rel_m: 20.0 }),
            "Take off to 20 m"
        );
        let refused = CommandOutcome::Rejected {
            result: "FAILED".into(),
            reason: Some("PreArm: Need Position Estimate".into()),
        };
        let text = command_text(&refused).unwrap_err();
        assert!(text.contains("PreArm: Need Position Estimate"), "{text}");
        assert!(!text.contains("Rejected {"), "{text}");
        assert_eq!(
            command_text(&CommandOutcome::Accepted),
            Ok("accepted".into())
        );
    }
}
