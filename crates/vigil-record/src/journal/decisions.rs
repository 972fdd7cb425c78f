//! The protection layer's side of the journal: each alert's life and each operator decision,
//! each "send a drone", incident, community report and note becomes a record when it
//! happens (the protection state's events), so that the session's record holds what the
//! mission saw *and* what it decided, and when; and each protected site going out of sight
//! and back, so that it also shows how long each went unwatched.
//!
//! A reporter's name or phone number is never written: a report's record names its reporter
//! by the pseudonym the protection state gave it (see `vigil_protection::contacts`), and an
//! operator's reveal of a contact for a call-back is written as a note saying who and when,
//! without the contact.

use super::feed::JournalFeed;
use super::record::*;
use vigil_core::time::TimeUs;
use vigil_protection::{
    Alert, AlertState, Cause, CommunityReport, DispatchRecord as Dispatch, Incident, Note,
    ProtectionEvent, Verification,
};

impl JournalFeed {
    /// Writes what the protection state said changed.
    pub fn on_protection(&mut self, events: &[ProtectionEvent]) {
        for event in events {
            let record = match event {
                ProtectionEvent::Alert {
                    change,
                    alert,
                    site,
                    by,
                    detail,
                    time,
                } => JournalRecord::Alert(alert_record(
                    alert,
                    change.label(),
                    site.as_deref(),
                    by,
                    detail.as_deref(),
                    *time,
                )),
                ProtectionEvent::Dispatch { dispatch, time } => {
                    JournalRecord::Dispatch(dispatch_record(dispatch, *time))
                }
                ProtectionEvent::Incident {
                    change,
                    incident,
                    by,
                    time,
                } => JournalRecord::Incident(incident_record(incident, change.label(), by, *time)),
                ProtectionEvent::Report {
                    change,
                    report,
                    by,
                    time,
                } => JournalRecord::Report(report_record(report, change.label(), by, *time)),
                ProtectionEvent::Note(note) => JournalRecord::Note(note_record(note)),
                ProtectionEvent::ContactRevealed { report, by, time } => {
                    JournalRecord::Note(NoteRecord {
                        time_us: time.0,
                        author: by.clone(),
                        lat_deg: None,
                        lon_deg: None,
                        text: format!("revealed the contact of report {report} for a call-back"),
                    })
                }
                ProtectionEvent::Coverage {
                    site,
                    observed,
                    last_observed,
                    time,
                } => JournalRecord::Coverage(CoverageRecord {
                    time_us: time.0,
                    site: site.clone(),
                    observed: *observed,
                    last_observed_us: last_observed.map(|t| t.0),
                }),
            };
            self.sender().send(record);
        }
    }
}

/// The first time the alert's workflow reached `state`.
fn reached(alert: &Alert, state: AlertState) -> Option<u64> {
    alert
        .history
        .iter()
        .find(|t| t.state == state)
        .map(|t| t.at.0)
}

fn alert_record(
    alert: &Alert,
    event: &str,
    site: Option<&str>,
    by: &str,
    detail: Option<&str>,
    time: TimeUs,
) -> AlertRecord {
    AlertRecord {
        time_us: time.0,
        alert_id: alert.id.to_string(),
        rule: alert.rule.label().to_owned(),
        severity: alert.severity.label().to_owned(),
        site: site.unwrap_or_default().to_owned(),
        cause: cause_text(&alert.cause),
        lat_deg: alert.position.lat_deg,
        lon_deg: alert.position.lon_deg,
        state: alert.state.label().to_owned(),
        who: by.to_owned(),
        text: alert.text.clone(),
        event: event.to_owned(),
        detail: detail.unwrap_or_default().to_owned(),
        assignee: alert.assignee.clone().unwrap_or_default(),
        active: alert.active,
        raised_us: Some(alert.first_seen.0),
        acknowledged_us: reached(alert, AlertState::Acknowledged),
        assigned_us: reached(alert, AlertState::Assigned),
        resolved_us: reached(alert, AlertState::Resolved),
    }
}

/// `tracks 12, 14`, `sensor 101/1`, `drone 2`, joined by `; `.
fn cause_text(cause: &Cause) -> String {
    let mut parts = Vec::new();
    if !cause.tracks.is_empty() {
        let ids: Vec<String> = cause.tracks.iter().map(u64::to_string).collect();
        let noun = if ids.len() == 1 { "track" } else { "tracks" };
        parts.push(format!("{noun} {}", ids.join(", ")));
    }
    if let Some((sysid, compid)) = cause.sensor {
        parts.push(format!("sensor {sysid}/{compid}"));
    }
    if let Some(drone) = cause.drone {
        parts.push(format!("drone {drone}"));
    }
    parts.join("; ")
}

fn dispatch_record(d: &Dispatch, time: TimeUs) -> DispatchRecord {
    let state = d.state.label();
    let mut lines: Vec<String> = d
        .steps
        .iter()
        .map(|(action, outcome)| format!("{action:?}: {outcome:?}"))
        .collect();
    if let Some(failure) = &d.failure {
        lines.push(failure.clone());
    }
    DispatchRecord {
        time_us: time.0,
        dispatch_id: d.id.to_string(),
        drone: d.drone,
        alert_id: d.alert.map(|a| a.to_string()),
        site: d.site.map(|s| s.to_string()).unwrap_or_default(),
        lat_deg: d.target.lat_deg,
        lon_deg: d.target.lon_deg,
        state: state.to_owned(),
        who: d.by.clone(),
        sent_us: d.at.0,
        text: lines.join("\n"),
    }
}

fn incident_record(incident: &Incident, event: &str, by: &str, time: TimeUs) -> IncidentRecord {
    let d = &incident.details;
    let severity = if d.casualties.killed.unwrap_or(0) > 0 {
        "critical"
    } else if d.casualties.injured.unwrap_or(0) > 0 {
        "warning"
    } else {
        "info"
    };
    IncidentRecord {
        time_us: time.0,
        incident_id: incident.id.to_string(),
        // ACLED's sub-event type in one spelling, `event_type/sub_event_type` in snake_case,
        // however the operator wrote it (`Armed clash` is `battles/armed_clash`).
        category: vigil_protection::acled::canonical(&d.category)
            .unwrap_or_else(|| d.category.clone()),
        severity: severity.to_owned(),
        state: incident.verification.label().to_owned(),
        lat_deg: d.position.lat_deg,
        lon_deg: d.position.lon_deg,
        who: by.to_owned(),
        text: d.description.clone(),
        event: event.to_owned(),
        occurred_us: Some(d.time.0),
        actors: d.actors.clone(),
        killed: d.casualties.killed,
        injured: d.casualties.injured,
        source: d.source.clone(),
        confidence: format!("{:?}", d.confidence).to_lowercase(),
        reports: d.related_reports.clone(),
        alerts: d.related_alerts.clone(),
        reason: reason_of(&incident.verification),
    }
}

fn report_record(report: &CommunityReport, event: &str, by: &str, time: TimeUs) -> ReportRecord {
    let r = &report.report;
    let position = r.position.is_valid().then_some(r.position);
    ReportRecord {
        time_us: time.0,
        report_id: report.id.to_string(),
        channel: r.channel.clone(),
        reporter: report.reporter_ref.clone(),
        state: report.verification.label().to_owned(),
        lat_deg: position.map(|p| p.lat_deg),
        lon_deg: position.map(|p| p.lon_deg),
        text: r.description.clone(),
        event: event.to_owned(),
        category: r.category.clone(),
        people: r.people,
        occurred_us: Some(r.time.0),
        who: by.to_owned(),
        reason: reason_of(&report.verification),
        alerts: report.nearby.alerts.clone(),
        tracks: report.nearby.tracks.clone(),
    }
}

fn reason_of(verification: &Verification) -> String {
    match verification {
        Verification::Unverified => String::new(),
        Verification::Verified { reason, .. } | Verification::Rejected { reason, .. } => {
            reason.clone()
        }
    }
}

fn note_record(note: &Note) -> NoteRecord {
    NoteRecord {
        time_us: note.time.0,
        author: note.author.clone(),
        lat_deg: note.position.map(|p| p.lat_deg),
        lon_deg: note.position.map(|p| p.lon_deg),
        text: note.text.clone(),
    }
}

/// The kinds of records that say what the mission decided (and what the protection layer
/// raised), for a replay's timeline.
pub const DECISION_KINDS: [&str; 5] = ["alert", "report", "incident", "dispatch", "note"];

/// One line for a decision record, as a replay shows it: `alert 3 acknowledged by Sgt
/// Diallo`; `None` for records that are not decisions.
pub fn decision_line(record: &JournalRecord) -> Option<String> {
    let by = |who: &str| {
        if who.is_empty() || who == "vigil" {
            String::new()
        } else {
            format!(" by {who}")
        }
    };
    let detail = |text: &str| {
        if text.is_empty() {
            String::new()
        } else {
            format!(": {text}")
        }
    };
    Some(match record {
        JournalRecord::Alert(a) => format!(
            "alert {} {} {} {}{}{}",
            a.alert_id,
            a.severity,
            a.rule,
            if a.event.is_empty() {
                &a.state
            } else {
                &a.event
            },
            by(&a.who),
            detail(if a.detail.is_empty() {
                &a.text
            } else {
                &a.detail
            })
        ),
        JournalRecord::Report(r) => format!(
            "report {} {} ({}, {}){}{}",
            r.report_id,
            if r.event.is_empty() {
                &r.state
            } else {
                &r.event
            },
            r.category,
            r.channel,
            by(&r.who),
            detail(if r.reason.is_empty() {
                &r.text
            } else {
                &r.reason
            })
        ),
        JournalRecord::Incident(i) => format!(
            "incident {} {} ({}){}{}",
            i.incident_id,
            if i.event.is_empty() {
                &i.state
            } else {
                &i.event
            },
            i.category,
            by(&i.who),
            detail(if i.reason.is_empty() {
                &i.text
            } else {
                &i.reason
            })
        ),
        JournalRecord::Dispatch(d) => format!(
            "drone {} sent{} ({}){}",
            d.drone,
            d.alert_id
                .as_ref()
                .map(|a| format!(" to alert {a}"))
                .unwrap_or_default(),
            d.state,
            by(&d.who)
        ),
        JournalRecord::Note(n) => format!("note{}{}", by(&n.author), detail(&n.text)),
        _ => return None,
    })
}

/// A session's decisions in time order, as (time, line): what a replay shows beside the
/// picture it rebuilds from the tlog (the tlog holds what the drones and sensors said, the
/// journal what the mission decided). `dir` is the session folder; no journal, no lines.
pub fn timeline(dir: &std::path::Path) -> Result<Vec<(TimeUs, String)>, super::JournalError> {
    let path = dir.join(super::JOURNAL_FILE);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let reader = super::JournalReader::open(&path)?;
    let mut lines: Vec<(TimeUs, String)> = reader
        .records(None, None, &DECISION_KINDS)?
        .into_iter()
        .filter_map(|(_, record)| decision_line(&record).map(|line| (record.time(), line)))
        .collect();
    lines.sort_by_key(|(time, _)| *time);
    Ok(lines)
}
