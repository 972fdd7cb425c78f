//! The report inbox: community reports as they arrive (by the report page, SMS, a gateway, an
//! imported survey export), to verify or reject with a reason, to send a drone to, and to
//! merge into an incident; and the operator's notes for the record. The list and the note
//! are in the bottom panel's Reports tab; the report chosen opens in the side panel, as an
//! alert does, with the incident form under it.
//!
//! A part of the console with its own state: what is typed belongs to the report selected
//! and is cleared when another is selected. Everything it asks goes through
//! [`GroundStation`]'s queues and is answered on channels the console polls; a file import
//! is read on a thread of its own (`vigil-import`), never on the UI thread.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crossbeam_channel::{Receiver, TryRecvError};
use eframe::egui::{self, RichText};

use super::desk::Shared;
use super::map::{self, Pick};
use vigil_core::time::{TimeUs, utc_string};
use vigil_protection::{
    Casualties, CommunityReport, Confidence, DispatchTarget, LatLon, NewIncident, ProtectionError,
    Verdict, Verification,
};
use vigil_station::{GroundStation, Snapshot};

/// Which reports the list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Filter {
    #[default]
    New,
    Verified,
    Rejected,
    All,
}

impl Filter {
    fn label(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Verified => "Verified",
            Self::Rejected => "Rejected",
            Self::All => "All",
        }
    }

    fn shows(self, report: &CommunityReport) -> bool {
        matches!(
            (self, &report.verification),
            (Self::All, _)
                | (Self::New, Verification::Unverified)
                | (Self::Verified, Verification::Verified { .. })
                | (Self::Rejected, Verification::Rejected { .. })
        )
    }
}

/// An incident being written from checked reports.
#[derive(Debug, Clone)]
pub struct IncidentDraft {
    pub category: String,
    pub actors: String,
    pub killed: String,
    pub injured: String,
    pub source: String,
    pub confidence: Confidence,
    pub description: String,
}

impl Default for IncidentDraft {
    fn default() -> Self {
        Self {
            category: String::new(),
            actors: String::new(),
            killed: String::new(),
            injured: String::new(),
            source: "community reports".into(),
            confidence: Confidence::Medium,
            description: String::new(),
        }
    }
}

/// The inbox's state between frames.
#[derive(Debug, Default)]
pub struct Inbox {
    pub filter: Filter,
    /// Why it is verified or rejected: for `reason_for` only.
    pub reason: String,
    reason_for: Option<u64>,
    /// Reports ticked to merge into an incident.
    pub checked: BTreeSet<u64>,
    pub draft: IncidentDraft,
    pub note: String,
    pub import_path: String,
    import: Option<Receiver<Result<usize, String>>>,
    pub import_status: String,
    /// A contact asked for, for a call-back: the report and the answer to come.
    reveal: Option<(u64, Receiver<Result<String, ProtectionError>>)>,
    /// The contact given, shown only while its report is open.
    revealed: Option<(u64, Result<String, String>)>,
}

impl Inbox {
    /// Reports not yet verified or rejected.
    pub fn unread(snapshot: &Snapshot) -> usize {
        snapshot
            .protection
            .reports
            .iter()
            .filter(|r| r.verification == Verification::Unverified)
            .count()
    }

    /// Picks up a finished import. Never blocks.
    pub fn poll(&mut self) {
        let Some(rx) = &self.import else {
            return;
        };
        match rx.try_recv() {
            Ok(Ok(n)) => {
                self.import_status = format!("imported {n} reports");
                self.import = None;
            }
            Ok(Err(err)) => {
                self.import_status = err;
                self.import = None;
            }
            Err(TryRecvError::Empty) => {}
            Err(TryRecvError::Disconnected) => {
                self.import_status = "the import stopped".into();
                self.import = None;
            }
        }
    }

    /// The bottom panel's tab: the note, the filters, the list, the import.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        self.poll();
        self.note_row(ui, cx);
        self.list(ui, cx);
    }

    fn list(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        let reports = &cx.snapshot.protection.reports;
        ui.horizontal(|ui| {
            for filter in [Filter::New, Filter::Verified, Filter::Rejected, Filter::All] {
                let n = reports.iter().filter(|r| filter.shows(r)).count();
                ui.selectable_value(
                    &mut self.filter,
                    filter,
                    format!("{} ({n})", filter.label()),
                );
            }
        });
        egui::ScrollArea::vertical()
            .id_salt("inbox")
            .auto_shrink([false, false])
            .max_height((ui.available_height() - 40.0).max(40.0))
            .show(ui, |ui| {
                for report in reports.iter().rev().filter(|r| self.filter.shows(r)) {
                    ui.horizontal(|ui| {
                        let mut checked = self.checked.contains(&report.id);
                        if ui
                            .checkbox(&mut checked, format!("#{}", report.id))
                            .on_hover_text("tick to merge into an incident")
                            .changed()
                        {
                            if checked {
                                self.checked.insert(report.id);
                            } else {
                                self.checked.remove(&report.id);
                            }
                        }
                        let selected = cx.focus.pick == Some(Pick::Report(report.id));
                        if ui.selectable_label(selected, report_line(report)).clicked() {
                            cx.open(Pick::Report(report.id));
                        }
                    });
                }
            });
        self.import_row(ui, cx.station);
    }

    fn import_row(&mut self, ui: &mut egui::Ui, station: &GroundStation) {
        ui.horizontal(|ui| {
            let name = ui.label("Import");
            ui.add(
                egui::TextEdit::singleline(&mut self.import_path)
                    .hint_text("a report file: Vigil CSV/GeoJSON, Kobo, ODK, Ushahidi")
                    .desired_width(260.0),
            )
            .labelled_by(name.id);
            let busy = self.import.is_some();
            if ui
                .add_enabled(
                    !busy && !self.import_path.trim().is_empty(),
                    egui::Button::new("Import"),
                )
                .clicked()
            {
                self.start_import(station);
            }
        });
        if !self.import_status.is_empty() {
            ui.label(RichText::new(&self.import_status).weak());
        }
    }

    /// Reads and sends a report file on the `vigil-import` thread.
    fn start_import(&mut self, station: &GroundStation) {
        let path = PathBuf::from(self.import_path.trim());
        let station = station.clone();
        let (tx, rx) = crossbeam_channel::bounded(1);
        let spawned = std::thread::Builder::new()
            .name("vigil-import".into())
            .spawn(move || {
                let result = station
                    .import_reports(&path)
                    .map_err(|err| err.to_string())
                    .and_then(|reply| {
                        reply
                            .recv_timeout(std::time::Duration::from_secs(10))
                            .map_err(|_| "the station did not answer".to_owned())?
                            .map(|ids| ids.len())
                            .map_err(|err| err.to_string())
                    });
                let _ = tx.send(result);
            });
        match spawned {
            Ok(_) => {
                self.import = Some(rx);
                self.import_status = "importing...".into();
            }
            Err(err) => self.import_status = format!("cannot start the import: {err}"),
        }
    }

    /// The side panel for report `id`: its details, the verdict, and the incident form.
    pub fn details(&mut self, ui: &mut egui::Ui, id: u64, cx: &mut Shared) {
        if self.reason_for != Some(id) {
            self.reason.clear();
            self.reason_for = Some(id);
            self.reveal = None;
            self.revealed = None;
        }
        self.poll_reveal();
        let report = cx.snapshot.protection.reports.iter().find(|r| r.id == id);
        match report {
            Some(report) => self.report_details(ui, report, cx),
            None => {
                ui.label(RichText::new(format!("Report {id} is no longer kept.")).weak());
            }
        }
        ui.separator();
        self.incident_form(ui, cx);
    }

    fn report_details(&mut self, ui: &mut egui::Ui, report: &CommunityReport, cx: &mut Shared) {
        let r = &report.report;
        ui.label(RichText::new(format!("Report {} - {}", report.id, r.category)).strong());
        if !r.description.is_empty() {
            ui.label(&r.description);
        }
        ui.label(format!(
            "{} · {} · {} · told of {}",
            r.channel,
            r.people
                .map_or("people unknown".into(), |p| format!("{p} people")),
            map::position_text(r.position.lat_deg, r.position.lon_deg),
            utc_string(r.time),
        ));
        if !report.reporter_ref.is_empty() {
            self.contact_row(ui, report, cx);
        }
        ui.label(corroboration_line(report, cx.snapshot));
        let merged: Vec<String> = cx
            .snapshot
            .protection
            .incidents
            .iter()
            .filter(|i| i.details.related_reports.contains(&report.id))
            .map(|i| format!("incident {}", i.id))
            .collect();
        if !merged.is_empty() {
            ui.label(format!("Merged into {}", merged.join(", ")));
        }
        match &report.verification {
            Verification::Unverified => self.verdict_row(ui, report.id, cx),
            Verification::Verified { by, at, reason }
            | Verification::Rejected { by, at, reason } => {
                ui.label(format!(
                    "{} by {by} at {}{}",
                    report.verification.label(),
                    utc_string(*at),
                    if reason.is_empty() {
                        String::new()
                    } else {
                        format!(": {reason}")
                    }
                ));
            }
        }
    }

    fn verdict_row(&mut self, ui: &mut egui::Ui, id: u64, cx: &mut Shared) {
        ui.horizontal(|ui| {
            let name = ui.label("Reason");
            ui.add(
                egui::TextEdit::singleline(&mut self.reason)
                    .hint_text("called back, seen by drone 1, duplicate...")
                    .desired_width(220.0),
            )
            .labelled_by(name.id);
        });
        ui.horizontal(|ui| {
            for (verdict, label) in [(Verdict::Verified, "Verify"), (Verdict::Rejected, "Reject")] {
                if ui.button(label).clicked() {
                    let reason = self.reason.trim();
                    cx.actions.protection_reply(
                        format!("{label} report {id}"),
                        cx.station
                            .verify_report(id, &cx.settings.operator, verdict, reason),
                    );
                    self.reason.clear();
                }
            }
            if ui.button("Send a drone").clicked()
                && let Some(report) = cx.snapshot.protection.reports.iter().find(|r| r.id == id)
            {
                cx.dispatch.ask(
                    cx.station,
                    DispatchTarget::Position(report.report.position),
                    cx.actions,
                );
            }
        });
    }
}

impl Inbox {
    /// The reporter's pseudonym, and the contact only when asked for (the asking is recorded).
    fn contact_row(&mut self, ui: &mut egui::Ui, report: &CommunityReport, cx: &mut Shared) {
        ui.horizontal(|ui| {
            ui.label(format!("From {}", report.reporter_ref));
            match &self.revealed {
                Some((id, Ok(contact))) if *id == report.id => {
                    ui.label(RichText::new(format!("call-back: {contact}")).strong());
                }
                Some((id, Err(why))) if *id == report.id => {
                    ui.label(RichText::new(why.as_str()).weak());
                }
                _ if self.reveal.is_some() => {
                    ui.label(RichText::new("asking...").weak());
                }
                _ => {
                    if ui
                        .button("Reveal contact for a call-back")
                        .on_hover_text("the reveal is recorded in the journal: who and when")
                        .clicked()
                    {
                        match cx.station.reveal_contact(report.id, &cx.settings.operator) {
                            Ok(answer) => self.reveal = Some((report.id, answer)),
                            Err(err) => self.revealed = Some((report.id, Err(err.to_string()))),
                        }
                    }
                }
            }
        });
    }

    fn poll_reveal(&mut self) {
        let Some((id, answer)) = &self.reveal else {
            return;
        };
        let result = match answer.try_recv() {
            Ok(result) => result.map_err(|err| err.to_string()),
            Err(TryRecvError::Empty) => return,
            Err(TryRecvError::Disconnected) => Err("the ground station stopped".into()),
        };
        self.revealed = Some((*id, result));
        self.reveal = None;
    }
}

/// One line of the list: time, what, where from, how many, and its state.
pub fn report_line(report: &CommunityReport) -> String {
    let r = &report.report;
    let time = utc_string(r.time);
    let hhmm = time.get(11..16).unwrap_or(&time);
    format!(
        "{hhmm} {} · {}{} · {}",
        r.category,
        r.channel,
        r.people.map_or(String::new(), |p| format!(" · {p} people")),
        report.verification.label()
    )
}

/// What corroborates a report: the alerts and tracks linked when it arrived.
fn corroboration_line(report: &CommunityReport, snapshot: &Snapshot) -> String {
    let nearby = &report.nearby;
    if nearby.is_empty() {
        return "No alert or track near it when it arrived: not corroborated by sensors or drones."
            .into();
    }
    let alerts: Vec<String> = nearby
        .alerts
        .iter()
        .map(|id| {
            snapshot
                .protection
                .alerts
                .iter()
                .find(|a| a.id == *id)
                .map_or_else(
                    || format!("alert {id}"),
                    |a| format!("alert {id} ({})", a.rule.label()),
                )
        })
        .collect();
    let tracks: Vec<String> = nearby.tracks.iter().map(|t| format!("track {t}")).collect();
    format!(
        "Corroborated by {}",
        alerts
            .into_iter()
            .chain(tracks)
            .collect::<Vec<_>>()
            .join(", ")
    )
}

impl Inbox {
    fn incident_form(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        let checked: Vec<&CommunityReport> = cx
            .snapshot
            .protection
            .reports
            .iter()
            .filter(|r| self.checked.contains(&r.id))
            .collect();
        ui.label(RichText::new(format!("Incident from {} ticked reports", checked.len())).strong());
        let draft = &mut self.draft;
        egui::Grid::new("incident").num_columns(2).show(ui, |ui| {
            category_row(ui, &mut draft.category);
            text_row(
                ui,
                "Actors",
                &mut draft.actors,
                "who did it, as far as known",
            );
            text_row(ui, "Killed", &mut draft.killed, "number, if known");
            text_row(ui, "Injured", &mut draft.injured, "number, if known");
            text_row(ui, "Source", &mut draft.source, "where it comes from");
            ui.label("Confidence");
            egui::ComboBox::from_id_salt("confidence")
                .selected_text(format!("{:?}", draft.confidence))
                .show_ui(ui, |ui| {
                    for c in [Confidence::Low, Confidence::Medium, Confidence::High] {
                        ui.selectable_value(&mut draft.confidence, c, format!("{c:?}"));
                    }
                });
            ui.end_row();
            text_row(
                ui,
                "Description",
                &mut draft.description,
                "what happened, in words",
            );
        });
        if ui
            .add_enabled(!checked.is_empty(), egui::Button::new("Record incident"))
            .clicked()
        {
            match incident_from(&self.draft, &checked) {
                Ok(incident) => {
                    cx.actions.incident_reply(
                        format!("Record incident from reports {:?}", self.checked),
                        cx.station.record_incident(incident, &cx.settings.operator),
                    );
                    self.checked.clear();
                    self.draft = IncidentDraft::default();
                }
                Err(why) => cx.actions.note_failure("Record incident".into(), why),
            }
        }
    }

    fn note_row(&mut self, ui: &mut egui::Ui, cx: &mut Shared) {
        ui.horizontal(|ui| {
            let name = ui.label("Note for the log");
            ui.add(
                egui::TextEdit::singleline(&mut self.note)
                    .hint_text("handover, observation, decision")
                    .desired_width(260.0),
            )
            .labelled_by(name.id);
            if ui
                .add_enabled(!self.note.trim().is_empty(), egui::Button::new("Add note"))
                .clicked()
            {
                let at = match &cx.focus.pick {
                    Some(Pick::Report(id)) => cx
                        .snapshot
                        .protection
                        .reports
                        .iter()
                        .find(|r| r.id == *id)
                        .map(|r| r.report.position),
                    _ => None,
                };
                cx.actions.protection_reply(
                    "Note".into(),
                    cx.station
                        .add_note(&cx.settings.operator, at, self.note.trim()),
                );
                self.note.clear();
            }
        });
    }
}

/// What happened, from ACLED's event types and their sub-event types (what analysts merge
/// incidents with): the event type first, then its sub-event type.
fn category_row(ui: &mut egui::Ui, category: &mut String) {
    use vigil_protection::acled::{EventType, SubEventType};
    let current = SubEventType::ALL
        .iter()
        .copied()
        .find(|s| s.category() == *category);
    let name = ui.label("Event type");
    let mut event = current.map(SubEventType::event_type);
    egui::ComboBox::from_id_salt("incident-event")
        .selected_text(event.map_or("choose what happened", EventType::name))
        .width(220.0)
        .show_ui(ui, |ui| {
            for e in EventType::ALL {
                ui.selectable_value(&mut event, Some(e), e.name());
            }
        })
        .response
        .labelled_by(name.id);
    ui.end_row();
    if event != current.map(SubEventType::event_type) {
        // A new event type: its first sub-event type until another is chosen.
        *category = event
            .and_then(|e| e.sub_event_types().next())
            .map(SubEventType::category)
            .unwrap_or_default();
    }
    let name = ui.label("Sub-event");
    let current = SubEventType::ALL
        .iter()
        .copied()
        .find(|s| s.category() == *category);
    egui::ComboBox::from_id_salt("incident-sub-event")
        .selected_text(current.map_or("", SubEventType::name))
        .width(220.0)
        .show_ui(ui, |ui| {
            for sub in event.into_iter().flat_map(EventType::sub_event_types) {
                ui.selectable_value(category, sub.category(), sub.name());
            }
        })
        .response
        .labelled_by(name.id);
    ui.end_row();
}

fn text_row(ui: &mut egui::Ui, name: &str, value: &mut String, hint: &str) {
    let label = ui.label(name);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(220.0),
    )
    .labelled_by(label.id);
    ui.end_row();
}

/// The incident the draft and the ticked reports describe: at the first report's place and
/// the earliest time told of, linked to every ticked report and the alerts near them.
fn incident_from(
    draft: &IncidentDraft,
    reports: &[&CommunityReport],
) -> Result<NewIncident, String> {
    let first = reports.first().ok_or("tick the reports it is based on")?;
    let count = |text: &str, what: &str| -> Result<Option<u32>, String> {
        match text.trim() {
            "" => Ok(None),
            t => t
                .parse()
                .map(Some)
                .map_err(|_| format!("{what}: {t:?} is not a whole number")),
        }
    };
    let time = reports
        .iter()
        .map(|r| r.report.time)
        .min()
        .unwrap_or(TimeUs(0));
    let position: LatLon = first.report.position;
    let mut alerts: Vec<u64> = reports
        .iter()
        .flat_map(|r| r.nearby.alerts.iter().copied())
        .collect();
    alerts.sort_unstable();
    alerts.dedup();
    let description = if draft.description.trim().is_empty() {
        reports
            .iter()
            .map(|r| r.report.description.as_str())
            .filter(|d| !d.is_empty())
            .collect::<Vec<_>>()
            .join(" / ")
    } else {
        draft.description.trim().to_owned()
    };
    Ok(NewIncident {
        time,
        position,
        category: draft.category.trim().to_owned(),
        actors: draft.actors.trim().to_owned(),
        casualties: Casualties {
            killed: count(&draft.killed, "Killed")?,
            injured: count(&draft.injured, "Injured")?,
        },
        source: draft.source.trim().to_owned(),
        confidence: draft.confidence,
        description,
        related_reports: reports.iter().map(|r| r.id).collect(),
        related_alerts: alerts,
    })
}
