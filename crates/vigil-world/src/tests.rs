use std::time::Instant;

use super::*;
use vigil_link::{LinkId, RxStamp};
use vigil_protocol::{FrameEncoder, MavVersion, e7_from_deg};

fn envelope(encoder: &mut FrameEncoder, message: MavMessage, seconds: f64) -> Envelope {
    let frame = encoder.encode(&message, MavVersion::V2).expect("encodes");
    Envelope {
        link: LinkId(0),
        rx: RxStamp {
            time: TimeUs::from_secs_f64(1.7e9 + seconds),
            mono: Instant::now(),
        },
        frame,
        message,
    }
}

fn heartbeat(mavtype: mav::MavType) -> MavMessage {
    MavMessage::HEARTBEAT(mav::HEARTBEAT_DATA {
        mavtype,
        autopilot: mav::MavAutopilot::MAV_AUTOPILOT_ARDUPILOTMEGA,
        mavlink_version: 3,
        ..Default::default()
    })
}

fn position(lat_deg: f64, lon_deg: f64) -> MavMessage {
    MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
        lat: e7_from_deg(lat_deg),
        lon: e7_from_deg(lon_deg),
        hdg: u16::MAX,
        ..Default::default()
    })
}

fn critical(world: &World) -> Vec<String> {
    world
        .notices
        .iter()
        .filter(|n| n.severity == Severity::Critical)
        .map(|n| n.text.clone())
        .collect()
}

#[test]
fn a_gps_jump_is_raised_to_the_operator_once() {
    let mut world = World::new();
    let mut encoder = FrameEncoder::new(4, 1);
    world.apply(&envelope(
        &mut encoder,
        heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
        0.0,
    ));
    for i in 0..10 {
        world.apply(&envelope(
            &mut encoder,
            position(9.0, 31.0),
            f64::from(i) * 0.2,
        ));
    }
    assert!(critical(&world).is_empty());
    world.apply(&envelope(&mut encoder, position(9.01, 31.0), 2.2));
    world.apply(&envelope(&mut encoder, position(9.01, 31.0), 2.4));
    let raised = critical(&world);
    assert_eq!(raised.len(), 1, "{raised:?}");
    // 0.01° of latitude at 9°N on the ellipsoid (not 1113 m of a sphere).
    assert!(raised[0].contains("GPS JUMP of 1106 m"), "{raised:?}");
    assert!(world.vehicles[&4].integrity.flags.gps_jump.is_some());
}

#[test]
fn two_vehicles_claiming_one_system_id_are_raised() {
    let mut world = World::new();
    let (mut first, mut second) = (FrameEncoder::new(6, 1), FrameEncoder::new(6, 1));
    for _ in 0..100 {
        second
            .encode(
                &heartbeat(mav::MavType::MAV_TYPE_FIXED_WING),
                MavVersion::V2,
            )
            .expect("advance its sequence");
    }
    for i in 0..8 {
        world.apply(&envelope(
            &mut first,
            heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
            f64::from(i),
        ));
        world.apply(&envelope(
            &mut second,
            heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
            f64::from(i) + 0.5,
        ));
    }
    let raised = critical(&world);
    assert_eq!(raised.len(), 1, "raised once: {raised:?}");
    assert!(
        raised[0].contains("TWO SENDERS may be using system id 6"),
        "{raised:?}"
    );
}

#[test]
fn a_timesync_answer_measures_the_links_latency() {
    let mut world = World::new();
    let mut encoder = FrameEncoder::new(4, 1);
    world.apply(&envelope(
        &mut encoder,
        heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
        0.0,
    ));
    // We sent at 1.0 s (ts1 in ns); the answer arrives at 1.08 s: 40 ms each way.
    let sent_ns = (1.7e9 + 1.0) as i64 * 1_000_000_000;
    let answer = MavMessage::TIMESYNC(mav::TIMESYNC_DATA {
        tc1: 5,
        ts1: sent_ns,
        target_system: 255,
        target_component: 190,
    });
    world.apply(&envelope(&mut encoder, answer, 1.08));
    let latency = world.vehicles[&4].link_latency.expect("measured");
    assert!((latency.as_secs_f64() - 0.04).abs() < 1e-4, "{latency:?}");
}

#[test]
fn a_position_is_brought_to_the_present_by_its_velocity() {
    let mut world = World::new();
    let mut encoder = FrameEncoder::new(4, 1);
    world.apply(&envelope(
        &mut encoder,
        heartbeat(mav::MavType::MAV_TYPE_QUADROTOR),
        0.0,
    ));
    let moving = MavMessage::GLOBAL_POSITION_INT(mav::GLOBAL_POSITION_INT_DATA {
        lat: e7_from_deg(9.0),
        lon: e7_from_deg(31.0),
        vx: 1000, // 10 m/s north
        hdg: u16::MAX,
        ..Default::default()
    });
    world.apply(&envelope(&mut encoder, moving, 1.0));
    let vehicle = &world.vehicles[&4];
    let now = TimeUs::from_secs_f64(1.7e9 + 2.5);
    let present = vehicle.position_at(now).expect("a position");
    let metres_north = |lat_deg: f64| {
        let start = vigil_core::geodesy::Geodetic::from_deg(9.0, 31.0, 0.0);
        let end = vigil_core::geodesy::Geodetic::from_deg(lat_deg, 31.0, 0.0);
        vigil_core::geodesy::distance_m(&start, &end)
    };
    assert!(
        (metres_north(present.lat_deg) - 15.0).abs() < 1e-6,
        "1.5 s at 10 m/s north"
    );
    let later = vehicle
        .position_at(TimeUs::from_secs_f64(1.7e9 + 60.0))
        .expect("a position");
    assert!(
        (metres_north(later.lat_deg) - 30.0).abs() < 1e-6,
        "extrapolated 3 s at most"
    );
}
