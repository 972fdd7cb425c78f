//! What the journal records: plain types, serialised as JSON in the journal's rows. Positions
//! are WGS84 degrees (what every export format wants); times are µs since the UNIX epoch on
//! the messages' clock.

use serde::{Deserialize, Serialize};

use vigil_core::time::TimeUs;

/// A drone's state at most once a second: where it was and what its camera saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VehicleState {
    pub time_us: u64,
    pub sysid: u8,
    pub airframe: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_msl_m: Option<f64>,
    pub alt_rel_home_m: Option<f64>,
    pub heading_deg: Option<f64>,
    pub groundspeed_mps: Option<f64>,
    pub mode: String,
    pub armed: bool,
    /// The camera's footprint on the ground, `[lon_deg, lat_deg]` around the outline (open).
    pub footprint: Option<Vec<[f64; 2]>>,
    pub footprint_area_m2: Option<f64>,
}

/// One detection as it arrived, with the point it puts the target at when it can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionRecord {
    pub time_us: u64,
    pub sensor_time_us: u64,
    pub sysid: u8,
    pub compid: u8,
    pub detection_id: u32,
    pub sensor_kind: String,
    /// `position`, `range_bearing`, `bearing` or `presence`.
    pub measurement: String,
    /// The target's estimated position (a position, or range and bearing from the sensor);
    /// else the sensor's position.
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub range_m: Option<f64>,
    pub bearing_deg: Option<f64>,
    pub sensor_lat_deg: Option<f64>,
    pub sensor_lon_deg: Option<f64>,
    pub class: String,
    pub count: u8,
    pub confidence: f64,
}

/// A confirmed track after a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrackRecord {
    pub time_us: u64,
    pub track_id: u64,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub vel_e_mps: f64,
    pub vel_n_mps: f64,
    pub std_e_m: f64,
    pub std_n_m: f64,
    pub class: String,
    pub count: Option<u32>,
}

/// An alert, written at each change: raised, raised again, escalated, joined (by movers its
/// cause had not named), cleared by the rules;
/// acknowledged, assigned, annotated, resolved by an operator. Fields added after the first
/// journals default to empty when an older journal is read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertRecord {
    pub time_us: u64,
    pub alert_id: String,
    pub rule: String,
    pub severity: String,
    /// The protected site (a village, a camp, a clinic) the alert is about.
    pub site: String,
    pub cause: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// Where it is in the workflow after the change: open, acknowledged, assigned, resolved.
    pub state: String,
    /// Who changed it (an operator's name, or `vigil` for the rules).
    pub who: String,
    pub text: String,
    /// What happened: `raised`, `raised again`, `escalated`, `joined`, `cleared`,
    /// `acknowledged`, `assigned`, `annotated`, `resolved`.
    #[serde(default)]
    pub event: String,
    /// The assignee, the resolution or the annotation, as the event has one.
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub assignee: String,
    /// Whether its condition still holds.
    #[serde(default)]
    pub active: bool,
    /// The response so far (µs since the epoch): when it was raised, first acknowledged,
    /// first assigned, resolved.
    #[serde(default)]
    pub raised_us: Option<u64>,
    #[serde(default)]
    pub acknowledged_us: Option<u64>,
    #[serde(default)]
    pub assigned_us: Option<u64>,
    #[serde(default)]
    pub resolved_us: Option<u64>,
}

/// An incident, written at each change (recorded, verified, rejected).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IncidentRecord {
    pub time_us: u64,
    pub incident_id: String,
    pub category: String,
    /// `critical` with people killed, `warning` with people injured, else `info`.
    pub severity: String,
    /// Its verification: unverified, verified, rejected.
    pub state: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub who: String,
    pub text: String,
    /// `recorded`, `verified`, `rejected`.
    #[serde(default)]
    pub event: String,
    /// When it happened (µs since the epoch), as the operator entered it.
    #[serde(default)]
    pub occurred_us: Option<u64>,
    #[serde(default)]
    pub actors: String,
    #[serde(default)]
    pub killed: Option<u32>,
    #[serde(default)]
    pub injured: Option<u32>,
    /// Where the information comes from (a patrol, a community report, a drone...).
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub confidence: String,
    /// The reports and alerts it is based on.
    #[serde(default)]
    pub reports: Vec<u64>,
    #[serde(default)]
    pub alerts: Vec<u64>,
    /// How it was checked, or why it was rejected.
    #[serde(default)]
    pub reason: String,
}

/// A report from the community (a phone call, a message, a patrol), written when it arrives
/// and when it is verified or rejected.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ReportRecord {
    pub time_us: u64,
    pub report_id: String,
    pub channel: String,
    /// Who reported it, as a pseudonym (`reporter 3fa2c1d0`): the same within a session,
    /// never the name or the number itself, which are not written to disk.
    pub reporter: String,
    /// Its verification: unverified, verified, rejected.
    pub state: String,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub text: String,
    /// `recorded`, `verified`, `rejected`.
    #[serde(default)]
    pub event: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub people: Option<u32>,
    /// When the reporter says it happened (µs since the epoch).
    #[serde(default)]
    pub occurred_us: Option<u64>,
    /// Who verified or rejected it.
    #[serde(default)]
    pub who: String,
    /// How it was checked, or why it was rejected.
    #[serde(default)]
    pub reason: String,
    /// The alerts and tracks near it when it arrived (what corroborates it).
    #[serde(default)]
    pub alerts: Vec<u64>,
    #[serde(default)]
    pub tracks: Vec<u64>,
}

/// A "send a drone", written when it starts, at each command's outcome and when it ends.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct DispatchRecord {
    pub time_us: u64,
    pub dispatch_id: String,
    pub drone: u8,
    /// The alert or site it was sent for, if any.
    pub alert_id: Option<String>,
    pub site: String,
    /// Where it was sent.
    pub lat_deg: f64,
    pub lon_deg: f64,
    /// `in progress`, `orbiting`, `failed`.
    pub state: String,
    /// Who sent it, and when (µs since the epoch).
    pub who: String,
    pub sent_us: u64,
    /// The commands so far and how each ended, one line each; or why it failed.
    pub text: String,
}

/// An operator's note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoteRecord {
    pub time_us: u64,
    pub author: String,
    pub lat_deg: Option<f64>,
    pub lon_deg: Option<f64>,
    pub text: String,
}

/// A notice the ground station gave the operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeRecord {
    pub time_us: u64,
    pub severity: String,
    pub source: String,
    pub text: String,
}

/// A protected site went out of sight or came back into it, at the rules' step (see
/// `vigil_protection::events::OBSERVED_WITHIN_S`): from these the record shows how long each
/// site went unwatched. Every site is out of sight when the coverage starts.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CoverageRecord {
    pub time_us: u64,
    /// The site's name.
    pub site: String,
    pub observed: bool,
    /// When a camera or a sensor last covered it (`None`: never since the coverage started);
    /// when it goes out of sight, the unobserved interval starts here rather than at
    /// `time_us`.
    pub last_observed_us: Option<u64>,
}

/// Records that could not be written (queue full, disk error): the journal says so.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LostRecord {
    pub time_us: u64,
    pub count: u64,
    pub reason: String,
}

/// One row of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JournalRecord {
    VehicleState(VehicleState),
    Detection(DetectionRecord),
    Track(TrackRecord),
    Alert(AlertRecord),
    Incident(IncidentRecord),
    Report(ReportRecord),
    Dispatch(DispatchRecord),
    Note(NoteRecord),
    Notice(NoticeRecord),
    Lost(LostRecord),
    Coverage(CoverageRecord),
}

impl JournalRecord {
    /// The name stored in the row's `kind` column (the JSON's `kind` too).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::VehicleState(_) => "vehicle_state",
            Self::Detection(_) => "detection",
            Self::Track(_) => "track",
            Self::Alert(_) => "alert",
            Self::Incident(_) => "incident",
            Self::Report(_) => "report",
            Self::Dispatch(_) => "dispatch",
            Self::Note(_) => "note",
            Self::Notice(_) => "notice",
            Self::Lost(_) => "lost",
            Self::Coverage(_) => "coverage",
        }
    }

    pub fn time(&self) -> TimeUs {
        TimeUs(match self {
            Self::VehicleState(r) => r.time_us,
            Self::Detection(r) => r.time_us,
            Self::Track(r) => r.time_us,
            Self::Alert(r) => r.time_us,
            Self::Incident(r) => r.time_us,
            Self::Report(r) => r.time_us,
            Self::Dispatch(r) => r.time_us,
            Self::Note(r) => r.time_us,
            Self::Notice(r) => r.time_us,
            Self::Lost(r) => r.time_us,
            Self::Coverage(r) => r.time_us,
        })
    }

    /// Vehicle states may be dropped when the queue is full (the next one a second later
    /// supersedes them); nothing else may.
    pub fn is_coalescible(&self) -> bool {
        matches!(self, Self::VehicleState(_))
    }
}

/// `Some(x)` when `x` is finite (JSON has no NaN).
pub fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_json_with_their_kind() {
        let record = JournalRecord::Alert(AlertRecord {
            time_us: 5,
            alert_id: "A-1".into(),
            rule: "approach".into(),
            severity: "high".into(),
            site: "Kiri clinic".into(),
            cause: "track 4".into(),
            lat_deg: 9.0,
            lon_deg: 31.0,
            state: "raised".into(),
            who: "op1".into(),
            text: "armed group near the clinic".into(),
            ..Default::default()
        });
        let json = serde_json::to_string(&record).expect("serialises");
        assert!(json.starts_with(r#"{"kind":"alert""#), "{json}");
        let back: JournalRecord = serde_json::from_str(&json).expect("parses");
        assert_eq!(back, record);
        assert_eq!(back.kind(), "alert");
        assert_eq!(back.time(), TimeUs(5));
    }

    #[test]
    fn a_site_out_of_sight_is_a_coverage_record() {
        let record = JournalRecord::Coverage(CoverageRecord {
            time_us: 7,
            site: "Keradu".into(),
            observed: false,
            last_observed_us: Some(5),
        });
        let json = serde_json::to_string(&record).expect("serialises");
        assert_eq!(
            json,
            r#"{"kind":"coverage","time_us":7,"site":"Keradu","observed":false,"last_observed_us":5}"#
        );
        let back: JournalRecord = serde_json::from_str(&json).expect("parses");
        assert_eq!((back.kind(), back.time()), ("coverage", TimeUs(7)));
        assert!(!back.is_coalescible());
    }

    #[test]
    fn journals_written_before_the_workflow_fields_still_read() {
        let old = r#"{"kind":"alert","time_us":5,"alert_id":"3","rule":"approach","severity":"warning","site":"Keradu","cause":"track 4","lat_deg":9.0,"lon_deg":31.0,"state":"open","who":"","text":"t"}"#;
        let JournalRecord::Alert(alert) = serde_json::from_str(old).expect("parses") else {
            panic!("an alert");
        };
        assert_eq!((alert.event.as_str(), alert.raised_us), ("", None));
        let old = r#"{"kind":"report","time_us":5,"report_id":"1","channel":"sms","reporter":"","state":"unverified","lat_deg":null,"lon_deg":null,"text":"t"}"#;
        assert!(serde_json::from_str::<JournalRecord>(old).is_ok());
    }
}
