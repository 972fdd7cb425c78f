//! A drone's telemetry as the console may show it: a value is a reading only while it is fresh
//! (younger than [`TELEMETRY_STALE_AFTER`] on the world's clock); otherwise the console says
//! "no data", with the age of the last report when there was one. Nothing here ever makes up a
//! level horizon, a north heading or a full battery for a value that never arrived.

use std::time::Duration;

use vigil_core::time::TimeUs;
use vigil_world::{Airframe, Attitude, Battery, Gps, Hud, Position, Vehicle};

pub use vigil_world::entities::TELEMETRY_STALE_AFTER;

/// One telemetry value at the frame's time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading<T> {
    /// Received within [`TELEMETRY_STALE_AFTER`]: a reading.
    Fresh(T),
    /// Received once, but this long ago: not a reading any more.
    Stale(Duration),
    /// Never received.
    Never,
}

impl<T> Reading<T> {
    fn of(fresh: Option<T>, last: Option<TimeUs>, now: TimeUs) -> Self {
        match (fresh, last) {
            (Some(value), _) => Self::Fresh(value),
            (None, Some(at)) => Self::Stale(now.since(at)),
            (None, None) => Self::Never,
        }
    }

    pub fn fresh(self) -> Option<T> {
        match self {
            Self::Fresh(value) => Some(value),
            _ => None,
        }
    }

    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reading<U> {
        match self {
            Self::Fresh(value) => Reading::Fresh(f(value)),
            Self::Stale(age) => Reading::Stale(age),
            Self::Never => Reading::Never,
        }
    }

    /// What to show instead of the value: "no data", or "no data (last 12 s old)".
    /// `None` while the value is fresh.
    pub fn missing_text(&self) -> Option<String> {
        match self {
            Self::Fresh(_) => None,
            Self::Stale(age) => Some(format!("no data (last {})", age_text(*age))),
            Self::Never => Some(NO_DATA.to_owned()),
        }
    }
}

/// The words for a value that is not there.
pub const NO_DATA: &str = "no data";

/// An age in the operator's words: "4 s old", "12 min old", "3 h old".
pub fn age_text(age: Duration) -> String {
    let s = age.as_secs();
    if s < 120 {
        format!("{s} s old")
    } else if s < 2 * 3600 {
        format!("{} min old", s / 60)
    } else {
        format!("{} h old", s / 3600)
    }
}

pub fn position(v: &Vehicle, now: TimeUs) -> Reading<&Position> {
    Reading::of(v.fresh_position(now), v.position.map(|p| p.time), now)
}

pub fn attitude(v: &Vehicle, now: TimeUs) -> Reading<&Attitude> {
    Reading::of(v.fresh_attitude(now), v.attitude.map(|a| a.time), now)
}

pub fn hud(v: &Vehicle, now: TimeUs) -> Reading<&Hud> {
    Reading::of(v.fresh_hud(now), v.hud.map(|h| h.time), now)
}

pub fn battery(v: &Vehicle, now: TimeUs) -> Reading<&Battery> {
    Reading::of(v.fresh_battery(now), v.battery.time, now)
}

pub fn gps(v: &Vehicle, now: TimeUs) -> Reading<&Gps> {
    Reading::of(v.fresh_gps(now), v.gps.time, now)
}

/// The heading over true north: the position report's, else the attitude's yaw; only fresh.
pub fn heading_rad(v: &Vehicle, now: TimeUs) -> Reading<f64> {
    if let Some(h) = v.fresh_position(now).and_then(|p| p.heading_rad) {
        return Reading::Fresh(h);
    }
    match attitude(v, now) {
        Reading::Fresh(a) => Reading::Fresh(a.yaw_rad),
        // The older of the two sources says how long the heading has been unknown.
        Reading::Stale(age) => Reading::Stale(age),
        Reading::Never => match position(v, now) {
            Reading::Stale(age) => Reading::Stale(age),
            _ => Reading::Never,
        },
    }
}

/// The remaining battery in percent, only when fresh and reported.
pub fn battery_pct(v: &Vehicle, now: TimeUs) -> Option<f64> {
    v.fresh_battery(now).and_then(|b| b.remaining_pct)
}

/// GPS_FIX_TYPE in words.
pub fn fix_text(fix_type: u8) -> &'static str {
    match fix_type {
        0 => "no GPS",
        1 => "no fix",
        2 => "2D fix",
        3 => "3D fix",
        4 => "DGPS",
        5 => "RTK float",
        6 => "RTK fixed",
        7 => "static",
        8 => "PPP",
        _ => "unknown fix",
    }
}

/// The airframe in words.
pub fn airframe_text(airframe: Airframe) -> &'static str {
    match airframe {
        Airframe::Multirotor => "multirotor",
        Airframe::FixedWing => "fixed wing",
        Airframe::Vtol => "VTOL",
        Airframe::Helicopter => "helicopter",
        Airframe::Ground => "ground vehicle",
        Airframe::Other => "other airframe",
    }
}

/// What SYS_STATUS says of the pre-arm checks, in words.
pub fn prearm_text(prearm_ok: Option<bool>) -> &'static str {
    match prearm_ok {
        Some(true) => "ready to arm",
        Some(false) => "not ready (pre-arm)",
        None => "not reported",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_in_seconds_minutes_and_hours() {
        assert_eq!(age_text(Duration::from_secs(12)), "12 s old");
        assert_eq!(age_text(Duration::from_secs(600)), "10 min old");
        assert_eq!(age_text(Duration::from_secs(3 * 3600 + 5)), "3 h old");
    }

    #[test]
    fn missing_values_say_so_with_their_age() {
        let fresh: Reading<u8> = Reading::Fresh(1);
        assert_eq!(fresh.missing_text(), None);
        assert_eq!(
            Reading::<u8>::Stale(Duration::from_secs(12)).missing_text(),
            Some("no data (last 12 s old)".to_owned())
        );
        assert_eq!(Reading::<u8>::Never.missing_text(), Some("no data".into()));
    }
}
