//! The alert rules' configuration: a TOML file (`assets/rules/default.toml`, documented in
//! `assets/rules/README.md`) read into typed settings with defaults for everything left out.
//! Unknown keys and bad values are errors that name the file and the field.

use std::path::Path;

use serde::Deserialize;

use super::ProtectionError;

/// How urgent an alert is; each rule says which it raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertSeverity {
    Info,
    Warning,
    Critical,
}

impl AlertSeverity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "WARNING",
            Self::Critical => "CRITICAL",
        }
    }
}

/// The built-in rules (the same values as [`RulesConfig::default`], which a test checks).
pub const DEFAULT_RULES: &str = include_str!("../../../assets/rules/default.toml");

/// When an alert is raised, kept and cleared (see `assets/rules/README.md`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hysteresis {
    /// The condition must hold this long before an alert is raised.
    pub confirm_s: f64,
    /// An active alert clears when its condition has not held for this long.
    pub clear_after_s: f64,
    /// A cleared (unresolved) alert whose condition returns within this time is the same
    /// alert again, not a new one.
    pub rearm_s: f64,
}

macro_rules! rule_struct {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty = $default:expr),* $(,)? }
     defaults: enabled = $enabled:expr, severity = $severity:expr, confirm_s = $confirm:expr,
     clear_after_s = $clear:expr, rearm_s = $rearm:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            pub enabled: bool,
            pub severity: AlertSeverity,
            pub confirm_s: f64,
            pub clear_after_s: f64,
            pub rearm_s: f64,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    enabled: $enabled,
                    severity: $severity,
                    confirm_s: $confirm,
                    clear_after_s: $clear,
                    rearm_s: $rearm,
                    $($field: $default,)*
                }
            }
        }

        impl $name {
            pub fn hysteresis(&self) -> Hysteresis {
                Hysteresis {
                    confirm_s: self.confirm_s,
                    clear_after_s: self.clear_after_s,
                    rearm_s: self.rearm_s,
                }
            }

            fn check_common(&self, section: &str, bad: &mut Vec<(String, String)>) {
                for (field, value) in [
                    ("confirm_s", self.confirm_s),
                    ("clear_after_s", self.clear_after_s),
                    ("rearm_s", self.rearm_s),
                ] {
                    if !(value.is_finite() && value >= 0.0) {
                        bad.push((format!("{section}.{field}"), format!("{value} must be a number of seconds ≥ 0")));
                    }
                }
            }
        }
    };
}

rule_struct!(
    /// A track inside a site's protection buffer.
    BufferIntrusion {
        /// A track must be this far inside the buffer to raise or join the alert.
        enter_margin_m: f64 = 10.0,
        /// A track that joined stays in until this far outside the buffer.
        exit_margin_m: f64 = 30.0,
        /// Severity for a sensitive site (camp, clinic...), when one of the tracks was seen
        /// coming from outside (first seen outside every buffer, or one of a group that was).
        sensitive_severity: AlertSeverity = AlertSeverity::Critical,
        /// Severity at night, likewise.
        night_severity: AlertSeverity = AlertSeverity::Critical,
        /// This many tracks entering together (within `group_radius_m` of each other) are a
        /// group: `group_severity`, when one of them was seen coming from outside.
        group_tracks: usize = 3,
        group_radius_m: f64 = 100.0,
        group_severity: AlertSeverity = AlertSeverity::Critical,
        /// A track faster than this does not enter: traffic passing on a road through the
        /// buffer (a minibus at 11 m/s, a motorbike at 7). One that slows down in the buffer
        /// (stops, drops people off) does, m/s. 18 km/h: nobody on foot keeps it up, and a
        /// motorbike's track reads a little under its speed once it coasts out of sight
        /// (one at 8 m/s read 7.5 and was taken for an intrusion at the threshold of 8).
        traffic_mps: f64 = 5.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 2.0,
    clear_after_s = 60.0, rearm_s = 300.0
);

rule_struct!(
    /// A track outside a buffer closing on a site fast enough to reach its buffer soon.
    Approach {
        /// Speed towards the site, m/s, at least.
        min_closing_mps: f64 = 0.6,
        /// ... and at most: faster is traffic on a road (18 km/h and up, as
        /// `buffer_intrusion.traffic_mps`; nobody walks or herds cattle at it), passing by; a
        /// vehicle that stops in the buffer still raises an intrusion.
        max_closing_mps: f64 = 5.0,
        /// Time to reach the buffer's edge at the closing speed, seconds, at most.
        max_time_to_arrival_s: f64 = 600.0,
        /// Tracks farther than this from the buffer are ignored, m.
        max_range_m: f64 = 1500.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 5.0,
    clear_after_s = 30.0, rearm_s = 300.0
);

rule_struct!(
    /// Several tracks close together.
    Gathering {
        /// Tracks within `radius_m` of one of them, that one included.
        min_tracks: usize = 4,
        radius_m: f64 = 100.0,
        /// The alert names the nearest site within this distance of the gathering.
        near_site_m: f64 = 2000.0,
        /// A gathering of movers from outside within this distance of a site's buffer is
        /// `near_severity`: people massing at a village's edge, m.
        near_buffer_m: f64 = 500.0,
        near_severity: AlertSeverity = AlertSeverity::Critical,
        /// People massing in place: the members' mean velocity at most this (a group walking
        /// together is an approach or an intrusion, not a gathering), m/s.
        max_speed_mps: f64 = 0.5,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 0.0,
    clear_after_s = 60.0, rearm_s = 600.0
);

/// A line between two sensor nodes.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TripwireLine {
    pub name: String,
    /// System ids of the sensor nodes at the two ends.
    pub from_sensor: u8,
    pub to_sensor: u8,
}

rule_struct!(
    /// A track crossing a line between two sensor nodes.
    Tripwire {
        lines: Vec<TripwireLine> = Vec::new(),
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 0.0,
    clear_after_s = 120.0, rearm_s = 600.0
);

rule_struct!(
    /// Tracks near a site at night.
    NightActivity {
        /// From the site (its outline, not its buffer), m.
        range_m: f64 = 1000.0,
        /// Faster tracks (vehicles on a road) are traffic, left to the other rules, m/s.
        max_speed_mps: f64 = 3.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Info, confirm_s = 10.0,
    clear_after_s = 300.0, rearm_s = 1800.0
);

rule_struct!(
    /// At night, a ground sensor away from where people live (a tripwire's seismic node, a
    /// PIR on a path) stirred again and again while no track explains it: someone moving
    /// where nobody should be and no camera sees. A presence detection places the movers
    /// only within the sensor's zone, so the tracker starts no track of it (see the tracker's
    /// `initiate`); the alert is about the place, and a drone sent to it looks.
    SensorActivity {
        /// This many detections within `window_s` are movement rather than a false alarm
        /// (a node false-alarms a few times an hour).
        min_detections: usize = 3,
        window_s: f64 = 60.0,
        /// Sensors farther than this outside every site's buffer are left alone, m.
        near_buffer_m: f64 = 1000.0,
        /// A track within this distance of the sensor's zone explains it: the track rules
        /// judge that mover, m.
        explained_m: f64 = 50.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 0.0,
    clear_after_s = 300.0, rearm_s = 600.0
);

rule_struct!(
    /// A site no camera footprint or sensor range has covered for too long.
    Unobserved {
        max_unobserved_s: f64 = 900.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Info, confirm_s = 0.0,
    clear_after_s = 0.0, rearm_s = 0.0
);

rule_struct!(
    /// A sensor node near a site tampered with or silent.
    SensorHealth {
        /// Sensors farther than this from every site are left to the world's notices, m.
        near_site_m: f64 = 1500.0,
        /// Silent for this long, s.
        silent_s: f64 = 30.0,
        /// Severity of a tamper flag.
        tamper_severity: AlertSeverity = AlertSeverity::Critical,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 0.0,
    clear_after_s = 10.0, rearm_s = 600.0
);

rule_struct!(
    /// A drone covering a site low on battery or out of contact.
    DroneCover {
        low_battery_pct: f64 = 25.0,
        /// Out of contact after this long without a heartbeat, s.
        silent_s: f64 = 10.0,
        /// A drone covers a site when it is within this distance of the site's buffer or its
        /// camera footprint holds the site's centre, m.
        cover_radius_m: f64 = 300.0,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 0.0,
    clear_after_s = 10.0, rearm_s = 600.0
);

rule_struct!(
    /// Tracks in a restricted area; our drones in a no-fly area.
    Restricted {
        no_fly_severity: AlertSeverity = AlertSeverity::Critical,
    }
    defaults: enabled = true, severity = AlertSeverity::Warning, confirm_s = 2.0,
    clear_after_s = 60.0, rearm_s = 300.0
);

/// How night is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NightMethod {
    /// The sun's elevation at the site is below `sun_below_deg`.
    Sun,
    /// Local mean solar time (UTC + longitude / 15° per hour) between the two hours.
    Hours,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NightConfig {
    pub method: NightMethod,
    /// Civil twilight ends at -6°.
    pub sun_below_deg: f64,
    pub from_local_hour: f64,
    pub to_local_hour: f64,
}

impl Default for NightConfig {
    fn default() -> Self {
        Self {
            method: NightMethod::Sun,
            sun_below_deg: -6.0,
            from_local_hour: 19.0,
            to_local_hour: 5.5,
        }
    }
}

/// Who counts as a resident (see `history.rs`): a track first seen inside a site's buffer,
/// or first seen walking away from one, is going about its life there, and the track rules
/// leave it alone; a track from outside every place is what they watch.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResidentsConfig {
    /// Off: every track is treated as coming from outside (the first version's rules).
    pub enabled: bool,
    /// How far back along its way a track is traced to find the place it came from, m.
    pub lookback_m: f64,
    /// A track this near a place (its outline, or a point site's position) is at home there,
    /// m: narrower than the buffers, which reach out to where outsiders are watched.
    pub home_margin_m: f64,
}

impl Default for ResidentsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            lookback_m: 2000.0,
            home_margin_m: 100.0,
        }
    }
}

/// Which tracks the track rules look at.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TracksConfig {
    /// Tracks not updated for longer than this are coasting on a guess and are ignored, s.
    pub max_age_s: f64,
    /// Track classes the rules consider: `person`, `vehicle`, `animal`, `unknown`.
    pub classes: Vec<String>,
}

impl Default for TracksConfig {
    fn default() -> Self {
        Self {
            max_age_s: 10.0,
            classes: vec!["person".into(), "vehicle".into(), "unknown".into()],
        }
    }
}

/// The coverage grid.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CoverageConfig {
    pub cell_m: f64,
    /// The grid covers the sites' buffers and this much around them, m.
    pub margin_m: f64,
    /// Camera footprints are cut at this slant range, m.
    pub camera_range_m: f64,
    /// Whether sensor nodes' ranges count as observation.
    pub sensors_observe: bool,
}

impl Default for CoverageConfig {
    fn default() -> Self {
        Self {
            cell_m: 50.0,
            margin_m: 1000.0,
            camera_range_m: 1000.0,
            sensors_observe: true,
        }
    }
}

/// "Send a drone": which drone is suitable and how it watches.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    pub min_battery_pct: f64,
    /// Drones farther than this from the target are not considered, m.
    pub max_distance_m: f64,
    /// A landed drone may be armed and take off.
    pub allow_takeoff: bool,
    pub alt_rel_m: f64,
    pub orbit_radius_m: f64,
    pub orbit_speed_mps: f64,
    /// A taking-off drone must reach 80 % of its altitude within this time, s.
    pub takeoff_timeout_s: f64,
    /// Flight time on a full battery, for the time a drone can stay on station, min.
    pub copter_endurance_min: f64,
    pub plane_endurance_min: f64,
    /// Battery kept for the way home, %.
    pub reserve_pct: f64,
    /// A drone following a track hands over to another below this battery, %.
    pub handover_battery_pct: f64,
    /// A followed track that moved this far from the orbit's centre moves the orbit, m.
    pub follow_move_m: f64,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        Self {
            min_battery_pct: 40.0,
            max_distance_m: 15_000.0,
            allow_takeoff: true,
            alt_rel_m: 100.0,
            orbit_radius_m: 150.0,
            orbit_speed_mps: 5.0,
            takeoff_timeout_s: 120.0,
            copter_endurance_min: 30.0,
            plane_endurance_min: 90.0,
            reserve_pct: 25.0,
            handover_battery_pct: 35.0,
            follow_move_m: 50.0,
        }
    }
}

/// Everything in a rules file.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RulesConfig {
    pub tracks: TracksConfig,
    pub residents: ResidentsConfig,
    pub night: NightConfig,
    pub coverage: CoverageConfig,
    pub dispatch: DispatchConfig,
    pub buffer_intrusion: BufferIntrusion,
    pub approach: Approach,
    pub gathering: Gathering,
    pub tripwire: Tripwire,
    pub night_activity: NightActivity,
    pub sensor_activity: SensorActivity,
    pub unobserved: Unobserved,
    pub sensor_health: SensorHealth,
    pub drone_cover: DroneCover,
    pub restricted: Restricted,
}

impl RulesConfig {
    pub fn load(path: &Path) -> Result<Self, ProtectionError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProtectionError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    /// The built-in rules.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT_RULES, "assets/rules/default.toml")
            .unwrap_or_else(|err| panic!("the built-in rules are invalid: {err}"))
    }

    pub fn parse(text: &str, file: &str) -> Result<Self, ProtectionError> {
        let config: Self = toml::from_str(text).map_err(|err| ProtectionError::Rules {
            file: file.to_owned(),
            field: String::new(),
            reason: err.to_string(),
        })?;
        let mut bad: Vec<(String, String)> = Vec::new();
        config.check_hysteresis(&mut bad);
        config.check_values(&mut bad);
        config.check_sensor_activity(&mut bad);
        match bad.into_iter().next() {
            Some((field, reason)) => Err(ProtectionError::Rules {
                file: file.to_owned(),
                field,
                reason,
            }),
            None => Ok(config),
        }
    }

    /// Every rule's `confirm_s`, `clear_after_s` and `rearm_s`.
    fn check_hysteresis(&self, bad: &mut Vec<(String, String)>) {
        self.buffer_intrusion.check_common("buffer_intrusion", bad);
        self.approach.check_common("approach", bad);
        self.gathering.check_common("gathering", bad);
        self.tripwire.check_common("tripwire", bad);
        self.night_activity.check_common("night_activity", bad);
        self.sensor_activity.check_common("sensor_activity", bad);
        self.unobserved.check_common("unobserved", bad);
        self.sensor_health.check_common("sensor_health", bad);
        self.drone_cover.check_common("drone_cover", bad);
        self.restricted.check_common("restricted", bad);
    }

    /// The values that must be positive, percentages, or in a set.
    fn check_values(&self, bad: &mut Vec<(String, String)>) {
        let mut positive = |field: &str, value: f64| {
            if !(value.is_finite() && value > 0.0) {
                bad.push((field.to_owned(), format!("{value} must be above zero")));
            }
        };
        positive("coverage.cell_m", self.coverage.cell_m);
        positive("coverage.camera_range_m", self.coverage.camera_range_m);
        positive("tracks.max_age_s", self.tracks.max_age_s);
        positive("approach.min_closing_mps", self.approach.min_closing_mps);
        positive("approach.max_closing_mps", self.approach.max_closing_mps);
        positive(
            "approach.max_time_to_arrival_s",
            self.approach.max_time_to_arrival_s,
        );
        positive("gathering.radius_m", self.gathering.radius_m);
        positive("gathering.max_speed_mps", self.gathering.max_speed_mps);
        positive(
            "buffer_intrusion.group_radius_m",
            self.buffer_intrusion.group_radius_m,
        );
        positive(
            "buffer_intrusion.traffic_mps",
            self.buffer_intrusion.traffic_mps,
        );
        positive("night_activity.range_m", self.night_activity.range_m);
        positive(
            "night_activity.max_speed_mps",
            self.night_activity.max_speed_mps,
        );
        positive(
            "unobserved.max_unobserved_s",
            self.unobserved.max_unobserved_s,
        );
        positive("sensor_health.silent_s", self.sensor_health.silent_s);
        positive("drone_cover.silent_s", self.drone_cover.silent_s);
        positive("dispatch.alt_rel_m", self.dispatch.alt_rel_m);
        positive("dispatch.orbit_radius_m", self.dispatch.orbit_radius_m);
        positive("dispatch.orbit_speed_mps", self.dispatch.orbit_speed_mps);
        positive(
            "dispatch.copter_endurance_min",
            self.dispatch.copter_endurance_min,
        );
        positive(
            "dispatch.plane_endurance_min",
            self.dispatch.plane_endurance_min,
        );
        positive("dispatch.follow_move_m", self.dispatch.follow_move_m);
        for (field, value) in [
            ("dispatch.reserve_pct", self.dispatch.reserve_pct),
            (
                "dispatch.handover_battery_pct",
                self.dispatch.handover_battery_pct,
            ),
        ] {
            if !(0.0..=100.0).contains(&value) {
                bad.push((field.into(), format!("{value} must be a percentage")));
            }
        }
        for (field, value) in [
            ("residents.lookback_m", self.residents.lookback_m),
            ("residents.home_margin_m", self.residents.home_margin_m),
        ] {
            if !(value.is_finite() && value >= 0.0) {
                bad.push((field.into(), format!("{value} must be ≥ 0")));
            }
        }
        if !(self.gathering.near_buffer_m.is_finite() && self.gathering.near_buffer_m >= 0.0) {
            bad.push((
                "gathering.near_buffer_m".into(),
                format!("{} must be ≥ 0", self.gathering.near_buffer_m),
            ));
        }
        if self.approach.max_closing_mps <= self.approach.min_closing_mps {
            bad.push((
                "approach.max_closing_mps".into(),
                format!(
                    "{} must be above approach.min_closing_mps ({})",
                    self.approach.max_closing_mps, self.approach.min_closing_mps
                ),
            ));
        }
        if self.buffer_intrusion.group_tracks < 2 {
            bad.push((
                "buffer_intrusion.group_tracks".into(),
                format!("{} must be at least 2", self.buffer_intrusion.group_tracks),
            ));
        }
        if !(self.coverage.margin_m.is_finite() && self.coverage.margin_m >= 0.0) {
            bad.push((
                "coverage.margin_m".into(),
                format!("{} must be ≥ 0", self.coverage.margin_m),
            ));
        }
        if self.gathering.min_tracks < 2 {
            bad.push((
                "gathering.min_tracks".into(),
                format!("{} must be at least 2", self.gathering.min_tracks),
            ));
        }
        for (index, class) in self.tracks.classes.iter().enumerate() {
            if !["person", "vehicle", "animal", "unknown"].contains(&class.as_str()) {
                bad.push((
                    format!("tracks.classes[{index}]"),
                    format!("{class:?} is not person, vehicle, animal or unknown"),
                ));
            }
        }
        for (index, line) in self.tripwire.lines.iter().enumerate() {
            if line.from_sensor == line.to_sensor {
                bad.push((
                    format!("tripwire.lines[{index}] ({})", line.name),
                    "from_sensor and to_sensor must differ".into(),
                ));
            }
        }
    }

    /// The `[sensor_activity]` values.
    fn check_sensor_activity(&self, bad: &mut Vec<(String, String)>) {
        let rule = &self.sensor_activity;
        for (field, value) in [
            ("window_s", rule.window_s),
            ("near_buffer_m", rule.near_buffer_m),
        ] {
            if !(value.is_finite() && value > 0.0) {
                bad.push((
                    format!("sensor_activity.{field}"),
                    format!("{value} must be above zero"),
                ));
            }
        }
        if rule.min_detections == 0 {
            bad.push((
                "sensor_activity.min_detections".to_owned(),
                "0 must be at least 1".to_owned(),
            ));
        }
        if !(rule.explained_m.is_finite() && rule.explained_m >= 0.0) {
            bad.push((
                "sensor_activity.explained_m".to_owned(),
                format!("{} must be a distance ≥ 0", rule.explained_m),
            ));
        }
    }
}
