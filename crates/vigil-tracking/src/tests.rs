//! End-to-end tests of the tracker on simulated scenarios: straight and turning targets with
//! noisy, missed and false detections, a crossing, several sensors, bad input, determinism.
//! The noise comes from a seeded LCG, so every run sees the same detections.

use nalgebra::{DVector, Vector2};

use super::coverage::{Coverage, CoverageRegion, Region};
use super::delete::DeleteReason;
use super::error::TrackingError;
use super::metrics::{ScoreSummary, TrackingScore, confirmed_estimates};
use super::motion::{CoordinatedTurn, Motion, MotionModel};
use super::scan::group_into_scans;
use super::tracker::{StepReport, Tracker, TrackerConfig};
use super::types::{ClassHint, Detection, GroundTruthPoint, Measurement, PositionNoise, Track};
use vigil_core::rng::Rng;

/// Seconds since the UNIX epoch, as Vigil passes them: large times must not hurt.
pub(crate) const T0_S: f64 = 1_700_000_000.0;
pub(crate) const NOISE_STD_M: f64 = 5.0;
const CLUTTER_HALF_WIDTH_M: f64 = 1500.0;

/// A simulated target: its state [x, y, v_e, v_n] and its turn rate over time.
pub(crate) struct Target {
    id: u64,
    state: DVector<f64>,
    turn_radps: fn(f64) -> f64,
}

pub(crate) fn straight(_t: f64) -> f64 {
    0.0
}

fn turn_right_from_30_to_70_s(t: f64) -> f64 {
    if (30.0..70.0).contains(&t) {
        -0.04
    } else {
        0.0
    }
}

pub(crate) fn target(id: u64, pos: [f64; 2], vel: [f64; 2], turn_radps: fn(f64) -> f64) -> Target {
    Target {
        id,
        state: DVector::from_vec(vec![pos[0], pos[1], vel[0], vel[1], 0.0]),
        turn_radps,
    }
}

pub(crate) struct Scenario {
    /// Per scan: its time, its detections and the truths then.
    pub(crate) scans: Vec<(f64, Vec<Detection>, Vec<GroundTruthPoint>)>,
}

pub(crate) struct Sensing {
    pub(crate) detect_probability: f64,
    pub(crate) clutter_per_scan: f64,
}

pub(crate) fn position_detection(time_s: f64, pos: Vector2<f64>, source_id: u32) -> Detection {
    Detection {
        time_s,
        sensor_pos_enu_m: Vector2::zeros(),
        measurement: Measurement::Position {
            pos_enu_m: pos,
            noise: PositionNoise::Isotropic { std_m: NOISE_STD_M },
        },
        class_hint: ClassHint::Vehicle,
        count: Some(1),
        confidence: 0.7,
        source_id,
    }
}

/// Moves the targets on exact coordinated turns, one-second steps, and detects them.
pub(crate) fn simulate(
    mut targets: Vec<Target>,
    duration_s: u32,
    sensing: &Sensing,
    seed: u64,
) -> Scenario {
    let mut rng = Rng::new(seed);
    let exact = CoordinatedTurn {
        q_accel_m2ps3: 0.0,
        q_turn_rad2ps3: 0.0,
    };
    let mut scans = Vec::new();
    for step in 0..=duration_s {
        let t = f64::from(step);
        let time_s = T0_S + t;
        let mut detections = Vec::new();
        let mut truths = Vec::new();
        for target in &mut targets {
            let pos = Vector2::new(target.state[0], target.state[1]);
            truths.push(GroundTruthPoint {
                id: target.id,
                time_s,
                pos_enu_m: pos,
            });
            if rng.uniform() < sensing.detect_probability {
                let noise = Vector2::new(rng.normal(), rng.normal()) * NOISE_STD_M;
                detections.push(position_detection(time_s, pos + noise, 1));
            }
            target.state[4] = (target.turn_radps)(t);
            target.state = exact.transition(&target.state, 1.0);
        }
        for _ in 0..rng.poisson(sensing.clutter_per_scan) {
            let w = CLUTTER_HALF_WIDTH_M;
            let pos = Vector2::new(rng.range(-w, w), rng.range(-w, w));
            detections.push(position_detection(time_s, pos, 1));
        }
        // Shuffle so that the true detections are not always first.
        for i in (1..detections.len()).rev() {
            detections.swap(i, rng.below(i + 1));
        }
        scans.push((time_s, detections, truths));
    }
    Scenario { scans }
}

fn three_targets() -> Vec<Target> {
    vec![
        target(1, [-800.0, -300.0], [7.0, 1.5], straight),
        target(2, [700.0, 600.0], [-2.0, -6.0], straight),
        target(3, [0.0, -900.0], [0.0, 8.0], turn_right_from_30_to_70_s),
    ]
}

pub(crate) const SENSING: Sensing = Sensing {
    detect_probability: 0.8,
    clutter_per_scan: 3.0,
};

pub(crate) struct Run {
    pub(crate) tracker: Tracker,
    pub(crate) reports: Vec<StepReport>,
    /// Confirmed track identities after each scan.
    pub(crate) confirmed_ids: Vec<Vec<u64>>,
    /// Scores over all scans, and from `warm_up_s` on.
    pub(crate) all: ScoreSummary,
    pub(crate) settled: ScoreSummary,
}

pub(crate) fn run(config: TrackerConfig, scenario: &Scenario, warm_up_s: f64) -> Run {
    let mut tracker = Tracker::new(config).expect("valid config");
    let mut all = TrackingScore::new(50.0, 2.0).expect("valid");
    let mut settled = TrackingScore::new(50.0, 2.0).expect("valid");
    let mut reports = Vec::new();
    let mut confirmed_ids = Vec::new();
    for (time_s, detections, truths) in &scenario.scans {
        let report = tracker.step(*time_s, detections).expect("valid scan");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        let estimates = confirmed_estimates(tracker.tracks());
        all.record(&estimates, truths).expect("finite");
        if *time_s - T0_S >= warm_up_s {
            settled.record(&estimates, truths).expect("finite");
        }
        confirmed_ids.push(estimates.iter().map(|e| e.0).collect());
        reports.push(report);
    }
    Run {
        tracker,
        reports,
        confirmed_ids,
        all: all.summary(),
        settled: settled.summary(),
    }
}

fn ct_config() -> TrackerConfig {
    TrackerConfig {
        motion: Motion::CoordinatedTurn(CoordinatedTurn {
            q_accel_m2ps3: 0.1,
            q_turn_rad2ps3: 1e-4,
        }),
        ..TrackerConfig::default()
    }
}

/// From `WARM_UP_S` on the three confirmed tracks must be there: 3-of-5 confirms at the
/// third scan at the earliest, and with 20 % missed detections a target may need up to five.
pub(crate) const WARM_UP_S: f64 = 10.0;

/// Whether the confirmed tracks from `WARM_UP_S` on are the same three at every scan.
fn three_stable_tracks(run: &Run) -> bool {
    let settled = &run.confirmed_ids[WARM_UP_S as usize..];
    settled[0].len() == 3 && settled.iter().all(|ids| *ids == settled[0])
}

fn assert_three_stable_tracks(run: &Run) {
    assert!(three_stable_tracks(run), "{:?}", run.confirmed_ids);
    assert_eq!(run.settled.id_swaps, 0);
    assert_eq!(run.settled.fragmentations, 0);
    assert_eq!(run.settled.missed_truths, 0);
    assert_eq!(run.settled.false_tracks, 0);
}

/// The RMS position error the filter itself expects in steady state, from its Riccati
/// equation for q = 0.3 m²/s³, σ = 5 m, one scan a second and 80 % detections, is 5.3 m
/// (3.4 m per axis after an update, more after a miss). OSPA with p = 2 over three tracks
/// all within c is the scan's RMS position error, so a filter that is consistent scores
/// about that, and anything above the raw detections' 7.1 m (σ √2) would be worse than no
/// filter. 6 m allows for the turn.
const SETTLED_OSPA_LIMIT_M: f64 = 6.0;

/// Over the whole run the first scans, before confirmation, cost c = 50 m for each target
/// (3 scans at least, 121 in all: +1.2 m over the settled figure) and more scans if a
/// target's first detections are missed.
const OVERALL_OSPA_LIMIT_M: f64 = 8.0;

#[test]
fn three_targets_one_turning_keep_three_stable_tracks_cv() {
    let scenario = simulate(three_targets(), 120, &SENSING, 1);
    let run = run(TrackerConfig::default(), &scenario, WARM_UP_S);
    eprintln!(
        "CV seed 1: all {:?}\nCV seed 1: settled {:?}",
        run.all, run.settled
    );
    assert_three_stable_tracks(&run);
    assert!(
        run.settled.mean_ospa_m < SETTLED_OSPA_LIMIT_M,
        "{:?}",
        run.settled
    );
    assert!(run.all.mean_ospa_m < OVERALL_OSPA_LIMIT_M, "{:?}", run.all);
    let classes: Vec<ClassHint> = run.tracker.confirmed_tracks().map(|t| t.class).collect();
    assert_eq!(classes, vec![ClassHint::Vehicle; 3]);
    assert!(run.tracker.confirmed_tracks().all(|t| t.count == Some(1)));
}

#[test]
fn three_targets_one_turning_keep_three_stable_tracks_ct() {
    let scenario = simulate(three_targets(), 120, &SENSING, 1);
    let run = run(ct_config(), &scenario, WARM_UP_S);
    eprintln!(
        "CT seed 1: all {:?}\nCT seed 1: settled {:?}",
        run.all, run.settled
    );
    assert_three_stable_tracks(&run);
    assert!(
        run.settled.mean_ospa_m < SETTLED_OSPA_LIMIT_M,
        "{:?}",
        run.settled
    );
    assert!(run.all.mean_ospa_m < OVERALL_OSPA_LIMIT_M, "{:?}", run.all);
    // Late in the turn (t = 65 s, rate −0.04 rad/s since t = 30 s) the turning target's
    // track has learnt the rate.
    let mut tracker = Tracker::new(ct_config()).expect("valid config");
    for (time_s, detections, _) in &scenario.scans[..=65] {
        tracker.step(*time_s, detections).expect("valid scan");
    }
    let rates: Vec<f64> = tracker
        .confirmed_tracks()
        .map(|t| t.state.mean[4])
        .collect();
    eprintln!("CT turn rates at t = 65 s: {rates:?}");
    assert!(rates.iter().any(|w| (w + 0.04).abs() < 0.015), "{rates:?}");
    assert_eq!(
        rates.iter().filter(|w| w.abs() < 0.01).count(),
        2,
        "{rates:?}"
    );
}

/// Twenty seeds of the same scenario. Measured: 18 of 20 keep exactly three stable tracks;
/// seed 13 confirms a fourth track on three aligned clutter detections (3-of-5 from single
/// points lets that happen about once in 80 minutes at this clutter density), and seed 16
/// loses the turning target to a run of 2.5σ detection errors just when it turns, and a new
/// track takes it over.
#[test]
fn tracking_holds_over_twenty_seeds() {
    let mut stable = 0;
    let mut settled_ospa_m = Vec::new();
    for seed in 1..=20 {
        let scenario = simulate(three_targets(), 120, &SENSING, seed);
        let run = run(TrackerConfig::default(), &scenario, WARM_UP_S);
        if three_stable_tracks(&run) {
            stable += 1;
            settled_ospa_m.push(run.settled.mean_ospa_m);
        }
    }
    let mean = settled_ospa_m.iter().sum::<f64>() / settled_ospa_m.len() as f64;
    let worst = settled_ospa_m.iter().copied().fold(0.0, f64::max);
    eprintln!("20 seeds: {stable} stable, settled OSPA mean {mean:.2} m, worst {worst:.2} m");
    assert!(stable >= 17, "{stable} of 20");
    assert!(mean < SETTLED_OSPA_LIMIT_M && worst < SETTLED_OSPA_LIMIT_M);
}

pub(crate) fn crossing(angle_deg: f64) -> Vec<Target> {
    let half = (angle_deg / 2.0).to_radians();
    let v1 = [10.0 * half.cos(), 10.0 * half.sin()];
    let v2 = [10.0 * half.cos(), -10.0 * half.sin()];
    // Both pass the origin at t = 30 s.
    vec![
        target(1, [-30.0 * v1[0], -30.0 * v1[1]], v1, straight),
        target(2, [-30.0 * v2[0], -30.0 * v2[1]], v2, straight),
    ]
}

/// (runs with an identity change, total swaps + fragmentations, false-track scans) over
/// twenty seeds of two targets at 10 m/s crossing at `angle_deg`.
fn crossing_identity_changes(angle_deg: f64) -> (usize, usize, usize) {
    let (mut runs, mut changes, mut false_tracks) = (0, 0, 0);
    for seed in 1..=20 {
        let scenario = simulate(crossing(angle_deg), 60, &SENSING, seed);
        let run = run(TrackerConfig::default(), &scenario, WARM_UP_S);
        let run_changes = run.settled.id_swaps + run.settled.fragmentations;
        runs += usize::from(run_changes > 0);
        changes += run_changes;
        false_tracks += run.settled.false_tracks;
    }
    eprintln!(
        "crossing {angle_deg}°: {runs}/20 runs change identity, {changes} changes, {false_tracks} false-track scans"
    );
    (runs, changes, false_tracks)
}

/// Two targets meeting head-on at 30° come within a detection's noise of each other for
/// about six scans; GNN, which commits to one pairing per scan, keeps their identities in
/// most runs (measured: 16 of 20) and at 90° in all.
#[test]
fn crossing_targets_rarely_swap_identities() {
    let (runs_30, _, _) = crossing_identity_changes(30.0);
    assert!(runs_30 <= 4, "{runs_30} of 20 runs");
    assert_eq!(crossing_identity_changes(90.0), (0, 0, 0));
}

/// Runs a scenario through the scan grouper instead of `step`.
fn run_by_scans(scenario: &Scenario) -> Vec<Track> {
    let detections: Vec<Detection> = scenario.scans.iter().flat_map(|s| s.1.clone()).collect();
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid config");
    for scan in group_into_scans(&detections, 0.1).expect("valid window") {
        tracker.step_scan(&scan).expect("valid scan");
    }
    tracker.tracks().to_vec()
}

#[test]
fn same_input_gives_identical_tracks() {
    let scenario = simulate(three_targets(), 60, &SENSING, 3);
    let first = run(TrackerConfig::default(), &scenario, WARM_UP_S);
    let second = run(TrackerConfig::default(), &scenario, WARM_UP_S);
    assert_eq!(first.tracker.tracks(), second.tracker.tracks());
    assert_eq!(first.reports, second.reports);
    // Scans without detections still advance the tracks, so compare on a scenario where
    // every scan has some: the grouped path gives the same tracks as `step`.
    let busy = simulate(
        three_targets(),
        60,
        &Sensing {
            detect_probability: 1.0,
            clutter_per_scan: 3.0,
        },
        3,
    );
    let stepped = run(TrackerConfig::default(), &busy, WARM_UP_S);
    assert_eq!(run_by_scans(&busy), stepped.tracker.tracks());
}

fn detection_at(time_s: f64, source_id: u32, measurement: Measurement) -> Detection {
    Detection {
        measurement,
        source_id,
        ..position_detection(time_s, Vector2::zeros(), source_id)
    }
}

fn position(x: f64, y: f64) -> Measurement {
    Measurement::Position {
        pos_enu_m: Vector2::new(x, y),
        noise: PositionNoise::Isotropic { std_m: 3.0 },
    }
}

#[test]
fn bad_input_is_rejected_without_harm() {
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid");
    let detections = [
        detection_at(T0_S, 1, position(f64::NAN, 0.0)),
        detection_at(T0_S, 1, position(100.0, 100.0)),
        detection_at(T0_S + 5.0, 1, position(0.0, 0.0)),
        Detection {
            confidence: 1.5,
            ..detection_at(T0_S, 1, position(0.0, 0.0))
        },
    ];
    let report = tracker.step(T0_S, &detections).expect("valid time");
    let rejected: Vec<usize> = report.rejected.iter().map(|r| r.0).collect();
    assert_eq!(rejected, vec![0, 2, 3]);
    assert_eq!(report.initiated, vec![1]);
    let before = tracker.tracks().to_vec();
    assert!(tracker.step(f64::NAN, &[]).is_err());
    assert!(matches!(
        tracker.step(T0_S - 1.0, &[]),
        Err(TrackingError::TimeWentBackwards { .. })
    ));
    assert_eq!(tracker.tracks(), before.as_slice());
    // A detection from before the last scan is out of sequence.
    let late = tracker
        .step(
            T0_S + 1.0,
            &[detection_at(T0_S - 0.5, 1, position(100.0, 100.0))],
        )
        .expect("valid time");
    assert!(matches!(
        late.rejected[0].1,
        TrackingError::TimeWentBackwards { .. }
    ));
    let bad_config = TrackerConfig {
        coast_s: -1.0,
        ..TrackerConfig::default()
    };
    assert!(Tracker::new(bad_config).is_err());
}

/// A target walking north at 1.5 m/s from (0, 0), seen by a camera giving positions
/// (source 1), an acoustic array to the west giving bearings (source 2), a radar to the east
/// giving range and bearing (source 3) and a PIR node it walks past (source 4).
#[test]
fn every_kind_of_detection_updates_and_only_locating_ones_start_tracks() {
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid");
    let acoustic = Vector2::new(-200.0, 0.0);
    let radar = Vector2::new(300.0, 50.0);
    let pir = Vector2::new(5.0, 30.0);
    let mut rng = Rng::new(99);
    let mut sources_used = std::collections::BTreeSet::new();
    for step in 0..40 {
        let time_s = T0_S + f64::from(step);
        let truth = Vector2::new(0.0, 1.5 * f64::from(step));
        let mut detections = vec![];
        if step % 2 == 0 {
            let noise = Vector2::new(rng.normal(), rng.normal()) * 3.0;
            detections.push(detection_at(
                time_s,
                1,
                position(truth.x + noise.x, truth.y + noise.y),
            ));
        }
        let to_target = truth - acoustic;
        detections.push(Detection {
            sensor_pos_enu_m: acoustic,
            ..detection_at(
                time_s,
                2,
                Measurement::Bearing {
                    bearing_rad: to_target.x.atan2(to_target.y) + 0.01 * rng.normal(),
                    bearing_std_rad: 0.01,
                },
            )
        });
        let from_radar = truth - radar;
        detections.push(Detection {
            sensor_pos_enu_m: radar,
            ..detection_at(
                time_s,
                3,
                Measurement::RangeBearing {
                    range_m: from_radar.norm() + 4.0 * rng.normal(),
                    range_std_m: 4.0,
                    bearing_rad: from_radar.x.atan2(from_radar.y) + 0.005 * rng.normal(),
                    bearing_std_rad: 0.005,
                },
            )
        });
        if (truth - pir).norm() < 20.0 {
            detections.push(Detection {
                sensor_pos_enu_m: pir,
                ..detection_at(
                    time_s,
                    4,
                    Measurement::Presence {
                        zone_radius_m: 20.0,
                    },
                )
            });
        }
        let report = tracker.step(time_s, &detections).expect("valid");
        for update in &report.updates {
            sources_used.insert(detections[update.detection_index].source_id);
        }
        if step >= 5 {
            let tracks: Vec<&Track> = tracker.confirmed_tracks().collect();
            assert_eq!(tracks.len(), 1, "step {step}: {:?}", tracker.tracks().len());
            let error_m = (tracks[0].state.pos_enu_m() - truth).norm();
            assert!(error_m < 6.0, "step {step}: {error_m} m off");
        }
    }
    assert_eq!(
        sources_used.into_iter().collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    // Bearings and presence alone start nothing.
    let mut quiet = Tracker::new(TrackerConfig::default()).expect("valid");
    let presence = detection_at(
        T0_S,
        4,
        Measurement::Presence {
            zone_radius_m: 20.0,
        },
    );
    let bearing = detection_at(
        T0_S,
        2,
        Measurement::Bearing {
            bearing_rad: 1.0,
            bearing_std_rad: 0.01,
        },
    );
    let report = quiet
        .step(T0_S, &[presence.clone(), bearing])
        .expect("valid");
    assert!(report.initiated.is_empty());
    let mut eager = Tracker::new(TrackerConfig {
        initiate_from_presence: true,
        ..TrackerConfig::default()
    })
    .expect("valid");
    assert_eq!(
        eager.step(T0_S, &[presence]).expect("valid").initiated,
        vec![1]
    );
}

#[test]
fn a_target_that_vanishes_is_deleted_after_the_coast_time() {
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid");
    for step in 0..5 {
        let time_s = T0_S + f64::from(step);
        let d = detection_at(time_s, 1, position(2.0 * f64::from(step), 0.0));
        tracker.step(time_s, &[d]).expect("valid");
    }
    let id = tracker
        .confirmed_tracks()
        .map(|t| t.id)
        .next()
        .expect("confirmed");
    let mut deleted_at = None;
    for step in 5..60 {
        let time_s = T0_S + f64::from(step);
        let report = tracker.step(time_s, &[]).expect("valid");
        if report.deleted.iter().any(|(gone, _)| *gone == id) {
            deleted_at = Some(step);
            break;
        }
    }
    // Last update at step 4; gone once more than 30 s have passed, at step 35.
    assert_eq!(deleted_at, Some(35));
    assert!(tracker.tracks().is_empty());
    // Identities are never reused.
    let report = tracker
        .step(
            T0_S + 36.0,
            &[detection_at(T0_S + 36.0, 1, position(0.0, 0.0))],
        )
        .expect("valid");
    assert_eq!(report.initiated, vec![id + 1]);
}

/// A radar at the origin seeing 500 m all round, reporting every second with pd 0.9.
fn radar_coverage() -> Coverage {
    Coverage::new(vec![CoverageRegion {
        region: Region::disc(Vector2::zeros(), 500.0),
        period_s: 1.0,
        pd: 0.9,
    }])
    .expect("valid coverage")
}

/// The radar's range-and-bearing detection of a target at `pos`, noise from `rng`.
fn radar_detection(time_s: f64, pos: Vector2<f64>, rng: &mut Rng) -> Detection {
    detection_at(
        time_s,
        7,
        Measurement::RangeBearing {
            range_m: pos.norm() + 3.0 * rng.normal(),
            range_std_m: 3.0,
            bearing_rad: pos.x.atan2(pos.y) + 0.005 * rng.normal(),
            bearing_std_rad: 0.005,
        },
    )
}

/// What became of the one track of [`run_radar`].
struct RadarRun {
    /// When it was deleted (seconds after T0), and why.
    deleted: Option<(f64, DeleteReason)>,
    /// The last detection's time, seconds after T0.
    last_seen_s: f64,
    /// Per scan while it was confirmed: the time and whether it was observable.
    observable: Vec<(f64, bool)>,
}

/// Steps a tracker with known radar coverage over a target at `truth(t)` for `seconds`,
/// detected by the radar when `seen(t)` and inside its range.
fn run_radar(
    truth: impl Fn(f64) -> Vector2<f64>,
    seen: impl Fn(f64) -> bool,
    seconds: u32,
) -> RadarRun {
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid");
    tracker.set_coverage(radar_coverage());
    let mut rng = Rng::new(11);
    let (mut deleted, mut last_seen_s, mut observable) = (None, 0.0, Vec::new());
    for step in 0..=seconds {
        let t = f64::from(step);
        let pos = truth(t);
        let detections = if seen(t) && pos.norm() <= 500.0 && rng.chance(0.9) {
            last_seen_s = t;
            vec![radar_detection(T0_S + t, pos, &mut rng)]
        } else {
            vec![]
        };
        let report = tracker.step(T0_S + t, &detections).expect("valid scan");
        assert!(
            report.initiated.len() <= usize::from(step == 0),
            "t {t}: a second track"
        );
        if let Some(&(_, reason)) = report.deleted.first() {
            deleted = Some((t, reason));
            break;
        }
        if let Some(track) = tracker.confirmed_tracks().next() {
            observable.push((t, track.observable));
        }
    }
    RadarRun {
        deleted,
        last_seen_s,
        observable,
    }
}

#[test]
fn a_target_that_walks_out_of_every_sensors_range_is_kept_unobserved_then_ends() {
    // Walks east at 5 m/s from 300 m west of the radar: out of its range after 160 s.
    let RadarRun {
        deleted,
        last_seen_s,
        observable,
    } = run_radar(|t| Vector2::new(-300.0 + 5.0 * t, 20.0), |_| true, 300);
    let (deleted_s, reason) = deleted.expect("the track ends");
    eprintln!("last detection {last_seen_s} s, deleted {deleted_s} s: {reason:?}");
    assert!((150.0..=160.0).contains(&last_seen_s), "{last_seen_s}");
    // Not ended as unseen: kept, unobserved, and ended by the 30 s limit.
    assert!(matches!(reason, DeleteReason::Coasted { .. }), "{reason:?}");
    assert_eq!(deleted_s - last_seen_s, 31.0);
    let after: Vec<bool> = observable
        .iter()
        .filter(|(t, _)| *t > last_seen_s + 2.0)
        .map(|o| o.1)
        .collect();
    assert!(after.len() > 25 && after.iter().all(|o| !o), "{after:?}");
    assert!(observable.iter().filter(|(t, _)| *t < 100.0).all(|o| o.1));
}

#[test]
fn a_target_inside_coverage_that_stops_being_detected_ends_within_a_few_periods() {
    // Walks north-east inside the radar's range; nothing detects it after 40 s.
    let RadarRun {
        deleted,
        last_seen_s,
        observable,
    } = run_radar(
        |t| Vector2::new(-100.0 + 2.0 * t, -50.0 + t),
        |t| t <= 40.0,
        120,
    );
    let (deleted_s, reason) = deleted.expect("the track ends");
    eprintln!("last detection {last_seen_s} s, deleted {deleted_s} s: {reason:?}");
    assert!(matches!(reason, DeleteReason::Unseen { .. }), "{reason:?}");
    // 5 expected detections at 0.9 a second: the sixth silent second.
    assert_eq!(deleted_s - last_seen_s, 6.0);
    assert!(observable.iter().all(|o| o.1), "{observable:?}");
}

#[test]
fn a_track_outside_known_coverage_is_kept_and_marked_unobserved() {
    // Positions from a camera whose footprint the tracker was not told of, far from the radar.
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid");
    tracker.set_coverage(radar_coverage());
    for step in 0..6 {
        let time_s = T0_S + f64::from(step);
        let d = detection_at(time_s, 1, position(5000.0 + 2.0 * f64::from(step), 0.0));
        tracker.step(time_s, &[d]).expect("valid");
    }
    let mut std_m = 0.0;
    for step in 6..=36 {
        let time_s = T0_S + f64::from(step);
        let report = tracker.step(time_s, &[]).expect("valid");
        if step < 36 {
            let track = tracker.confirmed_tracks().next().expect("kept");
            assert!(!track.observable, "step {step}");
            let std_now = track.state.pos_covar_m2().trace().sqrt();
            assert!(std_now > std_m, "its uncertainty grows");
            std_m = std_now;
        } else {
            // Last update at step 5: gone once more than 30 s have passed.
            assert!(matches!(
                report.deleted.as_slice(),
                [(_, DeleteReason::Coasted { .. })]
            ));
        }
    }
}

/// Issue #16, item 1: each detection updates its track at its own time. A vehicle at 15 m/s
/// east is detected exactly, at times spread over each one-second scan (0.1 s to 0.9 s before
/// the scan's end); its track, carried to each scan's time, is where the vehicle is then —
/// not where it was when detected (which would put it up to 13.5 m behind).
#[test]
fn each_detection_updates_its_track_at_its_own_time() {
    let speed_mps = 15.0;
    let mut tracker = Tracker::new(TrackerConfig::default()).expect("valid config");
    let mut rng = Rng::new(16);
    let mut worst_lag_m: f64 = 0.0;
    for scan in 0..40 {
        let scan_s = T0_S + f64::from(scan);
        let before_s = 0.1 + 0.8 * rng.uniform();
        let taken_s = scan_s - before_s;
        let truth_x = speed_mps * (taken_s - T0_S);
        let detection = position_detection(taken_s, Vector2::new(truth_x, 0.0), 1);
        let report = tracker.step(scan_s, &[detection]).expect("a scan");
        assert!(report.rejected.is_empty(), "{:?}", report.rejected);
        if scan >= 10 {
            let track = tracker
                .confirmed_tracks()
                .next()
                .expect("a confirmed track");
            assert_eq!(tracker.tracks().len(), 1, "one track");
            assert_eq!(track.state.time_s, scan_s, "carried to the scan's time");
            let now_x = speed_mps * (scan_s - T0_S);
            worst_lag_m = worst_lag_m.max((now_x - track.state.pos_enu_m().x).abs());
        }
    }
    assert!(
        worst_lag_m < 2.0,
        "the track is {worst_lag_m:.1} m off at a scan's time"
    );
}
