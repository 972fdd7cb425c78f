//! What each telemetry message means for a vehicle in the model: positions, attitude,
//! battery, GPS, home, gimbal and camera, mission progress, link delay; and the names and
//! kinds MAVLink's enums stand for.

use std::borrow::Cow;

use vigil_core::time::TimeUs;
use vigil_protocol::{MavMessage, deg_from_e7, mav};

use crate::footprint::YawFrame;
use crate::{
    Airframe, Attitude, CameraFov, ClassHint, GeoPoint, Gimbal, Gps, Hud, Measurement, Position,
    SensorKind, Severity, Vehicle, integrity,
};

/// What applying a telemetry message to a vehicle did.
pub(crate) struct Applied {
    /// Something about the vehicle changed (`false`: the message says nothing the model
    /// keeps, or was from another component).
    pub changed: bool,
    /// What the integrity checks found.
    pub finding: Option<integrity::Finding>,
}

impl Applied {
    const CHANGED: Self = Self {
        changed: true,
        finding: None,
    };
    const NOTHING: Self = Self {
        changed: false,
        finding: None,
    };

    fn checked(finding: Option<integrity::Finding>) -> Self {
        Self {
            changed: true,
            finding,
        }
    }
}

/// Applies a vehicle's telemetry message. `compid` tells the autopilot from its gimbal.
pub(crate) fn update_vehicle(
    vehicle: &mut Vehicle,
    message: &MavMessage,
    compid: u8,
    time: TimeUs,
) -> Applied {
    match message {
        // ArduPilot reports 0°, 0° until it has a position: that is no position, not a
        // place in the Gulf of Guinea (and not a GPS jump when the real one comes).
        MavMessage::GLOBAL_POSITION_INT(p) if p.lat == 0 && p.lon == 0 => Applied::NOTHING,
        MavMessage::HOME_POSITION(h) if h.latitude == 0 && h.longitude == 0 => Applied::NOTHING,
        MavMessage::GLOBAL_POSITION_INT(p) if compid == vehicle.compid => {
            Applied::checked(position(vehicle, p, time))
        }
        MavMessage::ATTITUDE(a) if compid == vehicle.compid => {
            vehicle.attitude = Some(Attitude {
                roll_rad: f64::from(a.roll),
                pitch_rad: f64::from(a.pitch),
                yaw_rad: f64::from(a.yaw),
                time,
            });
            Applied::CHANGED
        }
        MavMessage::VFR_HUD(h) => {
            vehicle.hud = Some(Hud {
                airspeed_mps: f64::from(h.airspeed),
                groundspeed_mps: f64::from(h.groundspeed),
                climb_mps: f64::from(h.climb),
                throttle_pct: f64::from(h.throttle),
                time,
            });
            Applied::CHANGED
        }
        MavMessage::SYS_STATUS(s) => {
            sys_status(vehicle, s, time);
            Applied::CHANGED
        }
        MavMessage::BATTERY_STATUS(b) if b.id == 0 => {
            if b.battery_remaining >= 0 {
                vehicle.battery.remaining_pct = Some(f64::from(b.battery_remaining));
            }
            if b.current_battery >= 0 {
                vehicle.battery.current_a = Some(f64::from(b.current_battery) * 0.01);
            }
            vehicle.battery.time = Some(time);
            Applied::CHANGED
        }
        MavMessage::GPS_RAW_INT(g) => {
            vehicle.gps = Gps {
                fix_type: g.fix_type as u8,
                satellites: (g.satellites_visible != u8::MAX).then_some(g.satellites_visible),
                hdop: (g.eph != u16::MAX).then(|| f64::from(g.eph) * 0.01),
                time: Some(time),
            };
            Applied::CHANGED
        }
        MavMessage::HOME_POSITION(h) => {
            vehicle.home = Some(GeoPoint {
                lat_deg: deg_from_e7(h.latitude),
                lon_deg: deg_from_e7(h.longitude),
                alt_msl_m: f64::from(h.altitude) * 1e-3,
            });
            Applied::CHANGED
        }
        MavMessage::GIMBAL_DEVICE_ATTITUDE_STATUS(g) => {
            // A quaternion with both frame flags set is malformed: keep the last good one.
            let Some(yaw_frame) = YawFrame::from_gimbal_device_flags(g.flags.bits()) else {
                return Applied::NOTHING;
            };
            let [w, x, y, z] = g.q.map(f64::from);
            let (roll_rad, pitch_rad, yaw_rad) = euler_from_quaternion(w, x, y, z);
            vehicle.gimbal = Some(Gimbal {
                roll_rad,
                pitch_rad,
                yaw_rad,
                yaw_frame,
            });
            Applied::CHANGED
        }
        MavMessage::MOUNT_STATUS(m) => {
            vehicle.gimbal = Some(Gimbal {
                pitch_rad: (f64::from(m.pointing_a) * 0.01).to_radians(),
                roll_rad: (f64::from(m.pointing_b) * 0.01).to_radians(),
                yaw_rad: (f64::from(m.pointing_c) * 0.01).to_radians(),
                // ArduPilot's MOUNT_STATUS: stabilised pitch and roll, yaw from the nose.
                yaw_frame: YawFrame::Vehicle,
            });
            Applied::CHANGED
        }
        MavMessage::CAMERA_FOV_STATUS(c) => {
            vehicle.camera = Some(camera_fov(c));
            Applied::CHANGED
        }
        MavMessage::SYSTEM_TIME(t) if t.time_unix_usec > 0 && compid == vehicle.compid => {
            Applied::checked(
                vehicle
                    .integrity
                    .check_clock(t.time_unix_usec, t.time_boot_ms),
            )
        }
        MavMessage::MISSION_CURRENT(m) => {
            vehicle.mission_current_seq = Some(m.seq);
            Applied::CHANGED
        }
        MavMessage::MISSION_ITEM_REACHED(m) => {
            vehicle.mission_last_reached_seq = Some(m.seq);
            Applied::CHANGED
        }
        // An answer to our TIMESYNC: ts1 is our send time in ns, so the round trip is known.
        MavMessage::TIMESYNC(t) if t.tc1 != 0 && t.ts1 > 0 => {
            timesync(vehicle, t, time);
            Applied::CHANGED
        }
        _ => Applied::NOTHING,
    }
}

/// Roll, pitch, yaw (ZYX Tait-Bryan) of a unit quaternion.
fn euler_from_quaternion(w: f64, x: f64, y: f64, z: f64) -> (f64, f64, f64) {
    let roll = (2.0 * (w * x + y * z)).atan2(1.0 - 2.0 * (x * x + y * y));
    let pitch = (2.0 * (w * y - z * x)).clamp(-1.0, 1.0).asin();
    let yaw = (2.0 * (w * z + x * y)).atan2(1.0 - 2.0 * (y * y + z * z));
    (roll, pitch, yaw)
}

pub(crate) fn finite(value: f32) -> Option<f64> {
    value.is_finite().then_some(f64::from(value))
}

pub(crate) fn measurement_of(d: &mav::VIGIL_DETECTION_DATA) -> Option<Measurement> {
    use mav::VigilMeasurementKind as K;
    let rad = |deg: f32| finite(deg).map(f64::to_radians);
    Some(match d.measurement_kind {
        K::VIGIL_MEASUREMENT_PRESENCE => Measurement::Presence { zone_id: d.zone_id },
        K::VIGIL_MEASUREMENT_BEARING => Measurement::Bearing {
            bearing_rad: rad(d.bearing_deg)?,
            bearing_std_rad: rad(d.bearing_std_deg).unwrap_or(f64::NAN),
        },
        K::VIGIL_MEASUREMENT_RANGE_BEARING => Measurement::RangeBearing {
            range_m: finite(d.range_m)?,
            range_std_m: finite(d.range_std_m).unwrap_or(f64::NAN),
            bearing_rad: rad(d.bearing_deg)?,
            bearing_std_rad: rad(d.bearing_std_deg).unwrap_or(f64::NAN),
        },
        K::VIGIL_MEASUREMENT_POSITION => {
            if d.lat == i32::MAX || d.lon == i32::MAX {
                return None;
            }
            Measurement::Position {
                lat_deg: deg_from_e7(d.lat),
                lon_deg: deg_from_e7(d.lon),
                horiz_std_m: finite(d.horiz_std_m).unwrap_or(f64::NAN),
            }
        }
    })
}

pub(crate) fn sensor_kind(kind: mav::VigilSensorKind) -> SensorKind {
    use mav::VigilSensorKind as K;
    match kind {
        K::VIGIL_SENSOR_KIND_UNKNOWN => SensorKind::Unknown,
        K::VIGIL_SENSOR_KIND_SEISMIC => SensorKind::Seismic,
        K::VIGIL_SENSOR_KIND_PIR => SensorKind::Pir,
        K::VIGIL_SENSOR_KIND_RADAR => SensorKind::Radar,
        K::VIGIL_SENSOR_KIND_ACOUSTIC => SensorKind::Acoustic,
        K::VIGIL_SENSOR_KIND_CAMERA => SensorKind::Camera,
    }
}

pub(crate) fn class_hint(hint: mav::VigilClassHint) -> ClassHint {
    use mav::VigilClassHint as C;
    match hint {
        C::VIGIL_CLASS_UNKNOWN => ClassHint::Unknown,
        C::VIGIL_CLASS_PERSON => ClassHint::Person,
        C::VIGIL_CLASS_VEHICLE => ClassHint::Vehicle,
        C::VIGIL_CLASS_ANIMAL => ClassHint::Animal,
    }
}

pub fn severity_of(severity: mav::MavSeverity) -> Severity {
    use mav::MavSeverity::*;
    match severity {
        MAV_SEVERITY_EMERGENCY => Severity::Emergency,
        MAV_SEVERITY_ALERT => Severity::Alert,
        MAV_SEVERITY_CRITICAL => Severity::Critical,
        MAV_SEVERITY_ERROR => Severity::Error,
        MAV_SEVERITY_WARNING => Severity::Warning,
        MAV_SEVERITY_NOTICE => Severity::Notice,
        MAV_SEVERITY_INFO => Severity::Info,
        MAV_SEVERITY_DEBUG => Severity::Debug,
    }
}

pub(crate) fn state_name(state: mav::MavState) -> Cow<'static, str> {
    use mav::MavState::*;
    Cow::Borrowed(match state {
        MAV_STATE_UNINIT => "UNINIT",
        MAV_STATE_BOOT => "BOOT",
        MAV_STATE_CALIBRATING => "CALIBRATING",
        MAV_STATE_STANDBY => "STANDBY",
        MAV_STATE_ACTIVE => "ACTIVE",
        MAV_STATE_CRITICAL => "CRITICAL",
        MAV_STATE_EMERGENCY => "EMERGENCY",
        MAV_STATE_POWEROFF => "POWEROFF",
        MAV_STATE_FLIGHT_TERMINATION => "TERMINATION",
    })
}

pub(crate) fn airframe_of(mav_type: mav::MavType) -> Airframe {
    use mav::MavType::*;
    match mav_type {
        MAV_TYPE_QUADROTOR | MAV_TYPE_HEXAROTOR | MAV_TYPE_OCTOROTOR | MAV_TYPE_TRICOPTER
        | MAV_TYPE_COAXIAL | MAV_TYPE_DODECAROTOR | MAV_TYPE_DECAROTOR => Airframe::Multirotor,
        MAV_TYPE_HELICOPTER => Airframe::Helicopter,
        MAV_TYPE_FIXED_WING => Airframe::FixedWing,
        MAV_TYPE_VTOL_TAILSITTER_DUOROTOR
        | MAV_TYPE_VTOL_TAILSITTER_QUADROTOR
        | MAV_TYPE_VTOL_TILTROTOR
        | MAV_TYPE_VTOL_FIXEDROTOR
        | MAV_TYPE_VTOL_TAILSITTER
        | MAV_TYPE_VTOL_TILTWING => Airframe::Vtol,
        MAV_TYPE_GROUND_ROVER | MAV_TYPE_SURFACE_BOAT => Airframe::Ground,
        _ => Airframe::Other,
    }
}

/// A fix from GLOBAL_POSITION_INT, checked against the last one; returns what the integrity
/// checks found.
fn position(
    vehicle: &mut Vehicle,
    p: &mav::GLOBAL_POSITION_INT_DATA,
    time: TimeUs,
) -> Option<integrity::Finding> {
    let (lat_deg, lon_deg) = (deg_from_e7(p.lat), deg_from_e7(p.lon));
    let vel_ne_mps = [f64::from(p.vx) * 0.01, f64::from(p.vy) * 0.01];
    // The vehicle's own boot clock times its fixes: the receive time would turn a
    // batch of queued frames (or a simulation run faster than real time) into speed.
    let fix_time = if p.time_boot_ms > 0 {
        TimeUs(u64::from(p.time_boot_ms) * 1000)
    } else {
        time
    };
    let finding = vehicle
        .integrity
        .check_position(fix_time, lat_deg, lon_deg, vel_ne_mps);
    vehicle.position = Some(Position {
        lat_deg: deg_from_e7(p.lat),
        lon_deg: deg_from_e7(p.lon),
        alt_msl_m: f64::from(p.alt) * 1e-3,
        alt_rel_home_m: f64::from(p.relative_alt) * 1e-3,
        vel_ned_mps: [
            f64::from(p.vx) * 0.01,
            f64::from(p.vy) * 0.01,
            f64::from(p.vz) * 0.01,
        ],
        heading_rad: (p.hdg != u16::MAX).then(|| (f64::from(p.hdg) * 0.01).to_radians()),
        time,
    });
    finding
}

/// Battery, onboard sensors' health and the pre-arm checks, from SYS_STATUS.
fn sys_status(vehicle: &mut Vehicle, s: &mav::SYS_STATUS_DATA, time: TimeUs) {
    vehicle.battery.voltage_v =
        (s.voltage_battery != u16::MAX).then(|| f64::from(s.voltage_battery) * 1e-3);
    vehicle.battery.current_a =
        (s.current_battery >= 0).then(|| f64::from(s.current_battery) * 0.01);
    vehicle.battery.remaining_pct =
        (s.battery_remaining >= 0).then(|| f64::from(s.battery_remaining));
    let present = s.onboard_control_sensors_present.bits();
    let enabled = s.onboard_control_sensors_enabled.bits();
    let healthy = s.onboard_control_sensors_health.bits();
    vehicle.unhealthy_sensors = present & enabled & !healthy;
    vehicle.battery.time = Some(time);
    let prearm = mav::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK.bits();
    vehicle.prearm_ok = (present & prearm != 0).then_some(healthy & prearm != 0);
}

/// The link's one-way delay from the answer to our TIMESYNC (smoothed).
fn timesync(vehicle: &mut Vehicle, t: &mav::TIMESYNC_DATA, time: TimeUs) {
    let sent_us = u64::try_from(t.ts1 / 1000).unwrap_or(u64::MAX);
    let round_trip = time.since(TimeUs(sent_us));
    if round_trip < std::time::Duration::from_secs(10) {
        let one_way = round_trip / 2;
        vehicle.link_latency = Some(
            vehicle
                .link_latency
                .map_or(one_way, |old| (old * 3 + one_way) / 4),
        );
    }
}

/// The camera's field of view and where the image centre falls, from CAMERA_FOV_STATUS.
fn camera_fov(c: &mav::CAMERA_FOV_STATUS_DATA) -> CameraFov {
    let centre = (c.lat_image != i32::MAX && c.lon_image != i32::MAX)
        .then(|| (deg_from_e7(c.lat_image), deg_from_e7(c.lon_image)));
    CameraFov {
        hfov_rad: f64::from(c.hfov).to_radians(),
        vfov_rad: f64::from(c.vfov).to_radians(),
        image_centre: centre,
    }
}
