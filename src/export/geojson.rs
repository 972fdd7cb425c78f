//! GeoJSON (RFC 7946): one FeatureCollection; each feature's `layer` property names its layer;
//! the provenance is the foreign member `vigil_source`.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{Map, Value as Json, json};

use super::features::{Feature, Geometry, Value, fields};
use super::{ExportError, Provenance, utc_millis};

fn coordinate(lon: f64, lat: f64) -> Json {
    json!([lon, lat])
}

fn geometry(geometry: &Geometry) -> Json {
    match geometry {
        Geometry::Point { lon_deg, lat_deg } => {
            json!({"type": "Point", "coordinates": coordinate(*lon_deg, *lat_deg)})
        }
        Geometry::Line(v) => json!({
            "type": "LineString",
            "coordinates": v.iter().map(|p| if p[2].is_finite() { json!([p[0], p[1], p[2]]) } else { coordinate(p[0], p[1]) }).collect::<Vec<_>>()
        }),
        Geometry::Polygon(v) => json!({
            "type": "Polygon",
            "coordinates": [v.iter().map(|p| coordinate(p[0], p[1])).collect::<Vec<_>>()]
        }),
    }
}

/// The feature as a GeoJSON object.
pub fn feature_json(feature: &Feature) -> Json {
    let mut properties = Map::new();
    properties.insert("layer".into(), json!(feature.layer.name()));
    properties.insert("time_utc".into(), json!(utc_millis(feature.time)));
    for ((name, _), value) in fields(feature.layer).iter().zip(&feature.values) {
        let value = match value {
            Value::Null => Json::Null,
            Value::Int(v) => json!(v),
            Value::Real(v) => json!(v),
            Value::Text(t) => json!(t),
        };
        properties.insert((*name).into(), value);
    }
    json!({
        "type": "Feature",
        "id": feature.id,
        "geometry": geometry(&feature.geometry),
        "properties": properties,
    })
}

pub fn write(
    out: &Path,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let file = std::fs::File::create(out).map_err(&io)?;
    let mut w = BufWriter::new(file);
    let source: Map<String, Json> = provenance
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect();
    write!(
        w,
        "{{\"type\":\"FeatureCollection\",\"vigil_source\":{},\"features\":[",
        Json::Object(source)
    )
    .map_err(&io)?;
    for (i, feature) in features.iter().enumerate() {
        if i > 0 {
            w.write_all(b",\n").map_err(&io)?;
        }
        serde_json::to_writer(&mut w, &feature_json(feature)).map_err(|e| io(e.into()))?;
        step(1);
    }
    w.write_all(b"]}\n").map_err(&io)?;
    w.flush().map_err(&io)
}
