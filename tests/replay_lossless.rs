//! `vigil replay --headless --fast --tracks-out` is lossless (issue 16): a tlog of a busy
//! scenario, made in process by the simulator, is replayed several times by the binary; each
//! time the tracks file must reach the last scan the tlog's detections imply, the last status
//! line must count every frame and detection, and every run must write the same bytes.
//!
//! The tlog is large enough for every queue on the way to be full when the file ends: the
//! analysis lags, its queue (`ANALYSIS_QUEUE_CAPACITY` steps) fills, the world thread waits
//! on it and the world queue (`WORLD_QUEUE_CAPACITY`) fills behind it. A replay that counted
//! as finished when the reader reached the end lost those frames (13.5 s of this tlog).

mod common;

use std::fmt::Write;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::vigil_command;
use vigil_core::time::TimeUs;
use vigil_protocol::tlog::TlogRecord;
use vigil_protocol::{FrameEncoder, MavMessage, MavVersion};
use vigil_sim::{Scenario, SimWorld};

/// Detections in the tlog: about as many frames, well past what the queues hold together.
const MIN_DETECTIONS: usize = 100_000;
/// Replays of the same tlog compared with each other.
const RUNS: usize = 5;
/// The longest making the tlog may take.
const SIMULATION_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest one replay may take (debug build, a shared machine).
const REPLAY_TIMEOUT: Duration = Duration::from_secs(300);
/// A detection stamped at or after this is on the UNIX clock (`vigil_world`'s rule), else it
/// is timed by its record.
const UNIX_TIME_MIN_US: u64 = vigil_world::UNIX_TIME_MIN_US;

/// What the tlog holds, counted while writing it.
struct Written {
    records: u64,
    detections: u64,
    /// The time of the last scan fusion must run: a scan is timed by its latest detection,
    /// and the tlog ends with the last detection (no second without one after it, so no
    /// coasting scan follows it).
    last_scan: TimeUs,
}

/// A field watched by four radars, with groups of people and vehicles walking loops in it:
/// about 340 detections a simulated second, so that a tlog of many detections takes little
/// simulating (a debug build simulates the crowded scenario at about 70 detections a second).
/// The radars report twice a second: a sensor reporting once a second, at the instant the
/// nodes' heartbeats come, loses its reports to the empty scan fusion runs at that instant
/// for the tracks' sake (`Fusion::tick`), and no track would be confirmed.
const SCENARIO: &str = r#"
[scenario]
name = "Lossless replay"
start_utc = "2026-03-16T09:00:00Z"
seed = 7

[[sensor]]
sysid = 101
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0000 }
radius_m = 800.0
pd = 0.9
report_period_s = 0.5

[[sensor]]
sysid = 102
kind = "radar"
position = { lat_deg = 9.0040, lon_deg = 31.0000 }
radius_m = 800.0
pd = 0.9
report_period_s = 0.5

[[sensor]]
sysid = 103
kind = "radar"
position = { lat_deg = 9.0000, lon_deg = 31.0040 }
radius_m = 800.0
pd = 0.9
report_period_s = 0.5

[[sensor]]
sysid = 104
kind = "radar"
position = { lat_deg = 9.0040, lon_deg = 31.0040 }
radius_m = 800.0
pd = 0.9
report_period_s = 0.5
"#;

/// The scenario's movers: groups of four walking (or driving) loops, each at its own place
/// and speed.
fn movers() -> String {
    let mut text = String::new();
    for i in 0..12u32 {
        let step = f64::from(i);
        let (south, west) = (9.0005 + 0.00025 * step, 31.0005 + 0.0002 * step);
        let (north, east) = (south + 0.002, west + 0.002);
        let (kind, speed_mps) = if i % 4 == 0 {
            ("vehicle", 6.0)
        } else {
            ("person", 1.0 + 0.1 * step)
        };
        let _ = write!(
            text,
            r#"
[[mover]]
id = "group-{i}"
kind = "{kind}"
count = 4
spacing_m = 25.0
speed_mps = {speed_mps}
loop = true
route = [
  {{ lat_deg = {south}, lon_deg = {west} }},
  {{ lat_deg = {north}, lon_deg = {west} }},
  {{ lat_deg = {north}, lon_deg = {east} }},
  {{ lat_deg = {south}, lon_deg = {east} }},
]
"#
        );
    }
    text
}

/// Runs the scenario in process and writes what every system sends as a tlog (each frame
/// stamped with the simulated time), up to the detection that makes `MIN_DETECTIONS`.
fn write_tlog(path: &Path) -> Written {
    let text = format!("{SCENARIO}{}", movers());
    let scenario = Scenario::parse(&text, path).expect("a valid scenario");
    let mut sim = SimWorld::from_scenario(&scenario, 7);
    let mut encoders: std::collections::BTreeMap<(u8, u8), FrameEncoder> = Default::default();
    let mut bytes = Vec::new();
    let mut written = Written {
        records: 0,
        detections: 0,
        last_scan: TimeUs(0),
    };
    let deadline = Instant::now() + SIMULATION_TIMEOUT;
    'steps: loop {
        assert!(
            Instant::now() < deadline,
            "the simulator made {} detections only",
            written.detections
        );
        for emission in sim.step() {
            let encoder = encoders
                .entry((emission.sysid, emission.compid))
                .or_insert_with(|| FrameEncoder::new(emission.sysid, emission.compid));
            let frame = encoder
                .encode(&emission.message, MavVersion::V2)
                .expect("encodes");
            TlogRecord {
                time: sim.now,
                frame,
            }
            .write_to(&mut bytes);
            written.records += 1;
            if let MavMessage::VIGIL_DETECTION(detection) = &emission.message {
                written.detections += 1;
                let time = if detection.time_usec >= UNIX_TIME_MIN_US {
                    TimeUs(detection.time_usec)
                } else {
                    sim.now
                };
                written.last_scan = written.last_scan.max(time);
                if written.detections as usize >= MIN_DETECTIONS {
                    break 'steps;
                }
            }
        }
    }
    std::fs::write(path, bytes).expect("tlog written");
    written
}

/// Waits for `child` to exit, at most `limit`; kills it and fails after that.
fn wait_exit(child: &mut std::process::Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the replay did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// One replay by the binary: the tracks file's bytes and the last status line printed.
fn replay(tlog: &Path, dir: &Path, run: usize) -> (Vec<u8>, String) {
    let tracks = dir.join(format!("tracks-{run}.csv"));
    let stdout_path = dir.join(format!("stdout-{run}.txt"));
    let stdout = std::fs::File::create(&stdout_path).expect("stdout file");
    let mut child = vigil_command()
        .args(["replay", "--headless", "--fast", "--tracks-out"])
        .arg(&tracks)
        .arg(tlog)
        .stdout(Stdio::from(stdout))
        .stderr(Stdio::null())
        .spawn()
        .expect("vigil replay starts");
    let status = wait_exit(&mut child, REPLAY_TIMEOUT);
    let printed = std::fs::read_to_string(&stdout_path).expect("stdout");
    assert!(status.success(), "vigil replay: {status}\n{printed}");
    let last_status = printed
        .lines()
        .rfind(|line| line.starts_with('[') && line.contains("] links "))
        .unwrap_or_else(|| panic!("no status line in\n{printed}"))
        .to_owned();
    (std::fs::read(&tracks).expect("tracks file"), last_status)
}

/// The time of the last row of a tracks file, in seconds as written (`{:.3}`).
fn last_scan_s(tracks: &[u8]) -> f64 {
    let text = std::str::from_utf8(tracks).expect("UTF-8");
    let last = text.lines().last().expect("rows");
    last.split(',')
        .next()
        .and_then(|cell| cell.parse().ok())
        .unwrap_or_else(|| panic!("no time in the last row {last:?}"))
}

/// The number after `word ` in a status line.
fn count_after(line: &str, word: &str) -> u64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    words
        .windows(2)
        .find(|pair| pair[0] == word)
        .and_then(|pair| pair[1].parse().ok())
        .unwrap_or_else(|| panic!("no {word:?} count in {line:?}"))
}

#[test]
fn a_fast_headless_replay_writes_every_scan_every_time() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let tlog = tmp.path().join("field.tlog");
    let written = write_tlog(&tlog);
    let expected_s = written.last_scan.as_secs_f64();
    println!(
        "{} records, {} detections, last scan at {expected_s:.3} s",
        written.records, written.detections
    );
    let queues = vigil_station::ANALYSIS_QUEUE_CAPACITY + vigil_link::WORLD_QUEUE_CAPACITY;
    assert!(
        written.records as usize > queues * 5 / 4,
        "{} records cannot fill queues of {queues}",
        written.records
    );
    let mut first: Option<Vec<u8>> = None;
    let mut failures = Vec::new();
    for run in 0..RUNS {
        let (tracks, status) = replay(&tlog, tmp.path(), run);
        let last_s = last_scan_s(&tracks);
        let frames = count_after(&status, "finished");
        let detections = count_after(&status, "detections");
        println!(
            "run {run}: last scan {last_s:.3} s ({:.3} s short), {frames} frames, {detections} detections, {} bytes",
            expected_s - last_s,
            tracks.len()
        );
        if (last_s - expected_s).abs() > 0.0015 {
            failures.push(format!(
                "run {run}: the tracks stop at {last_s:.3} s, the detections at {expected_s:.3} s"
            ));
        }
        if (frames, detections) != (written.records, written.detections) {
            failures.push(format!(
                "run {run}: the last status counts {frames} frames and {detections} detections of {} and {}: {status}",
                written.records, written.detections
            ));
        }
        match &first {
            None => first = Some(tracks),
            Some(first) if *first != tracks => failures.push(format!(
                "run {run}: the tracks file differs from run 0's ({} against {} bytes)",
                tracks.len(),
                first.len()
            )),
            Some(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
