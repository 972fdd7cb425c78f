//! What changed in the protection state, said as events: each alert's life and each operator
//! decision, each "send a drone" and its progress, each incident, community report and
//! operator note, and each protected site going out of sight and back into it. The journal's
//! feed writes every one of them as a record; nobody has to compare views to find out what
//! happened.
//!
//! The protection state queues them as they happen (the rules' step, a client's request, the
//! dispatcher's turn) and [`Protection::take_events`] hands them over in order. The queue is
//! bounded by [`MAX_PENDING_EVENTS`]: its owner drains it every turn, so only a reader that
//! never drains it (a test, a benchmark) reaches the bound, and then the oldest go and are
//! counted in [`Protection::events_dropped`].

use std::collections::VecDeque;

use super::alerts::{Alert, AlertChange};
use super::dispatch::DispatchRecord;
use super::reports::{CommunityReport, Incident};
use super::{LatLon, Protection, ProtectionError};
use vigil_core::time::TimeUs;

/// Events kept for a reader that does not drain them.
pub const MAX_PENDING_EVENTS: usize = 16_384;
/// The longest operator note accepted, in characters.
pub const MAX_NOTE_CHARS: usize = 4000;

/// Who the station itself is when it changes something (raises or clears an alert).
pub const STATION: &str = "vigil";
/// A site counts as observed while a camera footprint or a sensor's range covered part of it
/// (one of its coverage cells) at most this long before the rules' step: one step
/// ([`super::STEP_PERIOD_S`]) and a second's slack for a footprint or a sensor report that
/// comes a little late, so that a site in view does not flicker out between two steps.
pub const OBSERVED_WITHIN_S: f64 = 2.0;

/// One change of the protection state.
#[derive(Debug, Clone, PartialEq)]
pub enum ProtectionEvent {
    /// An alert changed; `alert` is as it is after the change.
    Alert {
        change: AlertChange,
        alert: Alert,
        /// The protected site's name, if the alert is about one.
        site: Option<String>,
        /// Who changed it: an operator, or [`STATION`] for the rules.
        by: String,
        /// The assignee, the resolution or the annotation's text, as the change has one.
        detail: Option<String>,
        time: TimeUs,
    },
    /// A "send a drone" began, took a step, or ended; the record is as it is now.
    Dispatch {
        dispatch: DispatchRecord,
        time: TimeUs,
    },
    Incident {
        change: RecordChange,
        incident: Incident,
        by: String,
        time: TimeUs,
    },
    Report {
        change: RecordChange,
        report: CommunityReport,
        /// Who verified or rejected it; empty when it arrived.
        by: String,
        time: TimeUs,
    },
    Note(Note),
    /// An operator was given a report's contact, for a call-back.
    ContactRevealed {
        report: u64,
        by: String,
        time: TimeUs,
    },
    /// A protected site went out of sight (nothing covered it within [`OBSERVED_WITHIN_S`])
    /// or came back into it, at the rules' step `time`. Every site is out of sight when the
    /// coverage starts (or restarts after a clock jump); only the changes are said.
    Coverage {
        /// The site's name.
        site: String,
        observed: bool,
        /// When something last covered it (`None`: never since the coverage started).
        last_observed: Option<TimeUs>,
        time: TimeUs,
    },
}

/// What happened to an incident or a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordChange {
    /// Recorded by an operator (an incident) or received (a report).
    Recorded,
    Verified,
    Rejected,
}

impl RecordChange {
    pub fn label(self) -> &'static str {
        match self {
            Self::Recorded => "recorded",
            Self::Verified => "verified",
            Self::Rejected => "rejected",
        }
    }
}

/// An operator's note: an observation, a handover, a decision, optionally at a place.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub author: String,
    pub position: Option<LatLon>,
    pub text: String,
    pub time: TimeUs,
}

/// Checks a note before it is kept.
pub fn check_note(note: &Note) -> Result<(), ProtectionError> {
    let bad = |field: &str, reason: String| ProtectionError::Invalid {
        what: "note".into(),
        field: field.into(),
        reason,
    };
    if note.author.trim().is_empty() {
        return Err(bad("author", "is empty".into()));
    }
    if note.text.trim().is_empty() {
        return Err(bad("text", "is empty".into()));
    }
    let chars = note.text.chars().count();
    if chars > MAX_NOTE_CHARS {
        return Err(bad(
            "text",
            format!("has {chars} characters, more than {MAX_NOTE_CHARS}"),
        ));
    }
    if let Some(p) = note.position.filter(|p| !p.is_valid()) {
        return Err(bad("position", format!("{p:?} is not a position")));
    }
    Ok(())
}

/// An operator's verdict: what, by whom, why, when.
pub(crate) type Judgement = (super::Verdict, String, String, TimeUs);

/// The queue of events not yet taken.
#[derive(Debug, Default)]
pub(crate) struct EventQueue {
    events: VecDeque<ProtectionEvent>,
    pub dropped: u64,
    /// Whether each site was observed at the last step, and the last observation said (for
    /// [`ProtectionEvent::Coverage`]).
    observed: Vec<bool>,
    said_last: Vec<Option<TimeUs>>,
}

impl EventQueue {
    pub fn push(&mut self, event: ProtectionEvent) {
        if self.events.len() >= MAX_PENDING_EVENTS {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back(event);
    }

    fn take(&mut self) -> Vec<ProtectionEvent> {
        self.events.drain(..).collect()
    }
}

impl Protection {
    /// Everything that changed since the last call, in order.
    pub fn take_events(&mut self) -> Vec<ProtectionEvent> {
        self.collect_events();
        self.events.take()
    }

    /// Events lost because nobody took them (see [`MAX_PENDING_EVENTS`]).
    pub fn events_dropped(&self) -> u64 {
        self.events.dropped
    }

    /// Turns what the alert book and the dispatcher noted into events.
    pub(crate) fn collect_events(&mut self) {
        for (id, change) in self.book.take_changes() {
            let Some(alert) = self.book.get(id) else {
                continue; // trimmed away since
            };
            let (by, detail, time) = alert_change_author(alert, change, self.now);
            let site = alert
                .site
                .and_then(|s| self.sites.get(s as usize))
                .map(|s| s.name.clone());
            self.events.push(ProtectionEvent::Alert {
                change,
                alert: alert.clone(),
                site,
                by,
                detail,
                time,
            });
        }
        for dispatch in self.dispatcher.take_changes() {
            let time = self.now.max(dispatch.at);
            self.events
                .push(ProtectionEvent::Dispatch { dispatch, time });
        }
    }

    /// Says which sites went out of sight or came back into it at the step `now`, from when
    /// each was last observed (one per site, in the sites' order); and, for a site out of
    /// sight, each time its last observation moves on without bringing it into sight (a
    /// patrol watched the side of it watched longest ago, and another side is now the oldest):
    /// the time it had gone unwatched until then is what the score measures.
    pub(crate) fn note_coverage(&mut self, site_observed: &[Option<TimeUs>], now: TimeUs) {
        self.events.observed.resize(site_observed.len(), false);
        self.events.said_last.resize(site_observed.len(), None);
        for (index, last) in site_observed.iter().enumerate() {
            let observed =
                last.is_some_and(|t| now.as_secs_f64() - t.as_secs_f64() <= OBSERVED_WITHIN_S);
            let moved_on = !observed && *last > self.events.said_last[index];
            if self.events.observed[index] == observed && !moved_on {
                continue;
            }
            self.events.observed[index] = observed;
            self.events.said_last[index] = *last;
            let Some(site) = self.sites.get(index) else {
                continue;
            };
            self.events.push(ProtectionEvent::Coverage {
                site: site.name.clone(),
                observed,
                last_observed: *last,
                time: now,
            });
        }
    }

    /// Gives an operator report `report`'s contact, and records that it was given.
    pub(crate) fn reveal_contact(
        &mut self,
        report: u64,
        by: String,
        time: TimeUs,
    ) -> Result<String, ProtectionError> {
        if by.trim().is_empty() {
            return Err(ProtectionError::Invalid {
                what: format!("report {report}"),
                field: "by".into(),
                reason: "who asks for the contact must be named".into(),
            });
        }
        if !self.reports.iter().any(|r| r.id == report) {
            return Err(ProtectionError::NoSuchReport(report));
        }
        let contact = self
            .contacts
            .reveal(report)
            .ok_or_else(|| ProtectionError::Invalid {
                what: format!("report {report}"),
                field: "contact".into(),
                reason: "the reporter left no contact".into(),
            })?
            .to_owned();
        self.events
            .push(ProtectionEvent::ContactRevealed { report, by, time });
        Ok(contact)
    }

    /// Verifies or rejects incident `id`: (verdict, by whom, why, when).
    pub(crate) fn judge_incident(
        &mut self,
        id: u64,
        (verdict, by, reason, now): Judgement,
    ) -> Result<(), ProtectionError> {
        let incident = self
            .incidents
            .iter_mut()
            .find(|i| i.id == id)
            .ok_or(ProtectionError::NoSuchIncident(id))?;
        incident.verification = super::verified(verdict, by.clone(), now, reason);
        self.events.push(ProtectionEvent::Incident {
            change: super::verdict_change(verdict),
            incident: incident.clone(),
            by,
            time: now,
        });
        Ok(())
    }

    /// Verifies or rejects report `id`: (verdict, by whom, why, when).
    pub(crate) fn judge_report(
        &mut self,
        id: u64,
        (verdict, by, reason, now): Judgement,
    ) -> Result<(), ProtectionError> {
        let report = self
            .reports
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(ProtectionError::NoSuchReport(id))?;
        report.verification = super::verified(verdict, by.clone(), now, reason);
        self.events.push(ProtectionEvent::Report {
            change: super::verdict_change(verdict),
            report: report.clone(),
            by,
            time: now,
        });
        Ok(())
    }

    /// Keeps an operator's note.
    pub(crate) fn add_note(&mut self, note: Note) -> Result<(), ProtectionError> {
        check_note(&note)?;
        self.events.push(ProtectionEvent::Note(note));
        Ok(())
    }
}

/// Who made a change, its detail and when: the workflow's last step for the operator's
/// changes, the station at the alert's last sighting for the rules'.
fn alert_change_author(
    alert: &Alert,
    change: AlertChange,
    now: TimeUs,
) -> (String, Option<String>, TimeUs) {
    match change {
        AlertChange::Acknowledged | AlertChange::Assigned | AlertChange::Resolved => {
            let step = alert.history.iter().rev().find(|t| match change {
                AlertChange::Acknowledged => t.state == super::AlertState::Acknowledged,
                AlertChange::Assigned => t.state == super::AlertState::Assigned,
                _ => t.state == super::AlertState::Resolved,
            });
            match step {
                Some(t) => (t.by.clone(), t.detail.clone(), t.at),
                None => (STATION.to_owned(), None, now),
            }
        }
        AlertChange::Annotated => match alert.annotations.last() {
            Some(a) => (a.author.clone(), Some(a.text.clone()), a.at),
            None => (STATION.to_owned(), None, now),
        },
        AlertChange::Raised => (STATION.to_owned(), None, alert.first_seen),
        AlertChange::Reraised | AlertChange::Escalated => {
            (STATION.to_owned(), None, alert.last_seen)
        }
        AlertChange::Joined => (
            STATION.to_owned(),
            Some(joined_text(&alert.joined)),
            alert.last_seen,
        ),
        AlertChange::Cleared => (STATION.to_owned(), None, now),
    }
}

/// `tracks 35, 36, 37 joined` (every one: the journal's reader counts them).
fn joined_text(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    let s = if ids.len() == 1 { "" } else { "s" };
    format!("track{s} {} joined", ids.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage(events: &[ProtectionEvent]) -> Vec<(String, bool, Option<TimeUs>, TimeUs)> {
        events
            .iter()
            .filter_map(|e| match e {
                ProtectionEvent::Coverage {
                    site,
                    observed,
                    last_observed,
                    time,
                } => Some((site.clone(), *observed, *last_observed, *time)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sites_going_out_of_sight_and_back_are_said_once_each() {
        let mut protection = Protection::demo();
        let names: Vec<String> = protection.sites.iter().map(|s| s.name.clone()).collect();
        assert!(names.len() >= 2);
        let t = |s: f64| TimeUs::from_secs_f64(1_773_478_800.0 + s);
        let mut observed: Vec<Option<TimeUs>> = vec![None; names.len()];
        // Nothing seen yet: every site starts out of sight, and that is not news.
        protection.note_coverage(&observed, t(0.0));
        assert_eq!(coverage(&protection.take_events()), []);
        // The first site comes into view, and stays in view over the next steps.
        observed[0] = Some(t(1.0));
        protection.note_coverage(&observed, t(1.0));
        protection.note_coverage(&observed, t(2.0));
        protection.note_coverage(&observed, t(3.0));
        assert_eq!(
            coverage(&protection.take_events()),
            [(names[0].clone(), true, Some(t(1.0)), t(1.0))]
        );
        // More than OBSERVED_WITHIN_S after it was last seen: out of sight, since then.
        protection.note_coverage(&observed, t(4.0));
        assert_eq!(
            coverage(&protection.take_events()),
            [(names[0].clone(), false, Some(t(1.0)), t(4.0))]
        );
        // Out of sight, its oldest side watched again (another side now the oldest): said,
        // still out of sight, so that the time it went unwatched can be measured.
        protection.note_coverage(&observed, t(5.0));
        assert_eq!(coverage(&protection.take_events()), []);
        observed[0] = Some(t(3.0));
        protection.note_coverage(&observed, t(9.0));
        assert_eq!(
            coverage(&protection.take_events()),
            [(names[0].clone(), false, Some(t(3.0)), t(9.0))]
        );
    }
}
