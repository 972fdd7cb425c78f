//! Cue and follow: a drone on station over an alert about movers keeps them in view. The orbit
//! moves to the followed track when the track is `dispatch.follow_move_m` from its centre,
//! and the camera's region of interest follows it every [`ROI_MOVE_M`]; a track not seen for
//! [`TRACK_LOST_S`] ends the follow (the drone keeps orbiting where it was last seen). Below
//! `dispatch.handover_battery_pct` the drone asks for another to take over (the dispatcher
//! sends the nearest other suitable drone to follow the same track); once that one is on
//! station, this one returns home (RTL) and its dispatch ends "handed over".

use crossbeam_channel::bounded;

use super::{Ending, LatLon, distance_m};
use crate::dispatch::DispatchState;
use crate::rules::DispatchConfig;
use vigil_core::geodesy::Geodetic;
use vigil_world::World;
use vigil_world::command::{Action, Request};

/// The camera's region of interest moves when the track moved this far, m.
pub const ROI_MOVE_M: f64 = 20.0;
/// A followed track not seen for this long is lost, s.
pub const TRACK_LOST_S: f64 = 60.0;

/// Where the tracks are: a track's position and how long ago it was seen (s), if known.
pub trait TrackPositions {
    fn position(&self, track: u64) -> Option<(LatLon, f64)>;
}

impl<F: Fn(u64) -> Option<(LatLon, f64)>> TrackPositions for F {
    fn position(&self, track: u64) -> Option<(LatLon, f64)> {
        self(track)
    }
}

/// A follow in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Following {
    pub track: u64,
    /// The orbit's centre and the camera's region of interest as last commanded.
    centre: LatLon,
    roi: LatLon,
    /// Another drone is wanted to take over (battery low), and the dispatch record of the one
    /// sent, once sent.
    pub relief_wanted: bool,
    pub relief: Option<u64>,
    /// When a relief was last asked for (none could go: asked again a minute later).
    pub relief_asked: Option<vigil_core::time::TimeUs>,
    /// The relief is on station: go home.
    pub handed_over: bool,
}

impl Following {
    /// The orbit's centre as last commanded: where the track was.
    pub fn centre(&self) -> LatLon {
        self.centre
    }

    pub fn new(track: u64, target: LatLon) -> Self {
        Self {
            track,
            centre: target,
            roi: target,
            relief_wanted: false,
            relief: None,
            relief_asked: None,
            handed_over: false,
        }
    }
}

fn metres(a: LatLon, b: LatLon) -> f64 {
    distance_m(
        &Geodetic::from_deg(a.lat_deg, a.lon_deg, 0.0),
        &Geodetic::from_deg(b.lat_deg, b.lon_deg, 0.0),
    )
}

/// The commands a follow needs now (none when the track has not moved far enough), or how it
/// ends: the track lost, or handed over.
pub fn step(
    following: &mut Following,
    drone: u8,
    world: &World,
    tracks: &dyn TrackPositions,
    config: &DispatchConfig,
) -> Result<Vec<Action>, Ending> {
    let vehicle = world.vehicles.get(&drone);
    if following.handed_over {
        let relief = following
            .relief
            .map_or(String::new(), |r| format!(" (dispatch {r})"));
        return Err(Ending {
            state: DispatchState::HandedOver,
            reason: format!("another drone took over{relief}; drone {drone} returns home"),
        });
    }
    if !following.relief_wanted
        && vehicle
            .and_then(|v| v.battery.remaining_pct)
            .is_some_and(|pct| pct < config.handover_battery_pct)
    {
        following.relief_wanted = true;
    }
    let Some((at, age_s)) = tracks.position(following.track) else {
        return Err(Ending {
            state: DispatchState::Orbiting,
            reason: format!(
                "track {} is gone; drone {drone} orbits where it was last seen",
                following.track
            ),
        });
    };
    if age_s > TRACK_LOST_S {
        return Err(Ending {
            state: DispatchState::Orbiting,
            reason: format!(
                "track {} not seen for {age_s:.0} s; drone {drone} orbits where it was last seen",
                following.track
            ),
        });
    }
    let mut actions = Vec::new();
    if metres(at, following.centre) >= config.follow_move_m {
        following.centre = at;
        actions.push(Action::Orbit {
            lat_deg: at.lat_deg,
            lon_deg: at.lon_deg,
            alt_rel_m: config.alt_rel_m,
            radius_m: config.orbit_radius_m,
            speed_mps: config.orbit_speed_mps,
        });
    }
    if metres(at, following.roi) >= ROI_MOVE_M {
        following.roi = at;
        let ground_alt_msl_m = vehicle
            .and_then(|v| {
                v.home
                    .map(|h| h.alt_msl_m)
                    .or_else(|| v.position.map(|p| p.alt_msl_m - p.alt_rel_home_m))
            })
            .unwrap_or(0.0);
        actions.push(Action::PointGimbal {
            lat_deg: at.lat_deg,
            lon_deg: at.lon_deg,
            alt_msl_m: ground_alt_msl_m,
        });
    }
    Ok(actions)
}

/// Sends the drone home, without waiting for its answer (its dispatch has ended).
pub fn go_home(drone: u8, requests: &mut Vec<Request>) {
    let (reply, _ignored) = bounded(1);
    requests.push(Request::Command {
        target: drone,
        action: Action::ReturnToLaunch,
        reply,
    });
}
