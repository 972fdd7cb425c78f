//! CSV for a spreadsheet: a folder with one `LAYER.csv` per layer (`id`, `time_utc`,
//! `lat_deg`, `lon_deg` of the first vertex, the layer's fields, then `WKT`, which GDAL reads
//! as the geometry) and `provenance.csv` (key, value).

use std::io::{BufWriter, Write};
use std::path::Path;

use super::features::{Feature, fields};
use super::{ExportError, Layer, Provenance, utc_millis};

/// Quotes a field when it needs it (RFC 4180).
pub fn quote(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
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
    let io = ExportError::io(&path);
    let mut text = String::from("key,value\n");
    for (key, value) in provenance.pairs() {
        text.push_str(&format!("{key},{}\n", quote(&value)));
    }
    std::fs::write(&path, text).map_err(&io)?;
    for layer in layers {
        let path = out.join(format!("{}.csv", layer.name()));
        let io = ExportError::io(&path);
        let mut w = BufWriter::new(std::fs::File::create(&path).map_err(&io)?);
        let mut header = vec!["id", "time_utc", "lat_deg", "lon_deg"];
        header.extend(fields(*layer).iter().map(|(name, _)| *name));
        header.push("WKT");
        writeln!(w, "{}", header.join(",")).map_err(&io)?;
        for feature in features.iter().filter(|f| f.layer == *layer) {
            let (lon, lat) = feature
                .geometry
                .anchor()
                .map_or((String::new(), String::new()), |(lon, lat)| {
                    (lon.to_string(), lat.to_string())
                });
            let mut row = vec![quote(&feature.id), utc_millis(feature.time), lat, lon];
            row.extend(feature.values.iter().map(|v| quote(&v.to_text())));
            row.push(quote(&feature.geometry.wkt()));
            writeln!(w, "{}", row.join(",")).map_err(&io)?;
            step(1);
        }
        w.flush().map_err(&io)?;
    }
    Ok(())
}
