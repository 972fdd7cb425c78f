//! What the console reads from files, kept apart from the console (which needs egui) so that
//! it builds, and is fuzzed, without the `console` feature: the settings file's contents and
//! the vector basemap's GeoJSON. `console::settings` and `console::basemap` re-export these
//! and add what touches the disk or the screen.

use std::path::PathBuf;

use geojson::{GeometryValue, JsonValue, Position};
use serde::{Deserialize, Serialize};
use vigil_core::geojson_file::{GeoJsonFault, read_feature_collection};

/// Night (dark, low glare) or day (light, for sunlight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Theme {
    #[default]
    Night,
    Day,
}

/// Each map layer can be switched on and off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layers {
    pub basemap: bool,
    pub tiles: bool,
    pub drones: bool,
    pub trails: bool,
    pub footprints: bool,
    pub missions: bool,
    pub geofence: bool,
    pub sensors: bool,
    pub sensor_ranges: bool,
    pub tracks: bool,
    pub track_uncertainty: bool,
    /// Where movers from outside are heading: their predicted paths and times of arrival.
    pub approaches: bool,
    pub sites: bool,
    pub site_buffers: bool,
    pub alerts: bool,
    pub coverage: bool,
    pub incidents: bool,
    pub grid_labels: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Self {
            basemap: true,
            tiles: true,
            drones: true,
            trails: true,
            footprints: true,
            missions: true,
            geofence: true,
            sensors: true,
            sensor_ranges: true,
            tracks: true,
            track_uncertainty: true,
            approaches: true,
            sites: true,
            site_buffers: true,
            alerts: true,
            coverage: false,
            incidents: true,
            grid_labels: false,
        }
    }
}

impl Layers {
    /// Every layer with its label, for the layer menu (and the GUI tests, which click by label).
    pub fn entries(&mut self) -> [(&'static str, &mut bool); 18] {
        [
            ("Basemap", &mut self.basemap),
            ("Map tiles", &mut self.tiles),
            ("Drones", &mut self.drones),
            ("Trails", &mut self.trails),
            ("Camera footprints", &mut self.footprints),
            ("Missions", &mut self.missions),
            ("Geofence", &mut self.geofence),
            ("Sensor nodes", &mut self.sensors),
            ("Sensor ranges", &mut self.sensor_ranges),
            ("Tracks", &mut self.tracks),
            ("Track uncertainty", &mut self.track_uncertainty),
            ("Predicted approaches", &mut self.approaches),
            ("Protected sites", &mut self.sites),
            ("Site buffers", &mut self.site_buffers),
            ("Alerts", &mut self.alerts),
            ("Coverage", &mut self.coverage),
            ("Incidents & reports", &mut self.incidents),
            ("MGRS grid", &mut self.grid_labels),
        ]
    }
}

/// Which side panels are open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelsShown {
    pub vehicles: bool,
    pub details: bool,
    pub messages: bool,
    pub links: bool,
    pub plots: bool,
    pub planner: bool,
}

impl Default for PanelsShown {
    fn default() -> Self {
        Self {
            vehicles: true,
            details: true,
            messages: true,
            links: false,
            plots: false,
            planner: false,
        }
    }
}

/// Where map tiles come from, besides the vector basemap that is always there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub enum TileChoice {
    /// The vector basemap only: works offline with nothing installed.
    #[default]
    None,
    /// A folder of `z/x/y.png` (or .jpg) tiles, as exported by QGIS, MOBAC or gdal2tiles.
    Folder(PathBuf),
    /// An XYZ tile server URL with `{z}`, `{x}`, `{y}`; tiles are cached on disk.
    Server(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub theme: Theme,
    /// Interface scale (egui zoom factor).
    pub ui_scale: f32,
    pub layers: Layers,
    pub panels: PanelsShown,
    pub tiles: TileChoice,
    /// Last map view: latitude, longitude (degrees) and zoom.
    pub map_view: Option<(f64, f64, f64)>,
    pub audio: bool,
    /// Trail length kept per drone, seconds.
    pub trail_s: f64,
    /// Operator name, written beside what they acknowledge or annotate.
    pub operator: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            theme: Theme::Night,
            ui_scale: 1.0,
            layers: Layers::default(),
            panels: PanelsShown::default(),
            tiles: TileChoice::None,
            map_view: None,
            audio: true,
            trail_s: 300.0,
            operator: std::env::var("USER").unwrap_or_else(|_| "operator".to_owned()),
        }
    }
}

impl Settings {
    /// Reads the settings file's JSON; out-of-range numbers are brought into range. The
    /// error's `line()` is where the JSON goes wrong.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let mut settings: Self = serde_json::from_str(text)?;
        settings.ui_scale = settings.ui_scale.clamp(0.5, 3.0);
        settings.trail_s = settings.trail_s.clamp(0.0, 3600.0);
        Ok(settings)
    }
}

/// A basemap feature Vigil cannot draw: the file (or origin), the feature and the problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {at}: {problem}")]
pub struct BasemapError {
    pub origin: String,
    pub at: String,
    pub problem: String,
}

/// The built-in basemap of the fictional demo area.
pub const DEMO_AREA_GEOJSON: &str = include_str!("../../../assets/demo/area.geojson");

/// What a basemap feature is, from its `layer` property; decides how it is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    Road,
    Track,
    River,
    Water,
    Settlement,
    Field,
    Forest,
    Landmark,
    Other,
}

impl FeatureKind {
    fn from_layer(layer: &str) -> Self {
        match layer {
            "road" | "main_road" | "highway" => Self::Road,
            "track" | "path" | "footpath" => Self::Track,
            "river" | "stream" => Self::River,
            "lake" | "water" | "water_body" => Self::Water,
            "village" | "camp" | "town" | "settlement" | "built_up" => Self::Settlement,
            "field" | "farmland" | "cropland" => Self::Field,
            "forest" | "bush" | "wood" => Self::Forest,
            "market" | "clinic" | "school" | "water_point" | "well" | "landmark" => Self::Landmark,
            _ => Self::Other,
        }
    }
}

/// One basemap feature in degrees: a point, a line or a polygon ring.
#[derive(Debug, Clone)]
pub struct BaseFeature {
    pub kind: FeatureKind,
    pub name: Option<String>,
    /// `(lat_deg, lon_deg)` vertices; one for a point.
    pub points_deg: Vec<(f64, f64)>,
    pub closed: bool,
}

/// The vector basemap: features and their bounding box.
#[derive(Debug, Clone, Default)]
pub struct VectorBasemap {
    pub features: Vec<BaseFeature>,
    /// `(min_lat, min_lon, max_lat, max_lon)` in degrees.
    pub bounds_deg: Option<(f64, f64, f64, f64)>,
}

impl VectorBasemap {
    pub fn demo() -> Self {
        // The built-in file is part of the build and checked by a test below.
        Self::parse(DEMO_AREA_GEOJSON, "assets/demo/area.geojson").unwrap_or_default()
    }

    /// Reads a GeoJSON FeatureCollection of Points, LineStrings, Polygons and their Multi forms
    /// (the `geojson` crate reads the structure). A feature Vigil cannot draw is an error naming
    /// the feature, not a silent gap; a structural error also names the member
    /// (`geometry.coordinates[1][1]`) and the line and column.
    pub fn parse(text: &str, origin: &str) -> Result<Self, BasemapError> {
        let bad = |at: String, problem: &str| BasemapError {
            origin: origin.to_owned(),
            at,
            problem: problem.to_owned(),
        };
        let collection = read_feature_collection(text).map_err(|fault| match fault {
            GeoJsonFault::NotJson { line, reason } => bad(format!("line {line}"), &reason),
            GeoJsonFault::Structure {
                feature,
                field: member,
                reason,
            } => {
                let at = match &feature {
                    None => "top level".to_owned(),
                    Some((index, raw)) => feature_label(
                        *index,
                        raw.pointer("/properties/name").and_then(JsonValue::as_str),
                    ),
                };
                if member.is_empty() {
                    bad(at, &reason)
                } else {
                    bad(at, &format!("{member}: {reason}"))
                }
            }
        })?;
        let mut out = Self::default();
        for (index, feature) in collection.features.iter().enumerate() {
            let prop = |key: &str| feature.property(key).and_then(JsonValue::as_str);
            let at = feature_label(index, prop("name"));
            let kind = FeatureKind::from_layer(prop("layer").unwrap_or(""));
            let name = prop("name").map(str::to_owned);
            let geometry = feature
                .geometry
                .as_ref()
                .ok_or_else(|| bad(at.clone(), "no geometry"))?;
            let mut push = |points_deg: Vec<(f64, f64)>, closed: bool| {
                out.features.push(BaseFeature {
                    kind,
                    name: name.clone(),
                    points_deg,
                    closed,
                });
            };
            let position = |p: &Position| -> Result<(f64, f64), BasemapError> {
                match p.as_slice() {
                    [lon, lat, ..]
                        if (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon) =>
                    {
                        Ok((*lat, *lon))
                    }
                    _ => Err(bad(
                        at.clone(),
                        "a position must be [longitude, latitude] in degrees",
                    )),
                }
            };
            let line = |positions: &[Position]| -> Result<Vec<(f64, f64)>, BasemapError> {
                positions.iter().map(position).collect()
            };
            match &geometry.value {
                GeometryValue::Point { coordinates } => push(vec![position(coordinates)?], false),
                GeometryValue::MultiPoint { coordinates } => {
                    for p in coordinates {
                        push(vec![position(p)?], false);
                    }
                }
                GeometryValue::LineString { coordinates } => push(line(coordinates)?, false),
                GeometryValue::MultiLineString { coordinates } => {
                    for l in coordinates {
                        push(line(l)?, false);
                    }
                }
                GeometryValue::Polygon { coordinates } => {
                    for ring in coordinates {
                        push(line(ring)?, true);
                    }
                }
                GeometryValue::MultiPolygon { coordinates } => {
                    for ring in coordinates.iter().flatten() {
                        push(line(ring)?, true);
                    }
                }
                other => {
                    return Err(bad(
                        at,
                        &format!("unsupported geometry type {}", other.type_name()),
                    ));
                }
            }
        }
        out.bounds_deg = bounds(out.features.iter().flat_map(|f| f.points_deg.iter()));
        Ok(out)
    }

    pub fn centre_deg(&self) -> Option<(f64, f64)> {
        self.bounds_deg
            .map(|(a, b, c, d)| ((a + c) / 2.0, (b + d) / 2.0))
    }
}

/// `feature 3`, `feature 3 (Bridge)`: how errors name a feature.
fn feature_label(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("feature {index} ({name})"),
        None => format!("feature {index}"),
    }
}

fn bounds<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> Option<(f64, f64, f64, f64)> {
    points.fold(None, |acc, &(lat, lon)| {
        Some(match acc {
            None => (lat, lon, lat, lon),
            Some((a, b, c, d)) => (a.min(lat), b.min(lon), c.max(lat), d.max(lon)),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        VectorBasemap::parse(text, "area.geojson")
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_demo_basemap_parses() {
        let map = VectorBasemap::parse(DEMO_AREA_GEOJSON, "area").expect("valid");
        assert!(map.features.len() >= 39, "{}", map.features.len());
        assert!(map.bounds_deg.is_some());
    }

    #[test]
    fn every_geometry_is_read_and_bad_features_are_named() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"layer":"well"},"geometry":{"type":"MultiPoint","coordinates":[[30,10],[30.1,10.1]]}},
            {"type":"Feature","properties":{"layer":"road","name":"N1"},"geometry":{"type":"MultiLineString","coordinates":[[[30,10],[31,11]]]}},
            {"type":"Feature","properties":{"layer":"lake"},"geometry":{"type":"MultiPolygon","coordinates":[[[[30,10],[30.1,10],[30,10.1],[30,10]]]]}}]}"#;
        let map = VectorBasemap::parse(text, "area.geojson").expect("valid");
        assert_eq!(map.features.len(), 4);
        assert_eq!(map.features[2].kind, FeatureKind::Road);
        assert_eq!(map.features[2].name.as_deref(), Some("N1"));
        assert!(map.features[3].closed);
        assert_eq!(map.bounds_deg, Some((10.0, 30.0, 11.0, 31.0)));

        assert_eq!(
            error("{\"features\": ["),
            "area.geojson: line 1: EOF while parsing a list at line 1 column 14"
        );
        assert_eq!(
            error(r#"{"features": []}"#),
            "area.geojson: top level: missing field `type` at line 1 column 16"
        );
        let message = error(&text.replace("[31,11]", "[31,\"x\"]"));
        assert!(
            message.starts_with(
                "area.geojson: feature 1 (N1): geometry.coordinates[0][1][1]: invalid type: \
                 string \"x\", expected f64 at line 3"
            ),
            "{message}"
        );
        assert_eq!(
            error(&text.replace("[31,11]", "[31,91]")),
            "area.geojson: feature 1 (N1): a position must be [longitude, latitude] in degrees"
        );
        assert_eq!(
            error(&text.replace(
                r#"{"type":"MultiPoint","coordinates":[[30,10],[30.1,10.1]]}"#,
                r#"{"type":"GeometryCollection","geometries":[]}"#
            )),
            "area.geojson: feature 0: unsupported geometry type GeometryCollection"
        );
    }
}
