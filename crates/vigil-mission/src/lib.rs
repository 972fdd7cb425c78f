//! Missions and parameters as the files other ground stations write.
//!
//! Operators plan in QGroundControl or Mission Planner and bring the files
//! along; Vigil has to read them exactly as those tools wrote them, and write
//! files those tools load again. This module holds the format-neutral mission
//! model, one error type whose messages always name the file and the place in
//! it, and the choice of format by extension or content. The formats
//! themselves live in [`plan`], [`waypoints`] and [`params_file`]; [`validate()`] checks a
//! mission before it goes to a vehicle.

pub mod estimate;
pub mod params_file;
pub mod plan;
pub mod validate;
pub mod waypoints;

use std::path::Path;

pub use estimate::{FlightEstimate, FlightModel, estimate};
pub use params_file::{load_params, parse_params, save_params, to_params_string};
pub use plan::{parse_plan, to_plan_string};
pub use validate::{Findings, MissionProblem, Place, inspect, validate};
pub use waypoints::{parse_waypoints, to_waypoints_string};

/// One mission item as the MAVLink mission protocol carries it. Numeric frame/command
/// (MAV_FRAME / MAV_CMD) are kept as numbers so that files round-trip losslessly.
#[derive(Debug, Clone, PartialEq)]
pub struct MissionItem {
    /// MAV_FRAME of x/y/z.
    pub frame: u8,
    /// MAV_CMD.
    pub command: u16,
    /// Go on to the next item when this one is done.
    pub autocontinue: bool,
    /// param1..param4 of the command.
    pub params: [f32; 4],
    /// param5/x: latitude in degrees for global frames, otherwise the raw param5.
    pub x: f64,
    /// param6/y: longitude in degrees for global frames, otherwise the raw param6.
    pub y: f64,
    /// param7/z: altitude in metres (relative/AMSL/terrain per frame) or the raw param7.
    pub z: f32,
}

/// A plan as QGroundControl holds it: the planned home (launch) position, the mission items
/// that follow it, the geofence and the rally points. Home is kept apart because ArduPilot
/// stores it as item 0 and PX4 does not. The three lists travel to a vehicle as three
/// transfers of the mission protocol (mission types MISSION, FENCE and RALLY).
///
/// Files have no way to say "no home": both formats write 0°, 0° instead, and
/// a home at exactly 0°, 0° reads back as `None`. Only `.plan` files hold a fence and rally
/// points; saving a mission that has either as `.waypoints` is an error.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mission {
    /// Planned home (launch) position, if the file has one.
    pub home: Option<GeoPoint>,
    /// The mission items after home, in flight order.
    pub items: Vec<MissionItem>,
    /// The geofence; empty when the plan has none.
    pub fence: Fence,
    /// Rally points (safe places to return to instead of home); altitude in metres above
    /// home, as QGroundControl plans them. ArduPilot stores whole metres.
    pub rally: Vec<GeoPoint>,
}

/// A geofence as QGroundControl plans it and the mission protocol's FENCE list carries it:
/// polygons and circles, each either keeping the vehicle inside (inclusion) or out
/// (exclusion), and an optional breach return point (used by ArduPlane).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fence {
    /// Polygons, each of at least three vertices.
    pub polygons: Vec<FencePolygon>,
    /// Circles.
    pub circles: Vec<FenceCircle>,
    /// Where to fly on a breach; altitude in metres above home.
    pub breach_return: Option<GeoPoint>,
}

/// A fence polygon.
#[derive(Debug, Clone, PartialEq)]
pub struct FencePolygon {
    /// True: the vehicle must stay inside; false: it must stay out.
    pub inclusion: bool,
    /// Vertices as (latitude, longitude) in degrees, in order.
    pub vertices: Vec<(f64, f64)>,
}

/// A fence circle.
#[derive(Debug, Clone, PartialEq)]
pub struct FenceCircle {
    /// True: the vehicle must stay inside; false: it must stay out.
    pub inclusion: bool,
    /// Centre as (latitude, longitude) in degrees.
    pub center: (f64, f64),
    /// Radius in metres.
    pub radius_m: f64,
}

impl Fence {
    /// Whether the fence has no polygon, no circle and no return point.
    pub fn is_empty(&self) -> bool {
        self.polygons.is_empty() && self.circles.is_empty() && self.breach_return.is_none()
    }

    /// Items the fence takes in the mission protocol: one per vertex, one per circle and one
    /// for the return point.
    pub fn item_count(&self) -> usize {
        self.vertex_count() + self.circles.len() + usize::from(self.breach_return.is_some())
    }

    /// Vertices of all polygons.
    pub fn vertex_count(&self) -> usize {
        self.polygons.iter().map(|p| p.vertices.len()).sum()
    }

    /// The fence in words, e.g. "a fence of 2 polygons (9 vertices) and 1 circle", or
    /// "no fence".
    pub fn describe(&self) -> String {
        if self.is_empty() {
            return "no fence".to_string();
        }
        let mut parts = Vec::new();
        if !self.polygons.is_empty() {
            parts.push(format!(
                "{} ({})",
                count(self.polygons.len(), "polygon", "polygons"),
                count(self.vertex_count(), "vertex", "vertices")
            ));
        }
        if !self.circles.is_empty() {
            parts.push(count(self.circles.len(), "circle", "circles"));
        }
        if self.breach_return.is_some() {
            parts.push("a breach return point".to_string());
        }
        format!("a fence of {}", join_words(&parts))
    }
}

/// "1 polygon", "2 polygons".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "a", "a and b", "a, b and c".
pub fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// A position on the globe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    /// Latitude in degrees, north positive.
    pub lat_deg: f64,
    /// Longitude in degrees, east positive.
    pub lon_deg: f64,
    /// Altitude in metres (AMSL for a home position).
    pub alt_m: f64,
}

/// Whether x/y/z of a MAV_FRAME are latitude, longitude and altitude.
pub fn is_global_frame(frame: u8) -> bool {
    matches!(frame, 0 | 3 | 5 | 6 | 10 | 11)
}

/// Why a mission or parameter file could not be read or written. Every
/// message names the file and the place in it.
#[derive(Debug, thiserror::Error)]
pub enum MissionFileError {
    /// The file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: String,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// Neither the extension nor the content tells which format the file is in.
    #[error("{path}: {reason}")]
    UnknownFormat {
        /// The file.
        path: String,
        /// What was looked at.
        reason: String,
    },
    /// A line of a text format is wrong as a whole.
    #[error("{origin} line {line}: {message}")]
    Line {
        /// The file (or the name given to the parser).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A column of a text format does not hold the kind of value it must.
    #[error("{origin} line {line}: column {column} ({name}): \"{text}\" is not {expected}")]
    BadColumn {
        /// The file (or the name given to the parser).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// What the column holds.
        name: &'static str,
        /// The text found (clipped).
        text: String,
        /// What it should have been, e.g. "a number".
        expected: &'static str,
    },
    /// A parameter file sets the same parameter twice.
    #[error("{origin} line {line}: parameter {name} is set again (first on line {first_line})")]
    DuplicateParam {
        /// The file (or the name given to the parser).
        origin: String,
        /// The parameter.
        name: String,
        /// Where it was set first.
        first_line: usize,
        /// Where it was set again.
        line: usize,
    },
    /// A JSON file is not well-formed JSON.
    #[error("{origin} line {line}: column {column}: invalid JSON: {message}")]
    Json {
        /// The file (or the name given to the parser).
        origin: String,
        /// 1-based line number.
        line: usize,
        /// 1-based column number.
        column: usize,
        /// What the JSON parser said.
        message: String,
    },
    /// The file's format cannot hold part of the mission (a `.waypoints` file has no
    /// geofence or rally points).
    #[error("{path}: {reason}")]
    CannotHold {
        /// The file.
        path: String,
        /// What the format cannot hold, and what to do instead.
        reason: String,
    },
    /// A .plan file is well-formed JSON but not a plan Vigil can read.
    #[error("{origin}: {at}: {problem}")]
    Plan {
        /// The file (or the name given to the parser).
        origin: String,
        /// JSON path of the offending value, e.g. `mission.items[3]`.
        at: String,
        /// What is wrong, naming the field.
        problem: String,
    },
}

/// The mission file formats Vigil reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Plan,
    Waypoints,
}

/// The format an extension names, if it names one.
fn format_by_extension(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "plan" => Some(Format::Plan),
        "waypoints" | "txt" => Some(Format::Waypoints),
        _ => None,
    }
}

/// The format the content looks like, if it looks like one.
fn format_by_content(text: &str) -> Option<Format> {
    let start = text.trim_start_matches('\u{feff}').trim_start();
    if start.starts_with("QGC WPL") {
        Some(Format::Waypoints)
    } else if start.starts_with('{') {
        Some(Format::Plan)
    } else {
        None
    }
}

/// Reads a mission from a .plan or .waypoints file, choosing the format by
/// extension, or by content when the extension is not a known one.
pub fn load_mission(path: &Path) -> Result<Mission, MissionFileError> {
    let text = read_text(path)?;
    let origin = path.display().to_string();
    let format = format_by_extension(path)
        .or_else(|| format_by_content(&text))
        .ok_or_else(|| MissionFileError::UnknownFormat {
            path: origin.clone(),
            reason: "not a .plan or .waypoints file, and the content starts with neither \
                     \"QGC WPL\" nor \"{\""
                .to_string(),
        })?;
    match format {
        Format::Plan => parse_plan(&text, &origin),
        Format::Waypoints => parse_waypoints(&text, &origin),
    }
}

/// Writes a mission in the format the extension names (`.plan`, or
/// `.waypoints`/`.txt`).
///
/// A `.waypoints` file holds the mission items only. Mission Planner and QGroundControl keep
/// a geofence and rally points elsewhere (a `.plan`, or Mission Planner's separate fence and
/// rally files), so a mission with either is refused for `.waypoints` with an error naming
/// the file, rather than written without them: nothing is written, and the message says to
/// save as `.plan`.
pub fn save_mission(path: &Path, mission: &Mission) -> Result<(), MissionFileError> {
    let text = match format_by_extension(path) {
        Some(Format::Plan) => to_plan_string(mission),
        Some(Format::Waypoints) => {
            check_waypoints_can_hold(path, mission)?;
            to_waypoints_string(mission)
        }
        None => {
            return Err(MissionFileError::UnknownFormat {
                path: path.display().to_string(),
                reason: "cannot tell the mission format to write; name the file .plan or \
                         .waypoints"
                    .to_string(),
            });
        }
    };
    write_text(path, &text)
}

/// An error unless the mission has neither fence nor rally points.
fn check_waypoints_can_hold(path: &Path, mission: &Mission) -> Result<(), MissionFileError> {
    let mut extra = Vec::new();
    if !mission.fence.is_empty() {
        extra.push(mission.fence.describe());
    }
    if !mission.rally.is_empty() {
        extra.push(count(mission.rally.len(), "rally point", "rally points"));
    }
    if extra.is_empty() {
        return Ok(());
    }
    Err(MissionFileError::CannotHold {
        path: path.display().to_string(),
        reason: format!(
            "a .waypoints file holds mission items only, and this mission also has {}; \
             nothing was written: save it as .plan (QGroundControl's format) to keep them",
            join_words(&extra)
        ),
    })
}

/// The whole file as text; bytes that are not UTF-8 become U+FFFD, which the
/// parsers then report where they matter.
fn read_text(path: &Path) -> Result<String, MissionFileError> {
    let bytes = std::fs::read(path).map_err(|error| MissionFileError::Io {
        path: path.display().to_string(),
        error,
    })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn write_text(path: &Path, text: &str) -> Result<(), MissionFileError> {
    std::fs::write(path, text).map_err(|error| MissionFileError::Io {
        path: path.display().to_string(),
        error,
    })
}

/// Longest piece of file content quoted in an error message.
const CLIP_CHARS: usize = 40;

/// File content cut short enough to quote in an error message.
fn clip(text: &str) -> String {
    let mut chars = text.chars();
    let mut short: String = chars.by_ref().take(CLIP_CHARS).collect();
    if chars.next().is_some() {
        short.push_str("...");
    }
    short
}

/// The text without a leading UTF-8 byte order mark.
fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vigil-mission-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn sample() -> Mission {
        Mission {
            home: Some(GeoPoint {
                lat_deg: 47.3977419,
                lon_deg: 8.5455938,
                alt_m: 488.0,
            }),
            items: vec![MissionItem {
                frame: 3,
                command: 16,
                autocontinue: true,
                params: [0.0, 2.0, 0.0, 0.0],
                x: 47.398,
                y: 8.546,
                z: 30.0,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn global_frames_are_the_six_lat_lon_frames() {
        let global: Vec<u8> = (0..=255).filter(|&f| is_global_frame(f)).collect();
        assert_eq!(global, vec![0, 3, 5, 6, 10, 11]);
    }

    #[test]
    fn save_and_load_choose_the_format_by_extension() {
        let dir = scratch_dir("ext");
        for name in ["m.plan", "m.waypoints", "m.txt", "M.PLAN"] {
            let path = dir.join(name);
            save_mission(&path, &sample()).unwrap();
            assert_eq!(load_mission(&path).unwrap(), sample(), "{name}");
        }
        let plan = std::fs::read_to_string(dir.join("m.plan")).unwrap();
        assert!(plan.trim_start().starts_with('{'));
        let wpl = std::fs::read_to_string(dir.join("m.waypoints")).unwrap();
        assert!(wpl.starts_with("QGC WPL 110\n"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_extensions_are_sniffed_by_content() {
        let dir = scratch_dir("sniff");
        let wpl = dir.join("mission.mission");
        std::fs::write(&wpl, to_waypoints_string(&sample())).unwrap();
        assert_eq!(load_mission(&wpl).unwrap(), sample());
        let plan = dir.join("mission.json");
        std::fs::write(&plan, format!("\u{feff}\n  {}", to_plan_string(&sample()))).unwrap();
        assert_eq!(load_mission(&plan).unwrap(), sample());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn unknown_format_names_the_file() {
        let dir = scratch_dir("unknown");
        let path = dir.join("notes.md");
        std::fs::write(&path, "# not a mission\n").unwrap();
        let err = load_mission(&path).unwrap_err();
        assert!(matches!(err, MissionFileError::UnknownFormat { .. }));
        assert!(
            err.to_string()
                .starts_with(&format!("{}: not a .plan", path.display())),
            "{err}"
        );
        let err = save_mission(&dir.join("out.kml"), &sample()).unwrap_err();
        assert!(
            err.to_string()
                .contains("out.kml: cannot tell the mission format"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn io_errors_name_the_path() {
        let path = Path::new("/nonexistent-vigil-dir/mission.plan");
        let err = load_mission(path).unwrap_err();
        assert!(matches!(&err, MissionFileError::Io { error, .. }
            if error.kind() == std::io::ErrorKind::NotFound));
        assert!(
            err.to_string()
                .starts_with("/nonexistent-vigil-dir/mission.plan: "),
            "{err}"
        );
        let err = save_mission(path, &sample()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("/nonexistent-vigil-dir/mission.plan: "),
            "{err}"
        );
    }

    #[test]
    fn clip_shortens_long_quotes_on_char_boundaries() {
        assert_eq!(clip("abc"), "abc");
        let long = "é".repeat(50);
        assert_eq!(clip(&long), format!("{}...", "é".repeat(40)));
    }

    #[test]
    fn a_fence_or_rally_points_cannot_be_saved_as_waypoints() {
        let dir = scratch_dir("fence");
        let mut m = sample();
        m.fence.polygons.push(FencePolygon {
            inclusion: true,
            vertices: vec![(47.39, 8.54), (47.39, 8.55), (47.40, 8.55)],
        });
        m.fence.circles.push(FenceCircle {
            inclusion: false,
            center: (47.395, 8.545),
            radius_m: 20.0,
        });
        m.rally.push(GeoPoint {
            lat_deg: 47.4,
            lon_deg: 8.5,
            alt_m: 30.0,
        });
        let path = dir.join("m.waypoints");
        let err = save_mission(&path, &m).unwrap_err();
        assert!(matches!(err, MissionFileError::CannotHold { .. }));
        assert_eq!(
            err.to_string(),
            format!(
                "{}: a .waypoints file holds mission items only, and this mission also has a \
                 fence of 1 polygon (3 vertices) and 1 circle and 1 rally point; nothing was \
                 written: save it as .plan (QGroundControl's format) to keep them",
                path.display()
            )
        );
        assert!(!path.exists(), "nothing written");
        let plan = dir.join("m.plan");
        save_mission(&plan, &m).unwrap();
        assert_eq!(load_mission(&plan).unwrap(), m);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
