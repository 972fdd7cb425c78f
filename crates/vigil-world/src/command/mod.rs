//! Commands to vehicles and the transactions that need an answer: each command goes out as
//! COMMAND_LONG or COMMAND_INT, is retried when no COMMAND_ACK comes, and ends accepted,
//! rejected (with its MAV_RESULT) or timed out. Missions and parameters have protocols of
//! their own ([`mission`], [`params`]). The engine is driven by the world thread with the
//! messages it receives and the time, and answers through each request's reply channel.

// Long: the command engine: every `Action` as each firmware (ArduCopter, ArduPlane, PX4) implements it, side by side so that their differences stay visible.

pub mod mission;
pub mod params;
mod procedure;
pub mod streams;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use crossbeam_channel::Sender;

use crate::{Vehicle, World};
use vigil_core::time::TimeUs;
use vigil_link::{Envelope, LinkId};
use vigil_protocol::modes::{Firmware, custom_mode_from_name, mode_names};
use vigil_protocol::{MavMessage, MavVersion, e7_from_deg, mav};

pub use mission::{List, MissionError, MissionOp, MissionOutcome, TransferProgress, UploadCounts};
pub use params::{ParamError, ParamOp, ParamOutcome, ParamValue};

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
    /// The take-off command alone (MAV_CMD_NAV_TAKEOFF; ArduPlane: TAKEOFF mode): the vehicle
    /// must already be armed in the right mode.
    Takeoff {
        alt_rel_m: f64,
    },
    /// Take off in one step, as QGroundControl's slider does: the mode the firmware needs,
    /// arm, take off, and see the vehicle leave the ground (see [`launch_steps`]).
    Launch {
        alt_rel_m: f64,
    },
    Land,
    ReturnToLaunch,
    /// Start the mission on the vehicle (MAV_CMD_MISSION_START: ArduCopter takes off on it
    /// when armed on the ground in GUIDED; switching to AUTO on the ground does not).
    StartMission,
    /// Fly the mission on board from the ground, in one step: ArduCopter GUIDED, arm,
    /// MISSION_START, seen in AUTO; ArduPlane AUTO, arm (it takes off by the mission's
    /// take-off item); PX4 arm, MISSION_START.
    FlyMission,
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

impl std::fmt::Display for Action {
    /// The action in the operator's words: "arm", "take off to 20 m", "go to 12.34567, ...".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Arm => write!(f, "arm"),
            Self::Disarm { force: false } => write!(f, "disarm"),
            Self::Disarm { force: true } => write!(f, "force disarm"),
            Self::SetMode(name) => write!(f, "mode {name}"),
            Self::Takeoff { alt_rel_m } => write!(f, "takeoff command to {alt_rel_m:.0} m"),
            Self::Launch { alt_rel_m } => write!(f, "take off to {alt_rel_m:.0} m"),
            Self::Land => write!(f, "land"),
            Self::ReturnToLaunch => write!(f, "return to launch"),
            Self::StartMission => write!(f, "start the mission"),
            Self::FlyMission => write!(f, "fly the mission"),
            Self::Goto {
                lat_deg,
                lon_deg,
                alt_rel_m,
            } => write!(
                f,
                "go to {lat_deg:.6}, {lon_deg:.6} at {alt_rel_m:.0} m above home"
            ),
            Self::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
                ..
            } => write!(
                f,
                "circle {lat_deg:.6}, {lon_deg:.6} at {radius_m:.0} m radius and {alt_rel_m:.0} m above home"
            ),
            Self::PointGimbal {
                lat_deg, lon_deg, ..
            } => write!(f, "point the camera at {lat_deg:.6}, {lon_deg:.6}"),
        }
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandOutcome {
    Accepted,
    /// The vehicle answered with this MAV_RESULT (e.g. `DENIED`, `TEMPORARILY_REJECTED`), and
    /// what it said about it in a status text at the same moment, if anything.
    Rejected {
        result: String,
        reason: Option<String>,
    },
    /// No acknowledgement after this many sends; `hint` says why when Vigil can tell (a
    /// vehicle that signs its frames and for which this station has no key).
    TimedOut {
        tries: u32,
        hint: Option<String>,
    },
    /// The command was not sent: unknown vehicle, unknown mode, already in progress...
    NotSent(String),
    /// The vehicle accepted each step but did not do what was asked (an action of several
    /// steps: it never reached the circle, never entered the mode...).
    Failed(String),
}

impl std::fmt::Display for CommandOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Accepted => write!(f, "accepted"),
            Self::Rejected {
                result,
                reason: Some(reason),
            } => write!(f, "refused ({}): {reason}", plain_result(result)),
            Self::Rejected {
                result,
                reason: None,
            } => write!(f, "refused ({})", plain_result(result)),
            Self::TimedOut { tries, hint } => {
                write!(f, "timed out: no answer after {tries} tries")?;
                match hint {
                    Some(hint) => write!(f, " ({hint})"),
                    None => Ok(()),
                }
            }
            Self::NotSent(reason) => write!(f, "not sent: {reason}"),
            Self::Failed(reason) => write!(f, "failed: {reason}"),
        }
    }
}

/// A request to the command engine: a command, or a mission or parameter transfer, for one
/// vehicle. The station wraps it with its own requests (`vigil_station::Request`).
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
        reply: Sender<Result<MissionOutcome, MissionError>>,
    },
    Params {
        target: u8,
        op: ParamOp,
        reply: Sender<Result<ParamOutcome, ParamError>>,
    },
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

/// A command waiting for the same command to the same vehicle to be answered.
#[derive(Debug)]
struct QueuedCommand {
    route: Route,
    command: mav::MavCmd,
    message: MavMessage,
    reply: Sender<CommandOutcome>,
}

/// All transactions in flight.
#[derive(Debug, Default)]
pub struct CommandEngine {
    commands: Vec<PendingCommand>,
    /// At most one per vehicle and command: sent once the one in flight is answered.
    queued: Vec<QueuedCommand>,
    missions: mission::MissionTransfers,
    params: params::ParamTransfers,
    /// Actions that take several steps on the vehicle's firmware.
    procedures: Vec<procedure::Procedure>,
    /// Telemetry requested from each vehicle.
    streams: streams::StreamRequests,
    /// Commands that ended lately (vehicle, command, until when): their late or repeated
    /// acknowledgements are expected, not suspicious.
    recent: Vec<(u8, mav::MavCmd, TimeUs)>,
    /// Each vehicle's latest warnings and errors (when, text), to explain a refusal.
    texts: BTreeMap<u8, VecDeque<(TimeUs, String)>>,
    /// Refusals waiting a moment for the status text that explains them.
    explaining: Vec<Explaining>,
    /// Vehicles that sign their frames on a link where this station cannot sign.
    unkeyed_signers: BTreeSet<u8>,
    /// What the operator should be told (unsolicited acknowledgements); taken by the world
    /// thread after each message.
    notices: Vec<String>,
}

/// A refusal held until the vehicle says why (or [`REASON_WAIT`] passes).
#[derive(Debug)]
struct Explaining {
    sysid: u8,
    result: String,
    /// What the vehicle said since.
    texts: Vec<String>,
    /// What it said just before, if nothing comes after.
    before: Option<String>,
    until: TimeUs,
    reply: Sender<CommandOutcome>,
}

/// A vehicle's status text within this long before a refusal explains it when none comes
/// after (ArduPilot repeats its "PreArm: ..." checks every 30 s).
pub const REASON_BEFORE: Duration = Duration::from_millis(1000);
/// A refusal waits this long for a status text that explains it (ArduPilot's "Arm: ..."
/// texts follow its COMMAND_ACK within milliseconds).
pub const REASON_WAIT: Duration = Duration::from_millis(500);
/// After the first explaining text, the texts that follow within this long are added.
pub const REASON_GATHER: Duration = Duration::from_millis(150);
/// Status texts kept per vehicle for explaining refusals.
const MAX_TEXTS: usize = 8;

/// How long after a command ends its late or repeated acknowledgements are still expected
/// (each retry may be acknowledged).
pub const LATE_ACK_WINDOW: Duration = Duration::from_secs(10);
/// Ended commands remembered for [`LATE_ACK_WINDOW`], at most.
const MAX_RECENT_COMMANDS: usize = 64;

impl CommandEngine {
    /// An engine that asks for no telemetry (tests, tools that only command).
    pub fn new() -> Self {
        Self::default()
    }

    /// An engine for a station with these links (their classes set the telemetry rates
    /// asked); `live` false for a replay, where nothing is asked.
    pub fn with_links(links: Vec<streams::LinkClass>, live: bool) -> Self {
        Self {
            streams: streams::StreamRequests::new(links, live),
            ..Self::default()
        }
    }

    /// Telemetry requested from each vehicle and whether it flows.
    pub fn streams(&self) -> &BTreeMap<u8, streams::StreamState> {
        self.streams.states()
    }

    /// Tells the engine whether a vehicle signs its frames on a link where this station
    /// cannot sign (it has no key): its commands will be ignored, and a timeout says so.
    pub fn note_signing(&mut self, sysid: u8, unkeyed: bool) {
        if unkeyed {
            self.unkeyed_signers.insert(sysid);
        } else {
            self.unkeyed_signers.remove(&sysid);
        }
    }

    fn timeout_hint(&self, sysid: u8) -> Option<String> {
        self.unkeyed_signers.contains(&sysid).then(|| {
            format!(
                "vehicle {sysid} signs its frames and this station has no key for it, so it ignores our commands: set up signing over a trusted link (vigil cmd signing-setup) or install its key"
            )
        })
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
    /// The mission transfers in flight and how far each has gone.
    pub fn mission_progress(&self) -> Vec<TransferProgress> {
        self.missions.progress()
    }

    pub fn is_busy(&self) -> bool {
        !self.commands.is_empty()
            || !self.queued.is_empty()
            || !self.procedures.is_empty()
            || !self.explaining.is_empty()
            || self.missions.is_busy()
            || self.params.is_busy()
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
            } => match world.vehicles.get(&target) {
                Some(vehicle) => self.start_action(vehicle, &action, reply, world, now, out),
                None => {
                    let _ = reply.try_send(CommandOutcome::NotSent(format!(
                        "no vehicle with system id {target}"
                    )));
                }
            },
            Request::Mission { target, op, reply } => match route(target) {
                Some(route) => self.missions.start(route, op, reply, now, out),
                None => {
                    let _ = reply.try_send(Err(MissionError::NoVehicle { sysid: target }));
                }
            },
            Request::Params { target, op, reply } => match route(target) {
                Some(route) => self.params.start(route, op, reply, now, out),
                None => {
                    let _ = reply.try_send(Err(ParamError::NoVehicle { sysid: target }));
                }
            },
        }
    }

    /// Starts an action as the vehicle's firmware implements it: one command, or a
    /// procedure of several steps.
    fn start_action(
        &mut self,
        vehicle: &Vehicle,
        action: &Action,
        reply: Sender<CommandOutcome>,
        world: &World,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        let route = Route::to(vehicle);
        // The operator's latest word wins: a land, a return or a mode change ends an action
        // of several steps still under way, so that it does not undo them with its next step.
        let superseded: Vec<_> = self
            .procedures
            .extract_if(.., |p| p.route.sysid == route.sysid)
            .collect();
        for procedure in superseded {
            procedure.end(CommandOutcome::Failed(format!(
                "superseded by \"{action}\""
            )));
        }
        match plan_action(vehicle, action, now) {
            Err(reason) => {
                let _ = reply.try_send(CommandOutcome::NotSent(reason));
            }
            Ok(Plan::Single(message)) => self.start_command(route, *message, reply, now, out),
            Ok(Plan::Steps(steps)) => {
                self.procedures
                    .push(procedure::Procedure::new(route, steps, reply));
                self.advance_procedures(world, now, out);
            }
        }
    }

    fn start_command(
        &mut self,
        route: Route,
        message: MavMessage,
        reply: Sender<CommandOutcome>,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        let command = match &message {
            MavMessage::COMMAND_LONG(c) => c.command,
            MavMessage::COMMAND_INT(c) => c.command,
            other => {
                let _ = reply.try_send(CommandOutcome::NotSent(format!(
                    "{} is not a command",
                    mavlink_core::Message::message_name(other)
                )));
                return;
            }
        };
        if self
            .commands
            .iter()
            .any(|p| p.route.sysid == route.sysid && p.command == command)
        {
            // A vehicle acknowledges by command alone, so two of the same in flight could not
            // be told apart: this one goes once the vehicle has answered the one before (a
            // follow's next orbit, a move on while the last orbit is unanswered). The latest
            // word wins: one queued before it is superseded.
            let same = |q: &QueuedCommand| q.route.sysid == route.sysid && q.command == command;
            if let Some(index) = self.queued.iter().position(same) {
                let older = self.queued.swap_remove(index);
                let _ = older.reply.try_send(CommandOutcome::Failed(format!(
                    "superseded by a later {}",
                    command_name(command)
                )));
            }
            self.queued.push(QueuedCommand {
                route,
                command,
                message,
                reply,
            });
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

    /// Moves every procedure on, starting the commands and parameter sets its steps need.
    /// Sends the queued commands whose predecessor has been answered (or has timed out).
    fn start_queued(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let commands = &self.commands;
        let ready: Vec<QueuedCommand> = self
            .queued
            .extract_if(.., |q| {
                !(commands.iter()).any(|p| p.route.sysid == q.route.sysid && p.command == q.command)
            })
            .collect();
        for queued in ready {
            self.start_command(queued.route, queued.message, queued.reply, now, out);
        }
    }

    fn advance_procedures(&mut self, world: &World, now: TimeUs, out: &mut Vec<Outgoing>) {
        let mut procedures = std::mem::take(&mut self.procedures);
        procedures.retain_mut(|procedure| {
            loop {
                let (start, ended) = procedure.advance(world, now);
                match start {
                    Some(procedure::Start::Command(message, reply)) => {
                        self.start_command(procedure.route, *message, reply, now, out);
                    }
                    Some(procedure::Start::SetParam(name, value, reply)) => {
                        self.params.start(
                            procedure.route,
                            ParamOp::Set(name.to_owned(), value),
                            reply,
                            now,
                            out,
                        );
                    }
                    None => return !ended,
                }
                // A step that could not even start has already answered: look again.
            }
        });
        procedures.append(&mut self.procedures);
        self.procedures = procedures;
    }

    /// Feeds a received message to the transactions it may answer.
    #[allow(
        deprecated,
        reason = "MISSION_REQUEST and MISSION_ITEM from older firmware are still answered"
    )]
    pub fn on_message(&mut self, envelope: &Envelope, now: TimeUs, out: &mut Vec<Outgoing>) {
        let sysid = envelope.frame.sysid();
        self.streams
            .on_message(sysid, envelope.frame.compid(), &envelope.message, now);
        match &envelope.message {
            MavMessage::COMMAND_ACK(ack) if !self.streams.on_ack(sysid, ack, now) => {
                self.on_command_ack(sysid, ack, now);
                self.start_queued(now, out);
            }
            MavMessage::STATUSTEXT(text)
                if text.severity as u8 <= mav::MavSeverity::MAV_SEVERITY_WARNING as u8 =>
            {
                self.on_status_text(
                    sysid,
                    vigil_protocol::text_from_chars(text.text.as_slice()),
                    now,
                );
            }
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
            let for_us = matches!(ack.target_system, 0 | vigil_protocol::GCS_SYSTEM_ID);
            let expected = self
                .recent
                .iter()
                .any(|(s, c, until)| *s == sysid && *c == ack.command && *until > now)
                // A late answer to the telemetry requests this station makes on its own.
                || (matches!(
                    ack.command,
                    mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL | mav::MavCmd::MAV_CMD_REQUEST_MESSAGE
                ) && self.streams.states().contains_key(&sysid));
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
            other => {
                let pending = self.commands.swap_remove(index);
                self.remember(sysid, pending.command, now);
                // ArduPilot says why just after its answer: wait a moment for that, and fall
                // back on what it said just before.
                self.explaining.push(Explaining {
                    sysid,
                    result: result_name(other),
                    texts: Vec::new(),
                    before: self.reason_before(sysid, now),
                    until: now.plus(REASON_WAIT),
                    reply: pending.reply,
                });
                return;
            }
        };
        let pending = self.commands.swap_remove(index);
        self.remember(sysid, pending.command, now);
        let _ = pending.reply.try_send(outcome);
    }

    /// Keeps a vehicle's warning or error, and adds it to the refusals waiting for a reason
    /// (which then wait only [`REASON_GATHER`] more, for the texts that follow it).
    fn on_status_text(&mut self, sysid: u8, text: String, now: TimeUs) {
        for waiting in self.explaining.iter_mut().filter(|e| e.sysid == sysid) {
            if waiting.texts.len() < MAX_TEXTS {
                waiting.texts.push(text.clone());
            }
            waiting.until = waiting.until.min(now.plus(REASON_GATHER));
        }
        let texts = self.texts.entry(sysid).or_default();
        if texts.len() >= MAX_TEXTS {
            texts.pop_front();
        }
        texts.push_back((now, text));
    }

    /// The vehicle's warnings and errors just before a refusal, joined.
    fn reason_before(&self, sysid: u8, now: TimeUs) -> Option<String> {
        let texts: Vec<&str> = self
            .texts
            .get(&sysid)?
            .iter()
            .filter(|(at, _)| now.since(*at) <= REASON_BEFORE)
            .map(|(_, text)| text.as_str())
            .collect();
        (!texts.is_empty()).then(|| texts.join("; "))
    }

    /// Retries and times out whatever waited too long, moves procedures on and asks for
    /// telemetry.
    pub fn tick(&mut self, world: &World, now: TimeUs, out: &mut Vec<Outgoing>) {
        self.explaining.retain(|e| {
            if now < e.until {
                return true;
            }
            let reason = if e.texts.is_empty() {
                e.before.clone()
            } else {
                Some(e.texts.join("; "))
            };
            let _ = e.reply.try_send(CommandOutcome::Rejected {
                result: e.result.clone(),
                reason,
            });
            false
        });
        self.streams.tick(world, now, out);
        for (_, text) in self.streams.take_notices() {
            self.notices.push(text);
        }
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
                    hint: self.timeout_hint(pending.route.sysid),
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
        self.start_queued(now, out);
        self.missions.tick(now, out);
        self.params.tick(now, out);
        self.advance_procedures(world, now, out);
    }
}

/// A MAV_RESULT name ("DENIED") in plain words.
fn plain_result(result: &str) -> &str {
    match result {
        "TEMPORARILY_REJECTED" => "not now",
        "DENIED" => "denied",
        "UNSUPPORTED" => "not supported by this vehicle",
        "FAILED" => "failed",
        "CANCELLED" => "cancelled",
        "COMMAND_LONG_ONLY" => "only as COMMAND_LONG",
        "COMMAND_INT_ONLY" => "only as COMMAND_INT",
        "COMMAND_UNSUPPORTED_MAV_FRAME" => "frame not supported",
        other => other,
    }
}

/// "SET_MESSAGE_INTERVAL" for MAV_CMD_SET_MESSAGE_INTERVAL.
fn command_name(command: mav::MavCmd) -> String {
    format!("{command:?}")
        .trim_start_matches("MAV_CMD_")
        .to_owned()
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

/// What an action takes on a vehicle's firmware.
enum Plan {
    Single(Box<MavMessage>),
    Steps(Vec<procedure::Step>),
}

/// How the vehicle's firmware does an action (see [`procedure`]).
fn plan_action(vehicle: &Vehicle, action: &Action, now: TimeUs) -> Result<Plan, String> {
    let route = Route::to(vehicle);
    match (route.firmware, action) {
        (
            Firmware::ArduCopter,
            Action::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
                speed_mps,
            },
        ) => copter_observe(
            vehicle, *lat_deg, *lon_deg, *alt_rel_m, *radius_m, *speed_mps, now,
        ),
        (
            Firmware::ArduPlane,
            Action::Orbit {
                lat_deg,
                lon_deg,
                alt_rel_m,
                radius_m,
                speed_mps,
            },
        ) => {
            check_position(*lat_deg, *lon_deg)?;
            // ArduPlane's GUIDED loiters at a DO_REPOSITION point, with the radius (and its
            // direction, negative counter-clockwise) from param3.
            let change_mode =
                mav::MavDoRepositionFlags::MAV_DO_REPOSITION_FLAGS_CHANGE_MODE.bits() as f32;
            let signed_radius = radius_m.abs() * speed_mps.signum();
            let loiter = command_int(
                &route,
                mav::MavCmd::MAV_CMD_DO_REPOSITION,
                mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
                [-1.0, change_mode, signed_radius as f32, f32::NAN],
                *lat_deg,
                *lon_deg,
                *alt_rel_m,
            );
            Ok(Plan::Steps(vec![
                procedure::Step::Command {
                    what: format!("loiter at the place, {:.0} m radius", radius_m.abs()),
                    message: loiter,
                },
                roi_step(&route, vehicle, *lat_deg, *lon_deg),
            ]))
        }
        (Firmware::ArduPlane, Action::Takeoff { alt_rel_m }) => {
            if !(alt_rel_m.is_finite() && *alt_rel_m > 0.0) {
                return Err(format!("takeoff altitude {alt_rel_m} m must be above zero"));
            }
            // A plane takes off in TAKEOFF mode, to TKOFF_ALT.
            let mode = encode_action(&route, &Action::SetMode("TAKEOFF".into()))?;
            Ok(Plan::Steps(vec![
                // A whole number of metres (an integer parameter in ArduPlane).
                procedure::Step::SetParam {
                    name: "TKOFF_ALT",
                    value: alt_rel_m.round(),
                },
                procedure::Step::Command {
                    what: "mode TAKEOFF".into(),
                    message: mode,
                },
            ]))
        }
        (_, Action::Launch { alt_rel_m }) => launch(vehicle, *alt_rel_m),
        (_, Action::FlyMission) => fly_mission(vehicle),
        (Firmware::Px4, Action::Takeoff { alt_rel_m }) => {
            px4_takeoff(vehicle, *alt_rel_m).map(|message| Plan::Single(Box::new(message)))
        }
        (Firmware::ArduPlane, Action::Land) => {
            // A plane lands by its mission's landing sequence (DO_LAND_START).
            Ok(Plan::Single(Box::new(command_long(
                &route,
                mav::MavCmd::MAV_CMD_DO_LAND_START,
                [0.0; 7],
            ))))
        }
        _ => encode_action(&route, action).map(|message| Plan::Single(Box::new(message))),
    }
}

/// The vehicle has left the ground at this height above home, or at half the take-off
/// height when that is lower, m.
const LEFT_THE_GROUND_M: f64 = 3.0;
/// Time allowed to leave the ground after the take-off command (a plane's run and a copter's
/// spool-up).
const LEAVE_GROUND_TIMEOUT: Duration = Duration::from_secs(30);

/// What taking off in one step does on a firmware, in the operator's words (the console's
/// confirmation says it before anything is sent).
pub fn launch_steps(firmware: Firmware, alt_rel_m: f64) -> String {
    match firmware {
        Firmware::ArduPlane => format!(
            "TAKEOFF mode with TKOFF_ALT {alt_rel_m:.0} m, then arm: it launches straight ahead, climbs and circles"
        ),
        Firmware::Px4 => format!("arm, then take off to {alt_rel_m:.0} m"),
        _ => format!("GUIDED, arm, then take off to {alt_rel_m:.0} m"),
    }
}

/// Take off in one step: the mode, arm, the take-off, and the vehicle seen leaving the ground.
fn launch(vehicle: &Vehicle, alt_rel_m: f64) -> Result<Plan, String> {
    if !(alt_rel_m.is_finite() && alt_rel_m > 0.0) {
        return Err(format!("takeoff altitude {alt_rel_m} m must be above zero"));
    }
    let route = Route::to(vehicle);
    let climb = |mode| procedure::Step::Climb {
        min_alt_rel_m: LEFT_THE_GROUND_M.min(alt_rel_m / 2.0),
        mode,
        timeout: LEAVE_GROUND_TIMEOUT,
    };
    let command = |what: &str, action: Action| command_step(&route, what, &action);
    let steps = match route.firmware {
        Firmware::ArduPlane => vec![
            procedure::Step::SetParam {
                name: "TKOFF_ALT",
                value: alt_rel_m.round(),
            },
            command("mode TAKEOFF", Action::SetMode("TAKEOFF".into()))?,
            procedure::Step::Mode { name: "TAKEOFF" },
            command("arm", Action::Arm)?,
            climb(Some("TAKEOFF")),
        ],
        Firmware::Px4 => vec![
            command("arm", Action::Arm)?,
            procedure::Step::Command {
                what: "take off".into(),
                message: px4_takeoff(vehicle, alt_rel_m)?,
            },
            climb(None),
        ],
        _ => vec![
            command("mode GUIDED", Action::SetMode("GUIDED".into()))?,
            procedure::Step::Mode { name: "GUIDED" },
            command("arm", Action::Arm)?,
            command("take off", Action::Takeoff { alt_rel_m })?,
            climb(Some("GUIDED")),
        ],
    };
    Ok(Plan::Steps(steps))
}

/// A procedure's step that sends `action`, named `what`.
fn command_step(route: &Route, what: &str, action: &Action) -> Result<procedure::Step, String> {
    Ok(procedure::Step::Command {
        what: what.into(),
        message: encode_action(route, action)?,
    })
}

/// Flying the mission on board from the ground, as the firmware starts one.
fn fly_mission(vehicle: &Vehicle) -> Result<Plan, String> {
    let route = Route::to(vehicle);
    let command = |what: &str, action: Action| command_step(&route, what, &action);
    let steps = match route.firmware {
        Firmware::ArduPlane => vec![
            command("mode AUTO", Action::SetMode("AUTO".into()))?,
            procedure::Step::Mode { name: "AUTO" },
            command("arm", Action::Arm)?,
        ],
        Firmware::Px4 => vec![
            command("arm", Action::Arm)?,
            command("start the mission", Action::StartMission)?,
        ],
        _ => vec![
            command("mode GUIDED", Action::SetMode("GUIDED".into()))?,
            procedure::Step::Mode { name: "GUIDED" },
            command("arm", Action::Arm)?,
            command("start the mission", Action::StartMission)?,
            procedure::Step::Mode { name: "AUTO" },
        ],
    };
    Ok(Plan::Steps(steps))
}

/// PX4's NAV_TAKEOFF takes its altitude above sea level (param7): home's plus the height asked;
/// without a home, NaN lets PX4 use its own MIS_TAKEOFF_ALT.
fn px4_takeoff(vehicle: &Vehicle, alt_rel_m: f64) -> Result<MavMessage, String> {
    if !(alt_rel_m.is_finite() && alt_rel_m > 0.0) {
        return Err(format!("takeoff altitude {alt_rel_m} m must be above zero"));
    }
    let alt_msl_m = vehicle
        .home
        .map_or(f32::NAN, |h| (h.alt_msl_m + alt_rel_m) as f32);
    Ok(command_long(
        &Route::to(vehicle),
        mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
        [0.0, 0.0, 0.0, f32::NAN, f32::NAN, f32::NAN, alt_msl_m],
    ))
}

/// ArduCopter's CIRCLE_RADIUS is in centimetres (4.7: default 1000, a 10 m circle).
const COPTER_CIRCLE_RADIUS_UNIT_M: f64 = 0.01;
/// ArduCopter's largest CIRCLE_RADIUS (200000 cm), m.
const COPTER_CIRCLE_RADIUS_MAX_M: f64 = 2000.0;
/// After entering CIRCLE the altitude is watched this long.
const CIRCLE_ALTITUDE_WATCH: Duration = Duration::from_secs(3);
/// ArduCopter's CIRCLE_RATE limit, deg/s.
const COPTER_CIRCLE_RATE_MAX_DEG_S: f64 = 90.0;

/// Observing a place with ArduCopter: CIRCLE mode entered facing the place from the circle.
fn copter_observe(
    vehicle: &Vehicle,
    lat_deg: f64,
    lon_deg: f64,
    alt_rel_m: f64,
    radius_m: f64,
    speed_mps: f64,
    now: TimeUs,
) -> Result<Plan, String> {
    use vigil_core::geodesy::{Geodetic, destination, distance_m, initial_bearing_rad};
    check_position(lat_deg, lon_deg)?;
    let sysid = vehicle.sysid;
    let radius_m = radius_m.abs();
    if !(radius_m.is_finite() && radius_m >= 1.0) {
        return Err(format!("circle radius {radius_m} m must be at least 1 m"));
    }
    if radius_m > COPTER_CIRCLE_RADIUS_MAX_M {
        return Err(format!(
            "circle radius {radius_m} m is more than ArduCopter's {COPTER_CIRCLE_RADIUS_MAX_M} m"
        ));
    }
    if !(speed_mps.is_finite() && speed_mps != 0.0) {
        return Err(format!(
            "circling speed {speed_mps} m/s must be a number other than zero (negative: counter-clockwise)"
        ));
    }
    if !(alt_rel_m.is_finite() && alt_rel_m > 0.0) {
        return Err(format!("altitude {alt_rel_m} m must be above home"));
    }
    if !vehicle.armed {
        return Err(format!("vehicle {sysid} is not armed: take off first"));
    }
    let position = vehicle
        .fresh_position(now)
        .ok_or_else(|| format!("vehicle {sysid} reports no position: cannot plan the circle"))?;
    let place = Geodetic::from_deg(lat_deg, lon_deg, 0.0);
    let here = Geodetic::from_deg(position.lat_deg, position.lon_deg, 0.0);
    let from_place_rad = if distance_m(&place, &here) < 1.0 {
        0.0
    } else {
        initial_bearing_rad(&place, &here)
    };
    let entry = destination(&place, from_place_rad, radius_m);
    let facing_rad = initial_bearing_rad(&entry, &place).rem_euclid(std::f64::consts::TAU);
    let route = Route::to(vehicle);
    let rate_deg_s = (speed_mps / radius_m)
        .to_degrees()
        .clamp(-COPTER_CIRCLE_RATE_MAX_DEG_S, COPTER_CIRCLE_RATE_MAX_DEG_S);
    let change_mode = mav::MavDoRepositionFlags::MAV_DO_REPOSITION_FLAGS_CHANGE_MODE.bits() as f32;
    let (entry_lat_deg, entry_lon_deg) = (entry.lat_deg(), entry.lon_deg());
    let circle_mode = encode_action(&route, &Action::SetMode("CIRCLE".into()))?;
    Ok(Plan::Steps(vec![
        procedure::Step::SetParam {
            name: "CIRCLE_RADIUS",
            value: radius_m / COPTER_CIRCLE_RADIUS_UNIT_M,
        },
        procedure::Step::SetParam {
            name: "CIRCLE_RATE",
            value: rate_deg_s,
        },
        procedure::Step::Command {
            what: "fly to the circle".into(),
            message: command_int(
                &route,
                mav::MavCmd::MAV_CMD_DO_REPOSITION,
                mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
                [-1.0, change_mode, 0.0, f32::NAN],
                entry_lat_deg,
                entry_lon_deg,
                alt_rel_m,
            ),
        },
        procedure::Step::Arrive {
            lat_deg: entry_lat_deg,
            lon_deg: entry_lon_deg,
            timeout: procedure::transit_timeout(distance_m(&here, &entry)),
        },
        procedure::Step::Command {
            what: "turn to the place".into(),
            message: command_long(
                &route,
                mav::MavCmd::MAV_CMD_CONDITION_YAW,
                [facing_rad.to_degrees() as f32, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            ),
        },
        procedure::Step::Heading {
            heading_rad: facing_rad,
        },
        procedure::Step::Command {
            what: "mode CIRCLE".into(),
            message: circle_mode,
        },
        procedure::Step::Mode { name: "CIRCLE" },
        procedure::Step::HoldsAltitude {
            watch: CIRCLE_ALTITUDE_WATCH,
            rescue: encode_action(&route, &Action::SetMode("GUIDED".into()))?,
        },
        roi_step(&route, vehicle, lat_deg, lon_deg),
    ]))
}

/// Points the camera at a place on the ground (about the vehicle's home altitude); a vehicle
/// without a mount may refuse, which does not stop it observing.
fn roi_step(route: &Route, vehicle: &Vehicle, lat_deg: f64, lon_deg: f64) -> procedure::Step {
    let ground_alt_msl_m = vehicle
        .home
        .map(|h| h.alt_msl_m)
        .or_else(|| vehicle.position.map(|p| p.alt_msl_m - p.alt_rel_home_m))
        .unwrap_or(0.0);
    procedure::Step::Try {
        what: "point the camera at the place".into(),
        message: command_int(
            route,
            mav::MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
            mav::MavFrame::MAV_FRAME_GLOBAL,
            [0.0; 4],
            lat_deg,
            lon_deg,
            ground_alt_msl_m,
        ),
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
        Action::Launch { .. } | Action::FlyMission => {
            return Err(format!(
                "to {action}, several commands are sent (see `plan_action`)"
            ));
        }
        Action::Land => command_long(route, MAV_CMD_NAV_LAND, [0.0, 0.0, 0.0, NAN, NAN, NAN, NAN]),
        Action::ReturnToLaunch => command_long(route, MAV_CMD_NAV_RETURN_TO_LAUNCH, [0.0; 7]),
        Action::StartMission => command_long(route, MAV_CMD_MISSION_START, [0.0; 7]),
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
