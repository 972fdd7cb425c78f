//! The MAVLink parameter protocol, ground side: fetch all (PARAM_REQUEST_LIST, then fill the
//! gaps one by one with PARAM_REQUEST_READ), read one, and set one (PARAM_SET, confirmed by the
//! vehicle's PARAM_VALUE echo). PX4 packs integer parameters bytewise into the float field;
//! ArduPilot casts them; both are decoded to the number the operator means.

use std::collections::BTreeMap;
use std::time::Duration;

use crossbeam_channel::Sender;

use super::{Outgoing, Route};
use vigil_core::time::TimeUs;
use vigil_protocol::modes::Firmware;
use vigil_protocol::{MavMessage, mav, text_from_chars};

/// Silence that ends a burst of PARAM_VALUE (then missing ones are requested one by one).
pub const PARAM_GAP_TIMEOUT: Duration = Duration::from_millis(1000);
/// Rounds of re-requests without progress before a transfer fails.
pub const PARAM_MAX_TRIES: u32 = 5;
/// Missing parameters re-requested per round, to keep a slow radio from choking.
const PARAM_REREQUEST_BATCH: usize = 16;

/// A parameter operation.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamOp {
    FetchAll,
    Read(String),
    Set(String, f64),
}

/// One parameter as the vehicle reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamValue {
    pub name: String,
    pub value: f64,
    /// MAV_PARAM_TYPE (1-10).
    pub param_type: u8,
    pub index: u16,
}

/// Why a parameter operation did not end well; the texts are what the operator reads.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    #[error("no vehicle with system id {sysid}")]
    NoVehicle { sysid: u8 },
    #[error("a parameter transfer with vehicle {sysid} is already in progress")]
    Busy { sysid: u8 },
    #[error("{name:?} is not a parameter name (1-16 letters, digits, _)")]
    BadName { name: String },
    /// The vehicle answered a set with another value (out of range, read-only...).
    #[error("vehicle {sysid} kept {name} = {kept} (asked for {asked})")]
    Refused {
        sysid: u8,
        name: String,
        kept: f64,
        asked: f64,
    },
    /// No (complete) answer after `tries` rounds of requests.
    #[error("parameter transfer with vehicle {sysid} timed out after {tries} tries: {missing}")]
    TimedOut {
        sysid: u8,
        tries: u32,
        missing: Missing,
    },
}

/// What a parameter transfer that timed out lacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Missing {
    /// A fetch of all parameters heard nothing.
    Everything,
    /// A fetch of all parameters lacks `missing` of `count`.
    Some { missing: usize, count: u16 },
    /// A read or set had no answer for this parameter.
    Param(String),
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Everything => write!(f, "no parameters received"),
            Self::Some { missing, count } => write!(f, "{missing} of {count} parameters missing"),
            Self::Param(name) => write!(f, "no answer for {name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamOutcome {
    /// All parameters, sorted by name.
    All(Vec<ParamValue>),
    One(ParamValue),
}

#[derive(Debug)]
enum Stage {
    All {
        count: Option<u16>,
        got: BTreeMap<u16, ParamValue>,
    },
    Read(String),
    Set {
        name: String,
        value: f64,
    },
}

#[derive(Debug)]
struct Transfer {
    route: Route,
    stage: Stage,
    tries: u32,
    deadline: TimeUs,
    reply: Sender<Result<ParamOutcome, ParamError>>,
}

/// Parameter transfers in flight, at most one per vehicle, and the types seen per parameter
/// (PARAM_SET must carry the parameter's type).
#[derive(Debug, Default)]
pub(crate) struct ParamTransfers {
    active: BTreeMap<u8, Transfer>,
    types: BTreeMap<(u8, String), mav::MavParamType>,
}

fn param_id(name: &str) -> mavlink_core::types::CharArray<16> {
    name.into()
}

/// Decodes PARAM_VALUE's float to the number it stands for.
fn decode_value(raw: f32, param_type: mav::MavParamType, firmware: Firmware) -> f64 {
    use mav::MavParamType::*;
    if firmware != Firmware::Px4 {
        return f64::from(raw);
    }
    let bits = raw.to_bits();
    match param_type {
        MAV_PARAM_TYPE_UINT8 => f64::from(bits as u8),
        MAV_PARAM_TYPE_INT8 => f64::from(bits as u8 as i8),
        MAV_PARAM_TYPE_UINT16 => f64::from(bits as u16),
        MAV_PARAM_TYPE_INT16 => f64::from(bits as u16 as i16),
        MAV_PARAM_TYPE_UINT32 => f64::from(bits),
        MAV_PARAM_TYPE_INT32 => f64::from(bits as i32),
        _ => f64::from(raw),
    }
}

/// Encodes a value for PARAM_SET (the inverse of [`decode_value`]).
fn encode_value(value: f64, param_type: mav::MavParamType, firmware: Firmware) -> f32 {
    use mav::MavParamType::*;
    if firmware != Firmware::Px4 {
        return value as f32;
    }
    let int = value.round() as i64;
    let bits = match param_type {
        MAV_PARAM_TYPE_UINT8 | MAV_PARAM_TYPE_INT8 => (int as u8) as u32,
        MAV_PARAM_TYPE_UINT16 | MAV_PARAM_TYPE_INT16 => (int as u16) as u32,
        MAV_PARAM_TYPE_UINT32 | MAV_PARAM_TYPE_INT32 => int as u32,
        _ => return value as f32,
    };
    f32::from_bits(bits)
}

impl ParamTransfers {
    pub fn is_busy(&self) -> bool {
        !self.active.is_empty()
    }

    pub fn start(
        &mut self,
        route: Route,
        op: ParamOp,
        reply: Sender<Result<ParamOutcome, ParamError>>,
        now: TimeUs,
        out: &mut Vec<Outgoing>,
    ) {
        if self.active.contains_key(&route.sysid) {
            let _ = reply.try_send(Err(ParamError::Busy { sysid: route.sysid }));
            return;
        }
        let stage = match op {
            ParamOp::FetchAll => Stage::All {
                count: None,
                got: BTreeMap::new(),
            },
            ParamOp::Read(name) | ParamOp::Set(name, _) if !valid_name(&name) => {
                let _ = reply.try_send(Err(ParamError::BadName { name }));
                return;
            }
            ParamOp::Read(name) => Stage::Read(name),
            ParamOp::Set(name, value) => Stage::Set { name, value },
        };
        let transfer = Transfer {
            route,
            stage,
            tries: 1,
            deadline: now.plus(PARAM_GAP_TIMEOUT),
            reply,
        };
        out.extend(self.requests(&transfer));
        self.active.insert(route.sysid, transfer);
    }

    /// What to (re)send for a transfer in its current state.
    fn requests(&self, transfer: &Transfer) -> Vec<Outgoing> {
        let route = transfer.route;
        let (target_system, target_component) = (route.sysid, route.compid);
        let read = |name: &str, index: i16| {
            route.send(MavMessage::PARAM_REQUEST_READ(
                mav::PARAM_REQUEST_READ_DATA {
                    param_index: index,
                    target_system,
                    target_component,
                    param_id: param_id(name),
                },
            ))
        };
        match &transfer.stage {
            Stage::All { count: None, .. } => vec![route.send(MavMessage::PARAM_REQUEST_LIST(
                mav::PARAM_REQUEST_LIST_DATA {
                    target_system,
                    target_component,
                },
            ))],
            Stage::All {
                count: Some(count),
                got,
            } => (0..*count)
                .filter(|index| !got.contains_key(index))
                .take(PARAM_REREQUEST_BATCH)
                .map(|index| read("", index as i16))
                .collect(),
            Stage::Read(name) => vec![read(name, -1)],
            Stage::Set { name, value } => {
                let param_type = self
                    .types
                    .get(&(route.sysid, name.clone()))
                    .copied()
                    .unwrap_or(mav::MavParamType::MAV_PARAM_TYPE_REAL32);
                vec![route.send(MavMessage::PARAM_SET(mav::PARAM_SET_DATA {
                    param_value: encode_value(*value, param_type, route.firmware),
                    target_system,
                    target_component,
                    param_id: param_id(name),
                    param_type,
                }))]
            }
        }
    }

    pub fn on_value(&mut self, sysid: u8, value: &mav::PARAM_VALUE_DATA, now: TimeUs) {
        let name = text_from_chars(value.param_id.as_slice());
        self.types.insert((sysid, name.clone()), value.param_type);
        let Some(transfer) = self.active.get_mut(&sysid) else {
            return;
        };
        let param = ParamValue {
            value: decode_value(value.param_value, value.param_type, transfer.route.firmware),
            name,
            param_type: value.param_type as u8,
            index: value.param_index,
        };
        let done = match &mut transfer.stage {
            Stage::All { count, got } => {
                *count = Some(value.param_count);
                if param.index < value.param_count {
                    got.insert(param.index, param);
                    transfer.tries = 1;
                }
                transfer.deadline = now.plus(PARAM_GAP_TIMEOUT);
                (got.len() >= usize::from(value.param_count)).then(|| {
                    let mut all: Vec<_> = std::mem::take(got).into_values().collect();
                    all.sort_by(|a, b| a.name.cmp(&b.name));
                    Ok(ParamOutcome::All(all))
                })
            }
            Stage::Read(wanted) => (param.name == *wanted).then_some(Ok(ParamOutcome::One(param))),
            Stage::Set { name, value } if param.name == *name => {
                let tolerance = (value.abs() * 1e-6).max(1e-6);
                Some(if (param.value - *value).abs() <= tolerance {
                    Ok(ParamOutcome::One(param))
                } else {
                    Err(ParamError::Refused {
                        sysid,
                        name: name.clone(),
                        kept: param.value,
                        asked: *value,
                    })
                })
            }
            Stage::Set { .. } => None,
        };
        if let Some(result) = done
            && let Some(transfer) = self.active.remove(&sysid)
        {
            let _ = transfer.reply.try_send(result);
        }
    }

    pub fn tick(&mut self, now: TimeUs, out: &mut Vec<Outgoing>) {
        let due: Vec<u8> = self
            .active
            .iter()
            .filter(|(_, t)| now >= t.deadline)
            .map(|(s, _)| *s)
            .collect();
        for sysid in due {
            let Some(transfer) = self.active.get(&sysid) else {
                continue;
            };
            if transfer.tries >= PARAM_MAX_TRIES {
                if let Some(transfer) = self.active.remove(&sysid) {
                    let missing = match transfer.stage {
                        Stage::All {
                            count: Some(count),
                            got,
                        } => Missing::Some {
                            missing: usize::from(count).saturating_sub(got.len()),
                            count,
                        },
                        Stage::All { count: None, .. } => Missing::Everything,
                        Stage::Read(name) | Stage::Set { name, .. } => Missing::Param(name),
                    };
                    let _ = transfer.reply.try_send(Err(ParamError::TimedOut {
                        sysid,
                        tries: transfer.tries,
                        missing,
                    }));
                }
                continue;
            }
            let resend = self.requests(transfer);
            out.extend(resend);
            if let Some(transfer) = self.active.get_mut(&sysid) {
                transfer.tries += 1;
                transfer.deadline = now.plus(PARAM_GAP_TIMEOUT);
            }
        }
    }
}

/// Parameter names are 1-16 characters of letters, digits and underscores.
pub fn valid_name(name: &str) -> bool {
    (1..=16).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn px4_integers_are_bytewise_and_ardupilot_casts() {
        use mav::MavParamType::*;
        let raw = f32::from_bits(1234);
        assert_eq!(
            decode_value(raw, MAV_PARAM_TYPE_INT32, Firmware::Px4),
            1234.0
        );
        assert_eq!(
            encode_value(1234.0, MAV_PARAM_TYPE_INT32, Firmware::Px4).to_bits(),
            1234
        );
        assert_eq!(
            decode_value(-3.5, MAV_PARAM_TYPE_REAL32, Firmware::Px4),
            -3.5
        );
        assert_eq!(
            decode_value(5.0, MAV_PARAM_TYPE_INT8, Firmware::ArduCopter),
            5.0
        );
        let negative = encode_value(-2.0, MAV_PARAM_TYPE_INT8, Firmware::Px4);
        assert_eq!(
            decode_value(negative, MAV_PARAM_TYPE_INT8, Firmware::Px4),
            -2.0
        );
    }

    #[test]
    fn parameter_names_are_checked() {
        assert!(valid_name("ARMING_CHECK"));
        assert!(!valid_name("TOO_LONG_PARAMETER_NAME"));
        assert!(!valid_name(""));
        assert!(!valid_name("BAD NAME"));
    }
}
