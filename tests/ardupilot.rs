//! End-to-end tests against a real ArduCopter: ArduPilot's SITL (`../shared/ardupilot/`, see
//! `common::sitl`), flown through Vigil's public path — the `vigil run --headless` and `vigil cmd`
//! binaries and the `GroundStation` the console uses. Each test starts its own SITL (its own
//! instance, so they run in parallel) at 5× real time, and skips with a message where the
//! binary is absent.
//!
//! The tests through the `GroundStation` (fresh telemetry, a pre-arm refusal with its reason, a
//! sortie with go-to, observe, return and land, a mission with a fence and rally points flown in
//! AUTO) are each written once, as a function of a [`Peer`], and run against two peers: the
//! real SITL (`..._on_sitl`) and Vigil's built-in simulator served in process on a TCP port as
//! SITL serves its own (`..._on_sim`), both at the same home and speed-up.
//!
//! SITL's simulated transmitter holds the throttle stick down unless told otherwise, and
//! ArduCopter's CIRCLE mode takes its climb rate from that stick: the flights keep the sticks
//! centred, as the pilot standing by does ([`Peer::sticks_centred`]), and one test leaves them
//! down to see the station notice the descent and hold the vehicle in GUIDED.
//!
//! None of them touches the user's folders: in-process stations get a temporary `keys_dir`, and
//! the binaries run with `HOME` and `XDG_DATA_HOME` pointed at a temporary folder.

// Only the SITL fixture of `common` (not the whole of it: this binary then does not depend
// on the fixtures of the built-in simulator; it starts the simulator itself).
#[path = "common/plans.rs"]
mod plans;
#[path = "common/sitl.rs"]
#[allow(dead_code, reason = "not every accessor is used here")]
mod sitl;

use std::cell::Cell;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plans::{assert_same_plan, item};
use sitl::{HOME_ALT_MSL, HOME_LAT, HOME_LON, Sitl, Sticks};
use vigil_core::geodesy::Geodetic;
use vigil_core::time::MonoClock;
use vigil_link::LinkOptions;
use vigil_mission::{Fence, FenceCircle, FencePolygon, GeoPoint, Mission};
use vigil_protocol::MavVersion;
use vigil_sim::{RunOptions, SimRunner, SimTransport, SimVehicle, SimVehicleConfig, SimWorld};
use vigil_station::{Folders, GroundStation, Pipeline, PipelineConfig, Snapshot};
use vigil_world::command::{
    Action, CommandOutcome, MissionError, MissionOp, MissionOutcome, ParamOp, ParamOutcome,
};
use vigil_world::entities::Vehicle;

/// The longest a single step (a command, a short flight) may take.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Simulated seconds per real second.
const SPEEDUP: u32 = 5;
/// Telemetry must be shown this soon after the vehicle is found.
const TELEMETRY_WITHIN: Duration = Duration::from_secs(5);
/// The longest a multi-step action (fly somewhere, then do something) may take.
const PROCEDURE_TIMEOUT: Duration = Duration::from_secs(90);

/// What the vehicle is: ArduPilot's SITL or Vigil's built-in simulator, as a scenario needs it.
trait Peer {
    /// "ArduPilot SITL" or "the built-in simulator", for messages.
    fn name(&self) -> &'static str;
    /// Vigil's link address of the vehicle.
    fn link(&self) -> String;
    /// Simulated seconds per real second.
    fn speedup(&self) -> u32;
    /// The pilot standing by with the sticks centred, until the guard is dropped; `None` where
    /// there is no transmitter to hold (the built-in simulator has no RC input and holds its
    /// altitude in CIRCLE as ArduCopter does without a transmitter). Call it once armed:
    /// ArduCopter 4.7 refuses to arm with the throttle off its bottom ("Arm: Throttle (RC3) is
    /// not neutral").
    fn sticks_centred(&self) -> Option<Sticks<'_>>;
    /// What the peer said last, for panic messages.
    fn log_tail(&self) -> String;
}

impl Peer for Sitl {
    fn name(&self) -> &'static str {
        "ArduPilot SITL"
    }

    fn link(&self) -> String {
        Sitl::link(self)
    }

    fn speedup(&self) -> u32 {
        Sitl::speedup(self)
    }

    fn sticks_centred(&self) -> Option<Sticks<'_>> {
        Some(Sitl::sticks_centred(self))
    }

    fn log_tail(&self) -> String {
        Sitl::log_tail(self)
    }
}

/// Simulated seconds from boot to "ready to arm" in the built-in simulator: as long as SITL
/// takes (20–40 s), so that a station has time to see the refusal.
const SIM_PREARM_DELAY_S: f64 = 25.0;

/// Vigil's built-in simulator, one ArduCopter at SITL's home, served in process on a TCP port
/// (as SITL serves SERIAL0) at [`SPEEDUP`]; stopped on drop.
struct BuiltInSim {
    runner: Option<SimRunner>,
    port: u16,
}

impl BuiltInSim {
    fn start() -> BuiltInSim {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a TCP port");
        let port = listener.local_addr().expect("bound").port();
        let vehicle = SimVehicle::new(SimVehicleConfig {
            sysid: 1,
            home_lat_deg: HOME_LAT,
            home_lon_deg: HOME_LON,
            home_alt_msl_m: HOME_ALT_MSL,
            prearm_delay_s: SIM_PREARM_DELAY_S,
            ..SimVehicleConfig::default()
        });
        let world = SimWorld::single(vehicle, MonoClock::new().now());
        let runner = SimRunner::start_world(
            world,
            SimTransport::TcpListen {
                listener,
                stream: None,
            },
            RunOptions {
                version: MavVersion::V2,
                speed: f64::from(SPEEDUP),
                ..RunOptions::default()
            },
            None,
        )
        .expect("the simulator starts");
        BuiltInSim {
            runner: Some(runner),
            port,
        }
    }
}

impl Peer for BuiltInSim {
    fn name(&self) -> &'static str {
        "the built-in simulator"
    }

    fn link(&self) -> String {
        format!("tcp:127.0.0.1:{}", self.port)
    }

    fn speedup(&self) -> u32 {
        SPEEDUP
    }

    fn sticks_centred(&self) -> Option<Sticks<'_>> {
        None
    }

    fn log_tail(&self) -> String {
        let finished = self.runner.as_ref().is_some_and(SimRunner::is_finished);
        format!(
            "--- the built-in simulator (in process, tcp port {}, speed {SPEEDUP}){} ---",
            self.port,
            if finished { ", finished" } else { "" }
        )
    }
}

impl Drop for BuiltInSim {
    fn drop(&mut self) {
        if let Some(runner) = self.runner.take() {
            runner.stop();
        }
    }
}

/// A station on `links` keeping its signing keys in `keys_dir` (never the user's).
fn station_on(links: &[String], keys_dir: &Path) -> Pipeline {
    Pipeline::start(PipelineConfig {
        links: links
            .iter()
            .map(|l| l.parse().expect("a valid link address"))
            .collect(),
        link_options: LinkOptions {
            backoff_min: Duration::from_millis(100),
            backoff_max: Duration::from_millis(400),
            ..LinkOptions::default()
        },
        // Sessions and the station's key beside the keys: nothing in the user's folders.
        ..PipelineConfig::new(Folders {
            keys_dir: keys_dir.to_owned(),
            ..Folders::under(keys_dir)
        })
    })
    .expect("the pipeline starts")
}

fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .expect("a temporary folder")
}

/// The (only) vehicle: ArduCopter's system id is 1.
fn copter(snapshot: &Snapshot) -> Option<&Vehicle> {
    snapshot.world.vehicles.get(&1).map(Arc::as_ref)
}

/// Position, attitude, GPS and battery all fresh at the snapshot's time.
fn telemetry_fresh(snapshot: &Snapshot) -> bool {
    let now = snapshot.world.time;
    copter(snapshot).is_some_and(|v| {
        v.fresh_position(now).is_some()
            && v.fresh_attitude(now).is_some()
            && v.fresh_gps(now).is_some()
            && v.fresh_battery(now).is_some()
    })
}

/// What is missing, for failure messages.
fn describe(snapshot: &Snapshot) -> String {
    let now = snapshot.world.time;
    let Some(v) = copter(snapshot) else {
        return "no vehicle 1".to_owned();
    };
    format!(
        "mode {} armed {} prearm_ok {:?}; fresh: position {} attitude {} gps {} battery {}; position {:?}",
        v.mode,
        v.armed,
        v.prearm_ok,
        v.fresh_position(now).is_some(),
        v.fresh_attitude(now).is_some(),
        v.fresh_gps(now).is_some(),
        v.fresh_battery(now).is_some(),
        v.position
    )
}

/// The vehicle, the station's status line, its notices and the peer's log, for failure messages.
fn explain(station: &GroundStation, peer: &dyn Peer) -> String {
    let snapshot = station.snapshot();
    let notices: Vec<String> = snapshot
        .world
        .notices
        .iter()
        .map(vigil_station::status::notice_line)
        .collect();
    format!(
        "vehicle: {}\nstatus: {}\nnotices:\n{}\n{}",
        describe(&snapshot),
        vigil_station::status::status_line(&snapshot),
        notices.join("\n"),
        peer.log_tail()
    )
}

/// Waits up to `timeout` for `ready`; on failure panics with the station's state and the
/// peer's log.
fn wait_for(
    station: &GroundStation,
    peer: &dyn Peer,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&Snapshot) -> bool,
) -> Arc<Snapshot> {
    station.wait_for(timeout, ready).unwrap_or_else(|| {
        panic!(
            "{}: timed out after {timeout:?} waiting for {what}\n{}",
            peer.name(),
            explain(station, peer)
        )
    })
}

fn outcome(station: &GroundStation, action: Action, timeout: Duration) -> (String, CommandOutcome) {
    let description = action.to_string();
    let outcome = station
        .command(1, action)
        .expect("sent")
        .recv_timeout(timeout)
        .unwrap_or_else(|_| panic!("no outcome for {description} within {timeout:?}"));
    (description, outcome)
}

/// Sends `action` and asserts the vehicle accepted (and, for a procedure, performed) it.
fn accept(station: &GroundStation, peer: &dyn Peer, action: Action, timeout: Duration) {
    let (description, outcome) = outcome(station, action, timeout);
    assert_eq!(
        outcome,
        CommandOutcome::Accepted,
        "{}: {description}\n{}",
        peer.name(),
        explain(station, peer)
    );
}

/// Metres north and east of (`lat0`, `lon0`) on the tangent plane there.
fn north_east_m(lat0: f64, lon0: f64, lat: f64, lon: f64) -> (f64, f64) {
    let [north_m, east_m] =
        Geodetic::from_deg(lat0, lon0, 0.0).ne_m_to(&Geodetic::from_deg(lat, lon, 0.0));
    (north_m, east_m)
}

fn horizontal_m(lat0: f64, lon0: f64, lat: f64, lon: f64) -> f64 {
    let (n, e) = north_east_m(lat0, lon0, lat, lon);
    n.hypot(e)
}

/// The point `north_m` and `east_m` from (`lat0`, `lon0`).
fn offset(lat0: f64, lon0: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    let metres_per_deg = 111_320.0;
    (
        lat0 + north_m / metres_per_deg,
        lon0 + east_m / (metres_per_deg * lat0.to_radians().cos()),
    )
}

fn near(snapshot: &Snapshot, lat: f64, lon: f64, within_m: f64) -> bool {
    let now = snapshot.world.time;
    copter(snapshot)
        .and_then(|v| v.fresh_position(now))
        .is_some_and(|p| horizontal_m(lat, lon, p.lat_deg, p.lon_deg) < within_m)
}

fn altitude_above(snapshot: &Snapshot, metres: f64) -> bool {
    let now = snapshot.world.time;
    copter(snapshot)
        .and_then(|v| v.fresh_position(now))
        .is_some_and(|p| p.alt_rel_home_m > metres)
}

fn in_mode(snapshot: &Snapshot, mode: &str) -> bool {
    copter(snapshot).is_some_and(|v| v.mode == mode)
}

fn ready_to_arm(snapshot: &Snapshot) -> bool {
    copter(snapshot).is_some_and(|v| v.prearm_ok == Some(true))
}

/// Waits until the vehicle is in `mode` and its pre-arm checks pass there, and keep passing
/// for a second. ArduCopter's checks depend on the mode (STABILIZE needs no position, GUIDED
/// does) and run once a simulated second, so the SYS_STATUS just after a mode change can still
/// carry the previous mode's result.
fn wait_ready_to_arm_in(station: &GroundStation, peer: &dyn Peer, mode: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    let what = format!("pre-arm checks to pass in {mode} (prearm_ok from SYS_STATUS)");
    let ready = |s: &Snapshot| in_mode(s, mode) && ready_to_arm(s);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        wait_for(station, peer, &what, left, ready);
        let held = Instant::now() + Duration::from_secs(1);
        let dropped = loop {
            if Instant::now() >= held {
                break false;
            }
            if !ready(&station.snapshot()) {
                break true;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        if !dropped {
            return;
        }
    }
}

/// Whether an ArduPilot status text is an arming refusal ("PreArm: ...", "Arm: ...").
fn is_arming_reason(text: &str) -> bool {
    text.contains("PreArm:") || text.contains("Arm:")
}

/// Runs `vigil ARGS` with `HOME` and `XDG_DATA_HOME` in `home` (so keys and sessions stay there).
fn vigil(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .output()
        .expect("vigil runs")
}

/// Runs `vigil cmd --link SERIAL0 ARGS`.
fn vigil_cmd(sitl: &Sitl, home: &Path, args: &[&str]) -> Output {
    let link = sitl.link();
    let mut all = vec!["cmd", "--link", link.as_str(), "--wait", "20"];
    all.extend_from_slice(args);
    vigil(home, &all)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(output: &Output, sitl: &Sitl) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}\n{}",
        output.status.code(),
        text(&output.stdout),
        text(&output.stderr),
        sitl.log_tail()
    )
}

/// Asserts `vigil cmd` exited 0 and said what happened in plain words.
fn assert_plain_success(output: &Output, sitl: &Sitl) -> String {
    assert_eq!(output.status.code(), Some(0), "{}", show(output, sitl));
    let stdout = text(&output.stdout);
    assert_plain_words(&stdout);
    stdout
}

/// No Rust Debug formatting (`SetMode("GUIDED")`, `Takeoff { alt_rel_m: 10.0 }`, `Some(..)`).
fn assert_plain_words(text: &str) {
    for debug in [
        "(\"", "{ ", "Some(", "None", "Rejected", "TimedOut", "Accepted",
    ] {
        assert!(
            !text.contains(debug),
            "Debug formatting ({debug}) in: {text}"
        );
    }
}

/// The vehicle's part of a headless status line (from " #1 " to the next " | ").
fn vehicle_part(line: &str) -> Option<&str> {
    let start = line.find(" #1 ")?;
    let rest = &line[start..];
    Some(rest.find(" | ").map_or(rest, |end| &rest[..end]))
}

/// Position, battery, GPS and attitude shown as readings in a status line's vehicle part.
fn status_shows_telemetry(part: &str) -> bool {
    !part.contains("no position")
        && !part.contains(" old")
        && !part.contains("battery ?")
        && !part.contains("gps ?")
        && !part.contains("gps no fix")
        && !part.contains("attitude ?")
        && part.contains('%')
}

/// (a) `vigil run --headless` on a fresh ArduCopter shows position, attitude, GPS and battery
/// within 5 s of the vehicle appearing, and keeps showing them.
#[test]
fn headless_run_shows_telemetry_of_a_fresh_arducopter() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    let home = temp_dir("vigil-home-");
    let link = sitl.link();
    let output = vigil(
        home.path(),
        &[
            "run",
            "--headless",
            "--no-record",
            "--link",
            &link,
            "--duration",
            "16",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", show(&output, &sitl));
    let stdout = text(&output.stdout);
    // One status line a second.
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains(" | vehicles "))
        .collect();
    let found = lines
        .iter()
        .position(|l| vehicle_part(l).is_some())
        .unwrap_or_else(|| panic!("the vehicle never appeared\n{}", show(&output, &sitl)));
    let within = TELEMETRY_WITHIN.as_secs() as usize;
    let first_full = lines[found..]
        .iter()
        .position(|l| vehicle_part(l).is_some_and(status_shows_telemetry))
        .unwrap_or_else(|| panic!("telemetry never shown\n{}", show(&output, &sitl)));
    assert!(
        first_full <= within,
        "telemetry shown {first_full} status lines after the vehicle appeared (at most {within})\n{}",
        show(&output, &sitl)
    );
    let after = &lines[found + first_full..];
    assert!(
        after.len() >= 5,
        "too few status lines to see telemetry stay\n{}",
        show(&output, &sitl)
    );
    for line in after {
        let part = vehicle_part(line).unwrap_or("");
        assert!(
            status_shows_telemetry(part),
            "telemetry went stale: {line}\n{}",
            show(&output, &sitl)
        );
    }
    assert!(
        !stdout.contains("[1970-"),
        "a status line stamped 1970\n{stdout}"
    );
}

/// Starts a station on `peer` and waits for the vehicle.
fn station_for(peer: &dyn Peer, keys_dir: &Path) -> Pipeline {
    let pipeline = station_on(&[peer.link()], keys_dir);
    wait_for(&pipeline.station(), peer, "the vehicle", TIMEOUT, |s| {
        copter(s).is_some()
    });
    pipeline
}

/// Boot takes 20–40 s of simulated time: first the sensors and the RC input (the end of
/// its initialisation, "ArduPilot Ready", puts back the initial mode: a mode set before is
/// lost), then EKF and GPS (which GUIDED needs, STABILIZE does not). Waits for both, sets
/// GUIDED and arms.
fn arm_in_guided(station: &GroundStation, peer: &dyn Peer) {
    wait_ready_to_arm_in(station, peer, "STABILIZE", Duration::from_secs(40));
    accept(station, peer, Action::SetMode("GUIDED".into()), TIMEOUT);
    wait_ready_to_arm_in(station, peer, "GUIDED", Duration::from_secs(40));
    accept(station, peer, Action::Arm, TIMEOUT);
}

/// Waits until the vehicle is back on the ground at home and disarmed.
fn wait_landed_at_home(station: &GroundStation, peer: &dyn Peer) {
    wait_for(station, peer, "landed and disarmed", TIMEOUT, |s| {
        copter(s).is_some_and(|v| !v.armed)
    });
    let snapshot = station.snapshot();
    let p = copter(&snapshot)
        .and_then(|v| v.position)
        .expect("a position");
    assert!(
        p.alt_rel_home_m.abs() < 1.0,
        "{}: landed at {p:?}",
        peer.name()
    );
    let from_home = horizontal_m(HOME_LAT, HOME_LON, p.lat_deg, p.lon_deg);
    assert!(
        from_home < 5.0,
        "{}: landed {from_home:.1} m from home",
        peer.name()
    );
}

/// Prints how long a scenario took, for the test log.
struct Timed {
    what: &'static str,
    peer: &'static str,
    start: Instant,
}

fn timed(what: &'static str, peer: &dyn Peer) -> Timed {
    Timed {
        what,
        peer: peer.name(),
        start: Instant::now(),
    }
}

impl Drop for Timed {
    fn drop(&mut self) {
        eprintln!(
            "{} on {}: {:.1} s",
            self.what,
            self.peer,
            self.start.elapsed().as_secs_f64()
        );
    }
}

// ---- Telemetry -----------------------------------------------------------------------------

/// (b) Through the `GroundStation`: position, attitude, GPS and battery fresh within 5 s of
/// discovery and fresh for the next 20 s.
fn station_gets_fresh_telemetry_and_keeps_it(peer: &dyn Peer) {
    let _timed = timed("fresh telemetry", peer);
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(peer, keys.path());
    let station = pipeline.station();
    let found = Instant::now();
    wait_for(
        &station,
        peer,
        "fresh position, attitude, GPS and battery",
        TELEMETRY_WITHIN,
        telemetry_fresh,
    );
    eprintln!(
        "{}: telemetry fresh {:?} after discovery",
        peer.name(),
        found.elapsed()
    );
    let until = Instant::now() + Duration::from_secs(20);
    while Instant::now() < until {
        let snapshot = station.snapshot();
        assert!(
            telemetry_fresh(&snapshot),
            "{}: telemetry went stale\n{}",
            peer.name(),
            explain(&station, peer)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    pipeline.shutdown();
}

#[test]
fn station_gets_fresh_telemetry_and_keeps_it_on_sitl() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    station_gets_fresh_telemetry_and_keeps_it(&sitl);
}

#[test]
fn station_gets_fresh_telemetry_and_keeps_it_on_sim() {
    station_gets_fresh_telemetry_and_keeps_it(&BuiltInSim::start());
}

// ---- Pre-arm refusal -----------------------------------------------------------------------

/// (b) Arming right after boot is refused, with the autopilot's own reason.
fn arming_before_prearm_checks_pass_is_refused_with_the_reason(peer: &dyn Peer) {
    let _timed = timed("pre-arm refusal", peer);
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(peer, keys.path());
    let station = pipeline.station();
    let (_, refused) = outcome(&station, Action::Arm, TIMEOUT);
    match &refused {
        CommandOutcome::Rejected {
            result,
            reason: Some(reason),
        } => {
            assert!(
                is_arming_reason(reason),
                "{}: reason {reason:?} (result {result}) is not ArduPilot's arming text",
                peer.name()
            );
            assert!(!result.is_empty());
            // In words for the operator: "refused (...): PreArm: ...".
            let shown = refused.to_string();
            assert!(shown.contains(reason.as_str()), "{shown}");
            assert_plain_words(&shown.replace(reason.as_str(), ""));
        }
        other => panic!(
            "{}: arming right after boot: expected a refusal with a reason, got {other:?}\n{}",
            peer.name(),
            explain(&station, peer)
        ),
    }
    assert!(!copter(&station.snapshot()).is_some_and(|v| v.armed));
    pipeline.shutdown();
}

#[test]
fn arming_before_prearm_checks_pass_is_refused_with_the_reason_on_sitl() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    arming_before_prearm_checks_pass_is_refused_with_the_reason(&sitl);
}

#[test]
fn arming_before_prearm_checks_pass_is_refused_with_the_reason_on_sim() {
    arming_before_prearm_checks_pass_is_refused_with_the_reason(&BuiltInSim::start());
}

// ---- Sortie: go to, observe, return, land --------------------------------------------------

/// (b) A whole sortie through the `GroundStation`, the pilot's sticks centred: wait for the
/// pre-arm checks, GUIDED, arm, take off to 20 m, go 100 m north, observe a place (circle it
/// at 30 m with the camera on it), return, land and disarm.
fn station_flies_a_sortie_goto_observe_return_land(peer: &dyn Peer) {
    let _timed = timed("sortie", peer);
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(peer, keys.path());
    let station = &pipeline.station();
    arm_in_guided(station, peer);
    // Armed with the throttle down (ArduCopter refuses to arm otherwise), then centred.
    let _sticks = peer.sticks_centred();
    accept(station, peer, Action::Takeoff { alt_rel_m: 20.0 }, TIMEOUT);
    wait_for(station, peer, "20 m above home", TIMEOUT, |s| {
        altitude_above(s, 18.5)
    });

    // Go to a point 100 m north.
    let (goto_lat, goto_lon) = offset(HOME_LAT, HOME_LON, 100.0, 0.0);
    accept(
        station,
        peer,
        Action::Goto {
            lat_deg: goto_lat,
            lon_deg: goto_lon,
            alt_rel_m: 20.0,
        },
        TIMEOUT,
    );
    wait_for(station, peer, "the point 100 m north", TIMEOUT, |s| {
        near(s, goto_lat, goto_lon, 3.0)
    });

    // Observe a place 80 m east of there: circle it at 30 m, 5 m/s.
    let radius = 30.0;
    let (place_lat, place_lon) = offset(goto_lat, goto_lon, 0.0, 80.0);
    accept(
        station,
        peer,
        Action::Orbit {
            lat_deg: place_lat,
            lon_deg: place_lon,
            alt_rel_m: 20.0,
            radius_m: radius,
            speed_mps: 5.0,
        },
        PROCEDURE_TIMEOUT,
    );
    wait_for(station, peer, "CIRCLE mode", TIMEOUT, |s| {
        in_mode(s, "CIRCLE")
    });
    assert_circles(station, peer, place_lat, place_lon, radius);

    // The camera on the place.
    accept(
        station,
        peer,
        Action::PointGimbal {
            lat_deg: place_lat,
            lon_deg: place_lon,
            alt_msl_m: HOME_ALT_MSL,
        },
        TIMEOUT,
    );

    // Return, land, disarm.
    accept(station, peer, Action::ReturnToLaunch, TIMEOUT);
    wait_for(station, peer, "RTL", TIMEOUT, |s| in_mode(s, "RTL"));
    wait_for(station, peer, "back over home", TIMEOUT, |s| {
        near(s, HOME_LAT, HOME_LON, 5.0)
    });
    accept(station, peer, Action::Land, TIMEOUT);
    wait_landed_at_home(station, peer);
    pipeline.shutdown();
}

/// Watches the vehicle for 100 simulated seconds (more than two turns at 5 m/s): it stays in
/// CIRCLE, at about `radius` from the place and at its altitude, and goes round the place at
/// least once.
fn assert_circles(
    station: &GroundStation,
    peer: &dyn Peer,
    place_lat: f64,
    place_lon: f64,
    radius: f64,
) {
    let name = peer.name();
    let mut samples = Vec::new();
    let mut altitudes = Vec::new();
    let watch = Duration::from_secs(100) / peer.speedup();
    let until = Instant::now() + watch;
    while Instant::now() < until {
        let snapshot = station.snapshot();
        let vehicle = copter(&snapshot).expect("the vehicle");
        assert_eq!(
            vehicle.mode,
            "CIRCLE",
            "{name}: left CIRCLE while observing\n{}",
            explain(station, peer)
        );
        if let Some(p) = vehicle.fresh_position(snapshot.world.time) {
            samples.push(north_east_m(place_lat, place_lon, p.lat_deg, p.lon_deg));
            altitudes.push(p.alt_rel_home_m);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        samples.len() as f64 > watch.as_secs_f64() * 2.5,
        "{name}: {} positions in {watch:?}",
        samples.len()
    );
    let distances: Vec<f64> = samples.iter().map(|(n, e)| n.hypot(*e)).collect();
    let mean = distances.iter().sum::<f64>() / distances.len() as f64;
    let (low, high) = min_max(&distances);
    assert!(
        (mean - radius).abs() < 5.0 && low > radius - 8.0 && high < radius + 8.0,
        "{name}: circling at {low:.1}..{high:.1} m (mean {mean:.1}) from the place, not about {radius} m"
    );
    let (alt_low, alt_high) = min_max(&altitudes);
    assert!(
        alt_low > 17.0 && alt_high < 23.0,
        "{name}: circling at {alt_low:.1}..{alt_high:.1} m above home, not about 20 m"
    );
    // Swept angle around the place: it goes round, not just sits on the circle.
    let mut swept = 0.0_f64;
    for pair in samples.windows(2) {
        let a = pair[0].1.atan2(pair[0].0);
        let b = pair[1].1.atan2(pair[1].0);
        let mut d = b - a;
        while d > std::f64::consts::PI {
            d -= std::f64::consts::TAU;
        }
        while d < -std::f64::consts::PI {
            d += std::f64::consts::TAU;
        }
        swept += d;
    }
    eprintln!(
        "{name}: circled at {low:.1}..{high:.1} m (mean {mean:.1}) from the place, \
         {alt_low:.1}..{alt_high:.1} m above home, {:.0}° in {watch:?}",
        swept.abs().to_degrees()
    );
    assert!(
        swept.abs() > std::f64::consts::TAU,
        "{name}: swept {:.0}° around the place in {watch:?}",
        swept.abs().to_degrees()
    );
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(*v), hi.max(*v)))
}

#[test]
fn station_flies_a_sortie_goto_observe_return_land_on_sitl() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    station_flies_a_sortie_goto_observe_return_land(&sitl);
}

#[test]
fn station_flies_a_sortie_goto_observe_return_land_on_sim() {
    station_flies_a_sortie_goto_observe_return_land(&BuiltInSim::start());
}

/// The station's safety behaviour, against SITL's transmitter left as it is (throttle stick
/// down): observing a place fails, saying that the copter descends on the pilot's throttle,
/// and the station puts it back in GUIDED, where it holds its altitude. (SITL only: the
/// built-in simulator has no transmitter.)
#[test]
fn observe_with_the_throttle_stick_down_fails_and_holds_in_guided_on_sitl() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    let peer: &dyn Peer = &sitl;
    let _timed = timed("observe, throttle down", peer);
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(peer, keys.path());
    let station = &pipeline.station();
    arm_in_guided(station, peer);
    accept(station, peer, Action::Takeoff { alt_rel_m: 20.0 }, TIMEOUT);
    wait_for(station, peer, "20 m above home", TIMEOUT, |s| {
        altitude_above(s, 18.5)
    });
    // A place 60 m east of home, circled at 20 m.
    let (place_lat, place_lon) = offset(HOME_LAT, HOME_LON, 0.0, 60.0);
    let (_, failed) = outcome(
        station,
        Action::Orbit {
            lat_deg: place_lat,
            lon_deg: place_lon,
            alt_rel_m: 20.0,
            radius_m: 20.0,
            speed_mps: 5.0,
        },
        PROCEDURE_TIMEOUT,
    );
    match &failed {
        CommandOutcome::Failed(reason) => {
            assert!(
                reason.contains("descends") && reason.contains("throttle"),
                "the reason does not name the descent on the throttle: {reason}"
            );
            let shown = failed.to_string();
            assert!(shown.contains(reason.as_str()), "{shown}");
            eprintln!("observe with the throttle down: {shown}");
        }
        other => panic!(
            "observe with the throttle stick down: expected a failure naming the descent, got {other:?}\n{}",
            explain(station, peer)
        ),
    }
    wait_for(station, peer, "GUIDED again", TIMEOUT, |s| {
        in_mode(s, "GUIDED")
    });
    // GUIDED holds where it is (after stopping the descent it had when it left CIRCLE).
    let altitude = |s: &Snapshot| {
        copter(s)
            .and_then(|v| v.fresh_position(s.world.time))
            .map(|p| (p.alt_rel_home_m, p.vel_ned_mps[2]))
    };
    wait_for(station, peer, "the descent to stop", TIMEOUT, |s| {
        altitude(s).is_some_and(|(_, down)| down.abs() < 0.3)
    });
    let mut altitudes = Vec::new();
    let watch = Duration::from_secs(20) / peer.speedup();
    let until = Instant::now() + watch;
    while Instant::now() < until {
        let snapshot = station.snapshot();
        assert!(in_mode(&snapshot, "GUIDED"), "{}", describe(&snapshot));
        if let Some((alt, _)) = altitude(&snapshot) {
            altitudes.push(alt);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (low, high) = min_max(&altitudes);
    eprintln!("held in GUIDED at {low:.1}..{high:.1} m above home");
    assert!(
        high - low < 1.5 && low > 10.0,
        "GUIDED after the failed observe: {low:.1}..{high:.1} m above home over {watch:?}"
    );
    // Home and down, so that the test ends with the vehicle on the ground.
    accept(station, peer, Action::Land, TIMEOUT);
    wait_for(station, peer, "landed and disarmed", TIMEOUT, |s| {
        copter(s).is_some_and(|v| !v.armed)
    });
    pipeline.shutdown();
}

// ---- Mission with a fence and rally points, flown in AUTO ----------------------------------

/// MAV_FRAME_GLOBAL_RELATIVE_ALT.
const FRAME_RELATIVE: u8 = 3;
/// MAV_FRAME_MISSION: an item with no position (QGroundControl sends RTL so).
const FRAME_MISSION: u8 = 2;
/// MAV_CMD_NAV_WAYPOINT, MAV_CMD_NAV_RTL, MAV_CMD_NAV_TAKEOFF.
const NAV_WAYPOINT: u16 = 16;
const NAV_RTL: u16 = 20;
const NAV_TAKEOFF: u16 = 22;

/// Take off to 20 m, a waypoint 80 m north, one 80 m east, return; an inclusion square of
/// 400 m around home, an exclusion circle away from the route; two rally points (whole metres:
/// ArduPilot stores rally altitudes in metres).
fn fenced_plan() -> (Mission, [(f64, f64); 2]) {
    let at = |north: f64, east: f64| offset(HOME_LAT, HOME_LON, north, east);
    let waypoints = [at(80.0, 0.0), at(0.0, 80.0)];
    let plan = Mission {
        home: Some(GeoPoint {
            lat_deg: HOME_LAT,
            lon_deg: HOME_LON,
            alt_m: HOME_ALT_MSL,
        }),
        items: vec![
            item(FRAME_RELATIVE, NAV_TAKEOFF, (0.0, 0.0), 20.0),
            item(FRAME_RELATIVE, NAV_WAYPOINT, waypoints[0], 20.0),
            item(FRAME_RELATIVE, NAV_WAYPOINT, waypoints[1], 25.0),
            item(FRAME_MISSION, NAV_RTL, (0.0, 0.0), 0.0),
        ],
        fence: Fence {
            polygons: vec![FencePolygon {
                inclusion: true,
                vertices: vec![
                    at(200.0, -200.0),
                    at(200.0, 200.0),
                    at(-200.0, 200.0),
                    at(-200.0, -200.0),
                ],
            }],
            circles: vec![FenceCircle {
                inclusion: false,
                center: at(-120.0, -120.0),
                radius_m: 30.0,
            }],
            breach_return: None,
        },
        rally: [(at(120.0, 60.0), 30.0), (at(-90.0, 75.0), 45.0)]
            .into_iter()
            .map(|((lat_deg, lon_deg), alt_m)| GeoPoint {
                lat_deg,
                lon_deg,
                alt_m,
            })
            .collect(),
    };
    (plan, waypoints)
}

/// Uploads `plan`, retrying while the vehicle answers NO_SPACE (ArduCopter does for a few
/// seconds after boot), for at most `timeout`.
fn upload(station: &GroundStation, peer: &dyn Peer, plan: &Mission, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        let uploaded = station
            .mission(1, MissionOp::Upload(plan.clone()))
            .expect("sent")
            .recv_timeout(TIMEOUT)
            .expect("an outcome");
        match uploaded {
            Ok(MissionOutcome::Uploaded { items }) => {
                assert_eq!(
                    (items.mission, items.fence, items.rally),
                    (plan.items.len(), plan.fence.item_count(), plan.rally.len()),
                    "{}: uploaded {items}",
                    peer.name()
                );
                return;
            }
            Err(
                why @ MissionError::Rejected {
                    result: vigil_protocol::mav::MavMissionResult::MAV_MISSION_NO_SPACE,
                    ..
                },
            ) if Instant::now() < deadline => {
                eprintln!("{}: upload refused ({why}), trying again", peer.name());
                // The vehicle gives no sign of when it will take it: try again shortly.
                std::thread::sleep(Duration::from_millis(500));
            }
            other => panic!(
                "{}: upload failed: {other:?}\n{}",
                peer.name(),
                explain(station, peer)
            ),
        }
    }
}

/// Sets a parameter through the station and checks the vehicle's echo.
fn set_param(station: &GroundStation, peer: &dyn Peer, name: &str, value: f64) {
    let set = station
        .params(1, ParamOp::Set(name.into(), value))
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    match set {
        Ok(ParamOutcome::One(echo)) if echo.name == name && echo.value == value => {}
        other => panic!(
            "{}: setting {name} to {value}: {other:?}\n{}",
            peer.name(),
            explain(station, peer)
        ),
    }
}

/// (b) A mission with a fence and rally points through the `GroundStation`: uploaded (retrying
/// while ArduCopter says NO_SPACE just after boot), downloaded back identical, then flown in
/// one step (`Action::FlyMission`: GUIDED, arm, MISSION_START — ArduCopter takes off on it
/// from the ground in GUIDED — seen in AUTO),
/// each waypoint reached (MISSION_ITEM_REACHED), the return at the end, landed at home and
/// disarmed. The sticks stay centred (AUTO ignores them; RTL and LAND take the pilot's nudges
/// on some configurations).
fn station_flies_a_fenced_mission_in_auto(peer: &dyn Peer) {
    let _timed = timed("fenced mission in AUTO", peer);
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(peer, keys.path());
    let station = &pipeline.station();
    let name = peer.name();

    let (plan, waypoints) = fenced_plan();
    upload(station, peer, &plan, Duration::from_secs(30));
    let downloaded = station
        .mission(1, MissionOp::Download)
        .expect("sent")
        .recv_timeout(TIMEOUT)
        .expect("an outcome");
    let Ok(MissionOutcome::Downloaded(back)) = downloaded else {
        panic!(
            "{name}: download failed: {downloaded:?}\n{}",
            explain(station, peer)
        )
    };
    assert_same_plan(peer.name(), &plan, &back);
    // The fence on: ArduCopter then checks before arming that the vehicle is inside it (and
    // that the polygon is valid), and keeps it out of the exclusion circle in flight.
    set_param(station, peer, "FENCE_ENABLE", 1.0);

    // Ready to arm in GUIDED (which needs a position estimate), then the mission flown in one
    // step, as the console's "Fly the patrols" does: GUIDED, arm (the throttle down:
    // ArduCopter refuses to arm otherwise), MISSION_START, seen in AUTO; then the sticks
    // centred.
    wait_ready_to_arm_in(station, peer, "STABILIZE", Duration::from_secs(40));
    accept(station, peer, Action::SetMode("GUIDED".into()), TIMEOUT);
    wait_ready_to_arm_in(station, peer, "GUIDED", Duration::from_secs(40));
    accept(station, peer, Action::FlyMission, TIMEOUT);
    let _sticks = peer.sticks_centred();
    wait_for(station, peer, "AUTO", TIMEOUT, |s| in_mode(s, "AUTO"));
    // ArduPilot numbers the items from home (0): the takeoff is 1, the waypoints 2 and 3, the
    // return 4.
    let reached = |s: &Snapshot| copter(s).and_then(|v| v.mission_last_reached_seq);
    for (i, &(lat, lon)) in waypoints.iter().enumerate() {
        let seq = u16::try_from(i + 2).expect("a small number");
        // The closest the vehicle came to the waypoint until it reported it reached.
        let closest = Cell::new(f64::MAX);
        wait_for(
            station,
            peer,
            &format!("waypoint {} (seq {seq}) reached", i + 1),
            Duration::from_secs(30),
            |s| {
                let now = s.world.time;
                if let Some(p) = copter(s).and_then(|v| v.fresh_position(now)) {
                    let d = horizontal_m(lat, lon, p.lat_deg, p.lon_deg);
                    closest.set(closest.get().min(d));
                }
                reached(s).is_some_and(|r| r >= seq)
            },
        );
        assert!(
            in_mode(&station.snapshot(), "AUTO"),
            "{name}: left AUTO: {}",
            describe(&station.snapshot())
        );
        assert!(
            closest.get() < 5.0,
            "{name}: waypoint {} reported reached {:.1} m away at the closest",
            i + 1,
            closest.get()
        );
        eprintln!(
            "{name}: waypoint {} reached, {:.1} m from it at the closest",
            i + 1,
            closest.get()
        );
    }
    // The last item returns home (in AUTO, or in RTL/AUTO_RTL depending on the firmware),
    // lands there and disarms.
    wait_for(station, peer, "the return (item 4)", TIMEOUT, |s| {
        copter(s).is_some_and(|v| v.mission_current_seq == Some(4))
    });
    wait_for(station, peer, "back over home", TIMEOUT, |s| {
        near(s, HOME_LAT, HOME_LON, 5.0)
    });
    wait_landed_at_home(station, peer);
    pipeline.shutdown();
}

#[test]
fn station_flies_a_fenced_mission_in_auto_on_sitl() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    station_flies_a_fenced_mission_in_auto(&sitl);
}

#[test]
fn station_flies_a_fenced_mission_in_auto_on_sim() {
    station_flies_a_fenced_mission_in_auto(&BuiltInSim::start());
}

/// Vigil's list of the commands ArduPilot takes in a mission (`MISSION_COMMANDS`, the checks
/// of every upload) against ArduCopter itself: a plan of one item of each, positions near
/// home, passes Vigil's checks and ArduCopter takes it whole.
#[test]
fn every_mission_command_vigil_lets_through_arducopter_takes_on_sitl() {
    use vigil_mission::validate::{MISSION_COMMANDS, Position};
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    let keys = temp_dir("vigil-keys-");
    let pipeline = station_for(&sitl, keys.path());
    let near_home = (HOME_LAT + 0.0005, HOME_LON + 0.0005);
    let items = MISSION_COMMANDS.iter().map(|command| {
        let mut mission_item = match command.position {
            Position::Unused => item(2, command.id, (0.0, 0.0), 0.0),
            _ => item(3, command.id, near_home, 20.0),
        };
        if command.id == 177 {
            mission_item.params[0] = 1.0; // DO_JUMP to the first item
        }
        mission_item
    });
    let plan = Mission {
        home: Some(GeoPoint {
            lat_deg: HOME_LAT,
            lon_deg: HOME_LON,
            alt_m: HOME_ALT_MSL,
        }),
        items: items.collect(),
        ..Default::default()
    };
    assert_eq!(vigil_mission::inspect(&plan), Default::default());
    upload(&pipeline.station(), &sitl, &plan, Duration::from_secs(30));
    pipeline.shutdown();
}

// ---- `vigil cmd` and signing (SITL only) -------------------------------------------------

/// (c) `vigil cmd` against ArduCopter: a refusal with its reason, then a take-off in one step
/// (`launch`: GUIDED, arm, take off) and a landing, each printed in plain words with exit
/// code 0.
#[test]
fn vigil_cmd_flies_arducopter_and_explains_refusals() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    let home = temp_dir("vigil-home-");
    let home = home.path();

    // Too early: this connection is also the one that makes SITL boot.
    let early = vigil_cmd(&sitl, home, &["arm"]);
    assert_eq!(early.status.code(), Some(1), "{}", show(&early, &sitl));
    let stderr = text(&early.stderr);
    assert!(
        is_arming_reason(&stderr),
        "no PreArm reason in stderr\n{}",
        show(&early, &sitl)
    );
    assert_plain_words(&stderr);

    // Watch the vehicle on the telemetry port to know when it is ready to arm.
    let keys = temp_dir("vigil-keys-");
    let observer = station_on(&[sitl.telem1_link()], keys.path());
    let watch = observer.station();
    // Booted ("ArduPilot Ready", which resets the mode) before a mode is set: see the sortie.
    wait_ready_to_arm_in(&watch, &sitl, "STABILIZE", Duration::from_secs(40));
    // Arming in GUIDED needs a position estimate, some seconds after STABILIZE's checks pass
    // (a take-off tried before is refused with "Arm: Need Position Estimate"): the operator
    // waits for "ready to arm" in GUIDED.
    let out = assert_plain_success(&vigil_cmd(&sitl, home, &["mode", "GUIDED"]), &sitl);
    assert!(out.contains("GUIDED"), "{out}");
    wait_ready_to_arm_in(&watch, &sitl, "GUIDED", Duration::from_secs(40));
    // Take off in one step: GUIDED, arm, take off, seen leaving the ground.
    let out = assert_plain_success(&vigil_cmd(&sitl, home, &["launch", "10"]), &sitl);
    assert!(out.contains("take off to 10 m: accepted"), "{out}");
    wait_for(&watch, &sitl, "10 m above home", TIMEOUT, |s| {
        altitude_above(s, 9.0)
    });
    assert_plain_success(&vigil_cmd(&sitl, home, &["land"]), &sitl);
    wait_for(&watch, &sitl, "LAND", TIMEOUT, |s| in_mode(s, "LAND"));
    wait_for(&watch, &sitl, "landed and disarmed", TIMEOUT, |s| {
        copter(s).is_some_and(|v| !v.armed)
    });
    observer.shutdown();
}

/// (d) Signing set up over SERIAL0 with `vigil cmd signing-setup` (key in a temporary data
/// folder); on the telemetry port, which enforces signing, a station without the key gets a
/// timeout that says signing is the cause, and a station with the key is obeyed.
#[test]
fn signing_set_up_over_usb_is_enforced_on_telemetry() {
    let Some(sitl) = Sitl::start(SPEEDUP) else {
        return;
    };
    let home = temp_dir("vigil-home-");
    let setup = vigil_cmd(&sitl, home.path(), &["signing-setup"]);
    let out = assert_plain_success(&setup, &sitl);
    assert!(out.contains("sign"), "{out}");
    let keys_dir: PathBuf = home.path().join("data/vigil/keys");
    assert!(
        keys_dir.join("system-1.key").is_file(),
        "no key in {} (vigil cmd must honour XDG_DATA_HOME)",
        keys_dir.display()
    );

    // Without the key, on SERIAL1.
    let no_keys = temp_dir("vigil-nokeys-");
    let stranger = station_on(&[sitl.telem1_link()], no_keys.path());
    let station = stranger.station();
    wait_for(&station, &sitl, "the vehicle (no key)", TIMEOUT, |s| {
        copter(s).is_some()
    });
    let (description, refused) = outcome(
        &station,
        Action::SetMode("ALT_HOLD".into()),
        Duration::from_secs(60),
    );
    match &refused {
        CommandOutcome::TimedOut {
            hint: Some(hint), ..
        } => {
            assert!(
                hint.contains("sign"),
                "hint {hint:?} does not mention signing"
            );
        }
        other => panic!(
            "{description} without the key: expected a timeout with a signing hint, got {other:?}\n{}",
            sitl.log_tail()
        ),
    }
    assert!(!in_mode(&station.snapshot(), "ALT_HOLD"));
    stranger.shutdown();

    // With the key, on the same port.
    let keyed = station_on(&[sitl.telem1_link()], &keys_dir);
    let station = keyed.station();
    wait_for(&station, &sitl, "the vehicle (with key)", TIMEOUT, |s| {
        copter(s).is_some()
    });
    accept(&station, &sitl, Action::SetMode("ALT_HOLD".into()), TIMEOUT);
    wait_for(&station, &sitl, "ALT_HOLD", TIMEOUT, |s| {
        in_mode(s, "ALT_HOLD")
    });
    keyed.shutdown();
}
