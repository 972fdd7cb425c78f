//! Journal records turned into features of the export's layers: a geometry (WGS84 degrees,
//! longitude first as GeoJSON and WKB have it), a time, and the layer's fields in a fixed
//! order so that tabular formats (CSV, GeoPackage) get one schema per layer.

use std::collections::BTreeMap;

use super::Layer;
use crate::journal::JournalRecord;
use vigil_core::time::TimeUs;

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Int,
    Real,
    Text,
}

/// A field's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
}

impl Value {
    fn opt_real(x: Option<f64>) -> Self {
        x.filter(|v| v.is_finite()).map_or(Self::Null, Self::Real)
    }

    /// As text for CSV, KML and CoT.
    pub fn to_text(&self) -> String {
        match self {
            Self::Null => String::new(),
            Self::Int(v) => v.to_string(),
            Self::Real(v) => format!("{v}"),
            Self::Text(t) => t.clone(),
        }
    }
}

/// A feature's shape; `[lon_deg, lat_deg]` (and altitude in metres above mean sea level).
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    Point {
        lon_deg: f64,
        lat_deg: f64,
    },
    /// Vertices with their altitudes (NaN when unknown).
    Line(Vec<[f64; 3]>),
    /// One closed ring (first vertex repeated last).
    Polygon(Vec<[f64; 2]>),
}

impl Geometry {
    /// The geometry's first vertex (for CSV's lat/lon columns and CoT's point).
    pub fn anchor(&self) -> Option<(f64, f64)> {
        match self {
            Self::Point { lon_deg, lat_deg } => Some((*lon_deg, *lat_deg)),
            Self::Line(v) => v.first().map(|p| (p[0], p[1])),
            Self::Polygon(v) => v.first().map(|p| (p[0], p[1])),
        }
    }

    /// Min lon, min lat, max lon, max lat.
    pub fn bounds(&self) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        let mut add = |lon: f64, lat: f64| {
            b[0] = b[0].min(lon);
            b[1] = b[1].min(lat);
            b[2] = b[2].max(lon);
            b[3] = b[3].max(lat);
        };
        match self {
            Self::Point { lon_deg, lat_deg } => add(*lon_deg, *lat_deg),
            Self::Line(v) => v.iter().for_each(|p| add(p[0], p[1])),
            Self::Polygon(v) => v.iter().for_each(|p| add(p[0], p[1])),
        }
        b
    }

    /// Well-known text.
    pub fn wkt(&self) -> String {
        let pair = |lon: f64, lat: f64| format!("{lon} {lat}");
        match self {
            Self::Point { lon_deg, lat_deg } => format!("POINT ({})", pair(*lon_deg, *lat_deg)),
            Self::Line(v) => format!(
                "LINESTRING ({})",
                v.iter()
                    .map(|p| pair(p[0], p[1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Self::Polygon(v) => format!(
                "POLYGON (({}))",
                v.iter()
                    .map(|p| pair(p[0], p[1]))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// One feature of a layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    pub layer: Layer,
    /// Unique within the export (`track-12@1700000000000000`, `vehicle-1`, ...).
    pub id: String,
    pub time: TimeUs,
    /// For paths: the last vertex's time.
    pub end: Option<TimeUs>,
    pub geometry: Geometry,
    /// The layer's fields, in the order of [`fields`].
    pub values: Vec<Value>,
    /// For paths: each vertex's time.
    pub vertex_times: Vec<TimeUs>,
}

/// The fields of each layer, after `time_utc` (which every layer has).
pub fn fields(layer: Layer) -> &'static [(&'static str, FieldType)] {
    use FieldType::*;
    match layer {
        Layer::Paths => &[("vehicle", Int), ("end_utc", Text), ("points", Int)],
        Layer::Footprints => &[("vehicle", Int), ("area_m2", Real), ("alt_msl_m", Real)],
        Layer::Detections => &[
            ("sensor", Text),
            ("sensor_kind", Text),
            ("measurement", Text),
            ("class", Text),
            ("count", Int),
            ("confidence", Real),
            ("detection_id", Int),
        ],
        Layer::Tracks => &[
            ("track_id", Int),
            ("class", Text),
            ("count", Int),
            ("vel_e_mps", Real),
            ("vel_n_mps", Real),
            ("std_e_m", Real),
            ("std_n_m", Real),
        ],
        Layer::Alerts => &[
            ("alert_id", Text),
            ("event", Text),
            ("rule", Text),
            ("severity", Text),
            ("site", Text),
            ("cause", Text),
            ("state", Text),
            ("who", Text),
            ("detail", Text),
            ("assignee", Text),
            ("text", Text),
            ("raised_utc", Text),
            ("acknowledged_utc", Text),
            ("assigned_utc", Text),
            ("resolved_utc", Text),
        ],
        Layer::Incidents => &[
            ("incident_id", Text),
            ("event", Text),
            ("category", Text),
            ("severity", Text),
            ("state", Text),
            ("who", Text),
            ("occurred_utc", Text),
            ("actors", Text),
            ("killed", Int),
            ("injured", Int),
            ("source", Text),
            ("confidence", Text),
            ("reports", Text),
            ("alerts", Text),
            ("reason", Text),
            ("text", Text),
        ],
        Layer::Reports => &[
            ("report_id", Text),
            ("event", Text),
            ("channel", Text),
            ("reporter", Text),
            ("category", Text),
            ("people", Int),
            ("occurred_utc", Text),
            ("state", Text),
            ("who", Text),
            ("reason", Text),
            ("near_alerts", Text),
            ("near_tracks", Text),
            ("text", Text),
        ],
        Layer::Dispatches => &[
            ("dispatch_id", Text),
            ("drone", Int),
            ("alert_id", Text),
            ("site", Text),
            ("state", Text),
            ("who", Text),
            ("sent_utc", Text),
            ("text", Text),
        ],
        Layer::Notes => &[("author", Text), ("text", Text)],
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// A time in µs since the epoch as UTC text (null when unknown).
fn utc(time_us: Option<u64>) -> Value {
    time_us.map_or(Value::Null, |us| Value::Text(super::utc_millis(TimeUs(us))))
}

fn count(n: Option<u32>) -> Value {
    n.map_or(Value::Null, |n| Value::Int(i64::from(n)))
}

/// `3, 7` for ids.
fn ids(ids: &[u64]) -> Value {
    let ids: Vec<String> = ids.iter().map(u64::to_string).collect();
    Value::Text(ids.join(", "))
}

fn point(lat_deg: f64, lon_deg: f64) -> Option<Geometry> {
    (lat_deg.is_finite() && lon_deg.is_finite()).then_some(Geometry::Point { lon_deg, lat_deg })
}

// Long: one pass over the journal's records that builds every layer, so that a large session is read once.
/// Builds the features of `layers` from records (in journal order); `progress(done, total)`.
pub fn build(
    records: &[(u64, JournalRecord)],
    layers: &[Layer],
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<Feature> {
    let want = |layer: Layer| layers.contains(&layer);
    let mut features = Vec::new();
    // Paths: per drone, its states' positions in time order.
    let mut paths: BTreeMap<u8, (Vec<[f64; 3]>, Vec<TimeUs>)> = BTreeMap::new();
    let total = records.len() as u64;
    for (index, (seq, record)) in records.iter().enumerate() {
        if index % 1024 == 0 {
            progress(index as u64, total);
        }
        let time = record.time();
        let id = |prefix: &str| format!("{prefix}-{seq}");
        match record {
            JournalRecord::VehicleState(s) => {
                if want(Layer::Paths) {
                    let path = paths.entry(s.sysid).or_default();
                    path.0
                        .push([s.lon_deg, s.lat_deg, s.alt_msl_m.unwrap_or(f64::NAN)]);
                    path.1.push(time);
                }
                if want(Layer::Footprints)
                    && let Some(outline) = s.footprint.as_ref().filter(|o| o.len() >= 3)
                {
                    let mut ring: Vec<[f64; 2]> = outline.clone();
                    if let Some(first) = ring.first().copied() {
                        ring.push(first);
                    }
                    features.push(Feature {
                        layer: Layer::Footprints,
                        id: id("footprint"),
                        time,
                        end: None,
                        geometry: Geometry::Polygon(ring),
                        values: vec![
                            Value::Int(i64::from(s.sysid)),
                            Value::opt_real(s.footprint_area_m2),
                            Value::opt_real(s.alt_msl_m),
                        ],
                        vertex_times: Vec::new(),
                    });
                }
            }
            JournalRecord::Detection(d) if want(Layer::Detections) => {
                let (Some(lat), Some(lon)) = (d.lat_deg, d.lon_deg) else {
                    continue;
                };
                let Some(geometry) = point(lat, lon) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Detections,
                    id: id("detection"),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        Value::Text(format!("{}/{}", d.sysid, d.compid)),
                        text(&d.sensor_kind),
                        text(&d.measurement),
                        text(&d.class),
                        Value::Int(i64::from(d.count)),
                        Value::Real(d.confidence),
                        Value::Int(i64::from(d.detection_id)),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Track(t) if want(Layer::Tracks) => {
                let Some(geometry) = point(t.lat_deg, t.lon_deg) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Tracks,
                    id: format!("track-{}-{seq}", t.track_id),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        Value::Int(i64::try_from(t.track_id).unwrap_or(i64::MAX)),
                        text(&t.class),
                        t.count.map_or(Value::Null, |c| Value::Int(i64::from(c))),
                        Value::Real(t.vel_e_mps),
                        Value::Real(t.vel_n_mps),
                        Value::Real(t.std_e_m),
                        Value::Real(t.std_n_m),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Alert(a) if want(Layer::Alerts) => {
                let Some(geometry) = point(a.lat_deg, a.lon_deg) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Alerts,
                    id: id("alert"),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        text(&a.alert_id),
                        text(&a.event),
                        text(&a.rule),
                        text(&a.severity),
                        text(&a.site),
                        text(&a.cause),
                        text(&a.state),
                        text(&a.who),
                        text(&a.detail),
                        text(&a.assignee),
                        text(&a.text),
                        utc(a.raised_us),
                        utc(a.acknowledged_us),
                        utc(a.assigned_us),
                        utc(a.resolved_us),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Incident(i) if want(Layer::Incidents) => {
                let Some(geometry) = point(i.lat_deg, i.lon_deg) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Incidents,
                    id: id("incident"),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        text(&i.incident_id),
                        text(&i.event),
                        text(&i.category),
                        text(&i.severity),
                        text(&i.state),
                        text(&i.who),
                        utc(i.occurred_us),
                        text(&i.actors),
                        count(i.killed),
                        count(i.injured),
                        text(&i.source),
                        text(&i.confidence),
                        ids(&i.reports),
                        ids(&i.alerts),
                        text(&i.reason),
                        text(&i.text),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Report(r) if want(Layer::Reports) => {
                let Some(geometry) = r.lat_deg.zip(r.lon_deg).and_then(|(a, o)| point(a, o)) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Reports,
                    id: id("report"),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        text(&r.report_id),
                        text(&r.event),
                        text(&r.channel),
                        text(&r.reporter),
                        text(&r.category),
                        count(r.people),
                        utc(r.occurred_us),
                        text(&r.state),
                        text(&r.who),
                        text(&r.reason),
                        ids(&r.alerts),
                        ids(&r.tracks),
                        text(&r.text),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Dispatch(d) if want(Layer::Dispatches) => {
                let Some(geometry) = point(d.lat_deg, d.lon_deg) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Dispatches,
                    id: id("dispatch"),
                    time,
                    end: None,
                    geometry,
                    values: vec![
                        text(&d.dispatch_id),
                        Value::Int(i64::from(d.drone)),
                        text(d.alert_id.as_deref().unwrap_or_default()),
                        text(&d.site),
                        text(&d.state),
                        text(&d.who),
                        utc(Some(d.sent_us)),
                        text(&d.text),
                    ],
                    vertex_times: Vec::new(),
                });
            }
            JournalRecord::Note(n) if want(Layer::Notes) => {
                let Some(geometry) = n.lat_deg.zip(n.lon_deg).and_then(|(a, o)| point(a, o)) else {
                    continue;
                };
                features.push(Feature {
                    layer: Layer::Notes,
                    id: id("note"),
                    time,
                    end: None,
                    geometry,
                    values: vec![text(&n.author), text(&n.text)],
                    vertex_times: Vec::new(),
                });
            }
            _ => {}
        }
    }
    for (sysid, (vertices, times)) in paths {
        if vertices.len() < 2 {
            continue;
        }
        let (Some(first), Some(last)) = (times.first().copied(), times.last().copied()) else {
            continue;
        };
        features.push(Feature {
            layer: Layer::Paths,
            id: format!("vehicle-{sysid}"),
            time: first,
            end: Some(last),
            values: vec![
                Value::Int(i64::from(sysid)),
                Value::Text(super::utc_millis(last)),
                Value::Int(vertices.len() as i64),
            ],
            geometry: Geometry::Line(vertices),
            vertex_times: times,
        });
    }
    features.sort_by_key(|f| f.layer);
    progress(total, total);
    features
}
