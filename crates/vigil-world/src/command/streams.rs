//! Telemetry on request. ArduPilot starts with every stream rate at zero: until a ground
//! station asks, a vehicle sends heartbeats, status texts and answers, and nothing else — no
//! position, attitude, GPS or battery. So, as QGroundControl and Mission Planner do, Vigil asks
//! each vehicle it discovers for the messages the station shows, at rates that suit the link:
//! MAV_CMD_SET_MESSAGE_INTERVAL per message, falling back to the older REQUEST_DATA_STREAM
//! when the vehicle refuses the first or nothing arrives. It then watches that the messages
//! come, and asks again when they stop while the vehicle is still heard (a reboot forgets the
//! rates; so does a vehicle whose rates another program turned down).
//!
//! Rates: on a telemetry radio (a serial link at up to 115200 baud that is not a USB flight
//! controller; 57600 baud is about 5,760 bytes a second, shared by every vehicle on it and by
//! commands) the station asks for about 420 bytes a second a vehicle, the intervals multiplied
//! by the number of vehicles heard on the same radio; on
//! UDP and TCP it asks for the rates a map and instruments need to look smooth.

#![allow(
    deprecated,
    reason = "REQUEST_DATA_STREAM is superseded, and still the only way into older ArduPilot firmware"
)]

use std::collections::BTreeMap;
use std::time::Duration;

use crate::command::{Outgoing, Route};
use crate::{Health, World};
use vigil_core::time::TimeUs;
use vigil_link::LinkId;
use vigil_protocol::{MavMessage, mav};

/// After asking, wait this long before checking that the messages come.
pub const STREAM_CHECK_AFTER: Duration = Duration::from_secs(3);
/// A message counts as arriving when it was heard within this many of its intervals (and at
/// least [`STREAM_CHECK_AFTER`]).
const STALE_INTERVALS: u32 = 4;
/// Asks with SET_MESSAGE_INTERVAL this many times before falling back to REQUEST_DATA_STREAM.
const INTERVAL_TRIES: u32 = 2;
/// The longest wait between two requests to a vehicle whose telemetry does not come.
const MAX_RETRY_PERIOD: Duration = Duration::from_secs(30);
/// Acknowledgements of SET_MESSAGE_INTERVAL are expected for this long after asking.
const ACK_WINDOW: Duration = Duration::from_secs(5);
/// A boot clock (time_boot_ms) that goes back by more than this means the vehicle rebooted.
const REBOOT_JUMP_MS: u32 = 5_000;

/// How much a link can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkClass {
    /// A serial telemetry radio: a few kilobytes a second, shared.
    Radio,
    /// UDP, TCP or a USB cable: no practical limit for telemetry.
    Fast,
}

/// One message the station wants and at what interval on each class of link.
struct Wanted {
    id: u32,
    name: &'static str,
    radio: Duration,
    fast: Duration,
    /// The station's picture depends on it: re-asked when it does not come.
    required: bool,
}

const fn ms(value: u64) -> Duration {
    Duration::from_millis(value)
}

/// What the station asks every vehicle for.
#[rustfmt::skip] // A table: one message a line.
const WANTED: &[Wanted] = &[
    Wanted { id: 33, name: "GLOBAL_POSITION_INT", radio: ms(500), fast: ms(200), required: true },
    Wanted { id: 30, name: "ATTITUDE", radio: ms(500), fast: ms(100), required: true },
    Wanted { id: 74, name: "VFR_HUD", radio: ms(1000), fast: ms(250), required: true },
    Wanted { id: 1, name: "SYS_STATUS", radio: ms(1000), fast: ms(500), required: true },
    Wanted { id: 24, name: "GPS_RAW_INT", radio: ms(1000), fast: ms(500), required: true },
    Wanted { id: 147, name: "BATTERY_STATUS", radio: ms(2000), fast: ms(1000), required: false },
    Wanted { id: 2, name: "SYSTEM_TIME", radio: ms(5000), fast: ms(1000), required: false },
    Wanted { id: 245, name: "EXTENDED_SYS_STATE", radio: ms(2000), fast: ms(1000), required: false },
    Wanted { id: 42, name: "MISSION_CURRENT", radio: ms(2000), fast: ms(1000), required: false },
    Wanted { id: 242, name: "HOME_POSITION", radio: ms(10000), fast: ms(5000), required: false },
    Wanted { id: 285, name: "GIMBAL_DEVICE_ATTITUDE_STATUS", radio: ms(1000), fast: ms(500), required: false },
    Wanted { id: 271, name: "CAMERA_FOV_STATUS", radio: ms(2000), fast: ms(1000), required: false },
];

/// ArduPilot's stream groups and rates (Hz) on a radio and on a fast link, for the fallback.
const DATA_STREAMS: &[(mav::MavDataStream, u16, u16)] = &[
    (mav::MavDataStream::MAV_DATA_STREAM_EXTENDED_STATUS, 1, 2),
    (mav::MavDataStream::MAV_DATA_STREAM_POSITION, 2, 5),
    (mav::MavDataStream::MAV_DATA_STREAM_EXTRA1, 2, 10),
    (mav::MavDataStream::MAV_DATA_STREAM_EXTRA2, 1, 4),
    (mav::MavDataStream::MAV_DATA_STREAM_EXTRA3, 1, 1),
];

/// How the station asks a vehicle for its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMethod {
    MessageInterval,
    DataStream,
}

/// What the station knows of one vehicle's streams (shown in the console's links tab).
#[derive(Debug, Clone, PartialEq)]
pub struct StreamState {
    pub link: LinkId,
    /// The autopilot's component id.
    pub compid: u8,
    pub method: StreamMethod,
    /// Requests sent since the telemetry last came as asked.
    pub tries: u32,
    pub requested_at: Option<TimeUs>,
    /// True once every required message arrives at about the rate asked.
    pub flowing: bool,
    /// Acknowledgements that refused a SET_MESSAGE_INTERVAL.
    pub refused: u32,
    /// When each message was last heard, by message id.
    last_heard: BTreeMap<u32, TimeUs>,
    /// The vehicle's boot clock as last reported, to notice a reboot.
    boot_ms: Option<u32>,
    /// Intervals asked multiply by this (vehicles sharing a radio).
    share: u32,
}

/// Stream requests for every vehicle.
#[derive(Debug, Default)]
pub struct StreamRequests {
    vehicles: BTreeMap<u8, StreamState>,
    /// Each link's class, by link index (fast when unknown).
    links: Vec<LinkClass>,
    /// Whether requests are sent at all (not in a replay).
    enabled: bool,
    /// What the operator should be told.
    notices: Vec<(u8, String)>,
}

impl StreamRequests {
    pub fn new(links: Vec<LinkClass>, enabled: bool) -> Self {
        Self {
            links,
            enabled,
            ..Self::default()
        }
    }

    /// The state of each vehicle's streams.
    pub fn states(&self) -> &BTreeMap<u8, StreamState> {
        &self.vehicles
    }

    pub fn take_notices(&mut self) -> Vec<(u8, String)> {
        std::mem::take(&mut self.notices)
    }

    fn class(&self, link: LinkId) -> LinkClass {
        self.links
            .get(usize::from(link.0))
            .copied()
            .unwrap_or(LinkClass::Fast)
    }

    /// Notes what arrived from a vehicle.
    pub fn on_message(&mut self, sysid: u8, compid: u8, message: &MavMessage, now: TimeUs) {
        let Some(state) = self.vehicles.get_mut(&sysid) else {
            return;
        };
        state
            .last_heard
            .insert(mavlink_core::Message::message_id(message), now);
        // The autopilot's own boot clock: a companion computer or a gimbal under the same
        // system id has a clock of its own.
        let boot_ms = match message {
            _ if compid != state.compid => None,
            MavMessage::ATTITUDE(a) => Some(a.time_boot_ms),
            MavMessage::SYSTEM_TIME(t) => Some(t.time_boot_ms),
            _ => None,
        };
        if let Some(boot_ms) = boot_ms {
            if state
                .boot_ms
                .is_some_and(|last| boot_ms.saturating_add(REBOOT_JUMP_MS) < last)
            {
                // Rebooted: its stream rates are gone.
                state.requested_at = None;
                state.tries = 0;
                state.method = StreamMethod::MessageInterval;
                self.notices.push((
                    sysid,
                    format!("vehicle {sysid}: rebooted; asking for its telemetry again"),
                ));
            }
            state.boot_ms = Some(boot_ms);
        }
    }

    /// Takes an acknowledgement of SET_MESSAGE_INTERVAL that answers a request of ours;
    /// false when it is none of ours.
    pub fn on_ack(&mut self, sysid: u8, ack: &mav::COMMAND_ACK_DATA, now: TimeUs) -> bool {
        if !matches!(
            ack.command,
            mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL | mav::MavCmd::MAV_CMD_REQUEST_MESSAGE
        ) {
            return false;
        }
        let Some(state) = self.vehicles.get_mut(&sysid) else {
            return false;
        };
        let expected = state
            .requested_at
            .is_some_and(|at| now.since(at) < ACK_WINDOW);
        if expected
            && ack.command == mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL
            && ack.result != mav::MavResult::MAV_RESULT_ACCEPTED
        {
            state.refused += 1;
        }
        expected
    }

    /// Asks new vehicles for their telemetry and checks that it comes.
    pub fn tick(&mut self, world: &World, now: TimeUs, out: &mut Vec<Outgoing>) {
        if !self.enabled {
            return;
        }
        self.vehicles
            .retain(|sysid, _| world.vehicles.contains_key(sysid));
        let mut per_link: BTreeMap<LinkId, u32> = BTreeMap::new();
        for vehicle in world
            .vehicles
            .values()
            .filter(|v| v.health == Health::Fresh)
        {
            *per_link.entry(vehicle.link).or_default() += 1;
        }
        for vehicle in world.vehicles.values() {
            if vehicle.health != Health::Fresh {
                continue;
            }
            let class = self.class(vehicle.link);
            let share = match class {
                LinkClass::Radio => per_link.get(&vehicle.link).copied().unwrap_or(1).max(1),
                LinkClass::Fast => 1,
            };
            let state = self
                .vehicles
                .entry(vehicle.sysid)
                .or_insert_with(|| StreamState {
                    link: vehicle.link,
                    compid: vehicle.compid,
                    method: StreamMethod::MessageInterval,
                    tries: 0,
                    requested_at: None,
                    flowing: false,
                    refused: 0,
                    last_heard: BTreeMap::new(),
                    boot_ms: None,
                    share,
                });
            if state.link != vehicle.link || state.share != share {
                // Heard on another link, or the radio is shared differently: ask again there.
                state.link = vehicle.link;
                state.share = share;
                state.requested_at = None;
                state.tries = 0;
            }
            let route = Route::to(vehicle);
            let due = match state.requested_at {
                None => true,
                Some(at) => {
                    let flowing = arriving(state, class, now);
                    if flowing && !state.flowing {
                        state.tries = 0;
                    }
                    if !flowing && state.flowing {
                        self.notices.push((
                            vehicle.sysid,
                            format!(
                                "vehicle {}: telemetry stopped while the vehicle is heard; asking again",
                                vehicle.sysid
                            ),
                        ));
                    }
                    state.flowing = flowing;
                    let wait = STREAM_CHECK_AFTER
                        .saturating_mul(1 << state.tries.saturating_sub(1).min(4))
                        .min(MAX_RETRY_PERIOD);
                    !flowing && now.since(at) >= wait
                }
            };
            if !due {
                continue;
            }
            if state.requested_at.is_some()
                && state.method == StreamMethod::MessageInterval
                && (state.tries >= INTERVAL_TRIES || state.refused > 0)
                && route.firmware.is_ardupilot()
            {
                state.method = StreamMethod::DataStream;
                self.notices.push((
                    vehicle.sysid,
                    format!(
                        "vehicle {}: no telemetry after SET_MESSAGE_INTERVAL; asking with REQUEST_DATA_STREAM",
                        vehicle.sysid
                    ),
                ));
            } else if state.requested_at.is_some() && state.tries == INTERVAL_TRIES + 1 {
                self.notices.push((
                    vehicle.sysid,
                    format!(
                        "vehicle {}: sends no position, attitude or GPS although asked {} times",
                        vehicle.sysid, state.tries
                    ),
                ));
            }
            state.tries += 1;
            state.requested_at = Some(now);
            ask_for_telemetry(&route, state.method, class, share, out);
        }
    }
}

/// Asks for home now (the map and the altitudes need it rather than at its slow interval),
/// and for every stream Vigil wants, at the link's rates shared by `share` vehicles.
fn ask_for_telemetry(
    route: &Route,
    method: StreamMethod,
    class: LinkClass,
    share: u32,
    out: &mut Vec<Outgoing>,
) {
    out.push(route.send(request_message(route, HOME_POSITION_ID)));
    match method {
        StreamMethod::MessageInterval => {
            for wanted in WANTED {
                let interval = interval_of(wanted, class).saturating_mul(share);
                out.push(route.send(set_message_interval(route, wanted.id, interval)));
            }
        }
        StreamMethod::DataStream => {
            for &(stream, radio_hz, fast_hz) in DATA_STREAMS {
                let hz = match class {
                    LinkClass::Radio => (radio_hz / share as u16).max(1),
                    LinkClass::Fast => fast_hz,
                };
                out.push(route.send(MavMessage::REQUEST_DATA_STREAM(
                    mav::REQUEST_DATA_STREAM_DATA {
                        req_message_rate: hz,
                        target_system: route.sysid,
                        target_component: route.compid,
                        req_stream_id: stream,
                        start_stop: 1,
                    },
                )));
            }
        }
    }
}

fn interval_of(wanted: &Wanted, class: LinkClass) -> Duration {
    match class {
        LinkClass::Radio => wanted.radio,
        LinkClass::Fast => wanted.fast,
    }
}

/// Whether every required message has been heard lately enough.
fn arriving(state: &StreamState, class: LinkClass, now: TimeUs) -> bool {
    WANTED.iter().filter(|w| w.required).all(|wanted| {
        let limit = interval_of(wanted, class)
            .saturating_mul(state.share * STALE_INTERVALS)
            .max(STREAM_CHECK_AFTER);
        state
            .last_heard
            .get(&wanted.id)
            .is_some_and(|&at| now.since(at) < limit)
    })
}

/// The names of the messages the station asks for (for documentation and the console).
pub fn wanted_names() -> impl Iterator<Item = &'static str> {
    WANTED.iter().map(|w| w.name)
}

/// HOME_POSITION's message id.
const HOME_POSITION_ID: u32 = 242;

fn request_message(route: &Route, message_id: u32) -> MavMessage {
    MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        param1: message_id as f32,
        param2: 0.0,
        param3: 0.0,
        param4: 0.0,
        param5: 0.0,
        param6: 0.0,
        param7: 0.0,
        command: mav::MavCmd::MAV_CMD_REQUEST_MESSAGE,
        target_system: route.sysid,
        target_component: route.compid,
        confirmation: 0,
    })
}

fn set_message_interval(route: &Route, message_id: u32, interval: Duration) -> MavMessage {
    MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        param1: message_id as f32,
        param2: interval.as_micros() as f32,
        param3: 0.0,
        param4: 0.0,
        param5: 0.0,
        param6: 0.0,
        param7: 0.0,
        command: mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
        target_system: route.sysid,
        target_component: route.compid,
        confirmation: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_link::{Envelope, RxStamp};
    use vigil_protocol::{FrameEncoder, MavVersion};

    const START: TimeUs = TimeUs(1_700_000_000_000_000);

    struct Bench {
        world: World,
        streams: StreamRequests,
        encoder: FrameEncoder,
        now: TimeUs,
    }

    impl Bench {
        fn new(class: LinkClass) -> Self {
            let mut bench = Self {
                world: World::new(),
                streams: StreamRequests::new(vec![class], true),
                encoder: FrameEncoder::new(1, 1),
                now: START,
            };
            bench.receive(heartbeat());
            bench
        }

        fn receive(&mut self, message: MavMessage) {
            let frame = self
                .encoder
                .encode(&message, MavVersion::V2)
                .expect("encodes");
            let envelope = Envelope {
                link: LinkId(0),
                rx: RxStamp {
                    time: self.now,
                    mono: std::time::Instant::now(),
                },
                frame,
                message,
            };
            self.world.apply(&envelope);
            self.streams.on_message(1, 1, &envelope.message, self.now);
        }

        /// Moves time on by `ms` and returns the names of what the station asked.
        fn tick(&mut self, ms: u64) -> Vec<String> {
            self.now = self.now.plus(Duration::from_millis(ms));
            self.world.tick(self.now);
            let mut out = Vec::new();
            self.streams.tick(&self.world, self.now, &mut out);
            out.iter()
                .map(|o| match &o.message {
                    MavMessage::COMMAND_LONG(c)
                        if c.command == mav::MavCmd::MAV_CMD_REQUEST_MESSAGE =>
                    {
                        format!("request {}", c.param1)
                    }
                    MavMessage::COMMAND_LONG(c) => format!("interval {} {}", c.param1, c.param2),
                    other => mavlink_core::Message::message_name(other).to_owned(),
                })
                .collect()
        }

        /// The vehicle sends every required message once.
        fn telemetry(&mut self, boot_ms: u32) {
            self.receive(heartbeat());
            self.receive(MavMessage::GLOBAL_POSITION_INT(Default::default()));
            self.receive(MavMessage::ATTITUDE(mav::ATTITUDE_DATA {
                time_boot_ms: boot_ms,
                ..Default::default()
            }));
            self.receive(MavMessage::VFR_HUD(Default::default()));
            self.receive(MavMessage::SYS_STATUS(Default::default()));
            self.receive(MavMessage::GPS_RAW_INT(Default::default()));
        }
    }

    fn heartbeat() -> MavMessage {
        MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            custom_mode: 0,
            mavtype: mav::MavType::MAV_TYPE_QUADROTOR,
            autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
            base_mode: mav::MavModeFlag::empty(),
            system_status: mav::MavState::MAV_STATE_STANDBY,
            mavlink_version: 3,
        })
    }

    #[test]
    fn a_new_vehicle_is_asked_for_each_message_at_the_links_rate() {
        let mut fast = Bench::new(LinkClass::Fast);
        let asked = fast.tick(100);
        assert_eq!(asked.len(), WANTED.len() + 1, "{asked:?}");
        assert!(asked.contains(&"request 242".to_owned()), "home at once");
        assert!(
            asked.contains(&"interval 33 200000".to_owned()),
            "{asked:?}"
        );
        let mut radio = Bench::new(LinkClass::Radio);
        let asked = radio.tick(100);
        assert!(
            asked.contains(&"interval 33 500000".to_owned()),
            "{asked:?}"
        );
        assert!(radio.tick(100).is_empty(), "asked once, then it waits");
    }

    #[test]
    fn telemetry_that_comes_is_not_asked_again_and_a_silence_is() {
        let mut bench = Bench::new(LinkClass::Fast);
        bench.tick(100);
        for _ in 0..50 {
            bench.telemetry(1000);
            assert!(bench.tick(100).is_empty());
        }
        assert!(bench.streams.states()[&1].flowing);
        // The vehicle goes on with heartbeats only (another program turned its rates down).
        let mut asked = Vec::new();
        for _ in 0..40 {
            bench.receive(heartbeat());
            asked.extend(bench.tick(100));
        }
        assert_eq!(asked.len(), WANTED.len() + 1, "{asked:?}");
        assert!(!bench.streams.states()[&1].flowing);
    }

    #[test]
    fn no_telemetry_after_two_tries_falls_back_to_request_data_stream() {
        let mut bench = Bench::new(LinkClass::Fast);
        let mut asked = Vec::new();
        for _ in 0..200 {
            bench.receive(heartbeat());
            asked.extend(bench.tick(100));
        }
        let intervals = asked.iter().filter(|a| a.starts_with("interval")).count();
        let streams = asked.iter().filter(|a| *a == "REQUEST_DATA_STREAM").count();
        assert_eq!(intervals, 2 * WANTED.len(), "{asked:?}");
        assert!(streams >= DATA_STREAMS.len(), "{asked:?}");
    }

    #[test]
    fn a_refused_interval_falls_back_at_the_next_check() {
        let mut bench = Bench::new(LinkClass::Fast);
        bench.tick(100);
        let ack = mav::COMMAND_ACK_DATA {
            command: mav::MavCmd::MAV_CMD_SET_MESSAGE_INTERVAL,
            result: mav::MavResult::MAV_RESULT_UNSUPPORTED,
            ..Default::default()
        };
        assert!(bench.streams.on_ack(1, &ack, bench.now), "ours");
        let mut asked = Vec::new();
        for _ in 0..40 {
            bench.receive(heartbeat());
            asked.extend(bench.tick(100));
        }
        let streams: Vec<_> = asked.iter().filter(|a| *a != "request 242").collect();
        assert!(
            streams.iter().all(|a| *a == "REQUEST_DATA_STREAM"),
            "{asked:?}"
        );
        assert_eq!(streams.len(), DATA_STREAMS.len());
    }

    #[test]
    fn a_reboot_is_asked_again_at_once() {
        let mut bench = Bench::new(LinkClass::Fast);
        bench.tick(100);
        bench.telemetry(600_000);
        assert!(bench.tick(100).is_empty());
        bench.telemetry(2_000);
        assert_eq!(bench.tick(100).len(), WANTED.len() + 1);
        assert!(
            bench
                .streams
                .take_notices()
                .iter()
                .any(|(_, text)| text.contains("rebooted"))
        );
    }

    #[test]
    fn radio_rates_fit_in_a_thirteenth_of_a_57600_baud_radio() {
        // MAVLink 2 frames: 12 bytes of header and checksum plus the payload.
        let payload = |id: u32| match id {
            33 => 28,
            30 => 28,
            74 => 20,
            1 => 31,
            24 => 30,
            147 => 36,
            2 => 12,
            245 => 2,
            42 => 2,
            242 => 52,
            285 => 49,
            271 => 52,
            _ => 255,
        };
        let bytes_per_s: f64 = WANTED
            .iter()
            .map(|w| f64::from(12 + payload(w.id)) / w.radio.as_secs_f64())
            .sum();
        assert!(bytes_per_s < 450.0, "{bytes_per_s:.0} B/s");
    }
}
