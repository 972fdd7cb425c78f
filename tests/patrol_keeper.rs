//! Patrols kept flying by the station without an operator (`vigil run --patrol`, issue #18),
//! end to end: three simulated copters and a radar over UDP into a real station with two
//! protected places. The keeper plans once the deployment is heard, uploads each loop as an
//! AUTO mission and flies it; drone 1 (low battery) is relieved and sent home once the
//! others fly the new plan; an operator sends drone 2 to an alert about an armed group and
//! the keeper gives its loop to drone 3 without sending drone 2 home; and with drone 3 alone
//! on the loop, each place's ways in are watched again within the revisit interval the plan
//! promised. Every plan and hand-over is in the session's journal. With cueing: a drone
//! taken off its loop for a warning and given back, one sent to movement at a sensor that
//! follows the movers found, a second group taking the other drone, a drone whose alert
//! is over looking on station before it is taken back, and one that lost half a group
//! looking for it before it goes back to the rest.

// Long: the keeper's end-to-end tests share one harness (station, simulator, keeper) and
// each needs its own deployment written out.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use vigil_protection::{DispatchTarget, RuleKind};
use vigil_record::journal::{JOURNAL_FILE, JournalReader, JournalRecord};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld};
use vigil_station::patrol::{KeeperConfig, PatrolKeeper, PatrolStatus};
use vigil_station::{Pipeline, PipelineConfig};

/// Two places 1.1 km apart, each with a 300 m buffer.
const SITES: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"name": "West well", "category": "water_point", "buffer_m": 300},
  "geometry": {"type": "Point", "coordinates": [31.0100, 9.0000]}},
 {"type": "Feature", "properties": {"name": "East school", "category": "school", "buffer_m": 300},
  "geometry": {"type": "Point", "coordinates": [31.0200, 9.0000]}}
]}"#;

/// Three copters at a pad south of the places (drone 1 nearly at the hand-over level), a
/// radar west of the well, and four armed men walking in from the west.
const SCENARIO: &str = r#"
[scenario]
name = "patrol keeper"
start_utc = "2026-03-14T09:00:00Z"
seed = 5

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0140, alt_msl_m = 400.0 }
battery_pct = 41.0
endurance_min = 30.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[drone]]
sysid = 2
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0150, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[drone]]
sysid = 3
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0160, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 500.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "armed-group"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
]
"#;

/// Simulated seconds per real second.
const SPEED: f64 = 20.0;

fn lines(status: &PatrolStatus) -> String {
    status
        .log
        .iter()
        .map(|(_, _, text)| text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Waits until the keeper's log has a line containing each of `wanted`.
fn wait_log(
    keeper: &PatrolKeeper,
    wanted: &[&str],
    limit: Duration,
) -> std::sync::Arc<PatrolStatus> {
    let deadline = Instant::now() + limit;
    loop {
        let status = keeper.status();
        let text = lines(&status);
        if wanted.iter().all(|w| text.contains(w)) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "the keeper never said {wanted:?}; it said:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The alert number the keeper's log gives right after `before` (up to `until`).
fn alert_after(status: &PatrolStatus, before: &str, until: char) -> u64 {
    let text = lines(status);
    text.split(before)
        .nth(1)
        .and_then(|rest| rest.split(until).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an alert number after {before:?} in:\n{text}"))
}

/// Watches the station until the keeper's log has a line containing `said`, giving `watch`
/// each protection picture meanwhile (to note when something first held, on the mission
/// clock); returns when (mission clock) the keeper said it.
fn watch_until_said(
    station: &vigil_station::GroundStation,
    keeper: &PatrolKeeper,
    said: &str,
    limit: Duration,
    mut watch: impl FnMut(&vigil_protection::ProtectionView),
) -> vigil_core::time::TimeUs {
    let deadline = Instant::now() + limit;
    loop {
        let snapshot = station.snapshot();
        watch(&snapshot.protection);
        let status = keeper.status();
        if let Some((_, at, _)) = status.log.iter().find(|(_, _, t)| t.contains(said)) {
            return *at;
        }
        assert!(
            Instant::now() < deadline,
            "the keeper never said {said:?}; it said:\n{}\ndispatches: {:#?}",
            lines(&status),
            snapshot.protection.dispatches
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// What a test runs: the station recording into `session`, the simulator and the keeper.
struct Flying {
    _dir: tempfile::TempDir,
    session: std::path::PathBuf,
    pipeline: Pipeline,
    station: vigil_station::GroundStation,
    _sim: SimRunner,
    keeper: PatrolKeeper,
}

/// Starts the station on the two places, the simulator on `SCENARIO`, and the keeper.
fn fly(config: KeeperConfig) -> Flying {
    fly_over(config, SCENARIO)
}

/// As [`fly`], with the simulator on `scenario`.
fn fly_over(config: KeeperConfig, scenario: &str) -> Flying {
    fly_at(config, SITES, scenario)
}

/// As [`fly_over`], the station protecting `sites` (GeoJSON).
fn fly_at(config: KeeperConfig, sites: &str, scenario: &str) -> Flying {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let sites_file = dir.path().join("sites.geojson");
    std::fs::write(&sites_file, sites).expect("written");
    let sites = sites_file;
    let session = dir.path().join("session");
    let pipeline = Pipeline::start(PipelineConfig {
        links: vec![common::link("udpin:127.0.0.1:0")],
        sites: Some(sites),
        session_dir: Some(session.clone()),
        ..PipelineConfig::new(common::test_folders())
    })
    .expect("the pipeline starts");
    let station = pipeline.station();
    let scenario = Scenario::parse(scenario, Path::new("patrol.toml")).expect("a scenario");
    let _sim = SimRunner::start_world(
        SimWorld::from_scenario(&scenario, 5),
        SimTransport::Udp {
            socket: std::net::UdpSocket::bind("127.0.0.1:0").expect("a port"),
            peer: Some(common::bound_addr(&station, 0)),
            learn: false,
        },
        RunOptions {
            speed: SPEED,
            ..RunOptions::default()
        },
        None,
    )
    .expect("the simulator starts");
    let keeper = PatrolKeeper::start(station.clone(), config).expect("the keeper starts");
    Flying {
        _dir: dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    }
}

/// Checks the revisit interval `plan` promised each place against the time its ways in go
/// unwatched (with a minute for the camera's look ahead and the protection's steps), over
/// the loop's second round once its drone is on it at `on_loop_s` (mission clock); each
/// place's promise.
fn keeps_its_promise(
    station: &vigil_station::GroundStation,
    plan: &vigil_protection::patrol::PatrolPlan,
    on_loop_s: f64,
) -> Vec<(String, f64)> {
    let period_s = plan.loops[0].period_s;
    let start_s = station.snapshot().protection.time.as_secs_f64();
    let from_s = on_loop_s + period_s;
    let to_s = from_s + period_s;
    let mut worst: std::collections::BTreeMap<String, f64> = Default::default();
    // Generous: the simulator keeps well below `SPEED` with the other keeper tests beside it
    // on two cores (the deadline only stops a hang).
    let deadline = Instant::now() + Duration::from_secs_f64((to_s - start_s) / SPEED * 5.0 + 60.0);
    loop {
        let s = station.snapshot();
        let now_s = s.protection.time.as_secs_f64();
        if now_s >= from_s {
            for u in s.protection.unobserved.iter() {
                let w = worst.entry(u.name.clone()).or_insert(0.0);
                *w = w.max(u.unobserved_s);
            }
        }
        if now_s >= to_s {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the loop's second round never ended"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let promised: Vec<(String, f64)> = plan
        .sites
        .iter()
        .filter_map(|s| Some((s.site.clone(), s.revisit_s?)))
        .collect();
    for (site, revisit_s) in &promised {
        let seen = worst.get(site).copied().expect("measured");
        println!("{site}: promised every {revisit_s:.0} s, longest unwatched {seen:.0} s");
        assert!(
            seen <= revisit_s + 60.0,
            "{site}: unwatched {seen:.0} s, promised {revisit_s:.0} s"
        );
    }
    promised
}

/// The keeper's notes in the session's journal.
fn journal_notes(session: &Path) -> String {
    let reader = JournalReader::open(&session.join(JOURNAL_FILE)).expect("the journal");
    let notes: Vec<String> = reader
        .records(None, None, &["note"])
        .expect("read")
        .into_iter()
        .filter_map(|(_, r)| match r {
            JournalRecord::Note(n) if n.author == vigil_station::patrol::AUTHOR => Some(n.text),
            _ => None,
        })
        .collect();
    notes.join("\n")
}

#[test]
fn the_station_keeps_patrols_flying_hands_over_and_keeps_its_revisit_promise() {
    let Flying {
        _dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly(KeeperConfig {
        alt_rel_m: 100.0,
        cue: false,
    });

    // The first plan, with the three drones, flown.
    let status = wait_log(
        &keeper,
        &["patrols flown (the patrols start)"],
        common::TIMEOUT * 3,
    );
    let first = status.plan.clone().expect("a plan");
    assert_eq!(first.loops.len(), 3, "{first:?}");
    common::wait_for(&station, "every drone in AUTO", common::TIMEOUT * 3, |s| {
        (1..=3).all(|id| s.world.vehicles.get(&id).is_some_and(|v| v.mode == "AUTO"))
    });

    // Drone 1's battery runs low: the others take its loop, then it goes home.
    wait_log(
        &keeper,
        &[
            "patrols flown (Drone 1: its battery is at",
            "handed over: Drone 1 returns home",
        ],
        common::TIMEOUT * 6,
    );
    common::wait_for(&station, "drone 1 going home", common::TIMEOUT, |s| {
        s.world.vehicles.get(&1).is_some_and(|v| v.mode == "RTL")
    });

    // The operator sends drone 2 to an alert about the armed group: drone 3 takes the loops
    // and drone 2 stays on the alert.
    let alerted = common::wait_for(
        &station,
        "an alert about the group",
        common::TIMEOUT * 6,
        |s| {
            s.protection
                .alerts
                .iter()
                .any(|a| matches!(a.rule, RuleKind::Approach | RuleKind::BufferIntrusion))
        },
    );
    let alert = alerted
        .protection
        .alerts
        .iter()
        .find(|a| matches!(a.rule, RuleKind::Approach | RuleKind::BufferIntrusion))
        .expect("the alert")
        .id;
    let _updates = station
        .send_confirmed_drone(DispatchTarget::Alert(alert), "Sgt Diallo", Some(2))
        .expect("sent");
    let status = wait_log(
        &keeper,
        &[
            &format!("patrols flown (Drone 2: it is sent to alert {alert})"),
            "Drone 2 stays on its alert, relieved of its loop",
        ],
        common::TIMEOUT * 6,
    );
    let last = status.plan.clone().expect("the last plan");
    assert_eq!(
        last.loops.iter().map(|l| l.sysid).collect::<Vec<_>>(),
        [3],
        "{last:?}"
    );
    let snapshot = station.snapshot();
    assert_ne!(
        snapshot.world.vehicles.get(&2).map(|v| v.mode.to_string()),
        Some("RTL".into()),
        "drone 2 is not sent home"
    );

    // The promise: once drone 3 has been round its loop, no place's ways in go unwatched for
    // longer than the loop's round. Watched for a second round.
    let flown_at_s = snapshot.protection.time.as_secs_f64();
    let promised = keeps_its_promise(&station, &last, flown_at_s + 120.0);
    assert_eq!(promised.len(), 2, "{last:?}");
    drop(keeper);
    pipeline.shutdown();

    // The journal has each plan and hand-over, by the keeper.
    let text = journal_notes(&session);
    assert!(text.matches("patrols flown").count() >= 3, "{text}");
    assert!(text.contains("handed over: Drone 1 returns home"), "{text}");
}

/// `vigil run --patrol`: an alert about the armed group heading for a place makes the keeper
/// plan again at once, that place weighing three times what it weighed (its other ways in
/// are watched before any quiet place's).
#[test]
fn an_alert_about_movers_makes_its_place_weigh_more_in_the_next_plan() {
    let Flying {
        _dir,
        session,
        pipeline,
        station: _station,
        _sim,
        keeper,
    } = fly(KeeperConfig {
        alt_rel_m: 100.0,
        cue: false,
    });
    let first = wait_log(
        &keeper,
        &["patrols flown (the patrols start)"],
        common::TIMEOUT * 3,
    )
    .plan
    .clone()
    .expect("a plan");
    let said = "patrols flown (an alert about movers is up at ";
    let status = wait_log(&keeper, &[said], common::TIMEOUT * 9);
    let text = lines(&status);
    let site = text
        .split(said)
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("a place in:\n{text}"))
        .to_owned();
    let plan = status.plan.clone().expect("the plan");
    let weight = |plan: &vigil_protection::patrol::PatrolPlan| {
        plan.sites
            .iter()
            .find(|s| s.site == site)
            .map(|s| s.weight)
            .unwrap_or_else(|| panic!("{site} in {plan:?}"))
    };
    assert_eq!(
        weight(&plan),
        weight(&first) * vigil_protection::patrol::THREAT_WEIGHT,
        "{text}"
    );
    drop(keeper);
    pipeline.shutdown();
    let notes = journal_notes(&session);
    assert!(notes.contains(&format!("{said}{site})")), "{notes}");
}

/// A camp amid three wells 700 m out.
const CAMP_AND_WELLS: &str = r#"{"type": "FeatureCollection", "features": [
 {"type": "Feature", "properties": {"name": "Camp", "category": "camp", "buffer_m": 100},
  "geometry": {"type": "Point", "coordinates": [31.0100, 9.0000]}},
 {"type": "Feature", "properties": {"name": "North well", "category": "water_point", "buffer_m": 100},
  "geometry": {"type": "Point", "coordinates": [31.0100, 9.0065]}},
 {"type": "Feature", "properties": {"name": "East well", "category": "water_point", "buffer_m": 100},
  "geometry": {"type": "Point", "coordinates": [31.0165, 9.0000]}},
 {"type": "Feature", "properties": {"name": "West well", "category": "water_point", "buffer_m": 100},
  "geometry": {"type": "Point", "coordinates": [31.0035, 9.0000]}}
]}"#;

const ONE_COPTER: &str = r#"
[scenario]
name = "one copter"
start_utc = "2026-03-14T09:00:00Z"
seed = 5

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9960, lon_deg = 31.0100, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }
"#;

/// One drone for a camp (weight 3) and three wells (1) around it: its loop comes back to
/// the camp between the wells, the mission flown holds the camp's points more than once, and
/// the camp's ways in are watched within the shorter interval promised for it, the wells'
/// within the round.
#[test]
fn a_loop_comes_back_to_the_camp_between_the_wells_and_keeps_its_promise() {
    let Flying {
        _dir,
        session: _session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_at(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: false,
        },
        CAMP_AND_WELLS,
        ONE_COPTER,
    );
    let status = wait_log(
        &keeper,
        &["patrols flown (the patrols start)"],
        common::TIMEOUT * 3,
    );
    let plan = status.plan.clone().expect("a plan");
    let revisit = |name: &str| {
        plan.sites
            .iter()
            .find(|s| s.site == name)
            .and_then(|s| s.revisit_s)
            .unwrap_or_else(|| panic!("{name} patrolled in {plan:?}"))
    };
    let period_s = plan.loops[0].period_s;
    assert_eq!(revisit("North well"), period_s, "{plan:?}");
    assert!(revisit("Camp") < period_s * 0.6, "{plan:?}");
    let waypoints = &plan.loops[0].waypoints;
    let distinct: std::collections::BTreeSet<(u64, u64)> = waypoints
        .iter()
        .map(|p| (p.lat_deg.to_bits(), p.lon_deg.to_bits()))
        .collect();
    assert!(distinct.len() < waypoints.len(), "{plan:?}");
    // The protection's clock runs on this machine's until the simulator's messages set it to
    // the scenario's day (2026-03-14, from 09:00Z): the copter over a place on that clock.
    let scenario_start_s = 1_773_478_800.0;
    let flying = common::wait_for(
        &station,
        "the copter in AUTO over a place, on the scenario's clock",
        common::TIMEOUT * 3,
        |s| {
            let now_s = s.protection.time.as_secs_f64();
            s.world.vehicles.get(&1).is_some_and(|v| v.mode == "AUTO")
                && (scenario_start_s..scenario_start_s + 86_400.0).contains(&now_s)
                && s.protection
                    .unobserved
                    .iter()
                    .any(|u| u.last_observed.is_some())
        },
    );
    let on_loop_s = flying.protection.time.as_secs_f64();
    let promised = keeps_its_promise(&station, &plan, on_loop_s);
    assert_eq!(promised.len(), 4, "{plan:?}");
    drop(keeper);
    pipeline.shutdown();
}

/// `vigil run --patrol --cue`: the warning about the armed group takes a drone off its loop
/// at once, without an operator; the others fly the loops; when the operator resolves the
/// alert the drone is taken back, and the next plan flies it again. Each step is a note in
/// the journal, and the dispatch is the keeper's.
#[test]
fn with_cue_a_warning_takes_a_drone_off_its_loop_until_it_is_over() {
    let Flying {
        _dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly(KeeperConfig {
        alt_rel_m: 100.0,
        cue: true,
    });
    wait_log(
        &keeper,
        &["patrols flown (the patrols start)"],
        common::TIMEOUT * 3,
    );
    let status = wait_log(&keeper, &["a drone is cued to alert "], common::TIMEOUT * 9);
    let alert = alert_after(&status, "a drone is cued to alert ", ':');
    let sent = common::wait_for(
        &station,
        "the keeper's dispatch",
        common::TIMEOUT * 3,
        |s| {
            s.protection
                .dispatches
                .iter()
                .any(|d| d.alert == Some(alert) && d.by == vigil_station::patrol::AUTHOR)
        },
    );
    let drone = sent
        .protection
        .dispatches
        .iter()
        .find(|d| d.alert == Some(alert))
        .map(|d| d.drone)
        .expect("the dispatch");
    let name = format!("Drone {drone}");
    // Planned again without it (the plan's reason is whichever the keeper saw first: the
    // drone sent, or the alert about movers up at the well), and it stays on its alert.
    let status = wait_log(
        &keeper,
        &[&format!("{name} stays on its alert, relieved of its loop")],
        common::TIMEOUT * 6,
    );
    let plan = status.plan.clone().expect("a plan");
    assert!(plan.loops.iter().all(|l| l.sysid != drone), "{plan:?}");

    // The operator has seen to it: the drone comes back to the patrols.
    station
        .acknowledge_alert(alert, "Sgt Diallo")
        .expect("sent")
        .recv_timeout(common::TIMEOUT)
        .expect("answered")
        .expect("acknowledged");
    station
        .resolve_alert(alert, "Sgt Diallo", "herders, not armed")
        .expect("sent")
        .recv_timeout(common::TIMEOUT)
        .expect("answered")
        .expect("resolved");
    wait_log(
        &keeper,
        &[&format!(
            "{name} taken back from alert {alert}: its alert is over"
        )],
        common::TIMEOUT * 9,
    );
    // A later plan flies it again (planned for it coming back, or for another reason with it
    // in the fleet).
    let deadline = Instant::now() + common::TIMEOUT * 9;
    loop {
        let status = keeper.status();
        let taken_back = status
            .log
            .iter()
            .position(|(_, _, t)| t.contains(&format!("{name} taken back from alert {alert}")));
        let flown_since = taken_back.is_some_and(|i| {
            status
                .log
                .iter()
                .skip(i)
                .any(|(_, _, t)| t.starts_with("patrols flown ("))
        });
        if flown_since
            && let Some(plan) = status.plan.as_ref()
            && plan.loops.iter().any(|l| l.sysid == drone)
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{name} never flies a loop again:\n{}",
            lines(&status)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let released = station.snapshot();
    let record = released
        .protection
        .dispatches
        .iter()
        .find(|d| d.alert == Some(alert))
        .expect("the dispatch");
    assert_eq!(record.state, vigil_protection::DispatchState::Released);
    drop(keeper);
    pipeline.shutdown();
    let text = journal_notes(&session);
    assert!(
        text.contains(&format!("a drone is cued to alert {alert}")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{name} taken back from alert {alert}")),
        "{text}"
    );
}

/// At night, one copter, a seismic node on the path 800 m outside the well's buffer and a
/// radar nearer in; four armed men walk past the node towards the well (after the first plan).
const NIGHT: &str = r#"
[scenario]
name = "night at the well"
start_utc = "2026-03-14T20:00:00Z"
seed = 9

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0150, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 120
kind = "seismic"
position = { lat_deg = 9.0000, lon_deg = 31.0000 }
radius_m = 60.0
pd = 0.95
false_alarms_per_hour = 0.0
report_period_s = 2.0

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 300.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "armed-group"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
start_s = 150.0
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 30.9960 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
]
"#;

#[test]
fn with_cue_movement_at_a_sensor_at_night_takes_a_drone_there_which_follows_the_movers_found() {
    let Flying {
        _dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_over(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: true,
        },
        NIGHT,
    );
    wait_log(
        &keeper,
        &["patrols flown (the patrols start)"],
        common::TIMEOUT * 3,
    );
    // The node feels the group long before anything tracks it: a warning, and a drone.
    let cue = "a drone is cued to alert ";
    let status = wait_log(
        &keeper,
        &[cue, "movement at night: seismic sensor 120/"],
        common::TIMEOUT * 9,
    );
    let felt = alert_after(&status, cue, ':');
    let sent = common::wait_for(
        &station,
        "the keeper's dispatch",
        common::TIMEOUT * 3,
        |s| {
            s.protection
                .dispatches
                .iter()
                .any(|d| d.alert == Some(felt))
        },
    );
    let alert = sent
        .protection
        .alerts
        .iter()
        .find(|a| a.id == felt)
        .expect("the alert");
    assert_eq!(alert.rule, RuleKind::SensorActivity);
    assert!(alert.cause.tracks.is_empty());
    let dispatch = sent
        .protection
        .dispatches
        .iter()
        .find(|d| d.alert == Some(felt))
        .expect("the dispatch");
    assert_eq!(dispatch.drone, 1);
    // It looks on the way in to the well (300 m buffer, 1.1 km east of the node), not at
    // the node the movers walked on from.
    assert!(
        dispatch.target.lon_deg > 31.006 && dispatch.target.lon_deg < 31.008,
        "{:?}",
        dispatch.target
    );

    // Once the radar tracks them, the drone moves on to the alert about those tracks and
    // follows them.
    let moved = format!("Drone 1 moves on from alert {felt} to alert ");
    let status = wait_log(&keeper, &[&moved], common::TIMEOUT * 9);
    let found = alert_after(&status, &moved, ',');
    let following = common::wait_for(&station, "the drone following", common::TIMEOUT * 3, |s| {
        s.protection
            .dispatches
            .iter()
            .any(|d| d.alert == Some(found) && d.drone == 1 && d.following.is_some())
    });
    let first = following
        .protection
        .dispatches
        .iter()
        .find(|d| d.alert == Some(felt))
        .expect("the first dispatch");
    assert_eq!(first.state, vigil_protection::DispatchState::Released);
    drop(keeper);
    pipeline.shutdown();
    let notes = journal_notes(&session);
    assert!(notes.contains(&format!("{cue}{felt}")), "{notes}");
    assert!(notes.contains(&moved), "{notes}");
}

/// By day, two copters, a radar west of the well and one north of it; four armed men walk in
/// from the west, and once they are in the well's buffer four more come down from the north.
fn pincer() -> String {
    format!("{PINCER_HEAD}{TWO_COPTERS_WEST_RADAR}{PINCER_REST}")
}

const PINCER_HEAD: &str = r#"
[scenario]
name = "pincer at the well"
start_utc = "2026-03-14T09:00:00Z"
seed = 11
"#;

/// Two copters at the pad south of the places, and a radar west of the well.
const TWO_COPTERS_WEST_RADAR: &str = r#"
[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0140, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[drone]]
sysid = 2
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0150, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 500.0
pd = 0.95
report_period_s = 1.0
"#;

const PINCER_REST: &str = r#"
[[sensor]]
sysid = 111
kind = "radar"
position = { lat_deg = 9.0050, lon_deg = 31.0100 }
radius_m = 500.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "west-group"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
]

[[mover]]
id = "north-group"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
start_s = 720.0
armed = true
route = [
  { lat_deg = 9.0085, lon_deg = 31.0100 },
  { lat_deg = 9.0005, lon_deg = 31.0100 },
]
"#;

/// `vigil run --patrol --cue` with two drones: only one may be cued at a time (half the
/// fleet), but a second group heading for the place the cued drone is at takes the other
/// one; neither drone is sent after movers the other follows.
#[test]
fn with_cue_a_second_group_at_the_same_place_takes_the_other_drone() {
    let Flying {
        _dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_over(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: true,
        },
        &pincer(),
    );
    let deadline = Instant::now() + common::TIMEOUT * 12;
    let both = loop {
        let s = station.snapshot();
        let on_well: Vec<u8> = (s.protection.dispatches.iter())
            .filter(|d| d.by == vigil_station::patrol::AUTHOR && d.state.is_under_way())
            .filter(|d| {
                let alert = s.protection.alerts.iter().find(|a| Some(a.id) == d.alert);
                alert.is_some_and(|a| a.site == Some(0))
            })
            .map(|d| d.drone)
            .collect();
        if on_well.contains(&1) && on_well.contains(&2) {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "never both drones on alerts at the well; the keeper said:\n{}\nalerts: {:#?}",
            lines(&keeper.status()),
            s.protection
                .alerts
                .iter()
                .map(|a| (a.id, a.rule, a.site, a.active, a.cause.tracks.clone()))
                .collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    // Each on an alert of its own.
    let mut alerts: Vec<u64> = (both.protection.dispatches.iter())
        .filter(|d| d.by == vigil_station::patrol::AUTHOR && d.state.is_under_way())
        .filter_map(|d| d.alert)
        .collect();
    alerts.sort_unstable();
    alerts.dedup();
    assert_eq!(alerts.len(), 2, "{:?}", both.protection.dispatches);
    drop(keeper);
    pipeline.shutdown();
    let notes = journal_notes(&session);
    assert!(
        notes.matches("a drone is cued to alert ").count() >= 2,
        "{notes}"
    );
}

/// By day, two copters and radars west, north and south of the well; eight armed men walk in
/// from the west together, into the well's buffer, and part there: four go 250 m north,
/// four 250 m south, and stay there an hour (both in the buffer, 500 m apart; at the end of
/// a route without a wait a mover leaves the scene).
fn parting() -> String {
    format!("{PARTING_HEAD}{TWO_COPTERS_WEST_RADAR}{PARTING_REST}")
}

const PARTING_HEAD: &str = r#"
[scenario]
name = "a group parts at the well"
start_utc = "2026-03-14T09:00:00Z"
seed = 17
"#;

const PARTING_REST: &str = r#"
[[sensor]]
sysid = 111
kind = "radar"
position = { lat_deg = 9.0030, lon_deg = 31.0080 }
radius_m = 400.0
pd = 0.95
report_period_s = 1.0

[[sensor]]
sysid = 112
kind = "radar"
position = { lat_deg = 8.9970, lon_deg = 31.0080 }
radius_m = 400.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "north-four"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
  { lat_deg = 9.0023, lon_deg = 31.0095, dwell_s = 3600.0 },
]

[[mover]]
id = "south-four"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
start_s = 15.0
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
  { lat_deg = 8.9977, lon_deg = 31.0095, dwell_s = 3600.0 },
]
"#;

/// `vigil run --patrol --cue`: the drone cued to the group follows one half once it parts;
/// the other drone, patrolling, is cued to the same alert for the other half (more than
/// `UNWATCHED_M` from the first's), and is sent to them.
#[test]
fn with_cue_a_group_that_parts_gets_a_drone_for_each_half() {
    let Flying {
        _dir,
        session,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_over(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: true,
        },
        &parting(),
    );
    let status = wait_log(&keeper, &["whose movers have parted"], common::TIMEOUT * 12);
    let text = lines(&status);
    let alert: u64 = (text.lines())
        .find(|l| l.contains("whose movers have parted"))
        .and_then(|l| l.split("is cued to alert ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the alert parted in:\n{text}"));
    // Both drones on the alert, following one half each: their tracks far apart (a followed
    // track may be out of the tracker's list for a moment: waited for, not read once).
    let followed = |s: &vigil_station::Snapshot| -> Vec<(u8, (f64, f64))> {
        (s.protection.dispatches.iter())
            .filter(|d| d.alert == Some(alert) && d.state.is_under_way())
            .filter_map(|d| {
                let track = s.tracks.iter().find(|t| Some(t.id) == d.following)?;
                Some((d.drone, (track.lat_deg, track.lon_deg)))
            })
            .collect()
    };
    let apart_m = |f: &[(u8, (f64, f64))]| {
        let point = |(lat, lon): (f64, f64)| vigil_core::geodesy::Geodetic::from_deg(lat, lon, 0.0);
        vigil_core::geodesy::distance_m(&point(f[0].1), &point(f[1].1))
    };
    let deadline = Instant::now() + common::TIMEOUT * 3;
    let both = loop {
        let s = station.snapshot();
        let f = followed(&s);
        if f.len() == 2 && f[0].0 != f[1].0 && apart_m(&f) > vigil_protection::dispatch::UNWATCHED_M
        {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "never both drones on alert {alert}, following tracks apart; the keeper said:\n{}\ndispatches: {:#?}",
            lines(&keeper.status()),
            s.protection.dispatches
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let f = followed(&both);
    assert_eq!(
        (
            f.iter().map(|(d, _)| *d).min(),
            f.iter().map(|(d, _)| *d).max()
        ),
        (Some(1), Some(2)),
        "{:?}",
        both.protection.dispatches
    );
    drop(keeper);
    pipeline.shutdown();
    let notes = journal_notes(&session);
    assert!(notes.contains("whose movers have parted"), "{notes}");
}

/// By day, one copter and a radar west of the well; three armed men walk east towards the
/// well, then turn north 130 m short of its buffer and stop where nothing sees them.
const TURNED_AWAY: &str = r#"
[scenario]
name = "a group that turns away"
start_utc = "2026-03-14T09:00:00Z"
seed = 7

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0140, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 500.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "group"
kind = "person"
count = 3
spacing_m = 4.0
speed_mps = 1.2
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0060 },
  { lat_deg = 9.0060, lon_deg = 31.0060 },
]
"#;

/// `vigil run --patrol --cue`: the approach warning about a group that then turns away is
/// over once nothing predicts them at the well; the drone cued to it is not taken back at
/// once but looks on station for two minutes (`LOOK_FOR`) first.
#[test]
fn with_cue_a_drone_whose_alert_is_over_looks_on_station_before_it_is_taken_back() {
    let Flying {
        _dir,
        session: _,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_over(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: true,
        },
        TURNED_AWAY,
    );
    let cue = "a drone is cued to alert ";
    let status = wait_log(&keeper, &[cue], common::TIMEOUT * 9);
    let alert = alert_after(&status, cue, ':');
    // Watch (mission clock) when the alert is over and whether the drone is on station
    // after, until the keeper takes it back.
    let taken_back = format!("Drone 1 taken back from alert {alert}: its alert is over");
    let mut over_at = None;
    let mut on_station_after = false;
    let back_at = watch_until_said(
        &station,
        &keeper,
        &taken_back,
        common::TIMEOUT * 9,
        |protection| {
            let active = (protection.alerts.iter()).any(|a| a.id == alert && a.active);
            if !active && over_at.is_none() {
                over_at = Some(protection.time);
            }
            let orbiting = (protection.dispatches.iter()).any(|d| {
                d.alert == Some(alert) && d.state == vigil_protection::DispatchState::Orbiting
            });
            on_station_after |= over_at.is_some() && orbiting;
        },
    );
    let over_at = over_at.expect("the alert went over before the drone was taken back");
    assert!(on_station_after, "the drone looked on station");
    let looked_s = back_at.since(over_at).as_secs_f64();
    assert!(
        (120.0..600.0).contains(&looked_s),
        "taken back {looked_s:.0} s after the alert was over"
    );
    drop(keeper);
    pipeline.shutdown();
}

/// By day, one copter, a radar west of the well and one north of it; eight armed men walk in
/// from the west into the well's buffer and part there: four go 250 m north and stay, in the
/// north radar's view; four walk on east towards the school and are gone 480 m east of the
/// well, out of every sensor's view (at the end of a route without a wait a mover leaves the
/// scene: as good as lost).
const PARTED_AND_LOST: &str = r#"
[scenario]
name = "a group parts and half of it is lost"
start_utc = "2026-03-14T09:00:00Z"
seed = 19

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.9950, lon_deg = 31.0140, alt_msl_m = 400.0 }
battery_pct = 100.0
endurance_min = 120.0
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 110
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 500.0
pd = 0.95
report_period_s = 1.0

[[sensor]]
sysid = 111
kind = "radar"
position = { lat_deg = 9.0030, lon_deg = 31.0080 }
radius_m = 400.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "stay-four"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
  { lat_deg = 9.0023, lon_deg = 31.0095, dwell_s = 3600.0 },
]

[[mover]]
id = "walk-four"
kind = "person"
count = 4
spacing_m = 4.0
speed_mps = 1.2
start_s = 15.0
armed = true
route = [
  { lat_deg = 9.0000, lon_deg = 31.0000 },
  { lat_deg = 9.0000, lon_deg = 31.0095 },
  { lat_deg = 9.0000, lon_deg = 31.0140 },
]
"#;

/// `vigil run --patrol --cue`: the drone cued to the group, following the four heading for
/// the school once it parts, loses them; it looks for them where they were for two minutes
/// (`LOOK_FOR`) before it goes back to the other four, 550 m off and already watched by a
/// radar, rather than at once (a plane alone had gone straight back to a gathering in the
/// village, and four men walked through the market, the health post and into the camp
/// unseen).
#[test]
fn with_cue_a_drone_that_lost_half_a_group_looks_for_it_before_it_goes_back_to_the_rest() {
    let Flying {
        _dir,
        session: _,
        pipeline,
        station,
        _sim,
        keeper,
    } = fly_over(
        KeeperConfig {
            alt_rel_m: 100.0,
            cue: true,
        },
        PARTED_AND_LOST,
    );
    // When (mission clock) the drone's follow first ended with its track lost, and when the
    // keeper sent it back to its alert's other tracks (it moves on from the approach it was
    // cued to, to the intrusion, first).
    let mut lost_at = None;
    let again_at = watch_until_said(
        &station,
        &keeper,
        "Drone 1 stays on alert ",
        common::TIMEOUT * 12,
        |protection| {
            let lost = (protection.dispatches.iter()).any(|d| {
                d.drone == 1
                    && d.state == vigil_protection::DispatchState::Orbiting
                    && d.failure.is_some()
            });
            if lost && lost_at.is_none() {
                lost_at = Some(protection.time);
            }
        },
    );
    let lost_at = lost_at.expect("the follow lost its track before the drone went back");
    let looked_s = again_at.since(lost_at).as_secs_f64();
    assert!(
        (120.0..600.0).contains(&looked_s),
        "back on the other tracks {looked_s:.0} s after the follow lost its own; the keeper \
         said:\n{}",
        lines(&keeper.status())
    );
    eprintln!("back on the other tracks {looked_s:.0} s after the follow lost its own");
    drop(keeper);
    pipeline.shutdown();
}
