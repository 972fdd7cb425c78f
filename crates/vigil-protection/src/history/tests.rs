//! What the rules remember of each track, tested alone.

use super::*;

fn shape(centre: [f64; 2]) -> PlaneShape {
    PlaneShape {
        rings: vec![vec![centre]],
        is_point: true,
        centre,
    }
}

fn track(id: u64, pos_en_m: [f64; 2]) -> PlaneTrack {
    PlaneTrack {
        id,
        pos_en_m,
        vel_en_mps: [0.0, 0.0],
    }
}

fn at(s: u64) -> TimeUs {
    TimeUs(1_700_000_000_000_000 + s * 1_000_000)
}

mod kin;

#[test]
fn a_track_first_seen_in_a_buffer_is_a_resident_and_never_outside_it() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..60 {
        let p = [s as f64 * 5.0, 0.0];
        history.update(&[track(1, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(1), Origin::Site(0));
    assert_eq!(history.previous(1), Some([290.0, 0.0]));
}

#[test]
fn a_track_from_the_bush_is_from_outside_and_enters() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    // Walking west from 3 km east of the village, towards it.
    for s in 0..40 {
        let p = [3000.0 - s as f64 * 2.0, 0.0];
        history.update(&[track(7, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(7), Origin::Outside);
}

#[test]
fn a_track_first_seen_in_a_buffer_but_coming_from_the_bush_is_from_outside() {
    // First seen 150 m east of a borehole (inside its 200 m buffer), walking west past it
    // 120 m to its north.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [150.0 - s as f64 * 1.5, 120.0];
        history.update(&[track(5, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(5), Origin::Outside);
}

#[test]
fn a_track_first_seen_walking_away_from_a_place_is_its_resident() {
    // The water run: first seen 800 m east of the village, walking east, away from it.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [800.0 + s as f64 * 1.5, 0.0];
        history.update(&[track(3, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(3), Origin::Site(0));
}

#[test]
fn a_track_walking_along_a_road_from_a_village_is_its_resident_where_a_line_back_misses() {
    // A road from a village at the origin runs 600 m north, then bends 600 m west. Two
    // people are first seen on the bend's western leg walking west; the tracker makes
    // their first 40 m run 30° north of west, and a straight line back passes far from the
    // village: along the road, it is 1 km back.
    let shapes = [shape([0.0, 0.0])];
    let road = PlaneWay {
        name: "road".into(),
        points_en_m: vec![[0.0, 0.0], [0.0, 600.0], [-600.0, 600.0]],
        water_ends: [false; 2],
    };
    let config = ResidentsConfig::default();
    let walk = |ways: &[PlaneWay]| {
        let mut history = TrackHistory::default();
        for s in 0..40 {
            let p = [-400.0 - s as f64 * 1.0, 600.0 + s as f64 * 0.6];
            history.update(&[track(4, p)], &shapes, &[true], ways, &config, at(s));
        }
        history.origin(4)
    };
    assert_eq!(walk(&[]), Origin::Outside, "a straight line back misses it");
    assert_eq!(walk(std::slice::from_ref(&road)), Origin::Site(0));
    // Walking the other way (towards the village), the road behind leads nowhere.
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [-400.0 + s as f64 * 1.0, 600.0 + s as f64 * 0.2];
        history.update(
            &[track(5, p)],
            &shapes,
            &[true],
            std::slice::from_ref(&road),
            &config,
            at(s),
        );
    }
    assert_eq!(history.origin(5), Origin::Outside);
}

#[test]
fn a_track_first_seen_at_a_junction_walking_along_the_road_is_traced_back_along_the_road() {
    // A road from a village at the origin runs 600 m north, then east; a path leaves it
    // northwards 800 m along. Two people first seen 4 m from the path, 12 m from the road,
    // walk east along the road (the tracker makes their first metres run 30° north of
    // east): the path is the nearest way, but they walk along the road, which leads back to
    // the village (the residents walking home from the clinic, first seen where the path to
    // the camp leaves the main road).
    let shapes = [shape([0.0, 0.0])];
    let ways = [
        PlaneWay {
            name: "road".into(),
            points_en_m: vec![[0.0, 0.0], [0.0, 600.0], [1200.0, 600.0]],
            water_ends: [false; 2],
        },
        PlaneWay {
            name: "path".into(),
            points_en_m: vec![[800.0, 600.0], [800.0, 1100.0]],
            water_ends: [false; 2],
        },
    ];
    let config = ResidentsConfig::default();
    let walk = |ways: &[PlaneWay]| {
        let mut history = TrackHistory::default();
        for s in 0..40 {
            let p = [804.0 + s as f64 * 0.87, 612.0 + s as f64 * 0.5];
            history.update(&[track(4, p)], &shapes, &[true], ways, &config, at(s));
        }
        history.origin(4)
    };
    assert_eq!(walk(&[]), Origin::Outside, "a straight line back misses it");
    assert_eq!(walk(&ways), Origin::Site(0));
}

#[test]
fn a_track_coming_up_the_path_from_the_river_is_of_the_village_at_its_top() {
    // A path from the village's edge (500 m east of its centre) 500 m east down to the
    // river; two people first seen standing at the river end walk back up it.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig {
        home_margin_m: 100.0,
        ..ResidentsConfig::default()
    };
    // Or they first walk 40 m along the bank (across the path) before they go up it.
    let walk = |water_ends: [bool; 2], along_bank: bool| {
        let path = PlaneWay {
            name: "river path".into(),
            points_en_m: vec![[90.0, 0.0], [590.0, 0.0]],
            water_ends,
        };
        let mut history = TrackHistory::default();
        for s in 0..120 {
            let (x, y) = match (s, along_bank) {
                (0..60, false) => (585.0, 3.0),
                (0..40, true) => (585.0, 3.0 - s as f64),
                (0..60, true) => (585.0, -37.0),
                _ => (585.0 - (s - 60) as f64 * 1.0, 3.0),
            };
            let ways = std::slice::from_ref(&path);
            history.update(&[track(6, [x, y])], &shapes, &[true], ways, &config, at(s));
        }
        history.origin(6)
    };
    assert_eq!(walk([false, true], false), Origin::Site(0));
    assert_eq!(walk([false, true], true), Origin::Site(0));
    // The same walks up a track from nowhere (the forest): from outside.
    assert_eq!(walk([false, false], false), Origin::Outside);
    assert_eq!(walk([false, false], true), Origin::Outside);
}

#[test]
fn a_group_standing_with_a_jittery_velocity_passes_nothing_on_a_kilometre_away() {
    // One of a group from outside walks in from the east and stands 1.25 km north-east of
    // a village for a minute, the tracker's velocity swinging to 3.5 m/s south-west, and
    // is lost. Six minutes later someone is first seen in the village, on the line that
    // velocity points along.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [700.0 + (40 - s) as f64 * 2.0, 1050.0];
        history.update(&[track(7, p)], &shapes, &[true], &[], &config, at(s));
    }
    for s in 40..100 {
        let jitter = if s % 2 == 0 { 3.0 } else { -3.0 };
        let mut standing = track(7, [700.0 + jitter, 1050.0]);
        standing.vel_en_mps = [-1.9, -2.9];
        history.update(&[standing], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(7), Origin::Outside);
    history.update(
        &[track(8, [10.0, 0.0])],
        &shapes,
        &[true],
        &[],
        &config,
        at(460),
    );
    assert_eq!(history.origin(8), Origin::Site(0));
}

#[test]
fn a_market_at_night_is_nobody_s_home() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    history.update(
        &[track(1, [10.0, 0.0])],
        &shapes,
        &[false],
        &[],
        &config,
        at(0),
    );
    assert_eq!(history.origin(1), Origin::Undecided);
    history.update(
        &[track(1, [60.0, 0.0])],
        &shapes,
        &[false],
        &[],
        &config,
        at(30),
    );
    assert_eq!(history.origin(1), Origin::Outside);
}

#[test]
fn from_the_market_at_night_into_a_village_is_going_home() {
    // The market at 0, the village 600 m east; the market is nobody's home at night.
    let shapes = [shape([0.0, 0.0]), shape([600.0, 0.0])];
    let config = ResidentsConfig::default();
    let homes = [false, true];
    let mut history = TrackHistory::default();
    // Walking from the market towards the village: going home.
    history.update(
        &[track(1, [150.0, 0.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(0),
    );
    history.update(
        &[track(1, [200.0, 0.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(30),
    );
    assert_eq!(history.origin(1), Origin::Site(1));
    // From the market away from every home (south), or from nowhere into the village:
    // from outside.
    history.update(
        &[track(2, [0.0, -150.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(0),
    );
    history.update(
        &[track(2, [0.0, -200.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(30),
    );
    assert_eq!(history.origin(2), Origin::Outside);
    history.update(
        &[track(3, [300.0, 900.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(0),
    );
    history.update(
        &[track(3, [310.0, 860.0])],
        &shapes,
        &homes,
        &[],
        &config,
        at(30),
    );
    assert_eq!(history.origin(3), Origin::Outside);
}

#[test]
fn with_residents_off_every_track_is_from_outside() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig {
        enabled: false,
        ..ResidentsConfig::default()
    };
    let mut history = TrackHistory::default();
    history.update(
        &[track(1, [0.0, 0.0])],
        &shapes,
        &[true],
        &[],
        &config,
        at(0),
    );
    assert_eq!(history.origin(1), Origin::Outside);
}

#[test]
fn tracks_not_seen_for_ten_minutes_are_forgotten() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    history.update(
        &[track(1, [0.0, 0.0])],
        &shapes,
        &[true],
        &[],
        &config,
        at(0),
    );
    history.update(&[], &shapes, &[true], &[], &config, at(601));
    assert_eq!(history.previous(1), None);
}

#[test]
fn a_track_that_jumps_to_someone_else_starts_afresh_and_one_seen_again_at_its_pace_does_not() {
    // A track from outside walks west at 1.4 m/s; unseen for 11 s, its number comes back on
    // someone 64 m south of where it was (5.8 m/s): the tracker handed it to a resident
    // walking south, away from a village 1.5 km north (the demo's armed group's track on the
    // camp resident it passed).
    let shapes = [shape([2930.0, 1500.0])];
    let config = ResidentsConfig::default();
    let walk = |history: &mut TrackHistory, id: u64, from: [f64; 2], vel: [f64; 2], s: Vec<u64>| {
        let start = s[0];
        for s in s {
            let dt = (s - start) as f64;
            let p = [from[0] + vel[0] * dt, from[1] + vel[1] * dt];
            history.update(&[track(id, p)], &shapes, &[true], &[], &config, at(s));
        }
    };
    // From outside: walking west from 3 km east.
    let from_outside = || {
        let mut history = TrackHistory::default();
        walk(
            &mut history,
            7,
            [3000.0, 0.0],
            [-1.4, 0.0],
            (0..40).collect(),
        );
        assert_eq!(history.origin(7), Origin::Outside);
        history
    };
    let mut history = from_outside();
    let last = [3000.0 - 1.4 * 39.0, 0.0];
    let jumped = [last[0] - 15.0, -62.0];
    walk(&mut history, 7, jumped, [0.0, -1.2], (50..90).collect());
    assert_eq!(
        history.origin(7),
        Origin::Site(0),
        "walking away from the village on someone else's number: its resident"
    );

    // The same walk, seen again after 11 s 20 m on along its way: the same mover.
    let mut history = from_outside();
    walk(
        &mut history,
        7,
        [last[0] - 20.0, 3.0],
        [-1.4, 0.0],
        (50..90).collect(),
    );
    assert_eq!(history.origin(7), Origin::Outside);
}

#[test]
fn a_track_on_a_road_is_of_the_place_up_a_path_that_leaves_it_behind_them() {
    // A clinic 160 m north of a road (beyond `home_margin_m`), up a path that leaves the
    // road 1 km along it. Two people first seen on the road 100 m east of the path, walking
    // east: back along the road and up the path, they come from the clinic. Walking west,
    // towards the path, they came from the road's east: from outside.
    let shapes = [shape([1000.0, 160.0])];
    let ways = [
        PlaneWay {
            name: "road".into(),
            points_en_m: vec![[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0]],
            water_ends: [false; 2],
        },
        PlaneWay {
            name: "clinic path".into(),
            points_en_m: vec![[1000.0, 0.0], [1000.0, 150.0]],
            water_ends: [false; 2],
        },
    ];
    let config = ResidentsConfig::default();
    let walk = |ways: &[PlaneWay], from_x: f64, dx: f64| {
        let mut history = TrackHistory::default();
        for s in 0..40 {
            let p = [from_x + s as f64 * dx, 5.0 + s as f64 * 0.2];
            history.update(&[track(4, p)], &shapes, &[true], ways, &config, at(s));
        }
        history.origin(4)
    };
    assert_eq!(
        walk(&ways[..1], 1100.0, 1.0),
        Origin::Outside,
        "the road alone"
    );
    assert_eq!(walk(&ways, 1100.0, 1.0), Origin::Site(0));
    assert_eq!(walk(&ways, 1100.0, -1.0), Origin::Outside);
    // A path a kilometre long to a camp is a way of its own, not the camp's doorstep: an
    // armed group walking the road past its end is not the camp's.
    let far = [shape([1000.0, 1010.0])];
    let long_path = PlaneWay {
        name: "camp path".into(),
        points_en_m: vec![[1000.0, 0.0], [1000.0, 1000.0]],
        water_ends: [false; 2],
    };
    let ways = [ways[0].clone(), long_path];
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [1100.0 + s as f64, 5.0 + s as f64 * 0.2];
        history.update(&[track(4, p)], &far, &[true], &ways, &config, at(s));
    }
    assert_eq!(history.origin(4), Origin::Outside);
}
