//! Each kind of problem, on a plan that is otherwise good; the example plans of the format
//! tests (QGroundControl's, Mission Planner's) are checked in plan.rs and waypoints.rs.

use super::*;
use crate::{Fence, FenceCircle, FencePolygon};

const HOME: GeoPoint = GeoPoint {
    lat_deg: -35.363261,
    lon_deg: 149.16523,
    alt_m: 584.0,
};

fn item(frame: u8, command: u16, params: [f32; 4], x: f64, y: f64, z: f32) -> MissionItem {
    MissionItem {
        frame,
        command,
        autocontinue: true,
        params,
        x,
        y,
        z,
    }
}

fn waypoint(x: f64, y: f64, z: f32) -> MissionItem {
    item(3, 16, [0.0, 0.0, 0.0, f32::NAN], x, y, z)
}

/// Takeoff (position unused), two waypoints, a speed change, a jump back to the first
/// waypoint, and RTL; a fence polygon and circle with a return point, and a rally point.
fn good() -> Mission {
    Mission {
        home: Some(HOME),
        items: vec![
            item(3, 22, [0.0, 0.0, 0.0, f32::NAN], 0.0, 0.0, 20.0),
            waypoint(-35.3625, 149.1655, 30.0),
            waypoint(-35.3621, 149.1651, 40.0),
            item(2, 178, [1.0, 8.5, -1.0, 0.0], 0.0, 0.0, 0.0),
            item(2, 177, [2.0, 3.0, 0.0, 0.0], 0.0, 0.0, 0.0),
            item(2, 20, [0.0; 4], 0.0, 0.0, 0.0),
        ],
        fence: Fence {
            polygons: vec![FencePolygon {
                inclusion: true,
                vertices: vec![(-35.36, 149.16), (-35.36, 149.17), (-35.37, 149.17)],
            }],
            circles: vec![FenceCircle {
                inclusion: false,
                center: (-35.3631, 149.1655),
                radius_m: 25.5,
            }],
            breach_return: Some(GeoPoint {
                lat_deg: -35.3635,
                lon_deg: 149.1650,
                alt_m: 20.0,
            }),
        },
        rally: vec![GeoPoint {
            lat_deg: -35.3610,
            lon_deg: 149.1660,
            alt_m: 30.0,
        }],
    }
}

/// The problems of `good()` changed by `change`, as text.
fn problems(change: impl FnOnce(&mut Mission)) -> Vec<String> {
    let mut mission = good();
    change(&mut mission);
    match validate(&mission) {
        Ok(()) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_good_plan_passes_with_no_warning() {
    assert_eq!(inspect(&good()), Findings::default());
}

#[test]
fn latitude_and_longitude_must_be_on_the_globe() {
    assert_eq!(
        problems(|m| m.items[1].x = 200.5),
        ["item 2 (seq 2): latitude: 200.5 is outside -90..=90"]
    );
    assert_eq!(
        problems(|m| m.items[2].y = -180.25),
        ["item 3 (seq 3): longitude: -180.25 is outside -180..=180"]
    );
    assert_eq!(
        problems(|m| m.items[1].x = f64::NAN),
        ["item 2 (seq 2): latitude: NaN is not a number of degrees"]
    );
    assert_eq!(
        problems(|m| m.items[1].y = f64::INFINITY),
        ["item 2 (seq 2): longitude: inf is not a number of degrees"]
    );
}

#[test]
fn a_waypoint_at_zero_zero_is_refused_where_zero_zero_means_here_it_is_not() {
    assert_eq!(
        problems(|m| (m.items[1].x, m.items[1].y) = (0.0, 0.0)),
        [
            "item 2 (seq 2): position: 0°, 0° is where an unset position lands (in the Gulf of \
          Guinea), not a place to fly; NAV_WAYPOINT needs its position"
        ]
    );
    // ArduPilot takes off, lands and loiters where the vehicle is when given 0°, 0°, and
    // stops pointing at anything for an ROI at 0°, 0°: Mission Planner writes them so.
    let here = |command| item(3, command, [0.0; 4], 0.0, 0.0, 10.0);
    assert!(problems(|m| m.items.extend([here(21), here(17), here(195), here(201)])).is_empty());
    // DO_SET_HOME at 0°, 0° is refused unless param1 = 1 (use the vehicle's position).
    let set_home = |param1| item(0, 179, [param1, 0.0, 0.0, 0.0], 0.0, 0.0, 584.0);
    assert!(problems(|m| m.items.push(set_home(1.0))).is_empty());
    assert_eq!(
        problems(|m| m.items.push(set_home(0.0))),
        [
            "item 7 (seq 7): position: 0°, 0° is where an unset position lands (in the Gulf of \
          Guinea), not a place to fly; DO_SET_HOME needs its position"
        ]
    );
}

#[test]
fn altitudes_must_be_finite_under_the_ceiling_and_not_below_home_for_a_flight() {
    assert_eq!(
        problems(|m| m.items[1].z = 12_000.0),
        ["item 2 (seq 2): altitude: 12000 m above home is over Vigil's ceiling of 10000 m"]
    );
    assert_eq!(
        problems(|m| m.items[1].z = -5.0),
        [
            "item 2 (seq 2): altitude: -5 m is below home: the vehicle would fly into the \
          ground"
        ]
    );
    assert_eq!(
        problems(|m| m.items[1].z = f32::NAN),
        ["item 2 (seq 2): altitude: NaN is not a number of metres"]
    );
    assert_eq!(
        problems(|m| (m.items[2].frame, m.items[2].z) = (10, -1.0)),
        [
            "item 3 (seq 3): altitude: -1 m is below terrain: the vehicle would fly into \
          the ground"
        ]
    );
    // Above sea level: measured against home, and against the ground without a home.
    assert!(problems(|m| (m.items[1].frame, m.items[1].z) = (0, 620.0)).is_empty());
    assert_eq!(
        problems(|m| (m.items[1].frame, m.items[1].z) = (0, 10_600.0)),
        [
            "item 2 (seq 2): altitude: 10600 m above sea level is more than Vigil's ceiling of \
          10000 m above home"
        ]
    );
    assert_eq!(
        problems(|m| (m.items[1].frame, m.items[1].z) = (5, -600.0)),
        ["item 2 (seq 2): altitude: -600 m above sea level is below the lowest ground on Earth"]
    );
    // A camera may look at a point below home.
    let roi = item(3, 195, [0.0; 4], -35.365, 149.166, -40.0);
    assert!(problems(|m| m.items.push(roi)).is_empty());
}

#[test]
fn frames_must_be_ones_arducopter_takes_for_the_command() {
    assert_eq!(
        problems(|m| m.items[1].frame = 2),
        [
            "item 2 (seq 2): frame: 2 (MISSION) is not a global frame, and NAV_WAYPOINT needs one \
          for its position and altitude: use 3 (altitude above home), 10 (above terrain) or 0 \
          (above sea level)"
        ]
    );
    assert_eq!(
        problems(|m| m.items[3].frame = 1),
        [
            "item 4 (seq 4): frame: 1 (LOCAL_NED) is not a frame of ArduPilot missions (global \
          frames 0, 3 and 10, their _INT forms 5, 6 and 11, or 2, MISSION)"
        ]
    );
    // The _INT forms are taken as ArduPilot takes them; a command without a position may be
    // in any global frame, as Mission Planner writes them.
    assert!(
        problems(|m| {
            m.items[1].frame = 6;
            m.items[2].frame = 11;
            m.items[3].frame = 3;
        })
        .is_empty()
    );
}

#[test]
fn commands_must_be_ones_arducopter_takes_in_a_mission() {
    assert_eq!(
        problems(|m| m.items[3].command = 113),
        ["item 4 (seq 4): command: 113 is not a command ArduPilot accepts in a mission"]
    );
    assert_eq!(
        problems(|m| m.items[3].command = 5000),
        ["item 4 (seq 4): command: 5000 is not a command ArduPilot accepts in a mission"]
    );
    let ids: Vec<u16> = MISSION_COMMANDS.iter().map(|c| c.id).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(ids, sorted, "one entry per id, in order");
}

#[test]
fn params_may_be_nan_only_where_arducopter_allows_it() {
    assert_eq!(
        problems(|m| m.items[3].params[1] = f32::NAN),
        [
            "item 4 (seq 4): param2: NaN (null in a .plan) is not a value ArduPilot takes for \
          DO_CHANGE_SPEED"
        ]
    );
    assert_eq!(
        problems(|m| m.items[1].params[0] = f32::INFINITY),
        ["item 2 (seq 2): param1: infinity is not a value ArduPilot takes for NAV_WAYPOINT"]
    );
    // Yaw (param4) of waypoints, takeoff and landing may be unset, as QGroundControl writes it.
    assert!(good().items[0].params[3].is_nan() && good().items[1].params[3].is_nan());
}

#[test]
fn jumps_must_land_on_an_item_of_the_mission() {
    let jump = |m: &mut Mission, target: f32| m.items[4].params[0] = target;
    assert_eq!(
        problems(|m| jump(m, 9.0)),
        [
            "item 5 (seq 5): param1 (jump target): 9 is not an item of this mission (items 1..=6; \
          0 is home)"
        ]
    );
    assert_eq!(
        problems(|m| jump(m, 0.0)),
        [
            "item 5 (seq 5): param1 (jump target): 0 is home, not a mission item to jump to (items \
          are 1 to the last)"
        ]
    );
    assert_eq!(
        problems(|m| jump(m, 5.0)),
        ["item 5 (seq 5): param1 (jump target): 5 is this DO_JUMP itself"]
    );
    assert_eq!(
        problems(|m| jump(m, 2.5)),
        [
            "item 5 (seq 5): param1 (jump target): 2.5 is not an item of this mission (items \
          1..=6; 0 is home)"
        ]
    );
    assert_eq!(
        problems(|m| m.items[4].params[1] = -2.0),
        [
            "item 5 (seq 5): param2 (repeat count): -2 is not a whole number of repeats (-1: for \
          ever)"
        ]
    );
    assert!(problems(|m| jump(m, 6.0)).is_empty(), "forwards too");
}

#[test]
fn a_jump_to_a_tag_needs_the_tag() {
    let tag = |id, n| item(2, id, [n, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0);
    assert!(problems(|m| m.items.extend([tag(600, 4.0), tag(601, 4.0)])).is_empty());
    assert_eq!(
        problems(|m| m.items.extend([tag(600, 4.0), tag(601, 5.0)])),
        ["item 8 (seq 8): param1 (tag): no JUMP_TAG item of this mission sets tag 5"]
    );
}

#[test]
fn fence_and_rally_points_are_checked_where_they_sit() {
    assert_eq!(
        problems(|m| m.fence.polygons[0].vertices.truncate(2)),
        ["fence polygon 1: vertices: 2 vertices: a polygon needs at least 3"]
    );
    assert_eq!(
        problems(|m| m.fence.polygons[0].vertices[1] = (95.0, 149.0)),
        ["fence polygon 1 vertex 2: latitude: 95 is outside -90..=90"]
    );
    assert_eq!(
        problems(|m| m.fence.circles[0].radius_m = 0.0),
        ["fence circle 1: radius: 0 is not a positive number of metres"]
    );
    assert_eq!(
        problems(|m| m.fence.circles[0].center = (0.0, 0.0)),
        [
            "fence circle 1: position: 0°, 0° is where an unset position lands (in the Gulf of \
          Guinea), not a place to fly"
        ]
    );
    assert_eq!(
        problems(|m| {
            if let Some(p) = &mut m.fence.breach_return {
                p.alt_m = 20_000.0;
            }
        }),
        ["fence return point: altitude: 20000 m above home is over Vigil's ceiling of 10000 m"]
    );
    assert_eq!(
        problems(|m| m.rally[0].lon_deg = 190.0),
        ["rally point 1: longitude: 190 is outside -180..=180"]
    );
}

#[test]
fn home_is_item_zero_and_a_plan_without_one_only_warns() {
    let mut plan = good();
    plan.home = None;
    let findings = inspect(&plan);
    assert!(findings.problems.is_empty());
    assert_eq!(
        findings
            .warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            "home (seq 0): position: none planned (0°, 0° in the file): ArduPilot fills item 0 \
          in with its own home, and altitudes above home are above wherever the vehicle is armed"
        ]
    );
    assert_eq!(validate(&plan), Ok(()));
    assert_eq!(
        problems(|m| m.home = Some(GeoPoint {
            lat_deg: -135.0,
            ..HOME
        })),
        ["home (seq 0): latitude: -135 is outside -90..=90"]
    );
    assert_eq!(
        problems(|m| m.home = Some(GeoPoint {
            alt_m: f64::NAN,
            ..HOME
        })),
        ["home (seq 0): altitude: NaN is not a number of metres"]
    );
    assert_eq!(Place::Home.seq(), Some(0));
    assert_eq!(Place::Item(0).seq(), Some(1));
    assert_eq!(Place::Rally(0).seq(), None);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let found = problems(|m| {
        m.items[1].x = 200.5;
        m.items[2].z = -3.0;
        m.items[3].command = 113;
    });
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("item 2 (seq 2): latitude"));
    assert!(found[1].starts_with("item 3 (seq 3): altitude"));
    assert!(found[2].starts_with("item 4 (seq 4): command"));
}

#[test]
fn an_empty_plan_is_valid_here_clearing_is_the_uploaders_decision() {
    assert_eq!(validate(&Mission::default()), Ok(()));
}

#[test]
fn any_plan_gets_an_answer_naming_places_that_exist() {
    let mut rng = vigil_core::rng::Rng::new(17);
    let nasty = [
        0.0,
        -0.0,
        200.5,
        -91.0,
        1e30,
        f64::NAN,
        f64::INFINITY,
        47.4,
        8.5,
    ];
    let pick = |rng: &mut vigil_core::rng::Rng| nasty[rng.below(nasty.len())];
    for _ in 0..2_000 {
        let mut plan = good();
        for item in &mut plan.items {
            item.frame = rng.below(13) as u8;
            item.command = [16, 22, 177, 179, 195, 600, 601, 113, 0][rng.below(9)];
            item.params = [0; 4].map(|_| pick(&mut rng) as f32);
            (item.x, item.y, item.z) = (pick(&mut rng), pick(&mut rng), pick(&mut rng) as f32);
        }
        plan.fence.polygons[0].vertices.truncate(rng.below(4));
        plan.fence.circles[0].radius_m = pick(&mut rng);
        let findings = inspect(&plan);
        for problem in findings.problems.iter().chain(&findings.warnings) {
            let exists = match problem.place {
                Place::Home => true,
                Place::Item(i) => i < plan.items.len(),
                Place::FencePolygon(p) => p < plan.fence.polygons.len(),
                Place::FenceVertex { polygon, vertex } => {
                    vertex < plan.fence.polygons[polygon].vertices.len()
                }
                Place::FenceCircle(c) => c < plan.fence.circles.len(),
                Place::FenceReturn => plan.fence.breach_return.is_some(),
                Place::Rally(r) => r < plan.rally.len(),
            };
            assert!(exists, "{problem}");
            assert!(!problem.reason.is_empty());
        }
    }
}
