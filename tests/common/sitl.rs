//! A real ArduCopter for the tests: ArduPilot's software-in-the-loop build, started per test.
//!
//! The binary is not part of the project. It lives beside the checkout, in
//! `$CARGO_MANIFEST_DIR/../shared/ardupilot/` (`arducopter`, `copter.parm`, `README.md`), or in the
//! folder named by `VIGIL_ARDUPILOT_DIR`. Where it is absent, [`Sitl::start`] prints
//! "skipping: ArduPilot SITL not found at PATH ..." and returns `None`, and the test returns early:
//!
//! ```ignore
//! let Some(sitl) = Sitl::start(5) else { return };
//! let station = common::start(&[&sitl.link()], None);
//! ```
//!
//! Each [`Sitl`] runs in a fresh temporary folder (`-w` wipes parameters to `copter.parm`) at the
//! same home (Canberra model flying field, [`HOME_LAT`], [`HOME_LON`]) and under an instance
//! number `I` of its own, so tests and test binaries can run in parallel: its TCP ports are
//! `5760 + 10·I` (SERIAL0, the "USB" port, which accepts unsigned frames even once signing is set
//! up), `5762 + 10·I` (SERIAL1, telemetry, enforces signing) and `5763 + 10·I` (SERIAL2). Instances
//! come from a process-wide counter that starts at `20 + pid % 30`; an instance is taken only if
//! all of its ports can be bound, and another is tried if SITL still fails to bind them.
//!
//! What a test must know about it (see the README beside the binary):
//! - **It waits for a client on SERIAL0 before it boots.** The fixture never connects to it (a
//!   probing connection would be that client); it only waits until SITL's log says it is waiting
//!   for a connection. Vigil's link is the client that makes it boot.
//! - It boots to "ready to arm" in about 20–40 s of simulated time; `--speedup N` divides that.
//! - It sends no telemetry until asked (stream rates start at zero).
//!
//! - **Its simulated RC transmitter holds the throttle stick down** (1000 µs) unless told
//!   otherwise. Modes that take the pilot's climb rate from the stick (CIRCLE, LOITER, ALT_HOLD,
//!   and the pilot's nudges in RTL and LAND on some configurations) then descend. In real
//!   operations the pilot standing by keeps the sticks centred: [`Sitl::sticks_centred`] plays
//!   that pilot (once armed: ArduCopter refuses to arm with the throttle off its bottom,
//!   "Arm: Throttle (RC3) is not neutral"). SITL reads its RC input as UDP datagrams of 8 or 16 little-endian `u16` PWM
//!   values (µs) on port `5501 + 10·I` ([`Sitl::rc_port`]), bound once it boots, and holds the
//!   last values it received (checked against this binary: RC_CHANNELS follows each datagram,
//!   `chancount` becomes the datagram's channel count, and the values stay after the sender
//!   stops).
//!
//! SITL's stdout and stderr go to `sitl.log` in its folder; [`Sitl::log_tail`] returns the end of it
//! for panic messages. Dropping the [`Sitl`] kills the process and waits for it.

use std::fs::File;
use std::io::Read;
use std::marker::PhantomData;
use std::net::{Ipv4Addr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{RecvTimeoutError, Sender};

/// Home of every SITL vehicle (`--home`), degrees and metres above mean sea level.
pub const HOME_LAT: f64 = -35.363261;
pub const HOME_LON: f64 = 149.165230;
pub const HOME_ALT_MSL: f64 = 584.0;
pub const HOME_HEADING: f64 = 353.0;

/// How long SITL may take to open its first port.
const LISTEN_TIMEOUT: Duration = Duration::from_secs(15);
/// How many instances to try before giving up.
const ATTEMPTS: u32 = 8;

/// SITL's RC input when nothing has been sent (channels 1–8, µs, as RC_CHANNELS shows them):
/// roll, pitch and yaw centred, **throttle down**, channel 5 (the flight-mode switch) at 1800,
/// channels 6 and 7 low, channel 8 at 1800.
pub const RC_SITL_DEFAULTS: [u16; 8] = [1500, 1500, 1000, 1500, 1800, 1000, 1000, 1800];
/// The pilot's transmitter with the sticks centred: roll, pitch, throttle and yaw at 1500, the
/// other channels as SITL has them (channel 5, the mode switch, stays at 1800, so that no mode
/// change follows).
pub const RC_STICKS_CENTRED: [u16; 8] = [1500, 1500, 1500, 1500, 1800, 1000, 1000, 1800];
/// How often the transmitter sends (wall time).
const RC_PERIOD: Duration = Duration::from_millis(100);
/// SITL's RC input port of instance 0 (UDP).
const RC_BASE_PORT: u32 = 5501;

/// The folder with `arducopter`, `copter.parm` and `README.md`.
pub fn ardupilot_dir() -> PathBuf {
    match std::env::var_os("VIGIL_ARDUPILOT_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/ardupilot"),
    }
}

/// A running ArduCopter SITL, killed on drop.
pub struct Sitl {
    child: Child,
    instance: u32,
    speedup: u32,
    log: PathBuf,
    // Dropped after the child is killed (fields drop in order, after `Drop::drop`).
    dir: tempfile::TempDir,
}

fn next_instance() -> u32 {
    static NEXT: OnceLock<AtomicU32> = OnceLock::new();
    NEXT.get_or_init(|| AtomicU32::new(20 + std::process::id() % 30))
        .fetch_add(1, Ordering::Relaxed)
}

fn ports_of(instance: u32) -> [u16; 4] {
    let base = 5760 + 10 * instance;
    [base, base + 1, base + 2, base + 3].map(|p| u16::try_from(p).expect("a port number"))
}

fn rc_port_of(instance: u32) -> u16 {
    u16::try_from(RC_BASE_PORT + 10 * instance).expect("a port number")
}

/// Whether every port of `instance` can be bound now (on all addresses, as SITL binds them):
/// its TCP ports and its RC input (UDP).
fn ports_free(instance: u32) -> bool {
    let listeners: Vec<_> = ports_of(instance)
        .iter()
        .map(|&port| TcpListener::bind((Ipv4Addr::UNSPECIFIED, port)))
        .collect();
    let rc = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, rc_port_of(instance)));
    listeners.iter().all(Result::is_ok) && rc.is_ok()
}

impl Sitl {
    /// Starts ArduCopter SITL at `speedup` times real time, or returns `None` (after saying why)
    /// when the binary is absent. Panics if it is present but will not start.
    pub fn start(speedup: u32) -> Option<Sitl> {
        let dir = ardupilot_dir();
        let binary = dir.join("arducopter");
        if !binary.is_file() {
            eprintln!(
                "skipping: ArduPilot SITL not found at {} (see ../shared/ardupilot/README.md)",
                binary.display()
            );
            return None;
        }
        let defaults = dir.join("copter.parm");
        let mut failures = Vec::new();
        for _ in 0..ATTEMPTS {
            let instance = next_instance();
            if instance > 5000 {
                break;
            }
            if !ports_free(instance) {
                continue;
            }
            match Self::spawn(&binary, &defaults, instance, speedup) {
                Ok(sitl) => return Some(sitl),
                Err(why) => failures.push(format!("instance {instance}: {why}")),
            }
        }
        panic!(
            "could not start ArduPilot SITL ({}):\n{}",
            binary.display(),
            failures.join("\n")
        )
    }

    fn spawn(binary: &Path, defaults: &Path, instance: u32, speedup: u32) -> Result<Sitl, String> {
        let dir = tempfile::Builder::new()
            .prefix("vigil-sitl-")
            .tempdir()
            .map_err(|e| format!("no temporary folder: {e}"))?;
        let log = dir.path().join("sitl.log");
        let out =
            File::create(&log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let home = format!("{HOME_LAT},{HOME_LON},{HOME_ALT_MSL},{HOME_HEADING}");
        let child = Command::new(binary)
            .current_dir(dir.path())
            .args(["-w", "--model", "+", "--speedup"])
            .arg(speedup.to_string())
            .arg("--defaults")
            .arg(defaults)
            .args(["--home", &home, "-I"])
            .arg(instance.to_string())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
        let mut sitl = Sitl {
            child,
            instance,
            speedup,
            log,
            dir,
        };
        let deadline = Instant::now() + LISTEN_TIMEOUT;
        loop {
            let log = sitl.log_text();
            if log.contains("Waiting for connection") {
                return Ok(sitl);
            }
            if let Ok(Some(status)) = sitl.child.try_wait() {
                return Err(format!("exited ({status}):\n{}", sitl.log_tail()));
            }
            if log.contains("bind failed") || log.contains("Address already in use") {
                return Err(format!("could not bind its ports:\n{}", sitl.log_tail()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "not listening after {LISTEN_TIMEOUT:?}:\n{}",
                    sitl.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The instance number (`-I`).
    pub fn instance(&self) -> u32 {
        self.instance
    }

    /// The simulation's speed-up over real time.
    pub fn speedup(&self) -> u32 {
        self.speedup
    }

    /// SERIAL0, the "USB" port: the first client here makes SITL boot; unsigned frames are
    /// accepted here even when signing is set up.
    pub fn serial0_port(&self) -> u16 {
        ports_of(self.instance)[0]
    }

    /// SERIAL1, a telemetry port (enforces signing once it is set up).
    pub fn telem1_port(&self) -> u16 {
        ports_of(self.instance)[2]
    }

    /// SERIAL2, the other telemetry port.
    pub fn telem2_port(&self) -> u16 {
        ports_of(self.instance)[3]
    }

    /// Vigil's link address of SERIAL0: `tcp:127.0.0.1:PORT`.
    pub fn link(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.serial0_port())
    }

    /// Vigil's link address of SERIAL1 (telemetry 1).
    pub fn telem1_link(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.telem1_port())
    }

    /// SITL's RC input (UDP, `5501 + 10·I`): datagrams of 8 or 16 little-endian `u16` PWM
    /// values, bound once SITL boots.
    pub fn rc_port(&self) -> u16 {
        rc_port_of(self.instance)
    }

    /// Plays the pilot standing by with the transmitter: a thread (`sitl-rc-I`) sends
    /// [`RC_STICKS_CENTRED`] to [`Sitl::rc_port`] every 100 ms until the returned guard is
    /// dropped. Start it **once armed**: ArduCopter 4.7 refuses to arm with the throttle off its
    /// bottom, even from a ground station in GUIDED ("Arm: Throttle (RC3) is not neutral"), as a
    /// pilot arms with the stick down and then centres it. Datagrams sent before SITL has
    /// booted (and bound the port) are lost; the next ones arrive. SITL keeps the last values it
    /// received, so after the guard is dropped the sticks stay centred.
    pub fn sticks_centred(&self) -> Sticks<'_> {
        Sticks::start(self.instance, self.rc_port(), RC_STICKS_CENTRED)
    }

    /// The folder SITL runs in (eeprom.bin, logs/, sitl.log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn log_text(&self) -> String {
        let mut bytes = Vec::new();
        if let Ok(mut file) = File::open(&self.log) {
            let _ = file.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The last 40 lines SITL printed, for panic messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        let start = lines.len().saturating_sub(40);
        format!(
            "--- ArduPilot SITL instance {} ({}), last lines ---\n{}",
            self.instance,
            self.log.display(),
            lines[start..].join("\n")
        )
    }
}

impl Drop for Sitl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The pilot's transmitter (see [`Sitl::sticks_centred`]): a thread sending the same channels
/// every 100 ms, stopped (and joined) on drop. It borrows the [`Sitl`] so that it cannot outlive it.
pub struct Sticks<'a> {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _sitl: PhantomData<&'a Sitl>,
}

impl Sticks<'_> {
    fn start(instance: u32, port: u16, channels: [u16; 8]) -> Self {
        let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).expect("a UDP port for the RC");
        let datagram: Vec<u8> = channels.iter().flat_map(|c| c.to_le_bytes()).collect();
        // Only ever closed (dropped) to stop the thread: one slot is plenty.
        let (stop, stopped) = crossbeam_channel::bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name(format!("sitl-rc-{instance}"))
            .spawn(move || {
                loop {
                    // Refused (nothing bound yet, before boot) or not: the next one goes anyway.
                    let _ = socket.send_to(&datagram, (Ipv4Addr::LOCALHOST, port));
                    match stopped.recv_timeout(RC_PERIOD) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                }
            })
            .expect("the RC thread starts");
        Sticks {
            stop: Some(stop),
            thread: Some(thread),
            _sitl: PhantomData,
        }
    }
}

impl Drop for Sticks<'_> {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
