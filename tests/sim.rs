//! End to end with the simulator: Vigil (headless, as a library) flies a simulated drone over
//! UDP and over a pseudo-terminal — parameters, GUIDED, arm, takeoff, a survey mission uploaded,
//! downloaded back identical, flown to the end, return and landing — and the recorded tlog agrees
//! with the simulator's ground truth. The same seed gives byte-identical ground truth.
//!
//! The simulated drone behaves as ArduPilot does: no telemetry until the station asks for it,
//! and arming refused until its EKF and GPS are ready, so these tests wait, as an operator
//! does, for the station's position and for the pre-arm checks to pass before arming.

mod common;

use std::path::Path;

use common::*;
use vigil_core::geodesy::{Geodetic, distance_m};
use vigil_mission::{GeoPoint, Mission, MissionItem};
use vigil_protocol::tlog::TlogReader;
use vigil_protocol::{MavMessage, deg_from_e7};
use vigil_sim::{RunOptions, Scenario, SimRunner, SimTransport, SimWorld, TruthWriter};
use vigil_station::GroundStation;
use vigil_world::command::{Action, ParamOp};

const SCENARIO: &str = r#"
[scenario]
name = "survey"
start_utc = "2026-03-14T09:00:00Z"
seed = 11

[[drone]]
sysid = 1
kind = "multirotor"
home = { lat_deg = 8.994213, lon_deg = 31.003092, alt_msl_m = 398.0 }
camera = { hfov_deg = 62.0, vfov_deg = 48.0, pitch_deg = -60.0, range_m = 600.0 }

[[sensor]]
sysid = 101
kind = "radar"
position = { lat_deg = 8.9955, lon_deg = 31.0045 }
radius_m = 400.0
pd = 0.95
report_period_s = 1.0

[[mover]]
id = "walker"
kind = "person"
speed_mps = 1.4
loop = true
route = [{ lat_deg = 8.9960, lon_deg = 31.0040 }, { lat_deg = 8.9975, lon_deg = 31.0060 }]
"#;

/// How much faster than real time the simulation runs in these tests.
const SPEED: f64 = 10.0;

fn scenario() -> Scenario {
    Scenario::parse(SCENARIO, Path::new("survey.toml")).expect("a valid scenario")
}

/// A lawnmower over a 120 m x 90 m block north-east of home, then return to launch.
fn survey(home: GeoPoint) -> Mission {
    let home_at = Geodetic::from_deg(home.lat_deg, home.lon_deg, 0.0);
    let mut items = vec![MissionItem {
        frame: 3,
        command: 22,
        autocontinue: true,
        params: [0.0; 4],
        x: 0.0,
        y: 0.0,
        z: 25.0,
    }];
    for (leg, north_m) in [20.0, 50.0, 80.0].into_iter().enumerate() {
        let (a, b) = if leg % 2 == 0 {
            (20.0, 140.0)
        } else {
            (140.0, 20.0)
        };
        for east_m in [a, b] {
            items.push(MissionItem {
                frame: 3,
                command: 16,
                autocontinue: true,
                params: [0.0; 4],
                x: home_at.offset_by_ne_m([north_m, east_m]).lat_deg(),
                y: home_at.offset_by_ne_m([north_m, east_m]).lon_deg(),
                z: 25.0,
            });
        }
    }
    items.push(MissionItem {
        frame: 2,
        command: 20,
        autocontinue: true,
        params: [0.0; 4],
        x: 0.0,
        y: 0.0,
        z: 0.0,
    });
    Mission {
        home: Some(home),
        items,
        ..Mission::default()
    }
}

/// Waits until the vehicle's SYS_STATUS says its pre-arm checks pass (the simulated EKF and GPS
/// are ready), as a ground station does before arming.
fn wait_ready_to_arm(station: &GroundStation, sysid: u8) {
    wait(station, "the pre-arm checks to pass", |s| {
        s.world
            .vehicles
            .get(&sysid)
            .is_some_and(|v| v.prearm_ok == Some(true))
    });
}

/// Flies the survey through `station` and checks the vehicle's reports on the way.
fn fly_survey(station: &GroundStation) {
    wait(station, "the simulated drone", |s| {
        s.world
            .vehicles
            .get(&1)
            .is_some_and(|v| v.position.is_some())
    });
    // The simulation runs faster than our heartbeat: switch the GCS failsafe off first.
    let set = station
        .params(1, ParamOp::Set("FS_GCS_ENABLE".into(), 0.0))
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("outcome");
    assert!(set.is_ok(), "{set:?}");
    accept(station, 1, Action::SetMode("GUIDED".into()));
    wait_ready_to_arm(station, 1);
    accept(station, 1, Action::Arm);
    accept(station, 1, Action::Takeoff { alt_rel_m: 25.0 });
    wait(station, "the climb", |s| {
        s.world.vehicles[&1]
            .position
            .is_some_and(|p| p.alt_rel_home_m > 23.0)
    });

    let home = GeoPoint {
        lat_deg: 8.994213,
        lon_deg: 31.003092,
        alt_m: 398.0,
    };
    let plan = survey(home);
    upload_and_download(station, 1, &plan);

    accept(station, 1, Action::SetMode("AUTO".into()));
    let last_seq = plan.items.len() as u16; // item 0 is home on ArduPilot
    let snapshot = wait(
        station,
        "the survey flown, the return and the landing",
        |s| {
            let v = &s.world.vehicles[&1];
            v.mission_last_reached_seq == Some(last_seq)
                && !v.armed
                && v.position.is_some_and(|p| p.alt_rel_home_m < 0.5)
        },
    );
    let vehicle = &snapshot.world.vehicles[&1];
    let position = vehicle.position.expect("position");
    let home_offset_m = distance_m(
        &Geodetic::from_deg(home.lat_deg, home.lon_deg, 0.0),
        &Geodetic::from_deg(position.lat_deg, position.lon_deg, 0.0),
    );
    assert!(home_offset_m < 3.0, "landed {home_offset_m} m from home");
    assert!(
        snapshot
            .world
            .notices
            .iter()
            .any(|n| n.text.contains("disarmed"))
    );
}

fn start_sim(transport: SimTransport, truth: &Path) -> SimRunner {
    let world = SimWorld::from_scenario(&scenario(), 11);
    let options = RunOptions {
        speed: SPEED,
        ..RunOptions::default()
    };
    SimRunner::start_world(
        world,
        transport,
        options,
        Some(TruthWriter::create(truth).expect("truth file")),
    )
    .expect("the simulator starts")
}

/// Every radar detection in the tlog lies near where the ground truth had the walker.
fn check_tlog_against_truth(tlog: &Path, truth: &Path) {
    let truth_text = std::fs::read_to_string(truth).expect("truth");
    let mut lines = truth_text.lines();
    assert_eq!(lines.next(), Some(vigil_sim::truth::TRUTH_HEADER));
    let walker: Vec<(f64, f64, f64)> = lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let number = |i: usize| fields[i].parse::<f64>().expect("a number");
            (number(0), number(3), number(4))
        })
        .collect();
    assert!(walker.len() > 20, "a truth row per simulated second");
    let radar = (8.9955f64, 31.0045f64);
    let mut checked = 0;
    let mut positions = 0;
    for record in TlogReader::open(tlog)
        .expect("tlog")
        .collect::<Result<Vec<_>, _>>()
        .expect("readable")
    {
        match record.frame.decode().expect("decodes") {
            MavMessage::VIGIL_DETECTION(d) if record.frame.sysid() == 101 => {
                let time_s = d.time_usec as f64 * 1e-6;
                let Some(&(_, lat, lon)) = walker
                    .iter()
                    .min_by(|a, b| (a.0 - time_s).abs().total_cmp(&(b.0 - time_s).abs()))
                else {
                    continue;
                };
                let range_m = distance_m(
                    &Geodetic::from_deg(radar.0, radar.1, 0.0),
                    &Geodetic::from_deg(lat, lon, 0.0),
                );
                assert!(
                    (f64::from(d.range_m) - range_m).abs() < 30.0,
                    "radar says {} m, truth {range_m} m",
                    d.range_m
                );
                checked += 1;
            }
            MavMessage::GLOBAL_POSITION_INT(p) if record.frame.sysid() == 1 => {
                let lat = deg_from_e7(p.lat);
                assert!(
                    (8.99..9.0).contains(&lat),
                    "the drone stays over the survey block: {lat}"
                );
                positions += 1;
            }
            _ => {}
        }
    }
    assert!(
        checked > 10,
        "{checked} radar detections checked against the truth"
    );
    assert!(positions > 100, "{positions} positions recorded");
}

#[test]
fn vigil_flies_a_survey_mission_on_the_simulator_over_udp() {
    let files = tempfile::tempdir().expect("tempdir");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(files.path()));
    let station = pipeline.station();
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let sim = start_sim(
        SimTransport::Udp {
            socket,
            peer: Some(bound_addr(&station, 0)),
            learn: false,
        },
        &files.path().join("truth.csv"),
    );
    fly_survey(&station);
    sim.stop();
    pipeline.shutdown();
    check_tlog_against_truth(
        &files.path().join("telemetry.tlog"),
        &files.path().join("truth.csv"),
    );
}

#[test]
fn vigil_flies_a_survey_mission_on_the_simulator_over_a_serial_line() {
    let files = tempfile::tempdir().expect("tempdir");
    let pty = open_pty();
    let sim = start_sim(
        SimTransport::Stream(Box::new(pty.master.try_clone_native().expect("clone"))),
        &files.path().join("truth.csv"),
    );
    let pipeline = start(
        &[&format!("serial:{}:57600", pty.slave_path.display())],
        Some(files.path()),
    );
    fly_survey(&pipeline.station());
    sim.stop();
    pipeline.shutdown();
    check_tlog_against_truth(
        &files.path().join("telemetry.tlog"),
        &files.path().join("truth.csv"),
    );
}

#[test]
fn the_same_seed_gives_byte_identical_ground_truth_from_the_command_line() {
    let files = tempfile::tempdir().expect("tempdir");
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/demo.toml");
    let run = |name: &str, seed: &str| {
        let truth = files.path().join(name);
        let output = vigil_command()
            .args(["sim", "--scenario"])
            .arg(&demo)
            .args([
                "--link",
                &format!("udpout:127.0.0.1:{}", free_udp_port()),
                "--seed",
                seed,
                "--speed",
                "400",
                "--duration",
                "900",
                "--truth",
            ])
            .arg(&truth)
            .output()
            .expect("vigil sim runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read(truth).expect("the truth file")
    };
    let first = run("a.csv", "7");
    let second = run("b.csv", "7");
    assert!(first.len() > 10_000, "{} bytes of truth", first.len());
    assert!(first == second, "same seed, same world");
    let text = String::from_utf8(first).expect("utf-8");
    assert!(
        text.lines().any(|l| l.ends_with(",1")),
        "the armed group is in the truth"
    );
}

#[test]
fn a_recorded_session_replays_into_tracks_that_match_the_ground_truth() {
    let files = tempfile::tempdir().expect("tempdir");
    let crowded = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/scenarios/crowded.toml");
    let scenario = Scenario::load(&crowded).expect("crowded.toml");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(files.path()));
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let truth_path = files.path().join("truth.csv");
    let options = RunOptions {
        speed: SPEED,
        ..RunOptions::default()
    };
    let station = pipeline.station();
    let sim = SimRunner::start_world(
        SimWorld::from_scenario(&scenario, 5),
        SimTransport::Udp {
            socket,
            peer: Some(bound_addr(&station, 0)),
            learn: false,
        },
        options,
        Some(TruthWriter::create(&truth_path).expect("truth")),
    )
    .expect("the simulator starts");
    // The operator sends the drone over Keradu's market on market day, camera on it.
    wait(&station, "the drone", |s| s.world.vehicles.contains_key(&1));
    let set = station
        .params(1, ParamOp::Set("FS_GCS_ENABLE".into(), 0.0))
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("outcome");
    assert!(set.is_ok(), "{set:?}");
    accept(&station, 1, Action::SetMode("GUIDED".into()));
    wait_ready_to_arm(&station, 1);
    accept(&station, 1, Action::Arm);
    accept(&station, 1, Action::Takeoff { alt_rel_m: 150.0 });
    wait(&station, "the climb", |s| {
        s.world.vehicles[&1]
            .position
            .is_some_and(|p| p.alt_rel_home_m > 140.0)
    });
    accept(
        &station,
        1,
        Action::Goto {
            lat_deg: 9.0008,
            lon_deg: 31.0127,
            alt_rel_m: 150.0,
        },
    );
    accept(
        &station,
        1,
        Action::PointGimbal {
            lat_deg: 9.002260,
            lon_deg: 31.012732,
            alt_msl_m: 400.0,
        },
    );
    let snapshot = wait(&station, "tracks from the live fusion", |s| {
        s.tracks.len() >= 2
    });
    // Inside the demo area's bounding box (assets/demo/README.md).
    let inside = |t: &vigil_fusion::TrackView| {
        (8.9728..9.0272).contains(&t.lat_deg) && (30.9636..31.0364).contains(&t.lon_deg)
    };
    assert!(snapshot.tracks.iter().all(inside), "{:?}", snapshot.tracks);
    std::thread::sleep(std::time::Duration::from_secs(6)); // another minute of simulated time
    sim.stop();
    pipeline.shutdown();

    let tracks_path = files.path().join("tracks.csv");
    let output = vigil_command()
        .args(["replay", "--headless", "--fast", "--tracks-out"])
        .arg(&tracks_path)
        .arg(files.path().join("telemetry.tlog"))
        .output()
        .expect("vigil replay runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let tracks = std::fs::read_to_string(&tracks_path).expect("the tracks file");
    let mut lines = tracks.lines();
    assert_eq!(lines.next(), Some(vigil_fusion::TRACKS_HEADER));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| {
            l.split(',')
                .take(4)
                .map(|f| f.parse().expect("a number"))
                .collect()
        })
        .collect();
    assert!(rows.len() > 50, "{} track rows", rows.len());

    // Each track row lies near a true mover of the same second (on the simulated clock).
    let truth = std::fs::read_to_string(&truth_path).expect("truth");
    let truth: Vec<Vec<f64>> = truth
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            vec![
                f[0].parse().expect("time"),
                f[3].parse().expect("lat"),
                f[4].parse().expect("lon"),
            ]
        })
        .collect();
    let near = rows
        .iter()
        .filter(|row| {
            truth
                .iter()
                .filter(|t| (t[0] - row[0].floor()).abs() < 1.5)
                .any(|t| {
                    distance_m(
                        &Geodetic::from_deg(t[1], t[2], 0.0),
                        &Geodetic::from_deg(row[2], row[3], 0.0),
                    ) < 40.0
                })
        })
        .count();
    assert!(
        near as f64 >= 0.9 * rows.len() as f64,
        "{near} of {} track rows near a true mover",
        rows.len()
    );
}
