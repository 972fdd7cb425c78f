//! Movement at a sensor (issue #18): at night, a ground sensor away from where people live
//! that stirs again and again while nothing is tracked there is a warning, one per site, and
//! a drone sent to it looks at the way in to the site rather than at the sensor.

use super::*;

/// Night all day by the clock, residents on.
fn night_rules() -> RulesConfig {
    let mut rules = day_rules();
    rules.residents.enabled = true;
    rules.night.from_local_hour = 0.0;
    rules.night.to_local_hour = 24.0;
    rules
}

/// A seismic node at (east, north) that detected at each of `seconds` (suggesting `class`).
fn stirred(sysid: u8, east_m: f64, north_m: f64, seconds: &[f64], class: ClassHint) -> SensorNode {
    let mut node = sensor(sysid, east_m, north_m, t(100.0));
    node.recent_detections = seconds.iter().map(|s| (t(*s), class)).collect();
    node
}

/// Testville (a village, 300 m buffer) and its sensors: 31 and 32 on a path 400 m outside
/// the buffer, both stirred; 33 in the village; 34 stirred only twice; 35 by cattle; 36 far
/// away.
fn world() -> World {
    let mut world = World::new();
    world.time = t(100.0);
    let person = ClassHint::Unknown;
    for node in [
        stirred(31, 700.0, 0.0, &[50.0, 60.0, 70.0, 80.0, 95.0], person),
        stirred(32, 760.0, 0.0, &[70.0, 85.0, 99.0], person),
        stirred(33, 50.0, 0.0, &[80.0, 90.0, 99.0], person),
        stirred(34, 700.0, 300.0, &[90.0, 99.0], person),
        stirred(
            35,
            -700.0,
            0.0,
            &[80.0, 90.0, 95.0, 99.0],
            ClassHint::Animal,
        ),
        stirred(36, 5000.0, 0.0, &[80.0, 90.0, 95.0, 99.0], person),
        // Stirred, but long ago.
        stirred(37, 0.0, -700.0, &[10.0, 15.0, 20.0], person),
    ] {
        world.sensors.insert((node.sysid, 1), Arc::new(node));
    }
    world
}

#[test]
fn a_sensor_stirred_at_night_away_from_homes_is_one_warning_for_its_site() {
    let mut p = Protection::new(one_site(300.0, false), night_rules());
    p.step(&world(), &[], t(100.0));
    let alerts = alerts_of(&p, RuleKind::SensorActivity);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.severity, AlertSeverity::Warning);
    assert_eq!(alert.cause.sensor, Some((31, 1)), "the busiest");
    assert!(alert.cause.tracks.is_empty());
    assert!(
        alert
            .text
            .contains("seismic sensor 31/1 (and 32/1) 400 m outside the buffer of Testville")
            && alert.text.contains("5 detections in 60 s"),
        "{}",
        alert.text
    );
    let sensor_at = at(700.0, 0.0);
    assert!((alert.position.lat_deg - sensor_at.lat_deg).abs() < 1e-9);
    assert!(alert.rule.is_about_movers() && !alert.rule.is_about_tracks());

    // By day, the same detections are people about their work: nothing.
    let mut day = Protection::new(one_site(300.0, false), rules_with_residents());
    day.step(&world(), &[], t(100.0));
    assert!(alerts_of(&day, RuleKind::SensorActivity).is_empty());

    // A track at the sensor explains it: the track rules judge that mover.
    let mut tracked = Protection::new(one_site(300.0, false), night_rules());
    let walker = [track(7, 705.0, 0.0, [0.0, 0.0], t(100.0))];
    tracked.step(&world(), &walker, t(100.0));
    assert!(alerts_of(&tracked, RuleKind::SensorActivity).is_empty());

    // A faulted node detects nothing, whatever it sent before.
    let mut faulted = world();
    faulted.sensors.retain(|key, _| key.0 != 32);
    if let Some(node) = faulted.sensors.get_mut(&(31, 1)) {
        Arc::make_mut(node).flags.sensor_fault = true;
    }
    let mut p = Protection::new(one_site(300.0, false), night_rules());
    p.step(&faulted, &[], t(100.0));
    assert!(alerts_of(&p, RuleKind::SensorActivity).is_empty());
}

fn rules_with_residents() -> RulesConfig {
    let mut rules = day_rules();
    rules.residents.enabled = true;
    rules
}

/// The sensors' world with a drone west of the village, stepped once by `p`; the drone
/// sent to the warning about movement at sensor 31, and that warning's id.
fn sent_to_sensor_31(p: &mut Protection) -> (DispatchRecord, u64) {
    let mut world = world();
    world
        .vehicles
        .insert(1, Arc::new(drone(1, -1000.0, 0.0, 90.0, t(100.0))));
    p.step(&world, &[], t(100.0));
    let alert = alerts_of(p, RuleKind::SensorActivity)
        .pop()
        .expect("movement at sensor 31");
    (send_to_alert(p, &world, alert.id, t(100.0)), alert.id)
}

#[test]
fn a_drone_sent_to_movement_at_a_sensor_looks_at_the_way_in() {
    let mut p = Protection::new(one_site(300.0, false), night_rules());
    let (dispatch, alert) = sent_to_sensor_31(&mut p);
    assert_eq!(dispatch.alert, Some(alert));
    assert_eq!(dispatch.following, None, "no track to follow yet");
    // The edge of the 300 m buffer on the way from the sensor (700 m east) to the village.
    let off_m = metres(dispatch.target, at(300.0, 0.0));
    assert!(off_m <= 10.0, "{off_m:.1} m from the way in");
}

/// With the area's ways: sensor 31 (700 m east of the village) is 30 m off a path that
/// comes from the east, turns north-west past the village and comes into it from the north;
/// movers felt there come in where the path does, 420 m from where the straight line from the
/// sensor would.
#[test]
fn a_drone_sent_to_movement_at_a_sensor_beside_a_path_looks_where_the_path_comes_in() {
    let path = predict::Way {
        name: "Field path".into(),
        points: vec![
            at(1200.0, 30.0),
            at(700.0, 30.0),
            at(0.0, 700.0),
            at(0.0, 0.0),
        ],
        water_ends: [false; 2],
    };
    let mut p = Protection::new(one_site(300.0, false), night_rules()).with_ways(vec![path]);
    let (dispatch, _) = sent_to_sensor_31(&mut p);
    let off_m = metres(dispatch.target, at(0.0, 300.0));
    assert!(off_m <= 12.0, "{off_m:.1} m from where the path comes in");
}

#[test]
fn the_rules_file_names_a_bad_sensor_activity_value() {
    let built_in = RulesConfig::builtin();
    assert_eq!(built_in.sensor_activity, rules::SensorActivity::default());
    for (text, field) in [
        (
            "[sensor_activity]\nmin_detections = 0",
            "sensor_activity.min_detections",
        ),
        (
            "[sensor_activity]\nwindow_s = -1.0",
            "sensor_activity.window_s",
        ),
        (
            "[sensor_activity]\nexplained_m = nan",
            "sensor_activity.explained_m",
        ),
    ] {
        match RulesConfig::parse(text, "rules.toml") {
            Err(ProtectionError::Rules { field: named, .. }) => assert_eq!(named, field),
            other => panic!("{text}: {other:?}"),
        }
    }
}
