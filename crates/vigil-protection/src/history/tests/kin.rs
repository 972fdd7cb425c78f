//! What a new track takes from the groups from outside near it (see `Kin`), tested alone.

use super::*;

/// A group seen coming from outside: track 1 walking west along the x axis from `from_m`
/// east at `mps`, seen each second until `until_s`, among one home (`shapes[0]`) with a
/// buffer of `buffer_m`.
fn group_walks_west(
    shapes: &[PlaneShape],
    buffer_m: f64,
    from_m: f64,
    mps: f64,
    until_s: u64,
) -> TrackHistory {
    let mut history = TrackHistory::default();
    history.set_buffers(vec![buffer_m]);
    for s in 0..=until_s {
        let p = [from_m - mps * s as f64, 0.0];
        let config = ResidentsConfig::default();
        history.update(&[track(1, p)], shapes, &[true], &[], &config, at(s));
    }
    history
}

/// A track at `pos_en_m` whose velocity is its first detections' noise.
fn noisy(id: u64, pos_en_m: [f64; 2], vel_en_mps: [f64; 2]) -> PlaneTrack {
    PlaneTrack {
        id,
        pos_en_m,
        vel_en_mps,
    }
}

#[test]
fn a_new_track_beside_a_group_from_outside_is_from_outside() {
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [3000.0 - s as f64 * 2.0, 0.0];
        history.update(&[track(7, p)], &shapes, &[true], &[], &config, at(s));
    }
    // The tracker starts a new track beside it, walking with it, then loses the first; a
    // third starts where the first was, inside the village.
    for s in 40..60 {
        let p = [2930.0 - (s - 40) as f64 * 2.0, 20.0];
        history.update(&[track(8, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(8), Origin::Outside);
    let far = [track(9, [0.0, 0.0])];
    history.update(&far, &shapes, &[true], &[], &config, at(61));
    assert_eq!(history.origin(9), Origin::Site(0));
}

#[test]
fn someone_whose_track_starts_as_a_group_from_outside_passes_is_not_one_of_them() {
    // A group from outside walks west along a road 1 km north of a camp; as it passes the
    // end of the path down to the camp, a track starts on someone there who walks down the
    // path, south, home (the demo's camp resident back from the clinic, and the armed group
    // going the other way along the main road). The path starts at a market, nobody's home
    // at night.
    let shapes = [shape([0.0, -1000.0]), shape([0.0, 60.0])];
    let homes = [true, false];
    let path = PlaneWay {
        name: "Camp path".into(),
        points_en_m: vec![[0.0, 0.0], [0.0, -1000.0]],
        water_ends: [false, false],
    };
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    for s in 0..40 {
        let p = [80.0 - s as f64 * 1.4, 0.0];
        history.update(&[track(7, p)], &shapes, &homes, &[], &config, at(s));
    }
    assert_eq!(history.origin(7), Origin::Outside);
    let ways = [path];
    for s in 40..70 {
        let group = [80.0 - s as f64 * 1.4, 0.0];
        let resident = [5.0, -((s - 40) as f64) * 1.1];
        let both = [track(7, group), track(8, resident)];
        history.update(&both, &shapes, &homes, &ways, &config, at(s));
        if s < 60 {
            assert_eq!(
                history.origin(8),
                Origin::Undecided,
                "at {s} s: not yet judged"
            );
        }
    }
    assert_eq!(
        history.origin(8),
        Origin::Site(0),
        "down the path to the camp: a resident"
    );
}

#[test]
fn on_a_lost_groups_way_one_walking_on_is_the_group_and_one_coming_back_is_not() {
    // A group from outside walks west along a road towards a village 1 km west and is
    // lost; a minute later a track starts 45 m on along its way.
    let shapes = [shape([1900.0, 0.0])];
    let config = ResidentsConfig::default();
    let lost_group = || {
        let mut history = TrackHistory::default();
        for s in 0..40 {
            let p = [3000.0 - s as f64 * 1.4, 0.0];
            history.update(&[track(7, p)], &shapes, &[true], &[], &config, at(s));
        }
        assert_eq!(history.origin(7), Origin::Outside);
        history
    };
    let walk = |history: &mut TrackHistory, vel: [f64; 2]| {
        for s in 100..140 {
            let dt = (s - 100) as f64;
            let p = [2900.0 + vel[0] * dt, 10.0 + vel[1] * dt];
            history.update(&[track(8, p)], &shapes, &[true], &[], &config, at(s));
        }
        history.origin(8)
    };
    // Walking east, back towards where the group was last seen: a villager met on the way.
    assert_eq!(walk(&mut lost_group(), [1.2, 0.0]), Origin::Site(0));
    // Walking on west, or turned south at a junction: the group found again.
    assert_eq!(walk(&mut lost_group(), [-1.2, 0.0]), Origin::Outside);
    assert_eq!(walk(&mut lost_group(), [0.0, -1.2]), Origin::Outside);
}

#[test]
fn one_of_a_group_that_parts_first_seen_beside_those_going_another_way_is_from_outside() {
    // Two groups from outside part: one walks east, one south. A track starts on one of
    // the southern group beside the eastern one (its nearest), and walks south with its
    // own: from outside, though its way traces back to a village 1 km north. Someone
    // walking west, against both, away from a village 1 km east, is that village's.
    let shapes = [shape([3120.0, 1000.0]), shape([4100.0, -40.0])];
    let config = ResidentsConfig::default();
    let judged = |vel: [f64; 2]| {
        let mut history = TrackHistory::default();
        for s in 0..60 {
            let east = [3000.0 + s as f64 * 1.4, 0.0];
            let south = [2990.0, -20.0 - s as f64 * 1.4];
            let both = [track(7, east), track(8, south)];
            history.update(&both, &shapes, &[true, true], &[], &config, at(s));
        }
        assert_eq!(history.origin(7), Origin::Outside);
        assert_eq!(history.origin(8), Origin::Outside);
        for s in 60..90 {
            let dt = (s - 60) as f64;
            let east = [3000.0 + s as f64 * 1.4, 0.0];
            let south = [2990.0, -20.0 - s as f64 * 1.4];
            let new = [3040.0 + vel[0] * dt, -40.0 + vel[1] * dt];
            let all = [track(7, east), track(8, south), track(9, new)];
            history.update(&all, &shapes, &[true, true], &[], &config, at(s));
        }
        history.origin(9)
    };
    assert_eq!(judged([0.0, -1.4]), Origin::Outside);
    assert_eq!(judged([-1.4, 0.0]), Origin::Site(1));
}

#[test]
fn beside_a_group_that_looks_standing_while_others_of_it_walk_one_walking_off_is_traced() {
    // Two tracks from outside: one that has stood for half a minute (or whose number the
    // tracker passed from walker to walker, so that its velocity says it stands), one
    // walking west beside it. Someone first seen beside them walks south, away from a
    // village 800 m north: that village's, not one of them.
    let shapes = [shape([3010.0, 800.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    let walking = |s: u64| [3164.0 - s as f64 * 1.4, -30.0];
    for s in 0..60 {
        let standing = [(3600.0 - s as f64 * 20.0).max(3000.0), 0.0];
        let both = [track(7, standing), track(8, walking(s))];
        history.update(&both, &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(7), Origin::Outside);
    assert_eq!(history.origin(8), Origin::Outside);
    for s in 60..90 {
        let dt = (s - 60) as f64;
        let all = [
            track(7, [3000.0, 0.0]),
            track(8, walking(s)),
            track(9, [3010.0, -20.0 - 1.2 * dt]),
        ];
        history.update(&all, &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(9), Origin::Site(0));
}

#[test]
fn one_going_the_way_of_a_resident_taken_for_an_outsider_is_not_seen_from_outside() {
    // An armed group seen coming from outside a village's 500 m buffer walks west through
    // it; a resident first seen inside it, walking south, traces back to no place (from
    // outside, not seen so). As the group passes, the tracker starts a track on one walking
    // with the resident, nearer the group: it goes the resident's way, not the group's, and
    // is no more seen coming from outside than the resident (the critical intrusion of two
    // residents walking home from the clinic as a group walked by).
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    history.set_buffers(vec![500.0]);
    for s in 0..300u64 {
        let t = s as f64;
        let mut tracks = vec![track(1, [700.0 - 1.5 * t, 250.0])];
        if s >= 200 {
            tracks.push(track(2, [330.0, 320.0 - (t - 200.0)]));
        }
        if s >= 235 {
            tracks.push(track(3, [345.0, 262.0 - (t - 235.0)]));
        }
        history.update(&tracks, &shapes, &[true], &[], &config, at(s));
    }
    assert!(history.seen_from_outside(1));
    assert_eq!(history.origin(2), Origin::Outside);
    assert!(!history.seen_from_outside(2));
    assert_eq!(
        history.origin(3),
        Origin::Outside,
        "goes the resident's way"
    );
    assert!(!history.seen_from_outside(3));
}

#[test]
fn a_lost_motorbike_lends_no_one_on_its_way_its_origin() {
    // A motorbike from outside rides west at 9 m/s along a road 200 m north of a village
    // and is lost; five minutes later someone is first seen 50 m off the road, 290 m from
    // the village, where its way ran on: traffic is no one's kin, and until they have
    // moved far enough to trace, who they are is undecided (a camp resident walking to the
    // clinic was taken for the motorbike found again, from outside, and raised an intrusion).
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    history.set_buffers(vec![500.0]);
    for s in 0..=20u64 {
        let p = [3000.0 - 9.0 * s as f64, 200.0];
        history.update(&[track(1, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert!(history.seen_from_outside(1));
    for s in 300..310u64 {
        let p = [250.0, 150.0 + (s - 300) as f64];
        history.update(&[track(2, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(2), Origin::Undecided);
}

#[test]
fn one_found_beside_a_lost_groups_way_walking_off_it_is_not_seen_from_outside() {
    // A group seen coming from outside a village's 500 m buffer walks west into it and is
    // lost; half a minute later a track is first seen 100 m to the side of where it was
    // lost (where the group could be, had it turned): walking off south, it may be one of
    // them, but is no more seen coming from outside than anyone first seen there (a camp
    // resident walking home as an armed group passed raised a critical intrusion). One
    // found ahead, walking on west, is the group.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let found = |first: [f64; 2], step: [f64; 2]| {
        let mut history = group_walks_west(&shapes, 500.0, 900.0, 1.5, 300);
        assert!(history.seen_from_outside(1));
        for s in 328..370u64 {
            let k = (s - 328) as f64;
            let p = [first[0] + step[0] * k, first[1] + step[1] * k];
            history.update(&[track(2, p)], &shapes, &[true], &[], &config, at(s));
        }
        (history.origin(2), history.seen_from_outside(2))
    };
    assert_eq!(found([480.0, -95.0], [0.0, -1.0]), (Origin::Outside, false));
    assert_eq!(found([400.0, 10.0], [-1.5, 0.0]), (Origin::Outside, true));
}

#[test]
fn a_new_track_of_a_group_lends_no_one_its_unsettled_velocity() {
    // A group seen coming from outside walks west into a village's 500 m buffer and is
    // lost; fifteen seconds later the tracker finds it again as a new track, its velocity its
    // first detections' noise: 1.9 m/s south. Two seconds later someone is first seen 40 m
    // south of it, walking south: not one of a group walking south (the group walks west),
    // and not seen coming from outside (a camp resident walking home as an armed group passed
    // raised a critical intrusion).
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = group_walks_west(&shapes, 500.0, 900.0, 1.5, 300);
    for s in 315..365u64 {
        let k = (s - 315) as f64;
        let mut tracks = vec![noisy(2, [432.0 - 1.5 * k, 0.0], [0.0, -1.9])];
        if s >= 317 {
            tracks.push(track(3, [430.0, -40.0 - (k - 2.0)]));
        }
        history.update(&tracks, &shapes, &[true], &[], &config, at(s));
    }
    assert!(history.seen_from_outside(2), "the group found again");
    assert!(!history.seen_from_outside(3));
}

#[test]
fn one_beside_a_group_going_nearly_its_way_but_not_keeping_up_with_it_is_not_one_of_them() {
    // A group seen coming from outside walks west into a village's 500 m buffer at 1.3 m/s,
    // one of its tracks 20° south of west. Someone first seen 60 m from them walks
    // south-south-west, away from the village, at their pace: within 60° of that one track's
    // way, but 29 m from where its pace would have taken them by the time they have walked
    // 30 m — the village's, not one of the group (a camp resident walking home from the
    // clinic as an armed group passed raised a critical intrusion). One first seen beside
    // them walking 15° south of west a little slower keeps up: one of them.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = TrackHistory::default();
    history.set_buffers(vec![500.0]);
    let t0 = 954u64;
    let a = |s: u64| [1200.0 - 1.3 * s as f64, -370.0];
    let heading = |deg: f64, speed: f64| {
        let rad = deg.to_radians();
        [speed * rad.cos(), speed * rad.sin()]
    };
    let b_vel = heading(200.0, 1.3);
    let b_from = [a(t0 - 60)[0], -380.0];
    let b = |s: u64| {
        let dt = (s + 60 - t0) as f64;
        [b_from[0] + b_vel[0] * dt, b_from[1] + b_vel[1] * dt]
    };
    let r_vel = heading(256.0, 1.3);
    let c_vel = heading(195.0, 1.1);
    let walk = |from: [f64; 2], vel: [f64; 2], s: u64| {
        let dt = (s - t0) as f64;
        [from[0] + vel[0] * dt, from[1] + vel[1] * dt]
    };
    for s in 0..t0 + 40 {
        let mut tracks = vec![track(1, a(s))];
        if s + 60 >= t0 {
            tracks.push(track(2, b(s)));
        }
        if s >= t0 {
            tracks.push(track(3, walk([-97.0, -388.0], r_vel, s)));
            tracks.push(track(4, walk([-20.0, -385.0], c_vel, s)));
        }
        history.update(&tracks, &shapes, &[true], &[], &config, at(s));
    }
    assert!(history.seen_from_outside(1));
    assert!(history.seen_from_outside(2));
    assert_eq!(history.origin(3), Origin::Site(0));
    assert!(!history.seen_from_outside(3));
    assert!(history.seen_from_outside(4), "keeps up with them");
}

#[test]
fn a_group_found_again_by_a_track_with_a_noisy_velocity_is_found_again_after_it() {
    // A group seen coming from outside walks west through a village and on; lost west of
    // it, it is found again as a new track whose velocity is its first detections' noise
    // ("4.5 m/s east") and lost again ten seconds later; half a minute on, a new track
    // walks on west 60 m further along: the group, found again — not a resident of the
    // village behind it (the armed group walking down the road to the camp, taken for
    // patients of the clinic it had passed).
    let shapes = [shape([200.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = group_walks_west(&shapes, 300.0, 2000.0, 1.3, 1700);
    for s in 1715..1725u64 {
        let found = noisy(2, [-260.0 - 1.3 * (s - 1715) as f64, 5.0], [4.5, 0.0]);
        history.update(&[found], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(2), Origin::Outside);
    for s in 1755..1800u64 {
        let p = [-330.0 - 1.3 * (s - 1755) as f64, 0.0];
        history.update(&[track(3, p)], &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(3), Origin::Outside);
    assert!(history.seen_from_outside(3));
}

#[test]
fn a_lost_group_is_found_again_as_the_track_from_outside_first_seen_on_its_way() {
    // A group seen coming from outside walks west and is lost; 20 s later a track is first
    // seen 30 m on along its way, walking on, and another 400 m south of it: the group was
    // found again as the first. While the group's own track is seen, it was found as none.
    let shapes = [shape([0.0, 0.0])];
    let config = ResidentsConfig::default();
    let mut history = group_walks_west(&shapes, 500.0, 2000.0, 1.5, 300);
    assert_eq!(history.found_again_as(1, at(300)), None);
    for s in 320..345u64 {
        let k = (s - 320) as f64;
        let tracks = [
            track(2, [1520.0 - 1.5 * k, 0.0]),
            track(3, [1500.0 - 1.5 * k, -400.0]),
        ];
        history.update(&tracks, &shapes, &[true], &[], &config, at(s));
    }
    assert_eq!(history.origin(2), Origin::Outside);
    assert_eq!(history.origin(3), Origin::Outside, "from outside too");
    assert_eq!(history.found_again_as(1, at(344)), Some(2));
    assert_eq!(history.found_again_as(2, at(344)), None);
}
