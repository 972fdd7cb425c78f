//! The details panel: what is picked (a drone with its instruments, a sensor node, a track, a
//! protected site, an alert with its workflow), below the actions for the selected drones. A
//! part: its own state is the alert form and the drone it shows; it draws from [`Shared`].

use eframe::egui::{self, RichText};

use super::actions;
use super::desk::Shared;
use super::map::{self, Pick};
use super::panels::{approach_text, class_text};

mod protection;
mod vehicle;

pub use protection::AlertForm;

/// The details panel's own state.
#[derive(Debug, Default)]
pub struct DetailsPanel {
    /// The operator's typing for the alert open.
    pub alert_form: AlertForm,
    /// The drone shown last frame, if a drone was shown.
    pub shown_vehicle: Option<u8>,
}

impl DetailsPanel {
    /// The actions for the selected drones, then the details of what is picked (a report is
    /// drawn by the Reports part below this).
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        // Actions first: what is below them grows and shrinks with the telemetry, and a button
        // must not move under the operator's pointer between two frames.
        vehicle::action_buttons(ui, cx);
        ui.separator();
        let shown_vehicle = match &cx.focus.pick {
            Some(Pick::Vehicle(s)) => Some(*s),
            None => cx.focus.vehicles.iter().next().copied(),
            _ => None,
        };
        self.shown_vehicle = None;
        match (cx.focus.pick.clone(), shown_vehicle) {
            (Some(Pick::Sensor(s, c)), _) => sensor(ui, cx, s, c),
            (Some(Pick::Track(id)), _) => track(ui, cx, id),
            (Some(Pick::Site(i)), _) => protection::site(ui, cx, i),
            (Some(Pick::Alert(id)), _) => self.alert_form.alert(ui, cx, id),
            (Some(Pick::Report(_)), _) => {}
            (_, Some(sysid)) => {
                if let Some(v) = cx.snapshot.world.vehicles.get(&sysid) {
                    vehicle::details(ui, cx, sysid, v);
                    self.shown_vehicle = Some(sysid);
                }
            }
            _ => {
                ui.label("Select a drone, sensor, track or site on the map or in the list.");
            }
        }
    }
}

/// A sensor node: kind, link, range, battery, detections, flags.
fn sensor(ui: &mut egui::Ui, cx: &mut Shared, s: u8, c: u8) {
    let snapshot = cx.snapshot;
    if let Some(node) = snapshot.world.sensors.get(&(s, c)) {
        ui.heading(match snapshot.world.names.has_sensor(s, c) {
            true => format!("{} (sensor {s}/{c})", snapshot.world.names.sensor(s, c)),
            false => format!("Sensor node {s}/{c}"),
        });
        egui::Grid::new("sensor").striped(true).show(ui, |ui| {
            row(ui, "Kind", node.kind.label().to_owned());
            row(ui, "Link", node.health.label().to_owned());
            row(
                ui,
                "Last heard",
                format!(
                    "{:.0} s ago",
                    snapshot.world.time.since(node.last_heard).as_secs_f64()
                ),
            );
            if let Some(p) = node.position {
                row(ui, "Position", map::position_text(p.lat_deg, p.lon_deg));
            }
            if let Some(r) = node.sensing_radius_m {
                row(ui, "Range", format!("{r:.0} m"));
            }
            if let Some(b) = node.battery_pct {
                row(ui, "Battery", format!("{b:.0} %"));
            }
            row(
                ui,
                "Detections",
                format!("{} ({} missed)", node.detections, node.detections_missed),
            );
            let f = node.flags;
            let flags: Vec<&str> = [
                (f.tamper, "TAMPER"),
                (f.sensor_fault, "sensor fault"),
                (f.gps_fault, "GPS fault"),
                (f.low_battery, "low battery"),
                (f.radio_fault, "radio fault"),
            ]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, t)| *t)
            .collect();
            row(
                ui,
                "Flags",
                if flags.is_empty() {
                    "none".into()
                } else {
                    flags.join(", ")
                },
            );
        });
    }
}

/// A track: class, position, speed, uncertainty, where it is heading; orbit it or point a
/// camera at it with the selected drones.
fn track(ui: &mut egui::Ui, cx: &mut Shared, id: u64) {
    let snapshot = cx.snapshot;
    if let Some(t) = snapshot.tracks.iter().find(|t| t.id == id) {
        ui.heading(format!("Track {id}"));
        egui::Grid::new("track").striped(true).show(ui, |ui| {
            row(ui, "Class", class_text(t.class).to_owned());
            if let Some(n) = t.count {
                row(ui, "Count", n.to_string());
            }
            row(ui, "Position", map::position_text(t.lat_deg, t.lon_deg));
            let speed = t.vel_en_mps[0].hypot(t.vel_en_mps[1]);
            let course = t.vel_en_mps[0]
                .atan2(t.vel_en_mps[1])
                .to_degrees()
                .rem_euclid(360.0);
            row(
                ui,
                "Speed",
                format!("{speed:.1} m/s towards {course:03.0}°"),
            );
            row(
                ui,
                "Uncertainty (1σ)",
                format!("{:.0} m E, {:.0} m N", t.std_en_m[0], t.std_en_m[1]),
            );
            row(
                ui,
                "Updated",
                format!(
                    "{:.0} s ago",
                    snapshot.world.time.since(t.updated).as_secs_f64()
                ),
            );
            row(
                ui,
                "Seen",
                if t.observable {
                    "inside a sensor's or camera's coverage".into()
                } else {
                    "by nothing now: a prediction, its uncertainty growing".into()
                },
            );
            if let Some(text) = approach_text(&snapshot.protection, id) {
                row(ui, "Heading for", text);
            }
        });
        if !cx.focus.vehicles.is_empty() {
            let at = (t.lat_deg, t.lon_deg);
            let targets = cx.focus.targets();
            ui.horizontal(|ui| {
                if ui.button("Orbit this track").clicked() {
                    let orbit = cx.actions.orbit(at);
                    cx.actions.request(orbit, targets.clone());
                }
                if ui.button("Point camera at it").clicked() {
                    cx.actions.request(actions::point_camera(at), targets);
                }
            });
        }
    }
}

pub(crate) fn row(ui: &mut egui::Ui, name: &str, value: String) {
    ui.label(name);
    // The parts of a long value (a position and its MGRS square) one under the other: the
    // panel keeps its width when something else is selected.
    ui.label(value.replace(" · ", "\n"));
    ui.end_row();
}

/// A row whose value is missing: greyed and italic, so it never reads as a value.
pub(crate) fn no_data_row(ui: &mut egui::Ui, name: &str, text: String) {
    ui.label(name);
    no_data_label(ui, text);
    ui.end_row();
}

pub(crate) fn no_data_label(ui: &mut egui::Ui, text: String) {
    ui.label(RichText::new(text).weak().italics());
}
