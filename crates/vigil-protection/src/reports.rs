//! Incidents the operator records and reports from the community, imported from CSV or
//! GeoJSON. A community report is unverified until an operator verifies (or rejects) it.
//!
//! # Community report files
//! CSV (RFC 4180: a header row, fields separated by commas, double quotes around fields that
//! hold commas, quotes or line breaks) with the columns, in any order:
//! - `time_utc` (required): `YYYY-MM-DDTHH:MM:SS[.fff]Z` (as [`vigil_core::time::parse_utc`]
//!   reads it);
//! - `lat_deg`, `lon_deg` (required): WGS84 degrees;
//! - `category` (required): free text, e.g. `armed_men`, `shooting`, `looting`, `displacement`;
//! - `description`, `reporter` (who told us), `channel` (how: phone, radio, in person...)
//!   (optional text);
//! - `people` (optional): people involved, a whole number.
//!
//! GeoJSON: a FeatureCollection of `Point` features whose properties are the same names
//! (`time_utc`, `category`, `description`, `reporter`, `channel`, `people`).
//! Errors name the file, the line (CSV) or feature (GeoJSON), and the field.

use std::path::Path;

use geojson::GeometryValue;
use serde_json::Value;

use super::{LatLon, ProtectionError};
use vigil_core::geojson_file::{GeoJsonFault, read_feature_collection};
use vigil_core::time::{TimeUs, UTC_GRAMMAR};

/// Reports kept in the world thread; the oldest go first.
pub const MAX_REPORTS: usize = 5000;
/// Incidents kept.
pub const MAX_INCIDENTS: usize = 5000;
/// A report file larger than this is refused (it is read whole).
pub const MAX_REPORT_FILE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// Whether a report or incident has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    Unverified,
    Verified {
        by: String,
        at: TimeUs,
        /// How it was checked (a call-back, a patrol, a drone), as the operator said.
        reason: String,
    },
    /// Checked and found false or unconfirmable.
    Rejected {
        by: String,
        at: TimeUs,
        /// Why (a duplicate, not credible, out of the area), as the operator said.
        reason: String,
    },
}

impl Verification {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified { .. } => "verified",
            Self::Rejected { .. } => "rejected",
        }
    }
}

/// A verdict an operator gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Verified,
    Rejected,
}

/// Killed and injured, each if known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Casualties {
    pub killed: Option<u32>,
    pub injured: Option<u32>,
}

/// What the operator records.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub time: TimeUs,
    pub position: LatLon,
    /// One of ACLED's sub-event types ([`crate::acled::SubEventType`]), in any form it reads:
    /// `strategic_developments/other`, `armed_clash`, `Armed clash`.
    pub category: String,
    /// Who did it, as far as known.
    pub actors: String,
    pub casualties: Casualties,
    /// Where the information comes from (a patrol, a community report, a drone...).
    pub source: String,
    pub confidence: Confidence,
    pub description: String,
    /// Reports or alerts it is based on.
    pub related_reports: Vec<u64>,
    pub related_alerts: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: u64,
    pub details: NewIncident,
    pub recorded_by: String,
    pub recorded_at: TimeUs,
    pub verification: Verification,
}

/// A report from the community as received.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReport {
    pub time: TimeUs,
    pub position: LatLon,
    pub category: String,
    pub description: String,
    pub reporter: String,
    pub channel: String,
    pub people: Option<u32>,
    /// Where it came from: `file:line`, `file#feature`, or the channel it arrived on.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CommunityReport {
    pub id: u64,
    pub report: NewReport,
    pub received_at: TimeUs,
    pub verification: Verification,
    /// The alerts and tracks near it when it arrived.
    pub nearby: crate::corroborate::Nearby,
    /// Who sent it, as a pseudonym (`reporter 3fa2c1d0`; empty when no contact was left).
    /// The contact itself is not here: `report.reporter` is empty once the report is kept, and
    /// the contact is given only on a recorded request ([`crate::contacts`]).
    pub reporter_ref: String,
}

/// Checks an incident before it is recorded.
pub fn check_incident(incident: &NewIncident) -> Result<(), ProtectionError> {
    let bad = |field: &str, reason: String| ProtectionError::Invalid {
        what: "incident".into(),
        field: field.into(),
        reason,
    };
    if !incident.position.is_valid() {
        return Err(bad(
            "position",
            format!("{:?} is not a position", incident.position),
        ));
    }
    if incident.category.trim().is_empty() {
        return Err(bad("category", "is empty".into()));
    }
    if let Err(unknown) = incident.category.parse::<crate::acled::SubEventType>() {
        return Err(bad("category", unknown.to_string()));
    }
    Ok(())
}

/// Reads a CSV or GeoJSON report file (by its extension: `.csv`, `.geojson` or `.json`).
pub fn load_reports(path: &Path) -> Result<Vec<NewReport>, ProtectionError> {
    let text = read_report_file(path)?;
    let file = path.display().to_string();
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => parse_reports_csv(&text, &file),
        "geojson" | "json" => parse_reports_geojson(&text, &file),
        other => Err(ProtectionError::Report {
            file,
            place: "(file)".into(),
            field: String::new(),
            reason: format!("extension {other:?} is not csv, geojson or json"),
        }),
    }
}

/// Reads a report file whole, refusing one larger than [`MAX_REPORT_FILE_BYTES`].
pub(crate) fn read_report_file(path: &Path) -> Result<String, ProtectionError> {
    let io = |source| ProtectionError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_REPORT_FILE_BYTES {
        return Err(ProtectionError::Report {
            file: path.display().to_string(),
            place: "(file)".into(),
            field: String::new(),
            reason: format!("{size} bytes is more than {MAX_REPORT_FILE_BYTES}"),
        });
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Reads CSV text into records with the `csv` crate (RFC 4180, fields separated by
/// `delimiter`), each with the line it starts on (1-based); rows may have any number of
/// fields here, and the caller names a short one.
pub(crate) fn csv_records(
    text: &str,
    file: &str,
    delimiter: u8,
) -> Result<Vec<(usize, Vec<String>)>, ProtectionError> {
    let bad = |line: u64, reason: String| ProtectionError::Report {
        file: file.into(),
        place: format!("line {line}"),
        field: String::new(),
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    let mut last_start = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                // The reader's position is where it began, before any blank lines it skipped.
                let skipped = text
                    .get(start.byte() as usize..)
                    .unwrap_or_default()
                    .bytes()
                    .take_while(|b| matches!(b, b'\r' | b'\n'));
                let blank_lines = skipped.filter(|b| *b == b'\n').count() as u64;
                let line = start.line() + blank_lines;
                last_start = start.byte() as usize;
                records.push((line as usize, record.iter().map(str::to_owned).collect()));
            }
            Err(err) => {
                let line = err.position().map_or(start.line(), csv::Position::line);
                return Err(bad(line, err.to_string()));
            }
        }
    }
    // The `csv` crate reads an unclosed quote to the end of the text without a word, which
    // would fold every row after it into one field: that is named instead.
    if let Some((line, _)) = records.last()
        && ends_in_open_quote(text.get(last_start..).unwrap_or_default(), delimiter)
    {
        return Err(bad(*line as u64, "a quoted field is not closed".into()));
    }
    Ok(records)
}

/// Whether CSV text ends inside a quoted field (a quote opens a field only at its start; `""`
/// inside one is a quote). Written here because no reader says it: see [`csv_records`].
fn ends_in_open_quote(text: &str, delimiter: u8) -> bool {
    let mut quoted = false;
    let mut field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
            }
            '"' if quoted => quoted = false,
            '"' if field_start => quoted = true,
            _ => {}
        }
        field_start = !quoted && (c == char::from(delimiter) || matches!(c, '\n' | '\r'));
    }
    quoted
}

const COLUMNS: [&str; 8] = [
    "time_utc",
    "lat_deg",
    "lon_deg",
    "category",
    "description",
    "reporter",
    "channel",
    "people",
];

pub fn parse_reports_csv(text: &str, file: &str) -> Result<Vec<NewReport>, ProtectionError> {
    let records = csv_records(text, file, b',')?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_owned())
        .collect();
    for (index, name) in header.iter().enumerate() {
        if !COLUMNS.contains(&name.as_str()) {
            return Err(ProtectionError::Report {
                file: file.into(),
                place: "line 1".into(),
                field: name.clone(),
                reason: format!("column {} is not one of {}", index + 1, COLUMNS.join(", ")),
            });
        }
    }
    for required in ["time_utc", "lat_deg", "lon_deg", "category"] {
        if !header.iter().any(|h| h == required) {
            return Err(ProtectionError::Report {
                file: file.into(),
                place: "line 1".into(),
                field: required.into(),
                reason: "required column is missing".into(),
            });
        }
    }
    rows.iter()
        .map(|(line, fields)| {
            let place = format!("line {line}");
            if fields.len() != header.len() {
                return Err(ProtectionError::Report {
                    file: file.into(),
                    place,
                    field: String::new(),
                    reason: format!("{} fields, the header has {}", fields.len(), header.len()),
                });
            }
            let get = |name: &str| {
                header
                    .iter()
                    .position(|h| h == name)
                    .and_then(|i| fields.get(i))
                    .map(|v| v.trim())
                    .filter(|v| !v.is_empty())
            };
            build_report(&get, file, &place, format!("{file}:{line}"))
        })
        .collect()
}

/// Reads a GeoJSON FeatureCollection of `Point` reports (the `geojson` crate reads the
/// structure; see [`super::sites`] for how its errors are placed).
pub fn parse_reports_geojson(text: &str, file: &str) -> Result<Vec<NewReport>, ProtectionError> {
    let bad = |place: String, field: &str, reason: String| ProtectionError::Report {
        file: file.into(),
        place,
        field: field.into(),
        reason,
    };
    read_collection(text, file)?
        .features
        .iter()
        .enumerate()
        .map(|(index, feature)| {
            let place = format!("feature #{index}");
            let coordinates = match feature.geometry.as_ref().map(|g| &g.value) {
                Some(GeometryValue::Point { coordinates }) => coordinates.as_slice(),
                _ => return Err(bad(place, "geometry", "must be a Point".into())),
            };
            let lon = coordinates.first().map(f64::to_string);
            let lat = coordinates.get(1).map(f64::to_string);
            let text_of = |name: &str| -> Option<String> {
                match feature.property(name)? {
                    Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                    Value::Null => None,
                    other => Some(other.to_string()),
                }
            };
            let values: Vec<(&str, Option<String>)> = vec![
                ("lat_deg", lat),
                ("lon_deg", lon),
                ("time_utc", text_of("time_utc")),
                ("category", text_of("category")),
                ("description", text_of("description")),
                ("reporter", text_of("reporter")),
                ("channel", text_of("channel")),
                ("people", text_of("people")),
            ];
            let get = |name: &str| {
                values
                    .iter()
                    .find(|(n, _)| *n == name)
                    .and_then(|(_, v)| v.as_deref())
            };
            build_report(&get, file, &place, format!("{file}#{index}"))
        })
        .collect()
}

/// Reads a GeoJSON FeatureCollection, an error naming the line (not JSON), or the feature and
/// member (not GeoJSON); the features' meaning is the caller's.
pub(crate) fn read_collection(
    text: &str,
    file: &str,
) -> Result<geojson::FeatureCollection, ProtectionError> {
    read_feature_collection(text).map_err(|fault| {
        let (place, field, reason) = match fault {
            GeoJsonFault::NotJson { line, reason } => {
                (format!("line {line}"), String::new(), reason)
            }
            GeoJsonFault::Structure {
                feature,
                field,
                reason,
            } => {
                let place = feature
                    .map_or_else(|| "(root)".into(), |(index, _)| format!("feature #{index}"));
                (place, field, reason)
            }
        };
        ProtectionError::Report {
            file: file.into(),
            place,
            field,
            reason,
        }
    })
}

/// One report as a JSON object with the CSV column names as members (`lat_deg` and
/// `lon_deg` numbers or strings); `origin` names it in errors and in the report.
pub fn parse_report_json(text: &str, origin: &str) -> Result<NewReport, ProtectionError> {
    let bad = |field: &str, reason: String| ProtectionError::Report {
        file: origin.into(),
        place: "body".into(),
        field: field.into(),
        reason,
    };
    let value: Value = serde_json::from_str(text).map_err(|err| bad("", err.to_string()))?;
    let object = value
        .as_object()
        .ok_or_else(|| bad("", "must be a JSON object".into()))?;
    if let Some(unknown) = object.keys().find(|k| !COLUMNS.contains(&k.as_str())) {
        return Err(bad(
            unknown,
            format!("is not one of {}", COLUMNS.join(", ")),
        ));
    }
    let values: Vec<(&str, Option<String>)> = COLUMNS
        .iter()
        .map(|name| {
            let text = match object.get(*name) {
                Some(Value::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                Some(Value::Null) | None => None,
                Some(other) => Some(other.to_string()),
            };
            (*name, text)
        })
        .collect();
    let get = |name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    };
    build_report(&get, origin, "body", origin.to_owned())
}

fn build_report<'a>(
    get: &dyn Fn(&str) -> Option<&'a str>,
    file: &str,
    place: &str,
    origin: String,
) -> Result<NewReport, ProtectionError> {
    let bad = |field: &str, reason: String| ProtectionError::Report {
        file: file.into(),
        place: place.into(),
        field: field.into(),
        reason,
    };
    let required = |field: &str| get(field).ok_or_else(|| bad(field, "is missing".into()));
    let time_text = required("time_utc")?;
    let time = vigil_core::time::parse_utc(time_text).ok_or_else(|| {
        bad(
            "time_utc",
            format!("{time_text:?} is not an RFC 3339 UTC time, {UTC_GRAMMAR}"),
        )
    })?;
    let degrees = |field: &str, limit: f64| -> Result<f64, ProtectionError> {
        let text = required(field)?;
        text.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && v.abs() <= limit)
            .ok_or_else(|| {
                bad(
                    field,
                    format!("{text:?} is not a number of degrees within ±{limit}"),
                )
            })
    };
    let lat_deg = degrees("lat_deg", 90.0)?;
    let lon_deg = degrees("lon_deg", 180.0)?;
    let people = match get("people") {
        None => None,
        Some(text) => Some(
            text.parse::<u32>()
                .map_err(|_| bad("people", format!("{text:?} is not a whole number")))?,
        ),
    };
    Ok(NewReport {
        time,
        position: LatLon { lat_deg, lon_deg },
        category: required("category")?.to_owned(),
        description: get("description").unwrap_or_default().to_owned(),
        reporter: get("reporter").unwrap_or_default().to_owned(),
        channel: get("channel").unwrap_or_default().to_owned(),
        people,
        origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incidents_take_acled_sub_event_types_only() {
        let incident = |category: &str| NewIncident {
            time: TimeUs(1_773_563_400_000_000),
            position: LatLon {
                lat_deg: 9.0,
                lon_deg: 31.0,
            },
            category: category.into(),
            actors: String::new(),
            casualties: Casualties::default(),
            source: String::new(),
            confidence: Confidence::Low,
            description: String::new(),
            related_reports: Vec::new(),
            related_alerts: Vec::new(),
        };
        for category in [
            "strategic_developments/other",
            "abduction_forced_disappearance",
            "Armed clash",
        ] {
            assert!(check_incident(&incident(category)).is_ok(), "{category}");
        }
        let err = check_incident(&incident("armed presence")).expect_err("not ACLED's");
        let message = err.to_string();
        assert!(
            message.starts_with("incident: category: \"armed presence\" is not an ACLED")
                && message.contains("SubEventType::ALL"),
            "{message}"
        );
    }

    #[test]
    fn csv_reports_are_read_with_quotes_and_in_any_column_order() {
        let text = "category,time_utc,lat_deg,lon_deg,description,people\n\
                    armed_men,2026-03-14T18:30:00Z,9.0084,31.0157,\"men with guns, \"\"many\"\"\nnear the well\",12\n\
                    looting,2026-03-14T19:00:00Z,8.9896,31.0104,,\n";
        let reports = parse_reports_csv(text, "r.csv").expect("valid");
        assert_eq!(reports.len(), 2);
        assert_eq!(
            reports[0].description,
            "men with guns, \"many\"\nnear the well"
        );
        assert_eq!(reports[0].people, Some(12));
        assert_eq!(reports[1].origin, "r.csv:4");
        assert_eq!(reports[1].people, None);
        assert!((reports[1].position.lat_deg - 8.9896).abs() < 1e-12);
    }

    #[test]
    fn bad_csv_names_the_file_line_and_field() {
        let text = "time_utc,lat_deg,lon_deg,category\n2026-03-14T18:30:00Z,91.5,31.0,shooting\n";
        let err = parse_reports_csv(text, "r.csv").expect_err("latitude out of range");
        let message = err.to_string();
        assert!(
            message.contains("r.csv") && message.contains("line 2") && message.contains("lat_deg"),
            "{message}"
        );
        let err = parse_reports_csv("time_utc,lat,lon_deg,category\n", "r.csv")
            .expect_err("unknown column");
        assert!(err.to_string().contains("lat"), "{err}");
        let err =
            parse_reports_csv("time_utc,lat_deg,lon_deg\n", "r.csv").expect_err("no category");
        assert!(err.to_string().contains("category"), "{err}");
    }

    #[test]
    fn csv_lines_are_counted_past_blank_lines_crlf_and_quoted_breaks() {
        let row = "2026-03-14T18:30:00Z,9.0,31.0,shooting";
        let text = format!(
            "\u{feff}time_utc,lat_deg,lon_deg,category,description\r\n\r\n{row},\"a\r\nb\"\r\n\n\n{row},x\r\n"
        );
        let reports = parse_reports_csv(&text, "r.csv").expect("valid");
        assert_eq!(reports[0].origin, "r.csv:3");
        assert_eq!(reports[0].description, "a\r\nb");
        assert_eq!(reports[1].origin, "r.csv:7");
        let short = format!("{text}{row}\n");
        let message = parse_reports_csv(&short, "r.csv")
            .expect_err("short row")
            .to_string();
        assert_eq!(message, "r.csv: line 8: 4 fields, the header has 5");
        let open = format!("{text}{row},\"never closed\n{row},y\n");
        let message = parse_reports_csv(&open, "r.csv")
            .expect_err("unclosed quote")
            .to_string();
        assert_eq!(message, "r.csv: line 8: a quoted field is not closed");
        let closed = format!("{text}{row},\"closed \"\"here\"\", then, \"\"\"\n");
        let reports = parse_reports_csv(&closed, "r.csv").expect("closed quotes");
        assert_eq!(reports[2].description, "closed \"here\", then, \"");
        assert!(parse_reports_csv("", "r.csv").expect("empty").is_empty());
    }

    #[test]
    fn geojson_reports_are_read_and_bad_features_named() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":{"type":"Point","coordinates":[31.0157,9.0084]},
             "properties":{"time_utc":"2026-03-14T18:30:00Z","category":"shooting","people":3}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[31.0,9.0]},
             "properties":{"time_utc":"yesterday","category":"shooting"}}]}"#;
        let err = parse_reports_geojson(text, "r.geojson").expect_err("bad time");
        let message = err.to_string();
        assert!(
            message.contains("feature #1") && message.contains("time_utc"),
            "{message}"
        );
        let good = text.replace("yesterday", "2026-03-14T18:31:00Z");
        let reports = parse_reports_geojson(&good, "r.geojson").expect("valid");
        assert_eq!(reports[0].people, Some(3));
        assert_eq!(reports[1].origin, "r.geojson#1");
        let message = parse_reports_geojson(&good.replace("[31.0,9.0]", "[31.0]"), "r.geojson")
            .expect_err("short position")
            .to_string();
        assert!(
            message.starts_with(
                "r.geojson: feature #1: geometry: A position must contain two or more elements"
            ),
            "{message}"
        );
        let message =
            parse_reports_geojson(&good.replace("\"people\":3", "\"people\":3,}"), "r.geojson")
                .expect_err("not JSON")
                .to_string();
        assert!(message.starts_with("r.geojson: line 3: "), "{message}");
        let message = parse_reports_geojson(r#"{"type":"FeatureCollection"}"#, "r.geojson")
            .expect_err("no features")
            .to_string();
        assert_eq!(
            message,
            "r.geojson: (root): missing field `features` at line 1 column 28"
        );
        let message = parse_reports_geojson(
            &good.replace(
                "\"time_utc\":\"2026-03-14T18:31:00Z\"",
                "\"time_utc\":\"2026-03-14T18:31:00+02:00\"",
            ),
            "r.geojson",
        )
        .expect_err("not UTC")
        .to_string();
        assert_eq!(
            message,
            "r.geojson: feature #1: time_utc: \"2026-03-14T18:31:00+02:00\" is not an RFC 3339 UTC \
             time, YYYY-MM-DDTHH:MM:SS[.fff]Z"
        );
    }
}
