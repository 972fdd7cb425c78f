//! The planner tab: the plan's items with each leg, its distance, time and battery per
//! drone; the observation pattern, orbit and geofence tools; upload (confirmed, naming the
//! drones), download, clear and their progress; `.plan` and `.waypoints` files.

use std::path::PathBuf;

use eframe::egui;
use egui::RichText;

use super::*;
use crate::map::Pick;
use vigil_station::Snapshot;
use vigil_world::command::TransferProgress;

/// A take-off's climb and a landing's descent, for the flight estimate, m/s (ArduCopter's
/// WPNAV_SPEED_UP is 2.5 m/s).
const VERTICAL_MPS: f64 = 2.5;

/// The Plan tab: the planner draws its own tab and dialogs.
impl Planner {
    /// The planner tab of the side panel; the patrol desk is one of its tools.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut Shared, patrol: &mut PatrolDesk) {
        let targets = cx.focus.targets();
        let p = &mut *self;
        ui.heading("Mission plan");
        ui.horizontal_wrapped(|ui| {
            ui.label("Click on the map to:");
            ui.selectable_value(&mut p.drawing, Drawing::Waypoints, "Add waypoints");
            ui.selectable_value(&mut p.drawing, Drawing::SurveyArea, "Draw survey area");
            ui.selectable_value(&mut p.drawing, Drawing::Geofence, "Draw geofence");
            ui.selectable_value(&mut p.drawing, Drawing::None, "Stop");
        });
        ui.horizontal(|ui| {
            ui.label("New waypoint altitude");
            ui.add(
                egui::DragValue::new(&mut p.default_alt_m)
                    .range(2.0..=500.0)
                    .suffix(" m"),
            );
        });
        ui.checkbox(&mut p.takeoff, "Start with a takeoff");
        ui.checkbox(&mut p.rtl_at_end, "Return to launch at the end");
        ui.separator();

        let home = plan_home(cx.snapshot, &targets);
        let model = flight_model(cx.snapshot, &targets);
        let (legs, estimate) = self.estimate(home.map(|(h, _)| h), model);
        items_grid(self, ui, &legs);
        if self.items.is_empty() {
            ui.label("No items: add waypoints, a pattern or an orbit.");
        } else {
            flight_figures(ui, cx.snapshot, &targets, &estimate, model);
        }
        if ui.button("Clear the plan").clicked() {
            self.items.clear();
            self.selected = None;
        }

        ui.separator();
        self.tools(ui, cx, patrol);
        ui.separator();
        self.vehicles(ui, cx, &targets);
        ui.separator();
        self.files(ui, cx, &targets);
    }

    /// The pattern, orbit, patrol and geofence tools.
    fn tools(&mut self, ui: &mut egui::Ui, cx: &Shared, patrol: &mut PatrolDesk) {
        ui.collapsing("Patrols that close the sensors' gaps", |ui| {
            patrol.ui(ui, cx.snapshot);
        });
        let p = self;
        ui.collapsing("Observation pattern (lawnmower)", |ui| {
            let s = &mut p.survey;
            egui::Grid::new("survey").show(ui, |ui| {
                number_row(ui, "Altitude", &mut s.alt_rel_m, 5.0..=500.0, " m");
                number_row(
                    ui,
                    "Camera across-track FOV",
                    &mut s.hfov_deg,
                    5.0..=150.0,
                    "°",
                );
                number_row(ui, "Side overlap", &mut s.overlap_pct, 0.0..=90.0, " %");
                number_row(ui, "Line direction", &mut s.angle_deg, 0.0..=179.0, "°");
                number_row(ui, "Speed", &mut s.speed_mps, 1.0..=30.0, " m/s");
            });
            ui.label(format!(
                "Line spacing {:.0} m; area: {} points",
                p.survey.spacing_m(),
                p.survey_area.len()
            ));
            ui.horizontal(|ui| {
                if ui.button("Generate pattern").clicked() {
                    if p.items.is_empty() {
                        p.status = survey_status(p.generate_survey(true));
                    } else {
                        // Asked first: after the plan's items, or instead of them.
                        p.pending_pattern = true;
                    }
                }
                if ui.button("Clear area").clicked() {
                    p.survey_area.clear();
                }
            });
        });
        ui.collapsing("Orbit a place", |ui| {
            ui.horizontal(|ui| {
                ui.label("Radius");
                ui.add(
                    egui::DragValue::new(&mut p.orbit_radius_m)
                        .range(20.0..=2000.0)
                        .suffix(" m"),
                );
                ui.label("points");
                ui.add(egui::DragValue::new(&mut p.orbit_points).range(4..=36));
            });
            ui.label("Around the selected site or waypoint:");
            let centre = match &cx.focus.pick {
                Some(Pick::Site(i)) => crate::panels::site_centre(cx.snapshot, *i),
                _ => p.selected.and_then(|i| match p.items.get(i) {
                    Some(PlanItem::Waypoint {
                        lat_deg, lon_deg, ..
                    }) => Some((*lat_deg, *lon_deg)),
                    _ => None,
                }),
            };
            if ui
                .add_enabled(centre.is_some(), egui::Button::new("Add orbit"))
                .clicked()
                && let Some(c) = centre
            {
                p.add_orbit(c);
                p.status = format!("orbit of {} points added", p.orbit_points + 1);
            }
        });
        ui.collapsing("Geofence", |ui| {
            ui.label(format!(
                "{} vertices (draw with \"Draw geofence\"); saved in .plan files",
                p.fence.len()
            ));
            if ui.button("Clear geofence").clicked() {
                p.fence.clear();
            }
        });
    }

    /// Upload (confirmed), download and clear for the selected drones, the transfers' progress,
    /// and what each drone holds.
    fn vehicles(&mut self, ui: &mut egui::Ui, cx: &mut Shared, targets: &[u8]) {
        ui.label(match targets {
            [] => "Select a drone to upload to or download from".to_owned(),
            t => format!(
                "Drones: {}",
                t.iter().map(u8::to_string).collect::<Vec<_>>().join(", ")
            ),
        });
        ui.horizontal(|ui| {
            let any = !targets.is_empty();
            if ui.add_enabled(any, egui::Button::new("Upload")).clicked() {
                self.pending_upload = Some(targets.to_vec());
            }
            if ui.add_enabled(any, egui::Button::new("Download")).clicked() {
                for &t in targets {
                    cx.actions.mission(cx.station, t, MissionOp::Download);
                }
            }
            if ui
                .add_enabled(any, egui::Button::new("Clear on vehicle"))
                .clicked()
            {
                for &t in targets {
                    self.on_vehicle.remove(&t);
                    cx.actions.mission(cx.station, t, MissionOp::Clear);
                }
            }
        });
        for transfer in &cx.snapshot.mission_transfers {
            ui.add(
                egui::ProgressBar::new(progress_fraction(transfer)).text(progress_text(transfer)),
            );
        }
        for t in cx.actions.log.iter().filter(|t| t.mission).take(4) {
            ui.label(t.line());
        }
        for &t in targets {
            let Some(m) = self.on_vehicle.get(&t).cloned() else {
                continue;
            };
            let home = plan_home(cx.snapshot, &[t]).map(|(h, _)| h);
            let e = mission::estimate(&m, home, flight_model(cx.snapshot, &[t]));
            ui.horizontal_wrapped(|ui| {
                ui.label(format!(
                    "On drone {t}: {}, {}",
                    mission::count(m.items.len(), "mission item", "mission items"),
                    crate::map::format_distance(e.total_m)
                ));
                if ui.button(format!("Load drone {t}'s mission")).clicked() {
                    self.load(&m);
                    self.fence = first_inclusion_polygon(&m.fence);
                    self.status = format!("drone {t}'s mission is in the editor");
                }
            });
        }
    }

    /// The plan's file: open and save (with the planned home of a drone, or of the plan's first
    /// point when no drone's home is known).
    fn files(&mut self, ui: &mut egui::Ui, cx: &Shared, targets: &[u8]) {
        let home = plan_home(cx.snapshot, targets);
        let p = &mut *self;
        ui.horizontal(|ui| {
            ui.label("File");
            ui.text_edit_singleline(&mut p.file);
        });
        ui.horizontal(|ui| {
            let free = !p.file_busy();
            if ui.add_enabled(free, egui::Button::new("Open")).clicked() {
                p.open_file(PathBuf::from(p.file.trim()));
            }
            if ui.add_enabled(free, egui::Button::new("Save")).clicked() {
                let path = PathBuf::from(p.file.trim());
                let (home, whose) = match home {
                    Some((home, sysid)) => (Some(home), format!("drone {sysid}'s home")),
                    None => match p.items.iter().flat_map(PlanItem::points).next() {
                        Some((lat_deg, lon_deg)) => (
                            Some(GeoPoint {
                                lat_deg,
                                lon_deg,
                                alt_m: 0.0,
                            }),
                            "the first waypoint (no drone's home is known)".to_owned(),
                        ),
                        None => (None, "none".to_owned()),
                    },
                };
                let plan = p.to_mission(home);
                p.save_file(path, plan, whose);
            }
            if p.file_busy() {
                ui.spinner();
            }
        });
        if !p.status.is_empty() {
            ui.label(&p.status);
        }
    }

    /// The planner's questions: append or replace for a pattern, and the upload's confirmation
    /// naming each drone, what it holds and what replaces it.
    pub fn dialogs(&mut self, ctx: &egui::Context, cx: &mut Shared) {
        if self.pending_pattern {
            let mut answer = None;
            egui::Modal::new(egui::Id::unique("vigil-pattern")).show(ctx, |ui| {
                ui.heading("Add the pattern");
                ui.label(format!(
                    "The plan already has {}. Add the pattern after them, or replace them?",
                    mission::count(self.items.len(), "item", "items")
                ));
                ui.horizontal(|ui| {
                    if ui.button("Add after").clicked() {
                        answer = Some(Some(true));
                    }
                    if ui.button("Replace the plan").clicked() {
                        answer = Some(Some(false));
                    }
                    if ui.button("Cancel").clicked()
                        || ui.input(|i| i.key_pressed(egui::Key::Escape))
                    {
                        answer = Some(None);
                    }
                });
            });
            if let Some(answer) = answer {
                self.pending_pattern = false;
                if let Some(append) = answer {
                    self.status = survey_status(self.generate_survey(append));
                }
            }
        }
        let Some(targets) = self.pending_upload.clone() else {
            return;
        };
        let mut answer = None;
        egui::Modal::new(egui::Id::unique("vigil-upload")).show(ctx, |ui| {
            let plan = self.to_mission(None);
            ui.heading(format!(
                "Upload {}",
                mission::count(plan.items.len(), "mission item", "mission items")
            ));
            ui.label(format!(
                "With {}. It replaces what each drone holds:",
                plan.fence.describe()
            ));
            for t in &targets {
                let held = match self.on_vehicle.get(t) {
                    Some(m) => mission::count(m.items.len(), "mission item", "mission items"),
                    None => "a mission not downloaded here".to_owned(),
                };
                let state = match cx.snapshot.world.vehicles.get(t) {
                    Some(v) => format!(
                        "{} {}{}",
                        crate::telemetry::airframe_text(v.airframe),
                        v.mode,
                        if v.armed { ", armed" } else { "" }
                    ),
                    None => "not heard".to_owned(),
                };
                ui.label(format!(
                    "{} ({state}): holds {held}",
                    cx.snapshot.world.names.drone(*t)
                ));
            }
            ui.horizontal(|ui| {
                let label = match targets.len() {
                    1 => format!("Upload to drone {}", targets[0]),
                    n => format!("Upload to {n} drones"),
                };
                if ui.button(label).clicked() {
                    answer = Some(true);
                }
                if ui.button("Cancel").clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
                    answer = Some(false);
                }
            });
        });
        match answer {
            Some(true) => {
                self.pending_upload = None;
                for t in targets {
                    let home = plan_home(cx.snapshot, &[t])
                        .filter(|(_, sysid)| *sysid == t)
                        .map(|(h, _)| h);
                    let mission = self.to_mission(home);
                    self.on_vehicle.insert(t, mission.clone());
                    cx.actions
                        .mission(cx.station, t, MissionOp::Upload(mission));
                }
            }
            Some(false) => self.pending_upload = None,
            None => {}
        }
    }
}

/// The drone whose home the plan starts from: the first selected one with a home, else any
/// with one.
fn plan_home(snapshot: &Snapshot, targets: &[u8]) -> Option<(GeoPoint, u8)> {
    let vehicles = &snapshot.world.vehicles;
    targets
        .iter()
        .filter_map(|t| vehicles.get(t))
        .chain(vehicles.values())
        .find_map(|v| {
            v.home.map(|h| {
                let home = GeoPoint {
                    lat_deg: h.lat_deg,
                    lon_deg: h.lon_deg,
                    alt_m: h.alt_msl_m,
                };
                (home, v.sysid)
            })
        })
}

/// How the first selected drone flies (a copter's speed when none is selected).
fn flight_model(snapshot: &Snapshot, targets: &[u8]) -> mission::FlightModel {
    let airframe = targets
        .first()
        .and_then(|t| snapshot.world.vehicles.get(t))
        .map_or(vigil_world::Airframe::Multirotor, |v| v.airframe);
    mission::FlightModel {
        cruise_mps: vigil_protection::dispatch::cruise_speed_mps(airframe),
        vertical_mps: VERTICAL_MPS,
    }
}

/// The items, one row each (a pattern is one row), with the leg flown to reach each.
fn items_grid(p: &mut Planner, ui: &mut egui::Ui, legs: &[Option<f64>]) {
    let mut remove = None;
    egui::Grid::new("plan-items").striped(true).show(ui, |ui| {
        for title in ["#", "item", "alt m", "m/s", "leg", ""] {
            ui.label(title);
        }
        ui.end_row();
        for (i, item) in p.items.iter_mut().enumerate() {
            if ui
                .selectable_label(p.selected == Some(i), (i + 1).to_string())
                .clicked()
            {
                p.selected = Some(i);
            }
            match item {
                PlanItem::Waypoint {
                    lat_deg,
                    lon_deg,
                    alt_rel_m,
                    speed_mps,
                } => {
                    // Four decimals: 11 m, as the map's own grid reads it.
                    ui.label(format!("{lat_deg:.4}, {lon_deg:.4}"));
                    ui.add(egui::DragValue::new(alt_rel_m).range(1.0..=1000.0));
                    let mut has_speed = speed_mps.is_some();
                    ui.horizontal(|ui| {
                        if ui.checkbox(&mut has_speed, "").changed() {
                            *speed_mps = has_speed.then_some(8.0);
                        }
                        if let Some(s) = speed_mps {
                            ui.add(egui::DragValue::new(s).range(0.5..=40.0));
                        }
                    });
                }
                PlanItem::Survey {
                    settings, points, ..
                } => {
                    ui.label(format!("Pattern, {} lines", points.len() / 2))
                        .on_hover_text(format!(
                            "{:.0} m apart, {} turns",
                            settings.spacing_m(),
                            points.len()
                        ));
                    ui.label(format!("{:.0}", settings.alt_rel_m));
                    ui.label(format!("{:.1}", settings.speed_mps));
                }
                PlanItem::Other(item) => {
                    ui.label(format!("MAV_CMD {}", item.command));
                    ui.label(format!("{:.0}", item.z));
                    ui.label("");
                }
            }
            ui.label(
                legs.get(i)
                    .copied()
                    .flatten()
                    .map(crate::map::format_distance)
                    .unwrap_or_default(),
            );
            if ui
                .small_button("x")
                .on_hover_text("delete this item")
                .clicked()
            {
                remove = Some(i);
            }
            ui.end_row();
        }
    });
    if let Some(i) = remove {
        p.items.remove(i);
        p.selected = None;
    }
}

/// The whole flight: distance, time, and the battery it takes from each selected drone.
fn flight_figures(
    ui: &mut egui::Ui,
    snapshot: &Snapshot,
    targets: &[u8],
    estimate: &mission::FlightEstimate,
    model: mission::FlightModel,
) {
    let minutes = vigil_protection::dispatch::minutes_text(estimate.flight_s);
    ui.label(format!(
        "Total {}, about {minutes}{} at {:.0} m/s",
        crate::map::format_distance(estimate.total_m),
        if estimate.open_ended {
            " to the unlimited loiter"
        } else {
            ""
        },
        model.cruise_mps
    ));
    let config = &snapshot.protection.dispatch;
    for t in targets {
        let Some(v) = snapshot.world.vehicles.get(t) else {
            continue;
        };
        let rotor = vigil_protection::dispatch::cruise_speed_mps(v.airframe)
            < vigil_protection::dispatch::cruise_speed_mps(vigil_world::Airframe::FixedWing);
        let endurance_min = if rotor {
            config.copter_endurance_min
        } else {
            config.plane_endurance_min
        };
        let used_pct = estimate.flight_s / (endurance_min * 60.0) * 100.0;
        let text = match v.battery.remaining_pct {
            Some(now_pct) => {
                let left_pct = now_pct - used_pct;
                let short = left_pct < config.reserve_pct;
                let text = format!(
                    "{}: about {used_pct:.0} % of its battery ({now_pct:.0} % now, {left_pct:.0} % at the end; reserve {:.0} %)",
                    snapshot.world.names.drone(*t),
                    config.reserve_pct
                );
                if short {
                    RichText::new(format!("{text}: too long for this battery"))
                        .color(egui::Color32::from_rgb(0xd0, 0x40, 0x30))
                } else {
                    RichText::new(text)
                }
            }
            None => RichText::new(format!(
                "{}: about {used_pct:.0} % of a full battery ({endurance_min:.0} min); its level is not known",
                snapshot.world.names.drone(*t)
            )),
        };
        ui.label(text);
    }
}

fn survey_status(result: Result<usize, String>) -> String {
    match result {
        Ok(n) => format!("pattern of {n} waypoints added"),
        Err(e) => e,
    }
}

fn progress_fraction(t: &TransferProgress) -> f32 {
    match t.total {
        Some(0) | None => 0.0,
        Some(total) => t.done as f32 / total as f32,
    }
}

/// "Uploading to drone 1: mission 7/14".
fn progress_text(t: &TransferProgress) -> String {
    let (verb, way) = if t.upload {
        ("Uploading", "to")
    } else {
        ("Downloading", "from")
    };
    let total = t.total.map_or("?".to_owned(), |n| n.to_string());
    format!(
        "{verb} {way} drone {}: {} {}/{total}",
        t.sysid, t.list, t.done
    )
}

/// A grid row: a label and a number dragged within `range`.
fn number_row(
    ui: &mut egui::Ui,
    label: &str,
    value: &mut f64,
    range: std::ops::RangeInclusive<f64>,
    suffix: &str,
) {
    ui.label(label);
    ui.add(egui::DragValue::new(value).range(range).suffix(suffix));
    ui.end_row();
}
