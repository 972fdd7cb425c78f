//! Tracker scale benchmark: Vigil's multi-target tracker on generated ground-surveillance
//! scenarios, a small one and a large one, with the targets printed beside the figures
//! and, where the venv can be had, Stone Soup on the same detections.
//!
//! Run with `cargo bench --bench tracker_scale -- --case both` (plain `main`; it prints
//! figures and never fails on speed or accuracy). Options after `--`:
//! `--case small|large|both` (default both), `--seed N` (default 20260314),
//! `--movers N`, `--sensors N`, `--duration-s S`, `--clutter-per-scan N` (each overrides that
//! figure in every case run), `--stonesoup-scans K|all` (the large case's prefix of scans run
//! through Stone Soup, default 20; the small case always runs whole), `--no-stonesoup`.
//!
//! # Scenario (deterministic: the same detections for the same seed and options)
//! * A square of 20 km (large) or 6.4 km (small: the same density of movers), one scan a second.
//! * Movers, on average alive at once: 60 % walk (1-2 m/s), 40 % drive (5-15 m/s); near-constant
//!   velocity, now and then a turn of 30-120 deg at 0.1-0.5 m/s² (walkers) or 0.3-1 m/s²
//!   (vehicles) of lateral acceleration; they turn back at the edge. Lifetimes exponential,
//!   mean 300 s; births a Poisson process that keeps the head count steady.
//! * Ground sensors at uniform positions, range-bearing, all around, max range 500-1,000 m: a
//!   mover in range is detected with Pd 0.85, noise 10 m in range and 0.5 deg in bearing.
//! * One camera drone flying a circle (radius 30 % of the half side, 20 m/s); its footprint
//!   (500 m along track x 350 m across, under it) gives position detections: Pd 0.9, 4 m noise.
//! * Clutter (default 60 a scan large, 6 small), each from a random sensor (uniform in its disc)
//!   or the camera (uniform in its footprint).
//!
//! # What is measured (per case)
//! Vigil: `Tracker::new(TrackerConfig::default())`, told each scan's coverage (the sensors' discs
//! and the footprint) with `Tracker::set_coverage`, `Tracker::step` once per scan; only `step`
//! is timed, in thread CPU time. Printed: detections, detections per CPU-second, µs per
//! detection; mean OSPA (c = 100 m, p = 1) between the confirmed tracks and the *covered* truth
//! (movers inside some sensor's range or the footprint) from scan 10 on; tracks ever confirmed
//! against the times a mover entered coverage (a birth inside counts); the peak heap the tracker
//! held (a counting global allocator, less what was live before); µs/detection growth from
//! small to large. Stone Soup (`benches/stonesoup_ground.py` in the venv of
//! `tests/tools/setup-venv.sh --with-stonesoup`, skipped with a message if it cannot be had):
//! the same detections and covered truth as CSV under `target/bench/`, a GNN (2-D assignment)
//! EKF tracker, the same OSPA; on the large case only a prefix of scans by default (Python
//! takes seconds a scan there), with Vigil's figures on that prefix beside it.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::f64::consts::{PI, TAU};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use nalgebra::Vector2;
use serde::Deserialize;
use vigil_core::rng::Rng;
use vigil_tracking::{
    ClassHint, Coverage, CoverageRegion, Detection, Measurement, PositionNoise, Region, Tracker,
    TrackerConfig, ospa,
};

/// Heap bytes live now and at the most since the last reset.
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);
static PEAK_BYTES: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting live bytes and their peak.
struct Counting;

// SAFETY: every call is passed on to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A failed allocation is counted too: the program then aborts.
        let live = LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK_BYTES.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` is the trait's: alloc, copy, dealloc, each counted.
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// CPU time of the calling thread, seconds (`CLOCK_THREAD_CPUTIME_ID`; NaN if refused).
fn thread_cpu_s() -> f64 {
    unsafe extern "C" {
        /// POSIX; `tp` is a `struct timespec`, two 64-bit fields on 64-bit Linux and macOS.
        fn clock_gettime(clock_id: i32, tp: *mut [i64; 2]) -> i32;
    }
    let clock = if cfg!(target_os = "macos") { 16 } else { 3 };
    let mut ts = [0_i64; 2];
    // SAFETY: `ts` is a valid, writable timespec.
    let rc = unsafe { clock_gettime(clock, &mut ts) };
    if rc == 0 {
        ts[0] as f64 + ts[1] as f64 * 1e-9
    } else {
        f64::NAN
    }
}

const DEFAULT_SEED: u64 = 20_260_314;
const SCAN_INTERVAL_S: f64 = 1.0;
const MEAN_LIFE_S: f64 = 300.0;
const WALKER_FRACTION: f64 = 0.6;
/// Speed range (m/s) and lateral acceleration range of turns (m/s²) of walkers and vehicles.
const WALKER: [f64; 4] = [1.0, 2.0, 0.1, 0.5];
const VEHICLE: [f64; 4] = [5.0, 15.0, 0.3, 1.0];
const SENSOR_RANGE_M: (f64, f64) = (500.0, 1000.0);
const SENSOR_PD: f64 = 0.85;
const RANGE_STD_M: f64 = 10.0;
const BEARING_STD_RAD: f64 = 0.5 * PI / 180.0;
const CAMERA_PD: f64 = 0.9;
const CAMERA_STD_M: f64 = 4.0;
const CAMERA_ALONG_M: f64 = 500.0;
const CAMERA_ACROSS_M: f64 = 350.0;
const DRONE_SPEED_MPS: f64 = 20.0;
/// The camera's source id (the sensors are 1..=N).
const CAMERA_SOURCE: u32 = 1_000_000;
const OSPA_C_M: f64 = 100.0;
const OSPA_P: f64 = 1.0;
/// Scans before the first one scored by OSPA.
const WARMUP_SCANS: usize = 10;
const DEFAULT_STONESOUP_LARGE_SCANS: usize = 20;

/// The targets.
const TARGET_DET_PER_CPU_S: f64 = 300_000.0;
const TARGET_OSPA_M: f64 = 18.0;
const TARGET_TRACKS_PER_ENTRY: f64 = 1.1;
const TARGET_MEMORY_MIB: f64 = 50.0;
const TARGET_VS_STONESOUP: f64 = 0.9;
const TARGET_GROWTH: f64 = 1.5;

/// Errors are printed by `main` with their causes (anyhow's `Debug`).
fn main() -> Result<()> {
    let started = Instant::now();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let options = Options::parse()?;
    let python = if options.stonesoup {
        stonesoup_python(repo)
    } else {
        println!("Stone Soup: skipped (--no-stonesoup)");
        None
    };
    let mut results: Vec<(CaseSpec, CaseResult)> = Vec::new();
    for spec in options.cases() {
        let scenario = Scenario::generate(&spec, options.seed);
        let (detections, entries) = (scenario.detection_count(), scenario.entries);
        let name = spec.name;
        eprintln!("bench: {name}: {detections} detections, {entries} coverage entries");
        let vigil = run_vigil(&scenario)?;
        let prefix = if spec.name == "large" {
            options.stonesoup_large_scans.min(scenario.scans.len())
        } else {
            scenario.scans.len()
        };
        let mut stonesoup = None;
        if let Some(python) = &python {
            let stem = format!("tracker_scale-{}-seed{}", spec.name, options.seed);
            let csv = scenario.write_csv(&common::bench_dir(repo), &stem)?;
            eprintln!("bench: Stone Soup on {prefix} scans of {name}...");
            stonesoup = Some(run_stonesoup(python, &csv, prefix)?);
        }
        let result = CaseResult {
            detections,
            entries,
            vigil,
            prefix,
            stonesoup,
        };
        print_case(&spec, &result);
        results.push((spec, result));
    }
    print_growth(&results);
    let wall_s = started.elapsed().as_secs_f64();
    println!("whole bench: {wall_s:.1} s wall (seed {})", options.seed);
    Ok(())
}

/// The venv's python with Stone Soup (`tests/tools/setup-venv.sh --with-stonesoup` checks
/// it, quickly when set up, or makes it), or `None` with a printed reason.
fn stonesoup_python(repo: &Path) -> Option<PathBuf> {
    common::venv_python(repo, &["--with-stonesoup"], "Stone Soup for the comparison")
        .inspect_err(|err| println!("Stone Soup: skipped ({err:#})"))
        .ok()
}

/// The command line, after `--`.
struct Options {
    case: String,
    seed: u64,
    /// Movers, sensors, duration (s), clutter per scan, where given.
    overrides: [Option<usize>; 4],
    stonesoup_large_scans: usize,
    stonesoup: bool,
}

const OVERRIDES: [&str; 4] = [
    "--movers",
    "--sensors",
    "--duration-s",
    "--clutter-per-scan",
];

impl Options {
    fn parse() -> Result<Self> {
        let mut o = Self {
            case: "both".into(),
            seed: DEFAULT_SEED,
            overrides: [None; 4],
            stonesoup_large_scans: DEFAULT_STONESOUP_LARGE_SCANS,
            stonesoup: true,
        };
        let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
        while let Some(arg) = args.next() {
            if arg == "--no-stonesoup" {
                o.stonesoup = false;
                continue;
            }
            let value = args
                .next()
                .with_context(|| format!("{arg} needs a value"))?;
            let number = |text: &str| -> Result<usize> {
                let text = text.trim().replace('_', "");
                let n = text
                    .parse()
                    .with_context(|| format!("{arg} {text:?} is not a number"))?;
                ensure!(
                    n >= 1 || arg == "--clutter-per-scan" || arg == "--seed",
                    "{arg} must be at least 1"
                );
                Ok(n)
            };
            match arg.as_str() {
                "--case" if ["small", "large", "both"].contains(&value.as_str()) => o.case = value,
                "--seed" => o.seed = number(&value)? as u64,
                "--stonesoup-scans" if value == "all" => o.stonesoup_large_scans = usize::MAX,
                "--stonesoup-scans" => o.stonesoup_large_scans = number(&value)?,
                name if OVERRIDES.contains(&name) => {
                    let i = OVERRIDES.iter().position(|o| *o == name).unwrap_or(0);
                    o.overrides[i] = Some(number(&value)?);
                }
                other => bail!(
                    "bad option {other:?} {value:?} (options: --case small|large|both, \
                     --seed N, --movers N, --sensors N, --duration-s S, --clutter-per-scan N, \
                     --stonesoup-scans K|all, --no-stonesoup)"
                ),
            }
        }
        Ok(o)
    }

    /// The cases chosen, with the overrides. The small case keeps the large one's density of
    /// movers.
    fn cases(&self) -> Vec<CaseSpec> {
        let names: &[&'static str] = match self.case.as_str() {
            "small" => &["small"],
            "large" => &["large"],
            _ => &["small", "large"],
        };
        let [movers, sensors, duration, clutter] = self.overrides;
        let case = |name: &'static str| {
            let (m, s, half_side_m, c) = match name {
                "small" => (20, 30, 3_200.0, 6),
                _ => (200, 300, 10_000.0, 60),
            };
            CaseSpec {
                name,
                movers: movers.unwrap_or(m),
                sensors: sensors.unwrap_or(s),
                half_side_m,
                duration_s: duration.unwrap_or(600),
                clutter_per_scan: clutter.unwrap_or(c),
            }
        };
        names.iter().copied().map(case).collect()
    }
}

/// One case's size.
#[derive(Debug, Clone)]
struct CaseSpec {
    name: &'static str,
    movers: usize,
    sensors: usize,
    half_side_m: f64,
    duration_s: usize,
    clutter_per_scan: usize,
}

struct Sensor {
    pos: Vector2<f64>,
    range_m: f64,
}

struct Mover {
    id: u64,
    pos: Vector2<f64>,
    /// Clockwise from north, radians.
    heading_rad: f64,
    speed_mps: f64,
    /// Its kind's [`WALKER`] or [`VEHICLE`] limits.
    limits: [f64; 4],
    turn_rate_radps: f64,
    turn_left_s: f64,
    dies_s: f64,
    covered: bool,
}

impl Mover {
    fn born(rng: &mut Rng, id: u64, now_s: f64, half_side_m: f64) -> Self {
        let limits = [VEHICLE, WALKER][usize::from(rng.chance(WALKER_FRACTION))];
        Self {
            id,
            pos: uniform_in(rng, half_side_m),
            heading_rad: rng.range(0.0, TAU),
            speed_mps: rng.range(limits[0], limits[1]),
            limits,
            turn_rate_radps: 0.0,
            turn_left_s: 0.0,
            dies_s: now_s - MEAN_LIFE_S * (1.0 - rng.uniform()).ln(),
            covered: false,
        }
    }

    /// One interval of near-constant velocity, a turn under way or begun, a bounce at the edge.
    fn advance(&mut self, rng: &mut Rng, dt_s: f64, half_side_m: f64) {
        if self.turn_left_s <= 0.0 && rng.chance(dt_s / 60.0) {
            let accel = rng.range(self.limits[2], self.limits[3]);
            let rate = accel / self.speed_mps.max(0.5);
            let angle = rng.range(PI / 6.0, 2.0 * PI / 3.0);
            self.turn_rate_radps = if rng.chance(0.5) { rate } else { -rate };
            self.turn_left_s = angle / rate;
        }
        let turn = if self.turn_left_s > 0.0 {
            self.turn_left_s -= dt_s;
            self.turn_rate_radps * dt_s
        } else {
            0.0
        };
        let mid = self.heading_rad + turn / 2.0;
        self.heading_rad += turn;
        let [low, high, ..] = self.limits;
        self.speed_mps = (self.speed_mps + 0.05 * low * rng.normal()).clamp(low, high);
        self.pos += Vector2::new(mid.sin(), mid.cos()) * self.speed_mps * dt_s;
        let (mut ve, mut vn) = (self.heading_rad.sin(), self.heading_rad.cos());
        if self.pos.x.abs() > half_side_m && self.pos.x * ve > 0.0 {
            ve = -ve;
        }
        if self.pos.y.abs() > half_side_m && self.pos.y * vn > 0.0 {
            vn = -vn;
        }
        self.heading_rad = ve.atan2(vn);
    }
}

/// One scan: its detections (shuffled) and where the covered movers were.
struct ScanData {
    time_s: f64,
    detections: Vec<Detection>,
    covered_truth: Vec<(u64, Vector2<f64>)>,
    footprint: Vec<Vector2<f64>>,
}

struct Scenario {
    sensors: Vec<Sensor>,
    scans: Vec<ScanData>,
    entries: usize,
}

impl Scenario {
    fn generate(spec: &CaseSpec, seed: u64) -> Self {
        let mut rng = Rng::new(seed ^ (spec.movers as u64).rotate_left(32));
        let half = spec.half_side_m;
        let sensors: Vec<Sensor> = (0..spec.sensors)
            .map(|_| Sensor {
                pos: uniform_in(&mut rng, half),
                range_m: rng.range(SENSOR_RANGE_M.0, SENSOR_RANGE_M.1),
            })
            .collect();
        let mut next_id = 1;
        let mut movers: Vec<Mover> = (0..spec.movers)
            .map(|_| {
                next_id += 1;
                Mover::born(&mut rng, next_id - 1, 0.0, half)
            })
            .collect();
        let birth_rate = spec.movers as f64 / MEAN_LIFE_S;
        let mut scans = Vec::with_capacity(spec.duration_s);
        let mut entries = 0;
        for k in 0..spec.duration_s {
            let time_s = k as f64 * SCAN_INTERVAL_S;
            if k > 0 {
                for m in &mut movers {
                    m.advance(&mut rng, SCAN_INTERVAL_S, half);
                }
                movers.retain(|m| m.dies_s > time_s);
                for _ in 0..rng.poisson(birth_rate * SCAN_INTERVAL_S) {
                    movers.push(Mover::born(&mut rng, next_id, time_s, half));
                    next_id += 1;
                }
            }
            let footprint = camera_footprint(time_s, 0.3 * half);
            let mut detections = Vec::new();
            let mut covered_truth = Vec::new();
            for m in &mut movers {
                let mut covered = false;
                for (i, s) in sensors.iter().enumerate() {
                    if (m.pos - s.pos).norm() <= s.range_m {
                        covered = true;
                        if rng.chance(SENSOR_PD) {
                            detections.push(range_bearing(&mut rng, time_s, i, s, m.pos));
                        }
                    }
                }
                if inside(&footprint, m.pos) {
                    covered = true;
                    if rng.chance(CAMERA_PD) {
                        detections.push(camera_detection(&mut rng, time_s, m.pos));
                    }
                }
                if covered {
                    covered_truth.push((m.id, m.pos));
                }
                entries += usize::from(covered && !m.covered);
                m.covered = covered;
            }
            for _ in 0..spec.clutter_per_scan {
                let j = rng.below(sensors.len() + 1);
                if let Some(s) = sensors.get(j) {
                    let r = s.range_m * rng.uniform().sqrt();
                    let b = rng.range(0.0, TAU);
                    let at = s.pos + Vector2::new(b.sin(), b.cos()) * r;
                    detections.push(range_bearing(&mut rng, time_s, j, s, at));
                } else {
                    let (u, v) = (rng.uniform(), rng.uniform());
                    let at = footprint[0]
                        + (footprint[1] - footprint[0]) * u
                        + (footprint[3] - footprint[0]) * v;
                    detections.push(camera_detection(&mut rng, time_s, at));
                }
            }
            for i in (1..detections.len()).rev() {
                detections.swap(i, rng.below(i + 1));
            }
            scans.push(ScanData {
                time_s,
                detections,
                covered_truth,
                footprint,
            });
        }
        Self {
            sensors,
            scans,
            entries,
        }
    }

    fn detection_count(&self) -> usize {
        self.scans.iter().map(|s| s.detections.len()).sum()
    }

    /// The coverage at one scan: every sensor's disc and the camera's footprint then.
    fn coverage(&self, scan: &ScanData) -> Result<Coverage> {
        let of = |region, pd| CoverageRegion {
            region,
            period_s: SCAN_INTERVAL_S,
            pd,
        };
        let discs = self
            .sensors
            .iter()
            .map(|s| of(Region::disc(s.pos, s.range_m), SENSOR_PD));
        let camera = of(Region::Polygon(scan.footprint.clone()), CAMERA_PD);
        Coverage::new(discs.chain([camera]).collect()).context("the generated coverage is invalid")
    }

    /// Writes the detections and the covered truth as CSV; returns their paths.
    fn write_csv(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
        use std::fmt::Write as _;
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let mut dets = String::from("time_s,source,kind,sensor_x_m,sensor_y_m,z0,z1,std0,std1\n");
        let mut truth = String::from("time_s,id,x_m,y_m\n");
        for scan in &self.scans {
            for d in &scan.detections {
                let (kind, z0, z1, s0, s1) = match d.measurement {
                    Measurement::RangeBearing {
                        range_m,
                        range_std_m,
                        bearing_rad,
                        bearing_std_rad,
                    } => ("rb", range_m, bearing_rad, range_std_m, bearing_std_rad),
                    Measurement::Position { pos_enu_m, noise } => {
                        let std = noise.covar_m2()[(0, 0)].sqrt();
                        ("pos", pos_enu_m.x, pos_enu_m.y, std, std)
                    }
                    _ => bail!("the generator made an unexpected measurement"),
                };
                let (t, source, p) = (d.time_s, d.source_id, d.sensor_pos_enu_m);
                let (x, y) = (p.x, p.y);
                let _ = writeln!(dets, "{t},{source},{kind},{x},{y},{z0},{z1},{s0},{s1}");
            }
            for (id, p) in &scan.covered_truth {
                let _ = writeln!(truth, "{},{id},{},{}", scan.time_s, p.x, p.y);
            }
        }
        let write = |name: &str, text: String| {
            let path = dir.join(format!("{stem}-{name}.csv"));
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            anyhow::Ok(path)
        };
        Ok((write("detections", dets)?, write("truth", truth)?))
    }
}

/// A uniform point of the square of half side `half`.
fn uniform_in(rng: &mut Rng, half: f64) -> Vector2<f64> {
    Vector2::new(rng.range(-half, half), rng.range(-half, half))
}

/// The camera's footprint at `time_s`: a rectangle centred under the drone, long side along
/// its track, corners in order.
fn camera_footprint(time_s: f64, loop_radius_m: f64) -> Vec<Vector2<f64>> {
    let angle = DRONE_SPEED_MPS * time_s / loop_radius_m;
    let centre = Vector2::new(angle.cos(), angle.sin()) * loop_radius_m;
    let along = Vector2::new(-angle.sin(), angle.cos()) * (CAMERA_ALONG_M / 2.0);
    let across = Vector2::new(angle.cos(), angle.sin()) * (CAMERA_ACROSS_M / 2.0);
    vec![
        centre - along - across,
        centre + along - across,
        centre + along + across,
        centre - along + across,
    ]
}

/// Whether `p` is inside the convex polygon `ring` (either winding).
fn inside(ring: &[Vector2<f64>], p: Vector2<f64>) -> bool {
    let side = |i: usize| {
        let (a, b) = (ring[i], ring[(i + 1) % ring.len()]);
        (b - a).perp(&(p - a))
    };
    let first = side(0);
    (1..ring.len()).all(|i| side(i) * first >= 0.0)
}

/// A detection of the point `at` by sensor `index`, with its noise.
fn range_bearing(rng: &mut Rng, t: f64, index: usize, s: &Sensor, at: Vector2<f64>) -> Detection {
    let d = at - s.pos;
    let measurement = Measurement::RangeBearing {
        range_m: (d.norm() + RANGE_STD_M * rng.normal()).abs(),
        range_std_m: RANGE_STD_M,
        bearing_rad: d.x.atan2(d.y) + BEARING_STD_RAD * rng.normal(),
        bearing_std_rad: BEARING_STD_RAD,
    };
    detection(t, s.pos, measurement, index as u32 + 1)
}

/// A detection of the point `at` by the camera, with its noise.
fn camera_detection(rng: &mut Rng, t: f64, at: Vector2<f64>) -> Detection {
    let pos_enu_m = at + Vector2::new(rng.normal(), rng.normal()) * CAMERA_STD_M;
    let noise = PositionNoise::Isotropic {
        std_m: CAMERA_STD_M,
    };
    detection(
        t,
        at,
        Measurement::Position { pos_enu_m, noise },
        CAMERA_SOURCE,
    )
}

fn detection(time_s: f64, at: Vector2<f64>, measurement: Measurement, source: u32) -> Detection {
    Detection {
        time_s,
        sensor_pos_enu_m: at,
        measurement,
        class_hint: ClassHint::Unknown,
        count: None,
        confidence: 1.0,
        source_id: source,
    }
}

/// Vigil's figures for one case.
struct VigilResult {
    cpu_s: f64,
    /// Mean OSPA over all scans from the warm-up, and over the prefix Stone Soup ran.
    ospa_m: f64,
    ospa_per_scan: Vec<f64>,
    cpu_per_scan: Vec<f64>,
    dets_per_scan: Vec<usize>,
    tracks_confirmed: usize,
    peak_bytes: usize,
}

impl VigilResult {
    /// (detections, CPU seconds, mean OSPA) over the first `n` scans.
    fn prefix(&self, n: usize) -> (usize, f64, f64) {
        let n = n.min(self.cpu_per_scan.len());
        let scored = &self.ospa_per_scan[WARMUP_SCANS.min(n)..n];
        (
            self.dets_per_scan[..n].iter().sum(),
            self.cpu_per_scan[..n].iter().sum(),
            scored.iter().sum::<f64>() / scored.len().max(1) as f64,
        )
    }
}

fn run_vigil(scenario: &Scenario) -> Result<VigilResult> {
    let baseline = LIVE_BYTES.load(Ordering::Relaxed);
    PEAK_BYTES.store(baseline, Ordering::Relaxed);
    let mut tracker =
        Tracker::new(TrackerConfig::default()).context("the default tracker config is invalid")?;
    let (mut cpu_s, mut tracks_confirmed) = (0.0, 0);
    let mut ospa_per_scan = Vec::with_capacity(scenario.scans.len());
    let mut cpu_per_scan = Vec::with_capacity(scenario.scans.len());
    let mut tracker_peak = 0;
    for scan in &scenario.scans {
        tracker.set_coverage(scenario.coverage(scan)?);
        let cpu = thread_cpu_s();
        let report = tracker
            .step(scan.time_s, &scan.detections)
            .with_context(|| format!("Tracker::step failed at t = {} s", scan.time_s))?;
        let step_cpu = thread_cpu_s() - cpu;
        cpu_s += step_cpu;
        cpu_per_scan.push(step_cpu);
        tracker_peak = tracker_peak.max(PEAK_BYTES.load(Ordering::Relaxed));
        let (rejected, t) = (&report.rejected, scan.time_s);
        ensure!(rejected.is_empty(), "rejected at t = {t} s: {rejected:?}");
        tracks_confirmed += report.confirmed.len();
        drop(report);
        let estimates: Vec<_> = tracker
            .confirmed_tracks()
            .map(|t| t.state.pos_enu_m())
            .collect();
        let truths: Vec<Vector2<f64>> = scan.covered_truth.iter().map(|(_, p)| *p).collect();
        ospa_per_scan.push(
            ospa(&estimates, &truths, OSPA_C_M, OSPA_P)
                .with_context(|| format!("OSPA at t = {} s", scan.time_s))?,
        );
        PEAK_BYTES.store(LIVE_BYTES.load(Ordering::Relaxed), Ordering::Relaxed);
    }
    let scored = &ospa_per_scan[WARMUP_SCANS.min(ospa_per_scan.len())..];
    Ok(VigilResult {
        cpu_s,
        ospa_m: scored.iter().sum::<f64>() / scored.len().max(1) as f64,
        cpu_per_scan,
        dets_per_scan: scenario.scans.iter().map(|s| s.detections.len()).collect(),
        ospa_per_scan,
        tracks_confirmed,
        peak_bytes: tracker_peak.saturating_sub(baseline),
    })
}

/// The JSON line `benches/stonesoup_ground.py` prints (the fields used here).
#[derive(Debug, Clone, Deserialize)]
struct StoneSoup {
    version: String,
    detections: usize,
    scans: usize,
    cpu_seconds: f64,
    detections_per_cpu_s: f64,
    mean_ospa_m: f64,
    tracks_ever_confirmed: usize,
}

/// Runs `benches/stonesoup_ground.py` on the first `scans` scans of the CSV files `csv`.
fn run_stonesoup(python: &Path, csv: &(PathBuf, PathBuf), scans: usize) -> Result<StoneSoup> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/stonesoup_ground.py");
    let options =
        format!("--scans {scans} --warmup {WARMUP_SCANS} --ospa-c {OSPA_C_M} --ospa-p {OSPA_P}");
    let output = Command::new(python)
        .arg(script)
        .args([&csv.0, &csv.1])
        .args(options.split(' '))
        .envs(["OMP", "OPENBLAS", "MKL"].map(|lib| (format!("{lib}_NUM_THREADS"), "1")))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("cannot run {}", python.display()))?;
    let status = output.status;
    ensure!(
        status.success(),
        "stonesoup_ground.py failed ({status}), see above"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .last()
        .context("stonesoup_ground.py printed nothing")?;
    serde_json::from_str(line).with_context(|| format!("stonesoup_ground.py printed {line:?}"))
}

struct CaseResult {
    detections: usize,
    entries: usize,
    vigil: VigilResult,
    /// Scans Stone Soup ran (a prefix on the large case).
    prefix: usize,
    stonesoup: Option<StoneSoup>,
}

impl CaseResult {
    fn us_per_detection(&self) -> f64 {
        self.vigil.cpu_s * 1e6 / self.detections as f64
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn print_case(spec: &CaseSpec, r: &CaseResult) {
    let (v, name, detections, entries) = (&r.vigil, spec.name, r.detections, r.entries);
    let (movers, sensors) = (spec.movers, spec.sensors);
    let (secs, clutter) = (spec.duration_s, spec.clutter_per_scan);
    let km = 2.0 * spec.half_side_m / 1000.0;
    let (cpu_s, ospa_m, confirmed) = (v.cpu_s, v.ospa_m, v.tracks_confirmed);
    let rate = detections as f64 / cpu_s;
    let us = r.us_per_detection();
    let mib = v.peak_bytes as f64 / (1024.0 * 1024.0);
    let ratio = confirmed as f64 / entries.max(1) as f64;
    // The rate, OSPA and tracks-ever targets are the large case's.
    let large = |ok| [verdict(ok), "(large case)"][usize::from(name != "large")];
    let rate_ok = large(rate >= TARGET_DET_PER_CPU_S);
    let ospa_ok = large(ospa_m <= TARGET_OSPA_M);
    let ratio_ok = large(ratio <= TARGET_TRACKS_PER_ENTRY);
    let mib_ok = verdict(mib <= TARGET_MEMORY_MIB);
    let tracks = format!("{confirmed} / {entries} = {ratio:.2}");
    println!(
        "\n== case {name}: {movers} movers (mean alive), {sensors} range-bearing sensors + 1 \
         camera drone, {km:.1} x {km:.1} km, {secs} s, {clutter} clutter/scan ==\n  \
         metric                                                   Vigil   target (issue)\n  \
         detections                                  {detections:>12}\n  \
         detections per CPU-second (step calls only) {rate:>12.0}   \
         >= {TARGET_DET_PER_CPU_S:.0}: {rate_ok}\n  \
         µs per detection (CPU)                      {us:>12.3}\n  \
         CPU seconds in Tracker::step                {cpu_s:>12.3}\n  \
         mean OSPA, covered truth (c {OSPA_C_M} m, p {OSPA_P})     {ospa_m:>10.2} m   \
         <= {TARGET_OSPA_M} m: {ospa_ok}\n  \
         tracks ever confirmed / coverage entries  {tracks:>14}   \
         <= {TARGET_TRACKS_PER_ENTRY}: {ratio_ok}\n  \
         peak heap held by the tracker               {mib:>8.2} MiB   \
         <= {TARGET_MEMORY_MIB} MiB: {mib_ok}"
    );
    match &r.stonesoup {
        Some(s) => print_stonesoup(spec, r, s),
        None => println!("  Stone Soup: not run"),
    }
}

fn print_stonesoup(spec: &CaseSpec, r: &CaseResult, s: &StoneSoup) {
    let (dets, cpu, ospa_m) = r.vigil.prefix(r.prefix);
    let prefix_only = r.prefix < r.vigil.cpu_per_scan.len();
    let prefix = " (a PREFIX only: Python is slow here; --stonesoup-scans K|all)";
    let note = [", all of them", prefix][usize::from(prefix_only)];
    let (version, scans, total) = (&s.version, s.scans, spec.duration_s);
    let (s_dets, s_rate) = (s.detections, s.detections_per_cpu_s);
    let (s_ospa, s_cpu) = (s.mean_ospa_m, s.cpu_seconds);
    let (tracks, s_tracks) = (r.vigil.tracks_confirmed, s.tracks_ever_confirmed);
    let rate = dets as f64 / cpu;
    let speedup = rate / s_rate;
    println!(
        "  Stone Soup {version} (GNN 2-D assignment, EKF) on the first {scans} of {total} \
         scans{note}:\n  \
         same scans and detections                          Vigil   Stone Soup\n  \
         detections                                  {dets:>12} {s_dets:>12}\n  \
         detections per CPU-second                   {rate:>12.0} {s_rate:>12.0}\n  \
         mean OSPA, covered truth                    {ospa_m:>10.2} m {s_ospa:>10.2} m\n  \
         tracks ever confirmed (Vigil: whole run)    {tracks:>12} {s_tracks:>12}\n  \
         Stone Soup CPU {s_cpu:.1} s; Vigil {speedup:.0} x its speed"
    );
    if spec.name == "small" {
        let ratio = ospa_m / s_ospa;
        let ok = verdict(ratio <= TARGET_VS_STONESOUP);
        println!(
            "  small-case OSPA, Vigil / Stone Soup         {ratio:>12.2}   \
             <= {TARGET_VS_STONESOUP}: {ok}"
        );
    }
}

fn print_growth(results: &[(CaseSpec, CaseResult)]) {
    let find = |name: &str| results.iter().find(|(s, _)| s.name == name);
    if let (Some((_, small)), Some((_, large))) = (find("small"), find("large")) {
        let (a, b) = (small.us_per_detection(), large.us_per_detection());
        let (growth, ok) = (b / a, verdict(b / a <= TARGET_GROWTH));
        println!(
            "\ngrowth of µs/detection, small {a:.3} -> large {b:.3}: {growth:.2} x   \
             <= {TARGET_GROWTH} x: {ok}"
        );
    }
}
