//! A drone in the details panel: its instruments, state and messages; and the actions for the
//! selected drones with their answers.

use eframe::egui::{self, Color32, RichText};

use super::{no_data_label, no_data_row, row};
use crate::actions;
use crate::desk::Shared;
use crate::instruments;
use crate::map;
use crate::panels::severity_colour;
use crate::telemetry::{self, Reading};
use vigil_protocol::modes::mode_names;
use vigil_world::command::Action;
use vigil_world::{Source, Vehicle};

// Long: immediate-mode drawing of a drone's instruments, state, actions and answers.
pub(super) fn details(ui: &mut egui::Ui, cx: &Shared, sysid: u8, v: &Vehicle) {
    let snapshot = cx.snapshot;
    let palette = &cx.palette();
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
}

/// The buttons that command the selected drones, and the log of their answers.
pub(super) fn action_buttons(ui: &mut egui::Ui, cx: &mut Shared) {
    let targets = cx.focus.targets();
    // A replay shows what happened: nothing in it can be commanded.
    let replaying = cx.replaying;
    let any = !targets.is_empty() && !replaying;
    ui.label(
        RichText::new(match targets.len() {
            _ if replaying => "Actions (none in a replay)".to_owned(),
            0 => "Actions (select drones first)".to_owned(),
            1 => format!("Actions for {}", cx.snapshot.world.names.drone(targets[0])),
            n => format!("Actions for {n} drones"),
        })
        .strong(),
    );
    let firmware = targets
        .first()
        .and_then(|t| cx.snapshot.world.vehicles.get(t))
        .map(|v| v.firmware);
    // Another selection: the mode box shows the (first) selected drone's mode, not the one
    // picked for the drones selected before.
    if cx.actions.mode_for != targets {
        if let Some(v) = targets
            .first()
            .and_then(|t| cx.snapshot.world.vehicles.get(t))
        {
            cx.actions.mode = v.mode.to_string();
        }
        cx.actions.mode_for = targets.clone();
    }
    ui.horizontal_wrapped(|ui| {
        let mut ask = |ui: &mut egui::Ui, label: &str, action: Action| {
            if ui.add_enabled(any, egui::Button::new(label)).clicked() {
                cx.actions.request(action, targets.clone());
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
            cx.actions
                .request(actions::takeoff(cx.actions.takeoff_alt_m), targets.clone());
        }
        ui.label("to");
        ui.add(
            egui::DragValue::new(&mut cx.actions.takeoff_alt_m)
                .range(2.0..=500.0)
                .suffix(" m"),
        );
    });
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("mode")
            .selected_text(cx.actions.mode.clone())
            .show_ui(ui, |ui| {
                if let Some(fw) = firmware {
                    for name in mode_names(fw) {
                        ui.selectable_value(&mut cx.actions.mode, name.to_owned(), name);
                    }
                }
            });
        if ui.add_enabled(any, egui::Button::new("Set mode")).clicked() {
            cx.actions
                .request(Action::SetMode(cx.actions.mode.clone()), targets.clone());
        }
    });
    ui.horizontal(|ui| {
        ui.label("Go/orbit altitude");
        ui.add(
            egui::DragValue::new(&mut cx.actions.goto_alt_m)
                .range(5.0..=500.0)
                .suffix(" m"),
        );
        ui.label("radius");
        ui.add(
            egui::DragValue::new(&mut cx.actions.orbit_radius_m)
                .range(10.0..=2000.0)
                .suffix(" m"),
        );
    });
    ui.label(RichText::new("Right-click the map: go here, orbit here, point camera here.").weak());
    if cx
        .actions
        .log
        .iter()
        .any(|t| !t.workflow && targets.contains(&t.target))
    {
        ui.separator();
        // Workflow steps and dispatches are shown with their alert or site; each drone's
        // answers with that drone.
        for t in cx
            .actions
            .log
            .iter()
            .filter(|t| !t.workflow && targets.contains(&t.target))
            .take(6)
        {
            let colour = match &t.outcome {
                None => ui.visuals().text_color(),
                Some(Ok(_)) => cx.palette().ok,
                Some(Err(_)) => cx.palette().lost,
            };
            ui.label(RichText::new(t.line()).color(colour));
        }
    }
}
