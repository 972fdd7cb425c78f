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

use vigil::command::{Action, CommandOutcome, MissionOp, MissionOutcome};
use vigil::link::{LinkAddress, LinkOptions};
use vigil::mission::Mission;
use vigil::pipeline::{GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil::protocol::MavVersion;
use vigil::sim::{SimRunner, SimTransport, SimVehicle, SimVehicleConfig};

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
        keys_dir: Some(test_keys_dir()),
        ..PipelineConfig::default()
    })
    .expect("the pipeline starts")
}

/// A signing-key folder of this test process's own, so that no test reads or writes the
/// user's keys.
pub fn test_keys_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("vigil-test-keys-{}", std::process::id()))
}

pub fn wait(
    station: &GroundStation,
    what: &str,
    ready: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    station.wait_for(TIMEOUT, ready).unwrap_or_else(|| {
        let snapshot = station.snapshot();
        let notices: Vec<String> = snapshot
            .world
            .notices
            .iter()
            .map(vigil::status::notice_line)
            .collect();
        panic!(
            "timed out waiting for {what}\nstatus: {}\nnotices:\n{}",
            vigil::status::status_line(&snapshot),
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

pub use vigil::sim::pty::Pty;

pub fn open_pty() -> Pty {
    vigil::sim::pty::open_pty().expect("a pseudo-terminal")
}

/// The path of the `vigil` binary built for these tests.
pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
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
