//! A shift supervisor's summary of a session: how fast the mission responded. Read from the
//! session's journal (the alerts, "send a drone"s, community reports and incidents it holds),
//! optionally over a time window as `vigil export` takes one, and reduced to each alert's
//! response (raised → acknowledged, → assigned or a drone sent, → a drone on scene, →
//! resolved) and to statistics over all alerts and per severity, reports and incidents.
//!
//! The reduction ([`summarise`]) is a pure function of the records, so that it is tested on
//! hand-built journals; [`summarise_session`] reads a session folder and calls it; the
//! readable table is [`Summary::table`], and `Summary` serialises to JSON as it is.
//!
//! # What counts
//! - An alert counts when it was raised within the window (`raised_us`, both ends included);
//!   its figures are those of its last record up to the window's end, so a step taken after
//!   the window is not counted and the alert is still open at the end.
//! - Response is the earlier of its assignment and the first "send a drone" naming it
//!   (its `sent_us`); on scene is the first record of a drone sent for it reporting
//!   `orbiting` (its `time_us`), so a second drone that got there after a first one failed
//!   still counts.
//! - Alert, report and incident ids start again at 1 when the station restarts in the same
//!   session folder: a new `raised` (another `raised_us`) or `recorded` starts a new one.
//! - Journals written before the workflow fields: an alert's times fall back to the first
//!   record that showed it raised, acknowledged, assigned, resolved.
//! - Clocks: alerts, dispatches, reports and incidents are stamped on the protection's clock
//!   (the messages' clock), which is not the receive clock of the journal's other records
//!   when the senders' clocks are elsewhere (a simulated scenario's date), so the period the
//!   rates are taken over is theirs alone unless `--from` and `--to` set it. A quiet shift
//!   whose few alerts came close together reads as a short period: give the window then.
//! - Reports count when received (their first record) within the window; verified and
//!   rejected are their state at the end; received → verified runs from the first record to
//!   the first record saying verified. Incidents likewise.

mod table;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::export::{TimeSpec, session_start};
use crate::journal::{
    AlertRecord, DispatchRecord, IncidentRecord, JOURNAL_FILE, JournalError, JournalReader,
    JournalRecord, ReportRecord,
};
use vigil_core::time::TimeUs;

pub use table::duration_text;

/// The journal record kinds a summary reads.
pub const SUMMARY_KINDS: [&str; 4] = ["alert", "dispatch", "report", "incident"];

const HOUR_US: u64 = 3_600_000_000;

/// Errors of a summary, naming the folder or the file.
#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error("{}: no such session folder", dir.display())]
    NoSession { dir: PathBuf },
    #[error("{}: no journal ({JOURNAL_FILE}) in this session folder, nothing to summarise", dir.display())]
    NoJournal { dir: PathBuf },
    #[error("cannot read the journal: {0}")]
    Journal(#[from] JournalError),
    #[error("{0}")]
    Invalid(String),
}

/// A time window in µs since the epoch, both ends included; `None` leaves that end open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Window {
    pub from_us: Option<u64>,
    pub to_us: Option<u64>,
}

impl Window {
    pub fn contains(&self, time_us: u64) -> bool {
        self.from_us.is_none_or(|from| time_us >= from) && self.not_after(time_us)
    }

    fn not_after(&self, time_us: u64) -> bool {
        self.to_us.is_none_or(|to| time_us <= to)
    }
}

/// A step of an alert's response, each measured from the moment it was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Acknowledged,
    /// Assigned to someone, or a drone sent for it, whichever came first.
    Response,
    /// A drone sent for it orbiting its position.
    OnScene,
    Resolved,
}

impl Step {
    pub const ALL: [Step; 4] = [
        Self::Acknowledged,
        Self::Response,
        Self::OnScene,
        Self::Resolved,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Acknowledged => "acknowledged",
            Self::Response => "assigned or drone sent",
            Self::OnScene => "drone on scene",
            Self::Resolved => "resolved",
        }
    }
}

/// One alert's response: its last record up to the window's end, and the drones sent for it.
/// Times are µs since the epoch.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AlertResponse {
    pub alert_id: String,
    pub rule: String,
    pub severity: String,
    pub site: String,
    /// Its workflow state in its last record: open, acknowledged, assigned, resolved.
    pub state: String,
    pub raised_us: u64,
    pub acknowledged_us: Option<u64>,
    pub assigned_us: Option<u64>,
    /// When the first drone was sent for it.
    pub dispatched_us: Option<u64>,
    /// When a drone sent for it first reported orbiting.
    pub on_scene_us: Option<u64>,
    pub resolved_us: Option<u64>,
}

impl AlertResponse {
    /// When `step` was reached, if it was.
    pub fn at(&self, step: Step) -> Option<u64> {
        match step {
            Step::Acknowledged => self.acknowledged_us,
            Step::Response => match (self.assigned_us, self.dispatched_us) {
                (Some(a), Some(d)) => Some(a.min(d)),
                (a, d) => a.or(d),
            },
            Step::OnScene => self.on_scene_us,
            Step::Resolved => self.resolved_us,
        }
    }

    /// From its raising to `step` (zero if the clock put the step first).
    pub fn delay_us(&self, step: Step) -> Option<u64> {
        self.at(step).map(|t| t.saturating_sub(self.raised_us))
    }

    /// Not resolved by the end of the window.
    pub fn is_open(&self) -> bool {
        self.resolved_us.is_none()
    }
}

/// How many alerts reached a step, and how long it took them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StepStats {
    pub step: Step,
    pub reached: usize,
    /// Nearest-rank percentiles of the delays (see [`percentile`]); `None` when none reached it.
    pub median_us: Option<u64>,
    pub p90_us: Option<u64>,
}

/// Statistics over a set of alerts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertStats {
    pub count: usize,
    /// Not resolved at the end.
    pub open: usize,
    /// Alerts raised per hour of the summary's period; `None` for an empty period.
    pub per_hour: Option<f64>,
    /// One per [`Step::ALL`], in that order.
    pub steps: Vec<StepStats>,
}

impl AlertStats {
    pub fn step(&self, step: Step) -> Option<&StepStats> {
        self.steps.iter().find(|s| s.step == step)
    }
}

/// The statistics of the alerts of one severity (as their last record gives it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SeverityStats {
    pub severity: String,
    #[serde(flatten)]
    pub stats: AlertStats,
}

/// The alerts raised within one hour (UTC), by severity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HourCount {
    pub hour_start_us: u64,
    pub hour_utc: String,
    pub by_severity: BTreeMap<String, usize>,
}

/// Community reports received within the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ReportStats {
    pub received: usize,
    pub verified: usize,
    pub rejected: usize,
    /// From receiving to verifying, over the reports verified (nearest rank).
    pub to_verified_median_us: Option<u64>,
    pub to_verified_p90_us: Option<u64>,
}

/// Incidents recorded within the window, and their verification at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct IncidentStats {
    pub recorded: usize,
    pub verified: usize,
    pub rejected: usize,
}

/// How fast the mission responded over a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// The period covered (µs since the epoch): the window asked for; an open end is the
    /// first or last alert, dispatch, report or incident record (see the module's "Clocks");
    /// `None` when there is none.
    pub start_us: Option<u64>,
    pub end_us: Option<u64>,
    pub alerts: AlertStats,
    /// Most severe first (CRITICAL, WARNING, info, then any other label).
    pub by_severity: Vec<SeverityStats>,
    /// The hours in which alerts were raised, in order (hours without any are left out).
    pub per_hour: Vec<HourCount>,
    pub reports: ReportStats,
    pub incidents: IncidentStats,
    /// Every alert counted, in the order they were raised.
    pub responses: Vec<AlertResponse>,
}

/// The value at nearest rank `percent` of `sorted` (ascending): the smallest value with at
/// least `percent`% of the values at or below it, i.e. the one at 1-based rank
/// `ceil(percent / 100 × n)` (at least 1). Always a value of the data, never interpolated:
/// the median of 1..=10 is 5 and its 90th percentile 9. `None` for no data.
pub fn percentile(sorted: &[u64], percent: u32) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (percent.min(100) as usize * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// Median and 90th percentile (nearest rank) of some delays, in any order.
fn median_p90(mut delays: Vec<u64>) -> (Option<u64>, Option<u64>) {
    delays.sort_unstable();
    (percentile(&delays, 50), percentile(&delays, 90))
}

/// An alert being followed through the records, with the fallbacks for old journals.
#[derive(Debug, Default)]
struct AlertTrail {
    last: AlertRecord,
    first_seen_us: u64,
    /// The first record showing each workflow state (for journals without the time fields).
    seen_acknowledged_us: Option<u64>,
    seen_assigned_us: Option<u64>,
    seen_resolved_us: Option<u64>,
    dispatched_us: Option<u64>,
    on_scene_us: Option<u64>,
}

impl AlertTrail {
    fn update(&mut self, record: &AlertRecord) {
        let seen = match record.state.as_str() {
            "acknowledged" => Some(&mut self.seen_acknowledged_us),
            "assigned" => Some(&mut self.seen_assigned_us),
            "resolved" => Some(&mut self.seen_resolved_us),
            _ => None,
        };
        if let Some(seen) = seen {
            earliest(seen, record.time_us);
        }
        self.last = record.clone();
    }

    fn response(&self) -> AlertResponse {
        let last = &self.last;
        AlertResponse {
            alert_id: last.alert_id.clone(),
            rule: last.rule.clone(),
            severity: last.severity.clone(),
            site: last.site.clone(),
            state: last.state.clone(),
            raised_us: last.raised_us.unwrap_or(self.first_seen_us),
            acknowledged_us: last.acknowledged_us.or(self.seen_acknowledged_us),
            assigned_us: last.assigned_us.or(self.seen_assigned_us),
            dispatched_us: self.dispatched_us,
            on_scene_us: self.on_scene_us,
            resolved_us: last.resolved_us.or(self.seen_resolved_us),
        }
    }
}

fn earliest(slot: &mut Option<u64>, time_us: u64) {
    *slot = Some(slot.map_or(time_us, |t| t.min(time_us)));
}

/// Each alert's response from the records (in journal order), up to the window's end, for
/// the alerts raised within the window; in the order they were raised.
pub fn alert_responses(records: &[JournalRecord], window: Window) -> Vec<AlertResponse> {
    let mut trails: Vec<AlertTrail> = Vec::new();
    let mut current: HashMap<&str, usize> = HashMap::new();
    for record in records.iter().filter(|r| window.not_after(r.time().0)) {
        match record {
            JournalRecord::Alert(alert) => {
                let existing = current.get(alert.alert_id.as_str()).copied();
                let same = existing.filter(|&i| !starts_anew(&trails[i].last, alert));
                let index = same.unwrap_or_else(|| {
                    trails.push(AlertTrail {
                        first_seen_us: alert.time_us,
                        ..AlertTrail::default()
                    });
                    current.insert(&alert.alert_id, trails.len() - 1);
                    trails.len() - 1
                });
                trails[index].update(alert);
            }
            JournalRecord::Dispatch(dispatch) => {
                let trail = dispatch
                    .alert_id
                    .as_deref()
                    .and_then(|id| current.get(id))
                    .and_then(|&i| trails.get_mut(i));
                if let Some(trail) = trail {
                    note_dispatch(trail, dispatch);
                }
            }
            _ => {}
        }
    }
    let mut responses: Vec<AlertResponse> = trails
        .iter()
        .map(AlertTrail::response)
        .filter(|r| window.contains(r.raised_us))
        .collect();
    responses.sort_by_key(|r| r.raised_us);
    responses
}

/// Whether `next` is a new alert that reuses the id of `last` (after a restart).
fn starts_anew(last: &AlertRecord, next: &AlertRecord) -> bool {
    match (last.raised_us, next.raised_us) {
        (Some(a), Some(b)) => a != b,
        _ => next.event == "raised",
    }
}

fn note_dispatch(trail: &mut AlertTrail, dispatch: &DispatchRecord) {
    earliest(&mut trail.dispatched_us, dispatch.sent_us);
    if dispatch.state == "orbiting" {
        earliest(&mut trail.on_scene_us, dispatch.time_us);
    }
}

/// The statistics of some alerts over a period of `hours` (none for an empty period).
pub fn alert_stats<'a>(
    alerts: impl IntoIterator<Item = &'a AlertResponse>,
    hours: Option<f64>,
) -> AlertStats {
    let alerts: Vec<&AlertResponse> = alerts.into_iter().collect();
    let steps = Step::ALL
        .iter()
        .map(|&step| {
            let delays: Vec<u64> = alerts.iter().filter_map(|a| a.delay_us(step)).collect();
            let reached = delays.len();
            let (median_us, p90_us) = median_p90(delays);
            StepStats {
                step,
                reached,
                median_us,
                p90_us,
            }
        })
        .collect();
    AlertStats {
        count: alerts.len(),
        open: alerts.iter().filter(|a| a.is_open()).count(),
        per_hour: hours.map(|h| alerts.len() as f64 / h),
        steps,
    }
}

/// Sorts severity labels most severe first.
fn severity_rank(label: &str) -> (u8, String) {
    let lower = label.to_ascii_lowercase();
    let rank = match lower.as_str() {
        "critical" => 0,
        "warning" => 1,
        "info" => 2,
        _ => 3,
    };
    (rank, lower)
}

/// The alerts raised in each hour (UTC), by severity; hours without any are left out.
pub fn per_hour(alerts: &[AlertResponse]) -> Vec<HourCount> {
    let mut hours: BTreeMap<u64, BTreeMap<String, usize>> = BTreeMap::new();
    for alert in alerts {
        let hour = alert.raised_us - alert.raised_us % HOUR_US;
        *hours
            .entry(hour)
            .or_default()
            .entry(alert.severity.clone())
            .or_default() += 1;
    }
    hours
        .into_iter()
        .map(|(hour_start_us, by_severity)| HourCount {
            hour_start_us,
            hour_utc: vigil_core::time::utc_string(TimeUs(hour_start_us)),
            by_severity,
        })
        .collect()
}

/// A report or an incident being followed through the records.
#[derive(Debug)]
struct Verification {
    received_us: u64,
    verified_us: Option<u64>,
    state: String,
}

/// Follows reports or incidents (`(id, event, state, time)` in journal order) up to the
/// window's end; those first seen within the window.
fn verifications<'a>(
    items: impl Iterator<Item = (&'a str, &'a str, &'a str, u64)>,
    window: Window,
) -> Vec<Verification> {
    let mut all: Vec<Verification> = Vec::new();
    let mut current: HashMap<&str, usize> = HashMap::new();
    for (id, event, state, time_us) in items.filter(|item| window.not_after(item.3)) {
        let index = match current.get(id) {
            Some(&i) if event != "recorded" => i,
            _ => {
                all.push(Verification {
                    received_us: time_us,
                    verified_us: None,
                    state: String::new(),
                });
                current.insert(id, all.len() - 1);
                all.len() - 1
            }
        };
        let item = &mut all[index];
        if item.verified_us.is_none() && (event == "verified" || state == "verified") {
            item.verified_us = Some(time_us);
        }
        item.state = state.to_owned();
    }
    all.retain(|v| window.contains(v.received_us));
    all
}

/// Community reports received within the window.
pub fn report_stats(records: &[JournalRecord], window: Window) -> ReportStats {
    let reports = records.iter().filter_map(|r| match r {
        JournalRecord::Report(ReportRecord {
            report_id,
            event,
            state,
            time_us,
            ..
        }) => Some((report_id.as_str(), event.as_str(), state.as_str(), *time_us)),
        _ => None,
    });
    let reports = verifications(reports, window);
    let delays = reports
        .iter()
        .filter_map(|r| r.verified_us.map(|v| v.saturating_sub(r.received_us)))
        .collect();
    let (to_verified_median_us, to_verified_p90_us) = median_p90(delays);
    ReportStats {
        received: reports.len(),
        verified: reports.iter().filter(|r| r.state == "verified").count(),
        rejected: reports.iter().filter(|r| r.state == "rejected").count(),
        to_verified_median_us,
        to_verified_p90_us,
    }
}

/// Incidents recorded within the window.
pub fn incident_stats(records: &[JournalRecord], window: Window) -> IncidentStats {
    let incidents = records.iter().filter_map(|r| match r {
        JournalRecord::Incident(IncidentRecord {
            incident_id,
            event,
            state,
            time_us,
            ..
        }) => Some((
            incident_id.as_str(),
            event.as_str(),
            state.as_str(),
            *time_us,
        )),
        _ => None,
    });
    let incidents = verifications(incidents, window);
    IncidentStats {
        recorded: incidents.len(),
        verified: incidents.iter().filter(|i| i.state == "verified").count(),
        rejected: incidents.iter().filter(|i| i.state == "rejected").count(),
    }
}

/// The summary of `records` (in journal order; kinds other than [`SUMMARY_KINDS`] are
/// ignored) over `window`. The period is the window; an open end is the records' first or
/// last time.
pub fn summarise(records: &[JournalRecord], window: Window) -> Summary {
    let times = || {
        records
            .iter()
            .filter(|r| SUMMARY_KINDS.contains(&r.kind()))
            .map(|r| r.time().0)
    };
    let start_us = window.from_us.or_else(|| times().min());
    let end_us = window.to_us.or_else(|| times().max());
    let hours = match (start_us, end_us) {
        (Some(start), Some(end)) if end > start => Some((end - start) as f64 / HOUR_US as f64),
        _ => None,
    };
    let responses = alert_responses(records, window);
    let mut severities: Vec<&str> = responses.iter().map(|r| r.severity.as_str()).collect();
    severities.sort_by_key(|s| severity_rank(s));
    severities.dedup();
    let by_severity = severities
        .into_iter()
        .map(|severity| SeverityStats {
            severity: severity.to_owned(),
            stats: alert_stats(responses.iter().filter(|r| r.severity == severity), hours),
        })
        .collect();
    Summary {
        start_us,
        end_us,
        alerts: alert_stats(&responses, hours),
        by_severity,
        per_hour: per_hour(&responses),
        reports: report_stats(records, window),
        incidents: incident_stats(records, window),
        responses,
    }
}

/// Reads a session folder's journal and summarises it over `from`..`to` (as `vigil export`
/// takes them: UTC, or seconds from the session's start).
pub fn summarise_session(
    dir: &Path,
    from: Option<TimeSpec>,
    to: Option<TimeSpec>,
) -> Result<Summary, SummaryError> {
    if !dir.is_dir() {
        return Err(SummaryError::NoSession {
            dir: dir.to_owned(),
        });
    }
    let path = dir.join(JOURNAL_FILE);
    if !path.is_file() {
        return Err(SummaryError::NoJournal {
            dir: dir.to_owned(),
        });
    }
    let reader = JournalReader::open(&path)?;
    // The start for seconds from it, as `vigil export` takes it: the session's, else its
    // first record's.
    let mut first = None;
    reader.for_each_raw(|row| {
        first = u64::try_from(row.time_us).ok();
        false
    })?;
    let start = session_start(dir, first.map(TimeUs));
    let from = from.map(|t| t.resolve(start).0);
    let to = to.map(|t| t.resolve(start).0);
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(SummaryError::Invalid(format!(
            "--to {} is before --from {}",
            crate::export::utc_millis(TimeUs(to)),
            crate::export::utc_millis(TimeUs(from))
        )));
    }
    let records: Vec<JournalRecord> = reader
        .records(None, to, &SUMMARY_KINDS)?
        .into_iter()
        .map(|(_, record)| record)
        .collect();
    Ok(summarise(
        &records,
        Window {
            from_us: from,
            to_us: to,
        },
    ))
}
