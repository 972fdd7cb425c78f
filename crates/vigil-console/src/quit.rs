//! Closing the console with drones in the air: the operator is asked first, naming each
//! drone and what it is doing, because a closed console leaves them flying with nobody
//! watching (their own failsafes aside). A stop from outside (SIGTERM from the system, Ctrl-C
//! in the terminal) closes without asking, like a clean exit, so that the session is sealed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use eframe::egui::{self, RichText};

use vigil_station::Snapshot;
use vigil_world::Vehicle;

/// Above this height over home an armed drone counts as in the air, metres.
const AIRBORNE_ABOVE_M: f64 = 1.0;

/// Whether a drone is flying (armed and off the ground, or armed with no height known).
pub fn airborne(vehicle: &Vehicle) -> bool {
    vehicle.armed
        && vehicle
            .position
            .is_none_or(|p| p.alt_rel_home_m.is_nan() || p.alt_rel_home_m > AIRBORNE_ABOVE_M)
}

/// The close guard's state.
#[derive(Debug, Default)]
pub struct QuitGuard {
    /// Set from outside (a signal): close now.
    pub signal: Option<Arc<AtomicBool>>,
    /// The operator asked to close while drones fly: the question is shown.
    asking: bool,
    /// Closing is decided: let the window go.
    pub confirmed: bool,
}

impl QuitGuard {
    pub fn new(signal: Option<Arc<AtomicBool>>) -> Self {
        Self {
            signal,
            ..Self::default()
        }
    }

    /// Whether the question is on screen.
    pub fn is_asking(&self) -> bool {
        self.asking
    }

    /// In the logic step (which runs even while the window is hidden): closes on a signal.
    pub fn check_signal(&mut self, ctx: &egui::Context) {
        if !self.confirmed
            && self
                .signal
                .as_ref()
                .is_some_and(|s| s.load(Ordering::SeqCst))
        {
            self.confirmed = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }

    /// Each frame: lets a close through, or stops it and asks.
    pub fn ui(&mut self, ctx: &egui::Context, snapshot: &Snapshot) {
        let flying: Vec<(u8, &Vehicle)> = snapshot
            .world
            .vehicles
            .iter()
            .filter(|(_, v)| airborne(v))
            .map(|(id, v)| (*id, v.as_ref()))
            .collect();
        if ctx.input(|i| i.viewport().close_requested()) && !self.confirmed {
            if flying.is_empty() {
                self.confirmed = true;
            } else {
                ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
                self.asking = true;
            }
        }
        if self.asking {
            self.dialog(ctx, &flying, &snapshot.world.names);
        }
    }

    fn dialog(
        &mut self,
        ctx: &egui::Context,
        flying: &[(u8, &Vehicle)],
        names: &vigil_world::Names,
    ) {
        egui::Window::new("Drones in the air")
            .collapsible(false)
            .resizable(false)
            .anchor(egui::Align2::CENTER_CENTER, [0.0, 0.0])
            .show(ctx, |ui| {
                for (id, v) in flying {
                    let height = v.position.map_or("height unknown".to_owned(), |p| {
                        format!("{:.0} m above home", p.alt_rel_home_m)
                    });
                    ui.label(format!("{}: {}, {height}", names.drone(*id), v.mode));
                }
                ui.label(
                    RichText::new(
                        "Closing the console leaves them flying with no ground station watching \
                         them: they will act on their own failsafes only.",
                    )
                    .strong(),
                );
                ui.horizontal(|ui| {
                    if ui.button("Keep the console open").clicked() {
                        self.asking = false;
                    }
                    if ui.button("Quit anyway").clicked() {
                        self.asking = false;
                        self.confirmed = true;
                        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                    }
                });
            });
    }
}
