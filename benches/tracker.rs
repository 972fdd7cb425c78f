//! Tracker benchmark: detections per second through `tracking::Tracker` with 1,000 live
//! tracks, printed beside Stone Soup's speed on the same detections in the same run, with
//! both trackers' mean OSPA against the ground truth.
//!
//! Run with `cargo bench --bench tracker` (plain `main`, no criterion; it only prints figures
//! and never fails on speed). Options after `--`: `--scans N` (scans generated and run
//! through Vigil, default 60), `--stonesoup-scans K` (the first K of them run through Stone
//! Soup, and the comparison made on those, default 25; `all` for every scan), `--warmup W`
//! (scans not scored by OSPA, default 10), `--repeat R` (Vigil runs, the fastest reported,
//! default `VIGIL_BENCH_REPEAT` or 1), `--targets T` (default 1,000; fewer only to check the
//! bench itself quickly).
//!
//! # Scenario (deterministic: the same bytes every run, from a seeded generator of its own)
//! 1,000 targets in a 20 km x 20 km ENU plane (-10 km to 10 km on each axis), each starting
//! at a uniform position with a uniform heading and a uniform speed of 0.5 to 15 m/s, moving
//! with near-constant velocity (white acceleration noise, 0.01 m²/s³). A scan a second:
//! each target is detected with probability 0.9 as a position with 5 m Gaussian noise on
//! each axis, and 20 clutter detections fall uniformly over the plane; the detections of a
//! scan are shuffled. Written to `target/bench/tracker-1000x<N>-detections.csv`
//! (`time_s,x_m,y_m,std_m`) and `...-truth.csv` (`time_s,id,x_m,y_m`), numbers in Rust's
//! shortest round-trip form, so that Python reads exactly the values Vigil is given.
//!
//! # What is measured
//! 1. **Vigil**: `Tracker::new(TrackerConfig::default())` (constant velocity, q = 0.3 m²/s³,
//!    gate 0.99, GNN, 3-of-5 confirmation, 30 s coast), `step` once per scan on the calling
//!    thread; only the `step` calls are timed (the `Detection`s are built beforehand, the
//!    OSPA computed after each step, outside the timing). After the first few scans the
//!    tracker holds about 1,000 confirmed tracks plus the tentative ones from clutter.
//! 2. **Stone Soup**: `benches/stonesoup_tracker.py` on the same CSV files, run with the
//!    venv python of `tests/tools/setup-venv.sh --with-stonesoup` (pinned Stone Soup, numpy,
//!    scipy; numeric libraries held to one thread), the closest Stone Soup components (its
//!    documentation lists them and what still differs). Stone Soup takes about 20 s a scan
//!    with 1,000 tracks here, so it runs on the first K scans only (25 by default: about
//!    8 minutes), and the comparison is on those K scans for both.
//!
//! OSPA (c = 50 m, p = 2) between the confirmed tracks' positions and the truth at each scan
//! from index W on (W = warm-up), averaged; Vigil's with `tracking::ospa`, Stone Soup's
//! with the same definition in numpy/scipy (and cross-checked there with Stone Soup's own
//! `OSPAMetric` on its last scan).
//!
//! # Output
//! A table on stdout, then one JSON line starting `{"bench":"tracker",`.
//!
//! # Correctness checks (the only ways it fails)
//! Stone Soup must be installable and run; it must have read as many detections in its K
//! scans as Vigil was given and scored as many scans; every OSPA must be finite; Vigil must
//! reject no detection; repeated Vigil runs must give the same tracks (same counts and OSPA).

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use nalgebra::Vector2;
use serde::{Deserialize, Serialize};
use vigil_core::rng::Rng;
use vigil_tracking::{
    ClassHint, Detection, Measurement, PositionNoise, Tracker, TrackerConfig, ospa,
};

/// Targets in the scenario (`--targets` changes it, for a quick check of the bench itself).
const TARGETS: usize = 1000;
/// Half the side of the square the targets start in and the clutter falls in, metres.
const HALF_SIDE_M: f64 = 10_000.0;
/// Target speeds, m/s.
const SPEED_MIN_MPS: f64 = 0.5;
const SPEED_MAX_MPS: f64 = 15.0;
/// The truth's white acceleration noise, m²/s³: near-constant velocity (the trackers assume
/// 0.3).
const TRUTH_Q_M2PS3: f64 = 0.01;
/// Seconds between scans.
const SCAN_INTERVAL_S: f64 = 1.0;
/// Detection noise, metres on each axis.
const NOISE_STD_M: f64 = 5.0;
/// Probability that a target is detected in a scan.
const PD: f64 = 0.9;
/// Clutter detections per scan, uniform over the square.
const CLUTTER_PER_SCAN: usize = 20;
/// The generator's seed.
const SEED: u64 = 0x5649_4749_4c54_524b;
/// OSPA cut-off and order.
const OSPA_C_M: f64 = 50.0;
const OSPA_P: f64 = 2.0;
/// Defaults of the options.
const DEFAULT_SCANS: usize = 60;
const DEFAULT_STONESOUP_SCANS: usize = 25;
const DEFAULT_WARMUP: usize = 10;
/// All detections come from one sensor, so the tracker associates each scan in one batch.
const SOURCE_ID: u32 = 1;

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("benches/tracker.rs: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = Options::parse()?;
    let python = common::venv_python(
        repo,
        &["--with-stonesoup"],
        "Python 3.10+ with Stone Soup from PyPI is needed for the reference figure",
    )?;

    let scenario = Scenario::generate(options.targets, options.scans);
    let (detections_csv, truth_csv) = scenario.write_csv(&common::bench_dir(repo))?;
    eprintln!(
        "bench: {} targets, {} scans, {} detections -> {}, truth -> {}",
        options.targets,
        options.scans,
        scenario.detection_count(options.scans),
        detections_csv.display(),
        truth_csv.display()
    );

    let mut runs = Vec::with_capacity(options.repeat);
    for i in 0..options.repeat {
        let run = run_vigil(&scenario, options.warmup)?;
        eprintln!(
            "bench: Vigil run {}/{}: {:.2} s tracking, {} live tracks at the end",
            i + 1,
            options.repeat,
            run.seconds(options.scans),
            run.scans.last().map_or(0, |s| s.live_tracks)
        );
        if let Some(first) = runs.first() {
            ensure!(
                VigilRun::same_tracks(first, &run),
                "two Vigil runs on the same detections gave different tracks"
            );
        }
        runs.push(run);
    }
    let k = options.stonesoup_scans;
    // The fastest run, over all scans and over the compared ones.
    let fastest = |n: usize| {
        runs.iter()
            .min_by(|a, b| a.seconds(n).total_cmp(&b.seconds(n)))
            .expect("at least one run")
    };
    let vigil_full = fastest(options.scans).summary(options.scans, options.warmup);
    let vigil_k = fastest(k).summary(k, options.warmup);

    eprintln!(
        "bench: Stone Soup on the first {k} scans ({} detections; with 1,000 tracks it takes \
         about 20 s a scan)...",
        vigil_k.detections
    );
    let stonesoup = run_stonesoup(
        repo,
        &python,
        &detections_csv,
        &truth_csv,
        k,
        options.warmup,
    )?;
    ensure!(
        stonesoup.detections == vigil_k.detections,
        "Stone Soup read {} detections in its {} scans, Vigil was given {}",
        stonesoup.detections,
        stonesoup.scans,
        vigil_k.detections
    );
    ensure!(
        stonesoup.scans == k && stonesoup.ospa_scans == vigil_k.ospa_scans,
        "Stone Soup ran {} scans and scored {}, Vigil {k} and {}",
        stonesoup.scans,
        stonesoup.ospa_scans,
        vigil_k.ospa_scans
    );
    ensure!(
        stonesoup.mean_ospa_m.is_finite() && stonesoup.detections_per_s.is_finite(),
        "Stone Soup's figures are not finite: {stonesoup:?}"
    );

    let report = Report {
        options,
        detections_csv,
        truth_csv,
        vigil_full,
        vigil_k,
        stonesoup,
        wall: started.elapsed(),
    };
    report.print_table();
    println!("{}", report.json());
    Ok(())
}

/// The command-line options (after `cargo bench --bench tracker --`).
#[derive(Debug, Clone, Copy)]
struct Options {
    targets: usize,
    scans: usize,
    stonesoup_scans: usize,
    warmup: usize,
    repeat: usize,
}

impl Options {
    fn parse() -> Result<Self> {
        let repeat = match std::env::var("VIGIL_BENCH_REPEAT") {
            Ok(text) => parse_count("VIGIL_BENCH_REPEAT", &text)?,
            Err(_) => 1,
        };
        let mut options = Self {
            targets: TARGETS,
            scans: DEFAULT_SCANS,
            stonesoup_scans: DEFAULT_STONESOUP_SCANS,
            warmup: DEFAULT_WARMUP,
            repeat,
        };
        let mut stonesoup_all = false;
        let mut stonesoup_given = false;
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            // `cargo bench` passes --bench; libtest's other flags mean nothing here.
            if arg == "--bench" {
                continue;
            }
            let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
            match arg.as_str() {
                "--scans" => options.scans = parse_count(&arg, &value()?)?,
                "--stonesoup-scans" => {
                    let text = value()?;
                    stonesoup_given = true;
                    if text == "all" {
                        stonesoup_all = true;
                    } else {
                        options.stonesoup_scans = parse_count(&arg, &text)?;
                    }
                }
                "--warmup" => {
                    let text = value()?;
                    options.warmup = text
                        .trim()
                        .parse()
                        .with_context(|| format!("--warmup {text:?} is not a whole number"))?;
                }
                "--targets" => options.targets = parse_count(&arg, &value()?)?,
                "--repeat" => options.repeat = parse_count(&arg, &value()?)?,
                other => bail!(
                    "unknown option {other:?} (options: --scans N, --stonesoup-scans K|all, \
                     --warmup W, --repeat R, --targets T)"
                ),
            }
        }
        if stonesoup_all {
            options.stonesoup_scans = options.scans;
        } else if !stonesoup_given {
            options.stonesoup_scans = options.stonesoup_scans.min(options.scans);
        }
        ensure!(
            options.stonesoup_scans <= options.scans,
            "--stonesoup-scans {} is more than the {} scans generated",
            options.stonesoup_scans,
            options.scans
        );
        ensure!(
            options.warmup < options.stonesoup_scans,
            "--warmup {} leaves no scan of the {} compared to score",
            options.warmup,
            options.stonesoup_scans
        );
        Ok(options)
    }
}

/// A whole number of at least 1.
fn parse_count(name: &str, text: &str) -> Result<usize> {
    let n: usize = text
        .trim()
        .parse()
        .with_context(|| format!("{name} {text:?} is not a whole number"))?;
    ensure!(n >= 1, "{name} must be at least 1");
    Ok(n)
}

/// One detection as written to the CSV.
#[derive(Debug, Clone, Copy)]
struct Plot {
    x_m: f64,
    y_m: f64,
    std_m: f64,
}

/// One scan: its time, the detections (shuffled) and where every target really was.
struct ScanData {
    time_s: f64,
    plots: Vec<Plot>,
    /// (target id, position), by id.
    truth: Vec<(u64, Vector2<f64>)>,
}

struct Scenario {
    targets: usize,
    scans: Vec<ScanData>,
}

impl Scenario {
    fn generate(n_targets: usize, n_scans: usize) -> Self {
        let mut rng = Rng::new(SEED);
        // [x, y, v_e, v_n] per target.
        let mut targets: Vec<[f64; 4]> = (0..n_targets)
            .map(|_| {
                let x = rng.range(-HALF_SIDE_M, HALF_SIDE_M);
                let y = rng.range(-HALF_SIDE_M, HALF_SIDE_M);
                let speed = rng.range(SPEED_MIN_MPS, SPEED_MAX_MPS);
                let heading = rng.range(0.0, std::f64::consts::TAU);
                [x, y, speed * heading.sin(), speed * heading.cos()]
            })
            .collect();
        // Exact discretisation of white acceleration noise over one interval: per axis,
        // (dp, dv) ~ N(0, q [[dt³/3, dt²/2], [dt²/2, dt]]), drawn through its Cholesky factor.
        let dt = SCAN_INTERVAL_S;
        let l11 = (TRUTH_Q_M2PS3 * dt.powi(3) / 3.0).sqrt();
        let l21 = TRUTH_Q_M2PS3 * dt * dt / 2.0 / l11;
        let l22 = (TRUTH_Q_M2PS3 * dt - l21 * l21).sqrt();
        let mut scans = Vec::with_capacity(n_scans);
        for k in 0..n_scans {
            if k > 0 {
                for t in &mut targets {
                    for axis in 0..2 {
                        let (a, b) = (rng.normal(), rng.normal());
                        t[axis] += t[axis + 2] * dt + l11 * a;
                        t[axis + 2] += l21 * a + l22 * b;
                    }
                }
            }
            let mut plots = Vec::with_capacity(n_targets + CLUTTER_PER_SCAN);
            for t in &targets {
                if rng.uniform() < PD {
                    plots.push(Plot {
                        x_m: t[0] + NOISE_STD_M * rng.normal(),
                        y_m: t[1] + NOISE_STD_M * rng.normal(),
                        std_m: NOISE_STD_M,
                    });
                }
            }
            for _ in 0..CLUTTER_PER_SCAN {
                plots.push(Plot {
                    x_m: rng.range(-HALF_SIDE_M, HALF_SIDE_M),
                    y_m: rng.range(-HALF_SIDE_M, HALF_SIDE_M),
                    std_m: NOISE_STD_M,
                });
            }
            // Fisher-Yates, so that detection order says nothing about the target.
            for i in (1..plots.len()).rev() {
                plots.swap(i, rng.below(i + 1));
            }
            scans.push(ScanData {
                time_s: k as f64 * SCAN_INTERVAL_S,
                plots,
                truth: targets
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (i as u64 + 1, Vector2::new(t[0], t[1])))
                    .collect(),
            });
        }
        Self {
            targets: n_targets,
            scans,
        }
    }

    /// Detections in the first `n` scans.
    fn detection_count(&self, n: usize) -> usize {
        self.scans.iter().take(n).map(|s| s.plots.len()).sum()
    }

    /// Writes the detections and the truth CSVs; returns their paths.
    fn write_csv(&self, dir: &Path) -> Result<(PathBuf, PathBuf)> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let stem = format!("tracker-{}x{}", self.targets, self.scans.len());
        let det_path = dir.join(format!("{stem}-detections.csv"));
        let truth_path = dir.join(format!("{stem}-truth.csv"));
        let mut det = String::from("time_s,x_m,y_m,std_m\n");
        let mut truth = String::from("time_s,id,x_m,y_m\n");
        for scan in &self.scans {
            let t = scan.time_s;
            for p in &scan.plots {
                let _ = writeln!(det, "{t},{},{},{}", p.x_m, p.y_m, p.std_m);
            }
            for (id, pos) in &scan.truth {
                let _ = writeln!(truth, "{t},{id},{},{}", pos.x, pos.y);
            }
        }
        std::fs::write(&det_path, det)
            .with_context(|| format!("cannot write {}", det_path.display()))?;
        std::fs::write(&truth_path, truth)
            .with_context(|| format!("cannot write {}", truth_path.display()))?;
        Ok((det_path, truth_path))
    }
}

/// What one scan of a Vigil run gave.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ScanResult {
    /// Time in `Tracker::step`.
    step: Duration,
    detections: usize,
    live_tracks: usize,
    confirmed_tracks: usize,
    /// OSPA of the confirmed tracks against the truth, from the warm-up on.
    ospa_m: Option<f64>,
}

/// One run of Vigil's tracker over every scan.
struct VigilRun {
    scans: Vec<ScanResult>,
}

impl VigilRun {
    /// Tracking time of the first `n` scans, seconds.
    fn seconds(&self, n: usize) -> f64 {
        self.scans
            .iter()
            .take(n)
            .map(|s| s.step.as_secs_f64())
            .sum()
    }

    /// Whether two runs gave the same tracks (everything but the times).
    fn same_tracks(a: &Self, b: &Self) -> bool {
        a.scans.len() == b.scans.len()
            && a.scans.iter().zip(&b.scans).all(|(x, y)| {
                (x.detections, x.live_tracks, x.confirmed_tracks, x.ospa_m)
                    == (y.detections, y.live_tracks, y.confirmed_tracks, y.ospa_m)
            })
    }

    /// Figures of the first `n` scans.
    fn summary(&self, n: usize, warmup: usize) -> VigilSummary {
        let scans = &self.scans[..n.min(self.scans.len())];
        let seconds = self.seconds(n);
        let detections: usize = scans.iter().map(|s| s.detections).sum();
        let ospas: Vec<f64> = scans.iter().filter_map(|s| s.ospa_m).collect();
        let scored = &scans[warmup.min(scans.len())..];
        let live: Vec<usize> = scored.iter().map(|s| s.live_tracks).collect();
        let last = scans.last().copied();
        VigilSummary {
            scans: scans.len(),
            detections,
            seconds,
            detections_per_s: detections as f64 / seconds,
            mean_ospa_m: ospas.iter().sum::<f64>() / ospas.len().max(1) as f64,
            ospa_scans: ospas.len(),
            live_tracks: last.map_or(0, |s| s.live_tracks),
            confirmed_tracks: last.map_or(0, |s| s.confirmed_tracks),
            live_min: live.iter().copied().min().unwrap_or(0),
            live_max: live.iter().copied().max().unwrap_or(0),
            live_mean: live.iter().sum::<usize>() as f64 / live.len().max(1) as f64,
            ms_per_scan_after_warmup: scored.iter().map(|s| s.step.as_secs_f64()).sum::<f64>()
                * 1e3
                / scored.len().max(1) as f64,
        }
    }
}

/// Vigil's figures over the first n scans.
#[derive(Debug, Clone, Copy)]
struct VigilSummary {
    scans: usize,
    detections: usize,
    seconds: f64,
    detections_per_s: f64,
    mean_ospa_m: f64,
    ospa_scans: usize,
    /// After the last scan.
    live_tracks: usize,
    confirmed_tracks: usize,
    /// Live tracks over the scored scans.
    live_min: usize,
    live_max: usize,
    live_mean: f64,
    ms_per_scan_after_warmup: f64,
}

/// Runs Vigil's tracker over every scan of the scenario.
fn run_vigil(scenario: &Scenario, warmup: usize) -> Result<VigilRun> {
    let mut tracker =
        Tracker::new(TrackerConfig::default()).context("the default tracker config is invalid")?;
    // Built outside the timing, like Stone Soup's Detection objects.
    let batches: Vec<Vec<Detection>> = scenario
        .scans
        .iter()
        .map(|scan| {
            scan.plots
                .iter()
                .map(|p| Detection {
                    time_s: scan.time_s,
                    sensor_pos_enu_m: Vector2::zeros(),
                    measurement: Measurement::Position {
                        pos_enu_m: Vector2::new(p.x_m, p.y_m),
                        noise: PositionNoise::Isotropic { std_m: p.std_m },
                    },
                    class_hint: ClassHint::Unknown,
                    count: None,
                    confidence: 1.0,
                    source_id: SOURCE_ID,
                })
                .collect()
        })
        .collect();
    let mut scans = Vec::with_capacity(batches.len());
    for (index, (scan, detections)) in scenario.scans.iter().zip(&batches).enumerate() {
        let started = Instant::now();
        let report = tracker
            .step(scan.time_s, detections)
            .with_context(|| format!("Tracker::step failed at t = {} s", scan.time_s))?;
        let step = started.elapsed();
        ensure!(
            report.rejected.is_empty(),
            "the tracker rejected {} detections at t = {} s, the first: {:?}",
            report.rejected.len(),
            scan.time_s,
            report.rejected[0]
        );
        let ospa_m = if index >= warmup {
            let estimates: Vec<Vector2<f64>> = tracker
                .confirmed_tracks()
                .map(|t| t.state.pos_enu_m())
                .collect();
            let truths: Vec<Vector2<f64>> = scan.truth.iter().map(|(_, p)| *p).collect();
            let value = ospa(&estimates, &truths, OSPA_C_M, OSPA_P)
                .with_context(|| format!("OSPA at t = {} s", scan.time_s))?;
            ensure!(
                value.is_finite(),
                "Vigil's OSPA at t = {} s is {value}",
                scan.time_s
            );
            Some(value)
        } else {
            None
        };
        scans.push(ScanResult {
            step,
            detections: detections.len(),
            live_tracks: tracker.tracks().len(),
            confirmed_tracks: tracker.confirmed_tracks().count(),
            ospa_m,
        });
    }
    Ok(VigilRun { scans })
}

/// The line `benches/stonesoup_tracker.py` prints (the fields used here).
#[derive(Debug, Clone, Deserialize)]
struct StoneSoup {
    version: String,
    detections: usize,
    scans: usize,
    seconds: f64,
    detections_per_s: f64,
    mean_ospa_m: f64,
    ospa_scans: usize,
    live_tracks: usize,
    confirmed_tracks: usize,
    holding_tracks: usize,
    initiator: String,
    python: String,
    #[serde(default)]
    ospametric_last_scan_m: Option<f64>,
    #[serde(default)]
    ospa_last_scan_m: Option<f64>,
    /// Wall time of the whole script (reading, building, tracking, scoring), filled here.
    #[serde(skip)]
    process_wall: Duration,
}

/// Runs `benches/stonesoup_tracker.py` on the first `scans` scans; its progress goes to
/// stderr as it runs.
fn run_stonesoup(
    repo: &Path,
    python: &Path,
    detections_csv: &Path,
    truth_csv: &Path,
    scans: usize,
    warmup: usize,
) -> Result<StoneSoup> {
    let started = Instant::now();
    let output = Command::new(python)
        .arg(repo.join("benches/stonesoup_tracker.py"))
        .arg(detections_csv)
        .arg(truth_csv)
        .args([
            "--scans",
            &scans.to_string(),
            "--warmup",
            &warmup.to_string(),
            "--ospa-c",
            &OSPA_C_M.to_string(),
            "--ospa-p",
            &OSPA_P.to_string(),
            "--progress",
        ])
        // One core, like Vigil's tracker: no BLAS or OpenMP threads.
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .env("MKL_NUM_THREADS", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    ensure!(
        output.status.success(),
        "benches/stonesoup_tracker.py failed ({}); its errors are above",
        output.status
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .context("benches/stonesoup_tracker.py printed nothing")?;
    let mut result: StoneSoup = serde_json::from_str(line)
        .with_context(|| format!("benches/stonesoup_tracker.py printed {line:?}"))?;
    result.process_wall = started.elapsed();
    Ok(result)
}

/// Everything printed.
struct Report {
    options: Options,
    detections_csv: PathBuf,
    truth_csv: PathBuf,
    /// Vigil over every scan, and over the first K (the ones Stone Soup ran).
    vigil_full: VigilSummary,
    vigil_k: VigilSummary,
    stonesoup: StoneSoup,
    wall: Duration,
}

impl Report {
    fn ratio(&self) -> f64 {
        self.vigil_k.detections_per_s / self.stonesoup.detections_per_s
    }

    fn print_table(&self) {
        let o = &self.options;
        let (v, s, f) = (&self.vigil_k, &self.stonesoup, &self.vigil_full);
        println!();
        println!(
            "Vigil tracker benchmark: {} targets, {} scans at {SCAN_INTERVAL_S} s, \
             20 km x 20 km, speeds {SPEED_MIN_MPS}-{SPEED_MAX_MPS} m/s",
            o.targets, o.scans
        );
        println!(
            "  Position detections, {NOISE_STD_M} m noise, Pd {PD}, {CLUTTER_PER_SCAN} clutter \
             a scan; {} detections in all",
            f.detections
        );
        println!(
            "  inputs: {} and {}",
            self.detections_csv.display(),
            self.truth_csv.display()
        );
        println!(
            "  OSPA c = {OSPA_C_M} m, p = {OSPA_P}, confirmed tracks vs truth, mean over scans \
             {}..={} (the first {} are warm-up)",
            o.warmup,
            v.scans - 1,
            o.warmup
        );
        println!(
            "  compared on the first {} of {} scans (Stone Soup is slow with 1,000 tracks); \
             times are tracking only, one core",
            v.scans, o.scans
        );
        println!();
        println!(
            "  {:<36} {:>5} {:>10} {:>10} {:>13} {:>10} {:>16}",
            "tracker",
            "scans",
            "detections",
            "seconds",
            "detections/s",
            "mean OSPA",
            "live (confirmed)"
        );
        println!(
            "  {:-<36} {:->5} {:->10} {:->10} {:->13} {:->10} {:->16}",
            "", "", "", "", "", "", ""
        );
        let row = |name: &str,
                   scans: usize,
                   dets: usize,
                   secs: f64,
                   rate: f64,
                   ospa: f64,
                   live: usize,
                   conf: usize| {
            println!(
                "  {name:<36} {scans:>5} {dets:>10} {secs:>10.3} {rate:>13.0} {:>8.2} m {:>16}",
                ospa,
                format!("{live} ({conf})")
            );
        };
        row(
            "Vigil (Rust, release)",
            v.scans,
            v.detections,
            v.seconds,
            v.detections_per_s,
            v.mean_ospa_m,
            v.live_tracks,
            v.confirmed_tracks,
        );
        row(
            &format!("Stone Soup {} (Python {})", s.version, s.python),
            s.scans,
            s.detections,
            s.seconds,
            s.detections_per_s,
            s.mean_ospa_m,
            s.live_tracks,
            s.confirmed_tracks,
        );
        println!();
        println!(
            "  speed, Vigil / Stone Soup:   {:>10.1} x   (same {} scans, same detections)",
            self.ratio(),
            v.scans
        );
        println!(
            "  Vigil over all {} scans:      {:.0} detections/s ({:.3} s), mean OSPA {:.2} m over \
             {} scans, {:.1} ms a scan after warm-up",
            f.scans,
            f.detections_per_s,
            f.seconds,
            f.mean_ospa_m,
            f.ospa_scans,
            f.ms_per_scan_after_warmup
        );
        println!(
            "  Vigil live tracks after warm-up (all {} scans): mean {:.0}, min {}, max {}; \
             {} at the end, {} of them confirmed",
            f.scans, f.live_mean, f.live_min, f.live_max, f.live_tracks, f.confirmed_tracks
        );
        println!(
            "  Stone Soup live tracks at its last scan: {} confirmed + {} held by its initiator; \
             initiator {}",
            s.confirmed_tracks, s.holding_tracks, s.initiator
        );
        if let (Some(check), Some(own)) = (s.ospametric_last_scan_m, s.ospa_last_scan_m) {
            println!(
                "  Stone Soup OSPA on its last scan: {own:.3} m (numpy), {check:.3} m (its own \
                 OSPAMetric, which assigns on min(d, c) rather than min(d, c)^p)"
            );
        }
        println!(
            "  Stone Soup script wall time {:.0} s; whole bench {:.0} s",
            s.process_wall.as_secs_f64(),
            self.wall.as_secs_f64()
        );
        println!();
    }

    fn json(&self) -> String {
        let (v, s, f) = (&self.vigil_k, &self.stonesoup, &self.vigil_full);
        let r1 = |x: f64| (x * 10.0).round() / 10.0;
        let r3 = |x: f64| (x * 1000.0).round() / 1000.0;
        let line = JsonLine {
            bench: "tracker",
            targets: self.options.targets,
            compared_scans: v.scans,
            warmup: self.options.warmup,
            detections: v.detections,
            vigil_detections_per_s: r1(v.detections_per_s),
            stonesoup_detections_per_s: s.detections_per_s,
            ratio_vigil_vs_stonesoup: (self.ratio() * 100.0).round() / 100.0,
            vigil_mean_ospa_m: r3(v.mean_ospa_m),
            stonesoup_mean_ospa_m: s.mean_ospa_m,
            ospa_scans: v.ospa_scans,
            vigil_live_tracks: v.live_tracks,
            vigil_confirmed_tracks: v.confirmed_tracks,
            stonesoup_live_tracks: s.live_tracks,
            stonesoup_confirmed_tracks: s.confirmed_tracks,
            vigil_seconds: r3(v.seconds),
            stonesoup_seconds: s.seconds,
            stonesoup_version: s.version.clone(),
            all_scans: f.scans,
            all_detections: f.detections,
            vigil_all_detections_per_s: r1(f.detections_per_s),
            vigil_all_mean_ospa_m: r3(f.mean_ospa_m),
            vigil_all_live_tracks_mean: r1(f.live_mean),
            ospa_c_m: OSPA_C_M,
            ospa_p: OSPA_P,
            repeat: self.options.repeat,
            wall_s: r1(self.wall.as_secs_f64()),
        };
        serde_json::to_string(&line).expect("a struct of numbers serializes")
    }
}

/// The closing JSON line, fields in this order.
#[derive(Serialize)]
struct JsonLine {
    bench: &'static str,
    targets: usize,
    compared_scans: usize,
    warmup: usize,
    detections: usize,
    vigil_detections_per_s: f64,
    stonesoup_detections_per_s: f64,
    ratio_vigil_vs_stonesoup: f64,
    vigil_mean_ospa_m: f64,
    stonesoup_mean_ospa_m: f64,
    ospa_scans: usize,
    vigil_live_tracks: usize,
    vigil_confirmed_tracks: usize,
    stonesoup_live_tracks: usize,
    stonesoup_confirmed_tracks: usize,
    vigil_seconds: f64,
    stonesoup_seconds: f64,
    stonesoup_version: String,
    all_scans: usize,
    all_detections: usize,
    vigil_all_detections_per_s: f64,
    vigil_all_mean_ospa_m: f64,
    vigil_all_live_tracks_mean: f64,
    ospa_c_m: f64,
    ospa_p: f64,
    repeat: usize,
    wall_s: f64,
}
