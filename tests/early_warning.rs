//! Early warning in the console (issue #18): an armed group walks out of the Gumbar forest
//! along the Eastern track towards Keradu, simulated over UDP into a real station with the
//! demo's sites and ways. The rules warn that it is approaching before it enters Keradu's
//! buffer, with the way it follows and its time of arrival; the console shows it on the alert
//! and on the track; and the group reaches the buffer within the predicted times.

mod common;
#[path = "common/gui.rs"]
mod gui;

use std::path::Path;

use egui_kittest::kittest::Queryable;
use gui::{console, has_label, step_until};
use vigil_protection::RuleKind;
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld};
use vigil_station::{Pipeline, PipelineConfig};

/// A radar by the Eastern track's tripwire and four armed men walking from the forest's edge
/// towards Keradu's east edge at 1.5 m/s (about 1.2 km), by day.
const SCENARIO: &str = r#"
[scenario]
name = "approach"
start_utc = "2026-03-14T09:00:00Z"
seed = 3

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.01150, lon_deg = 31.02050 }
radius_m = 750.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "armed-group"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.5
armed = true
route = [
  { lat_deg = 9.012206, lon_deg = 31.025464 },
  { lat_deg = 9.011437, lon_deg = 31.023191 },
  { lat_deg = 9.011302, lon_deg = 31.020462 },
  { lat_deg = 9.010217, lon_deg = 31.017734 },
  { lat_deg = 9.008499, lon_deg = 31.015733 },
]
"#;

/// A station with the demo's sites and ways (and `rules`, if given), and the simulator
/// flying `scenario` into it over UDP at `speed`.
fn start(scenario: &str, rules: Option<std::path::PathBuf>, speed: f64) -> (Pipeline, SimRunner) {
    let pipeline = Pipeline::start(PipelineConfig {
        links: vec![common::link("udpin:127.0.0.1:0")],
        demo_sites: true,
        rules,
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let scenario = Scenario::parse(scenario, Path::new("approach.toml")).expect("a scenario");
    let sim = SimRunner::start_world(
        SimWorld::from_scenario(&scenario, 3),
        SimTransport::Udp {
            socket: std::net::UdpSocket::bind("127.0.0.1:0").expect("a port"),
            peer: Some(common::bound_addr(&station, 0)),
            learn: false,
        },
        RunOptions {
            speed,
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");
    (pipeline, sim)
}

#[test]
fn an_approach_along_a_track_is_warned_before_the_buffer_and_shown_on_the_alert_and_track() {
    let (pipeline, _sim) = start(SCENARIO, None, 10.0);
    let station = pipeline.station();

    // The warning: an approach alert on Keradu, along the Eastern track.
    let warned = common::wait_for(&station, "an approach warning", common::TIMEOUT * 6, |s| {
        s.protection
            .alerts
            .iter()
            .any(|a| a.rule == RuleKind::Approach)
    });
    let approach = warned
        .protection
        .alerts
        .iter()
        .find(|a| a.rule == RuleKind::Approach)
        .expect("the approach")
        .clone();
    assert!(
        approach.text.contains("heading for Keradu") && approach.text.contains("Eastern track"),
        "{}",
        approach.text
    );
    let predicted = warned
        .protection
        .approaches
        .iter()
        .find(|a| approach.cause.tracks.contains(&a.track))
        .expect("the prediction behind it")
        .clone();
    let predicted_at_s = warned.protection.time.as_secs_f64();

    // The console: the alert names where the group is heading; its track says so too.
    let mut h = console(&station);
    h.get_by_label_contains("Alerts (").click();
    h.step();
    // The line's text follows the time of arrival: find it by its start.
    let line = format!("{} {} approach [", approach.id, approach.severity.label());
    step_until(&mut h, "the approach in the list", |h| has_label(h, &line));
    h.get_by_label_contains(&line).click();
    let link = format!(
        "Track {}: heading for Keradu along the Eastern track",
        predicted.track
    );
    step_until(&mut h, "the track's link on the alert", |h| {
        has_label(h, &link)
    });
    h.get_by_label_contains(&link).click();
    step_until(&mut h, "the track's panel", |h| {
        has_label(h, &format!("Track {}", predicted.track)) && has_label(h, "Heading for")
    });

    // The entry: an intrusion on Keradu, after the warning and within the predicted times
    // (with the rules' 2 s to confirm, and a scan's worth either side).
    let entered = common::wait_for(&station, "the intrusion", common::TIMEOUT * 6, |s| {
        s.protection
            .alerts
            .iter()
            .any(|a| a.rule == RuleKind::BufferIntrusion)
    });
    let intrusion = entered
        .protection
        .alerts
        .iter()
        .find(|a| a.rule == RuleKind::BufferIntrusion)
        .expect("the intrusion");
    assert!(intrusion.first_seen > approach.first_seen);
    let after_s = intrusion.first_seen.as_secs_f64() - predicted_at_s;
    println!(
        "warned {:.0} s before the intrusion; predicted {:.0} s ({:.0}-{:.0} s) at {:.2} m/s",
        after_s, predicted.arrival_s, predicted.earliest_s, predicted.latest_s, predicted.speed_mps
    );
    assert!(
        after_s >= predicted.earliest_s - 15.0 && after_s <= predicted.latest_s + 15.0,
        "entered {after_s:.0} s after a prediction of {:.0} s ({:.0}-{:.0} s)",
        predicted.arrival_s,
        predicted.earliest_s,
        predicted.latest_s
    );
    pipeline.shutdown();
}

/// The same approach, with two copters at a pad 1.5 km west of the group's way: drone 1 low
/// on battery and close, drone 2 full and farther.
const FOLLOW_SCENARIO: &str = r#"
[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 9.0105, lon_deg = 31.0120, alt_msl_m = 420.0 }
battery_pct = 52.0
endurance_min = 40.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[drone]]
sysid = 2
kind = "multirotor"
home = { lat_deg = 9.0095, lon_deg = 31.0100, alt_msl_m = 420.0 }
battery_pct = 100.0
endurance_min = 35.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }
"#;

#[test]
fn a_drone_sent_to_an_approach_follows_the_group_and_hands_over_on_low_battery() {
    use vigil_protection::{DispatchState, DispatchTarget, DispatchUpdate};
    use vigil_world::command::Action;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rules = dir.path().join("rules.toml");
    // A lower orbit (a shorter climb), and the hand-over asked for as soon as drone 1 is on
    // station (the relief needs five minutes to get there).
    std::fs::write(
        &rules,
        "[dispatch]\nalt_rel_m = 40.0\norbit_radius_m = 80.0\nhandover_battery_pct = 48.0\nmin_battery_pct = 45.0\n",
    )
    .expect("written");
    let (pipeline, _sim) = start(&format!("{SCENARIO}{FOLLOW_SCENARIO}"), Some(rules), 8.0);
    let station = pipeline.station();
    let warned = common::wait_for(&station, "an approach warning", common::TIMEOUT * 6, |s| {
        s.protection
            .alerts
            .iter()
            .any(|a| a.rule == RuleKind::Approach)
            && s.world.vehicles.len() == 2
    });
    let alert = warned
        .protection
        .alerts
        .iter()
        .find(|a| a.rule == RuleKind::Approach)
        .expect("the approach")
        .clone();
    // The proposal says how long the drone can stay: about five minutes on 52 % at the way
    // into Keradu's buffer where it meets the group (740 m from its pad).
    let plan = station
        .plan_dispatch(DispatchTarget::Alert(alert.id))
        .expect("asked")
        .recv_timeout(common::TIMEOUT)
        .expect("an answer")
        .expect("a drone");
    assert_eq!(plan.choice.drone, 1, "{plan:?}");
    let on_station_s = plan.choice.on_station_s.expect("a battery level");
    assert!(on_station_s > 0.0 && on_station_s < 400.0, "{plan:?}");
    let updates = station
        .send_confirmed_drone(DispatchTarget::Alert(alert.id), "Sgt Diallo", Some(1))
        .expect("sent");
    let deadline = std::time::Instant::now() + common::TIMEOUT * 6;
    loop {
        match updates.recv_timeout(common::TIMEOUT * 6) {
            Ok(DispatchUpdate::Done(done)) => {
                assert_eq!(done, Ok(1));
                break;
            }
            Ok(_) => {}
            Err(err) => panic!("no end to the dispatch: {err}"),
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no end to the dispatch"
        );
    }
    // On station it follows: the orbit moves with the group and the camera with it.
    let count = |d: &vigil_protection::DispatchRecord, gimbal: bool| {
        (d.steps.iter())
            .filter(|(a, _)| {
                if gimbal {
                    matches!(a, Action::PointGimbal { .. })
                } else {
                    matches!(a, Action::Orbit { .. })
                }
            })
            .count()
    };
    let followed = common::wait_for(&station, "the orbit moved", common::TIMEOUT * 6, |s| {
        s.protection.dispatches.iter().any(|d| {
            d.drone == 1 && d.following.is_some() && count(d, false) >= 2 && count(d, true) >= 2
        })
    });
    let first = followed
        .protection
        .dispatches
        .iter()
        .find(|d| d.drone == 1)
        .expect("drone 1's dispatch")
        .clone();
    // Its battery runs low: drone 2 takes over, then drone 1 goes home.
    let handed = common::wait_for(&station, "the hand-over", common::TIMEOUT * 9, |s| {
        s.protection
            .dispatches
            .iter()
            .any(|d| d.id == first.id && d.state == DispatchState::HandedOver)
    });
    let relief = handed
        .protection
        .dispatches
        .iter()
        .find(|d| d.drone == 2)
        .expect("drone 2 sent");
    assert_eq!(relief.following, first.following);
    assert!(relief.by.contains("hand-over from drone 1"), "{relief:?}");
    assert_eq!(relief.state, DispatchState::Orbiting);
    common::wait(&station, "drone 1 going home", |s| {
        s.world.vehicles.get(&1).is_some_and(|v| v.mode == "RTL")
    });
    pipeline.shutdown();
}

/// Eight armed men on the Eastern track from the tripwire towards Keradu's east edge, seen by
/// a radar there, who part at the gathering point (inside Keradu's buffer): the four in front
/// (the drone sent to their approach follows them) take the North track, towards no place;
/// the four 70 m behind take the Field track south, past the primary school. A copter on a
/// pad 600 m west.
const PARTING_SCENARIO: &str = r#"
[scenario]
name = "parting"
start_utc = "2026-03-14T09:00:00Z"
seed = 5

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.00850, lon_deg = 31.01700 }
radius_m = 900.0
pd = 0.95
report_period_s = 1.0

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 9.0095, lon_deg = 31.0100, alt_msl_m = 420.0 }
battery_pct = 100.0
endurance_min = 40.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[mover]]
id = "armed-north"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.5
armed = true
route = [
  { lat_deg = 9.011302, lon_deg = 31.020462 },
  { lat_deg = 9.010217, lon_deg = 31.017734 },
  { lat_deg = 9.008499, lon_deg = 31.015733 },
  { lat_deg = 9.013562, lon_deg = 31.016825 },
  { lat_deg = 9.019891, lon_deg = 31.015915 },
]

[[mover]]
id = "armed-south"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.5
start_s = 45.0
armed = true
route = [
  { lat_deg = 9.011302, lon_deg = 31.020462 },
  { lat_deg = 9.010217, lon_deg = 31.017734 },
  { lat_deg = 9.008499, lon_deg = 31.015733 },
  { lat_deg = 9.006329, lon_deg = 31.016279 },
  { lat_deg = 9.003797, lon_deg = 31.016643 },
]
"#;

#[test]
fn a_drone_following_a_group_that_parts_follows_those_heading_for_a_place() {
    use vigil_protection::DispatchTarget;
    /// Where the two groups part.
    const PARTING_LAT_DEG: f64 = 9.008499;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "[dispatch]\nalt_rel_m = 40.0\norbit_radius_m = 80.0\n",
    )
    .expect("written");
    let (pipeline, _sim) = start(PARTING_SCENARIO, Some(rules), 10.0);
    let station = pipeline.station();
    let warned = common::wait_for(&station, "an approach warning", common::TIMEOUT * 6, |s| {
        (s.protection.alerts.iter()).any(|a| a.rule == RuleKind::Approach)
            && s.world.vehicles.contains_key(&1)
    });
    let alert = (warned.protection.alerts.iter())
        .find(|a| a.rule == RuleKind::Approach)
        .expect("the approach")
        .clone();
    station
        .send_confirmed_drone(DispatchTarget::Alert(alert.id), "Sgt Diallo", Some(1))
        .expect("sent");
    // The group parts: the drone ends up on a track of the southern four, well south of the
    // parting, while the northern four are tracked north of it.
    let track_lat = |s: &vigil_station::Snapshot, id: u64| {
        (s.tracks.iter()).find(|t| t.id == id).map(|t| t.lat_deg)
    };
    let parted = common::wait_for(
        &station,
        "the follow on the southern four",
        common::TIMEOUT * 9,
        |s| {
            let Some(dispatch) = s.protection.dispatches.iter().find(|d| d.drone == 1) else {
                return false;
            };
            let south = (dispatch.following)
                .and_then(|id| track_lat(s, id))
                .is_some_and(|lat| lat < PARTING_LAT_DEG - 0.0007);
            let north = (s.tracks.iter()).any(|t| t.lat_deg > PARTING_LAT_DEG + 0.0007);
            south && north
        },
    );
    // The alert says why the drone changed movers, and where they are heading.
    let said = (parted.protection.alerts.iter())
        .find(|a| a.id == alert.id)
        .expect("the alert")
        .annotations
        .iter()
        .map(|a| a.text.clone())
        .collect::<Vec<_>>();
    assert!(
        said.iter()
            .any(|t| t.contains("now, heading for Keradu") && t.contains("parted")),
        "{said:?}"
    );
    pipeline.shutdown();
}
