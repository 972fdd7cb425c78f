//! The drone list (click to select, Ctrl/Shift-click for several, double-click to centre the
//! map) and the sensor nodes: a view of the snapshot that changes only the operator's focus.

use eframe::egui::{self, Color32, RichText};

use super::SideTab;
use super::desk::Shared;
use super::map::Pick;
use super::panels::place_text;
use super::telemetry::{self, Reading};
use vigil_core::time::TimeUs;
use vigil_world::{Health, Vehicle};

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
pub fn ui(ui: &mut egui::Ui, cx: &mut Shared) {
    let palette = cx.palette();
    let snapshot = cx.snapshot;
    ui.horizontal(|ui| {
        ui.heading(format!("Drones ({})", snapshot.world.vehicles.len()));
    });
    ui.horizontal(|ui| {
        if ui.small_button("All").clicked() {
            cx.focus.vehicles = snapshot.world.vehicles.keys().copied().collect();
        }
        if ui.small_button("None").clicked() {
            cx.focus.vehicles.clear();
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("drone-list")
        .max_height(ui.available_height() * 0.55)
        .show(ui, |ui| {
            let now = snapshot.world.time;
            for (sysid, v) in &snapshot.world.vehicles {
                let selected = cx.focus.vehicles.contains(sysid);
                let mut job = egui::text::LayoutJob::default();
                let style = ui.style().clone();
                let name = snapshot.world.names.drone(*sysid);
                for (text, missing) in vehicle_line_parts(name, v, now) {
                    let part = if missing {
                        RichText::new(text).color(Color32::GRAY).italics()
                    } else {
                        RichText::new(text).color(palette.health(v.health))
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
                        cx.focus.vehicles.clear();
                        cx.focus.vehicles.insert(*sysid);
                    } else if !cx.focus.vehicles.insert(*sysid) {
                        cx.focus.vehicles.remove(sysid);
                    }
                    cx.focus.pick = Some(Pick::Vehicle(*sysid));
                    cx.focus.side_tab = SideTab::Details;
                }
                if response.double_clicked() {
                    // The last known position (stale or not): where to look for it.
                    match v.position {
                        Some(p) => cx.focus.centre_request = Some((p.lat_deg, p.lon_deg)),
                        None => cx
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
                            .and_then(|p| place_text(snapshot, (p.lat_deg, p.lon_deg)))
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
                            palette.health(node.health)
                        };
                        if node.position.is_none() {
                            text.push_str(" · no position");
                        }
                        let selected = cx.focus.pick == Some(Pick::Sensor(*sysid, *compid));
                        let response = ui
                            .selectable_label(selected, RichText::new(text).color(colour))
                            .on_hover_text("double click: centre the map on it");
                        if response.clicked() || response.double_clicked() {
                            cx.focus.pick = Some(Pick::Sensor(*sysid, *compid));
                            cx.focus.side_tab = SideTab::Details;
                        }
                        if response.double_clicked()
                            && let Some(p) = node.position
                        {
                            cx.focus.centre_request = Some((p.lat_deg, p.lon_deg));
                        }
                    }
                });
        });
}
