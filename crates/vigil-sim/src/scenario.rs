//! Scenario files (`assets/scenarios/*.toml`, documented in `assets/scenarios/FORMAT.md`):
//! parsed with serde, then validated so that every mistake is reported with the file and the
//! field (`demo.toml: drone[1].sysid: 1 is used twice`), never discovered mid-simulation.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use vigil_core::time::parse_utc;

use serde::Deserialize;

use vigil_core::time::TimeUs;

/// Errors reading a scenario; each names the file and the place in it.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{path}: {field}: {reason}")]
    Invalid {
        path: PathBuf,
        field: String,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatLon {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Home {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_msl_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waypoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
    #[serde(default)]
    pub dwell_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Night {
    pub from_utc_hour: f64,
    pub to_utc_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub start_utc: String,
    pub duration_s: Option<f64>,
    #[serde(default)]
    pub seed: u64,
    pub area: Option<PathBuf>,
    pub night: Option<Night>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Wind {
    pub speed_mps: f64,
    pub from_deg: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DroneKind {
    Multirotor,
    FixedWing,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraSpec {
    pub hfov_deg: f64,
    pub vfov_deg: f64,
    /// Mount pitch below the horizon is negative; -90 looks straight down.
    pub pitch_deg: f64,
    pub range_m: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DroneSpec {
    pub sysid: u8,
    pub kind: DroneKind,
    #[serde(default)]
    pub name: String,
    pub home: Home,
    #[serde(default = "full")]
    pub battery_pct: f64,
    #[serde(default = "default_endurance")]
    pub endurance_min: f64,
    pub camera: Option<CameraSpec>,
    /// Seconds after boot before the simulated EKF and GPS are ready to arm.
    #[serde(default = "default_prearm_delay")]
    pub prearm_delay_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SensorKindSpec {
    Seismic,
    Pir,
    Radar,
    Acoustic,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorSpec {
    pub sysid: u8,
    #[serde(default = "peripheral")]
    pub compid: u8,
    /// What the operators call it ("Keradu east radar"); the station shows it when given.
    #[serde(default)]
    pub name: String,
    pub kind: SensorKindSpec,
    pub position: LatLon,
    pub radius_m: f64,
    pub boresight_deg: Option<f64>,
    #[serde(default = "full_circle")]
    pub fov_deg: f64,
    pub pd: f64,
    #[serde(default)]
    pub false_alarms_per_hour: f64,
    #[serde(default = "full")]
    pub battery_pct: f64,
    #[serde(default = "default_report_period")]
    pub report_period_s: f64,
    /// Chance per hour that the sensing element fails; a failed node reports the fault and
    /// detects nothing more.
    #[serde(default)]
    pub faults_per_hour: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoverKind {
    Person,
    Vehicle,
    Animal,
}

impl MoverKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Vehicle => "vehicle",
            Self::Animal => "animal",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoverSpec {
    pub id: String,
    pub kind: MoverKind,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default = "default_spacing")]
    pub spacing_m: f64,
    pub speed_mps: f64,
    #[serde(default)]
    pub start_s: f64,
    #[serde(default, rename = "loop")]
    pub repeat: bool,
    #[serde(default)]
    pub armed: bool,
    /// Random detours: each waypoint is reached at a random point within this distance, and
    /// each wait is 50-150% of its length (0: the route exactly as written).
    #[serde(default)]
    pub wander_m: f64,
    pub route: Vec<Waypoint>,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadioSpec {
    pub bandwidth_bps: Option<f64>,
    #[serde(default)]
    pub loss: f64,
    #[serde(default)]
    pub latency_ms: f64,
    #[serde(default)]
    pub corruption: f64,
}

/// A scenario as written in its file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub scenario: Header,
    #[serde(default)]
    pub wind: Wind,
    #[serde(default, rename = "drone")]
    pub drones: Vec<DroneSpec>,
    #[serde(default, rename = "sensor")]
    pub sensors: Vec<SensorSpec>,
    #[serde(default, rename = "mover")]
    pub movers: Vec<MoverSpec>,
    #[serde(default, rename = "radio")]
    pub radios: Vec<RadioSpec>,
    /// Text messages villagers send to the mission's SMS number, for `vigil sim --modem`.
    #[serde(default, rename = "sms")]
    pub sms: Vec<SmsSpec>,
    /// The folder of the file, for relative paths (set by `load`).
    #[serde(skip)]
    pub folder: PathBuf,
}

/// A text message sent to the mission's number during the scenario.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSpec {
    /// When it reaches the modem, seconds from the start.
    pub at_s: f64,
    /// The sender's number.
    pub from: String,
    pub text: String,
}

/// The longest scripted message, in characters (one SMS of the GSM alphabet).
pub const MAX_SMS_CHARS: usize = 160;

impl Scenario {
    /// The scripted messages' problems, if any: a time that is not a second count, an empty
    /// sender, a message longer than one SMS.
    fn check_sms(&self) -> Result<(), (String, String)> {
        for (i, sms) in self.sms.iter().enumerate() {
            if !(sms.at_s.is_finite() && sms.at_s >= 0.0) {
                return Err((
                    format!("sms[{i}].at_s"),
                    "must be zero or more seconds".into(),
                ));
            }
            if sms.from.trim().is_empty() {
                return Err((format!("sms[{i}].from"), "is empty".into()));
            }
            let chars = sms.text.chars().count();
            if chars > MAX_SMS_CHARS {
                return Err((
                    format!("sms[{i}].text"),
                    format!("has {chars} characters; one SMS holds {MAX_SMS_CHARS}"),
                ));
            }
        }
        Ok(())
    }
}

fn full() -> f64 {
    100.0
}
fn full_circle() -> f64 {
    360.0
}
fn default_endurance() -> f64 {
    35.0
}
fn default_prearm_delay() -> f64 {
    super::vehicle::DEFAULT_PREARM_DELAY_S
}
fn peripheral() -> u8 {
    158
}
fn default_report_period() -> f64 {
    2.0
}
fn one() -> u32 {
    1
}
fn default_spacing() -> f64 {
    3.0
}

/// The demo scenario (`assets/scenarios/demo.toml`), built into the binary so that the demo
/// runs from anywhere.
pub const DEMO_SCENARIO: &str = include_str!("../../../assets/scenarios/demo.toml");

impl Scenario {
    /// The built-in demo: an armed group approaches a village at night while civilians go
    /// about their evening.
    pub fn demo() -> Self {
        // The file is part of the build and checked by a test, so it always parses.
        Self::parse(DEMO_SCENARIO, Path::new("assets/scenarios/demo.toml"))
            .unwrap_or_else(|err| panic!("the built-in demo is invalid: {err}"))
    }

    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Self, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut scenario = Self::parse(&text, path)?;
        scenario.folder = path.parent().map(Path::to_owned).unwrap_or_default();
        Ok(scenario)
    }

    /// Parses and validates scenario text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ScenarioError> {
        let scenario: Self = toml::from_str(text).map_err(|err| ScenarioError::Parse {
            path: path.to_owned(),
            message: err.to_string().trim_end().to_owned(),
        })?;
        scenario.validate(path)?;
        Ok(scenario)
    }

    /// The simulated clock at the scenario's start.
    pub fn start_time(&self) -> TimeUs {
        parse_utc(&self.scenario.start_utc).unwrap_or_default()
    }

    /// The origin of the simulator's local frame: the first drone's home, else the first
    /// sensor, else the first mover's start.
    pub fn origin(&self) -> LatLon {
        self.drones
            .first()
            .map(|d| LatLon {
                lat_deg: d.home.lat_deg,
                lon_deg: d.home.lon_deg,
            })
            .or_else(|| self.sensors.first().map(|s| s.position))
            .or_else(|| {
                self.movers
                    .first()
                    .and_then(|m| m.route.first())
                    .map(|w| LatLon {
                        lat_deg: w.lat_deg,
                        lon_deg: w.lon_deg,
                    })
            })
            .unwrap_or(LatLon {
                lat_deg: 0.0,
                lon_deg: 0.0,
            })
    }

    // Long: one check per field of the scenario file, each naming the field.
    fn validate(&self, path: &Path) -> Result<(), ScenarioError> {
        let fail = |field: String, reason: String| {
            Err(ScenarioError::Invalid {
                path: path.to_owned(),
                field,
                reason,
            })
        };
        if let Err((field, reason)) = self.check_sms() {
            return fail(field, reason);
        }
        if parse_utc(&self.scenario.start_utc).is_none() {
            return fail(
                "scenario.start_utc".into(),
                format!(
                    "{:?} is not a UTC time like 2026-03-14T18:30:00Z",
                    self.scenario.start_utc
                ),
            );
        }
        if let Some(duration) = self.scenario.duration_s
            && !(duration.is_finite() && duration > 0.0)
        {
            return fail(
                "scenario.duration_s".into(),
                format!("{duration} must be a positive number of seconds"),
            );
        }
        let mut ids = BTreeSet::new();
        for (i, drone) in self.drones.iter().enumerate() {
            let at = |field: &str| format!("drone[{i}].{field}");
            if !(1..=99).contains(&drone.sysid) {
                return fail(
                    at("sysid"),
                    format!("{} must be 1-99 for drones", drone.sysid),
                );
            }
            if !ids.insert((drone.sysid, 1)) {
                return fail(at("sysid"), format!("{} is used twice", drone.sysid));
            }
            check_position(drone.home.lat_deg, drone.home.lon_deg)
                .or_else(|reason| fail(at("home"), reason))?;
            check_range(drone.battery_pct, 0.0, 100.0)
                .or_else(|reason| fail(at("battery_pct"), reason))?;
            check_range(drone.prearm_delay_s, 0.0, 3600.0)
                .or_else(|reason| fail(at("prearm_delay_s"), reason))?;
            check_range(drone.endurance_min, 1.0, 10_000.0)
                .or_else(|reason| fail(at("endurance_min"), reason))?;
            if let Some(camera) = drone.camera {
                check_range(camera.hfov_deg, 1.0, 170.0)
                    .or_else(|reason| fail(at("camera.hfov_deg"), reason))?;
                check_range(camera.vfov_deg, 1.0, 170.0)
                    .or_else(|reason| fail(at("camera.vfov_deg"), reason))?;
                check_range(camera.pitch_deg, -90.0, -5.0)
                    .or_else(|reason| fail(at("camera.pitch_deg"), reason))?;
                check_range(camera.range_m, 1.0, 50_000.0)
                    .or_else(|reason| fail(at("camera.range_m"), reason))?;
            }
        }
        for (i, sensor) in self.sensors.iter().enumerate() {
            let at = |field: &str| format!("sensor[{i}].{field}");
            if sensor.sysid < 100 {
                return fail(
                    at("sysid"),
                    format!(
                        "{} must be 100 or more for sensor nodes (drones use 1-99)",
                        sensor.sysid
                    ),
                );
            }
            if !ids.insert((sensor.sysid, sensor.compid)) {
                return fail(
                    at("sysid"),
                    format!("{}/{} is used twice", sensor.sysid, sensor.compid),
                );
            }
            check_position(sensor.position.lat_deg, sensor.position.lon_deg)
                .or_else(|reason| fail(at("position"), reason))?;
            check_range(sensor.radius_m, 1.0, 20_000.0)
                .or_else(|reason| fail(at("radius_m"), reason))?;
            check_range(sensor.fov_deg, 1.0, 360.0)
                .or_else(|reason| fail(at("fov_deg"), reason))?;
            check_range(sensor.pd, 0.0, 1.0).or_else(|reason| fail(at("pd"), reason))?;
            check_range(sensor.false_alarms_per_hour, 0.0, 3600.0)
                .or_else(|reason| fail(at("false_alarms_per_hour"), reason))?;
            check_range(sensor.battery_pct, 0.0, 100.0)
                .or_else(|reason| fail(at("battery_pct"), reason))?;
            check_range(sensor.report_period_s, 0.1, 3600.0)
                .or_else(|reason| fail(at("report_period_s"), reason))?;
            check_range(sensor.faults_per_hour, 0.0, 3600.0)
                .or_else(|reason| fail(at("faults_per_hour"), reason))?;
            if let Some(boresight) = sensor.boresight_deg {
                check_range(boresight, 0.0, 360.0)
                    .or_else(|reason| fail(at("boresight_deg"), reason))?;
            }
        }
        let mut mover_ids = BTreeSet::new();
        for (i, mover) in self.movers.iter().enumerate() {
            let at = |field: &str| format!("mover[{i}].{field}");
            if mover.id.is_empty() || !mover_ids.insert(mover.id.as_str()) {
                return fail(
                    at("id"),
                    format!("{:?} must be a unique, non-empty name", mover.id),
                );
            }
            check_range(mover.speed_mps, 0.01, 60.0)
                .or_else(|reason| fail(at("speed_mps"), reason))?;
            check_range(mover.start_s, 0.0, 1e7).or_else(|reason| fail(at("start_s"), reason))?;
            check_range(f64::from(mover.count), 1.0, 500.0)
                .or_else(|reason| fail(at("count"), reason))?;
            check_range(mover.spacing_m, 0.0, 1000.0)
                .or_else(|reason| fail(at("spacing_m"), reason))?;
            check_range(mover.wander_m, 0.0, 10_000.0)
                .or_else(|reason| fail(at("wander_m"), reason))?;
            if mover.route.is_empty() {
                return fail(at("route"), "needs at least one waypoint".into());
            }
            for (j, waypoint) in mover.route.iter().enumerate() {
                check_position(waypoint.lat_deg, waypoint.lon_deg)
                    .or_else(|reason| fail(at(&format!("route[{j}]")), reason))?;
                check_range(waypoint.dwell_s, 0.0, 1e7)
                    .or_else(|reason| fail(at(&format!("route[{j}].dwell_s")), reason))?;
            }
        }
        for (i, radio) in self.radios.iter().enumerate() {
            let at = |field: &str| format!("radio[{i}].{field}");
            if let Some(bandwidth) = radio.bandwidth_bps {
                check_range(bandwidth, 300.0, 1e9)
                    .or_else(|reason| fail(at("bandwidth_bps"), reason))?;
            }
            check_range(radio.loss, 0.0, 1.0).or_else(|reason| fail(at("loss"), reason))?;
            check_range(radio.corruption, 0.0, 1.0)
                .or_else(|reason| fail(at("corruption"), reason))?;
            check_range(radio.latency_ms, 0.0, 60_000.0)
                .or_else(|reason| fail(at("latency_ms"), reason))?;
        }
        Ok(())
    }
}

fn check_range(value: f64, low: f64, high: f64) -> Result<(), String> {
    if value.is_finite() && (low..=high).contains(&value) {
        Ok(())
    } else {
        Err(format!("{value} is outside {low}..={high}"))
    }
}

fn check_position(lat_deg: f64, lon_deg: f64) -> Result<(), String> {
    if (-90.0..=90.0).contains(&lat_deg) && (-180.0..=180.0).contains(&lon_deg) {
        Ok(())
    } else {
        Err(format!(
            "{lat_deg}, {lon_deg} is not a latitude and longitude in degrees"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_core::time::utc_string;

    const MINIMAL: &str = r#"
[scenario]
name = "test"
start_utc = "2026-03-14T18:30:00Z"
seed = 3

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 9.0, lon_deg = 31.0, alt_msl_m = 420.0 }

[[sensor]]
sysid = 101
kind = "radar"
position = { lat_deg = 9.001, lon_deg = 31.002 }
radius_m = 500.0
pd = 0.9

[[mover]]
id = "walker"
kind = "person"
speed_mps = 1.3
route = [{ lat_deg = 9.0, lon_deg = 31.0 }, { lat_deg = 9.002, lon_deg = 31.0, dwell_s = 10.0 }]
"#;

    fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn a_minimal_scenario_parses_with_defaults() {
        let scenario = parse(MINIMAL).expect("valid");
        assert_eq!(utc_string(scenario.start_time()), "2026-03-14T18:30:00Z");
        assert_eq!(scenario.sensors[0].compid, 158);
        assert_eq!(scenario.sensors[0].fov_deg, 360.0);
        assert_eq!(scenario.movers[0].count, 1);
        assert_eq!(scenario.drones[0].battery_pct, 100.0);
        assert_eq!(
            scenario.origin(),
            LatLon {
                lat_deg: 9.0,
                lon_deg: 31.0
            }
        );
    }

    #[test]
    fn mistakes_name_the_file_and_the_field() {
        let twice = format!(
            "{MINIMAL}\n[[sensor]]\nsysid = 101\nkind = \"pir\"\nposition = {{ lat_deg = 9.0, lon_deg = 31.0 }}\nradius_m = 10.0\npd = 0.5\n"
        );
        let err = parse(&twice).expect_err("duplicate").to_string();
        assert!(
            err.starts_with("test.toml: sensor[1].sysid: 101/158 is used twice"),
            "{err}"
        );

        let err = parse(&MINIMAL.replace("pd = 0.9", "pd = 1.9"))
            .expect_err("pd")
            .to_string();
        assert!(err.contains("sensor[0].pd: 1.9 is outside 0..=1"), "{err}");

        let err = parse(&MINIMAL.replace("speed_mps = 1.3", "sped_mps = 1.3"))
            .expect_err("typo")
            .to_string();
        assert!(
            err.contains("test.toml") && err.contains("sped_mps"),
            "{err}"
        );
        assert!(err.contains("line"), "a parse error says where: {err}");

        let err = parse(&MINIMAL.replace("2026-03-14T18:30:00Z", "yesterday"))
            .expect_err("time")
            .to_string();
        assert!(err.contains("scenario.start_utc"), "{err}");

        let err = parse(&MINIMAL.replace("kind = \"radar\"", "kind = \"laser\""))
            .expect_err("kind")
            .to_string();
        assert!(err.contains("laser"), "{err}");
    }

    #[test]
    fn the_shipped_scenarios_are_valid() {
        let demo = Scenario::demo();
        assert!(demo.drones.len() >= 2 && demo.sensors.len() >= 10);
        assert!(
            demo.movers.iter().any(|m| m.armed),
            "the demo has its armed group"
        );
        let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/scenarios");
        for name in ["demo.toml", "quiet.toml", "crowded.toml"] {
            Scenario::load(&folder.join(name)).unwrap_or_else(|err| panic!("{err}"));
        }
    }

    #[test]
    fn utc_times_parse_to_known_instants() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(TimeUs(0)));
        assert_eq!(
            parse_utc("2023-11-14T22:13:20Z"),
            Some(TimeUs(1_700_000_000_000_000))
        );
        assert_eq!(
            parse_utc("2000-02-29T00:00:00.5Z"),
            Some(TimeUs(951_782_400_500_000))
        );
        assert_eq!(parse_utc("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc("2026-01-01T00:00:00"), None);
    }
}
