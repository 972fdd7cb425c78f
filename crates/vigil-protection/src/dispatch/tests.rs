//! The dispatcher's own tests: taking back, reliefs, one dispatch per drone.

use super::*;

#[test]
fn taking_back_a_drone_sent_nowhere_says_so_and_an_ended_one_is_free() {
    let mut dispatcher = Dispatcher::default();
    let error = dispatcher.release(3).expect_err("nothing to take back");
    assert!(error.contains("drone 3"), "{error}");
    dispatcher.records.push(DispatchRecord {
        id: 7,
        drone: 3,
        alert: Some(2),
        site: None,
        target: LatLon {
            lat_deg: 9.0,
            lon_deg: 31.0,
        },
        by: "vigil patrol".into(),
        at: TimeUs(0),
        state: DispatchState::Orbiting,
        steps: Vec::new(),
        failure: Some("track 4 is gone".into()),
        following: Some(4),
        followed_at: None,
    });
    assert_eq!(dispatcher.release(3), Ok(7));
    assert_eq!(dispatcher.records[0].state, DispatchState::Released);
    assert!(dispatcher.busy().is_empty());
    assert_eq!(dispatcher.take_changes().len(), 1);
    assert!(dispatcher.release(3).is_err(), "taken back once");
}

/// Answers every command sent with "accepted".
fn accept(requests: Vec<Request>) {
    for request in requests {
        if let Request::Command { reply, .. } = request {
            let _ = reply.try_send(CommandOutcome::Accepted);
        }
    }
}

fn order(target: LatLon, drone: u8, follow: Option<u64>) -> DispatchOrder {
    DispatchOrder {
        target,
        alert: Some(1),
        site: None,
        by: "operator".into(),
        drone: Some(drone),
        follow,
        exclude: None,
    }
}

#[test]
fn a_relief_is_never_a_drone_on_other_movers_and_a_drone_holds_one_dispatch() {
    use crate::tests::{at, drone, t};
    use std::sync::Arc;
    let config = DispatchConfig::default();
    let mut world = World::new();
    // Drone 1 on station over track 5, 1 km east; drone 2 sent to a place 1 km west.
    for (sysid, east_m) in [(1, 1000.0), (2, -1000.0)] {
        let vehicle = drone(sysid, east_m, 0.0, 90.0, t(0.0));
        world.vehicles.insert(sysid, Arc::new(vehicle));
    }
    let track = |_: u64| Some((at(1000.0, 0.0), 1.0));
    let mut dispatcher = Dispatcher::default();
    let (reply, _updates) = bounded(DISPATCH_REPLY_CAPACITY);
    let busy = dispatcher.start(
        &world,
        &config,
        order(at(-1000.0, 0.0), 2, None),
        t(0.0),
        reply,
    );
    let (reply, _updates) = bounded(DISPATCH_REPLY_CAPACITY);
    let follow = dispatcher.start(
        &world,
        &config,
        order(at(1000.0, 0.0), 1, Some(5)),
        t(0.0),
        reply,
    );
    assert_eq!((busy, follow), (Some(2), Some(1)));
    for s in 1..10 {
        let (requests, _) = dispatcher.pump(&world, t(f64::from(s)), t(0.0), &track, &config);
        accept(requests);
    }
    assert!(
        dispatcher
            .records
            .iter()
            .all(|r| r.state == DispatchState::Orbiting)
    );
    // Drone 1's battery falls below the hand-over level: drone 2 is on other work, and
    // no other drone can go.
    let low = drone(1, 1000.0, 0.0, config.handover_battery_pct - 5.0, t(10.0));
    world.vehicles.insert(1, Arc::new(low));
    let (requests, _) = dispatcher.pump(&world, t(10.0), t(10.0), &track, &config);
    accept(requests);
    assert_eq!(dispatcher.records.len(), 2, "{:#?}", dispatcher.records);
    assert!(dispatcher.records.iter().all(|r| r.state.is_under_way()));
    // An idle drone comes: asked again a minute later, it goes, sent on the records' clock.
    let idle = drone(3, 0.0, -500.0, 90.0, t(20.0));
    world.vehicles.insert(3, Arc::new(idle));
    let (requests, _) = dispatcher.pump(&world, t(71.0), t(30.0), &track, &config);
    accept(requests);
    let relief = dispatcher.records.last().expect("a relief");
    assert_eq!(
        (relief.drone, relief.following, relief.at),
        (3, Some(5), t(30.0))
    );
    assert!(relief.by.contains("hand-over from drone 1"), "{relief:?}");
    // The operator sends drone 2 elsewhere: its first dispatch ends, taken back.
    let (reply, _updates) = bounded(DISPATCH_REPLY_CAPACITY);
    dispatcher.start(
        &world,
        &config,
        order(at(0.0, 1000.0), 2, None),
        t(80.0),
        reply,
    );
    let of_2: Vec<&DispatchRecord> = dispatcher.records.iter().filter(|r| r.drone == 2).collect();
    assert_eq!(of_2.len(), 2);
    assert_eq!(of_2[0].state, DispatchState::Released);
    assert!(
        of_2[0]
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("instead"))
    );
    assert!(of_2[1].state.is_under_way());
    assert_eq!(dispatcher.active.iter().filter(|a| a.drone == 2).count(), 1);
}

#[test]
fn a_drone_on_its_way_to_follow_movers_points_its_orbit_and_camera_where_they_are_now() {
    use crate::tests::{at, drone, t};
    use std::cell::Cell;
    use std::sync::Arc;
    let config = DispatchConfig::default();
    let mut world = World::new();
    // Drone 2, 1 km west of where track 5 was when it was sent, stays there (far from
    // arriving) while the track walks east.
    world
        .vehicles
        .insert(2, Arc::new(drone(2, -1000.0, 0.0, 90.0, t(0.0))));
    let east_m = Cell::new(0.0);
    let track = |_: u64| Some((at(east_m.get(), 0.0), 1.0));
    let mut dispatcher = Dispatcher::default();
    let (reply, _updates) = bounded(DISPATCH_REPLY_CAPACITY);
    dispatcher.start(
        &world,
        &config,
        order(at(0.0, 0.0), 2, Some(5)),
        t(0.0),
        reply,
    );
    let mut sent = Vec::new();
    for s in 1..30 {
        east_m.set(f64::from(s) * 5.0);
        let (requests, _) = dispatcher.pump(&world, t(f64::from(s)), t(0.0), &track, &config);
        for request in &requests {
            if let Request::Command { action, .. } = request {
                sent.push(action.clone());
            }
        }
        accept(requests);
    }
    assert_eq!(dispatcher.records[0].state, DispatchState::EnRoute);
    // The last orbit and camera point are where the track is now (145 m east), give or take
    // the distances they move at.
    let east_of = |lon_deg: f64| (lon_deg - at(0.0, 0.0).lon_deg) * 110_000.0;
    let orbit = (sent.iter().rev())
        .find_map(|a| match a {
            Action::Orbit { lon_deg, .. } => Some(east_of(*lon_deg)),
            _ => None,
        })
        .expect("an orbit");
    let camera = (sent.iter().rev())
        .find_map(|a| match a {
            Action::PointGimbal { lon_deg, .. } => Some(east_of(*lon_deg)),
            _ => None,
        })
        .expect("a camera point");
    assert!(
        orbit > 145.0 - config.follow_move_m - 5.0,
        "the orbit is {orbit:.0} m east: {sent:#?}"
    );
    assert!(
        camera > 145.0 - follow::ROI_MOVE_M - 5.0,
        "the camera points {camera:.0} m east: {sent:#?}"
    );
}
