//! The console's panels around the map: the status strip, the drone and sensor list, the details
//! of what is selected (instruments and actions for a drone) and the alerts (the messages, the
//! plots and the links are parts of their own: `messages.rs`, `plots.rs`, `links.rs`). Each
//! reads the frame's snapshot; none waits on anything.

// Long: the details, lists and alerts panels. Each panel becomes a part with its own state in the next step of issue 13 (see ARCHITECTURE.md).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use eframe::egui::{self, Color32, RichText};

use super::map::{self, AlertMark, CoverageCell, IncidentMark, Palette, Pick, SiteShape};
use super::telemetry::{self, Reading};
use super::{ConsoleApp, Pos, actions, instruments};
use vigil_core::time::TimeUs;
use vigil_core::time::utc_string;
use vigil_protection::{Alert, AlertSeverity, AlertState, DispatchTarget, LatLon, Verification};
use vigil_protocol::modes::mode_names;
use vigil_station::Snapshot;
use vigil_world::command::Action;
use vigil_world::{Health, Severity, Source, Vehicle};

/// The UI thread's own time per frame, for the status strip.
#[derive(Debug, Default)]
pub struct FrameTimes {
    recent: VecDeque<Duration>,
}

impl FrameTimes {
    pub fn push(&mut self, d: Duration) {
        self.recent.push_back(d);
        if self.recent.len() > 240 {
            self.recent.pop_front();
        }
    }

    pub fn percentile(&self, p: f64) -> Option<Duration> {
        let mut v: Vec<Duration> = self.recent.iter().copied().collect();
        v.sort();
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v.get(i).copied()
    }
}

/// The strip in the top bar: clock, links, drones, sensors, tracks, recording, frame time.
pub fn status_strip(app: &ConsoleApp, ui: &mut egui::Ui) {
    let s = &app.snapshot;
    let palette = Palette::of(app.settings.theme);
    // One clock for the mission: the messages' clock, which the alerts, reports, tracks and
    // the journal's decisions are stamped on (a simulated scenario's own date when simulated);
    // the station's clock beside it when the two differ.
    let mission = if s.protection.time.0 > 0 {
        s.protection.time
    } else {
        s.world.time
    };
    ui.label(RichText::new(utc_string(mission)).monospace())
        .on_hover_text(
            "mission time: the messages' clock, on which alerts and reports are stamped",
        );
    let apart_s = (mission.as_secs_f64() - s.world.time.as_secs_f64()).abs();
    if apart_s > 60.0 {
        let station = utc_string(s.world.time);
        ui.label(
            RichText::new(format!(
                "station {}",
                station.get(11..).unwrap_or(&station)
            ))
            .weak(),
        )
        .on_hover_text("the station's own clock: the messages' clock is elsewhere (a simulation, a replay, a sender's clock)");
    }
    let up = s
        .links
        .iter()
        .filter(|l| l.stats.state == vigil_link::LinkState::Up)
        .count();
    let link_colour = if s.links.is_empty() || up == s.links.len() {
        palette.ok
    } else if up == 0 {
        palette.lost
    } else {
        palette.stale
    };
    ui.label(RichText::new(format!("links {up}/{}", s.links.len())).color(link_colour));
    let lost = s
        .world
        .vehicles
        .values()
        .filter(|v| v.health != Health::Fresh)
        .count();
    let drones = format!("drones {}", s.world.vehicles.len());
    if lost > 0 {
        ui.label(RichText::new(format!("{drones} ({lost} silent)")).color(palette.lost));
    } else {
        ui.label(drones);
    }
    ui.label(format!("sensors {}", s.world.sensors.len()));
    ui.label(format!("tracks {}", s.tracks.len()));
    match &s.recorder {
        Some(r) if r.write_errors > 0 => {
            ui.label(
                RichText::new(format!("rec: {} write errors", r.write_errors)).color(palette.lost),
            );
        }
        Some(r) => {
            ui.label(format!("rec {} frames", r.records))
                .on_hover_text(r.path.display().to_string());
        }
        None => {
            ui.label("not recording");
        }
    }
    if s.pipeline.dropped > 0 {
        ui.label(RichText::new(format!("dropped {}", s.pipeline.dropped)).color(palette.stale))
            .on_hover_text("telemetry frames dropped by the full-queue policy (see Links)");
    }
    if let Some(p50) = app.frame_times.percentile(0.5) {
        ui.label(RichText::new(format!("ui {:.1} ms", p50.as_secs_f64() * 1000.0)).weak())
            .on_hover_text("the UI thread's work per frame (median)");
    }
}

fn health_colour(palette: &Palette, health: Health) -> Color32 {
    palette.health(health)
}

/// A drone's line in the list: mode, altitude and battery when they are readings, "no position"
/// when it has sent none (it is then not on the map), the age of a stale position. Each part
/// says whether it is a missing value (drawn greyed).
pub fn vehicle_line_parts(name: String, v: &Vehicle, now: TimeUs) -> Vec<(String, bool)> {
    let mut parts = vec![(format!("{name} · {}", v.mode), false)];
    match telemetry::position(v, now) {
        Reading::Fresh(p) => parts.push((format!(" · {:.0} m", p.alt_rel_home_m), false)),
        Reading::Stale(age) => {
            parts.push((format!(" · position {}", telemetry::age_text(age)), true));
        }
        Reading::Never => parts.push((" · no position".into(), true)),
    }
    match telemetry::battery(v, now).map(|b| b.remaining_pct) {
        Reading::Fresh(Some(pct)) => parts.push((format!(" · {pct:.0}%"), false)),
        Reading::Fresh(None) => {}
        _ => parts.push((" · battery: no data".into(), true)),
    }
    if v.health != Health::Fresh {
        parts.push((format!(" · link {}", v.health.label()), false));
    }
    if v.armed {
        parts.push((" · ARMED".into(), false));
    }
    parts
}

/// The drone list (click to select, Ctrl/Shift-click for several) and the sensor nodes.
pub fn vehicle_list(app: &mut ConsoleApp, ui: &mut egui::Ui) {
    let palette = Palette::of(app.settings.theme);
    let snapshot = app.snapshot.clone();
    ui.horizontal(|ui| {
        ui.heading(format!("Drones ({})", snapshot.world.vehicles.len()));
    });
    ui.horizontal(|ui| {
        if ui.small_button("All").clicked() {
            app.selected_vehicles = snapshot.world.vehicles.keys().copied().collect();
        }
        if ui.small_button("None").clicked() {
            app.selected_vehicles.clear();
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("drone-list")
        .max_height(ui.available_height() * 0.55)
        .show(ui, |ui| {
            let now = snapshot.world.time;
            for (sysid, v) in &snapshot.world.vehicles {
                let selected = app.selected_vehicles.contains(sysid);
                let mut job = egui::text::LayoutJob::default();
                let style = ui.style().clone();
                let name = snapshot.world.names.drone(*sysid);
                for (text, missing) in vehicle_line_parts(name, v, now) {
                    let part = if missing {
                        RichText::new(text).color(Color32::GRAY).italics()
                    } else {
                        RichText::new(text).color(health_colour(&palette, v.health))
                    };
                    part.append_to(
                        &mut job,
                        &style,
                        egui::FontSelection::Default,
                        egui::Align::Center,
                    );
                }
                let response = ui
                    .selectable_label(selected, job)
                    .on_hover_text("double click: centre the map on it");
                if response.clicked() || response.double_clicked() {
                    let additive = ui.input(|i| i.modifiers.command || i.modifiers.shift);
                    if !additive || response.double_clicked() {
                        app.selected_vehicles.clear();
                        app.selected_vehicles.insert(*sysid);
                    } else if !app.selected_vehicles.insert(*sysid) {
                        app.selected_vehicles.remove(sysid);
                    }
                    app.selection = Some(Pick::Vehicle(*sysid));
                    app.side_tab = super::SideTab::Details;
                }
                if response.double_clicked() {
                    // The last known position (stale or not): where to look for it.
                    match v.position {
                        Some(p) => app.centre_on((p.lat_deg, p.lon_deg)),
                        None => app
                            .messages
                            .local(format!("drone {sysid} has sent no position yet")),
                    }
                }
            }
        });
    ui.separator();
    egui::CollapsingHeader::new(format!("Sensor nodes ({})", snapshot.world.sensors.len()))
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("sensor-list")
                .show(ui, |ui| {
                    for ((sysid, compid), node) in &snapshot.world.sensors {
                        // By name when it has one, by number when not; and where it is.
                        let names = &snapshot.world.names;
                        let mut text = if names.has_sensor(*sysid, *compid) {
                            format!("{} · {}", names.sensor(*sysid, *compid), node.kind.label())
                        } else {
                            format!("{sysid}/{compid} {}", node.kind.label())
                        };
                        if let Some(b) = node.battery_pct {
                            text.push_str(&format!(" {b:.0}%"));
                        }
                        if let Some(place) = node
                            .position
                            .and_then(|p| place_text(&snapshot, (p.lat_deg, p.lon_deg)))
                        {
                            text.push_str(&format!(" · {place}"));
                        }
                        if node.flags.tamper {
                            text.push_str(" TAMPER");
                        }
                        if node.health != Health::Fresh {
                            text.push_str(&format!(" {}", node.health.label()));
                        }
                        let colour = if node.flags.tamper {
                            palette.lost
                        } else {
                            health_colour(&palette, node.health)
                        };
                        if node.position.is_none() {
                            text.push_str(" · no position");
                        }
                        let selected = app.selection == Some(Pick::Sensor(*sysid, *compid));
                        let response = ui
                            .selectable_label(selected, RichText::new(text).color(colour))
                            .on_hover_text("double click: centre the map on it");
                        if response.clicked() || response.double_clicked() {
                            app.selection = Some(Pick::Sensor(*sysid, *compid));
                            app.side_tab = super::SideTab::Details;
                        }
                        if response.double_clicked()
                            && let Some(p) = node.position
                        {
                            app.centre_on((p.lat_deg, p.lon_deg));
                        }
                    }
                });
        });
}

// Long: immediate-mode drawing of the details panel for whatever is selected.
/// The details of the selection; for drones, their instruments and the actions.
pub fn details(app: &mut ConsoleApp, ui: &mut egui::Ui) {
    // Actions first: what is below them grows and shrinks with the telemetry, and a button must
    // not move under the operator's pointer between two frames.
    action_buttons(app, ui);
    ui.separator();
    let snapshot = app.snapshot.clone();
    let palette = Palette::of(app.settings.theme);
    let shown_vehicle = match &app.selection {
        Some(Pick::Vehicle(s)) => Some(*s),
        None => app.selected_vehicles.iter().next().copied(),
        _ => None,
    };
    match (&app.selection, shown_vehicle) {
        (Some(Pick::Sensor(s, c)), _) => {
            if let Some(node) = snapshot.world.sensors.get(&(*s, *c)) {
                ui.heading(match snapshot.world.names.has_sensor(*s, *c) {
                    true => format!("{} (sensor {s}/{c})", snapshot.world.names.sensor(*s, *c)),
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
        (Some(Pick::Track(id)), _) => {
            if let Some(t) = snapshot.tracks.iter().find(|t| t.id == *id) {
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
                    if let Some(text) = approach_text(&snapshot.protection, *id) {
                        row(ui, "Heading for", text);
                    }
                });
                if !app.selected_vehicles.is_empty() {
                    let at = (t.lat_deg, t.lon_deg);
                    let targets: Vec<u8> = app.selected_vehicles.iter().copied().collect();
                    ui.horizontal(|ui| {
                        if ui.button("Orbit this track").clicked() {
                            app.actions.request(app.actions.orbit(at), targets.clone());
                        }
                        if ui.button("Point camera at it").clicked() {
                            app.actions.request(actions::point_camera(at), targets);
                        }
                    });
                }
            }
        }
        (Some(pick @ (Pick::Site(_) | Pick::Alert(_))), _) => {
            let pick = pick.clone();
            super::panels::protection_details(app, ui, &pick);
        }
        (Some(Pick::Report(id)), _) => {
            let id = *id;
            app.inbox.details(
                ui,
                id,
                super::inbox::InboxContext {
                    snapshot: &snapshot,
                    station: &app.station,
                    operator: &app.settings.operator,
                    actions: &mut app.actions,
                    desk: &mut app.dispatch_desk,
                    selection: &mut app.selection,
                },
            );
        }
        (_, Some(sysid)) => {
            if let Some(v) = snapshot.world.vehicles.get(&sysid) {
                vehicle_details(app, ui, sysid, v, &snapshot, &palette);
            }
        }
        _ => {
            ui.label("Select a drone, sensor, track or site on the map or in the list.");
        }
    }
}

fn row(ui: &mut egui::Ui, name: &str, value: String) {
    ui.label(name);
    // The parts of a long value (a position and its MGRS square) one under the other: the
    // panel keeps its width when something else is selected.
    ui.label(value.replace(" · ", "\n"));
    ui.end_row();
}

/// A row whose value is missing: greyed and italic, so it never reads as a value.
fn no_data_row(ui: &mut egui::Ui, name: &str, text: String) {
    ui.label(name);
    no_data_label(ui, text);
    ui.end_row();
}

fn no_data_label(ui: &mut egui::Ui, text: String) {
    ui.label(RichText::new(text).weak().italics());
}

// Long: immediate-mode drawing of a drone's instruments, state, actions and answers.
fn vehicle_details(
    app: &mut ConsoleApp,
    ui: &mut egui::Ui,
    sysid: u8,
    v: &Vehicle,
    snapshot: &Snapshot,
    palette: &Palette,
) {
    let now = snapshot.world.time;
    let names = &snapshot.world.names;
    ui.heading(format!(
        "{}{} — {} {}",
        names.drone(sysid),
        if names.drones.contains_key(&sysid) {
            format!(" (drone {sysid})")
        } else {
            String::new()
        },
        v.firmware.label(),
        telemetry::airframe_text(v.airframe)
    ));
    ui.horizontal_wrapped(|ui| {
        let armed = if v.armed {
            RichText::new("ARMED").color(palette.lost).strong()
        } else {
            RichText::new("disarmed").color(palette.ok)
        };
        ui.label(armed);
        ui.label(RichText::new(v.mode.to_string()).strong());
        ui.label(
            RichText::new(format!("link {}", v.health.label())).color(palette.health(v.health)),
        );
        ui.label(v.system_status.to_string());
        if !v.armed {
            let prearm = telemetry::prearm_text(v.prearm_ok);
            ui.label(match v.prearm_ok {
                Some(true) => RichText::new(prearm).color(palette.ok),
                Some(false) => RichText::new(prearm).color(palette.stale),
                None => RichText::new(format!("pre-arm: {prearm}")).weak(),
            });
        }
    });
    ui.horizontal(|ui| {
        let missing = |reading: Reading<()>| match reading {
            Reading::Stale(age) => format!("last {}", telemetry::age_text(age)),
            _ => "never received".to_owned(),
        };
        match telemetry::attitude(v, now) {
            Reading::Fresh(a) => instruments::attitude(ui, a.roll_rad, a.pitch_rad, 140.0),
            other => instruments::no_data(
                ui,
                140.0,
                "attitude",
                &missing(other.map(|_| ())),
                palette.label,
            ),
        }
        match telemetry::heading_rad(v, now) {
            Reading::Fresh(h) => instruments::heading(ui, h, 140.0, palette.label),
            other => instruments::no_data(
                ui,
                140.0,
                "heading",
                &missing(other.map(|_| ())),
                palette.label,
            ),
        }
    });
    egui::Grid::new("vehicle").striped(true).show(ui, |ui| {
        match telemetry::position(v, now) {
            Reading::Fresh(p) => {
                row(
                    ui,
                    "Altitude",
                    format!("{:.1} m rel · {:.1} m MSL", p.alt_rel_home_m, p.alt_msl_m),
                );
                row(ui, "Position", map::position_text(p.lat_deg, p.lon_deg));
            }
            reading => {
                let text = reading.missing_text().unwrap_or_default();
                no_data_row(ui, "Altitude", text.clone());
                no_data_row(ui, "Position", text);
                if let Some(p) = v.position {
                    no_data_row(ui, "Last known", map::position_text(p.lat_deg, p.lon_deg));
                }
            }
        }
        match telemetry::hud(v, now) {
            Reading::Fresh(h) => row(
                ui,
                "Speed",
                format!(
                    "{:.1} m/s ground · {:.1} m/s air · {:+.1} m/s climb",
                    h.groundspeed_mps, h.airspeed_mps, h.climb_mps
                ),
            ),
            reading => no_data_row(ui, "Speed", reading.missing_text().unwrap_or_default()),
        }
        ui.label("Battery");
        match telemetry::battery(v, now) {
            Reading::Fresh(b) => {
                let pct = b.remaining_pct;
                let colour = match pct {
                    Some(p) if p < 25.0 => palette.lost,
                    Some(p) if p < 40.0 => palette.stale,
                    Some(_) => palette.ok,
                    None => Color32::GRAY,
                };
                instruments::bar(
                    ui,
                    pct.map_or(0.0, |p| (p / 100.0) as f32),
                    colour,
                    format!(
                        "{} · {} · {}",
                        pct.map_or("level unknown".into(), |p| format!("{p:.0}%")),
                        b.voltage_v.map_or("—".into(), |x| format!("{x:.1} V")),
                        b.current_a.map_or("—".into(), |x| format!("{x:.1} A")),
                    ),
                );
            }
            reading => {
                no_data_label(ui, reading.missing_text().unwrap_or_default());
            }
        }
        ui.end_row();
        match telemetry::gps(v, now) {
            Reading::Fresh(g) => row(
                ui,
                "GPS",
                format!(
                    "{} · {} sats · HDOP {}",
                    telemetry::fix_text(g.fix_type),
                    g.satellites.map_or("—".into(), |s| s.to_string()),
                    g.hdop.map_or("—".into(), |h| format!("{h:.1}"))
                ),
            ),
            reading => no_data_row(ui, "GPS", reading.missing_text().unwrap_or_default()),
        }
        row(
            ui,
            "Last heard",
            format!(
                "{:.1} s ago",
                snapshot.world.time.since(v.last_heartbeat).as_secs_f64()
            ),
        );
        if let Some(l) = v.link_latency {
            row(
                ui,
                "Link latency",
                format!("{:.0} ms", l.as_secs_f64() * 1000.0),
            );
        }
        if v.unhealthy_sensors != 0 {
            row(
                ui,
                "Unhealthy sensors",
                format!("{:#x}", v.unhealthy_sensors),
            );
        }
        let f = v.integrity.flags;
        if f.gps_jump.is_some() || f.velocity_mismatch.is_some() || f.duplicate_sysid.is_some() {
            row(
                ui,
                "Integrity",
                [
                    (f.gps_jump.is_some(), "GPS jump"),
                    (f.velocity_mismatch.is_some(), "velocity mismatch"),
                    (f.duplicate_sysid.is_some(), "two senders on this id"),
                ]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, t)| *t)
                .collect::<Vec<_>>()
                .join(", "),
            );
        }
        if let Some(seq) = v.mission_current_seq {
            row(ui, "Mission item", seq.to_string());
        }
    });
    // The drone's own messages: arming checks, failsafes, status text.
    let own: Vec<_> = snapshot
        .world
        .notices
        .iter()
        .rev()
        .filter(|n| n.source == Source::Vehicle(sysid))
        .take(6)
        .collect();
    if !own.is_empty() {
        ui.label(RichText::new("Messages").strong());
        for n in own {
            ui.label(
                RichText::new(format!("{} {}", n.severity.label(), n.text))
                    .color(severity_colour(palette, n.severity)),
            );
        }
    }
    if app.plots.vehicle.is_none() {
        app.plots.vehicle = Some(sysid);
    }
}

/// The buttons that command the selected drones, and the log of their answers.
fn action_buttons(app: &mut ConsoleApp, ui: &mut egui::Ui) {
    let targets: Vec<u8> = app.selected_vehicles.iter().copied().collect();
    // A replay shows what happened: nothing in it can be commanded.
    let replaying = app.replay().is_some() || app.is_seeking();
    let any = !targets.is_empty() && !replaying;
    ui.label(
        RichText::new(match targets.len() {
            _ if replaying => "Actions (none in a replay)".to_owned(),
            0 => "Actions (select drones first)".to_owned(),
            1 => format!("Actions for {}", app.snapshot.world.names.drone(targets[0])),
            n => format!("Actions for {n} drones"),
        })
        .strong(),
    );
    let firmware = targets
        .first()
        .and_then(|t| app.snapshot.world.vehicles.get(t))
        .map(|v| v.firmware);
    // Another selection: the mode box shows the (first) selected drone's mode, not the one
    // picked for the drones selected before.
    if app.actions.mode_for != targets {
        if let Some(v) = targets
            .first()
            .and_then(|t| app.snapshot.world.vehicles.get(t))
        {
            app.actions.mode = v.mode.to_string();
        }
        app.actions.mode_for = targets.clone();
    }
    ui.horizontal_wrapped(|ui| {
        let mut ask = |ui: &mut egui::Ui, label: &str, action: Action| {
            if ui.add_enabled(any, egui::Button::new(label)).clicked() {
                app.actions.request(action, targets.clone());
            }
        };
        ask(ui, "Arm", Action::Arm);
        ask(ui, "Disarm", Action::Disarm { force: false });
        ask(ui, "Land", Action::Land);
        ask(ui, "RTL", Action::ReturnToLaunch);
    });
    ui.horizontal(|ui| {
        // In one step, as QGroundControl's slider: the mode, arm, take off (asked first).
        if ui.add_enabled(any, egui::Button::new("Take off")).clicked() {
            app.actions
                .request(actions::takeoff(app.actions.takeoff_alt_m), targets.clone());
        }
        ui.label("to");
        ui.add(
            egui::DragValue::new(&mut app.actions.takeoff_alt_m)
                .range(2.0..=500.0)
                .suffix(" m"),
        );
    });
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("mode")
            .selected_text(app.actions.mode.clone())
            .show_ui(ui, |ui| {
                if let Some(fw) = firmware {
                    for name in mode_names(fw) {
                        ui.selectable_value(&mut app.actions.mode, name.to_owned(), name);
                    }
                }
            });
        if ui.add_enabled(any, egui::Button::new("Set mode")).clicked() {
            app.actions
                .request(Action::SetMode(app.actions.mode.clone()), targets.clone());
        }
    });
    ui.horizontal(|ui| {
        ui.label("Go/orbit altitude");
        ui.add(
            egui::DragValue::new(&mut app.actions.goto_alt_m)
                .range(5.0..=500.0)
                .suffix(" m"),
        );
        ui.label("radius");
        ui.add(
            egui::DragValue::new(&mut app.actions.orbit_radius_m)
                .range(10.0..=2000.0)
                .suffix(" m"),
        );
    });
    ui.label(RichText::new("Right-click the map: go here, orbit here, point camera here.").weak());
    if app
        .actions
        .log
        .iter()
        .any(|t| !t.workflow && targets.contains(&t.target))
    {
        ui.separator();
        // Workflow steps and dispatches are shown with their alert or site; each drone's
        // answers with that drone.
        for t in app
            .actions
            .log
            .iter()
            .filter(|t| !t.workflow && targets.contains(&t.target))
            .take(6)
        {
            let colour = match &t.outcome {
                None => ui.visuals().text_color(),
                Some(Ok(_)) => Palette::of(app.settings.theme).ok,
                Some(Err(_)) => Palette::of(app.settings.theme).lost,
            };
            ui.label(RichText::new(t.line()).color(colour));
        }
    }
}

pub fn severity_colour(palette: &Palette, s: Severity) -> Color32 {
    match s {
        Severity::Emergency | Severity::Alert | Severity::Critical | Severity::Error => {
            palette.lost
        }
        Severity::Warning => palette.stale,
        _ => palette.label,
    }
}

/// The protection layer as the map draws it, rebuilt when the protection view changes.
#[derive(Debug, Default, Clone)]
pub struct Marks {
    pub sites: Vec<SiteShape>,
    pub alerts: Vec<AlertMark>,
    pub coverage: Vec<CoverageCell>,
    pub incidents: Vec<IncidentMark>,
}

fn ring(points: Option<&Vec<LatLon>>) -> Vec<Pos> {
    points
        .map(|r| r.iter().map(|p| (p.lat_deg, p.lon_deg)).collect())
        .unwrap_or_default()
}

/// The protection layer's sites, alerts, coverage (when `with_coverage`) and incidents for
/// the map.
pub fn protection_marks(snapshot: &Snapshot, with_coverage: bool) -> Marks {
    let view = &snapshot.protection;
    let unobserved: BTreeMap<u32, f64> = view
        .unobserved
        .iter()
        .map(|u| (u.site, u.unobserved_s))
        .collect();
    let sites = view
        .sites
        .iter()
        .map(|s| SiteShape {
            name: s.name.clone(),
            category: category_text(s.category),
            outline: ring(s.outline.first()),
            buffer: ring(s.buffer.first()),
            centre_deg: (s.centre.lat_deg, s.centre.lon_deg),
            sensitive: s.sensitive,
            unobserved_s: unobserved.get(&s.id).copied(),
        })
        .collect();
    let alerts = view
        .alerts
        .iter()
        .filter(|a| a.state != AlertState::Resolved)
        .map(|a| AlertMark {
            id: a.id,
            lat_deg: a.position.lat_deg,
            lon_deg: a.position.lon_deg,
            critical: a.severity == AlertSeverity::Critical,
            open: a.state == AlertState::Open,
            label: format!("{} {}", a.id, a.rule.label()),
        })
        .collect();
    let c = &view.coverage;
    let rows = if with_coverage { c.rows } else { 0 };
    let mut coverage = Vec::with_capacity(c.cols * rows);
    for row in 0..rows {
        for col in 0..c.cols {
            let Some([sw, ne]) = view.cell_corners(col, row) else {
                continue;
            };
            coverage.push(CoverageCell {
                south_west_deg: (sw.lat_deg, sw.lon_deg),
                north_east_deg: (ne.lat_deg, ne.lon_deg),
                unobserved_s: c.age_s(col, row, view.time),
            });
        }
    }
    let incidents = view
        .incidents
        .iter()
        .map(|i| IncidentMark {
            lat_deg: i.details.position.lat_deg,
            lon_deg: i.details.position.lon_deg,
            label: format!("incident {}: {}", i.id, i.details.category),
            verified: matches!(i.verification, Verification::Verified { .. }),
        })
        .chain(view.reports.iter().map(|r| IncidentMark {
            lat_deg: r.report.position.lat_deg,
            lon_deg: r.report.position.lon_deg,
            label: format!(
                "report {}: {} ({})",
                r.id,
                r.report.category,
                r.verification.label()
            ),
            verified: matches!(r.verification, Verification::Verified { .. }),
        }))
        .collect();
    Marks {
        sites,
        alerts,
        coverage,
        incidents,
    }
}

/// The centre of protected site number `i` (in the view's order).
/// Where a place is against the nearest protected site: "at Keradu", "1.20 km NE of
/// Lomisa" (none farther than 20 km from every site).
pub fn place_text(snapshot: &Snapshot, at: Pos) -> Option<String> {
    const POINTS: [&str; 8] = ["N", "NE", "E", "SE", "S", "SW", "W", "NW"];
    let (distance_m, bearing_deg, name) = snapshot
        .protection
        .sites
        .iter()
        .map(|s| {
            let (d, b) = super::map::distance_and_bearing((s.centre.lat_deg, s.centre.lon_deg), at);
            (d, b, &s.name)
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    match distance_m {
        d if d < 150.0 => Some(format!("at {name}")),
        d if d <= 20_000.0 => {
            let point = POINTS[((bearing_deg + 22.5).rem_euclid(360.0) / 45.0) as usize % 8];
            Some(format!(
                "{} {point} of {name}",
                super::map::format_distance(d)
            ))
        }
        _ => None,
    }
}

pub fn site_centre(snapshot: &Snapshot, i: usize) -> Option<Pos> {
    snapshot
        .protection
        .sites
        .get(i)
        .map(|s| (s.centre.lat_deg, s.centre.lon_deg))
}

// Long: immediate-mode drawing of an alert, site, incident or report with its workflow.
/// Details of a protected site or an alert, with the alert workflow.
pub fn protection_details(app: &mut ConsoleApp, ui: &mut egui::Ui, pick: &Pick) {
    let snapshot = app.snapshot.clone();
    let view = &snapshot.protection;
    let palette = Palette::of(app.settings.theme);
    let by = app.settings.operator.clone();
    match pick {
        Pick::Site(i) => {
            let Some(site) = view.sites.get(*i) else {
                return;
            };
            ui.heading(&site.name);
            egui::Grid::new("site").striped(true).show(ui, |ui| {
                row(ui, "Category", category_text(site.category));
                row(
                    ui,
                    "Population",
                    site.population.map_or("unknown".into(), |p| p.to_string()),
                );
                row(ui, "Buffer", format!("{:.0} m", site.buffer_m));
                row(
                    ui,
                    "Sensitive",
                    if site.sensitive {
                        "yes: coarsened in exports"
                    } else {
                        "no"
                    }
                    .into(),
                );
                if let Some(u) = view.unobserved.iter().find(|u| u.site == site.id) {
                    row(
                        ui,
                        "Unobserved for",
                        format!("{:.0} min", u.unobserved_s / 60.0),
                    );
                }
                row(
                    ui,
                    "Centre",
                    map::position_text(site.centre.lat_deg, site.centre.lon_deg),
                );
            });
            let open: Vec<_> = view
                .alerts
                .iter()
                .filter(|a| a.site == Some(site.id) && a.state != AlertState::Resolved)
                .collect();
            ui.label(RichText::new(format!("{} open alerts", open.len())).strong());
            for a in open {
                if ui.selectable_label(false, alert_line(a)).clicked() {
                    app.selection = Some(Pick::Alert(a.id));
                }
            }
            if ui.button("Send a drone").clicked() {
                app.dispatch_desk.ask(
                    &app.station,
                    DispatchTarget::Site(site.id),
                    &mut app.actions,
                );
            }
            workflow_log(app, ui, &format!("site {}", site.id));
        }
        Pick::Alert(id) => {
            let Some(alert) = view.alerts.iter().find(|a| a.id == *id) else {
                return;
            };
            let colour = match alert.severity {
                AlertSeverity::Critical => palette.critical,
                AlertSeverity::Warning => palette.warning,
                AlertSeverity::Info => palette.label,
            };
            ui.heading(
                RichText::new(format!("Alert {} - {}", alert.id, alert.rule.label())).color(colour),
            );
            ui.label(&alert.text);
            egui::Grid::new("alert").striped(true).show(ui, |ui| {
                row(ui, "Severity", alert.severity.label().into());
                row(ui, "State", alert.state.label().into());
                if let Some(a) = &alert.assignee {
                    row(ui, "Assigned to", a.clone());
                }
                if let Some(site) = alert
                    .site
                    .and_then(|s| view.sites.iter().find(|x| x.id == s))
                {
                    row(ui, "Site", site.name.clone());
                }
                row(ui, "First seen", utc_string(alert.first_seen));
                row(ui, "Last seen", utc_string(alert.last_seen));
                row(
                    ui,
                    "Condition",
                    if alert.active { "holds" } else { "cleared" }.into(),
                );
                row(
                    ui,
                    "Position",
                    map::position_text(alert.position.lat_deg, alert.position.lon_deg),
                );
            });
            // The movers it is about: each opens the track (and where it is heading).
            let mut open_track = None;
            ui.horizontal_wrapped(|ui| {
                for track in alert.cause.tracks.iter().take(8) {
                    let heading = approach_text(view, *track)
                        .map(|text| format!(": heading for {text}"))
                        .unwrap_or_default();
                    if ui.link(format!("Track {track}{heading}")).clicked() {
                        open_track = Some(*track);
                    }
                }
            });
            if let Some(track) = open_track {
                app.selection = Some(Pick::Track(track));
            }
            for t in &alert.history {
                // How long after it was raised: the mission's response, step by step.
                let after = if t.at > alert.first_seen {
                    format!(
                        " (+{})",
                        vigil_protection::dispatch::minutes_text(
                            t.at.since(alert.first_seen).as_secs_f64()
                        )
                    )
                } else {
                    String::new()
                };
                ui.label(
                    RichText::new(format!(
                        "{}{after} {} by {} {}",
                        utc_string(t.at),
                        t.state.label(),
                        t.by,
                        t.detail.as_deref().unwrap_or("")
                    ))
                    .weak(),
                );
            }
            for a in &alert.annotations {
                ui.label(format!("{} {}: {}", utc_string(a.at), a.author, a.text));
            }
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(
                        alert.state == AlertState::Open,
                        egui::Button::new("Acknowledge"),
                    )
                    .clicked()
                {
                    app.actions.protection_reply_about(
                        format!("alert {id}"),
                        format!("Acknowledge alert {id}"),
                        app.station.acknowledge_alert(*id, &by),
                    );
                }
                if ui.button("Send a drone").clicked() {
                    app.dispatch_desk.ask(
                        &app.station,
                        DispatchTarget::Alert(*id),
                        &mut app.actions,
                    );
                }
            });
            if app.alert_form.for_alert != Some(*id) {
                app.alert_form = AlertForm {
                    for_alert: Some(*id),
                    ..AlertForm::default()
                };
            }
            let form = &mut app.alert_form;
            ui.horizontal(|ui| {
                let name = ui.label("Assign to");
                ui.add(
                    egui::TextEdit::singleline(&mut form.assignee)
                        .hint_text("who")
                        .desired_width(120.0),
                )
                .labelled_by(name.id);
                if ui.button("Assign").clicked() && !form.assignee.trim().is_empty() {
                    app.actions.protection_reply_about(
                        format!("alert {id}"),
                        format!("Assign alert {id}"),
                        app.station.assign_alert(*id, &by, form.assignee.trim()),
                    );
                }
            });
            ui.horizontal(|ui| {
                let name = ui.label("Note");
                ui.add(
                    egui::TextEdit::singleline(&mut form.note)
                        .hint_text("note")
                        .desired_width(160.0),
                )
                .labelled_by(name.id);
                if ui.button("Annotate").clicked() && !form.note.trim().is_empty() {
                    app.actions.protection_reply_about(
                        format!("alert {id}"),
                        format!("Annotate alert {id}"),
                        app.station.annotate_alert(*id, &by, form.note.trim()),
                    );
                    form.note.clear();
                }
            });
            ui.horizontal(|ui| {
                let name = ui.label("Resolution");
                ui.add(
                    egui::TextEdit::singleline(&mut form.resolution)
                        .hint_text("resolution")
                        .desired_width(160.0),
                )
                .labelled_by(name.id);
                if ui
                    .add_enabled(
                        alert.state != AlertState::Resolved,
                        egui::Button::new("Resolve"),
                    )
                    .clicked()
                {
                    let text = if form.resolution.trim().is_empty() {
                        "resolved".to_owned()
                    } else {
                        form.resolution.trim().to_owned()
                    };
                    app.actions.protection_reply_about(
                        format!("alert {id}"),
                        format!("Resolve alert {id}"),
                        app.station.resolve_alert(*id, &by, &text),
                    );
                    form.resolution.clear();
                }
            });
            workflow_log(app, ui, &format!("alert {id}"));
        }
        _ => {}
    }
}

/// The latest workflow requests and dispatches about `subject` (`alert 3`, `site 5`) with
/// their answers: another alert's never show here.
fn workflow_log(app: &ConsoleApp, ui: &mut egui::Ui, subject: &str) {
    for t in app
        .actions
        .log
        .iter()
        .filter(|t| t.workflow && t.subject.as_deref() == Some(subject))
        .take(5)
    {
        ui.label(t.line());
    }
}

/// What a track is thought to be, in words.
pub fn class_text(class: vigil_world::ClassHint) -> &'static str {
    use vigil_world::ClassHint;
    match class {
        ClassHint::Person => "person",
        ClassHint::Vehicle => "vehicle",
        ClassHint::Animal => "animal",
        ClassHint::Unknown => "unknown",
    }
}

/// A protected site's category in words ("water point", not `WaterPoint`).
pub fn category_text(category: vigil_protection::SiteCategory) -> String {
    category.label().replace('_', " ")
}

/// One line for an alert in lists.
pub fn alert_line(a: &Alert) -> String {
    format!(
        "{} {} {} [{}] {}",
        a.id,
        a.severity.label(),
        a.rule.label(),
        a.state.label(),
        a.text
    )
}

/// The operator's typing in the alert workflow, for one alert: opening another alert starts
/// a blank form, so that nothing typed for one is sent for another.
#[derive(Debug, Default)]
pub struct AlertForm {
    pub for_alert: Option<u64>,
    pub assignee: String,
    pub note: String,
    pub resolution: String,
}

/// Alerts not yet resolved, most severe first; click one to open it.
/// Where a track from outside is heading: "Keradu along the Eastern track, at its buffer in
/// 4 min (3-6 min)".
pub fn approach_text(protection: &vigil_protection::ProtectionView, track: u64) -> Option<String> {
    let approach = protection.approaches.iter().find(|a| a.track == track)?;
    let site = protection.sites.iter().find(|s| s.id == approach.site)?;
    let along = approach
        .way
        .as_ref()
        .map(|w| format!(" along the {w}"))
        .unwrap_or_default();
    Some(format!(
        "{}{along}, at its buffer {}",
        site.name,
        vigil_protection::engine::arrival_text(
            approach.arrival_s,
            approach.earliest_s,
            approach.latest_s
        )
    ))
}

pub fn alerts(app: &mut ConsoleApp, ui: &mut egui::Ui) {
    let snapshot = app.snapshot.clone();
    let palette = Palette::of(app.settings.theme);
    let open = snapshot.protection.open_alerts();
    ui.label(format!(
        "{} open alerts · sites longest unobserved: {}",
        open.len(),
        snapshot
            .protection
            .unobserved
            .iter()
            .take(3)
            .map(|u| format!("{} ({:.0} min)", u.name, u.unobserved_s / 60.0))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let selected = match app.selection {
        Some(Pick::Alert(id)) => Some(id),
        _ => None,
    };
    let asked = app.worklist.ui(
        ui,
        &snapshot.protection,
        &palette,
        selected,
        snapshot.protection.time,
    );
    match asked {
        Some(crate::worklist::Asked::Open(id)) => {
            app.selection = Some(Pick::Alert(id));
            app.side_tab = super::SideTab::Details;
            app.settings.panels.details = true;
        }
        Some(crate::worklist::Asked::Acknowledge(ids)) => {
            let by = app.settings.operator.clone();
            for id in ids {
                app.actions.protection_reply_about(
                    format!("alert {id}"),
                    format!("Acknowledge alert {id}"),
                    app.station.acknowledge_alert(id, &by),
                );
            }
        }
        None => {}
    }
}
