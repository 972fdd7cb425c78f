//! Reading a GeoJSON FeatureCollection from a file someone wrote by hand (protected sites,
//! community reports, the console's basemap), with the `geojson` crate, keeping where a
//! structural error is (`serde_path_to_error`): the feature's index and raw JSON, from which
//! each reader names it its own way, and the member inside it. The meaning of the properties
//! is each reader's.

use geojson::{FeatureCollection, JsonValue};
use serde_path_to_error::Segment;

/// Why a text is not a GeoJSON FeatureCollection.
#[derive(Debug)]
pub enum GeoJsonFault {
    /// Not JSON at all: the line where it breaks, and why.
    NotJson { line: usize, reason: String },
    /// JSON, but not RFC 7946: the feature it is in (its index and its raw JSON, from which
    /// errors take its name) unless it is the collection itself; the member's path inside it
    /// (empty for the object itself); why, with the line and column.
    Structure {
        feature: Option<(usize, JsonValue)>,
        field: String,
        reason: String,
    },
}

/// Reads a FeatureCollection with the `geojson` crate, keeping where a structural error is.
pub fn read_feature_collection(text: &str) -> Result<FeatureCollection, GeoJsonFault> {
    let mut json = serde_json::Deserializer::from_str(text);
    let err = match serde_path_to_error::deserialize(&mut json) {
        Ok(collection) => return Ok(collection),
        Err(err) => err,
    };
    let path: Vec<Segment> = err.path().iter().cloned().collect();
    let inner = err.into_inner();
    if !inner.is_data() {
        return Err(GeoJsonFault::NotJson {
            line: inner.line(),
            reason: inner.to_string(),
        });
    }
    let (feature, rest) = match path.as_slice() {
        [Segment::Map { key }, Segment::Seq { index }, rest @ ..] if key == "features" => {
            // The text is JSON (the error is in its meaning), so this re-read only fails when
            // it is too deep for serde_json; the error then has no name, just the index.
            let raw = serde_json::from_str::<JsonValue>(text)
                .ok()
                .and_then(|mut root| {
                    root.get_mut("features")?
                        .get_mut(*index)
                        .map(JsonValue::take)
                })
                .unwrap_or(JsonValue::Null);
            (Some((*index, raw)), rest)
        }
        whole => (None, whole),
    };
    Err(GeoJsonFault::Structure {
        feature,
        field: member_path(rest),
        reason: inner.to_string(),
    })
}

/// `geometry.coordinates[0][2]`; empty for none.
fn member_path(segments: &[Segment]) -> String {
    let mut path = String::new();
    for segment in segments {
        match segment {
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    path
}
