//! "Send a drone": the nearest suitable drone (airborne, or landed and able to take off; a
//! healthy link; enough battery; idle ones first) is proposed with its task, distance and
//! time to arrive and why the others were passed over ([`plan`]), so that the operator can
//! confirm; then it is tasked through the command engine to orbit the place and point its
//! camera at it. A landed multirotor is put in GUIDED, armed and taken off first (ArduPilot's
//! way; PX4 is not handled here). Its state follows the drone: in progress (commands being
//! sent), en route, on station (within the orbit of the place), failed, or lost (its link
//! lost or its motors stopped on the way). Each command's outcome goes back to the requester
//! as it comes, then the end: on station, or why not.

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::LatLon;
use super::rules::DispatchConfig;
use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_core::time::TimeUs;
use vigil_world::command::{Action, CommandOutcome, Request};
use vigil_world::{Airframe, Health, Vehicle, World};

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
}

impl DispatchState {
    pub fn label(self) -> &'static str {
        match self {
            Self::InProgress => "in progress",
            Self::EnRoute => "en route",
            Self::Orbiting => "orbiting",
            Self::Failed => "failed",
            Self::Lost => "lost",
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
}

/// The drone chosen and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub drone: u8,
    pub distance_m: f64,
    pub takes_off: bool,
    /// Its time to arrive (take-off and flight), s.
    pub eta_s: f64,
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

/// The nearest suitable drone for `target`; `busy` drones (already dispatched, or flying a
/// mission) are taken only when no idle one is suitable.
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
    let mut reasons: Vec<String> = Vec::new();
    let mut candidates: Vec<(f64, Choice)> = Vec::new();
    for vehicle in world.vehicles.values() {
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
fn candidate(
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
    let task = busy
        .iter()
        .find(|(id, _)| *id == vehicle.sysid)
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
    // Idle first; among those, a drone in the air saves a take-off (worth ~300 m).
    let score = d + if task.is_some() { 1e9 } else { 0.0 } + if takes_off { 300.0 } else { 0.0 };
    Ok(Some((
        score,
        Choice {
            drone: vehicle.sysid,
            distance_m: d,
            takes_off,
            eta_s: climb_s + d / speed,
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

    /// Drones with a dispatch in progress, en route or on station, and what for.
    pub fn busy(&self) -> Vec<(u8, String)> {
        self.records
            .iter()
            .filter(|r| {
                matches!(
                    r.state,
                    DispatchState::InProgress | DispatchState::EnRoute | DispatchState::Orbiting
                )
            })
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
            None => choose_drone(world, order.target, config, &busy),
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
        });
        Some(choice.drone)
    }

    /// Advances the dispatches; returns the commands to hand to the command engine and
    /// whether anything changed. `now` is the world's clock (as the engine's).
    pub fn pump(&mut self, world: &World, now: TimeUs) -> (Vec<Request>, bool) {
        let mut requests = Vec::new();
        let mut changed = false;
        let Self {
            records,
            active,
            changed: changed_ids,
            ..
        } = self;
        active.retain_mut(|dispatch| {
            let (ended, stepped) = advance(dispatch, world, now, &mut requests);
            if dispatch.en_route_since.is_some()
                && let Some(record) = records.iter_mut().find(|r| r.id == dispatch.record)
                && record.state == DispatchState::InProgress
            {
                record.state = DispatchState::EnRoute;
                changed_ids.push(record.id);
                changed = true;
                let distance_m = distance_to(world, dispatch.drone, record.target);
                let _ = dispatch
                    .reply
                    .try_send(DispatchUpdate::EnRoute { distance_m });
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
            let ended = ended.map_err(|ending| ending.reason);
            let _ = dispatch.reply.try_send(DispatchUpdate::Done(ended));
            false
        });
        (requests, changed)
    }
}

/// A command that finished and how.
type Stepped = (Action, CommandOutcome);

/// Moves a dispatch on: returns whether it has ended (and how), and the command that finished
/// during this call, if any.
fn advance(
    dispatch: &mut Active,
    world: &World,
    now: TimeUs,
    requests: &mut Vec<Request>,
) -> (Option<Result<u8, Ending>>, Option<Stepped>) {
    let drone = dispatch.drone;
    let mut stepped = None;
    if let Some((action, outcome)) = dispatch.waiting.take() {
        match outcome.try_recv() {
            Ok(CommandOutcome::Accepted) => {
                stepped = Some((action, CommandOutcome::Accepted));
            }
            Ok(other) => {
                let reason = format!("drone {drone}: {action}: {other}");
                return (Some(Err(Ending::failed(reason))), Some((action, other)));
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {
                dispatch.waiting = Some((action, outcome));
                return (None, None);
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                let reason = format!("drone {drone}: {action}: got no outcome");
                return (Some(Err(Ending::failed(reason))), None);
            }
        }
    }
    loop {
        match dispatch.plan.front().cloned() {
            None => return (Some(Ok(drone)), stepped),
            Some(Step::Climb {
                min_alt_rel_m,
                timeout_s,
            }) => {
                let since = *dispatch.climb_since.get_or_insert(now);
                let alt = world
                    .vehicles
                    .get(&drone)
                    .and_then(|v| v.position)
                    .map(|p| p.alt_rel_home_m);
                if alt.is_some_and(|a| a >= min_alt_rel_m) {
                    dispatch.plan.pop_front();
                    continue;
                }
                if now.since(since).as_secs_f64() > timeout_s {
                    let reason = format!(
                        "drone {drone} did not reach {min_alt_rel_m:.0} m within {timeout_s:.0} s"
                    );
                    return (Some(Err(Ending::failed(reason))), stepped);
                }
                return (None, stepped);
            }
            Some(Step::Arrive {
                target,
                within_m,
                timeout_s,
            }) => {
                let since = *dispatch.en_route_since.get_or_insert(now);
                if let Some(ending) = lost(world, drone) {
                    return (Some(Err(ending)), stepped);
                }
                if distance_to(world, drone, target) <= within_m {
                    dispatch.plan.pop_front();
                    continue;
                }
                if now.since(since).as_secs_f64() > timeout_s {
                    let reason =
                        format!("drone {drone} did not reach the place within {timeout_s:.0} s");
                    return (Some(Err(Ending::failed(reason))), stepped);
                }
                return (None, stepped);
            }
            Some(Step::Command(action)) => {
                dispatch.plan.pop_front();
                if matches!(action, Action::Orbit { .. }) {
                    // The orbit takes the drone there (ArduCopter flies to the place before
                    // it circles): from now on it is en route.
                    dispatch.en_route_since.get_or_insert(now);
                }
                let (reply, outcome) = bounded(1);
                requests.push(Request::Command {
                    target: drone,
                    action: action.clone(),
                    reply,
                });
                dispatch.waiting = Some((action, outcome));
                return (None, stepped);
            }
        }
    }
}

/// How far the drone is from `target`, m (infinite without a position).
fn distance_to(world: &World, drone: u8, target: LatLon) -> f64 {
    world
        .vehicles
        .get(&drone)
        .and_then(|v| v.position)
        .map_or(f64::INFINITY, |p| {
            distance_m(
                &Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0),
                &Geodetic::from_deg(target.lat_deg, target.lon_deg, 0.0),
            )
        })
}

/// Why the drone is lost to the dispatch, if it is: its link, or its motors stopped.
fn lost(world: &World, drone: u8) -> Option<Ending> {
    let reason = match world.vehicles.get(&drone) {
        None => format!("drone {drone} is gone"),
        Some(v) if v.health == Health::Lost => format!("drone {drone}: link lost on the way"),
        Some(v) if !v.armed => format!("drone {drone} stopped its motors on the way"),
        Some(_) => return None,
    };
    Some(Ending {
        state: DispatchState::Lost,
        reason,
    })
}
