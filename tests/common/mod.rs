//! Fixtures shared by the integration tests: a pipeline on real sockets, simulated vehicles,
//! pseudo-terminals, and waiting with a timeout.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the fixtures"
)]

use std::fs::File;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use vigil::link::{LinkAddress, LinkOptions};
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
    })
    .expect("the pipeline starts")
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

pub fn vehicle_config(sysid: u8) -> SimVehicleConfig {
    SimVehicleConfig {
        sysid,
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
            peer: vigil,
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

/// A pseudo-terminal pair: the master end for the simulated device, the slave's path for Vigil.
pub struct Pty {
    pub master: File,
    pub slave_path: PathBuf,
    /// Held open until the test hangs up, as a device that is plugged in.
    pub slave: OwnedFd,
}

pub fn open_pty() -> Pty {
    let (mut master, mut slave) = (0, 0);
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: openpty writes two descriptors and a NUL-terminated name into buffers we own.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            name.as_mut_ptr(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened by openpty and are owned by nobody else.
    let (master, slave) = unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    // SAFETY: the name buffer was NUL-terminated by openpty.
    let slave_path = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) }
        .to_string_lossy()
        .into_owned()
        .into();
    // Raw mode on the slave, as a real serial line; non-blocking master for the sim's loop.
    use std::os::fd::AsRawFd;
    // SAFETY: termios is plain data; the descriptors are valid for these calls.
    unsafe {
        let mut termios: libc::termios = std::mem::zeroed();
        libc::tcgetattr(slave.as_raw_fd(), &mut termios);
        libc::cfmakeraw(&mut termios);
        libc::tcsetattr(slave.as_raw_fd(), libc::TCSANOW, &termios);
        let flags = libc::fcntl(master.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(master.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    Pty {
        master,
        slave_path,
        slave,
    }
}

/// The path of the `vigil` binary built for these tests.
pub fn vigil_bin() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}
