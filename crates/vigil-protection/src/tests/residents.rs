//! Alerts that mean something (issue #18): residents going about their lives raise nothing,
//! movers from outside do, once per mover and event, with a severity that says "act now" only
//! for a group, at night or at a sensitive place.

use super::*;

/// The default rules, residents on, in daylight by the clock.
fn rules() -> RulesConfig {
    let mut rules = day_rules();
    rules.residents.enabled = true;
    rules
}

fn run(
    p: &mut Protection,
    seconds: std::ops::Range<u32>,
    tracks_at: impl Fn(f64) -> Vec<TrackView>,
) {
    let world = World::new();
    for s in seconds {
        let now = t(f64::from(s));
        p.step(&world, &tracks_at(f64::from(s)), now);
    }
}

/// The default rules, residents on, with night all day.
fn night_rules() -> RulesConfig {
    let mut night = rules();
    night.night.from_local_hour = 0.0;
    night.night.to_local_hour = 24.0;
    night
}

/// Two villages 900 m apart on an east-west line, each with a 500 m buffer.
fn two_villages() -> SiteSet {
    let mut set = one_site(500.0, false);
    let mut east = set.sites[0].clone();
    east.id = 1;
    east.name = "Eastville".into();
    east.centre = at(900.0, 0.0);
    east.outline = vec![vec![east.centre]];
    set.sites.push(east);
    set
}

#[test]
fn villagers_walking_about_their_village_raise_nothing() {
    let mut p = Protection::new(one_site(500.0, false), rules());
    // Five people, first seen in the village, walk out to 350 m (inside the buffer) and back.
    run(&mut p, 0..600, |s| {
        (0..5u32)
            .map(|i| {
                let r = 350.0 * (s / 600.0 * std::f64::consts::PI).sin();
                let angle = f64::from(i) * 1.2;
                track(
                    u64::from(i) + 1,
                    r * angle.cos(),
                    r * angle.sin(),
                    [0.5 * angle.cos(), 0.5 * angle.sin()],
                    t(s),
                )
            })
            .collect()
    });
    let track_alerts: Vec<Alert> = p
        .book()
        .alerts()
        .filter(|a| a.rule.is_about_tracks())
        .cloned()
        .collect();
    assert!(track_alerts.is_empty(), "{track_alerts:#?}");
}

#[test]
fn the_water_run_first_seen_half_way_is_a_resident() {
    let mut p = Protection::new(two_villages(), rules());
    // First seen 300 m east of Testville walking east to Eastville and into it.
    run(&mut p, 0..600, |s| {
        vec![track(4, 300.0 + 1.0 * s, 0.0, [1.0, 0.0], t(s))]
    });
    assert!(alerts_of(&p, RuleKind::BufferIntrusion).is_empty());
    assert!(alerts_of(&p, RuleKind::Approach).is_empty());
}

#[test]
fn a_group_from_the_bush_raises_one_critical_intrusion_and_warns_before() {
    let mut p = Protection::new(two_villages(), rules());
    // Three people walk in from 2 km north of the point between the two villages, where both
    // buffers overlap, at 1 m/s, and stop there.
    run(&mut p, 0..2100, |s| {
        let y = (2000.0 - s).max(0.0);
        let v = if y > 0.0 { -1.0 } else { 0.0 };
        (0..3)
            .map(|i| track(10 + i, 450.0 + 4.0 * i as f64, y, [0.0, v], t(s)))
            .collect()
    });
    let approach = alerts_of(&p, RuleKind::Approach);
    assert_eq!(
        approach.len(),
        1,
        "one approach, not one per village: {approach:#?}"
    );
    assert_eq!(approach[0].severity, AlertSeverity::Warning);
    let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(
        intrusions.len(),
        1,
        "one intrusion, not one per village: {intrusions:#?}"
    );
    let alert = &intrusions[0];
    assert_eq!(alert.cause.tracks, vec![10, 11, 12]);
    assert_eq!(alert.severity, AlertSeverity::Critical, "{}", alert.text);
    assert!(alert.text.contains("3 together"), "{}", alert.text);
    assert!(approach[0].first_seen < alert.first_seen);
}

#[test]
fn one_walker_from_the_bush_by_day_is_a_warning() {
    let mut p = Protection::new(one_site(500.0, false), rules());
    run(&mut p, 0..1800, |s| {
        vec![track(20, (1500.0 - s).max(200.0), 0.0, [-1.0, 0.0], t(s))]
    });
    let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(intrusions.len(), 1);
    assert_eq!(intrusions[0].severity, AlertSeverity::Warning);
}

#[test]
fn at_night_one_walker_seen_coming_from_the_bush_is_critical_and_one_first_seen_inside_is_a_warning()
 {
    // A lone walker heading west for a village with a 500 m buffer, first seen 1.5 km out
    // (outside the buffer), or first seen 300 m out (inside it), where its way traces back
    // to no place: from outside either way, but only the first was seen coming from there
    // (the second may be a resident who turned where the trace did not).
    let intrusion = |first_east_m: f64| {
        let mut p = Protection::new(one_site(500.0, false), night_rules());
        run(&mut p, 0..1800, |s| {
            vec![track(
                20,
                (first_east_m - s).max(200.0),
                0.0,
                [-1.0, 0.0],
                t(s),
            )]
        });
        let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
        assert_eq!(intrusions.len(), 1, "{intrusions:#?}");
        intrusions[0].clone()
    };
    let seen = intrusion(1500.0);
    assert_eq!(seen.severity, AlertSeverity::Critical, "{}", seen.text);
    let traced = intrusion(300.0);
    assert_eq!(traced.severity, AlertSeverity::Warning, "{}", traced.text);
    assert!(
        traced.text.contains("first seen inside a buffer"),
        "{}",
        traced.text
    );
    // Three of them together, first seen inside: still a warning (residents walk home
    // from the market in threes and fives).
    let mut p = Protection::new(one_site(500.0, false), night_rules());
    run(&mut p, 0..600, |s| {
        (0..3)
            .map(|i| {
                track(
                    40 + i,
                    (300.0 - s).max(100.0),
                    4.0 * i as f64,
                    [-1.0, 0.0],
                    t(s),
                )
            })
            .collect()
    });
    let group = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(group.len(), 1, "{group:#?}");
    assert!(group[0].text.contains("3 together"), "{}", group[0].text);
    assert_eq!(
        group[0].severity,
        AlertSeverity::Warning,
        "{}",
        group[0].text
    );
}

#[test]
fn at_night_a_walker_lost_a_minute_is_still_critical_and_one_lost_five_is_a_warning() {
    // A walker from the bush heading west at 1 m/s for a village with a 500 m buffer, seen
    // from 1.5 km out until it is lost (a blind spot), found again as a new track 40 m
    // inside the buffer, walking on: lost 60 s, it is the walker; lost 300 s, it is from
    // outside but may as well be a resident on the walker's old way.
    let intrusion = |lost_s: f64| {
        let mut p = Protection::new(one_site(500.0, false), night_rules());
        let lost_at_m = 460.0 + lost_s;
        run(&mut p, 0..1500, |s| {
            let x = (1500.0 - s).max(100.0);
            if x > lost_at_m {
                vec![track(20, x, 0.0, [-1.0, 0.0], t(s))]
            } else if x > 460.0 {
                Vec::new()
            } else {
                vec![track(21, x, 0.0, [-1.0, 0.0], t(s))]
            }
        });
        let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
        assert_eq!(intrusions.len(), 1, "lost {lost_s} s: {intrusions:#?}");
        assert_eq!(intrusions[0].cause.tracks, vec![21]);
        intrusions[0].clone()
    };
    let soon = intrusion(60.0);
    assert_eq!(soon.severity, AlertSeverity::Critical, "{}", soon.text);
    let late = intrusion(300.0);
    assert_eq!(late.severity, AlertSeverity::Warning, "{}", late.text);
    assert!(late.text.contains("from outside"), "{}", late.text);
}

#[test]
fn the_tracker_losing_a_group_from_outside_does_not_make_it_residents() {
    let mut p = Protection::new(one_site(500.0, false), rules());
    // Walks in from 1.5 km east, unseen from 700 m to 60 m (a blind spot, 427 s), seen again
    // as a new track standing at the village's edge.
    run(&mut p, 0..1500, |s| {
        let x = (1500.0 - 1.5 * s).max(60.0);
        if x > 700.0 {
            vec![track(30, x, 0.0, [-1.5, 0.0], t(s))]
        } else if x > 60.0 {
            Vec::new()
        } else {
            vec![track(31, 60.0, 0.0, [0.0, 0.0], t(s))]
        }
    });
    let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(intrusions.len(), 1, "{intrusions:#?}");
    assert_eq!(intrusions[0].cause.tracks, vec![31]);
}

#[test]
fn residents_gathering_at_home_raise_nothing_and_outsiders_at_the_edge_are_critical() {
    let mut p = Protection::new(one_site(300.0, false), rules());
    // The market crowd: five people in the place.
    run(&mut p, 0..120, |s| {
        (0..5)
            .map(|i| track(40 + i, 10.0 * i as f64, 0.0, [0.0, 0.0], t(s)))
            .collect()
    });
    assert!(alerts_of(&p, RuleKind::Gathering).is_empty());
    // Four people from 2 km east gather 600 m east of the place (300 m from its buffer).
    let mut p = Protection::new(one_site(300.0, false), rules());
    run(&mut p, 0..1500, |s| {
        let x = (2000.0 - 1.5 * s).max(600.0);
        let v = if x > 600.0 { -1.5 } else { 0.0 };
        (0..4)
            .map(|i| track(50 + i, x + 5.0 * i as f64, 0.0, [v, 0.0], t(s)))
            .collect()
    });
    let gatherings = alerts_of(&p, RuleKind::Gathering);
    assert_eq!(gatherings.len(), 1, "{gatherings:#?}");
    assert_eq!(gatherings[0].severity, AlertSeverity::Critical);
}

#[test]
fn vehicles_on_the_road_at_night_are_traffic() {
    let night = night_rules();
    let mut p = Protection::new(one_site(300.0, false), night);
    // A truck from off the map passes 600 m north at 10 m/s.
    run(&mut p, 0..400, |s| {
        vec![track(60, -2000.0 + 10.0 * s, 600.0, [10.0, 0.0], t(s))]
    });
    assert!(alerts_of(&p, RuleKind::NightActivity).is_empty());
    // A walker there at night is not.
    let night = night_rules();
    let mut p = Protection::new(one_site(300.0, false), night);
    run(&mut p, 0..400, |s| {
        vec![track(61, -600.0 + 1.2 * s, 600.0, [1.2, 0.0], t(s))]
    });
    assert_eq!(alerts_of(&p, RuleKind::NightActivity).len(), 1);
}

#[test]
fn a_patient_leaving_the_health_post_at_night_is_no_outsider_and_one_leaving_a_school_is() {
    let left = |category: SiteCategory| {
        let night = night_rules();
        let mut sites = one_site(300.0, false);
        sites.sites[0].category = category;
        let mut p = Protection::new(sites, night);
        // First seen at the place, standing a minute, then walking south, out of its buffer
        // and on (the camp the patient goes back to is off this map).
        run(&mut p, 0..600, |s| {
            let y = if s < 60.0 {
                5.0
            } else {
                5.0 - 1.0 * (s - 60.0)
            };
            vec![track(
                9,
                10.0,
                y,
                [0.0, if s < 60.0 { 0.0 } else { -1.0 }],
                t(s),
            )]
        });
        p.book()
            .alerts()
            .filter(|a| a.rule.is_about_tracks())
            .map(|a| a.rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(left(SiteCategory::Clinic), Vec::<RuleKind>::new());
    assert!(
        left(SiteCategory::School).contains(&RuleKind::NightActivity),
        "nobody's place at night"
    );
}

#[test]
fn a_patient_met_where_a_lost_group_might_have_walked_is_one_of_it_until_it_is_found_again() {
    // At night, a clinic with a 300 m buffer. A group from the bush (two tracks) walks south
    // towards it at 2 m/s and is lost 1 km north of it; 500 s later a patient is first seen
    // at the clinic, standing a minute, then walking out: where the lost group could be by
    // then. Found again, the group is one track where both were heading.
    let alerts_on_the_patient = |found_again: bool| {
        let night = night_rules();
        let mut sites = one_site(300.0, false);
        sites.sites[0].category = SiteCategory::Clinic;
        let mut p = Protection::new(sites, night);
        run(&mut p, 0..1700, |s| {
            let mut tracks = Vec::new();
            if s <= 500.0 {
                tracks.push(track(79, 5.0, 2000.0 - 2.0 * s, [0.0, -2.0], t(s)));
                tracks.push(track(80, 0.0, 2000.0 - 2.0 * s, [0.0, -2.0], t(s)));
            }
            // Found again 100 s after it was lost, stopped 150 m on.
            if found_again && (600.0..1700.0).contains(&s) {
                tracks.push(track(81, 0.0, 850.0, [0.0, 0.0], t(s)));
            }
            if s >= 1000.0 {
                let y = if s < 1060.0 { 5.0 } else { 5.0 - (s - 1060.0) };
                let v = if s < 1060.0 { 0.0 } else { -1.0 };
                tracks.push(track(82, 10.0, y, [0.0, v], t(s)));
            }
            tracks
        });
        p.book()
            .alerts()
            .filter(|a| a.cause.tracks.contains(&82))
            .map(|a| a.rule)
            .collect::<Vec<_>>()
    };
    // Never found again, the group could be anywhere on its way: the one at the clinic may
    // be one of it.
    assert!(
        alerts_on_the_patient(false).contains(&RuleKind::BufferIntrusion),
        "{:?}",
        alerts_on_the_patient(false)
    );
    // Found again elsewhere, it is not at the clinic: the patient is a patient.
    assert_eq!(alerts_on_the_patient(true), Vec::<RuleKind>::new());
}

#[test]
fn a_minibus_through_a_buffer_is_traffic_and_one_stopping_in_it_enters() {
    // From off the map along a road 150 m north of the village (inside its 300 m buffer)
    // at 11 m/s, or a motorbike at 7 ...
    for speed_mps in [11.0, 7.0] {
        let mut p = Protection::new(one_site(300.0, false), rules());
        run(&mut p, 0..600, |s| {
            vec![track(
                70,
                -2000.0 + speed_mps * s,
                150.0,
                [speed_mps, 0.0],
                t(s),
            )]
        });
        assert!(
            alerts_of(&p, RuleKind::BufferIntrusion).is_empty(),
            "{speed_mps} m/s"
        );
        assert!(
            alerts_of(&p, RuleKind::Approach).is_empty(),
            "{speed_mps} m/s"
        );
    }
    // ... and one that stops there for a minute.
    let mut p = Protection::new(one_site(300.0, false), rules());
    run(&mut p, 0..400, |s| {
        let (x, v) = match s {
            s if s < 180.0 => (-2000.0 + 11.0 * s, 11.0),
            s if s < 240.0 => (-20.0, 0.0),
            s => (-20.0 + 11.0 * (s - 240.0), 11.0),
        };
        vec![track(71, x, 150.0, [v, 0.0], t(s))]
    });
    assert_eq!(alerts_of(&p, RuleKind::BufferIntrusion).len(), 1);
}

#[test]
fn a_drone_sent_to_an_approach_meets_the_movers_where_they_will_enter_the_buffer() {
    // Sent while the movers are seen, and sent 20 s after the camera that saw them moved on
    // (nothing predicts their way any more): the same place; whatever other drones follow on
    // other alerts (one follows a man standing 2 km south).
    for lost_s in [0u32, 20] {
        let mut p = Protection::new(one_site(300.0, false), rules());
        let mut world = World::new();
        world
            .vehicles
            .insert(1, Arc::new(drone(1, -1000.0, 0.0, 90.0, t(0.0))));
        // From the bush 1 km east, walking west at 1.2 m/s straight for the village.
        for s in 0..120 + lost_s {
            let s = f64::from(s);
            let now = t(s);
            world.time = now;
            let mut seen = vec![track(41, 0.0, -2000.0, [0.0, 0.0], now)];
            if s < 120.0 {
                seen.push(track(40, 1000.0 - 1.2 * s, 0.0, [-1.2, 0.0], now));
            }
            p.step(&world, &seen, now);
        }
        let alert = alerts_of(&p, RuleKind::Approach)
            .pop()
            .expect("an approach warning");
        p.dispatcher.records.push(crate::DispatchRecord {
            id: 99,
            drone: 2,
            alert: Some(alert.id + 1),
            site: None,
            target: at(0.0, -2000.0),
            by: "operator".into(),
            at: t(0.0),
            state: crate::DispatchState::Orbiting,
            steps: Vec::new(),
            failure: None,
            following: Some(41),
            followed_at: None,
        });
        let dispatch = send_to_alert(&mut p, &world, alert.id, t(f64::from(120 + lost_s)));
        assert_eq!(dispatch.following, Some(40));
        // The buffer's edge on its way in, not where it was (about 900 m east) when warned.
        let off_m = metres(dispatch.target, at(300.0, 0.0));
        assert!(
            off_m <= 20.0,
            "lost {lost_s} s: {off_m:.1} m from the way in"
        );
    }
}

#[test]
fn a_second_drone_sent_to_an_alert_whose_movers_parted_goes_to_those_no_drone_is_on() {
    // Three walk in from the east and three from the north into one village's buffer: one
    // intrusion alert holds both groups, 600 m apart by the end.
    let mut p = Protection::new(one_site(500.0, false), rules());
    let mut world = World::new();
    for sysid in [1, 2] {
        world
            .vehicles
            .insert(sysid, Arc::new(drone(sysid, -1000.0, 0.0, 90.0, t(0.0))));
    }
    let groups = |s: f64| {
        let x = (1200.0 - s).max(400.0);
        let y = (1200.0 - s).max(400.0);
        let vx = if x > 400.0 { -1.0 } else { 0.0 };
        let vy = if y > 400.0 { -1.0 } else { 0.0 };
        (0..3)
            .map(|i| track(50 + i, x, 6.0 * i as f64, [vx, 0.0], t(s)))
            .chain((0..3).map(|i| track(60 + i, 6.0 * i as f64, y, [0.0, vy], t(s))))
            .collect::<Vec<_>>()
    };
    for s in 0..900u32 {
        let s = f64::from(s);
        world.time = t(s);
        p.step(&world, &groups(s), t(s));
    }
    let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(intrusions.len(), 1, "{intrusions:#?}");
    let alert = &intrusions[0];
    assert!(alert.cause.tracks.contains(&50) && alert.cause.tracks.contains(&60));
    // Before a drone is on it, nobody asks who is unwatched.
    assert!(p.view().unwatched.is_empty());
    let first = send_to_alert(&mut p, &world, alert.id, t(900.0));
    let first_track = first.following.expect("following");
    let group = |track: u64| track / 10;
    // The view says which movers no drone watches: the other group's ...
    let unwatched = p.view().unwatched.clone();
    assert_eq!(unwatched.len(), 1, "{unwatched:?}");
    assert_eq!(unwatched[0].alert, alert.id);
    assert_ne!(group(unwatched[0].track), group(first_track));
    // ... and the second goes to them, where they are, not to the alert's position.
    let second = send_to_alert(&mut p, &world, alert.id, t(900.0));
    let second_track = second.following.expect("following");
    assert_eq!(second_track, unwatched[0].track);
    assert!(p.view().unwatched.is_empty(), "{:?}", p.view().unwatched);
    assert_ne!(
        group(first_track),
        group(second_track),
        "{first:?} {second:?}"
    );
    let other_at = if group(second_track) == 5 {
        at(400.0, 6.0 * (second_track - 50) as f64)
    } else {
        at(6.0 * (second_track - 60) as f64, 400.0)
    };
    assert!(metres(second.target, other_at) <= 10.0, "{second:?}");
}
