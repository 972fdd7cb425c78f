//! What the console reads from files, kept apart from the console (which needs egui) so that
//! it builds, and is fuzzed, without the `console` feature: the settings file's contents and
//! the vector basemap's GeoJSON. `console::settings` and `console::basemap` re-export these
//! and add what touches the disk or the screen.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
    pub fn entries(&mut self) -> [(&'static str, &mut bool); 17] {
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
pub const DEMO_AREA_GEOJSON: &str = include_str!("../assets/demo/area.geojson");

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

    /// Reads a GeoJSON FeatureCollection of Points, LineStrings, Polygons and their Multi forms.
    /// A feature Vigil cannot draw is an error naming the feature, not a silent gap.
    pub fn parse(text: &str, origin: &str) -> Result<Self, BasemapError> {
        let bad = |at: String, problem: &str| BasemapError {
            origin: origin.to_owned(),
            at,
            problem: problem.to_owned(),
        };
        let doc: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| bad(format!("line {}", e.line()), &e.to_string()))?;
        let features = doc
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or_else(|| bad("top level".into(), "no \"features\" array"))?;
        let mut out = Self::default();
        for (index, feature) in features.iter().enumerate() {
            let props = feature.get("properties");
            let prop = |key: &str| props.and_then(|p| p.get(key)).and_then(|v| v.as_str());
            let at = match prop("name") {
                Some(name) => format!("feature {index} ({name})"),
                None => format!("feature {index}"),
            };
            let kind = FeatureKind::from_layer(prop("layer").unwrap_or(""));
            let name = prop("name").map(str::to_owned);
            let geometry = feature
                .get("geometry")
                .ok_or_else(|| bad(at.clone(), "no geometry"))?;
            let gtype = geometry
                .get("type")
                .and_then(|t| t.as_str())
                .ok_or_else(|| bad(at.clone(), "geometry without a type"))?;
            let coords = geometry
                .get("coordinates")
                .ok_or_else(|| bad(at.clone(), "geometry without coordinates"))?;
            let mut push = |points_deg: Vec<(f64, f64)>, closed: bool| {
                out.features.push(BaseFeature {
                    kind,
                    name: name.clone(),
                    points_deg,
                    closed,
                });
            };
            let position = |v: &serde_json::Value| -> Result<(f64, f64), BasemapError> {
                let pair = v.as_array().filter(|a| a.len() >= 2);
                let lon = pair.and_then(|a| a[0].as_f64());
                let lat = pair.and_then(|a| a[1].as_f64());
                match (lat, lon) {
                    (Some(lat), Some(lon))
                        if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
                    {
                        Ok((lat, lon))
                    }
                    _ => Err(bad(
                        at.clone(),
                        "a position must be [longitude, latitude] in degrees",
                    )),
                }
            };
            let line = |v: &serde_json::Value| -> Result<Vec<(f64, f64)>, BasemapError> {
                v.as_array()
                    .ok_or_else(|| bad(at.clone(), "expected an array of positions"))?
                    .iter()
                    .map(position)
                    .collect()
            };
            let array = |v: &serde_json::Value| -> Result<Vec<serde_json::Value>, BasemapError> {
                v.as_array()
                    .cloned()
                    .ok_or_else(|| bad(at.clone(), "expected an array"))
            };
            match gtype {
                "Point" => push(vec![position(coords)?], false),
                "MultiPoint" => {
                    for p in array(coords)? {
                        push(vec![position(&p)?], false);
                    }
                }
                "LineString" => push(line(coords)?, false),
                "MultiLineString" => {
                    for l in array(coords)? {
                        push(line(&l)?, false);
                    }
                }
                "Polygon" => {
                    for ring in array(coords)? {
                        push(line(&ring)?, true);
                    }
                }
                "MultiPolygon" => {
                    for polygon in array(coords)? {
                        for ring in array(&polygon)? {
                            push(line(&ring)?, true);
                        }
                    }
                }
                other => return Err(bad(at, &format!("unsupported geometry type {other}"))),
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

fn bounds<'a>(points: impl Iterator<Item = &'a (f64, f64)>) -> Option<(f64, f64, f64, f64)> {
    points.fold(None, |acc, &(lat, lon)| {
        Some(match acc {
            None => (lat, lon, lat, lon),
            Some((a, b, c, d)) => (a.min(lat), b.min(lon), c.max(lat), d.max(lon)),
        })
    })
}
