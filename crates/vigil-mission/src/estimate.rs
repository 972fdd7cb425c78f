//! What a mission will take to fly: each leg's length, the whole distance and an estimate
//! of the flight time, as a planner shows them beside the items (QGroundControl's "mission
//! stats"). The walk starts at home, climbs on a take-off, flies each navigation item in
//! order at the speed in force (DO_CHANGE_SPEED changes it), waits on timed loiters, circles
//! the turns of LOITER_TURNS, and comes back home on RTL. A DO_JUMP is flown once: a loop
//! that repeats for ever has no end to estimate.

use vigil_core::geodesy::{Geodetic, distance_m};

use crate::{GeoPoint, Mission, is_global_frame};

const MAV_CMD_NAV_WAYPOINT: u16 = 16;
const MAV_CMD_NAV_LOITER_UNLIM: u16 = 17;
const MAV_CMD_NAV_LOITER_TURNS: u16 = 18;
const MAV_CMD_NAV_LOITER_TIME: u16 = 19;
const MAV_CMD_NAV_RETURN_TO_LAUNCH: u16 = 20;
const MAV_CMD_NAV_LAND: u16 = 21;
const MAV_CMD_NAV_TAKEOFF: u16 = 22;
const MAV_CMD_DO_CHANGE_SPEED: u16 = 178;

/// How the vehicle flies, for the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FlightModel {
    /// Speed between waypoints until a DO_CHANGE_SPEED says otherwise, m/s.
    pub cruise_mps: f64,
    /// Climb on take-off and descent on landing, m/s.
    pub vertical_mps: f64,
}

/// The mission's distances and time.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FlightEstimate {
    /// For each mission item, the horizontal distance flown to reach it from the previous
    /// position (home first); `None` for items that do not move the vehicle.
    pub legs_m: Vec<Option<f64>>,
    /// Everything flown horizontally, the way home on RTL included, m.
    pub total_m: f64,
    /// Climbs, legs, loiters and the landing, s.
    pub flight_s: f64,
    /// The mission waits for ever somewhere (LOITER_UNLIM): the time is until it gets there.
    pub open_ended: bool,
}

/// Walks the mission from `home` (the mission's own home when `None`; without either, the
/// first leg starts at the first position in the mission).
pub fn estimate(mission: &Mission, home: Option<GeoPoint>, model: FlightModel) -> FlightEstimate {
    let home = home.or(mission.home);
    let cruise = model.cruise_mps.max(0.1);
    let vertical = model.vertical_mps.max(0.1);
    let mut speed = cruise;
    let mut here: Option<(f64, f64)> = home.map(|h| (h.lat_deg, h.lon_deg));
    let mut alt_m = 0.0_f64;
    let mut out = FlightEstimate::default();
    let ground = |(lat, lon): (f64, f64)| Geodetic::from_deg(lat, lon, 0.0);
    for item in &mission.items {
        let at = (is_global_frame(item.frame) && (item.x != 0.0 || item.y != 0.0))
            .then_some((item.x, item.y));
        let mut leg = None;
        let mut fly_to = |to: (f64, f64), out: &mut FlightEstimate, speed: f64| {
            let d = here.map_or(0.0, |from| distance_m(&ground(from), &ground(to)));
            here = Some(to);
            out.total_m += d;
            out.flight_s += d / speed;
            d
        };
        match item.command {
            MAV_CMD_NAV_TAKEOFF => {
                let to_m = f64::from(item.z).max(0.0);
                out.flight_s += (to_m - alt_m).max(0.0) / vertical;
                alt_m = to_m;
                if let Some(at) = at {
                    leg = Some(fly_to(at, &mut out, speed));
                }
            }
            MAV_CMD_NAV_WAYPOINT
            | MAV_CMD_NAV_LOITER_UNLIM
            | MAV_CMD_NAV_LOITER_TURNS
            | MAV_CMD_NAV_LOITER_TIME => {
                if let Some(at) = at {
                    leg = Some(fly_to(at, &mut out, speed));
                    let to_m = f64::from(item.z);
                    out.flight_s += (to_m - alt_m).abs() / vertical / 2.0;
                    alt_m = to_m;
                }
                match item.command {
                    // param1: hold time at a waypoint, s.
                    MAV_CMD_NAV_WAYPOINT | MAV_CMD_NAV_LOITER_TIME => {
                        out.flight_s += f64::from(item.params[0]).max(0.0);
                    }
                    // param1 turns of param3 metres' radius.
                    MAV_CMD_NAV_LOITER_TURNS => {
                        let turns = f64::from(item.params[0]).max(0.0);
                        let radius_m = f64::from(item.params[2]).abs();
                        let circled_m = turns * std::f64::consts::TAU * radius_m;
                        out.total_m += circled_m;
                        out.flight_s += circled_m / speed;
                    }
                    _ => out.open_ended = true,
                }
            }
            MAV_CMD_NAV_RETURN_TO_LAUNCH => {
                if let Some(home) = home {
                    leg = Some(fly_to((home.lat_deg, home.lon_deg), &mut out, cruise));
                }
                out.flight_s += alt_m / vertical;
                alt_m = 0.0;
            }
            MAV_CMD_NAV_LAND => {
                if let Some(at) = at {
                    leg = Some(fly_to(at, &mut out, speed));
                }
                out.flight_s += alt_m / vertical;
                alt_m = 0.0;
            }
            // param2: the new speed, m/s (-1 and 0: unchanged).
            MAV_CMD_DO_CHANGE_SPEED if item.params[1] > 0.0 => {
                speed = f64::from(item.params[1]);
            }
            _ => {}
        }
        out.legs_m.push(leg);
        if out.open_ended {
            // Nothing after an unlimited loiter is flown without the operator.
            out.legs_m.extend(std::iter::repeat_n(
                None,
                mission.items.len() - out.legs_m.len(),
            ));
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MissionItem;

    fn item(command: u16, params: [f32; 4], at: (f64, f64), z: f32) -> MissionItem {
        MissionItem {
            frame: 3,
            command,
            autocontinue: true,
            params,
            x: at.0,
            y: at.1,
            z,
        }
    }

    const HOME: GeoPoint = GeoPoint {
        lat_deg: 9.0,
        lon_deg: 31.0,
        alt_m: 420.0,
    };
    const MODEL: FlightModel = FlightModel {
        cruise_mps: 10.0,
        vertical_mps: 2.0,
    };

    /// 0.009° of latitude near 9° N is 995.3 m (WGS 84).
    const NORTH_M: f64 = 995.3;

    #[test]
    fn legs_distance_and_time_of_a_square_with_return() {
        let north = (9.009, 31.0);
        let mission = Mission {
            home: Some(HOME),
            items: vec![
                item(MAV_CMD_NAV_TAKEOFF, [0.0; 4], (0.0, 0.0), 40.0),
                item(MAV_CMD_NAV_WAYPOINT, [0.0; 4], north, 40.0),
                item(
                    MAV_CMD_DO_CHANGE_SPEED,
                    [1.0, 5.0, -1.0, 0.0],
                    (0.0, 0.0),
                    0.0,
                ),
                item(MAV_CMD_NAV_LOITER_TIME, [60.0, 0.0, 0.0, 0.0], north, 40.0),
                item(MAV_CMD_NAV_RETURN_TO_LAUNCH, [0.0; 4], (0.0, 0.0), 0.0),
            ],
            ..Mission::default()
        };
        let e = estimate(&mission, None, MODEL);
        assert_eq!(e.legs_m.len(), 5);
        assert_eq!(e.legs_m[0], None);
        assert!(
            (e.legs_m[1].unwrap() - NORTH_M).abs() < 1.0,
            "{:?}",
            e.legs_m
        );
        assert_eq!(e.legs_m[2], None);
        assert!(e.legs_m[3].unwrap() < 0.01);
        assert!((e.legs_m[4].unwrap() - NORTH_M).abs() < 1.0);
        assert!((e.total_m - 2.0 * NORTH_M).abs() < 2.0);
        // Climb 20 s, out at 10 m/s, 60 s wait, home at cruise, descend 20 s.
        let expected_s = 20.0 + NORTH_M / 10.0 + 60.0 + NORTH_M / 10.0 + 20.0;
        assert!((e.flight_s - expected_s).abs() < 1.0, "{}", e.flight_s);
        assert!(!e.open_ended);
    }

    #[test]
    fn turns_are_flown_and_an_unlimited_loiter_ends_the_estimate() {
        let mission = Mission {
            items: vec![
                item(
                    MAV_CMD_NAV_LOITER_TURNS,
                    [2.0, 0.0, 100.0, 0.0],
                    (9.0, 31.0),
                    50.0,
                ),
                item(MAV_CMD_NAV_LOITER_UNLIM, [0.0; 4], (9.009, 31.0), 50.0),
                item(MAV_CMD_NAV_WAYPOINT, [0.0; 4], (9.0, 31.0), 50.0),
            ],
            ..Mission::default()
        };
        let e = estimate(&mission, None, MODEL);
        let circled = 2.0 * std::f64::consts::TAU * 100.0;
        assert!((e.total_m - circled - NORTH_M).abs() < 2.0, "{}", e.total_m);
        assert!(e.open_ended);
        assert_eq!(e.legs_m.len(), 3);
        assert_eq!(e.legs_m[2], None);
    }
}
