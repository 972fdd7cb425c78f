//! Which drone to send: the suitable one that gets there first (airborne, or landed and able
//! to take off; a healthy link; enough battery; idle ones first), with its task, distance,
//! time to arrive and time it can stay, and why each other one was passed over.

use super::{
    AIRBORNE_ABOVE_M, CLIMB_MPS, COPTER_SPEED_MPS, DispatchConfig, LatLon, PLANE_SPEED_MPS,
};
use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_world::{Airframe, Health, Vehicle, World};

/// Arming and lifting off, beyond the climb, s.
const TAKEOFF_S: f64 = 30.0;

/// The speed a drone of this airframe is reckoned to fly at, for times to arrive, m/s.
pub fn cruise_speed_mps(airframe: Airframe) -> f64 {
    match airframe {
        Airframe::Multirotor | Airframe::Helicopter | Airframe::Vtol => COPTER_SPEED_MPS,
        _ => PLANE_SPEED_MPS,
    }
}

/// The drone chosen and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub drone: u8,
    pub distance_m: f64,
    pub takes_off: bool,
    /// Its time to arrive (take-off and flight), s.
    pub eta_s: f64,
    /// How long it can stay there before its battery is down to the reserve with the way
    /// home still to fly (from the airframe's endurance), s; `None` without a battery level.
    pub on_station_s: Option<f64>,
    /// What it is doing now: `idle`, `flying a mission (AUTO)`, `sent to alert 3`.
    pub task: String,
}

/// A proposal for the operator to confirm: the drone, and why each other was passed over.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchPlan {
    pub choice: Choice,
    /// `drone 2: on the ground and cannot be launched here (a plane needs a runway)`.
    pub passed_over: Vec<String>,
}

fn airborne(vehicle: &Vehicle) -> bool {
    vehicle.armed
        && vehicle
            .position
            .is_some_and(|p| p.alt_rel_home_m > AIRBORNE_ABOVE_M)
}

/// The suitable drone that gets to `target` first (a plane 2.5 km away before a copter 1.5
/// km away); a drone flying a mission is taken only when no idle one is suitable, and a `busy`
/// one (already dispatched) only when no other is.
pub fn choose_drone(
    world: &World,
    target: LatLon,
    config: &DispatchConfig,
    busy: &[(u8, String)],
) -> Result<Choice, String> {
    plan(world, target, config, busy).map(|p| p.choice)
}

/// The drone [`choose_drone`] takes, and why each other drone was not taken.
pub fn plan(
    world: &World,
    target: LatLon,
    config: &DispatchConfig,
    busy: &[(u8, String)],
) -> Result<DispatchPlan, String> {
    plan_excluding(world, target, config, busy, None)
}

/// As [`plan`], never taking `exclude` (a drone handing over).
pub(super) fn plan_excluding(
    world: &World,
    target: LatLon,
    config: &DispatchConfig,
    busy: &[(u8, String)],
    exclude: Option<u8>,
) -> Result<DispatchPlan, String> {
    let mut reasons: Vec<String> = Vec::new();
    let mut candidates: Vec<(f64, Choice)> = Vec::new();
    for vehicle in world.vehicles.values() {
        if exclude == Some(vehicle.sysid) {
            continue;
        }
        match candidate(vehicle, target, config, busy) {
            Ok(Some(scored)) => candidates.push(scored),
            Ok(None) => {}
            Err(reason) => reasons.push(format!("drone {}: {reason}", vehicle.sysid)),
        }
    }
    candidates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut candidates = candidates.into_iter();
    let Some((_, choice)) = candidates.next() else {
        return Err(if reasons.is_empty() {
            "no drone is connected".to_owned()
        } else {
            format!("no suitable drone ({})", reasons.join("; "))
        });
    };
    for (_, other) in candidates {
        reasons.push(format!(
            "drone {}: {} ({:.1} km, about {}), drone {} comes first",
            other.drone,
            other.task,
            other.distance_m / 1000.0,
            minutes_text(other.eta_s),
            choice.drone
        ));
    }
    Ok(DispatchPlan {
        choice,
        passed_over: reasons,
    })
}

/// `45 s`, `3 min`.
pub fn minutes_text(secs: f64) -> String {
    if secs < 90.0 {
        format!("{secs:.0} s")
    } else {
        format!("{:.0} min", secs / 60.0)
    }
}

/// A vehicle as a candidate with its score (lower first): `Err(why not)`, or `None` for
/// what is not a drone.
pub(super) fn candidate(
    vehicle: &Vehicle,
    target: LatLon,
    config: &DispatchConfig,
    busy: &[(u8, String)],
) -> Result<Option<(f64, Choice)>, String> {
    if vehicle.airframe == Airframe::Ground {
        return Ok(None);
    }
    if vehicle.health != Health::Fresh {
        return Err(format!("link {}", vehicle.health.label()));
    }
    let Some(position) = vehicle.position else {
        return Err("no position".into());
    };
    match vehicle.battery.remaining_pct {
        Some(pct) if pct >= config.min_battery_pct => {}
        Some(pct) => {
            return Err(format!(
                "battery {pct:.0}%, below {:.0}%",
                config.min_battery_pct
            ));
        }
        None => return Err("battery unknown".into()),
    }
    let takes_off = !airborne(vehicle);
    let rotor = matches!(
        vehicle.airframe,
        Airframe::Multirotor | Airframe::Helicopter | Airframe::Vtol
    );
    if takes_off && !(config.allow_takeoff && !vehicle.armed && rotor) {
        return Err(if rotor {
            "on the ground and cannot be launched from here".into()
        } else {
            "on the ground: a plane needs a runway take-off".into()
        });
    }
    let d = distance_m(
        &Geodetic::from_deg(position.lat_deg, position.lon_deg, 0.0),
        &Geodetic::from_deg(target.lat_deg, target.lon_deg, 0.0),
    );
    if d > config.max_distance_m {
        return Err(format!(
            "{:.1} km away, beyond {:.1} km",
            d / 1000.0,
            config.max_distance_m / 1000.0
        ));
    }
    let dispatched = busy.iter().find(|(id, _)| *id == vehicle.sysid);
    let task = dispatched
        .map(|(_, task)| task.clone())
        .or_else(|| (vehicle.mode == "AUTO").then(|| "flying a mission (AUTO)".to_owned()));
    let speed = if rotor {
        COPTER_SPEED_MPS
    } else {
        PLANE_SPEED_MPS
    };
    let climb_s = if takes_off {
        config.alt_rel_m / CLIMB_MPS
    } else {
        0.0
    };
    let endurance_s = 60.0
        * if rotor {
            config.copter_endurance_min
        } else {
            config.plane_endurance_min
        };
    let home_m = vehicle.home.map_or(d, |h| {
        distance_m(
            &Geodetic::from_deg(h.lat_deg, h.lon_deg, 0.0),
            &Geodetic::from_deg(target.lat_deg, target.lon_deg, 0.0),
        )
    });
    let on_station_s = vehicle.battery.remaining_pct.map(|pct| {
        let usable_s = (pct - config.reserve_pct).max(0.0) / 100.0 * endurance_s;
        (usable_s - climb_s - d / speed - home_m / speed).max(0.0)
    });
    // Idle first, then one flying a mission (a patrol goes on without it), and one already
    // sent elsewhere last (it would leave the movers it is on); among each, the first there,
    // a take-off costing its climb and half a minute to arm and lift off.
    let rank = if dispatched.is_some() {
        2e9
    } else if task.is_some() {
        1e9
    } else {
        0.0
    };
    let eta_s = climb_s + d / speed;
    let score = eta_s + rank + if takes_off { TAKEOFF_S } else { 0.0 };
    Ok(Some((
        score,
        Choice {
            drone: vehicle.sysid,
            distance_m: d,
            takes_off,
            eta_s,
            on_station_s,
            task: task.unwrap_or_else(|| {
                if takes_off {
                    "idle, on the ground".to_owned()
                } else {
                    "idle, in the air".to_owned()
                }
            }),
        },
    )))
}
