use super::*;

/// The ground station's system and component id.
pub(super) const GCS: (u8, u8) = (255, 190);

pub(super) fn command_long(command: mav::MavCmd, params: [f32; 7]) -> MavMessage {
    MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
        param1: params[0],
        param2: params[1],
        param7: params[6],
        command,
        target_system: 1,
        target_component: 1,
        ..Default::default()
    })
}

pub(super) fn result_of(replies: &[MavMessage]) -> mav::MavResult {
    match replies {
        [MavMessage::COMMAND_ACK(ack)] => ack.result,
        other => panic!("expected one COMMAND_ACK, got {other:?}"),
    }
}

pub(super) fn run(vehicle: &mut SimVehicle, seconds: f64, now: &mut TimeUs) {
    for _ in 0..(seconds * 10.0).round() as u32 {
        *now = now.plus(Duration::from_millis(100));
        vehicle.step(Duration::from_millis(100), *now);
    }
}

/// A copter whose EKF and GPS are ready at once, in GUIDED and armed.
pub(super) fn guided_armed() -> SimVehicle {
    let mut vehicle = SimVehicle::new(SimVehicleConfig {
        prearm_delay_s: 0.0,
        ..SimVehicleConfig::default()
    });
    vehicle.handle(
        &command_long(
            mav::MavCmd::MAV_CMD_DO_SET_MODE,
            [1.0, 4.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        GCS,
    );
    vehicle.handle(
        &command_long(
            mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
            [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        ),
        GCS,
    );
    vehicle
}

#[test]
fn takeoff_needs_guided_and_armed_then_climbs_at_the_climb_rate() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let takeoff = command_long(
        mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0],
    );
    assert_eq!(
        result_of(&vehicle.handle(&takeoff, GCS)),
        mav::MavResult::MAV_RESULT_FAILED
    );
    let mut vehicle = guided_armed();
    assert_eq!(
        result_of(&vehicle.handle(&takeoff, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let mut now = TimeUs(0);
    run(&mut vehicle, 4.0, &mut now);
    assert!(
        (vehicle.alt_rel_m - 10.0).abs() < 1e-6,
        "after 4 s at 2.5 m/s: {}",
        vehicle.alt_rel_m
    );
    run(&mut vehicle, 10.0, &mut now);
    assert!((vehicle.alt_rel_m - 20.0).abs() < 1e-6);
    let disarm = command_long(mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM, [0.0; 7]);
    assert_eq!(
        result_of(&vehicle.handle(&disarm, GCS)),
        mav::MavResult::MAV_RESULT_FAILED,
        "no disarm in flight"
    );
}

fn item(
    seq: u16,
    command: mav::MavCmd,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f32,
) -> mav::MISSION_ITEM_INT_DATA {
    mav::MISSION_ITEM_INT_DATA {
        seq,
        command,
        x: e7_from_deg(lat_deg),
        y: e7_from_deg(lon_deg),
        z: alt_m,
        frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        target_system: 1,
        target_component: 1,
        autocontinue: 1,
        ..Default::default()
    }
}

#[test]
fn auto_flies_the_mission_reports_progress_and_lands_home() {
    use mav::MavCmd::*;
    let mut vehicle = guided_armed();
    vehicle.mission = vec![
        item(0, MAV_CMD_NAV_WAYPOINT, 9.0, 31.0, 0.0),
        item(1, MAV_CMD_NAV_TAKEOFF, 0.0, 0.0, 15.0),
        item(2, MAV_CMD_NAV_WAYPOINT, 9.001, 31.0, 15.0),
        item(3, MAV_CMD_NAV_WAYPOINT, 9.001, 31.001, 15.0),
        item(4, MAV_CMD_NAV_RETURN_TO_LAUNCH, 0.0, 0.0, 0.0),
    ];
    // On the ground AUTO alone does not take off (ArduCopter): MISSION_START does.
    let auto = command_long(
        mav::MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        result_of(&vehicle.handle(&auto, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let mut now = TimeUs(0);
    run(&mut vehicle, 2.0, &mut now);
    assert!(!vehicle.flying(), "AUTO on the ground stays on the ground");
    let start = command_long(mav::MavCmd::MAV_CMD_MISSION_START, [0.0; 7]);
    assert_eq!(
        result_of(&vehicle.handle(&start, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let mut reached = Vec::new();
    for _ in 0..3000 {
        run(&mut vehicle, 0.1, &mut now);
        for event in vehicle.take_events() {
            if let MavMessage::MISSION_ITEM_REACHED(r) = event {
                reached.push(r.seq);
            }
        }
        if !vehicle.armed {
            break;
        }
    }
    assert_eq!(reached, vec![1, 2, 3, 4]);
    assert!(!vehicle.armed, "landed and disarmed at home");
    assert_eq!(
        vehicle.custom_mode, 3,
        "the mission's RTL item flies home in AUTO, as ArduCopter"
    );
    assert!((vehicle.lat_deg - 9.0).abs() < 2e-5 && (vehicle.lon_deg - 31.0).abs() < 2e-5);
    assert!(now.as_secs_f64() < 200.0, "took {} s", now.as_secs_f64());
}

#[test]
fn circle_mode_goes_round_a_centre_ahead_of_the_nose_facing_it() {
    let mut vehicle = guided_armed();
    vehicle.alt_rel_m = 30.0;
    vehicle.yaw_rad = 90f64.to_radians(); // facing east
    let start = (vehicle.lat_deg, vehicle.lon_deg);
    let circle = command_long(
        mav::MavCmd::MAV_CMD_DO_SET_MODE,
        [1.0, 7.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        result_of(&vehicle.handle(&circle, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    // CIRCLE_RADIUS is 1000 cm: the centre is 10 m east of where the vehicle was.
    let centre = vehicle.target.expect("a centre");
    let [north_m, east_m] = ne_m_between(start, (centre.lat_deg, centre.lon_deg));
    assert!(
        north_m.abs() < 0.01 && (east_m - 10.0).abs() < 0.01,
        "{north_m} {east_m}"
    );
    let mut now = TimeUs(0);
    let mut winding = 0.0;
    let mut last = vehicle.offset_m(centre);
    for _ in 0..90 {
        run(&mut vehicle, 0.1, &mut now);
        let offset = vehicle.offset_m(centre);
        assert!((vehicle.distance_m(centre) - 10.0).abs() < 1.0);
        let to_centre = offset.1.atan2(offset.0);
        let nose_error = (vehicle.yaw_rad - to_centre + std::f64::consts::PI).rem_euclid(TAU)
            - std::f64::consts::PI;
        assert!(
            nose_error.abs() < 0.05,
            "the nose on the centre: {nose_error}"
        );
        winding += (to_centre - last.1.atan2(last.0) + std::f64::consts::PI).rem_euclid(TAU)
            - std::f64::consts::PI;
        last = offset;
    }
    // CIRCLE_RATE 20 deg/s, positive: clockwise seen from above, 180 degrees in 9 s.
    let turned_deg = winding.to_degrees(); // bearings grow clockwise
    assert!((turned_deg - 180.0).abs() < 15.0, "{turned_deg}");
}

#[test]
fn do_orbit_is_unsupported_on_copter_and_plane() {
    for kind in [DroneKind::Multirotor, DroneKind::FixedWing] {
        let mut vehicle = SimVehicle::new(SimVehicleConfig {
            kind,
            prearm_delay_s: 0.0,
            ..SimVehicleConfig::default()
        });
        vehicle.armed = true;
        vehicle.alt_rel_m = 50.0;
        let orbit = MavMessage::COMMAND_INT(mav::COMMAND_INT_DATA {
            param1: 50.0,
            x: e7_from_deg(9.001),
            y: e7_from_deg(31.0),
            z: 50.0,
            command: mav::MavCmd::MAV_CMD_DO_ORBIT,
            target_system: 1,
            target_component: 1,
            frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
            ..Default::default()
        });
        assert_eq!(
            result_of(&vehicle.handle(&orbit, GCS)),
            mav::MavResult::MAV_RESULT_UNSUPPORTED
        );
    }
}

#[test]
fn condition_yaw_turns_the_nose_at_its_rate() {
    let mut vehicle = guided_armed();
    vehicle.alt_rel_m = 20.0;
    vehicle.target = Some(Target {
        lat_deg: vehicle.lat_deg,
        lon_deg: vehicle.lon_deg,
        alt_rel_m: 20.0,
    });
    let yaw = |angle: f32, rate: f32, direction: f32, relative: f32| {
        MavMessage::COMMAND_LONG(mav::COMMAND_LONG_DATA {
            param1: angle,
            param2: rate,
            param3: direction,
            param4: relative,
            command: mav::MavCmd::MAV_CMD_CONDITION_YAW,
            target_system: 1,
            target_component: 1,
            ..Default::default()
        })
    };
    assert_eq!(
        result_of(&vehicle.handle(&yaw(90.0, 30.0, 1.0, 0.0), GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let mut now = TimeUs(0);
    run(&mut vehicle, 1.5, &mut now);
    assert!(
        (vehicle.yaw_rad.to_degrees() - 45.0).abs() < 1.0,
        "30 deg/s"
    );
    run(&mut vehicle, 3.0, &mut now);
    assert!(
        (vehicle.yaw_rad.to_degrees() - 90.0).abs() < 1e-6,
        "then held"
    );
    // 45 degrees counter-clockwise from there.
    vehicle.handle(&yaw(45.0, 0.0, -1.0, 1.0), GCS);
    run(&mut vehicle, 2.0, &mut now);
    assert!((vehicle.yaw_rad.to_degrees() - 45.0).abs() < 1e-6);
    assert_eq!(
        result_of(&vehicle.handle(&yaw(400.0, 0.0, 0.0, 0.0), GCS)),
        mav::MavResult::MAV_RESULT_FAILED
    );
}

#[test]
fn arming_is_refused_with_the_reason_until_the_ekf_and_gps_are_ready() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let arm = command_long(
        mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    let prearm_healthy = |vehicle: &SimVehicle| {
        let Some(MavMessage::SYS_STATUS(s)) = vehicle.message(msg::SYS_STATUS, TimeUs(0), 0) else {
            panic!("SYS_STATUS")
        };
        let bit = mav::MavSysStatusSensor::MAV_SYS_STATUS_PREARM_CHECK;
        assert!(s.onboard_control_sensors_present.contains(bit));
        assert!(s.onboard_control_sensors_enabled.contains(bit));
        s.onboard_control_sensors_health.contains(bit)
    };
    let mut now = TimeUs(0);
    run(&mut vehicle, 1.0, &mut now);
    vehicle.take_events();
    assert!(!prearm_healthy(&vehicle));
    assert_eq!(
        result_of(&vehicle.handle(&arm, GCS)),
        mav::MavResult::MAV_RESULT_FAILED,
        "the ACK first"
    );
    let texts: Vec<_> = vehicle
        .take_events()
        .into_iter()
        .filter_map(|m| match m {
            MavMessage::STATUSTEXT(t) => {
                Some((t.severity, t.text.to_str().unwrap_or("").to_owned()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        [(
            mav::MavSeverity::MAV_SEVERITY_CRITICAL,
            "Arm: AHRS: EKF3 still initialising".to_owned()
        )]
    );
    run(&mut vehicle, 3.0, &mut now);
    vehicle.handle(&arm, GCS);
    assert!(!vehicle.armed);
    run(&mut vehicle, 2.0, &mut now);
    assert!(prearm_healthy(&vehicle), "ready after prearm_delay_s");
    assert!(
        vehicle
            .take_events()
            .iter()
            .any(|m| matches!(m, MavMessage::HOME_POSITION(_))),
        "home is sent unasked once set"
    );
    assert_eq!(
        result_of(&vehicle.handle(&arm, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    // A forced arm skips the checks.
    let mut fresh = SimVehicle::new(SimVehicleConfig::default());
    let forced = command_long(
        mav::MavCmd::MAV_CMD_COMPONENT_ARM_DISARM,
        [1.0, 2989.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    );
    assert_eq!(
        result_of(&fresh.handle(&forced, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
}

#[test]
fn parameters_have_the_names_of_arducopter_4_7() {
    let vehicle = SimVehicle::new(SimVehicleConfig {
        sysid: 7,
        ..SimVehicleConfig::default()
    });
    assert_eq!(vehicle.param("MAV_SYSID"), 7.0);
    assert_eq!(vehicle.param("MAV_GCS_SYSID"), 255.0);
    assert_eq!(vehicle.param("CIRCLE_RADIUS"), 1000.0, "centimetres");
    assert_eq!(vehicle.param("CIRCLE_RATE"), 20.0);
    for name in [
        "MAV1_EXT_STAT",
        "MAV1_POSITION",
        "FENCE_ENABLE",
        "FENCE_ACTION",
        "RALLY_TOTAL",
    ] {
        assert!(vehicle.params.contains_key(name), "{name}");
    }
    for old in ["SYSID_THISMAV", "SYSID_MYGCS", "SR0_POSITION", "SR1_EXTRA1"] {
        assert!(!vehicle.params.contains_key(old), "{old}");
    }
    let plane = SimVehicle::new(SimVehicleConfig {
        kind: DroneKind::FixedWing,
        ..SimVehicleConfig::default()
    });
    assert!(
        !plane.params.contains_key("CIRCLE_RADIUS"),
        "a copter parameter"
    );
}

/// Uploads `items` of `mission_type` as a ground station does and downloads them back.
#[allow(deprecated, reason = "ArduPilot asks with MISSION_REQUEST")]
pub(super) fn round_trip(
    vehicle: &mut SimVehicle,
    mission_type: mav::MavMissionType,
    items: &[mav::MISSION_ITEM_INT_DATA],
) -> Result<Vec<mav::MISSION_ITEM_INT_DATA>, mav::MavMissionResult> {
    let mut replies = vehicle.handle(
        &MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
            count: items.len() as u16,
            target_system: 1,
            target_component: 1,
            mission_type,
            ..Default::default()
        }),
        GCS,
    );
    loop {
        match replies.as_slice() {
            [MavMessage::MISSION_REQUEST(r)] => {
                assert_eq!(r.mission_type, mission_type);
                let item = mav::MISSION_ITEM_INT_DATA {
                    mission_type,
                    ..items[usize::from(r.seq)].clone()
                };
                replies = vehicle.handle(&MavMessage::MISSION_ITEM_INT(item), GCS);
            }
            [MavMessage::MISSION_ACK(a)]
                if a.mavtype == mav::MavMissionResult::MAV_MISSION_ACCEPTED =>
            {
                break;
            }
            [MavMessage::MISSION_ACK(a)] => return Err(a.mavtype),
            other => panic!("{other:?}"),
        }
    }
    let count = match vehicle
        .handle(
            &MavMessage::MISSION_REQUEST_LIST(mav::MISSION_REQUEST_LIST_DATA {
                target_system: 1,
                target_component: 1,
                mission_type,
            }),
            GCS,
        )
        .as_slice()
    {
        [MavMessage::MISSION_COUNT(c)] => c.count,
        other => panic!("{other:?}"),
    };
    Ok((0..count)
        .map(|seq| {
            match vehicle
                .handle(
                    &MavMessage::MISSION_REQUEST_INT(mav::MISSION_REQUEST_INT_DATA {
                        seq,
                        target_system: 1,
                        target_component: 1,
                        mission_type,
                    }),
                    GCS,
                )
                .as_slice()
            {
                [MavMessage::MISSION_ITEM_INT(item)] => item.clone(),
                other => panic!("{other:?}"),
            }
        })
        .collect())
}

#[test]
fn fences_and_rally_points_travel_as_arducopter_stores_them() {
    use mav::MavCmd::*;
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let vertex = |seq, lat, lon| mav::MISSION_ITEM_INT_DATA {
        param1: 3.0,
        ..item(
            seq,
            MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION,
            lat,
            lon,
            25.0,
        )
    };
    let fence = [
        vertex(0, 9.001, 31.0),
        vertex(1, 9.0, 31.001),
        vertex(2, 8.999, 30.999),
    ];
    let back = round_trip(
        &mut vehicle,
        mav::MavMissionType::MAV_MISSION_TYPE_FENCE,
        &fence,
    )
    .expect("accepted");
    assert_eq!(back.len(), 3, "no home item");
    for (sent, got) in fence.iter().zip(&back) {
        assert_eq!(
            (got.x, got.y, got.command, got.param1),
            (sent.x, sent.y, sent.command, 3.0)
        );
        assert_eq!(got.frame, mav::MavFrame::MAV_FRAME_GLOBAL);
        assert_eq!((got.z, got.autocontinue), (0.0, 0));
        assert_eq!(
            got.mission_type,
            mav::MavMissionType::MAV_MISSION_TYPE_FENCE
        );
    }
    let rally = [item(0, MAV_CMD_NAV_RALLY_POINT, 9.002, 31.0, 40.6)];
    let back = round_trip(
        &mut vehicle,
        mav::MavMissionType::MAV_MISSION_TYPE_RALLY,
        &rally,
    )
    .expect("accepted");
    assert_eq!(back.len(), 1);
    assert_eq!(back[0].frame, mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT);
    assert_eq!((back[0].x, back[0].z), (rally[0].x, 40.0));
    assert_eq!(vehicle.param("RALLY_TOTAL"), 1.0);
    assert!(vehicle.mission.is_empty(), "the mission is apart");
    assert_eq!(
        round_trip(
            &mut vehicle,
            mav::MavMissionType::MAV_MISSION_TYPE_RALLY,
            &[item(0, MAV_CMD_NAV_WAYPOINT, 9.0, 31.0, 10.0)]
        ),
        Err(mav::MavMissionResult::MAV_MISSION_UNSUPPORTED)
    );
}

#[test]
fn a_plane_repositioned_with_a_negative_radius_loiters_counter_clockwise() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig {
        kind: DroneKind::FixedWing,
        prearm_delay_s: 0.0,
        ..SimVehicleConfig::default()
    });
    vehicle.armed = true;
    vehicle.alt_rel_m = 100.0;
    let centre = Target {
        lat_deg: 9.004,
        lon_deg: 31.0,
        alt_rel_m: 100.0,
    };
    let reposition = MavMessage::COMMAND_INT(mav::COMMAND_INT_DATA {
        param1: -1.0,
        param3: -150.0,
        x: e7_from_deg(centre.lat_deg),
        y: e7_from_deg(centre.lon_deg),
        z: 100.0,
        command: mav::MavCmd::MAV_CMD_DO_REPOSITION,
        target_system: 1,
        target_component: 1,
        frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        ..Default::default()
    });
    assert_eq!(
        result_of(&vehicle.handle(&reposition, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let mut now = TimeUs(0);
    run(&mut vehicle, 240.0, &mut now);
    let mut winding = 0.0;
    let mut last = vehicle.offset_m(centre);
    for _ in 0..300 {
        run(&mut vehicle, 0.1, &mut now);
        let distance = vehicle.distance_m(centre);
        assert!(
            (distance - 150.0).abs() < 30.0,
            "on the 150 m circle: {distance}"
        );
        let offset = vehicle.offset_m(centre);
        winding += (offset.1.atan2(offset.0) - last.1.atan2(last.0) + std::f64::consts::PI)
            .rem_euclid(TAU)
            - std::f64::consts::PI;
        last = offset;
    }
    assert!(
        winding < 0.0,
        "counter-clockwise: bearings from the vehicle to the centre shrink {winding}"
    );
}

#[test]
fn commands_with_a_place_work_as_command_long_too() {
    let mut vehicle = guided_armed();
    let roi = command_long(
        mav::MavCmd::MAV_CMD_DO_SET_ROI_LOCATION,
        [0.0, 0.0, 0.0, 0.0, 9.001, 31.002, 0.0],
    );
    let roi = match roi {
        MavMessage::COMMAND_LONG(mut c) => {
            c.param5 = 9.001;
            c.param6 = 31.002;
            MavMessage::COMMAND_LONG(c)
        }
        other => other,
    };
    assert_eq!(
        result_of(&vehicle.handle(&roi, GCS)),
        mav::MavResult::MAV_RESULT_ACCEPTED
    );
    let (lat, lon) = vehicle.roi.expect("a region of interest");
    assert!((lat - 9.001).abs() < 1e-5 && (lon - 31.002).abs() < 1e-5);
}

#[test]
fn mavftp_requests_are_refused_at_once() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let mut payload = [0u8; 251];
    payload[0..2].copy_from_slice(&41u16.to_le_bytes());
    payload[2] = 7; // session
    payload[3] = 4; // OpenFileRO
    let request = MavMessage::FILE_TRANSFER_PROTOCOL(mav::FILE_TRANSFER_PROTOCOL_DATA {
        target_network: 0,
        target_system: 1,
        target_component: 1,
        payload,
    });
    let replies = vehicle.handle(&request, (255, 230));
    let [MavMessage::FILE_TRANSFER_PROTOCOL(nak)] = replies.as_slice() else {
        panic!("{replies:?}")
    };
    assert_eq!(
        (nak.target_system, nak.target_component),
        (255, 230),
        "to the sender"
    );
    assert_eq!(u16::from_le_bytes([nak.payload[0], nak.payload[1]]), 42);
    assert_eq!(&nak.payload[2..6], &[7, FTP_NAK, 1, 4]);
    assert_eq!(nak.payload[12], FTP_ERROR_FILE_NOT_FOUND);
}

#[test]
fn losing_the_ground_station_triggers_rtl() {
    let mut vehicle = guided_armed();
    let mut now = TimeUs(0);
    // Off by default, as in ArduCopter 4.7: the operator turns it on.
    vehicle.handle(
        &MavMessage::PARAM_SET(mav::PARAM_SET_DATA {
            param_value: 1.0,
            target_system: vehicle.config.sysid,
            target_component: vehicle.config.compid,
            param_id: "FS_GCS_ENABLE".into(),
            param_type: mav::MavParamType::MAV_PARAM_TYPE_INT8,
        }),
        GCS,
    );
    assert_eq!(vehicle.param("FS_GCS_ENABLE"), 1.0);
    vehicle.handle(
        &MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
            mavtype: mav::MavType::MAV_TYPE_GCS,
            ..Default::default()
        }),
        GCS,
    );
    vehicle.handle(
        &command_long(
            mav::MavCmd::MAV_CMD_NAV_TAKEOFF,
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 10.0],
        ),
        GCS,
    );
    run(&mut vehicle, 4.9, &mut now);
    assert_eq!(vehicle.custom_mode, 4, "still guided within FS_GCS_TIMEOUT");
    run(&mut vehicle, 0.3, &mut now);
    assert_eq!(
        vehicle.custom_mode, 6,
        "RTL after 5 s without the ground station"
    );
    assert!(
        vehicle
            .take_events()
            .iter()
            .any(|m| matches!(m, MavMessage::STATUSTEXT(_)))
    );
}

#[test]
fn gps_reports_wander_near_the_true_position() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let mut now = TimeUs(0);
    let (mut worst_m, mut sum_sq, mut samples) = (0.0f64, 0.0, 0.0);
    for _ in 0..3000 {
        run(&mut vehicle, 0.1, &mut now);
        let (lat, lon) = vehicle.reported_lat_lon_deg();
        let [north, east] = ne_m_between((vehicle.lat_deg, vehicle.lon_deg), (lat, lon));
        let error_m = north.hypot(east);
        worst_m = worst_m.max(error_m);
        sum_sq += error_m * error_m;
        samples += 1.0;
    }
    let rms_m = (sum_sq / samples).sqrt();
    assert!(
        (0.3..2.0).contains(&rms_m),
        "a GPS wanders by a metre or so: {rms_m}"
    );
    assert!(worst_m < 6.0, "{worst_m}");
    assert_eq!(
        (vehicle.lat_deg, vehicle.lon_deg),
        (9.0, 31.0),
        "the vehicle itself did not move"
    );
}

#[test]
fn the_wind_carries_a_plane_but_not_a_multirotor_holding_position() {
    let wind = [0.0, 5.0]; // blowing towards the east
    let mut plane = SimVehicle::new(SimVehicleConfig {
        kind: DroneKind::FixedWing,
        wind_ne_mps: wind,
        ..SimVehicleConfig::default()
    });
    plane.armed = true;
    plane.alt_rel_m = 100.0;
    plane.custom_mode = 15;
    plane.target = Some(Target {
        lat_deg: 9.0,
        lon_deg: 31.0,
        alt_rel_m: 100.0,
    });
    let mut copter = guided_armed();
    copter.config.wind_ne_mps = wind;
    copter.alt_rel_m = 20.0;
    copter.target = Some(Target {
        lat_deg: 9.0,
        lon_deg: 31.0,
        alt_rel_m: 20.0,
    });
    let mut now = TimeUs(0);
    let mut max_east_m = 0.0f64;
    for _ in 0..600 {
        run(&mut plane, 0.1, &mut now);
        run(&mut copter, 0.1, &mut now);
        max_east_m = max_east_m.max(
            plane
                .offset_m(Target {
                    lat_deg: 9.0,
                    lon_deg: 31.0,
                    alt_rel_m: 0.0,
                })
                .1
                .abs(),
        );
    }
    let east_of_centre_m = -plane
        .offset_m(Target {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_rel_m: 0.0,
        })
        .1;
    assert!(
        max_east_m > PLANE_LOITER_RADIUS_M,
        "the loiter circle is pushed around: {max_east_m}"
    );
    assert!(east_of_centre_m.is_finite());
    assert!(
        copter.distance_m(Target {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_rel_m: 20.0
        }) < 0.01,
        "the copter holds"
    );
}

#[test]
fn a_plane_circles_its_target_at_cruise_speed() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig {
        kind: DroneKind::FixedWing,
        ..SimVehicleConfig::default()
    });
    vehicle.armed = true;
    vehicle.alt_rel_m = 100.0;
    vehicle.custom_mode = 15;
    vehicle.target = Some(Target {
        lat_deg: 9.005,
        lon_deg: 31.0,
        alt_rel_m: 100.0,
    });
    let mut now = TimeUs(0);
    run(&mut vehicle, 240.0, &mut now);
    let distance = vehicle.distance_m(Target {
        lat_deg: 9.005,
        lon_deg: 31.0,
        alt_rel_m: 100.0,
    });
    assert!(
        (distance - PLANE_LOITER_RADIUS_M).abs() < 25.0,
        "loitering at {distance} m"
    );
    let speed = vehicle.vel_ned_mps[0].hypot(vehicle.vel_ned_mps[1]);
    assert!((speed - PLANE_CRUISE_MPS).abs() < 1e-9);
}
