//! Commands, missions and parameters with a simulated vehicle over real sockets, through the
//! library and through the `vigil cmd` command line (whose exit code says whether the vehicle
//! accepted).

mod common;

use std::time::Duration;

use std::process::Output;

use common::*;
use vigil_mission::{self as mission, GeoPoint, Mission, MissionItem};
use vigil_protocol::MavVersion;
use vigil_world::command::{Action, CommandOutcome};

fn outcome(receiver: crossbeam_channel::Receiver<CommandOutcome>) -> CommandOutcome {
    receiver
        .recv_timeout(TIMEOUT)
        .expect("an outcome before the test's timeout")
}

#[test]
fn a_takeoff_is_acknowledged_and_the_altitude_changes() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(1), bound_addr(&station, 0), MavVersion::V2);
    wait(&station, "vehicle 1", |s| s.world.vehicles.contains_key(&1));
    assert_eq!(
        outcome(
            station
                .command(1, Action::SetMode("GUIDED".into()))
                .expect("sent")
        ),
        CommandOutcome::Accepted
    );
    assert_eq!(
        outcome(station.command(1, Action::Arm).expect("sent")),
        CommandOutcome::Accepted
    );
    assert_eq!(
        outcome(
            station
                .command(1, Action::Takeoff { alt_rel_m: 8.0 })
                .expect("sent")
        ),
        CommandOutcome::Accepted
    );
    let snapshot = wait(&station, "the climb to 8 m", |s| {
        s.world.vehicles[&1]
            .position
            .is_some_and(|p| p.alt_rel_home_m > 7.5)
    });
    let vehicle = &snapshot.world.vehicles[&1];
    assert!(vehicle.armed);
    let latency = wait(&station, "a TIMESYNC round trip", |s| {
        s.world.vehicles[&1].link_latency.is_some()
    })
    .world
    .vehicles[&1]
        .link_latency
        .expect("measured");
    assert!(
        latency < Duration::from_millis(200),
        "over the loopback: {latency:?}"
    );
    assert_eq!(vehicle.mode, "GUIDED");
    assert!(
        snapshot
            .world
            .notices
            .iter()
            .any(|n| n.text.contains("ARMED"))
    );

    let goto = Action::Goto {
        lat_deg: 9.0005,
        lon_deg: 31.0,
        alt_rel_m: 8.0,
    };
    assert_eq!(
        outcome(station.command(1, goto).expect("sent")),
        CommandOutcome::Accepted
    );
    wait(&station, "the move north", |s| {
        s.world.vehicles[&1]
            .position
            .is_some_and(|p| p.lat_deg > 9.0004)
    });
    assert_eq!(
        outcome(station.command(1, Action::ReturnToLaunch).expect("sent")),
        CommandOutcome::Accepted
    );
    wait(&station, "mode RTL", |s| s.world.vehicles[&1].mode == "RTL");
    drop(sim);
    pipeline.shutdown();
}

#[test]
fn rejected_and_unanswered_commands_are_reported_as_such() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(2), bound_addr(&station, 0), MavVersion::V2);
    wait(&station, "vehicle 2", |s| s.world.vehicles.contains_key(&2));
    // ArduCopter refuses a takeoff outside GUIDED.
    let rejected = outcome(
        station
            .command(2, Action::Takeoff { alt_rel_m: 10.0 })
            .expect("sent"),
    );
    assert!(
        matches!(&rejected, CommandOutcome::Rejected { result, .. } if result == "FAILED"),
        "{rejected:?}"
    );
    sim.world().drones[0].vehicle.ignore_commands = true;
    let before = station.snapshot().links[0].stats.frames_tx;
    let timed_out = outcome(station.command(2, Action::Arm).expect("sent"));
    assert_eq!(
        timed_out,
        CommandOutcome::TimedOut {
            tries: vigil_world::command::COMMAND_MAX_TRIES,
            hint: None
        }
    );
    let sent = station.snapshot().links[0].stats.frames_tx - before;
    assert!(
        sent >= u64::from(vigil_world::command::COMMAND_MAX_TRIES),
        "each try went out: {sent} frames"
    );
    assert!(!sim.world().drones[0].vehicle.armed);
    drop(sim);
    pipeline.shutdown();
}

#[test]
fn a_mission_uploaded_over_tcp_downloads_identical() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let pipeline = start(&[&format!("tcp:127.0.0.1:{port}")], None);
    let station = pipeline.station();
    let (stream, _) = listener.accept().expect("Vigil dials");
    stream.set_nonblocking(true).expect("non-blocking");
    let sim = vigil_sim::SimRunner::start(
        vigil_sim::SimVehicle::new(vehicle_config(3)),
        vigil_sim::SimTransport::Stream(Box::new(stream)),
        MavVersion::V2,
    )
    .expect("sim");
    wait(&station, "vehicle 3", |s| s.world.vehicles.contains_key(&3));
    let waypoint = |lat_deg: f64, lon_deg: f64| MissionItem {
        frame: 3,
        command: 16,
        autocontinue: true,
        params: [0.0; 4],
        x: lat_deg,
        y: lon_deg,
        z: 35.0,
    };
    let plan = Mission {
        home: Some(GeoPoint {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_m: 420.0,
        }),
        items: (0..25)
            .map(|i| waypoint(9.0 + f64::from(i) * 1e-4, 31.0 - f64::from(i) * 2e-4))
            .collect(),
        ..Default::default()
    };
    upload_and_download(&station, 3, &plan);
    drop(sim);
    pipeline.shutdown();
}

fn vigil_cmd(port: u16, args: &[&str]) -> Output {
    vigil_command()
        .args([
            "cmd",
            "--link",
            &format!("udpin:127.0.0.1:{port}"),
            "--wait",
            "15",
        ])
        .args(args)
        .output()
        .expect("vigil runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn vigil_cmd_exits_zero_only_when_the_vehicle_accepts() {
    let files = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let sim = sim_udp(
        vehicle_config(4),
        format!("127.0.0.1:{port}").parse().expect("addr"),
        MavVersion::V2,
    );

    let refused = vigil_cmd(port, &["takeoff", "10"]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains("refused (failed)"),
        "{}",
        text(&refused)
    );

    for args in [&["mode", "guided"][..], &["arm"], &["takeoff", "10"]] {
        let output = vigil_cmd(port, args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
    }
    assert!(sim.world().drones[0].vehicle.armed);

    // A mission file in QGroundControl's format goes up and comes back as .waypoints.
    let plan_path = files.path().join("patrol.plan");
    let plan = Mission {
        home: Some(GeoPoint {
            lat_deg: 9.0,
            lon_deg: 31.0,
            alt_m: 420.0,
        }),
        items: vec![
            MissionItem {
                frame: 3,
                command: 22,
                autocontinue: true,
                params: [0.0; 4],
                x: 0.0,
                y: 0.0,
                z: 25.0,
            },
            MissionItem {
                frame: 3,
                command: 16,
                autocontinue: true,
                params: [0.0; 4],
                x: 9.001,
                y: 31.002,
                z: 30.0,
            },
            MissionItem {
                frame: 2,
                command: 20,
                autocontinue: true,
                params: [0.0; 4],
                x: 0.0,
                y: 0.0,
                z: 0.0,
            },
        ],
        ..Default::default()
    };
    mission::save_mission(&plan_path, &plan).expect("write the plan");
    let upload = vigil_cmd(port, &["upload", plan_path.to_str().expect("utf-8")]);
    assert!(upload.status.success(), "{}", text(&upload));
    assert!(
        text(&upload).contains(&format!(
            "vehicle 4: uploaded 3 mission items, no fence and no rally points from {} \
             (the vehicle's fence and rally points were cleared)",
            plan_path.display()
        )),
        "home is not counted: {}",
        text(&upload)
    );
    let back_path = files.path().join("back.waypoints");
    let download = vigil_cmd(port, &["download", back_path.to_str().expect("utf-8")]);
    assert!(download.status.success(), "{}", text(&download));
    assert!(
        text(&download)
            .contains("vehicle 4: downloaded 3 mission items, no fence and no rally points into"),
        "{}",
        text(&download)
    );
    let back = mission::load_mission(&back_path).expect("a readable .waypoints");
    assert_eq!(back.items.len(), 3);
    assert_eq!(back.items[1].command, 16);
    assert!((back.items[1].x - 9.001).abs() < 1e-7);
    // The mission flown in one step (GUIDED, armed already, MISSION_START, seen in AUTO).
    let fly = vigil_cmd(port, &["fly-mission"]);
    assert!(fly.status.success(), "{}", text(&fly));
    assert!(
        text(&fly).contains("vehicle 4: fly the mission: accepted"),
        "{}",
        text(&fly)
    );

    // Parameters: save all, change one, load a file.
    let params_path = files.path().join("copter.param");
    let saved = vigil_cmd(port, &["params", params_path.to_str().expect("utf-8")]);
    assert!(saved.status.success(), "{}", text(&saved));
    let params = mission::load_params(&params_path).expect("a readable parameter file");
    assert_eq!(params.len(), 36, "the simulated copter's parameters");
    assert!(
        params
            .iter()
            .any(|(name, value)| name == "RTL_ALT" && *value == 1500.0)
    );
    let set = vigil_cmd(port, &["param", "RTL_ALT", "4200"]);
    assert!(set.status.success(), "{}", text(&set));
    std::fs::write(
        files.path().join("change.param"),
        "WPNAV_SPEED,650\nFENCE_ENABLE 1\n",
    )
    .expect("write");
    let load = vigil_cmd(
        port,
        &[
            "params-load",
            files.path().join("change.param").to_str().expect("utf-8"),
        ],
    );
    assert!(load.status.success(), "{}", text(&load));
    let read = vigil_cmd(port, &["param", "WPNAV_SPEED"]);
    assert!(text(&read).contains("WPNAV_SPEED 650"), "{}", text(&read));

    let no_vehicle = vigil_command()
        .args([
            "cmd",
            "--link",
            &format!("udpin:127.0.0.1:{}", free_udp_port()),
            "--wait",
            "0.5",
            "arm",
        ])
        .output()
        .expect("vigil runs");
    assert_eq!(no_vehicle.status.code(), Some(1));
    assert!(
        text(&no_vehicle).contains("no heartbeat from any vehicle"),
        "{}",
        text(&no_vehicle)
    );
    drop(sim);
}

/// The mission on the vehicle, as `vigil cmd download` saves it.
fn vehicle_mission(port: u16, dir: &std::path::Path) -> Mission {
    let path = dir.join("on-vehicle.waypoints");
    let download = vigil_cmd(port, &["download", path.to_str().expect("utf-8")]);
    assert!(download.status.success(), "{}", text(&download));
    mission::load_mission(&path).expect("a readable .waypoints")
}

#[test]
fn vigil_cmd_upload_sends_no_bad_plan_and_clears_only_with_force() {
    let files = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let sim = sim_udp(
        vehicle_config(6),
        format!("127.0.0.1:{port}").parse().expect("addr"),
        MavVersion::V2,
    );
    let home = GeoPoint {
        lat_deg: 9.0,
        lon_deg: 31.0,
        alt_m: 420.0,
    };
    let item = |frame, command, x, y, z| MissionItem {
        frame,
        command,
        autocontinue: true,
        params: [0.0; 4],
        x,
        y,
        z,
    };
    let good = Mission {
        home: Some(home),
        items: vec![
            item(3, 22, 0.0, 0.0, 25.0),
            item(3, 16, 9.001, 31.002, 30.0),
            item(2, 20, 0.0, 0.0, 0.0),
        ],
        ..Default::default()
    };
    let save = |name: &str, plan: &Mission| {
        let path = files.path().join(name);
        mission::save_mission(&path, plan).expect("write the plan");
        path.to_str().expect("utf-8").to_owned()
    };

    // A good plan goes up.
    let good_path = save("patrol.plan", &good);
    let upload = vigil_cmd(port, &["upload", &good_path]);
    assert!(upload.status.success(), "{}", text(&upload));
    assert!(
        text(&upload).contains("vehicle 6: uploaded 3 mission items"),
        "{}",
        text(&upload)
    );
    let intact = |why: &str| {
        let on_vehicle = vehicle_mission(port, files.path());
        assert_eq!(on_vehicle.items.len(), 3, "{why}: {on_vehicle:?}");
        assert!((on_vehicle.items[1].x - 9.001).abs() < 1e-7, "{why}");
    };
    intact("the good plan");

    // A latitude of 200.5 is named, with the file, and nothing is sent.
    let mut bad = good.clone();
    bad.items[1].x = 200.5;
    let bad_path = save("bad.plan", &bad);
    let refused = vigil_cmd(port, &["upload", &bad_path]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        text(&refused).contains(&format!(
            "vigil: {bad_path}: item 2 (seq 2): latitude: 200.5 is outside -90..=90\n"
        )),
        "{}",
        text(&refused)
    );
    assert!(
        text(&refused).contains(&format!(
            "vigil: {bad_path}: 1 problem in the plan, so nothing was sent to the vehicle"
        )),
        "{}",
        text(&refused)
    );
    intact("after the refused plan");
    // It is refused before any vehicle is waited for: with none there, no wait and the same
    // message.
    let started = std::time::Instant::now();
    let nobody = vigil_command()
        .args([
            "cmd",
            "--link",
            &format!("udpin:127.0.0.1:{}", free_udp_port()),
            "--wait",
            "30",
            "upload",
            &bad_path,
        ])
        .output()
        .expect("vigil runs");
    assert_eq!(nobody.status.code(), Some(1));
    assert!(
        text(&nobody).contains("latitude: 200.5"),
        "{}",
        text(&nobody)
    );
    assert!(started.elapsed() < Duration::from_secs(20), "did not wait");

    // An empty plan would clear the vehicle's mission: refused, unless forced.
    let empty_path = save(
        "empty.plan",
        &Mission {
            home: Some(home),
            ..Default::default()
        },
    );
    let refused = vigil_cmd(port, &["upload", &empty_path]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    for words in [
        "the plan has no mission items",
        "would clear the vehicle's mission, so nothing was sent",
        &format!("vigil cmd upload --force {empty_path}"),
        "vigil cmd clear",
    ] {
        assert!(
            text(&refused).contains(words),
            "{words}: {}",
            text(&refused)
        );
    }
    intact("after the refused empty plan");
    let forced = vigil_cmd(port, &["upload", "--force", &empty_path]);
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(
        text(&forced).contains(&format!(
            "vehicle 6: uploaded 0 mission items, no fence and no rally points from \
             {empty_path} (the vehicle's mission, fence and rally points were cleared)"
        )),
        "{}",
        text(&forced)
    );
    assert!(vehicle_mission(port, files.path()).items.is_empty());
    drop(sim);
}
