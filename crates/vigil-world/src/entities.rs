//! What the world model knows about each drone and sensor node. Plain data in SI units with
//! the unit and frame in each name; degrees only for latitude and longitude.

use std::borrow::Cow;
use std::collections::VecDeque;

use vigil_core::geodesy::Geodetic;
use vigil_core::time::TimeUs;
use vigil_link::LinkId;
use vigil_protocol::MavVersion;
use vigil_protocol::modes::Firmware;

/// How recently an entity was heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Heard within [`super::STALE_AFTER`].
    Fresh,
    /// Silent for longer than [`super::STALE_AFTER`].
    Stale,
    /// Silent for longer than [`super::LOST_AFTER`].
    Lost,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Self::Fresh => "ok",
            Self::Stale => "stale",
            Self::Lost => "LOST",
        }
    }
}

/// A point on the WGS84 ellipsoid with an altitude above mean sea level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GeoPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_msl_m: f64,
}

/// The kind of airframe, from HEARTBEAT's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Airframe {
    Multirotor,
    FixedWing,
    Vtol,
    Helicopter,
    Ground,
    Other,
}

/// A vehicle's position report (GLOBAL_POSITION_INT).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_msl_m: f64,
    pub alt_rel_home_m: f64,
    /// Velocity north, east, down.
    pub vel_ned_mps: [f64; 3],
    /// Heading over true north, if the vehicle reported one.
    pub heading_rad: Option<f64>,
    pub time: TimeUs,
}

/// Attitude of the vehicle's body (ATTITUDE), Euler angles in the NED frame.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Attitude {
    pub roll_rad: f64,
    pub pitch_rad: f64,
    pub yaw_rad: f64,
    pub time: TimeUs,
}

/// Speeds and throttle (VFR_HUD).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Hud {
    pub airspeed_mps: f64,
    pub groundspeed_mps: f64,
    pub climb_mps: f64,
    pub throttle_pct: f64,
    /// When it was received.
    pub time: TimeUs,
}

/// The main battery, from SYS_STATUS and BATTERY_STATUS (id 0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Battery {
    pub voltage_v: Option<f64>,
    pub current_a: Option<f64>,
    pub remaining_pct: Option<f64>,
    /// When SYS_STATUS or BATTERY_STATUS last said anything (`None`: never).
    pub time: Option<TimeUs>,
}

/// GPS receiver state (GPS_RAW_INT).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Gps {
    /// GPS_FIX_TYPE: 0-1 no fix, 2 2D, 3 3D, 4 DGPS, 5-6 RTK.
    pub fix_type: u8,
    pub satellites: Option<u8>,
    pub hdop: Option<f64>,
    /// When GPS_RAW_INT was last received (`None`: never).
    pub time: Option<TimeUs>,
}

/// Where the gimbal points (GIMBAL_DEVICE_ATTITUDE_STATUS or ArduPilot's MOUNT_STATUS).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gimbal {
    pub roll_rad: f64,
    pub pitch_rad: f64,
    pub yaw_rad: f64,
    /// What the angles are relative to: north and the horizon, the vehicle's heading, or the
    /// airframe.
    pub yaw_frame: crate::footprint::YawFrame,
}

/// The camera's field of view and where its centre meets the ground (CAMERA_FOV_STATUS).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CameraFov {
    pub hfov_rad: f64,
    pub vfov_rad: f64,
    pub image_centre: Option<(f64, f64)>,
}

/// A drone (or any vehicle with an autopilot).
#[derive(Debug, Clone, PartialEq)]
pub struct Vehicle {
    pub sysid: u8,
    pub compid: u8,
    /// The link it was last heard on: commands go back that way.
    pub link: LinkId,
    /// The MAVLink version it speaks; replies use the same.
    pub mavlink_version: MavVersion,
    pub firmware: Firmware,
    pub airframe: Airframe,
    pub mav_type: u32,
    pub armed: bool,
    /// MAV_STATE (standby, active, critical, emergency...), by name.
    pub system_status: Cow<'static, str>,
    pub custom_mode: u32,
    pub mode: Cow<'static, str>,
    pub health: Health,
    pub first_heard: TimeUs,
    pub last_heartbeat: TimeUs,
    pub position: Option<Position>,
    pub attitude: Option<Attitude>,
    pub hud: Option<Hud>,
    pub battery: Battery,
    pub gps: Gps,
    pub home: Option<GeoPoint>,
    pub gimbal: Option<Gimbal>,
    pub camera: Option<CameraFov>,
    /// Onboard sensors that are present, enabled and unhealthy (SYS_STATUS bits).
    pub unhealthy_sensors: u32,
    pub mission_current_seq: Option<u16>,
    pub mission_last_reached_seq: Option<u16>,
    pub detections: u64,
    /// What SYS_STATUS says of the pre-arm checks (MAV_SYS_STATUS_PREARM_CHECK): `Some(true)`
    /// when the vehicle would arm, `None` when it does not say.
    pub prearm_ok: Option<bool>,
    /// Signs of jamming, spoofing or a second sender with the same id.
    pub integrity: super::integrity::Integrity,
    /// One-way delay of the link, half the TIMESYNC round trip (smoothed).
    pub link_latency: Option<std::time::Duration>,
    /// What its camera sees of the ground, computed by the world once per update (at most
    /// every [`FOOTPRINT_PERIOD`](crate::footprint::FOOTPRINT_PERIOD)) and used by the map,
    /// coverage, the alert rules and the journal alike; `None` until position, attitude,
    /// gimbal and field of view are all known.
    pub footprint: Option<std::sync::Arc<crate::footprint::Footprint>>,
    /// When the footprint was last computed (messages' clock).
    pub footprint_at: Option<TimeUs>,
}

/// A vehicle's last position is brought forward by its velocity for at most this long; older
/// than that, extrapolating would invent a position.
pub const EXTRAPOLATE_AT_MOST: std::time::Duration = std::time::Duration::from_secs(3);

/// A telemetry value older than this is no longer shown as a reading: at the slowest rate
/// Vigil asks for (1 Hz on a radio) five in a row were missed.
pub const TELEMETRY_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

fn fresh(now: TimeUs, time: TimeUs) -> bool {
    now.since(time) < TELEMETRY_STALE_AFTER
}

impl Vehicle {
    /// The position, unless never received or older than [`TELEMETRY_STALE_AFTER`] at `now`.
    pub fn fresh_position(&self, now: TimeUs) -> Option<&Position> {
        self.position.as_ref().filter(|p| fresh(now, p.time))
    }

    /// The attitude, unless never received or stale.
    pub fn fresh_attitude(&self, now: TimeUs) -> Option<&Attitude> {
        self.attitude.as_ref().filter(|a| fresh(now, a.time))
    }

    /// Speeds and throttle, unless never received or stale.
    pub fn fresh_hud(&self, now: TimeUs) -> Option<&Hud> {
        self.hud.as_ref().filter(|h| fresh(now, h.time))
    }

    /// The battery, unless never reported or stale.
    pub fn fresh_battery(&self, now: TimeUs) -> Option<&Battery> {
        Some(&self.battery).filter(|b| b.time.is_some_and(|t| fresh(now, t)))
    }

    /// The GPS receiver's state, unless never reported or stale.
    pub fn fresh_gps(&self, now: TimeUs) -> Option<&Gps> {
        Some(&self.gps).filter(|g| g.time.is_some_and(|t| fresh(now, t)))
    }

    /// Where the vehicle is now by its last report and velocity: the link's latency and the
    /// time since the report are made up for, up to [`EXTRAPOLATE_AT_MOST`]. (The report is the
    /// autopilot's own filtered estimate: filtering it again would only add lag.)
    pub fn position_at(&self, now: TimeUs) -> Option<Position> {
        let mut position = self.position?;
        let latency = self.link_latency.unwrap_or_default();
        let dt_s = (now.since(position.time) + latency)
            .min(EXTRAPOLATE_AT_MOST)
            .as_secs_f64();
        let [north_mps, east_mps, down_mps] = position.vel_ned_mps;
        let moved = Geodetic::from_deg(position.lat_deg, position.lon_deg, 0.0)
            .offset_by_ne_m([north_mps * dt_s, east_mps * dt_s]);
        position.lat_deg = moved.lat_deg();
        position.lon_deg = moved.lon_deg();
        position.alt_msl_m -= down_mps * dt_s;
        position.alt_rel_home_m -= down_mps * dt_s;
        position.time = position.time.plus(std::time::Duration::from_secs_f64(dt_s));
        Some(position)
    }
}

/// What a sensor node senses with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SensorKind {
    Unknown,
    Seismic,
    Pir,
    Radar,
    Acoustic,
    Camera,
}

impl SensorKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Seismic => "seismic",
            Self::Pir => "PIR",
            Self::Radar => "radar",
            Self::Acoustic => "acoustic",
            Self::Camera => "camera",
        }
    }
}

/// Health flags a node reports (VIGIL_SENSOR_FLAGS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SensorFlags {
    pub tamper: bool,
    pub sensor_fault: bool,
    pub gps_fault: bool,
    pub low_battery: bool,
    pub radio_fault: bool,
}

/// A ground motion-sensor node.
#[derive(Debug, Clone, PartialEq)]
pub struct SensorNode {
    pub sysid: u8,
    pub compid: u8,
    pub link: LinkId,
    pub kind: SensorKind,
    pub position: Option<GeoPoint>,
    pub sensing_radius_m: Option<f64>,
    /// Direction the sensor faces over true north, for directional sensors.
    pub boresight_rad: Option<f64>,
    pub fov_rad: Option<f64>,
    pub voltage_v: Option<f64>,
    pub battery_pct: Option<f64>,
    pub flags: SensorFlags,
    pub health: Health,
    pub first_heard: TimeUs,
    pub last_heard: TimeUs,
    /// Detections received, and those missing from the node's detection_id sequence.
    pub detections: u64,
    pub detections_missed: u64,
    pub last_detection_id: Option<u32>,
    pub last_detection: Option<TimeUs>,
    /// Its latest detections (when received, and the class it suggested), oldest first, at
    /// most [`RECENT_DETECTIONS`]: how busy it is now (the rules' movement at a sensor).
    pub recent_detections: VecDeque<(TimeUs, ClassHint)>,
}

/// Detections a sensor node keeps in [`SensorNode::recent_detections`].
pub const RECENT_DETECTIONS: usize = 16;

impl SensorNode {
    /// How many of its detections were received within `window` up to `now`, and how many of
    /// those suggested an animal.
    pub fn detections_within(&self, now: TimeUs, window: std::time::Duration) -> (usize, usize) {
        self.recent_detections
            .iter()
            .filter(|(at, _)| *at <= now && now.since(*at) <= window)
            .fold((0, 0), |(all, animals), (_, class)| {
                (all + 1, animals + usize::from(*class == ClassHint::Animal))
            })
    }
}

/// The target class a sensor suggests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClassHint {
    Unknown,
    Person,
    Vehicle,
    Animal,
}

/// What a detection measured; angles in radians clockwise from true north.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measurement {
    /// Something in the sensor's zone.
    Presence { zone_id: u8 },
    Bearing {
        bearing_rad: f64,
        bearing_std_rad: f64,
    },
    RangeBearing {
        range_m: f64,
        range_std_m: f64,
        bearing_rad: f64,
        bearing_std_rad: f64,
    },
    Position {
        lat_deg: f64,
        lon_deg: f64,
        horiz_std_m: f64,
    },
}

/// One detection, as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub sysid: u8,
    pub compid: u8,
    pub received: TimeUs,
    pub sensor_time_us: u64,
    pub detection_id: u32,
    pub sensor_kind: SensorKind,
    pub measurement: Measurement,
    pub confidence: f64,
    pub class: ClassHint,
    pub count: u8,
    /// Where the sensor was when it detected (node position or drone position).
    pub sensor_position: Option<GeoPoint>,
    /// The node's sensing radius (the zone of a presence detection), if known.
    pub sensor_radius_m: Option<f64>,
}

/// Sensor times below this (10^15 µs, 2001) are times since the node's boot, not UNIX times.
pub const UNIX_TIME_MIN_US: u64 = 1_000_000_000_000_000;

impl Detection {
    /// When the detection happened on the messages' own clock: the sensor's time when it is a
    /// UNIX time (a node with GPS time, a drone), else when Vigil received it. Fusion checks it
    /// against the sender's clock before believing it (`fusion::clock`).
    pub fn time(&self) -> TimeUs {
        if self.has_unix_time() {
            TimeUs(self.sensor_time_us)
        } else {
            self.received
        }
    }

    /// Whether the sensor stamped a UNIX time (else a time since its boot).
    pub fn has_unix_time(&self) -> bool {
        self.sensor_time_us >= UNIX_TIME_MIN_US
    }
}
