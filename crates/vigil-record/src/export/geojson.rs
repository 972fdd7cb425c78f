//! GeoJSON (RFC 7946): one FeatureCollection; each feature's `layer` property names its layer;
//! the provenance is the foreign member `vigil_source`. Written feature by feature with the
//! `geojson` crate's [`FeatureWriter`], so a large export is never held whole as JSON.

use std::io::BufWriter;
use std::path::Path;

use geojson::{FeatureWriter, GeometryValue, JsonObject, JsonValue, Position, feature::Id};

use super::features::{Feature, Geometry, Value, fields};
use super::{ExportError, Provenance, utc_millis};

fn geometry(geometry: &Geometry) -> geojson::Geometry {
    let value = match geometry {
        Geometry::Point { lon_deg, lat_deg } => GeometryValue::new_point([*lon_deg, *lat_deg]),
        // A vertex carries its altitude when it is known.
        Geometry::Line(vertices) => GeometryValue::new_line_string(vertices.iter().map(|p| {
            if p[2].is_finite() {
                Position::from([p[0], p[1], p[2]])
            } else {
                Position::from([p[0], p[1]])
            }
        })),
        Geometry::Polygon(ring) => GeometryValue::new_polygon([ring.iter().copied()]),
    };
    geojson::Geometry::new(value)
}

/// The feature as a GeoJSON feature.
pub fn feature(feature: &Feature) -> geojson::Feature {
    let mut properties = JsonObject::new();
    properties.insert("layer".into(), feature.layer.name().into());
    properties.insert("time_utc".into(), utc_millis(feature.time).into());
    for ((name, _), value) in fields(feature.layer).iter().zip(&feature.values) {
        let value = match value {
            Value::Null => JsonValue::Null,
            Value::Int(v) => (*v).into(),
            // A non-finite real has no JSON form: null, as serde_json writes it.
            Value::Real(v) => (*v).into(),
            Value::Text(t) => t.as_str().into(),
        };
        properties.insert((*name).into(), value);
    }
    geojson::Feature {
        id: Some(Id::String(feature.id.clone())),
        geometry: Some(geometry(&feature.geometry)),
        properties: Some(properties),
        ..geojson::Feature::default()
    }
}

pub fn write(
    out: &Path,
    features: &[Feature],
    provenance: &Provenance,
    step: &mut dyn FnMut(u64),
) -> Result<(), ExportError> {
    let io = ExportError::io(out);
    let written = |err: geojson::Error| match err {
        geojson::Error::Io(source) => io(source),
        other => io(std::io::Error::other(other)),
    };
    let file = std::fs::File::create(out).map_err(&io)?;
    let mut w = FeatureWriter::from_writer(BufWriter::new(file));
    let source: JsonObject = provenance
        .pairs()
        .into_iter()
        .map(|(k, v)| (k.to_owned(), JsonValue::String(v)))
        .collect();
    w.write_foreign_member("vigil_source", &source)
        .map_err(written)?;
    for f in features {
        w.write_feature(&feature(f)).map_err(written)?;
        step(1);
    }
    w.finish().map_err(written)?;
    w.flush().map_err(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::Layer;
    use vigil_core::time::TimeUs;

    #[test]
    fn features_are_written_as_rfc_7946_with_the_provenance_beside_them() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let out = tmp.path().join("out.geojson");
        let path = Feature {
            layer: Layer::Paths,
            id: "vehicle-1".into(),
            time: TimeUs(1_700_000_000_250_000),
            end: None,
            geometry: Geometry::Line(vec![[31.0, 9.0, 120.5], [31.1, 9.1, f64::NAN]]),
            values: vec![Value::Int(1), Value::Text("x".into()), Value::Null],
            vertex_times: Vec::new(),
        };
        let provenance = Provenance {
            session: "s".into(),
            ..Provenance::default()
        };
        let mut steps = 0;
        write(&out, &[path], &provenance, &mut |n| steps += n).expect("written");
        assert_eq!(steps, 1);
        let text = std::fs::read_to_string(&out).expect("read");
        let json: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(json["type"], "FeatureCollection");
        assert_eq!(json["vigil_source"]["session"], "s");
        let feature = &json["features"][0];
        assert_eq!(feature["id"], "vehicle-1");
        assert_eq!(feature["properties"]["layer"], "paths");
        assert_eq!(
            feature["properties"]["time_utc"],
            "2023-11-14T22:13:20.250Z"
        );
        assert_eq!(feature["properties"]["vehicle"], 1);
        assert_eq!(
            feature["geometry"],
            serde_json::json!({"type": "LineString", "coordinates": [[31.0, 9.0, 120.5], [31.1, 9.1]]})
        );
        // It reads back as GeoJSON.
        let back: geojson::FeatureCollection = text.parse().expect("GeoJSON");
        assert_eq!(back.features.len(), 1);
    }
}
