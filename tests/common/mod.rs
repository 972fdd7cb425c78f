//! Fixtures shared by the integration tests: a pipeline on real sockets, simulated vehicles,
//! pseudo-terminals, and waiting with a timeout.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

pub mod sitl;

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use vigil_core::address::LinkAddress;
use vigil_link::LinkOptions;
use vigil_mission::Mission;
use vigil_protocol::MavVersion;
use vigil_sim::{SimRunner, SimTransport, SimVehicle, SimVehicleConfig};
use vigil_station::{Folders, GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil_world::command::{Action, CommandOutcome, MissionOp, MissionOutcome};

/// The longest any test waits for something to happen.
pub const TIMEOUT: Duration = Duration::from_secs(20);

pub fn link(text: &str) -> LinkAddress {
    text.parse().expect("a valid link address")
}

/// Starts a pipeline with fast reconnects, recording into `session_dir` if given.
pub fn start(links: &[&str], session_dir: Option<&Path>) -> Pipeline {
    Pipeline::start(PipelineConfig {
        links: links.iter().map(|l| link(l)).collect(),
        session_dir: session_dir.map(Path::to_owned),
        record_default_session: false,
        link_options: LinkOptions {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            ..LinkOptions::default()
        },
        tracks_out: None,
        ..PipelineConfig::new(test_folders())
    })
    .expect("the pipeline starts")
}

/// Folders of this test process's own (signing keys, sessions, the station's sealing key),
/// so that no test reads or writes the user's.
pub fn test_folders() -> Folders {
    Folders::under(&std::env::temp_dir().join(format!("vigil-test-{}", std::process::id())))
}

pub fn wait(
    station: &GroundStation,
    what: &str,
    ready: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    wait_for(station, what, TIMEOUT, ready)
}

/// As [`wait`], for things that take longer than [`TIMEOUT`] (simulated minutes).
pub fn wait_for(
    station: &GroundStation,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    station.wait_for(timeout, ready).unwrap_or_else(|| {
        let snapshot = station.snapshot();
        let notices: Vec<String> = snapshot
            .world
            .notices
            .iter()
            .map(vigil_station::status::notice_line)
            .collect();
        panic!(
            "timed out waiting for {what}\nstatus: {}\nnotices:\n{}",
            vigil_station::status::status_line(&snapshot),
            notices.join("\n")
        )
    })
}

/// The address link `index` bound (for `udpin:...:0` and `tcpin:...:0`).
pub fn bound_addr(station: &GroundStation, index: usize) -> SocketAddr {
    let snapshot = wait(station, "the link to bind", |s| {
        s.links
            .get(index)
            .is_some_and(|l| l.stats.local_addr.is_some())
    });
    snapshot.links[index].stats.local_addr.expect("bound")
}

/// A simulated vehicle that has finished booting: its pre-arm checks pass from the start
/// (tests of the pre-arm refusal use their own configuration).
pub fn vehicle_config(sysid: u8) -> SimVehicleConfig {
    SimVehicleConfig {
        sysid,
        prearm_delay_s: 0.0,
        ..SimVehicleConfig::default()
    }
}

/// A simulated vehicle sending UDP to `vigil` from a port of its own.
pub fn sim_udp(config: SimVehicleConfig, vigil: SocketAddr, version: MavVersion) -> SimRunner {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind a UDP port");
    SimRunner::start(
        SimVehicle::new(config),
        SimTransport::Udp {
            socket,
            peer: Some(vigil),
            learn: false,
        },
        version,
    )
    .expect("sim starts")
}

/// A free UDP port on the loopback (for a child process that must be told its port).
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port()
}

pub use vigil_sim::pty::Pty;

pub fn open_pty() -> Pty {
    vigil_sim::pty::open_pty().expect("a pseudo-terminal")
}

/// The path of the `vigil` binary built for these tests.
pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

/// The `vigil` binary with HOME and the XDG folders of this test process's own (under the
/// system's temporary folder) and no `VIGIL_SIGNING_KEY`, so that no run reads or writes the
/// user's keys, sessions or settings. (Set on the child only: the tests' own environment,
/// shared by their threads, is left alone.)
pub fn vigil_command() -> std::process::Command {
    let home = std::env::temp_dir().join(format!("vigil-test-home-{}", std::process::id()));
    let mut command = std::process::Command::new(vigil_bin());
    command
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("VIGIL_SIGNING_KEY");
    command
}

/// Sends a command and asserts that the vehicle accepted it.
pub fn accept(station: &GroundStation, sysid: u8, action: Action) {
    let description = format!("{action:?}");
    let outcome = station
        .command(sysid, action)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    assert_eq!(outcome, CommandOutcome::Accepted, "{description}");
}

/// Uploads `plan`, downloads it back and asserts that every item came back the same,
/// positions to the 1e-7 degree the wire carries.
pub fn upload_and_download(station: &GroundStation, sysid: u8, plan: &Mission) -> Mission {
    let uploaded = station
        .mission(sysid, MissionOp::Upload(plan.clone()))
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    let Ok(MissionOutcome::Uploaded { items }) = uploaded else {
        panic!("upload failed: {uploaded:?}")
    };
    assert_eq!(items.mission, plan.items.len(), "home is not counted");
    let downloaded = station
        .mission(sysid, MissionOp::Download)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    let Ok(MissionOutcome::Downloaded(back)) = downloaded else {
        panic!("download failed: {downloaded:?}")
    };
    assert_eq!(back.items.len(), plan.items.len());
    for (sent, got) in plan.items.iter().zip(&back.items) {
        assert_eq!(
            (sent.frame, sent.command, sent.z, sent.autocontinue),
            (got.frame, got.command, got.z, got.autocontinue)
        );
        assert_eq!(
            sent.params.map(f32::to_bits),
            got.params.map(f32::to_bits),
            "{sent:?} != {got:?}"
        );
        assert!(
            (sent.x - got.x).abs() < 1e-7 && (sent.y - got.y).abs() < 1e-7,
            "{sent:?} != {got:?}"
        );
    }
    back
}
