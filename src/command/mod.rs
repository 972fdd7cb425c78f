//! Commands to vehicles and the transactions that need an answer: each command goes out as
//! COMMAND_LONG or COMMAND_INT, is retried when no COMMAND_ACK comes, and ends accepted,
//! rejected (with its MAV_RESULT) or timed out. Missions and parameters have protocols of
//! their own ([`mission`], [`params`]). The engine is driven by the world thread with the
//! messages it receives and the time, and answers through each request's reply channel.

pub mod mission;
pub mod params;

use std::time::Duration;

use crossbeam_channel::Sender;

use crate::pipeline::{Envelope, LinkId};
use crate::protocol::modes::{Firmware, custom_mode_from_name, mode_names};
use crate::protocol::{MavMessage, MavVersion, e7_from_deg, mav};
use crate::time::TimeUs;
use crate::world::{Vehicle, World};

pub use mission::{MissionOp, MissionOutcome};
pub use params::{ParamOp, ParamOutcome, ParamValue};

/// Wait for an acknowledgement before sending a command again.
pub const COMMAND_ACK_TIMEOUT: Duration = Duration::from_millis(1500);
/// Sends of one command before it is declared timed out.
pub const COMMAND_MAX_TRIES: u32 = 4;
/// Extra wait granted each time the vehicle answers MAV_RESULT_IN_PROGRESS.
pub const COMMAND_IN_PROGRESS_TIMEOUT: Duration = Duration::from_secs(5);
/// ArduPilot's magic number for a forced disarm (param2 of COMPONENT_ARM_DISARM).
const FORCE_DISARM_MAGIC: f32 = 21196.0;

/// What the operator asks a vehicle to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Arm,
    Disarm {
        force: bool,
    },
    SetMode(String),
    Takeoff {
        alt_rel_m: f64,
    },
    Land,
    ReturnToLaunch,
    /// Fly to a point and hold there (guided reposition).
    Goto {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f64,
    },
    /// Circle a point; a negative speed circles counter-clockwise.
    Orbit {
        lat_deg: f64,
        lon_deg: f64,
        alt_rel_m: f64,
        radius_m: f64,
        speed_mps: f64,
    },
    /// Point the gimbal (camera) at a place.
    PointGimbal {
        lat_deg: f64,
        lon_deg: f64,
        alt_msl_m: f64,
    },
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    Accepted,
    /// The vehicle answered with this MAV_RESULT (e.g. `DENIED`, `TEMPORARILY_REJECTED`).
    Rejected(String),
    /// No acknowledgement after this many sends.
    TimedOut {
        tries: u32,
    },
    /// The command was not sent: unknown vehicle, unknown mode, already in progress...
    NotSent(String),
}

impl std::fmt::Display for CommandOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Accepted => write!(f, "accepted"),
            Self::Rejected(result) => write!(f, "rejected: {result}"),
            Self::TimedOut { tries } => {
                write!(f, "timed out: no acknowledgement after {tries} tries")
            }
            Self::NotSent(reason) => write!(f, "not sent: {reason}"),
        }
    }
}

/// A request from a client (console, command line) to the world thread.
#[derive(Debug)]
pub enum Request {
    Command {
        target: u8,
        action: Action,
        reply: Sender<CommandOutcome>,
    },
    Mission {
        target: u8,
        op: MissionOp,
        reply: Sender<Result<MissionOutcome, String>>,
    },
    Params {
        target: u8,
        op: ParamOp,
        reply: Sender<Result<ParamOutcome, String>>,
    },
    /// Alerts, "send a drone", incidents and reports: handled by the world thread's
    /// `Protection`, never by the engine.
    Protection(crate::protection::ProtectionRequest),
    /// Give a vehicle a new signing key over its link (handled by the world thread's
    /// `pipeline::signing`); the answer names the key's fingerprint.
    SetupSigning {
        target: u8,
        reply: Sender<Result<String, String>>,
    },
    /// What a link with a key does with unsigned frames.
    SetUnsignedPolicy {
        link: LinkId,
        policy: crate::protocol::UnsignedPolicy,
    },
    Shutdown,
}

/// A message for the world thread to frame and send on a link.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub link: LinkId,
    pub version: MavVersion,
    pub message: MavMessage,
}

/// Where to reach a vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub sysid: u8,
    pub compid: u8,
    pub link: LinkId,
    pub version: MavVersion,
    pub firmware: Firmware,
}

impl Route {
    /// The route to a vehicle: the link it was last heard on, in the version it speaks.
    pub fn to(vehicle: &Vehicle) -> Self {
        Self {
            sysid: vehicle.sysid,
            compid: vehicle.compid,
            link: vehicle.link,
            version: vehicle.mavlink_version,
            firmware: vehicle.firmware,
        }
    }

    /// A message for the vehicle, framed as it can read it.
    pub fn send(&self, message: MavMessage) -> Outgoing {
        // MAVLink 1 cannot carry ids above 255: such messages go out as v2 regardless.
        let version = if mavlink_core::Message::message_id(&message) > 255 {
            MavVersion::V2
        } else {
            self.version
        };
        Outgoing {
            link: self.link,
            version,
            message,
        }
    }
}

#[derive(Debug)]
struct PendingCommand {
    route: Route,
    command: mav::MavCmd,
    message: MavMessage,
    tries: u32,
    deadline: TimeUs,
    reply: Sender<CommandOutcome>,
}

/// All transactions in flight.
#[derive(Debug, Default)]
pub struct CommandEngine {
    commands: Vec<PendingCommand>,
    missions: mission::MissionTransfers,
    params: params::ParamTransfers,
    /// Commands that ended lately (vehicle, command, until when): their late or repeated
    /// acknowledgements are expected, not suspicious.
    recent: Vec<(u8, mav::MavCmd, TimeUs)>,
    /// What the operator should be told (unsolicited acknowledgements); taken by the world
    /// thread after each message.
    notices: Vec<String>,
}

/// How long after a command ends its late or repeated acknowledgements are still expected
/// (each retry may be acknowledged).
pub const LATE_ACK_WINDOW: Duration = Duration::from_secs(10);
/// Ended commands remembered for [`LATE_ACK_WINDOW`], at most.
const MAX_RECENT_COMMANDS: usize = 64;

impl CommandEngine {
    pub fn new() -> Self {
        Self::default()
    }

    /// What the operator should be told since the last call.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }

    fn remember(&mut self, sysid: u8, command: mav::MavCmd, now: TimeUs) {
        self.recent.retain(|(_, _, until)| *until > now);
        if self.recent.len() >= MAX_RECENT_COMMANDS {
            self.recent.remove(0);
        }
        self.recent
            .push((sysid, command, now.plus(LATE_ACK_WINDOW)));
    }

    /// True while anything waits for a vehicle (the world thread then ticks often).
    pub fn is_busy(&self) -> bool {
        !self.commands.is_empty() || self.missions.is_busy() || self.params.is_busy()
    }

    /// Starts a request; what to send is appended to `out`.
    pub fn request(
        &mut self,
        request: Request,
        world: &World,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        let route = |target: u8| world.vehicles.get(&target).map(|v| Route::to(v));
        match request {
            Request::Command {
                target,
                action,
                reply,
            } => match route(target) {
                Some(route) => self.start_command(route, &action, reply, now, out),
                None => {
                    let _ = reply.try_send(CommandOutcome::NotSent(format!(
                        "no vehicle with system id {target}"
                    )));
                }
            },
            Request::Mission { target, op, reply } => match route(target) {
                Some(route) => self.missions.start(route, op, reply, now, out),
                None => {
                    let _ = reply.try_send(Err(format!("no vehicle with system id {target}")));
                }
            },
            Request::Params { target, op, reply } => match route(target) {
                Some(route) => self.params.start(route, op, reply, now, out),
                None => {
                    let _ = reply.try_send(Err(format!("no vehicle with system id {target}")));
                }
            },
            Request::Protection(_)
            | Request::SetupSigning { .. }
            | Request::SetUnsignedPolicy { .. }
            | Request::Shutdown => {}
        }
    }

    fn start_command(
        &mut self,
        route: Route,
        action: &Action,
        reply: Sender<CommandOutcome>,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        let message = match encode_action(&route, action) {
            Ok(message) => message,
            Err(reason) => {
                let _ = reply.try_send(CommandOutcome::NotSent(reason));
                return;
            }
        };
        let command = match &message {
            MavMessage::COMMAND_LONG(c) => c.command,
            MavMessage::COMMAND_INT(c) => c.command,
            _ => unreachable!("actions encode to commands"),
        };
        if self
            .commands
            .iter()
            .any(|p| p.route.sysid == route.sysid && p.command == command)
        {
            let _ = reply.try_send(CommandOutcome::NotSent(format!(
                "{command:?} is already waiting for vehicle {}",
                route.sysid
            )));
            return;
        }
        out.push(route.send(message.clone()));
        self.commands.push(PendingCommand {
            route,
            command,
            message,
            tries: 1,
            deadline: now.plus(COMMAND_ACK_TIMEOUT),
            reply,
        });
    }

    /// Feeds a received message to the transactions it may answer.
    #[allow(
        deprecated,
        reason = "MISSION_REQUEST and MISSION_ITEM from older firmware are still answered"
    )]
    pub fn on_message(&mut self, envelope: &Envelope, now: TimeUs, out: &mut Vec<Outgoing>) {
        let sysid = envelope.frame.sysid();
        match &envelope.message {
            MavMessage::COMMAND_ACK(ack) => self.on_command_ack(sysid, ack, now),
            message @ (MavMessage::MISSION_REQUEST_INT(_)
            | MavMessage::MISSION_REQUEST(_)
            | MavMessage::MISSION_ACK(_)
            | MavMessage::MISSION_COUNT(_)
            | MavMessage::MISSION_ITEM_INT(_)
            | MavMessage::MISSION_ITEM(_)) => self.missions.on_message(sysid, message, now, out),
            MavMessage::PARAM_VALUE(value) => self.params.on_value(sysid, value, now),
            _ => {}
        }
    }

    fn on_command_ack(&mut self, sysid: u8, ack: &mav::COMMAND_ACK_DATA, now: TimeUs) {
        let Some(index) = self
            .commands
            .iter()
            .position(|p| p.route.sysid == sysid && p.command == ack.command)
        else {
            // Not for a command in flight. An acknowledgement addressed to another ground
            // station (MAVLink 2 names it) is none of our business; one for us (or for no one
            // in particular) that answers nothing we sent lately is raised: a confused
            // vehicle, another console commanding it, or someone forging answers.
            let for_us = matches!(ack.target_system, 0 | crate::protocol::GCS_SYSTEM_ID);
            let expected = self
                .recent
                .iter()
                .any(|(s, c, until)| *s == sysid && *c == ack.command && *until > now);
            if for_us && !expected {
                self.notices.push(format!(
                    "system {sysid}: UNSOLICITED acknowledgement of {:?} ({}): this console did not send it",
                    ack.command,
                    result_name(ack.result)
                ));
            }
            return;
        };
        let outcome = match ack.result {
            mav::MavResult::MAV_RESULT_ACCEPTED => CommandOutcome::Accepted,
            mav::MavResult::MAV_RESULT_IN_PROGRESS => {
                self.commands[index].deadline = now.plus(COMMAND_IN_PROGRESS_TIMEOUT);
                return;
            }
            other => CommandOutcome::Rejected(result_name(other)),
        };
        let pending = self.commands.swap_remove(index);
        self.remember(sysid, pending.command, now);
        let _ = pending.reply.try_send(outcome);
    }

    /// Retries and times out whatever waited too long.
    pub fn tick(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let mut index = 0;
        while index < self.commands.len() {
            let pending = &mut self.commands[index];
            if now < pending.deadline {
                index += 1;
                continue;
            }
            if pending.tries >= COMMAND_MAX_TRIES {
                let pending = self.commands.swap_remove(index);
                self.remember(pending.route.sysid, pending.command, now);
                let _ = pending.reply.try_send(CommandOutcome::TimedOut {
                    tries: pending.tries,
                });
                continue;
            }
            if let MavMessage::COMMAND_LONG(long) = &mut pending.message {
                // COMMAND_LONG counts its retransmissions in `confirmation`.
                long.confirmation = long.confirmation.saturating_add(1);
            }
            pending.tries += 1;
            pending.deadline = now.plus(COMMAND_ACK_TIMEOUT);
            out.push(pending.route.send(pending.message.clone()));
            index += 1;
        }
        self.missions.tick(now, out);
        self.params.tick(now, out);
    }
}

/// "DENIED" for MAV_RESULT_DENIED.
fn result_name(result: mav::MavResult) -> String {
    format!("{result:?}")
        .trim_start_matches("MAV_RESULT_")
        .to_owned()
}

fn command_long(route: &Route, command: mav::MavCmd, params: [f32; 7]) -> MavMessage {
    let [param1, param2, param3, param4, param5, param6, param7] = params;
    MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        param1,
        param2,
        param3,
        param4,
        param5,
        param6,
        param7,
        command,
        target_system: route.sysid,
        target_component: route.compid,
        confirmation: 0,
    })
}

fn command_int(
    route: &Route,
    command: mav::MavCmd,
    frame: mav::MavFrame,
    params: [f32; 4],
    lat_deg: f64,
    lon_deg: f64,
    z: f64,
) -> MavMessage {
    let [param1, param2, param3, param4] = params;
    MavMessage::COMMAND_INT(mav::COMMAND_INT_DATA {
        param1,
        param2,
        param3,
        param4,
        x: e7_from_deg(lat_deg),
        y: e7_from_deg(lon_deg),
        z: z as f32,
        command,
        target_system: route.sysid,
        target_component: route.compid,
        frame,
        current: 0,
        autocontinue: 0,
    })
}

fn check_position(lat_deg: f64, lon_deg: f64) -> Result<(), String> {
    if (-90.0..=90.0).contains(&lat_deg) && (-180.0..=180.0).contains(&lon_deg) {
        Ok(())
    } else {
        Err(format!(
            "position {lat_deg}, {lon_deg} is not a latitude and longitude in degrees"
        ))
    }
}

/// The MAVLink command for an action, as the vehicle's firmware expects it.
fn encode_action(route: &Route, action: &Action) -> Result<MavMessage, String> {
    use mav::MavCmd::*;
    const NAN: f32 = f32::NAN;
    let relative = mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT;
    Ok(match action {
        Action::Arm => command_long(
            route,
            MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        Action::Disarm { force } => {
            let magic = if *force { FORCE_DISARM_MAGIC } else { 0.0 };
            command_long(
                route,
                MAV_CMD_COMPONENT_ARM_DISARM,
                [0.0, magic, 0.0, 0.0, 0.0, 0.0, 0.0],
            )
        }
        Action::SetMode(name) => {
            let custom_mode = custom_mode_from_name(route.firmware, name).ok_or_else(|| {
                let known: Vec<_> = mode_names(route.firmware).collect();
                format!(
                    "{:?} has no mode {name:?}; known modes: {}",
                    route.firmware,
                    known.join(" ")
                )
            })?;
            let (main_mode, sub_mode) = if route.firmware == Firmware::Px4 {
                ((custom_mode >> 16) & 0xFF, custom_mode >> 24)
            } else {
                (custom_mode, 0)
            };
            let base = mav::MavModeFlag::MAV_MODE_FLAG_CUSTOM_MODE_ENABLED.bits();
            command_long(
                route,
                MAV_CMD_DO_SET_MODE,
                [
                    f32::from(base),
                    main_mode as f32,
                    sub_mode as f32,
                    0.0,
                    0.0,
                    0.0,
                    0.0,
                ],
            )
        }
        Action::Takeoff { alt_rel_m } => {
            if !(alt_rel_m.is_finite() && *alt_rel_m > 0.0) {
                return Err(format!("takeoff altitude {alt_rel_m} m must be above zero"));
            }
            command_long(
                route,
                MAV_CMD_NAV_TAKEOFF,
                [0.0, 0.0, 0.0, NAN, NAN, NAN, *alt_rel_m as f32],
            )
        }
        Action::Land => command_long(route, MAV_CMD_NAV_LAND, [0.0, 0.0, 0.0, NAN, NAN, NAN, NAN]),
        Action::ReturnToLaunch => command_long(route, MAV_CMD_NAV_RETURN_TO_LAUNCH, [0.0; 7]),
        Action::Goto {
            lat_deg,
            lon_deg,
            alt_rel_m,
        } => {
            check_position(*lat_deg, *lon_deg)?;
            let change_mode =
                mav::MavDoRepositionFlags::MAV_DO_REPOSITION_FLAGS_CHANGE_MODE.bits() as f32;
            command_int(
                route,
                MAV_CMD_DO_REPOSITION,
                relative,
                [-1.0, change_mode, 0.0, NAN],
                *lat_deg,
                *lon_deg,
                *alt_rel_m,
            )
        }
        Action::Orbit {
            lat_deg,
            lon_deg,
            alt_rel_m,
            radius_m,
            speed_mps,
        } => {
            check_position(*lat_deg, *lon_deg)?;
            let signed_radius = radius_m.abs() * speed_mps.signum();
            command_int(
                route,
                MAV_CMD_DO_ORBIT,
                relative,
                [signed_radius as f32, speed_mps.abs() as f32, 0.0, NAN],
                *lat_deg,
                *lon_deg,
                *alt_rel_m,
            )
        }
        Action::PointGimbal {
            lat_deg,
            lon_deg,
            alt_msl_m,
        } => {
            check_position(*lat_deg, *lon_deg)?;
            command_int(
                route,
                MAV_CMD_DO_SET_ROI_LOCATION,
                mav::MavFrame::MAV_FRAME_GLOBAL,
                [0.0; 4],
                *lat_deg,
                *lon_deg,
                *alt_msl_m,
            )
        }
    })
}

#[cfg(test)]
mod tests;
