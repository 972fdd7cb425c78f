//! CSV for a spreadsheet: a folder with one `LAYER.csv` per layer (`id`, `time_utc`,
//! `lat_deg`, `lon_deg` of the first vertex, the layer's fields, then `WKT`, which GDAL reads
//! as the geometry) and `provenance.csv` (key, value). Written with the `csv` crate (RFC 4180
//! quoting); text cells are guarded against spreadsheet formulas ([`guard_formula`]).

use std::borrow::Cow;
use std::path::Path;

use super::features::{Feature, FieldType, Value, fields};
use super::{ExportError, Layer, Provenance, utc_millis};

/// A text cell as a spreadsheet will not run it: a cell that starts with `=`, `+`, `-`, `@`,
/// a tab or a carriage return gets a leading `'` (OWASP's advice against CSV injection).
/// Only for text: numbers (`-12.5`) in numeric columns are written as they are.
pub fn guard_formula(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A field's cell: text guarded, numbers as they are.
fn cell(value: &Value, kind: FieldType) -> String {
    match (value, kind) {
        (Value::Text(text), _) => guard_formula(text).into_owned(),
        (value, FieldType::Text) => guard_formula(&value.to_text()).into_owned(),
        (value, _) => value.to_text(),
    }
}

/// A CSV writer on a new file, its errors naming the file.
pub(super) fn create(path: &Path) -> Result<::csv::Writer<std::fs::File>, ExportError> {
    let file = std::fs::File::create(path).map_err(ExportError::io(path))?;
    Ok(::csv::Writer::from_writer(file))
}

pub(super) fn csv_error(path: &Path) -> impl Fn(::csv::Error) -> ExportError + '_ {
    move |err| ExportError::Io {
        path: path.to_owned(),
        source: err.into(),
    }
}

pub fn write(
    out: &Path,
    features: &[Feature],
    layers: &[Layer],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    std::fs::create_dir_all(out).map_err(ExportError::io(out))?;
    let path = out.join("provenance.csv");
    let bad = csv_error(&path);
    let mut w = create(&path)?;
    w.write_record(["key", "value"]).map_err(&bad)?;
    for (key, value) in provenance.pairs() {
        w.write_record([key, &guard_formula(&value)])
            .map_err(&bad)?;
    }
    w.flush().map_err(ExportError::io(&path))?;
    for layer in layers {
        let path = out.join(format!("{}.csv", layer.name()));
        let bad = csv_error(&path);
        let mut w = create(&path)?;
        let mut header = vec!["id", "time_utc", "lat_deg", "lon_deg"];
        header.extend(fields(*layer).iter().map(|(name, _)| *name));
        header.push("WKT");
        w.write_record(&header).map_err(&bad)?;
        for feature in features.iter().filter(|f| f.layer == *layer) {
            let (lon, lat) = feature
                .geometry
                .anchor()
                .map_or((String::new(), String::new()), |(lon, lat)| {
                    (lon.to_string(), lat.to_string())
                });
            let mut row = vec![
                guard_formula(&feature.id).into_owned(),
                utc_millis(feature.time),
                lat,
                lon,
            ];
            row.extend(
                fields(*layer)
                    .iter()
                    .zip(&feature.values)
                    .map(|((_, kind), value)| cell(value, *kind)),
            );
            row.push(feature.geometry.wkt());
            w.write_record(&row).map_err(&bad)?;
            step(1);
        }
        w.flush().map_err(ExportError::io(&path))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Geometry;
    use vigil_core::time::TimeUs;

    #[test]
    fn formulas_in_text_are_guarded_and_numbers_are_not() {
        for text in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(guard_formula(text), format!("'{text}"));
        }
        assert_eq!(guard_formula("men with guns"), "men with guns");
        assert_eq!(cell(&Value::Real(-12.5), FieldType::Real), "-12.5");
        assert_eq!(cell(&Value::Int(-3), FieldType::Int), "-3");
        assert_eq!(
            cell(&Value::Text("-12.5".into()), FieldType::Text),
            "'-12.5"
        );
    }

    #[test]
    fn hostile_text_is_quoted_guarded_and_read_back() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("csv");
        let text = "=cmd|' /C calc'!A0, \"quoted\"\nnext line";
        let feature = Feature {
            layer: Layer::Notes,
            id: "@note-1".into(),
            time: TimeUs(1_700_000_000_000_000),
            end: None,
            geometry: Geometry::Point {
                lon_deg: -12.5,
                lat_deg: -9.25,
            },
            values: fields(Layer::Notes)
                .iter()
                .map(|_| Value::Text(text.into()))
                .collect(),
            vertex_times: Vec::new(),
        };
        let provenance = Provenance {
            session: "-session".into(),
            ..Provenance::default()
        };
        write(&out, &[feature], &[Layer::Notes], &provenance, &mut |_| {}).expect("written");
        let mut reader = ::csv::Reader::from_path(out.join("notes.csv")).expect("opens");
        let rows: Vec<::csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("reads");
        assert_eq!(rows.len(), 1);
        assert_eq!(&rows[0][0], "'@note-1");
        assert_eq!(&rows[0][1], "2023-11-14T22:13:20.000Z");
        assert_eq!((&rows[0][2], &rows[0][3]), ("-9.25", "-12.5"));
        assert_eq!(&rows[0][4], format!("'{text}"));
        assert!(rows[0][rows[0].len() - 1].starts_with("POINT"));
        let provenance = std::fs::read_to_string(out.join("provenance.csv")).expect("reads");
        assert!(provenance.contains("\nsession,'-session\n"), "{provenance}");
    }
}
