//! "Send a drone": one request picks the nearest suitable drone (airborne, or landed and
//! able to take off; a healthy link; enough battery; idle ones first) and tasks it through
//! the command engine to orbit the place and point its camera at it. A landed multirotor is
//! put in GUIDED, armed and taken off first (ArduPilot's way; PX4 is not handled here). Each
//! command's outcome goes back to the requester as it comes, then the end.

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

/// What the requester hears, in order: `Chosen`, then a `Step` per command, then `Done`.
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
    /// `Ok(drone)` once the drone orbits with its camera on the place.
    Done(Result<u8, String>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DispatchState {
    InProgress,
    Orbiting,
    Failed,
}

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Choice {
    pub drone: u8,
    pub distance_m: f64,
    pub takes_off: bool,
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
    busy: &[u8],
) -> Result<Choice, String> {
    let target_g = Geodetic::from_deg(target.lat_deg, target.lon_deg, 0.0);
    let mut reasons: Vec<String> = Vec::new();
    let mut best: Option<(f64, Choice)> = None;
    for vehicle in world.vehicles.values() {
        let id = vehicle.sysid;
        if vehicle.health != Health::Fresh {
            reasons.push(format!("{id}: link {}", vehicle.health.label()));
            continue;
        }
        if vehicle.airframe == Airframe::Ground {
            continue;
        }
        let Some(position) = vehicle.position else {
            reasons.push(format!("{id}: no position"));
            continue;
        };
        match vehicle.battery.remaining_pct {
            Some(pct) if pct >= config.min_battery_pct => {}
            Some(pct) => {
                reasons.push(format!("{id}: battery {pct:.0}%"));
                continue;
            }
            None => {
                reasons.push(format!("{id}: battery unknown"));
                continue;
            }
        }
        let takes_off = !airborne(vehicle);
        if takes_off {
            let can = config.allow_takeoff
                && !vehicle.armed
                && matches!(
                    vehicle.airframe,
                    Airframe::Multirotor | Airframe::Helicopter | Airframe::Vtol
                );
            if !can {
                reasons.push(format!("{id}: on the ground and cannot be launched here"));
                continue;
            }
        }
        let d = distance_m(
            &Geodetic::from_deg(position.lat_deg, position.lon_deg, 0.0),
            &target_g,
        );
        if d > config.max_distance_m {
            reasons.push(format!("{id}: {:.1} km away", d / 1000.0));
            continue;
        }
        let is_busy = busy.contains(&id) || vehicle.mode == "AUTO";
        // Idle first; among those, a drone in the air saves a take-off (worth ~300 m).
        let score = d + if is_busy { 1e9 } else { 0.0 } + if takes_off { 300.0 } else { 0.0 };
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((
                score,
                Choice {
                    drone: id,
                    distance_m: d,
                    takes_off,
                },
            ));
        }
    }
    best.map(|(_, c)| c).ok_or_else(|| {
        if reasons.is_empty() {
            "no drone is connected".to_owned()
        } else {
            format!("no suitable drone ({})", reasons.join("; "))
        }
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Command(Action),
    /// Wait until the drone is this high above home, or fail at the deadline.
    Climb {
        min_alt_rel_m: f64,
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
    reply: Sender<DispatchUpdate>,
}

/// Dispatches in flight and done.
#[derive(Debug, Default)]
pub struct Dispatcher {
    pub records: Vec<DispatchRecord>,
    active: Vec<Active>,
    next_id: u64,
}

impl Dispatcher {
    /// Drones with a dispatch in progress or orbiting.
    pub fn busy(&self) -> Vec<u8> {
        self.records
            .iter()
            .filter(|r| r.state != DispatchState::Failed)
            .map(|r| r.drone)
            .collect()
    }

    /// Starts a dispatch to `target`; what the requester hears goes to `reply`. Returns the
    /// drone chosen, if any.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site, in the protection state; a struct would only rename them"
    )]
    pub fn start(
        &mut self,
        world: &World,
        config: &DispatchConfig,
        target: LatLon,
        alert: Option<u64>,
        site: Option<u32>,
        by: &str,
        now: TimeUs,
        reply: Sender<DispatchUpdate>,
    ) -> Option<u8> {
        let choice = match choose_drone(world, target, config, &self.busy()) {
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
        let ground_alt_msl_m = world
            .vehicles
            .get(&choice.drone)
            .and_then(|v| {
                v.home
                    .map(|h| h.alt_msl_m)
                    .or_else(|| v.position.map(|p| p.alt_msl_m - p.alt_rel_home_m))
            })
            .unwrap_or(0.0);
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
        self.next_id += 1;
        self.records.push(DispatchRecord {
            id: self.next_id,
            drone: choice.drone,
            alert,
            site,
            target,
            by: by.to_owned(),
            at: now,
            state: DispatchState::InProgress,
            steps: Vec::new(),
            failure: None,
        });
        if self.records.len() > MAX_DISPATCHES {
            self.records.remove(0);
        }
        self.active.push(Active {
            record: self.next_id,
            drone: choice.drone,
            plan,
            waiting: None,
            climb_since: None,
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
            records, active, ..
        } = self;
        active.retain_mut(|dispatch| {
            let (ended, stepped) = advance(dispatch, world, now, &mut requests);
            if let Some((action, outcome)) = stepped {
                changed = true;
                let _ = dispatch.reply.try_send(DispatchUpdate::Step {
                    action: action.clone(),
                    outcome: outcome.clone(),
                });
                if let Some(record) = records.iter_mut().find(|r| r.id == dispatch.record) {
                    record.steps.push((action, outcome));
                }
            }
            let Some(ended) = ended else {
                return true;
            };
            changed = true;
            if let Some(record) = records.iter_mut().find(|r| r.id == dispatch.record) {
                match &ended {
                    Ok(_) => record.state = DispatchState::Orbiting,
                    Err(reason) => {
                        record.state = DispatchState::Failed;
                        record.failure = Some(reason.clone());
                    }
                }
            }
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
) -> (Option<Result<u8, String>>, Option<Stepped>) {
    let drone = dispatch.drone;
    let mut stepped = None;
    if let Some((action, outcome)) = dispatch.waiting.take() {
        match outcome.try_recv() {
            Ok(CommandOutcome::Accepted) => {
                stepped = Some((action, CommandOutcome::Accepted));
            }
            Ok(other) => {
                let reason = format!("drone {drone}: {action}: {other}");
                return (Some(Err(reason)), Some((action, other)));
            }
            Err(crossbeam_channel::TryRecvError::Empty) => {
                dispatch.waiting = Some((action, outcome));
                return (None, None);
            }
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                return (
                    Some(Err(format!("drone {drone}: {action}: got no outcome"))),
                    None,
                );
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
                    return (Some(Err(reason)), stepped);
                }
                return (None, stepped);
            }
            Some(Step::Command(action)) => {
                dispatch.plan.pop_front();
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
