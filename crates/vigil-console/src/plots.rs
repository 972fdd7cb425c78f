//! The Plots tab, a part with its own state: every drone's telemetry recorded from each new
//! snapshot (ten samples a second, about ten minutes kept), and the chosen fields of one
//! drone drawn against time, a gap in the samples left as a gap.

use std::collections::{BTreeMap, VecDeque};

use eframe::egui::{self, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::telemetry;
use vigil_core::time::TimeUs;
use vigil_station::Snapshot;
use vigil_world::Vehicle;

/// Telemetry values that can be plotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    AltRel,
    AltMsl,
    Groundspeed,
    Airspeed,
    Climb,
    Roll,
    Pitch,
    Heading,
    Battery,
    Voltage,
    Current,
    Satellites,
    Hdop,
    LinkLatency,
}

impl Field {
    pub const ALL: [Field; 14] = [
        Field::AltRel,
        Field::AltMsl,
        Field::Groundspeed,
        Field::Airspeed,
        Field::Climb,
        Field::Roll,
        Field::Pitch,
        Field::Heading,
        Field::Battery,
        Field::Voltage,
        Field::Current,
        Field::Satellites,
        Field::Hdop,
        Field::LinkLatency,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Field::AltRel => "altitude (rel, m)",
            Field::AltMsl => "altitude (MSL, m)",
            Field::Groundspeed => "ground speed (m/s)",
            Field::Airspeed => "airspeed (m/s)",
            Field::Climb => "climb (m/s)",
            Field::Roll => "roll (°)",
            Field::Pitch => "pitch (°)",
            Field::Heading => "heading (°)",
            Field::Battery => "battery (%)",
            Field::Voltage => "voltage (V)",
            Field::Current => "current (A)",
            Field::Satellites => "satellites",
            Field::Hdop => "HDOP",
            Field::LinkLatency => "link latency (ms)",
        }
    }

    /// The value at `now`: only a fresh one (a stale value is a gap in the plot, not a point).
    pub fn value(self, v: &Vehicle, now: TimeUs) -> Option<f64> {
        let position = v.fresh_position(now);
        let hud = v.fresh_hud(now);
        let attitude = v.fresh_attitude(now);
        let battery = v.fresh_battery(now);
        let gps = v.fresh_gps(now);
        match self {
            Field::AltRel => position.map(|p| p.alt_rel_home_m),
            Field::AltMsl => position.map(|p| p.alt_msl_m),
            Field::Groundspeed => hud.map(|h| h.groundspeed_mps),
            Field::Airspeed => hud.map(|h| h.airspeed_mps),
            Field::Climb => hud.map(|h| h.climb_mps),
            Field::Roll => attitude.map(|a| a.roll_rad.to_degrees()),
            Field::Pitch => attitude.map(|a| a.pitch_rad.to_degrees()),
            Field::Heading => telemetry::heading_rad(v, now)
                .fresh()
                .map(|h| h.to_degrees().rem_euclid(360.0)),
            Field::Battery => battery.and_then(|b| b.remaining_pct),
            Field::Voltage => battery.and_then(|b| b.voltage_v),
            Field::Current => battery.and_then(|b| b.current_a),
            Field::Satellites => gps.and_then(|g| g.satellites.map(f64::from)),
            Field::Hdop => gps.and_then(|g| g.hdop),
            Field::LinkLatency => v.link_latency.map(|d| d.as_secs_f64() * 1000.0),
        }
    }
}

/// Samples kept per plotted series (at 10 snapshots a second: about ten minutes).
const PLOT_HISTORY: usize = 6000;

/// Plot history for every drone's every field, recorded from each new snapshot.
#[derive(Debug)]
pub struct PlotState {
    history: BTreeMap<(u8, Field), VecDeque<[f64; 2]>>,
    pub vehicle: Option<u8>,
    pub shown: Vec<Field>,
    last_time_s: f64,
    /// Where the plot was last drawn (its height is kept usable: tests check it).
    pub drawn: Option<egui::Rect>,
}

impl Default for PlotState {
    fn default() -> Self {
        Self {
            history: BTreeMap::new(),
            vehicle: None,
            shown: vec![Field::AltRel, Field::Groundspeed],
            last_time_s: 0.0,
            drawn: None,
        }
    }
}

impl PlotState {
    /// Records one sample per field per drone, on the messages' clock (at most 10 per second).
    pub fn record(&mut self, snapshot: &Snapshot) {
        let t = snapshot.world.time.0 as f64 / 1e6;
        if t - self.last_time_s < 0.1 {
            return;
        }
        self.last_time_s = t;
        for (sysid, v) in &snapshot.world.vehicles {
            for field in Field::ALL {
                if let Some(value) = field.value(v, snapshot.world.time) {
                    let series = self.history.entry((*sysid, field)).or_default();
                    series.push_back([t, value]);
                    if series.len() > PLOT_HISTORY {
                        series.pop_front();
                    }
                }
            }
        }
    }

    pub fn series(&self, sysid: u8, field: Field) -> Option<&VecDeque<[f64; 2]>> {
        self.history.get(&(sysid, field))
    }
}

impl PlotState {
    /// Live plots of the chosen fields of one drone.
    pub fn ui(&mut self, ui: &mut egui::Ui, snapshot: &Snapshot) {
        let vehicles: Vec<u8> = snapshot.world.vehicles.keys().copied().collect();
        if self.vehicle.is_none() {
            self.vehicle = vehicles.first().copied();
        }
        ui.horizontal(|ui| {
            egui::ComboBox::from_label("plotted")
                .selected_text(
                    self.vehicle
                        .map_or("—".into(), |v| snapshot.world.names.drone(v)),
                )
                .show_ui(ui, |ui| {
                    for v in &vehicles {
                        ui.selectable_value(
                            &mut self.vehicle,
                            Some(*v),
                            snapshot.world.names.drone(*v),
                        );
                    }
                });
            ui.menu_button("Fields", |ui| {
                for f in Field::ALL {
                    let mut on = self.shown.contains(&f);
                    if ui.checkbox(&mut on, f.label()).changed() {
                        if on {
                            self.shown.push(f);
                        } else {
                            self.shown.retain(|x| *x != f);
                        }
                    }
                }
            });
        });
        let Some(sysid) = self.vehicle else {
            ui.label("No drone yet.");
            return;
        };
        let now = snapshot.world.time;
        let now_s = now.0 as f64 / 1e6;
        // Fields with no reading now are named: a line that stops is not a value that holds.
        if let Some(v) = snapshot.world.vehicles.get(&sysid) {
            let missing: Vec<&str> = self
                .shown
                .iter()
                .filter(|f| f.value(v, now).is_none())
                .map(|f| f.label())
                .collect();
            if !missing.is_empty() {
                ui.label(
                    RichText::new(format!("no data now: {}", missing.join(", ")))
                        .weak()
                        .italics(),
                );
            }
        }
        let response = Plot::new("telemetry")
            .legend(Legend::default())
            .x_axis_label("seconds before now")
            .allow_scroll(false)
            // All the panel's height below the fields, and never a sliver under the legend.
            .height(ui.available_height().max(MIN_PLOT_HEIGHT))
            .show(ui, |plot| {
                for f in &self.shown {
                    if let Some(series) = self.series(sysid, *f) {
                        // One line per stretch without a gap: a gap is drawn as one.
                        for run in runs(series) {
                            let pts: PlotPoints =
                                run.iter().map(|[t, v]| [t - now_s, *v]).collect();
                            plot.line(Line::new(f.label(), pts));
                        }
                    }
                }
            });
        self.drawn = Some(response.response.rect);
    }
}

/// The plot is never drawn shorter than this, px.
const MIN_PLOT_HEIGHT: f32 = 120.0;

/// A gap longer than this between two samples breaks a plotted line.
const PLOT_GAP_S: f64 = 2.0;

/// The stretches of a series without a gap longer than [`PLOT_GAP_S`].
fn runs(series: &VecDeque<[f64; 2]>) -> Vec<Vec<[f64; 2]>> {
    let mut runs: Vec<Vec<[f64; 2]>> = Vec::new();
    let mut last_t = f64::NEG_INFINITY;
    for &[t, v] in series {
        if t - last_t > PLOT_GAP_S || runs.is_empty() {
            runs.push(Vec::new());
        }
        if let Some(run) = runs.last_mut() {
            run.push([t, v]);
        }
        last_t = t;
    }
    runs
}
