//! Exports of a session for others to open: GeoJSON, KML, GPX, CSV and GeoPackage for GIS
//! tools (QGIS, Google Earth, a spreadsheet) and Cursor-on-Target for TAK, each carrying the
//! hashes of what it came from (the journal's chain end and the tlog's SHA-256). Built from
//! the journal, filtered by time and layer, redacted (`redact`), then written by one module per
//! format; [`export_session`] reports progress for the console's progress bar. `cot_live`
//! sends tracks and drones as CoT over UDP while the ground station runs.
//!
//! Layers: `paths` (one line per drone), `footprints` (camera footprints once a second),
//! `detections`, `tracks` (each confirmed track after each scan), `alerts`, `incidents`,
//! `reports`, `notes` (points).
//!
//! Files: GeoJSON is one RFC 7946 FeatureCollection, each feature's `layer` property naming
//! its layer, the provenance in the foreign member `vigil_source`; KML has a folder per layer
//! and the provenance in the document's ExtendedData; GPX holds the drone paths (a track per
//! drone) with the provenance in its metadata; CSV is a folder with one `LAYER.csv` per layer
//! (a `WKT` column that GDAL reads as the geometry) and `provenance.csv` (GDAL's CSV reader
//! takes a `#` comment line for the header, so the provenance is a table of its own); a
//! GeoPackage has a table per layer and the provenance in `gpkg_metadata`; CoT is an
//! `<events>` document of CoT events, each with the provenance in its detail. ACLED is one
//! CSV of the incidents for conflict analysts, in ACLED's columns under a row of HXL hashtags,
//! with `NAME.provenance.csv` beside it ([`acled`]).

pub mod acled;
pub mod cot;
pub mod csv;
pub mod features;
pub mod geojson;
pub mod gpkg;
pub mod gpx;
pub mod kml;
pub mod redact;
pub mod xml;

use std::path::{Path, PathBuf};

pub use features::{Feature, FieldType, Geometry, Value};
pub use redact::RedactLevel;

use crate::journal::{JOURNAL_FILE, JournalReader};
use crate::provenance::chain::hex;
use crate::session::{META_FILE, TLOG_FILE};
use vigil_core::time::TimeUs;

/// Errors of an export, naming the file.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Journal(#[from] crate::journal::JournalError),
    #[error("{path}: {source}")]
    Sql {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl ExportError {
    pub(crate) fn io(path: &Path) -> impl Fn(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoJson,
    Kml,
    Gpx,
    Csv,
    Gpkg,
    Cot,
    /// The incidents as ACLED-style CSV with an HXL hashtag row ([`acled`]).
    Acled,
}

impl std::str::FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Ok(match text.to_ascii_lowercase().as_str() {
            "geojson" | "json" => Self::GeoJson,
            "kml" => Self::Kml,
            "gpx" => Self::Gpx,
            "csv" => Self::Csv,
            "gpkg" | "geopackage" => Self::Gpkg,
            "cot" | "xml" => Self::Cot,
            "acled" => Self::Acled,
            other => {
                return Err(format!(
                    "unknown format {other:?} (geojson, kml, gpx, csv, gpkg, cot, acled)"
                ));
            }
        })
    }
}

impl Format {
    /// The default output name in the session folder.
    pub fn default_name(self) -> &'static str {
        match self {
            Self::GeoJson => "export.geojson",
            Self::Kml => "export.kml",
            Self::Gpx => "export.gpx",
            Self::Csv => "export-csv",
            Self::Gpkg => "export.gpkg",
            Self::Cot => "export.cot.xml",
            Self::Acled => "export-acled.csv",
        }
    }
}

/// A layer of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    Paths,
    Footprints,
    Detections,
    Tracks,
    Alerts,
    Incidents,
    Reports,
    Dispatches,
    Notes,
}

impl Layer {
    pub const ALL: [Layer; 9] = [
        Self::Paths,
        Self::Footprints,
        Self::Detections,
        Self::Tracks,
        Self::Alerts,
        Self::Incidents,
        Self::Reports,
        Self::Dispatches,
        Self::Notes,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::Paths => "paths",
            Self::Footprints => "footprints",
            Self::Detections => "detections",
            Self::Tracks => "tracks",
            Self::Alerts => "alerts",
            Self::Incidents => "incidents",
            Self::Reports => "reports",
            Self::Dispatches => "dispatches",
            Self::Notes => "notes",
        }
    }

    /// The journal record kind the layer is made from.
    pub fn record_kind(self) -> &'static str {
        match self {
            Self::Paths | Self::Footprints => "vehicle_state",
            Self::Detections => "detection",
            Self::Tracks => "track",
            Self::Alerts => "alert",
            Self::Incidents => "incident",
            Self::Reports => "report",
            Self::Dispatches => "dispatch",
            Self::Notes => "note",
        }
    }

    /// Parses `paths,tracks,...`.
    pub fn parse_list(text: &str) -> Result<Vec<Layer>, String> {
        let mut layers = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let layer = Self::ALL
                .into_iter()
                .find(|l| l.name().eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    format!(
                        "unknown layer {name:?} (paths, footprints, detections, tracks, alerts, incidents, reports, dispatches, notes)"
                    )
                })?;
            if !layers.contains(&layer) {
                layers.push(layer);
            }
        }
        layers.sort();
        Ok(layers)
    }
}

/// A time bound: an absolute UTC time or seconds from the session's start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TimeSpec {
    Utc(TimeUs),
    FromStart(f64),
}

impl std::str::FromStr for TimeSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(secs) = text.trim().parse::<f64>() {
            if secs.is_finite() && secs >= 0.0 {
                return Ok(Self::FromStart(secs));
            }
            return Err(format!(
                "{text:?}: seconds from the start must be 0 or more"
            ));
        }
        vigil_core::time::parse_utc(text)
            .map(Self::Utc)
            .ok_or_else(|| {
                format!(
                    "{text:?} is neither seconds from the session's start nor an RFC 3339 UTC \
                     time ({}, e.g. 2026-03-14T09:30:00Z)",
                    vigil_core::time::UTC_GRAMMAR
                )
            })
    }
}

impl TimeSpec {
    pub fn resolve(self, start: TimeUs) -> TimeUs {
        match self {
            Self::Utc(time) => time,
            Self::FromStart(secs) => start.plus(std::time::Duration::from_secs_f64(secs)),
        }
    }
}

/// `2026-03-14T09:00:00.250Z`: how every export writes a time.
pub(crate) use vigil_core::time::utc_millis_string as utc_millis;

/// What an export came from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Provenance {
    pub session: String,
    pub journal_records: u64,
    pub journal_head_sha256: String,
    pub tlog_bytes: u64,
    pub tlog_sha256: String,
    pub tlog_chain_head: String,
    pub sealed: bool,
    pub redaction: String,
    pub from_utc: Option<String>,
    pub to_utc: Option<String>,
}

impl Provenance {
    /// Key and value pairs, the same in every format.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("generator", format!("vigil {}", env!("CARGO_PKG_VERSION"))),
            ("session", self.session.clone()),
            ("journal_records", self.journal_records.to_string()),
            ("journal_head_sha256", self.journal_head_sha256.clone()),
            ("tlog_bytes", self.tlog_bytes.to_string()),
            ("tlog_sha256", self.tlog_sha256.clone()),
            ("tlog_chain_head", self.tlog_chain_head.clone()),
            ("sealed", self.sealed.to_string()),
            ("redaction", self.redaction.clone()),
            ("from_utc", self.from_utc.clone().unwrap_or_default()),
            ("to_utc", self.to_utc.clone().unwrap_or_default()),
        ]
    }
}

/// What to export.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    pub format: Format,
    /// The output file (a folder for CSV); default: `Format::default_name` in the session.
    pub out: Option<PathBuf>,
    pub from: Option<TimeSpec>,
    pub to: Option<TimeSpec>,
    /// Empty: every layer.
    pub layers: Vec<Layer>,
    pub redact: RedactLevel,
}

impl ExportOptions {
    /// The layers asked for (every one when none is named); the ACLED format holds the
    /// incidents only, and refuses layers that leave them out.
    fn layers_to_export(&self) -> Result<Vec<Layer>, ExportError> {
        match (self.format, self.layers.is_empty()) {
            (Format::Acled, true) => Ok(vec![Layer::Incidents]),
            (Format::Acled, false) if self.layers.contains(&Layer::Incidents) => {
                Ok(vec![Layer::Incidents])
            }
            (Format::Acled, false) => Err(ExportError::Invalid(
                "the acled format holds incidents only: leave out --layers or name incidents; \
                 nothing written"
                    .into(),
            )),
            (_, true) => Ok(Layer::ALL.to_vec()),
            (_, false) => Ok(self.layers.clone()),
        }
    }
}

/// Where an export is, for a progress bar: `done` of `total` steps in `stage`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    pub stage: &'static str,
    pub done: u64,
    pub total: u64,
}

impl Progress {
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            (self.done as f64 / self.total as f64).min(1.0)
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub counts: Vec<(Layer, usize)>,
    pub provenance: Provenance,
}

/// The session's start: `started_unix_us` of `session.json`, else the first record's time.
pub fn session_start(dir: &Path, first_record: Option<TimeUs>) -> TimeUs {
    std::fs::read_to_string(dir.join(META_FILE))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|json| {
            json.get("started_unix_us")
                .and_then(serde_json::Value::as_u64)
        })
        .map(TimeUs)
        .or(first_record)
        .unwrap_or_default()
}

/// The provenance of a session's files as they are now: the journal's chain end (walked and
/// checked) and the tlog's SHA-256 and chain end.
pub fn provenance_of(dir: &Path) -> Provenance {
    let report = crate::provenance::verify_session(dir);
    let tlog_sha256 = crate::provenance::file_sha256(&dir.join(TLOG_FILE))
        .map(|h| hex(&h))
        .unwrap_or_default();
    Provenance {
        session: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        journal_records: report.journal_head.as_ref().map_or(0, |h| h.0),
        journal_head_sha256: report.journal_head.map(|h| h.1).unwrap_or_default(),
        tlog_bytes: std::fs::metadata(dir.join(TLOG_FILE)).map_or(0, |m| m.len()),
        tlog_sha256,
        tlog_chain_head: report.tlog_head.map(|h| h.1).unwrap_or_default(),
        sealed: report.sealed && report.problems.is_empty(),
        redaction: String::new(),
        from_utc: None,
        to_utc: None,
    }
}

/// Exports a session folder; `progress` is called as the work goes (reading, building,
/// writing), at most a few hundred times.
pub fn export_session(
    dir: &Path,
    options: &ExportOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<ExportSummary, ExportError> {
    export_session_with(dir, options, true, progress)
}

/// As [`export_session`]; unless `allow_empty`, an export that would hold no feature (a time
/// range outside the session, layers it never recorded) is refused before anything is
/// written, with what the session holds, and no file is created or replaced.
pub fn export_session_with(
    dir: &Path,
    options: &ExportOptions,
    allow_empty: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<ExportSummary, ExportError> {
    progress(Progress {
        stage: "checking",
        done: 0,
        total: 1,
    });
    let mut provenance = provenance_of(dir);
    let reader = JournalReader::open(&dir.join(JOURNAL_FILE))?;
    let layers = options.layers_to_export()?;
    let all = reader.records(None, None, &[])?;
    let first = all.first().map(|(_, r)| r.time());
    let last = all.last().map(|(_, r)| r.time());
    drop(all);
    let start = session_start(dir, first);
    let from = options.from.map(|t| t.resolve(start));
    let to = options.to.map(|t| t.resolve(start));
    if let (Some(from), Some(to)) = (from, to)
        && to < from
    {
        return Err(ExportError::Invalid(format!(
            "--to {} is before --from {}: nothing to export, nothing written",
            utc_millis(to),
            utc_millis(from)
        )));
    }
    provenance.redaction = options.redact.name().to_owned();
    provenance.from_utc = from.map(utc_millis);
    provenance.to_utc = to.map(utc_millis);
    let mut kinds: Vec<&str> = layers.iter().map(|l| l.record_kind()).collect();
    kinds.dedup();
    progress(Progress {
        stage: "reading",
        done: 0,
        total: 1,
    });
    let mut records = reader.records(from.map(|t| t.0), to.map(|t| t.0), &kinds)?;
    for (_, record) in &mut records {
        redact::redact(record, options.redact);
    }
    let features = features::build(&records, &layers, &mut |done, total| {
        progress(Progress {
            stage: "building",
            done,
            total,
        })
    });
    if features.is_empty() && !allow_empty {
        let names: Vec<&str> = layers.iter().map(|l| l.name()).collect();
        let range = |t: Option<TimeUs>| t.map_or_else(|| "-".to_owned(), utc_millis);
        return Err(ExportError::Invalid(format!(
            "nothing to export: no {} between --from {} and --to {} (the session's records \
             run from {} to {}); nothing written",
            names.join(", "),
            range(from),
            range(to),
            range(first),
            range(last)
        )));
    }
    let out = options
        .out
        .clone()
        .unwrap_or_else(|| dir.join(options.format.default_name()));
    let acled_rows = (options.format == Format::Acled)
        .then(|| acled::rows(&records, &provenance.session, options.redact));
    let total = acled_rows.as_ref().map_or(features.len(), Vec::len) as u64;
    let mut written = 0u64;
    let mut step = |n: u64| {
        written += n;
        if written.is_multiple_of(256) || written == total {
            progress(Progress {
                stage: "writing",
                done: written,
                total,
            });
        }
    };
    match options.format {
        Format::GeoJson => geojson::write(&out, &features, &provenance, &mut step)?,
        Format::Kml => kml::write(&out, &features, &layers, &provenance, &mut step)?,
        Format::Gpx => gpx::write(&out, &features, &provenance, &mut step)?,
        Format::Csv => csv::write(&out, &features, &layers, &provenance, &mut step)?,
        Format::Gpkg => gpkg::write(&out, &features, &layers, &provenance, start, &mut step)?,
        Format::Cot => cot::write(&out, &features, &provenance, &mut step)?,
        Format::Acled => acled::write(
            &out,
            acled_rows.as_deref().unwrap_or_default(),
            &provenance,
            &mut step,
        )?,
    }
    let counts = layers
        .iter()
        .map(|layer| {
            let features = features.iter().filter(|f| f.layer == *layer).count();
            (*layer, acled_rows.as_ref().map_or(features, Vec::len))
        })
        .collect();
    progress(Progress {
        stage: "done",
        done: total,
        total,
    });
    Ok(ExportSummary {
        out,
        counts,
        provenance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_seconds_from_the_start() {
        assert_eq!(
            "2023-11-14T22:13:20Z".parse::<TimeSpec>(),
            Ok(TimeSpec::Utc(TimeUs(1_700_000_000_000_000)))
        );
        assert_eq!(
            "2023-11-14T22:13:20.25+00:00".parse::<TimeSpec>(),
            Ok(TimeSpec::Utc(TimeUs(1_700_000_000_250_000)))
        );
        assert!("2023-13-14T22:13:20Z".parse::<TimeSpec>().is_err());
        let start = TimeUs(1_700_000_000_000_000);
        assert_eq!(
            "90".parse::<TimeSpec>().map(|t| t.resolve(start)),
            Ok(TimeUs(1_700_000_090_000_000))
        );
        assert!("yesterday".parse::<TimeSpec>().is_err());
        assert_eq!(
            utc_millis(TimeUs(1_700_000_000_250_000)),
            "2023-11-14T22:13:20.250Z"
        );
    }

    #[test]
    fn layer_lists_parse_and_unknown_layers_are_named() {
        assert_eq!(
            Layer::parse_list("tracks, paths,tracks"),
            Ok(vec![Layer::Paths, Layer::Tracks])
        );
        let err = Layer::parse_list("paths,villages").expect_err("refused");
        assert!(err.contains("villages"), "{err}");
    }
}
