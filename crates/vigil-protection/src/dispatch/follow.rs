//! Cue and follow: a drone on station over an alert about movers keeps them in view (and on
//! its way there, the orbit and the camera already go with them: [`lead`]; when the tracker
//! loses the movers and numbers them afresh, the follow goes on with the new number). The orbit
//! moves to the followed track when the track is `dispatch.follow_move_m` from its centre,
//! and the camera's region of interest follows it every [`ROI_MOVE_M`]; a track not seen for
//! [`TRACK_LOST_S`] ends the follow (the drone keeps orbiting where it was last seen). When
//! the followed mover heads for no protected place, or for one with less at stake, and
//! another within [`GROUP_M`] of it, no longer walking with it ([`TOGETHER_M`]), heads for
//! one with more (a group that parts at its gathering point), the drone follows that one:
//! of those, the one with the most at stake where it heads (see
//! [`TrackPositions::threat_near`]). Below
//! `dispatch.handover_battery_pct` the drone asks for another to take over (the dispatcher
//! sends the suitable drone that gets there first of those on no other dispatch, asking
//! again a minute later while none can go, to follow the same track); once that one is on
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

/// Movers this near the followed one are of its group: when they part, the drone may follow
/// another of them, m (the camera, pointed at the group, still sees them).
pub const GROUP_M: f64 = 250.0;
/// Movers this near the followed one walk with it: the camera has them all, and the follow
/// stays on its track (one of a group that stops for a moment heads nowhere for a moment), m.
pub const TOGETHER_M: f64 = 60.0;
/// Movers this far from every track a drone follows are not in any drone's view: of a group
/// that parted beyond [`GROUP_M`], with a margin (the follow moves its orbit only every
/// `dispatch.follow_move_m`). Another drone sent to their alert goes to them, m.
pub const UNWATCHED_M: f64 = 300.0;

/// Where a mover is heading: a protected place whose buffer it is not in yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Heading {
    pub track: u64,
    /// The place, as the operator reads it.
    pub place: String,
    /// Time to its buffer at the mover's speed, s.
    pub arrival_s: f64,
    /// What is at stake there: the place's risk weight at this hour (what the patrols weigh
    /// it by, [`crate::patrol::risk_weight`]: a camp before a clinic, a village, a school or
    /// a market, a water point last; a sensitive place and, at night, where people sleep
    /// weigh more), then how many people it has; more is larger.
    pub stake: (f64, u32),
}

/// Where the tracks are: a track's position and how long ago it was seen (s), if known; and
/// where movers are heading, when predicted.
pub trait TrackPositions {
    fn position(&self, track: u64) -> Option<(LatLon, f64)>;

    /// Where the track is heading, if it is predicted to reach a place's buffer.
    fn heading(&self, _track: u64) -> Option<Heading> {
        None
    }

    /// The track a lost track was found again as (the same movers, numbered afresh by the
    /// tracker), if it was.
    fn found_again_as(&self, _track: u64) -> Option<u64> {
        None
    }

    /// Of the movers within `within_m` of `at` predicted to reach a place's buffer, the one
    /// with the most at stake where it heads (see [`Heading::stake`]); the soonest there
    /// among equals.
    fn threat_near(&self, _at: LatLon, _within_m: f64) -> Option<Heading> {
        None
    }
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
    /// The follow moved to another mover of the group, heading there, from one heading for
    /// the place named, or for none (taken by the dispatcher, which says so on the alert).
    pub switched: Option<(Heading, Option<String>)>,
    /// The followed track was lost and found again under another number: the old and the
    /// new (taken by the dispatcher, which says so on the alert).
    pub found_again: Option<(u64, u64)>,
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
            switched: None,
            found_again: None,
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
    refind(following, tracks);
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
    // A group that parts: the drone follows those heading for a place rather than those
    // heading nowhere (back to the forest, off into the bush), and those heading for a
    // school or a camp rather than those heading for a water point (empty at night), as an
    // operator would.
    let mut at = at;
    let current = tracks.heading(following.track);
    if let Some(threat) = tracks.threat_near(at, GROUP_M)
        && threat.track != following.track
        && current.as_ref().is_none_or(|c| threat.stake > c.stake)
        && let Some((threat_at, threat_age_s)) = tracks.position(threat.track)
        && threat_age_s <= TRACK_LOST_S
        && metres(threat_at, at) > TOGETHER_M
    {
        following.track = threat.track;
        following.switched = Some((threat, current.map(|c| c.place)));
        at = threat_at;
    }
    Ok(moves(following, at, vehicle.map(|v| &**v), config))
}

/// While the drone gets there: the orbit and the camera go with the followed track, seen
/// within [`TRACK_LOST_S`], as on station (a drone sent on from one alert to the next about
/// the same movers, already beside them, had its camera held on where the alert began for
/// two minutes while a plane came round, and the movers walked out of it); nothing else —
/// the follow's ending, its relief and a parting group wait until it is on station.
pub fn lead(
    following: &mut Following,
    drone: u8,
    world: &World,
    tracks: &dyn TrackPositions,
    config: &DispatchConfig,
) -> Vec<Action> {
    refind(following, tracks);
    match tracks.position(following.track) {
        Some((at, age_s)) if age_s <= TRACK_LOST_S => moves(
            following,
            at,
            world.vehicles.get(&drone).map(|v| &**v),
            config,
        ),
        _ => Vec::new(),
    }
}

/// A followed track lost and found again under another number: the follow goes on with that
/// one (a plane following four men at night, its camera losing them for half a minute at a
/// time, kept its camera on where the lost number was last seen until the follow ended,
/// while the men, found again as new tracks, walked on out of its view).
fn refind(following: &mut Following, tracks: &dyn TrackPositions) {
    if let Some(new) = tracks.found_again_as(following.track)
        && tracks
            .position(new)
            .is_some_and(|(_, age_s)| age_s <= TRACK_LOST_S)
    {
        following.found_again = Some((following.track, new));
        following.track = new;
    }
}

/// The orbit moved to `at` when it is `follow_move_m` from its centre, and the camera when
/// it is [`ROI_MOVE_M`] from where it points.
fn moves(
    following: &mut Following,
    at: LatLon,
    vehicle: Option<&vigil_world::Vehicle>,
    config: &DispatchConfig,
) -> Vec<Action> {
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
    actions
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Movers `east_m` metres east of a point, each heading for a place or not (arrival,
    /// s), where so many people are.
    struct Movers(Vec<(u64, f64, Option<f64>, u32)>);

    fn at(east_m: f64) -> LatLon {
        LatLon {
            lat_deg: 9.0,
            lon_deg: 31.0 + east_m / 110_000.0,
        }
    }

    impl TrackPositions for Movers {
        fn position(&self, track: u64) -> Option<(LatLon, f64)> {
            let (_, east_m, ..) = self.0.iter().find(|m| m.0 == track)?;
            Some((at(*east_m), 1.0))
        }

        fn heading(&self, track: u64) -> Option<Heading> {
            let (_, _, arrival_s, people) = self.0.iter().find(|m| m.0 == track)?;
            Some(Heading {
                track,
                place: format!("the place of {people}"),
                arrival_s: (*arrival_s)?,
                stake: (1.0, *people),
            })
        }

        fn threat_near(&self, from: LatLon, within_m: f64) -> Option<Heading> {
            (self.0.iter())
                .filter(|m| m.2.is_some() && metres(at(m.1), from) <= within_m)
                .filter_map(|m| self.heading(m.0))
                .min_by(|a, b| {
                    (b.stake, a.arrival_s)
                        .partial_cmp(&(a.stake, b.arrival_s))
                        .expect("finite")
                })
        }
    }

    /// The track followed after a step from following track 1 at its place.
    fn followed_after(
        movers: Vec<(u64, f64, Option<f64>, u32)>,
    ) -> (u64, Option<(Heading, Option<String>)>) {
        let movers = Movers(movers);
        let mut following = Following::new(1, at(0.0));
        step(
            &mut following,
            7,
            &World::new(),
            &movers,
            &DispatchConfig::default(),
        )
        .expect("still following");
        (following.track, following.switched)
    }

    #[test]
    fn a_follow_moves_to_the_movers_of_its_group_heading_for_a_place() {
        // Walking together (40 m apart): the camera has them all; the follow stays.
        assert_eq!(
            followed_after(vec![(1, 0.0, None, 0), (2, 40.0, Some(90.0), 0)]),
            (1, None)
        );
        // Parted (150 m): the follow moves to the one heading for a place (of two for places
        // alike, the soonest there).
        let (track, switched) = followed_after(vec![
            (1, 0.0, None, 0),
            (2, 150.0, Some(90.0), 0),
            (3, -150.0, Some(60.0), 0),
        ]);
        assert_eq!(track, 3);
        let (heading, from) = switched.expect("switched");
        assert_eq!((heading.arrival_s, from), (60.0, None));
        // Not of its group (400 m away), or the followed one heads for a place as much at
        // stake itself: stays.
        assert_eq!(
            followed_after(vec![(1, 0.0, None, 0), (2, 400.0, Some(90.0), 0)]),
            (1, None)
        );
        assert_eq!(
            followed_after(vec![
                (1, 0.0, Some(300.0), 500),
                (2, 150.0, Some(90.0), 500)
            ]),
            (1, None)
        );
        // The followed one heads for a water point it reaches in seconds, another of the
        // group for a camp: the follow moves to the camp's, and says where the other went.
        let (track, switched) =
            followed_after(vec![(1, 0.0, Some(5.0), 0), (2, 150.0, Some(200.0), 5200)]);
        assert_eq!(track, 2);
        let (heading, from) = switched.expect("switched");
        assert_eq!(heading.place, "the place of 5200");
        assert_eq!(from.as_deref(), Some("the place of 0"));
    }

    /// Track 1, lost 20 s ago where the follow left it, was found again as track 2, seen a
    /// second ago 120 m east.
    struct Refound;

    impl TrackPositions for Refound {
        fn position(&self, track: u64) -> Option<(LatLon, f64)> {
            match track {
                1 => Some((at(0.0), 20.0)),
                2 => Some((at(120.0), 1.0)),
                _ => None,
            }
        }

        fn found_again_as(&self, track: u64) -> Option<u64> {
            (track == 1).then_some(2)
        }
    }

    #[test]
    fn a_follow_whose_track_is_found_again_under_another_number_goes_on_with_it() {
        let mut following = Following::new(1, at(0.0));
        let actions = step(
            &mut following,
            7,
            &World::new(),
            &Refound,
            &DispatchConfig::default(),
        )
        .expect("still following");
        assert_eq!((following.track, following.found_again), (2, Some((1, 2))));
        // The orbit and the camera go to where the movers are now.
        let east_m = |lon_deg: f64| (lon_deg - at(0.0).lon_deg) * 110_000.0;
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::Orbit { lon_deg, .. }
                if (east_m(*lon_deg) - 120.0).abs() < 1.0)),
            "{actions:?}"
        );
        assert!(
            actions
                .iter()
                .any(|a| matches!(a, Action::PointGimbal { lon_deg, .. }
                if (east_m(*lon_deg) - 120.0).abs() < 1.0)),
            "{actions:?}"
        );
    }
}
