//! Checks a plan before any of it goes to a vehicle.
//!
//! A file can hold what no vehicle should be given: a latitude of 200.5, a waypoint at 0°, 0°
//! (where an unset position lands, in the Gulf of Guinea), an altitude of 50 km, a command the
//! firmware does not know, a DO_JUMP to an item that is not there, a fence polygon of two
//! vertices. The mission protocol sends item by item, and a vehicle that refuses item 7 may
//! already have stored items 1 to 6 over its old mission; so every item is checked here first,
//! and each problem names where it sits, the field and why ([`MissionProblem`]). The command
//! engine runs the same check on every upload, whoever asks for it.
//!
//! Items are numbered as QGroundControl shows a plan and ArduPilot stores it: home is item 0
//! (ArduPilot keeps its home position there and overwrites whatever is uploaded) and the mission
//! items follow from 1. [`Mission`] keeps home apart, so `items[i]` is item and seq `i + 1`, and
//! a DO_JUMP names its target by that number. A plan without a home (0°, 0° in the file) is
//! valid: the vehicle fills item 0 in; that, and nothing else, is a warning.
//!
//! The rules are ArduPilot's (the firmware Vigil flies), with Vigil's own limits on top where
//! ArduPilot takes what is almost certainly a mistake: the commands and frames ArduCopter 4.7
//! accepts in a mission ([`MISSION_COMMANDS`]), the parameters it refuses as NaN, and
//! altitudes, positions and jump targets that make sense.

use std::fmt;

use crate::{GeoPoint, Mission, MissionItem};

/// Highest altitude above home or terrain a plan may ask for. Vigil's limit, far above any
/// legal or useful flight of its drones; ArduPilot itself stops at ±83 km.
pub const MAX_HEIGHT_M: f64 = 10_000.0;
/// Lowest ground on Earth, with a margin (the Dead Sea shore is 430 m below sea level).
pub const MIN_GROUND_AMSL_M: f64 = -500.0;
/// Highest ground on Earth, with a margin (Mount Everest is 8,849 m above sea level).
pub const MAX_GROUND_AMSL_M: f64 = 9_000.0;

/// What a mission command does with x, y and z (param5 to param7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// None: x, y and z are other parameters, or unused.
    Unused,
    /// A place the vehicle flies to or acts at; 0°, 0° is refused.
    Required,
    /// A place, where 0°, 0° means "where the vehicle is" (ArduPilot's takeoff, land and
    /// loiters); the altitude is used either way.
    ZeroIsHere,
    /// A place, where 0°, 0° means "none" (DO_SET_ROI: stop pointing at anything;
    /// DO_LAND_START: any landing sequence); then the altitude and frame do not matter.
    ZeroIsNone,
}

/// A command ArduPilot accepts in a mission, and how Vigil checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MissionCommand {
    /// MAV_CMD id.
    pub id: u16,
    /// MAVLink's name without `MAV_CMD_`.
    pub name: &'static str,
    /// A navigation command, which the vehicle flies (ArduPilot's `is_nav_cmd`).
    pub nav: bool,
    /// What x, y and z are.
    pub position: Position,
    /// Parameters that may be NaN ("unset"; `null` in a .plan), bit 0 for param1: ArduPilot
    /// refuses NaN anywhere else (`AP_Mission::sanity_check_params`), and infinity anywhere.
    pub nan_params: u8,
}

const fn command(id: u16, name: &'static str, nav: bool, position: Position) -> MissionCommand {
    MissionCommand {
        id,
        name,
        nav,
        position,
        nan_params: 0,
    }
}

/// param4 (the yaw of a waypoint, takeoff or landing) may be NaN.
const NAN_PARAM4: u8 = 0b1000;
/// param3 and param4 may be NaN.
const NAN_PARAM3_4: u8 = 0b1100;

/// The commands ArduPilot accepts in a mission, by id. Source: ArduCopter 4.7.0-dev SITL (the
/// build in `../shared/ardupilot/`), asked with a one-item upload of every MAV_CMD of Vigil's
/// dialect; it answered MAV_MISSION_ACCEPTED for exactly these and MAV_MISSION_UNSUPPORTED
/// for every other one (among them CONDITION_CHANGE_ALT 113, DO_SET_MODE 176,
/// DO_SET_PARAMETER 180, DO_CHANGE_ALTITUDE 186, DO_MOUNT_CONFIGURE 204 and
/// DO_SET_CAM_TRIGG_INTERVAL 214). The list agrees with `AP_Mission::mavlink_int_to_mission_cmd`
/// (libraries/AP_Mission/AP_Mission.cpp), which ArduPlane and Rover share; what x, y and z mean
/// and which parameters may be NaN were checked against the same build.
pub const MISSION_COMMANDS: &[MissionCommand] = {
    use Position::*;
    &[
        MissionCommand {
            nan_params: NAN_PARAM4,
            ..command(16, "NAV_WAYPOINT", true, Required)
        },
        MissionCommand {
            nan_params: NAN_PARAM4,
            ..command(17, "NAV_LOITER_UNLIM", true, ZeroIsHere)
        },
        command(18, "NAV_LOITER_TURNS", true, ZeroIsHere),
        command(19, "NAV_LOITER_TIME", true, ZeroIsHere),
        command(20, "NAV_RETURN_TO_LAUNCH", true, Unused),
        MissionCommand {
            nan_params: NAN_PARAM4,
            ..command(21, "NAV_LAND", true, ZeroIsHere)
        },
        MissionCommand {
            nan_params: NAN_PARAM4,
            ..command(22, "NAV_TAKEOFF", true, ZeroIsHere)
        },
        command(30, "NAV_CONTINUE_AND_CHANGE_ALT", true, ZeroIsHere),
        command(31, "NAV_LOITER_TO_ALT", true, ZeroIsHere),
        command(82, "NAV_SPLINE_WAYPOINT", true, Required),
        command(83, "NAV_ALTITUDE_WAIT", true, Unused),
        MissionCommand {
            nan_params: NAN_PARAM4,
            ..command(84, "NAV_VTOL_TAKEOFF", true, ZeroIsHere)
        },
        MissionCommand {
            nan_params: NAN_PARAM3_4,
            ..command(85, "NAV_VTOL_LAND", true, ZeroIsHere)
        },
        command(92, "NAV_GUIDED_ENABLE", true, Unused),
        command(93, "NAV_DELAY", true, Unused),
        command(94, "NAV_PAYLOAD_PLACE", true, ZeroIsHere),
        command(112, "CONDITION_DELAY", false, Unused),
        command(114, "CONDITION_DISTANCE", false, Unused),
        command(115, "CONDITION_YAW", false, Unused),
        command(177, "DO_JUMP", false, Unused),
        command(178, "DO_CHANGE_SPEED", false, Unused),
        // param1 = 1: the vehicle's position; otherwise the given one (checked apart).
        command(179, "DO_SET_HOME", false, ZeroIsNone),
        command(181, "DO_SET_RELAY", false, Unused),
        command(182, "DO_REPEAT_RELAY", false, Unused),
        command(183, "DO_SET_SERVO", false, Unused),
        command(184, "DO_REPEAT_SERVO", false, Unused),
        command(188, "DO_RETURN_PATH_START", false, ZeroIsNone),
        command(189, "DO_LAND_START", false, ZeroIsNone),
        command(191, "DO_GO_AROUND", false, ZeroIsNone),
        command(193, "DO_PAUSE_CONTINUE", false, Unused),
        command(194, "DO_SET_REVERSE", false, Unused),
        command(195, "DO_SET_ROI_LOCATION", false, ZeroIsNone),
        command(197, "DO_SET_ROI_NONE", false, Unused),
        command(201, "DO_SET_ROI", false, ZeroIsNone),
        command(202, "DO_DIGICAM_CONFIGURE", false, Unused),
        command(203, "DO_DIGICAM_CONTROL", false, Unused),
        command(205, "DO_MOUNT_CONTROL", false, Unused),
        command(206, "DO_SET_CAM_TRIGG_DIST", false, Unused),
        command(207, "DO_FENCE_ENABLE", false, Unused),
        command(208, "DO_PARACHUTE", false, Unused),
        command(210, "DO_INVERTED_FLIGHT", false, Unused),
        command(211, "DO_GRIPPER", false, Unused),
        command(212, "DO_AUTOTUNE_ENABLE", false, Unused),
        command(213, "NAV_SET_YAW_SPEED", true, Unused),
        command(215, "DO_SET_RESUME_REPEAT_DIST", false, Unused),
        command(216, "DO_SPRAYER", false, Unused),
        command(217, "DO_SEND_SCRIPT_MESSAGE", false, Unused),
        command(218, "DO_AUX_FUNCTION", false, Unused),
        command(222, "DO_GUIDED_LIMITS", false, Unused),
        command(223, "DO_ENGINE_CONTROL", false, Unused),
        command(531, "SET_CAMERA_ZOOM", false, Unused),
        command(532, "SET_CAMERA_FOCUS", false, Unused),
        command(534, "SET_CAMERA_SOURCE", false, Unused),
        command(600, "JUMP_TAG", false, Unused),
        command(601, "DO_JUMP_TAG", false, Unused),
        command(1000, "DO_GIMBAL_MANAGER_PITCHYAW", false, Unused),
        command(2000, "IMAGE_START_CAPTURE", false, Unused),
        command(2001, "IMAGE_STOP_CAPTURE", false, Unused),
        command(2500, "VIDEO_START_CAPTURE", false, Unused),
        command(2501, "VIDEO_STOP_CAPTURE", false, Unused),
        command(3000, "DO_VTOL_TRANSITION", false, Unused),
        command(42600, "DO_WINCH", false, Unused),
        command(42702, "NAV_SCRIPT_TIME", true, Unused),
        command(42703, "NAV_ATTITUDE_TIME", true, Unused),
    ]
};

const DO_JUMP: u16 = 177;
const DO_SET_HOME: u16 = 179;
const JUMP_TAG: u16 = 600;
const DO_JUMP_TAG: u16 = 601;

/// The mission command with this MAV_CMD id, if ArduPilot accepts it in a mission.
pub fn mission_command(id: u16) -> Option<&'static MissionCommand> {
    MISSION_COMMANDS.iter().find(|c| c.id == id)
}

/// Where in a plan a problem sits, numbered as QGroundControl shows the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The planned home: item 0, which ArduPilot keeps as its home.
    Home,
    /// `Mission::items[i]`: item and seq `i + 1`.
    Item(usize),
    /// `Fence::polygons[i]` as a whole: fence polygon `i + 1`.
    FencePolygon(usize),
    /// A vertex of a fence polygon (both indices from 0; shown from 1).
    FenceVertex { polygon: usize, vertex: usize },
    /// `Fence::circles[i]`: fence circle `i + 1`.
    FenceCircle(usize),
    /// The fence's breach return point.
    FenceReturn,
    /// `Mission::rally[i]`: rally point `i + 1`.
    Rally(usize),
}

impl Place {
    /// The sequence number in the MISSION list as QGroundControl and ArduPilot count it (home
    /// is 0); `None` for fence items and rally points.
    pub fn seq(self) -> Option<usize> {
        match self {
            Place::Home => Some(0),
            Place::Item(i) => Some(i + 1),
            _ => None,
        }
    }
}

impl fmt::Display for Place {
    /// "home (seq 0)", "item 3 (seq 3)", "fence polygon 1 vertex 2", "rally point 1".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Place::Home => f.write_str("home (seq 0)"),
            Place::Item(i) => write!(f, "item {n} (seq {n})", n = i + 1),
            Place::FencePolygon(p) => write!(f, "fence polygon {}", p + 1),
            Place::FenceVertex { polygon, vertex } => {
                write!(f, "fence polygon {} vertex {}", polygon + 1, vertex + 1)
            }
            Place::FenceCircle(c) => write!(f, "fence circle {}", c + 1),
            Place::FenceReturn => f.write_str("fence return point"),
            Place::Rally(r) => write!(f, "rally point {}", r + 1),
        }
    }
}

/// Something wrong (or, among [`Findings::warnings`], worth saying) about one field of one
/// item: "item 3 (seq 3): latitude: 200.5 is outside -90..=90".
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{place}: {field}: {reason}")]
pub struct MissionProblem {
    /// Which item.
    pub place: Place,
    /// Which field, as the operator knows it: "latitude", "altitude", "frame", "command",
    /// "param1 (jump target)", "radius", ...
    pub field: &'static str,
    /// Why, with the value found.
    pub reason: String,
}

/// What [`inspect`] found: problems refuse the plan, warnings do not.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Findings {
    /// Reasons not to send the plan, in plan order.
    pub problems: Vec<MissionProblem>,
    /// Things the operator should know; the plan is fine to send.
    pub warnings: Vec<MissionProblem>,
}

/// Every problem and warning of a plan: home, mission items, fence and rally points.
pub fn inspect(mission: &Mission) -> Findings {
    let mut findings = Findings::default();
    let out = &mut findings.problems;
    match mission.home {
        Some(home) => check_home(out, home),
        None => findings.warnings.push(MissionProblem {
            place: Place::Home,
            field: "position",
            reason: "none planned (0°, 0° in the file): ArduPilot fills item 0 in with its own \
                     home, and altitudes above home are above wherever the vehicle is armed"
                .to_string(),
        }),
    }
    for (index, item) in mission.items.iter().enumerate() {
        check_item(out, mission, index, item);
    }
    check_fence(out, mission);
    for (i, point) in mission.rally.iter().enumerate() {
        let place = Place::Rally(i);
        check_somewhere(out, place, point.lat_deg, point.lon_deg);
        check_height(out, place, point.alt_m, true, "home");
    }
    findings
}

/// `Ok` when nothing in the plan refuses it (warnings aside), or every problem.
pub fn validate(mission: &Mission) -> Result<(), Vec<MissionProblem>> {
    let problems = inspect(mission).problems;
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

fn problem(out: &mut Vec<MissionProblem>, place: Place, field: &'static str, reason: String) {
    out.push(MissionProblem {
        place,
        field,
        reason,
    });
}

/// MAV_FRAME names for messages.
fn frame_name(frame: u8) -> String {
    let name = match frame {
        0 => "GLOBAL, altitude above sea level",
        1 => "LOCAL_NED",
        2 => "MISSION",
        3 => "GLOBAL_RELATIVE_ALT, altitude above home",
        4 => "LOCAL_ENU",
        5 => "GLOBAL_INT, altitude above sea level",
        6 => "GLOBAL_RELATIVE_ALT_INT, altitude above home",
        7 => "LOCAL_OFFSET_NED",
        8 => "BODY_NED",
        9 => "BODY_OFFSET_NED",
        10 => "GLOBAL_TERRAIN_ALT, altitude above terrain",
        11 => "GLOBAL_TERRAIN_ALT_INT, altitude above terrain",
        _ => return format!("{frame}"),
    };
    format!("{frame} ({name})")
}

/// What the altitude of a global frame is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Datum {
    SeaLevel,
    Home,
    Terrain,
}

fn datum(frame: u8) -> Option<Datum> {
    match frame {
        0 | 5 => Some(Datum::SeaLevel),
        3 | 6 => Some(Datum::Home),
        10 | 11 => Some(Datum::Terrain),
        _ => None,
    }
}

/// MAV_FRAME_MISSION: x, y and z are not a position.
const FRAME_MISSION: u8 = 2;

fn check_home(out: &mut Vec<MissionProblem>, home: GeoPoint) {
    check_position(out, Place::Home, home.lat_deg, home.lon_deg);
    let alt = home.alt_m;
    if !alt.is_finite() {
        problem(
            out,
            Place::Home,
            "altitude",
            format!("{alt} is not a number of metres"),
        );
    } else if !(MIN_GROUND_AMSL_M..=MAX_GROUND_AMSL_M).contains(&alt) {
        problem(
            out,
            Place::Home,
            "altitude",
            format!(
                "{alt} m above sea level is not ground anywhere on Earth \
                 ({MIN_GROUND_AMSL_M}..={MAX_GROUND_AMSL_M} m)"
            ),
        );
    }
}

/// Latitude and longitude: finite and in range. 0°, 0° is the caller's business.
fn check_position(out: &mut Vec<MissionProblem>, place: Place, lat: f64, lon: f64) {
    for (field, value, limit) in [("latitude", lat, 90.0), ("longitude", lon, 180.0)] {
        if !value.is_finite() {
            problem(
                out,
                place,
                field,
                format!("{value} is not a number of degrees"),
            );
        } else if value.abs() > limit {
            problem(
                out,
                place,
                field,
                format!("{value} is outside -{limit}..={limit}"),
            );
        }
    }
}

/// A place that must be somewhere: in range, and not 0°, 0°.
fn check_somewhere(out: &mut Vec<MissionProblem>, place: Place, lat: f64, lon: f64) {
    check_position(out, place, lat, lon);
    if lat == 0.0 && lon == 0.0 {
        problem(out, place, "position", NULL_ISLAND.to_string());
    }
}

const NULL_ISLAND: &str =
    "0°, 0° is where an unset position lands (in the Gulf of Guinea), not a place to fly";

/// A height above `datum` (home or terrain): finite, not above [`MAX_HEIGHT_M`], and not below
/// zero for where the vehicle flies (`flown`).
fn check_height(
    out: &mut Vec<MissionProblem>,
    place: Place,
    height: f64,
    flown: bool,
    datum: &str,
) {
    if !height.is_finite() {
        problem(
            out,
            place,
            "altitude",
            format!("{height} is not a number of metres"),
        );
    } else if height > MAX_HEIGHT_M {
        problem(
            out,
            place,
            "altitude",
            format!("{height} m above {datum} is over Vigil's ceiling of {MAX_HEIGHT_M} m"),
        );
    } else if flown && height < 0.0 {
        problem(
            out,
            place,
            "altitude",
            format!("{height} m is below {datum}: the vehicle would fly into the ground"),
        );
    }
}

/// An altitude above sea level: finite, not below the lowest ground, and not more than
/// [`MAX_HEIGHT_M`] above home (or above the highest ground, without a home).
fn check_amsl(out: &mut Vec<MissionProblem>, place: Place, alt: f64, home: Option<GeoPoint>) {
    if !alt.is_finite() {
        problem(
            out,
            place,
            "altitude",
            format!("{alt} is not a number of metres"),
        );
        return;
    }
    let (ceiling, what) = match home {
        Some(home) => (home.alt_m + MAX_HEIGHT_M, "home"),
        None => (MAX_GROUND_AMSL_M + MAX_HEIGHT_M, "the highest ground"),
    };
    if alt > ceiling {
        problem(
            out,
            place,
            "altitude",
            format!(
                "{alt} m above sea level is more than Vigil's ceiling of {MAX_HEIGHT_M} m above \
                 {what}"
            ),
        );
    } else if alt < MIN_GROUND_AMSL_M {
        problem(
            out,
            place,
            "altitude",
            format!("{alt} m above sea level is below the lowest ground on Earth"),
        );
    }
}

fn check_item(out: &mut Vec<MissionProblem>, mission: &Mission, index: usize, item: &MissionItem) {
    let place = Place::Item(index);
    let Some(command) = mission_command(item.command) else {
        problem(
            out,
            place,
            "command",
            format!(
                "{} is not a command ArduPilot accepts in a mission",
                item.command
            ),
        );
        return;
    };
    check_params(out, place, command, item);
    let position = match command.position {
        // DO_SET_HOME with param1 = 1 takes the vehicle's position; otherwise the one given.
        Position::ZeroIsNone if command.id == DO_SET_HOME && item.params[0] != 1.0 => {
            Position::Required
        }
        other => other,
    };
    let at_zero = item.x == 0.0 && item.y == 0.0;
    let no_place = position == Position::Unused || (position == Position::ZeroIsNone && at_zero);
    let frame = item.frame;
    let global = datum(frame).is_some();
    if no_place && !global && frame != FRAME_MISSION {
        let reason = format!(
            "{} is not a frame of ArduPilot missions (global frames 0, 3 and 10, their _INT forms \
             5, 6 and 11, or 2, MISSION)",
            frame_name(frame)
        );
        problem(out, place, "frame", reason);
    } else if !no_place && !global {
        let reason = format!(
            "{} is not a global frame, and {} needs one for its position and altitude: use 3 \
             (altitude above home), 10 (above terrain) or 0 (above sea level)",
            frame_name(frame),
            command.name
        );
        problem(out, place, "frame", reason);
    } else if !no_place {
        check_place(out, mission, place, command, position, item);
    }
    match command.id {
        DO_JUMP => check_jump(out, mission, index, item),
        DO_JUMP_TAG => check_jump_tag(out, mission, place, item),
        _ => {}
    }
}

/// A command's position in a global frame: latitude and longitude, not 0°, 0° where that is no
/// place, and its altitude.
fn check_place(
    out: &mut Vec<MissionProblem>,
    mission: &Mission,
    place: Place,
    command: &MissionCommand,
    position: Position,
    item: &MissionItem,
) {
    check_position(out, place, item.x, item.y);
    if item.x == 0.0 && item.y == 0.0 && position == Position::Required {
        let reason = format!("{NULL_ISLAND}; {} needs its position", command.name);
        problem(out, place, "position", reason);
    }
    let z = f64::from(item.z);
    match datum(item.frame) {
        Some(Datum::SeaLevel) => check_amsl(out, place, z, mission.home),
        Some(Datum::Home) => check_height(out, place, z, command.nav, "home"),
        Some(Datum::Terrain) => check_height(out, place, z, command.nav, "terrain"),
        None => {}
    }
}

fn check_params(
    out: &mut Vec<MissionProblem>,
    place: Place,
    command: &MissionCommand,
    item: &MissionItem,
) {
    const FIELDS: [&str; 4] = ["param1", "param2", "param3", "param4"];
    for (i, (value, field)) in item.params.iter().zip(FIELDS).enumerate() {
        let nan_ok = command.nan_params & (1 << i) != 0;
        let found = if value.is_infinite() {
            "infinity"
        } else if value.is_nan() && !nan_ok {
            "NaN (null in a .plan)"
        } else {
            continue;
        };
        let reason = format!(
            "{found} is not a value ArduPilot takes for {}",
            command.name
        );
        problem(out, place, field, reason);
    }
}

/// A whole number, if `value` is one.
fn whole(value: f32) -> Option<i64> {
    (value.is_finite() && value.fract() == 0.0).then_some(value as i64)
}

/// DO_JUMP: param1 is the target's seq (1 to the last item; 0 is home), param2 the repeat
/// count (-1: for ever).
fn check_jump(out: &mut Vec<MissionProblem>, mission: &Mission, index: usize, item: &MissionItem) {
    let place = Place::Item(index);
    let last = mission.items.len();
    let [target, repeat, ..] = item.params;
    match whole(target) {
        Some(0) => problem(
            out,
            place,
            "param1 (jump target)",
            "0 is home, not a mission item to jump to (items are 1 to the last)".to_string(),
        ),
        Some(seq) if seq == index as i64 + 1 => problem(
            out,
            place,
            "param1 (jump target)",
            format!("{seq} is this DO_JUMP itself"),
        ),
        Some(seq) if (1..=last as i64).contains(&seq) => {}
        _ => problem(
            out,
            place,
            "param1 (jump target)",
            format!("{target} is not an item of this mission (items 1..={last}; 0 is home)"),
        ),
    }
    if whole(repeat).is_none_or(|n| n < -1) {
        problem(
            out,
            place,
            "param2 (repeat count)",
            format!("{repeat} is not a whole number of repeats (-1: for ever)"),
        );
    }
}

/// DO_JUMP_TAG: some JUMP_TAG must set the tag (param1).
fn check_jump_tag(
    out: &mut Vec<MissionProblem>,
    mission: &Mission,
    place: Place,
    item: &MissionItem,
) {
    let tag = item.params[0];
    let found = mission
        .items
        .iter()
        .any(|i| i.command == JUMP_TAG && i.params[0] == tag);
    if !found {
        problem(
            out,
            place,
            "param1 (tag)",
            format!("no JUMP_TAG item of this mission sets tag {tag}"),
        );
    }
}

fn check_fence(out: &mut Vec<MissionProblem>, mission: &Mission) {
    let fence = &mission.fence;
    for (p, polygon) in fence.polygons.iter().enumerate() {
        let n = polygon.vertices.len();
        if n < 3 {
            problem(
                out,
                Place::FencePolygon(p),
                "vertices",
                format!(
                    "{}: a polygon needs at least 3",
                    crate::count(n, "vertex", "vertices")
                ),
            );
        }
        for (v, &(lat, lon)) in polygon.vertices.iter().enumerate() {
            let place = Place::FenceVertex {
                polygon: p,
                vertex: v,
            };
            check_somewhere(out, place, lat, lon);
        }
    }
    for (c, circle) in fence.circles.iter().enumerate() {
        let place = Place::FenceCircle(c);
        check_somewhere(out, place, circle.center.0, circle.center.1);
        let r = circle.radius_m;
        if !(r.is_finite() && r > 0.0) {
            problem(
                out,
                place,
                "radius",
                format!("{r} is not a positive number of metres"),
            );
        }
    }
    if let Some(point) = fence.breach_return {
        let place = Place::FenceReturn;
        check_somewhere(out, place, point.lat_deg, point.lon_deg);
        check_height(out, place, point.alt_m, true, "home");
    }
}

#[cfg(test)]
mod tests;
