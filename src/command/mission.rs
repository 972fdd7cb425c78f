//! The MAVLink mission protocol, ground side: upload (MISSION_COUNT, then one MISSION_ITEM_INT
//! per request), download (MISSION_REQUEST_LIST, MISSION_COUNT, then each item by request)
//! and clear, each with retries and a timeout. ArduPilot keeps home as item 0 and PX4 does not;
//! [`Mission`] keeps home apart, so the same file uploads to both.

use std::collections::BTreeMap;
use std::time::Duration;

use crossbeam_channel::Sender;
use num_traits::FromPrimitive;

use super::{Outgoing, Route};
use crate::mission::{GeoPoint, Mission, MissionItem, is_global_frame};
use crate::protocol::{MavMessage, deg_from_e7, e7_from_deg, mav};
use crate::time::TimeUs;

/// Wait for the vehicle's next request or acknowledgement before sending again.
pub const MISSION_TIMEOUT: Duration = Duration::from_millis(1500);
/// Sends of the same message before the transfer fails.
pub const MISSION_MAX_TRIES: u32 = 5;

/// A mission operation.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionOp {
    Upload(Mission),
    Download,
    Clear,
}

/// How a mission operation ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum MissionOutcome {
    Uploaded { items: usize },
    Downloaded(Mission),
    Cleared,
}

#[derive(Debug)]
enum Stage {
    /// Uploading these wire items (home first for ArduPilot).
    Upload(Vec<mav::MISSION_ITEM_INT_DATA>),
    /// Downloading: the count once known, and the items so far.
    Download {
        count: Option<u16>,
        items: Vec<mav::MISSION_ITEM_INT_DATA>,
    },
    Clear,
}

#[derive(Debug)]
struct Transfer {
    route: Route,
    stage: Stage,
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
        let (target_system, target_component) = (route.sysid, route.compid);
        let (stage, first) = match op {
            MissionOp::Upload(mission) => {
                let items = match wire_items(&mission, route.firmware.is_ardupilot(), route) {
                    Ok(items) => items,
                    Err(reason) => {
                        let _ = reply.try_send(Err(reason));
                        return;
                    }
                };
                let count = MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
                    count: items.len() as u16,
                    target_system,
                    target_component,
                    ..Default::default()
                });
                (Stage::Upload(items), count)
            }
            MissionOp::Download => (
                Stage::Download {
                    count: None,
                    items: Vec::new(),
                },
                MavMessage::MISSION_REQUEST_LIST(mav::MISSION_REQUEST_LIST_DATA {
                    target_system,
                    target_component,
                    ..Default::default()
                }),
            ),
            MissionOp::Clear => (
                Stage::Clear,
                MavMessage::MISSION_CLEAR_ALL(mav::MISSION_CLEAR_ALL_DATA {
                    target_system,
                    target_component,
                    ..Default::default()
                }),
            ),
        };
        out.push(route.send(first.clone()));
        self.active.insert(
            route.sysid,
            Transfer {
                route,
                stage,
                last_sent: first,
                tries: 1,
                deadline: now.plus(MISSION_TIMEOUT),
                reply,
            },
        );
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
            Step::Send(next) => {
                out.push(transfer.route.send(next.clone()));
                transfer.last_sent = next;
                transfer.tries = 1;
                transfer.deadline = now.plus(MISSION_TIMEOUT);
            }
            Step::Done(result, last) => {
                if let Some(last) = last {
                    out.push(transfer.route.send(last));
                }
                if let Some(transfer) = self.active.remove(&sysid) {
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
                let _ = transfer.reply.try_send(Err(format!(
                    "mission transfer with vehicle {sysid} timed out: no answer to {name} after {} tries",
                    transfer.tries
                )));
            }
        }
    }
}

enum Step {
    Wait,
    Send(MavMessage),
    Done(Result<MissionOutcome, String>, Option<MavMessage>),
}

impl Transfer {
    fn ack(&self, kind: mav::MavMissionResult) -> MavMessage {
        MavMessage::MISSION_ACK(mav::MISSION_ACK_DATA {
            target_system: self.route.sysid,
            target_component: self.route.compid,
            mavtype: kind,
            ..Default::default()
        })
    }

    #[allow(
        deprecated,
        reason = "firmware older than 2020 still sends MISSION_REQUEST and MISSION_ITEM; the protocol asks us to answer them"
    )]
    fn step(&mut self, message: &MavMessage) -> Step {
        let route = self.route;
        if mission_type_of(message)
            .is_some_and(|t| t != mav::MavMissionType::MAV_MISSION_TYPE_MISSION)
        {
            return Step::Wait; // a geofence or rally transfer, not this one
        }
        match (&mut self.stage, message) {
            (
                Stage::Upload(items),
                MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA { seq, .. }),
            )
            | (
                Stage::Upload(items),
                MavMessage::MISSION_REQUEST(mav::MISSION_REQUEST_DATA { seq, .. }),
            ) => match items.get(usize::from(*seq)) {
                Some(item) => Step::Send(MavMessage::MISSION_ITEM_INT(item.clone())),
                None => Step::Done(
                    Err(format!(
                        "vehicle {} asked for mission item {seq} of {}",
                        route.sysid,
                        items.len()
                    )),
                    Some(self.ack(mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE)),
                ),
            },
            // ArduPilot answers an item out of order with this and asks again: not an ending.
            (Stage::Upload(_), MavMessage::MISSION_ACK(ack))
                if ack.mavtype == mav::MavMissionResult::MAV_MISSION_INVALID_SEQUENCE =>
            {
                Step::Wait
            }
            (Stage::Upload(items), MavMessage::MISSION_ACK(ack)) => Step::Done(
                match ack.mavtype {
                    mav::MavMissionResult::MAV_MISSION_ACCEPTED => {
                        Ok(MissionOutcome::Uploaded { items: items.len() })
                    }
                    other => Err(format!(
                        "vehicle {} rejected the mission: {}",
                        route.sysid,
                        mission_result_name(other)
                    )),
                },
                None,
            ),
            (Stage::Clear, MavMessage::MISSION_ACK(ack)) => Step::Done(
                match ack.mavtype {
                    mav::MavMissionResult::MAV_MISSION_ACCEPTED => Ok(MissionOutcome::Cleared),
                    other => Err(format!(
                        "vehicle {} refused to clear its mission: {}",
                        route.sysid,
                        mission_result_name(other)
                    )),
                },
                None,
            ),
            (Stage::Download { count, items }, MavMessage::MISSION_COUNT(c)) if count.is_none() => {
                *count = Some(c.count);
                if c.count == 0 {
                    let ack = self.ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED);
                    return Step::Done(
                        Ok(MissionOutcome::Downloaded(Mission::default())),
                        Some(ack),
                    );
                }
                items.clear();
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
        let Stage::Download { items, .. } = &mut self.stage else {
            return Step::Wait;
        };
        items.push(item);
        if items.len() < usize::from(count) {
            return Step::Send(self.request_item(have as u16 + 1));
        }
        let ardupilot = self.route.firmware.is_ardupilot();
        let result = mission_from_wire(items, ardupilot);
        let ack = self.ack(mav::MavMissionResult::MAV_MISSION_ACCEPTED);
        Step::Done(result.map(MissionOutcome::Downloaded), Some(ack))
    }

    fn request_item(&self, seq: u16) -> MavMessage {
        MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA {
            seq,
            target_system: self.route.sysid,
            target_component: self.route.compid,
            ..Default::default()
        })
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

/// The items to upload: for ArduPilot, home first (from the plan, or zeros which ArduPilot
/// replaces with its own home).
fn wire_items(
    mission: &Mission,
    home_first: bool,
    route: Route,
) -> Result<Vec<mav::MISSION_ITEM_INT_DATA>, String> {
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
    if items.len() > usize::from(u16::MAX) {
        return Err(format!(
            "a mission of {} items is too long for MAVLink",
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(seq, item)| {
            let file_index = if home_first { seq } else { seq + 1 };
            let command = mav::MavCmd::from_u16(item.command).ok_or_else(|| {
                format!(
                    "mission item {file_index}: command {} is not a MAVLink command",
                    item.command
                )
            })?;
            let frame = mav::MavFrame::from_u8(item.frame).ok_or_else(|| {
                format!(
                    "mission item {file_index}: frame {} is not a MAVLink frame",
                    item.frame
                )
            })?;
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
                current: u8::from(seq == 0),
                autocontinue: u8::from(item.autocontinue),
                ..Default::default()
            })
        })
        .collect()
}

fn mission_from_wire(
    items: &[mav::MISSION_ITEM_INT_DATA],
    home_first: bool,
) -> Result<Mission, String> {
    let mut converted = items.iter().map(|wire| {
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
    });
    let home = if home_first {
        converted.next().map(|h| GeoPoint {
            lat_deg: h.x,
            lon_deg: h.y,
            alt_m: f64::from(h.z),
        })
    } else {
        None
    };
    Ok(Mission {
        home,
        items: converted.collect(),
    })
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
        ..Default::default()
    }
}
