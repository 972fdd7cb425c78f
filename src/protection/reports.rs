//! Incidents the operator records and reports from the community, imported from CSV or
//! GeoJSON. A community report is unverified until an operator verifies (or rejects) it.
//!
//! # Community report files
//! CSV (RFC 4180: a header row, fields separated by commas, double quotes around fields that
//! hold commas, quotes or line breaks) with the columns, in any order:
//! - `time_utc` (required): `YYYY-MM-DDTHH:MM:SS[.fff]Z`;
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

use serde_json::Value;

use super::{LatLon, ProtectionError};
use crate::time::TimeUs;

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
    },
    /// Checked and found false or unconfirmable.
    Rejected {
        by: String,
        at: TimeUs,
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
    Ok(())
}

/// Reads a CSV or GeoJSON report file (by its extension: `.csv`, `.geojson` or `.json`).
pub fn load_reports(path: &Path) -> Result<Vec<NewReport>, ProtectionError> {
    let io = |source| ProtectionError::Io {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io)?.len();
    let file = path.display().to_string();
    if size > MAX_REPORT_FILE_BYTES {
        return Err(ProtectionError::Report {
            file,
            place: "(file)".into(),
            field: String::new(),
            reason: format!("{size} bytes is more than {MAX_REPORT_FILE_BYTES}"),
        });
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
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

/// Splits CSV text into records, each with the line it starts on (1-based).
fn csv_records(text: &str, file: &str) -> Result<Vec<(usize, Vec<String>)>, ProtectionError> {
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start_line = 1;
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => {
                quoted = true;
                any = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                any = true;
            }
            '\r' => {}
            '\n' => {
                if any || !field.is_empty() {
                    fields.push(std::mem::take(&mut field));
                    records.push((start_line, std::mem::take(&mut fields)));
                }
                any = false;
                line += 1;
                start_line = line;
            }
            _ => {
                field.push(c);
                any = true;
            }
        }
    }
    if quoted {
        return Err(ProtectionError::Report {
            file: file.into(),
            place: format!("line {start_line}"),
            field: String::new(),
            reason: "a quoted field is not closed".into(),
        });
    }
    if any || !field.is_empty() {
        fields.push(field);
        records.push((start_line, fields));
    }
    Ok(records)
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
    let records = csv_records(text, file)?;
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

pub fn parse_reports_geojson(text: &str, file: &str) -> Result<Vec<NewReport>, ProtectionError> {
    let bad = |place: String, field: &str, reason: String| ProtectionError::Report {
        file: file.into(),
        place,
        field: field.into(),
        reason,
    };
    let root: Value = serde_json::from_str(text)
        .map_err(|err| bad(format!("line {}", err.line()), "", err.to_string()))?;
    let features = root
        .get("features")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("(root)".into(), "features", "must be an array".into()))?;
    features
        .iter()
        .enumerate()
        .map(|(index, feature)| {
            let place = format!("feature #{index}");
            let coordinates = feature
                .get("geometry")
                .filter(|g| g.get("type").and_then(Value::as_str) == Some("Point"))
                .and_then(|g| g.get("coordinates"))
                .and_then(Value::as_array)
                .ok_or_else(|| bad(place.clone(), "geometry", "must be a Point".into()))?;
            let lon = coordinates
                .first()
                .and_then(Value::as_f64)
                .map(|v| v.to_string());
            let lat = coordinates
                .get(1)
                .and_then(Value::as_f64)
                .map(|v| v.to_string());
            let props = feature.get("properties").and_then(Value::as_object);
            let text_of = |name: &str| -> Option<String> {
                match props?.get(name)? {
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
    let time = crate::sim::scenario::parse_utc(time_text).ok_or_else(|| {
        bad(
            "time_utc",
            format!("{time_text:?} is not YYYY-MM-DDTHH:MM:SSZ"),
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
    }
}
