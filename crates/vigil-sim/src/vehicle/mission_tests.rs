//! The mission protocol's timers and AUTO's mission items as ArduPilot runs them: a lost
//! request asked for again, an idle upload cancelled, a plane's waypoint taken within
//! WP_RADIUS, DO_JUMP.

use super::tests::{GCS, guided_armed, round_trip, run};
use super::*;

/// A mission item at `lat_deg, lon_deg`, 100 m above home.
fn waypoint(seq: u16, lat_deg: f64, lon_deg: f64) -> mav::MISSION_ITEM_INT_DATA {
    mav::MISSION_ITEM_INT_DATA {
        seq,
        command: mav::MavCmd::MAV_CMD_NAV_WAYPOINT,
        frame: mav::MavFrame::MAV_FRAME_GLOBAL_RELATIVE_ALT,
        x: (lat_deg * 1e7) as i32,
        y: (lon_deg * 1e7) as i32,
        z: 100.0,
        autocontinue: 1,
        target_system: 1,
        target_component: 1,
        ..Default::default()
    }
}

#[test]
#[allow(deprecated, reason = "ArduPilot asks with MISSION_REQUEST")]
fn an_upload_whose_request_was_lost_is_asked_again_then_cancelled_as_ardupilot_does() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig::default());
    let mut now = TimeUs(1_000_000);
    run(&mut vehicle, 0.1, &mut now);
    let count = MavMessage::MISSION_COUNT(mav::MISSION_COUNT_DATA {
        count: 3,
        target_system: 1,
        target_component: 1,
        ..Default::default()
    });
    // The first request is lost on the way.
    let _lost = vehicle.handle(&count, GCS);
    vehicle.take_events();
    run(&mut vehicle, 0.5, &mut now);
    assert!(
        vehicle.take_events().is_empty(),
        "not asked again within 1 s"
    );
    run(&mut vehicle, 0.7, &mut now);
    let asked: Vec<u16> = vehicle
        .take_events()
        .iter()
        .filter_map(|m| match m {
            MavMessage::MISSION_REQUEST(r) => Some(r.seq),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [0], "item 0 asked again after 1 s");
    // Nothing more comes: the upload is cancelled after 8 s.
    run(&mut vehicle, 8.0, &mut now);
    let events = vehicle.take_events();
    assert!(
        events.iter().any(|m| matches!(m, MavMessage::MISSION_ACK(a)
            if a.mavtype == mav::MavMissionResult::MAV_MISSION_OPERATION_CANCELLED)),
        "{events:?}"
    );
    assert!(vehicle.upload.is_none());
}

#[test]
fn a_plane_in_auto_takes_each_waypoint_within_wp_radius() {
    let mut vehicle = SimVehicle::new(SimVehicleConfig {
        kind: DroneKind::FixedWing,
        prearm_delay_s: 0.0,
        ..SimVehicleConfig::default()
    });
    let home = (vehicle.config.home_lat_deg, vehicle.config.home_lon_deg);
    let items = [
        waypoint(0, home.0, home.1),
        waypoint(1, home.0 + 0.01, home.1),
        waypoint(2, home.0 + 0.01, home.1 + 0.01),
        waypoint(3, home.0, home.1 + 0.01),
    ];
    round_trip(
        &mut vehicle,
        mav::MavMissionType::MAV_MISSION_TYPE_MISSION,
        &items,
    )
    .expect("uploaded");
    vehicle.armed = true;
    vehicle.alt_rel_m = 100.0;
    let mut now = TimeUs(0);
    run(&mut vehicle, 0.1, &mut now);
    vehicle.set_mode(vehicle.modes.auto);
    // Three legs of about 1.1 km at cruise speed: under four minutes.
    run(&mut vehicle, 240.0, &mut now);
    assert!(
        vehicle.progress.is_none(),
        "past the last waypoint, not circling one: {:?}",
        vehicle.progress
    );
    let last = vehicle.distance_m(Target {
        lat_deg: home.0,
        lon_deg: home.1 + 0.01,
        alt_rel_m: 100.0,
    });
    assert!(last < 300.0, "near the last waypoint: {last:.0} m");
}

#[test]
fn do_jump_repeats_the_loop_as_ardupilot_does() {
    let mut vehicle = guided_armed();
    let home = (vehicle.config.home_lat_deg, vehicle.config.home_lon_deg);
    let jump = |seq: u16, to: f32, times: f32| mav::MISSION_ITEM_INT_DATA {
        seq,
        command: mav::MavCmd::MAV_CMD_DO_JUMP,
        param1: to,
        param2: times,
        target_system: 1,
        target_component: 1,
        ..Default::default()
    };
    // Home, two points 100 m apart, then back to the first for ever.
    let items = [
        waypoint(0, home.0, home.1),
        waypoint(1, home.0 + 0.0009, home.1),
        waypoint(2, home.0 + 0.0009, home.1 + 0.0009),
        jump(3, 1.0, -1.0),
    ];
    round_trip(
        &mut vehicle,
        mav::MavMissionType::MAV_MISSION_TYPE_MISSION,
        &items,
    )
    .expect("uploaded");
    vehicle.alt_rel_m = 100.0;
    vehicle.set_mode(vehicle.modes.auto);
    let mut now = TimeUs(0);
    let mut reached = Vec::new();
    for _ in 0..600 {
        run(&mut vehicle, 0.5, &mut now);
        reached.extend(vehicle.take_events().iter().filter_map(|m| match m {
            MavMessage::MISSION_ITEM_REACHED(r) => Some(r.seq),
            _ => None,
        }));
    }
    let rounds = reached.windows(2).filter(|w| w == &[1, 2]).count();
    assert!(rounds >= 3, "still looping after 5 min: {reached:?}");
    assert!(vehicle.progress.is_some(), "never past the end");

    // A jump with a count: once, then on past it to the end.
    let mut vehicle = guided_armed();
    let items = [
        waypoint(0, home.0, home.1),
        waypoint(1, home.0 + 0.0009, home.1),
        waypoint(2, home.0 + 0.0009, home.1 + 0.0009),
        jump(3, 1.0, 1.0),
    ];
    round_trip(
        &mut vehicle,
        mav::MavMissionType::MAV_MISSION_TYPE_MISSION,
        &items,
    )
    .expect("uploaded");
    vehicle.alt_rel_m = 100.0;
    vehicle.set_mode(vehicle.modes.auto);
    let mut reached = Vec::new();
    for _ in 0..600 {
        run(&mut vehicle, 0.5, &mut now);
        reached.extend(vehicle.take_events().iter().filter_map(|m| match m {
            MavMessage::MISSION_ITEM_REACHED(r) => Some(r.seq),
            _ => None,
        }));
    }
    assert_eq!(
        reached,
        [1, 2, 1, 2, 3],
        "one jump back, then on past the jump"
    );
    assert!(vehicle.progress.is_none());
}
