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
    // Spacing 48.5 m (69.3 m wide at 60 m, 30 % overlap): 12 lines of two turn points, as
    // one item after the waypoint.
    assert_eq!(p.generate_survey(true).unwrap(), 24);
    assert_eq!(p.items.len(), 2);
    assert!(p.survey_area.is_empty(), "the area went into the pattern");
    assert_eq!(p.survey_areas().len(), 1);
    // On the map: the waypoint labelled 1, the pattern's first turn 2, the others dots.
    let outline = p.outline().expect("drawn");
    assert_eq!(outline.points_deg.len(), 25);
    let labels = outline.labels.expect("labelled");
    assert_eq!(labels[0].as_deref(), Some("1"));
    assert_eq!(labels[1].as_deref(), Some("2"));
    assert!(labels[2..].iter().all(Option::is_none));
    // Flown as its waypoints: take-off, waypoint, speed, 24 turns, return.
    assert_eq!(p.to_mission(None).items.len(), 28);
    p.drawing = Drawing::None;
    // A click on a turn of the pattern selects the pattern.
    assert!(p.on_map_click((0.0, 0.0), Some(&Pick::Waypoint(7))));
    assert_eq!(p.selected, Some(1));
    assert!(p.on_map_click((0.0, 0.0), Some(&Pick::Waypoint(0))));
    assert_eq!(p.selected, Some(0));
    p.delete_selected();
    assert_eq!(p.items.len(), 1);
    assert!(!p.on_map_click((0.0, 0.0), None));
}

#[test]
fn a_pattern_replacing_the_plan_and_each_items_leg() {
    let mut p = Planner::default();
    p.add_waypoint((9.0, 30.0));
    p.survey_area = square(600.0);
    p.generate_survey(false).unwrap();
    assert_eq!(p.items.len(), 1, "the waypoint was replaced");
    let home = GeoPoint {
        lat_deg: 9.0,
        lon_deg: 30.0,
        alt_m: 400.0,
    };
    let model = mission::FlightModel {
        cruise_mps: 10.0,
        vertical_mps: 2.5,
    };
    let (legs, estimate) = p.estimate(Some(home), model);
    // 12 lines of 600 m, 11 steps of 48.5 m across, the way out (24 m east) and back.
    let along_m = 12.0 * 600.0 + 11.0 * 600.0 / 12.0 * 0.97;
    let leg = legs[0].expect("the pattern's leg");
    assert!((leg - along_m).abs() < 40.0, "{leg} against {along_m}");
    assert!(estimate.total_m > leg);
    assert!(!estimate.open_ended);
    // Climb to 60 m (24 s) and the way flown at 10 m/s, then the descent.
    assert!(estimate.flight_s > 24.0 + estimate.total_m / 10.0);
}

#[test]
fn a_downloaded_mission_goes_into_an_empty_editor_and_beside_a_plan() {
    let mut source = Planner::default();
    source.add_waypoint((9.0, 30.0));
    source.add_waypoint((9.01, 30.0));
    let on_drone = source.to_mission(None);
    let mut p = Planner::default();
    p.downloaded(1, on_drone.clone());
    assert_eq!(p.items, source.items, "into the empty editor");
    assert!(p.status.contains("in the editor"), "{}", p.status);
    assert_eq!(p.vehicle_missions().len(), 1, "and drawn on the map");
    // A plan being edited is not overwritten: the drone's mission is drawn beside it.
    p.add_waypoint((9.02, 30.0));
    p.downloaded(2, on_drone);
    assert_eq!(p.items.len(), 3);
    assert!(p.status.contains("drawn on the map"), "{}", p.status);
    assert_eq!(p.vehicle_missions().len(), 2);
}

/// Waits (bounded) for the plan file's thread to finish, as the console's logic step does.
fn wait_for_file(p: &mut Planner) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while p.file_busy() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
        p.poll_file();
    }
    assert!(!p.file_busy(), "the plan file's thread never finished");
}

#[test]
fn plan_files_are_written_and_read_off_the_ui_thread_and_errors_name_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("round.plan");
    let mut p = Planner::default();
    p.add_waypoint((9.0, 30.0));
    p.add_waypoint((9.001, 30.001));
    let plan = p.to_mission(None);
    p.save_file(path.clone(), plan.clone(), "none".into());
    // The call returns at once; the status says what is under way until the thread answers.
    assert!(p.file_busy() || p.status.starts_with("saved"));
    wait_for_file(&mut p);
    assert!(p.status.starts_with("saved "), "{}", p.status);

    let mut q = Planner::default();
    q.open_file(path.clone());
    wait_for_file(&mut q);
    assert!(q.status.starts_with("opened "), "{}", q.status);
    assert_eq!(q.to_mission(None).items, plan.items);

    let missing = dir.path().join("missing.plan");
    q.open_file(missing.clone());
    wait_for_file(&mut q);
    assert!(q.status.starts_with("not opened: "), "{}", q.status);
    assert!(q.status.contains("missing.plan"), "{}", q.status);
    // A failed open keeps the plan in the editor.
    assert_eq!(q.to_mission(None).items, plan.items);
}
