//! Frames in, vehicles out, over real sockets and a pseudo-terminal: UDP, TCP that drops and is
//! redialled, a serial device that vanishes and returns, MAVLink 1, corrupted bytes, and the
//! session's tlog (recorded, replayed, and readable after `kill -9`).

mod common;

use std::net::{TcpListener, UdpSocket};
use std::time::Duration;

use common::*;
use vigil_link::LinkState;
use vigil_protocol::tlog::{TlogError, TlogReader};
use vigil_protocol::{FrameEncoder, MavVersion};
use vigil_sim::{SimRunner, SimTransport, SimVehicle};
use vigil_world::Health;
use vigil_world::command::{Action, CommandOutcome};

#[test]
fn udp_frames_become_vehicles_and_every_frame_is_recorded() {
    let session = tempfile::tempdir().expect("tempdir");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(session.path()));
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(7), bound_addr(&station, 0), MavVersion::V2);
    let snapshot = wait(&station, "vehicle 7 with a position and battery", |s| {
        s.world
            .vehicles
            .get(&7)
            .is_some_and(|v| v.position.is_some() && v.battery.remaining_pct.is_some())
    });
    let vehicle = &snapshot.world.vehicles[&7];
    assert_eq!(vehicle.mode, "STABILIZE");
    assert_eq!(
        vehicle.firmware,
        vigil_protocol::modes::Firmware::ArduCopter
    );
    let position = vehicle.position.expect("position");
    // The simulated GPS wanders by a metre or so (5e-5 degrees is about 5 m).
    assert!(
        (position.lat_deg - 9.0).abs() < 5e-5 && (position.lon_deg - 31.0).abs() < 5e-5,
        "{position:?}"
    );
    assert_eq!(vehicle.battery.remaining_pct, Some(100.0));
    assert_eq!(vehicle.gps.satellites, Some(14));
    assert!(vehicle.home.is_some());
    // Our own heartbeat goes back to the vehicle's address.
    wait(&station, "a GCS heartbeat sent", |s| {
        s.links[0].stats.frames_tx >= 1
    });
    let link = &station.snapshot().links[0];
    assert_eq!(link.stats.crc_errors, 0);
    assert_eq!(link.stats.state, LinkState::Up);
    assert_eq!(link.stats.senders[&(7, 1)].lost, 0);
    drop(sim);
    pipeline.shutdown();

    let records: Vec<_> = TlogReader::open(&session.path().join("telemetry.tlog"))
        .expect("the tlog exists")
        .collect::<Result<_, _>>()
        .expect("every record reads back");
    let from_vehicle = records.iter().filter(|r| r.frame.sysid() == 7).count();
    let from_us = records.iter().filter(|r| r.frame.sysid() == 255).count();
    assert!(
        from_vehicle >= 4,
        "received frames recorded: {from_vehicle}"
    );
    assert!(from_us >= 1, "sent frames recorded: {from_us}");
    assert!(
        records.windows(2).all(|w| w[0].time <= w[1].time),
        "timestamps never go back"
    );
    let meta = std::fs::read_to_string(session.path().join("session.json")).expect("session.json");
    assert!(meta.contains("udpin:127.0.0.1:0"), "{meta}");
}

#[test]
fn a_tcp_peer_that_drops_is_redialled() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    let pipeline = start(&[&format!("tcp:127.0.0.1:{port}")], None);
    let station = pipeline.station();
    let serve = |listener: &TcpListener| {
        let (stream, _) = listener.accept().expect("Vigil connects");
        stream.set_nonblocking(true).expect("non-blocking");
        SimRunner::start(
            SimVehicle::new(vehicle_config(3)),
            SimTransport::Stream(Box::new(stream)),
            MavVersion::V2,
        )
        .expect("sim")
    };
    let first = serve(&listener);
    wait(&station, "vehicle 3", |s| s.world.vehicles.contains_key(&3));
    first.stop();
    wait(&station, "the link to notice the drop", |s| {
        matches!(
            s.links[0].stats.state,
            LinkState::Retrying(_) | LinkState::Connecting
        )
    });
    let second = serve(&listener);
    let snapshot = wait(&station, "the second connection", |s| {
        s.links[0].stats.connects == 2 && s.links[0].stats.state == LinkState::Up
    });
    assert!(
        snapshot
            .world
            .notices
            .iter()
            .any(|n| n.text.contains("link down")),
        "the operator is told"
    );
    wait(&station, "vehicle 3 heard on the new connection", |s| {
        s.world.vehicles[&3].health == Health::Fresh && s.links[0].stats.frames_rx > 20
    });
    drop(second);
    pipeline.shutdown();
}

#[test]
fn a_serial_device_that_vanishes_is_reopened_when_it_returns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = dir.path().join("ttyVIGIL0");
    let Pty {
        master,
        slave_path,
        slave,
    } = open_pty();
    std::os::unix::fs::symlink(&slave_path, &device).expect("symlink");
    let pipeline = start(&[&format!("serial:{}:57600", device.display())], None);
    let station = pipeline.station();
    let sim = SimRunner::start(
        SimVehicle::new(vehicle_config(5)),
        SimTransport::Stream(Box::new(master)),
        MavVersion::V2,
    )
    .expect("sim");
    wait(&station, "vehicle 5 over serial", |s| {
        s.world
            .vehicles
            .get(&5)
            .is_some_and(|v| v.position.is_some())
    });

    // Unplug: the device node disappears and the other end hangs up.
    sim.stop();
    std::fs::remove_file(&device).expect("unplug");
    drop(slave);
    wait(&station, "the link to notice the unplug", |s| {
        matches!(s.links[0].stats.state, LinkState::Retrying(_))
    });
    std::thread::sleep(Duration::from_millis(500)); // a few failed reopen attempts

    // Replug: a new device appears under the same name.
    let Pty {
        master,
        slave_path,
        slave: _plugged,
    } = open_pty();
    std::os::unix::fs::symlink(&slave_path, &device).expect("replug");
    let sim = SimRunner::start(
        SimVehicle::new(vehicle_config(5)),
        SimTransport::Stream(Box::new(master)),
        MavVersion::V2,
    )
    .expect("sim");
    let snapshot = wait(&station, "the device to be reopened", |s| {
        s.links[0].stats.connects == 2 && s.links[0].stats.state == LinkState::Up
    });
    assert!(
        snapshot
            .world
            .notices
            .iter()
            .any(|n| n.text.contains("link down") && n.text.contains("retrying")),
        "the operator is told the device went away"
    );
    let frames_before = snapshot.links[0].stats.frames_rx;
    wait(&station, "frames after the replug", |s| {
        s.links[0].stats.frames_rx > frames_before + 10
    });
    drop(sim);
    pipeline.shutdown();
}

#[test]
fn a_mavlink1_vehicle_is_understood_and_answered_in_mavlink1() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(9), bound_addr(&station, 0), MavVersion::V1);
    let snapshot = wait(&station, "vehicle 9", |s| s.world.vehicles.contains_key(&9));
    assert_eq!(snapshot.world.vehicles[&9].mavlink_version, MavVersion::V1);
    let outcome = station
        .command(9, Action::Arm)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    assert_eq!(outcome, CommandOutcome::Accepted);
    assert!(sim.world().drones[0].vehicle.armed);
    drop(sim);
    pipeline.shutdown();
}

#[test]
fn corrupted_bytes_are_counted_and_do_not_hide_valid_frames() {
    let pipeline = start(&["udpin:127.0.0.1:0"], None);
    let station = pipeline.station();
    let vigil = bound_addr(&station, 0);
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let sim = SimVehicle::new(vehicle_config(4));
    let mut encoder = FrameEncoder::new(4, 1);
    let heartbeat = &sim.slow_telemetry(vigil_core::time::TimeUs(0), 0)[0];
    let good = encoder.encode(heartbeat, MavVersion::V2).expect("encodes");
    let mut corrupted = encoder
        .encode(heartbeat, MavVersion::V2)
        .expect("encodes")
        .raw()
        .to_vec();
    corrupted[11] ^= 0x40;
    let mut datagram = vec![0xFD, 0x00, 0x13, 0xFE, 0x77];
    datagram.extend_from_slice(&corrupted);
    datagram.extend_from_slice(good.raw());
    socket.send_to(&datagram, vigil).expect("send");
    let snapshot = wait(&station, "vehicle 4 despite the garbage", |s| {
        s.world.vehicles.contains_key(&4)
    });
    wait(&station, "the CRC error counted", |s| {
        s.links[0].stats.crc_errors >= 1
    });
    assert_eq!(snapshot.world.vehicles[&4].mode, "STABILIZE");
    pipeline.shutdown();
}

#[test]
fn a_replay_rebuilds_the_recorded_world_losing_nothing() {
    let session = tempfile::tempdir().expect("tempdir");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(session.path()));
    let station = pipeline.station();
    let sims: Vec<_> = (1..=3)
        .map(|sysid| {
            sim_udp(
                vehicle_config(sysid),
                bound_addr(&station, 0),
                MavVersion::V2,
            )
        })
        .collect();
    wait(&station, "three vehicles", |s| s.world.vehicles.len() == 3);
    std::thread::sleep(Duration::from_secs(2));
    drop(sims);
    pipeline.shutdown();

    let tlog = session.path().join("telemetry.tlog");
    let recorded: Vec<_> = TlogReader::open(&tlog)
        .expect("tlog")
        .collect::<Result<_, _>>()
        .expect("readable");
    let (replay, snapshot) = replay_to_the_end(&tlog);
    assert_eq!(
        snapshot.world.frames_applied,
        recorded.len() as u64,
        "every recorded frame applied"
    );
    assert_eq!(snapshot.pipeline.coalesced + snapshot.pipeline.dropped, 0);
    assert_eq!(
        snapshot.world.vehicles.keys().copied().collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    let last_time = recorded.last().expect("records").time;
    assert_eq!(
        snapshot.world.time, last_time,
        "the replay's clock is the recording's"
    );
    replay.shutdown();
}

#[test]
fn a_session_killed_with_sigkill_leaves_a_readable_tlog() {
    let session = tempfile::tempdir().expect("tempdir");
    let port = free_udp_port();
    let mut child = vigil_command()
        .args([
            "run",
            "--headless",
            "--link",
            &format!("udpin:127.0.0.1:{port}"),
            "--session-dir",
        ])
        .arg(session.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("vigil starts");
    let sim = sim_udp(
        vehicle_config(2),
        format!("127.0.0.1:{port}").parse().expect("addr"),
        MavVersion::V2,
    );
    let tlog = session.path().join("telemetry.tlog");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while std::fs::metadata(&tlog).map_or(0, |m| m.len()) < 4_000 {
        assert!(
            std::time::Instant::now() < deadline,
            "vigil recorded nothing"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reaped");
    drop(sim);
    let mut records = 0;
    for item in TlogReader::open(&tlog).expect("tlog") {
        match item {
            Ok(_) => records += 1,
            Err(TlogError::Truncated { .. }) => {} // the frame being written at the kill
            Err(other) => panic!("the tlog is damaged before the kill: {other}"),
        }
    }
    assert!(records >= 40, "{records} records");
}

#[test]
fn a_replay_sets_aside_records_whose_time_jumps_and_says_so() {
    let session = tempfile::tempdir().expect("tempdir");
    let pipeline = start(&["udpin:127.0.0.1:0"], Some(session.path()));
    let station = pipeline.station();
    let sim = sim_udp(vehicle_config(5), bound_addr(&station, 0), MavVersion::V2);
    wait(&station, "vehicle 5", |s| s.world.vehicles.contains_key(&5));
    wait(&station, "a few seconds of telemetry", |s| {
        s.world.frames_applied > 60
    });
    drop(sim);
    pipeline.shutdown();

    // One record stamped ten years ahead and one stamped 1970, in the middle of the log.
    let tlog = session.path().join("telemetry.tlog");
    let mut records: Vec<_> = TlogReader::open(&tlog)
        .expect("tlog")
        .collect::<Result<_, _>>()
        .expect("readable");
    let middle = records.len() / 2;
    let mut future = records[middle].clone();
    future.time = vigil_core::time::TimeUs(future.time.0 + 10 * 365 * 86_400_000_000);
    let mut past = records[middle + 1].clone();
    past.time = vigil_core::time::TimeUs(1_000_000);
    records.insert(middle, future);
    records.insert(middle + 2, past);
    let mut bytes = Vec::new();
    for record in &records {
        record.write_to(&mut bytes);
    }
    let edited = session.path().join("edited.tlog");
    std::fs::write(&edited, bytes).expect("written");

    let (replay, snapshot) = replay_to_the_end(&edited);
    assert_eq!(
        snapshot.world.frames_applied,
        records.len() as u64 - 2,
        "all but the two odd records applied"
    );
    assert_eq!(
        snapshot.world.time,
        records.last().expect("records").time,
        "the clock is the recording's, not the odd record's"
    );
    assert!(
        snapshot
            .world
            .notices
            .iter()
            .any(|n| n.text.contains("records whose time jumps are set aside")),
        "the operator is told"
    );
    replay.shutdown();
}

/// Replays `tlog` as fast as the pipeline takes it; returns the pipeline and its snapshot once
/// every frame of the file has been applied.
fn replay_to_the_end(
    tlog: &std::path::Path,
) -> (
    vigil_station::Pipeline,
    std::sync::Arc<vigil_station::Snapshot>,
) {
    let replay = vigil_station::Pipeline::start(vigil_station::PipelineConfig {
        links: vec![link(&format!("file:{}", tlog.display()))],
        link_options: vigil_link::LinkOptions {
            replay: vigil_link::ReplayPace::Fast,
            ..Default::default()
        },
        ..vigil_station::PipelineConfig::new(common::test_folders())
    })
    .expect("replay starts");
    let snapshot = wait(&replay.station(), "the replay to finish", |s| {
        s.replays_finished()
    });
    (replay, snapshot)
}
