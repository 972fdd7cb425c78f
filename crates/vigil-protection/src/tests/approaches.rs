//! Approaches within a place (issue #18): a group from outside already in a village's buffer
//! is warned of again as it heads for a place inside the village, before it gets there.

use super::*;

/// Testville (village, 500 m buffer) and its school 300 m north of its centre (100 m buffer).
fn village_and_school() -> SiteSet {
    let mut set = one_site(500.0, false);
    let school = at(0.0, 300.0);
    set.sites.push(Site {
        id: 1,
        feature_id: None,
        name: "Testville school".into(),
        category: SiteCategory::School,
        population: Some(200),
        buffer_m: 100.0,
        sensitive: false,
        outline: vec![vec![school]],
        centre: school,
        buffer: Vec::new(),
    });
    set
}

#[test]
fn a_group_in_a_village_heading_for_its_school_is_warned_of_before_it_gets_there() {
    let world = World::new();
    let mut p = Protection::new(village_and_school(), day_rules());
    // Three from the bush 1 km east walk west at 1.2 m/s into the village's buffer, then turn
    // north-west for the school (550 m away).
    let walk = |s: f64| -> ([f64; 2], [f64; 2]) {
        let turn_s = 450.0; // 460 m east of the centre, inside the buffer
        if s < turn_s {
            ([1000.0 - 1.2 * s, 0.0], [-1.2, 0.0])
        } else {
            let v = [
                -1.2 * 460.0 / 460f64.hypot(300.0),
                1.2 * 300.0 / 460f64.hypot(300.0),
            ];
            let d = s - turn_s;
            ([460.0 + v[0] * d, v[1] * d], v)
        }
    };
    let mut school_entered = None;
    for s in 0..1000u32 {
        let s = f64::from(s);
        let now = t(s);
        let (pos, vel) = walk(s);
        let tracks: Vec<TrackView> = (0..3)
            .map(|i| track(20 + i, pos[0] + 5.0 * i as f64, pos[1], vel, now))
            .collect();
        p.step(&world, &tracks, now);
        if school_entered.is_none() && pos[0].hypot(pos[1] - 300.0) <= 100.0 {
            school_entered = Some(now);
        }
    }
    let entered = school_entered.expect("the walk reaches the school");
    // One approach to the village before it came in; the intrusion then speaks for the group
    // at the village ...
    let intrusions = alerts_of(&p, RuleKind::BufferIntrusion);
    assert_eq!(intrusions[0].site, Some(0), "{intrusions:#?}");
    let approaches = alerts_of(&p, RuleKind::Approach);
    let to = |site: u32| approaches.iter().filter(|a| a.site == Some(site)).count();
    assert_eq!(to(0), 1, "{approaches:#?}");
    // ... and once it turns for the school, the school is warned, a minute or more ahead.
    let school = approaches
        .iter()
        .find(|a| a.site == Some(1))
        .expect("an approach warning for the school");
    assert!(school.text.contains("Testville school"), "{}", school.text);
    assert!(
        entered.since(school.first_seen).as_secs_f64() >= 60.0,
        "warned at {:?}, entered at {entered:?}",
        school.first_seen
    );
}
