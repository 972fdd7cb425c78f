//! The state machine against a scripted peer that keeps the three lists as ArduCopter 4.7
//! SITL was seen to (see the module docs): it asks for items with MISSION_REQUEST, stores
//! fence items in MAV_FRAME_GLOBAL without altitude, rally points in
//! MAV_FRAME_GLOBAL_RELATIVE_ALT with whole-metre altitudes, and refuses to clear
//! MAV_MISSION_TYPE_ALL.

use crossbeam_channel::bounded;

use super::*;
use vigil_link::LinkId;
use vigil_protocol::MavVersion;
use vigil_protocol::modes::Firmware;

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
    run_typed(peer, firmware, op).map_err(|error| error.to_string())
}

/// [`run`], with the error as it is.
fn run_typed(
    peer: &mut Peer,
    firmware: Firmware,
    op: MissionOp,
) -> Result<MissionOutcome, MissionError> {
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
        let Ok(MissionOutcome::Downloaded(back)) = run(&mut peer, firmware, MissionOp::Download)
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
    assert!(matches!(
        run_typed(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())),
        Err(MissionError::Rejected {
            sysid: 1,
            list: List::Fence,
            result: mav::MavMissionResult::MAV_MISSION_UNSUPPORTED,
            ..
        })
    ));
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
    let Ok(Err(error)) = outcome.try_recv() else {
        panic!("refused")
    };
    assert_eq!(
        error,
        MissionError::NeedsMavlink2 {
            sysid: 1,
            list: List::Fence
        }
    );
    assert_eq!(
        error.to_string(),
        "vehicle 1 speaks MAVLink 1, which cannot carry the fence: nothing was uploaded"
    );
    let mut bare = plan();
    bare.fence = Fence::default();
    bare.rally.clear();
    let (reply, _outcome) = bounded(1);
    transfers.start(v1, MissionOp::Upload(bare), reply, TimeUs(0), &mut out);
    assert_eq!(transfers.active[&1].parts.len(), 1, "the mission alone");
}

/// Starts `op` and returns what went out and the outcome, if there is one already.
fn start_only(op: MissionOp) -> (Vec<Outgoing>, Option<Result<MissionOutcome, MissionError>>) {
    let mut transfers = MissionTransfers::default();
    let (reply, outcome) = bounded(1);
    let mut out = Vec::new();
    transfers.start(route(Firmware::ArduCopter), op, reply, TimeUs(0), &mut out);
    (out, outcome.try_recv().ok())
}

#[test]
fn a_plan_with_a_bad_item_is_refused_before_anything_is_sent() {
    let mut bad = plan();
    bad.items[1].x = 200.5;
    bad.rally[0].alt_m = -3.0;
    let (out, outcome) = start_only(MissionOp::Upload(bad.clone()));
    assert!(out.is_empty(), "no MISSION_COUNT: {out:?}");
    let Some(Err(error)) = outcome else {
        panic!("refused at once: {outcome:?}")
    };
    assert_eq!(
        error.to_string(),
        "nothing was uploaded: the plan has 2 problems: item 2 (seq 2): latitude: 200.5 is \
         outside -90..=90; rally point 1: altitude: -3 m is below home: the vehicle would fly \
         into the ground"
    );
    let MissionError::Invalid { problems } = error else {
        panic!("{error:?}")
    };
    assert_eq!(problems[0].place, vigil_mission::Place::Item(1));
    assert_eq!(problems[0].field, "latitude");
    // The vehicle's mission stays as it was, whatever the op.
    let mut peer = Peer::default();
    run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())).unwrap();
    let before = peer.lists.clone();
    assert!(
        run(
            &mut peer,
            Firmware::ArduCopter,
            MissionOp::UploadAllowingClear(bad)
        )
        .is_err()
    );
    assert_eq!(peer.lists, before);
}

#[test]
fn a_plan_without_mission_items_clears_only_when_asked_to() {
    let mut peer = Peer::default();
    run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(plan())).unwrap();
    let fence_only = Mission {
        items: Vec::new(),
        ..plan()
    };
    for empty in [Mission::default(), fence_only.clone()] {
        let (out, outcome) = start_only(MissionOp::Upload(empty.clone()));
        assert!(out.is_empty(), "{out:?}");
        assert_eq!(outcome, Some(Err(MissionError::WouldClear { sysid: 1 })));
        assert_eq!(
            run(&mut peer, Firmware::ArduCopter, MissionOp::Upload(empty)),
            Err(
                "the plan has no mission items: uploading it would clear vehicle 1's mission, \
                 so nothing was uploaded (clear the mission explicitly if that is what you want)"
                    .into()
            )
        );
        assert_eq!(peer.lists.each_ref().map(Vec::len), [3, 5, 2], "untouched");
    }
    let forced = MissionOp::UploadAllowingClear(fence_only);
    assert!(run(&mut peer, Firmware::ArduCopter, forced).is_ok());
    // ArduPilot's item 0 (home) stays; the mission after it is gone, the fence and rally kept.
    assert_eq!(peer.lists.each_ref().map(Vec::len), [1, 5, 2]);
    let forced = MissionOp::UploadAllowingClear(Mission::default());
    assert!(run(&mut peer, Firmware::ArduCopter, forced).is_ok());
    assert_eq!(peer.lists.each_ref().map(Vec::len), [1, 0, 0]);
}

#[test]
fn the_mission_commands_are_the_dialects() {
    for command in vigil_mission::validate::MISSION_COMMANDS {
        let known = mav::MavCmd::from_u16(command.id).map(|c| format!("{c:?}"));
        assert_eq!(
            known,
            Some(format!("MAV_CMD_{}", command.name)),
            "{}",
            command.id
        );
    }
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
