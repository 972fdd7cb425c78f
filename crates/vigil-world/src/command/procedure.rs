//! Actions that some firmware can only do in several steps. The operator asks for one thing
//! ("observe this place", "take off") and the engine does what the vehicle's firmware
//! implements, step by step, each step a command with its acknowledgement, a parameter set
//! with its echo, or a wait for the vehicle to get there:
//!
//! - **Observe a place, ArduCopter.** ArduCopter refuses MAV_CMD_DO_ORBIT. It circles in CIRCLE
//!   mode around a centre placed CIRCLE_RADIUS ahead of its nose when the mode is entered. So:
//!   set CIRCLE_RADIUS (centimetres) and CIRCLE_RATE (deg/s, its sign the direction), fly in
//!   GUIDED to the point of the circle nearest the drone, turn the nose to the place
//!   (MAV_CMD_CONDITION_YAW), enter CIRCLE, check for a few seconds that it holds its
//!   altitude, and point the camera at the place (MAV_CMD_DO_SET_ROI_LOCATION). The circle
//!   survives a lost link, unlike a circle flown by the station with GUIDED legs. CIRCLE takes
//!   its climb rate from the pilot's throttle stick when a transmitter is on (none: it holds
//!   altitude), so a stick left low makes it descend: the check catches that and says so.
//!   Checked against ArduCopter 4.7 SITL: the centre lands within a metre of the place.
//! - **Observe a place, ArduPlane**: MAV_CMD_DO_REPOSITION with the loiter radius in param3
//!   (GUIDED loiter), then the camera. **PX4**: MAV_CMD_DO_ORBIT.
//! - **Take off, ArduPlane**: TKOFF_ALT, then TAKEOFF mode (a plane has no NAV_TAKEOFF command).
//! - **Take off in one step** (from the ground, as QGroundControl's slider): ArduCopter: GUIDED,
//!   seen in the heartbeat, arm, NAV_TAKEOFF; ArduPlane: TKOFF_ALT, TAKEOFF mode, seen, arm
//!   (it launches when armed in TAKEOFF); PX4: arm, NAV_TAKEOFF (altitude above sea level).
//!   Each ends when the vehicle has left the ground; a refusal carries the vehicle's reason
//!   ("arm: PreArm: ...").
//!
//! A procedure ends `Accepted` when its last step is done, or with the first step that failed,
//! named.

use std::collections::VecDeque;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TryRecvError};

use super::params::{ParamError, ParamOutcome};
use super::{CommandOutcome, Route};
use crate::World;
use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_core::time::TimeUs;
use vigil_protocol::MavMessage;

/// Close enough to a point to count as there, m.
const ARRIVED_WITHIN_M: f64 = 3.0;
/// Slow enough to count as stopped there, m/s.
const ARRIVED_BELOW_MPS: f64 = 1.0;
/// The nose counts as turned within this angle, rad (5°).
const HEADING_WITHIN_RAD: f64 = 5.0 * std::f64::consts::PI / 180.0;
/// A copter flies at least this fast in GUIDED by default (WPNAV_SPEED 10 m/s), m/s; used
/// for the time allowed to arrive.
const TRANSIT_SPEED_MPS: f64 = 5.0;
/// Time for a heartbeat to show a mode the vehicle just took.
const MODE_GRACE: Duration = Duration::from_secs(3);
/// A copter that loses more than this much height right after entering CIRCLE is descending
/// on its pilot's throttle, m.
const MAX_CIRCLE_DESCENT_M: f64 = 3.0;
/// Time allowed on top of the transit time, and for a turn or a mode change.
const STEP_MARGIN: Duration = Duration::from_secs(30);

/// One step of a procedure.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// A command (COMMAND_LONG or COMMAND_INT), acknowledged.
    Command { what: String, message: MavMessage },
    /// A command that helps but is not essential (pointing a camera the vehicle may not
    /// have): its refusal does not end the procedure.
    Try { what: String, message: MavMessage },
    /// A parameter set, confirmed by its echo.
    SetParam { name: &'static str, value: f64 },
    /// Wait until the vehicle is near a point and nearly still.
    Arrive {
        lat_deg: f64,
        lon_deg: f64,
        timeout: Duration,
    },
    /// Wait until the nose points along `heading_rad` (from north, clockwise).
    Heading { heading_rad: f64 },
    /// Wait until the heartbeat shows the mode.
    Mode { name: &'static str },
    /// Watch the altitude for a while: CIRCLE takes its climb rate from the pilot's throttle
    /// stick, so a transmitter left at low throttle makes the copter descend. On a descent,
    /// `rescue` (a mode that holds altitude) is sent before the procedure ends.
    HoldsAltitude { watch: Duration, rescue: MavMessage },
    /// Wait until the vehicle is this high above home (it has left the ground), staying in
    /// `mode` when one is given.
    Climb {
        min_alt_rel_m: f64,
        mode: Option<&'static str>,
        timeout: Duration,
    },
}

impl Step {
    fn describe(&self) -> String {
        match self {
            Self::Command { what, .. } | Self::Try { what, .. } => what.clone(),
            Self::SetParam { name, value } => format!("set {name} to {value}"),
            Self::Arrive { .. } => "reach the circle".into(),
            Self::Heading { heading_rad } => {
                format!("turn to {:.0}°", heading_rad.to_degrees().rem_euclid(360.0))
            }
            Self::Mode { name } => format!("enter {name}"),
            Self::HoldsAltitude { .. } => "hold altitude while circling".into(),
            Self::Climb { min_alt_rel_m, .. } => format!("climb past {min_alt_rel_m:.0} m"),
        }
    }
}

/// What the engine should start for a procedure.
#[derive(Debug)]
pub(crate) enum Start {
    Command(Box<MavMessage>, Sender<CommandOutcome>),
    SetParam(&'static str, f64, Sender<Result<ParamOutcome, ParamError>>),
}

#[derive(Debug)]
enum Waiting {
    Nothing,
    Command(Receiver<CommandOutcome>),
    Param(Receiver<Result<ParamOutcome, ParamError>>),
    /// A condition on the world, since when (on the station's clock, and on the vehicle's:
    /// see `Integrity::last_fix_time`), and the altitude above home then.
    Condition(TimeUs, Option<TimeUs>, Option<f64>),
}

/// A multi-step action in flight.
#[derive(Debug)]
pub(crate) struct Procedure {
    pub route: Route,
    steps: VecDeque<Step>,
    waiting: Waiting,
    reply: Sender<CommandOutcome>,
}

impl Procedure {
    pub fn new(route: Route, steps: Vec<Step>, reply: Sender<CommandOutcome>) -> Self {
        Self {
            route,
            steps: steps.into(),
            waiting: Waiting::Nothing,
            reply,
        }
    }

    /// Ends the procedure now with `outcome` (superseded by another action).
    pub fn end(self, outcome: CommandOutcome) {
        let _ = self.reply.try_send(outcome);
    }

    /// Moves on; returns what to start, and whether the procedure has ended (its outcome
    /// sent).
    pub fn advance(&mut self, world: &World, now: TimeUs) -> (Option<Start>, bool) {
        loop {
            let Some(step) = self.steps.front() else {
                let _ = self.reply.try_send(CommandOutcome::Accepted);
                return (None, true);
            };
            match std::mem::replace(&mut self.waiting, Waiting::Nothing) {
                Waiting::Nothing => match step.clone() {
                    Step::Command { message, .. } | Step::Try { message, .. } => {
                        let (tx, rx) = crossbeam_channel::bounded(1);
                        self.waiting = Waiting::Command(rx);
                        return (Some(Start::Command(Box::new(message), tx)), false);
                    }
                    Step::SetParam { name, value } => {
                        let (tx, rx) = crossbeam_channel::bounded(1);
                        self.waiting = Waiting::Param(rx);
                        return (Some(Start::SetParam(name, value, tx)), false);
                    }
                    Step::Arrive { .. }
                    | Step::Heading { .. }
                    | Step::Mode { .. }
                    | Step::HoldsAltitude { .. }
                    | Step::Climb { .. } => {
                        let vehicle = world.vehicles.get(&self.route.sysid);
                        let alt = vehicle
                            .and_then(|v| v.fresh_position(now))
                            .map(|p| p.alt_rel_home_m);
                        let on_vehicle = vehicle.and_then(|v| v.integrity.last_fix_time());
                        self.waiting = Waiting::Condition(now, on_vehicle, alt);
                    }
                },
                Waiting::Command(rx) => match rx.try_recv() {
                    Ok(CommandOutcome::Accepted) => {
                        self.steps.pop_front();
                    }
                    Ok(_) if matches!(step, Step::Try { .. }) => {
                        self.steps.pop_front();
                    }
                    Ok(other) => return self.fail(other),
                    Err(TryRecvError::Empty) => {
                        self.waiting = Waiting::Command(rx);
                        return (None, false);
                    }
                    Err(TryRecvError::Disconnected) => {
                        return self.fail(CommandOutcome::Failed("no outcome".into()));
                    }
                },
                Waiting::Param(rx) => match rx.try_recv() {
                    Ok(Ok(_)) => {
                        self.steps.pop_front();
                    }
                    Ok(Err(error)) => return self.fail(CommandOutcome::Failed(error.to_string())),
                    Err(TryRecvError::Empty) => {
                        self.waiting = Waiting::Param(rx);
                        return (None, false);
                    }
                    Err(TryRecvError::Disconnected) => {
                        return self.fail(CommandOutcome::Failed("no outcome".into()));
                    }
                },
                Waiting::Condition(since, on_vehicle, alt) => {
                    // No position when the step began: the first one after is the baseline.
                    let alt = alt.or_else(|| {
                        world
                            .vehicles
                            .get(&self.route.sysid)
                            .and_then(|v| v.fresh_position(now))
                            .map(|p| p.alt_rel_home_m)
                    });
                    match self.condition(step, world, now, (since, on_vehicle), alt) {
                        Ok(true) => {
                            self.steps.pop_front();
                        }
                        Ok(false) => {
                            self.waiting = Waiting::Condition(since, on_vehicle, alt);
                            return (None, false);
                        }
                        Err(reason) => {
                            // Rescued only from the descent in CIRCLE: a vehicle that left
                            // CIRCLE (a failsafe, the pilot) is not overruled.
                            let circling = world
                                .vehicles
                                .get(&self.route.sysid)
                                .is_some_and(|v| v.mode == "CIRCLE");
                            let rescue = match step {
                                Step::HoldsAltitude { rescue, .. } if circling => {
                                    Some(rescue.clone())
                                }
                                _ => None,
                            };
                            let (_, ended) = self.fail(CommandOutcome::Failed(reason));
                            // The rescue's own outcome goes nowhere: the operator has been told.
                            let start = rescue.map(|message| {
                                Start::Command(Box::new(message), crossbeam_channel::bounded(1).0)
                            });
                            return (start, ended);
                        }
                    }
                }
            }
        }
    }

    /// Ends the procedure with the step that failed named in its outcome.
    fn fail(&mut self, outcome: CommandOutcome) -> (Option<Start>, bool) {
        let step = self.steps.front().map(Step::describe).unwrap_or_default();
        let outcome = match outcome {
            CommandOutcome::Rejected { result, reason } => CommandOutcome::Rejected {
                result,
                reason: Some(match reason {
                    Some(reason) => format!("{step}: {reason}"),
                    None => format!("at \"{step}\""),
                }),
            },
            CommandOutcome::Failed(reason) => CommandOutcome::Failed(format!("{step}: {reason}")),
            CommandOutcome::NotSent(reason) => CommandOutcome::NotSent(format!("{step}: {reason}")),
            other => other,
        };
        let _ = self.reply.try_send(outcome);
        (None, true)
    }

    /// Whether a waiting step's condition holds; an error when it can no longer hold.
    fn condition(
        &self,
        step: &Step,
        world: &World,
        now: TimeUs,
        (since, since_on_vehicle): (TimeUs, Option<TimeUs>),
        alt_then_m: Option<f64>,
    ) -> Result<bool, String> {
        let sysid = self.route.sysid;
        let vehicle = world
            .vehicles
            .get(&sysid)
            .ok_or_else(|| format!("vehicle {sysid} is gone"))?;
        let waited = now.since(since);
        // The vehicle must stay in the mode the procedure put it in: a failsafe or the pilot
        // switching away ends it (after a moment for the heartbeat to show the change).
        let left = |mode: &str| {
            (vehicle.mode != mode && waited > MODE_GRACE).then(|| {
                format!(
                    "the vehicle left {mode} (now {}): stopped here",
                    vehicle.mode
                )
            })
        };
        if let Some(reason) = match step {
            Step::Arrive { .. } | Step::Heading { .. } => left("GUIDED"),
            Step::HoldsAltitude { .. } => left("CIRCLE"),
            Step::Climb {
                mode: Some(mode), ..
            } => left(mode),
            _ => None,
        } {
            return Err(reason);
        }
        match step {
            Step::Arrive {
                lat_deg,
                lon_deg,
                timeout,
            } => {
                let position = vehicle.fresh_position(now);
                let there = position.is_some_and(|p| {
                    let [north, east, _] = p.vel_ned_mps;
                    let distance = distance_m(
                        &Geodetic::from_deg(p.lat_deg, p.lon_deg, 0.0),
                        &Geodetic::from_deg(*lat_deg, *lon_deg, 0.0),
                    );
                    distance <= ARRIVED_WITHIN_M && north.hypot(east) <= ARRIVED_BELOW_MPS
                });
                if !there && waited > *timeout {
                    return Err(format!(
                        "not there after {:.0} s (mode {})",
                        waited.as_secs_f64(),
                        vehicle.mode
                    ));
                }
                Ok(there)
            }
            Step::Heading { heading_rad } => {
                let yaw = vehicle.fresh_attitude(now).map(|a| a.yaw_rad);
                let off = yaw.map(|yaw| {
                    let d = (yaw - heading_rad).rem_euclid(std::f64::consts::TAU);
                    d.min(std::f64::consts::TAU - d)
                });
                let turned = off.is_some_and(|off| off <= HEADING_WITHIN_RAD);
                if !turned && waited > STEP_MARGIN {
                    return Err(format!(
                        "the nose is still {:.0}° off after {:.0} s",
                        off.unwrap_or(std::f64::consts::PI).to_degrees(),
                        waited.as_secs_f64()
                    ));
                }
                Ok(turned)
            }
            Step::Mode { name } => {
                let entered = vehicle.mode == *name;
                if !entered && waited > STEP_MARGIN {
                    return Err(format!("the vehicle stayed in {}", vehicle.mode));
                }
                Ok(entered)
            }
            Step::HoldsAltitude { watch, .. } => {
                let alt_m = vehicle.fresh_position(now).map(|p| p.alt_rel_home_m);
                if alt_then_m.is_none() && alt_m.is_none() && waited > *watch {
                    return Err("no position to watch the altitude by".into());
                }
                if let (Some(then), Some(alt)) = (alt_then_m, alt_m)
                    && then - alt > MAX_CIRCLE_DESCENT_M
                {
                    return Err(format!(
                        "it descends ({then:.0} m to {alt:.0} m above home): CIRCLE takes its climb rate from the pilot's throttle, so centre the transmitter's throttle stick (or switch the transmitter off); switching back to GUIDED, which holds"
                    ));
                }
                Ok(flown(vehicle, since_on_vehicle, waited) >= *watch)
            }
            Step::Climb {
                min_alt_rel_m,
                timeout,
                ..
            } => {
                let alt_m = vehicle.fresh_position(now).map(|p| p.alt_rel_home_m);
                let climbed = alt_m.is_some_and(|alt| alt >= *min_alt_rel_m);
                if !climbed && !vehicle.armed && waited > MODE_GRACE {
                    return Err("the vehicle disarmed on the ground".into());
                }
                if !climbed && waited > *timeout {
                    return Err(match alt_m {
                        Some(alt) => format!(
                            "still {alt:.0} m above home after {:.0} s",
                            waited.as_secs_f64()
                        ),
                        None => "no position to see the climb by".into(),
                    });
                }
                Ok(climbed)
            }
            Step::Command { .. } | Step::Try { .. } | Step::SetParam { .. } => Ok(true),
        }
    }
}

/// The time a copter may take to fly `distance_m`.
pub(crate) fn transit_timeout(distance_m: f64) -> Duration {
    Duration::from_secs_f64(distance_m.max(0.0) / TRANSIT_SPEED_MPS) + STEP_MARGIN
}

/// How long the vehicle has flown since a step began: on its own clock where it has one, so
/// that a simulation at a speed-up is watched as long as a real flight; else `waited`, on the
/// station's.
fn flown(vehicle: &crate::Vehicle, since_on_vehicle: Option<TimeUs>, waited: Duration) -> Duration {
    match (since_on_vehicle, vehicle.integrity.last_fix_time()) {
        (Some(then), Some(last)) if last >= then => last.since(then),
        _ => waited,
    }
}
