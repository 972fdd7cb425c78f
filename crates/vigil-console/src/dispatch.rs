//! "Send a drone", asked before anything moves: the station proposes a drone (its task, how
//! far, how long to get there, and why each other drone was passed over), the operator
//! confirms or cancels, and only then is the confirmed drone sent. A part of the console with
//! its own state; the proposal comes back on a channel polled each frame.

use crossbeam_channel::{Receiver, TryRecvError};
use eframe::egui::{self, RichText};

use super::actions::ActionCenter;
use vigil_protection::DispatchTarget;
use vigil_protection::dispatch::{DispatchPlan, minutes_text};
use vigil_station::GroundStation;

/// The dispatch being proposed and confirmed.
#[derive(Debug, Default)]
pub struct DispatchDesk {
    /// Asked, the proposal to come.
    pending: Option<(DispatchTarget, Receiver<Result<DispatchPlan, String>>)>,
    /// The proposal on screen.
    pub proposal: Option<(DispatchTarget, DispatchPlan)>,
}

/// What the target is, in words.
pub fn target_text(target: DispatchTarget) -> String {
    match target {
        DispatchTarget::Alert(id) => format!("alert {id}"),
        DispatchTarget::Site(id) => format!("site {id}"),
        DispatchTarget::Position(p) => format!("{:.5}, {:.5}", p.lat_deg, p.lon_deg),
    }
}

impl DispatchDesk {
    /// Asks the station which drone it would send to `target`.
    pub fn ask(&mut self, station: &GroundStation, target: DispatchTarget, log: &mut ActionCenter) {
        match station.plan_dispatch(target) {
            Ok(answer) => self.pending = Some((target, answer)),
            Err(err) => log.note_failure(
                format!("Send a drone to {}", target_text(target)),
                err.to_string(),
            ),
        }
    }

    /// Is a proposal awaited or on screen?
    pub fn is_busy(&self) -> bool {
        self.pending.is_some() || self.proposal.is_some()
    }

    /// Picks up the proposal. Never blocks.
    pub fn poll(&mut self, log: &mut ActionCenter) {
        let Some((target, answer)) = &self.pending else {
            return;
        };
        let target = *target;
        match answer.try_recv() {
            Ok(Ok(plan)) => self.proposal = Some((target, plan)),
            Ok(Err(why)) => {
                log.note_failure(format!("Send a drone to {}", target_text(target)), why)
            }
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => log.note_failure(
                format!("Send a drone to {}", target_text(target)),
                "the ground station stopped".into(),
            ),
        }
        self.pending = None;
    }

    /// The confirmation: the drone, its task, distance and time to arrive, the others.
    pub fn dialog(
        &mut self,
        ui: &mut egui::Ui,
        station: &GroundStation,
        by: &str,
        log: &mut ActionCenter,
    ) {
        self.poll(log);
        let Some((target, plan)) = &self.proposal else {
            return;
        };
        let (target, choice) = (*target, plan.choice.clone());
        let mut decided = None;
        egui::Modal::new(egui::Id::unique("vigil-dispatch")).show(ui.ctx(), |ui| {
            let name = station.snapshot().world.names.drone(choice.drone);
            ui.heading(format!(
                "Send drone {} to {}?",
                choice.drone,
                target_text(target)
            ));
            ui.label(format!("{name} is {}.", choice.task));
            ui.label(format!(
                "{:.1} km away: about {} to get there{}.",
                choice.distance_m / 1000.0,
                minutes_text(choice.eta_s),
                if choice.takes_off {
                    ", taking off first"
                } else {
                    ""
                }
            ));
            if let Some(s) = choice.on_station_s {
                ui.label(format!(
                    "Battery for about {} on station, with the way home kept.",
                    minutes_text(s)
                ));
            }
            if !plan.passed_over.is_empty() {
                ui.label(RichText::new("Passed over:").strong());
                for reason in &plan.passed_over {
                    ui.label(reason);
                }
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.button(format!("Send drone {}", choice.drone)).clicked() {
                    decided = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    decided = Some(false);
                }
            });
        });
        match decided {
            Some(true) => {
                self.proposal = None;
                log.dispatch(station, target, by, Some(choice.drone));
            }
            Some(false) => self.proposal = None,
            None => {}
        }
    }
}
