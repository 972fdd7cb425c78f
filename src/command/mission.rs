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
//! ArduPilot keeps home as mission item 0 and PX4 does not; [`Mission`] keeps home apart,
//! so the same file uploads to both, and every count reported leaves home out. Fence items
//! go in MAV_FRAME_GLOBAL (polygon vertices with param1 = the polygon's vertex count,
//! circles with param1 = the radius in metres), rally points in
//! MAV_FRAME_GLOBAL_RELATIVE_ALT, as QGroundControl sends them and ArduCopter 4.7 returns
//! them; ArduPilot stores a rally point's altitude in whole metres.

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::time::Duration;

use crossbeam_channel::Sender;
use num_traits::FromPrimitive;

use super::{Outgoing, Route};
use crate::mission::{
    Fence, FenceCircle, FencePolygon, GeoPoint, Mission, MissionItem, is_global_frame,
};
use crate::protocol::{MavMessage, deg_from_e7, e7_from_deg, mav};
use crate::time::TimeUs;

/// Wait for the vehicle's next request or acknowledgement before sending again.
pub const MISSION_TIMEOUT: Duration = Duration::from_millis(1500);
/// Sends of the same message before the transfer fails.
pub const MISSION_MAX_TRIES: u32 = 5;

/// A mission operation on a vehicle's mission, geofence and rally points together.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionOp {
    /// Upload the mission, then the fence, then the rally points (empty lists clear the
    /// vehicle's).
    Upload(Mission),
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

/// One of the three lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum List {
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

    /// The list with what it held, e.g. "the mission (4 items)".
    fn with_count(self, count: usize) -> String {
        let unit = match self {
            List::Mission => crate::mission::count(count, "item", "items"),
            List::Fence => crate::mission::count(count, "item", "items"),
            List::Rally => crate::mission::count(count, "point", "points"),
        };
        format!("the {} ({unit})", self.name())
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
    reply: Sender<Result<MissionOutcome, String>>,
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

    pub fn start(
        &mut self,
        route: Route,
        op: MissionOp,
        reply: Sender<Result<MissionOutcome, String>>,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        if self.active.contains_key(&route.sysid) {
            let _ = reply.try_send(Err(format!(
                "a mission transfer with vehicle {} is already in progress",
                route.sysid
            )));
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
                    Err(reason) => Some(Err(transfer.failed(&reason))),
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
                let name = mavlink_core::Message::message_name(&transfer.last_sent);
                let what = transfer.current().map_or("mission", |p| p.list.name());
                let reason = format!(
                    "{what} {} with vehicle {sysid} timed out: no answer to {name} after {} tries",
                    transfer.verb(),
                    transfer.tries
                );
                let _ = transfer.reply.try_send(Err(transfer.failed(&reason)));
            }
        }
    }
}

/// The parts of an operation, in order. A vehicle that speaks MAVLink 1 only gets the
/// mission: MAVLink 1 drops `mission_type`, so a fence or rally message would reach it as one
/// about the mission (an empty fence upload would clear the mission just sent). Fence and
/// rally points for such a vehicle are an error before anything is sent.
fn parts_of(op: MissionOp, route: Route) -> Result<VecDeque<Part>, String> {
    let ardupilot = route.firmware.is_ardupilot();
    let mut parts = parts_for_all(op, route, ardupilot)?;
    if route.version == crate::protocol::MavVersion::V1 {
        if let Some(part) = parts.iter().find(|p| {
            p.list != List::Mission && matches!(&p.stage, Stage::Upload(items) if !items.is_empty())
        }) {
            return Err(format!(
                "vehicle {} speaks MAVLink 1, which cannot carry the {}: nothing was uploaded",
                route.sysid,
                part.list.name()
            ));
        }
        parts.retain(|p| p.list == List::Mission);
    }
    Ok(parts)
}

fn parts_for_all(op: MissionOp, route: Route, ardupilot: bool) -> Result<VecDeque<Part>, String> {
    Ok(match op {
        MissionOp::Upload(mission) => {
            let fence = fence_items(&mission.fence);
            let rally = rally_items(&mission.rally);
            let uploads = [
                (
                    List::Mission,
                    mission_items(&mission, ardupilot),
                    mission.items.len(),
                ),
                (List::Fence, fence, mission.fence.item_count()),
                (List::Rally, rally, mission.rally.len()),
            ];
            uploads
                .into_iter()
                .map(|(list, items, reported)| {
                    let wire = wire_items(&items, list, route)?;
                    Ok(Part {
                        list,
                        stage: Stage::Upload(wire),
                        reported,
                    })
                })
                .collect::<Result<_, String>>()?
        }
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

enum Step {
    Wait,
    Send(MavMessage),
    /// The current part ended; the message to send last (a download's acknowledgement).
    PartDone(Result<(), String>, Option<MavMessage>),
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
    ) -> Option<Result<MissionOutcome, String>> {
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
    fn assemble(&self) -> Result<Mission, String> {
        let list = |which: List| {
            self.fetched
                .iter()
                .find(|(l, _)| *l == which)
                .map_or(&[][..], |(_, items)| items.as_slice())
        };
        let sysid = self.route.sysid;
        let mut mission =
            mission_from_wire(list(List::Mission), self.route.firmware.is_ardupilot());
        mission.fence = fence_from_wire(list(List::Fence))
            .map_err(|e| format!("vehicle {sysid} sent a fence Vigil cannot read: {e}"))?;
        mission.rally = rally_from_wire(list(List::Rally), mission.home)
            .map_err(|e| format!("vehicle {sysid} sent rally points Vigil cannot read: {e}"))?;
        Ok(mission)
    }

    /// `reason`, with what the operation had done before and what it did not get to.
    fn failed(&self, reason: &str) -> String {
        let verb = match self.verb() {
            "upload" => "uploaded",
            "download" => "downloaded",
            _ => "cleared",
        };
        let done: Vec<String> = self
            .done
            .iter()
            .map(|&(list, n)| match self.verb() {
                "clear" => format!("the {}", list.name()),
                _ => list.with_count(n),
            })
            .collect();
        let not_done: Vec<String> = self
            .parts
            .iter()
            .skip(1)
            .map(|p| format!("the {}", p.list.name()))
            .collect();
        let mut text = reason.to_string();
        if done.is_empty() {
            text.push_str(&format!("; nothing was {verb}"));
        } else {
            text.push_str(&format!(
                "; {verb} before that: {}",
                crate::mission::join_words(&done)
            ));
        }
        if !not_done.is_empty() {
            text.push_str(&format!(
                "; not {verb}: {}",
                crate::mission::join_words(&not_done)
            ));
        }
        text
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
                    Err(format!(
                        "vehicle {} asked for {} item {seq} of {}",
                        route.sysid,
                        list.name(),
                        items.len()
                    )),
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
                    other => Err(format!(
                        "vehicle {} rejected the {}: {}",
                        route.sysid,
                        list.name(),
                        mission_result_name(other)
                    )),
                },
                None,
            ),
            (Stage::Clear, MavMessage::MISSION_ACK(ack)) => Step::PartDone(
                match ack.mavtype {
                    mav::MavMissionResult::MAV_MISSION_ACCEPTED => Ok(()),
                    other if unsupported(other) => Ok(()),
                    other => Err(format!(
                        "vehicle {} refused to clear its {}: {}",
                        route.sysid,
                        list.name(),
                        mission_result_name(other)
                    )),
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

fn mission_result_name(result: mav::MavMissionResult) -> String {
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
mod tests {
    //! The state machine against a scripted peer that keeps the three lists as ArduCopter 4.7
    //! SITL was seen to (see the module docs): it asks for items with MISSION_REQUEST, stores
    //! fence items in MAV_FRAME_GLOBAL without altitude, rally points in
    //! MAV_FRAME_GLOBAL_RELATIVE_ALT with whole-metre altitudes, and refuses to clear
    //! MAV_MISSION_TYPE_ALL.

    use crossbeam_channel::bounded;

    use super::*;
    use crate::pipeline::LinkId;
    use crate::protocol::MavVersion;
    use crate::protocol::modes::Firmware;

    type Type = mav::MavMissionType;
    type Result_ = mav::MavMissionResult;

    #[derive(Default)]
    struct Peer {
        /// MISSION, FENCE, RALLY.
        lists: [Vec<mav::MISSION_ITEM_INT_DATA>; 3],
        upload: Option<(Type, u16, Vec<mav::MISSION_ITEM_INT_DATA>)>,
        /// Uploads of this list are answered with MAV_MISSION_ERROR.
        refuse: Option<Type>,
        /// Answers MAV_MISSION_UNSUPPORTED to everything about fences and rally points.
        no_fence_or_rally: bool,
        /// Never answers anything about this list.
        silent_about: Option<Type>,
        /// Every message the ground sent.
        received: Vec<MavMessage>,
    }

    fn index(t: Type) -> usize {
        match t {
            Type::MAV_MISSION_TYPE_FENCE => 1,
            Type::MAV_MISSION_TYPE_RALLY => 2,
            _ => 0,
        }
    }

    impl Peer {
        fn ack(t: Type, result: Result_) -> Vec<MavMessage> {
            vec![MavMessage::MISSION_ACK(mav::MISSION_ACK_DATA {
                target_system: 255,
                target_component: 190,
                mavtype: result,
                mission_type: t,
                ..Default::default()
            })]
        }

        #[allow(deprecated, reason = "ArduPilot 4.7 asks with MISSION_REQUEST")]
        fn request(t: Type, seq: u16) -> Vec<MavMessage> {
            vec![MavMessage::MISSION_REQUEST(mav::MISSION_REQUEST_DATA {
                seq,
                target_system: 255,
                target_component: 190,
                mission_type: t,
            })]
        }

        fn answer(&mut self, message: &MavMessage) -> Vec<MavMessage> {
            self.received.push(message.clone());
            let Some(t) = mission_type_of(message).or(match message {
                MavMessage::MISSION_REQUEST_LIST(m) => Some(m.mission_type),
                MavMessage::MISSION_CLEAR_ALL(m) => Some(m.mission_type),
                _ => None,
            }) else {
                return Vec::new();
            };
            if self.silent_about == Some(t) {
                return Vec::new();
            }
            if self.no_fence_or_rally && t != Type::MAV_MISSION_TYPE_MISSION {
                return Self::ack(t, Result_::MAV_MISSION_UNSUPPORTED);
            }
            match message {
                MavMessage::MISSION_COUNT(c) => {
                    if self.refuse == Some(t) {
                        return Self::ack(t, Result_::MAV_MISSION_ERROR);
                    }
                    if c.count == 0 {
                        self.lists[index(t)].clear();
                        return Self::ack(t, Result_::MAV_MISSION_ACCEPTED);
                    }
                    self.upload = Some((t, c.count, Vec::new()));
                    Self::request(t, 0)
                }
                MavMessage::MISSION_ITEM_INT(item) => {
                    let Some((ut, count, items)) = &mut self.upload else {
                        return Vec::new();
                    };
                    if *ut != t || usize::from(item.seq) != items.len() {
                        return Self::ack(t, Result_::MAV_MISSION_INVALID_SEQUENCE);
                    }
                    let mut stored = item.clone();
                    stored.current = 0;
                    match t {
                        Type::MAV_MISSION_TYPE_FENCE => {
                            (stored.frame, stored.z, stored.autocontinue) =
                                (mav::MavFrame::MAV_FRAME_GLOBAL, 0.0, 0);
                        }
                        Type::MAV_MISSION_TYPE_RALLY => {
                            stored.frame = mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT;
                            (stored.z, stored.autocontinue) = (stored.z.trunc(), 0);
                        }
                        _ => {}
                    }
                    items.push(stored);
                    if items.len() < usize::from(*count) {
                        return Self::request(t, items.len() as u16);
                    }
                    let (_, _, items) = self.upload.take().expect("an upload");
                    self.lists[index(t)] = items;
                    Self::ack(t, Result_::MAV_MISSION_ACCEPTED)
                }
                MavMessage::MISSION_REQUEST_LIST(_) => {
                    vec![MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
                        count: self.lists[index(t)].len() as u16,
                        target_system: 255,
                        target_component: 190,
                        mission_type: t,
                        ..Default::default()
                    })]
                }
                MavMessage::MISSION_REQUEST_INT(r) => self.lists[index(t)]
                    .get(usize::from(r.seq))
                    .map(|item| vec![MavMessage::MISSION_ITEM_INT(item.clone())])
                    .unwrap_or_default(),
                MavMessage::MISSION_CLEAR_ALL(_) if t == Type::MAV_MISSION_TYPE_ALL => {
                    Self::ack(t, Result_::MAV_MISSION_UNSUPPORTED)
                }
                MavMessage::MISSION_CLEAR_ALL(_) => {
                    self.lists[index(t)].clear();
                    Self::ack(t, Result_::MAV_MISSION_ACCEPTED)
                }
                _ => Vec::new(),
            }
        }
    }

    fn route(firmware: Firmware) -> Route {
        Route {
            sysid: 1,
            compid: 1,
            link: LinkId(0),
            version: MavVersion::V2,
            firmware,
        }
    }

    /// Runs `op` between the ground and the peer, with the clock advancing a timeout at a
    /// time while nothing moves.
    fn run(peer: &mut Peer, firmware: Firmware, op: MissionOp) -> Result<MissionOutcome, String> {
        let mut transfers = MissionTransfers::default();
        let (reply, outcome) = bounded(1);
        let mut now = TimeUs(1_000_000);
        let mut out = Vec::new();
        transfers.start(route(firmware), op, reply, now, &mut out);
        for _ in 0..10_000 {
            if let Ok(result) = outcome.try_recv() {
                assert!(!transfers.is_busy());
                for sent in out {
                    assert!(peer.answer(&sent.message).is_empty());
                }
                return result;
            }
            if out.is_empty() {
                now = now.plus(MISSION_TIMEOUT);
                transfers.tick(now, &mut out);
                continue;
            }
            for sent in std::mem::take(&mut out) {
                for answer in peer.answer(&sent.message) {
                    transfers.on_message(1, &answer, now, &mut out);
                }
            }
        }
        panic!("no outcome");
    }

    fn plan() -> Mission {
        let waypoint = |x, y, z| MissionItem {
            frame: 3,
            command: 16,
            autocontinue: true,
            params: [0.0; 4],
            x,
            y,
            z,
        };
        Mission {
            home: Some(GeoPoint {
                lat_deg: -35.363261,
                lon_deg: 149.16523,
                alt_m: 584.0,
            }),
            items: vec![
                waypoint(-35.3625, 149.1655, 30.0),
                waypoint(-35.3621234, 149.1651234, 40.0),
            ],
            fence: Fence {
                polygons: vec![FencePolygon {
                    inclusion: true,
                    vertices: vec![
                        (-35.3600001, 149.1600003),
                        (-35.3600001, 149.1700007),
                        (-35.3700009, 149.1700007),
                        (-35.3700009, 149.1600003),
                    ],
                }],
                circles: vec![FenceCircle {
                    inclusion: false,
                    center: (-35.3631, 149.1655),
                    radius_m: 25.5,
                }],
                breach_return: None,
            },
            rally: vec![
                GeoPoint {
                    lat_deg: -35.3610123,
                    lon_deg: 149.1660456,
                    alt_m: 30.0,
                },
                GeoPoint {
                    lat_deg: -35.3645678,
                    lon_deg: 149.1630987,
                    alt_m: 45.0,
                },
            ],
        }
    }

    /// `a` and `b` are the same plan, positions to the 1e-7 degree the wire carries.
    fn assert_same(a: &Mission, b: &Mission) {
        let close = |x: f64, y: f64| (x - y).abs() <= 0.5e-7;
        assert_eq!(a.items.len(), b.items.len(), "{a:?}\n{b:?}");
        for (x, y) in a.items.iter().zip(&b.items) {
            assert!(
                close(x.x, y.x) && close(x.y, y.y) && x.z == y.z,
                "{x:?} != {y:?}"
            );
            assert_eq!(
                (x.command, x.frame, x.params),
                (y.command, y.frame, y.params)
            );
        }
        let (fa, fb) = (&a.fence, &b.fence);
        assert_eq!(fa.polygons.len(), fb.polygons.len());
        for (p, q) in fa.polygons.iter().zip(&fb.polygons) {
            assert_eq!(p.inclusion, q.inclusion);
            assert_eq!(p.vertices.len(), q.vertices.len());
            for (v, w) in p.vertices.iter().zip(&q.vertices) {
                assert!(close(v.0, w.0) && close(v.1, w.1), "{v:?} != {w:?}");
            }
        }
        assert_eq!(fa.circles.len(), fb.circles.len());
        for (c, d) in fa.circles.iter().zip(&fb.circles) {
            assert_eq!((c.inclusion, c.radius_m), (d.inclusion, d.radius_m));
            assert!(close(c.center.0, d.center.0) && close(c.center.1, d.center.1));
        }
        assert_eq!(a.rally.len(), b.rally.len());
        for (p, q) in a.rally.iter().zip(&b.rally) {
            assert!(close(p.lat_deg, q.lat_deg) && close(p.lon_deg, q.lon_deg));
            assert_eq!(p.alt_m, q.alt_m);
        }
    }

    #[test]
    fn mission_fence_and_rally_go_up_and_come_back() {
        let mut peer = Peer::default();
        let outcome = run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan()));
        assert_eq!(
            outcome,
            Ok(MissionOutcome::Uploaded {
                items: UploadCounts {
                    mission: 2,
                    fence: 5,
                    rally: 2
                }
            })
        );
        assert_eq!(
            outcome.unwrap().to_string_for_test(),
            "2 mission, 5 fence and 2 rally"
        );
        // Home is ArduPilot's item 0; fence and rally lists have none.
        assert_eq!(
            peer.lists.each_ref().map(Vec::len),
            [3, 5, 2],
            "home + 2 items, 4 vertices + 1 circle, 2 points"
        );
        let fence = &peer.lists[1];
        assert!(fence[..4].iter().all(|i| i.command
            == mav::MavCmd::MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
            && i.param1 == 4.0
            && i.frame == mav::MavFrame::MAV_FRAME_GLOBAL));
        assert_eq!(
            (fence[4].command, fence[4].param1),
            (mav::MavCmd::MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, 25.5)
        );
        assert!(
            peer.lists[2]
                .iter()
                .all(|i| i.command == mav::MavCmd::MAV_CMD_NAV_RALLY_POINT
                    && i.frame == mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT)
        );
        // Mission first, then fence, then rally, each message of its list's type.
        let order: Vec<Type> = peer
            .received
            .iter()
            .filter_map(|m| match m {
                MavMessage::MISSION_COUNT(c) => Some(c.mission_type),
                _ => None,
            })
            .collect();
        assert_eq!(
            order,
            [
                Type::MAV_MISSION_TYPE_MISSION,
                Type::MAV_MISSION_TYPE_FENCE,
                Type::MAV_MISSION_TYPE_RALLY
            ]
        );
        for m in &peer.received {
            if let MavMessage::MISSION_ITEM_INT(item) = m {
                let expected = if item.command as u16 >= 5000 && item.command as u16 <= 5004 {
                    Type::MAV_MISSION_TYPE_FENCE
                } else if item.command == mav::MavCmd::MAV_CMD_NAV_RALLY_POINT {
                    Type::MAV_MISSION_TYPE_RALLY
                } else {
                    Type::MAV_MISSION_TYPE_MISSION
                };
                assert_eq!(item.mission_type, expected, "{item:?}");
            }
        }

        peer.received.clear();
        let Ok(MissionOutcome::Downloaded(back)) =
            run(&mut peer, Firmware::ArduCopter, MissionOp::Download)
        else {
            panic!("download failed")
        };
        assert_same(&plan(), &back);
        assert_eq!(back.home.map(|h| h.alt_m), Some(584.0));
        // Every request and acknowledgement names its list.
        let types: Vec<Type> = peer.received.iter().filter_map(mission_type_of).collect();
        assert!(types.contains(&Type::MAV_MISSION_TYPE_FENCE));
        assert!(types.contains(&Type::MAV_MISSION_TYPE_RALLY));
        let acks: Vec<Type> = peer
            .received
            .iter()
            .filter_map(|m| match m {
                MavMessage::MISSION_ACK(a) => Some(a.mission_type),
                _ => None,
            })
            .collect();
        assert_eq!(
            acks,
            [
                Type::MAV_MISSION_TYPE_MISSION,
                Type::MAV_MISSION_TYPE_FENCE,
                Type::MAV_MISSION_TYPE_RALLY
            ]
        );
    }

    #[test]
    fn counts_leave_home_out_on_upload_and_download_alike() {
        for firmware in [Firmware::ArduCopter, Firmware::Px4] {
            let mut peer = Peer::default();
            let Ok(MissionOutcome::Uploaded { items }) =
                run(&mut peer, firmware, MissionOp::Upload(plan()))
            else {
                panic!()
            };
            let Ok(MissionOutcome::Downloaded(back)) =
                run(&mut peer, firmware, MissionOp::Download)
            else {
                panic!()
            };
            assert_eq!(items.mission, back.items.len(), "{firmware:?}");
            assert_eq!(items.mission, 2, "{firmware:?}");
            assert_eq!(back.home.is_some(), firmware == Firmware::ArduCopter);
        }
    }

    #[test]
    fn a_plan_without_fence_clears_the_vehicles_fence() {
        let mut peer = Peer::default();
        run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())).unwrap();
        let mut bare = plan();
        bare.fence = Fence::default();
        bare.rally.clear();
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(bare)),
            Ok(MissionOutcome::Uploaded {
                items: UploadCounts {
                    mission: 2,
                    fence: 0,
                    rally: 0
                }
            })
        );
        assert_eq!(peer.lists.each_ref().map(Vec::len), [3, 0, 0]);
    }

    #[test]
    fn clear_clears_each_list_by_its_own_type() {
        let mut peer = Peer::default();
        run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())).unwrap();
        peer.received.clear();
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Clear),
            Ok(MissionOutcome::Cleared)
        );
        assert_eq!(peer.lists.each_ref().map(Vec::len), [0, 0, 0]);
        let cleared: Vec<Type> = peer
            .received
            .iter()
            .filter_map(|m| match m {
                MavMessage::MISSION_CLEAR_ALL(c) => Some(c.mission_type),
                _ => None,
            })
            .collect();
        assert_eq!(
            cleared,
            [
                Type::MAV_MISSION_TYPE_MISSION,
                Type::MAV_MISSION_TYPE_FENCE,
                Type::MAV_MISSION_TYPE_RALLY
            ],
            "never MAV_MISSION_TYPE_ALL, which ArduPilot refuses"
        );
    }

    #[test]
    fn a_refused_part_says_which_and_what_went_up_before() {
        let mut peer = Peer {
            refuse: Some(Type::MAV_MISSION_TYPE_FENCE),
            ..Peer::default()
        };
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())),
            Err(
                "vehicle 1 rejected the fence: ERROR; uploaded before that: the mission \
                 (2 items); not uploaded: the rally points"
                    .into()
            )
        );
        let mut peer = Peer {
            refuse: Some(Type::MAV_MISSION_TYPE_RALLY),
            ..Peer::default()
        };
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())),
            Err(
                "vehicle 1 rejected the rally points: ERROR; uploaded before that: the \
                 mission (2 items) and the fence (5 items)"
                    .into()
            )
        );
        let mut peer = Peer {
            refuse: Some(Type::MAV_MISSION_TYPE_MISSION),
            ..Peer::default()
        };
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())),
            Err(
                "vehicle 1 rejected the mission: ERROR; nothing was uploaded; not uploaded: \
                 the fence and the rally points"
                    .into()
            )
        );
    }

    #[test]
    fn a_silent_part_times_out_naming_the_part() {
        let mut peer = Peer {
            silent_about: Some(Type::MAV_MISSION_TYPE_RALLY),
            ..Peer::default()
        };
        let Err(reason) = run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())) else {
            panic!()
        };
        assert_eq!(
            reason,
            "rally points upload with vehicle 1 timed out: no answer to MISSION_COUNT after 5 \
             tries; uploaded before that: the mission (2 items) and the fence (5 items)"
        );
        let Err(reason) = run(&mut peer, Firmware::ArduCopter, MissionOp::Download) else {
            panic!()
        };
        assert!(
            reason.starts_with(
                "rally points download with vehicle 1 timed out: no answer to \
                 MISSION_REQUEST_LIST after 5 tries; downloaded before that: the mission \
                 (2 items) and the fence (5 items)"
            ),
            "{reason}"
        );
    }

    #[test]
    fn a_vehicle_without_fence_support_takes_missions_but_not_fences() {
        let mut peer = Peer {
            no_fence_or_rally: true,
            ..Peer::default()
        };
        let mut bare = plan();
        bare.fence = Fence::default();
        bare.rally.clear();
        assert!(matches!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(bare)),
            Ok(MissionOutcome::Uploaded { .. })
        ));
        let Ok(MissionOutcome::Downloaded(back)) =
            run(&mut peer, Firmware::ArduCopter, MissionOp::Download)
        else {
            panic!()
        };
        assert!(back.fence.is_empty() && back.rally.is_empty() && back.items.len() == 2);
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Clear),
            Ok(MissionOutcome::Cleared)
        );
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())),
            Err(
                "vehicle 1 rejected the fence: UNSUPPORTED; uploaded before that: the \
                 mission (2 items); not uploaded: the rally points"
                    .into()
            )
        );
    }

    #[test]
    fn a_mavlink1_vehicle_gets_the_mission_only() {
        let mut transfers = MissionTransfers::default();
        let v1 = Route {
            version: MavVersion::V1,
            ..route(Firmware::ArduCopter)
        };
        let (reply, outcome) = bounded(1);
        let mut out = Vec::new();
        transfers.start(v1, MissionOp::Upload(plan()), reply, TimeUs(0), &mut out);
        assert!(out.is_empty() && !transfers.is_busy());
        assert_eq!(
            outcome.try_recv(),
            Ok(Err(
                "vehicle 1 speaks MAVLink 1, which cannot carry the fence: nothing \
                    was uploaded"
                    .into()
            ))
        );
        let mut bare = plan();
        bare.fence = Fence::default();
        bare.rally.clear();
        let (reply, _outcome) = bounded(1);
        transfers.start(v1, MissionOp::Upload(bare), reply, TimeUs(0), &mut out);
        assert_eq!(transfers.active[&1].parts.len(), 1, "the mission alone");
    }

    #[test]
    fn fences_from_the_wire_are_checked() {
        let item = |command: mav::MavCmd, param1: f32| mav::MISSION_ITEM_INT_DATA {
            command,
            param1,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL,
            mission_type: Type::MAV_MISSION_TYPE_FENCE,
            ..Default::default()
        };
        use mav::MavCmd::*;
        let v = MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION;
        let short = [item(v, 4.0), item(v, 4.0), item(v, 4.0)];
        assert_eq!(
            fence_from_wire(&short),
            Err(
                "fence item 0: a polygon vertex whose vertex count (param1) is 4, with 3 items left"
                    .into()
            )
        );
        let mixed = [item(v, 3.0), item(v, 3.0), item(v, 4.0)];
        assert_eq!(
            fence_from_wire(&mixed),
            Err("fence items 0..2: a polygon of 3 vertices is cut short".into())
        );
        assert_eq!(
            fence_from_wire(&[item(v, 2.5)]),
            Err(
                "fence item 0: a polygon vertex whose vertex count (param1) is 2.5, with 1 items left"
                    .into()
            )
        );
        // A vehicle's absurd count is refused, not added up.
        assert!(fence_from_wire(&[item(v, 1e30)]).is_err());
        assert_eq!(
            fence_from_wire(&[item(MAV_CMD_NAV_WAYPOINT, 0.0)]),
            Err("fence item 0: command 16 is not a fence command".into())
        );
        let two = [
            item(v, 3.0),
            item(v, 3.0),
            item(v, 3.0),
            item(v, 3.0),
            item(v, 3.0),
            item(v, 3.0),
        ];
        let fence = fence_from_wire(&two).unwrap();
        assert_eq!(fence.polygons.len(), 2);
        assert!(!fence.polygons[0].inclusion);
        // A rally point kept above mean sea level is made relative to home.
        let amsl = mav::MISSION_ITEM_INT_DATA {
            command: MAV_CMD_NAV_RALLY_POINT,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL,
            z: 620.0,
            ..Default::default()
        };
        let home = GeoPoint {
            lat_deg: 0.0,
            lon_deg: 0.0,
            alt_m: 584.0,
        };
        assert_eq!(
            rally_from_wire(std::slice::from_ref(&amsl), Some(home)).unwrap()[0].alt_m,
            36.0
        );
        assert!(rally_from_wire(&[amsl], None).is_err());
    }

    #[test]
    #[allow(deprecated, reason = "MISSION_ITEM is what older firmware sends")]
    fn float_items_keep_their_mission_type() {
        let item = mav::MISSION_ITEM_DATA {
            mission_type: Type::MAV_MISSION_TYPE_RALLY,
            x: -35.5,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            ..Default::default()
        };
        let int = int_from_float_item(&item);
        assert_eq!(
            (int.mission_type, int.x),
            (Type::MAV_MISSION_TYPE_RALLY, -355_000_000)
        );
    }

    impl MissionOutcome {
        fn to_string_for_test(&self) -> String {
            match self {
                MissionOutcome::Uploaded { items } => items.to_string(),
                other => format!("{other:?}"),
            }
        }
    }
}
