//! Community reports as the survey tools missions already use export them: KoboToolbox (CSV,
//! which it writes `;`-separated and fully quoted by default, and GeoJSON), ODK Central (CSV)
//! and Ushahidi v3/Platform (CSV), beside Vigil's own files ([`super::reports`]). Each row
//! becomes a [`NewReport`] as a row of Vigil's own CSV does; what differs is where its fields
//! are, because each mission names its form's questions.
//!
//! # Which column is which
//! A [`FieldMapping`] names the columns: the time, the location, the category, a title, the
//! description, the number of people, the reporter and the channel. A column is named by its
//! whole header (`group_incident/what`, `incident-what`, `Location`) or, in Kobo and ODK, by
//! its last part after the group path (`what`), ignoring ASCII case. What the mapping leaves
//! out is looked for under common names (`imports/columns.rs`):
//! - time: `start` then `_submission_time` (Kobo), `start` then `SubmissionDate` (ODK),
//!   `Post date (UTC)` then `Created (UTC)` (Ushahidi); in each row the first that is not
//!   empty;
//! - location: the header's one geopoint, found by its companion columns:
//!   `_<name>_latitude` and `_<name>_longitude` (Kobo, after any group path),
//!   `<name>-Latitude` and `<name>-Longitude` (ODK), `<name>.lat` and `<name>.lon` (Ushahidi).
//!   With several, the mapping names one (by `<name>`); a Kobo geopoint exported without its
//!   companions is read from its own column (`lat lon [alt [accuracy]]`);
//! - category: `category`, `incident_type`, `type_of_incident`, `what` (Kobo, ODK);
//!   `Categories` then `Survey` (Ushahidi);
//! - title `title`; description `description`, `details`, `what_happened`; people `people`,
//!   `people_count`, `number_of_people`, `how_many_people`; reporter `reporter`,
//!   `reporter_name`, `reporter_phone`, `phone_number`, `Contact` (all of those found, joined);
//!   channel `channel`.
//!
//! # Values
//! - Times carry a UTC offset (`Z`, `±HH:MM`, `±HHMM` or `±HH`) and are converted to UTC. A
//!   time without one is read as UTC only from a column that is UTC by definition (Kobo's
//!   `_submission_time`, Ushahidi's `(UTC)` columns); elsewhere it is refused, not guessed.
//!   Ushahidi's space between date and time is read as the `T`.
//! - The category keeps the form's value in lower_snake_case (`Armed men` → `armed_men`);
//!   Ushahidi's comma-separated categories each so, joined by commas.
//! - The description is the title and the description, on two lines when both are there.
//! - The channel is the form's channel column, else where the report came from (`kobo`,
//!   `odk`, `ushahidi`); the origin is `file:line` (`file#feature` in GeoJSON).
//! - The reporter (a name or a phone number) is kept in `reporter` only: never in the
//!   description, the origin or an error, and no other field may read the reporter's column.
//!
//! The delimiter (`,`, `;` or tab) is the one the header line uses most; a UTF-8 byte order
//! mark, empty rows (`;;;`) and a row of HXL hashtags under the header (which Kobo and
//! Ushahidi can write) are skipped. Errors name the file, the line (or feature) and the column.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use geojson::GeometryValue;
use serde_json::Value;

use super::reports::{self, NewReport};
use super::{LatLon, ProtectionError};
use columns::{Columns, Fault, KOBO, ODK, USHAHIDI, geopoints};

mod columns;
#[cfg(test)]
mod tests;
mod values;

/// The export formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    /// Vigil's own CSV or GeoJSON ([`super::reports`]).
    Vigil,
    /// KoboToolbox: CSV (`;` or `,`) or GeoJSON.
    Kobo,
    /// ODK Central: CSV.
    Odk,
    /// Ushahidi v3 (Platform): CSV.
    Ushahidi,
}

impl ReportFormat {
    pub const ALL: [Self; 4] = [Self::Vigil, Self::Kobo, Self::Odk, Self::Ushahidi];

    /// The name on the command line, and the channel of the reports it brings.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vigil => "vigil",
            Self::Kobo => "kobo",
            Self::Odk => "odk",
            Self::Ushahidi => "ushahidi",
        }
    }

    /// The tool that writes it, for messages.
    pub fn tool(self) -> &'static str {
        match self {
            Self::Vigil => "Vigil",
            Self::Kobo => "KoboToolbox",
            Self::Odk => "ODK Central",
            Self::Ushahidi => "Ushahidi",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name that is not one of [`ReportFormat`]'s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a report format: vigil, kobo, odk or ushahidi")]
pub struct UnknownFormat(pub String);

impl FromStr for ReportFormat {
    type Err = UnknownFormat;

    /// `vigil`, `kobo` (or `kobotoolbox`), `odk` (or `odk-central`), `ushahidi`, in any case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "vigil" => Ok(Self::Vigil),
            "kobo" | "kobotoolbox" => Ok(Self::Kobo),
            "odk" | "odk-central" => Ok(Self::Odk),
            "ushahidi" => Ok(Self::Ushahidi),
            _ => Err(UnknownFormat(text.to_owned())),
        }
    }
}

/// Which column holds what; `None` looks for the usual names (see the module's comment).
/// Vigil's own files have fixed columns and ignore it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldMapping {
    pub time: Option<String>,
    /// A geopoint's name (Kobo, ODK) or a location field's label (Ushahidi).
    pub location: Option<String>,
    pub category: Option<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub people: Option<String>,
    pub reporter: Option<String>,
    pub channel: Option<String>,
}

impl FieldMapping {
    /// The fields a mapping names, as [`FieldMapping::set`] takes them.
    pub const FIELDS: [&str; 8] = [
        "time",
        "location",
        "category",
        "title",
        "description",
        "people",
        "reporter",
        "channel",
    ];

    /// Names the column of one of [`FieldMapping::FIELDS`] (as from `--column time=start`).
    pub fn set(&mut self, field: &str, column: &str) -> Result<(), UnknownField> {
        let slot = match field.trim().to_ascii_lowercase().as_str() {
            "time" => &mut self.time,
            "location" => &mut self.location,
            "category" => &mut self.category,
            "title" => &mut self.title,
            "description" => &mut self.description,
            "people" => &mut self.people,
            "reporter" => &mut self.reporter,
            "channel" => &mut self.channel,
            _ => return Err(UnknownField(field.to_owned())),
        };
        *slot = Some(column.trim().to_owned());
        Ok(())
    }
}

/// A field name that is not one of [`FieldMapping::FIELDS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a field of a report mapping: time, location, category, title, description, \
     people, reporter or channel"
)]
pub struct UnknownField(pub String);

/// Reads a report file exported by `format` (or, without one, by whichever tool its CSV
/// header or GeoJSON properties show), finding the columns by their usual names: `.csv`,
/// `.geojson` or `.json`, at most [`reports::MAX_REPORT_FILE_BYTES`].
pub fn import_reports(
    path: &Path,
    format: Option<ReportFormat>,
) -> Result<Vec<NewReport>, ProtectionError> {
    import_reports_with(path, format, &FieldMapping::default())
}

/// [`import_reports`] with the columns named by `mapping`.
pub fn import_reports_with(
    path: &Path,
    format: Option<ReportFormat>,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    let file = path.display().to_string();
    let whole_file = |reason: String| ProtectionError::Report {
        file: file.clone(),
        place: "(file)".into(),
        field: String::new(),
        reason,
    };
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let geojson = match extension.as_str() {
        "csv" => false,
        "geojson" | "json" => true,
        other => {
            return Err(whole_file(format!(
                "extension {other:?} is not csv, geojson or json"
            )));
        }
    };
    if format == Some(ReportFormat::Vigil) {
        return reports::load_reports(path);
    }
    let text = reports::read_report_file(path)?;
    if !geojson {
        return parse_export_csv(&text, &file, format, mapping);
    }
    match format {
        Some(ReportFormat::Kobo) => parse_kobo_geojson(&text, &file, mapping),
        None if is_vigil_geojson(&text, &file)? => reports::parse_reports_geojson(&text, &file),
        None => parse_kobo_geojson(&text, &file, mapping),
        Some(other) => Err(whole_file(format!(
            "{} exports are read as CSV, not GeoJSON",
            other.tool()
        ))),
    }
}

/// Whether a GeoJSON file is Vigil's own (its features have `time_utc`), not Kobo's.
fn is_vigil_geojson(text: &str, file: &str) -> Result<bool, ProtectionError> {
    let collection = reports::read_collection(text, file)?;
    Ok(collection
        .features
        .iter()
        .any(|f| f.contains_property("time_utc")))
}

/// The format a CSV text's header shows, if it shows one (see [`format_of_header`]).
pub fn detect_format(text: &str) -> Option<ReportFormat> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(sniff_delimiter(body))
        .from_reader(body.as_bytes());
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).ok()? {
        let header: Vec<String> = record.iter().map(|h| h.trim().to_owned()).collect();
        if header.iter().any(|h| !h.is_empty()) {
            return format_of_header(&header);
        }
    }
    None
}

/// The format a header's columns show: Vigil's `time_utc` and `lat_deg`; ODK Central's
/// `SubmissionDate` or `KEY` with `meta-instanceID`; Kobo's `_submission_time`, `_uuid`,
/// `_index` or a `_<name>_latitude` column; Ushahidi's `Post ID`, `Post Status`,
/// `Created (UTC)` or `Post date (UTC)`.
pub fn format_of_header(header: &[String]) -> Option<ReportFormat> {
    let has = |name: &str| header.iter().any(|h| h.eq_ignore_ascii_case(name));
    if has("time_utc") && has("lat_deg") {
        Some(ReportFormat::Vigil)
    } else if has("SubmissionDate") || (has("KEY") && has("meta-instanceID")) {
        Some(ReportFormat::Odk)
    } else if has("_submission_time")
        || has("_uuid")
        || has("_index")
        || !geopoints(header, ReportFormat::Kobo).is_empty()
    {
        Some(ReportFormat::Kobo)
    } else if ["Post ID", "Post Status", "Created (UTC)", "Post date (UTC)"]
        .iter()
        .any(|name| has(name))
    {
        Some(ReportFormat::Ushahidi)
    } else {
        None
    }
}

/// Reads CSV text exported by `format`, or by the tool its header shows (see
/// [`format_of_header`]); `file` names it in errors and origins.
pub fn parse_export_csv(
    text: &str,
    file: &str,
    format: Option<ReportFormat>,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    let Some(table) = read_table(text, file)? else {
        return Ok(Vec::new());
    };
    let format = match format.or_else(|| format_of_header(&table.header)) {
        Some(format) => format,
        None => {
            return Err(table.error_at(
                table.header_line,
                Fault::new(
                    "",
                    "the header is not that of a Vigil, KoboToolbox, ODK Central or Ushahidi \
                     export: name the format",
                ),
            ));
        }
    };
    let style = match format {
        ReportFormat::Vigil => return reports::parse_reports_csv(text, file),
        ReportFormat::Kobo => &KOBO,
        ReportFormat::Odk => &ODK,
        ReportFormat::Ushahidi => &USHAHIDI,
    };
    let columns = Columns::resolve(&table.header, style, mapping, true)
        .map_err(|fault| table.error_at(table.header_line, fault))?;
    table
        .rows
        .iter()
        .map(|(line, fields)| {
            if fields.len() != table.header.len() {
                let reason = format!(
                    "{} fields, the header has {}",
                    fields.len(),
                    table.header.len()
                );
                return Err(table.error_at(*line, Fault::new("", reason)));
            }
            columns
                .report(&table.header, fields, None, format!("{file}:{line}"))
                .map_err(|fault| table.error_at(*line, fault))
        })
        .collect()
}

/// Reads a KoboToolbox CSV export (`;` or `,`).
pub fn parse_kobo_csv(
    text: &str,
    file: &str,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    parse_export_csv(text, file, Some(ReportFormat::Kobo), mapping)
}

/// Reads an ODK Central CSV export (the CSV inside its `.csv.zip`).
pub fn parse_odk_csv(
    text: &str,
    file: &str,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    parse_export_csv(text, file, Some(ReportFormat::Odk), mapping)
}

/// Reads an Ushahidi v3 (Platform) CSV export.
pub fn parse_ushahidi_csv(
    text: &str,
    file: &str,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    parse_export_csv(text, file, Some(ReportFormat::Ushahidi), mapping)
}

/// Reads a KoboToolbox GeoJSON export: a FeatureCollection of `Point`s (the geopoint), whose
/// properties are the CSV's columns (empty answers left out).
pub fn parse_kobo_geojson(
    text: &str,
    file: &str,
    mapping: &FieldMapping,
) -> Result<Vec<NewReport>, ProtectionError> {
    let collection = reports::read_collection(text, file)?;
    collection
        .features
        .iter()
        .enumerate()
        .map(|(index, feature)| {
            let bad = |fault: Fault| ProtectionError::Report {
                file: file.into(),
                place: format!("feature #{index}"),
                field: fault.field,
                reason: fault.reason,
            };
            let position = match feature.geometry.as_ref().map(|g| &g.value) {
                Some(GeometryValue::Point { coordinates }) => LatLon {
                    lat_deg: coordinates.as_slice().get(1).copied().unwrap_or(f64::NAN),
                    lon_deg: coordinates.as_slice().first().copied().unwrap_or(f64::NAN),
                },
                _ => return Err(bad(Fault::new("geometry", "must be a Point"))),
            };
            if !position.is_valid() {
                let reason = format!("{position:?} is not a position");
                return Err(bad(Fault::new("geometry.coordinates", reason)));
            }
            let (header, row): (Vec<String>, Vec<String>) = feature
                .properties
                .iter()
                .flatten()
                .map(|(name, value)| {
                    let text = match value {
                        Value::String(s) => s.clone(),
                        Value::Null => String::new(),
                        other => other.to_string(),
                    };
                    (name.clone(), text)
                })
                .unzip();
            let columns = Columns::resolve(&header, &KOBO, mapping, false).map_err(bad)?;
            columns
                .report(&header, &row, Some(position), format!("{file}#{index}"))
                .map_err(bad)
        })
        .collect()
}

/// A CSV export read into a header and its rows (each with its line).
struct Table<'f> {
    file: &'f str,
    header_line: usize,
    header: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
}

impl Table<'_> {
    fn error_at(&self, line: usize, fault: Fault) -> ProtectionError {
        ProtectionError::Report {
            file: self.file.into(),
            place: format!("line {line}"),
            field: fault.field,
            reason: fault.reason,
        }
    }
}

/// Reads CSV text into a header and rows (`None` without a header), skipping a byte order
/// mark, empty rows and a row of HXL hashtags under the header.
fn read_table<'f>(text: &str, file: &'f str) -> Result<Option<Table<'f>>, ProtectionError> {
    // Lines are counted the same without the mark: it is not a line break.
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = reports::csv_records(body, file, sniff_delimiter(body))?
        .into_iter()
        .filter(|(_, fields)| fields.iter().any(|f| !f.trim().is_empty()));
    let Some((header_line, header)) = records.next() else {
        return Ok(None);
    };
    let header = header.iter().map(|h| h.trim().to_owned()).collect();
    let mut rows: Vec<(usize, Vec<String>)> = records.collect();
    let is_tag_row = |fields: &[String]| {
        fields
            .iter()
            .map(|f| f.trim())
            .all(|f| f.is_empty() || f.starts_with('#'))
    };
    if rows.first().is_some_and(|(_, fields)| is_tag_row(fields)) {
        rows.remove(0);
    }
    Ok(Some(Table {
        file,
        header_line,
        header,
        rows,
    }))
}

/// The delimiter the first line uses most outside quotes: `,`, `;` or tab (`,` when none).
fn sniff_delimiter(text: &str) -> u8 {
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut quoted = false;
    for byte in text.bytes() {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                if let Some((_, count)) = counts.iter_mut().find(|(d, _)| *d == byte) {
                    *count += 1;
                }
            }
            _ => {}
        }
    }
    // `max_by_key` keeps the last of equals: reversed, a tie goes to the comma.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, count)| *count)
        .map_or(b',', |(d, _)| *d)
}
