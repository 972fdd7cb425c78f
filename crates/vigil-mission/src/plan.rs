//! QGroundControl `.plan` files (JSON, fileType "Plan", version 1).
//!
//! QGroundControl is the planner most PX4 and many ArduPilot operators use,
//! and it saves plans as JSON whose mission part holds `SimpleItem`s and
//! survey-like `ComplexItem`s. Vigil reads the mission out of such a plan,
//! flattening each scan into the simple items QGroundControl generated for it,
//! and writes plans QGroundControl opens again, with the geofence
//! (`geoFence`, version 2: `polygons`, `circles`, optional `breachReturn`) and
//! the rally points (`rallyPoints`, version 2: `points`) as QGroundControl lays
//! them out. A plan without those sections has no fence and no rally points.
//! QGroundControl silently ignores a version-1 geofence; Vigil refuses it rather
//! than drop a fence without a word.

// Long: QGroundControl's .plan format read and written field by field (mission, geofence, rally, complex items), and half of it is the tests with plans as QGroundControl writes them.

use serde_json::{Map, Value, json};

use super::{
    Fence, FenceCircle, FencePolygon, GeoPoint, Mission, MissionFileError, MissionItem, clip,
    strip_bom,
};

/// Complex items that keep their generated items in `TransectStyleComplexItem.Items`.
const FLATTENED_COMPLEX_ITEMS: [&str; 3] = ["survey", "CorridorScan", "StructureScan"];

/// Where in the JSON document a value sits, for error messages.
struct At<'a> {
    origin: &'a str,
    /// Empty for the document itself.
    path: String,
}

impl<'a> At<'a> {
    fn root(origin: &'a str) -> Self {
        At {
            origin,
            path: String::new(),
        }
    }

    /// The path of member `key` of this object.
    fn member(&self, key: &str) -> Self {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        At {
            origin: self.origin,
            path,
        }
    }

    /// The path of element `index` of this array.
    fn element(&self, index: usize) -> Self {
        At {
            origin: self.origin,
            path: format!("{}[{index}]", self.path),
        }
    }

    fn error(&self, problem: String) -> MissionFileError {
        let at = if self.path.is_empty() {
            "top level"
        } else {
            &self.path
        };
        MissionFileError::Plan {
            origin: self.origin.to_string(),
            at: at.to_string(),
            problem,
        }
    }

    fn field_error(&self, field: &str, problem: &str, found: &Value) -> MissionFileError {
        self.error(format!(
            "field \"{field}\" {problem}, found {}",
            describe(found)
        ))
    }

    fn missing(&self, field: &str) -> MissionFileError {
        self.error(format!("field \"{field}\" is missing"))
    }
}

/// A JSON value as an error message quotes it.
fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => Value::String(clip(s)).to_string(),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
        other => other.to_string(),
    }
}

/// The object `value`, which sits at `at`.
fn as_object<'v>(value: &'v Value, at: &At) -> Result<&'v Map<String, Value>, MissionFileError> {
    value
        .as_object()
        .ok_or_else(|| at.error(format!("must be a JSON object, found {}", describe(value))))
}

/// Member `key` of `obj`, which must be there.
fn required<'v>(
    obj: &'v Map<String, Value>,
    at: &At,
    key: &str,
) -> Result<&'v Value, MissionFileError> {
    obj.get(key).ok_or_else(|| at.missing(key))
}

fn array_field<'v>(
    obj: &'v Map<String, Value>,
    at: &At,
    key: &str,
) -> Result<&'v [Value], MissionFileError> {
    let value = required(obj, at, key)?;
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| at.field_error(key, "must be an array", value))
}

/// An integer in 0..=`max`; QGroundControl writes all numbers as doubles, so
/// `16.0` is accepted as 16.
fn int_value(value: &Value, max: u64) -> Option<u64> {
    let n = value.as_u64().or_else(|| {
        let f = value.as_f64()?;
        (f >= 0.0 && f.fract() == 0.0 && f <= max as f64).then_some(f as u64)
    })?;
    (n <= max).then_some(n)
}

fn int_field(
    obj: &Map<String, Value>,
    at: &At,
    key: &str,
    max: u64,
) -> Result<u64, MissionFileError> {
    let value = required(obj, at, key)?;
    int_value(value, max)
        .ok_or_else(|| at.field_error(key, &format!("must be an integer in 0..={max}"), value))
}

/// A number, or `null`, which QGroundControl writes for NaN.
fn number_or_null(value: &Value, at: &At) -> Result<f64, MissionFileError> {
    match value {
        Value::Null => Ok(f64::NAN),
        other => other.as_f64().ok_or_else(|| {
            at.error(format!(
                "must be a number or null, found {}",
                describe(value)
            ))
        }),
    }
}

/// Reads a .plan file's text; `origin` names it in errors.
pub fn parse_plan(text: &str, origin: &str) -> Result<Mission, MissionFileError> {
    let text = strip_bom(text);
    // serde_json's `float_roundtrip` feature reads every coordinate back to the same bits.
    let doc: Value = serde_json::from_str(text).map_err(|e| json_error(&e, origin))?;
    let root = At::root(origin);
    let top = as_object(&doc, &root)?;
    check_header(top, &root)?;
    let at = root.member("mission");
    let mut plan = mission(as_object(required(top, &root, "mission")?, &at)?, &at)?;
    if let Some(value) = top.get("geoFence") {
        let at = root.member("geoFence");
        plan.fence = geofence(as_object(value, &at)?, &at)?;
    }
    if let Some(value) = top.get("rallyPoints") {
        let at = root.member("rallyPoints");
        plan.rally = rally_points(as_object(value, &at)?, &at)?;
    }
    Ok(plan)
}

/// The `version` member must be `expected`.
fn check_version(
    obj: &Map<String, Value>,
    at: &At,
    expected: u64,
    why: &str,
) -> Result<(), MissionFileError> {
    let version = required(obj, at, "version")?;
    if int_value(version, u64::MAX) != Some(expected) {
        return Err(at.field_error("version", &format!("must be {expected}{why}"), version));
    }
    Ok(())
}

/// The `geoFence` object, version 2.
fn geofence(obj: &Map<String, Value>, at: &At) -> Result<Fence, MissionFileError> {
    check_version(
        obj,
        at,
        2,
        " (an older geofence, which QGroundControl ignores, is not read either; draw it again)",
    )?;
    let mut fence = Fence::default();
    let polygons_at = at.member("polygons");
    for (i, value) in array_field(obj, at, "polygons")?.iter().enumerate() {
        let at = polygons_at.element(i);
        let polygon = as_object(value, &at)?;
        fence.polygons.push(FencePolygon {
            inclusion: bool_field(polygon, &at, "inclusion")?,
            vertices: polygon_vertices(polygon, &at)?,
        });
    }
    let circles_at = at.member("circles");
    for (i, value) in array_field(obj, at, "circles")?.iter().enumerate() {
        let at = circles_at.element(i);
        let circle = as_object(value, &at)?;
        let inclusion = bool_field(circle, &at, "inclusion")?;
        let shape_at = at.member("circle");
        let shape = as_object(required(circle, &at, "circle")?, &shape_at)?;
        let center_at = shape_at.member("center");
        let (lat, lon, _) = coordinate(required(shape, &shape_at, "center")?, &center_at, false)?;
        let radius = required(shape, &shape_at, "radius")?;
        let radius_m = radius
            .as_f64()
            .filter(|r| r.is_finite() && *r > 0.0)
            .ok_or_else(|| {
                shape_at.field_error("radius", "must be a positive number of metres", radius)
            })?;
        fence.circles.push(FenceCircle {
            inclusion,
            center: (lat, lon),
            radius_m,
        });
    }
    if let Some(value) = obj.get("breachReturn") {
        let (lat_deg, lon_deg, alt_m) = coordinate(value, &at.member("breachReturn"), true)?;
        fence.breach_return = Some(GeoPoint {
            lat_deg,
            lon_deg,
            alt_m,
        });
    }
    Ok(fence)
}

/// A fence polygon's `polygon` member: at least three `[lat, lon]` vertices.
fn polygon_vertices(
    polygon: &Map<String, Value>,
    at: &At,
) -> Result<Vec<(f64, f64)>, MissionFileError> {
    let vertices_at = at.member("polygon");
    let vertices = array_field(polygon, at, "polygon")?
        .iter()
        .enumerate()
        .map(|(i, v)| coordinate(v, &vertices_at.element(i), false).map(|(lat, lon, _)| (lat, lon)))
        .collect::<Result<Vec<_>, _>>()?;
    if vertices.len() < 3 {
        return Err(at.error(format!(
            "field \"polygon\" must have at least 3 vertices, found {}",
            vertices.len()
        )));
    }
    Ok(vertices)
}

/// The `rallyPoints` object, version 2: `points` of `[lat, lon, alt]`.
fn rally_points(obj: &Map<String, Value>, at: &At) -> Result<Vec<GeoPoint>, MissionFileError> {
    check_version(obj, at, 2, "")?;
    let points_at = at.member("points");
    array_field(obj, at, "points")?
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let (lat_deg, lon_deg, alt_m) = coordinate(value, &points_at.element(i), true)?;
            Ok(GeoPoint {
                lat_deg,
                lon_deg,
                alt_m,
            })
        })
        .collect()
}

/// A coordinate as QGroundControl writes one: `[lat, lon]` or `[lat, lon, alt]`, the
/// altitude required when `with_altitude` (0 when absent and not required). Latitude and
/// longitude must be finite numbers within range.
fn coordinate(
    value: &Value,
    at: &At,
    with_altitude: bool,
) -> Result<(f64, f64, f64), MissionFileError> {
    let shape = if with_altitude {
        "[latitude, longitude, altitude]"
    } else {
        "[latitude, longitude]"
    };
    let entries = value.as_array().map(Vec::as_slice);
    let (lat, lon, alt) = match entries {
        Some([lat, lon, alt]) => (lat, lon, Some(alt)),
        Some([lat, lon]) if !with_altitude => (lat, lon, None),
        _ => {
            let found = describe(value);
            return Err(at.error(format!("must be {shape}, found {found}")));
        }
    };
    let degrees = |value: &Value, index: usize, limit: f64| {
        value.as_f64().filter(|d| d.abs() <= limit).ok_or_else(|| {
            at.element(index).error(format!(
                "must be a number of degrees in -{limit}..={limit}, found {}",
                describe(value)
            ))
        })
    };
    let alt_m = match alt {
        Some(alt) => number_or_null(alt, &at.element(2))?,
        None => 0.0,
    };
    Ok((degrees(lat, 0, 90.0)?, degrees(lon, 1, 180.0)?, alt_m))
}

fn bool_field(obj: &Map<String, Value>, at: &At, key: &str) -> Result<bool, MissionFileError> {
    let value = required(obj, at, key)?;
    value
        .as_bool()
        .ok_or_else(|| at.field_error(key, "must be true or false", value))
}

/// The `mission` object: version 2, planned home and items.
fn mission(mission: &Map<String, Value>, at: &At) -> Result<Mission, MissionFileError> {
    if let Some(version) = mission
        .get("version")
        .filter(|v| int_value(v, u64::MAX) != Some(2))
    {
        return Err(at.field_error(
            "version",
            "must be 2 (older mission formats are not supported)",
            version,
        ));
    }
    let home = match mission.get("plannedHomePosition") {
        Some(value) => home_position(value, &at.member("plannedHomePosition"))?,
        None => None,
    };
    let items_at = at.member("items");
    let mut items = Vec::new();
    for (i, item) in array_field(mission, at, "items")?.iter().enumerate() {
        visual_item(item, &items_at.element(i), &mut items)?;
    }
    Ok(Mission {
        home,
        items,
        ..Default::default()
    })
}

/// A JSON syntax error, placed by line and column.
fn json_error(error: &serde_json::Error, origin: &str) -> MissionFileError {
    let (line, column) = (error.line(), error.column());
    let full = error.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    MissionFileError::Json {
        origin: origin.to_string(),
        line,
        column,
        message,
    }
}

fn check_header(top: &Map<String, Value>, at: &At) -> Result<(), MissionFileError> {
    let file_type = required(top, at, "fileType")?;
    if file_type.as_str() != Some("Plan") {
        return Err(at.field_error("fileType", "must be \"Plan\"", file_type));
    }
    let version = required(top, at, "version")?;
    if int_value(version, u64::MAX) != Some(1) {
        return Err(at.field_error("version", "must be 1", version));
    }
    Ok(())
}

/// `[lat, lon, alt]`; 0°, 0° means no home.
fn home_position(value: &Value, at: &At) -> Result<Option<GeoPoint>, MissionFileError> {
    let Some([lat, lon, alt]) = value.as_array().map(Vec::as_slice) else {
        let found = describe(value);
        return Err(at.error(format!(
            "must be [latitude, longitude, altitude], found {found}"
        )));
    };
    let home = GeoPoint {
        lat_deg: number_or_null(lat, &at.element(0))?,
        lon_deg: number_or_null(lon, &at.element(1))?,
        alt_m: number_or_null(alt, &at.element(2))?,
    };
    Ok((home.lat_deg != 0.0 || home.lon_deg != 0.0).then_some(home))
}

/// One entry of `mission.items`, appended to `out` as one or more items.
fn visual_item(value: &Value, at: &At, out: &mut Vec<MissionItem>) -> Result<(), MissionFileError> {
    let obj = as_object(value, at)?;
    let kind = required(obj, at, "type")?;
    match kind.as_str() {
        Some("SimpleItem") => out.push(simple_item(obj, at)?),
        Some("ComplexItem") => complex_item(obj, at, out)?,
        _ => return Err(at.field_error("type", "must be \"SimpleItem\" or \"ComplexItem\"", kind)),
    }
    Ok(())
}

/// A survey, corridor or structure scan: the simple items QGroundControl
/// generated for it, in order.
fn complex_item(
    obj: &Map<String, Value>,
    at: &At,
    out: &mut Vec<MissionItem>,
) -> Result<(), MissionFileError> {
    let kind = required(obj, at, "complexItemType")?;
    if !kind
        .as_str()
        .is_some_and(|k| FLATTENED_COMPLEX_ITEMS.contains(&k))
    {
        let problem = "is not a complex item Vigil can flatten (only \"survey\", \"CorridorScan\" and \"StructureScan\")";
        return Err(at.field_error("complexItemType", problem, kind));
    }
    let transect_at = at.member("TransectStyleComplexItem");
    let transect = as_object(required(obj, at, "TransectStyleComplexItem")?, &transect_at)?;
    let items_at = transect_at.member("Items");
    for (i, item) in array_field(transect, &transect_at, "Items")?
        .iter()
        .enumerate()
    {
        let item_at = items_at.element(i);
        let item = as_object(item, &item_at)?;
        if let Some(kind) = item
            .get("type")
            .filter(|t| t.as_str() != Some("SimpleItem"))
        {
            return Err(item_at.field_error("type", "must be \"SimpleItem\"", kind));
        }
        out.push(simple_item(item, &item_at)?);
    }
    Ok(())
}

/// A `SimpleItem`: command, frame, seven params and autoContinue (default true).
fn simple_item(obj: &Map<String, Value>, at: &At) -> Result<MissionItem, MissionFileError> {
    let params_at = at.member("params");
    let params = array_field(obj, at, "params")?;
    let [p1, p2, p3, p4, x, y, z] = params else {
        let count = params.len();
        return Err(at.error(format!(
            "field \"params\" must have 7 entries, found {count}"
        )));
    };
    let param = |i: usize, value: &Value| number_or_null(value, &params_at.element(i));
    let [p1, p2, p3, p4] = [param(0, p1)?, param(1, p2)?, param(2, p3)?, param(3, p4)?];
    let (x, y, z) = (param(4, x)?, param(5, y)?, param(6, z)?);
    let autocontinue = match obj.get("autoContinue") {
        None => true,
        Some(value) => value
            .as_bool()
            .ok_or_else(|| at.field_error("autoContinue", "must be true or false", value))?,
    };
    Ok(MissionItem {
        frame: int_field(obj, at, "frame", u8::MAX.into())? as u8,
        command: int_field(obj, at, "command", u16::MAX.into())? as u16,
        autocontinue,
        params: [p1 as f32, p2 as f32, p3 as f32, p4 as f32],
        x,
        y,
        z: z as f32,
    })
}

/// Writes a mission as a QGroundControl plan (ArduPilot multirotor), with its geofence and
/// rally points.
pub fn to_plan_string(mission: &Mission) -> String {
    let home = mission.home.unwrap_or(GeoPoint {
        lat_deg: 0.0,
        lon_deg: 0.0,
        alt_m: 0.0,
    });
    let items: Vec<Value> = mission
        .items
        .iter()
        .enumerate()
        .map(|(i, item)| item_json(i + 1, item))
        .collect();
    let plan = json!({
        "fileType": "Plan",
        "geoFence": geofence_json(&mission.fence),
        "groundStation": "Vigil",
        "mission": {
            "cruiseSpeed": 15,
            "firmwareType": 3,
            "hoverSpeed": 5,
            "items": items,
            "plannedHomePosition": [home.lat_deg, home.lon_deg, home.alt_m],
            "vehicleType": 2,
            "version": 2
        },
        "rallyPoints": {
            "points": mission.rally.iter().map(|p| json!([p.lat_deg, p.lon_deg, p.alt_m])).collect::<Vec<_>>(),
            "version": 2
        },
        "version": 1
    });
    format!("{plan:#}\n")
}

/// The `geoFence` object as QGroundControl writes it.
fn geofence_json(fence: &Fence) -> Value {
    let polygons: Vec<Value> = fence
        .polygons
        .iter()
        .map(|p| {
            let vertices: Vec<Value> = p
                .vertices
                .iter()
                .map(|&(lat, lon)| json!([lat, lon]))
                .collect();
            json!({ "inclusion": p.inclusion, "polygon": vertices, "version": 1 })
        })
        .collect();
    let circles: Vec<Value> = fence
        .circles
        .iter()
        .map(|c| {
            json!({
                "circle": { "center": [c.center.0, c.center.1], "radius": c.radius_m },
                "inclusion": c.inclusion,
                "version": 1
            })
        })
        .collect();
    let mut obj = json!({ "circles": circles, "polygons": polygons, "version": 2 });
    if let (Some(p), Some(fields)) = (fence.breach_return, obj.as_object_mut()) {
        fields.insert(
            "breachReturn".into(),
            json!([p.lat_deg, p.lon_deg, p.alt_m]),
        );
    }
    obj
}

/// One `SimpleItem`. Items with a global position also get the altitude
/// fields QGroundControl writes for them.
fn item_json(do_jump_id: usize, item: &MissionItem) -> Value {
    let [p1, p2, p3, p4] = item.params.map(f32_json);
    let mut obj = json!({
        "autoContinue": item.autocontinue,
        "command": item.command,
        "doJumpId": do_jump_id,
        "frame": item.frame,
        "params": [p1, p2, p3, p4, item.x, item.y, f32_json(item.z)],
        "type": "SimpleItem"
    });
    if let (Some(mode), Some(fields)) = (altitude_mode(item.frame), obj.as_object_mut()) {
        fields.insert("AMSLAltAboveTerrain".into(), Value::Null);
        fields.insert("Altitude".into(), f32_json(item.z));
        fields.insert("AltitudeMode".into(), mode.into());
    }
    obj
}

/// QGroundControl's AltMode for a global frame (see [`super::is_global_frame`]):
/// 1 relative, 2 absolute, 4 terrain frame.
fn altitude_mode(frame: u8) -> Option<u8> {
    match frame {
        0 | 5 => Some(2),
        3 | 6 => Some(1),
        10 | 11 => Some(4),
        _ => None,
    }
}

/// An f32 as JSON: its shortest decimal form (so 0.1 stays "0.1"), null for
/// NaN and infinities.
fn f32_json(value: f32) -> Value {
    let shortest = value.to_string().parse::<f64>().unwrap_or(f64::from(value));
    Value::from(shortest)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plan as QGroundControl 4.x saves it for ArduCopter: takeoff, two
    /// waypoints, a speed change, a survey with two generated transect items,
    /// and RTL; a geofence of an inclusion polygon and an exclusion circle, and a
    /// rally point.
    const QGC_PLAN: &str = r#"{
    "fileType": "Plan",
    "geoFence": {
        "circles": [
            {
                "circle": { "center": [47.3975, 8.5452], "radius": 25.5 },
                "inclusion": false,
                "version": 1
            }
        ],
        "polygons": [
            { "inclusion": true, "polygon": [[47.39, 8.54], [47.39, 8.55], [47.40, 8.55]], "version": 1 }
        ],
        "version": 2
    },
    "groundStation": "QGroundControl",
    "mission": {
        "cruiseSpeed": 15,
        "firmwareType": 3,
        "globalPlanAltitudeMode": 1,
        "hoverSpeed": 5,
        "items": [
            {
                "AMSLAltAboveTerrain": null,
                "Altitude": 30,
                "AltitudeMode": 1,
                "autoContinue": true,
                "command": 22,
                "doJumpId": 1,
                "frame": 3,
                "params": [0, 0, 0, null, 47.3977419, 8.5455938, 30],
                "type": "SimpleItem"
            },
            {
                "AMSLAltAboveTerrain": null,
                "Altitude": 50,
                "AltitudeMode": 1,
                "autoContinue": true,
                "command": 16,
                "doJumpId": 2,
                "frame": 3,
                "params": [0, 0, 0, null, 47.3985123, 8.5462107, 50],
                "type": "SimpleItem"
            },
            {
                "autoContinue": true,
                "command": 178,
                "doJumpId": 3,
                "frame": 2,
                "params": [1, 8.5, -1, 0, 0, 0, 0],
                "type": "SimpleItem"
            },
            {
                "TransectStyleComplexItem": {
                    "CameraCalc": {
                        "AdjustedFootprintFrontal": 25,
                        "AdjustedFootprintSide": 25,
                        "CameraName": "Manual (no camera specs)",
                        "DistanceMode": 1,
                        "DistanceToSurface": 50,
                        "version": 2
                    },
                    "CameraShots": 0,
                    "CameraTriggerInTurnAround": true,
                    "HoverAndCapture": false,
                    "Items": [
                        {
                            "autoContinue": true,
                            "command": 16,
                            "doJumpId": 4,
                            "frame": 3,
                            "params": [0, 0, 0, null, 47.3990001, 8.5470002, 50],
                            "type": "SimpleItem"
                        },
                        {
                            "autoContinue": true,
                            "command": 16,
                            "doJumpId": 5,
                            "frame": 3,
                            "params": [0, 0, 0, null, 47.3995003, 8.5480004, 50],
                            "type": "SimpleItem"
                        }
                    ],
                    "Refly90Degrees": false,
                    "TurnAroundDistance": 10,
                    "VisualTransectPoints": [[47.3990001, 8.5470002], [47.3995003, 8.5480004]],
                    "version": 1
                },
                "angle": 0,
                "complexItemType": "survey",
                "entryLocation": 0,
                "flyAlternateTransects": false,
                "polygon": [[47.3989, 8.5469], [47.3996, 8.5469], [47.3996, 8.5481], [47.3989, 8.5481]],
                "splitConcavePolygons": false,
                "type": "ComplexItem",
                "version": 5
            },
            {
                "autoContinue": true,
                "command": 20,
                "doJumpId": 6,
                "frame": 2,
                "params": [0, 0, 0, 0, 0, 0, 0],
                "type": "SimpleItem"
            }
        ],
        "plannedHomePosition": [47.3977419, 8.5455938, 488.13],
        "vehicleType": 2,
        "version": 2
    },
    "rallyPoints": {
        "points": [[47.3979, 8.5458, 30]],
        "version": 2
    },
    "version": 1
}"#;

    fn err_text(text: &str) -> String {
        parse_plan(text, "plan.plan").unwrap_err().to_string()
    }

    /// A minimal plan whose mission has these items.
    fn with_items(items: &str) -> String {
        format!(r#"{{"fileType":"Plan","version":1,"mission":{{"version":2,"items":{items}}}}}"#)
    }

    fn same(a: &Mission, b: &Mission) {
        assert_eq!(
            format!("{a:?}"),
            format!("{b:?}"),
            "missions differ bit for bit"
        );
    }

    #[test]
    fn reads_a_qgroundcontrol_plan() {
        let m = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        assert_eq!(
            m.home,
            Some(GeoPoint {
                lat_deg: 47.3977419,
                lon_deg: 8.5455938,
                alt_m: 488.13
            })
        );
        let commands: Vec<u16> = m.items.iter().map(|i| i.command).collect();
        assert_eq!(commands, vec![22, 16, 178, 16, 16, 20]);
        let takeoff = &m.items[0];
        assert_eq!(
            (takeoff.frame, takeoff.x, takeoff.y, takeoff.z),
            (3, 47.3977419, 8.5455938, 30.0)
        );
        assert!(takeoff.params[3].is_nan(), "null is NaN");
        assert_eq!(m.items[2].params, [1.0, 8.5, -1.0, 0.0]);
        assert_eq!(m.items[2].frame, 2);
        assert_eq!((m.items[3].x, m.items[3].y), (47.3990001, 8.5470002));
        assert_eq!(
            (m.items[4].x, m.items[4].y, m.items[4].z),
            (47.3995003, 8.5480004, 50.0)
        );
        assert!(m.items.iter().all(|i| i.autocontinue));
    }

    #[test]
    fn the_qgroundcontrol_plan_is_fit_to_upload() {
        let mission = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        assert_eq!(crate::inspect(&mission), crate::Findings::default());
    }

    #[test]
    fn round_trips_a_qgroundcontrol_plan() {
        let original = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        let text = to_plan_string(&original);
        same(&parse_plan(&text, "vigil.plan").unwrap(), &original);
    }

    #[test]
    fn round_trips_awkward_values_exactly() {
        let item = |frame, params, x, y, z| MissionItem {
            frame,
            command: 31000,
            autocontinue: false,
            params,
            x,
            y,
            z,
        };
        let original = Mission {
            home: Some(GeoPoint {
                lat_deg: -33.8688197,
                lon_deg: 151.2092955,
                alt_m: f64::NAN,
            }),
            items: vec![
                item(
                    3,
                    [0.1, f32::NAN, -0.0, 3.4028235e38],
                    1.0 / 3.0,
                    -179.99999999999,
                    1.0e-7,
                ),
                item(
                    0,
                    [1.0e-45, f32::MIN_POSITIVE, 16_777_217.0, -7.25],
                    90.0,
                    f64::NAN,
                    f32::NAN,
                ),
                item(11, [0.0; 4], -0.0, 5e-324, 123.456),
                item(255, [2.5; 4], 1e300, -1e-300, -0.0),
            ],
            ..Default::default()
        };
        same(
            &parse_plan(&to_plan_string(&original), "x").unwrap(),
            &original,
        );
    }

    #[test]
    fn full_precision_coordinates_round_trip_bit_for_bit() {
        let mut rng = vigil_core::rng::Rng::new(0x1234_5678_9abc_def0);
        let mut next = move || rng.uniform();
        let items = (0..2000)
            .map(|_| MissionItem {
                frame: 3,
                command: 16,
                autocontinue: true,
                params: [0.0; 4],
                x: next() * 180.0 - 90.0,
                y: next() * 360.0 - 180.0,
                z: (next() * 500.0) as f32,
            })
            .collect();
        let original = Mission {
            home: Some(GeoPoint {
                lat_deg: next(),
                lon_deg: next(),
                alt_m: next(),
            }),
            items,
            ..Default::default()
        };
        same(
            &parse_plan(&to_plan_string(&original), "x").unwrap(),
            &original,
        );
    }

    #[test]
    fn every_f32_survives_the_trip_through_json_numbers() {
        let mut rng = vigil_core::rng::Rng::new(0x9e37_79b9);
        for _ in 0..200_000 {
            let bits = (rng.next_u64() >> 32) as u32;
            let value = f32::from_bits(bits);
            if value.is_finite() {
                let back = serde_json::from_str::<Value>(&f32_json(value).to_string()).unwrap();
                assert_eq!(back.as_f64().unwrap() as f32, value, "bits {bits:#x}");
            }
        }
    }

    #[test]
    fn writes_what_qgroundcontrol_expects() {
        let m = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        let doc: Value = serde_json::from_str(&to_plan_string(&m)).unwrap();
        assert_eq!(doc["fileType"], "Plan");
        assert_eq!(doc["groundStation"], "Vigil");
        assert_eq!(doc["version"], 1);
        assert_eq!(
            doc["geoFence"],
            json!({
                "circles": [{
                    "circle": { "center": [47.3975, 8.5452], "radius": 25.5 },
                    "inclusion": false,
                    "version": 1
                }],
                "polygons": [{
                    "inclusion": true,
                    "polygon": [[47.39, 8.54], [47.39, 8.55], [47.40, 8.55]],
                    "version": 1
                }],
                "version": 2
            })
        );
        assert_eq!(
            doc["rallyPoints"],
            json!({ "points": [[47.3979, 8.5458, 30.0]], "version": 2 })
        );
        let empty: Value = serde_json::from_str(&to_plan_string(&Mission::default())).unwrap();
        assert_eq!(
            empty["geoFence"],
            json!({ "circles": [], "polygons": [], "version": 2 })
        );
        assert_eq!(empty["rallyPoints"], json!({ "points": [], "version": 2 }));
        let mission = &doc["mission"];
        assert_eq!(
            (
                mission["version"].as_u64(),
                mission["firmwareType"].as_u64()
            ),
            (Some(2), Some(3))
        );
        assert_eq!(
            (
                mission["vehicleType"].as_u64(),
                mission["cruiseSpeed"].as_u64()
            ),
            (Some(2), Some(15))
        );
        assert_eq!(mission["hoverSpeed"], 5);
        assert_eq!(
            mission["plannedHomePosition"],
            json!([47.3977419, 8.5455938, 488.13])
        );
        let takeoff = &mission["items"][0];
        assert_eq!(
            takeoff["params"],
            json!([0.0, 0.0, 0.0, null, 47.3977419, 8.5455938, 30.0])
        );
        assert_eq!(
            (
                &takeoff["doJumpId"],
                &takeoff["AltitudeMode"],
                &takeoff["Altitude"]
            ),
            (&json!(1), &json!(1), &json!(30.0))
        );
        assert!(
            takeoff["AMSLAltAboveTerrain"].is_null()
                && takeoff.get("AMSLAltAboveTerrain").is_some()
        );
        let speed = &mission["items"][2];
        assert_eq!(
            (&speed["doJumpId"], &speed["type"]),
            (&json!(3), &json!("SimpleItem"))
        );
        assert!(
            speed.get("AltitudeMode").is_none(),
            "no altitude fields without a position"
        );
        assert_eq!(mission["items"][5]["doJumpId"], 6);
    }

    #[test]
    fn altitude_fields_go_with_exactly_the_global_frames() {
        for frame in 0..=u8::MAX {
            let global = super::super::is_global_frame(frame);
            assert_eq!(altitude_mode(frame).is_some(), global, "frame {frame}");
        }
        assert_eq!(
            [0, 3, 5, 6, 10, 11].map(altitude_mode),
            [2, 1, 2, 1, 4, 4].map(Some)
        );
    }

    #[test]
    fn f32_values_are_written_short() {
        let m = Mission {
            home: None,
            items: vec![MissionItem {
                frame: 2,
                command: 178,
                autocontinue: true,
                params: [0.1, 0.0, 0.0, 0.0],
                x: 0.0,
                y: 0.0,
                z: 0.3,
            }],
            ..Default::default()
        };
        let text = to_plan_string(&m);
        assert!(text.contains("0.1,") && text.contains("0.3\n"), "{text}");
        assert!(!text.contains("0.100000001"), "{text}");
        assert_eq!(parse_plan(&text, "x").unwrap(), m);
    }

    #[test]
    fn other_complex_scans_are_flattened_and_unknown_ones_rejected() {
        let scan = |kind: &str| {
            with_items(&format!(
                r#"[{{"type":"ComplexItem","complexItemType":"{kind}","TransectStyleComplexItem":{{"Items":[
                    {{"type":"SimpleItem","command":16,"frame":3,"params":[0,0,0,0,1,2,3],"autoContinue":false}}]}}}}]"#
            ))
        };
        for kind in ["CorridorScan", "StructureScan"] {
            let m = parse_plan(&scan(kind), "x").unwrap();
            assert_eq!(
                (m.items.len(), m.items[0].autocontinue, m.items[0].z),
                (1, false, 3.0),
                "{kind}"
            );
        }
        assert_eq!(
            err_text(&scan("FixedWingLanding")),
            "plan.plan: mission.items[0]: field \"complexItemType\" is not a complex item Vigil can flatten \
             (only \"survey\", \"CorridorScan\" and \"StructureScan\"), found \"FixedWingLanding\""
        );
    }

    #[test]
    fn bad_field_names_item_and_field() {
        let ok = r#"{"type":"SimpleItem","command":16,"frame":3,"params":[0,0,0,0,1,2,3]}"#;
        let bad = r#"{"type":"SimpleItem","command":"abc","frame":3,"params":[0,0,0,0,1,2,3]}"#;
        assert_eq!(
            err_text(&with_items(&format!("[{ok},{ok},{bad}]"))),
            "plan.plan: mission.items[2]: field \"command\" must be an integer in 0..=65535, found \"abc\""
        );
        let bad = r#"{"type":"SimpleItem","command":16,"frame":300,"params":[0,0,0,0,1,2,3]}"#;
        assert_eq!(
            err_text(&with_items(&format!("[{bad}]"))),
            "plan.plan: mission.items[0]: field \"frame\" must be an integer in 0..=255, found 300"
        );
    }

    #[test]
    fn bad_param_names_its_json_path() {
        let ok = r#"{"type":"SimpleItem","command":16,"frame":3,"params":[0,0,0,0,1,2,3]}"#;
        let bad = r#"{"type":"SimpleItem","command":16,"frame":3,"params":[0,0,0,0,"x",2,3]}"#;
        assert_eq!(
            err_text(&with_items(&format!("[{ok},{ok},{ok},{bad}]"))),
            "plan.plan: mission.items[3].params[4]: must be a number or null, found \"x\""
        );
        let short = r#"{"type":"SimpleItem","command":16,"frame":3,"params":[0,0,0]}"#;
        assert_eq!(
            err_text(&with_items(&format!("[{short}]"))),
            "plan.plan: mission.items[0]: field \"params\" must have 7 entries, found 3"
        );
    }

    #[test]
    fn bad_transect_item_names_its_nested_path() {
        let text = with_items(
            r#"[{"type":"ComplexItem","complexItemType":"survey","TransectStyleComplexItem":{"Items":[
                {"type":"SimpleItem","frame":3,"params":[0,0,0,0,1,2,3]}]}}]"#,
        );
        assert_eq!(
            err_text(&text),
            "plan.plan: mission.items[0].TransectStyleComplexItem.Items[0]: field \"command\" is missing"
        );
        let text =
            with_items(r#"[{"type":"ComplexItem","complexItemType":"StructureScan","Layers":1}]"#);
        assert_eq!(
            err_text(&text),
            "plan.plan: mission.items[0]: field \"TransectStyleComplexItem\" is missing"
        );
    }

    #[test]
    fn wrong_document_names_the_field() {
        assert_eq!(
            err_text(r#"{"fileType":"GeoFence","version":1}"#),
            "plan.plan: top level: field \"fileType\" must be \"Plan\", found \"GeoFence\""
        );
        assert_eq!(
            err_text(r#"{"fileType":"Plan","version":2}"#),
            "plan.plan: top level: field \"version\" must be 1, found 2"
        );
        assert_eq!(
            err_text("[1, 2]"),
            "plan.plan: top level: must be a JSON object, found an array"
        );
        assert_eq!(
            err_text(r#"{"fileType":"Plan","version":1}"#),
            "plan.plan: top level: field \"mission\" is missing"
        );
        assert_eq!(
            err_text(
                r#"{"fileType":"Plan","version":1,"mission":{"items":[],"plannedHomePosition":[1,2]}}"#
            ),
            "plan.plan: mission.plannedHomePosition: must be [latitude, longitude, altitude], found an array"
        );
        assert_eq!(
            err_text(&with_items(r#"[{"type":"Waypoint"}]"#)),
            "plan.plan: mission.items[0]: field \"type\" must be \"SimpleItem\" or \"ComplexItem\", found \"Waypoint\""
        );
    }

    #[test]
    fn invalid_json_names_line_and_column() {
        let err = parse_plan(
            "{\n  \"fileType\": \"Plan\",\n  \"version\": 1,,\n}",
            "plan.plan",
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                MissionFileError::Json {
                    line: 3,
                    column: 16,
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "plan.plan line 3: column 16: invalid JSON: key must be a string"
        );
    }

    #[test]
    fn no_home_is_written_as_zeros_and_read_back_as_none() {
        let text = to_plan_string(&Mission::default());
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["mission"]["plannedHomePosition"],
            json!([0.0, 0.0, 0.0])
        );
        assert_eq!(parse_plan(&text, "x").unwrap(), Mission::default());
    }

    #[test]
    fn garbage_never_panics() {
        let nasty = [
            "",
            "{",
            "null",
            "\"Plan\"",
            "{\"fileType\":\"Plan\",\"version\":1,\"mission\":[]}",
            &with_items("7"),
            &with_items("[null]"),
            &with_items("[{\"type\":\"ComplexItem\"}]"),
            &with_items(
                "[{\"type\":\"SimpleItem\",\"command\":1e400,\"frame\":-1,\"params\":[1e39,0,0,0,0,0,0]}]",
            ),
            &"[".repeat(100_000),
        ];
        for text in nasty {
            assert!(parse_plan(text, "x").is_err(), "{text:.80}");
        }
        let huge = with_items(
            r#"[{"type":"SimpleItem","command":1,"frame":1,"params":[1e39,0,0,0,0,0,0]}]"#,
        );
        assert_eq!(
            parse_plan(&huge, "x").unwrap().items[0].params[0],
            f32::INFINITY
        );
    }

    #[test]
    fn reads_the_geofence_and_rally_points() {
        let m = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        assert_eq!(
            m.fence,
            Fence {
                polygons: vec![FencePolygon {
                    inclusion: true,
                    vertices: vec![(47.39, 8.54), (47.39, 8.55), (47.40, 8.55)],
                }],
                circles: vec![FenceCircle {
                    inclusion: false,
                    center: (47.3975, 8.5452),
                    radius_m: 25.5,
                }],
                breach_return: None,
            }
        );
        assert_eq!(
            m.rally,
            vec![GeoPoint {
                lat_deg: 47.3979,
                lon_deg: 8.5458,
                alt_m: 30.0
            }]
        );
        assert_eq!(
            m.fence.describe(),
            "a fence of 1 polygon (3 vertices) and 1 circle"
        );
        assert_eq!(m.fence.item_count(), 4);
    }

    #[test]
    fn a_plan_without_fence_or_rally_sections_has_none() {
        let m = parse_plan(&with_items("[]"), "x").unwrap();
        assert_eq!((m.fence.is_empty(), m.rally.len()), (true, 0));
        assert_eq!(Fence::default().describe(), "no fence");
    }

    #[test]
    fn fence_and_rally_round_trip_bit_for_bit() {
        let original = Mission {
            home: None,
            items: Vec::new(),
            fence: Fence {
                polygons: vec![
                    FencePolygon {
                        inclusion: true,
                        vertices: vec![
                            (-35.3620001, 149.1640003),
                            (-35.3620001, 149.16700071234567),
                            (-35.36500089, 149.1670007),
                            (1.0 / 3.0, -179.99999999999),
                        ],
                    },
                    FencePolygon {
                        inclusion: false,
                        vertices: vec![(0.0, 0.0), (-0.0, 1e-9), (90.0, -180.0)],
                    },
                ],
                circles: vec![
                    FenceCircle {
                        inclusion: false,
                        center: (-35.3631, 149.1655),
                        radius_m: 25.5,
                    },
                    FenceCircle {
                        inclusion: true,
                        center: (47.123456789, 8.987654321),
                        radius_m: 1.0 / 7.0,
                    },
                ],
                breach_return: Some(GeoPoint {
                    lat_deg: -35.36,
                    lon_deg: 149.16,
                    alt_m: 40.25,
                }),
            },
            rally: vec![
                GeoPoint {
                    lat_deg: -35.3610123,
                    lon_deg: 149.1660456,
                    alt_m: 30.0,
                },
                GeoPoint {
                    lat_deg: -35.3645678,
                    lon_deg: 149.1630987,
                    alt_m: f64::NAN,
                },
            ],
        };
        let text = to_plan_string(&original);
        let back = parse_plan(&text, "fence.plan").unwrap();
        same(&back, &original);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["geoFence"]["breachReturn"],
            json!([-35.36, 149.16, 40.25])
        );
        assert_eq!(
            doc["rallyPoints"]["points"][1],
            json!([-35.3645678, 149.1630987, null])
        );
        // The same again through QGroundControl's own fixture.
        let qgc = parse_plan(QGC_PLAN, "survey.plan").unwrap();
        same(&parse_plan(&to_plan_string(&qgc), "x").unwrap(), &qgc);
    }

    /// A plan with this `geoFence` (and `rallyPoints`, if given).
    fn with_fence(fence: &str, rally: &str) -> String {
        format!(
            r#"{{"fileType":"Plan","version":1,"mission":{{"version":2,"items":[]}},"geoFence":{fence}{rally}}}"#
        )
    }

    #[test]
    fn bad_fences_and_rally_points_name_file_and_field() {
        let cases = [
            (
                with_fence(r#"{"version":1,"polygon":[]}"#, ""),
                "plan.plan: geoFence: field \"version\" must be 2 (an older geofence, which \
                 QGroundControl ignores, is not read either; draw it again), found 1",
            ),
            (
                with_fence(r#"{"version":2,"circles":[]}"#, ""),
                "plan.plan: geoFence: field \"polygons\" is missing",
            ),
            (
                with_fence(
                    r#"{"version":2,"circles":[],"polygons":[{"inclusion":true,"polygon":[[1,2],[3,4]],"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.polygons[0]: field \"polygon\" must have at least 3 vertices, found 2",
            ),
            (
                with_fence(
                    r#"{"version":2,"circles":[],"polygons":[{"polygon":[[1,2],[3,4],[5,6]],"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.polygons[0]: field \"inclusion\" is missing",
            ),
            (
                with_fence(
                    r#"{"version":2,"circles":[],"polygons":[{"inclusion":"yes","polygon":[],"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.polygons[0]: field \"inclusion\" must be true or false, found \"yes\"",
            ),
            (
                with_fence(
                    r#"{"version":2,"circles":[],"polygons":[{"inclusion":true,"polygon":[[1,2],[3,4],[95,6]],"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.polygons[0].polygon[2][0]: must be a number of degrees in -90..=90, found 95",
            ),
            (
                with_fence(
                    r#"{"version":2,"polygons":[],"circles":[{"inclusion":false,"circle":{"center":[1,2]},"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.circles[0].circle: field \"radius\" is missing",
            ),
            (
                with_fence(
                    r#"{"version":2,"polygons":[],"circles":[{"inclusion":false,"circle":{"center":[1,2],"radius":-5},"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.circles[0].circle: field \"radius\" must be a positive number of metres, found -5",
            ),
            (
                with_fence(
                    r#"{"version":2,"polygons":[],"circles":[{"inclusion":false,"circle":{"center":"here","radius":5},"version":1}]}"#,
                    "",
                ),
                "plan.plan: geoFence.circles[0].circle.center: must be [latitude, longitude], found \"here\"",
            ),
            (
                with_fence(
                    r#"{"version":2,"polygons":[],"circles":[]}"#,
                    r#","rallyPoints":{"version":2,"points":[[1,2,3],[4,5]]}"#,
                ),
                "plan.plan: rallyPoints.points[1]: must be [latitude, longitude, altitude], found an array",
            ),
            (
                with_fence(
                    r#"{"version":2,"polygons":[],"circles":[]}"#,
                    r#","rallyPoints":{"version":1,"points":[]}"#,
                ),
                "plan.plan: rallyPoints: field \"version\" must be 2, found 1",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(err_text(&text), expected);
        }
    }
}
