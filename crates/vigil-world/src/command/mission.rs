//! The MAVLink mission protocol, ground side, for the three lists a vehicle keeps: the
//! mission (MAV_MISSION_TYPE_MISSION), the geofence (FENCE) and the rally points (RALLY).
//! Each list travels as its own transfer — upload (MISSION_COUNT, then one MISSION_ITEM_INT
//! per request), download (MISSION_REQUEST_LIST, MISSION_COUNT, then each item by request)
//! or clear (MISSION_CLEAR_ALL) — with `mission_type` set in every message, retries and a
//! timeout.
//!
//! [`MissionOp`] works on all three, as QGroundControl's plan upload does: an upload sends
//! the mission, then the fence, then the rally points, and a list the plan leaves empty is
//! uploaded empty, which clears it on the vehicle (a plan without a fence removes the
//! vehicle's fence); a download fetches all three into one [`Mission`]; a clear clears all
//! three. A vehicle that answers MAV_MISSION_UNSUPPORTED for the fence or rally list is
//! taken to have none when there is nothing to send there (download, clear, an empty
//! upload); a non-empty fence or rally list it refuses is an error. A vehicle that speaks
//! MAVLink 1 (which drops `mission_type`) gets the mission only, and a plan with a fence or
//! rally points for it is refused before anything is sent.
//!
//! Nothing goes out before the whole plan is checked ([`vigil_mission::validate`]): a plan with
//! a bad item is refused with every problem named ([`MissionError::Invalid`]). Clearing is
//! explicit: a plan without mission items would clear the vehicle's mission, so
//! [`MissionOp::Upload`] refuses it ([`MissionError::WouldClear`]); [`MissionOp::Clear`] clears,
//! and [`MissionOp::UploadAllowingClear`] sends such a plan as it is (its fence and rally points
//! with an empty mission).
//!
//! ArduPilot keeps home as mission item 0 and PX4 does not; [`Mission`] keeps home apart,
//! so the same file uploads to both, and every count reported leaves home out. Fence items
//! go in MAV_FRAME_GLOBAL (polygon vertices with param1 = the polygon's vertex count,
//! circles with param1 = the radius in metres), rally points in
//! MAV_FRAME_GLOBAL_RELATIVE_ALT, as QGroundControl sends them and ArduCopter 4.7 returns
//! them; ArduPilot stores a rally point's altitude in whole metres.

// Long: the mission protocol's state machine (upload, download and clear of the mission, fence and rally lists) and the conversions of its items; its tests are in mission/tests.rs.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use crossbeam_channel::Sender;
use num_traits::FromPrimitive;

use super::{Outgoing, Route};
use vigil_core::time::TimeUs;
use vigil_mission::{
    Fence, FenceCircle, FencePolygon, GeoPoint, Mission, MissionItem, MissionProblem,
    is_global_frame,
};
use vigil_protocol::{MavMessage, deg_from_e7, e7_from_deg, mav};

/// Wait for the vehicle's next request or acknowledgement before sending again.
pub const MISSION_TIMEOUT: Duration = Duration::from_millis(1500);
/// Sends of the same message before the transfer fails.
pub const MISSION_MAX_TRIES: u32 = 5;

/// A mission operation on a vehicle's mission, geofence and rally points together.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionOp {
    /// Upload the mission, then the fence, then the rally points (an empty fence or rally list
    /// clears the vehicle's). A plan without mission items is refused
    /// ([`MissionError::WouldClear`]), and so is one that fails [`vigil_mission::validate`].
    Upload(Mission),
    /// As [`MissionOp::Upload`], but a plan without mission items is sent too: it clears the
    /// vehicle's mission (`vigil cmd upload --force`).
    UploadAllowingClear(Mission),
    /// Download all three into one [`Mission`].
    Download,
    /// Clear all three.
    Clear,
}

/// How a mission operation ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionOutcome {
    /// All three lists went up; `items` counts what each held.
    Uploaded { items: UploadCounts },
    /// The vehicle's mission, fence and rally points.
    Downloaded(Mission),
    /// All three lists were cleared.
    Cleared,
}

/// What an upload sent: mission items (without ArduPilot's home item 0, counted the same
/// way as a downloaded [`Mission`]'s items), fence items (one per polygon vertex, circle and
/// return point) and rally points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UploadCounts {
    pub mission: usize,
    pub fence: usize,
    pub rally: usize,
}

impl fmt::Display for UploadCounts {
    /// "4 mission, 5 fence and 2 rally" (so that "… items uploaded" reads on).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} mission, {} fence and {} rally",
            self.mission, self.fence, self.rally
        )
    }
}

/// Why a mission operation did not end well. The texts are what the operator reads (the
/// console, `vigil cmd`): an error after part of the operation says what was done before it
/// and what was not ([`Progress`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MissionError {
    #[error("no vehicle with system id {sysid}")]
    NoVehicle { sysid: u8 },
    #[error("a mission transfer with vehicle {sysid} is already in progress")]
    Busy { sysid: u8 },
    /// The plan cannot go to this vehicle as it is; nothing was sent.
    #[error("{detail}")]
    BadPlan { detail: String },
    /// Items of the plan no vehicle should be given (each problem names the item, the field
    /// and why); nothing was sent.
    #[error("{}", invalid_text(.problems))]
    Invalid { problems: Vec<MissionProblem> },
    /// The plan has no mission items, and uploading it would clear the vehicle's mission:
    /// nothing was sent. [`MissionOp::Clear`] or [`MissionOp::UploadAllowingClear`] say so on
    /// purpose.
    #[error(
        "the plan has no mission items: uploading it would clear vehicle {sysid}'s mission, so \
         nothing was uploaded (clear the mission explicitly if that is what you want)"
    )]
    WouldClear { sysid: u8 },
    #[error(
        "vehicle {sysid} speaks MAVLink 1, which cannot carry the {list}: nothing was uploaded"
    )]
    NeedsMavlink2 { sysid: u8, list: List },
    /// The vehicle refused an upload with this MAV_MISSION_RESULT.
    #[error("vehicle {sysid} rejected the {list}: {}{progress}", result_name(*.result))]
    Rejected {
        sysid: u8,
        list: List,
        result: mav::MavMissionResult,
        progress: Progress,
    },
    /// The vehicle refused to clear a list with this MAV_MISSION_RESULT.
    #[error("vehicle {sysid} refused to clear its {list}: {}{progress}", result_name(*.result))]
    ClearRefused {
        sysid: u8,
        list: List,
        result: mav::MavMissionResult,
        progress: Progress,
    },
    /// No answer to `message` after `tries` sends.
    #[error(
        "{list} {verb} with vehicle {sysid} timed out: no answer to {message} after {tries} tries{progress}"
    )]
    TimedOut {
        sysid: u8,
        list: List,
        verb: &'static str,
        message: &'static str,
        tries: u32,
        progress: Progress,
    },
    /// The vehicle broke the protocol: it asked for an item the list does not have.
    #[error("vehicle {sysid} asked for {list} item {seq} of {count}{progress}")]
    BadRequest {
        sysid: u8,
        list: List,
        seq: u16,
        count: usize,
        progress: Progress,
    },
    /// A downloaded fence or rally list that does not make sense (`detail` names the item).
    #[error("vehicle {sysid} sent {} Vigil cannot read: {detail}", .list.with_article())]
    Unreadable {
        sysid: u8,
        list: List,
        detail: String,
    },
}

impl MissionError {
    fn progress_mut(&mut self) -> Option<&mut Progress> {
        match self {
            Self::Rejected { progress, .. }
            | Self::ClearRefused { progress, .. }
            | Self::TimedOut { progress, .. }
            | Self::BadRequest { progress, .. } => Some(progress),
            Self::NoVehicle { .. }
            | Self::Busy { .. }
            | Self::BadPlan { .. }
            | Self::Invalid { .. }
            | Self::WouldClear { .. }
            | Self::NeedsMavlink2 { .. }
            | Self::Unreadable { .. } => None,
        }
    }
}

/// "nothing was uploaded: the plan has 2 problems: item 2 (seq 2): latitude: ...; item 3 ...".
fn invalid_text(problems: &[MissionProblem]) -> String {
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    format!(
        "nothing was uploaded: the plan has {}: {}",
        vigil_mission::count(problems.len(), "problem", "problems"),
        list.join("; ")
    )
}

/// What an operation that failed part-way had done, and what it did not get to; shown after
/// the reason ("; uploaded before that: the mission (4 items); not uploaded: the rally points").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Progress {
    /// "uploaded", "downloaded" or "cleared".
    pub verb: &'static str,
    /// The lists done, in words ("the mission (4 items)").
    pub done: Vec<String>,
    /// The lists not started ("the rally points").
    pub not_done: Vec<String>,
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = self.verb;
        if self.done.is_empty() {
            write!(f, "; nothing was {verb}")?;
        } else {
            write!(
                f,
                "; {verb} before that: {}",
                vigil_mission::join_words(&self.done)
            )?;
        }
        if !self.not_done.is_empty() {
            write!(
                f,
                "; not {verb}: {}",
                vigil_mission::join_words(&self.not_done)
            )?;
        }
        Ok(())
    }
}

/// One of the three lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Mission,
    Fence,
    Rally,
}

impl List {
    const ALL: [List; 3] = [List::Mission, List::Fence, List::Rally];

    fn wire(self) -> mav::MavMissionType {
        match self {
            List::Mission => mav::MavMissionType::MAV_MISSION_TYPE_MISSION,
            List::Fence => mav::MavMissionType::MAV_MISSION_TYPE_FENCE,
            List::Rally => mav::MavMissionType::MAV_MISSION_TYPE_RALLY,
        }
    }

    fn name(self) -> &'static str {
        match self {
            List::Mission => "mission",
            List::Fence => "fence",
            List::Rally => "rally points",
        }
    }

    /// "a mission", "a fence", "rally points".
    fn with_article(self) -> &'static str {
        match self {
            List::Mission => "a mission",
            List::Fence => "a fence",
            List::Rally => "rally points",
        }
    }

    /// The list with what it held, e.g. "the mission (4 items)".
    fn with_count(self, count: usize) -> String {
        let unit = match self {
            List::Mission => vigil_mission::count(count, "item", "items"),
            List::Fence => vigil_mission::count(count, "item", "items"),
            List::Rally => vigil_mission::count(count, "point", "points"),
        };
        format!("the {} ({unit})", self.name())
    }
}

impl fmt::Display for List {
    /// "mission", "fence", "rally points".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug)]
enum Stage {
    /// Uploading these wire items (home first for an ArduPilot mission).
    Upload(Vec<mav::MISSION_ITEM_INT_DATA>),
    /// Downloading: the count once known, and the items so far.
    Download {
        count: Option<u16>,
        items: Vec<mav::MISSION_ITEM_INT_DATA>,
    },
    Clear,
}

/// One list's transfer within an operation.
#[derive(Debug)]
struct Part {
    list: List,
    stage: Stage,
    /// What to report when this part is done (mission items without home).
    reported: usize,
}

#[derive(Debug)]
struct Transfer {
    route: Route,
    /// The part in progress first, then the ones after it.
    parts: VecDeque<Part>,
    /// Parts done, with the count each reported.
    done: Vec<(List, usize)>,
    /// Downloaded lists.
    fetched: Vec<(List, Vec<mav::MISSION_ITEM_INT_DATA>)>,
    /// Sent last; sent again on timeout.
    last_sent: MavMessage,
    tries: u32,
    deadline: TimeUs,
    reply: Sender<Result<MissionOutcome, MissionError>>,
}

/// How far a transfer in flight has gone, for the operator's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferProgress {
    pub sysid: u8,
    /// The list being transferred now.
    pub list: List,
    pub upload: bool,
    /// Items of this list sent (upload) or received (download) so far.
    pub done: usize,
    /// The list's length (a download knows it once the vehicle has said its count).
    pub total: Option<usize>,
}

/// Mission transfers in flight, at most one per vehicle.
#[derive(Debug, Default)]
pub(crate) struct MissionTransfers {
    active: BTreeMap<u8, Transfer>,
}

impl MissionTransfers {
    pub fn is_busy(&self) -> bool {
        !self.active.is_empty()
    }

    /// Each transfer in flight and how far it has gone.
    pub fn progress(&self) -> Vec<TransferProgress> {
        self.active
            .iter()
            .filter_map(|(&sysid, transfer)| {
                let part = transfer.parts.front()?;
                // Counted as every count reported: without ArduPilot's home (item 0).
                let home = usize::from(
                    part.list == List::Mission && transfer.route.firmware.is_ardupilot(),
                );
                let (upload, done, total) = match &part.stage {
                    Stage::Upload(items) => {
                        // The item last sent was asked for: those before it are on board.
                        let on_board = match &transfer.last_sent {
                            MavMessage::MISSION_ITEM_INT(item) => usize::from(item.seq),
                            _ => 0,
                        };
                        let home = items.len().saturating_sub(part.reported);
                        (true, on_board.saturating_sub(home), Some(part.reported))
                    }
                    Stage::Download { count, items } => (
                        false,
                        items.len().saturating_sub(home),
                        count.map(|n| usize::from(n).saturating_sub(home)),
                    ),
                    Stage::Clear => (false, 0, Some(0)),
                };
                Some(TransferProgress {
                    sysid,
                    list: part.list,
                    upload,
                    done,
                    total,
                })
            })
            .collect()
    }

    pub fn start(
        &mut self,
        route: Route,
        op: MissionOp,
        reply: Sender<Result<MissionOutcome, MissionError>>,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        if self.active.contains_key(&route.sysid) {
            let _ = reply.try_send(Err(MissionError::Busy { sysid: route.sysid }));
            return;
        }
        let parts = match parts_of(op, route) {
            Ok(parts) => parts,
            Err(reason) => {
                let _ = reply.try_send(Err(reason));
                return;
            }
        };
        let mut transfer = Transfer {
            route,
            parts,
            done: Vec::new(),
            fetched: Vec::new(),
            last_sent: MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA::default()),
            tries: 0,
            deadline: now,
            reply,
        };
        transfer.begin_part(now, out);
        self.active.insert(route.sysid, transfer);
    }

    pub fn on_message(
        &mut self,
        sysid: u8,
        message: &MavMessage,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        let Some(transfer) = self.active.get_mut(&sysid) else {
            return;
        };
        match transfer.step(message) {
            Step::Wait => {}
            Step::Send(next) => transfer.send(next, now, out),
            Step::PartDone(result, last) => {
                if let Some(last) = last {
                    out.push(transfer.route.send(last));
                }
                let finished = match result {
                    Ok(()) => transfer.next_part(now, out),
                    Err(error) => Some(Err(transfer.failed(error))),
                };
                if let Some(result) = finished
                    && let Some(transfer) = self.active.remove(&sysid)
                {
                    let _ = transfer.reply.try_send(result);
                }
            }
        }
    }

    pub fn tick(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let mut failed = Vec::new();
        for (sysid, transfer) in &mut self.active {
            if now < transfer.deadline {
                continue;
            }
            if transfer.tries >= MISSION_MAX_TRIES {
                failed.push(*sysid);
                continue;
            }
            transfer.tries += 1;
            transfer.deadline = now.plus(MISSION_TIMEOUT);
            out.push(transfer.route.send(transfer.last_sent.clone()));
        }
        for sysid in failed {
            if let Some(transfer) = self.active.remove(&sysid) {
                let error = MissionError::TimedOut {
                    sysid,
                    list: transfer.current().map_or(List::Mission, |p| p.list),
                    verb: transfer.verb(),
                    message: mavlink_core::Message::message_name(&transfer.last_sent),
                    tries: transfer.tries,
                    progress: Progress::default(),
                };
                let _ = transfer.reply.try_send(Err(transfer.failed(error)));
            }
        }
    }
}

/// The parts of an operation, in order. A vehicle that speaks MAVLink 1 only gets the
/// mission: MAVLink 1 drops `mission_type`, so a fence or rally message would reach it as one
/// about the mission (an empty fence upload would clear the mission just sent). Fence and
/// rally points for such a vehicle are an error before anything is sent.
fn parts_of(op: MissionOp, route: Route) -> Result<VecDeque<Part>, MissionError> {
    let ardupilot = route.firmware.is_ardupilot();
    let mut parts = parts_for_all(op, route, ardupilot)?;
    if route.version == vigil_protocol::MavVersion::V1 {
        if let Some(part) = parts.iter().find(|p| {
            p.list != List::Mission && matches!(&p.stage, Stage::Upload(items) if !items.is_empty())
        }) {
            return Err(MissionError::NeedsMavlink2 {
                sysid: route.sysid,
                list: part.list,
            });
        }
        parts.retain(|p| p.list == List::Mission);
    }
    Ok(parts)
}

fn parts_for_all(
    op: MissionOp,
    route: Route,
    ardupilot: bool,
) -> Result<VecDeque<Part>, MissionError> {
    Ok(match op {
        MissionOp::Upload(mission) => upload_parts(&mission, route, ardupilot, false)?,
        MissionOp::UploadAllowingClear(mission) => upload_parts(&mission, route, ardupilot, true)?,
        MissionOp::Download => List::ALL
            .into_iter()
            .map(|list| Part {
                list,
                stage: Stage::Download {
                    count: None,
                    items: Vec::new(),
                },
                reported: 0,
            })
            .collect(),
        MissionOp::Clear => List::ALL
            .into_iter()
            .map(|list| Part {
                list,
                stage: Stage::Clear,
                reported: 0,
            })
            .collect(),
    })
}

/// An upload's parts, once the plan is checked: refused with every problem when it has any,
/// and refused without mission items unless `allow_clear`.
fn upload_parts(
    mission: &Mission,
    route: Route,
    ardupilot: bool,
    allow_clear: bool,
) -> Result<VecDeque<Part>, MissionError> {
    vigil_mission::validate(mission).map_err(|problems| MissionError::Invalid { problems })?;
    if mission.items.is_empty() && !allow_clear {
        return Err(MissionError::WouldClear { sysid: route.sysid });
    }
    let fence = fence_items(&mission.fence);
    let rally = rally_items(&mission.rally);
    let uploads = [
        (
            List::Mission,
            mission_items(mission, ardupilot),
            mission.items.len(),
        ),
        (List::Fence, fence, mission.fence.item_count()),
        (List::Rally, rally, mission.rally.len()),
    ];
    uploads
        .into_iter()
        .map(|(list, items, reported)| {
            let wire = wire_items(&items, list, route)
                .map_err(|detail| MissionError::BadPlan { detail })?;
            Ok(Part {
                list,
                stage: Stage::Upload(wire),
                reported,
            })
        })
        .collect()
}

enum Step {
    Wait,
    Send(MavMessage),
    /// The current part ended; the message to send last (a download's acknowledgement).
    PartDone(Result<(), MissionError>, Option<MavMessage>),
}

impl Transfer {
    fn current(&self) -> Option<&Part> {
        self.parts.front()
    }

    fn verb(&self) -> &'static str {
        match self.current().map(|p| &p.stage) {
            Some(Stage::Upload(_)) | None => "upload",
            Some(Stage::Download { .. }) => "download",
            Some(Stage::Clear) => "clear",
        }
    }

    fn send(&mut self, message: MavMessage, now: TimeUs, out: &mut Vec<Outgoing>) {
        out.push(self.route.send(message.clone()));
        self.last_sent = message;
        self.tries = 1;
        self.deadline = now.plus(MISSION_TIMEOUT);
    }

    /// Sends the first message of the current part.
    fn begin_part(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let Some(part) = self.parts.front() else {
            return;
        };
        let (target_system, target_component) = (self.route.sysid, self.route.compid);
        let mission_type = part.list.wire();
        let first = match &part.stage {
            Stage::Upload(items) => MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
                count: items.len() as u16,
                target_system,
                target_component,
                mission_type,
                ..Default::default()
            }),
            Stage::Download { .. } => {
                MavMessage::MISSION_REQUEST_LIST(mav::MISSION_REQUEST_LIST_DATA {
                    target_system,
                    target_component,
                    mission_type,
                })
            }
            Stage::Clear => MavMessage::MISSION_CLEAR_ALL(mav::MISSION_CLEAR_ALL_DATA {
                target_system,
                target_component,
                mission_type,
            }),
        };
        self.send(first, now, out);
    }

    /// Records the current part as done and starts the next; the outcome when none is left.
    fn next_part(
        &mut self,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) -> Option<Result<MissionOutcome, MissionError>> {
        let part = self.parts.pop_front()?;
        let kind = part.stage_kind();
        let home_first = self.route.firmware.is_ardupilot();
        let reported = match part.stage {
            Stage::Download { items, .. } => {
                let home = usize::from(part.list == List::Mission && home_first);
                let n = items.len().saturating_sub(home);
                self.fetched.push((part.list, items));
                n
            }
            Stage::Upload(_) | Stage::Clear => part.reported,
        };
        self.done.push((part.list, reported));
        if !self.parts.is_empty() {
            self.begin_part(now, out);
            return None;
        }
        Some(match kind {
            Kind::Upload => {
                let mut items = UploadCounts::default();
                for &(list, n) in &self.done {
                    match list {
                        List::Mission => items.mission = n,
                        List::Fence => items.fence = n,
                        List::Rally => items.rally = n,
                    }
                }
                Ok(MissionOutcome::Uploaded { items })
            }
            Kind::Download => self.assemble().map(MissionOutcome::Downloaded),
            Kind::Clear => Ok(MissionOutcome::Cleared),
        })
    }

    /// The downloaded lists as one mission.
    fn assemble(&self) -> Result<Mission, MissionError> {
        let list = |which: List| {
            self.fetched
                .iter()
                .find(|(l, _)| *l == which)
                .map_or(&[][..], |(_, items)| items.as_slice())
        };
        let sysid = self.route.sysid;
        let mut mission =
            mission_from_wire(list(List::Mission), self.route.firmware.is_ardupilot());
        let unreadable = |list| {
            move |detail| MissionError::Unreadable {
                sysid,
                list,
                detail,
            }
        };
        mission.fence = fence_from_wire(list(List::Fence)).map_err(unreadable(List::Fence))?;
        mission.rally =
            rally_from_wire(list(List::Rally), mission.home).map_err(unreadable(List::Rally))?;
        Ok(mission)
    }

    /// `error`, with what the operation had done before and what it did not get to.
    fn failed(&self, mut error: MissionError) -> MissionError {
        if let Some(progress) = error.progress_mut() {
            *progress = self.progress();
        }
        error
    }

    /// What the operation had done so far, and what it did not get to.
    fn progress(&self) -> Progress {
        let verb = match self.verb() {
            "upload" => "uploaded",
            "download" => "downloaded",
            _ => "cleared",
        };
        let done = self
            .done
            .iter()
            .map(|&(list, n)| match self.verb() {
                "clear" => format!("the {}", list.name()),
                _ => list.with_count(n),
            })
            .collect();
        let not_done = self
            .parts
            .iter()
            .skip(1)
            .map(|p| format!("the {}", p.list.name()))
            .collect();
        Progress {
            verb,
            done,
            not_done,
        }
    }

    fn ack(&self, kind: mav::MavMissionResult) -> MavMessage {
        MavMessage::MISSION_ACK(mav::MISSION_ACK_DATA {
            target_system: self.route.sysid,
            target_component: self.route.compid,
            mavtype: kind,
            mission_type: self.current().map_or(List::Mission, |p| p.list).wire(),
            ..Default::default()
        })
    }

    #[allow(
        deprecated,
        reason = "firmware older than 2020 still sends MISSION_REQUEST and MISSION_ITEM; the protocol asks us to answer them"
    )]
    fn step(&mut self, message: &MavMessage) -> Step {
        let route = self.route;
        let ack_request = self.ack(mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE);
        let ack_accepted = self.ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED);
        let Some(part) = self.parts.front_mut() else {
            return Step::Wait;
        };
        let list = part.list;
        if mission_type_of(message).is_some_and(|t| t != list.wire()) {
            return Step::Wait; // about another list, not this one
        }
        let unsupported = |result: mav::MavMissionResult| {
            list != List::Mission && result == mav::MavMissionResult::MAV_MISSION_UNSUPPORTED
        };
        match (&mut part.stage, message) {
            (
                Stage::Upload(items),
                MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA { seq, .. }),
            )
            | (
                Stage::Upload(items),
                MavMessage::MISSION_REQUEST(mav::MISSION_REQUEST_DATA { seq, .. }),
            ) => match items.get(usize::from(*seq)) {
                Some(item) => Step::Send(MavMessage::MISSION_ITEM_INT(item.clone())),
                None => Step::PartDone(
                    Err(MissionError::BadRequest {
                        sysid: route.sysid,
                        list,
                        seq: *seq,
                        count: items.len(),
                        progress: Progress::default(),
                    }),
                    Some(ack_request),
                ),
            },
            // ArduPilot answers an item out of order with this and asks again: not an ending.
            (Stage::Upload(_), MavMessage::MISSION_ACK(ack))
                if ack.mavtype == mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE =>
            {
                Step::Wait
            }
            (Stage::Upload(items), MavMessage::MISSION_ACK(ack)) => Step::PartDone(
                match ack.mavtype {
                    mav::MavMissionResult::MAV_MISSION_ACCEPTED => Ok(()),
                    other if items.is_empty() && unsupported(other) => Ok(()),
                    result => Err(MissionError::Rejected {
                        sysid: route.sysid,
                        list,
                        result,
                        progress: Progress::default(),
                    }),
                },
                None,
            ),
            (Stage::Clear, MavMessage::MISSION_ACK(ack)) => Step::PartDone(
                match ack.mavtype {
                    mav::MavMissionResult::MAV_MISSION_ACCEPTED => Ok(()),
                    other if unsupported(other) => Ok(()),
                    result => Err(MissionError::ClearRefused {
                        sysid: route.sysid,
                        list,
                        result,
                        progress: Progress::default(),
                    }),
                },
                None,
            ),
            // A vehicle without fence or rally support says so instead of counting.
            (Stage::Download { count: None, .. }, MavMessage::MISSION_ACK(ack))
                if unsupported(ack.mavtype) =>
            {
                Step::PartDone(Ok(()), None)
            }
            (Stage::Download { count, items }, MavMessage::MISSION_COUNT(c)) if count.is_none() => {
                *count = Some(c.count);
                items.clear();
                if c.count == 0 {
                    return Step::PartDone(Ok(()), Some(ack_accepted));
                }
                Step::Send(self.request_item(0))
            }
            (
                Stage::Download {
                    count: Some(count),
                    items,
                },
                MavMessage::MISSION_ITEM_INT(item),
            ) => {
                let (count, have) = (*count, items.len());
                self.on_downloaded(count, have, item.clone())
            }
            (
                Stage::Download {
                    count: Some(count),
                    items,
                },
                MavMessage::MISSION_ITEM(item),
            ) => {
                let (count, have) = (*count, items.len());
                self.on_downloaded(count, have, int_from_float_item(item))
            }
            _ => Step::Wait,
        }
    }

    fn on_downloaded(&mut self, count: u16, have: usize, item: mav::MISSION_ITEM_INT_DATA) -> Step {
        if usize::from(item.seq) != have {
            return Step::Wait; // a duplicate or late item: the timeout re-requests the one we need
        }
        let ack = self.ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED);
        let Some(Part {
            stage: Stage::Download { items, .. },
            ..
        }) = self.parts.front_mut()
        else {
            return Step::Wait;
        };
        items.push(item);
        if items.len() < usize::from(count) {
            return Step::Send(self.request_item(have as u16 + 1));
        }
        Step::PartDone(Ok(()), Some(ack))
    }

    fn request_item(&self, seq: u16) -> MavMessage {
        MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA {
            seq,
            target_system: self.route.sysid,
            target_component: self.route.compid,
            mission_type: self.current().map_or(List::Mission, |p| p.list).wire(),
        })
    }
}

/// What kind of operation a part belongs to (all parts of one operation are alike).
enum Kind {
    Upload,
    Download,
    Clear,
}

impl Part {
    fn stage_kind(&self) -> Kind {
        match self.stage {
            Stage::Upload(_) => Kind::Upload,
            Stage::Download { .. } => Kind::Download,
            Stage::Clear => Kind::Clear,
        }
    }
}

/// The mission type a mission-protocol message is about (MAVLink 2 extension field).
#[allow(
    deprecated,
    reason = "MISSION_REQUEST and MISSION_ITEM from older firmware are still answered"
)]
fn mission_type_of(message: &MavMessage) -> Option<mav::MavMissionType> {
    Some(match message {
        MavMessage::MISSION_REQUEST_INT(m) => m.mission_type,
        MavMessage::MISSION_REQUEST(m) => m.mission_type,
        MavMessage::MISSION_ACK(m) => m.mission_type,
        MavMessage::MISSION_COUNT(m) => m.mission_type,
        MavMessage::MISSION_ITEM_INT(m) => m.mission_type,
        MavMessage::MISSION_ITEM(m) => m.mission_type,
        _ => return None,
    })
}

/// "UNSUPPORTED" for MAV_MISSION_UNSUPPORTED.
fn result_name(result: mav::MavMissionResult) -> String {
    format!("{result:?}")
        .trim_start_matches("MAV_MISSION_")
        .to_owned()
}

/// Scale of x and y in MISSION_ITEM_INT for a frame: 1e7 for global frames (degrees), 1e4 for
/// local ones (metres), 1 otherwise.
fn xy_scale(frame: u8) -> f64 {
    if is_global_frame(frame) {
        1e7
    } else if matches!(frame, 1 | 4 | 7 | 8 | 9 | 12 | 13 | 20 | 21) {
        1e4
    } else {
        1.0
    }
}

/// The mission's items to upload: for ArduPilot, home first (from the plan, or zeros which
/// ArduPilot replaces with its own home).
fn mission_items(mission: &Mission, home_first: bool) -> Vec<MissionItem> {
    let mut items: Vec<MissionItem> = Vec::with_capacity(mission.items.len() + 1);
    if home_first {
        let home = mission.home.unwrap_or(GeoPoint {
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 0.0,
        });
        items.push(MissionItem {
            frame: mav::MavFrame::MAV_FRAME_GLOBAL as u8,
            command: mav::MavCmd::MAV_CMD_NAV_WAYPOINT as u16,
            autocontinue: true,
            params: [0.0; 4],
            x: home.lat_deg,
            y: home.lon_deg,
            z: home.alt_m as f32,
        });
    }
    items.extend(mission.items.iter().cloned());
    items
}

/// A fence item in MAV_FRAME_GLOBAL at (lat, lon), altitude unused.
fn fence_item(command: mav::MavCmd, param1: f32, (lat, lon): (f64, f64)) -> MissionItem {
    MissionItem {
        frame: mav::MavFrame::MAV_FRAME_GLOBAL as u8,
        command: command as u16,
        autocontinue: false,
        params: [param1, 0.0, 0.0, 0.0],
        x: lat,
        y: lon,
        z: 0.0,
    }
}

/// The fence as the FENCE list carries it, as QGroundControl sends it: each polygon's
/// vertices (param1 = its vertex count), then the circles (param1 = radius), then the return
/// point.
fn fence_items(fence: &Fence) -> Vec<MissionItem> {
    use mav::MavCmd::*;
    let mut items = Vec::with_capacity(fence.item_count());
    for polygon in &fence.polygons {
        let command = if polygon.inclusion {
            MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
        } else {
            MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
        };
        let n = polygon.vertices.len() as f32;
        items.extend(polygon.vertices.iter().map(|&v| fence_item(command, n, v)));
    }
    for circle in &fence.circles {
        let command = if circle.inclusion {
            MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION
        } else {
            MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION
        };
        items.push(fence_item(command, circle.radius_m as f32, circle.center));
    }
    if let Some(point) = fence.breach_return {
        items.push(MissionItem {
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT as u8,
            z: point.alt_m as f32,
            ..fence_item(
                MAV_CMD_NAV_FENCE_RETURN_POINT,
                0.0,
                (point.lat_deg, point.lon_deg),
            )
        });
    }
    items
}

/// Rally points as the RALLY list carries them: MAV_CMD_NAV_RALLY_POINT, altitude above home.
fn rally_items(points: &[GeoPoint]) -> Vec<MissionItem> {
    points
        .iter()
        .map(|p| MissionItem {
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT as u8,
            command: mav::MavCmd::MAV_CMD_NAV_RALLY_POINT as u16,
            autocontinue: false,
            params: [0.0; 4],
            x: p.lat_deg,
            y: p.lon_deg,
            z: p.alt_m as f32,
        })
        .collect()
}

/// Items as MISSION_ITEM_INT for `list`, numbered from 0. Errors name the item as the plan
/// counts it (mission items from 1 with home as 0, fence items and rally points from 1).
fn wire_items(
    items: &[MissionItem],
    list: List,
    route: Route,
) -> Result<Vec<mav::MISSION_ITEM_INT_DATA>, String> {
    let name = list.name();
    if items.len() > usize::from(u16::MAX) {
        return Err(format!(
            "a {name} list of {} items is too long for MAVLink",
            items.len()
        ));
    }
    let home_first = list == List::Mission && route.firmware.is_ardupilot();
    items
        .iter()
        .enumerate()
        .map(|(seq, item)| {
            let index = if home_first { seq } else { seq + 1 };
            let what = match list {
                List::Mission => format!("mission item {index}"),
                List::Fence => format!("fence item {index}"),
                List::Rally => format!("rally point {index}"),
            };
            let command = mav::MavCmd::from_u16(item.command).ok_or_else(|| {
                format!("{what}: command {} is not a MAVLink command", item.command)
            })?;
            let frame = mav::MavFrame::from_u8(item.frame)
                .ok_or_else(|| format!("{what}: frame {} is not a MAVLink frame", item.frame))?;
            let scale = xy_scale(item.frame);
            let to_wire = |value: f64| {
                if scale == 1e7 {
                    e7_from_deg(value)
                } else {
                    (value * scale).round() as i32
                }
            };
            Ok(mav::MISSION_ITEM_INT_DATA {
                param1: item.params[0],
                param2: item.params[1],
                param3: item.params[2],
                param4: item.params[3],
                x: to_wire(item.x),
                y: to_wire(item.y),
                z: item.z,
                seq: seq as u16,
                command,
                target_system: route.sysid,
                target_component: route.compid,
                frame,
                current: u8::from(list == List::Mission && seq == 0),
                autocontinue: u8::from(item.autocontinue),
                mission_type: list.wire(),
            })
        })
        .collect()
}

/// A wire item as a [`MissionItem`], x and y scaled by its frame.
fn item_from_wire(wire: &mav::MISSION_ITEM_INT_DATA) -> MissionItem {
    let frame = wire.frame as u8;
    let scale = xy_scale(frame);
    let from_wire = |value: i32| {
        if scale == 1e7 {
            deg_from_e7(value)
        } else {
            f64::from(value) / scale
        }
    };
    MissionItem {
        frame,
        command: wire.command as u16,
        autocontinue: wire.autocontinue != 0,
        params: [wire.param1, wire.param2, wire.param3, wire.param4],
        x: from_wire(wire.x),
        y: from_wire(wire.y),
        z: wire.z,
    }
}

/// The MISSION list as home (ArduPilot's item 0) and items.
fn mission_from_wire(items: &[mav::MISSION_ITEM_INT_DATA], home_first: bool) -> Mission {
    let mut converted = items.iter().map(item_from_wire);
    let home = if home_first {
        converted.next().map(|h| GeoPoint {
            lat_deg: h.x,
            lon_deg: h.y,
            alt_m: f64::from(h.z),
        })
    } else {
        None
    };
    Mission {
        home,
        items: converted.collect(),
        ..Default::default()
    }
}

/// The FENCE list as a fence: runs of polygon vertices (as many as each one's param1 says),
/// circles and the return point.
fn fence_from_wire(items: &[mav::MISSION_ITEM_INT_DATA]) -> Result<Fence, String> {
    use mav::MavCmd::*;
    let items: Vec<MissionItem> = items.iter().map(item_from_wire).collect();
    let mut fence = Fence::default();
    let mut i = 0;
    while i < items.len() {
        let item = &items[i];
        let command = mav::MavCmd::from_u16(item.command);
        match command {
            Some(
                c @ (MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
                | MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION),
            ) => {
                let n = item.params[0];
                let left = items.len() - i;
                // The count comes from the vehicle: check it against what is there before any
                // arithmetic with it.
                if !(n >= 3.0 && n.fract() == 0.0 && n <= left as f32) {
                    return Err(format!(
                        "fence item {i}: a polygon vertex whose vertex count (param1) is {n}, with {left} items left"
                    ));
                }
                let n = n as usize;
                let run = &items[i..i + n];
                if run
                    .iter()
                    .any(|v| v.command != c as u16 || v.params[0] != item.params[0])
                {
                    return Err(format!(
                        "fence items {i}..{}: a polygon of {n} vertices is cut short",
                        i + n - 1
                    ));
                }
                fence.polygons.push(FencePolygon {
                    inclusion: c == MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
                    vertices: run.iter().map(|v| (v.x, v.y)).collect(),
                });
                i += n;
                continue;
            }
            Some(c @ (MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION | MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION)) => {
                fence.circles.push(FenceCircle {
                    inclusion: c == MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION,
                    center: (item.x, item.y),
                    radius_m: f64::from(item.params[0]),
                });
            }
            Some(MAV_CMD_NAV_FENCE_RETURN_POINT) => {
                fence.breach_return = Some(GeoPoint {
                    lat_deg: item.x,
                    lon_deg: item.y,
                    alt_m: f64::from(item.z),
                });
            }
            _ => {
                return Err(format!(
                    "fence item {i}: command {} is not a fence command",
                    item.command
                ));
            }
        }
        i += 1;
    }
    Ok(fence)
}

/// The RALLY list as points with altitudes above home (converted from AMSL with the
/// mission's home when the vehicle keeps a point in MAV_FRAME_GLOBAL).
fn rally_from_wire(
    items: &[mav::MISSION_ITEM_INT_DATA],
    home: Option<GeoPoint>,
) -> Result<Vec<GeoPoint>, String> {
    items
        .iter()
        .map(item_from_wire)
        .enumerate()
        .map(|(i, item)| {
            if item.command != mav::MavCmd::MAV_CMD_NAV_RALLY_POINT as u16 {
                return Err(format!(
                    "rally item {i}: command {} is not MAV_CMD_NAV_RALLY_POINT",
                    item.command
                ));
            }
            let alt_m = match (item.frame, home) {
                (3 | 6, _) => f64::from(item.z),
                (0 | 5, Some(home)) => f64::from(item.z) - home.alt_m,
                (frame, _) => {
                    return Err(format!(
                        "rally item {i}: altitude in frame {frame}, which Vigil cannot make \
                         relative to home"
                    ));
                }
            };
            Ok(GeoPoint {
                lat_deg: item.x,
                lon_deg: item.y,
                alt_m,
            })
        })
        .collect()
}

#[allow(
    deprecated,
    reason = "firmware older than 2020 still sends MISSION_REQUEST and MISSION_ITEM; the protocol asks us to answer them"
)]
/// MISSION_ITEM (float x and y, from older firmware and ground stations) as MISSION_ITEM_INT,
/// scaled by its frame.
pub(crate) fn int_from_float_item(item: &mav::MISSION_ITEM_DATA) -> mav::MISSION_ITEM_INT_DATA {
    let scale = xy_scale(item.frame as u8);
    mav::MISSION_ITEM_INT_DATA {
        param1: item.param1,
        param2: item.param2,
        param3: item.param3,
        param4: item.param4,
        x: (f64::from(item.x) * scale).round() as i32,
        y: (f64::from(item.y) * scale).round() as i32,
        z: item.z,
        seq: item.seq,
        command: item.command,
        target_system: item.target_system,
        target_component: item.target_component,
        frame: item.frame,
        current: item.current,
        autocontinue: item.autocontinue,
        mission_type: item.mission_type,
    }
}

#[cfg(test)]
mod tests;
