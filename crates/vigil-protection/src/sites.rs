//! Protected places and restricted areas, read from GeoJSON: what they are, how many people
//! live or gather there, and the protection buffer around each, computed with `geo`'s
//! [`Buffer`](::geo::Buffer) in a local metric plane (the buffer is a distance in metres, which
//! latitude and longitude are not).
//!
//! # The file (RFC 7946 FeatureCollection, WGS84 longitude-latitude)
//! Each feature's `properties`:
//! - `name` (string, required);
//! - `category` (string, required): `village`, `camp`, `school`, `clinic`, `market`,
//!   `water_point`, `other` for protected places; `restricted` and `no_fly` for areas;
//! - `population` (non-negative integer, optional): people who live or gather there;
//! - `buffer_m` (number ≥ 0, optional; default by category, see [`default_buffer_m`]);
//! - `sensitive` (boolean, optional, false by default): the place's position is itself
//!   protected information ([`super::redact`] coarsens it).
//!
//! Geometry: `Point`, `Polygon` (its exterior ring; holes are ignored) or `MultiPolygon`.
//! Restricted and no-fly areas must be polygons. A feature's optional `id` member names it in
//! errors beside its index.
//!
//! The `geojson` crate reads the structure (RFC 7946 types, coordinates as numbers); a file
//! that does not have it is refused with the feature's index, the member's path inside it
//! (`geometry.coordinates[0][2][1]`) and the line and column. What the file means (the
//! properties, the category, positions in range, closed rings) is checked here.

use std::path::Path;

use ::geo::{Buffer, Coord, LineString, MultiPolygon, Point, Polygon};
use geojson::{GeometryValue, JsonObject, JsonValue, Position, feature::Id};

use super::{LatLon, ProtectionError};
use vigil_core::geodesy::{Geodetic, LocalFrame};
use vigil_core::geojson_file::{GeoJsonFault, read_feature_collection};

/// What kind of place a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SiteCategory {
    Village,
    Camp,
    School,
    Clinic,
    Market,
    WaterPoint,
    Other,
}

impl SiteCategory {
    pub fn label(self) -> &'static str {
        match self {
            Self::Village => "village",
            Self::Camp => "camp",
            Self::School => "school",
            Self::Clinic => "clinic",
            Self::Market => "market",
            Self::WaterPoint => "water_point",
            Self::Other => "other",
        }
    }

    /// Whether people live there (and so are at home there at night too); markets, schools,
    /// clinics and water points are visited by day.
    pub fn is_lived_in(self) -> bool {
        matches!(self, Self::Village | Self::Camp)
    }

    /// Whether people are there at night too: where they live, and the clinic (patients
    /// kept overnight, their families, the staff on call). Someone first seen at the health
    /// post at night was there, not come from outside; a market, a school, a water point at
    /// night is nobody's place.
    pub fn is_kept_at_night(self) -> bool {
        self.is_lived_in() || self == Self::Clinic
    }
}

/// What kind of area a restricted area is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AreaKind {
    /// No armed movement on the ground (tracks inside are alerted).
    Restricted,
    /// No drone flight (our drones inside are alerted).
    NoFly,
}

/// The buffer a category gets when its feature gives none, metres.
pub fn default_buffer_m(category: SiteCategory) -> f64 {
    match category {
        SiteCategory::Village => 500.0,
        SiteCategory::Camp => 800.0,
        SiteCategory::Market | SiteCategory::School | SiteCategory::Clinic => 300.0,
        SiteCategory::WaterPoint => 200.0,
        SiteCategory::Other => 200.0,
    }
}

/// Index of a site in [`super::ProtectionView::sites`].
pub type SiteId = u32;

/// A protected place as readers see it (positions in degrees).
#[derive(Debug, Clone, PartialEq)]
pub struct Site {
    pub id: SiteId,
    /// The feature's `id` member, if it had one.
    pub feature_id: Option<String>,
    pub name: String,
    pub category: SiteCategory,
    pub population: Option<u32>,
    pub buffer_m: f64,
    pub sensitive: bool,
    /// The place itself: a ring per polygon (closed), or one point.
    pub outline: Vec<Vec<LatLon>>,
    /// The centre of the place (a point's position, a polygon's vertex mean).
    pub centre: LatLon,
    /// The protection buffer's exterior rings.
    pub buffer: Vec<Vec<LatLon>>,
}

/// A restricted or no-fly area.
#[derive(Debug, Clone, PartialEq)]
pub struct RestrictedArea {
    pub id: u32,
    pub feature_id: Option<String>,
    pub name: String,
    pub kind: AreaKind,
    pub outline: Vec<Vec<LatLon>>,
}

/// A place's geometry in the local plane, metres east and north of the protection frame's
/// origin: what the rules measure against.
#[derive(Debug, Clone)]
pub struct PlaneShape {
    /// Polygons' exterior rings (closed), or one ring of a single point for a point.
    pub rings: Vec<Vec<[f64; 2]>>,
    pub is_point: bool,
    pub centre: [f64; 2],
}

impl PlaneShape {
    /// Distance from a point to the place, 0 inside it.
    pub fn distance_m(&self, p: [f64; 2]) -> f64 {
        let mut best = f64::INFINITY;
        for ring in &self.rings {
            if !self.is_point && point_in_ring(ring, p) {
                return 0.0;
            }
            best = best.min(distance_to_ring_m(ring, p));
        }
        best
    }

    pub fn contains(&self, p: [f64; 2]) -> bool {
        !self.is_point && self.rings.iter().any(|ring| point_in_ring(ring, p))
    }
}

/// Whether a point is inside a ring (closed or not, boundary included): `geo`'s predicate.
pub(crate) use vigil_core::geodesy::point_in_ring;

pub(crate) fn distance_to_segment_m(a: [f64; 2], b: [f64; 2], p: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (p[0] - a[0] - t * dx).hypot(p[1] - a[1] - t * dy)
}

fn distance_to_ring_m(ring: &[[f64; 2]], p: [f64; 2]) -> f64 {
    match ring {
        [] => f64::INFINITY,
        [only] => (p[0] - only[0]).hypot(p[1] - only[1]),
        _ => ring
            .windows(2)
            .map(|w| distance_to_segment_m(w[0], w[1], p))
            .fold(f64::INFINITY, f64::min),
    }
}

/// Sites and areas as read from a file, before they are placed in a plane.
#[derive(Debug, Clone, Default)]
pub struct SiteSet {
    pub sites: Vec<Site>,
    pub areas: Vec<RestrictedArea>,
}

/// The built-in demo's protected places (`assets/demo/sites.geojson`).
pub const DEMO_SITES: &str = include_str!("../../../assets/demo/sites.geojson");
/// The name the built-in file goes by in errors.
pub const DEMO_SITES_NAME: &str = "assets/demo/sites.geojson";

impl SiteSet {
    /// Reads a sites file.
    pub fn load(path: &Path) -> Result<Self, ProtectionError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProtectionError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The built-in demo's sites.
    pub fn demo() -> Self {
        // Part of the build and checked by a test, so it always parses.
        Self::parse(DEMO_SITES, DEMO_SITES_NAME)
            .unwrap_or_else(|err| panic!("the built-in demo sites are invalid: {err}"))
    }

    /// Parses GeoJSON text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, ProtectionError> {
        let bad = |feature: String, field: &str, reason: String| ProtectionError::Feature {
            file: file.to_owned(),
            feature,
            field: field.to_owned(),
            reason,
        };
        let collection =
            read_feature_collection(text).map_err(|fault| structure_error(file, fault))?;
        let mut set = SiteSet::default();
        for (index, feature) in collection.features.into_iter().enumerate() {
            let feature_id = feature.id.as_ref().map(|id| match id {
                Id::String(s) => s.clone(),
                Id::Number(n) => n.to_string(),
            });
            let label = feature_label(index, feature_id.as_deref(), None);
            let props = feature
                .properties
                .as_ref()
                .ok_or_else(|| bad(label.clone(), "properties", "must be an object".into()))?;
            let name = props
                .get("name")
                .and_then(JsonValue::as_str)
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| {
                    bad(
                        label.clone(),
                        "properties.name",
                        "missing or not a non-empty string".into(),
                    )
                })?
                .to_owned();
            let label = feature_label(index, feature_id.as_deref(), Some(&name));
            let category = props
                .get("category")
                .and_then(JsonValue::as_str)
                .ok_or_else(|| {
                    bad(
                        label.clone(),
                        "properties.category",
                        "missing or not a string".into(),
                    )
                })?;
            let geometry = feature
                .geometry
                .as_ref()
                .ok_or_else(|| bad(label.clone(), "geometry", "missing or null".into()))?;
            let (outline, is_point) = read_geometry(&geometry.value)
                .map_err(|reason| bad(label.clone(), "geometry", reason))?;
            let area_kind = match category {
                "restricted" => Some(AreaKind::Restricted),
                "no_fly" => Some(AreaKind::NoFly),
                _ => None,
            };
            if let Some(kind) = area_kind {
                if is_point {
                    return Err(bad(
                        label,
                        "geometry",
                        format!("a {category} area must be a Polygon or MultiPolygon"),
                    ));
                }
                set.areas.push(RestrictedArea {
                    id: set.areas.len() as u32,
                    feature_id,
                    name,
                    kind,
                    outline,
                });
                continue;
            }
            let category = match category {
                "village" => SiteCategory::Village,
                "camp" => SiteCategory::Camp,
                "school" => SiteCategory::School,
                "clinic" => SiteCategory::Clinic,
                "market" => SiteCategory::Market,
                "water_point" => SiteCategory::WaterPoint,
                "other" => SiteCategory::Other,
                other => {
                    return Err(bad(
                        label,
                        "properties.category",
                        format!(
                            "unknown category {other:?}; known: village camp school clinic market \
                             water_point other restricted no_fly"
                        ),
                    ));
                }
            };
            let (population, buffer_m, sensitive) = site_properties(props, category)
                .map_err(|(field, reason)| bad(label.clone(), field, reason))?;
            let centre = centre_of(&outline, is_point);
            set.sites.push(Site {
                id: set.sites.len() as SiteId,
                feature_id,
                name,
                category,
                population,
                buffer_m,
                sensitive,
                outline,
                centre,
                buffer: Vec::new(),
            });
        }
        Ok(set)
    }

    /// The centre of everything, for the local plane's origin.
    pub fn centre(&self) -> Option<LatLon> {
        let points: Vec<LatLon> = self
            .sites
            .iter()
            .flat_map(|s| s.outline.iter().flatten())
            .chain(self.areas.iter().flat_map(|a| a.outline.iter().flatten()))
            .copied()
            .collect();
        if points.is_empty() {
            return None;
        }
        let (mut south, mut north, mut west, mut east) = (90.0f64, -90.0f64, 180.0f64, -180.0f64);
        for p in &points {
            south = south.min(p.lat_deg);
            north = north.max(p.lat_deg);
            west = west.min(p.lon_deg);
            east = east.max(p.lon_deg);
        }
        Some(LatLon {
            lat_deg: (south + north) / 2.0,
            lon_deg: (west + east) / 2.0,
        })
    }
}

/// How errors name a feature: `#3`, `#3 (id w7)`, `#3 (id w7) "Keradu market"`.
fn feature_label(index: usize, id: Option<&str>, name: Option<&str>) -> String {
    let mut label = format!("#{index}");
    if let Some(id) = id {
        label.push_str(&format!(" (id {id})"));
    }
    if let Some(name) = name {
        label.push_str(&format!(" \"{name}\""));
    }
    label
}

pub(crate) fn read_position(position: &Position) -> Result<LatLon, String> {
    let (lon_deg, lat_deg) = match position.as_slice() {
        [lon, lat, ..] => (*lon, *lat),
        other => {
            return Err(format!("{other:?} is not a [longitude, latitude] position"));
        }
    };
    if !((-90.0..=90.0).contains(&lat_deg) && (-180.0..=180.0).contains(&lon_deg)) {
        return Err(format!(
            "{:?} is not a [longitude, latitude] position in degrees",
            position.as_slice()
        ));
    }
    Ok(LatLon { lat_deg, lon_deg })
}

fn read_ring(ring: &[Position]) -> Result<Vec<LatLon>, String> {
    let ring = ring
        .iter()
        .map(read_position)
        .collect::<Result<Vec<_>, _>>()?;
    if ring.len() < 4 || ring.first() != ring.last() {
        return Err(format!(
            "a polygon ring needs at least 4 positions, the last equal to the first (has {})",
            ring.len()
        ));
    }
    Ok(ring)
}

/// A polygon's exterior ring (holes are ignored).
fn read_polygon(rings: &[Vec<Position>]) -> Result<Vec<LatLon>, String> {
    let exterior = rings
        .first()
        .ok_or_else(|| "a Polygon's coordinates must be a non-empty array of rings".to_owned())?;
    read_ring(exterior)
}

/// The rings of a geometry, and whether it is a point.
fn read_geometry(geometry: &GeometryValue) -> Result<(Vec<Vec<LatLon>>, bool), String> {
    match geometry {
        GeometryValue::Point { coordinates } => Ok((vec![vec![read_position(coordinates)?]], true)),
        GeometryValue::Polygon { coordinates } => Ok((vec![read_polygon(coordinates)?], false)),
        GeometryValue::MultiPolygon { coordinates } => {
            if coordinates.is_empty() {
                return Err("a MultiPolygon's coordinates must be a non-empty array".to_owned());
            }
            let polygons = coordinates
                .iter()
                .map(|polygon| read_polygon(polygon))
                .collect::<Result<Vec<_>, _>>()?;
            Ok((polygons, false))
        }
        other => Err(format!(
            "type {:?} is not supported (Point, Polygon or MultiPolygon)",
            other.type_name()
        )),
    }
}

/// A place in the plane of `frame`.
pub(crate) fn plane_shape(
    frame: &LocalFrame,
    outline: &[Vec<LatLon>],
    is_point: bool,
) -> PlaneShape {
    let rings: Vec<Vec<[f64; 2]>> = outline
        .iter()
        .map(|ring| ring.iter().map(|p| enu_of(frame, *p)).collect())
        .collect();
    let all: Vec<&[f64; 2]> = rings
        .iter()
        .flat_map(|r| {
            r.iter()
                .take(r.len().saturating_sub(usize::from(!is_point)))
        })
        .collect();
    let n = all.len().max(1) as f64;
    let centre = [
        all.iter().map(|p| p[0]).sum::<f64>() / n,
        all.iter().map(|p| p[1]).sum::<f64>() / n,
    ];
    PlaneShape {
        rings,
        is_point,
        centre,
    }
}

pub(crate) fn enu_of(frame: &LocalFrame, p: LatLon) -> [f64; 2] {
    frame.en_m(&Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0))
}

pub(crate) fn latlon_of(frame: &LocalFrame, p: [f64; 2]) -> LatLon {
    let g = frame.surface_at_en_m(p);
    LatLon {
        lat_deg: g.lat_deg(),
        lon_deg: g.lon_deg(),
    }
}

/// The buffer of a place in the plane: every point within `buffer_m` of it.
/// Points along a closed ring, `spacing_m` apart: where the patrol planner puts its approach
/// points and where coverage looks for a site's approaches.
pub(crate) fn along(ring: &[[f64; 2]], spacing_m: f64) -> Vec<[f64; 2]> {
    let mut out = Vec::new();
    let mut carry = 0.0;
    for pair in ring.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let len = (b[0] - a[0]).hypot(b[1] - a[1]);
        let mut t = carry;
        while t < len {
            let f = t / len;
            out.push([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f]);
            t += spacing_m;
        }
        carry = t - len;
    }
    out
}

pub(crate) fn buffer_rings(shape: &PlaneShape, buffer_m: f64) -> Vec<Vec<[f64; 2]>> {
    let coords = |ring: &[[f64; 2]]| -> LineString<f64> {
        LineString::new(ring.iter().map(|p| Coord { x: p[0], y: p[1] }).collect())
    };
    let buffered: MultiPolygon<f64> = if shape.is_point {
        let c = shape
            .rings
            .first()
            .and_then(|r| r.first())
            .copied()
            .unwrap_or(shape.centre);
        if buffer_m <= 0.0 {
            return vec![vec![c]];
        }
        Point::new(c[0], c[1]).buffer(buffer_m)
    } else {
        let polygons: Vec<Polygon<f64>> = shape
            .rings
            .iter()
            .map(|ring| Polygon::new(coords(ring), Vec::new()))
            .collect();
        if buffer_m <= 0.0 {
            return shape.rings.clone();
        }
        MultiPolygon::new(polygons).buffer(buffer_m)
    };
    buffered
        .0
        .iter()
        .map(|polygon| polygon.exterior().0.iter().map(|c| [c.x, c.y]).collect())
        .collect()
}

/// A GeoJSON file's structural fault, named by file, feature and field.
pub(crate) fn structure_error(file: &str, fault: GeoJsonFault) -> ProtectionError {
    match fault {
        GeoJsonFault::NotJson { line, reason } => ProtectionError::Json {
            file: file.to_owned(),
            line,
            reason,
        },
        GeoJsonFault::Structure {
            feature,
            field,
            reason,
        } => {
            let label = match feature {
                None => "(root)".to_owned(),
                Some((index, raw)) => {
                    let id = raw.get("id").and_then(|id| match id {
                        JsonValue::String(s) => Some(s.clone()),
                        JsonValue::Number(n) => Some(n.to_string()),
                        _ => None,
                    });
                    let name = raw.pointer("/properties/name").and_then(JsonValue::as_str);
                    feature_label(index, id.as_deref(), name)
                }
            };
            let field = if field.is_empty() { "(object)" } else { &field };
            ProtectionError::Feature {
                file: file.to_owned(),
                feature: label,
                field: field.to_owned(),
                reason,
            }
        }
    }
}

/// A site's population, buffer (metres) and sensitivity from its properties; on error, the
/// field and why.
fn site_properties(
    props: &JsonObject,
    category: SiteCategory,
) -> Result<(Option<u32>, f64, bool), (&'static str, String)> {
    let population = match props.get("population") {
        None | Some(JsonValue::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(|| {
                    (
                        "properties.population",
                        format!("{value} is not a non-negative whole number"),
                    )
                })?,
        ),
    };
    let buffer_m = match props.get("buffer_m") {
        None | Some(JsonValue::Null) => default_buffer_m(category),
        Some(value) => value
            .as_f64()
            .filter(|b| b.is_finite() && (0.0..=50_000.0).contains(b))
            .ok_or_else(|| {
                (
                    "properties.buffer_m",
                    format!("{value} is not a distance in metres from 0 to 50000"),
                )
            })?,
    };
    let sensitive = match props.get("sensitive") {
        None | Some(JsonValue::Null) => false,
        Some(JsonValue::Bool(b)) => *b,
        Some(value) => {
            return Err((
                "properties.sensitive",
                format!("{value} is not true or false"),
            ));
        }
    };
    Ok((population, buffer_m, sensitive))
}

/// A site's centre: its point, or the mean of its outline's vertices (the closing vertex of
/// each ring left out).
fn centre_of(outline: &[Vec<LatLon>], is_point: bool) -> LatLon {
    if is_point {
        return outline[0][0];
    }
    let vertices: Vec<&LatLon> = outline
        .iter()
        .flat_map(|ring| ring.iter().take(ring.len().saturating_sub(1)))
        .collect();
    let n = vertices.len().max(1) as f64;
    LatLon {
        lat_deg: vertices.iter().map(|p| p.lat_deg).sum::<f64>() / n,
        lon_deg: vertices.iter().map(|p| p.lon_deg).sum::<f64>() / n,
    }
}

#[cfg(test)]
mod geojson_tests {
    use super::*;

    fn error(text: &str) -> String {
        SiteSet::parse(text, "s.geojson")
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn a_file_that_is_not_geojson_is_refused_where_it_breaks() {
        assert_eq!(
            error("not json {"),
            "s.geojson: line 1: not JSON: expected ident at line 1 column 2"
        );
        assert_eq!(
            error(r#"{"type":"Feature","features":[]}"#),
            "s.geojson: feature (root): type: unknown variant `Feature`, expected \
             `FeatureCollection` at line 1 column 17"
        );
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"name":"A","category":"village"},"geometry":{"type":"Point","coordinates":[31,9]}},
            {"type":"Feature","id":"w7","properties":{"name":"B","category":"camp"},
             "geometry":{"type":"Polygon","coordinates":[[[31,9],[31.1,"x"]]]}}]}"#;
        let message = error(text);
        assert!(
            message.starts_with(
                "s.geojson: feature #1 (id w7) \"B\": geometry.coordinates[0][1][1]: \
                 invalid type: string \"x\", expected f64 at line 4"
            ),
            "{message}"
        );
        let message = error(
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"A"},
               "geometry":{"type":"Pointy","coordinates":[31,9]}}]}"#,
        );
        assert!(
            message.starts_with(
                "s.geojson: feature #0 \"A\": geometry.type: unknown variant `Pointy`"
            ),
            "{message}"
        );
    }

    #[test]
    fn geometries_are_read_as_rings_of_positions() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","id":3,"properties":{"name":"A","category":"village"},"geometry":{"type":"Point","coordinates":[31,9,400]}},
            {"type":"Feature","properties":{"name":"B","category":"no_fly"},"geometry":{"type":"MultiPolygon","coordinates":[
                [[[31,9],[31.1,9],[31.1,9.1],[31,9]],[[31.01,9.01],[31.02,9.01],[31.02,9.02],[31.01,9.01]]],
                [[[32,9],[32.1,9],[32.1,9.1],[32,9]]]]}}]}"#;
        let set = SiteSet::parse(text, "s.geojson").expect("valid");
        assert_eq!(set.sites[0].feature_id.as_deref(), Some("3"));
        assert_eq!(
            set.sites[0].centre,
            LatLon {
                lat_deg: 9.0,
                lon_deg: 31.0
            }
        );
        // Holes are ignored: one exterior ring per polygon.
        assert_eq!(set.areas[0].outline.len(), 2);
        assert_eq!(set.areas[0].kind, AreaKind::NoFly);
        let line = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
            "properties":{"name":"Road","category":"other"},"geometry":{"type":"LineString","coordinates":[[31,9],[32,9]]}}]}"#;
        assert_eq!(
            error(line),
            "s.geojson: feature #0 \"Road\": geometry: type \"LineString\" is not supported \
             (Point, Polygon or MultiPolygon)"
        );
        let message = error(&text.replace("[31,9,400]", "[181,9]"));
        assert!(
            message.contains("feature #0 (id 3) \"A\": geometry: [181.0, 9.0] is not a [longitude, latitude] position in degrees"),
            "{message}"
        );
    }
}
