//! The command engine against a simulated vehicle, in process, with time passed in: every
//! retry and timeout happens at a known moment.

use std::time::Instant;

use crossbeam_channel::{Receiver, bounded};

use super::*;
use vigil_link::RxStamp;
use vigil_mission::{GeoPoint, Mission, MissionItem};
use vigil_protocol::FrameEncoder;
use vigil_sim::{SimVehicle, SimVehicleConfig};

/// Parameters of the simulated copter.
const COPTER_PARAMS: usize = 36;

/// A world, an engine and a simulated vehicle wired together without sockets.
struct Bench {
    world: World,
    engine: CommandEngine,
    vehicle: SimVehicle,
    encoder: FrameEncoder,
    now: TimeUs,
    /// Messages the engine sent, by name.
    sent: Vec<&'static str>,
    /// When false, the vehicle's answers are lost (the radio drops them).
    answers_arrive: bool,
    /// This many of the vehicle's next answers are lost.
    lose_next: usize,
    /// Exchanges (engine to vehicle and back) left before the radio pauses; what the engine
    /// sends then waits in `held`.
    rounds_left: Option<usize>,
    held: Vec<Outgoing>,
    /// The vehicle's seconds per second of the station's (a simulator at a speed-up), how far
    /// its clock has run ahead of the station's, and its boot clock so far (stamped on its
    /// telemetry once it has flown).
    speed: u32,
    ahead: Duration,
    booted: Duration,
}

impl Bench {
    fn new() -> Self {
        // A vehicle that has finished booting: its pre-arm checks pass.
        Self::with(SimVehicleConfig {
            prearm_delay_s: 0.0,
            ..SimVehicleConfig::default()
        })
    }

    fn with(config: SimVehicleConfig) -> Self {
        let vehicle = SimVehicle::new(config);
        let mut bench = Self {
            world: World::new(),
            engine: CommandEngine::new(),
            encoder: FrameEncoder::new(vehicle.config.sysid, vehicle.config.compid),
            vehicle,
            now: TimeUs(1_700_000_000_000_000),
            sent: Vec::new(),
            answers_arrive: true,
            lose_next: 0,
            rounds_left: None,
            held: Vec::new(),
            speed: 1,
            ahead: Duration::ZERO,
            booted: Duration::ZERO,
        };
        let telemetry = bench.vehicle.slow_telemetry(bench.now, 0);
        bench.receive(telemetry);
        bench
    }

    fn receive(&mut self, messages: Vec<MavMessage>) -> Vec<Outgoing> {
        let mut out = Vec::new();
        for message in messages {
            let frame = self
                .encoder
                .encode(&message, MavVersion::V2)
                .expect("encodes");
            let envelope = Envelope {
                link: LinkId(0),
                rx: RxStamp {
                    time: self.now,
                    mono: Instant::now(),
                },
                frame,
                message,
            };
            self.world.apply(&envelope);
            self.engine.on_message(&envelope, self.now, &mut out);
        }
        out
    }

    /// Delivers what the engine sent to the vehicle and the answers back, until quiet.
    fn exchange(&mut self, mut out: Vec<Outgoing>) {
        while !out.is_empty() {
            if let Some(left) = self.rounds_left.as_mut() {
                if *left == 0 {
                    self.held.append(&mut out);
                    return;
                }
                *left -= 1;
            }
            let mut answers = Vec::new();
            for outgoing in out.drain(..) {
                assert_eq!(outgoing.link, LinkId(0));
                self.sent
                    .push(mavlink_core::Message::message_name(&outgoing.message));
                answers.extend(self.vehicle.handle(&outgoing.message, (255, 190)));
            }
            let lost = self.lose_next.min(answers.len());
            self.lose_next -= lost;
            if self.answers_arrive {
                out = self.receive(answers.split_off(lost));
            }
        }
    }

    fn request(&mut self, request: Request) {
        let mut out = Vec::new();
        self.engine
            .request(request, &self.world, self.now, &mut out);
        self.exchange(out);
    }

    fn advance(&mut self, duration: Duration) {
        self.now = self.now.plus(duration);
        let mut out = Vec::new();
        self.engine.tick(&self.world, self.now, &mut out);
        self.exchange(out);
    }

    /// Lets the vehicle fly for `duration` in 100 ms steps, its telemetry (heartbeat,
    /// position, status texts) reaching the world and the engine, until `outcome` answers.
    fn fly_until_answered(
        &mut self,
        outcome: &Receiver<CommandOutcome>,
        duration: Duration,
    ) -> Option<CommandOutcome> {
        let dt = Duration::from_millis(100);
        let mut flown = Duration::ZERO;
        while flown < duration {
            if let Ok(answer) = outcome.try_recv() {
                return Some(answer);
            }
            let flies = dt * self.speed;
            self.booted += flies;
            self.ahead += flies - dt;
            self.vehicle.step(flies, self.now.plus(self.ahead));
            let boot_ms = u32::try_from(self.booted.as_millis()).unwrap_or(u32::MAX);
            let mut messages = self.vehicle.take_events();
            messages.extend(self.vehicle.slow_telemetry(self.now, boot_ms));
            messages.extend(self.vehicle.fast_telemetry(boot_ms));
            let out = self.receive(messages);
            self.exchange(out);
            self.advance(dt);
            flown += dt;
        }
        outcome.try_recv().ok()
    }

    fn command(&mut self, action: Action) -> Receiver<CommandOutcome> {
        let (reply, outcome) = bounded(1);
        self.request(Request::Command {
            target: 1,
            action,
            reply,
        });
        outcome
    }

    fn mission(&mut self, op: MissionOp) -> Receiver<Result<MissionOutcome, MissionError>> {
        let (reply, outcome) = bounded(1);
        self.request(Request::Mission {
            target: 1,
            op,
            reply,
        });
        outcome
    }

    fn params(&mut self, op: ParamOp) -> Receiver<Result<ParamOutcome, ParamError>> {
        let (reply, outcome) = bounded(1);
        self.request(Request::Params {
            target: 1,
            op,
            reply,
        });
        outcome
    }
}

#[test]
fn commands_are_accepted_or_rejected_with_the_vehicles_result() {
    let mut bench = Bench::new();
    let takeoff = Action::Takeoff { alt_rel_m: 20.0 };
    let refused = bench.command(takeoff.clone());
    assert!(refused.try_recv().is_err(), "waits a moment for the reason");
    bench.advance(REASON_WAIT);
    assert_eq!(
        refused.try_recv(),
        Ok(CommandOutcome::Rejected {
            result: "FAILED".into(),
            reason: None
        })
    );
    assert_eq!(
        bench.command(Action::SetMode("guided".into())).try_recv(),
        Ok(CommandOutcome::Accepted)
    );
    assert_eq!(
        bench.command(Action::Arm).try_recv(),
        Ok(CommandOutcome::Accepted)
    );
    assert_eq!(
        bench.command(takeoff).try_recv(),
        Ok(CommandOutcome::Accepted)
    );
    assert!(bench.vehicle.armed);
    assert_eq!(bench.vehicle.custom_mode, 4);
    assert!(!bench.engine.is_busy());
}

#[test]
fn an_unanswered_command_is_retried_then_times_out() {
    let mut bench = Bench::new();
    bench.vehicle.ignore_commands = true;
    let outcome = bench.command(Action::Arm);
    assert!(outcome.try_recv().is_err(), "no answer yet");
    for _ in 1..COMMAND_MAX_TRIES {
        bench.advance(COMMAND_ACK_TIMEOUT);
    }
    assert!(outcome.try_recv().is_err(), "still retrying");
    assert_eq!(bench.sent.len(), COMMAND_MAX_TRIES as usize);
    bench.advance(COMMAND_ACK_TIMEOUT);
    assert_eq!(
        outcome.try_recv(),
        Ok(CommandOutcome::TimedOut {
            tries: COMMAND_MAX_TRIES,
            hint: None
        })
    );
    assert_eq!(
        bench.sent.len(),
        COMMAND_MAX_TRIES as usize,
        "no send after the last try"
    );
}

#[test]
fn a_lost_acknowledgement_is_recovered_by_the_retry() {
    let mut bench = Bench::new();
    bench.answers_arrive = false;
    let outcome = bench.command(Action::Arm);
    bench.answers_arrive = true;
    bench.advance(COMMAND_ACK_TIMEOUT);
    assert_eq!(outcome.try_recv(), Ok(CommandOutcome::Accepted));
    assert_eq!(bench.sent, ["COMMAND_LONG", "COMMAND_LONG"]);
}

#[test]
fn the_same_command_again_waits_for_the_answer_to_the_one_before_and_the_latest_wins() {
    let mut bench = Bench::new();
    bench.answers_arrive = false;
    let first = bench.command(Action::SetMode("GUIDED".into()));
    let second = bench.command(Action::SetMode("LOITER".into()));
    let third = bench.command(Action::SetMode("GUIDED".into()));
    assert_eq!(bench.sent, ["COMMAND_LONG"], "one in flight at a time");
    let Ok(CommandOutcome::Failed(why)) = second.try_recv() else {
        panic!("the second is superseded by the third")
    };
    assert!(why.contains("superseded"), "{why}");
    bench.answers_arrive = true;
    bench.advance(COMMAND_ACK_TIMEOUT);
    assert_eq!(first.try_recv(), Ok(CommandOutcome::Accepted));
    assert_eq!(third.try_recv(), Ok(CommandOutcome::Accepted));
    assert_eq!(bench.sent, ["COMMAND_LONG", "COMMAND_LONG", "COMMAND_LONG"]);
    assert!(!bench.engine.is_busy());
}

#[test]
fn bad_requests_are_not_sent() {
    let mut bench = Bench::new();
    let outcome = bench.command(Action::SetMode("HOVER".into()));
    let Ok(CommandOutcome::NotSent(reason)) = outcome.try_recv() else {
        panic!("expected NotSent")
    };
    assert!(reason.contains("GUIDED"), "lists the known modes: {reason}");
    let (reply, outcome) = bounded(1);
    bench.request(Request::Command {
        target: 42,
        action: Action::Arm,
        reply,
    });
    assert_eq!(
        outcome.try_recv(),
        Ok(CommandOutcome::NotSent(
            "no vehicle with system id 42".into()
        ))
    );
    assert!(bench.sent.is_empty());
}

fn sample_mission() -> Mission {
    let waypoint = |lat_deg: f64, lon_deg: f64, alt_m: f32| MissionItem {
        frame: 3,
        command: 16,
        autocontinue: true,
        params: [0.0, 2.0, 0.0, f32::NAN],
        x: lat_deg,
        y: lon_deg,
        z: alt_m,
    };
    Mission {
        home: Some(GeoPoint {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_m: 420.0,
        }),
        items: vec![
            MissionItem {
                frame: 3,
                command: 22,
                autocontinue: true,
                params: [0.0; 4],
                x: 0.0,
                y: 0.0,
                z: 30.0,
            },
            waypoint(9.0012345, 31.0023456, 40.0),
            waypoint(9.0031, 31.0011, 45.5),
            MissionItem {
                frame: 2,
                command: 178,
                autocontinue: true,
                params: [1.0, 6.5, -1.0, 0.0],
                x: 0.0,
                y: 0.0,
                z: 0.0,
            },
            MissionItem {
                frame: 2,
                command: 20,
                autocontinue: true,
                params: [0.0; 4],
                x: 0.0,
                y: 0.0,
                z: 0.0,
            },
        ],
        ..Default::default()
    }
}

fn same_mission(a: &Mission, b: &Mission) -> bool {
    // NaN params compare by bits; positions to the 1e-7 degree the wire carries.
    a.items.len() == b.items.len()
        && a.items.iter().zip(&b.items).all(|(x, y)| {
            x.frame == y.frame
                && x.command == y.command
                && x.autocontinue == y.autocontinue
                && x.params.map(f32::to_bits) == y.params.map(f32::to_bits)
                && (x.x - y.x).abs() < 1e-7
                && (x.y - y.y).abs() < 1e-7
                && x.z == y.z
        })
}

#[test]
fn a_mission_uploads_and_downloads_identical() {
    let mut bench = Bench::new();
    let mission = sample_mission();
    let uploaded = bench.mission(MissionOp::Upload(mission.clone()));
    // ArduPilot: home is item 0 on the wire; the count leaves it out, as a download does.
    assert_eq!(
        uploaded.try_recv(),
        Ok(Ok(MissionOutcome::Uploaded {
            items: mission::UploadCounts {
                mission: 5,
                fence: 0,
                rally: 0
            }
        }))
    );
    let downloaded = bench.mission(MissionOp::Download);
    let Ok(Ok(MissionOutcome::Downloaded(back))) = downloaded.try_recv() else {
        panic!("download failed")
    };
    assert!(same_mission(&mission, &back), "{mission:?}\n!=\n{back:?}");
    let home = back.home.expect("ArduPilot reports home as item 0");
    assert!((home.lat_deg - 9.0).abs() < 1e-7 && home.alt_m == 420.0);
    assert_eq!(
        bench.mission(MissionOp::Clear).try_recv(),
        Ok(Ok(MissionOutcome::Cleared))
    );
    let Ok(Ok(MissionOutcome::Downloaded(empty))) = bench.mission(MissionOp::Download).try_recv()
    else {
        panic!()
    };
    assert!(empty.items.is_empty() && empty.home.is_none());
}

#[test]
fn a_transfer_shows_its_progress_counted_without_home() {
    let mut bench = Bench::new();
    let mission = sample_mission();
    // Count, then home (item 0) and two items requested and sent: two of five on board.
    bench.rounds_left = Some(4);
    let uploaded = bench.mission(MissionOp::Upload(mission.clone()));
    let progress = bench.engine.mission_progress();
    assert_eq!(
        progress,
        vec![TransferProgress {
            sysid: 1,
            list: List::Mission,
            upload: true,
            done: 2,
            total: Some(5),
        }]
    );
    bench.rounds_left = None;
    let held = std::mem::take(&mut bench.held);
    bench.exchange(held);
    assert!(matches!(uploaded.try_recv(), Ok(Ok(_))));
    assert!(bench.engine.mission_progress().is_empty());
    // A download knows its total once the vehicle has said its count.
    bench.rounds_left = Some(3);
    let _downloaded = bench.mission(MissionOp::Download);
    let progress = bench.engine.mission_progress();
    assert_eq!(progress[0].total, Some(5), "{progress:?}");
    assert!(!progress[0].upload && progress[0].done <= 2, "{progress:?}");
}

#[test]
fn a_mission_transfer_recovers_from_a_lost_request_and_fails_after_silence() {
    let mut bench = Bench::new();
    bench.answers_arrive = false;
    let outcome = bench.mission(MissionOp::Upload(sample_mission()));
    bench.answers_arrive = true;
    bench.advance(mission::MISSION_TIMEOUT);
    assert_eq!(
        outcome.try_recv(),
        Ok(Ok(MissionOutcome::Uploaded {
            items: mission::UploadCounts {
                mission: 5,
                fence: 0,
                rally: 0
            }
        }))
    );

    bench.answers_arrive = false;
    let outcome = bench.mission(MissionOp::Download);
    for _ in 0..mission::MISSION_MAX_TRIES {
        bench.advance(mission::MISSION_TIMEOUT);
    }
    let Ok(Err(error)) = outcome.try_recv() else {
        panic!("expected a timeout")
    };
    assert!(
        matches!(
            error,
            MissionError::TimedOut {
                message: "MISSION_REQUEST_LIST",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("MISSION_REQUEST_LIST"),
        "{error}"
    );
}

#[test]
fn parameters_are_fetched_read_and_set() {
    let mut bench = Bench::new();
    let Ok(Ok(ParamOutcome::All(all))) = bench.params(ParamOp::FetchAll).try_recv() else {
        panic!("fetch failed")
    };
    assert_eq!(all.len(), COPTER_PARAMS);
    assert!(all.windows(2).all(|w| w[0].name < w[1].name));
    let rtl = all.iter().find(|p| p.name == "RTL_ALT").expect("RTL_ALT");
    assert_eq!(rtl.value, 1500.0);

    let Ok(Ok(ParamOutcome::One(set))) = bench
        .params(ParamOp::Set("RTL_ALT".into(), 4500.0))
        .try_recv()
    else {
        panic!("set failed")
    };
    assert_eq!(set.value, 4500.0);
    let Ok(Ok(ParamOutcome::One(read))) = bench.params(ParamOp::Read("RTL_ALT".into())).try_recv()
    else {
        panic!("read failed")
    };
    assert_eq!(read.value, 4500.0);
    let outcome = bench.params(ParamOp::Set("NO_SUCH_PARAM".into(), 1.0));
    for _ in 0..params::PARAM_MAX_TRIES {
        bench.advance(params::PARAM_GAP_TIMEOUT);
    }
    let Ok(Err(error)) = outcome.try_recv() else {
        panic!("expected a timeout")
    };
    assert_eq!(
        error,
        ParamError::TimedOut {
            sysid: 1,
            tries: params::PARAM_MAX_TRIES,
            missing: params::Missing::Param("NO_SUCH_PARAM".into()),
        }
    );
    assert_eq!(
        error.to_string(),
        "parameter transfer with vehicle 1 timed out after 5 tries: no answer for NO_SUCH_PARAM"
    );
}

#[test]
fn parameters_lost_from_the_burst_are_requested_one_by_one() {
    let mut bench = Bench::new();
    bench.lose_next = 5;
    let outcome = bench.params(ParamOp::FetchAll);
    assert!(outcome.try_recv().is_err(), "5 missing");
    bench.sent.clear();
    bench.advance(params::PARAM_GAP_TIMEOUT);
    assert_eq!(
        bench.sent, ["PARAM_REQUEST_READ"; 5],
        "only the missing ones"
    );
    let Ok(Ok(ParamOutcome::All(all))) = outcome.try_recv() else {
        panic!("fetch failed")
    };
    assert_eq!(all.len(), COPTER_PARAMS);
}

#[test]
fn a_lost_parameter_burst_is_requested_again() {
    let mut bench = Bench::new();
    bench.answers_arrive = false;
    let outcome = bench.params(ParamOp::FetchAll);
    bench.answers_arrive = true;
    bench.advance(params::PARAM_GAP_TIMEOUT);
    let Ok(Ok(ParamOutcome::All(all))) = outcome.try_recv() else {
        panic!("fetch failed")
    };
    assert_eq!(all.len(), COPTER_PARAMS);
}

#[test]
fn a_late_or_repeated_acknowledgement_is_expected_but_an_unsolicited_one_is_raised() {
    let mut bench = Bench::new();
    let arm_ack = |result| {
        MavMessage::COMMAND_ACK(mav::COMMAND_ACK_DATA {
            command: mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            result,
            target_system: 255,
            target_component: 190,
            ..Default::default()
        })
    };
    // The first ack is lost; the retry is acknowledged; then the first one turns up late.
    bench.lose_next = 1;
    let outcome = bench.command(Action::Arm);
    bench.advance(COMMAND_ACK_TIMEOUT);
    assert_eq!(outcome.try_recv(), Ok(CommandOutcome::Accepted));
    bench.receive(vec![arm_ack(mav::MavResult::MAV_RESULT_ACCEPTED)]);
    assert!(bench.engine.take_notices().is_empty());
    // Long after, the same acknowledgement answers nothing this console sent.
    bench.now = bench.now.plus(LATE_ACK_WINDOW);
    bench.receive(vec![arm_ack(mav::MavResult::MAV_RESULT_ACCEPTED)]);
    let notices = bench.engine.take_notices();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(notices[0].contains("UNSOLICITED"), "{notices:?}");
    assert!(bench.engine.take_notices().is_empty(), "taken once");
}

#[test]
fn a_refusal_carries_the_status_texts_the_vehicle_sent_with_it() {
    let mut bench = Bench::new();
    let text = |t: &str| {
        MavMessage::STATUSTEXT(mav::STATUSTEXT_DATA {
            severity: mav::MavSeverity::MAV_SEVERITY_CRITICAL,
            text: t.into(),
            ..Default::default()
        })
    };
    // ArduPilot answers first, then says why in the same few milliseconds.
    let refused = bench.command(Action::Takeoff { alt_rel_m: 20.0 });
    bench.receive(vec![text("Arm: Accels inconsistent")]);
    bench.receive(vec![text("Arm: EKF attitude is bad")]);
    bench.advance(REASON_GATHER);
    assert_eq!(
        refused.try_recv(),
        Ok(CommandOutcome::Rejected {
            result: "FAILED".into(),
            reason: Some("Arm: Accels inconsistent; Arm: EKF attitude is bad".into())
        })
    );
    // A text just before the answer explains it when none comes after.
    bench.advance(Duration::from_secs(5));
    bench.receive(vec![text("PreArm: Need Position Estimate")]);
    let refused = bench.command(Action::Takeoff { alt_rel_m: 20.0 });
    bench.advance(REASON_WAIT);
    let refused = refused.try_recv().expect("answered");
    assert_eq!(
        refused.to_string(),
        "refused (failed): PreArm: Need Position Estimate"
    );
}

#[test]
fn a_timeout_from_a_vehicle_that_signs_says_so() {
    let mut bench = Bench::new();
    bench.vehicle.ignore_commands = true;
    bench.engine.note_signing(1, true);
    let outcome = bench.command(Action::Arm);
    for _ in 0..COMMAND_MAX_TRIES {
        bench.advance(COMMAND_ACK_TIMEOUT);
    }
    match outcome.try_recv() {
        Ok(CommandOutcome::TimedOut {
            hint: Some(hint), ..
        }) => assert!(hint.contains("signs its frames"), "{hint}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_copter_takes_off_in_one_step_from_any_mode() {
    let mut bench = Bench::new();
    assert_eq!(bench.vehicle.custom_mode, 0, "starts in STABILIZE");
    let outcome = bench.command(Action::Launch { alt_rel_m: 20.0 });
    let answer = bench.fly_until_answered(&outcome, Duration::from_secs(30));
    assert_eq!(answer, Some(CommandOutcome::Accepted));
    assert!(bench.vehicle.armed);
    assert_eq!(bench.vehicle.custom_mode, 4, "GUIDED");
    assert!(
        bench.vehicle.alt_rel_m >= 3.0,
        "{}",
        bench.vehicle.alt_rel_m
    );
    // The climb goes on to the height asked.
    bench.fly_until_answered(&bounded(1).1, Duration::from_secs(20));
    assert!((bench.vehicle.alt_rel_m - 20.0).abs() < 1.0);
}

#[test]
fn a_one_step_takeoff_refused_says_which_step_and_the_vehicles_reason() {
    let mut bench = Bench::with(SimVehicleConfig {
        prearm_delay_s: 600.0,
        ..SimVehicleConfig::default()
    });
    let outcome = bench.command(Action::Launch { alt_rel_m: 20.0 });
    match bench.fly_until_answered(&outcome, Duration::from_secs(10)) {
        Some(CommandOutcome::Rejected {
            reason: Some(reason),
            ..
        }) => assert!(reason.starts_with("arm: Arm: "), "{reason}"),
        other => panic!("{other:?}"),
    }
    assert!(!bench.vehicle.armed);
}

#[test]
fn a_copter_entering_its_circle_is_watched_for_seconds_of_its_own_flight() {
    // The simulator at 20 times real time: after CIRCLE, the altitude is watched for 3 s of
    // the copter's flight (its boot clock), not 3 s of the station's (a minute of its flight,
    // in which the drone sent to follow movers does not follow them).
    let mut bench = Bench::new();
    let up = bench.command(Action::Launch { alt_rel_m: 20.0 });
    assert_eq!(
        bench.fly_until_answered(&up, Duration::from_secs(30)),
        Some(CommandOutcome::Accepted)
    );
    bench.fly_until_answered(&bounded(1).1, Duration::from_secs(20));
    bench.speed = 20;
    let circle = bench.command(Action::Orbit {
        lat_deg: bench.vehicle.lat_deg + 0.0005,
        lon_deg: bench.vehicle.lon_deg,
        alt_rel_m: 20.0,
        radius_m: 30.0,
        speed_mps: 5.0,
    });
    let started = bench.now;
    let answer = bench.fly_until_answered(&circle, Duration::from_secs(30));
    assert_eq!(answer, Some(CommandOutcome::Accepted));
    assert_eq!(bench.vehicle.custom_mode, 7, "CIRCLE");
    let took_s = bench.now.since(started).as_secs_f64();
    assert!(took_s < 2.5, "{took_s} s of the station's");
}

#[test]
fn a_plane_takes_off_in_one_step_in_takeoff_mode() {
    let mut bench = Bench::with(SimVehicleConfig {
        prearm_delay_s: 0.0,
        kind: vigil_sim::scenario::DroneKind::FixedWing,
        ..SimVehicleConfig::default()
    });
    let outcome = bench.command(Action::Launch { alt_rel_m: 80.0 });
    let answer = bench.fly_until_answered(&outcome, Duration::from_secs(30));
    assert_eq!(answer, Some(CommandOutcome::Accepted));
    assert_eq!(bench.vehicle.param("TKOFF_ALT"), 80.0);
    assert_eq!(bench.vehicle.custom_mode, 13, "TAKEOFF");
    assert!(bench.vehicle.armed);
    assert!(bench.sent.contains(&"PARAM_SET"), "{:?}", bench.sent);
}

#[test]
fn a_copter_flies_its_mission_from_the_ground_in_one_step() {
    let mut bench = Bench::new();
    let uploaded = bench.mission(MissionOp::Upload(sample_mission()));
    assert!(matches!(uploaded.try_recv(), Ok(Ok(_))));
    let outcome = bench.command(Action::FlyMission);
    let answer = bench.fly_until_answered(&outcome, Duration::from_secs(30));
    assert_eq!(answer, Some(CommandOutcome::Accepted));
    assert!(bench.vehicle.armed);
    assert_eq!(bench.vehicle.custom_mode, 3, "AUTO");
}

#[test]
fn actions_and_outcomes_read_as_plain_words() {
    assert_eq!(Action::SetMode("GUIDED".into()).to_string(), "mode GUIDED");
    assert_eq!(
        Action::Launch { alt_rel_m: 20.0 }.to_string(),
        "take off to 20 m"
    );
    assert_eq!(
        Action::Takeoff { alt_rel_m: 20.0 }.to_string(),
        "takeoff command to 20 m"
    );
    assert_eq!(
        CommandOutcome::TimedOut {
            tries: 4,
            hint: None
        }
        .to_string(),
        "timed out: no answer after 4 tries"
    );
}
