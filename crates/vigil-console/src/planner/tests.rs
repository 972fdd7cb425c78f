use super::*;

/// The tangent plane at the south-west corner of [`square`].
fn plane() -> LocalFrame {
    LocalFrame::new(Geodetic::from_deg(9.0, 30.0, 0.0))
}

fn square(side_m: f64) -> Vec<Pos> {
    [[0.0, 0.0], [0.0, side_m], [side_m, side_m], [side_m, 0.0]]
        .into_iter()
        .map(|en_m| {
            let p = plane().surface_at_en_m(en_m);
            (p.lat_deg(), p.lon_deg())
        })
        .collect()
}

#[test]
fn spacing_follows_the_footprint_and_overlap() {
    let s = SurveySettings {
        alt_rel_m: 50.0,
        hfov_deg: 90.0,
        overlap_pct: 50.0,
        ..SurveySettings::default()
    };
    // Footprint 100 m wide, half of it overlapping: 50 m.
    assert!((s.spacing_m() - 50.0).abs() < 1e-9);
}

#[test]
fn a_lawnmower_covers_a_square_in_alternate_directions() {
    let pts = lawnmower(&square(1000.0), 100.0, 0.0);
    // 10 north-south lines, two turn points each.
    assert_eq!(pts.len(), 20);
    // The first line runs north, the second south.
    assert!(pts[1].0 > pts[0].0 && pts[3].0 < pts[2].0);
    // Lines 100 m apart, the first 50 m in from the west edge.
    let east = |p: &Pos| plane().en_m(&Geodetic::from_deg(p.0, p.1, 0.0))[0];
    assert!((east(&pts[0]) - 50.0).abs() < 0.5, "{}", east(&pts[0]));
    assert!((east(&pts[2]) - 150.0).abs() < 0.5);
    // Every point inside the square.
    for p in &pts {
        let en_m = plane().en_m(&Geodetic::from_deg(p.0, p.1, 0.0));
        assert!(
            en_m.iter().all(|m| (-1e-6..=1000.0 + 1e-6).contains(m)),
            "{en_m:?}"
        );
    }
    // East-west lines at 90°.
    let pts = lawnmower(&square(1000.0), 250.0, 90.0);
    assert_eq!(pts.len(), 8);
    let north = |p: &Pos| plane().en_m(&Geodetic::from_deg(p.0, p.1, 0.0))[1];
    assert!(
        (north(&pts[0]) - north(&pts[1])).abs() < 1e-6,
        "a line runs east-west"
    );
}

#[test]
fn plans_round_trip_through_missions() {
    let mut p = Planner::default();
    p.add_waypoint((9.0, 30.0));
    p.items.push(PlanItem::Waypoint {
        lat_deg: 9.001,
        lon_deg: 30.001,
        alt_rel_m: 80.0,
        speed_mps: Some(6.0),
    });
    let m = p.to_mission(None);
    let commands: Vec<u16> = m.items.iter().map(|i| i.command).collect();
    assert_eq!(commands, vec![22, 16, 178, 16, 20]);
    assert_eq!(
        m.items[0].z, 60.0,
        "takeoff to the first waypoint's altitude"
    );
    let mut q = Planner::default();
    q.load(&m);
    assert_eq!(q.items, p.items);
    assert!(q.takeoff && q.rtl_at_end);
    // Through a .plan file and back.
    let text = mission::to_plan_string(&m);
    let back = mission::parse_plan(&text, "t.plan").unwrap();
    let mut r = Planner::default();
    r.load(&back);
    assert_eq!(r.items, p.items);
}

#[test]
fn an_orbit_is_a_closed_ring_at_the_radius() {
    let pts = ring((9.0, 30.0), 200.0, 12);
    assert_eq!(pts.len(), 13);
    for p in &pts {
        let (d, _) = super::super::map::distance_and_bearing((9.0, 30.0), *p);
        assert!((d - 200.0).abs() < 2.0, "{d}");
    }
}

#[test]
fn clicks_add_to_what_is_being_drawn() {
    let mut p = Planner {
        drawing: Drawing::Waypoints,
        ..Planner::default()
    };
    assert!(p.on_map_click((9.0, 30.0), None));
    p.drawing = Drawing::SurveyArea;
    for pt in square(600.0) {
        p.on_map_click(pt, None);
    }
    // Spacing 48.5 m (69.3 m wide at 60 m, 30 % overlap): 12 lines of two turn points.
    assert_eq!(p.generate_survey().unwrap(), 24);
    assert_eq!(p.items.len(), 25);
    p.drawing = Drawing::None;
    assert!(p.on_map_click((0.0, 0.0), Some(&Pick::Waypoint(0))));
    assert_eq!(p.selected, Some(0));
    p.delete_selected();
    assert_eq!(p.items.len(), 24);
    assert!(!p.on_map_click((0.0, 0.0), None));
}
