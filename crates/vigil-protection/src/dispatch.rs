//! "Send a drone": the suitable drone that gets there first (airborne, or landed and able to
//! take off; a healthy link; enough battery; idle ones first) is proposed with its task,
//! distance and time to arrive and why the others were passed over ([`plan`]), so that the
//! operator can confirm; then it is tasked through the command engine to orbit the place and point its
//! camera at it. A landed multirotor is put in GUIDED, armed and taken off first (ArduPilot's
//! way; PX4 is not handled here). Its state follows the drone: in progress (commands being
//! sent), en route, on station (within the orbit of the place), failed, or lost (its link
//! lost or its motors stopped on the way). Each command's outcome goes back to the requester
//! as it comes, then the end: on station, or why not.
//!
//! Sent to an alert about movers, the drone follows the nearest of them once on station
//! (`follow.rs`): the orbit and the camera move with the track, and a drone whose battery
//! runs low asks for another to take over (one on no other dispatch), then goes home; a
//! second drone sent to the same alert follows its movers that no drone is near. A drone
//! holds one dispatch at a time: sent elsewhere, its dispatch under way ends, taken back.

mod choose;
mod follow;
mod steps;

pub use follow::{GROUP_M, Heading, TRACK_LOST_S, TrackPositions, UNWATCHED_M};

pub use choose::{Choice, DispatchPlan, choose_drone, cruise_speed_mps, minutes_text, plan};
use choose::{candidate, plan_excluding};
use steps::{advance, distance_to};

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::LatLon;
use super::rules::DispatchConfig;
use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_core::time::TimeUs;
use vigil_world::command::{Action, CommandOutcome, Request};
use vigil_world::{Health, World};

/// Updates a requester may be sent for one dispatch (chosen, each step, done).
pub const DISPATCH_REPLY_CAPACITY: usize = 16;
/// Dispatches kept for readers.
pub const MAX_DISPATCHES: usize = 200;
/// Above this height over home a drone counts as airborne, m.
const AIRBORNE_ABOVE_M: f64 = 2.0;

/// What to send a drone to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DispatchTarget {
    /// An alert's cause position (and its site).
    Alert(u64),
    /// A site's centre.
    Site(u32),
    Position(LatLon),
}

/// What the requester hears, in order: `Chosen`, then a `Step` per command, `EnRoute`
/// once the commands are taken, then `Done`.
#[derive(Debug, Clone, PartialEq)]
pub enum DispatchUpdate {
    Chosen {
        drone: u8,
        distance_m: f64,
        takes_off: bool,
    },
    Step {
        action: Action,
        outcome: CommandOutcome,
    },
    /// Every command taken; the drone flies there.
    EnRoute { distance_m: f64 },
    /// `Ok(drone)` once the drone is on station: within its orbit of the place, camera on it.
    Done(Result<u8, String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchState {
    /// Commands being sent (and a take-off climbed).
    InProgress,
    /// Every command taken; flying there.
    EnRoute,
    /// On station: within its orbit of the place.
    Orbiting,
    Failed,
    /// Its link lost, or its motors stopped, on the way or on station.
    Lost,
    /// Another drone took over on station; this one went home.
    HandedOver,
    /// Taken back by whoever sent it (the patrol keeper, its warning over): the drone is free
    /// for other work.
    Released,
}

impl DispatchState {
    /// In progress, en route or on station: the drone is still on it.
    pub fn is_under_way(self) -> bool {
        matches!(self, Self::InProgress | Self::EnRoute | Self::Orbiting)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::InProgress => "in progress",
            Self::EnRoute => "en route",
            Self::Orbiting => "orbiting",
            Self::Failed => "failed",
            Self::Lost => "lost",
            Self::HandedOver => "handed over",
            Self::Released => "taken back",
        }
    }
}

/// How fast a drone is taken to fly to the place, for its time to arrive, m/s: ArduCopter's
/// default WPNAV_SPEED (10 m/s) and a plane's usual cruise (18 m/s, ArduPlane AIRSPEED_CRUISE).
const COPTER_SPEED_MPS: f64 = 10.0;
const PLANE_SPEED_MPS: f64 = 18.0;
/// A copter's climb, m/s (ArduCopter's WPNAV_SPEED_UP default).
const CLIMB_MPS: f64 = 2.5;
/// On station within this much beyond the orbit's radius, m.
const ON_STATION_MARGIN_M: f64 = 50.0;

/// A dispatch as readers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchRecord {
    pub id: u64,
    pub drone: u8,
    pub alert: Option<u64>,
    pub site: Option<u32>,
    pub target: LatLon,
    pub by: String,
    pub at: TimeUs,
    pub state: DispatchState,
    /// Each command sent and how it ended.
    pub steps: Vec<(Action, CommandOutcome)>,
    pub failure: Option<String>,
    /// The track it follows on station, if any.
    pub following: Option<u64>,
    /// Where that track was when the orbit last moved to it (the orbit's centre); kept once
    /// the follow ends, the track lost.
    pub followed_at: Option<LatLon>,
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Command(Action),
    /// Wait until the drone is this high above home, or fail at the deadline.
    Climb {
        min_alt_rel_m: f64,
        timeout_s: f64,
    },
    /// Wait until the drone is within `within_m` of the place (en route until then), or fail
    /// at the deadline.
    Arrive {
        target: LatLon,
        within_m: f64,
        timeout_s: f64,
    },
    /// On station, follow the track (see `follow.rs`) until it is lost or another drone takes
    /// over.
    Follow,
}

#[derive(Debug)]
struct Active {
    record: u64,
    drone: u8,
    plan: VecDeque<Step>,
    waiting: Option<(Action, Receiver<CommandOutcome>)>,
    climb_since: Option<TimeUs>,
    /// When it set off for the place (the first turn on the `Arrive` step).
    en_route_since: Option<TimeUs>,
    reply: Sender<DispatchUpdate>,
    /// Following a track on station (see `follow.rs`).
    follow: Option<follow::Following>,
    /// On station (reported to the requester) and following.
    on_station: bool,
}

/// What to send a drone to, for whom, and which drone when the operator confirmed one.
#[derive(Debug, Clone, PartialEq)]
pub struct DispatchOrder {
    pub target: LatLon,
    pub alert: Option<u64>,
    pub site: Option<u32>,
    pub by: String,
    /// The drone the operator confirmed; `None`: the one [`plan`] picks now.
    pub drone: Option<u8>,
    /// A track to follow once on station.
    pub follow: Option<u64>,
    /// A drone not to take (the one handing over).
    pub exclude: Option<u8>,
}

/// The steps: a take-off when on the ground, the orbit, the camera, then the flight there.
fn flight_plan(
    world: &World,
    config: &DispatchConfig,
    order: &DispatchOrder,
    choice: &Choice,
) -> VecDeque<Step> {
    let ground_alt_msl_m = world
        .vehicles
        .get(&choice.drone)
        .and_then(|v| {
            v.home
                .map(|h| h.alt_msl_m)
                .or_else(|| v.position.map(|p| p.alt_msl_m - p.alt_rel_home_m))
        })
        .unwrap_or(0.0);
    let target = order.target;
    let mut plan = VecDeque::new();
    if choice.takes_off {
        plan.push_back(Step::Command(Action::SetMode("GUIDED".into())));
        plan.push_back(Step::Command(Action::Arm));
        plan.push_back(Step::Command(Action::Takeoff {
            alt_rel_m: config.alt_rel_m,
        }));
        plan.push_back(Step::Climb {
            min_alt_rel_m: 0.8 * config.alt_rel_m,
            timeout_s: config.takeoff_timeout_s,
        });
    }
    plan.push_back(Step::Command(Action::Orbit {
        lat_deg: target.lat_deg,
        lon_deg: target.lon_deg,
        alt_rel_m: config.alt_rel_m,
        radius_m: config.orbit_radius_m,
        speed_mps: config.orbit_speed_mps,
    }));
    plan.push_back(Step::Command(Action::PointGimbal {
        lat_deg: target.lat_deg,
        lon_deg: target.lon_deg,
        alt_msl_m: ground_alt_msl_m,
    }));
    plan.push_back(Step::Arrive {
        target,
        within_m: config.orbit_radius_m + ON_STATION_MARGIN_M,
        // Three times the expected flight, and two minutes for a slow start.
        timeout_s: 3.0 * (choice.eta_s) + 120.0,
    });
    if order.follow.is_some() {
        plan.push_back(Step::Follow);
    }
    plan
}

/// How a dispatch ended without arriving: failed (a command refused, too slow) or lost.
#[derive(Debug, Clone, PartialEq)]
struct Ending {
    state: DispatchState,
    reason: String,
}

impl Ending {
    fn failed(reason: String) -> Self {
        Self {
            state: DispatchState::Failed,
            reason,
        }
    }
}

/// Dispatches in flight and done.
#[derive(Debug, Default)]
pub struct Dispatcher {
    pub records: Vec<DispatchRecord>,
    active: Vec<Active>,
    next_id: u64,
    /// Ids of the records changed since the last [`Self::take_changes`], in order.
    changed: Vec<u64>,
    /// What to say on an alert (its id, who sent the drone, the words) since the last
    /// [`Self::take_notes`]: a follow that moved to another of its movers.
    notes: Vec<(u64, String, String)>,
}

impl Dispatcher {
    /// The records that changed since the last call (started, a step done, ended), each as
    /// it was after its change, in order.
    pub fn take_changes(&mut self) -> Vec<DispatchRecord> {
        let mut ids = std::mem::take(&mut self.changed);
        ids.dedup();
        ids.iter()
            .filter_map(|id| self.records.iter().find(|r| r.id == *id).cloned())
            .collect()
    }

    /// What to say on alerts since the last call: (alert, who sent the drone, words).
    pub fn take_notes(&mut self) -> Vec<(u64, String, String)> {
        std::mem::take(&mut self.notes)
    }

    /// Drones with a dispatch in progress, en route or on station, and what for.
    pub fn busy(&self) -> Vec<(u8, String)> {
        self.records
            .iter()
            .filter(|r| r.state.is_under_way())
            .map(|r| {
                let what = match (r.alert, r.site) {
                    (Some(a), _) => format!("alert {a}"),
                    (None, Some(s)) => format!("site {s}"),
                    (None, None) => format!("{:.5}, {:.5}", r.target.lat_deg, r.target.lon_deg),
                };
                (r.drone, format!("sent to {what} ({})", r.state.label()))
            })
            .collect()
    }

    /// Ends the dispatch under way with `drone` (in progress, en route or on station; a
    /// follow that ended keeps the drone orbiting, and is ended too): the drone is free for
    /// other work and is sent no more commands for it. Returns the dispatch's id, or why
    /// there is none.
    pub fn release(&mut self, drone: u8) -> Result<u64, String> {
        let record = self
            .records
            .iter_mut()
            .rev()
            .find(|r| r.drone == drone && r.state.is_under_way())
            .ok_or_else(|| format!("drone {drone} is not sent anywhere"))?;
        record.state = DispatchState::Released;
        let id = record.id;
        self.active.retain(|a| a.record != id);
        self.changed.push(id);
        Ok(id)
    }

    /// Starts a dispatch; what the requester hears goes to `reply`. Returns the drone taken,
    /// if any: the one the order names (when it can still go), else the one [`plan`] picks.
    pub fn start(
        &mut self,
        world: &World,
        config: &DispatchConfig,
        order: DispatchOrder,
        now: TimeUs,
        reply: Sender<DispatchUpdate>,
    ) -> Option<u8> {
        let busy = self.busy();
        let chosen = match order.drone {
            Some(id) => match world.vehicles.get(&id) {
                Some(vehicle) => match candidate(vehicle, order.target, config, &busy) {
                    Ok(Some((_, choice))) => Ok(choice),
                    Ok(None) => Err(format!("{id} is not a drone")),
                    Err(why) => Err(format!("drone {id} can no longer go: {why}")),
                },
                None => Err(format!("no drone {id}")),
            },
            None => {
                plan_excluding(world, order.target, config, &busy, order.exclude).map(|p| p.choice)
            }
        };
        let choice = match chosen {
            Ok(choice) => choice,
            Err(reason) => {
                let _ = reply.try_send(DispatchUpdate::Done(Err(reason)));
                return None;
            }
        };
        let _ = reply.try_send(DispatchUpdate::Chosen {
            drone: choice.drone,
            distance_m: choice.distance_m,
            takes_off: choice.takes_off,
        });
        let plan = flight_plan(world, config, &order, &choice);
        self.next_id += 1;
        // A drone holds one dispatch at a time: one already under way (a busy drone the
        // operator confirmed, or the only one that could go) ends here, taken back, rather
        // than both sending it commands and the first never ending.
        let instead = format!(
            "drone {} sent elsewhere instead (dispatch {})",
            choice.drone, self.next_id
        );
        for record in
            (self.records.iter_mut()).filter(|r| r.drone == choice.drone && r.state.is_under_way())
        {
            record.state = DispatchState::Released;
            record.failure = Some(instead.clone());
            self.changed.push(record.id);
            let id = record.id;
            self.active.retain(|a| a.record != id);
        }
        self.records.push(DispatchRecord {
            id: self.next_id,
            drone: choice.drone,
            alert: order.alert,
            site: order.site,
            target: order.target,
            by: order.by,
            at: now,
            state: DispatchState::InProgress,
            steps: Vec::new(),
            failure: None,
            following: order.follow,
            followed_at: None,
        });
        if self.records.len() > MAX_DISPATCHES {
            self.records.remove(0);
        }
        self.changed.push(self.next_id);
        self.active.push(Active {
            record: self.next_id,
            drone: choice.drone,
            plan,
            waiting: None,
            climb_since: None,
            en_route_since: None,
            reply,
            follow: order
                .follow
                .map(|track| follow::Following::new(track, order.target)),
            on_station: false,
        });
        Some(choice.drone)
    }

    /// Advances the dispatches; returns the commands to hand to the command engine and
    /// whether anything changed. `now` is the world's clock (as the engine's: the steps'
    /// deadlines count on it), `records_now` the protection's (the alerts' and the journal's:
    /// a relief's dispatch is sent then); `tracks` says where followed tracks are.
    pub fn pump(
        &mut self,
        world: &World,
        now: TimeUs,
        records_now: TimeUs,
        tracks: &dyn follow::TrackPositions,
        config: &DispatchConfig,
    ) -> (Vec<Request>, bool) {
        let mut requests = Vec::new();
        let mut changed = false;
        self.note_reliefs();
        let Self {
            records,
            active,
            changed: changed_ids,
            notes,
            ..
        } = self;
        active.retain_mut(|dispatch| {
            let was_on_station = dispatch.on_station;
            let (ended, stepped) = advance(dispatch, world, now, tracks, config, &mut requests);
            let record = records.iter_mut().find(|r| r.id == dispatch.record);
            if let Some(record) = record {
                if let Some(following) = &dispatch.follow {
                    record.followed_at = Some(following.centre());
                }
                let switched = (dispatch.follow.as_mut()).and_then(|f| f.switched.take());
                if let Some((heading, from)) = switched {
                    record.following = Some(heading.track);
                    changed_ids.push(record.id);
                    changed = true;
                    if let Some(alert) = record.alert {
                        let left = from.map_or("no place".to_owned(), |place| {
                            format!("{place}, where less is at stake")
                        });
                        let text = format!(
                            "drone {} follows track {} now, heading for {} (at its buffer in \
                             {:.0} s): the group parted and the track it followed heads for \
                             {left}",
                            dispatch.drone, heading.track, heading.place, heading.arrival_s
                        );
                        notes.push((alert, record.by.clone(), text));
                    }
                }
                let found = (dispatch.follow.as_mut()).and_then(|f| f.found_again.take());
                if let Some((lost, new)) = found {
                    record.following = Some(new);
                    changed_ids.push(record.id);
                    changed = true;
                    if let Some(alert) = record.alert {
                        let text = format!(
                            "drone {} follows track {new} now: its movers, lost as track {lost}, \
                             found again",
                            dispatch.drone
                        );
                        notes.push((alert, record.by.clone(), text));
                    }
                }
                if dispatch.en_route_since.is_some() && record.state == DispatchState::InProgress {
                    record.state = DispatchState::EnRoute;
                    changed_ids.push(record.id);
                    changed = true;
                    let distance_m = distance_to(world, dispatch.drone, record.target);
                    let _ = dispatch
                        .reply
                        .try_send(DispatchUpdate::EnRoute { distance_m });
                }
                if dispatch.on_station && !was_on_station {
                    // Following from now on: on station for the requester.
                    record.state = DispatchState::Orbiting;
                    changed_ids.push(record.id);
                    changed = true;
                    let _ = dispatch
                        .reply
                        .try_send(DispatchUpdate::Done(Ok(dispatch.drone)));
                }
            }
            if let Some((action, outcome)) = stepped {
                changed = true;
                let _ = dispatch.reply.try_send(DispatchUpdate::Step {
                    action: action.clone(),
                    outcome: outcome.clone(),
                });
                if let Some(record) = records.iter_mut().find(|r| r.id == dispatch.record) {
                    record.steps.push((action, outcome));
                    changed_ids.push(record.id);
                }
            }
            let Some(ended) = ended else {
                return true;
            };
            changed = true;
            if let Some(record) = records.iter_mut().find(|r| r.id == dispatch.record) {
                changed_ids.push(record.id);
                match &ended {
                    Ok(_) => record.state = DispatchState::Orbiting,
                    Err(ending) => {
                        record.state = ending.state;
                        record.failure = Some(ending.reason.clone());
                    }
                }
            }
            if !dispatch.on_station {
                let ended = ended.map_err(|ending| ending.reason);
                let _ = dispatch.reply.try_send(DispatchUpdate::Done(ended));
            }
            false
        });
        changed |= self.send_reliefs(world, config, now, records_now);
        (requests, changed)
    }

    /// Marks follows whose relief is on station (to go home), and forgets reliefs that failed
    /// (to ask again).
    fn note_reliefs(&mut self) {
        for dispatch in &mut self.active {
            let Some(following) = dispatch.follow.as_mut() else {
                continue;
            };
            let Some(relief) = following.relief else {
                continue;
            };
            match self
                .records
                .iter()
                .find(|r| r.id == relief)
                .map(|r| r.state)
            {
                Some(DispatchState::Orbiting) => following.handed_over = true,
                Some(DispatchState::InProgress | DispatchState::EnRoute) => {}
                _ => following.relief = None,
            }
        }
    }

    /// Sends a drone to take over from each follow that wants one (at most once a minute
    /// each): the one that gets there first of those on no other dispatch (a drone following
    /// other movers is not taken off them); whether any was sent. `now` is the pump's clock,
    /// `records_now` the clock the dispatch records are kept on (see [`Self::pump`]).
    fn send_reliefs(
        &mut self,
        world: &World,
        config: &DispatchConfig,
        now: TimeUs,
        records_now: TimeUs,
    ) -> bool {
        let wanted: Vec<(u64, DispatchOrder)> = (self.active.iter())
            .filter_map(|dispatch| {
                let following = dispatch.follow.as_ref()?;
                let due = following
                    .relief_asked
                    .is_none_or(|at| now.since(at).as_secs_f64() >= RELIEF_RETRY_S);
                if !(following.relief_wanted && following.relief.is_none() && due) {
                    return None;
                }
                let record = self.records.iter().find(|r| r.id == dispatch.record)?;
                Some((
                    dispatch.record,
                    DispatchOrder {
                        // Where the track is now (the orbit's latest centre), not where the
                        // first drone was sent.
                        target: following.centre(),
                        alert: record.alert,
                        site: record.site,
                        by: format!("vigil (hand-over from drone {})", dispatch.drone),
                        drone: None,
                        follow: Some(following.track),
                        exclude: Some(dispatch.drone),
                    },
                ))
            })
            .collect();
        let mut sent = false;
        for (asking, mut order) in wanted {
            let busy = self.busy();
            let idle = plan_excluding(world, order.target, config, &busy, order.exclude)
                .ok()
                .map(|p| p.choice.drone)
                .filter(|d| busy.iter().all(|(b, _)| b != d));
            let taken = idle.and_then(|drone| {
                order.drone = Some(drone);
                let (reply, _ignored) = bounded(DISPATCH_REPLY_CAPACITY);
                self.start(world, config, order, records_now, reply)
            });
            let relief = self.next_id;
            let following = (self.active.iter_mut())
                .find(|d| d.record == asking)
                .and_then(|d| d.follow.as_mut());
            if let Some(following) = following {
                following.relief_asked = Some(now);
                if taken.is_some() {
                    following.relief = Some(relief);
                    sent = true;
                }
            }
        }
        sent
    }
}

/// A follow that wants a relief and found none asks again after this long, s.
const RELIEF_RETRY_S: f64 = 60.0;

#[cfg(test)]
mod tests;
