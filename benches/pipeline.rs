//! Decoding and world-update benchmark on a recording of 10 vehicles and 20 sensor nodes,
//! printed beside pymavlink's speed on the same file, measured in the same run.
//!
//! Run with `cargo bench --bench pipeline` (plain `main`, no criterion; it only prints
//! figures and never fails on speed).
//!
//! # Input
//! A tlog of 10 ArduCopters and 20 Vigil sensor nodes over 60 s, written to
//! `target/bench/vehicles10-60s.tlog` by `tests/tools/make_tlog.py` run with the venv python
//! that `tests/tools/setup-venv.sh` prints (the generator is deterministic: the same bytes
//! every run). `VIGIL_BENCH_TLOG=path` uses an existing recording instead. Without Python
//! and pymavlink the benchmark says so and exits non-zero (CI installs them).
//!
//! # What is measured
//! Stages 1 to 3 run on the calling thread only (one core), in process, on the bytes of the
//! file already in memory. Each is timed in `VIGIL_BENCH_REPEAT` (default 5) samples of at
//! least 100 ms, each of as many whole passes over the file as fit (a pass takes a few ms),
//! and reports the best sample's time per pass:
//!
//! 1. **parse**: `TlogReader` over the bytes: record framing, MAVLink framing and CRC
//!    (frames/s);
//! 2. **decode**: the same plus `Frame::decode` into typed messages (messages/s);
//! 3. **world**: the same plus an `Envelope` per message applied with `World::apply`,
//!    `World::tick` every 100 ms of message time, and a clone of the world (the snapshot)
//!    every 1024 messages, kept until the next one as the published snapshot is, so that
//!    copy-on-write entities are really copied (messages/s);
//! 4. **pipeline**: the real threaded pipeline (`Pipeline` with one `file:` link replaying
//!    with `ReplayPace::Fast`), timed from start until a snapshot says the replay finished
//!    (messages/s end to end), with the pipeline's own latency from a frame's arrival (read
//!    from the file) to the snapshot that first holds it, p50 and p99. In a fast replay the
//!    reader runs ahead of the world thread, so this latency includes waiting in the world
//!    queue (up to `WORLD_QUEUE_CAPACITY` frames), which links at live rates rarely see.
//!    Run `VIGIL_BENCH_REPEAT` times; the fastest run is reported, and every run's figures
//!    are shown (the first is usually slower: threads and caches are cold);
//! 5. **pymavlink**: `benches/pymavlink_decode.py FILE --repeat N` (parse + decode of every
//!    record, best of N) and the ratio of stage 2 to it.
//!
//! # Output
//! A table on stdout, then one JSON line starting `{"bench":"pipeline",`.
//!
//! # Correctness checks (the only ways it fails, besides missing tools)
//! Every pass must count the same frames and messages; Vigil must decode as many messages as
//! pymavlink (less pymavlink's BAD_DATA); the replay must deliver and apply every decoded
//! message, with nothing coalesced or dropped.

mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde::{Deserialize, Serialize};
use vigil_core::address::LinkAddress;
use vigil_core::time::TimeUs;
use vigil_link::{Envelope, LinkId, RxStamp};
use vigil_link::{LinkOptions, ReplayPace};
use vigil_protocol::tlog::TlogReader;
use vigil_station::{Folders, Pipeline, PipelineConfig, Snapshot};
use vigil_world::World;

/// Vehicles and simulated seconds of the generated recording (sensor nodes: the
/// generator's default of 20).
const VEHICLES: u32 = 10;
const SECONDS: u32 = 60;
/// Samples per stage (and replays, and pymavlink passes) when `VIGIL_BENCH_REPEAT` is not set.
const DEFAULT_REPEAT: usize = 5;
/// The shortest timed sample of an in-process stage: a pass over the recording takes a few
/// milliseconds, too short to time alone on a shared machine.
const MIN_SAMPLE: Duration = Duration::from_millis(100);
/// The world thread ages health this often (`vigil_station::TICK_PERIOD`), here in
/// message time.
const TICK_PERIOD: Duration = Duration::from_millis(100);
/// Messages between snapshots: the owner's largest batch before it publishes.
const SNAPSHOT_EVERY: u64 = 1024;
/// A replay that has not finished by then is reported as stuck.
const REPLAY_TIMEOUT: Duration = Duration::from_secs(120);

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("benches/pipeline.rs: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repeat = repeat_from_env()?;
    let python = common::venv_python(
        repo,
        &[],
        "Python with pymavlink is needed for the recording and the reference figure",
    )?;
    let tlog = match std::env::var_os("VIGIL_BENCH_TLOG") {
        Some(path) => PathBuf::from(path),
        None => make_tlog(repo, &python)?,
    };
    let bytes = std::fs::read(&tlog).with_context(|| format!("cannot read {}", tlog.display()))?;
    ensure!(!bytes.is_empty(), "{} is empty", tlog.display());
    eprintln!(
        "bench: {} ({} bytes), {repeat} samples per stage",
        tlog.display(),
        bytes.len()
    );

    let parse = best_of(repeat, "parse", || parse_pass(&bytes, &tlog))?;
    let decode = best_of(repeat, "decode", || decode_pass(&bytes, &tlog))?;
    let world = best_of(repeat, "world", || world_pass(&bytes, &tlog))?;
    ensure!(
        parse.counts.frames == decode.counts.frames && decode.counts == world.counts,
        "the stages disagree: parse {:?}, decode {:?}, world {:?}",
        parse.counts,
        decode.counts,
        world.counts
    );
    let counts = decode.counts;
    let pipeline_all = pipeline_runs(&tlog, repeat, counts)?;
    let pipeline = *pipeline_all
        .iter()
        .min_by_key(|run| run.wall)
        .context("no pipeline run")?;
    let pymavlink = run_pymavlink(repo, &python, &tlog, repeat)?;
    let reference = pymavlink.messages - pymavlink.bad_data;
    ensure!(
        counts.messages == reference,
        "Vigil decoded {} messages ({} records skipped), pymavlink {} ({} messages less {} \
         BAD_DATA). Note: pymavlink also counts frames whose message id is not in the dialect, \
         without a CRC check, as UNKNOWN_<id> messages, which Vigil skips as unknown",
        counts.messages,
        counts.errors,
        reference,
        pymavlink.messages,
        pymavlink.bad_data
    );

    let report = Report {
        tlog: tlog.display().to_string(),
        bytes: bytes.len(),
        repeat,
        counts,
        parse,
        decode,
        world,
        pipeline_msgs_per_s: counts.messages as f64 / pipeline.wall.as_secs_f64(),
        pipeline,
        pipeline_all,
        pymavlink,
    };
    report.print_table();
    println!("{}", report.json());
    Ok(())
}

/// `VIGIL_BENCH_REPEAT`, or the default.
fn repeat_from_env() -> Result<usize> {
    let Ok(text) = std::env::var("VIGIL_BENCH_REPEAT") else {
        return Ok(DEFAULT_REPEAT);
    };
    let repeat: usize = text
        .trim()
        .parse()
        .with_context(|| format!("VIGIL_BENCH_REPEAT={text:?} is not a whole number"))?;
    ensure!(repeat >= 1, "VIGIL_BENCH_REPEAT must be at least 1");
    Ok(repeat)
}

/// Writes the recording with pymavlink (deterministic, so regenerating it is safe and cheap).
fn make_tlog(repo: &Path, python: &Path) -> Result<PathBuf> {
    let dir = common::bench_dir(repo);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let out = dir.join(format!("vehicles{VEHICLES}-{SECONDS}s.tlog"));
    let status = Command::new(python)
        .arg(repo.join("tests/tools/make_tlog.py"))
        .arg(&out)
        .args([
            "--vehicles",
            &VEHICLES.to_string(),
            "--seconds",
            &SECONDS.to_string(),
        ])
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("cannot run {}", python.display()))?;
    ensure!(
        status.success(),
        "tests/tools/make_tlog.py failed ({status})"
    );
    Ok(out)
}

/// What one pass over the recording counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    /// Valid frames (framing and CRC passed).
    frames: u64,
    /// Frames that decoded into a message (stages 2 and 3).
    messages: u64,
    /// Records the reader skipped (corrupt or truncated) plus frames that did not decode.
    errors: u64,
}

/// A stage's time per pass over the whole recording (the best of its samples), and what
/// every pass counted.
#[derive(Debug, Clone, Copy)]
struct Timed {
    best: Duration,
    /// Passes in each timed sample.
    passes: u32,
    counts: Counts,
}

impl Timed {
    fn per_second(&self, count: u64) -> f64 {
        count as f64 / self.best.as_secs_f64()
    }
}

/// Times `pass` in `repeat` samples of at least [`MIN_SAMPLE`] each (whole passes, as many
/// as an untimed warm-up pass says fit) and keeps the best time per pass. Every pass must
/// count the same.
fn best_of(repeat: usize, name: &str, mut pass: impl FnMut() -> Counts) -> Result<Timed> {
    let started = Instant::now();
    let counts = black_box(pass());
    let warm_up = started.elapsed().max(Duration::from_nanos(1));
    ensure!(
        counts.frames > 0,
        "{name}: no MAVLink frame in the recording"
    );
    let passes = u32::try_from(MIN_SAMPLE.as_nanos().div_ceil(warm_up.as_nanos()))
        .unwrap_or(u32::MAX)
        .clamp(1, 10_000);
    let mut best = Duration::MAX;
    for _ in 0..repeat {
        let started = Instant::now();
        for _ in 0..passes {
            let again = black_box(pass());
            ensure!(
                again == counts,
                "{name}: passes counted differently: {counts:?} then {again:?}"
            );
        }
        best = best.min(started.elapsed() / passes);
    }
    Ok(Timed {
        best,
        passes,
        counts,
    })
}

/// Stage 1: record framing, MAVLink framing and CRC.
fn parse_pass(bytes: &[u8], path: &Path) -> Counts {
    let mut counts = Counts::default();
    for item in TlogReader::new(bytes, path) {
        match item {
            Ok(record) => {
                black_box(&record);
                counts.frames += 1;
            }
            Err(_) => counts.errors += 1,
        }
    }
    counts
}

/// Stage 2: stage 1 and decoding.
fn decode_pass(bytes: &[u8], path: &Path) -> Counts {
    let mut counts = Counts::default();
    for item in TlogReader::new(bytes, path) {
        let Ok(record) = item else {
            counts.errors += 1;
            continue;
        };
        counts.frames += 1;
        match record.frame.decode() {
            Ok(message) => {
                black_box(&message);
                counts.messages += 1;
            }
            Err(_) => counts.errors += 1,
        }
    }
    counts
}

/// Stage 3: stage 2 and the world thread's work on each message.
fn world_pass(bytes: &[u8], path: &Path) -> Counts {
    let mut counts = Counts::default();
    let mut world = World::new();
    // The latest snapshot, alive until replaced as the published one is.
    let mut snapshot = World::new();
    let mut next_tick: Option<TimeUs> = None;
    // The arrival instant does not matter to the world; one clock read per pass keeps the
    // stage about the world's work.
    let mono = Instant::now();
    for item in TlogReader::new(bytes, path) {
        let Ok(record) = item else {
            counts.errors += 1;
            continue;
        };
        counts.frames += 1;
        let message = match record.frame.decode() {
            Ok(message) => message,
            Err(_) => {
                counts.errors += 1;
                continue;
            }
        };
        let time = record.time;
        let envelope = Envelope {
            link: LinkId(0),
            rx: RxStamp { time, mono },
            frame: record.frame,
            message,
        };
        world.apply(&envelope);
        counts.messages += 1;
        let due = *next_tick.get_or_insert(time.plus(TICK_PERIOD));
        if time >= due {
            world.tick(time);
            next_tick = Some(time.plus(TICK_PERIOD));
        }
        if counts.messages % SNAPSHOT_EVERY == 0 {
            snapshot = world.clone();
        }
    }
    black_box(&snapshot);
    black_box(&world);
    counts
}

/// One replay through the threaded pipeline.
#[derive(Debug, Clone, Copy)]
struct PipelineRun {
    wall: Duration,
    latency_p50: Duration,
    latency_p99: Duration,
    latency_samples: u64,
    coalesced: u64,
    dropped: u64,
}

/// Stage 4: replays the recording `repeat` times.
fn pipeline_runs(tlog: &Path, repeat: usize, counts: Counts) -> Result<Vec<PipelineRun>> {
    (0..repeat).map(|_| pipeline_run(tlog, counts)).collect()
}

fn pipeline_run(tlog: &Path, counts: Counts) -> Result<PipelineRun> {
    let folders = tempfile::tempdir()?;
    let config = PipelineConfig {
        links: vec![LinkAddress::File {
            path: tlog.to_owned(),
        }],
        link_options: LinkOptions {
            replay: ReplayPace::Fast,
            ..Default::default()
        },
        ..PipelineConfig::new(Folders::under(folders.path()))
    };
    let started = Instant::now();
    let pipeline = Pipeline::start(config).context("cannot start the pipeline")?;
    let station = pipeline.station();
    // Polled every millisecond (not GroundStation::wait_for's 10 ms) so the wall time is
    // close to the moment the last frame reached a snapshot.
    let snapshot: std::sync::Arc<Snapshot> = loop {
        let snapshot = station.snapshot();
        if snapshot.replays_finished() {
            break snapshot;
        }
        ensure!(
            started.elapsed() < REPLAY_TIMEOUT,
            "the replay did not finish within {REPLAY_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    let wall = started.elapsed();
    pipeline.shutdown();

    let view = snapshot.pipeline;
    let link = snapshot
        .links
        .first()
        .context("the snapshot lists no link")?;
    if let vigil_link::LinkState::Failed(reason) = &link.stats.state {
        bail!("the replay failed: {reason}");
    }
    ensure!(
        link.stats.frames_rx == counts.frames,
        "the replay read {} frames, the in-process parser {}",
        link.stats.frames_rx,
        counts.frames
    );
    ensure!(
        snapshot.world.frames_applied == counts.messages,
        "the replay applied {} messages to the world, {} were decoded in process",
        snapshot.world.frames_applied,
        counts.messages
    );
    ensure!(
        view.coalesced == 0 && view.dropped == 0,
        "a replay must lose nothing, but {} frames were coalesced and {} dropped",
        view.coalesced,
        view.dropped
    );
    ensure!(
        view.latency_samples == counts.messages,
        "{} latency samples for {} messages",
        view.latency_samples,
        counts.messages
    );
    Ok(PipelineRun {
        wall,
        latency_p50: view.latency_p50.context("no latency p50")?,
        latency_p99: view.latency_p99.context("no latency p99")?,
        latency_samples: view.latency_samples,
        coalesced: view.coalesced,
        dropped: view.dropped,
    })
}

/// The line `benches/pymavlink_decode.py` prints (the fields used here).
#[derive(Debug, Deserialize)]
struct Pymavlink {
    version: String,
    messages: u64,
    bad_data: u64,
    messages_per_s: f64,
    /// The fastest pass.
    seconds: f64,
    crc: String,
    python: String,
}

/// Stage 5: pymavlink on the same file.
fn run_pymavlink(repo: &Path, python: &Path, tlog: &Path, repeat: usize) -> Result<Pymavlink> {
    let output = Command::new(python)
        .arg(repo.join("benches/pymavlink_decode.py"))
        .arg(tlog)
        .args(["--repeat", &repeat.to_string()])
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    ensure!(
        output.status.success(),
        "benches/pymavlink_decode.py failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim_end()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("benches/pymavlink_decode.py printed nothing")?;
    serde_json::from_str(line)
        .with_context(|| format!("benches/pymavlink_decode.py printed {line:?}"))
}

/// Everything printed.
struct Report {
    tlog: String,
    bytes: usize,
    repeat: usize,
    counts: Counts,
    parse: Timed,
    decode: Timed,
    world: Timed,
    /// The fastest replay, and all of them in order.
    pipeline: PipelineRun,
    pipeline_all: Vec<PipelineRun>,
    pipeline_msgs_per_s: f64,
    pymavlink: Pymavlink,
}

impl Report {
    fn ratio(&self) -> f64 {
        self.decode.per_second(self.counts.messages) / self.pymavlink.messages_per_s
    }

    fn print_table(&self) {
        let c = self.counts;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let us = |d: Duration| d.as_secs_f64() * 1e6;
        println!();
        println!("Vigil pipeline benchmark: {}", self.tlog);
        println!(
            "  {} bytes, {} frames, {} messages, {} errors",
            self.bytes, c.frames, c.messages, c.errors
        );
        println!(
            "  stages 1-3: best of {} samples of {}/{}/{} passes; 4: best of {} runs; 5: best of {} passes",
            self.repeat,
            self.parse.passes,
            self.decode.passes,
            self.world.passes,
            self.repeat,
            self.repeat
        );
        println!();
        println!(
            "  {:<44} {:>10} {:>14}",
            "stage (one core unless said)", "ms/pass", "per second"
        );
        println!("  {:-<44} {:->10} {:->14}", "", "", "");
        let row = |name: &str, timed: &Timed, count: u64, unit: &str| {
            println!(
                "  {name:<44} {:>10.2} {:>14.0} {unit}",
                ms(timed.best),
                timed.per_second(count)
            );
        };
        row(
            "1. parse: TlogReader, framing + CRC",
            &self.parse,
            c.frames,
            "frames",
        );
        row(
            "2. + decode: Frame::decode",
            &self.decode,
            c.messages,
            "msgs",
        );
        row(
            "3. + world: apply, tick, snapshot/1024",
            &self.world,
            c.messages,
            "msgs",
        );
        println!(
            "  {:<44} {:>10.2} {:>14.0} msgs",
            "4. threaded pipeline, fast replay (wall)",
            ms(self.pipeline.wall),
            self.pipeline_msgs_per_s
        );
        println!(
            "  {:<44} {:>10.2} {:>14.0} msgs",
            format!(
                "5. pymavlink {} ({}, python {})",
                self.pymavlink.version, self.pymavlink.crc, self.pymavlink.python
            ),
            self.pymavlink.seconds * 1e3,
            self.pymavlink.messages_per_s
        );
        println!();
        println!(
            "  decode, Vigil / pymavlink:           {:>8.1} x",
            self.ratio()
        );
        println!(
            "  arrival -> snapshot latency (fastest run 4): p50 {:.0} us, p99 {:.0} us over {} messages",
            us(self.pipeline.latency_p50),
            us(self.pipeline.latency_p99),
            self.pipeline.latency_samples
        );
        let runs: Vec<String> = self
            .pipeline_all
            .iter()
            .map(|run| {
                format!(
                    "{:.1} ms {:.0}/{:.0}",
                    ms(run.wall),
                    us(run.latency_p50),
                    us(run.latency_p99)
                )
            })
            .collect();
        println!("  every run 4 (wall, p50/p99 us): {}", runs.join("; "));
        println!(
            "  replay losses: coalesced {}, dropped {}",
            self.pipeline.coalesced, self.pipeline.dropped
        );
        println!();
    }

    fn json(&self) -> String {
        let c = self.counts;
        let round = |x: f64| (x * 10.0).round() / 10.0;
        let us = |d: Duration| round(d.as_secs_f64() * 1e6);
        let line = JsonLine {
            bench: "pipeline",
            messages: c.messages,
            parse_frames_per_s: round(self.parse.per_second(c.frames)),
            decode_msgs_per_s: round(self.decode.per_second(c.messages)),
            world_msgs_per_s: round(self.world.per_second(c.messages)),
            pipeline_msgs_per_s: round(self.pipeline_msgs_per_s),
            latency_p50_us: us(self.pipeline.latency_p50),
            latency_p99_us: us(self.pipeline.latency_p99),
            pymavlink_msgs_per_s: self.pymavlink.messages_per_s,
            ratio_decode_vs_pymavlink: (self.ratio() * 100.0).round() / 100.0,
            frames: c.frames,
            latency_samples: self.pipeline.latency_samples,
            coalesced: self.pipeline.coalesced,
            dropped: self.pipeline.dropped,
            repeat: self.repeat,
            tlog_bytes: self.bytes,
        };
        serde_json::to_string(&line).expect("a struct of numbers serializes")
    }
}

/// The closing JSON line, fields in this order.
#[derive(Serialize)]
struct JsonLine {
    bench: &'static str,
    messages: u64,
    parse_frames_per_s: f64,
    decode_msgs_per_s: f64,
    world_msgs_per_s: f64,
    pipeline_msgs_per_s: f64,
    latency_p50_us: f64,
    latency_p99_us: f64,
    pymavlink_msgs_per_s: f64,
    ratio_decode_vs_pymavlink: f64,
    frames: u64,
    latency_samples: u64,
    coalesced: u64,
    dropped: u64,
    repeat: usize,
    tlog_bytes: usize,
}
