use super::*;
use vigil_core::geodesy::Geodetic;

fn at(east_m: f64, north_m: f64) -> LatLon {
    let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
    latlon_of(&frame, [east_m, north_m])
}

fn site(name: &str, east_m: f64, north_m: f64, category: SiteCategory) -> Site {
    let centre = at(east_m, north_m);
    Site {
        id: 0,
        feature_id: None,
        name: name.into(),
        category,
        population: None,
        buffer_m: 200.0,
        sensitive: false,
        outline: vec![vec![centre]],
        centre,
        buffer: Vec::new(),
    }
}

fn drone(sysid: u8, east_m: f64) -> PatrolDrone {
    PatrolDrone {
        sysid,
        home: at(east_m, 0.0),
        speed_mps: 10.0,
        endurance_s: 3600.0,
        swath_m: 100.0,
    }
}

/// Four water points at the corners of a 2 km square.
fn square(drones: Vec<PatrolDrone>) -> PatrolInput {
    PatrolInput {
        sites: vec![
            site("A", 0.0, 0.0, SiteCategory::WaterPoint),
            site("B", 2000.0, 0.0, SiteCategory::WaterPoint),
            site("C", 2000.0, 2000.0, SiteCategory::WaterPoint),
            site("D", 0.0, 2000.0, SiteCategory::WaterPoint),
        ],
        sensors: Vec::new(),
        drones,
        ways: Vec::new(),
        alt_rel_m: 120.0,
        night: false,
        threatened: Vec::new(),
    }
}

#[test]
fn one_drone_flies_one_loop_over_every_sites_approaches() {
    let plan = plan(&square(vec![drone(1, 1000.0)])).expect("a plan");
    assert_eq!(plan.loops.len(), 1);
    let lp = &plan.loops[0];
    // About 4 × 2 km between the sites plus four buffer rings (2π × 200 m each).
    assert!(
        (8000.0..12_000.0).contains(&lp.length_m),
        "{} m",
        lp.length_m
    );
    assert!((lp.period_s - lp.length_m / 10.0).abs() < 1e-6);
    for s in &plan.sites {
        assert_eq!(s.revisit_s, Some(lp.period_s), "{s:?}");
        assert!(s.points >= 12, "{s:?}");
    }
    assert_eq!(
        plan,
        super::plan(&square(vec![drone(1, 1000.0)])).expect("again")
    );
}

#[test]
fn two_drones_split_the_sites_and_halve_the_worst_revisit() {
    let one = plan(&square(vec![drone(1, 1000.0)])).expect("a plan");
    let two = plan(&square(vec![drone(1, 0.0), drone(2, 2000.0)])).expect("a plan");
    assert_eq!(two.loops.len(), 2);
    assert!(
        two.worst_weighted_s < 0.7 * one.worst_weighted_s,
        "{} vs {}",
        two.worst_weighted_s,
        one.worst_weighted_s
    );
}

#[test]
fn a_site_its_sensors_cover_needs_no_patrol() {
    let mut input = square(vec![drone(1, 1000.0)]);
    input.sensors.push(SensorCover {
        at: at(0.0, 0.0),
        radius_m: 400.0,
        sector_rad: None,
    });
    let plan = plan(&input).expect("a plan");
    let a = &plan.sites[0];
    assert_eq!(a.site, "A");
    assert_eq!(a.revisit_s, None);
    assert_eq!(a.sensor_covered, a.points);
}

#[test]
fn a_drone_short_of_battery_keeps_the_most_important_approaches() {
    // Ten minutes: not the whole square; the camp's approaches first.
    let mut short = drone(1, 1000.0);
    short.endurance_s = 600.0;
    let mut input = square(vec![short]);
    input.sites[2].category = SiteCategory::Camp;
    let plan = plan(&input).expect("a plan");
    assert_eq!(plan.loops.len(), 1);
    assert!(plan.unpatrolled_points > 0);
    assert!(plan.loops[0].period_s <= 600.0);
    assert!(plan.sites[2].revisit_s.is_some(), "{:?}", plan.sites);
    // A minute: nothing within reach and back.
    let mut none = drone(1, 1000.0);
    none.endurance_s = 60.0;
    let plan = super::plan(&square(vec![none])).expect("a plan");
    assert!(plan.loops.is_empty());
    assert!(
        plan.left_out[0].1.contains("battery"),
        "{:?}",
        plan.left_out
    );
}

#[test]
fn a_threatened_place_is_kept_before_a_camp_by_a_drone_short_of_battery() {
    // As above, but an alert about movers is up at water point A: its approaches are kept
    // before the camp's, which the short drone can no longer reach as well.
    let mut short = drone(1, 1000.0);
    short.endurance_s = 600.0;
    let mut input = square(vec![short]);
    for (id, site) in input.sites.iter_mut().enumerate() {
        site.id = id as u32;
    }
    input.sites[2].category = SiteCategory::Camp;
    input.threatened = vec![0];
    let plan = plan(&input).expect("a plan");
    assert_eq!(plan.sites[0].weight, THREAT_WEIGHT);
    assert!(plan.sites[0].revisit_s.is_some(), "{:?}", plan.sites);
    assert!(plan.sites[2].revisit_s.is_none(), "{:?}", plan.sites);
}

#[test]
fn camps_weigh_more_than_water_points_and_more_at_night() {
    let camp = site("camp", 0.0, 0.0, SiteCategory::Camp);
    let water = site("water", 0.0, 0.0, SiteCategory::WaterPoint);
    assert!(risk_weight(&camp, false) > risk_weight(&water, false));
    assert!(risk_weight(&camp, true) > risk_weight(&camp, false));
    assert_eq!(risk_weight(&water, true), risk_weight(&water, false));
}

#[test]
fn a_loop_is_an_auto_mission_the_validator_takes() {
    let plan = plan(&square(vec![drone(1, 1000.0)])).expect("a plan");
    let home = GeoPoint {
        lat_deg: 9.0,
        lon_deg: 31.009,
        alt_m: 400.0,
    };
    let mission = plan.loops[0].mission(home);
    assert_eq!(mission.items.len(), plan.loops[0].waypoints.len() + 3);
    assert_eq!(mission.items[0].command, 22);
    // The speed the round was counted at, whatever the vehicle's default.
    assert_eq!(
        (mission.items[1].command, mission.items[1].params[1]),
        (178, plan.loops[0].speed_mps as f32)
    );
    let jump = mission.items.last().expect("the jump");
    assert_eq!(
        (jump.command, jump.params[0], jump.params[1]),
        (177, 3.0, -1.0)
    );
    vigil_mission::validate(&mission).expect("a valid mission");
}

#[test]
fn no_site_or_no_drone_is_an_error() {
    let mut input = square(vec![]);
    assert_eq!(plan(&input), Err(PatrolError::NoDrones));
    input.sites.clear();
    input.drones.push(drone(1, 0.0));
    assert_eq!(plan(&input), Err(PatrolError::NoSites));
}

#[test]
fn a_short_drone_gets_less_to_fly_until_its_loop_fits() {
    // Drone 1 can fly 20 minutes, drone 2 an hour: at first each gets half the square.
    let mut short = drone(1, 0.0);
    short.endurance_s = 1200.0;
    let plan = plan(&square(vec![short, drone(2, 2000.0)])).expect("a plan");
    assert!(plan.left_out.is_empty(), "{:?}", plan.left_out);
    assert_eq!(plan.loops.len(), 2);
    let one = plan.loops.iter().find(|l| l.sysid == 1).expect("drone 1");
    assert!(one.period_s <= 1200.0, "{}", one.period_s);
}

#[test]
fn each_base_patrols_the_places_nearest_it() {
    // Three drones at base A (west), one at base B 30 km east; two places near A, six near B.
    let mut drones: Vec<PatrolDrone> = (1..=3).map(|id| drone(id, 0.0)).collect();
    drones.push(drone(4, 30_000.0));
    for d in &mut drones {
        d.endurance_s = 1800.0;
    }
    let mut sites = vec![
        site("A1", 0.0, 1000.0, SiteCategory::WaterPoint),
        site("A2", 1000.0, 1000.0, SiteCategory::WaterPoint),
    ];
    for i in 0..6 {
        let (e, n) = (
            30_000.0 + 800.0 * f64::from(i % 3),
            800.0 * f64::from(i / 3),
        );
        sites.push(site(&format!("B{i}"), e, n, SiteCategory::WaterPoint));
    }
    let input = PatrolInput {
        sites,
        sensors: Vec::new(),
        drones,
        ways: Vec::new(),
        alt_rel_m: 120.0,
        night: false,
        threatened: Vec::new(),
    };
    let planned = plan(&input).expect("a plan");
    let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
    let east_of = |p: &LatLon| super::super::sites::enu_of(&frame, *p)[0];
    for l in &planned.loops {
        let home_east = if l.sysid == 4 { 30_000.0 } else { 0.0 };
        assert!(
            l.waypoints
                .iter()
                .all(|p| (east_of(p) - home_east).abs() < 5000.0),
            "drone {}'s loop strays from its base",
            l.sysid
        );
    }
    assert!(
        planned.sites.iter().all(|s| s.revisit_s.is_some()),
        "{:?}",
        planned.sites
    );
    assert_eq!(planned.unpatrolled_points, 0);
    // The first version's cut, one curve over every drone, sends base A's drones east.
    let one_curve = plan_with(
        &input,
        PlanSteps {
            follow_bases: false,
            balance: true,
            move_places: true,
            interleave: true,
        },
    )
    .expect("a plan");
    assert!(
        one_curve.unpatrolled_points > 0 || !one_curve.left_out.is_empty(),
        "{one_curve:?}"
    );
}

/// The patrolled points of a one-drone plan of `input`, east and north of (9, 31).
fn loop_points(input: &PatrolInput) -> Vec<[f64; 2]> {
    let planned = plan(input).expect("a plan");
    let frame = LocalFrame::new(Geodetic::from_deg(9.0, 31.0, 0.0));
    planned.loops[0]
        .waypoints
        .iter()
        .map(|p| super::super::sites::enu_of(&frame, *p))
        .collect()
}

#[test]
fn the_ways_into_a_site_are_watched_beyond_its_edge_and_a_way_passing_by_is_not() {
    let mut input = square(vec![drone(1, 0.0)]);
    input.sites.truncate(1);
    let way = |name: &str, points: &[(f64, f64)]| Way {
        name: name.into(),
        points: points.iter().map(|&(e, n)| at(e, n)).collect(),
        water_ends: [false; 2],
    };
    // A track from 2 km north of A into A; a road 500 m west of A, passing by.
    input.ways = vec![
        way("track", &[(0.0, 2000.0), (0.0, 0.0)]),
        way("road", &[(-500.0, -2000.0), (-500.0, 2000.0)]),
    ];
    let with_ways = loop_points(&input);
    let track: Vec<f64> = with_ways
        .iter()
        .filter(|p| p[0].abs() < 1.0 && p[1] > 200.0)
        .map(|p| p[1])
        .collect();
    let farthest = track.iter().copied().fold(0.0, f64::max);
    assert!(
        farthest > 200.0 + WAY_IN_M - 100.0 && farthest <= 200.0 + WAY_IN_M + 1.0,
        "the track is watched out to {farthest:.0} m north (buffer 200 m + {WAY_IN_M} m)"
    );
    assert!(track.len() >= 5, "points along the track: {track:?}");
    assert!(
        with_ways.iter().all(|p| (p[0] + 500.0).abs() > 1.0),
        "the road passing by is not a way in"
    );
    input.ways.clear();
    let without = loop_points(&input);
    assert!(
        with_ways.len() > without.len(),
        "{} points with the ways, {} without",
        with_ways.len(),
        without.len()
    );
    // A sensor on the track covers its stretch.
    input.ways = vec![way("track", &[(0.0, 2000.0), (0.0, 0.0)])];
    input.sensors = vec![SensorCover {
        at: at(0.0, 500.0),
        radius_m: 400.0,
        sector_rad: None,
    }];
    let covered = loop_points(&input);
    assert!(
        covered
            .iter()
            .all(|p| !(p[0].abs() < 1.0 && p[1] > 250.0 && p[1] < 850.0)),
        "the stretch the sensor covers is not patrolled"
    );
}

#[test]
fn a_way_between_two_sites_is_watched_outside_both_buffers_only() {
    let mut input = square(vec![drone(1, 0.0)]);
    input.sites.truncate(2);
    input.ways = vec![Way {
        name: "A to B".into(),
        points: vec![at(0.0, 0.0), at(2000.0, 0.0)],
        water_ends: [false; 2],
    }];
    let points = loop_points(&input);
    let between = points
        .iter()
        .filter(|p| p[1].abs() < 1.0 && p[0] > 250.0 && p[0] < 1750.0)
        .count();
    assert!(
        between >= 10,
        "points on the way between the buffers: {points:?}"
    );
    let inside = |p: &&[f64; 2]| p[0].hypot(p[1]) < 199.0 || (p[0] - 2000.0).hypot(p[1]) < 199.0;
    assert!(
        points.iter().filter(inside).count() == 0,
        "points inside a buffer: {points:?}"
    );
}
