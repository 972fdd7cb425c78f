//! The replay bar, a part: play, pause, speed and a slider over a recording being replayed
//! (`vigil_station::replay::ReplayController`). A seek runs on the `vigil-seek` thread (a seek
//! backward restarts the replay's pipeline, which takes up to seconds); the console keeps
//! drawing the last picture meanwhile and shows a failed seek on the bar.

use std::path::PathBuf;

use eframe::egui;

use vigil_core::time::utc_string;
use vigil_station::GroundStation;
use vigil_station::replay::{ReplayController, ReplayError};

/// The replay shown, if the console was opened on one.
#[derive(Default)]
pub struct ReplayDesk {
    /// The recording being replayed (`None` while a seek holds it on `vigil-seek`).
    replay: Option<ReplayController>,
    slider_s: f64,
    /// A seek running on its own thread.
    seek: Option<Seek>,
    /// Why the last seek failed, shown on the bar until the next one.
    error: Option<String>,
}

/// A seek on the `vigil-seek` thread, which gives the replay back when done (bounded 1).
struct Seek {
    target_s: f64,
    done: crossbeam_channel::Receiver<(ReplayController, Result<(), ReplayError>)>,
}

impl ReplayDesk {
    pub fn new(replay: ReplayController) -> Self {
        Self {
            replay: Some(replay),
            ..Self::default()
        }
    }

    /// A replay is shown (playing, paused or seeking): nothing in it can be commanded.
    pub fn is_active(&self) -> bool {
        self.replay.is_some() || self.seek.is_some()
    }

    /// The recording being replayed, if any (`None` while a seek runs).
    pub fn controller(&self) -> Option<&ReplayController> {
        self.replay.as_ref()
    }

    /// The station of the replay's pipeline (a new one after a seek backward).
    pub fn station(&self) -> Option<GroundStation> {
        self.replay.as_ref().and_then(ReplayController::station)
    }

    /// The folder of the recording being replayed.
    pub fn folder(&self) -> Option<PathBuf> {
        self.replay
            .as_ref()
            .and_then(|r| r.tlog().parent().map(std::path::Path::to_owned))
    }

    pub fn is_seeking(&self) -> bool {
        self.seek.is_some()
    }

    /// Why the last seek failed, if it did.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Moves the replay to `secs` from the start of the recording, on the `vigil-seek`
    /// thread; one seek at a time.
    pub fn seek_secs(&mut self, secs: f64) {
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
                self.error = None;
                self.seek = Some(Seek {
                    target_s: secs,
                    done,
                });
            }
            Err(err) => {
                self.error = Some(format!(
                    "the replay stopped: cannot start the seek's thread: {err}"
                ));
            }
        }
    }

    /// Takes back the replay when its seek is done (never waits); true when it is back and
    /// the console must follow its pipeline.
    pub fn finish_seek(&mut self) -> bool {
        let Some(seek) = &self.seek else {
            return false;
        };
        let Ok((replay, result)) = seek.done.try_recv() else {
            return false;
        };
        if let Err(err) = result {
            self.error = Some(format!("seek to {:.0} s failed: {err}", seek.target_s));
        }
        self.seek = None;
        self.replay = Some(replay);
        true
    }

    /// The bar at the top of the console, while a replay is shown.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if let Some(replay) = &mut self.replay {
            let mut seek_to = None;
            let error = self.error.as_deref();
            let slider_s = &mut self.slider_s;
            egui::Panel::top("vigil-replay").show(ui, |ui| {
                seek_to = replay_bar(ui, replay, slider_s, error);
            });
            if let Some(secs) = seek_to {
                self.seek_secs(secs);
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
    }
}

/// Speeds offered for a replay.
const SPEEDS: [f64; 7] = [0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 100.0];

/// The replay bar: play/pause, speed, and a slider to seek, with why the last seek failed.
/// Returns the seconds to seek to when the operator let go of the slider (the console seeks
/// on a thread of its own: a seek backward restarts the replay's pipeline).
fn replay_bar(
    ui: &mut egui::Ui,
    replay: &mut ReplayController,
    slider_s: &mut f64,
    error: Option<&str>,
) -> Option<f64> {
    let (start, end) = replay.span();
    let length_s = end.since(start).as_secs_f64();
    let position = replay.position().unwrap_or(start);
    let at_s = position.since(start).as_secs_f64();
    let mut seek_to = None;
    ui.horizontal(|ui| {
        ui.label("Replay");
        if replay.is_paused() {
            if ui.button("Play").clicked() {
                replay.play();
            }
        } else if ui.button("Pause").clicked() {
            replay.pause();
        }
        let mut speed = replay.speed();
        egui::ComboBox::from_label("speed")
            .selected_text(format!("{speed}x"))
            .show_ui(ui, |ui| {
                for s in SPEEDS {
                    ui.selectable_value(&mut speed, s, format!("{s}x"));
                }
            });
        if (speed - replay.speed()).abs() > f64::EPSILON {
            replay.set_speed(speed);
        }
        let response = ui.add(
            egui::Slider::new(slider_s, 0.0..=length_s.max(1.0))
                .text("seconds")
                .show_value(true),
        );
        if response.drag_stopped() || (response.changed() && !response.dragged()) {
            seek_to = Some(*slider_s);
        } else if !response.dragged() {
            *slider_s = at_s;
        }
        ui.label(format!(
            "{} ({:.0} of {:.0} s)",
            utc_string(position),
            at_s,
            length_s
        ));
        if let Some(error) = error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
    });
    seek_to
}
