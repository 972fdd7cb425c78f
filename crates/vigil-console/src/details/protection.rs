//! A protected site or an alert in the details panel: what it is, its open alerts or its
//! movers and history, "send a drone", and the alert's workflow (acknowledge, assign, note,
//! resolve), each recorded with the operator's name.

use eframe::egui::{self, RichText};

use super::row;
use crate::desk::Shared;
use crate::map::{self, Pick};
use crate::panels::{alert_line, approach_text, category_text};
use vigil_core::time::utc_string;
use vigil_protection::{AlertSeverity, AlertState, DispatchTarget};

/// A protected site: category, population, buffer, time unobserved, its open alerts.
pub(super) fn site(ui: &mut egui::Ui, cx: &mut Shared, i: usize) {
    let view = &cx.snapshot.protection;
    let Some(site) = view.sites.get(i) else {
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
            cx.focus.pick = Some(Pick::Alert(a.id));
        }
    }
    if ui.button("Send a drone").clicked() {
        cx.dispatch
            .ask(cx.station, DispatchTarget::Site(site.id), cx.actions);
    }
    workflow_log(cx, ui, &format!("site {}", site.id));
}

/// An alert: what, where, since when, the movers it is about, its history and notes.
/// `None` when the alert is no longer in the view.
fn summary(ui: &mut egui::Ui, cx: &mut Shared, id: u64) -> Option<()> {
    let view = &cx.snapshot.protection;
    let palette = cx.palette();
    let alert = view.alerts.iter().find(|a| a.id == id)?;
    let colour = match alert.severity {
        AlertSeverity::Critical => palette.critical,
        AlertSeverity::Warning => palette.warning,
        AlertSeverity::Info => palette.label,
    };
    ui.heading(RichText::new(format!("Alert {} - {}", alert.id, alert.rule.label())).color(colour));
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
        cx.focus.pick = Some(Pick::Track(track));
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
    Some(())
}

impl AlertForm {
    /// An alert with its workflow; what is typed belongs to this alert only.
    pub(super) fn alert(&mut self, ui: &mut egui::Ui, cx: &mut Shared, id: u64) {
        if summary(ui, cx, id).is_none() {
            return;
        }
        let view = &cx.snapshot.protection;
        let Some(alert) = view.alerts.iter().find(|a| a.id == id) else {
            return;
        };
        let by = cx.operator().to_owned();
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    alert.state == AlertState::Open,
                    egui::Button::new("Acknowledge"),
                )
                .clicked()
            {
                cx.actions.protection_reply_about(
                    format!("alert {id}"),
                    format!("Acknowledge alert {id}"),
                    cx.station.acknowledge_alert(id, &by),
                );
            }
            if ui.button("Send a drone").clicked() {
                cx.dispatch
                    .ask(cx.station, DispatchTarget::Alert(id), cx.actions);
            }
        });
        if self.for_alert != Some(id) {
            *self = AlertForm {
                for_alert: Some(id),
                ..AlertForm::default()
            };
        }
        let form = self;
        ui.horizontal(|ui| {
            let name = ui.label("Assign to");
            ui.add(
                egui::TextEdit::singleline(&mut form.assignee)
                    .hint_text("who")
                    .desired_width(120.0),
            )
            .labelled_by(name.id);
            if ui.button("Assign").clicked() && !form.assignee.trim().is_empty() {
                cx.actions.protection_reply_about(
                    format!("alert {id}"),
                    format!("Assign alert {id}"),
                    cx.station.assign_alert(id, &by, form.assignee.trim()),
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
                cx.actions.protection_reply_about(
                    format!("alert {id}"),
                    format!("Annotate alert {id}"),
                    cx.station.annotate_alert(id, &by, form.note.trim()),
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
                cx.actions.protection_reply_about(
                    format!("alert {id}"),
                    format!("Resolve alert {id}"),
                    cx.station.resolve_alert(id, &by, &text),
                );
                form.resolution.clear();
            }
        });
        workflow_log(cx, ui, &format!("alert {id}"));
    }
}

/// The latest workflow requests and dispatches about `subject` (`alert 3`, `site 5`) with
/// their answers: another alert's never show here.
fn workflow_log(cx: &Shared, ui: &mut egui::Ui, subject: &str) {
    for t in cx
        .actions
        .log
        .iter()
        .filter(|t| t.workflow && t.subject.as_deref() == Some(subject))
        .take(5)
    {
        ui.label(t.line());
    }
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
