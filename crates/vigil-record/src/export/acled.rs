//! ACLED-style CSV, for analysts who merge the mission's incidents with ACLED (Armed Conflict
//! Location & Event Data): one row per incident under ACLED's column names, then Vigil's own
//! columns, and under the header a row of HXL hashtags (the Humanitarian Exchange Language, as
//! HDX tags its ACLED data: `#event+code`, `#date+occurred`, `#event+type`, `#event+type+sub`,
//! `#group+name+first`, `#geo+lat`, `#affected+killed`...), so that HXL tools (the HXL Proxy,
//! libhxl) find the columns by tag. Written with the `csv` crate; text cells are guarded
//! against spreadsheet formulas ([`guard_formula`]). The provenance, which has no place in
//! ACLED's columns, is written beside it: `NAME.provenance.csv` (key, value).
//!
//! What each row holds:
//! - **One row per incident, in its latest state**: the journal writes an incident at each
//!   change (recorded, verified, rejected), and the row is its last record within `--from` and
//!   `--to`. Incidents whose latest state is *rejected* are left out: they were found false
//!   or unconfirmable, and ACLED holds only events that took place. Rows are in the order the
//!   incidents were first recorded.
//! - `event_id_cnty`: `VIGIL-<session folder>-<incident id>`, unique across the mission's
//!   sessions (ACLED's ids carry a country code; ours carry the session).
//! - `event_date` (`YYYY-MM-DD`, UTC) and `year`: when it happened, as the operator entered
//!   it; `time_precision` 1 (the day is known). An incident from a journal that did not keep
//!   that time is dated by its record, with `time_precision` 2.
//! - `disorder_type`, `event_type`, `sub_event_type`: from its category, one of ACLED's
//!   sub-event types ([`vigil_protection::acled`]); `disorder_type` as ACLED assigns it per
//!   sub-event type. A category outside the vocabulary (a journal written before it) is kept
//!   in `sub_event_type` with the other two empty.
//! - `actor1`: the incident's actors as the operator wrote them (not ACLED's actor names).
//! - `civilian_targeting`: `Civilian targeting` for violence against civilians, else empty.
//! - `location`: empty (the incident's record names no place).
//! - `latitude`, `longitude`: 4 decimals (about 11 m); `geo_precision` 1, or 2 under
//!   `--redact strict`, which moves each incident to the centre of its 1 km UTM square.
//! - `source`: where the information came from; `source_scale` `Other` (ACLED's scales rate
//!   published media, which a mission's own patrols, drones and community reports are not).
//! - `notes`: the description; `fatalities`: the people killed, 0 when not known (as ACLED
//!   writes 0 for no reported fatality).
//! - `vigil_confidence` (low, medium, high), `vigil_state` (unverified, verified),
//!   `vigil_reports` and `vigil_alerts` (the community reports and alerts it is based on, ids
//!   separated by `; ` as ACLED separates several values in a cell).
//!
//! Redaction is as in the other formats: `public` removes who recorded it, which this format
//! never writes; `strict` also coarsens the positions.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::csv::{create, csv_error, guard_formula};
use super::{ExportError, Provenance, RedactLevel};
use crate::journal::{IncidentRecord, JournalRecord};
use vigil_core::time::{TimeUs, utc_string};
use vigil_protection::acled::SubEventType;

/// The columns: ACLED's name and its HXL hashtag (HDX's for ACLED's columns; ours, with
/// attributes of our own, for the rest).
pub const COLUMNS: [(&str, &str); 21] = [
    ("event_id_cnty", "#event+code"),
    ("event_date", "#date+occurred"),
    ("year", "#date+year"),
    ("time_precision", "#date+precision"),
    ("disorder_type", "#event+disorder"),
    ("event_type", "#event+type"),
    ("sub_event_type", "#event+type+sub"),
    ("actor1", "#group+name+first"),
    ("civilian_targeting", "#event+civilians+targeted"),
    ("location", "#loc+name"),
    ("latitude", "#geo+lat"),
    ("longitude", "#geo+lon"),
    ("geo_precision", "#geo+precision"),
    ("source", "#meta+source"),
    ("source_scale", "#meta+source+scale"),
    ("notes", "#description"),
    ("fatalities", "#affected+killed"),
    ("vigil_confidence", "#meta+confidence+vigil"),
    ("vigil_state", "#status+verification+vigil"),
    ("vigil_reports", "#meta+reports+vigil"),
    ("vigil_alerts", "#meta+alerts+vigil"),
];

/// One incident's cells, in the order of [`COLUMNS`].
pub type Row = [String; COLUMNS.len()];

/// The rows of the incidents among `records` (in journal order, already redacted).
pub fn rows(records: &[(u64, JournalRecord)], session: &str, redact: RedactLevel) -> Vec<Row> {
    let mut order: Vec<&str> = Vec::new();
    let mut latest: HashMap<&str, &IncidentRecord> = HashMap::new();
    for (_, record) in records {
        if let JournalRecord::Incident(incident) = record {
            let id = incident.incident_id.as_str();
            if latest.insert(id, incident).is_none() {
                order.push(id);
            }
        }
    }
    order
        .into_iter()
        .filter_map(|id| latest.get(id))
        .filter(|incident| incident.state != "rejected")
        .map(|incident| row(incident, session, redact))
        .collect()
}

/// `3; 7` for ids.
fn ids(ids: &[u64]) -> String {
    ids.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A coordinate to 4 decimals; empty when not a number.
fn degrees(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        String::new()
    }
}

fn row(incident: &IncidentRecord, session: &str, redact: RedactLevel) -> Row {
    let (time_us, time_precision) = incident
        .occurred_us
        .map_or((incident.time_us, "2"), |t| (t, "1"));
    // `YYYY-MM-DDTHH:MM:SSZ`, always a four-digit year.
    let utc = utc_string(TimeUs(time_us));
    let date = utc.get(..10).unwrap_or_default().to_owned();
    let year = utc.get(..4).unwrap_or_default().to_owned();
    let category = incident.category.parse::<SubEventType>().ok();
    let (disorder, event_type, sub_event_type) = match category {
        Some(sub) => (
            sub.disorder_type().name().to_owned(),
            sub.event_type().name().to_owned(),
            sub.name().to_owned(),
        ),
        None => (
            String::new(),
            String::new(),
            guard_formula(&incident.category).into_owned(),
        ),
    };
    let targeting = if category.is_some_and(SubEventType::targets_civilians) {
        "Civilian targeting"
    } else {
        ""
    };
    let geo_precision = if redact == RedactLevel::Strict {
        "2"
    } else {
        "1"
    };
    [
        guard_formula(&format!("VIGIL-{session}-{}", incident.incident_id)).into_owned(),
        date,
        year,
        time_precision.to_owned(),
        disorder,
        event_type,
        sub_event_type,
        guard_formula(&incident.actors).into_owned(),
        targeting.to_owned(),
        String::new(),
        degrees(incident.lat_deg),
        degrees(incident.lon_deg),
        geo_precision.to_owned(),
        guard_formula(&incident.source).into_owned(),
        "Other".to_owned(),
        guard_formula(&incident.text).into_owned(),
        incident.killed.unwrap_or(0).to_string(),
        guard_formula(&incident.confidence).into_owned(),
        guard_formula(&incident.state).into_owned(),
        ids(&incident.reports),
        ids(&incident.alerts),
    ]
}

/// Where the provenance goes: `export-acled.csv` → `export-acled.provenance.csv`.
pub fn provenance_path(out: &Path) -> PathBuf {
    out.with_extension("provenance.csv")
}

/// Writes the header, the HXL row and `rows` to `out`, and the provenance beside it.
pub fn write(
    out: &Path,
    rows: &[Row],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let bad = csv_error(out);
    let mut w = create(out)?;
    w.write_record(COLUMNS.iter().map(|(name, _)| name))
        .map_err(&bad)?;
    w.write_record(COLUMNS.iter().map(|(_, tag)| tag))
        .map_err(&bad)?;
    for row in rows {
        w.write_record(row).map_err(&bad)?;
        step(1);
    }
    w.flush().map_err(ExportError::io(out))?;
    let path = provenance_path(out);
    let bad = csv_error(&path);
    let mut w = create(&path)?;
    w.write_record(["key", "value"]).map_err(&bad)?;
    for (key, value) in provenance.pairs() {
        w.write_record([key, &guard_formula(&value)])
            .map_err(&bad)?;
    }
    w.flush().map_err(ExportError::io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: u64 = 1_773_563_400_000_000; // 2026-03-15T08:30:00Z

    fn incident(id: &str, event: &str, state: &str) -> JournalRecord {
        JournalRecord::Incident(IncidentRecord {
            time_us: T0 + 3_600_000_000,
            incident_id: id.into(),
            category: "violence_against_civilians/abduction_forced_disappearance".into(),
            severity: "critical".into(),
            state: state.into(),
            lat_deg: 9.008_449,
            lon_deg: -31.014_951,
            who: "Officer Dalia".into(),
            text: "two women taken from the well".into(),
            event: event.into(),
            occurred_us: Some(T0 - 86_400_000_000),
            actors: "unidentified armed men".into(),
            killed: Some(1),
            source: "community report, patrol 2".into(),
            confidence: "medium".into(),
            reports: vec![3, 7],
            alerts: vec![12],
            ..Default::default()
        })
    }

    fn journal() -> Vec<(u64, JournalRecord)> {
        let mut rejected = incident("2", "recorded", "unverified");
        if let JournalRecord::Incident(i) = &mut rejected {
            i.category = "=HYPERLINK(\"http://x\")".into();
        }
        let mut rejected_later = rejected.clone();
        if let JournalRecord::Incident(i) = &mut rejected_later {
            i.state = "rejected".into();
            i.event = "rejected".into();
        }
        vec![
            (1, incident("1", "recorded", "unverified")),
            (2, rejected),
            (3, incident("1", "verified", "verified")),
            (4, rejected_later),
        ]
    }

    fn cell<'a>(row: &'a Row, column: &str) -> &'a str {
        let index = COLUMNS
            .iter()
            .position(|(name, _)| *name == column)
            .expect("a column");
        &row[index]
    }

    #[test]
    fn one_row_per_incident_in_its_latest_state_and_rejected_ones_left_out() {
        let rows = rows(&journal(), "2026-03-15-keradu", RedactLevel::None);
        assert_eq!(rows.len(), 1);
        let row = &rows[0];
        for (column, value) in [
            ("event_id_cnty", "VIGIL-2026-03-15-keradu-1"),
            ("event_date", "2026-03-14"),
            ("year", "2026"),
            ("time_precision", "1"),
            ("disorder_type", "Political violence"),
            ("event_type", "Violence against civilians"),
            ("sub_event_type", "Abduction/forced disappearance"),
            ("actor1", "unidentified armed men"),
            ("civilian_targeting", "Civilian targeting"),
            ("location", ""),
            ("latitude", "9.0084"),
            ("longitude", "-31.0150"),
            ("geo_precision", "1"),
            ("source", "community report, patrol 2"),
            ("source_scale", "Other"),
            ("notes", "two women taken from the well"),
            ("fatalities", "1"),
            ("vigil_confidence", "medium"),
            ("vigil_state", "verified"),
            ("vigil_reports", "3; 7"),
            ("vigil_alerts", "12"),
        ] {
            assert_eq!(cell(row, column), value, "{column}");
        }
    }

    #[test]
    fn unknown_dates_fatalities_and_categories_and_strict_redaction() {
        let mut old = incident("5", "recorded", "unverified");
        if let JournalRecord::Incident(i) = &mut old {
            i.occurred_us = None;
            i.killed = None;
            i.category = "intimidation".into();
            i.lat_deg = f64::NAN;
        }
        let rows = rows(&[(1, old)], "s", RedactLevel::Strict);
        let row = &rows[0];
        assert_eq!(cell(row, "event_date"), "2026-03-15");
        assert_eq!(cell(row, "time_precision"), "2");
        assert_eq!(cell(row, "fatalities"), "0");
        assert_eq!(cell(row, "sub_event_type"), "intimidation");
        assert_eq!(
            (cell(row, "event_type"), cell(row, "disorder_type")),
            ("", "")
        );
        assert_eq!(cell(row, "civilian_targeting"), "");
        assert_eq!(cell(row, "latitude"), "");
        assert_eq!(cell(row, "geo_precision"), "2");
    }

    #[test]
    fn the_format_is_named_acled_and_holds_incidents_only() {
        use super::super::{ExportOptions, Format, Layer};
        assert_eq!("ACLED".parse(), Ok(Format::Acled));
        assert_eq!(Format::Acled.default_name(), "export-acled.csv");
        let options = |layers: Vec<Layer>| ExportOptions {
            format: Format::Acled,
            out: None,
            from: None,
            to: None,
            layers,
            redact: RedactLevel::None,
        };
        for layers in [vec![], vec![Layer::Paths, Layer::Incidents]] {
            assert_eq!(
                options(layers).layers_to_export().expect("incidents"),
                [Layer::Incidents]
            );
        }
        let err = options(vec![Layer::Tracks])
            .layers_to_export()
            .expect_err("no incidents");
        assert!(err.to_string().contains("incidents only"), "{err}");
    }

    #[test]
    fn the_file_has_the_header_the_hxl_row_and_guarded_text() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("export-acled.csv");
        let mut kept = journal();
        // The hostile category survives only if it is not rejected: keep its first record.
        kept.truncate(3);
        let rows = rows(&kept, "-s", RedactLevel::None);
        assert_eq!(rows.len(), 2);
        let provenance = Provenance {
            session: "-s".into(),
            ..Provenance::default()
        };
        let mut steps = 0;
        write(&out, &rows, &provenance, &mut |n| steps += n).expect("written");
        assert_eq!(steps, 2);
        let mut reader = ::csv::Reader::from_path(&out).expect("opens");
        let header: Vec<String> = reader
            .headers()
            .expect("a header")
            .iter()
            .map(str::to_owned)
            .collect();
        let names: Vec<&str> = COLUMNS.iter().map(|(name, _)| *name).collect();
        assert_eq!(header, names);
        let records: Vec<::csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("reads");
        assert_eq!(records.len(), 3);
        let tags: Vec<&str> = records[0].iter().collect();
        assert_eq!(tags[..3], ["#event+code", "#date+occurred", "#date+year"]);
        assert!(tags.iter().all(|t| t.starts_with('#')), "{tags:?}");
        assert!(tags.contains(&"#affected+killed") && tags.contains(&"#geo+lat"));
        assert_eq!(&records[1][0], "VIGIL--s-1");
        assert_eq!(&records[2][6], "'=HYPERLINK(\"http://x\")");
        let provenance =
            std::fs::read_to_string(provenance_path(&out)).expect("the provenance beside it");
        assert!(provenance.contains("\nsession,'-s\n"), "{provenance}");
        assert_eq!(
            provenance_path(&out).file_name().and_then(|n| n.to_str()),
            Some("export-acled.provenance.csv")
        );
    }
}
