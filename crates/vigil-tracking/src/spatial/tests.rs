//! The bound and the grid against the full gate, on random pairs of every measurement kind.

use nalgebra::{DMatrix, DVector, Matrix2, Vector2};
use vigil_core::rng::Rng;

use super::*;
use crate::measure::wrap_angle_rad;
use crate::types::GaussianState;

const GATE_PROBABILITY: f64 = 0.99;

/// A random symmetric positive definite 2x2 matrix with eigenvalues between `low` and `high`.
fn spd(rng: &mut Rng, low: f64, high: f64) -> Matrix2<f64> {
    let angle = rng.range(0.0, PI);
    let (s, c) = angle.sin_cos();
    let rotation = Matrix2::new(c, -s, s, c);
    let log = |rng: &mut Rng| (low.ln() + rng.uniform() * (high.ln() - low.ln())).exp();
    let diagonal = Matrix2::new(log(rng), 0.0, 0.0, log(rng));
    rotation * diagonal * rotation.transpose()
}

/// A track state with a random position covariance (standard deviations from 0.1 m to 1 km)
/// correlated with a random velocity covariance.
fn random_state(rng: &mut Rng) -> GaussianState {
    let pos = Vector2::new(rng.range(-5000.0, 5000.0), rng.range(-5000.0, 5000.0));
    let mut covar = DMatrix::zeros(4, 4);
    let p = spd(rng, 0.01, 1e6);
    covar.view_mut((0, 0), (2, 2)).copy_from(&p);
    let v = spd(rng, 0.01, 100.0);
    covar.view_mut((2, 2), (2, 2)).copy_from(&v);
    // A position-velocity correlation that keeps the whole matrix positive definite.
    let rho = rng.range(-0.5, 0.5);
    for axis in 0..2 {
        let c = rho * (p[(axis, axis)] * v[(axis, axis)]).sqrt();
        covar[(axis, axis + 2)] = c;
        covar[(axis + 2, axis)] = c;
    }
    let mean = DVector::from_vec(vec![pos.x, pos.y, rng.normal(), rng.normal()]);
    GaussianState::new(mean, covar, 0.0).expect("a valid state")
}

/// A draw from a zero-mean normal distribution with a 2x2 covariance.
fn draw(rng: &mut Rng, covar: &Matrix2<f64>) -> Vector2<f64> {
    let l = covar.cholesky().expect("positive definite").l();
    l * Vector2::new(rng.normal(), rng.normal())
}

/// A random observation of a random kind near the track `state`: its residual is the
/// innovation's spread times a factor up to 4, so that pairs fall on both sides of the gate
/// and many near it; sometimes the sensor is close to or far from the track.
fn random_observation(rng: &mut Rng, state: &GaussianState) -> Observation {
    let pos = state.pos_enu_m();
    let p = state.pos_covar_m2();
    let scale = rng.range(0.0, 4.0);
    match rng.below(3) {
        0 => {
            let r = spd(rng, 0.25, 2500.0);
            let z = pos + draw(rng, &(p + r)) * scale;
            Observation {
                model: MeasurementModel::Position,
                z: DVector::from_vec(vec![z.x, z.y]),
                noise_covar: DMatrix::from_iterator(2, 2, r.iter().copied()),
            }
        }
        kind => {
            let distance = (10f64).powf(rng.range(-1.0, 4.0));
            let angle = rng.range(-PI, PI);
            let sensor = pos + Vector2::new(angle.sin(), angle.cos()) * distance;
            let d = pos - sensor;
            let (range, bearing) = (d.norm(), d.x.atan2(d.y));
            let var_r = rng.range(1.0, 50.0).powi(2);
            let var_b = rng.range(0.001, 0.3).powi(2);
            // The innovation's spread along range and bearing (bounded by λ).
            let lambda = largest_eigenvalue(&p);
            let sd_r = (lambda + var_r).sqrt();
            let sd_b = (lambda / (range * range) + var_b).sqrt();
            let z_r = (range + rng.normal() * sd_r * scale).max(0.0);
            let z_b = wrap_angle_rad(bearing + rng.normal() * sd_b * scale);
            if kind == 1 {
                Observation {
                    model: MeasurementModel::RangeBearing {
                        sensor_pos_enu_m: sensor,
                    },
                    z: DVector::from_vec(vec![z_r, z_b]),
                    noise_covar: DMatrix::from_diagonal(&DVector::from_vec(vec![var_r, var_b])),
                }
            } else {
                Observation {
                    model: MeasurementModel::Bearing {
                        sensor_pos_enu_m: sensor,
                    },
                    z: DVector::from_element(1, z_b),
                    noise_covar: DMatrix::from_element(1, 1, var_b),
                }
            }
        }
    }
}

/// Random pairs of every kind: whatever the full gate (the allocating innovation of
/// `Observation::innovation`) admits, the bound and the boxes admit too, and the fixed-size
/// gate computes the same distance. Also measures how much the bound prunes, so that a bound
/// that admits everything fails.
#[test]
fn the_bound_never_rejects_what_the_gate_admits() {
    let gate = ChiSquareGate::new(GATE_PROBABILITY).expect("valid");
    let threshold_2d = gate.threshold(2);
    let mut rng = Rng::new(16);
    let (mut admitted, mut pruned, mut near_threshold) = ([0usize; 3], [0usize; 3], 0);
    let cases = 60_000;
    for case in 0..cases {
        let state = random_state(&mut rng);
        let observation = random_observation(&mut rng, &state);
        let kind = match observation.model {
            MeasurementModel::Position => 0,
            MeasurementModel::RangeBearing { .. } => 1,
            MeasurementModel::Bearing { .. } => 2,
        };
        let full = observation.innovation(&state);
        let fixed = observation.gate_distance(state.pos_enu_m(), &state.pos_covar_m2());
        match (&full, &fixed) {
            (Ok(full), Ok(fixed)) => {
                let (a, b) = (full.mahalanobis_sq, fixed.mahalanobis_sq);
                assert!(
                    (a - b).abs() <= 1e-9 * a.max(1.0),
                    "case {case}: full {a} fixed {b}"
                );
                assert!((full.log_det_covar - fixed.log_det_covar).abs() < 1e-9);
                let nll = full.negative_log_likelihood() - fixed.negative_log_likelihood();
                assert!(nll.abs() <= 1e-9 * a.max(1.0));
            }
            (Err(full), Err(fixed)) => assert_eq!(full.kind(), fixed.kind(), "case {case}"),
            _ => panic!("case {case}: full {full:?}, fixed {fixed:?}"),
        }
        let bound = Bound::new(&observation, &gate);
        let reach = Reach::of(&state.position_belief());
        let passes = bound.might_admit(&reach);
        if !passes {
            pruned[kind] += 1;
        }
        let Ok(innovation) = full else { continue };
        let d2 = innovation.mahalanobis_sq;
        if (d2 / gate.threshold(innovation.dim()) - 1.0).abs() < 0.05 {
            near_threshold += 1;
        }
        if !gate.admits(&innovation) {
            continue;
        }
        admitted[kind] += 1;
        assert!(
            passes,
            "case {case}: the bound refuses a pair the gate admits (d² {d2}): {observation:?} {state:?}"
        );
        if let Some(core) = bound.core_box() {
            assert!(
                reach.bounding_box(threshold_2d).overlaps(&core),
                "case {case}: boxes apart for an admitted pair: {core:?} {reach:?}"
            );
        }
    }
    eprintln!(
        "{cases} pairs: admitted {admitted:?} (position, range-bearing, bearing), pruned by \
         the bound {pruned:?}, {near_threshold} within 5 % of the threshold"
    );
    for kind in 0..3 {
        assert!(admitted[kind] > 2000, "{admitted:?}");
        assert!(pruned[kind] > 1000, "{pruned:?}");
    }
    assert!(near_threshold > 500, "{near_threshold}");
}

/// The grid returns every track the full gate admits with a detection, in order, after the
/// tracks move too; in a sparse picture it returns few others.
#[test]
fn the_grid_finds_every_admitted_track_and_few_others() {
    let gate = ChiSquareGate::new(GATE_PROBABILITY).expect("valid");
    let mut rng = Rng::new(7);
    let mut states: Vec<GaussianState> = (0..400)
        .map(|i| {
            let mut state = random_state(&mut rng);
            // Most tracks are well known (σ 2 to 30 m); a few are vague, one is not a number.
            if i % 20 != 0 {
                let p = spd(&mut rng, 4.0, 900.0);
                state.covar.view_mut((0, 0), (2, 2)).copy_from(&p);
                for axis in 0..2 {
                    state.covar[(axis, axis + 2)] = 0.0;
                    state.covar[(axis + 2, axis)] = 0.0;
                }
            }
            state
        })
        .collect();
    states[13].mean[0] = f64::NAN;
    let mut grid = TrackGrid::default();
    grid.rebuild(
        states.iter().map(GaussianState::position_belief),
        gate.threshold(2),
    );
    let mut candidates = Vec::new();
    // Of the detections with a bounded region (positions, ranges and bearings).
    let (mut returned, mut admitted_total, mut queries) = (0, 0, 0);
    for round in 0..3 {
        for _ in 0..400 {
            let target = rng.below(states.len());
            let observation = random_observation(&mut rng, &states[target]);
            let bound = Bound::new(&observation, &gate);
            grid.candidates(&bound, &mut candidates);
            assert!(candidates.windows(2).all(|w| w[0] < w[1]), "not ascending");
            let admitted: Vec<u32> = (0..states.len() as u32)
                .filter(|&t| {
                    observation
                        .innovation(&states[t as usize])
                        .is_ok_and(|i| gate.admits(&i))
                })
                .collect();
            for t in &admitted {
                assert!(
                    candidates.binary_search(t).is_ok(),
                    "round {round}: track {t} admitted but not returned: {observation:?}"
                );
            }
            if bound.core_box().is_some() {
                returned += candidates.len();
                admitted_total += admitted.len();
                queries += 1;
            }
        }
        // Move a third of the tracks, as updates and new tracks do during a scan.
        for id in 0..states.len() + 5 {
            if id >= states.len() {
                states.push(random_state(&mut rng));
            } else if rng.below(3) == 0 {
                states[id].mean[0] += rng.range(-300.0, 300.0);
                states[id].mean[1] += rng.range(-300.0, 300.0);
            } else {
                continue;
            }
            grid.set(id, &states[id].position_belief());
        }
    }
    eprintln!("{queries} detections: {admitted_total} admitted pairs, {returned} candidates");
    assert!(admitted_total > queries / 2);
    // The vague tracks (one in twenty, σ up to 1 km) are near many detections; the others are
    // returned only near their own. (A bearing's wedge has no end: it is checked against
    // every track by the bound alone.)
    assert!(
        returned < 4 * queries,
        "{returned} candidates for {queries} detections"
    );
}

#[test]
fn the_sector_box_holds_the_sector_and_little_more() {
    let mut rng = Rng::new(3);
    for _ in 0..500 {
        let centre = Vector2::new(rng.range(-100.0, 100.0), rng.range(-100.0, 100.0));
        let r_lo = rng.range(0.0, 500.0);
        let r_hi = r_lo + rng.range(0.0, 500.0);
        let bearing = rng.range(-PI, PI);
        let half = rng.range(0.0, 3.5);
        let boxed = sector_box(centre, r_lo, r_hi, bearing, half);
        let mut hull = Aabb::around(
            centre + Vector2::new(bearing.sin(), bearing.cos()) * r_hi,
            0.0,
            0.0,
        );
        for i in 0..=400 {
            for r in [r_lo, 0.5 * (r_lo + r_hi), r_hi] {
                let angle = bearing - half.min(PI) + f64::from(i) / 400.0 * 2.0 * half.min(PI);
                let p = centre + Vector2::new(angle.sin(), angle.cos()) * r;
                assert!(
                    p.x >= boxed.min.x - 1e-9
                        && p.x <= boxed.max.x + 1e-9
                        && p.y >= boxed.min.y - 1e-9
                        && p.y <= boxed.max.y + 1e-9,
                    "{p:?} outside {boxed:?}"
                );
                hull.grow_to(p);
            }
        }
        // No larger than the sampled sector by more than the sampling's sag.
        let sag = r_hi * (1.0 - (2.0 * PI / 400.0).cos()) + 1e-9;
        if half < PI {
            assert!(
                (boxed.min - hull.min).abs().max() <= sag,
                "{boxed:?} {hull:?}"
            );
            assert!(
                (boxed.max - hull.max).abs().max() <= sag,
                "{boxed:?} {hull:?}"
            );
        }
    }
}

#[test]
fn the_largest_eigenvalue_is_exact() {
    let mut rng = Rng::new(5);
    for _ in 0..1000 {
        let m = spd(&mut rng, 1e-3, 1e6);
        let expected = m.symmetric_eigen().eigenvalues.max();
        let got = largest_eigenvalue(&m);
        assert!(
            (got - expected).abs() <= 1e-9 * expected,
            "{got} vs {expected}"
        );
    }
    assert!(largest_eigenvalue(&Matrix2::new(f64::NAN, 0.0, 0.0, 1.0)).is_nan());
}

#[test]
fn the_grid_moves_removes_and_keeps_wide_boxes_apart() {
    let mut grid = BoxGrid::new(100.0);
    let small = |x: f64, y: f64| Aabb::around(Vector2::new(x, y), 10.0, 10.0);
    grid.set(0, small(0.0, 0.0), true);
    grid.set(1, small(1000.0, 0.0), true);
    // Spans 30 cells a side: kept apart, returned for every query it overlaps.
    grid.set(
        2,
        Aabb::around(Vector2::new(0.0, 0.0), 1500.0, 1500.0),
        true,
    );
    grid.set(3, small(0.0, 0.0), false);
    let mut out = Vec::new();
    grid.near(Some(&small(5.0, 5.0)), &mut out);
    assert_eq!(out, vec![0, 2]);
    grid.set(0, small(1000.0, 10.0), true);
    grid.near(Some(&small(5.0, 5.0)), &mut out);
    assert_eq!(out, vec![2]);
    grid.near(Some(&small(1000.0, 0.0)), &mut out);
    assert_eq!(out, vec![0, 1, 2]);
    grid.near(None, &mut out);
    assert_eq!(out, vec![0, 1, 2]);
    // Far beyond any plane, and not a number: the query looks at everything.
    let far = Aabb::around(Vector2::new(1e15, 0.0), 1.0, 1.0);
    grid.near(Some(&far), &mut out);
    assert!(out.is_empty(), "{out:?}");
    let nan = Aabb::around(Vector2::new(f64::NAN, 0.0), 1.0, 1.0);
    grid.near(Some(&nan), &mut out);
    assert_eq!(out, vec![0, 1, 2]);
}
